//! Binary-safe default replies. Every command whose declared reply holds a
//! value, key, field, member or a name a client chose (a `bulk` in
//! `commands-spec/replies/`) stores bytes that are not UTF-8
//! (`b"\xff\xfe\x00bin"` and friends) and reads them back through the
//! generated method's default type, byte for byte: on Redis 8.2.3 in RESP2
//! and RESP3, and the same calls on Valkey 9.1.2. The test reads the reply
//! table and fails when a command with a `bulk` reply is neither run here
//! nor listed with its reason.
//!
//! Deprecated commands (`GEORADIUS`, `BRPOPLPUSH`, ...) are covered too.
#![allow(deprecated)]

mod support;

use std::collections::{BTreeSet, HashMap, HashSet};

use respec::commands::*;
use respec::prelude::*;
use respec::records::{GroupEntry, StreamEntry, StreamRead};
use support::Kind;

type Seen = BTreeSet<&'static str>;

/// Not UTF-8: two bytes that never start a sequence, a NUL, then text.
const BIN: &[u8] = b"\xff\xfe\x00bin";

/// Commands with a `bulk` reply that this test does not run, and why.
const NOT_COVERED: &[(&str, &str)] = &[];

/// Commands of the Valkey table with a `bulk` reply, and why they are not
/// run (the crate is generated from the Redis specs unless
/// `RESPEC_SERVER=valkey`).
const VALKEY_ONLY: &[(&str, &str)] = &[
    (
        "SCRIPT SHOW",
        "generated only under RESPEC_SERVER=valkey: read here as ByteStr through a raw command (script_show)",
    ),
    ("CLUSTERSCAN", "a Valkey cluster command: needs a Valkey cluster"),
];

/// `BIN:tag`: a key, field or member that is not UTF-8.
fn key(tag: &str) -> ByteStr {
    [BIN, b":", tag.as_bytes()].concat().into()
}

/// A value that is not UTF-8 and differs from every key: a lone
/// continuation byte, the tag, a split two-byte sequence, a NUL.
fn val(tag: &str) -> ByteStr {
    [b"\x80", tag.as_bytes(), b"\xc3\x00", BIN].concat().into()
}

/// A sorted-set member.
fn m(i: u8) -> ByteStr {
    key(&format!("m{i}"))
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// `needle` occurs in `hay`.
fn has(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

async fn strings(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "SET", "GET", "GETRANGE", "SUBSTR", "GETSET", "GETEX", "GETDEL", "MGET", "ECHO", "PING",
    ]);
    let (k, v1, v2) = (key("s"), val("1"), val("2"));
    assert_eq!(c.set(&k, &v1).await?, ());
    let got = c.get(&k).await?.expect("just set");
    assert_eq!(got, v1);
    assert_eq!(got.as_str(), None);
    // What the default type replaced: a String refuses these bytes.
    let e = c.get(&k).reply::<String>().await.unwrap_err();
    assert!(e.to_string().contains("not UTF-8"), "{e}");
    // A range that splits a multi-byte character.
    let text = key("text");
    c.set(&text, "h\u{e9}llo").await?;
    assert_eq!(c.getrange(&text, 0, 1).await?, b"h\xc3");
    assert_eq!(c.substr(&text, 2, 4).await?, b"\xa9ll");
    assert_eq!(c.getset(&k, &v2).await?, Some(v1.clone()));
    assert_eq!(c.getex(&k).persist().await?, Some(v2.clone()));
    // A value read is written back as an argument, unchanged.
    assert_eq!(c.set(&k, got).get().await?, Some(v2.clone()));
    assert_eq!(
        c.mget([&k, &key("none")]).await?,
        vec![Some(v1.clone()), None]
    );
    assert_eq!(c.getdel(&k).await?, Some(v1.clone()));
    assert_eq!(c.get(&k).await?, None);
    assert_eq!(c.echo(BIN).await?, BIN);
    assert_eq!(c.ping().message(&v2).await?, v2);
    // A status line stays a String.
    let pong: String = c.ping().await?;
    assert_eq!(pong, "PONG");

    seen.extend([
        "LCS",
        "DUMP",
        "RESTORE",
        "BITOP",
        "PFADD",
        "OBJECT ENCODING",
    ]);
    let (a, b) = (key("lcs:a"), key("lcs:b"));
    c.set(&a, &b"\xff\xfe\x00AB\x80"[..]).await?;
    c.set(&b, &b"X\xff\xfe\x00B\x80"[..]).await?;
    assert_eq!(c.lcs(&a, &b).await?, b"\xff\xfe\x00B\x80");
    // DUMP was binary already; its payload restores the exact bytes.
    c.set(&k, &v1).await?;
    let dumped = c.dump(&k).await?.expect("the key exists");
    c.restore(key("restored"), 0, dumped).await?;
    assert_eq!(c.get(key("restored")).await?, Some(v1.clone()));
    // A bitmap after BITOP NOT.
    let (bits, not) = (key("bits"), key("not"));
    c.set(&bits, &b"\x0f\x00"[..]).await?;
    assert_eq!(c.bitop(BitOperation::Not, &not, [&bits]).await?, 2);
    assert_eq!(c.get(&not).await?, Some(b"\xf0\xff"[..].into()));
    // A HyperLogLog read with GET, and written back.
    let (hll, copy) = (key("hll"), key("hll:copy"));
    c.pfadd(&hll).element(["a", "b"]).await?;
    let raw = c.get(&hll).await?.expect("the HyperLogLog exists");
    assert!(raw.starts_with(b"HYLL"), "{raw:?}");
    assert_eq!(raw, c.get(&hll).reply::<Vec<u8>>().await?);
    c.set(&copy, &raw).await?;
    assert_eq!(c.get(&copy).await?, Some(raw));
    // (PFCOUNT caches the count in the header: compare before it.)
    assert_eq!(c.pfcount([&copy]).await?, 2);
    // Text the server makes stays a String, whatever the data.
    let encoding: Option<String> = c.object_encoding(&k).await?;
    assert_eq!(encoding.as_deref(), Some("embstr"));
    Ok(())
}

async fn keys(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend(["RANDOMKEY", "KEYS", "SCAN", "SORT", "SORT_RO"]);
    // The only key of the database.
    let only = key("only");
    c.set(&only, "x").await?;
    assert_eq!(c.randomkey().await?, Some(only.clone()));
    let names = [key("k1"), key("k2"), key("k3")];
    for n in &names {
        c.set(n, "x").await?;
    }
    let pattern: ByteStr = [BIN, b":k*"].concat().into();
    assert_eq!(sorted(c.keys(&pattern).await?), names);
    let mut found = Vec::new();
    let mut cursor = 0;
    loop {
        let (next, batch) = c.scan(cursor).match_(&pattern).count(100).await?;
        found.extend(batch);
        cursor = next.parse().expect("a cursor is a number");
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(sorted(found), names);
    let list = key("sort");
    c.rpush(&list, [val("c"), val("a"), val("b")]).await?;
    assert_eq!(
        c.sort(&list).by("nosort").await?,
        [Some(val("c")), Some(val("a")), Some(val("b"))]
    );
    assert_eq!(
        c.sort_ro(&list).by("nosort").limit(1, 1).await?,
        [Some(val("a"))]
    );
    Ok(())
}

async fn hashes(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "HSET",
        "HGET",
        "HMGET",
        "HGETALL",
        "HKEYS",
        "HVALS",
        "HRANDFIELD",
        "HSCAN",
        "HGETEX",
        "HGETDEL",
    ]);
    let h = key("hash");
    let (f1, f2) = (key("f1"), key("f2"));
    let (v1, v2) = (val("1"), val("2"));
    c.hset(&h, [(&f1, &v1), (&f2, &v2)]).await?;
    assert_eq!(c.hget(&h, &f1).await?, Some(v1.clone()));
    assert_eq!(
        c.hmget(&h, [&f2, &key("none")]).await?,
        [Some(v2.clone()), None]
    );
    let all = c.hgetall(&h).await?;
    assert_eq!(
        all,
        HashMap::from([(f1.clone(), v1.clone()), (f2.clone(), v2.clone())])
    );
    assert_eq!(all[&f1[..]], v1);
    assert_eq!(sorted(c.hkeys(&h).await?), [f1.clone(), f2.clone()]);
    assert_eq!(sorted(c.hvals(&h).await?), [v1.clone(), v2.clone()]);
    let one = c.hrandfield(&h).await?.expect("the hash exists");
    assert!(one == f1 || one == f2, "{one:?}");
    assert_eq!(
        sorted(c.hrandfield(&h).count(2).await?),
        [f1.clone(), f2.clone()]
    );
    assert_eq!(
        sorted(c.hrandfield(&h).count(2).withvalues().await?),
        [(f1.clone(), v1.clone()), (f2.clone(), v2.clone())]
    );
    let (cursor, map) = c.hscan(&h, 0).await?;
    assert_eq!((cursor.as_str(), map), ("0", all));
    let (_, fields) = c.hscan(&h, 0).novalues().await?;
    assert_eq!(sorted(fields), [f1.clone(), f2.clone()]);
    assert_eq!(
        c.hgetex(&h, [&f1, &key("none")]).persist().await?,
        [Some(v1.clone()), None]
    );
    assert_eq!(c.hgetdel(&h, [&f2]).await?, [Some(v2.clone())]);
    Ok(())
}

async fn lists(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "RPUSH",
        "LRANGE",
        "LINDEX",
        "LPOP",
        "RPOP",
        "LMOVE",
        "RPOPLPUSH",
        "LMPOP",
        "BLPOP",
        "BRPOP",
        "BLMOVE",
        "BRPOPLPUSH",
        "BLMPOP",
    ]);
    let (l, other) = (key("list"), key("list:2"));
    let items: Vec<ByteStr> = (0..12).map(|i| val(&i.to_string())).collect();
    c.rpush(&l, &items).await?;
    assert_eq!(c.lrange(&l, 0, -1).await?, items);
    assert_eq!(c.lindex(&l, 3).await?, Some(items[3].clone()));
    assert_eq!(c.lpop(&l).await?, Some(items[0].clone()));
    assert_eq!(c.rpop(&l).await?, Some(items[11].clone()));
    assert_eq!(c.lpop(&l).count(2).await?, Some(items[1..3].to_vec()));
    assert_eq!(c.rpop(&l).count(1).await?, Some(vec![items[10].clone()]));
    assert_eq!(
        c.lmove(&l, &other, Side::Left, Side::Right).await?,
        Some(items[3].clone())
    );
    assert_eq!(c.rpoplpush(&l, &other).await?, Some(items[9].clone()));
    assert_eq!(
        c.lmpop([&key("none"), &l], Side::Left).await?,
        Some((l.clone(), vec![items[4].clone()]))
    );
    assert_eq!(
        c.blpop([&l], 1.0).await?,
        Some((l.clone(), items[5].clone()))
    );
    assert_eq!(
        c.brpop([&l], 1.0).await?,
        Some((l.clone(), items[8].clone()))
    );
    assert_eq!(
        c.blmove(&l, &other, Side::Right, Side::Left, 1.0).await?,
        Some(items[7].clone())
    );
    assert_eq!(c.brpoplpush(&l, &other, 1.0).await?, Some(items[6].clone()));
    assert_eq!(
        c.blmpop(1.0, [&other], Side::Left).count(10).await?,
        Some((
            other.clone(),
            vec![
                items[6].clone(),
                items[7].clone(),
                items[9].clone(),
                items[3].clone()
            ]
        ))
    );
    Ok(())
}

async fn sets(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "SADD",
        "SMEMBERS",
        "SINTER",
        "SUNION",
        "SDIFF",
        "SRANDMEMBER",
        "SPOP",
        "SSCAN",
    ]);
    let (a, b) = (key("set:a"), key("set:b"));
    let (m1, m2, m3) = (key("m1"), key("m2"), key("m3"));
    c.sadd(&a, [&m1, &m2]).await?;
    c.sadd(&b, [&m2, &m3]).await?;
    assert_eq!(
        c.smembers(&a).await?,
        HashSet::from([m1.clone(), m2.clone()])
    );
    assert_eq!(c.sinter([&a, &b]).await?, HashSet::from([m2.clone()]));
    assert_eq!(
        c.sunion([&a, &b]).await?,
        HashSet::from([m1.clone(), m2.clone(), m3.clone()])
    );
    assert_eq!(c.sdiff([&a, &b]).await?, HashSet::from([m1.clone()]));
    let one = c.srandmember(&a).await?.expect("the set exists");
    assert!(one == m1 || one == m2, "{one:?}");
    assert_eq!(
        sorted(c.srandmember(&a).count(2).await?),
        [m1.clone(), m2.clone()]
    );
    let (cursor, members) = c.sscan(&b, 0).await?;
    assert_eq!(
        (cursor.as_str(), sorted(members)),
        ("0", vec![m2.clone(), m3.clone()])
    );
    let popped = c.spop(&b).await?.expect("the set exists");
    assert!(popped == m2 || popped == m3, "{popped:?}");
    assert_eq!(c.spop(&a).count(5).await?, HashSet::from([m1, m2]));
    Ok(())
}

async fn sorted_sets(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "ZADD",
        "ZRANGE",
        "ZREVRANGE",
        "ZRANGEBYSCORE",
        "ZREVRANGEBYSCORE",
        "ZRANGEBYLEX",
        "ZREVRANGEBYLEX",
        "ZRANDMEMBER",
        "ZSCAN",
        "ZINTER",
        "ZUNION",
        "ZDIFF",
    ]);
    let (z, lex) = (key("z"), key("z:lex"));
    c.zadd(&z, [(1.0, m(1)), (2.0, m(2)), (3.0, m(3))]).await?;
    assert_eq!(c.zrange(&z, "0", "-1").await?, [m(1), m(2), m(3)]);
    assert_eq!(
        c.zrange(&z, "0", "1").withscores().await?,
        [(m(1), 1.0), (m(2), 2.0)]
    );
    assert_eq!(c.zrevrange(&z, 0, 0).await?, [m(3)]);
    assert_eq!(c.zrangebyscore(&z, 2.0, 3.0).await?, [m(2), m(3)]);
    assert_eq!(
        c.zrangebyscore(&z, 3.0, 3.0).withscores().await?,
        [(m(3), 3.0)]
    );
    assert_eq!(c.zrevrangebyscore(&z, 2.0, 1.0).await?, [m(2), m(1)]);
    c.zadd(&lex, [(0.0, m(1)), (0.0, m(2)), (0.0, m(3))])
        .await?;
    // A lexicographic bound that is not UTF-8 either.
    let from: ByteStr = [b"[", &m(2)[..]].concat().into();
    assert_eq!(c.zrangebylex(&lex, &from, "+").await?, [m(2), m(3)]);
    assert_eq!(c.zrevrangebylex(&lex, "+", &from).await?, [m(3), m(2)]);
    let one = c.zrandmember(&z).await?.expect("the set exists");
    assert!([m(1), m(2), m(3)].contains(&one), "{one:?}");
    assert_eq!(
        sorted(c.zrandmember(&z).count(3).await?),
        [m(1), m(2), m(3)]
    );
    let mut scored = c.zrandmember(&z).count(3).withscores().await?;
    scored.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(scored, [(m(1), 1.0), (m(2), 2.0), (m(3), 3.0)]);
    let (cursor, items) = c.zscan(&z, 0).await?;
    assert_eq!(cursor, "0");
    assert_eq!(items, [(m(1), 1.0), (m(2), 2.0), (m(3), 3.0)]);
    assert_eq!(c.zinter([&z, &lex]).await?, [m(1), m(2), m(3)]);
    assert_eq!(c.zunion([&z, &lex]).await?, [m(1), m(2), m(3)]);
    assert_eq!(
        c.zinter([&z, &lex]).withscores().await?,
        [(m(1), 1.0), (m(2), 2.0), (m(3), 3.0)]
    );
    c.zrem(&lex, [m(3)]).await?;
    assert_eq!(c.zdiff([&z, &lex]).await?, [m(3)]);

    seen.extend([
        "ZPOPMIN", "ZPOPMAX", "ZMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP",
    ]);
    c.zadd(&z, [(4.0, m(4))]).await?;
    assert_eq!(c.zpopmin(&z).await?, [(m(1), 1.0)]);
    assert_eq!(c.zpopmax(&z).await?, [(m(4), 4.0)]);
    assert_eq!(
        c.zmpop([&key("none"), &z], MinMax::Min).await?,
        Some((z.clone(), vec![(m(2), 2.0)]))
    );
    assert_eq!(
        c.bzpopmin([&lex], 1.0).await?,
        Some((lex.clone(), m(1), 0.0))
    );
    assert_eq!(c.bzpopmax([&z], 1.0).await?, Some((z.clone(), m(3), 3.0)));
    assert_eq!(
        c.bzmpop(1.0, [&lex], MinMax::Max).await?,
        Some((lex.clone(), vec![(m(2), 0.0)]))
    );
    Ok(())
}

async fn geo(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "GEOADD",
        "GEOSEARCH",
        "GEORADIUS",
        "GEORADIUS_RO",
        "GEORADIUSBYMEMBER",
        "GEORADIUSBYMEMBER_RO",
    ]);
    let g = key("geo");
    let (palermo, catania) = (key("Palermo"), key("Catania"));
    c.geoadd(
        &g,
        [
            (13.361389, 38.115556, &palermo),
            (15.087269, 37.502669, &catania),
        ],
    )
    .await?;
    let by = || GeosearchBy::circle(200.0, GeoUnit::Km);
    assert_eq!(
        c.geosearch(&g, GeosearchFrom::lonlat(15.0, 37.0), by())
            .asc()
            .await?,
        [catania.clone(), palermo.clone()]
    );
    let near = c
        .geosearch(&g, GeosearchFrom::Member(palermo.clone().into()), by())
        .asc()
        .withdist()
        .await?;
    assert_eq!((&near[0].member, near[0].distance), (&palermo, Some(0.0)));
    assert_eq!(near[1].member, catania);
    assert_eq!(
        c.georadius(&g, 15.0, 37.0, 200.0, GeoUnit::Km)
            .asc()
            .await?,
        [catania.clone(), palermo.clone()]
    );
    assert_eq!(
        c.georadius_ro(&g, 15.0, 37.0, 100.0, GeoUnit::Km).await?,
        [key("Catania")]
    );
    assert_eq!(
        c.georadiusbymember(&g, &palermo, 10.0, GeoUnit::Km).await?,
        [key("Palermo")]
    );
    let with_hash = c
        .georadiusbymember_ro(&g, &catania, 10.0, GeoUnit::Km)
        .withhash()
        .await?;
    assert_eq!(with_hash[0].member, catania);
    assert!(with_hash[0].hash.is_some());
    Ok(())
}

async fn streams(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "XADD",
        "XRANGE",
        "XREVRANGE",
        "XREAD",
        "XGROUP CREATE",
        "XREADGROUP",
        "XPENDING",
        "XCLAIM",
        "XAUTOCLAIM",
    ]);
    let x = key("stream");
    let (f, v) = (key("field"), val("value"));
    // The ID is text the server makes: a String.
    let id: String = c
        .xadd(&x, "1-1", [(&f, &v)])
        .await?
        .expect("the stream is created");
    assert_eq!(id, "1-1");
    c.xadd(&x, "2-1", [(&v, &f)]).await?;
    let first = StreamEntry {
        id: id.clone(),
        fields: vec![(f.clone(), v.clone())],
    };
    let second = StreamEntry {
        id: "2-1".into(),
        fields: vec![(v.clone(), f.clone())],
    };
    assert_eq!(
        c.xrange(&x, "-", "+").await?,
        [first.clone(), second.clone()]
    );
    assert_eq!(
        c.xrevrange(&x, "+", "-").count(1).await?,
        vec![second.clone()]
    );
    let read = c.xread([&x], ["1-1"]).await?.expect("one stream");
    assert_eq!(
        read,
        [StreamRead {
            key: x.clone(),
            entries: vec![second.clone()]
        }]
    );
    c.xgroup_create(&x, "g", "0").await?;
    let (alice, bob) = (key("alice"), key("bob"));
    let got = c
        .xreadgroup("g", &alice, [&x], [">"])
        .await?
        .expect("new entries");
    assert_eq!(got[0].key, x);
    let delivered = |e: &StreamEntry| GroupEntry {
        id: e.id.clone(),
        fields: Some(e.fields.clone()),
    };
    assert_eq!(got[0].entries, [delivered(&first), delivered(&second)]);
    let summary = c.xpending(&x, "g").await?;
    assert_eq!(
        (
            summary.count,
            summary.min_id.as_deref(),
            summary.max_id.as_deref()
        ),
        (2, Some("1-1"), Some("2-1"))
    );
    assert_eq!(summary.consumers, vec![(alice.clone(), 2)]);
    let detail = c.xpending(&x, "g").filters("-", "+", 10).await?;
    assert_eq!(
        (detail[0].id.as_str(), &detail[0].consumer),
        ("1-1", &alice)
    );
    assert_eq!(
        c.xclaim(&x, "g", &bob, "0", ["1-1"]).await?,
        [Some(first.clone())]
    );
    let claimed = c.xautoclaim(&x, "g", &alice, "0", "0").await?;
    assert_eq!(claimed.next, "0-0");
    assert_eq!(claimed.claimed, [first, second]);
    assert!(claimed.deleted.is_empty());
    Ok(())
}

async fn pubsub(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "PUBSUB CHANNELS",
        "PUBSUB NUMSUB",
        "PUBSUB SHARDCHANNELS",
        "PUBSUB SHARDNUMSUB",
    ]);
    let (channel, shard) = (key("channel"), key("shard"));
    let mut sub = c.subscriber().await?;
    sub.subscribe([&channel]).await?;
    sub.ssubscribe([&shard]).await?;
    let pattern: ByteStr = [BIN, b":*"].concat().into();
    assert_eq!(
        c.pubsub_channels().pattern(&pattern).await?,
        [key("channel")]
    );
    assert_eq!(
        c.pubsub_numsub().channel([&channel]).await?,
        HashMap::from([(channel.clone(), 1)])
    );
    assert_eq!(
        c.pubsub_shardchannels().pattern(&pattern).await?,
        [key("shard")]
    );
    assert_eq!(
        c.pubsub_shardnumsub().shardchannel([&shard]).await?,
        HashMap::from([(shard.clone(), 1)])
    );
    Ok(())
}

/// User names, config values, error codes and keys that are not UTF-8 in
/// the server's own replies.
async fn server(c: &Client, seen: &mut Seen) -> respec::Result<()> {
    seen.extend([
        "CONFIG GET",
        "COMMAND GETKEYS",
        "COMMAND GETKEYSANDFLAGS",
        "ACL SETUSER",
        "ACL USERS",
        "ACL LIST",
        "ACL WHOAMI",
        "ACL DRYRUN",
        "CLIENT INFO",
        "CLIENT LIST",
        "INFO",
    ]);
    let secret = val("secret");
    c.config_set([("masterauth", &secret)]).await?;
    let got = c.config_get(["masterauth"]).await?;
    c.config_set([("masterauth", "")]).await?;
    // The names are the server's; the values are what clients set.
    assert_eq!(got, HashMap::from([(String::from("masterauth"), secret)]));

    let k = key("k");
    assert_eq!(c.command_getkeys("get").arg([&k]).await?, [key("k")]);
    let with_flags = c.command_getkeysandflags("get").arg([&k]).await?;
    assert_eq!(with_flags[0].0, k);
    assert!(with_flags[0].1.contains("RO"), "{with_flags:?}");

    // (User names may hold any byte but spaces and NUL.)
    let user = ByteStr::from(b"\xff\xfeuser");
    let limited = ByteStr::from(b"\xff\xfelimited");
    c.acl_setuser(&user)
        .rule(["on", ">pw", "~*", "&*", "+@all"])
        .await?;
    c.acl_setuser(&limited)
        .rule(["on", ">pw", "~other:*", "+get"])
        .await?;
    assert!(c.acl_users().await?.contains(&user));
    let rules = c.acl_list().await?;
    let line: ByteStr = [b"user ", &user[..], b" on "].concat().into();
    assert!(rules.iter().any(|r| r.starts_with(&line)), "{rules:?}");
    let refused = c.acl_dryrun(&limited, "get").arg([&k]).await?;
    assert!(has(&refused, &k), "{refused:?}");
    {
        let mut d = c.dedicated().await?;
        d.auth("pw").username(&user).await?;
        assert_eq!(d.acl_whoami().await?, user);
        // The user name comes back as the bytes it is.
        let info = d.client_info().await?;
        assert_eq!(info.user, user, "{info:?}");
        let list = c.client_list().await?;
        assert!(
            list.iter().any(|i| i.user == user && i.id == info.id),
            "{list:?}"
        );
        // The connection is signed in as another user: not for the pool.
        d.discard();
    }
    c.acl_deluser([&user, &limited]).await?;

    // An error code a script chose shows in INFO's error statistics.
    let code: &[u8] = b"\xff\xfeBAD";
    let e = c
        .eval("return redis.error_reply(ARGV[1])")
        .arg([[code, b" from a script"].concat()])
        .reply::<()>()
        .await
        .unwrap_err();
    assert!(e.is_server_error(), "{e}");
    let stats = c.info().section(["errorstats"]).await?;
    let stat: ByteStr = [b"errorstat_", code, b":count=1"].concat().into();
    assert!(has(&stats, &stat), "{stats:?}");
    assert!(
        stats.as_str().is_none(),
        "INFO is not UTF-8 here: {stats:?}"
    );
    c.config_resetstat().await?;
    Ok(())
}

/// Valkey's `SCRIPT SHOW` answers a script's source, which may hold any
/// bytes. Its method is generated only from the Valkey specs, so the reply
/// is read as its declared type, `ByteStr`, through a raw command.
async fn script_show(c: &Client) -> respec::Result<()> {
    let source: ByteStr = [b"return '", BIN, b"'"].concat().into();
    let sha: String = c.script_load(&source).await?;
    let mut show = Cmd::new("SCRIPT");
    show.arg("SHOW").arg(&sha);
    assert_eq!(c.query::<ByteStr, _>(&show).await?, source);
    assert_eq!(c.evalsha(&sha).reply::<ByteStr>().await?, BIN);
    Ok(())
}

async fn run(c: &Client, kind: Kind, seen: &mut Seen) {
    c.flushall().await.unwrap();
    macro_rules! run {
        ($f:ident) => {
            if let Err(e) = $f(c, seen).await {
                panic!("{} ({kind:?}): {e}", stringify!($f));
            }
        };
    }
    // RANDOMKEY first, while its key is alone.
    run!(keys);
    run!(strings);
    run!(hashes);
    run!(lists);
    run!(sets);
    run!(sorted_sets);
    run!(geo);
    run!(streams);
    run!(pubsub);
    run!(server);
    if kind == Kind::Valkey {
        if let Err(e) = script_show(c).await {
            panic!("script_show: {e}");
        }
    }
}

/// A cluster node serving every slot: the keys of a slot.
async fn cluster(url: &str, seen: &mut Seen) -> respec::Result<()> {
    seen.insert("CLUSTER GETKEYSINSLOT");
    let c = Client::open(url)?;
    if c.cluster_info().await?.slots_assigned == 0 {
        c.cluster_addslotsrange([(0, 16383)]).await?;
    }
    for _ in 0..500 {
        if c.cluster_info().await?.state == "ok" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let k = key("slot");
    c.set(&k, "x").await?;
    let slot = c.cluster_keyslot(&k).await?;
    assert_eq!(c.cluster_getkeysinslot(slot, 10).await?, [k]);
    // The node list is text the server makes, parsed.
    let nodes = c.cluster_nodes().await?;
    assert!(nodes[0].flags.contains("myself"), "{nodes:?}");
    Ok(())
}

/// Grammar words whose values hold a `bulk`: the string itself, and the
/// named records that carry values, keys, fields, members or user names.
const BULK_WORDS: &[&str] = &[
    "bulk",
    "stream_entry",
    "geo_item",
    "stream_read",
    "group_read",
    "pending_summary",
    "pending_entry",
    "autoclaim",
    "client_info",
    "client_list",
];

/// The commands of a reply table whose reply, by default or with an
/// option, holds a `bulk` (directly or through a record of [`BULK_WORDS`]).
fn bulk_commands(table: &str) -> BTreeSet<String> {
    table
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .filter(|(_, ty)| {
            ty.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .any(|w| BULK_WORDS.contains(&w))
        })
        .map(|(name, _)| name.trim().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_values_keys_and_members_read_back_exactly() {
    let redis = support::server(Kind::Redis);
    let node = support::Server::builder(Kind::Redis)
        .arg("cluster-enabled", "yes")
        .start();
    let valkey = support::server(Kind::Valkey);
    let mut seen = Seen::new();
    for proto in ["2", "3"] {
        let c = Client::open(&format!("{}?protocol={proto}", redis.url())).unwrap();
        run(&c, Kind::Redis, &mut seen).await;
        if let Err(e) = cluster(&format!("{}?protocol={proto}", node.url()), &mut seen).await {
            panic!("cluster (RESP{proto}): {e}");
        }
        let mut on_valkey = Seen::new();
        let c = Client::open(&format!("{}?protocol={proto}", valkey.url())).unwrap();
        run(&c, Kind::Valkey, &mut on_valkey).await;
        assert_eq!(
            on_valkey,
            seen.iter()
                .filter(|n| !n.starts_with("CLUSTER"))
                .copied()
                .collect()
        );
    }

    let with_bulk = bulk_commands(include_str!("../commands-spec/replies/redis.replies"));
    let missing: Vec<&String> = with_bulk
        .iter()
        .filter(|n| !seen.contains(n.as_str()))
        .filter(|n| !NOT_COVERED.iter().any(|(m, _)| m == n))
        .collect();
    assert!(
        missing.is_empty(),
        "commands with a bulk reply neither run nor listed in NOT_COVERED: {missing:?}"
    );
    let valkey_extra: Vec<String> =
        bulk_commands(include_str!("../commands-spec/replies/valkey.replies"))
            .into_iter()
            .filter(|n| !with_bulk.contains(n))
            .collect();
    for n in &valkey_extra {
        assert!(
            VALKEY_ONLY.iter().any(|(m, _)| m == n),
            "{n}: a Valkey command with a bulk reply that is neither run nor listed"
        );
    }
    println!(
        "binary replies: {} of {} commands with a bulk reply run through their default type on Redis 8.2.3 \
         and (all but CLUSTER GETKEYSINSLOT) Valkey 9.1.2, in RESP2 and RESP3",
        with_bulk.iter().filter(|n| seen.contains(n.as_str())).count(),
        with_bulk.len(),
    );
    for (n, why) in NOT_COVERED.iter().chain(VALKEY_ONLY) {
        println!("  not run: {n}: {why}");
    }
}
