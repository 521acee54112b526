//! Replies line up with their requests: proven by markers, after timeouts,
//! for users who may not run PING, and with the commands that would break
//! the line-up refused. Real Redis 8.2.3 servers.

mod support;

use std::future::IntoFuture;
use std::time::Duration;

use respec::connection::{Connection, ConnectionConfig};
use respec::prelude::*;
use respec::{Block, Cmd, ErrorKind, Frame};
use support::Kind;

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a.iter().copied()).expect("non-empty")
}

async fn within<T>(secs: u64, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("the operation hung")
}

fn bulk(s: &str) -> Frame {
    Frame::BulkString(s.as_bytes().to_vec().into())
}

/// A reply that comes after its request timed out is matched and dropped;
/// the replies behind it are proven by the marker and reach their own
/// callers; the connection takes no new requests afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_reply_is_proven_and_the_connection_retired() {
    for verify in [true, false] {
        let server = support::Server::builder(Kind::Redis)
            .arg("enable-debug-command", "yes")
            .start();
        let mut cfg = ConnectionConfig::from_url(&server.url()).unwrap();
        cfg.response_timeout = Some(Duration::from_millis(300));
        cfg.verify_replies = verify;
        let conn = Connection::connect(&cfg).await.unwrap();
        conn.send(&args(&["SET", "late:k", "mine"])).await.unwrap();
        let sleep = conn.send(&args(&["DEBUG", "SLEEP", "0.8"]));
        // Untimed, queued behind the sleep: it must get its own reply.
        let get = conn.send_untimed(&args(&["GET", "late:k"]));
        let e = within(5, sleep).await.unwrap_err();
        assert!(e.is_timeout(), "{e}");
        assert!(e.to_string().contains("no reply within 300ms"), "{e}");
        assert_eq!(e.command(), Some("DEBUG"), "{e}");
        assert!(
            conn.is_closed(),
            "a connection with a timed-out reply is retired"
        );
        assert_eq!(within(5, get).await.unwrap(), bulk("mine"));
        // A request that still reaches the retired connection waited for
        // the proof and then went out: its own reply, no other.
        let v = within(5, conn.send(&args(&["GET", "late:k"])))
            .await
            .unwrap();
        assert_eq!(v, bulk("mine"));
    }
}

/// The client replaces a retired connection: after a timeout, the next
/// commands go to a new connection and get their own replies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_moves_to_a_new_connection_after_a_timeout() {
    let server = support::Server::builder(Kind::Redis)
        .arg("enable-debug-command", "yes")
        .start();
    let client = Client::builder(&server.url())
        .unwrap()
        .response_timeout(Duration::from_millis(300))
        .build();
    for i in 0..50 {
        client
            .set(format!("m:{i}"), format!("v:{i}"))
            .await
            .unwrap();
    }
    let id_before: i64 = client.client_id().await.unwrap();
    let e = client
        .execute(&args(&["DEBUG", "SLEEP", "0.6"]))
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    let mut tasks = Vec::new();
    for i in 0..50 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            let v: Option<String> = c.get(format!("m:{i}")).reply().await?;
            Ok::<_, respec::Error>((i, v))
        }));
    }
    for t in tasks {
        // Whatever the timing, each answer is its own key's value.
        if let Ok((i, v)) = within(10, t).await.unwrap() {
            assert_eq!(v.as_deref(), Some(format!("v:{i}").as_str()));
        }
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let id_after: i64 = client.client_id().await.unwrap();
    assert_ne!(id_before, id_after, "a new connection serves the client");
    let v: Option<String> = client.get("m:7").reply().await.unwrap();
    assert_eq!(v.as_deref(), Some("v:7"));
}

/// A user whose ACL rules leave out PING still gets every reply: the
/// markers step aside on that connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_ping_still_works() {
    let server = support::Server::builder(Kind::Redis)
        .acl_user("noping", "on >pw ~* +@all -ping")
        .start();
    let url = format!("redis://noping:pw@127.0.0.1:{}", server.port());
    let client = Client::open(&url).unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.set(format!("np:{i}"), i).await?;
            let v: i64 = c.get(format!("np:{i}")).reply().await?;
            Ok::<_, respec::Error>((i, v))
        }));
    }
    for t in tasks {
        let (i, v) = within(10, t).await.unwrap().unwrap();
        assert_eq!(i, v);
    }
    let e = client.ping().await.unwrap_err();
    assert!(e.to_string().contains("NOPERM"), "{e}");
}

/// Commands that would break the line-up, or leave state every caller of
/// a shared connection inherits, are refused before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_that_break_sharing_are_refused() {
    let server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();
    for cmd in [
        &["CLIENT", "REPLY", "OFF"][..],
        &["client", "reply", "skip"],
        &["MULTI"],
        &["EXEC"],
        &["DISCARD"],
        &["WATCH", "k"],
        &["UNWATCH"],
        &["SELECT", "1"],
        &["HELLO", "2"],
        &["RESET"],
        &["AUTH", "x"],
    ] {
        let e = within(5, client.execute(&args(cmd))).await.unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{cmd:?}: {e}");
        assert!(e.to_string().contains("not sent"), "{e}");
    }
    // The generated method too.
    let e = client
        .client_reply(respec::commands::ReplyMode::Skip)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    // Harmless forms still go through.
    let hello = within(5, client.execute(&args(&["HELLO"]))).await.unwrap();
    assert!(matches!(hello, Frame::Map(_) | Frame::Array(_)));
    // A pipeline holding a whole transaction is one request: allowed.
    let mut p = Pipeline::new();
    p.add(args(&["MULTI"]))
        .add(args(&["INCR", "tx:n"]))
        .add(args(&["EXEC"]));
    let ((), queued, exec): ((), String, Vec<i64>) = p.query(&client).await.unwrap();
    assert_eq!((queued.as_str(), exec), ("QUEUED", vec![1]));
    // One that leaves the transaction open is not.
    let mut p = Pipeline::new();
    p.add(args(&["MULTI"])).add(args(&["INCR", "tx:n"]));
    let e = p.execute(&client).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    let mut p = Pipeline::new();
    p.add(args(&["CLIENT", "REPLY", "OFF"]));
    assert!(p.execute(&client).await.is_err());
    // Nothing above reached the server: the connection still lines up.
    let n: i64 = client.get("tx:n").reply().await.unwrap();
    assert_eq!(n, 1);
    // A dedicated connection may hold a transaction of its own.
    let d = client.dedicated().await.unwrap();
    d.multi().await.unwrap();
    let e = respec::executor::AsyncExecutor::execute(&*d, &args(&["CLIENT", "REPLY", "OFF"]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
}

/// A pooled connection goes back to the pool only when its user left
/// nothing behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_reuses_only_clean_connections() {
    let server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();
    let d = client.dedicated().await.unwrap();
    let id: i64 = d.client_id().await.unwrap();
    drop(d);
    assert_eq!(client.pool().idle_count(), 1);
    let d = client.dedicated().await.unwrap();
    assert_eq!(
        d.client_id().await.unwrap(),
        id,
        "a clean connection is reused"
    );
    d.watch(["pw:k"]).await.unwrap();
    drop(d);
    assert_eq!(client.pool().idle_count(), 0, "a WATCH is not handed on");
    let d = client.dedicated().await.unwrap();
    let id2: i64 = d.client_id().await.unwrap();
    assert_ne!(id2, id);
    d.watch(["pw:k"]).await.unwrap();
    d.unwatch().await.unwrap();
    drop(d);
    assert_eq!(client.pool().idle_count(), 1, "UNWATCH leaves it clean");
    // A request in flight when the user gives up: closed, not reused.
    let d = client.dedicated().await.unwrap();
    let pending = respec::executor::AsyncExecutor::execute(&*d, &args(&["BLPOP", "pw:q", "0"]));
    let _ = tokio::time::timeout(Duration::from_millis(100), pending).await;
    drop(d);
    assert_eq!(client.pool().idle_count(), 0);
    // The server let go of the BLPOP: an element pushed now stays.
    tokio::time::sleep(Duration::from_millis(200)).await;
    client.lpush("pw:q", ["x"]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(client.llen("pw:q").await.unwrap(), 1);
}

/// Blocking-ness and block time come from the spec and the arguments, for
/// generated and raw commands alike.
#[test]
fn block_times_from_the_spec() {
    use respec::Command;
    let s = Duration::from_secs_f64;
    assert_eq!(
        args(&["BLPOP", "a", "b", "1.5"]).blocks(),
        Block::For(s(1.5))
    );
    assert_eq!(args(&["blpop", "a", "0"]).blocks(), Block::Forever);
    assert_eq!(
        args(&["BLMPOP", "2", "2", "a", "b", "LEFT"]).blocks(),
        Block::For(s(2.0))
    );
    assert_eq!(args(&["WAIT", "1", "100"]).blocks(), Block::For(s(0.1)));
    assert_eq!(args(&["XREAD", "STREAMS", "s", "0"]).blocks(), Block::No);
    assert_eq!(
        args(&["XREAD", "COUNT", "1", "BLOCK", "250", "STREAMS", "s", "$"]).blocks(),
        Block::For(s(0.25))
    );
    // A stream named BLOCK is a key, not the option.
    assert_eq!(
        args(&["XREAD", "STREAMS", "BLOCK", "0"]).blocks(),
        Block::No
    );
    assert_eq!(args(&["GET", "k"]).blocks(), Block::No);
    let mut custom = args(&["MY.BLOCKING", "k"]);
    custom.set_blocking(true);
    assert_eq!(custom.blocks(), Block::Forever);
    // Generated commands.
    assert_eq!(
        respec::commands::list::blpop(["a"], 2.0).blocks(),
        Block::For(s(2.0))
    );
    assert_eq!(
        respec::commands::list::blpop(["a"], 0.0).blocks(),
        Block::Forever
    );
    assert_eq!(
        Command::blocks(&respec::commands::stream::xread(["s"], ["0"])),
        Block::No
    );
    assert_eq!(Block::For(s(2.0)).deadline(Some(s(0.5))), Some(s(2.5)));
    assert_eq!(Block::Forever.deadline(Some(s(0.5))), None);
}

/// A raw BLPOP leaves the shared connection, like the generated one, and
/// gets its own block time plus the response timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_blocking_commands_leave_the_shared_connection() {
    let server = support::server(Kind::Redis);
    let client = Client::builder(&server.url())
        .unwrap()
        .response_timeout(Duration::from_millis(500))
        .build();
    client.set("rb:k", "v").await.unwrap();
    let c = client.clone();
    let blpop = tokio::spawn(async move { c.execute(&args(&["BLPOP", "rb:q", "1.5"])).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let v: String = within(5, client.get("rb:k").reply::<String>().into_future())
        .await
        .unwrap();
    assert_eq!(v, "v");
    // Answered while the BLPOP still blocks (1.5 s): not queued behind it.
    assert!(!blpop.is_finished(), "the GET waited for the BLPOP");
    // 1.5 s of block is more than the 0.5 s response timeout: no timeout.
    let r = within(5, blpop).await.unwrap().unwrap();
    assert_eq!(r, Frame::Null);
}
