//! Behaviour against a peer that breaks the protocol or stalls: every case
//! ends in a clear error, the connection is closed, requests waiting on it
//! fail with that error, and nothing hangs.

mod fake;

use std::time::Duration;

use fake::{FakeServer, Reply};
use respec::{Cmd, ErrorKind};

fn get(key: &str) -> Cmd {
    let mut c = Cmd::new("GET");
    c.arg(key);
    c
}

/// Malformed, truncated and oversized replies, each paired with the
/// protocol error text it must produce.
fn broken_replies() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    vec![
        (
            "unknown type byte",
            b"?what\r\n".to_vec(),
            "unknown type byte 0x3f",
        ),
        ("bad integer", b":12x\r\n".to_vec(), "invalid integer"),
        (
            "bulk without CRLF",
            b"$3\r\nabcXY".to_vec(),
            "expected CRLF",
        ),
        ("negative length", b"$-7\r\n".to_vec(), "invalid length -7"),
        ("bad boolean", b"#x\r\n".to_vec(), "invalid boolean"),
        ("bad double", b",1.2.3.x\r\n".to_vec(), "invalid double"),
        (
            "oversized bulk",
            b"$999999999999\r\n".to_vec(),
            "bulk length 999999999999 exceeds the limit",
        ),
        (
            "oversized array",
            b"*99999999999\r\n".to_vec(),
            "aggregate of 99999999999 elements exceeds the limit",
        ),
        ("too deep", b"*1\r\n".repeat(200), "nesting deeper than 128"),
    ]
}

#[tokio::test]
async fn async_protocol_errors_fail_every_waiter_and_close() {
    for (case, bytes, expected) in broken_replies() {
        // The first GET gets the broken reply; two more were sent behind it.
        let server = FakeServer::start(vec![Reply::Bytes(bytes), Reply::Stall, Reply::Stall]);
        let client = respec::Client::open(&server.url()).unwrap();
        let conn = client.connection().await.unwrap();
        let (a, b, c) = tokio::time::timeout(Duration::from_secs(10), async {
            tokio::join!(
                conn.send(&get("a")),
                conn.send(&get("b")),
                conn.send(&get("c"))
            )
        })
        .await
        .unwrap_or_else(|_| panic!("{case}: hung"));
        for (i, r) in [a, b, c].into_iter().enumerate() {
            let e = r.expect_err(case);
            assert_eq!(e.kind(), &ErrorKind::Protocol, "{case} #{i}: {e}");
            assert!(e.to_string().contains(expected), "{case} #{i}: {e}");
            assert!(e.is_connection_dropped());
        }
        assert!(conn.is_closed(), "{case}: connection still open");
        // A new request on the closed connection fails at once.
        let e = conn.send(&get("d")).await.unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::ConnectionClosed, "{case}: {e}");
        assert_eq!(e.command(), Some("GET"));
        drop(conn);
        drop(client);
        server.finish().await;
    }
}

#[test]
fn blocking_protocol_errors_break_the_connection() {
    for (case, bytes, expected) in broken_replies() {
        let server = FakeServer::start(vec![Reply::Bytes(bytes)]);
        let cfg = respec::connection::ConnectionConfig::from_url(&format!(
            "{}?socket_timeout=10",
            server.url()
        ))
        .unwrap();
        let mut conn = respec::connection::sync::Connection::connect(&cfg).unwrap();
        let e = conn.send(&get("a")).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Protocol, "{case}: {e}");
        assert!(e.to_string().contains(expected), "{case}: {e}");
        assert_eq!(e.command(), Some("GET"));
        assert!(conn.is_broken());
        let e = conn.send(&get("b")).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::ConnectionClosed, "{case}: {e}");
        drop(conn);
        server.join();
    }
}

#[tokio::test]
async fn truncated_reply_then_close_fails_waiters() {
    // Half a bulk string, then the peer hangs up.
    let server = FakeServer::start(vec![Reply::BytesThenClose(b"$10\r\nabc".to_vec())]);
    let client = respec::Client::open(&server.url()).unwrap();
    let conn = client.connection().await.unwrap();
    let (a, b) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(conn.send(&get("a")), conn.send(&get("b")))
    })
    .await
    .expect("hung");
    for r in [a, b] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::ConnectionClosed, "{e}");
        assert!(e.to_string().contains("closed the connection"), "{e}");
    }
    assert!(conn.is_closed());
    server.finish().await;
}

#[test]
fn blocking_truncated_reply() {
    let server = FakeServer::start(vec![Reply::BytesThenClose(b"*2\r\n:1\r\n".to_vec())]);
    let client = respec::blocking::Client::open(&server.url()).unwrap();
    let e = client.execute(&get("a")).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::ConnectionClosed, "{e}");
    assert_eq!(e.command(), Some("GET"));
    server.join();
}

#[tokio::test]
async fn stalled_server_hits_the_response_timeout() {
    let server = FakeServer::start(vec![Reply::Stall, Reply::Bytes(b"+late\r\n".to_vec())]);
    let client = respec::Client::open(&format!("{}?socket_timeout=0.3", server.url())).unwrap();
    // The client's own 300 ms bound ends the wait, well before this one.
    let e = tokio::time::timeout(Duration::from_secs(5), client.execute(&get("a")))
        .await
        .expect("the GET was still waiting after 5 s")
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(e.command(), Some("GET"));
    drop(client);
    server.finish().await;
}

#[test]
fn blocking_stalled_server_times_out_and_breaks() {
    let server = FakeServer::start(vec![Reply::Stall]);
    let client =
        respec::blocking::Client::open(&format!("{}?socket_timeout=0.3", server.url())).unwrap();
    let e = client.execute(&get("a")).unwrap_err();
    assert!(e.is_timeout(), "{e}");
    drop(client);
    server.join();
}

#[tokio::test]
async fn silent_server_hits_the_connect_timeout() {
    let server = FakeServer::start_with(vec![], false);
    let client =
        respec::Client::open(&format!("{}?socket_connect_timeout=0.3", server.url())).unwrap();
    let e = client.execute(&get("a")).await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert!(e.to_string().contains("took longer than"), "{e}");
    drop(client);
    server.finish().await;
}

#[tokio::test]
async fn concurrent_requests_go_out_in_few_writes() {
    // 200 requests issued together while the first write is in flight must
    // reach the peer in far fewer than 200 reads.
    let server = FakeServer::start(vec![]);
    let client = respec::Client::open(&server.url()).unwrap();
    let conn = client.connection().await.unwrap();
    let futures: Vec<_> = (0..200)
        .map(|i| conn.send(&get(&format!("k{i}"))))
        .collect();
    for f in futures {
        assert_eq!(f.await.unwrap(), respec::Frame::SimpleString("OK".into()));
    }
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.commands.len(), 200);
    assert_eq!(seen.commands[0], vec!["GET", "k0"]);
    assert_eq!(seen.commands[199], vec!["GET", "k199"]);
    assert!(
        seen.reads.len() <= 5,
        "200 requests took {} reads",
        seen.reads.len()
    );
}
