//! # respec
//!
//! A Redis client whose command layer is generated from the server's own
//! command specs.
//!
//! # Layout
//!
//! - [`resp`]: the RESP2/RESP3 engine. Frames, an incremental zero-copy
//!   parser and the command encoder. Pure: no I/O.
//! - [`connection`]: the sans-I/O connection core (handshake, request queue,
//!   push routing) and its two drivers, tokio and `std::net`.
//! - [`commands`]: every server command, generated from its spec, one
//!   module per command group.
//! - [`cmd`](mod@cmd): command values ([`Command`], the untyped [`Cmd`]).
//! - [`executor`]: what generated command methods need from a client.
//! - [`Client`]: the async client; [`blocking::Client`]: the blocking one.
//! - [`pipeline`]: pipelines and MULTI/EXEC transactions.
//! - [`pool`]: dedicated connections for blocking commands and `WATCH`.
//! - [`pubsub`]: publish and subscribe.
//! - [`reply`]: converting reply frames into Rust types ([`FromResp`]).
//! - [`scan`]: `SCAN`, `HSCAN`, `SSCAN`, `ZSCAN` as streams and iterators.
//! - [`script`]: Lua scripts run by digest with transparent loading.
//! - [`error`]: the client's error type.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod blocking;
mod client;
pub mod cmd;
pub mod commands;
pub mod connection;
pub mod error;
pub mod executor;
pub mod pipeline;
pub mod pool;
pub mod pubsub;
pub mod reply;
pub mod resp;
pub mod scan;
pub mod script;

pub use client::{Client, ClientBuilder};
pub use cmd::{cmd, Cmd, Command};
pub use commands::GeneratedCommand;
pub use error::{Error, ErrorKind, Result};
pub use pipeline::Pipeline;
pub use reply::FromResp;
pub use resp::Frame;

/// Everything needed to call the generated command methods:
/// `use respec::prelude::*;`.
pub mod prelude {
    pub use crate::commands::support::Executor;
    pub use crate::commands::{
        BitmapCommands, ClusterCommands, ConnectionCommands, GenericCommands, GeoCommands,
        HashCommands, HyperloglogCommands, ListCommands, PubsubCommands, ScriptingCommands,
        ServerCommands, SetCommands, SortedSetCommands, StreamCommands, StringCommands,
        TransactionsCommands,
    };
    pub use crate::{Client, Cmd, Command, Frame, FromResp, GeneratedCommand, Pipeline, Result};
}
