//! Publish/subscribe: channels, patterns, and a subscriber as a stream.
//!
//! `REDIS_URL=redis://127.0.0.1:6379 cargo run --example pubsub`

use respec::prelude::*;

#[tokio::main]
async fn main() -> respec::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = Client::open(&url)?;

    let mut sub = client.subscriber().await?;
    sub.subscribe(["ex:news"]).await?;
    sub.psubscribe(["ex:log.*"]).await?;

    client.publish("ex:news", "hello").await?;
    client.publish("ex:log.error", "disk full").await?;
    for _ in 0..2 {
        let m = sub.next_message().await?;
        println!(
            "{:?} on {}: {:?}",
            m.kind,
            m.channel_str(),
            m.payload_as::<String>()?
        );
    }

    // Change subscriptions between messages; nothing published meanwhile is lost.
    sub.unsubscribe(["ex:news"]).await?;
    let receivers: i64 = client
        .publish("ex:news", "nobody hears this")
        .reply()
        .await?;
    println!("after UNSUBSCRIBE, PUBLISH reached {receivers} subscribers");

    // The subscriber as a Stream; it resubscribes by itself after a reconnect.
    let mut stream = sub.into_stream();
    client.publish("ex:log.info", "streamed").await?;
    let next = std::future::poll_fn(|cx| {
        futures_core::Stream::poll_next(std::pin::Pin::new(&mut stream), cx)
    })
    .await;
    if let Some(m) = next {
        println!("from the stream: {:?}", m?.payload_as::<String>()?);
    }
    Ok(())
}
