//! # respec
//!
//! A Redis client whose command layer is generated from the server's own
//! command specs: every command is a typed, documented method, on an async
//! client (tokio) and a blocking one.
//!
//! # A walk through
//!
//! **Connecting.** A [`Client`] is cheap to clone and shares one multiplexed
//! connection: commands from many tasks go out together and replies are
//! matched in order. It connects on first use and reconnects after a drop.
//!
//! ```no_run
//! # async fn demo() -> respec::Result<()> {
//! use respec::prelude::*;
//!
//! let client = Client::open("redis://127.0.0.1:6379/0?protocol=3")?;
//! // or: Client::builder(url)?.client_name("api").response_timeout(d).pool_size(8).build()
//! # Ok(()) }
//! ```
//!
//! **Commands.** Each server command is a method of a group trait (in the
//! [`prelude`]): required arguments are parameters, options are builder
//! methods; awaiting sends it. Each method's page shows its declared reply
//! type and an example. `.reply::<T>()` reads the reply as any [`FromResp`]
//! type: `let n: i64 = client.get(k).await?` does not compile (the declared
//! type is `Option<ByteStr>`); `let n: Option<i64> =
//! client.get(k).reply().await?` does.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! # use respec::prelude::*;
//! client.set("user:1", "ada").ex(60).nx().await?;
//! let name = client.get("user:1").await?; // Option<ByteStr>
//! let text: Option<String> = client.get("user:1").reply().await?;
//! let scored = client.zrange("board", "0", "9").withscores().await?; // Vec<(ByteStr, f64)>
//! # Ok(()) }
//! ```
//!
//! The [`blocking::Client`] has the same methods; `.run()` sends:
//! `blocking.incr("hits").reply::<i64>().run()?`.
//!
//! **Replies.** Every command has a declared reply type. Values, keys,
//! fields and members come back as [`ByteStr`], a binary-safe string over
//! the read buffer's bytes (no copy), because the server may hold any bytes
//! in them: `client.get(k).await?` is an `Option<ByteStr>` that compares
//! with `"text"` and `b"bytes"`, prints as text, and gives `&str` through
//! [`ByteStr::to_str`]. Status lines and server-made text that is always
//! UTF-8 (command help, encodings, stream IDs, cursors) are `String`.
//! `.reply::<String>()` reads any of them as a `String` instead.
//!
//! **Pipelines and transactions.** The free functions of [`commands`] build
//! detached command values for a [`Pipeline`]; results come back per
//! command, or as a tuple. [`Client::transaction`] runs a `WATCH` closure
//! until `EXEC` succeeds.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use respec::prelude::*;
//! use respec::commands;
//!
//! let mut pipe = Pipeline::atomic(); // MULTI ... EXEC; Pipeline::new() for a plain one
//! pipe.add(commands::incr("visits")).add(commands::get("visits"));
//! let (n, text): (i64, String) = pipe.query(&client).await?;
//!
//! let ((), total): ((), i64) = client
//!     .transaction(&["balance"], 100, |conn| async move {
//!         let balance: i64 = conn.get("balance").reply().await?;
//!         let mut tx = Pipeline::atomic();
//!         tx.add(commands::set("balance", balance + 10)).add(commands::get("balance"));
//!         Ok(tx)
//!     })
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! **Pub/sub.** A [`pubsub::Subscriber`] has its own connection, is a
//! `Stream` of messages, and subscribes again by itself after a reconnect.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! let mut sub = client.subscriber().await?;
//! sub.subscribe(["news"]).await?;
//! sub.psubscribe(["log.*"]).await?;
//! let msg = sub.next_message().await?;
//! println!("{}: {:?}", msg.channel_str(), msg.payload_as::<String>()?);
//! # Ok(()) }
//! ```
//!
//! **Scripts, scans, raw commands.** [`script::Script`] runs by `EVALSHA`
//! and loads itself when needed; [`Client::scan_iter`] and friends hide the
//! cursor; [`Cmd`] sends anything the specs do not have yet.
//!
//! Blocking commands (`BLPOP`, `XREAD ... BLOCK`) run on pooled dedicated
//! connections, so they never hold up the shared one. Errors ([`Error`])
//! say which command failed and why: server errors keep their code,
//! conversion errors say what was expected, and a command or argument
//! newer than the server is refused without being sent.
//!
//! # What the clients guarantee
//!
//! **No caller ever receives another request's reply.** On a shared,
//! multiplexed connection replies are matched to requests by order, so
//! one missing reply would hand every later caller the reply meant for the
//! one before it. The async driver therefore ends every write of new
//! requests with a marker (`PING` with a token unique to the connection)
//! and hands replies out only when the marker's echo comes back right
//! after them; when it comes early or changed, no reply of that write is
//! delivered, every waiter gets an error, and the connection is closed
//! ([`ConnectionConfig::verify_replies`](connection::ConnectionConfig::verify_replies)
//! turns the per-write markers off; a user whose ACL forbids `PING` runs
//! without them). After a response timeout the connection is retired:
//! new requests go to a fresh connection, and the late replies still due
//! are proven by a marker, within a bounded grace, before anything more is
//! delivered. Commands that would break the line-up (`CLIENT REPLY OFF`,
//! the subscription commands, `MONITOR`) or leave state on a shared
//! connection (`MULTI` alone, `WATCH`, `SELECT`, `AUTH`, `HELLO` with
//! arguments, `RESET`) are refused with
//! [`ErrorKind::InvalidInput`] before anything is sent. The blocking
//! client lends each caller a connection of its own for the call, and
//! closes one whose reply timed out.
//!
//! **Nothing waits forever by default.** Every reply is bounded by the
//! response timeout (30 s unless configured, `socket_timeout=0` for none);
//! a blocking command gets its own block time on top, read from the spec
//! and its arguments ([`Command::blocks`]: `BLPOP k 5` may take 5 s more,
//! `BLPOP k 0` forever), for generated and raw commands alike.
//!
//! **Abandoned requests lose nothing they can avoid.** A pooled
//! connection goes back to the pool only when its user left no request
//! in flight and no `WATCH`/`MULTI` state: dropping a `BLPOP` future
//! closes its connection, so the server gives up the blocked pop instead
//! of serving an element to nobody. (A reply the server already sent
//! before the future was dropped is gone with it, as in every client.)
//!
//! **Retries never apply a write twice unasked.** A failed command is
//! sent again ([`retry::RetryPolicy`], 3 attempts by default, backoff with
//! full jitter, 10 s at most) only when that is safe: it was never sent
//! (the connection could not be opened or was already closed), the server
//! refused it without running it (`LOADING`, `BUSY`, `MASTERDOWN`,
//! `TRYAGAIN`, `CLUSTERDOWN`, `READONLY`), or the spec flags it `readonly`
//! and its connection dropped before the reply. A write whose connection
//! dropped may have been applied: it is resent only when the caller opts
//! in, per call ([`Client::with_retry`]) or per client. A retry is a new
//! request on a new connection, matched and proven like any other, so it
//! never receives the reply of the first attempt.
//!
//! **A dead peer is found before a request waits on it.** A connection
//! quiet for the health-check interval (30 s by default,
//! [`ConnectionConfig::health_check_interval`](connection::ConnectionConfig::health_check_interval))
//! sends a `PING`; no answer within that interval closes it, and the next
//! command opens a new one. TCP keepalive (60 s) is set on every socket.
//!
//! **Credentials can change under a live client.** A
//! [`auth::CredentialsProvider`] is asked on every connect; when it says
//! the credentials changed (or they near their expiry), live connections
//! send `AUTH`, in order with the other requests, without reconnecting. A
//! refusal is an [`ErrorKind::Auth`] error naming the user; no password
//! appears in any `Debug`, `Display` or error output.
//!
//! **Reconnects back off.** Connection attempts after failures, and after
//! connections that broke soon after opening, are spaced by
//! [`backoff::Backoff`] (exponential, with jitter and a cap), one policy
//! for both clients, their pools and the subscribers.
//!
//! **Out-of-band data is never silently dropped.** A RESP3 push frame is
//! never taken for a reply. The pushes of the async client's shared
//! connection and of the blocking client's connections (client-side
//! caching invalidations after `CLIENT TRACKING ON`) go to the client's
//! push channel, which outlives reconnects ([`Client::pushes`],
//! [`blocking::Client::pushes`]): every reader gets them in order, with
//! an event when a connection opens or ends (a cache must flush then),
//! and one that falls more than the channel's capacity (1024 events
//! unless set) behind gets the newest ones after a
//! [`PushEvent::Lagged`](connection::PushEvent::Lagged) saying how many it
//! missed. A reply's RESP3 attributes come with it from the
//! `query_with_attributes` methods ([`connection::WithAttributes`]) and are
//! dropped elsewhere, at the cost of one type check. Numbers the default
//! reply type cannot hold are read exactly another way: `INCRBYFLOAT` and
//! `HINCRBYFLOAT` compute in the server's long double, so a result past
//! `f64::MAX` is `inf` as their default `f64` reply while the server holds
//! a finite value; `.reply::<String>()` (or `Bytes`) gives its exact digits.
//!
//! **What happens is observable.** Listeners registered with
//! [`ClientBuilder::on_event`] see connections open, fail, end and
//! reconnect, commands retried, Sentinel failovers and Cluster redirects
//! ([`events::Event`]); [`Client::metrics`] counts commands, errors by
//! class, latencies, bytes and the pool's use. Neither ever carries a
//! password or an argument value. The `tracing` feature adds a span per
//! command, the `metrics` feature exports the counters ([`events`]).
//!
//! **Client-side caching keeps no stale entry.** With
//! [`ClientBuilder::cache`], read-only replies (the cacheable set comes
//! from the spec, minus [`cache::EXCLUDED`]) are kept in a bounded store and
//! dropped on the server's invalidations, applied as the driver reads them;
//! a reply that raced an invalidation is never stored ([`cache`]).
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
//! - [`retry`]: which failed commands are sent again; [`auth`]: credentials
//!   that rotate or expire; [`backoff`]: how reconnects are spaced.
//! - [`pubsub`]: publish and subscribe.
//! - [`cache`]: client-side caching on the server's tracking (RESP3, or
//!   RESP2 through a redirect connection), opt in with
//!   [`ClientBuilder::cache`].
//! - [`reply`]: converting reply frames into Rust types ([`FromResp`]).
//! - [`records`]: the named records of structured replies (stream entries,
//!   `XINFO`, `CLIENT LIST`, `COMMAND DOCS`, `CLUSTER SHARDS`, ...), the
//!   same value in RESP2 and RESP3.
//! - [`scan`]: `SCAN`, `HSCAN`, `SSCAN`, `ZSCAN` as streams and iterators.
//! - [`script`]: Lua scripts run by digest with transparent loading.
//! - [`lock`]: distributed locks (redis-py's `Lock`), async and blocking.
//! - [`error`]: the client's error type.
//! - [`events`]: connection events, the client's counters, `tracing` and
//!   `metrics` support.
//! - [`backoff`]: how reconnect attempts are spaced.
//! - [`sentinel`]: finding and following a master through Redis Sentinel.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod backoff;
pub mod blocking;
pub mod bounds;
mod bytestr;
pub mod cache;
mod client;
pub mod cluster;
pub mod cmd;
pub mod commands;
pub mod connection;
#[cfg(feature = "serde")]
pub mod de;
pub mod error;
pub mod events;
pub mod executor;
#[cfg(feature = "json")]
pub mod json;
pub mod lock;
pub mod pipeline;
pub mod pool;
pub mod pubsub;
pub mod records;
pub mod reply;
pub mod resp;
pub mod retry;
pub mod scan;
pub mod script;
pub mod sentinel;

pub use bytestr::ByteStr;
pub use client::{Client, ClientBuilder};
pub use cmd::{cmd, Block, Cmd, Command};
pub use commands::GeneratedCommand;
pub use error::{Error, ErrorKind, Result};
pub use pipeline::{Pipeline, TypedPipeline};
pub use reply::FromResp;
pub use resp::Frame;

/// Everything needed to call the generated command methods:
/// `use respec::prelude::*;`.
pub mod prelude {
    pub use crate::commands::support::Executor;
    #[cfg(all(feature = "bloom", not(respec_valkey)))]
    pub use crate::commands::BloomCommands;
    #[cfg(all(feature = "json", not(respec_valkey)))]
    pub use crate::commands::JsonCommands;
    #[cfg(all(feature = "search", not(respec_valkey)))]
    pub use crate::commands::SearchCommands;
    #[cfg(all(feature = "timeseries", not(respec_valkey)))]
    pub use crate::commands::TimeSeriesCommands;
    #[cfg(all(feature = "vectorset", not(respec_valkey)))]
    pub use crate::commands::VectorSetCommands;
    pub use crate::commands::{
        BitmapCommands, ClusterCommands, ConnectionCommands, GenericCommands, GeoCommands,
        HashCommands, HyperloglogCommands, ListCommands, PubsubCommands, ScriptingCommands,
        ServerCommands, SetCommands, SortedSetCommands, StreamCommands, StringCommands,
        TransactionsCommands,
    };
    pub use crate::{
        ByteStr, Client, Cmd, Command, Frame, FromResp, GeneratedCommand, Pipeline, Result,
        TypedPipeline,
    };
}
