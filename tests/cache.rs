//! Client-side caching against real servers: hits and misses, the
//! server's invalidations (another client's writes, FLUSHALL), the race
//! between a cached reader and writers, reconnects, bounds, bypass; on
//! RESP3 (invalidations on the tracked connection) and on RESP2 (through a
//! redirect connection, which may fail on its own).

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use respec::cache::{CacheConfig, CacheStats};
use respec::connection::{Protocol, PushEvent, PushReceiver};
use respec::prelude::*;
use respec::{Client, Cmd};
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

/// Both protocols: RESP3 (the default) and RESP2 (a redirect connection).
const PROTOCOLS: [Protocol; 2] = [Protocol::Resp3, Protocol::Resp2];

fn cached(url: &str, config: CacheConfig) -> Client {
    Client::builder(url).unwrap().cache(config).build()
}

fn cached_on(url: &str, config: CacheConfig, protocol: Protocol) -> Client {
    Client::builder(url)
        .unwrap()
        .protocol(protocol)
        .cache(config)
        .build()
}

fn stats(client: &Client) -> CacheStats {
    client.cache_stats().expect("the client has a cache")
}

async fn get(client: &Client, key: &str) -> Option<String> {
    within(5, client.get(key).reply::<Option<String>>())
        .await
        .unwrap()
}

async fn ping(client: &Client) {
    within(5, client.execute(&args(&["PING"]))).await.unwrap();
}

/// Waits for the push channel's next `Disconnected` event.
async fn disconnected(pushes: &mut PushReceiver) -> u64 {
    loop {
        match within(5, pushes.recv()).await {
            Some(PushEvent::Disconnected { connection }) => return connection,
            Some(_) => continue,
            None => panic!("the push channel closed"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_by_another_client_invalidates_within_one_round_trip() {
    for (kind, protocol) in [Kind::Redis, Kind::Valkey]
        .into_iter()
        .flat_map(|k| PROTOCOLS.map(|p| (k, p)))
    {
        let kind = (kind, protocol);
        let server = support::server(kind.0);
        let client = cached_on(&server.url(), CacheConfig::default(), protocol);
        let other = Client::open(&server.url()).unwrap();
        within(5, other.set("k", "1")).await.unwrap();

        assert_eq!(get(&client, "k").await.as_deref(), Some("1"));
        assert_eq!(get(&client, "k").await.as_deref(), Some("1"));
        let s = stats(&client);
        assert_eq!((s.hits, s.misses, s.entries), (1, 1, 1), "{kind:?}");

        within(5, other.set("k", "2")).await.unwrap();
        // Any reply read after the write completed comes after its
        // invalidation on the tracked connection.
        ping(&client).await;
        assert_eq!(stats(&client).entries, 0, "{kind:?}");
        assert_eq!(get(&client, "k").await.as_deref(), Some("2"));
        assert_eq!(get(&client, "k").await.as_deref(), Some("2"));
        let s = stats(&client);
        assert_eq!((s.hits, s.misses, s.invalidations), (2, 2, 1), "{kind:?}");

        // A key that does not exist is cached too (the server tracks it),
        // and its creation invalidates the cached nil.
        assert_eq!(get(&client, "absent").await, None);
        assert_eq!(get(&client, "absent").await, None);
        assert_eq!(stats(&client).hits, 3);
        within(5, other.set("absent", "here")).await.unwrap();
        ping(&client).await;
        assert_eq!(get(&client, "absent").await.as_deref(), Some("here"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_on_one_key_are_separate_entries_invalidated_together() {
    for protocol in PROTOCOLS {
        commands_on_one_key(protocol).await;
    }
}

async fn commands_on_one_key(protocol: Protocol) {
    let server = support::server(Kind::Redis);
    let client = cached_on(&server.url(), CacheConfig::default(), protocol);
    let other = Client::open(&server.url()).unwrap();
    within(5, other.set("s", "hello")).await.unwrap();
    let range = args(&["GETRANGE", "s", "0", "1"]);
    for _ in 0..2 {
        assert_eq!(get(&client, "s").await.as_deref(), Some("hello"));
        let part: String = within(5, client.query(&range)).await.unwrap();
        assert_eq!(part, "he");
        let len: i64 = within(5, client.strlen("s")).await.unwrap();
        assert_eq!(len, 5);
    }
    let s = stats(&client);
    assert_eq!((s.hits, s.misses, s.entries), (3, 3, 3));

    within(5, other.set("s", "world")).await.unwrap();
    ping(&client).await;
    let s = stats(&client);
    assert_eq!((s.entries, s.invalidations), (0, 3));
    assert_eq!(get(&client, "s").await.as_deref(), Some("world"));
    let part: String = within(5, client.query(&range)).await.unwrap();
    assert_eq!(part, "wo");

    // Commands outside the cacheable set always go to the server.
    let before = stats(&client);
    for _ in 0..3 {
        let ttl: i64 = within(5, client.ttl("s")).await.unwrap();
        assert_eq!(ttl, -1);
        within(5, client.incr("n")).await.unwrap();
    }
    let after = stats(&client);
    assert_eq!((after.hits, after.misses), (before.hits, before.misses));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reads_its_own_writes_at_once() {
    for protocol in PROTOCOLS {
        reads_its_own_writes(protocol).await;
    }
}

async fn reads_its_own_writes(protocol: Protocol) {
    let server = support::server(Kind::Redis);
    let client = cached_on(&server.url(), CacheConfig::default(), protocol);
    for i in 0..200 {
        let v = i.to_string();
        within(5, client.set("mine", v.as_str())).await.unwrap();
        assert_eq!(get(&client, "mine").await.as_deref(), Some(v.as_str()));
        assert_eq!(get(&client, "mine").await.as_deref(), Some(v.as_str()));
    }
    // A write in a pipeline drops the entry too.
    for i in 0..50 {
        let v = format!("p{i}");
        let mut pipe = respec::Pipeline::new();
        pipe.add(args(&["SET", "mine", &v]));
        pipe.add(args(&["INCR", "counter"]));
        let results = within(5, pipe.execute(&client)).await.unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(get(&client, "mine").await.as_deref(), Some(v.as_str()));
        assert_eq!(get(&client, "mine").await.as_deref(), Some(v.as_str()));
    }
    // Most second reads hit; one whose first read raced the server's own
    // invalidation of the write misses again, so only "some" is certain.
    let s = stats(&client);
    assert!(s.hits > 0 && s.hits <= 250, "{s:?}");
}

/// A cached reader and writers on the same keys: no read returns a value
/// older than the last write that completed before it began (a write
/// through the same client), or before its round trip began (a write by
/// another client). Bounded in iterations and in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_reader_never_sees_a_value_older_than_the_last_completed_write() {
    race(Protocol::Resp3).await;
}

/// The same on RESP2: the invalidations come on the redirect connection,
/// and every reply waits for a round trip on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resp2_cached_reader_never_sees_a_value_older_than_the_last_completed_write() {
    race(Protocol::Resp2).await;
}

async fn race(protocol: Protocol) {
    const WRITES: u64 = 3_000;
    const LIMIT: Duration = Duration::from_secs(20);
    let server = support::server(Kind::Redis);
    let client = cached_on(
        &server.url(),
        CacheConfig::default().max_entries(64),
        protocol,
    );
    let other = Client::open(&server.url()).unwrap();
    let keys = ["race:a", "race:b", "race:c"];
    for k in keys {
        within(5, other.set(k, 0)).await.unwrap();
    }
    // Per key: the highest value whose write completed.
    let completed: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();

    // Two writers: another client, and the caching client itself.
    let mut writers = Vec::new();
    for (w, writer) in [other.clone(), client.clone()].into_iter().enumerate() {
        let completed = completed.clone();
        writers.push(tokio::spawn(async move {
            let mut i = w as u64 + 1;
            while i <= WRITES && started.elapsed() < LIMIT {
                let k = (i % 3) as usize;
                // The value only grows: a compare-and-set keeps the
                // writers' values in order per key.
                let script = "local v = tonumber(redis.call('GET', KEYS[1]) or '0') \
                              if tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end \
                              return redis.call('GET', KEYS[1])";
                let mut eval = Cmd::new("EVAL");
                eval.arg(script).arg(1).arg(keys[k]).arg(i);
                let now: String = within(5, writer.query(&eval)).await.unwrap();
                completed[k].fetch_max(now.parse().unwrap(), Ordering::SeqCst);
                i += 2;
            }
        }));
    }

    let mut readers = Vec::new();
    for r in 0..3 {
        let client = client.clone();
        let completed = completed.clone();
        let done = done.clone();
        readers.push(tokio::spawn(async move {
            let mut reads = 0u64;
            while !done.load(Ordering::SeqCst) && started.elapsed() < LIMIT {
                let k = (reads as usize + r) % 3;
                let floor = completed[k].load(Ordering::SeqCst);
                // One round trip: every invalidation of a write that
                // completed before it is applied when its reply comes.
                ping(&client).await;
                let v: Option<String> = get(&client, keys[k]).await;
                let v: u64 = v.unwrap().parse().unwrap();
                assert!(
                    v >= floor,
                    "read {v} of {} after a write of {floor} completed",
                    keys[k]
                );
                // And once more without the round trip: still no older
                // than what completed before the previous read.
                let again: u64 = get(&client, keys[k]).await.unwrap().parse().unwrap();
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
    assert!(s.misses > 0 && s.invalidations > 0, "{s:?}");
    // After the writes, the cache converges on the final values.
    ping(&client).await;
    for k in keys {
        let server_value: Option<String> = within(5, other.get(k).reply()).await.unwrap();
        assert_eq!(get(&client, k).await, server_value);
        assert_eq!(get(&client, k).await, server_value);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flushall_invalidates_everything() {
    for (kind, protocol) in [Kind::Redis, Kind::Valkey]
        .into_iter()
        .flat_map(|k| PROTOCOLS.map(|p| (k, p)))
    {
        let server = support::server(kind);
        let kind = (kind, protocol);
        let client = cached_on(&server.url(), CacheConfig::default(), protocol);
        let other = Client::open(&server.url()).unwrap();
        for k in ["f1", "f2", "f3"] {
            within(5, other.set(k, k)).await.unwrap();
            assert_eq!(get(&client, k).await.as_deref(), Some(k));
        }
        assert_eq!(stats(&client).entries, 3);
        let flushes = stats(&client).flushes;
        within(5, other.execute(&args(&["FLUSHALL"])))
            .await
            .unwrap();
        ping(&client).await;
        let s = stats(&client);
        assert_eq!(s.entries, 0, "{kind:?}");
        assert_eq!(s.flushes, flushes + 1, "{kind:?}");
        for k in ["f1", "f2", "f3"] {
            assert_eq!(get(&client, k).await, None);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_flushes_and_the_new_one_is_tracked() {
    for protocol in PROTOCOLS {
        dropped_connection(protocol).await;
    }
}

async fn dropped_connection(protocol: Protocol) {
    let server = support::server(Kind::Redis);
    let client = cached_on(&server.url(), CacheConfig::default(), protocol);
    let other = Client::open(&server.url()).unwrap();
    let mut pushes = client.pushes();
    within(5, other.set("r", "1")).await.unwrap();
    assert_eq!(get(&client, "r").await.as_deref(), Some("1"));
    assert_eq!(get(&client, "r").await.as_deref(), Some("1"));
    let first = within(5, client.connection()).await.unwrap().id();
    let id: i64 = within(5, client.query(&args(&["CLIENT", "ID"])))
        .await
        .unwrap();

    // The server drops the tracked connection, and the key changes while
    // nobody tracks it for this client.
    let killed: i64 = within(
        5,
        other.query(&args(&["CLIENT", "KILL", "ID", &id.to_string()])),
    )
    .await
    .unwrap();
    assert_eq!(killed, 1);
    assert_eq!(disconnected(&mut pushes).await, first);
    within(5, other.set("r", "2")).await.unwrap();
    assert_eq!(stats(&client).entries, 0);

    // The next read reconnects, with tracking on again.
    assert_eq!(get(&client, "r").await.as_deref(), Some("2"));
    let second = within(5, client.connection()).await.unwrap().id();
    assert_ne!(first, second);
    let info: respec::Frame = within(5, client.execute(&args(&["CLIENT", "TRACKINGINFO"])))
        .await
        .unwrap();
    assert!(format!("{info:?}").contains("on"), "{info:?}");
    assert_eq!(get(&client, "r").await.as_deref(), Some("2"));
    within(5, other.set("r", "3")).await.unwrap();
    ping(&client).await;
    assert_eq!(get(&client, "r").await.as_deref(), Some("3"));
    let s = stats(&client);
    assert_eq!(s.flushes, 1, "ended once: {s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_leaves_no_stale_entry() {
    let mut server = support::server(Kind::Redis);
    for protocol in PROTOCOLS {
        let client = cached_on(&server.url(), CacheConfig::default(), protocol);
        within(5, client.set("p", "before")).await.unwrap();
        assert_eq!(get(&client, "p").await.as_deref(), Some("before"));
        assert_eq!(get(&client, "p").await.as_deref(), Some("before"));
        let mut pushes = client.pushes();
        // Killed (nothing saved) and started again: the key is gone.
        server.kill();
        server.start_again();
        disconnected(&mut pushes).await;
        assert_eq!(get(&client, "p").await, None, "{protocol:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bounds_hold_and_the_ttl_expires_entries() {
    let server = support::server(Kind::Redis);
    let client = cached(&server.url(), CacheConfig::default().max_entries(10));
    for i in 0..50 {
        let k = format!("b{i}");
        within(5, client.set(k.as_str(), i)).await.unwrap();
        assert_eq!(get(&client, &k).await, Some(i.to_string()));
    }
    let s = stats(&client);
    assert_eq!(s.entries, 10);
    assert_eq!(s.evictions, 40);
    // The most recent ten are the ones kept.
    for i in 40..50 {
        assert_eq!(get(&client, &format!("b{i}")).await, Some(i.to_string()));
    }
    assert_eq!(stats(&client).hits, 10);

    let big = "x".repeat(10_000);
    let small = cached(&server.url(), CacheConfig::default().max_bytes(4_000));
    within(5, small.set("big", big.as_str())).await.unwrap();
    assert_eq!(get(&small, "big").await.as_deref(), Some(big.as_str()));
    assert_eq!(get(&small, "big").await.as_deref(), Some(big.as_str()));
    let s = stats(&small);
    assert_eq!((s.hits, s.entries, s.dropped_fills), (0, 0, 2));

    let brief = cached(&server.url(), CacheConfig::default().ttl(Duration::ZERO));
    assert_eq!(get(&brief, "b0").await.as_deref(), Some("0"));
    assert_eq!(get(&brief, "b0").await.as_deref(), Some("0"));
    let s = stats(&brief);
    assert_eq!((s.hits, s.misses, s.expirations), (0, 2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bypassing_handle_asks_the_server_and_stores_nothing() {
    let server = support::server(Kind::Redis);
    let client = cached(&server.url(), CacheConfig::default());
    within(5, client.set("by", "1")).await.unwrap();
    let direct = client.without_cache();
    for _ in 0..3 {
        assert_eq!(get(&direct, "by").await.as_deref(), Some("1"));
    }
    assert_eq!(stats(&client), CacheStats::default());
    assert_eq!(get(&client, "by").await.as_deref(), Some("1"));
    assert_eq!(get(&client, "by").await.as_deref(), Some("1"));
    client.clear_cache();
    assert_eq!(get(&client, "by").await.as_deref(), Some("1"));
    let s = stats(&client);
    assert_eq!((s.hits, s.misses, s.flushes), (1, 2, 1));
    assert!(Client::open(&server.url()).unwrap().cache_stats().is_none());
}

/// The server id of the connection of `client` that subscribed to the
/// invalidations (`sub=1` in `CLIENT LIST`), if there is one.
async fn redirect_id(other: &Client) -> Option<String> {
    let list: String = within(5, other.query(&args(&["CLIENT", "LIST"])))
        .await
        .unwrap();
    list.lines()
        .find(|l| l.split(' ').any(|f| f == "sub=1"))
        .and_then(|l| l.split(' ').find_map(|f| f.strip_prefix("id=")))
        .map(str::to_string)
}

/// The redirect id `CLIENT TRACKINGINFO` reports for the client's shared
/// connection.
async fn tracking_redirect(client: &Client) -> i64 {
    let info: respec::Frame = within(5, client.execute(&args(&["CLIENT", "TRACKINGINFO"])))
        .await
        .unwrap();
    let respec::Frame::Array(items) = info else {
        panic!("{info:?}")
    };
    let at = items
        .iter()
        .position(|f| f.as_bytes() == Some(&b"redirect"[..]))
        .unwrap();
    match &items[at + 1] {
        respec::Frame::Integer(id) => *id,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resp2_tracking_goes_to_a_redirect_connection_replaced_when_it_is_killed() {
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = support::server(kind);
        let client = cached_on(&server.url(), CacheConfig::default(), Protocol::Resp2);
        let other = Client::open(&server.url()).unwrap();
        within(5, other.set("r", "1")).await.unwrap();
        assert_eq!(get(&client, "r").await.as_deref(), Some("1"));
        assert_eq!(get(&client, "r").await.as_deref(), Some("1"));
        assert_eq!(stats(&client).hits, 1, "{kind:?}");
        let first = redirect_id(&other).await.expect("a redirect connection");
        assert_eq!(tracking_redirect(&client).await.to_string(), first);

        // The server drops the redirect connection: its invalidations
        // would be lost, so the next round trip finds it gone, drops
        // everything, and the shared connection is replaced too.
        let killed: i64 = within(5, other.query(&args(&["CLIENT", "KILL", "ID", &first])))
            .await
            .unwrap();
        assert_eq!(killed, 1);
        within(5, other.set("r", "2")).await.unwrap();
        ping(&client).await;
        let s = stats(&client);
        assert_eq!((s.entries, s.flushes), (0, 1), "{kind:?} {s:?}");
        assert_eq!(get(&client, "r").await.as_deref(), Some("2"));
        assert_eq!(get(&client, "r").await.as_deref(), Some("2"));
        let second = redirect_id(&other)
            .await
            .expect("a new redirect connection");
        assert_ne!(first, second);
        assert_eq!(tracking_redirect(&client).await.to_string(), second);

        // Tracking works through the new pair.
        within(5, other.set("r", "3")).await.unwrap();
        ping(&client).await;
        assert_eq!(get(&client, "r").await.as_deref(), Some("3"));
        let s = stats(&client);
        assert_eq!((s.flushes, s.hits), (1, 2), "{kind:?} {s:?}");
    }
}

/// The keys of the next invalidation on the channel: an `invalidate`
/// push (RESP3), or a message on `__redis__:invalidate` (RESP2; other
/// pushes and connection events skipped).
async fn next_invalidation(pushes: &mut PushReceiver) -> respec::Frame {
    loop {
        match within(5, pushes.recv()).await {
            Some(PushEvent::Push { frame, .. }) => {
                let respec::Frame::Push(items) = &frame else {
                    panic!("{frame:?}")
                };
                match &items[..] {
                    [kind, keys] if kind.as_bytes() == Some(&b"invalidate"[..]) => {
                        return keys.clone()
                    }
                    [kind, channel, keys]
                        if kind.as_bytes() == Some(&b"message"[..])
                            && channel.as_bytes() == Some(&b"__redis__:invalidate"[..]) =>
                    {
                        return keys.clone()
                    }
                    _ => continue,
                }
            }
            Some(_) => continue,
            None => panic!("the push channel closed"),
        }
    }
}

fn invalidation(keys: &[&str]) -> respec::Frame {
    use respec::Frame;
    Frame::Array(
        keys.iter()
            .map(|k| Frame::BulkString(bytes::Bytes::copy_from_slice(k.as_bytes())))
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opt_in_tracks_only_the_cached_reads() {
    use respec::cache::TrackingMode;
    for (kind, protocol) in [Kind::Redis, Kind::Valkey]
        .into_iter()
        .flat_map(|k| PROTOCOLS.map(|p| (k, p)))
    {
        let server = support::server(kind);
        let kind = (kind, protocol);
        let client = cached_on(
            &server.url(),
            CacheConfig::default().mode(TrackingMode::OptIn),
            protocol,
        );
        let other = Client::open(&server.url()).unwrap();
        let mut pushes = client.pushes();
        within(5, other.set("in", "1")).await.unwrap();
        within(5, other.set("out", "1")).await.unwrap();

        assert_eq!(get(&client, "in").await.as_deref(), Some("1"));
        assert_eq!(get(&client, "in").await.as_deref(), Some("1"));
        assert_eq!(
            get(&client.without_cache(), "out").await.as_deref(),
            Some("1")
        );
        let s = stats(&client);
        assert_eq!((s.hits, s.misses, s.entries), (1, 1, 1), "{kind:?}");

        // `out` was read without the cache, so the server did not track
        // it: the first invalidation is the one of `in`.
        within(5, other.set("out", "2")).await.unwrap();
        within(5, other.set("in", "2")).await.unwrap();
        assert_eq!(
            next_invalidation(&mut pushes).await,
            invalidation(&["in"]),
            "{kind:?}"
        );
        ping(&client).await;
        assert_eq!(get(&client, "in").await.as_deref(), Some("2"));
        assert_eq!(get(&client, "in").await.as_deref(), Some("2"));
        assert_eq!(stats(&client).hits, 2);

        // An error reply of an opted-in read is the read's error, not kept.
        within(5, other.execute(&args(&["LPUSH", "list", "x"])))
            .await
            .unwrap();
        let err = within(5, client.get("list").reply::<Option<String>>())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("WRONGTYPE"), "{err}");
        assert_eq!(err.command(), Some("GET"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_caches_the_prefixes_and_hears_every_change_to_them() {
    for protocol in PROTOCOLS {
        broadcast(protocol).await;
    }
}

async fn broadcast(protocol: Protocol) {
    use respec::cache::TrackingMode;
    let server = support::server(Kind::Redis);
    let client = cached_on(
        &server.url(),
        CacheConfig::default().mode(TrackingMode::broadcast(["user:"])),
        protocol,
    );
    let other = Client::open(&server.url()).unwrap();
    within(5, other.set("user:1", "ada")).await.unwrap();
    within(5, other.set("order:1", "tea")).await.unwrap();

    for _ in 0..2 {
        assert_eq!(get(&client, "user:1").await.as_deref(), Some("ada"));
        assert_eq!(get(&client, "order:1").await.as_deref(), Some("tea"));
    }
    let s = stats(&client);
    assert_eq!(
        (s.hits, s.misses, s.entries),
        (1, 1, 1),
        "only user:1 is cached"
    );

    within(5, other.set("user:1", "grace")).await.unwrap();
    ping(&client).await;
    assert_eq!(get(&client, "user:1").await.as_deref(), Some("grace"));
    assert_eq!(get(&client, "user:1").await.as_deref(), Some("grace"));
    let s = stats(&client);
    assert_eq!((s.hits, s.misses, s.invalidations), (2, 2, 1));
}

// ------------------------------------------------------------ blocking

fn bget(client: &respec::blocking::Client, key: &str) -> Option<String> {
    client
        .query::<Option<String>, _>(&args(&["GET", key]))
        .unwrap()
}

fn bstats(client: &respec::blocking::Client) -> CacheStats {
    client.cache_stats().expect("the client has a cache")
}

fn bcached(url: &str, protocol: Protocol) -> respec::blocking::Client {
    let mut config = respec::connection::ConnectionConfig::from_url(url).unwrap();
    config.protocol = protocol;
    respec::blocking::Client::with_config(config).with_cache(CacheConfig::default())
}

#[test]
fn the_blocking_client_caches_and_sees_another_clients_write_after_a_miss() {
    for (kind, protocol) in [Kind::Redis, Kind::Valkey]
        .into_iter()
        .flat_map(|k| PROTOCOLS.map(|p| (k, p)))
    {
        let server = support::server(kind);
        let kind = (kind, protocol);
        let client = bcached(&server.url(), protocol);
        let other = respec::blocking::Client::open(&server.url()).unwrap();
        other.execute(&args(&["SET", "k", "1"])).unwrap();
        assert_eq!(bget(&client, "k").as_deref(), Some("1"));
        assert_eq!(bget(&client, "k").as_deref(), Some("1"));
        let s = bstats(&client);
        assert_eq!((s.hits, s.misses, s.entries), (1, 1, 1), "{kind:?}");

        other.execute(&args(&["SET", "k", "2"])).unwrap();
        // A read that misses is a round trip on the tracked connection:
        // the invalidation of the completed write comes before its reply.
        assert_eq!(bget(&client, "never-cached-before"), None);
        assert_eq!(bget(&client, "k").as_deref(), Some("2"), "{kind:?}");
        assert_eq!(bget(&client, "k").as_deref(), Some("2"));
        let s = bstats(&client);
        assert_eq!((s.hits, s.invalidations), (2, 1), "{kind:?}");

        // Its own writes, alone or in a pipeline, are read back at once.
        client.execute(&args(&["SET", "k", "3"])).unwrap();
        assert_eq!(bget(&client, "k").as_deref(), Some("3"));
        let mut pipe = respec::Pipeline::new();
        pipe.add(args(&["SET", "k", "4"]));
        assert_eq!(pipe.execute_blocking(&client).unwrap().len(), 1);
        assert_eq!(bget(&client, "k").as_deref(), Some("4"));

        // The bypass asks the server and stores nothing.
        let before = bstats(&client);
        let direct: Option<String> = client.without_cache().query(&args(&["GET", "k"])).unwrap();
        assert_eq!(direct.as_deref(), Some("4"));
        let typed = client.without_cache().get("k").run().unwrap();
        assert_eq!(typed.unwrap(), "4");
        assert_eq!(bstats(&client).misses, before.misses);

        // FLUSHALL empties the cache (the read just made too, when the
        // invalidation came before its reply).
        let flushes = bstats(&client).flushes;
        other.execute(&args(&["FLUSHALL"])).unwrap();
        assert_eq!(bget(&client, "another-miss"), None);
        let s = bstats(&client);
        assert_eq!(s.flushes, flushes + 1, "{kind:?}");
        assert!(s.entries <= 1, "{s:?}");
        assert_eq!(bget(&client, "k"), None);
    }
}

#[test]
fn the_blocking_clients_cache_survives_a_dropped_connection_without_stale_entries() {
    for protocol in PROTOCOLS {
        blocking_dropped_connection(protocol);
    }
}

fn blocking_dropped_connection(protocol: Protocol) {
    let server = support::server(Kind::Redis);
    let client = bcached(&server.url(), protocol);
    let other = respec::blocking::Client::open(&server.url()).unwrap();
    other.execute(&args(&["SET", "r", "1"])).unwrap();
    assert_eq!(bget(&client, "r").as_deref(), Some("1"));
    // Kill every other connection: the tracked one goes with them.
    let me: i64 = other.query(&args(&["CLIENT", "ID"])).unwrap();
    let list: String = other.query(&args(&["CLIENT", "LIST"])).unwrap();
    for line in list.lines() {
        let id = line.split(' ').find_map(|f| f.strip_prefix("id=")).unwrap();
        if id != me.to_string() {
            let _: i64 = other.query(&args(&["CLIENT", "KILL", "ID", id])).unwrap();
        }
    }
    other.execute(&args(&["SET", "r", "2"])).unwrap();
    // The next cached read finds the connection closed, flushes, and
    // reads through a new one with tracking on.
    assert_eq!(bget(&client, "r").as_deref(), Some("2"));
    let s = bstats(&client);
    assert_eq!(s.flushes, 1, "{s:?}");
    assert_eq!(bget(&client, "r").as_deref(), Some("2"));
    other.execute(&args(&["SET", "r", "3"])).unwrap();
    assert_eq!(bget(&client, "barrier"), None);
    assert_eq!(bget(&client, "r").as_deref(), Some("3"));
}

/// The blocking client under a writer on another client and one of its
/// own: after a miss (a round trip on the tracked connection), no cached
/// read returns a value older than a write that completed before it.
/// Bounded in iterations and in time.
#[test]
fn a_blocking_cached_reader_never_sees_a_value_older_than_the_last_completed_write() {
    blocking_race(Protocol::Resp3);
}

/// The same on RESP2: after the miss, a round trip on the redirect
/// connection applies the invalidations.
#[test]
fn a_blocking_resp2_cached_reader_never_sees_a_value_older_than_the_last_completed_write() {
    blocking_race(Protocol::Resp2);
}

fn blocking_race(protocol: Protocol) {
    let server = support::server(Kind::Redis);
    let client = Arc::new(bcached(&server.url(), protocol));
    let other = Arc::new(respec::blocking::Client::open(&server.url()).unwrap());
    support::race::BlockingRace {
        writes: 2_000,
        readers: 2,
        keys: ["race:a", "race:b", "race:c"],
        barrier: |_, r, reads| format!("barrier:{r}:{reads}"),
    }
    .run(client.clone(), other);
    let s = bstats(&client);
    assert!(s.hits > 0 && s.invalidations > 0, "{s:?}");
}

#[test]
fn the_blocking_clients_resp2_redirect_connection_killed_drops_everything() {
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = support::server(kind);
        let client = bcached(&server.url(), Protocol::Resp2);
        let other = respec::blocking::Client::open(&server.url()).unwrap();
        other.execute(&args(&["SET", "r", "1"])).unwrap();
        assert_eq!(bget(&client, "r").as_deref(), Some("1"));
        assert_eq!(bget(&client, "r").as_deref(), Some("1"));
        assert_eq!(bstats(&client).hits, 1);
        let list: String = other.query(&args(&["CLIENT", "LIST"])).unwrap();
        let redirect = list
            .lines()
            .find(|l| l.split(' ').any(|f| f == "sub=1"))
            .and_then(|l| l.split(' ').find_map(|f| f.strip_prefix("id=")))
            .expect("a redirect connection")
            .to_string();
        let killed: i64 = other
            .query(&args(&["CLIENT", "KILL", "ID", &redirect]))
            .unwrap();
        assert_eq!(killed, 1);
        other.execute(&args(&["SET", "r", "2"])).unwrap();
        // A miss: the redirect connection is found closed before it (or
        // its round trip on it fails), and everything goes with the pair
        // of connections (at most the miss itself is kept, when it was
        // read through the new pair).
        assert_eq!(bget(&client, "barrier"), None);
        let s = bstats(&client);
        assert_eq!(s.flushes, 1, "{kind:?} {s:?}");
        assert!(s.entries <= 1, "{kind:?} {s:?}");
        assert_eq!(bget(&client, "r").as_deref(), Some("2"));
        assert_eq!(bget(&client, "r").as_deref(), Some("2"));
        other.execute(&args(&["SET", "r", "3"])).unwrap();
        assert_eq!(bget(&client, "barrier"), None);
        assert_eq!(bget(&client, "r").as_deref(), Some("3"));
        // One redirect connection left: a pair the client closed may take
        // the server a moment to notice.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let list: String = other.query(&args(&["CLIENT", "LIST"])).unwrap();
            let subscribed = list
                .lines()
                .filter(|l| l.split(' ').any(|f| f == "sub=1"))
                .count();
            if subscribed == 1 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{subscribed} subscribed connections after 5 s: {list}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

// ------------------------------------------- writes past the shared path

/// Writes that do not go through the client's shared connection (a
/// dedicated or pooled connection, a `WATCH` transaction, the bypassing
/// handle, `query_with_attributes`) drop their keys' entries before they
/// are sent: a cached read right after sees them, without waiting for the
/// server's invalidation to be read. Each iteration first caches the old
/// value (the second read is a hit), so a stale entry would be served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_connections_taken_from_the_client_are_read_back_at_once() {
    for protocol in PROTOCOLS {
        taken_connections_write(protocol).await;
    }
}

/// Reads `key` twice through the cache, both `expected`.
async fn read_back(client: &Client, key: &str, expected: &str, how: &str) {
    for _ in 0..2 {
        assert_eq!(
            get(client, key).await.as_deref(),
            Some(expected),
            "a stale read after a write through {how}"
        );
    }
}

async fn taken_connections_write(protocol: Protocol) {
    let server = support::server(Kind::Redis);
    let client = cached_on(&server.url(), CacheConfig::default(), protocol);
    let rounds = 150;
    for i in 0..rounds {
        // A dedicated connection: alone, then in a pipeline on it.
        let conn = within(5, client.dedicated()).await.unwrap();
        let v = format!("d{i}");
        within(5, conn.set("taken", v.as_str())).await.unwrap();
        read_back(&client, "taken", &v, "a dedicated connection").await;
        let v = format!("dp{i}");
        let mut pipe = respec::Pipeline::new();
        pipe.add(args(&["INCR", "n"]));
        pipe.add(args(&["SET", "taken", &v]));
        within(5, pipe.run(&*conn)).await.unwrap();
        read_back(&client, "taken", &v, "a pipeline on a dedicated connection").await;
        drop(conn);

        // A connection straight from the pool.
        let pooled = within(5, client.pool().get()).await.unwrap();
        let v = format!("p{i}");
        within(5, pooled.send(&args(&["SET", "taken", &v])))
            .await
            .unwrap();
        drop(pooled);
        read_back(&client, "taken", &v, "a pooled connection").await;

        // A WATCH transaction: a write inside the closure, on its
        // connection, and the writes of the transaction itself.
        let side = format!("s{i}");
        let v = format!("t{i}");
        let (side_w, v_w) = (side.clone(), v.clone());
        let ((), n): ((), i64) = within(
            5,
            client.transaction(&["taken"], 10, move |conn| {
                let (side, v) = (side_w.clone(), v_w.clone());
                async move {
                    conn.set("side", side.as_str()).await?;
                    let mut tx = respec::Pipeline::atomic();
                    tx.add(args(&["SET", "taken", &v]));
                    tx.add(args(&["INCR", "n"]));
                    Ok(tx)
                }
            }),
        )
        .await
        .unwrap();
        assert!(n >= 1);
        read_back(&client, "side", &side, "a transaction's closure").await;
        read_back(&client, "taken", &v, "a transaction").await;
        let v = format!("tt{i}");
        let v_w = v.clone();
        let (mut replies, handle) = within(
            5,
            client.transact(&["taken"], 10, move |_conn| {
                let v = v_w.clone();
                async move {
                    let mut tx = respec::Pipeline::atomic();
                    let h = tx.push(respec::commands::set("taken", v.as_str()));
                    Ok((tx, h))
                }
            }),
        )
        .await
        .unwrap();
        replies.take(handle).unwrap();
        read_back(&client, "taken", &v, "transact").await;

        // The bypassing handle and a reply with attributes.
        let v = format!("b{i}");
        within(5, client.without_cache().set("taken", v.as_str()))
            .await
            .unwrap();
        read_back(&client, "taken", &v, "the bypassing handle").await;
        let v = format!("a{i}");
        let _: respec::connection::WithAttributes<String> = within(
            5,
            client.query_with_attributes(&args(&["SET", "taken", &v])),
        )
        .await
        .unwrap();
        read_back(&client, "taken", &v, "query_with_attributes").await;
    }
    // The second read of most rounds was a hit: the entries were there to
    // be stale.
    let s = stats(&client);
    assert!(s.hits >= rounds, "{protocol:?} {s:?}");
}

/// A caching client's `query_with_attributes` always asks the server: a
/// read is neither answered from the cache nor stored in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_with_attributes_asks_the_server_and_stores_nothing() {
    let server = support::server(Kind::Redis);
    let client = cached(&server.url(), CacheConfig::default());
    within(5, client.set("attr", "1")).await.unwrap();
    for _ in 0..3 {
        let r: respec::connection::WithAttributes<Option<String>> =
            within(5, client.query_with_attributes(&args(&["GET", "attr"])))
                .await
                .unwrap();
        assert_eq!(r.value.as_deref(), Some("1"));
    }
    assert_eq!(stats(&client), CacheStats::default());
    assert_eq!(get(&client, "attr").await.as_deref(), Some("1"));
    let r: respec::connection::WithAttributes<Option<String>> =
        within(5, client.query_with_attributes(&args(&["GET", "attr"])))
            .await
            .unwrap();
    assert_eq!(r.value.as_deref(), Some("1"));
    let s = stats(&client);
    assert_eq!((s.hits, s.misses, s.entries), (0, 1, 1));
}

/// The blocking twin: writes inside `with_connection` (alone, in a
/// pipeline, in a `WATCH` transaction), in `pipeline`, through the
/// bypassing handle and `query_with_attributes` drop their keys' entries
/// before they are sent.
#[test]
fn blocking_writes_on_lent_connections_are_read_back_at_once() {
    for protocol in PROTOCOLS {
        let server = support::server(Kind::Redis);
        let client = bcached(&server.url(), protocol);
        let rounds = 150;
        let back = |key: &str, v: &str, how: &str| {
            for _ in 0..2 {
                assert_eq!(
                    bget(&client, key).as_deref(),
                    Some(v),
                    "{protocol:?}: a stale read after a write through {how}"
                );
            }
        };
        for i in 0..rounds {
            let v = format!("w{i}");
            client
                .with_connection(|c| c.send(&args(&["SET", "taken", &v])))
                .unwrap();
            back("taken", &v, "with_connection");

            let v = format!("x{i}");
            client
                .with_connection(|c| {
                    c.send(&args(&["WATCH", "taken"]))?;
                    let mut tx = respec::Pipeline::atomic();
                    tx.add(args(&["SET", "taken", &v]));
                    tx.add(args(&["INCR", "n"]));
                    tx.run_blocking(c)
                })
                .unwrap();
            back("taken", &v, "a WATCH transaction");

            let v = format!("l{i}");
            let replies = client
                .pipeline(&[args(&["SET", "taken", &v]), args(&["INCR", "n"])])
                .unwrap();
            assert_eq!(replies.len(), 2);
            back("taken", &v, "pipeline");

            let v = format!("b{i}");
            client
                .without_cache()
                .execute(&args(&["SET", "taken", &v]))
                .unwrap();
            back("taken", &v, "the bypassing handle");

            let v = format!("a{i}");
            let _: respec::connection::WithAttributes<String> = client
                .query_with_attributes(&args(&["SET", "taken", &v]))
                .unwrap();
            back("taken", &v, "query_with_attributes");
        }
        let s = bstats(&client);
        assert!(s.hits >= rounds, "{protocol:?} {s:?}");
    }
}
