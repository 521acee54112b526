//! The `std::net` driver: one connection used from one thread at a time.
//!
//! It runs the same [`Handshake`] and [`Incoming`] as the tokio driver;
//! only the socket calls differ.
//!
//! - **Timeouts.** Each wait for bytes of a reply is bounded by the
//!   response timeout ([`ConnectionConfig::response_timeout`]); a blocking
//!   command ([`Command::blocks`]: `BLPOP k 5`, `XREAD BLOCK 5000`) gets its
//!   block time on top, and one that blocks forever (`BLPOP k 0`) no bound.
//!   A reply that does not come in time is an [`ErrorKind::Timeout`] error,
//!   "no reply within ...". Connecting and the handshake are bounded by
//!   the connect timeout.
//! - **Never out of step.** A connection whose reply stream may be out of
//!   step (an I/O error, a protocol error, or a timeout: the late reply may
//!   still come) is marked broken and refuses further use, so a late reply
//!   can never be taken for the answer to a later command.
//! - **Errors as the server meant them.** When a write fails because the
//!   server closed the connection, an error reply it sent before closing
//!   (`-ERR Protocol error: invalid bulk length` for an argument above
//!   `proto-max-bulk-len`) is returned rather than the socket error; after
//!   such a protocol error the connection is not used again (the server
//!   closes it). A TLS handshake failure (an untrusted certificate, say) is
//!   an [`ErrorKind::Tls`] error.
//! - **Out-of-band data.** RESP3 push frames that arrive while a reply is
//!   awaited are never taken for the reply: they are kept, the newest
//!   [`DEFAULT_PUSH_CAPACITY`](super::DEFAULT_PUSH_CAPACITY) of them unless
//!   [set otherwise](Connection::set_push_capacity), for
//!   [`next_push`](Connection::next_push), and the number dropped beyond
//!   that is told by [`missed_pushes`](Connection::missed_pushes) (a
//!   [`blocking::Client`](crate::blocking::Client)'s connections publish
//!   them to the client's push channel instead). A reply's RESP3
//!   attributes are dropped except by
//!   [`query_with_attributes`](Connection::query_with_attributes).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::config::{Addr, ConnectionConfig};
use super::handshake::{Handshake, Progress, ServerInfo};
use super::incoming::{
    without_attributes, ConnectionPushes, Incoming, PushQueue, Routed, WithAttributes,
};
use crate::cmd::{Block, Command};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{ErrorClass, Event, Observer};
use crate::reply::FromResp;
use crate::resp::Frame;

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(t),
            Stream::Unix(s) => s.set_read_timeout(t),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.sock.set_read_timeout(t),
        }
    }

    fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nonblocking(on),
            Stream::Unix(s) => s.set_nonblocking(on),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.sock.set_nonblocking(on),
        }
    }

    fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_write_timeout(t),
            Stream::Unix(s) => s.set_write_timeout(t),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.sock.set_write_timeout(t),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.flush(),
        }
    }
}

fn connect_error(cfg: &ConnectionConfig, e: io::Error) -> Error {
    Error::connect(&cfg.addr, e)
}

fn open_stream(cfg: &ConnectionConfig) -> Result<Stream> {
    match &cfg.addr {
        Addr::Tcp { host, port } => {
            let tcp = match cfg.connect_timeout {
                None => {
                    TcpStream::connect((host.as_str(), *port)).map_err(|e| connect_error(cfg, e))?
                }
                Some(t) => {
                    use std::net::ToSocketAddrs;
                    let mut last =
                        io::Error::new(io::ErrorKind::NotFound, "host resolved to no address");
                    let mut found = None;
                    for addr in (host.as_str(), *port)
                        .to_socket_addrs()
                        .map_err(|e| connect_error(cfg, e))?
                    {
                        match TcpStream::connect_timeout(&addr, t) {
                            Ok(s) => {
                                found = Some(s);
                                break;
                            }
                            Err(e) => last = e,
                        }
                    }
                    found.ok_or_else(|| connect_error(cfg, last))?
                }
            };
            tcp.set_nodelay(true)?;
            super::aio::set_keepalive(&tcp, cfg.tcp_keepalive)?;
            match &cfg.tls {
                None => Ok(Stream::Tcp(tcp)),
                #[cfg(feature = "tls")]
                Some(tls) => {
                    let config = super::tls::client_config(tls)?;
                    let name = super::tls::server_name(tls, host)?;
                    let conn = rustls::ClientConnection::new(config, name).map_err(|e| {
                        Error::with_source(
                            ErrorKind::Tls,
                            format!("TLS setup for {} failed: {e}", cfg.addr),
                            e,
                        )
                    })?;
                    Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))))
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
            UnixStream::connect(path).map_err(|e| connect_error(cfg, e))?,
        )),
    }
}

/// How long a failed write waits for an error reply the server sent before
/// it closed the connection.
const ARRIVED_ERROR_WAIT: Duration = Duration::from_millis(100);

/// A socket timeout as `std` accepts it (it refuses zero).
fn socket_timeout(t: Option<Duration>) -> Option<Duration> {
    t.map(|d| d.max(Duration::from_millis(1)))
}

/// Whether an I/O error is a socket timeout.
fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The error for a failed connection attempt: a TLS failure is a
/// [`ErrorKind::Tls`] error and a timeout says it happened while
/// connecting, in the async driver's words.
fn connect_failure(cfg: &ConnectionConfig, e: Error) -> Error {
    #[cfg(feature = "tls")]
    let e = match &cfg.tls {
        Some(tls) => super::tls::handshake_failure(&cfg.addr, tls, e),
        None => e,
    };
    if e.kind() == &ErrorKind::Tls {
        return e;
    }
    if e.is_timeout() {
        let t = cfg.connect_timeout.unwrap_or_default();
        return Error::new(
            ErrorKind::Timeout,
            format!("connecting to {} took longer than {t:?}", cfg.addr),
        );
    }
    e
}

/// A blocking connection to one server.
pub struct Connection {
    stream: Stream,
    incoming: Incoming,
    out: BytesMut,
    info: ServerInfo,
    /// Push frames read while waiting for replies, and the connection's
    /// [`id`](Self::id) (boxed: see [`PushQueue`]).
    pushes: Box<PushQueue>,
    response_timeout: Option<Duration>,
    /// The socket's read and write timeouts as last set.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// Why the connection can no longer be used, once it cannot.
    broken: Option<String>,
    /// State a command left on the connection that the next user of a
    /// pooled connection must not inherit: `SELECT`, `CLIENT TRACKING`,
    /// `HELLO`... (only `RESET` undoes it), and `WATCH` or `MULTI` (undone by
    /// `EXEC`, `DISCARD`, `UNWATCH`, `RESET`).
    sticky_state: bool,
    transaction_state: bool,
    /// A command was written whose replies are read with
    /// [`read_frame`](Self::read_frame), if at all (`SUBSCRIBE`).
    unread: bool,
    /// When the handshake finished.
    opened_at: Instant,
    /// How many bytes the next read offers the socket (see
    /// [`next_read_window`]).
    read_window: usize,
    /// Connections that found their server through Sentinel: whether the
    /// server is still the one to use.
    follow: Option<crate::sentinel::Follow>,
    /// The credentials provider this connection follows, if any: when it
    /// says they changed, `AUTH` goes out before the next command.
    session: Option<crate::auth::Session>,
    /// When bytes of a reply last came in.
    last_read: Instant,
    /// [`ConnectionConfig::health_check_interval`].
    health_interval: Option<Duration>,
    /// Where events and counts go, and the server's address for them.
    observer: Observer,
    addr: Addr,
    /// Whether requests and bytes are counted now (not during the
    /// handshake, nor for a health check); set once the handshake is done.
    counting: bool,
    /// Why the connection broke, for [`Event::Disconnected`].
    broken_by: Option<ErrorClass>,
    /// A RESP2 subscriber: the pub/sub arrays it reads (messages,
    /// confirmations) are push frames, not replies.
    pubsub_arrays: bool,
    /// While the connection is lent out by a caching client: its cache,
    /// whose entries the keys of the writes sent here drop first (see
    /// [`crate::cache`]).
    writes: Option<std::sync::Arc<crate::cache::Cache>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if !self.counting {
            // The handshake did not finish: reported as `ConnectFailed`.
            return;
        }
        let error = self
            .broken
            .as_ref()
            .map(|_| self.broken_by.unwrap_or(ErrorClass::Other));
        self.observer.emit(Event::Disconnected {
            addr: self.addr.clone(),
            connection: self.pushes.id(),
            error,
        });
    }
}

/// The smallest read window: one page.
const MIN_READ_WINDOW: usize = 4 * 1024;
/// The largest read window.
const MAX_READ_WINDOW: usize = 1024 * 1024;

/// The next read window after a read of `n` bytes into `window`: it doubles
/// while reads fill it (a large reply is coming) and halves when they use
/// less than a quarter of it. A read that was offered less than the window
/// (the buffer had less room) leaves it as it is.
fn next_read_window(current: usize, window: usize, n: usize) -> usize {
    if window != current {
        // Cut short by the buffer's room: no sign either way.
        current
    } else if n == window {
        (current * 2).min(MAX_READ_WINDOW)
    } else if n < current / 4 {
        (current / 2).max(MIN_READ_WINDOW)
    } else {
        current
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("server", &self.info)
            .field("broken", &self.broken)
            .finish()
    }
}

/// Which way an I/O call went, for its error message.
#[derive(Clone, Copy)]
enum Dir {
    Read,
    Write,
}

impl Connection {
    /// Connects and runs the handshake, within the connect timeout.
    ///
    /// A TLS handshake failure (an untrusted certificate, say) is an
    /// [`ErrorKind::Tls`] error; running out of the connect timeout an
    /// [`ErrorKind::Timeout`] one.
    pub fn connect(cfg: &ConnectionConfig) -> Result<Self> {
        let r = Self::connect_located(cfg);
        if let Err(e) = &r {
            if cfg.locator.is_none() {
                cfg.observer.emit(Event::ConnectFailed {
                    addr: cfg.addr.clone(),
                    error: ErrorClass::of(e),
                });
            }
        }
        r
    }

    fn connect_located(cfg: &ConnectionConfig) -> Result<Self> {
        match &cfg.locator {
            None => Self::connect_inner(cfg).map_err(|e| connect_failure(cfg, e)),
            // Sentinel: the locator picks the address and checks ROLE.
            Some(locator) => {
                let (mut conn, follow) = locator.connect_blocking(
                    cfg,
                    |c: &Connection| &c.info,
                    |c| {
                        Self::connect_inner(&c)
                            .map_err(|e| connect_failure(&c, e))
                            .inspect_err(|e| {
                                c.observer.emit(Event::ConnectFailed {
                                    addr: c.addr.clone(),
                                    error: ErrorClass::of(e),
                                })
                            })
                    },
                )?;
                conn.follow = Some(follow);
                Ok(conn)
            }
        }
    }

    fn connect_inner(cfg: &ConnectionConfig) -> Result<Self> {
        let stream = open_stream(cfg)?;
        cfg.observer.emit(Event::Connected {
            addr: cfg.addr.clone(),
        });
        let connect_timeout = socket_timeout(cfg.connect_timeout);
        stream.set_read_timeout(connect_timeout)?;
        stream.set_write_timeout(connect_timeout)?;
        let mut conn = Connection {
            stream,
            incoming: Incoming::new(cfg.limits),
            out: BytesMut::with_capacity(4096),
            info: ServerInfo::default(),
            pushes: Box::new(PushQueue::new()),
            response_timeout: cfg.response_timeout,
            read_timeout: connect_timeout,
            write_timeout: connect_timeout,
            broken: None,
            sticky_state: false,
            transaction_state: false,
            unread: false,
            opened_at: Instant::now(),
            read_window: MIN_READ_WINDOW,
            follow: None,
            session: None,
            last_read: Instant::now(),
            health_interval: cfg.health_check_interval,
            observer: cfg.observer.clone(),
            addr: cfg.addr.clone(),
            counting: false,
            broken_by: None,
            pubsub_arrays: false,
            writes: None,
        };
        let (credentials, session) = crate::auth::for_connect(cfg)?;
        conn.session = session;
        let mut hs = Handshake::with_credentials(cfg, credentials);
        hs.start(&mut conn.out);
        let dropped = |e| super::aio::plain_dropped(cfg, e);
        conn.info = loop {
            conn.flush().map_err(dropped)?;
            let frame = conn.read_reply().map_err(dropped)?;
            if let Progress::Done(info) = hs.on_reply(frame, &mut conn.out)? {
                break info;
            }
        };
        let t = socket_timeout(cfg.response_timeout);
        conn.set_read_timeout(t)?;
        conn.stream.set_write_timeout(t)?;
        conn.write_timeout = t;
        conn.opened_at = Instant::now();
        conn.counting = true;
        cfg.observer.emit(Event::HandshakeDone {
            addr: cfg.addr.clone(),
            connection: conn.pushes.id(),
            protocol: conn.info.protocol,
            server: conn.info.server.clone(),
            version: conn.info.version,
        });
        Ok(conn)
    }

    /// What the server reported about itself during the handshake.
    pub fn server_info(&self) -> &ServerInfo {
        &self.info
    }

    /// The bound on each reply this connection was configured with.
    pub fn response_timeout(&self) -> Option<Duration> {
        self.response_timeout
    }

    /// A number unique to this connection within the process: the one
    /// [`PushEvent`](super::PushEvent)s name the connection by.
    pub fn id(&self) -> u64 {
        self.pushes.id()
    }

    /// How many push frames are kept for [`next_push`](Self::next_push)
    /// (default [`DEFAULT_PUSH_CAPACITY`](super::DEFAULT_PUSH_CAPACITY),
    /// at least 1). When more arrive unread, the oldest are dropped and
    /// counted ([`missed_pushes`](Self::missed_pushes)).
    pub fn set_push_capacity(&mut self, n: usize) {
        self.pushes.set_capacity(n);
    }

    /// How many push frames were dropped, the oldest first, because more
    /// than the [capacity](Self::set_push_capacity) arrived unread, since
    /// the last call. A client-side cache must flush when it is not zero.
    pub fn missed_pushes(&mut self) -> u64 {
        self.pushes.take_missed()
    }

    /// From now on, push frames go to a client's push channel (with those
    /// kept so far).
    pub(crate) fn publish_pushes_to(&mut self, channel: ConnectionPushes) {
        self.pushes.publish_to(channel);
    }

    /// From now on, the RESP2 pub/sub arrays this connection reads
    /// (messages, confirmations) are push frames (for a RESP2 connection
    /// that subscribed: the client-side cache's redirect connection).
    pub(crate) fn route_pubsub_arrays(&mut self) {
        self.pubsub_arrays = self.info.protocol == super::Protocol::Resp2;
    }

    /// A reply that is a push: a pub/sub array of a RESP2 subscriber.
    fn as_push(&self, frame: Frame) -> std::result::Result<Frame, Frame> {
        if !self.pubsub_arrays || !super::is_pubsub_array(&frame) {
            return Err(frame);
        }
        match frame {
            Frame::Array(items) => Ok(Frame::Push(items)),
            other => Err(other),
        }
    }

    /// True once an error left the connection unusable: an I/O or protocol
    /// error, or a timeout (the late reply may still come).
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// True when the connection can serve another user as it is: not
    /// broken, no bytes of a reply left unread, no command written whose
    /// replies were not read ([`write_command`](Self::write_command)), and
    /// no `WATCH`, `MULTI`, `SELECT` or other connection state left behind.
    pub fn is_reusable(&self) -> bool {
        self.broken.is_none()
            && !self.follow.as_ref().is_some_and(|f| f.is_stale())
            && !self.unread
            && !self.sticky_state
            && !self.transaction_state
            && self.incoming.buf.is_empty()
            && self.pushes.is_empty()
    }

    /// `EXEC` of a transaction sent as one request answered (it committed,
    /// or ran nothing because a watched key changed): no `WATCH` or `MULTI`
    /// is left on the connection.
    pub(crate) fn transaction_ended(&mut self) {
        self.transaction_state = false;
    }

    /// When the connection finished its handshake.
    /// Sends the writes from now on through `cache`'s own-write rule
    /// (`None`: no longer).
    pub(crate) fn set_cache_writes(&mut self, cache: Option<std::sync::Arc<crate::cache::Cache>>) {
        self.writes = cache;
    }

    /// The own-write rule for the commands encoded into the output buffer
    /// from `start` on (`parts`: their large values, at offsets of the
    /// buffer): the guard to hold until they are answered.
    fn own_writes(
        &self,
        start: usize,
        parts: &crate::resp::encode::SharedParts,
    ) -> Option<crate::cache::WriteGuard> {
        let cache = self.writes.as_ref()?;
        let buf = self.out.get(start..)?;
        if parts.is_empty() {
            return cache.before_request(buf, &[]);
        }
        let parts: Vec<(usize, bytes::Bytes)> = parts
            .iter()
            .map(|(at, p)| (at.saturating_sub(start), p.clone()))
            .collect();
        cache.before_request(buf, &parts)
    }

    pub(crate) fn opened_at(&self) -> Instant {
        self.opened_at
    }

    fn check(&self) -> Result<()> {
        match &self.broken {
            Some(why) => Err(Error::new(ErrorKind::ConnectionClosed, why.clone())),
            None => Ok(()),
        }
    }

    /// Marks the connection broken when `r` is an error that may leave the
    /// reply stream out of step.
    fn guard<T>(&mut self, r: Result<T>) -> Result<T> {
        if let Err(e) = &r {
            if e.is_connection_dropped() || e.is_timeout() {
                self.broken_by = Some(ErrorClass::of(e));
                self.broken = Some(format!("unusable after an earlier error: {e}"));
            }
        }
        r
    }

    /// Sets the socket's read timeout (a system call only when it changes).
    fn set_read_timeout(&mut self, t: Option<Duration>) -> Result<()> {
        let t = socket_timeout(t);
        if self.read_timeout != t {
            self.stream.set_read_timeout(t)?;
            self.read_timeout = t;
        }
        Ok(())
    }

    /// The error for a failed socket call: a timeout says how long was
    /// waited for what.
    fn io_error(&self, e: io::Error, dir: Dir) -> Error {
        if !timed_out(&e) {
            return e.into();
        }
        let detail = match dir {
            Dir::Read => {
                let t = self.read_timeout.unwrap_or_default();
                format!("no reply within {t:?}")
            }
            Dir::Write => {
                let t = self.write_timeout.unwrap_or_default();
                format!("the request could not be written within {t:?}")
            }
        };
        Error::with_source(ErrorKind::Timeout, detail, e)
    }

    fn flush(&mut self) -> Result<()> {
        self.flush_with(&[])
    }

    /// Writes the output buffer with `parts` (large values, each at its
    /// offset of the buffer) in their places.
    fn flush_with(&mut self, parts: &[(usize, bytes::Bytes)]) -> Result<()> {
        let len = self.out.len() + parts.iter().map(|(_, p)| p.len()).sum::<usize>();
        let r = (|| {
            let mut at = 0;
            for (off, part) in parts {
                self.stream.write_all(&self.out[at..*off])?;
                self.stream.write_all(part)?;
                at = *off;
            }
            self.stream.write_all(&self.out[at..])?;
            self.stream.flush()
        })();
        self.out.clear();
        if r.is_ok() && self.counting {
            self.observer.counters().add(0, len as u64, 0);
        }
        let r = r.map_err(|e| self.io_error(e, Dir::Write));
        self.guard(r)
    }

    /// Reads once from the socket into the read buffer; `Ok(0)` at the end
    /// of the stream.
    fn fill(&mut self) -> io::Result<usize> {
        self.incoming.reserve();
        let buf = &mut self.incoming.buf;
        let len = buf.len();
        // Only the window handed to `read` is zeroed first (std's `Read`
        // wants initialized bytes), so a small reply does not pay for
        // clearing the whole buffer.
        let window = self.read_window.min(buf.capacity() - len).max(1);
        buf.resize(len + window, 0);
        let n = match self.stream.read(&mut buf[len..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                buf.truncate(len);
                return self.fill();
            }
            Err(e) => {
                buf.truncate(len);
                return Err(e);
            }
        };
        buf.truncate(len + n);
        if self.counting {
            self.observer.counters().add(0, 0, n as u64);
        }
        self.read_window = next_read_window(self.read_window, window, n);
        if n > 0 {
            self.last_read = Instant::now();
        }
        Ok(n)
    }

    /// Reads, without waiting, what the server sent to this connection
    /// while no reply was due, and keeps (publishes) the push frames in it
    /// (the client-side cache's invalidations). Anything but push frames,
    /// or the server closing the connection, is an error that leaves the
    /// connection broken.
    pub(crate) fn read_arrived_pushes(&mut self) -> Result<()> {
        self.check()?;
        if let Err(e) = self.stream.set_nonblocking(true) {
            self.broken = Some(format!("could not poll the socket: {e}"));
            return Err(e.into());
        }
        let r = self.read_arrived_pushes_inner();
        let restored = self.stream.set_nonblocking(false);
        if let Err(e) = &restored {
            self.broken = Some(format!("could not restore the socket: {e}"));
        }
        if let Err(e) = &r {
            self.broken = Some(format!("unusable after an earlier error: {e}"));
        }
        r.and(restored.map_err(Error::from))
    }

    fn read_arrived_pushes_inner(&mut self) -> Result<()> {
        loop {
            while let Some(routed) = self.incoming.next_frame()? {
                match routed {
                    Routed::Push(p) => self.pushes.keep(p),
                    Routed::Reply(f) => {
                        let f = match self.as_push(f) {
                            Ok(p) => {
                                self.pushes.keep(p);
                                continue;
                            }
                            Err(f) => f,
                        };
                        return Err(Error::new(
                            ErrorKind::Protocol,
                            format!("a {} arrived while no reply was due", f.kind()),
                        ));
                    }
                }
            }
            match self.fill() {
                Ok(0) => {
                    return Err(Error::new(
                        ErrorKind::ConnectionClosed,
                        "the server closed the connection",
                    ));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(self.io_error(e, Dir::Read)),
            }
        }
    }

    fn read_routed_inner(&mut self) -> Result<Routed> {
        loop {
            if let Some(routed) = self.incoming.next_frame()? {
                return Ok(routed);
            }
            match self.fill() {
                Ok(0) => {
                    return Err(Error::new(
                        ErrorKind::ConnectionClosed,
                        "the server closed the connection",
                    ))
                }
                Ok(_) => {}
                Err(e) => return Err(self.io_error(e, Dir::Read)),
            }
        }
    }

    /// Reads the next frame, whatever it is.
    fn read_routed(&mut self) -> Result<Routed> {
        let r = self.read_routed_inner();
        self.guard(r)
    }

    /// Reads frames until a reply, keeping push frames for
    /// [`next_push`](Self::next_push); the reply without its attributes.
    fn read_reply(&mut self) -> Result<Frame> {
        self.read_annotated_reply().map(without_attributes)
    }

    /// Reads frames until a reply, keeping push frames; the reply with the
    /// attributes the server sent before it, if any.
    fn read_annotated_reply(&mut self) -> Result<Frame> {
        loop {
            match self.read_routed()? {
                Routed::Reply(f) if self.pubsub_arrays => match self.as_push(f) {
                    Ok(p) => self.pushes.keep(p),
                    Err(f) => return Ok(f),
                },
                Routed::Reply(f) => return Ok(f),
                Routed::Push(p) => self.pushes.keep(p),
            }
        }
    }

    /// Keeps the push frames already read right behind the last reply (a
    /// server often writes an invalidation together with the reply before
    /// it): left in the buffer, they would make the connection look out of
    /// step and be lost with it.
    #[inline]
    fn keep_trailing_pushes(&mut self) {
        if !self.incoming.buf.is_empty() {
            self.keep_pushes_in_buffer();
        }
    }

    #[cold]
    fn keep_pushes_in_buffer(&mut self) {
        while self.incoming.buf.first() == Some(&b'>') {
            match self.incoming.next_frame() {
                Ok(Some(Routed::Push(p))) => self.pushes.keep(p),
                // A partial push stays for the next read.
                Ok(None) => return,
                Ok(Some(Routed::Reply(_))) | Err(_) => {
                    self.broken = Some("the server sent data that was not a push frame".into());
                    return;
                }
            }
        }
    }

    /// After a write failed on a connection the server closed: the error
    /// reply the server sent before closing, if one came (the answer to an
    /// argument above `proto-max-bulk-len`, say). Looks at what was already
    /// read and waits briefly for more.
    fn arrived_error(&mut self, write_error: &Error) -> Option<Error> {
        if !write_error.is_connection_dropped() {
            return None;
        }
        let deadline = Instant::now() + ARRIVED_ERROR_WAIT;
        loop {
            match self.incoming.next_frame() {
                Ok(Some(Routed::Reply(f))) => {
                    if let Some(m) = without_attributes(f).error_message() {
                        return Some(Error::from_server_reply(m));
                    }
                    continue;
                }
                Ok(Some(Routed::Push(p))) => {
                    self.pushes.keep(p);
                    continue;
                }
                Ok(None) => {}
                Err(_) => return None,
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.set_read_timeout(Some(left)).is_err() {
                return None;
            }
            match self.fill() {
                Ok(n) if n > 0 => {}
                _ => return None,
            }
        }
    }

    /// Notes the connection state a command leaves behind (see
    /// [`is_reusable`](Self::is_reusable)); the command was encoded into
    /// the output buffer from `encoded_from` on (read for the subcommand of
    /// a raw `CLIENT`).
    fn note_state(&mut self, name: &str, encoded_from: usize) {
        let client;
        let name = if name == "CLIENT" {
            client = format!("CLIENT {}", second_word(&self.out[encoded_from..]));
            client.as_str()
        } else {
            name
        };
        match name {
            "WATCH" | "MULTI" => self.transaction_state = true,
            "EXEC" | "DISCARD" | "UNWATCH" => self.transaction_state = false,
            "RESET" => {
                self.transaction_state = false;
                self.sticky_state = false;
            }
            "SELECT" | "HELLO" | "AUTH" | "READONLY" | "CLIENT REPLY" | "CLIENT TRACKING"
            | "CLIENT SETNAME" | "CLIENT NO-EVICT" | "CLIENT NO-TOUCH" => self.sticky_state = true,
            _ => {}
        }
    }

    /// When the credentials provider says the credentials changed (or
    /// they are about to expire), authenticates again with `AUTH`, on this
    /// connection, before anything else is sent. A refusal is an
    /// [`ErrorKind::Auth`] error naming the user, and leaves the
    /// connection unusable.
    fn reauthenticate_if_due(&mut self) -> Result<()> {
        let Some(session) = self.session.as_mut() else {
            return Ok(());
        };
        if !session.due(Instant::now()) {
            return Ok(());
        }
        let creds = session.fetch()?;
        crate::auth::auth_command(&creds).encode(&mut self.out);
        // The command waiting behind the `AUTH` is not sent when it fails.
        let reply = self
            .set_read_timeout(self.response_timeout)
            .and_then(|()| self.flush())
            .and_then(|()| self.read_reply())
            .map_err(|e| e.unsent())?;
        if let Some(m) = reply.error_message() {
            let text = String::from_utf8_lossy(m);
            self.broken = Some(format!(
                "re-authentication as user `{}` was refused",
                creds.user()
            ));
            return Err(super::handshake::auth_error(Some(creds.user()), &text).for_command("AUTH"));
        }
        Ok(())
    }

    /// For a connection idle longer than the health-check interval
    /// ([`ConnectionConfig::health_check_interval`]): whether it answers a
    /// `PING` within that interval (or the response timeout, if shorter).
    /// A connection used more recently, or with health checks off, is
    /// taken as it is.
    pub(crate) fn healthy_after_idle(&mut self) -> bool {
        let Some(interval) = self.health_interval else {
            return true;
        };
        if self.last_read.elapsed() < interval {
            return true;
        }
        let limit = self.response_timeout.map_or(interval, |r| r.min(interval));
        let mut ping = crate::cmd::Cmd::new("PING");
        ping.arg("respec:health");
        // The client's own request: not counted.
        let counting = std::mem::replace(&mut self.counting, false);
        let ok = self.send_within(&ping, Some(limit)).is_ok();
        self.counting = counting;
        ok
    }

    /// Sends one command and returns its reply; an error reply is an `Err`
    /// naming the command.
    ///
    /// The reply may take the response timeout, plus the command's block
    /// time for a blocking command (`BLPOP k 5`: 5 s more); one that blocks
    /// forever (`BLPOP k 0`) is waited for without a bound.
    pub fn send<C: Command + ?Sized>(&mut self, cmd: &C) -> Result<Frame> {
        let limit = cmd.blocks().deadline(self.response_timeout);
        self.send_within(cmd, limit)
    }

    /// Like [`send`](Self::send), but waits for the reply without the
    /// response timeout.
    pub fn send_untimed<C: Command + ?Sized>(&mut self, cmd: &C) -> Result<Frame> {
        self.send_within(cmd, None)
    }

    /// Sends one command and waits at most `limit` for each read of its
    /// reply (`None`: without a bound).
    pub(crate) fn send_within<C: Command + ?Sized>(
        &mut self,
        cmd: &C,
        limit: Option<Duration>,
    ) -> Result<Frame> {
        self.send_inner(cmd, limit, false)
    }

    /// Sends one command and returns its reply converted to `T`, with the
    /// RESP3 attributes the server sent before it (see [`WithAttributes`];
    /// every other method drops them). An error reply is an `Err` (its
    /// attributes are dropped). The reply may take what
    /// [`send`](Self::send)'s may.
    pub fn query_with_attributes<T: FromResp, C: Command + ?Sized>(
        &mut self,
        cmd: &C,
    ) -> Result<WithAttributes<T>> {
        let limit = cmd.blocks().deadline(self.response_timeout);
        self.query_with_attributes_within(cmd, limit)
    }

    /// [`query_with_attributes`](Self::query_with_attributes), waiting at
    /// most `limit` for each read.
    pub(crate) fn query_with_attributes_within<T: FromResp, C: Command + ?Sized>(
        &mut self,
        cmd: &C,
        limit: Option<Duration>,
    ) -> Result<WithAttributes<T>> {
        let frame = self.send_inner(cmd, limit, true)?;
        WithAttributes::split(frame)
            .convert()
            .map_err(|e| e.for_command(cmd.name()))
    }

    /// Sends one command; `attributes`: whether the reply keeps the RESP3
    /// attributes sent before it.
    fn send_inner<C: Command + ?Sized>(
        &mut self,
        cmd: &C,
        limit: Option<Duration>,
        attributes: bool,
    ) -> Result<Frame> {
        if !self.counting {
            return self.send_uncounted(cmd, limit, attributes);
        }
        let sent = Instant::now();
        let r = self.send_uncounted(cmd, limit, attributes);
        self.count(1, sent, r.as_ref().err());
        r
    }

    /// Counts `commands` sent at `sent`, which ended with `error`.
    fn count(&self, commands: u64, sent: Instant, error: Option<&Error>) {
        let metrics = self.observer.counters();
        metrics.add(commands, 0, 0);
        // `last_read`: when the last bytes of the reply came in.
        metrics.latency(self.last_read.saturating_duration_since(sent));
        if let Some(e) = error {
            self.observer.error(e);
        }
    }

    fn send_uncounted<C: Command + ?Sized>(
        &mut self,
        cmd: &C,
        limit: Option<Duration>,
        attributes: bool,
    ) -> Result<Frame> {
        self.check()?;
        super::aio::check_version(cmd, &self.info)?;
        self.reauthenticate_if_due()?;
        let name = cmd.name();
        let start = self.out.len();
        // Large values the command holds are written from where they are.
        let mut parts = crate::resp::encode::SharedParts::new();
        cmd.encode_shared(&mut self.out, &mut parts);
        self.note_state(name, start);
        // Held until the reply is read.
        let _writing = self.own_writes(start, &parts);
        self.set_read_timeout(limit)?;
        let r = match self.flush_with(&parts) {
            Ok(()) => self.read_annotated_reply(),
            Err(e) => Err(self.arrived_error(&e).unwrap_or(e)),
        };
        self.keep_trailing_pushes();
        match r {
            Ok(f) => match f.error_message() {
                Some(m) => {
                    self.note_closing(m);
                    Err(Error::from_server_reply(m).for_command(name))
                }
                None if matches!(f, Frame::Attribute { .. }) => {
                    annotated_reply(f, attributes).map_err(|e| e.for_command(name))
                }
                None => Ok(f),
            },
            Err(e) => Err(e.for_command(name)),
        }
    }

    /// Marks the connection broken after an error reply the server closes
    /// the connection after (a protocol error: an argument above
    /// `proto-max-bulk-len`, say), so that it is not used again.
    fn note_closing(&mut self, message: &[u8]) {
        if let Some(follow) = &self.follow {
            // A master that turned replica under us (Sentinel).
            follow.on_error_message(message);
        }
        if message.starts_with(b"ERR Protocol error") {
            self.broken = Some(format!(
                "the server closed the connection after: {}",
                String::from_utf8_lossy(message)
            ));
        }
    }

    /// Sends every command in one write and returns every reply, in order,
    /// error replies included as frames. The replies may take the response
    /// timeout plus the block times of the blocking commands among them.
    pub fn send_pipeline<C: Command>(&mut self, cmds: &[C]) -> Result<Vec<Frame>> {
        self.check()?;
        let mut block = Block::No;
        for c in cmds {
            super::aio::check_version(c, &self.info)?;
            block = match (block, c.blocks()) {
                (Block::Forever, _) | (_, Block::Forever) => Block::Forever,
                (Block::For(a), Block::For(b)) => Block::For(a.saturating_add(b)),
                (Block::No, b) | (b, Block::No) => b,
            };
        }
        self.reauthenticate_if_due()?;
        let first = self.out.len();
        for c in cmds {
            let start = self.out.len();
            c.encode(&mut self.out);
            self.note_state(c.name(), start);
        }
        let _writing = self.own_writes(first, &Vec::new());
        let limit = block.deadline(self.response_timeout);
        self.write_then_read(limit, cmds.len())
    }

    /// Sends already-encoded commands and reads `replies` replies, error
    /// replies included as frames.
    pub fn send_raw(&mut self, bytes: &[u8], replies: usize) -> Result<Vec<Frame>> {
        self.send_raw_within(bytes, replies, self.response_timeout)
    }

    /// [`send_raw`](Self::send_raw), waiting at most `limit` for each read.
    pub(crate) fn send_raw_within(
        &mut self,
        bytes: &[u8],
        replies: usize,
        limit: Option<Duration>,
    ) -> Result<Vec<Frame>> {
        self.check()?;
        self.reauthenticate_if_due()?;
        let _writing = self
            .writes
            .as_ref()
            .and_then(|c| c.before_request(bytes, &[]));
        self.out.extend_from_slice(bytes);
        self.write_then_read(limit, replies)
    }

    fn write_then_read(&mut self, limit: Option<Duration>, replies: usize) -> Result<Vec<Frame>> {
        let sent = Instant::now();
        let r = self.write_then_read_uncounted(limit, replies);
        if self.counting {
            self.count(replies as u64, sent, r.as_ref().err());
        }
        r
    }

    fn write_then_read_uncounted(
        &mut self,
        limit: Option<Duration>,
        replies: usize,
    ) -> Result<Vec<Frame>> {
        self.set_read_timeout(limit)?;
        if let Err(e) = self.flush() {
            return Err(self.arrived_error(&e).unwrap_or(e));
        }
        let frames = (0..replies)
            .map(|_| self.read_reply())
            .collect::<Result<Vec<Frame>>>()?;
        self.keep_trailing_pushes();
        for f in &frames {
            if let Some(m) = f.error_message() {
                self.note_closing(m);
            }
        }
        Ok(frames)
    }

    /// Writes a command without waiting for its reply (for commands whose
    /// answers come as push frames, such as `SUBSCRIBE` on RESP3). The
    /// connection is no longer [reusable](Self::is_reusable) afterwards.
    pub fn write_command<C: Command + ?Sized>(&mut self, cmd: &C) -> Result<()> {
        self.check()?;
        let start = self.out.len();
        cmd.encode(&mut self.out);
        // Its reply is not waited for: reads of its keys may store theirs
        // as soon as it is written.
        let _writing = self.own_writes(start, &Vec::new());
        self.unread = true;
        self.flush()
    }

    /// Reads the next frame of any kind, push or reply, waiting at most
    /// `timeout` (`None`: the response timeout). `Ok(None)` when nothing came
    /// in time; the connection stays usable in that case.
    pub fn read_frame(&mut self, timeout: Option<Duration>) -> Result<Option<Frame>> {
        self.check()?;
        if let Some(p) = self.pushes.pop() {
            return Ok(Some(p));
        }
        if let Some(routed) = self.incoming.next_frame().map_err(Error::from)? {
            return Ok(Some(match routed {
                Routed::Reply(f) => without_attributes(f),
                Routed::Push(f) => f,
            }));
        }
        self.set_read_timeout(timeout.or(self.response_timeout))?;
        let pending = self.incoming.buf.len();
        let r = self.read_routed();
        match r {
            Ok(Routed::Reply(f)) => Ok(Some(without_attributes(f))),
            Ok(Routed::Push(f)) => Ok(Some(f)),
            // Nothing at all arrived: the stream is still in step.
            Err(e) if e.is_timeout() && pending == 0 && self.incoming.buf.is_empty() => {
                self.broken = None;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Takes the next push frame received so far (RESP3 pub/sub messages,
    /// invalidations), reading for at most `timeout` if none is waiting.
    /// Pushes arrive only while something reads the socket: a connection
    /// left alone keeps them in the socket until then. At most the
    /// [push capacity](Self::set_push_capacity) of them wait here; see
    /// [`missed_pushes`](Self::missed_pushes) for those dropped beyond it.
    pub fn next_push(&mut self, timeout: Duration) -> Result<Option<Frame>> {
        if let Some(p) = self.pushes.pop() {
            return Ok(Some(p));
        }
        match self.read_frame(Some(timeout))? {
            Some(f @ Frame::Push(_)) => Ok(Some(f)),
            Some(other) => Err(Error::new(
                ErrorKind::Protocol,
                format!("a {} arrived while no reply was due", other.kind()),
            )),
            None => Ok(None),
        }
    }
}

/// A reply the server sent RESP3 attributes before: an error reply is an
/// `Err`; otherwise the attributes stay only when `keep`.
#[cold]
fn annotated_reply(frame: Frame, keep: bool) -> Result<Frame> {
    let frame = if keep {
        frame
    } else {
        without_attributes(frame)
    };
    let message = match &frame {
        Frame::Attribute { data, .. } => data.error_message(),
        f => f.error_message(),
    };
    match message {
        Some(m) => Err(Error::from_server_reply(m)),
        None => Ok(frame),
    }
}

/// The second argument of an encoded command, upper-cased (the subcommand
/// of `CLIENT ...`); empty when there is none.
fn second_word(encoded: &[u8]) -> String {
    let mut rest = encoded;
    let mut word = String::new();
    for _ in 0..2 {
        let Some(start) = rest.iter().position(|&b| b == b'$') else {
            return String::new();
        };
        rest = &rest[start + 1..];
        let Some(cr) = rest.iter().position(|&b| b == b'\r') else {
            return String::new();
        };
        let len = std::str::from_utf8(&rest[..cr])
            .ok()
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(0);
        let Some(bytes) = rest.get(cr + 2..cr + 2 + len) else {
            return String::new();
        };
        word = String::from_utf8_lossy(bytes).to_ascii_uppercase();
        rest = &rest[cr + 2 + len..];
    }
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_window_follows_the_reads() {
        let mut w = MIN_READ_WINDOW;
        // Full reads double it, up to the maximum.
        for _ in 0..20 {
            w = next_read_window(w, w, w);
        }
        assert_eq!(w, MAX_READ_WINDOW);
        // A window cut short by the buffer's room changes nothing.
        assert_eq!(next_read_window(w, 100, 100), w);
        assert_eq!(next_read_window(w, 100, 1), w);
        // Small reads halve it, down to the minimum.
        for _ in 0..20 {
            w = next_read_window(w, w, 10);
        }
        assert_eq!(w, MIN_READ_WINDOW);
        // Reads between a quarter and all of it keep it.
        assert_eq!(next_read_window(w, w, w / 2), w);
    }
}
