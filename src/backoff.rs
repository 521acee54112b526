//! How long to wait before reconnecting: exponential backoff with jitter and
//! a cap, one policy for every client.
//!
//! The async and blocking clients, their pools and the subscribers all space
//! their connection attempts with a [`Backoff`] (set on
//! [`ConnectionConfig::reconnect`](crate::connection::ConnectionConfig::reconnect)).
//! The first attempt after a healthy connection is made at once; each
//! further attempt while connections keep failing waits longer, doubling up
//! to the cap, with a random part so that many clients do not reconnect in
//! step. A connection counts as healthy once it has lived for
//! [`Backoff::stable_after`]; one that breaks sooner (a server that accepts
//! and then drops every connection) counts as a failure like a refused one.
//!
//! ```
//! use std::time::Duration;
//! use respec::backoff::Backoff;
//!
//! let b = Backoff::default();
//! assert_eq!(b.delay(0), Duration::ZERO); // the first reconnect is immediate
//! assert!(b.delay(3) <= b.base * 8);
//! assert!(b.delay(50) <= b.cap);
//! ```

use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Exponential backoff with jitter and a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the second attempt; each later one doubles it.
    pub base: Duration,
    /// The longest wait between two attempts.
    pub cap: Duration,
    /// How long a connection must live to reset the count of failures.
    pub stable_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(25),
            cap: Duration::from_secs(2),
            stable_after: Duration::from_secs(1),
        }
    }
}

impl Backoff {
    /// No waiting at all between attempts.
    pub const NONE: Backoff = Backoff {
        base: Duration::ZERO,
        cap: Duration::ZERO,
        stable_after: Duration::ZERO,
    };

    /// The wait before attempt number `failures + 1`, after `failures`
    /// attempts in a row failed: zero for the first, then a random time
    /// between half and all of `base * 2^(failures - 1)`, never above `cap`.
    pub fn delay(&self, failures: u32) -> Duration {
        if failures == 0 || self.base.is_zero() {
            return Duration::ZERO;
        }
        let exp = self
            .base
            .saturating_mul(1u32 << (failures - 1).min(20))
            .min(self.cap);
        // "Equal jitter": half fixed, half random.
        let half = exp / 2;
        let nanos = half.as_nanos().min(u64::MAX as u128) as u64;
        let random = if nanos == 0 { 0 } else { random_u64() % nanos };
        half + Duration::from_nanos(random)
    }
}

pub(crate) fn random_u64() -> u64 {
    // Each RandomState is seeded afresh; good enough for jitter.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish()
}

/// Tracks failed connection attempts and when the next may be made; shared
/// by everything that connects on behalf of one client.
#[derive(Debug)]
pub(crate) struct Gate {
    policy: Backoff,
    state: Mutex<GateState>,
}

#[derive(Debug, Default)]
struct GateState {
    failures: u32,
    /// No attempt before this.
    not_before: Option<Instant>,
    /// When the connection now in use was opened.
    opened: Option<Instant>,
}

impl Gate {
    pub(crate) fn new(policy: Backoff) -> Self {
        Gate {
            policy,
            state: Mutex::new(GateState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long to wait before the next attempt (zero: go ahead), for a
    /// client with one connection at a time: call right before connecting
    /// again; the connection [`opened`](Self::opened) last is taken to have
    /// ended, and counts as a failure when it lived shorter than
    /// `stable_after`.
    pub(crate) fn wait_before_attempt(&self) -> Duration {
        let opened = self.lock().opened.take();
        if let Some(opened) = opened {
            self.ended(opened);
        }
        self.wait()
    }

    /// How long to wait before the next attempt, without taking any
    /// connection to have ended (for a pool of several).
    pub(crate) fn wait(&self) -> Duration {
        self.lock()
            .not_before
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or_default()
    }

    /// Records that a connection opened at `opened` broke: a failure when it
    /// lived shorter than `stable_after`, otherwise the count starts again.
    pub(crate) fn ended(&self, opened: Instant) {
        let mut s = self.lock();
        if opened.elapsed() >= self.policy.stable_after {
            s.failures = 0;
            s.not_before = None;
        } else {
            s.failures = s.failures.saturating_add(1);
            s.not_before = Some(Instant::now() + self.policy.delay(s.failures));
        }
    }

    /// Records a connection that served its user and is fine.
    pub(crate) fn healthy(&self) {
        let mut s = self.lock();
        s.failures = 0;
        s.not_before = None;
    }

    /// Records a connection that opened (its handshake passed).
    pub(crate) fn opened(&self) {
        let mut s = self.lock();
        s.opened = Some(Instant::now());
        s.not_before = None;
    }

    /// Records a failed attempt.
    pub(crate) fn failed(&self) {
        let mut s = self.lock();
        s.failures = s.failures.saturating_add(1);
        s.not_before = Some(Instant::now() + self.policy.delay(s.failures));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_jitter_up_to_the_cap() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
            stable_after: Duration::from_secs(1),
        };
        assert_eq!(b.delay(0), Duration::ZERO);
        for _ in 0..50 {
            let d1 = b.delay(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d3 = b.delay(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
            let d30 = b.delay(30);
            assert!(d30 >= Duration::from_millis(500) && d30 <= Duration::from_secs(1));
        }
        assert_eq!(Backoff::NONE.delay(7), Duration::ZERO);
    }

    #[test]
    fn short_lived_connections_count_as_failures() {
        let g = Gate::new(Backoff {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(1),
            stable_after: Duration::from_secs(60),
        });
        assert_eq!(g.wait_before_attempt(), Duration::ZERO);
        g.opened();
        // It broke at once: the next attempt waits.
        let w = g.wait_before_attempt();
        assert!(w >= Duration::from_millis(90), "{w:?}");
        g.failed();
        let w2 = g.wait_before_attempt();
        assert!(w2 >= Duration::from_millis(190), "{w2:?}");
    }
}
