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
use std::collections::{HashMap, HashSet};
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
    /// The command (its key in the slot map).
    cmd: Bytes,
    state: State,
    /// The keys the command reads (what invalidates it).
    keys: Keys,
    /// The slots used just before and just after this one ([`NONE`] at
    /// the ends of the use order).
    older: u32,
    newer: u32,
}

/// No slot: the end of the use order.
const NONE: u32 = u32::MAX;

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
    /// Command -> its slot's place in `slab`.
    slots: Map<Bytes, u32>,
    /// The slots, linked in the order of their use (a list through the
    /// slab rather than an ordered map: a use moves a slot to the end at
    /// the cost of a few index writes); `None` for a free place.
    slab: Vec<Option<Slot>>,
    /// Free places of `slab`.
    free: Vec<u32>,
    /// The least and the most recently used slot.
    oldest: u32,
    newest: u32,
    /// Key -> the commands (slot keys) that read it.
    by_key: Map<Bytes, Readers>,
    /// The hashes of keys with writes of this client in flight, and how
    /// many: a read of one that begins meanwhile may run on the server
    /// before the write (on another connection), so its reply is not kept.
    /// By hash rather than by key, so that a write copies no key: two keys
    /// of one hash make a read of the other store nothing meanwhile, which
    /// is safe (and as rare as a 64-bit collision).
    writing: HashMap<u64, usize, Prehashed>,
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
            slab: Vec::new(),
            free: Vec::new(),
            oldest: NONE,
            newest: NONE,
            by_key: HashMap::with_hasher(seed),
            writing: HashMap::with_hasher(Prehashed),
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

    fn slot(&self, at: u32) -> &Slot {
        self.slab[at as usize]
            .as_ref()
            .expect("the slot map names only slots in use")
    }

    fn slot_mut(&mut self, at: u32) -> &mut Slot {
        self.slab[at as usize]
            .as_mut()
            .expect("the slot map names only slots in use")
    }

    /// Takes the slot at `at` out of the use order.
    fn unlink(&mut self, at: u32) {
        let (older, newer) = {
            let s = self.slot(at);
            (s.older, s.newer)
        };
        match older {
            NONE => self.oldest = newer,
            o => self.slot_mut(o).newer = newer,
        }
        match newer {
            NONE => self.newest = older,
            n => self.slot_mut(n).older = older,
        }
    }

    /// Puts the slot at `at` (out of the use order) at its end.
    fn link_newest(&mut self, at: u32) {
        let newest = self.newest;
        {
            let s = self.slot_mut(at);
            s.older = newest;
            s.newer = NONE;
        }
        match newest {
            NONE => self.oldest = at,
            n => self.slot_mut(n).newer = at,
        }
        self.newest = at;
    }

    /// The slot at `at` was used now.
    fn touch(&mut self, at: u32) {
        if self.newest != at {
            self.unlink(at);
            self.link_newest(at);
        }
    }

    /// The cached reply of `cmd`, if there is a live one (a hit).
    pub(crate) fn get(&mut self, cmd: &[u8], now: Instant) -> Option<Frame> {
        let at = *self.slots.get(cmd)?;
        let expired = match &self.slot(at).state {
            State::Ready { expires, .. } => expires.is_some_and(|e| e <= now),
            State::Pending(_) => return None,
        };
        if expired {
            self.remove_at(at);
            self.counts.expirations += 1;
            return None;
        }
        self.touch(at);
        let State::Ready { value, .. } = &self.slot(at).state else {
            return None;
        };
        let value = value.clone();
        self.counts.hits += 1;
        Some(value)
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
        let slot = Slot {
            cmd: cmd.clone(),
            state: State::Pending(ticket),
            keys,
            older: NONE,
            newer: NONE,
        };
        let at = match self.free.pop() {
            Some(at) => {
                self.slab[at as usize] = Some(slot);
                at
            }
            None => {
                self.slab.push(Some(slot));
                (self.slab.len() - 1) as u32
            }
        };
        self.link_newest(at);
        self.slots.insert(cmd, at);
        self.evict();
        ticket
    }

    /// Stores the reply of the read holding `ticket`, if its reservation
    /// is still there (no invalidation of its keys, no flush since
    /// [`begin`](Self::begin)). True when stored.
    pub(crate) fn fill(&mut self, cmd: &[u8], ticket: u64, value: Frame, now: Instant) -> bool {
        let at = self.slots.get(cmd).copied();
        let held = at.filter(|&at| matches!(self.slot(at).state, State::Pending(t) if t == ticket));
        let Some(at) = held else {
            self.counts.dropped_fills += 1;
            return false;
        };
        let size = cmd.len() + frame_size(&value) + SLOT_OVERHEAD;
        if size > self.max_bytes {
            // It would evict everything and still not fit.
            self.remove_at(at);
            self.counts.dropped_fills += 1;
            return false;
        }
        let expires = self.ttl.map(|t| now + t);
        self.slot_mut(at).state = State::Ready {
            value,
            size,
            expires,
        };
        self.touch(at);
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

    /// The commands from the least to the most recently used, walked
    /// both ways (and checked to agree).
    #[cfg(test)]
    pub(crate) fn use_order(&self) -> Vec<Bytes> {
        let mut up = Vec::new();
        let mut at = self.oldest;
        while at != NONE {
            up.push(self.slot(at).cmd.clone());
            at = self.slot(at).newer;
        }
        let mut down = Vec::new();
        let mut at = self.newest;
        while at != NONE {
            down.push(self.slot(at).cmd.clone());
            at = self.slot(at).older;
        }
        down.reverse();
        assert_eq!(up, down);
        assert_eq!(up.len(), self.slots.len());
        up
    }

    /// Keys with writes in flight.
    #[cfg(test)]
    pub(crate) fn writes_in_flight(&self) -> usize {
        self.writing.len()
    }

    /// Drops everything, reservations included.
    pub(crate) fn flush(&mut self) {
        self.slots.clear();
        self.slab.clear();
        self.free.clear();
        self.oldest = NONE;
        self.newest = NONE;
        self.by_key.clear();
        self.bytes = 0;
        self.ready = 0;
        self.counts.flushes += 1;
    }

    /// Removes one slot and its index entries; true when it was ready.
    fn remove(&mut self, cmd: &[u8]) -> bool {
        match self.slots.get(cmd) {
            Some(&at) => self.remove_at(at),
            None => false,
        }
    }

    /// [`remove`](Self::remove) of the slot at `at`.
    fn remove_at(&mut self, at: u32) -> bool {
        self.unlink(at);
        let Some(slot) = self.slab[at as usize].take() else {
            return false;
        };
        self.free.push(at);
        self.slots.remove(&slot.cmd);
        for k in slot.keys.as_slice() {
            if let Some(readers) = self.by_key.get_mut(k) {
                if readers.remove(&slot.cmd) {
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
            if self.oldest == NONE {
                break;
            }
            if self.remove_at(self.oldest) {
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
    fn uses_reorder_slots_and_removals_keep_the_order_linked() {
        let now = Instant::now();
        let names = |s: &Store| -> Vec<String> {
            s.use_order()
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect()
        };
        let mut s = Store::new(10, 1 << 20, None);
        for k in ["a", "b", "c", "d"] {
            filled(&mut s, &format!("GET {k}"), k, k, now);
        }
        assert_eq!(names(&s), ["GET a", "GET b", "GET c", "GET d"]);
        s.get(b"GET b", now); // from the middle
        s.get(b"GET a", now); // from the oldest end
        s.get(b"GET a", now); // already the newest
        assert_eq!(names(&s), ["GET c", "GET d", "GET b", "GET a"]);
        s.invalidate(b"d"); // from the middle
        s.invalidate(b"a"); // the newest
        s.invalidate(b"c"); // the oldest
        assert_eq!(names(&s), ["GET b"]);
        // Freed places are reused.
        filled(&mut s, "GET e", "e", "e", now);
        let t = s.begin(b("GET f"), vec![b("f")].into());
        assert_eq!(names(&s), ["GET b", "GET e", "GET f"]);
        assert!(s.slab.len() <= 4);
        // A fill is a use.
        s.get(b"GET b", now);
        assert!(s.fill(b"GET f", t, bulk("f"), now));
        assert_eq!(names(&s), ["GET e", "GET b", "GET f"]);
        s.flush();
        assert!(names(&s).is_empty());
        filled(&mut s, "GET g", "g", "g", now);
        assert_eq!(names(&s), ["GET g"]);
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
        assert_eq!(s.slab.len() - s.free.len(), 3);
        assert_eq!(s.use_order().len(), 3);
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
