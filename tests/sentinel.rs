//! Redis Sentinel against real servers: three `redis-sentinel` 7.0.15
//! processes watching a Redis 7.0.15 primary with two replicas
//! (tests/support/sentinel.rs). Discovery, the ROLE check, replica reads,
//! separate sentinel credentials, URLs, and failovers (planned, a killed
//! primary, a stopped primary, a killed sentinel) under 64 writers whose
//! every acknowledged write is read back from the final master.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use respec::connection::{Addr, TlsConfig};
use respec::sentinel::{Role, Sentinel, SentinelConfig};
use respec::{Client, Cmd, ErrorKind};
use support::sentinel::{signal, wait_until, Group, SERVICE};
use support::Kind;

fn cmd(args: &[&str]) -> Cmd {
    Cmd::from_args(args.iter().copied()).unwrap()
}

fn tcp(port: u16) -> Addr {
    Addr::Tcp {
        host: "127.0.0.1".into(),
        port,
    }
}

/// The port of the server a client's shared connection reached (its TLS
/// port when it serves TLS only).
async fn port_of(client: &Client) -> u16 {
    let cfg: HashMap<String, String> = client
        .query(&cmd(&["CONFIG", "GET", "port"]))
        .await
        .unwrap();
    match cfg["port"].as_str() {
        "0" => {
            let cfg: HashMap<String, String> = client
                .query(&cmd(&["CONFIG", "GET", "tls-port"]))
                .await
                .unwrap();
            cfg["tls-port"].parse().unwrap()
        }
        p => p.parse().unwrap(),
    }
}

/// [`port_of`], or `None` when the request fails.
async fn try_port_of(client: &Client) -> Option<u16> {
    let cfg: HashMap<String, String> = client
        .query(&cmd(&["CONFIG", "GET", "port", "tls-port"]))
        .await
        .ok()?;
    match cfg.get("port")?.as_str() {
        "0" => cfg.get("tls-port")?.parse().ok(),
        p => p.parse().ok(),
    }
}

async fn role_of(client: &Client) -> String {
    let role: Vec<respec::Frame> = client.query(&cmd(&["ROLE"])).await.unwrap();
    String::from_utf8_lossy(role[0].as_bytes().unwrap()).into_owned()
}

#[test]
fn urls() {
    let c = SentinelConfig::from_url(
        "redis+sentinel://alice:p%40ss@127.0.0.1:26380,[::1]:26381,sentinel-host/mymaster/3\
         ?sentinel_username=watcher&sentinel_password=spw&sentinel_timeout=0.5&protocol=2&client_name=app",
    )
    .unwrap();
    assert_eq!(c.service_name, "mymaster");
    assert_eq!(
        c.sentinels,
        vec![
            tcp(26380),
            Addr::Tcp {
                host: "::1".into(),
                port: 26381
            },
            Addr::Tcp {
                host: "sentinel-host".into(),
                port: 26379
            },
        ]
    );
    assert_eq!(c.node.username.as_deref(), Some("alice"));
    assert_eq!(c.node.password.as_deref(), Some("p@ss"));
    assert_eq!(c.node.db, 3);
    assert_eq!(c.node.protocol, respec::connection::Protocol::Resp2);
    assert_eq!(c.node.client_name.as_deref(), Some("app"));
    assert_eq!(c.sentinel_username.as_deref(), Some("watcher"));
    assert_eq!(c.sentinel_password.as_deref(), Some("spw"));
    assert_eq!(c.sentinel_timeout, Duration::from_millis(500));
    assert_eq!(c.role, Role::Master);
    assert!(c.sentinel_tls.is_none() && c.node.tls.is_none());
    // Passwords never show in Debug.
    let debug = format!("{c:?}");
    assert!(!debug.contains("p@ss") && !debug.contains("spw"), "{debug}");

    let c = SentinelConfig::from_url(
        "rediss+sentinel://h1,h2:1/ignored?service_name=other&client_type=slave&db=2#insecure",
    )
    .unwrap();
    assert_eq!(c.service_name, "other");
    assert_eq!(c.role, Role::Replica);
    assert_eq!(c.node.db, 2);
    assert!(c.node.tls.as_ref().unwrap().insecure);
    assert!(c.sentinel_tls.as_ref().unwrap().insecure);

    // A Sentinel URL is a ConnectionConfig too.
    let cfg = respec::connection::ConnectionConfig::from_url("redis+sentinel://h/m").unwrap();
    assert!(format!("{cfg:?}").contains("Locator"));

    for (url, needle) in [
        ("redis+sentinel://h", "names no master"),
        ("redis+sentinel:///m", "names no sentinel"),
        ("redis+sentinel://h:x/m", "sentinel port must be a number"),
        ("redis+sentinel://h,,h2/m", "is not a sentinel address"),
        ("redis+sentinel://h/m/notadb", "database must be a number"),
        ("redis+sentinel://h/m/1/2", "unexpected `/2`"),
        (
            "redis+sentinel://h/m?bogus=1",
            "unknown URL parameter `bogus`",
        ),
        (
            "redis+sentinel://h/m?client_type=leader",
            "master or replica",
        ),
        ("redis+sentinel://h/m?sentinel_timeout=-1", "positive"),
        (
            "redis+sentinel://h/m?sentinel_username=u",
            "needs `sentinel_password`",
        ),
        ("redis+sentinel://h/m?ssl_ca_certs=/x", "rediss"),
    ] {
        let e = SentinelConfig::from_url(url).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InvalidConfig, "{url}");
        assert!(e.to_string().contains(needle), "{url}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_role_check_and_replicas() {
    let mut group = Group::start();
    let master = group.master_port();
    let ports: Vec<u16> = group.sentinels.iter().map(|s| s.port).collect();
    // A sentinel that is not there comes first: the next one answers and
    // is asked first from then on.
    let dead = support::free_port();
    let sentinel = Sentinel::open(&group.url_with(&[dead, ports[1], ports[0], ports[2]])).unwrap();
    assert_eq!(sentinel.discover_master().await.unwrap(), tcp(master));
    assert_eq!(sentinel.sentinels()[0], tcp(ports[1]));

    let client = sentinel.master();
    client.execute(&cmd(&["SET", "k", "v"])).await.unwrap();
    assert_eq!(port_of(&client).await, master);
    assert_eq!(role_of(&client).await, "master");
    // Client::open takes the URL directly.
    let direct = Client::open(&group.url()).unwrap();
    let v: String = direct.query(&cmd(&["GET", "k"])).await.unwrap();
    assert_eq!(v, "v");

    // Replicas: round-robin over both, each ROLE slave, reading what the
    // master wrote.
    let n: i64 = client.query(&cmd(&["WAIT", "2", "5000"])).await.unwrap();
    assert_eq!(n, 2);
    let mut seen = HashSet::new();
    for _ in 0..2 {
        let r = sentinel.replica();
        let v: String = r.query(&cmd(&["GET", "k"])).await.unwrap();
        assert_eq!(v, "v");
        assert_eq!(role_of(&r).await, "slave");
        seen.insert(port_of(&r).await);
    }
    let replicas: HashSet<u16> = group
        .nodes
        .iter()
        .map(|n| n.port())
        .filter(|p| *p != master)
        .collect();
    assert_eq!(seen, replicas, "both replicas, in turn");
    // The replica client refuses writes (it is a replica).
    let e = sentinel
        .replica()
        .execute(&cmd(&["SET", "k", "w"]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("READONLY"), "{e}");

    // ROLE refusal: a name the sentinel maps to a replica is refused, with
    // the reason; once the sentinel maps it to the master, it works.
    let liar_port = *replicas.iter().next().unwrap();
    let s0 = &group.sentinels[0];
    assert!(s0
        .cli(&[
            "SENTINEL",
            "MONITOR",
            "liar",
            "127.0.0.1",
            &liar_port.to_string(),
            "2"
        ])
        .contains("OK"));
    let liar = Sentinel::open(&format!("redis+sentinel://127.0.0.1:{}/liar", s0.port)).unwrap();
    let liar_client = liar.master();
    let e = liar_client.execute(&cmd(&["PING"])).await.unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "refused 127.0.0.1:{liar_port}: ROLE says replica, not master"
        )),
        "{e}"
    );
    assert!(e.is_connection_dropped(), "{e:?}");
    assert!(s0.cli(&["SENTINEL", "REMOVE", "liar"]).contains("OK"));
    assert!(s0
        .cli(&[
            "SENTINEL",
            "MONITOR",
            "liar",
            "127.0.0.1",
            &master.to_string(),
            "2"
        ])
        .contains("OK"));
    liar_client.execute(&cmd(&["PING"])).await.unwrap();
    assert_eq!(port_of(&liar_client).await, master);

    // No replica left: the replica client falls back to the master.
    for p in &replicas {
        group.node_mut(*p).kill();
    }
    wait_until(Duration::from_secs(10), "the replicas to be down", || {
        let out = group.sentinels[1].cli(&["SENTINEL", "REPLICAS", SERVICE]);
        out.matches("s_down").count() >= 2
    });
    let r = sentinel.replica();
    assert_eq!(port_of(&r).await, master);
    assert_eq!(role_of(&r).await, "master");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_credentials_are_separate() {
    let group = Group::builder()
        .data_password("data-pw")
        .sentinel_password("sentinel-pw")
        .start();
    let ports: Vec<String> = group
        .sentinels
        .iter()
        .map(|s| format!("127.0.0.1:{}", s.port))
        .collect();
    let hosts = ports.join(",");
    let good = format!("redis+sentinel://:data-pw@{hosts}/{SERVICE}?sentinel_password=sentinel-pw");
    let client = Client::open(&good).unwrap();
    client.execute(&cmd(&["SET", "a", "1"])).await.unwrap();

    // The data password does not open the sentinels, and the other way round.
    let swapped =
        format!("redis+sentinel://:sentinel-pw@{hosts}/{SERVICE}?sentinel_password=data-pw");
    let e = Client::open(&swapped)
        .unwrap()
        .execute(&cmd(&["PING"]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Auth, "{e}");
    assert!(
        e.to_string().contains("no sentinel gave the address"),
        "{e}"
    );
    assert!(!e.to_string().contains("data-pw"), "{e}");

    let no_sentinel_pw = format!("redis+sentinel://:data-pw@{hosts}/{SERVICE}");
    let e = Client::open(&no_sentinel_pw)
        .unwrap()
        .execute(&cmd(&["PING"]))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("no sentinel gave the address"),
        "{e}"
    );

    let wrong_data =
        format!("redis+sentinel://:nope@{hosts}/{SERVICE}?sentinel_password=sentinel-pw");
    let e = Client::open(&wrong_data)
        .unwrap()
        .execute(&cmd(&["PING"]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Auth, "{e}");
    assert!(!e.to_string().contains("sentinel gave"), "{e}");
}

/// What the writers did.
struct Tally {
    /// Per writer, the values the server acknowledged.
    acked: Vec<Vec<u64>>,
    errors: usize,
}

const WRITERS: usize = 64;

/// The most acknowledged writes a failover may lose at any rate: 1% of
/// the ~22,000 that redis-py 8.1.0 and redis-rs 1.8.1 lose in a planned
/// failover.
const MAX_LOST: usize = 220;

/// How long redis-py 8.1.0 and redis-rs 1.8.1 keep writing to the old
/// master in a planned failover (until the sentinels demote it), losing
/// every write: the async tests allow 1% of the writes of that time.
const PEER_LOSS_WINDOW: Duration = Duration::from_secs(11);

/// 64 tasks pushing unique values to a list each until `stop`.
fn start_writers(
    client: &Client,
    stopped: Arc<std::sync::atomic::AtomicBool>,
) -> Vec<tokio::task::JoinHandle<(Vec<u64>, usize)>> {
    (0..WRITERS)
        .map(|w| {
            let client = client.clone();
            let stopped = stopped.clone();
            tokio::spawn(async move {
                let key = format!("writer:{w}");
                let mut acked = Vec::new();
                let mut errors = 0;
                let mut seq = 0u64;
                while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                    seq += 1;
                    let r = client
                        .execute(&cmd(&["RPUSH", &key, &seq.to_string()]))
                        .await;
                    match r {
                        Ok(_) => acked.push(seq),
                        Err(e) => {
                            // Clear errors only: nothing else may happen.
                            assert!(
                                e.is_connection_dropped()
                                    || e.is_timeout()
                                    || e.code() == Some("READONLY")
                                    || e.kind() == &ErrorKind::Io,
                                "unexpected error: {e:?}"
                            );
                            errors += 1;
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    }
                }
                (acked, errors)
            })
        })
        .collect()
}

async fn finish(handles: Vec<tokio::task::JoinHandle<(Vec<u64>, usize)>>) -> Tally {
    let mut tally = Tally {
        acked: Vec::new(),
        errors: 0,
    };
    for h in handles {
        let (acked, errors) = tokio::time::timeout(Duration::from_secs(20), h)
            .await
            .expect("a writer hung")
            .unwrap();
        tally.acked.push(acked);
        tally.errors += errors;
    }
    tally
}

/// Reads every writer's list back from the master the sentinels name
/// (once its ROLE says master) and counts acknowledged values missing.
async fn lost_writes(group: &Group, tally: &Tally) -> (usize, usize) {
    let mut port = 0;
    let mut direct = None;
    wait_until_async(Duration::from_secs(20), "a settled master", || {
        port = group.master_port();
        direct = Some(Client::open(&group.node_url(port)).unwrap());
        direct.clone()
    })
    .await;
    let direct = direct.unwrap();
    let mut lost = 0;
    let mut total = 0;
    for (w, acked) in tally.acked.iter().enumerate() {
        let have: Vec<String> = direct
            .query(&cmd(&["LRANGE", &format!("writer:{w}"), "0", "-1"]))
            .await
            .unwrap();
        let have: HashSet<u64> = have.iter().map(|v| v.parse().unwrap()).collect();
        total += acked.len();
        lost += acked.iter().filter(|v| !have.contains(v)).count();
    }
    (lost, total)
}

/// Polls until the client `make` returns answers ROLE with master.
async fn wait_until_async(limit: Duration, what: &str, mut make: impl FnMut() -> Option<Client>) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(c) = make() {
            if let Ok(role) = tokio::time::timeout(
                Duration::from_secs(2),
                c.query::<Vec<respec::Frame>, _>(&cmd(&["ROLE"])),
            )
            .await
            {
                if role.is_ok_and(|r| r.first().and_then(|f| f.as_bytes()) == Some(b"master")) {
                    return;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "gave up after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Subscribes to a sentinel's `+switch-master` and reports when it comes.
async fn switch_listener(group: &Group, index: usize) -> tokio::sync::oneshot::Receiver<Instant> {
    let cfg = respec::connection::ConnectionConfig::from_url(&group.sentinel_url(index)).unwrap();
    let mut sub = respec::pubsub::Subscriber::connect(&cfg).await.unwrap();
    sub.subscribe(["+switch-master"]).await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(30), sub.next_message()).await {
            let _ = tx.send(Instant::now());
        }
    });
    rx
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    Planned,
    KillPrimary,
    StopPrimary,
    KillSentinel,
}

/// Runs 64 writers through `fault` and checks every acknowledged write.
async fn failover_under_writes(mut group: Group, fault: Fault) {
    let old = group.master_port();
    let sentinel = Sentinel::open(&group.url()).unwrap();
    let client = sentinel
        .master_builder()
        .response_timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(2))
        .build();
    client.execute(&cmd(&["PING"])).await.unwrap();
    // The sentinel that will lead (or see) the failover.
    let leader = match fault {
        Fault::KillSentinel => 1,
        _ => 0,
    };
    let switched = switch_listener(&group, leader).await;
    // The client subscribed to the sentinels on first use; the fault waits
    // for those subscriptions, not for a time.
    tokio::task::block_in_place(|| group.wait_for_watchers());

    let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writing_since = Instant::now();
    let writers = start_writers(&client, stopped.clone());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let fault_at = Instant::now();
    let old_pid = group.node(old).pid().unwrap();
    match fault {
        Fault::Planned => {
            let out = group.sentinels[0].cli(&["SENTINEL", "FAILOVER", SERVICE]);
            assert!(out.contains("OK"), "{out}");
        }
        Fault::KillPrimary => group.node_mut(old).kill(),
        Fault::StopPrimary => signal(old_pid, libc::SIGSTOP),
        Fault::KillSentinel => {
            // The first sentinel (the client asks it first) dies; a planned
            // failover then runs through another one.
            group.sentinels[0].kill();
            tokio::time::sleep(Duration::from_millis(500)).await;
            let out = group.sentinels[1].cli(&["SENTINEL", "FAILOVER", SERVICE]);
            assert!(out.contains("OK"), "{out}");
        }
    }
    let announced = match tokio::time::timeout(Duration::from_secs(20), switched).await {
        Ok(at) => at.expect("the listener ended"),
        Err(_) => panic!(
            "no +switch-master within 20 s; the sentinels' logs:\n{}",
            group.logs()
        ),
    };
    // Keep writing on the new master for a while.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stopped.store(true, std::sync::atomic::Ordering::Relaxed);
    let writing_for = writing_since.elapsed();
    let tally = finish(writers).await;
    if let Fault::StopPrimary = fault {
        signal(old_pid, libc::SIGCONT);
    }

    // The sentinels name a new master, and new requests go there. (On a
    // starved machine the sentinels may fail over once more, from the new
    // master to the other replica: wait, bounded, until the two agree.)
    let deadline = Instant::now() + Duration::from_secs(20);
    let new = loop {
        let named = tokio::task::block_in_place(|| group.master_port());
        let reached = tokio::time::timeout(Duration::from_secs(2), try_port_of(&client))
            .await
            .ok()
            .flatten();
        if named != old && reached == Some(named) {
            break named;
        }
        assert!(
            Instant::now() < deadline,
            "the client reaches {reached:?}, the sentinels name {named} (the old master {old})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let switch = sentinel.last_switch().expect("the client switched");
    assert_eq!(switch.to, tcp(new));
    assert_ne!(switch.from, tcp(new));
    assert_eq!(role_of(&client).await, "master");

    let (lost, total) = lost_writes(&group, &tally).await;
    let after = |t: Instant| {
        if t >= announced {
            format!("{:.1} ms after", (t - announced).as_secs_f64() * 1e3)
        } else {
            format!("{:.1} ms before", (announced - t).as_secs_f64() * 1e3)
        }
    };
    eprintln!(
        "{fault:?}: {total} writes acknowledged, {lost} lost, {} errors; +switch-master {:.0} ms \
         after the fault; the client's first connection to the new master {} +switch-master{}",
        tally.errors,
        (announced - fault_at).as_secs_f64() * 1e3,
        after(switch.at),
        switch
            .announced_at
            .map(|a| format!(" (the message that moved it came {})", after(a)))
            .unwrap_or_default(),
    );
    assert!(total > 1000, "the writers made progress: {total}");
    // Requests already sent to the old master when the failover began may
    // be acknowledged by it after the replica left it: one per writer in
    // flight (64, the usual count of a planned failover here), and on a
    // loaded machine those sent while the promotion message waited for a
    // thread. The bar: at most 1% of what redis-py and redis-rs
    // lose, which is every write of the ~11 s until the old master is
    // demoted (~22,000 at their rate). At this client's rate, 1% of that
    // is the writes of 110 ms; never less than 220.
    let rate = total as f64 / writing_for.as_secs_f64();
    let allowed = MAX_LOST.max((rate * PEER_LOSS_WINDOW.as_secs_f64() / 100.0) as usize);
    assert!(
        lost <= allowed,
        "{lost} acknowledged writes lost (allowed {allowed}: 1% of {:.0} writes/s for {PEER_LOSS_WINDOW:?})",
        rate
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planned_failover() {
    failover_under_writes(Group::start(), Fault::Planned).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_primary() {
    failover_under_writes(Group::start(), Fault::KillPrimary).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_primary() {
    failover_under_writes(Group::start(), Fault::StopPrimary).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_sentinel() {
    failover_under_writes(Group::start(), Fault::KillSentinel).await;
}

/// The same planned failover, with Redis 8.2.3 everywhere: the data nodes
/// and the three sentinels (`redis-server --sentinel`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planned_failover_on_redis_8() {
    let group = Group::builder().kind(Kind::Redis).start();
    let sentinel = Sentinel::open(&group.url()).unwrap();
    let client = sentinel.master();
    let info: String = client.query(&cmd(&["INFO", "server"])).await.unwrap();
    assert!(info.contains("redis_version:8.2.3"), "{info}");
    let out = group.sentinels[0].cli(&["INFO", "server"]);
    assert!(
        out.contains("redis_version:8.2.3") && out.contains("redis_mode:sentinel"),
        "{out}"
    );
    failover_under_writes(group, Fault::Planned).await;
}

/// TLS to the sentinels and to the data nodes: every server of the group
/// listens on a TLS port only and wants a client certificate; the client
/// reaches it through a `rediss+sentinel://` URL and through settings
/// built field by field, reads from the master and a replica, is refused
/// clearly without TLS or without its certificate, and follows a planned
/// failover under 64 writers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_sentinels_and_data_nodes() {
    let group = Group::builder().tls().start();
    let certs = group.certs.clone().unwrap();
    let master = group.master_port();
    let url = group.url();
    assert!(url.starts_with("rediss+sentinel://"), "{url}");

    // The URL: TLS (and the client certificate) to both.
    let client = Client::open(&url).unwrap();
    client.execute(&cmd(&["SET", "over", "tls"])).await.unwrap();
    assert_eq!(port_of(&client).await, master);
    assert_eq!(role_of(&client).await, "master");
    let blocking = respec::blocking::Client::open(&url).unwrap();
    let v: String = blocking.query(&cmd(&["GET", "over"])).unwrap();
    assert_eq!(v, "tls");

    // Field by field, through the builder; a replica reads what the
    // master wrote.
    let tls = TlsConfig {
        ca_cert: Some(certs.ca.clone()),
        client_cert: Some(certs.client_cert.clone()),
        client_key: Some(certs.client_key.clone()),
        ..TlsConfig::default()
    };
    let sentinels: Vec<Addr> = group.sentinels.iter().map(|s| tcp(s.port)).collect();
    let mut config = SentinelConfig::new(SERVICE, sentinels.clone());
    config.sentinel_tls = Some(tls.clone());
    config.node.tls = Some(tls.clone());
    let sentinel = Sentinel::new(config.clone());
    assert_eq!(sentinel.discover_master().await.unwrap(), tcp(master));
    let built = sentinel
        .master_builder()
        .response_timeout(Duration::from_secs(5))
        .build();
    let v: String = built.query(&cmd(&["GET", "over"])).await.unwrap();
    assert_eq!(v, "tls");
    built.execute(&cmd(&["SET", "built", "yes"])).await.unwrap();
    let n: i64 = built.query(&cmd(&["WAIT", "2", "5000"])).await.unwrap();
    assert_eq!(n, 2);
    let replica = sentinel.replica();
    assert_eq!(role_of(&replica).await, "slave");
    let v: String = replica.query(&cmd(&["GET", "built"])).await.unwrap();
    assert_eq!(v, "yes");
    assert_ne!(port_of(&replica).await, master);

    // Plain TCP to TLS-only sentinels: no sentinel answers, and the error
    // says so for each.
    let mut plain = config.clone();
    plain.sentinel_tls = None;
    let e = Sentinel::new(plain).discover_master().await.unwrap_err();
    assert!(
        e.to_string()
            .contains("no sentinel gave the address of `mymaster`"),
        "{e}"
    );
    // TLS without the client certificate: the sentinels refuse it, with
    // an error that says the server wanted a certificate.
    let mut anonymous = config.clone();
    let no_cert = TlsConfig {
        ca_cert: Some(certs.ca.clone()),
        ..TlsConfig::default()
    };
    anonymous.sentinel_tls = Some(no_cert.clone());
    anonymous.node.tls = Some(no_cert);
    let e = Sentinel::new(anonymous)
        .master()
        .execute(&cmd(&["PING"]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains("client certificate"), "{e}");
    // The sentinels' TLS right, the data nodes' missing: the node refuses.
    let mut half = config.clone();
    half.node.tls = None;
    let e = Sentinel::new(half)
        .master()
        .execute(&cmd(&["PING"]))
        .await
        .unwrap_err();
    assert!(
        e.is_connection_dropped() || e.kind() == &ErrorKind::Io,
        "{e:?}"
    );
    drop((client, blocking, built, replica, sentinel));

    // A planned failover, followed over TLS.
    failover_under_writes(group, Fault::Planned).await;
}

#[test]
fn blocking_discovery_and_planned_failover() {
    let group = Group::start();
    let old = group.master_port();
    let sentinel = Sentinel::open(&group.url()).unwrap();
    let client = Arc::new(sentinel.blocking_master());
    client.execute(&cmd(&["SET", "k", "v"])).unwrap();
    group.wait_for_watchers();
    let port: HashMap<String, String> = client.query(&cmd(&["CONFIG", "GET", "port"])).unwrap();
    assert_eq!(port["port"], old.to_string());
    let replica = sentinel.blocking_replica();
    let role: Vec<respec::Frame> = replica.query(&cmd(&["ROLE"])).unwrap();
    assert_eq!(role[0].as_bytes(), Some(&b"slave"[..]));

    let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let threads: Vec<_> = (0..8)
        .map(|w| {
            let client = client.clone();
            let stopped = stopped.clone();
            std::thread::spawn(move || {
                let key = format!("writer:{w}");
                let mut acked = Vec::new();
                let mut seq = 0u64;
                while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                    seq += 1;
                    match client.execute(&cmd(&["RPUSH", &key, &seq.to_string()])) {
                        Ok(_) => acked.push(seq),
                        Err(e) => {
                            assert!(
                                e.is_connection_dropped()
                                    || e.is_timeout()
                                    || e.code() == Some("READONLY"),
                                "{e:?}"
                            );
                            std::thread::sleep(Duration::from_millis(5));
                        }
                    }
                }
                acked
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1000));
    let out = group.sentinels[0].cli(&["SENTINEL", "FAILOVER", SERVICE]);
    assert!(out.contains("OK"), "{out}");
    wait_until(Duration::from_secs(20), "the client to switch", || {
        sentinel.last_switch().is_some()
    });
    std::thread::sleep(Duration::from_millis(1000));
    stopped.store(true, std::sync::atomic::Ordering::Relaxed);
    let acked: Vec<Vec<u64>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    // The client moved on the leading sentinel's promotion message; the
    // sentinels name the new master a little later (once the promotion
    // is confirmed), later still on a loaded machine.
    wait_until(
        Duration::from_secs(20),
        "the sentinels to name the new master",
        || group.master_port() != old,
    );
    let new = group.master_port();
    let port: HashMap<String, String> = client.query(&cmd(&["CONFIG", "GET", "port"])).unwrap();
    assert_eq!(port["port"], new.to_string());

    let direct = respec::blocking::Client::open(&format!("redis://127.0.0.1:{new}")).unwrap();
    let mut lost = 0;
    let mut total = 0;
    for (w, acked) in acked.iter().enumerate() {
        let have: Vec<String> = direct
            .query(&cmd(&["LRANGE", &format!("writer:{w}"), "0", "-1"]))
            .unwrap();
        let have: HashSet<u64> = have.iter().map(|v| v.parse().unwrap()).collect();
        total += acked.len();
        lost += acked.iter().filter(|v| !have.contains(v)).count();
    }
    eprintln!(
        "blocking planned failover: {total} writes acknowledged, {lost} lost; {:?}",
        sentinel.last_switch()
    );
    assert!(total > 100, "{total}");
    // The bar of the issue: at most 1% of the ~22,000 writes the peers
    // lose in a planned failover (220). Runs here lose 0 to about 30 on a
    // loaded machine: the writes in flight when the old primary stops
    // accepting them while the threads are between the switch and the
    // next ROLE check.
    assert!(lost <= MAX_LOST, "{lost} acknowledged writes lost");
}
