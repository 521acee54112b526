//! The vector-set commands (built into Redis 8.2.3) through their generated
//! methods, in RESP2 and RESP3: every command of the family is called, its
//! typed value asserted, and the values of the two protocols compared.
#![cfg(all(feature = "vectorset", not(respec_valkey)))]

mod support;

use std::collections::BTreeSet;

use respec::commands::{VaddQuantization, VaddVector, VsimQuery};
use respec::prelude::*;
use respec::records::{VectorMatch, VectorMatches, VectorSetInfo};
use support::Kind;

/// Everything the calls answered, in a form both protocols must agree on.
#[derive(Debug, PartialEq)]
struct Seen {
    added: Vec<bool>,
    card: i64,
    dim: i64,
    emb: Option<Vec<f64>>,
    raw_quant: String,
    raw_norm: f64,
    attr: Option<ByteStr>,
    no_attr: Option<ByteStr>,
    info: Option<VectorSetInfo>,
    member: (bool, bool),
    links: Option<Vec<Vec<ByteStr>>>,
    links_scored: Option<Vec<Vec<(ByteStr, f64)>>>,
    rand: BTreeSet<ByteStr>,
    sim: Vec<ByteStr>,
    sim_scored: Vec<(ByteStr, f64)>,
    sim_attrs: Vec<(ByteStr, Option<ByteStr>)>,
    sim_both: Vec<VectorMatch>,
    setattr: bool,
    removed: (bool, bool),
}

async fn run(client: &Client) -> respec::Result<Seen> {
    let k = "vs";
    let mut added = Vec::new();
    for (e, v) in [
        ("a", [1.0, 0.0, 0.0]),
        ("b", [0.0, 1.0, 0.0]),
        ("c", [0.9, 0.1, 0.0]),
    ] {
        let mut cmd = client.vadd(k, VaddVector::Values(v.to_vec()), e);
        if e == "a" {
            cmd = cmd.setattr(r#"{"x":1}"#);
        }
        added.push(cmd.await?);
    }
    // Added again: not new.
    added.push(
        client
            .vadd(k, VaddVector::Values(vec![1.0, 0.0, 0.0]), "a")
            .await?,
    );
    // An unquantized set, for the raw form of f32.
    client
        .vadd("vs32", VaddVector::Values(vec![3.0, 4.0]), "p")
        .quantization(VaddQuantization::Noquant)
        .await?;
    let raw = client.vemb("vs32", "p").raw().await?.expect("p exists");
    assert_eq!(raw.data.len(), 8, "two little-endian f32s");
    let sim = client.vsim(k, VsimQuery::Element("a".into())).await?;
    // Both options: the reply type follows the last builder alone, so the
    // record of the pair is asked for by name.
    let sim_both: VectorMatches = client
        .vsim(k, VsimQuery::Element("a".into()))
        .withscores()
        .withattribs()
        .reply()
        .await?;
    Ok(Seen {
        added,
        card: client.vcard(k).await?,
        dim: client.vdim(k).await?,
        emb: client.vemb(k, "a").await?,
        raw_quant: raw.quantization,
        raw_norm: raw.norm,
        attr: client.vgetattr(k, "a").await?,
        no_attr: client.vgetattr(k, "b").await?,
        info: client.vinfo(k).await?,
        member: (
            client.vismember(k, "a").await?,
            client.vismember(k, "z").await?,
        ),
        links: client.vlinks(k, "a").await?,
        links_scored: client.vlinks(k, "a").withscores().await?,
        rand: client.vrandmember(k).count(10).await?.into_iter().collect(),
        sim,
        sim_scored: client
            .vsim(k, VsimQuery::Values(vec![0.0, 1.0, 0.0]))
            .withscores()
            .count(2)
            .await?,
        sim_attrs: client
            .vsim(k, VsimQuery::Element("a".into()))
            .withattribs()
            .await?,
        sim_both: sim_both.0,
        setattr: client.vsetattr(k, "b", r#"{"y":2}"#).await?,
        removed: (client.vrem(k, "c").await?, client.vrem(k, "c").await?),
    })
}

#[tokio::test]
async fn vector_sets_read_the_same_in_both_protocols() {
    let server = support::server(Kind::Redis);
    let mut seen = Vec::new();
    for proto in [2, 3] {
        let client = Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        client.del(["vs", "vs32"]).await.unwrap();
        seen.push(run(&client).await.unwrap());
    }
    let s = &seen[0];
    assert_eq!(s.added, [true, true, true, false]);
    assert_eq!((s.card, s.dim), (3, 3));
    assert_eq!(s.emb.as_deref(), Some(&[1.0, 0.0, 0.0][..]));
    assert_eq!((s.raw_quant.as_str(), s.raw_norm), ("f32", 5.0));
    assert_eq!(s.attr.as_ref().unwrap(), r#"{"x":1}"#);
    assert_eq!(s.no_attr, None);
    let info = s.info.as_ref().unwrap();
    assert_eq!(
        (info.vector_dim, info.size, info.attributes_count),
        (3, 3, 1)
    );
    assert_eq!(info.quant_type, "int8");
    assert_eq!(s.member, (true, false));
    let level0: BTreeSet<_> = s.links.as_ref().unwrap()[0].iter().cloned().collect();
    // The graph's links (which depend on how the graph was built): other
    // elements, never itself, the same with and without scores.
    assert_eq!(s.links_scored.as_ref().unwrap()[0].len(), level0.len());
    assert!(level0.is_subset(&BTreeSet::from(["b".into(), "c".into()])));
    assert!(s.links_scored.as_ref().unwrap()[0]
        .iter()
        .all(|(_, score)| (0.0..=1.0).contains(score)));
    assert_eq!(s.rand.len(), 3);
    assert_eq!(s.sim, ["a", "c", "b"]);
    assert_eq!(s.sim_scored[0].0, "b");
    assert_eq!(s.sim_scored.len(), 2);
    assert_eq!(s.sim_attrs[0], ("a".into(), Some(r#"{"x":1}"#.into())));
    assert_eq!(s.sim_attrs[1], ("c".into(), None));
    assert_eq!(s.sim_both[0].element, "a");
    assert_eq!(s.sim_both[0].score, 1.0);
    assert_eq!(s.sim_both[0].attributes.as_ref().unwrap(), r#"{"x":1}"#);
    assert!(s.setattr);
    assert_eq!(s.removed, (true, false));
    // A missing key: nulls, not errors.
    let client = Client::open(&server.url()).unwrap();
    assert_eq!(client.vinfo("none").await.unwrap(), None);
    assert_eq!(client.vemb("none", "a").await.unwrap(), None);
    assert_eq!(client.vlinks("none", "a").await.unwrap(), None);
    // RESP2 and RESP3: the same typed values (the random pick and the
    // set id, graph level and links aside: the HNSW graph draws its levels
    // at random, so they differ from one set to the next).
    let strip = |s: &Seen| {
        let mut info = s.info.clone().unwrap();
        info.vset_uid = 0;
        info.max_level = 0; // a random draw of the HNSW graph
        (
            info,
            format!(
                "{:?}",
                (
                    &s.added,
                    s.card,
                    &s.emb,
                    &s.sim,
                    &s.sim_scored,
                    &s.sim_attrs,
                    &s.sim_both
                )
            ),
        )
    };
    assert_eq!(strip(&seen[0]), strip(&seen[1]));
    assert_eq!(seen[0].rand, seen[1].rand);
    println!("vectorset: 12 of 12 commands called in RESP2 and RESP3, values equal");
}

/// The blocking client: the same generated methods, `.run()` instead of
/// `.await`, in both protocols.
#[test]
fn vector_sets_through_the_blocking_client() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let client =
            respec::blocking::Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        client.del(["bvs"]).run().unwrap();
        for (e, v) in [("a", [1.0, 0.0]), ("b", [0.0, 1.0]), ("c", [0.8, 0.2])] {
            let added = client
                .vadd("bvs", VaddVector::Values(v.to_vec()), e)
                .quantization(VaddQuantization::Noquant)
                .run()
                .unwrap();
            assert!(added);
        }
        assert_eq!(client.vcard("bvs").run().unwrap(), 3);
        assert_eq!(
            client.vemb("bvs", "b").run().unwrap().as_deref(),
            Some(&[0.0, 1.0][..])
        );
        let near = client
            .vsim("bvs", VsimQuery::Values(vec![1.0, 0.0]))
            .withscores()
            .count(2)
            .run()
            .unwrap();
        let names: Vec<&str> = near.iter().map(|(e, _)| e.as_str().unwrap()).collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(near[0].1, 1.0);
        assert!(near[1].1 < 1.0 && near[1].1 > 0.5, "{near:?}");
        let info = client.vinfo("bvs").run().unwrap().unwrap();
        assert_eq!((info.size, info.vector_dim), (3, 2));
        assert_eq!(info.quant_type, "f32");
        assert!(client.vrem("bvs", "a").run().unwrap());
        assert!(!client.vismember("bvs", "a").run().unwrap());
    }
}
