//! The RESP engine: frames, the parser and the command encoder.
//!
//! This module does no I/O. [`Decoder`] turns bytes into [`Frame`]s,
//! incrementally and without copying string payloads; [`encode`] writes
//! commands into an output buffer. Both speak RESP2 and RESP3 in full.

mod decode;
pub mod encode;
mod frame;

pub(crate) use decode::{parse_double, parse_i64};
pub use decode::{Decoder, Limits, ProtocolError, ProtocolErrorKind};
pub use encode::ToArg;
pub use frame::Frame;
