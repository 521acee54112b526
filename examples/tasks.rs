//! Twelve everyday tasks, each in a few lines of generated, typed calls:
//! a cache, counters, a hash profile, a leaderboard, a stream consumer
//! group, a geo search, a 100-command pipeline, a WATCH transaction,
//! pattern pub/sub, a Lua script, SCAN and BITFIELD.
//!
//! Run it with `REDIS_URL=redis://127.0.0.1:6379 cargo run --example tasks`
//! (Redis 7.4 or newer; it writes keys under `tasks:`).

use std::time::Duration;

use respec::bounds::{ScoreBound, StreamId};
use respec::commands::*;
use respec::prelude::*;
use respec::scan::ScanOptions;
use respec::script::Script;

#[tokio::main]
async fn main() -> respec::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = Client::open(&url)?;

    // 1. A cache: set with a time to live unless present, read back.
    client.set("tasks:cache:page", "<html>").ex(60).nx().await?;
    let page = client.get("tasks:cache:page").await?;
    println!(
        "1. cached page: {page:?}, ttl {}s",
        client.ttl("tasks:cache:page").await?
    );

    // 2. Counters.
    let views = client.incr("tasks:views").await?;
    let bytes = client.incrby("tasks:bytes", 1500).await?;
    let ratio = client.incrbyfloat("tasks:ratio", 0.25).await?;
    println!("2. views {views}, bytes {bytes}, ratio {ratio}");

    // 3. A hash profile, with a field that expires on its own.
    client
        .hset(
            "tasks:user:1",
            [("name", "Ada"), ("lang", "rust"), ("otp", "123456")],
        )
        .await?;
    client.hexpire("tasks:user:1", 300, ["otp"]).nx().await?;
    let profile = client.hgetall("tasks:user:1").await?;
    println!(
        "3. profile: {} fields, name {:?}",
        profile.len(),
        profile.get(b"name".as_slice())
    );

    // 4. A leaderboard: top three with scores, and how many beat 50.
    client
        .zadd(
            "tasks:board",
            [(42.0, "ann"), (77.0, "bob"), (63.0, "cy"), (12.0, "dee")],
        )
        .await?;
    let top = client
        .zrange("tasks:board", 0, 2)
        .rev()
        .withscores()
        .await?;
    let above = client
        .zcount(
            "tasks:board",
            ScoreBound::exclusive(50),
            ScoreBound::POS_INF,
        )
        .await?;
    println!("4. top three {top:?}; {above} above 50");

    // 5. A stream consumer group: produce (capped), consume, acknowledge.
    let _ = client.del(["tasks:events"]).await?;
    for n in 0..5 {
        client
            .xadd("tasks:events", StreamId::AUTO, [("n", n)])
            .maxlen(1000)
            .approx()
            .await?;
    }
    client
        .xgroup_create("tasks:events", "workers", StreamId::new(0, 0))
        .mkstream()
        .await?;
    let batch = client
        .xreadgroup("workers", "w1", ["tasks:events"], [StreamId::NEW])
        .count(10)
        .await?
        .unwrap_or_default();
    for stream in &batch {
        let ids: Vec<&str> = stream.entries.iter().map(|e| e.id.as_str()).collect();
        let acked = client.xack(&stream.key, "workers", ids).await?;
        println!(
            "5. {}: read {} entries, acknowledged {acked}",
            stream.key,
            stream.entries.len()
        );
    }

    // 6. A geo search: the nearest stations within 200 km of a point.
    client
        .geoadd(
            "tasks:stations",
            [
                (13.361389, 38.115556, "Palermo"),
                (15.087269, 37.502669, "Catania"),
            ],
        )
        .await?;
    let near = client
        .geosearch(
            "tasks:stations",
            GeosearchFrom::lonlat(15.0, 37.0),
            GeosearchBy::circle(200.0, GeoUnit::Km),
        )
        .asc()
        .count(2)
        .withdist()
        .await?;
    println!("6. near (15, 37): {near:?}");

    // 7. A pipeline of 100 commands, one round trip, read as one type.
    let mut pipe = TypedPipeline::new();
    for i in 0..100 {
        pipe.push(incrby("tasks:pipelined", i));
    }
    let totals: Vec<i64> = pipe
        .run(&client)
        .await?
        .into_iter()
        .collect::<respec::Result<_>>()?;
    println!("7. 100 INCRBY in one round trip, last total {}", totals[99]);

    // 8. A WATCH transaction: move 10 from one balance to another, retried
    // while another client changes them.
    client.set("tasks:alice", 100).await?;
    client.set("tasks:bob", 0).await?;
    let (mut replies, bob) = client
        .transact(&["tasks:alice", "tasks:bob"], 10, |conn| async move {
            let alice: i64 = conn
                .get("tasks:alice")
                .reply::<Option<i64>>()
                .await?
                .unwrap_or(0);
            let mut tx = Pipeline::atomic();
            tx.add(set("tasks:alice", alice - 10));
            let bob = tx.push(incrby("tasks:bob", 10));
            Ok((tx, bob))
        })
        .await?;
    println!("8. bob now has {}", replies.take(bob)?);

    // 9. Pattern pub/sub: subscribe to `tasks:log.*`, publish, receive.
    let mut sub = client.subscriber().await?;
    sub.psubscribe(["tasks:log.*"]).await?;
    client.publish("tasks:log.error", "disk full").await?;
    let message = tokio::time::timeout(Duration::from_secs(5), sub.next_message())
        .await
        .map_err(|_| respec::Error::new(respec::ErrorKind::Timeout, "no message"))??;
    println!(
        "9. {} on {}",
        String::from_utf8_lossy(&message.payload),
        String::from_utf8_lossy(&message.channel)
    );

    // 10. A Lua script, run by digest and loaded when the server lacks it.
    let capped_incr = Script::new(
        "local v = redis.call('INCR', KEYS[1]) \
         if v > tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end \
         return v",
    );
    let capped: i64 = capped_incr.key("tasks:capped").arg(3).run(&client).await?;
    println!("10. capped counter: {capped}");

    // 11. SCAN without handling the cursor.
    let mut keys = client.scan_iter::<String>(ScanOptions::new().pattern("tasks:*").count(100));
    let mut found = 0;
    while let Some(key) = keys.next().await {
        key?;
        found += 1;
    }
    println!("11. {found} keys under tasks:");

    // 12. BITFIELD: two 8-bit counters in one string, the second saturating.
    let counters = client
        .bitfield("tasks:bits")
        .incrby("u8", "#0", 1)
        .overflow(Overflow::Sat)
        .incrby("u8", "#1", 300)
        .await?;
    println!("12. bitfield counters: {counters:?}");
    Ok(())
}
