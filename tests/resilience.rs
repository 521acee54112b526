//! What keeps a client alive in production, against a real Redis 8.2.3
//! behind the fault-injecting proxy (`support::proxy`): retries (a reset
//! under a read is retried, a write is not unless asked), health checks (a
//! silent peer is found while the connection is idle), credentials rotated
//! under traffic (live connections re-authenticate without reconnecting),
//! and passwords that never show in any output.
//!
//! Every wait is bounded; no assertion is on timing.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use respec::auth::{Credentials, RotatingCredentials};
use respec::connection::{ConnectionConfig, PushEvent};
use respec::prelude::*;
use respec::retry::RetryPolicy;
use respec::{Cmd, ErrorKind, Frame};
use support::proxy::{Mode, Proxy};
use support::{Kind, Server};

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a).expect("a command")
}

async fn within<T>(limit: Duration, what: &str, f: impl std::future::IntoFuture<Output = T>) -> T {
    tokio::time::timeout(limit, f.into_future())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {limit:?}"))
}

fn setup() -> (Server, Proxy) {
    let server = support::server(Kind::Redis);
    let proxy = Proxy::to(&server);
    (server, proxy)
}

/// A client through the proxy, connected.
async fn client_through(proxy: &Proxy, retry: RetryPolicy) -> respec::Client {
    let client = respec::Client::builder(&proxy.url())
        .unwrap()
        .response_timeout(Duration::from_secs(5))
        .retry(retry)
        .build();
    let pong = within(
        Duration::from_secs(10),
        "PING",
        client.execute(&args(&["PING"])),
    )
    .await
    .expect("PING through the proxy");
    assert_eq!(pong, Frame::SimpleString("PONG".into()));
    client
}

fn bulk(s: &str) -> Frame {
    Frame::BulkString(bytes::Bytes::copy_from_slice(s.as_bytes()))
}

// ---------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_cut_by_a_dropped_connection_is_retried_and_succeeds() {
    let (server, proxy) = setup();
    let admin = respec::Client::open(&server.url()).unwrap();
    admin
        .execute(&args(&["SET", "r:k", "the-value"]))
        .await
        .unwrap();
    let client = client_through(&proxy, RetryPolicy::default()).await;
    let first = client.connection().await.unwrap().id();
    let accepted = proxy.accepted();

    // The next reply is cut short and its connection closed: the GET's.
    proxy.set_mode(Mode::Truncate);
    let got = within(
        Duration::from_secs(20),
        "GET",
        client.execute(&args(&["GET", "r:k"])),
    )
    .await
    .expect("the GET is retried on a new connection");
    assert_eq!(got, bulk("the-value"));
    assert_eq!(proxy.fired(), 1, "the fault hit the GET");
    assert!(
        proxy.accepted() > accepted,
        "the retry used a new connection"
    );
    assert_ne!(client.connection().await.unwrap().id(), first);

    // The same through a generated command, and with retries off it fails.
    client.execute(&args(&["PING"])).await.unwrap();
    proxy.set_mode(Mode::Truncate);
    let v = within(Duration::from_secs(20), "get", client.get("r:k"))
        .await
        .unwrap()
        .map(|v| v.to_string());
    assert_eq!(v.as_deref(), Some("the-value"));
    client.execute(&args(&["PING"])).await.unwrap();
    proxy.set_mode(Mode::Truncate);
    let e = within(
        Duration::from_secs(20),
        "GET without retries",
        client
            .with_retry(RetryPolicy::NEVER)
            .execute(&args(&["GET", "r:k"])),
    )
    .await
    .unwrap_err();
    assert!(e.is_connection_dropped(), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_cut_by_a_dropped_connection_is_not_retried_unless_asked() {
    let (server, proxy) = setup();
    let admin = respec::Client::open(&server.url()).unwrap();
    let client = client_through(&proxy, RetryPolicy::default()).await;

    // INCR may have been applied: the error goes to the caller.
    proxy.set_mode(Mode::Truncate);
    let e = within(
        Duration::from_secs(20),
        "INCR",
        client.execute(&args(&["INCR", "w:n"])),
    )
    .await
    .unwrap_err();
    assert!(e.is_connection_dropped(), "{e:?}");
    assert_eq!(proxy.fired(), 1);
    // It was applied once, and not sent again.
    let n: i64 = admin.query(&args(&["GET", "w:n"])).await.unwrap();
    assert_eq!(n, 1);

    // Opted in for this call: sent again after the drop. The first
    // attempt was applied too, so the counter moved twice: why writes are
    // resent only when asked. (Connected first, so that the fault hits
    // the INCR and not the handshake.)
    client.execute(&args(&["PING"])).await.unwrap();
    proxy.set_mode(Mode::Truncate);
    let n: i64 = within(
        Duration::from_secs(20),
        "INCR with writes retried",
        client
            .with_retry(RetryPolicy::default().with_writes(true))
            .query(&args(&["INCR", "w:n"])),
    )
    .await
    .expect("the INCR is resent");
    assert_eq!(n, 3);
    assert_eq!(proxy.fired(), 2);

    // An idempotent write opted in per client.
    let writer = client_through(&proxy, RetryPolicy::default().with_writes(true)).await;
    proxy.set_mode(Mode::Truncate);
    within(Duration::from_secs(20), "SET", writer.set("w:s", "fixed"))
        .await
        .expect("the SET is resent");
    let s: String = admin.query(&args(&["GET", "w:s"])).await.unwrap();
    assert_eq!(s, "fixed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_retried_for_any_command() {
    let (server, proxy) = setup();
    let admin = respec::Client::open(&server.url()).unwrap();
    // Nothing connected yet; the first attempts are refused, then the
    // proxy listens again: even a write goes through, since it was never
    // sent before.
    proxy.set_mode(Mode::Refuse);
    let client = respec::Client::builder(&proxy.url())
        .unwrap()
        .retry(
            RetryPolicy::default()
                .with_max_attempts(50)
                .with_max_elapsed(Duration::from_secs(20)),
        )
        .build();
    let incr = {
        let client = client.clone();
        tokio::spawn(async move { client.execute(&args(&["INCR", "u:n"])).await })
    };
    // Let a few attempts be refused (bounded: at most 10 s).
    let mut tries = 0;
    while proxy.accepted() == 0 && tries < 100 && !incr.is_finished() {
        tokio::time::sleep(Duration::from_millis(20)).await;
        tries += 1;
        if tries == 10 {
            proxy.set_mode(Mode::Pass);
        }
    }
    proxy.set_mode(Mode::Pass);
    let r = within(Duration::from_secs(30), "INCR", incr).await.unwrap();
    assert_eq!(r.unwrap(), Frame::Integer(1));
    let n: i64 = admin.query(&args(&["GET", "u:n"])).await.unwrap();
    assert_eq!(n, 1, "applied once");
}

/// Writes idempotent by their arguments (`respec::retry::IDEMPOTENT_WRITES`)
/// are resent under the default policy after the connection dropped
/// before their reply; the same commands with arguments that make them
/// count or condition (`SET ... NX`), and `INCR`, are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotent_write_is_retried_by_its_arguments() {
    let (server, proxy) = setup();
    let admin = respec::Client::open(&server.url()).unwrap();
    let client = client_through(&proxy, RetryPolicy::default()).await;

    // SET key value: resent on a new connection, and it succeeds.
    let accepted = proxy.accepted();
    proxy.set_mode(Mode::Truncate);
    within(Duration::from_secs(20), "SET", client.set("i:s", "one"))
        .await
        .expect("the SET is resent");
    assert_eq!(proxy.fired(), 1, "the fault hit the SET");
    assert!(proxy.accepted() > accepted, "resent on a new connection");
    let v: String = admin.query(&args(&["GET", "i:s"])).await.unwrap();
    assert_eq!(v, "one");

    // The same with a large value (kept shared, not copied, by the
    // generated command) and an absolute expiry.
    let big = bytes::Bytes::from(vec![b'x'; 256 * 1024]);
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 3600;
    client.execute(&args(&["PING"])).await.unwrap();
    proxy.set_mode(Mode::Truncate);
    within(
        Duration::from_secs(20),
        "SET EXAT",
        client.set("i:big", big.clone()).exat(at),
    )
    .await
    .expect("the SET EXAT is resent");
    assert_eq!(proxy.fired(), 2);
    let len: i64 = admin.query(&args(&["STRLEN", "i:big"])).await.unwrap();
    assert_eq!(len, big.len() as i64);
    let ttl: i64 = admin.query(&args(&["EXPIRETIME", "i:big"])).await.unwrap();
    assert_eq!(ttl, at);

    // EXPIREAT with a future time: resent, and it answers 1 as the first
    // run did.
    client.execute(&args(&["PING"])).await.unwrap();
    proxy.set_mode(Mode::Truncate);
    let set: i64 = within(
        Duration::from_secs(20),
        "EXPIREAT",
        client.query(&args(&["EXPIREAT", "i:s", &at.to_string()])),
    )
    .await
    .expect("the EXPIREAT is resent");
    assert_eq!(set, 1);
    assert_eq!(proxy.fired(), 3);

    // SET ... NX: the first run set the key; a resend would answer nil,
    // so the drop goes to the caller, and the key holds the first run's
    // value.
    client.execute(&args(&["PING"])).await.unwrap();
    proxy.set_mode(Mode::Truncate);
    let e = within(
        Duration::from_secs(20),
        "SET NX",
        client.execute(&args(&["SET", "i:nx", "first", "NX"])),
    )
    .await
    .unwrap_err();
    assert!(e.is_connection_dropped(), "{e:?}");
    assert_eq!(proxy.fired(), 4);
    let v: String = admin.query(&args(&["GET", "i:nx"])).await.unwrap();
    assert_eq!(v, "first");

    // INCR: applied once, not resent.
    client.execute(&args(&["PING"])).await.unwrap();
    proxy.set_mode(Mode::Truncate);
    let e = within(
        Duration::from_secs(20),
        "INCR",
        client.execute(&args(&["INCR", "i:n"])),
    )
    .await
    .unwrap_err();
    assert!(e.is_connection_dropped(), "{e:?}");
    assert_eq!(proxy.fired(), 5);
    let n: i64 = admin.query(&args(&["GET", "i:n"])).await.unwrap();
    assert_eq!(n, 1);

    // The blocking client follows the same rule.
    let mut cfg = ConnectionConfig::from_url(&proxy.url()).unwrap();
    cfg.response_timeout = Some(Duration::from_secs(5));
    let blocking = respec::blocking::Client::with_config(cfg);
    blocking.execute(&args(&["PING"])).unwrap();
    proxy.set_mode(Mode::Truncate);
    blocking.execute(&args(&["SET", "i:b", "two"])).unwrap();
    assert_eq!(proxy.fired(), 6);
    blocking.execute(&args(&["PING"])).unwrap();
    proxy.set_mode(Mode::Truncate);
    let e = blocking.execute(&args(&["DEL", "i:b"])).unwrap_err();
    assert!(e.is_connection_dropped(), "{e:?}");
    assert_eq!(proxy.fired(), 7);
    let gone: i64 = admin.query(&args(&["EXISTS", "i:b"])).await.unwrap();
    assert_eq!(gone, 0, "the DEL ran once");
}

#[test]
fn the_blocking_client_retries_reads_and_not_writes() {
    let (server, proxy) = setup();
    let admin = respec::blocking::Client::open(&server.url()).unwrap();
    admin.execute(&args(&["SET", "b:k", "v"])).unwrap();
    let mut cfg = ConnectionConfig::from_url(&proxy.url()).unwrap();
    cfg.response_timeout = Some(Duration::from_secs(5));
    cfg.connect_timeout = Some(Duration::from_secs(2));
    let client = respec::blocking::Client::with_config(cfg);
    assert_eq!(
        client.execute(&args(&["PING"])).unwrap(),
        Frame::SimpleString("PONG".into())
    );

    proxy.set_mode(Mode::Truncate);
    assert_eq!(client.execute(&args(&["GET", "b:k"])).unwrap(), bulk("v"));
    assert_eq!(proxy.fired(), 1);

    client.execute(&args(&["PING"])).unwrap();
    proxy.set_mode(Mode::Truncate);
    let e = client.execute(&args(&["INCR", "b:n"])).unwrap_err();
    assert!(e.is_connection_dropped(), "{e:?}");
    assert_eq!(admin.query::<i64, _>(&args(&["GET", "b:n"])).unwrap(), 1);

    client.execute(&args(&["PING"])).unwrap();
    proxy.set_mode(Mode::Truncate);
    let n: i64 = client
        .with_retry(RetryPolicy::default().with_writes(true))
        .query(&args(&["INCR", "b:n"]))
        .unwrap();
    assert_eq!(n, 3, "resent after the drop, applied twice");
    // Generated methods work on the per-call handle too.
    client.execute(&args(&["PING"])).unwrap();
    proxy.set_mode(Mode::Truncate);
    client
        .with_retry(RetryPolicy::default().with_writes(true))
        .set("b:s", "fixed")
        .run()
        .unwrap();
    assert_eq!(
        admin.query::<String, _>(&args(&["GET", "b:s"])).unwrap(),
        "fixed"
    );
}

// ---------------------------------------------------------------------------
// Health checks
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_to_a_silent_peer_is_found_dead_by_the_health_check() {
    let (server, proxy) = setup();
    let admin = respec::Client::open(&server.url()).unwrap();
    admin.execute(&args(&["SET", "h:k", "v"])).await.unwrap();
    let client = respec::Client::builder(&proxy.url())
        .unwrap()
        .response_timeout(Duration::from_secs(30))
        .health_check_interval(Duration::from_millis(300))
        .build();
    let mut events = client.pushes();
    within(
        Duration::from_secs(10),
        "PING",
        client.execute(&args(&["PING"])),
    )
    .await
    .unwrap();
    let first = client.connection().await.unwrap();
    // A pooled connection, idle in the pool, is checked the same way.
    let pooled = {
        let c = client.dedicated().await.unwrap();
        c.send(&args(&["PING"])).await.unwrap();
        respec::connection::Connection::clone(&c)
    };
    assert!(!pooled.is_closed());

    // The peer goes silent; nobody sends anything.
    proxy.set_mode(Mode::StopAnswering);
    let ended = within(Duration::from_secs(10), "the health check", async {
        loop {
            match events.recv().await {
                Some(PushEvent::Disconnected { connection }) => break connection,
                Some(_) => continue,
                None => panic!("the push channel closed"),
            }
        }
    })
    .await;
    assert_eq!(ended, first.id());
    assert!(first.is_closed());
    within(
        Duration::from_secs(10),
        "the pooled connection's health check",
        async {
            while !pooled.is_closed() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        },
    )
    .await;

    // The next command goes to a new connection at once.
    proxy.set_mode(Mode::Pass);
    let got = within(
        Duration::from_secs(10),
        "GET",
        client.execute(&args(&["GET", "h:k"])),
    )
    .await
    .unwrap();
    assert_eq!(got, bulk("v"));
    assert_ne!(client.connection().await.unwrap().id(), first.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_connection_sends_no_health_check() {
    let (_server, proxy) = setup();
    let client = respec::Client::builder(&proxy.url())
        .unwrap()
        .health_check_interval(Duration::from_millis(200))
        .build();
    let conn = within(Duration::from_secs(10), "connect", client.connection())
        .await
        .unwrap();
    // With health checks every 200 ms, replies that take longer (held
    // 600 ms by the proxy) do not make the connection look dead: it is
    // not quiet while a reply is due.
    proxy.set_mode(Mode::Delay(Duration::from_millis(600)));
    let r = within(
        Duration::from_secs(10),
        "a slow PING",
        client.execute(&args(&["PING", "slow"])),
    )
    .await
    .unwrap();
    proxy.set_mode(Mode::Pass);
    assert_eq!(r, bulk("slow"));
    assert!(!conn.is_closed());
    assert_eq!(client.connection().await.unwrap().id(), conn.id());
}

/// How many `PING`s the server ran (from `INFO commandstats`).
async fn pings(admin: &respec::Client) -> u64 {
    let info: String = admin.query(&args(&["INFO", "commandstats"])).await.unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_ping:calls="))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_leave_a_pooled_connection_reusable() {
    let (server, proxy) = setup();
    let admin = respec::Client::open(&server.url()).unwrap();
    let client = respec::Client::builder(&proxy.url())
        .unwrap()
        .health_check_interval(Duration::from_millis(50))
        .build();
    let id = {
        let c = client.dedicated().await.unwrap();
        c.send(&args(&["SET", "p:k", "v"])).await.unwrap();
        c.id()
    };
    // The idle pooled connection checks itself (bounded wait for two
    // health checks), and stays fit for the next user.
    let before = pings(&admin).await;
    within(Duration::from_secs(10), "health checks", async {
        while pings(&admin).await < before + 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let c = client.dedicated().await.unwrap();
    assert_eq!(c.id(), id, "the same connection, reused");
    assert!(c.is_reusable(), "no request of its own counted in flight");
    let v = c.send(&args(&["GET", "p:k"])).await.unwrap();
    assert_eq!(v, bulk("v"));
}

#[test]
fn the_blocking_client_checks_an_idle_connection_before_reusing_it() {
    let (server, proxy) = setup();
    let admin = respec::blocking::Client::open(&server.url()).unwrap();
    let mut cfg = ConnectionConfig::from_url(&proxy.url()).unwrap();
    cfg.health_check_interval = Some(Duration::from_millis(100));
    cfg.retry = RetryPolicy::NEVER;
    let client = respec::blocking::Client::with_config(cfg);
    client.execute(&args(&["PING"])).unwrap();
    // The idle connection's peer resets it; new connections pass.
    proxy.reset_connections();
    std::thread::sleep(Duration::from_millis(150));
    // With no retries, a write would fail on the dead idle connection; the
    // health check finds it dead first and a new one serves the write.
    let n: i64 = client.query(&args(&["INCR", "bh:n"])).unwrap();
    assert_eq!(n, 1);
    assert_eq!(admin.query::<i64, _>(&args(&["GET", "bh:n"])).unwrap(), 1);
}

// ---------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------

/// Sets up the users `app1` and `app2` (all commands, all keys).
async fn users(admin: &respec::Client) {
    for (user, pw) in [("app1", "pw-one-s3cret"), ("app2", "pw-two-s3cret")] {
        let mut setuser = args(&["ACL", "SETUSER", user, "on"]);
        setuser
            .arg(format!(">{pw}"))
            .arg("~*")
            .arg("&*")
            .arg("+@all");
        admin.execute(&setuser).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_rotate_under_traffic_and_no_command_fails() {
    let (server, proxy) = setup();
    let admin = respec::Client::open(&server.url()).unwrap();
    users(&admin).await;
    let creds = RotatingCredentials::new(Credentials::new(Some("app1"), "pw-one-s3cret"));
    let client = respec::Client::builder(&proxy.url())
        .unwrap()
        .credentials(creds.clone())
        .retry(RetryPolicy::NEVER)
        .build();
    let whoami = || async {
        client
            .query::<String, _>(&args(&["ACL", "WHOAMI"]))
            .await
            .unwrap()
    };
    assert_eq!(whoami().await, "app1");
    let id_before: i64 = client.query(&args(&["CLIENT", "ID"])).await.unwrap();

    // The blocking client rotates with the same provider.
    let mut bcfg = ConnectionConfig::from_url(&proxy.url()).unwrap();
    bcfg.credentials = Some(respec::auth::Provider::new(creds.clone()));
    bcfg.retry = RetryPolicy::NEVER;
    let blocking = Arc::new(respec::blocking::Client::with_config(bcfg));

    // Traffic: writes (never retried, so any failure shows), each task
    // counting its own acknowledged INCRs.
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for t in 0..16 {
        let (client, stop, failures) = (client.clone(), stop.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let key = format!("rot:{t}");
            let mut done = 0i64;
            while !stop.load(Ordering::Relaxed) && done < 200_000 {
                match client.query::<i64, _>(&args(&["INCR", &key])).await {
                    Ok(n) => {
                        done += 1;
                        assert_eq!(n, done, "{key}");
                    }
                    Err(e) => {
                        failures.fetch_add(1, Ordering::Relaxed);
                        panic!("{key}: INCR failed during the rotation: {e}");
                    }
                }
            }
            (key, done)
        }));
    }
    let blocking_done = Arc::new(AtomicUsize::new(0));
    let thread = {
        let (blocking, stop, done) = (blocking.clone(), stop.clone(), blocking_done.clone());
        std::thread::spawn(move || {
            let mut n = 0i64;
            while !stop.load(Ordering::Relaxed) && n < 200_000 {
                let got: i64 = blocking
                    .query(&args(&["INCR", "rot:blocking"]))
                    .unwrap_or_else(|e| panic!("blocking INCR failed during the rotation: {e}"));
                n += 1;
                assert_eq!(got, n);
                done.store(n as usize, Ordering::Relaxed);
            }
            n
        })
    };
    let progress = |at_least: usize| {
        let done = blocking_done.clone();
        async move {
            within(Duration::from_secs(20), "blocking traffic", async {
                while done.load(Ordering::Relaxed) < at_least {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
            .await
        }
    };
    progress(50).await;

    // Rotation 1: to another user. Live connections send AUTH as app2.
    creds.set(Credentials::new(Some("app2"), "pw-two-s3cret"));
    within(Duration::from_secs(10), "re-authentication", async {
        while whoami().await != "app2" {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let seen = blocking_done.load(Ordering::Relaxed);
    progress(seen + 50).await;
    // Deleting app1 disconnects every connection still authenticated as
    // app1: none is.
    admin
        .execute(&args(&["ACL", "DELUSER", "app1"]))
        .await
        .unwrap();

    // Rotation 2: a new password for app2, then the old one removed.
    admin
        .execute(&args(&["ACL", "SETUSER", "app2", ">pw-three-s3cret"]))
        .await
        .unwrap();
    creds.set(Credentials::new(Some("app2"), "pw-three-s3cret"));
    let seen = blocking_done.load(Ordering::Relaxed);
    progress(seen + 50).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    admin
        .execute(&args(&["ACL", "SETUSER", "app2", "<pw-two-s3cret"]))
        .await
        .unwrap();
    let seen = blocking_done.load(Ordering::Relaxed);
    progress(seen + 50).await;

    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let (key, done) = within(Duration::from_secs(30), "a writer", t)
            .await
            .unwrap();
        let n: i64 = admin.query(&args(&["GET", &key])).await.unwrap();
        assert_eq!(n, done, "{key}: every acknowledged INCR applied once");
        assert!(done > 0, "{key} made no progress");
    }
    let n = thread.join().unwrap();
    assert_eq!(
        admin
            .query::<i64, _>(&args(&["GET", "rot:blocking"]))
            .await
            .unwrap(),
        n
    );
    assert_eq!(failures.load(Ordering::Relaxed), 0);

    // The shared connection was never replaced: same server-side id.
    let id_after: i64 = client.query(&args(&["CLIENT", "ID"])).await.unwrap();
    assert_eq!(id_after, id_before, "re-authenticated without reconnecting");
    assert_eq!(whoami().await, "app2");
    // A new connection (the pool's) uses the newest password.
    let pooled = client.dedicated().await.unwrap();
    let who = String::from_resp(pooled.send(&args(&["ACL", "WHOAMI"])).await.unwrap()).unwrap();
    assert_eq!(who, "app2");
}

/// Tokens that expire 300 ms after they are handed out: the first for
/// `app1`, every later one for `app2`.
struct ExpiringTokens {
    calls: AtomicUsize,
}

impl respec::auth::CredentialsProvider for ExpiringTokens {
    fn credentials(&self) -> respec::Result<Credentials> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let c = if n == 0 {
            Credentials::new(Some("app1"), "pw-one-s3cret")
        } else {
            Credentials::new(Some("app2"), "pw-two-s3cret")
        };
        Ok(c.expiring_at(std::time::Instant::now() + Duration::from_millis(300)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiring_credentials_are_refreshed_on_the_live_connection() {
    let (server, proxy) = setup();
    let admin = respec::Client::open(&server.url()).unwrap();
    users(&admin).await;
    let provider = Arc::new(ExpiringTokens {
        calls: AtomicUsize::new(0),
    });
    struct Shared(Arc<ExpiringTokens>);
    impl respec::auth::CredentialsProvider for Shared {
        fn credentials(&self) -> respec::Result<Credentials> {
            self.0.credentials()
        }
    }
    let client = respec::Client::builder(&proxy.url())
        .unwrap()
        .credentials(Shared(provider.clone()))
        .build();
    let who = client
        .query::<String, _>(&args(&["ACL", "WHOAMI"]))
        .await
        .unwrap();
    assert_eq!(who, "app1");
    let id: i64 = client.query(&args(&["CLIENT", "ID"])).await.unwrap();
    // Before the first token expires, the driver asks for a new one (the
    // next user's) and sends AUTH, with no command to trigger it.
    within(Duration::from_secs(10), "the refresh", async {
        while provider.calls.load(Ordering::SeqCst) < 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let who = client
        .query::<String, _>(&args(&["ACL", "WHOAMI"]))
        .await
        .unwrap();
    assert_eq!(who, "app2");
    let same: i64 = client.query(&args(&["CLIENT", "ID"])).await.unwrap();
    assert_eq!(same, id, "refreshed without reconnecting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_are_an_auth_error_naming_the_user_not_the_password() {
    let (server, proxy) = setup();
    let admin = respec::Client::open(&server.url()).unwrap();
    users(&admin).await;
    let creds = RotatingCredentials::new(Credentials::new(Some("app1"), "pw-one-s3cret"));
    let client = respec::Client::builder(&proxy.url())
        .unwrap()
        .credentials(creds.clone())
        .build();
    let first = client.connection().await.unwrap();
    let who = String::from_resp(first.send(&args(&["ACL", "WHOAMI"])).await.unwrap()).unwrap();
    assert_eq!(who, "app1");

    // A rotation to a password the server does not know: the live
    // connection's AUTH is refused and it is retired; the next connect
    // reports the refusal.
    creds.set(Credentials::new(Some("app1"), "wrong-s3cret-xyzzy"));
    let e = within(Duration::from_secs(10), "the refusal", async {
        loop {
            match client.execute(&args(&["PING"])).await {
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                Err(e) => break e,
            }
        }
    })
    .await;
    assert!(e.is_auth_error(), "{e:?}");
    assert_eq!(e.kind(), &ErrorKind::Auth);
    let text = format!("{e} {e:?}");
    assert!(text.contains("app1"), "{text}");
    assert!(!text.contains("wrong-s3cret"), "{text}");
    assert!(first.is_closed(), "the refused connection is retired");

    // The blocking client: the same error at connect.
    let mut cfg = ConnectionConfig::from_url(&proxy.url()).unwrap();
    cfg.username = Some("app2".into());
    cfg.password = Some("bad-s3cret-plugh".into());
    let e = respec::blocking::Client::with_config(cfg)
        .execute(&args(&["PING"]))
        .unwrap_err();
    assert!(e.is_auth_error(), "{e:?}");
    let text = format!("{e} {e:?}");
    assert!(text.contains("app2") && !text.contains("plugh"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_never_show_in_debug_display_or_errors() {
    const PW: &str = "Sup3r-Secret-Pa55";
    let server = support::Server::builder(Kind::Redis)
        .password("the-real-one")
        .start();
    let url = format!("redis://admin:{PW}@127.0.0.1:{}/0", server.port());
    let mut outputs = Vec::new();

    let cfg = ConnectionConfig::from_url(&url).unwrap();
    outputs.push(format!("{cfg:?}"));
    let mut with_provider = cfg.clone();
    with_provider.credentials = Some(respec::auth::Provider::new(RotatingCredentials::new(
        Credentials::new(Some("admin"), PW),
    )));
    outputs.push(format!("{with_provider:?}"));
    // Every connection event, as a listener would print it.
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = events.clone();
    let builder = respec::Client::builder(&url)
        .unwrap()
        .auth(Some("admin"), PW)
        .on_event(move |e| log.lock().unwrap().push(format!("{e:?}")));
    outputs.push(format!("{builder:?}"));
    let client = builder.build();
    outputs.push(format!("{client:?}"));
    outputs.push(format!(
        "{:?}",
        respec::blocking::Client::with_config(cfg.clone())
    ));
    outputs.push(format!("{:?}", Credentials::new(Some("admin"), PW)));
    outputs.push(format!(
        "{:?}",
        respec::connection::handshake::Handshake::new(&cfg)
    ));
    let cluster = respec::cluster::ClusterConfig::from_urls(&url).unwrap();
    outputs.push(format!("{cluster:?}"));
    let cluster = respec::cluster::ClusterClient::open(&url).unwrap();
    outputs.push(format!("{cluster:?}"));
    let sentinel = respec::sentinel::SentinelConfig::from_url(&format!(
        "redis+sentinel://admin:{PW}@127.0.0.1:1/mymaster?sentinel_password={PW}"
    ))
    .unwrap();
    outputs.push(format!("{sentinel:?}"));

    // Errors of refused credentials: at connect, async and blocking.
    let e = client.execute(&args(&["PING"])).await.unwrap_err();
    assert!(e.is_auth_error(), "{e:?}");
    outputs.push(format!("{e} {e:?}"));
    let log = events.clone();
    let e = respec::blocking::Client::with_config(
        cfg.on_event(move |e| log.lock().unwrap().push(format!("{e:?}"))),
    )
    .execute(&args(&["PING"]))
    .unwrap_err();
    assert!(e.is_auth_error(), "{e:?}");
    outputs.push(format!("{e} {e:?}"));
    let e = respec::connection::Connection::connect(&with_provider)
        .await
        .unwrap_err();
    assert!(e.is_auth_error(), "{e:?}");
    outputs.push(format!("{e} {e:?}"));

    let events = events.lock().unwrap().clone();
    assert!(
        events
            .iter()
            .filter(|e| e.contains("ConnectFailed"))
            .count()
            >= 2,
        "{events:?}"
    );
    for text in outputs.iter().chain(&events) {
        assert!(!text.contains(PW), "the password shows in: {text}");
        assert!(
            !text.contains("Sup3r"),
            "part of the password shows in: {text}"
        );
    }
    // The errors name the user.
    assert!(outputs[outputs.len() - 1].contains("admin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_reconnect_under_the_retry_policy() {
    let (server, proxy) = setup();
    let publisher = respec::Client::open(&server.url()).unwrap();
    let client = client_through(&proxy, RetryPolicy::default()).await;
    let mut resubscribing = within(Duration::from_secs(10), "subscriber", client.subscriber())
        .await
        .unwrap();
    let mut giving_up = within(
        Duration::from_secs(10),
        "subscriber",
        client.with_retry(RetryPolicy::NEVER).subscriber(),
    )
    .await
    .unwrap();
    for sub in [&mut resubscribing, &mut giving_up] {
        within(
            Duration::from_secs(10),
            "SUBSCRIBE",
            sub.subscribe(["news"]),
        )
        .await
        .unwrap();
    }
    // Both connections are reset; new ones are accepted.
    proxy.reset_connections();
    let e = within(Duration::from_secs(10), "the end", giving_up.next_message())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("retries are off"), "{e}");
    // The other subscribes again; messages published until it has flow.
    let got = within(
        Duration::from_secs(20),
        "a message after the reset",
        async {
            loop {
                let _: i64 = publisher.publish("news", "after").await.unwrap();
                match tokio::time::timeout(Duration::from_millis(100), resubscribing.next_message())
                    .await
                {
                    Ok(m) => break m.unwrap(),
                    Err(_) => continue,
                }
            }
        },
    )
    .await;
    assert_eq!(&got.payload[..], b"after");
}
