//! Dedicated connections from the pool, and what happens when the server
//! goes away.
//!
//! `REDIS_URL=redis://127.0.0.1:6379 cargo run --example pool_and_reconnects`

use std::time::Duration;

use respec::pool::PoolConfig;
use respec::prelude::*;

#[tokio::main]
async fn main() -> respec::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    // Everyday commands share one multiplexed connection; the pool holds
    // the dedicated ones (blocking commands, WATCH, state changes).
    let client = Client::builder(&url)?
        .response_timeout(Duration::from_secs(2))
        .pool(PoolConfig {
            max_size: 4,
            wait_timeout: Some(Duration::from_millis(500)),
            health_check_after: Duration::from_secs(5),
        })
        .build();

    // A dedicated connection: its own state (here: database 1) stays with it
    // until it goes back to the pool.
    {
        let conn = client.dedicated().await?;
        conn.select(1).await?;
        conn.set("ex:pool", "in db 1").await?;
        let v = conn.get("ex:pool").await?;
        println!("dedicated connection, db 1: {v:?}");
        conn.del(["ex:pool"]).await?;
        conn.select(0).await?;
    }

    // With every pooled connection checked out, the next checkout waits at
    // most `wait_timeout`, then fails with a clear error.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(client.dedicated().await?);
    }
    match client.dedicated().await {
        Ok(_) => println!("unexpected: a fifth connection"),
        Err(e) => println!("pool exhausted: {e}"),
    }
    drop(held);

    // When the connection drops, commands in flight fail at once with a
    // connection error (they never hang), and the next command reconnects.
    // Try it: run this example and restart the server while it loops.
    for i in 0..5 {
        match client.incr("ex:reconnect").await {
            Ok(n) => println!("INCR #{i}: {n}"),
            Err(e) => println!("INCR #{i} failed ({:?}): {e}", e.kind()),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client.del(["ex:reconnect"]).await?;
    Ok(())
}
