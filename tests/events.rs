//! Events and metrics against real servers: the connection events of a
//! client whose server goes away and comes back (through the
//! fault-injecting proxy in front of a real Redis 8.2.3), a retry, a
//! Sentinel failover, a Cluster `MOVED`; counters that count exactly the
//! commands and bytes sent, the errors by class and the pool's use; a
//! listener that panics.
//!
//! Every wait is bounded; no assertion is on timing.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use respec::connection::{Addr, ConnectionConfig, Protocol};
use respec::events::{ErrorClass, Event, RedirectKind};
use respec::prelude::*;
use respec::retry::RetryPolicy;
use respec::{Cmd, Frame};
use support::proxy::{Mode, Proxy};
use support::Kind;

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a).expect("a command")
}

fn tcp(port: u16) -> Addr {
    Addr::Tcp {
        host: "127.0.0.1".into(),
        port,
    }
}

async fn within<T>(limit: Duration, what: &str, f: impl std::future::IntoFuture<Output = T>) -> T {
    tokio::time::timeout(limit, f.into_future())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {limit:?}"))
}

/// The events a listener was called with, in order.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Event>>>);

impl Seen {
    fn listener(&self) -> impl Fn(&Event) + Send + Sync + 'static {
        let seen = self.0.clone();
        move |e: &Event| seen.lock().unwrap().push(e.clone())
    }

    /// An async client of `url` whose events this records.
    fn client(&self, url: &str) -> respec::Client {
        respec::Client::builder(url)
            .unwrap()
            .on_event(self.listener())
            .build()
    }

    fn all(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }

    fn count(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.all().iter().filter(|e| pred(e)).count()
    }

    /// Waits (at most 20 s) until an event matching `pred` was seen.
    async fn wait_for(&self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(e) = self.first_before(what, &pred, deadline) {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The first event matching `pred` seen so far; fails the test when
    /// there is none and `deadline` (20 s after the wait began) passed.
    fn first_before(
        &self,
        what: &str,
        pred: &impl Fn(&Event) -> bool,
        deadline: Instant,
    ) -> Option<Event> {
        let found = self.all().into_iter().find(|e| pred(e));
        assert!(
            found.is_some() || Instant::now() < deadline,
            "no {what} event within 20 s; seen: {:#?}",
            self.all()
        );
        found
    }
}

// ---------------------------------------------------------------------------
// Connection lifecycle
// ---------------------------------------------------------------------------

/// Connect, handshake, a lost connection, refused attempts, the reconnect,
/// and the close when the client is dropped, in that order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_goes_away_and_comes_back_is_seen_in_the_events() {
    let server = support::server(Kind::Redis);
    let proxy = Proxy::to(&server);
    let seen = Seen::default();
    let client = respec::Client::builder(&proxy.url())
        .unwrap()
        .retry(RetryPolicy::NEVER)
        .on_event(seen.listener())
        .build();
    let pong = within(
        Duration::from_secs(10),
        "PING",
        client.execute(&args(&["PING"])),
    )
    .await
    .unwrap();
    assert_eq!(pong, Frame::SimpleString("PONG".into()));
    let first = client.connection().await.unwrap().id();
    let addr = tcp(proxy.port());
    assert_eq!(
        seen.all(),
        vec![
            Event::Connected { addr: addr.clone() },
            Event::HandshakeDone {
                addr: addr.clone(),
                connection: first,
                protocol: Protocol::Resp3,
                server: "redis".into(),
                version: Kind::Redis.version(),
            },
        ]
    );

    // The server goes away: the live connection is reset, new ones refused.
    proxy.set_mode(Mode::Refuse);
    proxy.reset_connections();
    let lost = seen
        .wait_for("disconnected", |e| matches!(e, Event::Disconnected { .. }))
        .await;
    let Event::Disconnected {
        addr: lost_addr,
        connection,
        error,
    } = lost
    else {
        unreachable!()
    };
    assert_eq!((lost_addr, connection), (addr.clone(), first));
    assert!(
        matches!(error, Some(ErrorClass::Io | ErrorClass::ConnectionClosed)),
        "{error:?}"
    );
    let e = within(
        Duration::from_secs(20),
        "PING while refused",
        client.execute(&args(&["PING"])),
    )
    .await
    .unwrap_err();
    assert!(
        e.is_connection_dropped() || e.kind() == &respec::ErrorKind::Io,
        "{e:?}"
    );
    seen.wait_for(
        "connect failed",
        |e| matches!(e, Event::ConnectFailed { addr: a, .. } if *a == addr),
    )
    .await;
    seen.wait_for("reconnecting", |e| {
        matches!(e, Event::Reconnecting { attempt: 1, .. })
    })
    .await;

    // It comes back: the next command reconnects.
    proxy.set_mode(Mode::Pass);
    let pong = within(
        Duration::from_secs(20),
        "PING after the server came back",
        client.execute(&args(&["PING"])),
    )
    .await
    .unwrap();
    assert_eq!(pong, Frame::SimpleString("PONG".into()));
    let second = client.connection().await.unwrap().id();
    assert_ne!(second, first);
    let events = seen.all();
    let failed_at = events
        .iter()
        .position(|e| matches!(e, Event::ConnectFailed { .. }))
        .unwrap();
    let opened_at = events
        .iter()
        .position(|e| matches!(e, Event::HandshakeDone { connection, .. } if *connection == second))
        .expect("the new connection's handshake");
    assert!(failed_at < opened_at, "{events:#?}");
    assert!(
        matches!(&events[opened_at - 1], Event::Connected { addr: a } if *a == addr),
        "{events:#?}"
    );
    // The attempt after the failed one is the second.
    assert!(
        events[..opened_at]
            .iter()
            .any(|e| matches!(e, Event::Reconnecting { attempt: 2, .. })),
        "{events:#?}"
    );

    let m = client.metrics();
    assert_eq!(m.connections_opened, 2);
    assert_eq!(m.connections_closed, 1);
    assert_eq!(m.connect_failures, 1);
    assert_eq!(m.reconnects, 2);

    // Dropped, the client closes its connection: no error.
    drop(client);
    seen.wait_for("the close of the second connection", |e| {
        matches!(e, Event::Disconnected { connection, error: None, .. } if *connection == second)
    })
    .await;
}

/// A `GET` cut short by a dropped connection is sent again, and the retry
/// is an event naming the command (never its key).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_is_an_event_with_the_command_name_only() {
    let server = support::server(Kind::Redis);
    let proxy = Proxy::to(&server);
    let seen = Seen::default();
    let client = seen.client(&proxy.url());
    client
        .execute(&args(&["SET", "retry:secret-key", "v"]))
        .await
        .unwrap();
    proxy.set_mode(Mode::Truncate);
    let got = within(
        Duration::from_secs(20),
        "GET",
        client.execute(&args(&["GET", "retry:secret-key"])),
    )
    .await
    .expect("the GET is retried");
    assert_eq!(got, Frame::BulkString("v".into()));
    let retried = seen
        .wait_for("retried", |e| matches!(e, Event::Retried { .. }))
        .await;
    let Event::Retried {
        command,
        attempt,
        error,
        ..
    } = &retried
    else {
        unreachable!()
    };
    assert_eq!((command.as_str(), *attempt), ("GET", 2));
    assert_eq!(*error, ErrorClass::ConnectionClosed);
    assert!(!format!("{retried:?}").contains("secret-key"));
    let m = client.metrics();
    assert_eq!(m.retries, 1);
    assert_eq!(m.errors.get(ErrorClass::ConnectionClosed), 1);
}

/// A listener that panics is contained: the connection goes on and the
/// other listeners are still called.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_listener_does_not_hurt_the_connection() {
    let server = support::server(Kind::Redis);
    let seen = Seen::default();
    let client = respec::Client::builder(&server.url())
        .unwrap()
        .on_event(|e| {
            if matches!(e, Event::HandshakeDone { .. }) {
                panic!("a listener's bug");
            }
        })
        .on_event(seen.listener())
        .build();
    for i in 0..10 {
        let n: i64 = client.incr("panic:n").await.unwrap();
        assert_eq!(n, i + 1);
    }
    assert_eq!(seen.count(|e| matches!(e, Event::HandshakeDone { .. })), 1);
    assert_eq!(client.metrics().connections_opened, 1);
}

// ---------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------

/// A client with no extra requests of its own on the wire (no reply
/// markers, no health checks), so the bytes can be counted exactly.
fn exact_config(url: &str) -> ConnectionConfig {
    let mut cfg = ConnectionConfig::from_url(url).unwrap();
    cfg.verify_replies = false;
    cfg.health_check_interval = None;
    cfg
}

fn bulk_len(value: &[u8]) -> u64 {
    format!("${}\r\n", value.len()).len() as u64 + value.len() as u64 + 2
}

/// The counters count exactly the commands and bytes sent and read, the
/// errors by class, and one latency per request. (Current-thread
/// runtime: the driver adds its counts at the end of the wake-up that
/// delivered the replies, which then ran before the caller resumes.)
#[tokio::test]
async fn the_counters_count_exactly_what_went_over_the_wire() {
    let server = support::server(Kind::Redis);
    let client = respec::ClientBuilder::from_config(exact_config(&server.url())).build();
    // The handshake counts as a connection, not as commands or bytes.
    client.execute(&args(&["PING"])).await.unwrap();
    let m = client.metrics();
    assert_eq!((m.commands, m.connections_opened), (1, 1));
    assert_eq!(m.bytes_sent, args(&["PING"]).to_bytes().len() as u64);
    assert_eq!(m.bytes_received, "+PONG\r\n".len() as u64);

    let mut sent = m.bytes_sent;
    let mut received = m.bytes_received;
    const N: u64 = 25;
    for i in 0..N {
        let value = format!("value-{i}");
        let set = args(&["SET", &format!("m:{i}"), &value]);
        sent += set.to_bytes().len() as u64;
        received += "+OK\r\n".len() as u64;
        client.execute(&set).await.unwrap();
        let get = args(&["GET", &format!("m:{i}")]);
        sent += get.to_bytes().len() as u64;
        received += bulk_len(value.as_bytes());
        client.execute(&get).await.unwrap();
    }
    // A pipeline of 10 commands: 10 commands, one latency.
    let mut pipe = respec::Pipeline::new();
    for i in 0..10 {
        let incr = args(&["INCR", &format!("m:n:{i}")]);
        sent += incr.to_bytes().len() as u64;
        received += ":1\r\n".len() as u64;
        pipe.add(incr);
    }
    pipe.execute(&client).await.unwrap();
    // Two error replies of the server (simple errors: `-` message CRLF).
    for cmd in [args(&["INCR", "m:0"]), args(&["LPUSH", "m:1", "x"])] {
        sent += cmd.to_bytes().len() as u64;
        let e = client.execute(&cmd).await.unwrap_err();
        let respec::ErrorKind::Server { message, .. } = e.kind() else {
            panic!("a server error: {e:?}")
        };
        received += 1 + message.len() as u64 + 2;
    }
    let m = client.metrics();
    assert_eq!(m.commands, 1 + 2 * N + 10 + 2);
    assert_eq!(m.bytes_sent, sent);
    assert_eq!(m.bytes_received, received);
    assert_eq!(m.errors.get(ErrorClass::Server), 2);
    assert_eq!(m.errors.total(), 2);
    // One latency per request: PING, the SETs and GETs, the pipeline, the
    // two errors.
    assert_eq!(m.latency.count(), 1 + 2 * N + 1 + 2);
    assert!(m.latency.sum() > Duration::ZERO);
    assert!(m.latency.quantile(0.5).is_some());
    assert_eq!((m.connections_opened, m.connections_closed), (1, 0));
}

/// A reply that does not come in time counts as a timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_counted_as_one() {
    let server = support::server(Kind::Redis);
    let proxy = Proxy::to(&server);
    let client = respec::Client::builder(&proxy.url())
        .unwrap()
        .retry(RetryPolicy::NEVER)
        .response_timeout(Duration::from_millis(300))
        .build();
    client.execute(&args(&["PING"])).await.unwrap();
    proxy.set_mode(Mode::StopAnswering);
    let e = within(
        Duration::from_secs(10),
        "GET",
        client.execute(&args(&["GET", "t:k"])),
    )
    .await
    .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    let m = client.metrics();
    assert_eq!(m.errors.get(ErrorClass::Timeout), 1);
    assert_eq!(m.errors.total(), 1);
    assert_eq!(m.commands, 2);
}

/// The pool's figures: connections in use, idle, and checkouts that had
/// to wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_reports_its_use() {
    let server = support::server(Kind::Redis);
    let client = respec::Client::builder(&server.url())
        .unwrap()
        .pool_size(2)
        .build();
    let pool = |c: &respec::Client| c.metrics().pool.expect("pool figures");
    assert_eq!((pool(&client).in_use, pool(&client).idle), (0, 0));
    let a = client.dedicated().await.unwrap();
    let b = client.dedicated().await.unwrap();
    let p = pool(&client);
    assert_eq!((p.max_size, p.in_use, p.idle, p.waits), (2, 2, 0, 0));
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move {
            let c = client.dedicated().await.unwrap();
            let pong = c.send(&args(&["PING"])).await.unwrap();
            assert_eq!(pong, Frame::SimpleString("PONG".into()));
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while pool(&client).waits == 0 {
        assert!(Instant::now() < deadline, "the third checkout never waited");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(a);
    within(Duration::from_secs(10), "the waiting checkout", waiting)
        .await
        .unwrap();
    drop(b);
    let p = pool(&client);
    assert_eq!((p.in_use, p.idle, p.waits), (0, 2, 1));
    assert_eq!(client.metrics().connections_opened, 2);
}

/// The blocking client counts exactly too, and reports its connections.
#[test]
fn the_blocking_client_counts_and_reports() {
    let server = support::server(Kind::Redis);
    let seen = Seen::default();
    let client = respec::blocking::Client::with_config(
        exact_config(&server.url()).on_event(seen.listener()),
    );
    let mut sent = 0;
    let mut received = 0;
    for i in 0..20 {
        let set = args(&["SET", &format!("b:{i}"), "x"]);
        sent += set.to_bytes().len() as u64;
        received += "+OK\r\n".len() as u64;
        client.execute(&set).unwrap();
    }
    let cmds: Vec<Cmd> = (0..5).map(|i| args(&["GET", &format!("b:{i}")])).collect();
    sent += cmds.iter().map(|c| c.to_bytes().len() as u64).sum::<u64>();
    received += 5 * bulk_len(b"x");
    client.pipeline(&cmds).unwrap();
    let e = client.execute(&args(&["INCR", "b:0"])).unwrap_err();
    sent += args(&["INCR", "b:0"]).to_bytes().len() as u64;
    let respec::ErrorKind::Server { message, .. } = e.kind() else {
        panic!("a server error: {e:?}")
    };
    received += 1 + message.len() as u64 + 2;
    let m = client.metrics();
    assert_eq!(m.commands, 20 + 5 + 1);
    assert_eq!((m.bytes_sent, m.bytes_received), (sent, received));
    assert_eq!(m.errors.get(ErrorClass::Server), 1);
    assert_eq!(m.latency.count(), 20 + 1 + 1);
    assert_eq!(m.connections_opened, 1);
    let events = seen.all();
    let Event::HandshakeDone { connection, .. } = events[1] else {
        panic!("{events:#?}")
    };
    assert_eq!(
        events[0],
        Event::Connected {
            addr: tcp(server.port())
        }
    );
    drop(client);
    assert_eq!(
        seen.all().last(),
        Some(&Event::Disconnected {
            addr: tcp(server.port()),
            connection,
            error: None
        })
    );
}

// ---------------------------------------------------------------------------
// Subscribers
// ---------------------------------------------------------------------------

impl Seen {
    /// [`wait_for`](Self::wait_for) from a thread.
    fn wait_for_blocking(&self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(e) = self.first_before(what, &pred, deadline) {
                return e;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The events a subscriber's reconnect must show, in order: the lost
/// connection's end, the first attempt (refused), the second attempt,
/// and the new connection's socket and handshake.
fn check_subscriber_reconnect(events: &[Event], addr: &Addr) {
    let handshakes: Vec<(usize, u64)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Event::HandshakeDone { connection, .. } => Some((i, *connection)),
            _ => None,
        })
        .collect();
    assert_eq!(handshakes.len(), 2, "{events:#?}");
    let (first, second) = (handshakes[0].1, handshakes[1].1);
    assert_ne!(first, second);
    let position = |what: &str, pred: &dyn Fn(&Event) -> bool| {
        events
            .iter()
            .position(pred)
            .unwrap_or_else(|| panic!("no {what} in {events:#?}"))
    };
    let lost = position(
        "disconnected",
        &|e| matches!(e, Event::Disconnected { connection, error: Some(_), .. } if *connection == first),
    );
    let attempt1 = position(
        "reconnecting 1",
        &|e| matches!(e, Event::Reconnecting { attempt: 1, addr: a, .. } if a == addr),
    );
    let refused = position(
        "connect failed",
        &|e| matches!(e, Event::ConnectFailed { addr: a, .. } if a == addr),
    );
    let attempt2 = position(
        "reconnecting 2",
        &|e| matches!(e, Event::Reconnecting { attempt: 2, addr: a, .. } if a == addr),
    );
    let opened = handshakes[1].0;
    assert!(
        lost < attempt1 && attempt1 < refused && refused < attempt2 && attempt2 < opened,
        "{events:#?}"
    );
    assert!(
        matches!(&events[opened - 1], Event::Connected { addr: a } if a == addr),
        "{events:#?}"
    );
}

/// An async subscriber whose connection is lost reports it as the client
/// does: `Disconnected`, a `Reconnecting` per attempt (the first one
/// refused: `ConnectFailed`), then `Connected` and `HandshakeDone`; and
/// it is subscribed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_reconnects_is_seen_in_the_events() {
    let server = support::server(Kind::Redis);
    let proxy = Proxy::to(&server);
    let seen = Seen::default();
    let client = seen.client(&proxy.url());
    let mut sub = within(Duration::from_secs(10), "subscriber", client.subscriber())
        .await
        .unwrap();
    within(Duration::from_secs(10), "SUBSCRIBE", sub.subscribe(["ev"]))
        .await
        .unwrap();
    let addr = tcp(proxy.port());

    proxy.set_mode(Mode::Refuse);
    proxy.reset_connections();
    let waiting = tokio::spawn(async move {
        let m = sub.next_message().await;
        (m, sub)
    });
    seen.wait_for(
        "connect failed",
        |e| matches!(e, Event::ConnectFailed { addr: a, .. } if *a == addr),
    )
    .await;
    proxy.set_mode(Mode::Pass);

    // Published straight to the server until the subscriber is back.
    let publisher = respec::Client::open(&server.url()).unwrap();
    let mut delivered = false;
    for _ in 0..400 {
        let n: i64 = within(
            Duration::from_secs(10),
            "PUBLISH",
            publisher.query(&args(&["PUBLISH", "ev", "back"])),
        )
        .await
        .unwrap();
        if n == 1 {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivered, "the subscriber never subscribed again");
    let (m, _sub) = within(Duration::from_secs(10), "the message", waiting)
        .await
        .unwrap();
    assert_eq!(&m.unwrap().payload[..], b"back");
    check_subscriber_reconnect(&seen.all(), &addr);
}

/// The blocking subscriber reports its reconnect with the same events.
#[test]
fn a_blocking_subscriber_that_reconnects_is_seen_in_the_events() {
    let server = support::server(Kind::Redis);
    let proxy = Proxy::to(&server);
    let seen = Seen::default();
    let client = respec::blocking::Client::with_config(
        ConnectionConfig::from_url(&proxy.url())
            .unwrap()
            .on_event(seen.listener()),
    );
    let mut sub = client.subscriber().unwrap();
    sub.set_read_timeout(Some(Duration::from_secs(20)));
    sub.subscribe(["ev"]).unwrap();
    let addr = tcp(proxy.port());

    proxy.set_mode(Mode::Refuse);
    proxy.reset_connections();
    let waiting = std::thread::spawn(move || sub.next_message());
    seen.wait_for_blocking(
        "connect failed",
        |e| matches!(e, Event::ConnectFailed { addr: a, .. } if *a == addr),
    );
    proxy.set_mode(Mode::Pass);

    let publisher = respec::blocking::Client::open(&server.url()).unwrap();
    let mut delivered = false;
    for _ in 0..400 {
        let n: i64 = publisher.query(&args(&["PUBLISH", "ev", "back"])).unwrap();
        if n == 1 {
            delivered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(delivered, "the subscriber never subscribed again");
    let m = waiting.join().unwrap().unwrap();
    assert_eq!(&m.payload[..], b"back");
    check_subscriber_reconnect(&seen.all(), &addr);
}

// ---------------------------------------------------------------------------
// Deployments
// ---------------------------------------------------------------------------

/// A `MOVED` from a cluster node is an event naming the slot and the new
/// owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_slot_is_a_redirect_event() {
    let mut cluster = support::cluster::Cluster::start(Kind::Redis, 3, 0);
    let seen = Seen::default();
    let mut config =
        respec::cluster::ClusterConfig::from_urls(&cluster.seed_urls().join(",")).unwrap();
    config.node = config.node.on_event(seen.listener());
    let client = respec::cluster::ClusterClient::with_config(config);
    let key = "events:moved";
    within(Duration::from_secs(20), "SET", client.set(key, "v"))
        .await
        .unwrap();
    assert_eq!(seen.count(|e| matches!(e, Event::Redirected { .. })), 0);
    let slot = respec::cluster::key_slot(key.as_bytes());
    let from = cluster.primary_for_slot(slot).port;
    let to = cluster.other_primary(from);
    cluster.move_slots([slot], from, to);
    let v = within(Duration::from_secs(20), "GET", client.get(key))
        .await
        .unwrap();
    assert_eq!(v.map(|v| v.to_string()).as_deref(), Some("v"));
    let redirects: Vec<Event> = seen
        .all()
        .into_iter()
        .filter(|e| matches!(e, Event::Redirected { .. }))
        .collect();
    assert_eq!(
        redirects,
        vec![Event::Redirected {
            kind: RedirectKind::Moved,
            slot,
            to: format!("127.0.0.1:{to}"),
        }]
    );
    assert_eq!(client.metrics().redirects, 1);
}

/// A Sentinel failover the client follows is an event naming the old and
/// the new master.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_failover_is_an_event() {
    use support::sentinel::{Group, SERVICE};
    let group = Group::start();
    let old = group.master_port();
    let sentinel = respec::sentinel::Sentinel::open(&group.url()).unwrap();
    let seen = Seen::default();
    let client = sentinel.master_builder().on_event(seen.listener()).build();
    client.execute(&args(&["SET", "k", "v"])).await.unwrap();
    let out = group.sentinels[0].cli(&["SENTINEL", "FAILOVER", SERVICE]);
    assert!(out.contains("OK"), "{out}");
    // Commands keep going while the client follows the failover.
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.count(|e| matches!(e, Event::Failover { .. })) == 0 {
        assert!(
            Instant::now() < deadline,
            "no failover event within 30 s: {:#?}",
            seen.all()
        );
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            client.execute(&args(&["SET", "k", "v"])),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failovers: Vec<Event> = seen
        .all()
        .into_iter()
        .filter(|e| matches!(e, Event::Failover { .. }))
        .collect();
    let [Event::Failover { service, from, to }] = &failovers[..] else {
        panic!("one failover event: {failovers:#?}")
    };
    assert_eq!((service.as_str(), from), (SERVICE, &tcp(old)));
    assert_ne!(to, from);
    // The sentinels name the new master too (the first one asked may lag).
    support::sentinel::wait_until(Duration::from_secs(20), "the sentinels to agree", || {
        tcp(group.master_port()) == *to
    });
    assert_eq!(client.metrics().failovers, 1);
}
