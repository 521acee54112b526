//! The blocking client.
//!
//! [`Client`] keeps a small stack of idle connections. A call takes one
//! (or, when none is idle, opens a new one), does its I/O on it without
//! holding any lock, and puts it back only when it is fit for the next
//! caller: not broken, no reply left unread, no reply timed out (its late
//! reply may still come), and no `WATCH`, `MULTI`, `SELECT` or similar
//! state left on it. At most eight idle connections are kept; any more are
//! closed. So a thread waiting on a slow or stalled server holds up no
//! other thread: each waits at most its own timeout.
//!
//! - **Timeouts.** Each wait for bytes of a reply is bounded by the
//!   response timeout ([`ConnectionConfig::response_timeout`], 30 s by
//!   default). A blocking command (`BLPOP k 5`, `XREAD ... BLOCK 5000`,
//!   raw or generated: [`Command::blocks`]) gets its block time on top, one
//!   that blocks forever (`BLPOP k 0`) no bound. A reply that does not come
//!   in time is an [`ErrorKind::Timeout`] error, "no reply within ...", and
//!   its connection is closed. Opening a connection is bounded by the
//!   connect timeout.
//! - **Reconnects.** Connections open on demand. Once a connection dropped
//!   or an attempt to open one failed, further attempts, from every thread
//!   using the client, are spaced by the backoff of
//!   [`ConnectionConfig::reconnect`] until a new connection works; a
//!   dropped connection also closes the idle ones (a restarted server
//!   dropped them all). The [`Subscriber`] spaces its reconnects the same
//!   way.
//! - **Pushes.** RESP3 push frames (client-side caching invalidations)
//!   that any of the client's connections reads while it waits for a
//!   reply go to the client's push channel ([`Client::pushes`]), bounded
//!   like the async client's; each connection's opening and end is an
//!   event there too. A connection reads only during a call, so a push
//!   arrives at the latest with the reply of the next call on its
//!   connection. Inside [`Client::with_connection`],
//!   [`Connection::next_push`] takes a connection's pushes directly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::backoff::Gate;
use crate::cmd::{Block, Cmd, Command, Target};
use crate::connection::sync::Connection;
use crate::connection::{
    ConnectionConfig, PushPublisher, PushReceiver, ServerInfo, WithAttributes,
    DEFAULT_PUSH_CAPACITY,
};
use crate::error::Result;
use crate::error::{Error, ErrorKind};
use crate::events::{ErrorClass, Event, MetricsSnapshot};
use crate::executor::BlockingExecutor;
use crate::pipeline::Pipeline;
use crate::pubsub::{Message, Subscriptions};
use crate::reply::FromResp;
use crate::resp::Frame;
use crate::retry::RetryPolicy;

/// How many idle connections a client keeps.
const MAX_IDLE: usize = 8;

/// A blocking client; share it between threads (behind an `Arc` or a
/// reference).
///
/// Each call runs on a connection of its own, taken from the client's idle
/// connections or opened for it, and no lock is held while it waits for
/// the server (see the [module documentation](self)). A connection that
/// broke is replaced on the next call.
///
/// ```no_run
/// let client = respec::blocking::Client::open("redis://127.0.0.1:6379")?;
/// let reply = client.execute(&respec::Cmd::from_args(["PING"]).unwrap())?;
/// assert_eq!(reply, respec::Frame::SimpleString("PONG".into()));
/// # Ok::<(), respec::Error>(())
/// ```
pub struct Client {
    config: ConnectionConfig,
    /// Idle connections, the most recently used last. Locked only to push
    /// or pop.
    idle: Mutex<Vec<Connection>>,
    /// Spaces connection attempts while they keep failing.
    gate: Gate,
    /// Whether connections are failing (attempts then go through `gate`),
    /// and since when: cleared by a call that works on a connection opened
    /// after that.
    troubled: AtomicBool,
    trouble_since: Mutex<Option<Instant>>,
    /// The push channel every connection publishes to.
    pushes: PushPublisher,
    /// Connection attempts failed in a row, for [`Event::Reconnecting`].
    streak: std::sync::atomic::AtomicU32,
    /// The client-side cache, when configured ([`Client::with_cache`]),
    /// and the connection its reads go through, tracking on.
    cache: Option<Arc<crate::cache::Cache>>,
    tracked: Mutex<Option<crate::cache::Tracked>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish()
    }
}

impl Client {
    /// A client for the server at `url` (see [`ConnectionConfig::from_url`]).
    pub fn open(url: &str) -> Result<Self> {
        Ok(Self::with_config(ConnectionConfig::from_url(url)?))
    }

    /// A client with explicit settings. Its connection events go to the
    /// listeners of `config` ([`ConnectionConfig::on_event`]); its
    /// counters start at zero ([`metrics`](Self::metrics)).
    pub fn with_config(mut config: ConnectionConfig) -> Self {
        config.observer = config.observer.with_fresh_metrics();
        Client {
            streak: std::sync::atomic::AtomicU32::new(0),
            gate: Gate::new(config.reconnect),
            config,
            idle: Mutex::new(Vec::new()),
            troubled: AtomicBool::new(false),
            trouble_since: Mutex::new(None),
            pushes: PushPublisher::new(DEFAULT_PUSH_CAPACITY),
            cache: None,
            tracked: Mutex::new(None),
        }
    }

    /// This client with client-side caching of read-only commands'
    /// replies, kept fresh by the server's invalidations (see
    /// [`crate::cache`]). Cached reads go through one connection of their
    /// own with `CLIENT TRACKING` on (on RESP2 with a second one its
    /// invalidations are redirected to), one at a time: before each, the
    /// invalidations that arrived are applied, and a read that misses is a
    /// round trip on it (and on RESP2 one on the redirect connection),
    /// after which every invalidation of a write that completed before it
    /// began is applied.
    /// Other commands run as before.
    ///
    /// ```no_run
    /// use respec::cache::CacheConfig;
    /// use respec::prelude::*;
    ///
    /// let client = respec::blocking::Client::open("redis://127.0.0.1:6379")?
    ///     .with_cache(CacheConfig::default());
    /// let name = client.get("user:1").run()?; // a miss
    /// let again = client.get("user:1").run()?; // a hit
    /// assert_eq!(name, again);
    /// # Ok::<(), respec::Error>(())
    /// ```
    pub fn with_cache(mut self, config: crate::cache::CacheConfig) -> Self {
        let cache = crate::cache::Cache::new(&config);
        let observer = cache.clone() as Arc<dyn crate::connection::PushObserver>;
        self.pushes = PushPublisher::observed(DEFAULT_PUSH_CAPACITY, Some(observer));
        *lock(&self.idle) = Vec::new();
        self.cache = Some(cache);
        self
    }

    /// The client-side cache's counters and size; `None` without a cache
    /// ([`with_cache`](Self::with_cache)).
    pub fn cache_stats(&self) -> Option<crate::cache::CacheStats> {
        self.cache.as_ref().map(|c| c.stats())
    }

    /// Drops every entry of the client-side cache (if there is one).
    pub fn clear_cache(&self) {
        if let Some(c) = &self.cache {
            c.flush();
        }
    }

    /// This client without its client-side cache, for the calls made
    /// through the returned handle: they always ask the server.
    pub fn without_cache(&self) -> WithoutCache<'_> {
        WithoutCache { client: self }
    }

    /// The client's settings.
    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// The client's counters now: commands, errors by class, latencies,
    /// bytes, connection events (see [`MetricsSnapshot`]; a blocking
    /// client has no pool figures).
    pub fn metrics(&self) -> MetricsSnapshot {
        self.config.observer.metrics()
    }

    /// A reader of the client's push channel: the RESP3 push frames its
    /// connections read while waiting for replies (client-side caching
    /// invalidations after `CLIENT TRACKING ON`), and an event each time
    /// one of its connections opens or ends (see [`PushReceiver`] for the
    /// order and the bound; read it from a thread with
    /// [`recv_timeout`](PushReceiver::recv_timeout)). The reader gets the
    /// events published after this call. Pub/sub messages are not on it
    /// ([`Subscriber`] has its own connection).
    ///
    /// A connection reads only during a call, so its pushes arrive with
    /// the reply of a later call on it; and one with `CLIENT TRACKING` on
    /// is closed after its call (the next caller must not inherit the
    /// state), so track within [`with_connection`](Self::with_connection):
    ///
    /// ```no_run
    /// use respec::Cmd;
    ///
    /// let client = respec::blocking::Client::open("redis://127.0.0.1:6379")?;
    /// let mut pushes = client.pushes();
    /// client.with_connection(|conn| {
    ///     conn.send(&Cmd::from_args(["CLIENT", "TRACKING", "ON"]).unwrap())?;
    ///     conn.send(&Cmd::from_args(["GET", "k"]).unwrap())?;
    ///     // ... another client changes k; the next reply brings the invalidation:
    ///     conn.send(&Cmd::from_args(["PING"]).unwrap())
    /// })?;
    /// while let Some(event) = pushes.try_recv() {
    ///     println!("{event:?}");
    /// }
    /// # Ok::<(), respec::Error>(())
    /// ```
    pub fn pushes(&self) -> PushReceiver {
        self.pushes.subscribe()
    }

    /// How many events the push channel ([`pushes`](Self::pushes)) keeps
    /// for a reader that has not read them (default
    /// [`DEFAULT_PUSH_CAPACITY`],
    /// 1024; at least 1). A reader further behind loses the oldest and is
    /// told how many ([`PushEvent::Lagged`](crate::connection::PushEvent::Lagged)).
    /// Lowering it drops the oldest events beyond it at once.
    pub fn set_push_capacity(&self, n: usize) {
        self.pushes.set_capacity(n);
    }

    /// Runs `f` on a connection of its own: an idle one, or a new one.
    /// Afterwards the connection goes back to the idle ones if it is still
    /// [reusable](Connection::is_reusable), and is closed otherwise.
    ///
    /// With a client-side cache ([`with_cache`](Self::with_cache)), a
    /// write `f` sends (alone, in a pipeline, in a `WATCH` transaction)
    /// drops the cached entries of its keys before it is sent, as the
    /// client's own writes do, so a cached read right after it sees it.
    pub fn with_connection<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.checkout()?;
        if self.cache.is_some() {
            conn.set_cache_writes(self.cache.clone());
        }
        let r = f(&mut conn);
        if self.cache.is_some() {
            conn.set_cache_writes(None);
        }
        self.checkin(conn, r.as_ref().err());
        r
    }

    /// [`with_connection`](Self::with_connection) for the client's own
    /// calls, which apply the cache's own-write rule themselves.
    fn on_connection<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.checkout()?;
        let r = f(&mut conn);
        self.checkin(conn, r.as_ref().err());
        r
    }

    /// An idle connection, or a new one (opened without holding a lock).
    fn checkout(&self) -> Result<Connection> {
        loop {
            let idle = lock(&self.idle).pop();
            match idle {
                Some(mut conn) if conn.is_reusable() => {
                    if conn.healthy_after_idle() {
                        return Ok(conn);
                    }
                }
                Some(unfit) => drop(unfit),
                None => return self.connect(),
            }
        }
    }

    /// Opens a connection, after the backoff's wait while connections are
    /// failing.
    fn connect(&self) -> Result<Connection> {
        let spaced = self.troubled.load(Ordering::Acquire);
        let streak = self.streak.load(Ordering::Relaxed);
        if spaced {
            let wait = self.gate.wait_before_attempt();
            self.config.observer.emit(Event::Reconnecting {
                addr: self.config.addr.clone(),
                attempt: streak + 1,
                delay: wait,
            });
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
        }
        match Connection::connect(&self.config) {
            Ok(mut conn) => {
                self.streak.store(0, Ordering::Relaxed);
                if spaced {
                    self.gate.opened();
                }
                let id = conn.id();
                conn.publish_pushes_to(self.pushes.attach(id));
                Ok(conn)
            }
            Err(e) => {
                self.streak
                    .store(streak.saturating_add(1), Ordering::Relaxed);
                self.gate.failed();
                self.note_trouble();
                // Nothing was sent on a connection that never opened.
                Err(e.unsent())
            }
        }
    }

    fn note_trouble(&self) {
        let mut since = lock(&self.trouble_since);
        if since.is_none() {
            *since = Some(Instant::now());
        }
        self.troubled.store(true, Ordering::Release);
    }

    /// A call worked on a connection opened at `opened_at`: when that was
    /// after the trouble began, connections work again.
    fn note_working(&self, opened_at: Instant) {
        let mut since = lock(&self.trouble_since);
        if since.is_some_and(|t| opened_at >= t) {
            *since = None;
            self.troubled.store(false, Ordering::Release);
        }
    }

    /// Takes a connection back after a call that ended with `err`.
    fn checkin(&self, conn: Connection, err: Option<&Error>) {
        if conn.is_broken() {
            if err.is_some_and(Error::is_connection_dropped) {
                // The server dropped it; it probably dropped the idle ones
                // too (a restart): close them rather than fail on each.
                self.note_trouble();
                let stale = std::mem::take(&mut *lock(&self.idle));
                drop(stale);
            }
            return;
        }
        if self.troubled.load(Ordering::Acquire) {
            self.note_working(conn.opened_at());
        }
        if !conn.is_reusable() {
            return;
        }
        let surplus = {
            let mut idle = lock(&self.idle);
            if idle.len() < MAX_IDLE {
                idle.push(conn);
                None
            } else {
                Some(conn)
            }
        };
        // Closed outside the lock.
        drop(surplus);
    }

    /// What the server reported during the handshake (connects if needed).
    pub fn server_info(&self) -> Result<ServerInfo> {
        self.on_connection(|c| Ok(c.server_info().clone()))
    }

    /// Sends any command and returns its reply frame; an error reply is an
    /// `Err` naming the command.
    ///
    /// The reply may take the response timeout; a blocking command
    /// (`BLPOP`, `XREAD ... BLOCK`, `WAIT`) its block time on top, or as
    /// long as it blocks when that is forever. Every call has a connection
    /// of its own, so a blocking command holds up no other thread.
    pub fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        self.execute_with(&self.config.retry, cmd)
    }

    /// [`execute`](Self::execute) under the retry policy `policy` (see
    /// [`crate::retry`]).
    fn execute_with<C: Command + ?Sized>(&self, policy: &RetryPolicy, cmd: &C) -> Result<Frame> {
        #[cfg(feature = "tracing")]
        let _entered =
            crate::events::command_span(cmd.name(), &self.config.addr, self.config.db).entered();
        crate::cmd::check_sendable(cmd, Target::Shared)?;
        if let Some(cache) = &self.cache {
            if cache.may_cache(cmd) {
                let limit = self.config.response_timeout;
                let open = || self.connect();
                if let Some(reply) =
                    crate::cache::blocking_read(cache, &self.tracked, open, limit, cmd)
                {
                    return reply;
                }
            } else if let crate::cache::Lookup::Write(writing) = cache.lookup(cmd) {
                // Until it is answered, reads of its keys (on the tracked
                // connection, maybe run before it) store nothing.
                let reply = self.execute_uncached(policy, cmd);
                drop(writing);
                return reply;
            }
        }
        self.execute_uncached(policy, cmd)
    }

    /// [`execute_with`](Self::execute_with) past the cache.
    fn execute_uncached<C: Command + ?Sized>(
        &self,
        policy: &RetryPolicy,
        cmd: &C,
    ) -> Result<Frame> {
        crate::cmd::check_sendable(cmd, Target::Shared)?;
        let limit = cmd.blocks().deadline(self.config.response_timeout);
        let once = || {
            self.on_connection(|c| c.send_within(cmd, limit))
                .map_err(|e| e.for_command(cmd.name()))
        };
        if !policy.is_enabled() || cmd.is_blocking() {
            return once();
        }
        // Decided at the first failure: for a write it reads the arguments.
        let mut safe = None;
        let started = Instant::now();
        let mut attempt = 1;
        let mut first = None;
        loop {
            match once() {
                Ok(frame) => return Ok(frame),
                Err(e) => match policy.next_wait(
                    &e,
                    *safe.get_or_insert_with(|| crate::retry::is_safe_to_repeat(cmd)),
                    attempt,
                    started,
                ) {
                    Some(wait) => {
                        self.config.observer.emit(Event::Retried {
                            command: cmd.name().to_string(),
                            attempt: attempt + 1,
                            error: ErrorClass::of(&e),
                            delay: wait,
                        });
                        first.get_or_insert(e);
                        std::thread::sleep(wait);
                        attempt += 1;
                    }
                    None => return Err(crate::retry::to_report(first, e)),
                },
            }
        }
    }

    /// This client under another retry policy, for the calls made through
    /// the returned handle (the generated command methods work on it as on
    /// the client):
    ///
    /// ```no_run
    /// use respec::prelude::*;
    /// use respec::retry::RetryPolicy;
    ///
    /// let client = respec::blocking::Client::open("redis://127.0.0.1:6379")?;
    /// // A fixed value: writing it twice does no harm.
    /// client
    ///     .with_retry(RetryPolicy::default().with_writes(true))
    ///     .set("config:mode", "blue")
    ///     .run()?;
    /// # Ok::<(), respec::Error>(())
    /// ```
    pub fn with_retry(&self, policy: RetryPolicy) -> WithRetry<'_> {
        WithRetry {
            client: self,
            policy,
        }
    }

    /// Sends any command and converts its reply to `T` (any [`FromResp`]
    /// type). Conversion errors name the command.
    pub fn query<T: FromResp, C: Command + ?Sized>(&self, cmd: &C) -> Result<T> {
        let frame = self.execute(cmd)?;
        T::from_resp(frame).map_err(|e| e.for_command(cmd.name()))
    }

    /// Like [`query`](Self::query), with the RESP3 attributes the server
    /// sent before the reply ([`WithAttributes`]; every other method drops
    /// them). A reply without attributes (every RESP2 reply) comes with an
    /// empty list.
    ///
    /// ```no_run
    /// use respec::connection::WithAttributes;
    ///
    /// let client = respec::blocking::Client::open("redis://127.0.0.1:6379")?;
    /// let n: WithAttributes<i64> = client.query_with_attributes(&respec::commands::incr("hits"))?;
    /// println!("{} {:?}", n.value, n.attributes);
    /// # Ok::<(), respec::Error>(())
    /// ```
    pub fn query_with_attributes<T: FromResp, C: Command + ?Sized>(
        &self,
        cmd: &C,
    ) -> Result<WithAttributes<T>> {
        crate::cmd::check_sendable(cmd, Target::Shared)?;
        let limit = cmd.blocks().deadline(self.config.response_timeout);
        self.with_connection(|c| c.query_with_attributes_within(cmd, limit))
            .map_err(|e| e.for_command(cmd.name()))
    }

    /// Sends the commands in one write and returns every reply in order,
    /// error replies included as frames. The replies may take the response
    /// timeout plus the block times of the blocking commands among them.
    pub fn pipeline<C: Command>(&self, cmds: &[C]) -> Result<Vec<Frame>> {
        self.with_connection(|c| c.send_pipeline(cmds))
    }
}

/// Locks `m`, whether or not a thread panicked holding it (the data is a
/// list of connections or an instant, valid either way).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Client {
    /// Sends a pipeline's commands in one write.
    pub(crate) fn run_pipeline(&self, pipe: &Pipeline) -> Result<Vec<Result<Frame>>> {
        pipe.validate()?;
        if pipe.is_empty() {
            return Ok(Vec::new());
        }
        let writing = self.cache.as_ref().and_then(|c| c.before_pipeline(pipe));
        let limit = pipeline_limit(pipe, self.config.response_timeout);
        #[cfg(feature = "tracing")]
        let _entered =
            crate::events::pipeline_span(pipe.len(), &self.config.addr, self.config.db).entered();
        let results = self.on_connection(|c| run_pipeline_within(c, pipe, limit));
        drop(writing);
        results
    }
}

/// How long a pipeline's replies may take: the response timeout, plus the
/// block times of its blocking commands (inside `MULTI` nothing blocks).
fn pipeline_limit(pipe: &Pipeline, response_timeout: Option<Duration>) -> Option<Duration> {
    let block = if pipe.is_atomic() {
        Block::No
    } else {
        pipe.blocks()
    };
    block.deadline(response_timeout)
}

/// Sends a pipeline's commands in one write on `conn` (a connection the
/// caller holds, for a `WATCH` transaction).
pub(crate) fn run_pipeline_on(
    conn: &mut Connection,
    pipe: &Pipeline,
) -> Result<Vec<Result<Frame>>> {
    pipe.validate()?;
    if pipe.is_empty() {
        return Ok(Vec::new());
    }
    let limit = pipeline_limit(pipe, conn.response_timeout());
    run_pipeline_within(conn, pipe, limit)
}

fn run_pipeline_within(
    c: &mut Connection,
    pipe: &Pipeline,
    limit: Option<Duration>,
) -> Result<Vec<Result<Frame>>> {
    crate::connection::check_required(pipe.requires(), "pipeline", c.server_info())?;
    if let Some(exists) = pipe.script_check() {
        for script in pipe.missing_scripts(c.send(&exists)?)? {
            c.send(&script.load_command())?;
        }
    }
    let (bytes, replies) = pipe.encoded();
    let frames = c.send_raw_within(&bytes, replies, limit)?;
    let results = pipe.split(frames);
    if pipe.is_atomic()
        && results
            .as_ref()
            .map_or_else(Error::is_transaction_aborted, |_| true)
    {
        // EXEC answered: a WATCH sent before on this connection is over.
        c.transaction_ended();
    }
    results
}

impl BlockingExecutor for Client {
    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        Client::execute(self, cmd)
    }
}

/// A [`Client`] under a retry policy of its own
/// ([`Client::with_retry`]): sends commands like the client, retrying as
/// the policy says.
#[derive(Debug, Clone, Copy)]
pub struct WithRetry<'a> {
    client: &'a Client,
    policy: RetryPolicy,
}

impl WithRetry<'_> {
    /// Sends any command and returns its reply frame, retried as the
    /// policy says (see [`Client::execute`]).
    pub fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        self.client.execute_with(&self.policy, cmd)
    }

    /// Sends any command and converts its reply to `T`.
    pub fn query<T: FromResp, C: Command + ?Sized>(&self, cmd: &C) -> Result<T> {
        let frame = self.execute(cmd)?;
        T::from_resp(frame).map_err(|e| e.for_command(cmd.name()))
    }
}

impl BlockingExecutor for WithRetry<'_> {
    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        WithRetry::execute(self, cmd)
    }
}

/// A [`Client`] past its client-side cache ([`Client::without_cache`]):
/// every call asks the server.
#[derive(Debug, Clone, Copy)]
pub struct WithoutCache<'a> {
    client: &'a Client,
}

impl WithoutCache<'_> {
    /// Sends any command and returns its reply frame (see
    /// [`Client::execute`]), past the cache.
    pub fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        // A write still drops its keys' entries first.
        let writing = (self.client.cache.as_ref()).and_then(|c| c.before_command(cmd));
        let reply = self.client.execute_uncached(&self.client.config.retry, cmd);
        drop(writing);
        reply
    }

    /// Sends any command and converts its reply to `T`.
    pub fn query<T: FromResp, C: Command + ?Sized>(&self, cmd: &C) -> Result<T> {
        let frame = self.execute(cmd)?;
        T::from_resp(frame).map_err(|e| e.for_command(cmd.name()))
    }
}

impl BlockingExecutor for WithoutCache<'_> {
    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        WithoutCache::execute(self, cmd)
    }
}

/// A blocking pub/sub connection; iterate it for messages.
///
/// Like the async [`Subscriber`](crate::pubsub::Subscriber), it reconnects
/// and subscribes again when the connection drops, and it keeps its
/// [`subscriptions`](Self::subscriptions) true when the server drops one
/// on its own: a shard channel whose slot moved to another cluster node
/// (the server's `sunsubscribe` notice; see
/// [`take_dropped_shard_channels`](Self::take_dropped_shard_channels)),
/// or any channel or pattern the server reports unsubscribed without
/// being asked. Its reconnects are reported to the configuration's event
/// listeners as a client's are (`Disconnected`, a `Reconnecting` per
/// attempt, `Connected`, `HandshakeDone`; see [`crate::events`]).
///
/// ```no_run
/// let client = respec::blocking::Client::open("redis://127.0.0.1:6379")?;
/// let mut sub = client.subscriber()?;
/// sub.subscribe(["news"])?;
/// for msg in sub.by_ref().take(3) {
///     println!("{}", String::from_utf8_lossy(&msg?.payload));
/// }
/// # Ok::<(), respec::Error>(())
/// ```
pub struct Subscriber {
    config: ConnectionConfig,
    /// `None` from the moment the connection is found broken (it is
    /// closed then, so its [`Event::Disconnected`] comes before the
    /// reconnect's events) until a new one carries every subscription.
    conn: Option<Connection>,
    subs: Subscriptions,
    queued: std::collections::VecDeque<Message>,
    reconnect_for: Duration,
    /// How long one `next` waits before yielding a timeout error (`None`: forever).
    read_timeout: Option<Duration>,
    /// Spaces reconnect attempts ([`ConnectionConfig::reconnect`]).
    gate: Gate,
    /// Shard channels the server dropped on its own, not yet taken by
    /// [`take_dropped_shard_channels`](Subscriber::take_dropped_shard_channels).
    dropped: Vec<Bytes>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("subscriptions", &self.subs)
            .finish()
    }
}

impl Client {
    /// A new pub/sub subscriber with this client's settings.
    pub fn subscriber(&self) -> Result<Subscriber> {
        Subscriber::connect(&self.config)
    }
}

impl Subscriber {
    /// Opens a subscriber connection with these settings.
    pub fn connect(config: &ConnectionConfig) -> Result<Self> {
        let conn = Connection::connect(config)?;
        let gate = Gate::new(config.reconnect);
        // A connection that drops soon after this counts as a failure.
        gate.opened();
        Ok(Subscriber {
            conn: Some(conn),
            config: config.clone(),
            subs: Subscriptions::default(),
            queued: Default::default(),
            reconnect_for: Duration::from_secs(30),
            read_timeout: None,
            gate,
            dropped: Vec::new(),
        })
    }

    /// How long reconnecting may take before `next` yields the error.
    pub fn set_reconnect_timeout(&mut self, t: Duration) {
        self.reconnect_for = t;
    }

    /// Bounds each wait for a message; when it passes, the iterator yields
    /// an error whose [`is_timeout`](crate::Error::is_timeout) is true and
    /// can be iterated again.
    pub fn set_read_timeout(&mut self, t: Option<Duration>) {
        self.read_timeout = t;
    }

    /// Subscribes to channels.
    pub fn subscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        channels: I,
    ) -> Result<()> {
        self.change("SUBSCRIBE", channels)
    }

    /// Subscribes to glob-style patterns.
    pub fn psubscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        patterns: I,
    ) -> Result<()> {
        self.change("PSUBSCRIBE", patterns)
    }

    /// Subscribes to shard channels (Redis 7.0 and later).
    ///
    /// On a cluster node, the channels of one call must share a hash slot
    /// (the server refuses the call otherwise): channels of several slots
    /// are refused here before anything is sent, and the subscriber stays
    /// usable. A
    /// [`BlockingShardedSubscriber`](crate::cluster::BlockingShardedSubscriber)
    /// spreads channels over a cluster's nodes and slots by itself.
    pub fn ssubscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        channels: I,
    ) -> Result<()> {
        self.change("SSUBSCRIBE", channels)
    }

    /// Unsubscribes from shard channels (all of them when empty). On a
    /// cluster node, the channels of one call must share a hash slot, as
    /// for [`ssubscribe`](Self::ssubscribe).
    pub fn sunsubscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        channels: I,
    ) -> Result<()> {
        self.change("SUNSUBSCRIBE", channels)
    }

    /// The channels, patterns and shard channels currently subscribed.
    pub fn subscriptions(&self) -> (Vec<Bytes>, Vec<Bytes>, Vec<Bytes>) {
        (
            self.subs.channels.iter().cloned().collect(),
            self.subs.patterns.iter().cloned().collect(),
            self.subs.shards.iter().cloned().collect(),
        )
    }

    /// The shard channels the server unsubscribed this connection from on
    /// its own since the last call (on a cluster, when a channel's slot
    /// moved to another node: the server sends an `sunsubscribe` nobody
    /// asked for). They are no longer among the
    /// [`subscriptions`](Self::subscriptions); subscribe to them again on
    /// the slot's new owner to keep receiving (a
    /// [`BlockingShardedSubscriber`](crate::cluster::BlockingShardedSubscriber)
    /// does that by itself).
    pub fn take_dropped_shard_channels(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.dropped)
    }

    /// Whether the server dropped shard channels not yet taken with
    /// [`take_dropped_shard_channels`](Self::take_dropped_shard_channels).
    pub fn has_dropped_shard_channels(&self) -> bool {
        !self.dropped.is_empty()
    }

    /// Unsubscribes from channels (all when empty).
    pub fn unsubscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        channels: I,
    ) -> Result<()> {
        self.change("UNSUBSCRIBE", channels)
    }

    /// Unsubscribes from patterns (all when empty).
    pub fn punsubscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        patterns: I,
    ) -> Result<()> {
        self.change("PUNSUBSCRIBE", patterns)
    }

    fn change<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        verb: &'static str,
        items: I,
    ) -> Result<()> {
        let names: Vec<Bytes> = items
            .into_iter()
            .map(|s| Bytes::copy_from_slice(s.as_ref()))
            .collect();
        let unsubscribe_all = names.is_empty() && verb.contains("UNSUB");
        if names.is_empty() && !unsubscribe_all {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!("{verb} needs at least one channel or pattern"),
            )
            .for_command(verb));
        }
        if verb.starts_with('S') {
            let mode = self.conn()?.server_info().mode.clone();
            crate::pubsub::check_one_slot(mode.as_deref(), verb, &names)?;
        }
        let expected = if unsubscribe_all {
            // The server confirms each one it drops, or once with none left.
            match verb {
                "UNSUBSCRIBE" => self.subs.channels.len().max(1),
                "PUNSUBSCRIBE" => self.subs.patterns.len().max(1),
                _ => self.subs.shards.len().max(1),
            }
        } else {
            names.len()
        };
        self.send_change(verb, &names, expected)?;
        self.subs.apply(verb, &names);
        Ok(())
    }

    /// Sends a subscription command and reads its confirmations, queueing
    /// the messages that arrive meanwhile and noting the shard channels
    /// the server drops on its own meanwhile.
    fn send_change(&mut self, verb: &'static str, names: &[Bytes], expected: usize) -> Result<()> {
        let mut cmd = Cmd::new(verb);
        for n in names {
            cmd.arg(n);
        }
        self.conn()?.write_command(&cmd)?;
        let want = crate::pubsub::confirmation(verb);
        // An `sunsubscribe` that answers no SUNSUBSCRIBE of this change is
        // the server's own (one of every channel takes whichever comes).
        let asked: &[Bytes] = if verb == "SUNSUBSCRIBE" { names } else { &[] };
        let watch_drops = verb != "SUNSUBSCRIBE" || !names.is_empty();
        let mut seen = 0;
        let wait = self
            .config
            .response_timeout
            .unwrap_or(Duration::from_secs(30));
        while seen < expected {
            let frame = self.conn()?.read_frame(Some(wait))?.ok_or_else(|| {
                Error::new(
                    ErrorKind::Timeout,
                    format!("no {verb} confirmation within {wait:?}"),
                )
                .for_command(verb)
            })?;
            if let Some(m) = Message::from_push(&frame) {
                self.queued.push_back(m);
                continue;
            }
            if let Some(m) = frame.error_message() {
                return Err(Error::from_server_reply(m).for_command(verb));
            }
            if watch_drops {
                if let Some(channel) = crate::pubsub::unsolicited_sunsubscribe(&frame, asked) {
                    self.note_dropped(channel);
                    continue;
                }
            }
            if let Frame::Push(items) | Frame::Array(items) = &frame {
                if items.first().and_then(Frame::as_bytes) == Some(want) {
                    seen += 1;
                }
            }
        }
        Ok(())
    }

    /// Records a shard channel the server dropped on its own.
    fn note_dropped(&mut self, channel: Bytes) {
        if self.subs.shards.remove(&channel) {
            self.dropped.push(channel);
        }
    }

    /// Reads a notice the server sent outside any change of ours: an
    /// unsubscription it made on its own leaves the subscriptions.
    fn note_notice(&mut self, frame: &Frame) {
        match crate::pubsub::unsubscribe_notice(frame) {
            Some(("SUNSUBSCRIBE", channel)) => self.note_dropped(channel),
            Some((verb, name)) => self.subs.apply(verb, std::slice::from_ref(&name)),
            None => {}
        }
    }

    /// Waits for the next message (see [`set_read_timeout`](Self::set_read_timeout)).
    pub fn next_message(&mut self) -> Result<Message> {
        loop {
            if let Some(m) = self.queued.pop_front() {
                return Ok(m);
            }
            let wait = self.read_timeout.or(Some(Duration::from_secs(3600)));
            match self.conn()?.read_frame(wait) {
                Ok(Some(frame)) => {
                    if let Some(m) = Message::from_push(&frame) {
                        return Ok(m);
                    }
                    // Every change read its own confirmations: this one
                    // is the server's.
                    self.note_notice(&frame);
                }
                Ok(None) => {
                    if self.read_timeout.is_some() {
                        return Err(Error::new(
                            ErrorKind::Timeout,
                            "no message within the read timeout",
                        ));
                    }
                }
                Err(e) if e.is_connection_dropped() => {
                    // Closed now: its end is reported before the reconnect.
                    self.conn = None;
                    self.reconnect()?
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reconnects, with attempts spaced by the configured backoff, and
    /// subscribes again to everything; gives up after the reconnect
    /// timeout.
    fn reconnect(&mut self) -> Result<()> {
        let started = Instant::now();
        let policy = self.config.retry;
        if !policy.is_enabled() {
            return Err(Error::new(
                ErrorKind::ConnectionClosed,
                "the subscriber's connection dropped, and retries are off",
            ));
        }
        let mut failures = 0;
        let mut last: Option<Error> = None;
        loop {
            // A connection that broke soon after it opened counts as a
            // failed attempt; the retry policy spaces attempts too.
            let wait = self.gate.wait_before_attempt().max(policy.delay(failures));
            if let Some(e) = last.take() {
                if started.elapsed() + wait > self.reconnect_for {
                    return Err(self.gave_up(e));
                }
            }
            self.config.observer.emit(Event::Reconnecting {
                addr: self.config.addr.clone(),
                attempt: failures.saturating_add(1),
                delay: wait,
            });
            std::thread::sleep(wait);
            let attempt = Connection::connect(&self.config).and_then(|conn| {
                self.conn = Some(conn);
                for (verb, names) in self.subs.renewals() {
                    let n = names.len();
                    self.send_change(verb, &names, n)?;
                }
                Ok(())
            });
            if attempt.is_err() {
                self.conn = None;
            }
            match attempt {
                Ok(()) => {
                    self.gate.opened();
                    return Ok(());
                }
                Err(e) => {
                    self.gate.failed();
                    failures += 1;
                    if started.elapsed() >= self.reconnect_for {
                        return Err(self.gave_up(e));
                    }
                    last = Some(e);
                }
            }
        }
    }

    /// Whether the subscriber holds an open connection (false after the
    /// connection broke and reconnecting gave up).
    pub(crate) fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// The connection, opened again (with every subscription) when the
    /// last one was found broken.
    fn conn(&mut self) -> Result<&mut Connection> {
        if self.conn.is_none() {
            self.reconnect()?;
        }
        self.conn.as_mut().ok_or_else(|| {
            Error::new(
                ErrorKind::ConnectionClosed,
                "the subscriber's connection is closed",
            )
        })
    }

    fn gave_up(&self, last: Error) -> Error {
        Error::new(
            last.kind().clone(),
            format!(
                "the subscriber could not reconnect within {:?}: {last}",
                self.reconnect_for
            ),
        )
    }
}

impl Iterator for Subscriber {
    type Item = Result<Message>;

    fn next(&mut self) -> Option<Result<Message>> {
        Some(self.next_message())
    }
}
