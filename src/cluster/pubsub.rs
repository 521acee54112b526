//! Sharded pub/sub on a cluster: `SSUBSCRIBE` on the node that owns each
//! channel's slot.

use std::collections::BTreeSet;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;

use super::client::ClusterClient;
use super::redirect::NodeAddr;
use super::slot::key_slot;
use crate::connection::Addr;
use crate::error::{Error, ErrorKind, Result};
use crate::pubsub::{Message, Subscriber};

/// How long a node's subscriber tries to reconnect to the same node before
/// the channels it served are placed again from a fresh topology.
const NODE_RECONNECT: Duration = Duration::from_secs(1);

/// How long the channels of a lost node are offered to the cluster (the
/// failover can take several node timeouts) before `next_message` gives up.
const RESUBSCRIBE_FOR: Duration = Duration::from_secs(30);

/// A sharded pub/sub subscriber on a cluster: one subscriber connection per
/// node that owns a subscribed channel's slot, their messages merged.
/// When a node is lost for good (its replica took over), its channels are
/// subscribed again on the slot's new owner.
///
/// ```no_run
/// # async fn demo(cluster: respec::cluster::ClusterClient) -> respec::Result<()> {
/// let mut sub = cluster.sharded_subscriber();
/// sub.ssubscribe(["orders:eu", "orders:us"]).await?;
/// let msg = sub.next_message().await?;
/// println!("{}: {:?}", msg.channel_str(), msg.payload);
/// # Ok(()) }
/// ```
pub struct ShardedSubscriber {
    client: ClusterClient,
    /// Every subscribed shard channel.
    channels: BTreeSet<Bytes>,
    /// One subscriber per node, with the channels it serves.
    nodes: Vec<NodeSub>,
    /// Where the next poll starts, so that no node is starved.
    start: usize,
    /// Channels of a lost node, to be subscribed again on their slots' new
    /// owners.
    unplaced: Vec<Bytes>,
}

struct NodeSub {
    addr: NodeAddr,
    sub: Subscriber,
    channels: BTreeSet<Bytes>,
}

impl std::fmt::Debug for ShardedSubscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardedSubscriber")
            .field("channels", &self.channels.len())
            .field(
                "nodes",
                &self.nodes.iter().map(|n| &n.addr).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl ClusterClient {
    /// A new sharded pub/sub subscriber on this cluster (no connection is
    /// made until the first `ssubscribe`).
    pub fn sharded_subscriber(&self) -> ShardedSubscriber {
        ShardedSubscriber {
            client: self.clone(),
            channels: BTreeSet::new(),
            nodes: Vec::new(),
            start: 0,
            unplaced: Vec::new(),
        }
    }
}

impl ShardedSubscriber {
    /// Subscribes to shard channels, each on the node that owns its slot.
    pub async fn ssubscribe<I, S>(&mut self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let new: Vec<Bytes> = channels
            .into_iter()
            .map(|c| Bytes::copy_from_slice(c.as_ref()))
            .filter(|c| !self.channels.contains(c))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        self.place(new).await
    }

    /// Unsubscribes from shard channels.
    pub async fn sunsubscribe<I, S>(&mut self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        for c in channels {
            let c = Bytes::copy_from_slice(c.as_ref());
            if !self.channels.remove(&c) {
                continue;
            }
            if let Some(n) = self.nodes.iter_mut().find(|n| n.channels.contains(&c)) {
                n.sub.sunsubscribe([&c[..]]).await?;
                n.channels.remove(&c);
            }
        }
        self.nodes.retain(|n| !n.channels.is_empty());
        Ok(())
    }

    /// The shard channels subscribed to.
    pub fn channels(&self) -> impl Iterator<Item = &Bytes> {
        self.channels.iter()
    }

    /// Subscribes `channels` on the nodes that own their slots now.
    async fn place(&mut self, channels: Vec<Bytes>) -> Result<()> {
        let inner = self.client.inner.clone();
        inner.ensure_map().await?;
        let map = inner.map();
        let mut by_node: Vec<(NodeAddr, Vec<Bytes>)> = Vec::new();
        for c in channels {
            let slot = key_slot(&c);
            let addr = map.primary(slot).cloned().ok_or_else(|| {
                Error::new(
                    ErrorKind::ConnectionClosed,
                    format!("no node serves slot {slot}"),
                )
                .for_command("SSUBSCRIBE")
            })?;
            match by_node.iter_mut().find(|(a, _)| *a == addr) {
                Some((_, cs)) => cs.push(c),
                None => by_node.push((addr, vec![c])),
            }
        }
        drop(map);
        for (addr, cs) in by_node {
            let known = self.nodes.iter().position(|n| n.addr == addr);
            let index = match known {
                Some(i) => i,
                None => {
                    let mut cfg = self.client.config().node.clone();
                    cfg.addr = Addr::Tcp {
                        host: addr.host.clone(),
                        port: addr.port,
                    };
                    let mut sub = Subscriber::connect(&cfg).await?;
                    sub.set_reconnect_timeout(NODE_RECONNECT);
                    self.nodes.push(NodeSub {
                        addr,
                        sub,
                        channels: BTreeSet::new(),
                    });
                    self.nodes.len() - 1
                }
            };
            let node = &mut self.nodes[index];
            // One SSUBSCRIBE per slot: the server refuses channels of
            // several slots in one call (CROSSSLOT), even on their owner.
            let mut slots: Vec<(u16, Vec<&[u8]>)> = Vec::new();
            for c in &cs {
                let slot = key_slot(c);
                match slots.iter_mut().find(|(s, _)| *s == slot) {
                    Some((_, group)) => group.push(&c[..]),
                    None => slots.push((slot, vec![&c[..]])),
                }
            }
            for (_, group) in slots {
                node.sub.ssubscribe(group).await?;
            }
            for c in cs {
                node.channels.insert(c.clone());
                self.channels.insert(c);
            }
        }
        Ok(())
    }

    /// Waits for the next message from any node. When a node's subscriber
    /// cannot reconnect (the node is gone), the topology is read again and
    /// its channels are subscribed where their slots live now, retried for
    /// up to 30 s (a failover takes a few node timeouts).
    pub async fn next_message(&mut self) -> Result<Message> {
        let mut since: Option<std::time::Instant> = None;
        loop {
            if !self.unplaced.is_empty() {
                // Cloned, not taken: a cancelled wait loses no channel.
                let again = self.unplaced.clone();
                let inner = self.client.inner.clone();
                let seen = inner.generation();
                let _ = inner.refresh(seen).await;
                if let Err(e) = self.place(again.clone()).await {
                    let first = *since.get_or_insert_with(std::time::Instant::now);
                    if first.elapsed() > RESUBSCRIBE_FOR {
                        return Err(Error::new(
                            e.kind().clone(),
                            format!("the sharded subscriber could not subscribe again: {e}"),
                        ));
                    }
                    for c in &again {
                        self.channels.remove(c);
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
                self.unplaced.clear();
            }
            let polled = std::future::poll_fn(|cx| {
                let n = self.nodes.len();
                if n == 0 {
                    return Poll::Ready(Err(None));
                }
                for k in 0..n {
                    let i = (self.start + k) % n;
                    match self.nodes[i].sub.poll_message(cx) {
                        Poll::Ready(Ok(m)) => {
                            self.start = (i + 1) % n;
                            return Poll::Ready(Ok(m));
                        }
                        Poll::Ready(Err(_)) => return Poll::Ready(Err(Some(i))),
                        Poll::Pending => {}
                    }
                }
                Poll::Pending
            })
            .await;
            match polled {
                Ok(m) => return Ok(m),
                Err(None) if self.unplaced.is_empty() => {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "no shard channel is subscribed",
                    ))
                }
                Err(None) => {}
                Err(Some(i)) => {
                    // The node is gone: its channels go where their slots
                    // are now.
                    let lost = self.nodes.remove(i);
                    for c in &lost.channels {
                        self.channels.remove(c);
                    }
                    self.start = 0;
                    self.unplaced.extend(lost.channels);
                }
            }
        }
    }
}
