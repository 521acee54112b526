//! The `std::net` driver: one connection used from one thread at a time.
//!
//! It runs the same [`Handshake`] and [`Incoming`] as the tokio driver;
//! only the socket calls differ. A connection whose reply stream may be out
//! of step (an I/O error, a protocol error, or a read timeout in the middle
//! of a reply) is marked broken and refuses further use, so a late reply can
//! never be taken for the answer to a later command.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use bytes::BytesMut;

use super::config::{Addr, ConnectionConfig};
use super::handshake::{Handshake, Progress, ServerInfo};
use super::incoming::{Incoming, Routed};
use crate::cmd::Command;
use crate::error::{Error, ErrorKind, Result};
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
                    "rediss:// needs respec's `tls` feature",
                )),
            }
        }
        Addr::Unix(path) => Ok(Stream::Unix(
            UnixStream::connect(path).map_err(|e| connect_error(cfg, e))?,
        )),
    }
}

/// A blocking connection to one server.
pub struct Connection {
    stream: Stream,
    incoming: Incoming,
    out: BytesMut,
    info: ServerInfo,
    pushes: VecDeque<Frame>,
    response_timeout: Option<Duration>,
    /// Why the connection can no longer be used, once it cannot.
    broken: Option<String>,
    /// How many bytes the next read offers the socket (see
    /// [`next_read_window`]).
    read_window: usize,
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

impl Connection {
    /// Connects and runs the handshake, within the connect timeout.
    pub fn connect(cfg: &ConnectionConfig) -> Result<Self> {
        let stream = open_stream(cfg)?;
        stream.set_read_timeout(cfg.connect_timeout)?;
        stream.set_write_timeout(cfg.connect_timeout)?;
        let mut conn = Connection {
            stream,
            incoming: Incoming::new(cfg.limits),
            out: BytesMut::with_capacity(4096),
            info: ServerInfo::default(),
            pushes: VecDeque::new(),
            response_timeout: cfg.response_timeout,
            broken: None,
            read_window: MIN_READ_WINDOW,
        };
        let mut hs = Handshake::new(cfg);
        hs.start(&mut conn.out);
        conn.info = loop {
            conn.flush()?;
            let frame = conn.read_reply().map_err(|e| {
                if e.is_timeout() {
                    Error::new(
                        ErrorKind::Timeout,
                        format!("the handshake with {} timed out", cfg.addr),
                    )
                } else {
                    e
                }
            })?;
            if let Progress::Done(info) = hs.on_reply(frame, &mut conn.out)? {
                break info;
            }
        };
        conn.stream.set_read_timeout(cfg.response_timeout)?;
        conn.stream.set_write_timeout(cfg.response_timeout)?;
        Ok(conn)
    }

    /// What the server reported about itself during the handshake.
    pub fn server_info(&self) -> &ServerInfo {
        &self.info
    }

    /// True once an error left the connection unusable.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
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
                self.broken = Some(format!("unusable after an earlier error: {e}"));
            }
        }
        r
    }

    fn flush(&mut self) -> Result<()> {
        let r = (|| {
            self.stream.write_all(&self.out)?;
            self.stream.flush()?;
            Ok(())
        })();
        self.out.clear();
        self.guard(r)
    }

    /// Reads the next frame, whatever it is.
    fn read_routed(&mut self) -> Result<Routed> {
        let r = (|| loop {
            if let Some(routed) = self.incoming.next_frame()? {
                return Ok(routed);
            }
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
                Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
                Err(e) => {
                    buf.truncate(len);
                    return Err(e.into());
                }
            };
            buf.truncate(len + n);
            self.read_window = next_read_window(self.read_window, window, n);
            if n == 0 {
                return Err(Error::new(
                    ErrorKind::ConnectionClosed,
                    "the server closed the connection",
                ));
            }
        })();
        self.guard(r)
    }

    /// Reads frames until a reply, keeping push frames for [`next_push`](Self::next_push).
    fn read_reply(&mut self) -> Result<Frame> {
        loop {
            match self.read_routed()? {
                Routed::Reply(f) => return Ok(f),
                Routed::Push(p) => self.pushes.push_back(p),
            }
        }
    }

    /// Sends one command and returns its reply; an error reply is an `Err`
    /// naming the command.
    pub fn send<C: Command + ?Sized>(&mut self, cmd: &C) -> Result<Frame> {
        self.check()?;
        super::aio::check_version(cmd, &self.info)?;
        cmd.encode(&mut self.out);
        let r = self.flush().and_then(|_| self.read_reply());
        match r {
            Ok(f) => match f.error_message() {
                Some(m) => Err(Error::from_server_reply(m).for_command(cmd.name())),
                None => Ok(f),
            },
            Err(e) => Err(e.for_command(cmd.name())),
        }
    }

    /// Like [`send`](Self::send), but waits for the reply without the
    /// response timeout (for blocking commands such as `BLPOP`, which carry
    /// their own timeout).
    pub fn send_untimed<C: Command + ?Sized>(&mut self, cmd: &C) -> Result<Frame> {
        self.stream.set_read_timeout(None)?;
        let r = self.send(cmd);
        let restored = self.stream.set_read_timeout(self.response_timeout);
        let frame = r?;
        restored?;
        Ok(frame)
    }

    /// Sends every command in one write and returns every reply, in order,
    /// error replies included as frames.
    pub fn send_pipeline<C: Command>(&mut self, cmds: &[C]) -> Result<Vec<Frame>> {
        self.check()?;
        for c in cmds {
            super::aio::check_version(c, &self.info)?;
        }
        for c in cmds {
            c.encode(&mut self.out);
        }
        self.flush()?;
        (0..cmds.len()).map(|_| self.read_reply()).collect()
    }

    /// Sends already-encoded commands and reads `replies` replies, error
    /// replies included as frames.
    pub fn send_raw(&mut self, bytes: &[u8], replies: usize) -> Result<Vec<Frame>> {
        self.check()?;
        self.out.extend_from_slice(bytes);
        self.flush()?;
        (0..replies).map(|_| self.read_reply()).collect()
    }

    /// Writes a command without waiting for its reply (for commands whose
    /// answers come as push frames, such as `SUBSCRIBE` on RESP3).
    pub fn write_command<C: Command + ?Sized>(&mut self, cmd: &C) -> Result<()> {
        self.check()?;
        cmd.encode(&mut self.out);
        self.flush()
    }

    /// Reads the next frame of any kind, push or reply, waiting at most
    /// `timeout` (`None`: the response timeout). `Ok(None)` when nothing came
    /// in time; the connection stays usable in that case.
    pub fn read_frame(&mut self, timeout: Option<Duration>) -> Result<Option<Frame>> {
        self.check()?;
        if let Some(p) = self.pushes.pop_front() {
            return Ok(Some(p));
        }
        if let Some(routed) = self.incoming.next_frame().map_err(Error::from)? {
            return Ok(Some(match routed {
                Routed::Reply(f) | Routed::Push(f) => f,
            }));
        }
        let t = timeout.or(self.response_timeout);
        self.stream.set_read_timeout(t)?;
        let pending = self.incoming.buf.len();
        let r = self.read_routed();
        self.stream.set_read_timeout(self.response_timeout)?;
        match r {
            Ok(Routed::Reply(f) | Routed::Push(f)) => Ok(Some(f)),
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
    pub fn next_push(&mut self, timeout: Duration) -> Result<Option<Frame>> {
        if let Some(p) = self.pushes.pop_front() {
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
