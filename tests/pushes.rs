//! Out-of-band data against real servers: the clients' push channels
//! (client-side caching invalidations, across reconnects, bounded), the
//! RESP3 attributes of replies, and reading INCRBYFLOAT past f64's range
//! without loss.

mod support;

use std::time::Duration;

use bytes::Bytes;
use respec::connection::{
    sync, Connection, ConnectionConfig, PushEvent, PushReceiver, WithAttributes,
};
use respec::prelude::*;
use respec::{Cmd, Frame, Pipeline};
use support::{Kind, Server};

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a.iter().copied()).expect("non-empty")
}

/// Guards against a hang: every await in these tests must finish.
async fn within<T>(secs: u64, f: impl std::future::IntoFuture<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f.into_future())
        .await
        .expect("the operation hung")
}

/// The next event of an async reader, within 5 s.
async fn next_event(pushes: &mut PushReceiver) -> PushEvent {
    within(5, pushes.recv())
        .await
        .expect("the push channel closed")
}

/// An invalidation push for these keys, as the server sends it.
fn invalidation(keys: &[&str]) -> Frame {
    Frame::Push(vec![
        Frame::BulkString(Bytes::from_static(b"invalidate")),
        Frame::Array(
            keys.iter()
                .map(|k| Frame::BulkString(Bytes::copy_from_slice(k.as_bytes())))
                .collect(),
        ),
    ])
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("key:{i}")).collect()
}

fn debug_server(kind: Kind) -> Server {
    Server::builder(kind)
        .arg("enable-debug-command", "yes")
        .start()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidations_reach_the_async_clients_push_channel_across_reconnects() {
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = support::server(kind);
        let client = Client::open(&server.url()).unwrap();
        let other = Client::open(&server.url()).unwrap();
        let mut pushes = client.pushes();
        assert_eq!(pushes.capacity(), respec::connection::DEFAULT_PUSH_CAPACITY);
        assert_eq!(pushes.try_recv(), None, "nothing before the first command");

        within(5, client.execute(&args(&["CLIENT", "TRACKING", "ON"])))
            .await
            .unwrap();
        let first = within(5, client.connection()).await.unwrap().id();
        assert_eq!(
            next_event(&mut pushes).await,
            PushEvent::Connected { connection: first }
        );
        within(5, client.set("tracked", "1")).await.unwrap();
        let v: Option<String> = within(5, client.get("tracked").reply()).await.unwrap();
        assert_eq!(v.as_deref(), Some("1"));
        within(5, other.set("tracked", "2")).await.unwrap();
        assert_eq!(
            next_event(&mut pushes).await,
            PushEvent::Push {
                connection: first,
                frame: invalidation(&["tracked"]),
            },
            "{kind:?}"
        );

        // The server drops the shared connection: its end is an event.
        let id: i64 = within(5, client.query(&args(&["CLIENT", "ID"])))
            .await
            .unwrap();
        let killed: i64 = within(
            5,
            other.query(&args(&["CLIENT", "KILL", "ID", &id.to_string()])),
        )
        .await
        .unwrap();
        assert_eq!(killed, 1);
        assert_eq!(
            next_event(&mut pushes).await,
            PushEvent::Disconnected { connection: first }
        );

        // The next command opens a new connection; its pushes reach the
        // same reader.
        within(5, client.execute(&args(&["CLIENT", "TRACKING", "ON"])))
            .await
            .unwrap();
        let second = within(5, client.connection()).await.unwrap().id();
        assert_ne!(first, second);
        assert_eq!(
            next_event(&mut pushes).await,
            PushEvent::Connected { connection: second }
        );
        let v: Option<String> = within(5, client.get("tracked").reply()).await.unwrap();
        assert_eq!(v.as_deref(), Some("2"));
        within(5, other.del(["tracked"])).await.unwrap();
        assert_eq!(
            next_event(&mut pushes).await,
            PushEvent::Push {
                connection: second,
                frame: invalidation(&["tracked"]),
            }
        );
        assert_eq!(pushes.try_recv(), None);

        // A reader made now sees what is published from now on.
        let mut late = client.pushes();
        within(5, client.set("tracked", "3")).await.unwrap();
        let _: Option<String> = within(5, client.get("tracked").reply()).await.unwrap();
        within(5, other.set("tracked", "4")).await.unwrap();
        let expected = PushEvent::Push {
            connection: second,
            frame: invalidation(&["tracked"]),
        };
        assert_eq!(next_event(&mut late).await, expected);
        assert_eq!(next_event(&mut pushes).await, expected);

        // Dropping the client and its connection closes the channel.
        drop(client);
        assert_eq!(
            next_event(&mut pushes).await,
            PushEvent::Disconnected { connection: second }
        );
        assert_eq!(within(5, pushes.recv()).await, None);
        assert!(pushes.is_closed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_retired_after_a_timeout_is_replaced_on_the_same_channel() {
    let server = debug_server(Kind::Redis);
    let client = Client::builder(&server.url())
        .unwrap()
        .response_timeout(Duration::from_millis(300))
        .build();
    let other = Client::open(&server.url()).unwrap();
    let mut pushes = client.pushes();
    within(5, client.execute(&args(&["CLIENT", "TRACKING", "ON"])))
        .await
        .unwrap();
    let first = within(5, client.connection()).await.unwrap().id();
    assert_eq!(
        next_event(&mut pushes).await,
        PushEvent::Connected { connection: first }
    );

    let err = within(5, client.execute(&args(&["DEBUG", "SLEEP", "1"])))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    // The next command goes to a new connection; the retired one ends
    // once its late reply is accounted for.
    within(5, client.execute(&args(&["CLIENT", "TRACKING", "ON"])))
        .await
        .unwrap();
    let second = within(5, client.connection()).await.unwrap().id();
    assert_ne!(first, second);
    let mut seen = Vec::new();
    while seen.len() < 2 {
        seen.push(next_event(&mut pushes).await);
    }
    assert!(seen.contains(&PushEvent::Connected { connection: second }));
    assert!(seen.contains(&PushEvent::Disconnected { connection: first }));

    let _: Option<String> = within(5, client.get("after").reply()).await.unwrap();
    within(5, other.set("after", "x")).await.unwrap();
    assert_eq!(
        next_event(&mut pushes).await,
        PushEvent::Push {
            connection: second,
            frame: invalidation(&["after"]),
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_falls_behind_gets_the_newest_pushes_and_the_count_it_missed() {
    const BOUND: usize = 16;
    const KEYS: usize = 2000;
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = support::server(kind);
        let client = Client::builder(&server.url())
            .unwrap()
            .push_capacity(BOUND)
            .build();
        let other = Client::open(&server.url()).unwrap();
        let mut pushes = client.pushes();
        assert_eq!(pushes.capacity(), BOUND);
        let names = keys(KEYS);

        within(5, client.execute(&args(&["CLIENT", "TRACKING", "ON"])))
            .await
            .unwrap();
        let id = within(5, client.connection()).await.unwrap().id();
        let _: Vec<Option<String>> = within(5, client.mget(&names).reply()).await.unwrap();
        // One invalidation per key, none read.
        let pairs: Vec<(&str, &str)> = names.iter().map(|k| (k.as_str(), "v")).collect();
        within(5, other.mset(pairs)).await.unwrap();
        // The server sent them before this reply, and a push is published
        // before any later reply is handed out.
        within(5, client.ping()).await.unwrap();

        // Published: Connected and KEYS pushes; kept: the newest BOUND.
        let total = KEYS + 1;
        assert_eq!(
            pushes.try_recv(),
            Some(PushEvent::Lagged {
                missed: (total - BOUND) as u64
            }),
            "{kind:?}"
        );
        for key in &names[KEYS - BOUND..] {
            assert_eq!(
                pushes.try_recv(),
                Some(PushEvent::Push {
                    connection: id,
                    frame: invalidation(&[key]),
                })
            );
        }
        assert_eq!(pushes.try_recv(), None);
        // The shared connection kept working throughout.
        let v: Option<String> = within(5, client.get(&names[0]).reply()).await.unwrap();
        assert_eq!(v.as_deref(), Some("v"));
    }
}

#[test]
fn the_blocking_clients_connections_publish_to_one_bounded_channel() {
    const BOUND: usize = 16;
    const KEYS: usize = 2000;
    let server = support::server(Kind::Redis);
    let client = respec::blocking::Client::open(&server.url()).unwrap();
    let other = respec::blocking::Client::open(&server.url()).unwrap();
    client.set_push_capacity(BOUND);
    let mut pushes = client.pushes();
    assert_eq!(pushes.capacity(), BOUND);
    let names = keys(KEYS);
    let pairs: Vec<(&str, &str)> = names.iter().map(|k| (k.as_str(), "v")).collect();

    let id = client
        .with_connection(|conn| {
            conn.send(&args(&["CLIENT", "TRACKING", "ON"]))?;
            conn.send(&respec::commands::mget(&names))?;
            other.mset(pairs.clone()).run()?;
            // The invalidations come in ahead of this reply.
            assert_eq!(
                conn.send(&args(&["PING"]))?,
                Frame::SimpleString("PONG".into())
            );
            Ok(conn.id())
        })
        .unwrap();
    // The connection had tracking on: it was closed after the call, not
    // lent to the next caller, and its end is an event.
    // Published: Connected, KEYS pushes, Disconnected; kept: the newest BOUND.
    let total = KEYS + 2;
    assert_eq!(
        pushes.recv_timeout(Duration::from_secs(5)),
        Some(PushEvent::Lagged {
            missed: (total - BOUND) as u64
        })
    );
    for key in &names[KEYS - BOUND + 1..] {
        assert_eq!(
            pushes.try_recv(),
            Some(PushEvent::Push {
                connection: id,
                frame: invalidation(&[key]),
            })
        );
    }
    assert_eq!(
        pushes.try_recv(),
        Some(PushEvent::Disconnected { connection: id })
    );
    assert_eq!(pushes.try_recv(), None);
    assert_eq!(pushes.recv_timeout(Duration::from_millis(50)), None);
    assert!(!pushes.is_closed());
    drop(client);
    assert!(pushes.is_closed());
}

#[test]
fn a_blocking_connection_keeps_the_newest_pushes_and_counts_the_rest() {
    const BOUND: usize = 16;
    const KEYS: usize = 2000;
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = support::server(kind);
        let cfg = ConnectionConfig::from_url(&server.url()).unwrap();
        let other = respec::blocking::Client::open(&server.url()).unwrap();
        let names = keys(KEYS);
        let pairs: Vec<(&str, &str)> = names.iter().map(|k| (k.as_str(), "v")).collect();

        let mut conn = sync::Connection::connect(&cfg).unwrap();
        conn.set_push_capacity(BOUND);
        conn.send(&args(&["CLIENT", "TRACKING", "ON"])).unwrap();
        conn.send(&respec::commands::mget(&names)).unwrap();
        other.mset(pairs).run().unwrap();
        assert_eq!(
            conn.send(&args(&["PING"])).unwrap(),
            Frame::SimpleString("PONG".into())
        );
        assert_eq!(conn.missed_pushes(), (KEYS - BOUND) as u64, "{kind:?}");
        assert_eq!(conn.missed_pushes(), 0);
        for key in &names[KEYS - BOUND..] {
            assert_eq!(
                conn.next_push(Duration::from_secs(5)).unwrap(),
                Some(invalidation(&[key]))
            );
        }
        assert_eq!(conn.next_push(Duration::from_millis(50)).unwrap(), None);
        assert!(!conn.is_broken());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_attributes_are_read_on_request_and_dropped_otherwise() {
    let attrib = args(&["DEBUG", "PROTOCOL", "attrib"]);
    let text = "Some real reply following the attribute";
    let popularity = Frame::Array(vec![
        Frame::BulkString("key:123".into()),
        Frame::Integer(90),
    ]);
    let expected = WithAttributes {
        value: text.to_string(),
        attributes: vec![(
            Frame::BulkString("key-popularity".into()),
            popularity.clone(),
        )],
    };
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = debug_server(kind);

        // The async client and connection (RESP3).
        let client = Client::open(&server.url()).unwrap();
        let got: WithAttributes<String> = within(5, client.query_with_attributes(&attrib))
            .await
            .unwrap();
        assert_eq!(got, expected, "{kind:?}");
        assert_eq!(got.attribute("key-popularity"), Some(&popularity));
        assert_eq!(got.attribute("other"), None);
        let raw: WithAttributes<Frame> = within(5, client.query_with_attributes(&attrib))
            .await
            .unwrap();
        assert_eq!(raw.value, Frame::BulkString(text.into()));
        // Everywhere else the attributes are dropped and the reply is as usual.
        let plain: String = within(5, client.query(&attrib)).await.unwrap();
        assert_eq!(plain, text);
        assert_eq!(
            within(5, client.execute(&attrib)).await.unwrap(),
            Frame::BulkString(text.into())
        );
        let mut pipe = Pipeline::new();
        pipe.add(attrib.clone())
            .add(args(&["ECHO", "after"]))
            .add(attrib.clone());
        let (a, b, c): (String, String, String) = within(5, pipe.query(&client)).await.unwrap();
        assert_eq!((a.as_str(), b.as_str(), c.as_str()), (text, "after", text));
        // Generated commands too, and replies without attributes.
        within(5, client.set("plain", "v")).await.unwrap();
        let none: WithAttributes<Option<String>> = within(
            5,
            client.query_with_attributes(&respec::commands::get("plain")),
        )
        .await
        .unwrap();
        assert_eq!(none.value.as_deref(), Some("v"));
        assert!(none.attributes.is_empty());
        // An error reply is an error.
        let err = within(
            5,
            client.query_with_attributes::<String, _>(&args(&["DEBUG", "PROTOCOL", "nope"])),
        )
        .await
        .unwrap_err();
        assert!(err.code().is_some(), "{err}");

        // Replies line up around annotated ones, many tasks at once.
        let mut tasks = Vec::new();
        for t in 0..8 {
            let client = client.clone();
            let attrib = attrib.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..100 {
                    let value = format!("{t}:{i}");
                    let echoed: String = client.query(&args(&["ECHO", &value])).await.unwrap();
                    assert_eq!(echoed, value);
                    if i % 3 == 0 {
                        let got: WithAttributes<String> =
                            client.query_with_attributes(&attrib).await.unwrap();
                        assert_eq!(got.attributes.len(), 1);
                    } else {
                        let got: String = client.query(&attrib).await.unwrap();
                        assert_eq!(got, "Some real reply following the attribute");
                    }
                }
            }));
        }
        for t in tasks {
            within(30, t).await.unwrap();
        }

        let cfg = ConnectionConfig::from_url(&server.url()).unwrap();
        let conn = within(5, Connection::connect(&cfg)).await.unwrap();
        let got: WithAttributes<String> = within(5, conn.query_with_attributes(&attrib))
            .await
            .unwrap();
        assert_eq!(got, expected);
        assert_eq!(
            within(5, conn.send(&attrib)).await.unwrap(),
            Frame::BulkString(text.into())
        );

        // The blocking client and connection.
        let blocking = respec::blocking::Client::open(&server.url()).unwrap();
        let got: WithAttributes<String> = blocking.query_with_attributes(&attrib).unwrap();
        assert_eq!(got, expected);
        assert_eq!(blocking.query::<String, _>(&attrib).unwrap(), text);
        let mut sync_conn = sync::Connection::connect(&cfg).unwrap();
        let got: WithAttributes<String> = sync_conn.query_with_attributes(&attrib).unwrap();
        assert_eq!(got, expected);
        assert_eq!(
            sync_conn.send(&attrib).unwrap(),
            Frame::BulkString(text.into())
        );
        assert!(sync_conn
            .query_with_attributes::<String, _>(&args(&["DEBUG", "PROTOCOL", "nope"]))
            .is_err());
        assert_eq!(
            sync_conn.send(&args(&["PING"])).unwrap(),
            Frame::SimpleString("PONG".into())
        );

        // RESP2 has no attributes: the same reply, none beside it.
        let url2 = format!("{}?protocol=2", server.url());
        let client2 = Client::open(&url2).unwrap();
        let got: WithAttributes<String> = within(5, client2.query_with_attributes(&attrib))
            .await
            .unwrap();
        assert_eq!(got.value, text);
        assert!(got.attributes.is_empty());
        let blocking2 = respec::blocking::Client::open(&url2).unwrap();
        let got: WithAttributes<String> = blocking2.query_with_attributes(&attrib).unwrap();
        assert_eq!(got.value, text);
        assert!(got.attributes.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_behind_a_reply_is_never_taken_for_a_reply() {
    // DEBUG PROTOCOL push: the reply, then a push frame right behind it.
    let push = args(&["DEBUG", "PROTOCOL", "push"]);
    let text = "Some real reply following the push reply";
    let frame = Frame::Push(vec![
        Frame::BulkString("server-cpu-usage".into()),
        Frame::Integer(42),
    ]);
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = debug_server(kind);
        let client = Client::open(&server.url()).unwrap();
        let mut pushes = client.pushes();
        let got: String = within(5, client.query(&push)).await.unwrap();
        assert_eq!(got, text);
        let pong = within(5, client.execute(&args(&["PING"]))).await.unwrap();
        assert_eq!(pong, Frame::SimpleString("PONG".into()));
        let id = within(5, client.connection()).await.unwrap().id();
        assert_eq!(
            next_event(&mut pushes).await,
            PushEvent::Connected { connection: id }
        );
        assert_eq!(
            next_event(&mut pushes).await,
            PushEvent::Push {
                connection: id,
                frame: frame.clone(),
            },
            "{kind:?}"
        );

        // The blocking client: the push reaches the channel, and the
        // connection stays in use (one thread: the same connection serves
        // every call).
        let blocking = respec::blocking::Client::open(&server.url()).unwrap();
        let mut pushes = blocking.pushes();
        assert_eq!(blocking.query::<String, _>(&push).unwrap(), text);
        assert_eq!(
            blocking.execute(&args(&["PING"])).unwrap(),
            Frame::SimpleString("PONG".into())
        );
        let Some(PushEvent::Connected { connection }) = pushes.try_recv() else {
            panic!("no Connected event")
        };
        assert_eq!(
            pushes.recv_timeout(Duration::from_secs(5)),
            Some(PushEvent::Push {
                connection,
                frame: frame.clone(),
            })
        );
        assert_eq!(pushes.try_recv(), None, "one connection served both calls");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incrbyfloat_past_f64s_range_reads_losslessly_as_text() {
    let server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();

    // The default reply is an f64: the first step still fits.
    let first: f64 = within(5, client.incrbyfloat("big", 1e308)).await.unwrap();
    assert_eq!(first, 1e308);
    // Past f64's range the server holds a finite long double, the f64 is inf.
    let second: f64 = within(5, client.incrbyfloat("big", 1e308)).await.unwrap();
    assert!(second.is_infinite() && second > 0.0, "{second}");
    // Read as text (or bytes), the reply is the server's exact value.
    let exact: String = within(5, client.incrbyfloat("big", 1e308).reply())
        .await
        .unwrap();
    let stored: String = within(5, client.get("big").reply::<Option<String>>())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exact, stored);
    assert_eq!(exact.len(), 309, "{exact}");
    assert!(exact.starts_with("2999999999999999999"), "{exact}");
    assert!(exact.bytes().all(|b| b.is_ascii_digit()));
    let bytes: Bytes = within(5, client.incrbyfloat("big", 0.0).reply())
        .await
        .unwrap();
    assert_eq!(&bytes[..], exact.as_bytes());

    // HINCRBYFLOAT the same way.
    let h: f64 = within(5, client.hincrbyfloat("h", "f", 1e308))
        .await
        .unwrap();
    assert_eq!(h, 1e308);
    let h: f64 = within(5, client.hincrbyfloat("h", "f", 1e308))
        .await
        .unwrap();
    assert!(h.is_infinite());
    let exact: String = within(5, client.hincrbyfloat("h", "f", 0.0).reply())
        .await
        .unwrap();
    let stored: Option<String> = within(5, client.hget("h", "f").reply()).await.unwrap();
    assert_eq!(Some(exact.clone()), stored);
    assert!(exact.starts_with("1999999999999999999") && exact.len() == 309);

    // The blocking client reads the same text.
    let blocking = respec::blocking::Client::open(&server.url()).unwrap();
    let text: String = blocking
        .incrbyfloat("big", 0.0)
        .reply::<String>()
        .run()
        .unwrap();
    assert!(text.starts_with("2999999999999999999") && text.len() == 309);
}
