//! Faults between the client and a real Redis 8.2.3: replies lost, late,
//! cut short or followed by garbage, connections reset or refused, futures
//! dropped at any point. Every test runs its own server behind its own
//! fault-injecting proxy (`support::proxy`), uses a unique value per key and
//! checks every reply: a reply may fail, but it may never be another
//! request's reply.
//!
//! Everything is bounded: each wait is wrapped in a timeout, each loop runs
//! for a bounded count and time, and only loopback addresses are used.
//!
//! The first tests check the proxy itself with a raw TCP client, so that a
//! failing client test can be trusted to be the client's fault.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use respec::connection::{ConnectionConfig, DEFAULT_RESPONSE_TIMEOUT};
use respec::prelude::*;
use respec::{Cmd, Error, ErrorKind, Frame, Pipeline};
use support::proxy::{frame_end, Mode, Proxy, GARBAGE};
use support::{Kind, Server};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a.iter().copied()).expect("non-empty")
}

/// Guards against a hang: panics naming `what` if `f` takes longer.
async fn within<T>(limit: Duration, what: &str, f: impl std::future::IntoFuture<Output = T>) -> T {
    match tokio::time::timeout(limit, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: still pending after {limit:?} (hung)"),
    }
}

/// Runs `f` on a thread and waits for it at most `limit`.
fn within_thread<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: still running after {limit:?} (hung)")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}

/// A small xorshift generator; the seed is printed so a failure can be
/// replayed by setting `RESPEC_FAULT_SEED`.
struct Rng(u64);

impl Rng {
    fn new(test: &str) -> Rng {
        static N: AtomicUsize = AtomicUsize::new(1);
        let seed = match std::env::var("RESPEC_FAULT_SEED") {
            Ok(s) => s.parse().expect("RESPEC_FAULT_SEED is a number"),
            Err(_) => {
                let t = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64;
                t ^ (N.fetch_add(1, Ordering::Relaxed) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    | 1
            }
        };
        eprintln!("{test}: RESPEC_FAULT_SEED={seed}");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Keys with a unique value each: `{prefix}:k:{i}` holds `v:{i}:{token}`.
#[derive(Clone)]
struct Data {
    prefix: String,
    token: String,
    n: usize,
}

impl Data {
    fn new(prefix: &str, n: usize) -> Data {
        let mut rng = Rng(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1);
        Data {
            prefix: prefix.to_string(),
            token: format!("{:016x}{:08x}", rng.next(), std::process::id()),
            n,
        }
    }

    fn key(&self, i: usize) -> String {
        format!("{}:k:{i}", self.prefix)
    }

    fn value(&self, i: usize) -> String {
        format!("v:{i}:{}", self.token)
    }

    fn get(&self, i: usize) -> Cmd {
        args(&["GET", &self.key(i)])
    }

    /// Writes every key straight to the server (not through the proxy).
    async fn seed(&self, server: &Server) {
        let direct = respec::Client::open(&server.url()).unwrap();
        for chunk in (0..self.n).collect::<Vec<_>>().chunks(500) {
            let mut pipe = Pipeline::new();
            for &i in chunk {
                pipe.add(args(&["SET", &self.key(i), &self.value(i)]));
            }
            let results = within(Duration::from_secs(20), "seeding", pipe.execute(&direct))
                .await
                .expect("seeding");
            assert!(results.iter().all(|r| r.is_ok()), "seeding failed");
        }
    }

    /// [`seed`](Self::seed) for blocking tests.
    fn seed_blocking(&self, server: &Server) {
        let direct = respec::blocking::Client::open(&server.url()).unwrap();
        for chunk in (0..self.n).collect::<Vec<_>>().chunks(500) {
            let mut pipe = Pipeline::new();
            for &i in chunk {
                pipe.add(args(&["SET", &self.key(i), &self.value(i)]));
            }
            let results = pipe.execute_blocking(&direct).expect("seeding");
            assert!(results.iter().all(|r| r.is_ok()), "seeding failed");
        }
    }
}

/// What became of one request.
#[derive(Debug)]
enum Verdict {
    /// Its own value.
    Right,
    /// Anything else that is not an error: another request's reply.
    Wrong(String),
    /// An error.
    Failed(Error),
}

fn judge(expected: &str, r: respec::Result<Frame>) -> Verdict {
    match r {
        Ok(Frame::BulkString(b)) if b == expected.as_bytes() => Verdict::Right,
        Ok(other) => Verdict::Wrong(format!("{other:?}")),
        Err(e) => Verdict::Failed(e),
    }
}

/// Errors a fault may cause: the request timed out or its connection went.
fn fault_error(e: &Error) -> bool {
    e.is_timeout() || e.is_connection_dropped()
}

/// Counts of verdicts, with a few examples of each kind of failure.
#[derive(Default, Debug)]
struct Tally {
    right: usize,
    wrong: usize,
    wrong_examples: Vec<String>,
    failed: usize,
    /// Errors that are neither timeouts nor dropped connections.
    odd_errors: Vec<String>,
    error_kinds: std::collections::BTreeMap<String, usize>,
}

impl Tally {
    fn add(&mut self, what: &str, v: Verdict) {
        match v {
            Verdict::Right => self.right += 1,
            Verdict::Wrong(got) => {
                self.wrong += 1;
                if self.wrong_examples.len() < 5 {
                    self.wrong_examples.push(format!("{what} got {got}"));
                }
            }
            Verdict::Failed(e) => {
                self.failed += 1;
                *self
                    .error_kinds
                    .entry(format!("{:?}", e.kind()))
                    .or_default() += 1;
                if !fault_error(&e) && self.odd_errors.len() < 5 {
                    self.odd_errors.push(format!("{what}: {e} ({e:?})"));
                }
            }
        }
    }

    /// No reply reached the wrong caller and every error is one a fault
    /// may cause.
    fn assert_clean(&self, phase: &str) {
        assert_eq!(
            self.wrong, 0,
            "{phase}: {} replies reached the wrong caller, e.g. {:?} ({self:?})",
            self.wrong, self.wrong_examples
        );
        assert!(
            self.odd_errors.is_empty(),
            "{phase}: unexpected errors {:?} ({self:?})",
            self.odd_errors
        );
    }
}

/// Sends GETs for `indices` concurrently (one task each) and judges them.
async fn concurrent_gets(
    client: &respec::Client,
    data: &Data,
    indices: impl IntoIterator<Item = usize>,
    limit: Duration,
) -> Tally {
    let mut tasks = Vec::new();
    for i in indices {
        let client = client.clone();
        let data = data.clone();
        tasks.push(tokio::spawn(async move {
            let r = client.execute(&data.get(i)).await;
            (i, judge(&data.value(i), r))
        }));
    }
    let mut tally = Tally::default();
    for t in tasks {
        let (i, v) = within(limit, "a GET", t).await.unwrap();
        tally.add(&data.key(i), v);
    }
    tally
}

/// Waits (bounded) until the client answers a GET with the right value
/// again; any reply on the way must be the right one. Returns how many
/// attempts failed first.
async fn recover(client: &respec::Client, data: &Data, what: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut failures = Vec::new();
    loop {
        let r = within(
            Duration::from_secs(15),
            "a GET while recovering",
            client.execute(&data.get(0)),
        )
        .await;
        match judge(&data.value(0), r) {
            Verdict::Right => return failures.len(),
            Verdict::Wrong(got) => panic!("{what}: while recovering, a GET got {got}"),
            Verdict::Failed(e) => failures.push(format!("{e}")),
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the client did not recover within 10 s; errors: {:?}",
            &failures[failures.len().saturating_sub(5)..]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `n` concurrent GETs that must all be right.
async fn verify(client: &respec::Client, data: &Data, n: usize, what: &str) {
    let tally = concurrent_gets(client, data, 0..n, Duration::from_secs(30)).await;
    assert_eq!(
        tally.right, n,
        "{what}: the verification pass was not all right: {tally:?}"
    );
}

/// The blocking client's [`recover`].
fn recover_blocking(client: &respec::blocking::Client, data: &Data, what: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut failures = Vec::new();
    loop {
        match judge(&data.value(0), client.execute(&data.get(0))) {
            Verdict::Right => return failures.len(),
            Verdict::Wrong(got) => panic!("{what}: while recovering, a GET got {got}"),
            Verdict::Failed(e) => failures.push(format!("{e}")),
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the blocking client did not recover within 10 s; errors: {:?}",
            &failures[failures.len().saturating_sub(5)..]
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A blocking client's settings: the response timeout, and a connect
/// timeout (connecting plus the handshake) of 1 s, so that a reconnect
/// through a silent proxy ends within the test's bounds.
fn blocking_config(url: &str, response_timeout: Duration) -> ConnectionConfig {
    let mut cfg = ConnectionConfig::from_url(url).unwrap();
    cfg.response_timeout = Some(response_timeout);
    cfg.connect_timeout = Some(Duration::from_secs(1));
    // Each fault's own effect, not hidden by retries (`tests/resilience.rs`
    // tests those).
    cfg.retry = respec::retry::RetryPolicy::NEVER;
    cfg
}

/// A server and a proxy in front of it.
fn setup() -> (Server, Proxy) {
    let server = support::server(Kind::Redis);
    let proxy = Proxy::to(&server);
    (server, proxy)
}

/// A client through the proxy with this response timeout, connected (so
/// that a one-shot fault armed next does not hit the handshake). It retries
/// nothing, so that each fault's own effect shows (`tests/resilience.rs`
/// tests retries).
async fn connected_client(proxy: &Proxy, response_timeout: Duration) -> respec::Client {
    let client = respec::Client::builder(&proxy.url())
        .unwrap()
        .response_timeout(response_timeout)
        .retry(respec::retry::RetryPolicy::NEVER)
        .build();
    let pong = within(
        Duration::from_secs(10),
        "first PING",
        client.execute(&args(&["PING"])),
    )
    .await
    .expect("PING through the proxy");
    assert_eq!(pong, Frame::SimpleString("PONG".into()));
    client
}

// ---------------------------------------------------------------------------
// The proxy itself, through a raw TCP client
// ---------------------------------------------------------------------------

fn raw_connect(proxy: &Proxy) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    s
}

fn raw_send(s: &mut TcpStream, a: &[&str]) {
    let mut req = format!("*{}\r\n", a.len()).into_bytes();
    for x in a {
        req.extend(format!("${}\r\n{x}\r\n", x.len()).into_bytes());
    }
    s.write_all(&req).unwrap();
}

/// What a raw read sequence saw.
#[derive(Debug, PartialEq)]
enum RawEnd {
    /// Nothing more for `quiet`.
    Quiet,
    /// The peer closed (FIN).
    Eof,
    /// The peer reset the connection.
    Reset,
    /// Some other error.
    Other(std::io::ErrorKind),
}

/// Reads until nothing arrives for `quiet` (or EOF / reset, or `limit`):
/// the bytes, how many reads returned data, and how it ended.
fn raw_read(s: &mut TcpStream, quiet: Duration, limit: Duration) -> (Vec<u8>, usize, RawEnd) {
    let started = Instant::now();
    let mut last = Instant::now();
    let mut out = Vec::new();
    let mut reads = 0;
    let mut buf = [0u8; 4096];
    loop {
        if started.elapsed() > limit {
            return (out, reads, RawEnd::Quiet);
        }
        match s.read(&mut buf) {
            Ok(0) => return (out, reads, RawEnd::Eof),
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                reads += 1;
                last = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if last.elapsed() >= quiet {
                    return (out, reads, RawEnd::Quiet);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (out, reads, RawEnd::Reset)
            }
            Err(e) => return (out, reads, RawEnd::Other(e.kind())),
        }
    }
}

const QUIET: Duration = Duration::from_millis(300);
const LIMIT: Duration = Duration::from_secs(5);

#[test]
fn proxy_scanner_finds_frame_boundaries() {
    let mut deep = "*1\r\n".repeat(1000);
    deep.push_str(":1\r\n");
    let frames: Vec<&[u8]> = vec![
        b"+OK\r\n",
        b"-ERR no\r\n",
        b":-12\r\n",
        b"$5\r\nhello\r\n",
        b"$4\r\na\r\nb\r\n",
        b"$0\r\n\r\n",
        b"$-1\r\n",
        b"*-1\r\n",
        b"*0\r\n",
        b"*2\r\n$1\r\na\r\n*1\r\n:1\r\n",
        b"_\r\n",
        b"#t\r\n",
        b",1.5\r\n",
        b"(12345678901234567890\r\n",
        b"!3\r\nERR\r\n",
        b"=8\r\ntxt:abcd\r\n",
        b"%1\r\n+k\r\n*2\r\n:1\r\n:2\r\n",
        b"%0\r\n",
        b"~2\r\n+a\r\n+b\r\n",
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n",
        b"|1\r\n+key\r\n+val\r\n:42\r\n",
        b"*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n",
        b"$?\r\n;4\r\nHell\r\n;2\r\no!\r\n;0\r\n",
        b"*?\r\n:1\r\n*?\r\n.\r\n%?\r\n+a\r\n:1\r\n.\r\n.\r\n",
        b"~?\r\n+a\r\n.\r\n",
        deep.as_bytes(),
    ];
    for f in &frames {
        let text = String::from_utf8_lossy(f);
        assert_eq!(frame_end(f, 0), Ok(Some(f.len())), "{text:?}");
        for cut in 0..f.len() {
            assert_eq!(frame_end(&f[..cut], 0), Ok(None), "{text:?} cut at {cut}");
        }
        // Followed by another frame, and found at an offset.
        let mut two = f.to_vec();
        two.extend_from_slice(b"+NEXT\r\n");
        assert_eq!(frame_end(&two, 0), Ok(Some(f.len())), "{text:?}");
        assert_eq!(frame_end(&two, f.len()), Ok(Some(two.len())), "{text:?}");
    }
    for bad in [
        &b"?garbage\r\n"[..],
        b"$x\r\n",
        b"$3\r\nabcde\r\n",
        b".\r\n",
        b"*1\r\n?\r\n",
    ] {
        assert!(
            frame_end(bad, 0).is_err(),
            "{:?} is not RESP",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn proxy_pass_forwards_both_ways_and_counts_connections() {
    let (_server, proxy) = setup();
    assert_eq!(proxy.accepted(), 0);
    let mut s = raw_connect(&proxy);
    raw_send(&mut s, &["PING"]);
    raw_send(&mut s, &["ECHO", "hello"]);
    let (got, _, end) = raw_read(&mut s, QUIET, LIMIT);
    assert_eq!(got, b"+PONG\r\n$5\r\nhello\r\n");
    assert_eq!(end, RawEnd::Quiet);
    let mut t = raw_connect(&proxy);
    raw_send(&mut t, &["PING"]);
    assert_eq!(raw_read(&mut t, QUIET, LIMIT).0, b"+PONG\r\n");
    assert_eq!(proxy.accepted(), 2);
    assert_eq!(proxy.open_connections(), 2);
    // The client closing its side closes the connection through the proxy.
    drop(t);
    let deadline = Instant::now() + LIMIT;
    while proxy.open_connections() != 1 {
        assert!(Instant::now() < deadline, "the closed connection lingers");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn proxy_drop_next_reply_drops_exactly_one_reply() {
    let (_server, proxy) = setup();
    let mut s = raw_connect(&proxy);
    proxy.set_mode(Mode::DropNextReply);
    raw_send(&mut s, &["PING"]);
    raw_send(&mut s, &["PING"]);
    let (got, _, end) = raw_read(&mut s, QUIET, LIMIT);
    assert_eq!(got, b"+PONG\r\n", "two PINGs, one PONG");
    assert_eq!(end, RawEnd::Quiet);
    assert_eq!(proxy.fired(), 1);
    assert_eq!(proxy.mode(), Mode::Pass);

    // Which one is dropped: the next one, and only one.
    proxy.set_mode(Mode::DropNextReply);
    raw_send(&mut s, &["ECHO", "one"]);
    raw_send(&mut s, &["ECHO", "two"]);
    raw_send(&mut s, &["ECHO", "three"]);
    let (got, _, _) = raw_read(&mut s, QUIET, LIMIT);
    assert_eq!(got, b"$3\r\ntwo\r\n$5\r\nthree\r\n");
    assert_eq!(proxy.fired(), 2);
}

#[test]
fn proxy_stop_answering_swallows_replies_but_keeps_the_connection() {
    let (_server, proxy) = setup();
    let mut s = raw_connect(&proxy);
    proxy.set_mode(Mode::StopAnswering);
    raw_send(&mut s, &["PING"]);
    raw_send(&mut s, &["ECHO", "lost"]);
    let (got, _, end) = raw_read(&mut s, Duration::from_millis(500), LIMIT);
    assert_eq!(got, b"", "nothing may come back");
    assert_eq!(end, RawEnd::Quiet);
    // The requests did reach the server, and the connection still works.
    proxy.set_mode(Mode::Pass);
    raw_send(&mut s, &["ECHO", "back"]);
    assert_eq!(raw_read(&mut s, QUIET, LIMIT).0, b"$4\r\nback\r\n");
    assert_eq!(proxy.accepted(), 1);
}

#[test]
fn proxy_delay_and_slow_drip_only_slow_replies_down() {
    let (_server, proxy) = setup();
    let mut s = raw_connect(&proxy);
    proxy.set_mode(Mode::Delay(Duration::from_millis(200)));
    let started = Instant::now();
    raw_send(&mut s, &["PING"]);
    let (got, _, _) = raw_read(&mut s, QUIET, LIMIT);
    assert_eq!(got, b"+PONG\r\n");
    assert!(started.elapsed() >= Duration::from_millis(190));

    proxy.set_mode(Mode::SlowDrip(Duration::from_millis(5)));
    let text = "a-forty-byte-payload-to-drip-slowly-!!!!";
    let started = Instant::now();
    raw_send(&mut s, &["ECHO", text]);
    let (got, reads, _) = raw_read(&mut s, QUIET, LIMIT);
    let elapsed = started.elapsed();
    assert_eq!(got, format!("$40\r\n{text}\r\n").as_bytes());
    assert!(reads > 5, "dripped in {reads} reads");
    assert!(elapsed >= Duration::from_millis(150), "took {elapsed:?}");
}

#[test]
fn proxy_reset_resets_current_and_new_connections() {
    let (_server, proxy) = setup();
    let mut a = raw_connect(&proxy);
    raw_send(&mut a, &["PING"]);
    assert_eq!(raw_read(&mut a, QUIET, LIMIT).0, b"+PONG\r\n");
    proxy.set_mode(Mode::Reset);
    let (_, _, end) = raw_read(&mut a, QUIET, LIMIT);
    assert_eq!(end, RawEnd::Reset, "the current connection is reset");

    let mut b = raw_connect(&proxy);
    let (got, _, end) = raw_read(&mut b, Duration::from_secs(2), LIMIT);
    assert_eq!((got.as_slice(), end), (&b""[..], RawEnd::Reset));
    assert_eq!(
        proxy.accepted(),
        2,
        "the reset connection was accepted first"
    );

    proxy.set_mode(Mode::Pass);
    let mut c = raw_connect(&proxy);
    raw_send(&mut c, &["PING"]);
    assert_eq!(raw_read(&mut c, QUIET, LIMIT).0, b"+PONG\r\n");
}

#[test]
fn proxy_refuse_refuses_new_connections_and_keeps_old_ones() {
    let (_server, proxy) = setup();
    let port = proxy.port();
    let mut a = raw_connect(&proxy);
    proxy.set_mode(Mode::Refuse);
    let e = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
    raw_send(&mut a, &["PING"]);
    assert_eq!(raw_read(&mut a, QUIET, LIMIT).0, b"+PONG\r\n");
    proxy.set_mode(Mode::Pass);
    assert_eq!(proxy.port(), port);
    let mut c = raw_connect(&proxy);
    raw_send(&mut c, &["PING"]);
    assert_eq!(raw_read(&mut c, QUIET, LIMIT).0, b"+PONG\r\n");
    assert_eq!(proxy.accepted(), 2);
}

#[test]
fn proxy_reset_after_frames_and_after_a_time_break_each_new_connection() {
    let (_server, proxy) = setup();
    proxy.set_mode(Mode::ResetAfterFrames(1));
    for _ in 0..3 {
        let mut s = raw_connect(&proxy);
        raw_send(&mut s, &["PING"]);
        raw_send(&mut s, &["ECHO", "never"]);
        let (got, _, end) = raw_read(&mut s, QUIET, LIMIT);
        assert_eq!(got, b"+PONG\r\n", "one frame, then the reset");
        assert_eq!(end, RawEnd::Reset);
    }
    proxy.set_mode(Mode::ResetAfterFrames(0));
    let mut s = raw_connect(&proxy);
    assert_eq!(raw_read(&mut s, QUIET, LIMIT).2, RawEnd::Reset);

    proxy.set_mode(Mode::ResetAfter(Duration::from_millis(150)));
    let started = Instant::now();
    let mut s = raw_connect(&proxy);
    raw_send(&mut s, &["PING"]);
    let (got, _, end) = raw_read(&mut s, Duration::from_secs(2), LIMIT);
    assert_eq!((got.as_slice(), end), (&b"+PONG\r\n"[..], RawEnd::Reset));
    assert!(started.elapsed() >= Duration::from_millis(140));
    assert_eq!(proxy.accepted(), 5);
}

#[test]
fn proxy_truncate_forwards_part_of_one_reply_then_closes() {
    let (server, proxy) = setup();
    let value = "0123456789".repeat(10);
    server.raw(&["SET", "t", &value]);
    let full = format!("$100\r\n{value}\r\n");
    let mut s = raw_connect(&proxy);
    proxy.set_mode(Mode::Truncate);
    raw_send(&mut s, &["GET", "t"]);
    let (got, _, end) = raw_read(&mut s, QUIET, LIMIT);
    assert!(!got.is_empty() && got.len() < full.len(), "{got:?}");
    assert!(full.as_bytes().starts_with(&got));
    assert_eq!(end, RawEnd::Eof);
    assert_eq!((proxy.fired(), proxy.mode()), (1, Mode::Pass));
    let mut s = raw_connect(&proxy);
    raw_send(&mut s, &["GET", "t"]);
    assert_eq!(raw_read(&mut s, QUIET, LIMIT).0, full.as_bytes());
}

#[test]
fn proxy_garbage_after_frame_injects_non_resp_bytes_once() {
    let (_server, proxy) = setup();
    let mut s = raw_connect(&proxy);
    proxy.set_mode(Mode::GarbageAfterFrame);
    raw_send(&mut s, &["PING"]);
    let (got, _, _) = raw_read(&mut s, QUIET, LIMIT);
    let mut want = b"+PONG\r\n".to_vec();
    want.extend_from_slice(GARBAGE);
    assert_eq!(got, want);
    raw_send(&mut s, &["PING"]);
    assert_eq!(raw_read(&mut s, QUIET, LIMIT).0, b"+PONG\r\n");
    assert_eq!(proxy.fired(), 1);
}

#[test]
fn proxy_stops_when_dropped() {
    let (_server, proxy) = setup();
    let port = proxy.port();
    let mut s = raw_connect(&proxy);
    raw_send(&mut s, &["PING"]);
    assert_eq!(raw_read(&mut s, QUIET, LIMIT).0, b"+PONG\r\n");
    drop(proxy);
    let (_, _, end) = raw_read(&mut s, QUIET, LIMIT);
    assert!(matches!(end, RawEnd::Reset | RawEnd::Eof), "{end:?}");
    let e = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
}

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

#[test]
fn response_timeout_defaults_to_30_s_and_can_be_set_or_turned_off() {
    assert_eq!(DEFAULT_RESPONSE_TIMEOUT, Duration::from_secs(30));
    let url = "redis://127.0.0.1:6379";
    let c = respec::Client::open(url).unwrap();
    assert_eq!(c.config().response_timeout, Some(DEFAULT_RESPONSE_TIMEOUT));
    let c = respec::Client::builder(url)
        .unwrap()
        .response_timeout(Duration::from_millis(1500))
        .build();
    assert_eq!(
        c.config().response_timeout,
        Some(Duration::from_millis(1500))
    );
    let c = respec::Client::open(&format!("{url}?socket_timeout=0")).unwrap();
    assert_eq!(c.config().response_timeout, None);
    let c = respec::Client::open(&format!("{url}?socket_timeout=0.25")).unwrap();
    assert_eq!(
        c.config().response_timeout,
        Some(Duration::from_millis(250))
    );
    let b = respec::blocking::Client::open(url).unwrap();
    assert_eq!(b.config().response_timeout, Some(DEFAULT_RESPONSE_TIMEOUT));
}

// ---------------------------------------------------------------------------
// No reply ever reaches the wrong caller
// ---------------------------------------------------------------------------

/// 1,000 GETs in flight at once while the proxy drops the first reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_reply_among_1000_in_flight_never_reaches_the_wrong_caller() {
    let (server, proxy) = setup();
    let data = Data::new("drop", 1000);
    data.seed(&server).await;
    let client = connected_client(&proxy, Duration::from_secs(1)).await;
    proxy.set_mode(Mode::DropNextReply);
    let tally = concurrent_gets(&client, &data, 0..1000, Duration::from_secs(30)).await;
    assert_eq!(proxy.fired(), 1, "the proxy dropped no reply: {tally:?}");
    tally.assert_clean("1,000 GETs behind a dropped reply");
    assert!(tally.failed >= 1, "the GET whose reply was lost succeeded");
    recover(&client, &data, "after the dropped reply").await;
    verify(&client, &data, 1000, "after the dropped reply").await;
}

/// One GET alone loses its reply and times out; the requests after it go to
/// a connection that is not out of step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_lost_reply_times_out_later_requests_get_their_own_replies() {
    let (server, proxy) = setup();
    let data = Data::new("lost", 1000);
    data.seed(&server).await;
    let client = connected_client(&proxy, Duration::from_secs(1)).await;
    proxy.set_mode(Mode::DropNextReply);
    // In time: its response timeout (1 s) ends the wait well before 3 s.
    let r = within(
        Duration::from_secs(3),
        "the GET whose reply is lost",
        client.execute(&data.get(1)),
    )
    .await;
    let e = match judge(&data.value(1), r) {
        Verdict::Failed(e) => e,
        other => panic!("the GET whose reply was lost got {other:?}"),
    };
    // A timeout, or the connection closed because its replies no longer
    // line up.
    assert!(fault_error(&e), "{e:?}");
    assert_eq!(proxy.fired(), 1);
    // At once, no recovery wait: the shared connection is out of step by one
    // reply, so these must not go to it.
    let tally = concurrent_gets(&client, &data, 0..1000, Duration::from_secs(30)).await;
    tally.assert_clean("1,000 GETs after the lost reply");
    assert_eq!(tally.right, 1000, "{tally:?}");
}

/// A reply that comes after its request timed out goes to no one else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_reply_is_never_given_to_the_next_request() {
    let (server, proxy) = setup();
    let data = Data::new("late", 200);
    data.seed(&server).await;
    let client = connected_client(&proxy, Duration::from_millis(500)).await;
    for round in 0..3 {
        proxy.set_mode(Mode::Delay(Duration::from_millis(1200)));
        let r = within(
            Duration::from_secs(5),
            "the delayed GET",
            client.execute(&data.get(1)),
        )
        .await;
        match judge(&data.value(1), r) {
            Verdict::Failed(e) => assert!(e.is_timeout(), "{e:?}"),
            other => panic!("round {round}: the delayed GET got {other:?}"),
        }
        proxy.set_mode(Mode::Pass);
        // Sent before the late reply arrives, answered after it.
        let mut tally = concurrent_gets(&client, &data, 2..40, Duration::from_secs(10)).await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let more = concurrent_gets(&client, &data, 40..200, Duration::from_secs(10)).await;
        tally.right += more.right;
        tally.wrong += more.wrong;
        tally.wrong_examples.extend(more.wrong_examples);
        tally.odd_errors.extend(more.odd_errors);
        tally.assert_clean(&format!("round {round}, after a late reply"));
    }
    recover(&client, &data, "after late replies").await;
    verify(&client, &data, 200, "after late replies").await;
}

#[test]
fn the_blocking_client_never_gives_a_late_reply_to_the_next_request() {
    let (server, proxy) = setup();
    let data = Data::new("blate", 50);
    data.seed_blocking(&server);
    let client = respec::blocking::Client::with_config(blocking_config(
        &proxy.url(),
        Duration::from_millis(500),
    ));
    within_thread(
        Duration::from_secs(60),
        "the blocking late-reply test",
        move || {
            recover_blocking(&client, &data, "first contact");
            for round in 0..3 {
                proxy.set_mode(Mode::Delay(Duration::from_millis(1200)));
                // Its 500 ms response timeout ends the wait before the
                // reply, 1.2 s late, comes.
                match judge(&data.value(1), client.execute(&data.get(1))) {
                    Verdict::Failed(e) => assert!(e.is_timeout(), "round {round}: {e:?}"),
                    other => panic!("round {round}: the delayed GET got {other:?}"),
                }
                proxy.set_mode(Mode::Pass);
                let mut tally = Tally::default();
                for i in 2..50 {
                    tally.add(
                        &data.key(i),
                        judge(&data.value(i), client.execute(&data.get(i))),
                    );
                }
                tally.assert_clean(&format!(
                    "round {round}, blocking client after a late reply"
                ));
            }
            recover_blocking(&client, &data, "after late replies");
        },
    );
}

// ---------------------------------------------------------------------------
// Commands that would break the shared connection are refused
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_state_commands_are_refused_on_shared_connections() {
    let server = support::server(Kind::Redis);
    let client = respec::Client::open(&server.url()).unwrap();
    let blocking = Arc::new(respec::blocking::Client::open(&server.url()).unwrap());
    within(
        Duration::from_secs(10),
        "PING",
        client.execute(&args(&["PING"])),
    )
    .await
    .unwrap();

    let client_reply: Vec<Vec<&str>> = vec![
        vec!["CLIENT", "REPLY", "OFF"],
        vec!["CLIENT", "REPLY", "SKIP"],
        vec!["client", "reply", "off"],
        vec!["Client", "Reply", "skip"],
    ];
    let state: Vec<Vec<&str>> = vec![
        vec!["MULTI"],
        vec!["EXEC"],
        vec!["DISCARD"],
        vec!["WATCH", "w"],
        vec!["UNWATCH"],
        vec!["RESET"],
        vec!["HELLO", "3"],
        vec!["HELLO", "2"],
        vec!["SELECT", "1"],
        vec!["multi"],
        vec!["select", "2"],
    ];
    // Every miss is collected, so that one run lists them all.
    let failures = std::cell::RefCell::new(Vec::<String>::new());
    let refused = |what: &str, r: respec::Result<Frame>| match r {
        Err(e) if *e.kind() == ErrorKind::InvalidInput => {}
        other => failures.borrow_mut().push(format!(
            "{what} was not refused with InvalidInput: {other:?}"
        )),
    };
    for a in client_reply.iter().chain(&state) {
        let cmd = args(a);
        let r = within(
            Duration::from_secs(5),
            "a refused command",
            client.execute(&cmd),
        )
        .await;
        refused(&format!("{a:?} on the async client"), r);
    }
    for a in &client_reply {
        let cmd = args(a);
        let b = blocking.clone();
        let r = tokio::task::spawn_blocking(move || b.execute(&cmd))
            .await
            .unwrap();
        refused(&format!("{a:?} on the blocking client"), r);
        let mut pipe = Pipeline::new();
        pipe.add(args(&["PING"])).add(args(a)).add(args(&["PING"]));
        let r = within(
            Duration::from_secs(5),
            "a refused pipeline",
            pipe.execute(&client),
        )
        .await
        .map(|_| Frame::Null);
        refused(&format!("{a:?} in an async pipeline"), r);
        let b = blocking.clone();
        let r = tokio::task::spawn_blocking(move || pipe.execute_blocking(&b).map(|_| Frame::Null))
            .await
            .unwrap();
        refused(&format!("{a:?} in a blocking pipeline"), r);
    }

    // `CLIENT REPLY ON` changes nothing (every reply still comes): sent.
    let on = within(
        Duration::from_secs(5),
        "CLIENT REPLY ON",
        client.execute(&args(&["CLIENT", "REPLY", "ON"])),
    )
    .await;
    assert!(on.is_ok(), "{on:?}");
    // Nothing refused reached the server.
    let stats = String::from_utf8(server.raw(&["INFO", "commandstats"])).unwrap();
    for name in [
        "cmdstat_multi:",
        "cmdstat_exec:",
        "cmdstat_discard:",
        "cmdstat_watch:",
        "cmdstat_unwatch:",
        "cmdstat_reset:",
        "cmdstat_select:",
    ] {
        if stats.contains(name) {
            let line = stats.lines().find(|l| l.starts_with(name)).unwrap_or(name);
            failures
                .borrow_mut()
                .push(format!("reached the server: {line}"));
        }
    }
    // Only the one `CLIENT REPLY ON` reached it.
    if let Some(line) = stats
        .lines()
        .find(|l| l.starts_with("cmdstat_client|reply:"))
    {
        if !line.starts_with("cmdstat_client|reply:calls=1,") {
            failures
                .borrow_mut()
                .push(format!("reached the server: {line}"));
        }
    }
    let failures = failures.into_inner();
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // What is meant to work still does: atomic pipelines and WATCH
    // transactions, and the shared connection is intact.
    let mut tx = Pipeline::atomic();
    tx.add(args(&["SET", "ok:a", "1"]))
        .add(args(&["INCR", "ok:a"]));
    let ((), n): ((), i64) = within(Duration::from_secs(5), "MULTI/EXEC", tx.query(&client))
        .await
        .unwrap();
    assert_eq!(n, 2);
    let results: Vec<Frame> = within(
        Duration::from_secs(5),
        "a WATCH transaction",
        client.transaction(&["ok:a"], 3, |_conn| async move {
            let mut tx = Pipeline::atomic();
            tx.add(args(&["INCR", "ok:a"]));
            Ok(tx)
        }),
    )
    .await
    .unwrap();
    assert_eq!(results, vec![Frame::Integer(3)]);
    let v: String = client.query(&args(&["GET", "ok:a"])).await.unwrap();
    assert_eq!(v, "3");
    let b = blocking.clone();
    let v: String = tokio::task::spawn_blocking(move || b.query(&args(&["GET", "ok:a"])))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v, "3");
}

// ---------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_server_stops_answering_every_caller_times_out_then_the_client_recovers() {
    let (server, proxy) = setup();
    let data = Data::new("stop", 200);
    data.seed(&server).await;
    let client = connected_client(&proxy, Duration::from_millis(500)).await;
    proxy.set_mode(Mode::StopAnswering);
    // Every GET ends with its 500 ms response timeout, well before this
    // deadline, even if they waited one behind another in part.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let client = client.clone();
        let data = data.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let r = client.execute(&data.get(i)).await;
            (i, judge(&data.value(i), r), started.elapsed())
        }));
    }
    for (n, t) in tasks.into_iter().enumerate() {
        let (i, v, took) = tokio::time::timeout_at(deadline, t)
            .await
            .unwrap_or_else(|_| panic!("GET {n} was still waiting 3 s after it was sent"))
            .unwrap();
        match v {
            Verdict::Failed(e) => {
                assert_eq!(e.kind(), &ErrorKind::Timeout, "GET {i}: {e:?}");
                assert!(e.to_string().contains("no reply within"), "GET {i}: {e}");
            }
            other => panic!("GET {i} got {other:?} while the server was silent"),
        }
        // It did wait for its reply.
        assert!(took >= Duration::from_millis(450), "GET {i} took {took:?}");
    }
    proxy.set_mode(Mode::Pass);
    recover(&client, &data, "after StopAnswering").await;
    verify(&client, &data, 200, "after StopAnswering").await;
}

// ---------------------------------------------------------------------------
// Broken connections
// ---------------------------------------------------------------------------

/// Starts 300 GETs, applies the fault with `arm` (before or while they are
/// in flight), and checks that every one is right or failed with a fault
/// error; then that the client recovers.
async fn in_flight_through(
    label: &str,
    prime: Option<Mode>,
    arm: Mode,
    arm_after: Duration,
) -> (Tally, usize) {
    let (server, proxy) = setup();
    let data = Data::new(label, 300);
    data.seed(&server).await;
    let client = connected_client(&proxy, Duration::from_secs(5)).await;
    if let Some(m) = prime {
        proxy.set_mode(m);
    }
    if arm_after.is_zero() {
        proxy.set_mode(arm);
    }
    let gets = {
        let client = client.clone();
        let data = data.clone();
        tokio::spawn(async move {
            concurrent_gets(&client, &data, 0..300, Duration::from_secs(30)).await
        })
    };
    if !arm_after.is_zero() {
        tokio::time::sleep(arm_after).await;
        proxy.set_mode(arm);
    }
    let tally = within(Duration::from_secs(40), "the GETs", gets)
        .await
        .unwrap();
    let fired = proxy.fired();
    proxy.set_mode(Mode::Pass);
    tally.assert_clean(label);
    recover(&client, &data, label).await;
    verify(&client, &data, 300, label).await;
    (tally, fired)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_fails_the_callers_in_flight_and_then_the_client_recovers() {
    let (tally, _) = in_flight_through(
        "reset",
        Some(Mode::Delay(Duration::from_millis(300))),
        Mode::Reset,
        Duration::from_millis(100),
    )
    .await;
    assert!(tally.failed >= 1, "the reset failed no request: {tally:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_reply_fails_the_callers_in_flight_and_then_the_client_recovers() {
    let (tally, fired) = in_flight_through("trunc", None, Mode::Truncate, Duration::ZERO).await;
    assert_eq!(fired, 1);
    assert!(
        tally.failed >= 1,
        "the truncation failed no request: {tally:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_after_a_reply_fails_the_callers_in_flight_and_then_the_client_recovers() {
    let (tally, fired) =
        in_flight_through("garbage", None, Mode::GarbageAfterFrame, Duration::ZERO).await;
    assert_eq!(fired, 1);
    assert!(
        tally.failed >= 1,
        "the garbage failed no request: {tally:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delays_and_slow_drips_only_slow_things_down() {
    let (server, proxy) = setup();
    let data = Data::new("slow", 100);
    data.seed(&server).await;
    let client = connected_client(&proxy, Duration::from_secs(10)).await;

    proxy.set_mode(Mode::Delay(Duration::from_millis(200)));
    let started = Instant::now();
    let tally = concurrent_gets(&client, &data, 0..100, Duration::from_secs(20)).await;
    assert_eq!(tally.right, 100, "{tally:?}");
    assert!(started.elapsed() >= Duration::from_millis(190));
    for i in 0..3 {
        let r = within(
            Duration::from_secs(5),
            "a delayed GET",
            client.execute(&data.get(i)),
        )
        .await;
        assert!(matches!(judge(&data.value(i), r), Verdict::Right));
    }

    proxy.set_mode(Mode::SlowDrip(Duration::from_millis(1)));
    let tally = concurrent_gets(&client, &data, 0..30, Duration::from_secs(20)).await;
    assert_eq!(tally.right, 30, "{tally:?}");
    for i in 30..35 {
        let r = within(
            Duration::from_secs(5),
            "a dripped GET",
            client.execute(&data.get(i)),
        )
        .await;
        assert!(matches!(judge(&data.value(i), r), Verdict::Right));
    }
    let mut pipe = Pipeline::new();
    for i in 35..45 {
        pipe.add(data.get(i));
    }
    let results = within(
        Duration::from_secs(10),
        "a dripped pipeline",
        pipe.execute(&client),
    )
    .await
    .unwrap();
    for (j, r) in results.into_iter().enumerate() {
        assert!(matches!(judge(&data.value(35 + j), r), Verdict::Right));
    }
    proxy.set_mode(Mode::Pass);
    verify(&client, &data, 100, "after delays").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_fail_fast_then_the_client_recovers() {
    let (server, proxy) = setup();
    let data = Data::new("refuse", 100);
    data.seed(&server).await;
    // A client that never connected, and one whose connection is cut.
    let fresh = respec::Client::builder(&proxy.url())
        .unwrap()
        .response_timeout(Duration::from_secs(2))
        .retry(respec::retry::RetryPolicy::NEVER)
        .build();
    let connected = connected_client(&proxy, Duration::from_secs(2)).await;
    proxy.set_mode(Mode::Refuse);
    proxy.reset_connections();
    for client in [&fresh, &connected] {
        for i in 0..5 {
            let started = Instant::now();
            let r = within(
                Duration::from_secs(10),
                "a refused GET",
                client.execute(&data.get(i)),
            )
            .await;
            match judge(&data.value(i), r) {
                Verdict::Failed(e) => assert!(fault_error(&e), "{e:?}"),
                other => panic!("a GET while refused got {other:?}"),
            }
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "a refused GET took {:?}",
                started.elapsed()
            );
        }
    }
    proxy.set_mode(Mode::Pass);
    for client in [&fresh, &connected] {
        recover(client, &data, "after Refuse").await;
        verify(client, &data, 100, "after Refuse").await;
    }
}

// ---------------------------------------------------------------------------
// Reconnect backoff
// ---------------------------------------------------------------------------

/// The modes that break every new connection: right after accept, and
/// right after the handshake (HELLO and two CLIENT SETINFO: three replies).
const BREAKERS: [(&str, Mode); 2] = [
    ("reset right after accept", Mode::Reset),
    ("reset right after the handshake", Mode::ResetAfterFrames(3)),
];

/// Most connections a client may open in 2 s against a proxy that breaks
/// every one (without backoff: hundreds).
const MAX_ATTEMPTS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_of_the_shared_connection_back_off() {
    let (server, proxy) = setup();
    let data = Data::new("backoff", 10);
    data.seed(&server).await;
    for (label, mode) in BREAKERS {
        let client = connected_client(&proxy, Duration::from_secs(2)).await;
        proxy.set_mode(mode);
        proxy.reset_connections();
        let before = proxy.accepted();
        let started = Instant::now();
        let mut tally = Tally::default();
        let mut calls = 0;
        while started.elapsed() < Duration::from_secs(2) {
            let r = within(
                Duration::from_secs(5),
                "a GET",
                client.execute(&data.get(1)),
            )
            .await;
            tally.add("GET", judge(&data.value(1), r));
            calls += 1;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let opened = proxy.accepted() - before;
        proxy.set_mode(Mode::Pass);
        tally.assert_clean(label);
        assert!(
            opened < MAX_ATTEMPTS,
            "{label}: {opened} connections in 2 s ({calls} calls)"
        );
        assert!(opened >= 2, "{label}: only {opened} connection attempts");
        recover(&client, &data, label).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_of_pooled_connections_back_off() {
    let (_server, proxy) = setup();
    for (label, mode) in BREAKERS {
        let client = connected_client(&proxy, Duration::from_secs(2)).await;
        proxy.set_mode(mode);
        proxy.reset_connections();
        let before = proxy.accepted();
        let started = Instant::now();
        let mut calls = 0;
        while started.elapsed() < Duration::from_secs(2) {
            let r = within(
                Duration::from_secs(5),
                "a BLPOP",
                client.blpop(["backoff:q"], 0.01),
            )
            .await;
            if let Ok(Some(v)) = r {
                panic!("{label}: BLPOP on an empty list got {v:?}");
            }
            calls += 1;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let opened = proxy.accepted() - before;
        proxy.set_mode(Mode::Pass);
        assert!(
            opened < MAX_ATTEMPTS,
            "{label}: {opened} connections in 2 s ({calls} BLPOPs)"
        );
        assert!(opened >= 2, "{label}: only {opened} connection attempts");
    }
}

#[test]
fn reconnects_of_the_blocking_client_back_off() {
    let (server, proxy) = setup();
    let data = Data::new("bbackoff", 10);
    data.seed_blocking(&server);
    within_thread(
        Duration::from_secs(60),
        "the blocking backoff test",
        move || {
            for (label, mode) in BREAKERS {
                let client = respec::blocking::Client::with_config(blocking_config(
                    &proxy.url(),
                    Duration::from_secs(2),
                ));
                recover_blocking(&client, &data, "first contact");
                proxy.set_mode(mode);
                proxy.reset_connections();
                let before = proxy.accepted();
                let started = Instant::now();
                let mut tally = Tally::default();
                let mut calls = 0;
                while started.elapsed() < Duration::from_secs(2) {
                    let t = Instant::now();
                    tally.add("GET", judge(&data.value(1), client.execute(&data.get(1))));
                    assert!(
                        t.elapsed() < Duration::from_secs(5),
                        "a GET took {:?}",
                        t.elapsed()
                    );
                    calls += 1;
                    std::thread::sleep(Duration::from_millis(1));
                }
                let opened = proxy.accepted() - before;
                proxy.set_mode(Mode::Pass);
                tally.assert_clean(label);
                assert!(
                    opened < MAX_ATTEMPTS,
                    "{label}: {opened} connections in 2 s ({calls} calls)"
                );
                assert!(opened >= 2, "{label}: only {opened} connection attempts");
                recover_blocking(&client, &data, label);
            }
        },
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_of_subscribers_back_off() {
    let (_server, proxy) = setup();
    for (label, mode) in BREAKERS {
        let client = connected_client(&proxy, Duration::from_secs(2)).await;
        // Subscribers reconnect under the retry policy: the default one.
        let client = client.with_retry(respec::retry::RetryPolicy::default());
        let mut sub = within(Duration::from_secs(10), "subscriber", client.subscriber())
            .await
            .unwrap();
        within(
            Duration::from_secs(10),
            "SUBSCRIBE",
            sub.subscribe(["news"]),
        )
        .await
        .unwrap();
        proxy.set_mode(mode);
        proxy.reset_connections();
        let before = proxy.accepted();
        // Waits for a message while the subscriber keeps reconnecting.
        let r = tokio::time::timeout(Duration::from_secs(2), sub.next_message()).await;
        if let Ok(Ok(m)) = r {
            panic!("{label}: a message while every connection breaks: {m:?}");
        }
        let opened = proxy.accepted() - before;
        proxy.set_mode(Mode::Pass);
        assert!(
            opened < MAX_ATTEMPTS,
            "{label}: {opened} connections in 2 s"
        );
        assert!(opened >= 2, "{label}: only {opened} connection attempts");
    }
    // The blocking subscriber.
    let url = proxy.url();
    let proxy = Arc::new(proxy);
    let p = proxy.clone();
    tokio::task::spawn_blocking(move || {
        for (label, mode) in BREAKERS {
            // Subscribers reconnect under the retry policy: the default one.
            let mut cfg = blocking_config(&url, Duration::from_secs(2));
            cfg.retry = respec::retry::RetryPolicy::default();
            let client = respec::blocking::Client::with_config(cfg);
            let mut sub = client.subscriber().unwrap();
            sub.subscribe(["news"]).unwrap();
            sub.set_reconnect_timeout(Duration::from_secs(2));
            sub.set_read_timeout(Some(Duration::from_secs(2)));
            p.set_mode(mode);
            p.reset_connections();
            let before = p.accepted();
            // Its reconnect timeout (2 s) ends the wait, well before 8 s.
            let (_sub, r) = within_thread(
                Duration::from_secs(8),
                &format!("{label}: the blocking subscriber's wait"),
                move || {
                    let r = sub.next_message();
                    (sub, r)
                },
            );
            assert!(
                r.is_err(),
                "{label}: a message while every connection breaks"
            );
            let opened = p.accepted() - before;
            p.set_mode(Mode::Pass);
            assert!(
                opened < MAX_ATTEMPTS,
                "{label}: the blocking subscriber opened {opened} connections in 2 s"
            );
        }
    })
    .await
    .unwrap();
}

// ---------------------------------------------------------------------------
// Blocking commands
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_blpop_pops_nothing_and_holds_up_no_one() {
    let server = support::server(Kind::Redis);
    let client = respec::Client::open(&server.url()).unwrap();
    let other = respec::Client::open(&server.url()).unwrap();
    for _ in 0..20 {
        let r = tokio::time::timeout(Duration::from_millis(100), client.blpop(["q:a"], 0.0)).await;
        assert!(r.is_err(), "BLPOP on an empty list returned {r:?}");
    }
    let elements: Vec<String> = (0..20).map(|i| format!("e{i}")).collect();
    let n: i64 = within(
        Duration::from_secs(5),
        "LPUSH",
        other.lpush("q:a", &elements),
    )
    .await
    .unwrap();
    assert_eq!(n, 20);
    for wait in [0, 300, 700] {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let len: i64 = within(Duration::from_secs(5), "LLEN", other.llen("q:a"))
            .await
            .unwrap();
        assert_eq!(len, 20, "an abandoned BLPOP popped {} elements", 20 - len);
    }

    // And a BLPOP after an abandoned one waits its own time, not behind it.
    let r = tokio::time::timeout(Duration::from_millis(100), client.blpop(["q:c"], 0.0)).await;
    assert!(r.is_err());
    let started = Instant::now();
    let r = within(
        Duration::from_secs(15),
        "BLPOP q:b 1",
        client.blpop(["q:b"], 1.0),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(r.unwrap(), None);
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "BLPOP q:b 1 returned after {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_blpop_runs_on_a_dedicated_connection() {
    let server = support::server(Kind::Redis);
    let client = respec::Client::open(&server.url()).unwrap();
    client
        .execute(&args(&["SET", "raw:k", "raw:v"]))
        .await
        .unwrap();
    let blpop = {
        let client = client.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let r = client.execute(&args(&["BLPOP", "q:x", "2"])).await;
            (r, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let v = within(
        Duration::from_secs(5),
        "GET beside BLPOP",
        client.execute(&args(&["GET", "raw:k"])),
    )
    .await
    .unwrap();
    assert_eq!(v, Frame::BulkString("raw:v".into()));
    // Answered while the BLPOP still blocks (2 s): it did not wait behind it.
    assert!(!blpop.is_finished(), "the GET waited for the BLPOP");
    let (r, took) = within(Duration::from_secs(10), "BLPOP q:x 2", blpop)
        .await
        .unwrap();
    assert_eq!(r.unwrap(), Frame::Null);
    assert!(
        took >= Duration::from_millis(1900),
        "BLPOP returned after {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_command_gets_its_block_time_plus_the_response_timeout() {
    let (server, proxy) = setup();
    let client = connected_client(&proxy, Duration::from_millis(500)).await;
    let started = Instant::now();
    let r = within(
        Duration::from_secs(10),
        "BLPOP q 2",
        client.blpop(["q"], 2.0),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(r.expect("BLPOP q 2 is not a timeout"), None);
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(5),
        "BLPOP q 2 returned after {took:?}"
    );
    let started = Instant::now();
    let r = within(
        Duration::from_secs(10),
        "raw BLPOP q 1.5",
        client.execute(&args(&["BLPOP", "q", "1.5"])),
    )
    .await;
    assert_eq!(r.expect("BLPOP q 1.5 is not a timeout"), Frame::Null);
    assert!(started.elapsed() >= Duration::from_millis(1400));

    // Blocking forever: never timed out by the client, even when nothing
    // at all comes back.
    let forever = {
        let client = client.clone();
        tokio::spawn(async move { client.blpop(["q"], 0.0).await })
    };
    // It reached the server (so the wait below is the client's doing, not
    // a connection stuck in its handshake), then the server goes silent.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&server.raw(&["INFO", "clients"])).contains("blocked_clients:1")
    {
        assert!(
            Instant::now() < deadline,
            "BLPOP q 0 never reached the server"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    proxy.set_mode(Mode::StopAnswering);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !forever.is_finished(),
        "BLPOP q 0 ended: {:?}",
        forever.await
    );
    forever.abort();
    let _ = forever.await;
    proxy.set_mode(Mode::Pass);
    let pong = within(Duration::from_secs(10), "PING", async {
        loop {
            match client.execute(&args(&["PING"])).await {
                Ok(f) => break f,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await;
    assert_eq!(pong, Frame::SimpleString("PONG".into()));
}

// ---------------------------------------------------------------------------
// Transactions and pipelines
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_watch_transaction_does_not_leak_its_watch() {
    let server = support::server(Kind::Redis);
    // One pooled connection: the next transaction gets the same one back
    // unless it was closed.
    let client = respec::Client::builder(&server.url())
        .unwrap()
        .pool_size(1)
        .build();
    let other = respec::Client::open(&server.url()).unwrap();
    other.execute(&args(&["SET", "w:a", "0"])).await.unwrap();
    let abandoned = tokio::time::timeout(
        Duration::from_millis(200),
        client.transaction::<_, _, _, Vec<Frame>>(&["w:a"], 3, |_conn| async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(Pipeline::atomic())
        }),
    )
    .await;
    assert!(
        abandoned.is_err(),
        "the transaction should still be building"
    );
    // Touch the key the abandoned transaction watched.
    other
        .execute(&args(&["SET", "w:a", "changed"]))
        .await
        .unwrap();

    let attempts = Arc::new(AtomicUsize::new(0));
    let a = attempts.clone();
    let results: Vec<Frame> = within(
        Duration::from_secs(15),
        "the next transaction",
        client.transaction(&["w:b"], 1, move |_conn| {
            a.fetch_add(1, Ordering::SeqCst);
            async move {
                let mut tx = Pipeline::atomic();
                tx.add(args(&["SET", "w:b", "done"]));
                Ok(tx)
            }
        }),
    )
    .await
    .expect("a transaction on other keys succeeds first try");
    assert_eq!(results, vec![Frame::SimpleString("OK".into())]);
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    let v: String = other.query(&args(&["GET", "w:b"])).await.unwrap();
    assert_eq!(v, "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelines_through_faults_get_an_error_or_every_value_right() {
    let (server, proxy) = setup();
    let data = Data::new("pipe", 100);
    data.seed(&server).await;
    let client = connected_client(&proxy, Duration::from_secs(1)).await;
    let mut pipe = Pipeline::new();
    for i in 0..100 {
        pipe.add(data.get(i));
    }
    let mut atomic = Pipeline::atomic();
    for i in 0..20 {
        atomic.add(data.get(i));
    }
    let check = |what: &str, r: respec::Result<Vec<respec::Result<Frame>>>| -> bool {
        match r {
            Ok(results) => {
                let got: Vec<Verdict> = results
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| judge(&data.value(i), r))
                    .collect();
                assert!(
                    got.iter().all(|v| matches!(v, Verdict::Right)),
                    "{what}: not all right: {:?}",
                    got.iter()
                        .enumerate()
                        .filter(|(_, v)| !matches!(v, Verdict::Right))
                        .take(5)
                        .collect::<Vec<_>>()
                );
                true
            }
            Err(e) => {
                assert!(fault_error(&e), "{what}: {e:?}");
                false
            }
        }
    };
    let faults = [
        ("DropNextReply", Mode::DropNextReply),
        ("Truncate", Mode::Truncate),
        ("GarbageAfterFrame", Mode::GarbageAfterFrame),
        ("Reset", Mode::Reset),
    ];
    for (label, mode) in faults {
        for (kind, p) in [("plain", &pipe), ("atomic", &atomic)] {
            recover(&client, &data, label).await;
            let r = if mode == Mode::Reset {
                // Reset while the pipeline is in flight.
                proxy.set_mode(Mode::Delay(Duration::from_millis(300)));
                let run = {
                    let client = client.clone();
                    let p = p.clone();
                    tokio::spawn(async move { p.execute(&client).await })
                };
                tokio::time::sleep(Duration::from_millis(100)).await;
                proxy.set_mode(Mode::Reset);
                within(Duration::from_secs(10), "a pipeline", run)
                    .await
                    .unwrap()
            } else {
                proxy.set_mode(mode);
                within(Duration::from_secs(10), "a pipeline", p.execute(&client)).await
            };
            proxy.set_mode(Mode::Pass);
            let ok = check(&format!("{kind} pipeline through {label}"), r);
            assert!(
                !ok || mode == Mode::GarbageAfterFrame,
                "{kind} pipeline through {label} was unharmed"
            );
            recover(&client, &data, label).await;
            let r = within(Duration::from_secs(10), "a pipeline", p.execute(&client)).await;
            assert!(
                check(&format!("{kind} pipeline after {label}"), r),
                "{kind} pipeline after {label} failed"
            );
        }
    }
}

#[test]
fn blocking_pipelines_through_faults_get_an_error_or_every_value_right() {
    let (server, proxy) = setup();
    let data = Data::new("bpipe", 100);
    data.seed_blocking(&server);
    within_thread(
        Duration::from_secs(60),
        "the blocking pipeline test",
        move || {
            let client = respec::blocking::Client::with_config(blocking_config(
                &proxy.url(),
                Duration::from_secs(1),
            ));
            let mut pipe = Pipeline::new();
            for i in 0..100 {
                pipe.add(data.get(i));
            }
            for mode in [Mode::DropNextReply, Mode::Truncate, Mode::GarbageAfterFrame] {
                recover_blocking(&client, &data, "before a fault");
                proxy.set_mode(mode);
                match pipe.execute_blocking(&client) {
                    Ok(results) => {
                        for (i, r) in results.into_iter().enumerate() {
                            match judge(&data.value(i), r) {
                                Verdict::Right => {}
                                other => panic!("{mode:?}: command {i} got {other:?}"),
                            }
                        }
                    }
                    Err(e) => assert!(fault_error(&e), "{mode:?}: {e:?}"),
                }
                proxy.set_mode(Mode::Pass);
                recover_blocking(&client, &data, "after a fault");
                let results = pipe
                    .execute_blocking(&client)
                    .expect("a pipeline after the fault");
                for (i, r) in results.into_iter().enumerate() {
                    assert!(
                        matches!(judge(&data.value(i), r), Verdict::Right),
                        "{mode:?}: after, {i}"
                    );
                }
            }
        },
    );
}

// ---------------------------------------------------------------------------
// Pub/sub
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_resubscribes_after_a_reset() {
    let (server, proxy) = setup();
    let client = connected_client(&proxy, Duration::from_secs(2)).await;
    // Subscribers reconnect under the retry policy: the default one.
    let client = client.with_retry(respec::retry::RetryPolicy::default());
    let publisher = respec::Client::open(&server.url()).unwrap();
    let mut sub = within(Duration::from_secs(10), "subscriber", client.subscriber())
        .await
        .unwrap();
    within(
        Duration::from_secs(10),
        "SUBSCRIBE",
        sub.subscribe(["news"]),
    )
    .await
    .unwrap();
    let n: i64 = publisher.publish("news", "before").await.unwrap();
    assert_eq!(n, 1);
    let m = within(Duration::from_secs(5), "a message", sub.next_message())
        .await
        .unwrap();
    assert_eq!(&m.payload[..], b"before");

    let accepted = proxy.accepted();
    proxy.set_mode(Mode::Reset);
    tokio::time::sleep(Duration::from_millis(200)).await;
    proxy.set_mode(Mode::Pass);
    // Probe until a message gets through the renewed subscription.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut probe = 0;
    'probing: loop {
        assert!(Instant::now() < deadline, "no message after the reset");
        let _: i64 = publisher
            .publish("news", format!("probe:{probe}"))
            .await
            .unwrap();
        probe += 1;
        while let Ok(r) = tokio::time::timeout(Duration::from_millis(100), sub.next_message()).await
        {
            let m = r.expect("the subscriber gave up reconnecting");
            assert_eq!(m.channel_str(), "news");
            if m.payload.starts_with(b"probe:") {
                break 'probing;
            }
        }
    }
    assert!(
        proxy.accepted() > accepted,
        "the subscriber did not reconnect"
    );
    for i in 0..10 {
        let _: i64 = publisher
            .publish("news", format!("after:{i}"))
            .await
            .unwrap();
    }
    let mut got = Vec::new();
    while got.len() < 10 {
        let m = within(
            Duration::from_secs(5),
            "a message after the reset",
            sub.next_message(),
        )
        .await
        .unwrap();
        if !m.payload.starts_with(b"probe:") {
            got.push(String::from_utf8(m.payload.to_vec()).unwrap());
        }
    }
    let want: Vec<String> = (0..10).map(|i| format!("after:{i}")).collect();
    assert_eq!(got, want);
}

// ---------------------------------------------------------------------------
// The blocking client
// ---------------------------------------------------------------------------

#[test]
fn the_blocking_client_times_out_and_no_thread_waits_past_the_bounds() {
    let (server, proxy) = setup();
    let data = Data::new("bstop", 100);
    data.seed_blocking(&server);
    let proxy = Arc::new(proxy);
    let client = Arc::new(respec::blocking::Client::with_config(blocking_config(
        &proxy.url(),
        Duration::from_millis(500),
    )));
    recover_blocking(&client, &data, "first contact");
    proxy.set_mode(Mode::StopAnswering);
    let barrier = Arc::new(Barrier::new(9));
    let (tx, rx) = std::sync::mpsc::channel();
    // Every call ends with its 500 ms response timeout (or the connect
    // timeout), well before this deadline.
    let deadline = Instant::now() + Duration::from_secs(3);
    for t in 0..9 {
        let (client, data, barrier, tx) =
            (client.clone(), data.clone(), barrier.clone(), tx.clone());
        std::thread::spawn(move || {
            barrier.wait();
            let v = judge(&data.value(t), client.execute(&data.get(t)));
            let _ = tx.send((t, v));
        });
    }
    let mut timeouts = 0;
    for _ in 0..9 {
        let (t, v) = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("a thread was still waiting on the blocking client 3 s after the calls began");
        match v {
            Verdict::Right => {}
            Verdict::Wrong(got) => panic!("thread {t} got {got}"),
            Verdict::Failed(e) => {
                assert!(fault_error(&e), "thread {t}: {e:?}");
                if e.is_timeout() {
                    timeouts += 1;
                }
            }
        }
    }
    assert!(timeouts >= 1, "no call timed out");

    proxy.set_mode(Mode::Pass);
    let mut threads = Vec::new();
    for t in 0..9 {
        let (client, data) = (client.clone(), data.clone());
        threads.push(std::thread::spawn(move || {
            recover_blocking(&client, &data, "after StopAnswering");
            for i in (t..100).step_by(9) {
                match judge(&data.value(i), client.execute(&data.get(i))) {
                    Verdict::Right => {}
                    other => panic!("thread {t}, GET {i}: {other:?}"),
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for th in threads {
        while !th.is_finished() {
            assert!(Instant::now() < deadline, "a thread hung after recovery");
            std::thread::sleep(Duration::from_millis(10));
        }
        th.join().unwrap();
    }
}

// ---------------------------------------------------------------------------
// An error reply sent right before the server closes
// ---------------------------------------------------------------------------

fn assert_bulk_length_error(what: &str, e: &Error) {
    match e.kind() {
        ErrorKind::Server { message, .. } => {
            assert!(message.contains("invalid bulk length"), "{what}: {message}")
        }
        _ => panic!("{what}: expected the server's error reply, got {e:?} ({e})"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_reply_before_the_server_closes_reaches_the_async_caller() {
    let server = Server::builder(Kind::Redis)
        .arg("proto-max-bulk-len", "1mb")
        .start();
    let client = respec::Client::open(&server.url()).unwrap();
    client.execute(&args(&["SET", "small", "1"])).await.unwrap();
    let big = "x".repeat(2 << 20);
    for round in 0..3 {
        let e = within(
            Duration::from_secs(10),
            "the oversized SET",
            client.execute(&args(&["SET", "big", &big])),
        )
        .await
        .expect_err("a 2 MiB value over a 1 MiB proto-max-bulk-len");
        assert_bulk_length_error(&format!("round {round}"), &e);
        // The connection is gone; the next command uses a new one.
        let v = within(Duration::from_secs(10), "GET after", async {
            loop {
                match client.execute(&args(&["GET", "small"])).await {
                    Ok(f) => break f,
                    Err(e) => {
                        assert!(fault_error(&e), "{e:?}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        })
        .await;
        assert_eq!(v, Frame::BulkString("1".into()));
    }
}

#[test]
fn an_error_reply_before_the_server_closes_reaches_the_blocking_caller() {
    let server = Server::builder(Kind::Redis)
        .arg("proto-max-bulk-len", "1mb")
        .start();
    let url = server.url();
    within_thread(
        Duration::from_secs(60),
        "the blocking oversized SET",
        move || {
            let client = respec::blocking::Client::open(&url).unwrap();
            client.execute(&args(&["SET", "small", "1"])).unwrap();
            let big = "x".repeat(2 << 20);
            for round in 0..3 {
                let e = client
                    .execute(&args(&["SET", "big", &big]))
                    .expect_err("a 2 MiB value over a 1 MiB proto-max-bulk-len");
                assert_bulk_length_error(&format!("round {round}"), &e);
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    match client.execute(&args(&["GET", "small"])) {
                        Ok(f) => {
                            assert_eq!(f, Frame::BulkString("1".into()));
                            break;
                        }
                        Err(e) => {
                            assert!(fault_error(&e), "{e:?}");
                            assert!(Instant::now() < deadline, "no recovery: {e}");
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
            }
            drop(server);
        },
    );
}

// ---------------------------------------------------------------------------
// Cancellation torture
// ---------------------------------------------------------------------------

/// What one torture operation does.
#[derive(Clone, Copy, Debug)]
enum Op {
    Get(usize),
    Set(usize),
    Pipeline(usize),
    Blpop(usize),
    BlpopForever(usize),
    Transaction(usize),
    NextMessage(usize),
    NewSubscriber,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_dropped_at_random_points_leave_every_later_reply_right() {
    const OPS: usize = 5000;
    const WAVE: usize = 250;
    const QUEUES: usize = 8;
    const SUBSCRIBERS: usize = 3;
    let mut rng = Rng::new("cancellation torture");
    let server = support::server(Kind::Redis);
    let data = Data::new("tort", 1500);
    data.seed(&server).await;
    let client = respec::Client::builder(&server.url())
        .unwrap()
        .response_timeout(Duration::from_secs(5))
        .build();
    let direct = respec::Client::open(&server.url()).unwrap();
    let mut subs = Vec::new();
    for _ in 0..SUBSCRIBERS {
        let mut s = within(Duration::from_secs(10), "subscriber", client.subscriber())
            .await
            .unwrap();
        within(
            Duration::from_secs(10),
            "SUBSCRIBE",
            s.subscribe(["tort:ch"]),
        )
        .await
        .unwrap();
        subs.push(Arc::new(tokio::sync::Mutex::new(s)));
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let publisher = {
        let direct = direct.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) && n < 100_000 {
                let _ = direct
                    .execute(&args(&["PUBLISH", "tort:ch", &format!("pub:{n}")]))
                    .await;
                n += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    let wrong = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let odd = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let completed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    for wave in 0..OPS / WAVE {
        let mut tasks = Vec::new();
        for _ in 0..WAVE {
            let op = match rng.below(16) {
                0..=4 => Op::Get(rng.below(data.n as u64) as usize),
                5..=6 => Op::Set(rng.below(data.n as u64) as usize),
                7..=8 => Op::Pipeline(rng.below(data.n as u64 - 10) as usize),
                9 => Op::Blpop(rng.below(QUEUES as u64) as usize),
                10 => Op::BlpopForever(rng.below(QUEUES as u64) as usize),
                11..=12 => Op::Transaction(rng.below(4) as usize),
                13..=14 => Op::NextMessage(rng.below(SUBSCRIBERS as u64) as usize),
                _ => Op::NewSubscriber,
            };
            // Drop points: right after the first poll, or a few
            // microseconds to milliseconds in.
            let limit = match rng.below(4) {
                0 => Duration::ZERO,
                1 => Duration::from_micros(rng.below(300)),
                2 => Duration::from_micros(rng.below(3000)),
                _ => Duration::from_micros(rng.below(12_000)),
            };
            let (client, data, wrong, odd, completed) = (
                client.clone(),
                data.clone(),
                wrong.clone(),
                odd.clone(),
                completed.clone(),
            );
            let sub = match op {
                Op::NextMessage(s) => Some(subs[s].clone()),
                _ => None,
            };
            tasks.push(tokio::spawn(async move {
                let note_wrong = |what: String| wrong.lock().unwrap().push(what);
                let note_err = |op: Op, e: &Error| {
                    if !fault_error(e) && *e.kind() != ErrorKind::TransactionAborted {
                        odd.lock().unwrap().push(format!("{op:?}: {e:?}"));
                    }
                };
                let done = || {
                    completed.fetch_add(1, Ordering::Relaxed);
                };
                match op {
                    Op::Get(i) => {
                        if let Ok(r) =
                            tokio::time::timeout(limit, client.execute(&data.get(i))).await
                        {
                            match judge(&data.value(i), r) {
                                Verdict::Right => done(),
                                Verdict::Wrong(got) => note_wrong(format!("GET {i} got {got}")),
                                Verdict::Failed(e) => note_err(op, &e),
                            }
                        }
                    }
                    Op::Set(i) => {
                        // The same value again: whether or not it ran, the
                        // key holds its value.
                        let cmd = args(&["SET", &data.key(i), &data.value(i)]);
                        if let Ok(r) = tokio::time::timeout(limit, client.execute(&cmd)).await {
                            match r {
                                Ok(Frame::SimpleString(s)) if s == "OK" => done(),
                                Ok(other) => note_wrong(format!("SET {i} got {other:?}")),
                                Err(e) => note_err(op, &e),
                            }
                        }
                    }
                    Op::Pipeline(start) => {
                        let mut pipe = Pipeline::new();
                        for i in start..start + 10 {
                            pipe.add(data.get(i));
                        }
                        if let Ok(r) = tokio::time::timeout(limit, pipe.execute(&client)).await {
                            match r {
                                Ok(results) => {
                                    for (j, r) in results.into_iter().enumerate() {
                                        match judge(&data.value(start + j), r) {
                                            Verdict::Right => {}
                                            other => note_wrong(format!(
                                                "pipeline GET {} got {other:?}",
                                                start + j
                                            )),
                                        }
                                    }
                                    done()
                                }
                                Err(e) => note_err(op, &e),
                            }
                        }
                    }
                    Op::Blpop(q) => {
                        let key = format!("tort:q:{q}");
                        if let Ok(r) = tokio::time::timeout(limit, client.blpop([key], 0.05)).await
                        {
                            match r {
                                Ok(None) => done(),
                                Ok(Some(v)) => {
                                    note_wrong(format!("BLPOP on an empty list got {v:?}"))
                                }
                                Err(e) => note_err(op, &e),
                            }
                        }
                    }
                    Op::BlpopForever(q) => {
                        let key = format!("tort:q:{q}");
                        if let Ok(r) = tokio::time::timeout(limit, client.blpop([key], 0.0)).await {
                            match r {
                                Ok(v) => {
                                    note_wrong(format!("BLPOP 0 on an empty list returned {v:?}"))
                                }
                                Err(e) => note_err(op, &e),
                            }
                        }
                    }
                    Op::Transaction(t) => {
                        let key = format!("tort:tx:{t}");
                        let k = key.clone();
                        let keys = [key.as_str()];
                        let fut = client.transaction(&keys, 3, move |conn| {
                            let k = k.clone();
                            async move {
                                let n: Option<i64> = respec::FromResp::from_resp(
                                    conn.send(&args(&["GET", &k])).await?,
                                )?;
                                let mut tx = Pipeline::atomic();
                                tx.add(args(&["SET", &k, &(n.unwrap_or(0) + 1).to_string()]));
                                Ok(tx)
                            }
                        });
                        if let Ok(r) = tokio::time::timeout(limit, fut).await {
                            let r: respec::Result<Vec<Frame>> = r;
                            match r {
                                Ok(v) if v == vec![Frame::SimpleString("OK".into())] => done(),
                                Ok(v) => note_wrong(format!("a transaction got {v:?}")),
                                Err(e) => note_err(op, &e),
                            }
                        }
                    }
                    Op::NextMessage(_) => {
                        let sub = sub.unwrap();
                        // Another task is waiting on this one: skip.
                        let Ok(mut s) = sub.try_lock() else { return };
                        if let Ok(r) = tokio::time::timeout(limit, s.next_message()).await {
                            match r {
                                Ok(m)
                                    if m.channel_str() == "tort:ch"
                                        && m.payload.starts_with(b"pub:") =>
                                {
                                    done()
                                }
                                Ok(m) => note_wrong(format!("a subscriber got {m:?}")),
                                Err(e) => note_err(op, &e),
                            }
                        }
                    }
                    Op::NewSubscriber => {
                        let fut = async {
                            let mut s = client.subscriber().await?;
                            s.subscribe(["tort:ch"]).await?;
                            s.next_message().await
                        };
                        if let Ok(r) = tokio::time::timeout(limit, fut).await {
                            match r {
                                Ok(m) if m.payload.starts_with(b"pub:") => done(),
                                Ok(m) => note_wrong(format!("a new subscriber got {m:?}")),
                                Err(e) => note_err(op, &e),
                            }
                        }
                    }
                }
            }));
        }
        for t in tasks {
            within(Duration::from_secs(30), &format!("torture wave {wave}"), t)
                .await
                .unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the torture is too slow: {wave} waves in {:?}",
            started.elapsed()
        );
    }
    stop.store(true, Ordering::Relaxed);
    within(Duration::from_secs(10), "the publisher", publisher)
        .await
        .unwrap();
    eprintln!(
        "torture: {OPS} operations, {} completed, in {:?}",
        completed.load(Ordering::Relaxed),
        started.elapsed()
    );
    let wrong = wrong.lock().unwrap().clone();
    assert!(
        wrong.is_empty(),
        "{} wrong replies, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    let odd = odd.lock().unwrap().clone();
    assert!(
        odd.is_empty(),
        "unexpected errors: {:?}",
        &odd[..odd.len().min(5)]
    );

    // Verification: 2,000 requests, every reply checked.
    let tally = concurrent_gets(&client, &data, 0..1500, Duration::from_secs(30)).await;
    assert_eq!(tally.right, 1500, "{tally:?}");
    let mut tasks = Vec::new();
    for p in 0..50 {
        let (client, data) = (client.clone(), data.clone());
        tasks.push(tokio::spawn(async move {
            let mut pipe = Pipeline::new();
            for i in p * 10..p * 10 + 10 {
                pipe.add(data.get(i));
            }
            let results = pipe
                .execute(&client)
                .await
                .expect("a pipeline after the torture");
            for (j, r) in results.into_iter().enumerate() {
                let i = p * 10 + j;
                assert!(
                    matches!(judge(&data.value(i), r), Verdict::Right),
                    "pipeline GET {i}"
                );
            }
        }));
    }
    for t in tasks {
        within(Duration::from_secs(30), "a verification pipeline", t)
            .await
            .unwrap();
    }
    // Abandoned BLPOPs must not pop what is pushed now.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for q in 0..QUEUES {
        let key = format!("tort:q:{q}");
        let n: i64 = direct.lpush(&key, ["x1", "x2", "x3"]).await.unwrap();
        assert_eq!(n, 3, "{key} was not empty");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for q in 0..QUEUES {
        let key = format!("tort:q:{q}");
        let n: i64 = direct.llen(&key).await.unwrap();
        assert_eq!(n, 3, "an abandoned BLPOP popped from {key}");
    }
    // The long-lived subscribers still get messages.
    let last = format!("last:{}", data.token);
    let _: i64 = direct.publish("tort:ch", last.as_str()).await.unwrap();
    for (s, sub) in subs.iter().enumerate() {
        let mut sub = sub.lock().await;
        let got = within(Duration::from_secs(10), "the last message", async {
            loop {
                let m = sub
                    .next_message()
                    .await
                    .expect("a subscriber after the torture");
                assert_eq!(m.channel_str(), "tort:ch");
                if m.payload == last.as_bytes() {
                    break m;
                }
                assert!(m.payload.starts_with(b"pub:"), "subscriber {s} got {m:?}");
            }
        })
        .await;
        assert_eq!(got.payload, last.as_bytes());
    }
}
