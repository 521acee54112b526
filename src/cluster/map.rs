//! The slot map: which node serves each of the 16,384 slots, read from
//! `CLUSTER SHARDS` (or `CLUSTER SLOTS` on servers without it), in either
//! protocol.

use super::redirect::NodeAddr;
use super::slot::SLOTS;
use crate::error::{Error, ErrorKind, Result};
use crate::reply::FromResp;
use crate::resp::Frame;

/// One shard: a primary and its replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// The primary's address.
    pub primary: NodeAddr,
    /// The primary's node id, when the reply gave it.
    pub primary_id: Option<String>,
    /// Replicas that were online when the map was read.
    pub replicas: Vec<NodeAddr>,
}

/// Which shard owns each slot.
#[derive(Clone)]
pub struct SlotMap {
    /// Per slot, the index of its shard in `shards` (`NONE`: unassigned).
    owner: Box<[u16]>,
    shards: Vec<Shard>,
}

const NONE: u16 = u16::MAX;

impl std::fmt::Debug for SlotMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotMap")
            .field("shards", &self.shards)
            .field("assigned", &self.assigned())
            .finish()
    }
}

fn bad(what: &str) -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!("unexpected cluster topology reply: {what}"),
    )
}

/// An address a node announced: `host` unless it is empty or `?` (the
/// node does not know its own address: then it is the one we asked).
fn announced(host: Option<String>, port: u16, asked: &NodeAddr) -> NodeAddr {
    match host {
        Some(h) if !h.is_empty() && h != "?" => NodeAddr { host: h, port },
        _ => NodeAddr {
            host: asked.host.clone(),
            port,
        },
    }
}

impl SlotMap {
    /// A map with no slot assigned.
    pub fn empty() -> SlotMap {
        SlotMap {
            owner: vec![NONE; SLOTS as usize].into_boxed_slice(),
            shards: Vec::new(),
        }
    }

    /// Reads a `CLUSTER SHARDS` reply (RESP2 or RESP3) from the node at
    /// `asked`, through the [`ClusterShard`](crate::records::ClusterShard)
    /// records.
    pub fn from_shards(reply: &Frame, asked: &NodeAddr) -> Result<SlotMap> {
        let shards = Vec::<crate::records::ClusterShard>::from_resp(reply.clone())
            .map_err(|e| bad(&format!("CLUSTER SHARDS: {e}")))?;
        let mut map = SlotMap::empty();
        for shard in shards {
            let mut primary = None;
            let mut replicas = Vec::new();
            for node in shard.nodes {
                let Some(port) = node.port else {
                    continue; // a TLS-only node: tls-port only
                };
                let host = Some(node.endpoint)
                    .filter(|h| !h.is_empty() && h != "?")
                    .or(Some(node.ip));
                let addr = announced(host, port, asked);
                if node.role == "master" || node.role == "primary" {
                    // After a failover a shard can list its dead former
                    // primary too (`health: fail`): the live one wins.
                    let live = node.health.is_empty() || node.health == "online";
                    let better = match &primary {
                        None => true,
                        Some((_, _, was_live)) => live && !was_live,
                    };
                    if better {
                        let id = Some(node.id).filter(|id| !id.is_empty());
                        primary = Some((addr, id, live));
                    }
                } else if node.health == "online" {
                    replicas.push(addr);
                }
            }
            let Some((primary, primary_id, _)) = primary else {
                continue; // a shard whose primary is gone: no owner now
            };
            if shard.slots.is_empty() {
                continue;
            }
            let index = map.add_shard(Shard {
                primary,
                primary_id,
                replicas,
            });
            for (start, end) in shard.slots {
                map.assign(start.into(), end.into(), index)?;
            }
        }
        Ok(map)
    }

    /// Reads a `CLUSTER SLOTS` reply (for servers before 7.0) from the node
    /// at `asked`, through the [`SlotRange`](crate::records::SlotRange)
    /// records.
    pub fn from_slots(reply: &Frame, asked: &NodeAddr) -> Result<SlotMap> {
        let ranges = Vec::<crate::records::SlotRange>::from_resp(reply.clone())
            .map_err(|e| bad(&format!("CLUSTER SLOTS: {e}")))?;
        let mut map = SlotMap::empty();
        for range in ranges {
            let at = |n: crate::records::SlotNode| {
                (
                    announced(Some(n.endpoint), n.port, asked),
                    Some(n.id).filter(|id| !id.is_empty()),
                )
            };
            let (primary, primary_id) = at(range.primary);
            let index = match map.shards.iter().position(|s| s.primary == primary) {
                Some(i) => i as u16,
                None => map.add_shard(Shard {
                    primary,
                    primary_id,
                    replicas: range.replicas.into_iter().map(|n| at(n).0).collect(),
                }),
            };
            map.assign(range.start.into(), range.end.into(), index)?;
        }
        Ok(map)
    }

    fn add_shard(&mut self, shard: Shard) -> u16 {
        self.shards.push(shard);
        (self.shards.len() - 1) as u16
    }

    fn assign(&mut self, start: i64, end: i64, index: u16) -> Result<()> {
        if !(0..SLOTS as i64).contains(&start) || !(start..SLOTS as i64).contains(&end) {
            return Err(bad(&format!("slot range {start}-{end}")));
        }
        for s in start..=end {
            self.owner[s as usize] = index;
        }
        Ok(())
    }

    /// The shard that owns `slot`, if any.
    pub fn shard(&self, slot: u16) -> Option<&Shard> {
        match self.owner.get(slot as usize) {
            Some(&i) if i != NONE => self.shards.get(i as usize),
            _ => None,
        }
    }

    /// The primary that owns `slot`, if any.
    pub fn primary(&self, slot: u16) -> Option<&NodeAddr> {
        self.shard(slot).map(|s| &s.primary)
    }

    /// Every shard that owns at least one slot.
    pub fn shards(&self) -> impl Iterator<Item = &Shard> {
        let mut used = vec![false; self.shards.len()];
        for &i in self.owner.iter() {
            if i != NONE {
                used[i as usize] = true;
            }
        }
        self.shards
            .iter()
            .enumerate()
            .filter(move |(i, _)| used[*i])
            .map(|(_, s)| s)
    }

    /// Every primary that owns at least one slot.
    pub fn primaries(&self) -> impl Iterator<Item = &NodeAddr> {
        self.shards().map(|s| &s.primary)
    }

    /// How many slots have an owner.
    pub fn assigned(&self) -> usize {
        self.owner.iter().filter(|&&i| i != NONE).count()
    }

    /// True when every slot has an owner.
    pub fn is_complete(&self) -> bool {
        self.assigned() == SLOTS as usize
    }

    /// The nodes to read the topology from, in order and each once: the
    /// primaries, their replicas, then `seeds` (for when every known node
    /// is gone).
    pub fn refresh_order(&self, seeds: &[NodeAddr]) -> Vec<NodeAddr> {
        let mut order: Vec<NodeAddr> = self.primaries().cloned().collect();
        for s in self.shards() {
            order.extend(s.replicas.iter().cloned());
        }
        order.extend(seeds.iter().cloned());
        let mut seen = std::collections::HashSet::new();
        order.retain(|a| seen.insert(a.clone()));
        order
    }

    /// Records a `MOVED`: `slot` is now served by the primary at `to`
    /// (known already, or a new shard with no replicas known yet).
    pub fn moved(&mut self, slot: u16, to: &NodeAddr) {
        let index = match self.shards.iter().position(|s| &s.primary == to) {
            Some(i) => i as u16,
            None => self.add_shard(Shard {
                primary: to.clone(),
                primary_id: None,
                replicas: Vec::new(),
            }),
        };
        if let Some(o) = self.owner.get_mut(slot as usize) {
            *o = index;
        }
    }
}

impl SlotMap {
    /// True when some slot that has an owner here has another one (or
    /// none) in `newer`: what was read from the old owner is no longer
    /// covered by its tracking (the client-side cache drops it).
    pub(super) fn owners_changed(&self, newer: &SlotMap) -> bool {
        (0..SLOTS).any(|slot| match self.primary(slot) {
            Some(before) => newer.primary(slot) != Some(before),
            None => false,
        })
    }
}

/// Records a `MOVED` in a shared slot map: readers keep the map they
/// hold, the next ones see the move.
pub(super) fn record_moved(
    map: &std::sync::RwLock<std::sync::Arc<SlotMap>>,
    slot: u16,
    to: &NodeAddr,
) {
    let mut map = map.write().unwrap_or_else(|p| p.into_inner());
    let mut updated = (**map).clone();
    updated.moved(slot, to);
    *map = std::sync::Arc::new(updated);
}

/// The error when no known node nor seed gave the topology.
pub(super) fn no_topology(last: Option<Error>) -> Error {
    Error::new(
        ErrorKind::ConnectionClosed,
        format!(
            "could not read the cluster's topology from any known node or seed{}",
            last.map(|e| format!(" (last: {e})")).unwrap_or_default()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Frame {
        Frame::BulkString(s.as_bytes().to_vec().into())
    }

    fn asked() -> NodeAddr {
        NodeAddr {
            host: "127.0.0.1".into(),
            port: 7000,
        }
    }

    fn node_resp2(port: i64, role: &str, health: &str, id: &str) -> Frame {
        Frame::Array(vec![
            b("id"),
            b(id),
            b("port"),
            Frame::Integer(port),
            b("ip"),
            b("127.0.0.1"),
            b("endpoint"),
            b("127.0.0.1"),
            b("role"),
            b(role),
            b("replication-offset"),
            Frame::Integer(0),
            b("health"),
            b(health),
        ])
    }

    #[test]
    fn shards_in_resp2_and_resp3() {
        let shard = |slots: Vec<i64>, nodes: Vec<Frame>| {
            Frame::Array(vec![
                b("slots"),
                Frame::Array(slots.into_iter().map(Frame::Integer).collect()),
                b("nodes"),
                Frame::Array(nodes),
            ])
        };
        let reply = Frame::Array(vec![
            shard(
                vec![0, 5460],
                vec![
                    node_resp2(7000, "master", "online", "a"),
                    node_resp2(7003, "replica", "online", "d"),
                ],
            ),
            shard(
                vec![5461, 10922],
                vec![
                    node_resp2(7005, "master", "fail", "f"),
                    node_resp2(7001, "master", "online", "b"),
                    node_resp2(7004, "replica", "failed", "e"),
                ],
            ),
            shard(
                vec![10923, 16000, 16001, 16383],
                vec![node_resp2(7002, "master", "online", "c")],
            ),
        ]);
        let map = SlotMap::from_shards(&reply, &asked()).unwrap();
        assert!(map.is_complete());
        assert_eq!(map.primary(0).unwrap().port, 7000);
        assert_eq!(map.primary(5461).unwrap().port, 7001);
        assert_eq!(map.primary(16383).unwrap().port, 7002);
        assert_eq!(map.shard(0).unwrap().replicas[0].port, 7003);
        assert!(
            map.shard(6000).unwrap().replicas.is_empty(),
            "failed replica"
        );
        assert_eq!(map.primaries().count(), 3);
        // The same as RESP3 maps.
        fn to_map(f: &Frame) -> Frame {
            match f {
                Frame::Array(items)
                    if items.len() % 2 == 0
                        && items.first().is_some_and(|i| i.as_bytes().is_some()) =>
                {
                    Frame::Map(
                        items
                            .chunks(2)
                            .map(|kv| (kv[0].clone(), to_map(&kv[1])))
                            .collect(),
                    )
                }
                Frame::Array(items) => Frame::Array(items.iter().map(to_map).collect()),
                other => other.clone(),
            }
        }
        let resp3 = to_map(&reply);
        let map3 = SlotMap::from_shards(&resp3, &asked()).unwrap();
        assert!(map3.is_complete());
        assert_eq!(map3.primary(12000).unwrap().port, 7002);
    }

    #[test]
    fn slots_reply_and_moved() {
        let node =
            |host: &str, port: i64| Frame::Array(vec![b(host), Frame::Integer(port), b("id")]);
        let reply = Frame::Array(vec![
            Frame::Array(vec![
                Frame::Integer(0),
                Frame::Integer(8191),
                node("", 7000),
                node("127.0.0.1", 7003),
            ]),
            Frame::Array(vec![
                Frame::Integer(8192),
                Frame::Integer(16383),
                node("127.0.0.2", 7001),
            ]),
        ]);
        let mut map = SlotMap::from_slots(&reply, &asked()).unwrap();
        assert!(map.is_complete());
        assert_eq!(
            map.primary(1).unwrap(),
            &asked(),
            "an empty host is the one asked"
        );
        assert_eq!(map.primary(9000).unwrap().host, "127.0.0.2");
        let to = NodeAddr {
            host: "127.0.0.1".into(),
            port: 7009,
        };
        let before = map.clone();
        assert!(!before.owners_changed(&map));
        map.moved(1, &to);
        assert_eq!(map.primary(1).unwrap(), &to);
        assert_eq!(map.primary(2).unwrap().port, 7000);
        assert!(before.owners_changed(&map), "slot 1 has another owner");
        // Slots gaining an owner change nothing that was cached.
        assert!(!SlotMap::empty().owners_changed(&map));
        assert!(map.owners_changed(&SlotMap::empty()));
        let bad = Frame::Array(vec![Frame::Array(vec![
            Frame::Integer(0),
            Frame::Integer(99999),
            node("x", 1),
        ])]);
        assert!(SlotMap::from_slots(&bad, &asked()).is_err());
    }
}
