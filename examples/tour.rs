//! A short tour of respec: connect, run generated commands with typed
//! replies, share one client between tasks, pipeline, transact, subscribe
//! and script.
//!
//! Run it with `bash scripts/tour` (which starts a throwaway server when
//! `REDIS_URL` is not set), or `REDIS_URL=redis://... cargo run --example tour`.

use respec::prelude::*;
use respec::pubsub::MessageKind;
use respec::script::Script;
use respec::{cmd, commands};

#[tokio::main]
async fn main() -> respec::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = Client::open(&url)?;
    let info = client.server_info().await?;
    let (major, minor, patch) = info.version;
    println!(
        "connected to {} {major}.{minor}.{patch} over {:?}",
        info.server, info.protocol
    );

    // Every server command is a generated method: required arguments are
    // parameters, options are builder methods (in any order).
    // Values, keys and members come back as `ByteStr`: any bytes, compared
    // with "text" or b"bytes", printed as text. `.reply::<T>()` reads a
    // reply as another type.
    client.set("tour:greeting", "hello").ex(60).nx().await?;
    let greeting = client.get("tour:greeting").await?;
    println!("GET tour:greeting -> {greeting:?}");
    let text: Option<String> = client.get("tour:greeting").reply().await?;
    println!("GET tour:greeting as a String -> {text:?}");
    client
        .zadd("tour:board", [(3.0, "ann"), (5.0, "bob"), (4.0, "cy")])
        .await?;
    let top = client
        .zrange("tour:board", "0", "-1")
        .rev()
        .withscores()
        .await?;
    println!("ZRANGE tour:board 0 -1 REV WITHSCORES -> {top:?}");

    // One client, many tasks: their commands share one socket and go out
    // together (auto-pipelining).
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.incrby("tour:counter", i).reply::<i64>().await })
        })
        .collect();
    for t in tasks {
        t.await.expect("task")?;
    }
    let total: i64 = client.get("tour:counter").reply().await?;
    println!("100 tasks added 0..100 -> {total}");

    // A pipeline: many commands, one round trip, one result per command.
    let mut pipe = Pipeline::new();
    pipe.add(commands::rpush("tour:list", ["a", "b", "c"]))
        .add(commands::lrange("tour:list", 0, -1))
        .add(commands::incr("tour:list"));
    for (i, result) in pipe.execute(&client).await?.into_iter().enumerate() {
        match result {
            Ok(frame) => println!("pipeline[{i}] -> {frame:?}"),
            Err(e) => println!("pipeline[{i}] failed on its own: {e}"),
        }
    }

    // A transaction with WATCH, retried while the watched key changes.
    let doubled: ((), i64) = client
        .transaction(&["tour:counter"], 10, |conn| async move {
            let n: i64 = conn.get("tour:counter").reply().await?;
            let mut tx = Pipeline::atomic();
            tx.add(commands::set("tour:counter", n * 2));
            tx.add(commands::get("tour:counter"));
            Ok(tx)
        })
        .await?;
    println!("MULTI/EXEC doubled the counter -> {}", doubled.1);

    // Publish/subscribe.
    let mut sub = client.subscriber().await?;
    sub.subscribe(["tour:news"]).await?;
    let published: i64 = client
        .publish("tour:news", "respec says hi")
        .reply()
        .await?;
    let msg = sub.next_message().await?;
    assert_eq!(msg.kind, MessageKind::Channel);
    println!(
        "{published} subscriber got {:?} on {}",
        msg.payload_as::<String>()?,
        msg.channel_str()
    );

    // A Lua script, run by its digest and loaded on first use.
    let script = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    let after: i64 = script.key("tour:counter").arg(5).run(&client).await?;
    println!("script added 5 -> {after}");

    // Anything newer than the specs, or any raw command, goes through `Cmd`.
    let pong: String = client.query(cmd("PING").arg("raw")).await?;
    println!("raw PING -> {pong}");

    client
        .del(["tour:greeting", "tour:counter", "tour:list", "tour:board"])
        .await?;
    Ok(())
}
