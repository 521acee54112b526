//! Pipelines, transactions and optimistic locking with `WATCH`.
//!
//! `REDIS_URL=redis://127.0.0.1:6379 cargo run --example pipelines`

use respec::commands::{del, get, hgetall, hset, incr, incrby, set, strlen, zadd, zrange};
use respec::prelude::*;

#[tokio::main]
async fn main() -> respec::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = Client::open(&url)?;

    // One round trip; each handle reads its command's own reply type, and
    // each command succeeds or fails alone.
    let mut pipe = Pipeline::new();
    pipe.add(del(["ex:name", "ex:n", "ex:user", "ex:board"]));
    pipe.add(set("ex:name", "ada"));
    let not_a_number = pipe.push(incr("ex:name")); // fails: not an integer
    let len = pipe.push(strlen("ex:name"));
    let fields = pipe.push(hset("ex:user", [("name", "ada"), ("lang", "rust")]));
    let user = pipe.push(hgetall("ex:user"));
    pipe.add(zadd("ex:board", [(3.0, "ada"), (5.0, "grace")]));
    let top = pipe.push(zrange("ex:board", 0, -1).withscores());
    let mut replies = pipe.run(&client).await?;
    match replies.take(not_a_number) {
        Ok(n) => println!("unexpected: {n}"),
        Err(e) => println!("INCR failed alone: {e}"),
    }
    let len: i64 = replies.take(len)?;
    println!(
        "STRLEN -> {len}, HSET -> {} new fields",
        replies.take(fields)?
    );
    println!("HGETALL -> {:?}", replies.take(user)?);
    for (member, score) in replies.take(top)? {
        println!("ZRANGE WITHSCORES -> {member} {score}");
    }

    // Commands of one reply type: a Vec, one result per command.
    let counters: TypedPipeline<i64> = (0..100).map(|i| incrby(format!("ex:c:{i}"), i)).collect();
    let values: Vec<i64> = counters
        .run(&client)
        .await?
        .into_iter()
        .collect::<respec::Result<_>>()?;
    println!("100 counters, the last -> {}", values[99]);

    // MULTI/EXEC: the handles read EXEC's items. A command the server
    // rejects while queueing discards the whole transaction (EXECABORT),
    // and the error says which one.
    let mut tx = Pipeline::atomic();
    let n = tx.push(incr("ex:n"));
    let text = tx.push(get("ex:n"));
    let mut replies = tx.run(&client).await?;
    println!(
        "in a transaction: INCR -> {}, GET -> {:?}",
        replies.take(n)?,
        replies.take(text)?
    );
    let mut bad = Pipeline::atomic();
    bad.add(incr("ex:n"));
    bad.add(respec::Cmd::new("INCR"));
    if let Err(e) = bad.run(&client).await {
        println!("transaction refused: {e}");
    }

    // WATCH: the closure runs again until no watched key changed meanwhile;
    // it returns the pipeline and the handles it wants to read.
    let (mut replies, doubled) = client
        .transact(&["ex:n"], 50, |conn| async move {
            let n: i64 = conn.get("ex:n").reply().await?;
            let mut tx = Pipeline::atomic();
            tx.add(set("ex:n", n * 2));
            let doubled = tx.push(get("ex:n").reply::<i64>());
            Ok((tx, doubled))
        })
        .await?;
    println!("doubled -> {}", replies.take(doubled)?);

    let mut cleanup: TypedPipeline<i64> = TypedPipeline::new();
    cleanup.push(del(["ex:name", "ex:n", "ex:user", "ex:board"]));
    cleanup.extend((0..100).map(|i| del([format!("ex:c:{i}")])));
    cleanup.run(&client).await?;
    Ok(())
}
