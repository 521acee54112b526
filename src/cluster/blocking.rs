//! The blocking cluster client: the routing core over the blocking client,
//! one [`blocking::Client`](crate::blocking::Client) (its own small set of
//! connections) per node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::client::ClusterConfig;
use super::map::{no_topology, record_moved, SlotMap};
use super::redirect::{NodeAddr, Redirect};
use super::route::{join, route, split, ResponsePolicy, Route};
use crate::cmd::{Block, Command};
use crate::connection::{Addr, ConnectionConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::events::RedirectKind;
use crate::executor::BlockingExecutor;
use crate::resp::Frame;

/// A blocking Redis Cluster client, shareable between threads, with every
/// generated command method (`.run()` sends). It routes, splits, combines
/// and follows redirects exactly as the async
/// [`ClusterClient`](super::ClusterClient); parts of a split command and
/// commands sent to several nodes go one node after another.
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
    /// Held while the topology is read.
    refreshing: Mutex<u64>,
}

impl std::fmt::Debug for BlockingClusterClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingClusterClient")
            .field("seeds", &self.config.seeds)
            .finish()
    }
}

/// An already-encoded command, sent as it is.
struct Encoded<'a> {
    name: &'a str,
    bytes: &'a [u8],
    block: Block,
}

impl Command for Encoded<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn encode(&self, out: &mut BytesMut) {
        out.extend_from_slice(self.bytes);
    }
    fn blocks(&self) -> Block {
        self.block
    }
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
        BlockingClusterClient {
            config,
            map: RwLock::new(Arc::new(SlotMap::empty())),
            nodes: Mutex::new(HashMap::new()),
            refreshing: Mutex::new(0),
        }
    }

    /// The slot map as last read.
    pub fn slot_map(&self) -> Arc<SlotMap> {
        self.map.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn node(&self, addr: &NodeAddr) -> Arc<crate::blocking::Client> {
        self.nodes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(addr.clone())
            .or_insert_with(|| {
                let mut cfg: ConnectionConfig = self.config.node.clone();
                cfg.addr = Addr::Tcp {
                    host: addr.host.clone(),
                    port: addr.port,
                };
                Arc::new(crate::blocking::Client::with_config(cfg))
            })
            .clone()
    }

    /// Reads the topology now, from a known node or else the seeds.
    pub fn refresh(&self) -> Result<()> {
        let mut generation = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        let mut last = None;
        for addr in self.slot_map().refresh_order(&self.config.seeds) {
            let node = self.node(&addr);
            let shards =
                crate::Cmd::from_args(["CLUSTER", "SHARDS"]).unwrap_or_else(|| unreachable!());
            let read = match node.execute(&shards) {
                Ok(reply) => SlotMap::from_shards(&reply, &addr),
                Err(e) if e.is_server_error() => node
                    .execute(
                        &crate::Cmd::from_args(["CLUSTER", "SLOTS"])
                            .unwrap_or_else(|| unreachable!()),
                    )
                    .and_then(|reply| SlotMap::from_slots(&reply, &addr)),
                Err(e) => Err(e),
            };
            match read {
                Ok(map) if map.assigned() > 0 => {
                    *self.map.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(map);
                    *generation += 1;
                    return Ok(());
                }
                Ok(_) => {}
                Err(e) => last = Some(e),
            }
        }
        Err(no_topology(last))
    }

    fn ensure_map(&self) -> Result<()> {
        if *self.refreshing.lock().unwrap_or_else(|p| p.into_inner()) == 0 {
            self.refresh()?;
        }
        Ok(())
    }

    /// Sends any command where its spec routes it and returns its reply.
    pub fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        cmd.check()?;
        crate::cmd::check_sendable(cmd, crate::cmd::Target::Shared)?;
        let route = route(cmd)?;
        let name = cmd.name();
        let block = cmd.blocks();
        let mut out = BytesMut::new();
        cmd.encode(&mut out);
        let bytes = out.freeze();
        self.ensure_map()?;
        let r = match route {
            Route::Slot { slot, .. } => self.run_on_slot(slot, name, &bytes, block),
            Route::AnyPrimary | Route::Special => {
                let map = self.slot_map();
                let addr =
                    map.primaries().next().cloned().ok_or_else(|| {
                        Error::new(ErrorKind::ConnectionClosed, "no primary known")
                    })?;
                self.node(&addr).execute(&Encoded {
                    name,
                    bytes: &bytes,
                    block,
                })
            }
            Route::AllPrimaries(policy) => self.run_on_all(name, &bytes, policy, false),
            Route::AllNodes(policy) => self.run_on_all(name, &bytes, policy, true),
            Route::Split(policy) => {
                let parts = split(cmd)?;
                let replies = parts
                    .iter()
                    .map(|p| self.run_on_slot(p.slot, name, &p.command, Block::No))
                    .collect();
                join(policy, &parts, replies)
            }
        };
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

    fn run_on_all(
        &self,
        name: &str,
        bytes: &Bytes,
        policy: ResponsePolicy,
        replicas: bool,
    ) -> Result<Frame> {
        let map = self.slot_map();
        let mut targets: Vec<NodeAddr> = map.primaries().cloned().collect();
        if replicas {
            for s in map.shards() {
                targets.extend(s.replicas.iter().cloned());
            }
        }
        let replies = targets
            .iter()
            .map(|a| {
                self.node(a).execute(&Encoded {
                    name,
                    bytes,
                    block: Block::No,
                })
            })
            .collect();
        policy.combine(replies)
    }

    fn run_on_slot(&self, slot: u16, name: &str, bytes: &[u8], block: Block) -> Result<Frame> {
        let mut target = self.slot_map().primary(slot).cloned();
        let mut asking = false;
        let mut delay = self.config.retry_delay;
        let mut last_err = None;
        for _ in 0..=self.config.max_redirects {
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
            let node = self.node(&addr);
            let cmd = Encoded { name, bytes, block };
            let result = if asking {
                let asking_cmd = Encoded {
                    name: "ASKING",
                    bytes: b"*1\r\n$6\r\nASKING\r\n",
                    block: Block::No,
                };
                node.pipeline(&[asking_cmd, cmd]).and_then(|mut replies| {
                    let reply = replies.pop().unwrap_or(Frame::Null);
                    match reply.error_message() {
                        Some(m) => Err(Error::from_server_reply(m)),
                        None => Ok(reply),
                    }
                })
            } else {
                node.execute(&cmd)
            };
            asking = false;
            let e = match result {
                Ok(f) => return Ok(f),
                Err(e) => e,
            };
            match Redirect::from_error(&e) {
                Some(Redirect::Moved { slot: s, to }) => {
                    to.report_redirect(&self.config.node.observer, RedirectKind::Moved, s);
                    record_moved(&self.map, s, &to);
                    target = Some(to);
                }
                Some(Redirect::Ask { slot: s, to }) => {
                    to.report_redirect(&self.config.node.observer, RedirectKind::Ask, s);
                    asking = true;
                    target = Some(to);
                }
                Some(_) => {
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(1));
                    let _ = self.refresh();
                    target = self.slot_map().primary(slot).cloned();
                }
                None if e.is_connection_dropped() => {
                    // Read the topology again for the next commands; this
                    // one may have run, so it is not sent again.
                    let _ = self.refresh();
                    return Err(e);
                }
                None => return Err(e),
            }
            last_err = Some(e);
        }
        Err(last_err
            .unwrap_or_else(|| Error::new(ErrorKind::ConnectionClosed, "too many redirects")))
    }
}

impl BlockingExecutor for BlockingClusterClient {
    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        BlockingClusterClient::execute(self, cmd)
    }
}
