//! The blocking client under faults, against real servers: a server that
//! stops answering holds up no other thread, reconnects are spaced while
//! connections keep failing, errors come with the same kinds and words as
//! from the async client (TLS, timeouts), an error reply sent just before
//! the server closes is reported as that error, and blocking commands get
//! their block time on top of the response timeout.
//!
//! The faults come from a small proxy in this file between the client and
//! a real Redis 8.2.3: it passes bytes through, stalls (forwards nothing
//! in either direction), or resets every connection it accepts.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use respec::blocking::Client;
use respec::{Cmd, ErrorKind, Frame};
use support::{Kind, Server};

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a.iter().copied()).expect("non-empty")
}

fn bulk(s: &str) -> Frame {
    Frame::BulkString(s.to_string().into())
}

// ---------------------------------------------------------------------------
// The fault proxy.

/// What the proxy does with connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Mode {
    /// Forward bytes both ways.
    Pass = 0,
    /// Accept, but forward nothing either way (a server that stopped
    /// answering).
    Stall = 1,
    /// Reset each new connection at once (SO_LINGER 0, then close).
    Reset = 2,
}

/// A TCP proxy on a free loopback port in front of `127.0.0.1:upstream`.
struct Proxy {
    port: u16,
    mode: Arc<AtomicU8>,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    /// Both ends of every proxied connection, to cut them all at once.
    live: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    fn start(upstream: u16, mode: Mode) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut proxy = Proxy {
            port,
            mode: Arc::new(AtomicU8::new(mode as u8)),
            accepted: Arc::new(AtomicUsize::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
            live: Arc::new(Mutex::new(Vec::new())),
            thread: None,
        };
        let (mode, accepted, stop, live) = (
            proxy.mode.clone(),
            proxy.accepted.clone(),
            proxy.stop.clone(),
            proxy.live.clone(),
        );
        let thread = std::thread::spawn(move || {
            while !stop.load(Ordering::Acquire) {
                let client = match listener.accept() {
                    Ok((s, _)) => s,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(1));
                        continue;
                    }
                };
                accepted.fetch_add(1, Ordering::AcqRel);
                client.set_nonblocking(false).unwrap();
                if mode.load(Ordering::Acquire) == Mode::Reset as u8 {
                    reset(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                {
                    let mut live = live.lock().unwrap();
                    live.push(client.try_clone().unwrap());
                    live.push(server.try_clone().unwrap());
                }
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let (mode, stop) = (mode.clone(), stop.clone());
                    std::thread::spawn(move || pump(from, to, &mode, &stop));
                }
            }
        });
        proxy.thread = Some(thread);
        proxy
    }

    fn set(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::Release);
    }

    /// How many connections the proxy accepted so far.
    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Acquire)
    }

    /// Cuts every connection proxied so far.
    fn cut_all(&self) {
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// A client URL through the proxy.
    fn url(&self, query: &str) -> String {
        format!("redis://127.0.0.1:{}?{query}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.cut_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Closes `s` with a reset instead of an orderly close.
fn reset(s: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a correctly sized option value.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(s);
}

/// Copies `from` to `to` until either side closes; copies nothing while
/// the proxy stalls.
fn pump(mut from: TcpStream, mut to: TcpStream, mode: &AtomicU8, stop: &AtomicBool) {
    from.set_read_timeout(Some(Duration::from_millis(10)))
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::Acquire) {
        if mode.load(Ordering::Acquire) == Mode::Stall as u8 {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                // Bytes read just as the proxy began to stall wait too.
                while mode.load(Ordering::Acquire) == Mode::Stall as u8
                    && !stop.load(Ordering::Acquire)
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

// ---------------------------------------------------------------------------
// Helpers.

/// Waits for the thread `h` until `deadline`; fails naming `what` when it
/// is still running then. (A bound on the test, not a measurement.)
fn join_by<T>(h: JoinHandle<T>, deadline: Instant, what: &str) -> T {
    while !h.is_finished() {
        assert!(
            Instant::now() < deadline,
            "{what} was still running at its deadline"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    h.join().unwrap()
}

/// Runs `f` on a thread of its own, waiting for it at most `bound`.
fn within<T: Send + 'static>(
    bound: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let deadline = Instant::now() + bound;
    join_by(std::thread::spawn(f), deadline, what)
}

/// `threads` threads, each setting and reading back `each` keys of its own
/// (`{tag}:{t}:{i}` = `{tag}-value-{t}-{i}`) through `client`; every reply is
/// checked. Fails when a thread is still at it after `bound`.
fn set_and_get_from_threads(
    client: &Arc<Client>,
    tag: &str,
    threads: usize,
    each: usize,
    bound: Duration,
) {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let client = client.clone();
            let tag = tag.to_string();
            std::thread::spawn(move || {
                for i in 0..each {
                    let key = format!("{tag}:{t}:{i}");
                    let value = format!("{tag}-value-{t}-{i}");
                    let set = client.execute(&args(&["SET", &key, &value]));
                    assert_eq!(set.unwrap(), Frame::SimpleString("OK".into()), "{key}");
                    let got = client.execute(&args(&["GET", &key]));
                    assert_eq!(got.unwrap(), bulk(&value), "{key}");
                }
            })
        })
        .collect();
    let deadline = Instant::now() + bound;
    for (t, h) in handles.into_iter().enumerate() {
        join_by(h, deadline, &format!("thread {t} of {tag:?}"));
    }
}

// ---------------------------------------------------------------------------
// (a), (b): a stalled server.

#[test]
fn a_stalled_server_holds_up_no_other_thread_and_nothing_leaks_after() {
    let server = support::server(Kind::Redis);
    let proxy = Proxy::start(server.port(), Mode::Pass);
    let client = Arc::new(
        Client::open(&proxy.url("socket_timeout=0.5&socket_connect_timeout=1&retry_attempts=1"))
            .unwrap(),
    );
    // Several connections, left idle.
    set_and_get_from_threads(&client, "warm", 9, 20, Duration::from_secs(10));

    proxy.set(Mode::Stall);
    let stalled_at = Instant::now();
    // One call first: it takes an idle connection and waits for its reply.
    let first = {
        let client = client.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            let r = client.execute(&args(&["GET", "warm:0:0"]));
            (r, t.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    // Eight more, while it waits: none may wait behind it.
    let barrier = Arc::new(Barrier::new(8));
    let others: Vec<_> = (0..8)
        .map(|t| {
            let client = client.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let t0 = Instant::now();
                let key = format!("warm:{t}:1");
                let r = client.execute(&args(&["GET", &key]));
                (r, t0.elapsed())
            })
        })
        .collect();

    // Nine calls of at most 0.5 s (the response timeout) or 1 s (the
    // connect timeout) each: one after another they would need more than
    // 4 s, so all nine done by then means none waited for another.
    let deadline = stalled_at + Duration::from_secs(4);
    let (r, took) = join_by(first, deadline, "the stalled call");
    let e = r.expect_err("the server was stalled");
    assert_eq!(e.kind(), &ErrorKind::Timeout, "{e}");
    assert_eq!(e.command(), Some("GET"));
    assert!(e.to_string().contains("no reply within 500ms"), "{e}");
    // It did wait for its reply.
    assert!(
        took >= Duration::from_millis(450),
        "the timed-out call took {took:?}"
    );
    for (t, h) in others.into_iter().enumerate() {
        let (r, _) = join_by(h, deadline, &format!("call {t} beside the stalled one"));
        // Each either timed out on an idle connection or ran out of the
        // connect timeout on a new one.
        let e = r.expect_err("the server was stalled");
        assert!(e.is_timeout(), "{e}");
        assert_eq!(e.command(), Some("GET"));
    }

    // The server answers again. The late replies to the timed-out GETs
    // must reach no one: every reply below is checked against its request.
    proxy.set(Mode::Pass);
    set_and_get_from_threads(&client, "after", 9, 50, Duration::from_secs(10));
}

// ---------------------------------------------------------------------------
// (c): reconnect backoff.

/// Commands in a loop for `for_` from `threads` threads; returns how many
/// calls were made. Every call must fail as a dropped connection, fast.
fn hammer(client: &Arc<Client>, threads: usize, for_: Duration) -> usize {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut calls = 0;
                while started.elapsed() < for_ {
                    let call = Instant::now();
                    let value = format!("v-{t}-{calls}");
                    let e = client
                        .execute(&args(&["SET", "k", &value]))
                        .expect_err("every connection is reset");
                    assert!(e.is_connection_dropped(), "{e}");
                    assert_eq!(e.command(), Some("SET"));
                    // A call waits at most the backoff's cap (2 s).
                    assert!(
                        call.elapsed() < Duration::from_secs(3),
                        "{:?}",
                        call.elapsed()
                    );
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).sum()
}

#[test]
fn reconnects_are_spaced_while_every_connection_is_reset() {
    let server = support::server(Kind::Redis);
    for threads in [1, 4] {
        let proxy = Proxy::start(server.port(), Mode::Reset);
        let client = Arc::new(
            Client::open(&proxy.url("socket_connect_timeout=2&retry_attempts=1")).unwrap(),
        );
        let calls = hammer(&client, threads, Duration::from_secs(2));
        let opened = proxy.accepted();
        println!("{threads} thread(s): {calls} calls in 2 s opened {opened} connections");
        assert!(calls >= threads, "{calls} calls");
        assert!(opened < 40, "{opened} connections in 2 s");

        // Once connections work again, so does the client (after at most
        // the backoff's cap), with the right replies.
        proxy.set(Mode::Pass);
        let deadline = Instant::now() + Duration::from_secs(6);
        loop {
            match client.execute(&args(&["SET", "back", &format!("yes-{threads}")])) {
                Ok(f) => {
                    assert_eq!(f, Frame::SimpleString("OK".into()));
                    break;
                }
                Err(e) => {
                    assert!(e.is_connection_dropped(), "{e}");
                    assert!(Instant::now() < deadline, "no recovery: {e}");
                }
            }
        }
        assert_eq!(
            client.execute(&args(&["GET", "back"])).unwrap(),
            bulk(&format!("yes-{threads}"))
        );
    }
}

/// The blocking subscriber spaces its reconnects with the same policy, and
/// subscribes again once the server is back.
#[test]
fn the_subscriber_spaces_its_reconnects() {
    let server = support::server(Kind::Redis);
    let proxy = Proxy::start(server.port(), Mode::Pass);
    let client = Client::open(&proxy.url("socket_timeout=1")).unwrap();
    let mut sub = client.subscriber().unwrap();
    sub.subscribe(["news"]).unwrap();
    sub.set_read_timeout(Some(Duration::from_secs(5)));
    sub.set_reconnect_timeout(Duration::from_secs(2));

    proxy.set(Mode::Reset);
    let before = proxy.accepted();
    proxy.cut_all();
    // It gives up after its reconnect timeout (2 s), well before this
    // bound.
    let (mut sub, e) = within(
        Duration::from_secs(4),
        "the reconnecting subscriber",
        move || {
            let e = sub.next_message().expect_err("every reconnect is reset");
            (sub, e)
        },
    );
    let attempts = proxy.accepted() - before;
    println!("the subscriber made {attempts} attempts: {e}");
    assert!(
        e.to_string().contains("could not reconnect within 2s"),
        "{e}"
    );
    assert!(attempts < 20, "{attempts} attempts");

    proxy.set(Mode::Pass);
    let publisher = std::thread::spawn({
        let url = server.url();
        move || {
            let c = Client::open(&url).unwrap();
            // Publish until the subscriber is back and listening.
            for i in 0..100 {
                let n: i64 = c
                    .query(&args(&["PUBLISH", "news", &format!("m{i}")]))
                    .unwrap();
                if n > 0 {
                    return i;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            panic!("the subscriber never came back");
        }
    });
    let msg = sub.next_message().unwrap();
    let i = publisher.join().unwrap();
    assert_eq!(&msg.channel[..], b"news");
    assert_eq!(msg.payload, format!("m{i}").into_bytes());
}

// ---------------------------------------------------------------------------
// Stale idle connections after a restart.

#[test]
fn after_a_restart_one_failed_call_clears_the_idle_connections() {
    let mut server = support::server(Kind::Redis);
    let client = Arc::new(Client::open(&server.url()).unwrap());
    set_and_get_from_threads(&client, "warm", 6, 10, Duration::from_secs(10));
    server.restart();
    // The first call may meet a connection the restart closed; the next
    // ones open new connections instead of failing on each stale one.
    if let Err(e) = client.execute(&args(&["SET", "r", "1"])) {
        assert!(e.is_connection_dropped(), "{e}");
    }
    for i in 0..10 {
        let v = format!("after-{i}");
        assert_eq!(
            client.execute(&args(&["SET", "r", &v])).unwrap(),
            Frame::SimpleString("OK".into())
        );
        assert_eq!(client.execute(&args(&["GET", "r"])).unwrap(), bulk(&v));
    }
}

// ---------------------------------------------------------------------------
// (d), (e): the same error kinds and words as the async client.

/// A CA certificate that signed nothing the server has.
fn wrong_ca(dir: &std::path::Path) -> std::path::PathBuf {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "some other CA");
    let key = KeyPair::generate().unwrap();
    let ca = params.self_signed(&key).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("wrong-ca.pem");
    std::fs::write(&path, ca.pem()).unwrap();
    path
}

#[test]
fn a_certificate_verification_failure_is_a_tls_error() {
    let server = Server::builder(Kind::Redis7).tls().start();
    let dir = std::env::temp_dir().join(format!("respec-wrong-ca-{}", std::process::id()));
    let wrong = wrong_ca(&dir);
    let cert = server.client_cert_path().display().to_string();
    let key = server.client_key_path().display().to_string();
    let url = |ca: &str| {
        format!(
            "{}?ssl_ca_certs={ca}&ssl_certfile={cert}&ssl_keyfile={key}",
            server.tls_url()
        )
    };
    let bad = url(&wrong.display().to_string());

    let blocking = Client::open(&bad).unwrap();
    let e = blocking.execute(&args(&["PING"])).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Tls, "{e}");
    let expected = format!("TLS handshake with 127.0.0.1:{} failed", server.tls_port());
    assert!(e.to_string().contains(&expected), "{e}");
    assert!(e.to_string().contains("certificate"), "{e}");

    // The async client says the same.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let async_e = rt.block_on(async {
        let client = respec::Client::open(&bad).unwrap();
        client.execute(&args(&["PING"])).await.unwrap_err()
    });
    assert_eq!(async_e.kind(), e.kind());
    assert_eq!(async_e.to_string(), e.to_string());

    // With the right CA the same settings work.
    let good = Client::open(&url(&server.ca_cert_path().display().to_string())).unwrap();
    assert_eq!(
        good.execute(&args(&["ECHO", "tls-ok"])).unwrap(),
        bulk("tls-ok")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_response_timeout_says_no_reply_within_and_the_late_reply_reaches_no_one() {
    let server = Server::builder(Kind::Redis)
        .arg("--enable-debug-command", "yes")
        .start();
    let url = format!("{}?socket_timeout=0.3", server.url());
    let client = Client::open(&url).unwrap();
    let started = Instant::now();
    let e = client
        .execute(&args(&["DEBUG", "SLEEP", "0.8"]))
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), &ErrorKind::Timeout, "{e}");
    assert_eq!(e.command(), Some("DEBUG"));
    assert_eq!(e.to_string(), "DEBUG: timed out: no reply within 300ms");
    assert!(
        took >= Duration::from_millis(280) && took < Duration::from_millis(750),
        "{took:?}"
    );
    // Once the sleep is over, the late +OK must not be read as the reply
    // to anything else.
    std::thread::sleep(Duration::from_millis(700));
    for i in 0..5 {
        let v = format!("after-timeout-{i}");
        assert_eq!(client.execute(&args(&["ECHO", &v])).unwrap(), bulk(&v));
    }

    // The async client words it the same way.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let async_e = rt.block_on(async {
        let client = respec::Client::open(&url).unwrap();
        client
            .execute(&args(&["DEBUG", "SLEEP", "0.8"]))
            .await
            .unwrap_err()
    });
    assert_eq!(async_e.kind(), e.kind());
    assert_eq!(async_e.to_string(), e.to_string());
}

// ---------------------------------------------------------------------------
// (f): an error reply right before the server closes.

#[test]
fn an_error_reply_before_the_server_closes_is_the_error() {
    let server = Server::builder(Kind::Redis)
        .arg("proto-max-bulk-len", "1mb")
        .start();
    let client = Client::open(&server.url()).unwrap();
    let big = "x".repeat(2 * 1024 * 1024);
    for round in 0..5 {
        let e = client
            .execute(&args(&["SET", "big", &big]))
            .expect_err("2 MiB is above proto-max-bulk-len");
        assert!(e.is_server_error(), "round {round}: {e}");
        assert_eq!(e.code(), Some("ERR"));
        assert_eq!(e.command(), Some("SET"));
        assert!(e.to_string().contains("invalid bulk length"), "{e}");

        // In a pipeline too, after the first command's +OK: either the
        // write failed (the server closed with most of the value unread)
        // and the error reply is the pipeline's error, or the whole write
        // went out before the close and the error reply is the second
        // reply, as pipelines report error replies.
        match client.pipeline(&[
            args(&["SET", "small", &format!("s{round}")]),
            args(&["SET", "big", &big]),
        ]) {
            Err(e) => {
                assert!(e.is_server_error(), "round {round}: {e}");
                assert!(e.to_string().contains("invalid bulk length"), "{e}");
            }
            Ok(frames) => {
                assert_eq!(frames[0], Frame::SimpleString("OK".into()));
                let m = frames[1].error_message().expect("an error reply");
                assert!(String::from_utf8_lossy(m).contains("invalid bulk length"));
            }
        }

        // And the client goes on, on a new connection.
        let v = format!("fine-{round}");
        client.execute(&args(&["SET", "k", &v])).unwrap();
        assert_eq!(client.execute(&args(&["GET", "k"])).unwrap(), bulk(&v));
        assert_eq!(
            client.execute(&args(&["GET", "small"])).unwrap(),
            bulk(&format!("s{round}"))
        );
    }
    // A value far above what the socket buffers hold: the write itself
    // fails (the server reset the connection with most of it unread), and
    // the error reply that came before the reset is still the answer.
    let huge = "z".repeat(64 * 1024 * 1024);
    for round in 0..3 {
        let e = client
            .execute(&args(&["SET", "huge", &huge]))
            .expect_err("64 MiB is above proto-max-bulk-len");
        assert!(e.is_server_error(), "round {round}: {e}");
        assert_eq!(e.command(), Some("SET"));
        assert!(e.to_string().contains("invalid bulk length"), "{e}");
        let v = format!("still-fine-{round}");
        assert_eq!(client.execute(&args(&["ECHO", &v])).unwrap(), bulk(&v));
    }
    // Under the limit it is stored.
    let fine = "y".repeat(512 * 1024);
    client.execute(&args(&["SET", "big", &fine])).unwrap();
    assert_eq!(
        client.query::<i64, _>(&args(&["STRLEN", "big"])).unwrap(),
        512 * 1024
    );
}

// ---------------------------------------------------------------------------
// (g): blocking commands.

#[test]
fn a_blocking_command_gets_its_block_time_on_top_of_the_response_timeout() {
    let server = support::server(Kind::Redis);
    let client = Arc::new(Client::open(&format!("{}?socket_timeout=0.5", server.url())).unwrap());

    // BLPOP q 2 with a 500 ms response timeout: nil after ~2 s, no timeout
    // (its bound is 2 s + 0.5 s).
    let started = Instant::now();
    let r = within(Duration::from_millis(3500), "BLPOP q 2", {
        let client = client.clone();
        move || client.execute(&args(&["BLPOP", "q", "2"]))
    })
    .unwrap();
    let took = started.elapsed();
    assert_eq!(r, Frame::Null);
    assert!(took >= Duration::from_millis(1900), "{took:?}");
    // The generated command too.
    let started = Instant::now();
    let r = client
        .execute(&respec::commands::blpop(["q"], 1.0))
        .unwrap();
    assert_eq!(r, Frame::Null);
    assert!(started.elapsed() >= Duration::from_millis(900));

    // A raw BLPOP is known to block: it runs on a connection of its own,
    // and a GET from another thread meanwhile answers at once.
    client.execute(&args(&["SET", "g", "fast"])).unwrap();
    let raw = Cmd::from_args(["BLPOP", "q", "1"]).unwrap();
    assert!(respec::Command::is_blocking(&raw));
    let waiter = {
        let client = client.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            let r = client.execute(&raw);
            (r, t.elapsed(), Instant::now())
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..20 {
        assert_eq!(client.execute(&args(&["GET", "g"])).unwrap(), bulk("fast"));
    }
    let gets_done = Instant::now();
    let (r, took, blpop_done) = waiter.join().unwrap();
    assert_eq!(r.unwrap(), Frame::Null);
    assert!(took >= Duration::from_millis(900), "{took:?}");
    // Done while the BLPOP still blocked: they did not wait behind it.
    assert!(gets_done < blpop_done, "the GETs waited for the BLPOP");

    // A BLPOP that blocks forever has no bound: it gets the element pushed
    // after more than the response timeout.
    let waiter = {
        let client = client.clone();
        std::thread::spawn(move || client.execute(&args(&["BLPOP", "forever", "0"])))
    };
    std::thread::sleep(Duration::from_millis(1200));
    client
        .execute(&args(&["RPUSH", "forever", "late-element"]))
        .unwrap();
    let r = waiter.join().unwrap().unwrap();
    assert_eq!(r, Frame::Array(vec![bulk("forever"), bulk("late-element")]));
}

// ---------------------------------------------------------------------------
// with_connection on top of the idle connections.

#[test]
fn with_connection_runs_on_a_connection_of_its_own() {
    let server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();
    // Nested calls take two connections: no lock is held while `f` runs.
    let (outer, inner) = client
        .with_connection(|c| {
            let outer = c.send(&args(&["CLIENT", "ID"]))?;
            let inner = client.with_connection(|c2| c2.send(&args(&["CLIENT", "ID"])))?;
            Ok((outer, inner))
        })
        .unwrap();
    assert_ne!(outer, inner);

    // State left on a connection does not reach the next caller: the
    // connection that ran SELECT is closed, not kept.
    client
        .with_connection(|c| {
            c.send(&args(&["SELECT", "3"]))?;
            c.send(&args(&["SET", "in-db-3", "yes"]))
        })
        .unwrap();
    for _ in 0..5 {
        assert_eq!(
            client.execute(&args(&["GET", "in-db-3"])).unwrap(),
            Frame::Null
        );
    }
    // And an idle connection is reused: one call after another gets the
    // same connection.
    let a = client.execute(&args(&["CLIENT", "ID"])).unwrap();
    let b = client.execute(&args(&["CLIENT", "ID"])).unwrap();
    assert_eq!(a, b);
}
