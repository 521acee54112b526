//! Publish/subscribe.
//!
//! A [`Subscriber`] owns a connection of its own. It subscribes to channels
//! (`SUBSCRIBE`), patterns (`PSUBSCRIBE`) and shard channels
//! (`SSUBSCRIBE`), and hands out [`Message`]s with
//! [`Subscriber::next_message`], as an async [`Stream`](futures_core::Stream)
//! (the subscriber itself, or [`Subscriber::into_stream`]), or, on the
//! blocking side, as an `Iterator` ([`crate::blocking::Subscriber`]).
//!
//! Subscriptions change while messages are received: waiting for a message
//! is cancel-safe, so one loop can wait for either a message or a request to
//! subscribe, and neither loses anything:
//!
//! ```no_run
//! # async fn demo(client: respec::Client, mut requests: tokio::sync::mpsc::Receiver<String>) -> respec::Result<()> {
//! let mut sub = client.subscriber().await?;
//! sub.subscribe(["news"]).await?;
//! loop {
//!     tokio::select! {
//!         msg = sub.next_message() => println!("{:?}", msg?.payload),
//!         Some(channel) = requests.recv() => sub.subscribe([channel]).await?,
//!     }
//! }
//! # }
//! ```
//!
//! On RESP3 the messages are push frames, so the same connection still
//! answers ordinary commands ([`Subscriber::execute`]). On RESP2 the
//! connection may only send subscription commands and `PING`.
//!
//! If the connection drops, the subscriber reconnects with backoff and
//! subscribes again to everything it was subscribed to; messages published
//! while it was away are lost, as pub/sub is fire-and-forget. Listeners of
//! the configuration's events ([`ConnectionConfig::on_event`]) see it as a
//! client's reconnect: the lost connection's
//! [`Disconnected`](crate::events::Event::Disconnected), one
//! [`Reconnecting`](crate::events::Event::Reconnecting) per attempt, then
//! the new connection's `Connected` and `HandshakeDone`.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! let mut sub = respec::pubsub::Subscriber::connect(client.config()).await?;
//! sub.subscribe(["news"]).await?;
//! let msg = sub.next_message().await?;
//! println!("{}: {}", msg.channel_str(), String::from_utf8_lossy(&msg.payload));
//! # Ok(()) }
//! ```

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::backoff::Gate;
use crate::cmd::Cmd;
use crate::connection::{Connection, ConnectionConfig, Protocol};
use crate::error::{Error, ErrorKind, Result};
use crate::events::Event;
use crate::reply::FromResp;
use crate::resp::Frame;

/// Which subscription delivered a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A `SUBSCRIBE` channel.
    Channel,
    /// A `PSUBSCRIBE` pattern.
    Pattern,
    /// An `SSUBSCRIBE` shard channel.
    Shard,
}

/// One published message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Which kind of subscription delivered it.
    pub kind: MessageKind,
    /// The channel it was published to.
    pub channel: Bytes,
    /// The pattern that matched, for pattern subscriptions.
    pub pattern: Option<Bytes>,
    /// The published payload.
    pub payload: Bytes,
}

impl Message {
    /// The channel name as text (lossy for non-UTF-8 names).
    pub fn channel_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.channel)
    }

    /// The payload converted to `T`.
    pub fn payload_as<T: FromResp>(&self) -> Result<T> {
        T::from_resp(Frame::BulkString(self.payload.clone()))
    }

    /// Reads a push frame: `message`, `pmessage` or `smessage`; `None` for
    /// subscription confirmations and anything else.
    pub fn from_push(frame: &Frame) -> Option<Message> {
        let items = match frame {
            Frame::Push(items) | Frame::Array(items) => items,
            _ => return None,
        };
        let s = |i: usize| match items.get(i) {
            Some(Frame::BulkString(b)) | Some(Frame::SimpleString(b)) => Some(b.clone()),
            _ => None,
        };
        match items.first()?.as_bytes()? {
            b"message" => Some(Message {
                kind: MessageKind::Channel,
                channel: s(1)?,
                pattern: None,
                payload: s(2)?,
            }),
            b"smessage" => Some(Message {
                kind: MessageKind::Shard,
                channel: s(1)?,
                pattern: None,
                payload: s(2)?,
            }),
            b"pmessage" => Some(Message {
                kind: MessageKind::Pattern,
                pattern: Some(s(1)?),
                channel: s(2)?,
                payload: s(3)?,
            }),
            _ => None,
        }
    }
}

/// Subscriptions kept so they can be renewed after a reconnect.
#[derive(Debug, Default, Clone)]
pub(crate) struct Subscriptions {
    pub channels: BTreeSet<Bytes>,
    pub patterns: BTreeSet<Bytes>,
    pub shards: BTreeSet<Bytes>,
}

impl Subscriptions {
    fn set(&mut self, verb: &str) -> &mut BTreeSet<Bytes> {
        match verb {
            "PSUBSCRIBE" | "PUNSUBSCRIBE" => &mut self.patterns,
            "SSUBSCRIBE" | "SUNSUBSCRIBE" => &mut self.shards,
            _ => &mut self.channels,
        }
    }

    /// Records a (un)subscription.
    pub fn apply(&mut self, verb: &str, names: &[Bytes]) {
        let set = self.set(verb);
        if verb.contains("UNSUB") {
            if names.is_empty() {
                set.clear();
            }
            for n in names {
                set.remove(n);
            }
        } else {
            set.extend(names.iter().cloned());
        }
    }

    /// The commands that renew every subscription: shard channels one
    /// `SSUBSCRIBE` per hash slot, as a cluster node accepts them.
    pub fn renewals(&self) -> Vec<(&'static str, Vec<Bytes>)> {
        let mut out: Vec<(&'static str, Vec<Bytes>)> = [
            ("SUBSCRIBE", &self.channels),
            ("PSUBSCRIBE", &self.patterns),
        ]
        .into_iter()
        .filter(|(_, s)| !s.is_empty())
        .map(|(verb, s)| (verb, s.iter().cloned().collect()))
        .collect();
        let mut by_slot: std::collections::BTreeMap<u16, Vec<Bytes>> = Default::default();
        for c in &self.shards {
            by_slot
                .entry(crate::cluster::key_slot(c))
                .or_default()
                .push(c.clone());
        }
        out.extend(by_slot.into_values().map(|cs| ("SSUBSCRIBE", cs)));
        out
    }
}

/// The confirmation kind a subscription verb produces.
pub(crate) fn confirmation(verb: &str) -> &'static [u8] {
    match verb {
        "SUBSCRIBE" => b"subscribe",
        "PSUBSCRIBE" => b"psubscribe",
        "SSUBSCRIBE" => b"ssubscribe",
        "UNSUBSCRIBE" => b"unsubscribe",
        "PUNSUBSCRIBE" => b"punsubscribe",
        _ => b"sunsubscribe",
    }
}

/// A pub/sub connection (see the module docs).
///
/// A `Subscriber` is itself a [`Stream`](futures_core::Stream) of messages,
/// so it can subscribe and unsubscribe between two messages while it is
/// being consumed as a stream. Waiting for a message is cancel-safe:
/// dropping the wait (for example in the losing branch of a `select!`)
/// loses no message.
pub struct Subscriber {
    config: ConnectionConfig,
    conn: Connection,
    pushes: mpsc::UnboundedReceiver<Frame>,
    subs: Subscriptions,
    /// Messages that arrived while waiting for a confirmation.
    queued: VecDeque<Message>,
    /// How long to keep trying to reconnect before giving up.
    reconnect_for: Duration,
    /// Spaces reconnect attempts.
    gate: Arc<Gate>,
    /// A reconnect in progress, started when the connection dropped.
    reconnecting: Option<Reconnecting>,
    /// Set when a reconnect failed: the stream of messages has ended.
    ended: bool,
    /// Shard channels the server dropped on its own (their slot moved to
    /// another node), not yet taken by
    /// [`take_dropped_shard_channels`](Subscriber::take_dropped_shard_channels).
    dropped: Vec<Bytes>,
}

/// A new connection with every subscription renewed, and the messages that
/// arrived while renewing.
type Renewed = (
    Connection,
    mpsc::UnboundedReceiver<Frame>,
    VecDeque<Message>,
    Vec<Bytes>,
);
type Reconnecting = Pin<Box<dyn Future<Output = Result<Renewed>> + Send>>;

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("subscriptions", &self.subs)
            .field("reconnecting", &self.reconnecting.is_some())
            .finish()
    }
}

impl Subscriber {
    /// Opens a subscriber connection with these settings.
    pub async fn connect(config: &ConnectionConfig) -> Result<Self> {
        let (conn, pushes) = Connection::connect_subscriber(config).await?;
        let gate = Arc::new(Gate::new(config.reconnect));
        gate.opened();
        Ok(Subscriber {
            gate,
            config: config.clone(),
            conn,
            pushes,
            subs: Subscriptions::default(),
            queued: VecDeque::new(),
            reconnect_for: Duration::from_secs(30),
            reconnecting: None,
            ended: false,
            dropped: Vec::new(),
        })
    }

    /// How long [`next_message`](Self::next_message) keeps reconnecting
    /// after the connection drops before it returns the error (default 30 s).
    ///
    /// Reconnect attempts are spaced by the reconnect backoff
    /// ([`ConnectionConfig::reconnect`]) and the retry policy's waits
    /// ([`ConnectionConfig::retry`], see [`crate::retry`]); a policy that
    /// retries nothing ([`RetryPolicy::NEVER`](crate::retry::RetryPolicy::NEVER))
    /// makes the subscriber end at the first drop instead. Reconnecting
    /// is always safe, so the policy's `max_attempts` does not bound it:
    /// this timeout does.
    pub fn set_reconnect_timeout(&mut self, t: Duration) {
        self.reconnect_for = t;
    }

    /// Subscribes to channels.
    pub async fn subscribe<I, S>(&mut self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.change("SUBSCRIBE", names(channels)).await
    }

    /// Subscribes to glob-style patterns.
    pub async fn psubscribe<I, S>(&mut self, patterns: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.change("PSUBSCRIBE", names(patterns)).await
    }

    /// Subscribes to shard channels (Redis 7.0 and later).
    ///
    /// On a cluster node, the channels of one call must share a hash slot
    /// (the server refuses the call otherwise): channels of several slots
    /// are refused here before anything is sent, and the subscriber stays
    /// usable. [`ShardedSubscriber`](crate::cluster::ShardedSubscriber)
    /// spreads channels over a cluster's nodes and slots by itself.
    pub async fn ssubscribe<I, S>(&mut self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let names = names(channels);
        self.check_one_slot("SSUBSCRIBE", &names)?;
        self.change("SSUBSCRIBE", names).await
    }

    /// Unsubscribes from channels (all of them when `channels` is empty).
    pub async fn unsubscribe<I, S>(&mut self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.change("UNSUBSCRIBE", names(channels)).await
    }

    /// Unsubscribes from patterns (all of them when `patterns` is empty).
    pub async fn punsubscribe<I, S>(&mut self, patterns: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.change("PUNSUBSCRIBE", names(patterns)).await
    }

    /// Unsubscribes from shard channels (all of them when empty). On a
    /// cluster node, the channels of one call must share a hash slot, as
    /// for [`ssubscribe`](Self::ssubscribe).
    pub async fn sunsubscribe<I, S>(&mut self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let names = names(channels);
        self.check_one_slot("SUNSUBSCRIBE", &names)?;
        self.change("SUNSUBSCRIBE", names).await
    }

    /// On a cluster node (the handshake reported `mode: cluster`), refuses
    /// shard channels of several hash slots in one call, naming them.
    fn check_one_slot(&self, verb: &'static str, names: &[Bytes]) -> Result<()> {
        check_one_slot(self.conn.server_info().mode.as_deref(), verb, names)
    }

    /// The shard channels the server unsubscribed this connection from on
    /// its own since the last call (on a cluster, when a channel's slot
    /// moved to another node: the server sends an `sunsubscribe` nobody
    /// asked for). They are no longer among the
    /// [`subscriptions`](Self::subscriptions); subscribe to them again on
    /// the slot's new owner to keep receiving (a
    /// [`ShardedSubscriber`](crate::cluster::ShardedSubscriber) does that
    /// by itself).
    pub fn take_dropped_shard_channels(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.dropped)
    }

    /// Whether the server dropped shard channels not yet taken with
    /// [`take_dropped_shard_channels`](Self::take_dropped_shard_channels).
    pub fn has_dropped_shard_channels(&self) -> bool {
        !self.dropped.is_empty()
    }

    /// The channels, patterns and shard channels currently subscribed.
    pub fn subscriptions(&self) -> (Vec<Bytes>, Vec<Bytes>, Vec<Bytes>) {
        (
            self.subs.channels.iter().cloned().collect(),
            self.subs.patterns.iter().cloned().collect(),
            self.subs.shards.iter().cloned().collect(),
        )
    }

    /// Sends an ordinary command on the subscriber's connection. RESP3
    /// connections accept any command; RESP2 ones only `PING` and the
    /// subscription commands.
    pub async fn execute(&self, cmd: &Cmd) -> Result<Frame> {
        self.conn.send(cmd).await
    }

    async fn change(&mut self, verb: &'static str, names: Vec<Bytes>) -> Result<()> {
        let unsubscribe_all = names.is_empty() && verb.contains("UNSUB");
        if names.is_empty() && !unsubscribe_all {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!("{verb} needs at least one channel or pattern"),
            )
            .for_command(verb));
        }
        // A reconnect in progress finishes first, so that the change goes
        // to the connection that will carry the messages.
        std::future::poll_fn(|cx| self.poll_reconnected(cx)).await?;
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
        let mut dropped = Vec::new();
        let sent = send_change(
            &self.conn,
            &mut self.pushes,
            &mut self.queued,
            &mut dropped,
            confirm_timeout(&self.config),
            verb,
            &names,
            expected,
        )
        .await;
        if sent.is_ok() {
            self.subs.apply(verb, &names);
        }
        self.note_dropped(dropped);
        sent
    }

    /// Waits for the next message. When the connection drops, reconnects
    /// (with backoff, for at most the reconnect timeout) and subscribes
    /// again before waiting on.
    ///
    /// Cancel-safe: dropping the returned future loses no message, and the
    /// subscriber can then change its subscriptions before waiting again.
    pub async fn next_message(&mut self) -> Result<Message> {
        std::future::poll_fn(|cx| self.poll_message(cx)).await
    }

    /// Polls for the next message (what [`next_message`](Self::next_message)
    /// and the [`Stream`](futures_core::Stream) implementation wait on).
    pub fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        loop {
            if let Err(e) = std::task::ready!(self.poll_reconnected(cx)) {
                return Poll::Ready(Err(e));
            }
            if let Some(m) = self.queued.pop_front() {
                return Poll::Ready(Ok(m));
            }
            match std::task::ready!(self.pushes.poll_recv(cx)) {
                Some(frame) => {
                    if let Some(m) = Message::from_push(&frame) {
                        return Poll::Ready(Ok(m));
                    }
                    // Outside a change, an `sunsubscribe` is the server's
                    // own: the channel's slot moved away.
                    if let Some(channel) = unsolicited_sunsubscribe(&frame, &[]) {
                        self.note_dropped(vec![channel]);
                    }
                }
                None => {
                    self.reconnecting = Some(Box::pin(reconnect(
                        self.config.clone(),
                        self.subs.clone(),
                        self.reconnect_for,
                        self.gate.clone(),
                    )))
                }
            }
        }
    }

    /// Drives a reconnect in progress, if any, to its end and takes over
    /// the renewed connection; ready at once when none is in progress.
    fn poll_reconnected(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Some(fut) = self.reconnecting.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let renewed = std::task::ready!(fut.as_mut().poll(cx));
        self.reconnecting = None;
        let (conn, pushes, queued, dropped) = renewed?;
        self.conn = conn;
        self.pushes = pushes;
        self.queued.extend(queued);
        self.note_dropped(dropped);
        Poll::Ready(Ok(()))
    }

    /// Records shard channels the server dropped on its own.
    fn note_dropped(&mut self, channels: Vec<Bytes>) {
        for c in channels {
            if self.subs.shards.remove(&c) {
                self.dropped.push(c);
            }
        }
    }

    /// The subscriber as a stream of messages; an item is `Err` only when
    /// reconnecting failed, after which the stream ends. (The subscriber is
    /// a stream itself; this wrapper is for code that wants to own one.)
    pub fn into_stream(self) -> MessageStream {
        MessageStream { sub: self }
    }

    /// Which protocol the subscriber's connection speaks.
    pub fn protocol(&self) -> Protocol {
        self.conn.server_info().protocol
    }
}

impl futures_core::Stream for Subscriber {
    type Item = Result<Message>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let item = std::task::ready!(self.poll_message(cx));
        if item.is_err() {
            self.ended = true;
        }
        Poll::Ready(Some(item))
    }
}

/// On a cluster node (`mode` is what the handshake reported), refuses
/// shard channels of several hash slots in one call, naming them.
pub(crate) fn check_one_slot(
    mode: Option<&str>,
    verb: &'static str,
    names: &[Bytes],
) -> Result<()> {
    if mode != Some("cluster") {
        return Ok(());
    }
    let mut slots = names
        .iter()
        .map(|n| (crate::cluster::key_slot(n), n))
        .collect::<Vec<_>>();
    let Some(&(first, first_name)) = slots.first() else {
        return Ok(());
    };
    slots.retain(|&(s, _)| s != first);
    match slots.first() {
        None => Ok(()),
        Some(&(other, other_name)) => Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "shard channels of one {verb} must share a hash slot on a cluster node \
                     (CROSSSLOT): {:?} is in slot {first}, {:?} in slot {other}; subscribe \
                     per slot, use a hash tag, or use a ShardedSubscriber",
                String::from_utf8_lossy(first_name),
                String::from_utf8_lossy(other_name)
            ),
        )
        .for_command(verb)),
    }
}

/// How long to wait for a subscription's confirmation.
fn confirm_timeout(config: &ConnectionConfig) -> Duration {
    config.response_timeout.unwrap_or(Duration::from_secs(30))
}

/// The verb an unsubscription notice answers (`UNSUBSCRIBE`,
/// `PUNSUBSCRIBE`, `SUNSUBSCRIBE`) and the channel or pattern it names, if
/// `frame` is one (a push on RESP3, an array on RESP2); `None` for a
/// notice that names nothing (the answer to "unsubscribe from all" when
/// there was nothing to drop).
pub(crate) fn unsubscribe_notice(frame: &Frame) -> Option<(&'static str, Bytes)> {
    let (Frame::Push(items) | Frame::Array(items)) = frame else {
        return None;
    };
    let verb = match items.first()?.as_bytes()? {
        b"unsubscribe" => "UNSUBSCRIBE",
        b"punsubscribe" => "PUNSUBSCRIBE",
        b"sunsubscribe" => "SUNSUBSCRIBE",
        _ => return None,
    };
    let name = match items.get(1)? {
        Frame::BulkString(b) | Frame::SimpleString(b) => b.clone(),
        _ => return None,
    };
    Some((verb, name))
}

/// The channel of an `sunsubscribe` notice that does not answer an
/// `SUNSUBSCRIBE` of `asked` (the server dropped the channel on its own).
pub(crate) fn unsolicited_sunsubscribe(frame: &Frame, asked: &[Bytes]) -> Option<Bytes> {
    match unsubscribe_notice(frame) {
        Some(("SUNSUBSCRIBE", channel)) => (!asked.contains(&channel)).then_some(channel),
        _ => None,
    }
}

/// Sends a subscription command and waits for its confirmations, queueing
/// any message that arrives meanwhile (and any shard channel the server
/// dropped on its own in `dropped`). An error reply (the server refused
/// the command) is the result; the connection stays usable.
#[allow(clippy::too_many_arguments)]
async fn send_change(
    conn: &Connection,
    pushes: &mut mpsc::UnboundedReceiver<Frame>,
    queued: &mut VecDeque<Message>,
    dropped: &mut Vec<Bytes>,
    deadline: Duration,
    verb: &'static str,
    names: &[Bytes],
    expected: usize,
) -> Result<()> {
    let mut cmd = Cmd::new(verb);
    for n in names {
        cmd.arg(n);
    }
    let mut bytes = bytes::BytesMut::new();
    crate::Command::encode(&cmd, &mut bytes);
    conn.send_encoded(bytes.freeze(), 0, false).await?;
    let want = confirmation(verb);
    let mut seen = 0;
    while seen < expected {
        let frame = tokio::time::timeout(deadline, pushes.recv())
            .await
            .map_err(|_| {
                Error::new(
                    ErrorKind::Timeout,
                    format!("no {verb} confirmation within {deadline:?}"),
                )
                .for_command(verb)
            })?
            .ok_or_else(|| {
                Error::new(ErrorKind::ConnectionClosed, "the connection closed").for_command(verb)
            })?;
        if let Some(m) = Message::from_push(&frame) {
            queued.push_back(m);
            continue;
        }
        if let Some(m) = frame.error_message() {
            return Err(Error::from_server_reply(m).for_command(verb));
        }
        // An `sunsubscribe` that answers no SUNSUBSCRIBE of this change (a
        // SUNSUBSCRIBE of every channel takes whichever comes).
        let asked: &[Bytes] = if verb == "SUNSUBSCRIBE" { names } else { &[] };
        if verb != "SUNSUBSCRIBE" || !names.is_empty() {
            if let Some(channel) = unsolicited_sunsubscribe(&frame, asked) {
                dropped.push(channel);
                continue;
            }
        }
        if let Frame::Push(items) = &frame {
            if items.first().and_then(Frame::as_bytes) == Some(want) {
                seen += 1;
            }
        }
    }
    Ok(())
}

/// Reconnects with exponential backoff and renews every subscription.
async fn reconnect(
    config: ConnectionConfig,
    subs: Subscriptions,
    reconnect_for: Duration,
    gate: Arc<Gate>,
) -> Result<Renewed> {
    let started = tokio::time::Instant::now();
    let policy = config.retry;
    if !policy.is_enabled() {
        return Err(Error::new(
            ErrorKind::ConnectionClosed,
            "the subscriber's connection dropped, and retries are off",
        ));
    }
    let mut failures = 0;
    loop {
        // Attempts are spaced by the configured backoff and the retry
        // policy's; a connection that broke soon after it opened counts as
        // a failed attempt.
        let wait = gate.wait_before_attempt().max(policy.delay(failures));
        if started.elapsed() + wait > reconnect_for && !started.elapsed().is_zero() {
            return Err(Error::new(
                ErrorKind::ConnectionClosed,
                format!("the subscriber could not reconnect within {reconnect_for:?}"),
            ));
        }
        config.observer.emit(Event::Reconnecting {
            addr: config.addr.clone(),
            attempt: failures.saturating_add(1),
            delay: wait,
        });
        tokio::time::sleep(wait).await;
        match renew(&config, &subs).await {
            Ok(renewed) => {
                gate.opened();
                return Ok(renewed);
            }
            Err(e) => {
                gate.failed();
                failures += 1;
                if started.elapsed() >= reconnect_for {
                    return Err(Error::new(
                        e.kind().clone(),
                        format!("the subscriber could not reconnect within {reconnect_for:?}: {e}"),
                    ));
                }
            }
        }
    }
}

/// One attempt: connect and subscribe again to everything.
async fn renew(config: &ConnectionConfig, subs: &Subscriptions) -> Result<Renewed> {
    let (conn, mut pushes) = Connection::connect_subscriber(config).await?;
    let mut queued = VecDeque::new();
    let mut dropped = Vec::new();
    for (verb, names) in subs.renewals() {
        let n = names.len();
        send_change(
            &conn,
            &mut pushes,
            &mut queued,
            &mut dropped,
            confirm_timeout(config),
            verb,
            &names,
            n,
        )
        .await?;
    }
    Ok((conn, pushes, queued, dropped))
}

/// Channel or pattern names as the commands carry them.
pub(crate) fn names<I, S>(items: I) -> Vec<Bytes>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    items
        .into_iter()
        .map(|s| Bytes::copy_from_slice(s.as_ref()))
        .collect()
}

/// A [`Subscriber`] as an owned [`Stream`](futures_core::Stream) of
/// messages.
#[derive(Debug)]
pub struct MessageStream {
    sub: Subscriber,
}

impl MessageStream {
    /// The subscriber, to change subscriptions between two messages.
    pub fn subscriber_mut(&mut self) -> &mut Subscriber {
        &mut self.sub
    }

    /// The subscriber back.
    pub fn into_inner(self) -> Subscriber {
        self.sub
    }
}

impl futures_core::Stream for MessageStream {
    type Item = Result<Message>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.sub).poll_next(cx)
    }
}
