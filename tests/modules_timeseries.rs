//! RedisTimeSeries (`TS.*`) through the generated methods, in RESP2 and
//! RESP3, against Redis 8.2.3 with the TimeSeries module loaded: series
//! with retention and labels, samples, a compaction rule, ranges with
//! aggregation, TS.MGET / TS.MRANGE / TS.MREVRANGE with FILTER and
//! GROUPBY, TS.INFO. Every typed value is asserted and the values of the
//! two protocols compared.
#![cfg(all(feature = "timeseries", not(respec_valkey)))]

mod support;

use std::collections::BTreeSet;

use respec::commands::{
    TsCreateruleAggregator, TsMrangeGroupingReducer, TsRangeAggregationAggregator,
    TsRevrangeAggregationAggregator,
};
use respec::prelude::*;
use respec::records::{LatestSample, Sample, Series, SeriesInfo, SeriesLatest};
use support::{Kind, Module, Server};

/// The TS.* commands this test calls.
const RUN: &[&str] = &[
    "TS.CREATE",
    "TS.ALTER",
    "TS.ADD",
    "TS.MADD",
    "TS.INCRBY",
    "TS.DECRBY",
    "TS.CREATERULE",
    "TS.DELETERULE",
    "TS.GET",
    "TS.RANGE",
    "TS.REVRANGE",
    "TS.MGET",
    "TS.MRANGE",
    "TS.MREVRANGE",
    "TS.INFO",
    "TS.QUERYINDEX",
    "TS.DEL",
];

/// The cluster coordinator's internal commands: what a standalone server
/// answers each (`the_coordinator_commands_answer_a_standalone_server`).
const RUN_STANDALONE: &[&str] = &[
    "TIMESERIES.NETWORKTEST",
    "TIMESERIES.REFRESHCLUSTER",
    "TIMESERIES.INFOCLUSTER",
    "TIMESERIES.HELLO",
    "TIMESERIES.CLUSTERSET",
    "TIMESERIES.CLUSTERSETFROMSHARD",
    "TIMESERIES.INNERCOMMUNICATION",
];

/// Not called: `tests/commands.rs` skips it too.
const NOT_RUN: &[(&str, &str)] = &[(
    "TIMESERIES.FORCESHARDSCONNECTION",
    "crashes a standalone server",
)];

#[derive(Debug, PartialEq)]
struct Seen {
    added: Vec<i64>,
    madd: Vec<i64>,
    counters: Vec<i64>,
    latest: LatestSample,
    empty: LatestSample,
    range: Vec<Sample>,
    buckets: Vec<Sample>,
    rev: Vec<Sample>,
    mget: Vec<SeriesLatest>,
    mget_labels: Vec<SeriesLatest>,
    mrange: Vec<Series>,
    mrange_selected: Vec<Series>,
    grouped: Vec<Series>,
    mrev: Vec<Series>,
    info: SeriesInfo,
    info_debug: SeriesInfo,
    compacted: Vec<Sample>,
    index: BTreeSet<ByteStr>,
    deleted: i64,
}

async fn run(client: &Client) -> respec::Result<Seen> {
    client
        .ts_create("temp:a")
        .retention(1_000_000)
        .labels("sensor", "a")
        .labels("room", "kitchen")
        .await?;
    client
        .ts_create("temp:b")
        .labels("sensor", "b")
        .labels("room", "kitchen")
        .await?;
    client.ts_create("temp:a:avg").await?;
    client.ts_create("empty").labels("room", "attic").await?;
    client
        .ts_createrule("temp:a", "temp:a:avg", TsCreateruleAggregator::Avg, 10)
        .await?;
    client.ts_alter("temp:b").retention(2_000_000).await?;
    let mut added = Vec::new();
    for (t, v) in [(5, 1.5), (10, 2.5), (15, 3.5), (20, 4.5), (30, 5.5)] {
        added.push(client.ts_add("temp:a", t, v).await?);
    }
    let madd = client
        .ts_madd([("temp:b", 5, 1.0), ("temp:b", 10, 2.0), ("temp:b", 20, 4.0)])
        .await?;
    let counters = vec![
        client.ts_incrby("count", 3.0).timestamp(100).await?,
        client.ts_incrby("count", 2.0).timestamp(100).await?,
        client.ts_decrby("count", 1.0).timestamp(200).await?,
    ];
    let seen = Seen {
        added,
        madd,
        counters,
        latest: client.ts_get("temp:a").await?,
        empty: client.ts_get("empty").await?,
        range: client.ts_range("temp:a", "-", "+").await?,
        buckets: client
            .ts_range("temp:a", 0, 29)
            .aggregation(TsRangeAggregationAggregator::Sum, 10)
            .await?,
        rev: client
            .ts_revrange("temp:a", "-", "+")
            .count(2)
            .aggregation(TsRevrangeAggregationAggregator::Max, 10)
            .await?,
        mget: client.ts_mget(["room=kitchen"]).await?,
        mget_labels: client.ts_mget(["room=kitchen"]).withlabels().await?,
        mrange: client
            .ts_mrange("-", "+", ["room=kitchen"])
            .withlabels()
            .await?,
        mrange_selected: client
            .ts_mrange(0, 12, ["room=kitchen"])
            .selected_labels(["sensor", "missing"])
            .await?,
        grouped: client
            .ts_mrange("-", "+", ["room=kitchen"])
            .grouping("room", TsMrangeGroupingReducer::Sum)
            .await?,
        mrev: client.ts_mrevrange("-", "+", ["sensor=b"]).count(1).await?,
        info: client.ts_info("temp:a").await?,
        info_debug: client.ts_info("temp:b").debug().await?,
        compacted: client.ts_range("temp:a:avg", "-", "+").await?,
        index: client
            .ts_queryindex(["room=kitchen"])
            .await?
            .into_iter()
            .collect(),
        deleted: {
            client.ts_deleterule("temp:a", "temp:a:avg").await?;
            client.ts_del("temp:a", 0, 10).await?
        },
    };
    Ok(seen)
}

fn s(timestamp: i64, value: f64) -> Sample {
    Sample { timestamp, value }
}

fn label(k: &str, v: &str) -> (ByteStr, Option<ByteStr>) {
    (k.into(), Some(v.into()))
}

#[tokio::test]
async fn timeseries_reads_the_same_in_both_protocols() {
    let server = Server::builder(Kind::Redis)
        .module(Module::TimeSeries)
        .start();
    let mut seen = Vec::new();
    for proto in [2, 3] {
        let client = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        client.flushall().await.unwrap();
        seen.push(run(&client).await.unwrap());
    }
    let x = &seen[0];
    assert_eq!(x.added, [5, 10, 15, 20, 30]);
    assert_eq!(x.madd, [5, 10, 20]);
    assert_eq!(x.counters, [100, 100, 200]);
    assert_eq!(x.latest.sample, Some(s(30, 5.5)));
    assert_eq!(x.empty.sample, None);
    assert_eq!(
        x.range,
        [s(5, 1.5), s(10, 2.5), s(15, 3.5), s(20, 4.5), s(30, 5.5)]
    );
    assert_eq!(x.buckets, [s(0, 1.5), s(10, 6.0), s(20, 4.5)]);
    assert_eq!(x.rev, [s(30, 5.5), s(20, 4.5)]);
    // TS.MGET: keys in index order, labels only when asked for.
    let keys: Vec<&ByteStr> = x.mget.iter().map(|m| &m.key).collect();
    assert_eq!(keys, ["temp:a", "temp:b"]);
    assert!(x.mget[0].labels.is_empty());
    assert_eq!(x.mget[1].sample, Some(s(20, 4.0)));
    assert_eq!(
        x.mget_labels[0].labels,
        [label("sensor", "a"), label("room", "kitchen")]
    );
    // TS.MRANGE with FILTER, WITHLABELS, SELECTED_LABELS, GROUPBY.
    assert_eq!(x.mrange.len(), 2);
    assert_eq!(x.mrange[1].key, "temp:b");
    assert_eq!(x.mrange[1].samples, [s(5, 1.0), s(10, 2.0), s(20, 4.0)]);
    assert_eq!(
        x.mrange[1].labels,
        [label("sensor", "b"), label("room", "kitchen")]
    );
    assert_eq!(
        x.mrange_selected[0].labels,
        [label("sensor", "a"), ("missing".into(), None)]
    );
    assert_eq!(x.mrange_selected[0].samples, [s(5, 1.5), s(10, 2.5)]);
    assert_eq!(x.grouped.len(), 1);
    assert_eq!(x.grouped[0].key, "room=kitchen");
    assert_eq!(
        x.grouped[0].samples,
        [s(5, 2.5), s(10, 4.5), s(15, 3.5), s(20, 8.5), s(30, 5.5)]
    );
    assert_eq!(x.mrev[0].samples, [s(20, 4.0)]);
    // TS.INFO.
    let i = &x.info;
    assert_eq!(
        (i.total_samples, i.first_timestamp, i.last_timestamp),
        (5, 5, 30)
    );
    assert_eq!(i.retention_time, 1_000_000);
    assert_eq!(i.labels, [label("sensor", "a"), label("room", "kitchen")]);
    assert_eq!(i.rules.len(), 1);
    assert_eq!(i.rules[0].dest_key, "temp:a:avg");
    assert_eq!(i.rules[0].bucket_duration, 10);
    assert_eq!(i.rules[0].aggregation, "AVG");
    assert_eq!(i.chunks, None);
    assert_eq!(x.info_debug.retention_time, 2_000_000);
    assert_eq!(x.info_debug.key_self_name.as_ref().unwrap(), "temp:b");
    let chunks = x.info_debug.chunks.as_ref().unwrap();
    assert_eq!(chunks[0].samples, 3);
    assert_eq!(x.compacted, [s(0, 1.5), s(10, 3.0), s(20, 4.5)]);
    assert_eq!(x.index, BTreeSet::from(["temp:a".into(), "temp:b".into()]));
    assert_eq!(x.deleted, 2);
    // RESP2 and RESP3: the same typed values (memory sizes aside).
    let strip = |x: &Seen| {
        let mut a = format!("{x:?}");
        for i in [&x.info, &x.info_debug] {
            a = a.replace(&format!("memory_usage: {}", i.memory_usage), "");
        }
        a
    };
    assert_eq!(strip(&seen[0]), strip(&seen[1]));
    println!(
        "timeseries: {} TS.* commands called in RESP2 and RESP3, values equal; {} coordinator \
         commands called on a standalone server; not run: {}",
        RUN.len(),
        RUN_STANDALONE.len(),
        NOT_RUN
            .iter()
            .map(|(c, why)| format!("{c} ({why})"))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

/// The blocking client: the same generated methods, `.run()` instead of
/// `.await`, in both protocols.
#[test]
fn timeseries_through_the_blocking_client() {
    let server = Server::builder(Kind::Redis)
        .module(Module::TimeSeries)
        .start();
    for proto in [2, 3] {
        let client =
            respec::blocking::Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        client.del(["bt:1", "bt:2"]).run().unwrap();
        for key in ["bt:1", "bt:2"] {
            client
                .ts_create(key)
                .retention(60_000)
                .labels("kind", "blocking")
                .run()
                .unwrap();
        }
        for (t, v) in [(1, 1.0), (2, 2.0), (3, 4.0)] {
            assert_eq!(client.ts_add("bt:1", t, v).run().unwrap(), t);
        }
        client.ts_add("bt:2", 2, 10.0).run().unwrap();
        assert_eq!(
            client.ts_range("bt:1", "-", "+").run().unwrap(),
            [s(1, 1.0), s(2, 2.0), s(3, 4.0)]
        );
        let series = client
            .ts_mrange("-", "+", ["kind=blocking"])
            .withlabels()
            .run()
            .unwrap();
        let got: Vec<(&str, usize)> = series
            .iter()
            .map(|s| (s.key.as_str().unwrap(), s.samples.len()))
            .collect();
        assert_eq!(got, [("bt:1", 3), ("bt:2", 1)]);
        assert_eq!(series[0].labels, [label("kind", "blocking")]);
        let info = client.ts_info("bt:1").run().unwrap();
        assert_eq!((info.total_samples, info.retention_time), (3, 60_000));
        assert_eq!(info.labels, [label("kind", "blocking")]);
    }
}

/// The coordinator's commands on a standalone server: the ones that need
/// no cluster do nothing, the others are refused by the server (not by
/// the client: the arguments are sent as given).
#[tokio::test]
async fn the_coordinator_commands_answer_a_standalone_server() {
    let server = Server::builder(Kind::Redis)
        .module(Module::TimeSeries)
        .start();
    for proto in [2, 3] {
        let client = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        client.timeseries_networktest().await.unwrap();
        client.timeseries_refreshcluster().await.unwrap();
        let info = client.timeseries_infocluster().await.unwrap();
        assert_eq!(info, respec::records::Reply::Bulk("no cluster mode".into()));
        let refused = [
            client.timeseries_hello().await.unwrap_err(),
            client.timeseries_clusterset(["x"]).await.unwrap_err(),
            client
                .timeseries_clustersetfromshard(["x"])
                .await
                .unwrap_err(),
            client
                .timeseries_innercommunication("a", "b", 1, "d", 2)
                .await
                .unwrap_err(),
        ];
        let messages: Vec<String> = refused.iter().map(|e| e.to_string()).collect();
        for (m, want) in messages.iter().zip([
            "NULL cluster state",
            "Could not parse cluster set arguments",
            "Could not parse cluster set arguments",
            "NULL cluster state",
        ]) {
            assert!(m.contains(want), "{m}");
        }
    }
}
