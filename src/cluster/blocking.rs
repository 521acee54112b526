//! The blocking cluster client: the routing core over the blocking client,
//! one [`blocking::Client`](crate::blocking::Client) (its own small set of
//! connections) per node.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::client::{unreachable_owner, ClusterConfig, ReadFrom};
use super::map::{no_topology, record_moved, SlotMap};
use super::pipeline::transaction_slot;
use super::plan::{self, Raw};
use super::redirect::{cached_read_runs_again, Attempts, Next, NodeAddr, Redirect};
use super::route::{join, route, split, ResponsePolicy, Route};
use super::transaction::{gave_up, no_owner, redirect_inside, slot_mismatch, watched_slot};
use crate::cache::{Cache, CacheStats, Lookup};
use crate::cmd::{Block, Cmd, Command};
use crate::connection::sync::Connection;
use crate::connection::{
    Addr, ConnectionConfig, Protocol, PushObserver, PushPublisher, DEFAULT_PUSH_CAPACITY,
};
use crate::error::{Error, ErrorKind, Result};
use crate::events::RedirectKind;
use crate::executor::BlockingExecutor;
use crate::pipeline::{Pipeline, Replies};
use crate::reply::FromResp;
use crate::resp::{Frame, ToArg};
use crate::retry::RetryPolicy;

/// A blocking Redis Cluster client, shareable between threads, with every
/// generated command method (`.run()` sends). It routes, splits, combines,
/// follows redirects and retries exactly as the async
/// [`ClusterClient`](super::ClusterClient), from the same routing core:
///
/// - reads go to replicas under the same [`ReadFrom`] policy (only
///   commands the spec flags `readonly`; `READONLY` is sent with them);
/// - pipelines are split by node ([`Pipeline::run_blocking`] with
///   `&cluster`, [`Pipeline::execute_blocking_cluster`]), the nodes' parts
///   sent at once, one thread per node, the results in the caller's order;
/// - `WATCH` transactions run on the slot's primary
///   ([`transact`](Self::transact), [`transaction`](Self::transaction));
/// - classic pub/sub on one node, moved to another when that node is
///   lost ([`subscriber`](Self::subscriber)), and sharded pub/sub by slot
///   ([`sharded_subscriber`](Self::sharded_subscriber));
/// - a connection lost with a command in flight is retried under the
///   client's [`RetryPolicy`] (`ClusterConfig::node.retry`, the standalone
///   client's defaults), after reading the topology again; a primary that
///   cannot be reached is an error at once unless another node serves its
///   slot by then.
///
/// The periodic topology refresh ([`ClusterConfig::refresh_every`]) runs
/// inside the first command issued after it is due (there is no
/// background thread).
///
/// With a client-side cache ([`ClusterConfig::cache`]), cached reads go
/// through one connection per node of their own, `CLIENT TRACKING` on,
/// one at a time per node, as the standalone
/// [`blocking::Client::with_cache`](crate::blocking::Client::with_cache)
/// does with its one connection (see [`crate::cache`]).
///
/// ```no_run
/// use respec::prelude::*;
/// use respec::cluster::BlockingClusterClient;
///
/// let cluster = BlockingClusterClient::open("redis://127.0.0.1:7000")?;
/// cluster.set("user:1", "ada").run()?;
/// let name = cluster.get("user:1").run()?;
/// # Ok::<(), respec::Error>(())
/// ```
pub struct BlockingClusterClient {
    config: ClusterConfig,
    map: RwLock<Arc<SlotMap>>,
    nodes: Mutex<HashMap<NodeAddr, Arc<crate::blocking::Client>>>,
    /// Clients for reads on replicas (each read goes with `READONLY`).
    replicas: Mutex<HashMap<NodeAddr, Arc<crate::blocking::Client>>>,
    /// Turns of the round-robin read policy.
    turn: AtomicUsize,
    /// Round trips to replicas, under [`ReadFrom::LowestLatency`].
    latency: Mutex<HashMap<NodeAddr, Duration>>,
    /// Held while the topology is read; counts the reads.
    refreshing: Mutex<u64>,
    /// When the topology was last read.
    last_refresh: Mutex<Option<Instant>>,
    /// The client-side cache, when configured ([`ClusterConfig::cache`]);
    /// the channel its tracked connections' pushes go through to it; and
    /// per node, the connection cached reads go through, tracking on.
    cache: Option<Arc<Cache>>,
    pushes: PushPublisher,
    tracked: Mutex<HashMap<NodeAddr, Arc<Mutex<Option<crate::cache::Tracked>>>>>,
}

impl std::fmt::Debug for BlockingClusterClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingClusterClient")
            .field("seeds", &self.config.seeds)
            .finish()
    }
}

/// Locks `m` whether or not a thread panicked holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl BlockingClusterClient {
    /// A client for the cluster at the seed URLs (see
    /// [`ClusterConfig::from_urls`]). Does no I/O until the first command.
    pub fn open(urls: &str) -> Result<Self> {
        Ok(Self::with_config(ClusterConfig::from_urls(urls)?))
    }

    /// A client with explicit settings. Its connection events go to the
    /// listeners of `config.node` ([`ConnectionConfig::on_event`]); its
    /// counters start at zero.
    pub fn with_config(mut config: ClusterConfig) -> Self {
        config.node.observer = config.node.observer.with_fresh_metrics();
        let cache = config.cache.as_ref().map(Cache::new);
        let observer = cache.clone().map(|c| c as Arc<dyn PushObserver>);
        BlockingClusterClient {
            cache,
            pushes: PushPublisher::observed(DEFAULT_PUSH_CAPACITY, observer),
            tracked: Mutex::new(HashMap::new()),
            config,
            map: RwLock::new(Arc::new(SlotMap::empty())),
            nodes: Mutex::new(HashMap::new()),
            replicas: Mutex::new(HashMap::new()),
            turn: AtomicUsize::new(0),
            latency: Mutex::new(HashMap::new()),
            refreshing: Mutex::new(0),
            last_refresh: Mutex::new(None),
        }
    }

    /// The client's settings.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// The slot map as last read.
    pub fn slot_map(&self) -> Arc<SlotMap> {
        self.map.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The client-side cache's counters and size; `None` when the client
    /// has no cache ([`ClusterConfig::cache`]).
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.cache.as_ref().map(|c| c.stats())
    }

    /// Drops every entry of the client-side cache (if there is one).
    pub fn clear_cache(&self) {
        if let Some(c) = &self.cache {
            c.flush();
        }
    }

    /// This client without its client-side cache, for the calls made
    /// through the returned handle (they ask the servers and store
    /// nothing).
    ///
    /// ```no_run
    /// use respec::prelude::*;
    ///
    /// # fn demo(cluster: respec::cluster::BlockingClusterClient) -> respec::Result<()> {
    /// let fresh = cluster.without_cache().get("balance").run()?;
    /// # let _ = fresh;
    /// # Ok(()) }
    /// ```
    pub fn without_cache(&self) -> BlockingClusterWithoutCache<'_> {
        BlockingClusterWithoutCache { client: self }
    }

    /// The round trip last measured to each replica, under
    /// [`ReadFrom::LowestLatency`] (measured each time the topology is
    /// read; empty under the other policies).
    pub fn replica_latencies(&self) -> HashMap<NodeAddr, Duration> {
        lock(&self.latency).clone()
    }

    /// The client of one node (its retries are the cluster client's, so
    /// its own are off).
    fn client_in(
        &self,
        clients: &Mutex<HashMap<NodeAddr, Arc<crate::blocking::Client>>>,
        addr: &NodeAddr,
    ) -> Arc<crate::blocking::Client> {
        lock(clients)
            .entry(addr.clone())
            .or_insert_with(|| {
                let mut cfg = self.node_config(addr);
                cfg.retry = RetryPolicy::NEVER;
                Arc::new(crate::blocking::Client::with_config(cfg))
            })
            .clone()
    }

    /// The connection settings of the node at `addr`.
    pub(super) fn node_config(&self, addr: &NodeAddr) -> ConnectionConfig {
        let mut cfg: ConnectionConfig = self.config.node.clone();
        cfg.addr = Addr::Tcp {
            host: addr.host.clone(),
            port: addr.port,
        };
        cfg
    }

    /// Records a `MOVED` in the slot map. The old owner's tracking no
    /// longer covers the slot, so the client-side cache drops everything
    /// (at every `MOVED`, even one the map already had: a read the old
    /// owner answered before the move may have been stored since).
    pub(super) fn note_moved(&self, slot: u16, to: &NodeAddr) {
        record_moved(&self.map, slot, to);
        if let Some(cache) = &self.cache {
            cache.flush();
        }
    }

    /// Reads the topology if none was read yet (or the periodic refresh is
    /// due).
    pub(super) fn ensure_topology(&self) -> Result<()> {
        self.ensure_map()
    }

    fn node(&self, addr: &NodeAddr) -> Arc<crate::blocking::Client> {
        self.client_in(&self.nodes, addr)
    }

    /// Reads the topology now, from a known node or else the seeds.
    pub fn refresh(&self) -> Result<()> {
        let mut generation = lock(&self.refreshing);
        self.refresh_locked(&mut generation)
    }

    fn refresh_locked(&self, generation: &mut u64) -> Result<()> {
        let mut last = None;
        for addr in self.slot_map().refresh_order(&self.config.seeds) {
            match self.read_topology(&addr) {
                Ok(map) if map.assigned() > 0 => {
                    let map = Arc::new(map);
                    let old = std::mem::replace(
                        &mut *self.map.write().unwrap_or_else(|p| p.into_inner()),
                        map.clone(),
                    );
                    // A slot with another owner now: the old owner's
                    // tracking no longer covers its keys.
                    if let Some(cache) = &self.cache {
                        if old.owners_changed(&map) {
                            cache.flush();
                        }
                    }
                    *lock(&self.last_refresh) = Some(Instant::now());
                    *generation += 1;
                    if self.config.read_from == ReadFrom::LowestLatency {
                        self.measure_replicas();
                    }
                    return Ok(());
                }
                Ok(_) => {
                    last = Some(Error::new(
                        ErrorKind::ConnectionClosed,
                        format!("{addr} serves no slots"),
                    ))
                }
                Err(e) => last = Some(e),
            }
        }
        Err(no_topology(last))
    }

    fn read_topology(&self, addr: &NodeAddr) -> Result<SlotMap> {
        let node = self.node(addr);
        let shards = Cmd::from_args(["CLUSTER", "SHARDS"]).unwrap_or_else(|| unreachable!());
        match node.execute(&shards) {
            Ok(reply) => SlotMap::from_shards(&reply, addr),
            // Before 7.0: CLUSTER SLOTS.
            Err(e) if e.is_server_error() => node
                .execute(&Cmd::from_args(["CLUSTER", "SLOTS"]).unwrap_or_else(|| unreachable!()))
                .and_then(|reply| SlotMap::from_slots(&reply, addr)),
            Err(e) => Err(e),
        }
    }

    /// Reads the topology again unless it was read in the last 100 ms or
    /// another thread is reading it (then waits for that read).
    fn refresh_unless_recent(&self) {
        let recent =
            lock(&self.last_refresh).is_some_and(|t| t.elapsed() < Duration::from_millis(100));
        if recent {
            return;
        }
        let seen = *lock(&self.refreshing);
        let mut generation = lock(&self.refreshing);
        if *generation == seen {
            let _ = self.refresh_locked(&mut generation);
        }
    }

    /// Reads the topology when none was read yet, or when the periodic
    /// refresh is due (by one thread; the others go on with the map they
    /// have).
    fn ensure_map(&self) -> Result<()> {
        // A caching client on RESP2 refuses everything, as the standalone
        // one does (tracking needs RESP3).
        if self.cache.is_some() && self.config.node.protocol == Protocol::Resp2 {
            return Err(crate::cache::resp2_error());
        }
        let last = *lock(&self.last_refresh);
        let due = match (last, self.config.refresh_every) {
            (None, _) => {
                let mut generation = lock(&self.refreshing);
                if *generation == 0 {
                    return self.refresh_locked(&mut generation);
                }
                return Ok(());
            }
            (Some(at), Some(every)) => at.elapsed() >= every,
            (Some(_), None) => false,
        };
        if due {
            if let Ok(mut generation) = self.refreshing.try_lock() {
                let _ = self.refresh_locked(&mut generation);
            }
        }
        Ok(())
    }

    /// Measures the round trip to every replica (the best of three
    /// `PING`s) for [`ReadFrom::LowestLatency`].
    fn measure_replicas(&self) {
        let replicas: Vec<NodeAddr> = self
            .slot_map()
            .shards()
            .flat_map(|s| s.replicas.iter().cloned())
            .collect();
        let ping = Cmd::new("PING");
        let mut measured = HashMap::new();
        for addr in replicas {
            let client = self.client_in(&self.replicas, &addr);
            let best = (0..3)
                .filter_map(|_| {
                    let started = Instant::now();
                    client.execute(&ping).ok().map(|_| started.elapsed())
                })
                .min();
            if let Some(best) = best {
                measured.insert(addr, best);
            }
        }
        *lock(&self.latency) = measured;
    }

    /// Sends an encoded command (after `prefix`, whose replies are
    /// skipped) on a connection of the node's `client`; the command's own
    /// reply, its error reply as an `Err`.
    fn send_raw(
        client: &crate::blocking::Client,
        prefix: Option<fn(&[u8]) -> Bytes>,
        bytes: &[u8],
        block: Block,
    ) -> Result<Frame> {
        let (payload, n) = match prefix {
            Some(p) => (p(bytes), 2),
            None => (Bytes::copy_from_slice(bytes), 1),
        };
        client
            .with_connection(|c| {
                let limit = block.deadline(c.response_timeout());
                c.send_raw_within(&payload, n, limit)
            })
            .and_then(plan::last_reply)
    }

    /// Sends a batch of encoded commands to one node in one write; every
    /// reply, error replies as frames.
    fn send_batch(&self, addr: &NodeAddr, payload: &[u8], n: usize) -> Result<Vec<Frame>> {
        self.node(addr)
            .with_connection(|c| c.send_raw_within(payload, n, c.response_timeout()))
    }

    /// Sends any command where its spec routes it and returns its reply.
    pub fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        self.execute_cached(cmd, true)
    }

    /// [`execute`](Self::execute), through the client-side cache when
    /// `cached` (and the client has one).
    fn execute_cached<C: Command + ?Sized>(&self, cmd: &C, cached: bool) -> Result<Frame> {
        cmd.check()?;
        crate::cmd::check_sendable(cmd, crate::cmd::Target::Shared)?;
        let route = route(cmd)?;
        let name = cmd.name();
        let block = cmd.blocks();
        let mut out = BytesMut::new();
        cmd.encode(&mut out);
        let bytes = out.freeze();
        // From the encoding above, not a second one.
        let safe = crate::retry::Repeat::of(cmd).allows_encoded(&bytes, &[]);
        #[cfg(feature = "tracing")]
        let span = crate::events::cluster_command_span(name);
        #[cfg(feature = "tracing")]
        let _entered = span.enter();
        self.ensure_map()?;
        // The node a command for one node went to last.
        let mut at: Option<NodeAddr> = None;
        // The client-side cache: reads of one slot are answered or stored
        // there; a write of keys drops their entries before it is sent,
        // and until it is answered no read of them stores its reply.
        let mut writing = None;
        if let (Some(cache), true) = (&self.cache, cached) {
            if !cache.may_cache(cmd) {
                if let Lookup::Write(w) = cache.lookup(cmd) {
                    writing = Some(w);
                }
            } else if let Route::Slot {
                slot,
                readonly: true,
            } = route
            {
                if let Some(r) = self.cached_read(cache, slot, cmd, &bytes, safe) {
                    return r.map_err(|e| {
                        if e.command().is_none() {
                            e.for_command(name)
                        } else {
                            e
                        }
                    });
                }
            }
        }
        let r = match route {
            Route::Slot {
                slot,
                readonly: true,
            } if block == Block::No => match self.replica_for(slot) {
                Some(addr) => {
                    let replica = self.client_in(&self.replicas, &addr);
                    at = Some(addr);
                    match Self::send_raw(&replica, Some(plan::with_readonly), &bytes, block) {
                        Ok(frame) => Ok(frame),
                        // Not served there (a MOVED, a lost replica): the
                        // primary answers.
                        Err(_) => self.run_on_slot_at(slot, &bytes, block, safe, &mut at),
                    }
                }
                None => self.run_on_slot_at(slot, &bytes, block, safe, &mut at),
            },
            Route::Slot { slot, .. } => self.run_on_slot_at(slot, &bytes, block, safe, &mut at),
            Route::AnyPrimary => self.run_anywhere_at(&bytes, block, &mut at),
            Route::Special => {
                match plan::slot_of_getkeys(self.run_anywhere(&plan::getkeys(&bytes), Block::No)) {
                    Ok(Some(slot)) => self.run_on_slot_at(slot, &bytes, block, safe, &mut at),
                    Ok(None) => self.run_anywhere_at(&bytes, block, &mut at),
                    Err(e) => Err(e),
                }
            }
            Route::AllPrimaries(policy) => self.run_on_all(&bytes, policy, false),
            Route::AllNodes(policy) => self.run_on_all(&bytes, policy, true),
            Route::Split(policy) => {
                let parts = split(cmd)?;
                let replies = self.run_parts(&parts, safe);
                join(policy, &parts, replies)
            }
        };
        drop(writing);
        #[cfg(feature = "tracing")]
        crate::events::record_node(&span, at.as_ref());
        #[cfg(not(feature = "tracing"))]
        let _ = at;
        r.map_err(|e| {
            if e.command().is_none() {
                e.for_command(name)
            } else {
                e
            }
        })
    }

    /// Sends any command and converts its reply to `T`.
    pub fn query<T: crate::FromResp, C: Command + ?Sized>(&self, cmd: &C) -> Result<T> {
        let frame = self.execute(cmd)?;
        T::from_resp(frame).map_err(|e| e.for_command(cmd.name()))
    }

    /// A cacheable read of `slot`: answered from the cache, or sent on
    /// the tracked connection of the node that serves it (the slot's
    /// primary, or a replica under the read policy) and stored; `None`
    /// for a read the cache does not take (outside the broadcast
    /// prefixes, or no owner known). A read answered otherwise (a
    /// redirect, a lost connection, a replica that failed) runs again the
    /// ordinary way, and that reply is not stored: it may come from a
    /// node whose tracking of the key began after a write the store never
    /// heard of.
    fn cached_read<C: Command + ?Sized>(
        &self,
        cache: &Arc<Cache>,
        slot: u16,
        cmd: &C,
        bytes: &[u8],
        safe: bool,
    ) -> Option<Result<Frame>> {
        let (addr, replica) = match self.replica_for(slot) {
            Some(addr) => (addr, true),
            None => (self.slot_map().primary(slot)?.clone(), false),
        };
        let tracked = lock(&self.tracked).entry(addr.clone()).or_default().clone();
        let open = || -> Result<Connection> {
            let mut conn = Connection::connect(&self.node_config(&addr)).map_err(Error::unsent)?;
            let id = conn.id();
            conn.publish_pushes_to(self.pushes.attach(id));
            if replica {
                conn.send(&Cmd::new("READONLY"))?;
            }
            Ok(conn)
        };
        let limit = self.config.node.response_timeout;
        let e = match crate::cache::blocking_read(cache, &tracked, open, limit, cmd)? {
            Ok(frame) => return Some(Ok(frame)),
            Err(e) => e,
        };
        let again = cached_read_runs_again(&e, replica, safe, &self.config.node, |s, to| {
            self.note_moved(s, to)
        });
        if !again {
            return Some(Err(e));
        }
        Some(self.run_on_slot(slot, bytes, Block::No, safe))
    }

    /// The replica a read-only command of `slot` goes to (`None`: the
    /// primary).
    fn replica_for(&self, slot: u16) -> Option<NodeAddr> {
        if self.config.read_from == ReadFrom::Primary {
            return None;
        }
        let map = self.slot_map();
        let latency = lock(&self.latency);
        self.config
            .read_from
            .replica(map.shard(slot)?, &self.turn, &latency)
    }

    /// Sends to a random primary (the next one when it cannot be reached,
    /// as nothing was sent).
    fn run_anywhere(&self, bytes: &[u8], block: Block) -> Result<Frame> {
        self.run_anywhere_at(bytes, block, &mut None)
    }

    /// [`run_anywhere`](Self::run_anywhere), noting in `at` the primary it
    /// sent to last.
    fn run_anywhere_at(
        &self,
        bytes: &[u8],
        block: Block,
        at: &mut Option<NodeAddr>,
    ) -> Result<Frame> {
        let mut primaries: Vec<NodeAddr> = self.slot_map().primaries().cloned().collect();
        if primaries.is_empty() {
            return Err(Error::new(ErrorKind::ConnectionClosed, "no primary known"));
        }
        let pick = super::client::random_index(primaries.len());
        primaries.rotate_left(pick);
        let mut last = None;
        for addr in &primaries {
            *at = Some(addr.clone());
            match Self::send_raw(&self.node(addr), None, bytes, block) {
                Err(e) if e.is_unsent() => last = Some(e),
                r => return r,
            }
        }
        self.refresh_unless_recent();
        Err(last.unwrap_or_else(|| Error::new(ErrorKind::ConnectionClosed, "no primary known")))
    }

    /// Sends to every primary (or every node), one thread per node, and
    /// combines the replies by the policy.
    fn run_on_all(&self, bytes: &[u8], policy: ResponsePolicy, replicas: bool) -> Result<Frame> {
        let map = self.slot_map();
        let mut targets: Vec<NodeAddr> = map.primaries().cloned().collect();
        if replicas {
            for s in map.shards() {
                targets.extend(s.replicas.iter().cloned());
            }
        }
        let replies = std::thread::scope(|scope| {
            let running: Vec<_> = targets
                .into_iter()
                .map(|addr| {
                    let node = self.node(&addr);
                    scope.spawn(move || {
                        let r = Self::send_raw(&node, None, bytes, Block::No);
                        (addr, r)
                    })
                })
                .collect();
            running.into_iter().map(joined).collect::<Vec<_>>()
        });
        policy.combine_nodes(replies)
    }

    /// Runs the parts of a split command: the parts one primary owns go
    /// to it together, in one write (one thread per node); a part answered
    /// with a redirect, or whose node could not be reached, runs again
    /// alone through [`run_on_slot`](Self::run_on_slot).
    fn run_parts(&self, parts: &[super::route::Part], safe: bool) -> Vec<Result<Frame>> {
        let groups = plan::group_by_node(parts.iter().map(|p| Some(p.slot)), &self.slot_map());
        let mut alone = groups.alone;
        let mut results: Vec<Option<Result<Frame>>> = (0..parts.len()).map(|_| None).collect();
        let batches = std::thread::scope(|scope| {
            let running: Vec<_> = groups
                .by_node
                .into_iter()
                .map(|(addr, group)| {
                    scope.spawn(move || {
                        let mut payload = BytesMut::new();
                        for &i in &group {
                            payload.extend_from_slice(&parts[i].command);
                        }
                        let replies = self.send_batch(&addr, &payload, group.len());
                        (group, replies)
                    })
                })
                .collect();
            running.into_iter().map(joined).collect::<Vec<_>>()
        });
        for (group, replies) in batches {
            match replies {
                Err(e) if e.is_unsent() || self.config.node.retry.may_resend(&e, safe) => {
                    if e.is_connection_dropped() {
                        self.refresh_unless_recent();
                    }
                    alone.extend(group);
                }
                replies => {
                    for (i, r) in plan::deal(&group, replies, |_| None) {
                        if plan::to_reroute(&r).is_some() {
                            alone.push(i);
                        } else {
                            results[i] = Some(r);
                        }
                    }
                }
            }
        }
        for i in alone {
            results[i] = Some(self.run_on_slot(parts[i].slot, &parts[i].command, Block::No, safe));
        }
        plan::in_order(results)
    }

    /// Sends one encoded command to the owner of `slot`, following
    /// redirects and retrying within the cluster's bounds and the retry
    /// policy (the same decisions as the async client's).
    fn run_on_slot(&self, slot: u16, bytes: &[u8], block: Block, safe: bool) -> Result<Frame> {
        self.run_on_slot_at(slot, bytes, block, safe, &mut None)
    }

    /// [`run_on_slot`](Self::run_on_slot), noting in `at` the node it sent
    /// to last.
    fn run_on_slot_at(
        &self,
        slot: u16,
        bytes: &[u8],
        block: Block,
        safe: bool,
        at: &mut Option<NodeAddr>,
    ) -> Result<Frame> {
        let mut target = self.slot_map().primary(slot).cloned();
        let mut asking = false;
        let mut attempts = Attempts::new(
            self.config.node.retry,
            safe,
            self.config.max_redirects,
            self.config.retry_delay,
        );
        loop {
            let addr = match target.take() {
                Some(a) => a,
                None => {
                    self.refresh()?;
                    self.slot_map().primary(slot).cloned().ok_or_else(|| {
                        Error::new(
                            ErrorKind::ConnectionClosed,
                            format!("no node serves slot {slot}"),
                        )
                    })?
                }
            };
            let prefix = asking.then_some(plan::with_asking as fn(&[u8]) -> Bytes);
            asking = false;
            *at = Some(addr.clone());
            let e = match Self::send_raw(&self.node(&addr), prefix, bytes, block) {
                Ok(f) => return Ok(f),
                Err(e) => e,
            };
            if e.is_unsent() && !e.is_server_error() {
                // The node could not be reached: when another node serves
                // the slot now, go there; otherwise a clear error at once,
                // never a wait for the failover (as the async client).
                self.refresh_unless_recent();
                match self.slot_map().primary(slot).cloned() {
                    Some(now) if now != addr && attempts.redirect() => {
                        target = Some(now);
                        continue;
                    }
                    _ => return Err(unreachable_owner(slot, &addr, &e)),
                }
            }
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
                    std::thread::sleep(delay);
                    if refresh {
                        self.refresh_unless_recent();
                    }
                    target = self.slot_map().primary(slot).cloned();
                }
                Next::Again(wait) => {
                    std::thread::sleep(wait);
                    self.refresh_unless_recent();
                    target = self.slot_map().primary(slot).cloned();
                }
                Next::Fail => {
                    if e.is_connection_dropped() {
                        // It may have run, so it is not sent again; the
                        // topology is read again for the next commands.
                        self.refresh_unless_recent();
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Sends a pipeline (see [`Pipeline::execute_blocking_cluster`]).
    fn run_pipeline(&self, pipe: &Pipeline) -> Result<Vec<Result<Frame>>> {
        #[cfg(feature = "tracing")]
        let _span = crate::events::cluster_pipeline_span(pipe.len()).entered();
        pipe.validate()?;
        if pipe.is_empty() {
            return Ok(Vec::new());
        }
        self.ensure_map()?;
        // Its writes drop their keys' cached entries before it is sent
        // (its reads are not cached); until it is answered, no read of
        // them stores its reply.
        let _writing = self.cache.as_ref().and_then(|c| c.before_pipeline(pipe));
        if pipe.is_atomic() {
            return self.run_atomic(pipe);
        }
        let commands = pipe.named_commands();
        let groups = plan::group_pipeline(&commands, &self.slot_map())?;
        let mut results: Vec<Option<Result<Frame>>> = (0..commands.len()).map(|_| None).collect();
        let commands = &commands;
        let batches = std::thread::scope(|scope| {
            let running: Vec<_> = groups
                .by_node
                .into_iter()
                .map(|(addr, indices)| {
                    scope.spawn(move || {
                        let mut payload = BytesMut::new();
                        for &i in &indices {
                            payload.extend_from_slice(&commands[i].1);
                        }
                        let replies = self.send_batch(&addr, &payload, indices.len());
                        plan::deal(&indices, replies, |i| Some(commands[i].0.as_str()))
                    })
                })
                .collect();
            running.into_iter().map(joined).collect::<Vec<_>>()
        });
        for (i, r) in batches.into_iter().flatten() {
            results[i] = Some(r);
        }
        // Then the commands that run on several nodes or need routing of
        // their own, and those whose slot moved meanwhile (again, alone,
        // where it is now).
        for (i, result) in results.iter_mut().enumerate() {
            let again = match result {
                None => true,
                Some(r) => match plan::to_reroute(r) {
                    Some(moved) => {
                        if let Some((slot, to)) = moved {
                            self.note_moved(slot, &to);
                        }
                        true
                    }
                    None => false,
                },
            };
            if again {
                let (name, bytes) = &commands[i];
                *result = Some(self.execute(&Raw { name, bytes }));
            }
        }
        Ok(plan::in_order(results))
    }

    /// A transaction (`MULTI` ... `EXEC`): one slot for every key, checked
    /// before sending; run on that slot's primary, and again where the slot
    /// moved to when it moved (a `MOVED` while queueing discards the
    /// transaction, so nothing ran).
    fn run_atomic(&self, pipe: &Pipeline) -> Result<Vec<Result<Frame>>> {
        let slot = transaction_slot(pipe)?.unwrap_or(0);
        let mut redirects = 0;
        loop {
            let Some(addr) = self.slot_map().primary(slot).cloned() else {
                self.refresh()?;
                redirects += 1;
                if redirects > self.config.max_redirects {
                    return Err(no_owner(slot).for_command("MULTI"));
                }
                continue;
            };
            let e = match self
                .node(&addr)
                .with_connection(|c| crate::blocking::run_pipeline_on(c, pipe))
            {
                Ok(results) => return Ok(results),
                Err(e) => e,
            };
            redirects += 1;
            match redirect_inside(&e) {
                Some(_) if redirects > self.config.max_redirects => return Err(e),
                Some(Redirect::Moved { slot: s, to }) => self.note_moved(s, &to),
                Some(_) => std::thread::sleep(self.config.retry_delay),
                None => return Err(e),
            }
        }
    }

    /// Runs an optimistic `WATCH` transaction on the cluster, retrying on
    /// conflict: the blocking form of
    /// [`ClusterClient::transaction`](super::ClusterClient::transaction),
    /// with the same checks and bounds.
    ///
    /// Every watched key, and every key of the transaction `build`
    /// returns, must be in one hash slot (use a hash tag): checked before
    /// anything is sent ([`ErrorKind::InvalidInput`] otherwise). `build`
    /// gets the connection to the slot's primary that holds the `WATCH`,
    /// to read current values. When a watched key changed meanwhile, the
    /// cycle starts again, at most `max_attempts` times (then
    /// [`ErrorKind::TransactionAborted`]); when the slot moved, it starts
    /// again on the new owner, within
    /// [`ClusterConfig::max_redirects`].
    ///
    /// ```no_run
    /// # fn demo(cluster: respec::cluster::BlockingClusterClient) -> respec::Result<()> {
    /// use respec::commands::{get, set};
    /// use respec::prelude::*;
    ///
    /// let ((), n): ((), i64) = cluster.transaction(&["{acct:1}:balance"], 100, |conn| {
    ///     let balance: Option<i64> = respec::FromResp::from_resp(conn.send(&get("{acct:1}:balance"))?)?;
    ///     let mut tx = Pipeline::atomic();
    ///     tx.add(set("{acct:1}:balance", balance.unwrap_or(0) + 10));
    ///     tx.add(get("{acct:1}:balance"));
    ///     Ok(tx)
    /// })?;
    /// # let _ = n;
    /// # Ok(()) }
    /// ```
    pub fn transaction<K, F, T>(&self, keys: &[K], max_attempts: usize, mut build: F) -> Result<T>
    where
        K: ToArg,
        F: FnMut(&mut Connection) -> Result<Pipeline>,
        T: FromResp,
    {
        let (pipe, results, ()) =
            self.watch_loop(keys, max_attempts, |c| build(c).map(|p| (p, ())))?;
        pipe.convert(results)
    }

    /// [`transaction`](Self::transaction) with typed replies: `build`
    /// returns the atomic pipeline and what it wants back (the
    /// [`Handle`](crate::pipeline::Handle)s it pushed); the result is the
    /// [`Replies`] of the run that committed, with that value.
    ///
    /// ```no_run
    /// # fn demo(cluster: respec::cluster::BlockingClusterClient) -> respec::Result<()> {
    /// use respec::commands::{get, incrby, set};
    /// use respec::prelude::*;
    ///
    /// let (mut replies, total) = cluster.transact(&["{c}:n"], 100, |conn| {
    ///     let current: Option<i64> = respec::FromResp::from_resp(conn.send(&get("{c}:n"))?)?;
    ///     let mut tx = Pipeline::atomic();
    ///     tx.add(set("{c}:n", current.unwrap_or(0) * 2));
    ///     let total = tx.push(incrby("{c}:n", 1));
    ///     Ok((tx, total))
    /// })?;
    /// let total: i64 = replies.take(total)?;
    /// # let _ = total;
    /// # Ok(()) }
    /// ```
    pub fn transact<K, F, H>(
        &self,
        keys: &[K],
        max_attempts: usize,
        build: F,
    ) -> Result<(Replies, H)>
    where
        K: ToArg,
        F: FnMut(&mut Connection) -> Result<(Pipeline, H)>,
    {
        let (pipe, results, handles) = self.watch_loop(keys, max_attempts, build)?;
        Ok((pipe.replies(results), handles))
    }

    /// WATCH, build, run on the slot's primary; again while a watched key
    /// changed, and on the new owner when the slot moved.
    fn watch_loop<K, F, H>(
        &self,
        keys: &[K],
        max_attempts: usize,
        mut build: F,
    ) -> Result<(Pipeline, Vec<Result<Frame>>, H)>
    where
        K: ToArg,
        F: FnMut(&mut Connection) -> Result<(Pipeline, H)>,
    {
        let mut watch = Cmd::new("WATCH");
        watch.args(keys);
        let slot = watched_slot(&watch, keys.len())?;
        self.ensure_map()?;
        let mut attempts = 0;
        let mut redirects = 0;
        let mut delay = self.config.retry_delay;
        loop {
            let Some(addr) = self.slot_map().primary(slot).cloned() else {
                self.refresh()?;
                redirects += 1;
                if redirects > self.config.max_redirects {
                    return Err(no_owner(slot));
                }
                continue;
            };
            // The connection holds the WATCH; one left in a transaction
            // state by an error is closed, not reused (the blocking
            // client's rule).
            let cycle = self.node(&addr).with_connection(|c| {
                if let Err(e) = c.send(&watch) {
                    return match Redirect::from_error(&e) {
                        Some(r) => Ok(Cycle::Redirected(r, e)),
                        None => Err(e),
                    };
                }
                let unwatch = |c: &mut Connection| {
                    let _ = c.send(&Cmd::new("UNWATCH"));
                };
                let (mut pipe, handles) = match build(c) {
                    Ok(built) => built,
                    Err(e) => {
                        unwatch(c);
                        return Err(e);
                    }
                };
                pipe.make_atomic();
                match transaction_slot(&pipe) {
                    Ok(Some(s)) if s != slot => {
                        unwatch(c);
                        return Err(slot_mismatch(s, slot));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        unwatch(c);
                        return Err(e);
                    }
                }
                match crate::blocking::run_pipeline_on(c, &pipe) {
                    Ok(results) => Ok(Cycle::Done(pipe, results, handles)),
                    Err(e) if e.kind() == &ErrorKind::TransactionAborted => Ok(Cycle::Conflict),
                    Err(e) => match redirect_inside(&e) {
                        Some(r) => Ok(Cycle::Redirected(r, e)),
                        None => Err(e),
                    },
                }
            })?;
            match cycle {
                Cycle::Done(pipe, results, handles) => return Ok((pipe, results, handles)),
                Cycle::Conflict => {
                    attempts += 1;
                    if attempts >= max_attempts.max(1) {
                        return Err(gave_up(attempts));
                    }
                }
                Cycle::Redirected(r, e) => {
                    redirects += 1;
                    if redirects > self.config.max_redirects {
                        return Err(e);
                    }
                    match r {
                        Redirect::Moved { slot, to } => self.note_moved(slot, &to),
                        // The slot is being moved (a transaction cannot
                        // follow a key half-way) or the cluster is down:
                        // wait and start again.
                        _ => {
                            std::thread::sleep(delay);
                            delay = (delay * 2).min(Duration::from_secs(1));
                            self.refresh_unless_recent();
                        }
                    }
                }
            }
        }
    }
}

/// A [`BlockingClusterClient`] past its client-side cache
/// ([`BlockingClusterClient::without_cache`]): every call asks the
/// servers.
#[derive(Debug, Clone, Copy)]
pub struct BlockingClusterWithoutCache<'a> {
    client: &'a BlockingClusterClient,
}

impl BlockingClusterWithoutCache<'_> {
    /// Sends any command where its spec routes it and returns its reply
    /// (see [`BlockingClusterClient::execute`]), past the cache.
    pub fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        self.client.execute_cached(cmd, false)
    }

    /// Sends any command and converts its reply to `T`.
    pub fn query<T: FromResp, C: Command + ?Sized>(&self, cmd: &C) -> Result<T> {
        let frame = self.execute(cmd)?;
        T::from_resp(frame).map_err(|e| e.for_command(cmd.name()))
    }
}

impl BlockingExecutor for BlockingClusterWithoutCache<'_> {
    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        BlockingClusterWithoutCache::execute(self, cmd)
    }
}

/// How one cycle of a `WATCH` transaction ended.
enum Cycle<H> {
    /// `EXEC` ran it.
    Done(Pipeline, Vec<Result<Frame>>, H),
    /// A watched key changed: nothing ran.
    Conflict,
    /// The slot moved or is moving: nothing ran.
    Redirected(Redirect, Error),
}

/// The result of a scoped thread; a panic in it goes on in the caller.
fn joined<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    match h.join() {
        Ok(v) => v,
        Err(p) => std::panic::resume_unwind(p),
    }
}

impl Pipeline {
    /// Sends the pipeline on a blocking cluster client: split by node like
    /// [`execute_cluster`](Self::execute_cluster) (every node's part at
    /// once, one thread per node), one result per command in the order
    /// they were added; a command whose slot moved meanwhile is sent again
    /// where it is now. An [atomic](Self::atomic) pipeline runs on the one
    /// slot's primary (keys in several slots are refused before sending).
    pub fn execute_blocking_cluster(
        &self,
        client: &BlockingClusterClient,
    ) -> Result<Vec<Result<Frame>>> {
        client.run_pipeline(self)
    }

    /// Sends the pipeline on a blocking cluster client and converts the
    /// replies to `T`.
    pub fn query_blocking_cluster<T: FromResp>(&self, client: &BlockingClusterClient) -> Result<T> {
        self.convert(client.run_pipeline(self)?)
    }
}

impl crate::pipeline::BlockingTarget for &BlockingClusterClient {
    fn send_pipeline(self, pipe: &Pipeline) -> Result<Vec<Result<Frame>>> {
        self.run_pipeline(pipe)
    }
}

impl BlockingExecutor for BlockingClusterClient {
    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        BlockingClusterClient::execute(self, cmd)
    }
}
