//! RediSearch (`FT.*`) through the generated methods, in RESP2 and RESP3,
//! against Redis 8.2.3 with the Search module loaded: an index on hashes,
//! documents, searches with filters, sorting and limits, aggregations
//! with GROUPBY/REDUCE, a cursor, FT.INFO and the dictionary, synonym,
//! suggestion and spelling commands. Every typed value is asserted and the
//! values of the two protocols compared.
#![cfg(all(feature = "search", not(respec_valkey)))]

mod support;

use std::collections::{BTreeSet, HashMap};

use respec::commands::schema::Schema;
use respec::commands::Order;
use respec::prelude::*;
use respec::records::{
    AggregateCursor, AggregateResults, Reply, SearchIndexInfo, SearchLayout, SearchResults,
    Spellcheck,
};
use support::{Kind, Module, Server};

/// The FT.* commands this test calls (the others are listed in
/// `NOT_RUN` with the reason).
const RUN: &[&str] = &[
    "FT.CREATE",
    "FT.SEARCH",
    "FT.AGGREGATE",
    "FT.CURSOR READ",
    "FT.CURSOR DEL",
    "FT.INFO",
    "FT.EXPLAIN",
    "FT.EXPLAINCLI",
    "FT.SPELLCHECK",
    "FT.DICTADD",
    "FT.DICTDEL",
    "FT.DICTDUMP",
    "FT.SYNUPDATE",
    "FT.SYNDUMP",
    "FT.TAGVALS",
    "FT._LIST",
    "FT.CONFIG GET",
    "FT.ALIASADD",
    "FT.ALIASUPDATE",
    "FT.ALIASDEL",
    "FT.SUGADD",
    "FT.SUGGET",
    "FT.SUGLEN",
    "FT.SUGDEL",
    "FT.DROPINDEX",
];

/// Not called here: `tests/commands.rs` sends a representative call of each
/// (all but FT.DEBUG DUMP_PHONETIC_HASH, which crashes Search 2.10).
const NOT_RUN: &[(&str, &str)] = &[
    (
        "FT.ALTER",
        "schema change: argument shape checked in tests/commands.rs",
    ),
    (
        "FT.PROFILE",
        "reply kept as the protocol-independent `Reply` (a profile tree)",
    ),
    ("FT.CONFIG SET / HELP", "changes server-wide settings"),
    (
        "FT.ADD, FT.SAFEADD, FT.DEL, FT.GET, FT.MGET, FT.DROP",
        "deprecated 1.x document API",
    ),
    ("FT.SYNADD", "deprecated, replaced by FT.SYNUPDATE"),
    (
        "FT._* (ALIASADDIFNX, CREATEIFNX, ...)",
        "internal coordinator commands",
    ),
    ("FT.DEBUG *", "developer commands"),
];

/// Everything the calls answered, in a form both protocols must agree on.
#[derive(Debug, PartialEq)]
struct Seen {
    hello: SearchResults,
    scored: SearchResults<{ SearchLayout::WITHSCORES }>,
    ids: SearchResults<{ SearchLayout::NOCONTENT }>,
    scored_ids: SearchResults<{ SearchLayout::WITHSCORES | SearchLayout::NOCONTENT }>,
    sortkeys: SearchResults<{ SearchLayout::WITHSORTKEYS }>,
    payloads: SearchResults<{ SearchLayout::WITHPAYLOADS }>,
    filtered: SearchResults,
    tagged: SearchResults,
    grouped: AggregateResults,
    first_batch: AggregateCursor,
    rest: Vec<AggregateCursor>,
    info: SearchIndexInfo,
    explain: ByteStr,
    explaincli: Vec<ByteStr>,
    spell: Spellcheck,
    dict: BTreeSet<ByteStr>,
    syn: HashMap<ByteStr, Vec<ByteStr>>,
    tags: Vec<ByteStr>,
    list: Vec<ByteStr>,
    config: HashMap<String, Option<ByteStr>>,
    sugg: Vec<(ByteStr, f64)>,
    counts: Vec<i64>,
}

async fn run(client: &Client) -> respec::Result<Seen> {
    let _ = client.ft_dropindex("idx").dd().await;
    let _ = client.ft_dropindex("idx2").dd().await;
    client
        .ft_create(
            "idx",
            Schema::new()
                .text("title")
                .weight(2.0)
                .sortable()
                .numeric("price")
                .sortable()
                .tag("tags")
                .separator(','),
        )
        .hash()
        .prefix(["doc:"])
        // The keyspace is empty: without this, the scan of it runs in the
        // background and indexes the documents written meanwhile twice.
        .skipinitialscan()
        .await?;
    // Before the documents: a synonym group re-scans the keyspace
    // otherwise.
    client
        .ft_synupdate("idx", "g1", ["hello", "hi"])
        .skipinitialscan()
        .await?;
    for (id, title, price, tags) in [
        ("doc:1", "hello world", "10", "red,blue"),
        ("doc:2", "hello there", "20", "blue"),
        ("doc:3", "goodbye world", "30", "green"),
        ("doc:4", "hello again", "40", "red"),
    ] {
        client
            .hset(id, [("title", title), ("price", price), ("tags", tags)])
            .await?;
    }
    let mut counts = Vec::new();
    counts.push(client.ft_dictadd("dict", ["alpha", "beta"]).await?);
    counts.push(client.ft_dictdel("dict", ["beta"]).await?);
    client.ft_aliasadd("books", "idx").await?;
    client.ft_aliasupdate("books", "idx").await?;
    let via_alias: SearchResults = client.ft_search("books", "hello").await?;
    assert_eq!(via_alias.total, 3);
    client.ft_aliasdel("books").await?;
    counts.push(client.ft_sugadd("ac", "hello world", 1.0).await?);
    counts.push(client.ft_sugadd("ac", "help", 2.0).await?);
    counts.push(client.ft_suglen("ac").await?);

    // A cursor in batches of two, read to the end.
    let first_batch = client
        .ft_aggregate("idx", "*")
        .fields(["@price"])
        .sortby([("@price", Order::Asc)])
        .cursor()
        .count(2)
        .await?;
    let mut rest = Vec::new();
    let mut cursor = first_batch.cursor;
    while cursor != 0 {
        let batch = client.ft_cursor_read("idx", cursor).await?;
        cursor = batch.cursor;
        rest.push(batch);
    }
    // A cursor given up before its end.
    let open = client.ft_aggregate("idx", "*").cursor().count(1).await?;
    assert!(!open.is_done());
    client.ft_cursor_del("idx", open.cursor).await?;

    let seen = Seen {
        hello: client.ft_search("idx", "hello").sortby("price").await?,
        scored: client
            .ft_search("idx", "hello")
            .sortby("price")
            .withscores()
            .await?,
        ids: client
            .ft_search("idx", "world")
            .sortby("price")
            .nocontent()
            .await?,
        scored_ids: client
            .ft_search("idx", "world")
            .sortby("price")
            .withscores()
            .nocontent()
            .reply()
            .await?,
        sortkeys: client
            .ft_search("idx", "hello")
            .sortby("price")
            .desc()
            .withsortkeys()
            .await?,
        payloads: client.ft_search("idx", "goodbye").withpayloads().await?,
        filtered: client
            .ft_search("idx", "@price:[15 +inf]")
            .sortby("price")
            .desc()
            .limit(0, 2)
            .return_([("title", None)])
            .await?,
        tagged: client
            .ft_search("idx", "@tags:{red}")
            .filter("price", 0.0, 35.0)
            .await?,
        grouped: client
            .ft_aggregate("idx", "*")
            .groupby(
                ["@tags"],
                Some(vec![
                    ("COUNT".into(), None, Some("n".into())),
                    (
                        "SUM".into(),
                        Some(vec!["@price".into()]),
                        Some("total".into()),
                    ),
                ]),
            )
            .sortby([("@total", Order::Desc)])
            .await?,
        first_batch,
        rest,
        info: client.ft_info("idx").await?,
        explain: client.ft_explain("idx", "@price:[1 2]").await?,
        explaincli: client.ft_explaincli("idx", "@price:[1 2]").await?,
        spell: client.ft_spellcheck("idx", "helo wrld").await?,
        dict: client.ft_dictdump("dict").await?.into_iter().collect(),
        syn: client.ft_syndump("idx").await?,
        tags: {
            let mut t: Vec<ByteStr> = client
                .ft_tagvals("idx", "tags")
                .await?
                .into_iter()
                .collect();
            t.sort();
            t
        },
        list: client.ft_list().await?,
        config: client.ft_config_get("TIMEOUT").await?,
        sugg: client.ft_sugget("ac", "hel").withscores().await?,
        counts: {
            counts.push(client.ft_sugdel("ac", "help").await? as i64);
            counts
        },
    };
    client.ft_dropindex("idx").await?;
    Ok(seen)
}

fn ids<const L: u8>(r: &SearchResults<L>) -> Vec<&str> {
    r.documents.iter().map(|d| d.id.as_str().unwrap()).collect()
}

#[tokio::test]
async fn search_reads_the_same_in_both_protocols() {
    // One server per protocol: an index created right after a FLUSHALL
    // may still be scanning the keyspace, which changes scores and
    // statistics.
    let mut seen = Vec::new();
    for proto in [2, 3] {
        let server = Server::builder(Kind::Redis).module(Module::Search).start();
        let client = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        seen.push(run(&client).await.unwrap());
    }
    let s = &seen[0];
    // FT.SEARCH: total, ids, fields.
    assert_eq!(s.hello.total, 3);
    assert_eq!(ids(&s.hello), ["doc:1", "doc:2", "doc:4"]);
    let d = &s.hello.documents[0];
    assert_eq!(d.get("title").unwrap(), "hello world");
    assert_eq!(d.get("price").unwrap(), "10");
    assert_eq!((d.score, &d.payload, &d.sort_key), (None, &None, &None));
    assert!(s.scored.documents.iter().all(|d| d.score.unwrap() > 0.0));
    assert_eq!(s.scored.documents[0].get("tags").unwrap(), "red,blue");
    assert_eq!(s.ids.total, 2);
    assert_eq!(ids(&s.ids), ["doc:1", "doc:3"]);
    assert!(s.ids.documents.iter().all(|d| d.fields.is_empty()));
    assert_eq!(ids(&s.scored_ids), ["doc:1", "doc:3"]);
    assert!(s
        .scored_ids
        .documents
        .iter()
        .all(|d| d.score.is_some() && d.fields.is_empty()));
    assert_eq!(ids(&s.sortkeys), ["doc:4", "doc:2", "doc:1"]);
    assert_eq!(s.sortkeys.documents[0].sort_key.as_ref().unwrap(), "#40");
    assert_eq!(ids(&s.payloads), ["doc:3"]);
    assert_eq!(s.payloads.documents[0].payload, None);
    // Filters, sort, limit, RETURN.
    assert_eq!(s.filtered.total, 3);
    assert_eq!(ids(&s.filtered), ["doc:4", "doc:3"]);
    assert_eq!(
        s.filtered.documents[0].fields,
        [("title".into(), "hello again".into())]
    );
    assert_eq!(ids(&s.tagged), ["doc:1"]);
    // FT.AGGREGATE with GROUPBY / REDUCE / SORTBY.
    assert_eq!(s.grouped.rows.len(), 4);
    let row = &s.grouped.rows[0];
    assert_eq!(row.get("tags"), Some(&Reply::Bulk("red".into())));
    assert_eq!(row.get("n"), Some(&Reply::Bulk("1".into())));
    assert_eq!(row.get("total"), Some(&Reply::Bulk("40".into())));
    // The cursor: batches of two, in price order, then done.
    let prices: Vec<Reply> = std::iter::once(&s.first_batch)
        .chain(&s.rest)
        .flat_map(|b| b.results.rows.iter())
        .map(|r| r.get("price").unwrap().clone())
        .collect();
    let want: Vec<Reply> = ["10", "20", "30", "40"]
        .iter()
        .map(|p| Reply::Bulk((*p).into()))
        .collect();
    assert_eq!(prices, want);
    assert_eq!(s.first_batch.results.rows.len(), 2);
    assert!(s.rest.last().unwrap().is_done());
    // FT.INFO.
    let info = &s.info;
    assert_eq!(info.index_name, "idx");
    assert_eq!(info.num_docs, 4);
    assert_eq!(info.index_definition.key_type, "HASH");
    assert_eq!(info.index_definition.prefixes, ["doc:"]);
    assert_eq!(info.index_definition.default_score, 1.0);
    let attrs: Vec<(&str, &str)> = info
        .attributes
        .iter()
        .map(|a| (a.attribute.as_str().unwrap(), a.kind.as_str()))
        .collect();
    assert_eq!(
        attrs,
        [("title", "TEXT"), ("price", "NUMERIC"), ("tags", "TAG")]
    );
    assert!(info.attributes[0].flags.contains("SORTABLE"));
    assert_eq!(info.attributes[0].options["WEIGHT"], "2");
    assert_eq!(info.attributes[2].options["SEPARATOR"], ",");
    assert!(!info.indexing, "{info:?}");
    assert_eq!(info.percent_indexed, 1.0, "{info:?}");
    assert!(info.extra.contains_key("Index Errors"));
    // The rest.
    assert!(s.explain.as_str().unwrap().contains("NUMERIC"));
    assert!(!s.explaincli.is_empty());
    let terms: Vec<&str> = s
        .spell
        .terms
        .iter()
        .map(|t| t.term.as_str().unwrap())
        .collect();
    assert_eq!(terms, ["helo", "wrld"]);
    assert_eq!(s.spell.terms[0].suggestions[0].0, "hello");
    assert_eq!(s.spell.terms[1].suggestions[0].0, "world");
    assert_eq!(s.dict, BTreeSet::from(["alpha".into()]));
    assert_eq!(s.syn[&ByteStr::from("hi")], ["g1"]);
    assert_eq!(s.tags, ["blue", "green", "red"]);
    assert_eq!(s.list, ["idx"]);
    assert!(s.config.contains_key("TIMEOUT"));
    assert_eq!(s.sugg[0].0, "help");
    assert_eq!(s.counts, [2, 1, 1, 2, 2, 1]);
    // RESP2 and RESP3: the same typed values (FT.INFO's counters of
    // uses, cursors and timings aside: they count what ran before).
    let strip = |s: &Seen| {
        let mut i = s.info.clone();
        i.number_of_uses = 0;
        i.total_indexing_time = 0.0;
        i.cursor_stats.clear();
        i.dialect_stats.clear();
        i.gc_stats = Default::default();
        i.max_doc_id = 0;
        let mut cursors = (s.first_batch.clone(), s.rest.clone());
        cursors.0.cursor = 0;
        cursors.1.iter_mut().for_each(|c| c.cursor = 0);
        (
            i,
            cursors,
            format!(
                "{:?}",
                (
                    (
                        &s.hello,
                        &s.scored,
                        &s.ids,
                        &s.scored_ids,
                        &s.sortkeys,
                        &s.payloads,
                        &s.filtered,
                        &s.tagged,
                        &s.grouped,
                    ),
                    (
                        &s.explain,
                        &s.explaincli,
                        &s.spell,
                        &s.dict,
                        &s.tags,
                        &s.list,
                        &s.sugg,
                        &s.counts
                    )
                )
            ),
        )
    };
    assert_eq!(strip(&seen[0]), strip(&seen[1]));
    assert_eq!(seen[0].syn, seen[1].syn);
    println!(
        "search: {} FT.* commands called in RESP2 and RESP3, values equal; not run here: {}",
        RUN.len(),
        NOT_RUN
            .iter()
            .map(|(c, why)| format!("{c} ({why})"))
            .collect::<Vec<_>>()
            .join("; ")
    );
}
