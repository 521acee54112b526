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
//!    oldest waiter; RESP3 push frames go to the push channel;
//! 4. fails waiters whose response deadline passed. Their slot stays in the
//!    queue so that the late reply, when it comes, is matched and dropped and
//!    every later reply still reaches the right waiter.
//!
//! Reading and writing proceed together, so a large pipeline never deadlocks
//! against a server that is itself waiting for us to read. When the socket
//! fails or the peer sends malformed data, every waiter (and every request
//! still queued) gets the error and the driver ends; the handle then reports
//! [`Connection::is_closed`].

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Sleep};

use super::config::{Addr, ConnectionConfig};
use super::handshake::{Handshake, Progress, ServerInfo};
use super::incoming::{Incoming, Routed};
use crate::cmd::Command;
use crate::error::{Error, ErrorKind, Result};
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
            match &cfg.tls {
                None => Ok(Stream::Tcp(tcp)),
                #[cfg(feature = "tls")]
                Some(tls) => {
                    let connector =
                        tokio_rustls::TlsConnector::from(super::tls::client_config(tls)?);
                    let name = super::tls::server_name(tls, host)?;
                    let stream = connector.connect(name, tcp).await.map_err(|e| {
                        Error::with_source(
                            ErrorKind::Tls,
                            format!("TLS handshake with {} failed: {e}", cfg.addr),
                            e,
                        )
                    })?;
                    Ok(Stream::Tls(Box::new(stream)))
                }
                #[cfg(not(feature = "tls"))]
                Some(_) => Err(Error::new(
                    ErrorKind::InvalidConfig,
                    "rediss:// needs respec's `tls` feature",
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

/// Runs the handshake on a fresh stream.
async fn handshake(stream: &mut Stream, cfg: &ConnectionConfig) -> Result<(ServerInfo, Incoming)> {
    use tokio::io::AsyncReadExt;
    let mut hs = Handshake::new(cfg);
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
                    Routed::Reply(f) => break f,
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
pub(crate) enum Payload {
    Inline { len: u8, buf: [u8; INLINE] },
    Shared(Bytes),
}

const INLINE: usize = 80;

impl std::ops::Deref for Payload {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Payload::Inline { len, buf } => &buf[..*len as usize],
            Payload::Shared(b) => b,
        }
    }
}

thread_local! {
    /// Where commands are encoded before they are sent.
    static SCRATCH: std::cell::RefCell<BytesMut> = std::cell::RefCell::new(BytesMut::with_capacity(256));
}

impl Payload {
    fn encode<C: Command + ?Sized>(cmd: &C) -> Payload {
        SCRATCH.with(|scratch| {
            let Ok(mut out) = scratch.try_borrow_mut() else {
                // Re-entered (an encoder that sends?): use a buffer of its own.
                let mut out = BytesMut::new();
                cmd.encode(&mut out);
                return Payload::Shared(out.freeze());
            };
            out.clear();
            cmd.encode(&mut out);
            if out.len() <= INLINE {
                let mut buf = [0u8; INLINE];
                buf[..out.len()].copy_from_slice(&out);
                Payload::Inline {
                    len: out.len() as u8,
                    buf,
                }
            } else {
                let bytes = Bytes::copy_from_slice(&out);
                if out.capacity() > 64 * 1024 {
                    // Don't keep a huge scratch buffer after one big command.
                    *out = BytesMut::with_capacity(256);
                }
                Payload::Shared(bytes)
            }
        })
    }
}

/// One request to the driver: encoded commands and who waits for the replies.
pub(crate) struct Request {
    bytes: Payload,
    /// How many replies the bytes produce (more than one for a pipeline).
    replies: usize,
    /// Whether the response timeout applies (not for blocking commands).
    timed: bool,
    tx: oneshot::Sender<Result<Frame>>,
}

struct Waiter {
    tx: Option<oneshot::Sender<Result<Frame>>>,
    /// The encoded request (moved here, not copied), to name the command in
    /// an error.
    request: Payload,
    deadline: Option<Instant>,
    /// Replies still due, and those collected so far for a pipeline.
    due: usize,
    collected: Vec<Frame>,
}

/// A shared, multiplexed connection to one server.
///
/// Cloning is cheap; all clones share one socket and one driver task. Must
/// be created inside a tokio runtime.
#[derive(Clone)]
pub struct Connection {
    tx: mpsc::UnboundedSender<Request>,
    info: Arc<ServerInfo>,
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
    /// Connects, runs the handshake, and starts the driver task.
    pub async fn connect(cfg: &ConnectionConfig) -> Result<Self> {
        Ok(Self::connect_with_pushes(cfg).await?.0)
    }

    /// Like [`connect`](Self::connect), and also returns the channel that
    /// receives the server's RESP3 push frames (pub/sub messages, client-side
    /// caching invalidations).
    pub async fn connect_with_pushes(
        cfg: &ConnectionConfig,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Frame>)> {
        Self::connect_inner(cfg, false).await
    }

    /// A connection for pub/sub: like [`connect_with_pushes`](Self::connect_with_pushes),
    /// and on RESP2, where messages and subscription confirmations arrive as
    /// ordinary arrays, those arrays are routed to the push channel too.
    pub async fn connect_subscriber(
        cfg: &ConnectionConfig,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Frame>)> {
        Self::connect_inner(cfg, true).await
    }

    async fn connect_inner(
        cfg: &ConnectionConfig,
        subscriber: bool,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Frame>)> {
        let setup = async {
            let mut stream = open_stream(cfg).await?;
            let (info, incoming) = handshake(&mut stream, cfg).await?;
            Ok::<_, Error>((stream, info, incoming))
        };
        let (stream, info, incoming) = match cfg.connect_timeout {
            Some(t) => tokio::time::timeout(t, setup).await.map_err(|_| {
                Error::new(
                    ErrorKind::Timeout,
                    format!("connecting to {} took longer than {t:?}", cfg.addr),
                )
            })??,
            None => setup.await?,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let (push_tx, push_rx) = mpsc::unbounded_channel();
        let driver = Driver {
            io: stream,
            rx,
            rx_open: true,
            out: BytesMut::with_capacity(16 * 1024),
            needs_flush: false,
            incoming,
            waiters: VecDeque::new(),
            pushes: push_tx,
            timeout: cfg.response_timeout,
            timer: cfg
                .response_timeout
                .map(|_| Box::pin(tokio::time::sleep(Duration::ZERO))),
            timer_at: None,
            resp2_pubsub: subscriber && info.protocol == super::Protocol::Resp2,
            batch_writes: cfg.batch_writes,
            batch_deferred: false,
            answered: 0,
        };
        tokio::spawn(driver);
        Ok((
            Connection {
                tx,
                info: Arc::new(info),
            },
            push_rx,
        ))
    }

    /// What the server reported about itself during the handshake.
    pub fn server_info(&self) -> &ServerInfo {
        &self.info
    }

    /// True once the driver has stopped (the socket failed or was closed).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Sends one command; the future resolves to its reply. An error reply
    /// from the server resolves to an `Err` naming the command.
    pub fn send<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        if let Err(e) = check_version(cmd, &self.info) {
            return ResponseFuture::ready(Err(e));
        }
        self.send_payload(Payload::encode(cmd), 1, true)
    }

    /// Sends a command without the response timeout (for blocking commands
    /// such as `BLPOP`, whose own timeout says how long the reply may take).
    pub fn send_untimed<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        if let Err(e) = check_version(cmd, &self.info) {
            return ResponseFuture::ready(Err(e));
        }
        self.send_payload(Payload::encode(cmd), 1, false)
    }

    /// Sends bytes holding `replies` encoded commands. With one reply, an
    /// error reply becomes `Err`; with several, the future resolves to an
    /// array of every reply, error replies included as frames. With zero
    /// (commands answered by push frames, such as `SUBSCRIBE` on RESP3), it
    /// resolves to `Null` once the bytes are queued for writing.
    pub fn send_encoded(&self, bytes: Bytes, replies: usize, timed: bool) -> ResponseFuture {
        self.send_payload(Payload::Shared(bytes), replies, timed)
    }

    fn send_payload(&self, bytes: Payload, replies: usize, timed: bool) -> ResponseFuture {
        let (tx, rx) = oneshot::channel();
        let request = Request {
            bytes,
            replies,
            timed,
            tx,
        };
        match self.tx.send(request) {
            Ok(()) => ResponseFuture {
                state: State::Waiting { rx },
            },
            Err(mpsc::error::SendError(req)) => {
                ResponseFuture::ready(Err(closed_error().for_command(name_of(&req.bytes))))
            }
        }
    }
}

fn closed_error() -> Error {
    Error::new(ErrorKind::ConnectionClosed, "the connection is closed")
}

/// The server flavour whose specs the command layer was generated from.
use crate::commands::SPEC_SERVER;

/// Refuses, without sending it, a command newer than the connected server.
pub(crate) fn check_version<C: Command + ?Sized>(cmd: &C, info: &ServerInfo) -> Result<()> {
    cmd.check()?;
    check_required(cmd.required_version(), cmd.name(), info)
}

/// [`check_version`] from the parts of a command.
pub(crate) fn check_required(
    required: Option<(u16, u16, u16)>,
    name: &str,
    info: &ServerInfo,
) -> Result<()> {
    match required {
        Some(need)
            if info.server == SPEC_SERVER && info.version != (0, 0, 0) && need > info.version =>
        {
            let (a, b, c) = need;
            let (x, y, z) = info.version;
            Err(Error::new(
                ErrorKind::Unsupported,
                format!("needs {SPEC_SERVER} {a}.{b}.{c} or newer; the server is {x}.{y}.{z}"),
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
fn is_pubsub_array(frame: &Frame) -> bool {
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
        rx: oneshot::Receiver<Result<Frame>>,
    },
    Boxed(Pin<Box<dyn Future<Output = Result<Frame>> + Send>>),
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
        }
    }
}

/// The task that owns the socket (see the module docs).
struct Driver {
    io: Stream,
    rx: mpsc::UnboundedReceiver<Request>,
    rx_open: bool,
    out: BytesMut,
    needs_flush: bool,
    incoming: Incoming,
    waiters: VecDeque<Waiter>,
    pushes: mpsc::UnboundedSender<Frame>,
    timeout: Option<Duration>,
    timer: Option<Pin<Box<Sleep>>>,
    timer_at: Option<Instant>,
    /// RESP2 subscriber: pub/sub arrays are pushes.
    resp2_pubsub: bool,
    /// Whether to put off the first write after a quiet spell (see
    /// [`ConnectionConfig::batch_writes`]).
    batch_writes: bool,
    /// The write of newly taken requests was put off in the last turn: the
    /// driver ends its poll and asks to run again after the other ready
    /// tasks.
    batch_deferred: bool,
    /// Requests answered since requests were last written.
    answered: usize,
}

impl Driver {
    /// Takes queued requests into the output buffer. True if any came.
    fn take_requests(&mut self, cx: &mut Context<'_>) -> bool {
        let mut took = false;
        while self.rx_open && self.out.len() < WRITE_HIGH_WATER {
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(req)) => {
                    took = true;
                    if req.tx.is_closed() {
                        continue; // the caller gave up before it was sent
                    }
                    self.out.extend_from_slice(&req.bytes);
                    if req.replies == 0 {
                        // Answered out of band (SUBSCRIBE and friends).
                        let _ = req.tx.send(Ok(Frame::Null));
                        continue;
                    }
                    let deadline = match (req.timed, self.timeout) {
                        (true, Some(t)) => Some(Instant::now() + t),
                        _ => None,
                    };
                    self.waiters.push_back(Waiter {
                        tx: Some(req.tx),
                        request: req.bytes,
                        deadline,
                        due: req.replies,
                        collected: Vec::new(),
                    });
                }
                Poll::Ready(None) => self.rx_open = false,
                Poll::Pending => break,
            }
        }
        took
    }

    /// Writes what the socket accepts. True on progress.
    fn write(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        let mut wrote = false;
        while !self.out.is_empty() {
            match Pin::new(&mut self.io).poll_write(cx, &self.out) {
                Poll::Ready(Ok(0)) => {
                    return Err(io::Error::from(io::ErrorKind::WriteZero).into());
                }
                Poll::Ready(Ok(n)) => {
                    self.out.advance(n);
                    wrote = true;
                    self.needs_flush = true;
                }
                Poll::Ready(Err(e)) => return Err(e.into()),
                Poll::Pending => break,
            }
        }
        if self.needs_flush {
            if let Poll::Ready(r) = Pin::new(&mut self.io).poll_flush(cx) {
                r?;
                self.needs_flush = false;
            }
        }
        if self.out.capacity() > 4 * WRITE_HIGH_WATER && self.out.is_empty() {
            self.out = BytesMut::with_capacity(16 * 1024);
        }
        Ok(wrote)
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
                Poll::Ready(Ok(_)) => {
                    got = true;
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
            Routed::Push(frame) => {
                let _ = self.pushes.send(frame);
                return Ok(());
            }
            Routed::Reply(frame) if self.resp2_pubsub && is_pubsub_array(&frame) => {
                let Frame::Array(items) = frame else {
                    return Ok(());
                };
                let _ = self.pushes.send(Frame::Push(items));
                return Ok(());
            }
            Routed::Reply(frame) => frame,
        };
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
        if waiter.due > 0 || !waiter.collected.is_empty() {
            waiter.collected.push(frame);
            if waiter.due > 0 {
                return Ok(());
            }
            let items = std::mem::take(&mut waiter.collected);
            if let Some(tx) = waiter.tx.take() {
                let _ = tx.send(Ok(Frame::Array(items)));
            }
        } else if let Some(tx) = waiter.tx.take() {
            let _ = tx.send(match frame.error_message() {
                Some(m) => Err(Error::from_server_reply(m).for_command(name_of(&waiter.request))),
                None => Ok(frame),
            });
        }
        self.waiters.pop_front();
        self.answered += 1;
        Ok(())
    }

    /// Fails waiters whose deadline passed and arms the timer for the next.
    fn expire(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(timer) = self.timer.as_mut() else {
            return false;
        };
        let now = Instant::now();
        let mut next = None;
        for w in self.waiters.iter_mut() {
            match w.deadline {
                Some(d) if d <= now => {
                    if let Some(tx) = w.tx.take() {
                        let t = self.timeout.unwrap_or_default();
                        let _ = tx.send(Err(Error::new(
                            ErrorKind::Timeout,
                            format!("no reply within {t:?}"),
                        )
                        .for_command(name_of(&w.request))));
                    }
                    w.deadline = None;
                }
                Some(d) => {
                    next = Some(d);
                    break;
                }
                None => {}
            }
        }
        if let Some(at) = next {
            if self.timer_at != Some(at) {
                timer.as_mut().reset(at);
                self.timer_at = Some(at);
            }
            if timer.as_mut().poll(cx).is_ready() {
                self.timer_at = None;
                return true;
            }
        }
        false
    }

    /// Reports `err` to every waiter and every queued request.
    fn fail(&mut self, err: Error) {
        for w in self.waiters.drain(..) {
            if let Some(tx) = w.tx {
                let _ = tx.send(Err(err.duplicate().for_command(name_of(&w.request))));
            }
        }
        self.rx.close();
        while let Ok(req) = self.rx.try_recv() {
            let _ = req
                .tx
                .send(Err(err.duplicate().for_command(name_of(&req.bytes))));
        }
    }

    /// True when no caller still waits for any reply owed to us.
    fn nobody_waits(&self) -> bool {
        self.waiters
            .iter()
            .all(|w| w.tx.as_ref().is_none_or(|tx| tx.is_closed()))
    }

    fn turn(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        let idle = self.out.is_empty();
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
                self.batch_deferred = false;
                self.write(cx)?
            };
        let read = self.read(cx)?;
        let expired = self.expire(cx);
        Ok(took || wrote || read || expired)
    }
}

impl Future for Driver {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        for _ in 0..TURNS_PER_POLL {
            match this.turn(cx) {
                Err(e) => {
                    this.fail(e);
                    return Poll::Ready(());
                }
                Ok(progress) => {
                    if !this.rx_open && this.out.is_empty() && this.nobody_waits() {
                        // Every handle is gone and no one waits for a reply: close.
                        let _ = Pin::new(&mut this.io).poll_shutdown(cx);
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
