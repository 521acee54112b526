//! One client, one scenario, one process: `peer CLIENT SCENARIO URL`.
//!
//! Prints one line of JSON: `{"client":..,"scenario":..,"ops":..,
//! "seconds":..,"cpu_us":..}` where `cpu_us` is this process's user+system
//! CPU time (getrusage) spent in the measured part only.
//!
//! Scenarios (the same work for every client):
//! - `a`: blocking, one connection, 100k SET then 100k GET, one at a time
//! - `b`: async, one connection, 25k SET+GET pairs, each awaited in turn
//! - `c`: async, one shared client, 64 tasks doing GET/SET (200k ops)
//! - `d`: pipelines of 100 commands, 1M commands
//! - `e`: 100 KB values, 5k GETs
//! - `f`: 16 connections (or a pool of 16), 256 tasks (256k ops)
//! - `g` (respec only): d on the blocking client, the reference for the
//!   async client's CPU per pipelined command
//!
//! Cluster scenarios (`URL` is the nodes' `redis://host:port` URLs joined by
//! commas; each client uses its own cluster client):
//! - `ca`: 64 tasks doing GET/SET on keys spread over the slots (200k ops)
//! - `cb`: batches of 100 SETs over 100 slots, one batch in flight (200k
//!   commands): a pipeline where the client splits one by node; redis-rs
//!   refuses pipelines across slots ("Received crossed slots in pipeline"),
//!   so it sends the 100 commands of a batch concurrently instead
//! - `cc`: MGET of 100 keys across slots (5k MGETs; ops counts MGETs);
//!   fred sends an MGET to one node (the server refuses keys of several
//!   slots), so it is not run for fred (exit 3)
//!
//! Client-side caching scenarios (respec only; other clients exit 3):
//! - `ka`: one task, 100k GETs over 1000 keys, each awaited, no cache
//! - `kb`: the same with the cache on and warm: every GET is a hit
//! - `kv`: 64 tasks doing SET then GET on their own key (200k ops), no cache
//! - `kw`: the same with the cache on (default tracking): every SET drops
//!   the cached GET and brings an invalidation, every GET misses and is
//!   tracked again; the cost of tracking on writes

use std::time::{Duration, Instant};

static A_OPS: Ops = Ops(100_000);
static B_OPS: Ops = Ops(25_000);
const C_TASKS: usize = 64;
static C_OPS: Ops = Ops(200_000);
const D_PIPE: usize = 100;
static D_OPS: Ops = Ops(1_000_000);
static E_GETS: Ops = Ops(5_000);
const E_SIZE: usize = 100 * 1024;
const F_CONNS: usize = 16;
const F_TASKS: usize = 256;
static F_OPS: Ops = Ops(256_000);
static CA_OPS: Ops = Ops(200_000);
const CB_PIPE: usize = 100;
static CB_OPS: Ops = Ops(200_000);
const CC_KEYS: usize = 100;
static CC_OPS: Ops = Ops(5_000);
static K_GETS: Ops = Ops(100_000);
const K_KEYS: usize = 1_000;
const K_TASKS: usize = 64;
static K_OPS: Ops = Ops(200_000);

/// An operation count, divided by `PEER_DIVIDE` (default 1) so that a run
/// under a profiler (callgrind) stays short.
struct Ops(usize);

impl Ops {
    fn get(&self) -> usize {
        let div = std::env::var("PEER_DIVIDE")
            .ok()
            .and_then(|d| d.parse::<usize>().ok())
            .filter(|&d| d > 0)
            .unwrap_or(1);
        (self.0 / div).max(1)
    }
}

fn cpu_us() -> u64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    t(u.ru_utime) + t(u.ru_stime)
}

struct Measure {
    start: Instant,
    cpu: u64,
}

impl Measure {
    fn start() -> Self {
        Measure {
            start: Instant::now(),
            cpu: cpu_us(),
        }
    }
    fn done(self, client: &str, scenario: &str, ops: usize) {
        let secs = self.start.elapsed().as_secs_f64();
        let cpu = cpu_us() - self.cpu;
        println!(
            "{{\"client\":\"{client}\",\"scenario\":\"{scenario}\",\"ops\":{ops},\"seconds\":{secs:.6},\"cpu_us\":{cpu}}}"
        );
    }
}

fn value(size: usize) -> Vec<u8> {
    vec![b'v'; size]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: peer respec|redis-rs|fred a|b|c|d|e|f redis://127.0.0.1:PORT");
        std::process::exit(2);
    }
    let (client, scenario, url) = (args[1].as_str(), args[2].as_str(), args[3].as_str());
    if scenario == "cc" && client == "fred" {
        eprintln!("fred sends MGET to one node: keys of several slots are refused");
        std::process::exit(3);
    }
    if scenario.starts_with('k') && client != "respec" {
        eprintln!("the client-side caching scenarios compare respec with itself");
        std::process::exit(3);
    }
    if scenario == "g" {
        if client != "respec" {
            eprintln!("scenario g is respec's own blocking reference for d");
            std::process::exit(3);
        }
        respec_g(url);
        return;
    }
    if scenario == "a" {
        match client {
            "respec" => respec_a(url),
            "redis-rs" => redis_rs_a(url),
            "fred" => {
                eprintln!("fred has no blocking API");
                std::process::exit(3);
            }
            _ => panic!("unknown client {client}"),
        }
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        match (client, scenario) {
            ("respec", "ca" | "cb" | "cc") => respec_cluster(url, scenario).await,
            ("redis-rs", "ca" | "cb" | "cc") => redis_rs_cluster(url, scenario).await,
            ("fred", "ca" | "cb" | "cc") => fred_cluster(url, scenario).await,
            ("respec", "ka" | "kb" | "kv" | "kw") => respec_cache(url, scenario).await,
            _ => {}
        }
        if scenario.len() == 2 {
            return;
        }
        match client {
            "respec" => respec_async(url, scenario).await,
            "redis-rs" => redis_rs_async(url, scenario).await,
            "fred" => fred_async(url, scenario).await,
            _ => panic!("unknown client {client}"),
        }
    });
}

// ---------------------------------------------------------------- respec

/// The client-side caching scenarios: the same work with the cache off
/// (`ka`, `kv`) and on (`kb`, `kw`).
async fn respec_cache(url: &str, scenario: &str) {
    use respec::Cmd;
    let client = match scenario {
        "kb" | "kw" => respec::Client::builder(url)
            .unwrap()
            .cache(respec::cache::CacheConfig::default())
            .build(),
        _ => respec::Client::open(url).unwrap(),
    };
    client.execute(&Cmd::new("PING")).await.unwrap();
    let get = |k: usize| {
        let mut c = Cmd::new("GET");
        c.arg(format!("bench:k:{k}"));
        c
    };
    match scenario {
        "ka" | "kb" => {
            for k in 0..K_KEYS {
                let mut c = Cmd::new("SET");
                c.arg(format!("bench:k:{k}")).arg(k);
                client.execute(&c).await.unwrap();
                // Warms the cache (a miss now, hits from here on).
                let _: Option<bytes::Bytes> = client.query(&get(k)).await.unwrap();
            }
            let gets: Vec<Cmd> = (0..K_KEYS).map(get).collect();
            let m = Measure::start();
            for i in 0..K_GETS.get() {
                let v: Option<bytes::Bytes> = client.query(&gets[i % K_KEYS]).await.unwrap();
                assert!(v.is_some());
            }
            m.done("respec", scenario, K_GETS.get());
            if let Some(stats) = client.cache_stats() {
                assert!(stats.hits >= K_GETS.get() as u64, "{stats:?}");
            }
        }
        "kv" | "kw" => {
            let m = Measure::start();
            let mut handles = Vec::new();
            for t in 0..K_TASKS {
                let pairs = K_OPS.get() / K_TASKS / 2;
                handles.push(tokio::spawn(respec_set_get(
                    client.clone(),
                    format!("bench:kw:{t}"),
                    pairs,
                )));
            }
            for h in handles {
                h.await.unwrap();
            }
            m.done("respec", scenario, K_OPS.get());
        }
        _ => unreachable!(),
    }
}

/// One task of c, f, kv and kw: `pairs` times a SET of `key`, then a GET.
async fn respec_set_get(client: respec::Client, key: String, pairs: usize) {
    for i in 0..pairs {
        let mut c = respec::Cmd::new("SET");
        c.arg(&key).arg(i);
        client.execute(&c).await.unwrap();
        let mut c = respec::Cmd::new("GET");
        c.arg(&key);
        let _: Option<bytes::Bytes> = client.query(&c).await.unwrap();
    }
}

fn respec_a(url: &str) {
    use respec::Cmd;
    let client = respec::blocking::Client::open(url).unwrap();
    client.execute(&Cmd::new("PING")).unwrap();
    let m = Measure::start();
    for i in 0..A_OPS.get() {
        let mut c = Cmd::new("SET");
        c.arg("bench:a").arg(i);
        client.execute(&c).unwrap();
    }
    for _ in 0..A_OPS.get() {
        let mut c = Cmd::new("GET");
        c.arg("bench:a");
        let v: Option<bytes::Bytes> = client.query(&c).unwrap();
        assert!(v.is_some());
    }
    m.done("respec", "a", 2 * A_OPS.get());
}

/// Pipeline `p` of d (and g): 100 SETs from the generated command.
fn respec_d_pipeline(p: usize) -> respec::Pipeline {
    let mut pipe = respec::Pipeline::new();
    for i in 0..D_PIPE {
        pipe.add(respec::commands::set("bench:d", p * D_PIPE + i));
    }
    pipe
}

/// d on the blocking client.
fn respec_g(url: &str) {
    let client = respec::blocking::Client::open(url).unwrap();
    client.execute(&respec::Cmd::new("PING")).unwrap();
    let m = Measure::start();
    for p in 0..D_OPS.get() / D_PIPE {
        let results = respec_d_pipeline(p).execute_blocking(&client).unwrap();
        assert_eq!(results.len(), D_PIPE);
    }
    m.done("respec", "g", D_OPS.get());
}

async fn respec_async(url: &str, scenario: &str) {
    use respec::Cmd;
    let client = respec::Client::open(url).unwrap();
    client.execute(&Cmd::new("PING")).await.unwrap();
    match scenario {
        "b" => {
            let m = Measure::start();
            for i in 0..B_OPS.get() {
                let mut c = Cmd::new("SET");
                c.arg("bench:b").arg(i);
                client.execute(&c).await.unwrap();
                let mut c = Cmd::new("GET");
                c.arg("bench:b");
                let _: Option<bytes::Bytes> = client.query(&c).await.unwrap();
            }
            m.done("respec", "b", 2 * B_OPS.get());
        }
        "c" | "f" => {
            let (tasks, ops, conns) = if scenario == "c" {
                (C_TASKS, C_OPS.get(), 1)
            } else {
                (F_TASKS, F_OPS.get(), F_CONNS)
            };
            let clients: Vec<_> = (0..conns)
                .map(|_| respec::Client::open(url).unwrap())
                .collect();
            for c in &clients {
                c.execute(&Cmd::new("PING")).await.unwrap();
            }
            let m = Measure::start();
            let mut handles = Vec::new();
            for t in 0..tasks {
                handles.push(tokio::spawn(respec_set_get(
                    clients[t % conns].clone(),
                    format!("bench:{t}"),
                    ops / tasks / 2,
                )));
            }
            for h in handles {
                h.await.unwrap();
            }
            m.done("respec", scenario, ops);
        }
        "d" => {
            let m = Measure::start();
            for p in 0..D_OPS.get() / D_PIPE {
                let results = respec_d_pipeline(p).execute(&client).await.unwrap();
                assert_eq!(results.len(), D_PIPE);
            }
            m.done("respec", "d", D_OPS.get());
        }
        "e" => {
            let mut c = Cmd::new("SET");
            c.arg("bench:e").arg(value(E_SIZE));
            client.execute(&c).await.unwrap();
            let m = Measure::start();
            for _ in 0..E_GETS.get() {
                let mut c = Cmd::new("GET");
                c.arg("bench:e");
                let v: bytes::Bytes = client.query(&c).await.unwrap();
                assert_eq!(v.len(), E_SIZE);
            }
            m.done("respec", "e", E_GETS.get());
        }
        _ => panic!("unknown scenario {scenario}"),
    }
}

// ---------------------------------------------------------------- redis-rs

fn redis_rs_a(url: &str) {
    let client = redis::Client::open(url).unwrap();
    let mut con = client.get_connection().unwrap();
    let m = Measure::start();
    for i in 0..A_OPS.get() {
        let _: redis::Value = redis::cmd("SET")
            .arg("bench:a")
            .arg(i)
            .query(&mut con)
            .unwrap();
    }
    for _ in 0..A_OPS.get() {
        let v: Option<Vec<u8>> = redis::cmd("GET").arg("bench:a").query(&mut con).unwrap();
        assert!(v.is_some());
    }
    m.done("redis-rs", "a", 2 * A_OPS.get());
}

async fn redis_rs_async(url: &str, scenario: &str) {
    let client = redis::Client::open(url).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    match scenario {
        "b" => {
            let m = Measure::start();
            for i in 0..B_OPS.get() {
                let _: redis::Value = redis::cmd("SET")
                    .arg("bench:b")
                    .arg(i)
                    .query_async(&mut con)
                    .await
                    .unwrap();
                let _: Option<Vec<u8>> = redis::cmd("GET")
                    .arg("bench:b")
                    .query_async(&mut con)
                    .await
                    .unwrap();
            }
            m.done("redis-rs", "b", 2 * B_OPS.get());
        }
        "c" | "f" => {
            let (tasks, ops, conns) = if scenario == "c" {
                (C_TASKS, C_OPS.get(), 1)
            } else {
                (F_TASKS, F_OPS.get(), F_CONNS)
            };
            let mut cons = Vec::new();
            for _ in 0..conns {
                cons.push(client.get_multiplexed_async_connection().await.unwrap());
            }
            let m = Measure::start();
            let mut handles = Vec::new();
            for t in 0..tasks {
                let mut con = cons[t % conns].clone();
                handles.push(tokio::spawn(async move {
                    let key = format!("bench:{t}");
                    for i in 0..ops / tasks / 2 {
                        let _: redis::Value = redis::cmd("SET")
                            .arg(&key)
                            .arg(i)
                            .query_async(&mut con)
                            .await
                            .unwrap();
                        let _: Option<Vec<u8>> = redis::cmd("GET")
                            .arg(&key)
                            .query_async(&mut con)
                            .await
                            .unwrap();
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            m.done("redis-rs", scenario, ops);
        }
        "d" => {
            let m = Measure::start();
            for p in 0..D_OPS.get() / D_PIPE {
                let mut pipe = redis::pipe();
                for i in 0..D_PIPE {
                    pipe.cmd("SET").arg("bench:d").arg(p * D_PIPE + i);
                }
                let results: Vec<redis::Value> = pipe.query_async(&mut con).await.unwrap();
                assert_eq!(results.len(), D_PIPE);
            }
            m.done("redis-rs", "d", D_OPS.get());
        }
        "e" => {
            let _: redis::Value = redis::cmd("SET")
                .arg("bench:e")
                .arg(value(E_SIZE))
                .query_async(&mut con)
                .await
                .unwrap();
            let m = Measure::start();
            for _ in 0..E_GETS.get() {
                let v: Vec<u8> = redis::cmd("GET")
                    .arg("bench:e")
                    .query_async(&mut con)
                    .await
                    .unwrap();
                assert_eq!(v.len(), E_SIZE);
            }
            m.done("redis-rs", "e", E_GETS.get());
        }
        _ => panic!("unknown scenario {scenario}"),
    }
}

// ---------------------------------------------------------------- fred

async fn fred_async(url: &str, scenario: &str) {
    use fred::prelude::*;
    let config = Config::from_url(url).unwrap();
    if scenario == "f" {
        let pool = Builder::from_config(config).build_pool(F_CONNS).unwrap();
        pool.init().await.unwrap();
        let m = Measure::start();
        let mut handles = Vec::new();
        for t in 0..F_TASKS {
            let client = pool.next().clone();
            handles.push(tokio::spawn(async move {
                let key = format!("bench:{t}");
                for i in 0..F_OPS.get() / F_TASKS / 2 {
                    let _: () = client.set(&key, i as i64, None, None, false).await.unwrap();
                    let _: Option<Vec<u8>> = client.get(&key).await.unwrap();
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        m.done("fred", "f", F_OPS.get());
        return;
    }
    let client = Builder::from_config(config).build().unwrap();
    client.init().await.unwrap();
    match scenario {
        "b" => {
            let m = Measure::start();
            for i in 0..B_OPS.get() {
                let _: () = client
                    .set("bench:b", i as i64, None, None, false)
                    .await
                    .unwrap();
                let _: Option<Vec<u8>> = client.get("bench:b").await.unwrap();
            }
            m.done("fred", "b", 2 * B_OPS.get());
        }
        "c" => {
            let m = Measure::start();
            let mut handles = Vec::new();
            for t in 0..C_TASKS {
                let client = client.clone();
                handles.push(tokio::spawn(async move {
                    let key = format!("bench:{t}");
                    for i in 0..C_OPS.get() / C_TASKS / 2 {
                        let _: () = client.set(&key, i as i64, None, None, false).await.unwrap();
                        let _: Option<Vec<u8>> = client.get(&key).await.unwrap();
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            m.done("fred", "c", C_OPS.get());
        }
        "d" => {
            let m = Measure::start();
            for p in 0..D_OPS.get() / D_PIPE {
                let pipe = client.pipeline();
                for i in 0..D_PIPE {
                    let _: () = pipe
                        .set("bench:d", (p * D_PIPE + i) as i64, None, None, false)
                        .await
                        .unwrap();
                }
                let results: Vec<Value> = pipe.all().await.unwrap();
                assert_eq!(results.len(), D_PIPE);
            }
            m.done("fred", "d", D_OPS.get());
        }
        "e" => {
            let _: () = client
                .set("bench:e", value(E_SIZE), None, None, false)
                .await
                .unwrap();
            let m = Measure::start();
            for _ in 0..E_GETS.get() {
                let v: Vec<u8> = client.get("bench:e").await.unwrap();
                assert_eq!(v.len(), E_SIZE);
            }
            m.done("fred", "e", E_GETS.get());
        }
        _ => panic!("unknown scenario {scenario}"),
    }
    let _ = Duration::ZERO;
}

// ---------------------------------------------------------------- cluster

/// The key of operation `i` of task `t` (spread over the slots).
fn ckey(t: usize, i: usize) -> String {
    format!("bench:c:{t}:{}", i % 16)
}

async fn respec_cluster(url: &str, scenario: &str) {
    use respec::cluster::ClusterClient;
    use respec::{Cmd, Frame, Pipeline};
    let client = ClusterClient::open(url).unwrap();
    client.refresh().await.unwrap();
    match scenario {
        "ca" => {
            // One round over the nodes first, so that every connection is open.
            for t in 0..C_TASKS {
                let mut c = Cmd::new("GET");
                c.arg(ckey(t, 0));
                client.execute(&c).await.unwrap();
            }
            let m = Measure::start();
            let mut handles = Vec::new();
            for t in 0..C_TASKS {
                let client = client.clone();
                handles.push(tokio::spawn(async move {
                    for i in 0..CA_OPS.get() / C_TASKS / 2 {
                        let key = ckey(t, i);
                        let mut c = Cmd::new("SET");
                        c.arg(&key).arg(i);
                        client.execute(&c).await.unwrap();
                        let mut c = Cmd::new("GET");
                        c.arg(&key);
                        client.execute(&c).await.unwrap();
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            m.done("respec", "ca", CA_OPS.get());
        }
        "cb" => {
            let m = Measure::start();
            for p in 0..CB_OPS.get() / CB_PIPE {
                let mut pipe = Pipeline::new();
                for i in 0..CB_PIPE {
                    let mut c = Cmd::new("SET");
                    c.arg(format!("bench:cb:{i}")).arg(p * CB_PIPE + i);
                    pipe.add(c);
                }
                let results = pipe.execute_cluster(&client).await.unwrap();
                assert_eq!(results.len(), CB_PIPE);
                assert!(results.iter().all(|r| r.is_ok()));
            }
            m.done("respec", "cb", CB_OPS.get());
        }
        "cc" => {
            let keys: Vec<String> = (0..CC_KEYS).map(|i| format!("bench:cc:{i}")).collect();
            let mut mset = Cmd::new("MSET");
            for k in &keys {
                mset.arg(k).arg(k);
            }
            client.execute(&mset).await.unwrap();
            let mut mget = Cmd::new("MGET");
            for k in &keys {
                mget.arg(k);
            }
            let m = Measure::start();
            for _ in 0..CC_OPS.get() {
                match client.execute(&mget).await.unwrap() {
                    Frame::Array(items) => assert_eq!(items.len(), CC_KEYS),
                    other => panic!("MGET: {other:?}"),
                }
            }
            m.done("respec", "cc", CC_OPS.get());
        }
        _ => unreachable!(),
    }
}

async fn redis_rs_cluster(url: &str, scenario: &str) {
    let nodes: Vec<String> = url.split(',').map(str::to_string).collect();
    let client = redis::cluster::ClusterClient::new(nodes).unwrap();
    let con = client.get_async_connection().await.unwrap();
    match scenario {
        "ca" => {
            for t in 0..C_TASKS {
                let _: Option<Vec<u8>> = redis::cmd("GET")
                    .arg(ckey(t, 0))
                    .query_async(&mut con.clone())
                    .await
                    .unwrap();
            }
            let m = Measure::start();
            let mut handles = Vec::new();
            for t in 0..C_TASKS {
                let mut con = con.clone();
                handles.push(tokio::spawn(async move {
                    for i in 0..CA_OPS.get() / C_TASKS / 2 {
                        let key = ckey(t, i);
                        let _: redis::Value = redis::cmd("SET")
                            .arg(&key)
                            .arg(i)
                            .query_async(&mut con)
                            .await
                            .unwrap();
                        let _: Option<Vec<u8>> = redis::cmd("GET")
                            .arg(&key)
                            .query_async(&mut con)
                            .await
                            .unwrap();
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            m.done("redis-rs", "ca", CA_OPS.get());
        }
        "cb" => {
            let m = Measure::start();
            for p in 0..CB_OPS.get() / CB_PIPE {
                let mut set = tokio::task::JoinSet::new();
                for i in 0..CB_PIPE {
                    let mut con = con.clone();
                    set.spawn(async move {
                        redis::cmd("SET")
                            .arg(format!("bench:cb:{i}"))
                            .arg(p * CB_PIPE + i)
                            .query_async::<redis::Value>(&mut con)
                            .await
                    });
                }
                let mut n = 0;
                while let Some(r) = set.join_next().await {
                    r.unwrap().unwrap();
                    n += 1;
                }
                assert_eq!(n, CB_PIPE);
            }
            m.done("redis-rs", "cb", CB_OPS.get());
        }
        "cc" => {
            let keys: Vec<String> = (0..CC_KEYS).map(|i| format!("bench:cc:{i}")).collect();
            let mut mset = redis::cmd("MSET");
            for k in &keys {
                mset.arg(k).arg(k);
            }
            let _: redis::Value = mset.query_async(&mut con.clone()).await.unwrap();
            let mut mget = redis::cmd("MGET");
            for k in &keys {
                mget.arg(k);
            }
            let mut con = con.clone();
            let m = Measure::start();
            for _ in 0..CC_OPS.get() {
                let v: Vec<Option<Vec<u8>>> = mget.query_async(&mut con).await.unwrap();
                assert_eq!(v.len(), CC_KEYS);
            }
            m.done("redis-rs", "cc", CC_OPS.get());
        }
        _ => unreachable!(),
    }
}

async fn fred_cluster(url: &str, scenario: &str) {
    use fred::prelude::*;
    let hosts: Vec<(String, u16)> = url
        .split(',')
        .map(|u| {
            let hp = u.trim_start_matches("redis://");
            let (h, p) = hp.rsplit_once(':').unwrap();
            (h.to_string(), p.parse().unwrap())
        })
        .collect();
    let config = Config {
        server: ServerConfig::new_clustered(hosts),
        ..Default::default()
    };
    let client = Builder::from_config(config).build().unwrap();
    client.init().await.unwrap();
    match scenario {
        "ca" => {
            for t in 0..C_TASKS {
                let _: Option<Vec<u8>> = client.get(ckey(t, 0)).await.unwrap();
            }
            let m = Measure::start();
            let mut handles = Vec::new();
            for t in 0..C_TASKS {
                let client = client.clone();
                handles.push(tokio::spawn(async move {
                    for i in 0..CA_OPS.get() / C_TASKS / 2 {
                        let key = ckey(t, i);
                        let _: () = client.set(&key, i as i64, None, None, false).await.unwrap();
                        let _: Option<Vec<u8>> = client.get(&key).await.unwrap();
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            m.done("fred", "ca", CA_OPS.get());
        }
        "cb" => {
            let m = Measure::start();
            for p in 0..CB_OPS.get() / CB_PIPE {
                let pipe = client.pipeline();
                for i in 0..CB_PIPE {
                    let _: () = pipe
                        .set(
                            format!("bench:cb:{i}"),
                            (p * CB_PIPE + i) as i64,
                            None,
                            None,
                            false,
                        )
                        .await
                        .unwrap();
                }
                let results: Vec<Value> = pipe.all().await.unwrap();
                assert_eq!(results.len(), CB_PIPE);
            }
            m.done("fred", "cb", CB_OPS.get());
        }
        _ => unreachable!(),
    }
}
