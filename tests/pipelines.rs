//! Typed pipelines against real servers: each handle reads its own
//! command's declared reply type, an error reply is its command's alone,
//! a pipeline of one reply type comes back as a `Vec`, transactions read
//! EXEC's items, a `WATCH`-aborted transaction is one outcome for the
//! whole, and a handle never reads another pipeline's replies. On Redis
//! 8.2.3 in RESP2 and RESP3, with the async, blocking and cluster clients.
//!
//! `cargo test --test pipelines`

mod support;

use std::collections::HashMap;
use std::time::Duration;

use respec::commands::{del, get, hgetall, hset, incr, incrby, lpush, lrange, set, zadd, zrange};
use respec::pipeline::Replies;
use respec::prelude::*;
use respec::{ByteStr, Cmd, ErrorKind};
use support::cluster::Cluster;
use support::Kind;

const PROTOCOLS: [&str; 2] = ["2", "3"];

async fn within<T>(secs: u64, what: &str, f: impl std::future::IntoFuture<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

/// The mixed pipeline both clients run: every command's reply read back as
/// its own type, and the WRONGTYPE in the middle seen by its handle only.
struct Mixed {
    pipe: Pipeline,
    set: respec::pipeline::Handle<()>,
    incr: respec::pipeline::Handle<i64>,
    get: respec::pipeline::Handle<Option<ByteStr>>,
    hset: respec::pipeline::Handle<i64>,
    bad: respec::pipeline::Handle<i64>,
    hgetall: respec::pipeline::Handle<HashMap<ByteStr, ByteStr>>,
    zadd: respec::pipeline::Handle<Option<i64>>,
    top: respec::pipeline::Handle<Vec<(ByteStr, f64)>>,
    members: respec::pipeline::Handle<Vec<ByteStr>>,
    lpush: respec::pipeline::Handle<i64>,
    range: respec::pipeline::Handle<Vec<ByteStr>>,
    missing: respec::pipeline::Handle<Option<ByteStr>>,
    dbsize: respec::pipeline::Handle<i64>,
}

fn mixed(p: &str) -> Mixed {
    let k = |s: &str| format!("{p}:{s}");
    let mut pipe = Pipeline::new();
    pipe.add(del([k("n"), k("name"), k("h"), k("z"), k("l")]));
    Mixed {
        set: pipe.push(set(k("name"), "ada")),
        incr: pipe.push(incrby(k("n"), 41)),
        get: pipe.push(get(k("name"))),
        hset: pipe.push(hset(k("h"), [("lang", "rust"), ("year", "2015")])),
        // INCR on a hash: WRONGTYPE, for this command alone.
        bad: pipe.push(incr(k("h"))),
        hgetall: pipe.push(hgetall(k("h"))),
        zadd: pipe.push(zadd(k("z"), [(1.5, "a"), (2.5, "b"), (0.5, "c")])),
        top: pipe.push(zrange(k("z"), 0, -1).withscores()),
        members: pipe.push(zrange(k("z"), 0, -1)),
        lpush: pipe.push(lpush(k("l"), ["x", "y", "z"])),
        range: pipe.push(lrange(k("l"), 0, -1)),
        missing: pipe.push(get(k("none"))),
        dbsize: pipe.push_as::<i64, _>(Cmd::new("DBSIZE")),
        pipe,
    }
}

fn check_mixed(m: &Mixed, mut r: Replies) {
    assert_eq!(r.len(), 14);
    // `get` reads a copy and leaves the reply; `take` moves it out.
    assert_eq!(r.get(m.incr).unwrap(), 41);
    assert_eq!(r.take(m.incr).unwrap(), 41);
    let again = r.take(m.incr).unwrap_err();
    assert_eq!(again.kind(), &ErrorKind::InvalidInput, "{again}");
    assert!(again.to_string().contains("already taken"), "{again}");
    assert_eq!(r.take(m.set).unwrap(), ());
    assert_eq!(r.take(m.get).unwrap().unwrap(), "ada");
    assert_eq!(r.take(m.hset).unwrap(), 2);
    let e = r.take(m.bad).unwrap_err();
    assert_eq!(e.code(), Some("WRONGTYPE"), "{e}");
    assert_eq!(e.command(), Some("INCR"), "{e}");
    let h = r.take(m.hgetall).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[&ByteStr::from("lang")], "rust");
    assert_eq!(h[&ByteStr::from("year")], "2015");
    assert_eq!(r.take(m.zadd).unwrap(), Some(3));
    let top = r.take(m.top).unwrap();
    let top: Vec<(String, f64)> = top.into_iter().map(|(m, s)| (m.to_string(), s)).collect();
    assert_eq!(
        top,
        vec![("c".into(), 0.5), ("a".into(), 1.5), ("b".into(), 2.5)]
    );
    assert_eq!(r.take(m.members).unwrap(), ["c", "a", "b"]);
    assert_eq!(r.take(m.lpush).unwrap(), 3);
    assert_eq!(r.take(m.range).unwrap(), ["z", "y", "x"]);
    assert_eq!(r.take(m.missing).unwrap(), None);
    assert_eq!(r.take(m.dbsize).unwrap(), 5);
}

/// An atomic pipeline: handles read EXEC's items; an error inside EXEC
/// (WRONGTYPE at run time) is that command's alone.
fn atomic(
    p: &str,
) -> (
    Pipeline,
    [respec::pipeline::Handle<i64>; 3],
    respec::pipeline::Handle<Option<ByteStr>>,
) {
    let k = |s: &str| format!("{p}:{s}");
    let mut tx = Pipeline::atomic();
    tx.add(del([k("a"), k("s")])).add(set(k("s"), "text"));
    let a = tx.push(incr(k("a")));
    let bad = tx.push(incr(k("s")));
    let b = tx.push(incrby(k("a"), 10));
    let s = tx.push(get(k("s")));
    (tx, [a, bad, b], s)
}

fn check_atomic(
    hs: &[respec::pipeline::Handle<i64>; 3],
    s: respec::pipeline::Handle<Option<ByteStr>>,
    mut r: Replies,
) {
    assert_eq!(r.take(hs[0]).unwrap(), 1);
    let e = r.take(hs[1]).unwrap_err();
    assert!(e.to_string().contains("not an integer"), "{e}");
    assert_eq!(e.command(), Some("INCR"));
    assert_eq!(r.take(hs[2]).unwrap(), 11);
    assert_eq!(r.take(s).unwrap().unwrap(), "text");
}

/// Handles of one pipeline are refused by another's replies, by a clone's
/// and after `clear`.
fn check_refusals(
    mine: &Pipeline,
    theirs: Replies,
    clone_replies: Replies,
    h: respec::pipeline::Handle<i64>,
) {
    for (what, r) in [("another pipeline", theirs), ("a clone", clone_replies)] {
        let e = r.get(h).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{what}: {e}");
        assert!(e.to_string().contains("another pipeline"), "{what}: {e}");
    }
    assert_eq!(mine.len(), 1);
}

#[tokio::test]
async fn handles_read_each_commands_own_type_async() {
    let server = support::server(Kind::Redis);
    for proto in PROTOCOLS {
        let client = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        client.flushdb().await.unwrap();
        let m = mixed(&format!("mixed{proto}"));
        let r = within(10, "pipeline", m.pipe.run(&client)).await.unwrap();
        check_mixed(&m, r);
        // The same pipeline runs again: the handles read every run.
        let mut r = within(10, "again", m.pipe.run(&client)).await.unwrap();
        assert_eq!(r.take(m.incr).unwrap(), 41);
        // The untyped forms still read the same pipeline.
        let raw = within(10, "execute", m.pipe.execute(&client))
            .await
            .unwrap();
        assert_eq!(raw.len(), 14);
        assert_eq!(raw[2].as_ref().unwrap(), &respec::Frame::Integer(41));
        assert!(raw[5].is_err());
    }
}

#[tokio::test]
async fn errors_name_their_command_as_the_specs_spell_it() {
    let server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();
    client.set("names:s", "text").await.unwrap();
    let mut pipe = Pipeline::new();
    pipe.add(Cmd::from_args(["incr", "names:s"]).unwrap())
        .add(Cmd::from_args(["client", "kill", "id", "not-a-number"]).unwrap())
        .add(incr("names:s"))
        .add(Cmd::from_args(["get", "names:s"]).unwrap())
        .add(Cmd::from_args(["nosuchcommand", "x"]).unwrap());
    let results = within(10, "pipeline", pipe.execute(&client)).await.unwrap();
    let command = |i: usize| {
        results[i]
            .as_ref()
            .unwrap_err()
            .command()
            .map(str::to_string)
    };
    assert_eq!(command(0).as_deref(), Some("INCR"));
    assert_eq!(command(1).as_deref(), Some("CLIENT KILL"));
    assert_eq!(command(2).as_deref(), Some("INCR"));
    assert!(results[3].is_ok());
    assert_eq!(command(4).as_deref(), Some("NOSUCHCOMMAND"));

    // A reply that does not convert names its command too.
    let mut typed = respec::pipeline::TypedPipeline::<i64>::new();
    typed.push(incr("names:n"));
    typed.push(get("names:s").reply::<i64>());
    let results = within(10, "typed", typed.run(&client)).await.unwrap();
    assert_eq!(results[0].as_ref().unwrap(), &1);
    let e = results[1].as_ref().unwrap_err();
    assert_eq!(e.command(), Some("GET"), "{e}");
    client.del(["names:s", "names:n"]).await.unwrap();
}

#[tokio::test]
async fn one_reply_type_pipeline_of_1000_commands_async() {
    let server = support::server(Kind::Redis);
    for proto in PROTOCOLS {
        let client = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        client.flushdb().await.unwrap();
        client.set("c:500", "not a number").await.unwrap();
        let counters: TypedPipeline<i64> = (0..1000).map(|i| incrby(format!("c:{i}"), i)).collect();
        assert_eq!(counters.len(), 1000);
        for round in 1..=2 {
            let got = within(20, "1000 commands", counters.run(&client))
                .await
                .unwrap();
            assert_eq!(got.len(), 1000);
            for (i, r) in got.iter().enumerate() {
                if i == 500 {
                    let e = r.as_ref().unwrap_err();
                    assert!(e.to_string().contains("not an integer"), "{e}");
                } else {
                    assert_eq!(r.as_ref().unwrap(), &(i as i64 * round), "command {i}");
                }
            }
        }
        // All or nothing: the one error fails the collected Vec.
        let all: respec::Result<Vec<i64>> = within(20, "collect", counters.run(&client))
            .await
            .unwrap()
            .into_iter()
            .collect();
        assert!(all.unwrap_err().to_string().contains("not an integer"));
        // A builder that switches the reply type keeps the Vec typed.
        let mut boards: TypedPipeline<Vec<(ByteStr, f64)>> = TypedPipeline::new();
        for b in 0..3 {
            client
                .zadd(format!("b:{b}"), [(b as f64, "m")])
                .await
                .unwrap();
            boards.push(zrange(format!("b:{b}"), 0, -1).withscores());
        }
        let got = within(10, "boards", boards.run(&client)).await.unwrap();
        for (b, r) in got.into_iter().enumerate() {
            let r = r.unwrap();
            assert_eq!(r.len(), 1);
            assert_eq!((r[0].0.to_string(), r[0].1), ("m".to_string(), b as f64));
        }
        // An atomic one reads EXEC's items.
        let mut tx: TypedPipeline<i64> = TypedPipeline::atomic();
        tx.extend((0..3).map(|_| incr("tx:n")));
        let got: Vec<i64> = within(10, "atomic", tx.run(&client))
            .await
            .unwrap()
            .into_iter()
            .collect::<respec::Result<_>>()
            .unwrap();
        assert_eq!(got, [1, 2, 3]);
    }
}

#[tokio::test]
async fn atomic_pipeline_and_watch_abort_async() {
    let server = support::server(Kind::Redis);
    for proto in PROTOCOLS {
        let url = format!("{}?protocol={proto}", server.url());
        let client = Client::open(&url).unwrap();
        let other = Client::open(&url).unwrap();
        let (tx, hs, s) = atomic(&format!("tx{proto}"));
        let r = within(10, "MULTI", tx.run(&client)).await.unwrap();
        check_atomic(&hs, s, r);
        // A command the server rejects while queueing: the whole
        // transaction is discarded, which is `run`'s error.
        let mut bad = Pipeline::atomic();
        let n = bad.push(incr("tx:x"));
        bad.add(Cmd::new("INCR"));
        let e = within(10, "EXECABORT", bad.run(&client)).await.unwrap_err();
        assert_eq!(e.code(), Some("EXECABORT"), "{e}");
        assert!(e.to_string().contains("command #2 (INCR)"), "{e}");
        let _ = n;

        // WATCH: a watched key changed, so EXEC ran nothing. That is the
        // transaction's outcome, not any command's error.
        let key = format!("w{proto}");
        client.set(key.as_str(), 1).await.unwrap();
        let conn = client.dedicated().await.unwrap();
        within(
            10,
            "WATCH",
            conn.send(&respec::commands::watch([key.as_str()])),
        )
        .await
        .unwrap();
        other.set(key.as_str(), 100).await.unwrap();
        let mut tx = Pipeline::atomic();
        let after = tx.push(incr(key.as_str()));
        let e = within(10, "EXEC", tx.run(&conn)).await.unwrap_err();
        assert!(e.is_transaction_aborted(), "{e}");
        assert_eq!(e.kind(), &ErrorKind::TransactionAborted);
        assert_eq!(client.get(key.as_str()).await.unwrap().unwrap(), "100");
        // Again with nothing changed in between: it commits.
        within(
            10,
            "WATCH",
            conn.send(&respec::commands::watch([key.as_str()])),
        )
        .await
        .unwrap();
        let mut r = within(10, "EXEC", tx.run(&conn)).await.unwrap();
        assert_eq!(r.take(after).unwrap(), 101);
        drop(conn);

        // The retrying helper: the first attempt is spoiled by another
        // client; the second commits and its replies are typed.
        let mut attempts = 0;
        let (mut r, (doubled, read)) = within(
            10,
            "transact",
            client.transact(&[key.as_str()], 5, |conn| {
                attempts += 1;
                let (other, key, first) = (other.clone(), key.clone(), attempts == 1);
                async move {
                    let n: i64 = conn
                        .get(key.as_str())
                        .reply::<Option<i64>>()
                        .await?
                        .unwrap_or(0);
                    if first {
                        other.set(key.as_str(), 7).await?;
                    }
                    let mut tx = Pipeline::atomic();
                    let doubled = tx.push(set(key.as_str(), n * 2).get());
                    let read = tx.push(get(key.as_str()).reply::<i64>());
                    Ok((tx, (doubled, read)))
                }
            }),
        )
        .await
        .unwrap();
        assert_eq!(attempts, 2);
        assert_eq!(r.take(doubled).unwrap().unwrap(), "7");
        assert_eq!(r.take(read).unwrap(), 14);
    }
}

#[tokio::test]
async fn a_handle_of_another_pipeline_is_refused_async() {
    let server = support::server(Kind::Redis);
    let client = Client::open(&server.url()).unwrap();
    let mut mine = Pipeline::new();
    let h = mine.push(incr("ref:n"));
    let mut theirs = Pipeline::new();
    let _other = theirs.push(incr("ref:m"));
    let clone = mine.clone();
    let theirs = within(10, "theirs", theirs.run(&client)).await.unwrap();
    let clone_replies = within(10, "clone", clone.run(&client)).await.unwrap();
    check_refusals(&mine, theirs, clone_replies, h);
    // Its own replies read it.
    assert_eq!(
        within(10, "mine", mine.run(&client))
            .await
            .unwrap()
            .take(h)
            .unwrap(),
        2
    );
    // After `clear`, the old handle is refused even at the same place.
    mine.clear();
    let _new = mine.push(get("ref:n"));
    let r = within(10, "cleared", mine.run(&client)).await.unwrap();
    let e = r.get(h).unwrap_err();
    assert!(e.to_string().contains("another pipeline"), "{e}");
}

#[test]
fn blocking_client_equivalents() {
    let server = support::server(Kind::Redis);
    for proto in PROTOCOLS {
        let url = format!("{}?protocol={proto}", server.url());
        let client = respec::blocking::Client::open(&url).unwrap();
        client.flushdb().run().unwrap();
        // Mixed types, WRONGTYPE in the middle.
        let m = mixed(&format!("bmixed{proto}"));
        check_mixed(&m, m.pipe.run_blocking(&client).unwrap());
        // 1,000 commands of one reply type.
        let counters: TypedPipeline<i64> =
            (0..1000).map(|i| incrby(format!("bc:{i}"), i)).collect();
        let got: Vec<i64> = counters
            .run_blocking(&client)
            .unwrap()
            .into_iter()
            .collect::<respec::Result<_>>()
            .unwrap();
        assert_eq!(got, (0..1000).collect::<Vec<i64>>());
        // Atomic.
        let (tx, hs, s) = atomic(&format!("btx{proto}"));
        check_atomic(&hs, s, tx.run_blocking(&client).unwrap());
        // WATCH aborted, then committed, on one connection.
        let key = format!("bw{proto}");
        client.set(key.as_str(), 1).run().unwrap();
        let other = respec::blocking::Client::open(&url).unwrap();
        let mut tx = Pipeline::atomic();
        let after = tx.push(incr(key.as_str()));
        let (aborted, committed, watched_on) = client
            .with_connection(|conn| {
                conn.send(&respec::commands::watch([key.as_str()]))?;
                other.set(key.as_str(), 100).run()?;
                let aborted = tx.run_blocking(&mut *conn).map(|_| ());
                conn.send(&respec::commands::watch([key.as_str()]))?;
                let committed = tx.run_blocking(&mut *conn);
                Ok((aborted, committed, conn.id()))
            })
            .unwrap();
        // EXEC ended the WATCH, so the connection went back for reuse.
        assert_eq!(client.with_connection(|c| Ok(c.id())).unwrap(), watched_on);
        let e = aborted.unwrap_err();
        assert!(e.is_transaction_aborted(), "{e}");
        assert_eq!(committed.unwrap().take(after).unwrap(), 101);
        // Another pipeline's handle: refused.
        let mut mine = Pipeline::new();
        let h = mine.push(incr("bref:n"));
        let mut theirs = Pipeline::new();
        let _other = theirs.push(incr("bref:m"));
        let clone = mine.clone();
        check_refusals(
            &mine,
            theirs.run_blocking(&client).unwrap(),
            clone.run_blocking(&client).unwrap(),
            h,
        );
        assert_eq!(mine.run_blocking(&client).unwrap().take(h).unwrap(), 2);
    }
}

/// On a cluster: handles over commands on every primary, a 1,000-command
/// Vec, a transaction in one slot; RESP2 and RESP3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_pipeline_is_typed_too() {
    let cluster = Cluster::start(Kind::Redis, 3, 0);
    for proto in PROTOCOLS {
        let urls: Vec<String> = cluster
            .seed_urls()
            .iter()
            .map(|u| format!("{u}?protocol={proto}"))
            .collect();
        let client = respec::cluster::ClusterClient::open(&urls.join(",")).unwrap();
        let mut pipe = Pipeline::new();
        let sets: Vec<_> = (0..30)
            .map(|i| pipe.push(set(format!("cl{proto}:{i}"), i)))
            .collect();
        pipe.add(del([format!("cl{proto}:h")]));
        let fields = pipe.push(hset(format!("cl{proto}:h"), [("f", "v")]));
        let bad = pipe.push(incr(format!("cl{proto}:h")));
        let gets: Vec<_> = (0..30)
            .map(|i| pipe.push(get(format!("cl{proto}:{i}")).reply::<i64>()))
            .collect();
        let mut r = within(20, "cluster pipeline", pipe.run(&client))
            .await
            .unwrap();
        for h in sets {
            assert_eq!(r.take(h).unwrap(), ());
        }
        assert_eq!(r.take(fields).unwrap(), 1);
        let e = r.take(bad).unwrap_err();
        assert_eq!(e.code(), Some("WRONGTYPE"), "{e}");
        for (i, h) in gets.into_iter().enumerate() {
            assert_eq!(r.take(h).unwrap(), i as i64);
        }
        let counters: TypedPipeline<i64> = (0..1000)
            .map(|i| incrby(format!("clc{proto}:{i}"), i))
            .collect();
        let got: Vec<i64> = within(30, "1000 on a cluster", counters.run(&client))
            .await
            .unwrap()
            .into_iter()
            .collect::<respec::Result<_>>()
            .unwrap();
        assert_eq!(got, (0..1000).collect::<Vec<i64>>());
        let (tx, hs, s) = atomic(&format!("{{cltx{proto}}}"));
        check_atomic(
            &hs,
            s,
            within(10, "cluster MULTI", tx.run(&client)).await.unwrap(),
        );
    }
    drop(cluster);
}

/// The futures of `run` can move between threads (`tokio::spawn`).
#[allow(dead_code)]
fn run_futures_are_send(
    client: &Client,
    cluster: &respec::cluster::ClusterClient,
    pipe: &Pipeline,
    typed: &TypedPipeline<i64>,
) {
    fn send<T: Send>(_: T) {}
    send(pipe.run(client));
    send(pipe.run(cluster));
    send(typed.run(client));
}
