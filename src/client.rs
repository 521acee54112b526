//! The async client.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::backoff::Gate;
use crate::cmd::{Block, Cmd, Command, Target};
use crate::connection::{
    check_required, check_version, Connection, ConnectionConfig, Protocol, PushPublisher,
    PushReceiver, ResponseFuture, ServerInfo, TlsConfig, WithAttributes, DEFAULT_PUSH_CAPACITY,
};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{ErrorClass, Event, MetricsSnapshot};
use crate::executor::AsyncExecutor;
use crate::pipeline::Pipeline;
use crate::pool::{Pool, PoolConfig, PooledConnection};
use crate::reply::FromResp;
use crate::resp::{Frame, Limits, ToArg};
use crate::retry::RetryPolicy;

/// An async client: cheap to clone, one multiplexed connection shared by all
/// clones and tasks, with automatic pipelining.
///
/// Opening a client does no I/O: it connects on first use, and after the
/// connection drops, reconnects on the next command. A command in flight
/// when its connection drops is sent again on a new connection only when
/// that is safe: the spec flags it `readonly`, or the caller opted in for
/// writes ([`RetryPolicy`], [`Client::with_retry`]); otherwise it fails at
/// once with an error for which
/// [`Error::is_connection_dropped`](crate::Error::is_connection_dropped) is
/// true. Commands never sent (the connection could not be opened) are
/// retried whatever they are. See [`crate::retry`] for the whole policy and
/// its defaults.
///
/// Blocking commands ([`Command::is_blocking`]) and `WATCH` transactions
/// ([`Client::transaction`]) run on connections of their own, taken from a
/// [`Pool`], so they never stall the shared connection.
///
/// The RESP3 push frames of the shared connection (client-side caching
/// invalidations after `CLIENT TRACKING ON`) go to the client's push
/// channel, read with [`Client::pushes`]; the RESP3 attributes of a reply
/// with [`Client::query_with_attributes`].
///
/// ```no_run
/// # async fn demo() -> respec::Result<()> {
/// let client = respec::Client::open("redis://127.0.0.1:6379")?;
/// let reply = client.execute(&respec::Cmd::from_args(["PING"]).unwrap()).await?;
/// assert_eq!(reply, respec::Frame::SimpleString("PONG".into()));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    /// Which failed commands this handle sends again (the configuration's
    /// policy, or the one given to [`Client::with_retry`]).
    retry: RetryPolicy,
    /// Whether this handle's reads go through the client-side cache (when
    /// the client has one; [`Client::without_cache`] turns it off).
    cached: bool,
}

struct Shared {
    config: ConnectionConfig,
    /// Spaces reconnects of the shared connection.
    gate: Arc<Gate>,
    current: Mutex<Option<Connection>>,
    /// Held while connecting, so concurrent first commands open one socket.
    /// It counts the attempts that failed, with the last one's error: a
    /// caller that waited while an attempt failed takes that failure
    /// instead of making one attempt more, so that many callers of a
    /// client whose server is down share one attempt instead of queueing
    /// one each.
    connecting: tokio::sync::Mutex<(u64, Option<Error>)>,
    /// The count of failed attempts, read without the lock.
    failed_attempts: std::sync::atomic::AtomicU64,
    pool: Arc<Pool>,
    /// The push channel every shared connection publishes to.
    pushes: PushPublisher,
    /// Connection attempts failed since the shared connection was last
    /// open (changed under `connecting`), for [`Event::Reconnecting`].
    streak: std::sync::atomic::AtomicU32,
    /// The client-side cache, when configured ([`ClientBuilder::cache`]),
    /// and its redirect connection for RESP2.
    cache: Option<Arc<crate::cache::Cache>>,
    redirect: Option<Arc<crate::cache::Redirect>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.shared.config)
            .field("pool", &self.shared.pool)
            .finish()
    }
}

/// Builds a [`Client`] from a URL plus explicit settings.
///
/// ```
/// use std::time::Duration;
///
/// let client = respec::Client::builder("redis://127.0.0.1:6379")?
///     .db(2)
///     .client_name("billing")
///     .response_timeout(Duration::from_secs(2))
///     .pool_size(8)
///     .build();
/// assert_eq!(client.config().db, 2);
/// # Ok::<(), respec::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    config: ConnectionConfig,
    pool: PoolConfig,
    push_capacity: usize,
    cache: Option<crate::cache::CacheConfig>,
}

impl ClientBuilder {
    /// Starts from a parsed configuration.
    pub fn from_config(config: ConnectionConfig) -> Self {
        ClientBuilder {
            config,
            pool: PoolConfig::default(),
            push_capacity: DEFAULT_PUSH_CAPACITY,
            cache: None,
        }
    }

    /// The protocol to ask for.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.config.protocol = protocol;
        self
    }

    /// The database selected on every connection.
    pub fn db(mut self, db: i64) -> Self {
        self.config.db = db;
        self
    }

    /// The name every connection gives itself.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.config.client_name = Some(name.into());
        self
    }

    /// Credentials (`username` `None`: the `default` user).
    pub fn auth(mut self, username: Option<&str>, password: impl Into<String>) -> Self {
        self.config.username = username.map(str::to_string);
        self.config.password = Some(password.into());
        self
    }

    /// Where credentials come from when they change (rotated passwords,
    /// expiring tokens; see [`crate::auth`]): asked on every connect, and
    /// live connections re-authenticate when it says they changed. Takes
    /// the place of [`auth`](Self::auth).
    pub fn credentials(mut self, provider: impl crate::auth::CredentialsProvider) -> Self {
        self.config.credentials = Some(crate::auth::Provider::new(provider));
        self
    }

    /// Which failed commands are sent again (default
    /// [`RetryPolicy::default`]: 3 attempts, only what is safe to repeat;
    /// see [`crate::retry`]). [`RetryPolicy::NEVER`] turns retries off,
    /// and subscribers then do not reconnect either.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// How long a connection may stay quiet before it sends a `PING` to
    /// check the server is still there (default
    /// [`DEFAULT_HEALTH_CHECK_INTERVAL`](crate::connection::DEFAULT_HEALTH_CHECK_INTERVAL),
    /// 30 s; `None` turns it off). No reply within the same time (or the
    /// response timeout, if shorter) closes the connection, so the next
    /// command opens a new one instead of waiting on a dead peer. Applies
    /// to the shared connection, the pool's and subscribers.
    pub fn health_check_interval(mut self, t: impl Into<Option<Duration>>) -> Self {
        self.config.health_check_interval = t.into();
        self
    }

    /// TCP keepalive: the idle time before the system's first probe and
    /// between probes (default
    /// [`DEFAULT_TCP_KEEPALIVE`](crate::connection::DEFAULT_TCP_KEEPALIVE),
    /// 60 s; `None`: the system's setting).
    pub fn tcp_keepalive(mut self, t: impl Into<Option<Duration>>) -> Self {
        self.config.tcp_keepalive = t.into();
        self
    }

    /// Bound on connecting plus the handshake.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.config.connect_timeout = Some(t);
        self
    }

    /// Bound on waiting for each reply (default
    /// [`DEFAULT_RESPONSE_TIMEOUT`](crate::connection::DEFAULT_RESPONSE_TIMEOUT));
    /// a blocking command gets its own block time on top. `None` waits
    /// forever.
    pub fn response_timeout(mut self, t: impl Into<Option<Duration>>) -> Self {
        self.config.response_timeout = t.into();
        self
    }

    /// How reconnects are spaced when connections keep failing.
    pub fn reconnect(mut self, backoff: crate::backoff::Backoff) -> Self {
        self.config.reconnect = backoff;
        self
    }

    /// Whether a request reaching an idle connection waits one scheduler
    /// turn so that other ready tasks' requests share its write (default
    /// `true`; see [`ConnectionConfig::batch_writes`]).
    pub fn batch_writes(mut self, on: bool) -> Self {
        self.config.batch_writes = on;
        self
    }

    /// Parser limits for replies.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// TLS settings.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.config.tls = Some(tls);
        self
    }

    /// The most dedicated connections open at once.
    pub fn pool_size(mut self, n: usize) -> Self {
        self.pool.max_size = n;
        self
    }

    /// All pool limits at once.
    pub fn pool(mut self, pool: PoolConfig) -> Self {
        self.pool = pool;
        self
    }

    /// How many events the push channel ([`Client::pushes`]) keeps for a
    /// reader that has not read them (default
    /// [`DEFAULT_PUSH_CAPACITY`],
    /// 1024; at least 1). A reader further behind loses the oldest and is
    /// told how many ([`PushEvent::Lagged`](crate::connection::PushEvent::Lagged)).
    pub fn push_capacity(mut self, n: usize) -> Self {
        self.push_capacity = n;
        self
    }

    /// Calls `listener` with every connection event of the client (its
    /// shared connection, its pool's, its subscribers'): see
    /// [`crate::events`]. Listeners run inline and must be quick; a
    /// panicking one is caught. Several may be added.
    ///
    /// ```
    /// use respec::events::Event;
    ///
    /// let client = respec::Client::builder("redis://127.0.0.1:6379")?
    ///     .on_event(|event| {
    ///         if let Event::Reconnecting { addr, attempt, .. } = event {
    ///             eprintln!("reconnecting to {addr} (attempt {attempt})");
    ///         }
    ///     })
    ///     .build();
    /// assert_eq!(client.config().observer.listener_count(), 1);
    /// # Ok::<(), respec::Error>(())
    /// ```
    pub fn on_event(mut self, listener: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.config.observer = self.config.observer.on_event(listener);
        self
    }

    /// Turns on client-side caching of read-only commands' replies, kept
    /// fresh by the server's invalidations (`CLIENT TRACKING ON` on every
    /// shared connection; on RESP2 redirected to a second connection). See
    /// [`crate::cache`] for what is cached and the guarantees.
    ///
    /// ```
    /// use respec::cache::CacheConfig;
    ///
    /// let client = respec::Client::builder("redis://127.0.0.1:6379")?
    ///     .cache(CacheConfig::default().max_entries(1_000))
    ///     .build();
    /// assert_eq!(client.cache_stats().unwrap().entries, 0);
    /// # Ok::<(), respec::Error>(())
    /// ```
    pub fn cache(mut self, config: crate::cache::CacheConfig) -> Self {
        self.cache = Some(config);
        self
    }

    /// The client.
    pub fn build(mut self) -> Client {
        // Counters of its own, whatever configuration it was made from.
        self.config.observer = self.config.observer.with_fresh_metrics();
        let gate = Arc::new(Gate::new(self.config.reconnect));
        let cache = self.cache.as_ref().map(crate::cache::Cache::new);
        let observer = cache
            .clone()
            .map(|c| c as Arc<dyn crate::connection::PushObserver>);
        let pushes = PushPublisher::observed(self.push_capacity, observer);
        let redirect = cache.as_ref().map(|c| {
            Arc::new(crate::cache::Redirect::new(
                c.clone(),
                self.config.clone(),
                pushes.clone(),
            ))
        });
        Client {
            cached: true,
            retry: self.config.retry,
            shared: Arc::new(Shared {
                pool: Pool::for_cache(self.config.clone(), self.pool, cache.clone()),
                gate,
                config: self.config,
                current: Mutex::new(None),
                connecting: tokio::sync::Mutex::new((0, None)),
                failed_attempts: std::sync::atomic::AtomicU64::new(0),
                pushes,
                streak: std::sync::atomic::AtomicU32::new(0),
                cache,
                redirect,
            }),
        }
    }
}

impl Client {
    /// A client for the server at `url` (see [`ConnectionConfig::from_url`]).
    pub fn open(url: &str) -> Result<Self> {
        Ok(Self::builder(url)?.build())
    }

    /// A builder starting from `url`.
    pub fn builder(url: &str) -> Result<ClientBuilder> {
        Ok(ClientBuilder::from_config(ConnectionConfig::from_url(url)?))
    }

    /// A client with explicit settings and the default pool.
    pub fn with_config(config: ConnectionConfig) -> Self {
        ClientBuilder::from_config(config).build()
    }

    /// The client's settings.
    pub fn config(&self) -> &ConnectionConfig {
        &self.shared.config
    }

    /// This client with another retry policy, for the calls made through
    /// the returned handle (it shares everything else: connection, pool,
    /// push channel). For one call, or a part of the application, that
    /// wants more or fewer retries than the client's
    /// ([`ConnectionConfig::retry`]):
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use respec::prelude::*;
    /// use respec::retry::RetryPolicy;
    ///
    /// // This SET writes a fixed value: sending it twice does no harm.
    /// client
    ///     .with_retry(RetryPolicy::default().with_writes(true))
    ///     .set("config:mode", "blue")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn with_retry(&self, policy: RetryPolicy) -> Client {
        Client {
            shared: self.shared.clone(),
            retry: policy,
            cached: self.cached,
        }
    }

    /// This client without its client-side cache, for the calls made
    /// through the returned handle: they always ask the server (and store
    /// nothing). The same client when it has no cache.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use respec::prelude::*;
    ///
    /// let balance: Option<i64> = client.without_cache().get("balance").reply().await?;
    /// # let _ = balance;
    /// # Ok(()) }
    /// ```
    pub fn without_cache(&self) -> Client {
        Client {
            shared: self.shared.clone(),
            retry: self.retry,
            cached: false,
        }
    }

    /// The client-side cache's counters and size; `None` when the client
    /// has no cache ([`ClientBuilder::cache`]).
    pub fn cache_stats(&self) -> Option<crate::cache::CacheStats> {
        self.shared.cache.as_ref().map(|c| c.stats())
    }

    /// Drops every entry of the client-side cache (if there is one).
    pub fn clear_cache(&self) {
        if let Some(c) = &self.shared.cache {
            c.flush();
        }
    }

    /// The retry policy of this handle.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The pool of dedicated connections.
    pub fn pool(&self) -> &Arc<Pool> {
        &self.shared.pool
    }

    /// The client's counters now: commands, errors by class, latencies,
    /// bytes, connection events, and the pool's use (see
    /// [`MetricsSnapshot`]). Every clone and every
    /// [`with_retry`](Self::with_retry) handle shares them.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let m = client.metrics();
    /// println!(
    ///     "{} commands, {} errors, p99 under {:?}",
    ///     m.commands,
    ///     m.errors.total(),
    ///     m.latency.quantile(0.99)
    /// );
    /// # Ok(()) }
    /// ```
    pub fn metrics(&self) -> MetricsSnapshot {
        let mut m = self.shared.config.observer.metrics();
        m.pool = Some(self.shared.pool.stats());
        m
    }

    fn live(&self) -> Option<Connection> {
        let guard = self
            .shared
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        guard.as_ref().filter(|c| !c.is_closed()).cloned()
    }

    /// The live shared connection, connecting first if there is none.
    pub async fn connection(&self) -> Result<Connection> {
        if let Some(c) = self.live() {
            return Ok(c);
        }
        use std::sync::atomic::Ordering;
        let failures_seen = self.shared.failed_attempts.load(Ordering::Acquire);
        let mut one_at_a_time = self.shared.connecting.lock().await;
        if let Some(c) = self.live() {
            return Ok(c);
        }
        if one_at_a_time.0 != failures_seen {
            // An attempt failed while this caller waited: its outcome is
            // this caller's too.
            if let Some(e) = &one_at_a_time.1 {
                return Err(e.duplicate());
            }
        }
        // A reconnect: the connection was lost, or attempts failed.
        let streak = self.shared.streak.load(Ordering::Relaxed);
        let reconnect = streak > 0
            || self
                .shared
                .current
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some();
        let config = &self.shared.config;
        let announce = |delay| {
            if reconnect {
                config.observer.emit(Event::Reconnecting {
                    addr: config.addr.clone(),
                    attempt: streak + 1,
                    delay,
                });
            }
        };
        let conn = match connect_spaced(&self.shared.gate, announce, || async {
            let conn =
                Connection::connect_publishing(&self.shared.config, &self.shared.pushes).await?;
            if let Some(cache) = &self.shared.cache {
                cache
                    .start_tracking(&conn, self.shared.redirect.as_deref())
                    .await?;
            }
            Ok(conn)
        })
        .await
        {
            Ok(conn) => {
                self.shared.streak.store(0, Ordering::Relaxed);
                conn
            }
            Err(e) => {
                self.shared.streak.store(streak + 1, Ordering::Relaxed);
                one_at_a_time.0 += 1;
                one_at_a_time.1 = Some(e.duplicate());
                self.shared
                    .failed_attempts
                    .store(one_at_a_time.0, Ordering::Release);
                return Err(e);
            }
        };
        *self
            .shared
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
        Ok(conn)
    }

    /// A connection of its own from the pool, returned when dropped.
    ///
    /// On a caching client, the writes sent on it drop their keys' cached
    /// entries before they are sent (see [`crate::cache`]).
    pub async fn dedicated(&self) -> Result<PooledConnection> {
        self.shared.pool.get().await
    }

    /// A new pub/sub subscriber with this client's settings, and this
    /// handle's retry policy for its reconnects ([`with_retry`](Self::with_retry)).
    pub async fn subscriber(&self) -> Result<crate::pubsub::Subscriber> {
        if self.retry == self.shared.config.retry {
            return crate::pubsub::Subscriber::connect(&self.shared.config).await;
        }
        let mut config = self.shared.config.clone();
        config.retry = self.retry;
        crate::pubsub::Subscriber::connect(&config).await
    }

    /// A reader of the client's push channel: the RESP3 push frames the
    /// server sends on the shared connection (client-side caching
    /// invalidations after `CLIENT TRACKING ON`), and an event each time a
    /// shared connection opens or ends, across reconnects (see
    /// [`PushReceiver`] for the order and the bound). Connects nothing;
    /// the reader gets the events published after this call, so make it
    /// before enabling what sends pushes.
    ///
    /// What is not on it: pub/sub messages (a
    /// [`Subscriber`](crate::pubsub::Subscriber) has its own connection),
    /// pushes on dedicated connections (the pool's, `WATCH`
    /// transactions; they are dropped), and on RESP2, where the server
    /// sends no push frames, anything but the connection events.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use respec::connection::PushEvent;
    ///
    /// let mut pushes = client.pushes();
    /// client.execute(&respec::Cmd::from_args(["CLIENT", "TRACKING", "ON"]).unwrap()).await?;
    /// let _: Option<String> = client.query(&respec::Cmd::from_args(["GET", "k"]).unwrap()).await?;
    /// // ... another client changes k ...
    /// if let Some(PushEvent::Push { frame, .. }) = pushes.recv().await {
    ///     println!("invalidated: {frame:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pushes(&self) -> PushReceiver {
        self.shared.pushes.subscribe()
    }

    /// What the server reported during the handshake (connects if needed).
    pub async fn server_info(&self) -> Result<ServerInfo> {
        Ok(self.connection().await?.server_info().clone())
    }

    /// Sends any command and resolves to its reply frame; an error reply is
    /// an `Err` naming the command.
    ///
    /// The subscription commands (`SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE` and
    /// their `UNSUBSCRIBE` forms) and `MONITOR` are refused with
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) before
    /// anything is sent: they would turn the shared connection into a stream
    /// of messages. Use [`subscriber`](Self::subscriber) for pub/sub.
    pub fn execute<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        #[cfg(feature = "tracing")]
        {
            let span = self.command_span(cmd.name());
            if !span.is_disabled() {
                use tracing::Instrument;
                let fut = span.in_scope(|| self.execute_untraced(cmd));
                return ResponseFuture::boxed(fut.instrument(span));
            }
        }
        self.execute_untraced(cmd)
    }

    /// The span of a command sent by this client (feature `tracing`): the
    /// address of the live connection, or the configured one.
    #[cfg(feature = "tracing")]
    fn command_span(&self, name: &str) -> tracing::Span {
        let cfg = &self.shared.config;
        match self.live() {
            Some(conn) => crate::events::command_span(name, conn.addr(), cfg.db),
            None => crate::events::command_span(name, &cfg.addr, cfg.db),
        }
    }

    /// [`execute`](Self::execute) without its span.
    fn execute_untraced<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        if let Err(e) = cmd
            .check()
            .and_then(|()| crate::cmd::check_sendable(cmd, Target::Shared))
        {
            return ResponseFuture::ready(Err(e));
        }
        if let Some(cache) = &self.shared.cache {
            if self.cached {
                if let Some(reply) = crate::cache::execute(cache, self, cmd) {
                    return reply;
                }
            } else if let Some(writing) = cache.before_command(cmd) {
                // Past the cache, a write still drops its keys' entries.
                let sent = self.fenced(self.execute_plain(cmd));
                return ResponseFuture::boxed(async move {
                    let reply = sent.await;
                    drop(writing);
                    reply
                });
            }
        }
        self.fenced(self.execute_plain(cmd))
    }

    /// A reply of a RESP2 caching client, handed out only once the
    /// invalidations the server wrote before it are applied (see
    /// [`crate::cache`], "Protocol"); `reply` itself otherwise.
    #[inline]
    pub(crate) fn fenced(&self, reply: ResponseFuture) -> ResponseFuture {
        match &self.shared.redirect {
            Some(redirect) if redirect.active() => {
                let redirect = redirect.clone();
                ResponseFuture::boxed(async move {
                    let reply = reply.await;
                    redirect.pass().await;
                    reply
                })
            }
            _ => reply,
        }
    }

    /// A command the cache passed on (checked already, and encoded once).
    pub(crate) fn execute_past_cache<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        self.fenced(self.execute_plain(cmd))
    }

    /// [`execute_untraced`](Self::execute_untraced) past the cache and its
    /// fence.
    fn execute_plain<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        let block = cmd.blocks();
        let retrying = block == Block::No && self.retry.is_enabled();
        if block == Block::No {
            if let Some(conn) = self.live() {
                if !retrying {
                    return conn.send(cmd);
                }
                if let Err(e) = check_version(cmd, conn.server_info()) {
                    return ResponseFuture::ready(Err(e));
                }
                let payload = crate::connection::Payload::encode(cmd);
                let again = crate::connection::Retry {
                    via: self.shared.clone(),
                    policy: self.retry,
                    payload: payload.clone(),
                    repeat: crate::retry::Repeat::of(cmd),
                    required: cmd.requires(),
                    started: std::time::Instant::now(),
                };
                let first = conn.send_payload(payload, 1, conn.response_timeout());
                return ResponseFuture::retrying(first, again);
            }
        }
        // Slow path: connect first, or take a dedicated connection for a
        // blocking command. The command is encoded now, since the future
        // must not borrow it (large values stay shared, not copied).
        let payload = crate::connection::Payload::encode(cmd);
        let name = cmd.name().to_string();
        let required = cmd.requires();
        let this = self.clone();
        if block != Block::No {
            // Dropping this future drops the pooled connection with the
            // request in flight: it is closed, not reused, so the server
            // gives up the blocked command instead of serving it to nobody.
            let limit = block.deadline(self.shared.config.response_timeout);
            return ResponseFuture::boxed(async move {
                let conn = this
                    .dedicated()
                    .await
                    .map_err(|e| e.for_command(name.clone()))?;
                check_required(required, &name, conn.server_info())?;
                conn.send_payload(payload, 1, limit).await
            });
        }
        if retrying {
            let again = Again {
                repeat: crate::retry::Repeat::of(cmd),
                client: this,
                payload,
                required,
                started: std::time::Instant::now(),
            };
            return ResponseFuture::boxed(again.attempts(None));
        }
        ResponseFuture::boxed(async move {
            let conn = this
                .connection()
                .await
                .map_err(|e| e.for_command(name.clone()))?;
            check_required(required, &name, conn.server_info())?;
            let limit = conn.response_timeout();
            conn.send_payload(payload, 1, limit).await
        })
    }

    /// Sends any command and converts its reply to `T` (any [`FromResp`]
    /// type). Conversion errors name the command.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let n: i64 = client.query(&respec::Cmd::from_args(["INCR", "hits"]).unwrap()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn query<T: FromResp, C: Command + ?Sized>(&self, cmd: &C) -> Result<T> {
        let frame = self.execute(cmd).await?;
        T::from_resp(frame).map_err(|e| e.for_command(cmd.name()))
    }

    /// Like [`query`](Self::query), with the RESP3 attributes the server
    /// sent before the reply ([`WithAttributes`]; every other method drops
    /// them). A reply without attributes (every RESP2 reply) comes with an
    /// empty list. Any command, generated ones included:
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use respec::connection::WithAttributes;
    /// use respec::prelude::*;
    ///
    /// let name: WithAttributes<Option<String>> =
    ///     client.query_with_attributes(&respec::commands::get("user:1")).await?;
    /// for (key, value) in &name.attributes {
    ///     println!("{key:?} = {value:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn query_with_attributes<T: FromResp, C: Command + ?Sized>(
        &self,
        cmd: &C,
    ) -> Result<WithAttributes<T>> {
        cmd.check()
            .and_then(|()| crate::cmd::check_sendable(cmd, Target::Shared))?;
        let name = cmd.name();
        let block = cmd.blocks();
        let frame = if block == Block::No {
            let conn = self.connection().await.map_err(|e| e.for_command(name))?;
            let limit = conn.response_timeout();
            // A write drops its keys' entries first, as the client's own.
            let writing = self
                .shared
                .cache
                .as_ref()
                .and_then(|c| c.before_command(cmd));
            let reply = conn.send_keeping_attributes(cmd, limit).await;
            drop(writing);
            reply?
        } else {
            let conn = self.dedicated().await.map_err(|e| e.for_command(name))?;
            let limit = block.deadline(self.shared.config.response_timeout);
            conn.send_keeping_attributes(cmd, limit).await?
        };
        WithAttributes::split(frame)
            .convert()
            .map_err(|e| e.for_command(name))
    }

    /// Sends a pipeline's commands as one request.
    ///
    /// A pipeline holding a blocking command (outside `MULTI`, where it
    /// does not block) runs on a dedicated connection, as the command alone
    /// would.
    pub(crate) async fn run_pipeline(&self, pipe: &Pipeline) -> Result<Vec<Result<Frame>>> {
        #[cfg(feature = "tracing")]
        {
            let cfg = &self.shared.config;
            let span = match self.live() {
                Some(conn) => crate::events::pipeline_span(pipe.len(), conn.addr(), cfg.db),
                None => crate::events::pipeline_span(pipe.len(), &cfg.addr, cfg.db),
            };
            if !span.is_disabled() {
                use tracing::Instrument;
                return self.run_pipeline_untraced(pipe).instrument(span).await;
            }
        }
        self.run_pipeline_untraced(pipe).await
    }

    async fn run_pipeline_untraced(&self, pipe: &Pipeline) -> Result<Vec<Result<Frame>>> {
        let writing = self
            .shared
            .cache
            .as_ref()
            .and_then(|c| c.before_pipeline(pipe));
        let results = if !pipe.is_atomic() && pipe.blocks() != Block::No {
            let conn = self.dedicated().await?;
            run_pipeline_on(&conn, pipe).await
        } else {
            let conn = self.connection().await?;
            run_pipeline_on(&conn, pipe).await
        };
        if let Some(redirect) = self.shared.redirect.as_ref().filter(|r| r.active()) {
            redirect.pass().await;
        }
        drop(writing);
        results
    }

    /// Runs an optimistic `WATCH` transaction, retrying on conflict.
    ///
    /// On a dedicated connection, `WATCH`es `keys`, then calls `build` with
    /// that connection so it can read current values, and runs the atomic
    /// [`Pipeline`] it returns. When a watched key changed in between, `EXEC`
    /// runs nothing and the whole cycle starts again, at most `max_attempts`
    /// times; after that the error's kind is
    /// [`ErrorKind::TransactionAborted`]. The replies are converted to one
    /// `T` (a tuple, as [`Pipeline::query`]); [`transact`](Self::transact)
    /// reads them through the pipeline's typed handles instead.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use respec::{Cmd, Pipeline};
    ///
    /// let (n,): (i64,) = client
    ///     .transaction(&["counter"], 100, |conn| async move {
    ///         let current: Option<i64> = respec::FromResp::from_resp(
    ///             conn.send(&Cmd::from_args(["GET", "counter"]).unwrap()).await?,
    ///         )?;
    ///         let mut tx = Pipeline::atomic();
    ///         tx.add(Cmd::from_args(["SET", "counter"]).unwrap().arg(current.unwrap_or(0) * 2).clone());
    ///         tx.add(Cmd::from_args(["GET", "counter"]).unwrap());
    ///         Ok(tx)
    ///     })
    ///     .await
    ///     .map(|((), n): ((), i64)| (n,))?;
    /// # Ok(()) }
    /// ```
    pub async fn transaction<K, F, Fut, T>(
        &self,
        keys: &[K],
        max_attempts: usize,
        mut build: F,
    ) -> Result<T>
    where
        K: ToArg,
        F: FnMut(Connection) -> Fut,
        Fut: Future<Output = Result<Pipeline>>,
        T: FromResp,
    {
        let (pipe, results, ()) = self
            .watch_loop(keys, max_attempts, |conn| {
                let built = build(conn);
                async move { built.await.map(|p| (p, ())) }
            })
            .await?;
        pipe.convert(results)
    }

    /// [`transaction`](Self::transaction) with typed replies: `build`
    /// returns the atomic pipeline and what it wants back (the
    /// [`Handle`](crate::pipeline::Handle)s it pushed, say); the result is
    /// the [`Replies`](crate::pipeline::Replies) of the run that committed, with that value.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use respec::commands::{incrby, set};
    /// use respec::prelude::*;
    ///
    /// let (mut replies, total) = client
    ///     .transact(&["counter"], 100, |conn| async move {
    ///         let current: i64 = conn.get("counter").reply::<Option<i64>>().await?.unwrap_or(0);
    ///         let mut tx = Pipeline::atomic();
    ///         tx.add(set("counter", current * 2));
    ///         let total = tx.push(incrby("counter", 1));
    ///         Ok((tx, total))
    ///     })
    ///     .await?;
    /// let total: i64 = replies.take(total)?;
    /// # let _ = total;
    /// # Ok(()) }
    /// ```
    pub async fn transact<K, F, Fut, H>(
        &self,
        keys: &[K],
        max_attempts: usize,
        build: F,
    ) -> Result<(crate::pipeline::Replies, H)>
    where
        K: ToArg,
        F: FnMut(Connection) -> Fut,
        Fut: Future<Output = Result<(Pipeline, H)>>,
    {
        let (pipe, results, handles) = self.watch_loop(keys, max_attempts, build).await?;
        Ok((pipe.replies(results), handles))
    }

    /// WATCH, build, run; again while a watched key changed.
    async fn watch_loop<K, F, Fut, H>(
        &self,
        keys: &[K],
        max_attempts: usize,
        mut build: F,
    ) -> Result<(Pipeline, Vec<Result<Frame>>, H)>
    where
        K: ToArg,
        F: FnMut(Connection) -> Fut,
        Fut: Future<Output = Result<(Pipeline, H)>>,
    {
        let mut conn = self.dedicated().await?;
        let mut watch = Cmd::new("WATCH");
        watch.args(keys);
        for _ in 0..max_attempts.max(1) {
            conn.send(&watch).await?;
            let (pipe, handles) = match build(Connection::clone(&conn)).await {
                Ok((mut pipe, handles)) => {
                    pipe.make_atomic();
                    (pipe, handles)
                }
                Err(e) => {
                    if conn.send(&Cmd::new("UNWATCH")).await.is_err() {
                        conn.discard();
                    }
                    return Err(e);
                }
            };
            match run_pipeline_on(&conn, &pipe).await {
                Ok(results) => {
                    // EXEC answered: nothing is watched any more.
                    conn.mark_clean();
                    return Ok((pipe, results, handles));
                }
                Err(e) if e.kind() == &ErrorKind::TransactionAborted => {
                    conn.mark_clean();
                    continue;
                }
                Err(e) => {
                    conn.discard();
                    return Err(e);
                }
            }
        }
        Err(Error::new(
            ErrorKind::TransactionAborted,
            format!("watched keys kept changing; gave up after {max_attempts} attempts"),
        )
        .for_command("EXEC"))
    }
}

/// A command sent with retries allowed: what is needed to send it again.
struct Again {
    client: Client,
    payload: crate::connection::Payload,
    /// Whether running it twice does no harm (decided from the payload,
    /// and only once an attempt failed).
    repeat: crate::retry::Repeat,
    required: crate::commands::Requires,
    /// When the first attempt began.
    started: std::time::Instant,
}

impl Again {
    /// Whether running it twice does no harm.
    fn safe(&self) -> bool {
        let (buf, parts) = self.payload.with_parts();
        self.repeat.allows_encoded(buf, parts)
    }

    /// One attempt on the shared connection (opened first when needed).
    async fn attempt(&self) -> Result<Frame> {
        let conn = self.client.connection().await.map_err(|e| {
            e.unsent()
                .for_command(crate::connection::aio_name_of(&self.payload))
        })?;
        let name = || crate::connection::aio_name_of(&self.payload);
        check_required(self.required, &name(), conn.server_info())?;
        conn.send_payload(self.payload.clone(), 1, conn.response_timeout())
            .await
    }

    /// Attempts until one succeeds or the policy says stop; `failed`: the
    /// first attempt's error, when it was made already.
    async fn attempts(self, failed: Option<Error>) -> Result<Frame> {
        let policy = self.client.retry;
        let mut attempt = 1;
        let mut first = None;
        let mut last = failed;
        let mut safe = None;
        loop {
            if let Some(e) = last.take() {
                let safe = *safe.get_or_insert_with(|| self.safe());
                match policy.next_wait(&e, safe, attempt, self.started) {
                    Some(wait) => {
                        self.client.shared.config.observer.emit(Event::Retried {
                            command: crate::connection::aio_name_of(&self.payload),
                            attempt: attempt + 1,
                            error: ErrorClass::of(&e),
                            delay: wait,
                        });
                        first.get_or_insert(e);
                        if !wait.is_zero() {
                            tokio::time::sleep(wait).await;
                        }
                        attempt += 1;
                    }
                    None => return Err(crate::retry::to_report(first, e)),
                }
            }
            match self.attempt().await {
                Ok(frame) => return Ok(frame),
                Err(e) => last = Some(e),
            }
        }
    }
}

impl crate::connection::Resend for Shared {
    fn resend(
        self: Arc<Self>,
        again: crate::connection::Retry,
        first: Error,
    ) -> std::result::Result<std::pin::Pin<Box<dyn Future<Output = Result<Frame>> + Send>>, Error>
    {
        let policy = again.policy;
        let again = Again {
            client: Client {
                shared: self,
                retry: policy,
                cached: false,
            },
            payload: again.payload,
            repeat: again.repeat,
            required: again.required,
            started: again.started,
        };
        if policy
            .next_wait(&first, again.safe(), 1, again.started)
            .is_none()
        {
            return Err(first);
        }
        Ok(Box::pin(again.attempts(Some(first))))
    }
}

/// Sends a pipeline's commands as one request on `conn`.
pub(crate) async fn run_pipeline_on(
    conn: &Connection,
    pipe: &Pipeline,
) -> Result<Vec<Result<Frame>>> {
    pipe.validate()?;
    if pipe.is_empty() {
        return Ok(Vec::new());
    }
    check_required(pipe.requires(), "pipeline", conn.server_info())?;
    if let Some(exists) = pipe.script_check() {
        for script in pipe.missing_scripts(conn.send(&exists).await?)? {
            conn.send(&script.load_command()).await?;
        }
    }
    let (bytes, replies) = pipe.encoded();
    let limit = if pipe.is_atomic() {
        conn.response_timeout()
    } else {
        pipe.blocks().deadline(conn.response_timeout())
    };
    let frame = conn.send_encoded_within(bytes, replies, limit).await?;
    let items = match frame {
        Frame::Array(items) if replies > 1 => items,
        single => vec![single],
    };
    pipe.split(items)
}

/// Connects through `gate`: waits out the backoff after failures, and
/// records the outcome.
pub(crate) async fn connect_spaced<F, Fut>(
    gate: &Gate,
    before: impl FnOnce(Duration),
    connect: F,
) -> Result<Connection>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Connection>>,
{
    let wait = gate.wait_before_attempt();
    before(wait);
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    match connect().await {
        Ok(conn) => {
            gate.opened();
            Ok(conn)
        }
        Err(e) => {
            gate.failed();
            // Nothing was sent on a connection that never opened.
            Err(e.unsent())
        }
    }
}

impl AsyncExecutor for Client {
    type Future<'a> = ResponseFuture;

    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        Client::execute(self, cmd)
    }
}

impl AsyncExecutor for Connection {
    type Future<'a> = ResponseFuture;

    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        // A generated SUBSCRIBE would wait for a reply that comes as a push
        // message; pub/sub has its own connection type.
        if let Err(e) = crate::cmd::check_sendable(cmd, self.target()) {
            return ResponseFuture::ready(Err(e));
        }
        if cmd.is_blocking() {
            self.send_blocking(cmd)
        } else {
            self.send(cmd)
        }
    }
}
