//! Maintainer tools for respec that need the client: `dump` (a live
//! server's command specs into `commands-spec/`, and the live `COMMAND
//! INFO` merged into the authored module specs, see [`modules`]). The tools that work from
//! the spec files alone, `diff` and `gen`, are binaries of `respec-codegen`,
//! so they run before the crate builds (a spec update may not build until
//! its reply table is updated).
#![deny(missing_docs)]

pub mod dump;
pub mod modules;
