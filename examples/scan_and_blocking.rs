//! Scans that hide the cursor, the blocking client, and blocking commands
//! that do not hold up other traffic.
//!
//! `REDIS_URL=redis://127.0.0.1:6379 cargo run --example scan_and_blocking`

use respec::prelude::*;
use respec::scan::ScanOptions;

#[tokio::main]
async fn main() -> respec::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = Client::open(&url)?;

    for i in 0..50 {
        client.set(format!("ex:scan:{i}"), i).await?;
    }
    client.hset("ex:hash", [("a", "1"), ("b", "2")]).await?;

    // SCAN ... MATCH ... COUNT as a stream of keys.
    let mut keys = client.scan_iter::<String>(ScanOptions::new().pattern("ex:scan:*").count(10));
    let mut n = 0;
    while let Some(key) = keys.next().await {
        key?;
        n += 1;
    }
    println!("SCAN found {n} keys");
    let fields: Vec<(String, String)> = client
        .hscan_iter("ex:hash", ScanOptions::new())
        .collect_all()
        .await?;
    println!("HSCAN -> {fields:?}");

    // A blocking command runs on a dedicated connection: the GETs go on.
    let waiter = {
        let client = client.clone();
        tokio::spawn(async move { client.blpop(["ex:queue"], 1.0).await })
    };
    let v = client.get("ex:scan:7").await?;
    println!("GET while BLPOP waits -> {v:?}");
    println!(
        "BLPOP after its timeout -> {:?}",
        waiter.await.expect("task")?
    );

    // The blocking client: the same methods, `.run()` instead of `.await`.
    let url2 = url.clone();
    tokio::task::spawn_blocking(move || -> respec::Result<()> {
        let blocking = respec::blocking::Client::open(&url2)?;
        let n: i64 = blocking.incr("ex:counter").reply().run()?;
        println!("blocking INCR -> {n}");
        for key in blocking.scan_iter::<String>(ScanOptions::new().pattern("ex:counter")) {
            println!("blocking SCAN -> {}", key?);
        }
        Ok(())
    })
    .await
    .expect("thread")?;

    let keys: Vec<String> = (0..50).map(|i| format!("ex:scan:{i}")).collect();
    client.del(keys).await?;
    client.del(["ex:hash", "ex:counter"]).await?;
    Ok(())
}
