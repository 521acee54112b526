//! The JSON commands (RedisJSON) through their generated methods, in RESP2
//! and RESP3: values go in and come out through serde, every command of
//! the family is called with JSONPaths and legacy paths, its typed value
//! asserted, and the values of the two protocols compared.
#![cfg(all(feature = "json", not(respec_valkey)))]

mod support;

use std::collections::BTreeSet;

use respec::commands::JsonDebugSubcommand;
use respec::json::{Json, Matches};
use respec::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Item {
    sku: String,
    qty: u32,
    /// Nested arrays: a box's sides per parcel.
    parcels: Vec<Vec<u32>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    id: u64,
    customer: String,
    items: Vec<Item>,
    tags: Vec<String>,
    paid: bool,
    total: f64,
    note: Option<String>,
}

fn order() -> Order {
    Order {
        id: 7,
        customer: "ada".into(),
        items: vec![
            Item {
                sku: "pen".into(),
                qty: 2,
                parcels: vec![vec![10, 2, 2]],
            },
            Item {
                sku: "ink".into(),
                qty: 1,
                parcels: vec![vec![5, 5, 5], vec![1, 1, 1]],
            },
        ],
        tags: vec!["new".into()],
        paid: false,
        total: 12.5,
        note: None,
    }
}

/// A serde struct in, the same struct out; paths of both kinds.
async fn round_trip(client: &Client, log: &mut Log) -> respec::Result<()> {
    let o = order();
    assert_eq!(call!(log, client.json_set("o", "$", Json(&o))), Some(()));
    // NX on an existing path: not set, a null reply.
    assert_eq!(call!(log, client.json_set("o", "$", Json(&o)).nx()), None);
    let back: Option<Json<Order>> = client.json_get("o").reply().await?;
    assert_eq!(back.unwrap().0, o);
    // The default reply: a serde_json::Value.
    let v = call!(log, client.json_get("o").path(["$.items[*].sku"]));
    assert_eq!(v.unwrap().0, json!(["pen", "ink"]));
    // A legacy path answers the value itself; several paths an object.
    let first: Option<Json<Item>> = client.json_get("o").path([".items[0]"]).reply().await?;
    assert_eq!(first.unwrap().0, o.items[0]);
    // Several paths: an object keyed by path. Its members' order is the
    // server's (and serde_json's, with its `preserve_order` feature), not
    // part of the value: compared as a map, logged in a fixed order.
    let two = client.json_get("o").path(["$.id", "$.paid"]).await?;
    let two = two.unwrap().0;
    assert_eq!(two, json!({"$.id": [7], "$.paid": [false]}));
    log.push((
        "JSON.GET".into(),
        format!("{:?} {:?}", two["$.id"], two["$.paid"]),
    ));
    assert_eq!(call!(log, client.json_get("missing")), None);
    // JSON.MGET: one value per key, null for a missing key.
    client.json_set("o2", "$", Json(&json!({"id": 8}))).await?;
    let ids = call!(
        log,
        client.json_mget("o", "$.id").more_keys(["o2", "missing"])
    );
    assert_eq!(ids, [Some(Json(json!([7]))), Some(Json(json!([8]))), None]);
    let ids: Vec<Option<Json<u64>>> = client
        .json_mget("o", ".id")
        .more_keys(["o2"])
        .reply()
        .await?;
    assert_eq!(ids, [Some(Json(7)), Some(Json(8))]);
    // JSON.MSET and JSON.MERGE take serde values too.
    call!(
        log,
        client.json_mset([
            ("o", "$.note", Json(json!("fragile"))),
            ("o2", "$.tags", Json(json!(["x"]))),
        ])
    );
    call!(
        log,
        client.json_merge("o", "$", Json(json!({"paid": true, "customer": null})))
    );
    let merged: Option<Json<serde_json::Value>> = client.json_get("o").reply().await?;
    let merged = merged.unwrap().0;
    assert_eq!(merged["note"], "fragile");
    assert_eq!(merged["paid"], true);
    assert!(merged.get("customer").is_none(), "merge with null deletes");
    Ok(())
}

/// Increments, toggles, strings, types, keys: per match and legacy.
#[allow(deprecated)] // JSON.NUMMULTBY and JSON.RESP: deprecated by the module, still served
async fn path_updates(client: &Client, log: &mut Log) -> respec::Result<()> {
    client
        .json_set("d", "$", Json(json!({"n": 1, "m": {"n": 2.5}, "s": "hi", "t": true, "a": [1, 2, 3], "o": {"k": 1}})))
        .await?;
    let up = call!(log, client.json_numincrby("d", "$..n", 2.0));
    assert_eq!(up.into_vec(), [Some(3.0), Some(4.5)]);
    // A legacy path: its one match (RESP2 sends text, RESP3 a number).
    assert_eq!(
        call!(log, client.json_numincrby("d", ".n", 1.0)).into_first(),
        Some(4.0)
    );
    assert_eq!(
        call!(log, client.json_nummultby("d", "$.n", 2.5)).into_vec(),
        [Some(10.0)]
    );
    assert_eq!(
        call!(log, client.json_numpowby("d", "$.m.n", 2.0)).into_vec(),
        [Some(20.25)]
    );
    // Not a number: null for that match.
    assert_eq!(
        call!(log, client.json_numincrby("d", "$.s", 1.0)).into_vec(),
        [None]
    );
    assert_eq!(
        call!(log, client.json_toggle("d", "$.t")).into_vec(),
        [Some(false)]
    );
    assert_eq!(
        call!(log, client.json_toggle("d", ".t")).into_vec(),
        [Some(true)]
    );
    // A string value is JSON text: `Json("!")` sends `"!"`.
    assert_eq!(
        call!(log, client.json_strappend("d", Json("!")).path("$.s")).into_vec(),
        [Some(3)]
    );
    assert_eq!(
        call!(log, client.json_strappend("d", Json("?")).path(".s")).into_first(),
        Some(4)
    );
    // One match per member; only `s` is a string. (The members' order is
    // serde_json's, which depends on its features: not asserted.)
    let mut lens = call!(log, client.json_strlen("d").path("$.*")).into_vec();
    lens.sort();
    assert_eq!(lens, [None, None, None, None, None, Some(4)]);
    assert_eq!(
        call!(log, client.json_strlen("d").path(".s")).into_first(),
        Some(4)
    );
    // Types: RESP3 wraps them once more; both read the same.
    let types = call!(log, client.json_type("d").path("$.*"));
    let mut names: Vec<_> = types.iter().map(|t| t.as_deref().unwrap()).collect();
    // In serde_json's member order, which depends on its features.
    names.sort();
    assert_eq!(
        names,
        ["array", "boolean", "number", "object", "object", "string"]
    );
    assert_eq!(
        call!(log, client.json_type("d")).into_first().as_deref(),
        Some("object")
    );
    assert_eq!(
        call!(log, client.json_type("d").path(".m.n"))
            .into_first()
            .as_deref(),
        Some("number")
    );
    assert_eq!(
        call!(log, client.json_type("d").path("$.zz")).into_vec(),
        []
    );
    // Keys: per object matched (null for a match that is not one), or
    // the one list of a legacy path.
    let keys = call!(log, client.json_objkeys("d").path("$.o"));
    assert_eq!(keys.into_vec(), [Some(vec![ByteStr::from("k")])]);
    let keys = call!(log, client.json_objkeys("d").path("$[\"o\",\"n\"]"));
    assert_eq!(keys.len(), 2);
    let keys = call!(log, client.json_objkeys("d"));
    assert_eq!(keys.into_first().unwrap().len(), 6);
    assert_eq!(
        call!(log, client.json_objlen("d").path("$.o")).into_vec(),
        [Some(1)]
    );
    assert_eq!(call!(log, client.json_objlen("d")).into_first(), Some(6));
    // JSON.RESP: the document in RESP form, read the same in both.
    let resp = call!(log, client.json_resp("d").path(".o"));
    assert_eq!(
        resp,
        respec::records::Reply::Array(vec![
            respec::records::Reply::Simple("{".into()),
            respec::records::Reply::Bulk("k".into()),
            respec::records::Reply::Integer(1),
        ])
    );
    // Memory: one size per match, or the legacy path's one.
    let mem = call!(
        log,
        client.json_debug(JsonDebugSubcommand::Memory {
            key: "d".into(),
            path: Some("$.o".into()),
        })
    );
    assert!(mem.into_first().unwrap() > 0);
    let mem = call!(
        log,
        client.json_debug(JsonDebugSubcommand::Memory {
            key: "d".into(),
            path: None,
        })
    );
    assert!(mem.into_first().unwrap() > 0);
    let help: Vec<String> = client.json_debug(JsonDebugSubcommand::Help).reply().await?;
    assert!(help.iter().any(|l| l.starts_with("MEMORY")), "{help:?}");
    // Clear (containers emptied, numbers zeroed), forget, delete.
    assert_eq!(call!(log, client.json_clear("d").path("$.o")), 1);
    assert_eq!(
        call!(log, client.json_objlen("d").path(".o")).into_first(),
        Some(0)
    );
    assert_eq!(call!(log, client.json_forget("d").path("$.m")), 1);
    assert_eq!(call!(log, client.json_del("d").path("$.zz")), 0);
    assert_eq!(call!(log, client.json_del("d")), 1);
    assert_eq!(call!(log, client.json_type("d")).into_vec(), [None]);
    Ok(())
}

/// Arrays: append, insert, index, pop, trim, length, with serde values.
async fn arrays(client: &Client, log: &mut Log) -> respec::Result<()> {
    client.json_set("o", "$", Json(&order())).await?;
    let new_item = Item {
        sku: "pad".into(),
        qty: 3,
        parcels: vec![vec![20, 15, 1]],
    };
    let lens = call!(
        log,
        client.json_arrappend("o", "$.items", [Json(&new_item)])
    );
    assert_eq!(lens.into_vec(), [Some(3)]);
    assert_eq!(
        call!(
            log,
            client.json_arrappend("o", ".tags", [Json("a"), Json("b")])
        )
        .into_first(),
        Some(3)
    );
    // Every `parcels` array: one length per match.
    let lens = call!(
        log,
        client.json_arrappend("o", "$.items[*].parcels", [Json(vec![0, 0, 0])])
    );
    assert_eq!(lens.into_vec(), [Some(2), Some(3), Some(2)]);
    assert_eq!(
        call!(
            log,
            client.json_arrinsert("o", "$.tags", 0, [Json("first")])
        )
        .into_vec(),
        [Some(4)]
    );
    assert_eq!(
        call!(log, client.json_arrlen("o").path("$..parcels")).into_vec(),
        [Some(2), Some(3), Some(2)]
    );
    assert_eq!(
        call!(log, client.json_arrlen("o").path(".tags")).into_first(),
        Some(4)
    );
    // Not an array: null for that match.
    assert_eq!(
        call!(log, client.json_arrlen("o").path("$.id")).into_vec(),
        [None]
    );
    assert_eq!(
        call!(log, client.json_arrindex("o", "$.tags", Json("a"))).into_vec(),
        [Some(2)]
    );
    assert_eq!(
        call!(log, client.json_arrindex("o", ".tags", Json("zz")).start(0)).into_first(),
        Some(-1)
    );
    // Popped values come back as JSON, typed by serde when asked.
    let popped = call!(log, client.json_arrpop("o").path("$.tags"));
    assert_eq!(popped.into_vec(), [Some(Json(json!("b")))]);
    let item: Matches<Json<Item>> = client
        .json_arrpop("o")
        .path(".items")
        .index(-1)
        .reply()
        .await?;
    let mut expected = new_item;
    expected.parcels.push(vec![0, 0, 0]);
    assert_eq!(item.into_first().unwrap().0, expected);
    assert_eq!(
        call!(log, client.json_arrtrim("o", "$.tags", 0, 1)).into_vec(),
        [Some(2)]
    );
    let tags: Option<Json<Vec<String>>> = client.json_get("o").path([".tags"]).reply().await?;
    assert_eq!(tags.unwrap().0, ["first", "new"]);
    let parcels: Option<Json<Vec<Vec<Vec<u32>>>>> = client
        .json_get("o")
        .path(["$.items[*].parcels"])
        .reply()
        .await?;
    assert_eq!(
        parcels.unwrap().0,
        [
            vec![vec![10, 2, 2], vec![0, 0, 0]],
            vec![vec![5, 5, 5], vec![1, 1, 1], vec![0, 0, 0]],
        ]
    );
    Ok(())
}

async fn run(client: &Client) -> respec::Result<Log> {
    let mut log = Vec::new();
    round_trip(client, &mut log).await?;
    path_updates(client, &mut log).await?;
    arrays(client, &mut log).await?;
    Ok(log)
}

#[tokio::test]
async fn json_reads_the_same_in_both_protocols() {
    let server = Server::builder(Kind::Redis).module(Module::Json).start();
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
    assert_eq!(logs[0].len(), logs[1].len());
    for (a, b) in logs[0].iter().zip(&logs[1]) {
        assert_eq!(a, b, "RESP2 and RESP3 differ");
    }
    let called: BTreeSet<&str> = logs[0].iter().map(|(n, _)| n.as_str()).collect();
    let family: BTreeSet<&str> = respec::commands::ALL
        .iter()
        .filter(|s| s.group == "json")
        .map(|s| s.name)
        .collect();
    let missing: Vec<_> = family.difference(&called).collect();
    assert!(missing.is_empty(), "not called: {missing:?}");
    // A value serde cannot serialize fails the command, nothing sent.
    let client = Client::open(&server.url()).unwrap();
    let bad: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
    let e = client.json_set("bad", "$", Json(&bad)).await.unwrap_err();
    assert!(e.to_string().contains("serialized"), "{e}");
    assert_eq!(client.exists(["bad"]).await.unwrap(), 0);
    // A document that does not match the type asked for: a conversion
    // error naming the type.
    client.json_set("n", "$", Json(1)).await.unwrap();
    let e = client
        .json_get("n")
        .reply::<Option<Json<Order>>>()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Order"), "{e}");
    println!(
        "json: {} of {} commands called in RESP2 and RESP3, values equal",
        called.len(),
        family.len()
    );
}

/// The blocking client: the same generated methods, `.run()` instead of
/// `.await`, in both protocols.
#[test]
fn json_through_the_blocking_client() {
    let server = Server::builder(Kind::Redis).module(Module::Json).start();
    for proto in [2, 3] {
        let client =
            respec::blocking::Client::open(&format!("{}?protocol={proto}", server.url())).unwrap();
        let o = order();
        assert_eq!(
            client.json_set("bo", "$", Json(&o)).run().unwrap(),
            Some(())
        );
        let back: Option<Json<Order>> = client.json_get("bo").reply().run().unwrap();
        assert_eq!(back.unwrap().0, o);
        let lens = client
            .json_arrappend("bo", "$.tags", [Json("new")])
            .run()
            .unwrap();
        assert_eq!(lens, Matches(vec![Some(o.tags.len() as i64 + 1)]));
        let ids = client.json_numincrby("bo", "$.id", 3.0).run().unwrap();
        assert_eq!(ids, Matches(vec![Some(10.0)]));
        let types = client.json_type("bo").path("$.items").run().unwrap();
        assert_eq!(types, Matches(vec![Some("array".to_string())]));
        assert_eq!(client.json_del("bo").run().unwrap(), 1);
        assert_eq!(client.json_get("bo").run().unwrap(), None);
    }
}
