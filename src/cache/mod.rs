//! Client-side caching: replies of read-only commands kept in the client
//! and dropped when the server says the keys they read changed.
//!
//! Opt in per client with [`ClientBuilder::cache`](crate::ClientBuilder::cache).
//! The client then turns on `CLIENT TRACKING` on every connection it opens
//! for its shared connection, before any command uses it. The server
//! remembers which keys the connection read (or, in
//! [`TrackingMode::Broadcast`], watches key prefixes), and when one changes
//! (written by anyone, expired, evicted, flushed) it sends an `invalidate`
//! push on that same connection (on RESP2, a message on a second
//! connection: see [Protocol](#protocol)). The client applies each
//! invalidation as its driver reads it, before any reply read after it is
//! handed out.
//!
//! ```no_run
//! # async fn demo() -> respec::Result<()> {
//! use respec::cache::CacheConfig;
//! use respec::prelude::*;
//! use std::time::Duration;
//!
//! let client = respec::Client::builder("redis://127.0.0.1:6379")?
//!     .cache(CacheConfig::default().max_entries(50_000).ttl(Duration::from_secs(300)))
//!     .build();
//! client.set("user:1", "ada").await?;
//! let a = client.get("user:1").await?; // a miss: asks the server
//! let b = client.get("user:1").await?; // a hit: no round trip
//! assert_eq!(a, b);
//! let fresh = client.without_cache().get("user:1").await?; // always asks
//! # let _ = fresh;
//! let stats = client.cache_stats().unwrap();
//! assert_eq!((stats.hits, stats.misses), (1, 1));
//! # Ok(()) }
//! ```
//!
//! # What is cached
//!
//! A command the spec flags `readonly`, with keys the key specs find,
//! neither blocking nor with nondeterministic output, minus a reviewed list
//! with a reason per entry ([`EXCLUDED`]: `TTL`, `SRANDMEMBER`,
//! `OBJECT IDLETIME`, ...); see [`is_cacheable`]. An entry is keyed by the
//! encoded command, so `GET k` and `GETRANGE k 0 1` are two entries, both
//! dropped when `k` changes. Only reads sent alone through the client
//! (`execute`, `query`, the generated methods) go through the cache: not
//! pipelines, transactions, `query_with_attributes`, or commands on
//! connections taken from the client. Error replies are not cached.
//! Module commands are not cached.
//!
//! [`query_with_attributes`](crate::Client::query_with_attributes) on a
//! caching client always asks the server (a cached reply carries no
//! attributes) and stores nothing; a write sent through it drops its keys'
//! entries as every write of the client does (below).
//!
//! # Correctness
//!
//! - A read that misses reserves its entry before it is sent; its reply is
//!   stored only if no invalidation of its keys (and no flush) came in
//!   between. So a reply that raced an invalidation is never kept, even
//!   when the invalidation was read first.
//! - Everything is dropped when the shared connection ends (the server
//!   forgets what it tracked for a closed connection), when the RESP2
//!   redirect connection ends, and when the server sends an invalidation
//!   without keys (`FLUSHALL`, `FLUSHDB`).
//! - A write sent through the caching client (a command the spec flags
//!   `write`, with keys) drops the entries of its keys before it is sent,
//!   and until it is answered no read of them stores its reply, so the
//!   client reads its own writes: a cached read right after it returns the
//!   new value, without waiting for the server's invalidation to be read.
//!   That holds whatever path the write takes: alone or in a pipeline,
//!   through [`without_cache`](crate::Client::without_cache) or
//!   `query_with_attributes`, in a `WATCH` transaction
//!   ([`transaction`](crate::Client::transaction),
//!   [`transact`](crate::Client::transact): writes sent in the closure and
//!   the transaction's own), and on the connections taken from the client
//!   ([`dedicated`](crate::Client::dedicated), its
//!   [`pool`](crate::Client::pool)'s; the blocking client's
//!   [`with_connection`](crate::blocking::Client::with_connection) and
//!   [`pipeline`](crate::blocking::Client::pipeline)). Those connections
//!   find the keys in each request's encoding as it is sent. A write
//!   whose reply is not waited for (its future dropped, `write_command`)
//!   holds reads back only until then; the server's invalidation covers
//!   it.
//! - A write by another client reaches the cache with the server's
//!   invalidation: every reply the shared connection reads after that
//!   write completed comes after the invalidation, so one round trip of the
//!   async client (any command) is enough to see it. (On RESP2 the fence
//!   described under [Protocol](#protocol) keeps this true.)
//! - A key whose expiry time passes is invalidated when the server deletes
//!   it (on access or in its expiry cycle), which may be a little later;
//!   a [`ttl`](CacheConfig::ttl) bounds how long any entry is served.
//!
//! # Bounds and counters
//!
//! At most [`max_entries`](CacheConfig::max_entries) entries and about
//! [`max_bytes`](CacheConfig::max_bytes) bytes (commands, replies and
//! bookkeeping); the least recently used entries go first. A reply larger
//! than the byte bound is not stored. [`Client::cache_stats`](crate::Client::cache_stats)
//! reads the counters ([`CacheStats`]).
//!
//! # The blocking client
//!
//! [`blocking::Client::with_cache`](crate::blocking::Client::with_cache)
//! takes the same [`CacheConfig`]. Its cached reads go through one
//! connection of their own, tracking on, one at a time: before each, the
//! invalidations that reached that connection's socket are applied, and a
//! read that misses is a round trip on it, after which every invalidation
//! of a write that completed before it began is applied. Its other
//! commands run on the pooled connections as before; a write of keys drops
//! their entries before it is sent, and until it is answered no read of
//! them stores its reply (it may run on the server before the write), by
//! every path listed under [Correctness](#correctness).
//!
//! # The cluster clients
//!
//! [`ClusterConfig::cache`](crate::cluster::ClusterConfig::cache) takes the
//! same [`CacheConfig`] for [`ClusterClient`](crate::cluster::ClusterClient)
//! and [`BlockingClusterClient`](crate::cluster::BlockingClusterClient):
//! one store for the whole client, the same modes, counters
//! (`cache_stats`), bypass (`without_cache`) and `clear_cache`.
//!
//! - **Tracked connections.** Every node connection that serves cached
//!   reads has `CLIENT TRACKING` on before anything uses it, and the
//!   invalidations that come on it are applied to the shared store as
//!   that connection is read, before any later reply of it is handed out.
//!   The async client caches through each node's shared connection (the
//!   one its other commands use too); the blocking client through one
//!   connection per node of its own, one read at a time per node, as the
//!   standalone blocking client does. Reads a [`ReadFrom`](crate::cluster::ReadFrom)
//!   policy sends to replicas are cached too, with tracking on the replica
//!   connections (a replica invalidates a key as it applies the replicated
//!   write, so replica reads stay as fresh as replica reads are).
//! - **Only reads of one slot** are cached: not reads split over nodes
//!   (`MGET` across slots), nor those routed by the server's
//!   `COMMAND GETKEYS`. Writes of keys, alone, split or in pipelines,
//!   drop their entries before they are sent, as in the standalone client.
//! - **A node connection that ends** drops the whole cache (simpler than
//!   finding the entries of that node's slots, and safe).
//! - **Slots that move.** The old owner's tracking does not cover a slot
//!   once it has moved, so the whole cache is dropped at every `MOVED`
//!   the client meets (on any command) and whenever a topology read finds
//!   a slot with another owner. A read that misses is sent once, to the
//!   node the slot map names, on its tracked connection; when that node
//!   answers with a redirect (`MOVED`, `ASK`, ...) or fails, the read is
//!   answered the ordinary way and that reply is not stored.
//! - **Freshness.** Another client's write reaches the cache with the
//!   invalidation of the node the key lives on: one round trip to that
//!   node (the async client: any command on that node's connection; the
//!   blocking client: a read that misses on that node) is enough to see
//!   it. A key that moves with its slot is deleted from the old owner by
//!   the migration, which invalidates it there. A cached read of a key
//!   that did not exist, whose slot then moves with no keys, has nothing
//!   to invalidate it on the old owner: it is dropped when the client
//!   learns of the move (a `MOVED`, or the next topology read, see
//!   [`ClusterConfig::refresh_every`](crate::cluster::ClusterConfig::refresh_every));
//!   a [`ttl`](CacheConfig::ttl) bounds it too. The blocking client reads
//!   a node's invalidations when a cached read goes to that node, so an
//!   entry filled by one node and hit by a read the policy sends to
//!   another (a replica under [`ReadFrom::RoundRobin`](crate::cluster::ReadFrom::RoundRobin))
//!   may be served until a read goes to the first one again.
//! - **RESP2** is not supported on the cluster clients (the standalone
//!   clients' redirect connection, below, is not built per node): every
//!   command of a caching cluster client on RESP2 fails with an
//!   [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) error.
//!
//! # Protocol
//!
//! On RESP3 the invalidations come as push frames on the tracked
//! connection itself, in order with its replies. On RESP2 (configured, or
//! a server that answered `HELLO` with RESP2) the server cannot push, so
//! the client opens a second connection with the same settings, the
//! *redirect connection*, subscribes it to `__redis__:invalidate`, and
//! turns tracking on for the shared connection with
//! `CLIENT TRACKING ON REDIRECT <its id>` (plus the mode's `OPTIN` or
//! `BCAST PREFIX ...`), again on every reconnect. The invalidations are
//! then messages on the redirect connection, and two orders are no longer
//! one:
//!
//! - *A reply that raced an invalidation* is still never kept: the server
//!   writes the invalidation of a write after it ran, so after every read
//!   that ran before the write, and whichever connection the client reads
//!   first, the invalidation either finds the read's reservation (the
//!   reply is not stored) or its stored entry (dropped then).
//! - *A write by another client within one round trip* needs a fence: the
//!   shared connection's reply may be read before the redirect connection
//!   has been read up to the write's invalidation. So on RESP2 every reply
//!   of the async client (any command sent alone or in a pipeline, not a
//!   hit) is handed out only after a `PING` sent on the redirect
//!   connection *after that reply was read* is answered. The server wrote
//!   the invalidation of any write that completed before the command
//!   began before it read that `PING`, so the invalidation is applied by
//!   then. One fence `PING` is in flight at a time; the replies that come
//!   meanwhile share the next one. It costs a round trip on the redirect
//!   connection per call (latency, not the server's work per call); hits
//!   cost nothing. `WATCH` transactions and connections taken from the
//!   client do not wait on the fence (their writes need none: they drop
//!   their keys' entries themselves, see [Correctness](#correctness)).
//! - *The redirect connection failing* (closed, killed with
//!   `CLIENT KILL`, a fence `PING` failing or timing out) would leave the
//!   server tracking for a connection that hears nothing (it drops the
//!   invalidations; on RESP2 it cannot say so, and a RESP3
//!   `tracking-redir-broken` push is treated alike): everything is
//!   dropped, the shared connection is retired, and the next command
//!   opens a new pair. A fence whose `PING` failed lets its reply through
//!   only once that is done.
//!
//! The blocking client does the same with its pair of connections: before
//! each cached read, the messages that reached the redirect connection's
//! socket are applied; after a read that misses, a `PING` on the redirect
//! connection; a failure of either connection drops everything and the
//! pair.
//!
//! Invalidation messages, and the redirect connection's subscription
//! confirmation and connection events, also go to the client's push
//! channel ([`Client::pushes`](crate::Client::pushes)).

mod clients;
mod hash;
mod policy;
mod redirect;
mod store;

pub(crate) use clients::{blocking_read, execute, second_of_two};
pub(crate) use redirect::{Redirect, Tracked};

pub use policy::{is_cacheable, EXCLUDED};

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::cmd::{Block, Command};
use crate::commands::support::{for_each_key_position, split_encoded, ArgList};
use crate::resp::Frame;

/// The settings of a client-side cache
/// ([`ClientBuilder::cache`](crate::ClientBuilder::cache)).
///
/// ```
/// use respec::cache::CacheConfig;
/// use std::time::Duration;
///
/// let config = CacheConfig::default()
///     .max_entries(1_000)
///     .max_bytes(8 << 20)
///     .ttl(Duration::from_secs(60));
/// assert_eq!(config.max_entries, 1_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheConfig {
    /// How the server tracks what this client reads (default
    /// [`TrackingMode::Default`]).
    pub mode: TrackingMode,
    /// The most entries kept (default [`DEFAULT_MAX_ENTRIES`]; at least 1).
    pub max_entries: usize,
    /// About the most bytes kept: commands, replies and bookkeeping
    /// (default [`DEFAULT_MAX_BYTES`]; at least 1).
    pub max_bytes: usize,
    /// How long an entry is served at most, invalidated or not (default
    /// `None`: until invalidated or evicted).
    pub ttl: Option<Duration>,
}

/// The default bound on entries: 10 000.
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

/// The default bound on bytes: 64 MiB.
pub const DEFAULT_MAX_BYTES: usize = 64 << 20;

/// How the server decides which key changes to tell the client about
/// (the modes of `CLIENT TRACKING`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TrackingMode {
    /// The server remembers every key the connection reads and tells it
    /// when one of them changes (`CLIENT TRACKING ON`).
    #[default]
    Default,
    /// The server remembers only the keys of the reads the cache sends:
    /// each is sent right after `CLIENT CACHING YES`, as one request
    /// (`CLIENT TRACKING ON OPTIN`). Reads made without the cache
    /// ([`Client::without_cache`](crate::Client::without_cache), pipelines)
    /// cost the server no tracking memory.
    OptIn,
    /// The server remembers nothing per key: it tells the client of every
    /// change of a key starting with one of `prefixes` (every key when
    /// there are none), read or not (`CLIENT TRACKING ON BCAST PREFIX ...`).
    /// Only reads whose keys all start with one of the prefixes are
    /// cached.
    Broadcast {
        /// The key prefixes; none for every key.
        prefixes: Vec<Bytes>,
    },
}

impl TrackingMode {
    /// [`Broadcast`](Self::Broadcast) for keys starting with one of
    /// `prefixes` (every key for none).
    ///
    /// ```
    /// use respec::cache::TrackingMode;
    ///
    /// let mode = TrackingMode::broadcast(["user:", "session:"]);
    /// assert!(matches!(mode, TrackingMode::Broadcast { ref prefixes } if prefixes.len() == 2));
    /// ```
    pub fn broadcast<I>(prefixes: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        TrackingMode::Broadcast {
            prefixes: prefixes
                .into_iter()
                .map(|p| Bytes::copy_from_slice(p.as_ref()))
                .collect(),
        }
    }

    /// The `CLIENT TRACKING ON ...` command of this mode.
    fn command(&self) -> crate::Cmd {
        let mut cmd = crate::Cmd::new("CLIENT");
        cmd.arg("TRACKING").arg("ON");
        match self {
            TrackingMode::Default => {}
            TrackingMode::OptIn => {
                cmd.arg("OPTIN");
            }
            TrackingMode::Broadcast { prefixes } => {
                cmd.arg("BCAST");
                for p in prefixes {
                    cmd.arg("PREFIX").arg(&p[..]);
                }
            }
        }
        cmd
    }

    /// The `CLIENT TRACKING ON ...` command of this mode, its
    /// invalidations going to the connection with server id `redirect`.
    fn redirect_command(&self, redirect: i64) -> crate::Cmd {
        let mut cmd = self.command();
        cmd.arg("REDIRECT").arg(redirect);
        cmd
    }

    /// Whether a read of `keys` may be cached in this mode.
    fn covers<I>(&self, keys: I) -> bool
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        match self {
            TrackingMode::Broadcast { prefixes } if !prefixes.is_empty() => keys
                .into_iter()
                .all(|k| prefixes.iter().any(|p| k.as_ref().starts_with(p))),
            _ => true,
        }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            mode: TrackingMode::Default,
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
            ttl: None,
        }
    }
}

impl CacheConfig {
    /// How the server tracks what the client reads.
    pub fn mode(mut self, mode: TrackingMode) -> Self {
        self.mode = mode;
        self
    }

    /// The most entries kept.
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = n;
        self
    }

    /// About the most bytes kept.
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }

    /// How long an entry is served at most.
    pub fn ttl(mut self, ttl: impl Into<Option<Duration>>) -> Self {
        self.ttl = ttl.into();
        self
    }
}

/// A snapshot of a cache's counters and size
/// ([`Client::cache_stats`](crate::Client::cache_stats)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CacheStats {
    /// Reads answered from the cache.
    pub hits: u64,
    /// Cacheable reads sent to the server.
    pub misses: u64,
    /// Entries dropped to stay within the bounds.
    pub evictions: u64,
    /// Entries dropped because their [`ttl`](CacheConfig::ttl) ran out.
    pub expirations: u64,
    /// Entries dropped because a key they read changed (the server's
    /// invalidations, and this client's own writes).
    pub invalidations: u64,
    /// Times everything was dropped (the connection ended, a
    /// keyless invalidation such as `FLUSHALL`, [`Client::clear_cache`](crate::Client::clear_cache)).
    pub flushes: u64,
    /// Replies not stored: an invalidation or flush came while they were
    /// in flight, a later read of the same command replaced them, or they
    /// were larger than the byte bound.
    pub dropped_fills: u64,
    /// Entries held now.
    pub entries: usize,
    /// Bytes held now (about).
    pub bytes: usize,
}

/// A client's cache: the store, shared by the client's handles and the
/// driver of its shared connection, which applies invalidations.
#[derive(Debug)]
pub(crate) struct Cache {
    store: Mutex<store::Store>,
    mode: TrackingMode,
    /// Which connections the cache depends on.
    links: Mutex<Links>,
}

/// The connections a cache depends on: when one ends, what it tracked can
/// no longer be invalidated, so everything goes.
#[derive(Debug, Default)]
struct Links {
    /// The connections tracking is on for. (The blocking client's other
    /// connections publish to the same channel; their end drops nothing.)
    tracked: Vec<u64>,
    /// On RESP2, the async client's redirect connection: the one
    /// subscribed to the invalidations of the tracked connections.
    redirect: Option<u64>,
    /// The tracked connections whose invalidations go to `redirect`:
    /// retired when it ends (the server would drop their invalidations).
    bound: Vec<(u64, crate::connection::RetireHandle)>,
}

/// What the cache says about one command about to be sent.
pub(crate) enum Lookup {
    /// Not a cached command: send it as it is.
    Pass,
    /// A write of keys: their entries are gone; send it, and drop the
    /// guard once it is answered (until then reads of its keys store
    /// nothing).
    Write(WriteGuard),
    /// The cached reply.
    Hit(Frame),
    /// Send it, then give the reply to the [`Fill`].
    Miss(Fill),
}

/// What the cache says about one command about to be sent, and what
/// [`Cache::look`]'s `send` gave for a write.
pub(crate) enum Step<W> {
    /// Not a cached command: send it as it is.
    Pass,
    /// A write of keys, sent: drop the guard once it is answered.
    Write(WriteGuard, W),
    /// The cached reply.
    Hit(Frame),
    /// Send it ([`Fill::command`]), then give the reply to the [`Fill`].
    Miss(Fill),
}

/// A command with the bytes it was encoded into: sending it copies them
/// rather than encoding it again (large commands excepted, whose values
/// the command's own encoding shares rather than copies).
pub(crate) struct Encoded<'a, C: ?Sized> {
    cmd: &'a C,
    bytes: &'a [u8],
    /// What [`Command::blocks`] said, when it was asked already.
    blocks: Option<Block>,
}

/// From this length on, an [`Encoded`] command is encoded again by the
/// command itself, which leaves its large values where they are.
const REENCODE_FROM: usize = 1024;

impl<C: Command + ?Sized> Command for Encoded<'_, C> {
    fn name(&self) -> &str {
        self.cmd.name()
    }

    fn encode(&self, out: &mut BytesMut) {
        out.extend_from_slice(self.bytes);
    }

    fn encode_shared(&self, out: &mut BytesMut, parts: &mut crate::resp::encode::SharedParts) {
        if self.bytes.len() >= REENCODE_FROM {
            self.cmd.encode_shared(out, parts)
        } else {
            out.extend_from_slice(self.bytes);
        }
    }

    fn requires(&self) -> crate::commands::Requires {
        self.cmd.requires()
    }

    fn blocks(&self) -> Block {
        match self.blocks {
            Some(b) => b,
            None => self.cmd.blocks(),
        }
    }

    fn is_blocking(&self) -> bool {
        self.blocks() != Block::No
    }

    fn spec(&self) -> Option<&'static crate::commands::CommandSpec> {
        self.cmd.spec()
    }

    fn check(&self) -> crate::Result<()> {
        self.cmd.check()
    }
}

/// Where [`Cache::look`] encodes and splits commands, one per thread.
#[derive(Default)]
struct Scratch {
    buf: BytesMut,
    args: Vec<std::ops::Range<usize>>,
    keys: Vec<std::ops::Range<usize>>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch {
        buf: BytesMut::with_capacity(256),
        ..Scratch::default()
    });
}

/// The largest encoding buffer kept for the next command.
const KEEP_SCRATCH: usize = 64 * 1024;

/// Runs `f` on this thread's scratch space (a fresh one when it is in use
/// already: a `send` that looked another command up).
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => {
            let r = f(&mut scratch);
            // A large command's buffer is not kept for the thread's life.
            if scratch.buf.capacity() > KEEP_SCRATCH {
                scratch.buf = BytesMut::with_capacity(256);
            }
            r
        }
        Err(_) => f(&mut Scratch::default()),
    })
}

/// The arguments of an encoded command, as ranges of its bytes.
struct Args<'a> {
    bytes: &'a [u8],
    ranges: &'a [std::ops::Range<usize>],
}

impl<'a> Args<'a> {
    /// Splits `bytes` (`*N` then bulk strings, as the encoder writes them)
    /// into `ranges`; a malformed rest is left out.
    fn split(bytes: &'a [u8], ranges: &'a mut Vec<std::ops::Range<usize>>) -> Args<'a> {
        ranges.clear();
        let mut at = match bytes.iter().position(|&b| b == b'\n') {
            Some(nl) => nl + 1,
            None => bytes.len(),
        };
        // Each argument: `$<len>\r\n<bytes>\r\n`.
        while at < bytes.len() && bytes[at] == b'$' {
            let mut len: usize = 0;
            let mut i = at + 1;
            let mut digits = 0;
            while i < bytes.len() && bytes[i].is_ascii_digit() && digits < 19 {
                len = len * 10 + (bytes[i] - b'0') as usize;
                i += 1;
                digits += 1;
            }
            if digits == 0 || bytes.get(i..i + 2) != Some(&b"\r\n"[..]) {
                break;
            }
            let start = i + 2;
            let Some(end) = start.checked_add(len).filter(|&e| e <= bytes.len()) else {
                break;
            };
            ranges.push(start..end);
            at = end + 2;
        }
        Args { bytes, ranges }
    }

    fn range(&self, i: usize) -> std::ops::Range<usize> {
        self.ranges[i].clone()
    }
}

impl ArgList for Args<'_> {
    fn count(&self) -> usize {
        self.ranges.len()
    }

    fn at(&self, i: usize) -> &[u8] {
        &self.bytes[self.ranges[i].clone()]
    }
}

/// The reservation of a read that missed: stores its reply if nothing
/// invalidated it meanwhile.
pub(crate) struct Fill {
    cache: Arc<Cache>,
    cmd: Bytes,
    ticket: u64,
}

/// A write of this client in flight ([`Lookup::Write`]). It holds the
/// hashes of the keys, not copies of them: one key to a few cost no
/// allocation.
pub(crate) struct WriteGuard {
    cache: Arc<Cache>,
    keys: store::Writing,
}

impl Drop for WriteGuard {
    fn drop(&mut self) {
        self.cache.lock().end_write(&self.keys);
    }
}

impl Fill {
    /// `cmd`, the command this reserved for, with the bytes it was
    /// encoded into (sent without encoding it again).
    pub(crate) fn command<'a, C: Command + ?Sized>(&'a self, cmd: &'a C) -> Encoded<'a, C> {
        Encoded {
            cmd,
            bytes: &self.cmd,
            // A cached read does not block.
            blocks: Some(Block::No),
        }
    }

    /// The read to send in [`TrackingMode::OptIn`]: `CLIENT CACHING YES`
    /// and the command, as one request of two replies; `None` in the other
    /// modes (the command is sent as it is).
    pub(crate) fn opt_in_request(&self) -> Option<Bytes> {
        if self.cache.mode != TrackingMode::OptIn {
            return None;
        }
        let mut out = BytesMut::with_capacity(40 + self.cmd.len());
        let mut yes = crate::Cmd::new("CLIENT");
        yes.arg("CACHING").arg("YES");
        yes.encode(&mut out);
        out.extend_from_slice(&self.cmd);
        Some(out.freeze())
    }

    /// Stores `reply` (an error reply is not a reply to keep).
    pub(crate) fn fill(self, reply: &crate::Result<Frame>) {
        if let Ok(frame) = reply {
            let value = crate::connection::detach_frame(frame.clone());
            self.cache
                .lock()
                .fill(&self.cmd, self.ticket, value, Instant::now());
        }
    }
}

impl Cache {
    pub(crate) fn new(config: &CacheConfig) -> Arc<Self> {
        Arc::new(Cache {
            store: Mutex::new(store::Store::new(
                config.max_entries,
                config.max_bytes,
                config.ttl,
            )),
            mode: config.mode.clone(),
            links: Mutex::new(Links::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, store::Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `cmd` is a read the cache may answer (without looking at
    /// its keys: a [`TrackingMode::Broadcast`] read outside the prefixes
    /// is still [`Lookup::Pass`]).
    pub(crate) fn may_cache<C: Command + ?Sized>(&self, cmd: &C) -> bool {
        cmd.spec().is_some_and(|s| policy::class(s).cacheable) && cmd.blocks() == Block::No
    }

    /// Looks `cmd` up: a hit, a miss (reserved), or not a cached command.
    /// A write with keys drops their entries here, before it is sent.
    pub(crate) fn lookup<C: Command + ?Sized>(self: &Arc<Self>, cmd: &C) -> Lookup {
        match self.look(cmd, |_| ()) {
            Step::Pass => Lookup::Pass,
            Step::Hit(frame) => Lookup::Hit(frame),
            Step::Write(guard, ()) => Lookup::Write(guard),
            Step::Miss(fill) => Lookup::Miss(fill),
        }
    }

    /// [`lookup`](Self::lookup), and for a write, `send` called with the
    /// command as it was encoded to find its keys (after its entries are
    /// dropped, outside the store's lock), so that sending it does not
    /// encode it again.
    pub(crate) fn look<C: Command + ?Sized, W>(
        self: &Arc<Self>,
        cmd: &C,
        send: impl FnOnce(&Encoded<'_, C>) -> W,
    ) -> Step<W> {
        let Some(spec) = cmd.spec() else {
            return Step::Pass;
        };
        let class = policy::class(spec);
        let cacheable = class.cacheable && cmd.blocks() == Block::No;
        if !cacheable && !class.writes_keys {
            return Step::Pass;
        }
        with_scratch(|scratch| {
            scratch.buf.clear();
            cmd.encode(&mut scratch.buf);
            let encoded = &scratch.buf[..];
            let args = Args::split(encoded, &mut scratch.args);
            scratch.keys.clear();
            for_each_key_position(spec.key_specs, &args, |i| {
                scratch.keys.push(args.range(i));
            });
            let keys = &scratch.keys;
            if !cacheable {
                let writing = self
                    .lock()
                    .begin_write(keys.iter().map(|r| &encoded[r.clone()]));
                let sent = send(&Encoded {
                    cmd,
                    bytes: encoded,
                    blocks: None,
                });
                return Step::Write(
                    WriteGuard {
                        cache: self.clone(),
                        keys: writing,
                    },
                    sent,
                );
            }
            if !self.mode.covers(keys.iter().map(|r| &encoded[r.clone()])) {
                return Step::Pass;
            }
            let mut store = self.lock();
            if let Some(hit) = store.get(encoded, Instant::now()) {
                return Step::Hit(hit);
            }
            // The entry's own copy of the encoding (the slot's key), its
            // keys slices of it.
            let owned = Bytes::copy_from_slice(encoded);
            let keys = match &keys[..] {
                [one] => store::Keys::One(owned.slice(one.clone())),
                many => store::Keys::Many(many.iter().map(|r| owned.slice(r.clone())).collect()),
            };
            let ticket = store.begin(owned.clone(), keys);
            Step::Miss(Fill {
                cache: self.clone(),
                cmd: owned,
                ticket,
            })
        })
    }

    /// Drops the entries of the keys the pipeline's writes name, before it
    /// is sent (its reads are not cached); until the guard is dropped, no
    /// read of them stores its reply. `None` when it writes no keys.
    pub(crate) fn before_pipeline(self: &Arc<Self>, pipe: &crate::Pipeline) -> Option<WriteGuard> {
        let mut keys = Vec::new();
        for (name, bytes) in pipe.commands() {
            let Some(spec) = crate::commands::spec_of(&name) else {
                continue;
            };
            if !policy::class(spec).writes_keys {
                continue;
            }
            let args = split_encoded(&bytes);
            for_each_key_position(spec.key_specs, &args[..], |i| {
                keys.push(bytes.slice_ref(args[i]));
            });
        }
        if keys.is_empty() {
            return None;
        }
        let writing = self.lock().begin_write(keys.iter().map(|k| &k[..]));
        Some(WriteGuard {
            cache: self.clone(),
            keys: writing,
        })
    }

    /// The own-write rule for a request about to be sent on a connection
    /// taken from a caching client (a pooled connection, the connection of
    /// a `WATCH` transaction): drops the entries of the keys its writes name
    /// (each encoded command in `buf`, the large values `parts` standing at
    /// their offsets of it); until the guard is dropped, once the request
    /// is answered, no read of them stores its reply. `None` when it writes
    /// no keys.
    pub(crate) fn before_request(
        self: &Arc<Self>,
        buf: &[u8],
        parts: &[(usize, Bytes)],
    ) -> Option<WriteGuard> {
        let joined;
        let bytes = if parts.is_empty() {
            buf
        } else {
            joined = join_parts(buf, parts);
            &joined[..]
        };
        let mut keys: Vec<&[u8]> = Vec::new();
        for command in crate::connection::commands_in(bytes) {
            let name = crate::connection::aio_name_of(command);
            let Some(spec) = crate::commands::spec_of(&name) else {
                continue;
            };
            if !policy::class(spec).writes_keys {
                continue;
            }
            let args = split_encoded(command);
            for_each_key_position(spec.key_specs, &args[..], |i| keys.push(args[i]));
        }
        if keys.is_empty() {
            return None;
        }
        let writing = self.lock().begin_write(keys);
        Some(WriteGuard {
            cache: self.clone(),
            keys: writing,
        })
    }

    /// [`before_request`](Self::before_request) for one command.
    pub(crate) fn before_command<C: Command + ?Sized>(
        self: &Arc<Self>,
        cmd: &C,
    ) -> Option<WriteGuard> {
        if !cmd.spec().is_some_and(|s| policy::class(s).writes_keys) {
            return None;
        }
        let mut buf = BytesMut::new();
        cmd.encode(&mut buf);
        self.before_request(&buf, &[])
    }

    /// Drops everything.
    pub(crate) fn flush(&self) {
        self.lock().flush();
    }

    /// The counters and size now.
    pub(crate) fn stats(&self) -> CacheStats {
        let store = self.lock();
        let c = store.counts;
        CacheStats {
            hits: c.hits,
            misses: c.misses,
            evictions: c.evictions,
            expirations: c.expirations,
            invalidations: c.invalidations,
            flushes: c.flushes,
            dropped_fills: c.dropped_fills,
            entries: store.len(),
            bytes: store.bytes(),
        }
    }

    /// Applies an invalidation: an `invalidate` push (RESP3), or a
    /// message on `__redis__:invalidate` (the RESP2 redirect connection's);
    /// other pushes are not the cache's. A `tracking-redir-broken` push
    /// (the server lost the redirect connection) drops everything.
    fn apply(&self, frame: &Frame) {
        let Frame::Push(items) = frame else {
            return;
        };
        let keys = match &items[..] {
            [kind, keys] if kind.as_bytes() == Some(&b"invalidate"[..]) => keys,
            [kind, channel, keys]
                if kind.as_bytes() == Some(&b"message"[..])
                    && channel.as_bytes() == Some(INVALIDATIONS) =>
            {
                keys
            }
            [kind, ..] if kind.as_bytes() == Some(&b"tracking-redir-broken"[..]) => {
                return self.redirect_lost();
            }
            _ => return,
        };
        let mut store = self.lock();
        match keys {
            Frame::Array(keys) | Frame::Set(keys) => {
                for k in keys {
                    match k.as_bytes() {
                        Some(k) => {
                            store.invalidate(k);
                        }
                        // Not a key as the protocol has it: safest is all.
                        None => return store.flush(),
                    }
                }
            }
            // `FLUSHALL` / `FLUSHDB`: no keys, everything goes.
            _ => store.flush(),
        }
    }

    /// Connection `redirect` is the redirect connection from now on (one
    /// before it is taken as ended). False, and nothing registered, when
    /// it closed already.
    pub(crate) fn set_redirect(&self, redirect: &crate::connection::Connection) -> bool {
        let old = {
            let links = self.links();
            links.redirect
        };
        if let Some(old) = old {
            self.redirect_ended(old);
        }
        let mut links = self.links();
        // Checked under the lock its end takes: either it ended before
        // (and is closed now) or its end will find it registered.
        if redirect.is_closed() {
            return false;
        }
        links.redirect = Some(redirect.id());
        true
    }

    /// Whether `redirect` is still the registered redirect connection.
    pub(crate) fn is_redirect(&self, redirect: u64) -> bool {
        self.links().redirect == Some(redirect)
    }

    /// Tracking is on for `data`, its invalidations going to `redirect`;
    /// false (nothing registered) when `redirect` ended meanwhile.
    pub(crate) fn bind(&self, data: &crate::connection::Connection, redirect: u64) -> bool {
        let mut links = self.links();
        if links.redirect != Some(redirect) || data.is_closed() {
            return false;
        }
        links.tracked.push(data.id());
        links.bound.push((data.id(), data.retire_handle()));
        true
    }

    /// The redirect connection `redirect` ended or failed: the connections
    /// bound to it are retired (their reads would no longer be
    /// invalidated), then everything goes. Nothing when it was not the
    /// registered one (its end was handled already).
    pub(crate) fn redirect_ended(&self, redirect: u64) {
        let bound = {
            let mut links = self.links();
            if links.redirect != Some(redirect) {
                return;
            }
            links.redirect = None;
            Self::unbind_all(&mut links)
        };
        for (_, conn) in bound {
            conn.retire();
        }
        self.flush();
    }

    /// The server said the redirect connection is gone.
    #[cold]
    fn redirect_lost(&self) {
        let bound = {
            let mut links = self.links();
            links.redirect = None;
            Self::unbind_all(&mut links)
        };
        for (_, conn) in bound {
            conn.retire();
        }
        self.flush();
    }

    fn unbind_all(links: &mut Links) -> Vec<(u64, crate::connection::RetireHandle)> {
        let bound = std::mem::take(&mut links.bound);
        links.tracked.retain(|t| !bound.iter().any(|(b, _)| b == t));
        bound
    }

    fn links(&self) -> MutexGuard<'_, Links> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The bytes of an encoding whose large values stand elsewhere: `parts[i].1`
/// belongs at offset `parts[i].0` of `buf` (offsets ascending).
fn join_parts(buf: &[u8], parts: &[(usize, Bytes)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(buf.len() + parts.iter().map(|(_, p)| p.len()).sum::<usize>());
    let mut at = 0;
    for (offset, part) in parts {
        let offset = (*offset).clamp(at, buf.len());
        out.extend_from_slice(&buf[at..offset]);
        out.extend_from_slice(part);
        at = offset;
    }
    out.extend_from_slice(&buf[at..]);
    out
}

/// The channel the server publishes invalidations on for a redirect
/// connection.
const INVALIDATIONS: &[u8] = b"__redis__:invalidate";

impl crate::connection::PushObserver for Cache {
    fn connected(&self, _connection: u64) {
        // Nothing to drop: what earlier connections tracked went when they
        // ended, and a read reserved before this connection opened is sent
        // on it only once tracking is on.
    }

    fn push(&self, _connection: u64, frame: &Frame) {
        self.apply(frame);
    }

    fn disconnected(&self, connection: u64) {
        let was_tracking = {
            let mut links = self.links();
            if links.redirect == Some(connection) {
                drop(links);
                return self.redirect_ended(connection);
            }
            let before = links.tracked.len();
            links.tracked.retain(|&c| c != connection);
            links.bound.retain(|(c, _)| *c != connection);
            links.tracked.len() != before
        };
        if was_tracking {
            self.flush();
        }
    }
}

impl Cache {
    /// Turns tracking on for a new shared connection, before anything
    /// else uses it: on RESP3 the invalidations come on the connection
    /// itself; on RESP2 they go to the redirect connection of `redirect`.
    pub(crate) async fn start_tracking(
        &self,
        conn: &crate::connection::Connection,
        redirect: Option<&Redirect>,
    ) -> crate::Result<()> {
        if conn.server_info().protocol != crate::connection::Protocol::Resp3 {
            return match redirect {
                Some(redirect) => redirect.track(self, conn).await,
                None => Err(resp2_error()),
            };
        }
        conn.send(&self.mode.command()).await?;
        self.now_tracking(conn.id());
        Ok(())
    }

    /// [`start_tracking`](Self::start_tracking) for a blocking connection
    /// on RESP3 (RESP2 goes through [`redirect::Tracked`]).
    pub(crate) fn start_tracking_sync(
        &self,
        conn: &mut crate::connection::sync::Connection,
    ) -> crate::Result<()> {
        conn.send(&self.mode.command())?;
        self.now_tracking(conn.id());
        Ok(())
    }

    /// Forgets that tracking is on for `connection`, which served no read
    /// and is about to be dropped (it lost a race to open a node's
    /// connection): its end then drops nothing.
    pub(crate) fn forget(&self, connection: u64) {
        self.links().tracked.retain(|&c| c != connection);
    }

    fn now_tracking(&self, connection: u64) {
        self.links().tracked.push(connection);
    }
}

/// The error of a cluster client asked to keep a cache on RESP2 (it opens
/// no redirect connections).
pub(crate) fn resp2_error() -> crate::Error {
    crate::Error::new(
        crate::ErrorKind::Unsupported,
        "client-side caching on a cluster client needs RESP3 (the cluster clients open no \
         RESP2 redirect connections); use RESP3 or build the client without a cache",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::PushObserver;

    fn get(key: &str) -> crate::Cmd {
        let mut c = crate::Cmd::new("GET");
        c.arg(key);
        c
    }

    fn invalidate(keys: Option<&[&str]>) -> Frame {
        Frame::Push(vec![
            Frame::BulkString(Bytes::from_static(b"invalidate")),
            match keys {
                Some(keys) => Frame::Array(
                    keys.iter()
                        .map(|k| Frame::BulkString(Bytes::copy_from_slice(k.as_bytes())))
                        .collect(),
                ),
                None => Frame::Null,
            },
        ])
    }

    fn miss(cache: &Arc<Cache>, cmd: &crate::Cmd) -> Fill {
        match cache.lookup(cmd) {
            Lookup::Miss(fill) => fill,
            Lookup::Hit(f) => panic!("a hit: {f:?}"),
            Lookup::Pass | Lookup::Write(_) => panic!("not cached"),
        }
    }

    fn hit(cache: &Arc<Cache>, cmd: &crate::Cmd) -> Option<Frame> {
        match cache.lookup(cmd) {
            Lookup::Hit(f) => Some(f),
            _ => None,
        }
    }

    fn value(s: &str) -> crate::Result<Frame> {
        Ok(Frame::BulkString(Bytes::copy_from_slice(s.as_bytes())))
    }

    #[test]
    fn encoded_commands_split_into_their_arguments_and_stop_at_bad_bytes() {
        let mut ranges = Vec::new();
        let set = crate::Cmd::from_args(["SET", "key", "", "value"])
            .unwrap()
            .to_bytes();
        let args = Args::split(&set, &mut ranges);
        let all: Vec<&[u8]> = (0..args.count()).map(|i| args.at(i)).collect();
        assert_eq!(all, [&b"SET"[..], b"key", b"", b"value"]);
        // A length past the end, a length that is not a number, and a
        // missing line end each end the split where they are.
        for bad in [
            &b"*2\r\n$3\r\nGET\r\n$9\r\nk\r\n"[..],
            b"*2\r\n$3\r\nGET\r\n$x\r\nk\r\n",
            b"*2\r\n$3\r\nGET\r\n$1k\r\n",
            b"*2\r\n$3\r\nGET\r\n$99999999999999999999999\r\nk\r\n",
        ] {
            let args = Args::split(bad, &mut ranges);
            assert_eq!(args.count(), 1, "{:?}", String::from_utf8_lossy(bad));
            assert_eq!(args.at(0), b"GET");
        }
        assert_eq!(Args::split(b"", &mut ranges).count(), 0);
        // An encoded command sends the bytes it was found from.
        let get = get("a");
        let bytes = get.to_bytes();
        let encoded = Encoded {
            cmd: &get,
            bytes: &bytes,
            blocks: None,
        };
        let mut out = BytesMut::new();
        encoded.encode(&mut out);
        assert_eq!(out, bytes);
        assert_eq!(encoded.name(), "GET");
    }

    #[test]
    fn a_write_of_many_keys_holds_back_reads_of_each() {
        let cache = Cache::new(&CacheConfig::default());
        let keys = ["k1", "k2", "k3", "k4", "k5", "k6"];
        for k in keys {
            miss(&cache, &get(k)).fill(&value("old"));
        }
        let mut mset = crate::Cmd::new("MSET");
        for k in keys {
            mset.arg(k).arg("new");
        }
        let write = cache.lookup(&mset);
        assert!(matches!(write, Lookup::Write(_)));
        for k in keys {
            assert_eq!(hit(&cache, &get(k)), None, "{k} dropped by the write");
            miss(&cache, &get(k)).fill(&value("maybe old"));
            assert_eq!(hit(&cache, &get(k)), None, "{k} not stored meanwhile");
        }
        drop(write);
        for k in keys {
            miss(&cache, &get(k)).fill(&value("new"));
            assert_eq!(hit(&cache, &get(k)), value("new").ok(), "{k}");
        }
        assert!(cache.lock().writes_in_flight() == 0);
    }

    #[test]
    fn a_request_on_a_taken_connection_drops_the_keys_of_its_writes() {
        let cache = Cache::new(&CacheConfig::default());
        for k in ["a", "b", "c", "big"] {
            miss(&cache, &get(k)).fill(&value("old"));
        }
        // A transaction: reads and keyless commands drop nothing.
        let mut request = Vec::new();
        for args in [
            &["multi"][..],
            &["set", "a", "1"],
            &["get", "b"],
            &["ping"],
            &["exec"],
        ] {
            request.extend_from_slice(
                &crate::Cmd::from_args(args.iter().copied())
                    .unwrap()
                    .to_bytes(),
            );
        }
        let write = cache.before_request(&request, &[]).expect("a write of a");
        assert_eq!(hit(&cache, &get("a")), None);
        assert!(hit(&cache, &get("b")).is_some());
        miss(&cache, &get("a")).fill(&value("maybe old"));
        assert_eq!(hit(&cache, &get("a")), None, "held back until answered");
        drop(write);
        assert!(cache.lock().writes_in_flight() == 0);
        let reads = crate::Cmd::from_args(["MGET", "b", "c"])
            .unwrap()
            .to_bytes();
        assert!(cache.before_request(&reads, &[]).is_none());
        // A key standing elsewhere (a large value shared, not copied).
        let head = b"*3\r\n$3\r\nDEL\r\n$1\r\nc\r\n$3\r\n";
        let mut buf = head.to_vec();
        let at = buf.len();
        buf.extend_from_slice(b"\r\n");
        let parts = vec![(at, Bytes::from_static(b"big"))];
        assert_eq!(
            join_parts(&buf, &parts),
            b"*3\r\n$3\r\nDEL\r\n$1\r\nc\r\n$3\r\nbig\r\n"
        );
        let write = cache
            .before_request(&buf, &parts)
            .expect("a write of c and big");
        assert_eq!(hit(&cache, &get("c")), None);
        assert_eq!(hit(&cache, &get("big")), None);
        drop(write);
    }

    #[test]
    fn pushes_invalidate_by_key_and_flush_without_keys() {
        let cache = Cache::new(&CacheConfig::default());
        miss(&cache, &get("a")).fill(&value("1"));
        miss(&cache, &get("b")).fill(&value("2"));
        let mut range = crate::Cmd::new("GETRANGE");
        range.arg("a").arg(0).arg(1);
        miss(&cache, &range).fill(&value("1"));
        assert_eq!(hit(&cache, &get("a")), value("1").ok());
        cache.push(1, &invalidate(Some(&["a"])));
        assert_eq!(hit(&cache, &get("a")), None);
        assert_eq!(hit(&cache, &range), None);
        assert_eq!(hit(&cache, &get("b")), value("2").ok());
        cache.push(1, &invalidate(None));
        assert_eq!(hit(&cache, &get("b")), None);
        let stats = cache.stats();
        assert_eq!(stats.invalidations, 2);
        assert_eq!(stats.flushes, 1);
        assert_eq!(stats.hits, 2);
    }

    #[test]
    fn an_invalidation_read_before_the_reply_wins() {
        let cache = Cache::new(&CacheConfig::default());
        let fill = miss(&cache, &get("a"));
        // The driver reads the invalidation, then the reply.
        cache.push(1, &invalidate(Some(&["a"])));
        fill.fill(&value("stale"));
        assert_eq!(hit(&cache, &get("a")), None);
        assert_eq!(cache.stats().dropped_fills, 1);
    }

    #[test]
    fn a_connection_ending_flushes_and_other_pushes_do_nothing() {
        let cache = Cache::new(&CacheConfig::default());
        miss(&cache, &get("a")).fill(&value("1"));
        cache.now_tracking(1);
        cache.disconnected(2);
        assert!(hit(&cache, &get("a")).is_some(), "2 was not tracking");
        cache.push(
            1,
            &Frame::Push(vec![
                Frame::BulkString(Bytes::from_static(b"message")),
                Frame::BulkString(Bytes::from_static(b"a")),
            ]),
        );
        assert!(hit(&cache, &get("a")).is_some());
        let fill = miss(&cache, &get("b"));
        cache.disconnected(1);
        fill.fill(&value("2"));
        assert_eq!(hit(&cache, &get("a")), None);
        assert_eq!(hit(&cache, &get("b")), None);
    }

    #[test]
    fn resp2_messages_invalidate_and_a_broken_redirect_flushes() {
        let cache = Cache::new(&CacheConfig::default());
        miss(&cache, &get("a")).fill(&value("1"));
        miss(&cache, &get("b")).fill(&value("2"));
        let message = |keys: Frame| {
            Frame::Push(vec![
                Frame::BulkString(Bytes::from_static(b"message")),
                Frame::BulkString(Bytes::from_static(INVALIDATIONS)),
                keys,
            ])
        };
        let a = Frame::Array(vec![Frame::BulkString(Bytes::from_static(b"a"))]);
        // A message on another channel is not an invalidation.
        let elsewhere = Frame::Push(vec![
            Frame::BulkString(Bytes::from_static(b"message")),
            Frame::BulkString(Bytes::from_static(b"news")),
            a.clone(),
        ]);
        cache.push(1, &elsewhere);
        assert!(hit(&cache, &get("a")).is_some());
        cache.push(1, &message(a));
        assert_eq!(hit(&cache, &get("a")), None);
        assert!(hit(&cache, &get("b")).is_some());
        // A RESP2 null array: every key.
        cache.push(1, &message(Frame::Null));
        assert_eq!(hit(&cache, &get("b")), None);
        miss(&cache, &get("c")).fill(&value("3"));
        cache.push(
            1,
            &Frame::Push(vec![
                Frame::BulkString(Bytes::from_static(b"tracking-redir-broken")),
                Frame::Integer(7),
            ]),
        );
        assert_eq!(hit(&cache, &get("c")), None);
        assert_eq!(cache.stats().flushes, 2);
        // The redirect command carries the mode's options.
        let expect = |a: &[&str]| crate::Cmd::from_args(a.iter().copied()).unwrap().to_bytes();
        assert_eq!(
            TrackingMode::OptIn.redirect_command(42).to_bytes(),
            expect(&["CLIENT", "TRACKING", "ON", "OPTIN", "REDIRECT", "42"])
        );
    }

    #[test]
    fn each_mode_has_its_tracking_command_and_reach() {
        let encoded = |m: &TrackingMode| m.command().to_bytes();
        let expect = |a: &[&str]| crate::Cmd::from_args(a.iter().copied()).unwrap().to_bytes();
        assert_eq!(
            encoded(&TrackingMode::Default),
            expect(&["CLIENT", "TRACKING", "ON"])
        );
        assert_eq!(
            encoded(&TrackingMode::OptIn),
            expect(&["CLIENT", "TRACKING", "ON", "OPTIN"])
        );
        let bcast = TrackingMode::broadcast(["a:", "b:"]);
        assert_eq!(
            encoded(&bcast),
            expect(&["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a:", "PREFIX", "b:"])
        );
        let keys = |k: &[&str]| -> Vec<Bytes> {
            k.iter()
                .map(|k| Bytes::copy_from_slice(k.as_bytes()))
                .collect()
        };
        assert!(bcast.covers(keys(&["a:1", "b:2"])));
        assert!(!bcast.covers(keys(&["a:1", "c:2"])));
        assert!(TrackingMode::broadcast(Vec::<&str>::new()).covers(keys(&["any"])));
        assert!(TrackingMode::Default.covers(keys(&["any"])));
    }

    #[test]
    fn opt_in_reads_go_out_after_client_caching_yes() {
        let cache = Cache::new(&CacheConfig::default().mode(TrackingMode::OptIn));
        let fill = miss(&cache, &get("a"));
        let mut expected = crate::Cmd::from_args(["CLIENT", "CACHING", "YES"])
            .unwrap()
            .to_bytes()
            .to_vec();
        expected.extend_from_slice(&get("a").to_bytes());
        assert_eq!(fill.opt_in_request().as_deref(), Some(&expected[..]));
        let plain = Cache::new(&CacheConfig::default());
        assert_eq!(miss(&plain, &get("a")).opt_in_request(), None);
    }

    #[test]
    fn own_writes_drop_their_keys_and_errors_are_not_kept() {
        let cache = Cache::new(&CacheConfig::default());
        miss(&cache, &get("a")).fill(&value("1"));
        let mut set = crate::Cmd::new("SET");
        set.arg("a").arg("2");
        let write = cache.lookup(&set);
        assert!(matches!(write, Lookup::Write(_)));
        let during = miss(&cache, &get("a"));
        drop(write);
        during.fill(&value("1"));
        assert_eq!(
            hit(&cache, &get("a")),
            None,
            "began while the write was in flight"
        );
        assert_eq!(hit(&cache, &get("a")), None);
        miss(&cache, &get("a")).fill(&Err(crate::Error::new(crate::ErrorKind::Io, "gone")));
        assert_eq!(hit(&cache, &get("a")), None);
        let ttl = {
            let mut c = crate::Cmd::new("TTL");
            c.arg("a");
            c
        };
        assert!(matches!(cache.lookup(&ttl), Lookup::Pass));
    }
}
