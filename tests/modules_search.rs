//! RediSearch (`FT.*`) through the generated methods, in RESP2 and RESP3,
//! against Redis 8.2.3 with the Search module loaded: an index on hashes,
//! documents, searches with filters, sorting and limits, aggregations
//! with GROUPBY/REDUCE, a cursor, FT.INFO and the dictionary, synonym,
//! suggestion and spelling commands. Every typed value is asserted and the
//! values of the two protocols compared.
#![cfg(all(feature = "search", not(respec_valkey)))]

mod support;

use std::collections::{BTreeSet, HashMap};

use respec::commands::aggregate::Reduce;
use respec::commands::schema::{CoordSystem, Distance, Flat, Hnsw, Schema, VectorType};
use respec::commands::Order;
use respec::prelude::*;
use respec::records::{
    AggregateCursor, AggregateResults, IteratorProfile, Profiled, Reply, SearchAttribute,
    SearchIndexInfo, SearchLayout, SearchResults, Spellcheck,
};
use support::{Kind, Module, Server};

/// The FT.* commands the tests of this file call (the first test these,
/// the others the rest: FT.ALTER and FT.PROFILE, the configuration, the
/// 1.x document API, the coordinator's commands and FT.DEBUG).
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

/// Called by the other tests of this file.
const RUN_ELSEWHERE: &[&str] = &[
    "FT.ALTER",
    "FT.PROFILE",
    "FT.CONFIG SET",
    "FT.CONFIG HELP",
    "FT.ADD",
    "FT.SAFEADD",
    "FT.GET",
    "FT.MGET",
    "FT.DEL",
    "FT.DROP",
    "FT.SYNADD",
    "FT._CREATEIFNX",
    "FT._ALTERIFNX",
    "FT._ALIASADDIFNX",
    "FT._ALIASDELIFX",
    "FT._DROPIFX",
    "FT._DROPINDEXIFX",
    "FT.DEBUG (27 of its 28 subcommands)",
];

/// Not called: `tests/commands.rs` sends a representative call of the
/// others, and skips this one too.
const NOT_RUN: &[(&str, &str)] = &[(
    "FT.DEBUG DUMP_PHONETIC_HASH",
    "a developer command that crashes Search 2.10",
)];

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
        .load(["@price"])
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
            .groupby(["@tags"])
            .reduce(Reduce::count().as_("n"))
            .reduce(Reduce::sum("@price").as_("total"))
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
        "search: {} FT.* commands called in RESP2 and RESP3, values equal; in the other tests: \
         {}; not run: {}",
        RUN.len(),
        RUN_ELSEWHERE.join(", "),
        NOT_RUN
            .iter()
            .map(|(c, why)| format!("{c} ({why})"))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

/// The schema builder, FT.ALTER and FT.PROFILE, read in one protocol.
#[derive(Debug, PartialEq)]
struct SchemaSeen {
    /// FT.INFO's attributes of the index of every field kind.
    attributes: Vec<SearchAttribute>,
    /// The same after FT.ALTER added two fields.
    altered: Vec<SearchAttribute>,
    /// The JSON index's attributes (paths with their names).
    json: Vec<SearchAttribute>,
    /// A KNN query on the vector field (PARAMS with a binary value).
    knn: SearchResults,
    /// A phonetic match, a suffix match and a missing-field match.
    matches: Vec<SearchResults<{ SearchLayout::NOCONTENT }>>,
    search_profile: Profiled<SearchResults>,
    aggregate_profile: Profiled<AggregateResults>,
}

/// Four little-endian FLOAT32s.
fn vector(v: [f32; 4]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The index of every field kind, with the options of each.
fn every_kind() -> Schema {
    Schema::new()
        .text("title")
        .nostem()
        .weight(2.5)
        .phonetic("dm:en")
        .withsuffixtrie()
        .indexempty()
        .indexmissing()
        .unf()
        .tag("tg")
        .alias("tags")
        .separator(';')
        .casesensitive()
        .withsuffixtrie()
        .sortable()
        .numeric("price")
        .sortable()
        .noindex()
        .numeric("stock")
        .indexmissing()
        .geo("place")
        .sortable()
        .geoshape("area")
        .coord_system(CoordSystem::Flat)
        .indexmissing()
        .vector("emb", Hnsw, VectorType::Float32, 4, Distance::Cosine)
        .m(8)
        .ef_construction(100)
        .ef_runtime(5)
        .epsilon(0.02)
        .initial_cap(10)
        .vector("flat", Flat, VectorType::Float64, 2, Distance::L2)
        .block_size(64)
        .initial_cap(4)
        .build()
}

async fn run_schema(client: &Client) -> respec::Result<SchemaSeen> {
    let _ = client.ft_dropindex("kinds").dd().await;
    let _ = client.ft_dropindex("jdocs").dd().await;
    client
        .ft_create("kinds", every_kind())
        .prefix(["k:"])
        .stopwords(["the"])
        .skipinitialscan()
        .await?;
    let attributes = client.ft_info("kinds").await?.attributes;
    for (id, title, tags, price, place, emb) in [
        (
            "k:1",
            "Smith street",
            "Red;Blue",
            "10",
            "2.35,48.85",
            [1.0, 0.0, 0.0, 0.0],
        ),
        (
            "k:2",
            "Smyth avenue",
            "blue",
            "20",
            "13.40,52.52",
            [0.0, 1.0, 0.0, 0.0],
        ),
        (
            "k:3",
            "",
            "green",
            "30",
            "-0.12,51.50",
            [0.9, 0.1, 0.0, 0.0],
        ),
    ] {
        let mut fields = vec![
            ("title", title.as_bytes().to_vec()),
            ("tg", tags.as_bytes().to_vec()),
            ("price", price.as_bytes().to_vec()),
            ("place", place.as_bytes().to_vec()),
            ("emb", vector(emb)),
        ];
        if id == "k:2" {
            fields.push(("stock", b"5".to_vec()));
        }
        client.hset(id, fields).await?;
    }
    let knn = client
        .ft_search("kinds", "*=>[KNN 2 @emb $vec AS dist]")
        .params([("vec", vector([1.0, 0.0, 0.0, 0.0]))])
        .sortby("dist")
        .return_([("dist", None), ("title", Some("name".into()))])
        .dialect(2)
        .await?;
    let mut matches = Vec::new();
    for query in [
        "@title:smith",
        "@title:*reet",
        "ismissing(@stock)",
        "@tags:{Red}",
    ] {
        matches.push(
            client
                .ft_search("kinds", query)
                .nocontent()
                .sortby("price")
                .dialect(2)
                .await?,
        );
    }
    let search_profile = client
        .ft_profile("kinds")
        .search("@title:smith|@title:smyth")
        .await?;
    let aggregate_profile = client.ft_profile("kinds").limited().aggregate("*").await?;
    client
        .ft_alter(
            "kinds",
            Schema::new().tag("colour").numeric("year").sortable(),
        )
        .skipinitialscan()
        .await?;
    let altered = client.ft_info("kinds").await?.attributes;

    client
        .ft_create(
            "jdocs",
            Schema::new()
                .text("$.name")
                .alias("name")
                .tag("$.tags[*]")
                .alias("tags")
                .numeric("$.price")
                .alias("price")
                .vector("$.emb", Flat, VectorType::Float32, 4, Distance::Ip)
                .alias("emb"),
        )
        .json()
        .prefix(["j:"])
        .await?;
    let json = client.ft_info("jdocs").await?.attributes;
    client.ft_dropindex("jdocs").await?;
    client.ft_dropindex("kinds").dd().await?;
    Ok(SchemaSeen {
        attributes,
        altered,
        json,
        knn,
        matches,
        search_profile,
        aggregate_profile,
    })
}

/// An attribute as FT.INFO shows it: identifier, name and kind, flags,
/// options.
type Shown<'a> = (String, String, Vec<&'a str>, Vec<(&'a str, &'a str)>);

/// The kind, flags and options FT.INFO shows for an attribute.
fn shown(a: &SearchAttribute) -> Shown<'_> {
    (
        a.identifier.as_str().unwrap().to_string(),
        format!("{} {}", a.attribute.as_str().unwrap(), a.kind),
        a.flags.iter().map(String::as_str).collect(),
        a.options
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
    )
}

#[tokio::test]
async fn the_schema_builder_creates_every_field_kind() {
    let mut seen = Vec::new();
    for proto in [2, 3] {
        let server = Server::builder(Kind::Redis)
            .module(Module::Search)
            .module(Module::Json)
            .start();
        let client = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        seen.push(run_schema(&client).await.unwrap());
    }
    let s = &seen[0];
    let attrs: Vec<_> = s.attributes.iter().map(shown).collect();
    let want: Vec<Shown> = vec![
        (
            "title".into(),
            "title TEXT".into(),
            vec![
                "INDEXEMPTY",
                "INDEXMISSING",
                "NOSTEM",
                "SORTABLE",
                "UNF",
                "WITHSUFFIXTRIE",
            ],
            vec![("WEIGHT", "2.5")],
        ),
        (
            "tg".into(),
            "tags TAG".into(),
            // A case-sensitive tag sorts as given: the server adds UNF.
            vec!["CASESENSITIVE", "SORTABLE", "UNF", "WITHSUFFIXTRIE"],
            vec![("SEPARATOR", ";")],
        ),
        (
            "price".into(),
            "price NUMERIC".into(),
            vec!["NOINDEX", "SORTABLE", "UNF"],
            vec![],
        ),
        (
            "stock".into(),
            "stock NUMERIC".into(),
            vec!["INDEXMISSING"],
            vec![],
        ),
        ("place".into(), "place GEO".into(), vec!["SORTABLE"], vec![]),
        (
            "area".into(),
            "area GEOSHAPE".into(),
            vec!["INDEXMISSING"],
            vec![("coord_system", "FLAT")],
        ),
        (
            "emb".into(),
            "emb VECTOR".into(),
            vec![],
            vec![
                ("M", "8"),
                ("algorithm", "HNSW"),
                ("data_type", "FLOAT32"),
                ("dim", "4"),
                ("distance_metric", "COSINE"),
                ("ef_construction", "100"),
            ],
        ),
        (
            "flat".into(),
            "flat VECTOR".into(),
            vec![],
            vec![
                ("algorithm", "FLAT"),
                ("data_type", "FLOAT64"),
                ("dim", "2"),
                ("distance_metric", "L2"),
            ],
        ),
    ];
    assert_eq!(attrs, want);
    // FT.ALTER: the two fields added at the end.
    let added: Vec<_> = s.altered[8..].iter().map(shown).collect();
    assert_eq!(s.altered.len(), 10);
    assert_eq!(
        added,
        [
            (
                "colour".to_string(),
                "colour TAG".to_string(),
                vec![],
                vec![("SEPARATOR", ",")]
            ),
            (
                "year".into(),
                "year NUMERIC".into(),
                vec!["SORTABLE", "UNF"],
                vec![]
            ),
        ]
    );
    // The JSON index: paths named by AS.
    let json: Vec<(&str, &str, &str)> = s
        .json
        .iter()
        .map(|a| {
            (
                a.identifier.as_str().unwrap(),
                a.attribute.as_str().unwrap(),
                a.kind.as_str(),
            )
        })
        .collect();
    assert_eq!(
        json,
        [
            ("$.name", "name", "TEXT"),
            ("$.tags[*]", "tags", "TAG"),
            ("$.price", "price", "NUMERIC"),
            ("$.emb", "emb", "VECTOR"),
        ]
    );
    // KNN: the nearest two, the distance and the renamed field returned.
    assert_eq!(ids(&s.knn), ["k:1", "k:3"]);
    assert_eq!(s.knn.documents[0].get("dist").unwrap(), "0");
    assert_eq!(s.knn.documents[0].get("name").unwrap(), "Smith street");
    assert_eq!(s.knn.documents[1].fields.len(), 2);
    // Phonetic (Smith ~ Smyth), suffix trie, INDEXMISSING, case-sensitive tag.
    let found: Vec<Vec<&str>> = s.matches.iter().map(|m| ids(m)).collect();
    assert_eq!(
        found,
        [
            vec!["k:1", "k:2"],
            vec!["k:1"],
            vec!["k:1", "k:3"],
            vec!["k:1"]
        ]
    );
    // FT.PROFILE: the results and the profile tree.
    let p = &s.search_profile;
    assert_eq!(ids(&p.results), ["k:1", "k:2"]);
    assert_eq!(p.profile.iterators.len(), 1);
    let root = &p.profile.iterators[0];
    assert_eq!(
        (root.kind.as_str(), root.query_type.as_deref()),
        ("UNION", Some("UNION"))
    );
    // One union per word, each of the word and its phonetic code.
    let leaves: Vec<Vec<(&str, &str)>> = root
        .children
        .iter()
        .map(|u| {
            assert_eq!(u.kind, "UNION");
            u.children
                .iter()
                .map(|l| (l.kind.as_str(), l.term.as_ref().unwrap().as_str().unwrap()))
                .collect()
        })
        .collect();
    assert_eq!(
        leaves,
        [
            [("TEXT", "smith"), ("TEXT", "<SM0")],
            [("TEXT", "smyth"), ("TEXT", "<SM0")]
        ]
    );
    assert_eq!(root.children[0].children[0].size, Some(1));
    let steps: Vec<&str> = p
        .profile
        .result_processors
        .iter()
        .map(|r| r.kind.as_str())
        .collect();
    assert_eq!(steps, ["Index", "Scorer", "Sorter", "Loader"]);
    assert_eq!(p.profile.result_processors[0].counter, 2);
    assert_eq!(p.profile.warning, None);
    let a = &s.aggregate_profile;
    assert_eq!(a.results.rows.len(), 3);
    assert_eq!(a.profile.iterators[0].kind, "WILDCARD");
    assert_eq!(a.profile.iterators[0].counter, 3);
    assert_eq!(a.profile.result_processors[0].kind, "Index");
    // RESP2 and RESP3: the same values, the times aside.
    let untimed = |s: &SchemaSeen| {
        fn zero(i: &mut IteratorProfile) {
            i.time = 0.0;
            i.children.iter_mut().for_each(zero);
        }
        let mut profiles = (
            s.search_profile.profile.clone(),
            s.aggregate_profile.profile.clone(),
        );
        for p in [&mut profiles.0, &mut profiles.1] {
            p.total_time = 0.0;
            p.parsing_time = 0.0;
            p.pipeline_creation_time = 0.0;
            p.iterators.iter_mut().for_each(zero);
            p.result_processors.iter_mut().for_each(|r| r.time = 0.0);
        }
        (
            profiles,
            format!(
                "{:?}",
                (
                    &s.attributes,
                    &s.altered,
                    &s.json,
                    &s.knn,
                    &s.matches,
                    &s.search_profile.results,
                    &s.aggregate_profile.results
                )
            ),
        )
    };
    assert_eq!(untimed(&seen[0]), untimed(&seen[1]));
}

#[tokio::test]
async fn a_schema_the_server_would_refuse_is_refused_unsent() {
    let server = Server::builder(Kind::Redis).module(Module::Search).start();
    let client = Client::open(&server.url()).unwrap();
    let cases = [
        (Schema::new(), "at least one field"),
        (Schema::new().tag("t").separator('é').build(), "SEPARATOR"),
        (Schema::new().text("t").weight(f64::NAN).build(), "WEIGHT"),
        (
            Schema::new()
                .vector("v", Hnsw, VectorType::Float32, 2, Distance::L2)
                .epsilon(-1.0)
                .build(),
            "EPSILON",
        ),
    ];
    for (schema, words) in cases {
        let err = client.ft_create("bad", schema).await.unwrap_err();
        assert!(err.to_string().contains(words), "{err}");
    }
    // Nothing was sent: no index exists.
    let list: Vec<ByteStr> = client.ft_list().await.unwrap();
    assert!(list.is_empty(), "{list:?}");
}

/// An aggregation pipeline whose steps only give the right rows in the
/// order they are called: two GROUPBY steps with their reducers, then
/// APPLY, FILTER, SORTBY and LIMIT; then every reducer; in both protocols.
#[tokio::test]
async fn an_aggregation_pipeline_runs_its_steps_in_call_order() {
    let server = Server::builder(Kind::Redis).module(Module::Search).start();
    for protocol in [2, 3] {
        let client = Client::open(&format!("{}?protocol={protocol}", server.url())).unwrap();
        client.flushall().await.unwrap();
        client
            .ft_create(
                "sales",
                Schema::new().tag("brand").tag("region").numeric("price"),
            )
            .prefix(["sale:"])
            .await
            .unwrap();
        let sales = [
            ("a", "n", 10),
            ("a", "n", 30),
            ("a", "s", 20),
            ("b", "n", 5),
            ("b", "s", 15),
            ("c", "n", 100),
            ("d", "n", 1),
        ];
        for (i, (brand, region, price)) in sales.iter().enumerate() {
            let price = price.to_string();
            client
                .hset(
                    format!("sale:{i}"),
                    [("brand", *brand), ("region", *region), ("price", &price)],
                )
                .await
                .unwrap();
        }
        let rows = client
            .ft_aggregate("sales", "*")
            .groupby(["@brand", "@region"])
            .reduce(Reduce::count().as_("n"))
            .reduce(Reduce::sum("@price").as_("total"))
            .groupby(["@brand"])
            .reduce(Reduce::sum("@total").as_("sum"))
            .reduce(Reduce::count().as_("regions"))
            .reduce(Reduce::max("@total").as_("top"))
            .apply("@sum / @regions", "mean")
            .filter("@sum > 10")
            .sortby([("@mean", Order::Desc)])
            .limit(0, 2)
            .await
            .unwrap();
        let seen: Vec<Vec<String>> = rows
            .rows
            .iter()
            .map(|row| {
                ["brand", "sum", "regions", "top", "mean"]
                    .iter()
                    .map(|name| match row.get(name) {
                        Some(Reply::Bulk(b)) => String::from_utf8_lossy(b).into_owned(),
                        other => panic!("{name}: {other:?}"),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            seen,
            [
                ["c", "100", "1", "100", "100"],
                ["a", "60", "2", "40", "30"],
            ],
            "RESP{protocol}"
        );
        // Every reducer, over brand a's sales (prices 10, 30 and 20 in
        // regions n, n and s).
        let rows = client
            .ft_aggregate("sales", "@brand:{a}")
            .groupby(["@brand"])
            .reduce(Reduce::count_distinct("@region").as_("regions"))
            .reduce(Reduce::count_distinctish("@price").as_("regions_about"))
            .reduce(Reduce::min("@price").as_("min"))
            .reduce(Reduce::avg("@price").as_("avg"))
            .reduce(Reduce::stddev("@price").as_("stddev"))
            .reduce(Reduce::quantile("@price", 0.5).as_("median"))
            .reduce(Reduce::tolist("@region").as_("region_list"))
            .reduce(Reduce::first_value("@brand").as_("first"))
            .reduce(Reduce::first_value_by("@price", "@price", Order::Desc).as_("dearest"))
            .reduce(Reduce::random_sample("@price", 5).as_("sample"))
            .await
            .unwrap();
        assert_eq!(rows.rows.len(), 1, "RESP{protocol}");
        let row = &rows.rows[0];
        let text = |name: &str| match row.get(name) {
            Some(Reply::Bulk(b)) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("{name}: {other:?}"),
        };
        let list = |name: &str| match row.get(name) {
            Some(Reply::Array(items)) => {
                let mut v: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                        other => panic!("{name}: {other:?}"),
                    })
                    .collect();
                v.sort();
                v
            }
            other => panic!("{name}: {other:?}"),
        };
        // COUNT_DISTINCTISH is an estimate (a HyperLogLog): at least one,
        // at most the three distinct prices (Search 8.2 answers 1 here).
        let about: u32 = text("regions_about").parse().unwrap();
        assert!((1..=3).contains(&about), "RESP{protocol}: {about}");
        let seen: Vec<String> = [
            "regions", "min", "avg", "stddev", "median", "first", "dearest",
        ]
        .iter()
        .map(|n| text(n))
        .collect();
        assert_eq!(
            seen,
            ["2", "10", "20", "10", "20", "a", "30"],
            "RESP{protocol}"
        );
        assert_eq!(list("region_list"), ["n", "s"], "RESP{protocol}");
        assert_eq!(list("sample"), ["10", "20", "30"], "RESP{protocol}");
        client.ft_dropindex("sales").await.unwrap();
    }
}

/// A reducer with no GROUPBY step before it, a second MAX for one SORTBY,
/// a quantile out of range and an empty sample are refused before
/// anything is sent.
#[tokio::test]
async fn an_aggregation_step_out_of_place_is_refused_unsent() {
    let server = Server::builder(Kind::Redis).module(Module::Search).start();
    let client = Client::open(&server.url()).unwrap();
    let cases = [
        (
            client.ft_aggregate("none", "*").reduce(Reduce::count()),
            "`reduce` continues the `GROUPBY` item appended last",
        ),
        (
            client
                .ft_aggregate("none", "*")
                .groupby(["@a"])
                .sortby([("@a", Order::Asc)])
                .reduce(Reduce::count()),
            "call it right after `groupby`",
        ),
        (
            client
                .ft_aggregate("none", "*")
                .sortby([("@a", Order::Asc)])
                .max(2)
                .max(3),
            "`max` continues the `SORTBY` item appended last",
        ),
        (
            client
                .ft_aggregate("none", "*")
                .groupby(["@a"])
                .reduce(Reduce::quantile("@a", 1.5)),
            "QUANTILE's quantile is a number from 0 to 1",
        ),
        (
            client
                .ft_aggregate("none", "*")
                .groupby(["@a"])
                .reduce(Reduce::random_sample("@a", 0)),
            "RANDOM_SAMPLE's size is at least 1",
        ),
    ];
    for (cmd, words) in cases {
        let err = cmd.await.unwrap_err();
        assert_eq!(*err.kind(), respec::ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains(words), "{err}");
    }
    // Nothing reached the server: it ran no FT.AGGREGATE (an unknown index
    // would have been its error).
    let stats = client.info().section(["commandstats"]).await.unwrap();
    let stats = String::from_utf8_lossy(stats.as_bytes()).to_ascii_lowercase();
    assert!(stats.contains("cmdstat_"), "{stats}");
    assert!(!stats.contains("ft.aggregate"), "{stats}");
}

/// The blocking client: the same generated methods, `.run()` instead of
/// `.await`.
#[test]
fn search_through_the_blocking_client() {
    let server = Server::builder(Kind::Redis).module(Module::Search).start();
    for proto in [2, 3] {
        let client =
            respec::blocking::Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        let _ = client.ft_dropindex("b").dd().run();
        client
            .ft_create("b", Schema::new().text("name").numeric("n").sortable())
            .prefix(["b:"])
            .skipinitialscan()
            .run()
            .unwrap();
        for (id, name, n) in [("b:1", "alpha one", "1"), ("b:2", "alpha two", "2")] {
            client.hset(id, [("name", name), ("n", n)]).run().unwrap();
        }
        let found = client
            .ft_search("b", "alpha")
            .sortby("n")
            .desc()
            .return_([("name", None)])
            .run()
            .unwrap();
        assert_eq!(found.total, 2);
        assert_eq!(ids(&found), ["b:2", "b:1"]);
        assert_eq!(
            found.documents[0].fields,
            [("name".into(), "alpha two".into())]
        );
        let rows = client
            .ft_aggregate("b", "*")
            .load(["@n"])
            .sortby([("@n", Order::Asc)])
            .run()
            .unwrap();
        let ns: Vec<&Reply> = rows.rows.iter().map(|r| r.get("n").unwrap()).collect();
        assert_eq!(ns, [&Reply::Bulk("1".into()), &Reply::Bulk("2".into())]);
        let info = client.ft_info("b").run().unwrap();
        assert_eq!(info.num_docs, 2);
        client.ft_dropindex("b").dd().run().unwrap();
    }
}

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

/// The configuration, the 1.x document API, the coordinator's internal
/// commands and the developer commands (FT.DEBUG), in one protocol.
#[allow(deprecated)] // the 1.x document API and FT.SYNADD: deprecated, still served
async fn run_the_rest(client: &Client) -> respec::Result<Vec<(String, String)>> {
    let mut log = Vec::new();
    call!(log, client.ft_config_set("TIMEOUT", "700"));
    let timeout = call!(log, client.ft_config_get("TIMEOUT"));
    assert_eq!(timeout["TIMEOUT"].as_ref().unwrap(), "700");
    let help = call!(log, client.ft_config_help("TIMEOUT"));
    let option = help.get("TIMEOUT").unwrap();
    assert_eq!(help.len(), 1);
    assert_eq!(option.description, "Query (search) timeout");
    assert_eq!(option.value.as_ref().unwrap(), "700");

    // The 1.x document API, on an index of hashes.
    client
        .ft_create(
            "legacy",
            Schema::new().text("title").numeric("n").sortable(),
        )
        .skipinitialscan()
        .await?;
    call!(
        log,
        client.ft_add("legacy", "L1", 1.0, [("title", "first legacy"), ("n", "1")])
    );
    call!(
        log,
        client.ft_safeadd("legacy", "L2", 0.5, [("title", "second"), ("n", "2")])
    );
    // Maps: logged in a fixed order.
    let sorted = |m: &std::collections::HashMap<ByteStr, ByteStr>| {
        format!(
            "{:?}",
            m.iter().collect::<std::collections::BTreeMap<_, _>>()
        )
    };
    let got = client.ft_get("legacy", "L1").await?.expect("L1 was added");
    assert_eq!(got[&ByteStr::from("title")], "first legacy");
    log.push(("FT.GET".into(), sorted(&got)));
    let many = client.ft_mget("legacy", ["L2", "nope"]).await?;
    assert_eq!(many.len(), 2);
    assert_eq!(many[0].as_ref().unwrap()[&ByteStr::from("n")], "2");
    assert!(many[1].is_none());
    log.push(("FT.MGET".into(), sorted(many[0].as_ref().unwrap())));
    assert_eq!(call!(log, client.ft_del("legacy", "L2")), 1);

    // FT.DEBUG on that index.
    let sha = call!(log, client.ft_debug_git_sha());
    assert_eq!(sha.len(), 40, "{sha}");
    let debug_help = call!(log, client.ft_debug_help());
    assert!(
        debug_help.iter().any(|h| h == "DUMP_TERMS"),
        "{debug_help:?}"
    );
    let terms = call!(log, client.ft_debug_dump_terms("legacy"));
    // With the stem of `legacy`, and the deleted L2's term until the
    // collector runs.
    assert_eq!(terms, ["+legaci", "first", "legacy", "second"]);
    let id = call!(log, client.ft_debug_docidtoid("legacy", "L1"));
    assert_eq!(id, 1);
    assert_eq!(call!(log, client.ft_debug_idtodocid("legacy", id)), "L1");
    assert_eq!(
        call!(log, client.ft_debug_dump_invidx("legacy", "first")),
        [1]
    );
    let inv = call!(log, client.ft_debug_invidx_summary("legacy", "first"));
    assert_eq!(inv.get("numDocs"), Some(&Reply::Integer(1)), "{inv:?}");
    let num = call!(log, client.ft_debug_numidx_summary("legacy", "n"));
    assert_eq!(num.get("numRanges"), Some(&Reply::Integer(1)), "{num:?}");
    let doc = call!(log, client.ft_debug_docinfo("legacy", "L1"));
    assert!(!doc.is_empty());
    // One range holding both documents.
    assert_eq!(
        call!(log, client.ft_debug_dump_numidx("legacy", "n")),
        [[1, 2]]
    );
    call!(log, client.ft_debug_dump_numidxtree("legacy", "n"));
    let prefixes = call!(log, client.ft_debug_dump_prefix_trie());
    assert!(prefixes.contains_key("prefixes_count"), "{prefixes:?}");
    assert_eq!(call!(log, client.ft_debug_gc_forceinvoke("legacy")), "DONE");
    call!(log, client.ft_debug_gc_stop_schedule("legacy"));
    call!(log, client.ft_debug_gc_continue_schedule("legacy"));
    call!(log, client.ft_debug_gc_forcebginvoke("legacy"));
    assert_eq!(call!(log, client.ft_debug_gc_wait_for_jobs()), "DONE");
    call!(log, client.ft_debug_gc_clean_numeric("legacy", "n"));
    call!(log, client.ft_debug_delete_local_cursors());

    // Tag, geometry and vector indexes.
    client
        .ft_create(
            "dbg",
            Schema::new()
                .text("t")
                .withsuffixtrie()
                .tag("tg")
                .geoshape("gs")
                .vector("v", Hnsw, VectorType::Float32, 2, Distance::L2),
        )
        .prefix(["dbg:"])
        .skipinitialscan()
        .await?;
    client
        .hset(
            "dbg:1",
            [
                ("t", b"hello".to_vec()),
                ("tg", b"x,y".to_vec()),
                ("gs", b"POINT (1 2)".to_vec()),
                (
                    "v",
                    [1f32, 2.0].iter().flat_map(|f| f.to_le_bytes()).collect(),
                ),
            ],
        )
        .await?;
    let suffixes = call!(log, client.ft_debug_dump_suffix_trie("dbg"));
    assert_eq!(suffixes, ["ello", "hello", "llo", "lo"]);
    let tags = call!(log, client.ft_debug_info_tagidx("dbg", "tg"));
    assert!(!tags.is_empty());
    assert_eq!(
        call!(log, client.ft_debug_dump_tagidx("dbg", "tg")),
        [("x".into(), vec![1]), ("y".into(), vec![1])]
    );
    // Its memory sizes follow the allocator: not logged.
    let vec = client.ft_debug_vecsim_info("dbg", "v").await?;
    assert_eq!(vec.get("DIMENSION"), Some(&Reply::Integer(2)), "{vec:?}");
    call!(log, client.ft_debug_dump_hnsw("dbg", "v"));
    // Its memory addresses differ from run to run: not logged.
    let geo = client.ft_debug_dump_geomidx("dbg", "gs").await?;
    assert!(format!("{geo:?}").contains("POINT(1 2)"), "{geo:?}");

    // A temporary index.
    client
        .ft_create("tmp", Schema::new().text("t"))
        .temporary(100)
        .await?;
    let ttl = client.ft_debug_ttl("tmp").await?;
    assert!((1..=100).contains(&ttl), "{ttl}");
    call!(log, client.ft_debug_ttl_pause("tmp"));
    call!(log, client.ft_debug_ttl_expire("tmp"));

    // FT.SYNADD: the server refuses it now.
    let err = client.ft_synadd("legacy", ["a", "b"]).await.unwrap_err();
    assert!(err.to_string().contains("FT.SYNUPDATE"), "{err}");

    // The coordinator's internal commands, on a standalone server.
    let schema = || Schema::new().text("t");
    call!(log, client.ft_createifnx("internal", schema()));
    call!(log, client.ft_createifnx("internal", schema()));
    call!(
        log,
        client.ft_alterifnx("internal", Schema::new().tag("tg"))
    );
    call!(log, client.ft_aliasaddifnx("al", "internal"));
    call!(log, client.ft_aliasaddifnx("al", "internal"));
    call!(log, client.ft_aliasdelifx("al"));
    call!(log, client.ft_aliasdelifx("al"));
    let info = client.ft_info("internal").await?;
    let kinds: Vec<&str> = info.attributes.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["TEXT", "TAG"]);
    call!(log, client.ft_dropifx("internal"));
    call!(log, client.ft_dropindexifx("internal"));
    call!(log, client.ft_dropindexifx("dbg"));
    call!(log, client.ft_drop("legacy"));
    let left = call!(log, client.ft_list());
    assert!(left.is_empty(), "{left:?}");
    Ok(log)
}

#[tokio::test]
async fn config_legacy_internal_and_debug_commands() {
    let mut logs = Vec::new();
    for proto in [2, 3] {
        let server = Server::builder(Kind::Redis).module(Module::Search).start();
        let client = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        logs.push(run_the_rest(&client).await.unwrap());
    }
    let names: BTreeSet<&str> = logs[0].iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(logs[0], logs[1]);
    println!(
        "search: {} more commands called in RESP2 and RESP3, values equal: {names:?}",
        names.len()
    );
}
