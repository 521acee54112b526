//! Connections: settings, the handshake, and the two drivers.
//!
//! - [`ConnectionConfig`] holds everything needed to connect, parsed from a
//!   `redis://`, `rediss://` or `unix://` URL or built field by field.
//! - [`handshake`] is the sans-I/O handshake (HELLO with AUTH and SETNAME,
//!   the RESP2 fallback, SELECT, CLIENT SETINFO).
//! - [`Incoming`] is the read side: bytes, the decoder, and routing of each
//!   frame to the waiting request or, for RESP3 push frames, aside (to a
//!   client's push channel, [`PushReceiver`]). Replies keep their RESP3
//!   attributes for the callers who ask for them ([`WithAttributes`]).
//! - [`Connection`] is the tokio driver: one socket multiplexed among many
//!   tasks with automatic pipelining. [`sync::Connection`] is the
//!   `std::net` driver for blocking use.

mod aio;
mod config;
pub mod handshake;
mod incoming;
mod reply;
pub mod sync;
#[cfg(feature = "tls")]
mod tls;

pub(crate) use aio::check_required;
pub(crate) use aio::commands_in;
pub(crate) use aio::name_of as aio_name_of;
pub(crate) use aio::{check_version, is_pubsub_array, Payload, Resend, RetireHandle, Retry};
pub use aio::{Connection, ResponseFuture};
pub use config::{
    Addr, ConnectionConfig, Protocol, TlsConfig, DEFAULT_HEALTH_CHECK_INTERVAL,
    DEFAULT_RESPONSE_TIMEOUT, DEFAULT_TCP_KEEPALIVE,
};
pub use handshake::ServerInfo;
pub(crate) use incoming::detach as detach_frame;
pub use incoming::{
    Incoming, PushEvent, PushReceiver, Routed, WithAttributes, DEFAULT_PUSH_CAPACITY,
};
pub(crate) use incoming::{PushObserver, PushPublisher};
