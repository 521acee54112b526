//! The read side of a connection: buffered bytes, the decoder, and the
//! routing of each decoded frame; and where out-of-band data goes: the
//! replies' RESP3 attributes ([`WithAttributes`]) and the clients' push
//! channel ([`PushReceiver`]).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::error::Result;
use crate::reply::FromResp;
use crate::resp::{Decoder, Frame, Limits, ProtocolError};

/// Where a decoded frame goes.
#[derive(Debug, PartialEq)]
pub enum Routed {
    /// The reply to the oldest request still waiting. When the server sent
    /// RESP3 attributes before it, the frame is a [`Frame::Attribute`]
    /// holding them and the reply ([`WithAttributes::split`] takes it
    /// apart).
    Reply(Frame),
    /// Out-of-band data (RESP3 push: pub/sub messages, invalidations).
    Push(Frame),
}

/// Bytes received and not yet decoded, with the decoder that reads them.
#[derive(Debug)]
pub struct Incoming {
    decoder: Decoder,
    /// Received bytes; drivers read into this buffer directly.
    pub buf: BytesMut,
}

/// The read buffer grows in steps of at least this much.
pub const READ_CHUNK: usize = 64 * 1024;

impl Incoming {
    /// An empty buffer and a decoder with these limits.
    pub fn new(limits: Limits) -> Self {
        Incoming {
            decoder: Decoder::new(limits),
            buf: BytesMut::with_capacity(READ_CHUNK),
        }
    }

    /// Makes room for the next read.
    pub fn reserve(&mut self) {
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
            self.buf.reserve(READ_CHUNK);
        }
    }

    /// Decodes and routes the next complete frame, if the buffer holds one.
    ///
    /// A push frame is routed as [`Routed::Push`] (attributes before a push
    /// frame are dropped: no server sends any). A reply is routed as it
    /// came, attributes included: the drivers hand them to the callers who
    /// ask for them ([`WithAttributes`]) and drop them for everyone else.
    pub fn next_frame(&mut self) -> Result<Option<Routed>, ProtocolError> {
        Ok(self.decoder.decode(&mut self.buf)?.map(|f| match f {
            Frame::Push(_) => Routed::Push(f),
            Frame::Attribute { data, attributes } => match *data {
                push @ Frame::Push(_) => Routed::Push(push),
                other => Routed::Reply(Frame::Attribute {
                    attributes,
                    data: Box::new(other),
                }),
            },
            other => Routed::Reply(other),
        }))
    }
}

/// A reply with the RESP3 attributes the server sent before it.
///
/// Attributes (`|N` frames) annotate a reply with extra information (for
/// example the popularity of the keys it read). Every client and
/// connection drops them, at the cost of one check of the frame's type,
/// except in the `query_with_attributes` methods
/// ([`Client`](crate::Client::query_with_attributes),
/// [`Connection`](crate::connection::Connection::query_with_attributes),
/// [`blocking::Client`](crate::blocking::Client::query_with_attributes),
/// [`sync::Connection`](crate::connection::sync::Connection::query_with_attributes)),
/// which return them beside the reply. A reply without attributes (every
/// RESP2 reply) has an empty list, which allocates nothing.
///
/// ```no_run
/// # async fn demo(client: respec::Client) -> respec::Result<()> {
/// use respec::connection::WithAttributes;
///
/// let reply: WithAttributes<String> = client
///     .query_with_attributes(&respec::Cmd::from_args(["DEBUG", "PROTOCOL", "attrib"]).unwrap())
///     .await?;
/// println!("{} {:?}", reply.value, reply.attribute("key-popularity"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WithAttributes<T> {
    /// The reply.
    pub value: T,
    /// The attributes' key/value pairs, in the order the server sent them
    /// (empty when it sent none).
    pub attributes: Vec<(Frame, Frame)>,
}

impl WithAttributes<Frame> {
    /// Takes a reply frame apart: a [`Frame::Attribute`] into its
    /// attributes and the reply they annotate, any other frame into itself
    /// and no attributes.
    pub fn split(frame: Frame) -> Self {
        match frame {
            Frame::Attribute { attributes, data } => WithAttributes {
                value: *data,
                attributes,
            },
            value => WithAttributes {
                value,
                attributes: Vec::new(),
            },
        }
    }

    /// The value converted to `T`, the attributes kept.
    pub fn convert<T: FromResp>(self) -> Result<WithAttributes<T>> {
        Ok(WithAttributes {
            value: T::from_resp(self.value)?,
            attributes: self.attributes,
        })
    }
}

impl<T> WithAttributes<T> {
    /// The value of the attribute named `name` (compared with the bytes of
    /// the attribute's key), if the server sent it.
    pub fn attribute(&self, name: &str) -> Option<&Frame> {
        self.attributes
            .iter()
            .find(|(k, _)| k.as_bytes() == Some(name.as_bytes()))
            .map(|(_, v)| v)
    }
}

/// The reply without the attributes the server may have sent before it.
#[inline]
pub(crate) fn without_attributes(frame: Frame) -> Frame {
    match frame {
        Frame::Attribute { data, .. } => *data,
        other => other,
    }
}

/// How many events a push channel keeps for a reader that has not read
/// them (see [`PushReceiver`]), unless configured otherwise
/// ([`ClientBuilder::push_capacity`](crate::ClientBuilder::push_capacity),
/// [`blocking::Client::set_push_capacity`](crate::blocking::Client::set_push_capacity),
/// [`sync::Connection::set_push_capacity`](crate::connection::sync::Connection::set_push_capacity)).
pub const DEFAULT_PUSH_CAPACITY: usize = 1024;

/// A number unique to each connection of the process.
pub(crate) fn next_connection_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One item of a client's push channel (see [`PushReceiver`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PushEvent {
    /// A RESP3 push frame the server sent on connection `connection`: a
    /// client-side caching invalidation (`invalidate`, after `CLIENT
    /// TRACKING ON`), or other out-of-band data.
    Push {
        /// The connection it came on ([`Connection::id`](crate::connection::Connection::id)).
        connection: u64,
        /// The frame, a [`Frame::Push`].
        frame: Frame,
    },
    /// A connection opened: pushes may come on it from now on. State set
    /// on an earlier connection (`CLIENT TRACKING ON`) is not on it.
    Connected {
        /// Its [`id`](crate::connection::Connection::id).
        connection: u64,
    },
    /// A connection ended (dropped by the server or the network, or
    /// retired after a response timeout and closed): no more pushes come
    /// on it, and those the server meant to send on it are lost. A
    /// client-side cache must flush what that connection was tracking.
    Disconnected {
        /// Its [`id`](crate::connection::Connection::id).
        connection: u64,
    },
    /// The reader fell behind: this many events, the oldest unread ones,
    /// were dropped to keep the channel within its capacity. The events
    /// after this one are the newest the channel kept. A client-side cache
    /// must flush: an invalidation may have been among them.
    Lagged {
        /// How many events were dropped.
        missed: u64,
    },
}

/// A copy of a frame that holds no part of the connection's read buffer
/// (a frame decoded from the buffer shares it; one kept for long would
/// keep a whole buffer alive).
pub(crate) fn detach(frame: Frame) -> Frame {
    let own = |b: Bytes| Bytes::copy_from_slice(&b);
    let pairs =
        |v: Vec<(Frame, Frame)>| v.into_iter().map(|(k, v)| (detach(k), detach(v))).collect();
    match frame {
        Frame::SimpleString(b) => Frame::SimpleString(own(b)),
        Frame::Error(b) => Frame::Error(own(b)),
        Frame::BulkString(b) => Frame::BulkString(own(b)),
        Frame::BigNumber(b) => Frame::BigNumber(own(b)),
        Frame::BulkError(b) => Frame::BulkError(own(b)),
        Frame::VerbatimString { format, text } => Frame::VerbatimString {
            format,
            text: own(text),
        },
        Frame::Array(v) => Frame::Array(v.into_iter().map(detach).collect()),
        Frame::Set(v) => Frame::Set(v.into_iter().map(detach).collect()),
        Frame::Push(v) => Frame::Push(v.into_iter().map(detach).collect()),
        Frame::Map(v) => Frame::Map(pairs(v)),
        Frame::Attribute { attributes, data } => Frame::Attribute {
            attributes: pairs(attributes),
            data: Box::new(detach(*data)),
        },
        other @ (Frame::Integer(_) | Frame::Null | Frame::Boolean(_) | Frame::Double(_)) => other,
    }
}

/// What the readers and the publishers of one push channel share: a ring
/// of the newest events not yet read by every reader.
#[derive(Debug)]
pub(crate) struct PushHub {
    state: Mutex<HubState>,
    /// Woken on every event, for readers waiting on a thread.
    ready: Condvar,
    /// Told of every event as it happens, on the driver's own path
    /// (a client-side cache applying invalidations).
    observer: Option<Arc<dyn PushObserver>>,
}

/// What sees a push channel's events as the connections' drivers produce
/// them, before any later reply of the same connection is handed out:
/// the client-side cache ([`crate::cache`]).
pub(crate) trait PushObserver: Send + Sync + std::fmt::Debug {
    /// Connection `connection` opened.
    fn connected(&self, connection: u64);
    /// A push frame came on `connection`.
    fn push(&self, connection: u64, frame: &Frame);
    /// Connection `connection` ended.
    fn disconnected(&self, connection: u64);
}

#[derive(Debug)]
struct HubState {
    /// Events, oldest first; the first has sequence number `first`.
    events: VecDeque<Slot>,
    first: u64,
    capacity: usize,
    /// Live readers, and the key the next one gets.
    readers: usize,
    next_reader: u64,
    /// Live publishers (the client and its connections); with none left,
    /// the channel is closed.
    publishers: usize,
    /// Tasks waiting for an event, by reader key.
    wakers: Vec<(u64, Waker)>,
}

#[derive(Debug)]
struct Slot {
    event: PushEvent,
    /// Readers that have yet to read it.
    unread: usize,
}

impl HubState {
    /// Drops the oldest events every reader has read.
    fn trim(&mut self) {
        while self.events.front().is_some_and(|s| s.unread == 0) {
            self.events.pop_front();
            self.first += 1;
        }
    }

    /// The next event for the reader at `next`.
    fn take(&mut self, next: &mut u64) -> Option<PushEvent> {
        if *next < self.first {
            let missed = self.first - *next;
            *next = self.first;
            return Some(PushEvent::Lagged { missed });
        }
        let i = usize::try_from(*next - self.first).ok()?;
        let slot = self.events.get_mut(i)?;
        slot.unread -= 1;
        *next += 1;
        if slot.unread > 0 || i > 0 {
            return Some(slot.event.clone());
        }
        // The last reader of the oldest event: moved out, not copied.
        let slot = self.events.pop_front()?;
        self.first += 1;
        self.trim();
        Some(slot.event)
    }

    fn closed(&self) -> bool {
        self.publishers == 0
    }
}

fn lock(hub: &PushHub) -> MutexGuard<'_, HubState> {
    hub.state.lock().unwrap_or_else(|p| p.into_inner())
}

impl PushHub {
    fn wake(&self, wakers: Vec<(u64, Waker)>) {
        self.ready.notify_all();
        for (_, w) in wakers {
            w.wake();
        }
    }
}

/// A handle that publishes into a push channel; the channel closes when
/// the last one is dropped.
#[derive(Debug)]
pub(crate) struct PushPublisher {
    hub: Arc<PushHub>,
}

impl PushPublisher {
    /// A new channel keeping at most `capacity` unread events.
    pub(crate) fn new(capacity: usize) -> Self {
        Self::observed(capacity, None)
    }

    /// A new channel whose events `observer` sees first.
    pub(crate) fn observed(capacity: usize, observer: Option<Arc<dyn PushObserver>>) -> Self {
        PushPublisher {
            hub: Arc::new(PushHub {
                state: Mutex::new(HubState {
                    events: VecDeque::new(),
                    first: 0,
                    capacity: capacity.max(1),
                    readers: 0,
                    next_reader: 0,
                    publishers: 1,
                    wakers: Vec::new(),
                }),
                ready: Condvar::new(),
                observer,
            }),
        }
    }

    /// A reader of the events published from now on.
    pub(crate) fn subscribe(&self) -> PushReceiver {
        let mut st = lock(&self.hub);
        st.readers += 1;
        let key = st.next_reader;
        st.next_reader += 1;
        let next = st.first + st.events.len() as u64;
        drop(st);
        PushReceiver {
            hub: self.hub.clone(),
            next,
            key,
        }
    }

    /// Changes how many unread events are kept (at least one); lowering it
    /// drops the oldest ones beyond it.
    pub(crate) fn set_capacity(&self, capacity: usize) {
        let mut st = lock(&self.hub);
        st.capacity = capacity.max(1);
        while st.events.len() > st.capacity {
            st.events.pop_front();
            st.first += 1;
        }
    }

    /// Publishes `event` (built only when some reader will see it).
    fn publish(&self, event: impl FnOnce() -> PushEvent) {
        let wakers = {
            let mut st = lock(&self.hub);
            if st.readers == 0 {
                return;
            }
            if st.events.len() >= st.capacity {
                st.events.pop_front();
                st.first += 1;
            }
            let unread = st.readers;
            st.events.push_back(Slot {
                event: event(),
                unread,
            });
            std::mem::take(&mut st.wakers)
        };
        self.hub.wake(wakers);
    }

    /// The publishing side of connection `id`, which has just opened:
    /// publishes [`PushEvent::Connected`] now, and
    /// [`PushEvent::Disconnected`] when dropped.
    pub(crate) fn attach(&self, id: u64) -> ConnectionPushes {
        if let Some(o) = &self.hub.observer {
            o.connected(id);
        }
        self.publish(|| PushEvent::Connected { connection: id });
        ConnectionPushes {
            publisher: self.clone(),
            id,
        }
    }
}

impl Clone for PushPublisher {
    fn clone(&self) -> Self {
        lock(&self.hub).publishers += 1;
        PushPublisher {
            hub: self.hub.clone(),
        }
    }
}

impl Drop for PushPublisher {
    fn drop(&mut self) {
        let wakers = {
            let mut st = lock(&self.hub);
            st.publishers -= 1;
            if st.publishers > 0 {
                return;
            }
            std::mem::take(&mut st.wakers)
        };
        self.hub.wake(wakers);
    }
}

/// Where one connection's push frames go: its client's push channel.
#[derive(Debug)]
pub(crate) struct ConnectionPushes {
    publisher: PushPublisher,
    id: u64,
}

impl ConnectionPushes {
    /// Publishes a push frame that came on this connection.
    #[cold]
    pub(crate) fn push(&self, frame: Frame) {
        let connection = self.id;
        if let Some(o) = &self.publisher.hub.observer {
            o.push(connection, &frame);
        }
        self.publisher.publish(|| PushEvent::Push {
            connection,
            frame: detach(frame),
        });
    }
}

impl Drop for ConnectionPushes {
    fn drop(&mut self) {
        let connection = self.id;
        if let Some(o) = &self.publisher.hub.observer {
            o.disconnected(connection);
        }
        self.publisher
            .publish(|| PushEvent::Disconnected { connection });
    }
}

/// A reader of a client's push channel: the RESP3 push frames of the
/// client's connections, and when they open and end.
///
/// From [`Client::pushes`](crate::Client::pushes) (the shared connection's
/// pushes, across reconnects) or
/// [`blocking::Client::pushes`](crate::blocking::Client::pushes). Each
/// reader gets every event published after it was made, in order:
/// [`PushEvent::Connected`] before any push of that connection,
/// [`PushEvent::Disconnected`] after its last. A push is published before
/// any reply that came after it on the same connection is handed out.
///
/// **Bounded.** The channel keeps at most its capacity of events a reader
/// has not read ([`DEFAULT_PUSH_CAPACITY`] unless configured). When a
/// reader falls further behind, the oldest events are dropped and the
/// reader's next item is [`PushEvent::Lagged`] with how many it missed,
/// followed by the newest events kept. Events are dropped once every
/// reader has read them, and none are kept while no reader exists. Each
/// kept push frame is a copy holding no part of the connection's read
/// buffer, so the memory held is that of the frames alone.
///
/// Wait for events with [`recv`](Self::recv) or as a
/// [`Stream`](futures_core::Stream) on a task, with
/// [`recv_timeout`](Self::recv_timeout) on a thread, or take what is there
/// with [`try_recv`](Self::try_recv). The channel closes (`recv` returns
/// `None`) once the client and all its connections are gone.
///
/// ```no_run
/// # async fn demo(client: respec::Client) -> respec::Result<()> {
/// use respec::connection::PushEvent;
///
/// let mut pushes = client.pushes();
/// client.execute(&respec::Cmd::from_args(["CLIENT", "TRACKING", "ON"]).unwrap()).await?;
/// while let Some(event) = pushes.recv().await {
///     match event {
///         PushEvent::Push { frame, .. } => println!("invalidation: {frame:?}"),
///         PushEvent::Lagged { .. } | PushEvent::Disconnected { .. } => println!("flush the cache"),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
pub struct PushReceiver {
    hub: Arc<PushHub>,
    /// The sequence number of the next event to read.
    next: u64,
    key: u64,
}

impl std::fmt::Debug for PushReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = lock(&self.hub);
        f.debug_struct("PushReceiver")
            .field("capacity", &st.capacity)
            .field("closed", &st.closed())
            .finish()
    }
}

impl PushReceiver {
    /// Waits for the next event; `None` once the channel is closed and
    /// every event was read.
    pub async fn recv(&mut self) -> Option<PushEvent> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next event (what [`recv`](Self::recv) and the
    /// [`Stream`](futures_core::Stream) implementation wait on).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<PushEvent>> {
        let mut st = lock(&self.hub);
        if let Some(event) = st.take(&mut self.next) {
            return Poll::Ready(Some(event));
        }
        if st.closed() {
            return Poll::Ready(None);
        }
        match st.wakers.iter_mut().find(|(k, _)| *k == self.key) {
            Some((_, w)) => w.clone_from(cx.waker()),
            None => st.wakers.push((self.key, cx.waker().clone())),
        }
        Poll::Pending
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<PushEvent> {
        lock(&self.hub).take(&mut self.next)
    }

    /// Waits on this thread, at most `timeout`, for the next event (for
    /// the blocking client; on an async task use [`recv`](Self::recv)).
    /// `None` when none came in time, or the channel is closed
    /// ([`is_closed`](Self::is_closed)).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<PushEvent> {
        let deadline = Instant::now().checked_add(timeout);
        let mut st = lock(&self.hub);
        loop {
            if let Some(event) = st.take(&mut self.next) {
                return Some(event);
            }
            if st.closed() {
                return None;
            }
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                return None;
            }
            st = self
                .hub
                .ready
                .wait_timeout(st, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// True once the client and all its connections are gone: no more
    /// events will be published.
    pub fn is_closed(&self) -> bool {
        lock(&self.hub).closed()
    }

    /// How many unread events the channel keeps.
    pub fn capacity(&self) -> usize {
        lock(&self.hub).capacity
    }
}

impl futures_core::Stream for PushReceiver {
    type Item = PushEvent;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<PushEvent>> {
        self.poll_recv(cx)
    }
}

impl Drop for PushReceiver {
    fn drop(&mut self) {
        let mut st = lock(&self.hub);
        st.readers -= 1;
        let start = usize::try_from(self.next.saturating_sub(st.first)).unwrap_or(usize::MAX);
        for slot in st.events.iter_mut().skip(start) {
            slot.unread -= 1;
        }
        st.trim();
        let key = self.key;
        st.wakers.retain(|(k, _)| *k != key);
    }
}

/// The push frames a connection read while waiting for replies, kept for
/// [`sync::Connection::next_push`](crate::connection::sync::Connection::next_push),
/// or published to its client's push channel; and the connection's id.
/// Boxed in the connection: it is rarely used, and a smaller connection
/// moves in and out of a client's idle list with less copying.
#[derive(Debug)]
pub(crate) struct PushQueue {
    frames: VecDeque<Frame>,
    capacity: usize,
    /// Frames dropped to stay within `capacity`, since last asked.
    missed: u64,
    /// The client's channel, when the connection belongs to a client.
    channel: Option<ConnectionPushes>,
    /// The connection's [`next_connection_id`].
    id: u64,
}

impl PushQueue {
    pub(crate) fn new() -> Self {
        PushQueue {
            frames: VecDeque::new(),
            capacity: DEFAULT_PUSH_CAPACITY,
            missed: 0,
            channel: None,
            id: next_connection_id(),
        }
    }

    /// The connection's id.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Keeps a push frame, dropping the oldest one beyond the capacity.
    #[cold]
    pub(crate) fn keep(&mut self, frame: Frame) {
        if let Some(channel) = &self.channel {
            return channel.push(frame);
        }
        if self.frames.len() >= self.capacity {
            self.frames.pop_front();
            self.missed += 1;
        }
        self.frames.push_back(detach(frame));
    }

    pub(crate) fn pop(&mut self) -> Option<Frame> {
        self.frames.pop_front()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        while self.frames.len() > self.capacity {
            self.frames.pop_front();
            self.missed += 1;
        }
    }

    pub(crate) fn take_missed(&mut self) -> u64 {
        std::mem::take(&mut self.missed)
    }

    /// From now on, publishes to `channel` (with the frames kept so far).
    pub(crate) fn publish_to(&mut self, channel: ConnectionPushes) {
        for frame in self.frames.drain(..) {
            channel.push(frame);
        }
        self.channel = Some(channel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_pushes_apart_from_replies() {
        let mut inc = Incoming::new(Limits::default());
        inc.buf.extend_from_slice(
            b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n+OK\r\n|1\r\n+a\r\n:1\r\n:5\r\n",
        );
        assert!(matches!(inc.next_frame().unwrap(), Some(Routed::Push(_))));
        assert_eq!(
            inc.next_frame().unwrap(),
            Some(Routed::Reply(Frame::SimpleString("OK".into())))
        );
        let Some(Routed::Reply(annotated)) = inc.next_frame().unwrap() else {
            panic!("not a reply")
        };
        assert_eq!(without_attributes(annotated.clone()), Frame::Integer(5));
        let split = WithAttributes::split(annotated);
        assert_eq!(split.value, Frame::Integer(5));
        assert_eq!(split.attribute("a"), Some(&Frame::Integer(1)));
        assert_eq!(inc.next_frame().unwrap(), None);
    }

    fn push(n: i64) -> PushEvent {
        PushEvent::Push {
            connection: 1,
            frame: Frame::Push(vec![Frame::Integer(n)]),
        }
    }

    #[test]
    fn a_lagging_reader_gets_the_newest_and_the_count_it_missed() {
        let publisher = PushPublisher::new(4);
        let mut fast = publisher.subscribe();
        let mut slow = publisher.subscribe();
        for n in 0..10 {
            publisher.publish(|| push(n));
            assert_eq!(fast.try_recv(), Some(push(n)));
        }
        assert_eq!(slow.try_recv(), Some(PushEvent::Lagged { missed: 6 }));
        for n in 6..10 {
            assert_eq!(slow.try_recv(), Some(push(n)));
        }
        assert_eq!(slow.try_recv(), None);
        // Read by both: nothing is kept.
        assert!(lock(&publisher.hub).events.is_empty());
        // A reader that goes away releases what it had not read.
        publisher.publish(|| push(10));
        drop(slow);
        assert_eq!(lock(&publisher.hub).events.len(), 1);
        assert_eq!(fast.try_recv(), Some(push(10)));
        assert!(lock(&publisher.hub).events.is_empty());
    }

    #[test]
    fn nothing_is_kept_without_readers_and_the_channel_closes_with_its_publishers() {
        let publisher = PushPublisher::new(4);
        publisher.publish(|| push(0));
        let mut reader = publisher.subscribe();
        assert_eq!(reader.try_recv(), None);
        let conn = publisher.attach(7);
        conn.push(Frame::Push(vec![Frame::BulkString("x".into())]));
        drop(publisher);
        assert!(!reader.is_closed());
        drop(conn);
        assert!(reader.is_closed());
        assert_eq!(
            reader.recv_timeout(Duration::from_secs(1)),
            Some(PushEvent::Connected { connection: 7 })
        );
        assert!(matches!(
            reader.try_recv(),
            Some(PushEvent::Push { connection: 7, .. })
        ));
        assert_eq!(
            reader.try_recv(),
            Some(PushEvent::Disconnected { connection: 7 })
        );
        assert_eq!(reader.recv_timeout(Duration::from_secs(1)), None);
    }

    #[test]
    fn the_local_queue_is_bounded() {
        let mut q = PushQueue::new();
        q.set_capacity(2);
        for n in 0..5 {
            q.keep(Frame::Push(vec![Frame::Integer(n)]));
        }
        assert_eq!(q.take_missed(), 3);
        assert_eq!(q.take_missed(), 0);
        assert_eq!(q.pop(), Some(Frame::Push(vec![Frame::Integer(3)])));
        assert_eq!(q.pop(), Some(Frame::Push(vec![Frame::Integer(4)])));
        assert!(q.is_empty());
    }
}
