//! The bounded store behind a client-side cache: no I/O, no clock of its
//! own (callers pass the time), tested from values.
//!
//! Entries are keyed by the encoded command (`GET k` and `GETRANGE k 0 1`
//! are two entries) and indexed by the keys they read, so that one
//! invalidation of `k` drops both. A read that misses first reserves its
//! entry ([`Store::begin`], a *pending* slot holding a ticket); its reply
//! fills the slot only if the ticket is still there ([`Store::fill`]). An
//! invalidation or a flush that comes between removes the slot, so a reply
//! that raced an invalidation is never kept.
//!
//! Least recently used slots go first when the entry or byte bound is
//! exceeded; a slot's use is its last hit, fill or reservation.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::hash::{Prehashed, Seed};
use crate::resp::Frame;

type Map<K, V> = HashMap<K, V, Seed>;

/// What the store counts (a snapshot is [`CacheStats`](super::CacheStats)).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub expirations: u64,
    pub invalidations: u64,
    pub flushes: u64,
    pub dropped_fills: u64,
}

/// Bytes counted for one slot beyond its command and reply: the map and
/// index entries, roughly.
const SLOT_OVERHEAD: usize = 96;

#[derive(Debug)]
enum State {
    /// A read is in flight; its reply may fill the slot if it still holds
    /// this ticket.
    Pending(u64),
    /// A reply, with its counted size and when it stops being served.
    Ready {
        value: Frame,
        size: usize,
        expires: Option<Instant>,
    },
}

#[derive(Debug)]
struct Slot {
    state: State,
    /// The keys the command reads (what invalidates it).
    keys: Keys,
    /// Its position in the use order.
    stamp: u64,
}

/// The keys of one command: mostly one, kept without a vector.
#[derive(Debug)]
pub(crate) enum Keys {
    One(Bytes),
    Many(Vec<Bytes>),
}

impl From<Vec<Bytes>> for Keys {
    fn from(mut v: Vec<Bytes>) -> Self {
        match v.len() {
            1 => Keys::One(v.pop().unwrap_or_default()),
            _ => Keys::Many(v),
        }
    }
}

impl Keys {
    pub(crate) fn as_slice(&self) -> &[Bytes] {
        match self {
            Keys::One(k) => std::slice::from_ref(k),
            Keys::Many(v) => v,
        }
    }
}

/// The hashes of the keys of one write in flight ([`Store::begin_write`]):
/// up to [`INLINE_WRITES`] without an allocation.
#[derive(Debug, Default)]
pub(crate) struct Writing {
    len: usize,
    inline: [u64; INLINE_WRITES],
    more: Vec<u64>,
}

const INLINE_WRITES: usize = 4;

impl Writing {
    fn push(&mut self, hash: u64) {
        if self.len < INLINE_WRITES {
            self.inline[self.len] = hash;
        } else {
            self.more.push(hash);
        }
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.inline[..self.len.min(INLINE_WRITES)]
            .iter()
            .chain(&self.more)
            .copied()
    }
}

/// The commands (slot keys) that read one key: mostly one, kept without
/// a set of its own (a read that misses after a write of its key adds the
/// key back to the index: one allocation fewer each time).
#[derive(Debug)]
enum Readers {
    One(Bytes),
    Many(HashSet<Bytes, Seed>),
}

impl Readers {
    fn insert(&mut self, cmd: Bytes, seed: Seed) {
        match self {
            Readers::One(one) if *one == cmd => {}
            Readers::One(one) => {
                let mut set = HashSet::with_capacity_and_hasher(2, seed);
                set.insert(one.clone());
                set.insert(cmd);
                *self = Readers::Many(set);
            }
            Readers::Many(set) => {
                set.insert(cmd);
            }
        }
    }

    /// Removes `cmd`; true when none is left.
    fn remove(&mut self, cmd: &[u8]) -> bool {
        match self {
            Readers::One(one) => one[..] == *cmd,
            Readers::Many(set) => {
                set.remove(cmd);
                set.is_empty()
            }
        }
    }
}

/// The slots, their use order and the key index.
#[derive(Debug)]
pub(crate) struct Store {
    max_entries: usize,
    max_bytes: usize,
    ttl: Option<Duration>,
    /// The seed of the maps' hash (see [`super::hash`]).
    seed: Seed,
    slots: Map<Bytes, Slot>,
    /// Use order: the oldest stamp is the least recently used slot.
    order: BTreeMap<u64, Bytes>,
    /// Key -> the commands (slot keys) that read it.
    by_key: Map<Bytes, Readers>,
    /// The hashes of keys with writes of this client in flight, and how
    /// many: a read of one that begins meanwhile may run on the server
    /// before the write (on another connection), so its reply is not kept.
    /// By hash rather than by key, so that a write copies no key: two keys
    /// of one hash make a read of the other store nothing meanwhile, which
    /// is safe (and as rare as a 64-bit collision).
    writing: HashMap<u64, usize, Prehashed>,
    next_stamp: u64,
    next_ticket: u64,
    /// Bytes held by ready slots.
    bytes: usize,
    /// Ready slots.
    ready: usize,
    pub(crate) counts: Counts,
}

impl Store {
    pub(crate) fn new(max_entries: usize, max_bytes: usize, ttl: Option<Duration>) -> Self {
        let seed = Seed::new();
        Store {
            max_entries: max_entries.max(1),
            max_bytes: max_bytes.max(1),
            ttl,
            seed,
            slots: HashMap::with_hasher(seed),
            order: BTreeMap::new(),
            by_key: HashMap::with_hasher(seed),
            writing: HashMap::with_hasher(Prehashed),
            next_stamp: 0,
            next_ticket: 0,
            bytes: 0,
            ready: 0,
            counts: Counts::default(),
        }
    }

    /// Ready entries.
    pub(crate) fn len(&self) -> usize {
        self.ready
    }

    /// Bytes held by ready entries (command, reply and bookkeeping).
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    fn stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        self.next_stamp
    }

    /// The cached reply of `cmd`, if there is a live one (a hit).
    pub(crate) fn get(&mut self, cmd: &[u8], now: Instant) -> Option<Frame> {
        let (expired, old) = match self.slots.get(cmd)? {
            Slot {
                state: State::Ready { expires, .. },
                stamp,
                ..
            } => (expires.is_some_and(|at| at <= now), *stamp),
            Slot {
                state: State::Pending(_),
                ..
            } => return None,
        };
        if expired {
            self.remove(cmd);
            self.counts.expirations += 1;
            return None;
        }
        let stamp = self.stamp();
        if let Some(name) = self.order.remove(&old) {
            self.order.insert(stamp, name);
        }
        let slot = self.slots.get_mut(cmd)?;
        slot.stamp = stamp;
        let State::Ready { value, .. } = &slot.state else {
            return None;
        };
        self.counts.hits += 1;
        Some(value.clone())
    }

    /// Counts a miss of `cmd` and reserves its slot: the ticket its reply
    /// must show to [`fill`](Self::fill). A reservation made earlier for
    /// the same command (another read in flight) is replaced: only the
    /// latest read fills.
    pub(crate) fn begin(&mut self, cmd: Bytes, keys: Keys) -> u64 {
        self.counts.misses += 1;
        if !self.writing.is_empty()
            && keys
                .as_slice()
                .iter()
                .any(|k| self.writing.contains_key(&self.seed.hash(k)))
        {
            // No reservation: ticket 0 fills nothing.
            return 0;
        }
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        self.remove(&cmd);
        for k in keys.as_slice() {
            match self.by_key.entry(k.clone()) {
                Entry::Occupied(mut e) => e.get_mut().insert(cmd.clone(), self.seed),
                Entry::Vacant(e) => {
                    e.insert(Readers::One(cmd.clone()));
                }
            }
        }
        let stamp = self.stamp();
        self.order.insert(stamp, cmd.clone());
        self.slots.insert(
            cmd,
            Slot {
                state: State::Pending(ticket),
                keys,
                stamp,
            },
        );
        self.evict();
        ticket
    }

    /// Stores the reply of the read holding `ticket`, if its reservation
    /// is still there (no invalidation of its keys, no flush since
    /// [`begin`](Self::begin)). True when stored.
    pub(crate) fn fill(&mut self, cmd: &[u8], ticket: u64, value: Frame, now: Instant) -> bool {
        let held = matches!(
            self.slots.get(cmd),
            Some(Slot { state: State::Pending(t), .. }) if *t == ticket
        );
        if !held {
            self.counts.dropped_fills += 1;
            return false;
        }
        let size = cmd.len() + frame_size(&value) + SLOT_OVERHEAD;
        if size > self.max_bytes {
            // It would evict everything and still not fit.
            self.remove(cmd);
            self.counts.dropped_fills += 1;
            return false;
        }
        let expires = self.ttl.map(|t| now + t);
        let stamp = self.stamp();
        let Some(slot) = self.slots.get_mut(cmd) else {
            return false;
        };
        let old = slot.stamp;
        slot.stamp = stamp;
        slot.state = State::Ready {
            value,
            size,
            expires,
        };
        if let Some(name) = self.order.remove(&old) {
            self.order.insert(stamp, name);
        }
        self.bytes += size;
        self.ready += 1;
        self.evict();
        true
    }

    /// Drops every slot (ready or pending) that reads `key`; returns how
    /// many ready entries went.
    pub(crate) fn invalidate(&mut self, key: &[u8]) -> usize {
        let Some(cmds) = self.by_key.remove(key) else {
            return 0;
        };
        let mut dropped = 0;
        match cmds {
            Readers::One(cmd) => {
                if self.remove(&cmd) {
                    dropped += 1;
                }
            }
            Readers::Many(cmds) => {
                for cmd in cmds {
                    if self.remove(&cmd) {
                        dropped += 1;
                    }
                }
            }
        }
        self.counts.invalidations += dropped as u64;
        dropped
    }

    /// A write of `keys` is about to be sent: their entries and
    /// reservations go, and reads of them that begin before
    /// [`end_write`](Self::end_write) store nothing.
    /// [`end_write`](Self::end_write) takes what this returns.
    pub(crate) fn begin_write<'k>(&mut self, keys: impl IntoIterator<Item = &'k [u8]>) -> Writing {
        let mut writing = Writing::default();
        for k in keys {
            if !self.by_key.is_empty() {
                self.invalidate(k);
            }
            let h = self.seed.hash(k);
            *self.writing.entry(h).or_default() += 1;
            writing.push(h);
        }
        writing
    }

    /// The write [`begin_write`](Self::begin_write) began is answered (or
    /// abandoned).
    pub(crate) fn end_write(&mut self, keys: &Writing) {
        for h in keys.iter() {
            if let Entry::Occupied(mut n) = self.writing.entry(h) {
                *n.get_mut() -= 1;
                if *n.get() == 0 {
                    n.remove();
                }
            }
        }
    }

    /// Keys with writes in flight.
    #[cfg(test)]
    pub(crate) fn writes_in_flight(&self) -> usize {
        self.writing.len()
    }

    /// Drops everything, reservations included.
    pub(crate) fn flush(&mut self) {
        self.slots.clear();
        self.order.clear();
        self.by_key.clear();
        self.bytes = 0;
        self.ready = 0;
        self.counts.flushes += 1;
    }

    /// Removes one slot and its index entries; true when it was ready.
    fn remove(&mut self, cmd: &[u8]) -> bool {
        let Some(slot) = self.slots.remove(cmd) else {
            return false;
        };
        self.order.remove(&slot.stamp);
        for k in slot.keys.as_slice() {
            if let Some(readers) = self.by_key.get_mut(k) {
                if readers.remove(cmd) {
                    self.by_key.remove(k);
                }
            }
        }
        match slot.state {
            State::Ready { size, .. } => {
                self.bytes -= size;
                self.ready -= 1;
                true
            }
            State::Pending(_) => false,
        }
    }

    /// Drops the least recently used slots while a bound is exceeded
    /// (reservations count toward the entry bound, so reads whose futures
    /// were dropped cannot pile up).
    fn evict(&mut self) {
        while self.slots.len() > self.max_entries || self.bytes > self.max_bytes {
            let Some((_, cmd)) = self.order.pop_first() else {
                break;
            };
            if self.remove(&cmd) {
                self.counts.evictions += 1;
            }
        }
    }
}

/// The bytes a reply holds, roughly: its payloads plus a few per frame.
pub(crate) fn frame_size(frame: &Frame) -> usize {
    const PER_FRAME: usize = 16;
    PER_FRAME
        + match frame {
            Frame::SimpleString(b)
            | Frame::Error(b)
            | Frame::BulkString(b)
            | Frame::BigNumber(b)
            | Frame::BulkError(b) => b.len(),
            Frame::VerbatimString { text, .. } => text.len() + 3,
            Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => v.iter().map(frame_size).sum(),
            Frame::Map(v) => v.iter().map(|(k, v)| frame_size(k) + frame_size(v)).sum(),
            Frame::Attribute { attributes, data } => {
                attributes
                    .iter()
                    .map(|(k, v)| frame_size(k) + frame_size(v))
                    .sum::<usize>()
                    + frame_size(data)
            }
            Frame::Integer(_) | Frame::Null | Frame::Boolean(_) | Frame::Double(_) => 0,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn bulk(s: &str) -> Frame {
        Frame::BulkString(b(s))
    }

    fn filled(store: &mut Store, cmd: &str, key: &str, value: &str, now: Instant) {
        let t = store.begin(b(cmd), vec![b(key)].into());
        assert!(store.fill(cmd.as_bytes(), t, bulk(value), now));
    }

    #[test]
    fn a_fill_after_its_invalidation_is_dropped() {
        let now = Instant::now();
        let mut s = Store::new(10, 1 << 20, None);
        let t = s.begin(b("GET k"), vec![b("k")].into());
        assert_eq!(s.get(b"GET k", now), None, "pending is not a hit");
        assert_eq!(s.invalidate(b"k"), 0, "no ready entry was dropped");
        assert!(!s.fill(b"GET k", t, bulk("old"), now));
        assert_eq!(s.get(b"GET k", now), None);
        assert_eq!(s.counts.dropped_fills, 1);
        assert_eq!(s.len(), 0);
        assert_eq!(s.bytes(), 0);
    }

    #[test]
    fn a_fill_after_a_flush_is_dropped_and_a_later_read_fills() {
        let now = Instant::now();
        let mut s = Store::new(10, 1 << 20, None);
        let t = s.begin(b("GET k"), vec![b("k")].into());
        s.flush();
        assert!(!s.fill(b"GET k", t, bulk("old"), now));
        filled(&mut s, "GET k", "k", "new", now);
        assert_eq!(s.get(b"GET k", now), Some(bulk("new")));
        assert_eq!(s.counts.flushes, 1);
        assert_eq!(s.counts.hits, 1);
        assert_eq!(s.counts.misses, 2);
    }

    #[test]
    fn only_the_latest_of_two_concurrent_reads_fills() {
        let now = Instant::now();
        let mut s = Store::new(10, 1 << 20, None);
        let first = s.begin(b("GET k"), vec![b("k")].into());
        let second = s.begin(b("GET k"), vec![b("k")].into());
        assert!(!s.fill(b"GET k", first, bulk("1"), now));
        assert!(s.fill(b"GET k", second, bulk("2"), now));
        assert_eq!(s.get(b"GET k", now), Some(bulk("2")));
    }

    #[test]
    fn one_key_invalidates_every_command_reading_it() {
        let now = Instant::now();
        let mut s = Store::new(10, 1 << 20, None);
        filled(&mut s, "GET k", "k", "v", now);
        filled(&mut s, "GETRANGE k 0 1", "k", "v", now);
        filled(&mut s, "GET j", "j", "w", now);
        let t = s.begin(b("MGET j k"), vec![b("j"), b("k")].into());
        assert!(s.fill(b"MGET j k", t, bulk("wv"), now));
        assert_eq!(s.len(), 4);
        assert_eq!(s.invalidate(b"k"), 3);
        assert_eq!(s.get(b"GET k", now), None);
        assert_eq!(s.get(b"GETRANGE k 0 1", now), None);
        assert_eq!(s.get(b"MGET j k", now), None);
        assert_eq!(s.get(b"GET j", now), Some(bulk("w")));
        assert_eq!(s.counts.invalidations, 3);
        // The index holds nothing for the removed entries any more.
        assert_eq!(s.invalidate(b"j"), 1);
        assert!(s.by_key.is_empty());
        assert_eq!(s.bytes(), 0);
    }

    #[test]
    fn a_read_that_begins_during_a_write_of_its_key_stores_nothing() {
        let now = Instant::now();
        let mut s = Store::new(10, 1 << 20, None);
        filled(&mut s, "GET k", "k", "old", now);
        let before = s.begin(b("GET j"), vec![b("j")].into());
        let w1 = s.begin_write([&b"k"[..]]);
        let w2 = s.begin_write([&b"k"[..]]);
        assert_eq!(s.get(b"GET k", now), None, "the write dropped the entry");
        let during = s.begin(b("GET k"), vec![b("k")].into());
        assert!(!s.fill(b"GET k", during, bulk("maybe old"), now));
        s.end_write(&w1);
        let still = s.begin(b("GET k"), vec![b("k")].into());
        assert!(!s.fill(b"GET k", still, bulk("maybe old"), now));
        s.end_write(&w2);
        assert!(s.writing.is_empty());
        filled(&mut s, "GET k", "k", "new", now);
        assert_eq!(s.get(b"GET k", now), Some(bulk("new")));
        assert!(s.fill(b"GET j", before, bulk("j"), now), "other keys fill");
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let now = Instant::now();
        let mut s = Store::new(2, 1 << 20, None);
        filled(&mut s, "GET a", "a", "1", now);
        filled(&mut s, "GET b", "b", "2", now);
        assert!(s.get(b"GET a", now).is_some());
        filled(&mut s, "GET c", "c", "3", now);
        assert_eq!(s.len(), 2);
        assert_eq!(s.get(b"GET b", now), None, "b was the least recently used");
        assert_eq!(s.get(b"GET a", now), Some(bulk("1")));
        assert_eq!(s.get(b"GET c", now), Some(bulk("3")));
        assert_eq!(s.counts.evictions, 1);
    }

    #[test]
    fn the_byte_bound_holds_and_an_oversized_reply_is_not_kept() {
        let now = Instant::now();
        let big = "x".repeat(400);
        let mut s = Store::new(100, 1200, None);
        for i in 0..10 {
            filled(&mut s, &format!("GET k{i}"), &format!("k{i}"), &big, now);
            assert!(s.bytes() <= 1200, "{} bytes held", s.bytes());
        }
        assert_eq!(s.len(), 2);
        assert_eq!(s.counts.evictions, 8);
        let huge = "y".repeat(2000);
        let t = s.begin(b("GET h"), vec![b("h")].into());
        assert!(!s.fill(b"GET h", t, bulk(&huge), now));
        assert_eq!(s.get(b"GET h", now), None);
        assert!(s.bytes() <= 1200);
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let now = Instant::now();
        let mut s = Store::new(10, 1 << 20, Some(Duration::from_secs(5)));
        filled(&mut s, "GET k", "k", "v", now);
        assert_eq!(
            s.get(b"GET k", now + Duration::from_secs(4)),
            Some(bulk("v"))
        );
        assert_eq!(s.get(b"GET k", now + Duration::from_secs(5)), None);
        assert_eq!(s.counts.expirations, 1);
        assert_eq!(s.len(), 0);
        assert!(s.by_key.is_empty());
    }

    #[test]
    fn reservations_count_toward_the_entry_bound() {
        let mut s = Store::new(3, 1 << 20, None);
        for i in 0..100 {
            s.begin(b(&format!("GET k{i}")), vec![b(&format!("k{i}"))].into());
        }
        assert_eq!(s.slots.len(), 3);
        assert_eq!(s.by_key.len(), 3);
        assert_eq!(s.order.len(), 3);
    }

    #[test]
    fn sizes_count_payloads() {
        assert_eq!(frame_size(&Frame::Null), 16);
        assert_eq!(frame_size(&bulk("abcd")), 20);
        assert_eq!(
            frame_size(&Frame::Array(vec![bulk("ab"), Frame::Integer(1)])),
            16 + 18 + 16
        );
    }
}
