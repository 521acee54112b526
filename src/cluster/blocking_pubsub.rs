//! Sharded pub/sub on the blocking cluster client: `SSUBSCRIBE` on the
//! node that owns each channel's slot, one connection per node.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::blocking::BlockingClusterClient;
use super::plan;
use super::redirect::{NodeAddr, Redirect};
use crate::cmd::Cmd;
use crate::connection::sync::Connection;
use crate::error::{Error, ErrorKind, Result};
use crate::pubsub::{names, Message};
use crate::resp::Frame;

/// How long the channels of a lost node, or of a slot that moved, are
/// offered to the cluster (a failover takes a few node timeouts) before
/// [`next_message`](BlockingShardedSubscriber::next_message) gives up.
const RESUBSCRIBE_FOR: Duration = Duration::from_secs(30);

/// How long one wait on one node lasts while several nodes are watched in
/// turn.
const SLICE: Duration = Duration::from_millis(10);

/// A blocking sharded pub/sub subscriber on a cluster: the blocking form
/// of [`ShardedSubscriber`](super::ShardedSubscriber), with the same
/// placement (one connection per node that owns a subscribed channel's
/// slot, one `SSUBSCRIBE` per slot, channels placed by the shared routing
/// core) and the same recovery: the channels of a node that is lost, or
/// that the server drops because their slot moved (its `sunsubscribe`
/// push), are subscribed again where their slots live now, for up to 30 s.
/// Several nodes are watched in turn, 10 ms each, from the calling thread.
///
/// ```no_run
/// let cluster = respec::cluster::BlockingClusterClient::open("redis://127.0.0.1:7000")?;
/// let mut sub = cluster.sharded_subscriber();
/// sub.ssubscribe(["orders:eu", "orders:us"])?;
/// let msg = sub.next_message()?;
/// println!("{}: {:?}", msg.channel_str(), msg.payload);
/// # Ok::<(), respec::Error>(())
/// ```
pub struct BlockingShardedSubscriber<'a> {
    client: &'a BlockingClusterClient,
    /// Every subscribed shard channel.
    channels: BTreeSet<Bytes>,
    nodes: Vec<NodeConn>,
    /// Where the next round of waits starts, so that no node is starved.
    start: usize,
    /// Channels to subscribe again where their slots are now.
    unplaced: Vec<Bytes>,
    /// Messages read while subscribing, delivered first.
    held: VecDeque<Message>,
    read_timeout: Option<Duration>,
}

struct NodeConn {
    addr: NodeAddr,
    conn: Connection,
    channels: BTreeSet<Bytes>,
}

impl std::fmt::Debug for BlockingShardedSubscriber<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingShardedSubscriber")
            .field("channels", &self.channels.len())
            .field(
                "nodes",
                &self.nodes.iter().map(|n| &n.addr).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl BlockingClusterClient {
    /// A new sharded pub/sub subscriber on this cluster (no connection is
    /// made until the first `ssubscribe`).
    pub fn sharded_subscriber(&self) -> BlockingShardedSubscriber<'_> {
        BlockingShardedSubscriber {
            client: self,
            channels: BTreeSet::new(),
            nodes: Vec::new(),
            start: 0,
            unplaced: Vec::new(),
            held: VecDeque::new(),
            read_timeout: None,
        }
    }
}

/// The kind and channel of a subscription confirmation or notice
/// (`ssubscribe`, `sunsubscribe`), if the frame is one.
fn notice(frame: &Frame) -> Option<(&[u8], Bytes)> {
    let (Frame::Push(items) | Frame::Array(items)) = frame else {
        return None;
    };
    let kind = items.first()?.as_bytes()?;
    let channel = match items.get(1)? {
        Frame::BulkString(b) | Frame::SimpleString(b) => b.clone(),
        _ => return None,
    };
    Some((kind, channel))
}

impl BlockingShardedSubscriber<'_> {
    /// Bounds each wait of [`next_message`](Self::next_message): when it
    /// passes, the call returns an error whose
    /// [`is_timeout`](crate::Error::is_timeout) is true, and the
    /// subscriber can be read again.
    pub fn set_read_timeout(&mut self, t: Option<Duration>) {
        self.read_timeout = t;
    }

    /// The shard channels subscribed to.
    pub fn channels(&self) -> impl Iterator<Item = &Bytes> {
        self.channels.iter()
    }

    /// Subscribes to shard channels, each on the node that owns its slot
    /// (following `MOVED` when the slot map was behind).
    pub fn ssubscribe<I, S>(&mut self, channels: I) -> Result<()>
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
        let mut tries = self.client.config().max_redirects;
        loop {
            match self.place(new.clone()) {
                Err(e) if tries > 0 && Redirect::from_error(&e).is_some() => {
                    tries -= 1;
                    if !matches!(Redirect::from_error(&e), Some(Redirect::Moved { .. })) {
                        std::thread::sleep(Duration::from_millis(50));
                        let _ = self.client.refresh();
                    }
                }
                other => return other,
            }
        }
    }

    /// Unsubscribes from shard channels.
    pub fn sunsubscribe<I, S>(&mut self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        for c in channels {
            let c = Bytes::copy_from_slice(c.as_ref());
            if !self.channels.remove(&c) {
                continue;
            }
            self.unplaced.retain(|u| u != &c);
            if let Some(n) = self.nodes.iter_mut().find(|n| n.channels.contains(&c)) {
                n.channels.remove(&c);
                let mut cmd = Cmd::new("SUNSUBSCRIBE");
                cmd.arg(&c[..]);
                // Its confirmation is read (and skipped) by the next wait.
                n.conn.write_command(&cmd)?;
            }
        }
        self.nodes.retain(|n| !n.channels.is_empty());
        self.start = 0;
        Ok(())
    }

    /// Subscribes `channels` on the nodes that own their slots now.
    fn place(&mut self, channels: Vec<Bytes>) -> Result<()> {
        self.client.ensure_topology()?;
        let placement = plan::place_channels(channels, &self.client.slot_map())?;
        for (addr, slots) in placement {
            let index = match self.nodes.iter().position(|n| n.addr == addr) {
                Some(i) => i,
                None => {
                    let conn = Connection::connect(&self.client.node_config(&addr))?;
                    self.nodes.push(NodeConn {
                        addr,
                        conn,
                        channels: BTreeSet::new(),
                    });
                    self.nodes.len() - 1
                }
            };
            for (_, group) in slots {
                if let Err(e) = self.subscribe_on(index, &group) {
                    if let Some(Redirect::Moved { slot, to }) = Redirect::from_error(&e) {
                        self.client.note_moved(slot, &to);
                    }
                    if e.is_connection_dropped() || e.is_timeout() {
                        self.nodes.remove(index);
                    }
                    self.nodes.retain(|n| !n.channels.is_empty());
                    self.start = 0;
                    return Err(e);
                }
                let node = &mut self.nodes[index];
                for c in group {
                    node.channels.insert(c.clone());
                    self.channels.insert(c);
                }
            }
        }
        Ok(())
    }

    /// `SSUBSCRIBE` to one slot's channels on a node, waiting for every
    /// confirmation (messages read meanwhile are held).
    fn subscribe_on(&mut self, index: usize, group: &[Bytes]) -> Result<()> {
        let mut cmd = Cmd::new("SSUBSCRIBE");
        for c in group {
            cmd.arg(&c[..]);
        }
        let node = &mut self.nodes[index];
        node.conn.write_command(&cmd)?;
        let wait = node
            .conn
            .response_timeout()
            .unwrap_or(Duration::from_secs(30));
        let mut confirmed = 0;
        while confirmed < group.len() {
            let frame = node.conn.read_frame(Some(wait))?.ok_or_else(|| {
                Error::new(
                    ErrorKind::Timeout,
                    format!("no SSUBSCRIBE confirmation within {wait:?}"),
                )
                .for_command("SSUBSCRIBE")
            })?;
            if let Some(m) = frame.error_message() {
                return Err(Error::from_server_reply(m).for_command("SSUBSCRIBE"));
            }
            if let Some(m) = Message::from_push(&frame) {
                self.held.push_back(m);
            } else if notice(&frame).is_some_and(|(k, _)| k == b"ssubscribe") {
                confirmed += 1;
            }
        }
        Ok(())
    }

    /// Waits for the next message from any node (see
    /// [`set_read_timeout`](Self::set_read_timeout)). Messages published to
    /// a moving channel between the old owner's drop and the new
    /// subscription are lost, as pub/sub is fire-and-forget.
    pub fn next_message(&mut self) -> Result<Message> {
        let started = Instant::now();
        let mut resubscribing: Option<Instant> = None;
        loop {
            if let Some(m) = self.held.pop_front() {
                return Ok(m);
            }
            if !self.unplaced.is_empty() {
                let again = std::mem::take(&mut self.unplaced);
                let _ = self.client.refresh();
                if let Err(e) = self.place(again.clone()) {
                    let first = *resubscribing.get_or_insert_with(Instant::now);
                    for c in &again {
                        self.channels.remove(c);
                    }
                    self.unplaced = again;
                    if first.elapsed() > RESUBSCRIBE_FOR {
                        return Err(Error::new(
                            e.kind().clone(),
                            format!("the sharded subscriber could not subscribe again: {e}"),
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
            }
            let n = self.nodes.len();
            if n == 0 {
                if self.unplaced.is_empty() {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "no shard channel is subscribed",
                    ));
                }
                continue;
            }
            if let Some(limit) = self.read_timeout {
                if started.elapsed() >= limit {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        "no message within the read timeout",
                    ));
                }
            }
            let slice = if n == 1 {
                match self.read_timeout {
                    Some(limit) => limit.saturating_sub(started.elapsed()).max(SLICE),
                    None => Duration::from_secs(1),
                }
            } else {
                SLICE
            };
            for k in 0..n {
                let i = (self.start + k) % n;
                match self.nodes[i].conn.read_frame(Some(slice)) {
                    Ok(Some(frame)) => {
                        if let Some(m) = Message::from_push(&frame) {
                            self.start = (i + 1) % n;
                            return Ok(m);
                        }
                        if let Some((b"sunsubscribe", c)) = notice(&frame) {
                            // The server dropped a channel whose slot moved
                            // away (ours were removed before we sent one).
                            let node = &mut self.nodes[i];
                            if node.channels.remove(&c) {
                                self.channels.remove(&c);
                                self.unplaced.push(c);
                            }
                            if node.channels.is_empty() {
                                self.nodes.remove(i);
                                self.start = 0;
                            }
                        }
                        break;
                    }
                    Ok(None) => {}
                    Err(_) => {
                        // The node is gone (or its connection): its
                        // channels go where their slots are now.
                        let lost = self.nodes.remove(i);
                        for c in &lost.channels {
                            self.channels.remove(c);
                        }
                        self.unplaced.extend(lost.channels);
                        self.start = 0;
                        break;
                    }
                }
            }
        }
    }
}

impl Iterator for BlockingShardedSubscriber<'_> {
    type Item = Result<Message>;

    fn next(&mut self) -> Option<Result<Message>> {
        Some(self.next_message())
    }
}

/// A blocking classic pub/sub subscriber on a cluster (`SUBSCRIBE`,
/// `PSUBSCRIBE`): the blocking form of
/// [`ClusterSubscriber`](super::ClusterSubscriber), with the same
/// behaviour. It holds one [`blocking::Subscriber`](crate::blocking::Subscriber)
/// on one node (a primary picked at random, so that subscribers spread
/// over the cluster): a message published with `PUBLISH` on any node
/// reaches the subscribers of every node, so any node serves. When the
/// node's connection drops it is opened again for about a second; when
/// the node stays away, the topology is read again and every channel and
/// pattern is subscribed again on another node, retried for up to 30 s.
/// Messages published while no node carried the subscriptions are lost,
/// as pub/sub is fire-and-forget.
///
/// ```no_run
/// use respec::prelude::*;
///
/// let cluster = respec::cluster::BlockingClusterClient::open("redis://127.0.0.1:7000")?;
/// let mut sub = cluster.subscriber()?;
/// sub.subscribe(["news"])?;
/// sub.psubscribe(["alerts:*"])?;
/// cluster.publish("news", "hello").run()?;
/// let msg = sub.next_message()?;
/// assert_eq!(&msg.payload[..], b"hello");
/// # Ok::<(), respec::Error>(())
/// ```
pub struct BlockingClusterSubscriber<'a> {
    client: &'a BlockingClusterClient,
    addr: NodeAddr,
    sub: crate::blocking::Subscriber,
    channels: BTreeSet<Bytes>,
    patterns: BTreeSet<Bytes>,
    read_timeout: Option<Duration>,
}

impl std::fmt::Debug for BlockingClusterSubscriber<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingClusterSubscriber")
            .field("node", &self.addr)
            .field("channels", &self.channels.len())
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

impl BlockingClusterClient {
    /// A classic pub/sub subscriber on this cluster, connected to one node
    /// (a primary picked at random, so that subscribers spread over the
    /// cluster).
    pub fn subscriber(&self) -> Result<BlockingClusterSubscriber<'_>> {
        self.ensure_topology()?;
        let (addr, sub) = connect_any(self, None)?;
        Ok(BlockingClusterSubscriber {
            client: self,
            addr,
            sub,
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
            read_timeout: None,
        })
    }
}

/// A subscriber connection to some node other than `avoid`: primaries
/// first, from a random one, then replicas.
fn connect_any(
    client: &BlockingClusterClient,
    avoid: Option<&NodeAddr>,
) -> Result<(NodeAddr, crate::blocking::Subscriber)> {
    let candidates = super::pubsub::subscriber_candidates(&client.slot_map(), avoid);
    let mut last = None;
    for addr in candidates {
        match crate::blocking::Subscriber::connect(&client.node_config(&addr)) {
            Ok(mut sub) => {
                sub.set_reconnect_timeout(super::pubsub::NODE_RECONNECT);
                return Ok((addr, sub));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(super::pubsub::no_subscriber_node(last))
}

impl BlockingClusterSubscriber<'_> {
    /// Subscribes to channels.
    pub fn subscribe<I, S>(&mut self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let names = names(channels);
        self.sub.subscribe(&names)?;
        self.channels.extend(names);
        Ok(())
    }

    /// Subscribes to glob-style patterns.
    pub fn psubscribe<I, S>(&mut self, patterns: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let names = names(patterns);
        self.sub.psubscribe(&names)?;
        self.patterns.extend(names);
        Ok(())
    }

    /// Unsubscribes from channels (all of them when `channels` is empty).
    pub fn unsubscribe<I, S>(&mut self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let names = names(channels);
        self.sub.unsubscribe(&names)?;
        super::pubsub::forget(&mut self.channels, &names);
        Ok(())
    }

    /// Unsubscribes from patterns (all of them when `patterns` is empty).
    pub fn punsubscribe<I, S>(&mut self, patterns: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let names = names(patterns);
        self.sub.punsubscribe(&names)?;
        super::pubsub::forget(&mut self.patterns, &names);
        Ok(())
    }

    /// Bounds each wait of [`next_message`](Self::next_message): when it
    /// passes, the call returns an error whose
    /// [`is_timeout`](crate::Error::is_timeout) is true, and the
    /// subscriber can be read again.
    pub fn set_read_timeout(&mut self, t: Option<Duration>) {
        self.read_timeout = t;
        self.sub.set_read_timeout(t);
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

    /// Waits for the next message (see
    /// [`set_read_timeout`](Self::set_read_timeout)). When the node's
    /// connection drops, it is opened again (for about a second); when
    /// the node stays away, the topology is read again and every
    /// subscription moves to another node, retried for up to 30 s.
    pub fn next_message(&mut self) -> Result<Message> {
        let mut since: Option<Instant> = None;
        loop {
            let lost = match self.sub.next_message() {
                Ok(m) => return Ok(m),
                // The wait's own bound, on a connection still open (a
                // reconnect that failed leaves none).
                Err(e) if e.is_timeout() && self.sub.is_connected() => return Err(e),
                Err(e) => e,
            };
            let first = *since.get_or_insert_with(Instant::now);
            if first.elapsed() > RESUBSCRIBE_FOR {
                return Err(Error::new(
                    lost.kind().clone(),
                    format!("the subscriber could not move to another node: {lost}"),
                ));
            }
            let _ = self.client.refresh();
            match self.move_away() {
                Ok(()) => since = None,
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// Subscribes everything again on another node.
    fn move_away(&mut self) -> Result<()> {
        let (addr, mut sub) = connect_any(self.client, Some(&self.addr))?;
        sub.set_read_timeout(self.read_timeout);
        if !self.channels.is_empty() {
            sub.subscribe(&self.channels)?;
        }
        if !self.patterns.is_empty() {
            sub.psubscribe(&self.patterns)?;
        }
        self.addr = addr;
        self.sub = sub;
        Ok(())
    }
}

impl Iterator for BlockingClusterSubscriber<'_> {
    type Item = Result<Message>;

    fn next(&mut self) -> Option<Result<Message>> {
        Some(self.next_message())
    }
}
