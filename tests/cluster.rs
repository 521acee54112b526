//! The async cluster client against a real 3-primary, 3-replica cluster of
//! Redis 8.2.3 (and Valkey 9.1.2): routing by slot, policies, split
//! commands, redirects while slots move, a primary's loss.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use respec::cluster::{key_slot, ClusterClient};
use respec::prelude::*;
use respec::{Cmd, ErrorKind, Frame};
use support::cluster::Cluster;
use support::Kind;

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a.iter().copied()).expect("non-empty")
}

async fn within<T>(secs: u64, what: &str, f: impl std::future::IntoFuture<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

fn client_for(cluster: &Cluster) -> ClusterClient {
    ClusterClient::open(&cluster.seed_urls().join(",")).unwrap()
}

/// Keys land on the primary that owns their slot; keyless commands follow
/// their policy; split commands come back in the caller's order.
async fn routes_and_policies(kind: Kind) {
    let cluster = Cluster::start(kind, 3, 1);
    let client = client_for(&cluster);
    let keys: Vec<String> = (0..300).map(|i| format!("k:{i}")).collect();
    for (i, k) in keys.iter().enumerate() {
        within(10, "SET", client.set(k.as_str(), format!("v:{i}")))
            .await
            .unwrap();
    }
    // Every key is on the primary that owns its slot.
    let mut expected: HashMap<u16, i64> = HashMap::new();
    for k in &keys {
        *expected
            .entry(cluster.primary_for_key(k.as_bytes()).port)
            .or_default() += 1;
    }
    for p in cluster.primaries() {
        let n = cluster.call(p.port, &["DBSIZE"]).int().unwrap();
        assert_eq!(
            n,
            expected.get(&p.port).copied().unwrap_or(0),
            "node {}",
            p.port
        );
    }
    // Reads come back from wherever they live.
    for (i, k) in keys.iter().enumerate() {
        let v = within(10, "GET", client.get(k.as_str())).await.unwrap();
        assert_eq!(
            v.map(|v| v.to_string()).as_deref(),
            Some(format!("v:{i}").as_str())
        );
    }
    // DBSIZE: summed over the primaries.
    let n: i64 = within(10, "DBSIZE", client.dbsize()).await.unwrap();
    assert_eq!(n, 300);
    // KEYS: every primary's keys.
    let all: Vec<String> = within(10, "KEYS", client.execute(&args(&["KEYS", "k:*"])))
        .await
        .map(|f| respec::FromResp::from_resp(f).unwrap())
        .unwrap();
    assert_eq!(all.len(), 300);
    // SCAN over every primary: each key once.
    let mut scanned: Vec<String> = within(
        10,
        "SCAN",
        client
            .scan_iter::<String>(respec::scan::ScanOptions::new().pattern("k:*").count(50))
            .collect_all(),
    )
    .await
    .unwrap();
    scanned.sort();
    let mut want = keys.clone();
    want.sort();
    assert_eq!(scanned, want);
    // MGET across slots, in the caller's order, with a missing key.
    let picks = ["k:7", "k:200", "nope", "k:0", "k:123"];
    let got: Vec<Option<String>> = within(
        10,
        "MGET",
        client.execute(&args(&{
            let mut a = vec!["MGET"];
            a.extend(picks);
            a
        })),
    )
    .await
    .map(|f| respec::FromResp::from_resp(f).unwrap())
    .unwrap();
    assert_eq!(
        got,
        vec![
            Some("v:7".to_string()),
            Some("v:200".to_string()),
            None,
            Some("v:0".to_string()),
            Some("v:123".to_string())
        ]
    );
    // MSET and DEL across slots: all succeeded, and the sum.
    within(
        10,
        "MSET",
        client.execute(&args(&["MSET", "m:a", "1", "m:b", "2", "m:c", "3"])),
    )
    .await
    .unwrap();
    let d = within(
        10,
        "DEL",
        client.execute(&args(&["DEL", "m:a", "m:b", "m:c", "m:none"])),
    )
    .await
    .unwrap();
    assert_eq!(d, Frame::Integer(3));
    // Keys in several slots of a command that cannot be split: refused
    // before anything is sent.
    let e = within(
        10,
        "RENAME",
        client.execute(&args(&["RENAME", "k:1", "k:2"])),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("CROSSSLOT"), "{e}");
    // A hash tag keeps them together.
    within(10, "SET", client.set("{u}a", "1")).await.unwrap();
    within(
        10,
        "RENAME",
        client.execute(&args(&["RENAME", "{u}a", "{u}b"])),
    )
    .await
    .unwrap();
    let v = within(10, "GET", client.get("{u}b")).await.unwrap();
    assert_eq!(v.map(|v| v.to_string()).as_deref(), Some("1"));
    // A blocking command runs on a dedicated connection of its node.
    let c2 = client.clone();
    let popped = tokio::spawn(async move { c2.blpop(["q:1"], 5.0).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    within(10, "LPUSH", client.lpush("q:1", ["x"]))
        .await
        .unwrap();
    let got = within(10, "BLPOP", popped).await.unwrap().unwrap();
    assert_eq!(
        got.map(|(k, v)| (k.to_string(), v.to_string())),
        Some(("q:1".to_string(), "x".to_string()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cluster_routes_by_slot_and_policy() {
    routes_and_policies(Kind::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valkey_cluster_routes_by_slot_and_policy() {
    routes_and_policies(Kind::Valkey).await;
}

/// 500 slots moved with the server's own flow while 64 tasks write: no task
/// sees an error (MOVED and ASK are followed), every acknowledged write
/// reads back, and the client's slot map follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_follow_slots_that_move() {
    let mut cluster = Cluster::start(Kind::Redis, 3, 1);
    let client = client_for(&cluster);
    client.refresh().await.unwrap();
    let primaries: Vec<u16> = cluster.primaries().iter().map(|n| n.port).collect();
    let (from, to) = (primaries[0], primaries[1]);
    let moving: Vec<u16> = cluster
        .node_by_port(from)
        .slots
        .iter()
        .flat_map(|&(a, b)| a..=b)
        .take(500)
        .collect();
    // Keys in the slots that will move, written before and during the move.
    let in_moving: Vec<String> = (0..200_000)
        .map(|i| format!("w:{i}"))
        .filter(|k| moving.contains(&key_slot(k.as_bytes())))
        .take(1024)
        .collect();
    // A multiple of the writers, so that each key has one writer.
    assert_eq!(in_moving.len(), 1024);
    for k in &in_moving[..100] {
        within(10, "SET", client.set(k.as_str(), k.as_str()))
            .await
            .unwrap();
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let keys = Arc::new(in_moving.clone());
    let mut writers = Vec::new();
    for t in 0..64usize {
        let (client, stop, keys) = (client.clone(), stop.clone(), keys.clone());
        writers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut i = t;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let k = &keys[i % keys.len()];
                let v = format!("{k}:{i}");
                match client.set(k.as_str(), v.as_str()).await {
                    Ok(_) => acked.push((k.clone(), v)),
                    Err(e) => return Err(format!("{k}: {e}")),
                }
                i += 64;
                if i > 200_000 {
                    break;
                }
            }
            Ok(acked)
        }));
    }
    let moved = tokio::task::spawn_blocking(move || {
        let n = cluster.move_slots(moving.clone(), from, to);
        (cluster, n)
    })
    .await
    .unwrap();
    let (cluster, n) = moved;
    assert!(n > 0, "keys moved");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut last: HashMap<String, String> = HashMap::new();
    for w in writers {
        let acked = within(30, "a writer", w).await.unwrap().unwrap();
        // Each writer owns the keys i ≡ t (mod 64): its last write wins.
        for (k, v) in acked {
            last.insert(k, v);
        }
    }
    for (k, v) in &last {
        let got = within(10, "GET", client.get(k.as_str())).await.unwrap();
        assert_eq!(
            got.map(|g| g.to_string()).as_deref(),
            Some(v.as_str()),
            "{k}"
        );
    }
    // The client's map now names the new owner.
    let slot = key_slot(in_moving[0].as_bytes());
    client.refresh().await.unwrap();
    assert_eq!(client.slot_map().primary(slot).unwrap().port, to);
    assert_eq!(cluster.primary_for_slot(slot).port, to);
}

/// A primary killed under traffic from 32 tasks writing keys of every
/// shard: the healthy shards never wait behind the dead one (no 0.5 s
/// without a successful write), writes to the dead shard fail at once with a
/// clear error until its replica takes over and succeed soon after, and
/// every acknowledged write reads back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_follows_a_failover_without_a_global_stall() {
    // With full coverage required (the servers' default), every node
    // answers CLUSTERDOWN for every slot from the moment the dead primary
    // is flagged failed until its replica is promoted: no client can write
    // anything then. Without it, the healthy shards serve throughout, which
    // is what this measures.
    let mut cluster = Cluster::start_with(
        Kind::Redis,
        3,
        1,
        &[("cluster-require-full-coverage", "no")],
    );
    let client = client_for(&cluster);
    client.refresh().await.unwrap();
    let victim = cluster.primaries()[0].port;
    let replica = cluster.replicas_of(victim)[0].port;
    let started = Instant::now();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for t in 0..32u64 {
        let (client, stop) = (client.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            // (time of success, key, value) and the errors seen.
            let mut acked = Vec::new();
            let mut errors = Vec::new();
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let k = format!("fo:{t}:{}", i % 200);
                let v = format!("{t}:{i}");
                match tokio::time::timeout(
                    Duration::from_secs(5),
                    client.set(k.as_str(), v.as_str()),
                )
                .await
                {
                    Ok(Ok(_)) => acked.push((started.elapsed(), k, v)),
                    Ok(Err(e)) => errors.push(e),
                    Err(_) => panic!("a SET hung for 5 s"),
                }
            }
            (acked, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let killed_at = started.elapsed();
    // The moment the replica reports itself primary (ROLE, every 10 ms).
    let role_watch = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(mut conn) = support::cluster::Conn::connect(replica) {
                if let Ok(role) = conn.call(&["ROLE"]) {
                    let first = role.items().and_then(|i| i.first()).and_then(|r| r.text());
                    if first.as_deref() == Some("master") {
                        return Some(started.elapsed());
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    });
    cluster.kill(victim);
    let promoted = tokio::task::spawn_blocking(move || {
        let took = cluster.wait_for_primary_change(victim, Duration::from_secs(20));
        (cluster, took)
    })
    .await
    .unwrap();
    let (mut cluster, _) = promoted;
    let promoted_at = role_watch
        .join()
        .unwrap()
        .expect("the replica never became primary");
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acked = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        let (a, e) = within(20, "a writer", t).await.unwrap();
        acked.extend(a);
        errors.extend(e);
    }
    // No half second without a successful write, the kill included.
    acked.sort_by_key(|(at, _, _)| *at);
    let mut longest_gap = Duration::ZERO;
    for w in acked.windows(2) {
        longest_gap = longest_gap.max(w[1].0 - w[0].0);
    }
    // The dead shard's keys: writes resume soon after the promotion.
    let on_victim_shard = |k: &str| cluster.node_by_port(replica).serves(key_slot(k.as_bytes()));
    let resumed = acked
        .iter()
        // (Writes in flight at the kill may still be answered just after.)
        .find(|(at, k, _)| *at > killed_at + Duration::from_millis(100) && on_victim_shard(k))
        .map(|(at, _, _)| *at)
        .expect("writes to the failed shard never resumed");
    println!(
        "killed at {killed_at:?}, replica primary at {promoted_at:?}, writes to its keys resumed at {resumed:?}; \
         longest gap between successful writes {longest_gap:?}; {} writes, {} errors",
        acked.len(),
        errors.len()
    );
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for e in &errors {
        let text = e.to_string();
        let kind = if text.contains("cannot be reached") {
            "unreachable, no other owner yet"
        } else if text.contains("CLUSTERDOWN") {
            "CLUSTERDOWN"
        } else {
            "other"
        };
        if kind == "other" {
            println!("error: {text}");
        }
        *kinds.entry(kind.to_string()).or_default() += 1;
    }
    println!("errors: {kinds:?}");
    assert!(
        longest_gap < Duration::from_millis(500),
        "a global stall of {longest_gap:?}"
    );
    assert!(
        resumed.saturating_sub(promoted_at) < Duration::from_millis(500),
        "followed the promotion only after {:?}",
        resumed.saturating_sub(promoted_at)
    );
    for e in &errors {
        assert!(
            e.is_connection_dropped() || e.is_timeout() || e.is_server_error(),
            "unclear error: {e}"
        );
    }
    // Every acknowledged write reads back (the last one per key).
    let mut last: HashMap<String, String> = HashMap::new();
    for (_, k, v) in acked {
        last.insert(k, v);
    }
    for (k, v) in last.iter().take(500) {
        let got = within(10, "GET", client.get(k.as_str())).await.unwrap();
        assert_eq!(
            got.map(|g| g.to_string()).as_deref(),
            Some(v.as_str()),
            "{k}"
        );
    }
    // The killed node, restarted, rejoins as a replica; made primary again
    // (a coordinated failover), the client follows it back.
    let key = last
        .keys()
        .find(|k| on_victim_shard(k))
        .expect("a key of the failed shard")
        .clone();
    let mut cluster = tokio::task::spawn_blocking(move || {
        cluster.restart(victim);
        cluster.failover(victim);
        cluster
    })
    .await
    .unwrap();
    cluster.refresh();
    assert_eq!(cluster.primary_for_key(key.as_bytes()).port, victim);
    let sets_before = calls_on(&cluster, victim, "set");
    within(10, "SET", client.set(key.as_str(), "back"))
        .await
        .unwrap();
    let v = within(10, "GET", client.get(key.as_str())).await.unwrap();
    assert_eq!(v.map(|v| v.to_string()).as_deref(), Some("back"));
    assert_eq!(
        calls_on(&cluster, victim, "set") - sets_before,
        1,
        "the restarted primary served the write"
    );
}

/// The blocking cluster client: the same routing, splitting, combining and
/// redirects, from threads.
#[test]
fn the_blocking_cluster_client_routes_splits_and_follows_moves() {
    let mut cluster = Cluster::start(Kind::Redis, 3, 1);
    let client = Arc::new(
        respec::cluster::BlockingClusterClient::open(&cluster.seed_urls().join(",")).unwrap(),
    );
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    let k = format!("b:{t}:{i}");
                    client.set(k.as_str(), k.as_str()).run().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let n: i64 = client.dbsize().run().unwrap();
    assert_eq!(n, 400);
    for p in cluster.primaries() {
        let on_node = cluster.call(p.port, &["DBSIZE"]).int().unwrap();
        let expected = (0..4)
            .flat_map(|t| (0..100).map(move |i| format!("b:{t}:{i}")))
            .filter(|k| cluster.primary_for_key(k.as_bytes()).port == p.port)
            .count() as i64;
        assert_eq!(on_node, expected);
    }
    let got: Vec<Option<String>> = client
        .query(&args(&["MGET", "b:0:1", "b:3:99", "none", "b:2:50"]))
        .unwrap();
    assert_eq!(
        got,
        vec![
            Some("b:0:1".to_string()),
            Some("b:3:99".to_string()),
            None,
            Some("b:2:50".to_string())
        ]
    );
    // Move the slot of one key: the next read follows MOVED.
    let key = "b:1:1";
    let slot = key_slot(key.as_bytes());
    let from = cluster.primary_for_slot(slot).port;
    let to = cluster.other_primary(from);
    cluster.move_slots([slot], from, to);
    let v = client.get(key).run().unwrap();
    assert_eq!(v.map(|v| v.to_string()).as_deref(), Some(key));
    assert_eq!(client.slot_map().primary(slot).unwrap().port, to);
}

/// Pipelines split by node come back in the caller's order with
/// per-command errors; a command whose slot moved is re-routed alone; a
/// transaction runs on its slot's node and one spanning slots is refused.
async fn pipelines_and_transactions(kind: Kind) {
    let mut cluster = Cluster::start(kind, 3, 1);
    let client = client_for(&cluster);
    client.refresh().await.unwrap();
    let mut pipe = respec::Pipeline::new();
    for i in 0..100 {
        pipe.add(args(&["SET", &format!("p:{i}"), &format!("v:{i}")]));
    }
    pipe.add(args(&["INCR", "p:7"])); // an error: not an integer
    pipe.add(args(&["DBSIZE"])); // every primary, summed
    let results = within(20, "pipeline", pipe.execute_cluster(&client))
        .await
        .unwrap();
    assert_eq!(results.len(), 102);
    assert!(results[..100].iter().all(|r| r.is_ok()));
    let e = results[100].as_ref().unwrap_err();
    assert!(e.to_string().contains("not an integer"), "{e}");
    assert_eq!(results[101].as_ref().unwrap(), &Frame::Integer(100));
    // Reads in the caller's order, one slot moved behind the client's back.
    let key = "p:42";
    let slot = key_slot(key.as_bytes());
    let from = cluster.primary_for_slot(slot).port;
    let to = cluster.other_primary(from);
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.move_slots([slot], from, to);
        cluster
    })
    .await
    .unwrap();
    let mut reads = respec::Pipeline::new();
    for i in (0..100).rev() {
        reads.add(args(&["GET", &format!("p:{i}")]));
    }
    let got: Vec<String> = within(20, "reads", reads.query_cluster(&client))
        .await
        .unwrap();
    let want: Vec<String> = (0..100).rev().map(|i| format!("v:{i}")).collect();
    assert_eq!(got, want);
    // A transaction in one slot.
    let mut tx = respec::Pipeline::atomic();
    tx.add(args(&["INCR", "{acct}n"]))
        .add(args(&["INCR", "{acct}n"]));
    let (a, b): (i64, i64) = within(10, "MULTI", tx.query_cluster(&client))
        .await
        .unwrap();
    assert_eq!((a, b), (1, 2));
    // One spanning slots: refused before sending.
    let mut tx = respec::Pipeline::atomic();
    tx.add(args(&["INCR", "x"])).add(args(&["INCR", "y"]));
    let e = within(10, "MULTI", tx.execute_cluster(&client))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    // `response_policy: special` through the typed methods: RANDOMKEY is
    // one existing key, INFO one text with every primary's part.
    let k = within(10, "RANDOMKEY", client.randomkey()).await.unwrap();
    let k = k.expect("the cluster has keys").to_string();
    assert_eq!(
        within(10, "EXISTS", client.exists([k.as_str()]))
            .await
            .unwrap(),
        1
    );
    let info = within(10, "INFO", client.info().section(["server"]))
        .await
        .unwrap()
        .to_string();
    let mut headed: Vec<u16> = info
        .lines()
        .filter_map(|l| l.strip_prefix("# node "))
        .map(|a| a.rsplit(':').next().unwrap().parse().unwrap())
        .collect();
    headed.sort();
    let mut primaries: Vec<u16> = cluster.primaries().iter().map(|p| p.port).collect();
    primaries.sort();
    assert_eq!(headed, primaries);
    let ports: Vec<u16> = info
        .lines()
        .filter_map(|l| l.strip_prefix("tcp_port:"))
        .map(|p| p.trim().parse().unwrap())
        .collect();
    let mut sorted_ports = ports.clone();
    sorted_ports.sort();
    assert_eq!(sorted_ports, primaries);
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_pipelines_and_transactions_on_a_cluster() {
    pipelines_and_transactions(Kind::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valkey_pipelines_and_transactions_on_a_cluster() {
    pipelines_and_transactions(Kind::Valkey).await;
}

/// With a replica read policy, read-only commands are served by replicas
/// (counted per node), writes still by primaries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_from_replicas_when_asked() {
    let cluster = Cluster::start(Kind::Redis, 3, 1);
    let mut cfg =
        respec::cluster::ClusterConfig::from_urls(&cluster.seed_urls().join(",")).unwrap();
    cfg.read_from = respec::cluster::ReadFrom::PreferReplica;
    let client = ClusterClient::with_config(cfg);
    for i in 0..60 {
        within(10, "SET", client.set(format!("r:{i}"), i))
            .await
            .unwrap();
    }
    // Wait until the replicas have every key.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let on_replicas: i64 = cluster
            .nodes()
            .iter()
            .filter(|n| !cluster.primaries().iter().any(|p| p.port == n.port))
            .map(|n| cluster.call(n.port, &["DBSIZE"]).int().unwrap())
            .sum();
        if on_replicas == 60 {
            break;
        }
        assert!(Instant::now() < deadline, "replication did not catch up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for i in 0..60 {
        let v: i64 = within(10, "GET", client.get(format!("r:{i}")).reply::<i64>())
            .await
            .unwrap();
        assert_eq!(v, i);
    }
    let gets_on = |port: u16| -> i64 {
        let stats = cluster.cli(port, &["INFO", "commandstats"]);
        stats
            .lines()
            .find(|l| l.starts_with("cmdstat_get:"))
            .and_then(|l| l.split("calls=").nth(1))
            .and_then(|c| c.split(',').next())
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    };
    let primary_gets: i64 = cluster.primaries().iter().map(|p| gets_on(p.port)).sum();
    let replica_gets: i64 = cluster
        .nodes()
        .iter()
        .filter(|n| !cluster.primaries().iter().any(|p| p.port == n.port))
        .map(|n| gets_on(n.port))
        .sum();
    assert_eq!((primary_gets, replica_gets), (0, 60));
    // Nearest by latency: the round trip to every replica is measured at
    // the topology read, and reads go to the lowest (on loopback they are
    // all alike, so what is checked is that replicas serve every read,
    // with the same values).
    let mut cfg =
        respec::cluster::ClusterConfig::from_urls(&cluster.seed_urls().join(",")).unwrap();
    cfg.read_from = respec::cluster::ReadFrom::LowestLatency;
    let nearest = ClusterClient::with_config(cfg);
    within(10, "refresh", nearest.refresh()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while nearest.replica_latencies().len() < 3 {
        assert!(Instant::now() < deadline, "replicas never measured");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let replica_ports: Vec<u16> = cluster
        .nodes()
        .iter()
        .filter(|n| !cluster.primaries().iter().any(|p| p.port == n.port))
        .map(|n| n.port)
        .collect();
    let mut measured: Vec<u16> = nearest.replica_latencies().keys().map(|a| a.port).collect();
    measured.sort();
    let mut want = replica_ports.clone();
    want.sort();
    assert_eq!(measured, want);
    for i in 0..60 {
        let v: i64 = within(10, "GET", nearest.get(format!("r:{i}")).reply::<i64>())
            .await
            .unwrap();
        assert_eq!(v, i);
    }
    let primary_after: i64 = cluster.primaries().iter().map(|p| gets_on(p.port)).sum();
    let replica_after: i64 = replica_ports.iter().map(|&p| gets_on(p)).sum();
    assert_eq!((primary_after, replica_after), (0, 120));
    // Writes still go to primaries.
    within(10, "SET", nearest.set("r:new", 1)).await.unwrap();
    let owner = cluster.primary_for_key(b"r:new").port;
    assert_eq!(
        cluster.call(owner, &["GET", "r:new"]).text().as_deref(),
        Some("1")
    );
}

/// A node that stops answering (SIGSTOP) is detected by the response
/// timeout; the other shards keep answering at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_node_is_detected_by_the_response_timeout() {
    let mut cluster = Cluster::start(Kind::Redis, 3, 1);
    let mut cfg =
        respec::cluster::ClusterConfig::from_urls(&cluster.seed_urls().join(",")).unwrap();
    cfg.node.response_timeout = Some(Duration::from_millis(500));
    let client = ClusterClient::with_config(cfg);
    client.refresh().await.unwrap();
    let stalled = cluster.primaries()[1].port;
    let stalled_key = (0..10_000)
        .map(|i| format!("s:{i}"))
        .find(|k| cluster.primary_for_key(k.as_bytes()).port == stalled)
        .unwrap();
    let other_key = (0..10_000)
        .map(|i| format!("s:{i}"))
        .find(|k| cluster.primary_for_key(k.as_bytes()).port != stalled)
        .unwrap();
    within(10, "SET", client.set(stalled_key.as_str(), "a"))
        .await
        .unwrap();
    within(10, "SET", client.set(other_key.as_str(), "b"))
        .await
        .unwrap();
    cluster.stop(stalled);
    let c2 = client.clone();
    let k2 = stalled_key.clone();
    let started = tokio::time::Instant::now();
    let stuck = tokio::spawn(async move { c2.get(k2.as_str()).await });
    // Meanwhile the other shards answer: the first answer comes while the
    // stalled GET still waits for its node (it waits 500 ms), so it did
    // not wait behind it.
    let v = within(5, "GET", client.get(other_key.as_str()))
        .await
        .unwrap();
    assert_eq!(v.map(|v| v.to_string()).as_deref(), Some("b"));
    assert!(
        !stuck.is_finished(),
        "the GET waited behind the stalled one"
    );
    for _ in 0..10 {
        let v = within(5, "GET", client.get(other_key.as_str()))
            .await
            .unwrap();
        assert_eq!(v.map(|v| v.to_string()).as_deref(), Some("b"));
    }
    // The stalled GET ends with its response timeout (500 ms), long
    // before this bound.
    let e = tokio::time::timeout_at(started + Duration::from_secs(2), stuck)
        .await
        .expect("the stalled GET was still waiting 2 s after it was sent")
        .unwrap()
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    cluster.resume(stalled);
    // Once it answers again, so does the client.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match within(5, "GET", client.get(stalled_key.as_str())).await {
            Ok(v) => {
                assert_eq!(v.map(|v| v.to_string()).as_deref(), Some("a"));
                break;
            }
            Err(e) => {
                assert!(Instant::now() < deadline, "never recovered: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Sharded pub/sub: channels subscribed on their slots' owners, messages
/// from every node merged, and delivery again after a failover.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharded_pubsub_keeps_delivering_across_a_failover() {
    let mut cluster = Cluster::start(Kind::Redis, 3, 1);
    let client = client_for(&cluster);
    // A classic subscriber too, on a primary that is about to die.
    let mut classic = within(10, "subscriber", client.subscriber()).await.unwrap();
    within(10, "SUBSCRIBE", classic.subscribe(["plain"]))
        .await
        .unwrap();
    let victim = classic.node().port;
    assert!(cluster.primaries().iter().any(|p| p.port == victim));
    let mut channels: Vec<String> = (0..12).map(|i| format!("ch:{i}")).collect();
    let on_victim = name_on(&cluster, "ch", victim);
    if !channels.contains(&on_victim) {
        channels.push(on_victim.clone());
    }
    let mut sub = client.sharded_subscriber();
    within(10, "SSUBSCRIBE", sub.ssubscribe(&channels))
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(m) = sub.next_message().await {
            if tx.send(m).is_err() {
                return;
            }
        }
    });
    for c in &channels {
        let n = within(10, "SPUBLISH", client.execute(&args(&["SPUBLISH", c, c])))
            .await
            .unwrap();
        assert_eq!(n, Frame::Integer(1), "{c}");
    }
    let mut got = Vec::new();
    for _ in 0..channels.len() {
        let m = within(10, "a message", rx.recv()).await.unwrap();
        assert_eq!(m.channel, m.payload);
        got.push(m.channel_str().into_owned());
    }
    got.sort();
    let mut want = channels.clone();
    want.sort();
    assert_eq!(got, want);
    within(10, "PUBLISH", client.publish("plain", "p1"))
        .await
        .unwrap();
    let m = within(10, "message", classic.next_message()).await.unwrap();
    assert_eq!(&m.payload[..], b"p1");
    let (ctx, mut crx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(m) = classic.next_message().await {
            if ctx.send((m, classic.node().port)).is_err() {
                return;
            }
        }
    });
    // Kill the owner of one channel (and the classic subscriber's node):
    // after its replica takes over, the channel delivers again.
    let c = on_victim;
    cluster.kill(victim);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut n = 0;
    loop {
        n += 1;
        let payload = format!("after:{n}");
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            client.execute(&args(&["SPUBLISH", &c, &payload])),
        )
        .await;
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
            if m.channel_str() == c && m.payload.starts_with(b"after:") {
                break;
            }
        }
        assert!(Instant::now() < deadline, "no delivery after the failover");
    }
    // The classic subscriber moved to another node and receives there;
    // PUBLISH goes to a primary that answers.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let _ = tokio::time::timeout(Duration::from_secs(2), client.publish("plain", "p2")).await;
        if let Ok(Some((m, port))) =
            tokio::time::timeout(Duration::from_millis(300), crx.recv()).await
        {
            assert_eq!(&m.payload[..], b"p2");
            assert_ne!(port, victim);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the classic subscriber never moved"
        );
    }
    // The other channels still deliver.
    let other = channels
        .iter()
        .find(|ch| cluster.primary_for_key(ch.as_bytes()).port != victim)
        .unwrap()
        .clone();
    within(
        10,
        "SPUBLISH",
        client.execute(&args(&["SPUBLISH", &other, "still"])),
    )
    .await
    .unwrap();
    loop {
        let m = within(10, "a message", rx.recv()).await.unwrap();
        if m.channel_str() == other {
            assert_eq!(&m.payload[..], b"still");
            break;
        }
    }
}

/// One generated command value, encoded (as tests/commands.rs builds them).
pub struct Sample {
    name: &'static str,
    bytes: bytes::Bytes,
    blocking: bool,
    has_key_specs: bool,
    /// A core command of Redis (the test cluster's server): not one of
    /// Valkey's own, not one of a module family (their servers load no
    /// modules).
    redis_core: bool,
}

fn sample<C: respec::GeneratedCommand>(c: C) -> Sample {
    let mut out = bytes::BytesMut::new();
    c.encode(&mut out);
    Sample {
        name: C::SPEC.name,
        bytes: out.freeze(),
        blocking: c.is_blocking(),
        has_key_specs: !C::SPEC.key_specs.is_empty(),
        redis_core: C::SPEC.requires.of("redis") != respec::commands::Need::Never
            && !C::SPEC.is_module(),
    }
}

mod generated {
    use super::{sample, Sample};
    include!(concat!(env!("OUT_DIR"), "/commands/samples.rs"));
}

/// The calls a node counted for a command: run (failed ones included)
/// and rejected before running.
fn calls_on(cluster: &Cluster, port: u16, stat: &str) -> i64 {
    let stats = cluster.cli(port, &["INFO", "commandstats"]);
    let Some(line) = stats
        .lines()
        .find(|l| l.starts_with(&format!("cmdstat_{stat}:")))
    else {
        return 0;
    };
    line.split([':', ','])
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| matches!(*k, "calls" | "rejected_calls"))
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .sum()
}

/// Every generated command with keys (one representative call each) goes
/// to the primary that owns its keys' slot, and nowhere else, as counted
/// by the nodes themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_keyed_command_lands_on_the_owner_of_its_slot() {
    let cluster = Cluster::start(Kind::Redis, 3, 0);
    let client = client_for(&cluster);
    client.refresh().await.unwrap();
    let primaries: Vec<u16> = cluster.primaries().iter().map(|n| n.port).collect();
    let (mut checked, mut cross_slot, mut skipped) = (0, Vec::new(), Vec::new());
    let mut wrong = Vec::new();
    let mut refused_unsent = Vec::new();
    for s in generated::samples()
        .iter()
        .filter(|s| s.has_key_specs && s.redis_core)
    {
        if s.blocking || matches!(s.name, "MIGRATE" | "WAIT" | "WAITAOF") {
            skipped.push(s.name);
            continue;
        }
        let args: Vec<&[u8]> = respec::commands::support::split_encoded(&s.bytes);
        let cmd = Cmd::from_args(args.iter().copied()).unwrap();
        let slot = match respec::cluster::route(&cmd) {
            Ok(respec::cluster::Route::Slot { slot, .. }) => slot,
            // Keys the spec cannot locate: the client asks the server.
            Ok(respec::cluster::Route::Special) => {
                let mut getkeys = vec![&b"COMMAND"[..], b"GETKEYS"];
                getkeys.extend(args.iter().copied());
                let node = cluster.primaries()[0].port;
                let getkeys: Vec<String> = getkeys
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                let reply = cluster.call(
                    node,
                    &getkeys.iter().map(String::as_str).collect::<Vec<_>>(),
                );
                match reply.items().and_then(|k| k.first()).and_then(|k| k.text()) {
                    Some(k) => key_slot(k.as_bytes()),
                    None => {
                        skipped.push(s.name);
                        continue;
                    }
                }
            }
            Ok(_) => {
                skipped.push(s.name);
                continue;
            }
            Err(_) => {
                cross_slot.push(s.name);
                continue;
            }
        };
        let stat = s.name.to_ascii_lowercase().replace(' ', "|");
        let before: Vec<i64> = primaries
            .iter()
            .map(|&p| calls_on(&cluster, p, &stat))
            .collect();
        // The reply does not matter (a sample's arguments may not suit the
        // data); where it was counted does.
        let refused = matches!(
            within(10, s.name, client.execute(&cmd)).await,
            Err(e) if e.kind() == &ErrorKind::InvalidInput
        );
        let after: Vec<i64> = primaries
            .iter()
            .map(|&p| calls_on(&cluster, p, &stat))
            .collect();
        let owner = cluster.primary_for_slot(slot).port;
        if refused {
            // Refused before sending (SSUBSCRIBE, WATCH on a shared
            // connection): no node may have seen it.
            refused_unsent.push(s.name);
        }
        for (i, &p) in primaries.iter().enumerate() {
            let got = after[i] - before[i];
            let want = i64::from(p == owner && !refused);
            if got != want {
                wrong.push(format!(
                    "{}: node {p} counted {got}, expected {want}",
                    s.name
                ));
            }
        }
        checked += 1;
    }
    println!(
        "{checked} keyed commands checked per node ({} refused before sending: {refused_unsent:?}); {} with keys in several slots refused before sending: {cross_slot:?}; not routed by slot or blocking: {skipped:?}",
        refused_unsent.len(),
        cross_slot.len()
    );
    assert!(checked > 150, "only {checked}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A key (or channel) named `prefix:<n>` owned by the primary at `port`.
fn name_on(cluster: &Cluster, prefix: &str, port: u16) -> String {
    (0..100_000)
        .map(|i| format!("{prefix}:{i}"))
        .find(|k| cluster.primary_for_key(k.as_bytes()).port == port)
        .expect("a name on that node")
}

/// Shard channels of several slots are refused by a plain subscriber on a
/// cluster node before sending, and a channel the node does not own gets
/// the server's MOVED as an error; the subscriber stays usable. WATCH
/// transactions run on the slot's node, retry on conflicts, refuse keys of
/// several slots and follow a slot that moved. Classic pub/sub on the
/// cluster client. A sharded subscriber keeps receiving on a channel whose
/// slot moved to another node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_and_pubsub_follow_moving_slots() {
    let cluster = Cluster::start(Kind::Redis, 3, 0);
    let client = client_for(&cluster);
    client.refresh().await.unwrap();
    let ports: Vec<u16> = cluster.primaries().iter().map(|n| n.port).collect();

    // 1. A plain subscriber on one node.
    let node = ports[0];
    let cfg =
        respec::connection::ConnectionConfig::from_url(&cluster.node_by_port(node).url()).unwrap();
    let mut plain = within(10, "connect", respec::pubsub::Subscriber::connect(&cfg))
        .await
        .unwrap();
    let mine = name_on(&cluster, "mine", node);
    let theirs = name_on(&cluster, "theirs", ports[1]);
    let e = within(10, "SSUBSCRIBE", plain.ssubscribe([&mine, &theirs]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("CROSSSLOT"), "{e}");
    let e = within(10, "SSUBSCRIBE", plain.ssubscribe([&theirs]))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("MOVED"), "{e}");
    within(10, "SSUBSCRIBE", plain.ssubscribe([&mine]))
        .await
        .unwrap();
    let n = within(10, "SPUBLISH", client.spublish(mine.as_str(), "hi"))
        .await
        .unwrap();
    assert_eq!(n, 1);
    let m = within(10, "message", plain.next_message()).await.unwrap();
    assert_eq!(
        (m.channel_str().into_owned(), &m.payload[..]),
        (mine.clone(), &b"hi"[..])
    );
    drop(plain);
    // The same on RESP2, where the error is an ordinary reply.
    let mut cfg2 = cfg.clone();
    cfg2.protocol = respec::connection::Protocol::Resp2;
    let mut plain = within(10, "connect", respec::pubsub::Subscriber::connect(&cfg2))
        .await
        .unwrap();
    let e = within(10, "SSUBSCRIBE", plain.ssubscribe([&theirs]))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("MOVED"), "{e}");
    within(10, "SSUBSCRIBE", plain.ssubscribe([&mine]))
        .await
        .unwrap();
    within(10, "SPUBLISH", client.spublish(mine.as_str(), "hi2"))
        .await
        .unwrap();
    let m = within(10, "message", plain.next_message()).await.unwrap();
    assert_eq!(&m.payload[..], b"hi2");
    drop(plain);

    // 3. Classic pub/sub through the cluster client.
    let mut sub = within(10, "subscriber", client.subscriber()).await.unwrap();
    within(10, "SUBSCRIBE", sub.subscribe(["news"]))
        .await
        .unwrap();
    within(10, "PSUBSCRIBE", sub.psubscribe(["alerts:*"]))
        .await
        .unwrap();
    within(10, "PUBLISH", client.publish("news", "n1"))
        .await
        .unwrap();
    within(10, "PUBLISH", client.publish("alerts:fire", "a1"))
        .await
        .unwrap();
    let m = within(10, "message", sub.next_message()).await.unwrap();
    assert_eq!(
        (m.channel_str().into_owned(), &m.payload[..]),
        ("news".into(), &b"n1"[..])
    );
    let m = within(10, "message", sub.next_message()).await.unwrap();
    assert_eq!(
        (
            m.channel_str().into_owned(),
            m.pattern.as_deref(),
            &m.payload[..]
        ),
        ("alerts:fire".into(), Some(&b"alerts:*"[..]), &b"a1"[..])
    );

    // 2. WATCH transactions: 8 tasks raise one counter 10 times each by
    // reading it and writing it back; conflicts are retried.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                let (n,): (i64,) = client
                    .transaction(&["{acct}n"], 1000, |conn| async move {
                        let n: Option<i64> = conn.get("{acct}n").reply::<Option<i64>>().await?;
                        let mut tx = respec::Pipeline::atomic();
                        tx.add(respec::commands::set("{acct}n", n.unwrap_or(0) + 1));
                        tx.add(respec::commands::set("{acct}log", "raised"));
                        tx.add(respec::commands::get("{acct}n"));
                        Ok(tx)
                    })
                    .await
                    .map(|((), (), n): ((), (), i64)| (n,))?;
                assert!(n >= 1);
            }
            Ok::<(), respec::Error>(())
        }));
    }
    for t in tasks {
        within(60, "transactions", t).await.unwrap().unwrap();
    }
    let n: Option<i64> = within(10, "GET", client.get("{acct}n").reply::<Option<i64>>())
        .await
        .unwrap();
    assert_eq!(n, Some(80));
    // Watched keys of several slots, and a transaction in another slot than
    // the watched keys: refused before anything is sent.
    let e = within(
        10,
        "transaction",
        client.transaction::<_, _, _, ()>(&["a", "b"], 3, |_conn| async move {
            Ok(respec::Pipeline::atomic())
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    let e = within(
        10,
        "transaction",
        client.transaction(&["{acct}n"], 3, |_conn| async move {
            let mut tx = respec::Pipeline::atomic();
            tx.add(respec::commands::set("elsewhere", 1));
            Ok(tx)
        }),
    )
    .await
    .map(|((),)| ())
    .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");

    // 4. Shard channels: one in the counter's slot, one elsewhere.
    let slot = key_slot(b"{acct}n");
    let from = cluster.primary_for_slot(slot).port;
    let to = *ports.iter().find(|&&p| p != from).unwrap();
    let moving = "{acct}events".to_string();
    let staying = name_on(&cluster, "staying", to);
    let mut shards = client.sharded_subscriber();
    within(10, "SSUBSCRIBE", shards.ssubscribe([&moving, &staying]))
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let listener = tokio::spawn(async move {
        while let Ok(m) = shards.next_message().await {
            if tx.send(m).is_err() {
                break;
            }
        }
    });
    within(10, "SPUBLISH", client.spublish(moving.as_str(), "before"))
        .await
        .unwrap();
    let m = within(10, "message", rx.recv()).await.unwrap();
    assert_eq!(&m.payload[..], b"before");

    // A second client, with the topology read now, for reads after the
    // move.
    let reader = client_for(&cluster);
    reader.refresh().await.unwrap();
    let stale_once = client_for(&cluster);
    stale_once.refresh().await.unwrap();
    // The slot moves behind the clients' backs (their maps are not
    // refreshed).
    let mut cluster = tokio::task::spawn_blocking(move || {
        let mut cluster = cluster;
        cluster.move_slots([slot], from, to);
        cluster
    })
    .await
    .unwrap();
    cluster.refresh();
    assert_eq!(cluster.primary_for_slot(slot).port, to);
    // An MGET across slots with a map behind: the part for the
    // moved slot is answered MOVED by its old owner and sent again where
    // the slot is now; the order is the caller's.
    let third = *ports.iter().find(|&&p| p != from && p != to).unwrap();
    let elsewhere = name_on(&cluster, "unset", third);
    // With a key of another slot on the old owner, the moved part's MOVED
    // comes back inside that node's batch.
    let beside = name_on(&cluster, "beside", from);
    within(10, "SET", client.set(beside.as_str(), "b"))
        .await
        .unwrap();
    let got: Vec<Option<String>> = within(
        20,
        "MGET",
        reader
            .mget(["{acct}n", elsewhere.as_str(), "{acct}log", beside.as_str()])
            .reply::<Vec<Option<String>>>(),
    )
    .await
    .unwrap();
    assert_eq!(
        got,
        vec![
            Some("80".into()),
            None,
            Some("raised".into()),
            Some("b".into())
        ]
    );
    let got: Vec<Option<String>> = within(
        20,
        "MGET",
        stale_once
            .mget(["{acct}n", elsewhere.as_str()])
            .reply::<Vec<Option<String>>>(),
    )
    .await
    .unwrap();
    assert_eq!(got, vec![Some("80".into()), None]);
    // The transaction follows the slot to its new owner.
    let (mut replies, total) = within(
        20,
        "transact",
        client.transact(&["{acct}n"], 100, |conn| async move {
            let n: i64 = conn
                .get("{acct}n")
                .reply::<Option<i64>>()
                .await?
                .unwrap_or(0);
            let mut tx = respec::Pipeline::atomic();
            tx.add(respec::commands::set("{acct}n", n * 2));
            let total = tx.push(respec::commands::incrby("{acct}n", 1));
            Ok((tx, total))
        }),
    )
    .await
    .unwrap();
    assert_eq!(replies.take(total).unwrap(), 161);
    assert_eq!(
        client.slot_map().primary(slot).map(|a| a.port),
        Some(to),
        "the client learnt where the slot went"
    );
    // The shard channel whose slot moved delivers again (from the new
    // owner, once the subscriber moved there); the other one throughout.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut n = 0;
    'moved: loop {
        n += 1;
        let payload = format!("after:{n}");
        within(
            10,
            "SPUBLISH",
            client.spublish(moving.as_str(), payload.as_str()),
        )
        .await
        .unwrap();
        while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            if m.channel_str() == moving && m.payload.starts_with(b"after:") {
                break 'moved;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no delivery after the slot moved"
        );
    }
    let subscribed_on = |port: u16| {
        let v = cluster.call(port, &["PUBSUB", "SHARDNUMSUB", moving.as_str()]);
        v.items().unwrap()[1].int().unwrap()
    };
    assert_eq!((subscribed_on(from), subscribed_on(to)), (0, 1));
    within(10, "SPUBLISH", client.spublish(staying.as_str(), "still"))
        .await
        .unwrap();
    loop {
        let m = within(10, "message", rx.recv()).await.unwrap();
        if m.channel_str() == staying {
            assert_eq!(&m.payload[..], b"still");
            break;
        }
    }
    // Classic pub/sub is untouched by slots.
    within(10, "PUBLISH", client.publish("news", "n2"))
        .await
        .unwrap();
    let m = within(10, "message", sub.next_message()).await.unwrap();
    assert_eq!(&m.payload[..], b"n2");
    listener.abort();
}

/// Every command whose spec carries a `request_policy` tip, run through the
/// generated layer on the cluster client (3 primaries) and on a standalone
/// server holding the same data: the same answer, where one server's
/// answer can equal three's. The others are listed with the reason, and a
/// command with such a tip in neither list fails the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_commands_answer_as_a_standalone_server_does() {
    use respec::commands::{connection as conn, generic, scripting, server, string};
    let cluster = Cluster::start(Kind::Redis, 3, 0);
    let standalone = support::server(Kind::Redis);
    let one = respec::Client::open(&standalone.url()).unwrap();
    let many = client_for(&cluster);
    many.refresh().await.unwrap();
    let not_compared: &[(&str, &str)] = &[
        ("INFO", "response_policy special: each node's own counters and memory"),
        ("MEMORY STATS", "response_policy special: each node's own memory"),
        ("MEMORY DOCTOR", "response_policy special: a report on each node"),
        ("MEMORY MALLOC-STATS", "response_policy special: each node's allocator"),
        ("LATENCY DOCTOR", "response_policy special: a report on each node"),
        ("LATENCY GRAPH", "response_policy special: each node's own events"),
        ("LATENCY HISTOGRAM", "response_policy special: each node's own timings"),
        ("LATENCY HISTORY", "response_policy special: each node's own events"),
        ("LATENCY LATEST", "response_policy special: each node's own events"),
        ("FUNCTION STATS", "response_policy special: each node's running state"),
        ("RANDOMKEY", "response_policy special: one primary's pick, at random (checked to exist by the pipelines tests)"),
        ("SCAN", "request_policy special: cursors differ; the cluster scan is checked by the routing test"),
        ("SLOWLOG GET", "the entries depend on how long commands took"),
        ("SLOWLOG LEN", "the count depends on how long commands took"),
        ("CLUSTER SLOT-STATS", "a cluster-only command: a standalone server refuses it"),
        ("CONFIG REWRITE", "rewrites each node's own configuration file"),
        ("ACL SAVE", "writes each node's own ACL file"),
    ];
    let mut compared: Vec<&'static str> = Vec::new();
    let mut differ: Vec<String> = Vec::new();
    macro_rules! same {
        ($name:expr, $cmd:expr) => {{
            let cmd = $cmd;
            let a = within(10, $name, one.execute(&cmd)).await;
            let b = within(10, $name, many.execute(&cmd)).await;
            let agree = match (&a, &b) {
                (Ok(x), Ok(y)) => sorted($name, x) == sorted($name, y),
                (Err(x), Err(y)) => x.kind() == y.kind(),
                _ => false,
            };
            if !agree {
                differ.push(format!("{}: standalone {a:?}, cluster {b:?}", $name));
            }
            compared.push($name);
            a.ok()
        }};
    }
    let pairs: Vec<(String, String)> = (0..50)
        .map(|i| (format!("k:{i}"), format!("v:{i}")))
        .collect();
    same!("MSET", string::Mset::new(pairs.clone()));
    same!("DBSIZE", server::Dbsize::new());
    same!("KEYS", generic::Keys::new("k:*"));
    same!(
        "EXISTS",
        generic::Exists::new(["k:1", "k:2", "nope", "k:1"])
    );
    same!("MGET", string::Mget::new(["k:9", "nope", "k:0", "k:33"]));
    same!("TOUCH", generic::Touch::new(["k:1", "k:2", "nope"]));
    same!("DEL", generic::Del::new(["k:1", "k:2", "nope"]));
    same!("UNLINK", generic::Unlink::new(["k:3", "k:4"]));
    same!("DBSIZE", server::Dbsize::new());
    same!("PING", conn::Ping::new());
    let sha = same!("SCRIPT LOAD", scripting::ScriptLoad::new("return 1")).unwrap();
    let sha = sha
        .as_bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap();
    let unknown = "0".repeat(40);
    same!(
        "SCRIPT EXISTS",
        scripting::ScriptExists::new([sha.as_str(), unknown.as_str()])
    );
    same!("SCRIPT KILL", scripting::ScriptKill::new());
    same!("SCRIPT FLUSH", scripting::ScriptFlush::new());
    same!(
        "SCRIPT EXISTS",
        scripting::ScriptExists::new([sha.as_str()])
    );
    let lib = "#!lua name=policylib\nredis.register_function('one', function() return 1 end)";
    same!("FUNCTION LOAD", scripting::FunctionLoad::new(lib));
    same!("FUNCTION LIST", scripting::FunctionList::new());
    same!("FUNCTION KILL", scripting::FunctionKill::new());
    let dump = within(
        10,
        "FUNCTION DUMP",
        one.execute(&scripting::FunctionDump::new()),
    )
    .await
    .unwrap();
    let dump = dump.as_bytes().unwrap().to_vec();
    same!(
        "FUNCTION DELETE",
        scripting::FunctionDelete::new("policylib")
    );
    same!("FUNCTION LIST", scripting::FunctionList::new());
    same!("FUNCTION RESTORE", scripting::FunctionRestore::new(dump));
    same!("FUNCTION LIST", scripting::FunctionList::new());
    same!("FUNCTION FLUSH", scripting::FunctionFlush::new());
    same!(
        "CONFIG SET",
        server::ConfigSet::new([("slowlog-max-len", "200")])
    );
    same!("CONFIG RESETSTAT", server::ConfigResetstat::new());
    same!("ACL SETUSER", server::AclSetuser::new("policy-user"));
    same!(
        "ACL DELUSER",
        server::AclDeluser::new(["policy-user", "nobody"])
    );
    same!("CLIENT SETNAME", conn::ClientSetname::new("policy"));
    same!(
        "CLIENT SETINFO",
        conn::ClientSetinfo::new(conn::ClientSetinfoAttr::Libver(
            respec::commands::Value::from("1.2.3")
        ))
    );
    same!("LATENCY RESET", server::LatencyReset::new());
    same!("MEMORY PURGE", server::MemoryPurge::new());
    same!("SLOWLOG RESET", server::SlowlogReset::new());
    // No replicas on either side, so both count none.
    same!("WAIT", generic::Wait::new(0, 0));
    same!("WAITAOF", generic::Waitaof::new(0, 0, 0));
    same!("FLUSHDB", server::Flushdb::new());
    same!("MSET", string::Mset::new(pairs));
    same!("FLUSHALL", server::Flushall::new());
    same!("DBSIZE", server::Dbsize::new());
    // Every command with a request_policy tip is either compared or
    // listed with its reason.
    let mut unclassified = Vec::new();
    for s in generated::samples().into_iter().filter(|s| s.redis_core) {
        let tipped = respec::commands::spec_of(s.name)
            .and_then(|spec| spec.request_policy())
            .is_some();
        if tipped && !compared.contains(&s.name) && !not_compared.iter().any(|(n, _)| *n == s.name)
        {
            unclassified.push(s.name);
        }
    }
    println!(
        "{} calls of {} commands compared; not compared: {not_compared:?}",
        compared.len(),
        {
            let mut c = compared.clone();
            c.sort();
            c.dedup();
            c.len()
        }
    );
    assert!(
        unclassified.is_empty(),
        "request_policy commands not classified: {unclassified:?}"
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// A reply with its order made irrelevant where the command's order is
/// the server's own (KEYS over several nodes).
fn sorted(name: &str, f: &Frame) -> Frame {
    match (name, f) {
        ("KEYS", Frame::Array(items)) => {
            let mut items = items.clone();
            items.sort_by(|a, b| a.as_bytes().cmp(&b.as_bytes()));
            Frame::Array(items)
        }
        _ => f.clone(),
    }
}

/// Waits until every replica holds `n` keys.
fn wait_replicated(cluster: &Cluster, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let on_replicas: Vec<i64> = cluster
            .nodes()
            .iter()
            .filter(|n| !cluster.primaries().iter().any(|p| p.port == n.port))
            .map(|n| cluster.call(n.port, &["DBSIZE"]).int().unwrap())
            .collect();
        if on_replicas.iter().sum::<i64>() == n {
            return;
        }
        assert!(Instant::now() < deadline, "replication did not catch up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How many times `command` ran on the node at `port` (INFO COMMANDSTATS).
fn stat_calls(cluster: &Cluster, port: u16, command: &str) -> i64 {
    let prefix = format!("cmdstat_{command}:");
    cluster
        .cli(port, &["INFO", "commandstats"])
        .lines()
        .find(|l| l.starts_with(&prefix))
        .and_then(|l| l.split("calls=").nth(1))
        .and_then(|c| c.split(',').next())
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// The blocking cluster client at par with the async one: pipelines split
/// by node in the caller's order (one slot moved behind its back), `WATCH`
/// transactions on the slot's node, replica reads by the read policy, the
/// `special` response policies, and the retry policy after a dropped
/// connection.
fn blocking_cluster_at_par(kind: Kind) {
    let mut cluster = Cluster::start(kind, 3, 1);
    let urls = cluster.seed_urls().join(",");
    let client = respec::cluster::BlockingClusterClient::open(&urls).unwrap();
    // A pipeline over every slot: per-command errors, a policy command.
    let mut pipe = respec::Pipeline::new();
    for i in 0..100 {
        pipe.add(args(&["SET", &format!("bp:{i}"), &format!("v:{i}")]));
    }
    pipe.add(args(&["INCR", "bp:7"]));
    pipe.add(args(&["DBSIZE"]));
    let results = pipe.execute_blocking_cluster(&client).unwrap();
    assert_eq!(results.len(), 102);
    assert!(results[..100].iter().all(|r| r.is_ok()));
    let e = results[100].as_ref().unwrap_err();
    assert!(e.to_string().contains("not an integer"), "{e}");
    assert_eq!(e.command(), Some("INCR"));
    assert_eq!(results[101].as_ref().unwrap(), &Frame::Integer(100));
    // Every key landed on its slot's primary.
    for p in cluster.primaries() {
        let want = (0..100)
            .filter(|i| cluster.primary_for_key(format!("bp:{i}").as_bytes()).port == p.port)
            .count() as i64;
        assert_eq!(cluster.call(p.port, &["DBSIZE"]).int().unwrap(), want);
    }
    // A slot moved behind the client's back: the command re-routed alone,
    // the order kept (typed handles).
    let key = "bp:42";
    let slot = key_slot(key.as_bytes());
    let from = cluster.primary_for_slot(slot).port;
    let to = cluster.other_primary(from);
    cluster.move_slots([slot], from, to);
    let mut reads = respec::Pipeline::new();
    let handles: Vec<_> = (0..100)
        .rev()
        .map(|i| reads.push(respec::commands::get(format!("bp:{i}")).reply::<String>()))
        .collect();
    let mut replies = reads.run_blocking(&client).unwrap();
    let got: Vec<String> = handles
        .into_iter()
        .map(|h| replies.take(h).unwrap())
        .collect();
    let want: Vec<String> = (0..100).rev().map(|i| format!("v:{i}")).collect();
    assert_eq!(got, want);
    assert_eq!(client.slot_map().primary(slot).unwrap().port, to);
    // MULTI in one slot; one spanning slots is refused before sending.
    let mut tx = respec::Pipeline::atomic();
    tx.add(args(&["INCR", "{bacct}n"]))
        .add(args(&["INCR", "{bacct}n"]));
    let (a, b): (i64, i64) = tx.query_blocking_cluster(&client).unwrap();
    assert_eq!((a, b), (1, 2));
    let mut tx = respec::Pipeline::atomic();
    tx.add(args(&["INCR", "x"])).add(args(&["INCR", "y"]));
    let e = tx.execute_blocking_cluster(&client).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    // WATCH transactions from 4 threads on one counter: no lost update.
    let shared = Arc::new(respec::cluster::BlockingClusterClient::open(&urls).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let shared = shared.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    let (mut replies, n) = shared
                        .transact(&["{bctr}n"], 1000, |conn| {
                            let cur: Option<i64> = respec::FromResp::from_resp(
                                conn.send(&respec::commands::get("{bctr}n"))?,
                            )?;
                            let mut tx = respec::Pipeline::atomic();
                            tx.add(respec::commands::set("{bctr}n", cur.unwrap_or(0) + 1));
                            let n = tx.push(respec::commands::get("{bctr}n").reply::<i64>());
                            Ok((tx, n))
                        })
                        .unwrap();
                    assert!(replies.take(n).unwrap() >= 1);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let owner = cluster.primary_for_key(b"{bctr}n").port;
    assert_eq!(
        cluster.call(owner, &["GET", "{bctr}n"]).text().as_deref(),
        Some("100")
    );
    let ((), n): ((), i64) = shared
        .transaction(&["{bctr}n"], 10, |_conn| {
            let mut tx = respec::Pipeline::atomic();
            tx.add(args(&["SET", "{bctr}n", "7"]));
            tx.add(args(&["GET", "{bctr}n"]));
            Ok(tx)
        })
        .unwrap();
    assert_eq!(n, 7);
    let e = shared
        .transaction::<_, _, ()>(&["{bctr}n"], 10, |_conn| {
            let mut tx = respec::Pipeline::atomic();
            tx.add(args(&["SET", "elsewhere", "1"]));
            Ok(tx)
        })
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    let e = shared
        .transaction::<_, _, ()>(&["a", "b"], 10, |_conn| Ok(respec::Pipeline::atomic()))
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    // Replica reads, by the same policy as the async client's.
    wait_replicated(&cluster, 102);
    let mut cfg = respec::cluster::ClusterConfig::from_urls(&urls).unwrap();
    cfg.read_from = respec::cluster::ReadFrom::PreferReplica;
    let reader = respec::cluster::BlockingClusterClient::with_config(cfg);
    let replica_ports: Vec<u16> = cluster
        .nodes()
        .iter()
        .filter(|n| !cluster.primaries().iter().any(|p| p.port == n.port))
        .map(|n| n.port)
        .collect();
    let before_primaries: i64 = cluster
        .primaries()
        .iter()
        .map(|p| stat_calls(&cluster, p.port, "get"))
        .sum();
    let before_replicas: i64 = replica_ports
        .iter()
        .map(|&p| stat_calls(&cluster, p, "get"))
        .sum();
    for i in 0..60 {
        let v = reader.get(format!("bp:{i}")).run().unwrap();
        assert_eq!(
            v.map(|v| v.to_string()).as_deref(),
            Some(format!("v:{i}").as_str())
        );
    }
    let primaries_gets: i64 = cluster
        .primaries()
        .iter()
        .map(|p| stat_calls(&cluster, p.port, "get"))
        .sum();
    let replica_gets: i64 = replica_ports
        .iter()
        .map(|&p| stat_calls(&cluster, p, "get"))
        .sum();
    assert_eq!(
        (
            primaries_gets - before_primaries,
            replica_gets - before_replicas
        ),
        (0, 60)
    );
    reader.set("bp:w", "1").run().unwrap();
    let owner = cluster.primary_for_key(b"bp:w").port;
    assert_eq!(
        cluster.call(owner, &["GET", "bp:w"]).text().as_deref(),
        Some("1")
    );
    // `special` response policies: RANDOMKEY picks one existing key; INFO
    // is one text with every primary's part; MEMORY STATS one map entry
    // per primary.
    let k: Option<String> = client.query(&args(&["RANDOMKEY"])).unwrap();
    let k = k.unwrap();
    assert_eq!(client.exists([k.as_str()]).run().unwrap(), 1, "{k}");
    let info: String = client.query(&args(&["INFO", "server"])).unwrap();
    let mut headed: Vec<u16> = info
        .lines()
        .filter_map(|l| l.strip_prefix("# node "))
        .map(|a| a.rsplit(':').next().unwrap().parse().unwrap())
        .collect();
    headed.sort();
    let mut primaries: Vec<u16> = cluster.primaries().iter().map(|p| p.port).collect();
    primaries.sort();
    assert_eq!(headed, primaries);
    assert_eq!(info.matches("tcp_port:").count(), 3);
    let stats: HashMap<String, Frame> = client.query(&args(&["MEMORY", "STATS"])).unwrap();
    let mut ports: Vec<u16> = stats
        .keys()
        .map(|a| a.rsplit(':').next().unwrap().parse().unwrap())
        .collect();
    ports.sort();
    assert_eq!(ports, primaries);
    // The retry policy after a dropped connection: the primaries close
    // every client connection; a read (safe to repeat) is sent again on a
    // new one, under the default policy, and fails without retries.
    let mut cfg = respec::cluster::ClusterConfig::from_urls(&urls).unwrap();
    cfg.node.retry = respec::retry::RetryPolicy::NEVER;
    let no_retry = respec::cluster::BlockingClusterClient::with_config(cfg);
    assert!(no_retry.get("bp:1").run().unwrap().is_some());
    assert!(client.get("bp:1").run().unwrap().is_some());
    for p in cluster.primaries() {
        cluster.call(
            p.port,
            &["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"],
        );
    }
    let v = client.get("bp:1").run().unwrap();
    assert_eq!(v.map(|v| v.to_string()).as_deref(), Some("v:1"));
    let e = no_retry.get("bp:1").run().unwrap_err();
    assert!(e.is_connection_dropped(), "{e}");
    // The next call opens a new connection.
    let v = no_retry.get("bp:1").run().unwrap();
    assert_eq!(v.map(|v| v.to_string()).as_deref(), Some("v:1"));
}

#[test]
fn redis_blocking_cluster_client_at_par() {
    blocking_cluster_at_par(Kind::Redis);
}

#[test]
fn valkey_blocking_cluster_client_at_par() {
    blocking_cluster_at_par(Kind::Valkey);
}

/// The blocking sharded subscriber: channels on every node that owns one
/// of their slots, messages from all of them, and a channel whose slot is
/// migrated subscribed again on the new owner.
#[test]
fn blocking_sharded_pubsub_follows_a_moving_slot() {
    let mut cluster = Cluster::start(Kind::Redis, 3, 1);
    let client =
        respec::cluster::BlockingClusterClient::open(&cluster.seed_urls().join(",")).unwrap();
    let chans: Vec<String> = (0..6).map(|i| format!("news:{i}")).collect();
    let owners: std::collections::BTreeSet<u16> = chans
        .iter()
        .map(|c| cluster.primary_for_key(c.as_bytes()).port)
        .collect();
    assert!(owners.len() >= 2, "the channels span nodes");
    let mut sub = client.sharded_subscriber();
    sub.set_read_timeout(Some(Duration::from_secs(10)));
    sub.ssubscribe(&chans).unwrap();
    for c in &chans {
        let n: i64 = client
            .query(&args(&["SPUBLISH", c, &format!("m:{c}")]))
            .unwrap();
        assert_eq!(n, 1, "{c}");
    }
    let mut got: Vec<(String, String)> = (0..6)
        .map(|_| {
            let m = sub.next_message().unwrap();
            (
                m.channel_str().into_owned(),
                String::from_utf8_lossy(&m.payload).into_owned(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = chans
        .iter()
        .map(|c| (c.clone(), format!("m:{c}")))
        .collect();
    want.sort();
    assert_eq!(got, want);
    // The slot of one channel moves: the old owner drops the channel
    // (a `sunsubscribe` push), and the subscriber subscribes it again on
    // the new owner while it waits.
    let moving = &chans[0];
    let slot = key_slot(moving.as_bytes());
    let from = cluster.primary_for_slot(slot).port;
    let to = cluster.other_primary(from);
    // A plain blocking subscriber on the old owner, beside it, with a
    // shard channel of another slot that stays.
    let plain_client = respec::blocking::Client::open(&cluster.node_by_port(from).url()).unwrap();
    let mut plain = plain_client.subscriber().unwrap();
    plain.set_read_timeout(Some(Duration::from_millis(200)));
    plain.ssubscribe([moving.as_str()]).unwrap();
    let staying = chans
        .iter()
        .find(|c| {
            let s = key_slot(c.as_bytes());
            s != slot && cluster.primary_for_slot(s).port == from
        })
        .cloned();
    if let Some(c) = &staying {
        plain.ssubscribe([c.as_str()]).unwrap();
    }
    cluster.move_slots([slot], from, to);
    // The old owner's `sunsubscribe` notice takes the channel out of the
    // plain subscriber's subscriptions; it is reported as dropped.
    let mut dropped = Vec::new();
    for _ in 0..50 {
        match plain.next_message() {
            Ok(m) => panic!("no message was published: {m:?}"),
            Err(e) => assert!(e.is_timeout(), "{e}"),
        }
        dropped = plain.take_dropped_shard_channels();
        if !dropped.is_empty() {
            break;
        }
    }
    assert_eq!(dropped, vec![bytes::Bytes::from(moving.clone())]);
    let shards_left: Vec<bytes::Bytes> = staying.iter().map(|c| c.clone().into()).collect();
    assert_eq!(plain.subscriptions().2, shards_left);
    assert!(!plain.has_dropped_shard_channels());
    drop(plain);
    sub.set_read_timeout(Some(Duration::from_millis(200)));
    let mut delivered = None;
    for _ in 0..50 {
        let n: i64 = client.query(&args(&["SPUBLISH", moving, "after"])).unwrap();
        if n == 1 {
            let m = sub.next_message().unwrap();
            delivered = Some((
                m.channel_str().into_owned(),
                String::from_utf8_lossy(&m.payload).into_owned(),
            ));
            break;
        }
        // Nobody subscribed on the new owner yet: the wait reads the
        // old owner's notice and subscribes again.
        let e = sub.next_message().unwrap_err();
        assert!(e.is_timeout(), "{e}");
    }
    assert_eq!(delivered, Some((moving.clone(), "after".to_string())));
    let owner_now = cluster.primary_for_slot(slot).port;
    assert_eq!(owner_now, to);
    assert_eq!(sub.channels().count(), 6);
    // Unsubscribed: no subscriber left for it.
    sub.sunsubscribe([moving.as_str()]).unwrap();
    assert_eq!(sub.channels().count(), 5);
    let e = sub.next_message().unwrap_err();
    assert!(e.is_timeout(), "{e}");
    let n: i64 = client.query(&args(&["SPUBLISH", moving, "gone"])).unwrap();
    assert_eq!(n, 0);
}

/// The blocking classic subscriber: `SUBSCRIBE` and `PSUBSCRIBE` on one
/// primary, messages published through any node, and every subscription
/// moved to another node when that primary dies.
#[test]
fn the_blocking_cluster_subscriber_moves_off_a_dead_node() {
    let mut cluster = Cluster::start(Kind::Redis, 3, 1);
    let client =
        respec::cluster::BlockingClusterClient::open(&cluster.seed_urls().join(",")).unwrap();
    let mut sub = client.subscriber().unwrap();
    sub.set_read_timeout(Some(Duration::from_secs(10)));
    sub.subscribe(["plain"]).unwrap();
    sub.psubscribe(["alerts:*"]).unwrap();
    let victim = sub.node().port;
    assert!(cluster.primaries().iter().any(|p| p.port == victim));
    let publish = |channel: &str, payload: &str| -> respec::Result<i64> {
        client.query(&args(&["PUBLISH", channel, payload]))
    };
    // PUBLISH counts the receivers of the node it went to only.
    publish("plain", "p1").unwrap();
    publish("alerts:fire", "a1").unwrap();
    // Published through two nodes (any primary each), so in either order.
    let mut got: Vec<(String, Option<bytes::Bytes>, bytes::Bytes)> = (0..2)
        .map(|_| {
            let m = sub.next_message().unwrap();
            (m.channel_str().into_owned(), m.pattern, m.payload)
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "alerts:fire".to_string(),
                Some(bytes::Bytes::from_static(b"alerts:*")),
                bytes::Bytes::from_static(b"a1")
            ),
            ("plain".to_string(), None, bytes::Bytes::from_static(b"p1")),
        ]
    );

    // The node dies: the subscriber moves, and receives there.
    cluster.kill(victim);
    sub.set_read_timeout(Some(Duration::from_millis(300)));
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut n = 0;
    let moved = loop {
        n += 1;
        let _ = publish("plain", &format!("after:{n}"));
        match sub.next_message() {
            Ok(m) => break m,
            Err(e) => assert!(e.is_timeout(), "{e}"),
        }
        assert!(
            Instant::now() < deadline,
            "the subscriber never moved off the dead node"
        );
    };
    assert_eq!(moved.channel_str(), "plain");
    assert!(moved.payload.starts_with(b"after:"), "{moved:?}");
    assert_ne!(sub.node().port, victim);
    let (channels, patterns) = sub.subscriptions();
    assert_eq!(
        (channels, patterns),
        (
            vec![bytes::Bytes::from_static(b"plain")],
            vec![bytes::Bytes::from_static(b"alerts:*")]
        )
    );
    // The pattern moved too. (Messages of the wait above may still come
    // first.)
    sub.set_read_timeout(Some(Duration::from_secs(10)));
    publish("alerts:smoke", "a2").unwrap();
    let m = loop {
        let m = sub.next_message().unwrap();
        if m.pattern.is_some() {
            break m;
        }
        assert_eq!(m.channel_str(), "plain");
    };
    assert_eq!(
        (m.channel_str().into_owned(), &m.payload[..]),
        ("alerts:smoke".to_string(), &b"a2"[..])
    );
    // Unsubscribed from everything: nothing is delivered any more.
    sub.unsubscribe(Vec::<&str>::new()).unwrap();
    sub.punsubscribe(Vec::<&str>::new()).unwrap();
    assert_eq!(sub.subscriptions(), (vec![], vec![]));
    let on_node: i64 = cluster
        .call(sub.node().port, &["PUBSUB", "NUMSUB", "plain"])
        .items()
        .and_then(|i| i.get(1).and_then(|v| v.int()))
        .unwrap();
    assert_eq!(on_node, 0);
}

/// Scripts run through the cluster clients: `EVALSHA` on the owner of the
/// script's keys (each key's value lands on its slot's primary), loaded
/// there after `SCRIPT FLUSH` (`NOSCRIPT`), a keyless script on any
/// primary, keys of two slots refused before anything is sent.
#[test]
fn scripts_run_where_their_keys_live() {
    let cluster = Cluster::start(Kind::Redis, 3, 0);
    let seeds = cluster.seed_urls().join(",");
    let blocking = respec::cluster::BlockingClusterClient::open(&seeds).unwrap();
    let set_and_get = respec::script::Script::new(
        "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])",
    );
    let keys: Vec<String> = (0..12).map(|i| format!("script:{i}")).collect();
    let owners: std::collections::BTreeSet<u16> = keys
        .iter()
        .map(|k| cluster.primary_for_key(k.as_bytes()).port)
        .collect();
    assert_eq!(owners.len(), 3, "the keys span every primary");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime.block_on(async { client_for(&cluster) });
    for round in 0..2 {
        // The second round after every node forgot its scripts.
        if round == 1 {
            for p in cluster.ports() {
                cluster.call(p, &["SCRIPT", "FLUSH"]);
            }
        }
        for (i, k) in keys.iter().enumerate() {
            let owner = cluster.primary_for_key(k.as_bytes()).port;
            let value = format!("async:{round}:{i}");
            let got: String = runtime
                .block_on(within(
                    10,
                    "script",
                    set_and_get.key(k.as_str()).arg(&value).run(&client),
                ))
                .unwrap();
            assert_eq!(got, value);
            assert_eq!(cluster.call(owner, &["GET", k]).expect_text(), value);
            let value = format!("blocking:{round}:{i}");
            let got: String = set_and_get
                .key(k.as_str())
                .arg(&value)
                .run_blocking(&blocking)
                .unwrap();
            assert_eq!(got, value);
            assert_eq!(cluster.call(owner, &["GET", k]).expect_text(), value);
        }
    }
    // Every primary ran EVALSHA, and loaded the script once it was flushed.
    for p in &owners {
        let stats = cluster.call(*p, &["INFO", "commandstats"]).expect_text();
        assert!(stats.contains("cmdstat_evalsha:"), "{p}: {stats}");
    }
    let seven = respec::script::Script::new("return 7");
    let n: i64 = runtime
        .block_on(within(10, "keyless", seven.invocation().run(&client)))
        .unwrap();
    assert_eq!(n, 7);
    let n: i64 = seven.invocation().run_blocking(&blocking).unwrap();
    assert_eq!(n, 7);
    // Keys in two slots: refused before sending, by both clients.
    let (a, b) = (&keys[0], &keys[1]);
    assert_ne!(key_slot(a.as_bytes()), key_slot(b.as_bytes()));
    let mut two = set_and_get.key(a.as_str());
    two.key(b.as_str()).arg("x");
    let e = runtime
        .block_on(within(10, "cross-slot", two.run::<String>(&client)))
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    let e = two.run_blocking::<String>(&blocking).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    assert_ne!(
        cluster
            .call(cluster.primary_for_key(a.as_bytes()).port, &["GET", a])
            .expect_text(),
        "x"
    );
}
