//! When a failed command is sent again: the retry policy.
//!
//! One [`RetryPolicy`] serves the async and blocking clients and the
//! pub/sub subscribers. It is set per client
//! ([`ConnectionConfig::retry`](crate::connection::ConnectionConfig::retry),
//! [`ClientBuilder::retry`](crate::ClientBuilder::retry), the URL options
//! `retry_attempts` and `retry_writes`) and per call
//! ([`Client::with_retry`](crate::Client::with_retry),
//! [`blocking::Client::with_retry`](crate::blocking::Client::with_retry)).
//!
//! # What is sent again, by default
//!
//! Only what cannot be applied twice:
//!
//! - **Anything that was never sent** ([`Error::is_unsent`]): the
//!   connection could not be opened (refused, reset during the handshake,
//!   a connect timeout), or was found closed before the request went out.
//!   Reconnecting is always safe.
//! - **Anything the server refused without running it**
//!   ([`Error::is_transient_refusal`]): `LOADING`, `BUSY`, `MASTERDOWN`,
//!   `TRYAGAIN`, `CLUSTERDOWN`, `READONLY` (a write that reached a demoted
//!   master: after a Sentinel failover, the retry goes to the new one).
//! - **A command the spec flags `readonly`** (`GET`, `HGETALL`, `ZRANGE`,
//!   ...: the command value's [`spec`](crate::Command::spec)) whose
//!   connection dropped before the reply came
//!   ([`Error::is_connection_dropped`]).
//! - **A write that is idempotent by its arguments**, on the same
//!   condition: run twice in a row it leaves the same data and gives the
//!   same reply as run once, so nobody can tell. Which writes those are is
//!   one reviewed table, [`IDEMPOTENT_WRITES`], with the reason for each
//!   entry and for what is left out: `SET key value` (also with `EXAT`,
//!   `PXAT` or `KEEPTTL`; not with `NX`, `XX`, `GET`, `EX` or `PX`),
//!   `MSET`, `HMSET`, `LSET`, `SETRANGE`, and `EXPIREAT`/`PEXPIREAT`
//!   without options and with a time at least a minute ahead
//!   ([`is_idempotent_write`]). The specs cannot say this: they flag
//!   commands `write`, and their tips name nondeterministic output only.
//!
//! Never, unless asked: any other write whose connection dropped after it
//! was written. The server may have applied it, and sending it again could
//! apply it twice (`INCR`, `LPUSH`), or answer differently (`DEL` counts
//! 0 the second time, `SET ... NX` answers nil). Opt in with
//! [`RetryPolicy::with_writes`] for the commands you know to be safe in
//! your use, per call or per client. A reply
//! that timed out is not retried either (the server may be overloaded, or
//! still running the command) unless [`RetryPolicy::with_timeouts`].
//!
//! Blocking commands (`BLPOP`, `XREAD ... BLOCK`), pipelines and
//! transactions are never retried: their outcome after a dropped
//! connection cannot be told apart from a partial run.
//!
//! # Spacing and bounds
//!
//! The wait before retry `n` is a random time between zero and
//! `min(cap, base * 2^(n-1))` ("full jitter", so that many clients hit by
//! one failure do not retry in step). A command is tried at most
//! [`max_attempts`](RetryPolicy::max_attempts) times in all, and no retry
//! starts once [`max_elapsed`](RetryPolicy::max_elapsed) has passed since
//! the first attempt. Reconnects are spaced by the client's reconnect
//! backoff ([`crate::backoff`]) as well.
//!
//! Defaults ([`RetryPolicy::default`]): 3 attempts, base 50 ms, cap 1 s,
//! at most 10 s in all, no writes, no timeouts.
//!
//! When the retries end without success, the caller gets the last
//! attempt's error, or the first attempt's when the later ones could not
//! even reconnect (it says what happened to the command).
//!
//! ```
//! use std::time::Duration;
//! use respec::retry::RetryPolicy;
//!
//! let p = RetryPolicy::default();
//! assert_eq!(p.max_attempts, 3);
//! assert!(p.delay(1) <= Duration::from_millis(50));
//! assert!(p.delay(10) <= p.cap);
//! let writes_too = p.with_writes(true).with_max_attempts(5);
//! assert!(writes_too.writes);
//! assert_eq!(RetryPolicy::NEVER.max_attempts, 1);
//! ```

use std::time::{Duration, Instant};

use crate::cmd::Command;
use crate::error::Error;

/// How failed commands are retried (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The most attempts of one command, the first included (`1`: no
    /// retries). Default 3.
    pub max_attempts: u32,
    /// The longest wait before the first retry; each later one doubles it.
    /// Default 50 ms.
    pub base: Duration,
    /// The longest wait between two attempts. Default 1 s.
    pub cap: Duration,
    /// No retry starts once this much time has passed since the first
    /// attempt. Default 10 s.
    pub max_elapsed: Duration,
    /// Also resend commands that may have been applied (writes, and
    /// commands without a `readonly` flag, beyond the idempotent writes of
    /// [`IDEMPOTENT_WRITES`], which are resent anyway) after their
    /// connection dropped. Default `false`.
    pub writes: bool,
    /// Also resend a command whose reply timed out (on a new connection;
    /// the old one is retired). Default `false`.
    pub timeouts: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(50),
            cap: Duration::from_secs(1),
            max_elapsed: Duration::from_secs(10),
            writes: false,
            timeouts: false,
        }
    }
}

impl RetryPolicy {
    /// No retries at all: every failure goes to the caller at once, and
    /// subscribers do not reconnect.
    pub const NEVER: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        base: Duration::ZERO,
        cap: Duration::ZERO,
        max_elapsed: Duration::ZERO,
        writes: false,
        timeouts: false,
    };

    /// The same policy with `writes` set: commands that may have been
    /// applied are resent too after a dropped connection (for idempotent
    /// writes only).
    pub fn with_writes(mut self, on: bool) -> Self {
        self.writes = on;
        self
    }

    /// The same policy with `timeouts` set.
    pub fn with_timeouts(mut self, on: bool) -> Self {
        self.timeouts = on;
        self
    }

    /// The same policy with at most `n` attempts (at least 1).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The same policy with this base and cap of the waits.
    pub fn with_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.base = base;
        self.cap = cap;
        self
    }

    /// The same policy with this bound on the time of all attempts.
    pub fn with_max_elapsed(mut self, t: Duration) -> Self {
        self.max_elapsed = t;
        self
    }

    /// True when the policy retries anything at all.
    pub fn is_enabled(&self) -> bool {
        self.max_attempts > 1
    }

    /// The wait before retry number `retry` (1 for the first retry): a
    /// random time between zero and `min(cap, base * 2^(retry-1))`.
    pub fn delay(&self, retry: u32) -> Duration {
        if retry == 0 || self.base.is_zero() {
            return Duration::ZERO;
        }
        let ceiling = self
            .base
            .saturating_mul(1u32 << (retry - 1).min(20))
            .min(self.cap);
        let nanos = ceiling.as_nanos().min(u64::MAX as u128) as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(crate::backoff::random_u64() % (nanos + 1))
    }

    /// Whether a command that failed with `err` may be sent again, by what
    /// it is and by the error alone (no bound on attempts or time):
    /// `applied_safe` is true when sending it twice does no harm (the spec
    /// flags it `readonly`, or the caller opted in with
    /// [`writes`](Self::writes)).
    pub fn may_resend(&self, err: &Error, applied_safe: bool) -> bool {
        if err.is_unsent() {
            return err.is_connection_dropped() || err.is_timeout();
        }
        if err.is_transient_refusal() {
            return true;
        }
        let safe = applied_safe || self.writes;
        (err.is_connection_dropped() && safe) || (err.is_timeout() && self.timeouts && safe)
    }

    /// The wait before sending again a command that failed with `err` on
    /// attempt number `attempt` (1 for the first) begun `started`, or
    /// `None` when it must not be sent again.
    pub fn next_wait(
        &self,
        err: &Error,
        applied_safe: bool,
        attempt: u32,
        started: Instant,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts || !self.may_resend(err, applied_safe) {
            return None;
        }
        let wait = self.delay(attempt);
        if started.elapsed() + wait > self.max_elapsed {
            return None;
        }
        Some(wait)
    }
}

/// The error to report when retries end with `last`: the first attempt's
/// error when the later attempts never reached a server (they could not
/// reconnect), since it says what happened to the command; otherwise the
/// last one.
pub(crate) fn to_report(first: Option<Error>, last: Error) -> Error {
    match first {
        Some(first) if last.is_unsent() => first,
        _ => last,
    }
}

/// Whether `cmd` may be run twice with no harm: the spec flags it
/// `readonly`, or it is one of the writes that are idempotent by their
/// arguments ([`is_idempotent_write`]); and it is no blocking command,
/// which retries never resend.
pub fn is_safe_to_repeat<C: Command + ?Sized>(cmd: &C) -> bool {
    let Some(spec) = cmd.spec() else {
        return false;
    };
    if cmd.is_blocking() {
        return false;
    }
    if spec.has_flag("readonly") {
        return true;
    }
    match idempotent_rule(spec.name) {
        Some(rule) => with_args(cmd, |args| rule.allows(args)),
        None => false,
    }
}

/// Calls `f` with the command's arguments (the name first), reading its
/// encoding; large values stay where they are (not copied).
fn with_args<C: Command + ?Sized, R>(cmd: &C, f: impl FnOnce(&[&[u8]]) -> R) -> R {
    let mut out = bytes::BytesMut::with_capacity(64);
    let mut parts = Vec::new();
    cmd.encode_shared(&mut out, &mut parts);
    encoded_args(&out, &parts, f)
}

/// Calls `f` with the arguments (the name first) of the encoded command
/// `buf`, whose large values `parts` belong at their offsets.
fn encoded_args<R>(
    buf: &[u8],
    parts: &[(usize, bytes::Bytes)],
    f: impl FnOnce(&[&[u8]]) -> R,
) -> R {
    let mut args: Vec<&[u8]> = Vec::new();
    let mut parts = parts.iter().peekable();
    let mut i = buf
        .iter()
        .position(|&b| b == b'\n')
        .map_or(buf.len(), |n| n + 1);
    while i < buf.len() && buf[i] == b'$' {
        let Some(nl) = buf[i..].iter().position(|&b| b == b'\n').map(|n| n + i) else {
            break;
        };
        let Some(len) = std::str::from_utf8(&buf[i + 1..nl.saturating_sub(1).max(i + 1)])
            .ok()
            .and_then(|l| l.parse::<usize>().ok())
        else {
            break;
        };
        let start = nl + 1;
        match parts.peek() {
            // A large value, shared: its bytes belong here.
            Some((at, bytes)) if *at == start => {
                args.push(bytes);
                parts.next();
                i = start + 2;
            }
            _ => {
                if start + len > buf.len() {
                    break;
                }
                args.push(&buf[start..start + len]);
                i = start + len + 2;
            }
        }
    }
    f(&args)
}

/// Whether a command may be sent again, decided without encoding it: a
/// write idempotent by its arguments is decided from its encoding, and
/// only when a resend is considered ([`Repeat::allows_encoded`]), so that
/// sending a write costs nothing for the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Read-only in the spec.
    Yes,
    /// Never.
    No,
    /// A write that is idempotent when its arguments pass the rule.
    IfArgs(IdempotentIf),
}

impl Repeat {
    /// What [`is_safe_to_repeat`] would say of `cmd`, before looking at
    /// its arguments.
    pub(crate) fn of<C: Command + ?Sized>(cmd: &C) -> Repeat {
        let Some(spec) = cmd.spec() else {
            return Repeat::No;
        };
        if cmd.is_blocking() {
            return Repeat::No;
        }
        if spec.has_flag("readonly") {
            return Repeat::Yes;
        }
        match idempotent_rule(spec.name) {
            Some(rule) => Repeat::IfArgs(rule),
            None => Repeat::No,
        }
    }

    /// Whether the command encoded as `buf` (large values `parts` at their
    /// offsets) may be sent again.
    pub(crate) fn allows_encoded(self, buf: &[u8], parts: &[(usize, bytes::Bytes)]) -> bool {
        match self {
            Repeat::Yes => true,
            Repeat::No => false,
            Repeat::IfArgs(rule) => encoded_args(buf, parts, |args| rule.allows(args)),
        }
    }
}

/// Whether the write `cmd` is idempotent by its arguments: run twice in a
/// row, it leaves what running it once leaves and answers the same, so a
/// resend after a dropped connection cannot be told from one run. The
/// rule is [`IDEMPOTENT_WRITES`], a reviewed table (the command specs
/// carry no such fact: their tips say only `nondeterministic_output`).
pub fn is_idempotent_write<C: Command + ?Sized>(cmd: &C) -> bool {
    let Some(spec) = cmd.spec() else {
        return false;
    };
    match idempotent_rule(spec.name) {
        Some(rule) if !cmd.is_blocking() => with_args(cmd, |args| rule.allows(args)),
        _ => false,
    }
}

/// What a write's arguments must be for it to be idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdempotentIf {
    /// Whatever they are.
    Always,
    /// `SET key value` with no option but `EXAT`, `PXAT` or `KEEPTTL`.
    SetWithoutConditions,
    /// No option after the key and the time, and the time (seconds, or
    /// milliseconds with `true`) at least [`EXPIRY_MARGIN`] ahead of the
    /// client's clock.
    FutureTimeOnly {
        /// The time is in milliseconds.
        millis: bool,
    },
}

/// How far ahead of the client's clock an `EXPIREAT`/`PEXPIREAT` time
/// must be for the command to be resent: a time already past deletes the
/// key, and the resend would answer 0 where the first run answered 1.
/// The margin covers clocks that disagree.
pub const EXPIRY_MARGIN: std::time::Duration = std::time::Duration::from_secs(60);

/// The writes resent after a dropped connection without opting in, each
/// with the condition on its arguments and the reason. The rule for
/// entering this table: a second run, right after the first, must leave
/// the same data **and give the same reply** (the caller gets the reply of
/// the last run). So these are out, on purpose:
///
/// - counting writes (`DEL`, `UNLINK`, `HSET`, `SADD`, `SREM`, `ZADD`,
///   `ZREM`, `HDEL`, `PFADD`, `GEOADD`, `PERSIST`): the data ends the same,
///   but the resend answers 0 ("nothing added/removed") where the first
///   run answered how many, and code that branches on it (`DEL` of a
///   lock) would be misled;
/// - `SET` with `NX` or `XX` (the resend finds the key the first run
///   wrote and answers nil: a lock taken would look refused), with `GET`
///   (it returns the value just written), with `EX` or `PX` (a relative
///   expiry: the resend moves it later), `SETEX`, `PSETEX`, `EXPIRE`,
///   `PEXPIRE` (relative times), `SETBIT` (answers the previous bit);
/// - everything that adds, increments, moves or pops (`INCR`, `LPUSH`,
///   `XADD`, `RENAME`, `LMOVE`, ...), and every command not listed.
///
/// Opt in per call or per client ([`RetryPolicy::with_writes`]) to resend
/// those you know to be safe in your use.
pub const IDEMPOTENT_WRITES: &[(&str, IdempotentIf, &str)] = &[
    (
        "SET",
        IdempotentIf::SetWithoutConditions,
        "stores the same value again and answers OK again; EXAT, PXAT \
         (absolute times) and KEEPTTL set the same expiry",
    ),
    (
        "MSET",
        IdempotentIf::Always,
        "stores the same values again and answers OK again",
    ),
    (
        "HMSET",
        IdempotentIf::Always,
        "stores the same fields again and answers OK again (unlike HSET, \
         which counts new fields)",
    ),
    (
        "LSET",
        IdempotentIf::Always,
        "replaces the element at a fixed index of a list whose length it \
         does not change, so the resend writes the same place; answers OK",
    ),
    (
        "SETRANGE",
        IdempotentIf::Always,
        "writes the same bytes at the same offset and answers the same length",
    ),
    (
        "EXPIREAT",
        IdempotentIf::FutureTimeOnly { millis: false },
        "an absolute time: the resend sets the same expiry and answers 1 \
         again (not with NX, XX, GT or LT, which would see the expiry the \
         first run set)",
    ),
    (
        "PEXPIREAT",
        IdempotentIf::FutureTimeOnly { millis: true },
        "as EXPIREAT, in milliseconds",
    ),
];

fn idempotent_rule(name: &str) -> Option<IdempotentIf> {
    IDEMPOTENT_WRITES
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, rule, _)| *rule)
}

impl IdempotentIf {
    /// Whether the encoded arguments `args` (the name first) meet the rule.
    fn allows(self, args: &[&[u8]]) -> bool {
        match self {
            IdempotentIf::Always => true,
            IdempotentIf::SetWithoutConditions => {
                // SET key value [options]
                let mut rest = args.iter().skip(3);
                while let Some(opt) = rest.next() {
                    if opt.eq_ignore_ascii_case(b"KEEPTTL") {
                        continue;
                    }
                    if opt.eq_ignore_ascii_case(b"EXAT") || opt.eq_ignore_ascii_case(b"PXAT") {
                        if rest.next().is_none() {
                            return false;
                        }
                        continue;
                    }
                    return false;
                }
                args.len() >= 3
            }
            IdempotentIf::FutureTimeOnly { millis } => {
                // EXPIREAT key time
                if args.len() != 3 {
                    return false;
                }
                let Some(at) = std::str::from_utf8(args[2])
                    .ok()
                    .and_then(|t| t.parse::<i64>().ok())
                else {
                    return false;
                };
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    + EXPIRY_MARGIN;
                let now = if millis {
                    now.as_millis() as i64
                } else {
                    now.as_secs() as i64
                };
                at > now
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn dropped() -> Error {
        Error::new(
            ErrorKind::ConnectionClosed,
            "the server closed the connection",
        )
    }

    #[test]
    fn full_jitter_stays_under_the_ceiling() {
        let p = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_millis(700));
        assert_eq!(p.delay(0), Duration::ZERO);
        let mut below_half = 0;
        for _ in 0..200 {
            let d = p.delay(1);
            assert!(d <= Duration::from_millis(100), "{d:?}");
            if d < Duration::from_millis(50) {
                below_half += 1;
            }
            assert!(p.delay(3) <= Duration::from_millis(400));
            assert!(p.delay(30) <= Duration::from_millis(700));
        }
        // Full jitter reaches below half the ceiling (equal jitter would not).
        assert!(below_half > 0);
        assert_eq!(RetryPolicy::NEVER.delay(5), Duration::ZERO);
    }

    #[test]
    fn what_is_resent() {
        let p = RetryPolicy::default();
        // Dropped: only what is safe to repeat, unless writes are opted in.
        assert!(p.may_resend(&dropped(), true));
        assert!(!p.may_resend(&dropped(), false));
        assert!(p.with_writes(true).may_resend(&dropped(), false));
        // Never sent: always.
        assert!(p.may_resend(&dropped().unsent(), false));
        // Timeouts: only when asked.
        let t = Error::new(ErrorKind::Timeout, "no reply within 1s");
        assert!(!p.may_resend(&t, true));
        assert!(p.with_timeouts(true).may_resend(&t, true));
        assert!(!p.with_timeouts(true).may_resend(&t, false));
        // Refusals that ran nothing: always.
        for m in [
            "LOADING Redis is loading the dataset in memory",
            "BUSY Redis is busy running a script.",
            "MASTERDOWN Link with MASTER is down",
            "TRYAGAIN Multiple keys request during rehashing of slot",
            "CLUSTERDOWN The cluster is down",
            "READONLY You can't write against a read only replica.",
        ] {
            let e = Error::from_server_reply(m.as_bytes());
            assert!(e.is_transient_refusal(), "{m}");
            assert!(p.may_resend(&e, false), "{m}");
        }
        // Other errors: never.
        for m in [
            "WRONGTYPE Operation against a key",
            "MOVED 1 127.0.0.1:7000",
            "ERR syntax error",
        ] {
            assert!(
                !p.may_resend(&Error::from_server_reply(m.as_bytes()), true),
                "{m}"
            );
        }
        assert!(!p.may_resend(&Error::new(ErrorKind::Auth, "x"), true));
    }

    #[test]
    fn attempts_and_time_are_bounded() {
        let p = RetryPolicy::default();
        let now = Instant::now();
        assert!(p.next_wait(&dropped(), true, 1, now).is_some());
        assert!(p.next_wait(&dropped(), true, 2, now).is_some());
        assert!(p.next_wait(&dropped(), true, 3, now).is_none());
        let long_ago = now - Duration::from_secs(11);
        assert!(p.next_wait(&dropped(), true, 1, long_ago).is_none());
        assert!(RetryPolicy::NEVER
            .next_wait(&dropped().unsent(), true, 1, now)
            .is_none());
    }

    #[test]
    fn readonly_comes_from_the_spec() {
        assert!(is_safe_to_repeat(
            &crate::Cmd::from_args(["GET", "k"]).unwrap()
        ));
        assert!(!is_safe_to_repeat(
            &crate::Cmd::from_args(["INCR", "k"]).unwrap()
        ));
        assert!(!is_safe_to_repeat(
            &crate::Cmd::from_args(["FOO", "k"]).unwrap()
        ));
        assert!(!is_safe_to_repeat(
            &crate::Cmd::from_args(["BLPOP", "k", "1"]).unwrap()
        ));
    }

    #[test]
    fn idempotent_writes_by_their_arguments() {
        let safe = |args: &[&str]| is_safe_to_repeat(&crate::Cmd::from_args(args.iter()).unwrap());
        let soon = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600)
            .to_string();
        let soon_ms = format!("{soon}000");
        for yes in [
            &["SET", "k", "v"][..],
            &["set", "k", "v", "KEEPTTL"],
            &["SET", "k", "v", "exat", &soon],
            &["SET", "k", "v", "PXAT", &soon_ms],
            &["MSET", "a", "1", "b", "2"],
            &["HMSET", "h", "f", "v"],
            &["LSET", "l", "0", "v"],
            &["SETRANGE", "k", "3", "v"],
            &["EXPIREAT", "k", &soon],
            &["PEXPIREAT", "k", &soon_ms],
        ] {
            assert!(safe(yes), "{yes:?}");
        }
        for no in [
            &["SET", "k", "v", "NX"][..],
            &["SET", "k", "v", "XX"],
            &["SET", "k", "v", "GET"],
            &["SET", "k", "v", "EX", "10"],
            &["SET", "k", "v", "px", "10"],
            &["SET", "k", "v", "EXAT"],
            &["SET", "k"],
            &["INCR", "k"],
            &["DEL", "k"],
            &["HSET", "h", "f", "v"],
            &["SADD", "s", "m"],
            &["ZADD", "z", "1", "m"],
            &["LPUSH", "l", "v"],
            &["SETEX", "k", "10", "v"],
            &["EXPIRE", "k", "10"],
            &["EXPIREAT", "k", "1"],
            &["EXPIREAT", "k", &soon, "NX"],
            &["EXPIREAT", "k", "soon"],
            &["PEXPIREAT", "k", &soon],
            &["SETBIT", "k", "1", "1"],
        ] {
            assert!(!safe(no), "{no:?}");
        }
        // A large value is shared, not encoded inline: the options after
        // it are still read.
        let big = vec![b'x'; 1 << 20];
        let set = crate::commands::string::Set::new("k", big.clone());
        let mut out = bytes::BytesMut::new();
        let mut parts = Vec::new();
        set.encode_shared(&mut out, &mut parts);
        assert_eq!(parts.len(), 1, "the value is shared");
        assert!(is_safe_to_repeat(&set));
        let set_nx = crate::commands::string::Set::new("k", big).nx();
        assert!(!is_safe_to_repeat(&set_nx));
        // Every entry names a command of the specs, and says why.
        for (name, _, why) in IDEMPOTENT_WRITES {
            let spec = crate::commands::spec_of(name).unwrap_or_else(|| panic!("{name}"));
            assert!(spec.has_flag("write"), "{name}");
            assert!(why.len() > 20, "{name}");
        }
    }
}
