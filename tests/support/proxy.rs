//! A fault-injecting TCP proxy for the fault tests.
//!
//! [`Proxy::start`] listens on a free `127.0.0.1` port and forwards every
//! connection it accepts to a real server's port. A test points its client
//! at [`Proxy::url`] and switches the proxy's [`Mode`] at run time with
//! [`Proxy::set_mode`] to make the network misbehave: delay or swallow
//! replies, drop exactly one reply, cut a reply short, inject bytes that are
//! not RESP, reset connections, refuse new ones.
//!
//! The proxy is plain `std::net` with threads (one accept thread, two pump
//! threads per connection), so it works the same under any tokio runtime
//! flavour and from blocking tests. Dropping the [`Proxy`] closes its
//! listener and every connection; its threads end by themselves shortly
//! after (every blocking call in them is bounded by a short timeout).
//!
//! Faults apply to the server -> client direction unless a mode says
//! otherwise; the client -> server direction is always forwarded as is (but
//! [`Mode::Reset`] and friends end both directions). A new connection uses
//! the mode current when its bytes flow.
//!
//! To know where one reply ends and the next begins, the server -> client
//! pump runs a small RESP2/RESP3 frame boundary scanner of its own
//! ([`frame_end`]); it does not use the crate's parser, so that a bug there
//! cannot hide itself here.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the proxy does to the traffic. Switch with [`Proxy::set_mode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forward both ways, untouched.
    Pass,
    /// Hold each chunk read from the server for this long before
    /// forwarding it (chunks stay in order, so delays add up).
    Delay(Duration),
    /// Keep every connection open but swallow everything the server sends
    /// (whole reply frames are dropped; the client's bytes still reach the
    /// server).
    StopAnswering,
    /// Drop exactly one complete reply frame (the next one that is not a
    /// RESP3 push, on whichever connection it comes first), then switch back
    /// to [`Mode::Pass`] by itself.
    DropNextReply,
    /// Reset every current connection (`SO_LINGER` 0 and close: the client
    /// sees `ECONNRESET`) and reset every new one right after accepting it.
    Reset,
    /// Close the listener, so new connections are refused
    /// (`ECONNREFUSED`); existing connections keep going. Any other mode
    /// listens again on the same port.
    Refuse,
    /// Accept, forward the first `n` complete reply frames of each
    /// connection, then reset it (`0`: right after accepting). With `n`
    /// equal to the number of handshake replies, every connection breaks
    /// right after it opened. Connections that already forwarded `n`
    /// frames are reset at their next reply.
    ResetAfterFrames(usize),
    /// Reset each connection accepted in this mode this long after it was
    /// accepted, whatever it carries.
    ResetAfter(Duration),
    /// Forward only the first part of the next reply frame (at least one
    /// byte, never all of it), then close the connection (FIN, no RST);
    /// back to [`Mode::Pass`] afterwards.
    Truncate,
    /// Forward the next complete reply frame, then inject [`GARBAGE`]
    /// (bytes that are not RESP) after it; back to [`Mode::Pass`]
    /// afterwards.
    GarbageAfterFrame,
    /// Forward server -> client one byte at a time, sleeping this long
    /// after each byte.
    SlowDrip(Duration),
}

impl Mode {
    /// Modes that forward whatever arrives as it arrives (possibly slowed).
    fn streams(self) -> bool {
        matches!(
            self,
            Mode::Pass | Mode::Refuse | Mode::Delay(_) | Mode::SlowDrip(_) | Mode::ResetAfter(_)
        )
    }
}

/// What [`Mode::GarbageAfterFrame`] injects: `?` is no RESP type byte.
pub const GARBAGE: &[u8] = b"?garbage\r\n";

/// How long a pump blocks in one read or write before it looks at the
/// connection's state again.
const POLL: Duration = Duration::from_millis(25);
/// How long the accept thread sleeps when no connection is waiting.
const ACCEPT_POLL: Duration = Duration::from_millis(2);
/// How long [`Mode::ResetAfterFrames`] lets the last frame travel before it
/// resets the connection (so the client reads the frame first).
const LAST_FRAME_GRACE: Duration = Duration::from_millis(10);

/// A running proxy (see the module docs). Dropping it stops it.
pub struct Proxy {
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

struct Shared {
    target: SocketAddr,
    listen: SocketAddr,
    mode: Mutex<Mode>,
    listener: Mutex<Option<TcpListener>>,
    conns: Mutex<Vec<Weak<Conn>>>,
    accepted: AtomicUsize,
    fired: AtomicUsize,
    stop: AtomicBool,
}

/// One proxied connection: the client's socket and ours to the server.
struct Conn {
    client: TcpStream,
    server: TcpStream,
    dead: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `SO_LINGER` on with a zero timeout: closing the socket sends RST.
fn set_linger_zero(s: &TcpStream) {
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket descriptor and a correctly sized option value.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &l as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

impl Conn {
    fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// Ends the connection. With `reset`, both sockets send RST when they
    /// close; otherwise the client gets a FIN after what was forwarded.
    /// The pumps wake up (the read side is shut down), see the flag, and
    /// exit; the sockets close when the last pump lets go of them.
    fn kill(&self, reset: bool) {
        if self.dead.swap(true, Ordering::AcqRel) {
            return;
        }
        if reset {
            set_linger_zero(&self.client);
            set_linger_zero(&self.server);
        } else {
            let _ = self.client.shutdown(Shutdown::Write);
            let _ = self.server.shutdown(Shutdown::Write);
        }
        let _ = self.client.shutdown(Shutdown::Read);
        let _ = self.server.shutdown(Shutdown::Read);
    }

    /// Writes all of `bytes` to `to`, retrying on the short write timeout
    /// until done or the connection is killed. False when it could not.
    fn write_all(&self, mut to: &TcpStream, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            if self.is_dead() {
                return false;
            }
            match to.write(bytes) {
                Ok(0) => return false,
                Ok(n) => bytes = &bytes[n..],
                Err(e) if retry(&e) => {}
                Err(_) => return false,
            }
        }
        true
    }
}

fn retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

impl Shared {
    fn mode(&self) -> Mode {
        *lock(&self.mode)
    }

    /// Fires a one-shot fault: true (and the mode is back to `Pass`) if the
    /// mode still was `which`; false if another connection fired it first
    /// or the test changed the mode meanwhile.
    fn fire(&self, which: Mode) -> bool {
        let mut m = lock(&self.mode);
        if *m == which {
            *m = Mode::Pass;
            self.fired.fetch_add(1, Ordering::AcqRel);
            true
        } else {
            false
        }
    }

    fn live_conns(&self) -> Vec<Arc<Conn>> {
        let mut conns = lock(&self.conns);
        conns.retain(|w| w.strong_count() > 0);
        conns.iter().filter_map(Weak::upgrade).collect()
    }

    fn bind(&self) -> TcpListener {
        // The port was ours a moment ago; the kernel may take a moment to
        // let it go after a close.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match TcpListener::bind(self.listen) {
                Ok(l) => {
                    l.set_nonblocking(true).unwrap();
                    return l;
                }
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("the proxy could not listen on {} again: {e}", self.listen),
            }
        }
    }
}

impl Proxy {
    /// A proxy on a free loopback port forwarding to `127.0.0.1:target_port`,
    /// in [`Mode::Pass`].
    pub fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let shared = Arc::new(Shared {
            target: SocketAddr::from(([127, 0, 0, 1], target_port)),
            listen: listener.local_addr().unwrap(),
            mode: Mutex::new(Mode::Pass),
            listener: Mutex::new(Some(listener)),
            conns: Mutex::new(Vec::new()),
            accepted: AtomicUsize::new(0),
            fired: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let accept = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("proxy-accept".into())
                .spawn(move || accept_loop(shared))
                .unwrap()
        };
        Proxy {
            shared,
            accept: Some(accept),
        }
    }

    /// A proxy in front of a test server.
    pub fn to(server: &super::Server) -> Proxy {
        Proxy::start(server.port())
    }

    /// The port the proxy listens on.
    pub fn port(&self) -> u16 {
        self.shared.listen.port()
    }

    /// `redis://127.0.0.1:PORT` of the proxy.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port())
    }

    /// The current mode (one-shot modes turn back into [`Mode::Pass`] once
    /// they fired).
    pub fn mode(&self) -> Mode {
        self.shared.mode()
    }

    /// Switches the mode. [`Mode::Reset`] also resets every current
    /// connection before it returns; [`Mode::Refuse`] closes the listener
    /// before it returns, and any other mode listens again (on the same
    /// port) before it returns.
    pub fn set_mode(&self, mode: Mode) {
        {
            let mut listener = lock(&self.shared.listener);
            if mode == Mode::Refuse {
                // Connections the kernel completed already are existing
                // ones: take them over before closing the listener.
                if let Some(l) = listener.take() {
                    while let Ok((client, _)) = l.accept() {
                        handle(&self.shared, client);
                    }
                }
            } else if listener.is_none() {
                *listener = Some(self.shared.bind());
            }
            *lock(&self.shared.mode) = mode;
        }
        if mode == Mode::Reset {
            self.reset_connections();
        }
    }

    /// Resets every current connection (RST to both ends), whatever the mode.
    pub fn reset_connections(&self) {
        for c in self.shared.live_conns() {
            c.kill(true);
        }
    }

    /// How many connections the proxy accepted so far (including those it
    /// reset right away).
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::Acquire)
    }

    /// How many proxied connections are open now.
    pub fn open_connections(&self) -> usize {
        self.shared
            .live_conns()
            .iter()
            .filter(|c| !c.is_dead())
            .count()
    }

    /// How many one-shot faults ([`Mode::DropNextReply`], [`Mode::Truncate`],
    /// [`Mode::GarbageAfterFrame`]) fired so far.
    pub fn fired(&self) -> usize {
        self.shared.fired.load(Ordering::Acquire)
    }

    /// Waits until at least `n` one-shot faults fired; false on timeout.
    pub fn wait_fired(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.fired() < n {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        *lock(&self.shared.listener) = None;
        self.reset_connections();
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(shared: Arc<Shared>) {
    while !shared.stop.load(Ordering::Acquire) {
        let accepted = {
            let listener = lock(&shared.listener);
            match listener.as_ref().map(|l| l.accept()) {
                Some(Ok((client, _))) => Some(client),
                _ => None,
            }
        };
        let Some(client) = accepted else {
            std::thread::sleep(ACCEPT_POLL);
            continue;
        };
        handle(&shared, client);
    }
}

/// Takes over an accepted connection: resets it at once or connects it to
/// the server and starts its pumps.
fn handle(shared: &Arc<Shared>, client: TcpStream) {
    shared.accepted.fetch_add(1, Ordering::AcqRel);
    let mode = shared.mode();
    if matches!(mode, Mode::Reset | Mode::ResetAfterFrames(0))
        || mode == Mode::ResetAfter(Duration::ZERO)
    {
        set_linger_zero(&client);
        drop(client);
        return;
    }
    let server = match TcpStream::connect_timeout(&shared.target, Duration::from_secs(2)) {
        Ok(s) => s,
        Err(_) => {
            set_linger_zero(&client);
            return;
        }
    };
    let setup = |s: &TcpStream| {
        s.set_nonblocking(false)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(POLL))?;
        s.set_write_timeout(Some(POLL))
    };
    if setup(&client).and_then(|()| setup(&server)).is_err() {
        set_linger_zero(&client);
        return;
    }
    let conn = Arc::new(Conn {
        client,
        server,
        dead: AtomicBool::new(false),
    });
    lock(&shared.conns).push(Arc::downgrade(&conn));
    if let Mode::ResetAfter(after) = mode {
        let conn = conn.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + after;
            while !conn.is_dead() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2).min(after));
            }
            conn.kill(true);
        });
    }
    {
        let conn = conn.clone();
        std::thread::spawn(move || pump_up(conn));
    }
    let shared = shared.clone();
    std::thread::spawn(move || pump_down(conn, shared));
}

/// Client -> server: forwarded as is.
fn pump_up(conn: Arc<Conn>) {
    let mut buf = vec![0u8; 64 * 1024];
    while !conn.is_dead() {
        match (&conn.client).read(&mut buf) {
            Ok(0) => {
                // The client closed its side: pass the FIN on.
                let _ = conn.server.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => {
                if !conn.write_all(&conn.server, &buf[..n]) {
                    conn.kill(true);
                    return;
                }
            }
            Err(e) if retry(&e) => {}
            Err(_) => {
                conn.kill(true);
                return;
            }
        }
    }
}

/// Server -> client, through the scanner and the mode.
fn pump_down(conn: Arc<Conn>, shared: Arc<Shared>) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut down = Down {
        pending: Vec::new(),
        sent: 0,
        frames: 0,
        raw: false,
    };
    while !conn.is_dead() {
        match (&conn.server).read(&mut buf) {
            Ok(0) => {
                // The server closed: forward what is due, then the FIN.
                if !conn.is_dead() && shared.mode().streams() {
                    let rest = down.pending.split_off(down.sent);
                    conn.write_all(&conn.client, &rest);
                }
                conn.kill(false);
                return;
            }
            Ok(n) => down.pending.extend_from_slice(&buf[..n]),
            Err(e) if retry(&e) => continue,
            Err(_) => {
                conn.kill(true);
                return;
            }
        }
        if !down.process(&conn, &shared) {
            return;
        }
    }
}

/// The server -> client state of one connection.
struct Down {
    /// Bytes from the start of the first reply frame not yet complete or
    /// not yet handled, through everything read so far.
    pending: Vec<u8>,
    /// How many bytes at the start of `pending` were forwarded already
    /// (part of a frame in progress, in a streaming mode).
    sent: usize,
    /// Complete frames forwarded on this connection.
    frames: usize,
    /// The scanner met bytes that are not RESP: forward raw from now on.
    raw: bool,
}

impl Down {
    /// Writes `bytes` to the client, paced by the mode. False if the
    /// connection is gone.
    fn forward(conn: &Conn, mode: Mode, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return true;
        }
        match mode {
            Mode::Delay(d) => {
                std::thread::sleep(d);
                conn.write_all(&conn.client, bytes)
            }
            Mode::SlowDrip(d) => {
                for b in bytes.chunks(1) {
                    if !conn.write_all(&conn.client, b) {
                        return false;
                    }
                    std::thread::sleep(d);
                }
                true
            }
            _ => conn.write_all(&conn.client, bytes),
        }
    }

    /// The end of the first complete frame in `pending`, if there is one.
    fn first_frame(&mut self) -> Option<usize> {
        if self.raw {
            return None;
        }
        match frame_end(&self.pending, 0) {
            Ok(end) => end,
            Err(_) => {
                self.raw = true;
                None
            }
        }
    }

    /// Drops the first `len` bytes (a complete frame) from `pending`.
    fn consume(&mut self, len: usize) {
        self.pending.drain(..len);
        self.sent = self.sent.saturating_sub(len);
    }

    /// Handles what is in `pending` under the current mode. False when the
    /// connection ended.
    fn process(&mut self, conn: &Conn, shared: &Shared) -> bool {
        loop {
            if conn.is_dead() {
                return false;
            }
            if self.pending.is_empty() {
                return true;
            }
            let mode = shared.mode();
            if self.raw || mode.streams() {
                // Forward everything now, then step over the complete frames.
                if !Self::forward(conn, mode, &self.pending[self.sent..]) {
                    conn.kill(true);
                    return false;
                }
                self.sent = self.pending.len();
                if self.raw {
                    self.pending.clear();
                    self.sent = 0;
                    return true;
                }
                let mut at = 0;
                loop {
                    match frame_end(&self.pending, at) {
                        Ok(Some(end)) => {
                            at = end;
                            self.frames += 1;
                        }
                        Ok(None) => break,
                        Err(_) => {
                            self.raw = true;
                            at = self.pending.len();
                            break;
                        }
                    }
                }
                self.consume(at);
                return true;
            }
            let Some(len) = self.first_frame() else {
                if self.raw {
                    continue;
                }
                // Incomplete: a frame already started goes on as it comes;
                // otherwise wait for the whole frame before deciding.
                if self.sent > 0 {
                    if !Self::forward(conn, mode, &self.pending[self.sent..]) {
                        conn.kill(true);
                        return false;
                    }
                    self.sent = self.pending.len();
                }
                return true;
            };
            if self.sent > 0 {
                // Finish the frame already started, whatever the mode.
                if !Self::forward(conn, Mode::Pass, &self.pending[self.sent..len]) {
                    conn.kill(true);
                    return false;
                }
                self.frames += 1;
                self.consume(len);
                continue;
            }
            match mode {
                Mode::StopAnswering => {
                    self.consume(len);
                    continue;
                }
                Mode::Reset => {
                    conn.kill(true);
                    return false;
                }
                Mode::ResetAfterFrames(n) => {
                    if self.frames >= n {
                        conn.kill(true);
                        return false;
                    }
                    if !Self::forward(conn, mode, &self.pending[..len]) {
                        conn.kill(true);
                        return false;
                    }
                    self.frames += 1;
                    self.consume(len);
                    if self.frames >= n {
                        std::thread::sleep(LAST_FRAME_GRACE);
                        conn.kill(true);
                        return false;
                    }
                    continue;
                }
                Mode::DropNextReply => {
                    let push = self.pending[0] == b'>';
                    if push || !shared.fire(Mode::DropNextReply) {
                        if !Self::forward(conn, Mode::Pass, &self.pending[..len]) {
                            conn.kill(true);
                            return false;
                        }
                        self.frames += 1;
                    }
                    self.consume(len);
                    continue;
                }
                Mode::Truncate => {
                    if shared.fire(Mode::Truncate) {
                        let cut = (len / 2).clamp(1, len - 1);
                        Self::forward(conn, Mode::Pass, &self.pending[..cut]);
                        // Let the partial frame reach the client before the FIN.
                        conn.kill(false);
                        return false;
                    }
                    continue;
                }
                Mode::GarbageAfterFrame => {
                    let ok = Self::forward(conn, Mode::Pass, &self.pending[..len]);
                    self.frames += 1;
                    self.consume(len);
                    if !ok {
                        conn.kill(true);
                        return false;
                    }
                    if shared.fire(Mode::GarbageAfterFrame)
                        && !conn.write_all(&conn.client, GARBAGE)
                    {
                        conn.kill(true);
                        return false;
                    }
                    continue;
                }
                // Handled above (streaming modes).
                Mode::Pass
                | Mode::Refuse
                | Mode::Delay(_)
                | Mode::SlowDrip(_)
                | Mode::ResetAfter(_) => continue,
            }
        }
    }
}

/// Where the RESP2/RESP3 value starting at `buf[at]` ends (the index just
/// past it): `Ok(Some(end))` when it is complete, `Ok(None)` when more
/// bytes are needed, `Err` when the bytes are not RESP.
///
/// Handles every type: simple strings, errors, integers, bulk strings and
/// bulk errors (with RESP2's `$-1` null), arrays (with `*-1`), nulls,
/// booleans, doubles, big numbers, verbatim strings, maps, sets, pushes,
/// attributes (an attribute and the value it annotates are one frame),
/// streamed strings (`$?` with `;` chunks) and streamed aggregates (`*?`,
/// `~?`, `%?`, `>?` ended by `.`). Nesting is tracked on an explicit stack,
/// so depth costs no recursion.
pub fn frame_end(buf: &[u8], at: usize) -> Result<Option<usize>, String> {
    /// What an open aggregate still needs.
    enum Open {
        /// This many more values.
        Count(u64),
        /// Values until the `.` end marker.
        Streamed,
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut pos = at;
    loop {
        // One header line: type byte, content, CRLF.
        let Some(&kind) = buf.get(pos) else {
            return Ok(None);
        };
        let Some(cr) = find_crlf(buf, pos + 1) else {
            return Ok(None);
        };
        let line = &buf[pos + 1..cr];
        let next = cr + 2;
        let number = |line: &[u8]| -> Result<i64, String> {
            std::str::from_utf8(line)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| format!("bad length {:?}", String::from_utf8_lossy(line)))
        };
        // Some(end): one complete value ended at `end`; None: an aggregate
        // opened (or a streamed one continues).
        let complete: Option<usize> = match kind {
            b'+' | b'-' | b':' | b',' | b'#' | b'_' | b'(' => Some(next),
            b'$' | b'!' | b'=' if line == b"?" => {
                // Streamed string: `;len\r\n<bytes>\r\n` chunks until `;0`.
                let mut p = next;
                loop {
                    let Some(&b) = buf.get(p) else {
                        return Ok(None);
                    };
                    if b != b';' {
                        return Err(format!("expected a `;` chunk at {p}"));
                    }
                    let Some(cr) = find_crlf(buf, p + 1) else {
                        return Ok(None);
                    };
                    let n = number(&buf[p + 1..cr])?;
                    if n < 0 {
                        return Err("negative chunk length".into());
                    }
                    if n == 0 {
                        break Some(cr + 2);
                    }
                    let end = cr + 2 + n as usize;
                    if buf.len() < end + 2 {
                        return Ok(None);
                    }
                    if &buf[end..end + 2] != b"\r\n" {
                        return Err("a chunk does not end with CRLF".into());
                    }
                    p = end + 2;
                }
            }
            b'$' | b'!' | b'=' => {
                let n = number(line)?;
                if n == -1 && kind == b'$' {
                    Some(next)
                } else if n < 0 {
                    return Err(format!("negative length {n}"));
                } else {
                    let end = next + n as usize;
                    if buf.len() < end + 2 {
                        return Ok(None);
                    }
                    if &buf[end..end + 2] != b"\r\n" {
                        return Err("a bulk string does not end with CRLF".into());
                    }
                    Some(end + 2)
                }
            }
            b'*' | b'~' | b'>' | b'%' | b'|' if line == b"?" => {
                if kind == b'|' {
                    return Err("streamed attribute".into());
                }
                stack.push(Open::Streamed);
                None
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n = number(line)?;
                if n == -1 && kind == b'*' {
                    Some(next)
                } else if n < 0 {
                    return Err(format!("negative count {n}"));
                } else {
                    let n = n as u64;
                    let values = match kind {
                        b'%' => 2 * n,
                        // The attribute's pairs, then the value it annotates.
                        b'|' => 2 * n + 1,
                        _ => n,
                    };
                    if values == 0 {
                        Some(next)
                    } else {
                        stack.push(Open::Count(values));
                        None
                    }
                }
            }
            b'.' => match stack.last() {
                Some(Open::Streamed) if line.is_empty() => {
                    stack.pop();
                    Some(next)
                }
                _ => return Err("`.` outside a streamed aggregate".into()),
            },
            other => return Err(format!("{:?} is not a RESP type byte", other as char)),
        };
        pos = next;
        let Some(end) = complete else {
            continue;
        };
        pos = end;
        // A value completed: count it against the open aggregates.
        loop {
            match stack.last_mut() {
                None => return Ok(Some(pos)),
                Some(Open::Streamed) => break,
                Some(Open::Count(n)) => {
                    *n -= 1;
                    if *n > 0 {
                        break;
                    }
                    stack.pop();
                }
            }
        }
    }
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    let rest = buf.get(from..)?;
    rest.windows(2).position(|w| w == b"\r\n").map(|i| from + i)
}
