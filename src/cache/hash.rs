//! The hash of the store's maps: keyed by a seed drawn once per store,
//! cheaper than the standard library's SipHash-1-3.
//!
//! Why not the standard hasher: every cached read and every write of a
//! caching client hashes its command and its keys several times (the slot
//! map, the key index, the writes in flight), and SipHash's rounds were the
//! largest single cost of a write followed by a read. Why not an unkeyed
//! fast hash (FxHash): the keys come from the server's data and the
//! application's callers, so whoever chooses key names could choose ones
//! that all land in one bucket and make every lookup walk them (hash
//! flooding). So this is a keyed multiply-fold hash in the manner of
//! foldhash: 16 bytes at a time, each half combined with a secret word and
//! multiplied into 128 bits whose halves are folded together. The secrets
//! come from the standard library's [`RandomState`] (randomly keyed per
//! process and different for each store), so an attacker who does not know
//! them cannot aim inputs at a collision; the folded multiply lets every
//! input bit reach every output bit. It is not a cryptographic MAC, and
//! need not be: a hash table only needs collisions to be as rare as chance
//! for inputs chosen without seeing the seed.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Multiplies into 128 bits and folds the halves together.
#[inline(always)]
fn fold(x: u64, y: u64) -> u64 {
    let p = (x as u128).wrapping_mul(y as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

#[inline(always)]
fn read8(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

#[inline(always)]
fn read4(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w) as u64
}

/// The seed of one store's maps ([`BuildHasher`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seed {
    k0: u64,
    k1: u64,
    k2: u64,
}

impl Seed {
    /// A fresh seed, from the standard library's random keys.
    pub(crate) fn new() -> Self {
        let state = RandomState::new();
        let word = |i: u64| {
            let mut h = state.build_hasher();
            h.write_u64(i);
            h.finish()
        };
        Seed {
            k0: word(0),
            // Odd: multiplying by it loses no bits.
            k1: word(1) | 1,
            k2: word(2) | 1,
        }
    }

    /// The hash of `bytes` as the maps see a `[u8]` or `Bytes` key.
    #[inline]
    pub(crate) fn hash(&self, bytes: &[u8]) -> u64 {
        self.hash_one(bytes)
    }
}

impl BuildHasher for Seed {
    type Hasher = SeededHasher;

    #[inline]
    fn build_hasher(&self) -> SeededHasher {
        SeededHasher {
            acc: self.k0,
            seed: *self,
        }
    }
}

/// The hasher of a [`Seed`].
#[derive(Debug, Clone)]
pub(crate) struct SeededHasher {
    acc: u64,
    seed: Seed,
}

impl Hasher for SeededHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let k1 = self.seed.k1;
        let k2 = self.seed.k2;
        let mut acc = self.acc;
        let mut rest = bytes;
        while rest.len() > 16 {
            acc = fold(read8(rest, 0) ^ acc, read8(rest, 8) ^ k1);
            rest = &rest[16..];
        }
        // The last 1 to 16 bytes, read as two (possibly overlapping)
        // words; the length, mixed in as well, tells overlaps apart.
        let n = rest.len();
        let (a, b) = if n >= 8 {
            (read8(rest, 0), read8(rest, n - 8))
        } else if n >= 4 {
            (read4(rest, 0), read4(rest, n - 4))
        } else if n > 0 {
            (
                rest[0] as u64,
                ((rest[n / 2] as u64) << 8) | rest[n - 1] as u64,
            )
        } else {
            (0, 0)
        };
        acc = fold(a ^ acc ^ (bytes.len() as u64), b ^ k2);
        self.acc = acc;
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.write_u64(n as u64)
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64)
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.acc = fold(self.acc ^ n, self.seed.k1);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64)
    }

    #[inline]
    fn finish(&self) -> u64 {
        // One more round so that the last word also reaches the top bits
        // (which hashbrown keeps as each slot's tag).
        fold(self.acc, self.seed.k2 ^ self.seed.k0)
    }
}

/// For maps keyed by a hash already computed with a [`Seed`]: passes it
/// through.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Prehashed;

impl BuildHasher for Prehashed {
    type Hasher = PassThrough;

    #[inline]
    fn build_hasher(&self) -> PassThrough {
        PassThrough(0)
    }
}

/// The hasher of [`Prehashed`] maps (keys are `u64` hashes).
#[derive(Debug, Clone, Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        // Not reached for `u64` keys; folded in all the same.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ *b as u64;
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn equal_bytes_hash_alike_and_lengths_tell_overlaps_apart() {
        let s = Seed::new();
        assert_eq!(s.hash(b"GET k"), s.hash(&b"GET k"[..]));
        assert_eq!(
            s.hash(b"GET k"),
            s.hash_one(bytes::Bytes::from_static(b"GET k"))
        );
        // Every prefix of a long string hashes differently (the tails
        // overlap for some of them).
        let long = b"*2\r\n$3\r\nGET\r\n$12\r\nbench:kw:63\r\n0123456789abcdef";
        let all: HashSet<u64> = (0..=long.len()).map(|n| s.hash(&long[..n])).collect();
        assert_eq!(all.len(), long.len() + 1);
        // One bit of difference anywhere changes the hash.
        let mut flipped = HashSet::new();
        for i in 0..long.len() {
            for bit in 0..8 {
                let mut v = long.to_vec();
                v[i] ^= 1 << bit;
                flipped.insert(s.hash(&v));
            }
        }
        assert_eq!(flipped.len(), long.len() * 8);
        assert!(!flipped.contains(&s.hash(long)));
    }

    #[test]
    fn each_store_has_its_own_seed() {
        let (a, b) = (Seed::new(), Seed::new());
        assert_ne!(a.hash(b"k"), b.hash(b"k"));
    }

    #[test]
    fn similar_keys_spread_over_buckets() {
        // 4096 keys differing in a counter, into 256 buckets by the low
        // bits and by the top 7 bits: no bucket holds far more than its
        // share (16 and 32 on average).
        let s = Seed::new();
        let mut low = [0u32; 256];
        let mut top = [0u32; 128];
        for i in 0..4096 {
            let h = s.hash(format!("user:{i}").as_bytes());
            low[(h & 255) as usize] += 1;
            top[(h >> 57) as usize] += 1;
        }
        assert!(low.iter().all(|&n| n < 48), "{low:?}");
        assert!(top.iter().all(|&n| n < 80), "{top:?}");
    }
}
