//! Events and metrics: what a client's connections go through, and counts
//! of what they did.
//!
//! # Events
//!
//! A listener registered with [`ClientBuilder::on_event`](crate::ClientBuilder::on_event)
//! (or [`ConnectionConfig::on_event`](crate::connection::ConnectionConfig::on_event)
//! for the blocking, Sentinel and Cluster clients, which take a
//! configuration) is called with every [`Event`]: a connection opened, its
//! handshake done, a connection ended, a reconnect after a backoff, a
//! command sent again, a Sentinel failover followed, a Cluster redirect.
//!
//! ```no_run
//! # async fn demo() -> respec::Result<()> {
//! use respec::events::Event;
//!
//! let client = respec::Client::builder("redis://127.0.0.1:6379")?
//!     .on_event(|event| {
//!         if let Event::Disconnected { addr, error: Some(error), .. } = event {
//!             eprintln!("lost {addr}: {error:?}");
//!         }
//!     })
//!     .build();
//! # Ok(()) }
//! ```
//!
//! Listeners run inline, on the task or thread that saw the event (often
//! the connection's driver), so they must be quick: hand anything slow to
//! a channel. A listener that panics is caught: the panic is dropped, the
//! connection goes on, and the other listeners still run.
//!
//! Events never carry a password, a credential or a command's argument
//! values: commands are named by their name only (`SET`, `CLIENT KILL`),
//! errors by their [`ErrorClass`].
//!
//! # Metrics
//!
//! Every client counts, without any cargo feature, the commands it sent,
//! the errors by class, a latency histogram, the bytes written and read,
//! and the connections it opened and lost; [`Client::metrics`](crate::Client::metrics)
//! returns a [`MetricsSnapshot`] of them (with the pool's use). The counts
//! are relaxed atomics, added once per driver wake-up rather than once per
//! command, so counting costs nothing measurable.
//!
//! # Cargo features
//!
//! - `tracing` (off by default): every event is also a `tracing` event
//!   (target `respec::events`), and each command of the async and blocking
//!   clients, standalone and cluster, runs in a `redis.command` span at
//!   `DEBUG` level with the fields `db.system` (`"redis"`),
//!   `db.operation.name` (the command's name, never its arguments),
//!   `server.address` and `db.namespace` (the database index). On a
//!   cluster, `server.address` is the node the command went to (the last
//!   one, after `MOVED` or `ASK`), recorded once it is known, and stays
//!   empty for a command sent to several nodes (every primary, or split
//!   by slot). Pipelines run in a `redis.pipeline` span with
//!   `db.operation.batch.size` (on a cluster without `server.address`:
//!   its commands are split by node, each part in no span of its own).
//!   Without the feature, nothing of `tracing` is compiled in.
//! - `metrics` (off by default): the counts are also recorded through the
//!   [`metrics`](https://docs.rs/metrics) crate, in the recorder installed
//!   when the client is built (see [`MetricsSnapshot`] for the names).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use crate::connection::{Addr, Protocol};
use crate::error::{Error, ErrorKind};

/// Something that happened to a client's connections.
///
/// Marked `#[non_exhaustive]`: new events may come, so match with a `_`
/// arm. No event carries a password or a command's argument values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A socket to `addr` opened (and its TLS session, for `rediss://`);
    /// the handshake comes next.
    Connected {
        /// The server's address.
        addr: Addr,
    },
    /// A connection's handshake (`HELLO`, `AUTH`, `SELECT`, ...) passed:
    /// it takes commands from now on.
    HandshakeDone {
        /// The server's address.
        addr: Addr,
        /// The connection's number, as in [`Connection::id`](crate::connection::Connection::id)
        /// (the blocking connection's [`id`](crate::connection::sync::Connection::id)).
        connection: u64,
        /// The protocol the connection speaks.
        protocol: Protocol,
        /// `"redis"` or `"valkey"`.
        server: String,
        /// The server's version.
        version: (u16, u16, u16),
    },
    /// Opening a connection failed: the socket, TLS or the handshake.
    ConnectFailed {
        /// The server's address.
        addr: Addr,
        /// What kind of failure.
        error: ErrorClass,
    },
    /// A connection ended.
    Disconnected {
        /// The server's address.
        addr: Addr,
        /// The connection's number (as in [`Event::HandshakeDone`]).
        connection: u64,
        /// Why: `None` when the client closed it (every handle dropped),
        /// the class of the failure otherwise (the server closed it, a
        /// health check went unanswered, a protocol error, ...).
        error: Option<ErrorClass>,
    },
    /// The client connects again after its connection was lost (or after
    /// failed attempts), waiting `delay` first (the reconnect backoff,
    /// [`ConnectionConfig::reconnect`](crate::connection::ConnectionConfig::reconnect)).
    Reconnecting {
        /// The server's address.
        addr: Addr,
        /// 1 for the first attempt after the connection was lost, growing
        /// while attempts fail.
        attempt: u32,
        /// The wait before this attempt.
        delay: Duration,
    },
    /// A command failed and is sent again under the retry policy
    /// ([`crate::retry`]).
    Retried {
        /// The command's name (`GET`, `CLIENT INFO`), never its arguments.
        command: String,
        /// The attempt about to be made: 2 for the first retry.
        attempt: u32,
        /// What the failed attempt ended with.
        error: ErrorClass,
        /// The wait before the attempt.
        delay: Duration,
    },
    /// A Sentinel-managed client moved to a new master (see
    /// [`crate::sentinel`]).
    Failover {
        /// The master's service name.
        service: String,
        /// The master it used before.
        from: Addr,
        /// The new master.
        to: Addr,
    },
    /// A Cluster node answered `MOVED` or `ASK`: the command goes on to
    /// the node named.
    Redirected {
        /// Which redirect.
        kind: RedirectKind,
        /// The hash slot.
        slot: u16,
        /// The node the command goes to (`host:port`).
        to: String,
    },
}

impl Event {
    /// The event's name in snake case (`"connected"`, `"disconnected"`),
    /// as the `tracing` events and the `metrics` labels spell it.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Connected { .. } => "connected",
            Event::HandshakeDone { .. } => "handshake_done",
            Event::ConnectFailed { .. } => "connect_failed",
            Event::Disconnected { .. } => "disconnected",
            Event::Reconnecting { .. } => "reconnecting",
            Event::Retried { .. } => "retried",
            Event::Failover { .. } => "failover",
            Event::Redirected { .. } => "redirected",
        }
    }

    /// The event's place among [`Event::NAMES`].
    #[cfg(feature = "metrics")]
    fn index(&self) -> usize {
        match self {
            Event::Connected { .. } => 0,
            Event::HandshakeDone { .. } => 1,
            Event::ConnectFailed { .. } => 2,
            Event::Disconnected { .. } => 3,
            Event::Reconnecting { .. } => 4,
            Event::Retried { .. } => 5,
            Event::Failover { .. } => 6,
            Event::Redirected { .. } => 7,
        }
    }

    /// Every event's [`name`](Self::name).
    pub const NAMES: [&'static str; 8] = [
        "connected",
        "handshake_done",
        "connect_failed",
        "disconnected",
        "reconnecting",
        "retried",
        "failover",
        "redirected",
    ];
}

/// Which Cluster redirect ([`Event::Redirected`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RedirectKind {
    /// `MOVED`: the slot has a new owner for good.
    Moved,
    /// `ASK`: the slot is migrating; this one command goes to the
    /// importing node.
    Ask,
}

/// The class of an error, as events and metrics name it: the
/// [`ErrorKind`] without its details (a server error's message may quote
/// the command's arguments, so it is not kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// An I/O error on the socket ([`ErrorKind::Io`]).
    Io,
    /// Malformed data from the server ([`ErrorKind::Protocol`]).
    Protocol,
    /// An error reply from the server ([`ErrorKind::Server`]).
    Server,
    /// No reply (or no connection) in time ([`ErrorKind::Timeout`]).
    Timeout,
    /// Authentication refused ([`ErrorKind::Auth`]).
    Auth,
    /// The connection closed or could not be used
    /// ([`ErrorKind::ConnectionClosed`]).
    ConnectionClosed,
    /// TLS failed ([`ErrorKind::Tls`]).
    Tls,
    /// Anything else (bad input, an unsupported command, a conversion).
    Other,
}

impl ErrorClass {
    /// Every class, in the order of [`ErrorCounts::iter`].
    pub const ALL: [ErrorClass; 8] = [
        ErrorClass::Io,
        ErrorClass::Protocol,
        ErrorClass::Server,
        ErrorClass::Timeout,
        ErrorClass::Auth,
        ErrorClass::ConnectionClosed,
        ErrorClass::Tls,
        ErrorClass::Other,
    ];

    /// The class of `error`.
    pub fn of(error: &Error) -> ErrorClass {
        match error.kind() {
            ErrorKind::Io => ErrorClass::Io,
            ErrorKind::Protocol => ErrorClass::Protocol,
            ErrorKind::Server { .. } => ErrorClass::Server,
            ErrorKind::Timeout => ErrorClass::Timeout,
            ErrorKind::Auth => ErrorClass::Auth,
            ErrorKind::ConnectionClosed => ErrorClass::ConnectionClosed,
            ErrorKind::Tls => ErrorClass::Tls,
            _ => ErrorClass::Other,
        }
    }

    /// The class's name in snake case (`"connection_closed"`), the
    /// `kind` label of the exported error counter.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Io => "io",
            ErrorClass::Protocol => "protocol",
            ErrorClass::Server => "server",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Auth => "auth",
            ErrorClass::ConnectionClosed => "connection_closed",
            ErrorClass::Tls => "tls",
            ErrorClass::Other => "other",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A function called with every [`Event`] (see the [module docs](self)).
pub type Listener = Arc<dyn Fn(&Event) + Send + Sync>;

/// The listeners and the counters of one client, carried in its
/// [`ConnectionConfig::observer`](crate::connection::ConnectionConfig::observer)
/// to every connection the client opens.
///
/// Cheap to clone: clones share the listeners and the counters. Each
/// [`Client`](crate::Client) and blocking
/// [`Client`](crate::blocking::Client) starts counters of its own when it
/// is built, keeping the listeners, so two clients made from one
/// configuration count apart. Two observers are equal when they share
/// both.
#[derive(Clone, Default)]
pub struct Observer {
    listeners: Arc<Vec<Listener>>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer")
            .field("listeners", &self.listeners.len())
            .finish_non_exhaustive()
    }
}

impl PartialEq for Observer {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.listeners, &other.listeners) && Arc::ptr_eq(&self.metrics, &other.metrics)
    }
}

impl Observer {
    /// No listeners, counters at zero.
    pub fn new() -> Self {
        Observer::default()
    }

    /// This observer with `listener` added after the ones it has.
    pub fn on_event(mut self, listener: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        let mut all: Vec<Listener> = self.listeners.as_ref().clone();
        all.push(Arc::new(listener));
        self.listeners = Arc::new(all);
        self
    }

    /// How many listeners are registered.
    pub fn listener_count(&self) -> usize {
        self.listeners.len()
    }

    /// The counters now (with no pool figures: see
    /// [`Client::metrics`](crate::Client::metrics) for those).
    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// The same listeners with counters of its own, at zero.
    pub(crate) fn with_fresh_metrics(&self) -> Self {
        Observer {
            listeners: self.listeners.clone(),
            metrics: Arc::new(Metrics::default()),
        }
    }

    pub(crate) fn counters(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Counts `event`, passes it to `tracing` (with that feature) and to
    /// every listener; a listener's panic is caught and dropped.
    pub(crate) fn emit(&self, event: Event) {
        self.metrics.on_event(&event);
        #[cfg(feature = "tracing")]
        trace_event(&event);
        for listener in self.listeners.iter() {
            let _ = catch_unwind(AssertUnwindSafe(|| listener(&event)));
        }
    }

    /// Counts a request that failed with `error`.
    pub(crate) fn error(&self, error: &Error) {
        self.metrics.error(ErrorClass::of(error));
    }
}

#[cfg(feature = "tracing")]
fn trace_event(event: &Event) {
    match event {
        Event::Disconnected { error: Some(_), .. } | Event::ConnectFailed { .. } => {
            tracing::warn!(target: "respec::events", event = event.name(), details = ?event, "{}", event.name())
        }
        Event::Reconnecting { .. } | Event::Retried { .. } | Event::Failover { .. } => {
            tracing::info!(target: "respec::events", event = event.name(), details = ?event, "{}", event.name())
        }
        _ => {
            tracing::debug!(target: "respec::events", event = event.name(), details = ?event, "{}", event.name())
        }
    }
}

/// The span a command runs in (feature `tracing`): its name, never its
/// arguments.
#[cfg(feature = "tracing")]
pub(crate) fn command_span(name: &str, addr: &Addr, db: i64) -> tracing::Span {
    tracing::debug_span!(
        "redis.command",
        db.system = "redis",
        db.operation.name = name,
        server.address = %addr,
        db.namespace = db,
    )
}

/// The span a cluster client's command runs in (feature `tracing`): the
/// same `redis.command` span as a standalone client's, its
/// `server.address` recorded once the node is known (see
/// [`record_node`]); database 0, the only one a cluster has.
#[cfg(feature = "tracing")]
pub(crate) fn cluster_command_span(name: &str) -> tracing::Span {
    tracing::debug_span!(
        "redis.command",
        db.system = "redis",
        db.operation.name = name,
        server.address = tracing::field::Empty,
        db.namespace = 0,
    )
}

/// Records in a cluster command's span the node it went to (the last one
/// tried, after redirects); nothing for a command sent to several nodes.
#[cfg(feature = "tracing")]
pub(crate) fn record_node(span: &tracing::Span, node: Option<&crate::cluster::NodeAddr>) {
    if let Some(node) = node {
        span.record("server.address", tracing::field::display(node));
    }
}

/// The span a pipeline runs in (feature `tracing`).
#[cfg(feature = "tracing")]
pub(crate) fn pipeline_span(len: usize, addr: &Addr, db: i64) -> tracing::Span {
    tracing::debug_span!(
        "redis.pipeline",
        db.system = "redis",
        db.operation.name = "PIPELINE",
        db.operation.batch.size = len,
        server.address = %addr,
        db.namespace = db,
    )
}

/// The span a cluster client's pipeline runs in (feature `tracing`): the
/// `redis.pipeline` span of a standalone client, with no single
/// `server.address` (a pipeline is split by node).
#[cfg(feature = "tracing")]
pub(crate) fn cluster_pipeline_span(len: usize) -> tracing::Span {
    tracing::debug_span!(
        "redis.pipeline",
        db.system = "redis",
        db.operation.name = "PIPELINE",
        db.operation.batch.size = len,
        server.address = tracing::field::Empty,
        db.namespace = 0,
    )
}

/// How many buckets a [`LatencyHistogram`] has (at most 32: the driver
/// marks the buckets it touched in a `u32`).
pub const LATENCY_BUCKETS: usize = 22;

/// The bucket of a latency: bucket `i` holds latencies below `2^(i+4)` µs
/// (16 µs, 32 µs, ... about 16.8 s) and at least the bound of bucket
/// `i - 1`; the last holds everything longer.
#[inline]
fn bucket_of(us: u64) -> usize {
    ((64 - (us >> 4).leading_zeros()) as usize).min(LATENCY_BUCKETS - 1)
}

/// `d` in whole microseconds, without the 128-bit arithmetic of
/// [`Duration::as_micros`].
#[inline]
fn micros(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000)
        .saturating_add(u64::from(d.subsec_micros()))
}

/// The shared counters of one client.
#[derive(Default)]
pub(crate) struct Metrics {
    commands: AtomicU64,
    errors: [AtomicU64; 8],
    latency: [AtomicU64; LATENCY_BUCKETS],
    latency_sum_us: AtomicU64,
    bytes_out: AtomicU64,
    bytes_in: AtomicU64,
    opened: AtomicU64,
    closed: AtomicU64,
    connect_failures: AtomicU64,
    reconnects: AtomicU64,
    retries: AtomicU64,
    redirects: AtomicU64,
    failovers: AtomicU64,
    #[cfg(feature = "metrics")]
    export: export::Exported,
}

impl Metrics {
    fn on_event(&self, event: &Event) {
        #[cfg(feature = "metrics")]
        self.export.event(event);
        let counter = match event {
            Event::HandshakeDone { .. } => &self.opened,
            Event::Disconnected { .. } => &self.closed,
            Event::ConnectFailed { .. } => &self.connect_failures,
            Event::Reconnecting { .. } => &self.reconnects,
            Event::Retried { .. } => &self.retries,
            Event::Redirected { .. } => &self.redirects,
            Event::Failover { .. } => &self.failovers,
            Event::Connected { .. } => return,
        };
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn error(&self, class: ErrorClass) {
        self.errors[class.index()].fetch_add(1, Relaxed);
        #[cfg(feature = "metrics")]
        self.export.error(class);
    }

    /// Counts one latency at once (the blocking client; the async driver
    /// gathers them in a [`Tally`]).
    pub(crate) fn latency(&self, d: Duration) {
        let us = micros(d);
        self.latency[bucket_of(us)].fetch_add(1, Relaxed);
        self.latency_sum_us.fetch_add(us, Relaxed);
        #[cfg(feature = "metrics")]
        self.export.latency(d);
    }

    pub(crate) fn add(&self, commands: u64, bytes_out: u64, bytes_in: u64) {
        if commands > 0 {
            self.commands.fetch_add(commands, Relaxed);
        }
        if bytes_out > 0 {
            self.bytes_out.fetch_add(bytes_out, Relaxed);
        }
        if bytes_in > 0 {
            self.bytes_in.fetch_add(bytes_in, Relaxed);
        }
        #[cfg(feature = "metrics")]
        self.export.add(commands, bytes_out, bytes_in);
    }

    fn snapshot(&self) -> MetricsSnapshot {
        let mut errors = [0; 8];
        for (e, a) in errors.iter_mut().zip(&self.errors) {
            *e = a.load(Relaxed);
        }
        let mut counts = [0; LATENCY_BUCKETS];
        for (c, a) in counts.iter_mut().zip(&self.latency) {
            *c = a.load(Relaxed);
        }
        MetricsSnapshot {
            commands: self.commands.load(Relaxed),
            errors: ErrorCounts { counts: errors },
            latency: LatencyHistogram {
                counts,
                sum: Duration::from_micros(self.latency_sum_us.load(Relaxed)),
            },
            bytes_sent: self.bytes_out.load(Relaxed),
            bytes_received: self.bytes_in.load(Relaxed),
            connections_opened: self.opened.load(Relaxed),
            connections_closed: self.closed.load(Relaxed),
            connect_failures: self.connect_failures.load(Relaxed),
            reconnects: self.reconnects.load(Relaxed),
            retries: self.retries.load(Relaxed),
            redirects: self.redirects.load(Relaxed),
            failovers: self.failovers.load(Relaxed),
            pool: None,
        }
    }
}

/// Counts a connection driver gathers between two wake-ups and adds to
/// the shared [`Metrics`] at once ([`flush`](Self::flush)), so that the
/// hot path touches no shared cache line per command.
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) commands: u64,
    pub(crate) bytes_out: u64,
    pub(crate) bytes_in: u64,
    latency: [u32; LATENCY_BUCKETS],
    latency_sum_us: u64,
    /// A bit for each bucket of `latency` that is not zero.
    touched: u32,
}

impl Tally {
    /// Notes the latency of one request, in microseconds.
    #[inline]
    pub(crate) fn latency(&mut self, us: u64, _metrics: &Metrics) {
        let bucket = bucket_of(us);
        self.latency[bucket] += 1;
        self.touched |= 1 << bucket;
        self.latency_sum_us += us;
        #[cfg(feature = "metrics")]
        _metrics.export.latency(Duration::from_micros(us));
    }

    /// Adds what was gathered to `metrics` and starts again from zero.
    #[inline]
    pub(crate) fn flush(&mut self, metrics: &Metrics) {
        if self.commands | self.bytes_out | self.bytes_in != 0 {
            metrics.add(self.commands, self.bytes_out, self.bytes_in);
            self.commands = 0;
            self.bytes_out = 0;
            self.bytes_in = 0;
        }
        while self.touched != 0 {
            let bucket = self.touched.trailing_zeros() as usize;
            self.touched &= self.touched - 1;
            let n = std::mem::take(&mut self.latency[bucket]);
            metrics.latency[bucket].fetch_add(u64::from(n), Relaxed);
        }
        if self.latency_sum_us != 0 {
            metrics
                .latency_sum_us
                .fetch_add(std::mem::take(&mut self.latency_sum_us), Relaxed);
        }
    }
}

/// A client's counters at one moment ([`Client::metrics`](crate::Client::metrics),
/// [`blocking::Client::metrics`](crate::blocking::Client::metrics),
/// [`Observer::metrics`]).
///
/// Counted from when the client was built, across reconnects. With the
/// `metrics` feature the same counts go to the installed recorder as
/// `respec_commands_total`, `respec_errors_total` (label `kind`:
/// [`ErrorClass::name`]), `respec_command_duration_seconds` (a histogram),
/// `respec_bytes_sent_total`, `respec_bytes_received_total` and
/// `respec_events_total` (label `event`: [`Event::name`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Commands sent to a server (each command of a pipeline or
    /// transaction counts; the client's own `PING`s for health checks and
    /// reply checks do not; nor does the handshake).
    pub commands: u64,
    /// Requests that failed, by class: error replies to single commands
    /// (an error inside a pipeline's replies is a reply, not counted),
    /// timeouts, and requests failed by a lost connection.
    pub errors: ErrorCounts,
    /// How long requests took from being queued for writing to their
    /// reply (one sample per command, or per pipeline).
    pub latency: LatencyHistogram,
    /// Bytes written to servers (after the handshake).
    pub bytes_sent: u64,
    /// Bytes read from servers (after the handshake).
    pub bytes_received: u64,
    /// Connections opened (handshake done), the pool's included.
    pub connections_opened: u64,
    /// Connections ended.
    pub connections_closed: u64,
    /// Connection attempts that failed.
    pub connect_failures: u64,
    /// Reconnects of the shared connection ([`Event::Reconnecting`]).
    pub reconnects: u64,
    /// Commands sent again ([`Event::Retried`]).
    pub retries: u64,
    /// Cluster redirects followed ([`Event::Redirected`]).
    pub redirects: u64,
    /// Sentinel failovers followed ([`Event::Failover`]).
    pub failovers: u64,
    /// The pool of dedicated connections, for a client that has one.
    pub pool: Option<crate::pool::PoolStats>,
}

/// Errors counted by [`ErrorClass`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorCounts {
    counts: [u64; 8],
}

impl ErrorCounts {
    /// The count of one class.
    pub fn get(&self, class: ErrorClass) -> u64 {
        self.counts[class.index()]
    }

    /// Every error counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Each class with its count, in the order of [`ErrorClass::ALL`].
    pub fn iter(&self) -> impl Iterator<Item = (ErrorClass, u64)> + '_ {
        ErrorClass::ALL.into_iter().zip(self.counts.iter().copied())
    }
}

/// Request latencies in [`LATENCY_BUCKETS`] fixed buckets whose bounds
/// double: below 16 µs, below 32 µs, ... below 2^24 µs (about 16.8 s), and
/// longer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LatencyHistogram {
    counts: [u64; LATENCY_BUCKETS],
    sum: Duration,
}

impl LatencyHistogram {
    /// The count in each bucket.
    pub fn counts(&self) -> &[u64; LATENCY_BUCKETS] {
        &self.counts
    }

    /// The upper bound (exclusive) of bucket `i`; `None` for the last,
    /// which has none, and past the end.
    pub fn upper_bound(i: usize) -> Option<Duration> {
        (i + 1 < LATENCY_BUCKETS).then(|| Duration::from_micros(1 << (i + 4)))
    }

    /// How many latencies were counted.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Their sum (to the microsecond).
    pub fn sum(&self) -> Duration {
        self.sum
    }

    /// Their mean, when there is any.
    pub fn mean(&self) -> Option<Duration> {
        let n = self.count();
        (n > 0).then(|| self.sum / u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// An upper bound for quantile `q` (0.5 for the median, 0.99, ...):
    /// the upper bound of the bucket it falls in. `None` with no
    /// latencies, or when it falls in the last bucket, which has no bound.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::upper_bound(i);
            }
        }
        None
    }
}

#[cfg(feature = "metrics")]
mod export {
    //! The counts, recorded through the `metrics` crate.

    use super::{ErrorClass, Event};
    use std::time::Duration;

    /// Handles taken from the recorder installed when the client was
    /// built.
    pub(super) struct Exported {
        commands: metrics::Counter,
        bytes_out: metrics::Counter,
        bytes_in: metrics::Counter,
        latency: metrics::Histogram,
        errors: [metrics::Counter; 8],
        events: [metrics::Counter; 8],
    }

    impl Default for Exported {
        fn default() -> Self {
            Exported {
                commands: metrics::counter!("respec_commands_total"),
                bytes_out: metrics::counter!("respec_bytes_sent_total"),
                bytes_in: metrics::counter!("respec_bytes_received_total"),
                latency: metrics::histogram!("respec_command_duration_seconds"),
                errors: ErrorClass::ALL
                    .map(|c| metrics::counter!("respec_errors_total", "kind" => c.name())),
                events: Event::NAMES
                    .map(|name| metrics::counter!("respec_events_total", "event" => name)),
            }
        }
    }

    impl Exported {
        pub(super) fn add(&self, commands: u64, bytes_out: u64, bytes_in: u64) {
            self.commands.increment(commands);
            self.bytes_out.increment(bytes_out);
            self.bytes_in.increment(bytes_in);
        }

        pub(super) fn latency(&self, d: Duration) {
            self.latency.record(d.as_secs_f64());
        }

        pub(super) fn error(&self, class: ErrorClass) {
            self.errors[class.index()].increment(1);
        }

        pub(super) fn event(&self, event: &Event) {
            self.events[event.index()].increment(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_line_up() {
        let e = Event::Failover {
            service: "s".into(),
            from: Addr::Unix("/a".into()),
            to: Addr::Unix("/b".into()),
        };
        assert_eq!(Event::NAMES[6], e.name());
    }

    #[test]
    fn buckets_double() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(15), 0);
        assert_eq!(bucket_of(16), 1);
        assert_eq!(bucket_of(31), 1);
        assert_eq!(bucket_of(32), 2);
        assert_eq!(bucket_of(1000), 6); // below 1024 µs
        assert_eq!(
            bucket_of(micros(Duration::from_secs(3600))),
            LATENCY_BUCKETS - 1
        );
        for i in 0..LATENCY_BUCKETS - 1 {
            let bound = LatencyHistogram::upper_bound(i).unwrap();
            assert_eq!(bucket_of(micros(bound) - 1), i);
            assert_eq!(bucket_of(micros(bound)), i + 1);
        }
        assert_eq!(LatencyHistogram::upper_bound(LATENCY_BUCKETS - 1), None);
    }

    #[test]
    fn tally_adds_up() {
        let m = Metrics::default();
        let mut t = Tally::default();
        t.commands += 3;
        t.bytes_out += 40;
        t.bytes_in += 12;
        t.latency(100, &m);
        t.latency(20, &m);
        t.flush(&m);
        t.flush(&m);
        let s = m.snapshot();
        assert_eq!((s.commands, s.bytes_sent, s.bytes_received), (3, 40, 12));
        assert_eq!(s.latency.count(), 2);
        assert_eq!(s.latency.counts()[1], 1);
        assert_eq!(s.latency.counts()[3], 1);
        assert_eq!(s.latency.sum(), Duration::from_micros(120));
        assert_eq!(s.latency.mean(), Some(Duration::from_micros(60)));
        assert_eq!(s.latency.quantile(0.5), Some(Duration::from_micros(32)));
        assert_eq!(s.latency.quantile(1.0), Some(Duration::from_micros(128)));
    }

    #[test]
    fn a_panicking_listener_is_contained() {
        let seen = Arc::new(AtomicU64::new(0));
        let s = seen.clone();
        let o = Observer::new()
            .on_event(|_| panic!("listener bug"))
            .on_event(move |_| {
                s.fetch_add(1, Relaxed);
            });
        o.emit(Event::Connected {
            addr: Addr::Tcp {
                host: "127.0.0.1".into(),
                port: 1,
            },
        });
        assert_eq!(seen.load(Relaxed), 1);
        assert_eq!(o.listener_count(), 2);
    }
}
