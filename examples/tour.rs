//! A short tour of respec: connect, run commands with typed replies, share
//! one client between tasks, pipeline, transact, subscribe and script.
//!
//! Run it with `bash scripts/tour` (which starts a throwaway server when
//! `REDIS_URL` is not set), or `REDIS_URL=redis://... cargo run --example tour`.

use respec::pubsub::MessageKind;
use respec::script::Script;
use respec::{cmd, Client, Pipeline};

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

    // Commands, with the reply read as the type you ask for.
    client
        .query::<(), _>(
            cmd("SET")
                .arg("tour:greeting")
                .arg("hello")
                .arg("EX")
                .arg(60),
        )
        .await?;
    let greeting: Option<String> = client.query(cmd("GET").arg("tour:greeting")).await?;
    println!("GET tour:greeting -> {greeting:?}");

    // One client, many tasks: their commands share one socket and go out
    // together (auto-pipelining).
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .query::<i64, _>(cmd("INCRBY").arg("tour:counter").arg(i))
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task")?;
    }
    let total: i64 = client.query(cmd("GET").arg("tour:counter")).await?;
    println!("100 tasks added 0..100 -> {total}");

    // A pipeline: many commands, one round trip, one result per command.
    let mut pipe = Pipeline::new();
    pipe.add(
        cmd("RPUSH")
            .arg("tour:list")
            .arg("a")
            .arg("b")
            .arg("c")
            .clone(),
    )
    .add(cmd("LRANGE").arg("tour:list").arg(0).arg(-1).clone())
    .add(cmd("INCR").arg("tour:list").clone());
    for (i, result) in pipe.execute(&client).await?.into_iter().enumerate() {
        match result {
            Ok(frame) => println!("pipeline[{i}] -> {frame:?}"),
            Err(e) => println!("pipeline[{i}] failed on its own: {e}"),
        }
    }

    // A transaction with WATCH, retried while the watched key changes.
    let doubled: (i64,) = client
        .transaction(&["tour:counter"], 10, |conn| async move {
            let n: i64 =
                respec::FromResp::from_resp(conn.send(cmd("GET").arg("tour:counter")).await?)?;
            let mut tx = Pipeline::atomic();
            tx.add(cmd("SET").arg("tour:counter").arg(n * 2).clone());
            tx.add(cmd("GET").arg("tour:counter").clone());
            Ok(tx)
        })
        .await
        .map(|((), n): ((), i64)| (n,))?;
    println!("MULTI/EXEC doubled the counter -> {}", doubled.0);

    // Publish/subscribe.
    let mut sub = client.subscriber().await?;
    sub.subscribe(["tour:news"]).await?;
    let published: i64 = client
        .query(cmd("PUBLISH").arg("tour:news").arg("respec says hi"))
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

    client
        .query::<i64, _>(
            cmd("DEL")
                .arg("tour:greeting")
                .arg("tour:counter")
                .arg("tour:list"),
        )
        .await?;
    Ok(())
}
