//! The decisions the async and blocking cluster clients share, with no
//! I/O: how commands are grouped by node, how one node's batch of replies
//! is dealt back to its commands, which replica serves a read, and the
//! slot of a command from the server's `COMMAND GETKEYS`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::client::ReadFrom;
use super::map::{Shard, SlotMap};
use super::redirect::{NodeAddr, Redirect};
use super::route::{route, Route};
use crate::cmd::{Block, Command};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::Frame;

/// One command already encoded (a pipeline's, a part of a split
/// command), with its spec found by name.
pub(super) struct Raw<'a> {
    pub(super) name: &'a str,
    pub(super) bytes: &'a [u8],
}

impl Command for Raw<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn encode(&self, out: &mut BytesMut) {
        out.extend_from_slice(self.bytes);
    }
    fn spec(&self) -> Option<&'static crate::commands::CommandSpec> {
        crate::commands::spec_of(self.name)
            .or_else(|| crate::commands::spec_of(&crate::connection::aio_name_of(self.bytes)))
    }
}

/// Commands grouped by the primary that owns their slot (each group in
/// the order the commands came), and those that must go alone: their
/// slot has no known owner, or they run elsewhere (every primary, split
/// per slot, a blocking command, a command routed by the server).
#[derive(Debug, Default)]
pub(super) struct Groups {
    /// By node, the indices of its commands.
    pub(super) by_node: Vec<(NodeAddr, Vec<usize>)>,
    /// The indices of the commands that go alone.
    pub(super) alone: Vec<usize>,
}

/// Groups slots (`None`: not routed by one slot) by the primary that
/// owns them in `map`.
pub(super) fn group_by_node(slots: impl Iterator<Item = Option<u16>>, map: &SlotMap) -> Groups {
    let mut by_node: BTreeMap<NodeAddr, Vec<usize>> = BTreeMap::new();
    let mut alone = Vec::new();
    for (i, slot) in slots.enumerate() {
        match slot.and_then(|s| map.primary(s)) {
            Some(addr) => by_node.entry(addr.clone()).or_default().push(i),
            None => alone.push(i),
        }
    }
    Groups {
        by_node: by_node.into_iter().collect(),
        alone,
    }
}

/// Groups a pipeline's commands (name, encoded) by node; a command whose
/// keys span slots and cannot be split is refused here, before anything
/// is sent.
pub(super) fn group_pipeline(commands: &[(String, Bytes)], map: &SlotMap) -> Result<Groups> {
    let mut slots = Vec::with_capacity(commands.len());
    for (name, bytes) in commands {
        let raw = Raw { name, bytes };
        slots.push(match route(&raw)? {
            Route::Slot { slot, .. } if raw.blocks() == Block::No => Some(slot),
            _ => None,
        });
    }
    Ok(group_by_node(slots.into_iter(), map))
}

/// The replies of one node's batch, dealt back to its commands
/// (`indices`): an error reply is that command's error, named by `name`
/// (`None`: left unnamed, for the caller to name).
/// When the batch failed as a whole (`Err`), every command gets the error.
pub(super) fn deal<'a>(
    indices: &[usize],
    replies: Result<Vec<Frame>>,
    name: impl Fn(usize) -> Option<&'a str>,
) -> Vec<(usize, Result<Frame>)> {
    let named = |e: Error, i: usize| match name(i) {
        Some(n) => e.for_command(n),
        None => e,
    };
    match replies {
        Ok(items) => {
            let mut out: Vec<(usize, Result<Frame>)> = indices
                .iter()
                .zip(items)
                .map(|(&i, item)| match item.error_message() {
                    Some(m) => (i, Err(named(Error::from_server_reply(m), i))),
                    None => (i, Ok(item)),
                })
                .collect();
            for &i in indices.iter().skip(out.len()) {
                out.push((
                    i,
                    Err(named(
                        Error::new(ErrorKind::Protocol, "no reply in the batch"),
                        i,
                    )),
                ));
            }
            out
        }
        Err(e) => indices
            .iter()
            .map(|&i| (i, Err(named(e.duplicate(), i))))
            .collect(),
    }
}

/// Whether a result must be sent again where its slot is now (its slot
/// moved or is moving: `MOVED`, `ASK`, `TRYAGAIN`), and the move to
/// record first.
pub(super) fn to_reroute(r: &Result<Frame>) -> Option<Option<(u16, NodeAddr)>> {
    let Err(e) = r else { return None };
    match Redirect::from_error(e)? {
        Redirect::Moved { slot, to } => Some(Some((slot, to))),
        Redirect::Ask { .. } | Redirect::TryAgain => Some(None),
        Redirect::ClusterDown => None,
    }
}

/// The replies of a batch of `n` commands sent as one request (the
/// connection gives them as one array when there are several).
pub(super) fn batch_items(frame: Frame, n: usize) -> Vec<Frame> {
    match frame {
        Frame::Array(items) if n > 1 => items,
        single => vec![single],
    }
}

/// Shard channels placed on the primaries that own their slots: by node,
/// the channels of each slot (one `SSUBSCRIBE` per slot: the server
/// refuses channels of several slots in one call, even on their owner).
/// A slot with no known owner is an error.
pub(super) type Placement = Vec<(NodeAddr, Vec<(u16, Vec<Bytes>)>)>;

/// Places shard channels by slot on `map`'s primaries (see [`Placement`]).
pub(super) fn place_channels(channels: Vec<Bytes>, map: &SlotMap) -> Result<Placement> {
    let mut out: Placement = Vec::new();
    for c in channels {
        let slot = super::slot::key_slot(&c);
        let addr = map.primary(slot).ok_or_else(|| {
            Error::new(
                ErrorKind::ConnectionClosed,
                format!("no node serves slot {slot}"),
            )
            .for_command("SSUBSCRIBE")
        })?;
        let node = match out.iter().position(|(a, _)| a == addr) {
            Some(i) => i,
            None => {
                out.push((addr.clone(), Vec::new()));
                out.len() - 1
            }
        };
        let slots = &mut out[node].1;
        match slots.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, group)) => group.push(c),
            None => slots.push((slot, vec![c])),
        }
    }
    Ok(out)
}

/// The results of a run, in order; a place left empty is a protocol error.
pub(super) fn in_order(results: Vec<Option<Result<Frame>>>) -> Vec<Result<Frame>> {
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::new(ErrorKind::Protocol, "no reply"))))
        .collect()
}

impl ReadFrom {
    /// The replica of `shard` a read goes to under this policy (`None`:
    /// the primary). `turn` is the round-robin counter; `latency` the
    /// round trips measured to replicas (for
    /// [`LowestLatency`](ReadFrom::LowestLatency)).
    pub(super) fn replica(
        self,
        shard: &Shard,
        turn: &AtomicUsize,
        latency: &HashMap<NodeAddr, Duration>,
    ) -> Option<NodeAddr> {
        if shard.replicas.is_empty() {
            return None;
        }
        match self {
            ReadFrom::Primary => None,
            ReadFrom::PreferReplica => {
                let i = super::client::random_index(shard.replicas.len());
                Some(shard.replicas[i].clone())
            }
            ReadFrom::RoundRobin => {
                let n = shard.replicas.len() + 1;
                let t = turn.fetch_add(1, Ordering::Relaxed) % n;
                shard.replicas.get(t).cloned()
            }
            ReadFrom::LowestLatency => shard
                .replicas
                .iter()
                .min_by_key(|r| latency.get(*r).copied().unwrap_or(Duration::MAX))
                .cloned(),
        }
    }
}

/// `ASKING` then the command, in one payload (after an `ASK`).
pub(super) fn with_asking(bytes: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(bytes.len() + 16);
    out.extend_from_slice(b"*1\r\n$6\r\nASKING\r\n");
    out.extend_from_slice(bytes);
    out.freeze()
}

/// `READONLY` then the command, in one payload (a read on a replica).
pub(super) fn with_readonly(bytes: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(bytes.len() + 18);
    out.extend_from_slice(b"*1\r\n$8\r\nREADONLY\r\n");
    out.extend_from_slice(bytes);
    out.freeze()
}

/// The command's own reply after a prefix (`ASKING`, `READONLY`): the
/// last of the replies, its error reply as an `Err`.
pub(super) fn last_reply(replies: Vec<Frame>) -> Result<Frame> {
    let reply = replies.into_iter().last().unwrap_or(Frame::Null);
    match reply.error_message() {
        Some(m) => Err(Error::from_server_reply(m)),
        None => Ok(reply),
    }
}

/// `COMMAND GETKEYS` with the encoded command's arguments: how a client
/// asks the server for the keys of a command whose spec cannot locate
/// them (`SORT ... BY`, a command the specs do not have).
pub(super) fn getkeys(bytes: &[u8]) -> Bytes {
    let mut getkeys = crate::Cmd::new("COMMAND");
    getkeys.arg("GETKEYS");
    for a in crate::commands::support::split_encoded(bytes) {
        getkeys.arg(a);
    }
    let mut out = BytesMut::new();
    crate::Command::encode(&getkeys, &mut out);
    out.freeze()
}

/// The one slot of the keys `COMMAND GETKEYS` answered (`None`: no keys,
/// or the server does not know the command, so any node will do); keys in
/// several slots are refused before the command is sent.
pub(super) fn slot_of_getkeys(reply: Result<Frame>) -> Result<Option<u16>> {
    let keys = match reply {
        Ok(Frame::Array(keys)) | Ok(Frame::Set(keys)) => keys,
        _ => return Ok(None),
    };
    let mut slot = None;
    for k in &keys {
        let Some(k) = k.as_bytes() else { continue };
        let s = super::slot::key_slot(k);
        match slot {
            None => slot = Some(s),
            Some(first) if first != s => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "its keys are in different hash slots (CROSSSLOT), so no single \
                     node can run it; put them in one slot with a hash tag",
                ))
            }
            _ => {}
        }
    }
    Ok(slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> NodeAddr {
        NodeAddr {
            host: "127.0.0.1".into(),
            port,
        }
    }

    fn b(s: &str) -> Frame {
        Frame::BulkString(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn groups_keep_the_callers_order_per_node() {
        let mut map = SlotMap::empty();
        for s in 0..8192 {
            map.moved(s, &addr(7000));
        }
        for s in 8192..16384 {
            map.moved(s, &addr(7001));
        }
        let cmds: Vec<(String, Bytes)> = ["a", "b", "c", "d"]
            .iter()
            .map(|k| {
                let mut out = BytesMut::new();
                crate::Cmd::from_args(["GET", k]).unwrap().encode(&mut out);
                ("GET".to_string(), out.freeze())
            })
            .chain(std::iter::once({
                let mut out = BytesMut::new();
                crate::Cmd::from_args(["DBSIZE"]).unwrap().encode(&mut out);
                ("DBSIZE".to_string(), out.freeze())
            }))
            .collect();
        let g = group_pipeline(&cmds, &map).unwrap();
        // a: 15495, b: 3300, c: 7365, d: 11298.
        assert_eq!(
            g.by_node,
            vec![(addr(7000), vec![1, 2]), (addr(7001), vec![0, 3])]
        );
        assert_eq!(g.alone, vec![4]);
        // A batch dealt back: per-command errors, missing replies named.
        let dealt = deal(
            &[1, 2],
            Ok(vec![
                b("x"),
                Frame::Error(Bytes::from_static(b"MOVED 7365 127.0.0.1:7001")),
            ]),
            |_| Some("GET"),
        );
        assert_eq!(dealt[0].0, 1);
        assert_eq!(dealt[0].1.as_ref().unwrap(), &b("x"));
        assert_eq!(to_reroute(&dealt[1].1), Some(Some((7365, addr(7001)))));
        let dealt = deal(&[0, 3], Ok(vec![b("x")]), |_| Some("GET"));
        assert!(dealt[1].1.is_err());
    }

    #[test]
    fn replicas_by_policy() {
        let shard = Shard {
            primary: addr(7000),
            primary_id: None,
            replicas: vec![addr(7003), addr(7004)],
        };
        let turn = AtomicUsize::new(0);
        let mut latency = HashMap::new();
        assert_eq!(ReadFrom::Primary.replica(&shard, &turn, &latency), None);
        let turns: Vec<_> = (0..3)
            .map(|_| ReadFrom::RoundRobin.replica(&shard, &turn, &latency))
            .collect();
        assert_eq!(turns, vec![Some(addr(7003)), Some(addr(7004)), None]);
        latency.insert(addr(7004), Duration::from_micros(50));
        assert_eq!(
            ReadFrom::LowestLatency.replica(&shard, &turn, &latency),
            Some(addr(7004))
        );
        let any = ReadFrom::PreferReplica.replica(&shard, &turn, &latency);
        assert!(shard.replicas.contains(&any.unwrap()));
    }

    #[test]
    fn getkeys_slots() {
        assert_eq!(slot_of_getkeys(Ok(Frame::Array(vec![]))).unwrap(), None);
        assert_eq!(
            slot_of_getkeys(Ok(Frame::Array(vec![b("{a}1"), b("{a}2")]))).unwrap(),
            Some(15495)
        );
        assert!(slot_of_getkeys(Ok(Frame::Array(vec![b("a"), b("b")]))).is_err());
        assert_eq!(
            slot_of_getkeys(Err(Error::from_server_reply(b"ERR Invalid command"))).unwrap(),
            None
        );
        let payload = getkeys(b"*3\r\n$4\r\nSORT\r\n$1\r\nk\r\n$5\r\nALPHA\r\n");
        assert_eq!(
            &payload[..],
            &b"*5\r\n$7\r\nCOMMAND\r\n$7\r\nGETKEYS\r\n$4\r\nSORT\r\n$1\r\nk\r\n$5\r\nALPHA\r\n"[..]
        );
        assert_eq!(
            last_reply(vec![Frame::SimpleString("OK".into()), b("v")]).unwrap(),
            b("v")
        );
    }
}
