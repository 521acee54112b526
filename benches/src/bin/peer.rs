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

use std::time::{Duration, Instant};

const A_OPS: usize = 100_000;
const B_OPS: usize = 25_000;
const C_TASKS: usize = 64;
const C_OPS: usize = 200_000;
const D_PIPE: usize = 100;
const D_OPS: usize = 1_000_000;
const E_GETS: usize = 5_000;
const E_SIZE: usize = 100 * 1024;
const F_CONNS: usize = 16;
const F_TASKS: usize = 256;
const F_OPS: usize = 256_000;

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
        match client {
            "respec" => respec_async(url, scenario).await,
            "redis-rs" => redis_rs_async(url, scenario).await,
            "fred" => fred_async(url, scenario).await,
            _ => panic!("unknown client {client}"),
        }
    });
}

// ---------------------------------------------------------------- respec

fn respec_a(url: &str) {
    use respec::Cmd;
    let client = respec::blocking::Client::open(url).unwrap();
    client.execute(&Cmd::new("PING")).unwrap();
    let m = Measure::start();
    for i in 0..A_OPS {
        let mut c = Cmd::new("SET");
        c.arg("bench:a").arg(i);
        client.execute(&c).unwrap();
    }
    for _ in 0..A_OPS {
        let mut c = Cmd::new("GET");
        c.arg("bench:a");
        let v: Option<bytes::Bytes> = client.query(&c).unwrap();
        assert!(v.is_some());
    }
    m.done("respec", "a", 2 * A_OPS);
}

async fn respec_async(url: &str, scenario: &str) {
    use respec::{Cmd, Pipeline};
    let client = respec::Client::open(url).unwrap();
    client.execute(&Cmd::new("PING")).await.unwrap();
    match scenario {
        "b" => {
            let m = Measure::start();
            for i in 0..B_OPS {
                let mut c = Cmd::new("SET");
                c.arg("bench:b").arg(i);
                client.execute(&c).await.unwrap();
                let mut c = Cmd::new("GET");
                c.arg("bench:b");
                let _: Option<bytes::Bytes> = client.query(&c).await.unwrap();
            }
            m.done("respec", "b", 2 * B_OPS);
        }
        "c" | "f" => {
            let (tasks, ops, conns) = if scenario == "c" {
                (C_TASKS, C_OPS, 1)
            } else {
                (F_TASKS, F_OPS, F_CONNS)
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
                let client = clients[t % conns].clone();
                handles.push(tokio::spawn(async move {
                    let key = format!("bench:{t}");
                    for i in 0..ops / tasks / 2 {
                        let mut c = Cmd::new("SET");
                        c.arg(&key).arg(i);
                        client.execute(&c).await.unwrap();
                        let mut c = Cmd::new("GET");
                        c.arg(&key);
                        let _: Option<bytes::Bytes> = client.query(&c).await.unwrap();
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            m.done("respec", scenario, ops);
        }
        "d" => {
            let m = Measure::start();
            for p in 0..D_OPS / D_PIPE {
                let mut pipe = Pipeline::new();
                for i in 0..D_PIPE {
                    let mut c = Cmd::new("SET");
                    c.arg("bench:d").arg(p * D_PIPE + i);
                    pipe.add(c);
                }
                let results = pipe.execute(&client).await.unwrap();
                assert_eq!(results.len(), D_PIPE);
            }
            m.done("respec", "d", D_OPS);
        }
        "e" => {
            let mut c = Cmd::new("SET");
            c.arg("bench:e").arg(value(E_SIZE));
            client.execute(&c).await.unwrap();
            let m = Measure::start();
            for _ in 0..E_GETS {
                let mut c = Cmd::new("GET");
                c.arg("bench:e");
                let v: bytes::Bytes = client.query(&c).await.unwrap();
                assert_eq!(v.len(), E_SIZE);
            }
            m.done("respec", "e", E_GETS);
        }
        _ => panic!("unknown scenario {scenario}"),
    }
}

// ---------------------------------------------------------------- redis-rs

fn redis_rs_a(url: &str) {
    let client = redis::Client::open(url).unwrap();
    let mut con = client.get_connection().unwrap();
    let m = Measure::start();
    for i in 0..A_OPS {
        let _: redis::Value = redis::cmd("SET")
            .arg("bench:a")
            .arg(i)
            .query(&mut con)
            .unwrap();
    }
    for _ in 0..A_OPS {
        let v: Option<Vec<u8>> = redis::cmd("GET").arg("bench:a").query(&mut con).unwrap();
        assert!(v.is_some());
    }
    m.done("redis-rs", "a", 2 * A_OPS);
}

async fn redis_rs_async(url: &str, scenario: &str) {
    let client = redis::Client::open(url).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    match scenario {
        "b" => {
            let m = Measure::start();
            for i in 0..B_OPS {
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
            m.done("redis-rs", "b", 2 * B_OPS);
        }
        "c" | "f" => {
            let (tasks, ops, conns) = if scenario == "c" {
                (C_TASKS, C_OPS, 1)
            } else {
                (F_TASKS, F_OPS, F_CONNS)
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
            for p in 0..D_OPS / D_PIPE {
                let mut pipe = redis::pipe();
                for i in 0..D_PIPE {
                    pipe.cmd("SET").arg("bench:d").arg(p * D_PIPE + i);
                }
                let results: Vec<redis::Value> = pipe.query_async(&mut con).await.unwrap();
                assert_eq!(results.len(), D_PIPE);
            }
            m.done("redis-rs", "d", D_OPS);
        }
        "e" => {
            let _: redis::Value = redis::cmd("SET")
                .arg("bench:e")
                .arg(value(E_SIZE))
                .query_async(&mut con)
                .await
                .unwrap();
            let m = Measure::start();
            for _ in 0..E_GETS {
                let v: Vec<u8> = redis::cmd("GET")
                    .arg("bench:e")
                    .query_async(&mut con)
                    .await
                    .unwrap();
                assert_eq!(v.len(), E_SIZE);
            }
            m.done("redis-rs", "e", E_GETS);
        }
        _ => panic!("unknown scenario {scenario}"),
    }
}

// ---------------------------------------------------------------- fred

async fn fred_async(url: &str, scenario: &str) {
    use fred::prelude::*;
    let config = Config::from_url(url).unwrap();
    match scenario {
        "f" => {
            let pool = Builder::from_config(config).build_pool(F_CONNS).unwrap();
            pool.init().await.unwrap();
            let m = Measure::start();
            let mut handles = Vec::new();
            for t in 0..F_TASKS {
                let client = pool.next().clone();
                handles.push(tokio::spawn(async move {
                    let key = format!("bench:{t}");
                    for i in 0..F_OPS / F_TASKS / 2 {
                        let _: () = client.set(&key, i as i64, None, None, false).await.unwrap();
                        let _: Option<Vec<u8>> = client.get(&key).await.unwrap();
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            m.done("fred", "f", F_OPS);
            return;
        }
        _ => {}
    }
    let client = Builder::from_config(config).build().unwrap();
    client.init().await.unwrap();
    match scenario {
        "b" => {
            let m = Measure::start();
            for i in 0..B_OPS {
                let _: () = client
                    .set("bench:b", i as i64, None, None, false)
                    .await
                    .unwrap();
                let _: Option<Vec<u8>> = client.get("bench:b").await.unwrap();
            }
            m.done("fred", "b", 2 * B_OPS);
        }
        "c" => {
            let m = Measure::start();
            let mut handles = Vec::new();
            for t in 0..C_TASKS {
                let client = client.clone();
                handles.push(tokio::spawn(async move {
                    let key = format!("bench:{t}");
                    for i in 0..C_OPS / C_TASKS / 2 {
                        let _: () = client.set(&key, i as i64, None, None, false).await.unwrap();
                        let _: Option<Vec<u8>> = client.get(&key).await.unwrap();
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            m.done("fred", "c", C_OPS);
        }
        "d" => {
            let m = Measure::start();
            for p in 0..D_OPS / D_PIPE {
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
            m.done("fred", "d", D_OPS);
        }
        "e" => {
            let _: () = client
                .set("bench:e", value(E_SIZE), None, None, false)
                .await
                .unwrap();
            let m = Measure::start();
            for _ in 0..E_GETS {
                let v: Vec<u8> = client.get("bench:e").await.unwrap();
                assert_eq!(v.len(), E_SIZE);
            }
            m.done("fred", "e", E_GETS);
        }
        _ => panic!("unknown scenario {scenario}"),
    }
    let _ = Duration::ZERO;
}
