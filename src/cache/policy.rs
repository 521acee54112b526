//! Which commands a client-side cache answers: read from the spec, minus
//! one reviewed list.

use crate::commands::support::{BeginSearch, FindKeys};
use crate::commands::CommandSpec;

/// Commands the spec would let the cache answer (read-only, with keys) but
/// whose reply a cached copy would get wrong, each with the reason. This is
/// the only hand-kept list of the cache; everything else comes from the
/// spec (see [`is_cacheable`]).
///
/// Several are also left out by the spec's `nondeterministic_output` tip;
/// they are listed all the same, because the tip is not on every server's
/// spec of them (Valkey's `HTTL`, say) and the reason belongs in one place.
pub const EXCLUDED: &[(&str, &str)] = &[
    (
        "TTL",
        "the time left: it shrinks as the clock runs, with no write to the key",
    ),
    ("PTTL", "the time left, in ms: it shrinks as the clock runs"),
    (
        "HTTL",
        "the time left of hash fields: it shrinks as the clock runs",
    ),
    (
        "HPTTL",
        "the time left of hash fields, in ms: it shrinks as the clock runs",
    ),
    (
        "EXPIRETIME",
        "an expiry deadline: whether it still holds depends on the clock, and the key's \
         expiry reaches the cache only when the server gets round to deleting it",
    ),
    ("PEXPIRETIME", "an expiry deadline (ms), as EXPIRETIME"),
    (
        "HEXPIRETIME",
        "the expiry deadlines of hash fields, as EXPIRETIME",
    ),
    (
        "HPEXPIRETIME",
        "the expiry deadlines of hash fields (ms), as EXPIRETIME",
    ),
    (
        "RANDOMKEY",
        "random (and keyless, so never cached anyway: listed for the record)",
    ),
    (
        "SRANDMEMBER",
        "random members: each call may answer differently",
    ),
    (
        "HRANDFIELD",
        "random fields: each call may answer differently",
    ),
    (
        "ZRANDMEMBER",
        "random members: each call may answer differently",
    ),
    (
        "OBJECT IDLETIME",
        "the time since the last access: changes with the clock and with every read",
    ),
    (
        "OBJECT FREQ",
        "the access frequency: changes with every read and decays with time",
    ),
    (
        "OBJECT ENCODING",
        "the internal encoding: the server may change it without a write (defragmentation, \
         lazy conversions)",
    ),
    (
        "OBJECT REFCOUNT",
        "the sharing count of the value: changes with other keys' writes",
    ),
    (
        "MEMORY USAGE",
        "an estimate from samples and the allocator: changes without a write to the key",
    ),
    (
        "TOUCH",
        "its point is its effect (the keys' access time); answering from the cache skips it",
    ),
    (
        "SORT_RO",
        "BY and GET patterns read keys the key specs do not name, whose changes would not \
         invalidate the entry",
    ),
    (
        "EVAL_RO",
        "a script may read keys it does not declare and call TIME: its reply is not a \
         function of its declared keys",
    ),
    ("EVALSHA_RO", "a script, as EVAL_RO"),
    ("FCALL_RO", "a function, as EVAL_RO"),
    (
        "XINFO CONSUMERS",
        "idle and inactive times: they change with the clock",
    ),
    (
        "XPENDING",
        "idle times of pending entries: they change with the clock",
    ),
    (
        "DUMP",
        "a serialization whose bytes may change with the server's encoding choices without \
         a write (and is seldom read twice)",
    ),
    (
        "HSCAN",
        "a cursor: the same call continues where the last one stopped",
    ),
    ("SSCAN", "a cursor, as HSCAN"),
    ("ZSCAN", "a cursor, as HSCAN"),
];

/// Whether the cache may answer a command with this spec: the spec flags it
/// `readonly`, it has keys, the key specs find every one of them and flag
/// each access read-only (`RO`: not `PFCOUNT`, which may write), it
/// neither blocks nor has nondeterministic output (`blocking` flag,
/// `nondeterministic_output` tip), it is not a module command (modules
/// report key changes to tracking in their own ways), and it is not in
/// [`EXCLUDED`].
///
/// ```
/// use respec::cache::is_cacheable;
/// use respec::commands::spec_of;
///
/// assert!(is_cacheable(spec_of("GET").unwrap()));
/// assert!(is_cacheable(spec_of("HGETALL").unwrap()));
/// assert!(!is_cacheable(spec_of("TTL").unwrap()));    // time-dependent
/// assert!(!is_cacheable(spec_of("SET").unwrap()));    // a write
/// assert!(!is_cacheable(spec_of("DBSIZE").unwrap())); // no keys
/// ```
pub fn is_cacheable(spec: &CommandSpec) -> bool {
    spec.has_flag("readonly")
        && !spec.has_flag("blocking")
        && !spec.key_specs.is_empty()
        && spec.key_specs.iter().all(|k| {
            k.flags.contains(&"RO")
                && !matches!(k.begin, BeginSearch::Unknown)
                && !matches!(k.find, FindKeys::Unknown)
        })
        && !spec.tips.contains(&"nondeterministic_output")
        && !spec.is_module()
        && !EXCLUDED.iter().any(|(name, _)| *name == spec.name)
}

/// What the cache does with commands of one spec: the answers of
/// [`is_cacheable`] and [`writes_keys`], which compare flag names and
/// scan [`EXCLUDED`], remembered per thread for the last few specs seen
/// (a spec is a `'static`, so its address names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Class {
    /// [`is_cacheable`].
    pub cacheable: bool,
    /// [`writes_keys`].
    pub writes_keys: bool,
}

pub(crate) fn class(spec: &'static CommandSpec) -> Class {
    // 64 entries in pairs (a spec may sit in either of its pair), the
    // pair chosen by the address's Fibonacci hash.
    const WAYS: usize = 64;
    thread_local! {
        static SEEN: [std::cell::Cell<(usize, u8)>; WAYS] =
            const { [const { std::cell::Cell::new((0, 0)) }; WAYS] };
    }
    let at = spec as *const CommandSpec as usize;
    let way = ((at as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize & !1;
    let bits = SEEN.with(|seen| {
        for w in [way, way + 1] {
            let (addr, bits) = seen[w].get();
            if addr == at {
                return bits;
            }
        }
        let bits = is_cacheable(spec) as u8 | (writes_keys(spec) as u8) << 1;
        // The first of the pair moves to the second: the newest is first.
        seen[way + 1].set(seen[way].get());
        seen[way].set((at, bits));
        bits
    });
    Class {
        cacheable: bits & 1 != 0,
        writes_keys: bits & 2 != 0,
    }
}

/// Whether a command with this spec changes the keys it names, so that a
/// client sending it drops their cached entries at once (before the
/// server's invalidation comes back).
pub(crate) fn writes_keys(spec: &CommandSpec) -> bool {
    spec.has_flag("write")
        && !spec.key_specs.is_empty()
        && spec.key_specs.iter().all(|k| {
            !matches!(k.begin, BeginSearch::Unknown) && !matches!(k.find, FindKeys::Unknown)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{spec_of, ALL};

    #[test]
    fn every_excluded_name_is_a_command_the_specs_know() {
        for (name, reason) in EXCLUDED {
            assert!(spec_of(name).is_some(), "{name} is not in the specs");
            assert!(!reason.is_empty());
        }
    }

    #[test]
    fn the_remembered_class_is_the_computed_one() {
        // Twice over every spec: the first pass fills the memory, the
        // second reads it (and whatever collided is computed again).
        for _ in 0..2 {
            for spec in ALL {
                let c = class(spec);
                assert_eq!(c.cacheable, is_cacheable(spec), "{}", spec.name);
                assert_eq!(c.writes_keys, writes_keys(spec), "{}", spec.name);
            }
        }
    }

    #[test]
    fn the_cacheable_set_is_read_only_and_keyed() {
        let cacheable: Vec<&str> = ALL
            .iter()
            .filter(|s| is_cacheable(s))
            .map(|s| s.name)
            .collect();
        for name in [
            "GET",
            "GETRANGE",
            "MGET",
            "STRLEN",
            "EXISTS",
            "TYPE",
            "HGET",
            "HGETALL",
            "HMGET",
            "LRANGE",
            "LINDEX",
            "SMEMBERS",
            "SISMEMBER",
            "ZRANGE",
            "ZSCORE",
            "XRANGE",
            "BITCOUNT",
            "GEOPOS",
            "LCS",
        ] {
            assert!(cacheable.contains(&name), "{name} should be cacheable");
        }
        for name in [
            "SET",
            "INCR",
            "DEL",
            "TTL",
            "PTTL",
            "SRANDMEMBER",
            "RANDOMKEY",
            "OBJECT IDLETIME",
            "XREAD",
            "BLPOP",
            "SORT_RO",
            "EVAL_RO",
            "TOUCH",
            "DBSIZE",
            "SCAN",
            "PFCOUNT",
        ] {
            assert!(!cacheable.contains(&name), "{name} should not be cacheable");
        }
        for name in &cacheable {
            let spec = spec_of(name).unwrap();
            assert!(
                spec.has_flag("readonly") && !spec.has_flag("write"),
                "{name}"
            );
        }
    }

    #[test]
    fn writes_with_keys_are_known() {
        assert!(writes_keys(spec_of("SET").unwrap()));
        assert!(writes_keys(spec_of("DEL").unwrap()));
        assert!(!writes_keys(spec_of("GET").unwrap()));
        assert!(!writes_keys(spec_of("FLUSHALL").unwrap()));
    }
}
