//! The tokio driver: one socket shared by many tasks.
//!
//! [`Connection::connect`] opens the socket, runs the handshake, and spawns a
//! driver task that owns the socket. Callers hand it already-encoded
//! requests through an unbounded channel and get a [`ResponseFuture`].
//!
//! The driver is one hand-polled future that, on every wake-up:
//!
//! 1. drains every request waiting in the channel into a single output
//!    buffer, so requests issued while a write was in flight go out together
//!    in one write (auto-pipelining), and records who waits for which reply.
//!    When requests arrive at an idle connection and the last replies woke
//!    several tasks, the driver first steps back once (to the end of the
//!    scheduler's queue): the other woken tasks add their next requests
//!    meanwhile, and one write carries them all instead of one write each
//!    ([`ConnectionConfig::batch_writes`] turns this off);
//! 2. writes as much of the output buffer as the socket takes;
//! 3. reads whatever arrived and decodes it: replies go, in order, to the
//!    oldest waiter (with their RESP3 attributes only for a waiter that
//!    asked for them); RESP3 push frames go to the push channel (a
//!    client's [`PushReceiver`](super::PushReceiver)s, or the receiver of
//!    [`Connection::connect_with_pushes`]), never to a waiter;
//! 4. fails waiters whose response deadline passed. Their slot stays in the
//!    queue so that the late reply, when it comes, is matched and dropped and
//!    every later reply still reaches the right waiter.
//!
//! A request that reaches a quiet connection (nothing written and
//! unanswered, nothing queued) is written by the caller itself, from its
//! own thread, instead of waking the driver task to write it: the driver
//! sits behind a lock ([`DriverCell`]), and the caller takes it if it is
//! free, adds its request as the driver would and writes it, and arms the
//! driver's timer. Every readiness and timer registration made on that
//! path is the driver task's (its waker, kept from its last poll), so the
//! reply wakes the driver as any other would, and the driver hands it to
//! the caller. This saves one hand-off between threads for a task that
//! awaits one request at a time. When the lock is taken, or anything is in
//! flight, the request goes through the channel as usual (so concurrent
//! requests still share writes).
//!
//! Reading and writing proceed together, so a large pipeline never deadlocks
//! against a server that is itself waiting for us to read. When the socket
//! fails or the peer sends malformed data, every waiter (and every request
//! still queued) gets the error and the driver ends; the handle then reports
//! [`Connection::is_closed`].

use crate::commands::{Need, Requires};
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::mpsc;

use super::reply;
use tokio::time::{Instant, Sleep};

use super::config::{Addr, ConnectionConfig};
use super::handshake::{Handshake, Progress, ServerInfo};
use super::incoming::{
    next_connection_id, without_attributes, ConnectionPushes, Incoming, PushPublisher, Routed,
    WithAttributes,
};
use crate::auth::Session;
use crate::cmd::Command;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{ErrorClass, Event, Observer, Tally};
use crate::reply::FromResp;
use crate::resp::Frame;

/// Writes stop taking new requests while this much output is unsent.
const WRITE_HIGH_WATER: usize = 1024 * 1024;
/// Loop turns before the driver yields to other tasks.
const TURNS_PER_POLL: usize = 32;

/// The socket under a connection.
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            Stream::Tcp($s) => $e,
            Stream::Unix($s) => $e,
            #[cfg(feature = "tls")]
            Stream::Tls($s) => $e,
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => Pin::new(s).poll_write(cx, buf))
    }
    // Without these, a vectored write would fall back to writing the first
    // piece alone: a pipeline and its marker would take two system calls
    // (and reach the server as two reads).
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => Pin::new(s).poll_write_vectored(cx, bufs))
    }
    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tcp(s) => s.is_write_vectored(),
            Stream::Unix(s) => s.is_write_vectored(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_flush(cx))
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_shutdown(cx))
    }
}

async fn open_stream(cfg: &ConnectionConfig) -> Result<Stream> {
    match &cfg.addr {
        Addr::Tcp { host, port } => {
            let tcp = TcpStream::connect((host.as_str(), *port))
                .await
                .map_err(|e| Error::connect(&cfg.addr, e))?;
            tcp.set_nodelay(true)?;
            set_keepalive(&tcp, cfg.tcp_keepalive)?;
            match &cfg.tls {
                None => Ok(Stream::Tcp(tcp)),
                #[cfg(feature = "tls")]
                Some(tls) => {
                    let connector =
                        tokio_rustls::TlsConnector::from(super::tls::client_config(tls)?);
                    let name = super::tls::server_name(tls, host)?;
                    let stream = connector.connect(name, tcp).await.map_err(|e| {
                        let e = super::tls::handshake_failure(&cfg.addr, tls, e.into());
                        if e.kind() == &ErrorKind::Tls {
                            return e;
                        }
                        Error::new(
                            ErrorKind::Tls,
                            format!("TLS handshake with {} failed: {e}", cfg.addr),
                        )
                    })?;
                    Ok(Stream::Tls(Box::new(stream)))
                }
                #[cfg(not(feature = "tls"))]
                Some(_) => Err(Error::new(
                    ErrorKind::InvalidConfig,
                    "rediss:// needs respec's `tls` feature (off by default): \
                     `respec = { version = \"...\", features = [\"tls\"] }` in Cargo.toml",
                )),
            }
        }
        Addr::Unix(path) => Ok(Stream::Unix(
            UnixStream::connect(path)
                .await
                .map_err(|e| Error::connect(&cfg.addr, e))?,
        )),
    }
}

/// Turns TCP keepalive on with `idle` as the time before the first probe
/// and between probes (`None`: the system's setting).
pub(crate) fn set_keepalive<S: std::os::fd::AsFd>(
    socket: &S,
    idle: Option<Duration>,
) -> Result<()> {
    if let Some(t) = idle {
        let t = t.max(Duration::from_secs(1));
        let ka = socket2::TcpKeepalive::new().with_time(t).with_interval(t);
        socket2::SockRef::from(socket).set_tcp_keepalive(&ka)?;
    }
    Ok(())
}

/// What a successful connection setup yields (with the address it
/// reached).
type Setup = (Stream, ServerInfo, Incoming, Option<Session>, Addr);

/// Opens the stream to `cfg.addr` and runs the handshake, reporting the
/// opening ([`Event::Connected`]) or the failure to the observer.
async fn setup(cfg: &ConnectionConfig) -> Result<Setup> {
    let result = async {
        let mut stream = open_stream(cfg).await?;
        cfg.observer.emit(Event::Connected {
            addr: cfg.addr.clone(),
        });
        let (credentials, session) = crate::auth::for_connect(cfg)?;
        let (info, incoming) = handshake(&mut stream, cfg, credentials)
            .await
            .map_err(|e| tls_failure(cfg, e))?;
        Ok((stream, info, incoming, session, cfg.addr.clone()))
    }
    .await;
    if let Err(e) = &result {
        cfg.observer.emit(Event::ConnectFailed {
            addr: cfg.addr.clone(),
            error: ErrorClass::of(e),
        });
    }
    result
}

/// A failure of the first exchange caused by TLS (the server checks the
/// client certificate after the TLS 1.3 handshake) as a TLS error.
fn tls_failure(cfg: &ConnectionConfig, e: Error) -> Error {
    match &cfg.tls {
        #[cfg(feature = "tls")]
        Some(tls) => super::tls::handshake_failure(&cfg.addr, tls, e),
        _ => plain_dropped(cfg, e),
    }
}

/// A plain connection the server dropped during the handshake: what a
/// TLS-only server does to a client that does not speak TLS, so the error
/// says so.
pub(crate) fn plain_dropped(cfg: &ConnectionConfig, e: Error) -> Error {
    if cfg.tls.is_none() && matches!(cfg.addr, Addr::Tcp { .. }) && e.is_connection_dropped() {
        e.with_hint(
            "the server closed the connection during the handshake; if it accepts TLS only, \
             connect with a rediss:// URL",
        )
    } else {
        e
    }
}

/// Runs the handshake on a fresh stream.
async fn handshake(
    stream: &mut Stream,
    cfg: &ConnectionConfig,
    credentials: Option<crate::auth::Credentials>,
) -> Result<(ServerInfo, Incoming)> {
    use tokio::io::AsyncReadExt;
    let mut hs = Handshake::with_credentials(cfg, credentials);
    let mut out = BytesMut::new();
    let mut incoming = Incoming::new(cfg.limits);
    hs.start(&mut out);
    loop {
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        let frame = loop {
            if let Some(routed) = incoming.next_frame()? {
                match routed {
                    Routed::Reply(f) => break without_attributes(f),
                    Routed::Push(_) => continue,
                }
            }
            incoming.reserve();
            if stream.read_buf(&mut incoming.buf).await? == 0 {
                return Err(Error::new(
                    ErrorKind::ConnectionClosed,
                    "the server closed the connection during the handshake",
                ));
            }
        };
        if let Progress::Done(info) = hs.on_reply(frame, &mut out)? {
            return Ok((info, incoming));
        }
    }
}

/// Encoded request bytes. Small commands (a `GET`, an `INCR`) travel inline,
/// so sending one allocates nothing but its reply channel.
#[derive(Clone)]
pub(crate) enum Payload {
    Inline {
        len: u8,
        buf: [u8; INLINE],
    },
    Shared(Bytes),
    /// An encoding with large values left where they are: each part's
    /// bytes belong at its offset of `buf`.
    Parts {
        buf: Bytes,
        parts: crate::resp::encode::SharedParts,
    },
}

const INLINE: usize = 80;
/// Commands larger than this are not copied out of the encoding buffer.
const LARGE: usize = 64 * 1024;
/// Requests at least this long are not copied into the driver's output
/// buffer but written from where they are (with it, in one vectored write).
const QUEUE_FROM: usize = 1024;
/// How much of a request a waiter keeps, to name the command in errors.
const NAME_PREFIX: usize = 256;

impl Payload {
    /// The encoding and the large values that belong at its offsets.
    pub(crate) fn with_parts(&self) -> (&[u8], &[(usize, Bytes)]) {
        match self {
            Payload::Parts { buf, parts } => (buf, parts),
            other => (other, &[]),
        }
    }
}

impl std::ops::Deref for Payload {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Payload::Inline { len, buf } => &buf[..*len as usize],
            Payload::Shared(b) => b,
            // The name is in `buf`, which is all that reads this.
            Payload::Parts { buf, .. } => buf,
        }
    }
}

thread_local! {
    /// Where commands are encoded before they are sent.
    static SCRATCH: std::cell::RefCell<BytesMut> = std::cell::RefCell::new(BytesMut::with_capacity(256));
}

impl Payload {
    pub(crate) fn encode<C: Command + ?Sized>(cmd: &C) -> Payload {
        SCRATCH.with(|scratch| {
            let Ok(mut out) = scratch.try_borrow_mut() else {
                // Re-entered (an encoder that sends?): use a buffer of its own.
                let mut out = BytesMut::new();
                cmd.encode(&mut out);
                return Payload::Shared(out.freeze());
            };
            out.clear();
            let mut parts = Vec::new();
            cmd.encode_shared(&mut out, &mut parts);
            if !parts.is_empty() {
                return Payload::Parts {
                    buf: Bytes::copy_from_slice(&out),
                    parts,
                };
            }
            if out.len() <= INLINE {
                let mut buf = [0u8; INLINE];
                buf[..out.len()].copy_from_slice(&out);
                Payload::Inline {
                    len: out.len() as u8,
                    buf,
                }
            } else if out.len() <= LARGE {
                Payload::Shared(Bytes::copy_from_slice(&out))
            } else {
                // A large command: hand over the scratch buffer itself
                // rather than copy it, and start a new one.
                let bytes = std::mem::replace(&mut *out, BytesMut::with_capacity(256)).freeze();
                Payload::Shared(bytes)
            }
        })
    }
}

/// One request to the driver: encoded commands and who waits for the replies.
pub(crate) struct Request {
    bytes: Payload,
    /// How many replies the bytes produce (more than one for a pipeline).
    /// A `u32` beside `attributes` keeps the request as small as it was
    /// without them.
    replies: u32,
    /// How long the reply may take (`None`: no bound).
    limit: Option<Duration>,
    /// Whether the reply keeps the RESP3 attributes sent before it.
    attributes: bool,
    tx: reply::Sender,
}

/// Retires a connection from outside: it takes no new requests (clients
/// replace it) and closes once its handles are gone. Holding one keeps
/// neither the socket nor the driver alive.
#[derive(Debug, Clone)]
pub(crate) struct RetireHandle(Arc<ConnState>);

impl RetireHandle {
    /// Marks the connection retired ([`Connection::is_closed`] turns true).
    pub(crate) fn retire(&self) {
        self.0.retired.store(true, Ordering::Relaxed);
    }
}

/// What the handles and the driver of one connection share.
#[derive(Debug)]
struct ConnState {
    /// Set by the driver when a reply timed out: the connection takes no new
    /// requests and closes once its replies are accounted for.
    retired: AtomicBool,
    /// Dedicated connections only: requests sent whose replies are not in.
    in_flight: AtomicUsize,
    /// Dedicated connections only: a command that leaves state on the
    /// connection (`WATCH`, `MULTI`, `SELECT`, ...) was sent and not undone.
    dirty: AtomicBool,
    /// Whether `in_flight` and `dirty` are kept (dedicated connections).
    tracked: bool,
    /// The connection's number ([`Connection::id`]).
    id: u64,
    /// Connections that found their server through Sentinel: whether the
    /// server is still the one to use.
    follow: Option<crate::sentinel::Follow>,
    /// The server's address ([`Connection::addr`]).
    addr: Addr,
}

struct Waiter {
    tx: Option<reply::Sender>,
    /// The encoded request (moved here, not copied), to name the command in
    /// an error.
    request: Payload,
    deadline: Option<Instant>,
    /// The bound the deadline came from, for the error message.
    limit: Option<Duration>,
    /// When the request was taken for writing, in microseconds of the
    /// driver's clock ([`Driver::micros`]), for the latency metric.
    sent: u64,
    /// Replies still due (a `u32` beside `attributes`, see
    /// [`Request::replies`]), and those collected so far for a pipeline.
    due: u32,
    collected: Vec<Frame>,
    /// Whether the reply keeps the RESP3 attributes sent before it.
    attributes: bool,
    /// Set for a request the driver made itself (a health check, a
    /// re-authentication): nobody waits for it and no handle counted it.
    internal: Option<Internal>,
}

/// A request the driver sends on its own.
enum Internal {
    /// The idle `PING` ([`ConnectionConfig::health_check_interval`]): no
    /// reply in time means the peer is gone.
    HealthCheck,
    /// `AUTH` with credentials the provider changed: a refusal retires the
    /// connection.
    Auth,
}

/// The driver, shared by its task and the handles that write to a quiet
/// connection themselves (see the module docs).
struct DriverCell {
    core: std::sync::Mutex<Core>,
}

struct Core {
    /// `None` once the driver ended (the socket is closed with it).
    driver: Option<Driver>,
    /// The driver task's waker from its last poll: what the handles'
    /// writes register with, so that every wake-up goes to the task.
    waker: Option<std::task::Waker>,
}

impl DriverCell {
    /// Writes `req` from the caller's thread when the connection is quiet
    /// and the driver free; gives it back otherwise.
    fn try_write(&self, req: Request) -> Option<Request> {
        let Ok(mut core) = self.core.try_lock() else {
            return Some(req);
        };
        let Core {
            driver: Some(driver),
            waker: Some(waker),
        } = &mut *core
        else {
            return Some(req);
        };
        if !driver.takes_direct() {
            return Some(req);
        }
        driver.write_direct(req, &mut Context::from_waker(waker));
        None
    }
}

/// The driver's task: polls the driver in its cell.
struct DriverTask {
    cell: Arc<DriverCell>,
    /// The callers the last poll woke, woken after the lock is released
    /// (kept to reuse its allocation).
    wakes: Vec<std::task::Waker>,
}

impl Future for DriverTask {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let poll = this.poll_locked(cx);
        for w in this.wakes.drain(..) {
            w.wake();
        }
        poll
    }
}

impl Drop for DriverTask {
    /// The task ends, or its runtime shuts down: the driver goes with it
    /// (the socket closes, and waiting callers hear that it did), so no
    /// handle writes to a socket nobody reads any more.
    fn drop(&mut self) {
        let driver = self
            .cell
            .core
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .driver
            .take();
        if let Some(d) = driver {
            d.wakes.iter().for_each(std::task::Waker::wake_by_ref);
        }
        self.wakes.drain(..).for_each(std::task::Waker::wake);
    }
}

impl DriverTask {
    fn poll_locked(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // A panic while the lock is held poisons it: the handles then use
        // the channel, and the runtime drops this task, which takes the
        // driver out and wakes whom it answered (see the `Drop` impl).
        let mut core = self
            .cell
            .core
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !core.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            core.waker = Some(cx.waker().clone());
        }
        let Some(driver) = core.driver.as_mut() else {
            return Poll::Ready(());
        };
        let poll = driver.poll_turns(cx);
        driver.tally.flush(driver.observer.counters());
        std::mem::swap(&mut driver.wakes, &mut self.wakes);
        if poll.is_ready() {
            core.driver = None;
            core.waker = None;
        }
        poll
    }
}

/// A shared, multiplexed connection to one server.
///
/// Cloning is cheap; all clones share one socket and one driver task. Must
/// be created inside a tokio runtime.
#[derive(Clone)]
pub struct Connection {
    tx: mpsc::UnboundedSender<Request>,
    cell: Arc<DriverCell>,
    info: Arc<ServerInfo>,
    state: Arc<ConnState>,
    timeout: Option<Duration>,
    /// The cache of the client this connection was taken from: the keys
    /// of the writes sent through this handle drop their entries first
    /// (see [`crate::cache`]).
    writes: Option<Arc<crate::cache::Cache>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("server", &self.info)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Connection {
    /// Connects, runs the handshake, and starts the driver task. RESP3
    /// push frames that come on this connection are dropped (never taken
    /// for replies); [`connect_with_pushes`](Self::connect_with_pushes)
    /// hands them out.
    pub async fn connect(cfg: &ConnectionConfig) -> Result<Self> {
        Ok(Self::connect_inner(cfg, false, false, PushTarget::Discard)
            .await?
            .0)
    }

    /// A client's shared connection: like [`connect`](Self::connect), with
    /// its push frames, and its opening and end, published to the client's
    /// push channel.
    pub(crate) async fn connect_publishing(
        cfg: &ConnectionConfig,
        pushes: &PushPublisher,
    ) -> Result<Self> {
        Ok(
            Self::connect_inner(cfg, false, false, PushTarget::Channel(pushes))
                .await?
                .0,
        )
    }

    /// Like [`connect`](Self::connect), and also returns the channel that
    /// receives the server's RESP3 push frames (pub/sub messages, client-side
    /// caching invalidations). The channel is unbounded: read it, or drop
    /// it to discard the pushes. (A [`Client`](crate::Client)'s shared
    /// connection publishes to the client's bounded channel instead,
    /// [`Client::pushes`](crate::Client::pushes).)
    pub async fn connect_with_pushes(
        cfg: &ConnectionConfig,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Frame>)> {
        Self::connect_with_receiver(cfg, false).await
    }

    /// A connection for one user at a time (the pool's): like
    /// [`connect`](Self::connect), and it also keeps track of requests
    /// still in flight and of state left on the connection, so that it is
    /// not reused while either holds (see [`is_reusable`](Self::is_reusable)).
    pub(crate) async fn connect_dedicated(cfg: &ConnectionConfig) -> Result<Self> {
        Ok(Self::connect_inner(cfg, false, true, PushTarget::Discard)
            .await?
            .0)
    }

    /// A connection for pub/sub: like [`connect_with_pushes`](Self::connect_with_pushes),
    /// and on RESP2, where messages and subscription confirmations arrive as
    /// ordinary arrays, those arrays are routed to the push channel too.
    pub async fn connect_subscriber(
        cfg: &ConnectionConfig,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Frame>)> {
        Self::connect_with_receiver(cfg, true).await
    }

    /// A client's subscriber connection (the client-side cache's redirect
    /// connection on RESP2): like [`connect_subscriber`](Self::connect_subscriber),
    /// with its push frames (and RESP2 pub/sub arrays), its opening and its
    /// end published to the client's push channel.
    pub(crate) async fn connect_subscriber_publishing(
        cfg: &ConnectionConfig,
        pushes: &PushPublisher,
    ) -> Result<Self> {
        Ok(
            Self::connect_inner(cfg, true, false, PushTarget::Channel(pushes))
                .await?
                .0,
        )
    }

    async fn connect_with_receiver(
        cfg: &ConnectionConfig,
        subscriber: bool,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Frame>)> {
        let (conn, rx) = Self::connect_inner(cfg, subscriber, false, PushTarget::Receiver).await?;
        let rx = rx.unwrap_or_else(|| mpsc::unbounded_channel().1);
        Ok((conn, rx))
    }

    async fn connect_inner(
        cfg: &ConnectionConfig,
        subscriber: bool,
        tracked: bool,
        pushes: PushTarget<'_>,
    ) -> Result<(Self, Option<mpsc::UnboundedReceiver<Frame>>)> {
        let setup = async {
            match &cfg.locator {
                None => Ok::<_, Error>((setup(cfg).await?, None)),
                // Sentinel: the locator picks the address and checks ROLE.
                Some(locator) => {
                    let (done, follow) = locator
                        .connect(cfg, |d: &Setup| &d.1, |c| async move { setup(&c).await })
                        .await?;
                    Ok((done, Some(follow)))
                }
            }
        };
        let ((stream, info, incoming, session, addr), follow) = match cfg.connect_timeout {
            Some(t) => tokio::time::timeout(t, setup).await.map_err(|_| {
                cfg.observer.emit(Event::ConnectFailed {
                    addr: cfg.addr.clone(),
                    error: ErrorClass::Timeout,
                });
                Error::new(
                    ErrorKind::Timeout,
                    format!("connecting to {} took longer than {t:?}", cfg.addr),
                )
            })??,
            None => setup.await?,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let id = next_connection_id();
        let (sink, push_rx) = match pushes {
            PushTarget::Discard => (PushSink::Discard, None),
            PushTarget::Receiver => {
                let (push_tx, push_rx) = mpsc::unbounded_channel();
                (PushSink::Receiver(push_tx), Some(push_rx))
            }
            PushTarget::Channel(publisher) => (PushSink::Channel(publisher.attach(id)), None),
        };
        let state = Arc::new(ConnState {
            retired: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            dirty: AtomicBool::new(false),
            tracked,
            id,
            follow,
            addr: addr.clone(),
        });
        cfg.observer.emit(Event::HandshakeDone {
            addr,
            connection: id,
            protocol: info.protocol,
            server: info.server.clone(),
            version: info.version,
        });
        let driver = Driver {
            state: state.clone(),
            checkpoints: VecDeque::new(),
            buffered: VecDeque::new(),
            unchecked: 0,
            verify: cfg.verify_replies && !subscriber && !tracked,
            marker_seed: random_seed(),
            marker_count: 0,
            grace_until: None,
            held: VecDeque::new(),
            write_failed: None,
            direct_error: None,
            wakes: Vec::new(),
            io: stream,
            rx,
            rx_open: true,
            out: BytesMut::with_capacity(16 * 1024),
            queued: VecDeque::new(),
            queued_len: 0,
            needs_flush: false,
            incoming,
            waiters: VecDeque::new(),
            pushes: sink,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            timer_at: None,
            resp2_pubsub: subscriber && info.protocol == super::Protocol::Resp2,
            subscriber,
            batch_writes: cfg.batch_writes,
            batch_deferred: false,
            answered: 0,
            health_interval: cfg.health_check_interval,
            health_timeout: cfg
                .health_check_interval
                .map(|i| cfg.response_timeout.map_or(i, |r| r.min(i))),
            last_io: Instant::now(),
            auth_wake: session.as_ref().and_then(Session::changed),
            session,
            reauth_pending: false,
            observer: cfg.observer.clone(),
            tally: Tally::default(),
            epoch: Instant::now(),
            read_at: 0,
        };
        let cell = Arc::new(DriverCell {
            core: std::sync::Mutex::new(Core {
                driver: Some(driver),
                waker: None,
            }),
        });
        tokio::spawn(DriverTask {
            cell: cell.clone(),
            wakes: Vec::new(),
        });
        Ok((
            Connection {
                tx,
                cell,
                info: Arc::new(info),
                state,
                timeout: cfg.response_timeout,
                writes: None,
            },
            push_rx,
        ))
    }

    /// The bound on each reply this connection was configured with.
    pub fn response_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// What the server reported about itself during the handshake.
    pub fn server_info(&self) -> &ServerInfo {
        &self.info
    }

    /// The address of the server this connection reached (for a
    /// Sentinel-managed configuration, the one the sentinels named).
    pub fn addr(&self) -> &Addr {
        &self.state.addr
    }

    /// A number unique to this connection within the process: the one
    /// [`PushEvent`](super::PushEvent)s name the connection by.
    pub fn id(&self) -> u64 {
        self.state.id
    }

    /// True once the connection takes no new requests: the driver stopped
    /// (the socket failed or was closed), or a reply timed out and the
    /// connection is retired (it closes once the replies still due are
    /// accounted for). Clients replace such a connection with a new one; a
    /// request still sent to it waits until the replies due are proven to
    /// line up, then goes out (or fails unsent when they do not).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
            || self.state.retired.load(Ordering::Relaxed)
            || self.state.follow.as_ref().is_some_and(|f| f.is_stale())
    }

    /// For a dedicated connection: true when it can serve another user as
    /// it is: open, no request of the last user still in flight (an
    /// abandoned `BLPOP` would otherwise pop an element for nobody), and no
    /// `WATCH`, `MULTI` or other connection state left behind.
    pub fn is_reusable(&self) -> bool {
        !self.is_closed()
            && self.state.in_flight.load(Ordering::Acquire) == 0
            && !self.state.dirty.load(Ordering::Acquire)
    }

    /// A handle that retires this connection without keeping it open
    /// (see [`RetireHandle`]).
    pub(crate) fn retire_handle(&self) -> RetireHandle {
        RetireHandle(self.state.clone())
    }

    /// Whether this is a dedicated (pooled) connection or one for sharing.
    pub(crate) fn target(&self) -> crate::cmd::Target {
        if self.state.tracked {
            crate::cmd::Target::Dedicated
        } else {
            crate::cmd::Target::Shared
        }
    }

    /// This handle (and its clones) with the writes it sends going
    /// through `cache`'s own-write rule.
    pub(crate) fn with_cache_writes(mut self, cache: Option<Arc<crate::cache::Cache>>) -> Self {
        self.writes = cache;
        self
    }

    /// Marks a dedicated connection as holding no `WATCH` or transaction
    /// state (after `EXEC`, `DISCARD` or `UNWATCH` answered).
    pub(crate) fn mark_clean(&self) {
        self.state.dirty.store(false, Ordering::Release);
    }

    /// Sends one command; the future resolves to its reply. An error reply
    /// from the server resolves to an `Err` naming the command. The reply
    /// may take the configured response timeout; for a blocking command
    /// see [`send_blocking`](Self::send_blocking).
    pub fn send<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        if let Err(e) = check_version(cmd, &self.info) {
            return ResponseFuture::ready(Err(e));
        }
        self.track_names(cmd.name(), None);
        self.send_payload(Payload::encode(cmd), 1, self.timeout)
    }

    /// Sends a blocking command (`BLPOP k 5`): its reply may take the
    /// command's own block time plus the response timeout, and as long as
    /// it likes when it blocks forever (`BLPOP k 0`).
    pub fn send_blocking<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        if let Err(e) = check_version(cmd, &self.info) {
            return ResponseFuture::ready(Err(e));
        }
        self.track_names(cmd.name(), None);
        let limit = cmd.blocks().deadline(self.timeout);
        self.send_payload(Payload::encode(cmd), 1, limit)
    }

    /// Sends one command and returns its reply converted to `T`, with the
    /// RESP3 attributes the server sent before it (see [`WithAttributes`];
    /// every other method drops them). An error reply is an `Err` (its
    /// attributes are dropped). The reply may take the response timeout,
    /// plus the block time of a blocking command.
    pub async fn query_with_attributes<T: FromResp, C: Command + ?Sized>(
        &self,
        cmd: &C,
    ) -> Result<WithAttributes<T>> {
        crate::cmd::check_sendable(cmd, self.target())?;
        let limit = cmd.blocks().deadline(self.timeout);
        let frame = self.send_keeping_attributes(cmd, limit).await?;
        WithAttributes::split(frame)
            .convert()
            .map_err(|e| e.for_command(cmd.name()))
    }

    /// Sends one command whose reply keeps its RESP3 attributes (a
    /// [`Frame::Attribute`] when the server sent any).
    pub(crate) fn send_keeping_attributes<C: Command + ?Sized>(
        &self,
        cmd: &C,
        limit: Option<Duration>,
    ) -> ResponseFuture {
        if let Err(e) = check_version(cmd, &self.info) {
            return ResponseFuture::ready(Err(e));
        }
        self.track_names(cmd.name(), None);
        self.send_request(Payload::encode(cmd), 1, limit, true)
    }

    /// Sends a command with no bound on how long its reply may take.
    pub fn send_untimed<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        if let Err(e) = check_version(cmd, &self.info) {
            return ResponseFuture::ready(Err(e));
        }
        self.track_names(cmd.name(), None);
        self.send_payload(Payload::encode(cmd), 1, None)
    }

    /// Sends bytes holding `replies` encoded commands. With one reply, an
    /// error reply becomes `Err`; with several, the future resolves to an
    /// array of every reply, error replies included as frames. With zero
    /// (commands answered by push frames, such as `SUBSCRIBE` on RESP3), it
    /// resolves to `Null` once the bytes are queued for writing. `timed`:
    /// whether the response timeout applies.
    pub fn send_encoded(&self, bytes: Bytes, replies: usize, timed: bool) -> ResponseFuture {
        let limit = if timed { self.timeout } else { None };
        self.send_encoded_within(bytes, replies, limit)
    }

    /// Like [`send_encoded`](Self::send_encoded), with the time the replies
    /// may take (`None`: no bound).
    pub fn send_encoded_within(
        &self,
        bytes: Bytes,
        replies: usize,
        limit: Option<Duration>,
    ) -> ResponseFuture {
        self.track_names("", Some(&bytes));
        self.send_payload(Payload::Shared(bytes), replies, limit)
    }

    /// On a dedicated connection, notes the commands that leave state on the
    /// connection (from `name`, or read from the encoded `bytes`).
    fn track_names(&self, name: &str, bytes: Option<&[u8]>) {
        if !self.state.tracked {
            return;
        }
        let mut dirty = None;
        let mut note = |name: &str| match name {
            "WATCH" | "MULTI" | "SELECT" | "CLIENT REPLY" | "CLIENT TRACKING" | "HELLO"
            | "AUTH" | "READONLY" | "CLIENT SETNAME" | "CLIENT NO-EVICT" | "CLIENT NO-TOUCH" => {
                dirty = Some(true)
            }
            "EXEC" | "DISCARD" | "UNWATCH" | "RESET" => dirty = Some(false),
            _ => {}
        };
        match bytes {
            Some(bytes) => {
                for command in commands_in(bytes) {
                    note(&name_of(command));
                }
            }
            None if name == "CLIENT" || name.is_empty() => {}
            None => note(name),
        }
        if let Some(d) = dirty {
            self.state.dirty.store(d, Ordering::Release);
        }
    }

    #[inline]
    pub(crate) fn send_payload(
        &self,
        bytes: Payload,
        replies: usize,
        limit: Option<Duration>,
    ) -> ResponseFuture {
        self.send_request(bytes, replies, limit, false)
    }

    /// Queues a request; `attributes`: whether its reply keeps the RESP3
    /// attributes sent before it.
    pub(crate) fn send_request(
        &self,
        bytes: Payload,
        replies: usize,
        limit: Option<Duration>,
        attributes: bool,
    ) -> ResponseFuture {
        let Ok(replies) = u32::try_from(replies) else {
            return ResponseFuture::ready(Err(Error::new(
                ErrorKind::InvalidInput,
                format!("{replies} replies in one request are more than a connection takes"),
            )));
        };
        if let Some(cache) = &self.writes {
            let (buf, parts) = bytes.with_parts();
            if let Some(writing) = cache.before_request(buf, parts) {
                let sent = self.send_request_unwatched(bytes, replies, limit, attributes);
                // Until it is answered, reads of its keys store nothing.
                return ResponseFuture::boxed(async move {
                    let reply = sent.await;
                    drop(writing);
                    reply
                });
            }
        }
        self.send_request_unwatched(bytes, replies, limit, attributes)
    }

    /// [`send_request`](Self::send_request) past the cache's own-write rule.
    fn send_request_unwatched(
        &self,
        bytes: Payload,
        replies: u32,
        limit: Option<Duration>,
        attributes: bool,
    ) -> ResponseFuture {
        let (tx, rx) = reply::channel();
        if self.state.tracked && replies > 0 {
            self.state.in_flight.fetch_add(1, Ordering::AcqRel);
        }
        let request = Request {
            bytes,
            replies,
            limit,
            attributes,
            tx,
        };
        let Some(request) = self.cell.try_write(request) else {
            return ResponseFuture {
                state: State::Waiting { rx },
            };
        };
        match self.tx.send(request) {
            Ok(()) => ResponseFuture {
                state: State::Waiting { rx },
            },
            Err(mpsc::error::SendError(req)) => ResponseFuture::ready(Err(closed_error()
                .unsent()
                .for_command(name_of(&req.bytes)))),
        }
    }
}

fn closed_error() -> Error {
    Error::new(ErrorKind::ConnectionClosed, "the connection is closed")
}

/// The encoded commands in `bytes` (each `*N` followed by N bulk strings),
/// as slices; stops at anything else.
pub(crate) fn commands_in(mut bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let whole = bytes;
        let mut at = 0;
        let line = |at: &mut usize| -> Option<i64> {
            let rest = whole.get(*at..)?;
            let nl = rest.iter().position(|&b| b == b'\n')?;
            let n = std::str::from_utf8(rest.get(1..nl.checked_sub(1)?)?)
                .ok()?
                .parse()
                .ok()?;
            *at += nl + 1;
            Some(n)
        };
        if whole.first() != Some(&b'*') {
            return None;
        }
        let argc = line(&mut at)?;
        for _ in 0..argc {
            let len = usize::try_from(line(&mut at)?).ok()?;
            at += len + 2;
        }
        let (command, rest) = whole.split_at(at.min(whole.len()));
        bytes = rest;
        Some(command)
    })
}

/// Refuses, without sending it, a command newer than the connected server,
/// or one (or an argument of one) that the server does not have.
pub(crate) fn check_version<C: Command + ?Sized>(cmd: &C, info: &ServerInfo) -> Result<()> {
    cmd.check()?;
    check_required(cmd.requires(), cmd.name(), info)
}

/// [`check_version`] from the parts of a command.
pub(crate) fn check_required(required: Requires, name: &str, info: &ServerInfo) -> Result<()> {
    if info.server.is_empty() {
        // Neither HELLO nor INFO said which server this is.
        return Ok(());
    }
    let (x, y, z) = info.version;
    match required.of(&info.server) {
        Need::Never => Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "{} {x}.{y}.{z} does not have this command, or one of the arguments given",
                info.server
            ),
        )
        .for_command(name)),
        Need::Since(need) if info.version != (0, 0, 0) && need > info.version => {
            let (a, b, c) = need;
            Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "needs {} {a}.{b}.{c} or newer; the server is {x}.{y}.{z}",
                    info.server
                ),
            )
            .for_command(name))
        }
        _ => Ok(()),
    }
}

/// The command's name, read back from its encoding (for error messages; the
/// happy path never calls this).
pub(crate) fn name_of(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut rest = bytes;
    for _ in 0..2 {
        // Skip to the next bulk string header.
        let Some(start) = rest.iter().position(|&b| b == b'$') else {
            break;
        };
        rest = &rest[start + 1..];
        let Some(cr) = rest.iter().position(|&b| b == b'\r') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&rest[..cr])
            .ok()
            .and_then(|l| l.parse::<usize>().ok())
        else {
            break;
        };
        let Some(word) = rest.get(cr + 2..cr + 2 + len) else {
            break;
        };
        let word = String::from_utf8_lossy(word).to_ascii_uppercase();
        if !out.is_empty() {
            // A second word is part of the name only for container commands.
            if !word.chars().all(|c| c.is_ascii_alphabetic() || c == '-') || !is_container(&out) {
                break;
            }
            out.push(' ');
        }
        out.push_str(&word);
        rest = &rest[cr + 2 + len..];
    }
    out
}

fn is_container(name: &str) -> bool {
    matches!(
        name,
        "ACL"
            | "CLIENT"
            | "CLUSTER"
            | "COMMAND"
            | "CONFIG"
            | "FUNCTION"
            | "LATENCY"
            | "MEMORY"
            | "MODULE"
            | "OBJECT"
            | "PUBSUB"
            | "SCRIPT"
            | "SLOWLOG"
            | "XGROUP"
            | "XINFO"
    )
}

/// True for the arrays a RESP2 subscriber receives out of band.
pub(crate) fn is_pubsub_array(frame: &Frame) -> bool {
    let Frame::Array(items) = frame else {
        return false;
    };
    matches!(
        items.first().and_then(Frame::as_bytes),
        Some(
            b"message"
                | b"pmessage"
                | b"smessage"
                | b"subscribe"
                | b"psubscribe"
                | b"ssubscribe"
                | b"unsubscribe"
                | b"punsubscribe"
                | b"sunsubscribe"
        )
    )
}

/// The future of one request's reply.
#[must_use = "a response future does nothing unless awaited"]
pub struct ResponseFuture {
    state: State,
}

enum State {
    Ready(Option<Result<Frame>>),
    /// Errors sent by the driver already name the command.
    Waiting {
        rx: reply::Receiver,
    },
    Boxed(Pin<Box<dyn Future<Output = Result<Frame>> + Send>>),
    /// A first attempt whose failure may be retried (see
    /// [`crate::retry`]): on an error the policy allows to resend, the
    /// future goes on with `again`, which sends the request anew.
    Retrying {
        rx: reply::Receiver,
        again: Retry,
    },
}

/// What a first attempt needs to be sent again, held in the future itself
/// (nothing is allocated for it unless the attempt fails).
pub(crate) struct Retry {
    /// What sends it again (the client's shared state).
    pub(crate) via: std::sync::Arc<dyn Resend>,
    /// The handle's policy.
    pub(crate) policy: crate::retry::RetryPolicy,
    /// The encoded command.
    pub(crate) payload: Payload,
    /// Whether running it twice does no harm (decided from the payload
    /// only when an attempt failed).
    pub(crate) repeat: crate::retry::Repeat,
    /// What the command needs of the server.
    pub(crate) required: crate::commands::Requires,
    /// When the first attempt began.
    pub(crate) started: std::time::Instant,
}

/// What resends a request after its first attempt failed.
pub(crate) trait Resend: Send + Sync {
    /// The future of the retries after `first` failed, or the error when
    /// it must not be resent.
    fn resend(
        self: std::sync::Arc<Self>,
        again: Retry,
        first: Error,
    ) -> std::result::Result<Pin<Box<dyn Future<Output = Result<Frame>> + Send>>, Error>;
}

impl Retry {
    fn resend(
        self,
        first: Error,
    ) -> std::result::Result<Pin<Box<dyn Future<Output = Result<Frame>> + Send>>, Error> {
        let via = self.via.clone();
        via.resend(self, first)
    }
}

impl ResponseFuture {
    pub(crate) fn ready(r: Result<Frame>) -> Self {
        ResponseFuture {
            state: State::Ready(Some(r)),
        }
    }

    pub(crate) fn boxed(f: impl Future<Output = Result<Frame>> + Send + 'static) -> Self {
        ResponseFuture {
            state: State::Boxed(Box::pin(f)),
        }
    }

    /// `first`, resent by `again` if it fails with an error that allows it.
    pub(crate) fn retrying(first: ResponseFuture, again: Retry) -> Self {
        match first.state {
            State::Waiting { rx } => ResponseFuture {
                state: State::Retrying { rx, again },
            },
            State::Ready(Some(Err(e))) => match again.resend(e) {
                Ok(f) => ResponseFuture {
                    state: State::Boxed(f),
                },
                Err(e) => ResponseFuture::ready(Err(e)),
            },
            state => ResponseFuture { state },
        }
    }
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseFuture")
    }
}

impl Future for ResponseFuture {
    type Output = Result<Frame>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            State::Ready(r) => Poll::Ready(r.take().unwrap_or_else(|| {
                Err(Error::new(
                    ErrorKind::ConnectionClosed,
                    "response already taken",
                ))
            })),
            State::Waiting { rx } => Poll::Ready(match ready!(Pin::new(rx).poll(cx)) {
                Ok(r) => r,
                Err(_) => Err(closed_error()),
            }),
            State::Boxed(f) => f.as_mut().poll(cx),
            State::Retrying { rx, .. } => {
                let r = match ready!(Pin::new(rx).poll(cx)) {
                    Ok(r) => r,
                    Err(_) => Err(closed_error()),
                };
                let e = match r {
                    Ok(frame) => return Poll::Ready(Ok(frame)),
                    Err(e) => e,
                };
                let State::Retrying { again, .. } =
                    std::mem::replace(&mut self.state, State::Ready(None))
                else {
                    return Poll::Ready(Err(e));
                };
                match again.resend(e) {
                    Ok(f) => {
                        self.state = State::Boxed(f);
                        self.poll(cx)
                    }
                    Err(e) => Poll::Ready(Err(e)),
                }
            }
        }
    }
}

/// The task that owns the socket (see the module docs).
struct Driver {
    io: Stream,
    state: Arc<ConnState>,
    rx: mpsc::UnboundedReceiver<Request>,
    rx_open: bool,
    /// Bytes to write after `queued`.
    out: BytesMut,
    /// Pieces to write before `out`, in order (large values, and what was
    /// in `out` before each).
    queued: VecDeque<Bytes>,
    queued_len: usize,
    needs_flush: bool,
    incoming: Incoming,
    waiters: VecDeque<Waiter>,
    /// Where push frames go.
    pushes: PushSink,
    /// Fires at the earliest response deadline, or at the end of a drain.
    timer: Pin<Box<Sleep>>,
    timer_at: Option<Instant>,
    /// Markers written and not yet echoed, oldest first (see [`Checkpoint`]).
    checkpoints: VecDeque<Checkpoint>,
    /// Replies that arrived before the marker that proves them.
    buffered: VecDeque<Frame>,
    /// Replies due for requests written since the last marker.
    unchecked: usize,
    /// Whether every write of new requests ends with a marker
    /// ([`ConnectionConfig::verify_replies`]).
    verify: bool,
    /// The random part of this connection's markers, and a counter.
    marker_seed: u64,
    marker_count: u64,
    /// After a reply timed out: the connection is retired and drains; it
    /// fails when the markers do not come back by then.
    grace_until: Option<Instant>,
    /// Requests that arrived during a drain, sent once it proved the
    /// replies line up (or failed unsent when it did not).
    held: VecDeque<Request>,
    /// A write failed: the error, and until when to read replies the server
    /// sent before closing.
    write_failed: Option<(Error, Instant)>,
    /// What went wrong on a handle's own write ([`Driver::write_direct`]),
    /// for the driver's next turn.
    direct_error: Option<Error>,
    /// Callers to wake once the driver's poll ends and its lock is free
    /// (see [`Driver::deliver`]).
    wakes: Vec<std::task::Waker>,
    /// RESP2 subscriber: pub/sub arrays are pushes.
    resp2_pubsub: bool,
    /// A subscriber connection: an error answering a subscription command
    /// (sent with no waiter) goes to the push channel, where the
    /// subscriber waits for its confirmations, instead of closing the
    /// connection as a reply nobody asked for.
    subscriber: bool,
    /// Whether to put off the first write after a quiet spell (see
    /// [`ConnectionConfig::batch_writes`]).
    batch_writes: bool,
    /// The write of newly taken requests was put off in the last turn: the
    /// driver ends its poll and asks to run again after the other ready
    /// tasks.
    batch_deferred: bool,
    /// Requests answered since requests were last written.
    answered: usize,
    /// After this long without reading or writing, send a `PING`
    /// ([`ConnectionConfig::health_check_interval`]); and how long its
    /// reply may take before the connection is taken for dead.
    health_interval: Option<Duration>,
    health_timeout: Option<Duration>,
    /// When bytes last went out or came in.
    last_io: Instant,
    /// The credentials provider this connection follows, if any.
    session: Option<Session>,
    /// Resolves when the provider's credentials change.
    auth_wake: Option<Pin<Box<dyn Future<Output = bool> + Send>>>,
    /// The credentials changed: send `AUTH` when the connection can.
    reauth_pending: bool,
    /// Where events and counts go.
    observer: Observer,
    /// Counts gathered since the last wake-up, added to the observer's
    /// when the driver's poll ends.
    tally: Tally,
    /// The start of the driver's clock ([`Driver::micros`]), and when
    /// bytes last came in on it.
    epoch: Instant,
    read_at: u64,
}

/// A marker (`PING` with a token unique to the connection and the moment)
/// written behind `count` replies' worth of requests. Replies are held until
/// the marker's echo proves them: when it arrives right after `count`
/// replies, each of them is its own request's; when it arrives early (a
/// reply went missing), late (a reply too many), or not at all within the
/// grace time, no reply is delivered, every waiter gets an error, and the
/// connection closes. So no reply ever reaches the wrong caller.
///
/// Markers are written after a reply timed out (nobody can tell a late
/// reply from a lost one, after which every later reply would be matched
/// to the request before its own), and, with
/// [`ConnectionConfig::verify_replies`], behind every write of new
/// requests, which also catches a reply lost with no timeout involved.
struct Checkpoint {
    token: [u8; TOKEN_LEN],
    count: usize,
}

/// `respec:` then the connection's seed and the marker's number, 16 hex
/// digits each, joined by `:`.
const TOKEN_LEN: usize = 40;

/// A marker token, built without allocating.
fn marker_token(seed: u64, count: u64) -> [u8; TOKEN_LEN] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [0u8; TOKEN_LEN];
    t[..7].copy_from_slice(b"respec:");
    for i in 0..16 {
        t[7 + i] = HEX[((seed >> (60 - 4 * i)) & 0xf) as usize];
        t[24 + i] = HEX[((count >> (60 - 4 * i)) & 0xf) as usize];
    }
    t[23] = b':';
    t
}

/// How long a drain waits for the markers at least.
const MIN_GRACE: Duration = Duration::from_secs(1);

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish()
}

/// An error reply refusing the marker's `PING` (`-NOPERM ... 'ping' ...`).
fn is_ping_refused(frame: &Frame) -> bool {
    frame.error_message().is_some_and(|m| {
        m.starts_with(b"NOPERM") && m.windows(6).any(|w| w.eq_ignore_ascii_case(b"'ping'"))
    })
}

fn misaligned() -> Error {
    Error::new(
        ErrorKind::ConnectionClosed,
        "the connection was closed: after a reply timed out, the replies could \
         no longer be matched to their requests",
    )
}

impl Driver {
    fn done_one(&self) {
        if self.state.tracked {
            self.state.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Takes queued requests into the output buffer. True if any came.
    fn take_requests(&mut self, cx: &mut Context<'_>) -> bool {
        let mut took = false;
        // One clock read for every request taken now.
        let mut now: Option<(Instant, u64)> = None;
        while self.rx_open && self.out.len() + self.queued_len < WRITE_HIGH_WATER {
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(req)) => {
                    took = true;
                    if self.grace_until.is_some() {
                        self.held.push_back(req);
                    } else {
                        let now = *now.get_or_insert_with(|| self.clock());
                        self.start_request(req, now);
                    }
                }
                Poll::Ready(None) => self.rx_open = false,
                Poll::Pending => break,
            }
        }
        took
    }

    /// The time now, and in microseconds of the driver's clock.
    fn clock(&self) -> (Instant, u64) {
        let now = Instant::now();
        (now, self.micros(now))
    }

    /// `at` in microseconds since the driver started: differences of
    /// these are the latencies, one subtraction each.
    fn micros(&self, at: Instant) -> u64 {
        let d = at.saturating_duration_since(self.epoch);
        d.as_secs() * 1_000_000 + u64::from(d.subsec_micros())
    }

    /// `now`: the time, and in the driver's microseconds ([`Self::clock`]).
    fn start_request(&mut self, req: Request, (now, now_us): (Instant, u64)) {
        if req.tx.is_closed() {
            // The caller gave up before it was sent.
            if req.replies > 0 {
                self.done_one();
            }
            return;
        }
        match &req.bytes {
            Payload::Parts { buf, parts } => {
                // Large values go out from where they are, between the
                // encoded pieces around them.
                let mut at = 0;
                for (off, part) in parts {
                    self.out.extend_from_slice(&buf[at..*off]);
                    let before = self.out.split().freeze();
                    self.queue(before);
                    self.queue(part.clone());
                    at = *off;
                }
                self.out.extend_from_slice(&buf[at..]);
            }
            // A large request (a pipeline) is written from where it is.
            Payload::Shared(bytes) if bytes.len() >= QUEUE_FROM => {
                if !self.out.is_empty() {
                    let before = self.out.split().freeze();
                    self.queue(before);
                }
                self.queue(bytes.clone());
            }
            bytes => self.out.extend_from_slice(bytes),
        }
        if req.replies == 0 {
            // Answered out of band (SUBSCRIBE and friends).
            let _ = req.tx.send(Ok(Frame::Null));
            return;
        }
        if self.verify {
            self.unchecked += req.replies as usize;
        }
        self.tally.commands += u64::from(req.replies);
        let request = match req.bytes {
            // Only the start names the command: don't keep a large value
            // alive until its reply comes.
            Payload::Shared(b) | Payload::Parts { buf: b, .. } if b.len() > NAME_PREFIX => {
                Payload::Shared(Bytes::copy_from_slice(&b[..NAME_PREFIX]))
            }
            Payload::Parts { buf, .. } => Payload::Shared(buf),
            p => p,
        };
        self.waiters.push_back(Waiter {
            tx: Some(req.tx),
            request,
            deadline: req.limit.map(|t| now + t),
            limit: req.limit,
            sent: now_us,
            due: req.replies,
            collected: Vec::new(),
            attributes: req.attributes,
            internal: None,
        });
    }

    fn queue(&mut self, piece: Bytes) {
        if !piece.is_empty() {
            self.queued_len += piece.len();
            self.queued.push_back(piece);
        }
    }

    /// True when nothing waits to be written.
    fn all_written(&self) -> bool {
        self.out.is_empty() && self.queued.is_empty()
    }

    /// Writes what the socket accepts. True on progress.
    ///
    /// The queued pieces and the output buffer go out together, in one
    /// vectored write when there are several.
    fn write(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        /// The most pieces handed to one vectored write.
        const SLICES: usize = 16;
        let mut wrote = false;
        while !self.all_written() {
            let written = if self.queued.is_empty() {
                Pin::new(&mut self.io).poll_write(cx, &self.out)
            } else {
                let mut slices = [io::IoSlice::new(&[]); SLICES];
                let mut k = 0;
                for piece in self.queued.iter().take(SLICES - 1) {
                    slices[k] = io::IoSlice::new(piece);
                    k += 1;
                }
                if k == self.queued.len() && !self.out.is_empty() {
                    slices[k] = io::IoSlice::new(&self.out);
                    k += 1;
                }
                Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..k])
            };
            match written {
                Poll::Ready(Ok(0)) => {
                    return Err(io::Error::from(io::ErrorKind::WriteZero).into());
                }
                Poll::Ready(Ok(n)) => {
                    self.tally.bytes_out += n as u64;
                    self.consume_written(n);
                    wrote = true;
                    self.needs_flush = true;
                }
                Poll::Ready(Err(e)) => return Err(e.into()),
                Poll::Pending => break,
            }
        }
        self.flush(cx)?;
        if self.out.capacity() > 4 * WRITE_HIGH_WATER && self.out.is_empty() {
            self.out = BytesMut::with_capacity(16 * 1024);
        }
        Ok(wrote)
    }

    /// Drops the first `n` bytes of what waits to be written: the queued
    /// pieces first, then the output buffer.
    fn consume_written(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.queued.front_mut() else {
                self.out.advance(n);
                return;
            };
            let k = n.min(front.len());
            front.advance(k);
            self.queued_len -= k;
            n -= k;
            if front.is_empty() {
                self.queued.pop_front();
            }
        }
    }

    fn flush(&mut self, cx: &mut Context<'_>) -> Result<()> {
        if self.needs_flush {
            if let Poll::Ready(r) = Pin::new(&mut self.io).poll_flush(cx) {
                r?;
                self.needs_flush = false;
            }
        }
        Ok(())
    }

    /// Reads and dispatches what arrived. True on progress.
    fn read(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        let mut got = false;
        loop {
            self.incoming.reserve();
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.incoming.buf)
            {
                Poll::Ready(Ok(0)) => {
                    return Err(Error::new(
                        ErrorKind::ConnectionClosed,
                        "the server closed the connection",
                    ))
                }
                Poll::Ready(Ok(n)) => {
                    got = true;
                    self.tally.bytes_in += n as u64;
                    self.last_io = Instant::now();
                    self.read_at = self.micros(self.last_io);
                    while let Some(routed) = self.incoming.next_frame()? {
                        self.dispatch(routed)?;
                    }
                }
                Poll::Ready(Err(e)) => return Err(e.into()),
                Poll::Pending => return Ok(got),
            }
        }
    }

    fn dispatch(&mut self, routed: Routed) -> Result<()> {
        let frame = match routed {
            // Out of band: never counted as a reply.
            Routed::Push(frame) => {
                self.pushes.send(frame);
                return Ok(());
            }
            Routed::Reply(frame) if self.resp2_pubsub && is_pubsub_array(&frame) => {
                let Frame::Array(items) = frame else {
                    return Ok(());
                };
                self.pushes.send(Frame::Push(items));
                return Ok(());
            }
            Routed::Reply(frame)
                if self.subscriber
                    && self.waiters.is_empty()
                    && frame.error_message().is_some() =>
            {
                self.pushes.send(frame);
                return Ok(());
            }
            Routed::Reply(frame) => frame,
        };
        let Some(cp) = self.checkpoints.front() else {
            return self.deliver(frame);
        };
        let is_marker = matches!(&frame, Frame::BulkString(b) if b[..] == cp.token[..]);
        if self.buffered.len() < cp.count && !is_marker {
            self.buffered.push_back(frame);
            return Ok(());
        }
        if !is_marker && self.buffered.len() == cp.count && is_ping_refused(&frame) {
            // The user may not run PING (an ACL rule): the marker cannot
            // prove anything, so this connection stops writing markers.
            self.verify = false;
        } else if !is_marker || self.buffered.len() != cp.count {
            // The marker came early (a reply went missing) or something
            // else came in its place.
            return Err(misaligned());
        }
        // Proven: every buffered reply is its request's own.
        self.checkpoints.pop_front();
        while let Some(frame) = self.buffered.pop_front() {
            self.deliver(frame)?;
        }
        if self.checkpoints.is_empty() && self.grace_until.is_some() {
            // The drain is over: send what waited for it.
            self.grace_until = None;
            let held = std::mem::take(&mut self.held);
            let now = self.clock();
            for req in held {
                self.start_request(req, now);
            }
            if self.verify {
                self.mark();
            }
        }
        Ok(())
    }

    /// Writes a marker behind the requests written since the last one.
    fn mark(&mut self) {
        if self.unchecked == 0 {
            return;
        }
        self.marker_count += 1;
        let token = marker_token(self.marker_seed, self.marker_count);
        // `PING <token>`, written as it goes on the wire.
        self.out.extend_from_slice(b"*2\r\n$4\r\nPING\r\n$40\r\n");
        self.out.extend_from_slice(&token);
        self.out.extend_from_slice(b"\r\n");
        self.checkpoints.push_back(Checkpoint {
            token,
            count: std::mem::take(&mut self.unchecked),
        });
    }

    /// Hands a reply to the oldest waiter.
    fn deliver(&mut self, frame: Frame) -> Result<()> {
        let Some(waiter) = self.waiters.front_mut() else {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "the server sent a reply ({}) nobody asked for",
                    frame.kind()
                ),
            ));
        };
        waiter.due -= 1;
        let reply = if waiter.due > 0 || !waiter.collected.is_empty() {
            if waiter.collected.capacity() == 0 {
                // The first of several replies: room for all of them.
                waiter.collected.reserve_exact(waiter.due as usize + 1);
            }
            waiter
                .collected
                .push(with_attributes_if(frame, waiter.attributes));
            if waiter.due > 0 {
                return Ok(());
            }
            Ok(Frame::Array(std::mem::take(&mut waiter.collected)))
        } else if matches!(
            frame,
            Frame::Error(_) | Frame::BulkError(_) | Frame::Attribute { .. }
        ) {
            // One test of the frame's type on the common path.
            let reply = error_or_annotated_reply(frame, waiter);
            if let (Err(e), Some(follow)) = (&reply, &self.state.follow) {
                // A master that turned replica under us (Sentinel).
                follow.on_error(e);
            }
            reply
        } else {
            Ok(frame)
        };
        let Some(done) = self.waiters.pop_front() else {
            return Ok(());
        };
        if let Some(internal) = done.internal {
            self.internal_reply(internal, reply);
            return Ok(());
        }
        let tx = done.tx;
        // `read_at`: when the bytes that completed the reply were read.
        self.tally.latency(
            self.read_at.saturating_sub(done.sent),
            self.observer.counters(),
        );
        if let Err(e) = &reply {
            self.observer.error(e);
        }
        // Counted out before the caller wakes, so that a pooled connection
        // dropped right after its reply counts as idle.
        self.done_one();
        if let Some(tx) = tx {
            if self.waiters.is_empty() {
                // The last reply due: its caller is likely to send the
                // next request at once, and finds the driver free to
                // write it itself if woken after the driver's poll
                // ([`DriverCell`]).
                let _ = tx.send_deferred(reply, &mut self.wakes);
            } else {
                let _ = tx.send(reply);
            }
        }
        self.answered += 1;
        Ok(())
    }

    /// Fails waiters whose deadline passed (starting a drain), ends a drain
    /// whose grace ran out, and arms the timer for the next of these.
    fn expire(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        let now = Instant::now();
        let mut next = None;
        let mut expired = None;
        for w in self.waiters.iter_mut() {
            match w.deadline {
                Some(d) if d <= now && matches!(w.internal, Some(Internal::HealthCheck)) => {
                    let t = w.limit.unwrap_or_default();
                    return Err(Error::new(
                        ErrorKind::ConnectionClosed,
                        format!(
                            "the server did not answer the health check (PING) within {t:?}; \
                             the connection is taken for dead"
                        ),
                    ));
                }
                Some(d) if d <= now => {
                    // Retired before the caller hears of the timeout, so
                    // its next request already goes elsewhere.
                    self.state.retired.store(true, Ordering::Relaxed);
                    if let Some(tx) = w.tx.take() {
                        self.observer.counters().error(ErrorClass::Timeout);
                        let _ = tx.send(Err(timeout_error(w.limit.unwrap_or_default())
                            .for_command(name_of(&w.request))));
                    }
                    w.deadline = None;
                    expired = Some(expired.map_or(d, |e: Instant| e.max(d)));
                }
                Some(d) => {
                    // Deadlines mostly grow along the queue: stop at the
                    // first one still ahead (a shorter one behind it is
                    // noticed when this one passes).
                    next = Some(d);
                    break;
                }
                None => {}
            }
        }
        if expired.is_some() && self.grace_until.is_none() {
            self.start_drain()?;
        }
        if let Some(grace) = self.grace_until {
            if grace <= now {
                return Err(misaligned());
            }
            next = Some(next.map_or(grace, |n: Instant| n.min(grace)));
        }
        if let Some(m) = self.maintenance_at() {
            next = Some(next.map_or(m, |n: Instant| n.min(m)));
        }
        if let Some(at) = next {
            if self.wake_at(at, cx) {
                return Ok(true);
            }
        }
        Ok(expired.is_some())
    }

    /// Arms the timer for `at` (or leaves it armed for an earlier moment);
    /// true when the moment it is armed for has come.
    ///
    /// A timer armed for earlier stays as it is: when it fires, the driver
    /// looks again and arms it for what is due then. The next deadline
    /// mostly moves later with every request (the response timeout, the
    /// health check of a quiet connection), and moving the timer each
    /// time would cost more than the rare early wake-up.
    fn wake_at(&mut self, at: Instant, cx: &mut Context<'_>) -> bool {
        if self.timer_at.is_none_or(|t| t > at) {
            self.timer.as_mut().reset(at);
            self.timer_at = Some(at);
        }
        if self.timer.as_mut().poll(cx).is_ready() {
            self.timer_at = None;
            return true;
        }
        false
    }

    /// A reply timed out: retire the connection and prove that the replies
    /// still line up (see [`Checkpoint`]) before delivering any more.
    fn start_drain(&mut self) -> Result<()> {
        self.state.retired.store(true, Ordering::Relaxed);
        if self.resp2_pubsub {
            // A RESP2 subscriber answers PING with an array: no marker.
            return Err(misaligned());
        }
        // Replies not yet covered by a marker: those of requests written
        // since the last one, and with no markers at all, every one due.
        if self.checkpoints.is_empty() {
            self.unchecked = self.waiters.iter().map(|w| w.due as usize).sum();
        }
        self.mark();
        let longest = self
            .waiters
            .iter()
            .filter_map(|w| w.limit)
            .max()
            .unwrap_or(MIN_GRACE);
        self.grace_until = Some(Instant::now() + longest.max(MIN_GRACE));
        if self.checkpoints.is_empty() {
            // Nothing was due: nothing to prove.
            self.grace_until = None;
        }
        Ok(())
    }

    /// Reports `err` to every waiter and every queued request.
    fn fail(&mut self, err: Error) {
        self.state.retired.store(true, Ordering::Relaxed);
        for w in self.waiters.drain(..) {
            if let Some(tx) = w.tx {
                self.observer.error(&err);
                let _ = tx.send(Err(err.duplicate().for_command(name_of(&w.request))));
            }
        }
        self.rx.close();
        let held = std::mem::take(&mut self.held);
        for req in held
            .into_iter()
            .chain(std::iter::from_fn(|| self.rx.try_recv().ok()))
        {
            let _ = req.tx.send(Err(Error::new(
                ErrorKind::ConnectionClosed,
                format!("not sent: {err}"),
            )
            .unsent()
            .for_command(name_of(&req.bytes))));
        }
    }

    /// True when no caller still waits for any reply owed to us.
    fn nobody_waits(&self) -> bool {
        self.held.is_empty()
            && self
                .waiters
                .iter()
                .all(|w| w.tx.as_ref().is_none_or(|tx| tx.is_closed()))
    }

    /// Whether a handle may write a request itself ([`DriverCell::try_write`]):
    /// the connection is quiet, nothing waits in the channel or for a
    /// drain, and the last write's replies woke at most one task (with
    /// more, the driver's batching of their next requests goes first).
    fn takes_direct(&self) -> bool {
        self.rx_open
            && self.quiet()
            && self.held.is_empty()
            && self.direct_error.is_none()
            && !self.batch_deferred
            && self.answered <= 1
            && self.rx.is_empty()
            && !self.state.retired.load(Ordering::Relaxed)
    }

    /// Takes `req` and writes it, as a turn of the driver would, with the
    /// driver task's waker in `cx`. What fails is left for the task's next
    /// poll, which it is woken for.
    fn write_direct(&mut self, req: Request, cx: &mut Context<'_>) {
        let now = self.clock();
        self.answered = 0;
        self.start_request(req, now);
        if self.verify {
            self.mark();
        }
        let outcome = self.write(cx).and_then(|wrote| {
            if wrote {
                self.last_io = now.0;
            }
            // Arms the timer for the new deadline (true: a moment due
            // already, for the task to handle).
            self.expire(cx)
        });
        // Counted now: the reply, or its timeout, may reach the caller
        // before the driver's poll that handles it ends.
        self.tally.flush(self.observer.counters());
        match outcome {
            Ok(false) => {}
            Ok(true) => cx.waker().wake_by_ref(),
            Err(e) => {
                self.direct_error = Some(e);
                cx.waker().wake_by_ref();
            }
        }
    }

    fn turn(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        if let Some(e) = self.direct_error.take() {
            return self.after_write_error(e, cx);
        }
        if self.write_failed.is_some() {
            return self.read_before_close(cx);
        }
        let maintained = self.maintain(cx);
        let idle = self.all_written();
        let took = self.take_requests(cx);
        let wrote =
            if took && idle && self.batch_writes && !self.batch_deferred && self.answered > 1 {
                // The first request after a quiet spell, and the last replies
                // woke several tasks: the others are likely about to queue
                // theirs. Step back once so they can, and write them together.
                // (A lone task in flight gains nothing by waiting.)
                self.batch_deferred = true;
                false
            } else {
                if took {
                    self.answered = 0;
                }
                if self.verify {
                    self.mark();
                }
                self.batch_deferred = false;
                match self.write(cx) {
                    Ok(wrote) => wrote,
                    Err(e) => return self.after_write_error(e, cx),
                }
            };
        if wrote {
            self.last_io = Instant::now();
        }
        let read = self.read(cx)?;
        let expired = self.expire(cx)?;
        Ok(maintained || took || wrote || read || expired)
    }
}

impl Driver {
    /// A write failed with `e`.
    fn after_write_error(&mut self, e: Error, cx: &mut Context<'_>) -> Result<bool> {
        if !e.is_connection_dropped() {
            return Err(e);
        }
        // The server may have answered before it closed (an error reply to
        // an oversized request, say): read what it sent before failing the
        // rest.
        self.write_failed = Some((e, Instant::now() + REPLY_BEFORE_CLOSE));
        self.state.retired.store(true, Ordering::Relaxed);
        self.read_before_close(cx)
    }

    /// True when the connection is quiet: nothing to write, no reply due,
    /// no drain or failed write in progress.
    fn quiet(&self) -> bool {
        self.waiters.is_empty()
            && self.all_written()
            && self.grace_until.is_none()
            && self.write_failed.is_none()
    }

    /// The next moment the driver has something of its own to do: a health
    /// check of a quiet connection, or a refresh of expiring credentials.
    fn maintenance_at(&self) -> Option<Instant> {
        let health = match self.health_interval {
            Some(i) if self.quiet() => Some(self.last_io + i),
            _ => None,
        };
        let refresh = self
            .session
            .as_ref()
            .and_then(|s| s.refresh_at)
            .map(Instant::from_std);
        match (health, refresh) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Sends the driver's own requests when they are due: `AUTH` after
    /// the credentials changed, `PING` on a connection quiet for the
    /// health-check interval. True when it queued one.
    fn maintain(&mut self, cx: &mut Context<'_>) -> bool {
        let mut queued = false;
        if let Some(wake) = self.auth_wake.as_mut() {
            if let Poll::Ready(alive) = wake.as_mut().poll(cx) {
                // Re-armed for the next change (unless the provider is gone).
                self.auth_wake = match alive {
                    true => self.session.as_ref().and_then(Session::changed),
                    false => None,
                };
                if let Some(s) = self.session.as_mut() {
                    self.reauth_pending |= s.due(std::time::Instant::now());
                }
            }
        }
        if let Some(s) = self.session.as_mut() {
            if s.refresh_at.is_some_and(|t| t <= std::time::Instant::now()) {
                self.reauth_pending |= s.due(std::time::Instant::now());
            }
        }
        if self.reauth_pending && self.resp2_pubsub {
            // A RESP2 subscriber may send nothing but (un)subscriptions and
            // `PING`: it keeps the credentials it connected with.
            self.reauth_pending = false;
        }
        if self.reauth_pending && self.grace_until.is_none() && self.write_failed.is_none() {
            self.reauth_pending = false;
            queued |= self.send_auth();
        }
        if let (Some(interval), Some(timeout)) = (self.health_interval, self.health_timeout) {
            if self.quiet() && Instant::now() >= self.last_io + interval {
                let mut ping = crate::cmd::Cmd::new("PING");
                ping.arg("respec:health");
                self.send_internal(&ping, Internal::HealthCheck, Some(timeout));
                queued = true;
            }
        }
        queued
    }

    /// Writes `AUTH` with the provider's current credentials. When the
    /// provider fails, the connection is retired (the next connect reports
    /// the provider's error).
    fn send_auth(&mut self) -> bool {
        let Some(session) = self.session.as_mut() else {
            return false;
        };
        match session.fetch() {
            Ok(c) => {
                let auth = crate::auth::auth_command(&c);
                let limit = self.health_timeout.or(Some(Duration::from_secs(30)));
                self.send_internal(&auth, Internal::Auth, limit);
                true
            }
            Err(_) => {
                self.state.retired.store(true, Ordering::Relaxed);
                false
            }
        }
    }

    /// Queues a request of the driver's own, in order with the others.
    fn send_internal(
        &mut self,
        cmd: &crate::cmd::Cmd,
        internal: Internal,
        limit: Option<Duration>,
    ) {
        cmd.encode(&mut self.out);
        if self.verify {
            self.unchecked += 1;
        }
        self.waiters.push_back(Waiter {
            tx: None,
            request: Payload::encode(&crate::cmd::Cmd::new(cmd.name())),
            deadline: limit.map(|t| Instant::now() + t),
            limit,
            sent: self.read_at,
            due: 1,
            collected: Vec::new(),
            attributes: false,
            internal: Some(internal),
        });
    }

    /// The reply to a request of the driver's own.
    fn internal_reply(&mut self, internal: Internal, reply: Result<Frame>) {
        match (internal, reply) {
            // Any answer, even an error (an ACL without PING), proves the
            // peer alive.
            (Internal::HealthCheck, _) | (Internal::Auth, Ok(_)) => {}
            (Internal::Auth, Err(_)) => {
                // The server refused the new credentials: this connection
                // takes no new requests; the next one's handshake reports
                // the refusal, naming the user.
                self.state.retired.store(true, Ordering::Relaxed);
            }
        }
    }
}

impl Driver {
    /// After a failed write: reads, for a short while, the replies the
    /// server sent before it closed (see
    /// [`deliver_unproven`](Self::deliver_unproven)), then fails the rest
    /// with the write's error.
    fn read_before_close(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        let at = self.write_failed.as_ref().map(|(_, at)| *at);
        let read = self.read(cx);
        self.deliver_unproven();
        let waited_out = at.is_none_or(|at| Instant::now() >= at);
        if read.is_err() || waited_out || self.waiters.is_empty() {
            let (e, _) = self
                .write_failed
                .take()
                .unwrap_or_else(|| (closed_error(), Instant::now()));
            return Err(e);
        }
        if let Some(at) = at {
            if self.wake_at(at, cx) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl Driver {
    /// When the server closed the connection right after refusing a
    /// request (`-ERR Protocol error: ...`, an argument over its limits),
    /// the markers that would prove the replies before the close cannot
    /// come: those replies go out in order, the refusal to its request.
    /// Any other replies waiting for a marker are dropped (their callers
    /// get the connection's error).
    fn deliver_unproven(&mut self) {
        self.checkpoints.clear();
        let refused = self.buffered.back().is_some_and(|f| {
            f.error_message()
                .is_some_and(|m| m.windows(14).any(|w| w == b"Protocol error"))
        });
        if !refused {
            self.buffered.clear();
            return;
        }
        while let Some(frame) = self.buffered.pop_front() {
            if self.deliver(frame).is_err() {
                break;
            }
        }
    }
}

/// How long a failed write waits for replies the server sent before it
/// closed.
const REPLY_BEFORE_CLOSE: Duration = Duration::from_millis(200);

/// An error reply, or a reply the server sent RESP3 attributes before: an
/// error reply (with attributes or not) is an `Err` naming the command;
/// otherwise the attributes stay only when the waiter asked for them.
#[cold]
fn error_or_annotated_reply(frame: Frame, waiter: &Waiter) -> Result<Frame> {
    let reply = match &frame {
        Frame::Attribute { data, .. } => data,
        other => other,
    };
    if let Some(m) = reply.error_message() {
        return Err(Error::from_server_reply(m).for_command(name_of(&waiter.request)));
    }
    Ok(with_attributes_if(frame, waiter.attributes))
}

/// The frame, without its attributes unless `keep`.
#[inline]
fn with_attributes_if(frame: Frame, keep: bool) -> Frame {
    if keep {
        frame
    } else {
        without_attributes(frame)
    }
}

/// Which push channel a new connection gets.
enum PushTarget<'a> {
    /// None: push frames are dropped.
    Discard,
    /// An unbounded channel whose receiver the caller gets.
    Receiver,
    /// A client's bounded channel.
    Channel(&'a PushPublisher),
}

/// Where a driver sends push frames.
enum PushSink {
    Discard,
    Receiver(mpsc::UnboundedSender<Frame>),
    /// A client's channel; dropping it (when the driver ends) publishes
    /// that the connection ended.
    Channel(ConnectionPushes),
}

impl PushSink {
    #[cold]
    fn send(&self, frame: Frame) {
        match self {
            PushSink::Discard => {}
            PushSink::Receiver(tx) => {
                let _ = tx.send(frame);
            }
            PushSink::Channel(pushes) => pushes.push(frame),
        }
    }
}

impl Driver {
    /// Reports the end of the connection ([`Event::Disconnected`]).
    fn closed(&self, error: Option<ErrorClass>) {
        self.observer.emit(Event::Disconnected {
            addr: self.state.addr.clone(),
            connection: self.state.id,
            error,
        });
    }
}

fn timeout_error(t: Duration) -> Error {
    Error::new(ErrorKind::Timeout, format!("no reply within {t:?}"))
}

impl Driver {
    /// Runs turns until the connection has nothing more to do for now
    /// ([`Future::poll`] of the driver, without the counting).
    fn poll_turns(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let this = self;
        for _ in 0..TURNS_PER_POLL {
            match this.turn(cx) {
                Err(e) => {
                    if e.is_connection_dropped() {
                        // The server answered, then closed: what it sent
                        // before closing goes out in order (its markers
                        // cannot come any more).
                        this.deliver_unproven();
                    }
                    let error = ErrorClass::of(&e);
                    this.fail(e);
                    this.closed(Some(error));
                    return Poll::Ready(());
                }
                Ok(progress) => {
                    if !this.rx_open && this.all_written() && this.nobody_waits() {
                        // Every handle is gone and no one waits for a reply: close.
                        let _ = Pin::new(&mut this.io).poll_shutdown(cx);
                        this.closed(None);
                        return Poll::Ready(());
                    }
                    if this.batch_deferred {
                        // Back of the scheduler's queue: runs again after
                        // the tasks that are ready now.
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    if !progress {
                        return Poll::Pending;
                    }
                }
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipeline and the marker behind it are two pieces: one vectored
    /// write takes both (the default of `AsyncWrite` would write the first
    /// piece alone).
    #[tokio::test]
    async fn a_stream_writes_every_piece_of_a_vectored_write() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tcp, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let mut stream = Stream::Tcp(tcp.unwrap());
        assert!(stream.is_write_vectored());
        let pieces = [io::IoSlice::new(b"pipeline "), io::IoSlice::new(b"marker")];
        let n = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_write_vectored(cx, &pieces))
            .await
            .unwrap();
        assert_eq!(n, 15);
        let mut got = [0u8; 15];
        accepted.unwrap().0.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"pipeline marker");
    }

    #[test]
    fn marker_tokens() {
        let t = marker_token(0x0123_4567_89ab_cdef, 42);
        assert_eq!(&t[..], b"respec:0123456789abcdef:000000000000002a");
        assert_eq!(TOKEN_LEN, "respec:0123456789abcdef:000000000000002a".len());
    }

    #[test]
    fn names_from_encoding() {
        let mut c = crate::cmd::Cmd::new("client");
        c.arg("kill").arg("ID").arg(4);
        assert_eq!(name_of(&c.to_bytes()), "CLIENT KILL");
        let mut c = crate::cmd::Cmd::new("get");
        c.arg("key");
        assert_eq!(name_of(&c.to_bytes()), "GET");
    }
}
