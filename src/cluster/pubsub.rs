//! Sharded pub/sub on a cluster: `SSUBSCRIBE` on the node that owns each
//! channel's slot.

use std::collections::{BTreeSet, VecDeque};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;

use super::client::ClusterClient;
use super::map::SlotMap;
use super::redirect::{NodeAddr, Redirect};
use crate::connection::Addr;
use crate::error::{Error, ErrorKind, Result};
use crate::pubsub::{names, Message, Subscriber};

/// How long a node's subscriber tries to reconnect to the same node before
/// the channels it served are placed again from a fresh topology.
pub(super) const NODE_RECONNECT: Duration = Duration::from_secs(1);

/// How long the channels of a lost node are offered to the cluster (the
/// failover can take several node timeouts) before `next_message` gives up.
const RESUBSCRIBE_FOR: Duration = Duration::from_secs(30);

/// A sharded pub/sub subscriber on a cluster: one subscriber connection per
/// node that owns a subscribed channel's slot, their messages merged.
/// When a node is lost for good (its replica took over), its channels are
/// subscribed again on the slot's new owner; so are the channels whose
/// slot moved to another node (resharding: the old owner unsubscribes
/// them with an `sunsubscribe` push, and [`next_message`](Self::next_message)
/// subscribes them again where the slot lives now).
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
    /// Channels of a lost node, or dropped by their node when their slot
    /// moved, to be subscribed again on their slots' new owners.
    unplaced: Vec<Bytes>,
    /// Messages received while noticing dropped channels, delivered first.
    held: VecDeque<Message>,
}

/// What one wait over every node's subscriber saw.
enum Polled {
    Message(Message),
    /// No node is subscribed to anything.
    NoNode,
    /// The node at this index lost its connection for good.
    Lost(usize),
    /// The server dropped channels of the node at this index.
    Dropped(usize),
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
            held: VecDeque::new(),
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
        // A slot that moved since the map was read answers MOVED: placed
        // again from the corrected map.
        let mut tries = self.client.inner.max_redirects();
        loop {
            match self.place(new.clone()).await {
                Err(e) if tries > 0 && Redirect::from_error(&e).is_some() => {
                    tries -= 1;
                    if matches!(Redirect::from_error(&e), Some(Redirect::Moved { .. })) {
                        continue;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let seen = self.client.inner.generation();
                    let _ = self.client.inner.refresh(seen).await;
                }
                other => return other,
            }
        }
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
        let placement = super::plan::place_channels(channels, &inner.map())?;
        for (addr, slots) in placement {
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
            for (_, group) in &slots {
                if let Err(e) = node.sub.ssubscribe(group.iter().map(|c| &c[..])).await {
                    // The map was behind (a slot moved): note where it is.
                    if let Some(Redirect::Moved { slot, to }) = Redirect::from_error(&e) {
                        inner.note_moved(slot, &to);
                    }
                    self.nodes.retain(|n| !n.channels.is_empty());
                    self.start = 0;
                    return Err(e);
                }
            }
            let cs = slots.into_iter().flat_map(|(_, group)| group);
            for c in cs {
                node.channels.insert(c.clone());
                self.channels.insert(c);
            }
        }
        Ok(())
    }

    /// Waits for the next message from any node. When a node's subscriber
    /// cannot reconnect (the node is gone), or a node drops channels whose
    /// slot moved away, the topology is read again and those channels are
    /// subscribed where their slots live now, retried for up to 30 s (a
    /// failover takes a few node timeouts). Messages published to a moving
    /// channel between the old owner's drop and the new subscription are
    /// lost, as pub/sub is fire-and-forget.
    pub async fn next_message(&mut self) -> Result<Message> {
        let mut since: Option<std::time::Instant> = None;
        loop {
            if let Some(m) = self.held.pop_front() {
                return Ok(m);
            }
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
                    return Poll::Ready(Polled::NoNode);
                }
                for k in 0..n {
                    let i = (self.start + k) % n;
                    let polled = self.nodes[i].sub.poll_message(cx);
                    if self.nodes[i].sub.has_dropped_shard_channels() {
                        // Whatever message came with it is kept for the
                        // next wait.
                        if let Poll::Ready(Ok(m)) = polled {
                            self.held.push_back(m);
                        }
                        return Poll::Ready(Polled::Dropped(i));
                    }
                    match polled {
                        Poll::Ready(Ok(m)) => {
                            self.start = (i + 1) % n;
                            return Poll::Ready(Polled::Message(m));
                        }
                        Poll::Ready(Err(_)) => return Poll::Ready(Polled::Lost(i)),
                        Poll::Pending => {}
                    }
                }
                Poll::Pending
            })
            .await;
            match polled {
                Polled::Message(m) => return Ok(m),
                Polled::NoNode if self.unplaced.is_empty() => {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "no shard channel is subscribed",
                    ))
                }
                Polled::NoNode => {}
                Polled::Dropped(i) => {
                    // The server dropped channels whose slot moved away
                    // (resharding): they go where their slots are now.
                    let node = &mut self.nodes[i];
                    for c in node.sub.take_dropped_shard_channels() {
                        node.channels.remove(&c);
                        self.channels.remove(&c);
                        self.unplaced.push(c);
                    }
                    if node.channels.is_empty() {
                        self.nodes.remove(i);
                        self.start = 0;
                    }
                }
                Polled::Lost(i) => {
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

/// A classic pub/sub subscriber on a cluster (`SUBSCRIBE`, `PSUBSCRIBE`):
/// one subscriber connection to one node. A message published with
/// `PUBLISH` on any node reaches the subscribers of every node (the nodes
/// pass it on over the cluster bus), so any node serves; when the node is
/// lost for good, every channel and pattern is subscribed again on another
/// node. Messages published while no node carried the subscriptions are
/// lost, as pub/sub is fire-and-forget.
///
/// `PUBLISH` itself is an ordinary keyless command:
/// [`ClusterClient`]`.publish(channel, message)` sends it to any primary.
///
/// ```no_run
/// # async fn demo(cluster: respec::cluster::ClusterClient) -> respec::Result<()> {
/// use respec::prelude::*;
///
/// let mut sub = cluster.subscriber().await?;
/// sub.subscribe(["news"]).await?;
/// sub.psubscribe(["alerts:*"]).await?;
/// cluster.publish("news", "hello").await?;
/// let msg = sub.next_message().await?;
/// assert_eq!(&msg.payload[..], b"hello");
/// # Ok(()) }
/// ```
pub struct ClusterSubscriber {
    client: ClusterClient,
    addr: NodeAddr,
    sub: Subscriber,
    channels: BTreeSet<Bytes>,
    patterns: BTreeSet<Bytes>,
}

impl std::fmt::Debug for ClusterSubscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterSubscriber")
            .field("node", &self.addr)
            .field("channels", &self.channels.len())
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

impl ClusterClient {
    /// A classic pub/sub subscriber on this cluster, connected to one
    /// node (a primary picked at random, so that subscribers spread over
    /// the cluster).
    pub async fn subscriber(&self) -> Result<ClusterSubscriber> {
        let inner = self.inner.clone();
        inner.ensure_map().await?;
        let (addr, sub) = connect_any(self, None).await?;
        Ok(ClusterSubscriber {
            client: self.clone(),
            addr,
            sub,
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
        })
    }
}

/// A subscriber connection to some node other than `avoid`: primaries
/// first, from a random one, then replicas.
async fn connect_any(
    client: &ClusterClient,
    avoid: Option<&NodeAddr>,
) -> Result<(NodeAddr, Subscriber)> {
    let candidates = subscriber_candidates(&client.inner.map(), avoid);
    let mut last = None;
    for addr in candidates {
        let mut cfg = client.config().node.clone();
        cfg.addr = Addr::Tcp {
            host: addr.host.clone(),
            port: addr.port,
        };
        match Subscriber::connect(&cfg).await {
            Ok(mut sub) => {
                sub.set_reconnect_timeout(NODE_RECONNECT);
                return Ok((addr, sub));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(no_subscriber_node(last))
}

/// The error when no node took a subscriber: the last node's failure,
/// or none known at all.
pub(super) fn no_subscriber_node(last: Option<Error>) -> Error {
    match last {
        Some(e) => Error::new(
            e.kind().clone(),
            format!("no node of the cluster took a subscriber: {e}"),
        ),
        None => Error::new(
            ErrorKind::ConnectionClosed,
            "no node of the cluster is known",
        ),
    }
}

/// Drops `names` from a subscriber's `set` after an unsubscribe (every
/// name when `names` is empty, as the command means).
pub(super) fn forget(set: &mut BTreeSet<Bytes>, names: &[Bytes]) {
    if names.is_empty() {
        set.clear();
    }
    for n in names {
        set.remove(n);
    }
}

/// The nodes a classic subscriber may go to, in the order to try them:
/// the primaries from a random one (so that subscribers spread over the
/// cluster), then the replicas; never `avoid`.
pub(super) fn subscriber_candidates(map: &SlotMap, avoid: Option<&NodeAddr>) -> Vec<NodeAddr> {
    let mut primaries: Vec<NodeAddr> = map.primaries().cloned().collect();
    if !primaries.is_empty() {
        let start = super::client::random_index(primaries.len());
        primaries.rotate_left(start);
    }
    let replicas = map.shards().flat_map(|s| s.replicas.iter().cloned());
    primaries
        .into_iter()
        .chain(replicas)
        .filter(|a| Some(a) != avoid)
        .collect()
}

impl ClusterSubscriber {
    /// Subscribes to channels.
    pub async fn subscribe<I, S>(&mut self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let names = names(channels);
        self.sub.subscribe(&names).await?;
        self.channels.extend(names);
        Ok(())
    }

    /// Subscribes to glob-style patterns.
    pub async fn psubscribe<I, S>(&mut self, patterns: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let names = names(patterns);
        self.sub.psubscribe(&names).await?;
        self.patterns.extend(names);
        Ok(())
    }

    /// Unsubscribes from channels (all of them when `channels` is empty).
    pub async fn unsubscribe<I, S>(&mut self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let names = names(channels);
        self.sub.unsubscribe(&names).await?;
        forget(&mut self.channels, &names);
        Ok(())
    }

    /// Unsubscribes from patterns (all of them when `patterns` is empty).
    pub async fn punsubscribe<I, S>(&mut self, patterns: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let names = names(patterns);
        self.sub.punsubscribe(&names).await?;
        forget(&mut self.patterns, &names);
        Ok(())
    }

    /// The node the subscriptions live on now.
    pub fn node(&self) -> &NodeAddr {
        &self.addr
    }

    /// The channels and the patterns subscribed to.
    pub fn subscriptions(&self) -> (Vec<Bytes>, Vec<Bytes>) {
        (
            self.channels.iter().cloned().collect(),
            self.patterns.iter().cloned().collect(),
        )
    }

    /// Waits for the next message. When the node's connection drops, it
    /// is opened again (for about a second); when the node stays away,
    /// the topology is read again and every subscription moves to another
    /// node, retried for up to 30 s. Cancel-safe while waiting for a
    /// message (see [`Subscriber::next_message`]).
    pub async fn next_message(&mut self) -> Result<Message> {
        let mut since: Option<std::time::Instant> = None;
        loop {
            let lost = match self.sub.next_message().await {
                Ok(m) => return Ok(m),
                Err(e) => e,
            };
            let first = *since.get_or_insert_with(std::time::Instant::now);
            if first.elapsed() > RESUBSCRIBE_FOR {
                return Err(Error::new(
                    lost.kind().clone(),
                    format!("the subscriber could not move to another node: {lost}"),
                ));
            }
            let inner = self.client.inner.clone();
            let seen = inner.generation();
            let _ = inner.refresh(seen).await;
            match self.move_away().await {
                Ok(()) => since = None,
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// Subscribes everything again on another node.
    async fn move_away(&mut self) -> Result<()> {
        let (addr, mut sub) = connect_any(&self.client, Some(&self.addr)).await?;
        if !self.channels.is_empty() {
            sub.subscribe(&self.channels).await?;
        }
        if !self.patterns.is_empty() {
            sub.psubscribe(&self.patterns).await?;
        }
        self.addr = addr;
        self.sub = sub;
        Ok(())
    }
}
