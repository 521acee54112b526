//! Maintainer tools for respec: `dump` (a live server's command specs into
//! `commands-spec/`), `diff` (two spec sets compared) and `gen` (the
//! generated command layer written into a folder for review).
#![deny(missing_docs)]

pub mod diff;
pub mod dump;
