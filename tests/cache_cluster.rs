//! Client-side caching on the cluster clients, against a real 3 + 3
//! cluster of Redis 8.2.3 (and Valkey 9.1.2 for the async client): another
//! client's write invalidates within one round trip to the key's node,
//! FLUSHALL invalidates everything, a killed node connection flushes, a
//! moved slot serves no stale value, replica reads are tracked too, the
//! bypass and the counters, and a bounded race between writers and cached
//! readers. Each test forms one cluster and runs its checks in turn
//! (forming takes a few seconds).

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use respec::cache::{CacheConfig, CacheStats};
use respec::cluster::{
    key_slot, BlockingClusterClient, ClusterClient, ClusterConfig, NodeAddr, ReadFrom,
};
use respec::prelude::*;
use respec::{Cmd, ErrorKind};
use support::cluster::Cluster;
use support::Kind;

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a.iter().copied()).expect("non-empty")
}

/// Guards against a hang: every await in these tests must finish.
async fn within<T>(secs: u64, f: impl std::future::IntoFuture<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f.into_future())
        .await
        .expect("the operation hung")
}

fn config(cluster: &Cluster) -> ClusterConfig {
    ClusterConfig::from_urls(&cluster.seed_urls().join(",")).unwrap()
}

fn cached(cluster: &Cluster) -> ClusterClient {
    ClusterClient::with_config(config(cluster).cache(CacheConfig::default()))
}

fn plain(cluster: &Cluster) -> ClusterClient {
    ClusterClient::with_config(config(cluster))
}

fn stats(client: &ClusterClient) -> CacheStats {
    client.cache_stats().expect("the client has a cache")
}

fn addr(port: u16) -> NodeAddr {
    NodeAddr {
        host: "127.0.0.1".into(),
        port,
    }
}

async fn get(client: &ClusterClient, key: &str) -> Option<String> {
    within(10, client.get(key).reply::<Option<String>>())
        .await
        .unwrap()
}

async fn set(client: &ClusterClient, key: &str, value: &str) {
    within(10, client.set(key, value)).await.unwrap();
}

/// One round trip on the caching client's shared connection to the node
/// at `port`: every invalidation that node sent before it is applied
/// when its reply comes.
async fn round_trip(client: &ClusterClient, port: u16) {
    let conn = within(10, client.node(&addr(port))).await.unwrap();
    within(10, conn.send(&args(&["PING"]))).await.unwrap();
}

/// The node at `port` closes every connection with tracking on (the
/// caching clients' tracked ones); how many it closed.
fn kill_tracking_connections(cluster: &Cluster, port: u16) -> usize {
    let list = cluster
        .call(port, &["CLIENT", "LIST", "TYPE", "normal"])
        .expect_text();
    let mut killed = 0;
    for line in list.lines() {
        let field = |name: &str| {
            line.split(' ')
                .find_map(|f| f.strip_prefix(name))
                .unwrap_or_default()
                .to_string()
        };
        if field("flags=").contains('t') {
            let id = field("id=");
            let n = cluster
                .call(port, &["CLIENT", "KILL", "ID", &id])
                .int()
                .unwrap();
            killed += n as usize;
        }
    }
    killed
}

/// Waits (bounded) until the cache counted more than `before` flushes.
async fn flushed_after(client: &ClusterClient, before: u64) -> CacheStats {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = stats(client);
        if s.flushes > before {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "no flush after the connection ended: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Three keys, one on each primary (hash tags `a`, `b`, `c` land in the
/// three thirds of the slot space).
const SPREAD: [&str; 3] = ["k:{b}", "k:{c}", "k:{a}"];

// --------------------------------------------------------------- async

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cluster_cache() {
    cache_checks(Kind::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valkey_cluster_cache() {
    cache_checks(Kind::Valkey).await;
}

async fn cache_checks(kind: Kind) {
    let mut cluster = Cluster::start(kind, 3, 1);
    let client = cached(&cluster);
    let other = plain(&cluster);
    let ports: Vec<u16> = SPREAD
        .iter()
        .map(|k| cluster.primary_for_key(k.as_bytes()).port)
        .collect();
    let mut distinct = ports.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "one key per primary: {ports:?}");
    assert!(other.cache_stats().is_none(), "no cache unless configured");

    invalidated_by_another_clients_write(&client, &other, &ports, kind).await;
    bypass_and_counters(&client, kind).await;
    own_writes(&client).await;
    flushall(&client, &other, &ports, kind).await;
    killed_connection(&cluster, &client, &other, kind).await;
    opt_in(&cluster, &other, kind).await;
    replica_reads(&cluster, kind).await;
    moved_slot(&mut cluster, &client, &other, kind).await;
}

/// Another client's write, on each of the three primaries: one round trip
/// to the key's node later, the entry is gone and the new value is read.
async fn invalidated_by_another_clients_write(
    client: &ClusterClient,
    other: &ClusterClient,
    ports: &[u16],
    kind: Kind,
) {
    for k in SPREAD {
        set(other, k, "1").await;
        assert_eq!(get(client, k).await.as_deref(), Some("1"));
        assert_eq!(get(client, k).await.as_deref(), Some("1"));
    }
    let s = stats(client);
    assert_eq!((s.hits, s.misses, s.entries), (3, 3, 3), "{kind:?}");

    for (k, &port) in SPREAD.iter().zip(ports) {
        set(other, k, "2").await;
        round_trip(client, port).await;
        assert_eq!(get(client, k).await.as_deref(), Some("2"), "{kind:?} {k}");
        assert_eq!(get(client, k).await.as_deref(), Some("2"));
    }
    let s = stats(client);
    assert_eq!(
        (s.hits, s.misses, s.invalidations, s.entries),
        (6, 6, 3, 3),
        "{kind:?}"
    );

    // A key that does not exist is cached too, and its creation
    // invalidates the cached nil.
    let absent = "absent:{a}";
    let port = ports[2];
    assert_eq!(get(client, absent).await, None);
    assert_eq!(get(client, absent).await, None);
    set(other, absent, "here").await;
    round_trip(client, port).await;
    assert_eq!(get(client, absent).await.as_deref(), Some("here"));
}

/// The bypass asks the servers and stores nothing; `clear_cache` drops
/// everything; commands outside the cacheable set and reads of several
/// slots are never answered from the cache.
async fn bypass_and_counters(client: &ClusterClient, kind: Kind) {
    let before = stats(client);
    let direct = client.without_cache();
    for k in SPREAD {
        assert_eq!(get(&direct, k).await.as_deref(), Some("2"));
    }
    assert_eq!(
        direct.cache_stats(),
        Some(before),
        "the bypass counts nothing"
    );

    client.clear_cache();
    let s = stats(client);
    assert_eq!((s.entries, s.flushes), (0, before.flushes + 1), "{kind:?}");
    assert_eq!(get(client, SPREAD[0]).await.as_deref(), Some("2"));
    assert_eq!(get(client, SPREAD[0]).await.as_deref(), Some("2"));
    let s = stats(client);
    assert_eq!(
        (s.hits, s.misses),
        (before.hits + 1, before.misses + 1),
        "{kind:?}"
    );

    // MGET across slots (split by node) and TTL: asked every time.
    for _ in 0..3 {
        let mut mget = Cmd::new("MGET");
        mget.args(SPREAD);
        let v: Vec<Option<String>> =
            respec::FromResp::from_resp(within(10, client.execute(&mget)).await.unwrap()).unwrap();
        assert_eq!(v, vec![Some("2".to_string()); 3]);
        let ttl: i64 = within(10, client.ttl(SPREAD[1])).await.unwrap();
        assert_eq!(ttl, -1);
    }
    let after = stats(client);
    assert_eq!((after.hits, after.misses), (s.hits, s.misses), "{kind:?}");
}

/// The caching client reads its own writes at once: alone, split over
/// nodes (`MSET`), and in a pipeline.
async fn own_writes(client: &ClusterClient) {
    for i in 0..50 {
        let v = i.to_string();
        set(client, "mine:{a}", &v).await;
        assert_eq!(get(client, "mine:{a}").await.as_deref(), Some(v.as_str()));
        assert_eq!(get(client, "mine:{a}").await.as_deref(), Some(v.as_str()));
    }
    for i in 0..20 {
        let v = format!("m{i}");
        let mut mset = Cmd::new("MSET");
        for k in SPREAD {
            mset.arg(k).arg(&v);
        }
        within(10, client.execute(&mset)).await.unwrap();
        for k in SPREAD {
            assert_eq!(get(client, k).await.as_deref(), Some(v.as_str()), "{k}");
        }
        let v = format!("p{i}");
        let mut pipe = respec::Pipeline::new();
        for k in SPREAD {
            pipe.add(args(&["SET", k, &v]));
        }
        let results = within(10, pipe.execute_cluster(client)).await.unwrap();
        assert_eq!(results.len(), 3);
        for k in SPREAD {
            assert_eq!(get(client, k).await.as_deref(), Some(v.as_str()), "{k}");
        }
    }
}

/// FLUSHALL on every primary: each node's keyless invalidation empties
/// the cache.
async fn flushall(client: &ClusterClient, other: &ClusterClient, ports: &[u16], kind: Kind) {
    for k in SPREAD {
        set(other, k, "f").await;
    }
    for &port in ports {
        round_trip(client, port).await;
    }
    for k in SPREAD {
        assert_eq!(get(client, k).await.as_deref(), Some("f"));
    }
    assert!(stats(client).entries >= 3);
    let flushes = stats(client).flushes;
    within(10, other.execute(&args(&["FLUSHALL"])))
        .await
        .unwrap();
    for &port in ports {
        round_trip(client, port).await;
    }
    let s = stats(client);
    assert_eq!(s.entries, 0, "{kind:?}");
    assert!(s.flushes >= flushes + 3, "one per node: {s:?}");
    for k in SPREAD {
        assert_eq!(get(client, k).await, None);
    }
}

/// A node's tracked connection closed by the server: the cache drops
/// everything, the key changes meanwhile, and the next read reconnects
/// with tracking on and reads the new value.
async fn killed_connection(
    cluster: &Cluster,
    client: &ClusterClient,
    other: &ClusterClient,
    kind: Kind,
) {
    let k = SPREAD[1];
    let port = cluster.primary_for_key(k.as_bytes()).port;
    set(other, k, "before").await;
    // (The nil read after FLUSHALL is cached: one round trip drops it.)
    round_trip(client, port).await;
    assert_eq!(get(client, k).await.as_deref(), Some("before"));
    assert_eq!(get(client, k).await.as_deref(), Some("before"));
    let first = within(10, client.node(&addr(port))).await.unwrap().id();
    let flushes = stats(client).flushes;
    assert_eq!(kill_tracking_connections(cluster, port), 1, "{kind:?}");
    let s = flushed_after(client, flushes).await;
    assert_eq!(s.entries, 0, "{s:?}");
    set(other, k, "after").await;
    assert_eq!(get(client, k).await.as_deref(), Some("after"));
    let conn = within(10, client.node(&addr(port))).await.unwrap();
    assert_ne!(conn.id(), first);
    let info = within(10, conn.send(&args(&["CLIENT", "TRACKINGINFO"])))
        .await
        .unwrap();
    assert!(format!("{info:?}").contains("on"), "{info:?}");
    assert_eq!(get(client, k).await.as_deref(), Some("after"));
    set(other, k, "again").await;
    round_trip(client, port).await;
    assert_eq!(get(client, k).await.as_deref(), Some("again"));
}

/// `OPTIN` tracking: each cached read goes out after `CLIENT CACHING
/// YES`, in one request; reads past the cache are not tracked.
async fn opt_in(cluster: &Cluster, other: &ClusterClient, kind: Kind) {
    use respec::cache::TrackingMode;
    let client = ClusterClient::with_config(
        config(cluster).cache(CacheConfig::default().mode(TrackingMode::OptIn)),
    );
    for k in SPREAD {
        set(other, k, "o1").await;
        assert_eq!(get(&client, k).await.as_deref(), Some("o1"));
        assert_eq!(get(&client, k).await.as_deref(), Some("o1"));
    }
    let s = stats(&client);
    assert_eq!((s.hits, s.misses, s.entries), (3, 3, 3), "{kind:?}");
    for k in SPREAD {
        set(other, k, "o2").await;
        round_trip(&client, cluster.primary_for_key(k.as_bytes()).port).await;
        assert_eq!(get(&client, k).await.as_deref(), Some("o2"), "{kind:?} {k}");
    }
    assert_eq!(stats(&client).invalidations, 3, "{kind:?}");
    // An error reply of an opted-in read is the read's error, not kept.
    within(10, other.execute(&args(&["LPUSH", "list:{a}", "x"])))
        .await
        .unwrap();
    for _ in 0..2 {
        let err = within(10, client.get("list:{a}").reply::<Option<String>>())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("WRONGTYPE"), "{err}");
        assert_eq!(err.command(), Some("GET"));
    }
}

/// Reads served by replicas are cached too, with tracking on the replica
/// connections: a write replicated to the replica invalidates the entry
/// within one round trip to that replica.
async fn replica_reads(cluster: &Cluster, kind: Kind) {
    let mut cfg = config(cluster).cache(CacheConfig::default());
    cfg.read_from = ReadFrom::PreferReplica;
    let client = ClusterClient::with_config(cfg);
    let k = SPREAD[2];
    let primary = cluster.primary_for_key(k.as_bytes()).port;
    let mut writer = cluster.conn(primary);
    // Written on the primary, and applied by its replica before WAIT
    // answers.
    let write = |writer: &mut support::cluster::Conn, v: &str| {
        assert!(writer.call(&["SET", k, v]).unwrap().is_ok());
        let acked = writer.call(&["WAIT", "1", "5000"]).unwrap().int().unwrap();
        assert_eq!(acked, 1, "the replica applied the write");
    };
    write(&mut writer, "r1");
    assert_eq!(get(&client, k).await.as_deref(), Some("r1"));
    assert_eq!(get(&client, k).await.as_deref(), Some("r1"));
    let s = stats(&client);
    assert_eq!((s.hits, s.misses), (1, 1), "{kind:?}");
    for i in 2..12 {
        let v = format!("r{i}");
        write(&mut writer, &v);
        // A read past the cache goes to the replica too (its only one):
        // a round trip on the tracked replica connection.
        assert_eq!(
            get(&client.without_cache(), k).await.as_deref(),
            Some(v.as_str())
        );
        assert_eq!(
            get(&client, k).await.as_deref(),
            Some(v.as_str()),
            "{kind:?}"
        );
        assert_eq!(get(&client, k).await.as_deref(), Some(v.as_str()));
    }
    let s = stats(&client);
    assert_eq!(
        (s.hits, s.misses, s.invalidations),
        (11, 11, 10),
        "{kind:?}"
    );
}

/// A slot moved to another primary: the key's migration away invalidates
/// it on the old owner; the read that follows learns of the move (a
/// `MOVED`, which drops the cache; its reply, from a node the read did
/// not start on, is not stored) and reads the value written on the new
/// owner; later reads are cached from the new owner and invalidated by
/// its writes. A slot that moves with no keys is dropped from the cache
/// when the client reads the topology.
async fn moved_slot(
    cluster: &mut Cluster,
    client: &ClusterClient,
    other: &ClusterClient,
    kind: Kind,
) {
    let k = "moving:{a}";
    let slot = key_slot(k.as_bytes());
    let from = cluster.primary_for_key(k.as_bytes()).port;
    let to = cluster.other_primary(from);
    set(other, k, "old").await;
    assert_eq!(get(client, k).await.as_deref(), Some("old"));
    assert_eq!(get(client, k).await.as_deref(), Some("old"));

    let moved = tokio::task::block_in_place(|| cluster.move_slots([slot], from, to));
    assert!(moved >= 1, "the key moved with its slot");
    // The migration deleted the key on the old owner, which told the
    // caching client's connection.
    round_trip(client, from).await;
    set(other, k, "new").await;
    let before = stats(client);
    assert_eq!(get(client, k).await.as_deref(), Some("new"), "{kind:?}");
    let s = stats(client);
    assert!(
        s.flushes > before.flushes,
        "the MOVED dropped the cache: {s:?}"
    );
    assert_eq!(client.slot_map().primary(slot), Some(&addr(to)), "{kind:?}");
    // From the new owner now: a miss, then hits, until its next write.
    assert_eq!(get(client, k).await.as_deref(), Some("new"));
    assert_eq!(get(client, k).await.as_deref(), Some("new"));
    let s2 = stats(client);
    assert_eq!(s2.hits, s.hits + 1, "{s2:?}");
    set(other, k, "newer").await;
    round_trip(client, to).await;
    assert_eq!(get(client, k).await.as_deref(), Some("newer"));

    // A key that does not exist moves nothing: once the client reads the
    // topology, the owners changed and the cached nil goes.
    let gone = "{empty}";
    let slot = key_slot(gone.as_bytes());
    let from = cluster.primary_for_key(gone.as_bytes()).port;
    let to = cluster.other_primary(from);
    assert_eq!(get(client, gone).await, None);
    assert_eq!(get(client, gone).await, None);
    let flushes = stats(client).flushes;
    let moved = tokio::task::block_in_place(|| cluster.move_slots([slot], from, to));
    assert_eq!(moved, 0);
    set(other, gone, "created").await;
    // (A periodic topology read may have come first.)
    within(10, client.refresh()).await.unwrap();
    assert!(stats(client).flushes > flushes);
    assert_eq!(get(client, gone).await.as_deref(), Some("created"));
}

/// Writers (another client, and the caching client itself) and cached
/// readers on keys of the three primaries: no read returns a value older
/// than the last write that completed before its round trip to the key's
/// node began. Bounded in iterations and in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_cluster_reader_never_sees_a_value_older_than_the_last_completed_write() {
    const WRITES: u64 = 2_000;
    const LIMIT: Duration = Duration::from_secs(20);
    let cluster = Cluster::start(Kind::Redis, 3, 1);
    let client =
        ClusterClient::with_config(config(&cluster).cache(CacheConfig::default().max_entries(64)));
    let other = plain(&cluster);
    let ports: Arc<Vec<u16>> = Arc::new(
        SPREAD
            .iter()
            .map(|k| cluster.primary_for_key(k.as_bytes()).port)
            .collect(),
    );
    for k in SPREAD {
        set(&other, k, "0").await;
    }
    let completed: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();

    // Counters: every write makes a key's value grow. The other client
    // increments in a script; the caching client alternates `INCR` (a
    // write it fences before sending) and the script (which it cannot see
    // into: only the server's invalidation covers it).
    let mut writers = Vec::new();
    for (own, writer) in [(false, other.clone()), (true, client.clone())] {
        let completed = completed.clone();
        writers.push(tokio::spawn(async move {
            let mut i = 0u64;
            while i < WRITES && started.elapsed() < LIMIT {
                let k = (i % 3) as usize;
                let now: i64 = if own && i.is_multiple_of(2) {
                    within(10, writer.incr(SPREAD[k])).await.unwrap()
                } else {
                    let mut eval = Cmd::new("EVAL");
                    eval.arg("return redis.call('INCR', KEYS[1])")
                        .arg(1)
                        .arg(SPREAD[k]);
                    let frame = within(10, writer.execute(&eval)).await.unwrap();
                    respec::FromResp::from_resp(frame).unwrap()
                };
                completed[k].fetch_max(now as u64, Ordering::SeqCst);
                if own && i.is_multiple_of(2) {
                    // Its own fenced write, read back at once.
                    let v: u64 = get(&writer, SPREAD[k]).await.unwrap().parse().unwrap();
                    assert!(v >= now as u64, "read {v} right after writing {now}");
                }
                i += 1;
            }
        }));
    }

    let mut readers = Vec::new();
    for r in 0..3 {
        let client = client.clone();
        let completed = completed.clone();
        let done = done.clone();
        let ports = ports.clone();
        readers.push(tokio::spawn(async move {
            let mut reads = 0u64;
            while !done.load(Ordering::SeqCst) && started.elapsed() < LIMIT {
                let k = (reads as usize + r) % 3;
                let floor = completed[k].load(Ordering::SeqCst);
                round_trip(&client, ports[k]).await;
                let v: u64 = get(&client, SPREAD[k]).await.unwrap().parse().unwrap();
                assert!(
                    v >= floor,
                    "read {v} of {} after {floor} completed",
                    SPREAD[k]
                );
                let again: u64 = get(&client, SPREAD[k]).await.unwrap().parse().unwrap();
                assert!(again >= floor, "read {again} after {floor}");
                reads += 1;
            }
            reads
        }));
    }
    for w in writers {
        within(60, w).await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let mut reads = 0;
    for r in readers {
        reads += within(60, r).await.unwrap();
    }
    assert!(reads > 0);
    let s = stats(&client);
    assert!(s.hits > 0 && s.misses > 0 && s.invalidations > 0, "{s:?}");
    // After the writes, the cache converges on the final values.
    for (k, &port) in SPREAD.iter().zip(ports.iter()) {
        round_trip(&client, port).await;
        let server_value = get(&other, k).await;
        assert_eq!(get(&client, k).await, server_value);
        assert_eq!(get(&client, k).await, server_value);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resp2_is_refused_with_a_clear_error() {
    let cluster = Cluster::start(Kind::Redis, 3, 0);
    let mut cfg = config(&cluster).cache(CacheConfig::default());
    cfg.node.protocol = respec::connection::Protocol::Resp2;
    let client = ClusterClient::with_config(cfg.clone());
    let err = within(10, client.get("k").reply::<Option<String>>())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unsupported, "{err}");
    assert!(err.to_string().contains("RESP3"), "{err}");
    // Every handle and path of the client alike.
    let err = within(10, client.without_cache().set("k", "v"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unsupported, "{err}");
    let mut pipe = respec::Pipeline::new();
    pipe.add(args(&["SET", "k", "v"]));
    let err = within(10, pipe.execute_cluster(&client)).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unsupported, "{err}");
    let blocking = BlockingClusterClient::with_config(cfg.clone());
    let err = blocking
        .query::<Option<String>, _>(&args(&["GET", "k"]))
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unsupported, "{err}");
    let err = blocking
        .without_cache()
        .execute(&args(&["SET", "k", "v"]))
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unsupported, "{err}");
    // The same settings without a cache work.
    cfg.cache = None;
    let plain = ClusterClient::with_config(cfg);
    within(10, plain.set("k", "v")).await.unwrap();
    assert_eq!(get(&plain, "k").await.as_deref(), Some("v"));
}

// ------------------------------------------------------------ blocking

fn bcached(cluster: &Cluster) -> BlockingClusterClient {
    BlockingClusterClient::with_config(config(cluster).cache(CacheConfig::default()))
}

fn bget(client: &BlockingClusterClient, key: &str) -> Option<String> {
    client
        .query::<Option<String>, _>(&args(&["GET", key]))
        .unwrap()
}

fn bset(client: &BlockingClusterClient, key: &str, value: &str) {
    client.execute(&args(&["SET", key, value])).unwrap();
}

fn bstats(client: &BlockingClusterClient) -> CacheStats {
    client.cache_stats().expect("the client has a cache")
}

/// The key of `key`'s slot used as a barrier: a read that misses, so a
/// round trip on the tracked connection of the key's node.
fn barrier(key: &str, n: u64) -> String {
    let tag = &key[key.find('{').unwrap()..=key.find('}').unwrap()];
    format!("barrier:{tag}:{n}")
}

#[test]
fn blocking_cluster_cache() {
    let mut cluster = Cluster::start(Kind::Redis, 3, 1);
    let client = bcached(&cluster);
    let other = BlockingClusterClient::open(&cluster.seed_urls().join(",")).unwrap();
    let mut n = 0;
    let mut miss = |client: &BlockingClusterClient, key: &str| {
        n += 1;
        assert_eq!(bget(client, &barrier(key, n)), None);
    };

    // Another client's write, on each primary: after a round trip on the
    // key's node's tracked connection, the new value.
    for k in SPREAD {
        bset(&other, k, "1");
        assert_eq!(bget(&client, k).as_deref(), Some("1"));
        assert_eq!(bget(&client, k).as_deref(), Some("1"));
    }
    let s = bstats(&client);
    assert_eq!((s.hits, s.misses, s.entries), (3, 3, 3));
    for k in SPREAD {
        bset(&other, k, "2");
        miss(&client, k);
        assert_eq!(bget(&client, k).as_deref(), Some("2"), "{k}");
        assert_eq!(bget(&client, k).as_deref(), Some("2"));
    }
    let s = bstats(&client);
    assert_eq!((s.hits, s.invalidations), (6, 3), "{s:?}");

    // Its own writes, alone, split (MSET) and in a pipeline: read at once.
    for i in 0..20 {
        let v = i.to_string();
        bset(&client, SPREAD[0], &v);
        assert_eq!(bget(&client, SPREAD[0]).as_deref(), Some(v.as_str()));
        let mut mset = Cmd::new("MSET");
        for k in SPREAD {
            mset.arg(k).arg(format!("m{i}"));
        }
        client.execute(&mset).unwrap();
        for k in SPREAD {
            assert_eq!(bget(&client, k), Some(format!("m{i}")));
        }
        let mut pipe = respec::Pipeline::new();
        for k in SPREAD {
            pipe.add(args(&["SET", k, &format!("p{i}")]));
        }
        assert_eq!(pipe.execute_blocking_cluster(&client).unwrap().len(), 3);
        for k in SPREAD {
            assert_eq!(bget(&client, k), Some(format!("p{i}")));
        }
    }

    // The bypass asks the servers and stores nothing; clear_cache.
    let before = bstats(&client);
    let direct: Option<String> = client
        .without_cache()
        .query(&args(&["GET", SPREAD[0]]))
        .unwrap();
    assert_eq!(direct.as_deref(), Some("p19"));
    let typed = client.without_cache().get(SPREAD[1]).run().unwrap();
    assert_eq!(typed.map(|v| v.to_string()).as_deref(), Some("p19"));
    assert_eq!(bstats(&client), before);
    client.clear_cache();
    assert_eq!(bstats(&client).entries, 0);
    assert_eq!(bstats(&client).flushes, before.flushes + 1);
    assert!(BlockingClusterClient::with_config(config(&cluster))
        .cache_stats()
        .is_none());

    // FLUSHALL: each node's keyless invalidation empties the cache, seen
    // at the next read on that node.
    for k in SPREAD {
        assert_eq!(bget(&client, k), Some("p19".to_string()));
    }
    let flushes = bstats(&client).flushes;
    other.execute(&args(&["FLUSHALL"])).unwrap();
    for k in SPREAD {
        miss(&client, k);
    }
    let s = bstats(&client);
    assert!(s.flushes >= flushes + 3, "{s:?}");
    for k in SPREAD {
        assert_eq!(bget(&client, k), None);
    }

    // A killed tracked connection: the next read on that node finds it
    // closed, flushes, and reads through a new one.
    let k = SPREAD[1];
    let port = cluster.primary_for_key(k.as_bytes()).port;
    bset(&other, k, "before");
    // (The nil read after FLUSHALL is cached: a miss on the node drops it.)
    miss(&client, k);
    assert_eq!(bget(&client, k).as_deref(), Some("before"));
    assert_eq!(bget(&client, k).as_deref(), Some("before"));
    let flushes = bstats(&client).flushes;
    assert_eq!(kill_tracking_connections(&cluster, port), 1);
    bset(&other, k, "after");
    assert_eq!(bget(&client, k).as_deref(), Some("after"));
    assert_eq!(bstats(&client).flushes, flushes + 1);
    bset(&other, k, "again");
    miss(&client, k);
    assert_eq!(bget(&client, k).as_deref(), Some("again"));

    // A moved slot: the migration invalidates the key on the old owner;
    // the next read is redirected (not stored, the cache dropped), then
    // cached from the new owner.
    let k = "moving:{a}";
    let slot = key_slot(k.as_bytes());
    let from = cluster.primary_for_key(k.as_bytes()).port;
    let to = cluster.other_primary(from);
    bset(&other, k, "old");
    assert_eq!(bget(&client, k).as_deref(), Some("old"));
    assert_eq!(bget(&client, k).as_deref(), Some("old"));
    assert!(cluster.move_slots([slot], from, to) >= 1);
    bset(&other, k, "new");
    let before = bstats(&client);
    assert_eq!(bget(&client, k).as_deref(), Some("new"));
    assert!(bstats(&client).flushes > before.flushes);
    assert_eq!(client.slot_map().primary(slot), Some(&addr(to)));
    assert_eq!(bget(&client, k).as_deref(), Some("new"));
    assert_eq!(bget(&client, k).as_deref(), Some("new"));
    bset(&other, k, "newer");
    miss(&client, k);
    assert_eq!(bget(&client, k).as_deref(), Some("newer"));
}

/// The blocking cluster client under two writers: after a miss on the
/// key's node (a round trip on its tracked connection), no cached read
/// returns a value older than a write that completed before it. Bounded
/// in iterations and in time.
#[test]
fn a_blocking_cached_cluster_reader_never_sees_a_value_older_than_the_last_completed_write() {
    let cluster = Cluster::start(Kind::Redis, 3, 0);
    let client = Arc::new(bcached(&cluster));
    let other = Arc::new(BlockingClusterClient::open(&cluster.seed_urls().join(",")).unwrap());
    support::race::BlockingRace {
        writes: 1_500,
        readers: 2,
        keys: SPREAD,
        barrier: |key, r, reads| barrier(key, reads * 2 + r as u64),
    }
    .run(client.clone(), other);
    let s = bstats(&client);
    assert!(s.hits > 0 && s.invalidations > 0, "{s:?}");
}
