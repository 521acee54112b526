//! Where a command goes in a cluster, read from its spec: the key specs
//! give the keys (and so the slot), the `request_policy` tip says where a
//! keyless command goes, the `response_policy` tip how the replies of
//! several nodes make one. No command is named here.

use std::cell::RefCell;
use std::ops::Range;

use bytes::BytesMut;

use super::slot::key_slot;
use crate::cmd::Command;
use crate::commands::support::{for_each_key_position, ArgList, BeginSearch, FindKeys};
use crate::commands::CommandSpec;
use crate::error::{Error, ErrorKind, Result};
use crate::resp::encode::{write_array_header, write_bulk};
use crate::resp::Frame;

/// Where a command goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Every key is in this slot. A `readonly` command may be served by a
    /// replica when the read policy allows it.
    Slot {
        /// The slot.
        slot: u16,
        /// Whether the spec flags the command `readonly`.
        readonly: bool,
    },
    /// No keys and no request policy: any primary will do.
    AnyPrimary,
    /// Every primary (`request_policy:all_shards`); the replies are
    /// combined by the response policy.
    AllPrimaries(ResponsePolicy),
    /// Every node, replicas too (`request_policy:all_nodes`).
    AllNodes(ResponsePolicy),
    /// Keys in several slots of a command that may be split per slot
    /// (`request_policy:multi_shard`: `MGET`, `MSET`, `DEL`, ...); see
    /// [`split`].
    Split(ResponsePolicy),
    /// The spec leaves the routing to the client (`request_policy:special`),
    /// or the command's keys cannot be found from its key specs alone; the
    /// client decides (for example from `COMMAND GETKEYS`).
    Special,
}

/// How the replies of several nodes make one reply (the spec's
/// `response_policy` tip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponsePolicy {
    /// No tip: for a split command, the replies are put back in the order
    /// of the keys (an array per part, `MGET`); for a command sent to
    /// several nodes, arrays are concatenated (`KEYS`) and maps merged, as
    /// the server's documentation of the tips says; other replies come as
    /// one array of every node's reply.
    Default,
    /// `one_succeeded`: the first reply that is not an error.
    OneSucceeded,
    /// `all_succeeded`: one of the replies when none is an error, otherwise
    /// the first error.
    AllSucceeded,
    /// `agg_logical_and`: the logical AND of integer replies (element by
    /// element for array replies, as for every `agg_*` policy).
    AggLogicalAnd,
    /// `agg_logical_or`: the logical OR.
    AggLogicalOr,
    /// `agg_min`: the smallest.
    AggMin,
    /// `agg_max`: the largest.
    AggMax,
    /// `agg_sum`: the sum.
    AggSum,
    /// `special`, for a command about each node (`INFO`, `MEMORY STATS`,
    /// `MEMORY DOCTOR`, `LATENCY LATEST`, `FUNCTION STATS`, ...: its
    /// counters, memory, events, running script are the node's own, so no
    /// sum or merge would be true): the replies side by side, each marked
    /// with its node (see [`combine_nodes`](Self::combine_nodes)). When
    /// every reply is text (`INFO`, the doctors, `LATENCY GRAPH`, `MEMORY
    /// MALLOC-STATS`), one text: each node's under a line `# node
    /// host:port`, so the command's own reply type reads it; otherwise a
    /// map from `host:port` to that node's reply (read it as a
    /// `HashMap<String, T>`, for example
    /// `cluster.memory_stats().reply::<HashMap<String, Frame>>()`).
    Special,
    /// `special`, for a command that reads the keyspace (ACL category
    /// `@keyspace`: `RANDOMKEY`): each primary holds part of the keys, so
    /// one of the non-null replies, picked at random, answers for the
    /// cluster (null when every node answered null).
    Pick,
}

impl ResponsePolicy {
    /// The policy a spec declares.
    pub fn of(spec: &CommandSpec) -> ResponsePolicy {
        match spec.response_policy() {
            None => ResponsePolicy::Default,
            Some("one_succeeded") => ResponsePolicy::OneSucceeded,
            Some("all_succeeded") => ResponsePolicy::AllSucceeded,
            Some("agg_logical_and") => ResponsePolicy::AggLogicalAnd,
            Some("agg_logical_or") => ResponsePolicy::AggLogicalOr,
            Some("agg_min") => ResponsePolicy::AggMin,
            Some("agg_max") => ResponsePolicy::AggMax,
            Some("agg_sum") => ResponsePolicy::AggSum,
            Some(_)
                if spec
                    .acl_categories
                    .iter()
                    .any(|c| c.trim_start_matches('@').eq_ignore_ascii_case("keyspace")) =>
            {
                ResponsePolicy::Pick
            }
            Some(_) => ResponsePolicy::Special,
        }
    }

    /// Combines the replies of several nodes, each with its node's
    /// address: as [`combine`](Self::combine), except
    /// [`Special`](Self::Special), which marks each reply with its node.
    pub fn combine_nodes(self, replies: Vec<(super::NodeAddr, Result<Frame>)>) -> Result<Frame> {
        if self != ResponsePolicy::Special {
            return self.combine(replies.into_iter().map(|(_, r)| r).collect());
        }
        let mut ok = Vec::with_capacity(replies.len());
        for (addr, r) in replies {
            ok.push((addr, r?));
        }
        let text = |f: &Frame| match f {
            Frame::BulkString(t)
            | Frame::SimpleString(t)
            | Frame::VerbatimString { text: t, .. } => Some(t.clone()),
            _ => None,
        };
        if ok.iter().all(|(_, f)| text(f).is_some()) {
            let mut out = Vec::new();
            for (addr, f) in &ok {
                let t = text(f).unwrap_or_default();
                out.extend_from_slice(format!("# node {addr}\r\n").as_bytes());
                out.extend_from_slice(&t);
                if !t.ends_with(b"\n") {
                    out.extend_from_slice(b"\r\n");
                }
            }
            return Ok(Frame::BulkString(out.into()));
        }
        Ok(Frame::Map(
            ok.into_iter()
                .map(|(addr, f)| (Frame::BulkString(addr.to_string().into()), f))
                .collect(),
        ))
    }

    /// Combines the replies of several nodes (or of the parts of a split
    /// command) into one. Errors are kept as `Err`.
    pub fn combine(self, replies: Vec<Result<Frame>>) -> Result<Frame> {
        let int = |f: &Frame| match f {
            Frame::Integer(i) => Ok(*i),
            Frame::Boolean(b) => Ok(*b as i64),
            other => Err(Error::new(
                ErrorKind::Conversion,
                format!("cannot aggregate a {} reply", other.kind()),
            )),
        };
        match self {
            ResponsePolicy::OneSucceeded => {
                let mut first_err = None;
                for r in replies {
                    match r {
                        Ok(f) => return Ok(f),
                        Err(e) => {
                            first_err.get_or_insert(e);
                        }
                    }
                }
                Err(first_err.unwrap_or_else(|| Error::new(ErrorKind::Protocol, "no replies")))
            }
            ResponsePolicy::AllSucceeded => {
                let mut last = None;
                for r in replies {
                    last = Some(r?);
                }
                last.ok_or_else(|| Error::new(ErrorKind::Protocol, "no replies"))
            }
            ResponsePolicy::AggSum
            | ResponsePolicy::AggMin
            | ResponsePolicy::AggMax
            | ResponsePolicy::AggLogicalAnd
            | ResponsePolicy::AggLogicalOr => {
                let replies = replies.into_iter().collect::<Result<Vec<_>>>()?;
                let fold = |acc: Option<i64>, v: i64| match (self, acc) {
                    (_, None) => v,
                    (ResponsePolicy::AggSum, Some(a)) => a + v,
                    (ResponsePolicy::AggMin, Some(a)) => a.min(v),
                    (ResponsePolicy::AggMax, Some(a)) => a.max(v),
                    (ResponsePolicy::AggLogicalAnd, Some(a)) => (a != 0 && v != 0) as i64,
                    (_, Some(a)) => (a != 0 || v != 0) as i64,
                };
                // Array replies (`SCRIPT EXISTS`, `WAITAOF`) aggregate
                // element by element.
                if let Some(Frame::Array(first)) = replies.first() {
                    let len = first.len();
                    let mut acc: Vec<Option<i64>> = vec![None; len];
                    for r in &replies {
                        let items = match r {
                            Frame::Array(items) if items.len() == len => items,
                            other => {
                                return Err(Error::new(
                                    ErrorKind::Conversion,
                                    format!(
                                        "cannot aggregate a {} reply with arrays of {len}",
                                        other.kind()
                                    ),
                                ))
                            }
                        };
                        for (a, item) in acc.iter_mut().zip(items) {
                            *a = Some(fold(*a, int(item)?));
                        }
                    }
                    return Ok(Frame::Array(
                        acc.into_iter()
                            .map(|a| Frame::Integer(a.unwrap_or(0)))
                            .collect(),
                    ));
                }
                let mut acc: Option<i64> = None;
                for r in &replies {
                    acc = Some(fold(acc, int(r)?));
                }
                Ok(Frame::Integer(acc.unwrap_or(0)))
            }
            ResponsePolicy::Default => {
                let replies = replies.into_iter().collect::<Result<Vec<_>>>()?;
                if replies
                    .iter()
                    .all(|r| matches!(r, Frame::Array(_) | Frame::Set(_)))
                {
                    let mut all = Vec::new();
                    for r in replies {
                        if let Frame::Array(items) | Frame::Set(items) = r {
                            all.extend(items);
                        }
                    }
                    Ok(Frame::Array(all))
                } else if replies.iter().all(|r| matches!(r, Frame::Map(_))) {
                    let mut all = Vec::new();
                    for r in replies {
                        if let Frame::Map(pairs) = r {
                            all.extend(pairs);
                        }
                    }
                    Ok(Frame::Map(all))
                } else {
                    Ok(Frame::Array(replies))
                }
            }
            ResponsePolicy::Pick => {
                let mut picks = Vec::with_capacity(replies.len());
                for r in replies {
                    let f = r?;
                    if !matches!(f, Frame::Null) {
                        picks.push(f);
                    }
                }
                if picks.is_empty() {
                    return Ok(Frame::Null);
                }
                let i = super::client::random_index(picks.len());
                Ok(picks.swap_remove(i))
            }
            // Without the nodes' addresses (see `combine_nodes`): side by
            // side, in the order given.
            ResponsePolicy::Special => Ok(Frame::Array(
                replies.into_iter().collect::<Result<Vec<_>>>()?,
            )),
        }
    }
}

/// The arguments of an encoded command, as ranges of its bytes: on the
/// stack for commands of up to 64 arguments, on the heap beyond.
struct Parsed<'a> {
    bytes: &'a [u8],
    small: [Range<u32>; 64],
    large: Vec<Range<usize>>,
    len: usize,
}

impl<'a> Parsed<'a> {
    fn new(bytes: &'a [u8]) -> Parsed<'a> {
        const EMPTY: Range<u32> = 0..0;
        let mut p = Parsed {
            bytes,
            small: [EMPTY; 64],
            large: Vec::new(),
            len: 0,
        };
        let mut at = match bytes.iter().position(|&b| b == b'\n') {
            Some(nl) => nl + 1,
            None => return p,
        };
        while at < bytes.len() {
            let Some(nl) = bytes[at..].iter().position(|&b| b == b'\n') else {
                break;
            };
            let Some(len) = bytes
                .get(at + 1..at + nl.saturating_sub(1))
                .and_then(|l| std::str::from_utf8(l).ok())
                .and_then(|l| l.parse::<usize>().ok())
            else {
                break;
            };
            let start = at + nl + 1;
            if start + len > bytes.len() {
                break;
            }
            p.push(start..start + len);
            at = start + len + 2;
        }
        p
    }

    fn push(&mut self, r: Range<usize>) {
        if self.len < 64 && self.large.is_empty() && r.end <= u32::MAX as usize {
            self.small[self.len] = r.start as u32..r.end as u32;
        } else {
            if self.large.is_empty() {
                self.large = self.small[..self.len]
                    .iter()
                    .map(|r| r.start as usize..r.end as usize)
                    .collect();
            }
            self.large.push(r);
        }
        self.len += 1;
    }
}

impl ArgList for Parsed<'_> {
    fn count(&self) -> usize {
        self.len
    }
    fn at(&self, i: usize) -> &[u8] {
        if self.large.is_empty() {
            let r = &self.small[i];
            &self.bytes[r.start as usize..r.end as usize]
        } else {
            &self.bytes[self.large[i].clone()]
        }
    }
}

thread_local! {
    /// Where commands are encoded to be routed.
    static SCRATCH: RefCell<BytesMut> = RefCell::new(BytesMut::with_capacity(256));
}

/// Whether the key specs describe every key (no `unknown` search).
fn keys_known(spec: &CommandSpec) -> bool {
    spec.key_specs
        .iter()
        .all(|k| !matches!(k.begin, BeginSearch::Unknown) && !matches!(k.find, FindKeys::Unknown))
}

/// Where `cmd` goes, from its spec and arguments; an `Err` (nothing sent)
/// for keys in several slots of a command that cannot be split.
///
/// Computing the slot allocates nothing after the first call on a thread
/// (the command is encoded into a buffer kept per thread).
pub fn route<C: Command + ?Sized>(cmd: &C) -> Result<Route> {
    let Some(spec) = cmd.spec() else {
        return Ok(Route::Special);
    };
    let request = spec.request_policy();
    if request == Some("special") || !keys_known(spec) {
        return Ok(Route::Special);
    }
    if spec.key_specs.is_empty() {
        return Ok(match request {
            Some("all_shards") => Route::AllPrimaries(ResponsePolicy::of(spec)),
            Some("all_nodes") => Route::AllNodes(ResponsePolicy::of(spec)),
            _ => Route::AnyPrimary,
        });
    }
    let slots = SCRATCH.with(|scratch| {
        let mut own;
        let mut guard = scratch.try_borrow_mut();
        let out: &mut BytesMut = match guard.as_deref_mut() {
            Ok(out) => out,
            Err(_) => {
                own = BytesMut::new();
                &mut own
            }
        };
        out.clear();
        cmd.encode(out);
        let args = Parsed::new(out);
        let mut first: Option<u16> = None;
        let mut several = false;
        for_each_key_position(spec.key_specs, &args, |i| {
            let s = key_slot(args.at(i));
            match first {
                None => first = Some(s),
                Some(f) if f != s => several = true,
                _ => {}
            }
        });
        (first, several)
    });
    match slots {
        (None, _) => Ok(match request {
            Some("all_shards") => Route::AllPrimaries(ResponsePolicy::of(spec)),
            Some("all_nodes") => Route::AllNodes(ResponsePolicy::of(spec)),
            _ => Route::AnyPrimary,
        }),
        (Some(slot), false) => Ok(Route::Slot {
            slot,
            readonly: spec.has_flag("readonly"),
        }),
        (Some(_), true) if request == Some("multi_shard") => {
            Ok(Route::Split(ResponsePolicy::of(spec)))
        }
        (Some(_), true) => Err(Error::new(
            ErrorKind::InvalidInput,
            "its keys are in different hash slots (CROSSSLOT), so no single node can \
             run it; put them in one slot with a hash tag (`{user1}.a`, `{user1}.b`)",
        )
        .for_command(cmd.name())),
    }
}

/// One part of a split command: the slot, the encoded command for the keys
/// of that slot, and where each of its keys stood in the original (by key
/// number: 0 for the first key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The slot of every key in the part.
    pub slot: u16,
    /// The part as a command of its own.
    pub command: bytes::Bytes,
    /// The original key numbers, in the part's order.
    pub keys: Vec<usize>,
}

/// Splits a [`Route::Split`] command per slot: each key with the
/// arguments that belong to it (`MSET k v`: the key and its value), in the
/// order the keys first appear. Only commands whose keys form one range
/// from a fixed index to the end (every `multi_shard` command of the specs)
/// are split; others are an error.
pub fn split<C: Command + ?Sized>(cmd: &C) -> Result<Vec<Part>> {
    let cannot = || {
        Error::new(
            ErrorKind::InvalidInput,
            "its keys are in different hash slots and it cannot be split per slot",
        )
        .for_command(cmd.name())
    };
    let spec = cmd.spec().ok_or_else(cannot)?;
    let [k] = spec.key_specs else {
        return Err(cannot());
    };
    let (
        BeginSearch::Index(first),
        FindKeys::Range {
            last_key: -1,
            step,
            limit: 0,
        },
    ) = (k.begin, k.find)
    else {
        return Err(cannot());
    };
    let step = step.max(1);
    let mut bytes = BytesMut::new();
    cmd.encode(&mut bytes);
    let args = Parsed::new(&bytes);
    if args.count() < first + step || !(args.count() - first).is_multiple_of(step) {
        return Err(cannot());
    }
    let mut parts: Vec<(u16, Vec<usize>)> = Vec::new();
    for (n, i) in (first..args.count()).step_by(step).enumerate() {
        let slot = key_slot(args.at(i));
        match parts.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, keys)) => keys.push(n),
            None => parts.push((slot, vec![n])),
        }
    }
    Ok(parts
        .into_iter()
        .map(|(slot, keys)| {
            let mut out = BytesMut::new();
            write_array_header(&mut out, first + keys.len() * step);
            for i in 0..first {
                write_bulk(&mut out, args.at(i));
            }
            for &n in &keys {
                for j in 0..step {
                    write_bulk(&mut out, args.at(first + n * step + j));
                }
            }
            Part {
                slot,
                command: out.freeze(),
                keys,
            }
        })
        .collect())
}

/// Puts the replies of a split command's parts back together: with the
/// default policy (`MGET`), each part's array is spread back to the
/// positions of its keys; otherwise the policy combines them (`DEL`:
/// the sum, `MSET`: all succeeded).
pub fn join(policy: ResponsePolicy, parts: &[Part], replies: Vec<Result<Frame>>) -> Result<Frame> {
    if policy != ResponsePolicy::Default {
        return policy.combine(replies);
    }
    let total: usize = parts.iter().map(|p| p.keys.len()).sum();
    let mut out: Vec<Option<Frame>> = vec![None; total];
    for (part, reply) in parts.iter().zip(replies) {
        let items = match reply? {
            Frame::Array(items) if items.len() == part.keys.len() => items,
            other => {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "a part of a split command answered a {} for {} keys",
                        other.kind(),
                        part.keys.len()
                    ),
                ))
            }
        };
        for (&n, item) in part.keys.iter().zip(items) {
            out[n] = Some(item);
        }
    }
    Ok(Frame::Array(
        out.into_iter().map(|f| f.unwrap_or(Frame::Null)).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::Cmd;
    use crate::commands;

    fn cmd(args: &[&str]) -> Cmd {
        Cmd::from_args(args.iter().copied()).unwrap()
    }

    #[test]
    fn special_replies_are_combined_per_kind_of_command() {
        let node = |port| super::super::NodeAddr {
            host: "127.0.0.1".into(),
            port,
        };
        let text = |t: &str| {
            Ok(Frame::BulkString(bytes::Bytes::copy_from_slice(
                t.as_bytes(),
            )))
        };
        // INFO: one text, each node's part under its line.
        let policy = ResponsePolicy::of(commands::spec_of("INFO").unwrap());
        assert_eq!(policy, ResponsePolicy::Special);
        let info = policy
            .combine_nodes(vec![
                (node(7000), text("a:1\r\n")),
                (node(7001), text("a:2")),
            ])
            .unwrap();
        assert_eq!(
            info,
            Frame::BulkString(bytes::Bytes::from_static(
                b"# node 127.0.0.1:7000\r\na:1\r\n# node 127.0.0.1:7001\r\na:2\r\n"
            ))
        );
        // MEMORY STATS: a map by node.
        let stats = |n| {
            Ok(Frame::Map(vec![(
                Frame::SimpleString("peak".into()),
                Frame::Integer(n),
            )]))
        };
        let by_node = policy
            .combine_nodes(vec![(node(7000), stats(1)), (node(7001), stats(2))])
            .unwrap();
        let Frame::Map(pairs) = by_node else {
            panic!("a map by node")
        };
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1].0, Frame::BulkString("127.0.0.1:7001".into()));
        assert_eq!(pairs[1].1, stats(2).unwrap());
        // An error on one node is the reply.
        let e = policy
            .combine_nodes(vec![
                (node(7000), text("x")),
                (node(7001), Err(Error::from_server_reply(b"ERR nope"))),
            ])
            .unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        // RANDOMKEY: one of the non-null picks; null when every node has none.
        let pick = ResponsePolicy::of(commands::spec_of("RANDOMKEY").unwrap());
        assert_eq!(pick, ResponsePolicy::Pick);
        for _ in 0..20 {
            let k = pick
                .combine_nodes(vec![
                    (node(7000), Ok(Frame::Null)),
                    (node(7001), text("k1")),
                    (node(7002), text("k2")),
                ])
                .unwrap();
            assert!(
                k == text("k1").unwrap() || k == text("k2").unwrap(),
                "{k:?}"
            );
        }
        assert_eq!(
            pick.combine(vec![Ok(Frame::Null), Ok(Frame::Null)])
                .unwrap(),
            Frame::Null
        );
    }

    #[test]
    fn keyed_commands_go_to_their_slot() {
        assert_eq!(
            route(&commands::string::get("foo")).unwrap(),
            Route::Slot {
                slot: 12182,
                readonly: true
            }
        );
        assert_eq!(
            route(&cmd(&["SET", "foo", "1"])).unwrap(),
            Route::Slot {
                slot: 12182,
                readonly: false
            }
        );
        // Keys after a keyword (XREAD STREAMS), a key count (EVAL), tags.
        let r = route(&cmd(&[
            "XREAD", "COUNT", "1", "STREAMS", "{a}1", "{a}2", "0", "0",
        ]));
        assert_eq!(
            r.unwrap(),
            Route::Slot {
                slot: key_slot(b"a"),
                readonly: true
            }
        );
        let r = route(&cmd(&["EVAL", "return 1", "2", "{t}x", "{t}y", "notakey"]));
        assert_eq!(
            r.unwrap(),
            Route::Slot {
                slot: key_slot(b"t"),
                readonly: false
            }
        );
    }

    #[test]
    fn keyless_commands_follow_their_request_policy() {
        assert_eq!(
            route(&cmd(&["DBSIZE"])).unwrap(),
            Route::AllPrimaries(ResponsePolicy::AggSum)
        );
        assert_eq!(
            route(&cmd(&["KEYS", "*"])).unwrap(),
            Route::AllPrimaries(ResponsePolicy::Default)
        );
        assert_eq!(
            route(&cmd(&["SCRIPT", "LOAD", "return 1"])).unwrap(),
            Route::AllNodes(ResponsePolicy::AllSucceeded)
        );
        assert_eq!(
            route(&cmd(&["PING"])).unwrap(),
            Route::AllPrimaries(ResponsePolicy::AllSucceeded)
        );
        assert_eq!(route(&cmd(&["ECHO", "x"])).unwrap(), Route::AnyPrimary);
        assert_eq!(
            route(&cmd(&["NOT.A.COMMAND", "x"])).unwrap(),
            Route::Special
        );
    }

    #[test]
    fn cross_slot_commands_split_or_are_refused() {
        assert_eq!(
            route(&cmd(&["MGET", "a", "b"])).unwrap(),
            Route::Split(ResponsePolicy::Default)
        );
        assert_eq!(
            route(&cmd(&["DEL", "a", "b"])).unwrap(),
            Route::Split(ResponsePolicy::AggSum)
        );
        let e = route(&cmd(&["RENAME", "a", "b"])).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InvalidInput);
        assert!(e.to_string().contains("CROSSSLOT"), "{e}");
        // Same slot: no split.
        assert!(matches!(
            route(&cmd(&["MGET", "{x}a", "{x}b"])).unwrap(),
            Route::Slot { .. }
        ));
    }

    #[test]
    fn splits_and_joins_in_the_callers_order() {
        let mset = cmd(&["MSET", "a", "1", "b", "2", "c", "3", "{a}d", "4"]);
        let parts = split(&mset).unwrap();
        let a = parts.iter().find(|p| p.slot == key_slot(b"a")).unwrap();
        assert_eq!(a.keys, vec![0, 3]);
        assert_eq!(
            &a.command[..],
            b"*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$4\r\n{a}d\r\n$1\r\n4\r\n"
        );
        let mget = cmd(&["MGET", "a", "b", "{a}c"]);
        let parts = split(&mget).unwrap();
        assert_eq!(parts.len(), 2);
        let replies = parts
            .iter()
            .map(|p| {
                Ok(Frame::Array(
                    p.keys
                        .iter()
                        .map(|&n| Frame::Integer(n as i64 * 10))
                        .collect(),
                ))
            })
            .collect();
        assert_eq!(
            join(ResponsePolicy::Default, &parts, replies).unwrap(),
            Frame::Array(vec![
                Frame::Integer(0),
                Frame::Integer(10),
                Frame::Integer(20)
            ])
        );
        let sum = join(
            ResponsePolicy::AggSum,
            &parts,
            vec![Ok(Frame::Integer(2)), Ok(Frame::Integer(1))],
        );
        assert_eq!(sum.unwrap(), Frame::Integer(3));
        let err = ResponsePolicy::AllSucceeded.combine(vec![
            Ok(Frame::SimpleString("OK".into())),
            Err(Error::from_server_reply(b"ERR no")),
        ]);
        assert!(err.is_err());
        assert!(
            split(&cmd(&["MSET", "a"])).is_err(),
            "a key without its value"
        );
    }

    #[test]
    fn aggregates_arrays_element_by_element() {
        let arr = |v: &[i64]| Ok(Frame::Array(v.iter().map(|&i| Frame::Integer(i)).collect()));
        // SCRIPT EXISTS: a script exists only where every node has it.
        let and = ResponsePolicy::AggLogicalAnd.combine(vec![arr(&[1, 0, 1]), arr(&[1, 1, 0])]);
        assert_eq!(and.unwrap(), arr(&[1, 0, 0]).unwrap());
        // WAITAOF: the fewest acknowledgements of each kind.
        let min = ResponsePolicy::AggMin.combine(vec![arr(&[1, 2]), arr(&[0, 3])]);
        assert_eq!(min.unwrap(), arr(&[0, 2]).unwrap());
        let or = ResponsePolicy::AggLogicalOr.combine(vec![arr(&[0, 0]), arr(&[1, 0])]);
        assert_eq!(or.unwrap(), arr(&[1, 0]).unwrap());
        let mixed = ResponsePolicy::AggSum.combine(vec![arr(&[1, 2]), arr(&[1])]);
        assert_eq!(mixed.unwrap_err().kind(), &ErrorKind::Conversion);
        let sum =
            ResponsePolicy::AggSum.combine(vec![Ok(Frame::Integer(2)), Ok(Frame::Integer(5))]);
        assert_eq!(sum.unwrap(), Frame::Integer(7));
    }
}
