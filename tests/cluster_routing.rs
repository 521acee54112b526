//! The cluster routing core against a real cluster-enabled Redis 8.2.3:
//! slots as the server computes them, and routes of commands whose keys
//! the server extracts itself.

mod support;

use respec::cluster::{key_slot, route, split, Route};
use respec::{Cmd, Frame};
use support::Kind;

fn args(a: &[&[u8]]) -> Cmd {
    Cmd::from_args(a.iter().copied()).expect("non-empty")
}

#[test]
fn slots_agree_with_cluster_keyslot() {
    let node = support::Server::builder(Kind::Redis)
        .arg("cluster-enabled", "yes")
        .start();
    let client = respec::blocking::Client::open(&node.url()).unwrap();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut keys: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"foo".to_vec(),
        b"{user1000}.following".to_vec(),
        b"foo{}{bar}".to_vec(),
        b"foo{{bar}}zap".to_vec(),
        b"{".to_vec(),
        b"}{".to_vec(),
        b"\xff\xfe{\x00}".to_vec(),
    ];
    for _ in 0..1000 {
        let len = (next() % 24) as usize;
        keys.push(
            (0..len)
                .map(|_| match next() % 6 {
                    0 => b'{',
                    1 => b'}',
                    _ => (next() % 256) as u8,
                })
                .collect(),
        );
    }
    let mut pipe = Vec::new();
    for k in &keys {
        pipe.push(args(&[b"CLUSTER", b"KEYSLOT", k]));
    }
    let replies = client.pipeline(&pipe).unwrap();
    for (k, reply) in keys.iter().zip(replies) {
        assert_eq!(
            reply,
            Frame::Integer(key_slot(k) as i64),
            "key {:?}",
            String::from_utf8_lossy(k)
        );
    }
}

#[test]
fn routes_agree_with_the_servers_own_key_extraction() {
    let node = support::Server::builder(Kind::Redis)
        .arg("cluster-enabled", "yes")
        .start();
    let client = respec::blocking::Client::open(&node.url()).unwrap();
    let commands: Vec<Vec<&[u8]>> = vec![
        vec![b"GET", b"{t}a"],
        vec![b"SET", b"{t}a", b"1", b"GET"],
        vec![b"LMOVE", b"{q}src", b"{q}dst", b"LEFT", b"RIGHT"],
        vec![
            b"ZUNIONSTORE",
            b"{z}out",
            b"2",
            b"{z}a",
            b"{z}b",
            b"WEIGHTS",
            b"1",
            b"2",
        ],
        vec![
            b"XREADGROUP",
            b"GROUP",
            b"g",
            b"c",
            b"STREAMS",
            b"{s}1",
            b"{s}2",
            b">",
            b">",
        ],
        vec![b"EVAL", b"return 1", b"1", b"{e}k", b"arg"],
        vec![b"BITOP", b"AND", b"{b}dest", b"{b}x", b"{b}y"],
    ];
    for c in commands {
        let cmd = Cmd::from_args(c.iter().copied()).unwrap();
        let mut getkeys = vec![&b"COMMAND"[..], b"GETKEYS"];
        getkeys.extend(c.iter().copied());
        let keys: Vec<Vec<u8>> = client.query(&args(&getkeys)).unwrap();
        let slot = key_slot(&keys[0]);
        assert!(keys.iter().all(|k| key_slot(k) == slot));
        match route(&cmd).unwrap() {
            Route::Slot { slot: s, .. } => assert_eq!(s, slot, "{c:?}"),
            other => panic!("{c:?} routed to {other:?}"),
        }
    }
    // SORT's key specs leave some keys to the command itself (BY and GET
    // patterns): the client must ask the server.
    let sort = Cmd::from_args(["SORT", "{o}list", "STORE", "{o}out"]).unwrap();
    assert_eq!(route(&sort).unwrap(), Route::Special);
    // A split MSET and MGET, each part accepted by a cluster node only when
    // its keys are in one slot: the node owns no slots, so every part gets
    // a redirect naming the part's slot.
    let mset = Cmd::from_args(["MSET", "a", "1", "b", "2", "{a}c", "3"]).unwrap();
    for part in split(&mset).unwrap() {
        let e = client
            .execute(
                &respec::Cmd::from_args(respec::commands::support::split_encoded(&part.command))
                    .unwrap(),
            )
            .unwrap_err();
        assert!(
            e.to_string().contains("CLUSTERDOWN")
                || e.to_string().contains(&format!("{}", part.slot)),
            "{e}"
        );
    }
}
