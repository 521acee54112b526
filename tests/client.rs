//! The client API against real servers: blocking commands beside normal
//! traffic, pipelines, transactions (with contention), the pool, pub/sub
//! (with a server restart), scripts and functions, scans, reconnects and bad
//! input.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use respec::pool::PoolConfig;
use respec::pubsub::MessageKind;
use respec::scan::ScanOptions;
use respec::script::Script;
use respec::{cmd, Client, Cmd, ErrorKind, Frame, Pipeline};
use support::Kind;

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a.iter().copied()).expect("non-empty")
}

/// Guards against a hang: every await in these tests must finish.
async fn within<T>(secs: u64, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("the operation hung")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_command_does_not_stall_other_traffic() {
    let server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();
    client
        .query::<(), _>(&args(&["SET", "k", "v"]))
        .await
        .unwrap();

    let blpop = {
        let client = client.clone();
        tokio::spawn(async move {
            let mut c = args(&["BLPOP", "empty-list", "2"]);
            c.set_blocking(true);
            let started = Instant::now();
            let reply = client.execute(&c).await;
            (reply, started.elapsed(), Instant::now())
        })
    };
    // Let the BLPOP reach the server first.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut gets = Vec::new();
    for chunk in 0..10 {
        let client = client.clone();
        gets.push(tokio::spawn(async move {
            let mut n = 0;
            for _ in 0..1000 {
                let v: String = client.query(&args(&["GET", "k"])).await.unwrap();
                assert_eq!(v, "v", "chunk {chunk}");
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for g in gets {
        total += within(30, g).await.unwrap();
    }
    let gets_done = Instant::now();
    let (reply, waited, blpop_done) = within(30, blpop).await.unwrap();
    assert_eq!(total, 10_000);
    assert_eq!(
        reply.unwrap(),
        Frame::Null,
        "BLPOP timed out on the server side"
    );
    assert!(
        waited >= Duration::from_millis(1900),
        "BLPOP returned after {waited:?}"
    );
    assert!(gets_done < blpop_done, "the GETs waited for the BLPOP");
}

#[test]
fn a_blocking_command_does_not_stall_the_blocking_client() {
    let server = support::server(Kind::Redis);
    let client = Arc::new(respec::blocking::Client::open(&server.url()).unwrap());
    client.execute(&args(&["SET", "k", "v"])).unwrap();
    let waiter = {
        let client = client.clone();
        std::thread::spawn(move || {
            let mut c = args(&["BLPOP", "empty-list", "1"]);
            c.set_blocking(true);
            let r = client.execute(&c);
            (r, Instant::now())
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..1000 {
        assert_eq!(
            client.query::<String, _>(&args(&["GET", "k"])).unwrap(),
            "v"
        );
    }
    let gets_done = Instant::now();
    let (r, blpop_done) = waiter.join().unwrap();
    assert_eq!(r.unwrap(), Frame::Null);
    assert!(gets_done < blpop_done);
}

#[tokio::test]
async fn pipelines_report_errors_per_command_and_convert_to_tuples() {
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = support::server(kind);
        for proto in ["2", "3"] {
            let client = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
            let mut pipe = Pipeline::new();
            pipe.add(args(&["SET", "p:s", "text"]))
                .add(args(&["INCR", "p:s"]))
                .add(args(&["RPUSH", "p:l", "a", "b"]))
                .add(args(&["GET", "p:s"]));
            let results = pipe.execute(&client).await.unwrap();
            assert_eq!(results.len(), 4);
            assert_eq!(
                results[0].as_ref().unwrap(),
                &Frame::SimpleString("OK".into())
            );
            let e = results[1].as_ref().unwrap_err();
            assert_eq!(e.command(), Some("INCR"));
            assert_eq!(e.code(), Some("ERR"), "{e}");
            assert!(e.to_string().contains("not an integer"), "{e}");
            assert_eq!(results[2].as_ref().unwrap(), &Frame::Integer(2));
            assert_eq!(results[3].as_ref().unwrap().as_bytes(), Some(&b"text"[..]));

            // Typed: one tuple element per command.
            let mut pipe = Pipeline::new();
            pipe.add(args(&["DEL", "p:n"]))
                .add(args(&["INCRBY", "p:n", "5"]))
                .add(args(&["LRANGE", "p:l", "0", "-1"]))
                .add(args(&["GET", "p:missing"]));
            let (_, n, list, missing): (i64, i64, Vec<String>, Option<String>) =
                pipe.query(&client).await.unwrap();
            assert_eq!(
                (n, list, missing),
                (5, vec!["a".to_string(), "b".to_string()], None)
            );

            // A failing command inside fails the typed conversion with its own error.
            let mut pipe = Pipeline::new();
            pipe.add(args(&["GET", "p:n"]))
                .add(args(&["LPUSH", "p:n", "x"]));
            let e = pipe.query::<(i64, i64)>(&client).await.unwrap_err();
            assert_eq!(e.command(), Some("LPUSH"), "{e}");
            assert_eq!(e.code(), Some("WRONGTYPE"));
            client
                .query::<i64, _>(&args(&["DEL", "p:s", "p:l", "p:n"]))
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn transactions_report_execabort_and_errors_inside_exec() {
    let server = support::server(Kind::Redis);
    for proto in ["2", "3"] {
        let client = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        // A command the server refuses while queueing discards the transaction.
        let mut tx = Pipeline::atomic();
        tx.add(args(&["SET", "t:a", "1"]))
            .add(args(&["INCR"]))
            .add(args(&["SET", "t:b", "2"]));
        let e = tx.execute(&client).await.unwrap_err();
        assert_eq!(e.code(), Some("EXECABORT"), "{e}");
        let text = e.to_string();
        assert!(text.contains("#2") && text.contains("INCR"), "{text}");
        let exists: i64 = client
            .query(&args(&["EXISTS", "t:a", "t:b"]))
            .await
            .unwrap();
        assert_eq!(exists, 0, "nothing of a discarded transaction ran");

        // A command that fails while running fails alone; the others run.
        let mut tx = Pipeline::atomic();
        tx.add(args(&["SET", "t:a", "x"]))
            .add(args(&["INCR", "t:a"]))
            .add(args(&["APPEND", "t:a", "y"]));
        let results = tx.execute(&client).await.unwrap();
        assert!(results[0].is_ok());
        let e = results[1].as_ref().unwrap_err();
        assert_eq!(e.command(), Some("INCR"));
        assert_eq!(results[2].as_ref().unwrap(), &Frame::Integer(2));
        let (set, len): (String, i64) = {
            let mut tx = Pipeline::atomic();
            tx.add(args(&["SET", "t:c", "abc"]))
                .add(args(&["STRLEN", "t:c"]));
            tx.query(&client).await.unwrap()
        };
        assert_eq!((set.as_str(), len), ("OK", 3));
        client
            .query::<i64, _>(&args(&["DEL", "t:a", "t:c"]))
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_transactions_under_contention_end_with_the_exact_total() {
    let server = support::server(Kind::Redis);
    let client = Client::builder(&server.url()).unwrap().pool_size(8).build();
    let tasks = 16;
    let each = 20;
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let client = client.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..each {
                let (_, after): ((), i64) = client
                    .transaction(&["w:counter"], 10_000, |conn| async move {
                        let now: Option<i64> = respec::FromResp::from_resp(
                            conn.send(&args(&["GET", "w:counter"])).await?,
                        )?;
                        let mut tx = Pipeline::atomic();
                        tx.add(
                            cmd("SET")
                                .arg("w:counter")
                                .arg(now.unwrap_or(0) + 1)
                                .clone(),
                        );
                        tx.add(args(&["GET", "w:counter"]));
                        Ok(tx)
                    })
                    .await
                    .unwrap();
                assert!(after >= 1);
            }
        }));
    }
    for h in handles {
        within(60, h).await.unwrap();
    }
    let total: i64 = client.query(&args(&["GET", "w:counter"])).await.unwrap();
    assert_eq!(total, tasks * each);
}

#[tokio::test]
async fn a_transaction_gives_up_when_the_watched_key_keeps_changing() {
    let server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();
    let meddler = Client::open(&server.url()).unwrap();
    let attempts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let e = client
        .transaction(&["g:key"], 3, |_conn| {
            let meddler = meddler.clone();
            let attempts = attempts.clone();
            async move {
                attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                meddler
                    .query::<(), _>(&args(&["SET", "g:key", "changed"]))
                    .await?;
                let mut tx = Pipeline::atomic();
                tx.add(args(&["SET", "g:key", "mine"]));
                Ok(tx)
            }
        })
        .await
        .map(|_: ((),)| ())
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::TransactionAborted, "{e}");
    assert_eq!(attempts.load(std::sync::atomic::Ordering::SeqCst), 3);
    let v: String = client.query(&args(&["GET", "g:key"])).await.unwrap();
    assert_eq!(v, "changed");
}

#[tokio::test]
async fn the_pool_limits_waits_and_checks_health() {
    let server = support::server(Kind::Redis);
    let client = Client::builder(&server.url())
        .unwrap()
        .pool(PoolConfig {
            max_size: 2,
            wait_timeout: Some(Duration::from_millis(300)),
            health_check_after: Duration::ZERO,
        })
        .build();
    let a = client.dedicated().await.unwrap();
    let b = client.dedicated().await.unwrap();
    let started = Instant::now();
    let e = client.dedicated().await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("pool size 2"), "{e}");
    assert!(started.elapsed() >= Duration::from_millis(250));

    // A connection killed while idle is replaced on checkout.
    let id: i64 =
        respec::FromResp::from_resp(a.send(&args(&["CLIENT", "ID"])).await.unwrap()).unwrap();
    drop(a);
    let killed: i64 = client
        .query(&args(&["CLIENT", "KILL", "ID", &id.to_string()]))
        .await
        .unwrap();
    assert_eq!(killed, 1);
    let c = client.dedicated().await.unwrap();
    let new_id: i64 =
        respec::FromResp::from_resp(c.send(&args(&["CLIENT", "ID"])).await.unwrap()).unwrap();
    assert_ne!(new_id, id);
    drop((b, c));
}

/// The next item of a stream of messages, within 10 s.
async fn next_item<S>(stream: &mut S) -> respec::pubsub::Message
where
    S: futures_core::Stream<Item = respec::Result<respec::pubsub::Message>> + Unpin,
{
    within(
        10,
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)),
    )
    .await
    .expect("the stream ended")
    .unwrap()
}

async fn next_message(sub: &mut respec::pubsub::Subscriber) -> respec::pubsub::Message {
    within(10, sub.next_message()).await.unwrap()
}

#[tokio::test]
async fn pubsub_channels_patterns_and_shard_channels() {
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = support::server(kind);
        for proto in ["2", "3"] {
            let url = format!("{}?protocol={proto}", server.url());
            let client = Client::open(&url).unwrap();
            let mut sub = client.subscriber().await.unwrap();
            sub.subscribe(["news", "sport"]).await.unwrap();
            sub.psubscribe(["log.*"]).await.unwrap();
            sub.ssubscribe(["shard-a"]).await.unwrap();
            let (channels, patterns, shards) = sub.subscriptions();
            assert_eq!((channels.len(), patterns.len(), shards.len()), (2, 1, 1));

            let n: i64 = client
                .query(&args(&["PUBLISH", "news", "n1"]))
                .await
                .unwrap();
            assert_eq!(n, 1);
            client
                .query::<i64, _>(&args(&["PUBLISH", "log.error", "disk full"]))
                .await
                .unwrap();
            client
                .query::<i64, _>(&args(&["SPUBLISH", "shard-a", "s1"]))
                .await
                .unwrap();

            let m = next_message(&mut sub).await;
            assert_eq!(
                (m.kind, &m.channel[..], &m.payload[..]),
                (MessageKind::Channel, &b"news"[..], &b"n1"[..])
            );
            let m = next_message(&mut sub).await;
            assert_eq!(m.kind, MessageKind::Pattern);
            assert_eq!(m.pattern.as_deref(), Some(&b"log.*"[..]));
            assert_eq!(m.payload_as::<String>().unwrap(), "disk full");
            let m = next_message(&mut sub).await;
            assert_eq!((m.kind, &m.payload[..]), (MessageKind::Shard, &b"s1"[..]));

            // Unsubscribing between messages: later publishes reach only what is left.
            sub.unsubscribe(["news"]).await.unwrap();
            let n: i64 = client
                .query(&args(&["PUBLISH", "news", "lost"]))
                .await
                .unwrap();
            assert_eq!(n, 0, "{kind:?} RESP{proto}");
            client
                .query::<i64, _>(&args(&["PUBLISH", "sport", "goal"]))
                .await
                .unwrap();
            let m = next_message(&mut sub).await;
            assert_eq!(&m.payload[..], b"goal");

            // As a stream.
            let mut stream = sub.into_stream();
            client
                .query::<i64, _>(&args(&["PUBLISH", "sport", "again"]))
                .await
                .unwrap();
            assert_eq!(&next_item(&mut stream).await.payload[..], b"again");
        }
    }
}

#[tokio::test]
async fn subscription_commands_on_a_shared_client_are_refused_not_hung() {
    use respec::prelude::*;
    let server = support::server(Kind::Redis);
    for proto in ["2", "3"] {
        let url = format!("{}?protocol={proto}", server.url());
        let client = Client::open(&url).unwrap();
        // Refused before anything is sent: no wait for a reply that would
        // never come.
        let err = within(1, async { client.subscribe(["ch"]).await })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains("subscriber()"), "{err}");
        let err = within(5, async { client.monitor().await })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidInput, "{err}");
        let err = within(5, client.execute(&args(&["psubscribe", "p*"])))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("PSUBSCRIBE"), "{err}");
        // In a pipeline the whole pipeline is refused before sending.
        let mut pipe = Pipeline::new();
        pipe.add(args(&["SET", "sub:k", "1"]))
            .add(args(&["SUBSCRIBE", "ch"]));
        let err = within(5, pipe.execute(&client)).await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidInput, "{err}");
        let exists: i64 = client.exists(["sub:k"]).await.unwrap();
        assert_eq!(exists, 0, "nothing of the refused pipeline was sent");
        // The client goes on working.
        client.set("sub:k", "v").await.unwrap();
        let v = client.get("sub:k").await.unwrap();
        assert_eq!(v, Some("v".into()));
        client.del(["sub:k"]).await.unwrap();
    }
    // The same on a dedicated connection from the pool.
    let client = Client::open(&server.url()).unwrap();
    let conn = client.dedicated().await.unwrap();
    let err = within(5, async { conn.subscribe(["ch"]).await })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidInput, "{err}");
    assert_eq!(conn.ping().await.unwrap(), "PONG");
    drop(conn);
    let blocking = respec::blocking::Client::open(&server.url()).unwrap();
    let err = blocking.execute(&args(&["SSUBSCRIBE", "s"])).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidInput, "{err}");
    let pong: String = blocking.query(&args(&["PING"])).unwrap();
    assert_eq!(pong, "PONG");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_change_while_messages_are_received() {
    let server = support::server(Kind::Redis);
    for proto in ["2", "3"] {
        let url = format!("{}?protocol={proto}", server.url());
        let client = Client::open(&url).unwrap();
        let publish = |channel: &str, payload: &str| {
            let client = client.clone();
            let cmd = args(&["PUBLISH", channel, payload]);
            async move { client.query::<i64, _>(&cmd).await.unwrap() }
        };
        let mut sub = client.subscriber().await.unwrap();
        sub.subscribe(["st:a"]).await.unwrap();

        // The usual loop: wait for a message or for a request to change the
        // subscriptions, whichever comes first. A wait given up by `select!`
        // loses nothing.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<&'static str>(1);
        let publisher = {
            let client = client.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                tx.send("st:b").await.unwrap();
                // Publish to st:b until the subscriber has it.
                for i in 0.. {
                    let n: i64 = client
                        .query(&args(&["PUBLISH", "st:b", &format!("b{i}")]))
                        .await
                        .unwrap();
                    if n == 1 {
                        return i;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                unreachable!()
            })
        };
        let got = within(10, async {
            loop {
                tokio::select! {
                    m = sub.next_message() => break m.unwrap(),
                    Some(ch) = rx.recv() => sub.subscribe([ch]).await.unwrap(),
                }
            }
        })
        .await;
        let first_delivered = publisher.await.unwrap();
        assert_eq!(&got.channel[..], b"st:b");
        assert_eq!(
            got.payload_as::<String>().unwrap(),
            format!("b{first_delivered}")
        );

        // The subscriber is a stream; between two items it changes its
        // subscriptions.
        assert_eq!(publish("st:a", "a1").await, 1);
        let m = next_item(&mut sub).await;
        assert_eq!((&m.channel[..], &m.payload[..]), (&b"st:a"[..], &b"a1"[..]));
        sub.unsubscribe(["st:a"]).await.unwrap();
        sub.psubscribe(["st:p*"]).await.unwrap();
        assert_eq!(publish("st:a", "lost").await, 0, "RESP{proto}");
        assert_eq!(publish("st:p1", "p1").await, 1);
        let m = next_item(&mut sub).await;
        assert_eq!(m.kind, MessageKind::Pattern);
        assert_eq!(&m.payload[..], b"p1");

        // The owned stream lends its subscriber out the same way.
        let mut stream = sub.into_stream();
        stream.subscriber_mut().subscribe(["st:c"]).await.unwrap();
        assert_eq!(publish("st:c", "c1").await, 1);
        let m = next_item(&mut stream).await;
        assert_eq!(&m.payload[..], b"c1");
        let (channels, patterns, _) = stream.into_inner().subscriptions();
        assert_eq!(channels.len(), 2, "st:b and st:c");
        assert_eq!(patterns.len(), 1);
    }
}

#[tokio::test]
async fn resp3_pushes_on_a_shared_connection_beside_replies() {
    let server = support::server(Kind::Redis);
    let cfg = respec::connection::ConnectionConfig::from_url(&server.url()).unwrap();
    let (conn, mut pushes) = respec::connection::Connection::connect_with_pushes(&cfg)
        .await
        .unwrap();
    let mut sub = bytes::BytesMut::new();
    respec::Command::encode(&args(&["SUBSCRIBE", "shared"]), &mut sub);
    conn.send_encoded(sub.freeze(), 0, false).await.unwrap();
    let confirm = within(5, pushes.recv()).await.unwrap();
    assert!(
        matches!(&confirm, Frame::Push(items) if items[0].as_bytes() == Some(b"subscribe")),
        "{confirm:?}"
    );
    // Ordinary commands still work on the same connection.
    conn.send(&args(&["SET", "x", "1"])).await.unwrap();
    let publisher = Client::open(&server.url()).unwrap();
    publisher
        .query::<i64, _>(&args(&["PUBLISH", "shared", "hello"]))
        .await
        .unwrap();
    let got = conn.send(&args(&["GET", "x"])).await.unwrap();
    assert_eq!(got.as_bytes(), Some(&b"1"[..]));
    let msg = within(5, pushes.recv()).await.unwrap();
    let m = respec::pubsub::Message::from_push(&msg).unwrap();
    assert_eq!(&m.payload[..], b"hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_resubscribe_after_the_server_restarts() {
    let mut server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();
    let mut sub = client.subscriber().await.unwrap();
    sub.set_reconnect_timeout(Duration::from_secs(15));
    sub.subscribe(["alive"]).await.unwrap();
    sub.psubscribe(["pat.*"]).await.unwrap();

    server.kill();
    server.start_again();

    // Publish until the subscriber is back (it resubscribes on its own).
    let publisher = {
        let url = server.url();
        tokio::spawn(async move {
            let client = Client::open(&url).unwrap();
            for i in 0..300 {
                let _ = client
                    .query::<i64, _>(&args(&["PUBLISH", "alive", &format!("m{i}")]))
                    .await;
                let _ = client
                    .query::<i64, _>(&args(&["PUBLISH", "pat.x", &format!("p{i}")]))
                    .await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let mut kinds = HashSet::new();
    while kinds.len() < 2 {
        let m = within(20, sub.next_message()).await.unwrap();
        kinds.insert(m.kind);
    }
    assert!(kinds.contains(&MessageKind::Channel) && kinds.contains(&MessageKind::Pattern));
    publisher.abort();
}

#[test]
fn the_blocking_subscriber_is_an_iterator() {
    let mut server = support::server(Kind::Redis);
    let client = respec::blocking::Client::open(&server.url()).unwrap();
    let mut sub = client.subscriber().unwrap();
    sub.set_read_timeout(Some(Duration::from_secs(10)));
    sub.subscribe(["b1"]).unwrap();
    sub.psubscribe(["bp.*"]).unwrap();
    client.execute(&args(&["PUBLISH", "b1", "one"])).unwrap();
    client.execute(&args(&["PUBLISH", "bp.z", "two"])).unwrap();
    let got: Vec<_> = sub.by_ref().take(2).map(|m| m.unwrap()).collect();
    assert_eq!(&got[0].payload[..], b"one");
    assert_eq!(
        (got[1].kind, &got[1].payload[..]),
        (MessageKind::Pattern, &b"two"[..])
    );

    // After a restart it subscribes again by itself.
    server.kill();
    server.start_again();
    let url = server.url();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let publisher = std::thread::spawn(move || {
        let c = respec::blocking::Client::open(&url).unwrap();
        for _ in 0..200 {
            if stop2.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            let _ = c.execute(&args(&["PUBLISH", "b1", "back"]));
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let m = sub.next().unwrap().unwrap();
    assert_eq!(&m.payload[..], b"back");
    drop(sub);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = publisher.join();
}

/// The blocking subscriber's shard channels: `SSUBSCRIBE`, `SUNSUBSCRIBE`
/// of some and then of all, on RESP3 and RESP2, the subscriptions it
/// reports and the server's subscriber counts agreeing at each step.
#[test]
fn the_blocking_subscriber_unsubscribes_from_shard_channels() {
    let server = support::server(Kind::Redis);
    for url in [server.url(), format!("{}?protocol=2", server.url())] {
        let client = respec::blocking::Client::open(&url).unwrap();
        let mut sub = client.subscriber().unwrap();
        sub.set_read_timeout(Some(Duration::from_secs(10)));
        sub.ssubscribe(["sh:a", "sh:b", "sh:c"]).unwrap();
        sub.subscribe(["plain"]).unwrap();
        let spublish = |channel: &str, payload: &str| -> i64 {
            client
                .query(&args(&["SPUBLISH", channel, payload]))
                .unwrap()
        };
        assert_eq!(spublish("sh:a", "one"), 1, "{url}");
        let m = sub.next_message().unwrap();
        assert_eq!(
            (m.kind, m.channel_str().into_owned(), &m.payload[..]),
            (MessageKind::Shard, "sh:a".to_string(), &b"one"[..])
        );

        sub.sunsubscribe(["sh:a", "sh:b"]).unwrap();
        let (channels, patterns, shards) = sub.subscriptions();
        assert_eq!(channels, vec![bytes::Bytes::from_static(b"plain")]);
        assert!(patterns.is_empty());
        assert_eq!(shards, vec![bytes::Bytes::from_static(b"sh:c")]);
        assert_eq!(spublish("sh:a", "gone"), 0, "{url}");
        assert_eq!(spublish("sh:c", "two"), 1, "{url}");
        let m = sub.next_message().unwrap();
        assert_eq!(
            (m.channel_str(), &m.payload[..]),
            ("sh:c".into(), &b"two"[..])
        );

        // Every shard channel: the plain channel stays.
        sub.sunsubscribe(Vec::<&str>::new()).unwrap();
        assert!(sub.subscriptions().2.is_empty());
        assert_eq!(spublish("sh:c", "gone"), 0, "{url}");
        let n: i64 = client.query(&args(&["PUBLISH", "plain", "three"])).unwrap();
        assert_eq!(n, 1, "{url}");
        let m = sub.next_message().unwrap();
        assert_eq!(
            (m.kind, &m.payload[..]),
            (MessageKind::Channel, &b"three"[..])
        );
        // Nothing was dropped by the server.
        assert!(!sub.has_dropped_shard_channels());
        assert!(sub.take_dropped_shard_channels().is_empty());
        // Once more with none left: one confirmation, no error, no hang.
        sub.sunsubscribe(Vec::<&str>::new()).unwrap();
        assert_eq!(sub.subscriptions().0.len(), 1);
    }
}

#[tokio::test]
async fn scripts_load_themselves_also_inside_pipelines() {
    let server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();
    let script = Script::new("return {KEYS[1], tonumber(ARGV[1]) * 2}");
    let (key, doubled): (String, i64) = script.key("s:k").arg(21).run(&client).await.unwrap();
    assert_eq!((key.as_str(), doubled), ("s:k", 42));

    client
        .query::<(), _>(&args(&["SCRIPT", "FLUSH"]))
        .await
        .unwrap();
    let (_, again): (String, i64) = script.key("s:k").arg(5).run(&client).await.unwrap();
    assert_eq!(again, 10, "NOSCRIPT made it load the script again");

    client
        .query::<(), _>(&args(&["SCRIPT", "FLUSH"]))
        .await
        .unwrap();
    let mut pipe = Pipeline::new();
    pipe.add(args(&["SET", "s:x", "1"]));
    pipe.add_script(script.key("s:x").arg(8));
    pipe.add_script(script.key("s:y").arg(9).read_only());
    let ((), (_, a), (_, b)): ((), (String, i64), (String, i64)) =
        pipe.query(&client).await.unwrap();
    assert_eq!((a, b), (16, 18));

    // In a transaction too.
    client
        .query::<(), _>(&args(&["SCRIPT", "FLUSH"]))
        .await
        .unwrap();
    let mut tx = Pipeline::atomic();
    tx.add_script(script.key("s:z").arg(1));
    let ((_, one),): ((String, i64),) = tx.query(&client).await.unwrap();
    assert_eq!(one, 2);

    // Blocking.
    let blocking = respec::blocking::Client::open(&server.url()).unwrap();
    blocking.execute(&args(&["SCRIPT", "FLUSH"])).unwrap();
    let (_, b): (String, i64) = script.key("s:b").arg(4).run_blocking(&blocking).unwrap();
    assert_eq!(b, 8);

    // A script error names the command and keeps the server's message.
    let bad = Script::new("return redis.call('INCR', KEYS[1])");
    client
        .query::<(), _>(&args(&["SET", "s:text", "abc"]))
        .await
        .unwrap();
    let e = bad.key("s:text").run::<i64>(&client).await.unwrap_err();
    assert!(e.to_string().contains("not an integer"), "{e}");
}

#[tokio::test]
async fn functions_load_and_fcall_with_typed_results() {
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = support::server(kind);
        let client = Client::open(&server.url()).unwrap();
        let lib = "#!lua name=mathlib\n\
                   redis.register_function('double', function(keys, args) return tonumber(args[1]) * 2 end)\n\
                   redis.register_function{function_name='peek', callback=function(keys, args) \
                   return redis.call('GET', keys[1]) end, flags={'no-writes'}}";
        let name: String = client
            .query(&args(&["FUNCTION", "LOAD", lib]))
            .await
            .unwrap();
        assert_eq!(name, "mathlib");
        let n: i64 = client
            .query(&args(&["FCALL", "double", "0", "21"]))
            .await
            .unwrap();
        assert_eq!(n, 42);
        client
            .query::<(), _>(&args(&["SET", "f:k", "seen"]))
            .await
            .unwrap();
        let v: Option<String> = client
            .query(&args(&["FCALL_RO", "peek", "1", "f:k"]))
            .await
            .unwrap();
        assert_eq!(v.as_deref(), Some("seen"));
        let e = client
            .query::<i64, _>(&args(&["FCALL_RO", "double", "0", "1"]))
            .await
            .unwrap_err();
        assert_eq!(e.command(), Some("FCALL_RO"));
    }
}

#[tokio::test]
async fn scans_hide_the_cursor() {
    let server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();
    let mut pipe = Pipeline::new();
    for i in 0..250 {
        pipe.add(cmd("SET").arg(format!("scan:{i}")).arg(i).clone());
    }
    pipe.add(args(&["HSET", "scan:hash", "a", "1", "b", "2"]));
    pipe.add(args(&["SADD", "other:set", "x", "y", "z"]));
    pipe.add(args(&["ZADD", "other:zset", "1.5", "m1", "2.5", "m2"]));
    for f in 0..300 {
        pipe.add(
            cmd("HSET")
                .arg("big:hash")
                .arg(format!("f{f}"))
                .arg(f)
                .clone(),
        );
    }
    pipe.execute(&client).await.unwrap();

    let keys: HashSet<String> = client
        .scan_iter::<String>(ScanOptions::new().pattern("scan:*").count(20))
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(keys.len(), 251);
    assert!(keys.contains("scan:0") && keys.contains("scan:249") && keys.contains("scan:hash"));

    let hashes = client
        .scan_iter::<String>(ScanOptions::new().key_type("hash"))
        .collect_all()
        .await
        .unwrap();
    let hashes: HashSet<_> = hashes.into_iter().collect();
    assert_eq!(
        hashes,
        HashSet::from(["scan:hash".to_string(), "big:hash".to_string()])
    );

    let fields: HashMap<String, i64> = client
        .hscan_iter::<(String, i64)>("big:hash", ScanOptions::new().count(10))
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(fields.len(), 300);
    assert_eq!(fields["f299"], 299);

    let members = client
        .sscan_iter::<String>("other:set", ScanOptions::new())
        .collect_all()
        .await
        .unwrap();
    assert_eq!(members.into_iter().collect::<HashSet<_>>().len(), 3);
    let mut scored = client
        .zscan_iter::<(String, f64)>("other:zset", ScanOptions::new())
        .collect_all()
        .await
        .unwrap();
    scored.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        scored,
        vec![("m1".to_string(), 1.5), ("m2".to_string(), 2.5)]
    );

    let e = client
        .hscan_iter::<(String, String)>("x", ScanOptions::new().key_type("hash"))
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput);

    // A scan of the wrong type fails with the server's error, once.
    let mut wrong = client.hscan_iter::<(String, String)>("other:set", ScanOptions::new());
    let e = wrong.next().await.unwrap().unwrap_err();
    assert_eq!(e.code(), Some("WRONGTYPE"));
    assert!(wrong.next().await.is_none());

    // Blocking iterators.
    let blocking = respec::blocking::Client::open(&server.url()).unwrap();
    let n = blocking
        .scan_iter::<String>(ScanOptions::new().pattern("scan:*"))
        .map(|k| k.unwrap())
        .collect::<HashSet<_>>()
        .len();
    assert_eq!(n, 251);
    let pairs: Vec<(String, f64)> = blocking
        .zscan_iter("other:zset", ScanOptions::new())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(pairs.len(), 2);
    let fields = blocking
        .hscan_iter::<(String, String)>("scan:hash", ScanOptions::new())
        .count();
    assert_eq!(fields, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_server_under_traffic_fails_in_flight_commands_then_recovers() {
    let mut server = support::server(Kind::Redis);
    let client = Client::open(&format!("{}?socket_timeout=5", server.url())).unwrap();
    client
        .query::<(), _>(&args(&["SET", "r:k", "v"]))
        .await
        .unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let client = client.clone();
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0u32, Vec::new());
            for _ in 0..100_000 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                match client
                    .query::<Option<String>, _>(&args(&["GET", "r:k"]))
                    .await
                {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        failed.push(e);
                        if failed.len() > 5 {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (ok, failed)
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut errors = Vec::new();
    for w in workers {
        let (ok, failed) = within(20, w).await.unwrap();
        assert!(ok > 0);
        errors.extend(failed);
    }
    assert!(
        !errors.is_empty(),
        "commands in flight when the server died must fail"
    );
    for e in &errors {
        assert!(
            e.is_connection_dropped() || e.is_io_error(),
            "unclear error: {e:?}"
        );
        assert_eq!(e.command(), Some("GET"), "{e}");
    }
    server.start_again();
    // The next command reconnects.
    let v: Option<String> = within(20, client.query(&args(&["GET", "r:k"])))
        .await
        .unwrap();
    assert_eq!(v, None, "a fresh server has no data");
    client
        .query::<(), _>(&args(&["SET", "r:k", "again"]))
        .await
        .unwrap();
    assert_eq!(
        client
            .query::<String, _>(&args(&["GET", "r:k"]))
            .await
            .unwrap(),
        "again"
    );
}

#[tokio::test]
async fn bad_input_gives_clear_errors_naming_the_command() {
    let server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();
    client
        .query::<(), _>(cmd("SET").arg("b:bin").arg(&[0xff_u8, 0xfe, 0x00][..]))
        .await
        .unwrap();
    let e = client
        .query::<String, _>(&args(&["GET", "b:bin"]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Conversion);
    assert_eq!(e.command(), Some("GET"));
    assert!(e.to_string().contains("UTF-8"), "{e}");
    // The bytes themselves are still there for a byte type.
    let raw: Vec<u8> = client.query(&args(&["GET", "b:bin"])).await.unwrap();
    assert_eq!(raw, vec![0xff, 0xfe, 0x00]);

    client
        .query::<(), _>(&args(&["SET", "b:n", "300"]))
        .await
        .unwrap();
    let e = client
        .query::<u8, _>(&args(&["GET", "b:n"]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Conversion);
    assert_eq!(e.command(), Some("GET"));
    assert!(e.to_string().contains("300"), "{e}");
    let e = client
        .query::<i8, _>(&args(&["INCRBY", "b:n", "1"]))
        .await
        .unwrap_err();
    assert_eq!(e.command(), Some("INCRBY"));

    let blocking = respec::blocking::Client::open(&server.url()).unwrap();
    let e = blocking
        .query::<String, _>(&args(&["GET", "b:bin"]))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.command()),
        (&ErrorKind::Conversion, Some("GET"))
    );
}

/// A connection whose runtime shut down answers every later request with
/// an error, in any other runtime, instead of writing to a socket nobody
/// reads any more (requests to a quiet connection are written by their
/// callers, so the driver must not outlive its task).
#[test]
fn a_connection_outliving_its_runtime_fails_its_requests() {
    let server = support::server(Kind::Redis);
    let cfg = respec::connection::ConnectionConfig::from_url(&server.url()).unwrap();
    let first = tokio::runtime::Runtime::new().unwrap();
    let conn = first.block_on(async {
        let conn = respec::connection::Connection::connect(&cfg).await.unwrap();
        let pong = conn.send(&cmd("PING")).await.unwrap();
        assert_eq!(pong, Frame::SimpleString("PONG".into()));
        conn
    });
    drop(first);
    let second = tokio::runtime::Runtime::new().unwrap();
    let r = second.block_on(within(5, conn.send(&cmd("PING"))));
    let e = r.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::ConnectionClosed, "{e}");
    assert!(conn.is_closed());
}
