//! Checks of the cluster test support (`support::cluster`) against real
//! servers: a 3 + 3 cluster of Redis 8.2.3 and one of Valkey 9.1.2 form,
//! route, reshard, fail over and heal as the helpers promise.
//!
//! Each test drives one cluster through every helper in turn (forming a
//! cluster takes a few seconds, so the checks share it). The timings are
//! printed (`cargo nextest run --test cluster_support --no-capture`).

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::cluster::{key_slot, Cluster, Conn, Failover, NodeState, Role, Value, SLOTS};
use support::Kind;

/// Redis 8.2.3: every helper, on one 3 + 3 cluster.
#[test]
fn redis_cluster_helpers() {
    exercise(Kind::Redis);
}

/// Valkey 9.1.2: every helper, on one 3 + 3 cluster.
#[test]
fn valkey_cluster_helpers() {
    exercise(Kind::Valkey);
}

fn exercise(kind: Kind) {
    let t = Instant::now();
    let mut c = Cluster::start(kind, 3, 1);
    let formed = t.elapsed();
    // Printed, not asserted: `Cluster::start` fails by itself when the
    // cluster does not form within its bound.
    println!("{kind:?}: 3 + 3 cluster formed in {formed:?}");

    check_formed(&c);
    check_shards_shapes(&c);
    check_key_slots(&c);
    check_routing(&c);
    check_move_slots(&mut c, kind);
    check_move_under_writes(&mut c, kind);
    check_failover(&mut c, kind);
    check_stop_resume(&mut c, kind);
    check_kill_and_restart(&mut c, kind);

    let t = Instant::now();
    drop(c);
    println!("{kind:?}: cluster stopped in {:?}", t.elapsed());
}

fn info(c: &Cluster, port: u16) -> BTreeMap<String, String> {
    c.call(port, &["CLUSTER", "INFO"])
        .expect_text()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// Every node: `cluster_state:ok`, 16384 slots, 6 nodes, 3 shards; the
/// topology: 3 primaries splitting the slots evenly, each with one replica
/// whose replication link is up.
fn check_formed(c: &Cluster) {
    assert_eq!(c.nodes().len(), 6);
    assert_eq!(c.seed_urls().len(), 6);
    for port in c.ports() {
        let i = info(c, port);
        assert_eq!(i["cluster_state"], "ok", "port {port}: {i:?}");
        assert_eq!(i["cluster_slots_assigned"], "16384", "port {port}");
        assert_eq!(i["cluster_slots_ok"], "16384", "port {port}");
        assert_eq!(i["cluster_known_nodes"], "6", "port {port}");
        assert_eq!(i["cluster_size"], "3", "port {port}");
    }
    let primaries = c.primaries();
    assert_eq!(primaries.len(), 3);
    let counts: Vec<usize> = primaries.iter().map(|p| p.slot_count()).collect();
    assert_eq!(counts, [5461, 5461, 5462]);
    assert_eq!(primaries[0].slots, [(0, 5460)]);
    assert_eq!(primaries[1].slots, [(5461, 10921)]);
    assert_eq!(primaries[2].slots, [(10922, 16383)]);
    for p in &primaries {
        assert_eq!(p.role, Role::Primary);
        assert_eq!(p.id.len(), 40);
        assert_eq!(c.primary_for_slot(p.slots[0].0).port, p.port);
        assert_eq!(c.primary_for_slot(p.slots[0].1).port, p.port);
        let replicas = c.replicas_of(p.port);
        assert_eq!(replicas.len(), 1, "{:?}", c.nodes());
        let r = replicas[0];
        assert_eq!(r.role, Role::Replica);
        assert!(r.slots.is_empty());
        assert_eq!(r.primary_id.as_deref(), Some(p.id.as_str()));
        let role = c.call(r.port, &["ROLE"]);
        let role = role.items().unwrap();
        assert_eq!(role[0].expect_text(), "slave");
        assert_eq!(role[2].int(), Some(p.port as i64));
        assert_eq!(role[3].expect_text(), "connected");
        assert_eq!(c.node_by_port(r.port).id, r.id);
        assert_eq!(c.node_by_id(&r.id).port, r.port);
    }
    assert!(c.url().starts_with("redis://127.0.0.1:"));
}

/// `CLUSTER SHARDS` is an array of flat name/value arrays in RESP2 and an
/// array of maps in RESP3; both say the same. Prints one shard of each.
fn check_shards_shapes(c: &Cluster) {
    let port = c.primaries()[0].port;
    let mut conn = Conn::connect(port).unwrap();
    let r2 = conn.call(&["CLUSTER", "SHARDS"]).unwrap();
    conn.hello3().unwrap();
    let r3 = conn.call(&["CLUSTER", "SHARDS"]).unwrap();
    let (s2, s3) = (r2.items().unwrap(), r3.items().unwrap());
    assert_eq!(s2.len(), 3);
    assert_eq!(s3.len(), 3);
    assert!(matches!(s2[0], Value::Array(_)), "{}", s2[0]);
    assert!(matches!(s3[0], Value::Map(_)), "{}", s3[0]);
    for (a, b) in s2.iter().zip(s3) {
        assert_eq!(a.field("slots"), b.field("slots"));
        let (na, nb) = (a.field("nodes").unwrap(), b.field("nodes").unwrap());
        let (na, nb) = (na.items().unwrap(), nb.items().unwrap());
        assert_eq!(na.len(), 2);
        assert!(matches!(na[0], Value::Array(_)) && matches!(nb[0], Value::Map(_)));
        for (x, y) in na.iter().zip(nb) {
            for f in ["id", "port", "ip", "endpoint", "role", "health"] {
                assert_eq!(x.field(f), y.field(f), "{f}");
            }
        }
    }
    println!(
        "{:?}: CLUSTER SHARDS, one shard in RESP2: {}",
        c.kind(),
        s2[0]
    );
    println!(
        "{:?}: CLUSTER SHARDS, one shard in RESP3: {}",
        c.kind(),
        s3[0]
    );
}

/// `key_slot` agrees with `CLUSTER KEYSLOT`, hash tags included.
fn check_key_slots(c: &Cluster) {
    let port = c.ports()[0];
    let mut conn = Conn::connect(port).unwrap();
    let mut keys: Vec<String> = [
        "",
        "a",
        "foo",
        "123456789",
        "{user1000}.following",
        "{user1000}.followers",
        "foo{}{bar}",
        "foo{{bar}}zap",
        "foo{bar}{zap}",
        "{}",
        "{",
        "}{x}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    keys.extend((0..200).map(|i| format!("key:{i}")));
    for k in &keys {
        let v = conn.call(&["CLUSTER", "KEYSLOT", k]).unwrap();
        assert_eq!(v.int(), Some(key_slot(k.as_bytes()) as i64), "{k:?}");
    }
    assert_eq!(key_slot(b"123456789"), 0x31C3 % SLOTS);
}

/// A key written on its slot's primary is read back there; another primary
/// answers `MOVED <slot> 127.0.0.1:<port>`; the replica redirects too unless
/// the connection is `READONLY`.
fn check_routing(c: &Cluster) {
    let seed = c.ports()[0];
    for key in ["routing:a", "routing:b", "{routing}:c", "routing:d"] {
        let slot = c.call(seed, &["CLUSTER", "KEYSLOT", key]).int().unwrap() as u16;
        let owner = c.primary_for_slot(slot);
        assert!(owner.serves(slot));
        assert_eq!(c.primary_for_key(key.as_bytes()).port, owner.port);
        assert!(c.call(owner.port, &["SET", key, "v1"]).is_ok());
        assert_eq!(c.call(owner.port, &["GET", key]).expect_text(), "v1");
        let moved = format!("MOVED {slot} 127.0.0.1:{}", owner.port);
        for other in c.primaries().iter().filter(|p| p.port != owner.port) {
            assert_eq!(
                c.call(other.port, &["GET", key]).error(),
                Some(moved.as_str())
            );
        }
        let replica = c.replicas_of(owner.port)[0].port;
        assert_eq!(c.call(replica, &["GET", key]).error(), Some(moved.as_str()));
        // WAIT for the replica, then read it there with READONLY.
        let mut p = Conn::connect(owner.port).unwrap();
        assert_eq!(p.call(&["WAIT", "1", "5000"]).unwrap().int(), Some(1));
        let mut r = Conn::connect(replica).unwrap();
        assert!(r.call(&["READONLY"]).unwrap().is_ok());
        assert_eq!(r.call(&["GET", key]).unwrap().expect_text(), "v1");
    }
}

/// For each of `slots`, keys that hash to it (about `per_slot` each).
fn keys_for(slots: &[u16], per_slot: usize, prefix: &str) -> Vec<String> {
    let mut want: BTreeMap<u16, usize> = slots.iter().map(|&s| (s, per_slot)).collect();
    let mut keys = Vec::new();
    let mut i = 0u64;
    while !want.is_empty() {
        let k = format!("{prefix}:{i}");
        i += 1;
        let s = key_slot(k.as_bytes());
        if let Some(n) = want.get_mut(&s) {
            keys.push(k);
            *n -= 1;
            if *n == 0 {
                want.remove(&s);
            }
        }
    }
    keys
}

fn count_keys(c: &Cluster, port: u16, slots: &[u16]) -> i64 {
    let mut conn = c.conn(port);
    let cmds: Vec<Vec<String>> = slots
        .iter()
        .map(|s| vec!["CLUSTER".into(), "COUNTKEYSINSLOT".into(), s.to_string()])
        .collect();
    conn.pipeline(&cmds)
        .unwrap()
        .iter()
        .map(|v| v.int().unwrap())
        .sum()
}

/// `move_slots` of 300 slots holding 3 keys each: the keys leave the source
/// (COUNTKEYSINSLOT), arrive at the target with their values, the target
/// answers, the source and the third primary redirect to it.
fn check_move_slots(c: &mut Cluster, kind: Kind) {
    let (from, to) = (c.primaries()[0].clone(), c.primaries()[1].clone());
    let slots: Vec<u16> = (100..400).collect();
    let keys = keys_for(&slots, 3, "move");
    let mut conn = c.conn(from.port);
    let sets: Vec<Vec<String>> = keys
        .iter()
        .map(|k| vec!["SET".into(), k.clone(), format!("value of {k}")])
        .collect();
    assert!(conn.pipeline(&sets).unwrap().iter().all(Value::is_ok));
    assert_eq!(count_keys(c, from.port, &slots), keys.len() as i64);
    assert_eq!(count_keys(c, to.port, &slots), 0);

    let t = Instant::now();
    let moved = c.move_slots(slots.iter().copied(), from.port, to.port);
    let took = t.elapsed();
    println!(
        "{kind:?}: moved {} slots with {moved} keys in {took:?}",
        slots.len()
    );
    // (`move_slots` waits for each step within a bound of its own.)
    assert_eq!(moved, keys.len());
    assert_eq!(count_keys(c, from.port, &slots), 0);
    assert_eq!(count_keys(c, to.port, &slots), keys.len() as i64);

    assert_eq!(c.node_by_port(from.port).slots, [(0, 99), (400, 5460)]);
    assert_eq!(c.node_by_port(to.port).slots, [(100, 399), (5461, 10921)]);
    assert_eq!(c.node_by_port(to.port).slot_count(), 5461 + 300);
    for &s in &[100u16, 250, 399] {
        assert_eq!(c.primary_for_slot(s).port, to.port);
    }
    assert_eq!(c.primary_for_slot(99).port, from.port);
    assert_eq!(c.primary_for_slot(400).port, from.port);
    let third = c
        .primaries()
        .iter()
        .find(|p| p.port != from.port && p.port != to.port)
        .unwrap()
        .port;
    for k in keys.iter().step_by(97) {
        let slot = key_slot(k.as_bytes());
        assert_eq!(
            c.call(to.port, &["GET", k]).expect_text(),
            format!("value of {k}")
        );
        let moved = format!("MOVED {slot} 127.0.0.1:{}", to.port);
        assert_eq!(c.call(from.port, &["GET", k]).error(), Some(moved.as_str()));
        assert_eq!(c.call(third, &["GET", k]).error(), Some(moved.as_str()));
    }
    // Every node, replicas too, has the new owner.
    for port in c.ports() {
        let v = c.call(port, &["CLUSTER", "COUNTKEYSINSLOT", "100"]);
        assert!(v.int().is_some(), "{v}");
        let nodes = c.call(port, &["CLUSTER", "NODES"]).expect_text();
        let owner = nodes.lines().find(|l| l.starts_with(&to.id)).unwrap();
        assert!(owner.contains(" 100-399"), "port {port}: {owner}");
    }
}

/// A writer that follows `MOVED` and `ASK` (with `ASKING`) and retries on
/// `TRYAGAIN` and `CLUSTERDOWN`, over plain connections; returns the last value it wrote to
/// each key and how many redirects of each kind it met.
fn follow_writes(
    mut owner: BTreeMap<u16, u16>,
    keys: Vec<String>,
    stop: Arc<AtomicBool>,
) -> (BTreeMap<String, String>, usize, usize) {
    let mut conns: BTreeMap<u16, Conn> = BTreeMap::new();
    let mut last = BTreeMap::new();
    let (mut moved, mut asked) = (0, 0);
    let mut round = 0u64;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        for k in keys.iter().skip(round as usize % 7).step_by(7) {
            let slot = key_slot(k.as_bytes());
            let v = format!("{k}@{round}");
            let mut port = owner[&slot];
            let mut asking = false;
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                assert!(Instant::now() < deadline, "no end of redirects for {k}");
                let c = conns
                    .entry(port)
                    .or_insert_with(|| Conn::connect(port).unwrap());
                let reply = if asking {
                    let r = c.pipeline(&[vec!["ASKING"], vec!["SET", k, &v]]).unwrap();
                    r[1].clone()
                } else {
                    c.call(&["SET", k, &v]).unwrap()
                };
                asking = false;
                match reply.error() {
                    None => {
                        assert!(reply.is_ok(), "{reply}");
                        break;
                    }
                    Some(e) if e.starts_with("MOVED ") || e.starts_with("ASK ") => {
                        let to: u16 = e.rsplit(':').next().unwrap().parse().unwrap();
                        if e.starts_with("MOVED ") {
                            moved += 1;
                            owner.insert(slot, to);
                        } else {
                            asked += 1;
                            asking = true;
                        }
                        port = to;
                    }
                    // TRYAGAIN: not for single-key commands, but harmless.
                    // CLUSTERDOWN: a stall of the busy machine made the
                    // nodes doubt each other for a moment.
                    Some(e) if e.starts_with("TRYAGAIN") || e.starts_with("CLUSTERDOWN") => {
                        std::thread::sleep(Duration::from_millis(20))
                    }
                    Some(e) => panic!("SET {k}: {e}"),
                }
            }
            last.insert(k.clone(), v);
        }
    }
    (last, moved, asked)
}

/// `move_slots` while a client writes into the moving slots: every write
/// the client saw acknowledged is on the new owner afterwards.
fn check_move_under_writes(c: &mut Cluster, kind: Kind) {
    let from = c.primary_for_slot(400).clone();
    let to = c.primaries()[2].clone();
    assert_ne!(from.port, to.port);
    let slots: Vec<u16> = (400..500).collect();
    let keys = keys_for(&slots, 5, "busy");
    let owner: BTreeMap<u16, u16> = slots.iter().map(|&s| (s, from.port)).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (keys, stop) = (keys.clone(), stop.clone());
        std::thread::spawn(move || follow_writes(owner, keys, stop))
    };
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let moved_keys = c.move_slots(slots.iter().copied(), from.port, to.port);
    let took = t.elapsed();
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let (last, moved, asked) = writer.join().unwrap();
    println!(
        "{kind:?}: moved {} slots ({moved_keys} keys) under writes in {took:?}; \
         the writer met {moved} MOVED and {asked} ASK",
        slots.len()
    );
    assert!(moved >= 1, "the writer never followed the slots");
    assert_eq!(count_keys(c, from.port, &slots), 0);
    assert_eq!(last.len(), keys.len());
    let mut conn = c.conn(to.port);
    for (k, v) in &last {
        assert_eq!(conn.call(&["GET", k]).unwrap().expect_text(), *v, "{k}");
    }
    assert_eq!(count_keys(c, to.port, &slots), keys.len() as i64);
}

/// `failover` on a replica makes it the primary of its shard and its old
/// primary its replica.
fn check_failover(c: &mut Cluster, kind: Kind) {
    let old = c.primaries()[2].clone();
    let replica = c.replicas_of(old.port)[0].clone();
    let took = c.failover(replica.port);
    println!("{kind:?}: CLUSTER FAILOVER took {took:?}");
    let now = c.node_by_port(replica.port);
    assert_eq!(now.role, Role::Primary);
    assert_eq!(now.slots, old.slots);
    let demoted = c.node_by_port(old.port);
    assert_eq!(demoted.role, Role::Replica);
    assert_eq!(demoted.primary_id.as_deref(), Some(replica.id.as_str()));
    assert_eq!(c.primary_for_slot(16383).port, replica.port);
    let role = c.call(replica.port, &["ROLE"]);
    assert_eq!(role.items().unwrap()[0].expect_text(), "master");
    for port in c.ports() {
        assert_eq!(info(c, port)["cluster_state"], "ok");
    }
}

/// `stop` freezes a replica (its peers flag it `fail`), `resume` thaws it
/// and the cluster settles with it online again.
fn check_stop_resume(c: &mut Cluster, kind: Kind) {
    let replica = c.replicas_of(c.primaries()[0].port)[0].clone();
    let watcher = c.primaries()[0].port;
    let t = Instant::now();
    c.stop(replica.port);
    loop {
        let nodes = c.call(watcher, &["CLUSTER", "NODES"]).expect_text();
        let line = nodes.lines().find(|l| l.starts_with(&replica.id)).unwrap();
        if line
            .split_whitespace()
            .nth(2)
            .unwrap()
            .split(',')
            .any(|f| f == "fail")
        {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "never flagged: {line}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    println!(
        "{kind:?}: a frozen replica was flagged fail after {:?}",
        t.elapsed()
    );
    // A frozen node accepts the connection (the kernel does) but answers nothing.
    let mut conn = Conn::connect(replica.port).unwrap();
    conn.set_timeout(Duration::from_millis(500)).unwrap();
    let t = Instant::now();
    assert!(conn.call(&["PING"]).is_err());
    assert!(t.elapsed() >= Duration::from_millis(400));
    c.resume(replica.port);
    let took = c.wait_converged(Duration::from_secs(20));
    println!("{kind:?}: the resumed replica was back online after {took:?}");
    assert_eq!(c.node_by_port(replica.port).role, Role::Replica);
    assert_eq!(c.call(replica.port, &["PING"]).expect_text(), "PONG");
}

/// `kill` of a primary: its replica takes over within a bound, the data it
/// had replicated is there; `restart` brings the old primary back as the
/// replica of its successor; `failover_with(.., Takeover)` makes it the
/// primary again.
fn check_kill_and_restart(c: &mut Cluster, kind: Kind) {
    let old = c.primaries()[1].clone();
    let replica = c.replicas_of(old.port)[0].clone();
    let key = keys_for(&[old.slots[0].0 + 7], 1, "kill").remove(0);
    assert!(c.call(old.port, &["SET", &key, "survives"]).is_ok());
    assert_eq!(c.call(old.port, &["WAIT", "1", "5000"]).int(), Some(1));

    let t = Instant::now();
    c.kill(old.port);
    assert!(c.server(old.port).pid().is_none());
    let (new_port, waited) = c.wait_for_primary_change(old.port, Duration::from_secs(20));
    println!(
        "{kind:?}: after SIGKILL of a primary its replica took over in {:?} (wait {waited:?})",
        t.elapsed()
    );
    // (`wait_for_primary_change` failed if it took more than 20 s.)
    assert_eq!(new_port, replica.port);
    let now = c.node_by_port(replica.port);
    assert_eq!(now.role, Role::Primary);
    assert_eq!(now.slots, old.slots);
    assert_eq!(
        c.call(replica.port, &["GET", &key]).expect_text(),
        "survives"
    );
    let moved = format!(
        "MOVED {} 127.0.0.1:{}",
        key_slot(key.as_bytes()),
        replica.port
    );
    let other = c.primaries()[0].port;
    assert_eq!(c.call(other, &["GET", &key]).error(), Some(moved.as_str()));

    let t = Instant::now();
    let waited = c.restart(old.port);
    println!(
        "{kind:?}: the restarted old primary rejoined as a replica in {:?} (wait {waited:?})",
        t.elapsed()
    );
    let back = c.node_by_port(old.port);
    assert_eq!(back.role, Role::Replica);
    assert_eq!(back.id, old.id);
    assert_eq!(back.primary_id.as_deref(), Some(replica.id.as_str()));
    assert!(back.slots.is_empty());
    assert!(c.server(old.port).pid().is_some());
    let mut r = c.conn(old.port);
    assert!(r.call(&["READONLY"]).unwrap().is_ok());
    assert_eq!(r.call(&["GET", &key]).unwrap().expect_text(), "survives");
    for port in c.ports() {
        let i = info(c, port);
        assert_eq!(i["cluster_state"], "ok", "port {port}");
        assert_eq!(i["cluster_known_nodes"], "6", "port {port}");
    }
    assert_eq!(c.primaries().len(), 3);
    for p in c.primaries() {
        assert_eq!(c.replicas_of(p.port).len(), 1);
    }
    assert!(c.nodes().iter().all(|n| n.state == NodeState::Running));

    // TAKEOVER gives the restarted node its slots back.
    let took = c.failover_with(old.port, Failover::Takeover);
    println!("{kind:?}: CLUSTER FAILOVER TAKEOVER took {took:?}");
    assert_eq!(c.node_by_port(old.port).role, Role::Primary);
    assert_eq!(c.node_by_port(old.port).slots, old.slots);
    assert_eq!(c.node_by_port(replica.port).role, Role::Replica);
    assert_eq!(c.call(old.port, &["GET", &key]).expect_text(), "survives");
}
