//! Pipelines, transactions and optimistic locking with `WATCH`.
//!
//! `REDIS_URL=redis://127.0.0.1:6379 cargo run --example pipelines`

use respec::commands;
use respec::prelude::*;

#[tokio::main]
async fn main() -> respec::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = Client::open(&url)?;

    // A plain pipeline: one round trip; each command succeeds or fails alone.
    let mut pipe = Pipeline::new();
    pipe.add(commands::set("ex:name", "ada"))
        .add(commands::incr("ex:name")) // fails: not an integer
        .add(commands::strlen("ex:name"));
    for (i, r) in pipe.execute(&client).await?.into_iter().enumerate() {
        println!("command {i}: {r:?}");
    }

    // Typed results: one tuple element per command.
    let mut pipe = Pipeline::new();
    pipe.add(commands::del(["ex:n"]))
        .add(commands::incrby("ex:n", 5))
        .add(commands::get("ex:n"));
    let (_, n, text): (i64, i64, String) = pipe.query(&client).await?;
    println!("INCRBY -> {n}, GET -> {text}");

    // MULTI/EXEC: a command the server rejects while queueing discards the
    // whole transaction (EXECABORT), and the error says which one.
    let mut tx = Pipeline::atomic();
    tx.add(commands::incr("ex:n")).add(respec::Cmd::new("INCR"));
    match tx.execute(&client).await {
        Err(e) => println!("transaction refused: {e}"),
        Ok(r) => println!("unexpected: {r:?}"),
    }

    // WATCH: the closure runs again until no watched key changed meanwhile.
    let ((), doubled): ((), i64) = client
        .transaction(&["ex:n"], 50, |conn| async move {
            let n: i64 = conn.get("ex:n").reply().await?;
            let mut tx = Pipeline::atomic();
            tx.add(commands::set("ex:n", n * 2))
                .add(commands::get("ex:n"));
            Ok(tx)
        })
        .await?;
    println!("doubled -> {doubled}");
    client.del(["ex:name", "ex:n"]).await?;
    Ok(())
}
