//! The async cluster client: the routing core driven over the existing
//! multiplexed connections, one per node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::map::{no_topology, record_moved, SlotMap};
use super::plan;
use super::redirect::{cached_read_runs_again, Attempts, Next, NodeAddr};
use super::route::{join, route, split, ResponsePolicy, Route};
use crate::cache::{Cache, CacheConfig, CacheStats, Fill, Lookup};
use crate::cmd::{Block, Command};
use crate::connection::{
    Addr, Connection, ConnectionConfig, Protocol, PushPublisher, ResponseFuture,
    DEFAULT_PUSH_CAPACITY,
};
use crate::error::{Error, ErrorKind, Result};
use crate::events::RedirectKind;
use crate::executor::AsyncExecutor;
use crate::pool::{Pool, PoolConfig};
use crate::resp::Frame;

/// Settings of a [`ClusterClient`].
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// The nodes to learn the topology from, tried in order.
    pub seeds: Vec<NodeAddr>,
    /// Everything else about each node's connections (credentials, TLS,
    /// protocol, timeouts); its address is replaced by each node's.
    pub node: ConnectionConfig,
    /// How many redirects (`MOVED`, `ASK`) and retries (`TRYAGAIN`,
    /// `CLUSTERDOWN`, a move to another node) one command may go through.
    /// Retries after a lost connection follow `node.retry` instead (the
    /// [`RetryPolicy`](crate::retry::RetryPolicy) of the standalone
    /// client, with its defaults).
    pub max_redirects: usize,
    /// The wait before retrying after `TRYAGAIN` or `CLUSTERDOWN`, doubled
    /// at each retry.
    pub retry_delay: Duration,
    /// How often the topology is read again without a reason (`None`:
    /// only on `MOVED` and lost connections).
    pub refresh_every: Option<Duration>,
    /// The per-node pools of dedicated connections (blocking commands).
    pub pool: PoolConfig,
    /// Where commands the spec flags `readonly` are read from.
    pub read_from: ReadFrom,
    /// The client-side cache, if any (see [`ClusterConfig::cache`]).
    pub cache: Option<CacheConfig>,
}

/// Where read-only commands go (only those the spec flags `readonly`;
/// everything else goes to primaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadFrom {
    /// The primary of the slot (the default): reads see every write.
    #[default]
    Primary,
    /// A replica of the slot's shard when one is known, the primary
    /// otherwise; replicas lag behind the primary, so a read may miss a
    /// write just made.
    PreferReplica,
    /// The primary and its replicas in turn.
    RoundRobin,
    /// The replica of the slot's shard with the lowest round trip, as
    /// measured with `PING` (the best of three) each time the topology is
    /// read; a replica not measured yet counts as slowest, and the
    /// primary serves when the shard has no replica. Replicas lag behind
    /// the primary, as with [`PreferReplica`](Self::PreferReplica).
    LowestLatency,
}

impl ClusterConfig {
    /// Settings from one or more seed URLs (`redis://a:7000,b:7001`, or
    /// several URLs separated by commas); credentials and options come
    /// from the first.
    pub fn from_urls(urls: &str) -> Result<ClusterConfig> {
        let mut seeds = Vec::new();
        let mut node = None;
        let mut scheme = "redis://";
        for (i, part) in urls.split(',').map(str::trim).enumerate() {
            let url = if part.contains("://") {
                if let Some(end) = part.find("://") {
                    scheme = if part[..end].ends_with('s') {
                        "rediss://"
                    } else {
                        "redis://"
                    };
                }
                part.to_string()
            } else {
                format!("{scheme}{part}")
            };
            let cfg = ConnectionConfig::from_url(&url)?;
            match &cfg.addr {
                Addr::Tcp { host, port } => seeds.push(NodeAddr {
                    host: host.clone(),
                    port: *port,
                }),
                Addr::Unix(_) => {
                    return Err(Error::new(
                        ErrorKind::InvalidConfig,
                        "a cluster is reached over TCP, not a Unix socket",
                    ))
                }
            }
            if i == 0 {
                node = Some(cfg);
            }
        }
        let node = node.ok_or_else(|| Error::new(ErrorKind::InvalidConfig, "no seed URL"))?;
        Ok(ClusterConfig {
            seeds,
            node,
            max_redirects: 16,
            retry_delay: Duration::from_millis(50),
            refresh_every: Some(Duration::from_secs(30)),
            pool: PoolConfig::default(),
            read_from: ReadFrom::Primary,
            cache: None,
        })
    }

    /// Caches the replies of read-only commands in the client, kept fresh
    /// by the servers' invalidations: one store for the whole client, and
    /// `CLIENT TRACKING` on every node connection that serves cached
    /// reads (needs RESP3). The same [`CacheConfig`] and guarantees as
    /// [`ClientBuilder::cache`](crate::ClientBuilder::cache); what the
    /// cluster clients add (slots that move, node connections that end) is
    /// in [`crate::cache`].
    ///
    /// ```no_run
    /// # async fn demo() -> respec::Result<()> {
    /// use respec::cache::CacheConfig;
    /// use respec::cluster::{ClusterClient, ClusterConfig};
    /// use respec::prelude::*;
    ///
    /// let config = ClusterConfig::from_urls("redis://127.0.0.1:7000,127.0.0.1:7001")?
    ///     .cache(CacheConfig::default().max_entries(50_000));
    /// let cluster = ClusterClient::with_config(config);
    /// cluster.set("user:1", "ada").await?;
    /// let a = cluster.get("user:1").await?; // a miss: asks the key's primary
    /// let b = cluster.get("user:1").await?; // a hit: no round trip
    /// assert_eq!(a, b);
    /// let stats = cluster.cache_stats().unwrap();
    /// assert_eq!((stats.hits, stats.misses), (1, 1));
    /// # Ok(()) }
    /// ```
    pub fn cache(mut self, config: CacheConfig) -> Self {
        self.cache = Some(config);
        self
    }
}

/// An async Redis Cluster client: cheap to clone, one multiplexed
/// connection per node, every generated command method.
///
/// Each command goes where its spec says ([`route`]): to the primary of its
/// keys' slot, to every primary or node (`DBSIZE`, `KEYS`, `SCRIPT LOAD`)
/// with the replies combined by the spec's response policy, or split per
/// slot (`MGET`, `MSET`, `DEL` across slots) and put back in the caller's
/// order. `MOVED` updates the slot map and sends the command to the new
/// owner (and the topology is read again in the background, one refresh at
/// a time); `ASK` sends it once to the importing node after `ASKING`;
/// `TRYAGAIN` and `CLUSTERDOWN` are retried after a growing wait, within
/// [`ClusterConfig::max_redirects`]. A connection lost with the command in
/// flight, or a refusal that ran nothing (`READONLY` from a demoted
/// primary, `LOADING`), is retried under the client's
/// [`RetryPolicy`](crate::retry::RetryPolicy) (`config.node.retry`: the
/// standalone client's defaults and predicates, so a write is not sent
/// twice unless asked), after the topology is read again; a primary that
/// cannot be reached at all is an error at once unless another node
/// serves its slot by then. Keys in several slots of a command that
/// cannot be split are refused before anything is sent. Blocking commands
/// run on dedicated connections of the owning node's pool.
///
/// With [`ClusterConfig::cache`], replies of read-only commands are cached
/// in the client and kept fresh by the nodes' invalidations (see
/// [`crate::cache`]).
///
/// ```no_run
/// # async fn demo() -> respec::Result<()> {
/// use respec::prelude::*;
/// use respec::cluster::ClusterClient;
///
/// let cluster = ClusterClient::open("redis://127.0.0.1:7000,127.0.0.1:7001")?;
/// cluster.set("user:1", "ada").await?;
/// let name = cluster.get("user:1").await?;
/// let n: i64 = cluster.dbsize().await?; // summed over every primary
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClusterClient {
    pub(super) inner: Arc<Inner>,
    /// Whether this handle's reads go through the client-side cache (when
    /// the client has one; [`ClusterClient::without_cache`] turns it off).
    pub(super) cached: bool,
}

pub(super) struct Inner {
    config: ClusterConfig,
    map: RwLock<Arc<SlotMap>>,
    nodes: Mutex<HashMap<NodeAddr, Connection>>,
    /// Connections to replicas, in `READONLY` mode.
    replicas: Mutex<HashMap<NodeAddr, Connection>>,
    /// Turns of the round-robin read policy.
    turn: std::sync::atomic::AtomicUsize,
    pools: Mutex<HashMap<NodeAddr, Arc<Pool>>>,
    /// Held while the topology is read, so that one refresh runs at a time.
    refreshing: tokio::sync::Mutex<()>,
    /// Bumped after every refresh, so a caller that waited for one knows.
    generation: std::sync::atomic::AtomicU64,
    /// The periodic refresh has been started.
    ticking: std::sync::atomic::AtomicBool,
    /// When the topology was last read.
    last_refresh: Mutex<Option<std::time::Instant>>,
    /// Round trips to replicas, measured after each refresh under
    /// [`ReadFrom::LowestLatency`].
    latency: Mutex<HashMap<NodeAddr, Duration>>,
    /// The client-side cache, when configured ([`ClusterConfig::cache`]),
    /// and the channel the node connections' pushes go through to it.
    cache: Option<Arc<Cache>>,
    pushes: PushPublisher,
}

impl std::fmt::Debug for ClusterClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterClient")
            .field("seeds", &self.inner.config.seeds)
            .field("map", &*self.inner.map())
            .finish()
    }
}

impl ClusterClient {
    /// A client for the cluster reachable at the seed URLs (see
    /// [`ClusterConfig::from_urls`]). Opening does no I/O: the topology is
    /// read on first use.
    pub fn open(urls: &str) -> Result<ClusterClient> {
        Ok(Self::with_config(ClusterConfig::from_urls(urls)?))
    }

    /// A client with explicit settings. Its connection events go to the
    /// listeners of `config.node` ([`ConnectionConfig::on_event`]); its
    /// counters start at zero ([`metrics`](Self::metrics)).
    pub fn with_config(mut config: ClusterConfig) -> ClusterClient {
        config.node.observer = config.node.observer.with_fresh_metrics();
        let cache = config.cache.as_ref().map(Cache::new);
        let observer = cache
            .clone()
            .map(|c| c as Arc<dyn crate::connection::PushObserver>);
        ClusterClient {
            cached: true,
            inner: Arc::new(Inner {
                cache,
                pushes: PushPublisher::observed(DEFAULT_PUSH_CAPACITY, observer),
                config,
                map: RwLock::new(Arc::new(SlotMap::empty())),
                nodes: Mutex::new(HashMap::new()),
                replicas: Mutex::new(HashMap::new()),
                turn: std::sync::atomic::AtomicUsize::new(0),
                pools: Mutex::new(HashMap::new()),
                refreshing: tokio::sync::Mutex::new(()),
                generation: std::sync::atomic::AtomicU64::new(0),
                ticking: std::sync::atomic::AtomicBool::new(false),
                last_refresh: Mutex::new(None),
                latency: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The client's settings.
    pub fn config(&self) -> &ClusterConfig {
        &self.inner.config
    }

    /// The client's counters now, over every node (see
    /// [`MetricsSnapshot`](crate::events::MetricsSnapshot); no pool
    /// figures).
    pub fn metrics(&self) -> crate::events::MetricsSnapshot {
        self.inner.config.node.observer.metrics()
    }

    /// The slot map as last read (empty before the first command).
    pub fn slot_map(&self) -> Arc<SlotMap> {
        self.inner.map()
    }

    /// This client without its client-side cache, for the calls made
    /// through the returned handle (they ask the servers and store
    /// nothing). The same client when it has no cache.
    ///
    /// ```no_run
    /// # async fn demo(cluster: respec::cluster::ClusterClient) -> respec::Result<()> {
    /// use respec::prelude::*;
    ///
    /// let balance: Option<i64> = cluster.without_cache().get("balance").reply().await?;
    /// # let _ = balance;
    /// # Ok(()) }
    /// ```
    pub fn without_cache(&self) -> ClusterClient {
        ClusterClient {
            inner: self.inner.clone(),
            cached: false,
        }
    }

    /// The client-side cache's counters and size; `None` when the client
    /// has no cache ([`ClusterConfig::cache`]).
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.inner.cache.as_ref().map(|c| c.stats())
    }

    /// Drops every entry of the client-side cache (if there is one).
    pub fn clear_cache(&self) {
        if let Some(c) = &self.inner.cache {
            c.flush();
        }
    }

    /// Reads the topology now (it is also read on first use, after
    /// `MOVED`, after a node's connection is lost, and periodically).
    pub async fn refresh(&self) -> Result<()> {
        let seen = self.inner.generation();
        self.inner.refresh(seen).await
    }

    /// The round trip last measured to each replica, under
    /// [`ReadFrom::LowestLatency`] (measured after each topology read; empty
    /// under the other policies).
    pub fn replica_latencies(&self) -> HashMap<NodeAddr, Duration> {
        self.inner.latencies()
    }

    /// The shared connection to the node at `addr`, opened if needed.
    pub async fn node(&self, addr: &NodeAddr) -> Result<Connection> {
        self.inner.connection(addr).await
    }

    /// Sends any command where its spec routes it and resolves to its
    /// reply (combined over nodes where the command runs on several).
    pub fn execute<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        if let Err(e) = cmd
            .check()
            .and_then(|()| crate::cmd::check_sendable(cmd, crate::cmd::Target::Shared))
        {
            return ResponseFuture::ready(Err(e));
        }
        let route = match route(cmd) {
            Ok(r) => r,
            Err(e) => return ResponseFuture::ready(Err(e)),
        };
        // The client-side cache: a hit answers here; a read that missed
        // is stored below; a write of keys drops their entries now, and
        // until it is answered no read of them stores its reply. Only
        // reads of one slot are cached.
        let (mut fill, mut writing) = (None, None);
        if let (Some(cache), true) = (&self.inner.cache, self.cached) {
            if self.inner.config.node.protocol == Protocol::Resp2 {
                return ResponseFuture::ready(Err(crate::cache::resp2_error()));
            }
            let one_slot_read = matches!(route, Route::Slot { readonly: true, .. });
            if one_slot_read || !cache.may_cache(cmd) {
                match cache.lookup(cmd) {
                    Lookup::Pass => {}
                    Lookup::Hit(frame) => return ResponseFuture::ready(Ok(frame)),
                    Lookup::Write(w) => writing = Some(w),
                    Lookup::Miss(f) => fill = Some(f),
                }
            }
        }
        let name: Arc<str> = cmd.name().into();
        let block = cmd.blocks();
        let mut out = BytesMut::new();
        cmd.encode(&mut out);
        let bytes = out.freeze();
        // From the encoding above, not a second one.
        let safe = crate::retry::Repeat::of(cmd).allows_encoded(&bytes, &[]);
        let parts = match route {
            Route::Split(_) => match split(cmd) {
                Ok(p) => Some(p),
                Err(e) => return ResponseFuture::ready(Err(e)),
            },
            _ => None,
        };
        let inner = self.inner.clone();
        #[cfg(feature = "tracing")]
        let span = crate::events::cluster_command_span(&name);
        #[cfg(feature = "tracing")]
        let recorded = span.clone();
        let fut = async move {
            inner.ensure_map().await?;
            // The node a command for one node went to last.
            let mut at: Option<NodeAddr> = None;
            let r = match route {
                Route::Slot {
                    slot,
                    readonly: true,
                } if block == Block::No => match fill.take() {
                    Some(fill) => inner.cached_read(slot, bytes, fill, safe).await,
                    None => match inner.replica_for(slot) {
                        Some(addr) => {
                            let sent = inner.send_to_replica(&addr, bytes.clone()).await;
                            at = Some(addr);
                            match sent {
                                Ok(frame) => Ok(frame),
                                // Not served there (a MOVED, a lost replica):
                                // the primary answers.
                                Err(_) => {
                                    inner
                                        .run_on_slot_at(slot, bytes, block, safe, &mut at)
                                        .await
                                }
                            }
                        }
                        None => {
                            inner
                                .run_on_slot_at(slot, bytes, block, safe, &mut at)
                                .await
                        }
                    },
                },
                Route::Slot { slot, .. } => {
                    inner
                        .run_on_slot_at(slot, bytes, block, safe, &mut at)
                        .await
                }
                Route::AnyPrimary => inner.run_anywhere_at(bytes, block, &mut at).await,
                Route::Special => match inner.slot_from_server(&bytes).await {
                    Ok(Some(slot)) => {
                        inner
                            .run_on_slot_at(slot, bytes, block, safe, &mut at)
                            .await
                    }
                    Ok(None) => inner.run_anywhere_at(bytes, block, &mut at).await,
                    Err(e) => Err(e),
                },
                Route::AllPrimaries(policy) => inner.run_on_all(bytes, policy, false).await,
                Route::AllNodes(policy) => inner.run_on_all(bytes, policy, true).await,
                Route::Split(policy) => {
                    let parts = parts.unwrap_or_default();
                    let replies = inner.run_parts(&parts, safe).await;
                    join(policy, &parts, replies)
                }
            };
            drop(writing);
            #[cfg(feature = "tracing")]
            crate::events::record_node(&recorded, at.as_ref());
            #[cfg(not(feature = "tracing"))]
            let _ = at;
            r.map_err(|e| {
                if e.command().is_none() {
                    e.for_command(&*name)
                } else {
                    e
                }
            })
        };
        #[cfg(feature = "tracing")]
        {
            use tracing::Instrument;
            ResponseFuture::boxed(fut.instrument(span))
        }
        #[cfg(not(feature = "tracing"))]
        ResponseFuture::boxed(fut)
    }
}

/// The error when the primary of `slot` cannot be reached and no other
/// node serves the slot.
pub(super) fn unreachable_owner(slot: u16, addr: &NodeAddr, e: &Error) -> Error {
    Error::new(
        ErrorKind::ConnectionClosed,
        format!(
            "the primary of slot {slot} ({addr}) cannot be reached and no other node serves \
             the slot yet: {e}"
        ),
    )
    .unsent()
}

/// Awaits every future, concurrently, and returns their outputs in order.
async fn futures_join<F, T>(futs: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        match h.await {
            Ok(v) => out.push(v),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    out
}

impl Inner {
    pub(super) fn map(&self) -> Arc<SlotMap> {
        self.map.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The client-side cache, when configured.
    pub(super) fn cache(&self) -> Option<&Arc<Cache>> {
        self.cache.as_ref()
    }

    pub(super) fn max_redirects(&self) -> usize {
        self.config.max_redirects
    }

    /// Records a `MOVED` in the slot map and reads the topology again in
    /// the background.
    pub(super) fn note_moved(self: &Arc<Self>, slot: u16, to: &NodeAddr) {
        record_moved(&self.map, slot, to);
        // The old owner's tracking no longer covers the slot. Every
        // `MOVED` drops the cache, even one the map already had: a read
        // the old owner answered before the move may have been stored
        // since the last one.
        if let Some(cache) = &self.cache {
            cache.flush();
        }
        self.refresh_soon();
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn node_config(&self, addr: &NodeAddr) -> ConnectionConfig {
        let mut cfg = self.config.node.clone();
        cfg.addr = Addr::Tcp {
            host: addr.host.clone(),
            port: addr.port,
        };
        cfg
    }

    pub(super) async fn connection(&self, addr: &NodeAddr) -> Result<Connection> {
        let existing = self
            .nodes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(addr)
            .filter(|c| !c.is_closed())
            .cloned();
        if let Some(c) = existing {
            return Ok(c);
        }
        let conn = self.open(addr).await?;
        let opened = conn.id();
        let mut nodes = self.nodes.lock().unwrap_or_else(|p| p.into_inner());
        // Another task may have connected meanwhile: keep one.
        let kept = nodes
            .entry(addr.clone())
            .and_modify(|c| {
                if c.is_closed() {
                    *c = conn.clone();
                }
            })
            .or_insert(conn)
            .clone();
        if kept.id() != opened {
            // Ours served nothing: its end drops nothing from the cache.
            if let Some(cache) = &self.cache {
                cache.forget(opened);
            }
        }
        Ok(kept)
    }

    /// Opens a connection to the node at `addr`. With the client-side
    /// cache, its pushes go to the cache (which drops everything when a
    /// tracked connection ends), and `CLIENT TRACKING` is on before
    /// anything else uses it.
    async fn open(&self, addr: &NodeAddr) -> Result<Connection> {
        let cfg = self.node_config(addr);
        let Some(cache) = &self.cache else {
            return Connection::connect(&cfg).await;
        };
        let conn = Connection::connect_publishing(&cfg, &self.pushes).await?;
        cache.start_tracking(&conn, None).await?;
        Ok(conn)
    }

    /// The slot map changed (a `MOVED`, a topology read): when a slot that
    /// had an owner has another now, the old owner's tracking no longer
    /// covers its keys, so the client-side cache drops everything.
    fn map_replaced(&self, old: &SlotMap, new: &SlotMap) {
        if let Some(cache) = &self.cache {
            if old.owners_changed(new) {
                cache.flush();
            }
        }
    }

    pub(super) fn pool(&self, addr: &NodeAddr) -> Arc<Pool> {
        self.pools
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(addr.clone())
            .or_insert_with(|| Pool::new(self.node_config(addr), self.config.pool.clone()))
            .clone()
    }

    /// Reads the topology if none was read yet.
    pub(super) async fn ensure_map(self: &Arc<Self>) -> Result<()> {
        // A caching client on RESP2 refuses everything, as the standalone
        // one does (tracking needs RESP3).
        if self.cache.is_some() && self.config.node.protocol == Protocol::Resp2 {
            return Err(crate::cache::resp2_error());
        }
        // The generation first: an atomic load, where the map's check
        // counts its 16,384 slots.
        if self.generation() > 0 || self.map().is_complete() {
            return Ok(());
        }
        self.refresh(0).await?;
        if let Some(every) = self.config.refresh_every {
            if !self.ticking.swap(true, std::sync::atomic::Ordering::AcqRel) {
                let weak = Arc::downgrade(self);
                tokio::spawn(periodic_refresh(weak, every));
            }
        }
        Ok(())
    }

    /// Reads the topology from a known node (primaries first), then from
    /// the seeds; one refresh at a time: a caller that waited while
    /// another refresh ran (the generation moved past `seen`) returns.
    pub(super) async fn refresh(self: &Arc<Self>, seen: u64) -> Result<()> {
        let _one = self.refreshing.lock().await;
        if self.generation() > seen {
            return Ok(());
        }
        let mut last_err = None;
        for addr in self.map().refresh_order(&self.config.seeds) {
            match self.read_topology(&addr).await {
                Ok(map) if map.assigned() > 0 => {
                    let map = Arc::new(map);
                    let old = std::mem::replace(
                        &mut *self.map.write().unwrap_or_else(|p| p.into_inner()),
                        map.clone(),
                    );
                    self.map_replaced(&old, &map);
                    *self.last_refresh.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some(std::time::Instant::now());
                    self.generation
                        .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                    if self.config.read_from == ReadFrom::LowestLatency {
                        tokio::spawn(measure_replicas(self.clone()));
                    }
                    return Ok(());
                }
                Ok(_) => {
                    last_err = Some(Error::new(
                        ErrorKind::ConnectionClosed,
                        format!("{addr} serves no slots"),
                    ))
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(no_topology(last_err))
    }

    async fn read_topology(&self, addr: &NodeAddr) -> Result<SlotMap> {
        let conn = self.connection(addr).await?;
        match conn
            .send(&crate::Cmd::from_args(["CLUSTER", "SHARDS"]).unwrap_or_else(|| unreachable!()))
            .await
        {
            Ok(reply) => SlotMap::from_shards(&reply, addr),
            Err(e) if e.is_server_error() => {
                // Before 7.0: CLUSTER SLOTS.
                let reply = conn
                    .send(
                        &crate::Cmd::from_args(["CLUSTER", "SLOTS"])
                            .unwrap_or_else(|| unreachable!()),
                    )
                    .await?;
                SlotMap::from_slots(&reply, addr)
            }
            Err(e) => Err(e),
        }
    }

    /// Reads the topology again unless it was read in the last 100 ms (so
    /// that many callers failing on one dead node do not read it in a
    /// loop).
    async fn refresh_unless_recent(self: &Arc<Self>) {
        let recent = self
            .last_refresh
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|t| t.elapsed() < Duration::from_millis(100));
        if !recent {
            let seen = self.generation();
            let _ = self.refresh(seen).await;
        }
    }

    /// Starts a refresh in the background (after `MOVED` or a lost node),
    /// unless one is running.
    pub(super) fn refresh_soon(self: &Arc<Self>) {
        if self.refreshing.try_lock().is_err() {
            return;
        }
        let seen = self.generation();
        let this = self.clone();
        tokio::spawn(async move {
            let _ = this.refresh(seen).await;
        });
    }

    /// The bounds of one request's redirects and retries.
    pub(super) fn attempts(&self, safe: bool) -> Attempts {
        Attempts::new(
            self.config.node.retry,
            safe,
            self.config.max_redirects,
            self.config.retry_delay,
        )
    }

    /// Sends one encoded command to the owner of `slot`, following
    /// redirects, and retrying within the cluster's bounds and the retry
    /// policy ([`Attempts`]); `safe`: sending it twice does no harm.
    pub(super) async fn run_on_slot(
        self: &Arc<Self>,
        slot: u16,
        bytes: Bytes,
        block: Block,
        safe: bool,
    ) -> Result<Frame> {
        self.run_on_slot_at(slot, bytes, block, safe, &mut None)
            .await
    }

    /// [`run_on_slot`](Self::run_on_slot), noting in `at` the node it sent
    /// to last.
    async fn run_on_slot_at(
        self: &Arc<Self>,
        slot: u16,
        bytes: Bytes,
        block: Block,
        safe: bool,
        at: &mut Option<NodeAddr>,
    ) -> Result<Frame> {
        let mut target = self.map().primary(slot).cloned();
        let mut asking = false;
        let mut attempts = self.attempts(safe);
        loop {
            let addr = match target.take() {
                Some(a) => a,
                None => {
                    // No owner known: read the topology, then look again.
                    let seen = self.generation();
                    self.refresh(seen).await?;
                    match self.map().primary(slot).cloned() {
                        Some(a) => a,
                        None => {
                            return Err(Error::new(
                                ErrorKind::ConnectionClosed,
                                format!("no node serves slot {slot}"),
                            ))
                        }
                    }
                }
            };
            let via = match self.reach(&addr, block).await {
                Ok(via) => via,
                Err(e) => {
                    // The node could not be reached, so nothing was sent.
                    // Read the topology once (coalesced with other
                    // callers): when another node serves the slot now (its
                    // replica took over), go there; otherwise fail at once,
                    // with no retry wait, rather than hold the caller until
                    // a failover: with every caller waiting a little on the
                    // dead shard, the work for the healthy shards would
                    // stall behind it.
                    self.refresh_unless_recent().await;
                    match self.map().primary(slot).cloned() {
                        Some(now) if now != addr && attempts.redirect() => {
                            target = Some(now);
                            continue;
                        }
                        _ => return Err(unreachable_owner(slot, &addr, &e)),
                    }
                }
            };
            *at = Some(addr.clone());
            let result = send_via(via, bytes.clone(), asking).await;
            asking = false;
            let e = match result {
                Ok(frame) => return Ok(frame),
                Err(e) => e,
            };
            match attempts.after(&e) {
                Next::Moved { slot: s, to } => {
                    to.report_redirect(&self.config.node.observer, RedirectKind::Moved, s);
                    self.note_moved(s, &to);
                    target = Some(to);
                }
                Next::Ask(to) => {
                    to.report_redirect(&self.config.node.observer, RedirectKind::Ask, slot);
                    asking = true;
                    target = Some(to);
                }
                Next::Wait { delay, refresh } => {
                    tokio::time::sleep(delay).await;
                    if refresh {
                        self.refresh_soon();
                    }
                    target = self.map().primary(slot).cloned();
                }
                Next::Again(wait) => {
                    // Its node dropped the connection, or refused without
                    // running it: the slot may have a new owner.
                    tokio::time::sleep(wait).await;
                    self.refresh_unless_recent().await;
                    target = self.map().primary(slot).cloned();
                }
                Next::Fail => {
                    if e.is_connection_dropped() {
                        // It may have run, so it is not sent again; the
                        // topology is read again for the next commands.
                        self.refresh_soon();
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Runs the parts of a split command: the parts whose slots one
    /// primary owns go to it together, in one write (every node at once);
    /// a part answered with a redirect, or whose node could not be
    /// reached, runs again alone through [`run_on_slot`](Self::run_on_slot).
    async fn run_parts(
        self: &Arc<Self>,
        parts: &[super::route::Part],
        safe: bool,
    ) -> Vec<Result<Frame>> {
        let plan::Groups { by_node, mut alone } =
            plan::group_by_node(parts.iter().map(|p| Some(p.slot)), &self.map());
        let mut results: Vec<Option<Result<Frame>>> = (0..parts.len()).map(|_| None).collect();
        let groups = futures_join(by_node.into_iter().map(|(addr, group)| {
            let inner = self.clone();
            let mut payload = BytesMut::new();
            for &i in &group {
                payload.extend_from_slice(&parts[i].command);
            }
            async move {
                let n = group.len();
                // `None`: the node could not be reached, nothing was sent.
                let replies = match inner.connection(&addr).await {
                    Ok(conn) => Some(
                        conn.send_encoded(payload.freeze(), n, true)
                            .await
                            .map(|f| plan::batch_items(f, n)),
                    ),
                    Err(_) => None,
                };
                (group, replies)
            }
        }))
        .await;
        for (group, replies) in groups {
            match replies {
                // Lost in flight (the parts may have run) or timed out:
                // the error is theirs, as for a command alone, unless the
                // retry policy allows sending them again.
                Some(Err(e)) if !e.is_server_error() => {
                    if e.is_connection_dropped() {
                        self.refresh_soon();
                    }
                    if self.config.node.retry.may_resend(&e, safe) {
                        alone.extend(group);
                    } else {
                        for &i in &group {
                            results[i] = Some(Err(e.duplicate()));
                        }
                    }
                }
                Some(replies) => {
                    for (i, r) in plan::deal(&group, replies, |_| None) {
                        if plan::to_reroute(&r).is_some() {
                            alone.push(i);
                        } else {
                            results[i] = Some(r);
                        }
                    }
                }
                // Not reached: each part finds its way alone (the topology
                // is read again there).
                None => alone.extend(group),
            }
        }
        if !alone.is_empty() {
            let again = futures_join(alone.iter().map(|&i| {
                let inner = self.clone();
                let (slot, command) = (parts[i].slot, parts[i].command.clone());
                async move { inner.run_on_slot(slot, command, Block::No, safe).await }
            }))
            .await;
            for (&i, r) in alone.iter().zip(again) {
                results[i] = Some(r);
            }
        }
        plan::in_order(results)
    }

    /// A read that missed the client-side cache: sent once to the node
    /// that serves it (the slot's primary, or a replica under the read
    /// policy) on that node's shared connection, tracked, and its reply
    /// stored. Any other outcome (a redirect, a lost connection, a replica
    /// that failed) goes the ordinary way, and that reply is not stored: it
    /// may come from a node whose tracking of the key began after a write
    /// the store never heard of.
    async fn cached_read(
        self: &Arc<Self>,
        slot: u16,
        bytes: Bytes,
        fill: Fill,
        safe: bool,
    ) -> Result<Frame> {
        let target = match self.replica_for(slot) {
            Some(addr) => Some((addr, true)),
            None => self.map().primary(slot).cloned().map(|a| (a, false)),
        };
        if let Some((addr, replica)) = target {
            let conn = if replica {
                self.replica_connection(&addr).await
            } else {
                self.connection(&addr).await
            };
            if let Ok(conn) = conn {
                let reply = match fill.opt_in_request() {
                    None => conn.send_encoded(bytes.clone(), 1, true).await,
                    Some(request) => match conn.send_encoded(request, 2, true).await {
                        Ok(Frame::Array(replies)) => crate::cache::second_of_two(replies),
                        Ok(other) => Err(Error::new(
                            ErrorKind::Protocol,
                            format!("two replies expected, got {}", other.kind()),
                        )),
                        Err(e) => Err(e),
                    },
                };
                let e = match reply {
                    Ok(frame) => {
                        let reply = Ok(frame);
                        fill.fill(&reply);
                        return reply;
                    }
                    Err(e) => e,
                };
                let again =
                    cached_read_runs_again(&e, replica, safe, &self.config.node, |s, to| {
                        self.note_moved(s, to)
                    });
                if !again {
                    return Err(e);
                }
            }
        }
        self.run_on_slot(slot, bytes, Block::No, safe).await
    }

    /// Sends to the node at `addr` (see [`reach`](Self::reach) and
    /// [`send_via`]).
    pub(super) async fn send_to(
        &self,
        addr: &NodeAddr,
        bytes: Bytes,
        block: Block,
        asking: bool,
    ) -> Result<Frame> {
        send_via(self.reach(addr, block).await?, bytes, asking).await
    }

    /// A connection to the node at `addr`: its shared one, or for a
    /// blocking command a dedicated one of its pool. An error here means
    /// nothing was sent.
    async fn reach(&self, addr: &NodeAddr, block: Block) -> Result<Via> {
        if block != Block::No {
            let conn = self.pool(addr).get().await?;
            let limit = block.deadline(conn.response_timeout());
            return Ok(Via::Pooled(conn, limit));
        }
        Ok(Via::Shared(self.connection(addr).await?))
    }

    /// The replica a read-only command of `slot` goes to under the read
    /// policy (`None`: the primary).
    fn replica_for(&self, slot: u16) -> Option<NodeAddr> {
        if self.config.read_from == ReadFrom::Primary {
            return None;
        }
        let map = self.map();
        let latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        self.config
            .read_from
            .replica(map.shard(slot)?, &self.turn, &latency)
    }

    /// The round trips measured to replicas (filled under
    /// [`ReadFrom::LowestLatency`]).
    pub(super) fn latencies(&self) -> HashMap<NodeAddr, Duration> {
        self.latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sends a read to a replica, on a connection in `READONLY` mode.
    async fn send_to_replica(&self, addr: &NodeAddr, bytes: Bytes) -> Result<Frame> {
        let conn = self.replica_connection(addr).await?;
        conn.send_encoded(bytes, 1, true).await
    }

    /// The shared connection to a replica, in `READONLY` mode.
    async fn replica_connection(&self, addr: &NodeAddr) -> Result<Connection> {
        let existing = self
            .replicas
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(addr)
            .filter(|c| !c.is_closed())
            .cloned();
        let conn = match existing {
            Some(c) => c,
            None => {
                let conn = self.open(addr).await?;
                conn.send(&crate::Cmd::from_args(["READONLY"]).unwrap_or_else(|| unreachable!()))
                    .await?;
                self.replicas
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(addr.clone(), conn.clone());
                conn
            }
        };
        Ok(conn)
    }

    /// The slot of a command whose keys the spec cannot locate (`SORT`
    /// with `BY`/`GET`, a command the specs do not have), from the
    /// server's own `COMMAND GETKEYS`; `None` when it has no keys. Keys in
    /// several slots are refused before the command is sent.
    async fn slot_from_server(self: &Arc<Self>, bytes: &Bytes) -> Result<Option<u16>> {
        let reply = self.run_anywhere(plan::getkeys(bytes), Block::No).await;
        plan::slot_of_getkeys(reply)
    }

    /// Sends to any primary (a random one; the next one when it cannot be
    /// reached, as nothing was sent).
    async fn run_anywhere(self: &Arc<Self>, bytes: Bytes, block: Block) -> Result<Frame> {
        self.run_anywhere_at(bytes, block, &mut None).await
    }

    /// [`run_anywhere`](Self::run_anywhere), noting in `at` the primary it
    /// sent to.
    async fn run_anywhere_at(
        self: &Arc<Self>,
        bytes: Bytes,
        block: Block,
        at: &mut Option<NodeAddr>,
    ) -> Result<Frame> {
        let map = self.map();
        let mut primaries: Vec<NodeAddr> = map.primaries().cloned().collect();
        drop(map);
        if primaries.is_empty() {
            return Err(Error::new(ErrorKind::ConnectionClosed, "no primary known"));
        }
        let pick = random_index(primaries.len());
        primaries.rotate_left(pick);
        let mut last = None;
        for addr in &primaries {
            match self.reach(addr, block).await {
                Ok(via) => {
                    *at = Some(addr.clone());
                    return send_via(via, bytes, false).await;
                }
                Err(e) => last = Some(e),
            }
        }
        self.refresh_soon();
        Err(last.unwrap_or_else(|| Error::new(ErrorKind::ConnectionClosed, "no primary known")))
    }

    /// Sends to every primary (or every node) at once and combines.
    async fn run_on_all(
        self: &Arc<Self>,
        bytes: Bytes,
        policy: ResponsePolicy,
        replicas: bool,
    ) -> Result<Frame> {
        let map = self.map();
        let mut targets: Vec<NodeAddr> = map.primaries().cloned().collect();
        if replicas {
            for s in map.shards() {
                targets.extend(s.replicas.iter().cloned());
            }
        }
        let replies = futures_join(targets.into_iter().map(|addr| {
            let this = self.clone();
            let bytes = bytes.clone();
            async move {
                let r = this.send_to(&addr, bytes, Block::No, false).await;
                (addr, r)
            }
        }))
        .await;
        policy.combine_nodes(replies)
    }
}

/// A connection a command is about to go out on.
enum Via {
    /// The node's shared, multiplexed connection.
    Shared(Connection),
    /// A dedicated connection (a blocking command), with the reply's limit.
    Pooled(crate::pool::PooledConnection, Option<Duration>),
}

/// Sends an encoded command on `via`, with `ASKING` first after an `ASK`
/// (both in one write; the command's own reply is the result).
async fn send_via(via: Via, bytes: Bytes, asking: bool) -> Result<Frame> {
    let (payload, replies) = if asking {
        (plan::with_asking(&bytes), 2)
    } else {
        (bytes, 1)
    };
    let frame = match via {
        Via::Shared(conn) => conn.send_encoded(payload, replies, true).await?,
        Via::Pooled(conn, limit) => conn.send_encoded_within(payload, replies, limit).await?,
    };
    match frame {
        Frame::Array(items) if asking && items.len() == 2 => plan::last_reply(items),
        other => Ok(other),
    }
}

pub(super) fn random_index(n: usize) -> usize {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_usize(n);
    (h.finish() % n as u64) as usize
}

/// Measures the round trip to every replica (the best of three `PING`s,
/// each within a second) for [`ReadFrom::LowestLatency`]; a replica that
/// does not answer is forgotten, so it counts as slowest.
async fn measure_replicas(inner: Arc<Inner>) {
    let replicas: Vec<NodeAddr> = inner
        .map()
        .shards()
        .flat_map(|s| s.replicas.iter().cloned())
        .collect();
    let measured = futures_join(replicas.into_iter().map(|addr| {
        let inner = inner.clone();
        async move {
            let ping = crate::Cmd::new("PING");
            let mut best: Option<Duration> = None;
            if let Ok(conn) = inner.replica_connection(&addr).await {
                for _ in 0..3 {
                    let started = std::time::Instant::now();
                    match tokio::time::timeout(Duration::from_secs(1), conn.send(&ping)).await {
                        Ok(Ok(_)) => {
                            let took = started.elapsed();
                            best = Some(best.map_or(took, |b| b.min(took)));
                        }
                        _ => break,
                    }
                }
            }
            (addr, best)
        }
    }))
    .await;
    let mut latency = inner.latency.lock().unwrap_or_else(|p| p.into_inner());
    latency.clear();
    for (addr, took) in measured {
        if let Some(took) = took {
            latency.insert(addr, took);
        }
    }
}

async fn periodic_refresh(inner: Weak<Inner>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let seen = inner.generation();
        let _ = inner.refresh(seen).await;
    }
}

impl AsyncExecutor for ClusterClient {
    type Future<'a> = ResponseFuture;

    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        ClusterClient::execute(self, cmd)
    }
}
