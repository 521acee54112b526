//! The typed command layer, generated from the server's command specs.
//!
//! Every command and subcommand of the server is a type here (`Set`,
//! `ClientKill`, `XinfoStream`), built by a method of one of the group
//! traits (`StringCommands::set`, ...) on any client or connection, or by a
//! free function for pipelines (`commands::set(...)`). Required arguments
//! are parameters; optional ones are builder methods; a `oneof` argument is
//! an enum plus one shorthand method per choice.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use respec::prelude::*;
//!
//! client.set("user:1", "ada").ex(60).nx().await?;
//! let name = client.get("user:1").await?;
//! # Ok(()) }
//! ```
//!
//! The modules below hold one command group each; their pages list the
//! group's commands. Beside them, `schema` (feature `search`) is the typed
//! field list of `FT.CREATE` and `FT.ALTER`, `aggregate` (feature `search`)
//! the reducers of `FT.AGGREGATE`'s `GROUPBY` steps, and `support` what the
//! generated code is made of.

#[cfg(all(feature = "search", not(respec_valkey)))]
#[cfg_attr(docsrs, doc(cfg(feature = "search")))]
pub mod aggregate;
#[cfg(all(feature = "search", not(respec_valkey)))]
#[cfg_attr(docsrs, doc(cfg(feature = "search")))]
pub mod schema;
pub mod support;

pub use support::{CommandSpec, Executor, GeneratedCommand, Need, Requires, Value};

include!(concat!(env!("OUT_DIR"), "/commands/groups.rs"));
