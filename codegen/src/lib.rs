//! Code generator for respec: reads the command specs in `commands-spec/`
//! and renders the typed command layer.
//!
//! This crate is a build dependency of `respec` and is used by its `build.rs`.
#![deny(missing_docs)]
