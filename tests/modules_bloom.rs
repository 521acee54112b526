//! The Bloom family (RedisBloom: Bloom and cuckoo filters, Count-Min,
//! Top-K, t-digest) through its generated methods, in RESP2 and RESP3:
//! every command of the family is called, its typed value asserted, and
//! the values of the two protocols compared.
#![cfg(all(feature = "bloom", not(respec_valkey)))]

mod support;

use std::collections::BTreeSet;

use respec::prelude::*;
use respec::records::{BloomInfo, BloomInfoField, CountMinInfo, CuckooInfo, TdigestInfo, TopkInfo};
use support::{Kind, Module, Server};

/// Runs a generated command, noting its name, and keeps the debug form of
/// its typed value for the comparison of the protocols.
macro_rules! call {
    ($log:expr, $cmd:expr) => {{
        let c = $cmd;
        let name = Command::name(&c).to_string();
        let v = c.await?;
        $log.push((name, format!("{v:?}")));
        v
    }};
}

type Log = Vec<(String, String)>;

async fn bloom_filters(client: &Client, log: &mut Log) -> respec::Result<()> {
    call!(log, client.bf_reserve("bf", 0.01, 100).expansion(2));
    assert!(call!(log, client.bf_add("bf", "a")));
    assert!(!call!(log, client.bf_add("bf", "a")), "added twice");
    let madd: Vec<bool> = call!(log, client.bf_madd("bf", ["b", "c", "a"]));
    assert_eq!(madd, [true, true, false]);
    assert!(call!(log, client.bf_exists("bf", "b")));
    assert!(!call!(log, client.bf_exists("bf", "zz")));
    assert_eq!(
        call!(log, client.bf_mexists("bf", ["a", "zz"])),
        [true, false]
    );
    assert_eq!(call!(log, client.bf_card("bf")), 3);
    // Created by the insert, not scaling.
    let ins = call!(
        log,
        client
            .bf_insert("bf2", ["x", "y", "x"])
            .capacity(50)
            .error(0.001)
            .nonscaling()
    );
    assert_eq!(ins, [true, true, false]);
    let info: BloomInfo = call!(log, client.bf_info("bf"));
    assert_eq!((info.capacity, info.filters, info.items), (100, 1, 3));
    assert_eq!(info.expansion_rate, Some(2));
    assert!(info.size > 0 && info.extra.is_empty(), "{info:?}");
    let capacity: BloomInfoField = call!(log, client.bf_info("bf").capacity());
    assert_eq!(capacity.get(), Some(100));
    assert_eq!(call!(log, client.bf_info("bf").items()).get(), Some(3));
    // A filter that does not scale has no expansion rate.
    assert_eq!(call!(log, client.bf_info("bf2").expansion()).get(), None);
    assert_eq!(call!(log, client.bf_info("bf2")).expansion_rate, None);
    let debug: Vec<String> = call!(log, client.bf_debug("bf"));
    assert_eq!(debug[0], "size:3");
    assert!(debug[1].contains("capacity:100"), "{debug:?}");
    // Saved chunk by chunk, restored into another key.
    let mut chunks = Vec::new();
    let mut it = 0;
    loop {
        let (next, data) = call!(log, client.bf_scandump("bf", it));
        if next == 0 {
            break;
        }
        chunks.push((next, data.expect("a chunk comes with data")));
        it = next;
    }
    assert!(!chunks.is_empty());
    for (i, data) in &chunks {
        call!(log, client.bf_loadchunk("bf-copy", *i, data.clone()));
    }
    assert_eq!(
        call!(log, client.bf_mexists("bf-copy", ["a", "b", "c", "zz"])),
        [true, true, true, false]
    );
    Ok(())
}

async fn cuckoo_filters(client: &Client, log: &mut Log) -> respec::Result<()> {
    call!(
        log,
        client
            .cf_reserve("cf", 64)
            .bucketsize(2)
            .maxiterations(20)
            .expansion(1)
    );
    assert!(call!(log, client.cf_add("cf", "a")));
    assert!(call!(log, client.cf_add("cf", "a")), "duplicates allowed");
    assert!(!call!(log, client.cf_addnx("cf", "a")));
    assert!(call!(log, client.cf_addnx("cf", "b")));
    assert_eq!(call!(log, client.cf_count("cf", "a")), 2);
    assert_eq!(call!(log, client.cf_insert("cf", ["c", "d"])), [true, true]);
    // 0: already there, 1: added.
    assert_eq!(call!(log, client.cf_insertnx("cf", ["c", "e"])), [0, 1]);
    assert_eq!(
        call!(log, client.cf_insert("cf-new", ["x"]).capacity(100)),
        [true]
    );
    assert!(call!(log, client.cf_exists("cf", "e")));
    assert_eq!(
        call!(log, client.cf_mexists("cf", ["a", "zz"])),
        [true, false]
    );
    assert!(call!(log, client.cf_del("cf", "a")));
    assert_eq!(call!(log, client.cf_count("cf", "a")), 1);
    assert!(call!(log, client.cf_del("cf", "a")));
    assert!(
        !call!(log, client.cf_del("cf", "a")),
        "nothing left to delete"
    );
    call!(log, client.cf_compact("cf"));
    let info: CuckooInfo = call!(log, client.cf_info("cf"));
    assert_eq!(
        (info.bucket_size, info.max_iterations, info.expansion_rate),
        (2, 20, 1)
    );
    // Six added, two deleted; compaction folds the deletions in.
    assert_eq!((info.items_inserted, info.items_deleted), (4, 0));
    assert_eq!((info.buckets, info.filters), (32, 1));
    let debug: String = call!(log, client.cf_debug("cf"));
    assert!(debug.contains("bktsize:2"), "{debug}");
    let mut chunks = Vec::new();
    let mut it = 0;
    loop {
        let (next, data) = call!(log, client.cf_scandump("cf", it));
        if next == 0 {
            break;
        }
        chunks.push((next, data.expect("a chunk comes with data")));
        it = next;
    }
    for (i, data) in &chunks {
        call!(log, client.cf_loadchunk("cf-copy", *i, data.clone()));
    }
    assert_eq!(
        call!(log, client.cf_mexists("cf-copy", ["b", "e", "zz"])),
        [true, true, false]
    );
    Ok(())
}

async fn count_min(client: &Client, log: &mut Log) -> respec::Result<()> {
    call!(log, client.cms_initbydim("cms", 1000, 5));
    call!(log, client.cms_initbydim("cms2", 1000, 5));
    call!(log, client.cms_initbyprob("cms-p", 0.001, 0.01));
    let counts = call!(log, client.cms_incrby("cms", [("a", 3), ("b", 2)]));
    assert_eq!(counts, [3, 2]);
    assert_eq!(call!(log, client.cms_incrby("cms", [("a", 1)])), [4]);
    call!(log, client.cms_incrby("cms2", [("a", 10)]));
    assert_eq!(
        call!(log, client.cms_query("cms", ["a", "b", "zz"])),
        [4, 2, 0]
    );
    call!(log, client.cms_initbydim("cms-sum", 1000, 5));
    call!(
        log,
        client
            .cms_merge("cms-sum", ["cms", "cms2"])
            .weights([1.0, 2.0])
    );
    assert_eq!(call!(log, client.cms_query("cms-sum", ["a", "b"])), [24, 2]);
    let info: CountMinInfo = call!(log, client.cms_info("cms"));
    assert_eq!((info.width, info.depth, info.count), (1000, 5, 6));
    let info = call!(log, client.cms_info("cms-p"));
    assert!(info.width > 1000 && info.count == 0, "{info:?}");
    Ok(())
}

#[allow(deprecated)] // TOPK.COUNT is deprecated by the module, still served
async fn top_k(client: &Client, log: &mut Log) -> respec::Result<()> {
    call!(log, client.topk_reserve("tk", 2).params(1000, 5, 0.9));
    // Nothing is pushed out while the list has room; then the weakest is.
    let out = call!(log, client.topk_add("tk", ["a", "b", "a"]));
    assert_eq!(out, [None, None, None]);
    let out = call!(log, client.topk_incrby("tk", [("c", 10), ("d", 1)]));
    assert_eq!(out[0].as_ref().map(|b| b.as_bytes()), Some(&b"b"[..]));
    assert_eq!(out[1], None);
    assert_eq!(
        call!(log, client.topk_query("tk", ["a", "b", "c"])),
        [true, false, true]
    );
    assert_eq!(
        call!(log, client.topk_count("tk", ["a", "c", "zz"])),
        [2, 10, 0]
    );
    let list = call!(log, client.topk_list("tk"));
    assert_eq!(list, ["c", "a"]);
    let counted: Vec<(ByteStr, i64)> = call!(log, client.topk_list("tk").withcount());
    assert_eq!(counted, [("c".into(), 10), ("a".into(), 2)]);
    let info: TopkInfo = call!(log, client.topk_info("tk"));
    assert_eq!((info.k, info.width, info.depth), (2, 1000, 5));
    assert_eq!(info.decay, 0.9);
    Ok(())
}

async fn t_digest(client: &Client, log: &mut Log) -> respec::Result<()> {
    call!(log, client.tdigest_create("td").compression(100));
    call!(log, client.tdigest_create("td2"));
    call!(log, client.tdigest_add("td", (1..=10).map(f64::from)));
    call!(log, client.tdigest_add("td2", [100.0]));
    assert_eq!(call!(log, client.tdigest_min("td")), 1.0);
    assert_eq!(call!(log, client.tdigest_max("td")), 10.0);
    let q: Vec<f64> = call!(log, client.tdigest_quantile("td", [0.0, 0.5, 1.0]));
    assert_eq!(q, [1.0, 6.0, 10.0]);
    assert_eq!(
        call!(log, client.tdigest_cdf("td", [0.0, 5.5, 11.0])),
        [0.0, 0.5, 1.0]
    );
    assert_eq!(
        call!(log, client.tdigest_rank("td", [0.0, 1.0, 11.0])),
        [-1, 0, 10]
    );
    assert_eq!(
        call!(log, client.tdigest_revrank("td", [10.0, 11.0])),
        [0, -1]
    );
    assert_eq!(
        call!(log, client.tdigest_byrank("td", [0.0, 9.0])),
        [1.0, 10.0]
    );
    // Past the last rank: infinity, in both protocols.
    assert_eq!(
        call!(log, client.tdigest_byrevrank("td", [0.0, 100.0])),
        [10.0, f64::NEG_INFINITY]
    );
    assert_eq!(call!(log, client.tdigest_trimmed_mean("td", 0.1, 0.9)), 5.5);
    call!(
        log,
        client
            .tdigest_merge("td-all", ["td", "td2"])
            .compression(200)
    );
    assert_eq!(call!(log, client.tdigest_max("td-all")), 100.0);
    let info: TdigestInfo = call!(log, client.tdigest_info("td-all"));
    assert_eq!((info.compression, info.observations), (200, 11));
    assert!(info.capacity > 0 && info.memory_usage > 0, "{info:?}");
    call!(log, client.tdigest_reset("td2"));
    // An empty sketch answers NaN, read as a double in both protocols.
    assert!(client.tdigest_min("td2").await?.is_nan());
    assert!(client.tdigest_quantile("td2", [0.5]).await?[0].is_nan());
    assert_eq!(call!(log, client.tdigest_info("td2")).observations, 0);
    Ok(())
}

async fn run(client: &Client) -> respec::Result<Log> {
    let mut log = Vec::new();
    bloom_filters(client, &mut log).await?;
    cuckoo_filters(client, &mut log).await?;
    count_min(client, &mut log).await?;
    top_k(client, &mut log).await?;
    t_digest(client, &mut log).await?;
    Ok(log)
}

#[tokio::test]
async fn bloom_family_reads_the_same_in_both_protocols() {
    let server = Server::builder(Kind::Redis).module(Module::Bloom).start();
    let mut logs = Vec::new();
    for proto in [2, 3] {
        let client = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        client.flushall().await.unwrap();
        logs.push(
            run(&client)
                .await
                .unwrap_or_else(|e| panic!("RESP{proto}: {e}")),
        );
    }
    // RESP2 and RESP3: the same typed values, call by call.
    assert_eq!(logs[0].len(), logs[1].len());
    for (a, b) in logs[0].iter().zip(&logs[1]) {
        assert_eq!(a, b, "RESP2 and RESP3 differ");
    }
    // Errors stay errors, with the module's message.
    let client = Client::open(&server.url()).unwrap();
    let e = client.bf_info("none").await.unwrap_err();
    assert!(e.to_string().contains("not found"), "{e}");
    let e = client.topk_info("none").await.unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");

    // Coverage: every command of the family was called.
    let called: BTreeSet<&str> = logs[0].iter().map(|(n, _)| n.as_str()).collect();
    let family: BTreeSet<&str> = respec::commands::ALL
        .iter()
        .filter(|s| s.group == "bloom")
        .map(|s| s.name)
        .collect();
    let missing: Vec<_> = family.difference(&called).collect();
    assert!(missing.is_empty(), "not called: {missing:?}");
    for prefix in ["BF.", "CF.", "CMS.", "TOPK.", "TDIGEST."] {
        let n = called.iter().filter(|c| c.starts_with(prefix)).count();
        let of = family.iter().filter(|c| c.starts_with(prefix)).count();
        println!("bloom {prefix}*: {n} of {of} commands called in RESP2 and RESP3");
    }
    println!(
        "bloom: {} of {} commands called in RESP2 and RESP3, values equal",
        called.len(),
        family.len()
    );
}

/// The blocking client: the same generated methods, `.run()` instead of
/// `.await`, in both protocols.
#[test]
fn bloom_family_through_the_blocking_client() {
    let server = Server::builder(Kind::Redis).module(Module::Bloom).start();
    for proto in [2, 3] {
        let client =
            respec::blocking::Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        client.del(["bbf", "bcf", "btd"]).run().unwrap();
        client.bf_reserve("bbf", 0.01, 50).run().unwrap();
        assert!(client.bf_add("bbf", "x").run().unwrap());
        assert_eq!(
            client.bf_madd("bbf", ["x", "y"]).run().unwrap(),
            [false, true]
        );
        assert!(client.bf_exists("bbf", "y").run().unwrap());
        assert!(!client.bf_exists("bbf", "z").run().unwrap());
        let info: BloomInfo = client.bf_info("bbf").run().unwrap();
        assert_eq!((info.capacity, info.items), (50, 2));
        assert!(client.cf_add("bcf", "k").run().unwrap());
        assert_eq!(client.cf_count("bcf", "k").run().unwrap(), 1);
        assert!(client.cf_del("bcf", "k").run().unwrap());
        client.tdigest_create("btd").run().unwrap();
        client
            .tdigest_add("btd", [1.0, 2.0, 3.0, 4.0, 5.0])
            .run()
            .unwrap();
        assert_eq!(client.tdigest_min("btd").run().unwrap(), 1.0);
        assert_eq!(client.tdigest_max("btd").run().unwrap(), 5.0);
        assert_eq!(client.tdigest_quantile("btd", [0.5]).run().unwrap(), [3.0]);
    }
}
