//! The argument shapes of the generated methods against a live Redis 8.2.3:
//! required blocks as plain parameters, optional blocks as named builders
//! (and the clear error when a part is given without the builder it
//! belongs to), shared enums, range bounds and stream ids as types, the
//! fixed-up spec errors (float weights, `#N` bitfield offsets, DEBUG's
//! arguments), and repeated items appended one builder call at a time.

#![allow(deprecated)]

mod support;

use respec::bounds::{LexBound, ScoreBound, StreamId};
use respec::commands::*;
use respec::prelude::*;
use respec::ErrorKind;
use support::Kind;

fn s(x: &str) -> ByteStr {
    ByteStr::from(x)
}

/// An input error that names `what`, sent to no server.
fn assert_input_error<T: std::fmt::Debug>(r: respec::Result<T>, what: &[&str]) {
    let e = r.expect_err("the command must be refused");
    assert_eq!(*e.kind(), ErrorKind::InvalidInput, "{e}");
    let text = e.to_string();
    for w in what {
        assert!(text.contains(w), "`{text}` does not mention `{w}`");
    }
}

#[tokio::test]
async fn streams_take_plain_parameters_and_named_trim_builders() -> respec::Result<()> {
    let server = support::Server::builder(Kind::Redis).start();
    let c = Client::open(&server.url())?;

    // XADD with explicit ids (a string or a StreamId), then the trim
    // strategy as a builder: MAXLEN 5 exact.
    for i in 1..=10u64 {
        let id = c.xadd("s", StreamId::new(i, 0), [("n", i)]).await?;
        assert_eq!(id.as_deref(), Some(format!("{i}-0").as_str()));
    }
    let id = c.xadd("s", "*", [("n", 11)]).maxlen(5).exact().await?;
    assert!(id.is_some_and(|id| id.ends_with("-0")));
    assert_eq!(c.xlen("s").await?, 5);
    // `~` with LIMIT: an approximate trim may keep more, never fewer.
    c.xadd("s", StreamId::AUTO, [("n", 12)])
        .maxlen(1)
        .approx()
        .limit(100)
        .await?;
    assert!(c.xlen("s").await? >= 1);

    // A part of the trim block without its strategy is refused unsent.
    let before = c.xlen("s").await?;
    assert_input_error(
        c.xadd("s", "*", [("n", 0)]).limit(10).await,
        &["XADD", "LIMIT count", "`maxlen`, `minid`"],
    );
    assert_input_error(c.xadd("s", "*", [("n", 0)]).approx().await, &["XADD", "~"]);
    assert_eq!(c.xlen("s").await?, before);

    // XTRIM's strategy is required: without it nothing is sent.
    assert_input_error(
        c.xtrim("s").await,
        &["XTRIM", "needs one of `maxlen`, `minid`"],
    );
    for i in 1..=10u64 {
        c.xadd("t", StreamId::new(i, 0), [("n", i)]).await?;
    }
    assert_eq!(c.xtrim("t").minid(StreamId::Ms(6)).await?, 5);
    assert_eq!(c.xtrim("t").maxlen(2).await?, 3);
    let left = c.xrange("t", StreamId::MIN, StreamId::MAX).await?;
    let ids: Vec<String> = left.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids, ["9-0", "10-0"]);
    // An exclusive range start.
    let after = c.xrange("t", StreamId::after(9, 0), "+").await?;
    assert_eq!(after.len(), 1);

    // XREADGROUP: group, consumer, keys and ids as plain parameters.
    c.xgroup_create("t", "g", "0").await?;
    let read = c
        .xreadgroup("g", "alice", ["t"], [StreamId::NEW])
        .count(1)
        .await?
        .expect("one stream");
    assert_eq!(read[0].key, "t");
    assert_eq!(read[0].entries.len(), 1);
    let read = c.xread(["t"], ["9-0"]).await?.expect("one stream");
    assert_eq!(read[0].entries.len(), 1);

    // XPENDING: the range as one builder, IDLE and the consumer as their
    // own; IDLE without the range is refused.
    let pending = c
        .xpending("t", "g")
        .filters(StreamId::MIN, StreamId::MAX, 10)
        .idle(0)
        .consumer("alice")
        .await?;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].consumer, "alice");
    let none = c
        .xpending("t", "g")
        .filters("-", "+", 10)
        .consumer("bob")
        .await?;
    assert!(none.is_empty());
    assert_input_error(c.xpending("t", "g").idle(5).await, &["XPENDING", "IDLE"]);
    Ok(())
}

#[tokio::test]
async fn sorted_sets_take_score_and_lex_bounds_and_float_weights() -> respec::Result<()> {
    let server = support::Server::builder(Kind::Redis).start();
    let c = Client::open(&server.url())?;
    c.zadd(
        "z",
        [(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d"), (5.0, "e")],
    )
    .await?;
    // Plain numbers are inclusive bounds.
    assert_eq!(c.zcount("z", 2, 4).await?, 3);
    assert_eq!(c.zcount("z", 2.5, 4.0).await?, 2);
    assert_eq!(
        c.zcount("z", ScoreBound::exclusive(2), ScoreBound::POS_INF)
            .await?,
        3
    );
    assert_eq!(
        c.zrangebyscore("z", ScoreBound::NEG_INF, ScoreBound::exclusive(3))
            .await?,
        [s("a"), s("b")]
    );
    assert_eq!(
        c.zrevrangebyscore("z", ScoreBound::POS_INF, ScoreBound::exclusive(4))
            .limit(0, 1)
            .await?,
        [s("e")]
    );
    assert_eq!(
        c.zrange("z", ScoreBound::exclusive(1), ScoreBound::inclusive(2))
            .byscore()
            .await?,
        [s("b")]
    );
    assert_eq!(
        c.zremrangebyscore("z", ScoreBound::exclusive(4), ScoreBound::POS_INF)
            .await?,
        1
    );

    c.zadd("lex", [(0.0, "a"), (0.0, "b"), (0.0, "c"), (0.0, "d")])
        .await?;
    assert_eq!(
        c.zrangebylex("lex", LexBound::inclusive("b"), LexBound::exclusive("d"))
            .await?,
        [s("b"), s("c")]
    );
    assert_eq!(c.zlexcount("lex", LexBound::MIN, LexBound::MAX).await?, 4);
    // The server's own spelling still works.
    assert_eq!(c.zlexcount("lex", "(a", "+").await?, 3);

    // WEIGHTS are floats, AGGREGATE a shared enum.
    c.zadd("w1", [(2.0, "x")]).await?;
    c.zadd("w2", [(4.0, "x")]).await?;
    assert_eq!(
        c.zunionstore("w", ["w1", "w2"])
            .weights([0.5, 0.25])
            .aggregate(Aggregate::Sum)
            .await?,
        1
    );
    assert_eq!(c.zscore("w", "x").await?, Some(2.0));
    let inter = c
        .zinter(["w1", "w2"])
        .weights([1.5, 1.0])
        .max()
        .withscores()
        .await?;
    assert_eq!(inter, [(s("x"), 4.0)]);

    // HRANDFIELD / ZRANDMEMBER: COUNT as a builder, WITHVALUES after it
    // (which changes the reply type); WITHVALUES alone is refused.
    c.hset("h", [("f1", "v1"), ("f2", "v2")]).await?;
    let mut pairs = c.hrandfield("h").count(2).withvalues().await?;
    pairs.sort();
    assert_eq!(pairs, [(s("f1"), s("v1")), (s("f2"), s("v2"))]);
    assert_eq!(c.hrandfield("h").count(-3).await?.len(), 3);
    assert_input_error(
        c.hrandfield("h").withvalues().await,
        &["HRANDFIELD", "WITHVALUES", "`count`"],
    );
    let scored = c.zrandmember("lex").count(1).withscores().await?;
    assert_eq!(scored.len(), 1);
    Ok(())
}

#[tokio::test]
async fn bitmaps_geo_and_lists_read_like_rust() -> respec::Result<()> {
    let server = support::Server::builder(Kind::Redis)
        .arg("enable-debug-command", "local")
        .start();
    let c = Client::open(&server.url())?;

    // BITFIELD: one builder call per operation, in order; OVERFLOW applies
    // to what follows it; offsets take the `#N` form.
    let r = c
        .bitfield("bf")
        .set("u8", "#1", 7)
        .overflow(Overflow::Sat)
        .incrby("u8", "#0", 300)
        .get("u8", 8)
        .await?;
    assert_eq!(r, [Some(0), Some(255), Some(7)]);
    assert_eq!(
        c.bitfield_ro("bf").get("u8", "#0").get("u8", 8).await?,
        [255, 7]
    );

    // BITCOUNT / BITPOS: the range and its unit as builders.
    c.set("bits", &b"\xff\xf0"[..]).await?;
    assert_eq!(c.bitcount("bits").await?, 12);
    assert_eq!(c.bitcount("bits").range(1, 1).await?, 4);
    assert_eq!(c.bitcount("bits").range(0, 3).bit().await?, 4);
    assert_eq!(c.bitpos("bits", 0).start(1).await?, 12);
    assert_eq!(c.bitpos("bits", 0).start(8).end(15).bit().await?, 12);
    assert_input_error(c.bitpos("bits", 0).end(3).await, &["BITPOS", "`start`"]);
    assert_input_error(c.bitcount("bits").bit().await, &["BITCOUNT", "`range`"]);

    // GEOSEARCH: the center and shape as enum values with constructors,
    // the unit a shared enum, COUNT [ANY] as builders.
    c.geoadd(
        "geo",
        [
            (13.361389, 38.115556, "Palermo"),
            (15.087269, 37.502669, "Catania"),
        ],
    )
    .await?;
    let near = c
        .geosearch(
            "geo",
            GeosearchFrom::lonlat(15.0, 37.0),
            GeosearchBy::circle(200.0, GeoUnit::Km),
        )
        .asc()
        .count(1)
        .await?;
    assert_eq!(near, [s("Catania")]);
    let both = c
        .geosearch(
            "geo",
            GeosearchFrom::Member("Palermo".into()),
            GeosearchBy::box_(400.0, 400.0, GeoUnit::Km),
        )
        .count(5)
        .any()
        .await?;
    assert_eq!(both.len(), 2);
    assert_input_error(
        c.geosearch(
            "geo",
            GeosearchFrom::lonlat(15.0, 37.0),
            GeosearchBy::circle(1.0, GeoUnit::M),
        )
        .any()
        .await,
        &["GEOSEARCH", "ANY", "`count`"],
    );
    let d = c
        .geodist("geo", "Palermo", "Catania")
        .unit(GeoUnit::Km)
        .await?;
    assert!((166.0..167.0).contains(&d.unwrap()), "{d:?}");

    // Lists: LEFT/RIGHT and BEFORE/AFTER are one type each.
    c.rpush("l", ["a", "c"]).await?;
    assert_eq!(c.linsert("l", InsertPosition::Before, "c", "b").await?, 3);
    assert_eq!(
        c.lmove("l", "m", Side::Left, Side::Right).await?,
        Some(s("a"))
    );
    assert_eq!(
        c.lmpop(["l"], Side::Right).await?,
        Some((s("l"), vec![s("c")]))
    );

    // DEBUG takes its subcommand and arguments.
    c.debug("SET-ACTIVE-EXPIRE").argument(["1"]).await?;
    let e = c.debug("NO-SUCH-SUBCOMMAND").await.unwrap_err();
    assert!(e.to_string().to_lowercase().contains("subcommand"), "{e}");
    Ok(())
}
