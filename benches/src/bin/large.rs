//! Peak memory of writing one large value: `large CLIENT URL [MIB]`.
//!
//! Makes a value of MIB mebibytes (default 512), sends it with `SET` by
//! value, checks its length with `STRLEN`, and prints one line of JSON with
//! the process's peak resident memory (`VmHWM`) and its ratio to the value.
//! The value itself is counted: a client that copies nothing peaks at about
//! 1.0x; each whole copy adds 1.0x. Clients: `respec` (async), `respec-blocking`,
//! `redis-rs` (async multiplexed).

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: large CLIENT URL [MIB]");
        std::process::exit(2);
    }
    let (client, url) = (args[1].as_str(), args[2].as_str());
    let mib: usize = args.get(3).and_then(|m| m.parse().ok()).unwrap_or(512);
    let size = mib * 1024 * 1024;
    let value = vec![b'v'; size];
    let stored: i64 = match client {
        "respec" => tokio::runtime::Runtime::new().unwrap().block_on(async {
            use respec::prelude::*;
            let c = Client::open(url).unwrap();
            c.set("large:value", value).await.unwrap();
            c.strlen("large:value").await.unwrap()
        }),
        "respec-blocking" => {
            use respec::prelude::*;
            let c = respec::blocking::Client::open(url).unwrap();
            c.set("large:value", value).run().unwrap();
            c.strlen("large:value").run().unwrap()
        }
        "redis-rs" => tokio::runtime::Runtime::new().unwrap().block_on(async {
            let c = redis::Client::open(url).unwrap();
            // No response timeout: writing the value takes longer than its
            // default.
            let cfg = redis::AsyncConnectionConfig::new().set_response_timeout(None);
            let mut con = c
                .get_multiplexed_async_connection_with_config(&cfg)
                .await
                .unwrap();
            redis::cmd("SET")
                .arg("large:value")
                .arg(value)
                .query_async::<()>(&mut con)
                .await
                .unwrap();
            redis::cmd("STRLEN")
                .arg("large:value")
                .query_async(&mut con)
                .await
                .unwrap()
        }),
        other => panic!("unknown client {other}"),
    };
    assert_eq!(stored as usize, size, "the server holds the whole value");
    let peak = peak_kib() as f64 / 1024.0;
    println!(
        "{{\"client\":\"{client}\",\"value_mib\":{mib},\"peak_mib\":{peak:.0},\"ratio\":{:.2}}}",
        peak / mib as f64
    );
}
