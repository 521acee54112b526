//! What a cluster error reply means for the request that got it.

use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind};
use crate::retry::RetryPolicy;

/// A node address as a cluster reply gives it (`127.0.0.1:7000`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeAddr {
    /// Host name or IP address.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl NodeAddr {
    /// Reports a `MOVED` or `ASK` to `slot` at this node to `observer`
    /// ([`Event::Redirected`](crate::events::Event::Redirected)).
    pub(crate) fn report_redirect(
        &self,
        observer: &crate::events::Observer,
        kind: crate::events::RedirectKind,
        slot: u16,
    ) {
        observer.emit(crate::events::Event::Redirected {
            kind,
            slot,
            to: self.to_string(),
        });
    }

    /// Parses `host:port` (the host may itself hold colons: an IPv6
    /// address; the port is after the last one).
    pub fn parse(text: &str) -> Option<NodeAddr> {
        let (host, port) = text.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Some(NodeAddr {
            host: host.to_string(),
            port: port.parse().ok()?,
        })
    }
}

impl std::fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// What to do after a cluster error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// `MOVED slot host:port`: the slot lives elsewhere for good; update the
    /// slot map and send the request there.
    Moved {
        /// The slot.
        slot: u16,
        /// Its owner.
        to: NodeAddr,
    },
    /// `ASK slot host:port`: the slot is being migrated and this key is
    /// already at the target; send `ASKING` then the request there, once,
    /// without changing the map.
    Ask {
        /// The slot.
        slot: u16,
        /// Where to ask.
        to: NodeAddr,
    },
    /// `TRYAGAIN`: keys of a multi-key request are split by a migration in
    /// progress; retry after a short wait.
    TryAgain,
    /// `CLUSTERDOWN`: the cluster cannot serve the slot right now; wait,
    /// refresh the topology, retry within the configured bound.
    ClusterDown,
}

impl Redirect {
    /// The redirect an error means, if it is one of the cluster's.
    pub fn from_error(e: &Error) -> Option<Redirect> {
        // The error's own classification (shared with the retry policy and
        // users), then the address for the two that carry one.
        if e.is_try_again() {
            return Some(Redirect::TryAgain);
        }
        if e.is_cluster_down() {
            return Some(Redirect::ClusterDown);
        }
        if !(e.is_moved() || e.is_ask()) {
            return None;
        }
        let ErrorKind::Server { code, message } = e.kind() else {
            return None;
        };
        Self::parse(code, message)
    }

    /// The redirect an error reply's code and message mean.
    pub fn parse(code: &str, message: &str) -> Option<Redirect> {
        let mut words = message.split_ascii_whitespace().skip(1);
        match code {
            "MOVED" | "ASK" => {
                let slot = words.next()?.parse().ok()?;
                let to = NodeAddr::parse(words.next()?)?;
                Some(if code == "MOVED" {
                    Redirect::Moved { slot, to }
                } else {
                    Redirect::Ask { slot, to }
                })
            }
            "TRYAGAIN" => Some(Redirect::TryAgain),
            "CLUSTERDOWN" => Some(Redirect::ClusterDown),
            _ => None,
        }
    }
}

/// What a cluster client does next with a request that failed (see
/// [`Attempts::after`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Next {
    /// `MOVED`: record the move and send the request to `to`.
    Moved {
        /// The slot.
        slot: u16,
        /// Its owner now.
        to: NodeAddr,
    },
    /// `ASK`: send `ASKING` and the request to `to`, once.
    Ask(NodeAddr),
    /// `TRYAGAIN` or `CLUSTERDOWN`: wait, then send it to the slot's owner
    /// again (reading the topology first after `CLUSTERDOWN`).
    Wait {
        /// How long.
        delay: Duration,
        /// Whether the topology is read again first.
        refresh: bool,
    },
    /// The retry policy allows sending it again (it was never sent, the
    /// server refused it without running it, or its connection dropped and
    /// it is safe to repeat): wait, read the topology again (its node may
    /// be gone), then send it to the slot's owner.
    Again(Duration),
    /// The error is the caller's.
    Fail,
}

/// After a read of `slot` that went to the cache's tracked connection
/// failed with `e`: reports a `MOVED` to `node`'s observer and hands it
/// to `moved` (which records it), and says whether the read runs again
/// the ordinary way. It does after any redirect, after a `replica` that
/// failed, after nothing was sent, and after a failure the retry policy
/// would resend (a read that is `safe` to repeat).
pub(super) fn cached_read_runs_again(
    e: &Error,
    replica: bool,
    safe: bool,
    node: &crate::connection::ConnectionConfig,
    moved: impl FnOnce(u16, &NodeAddr),
) -> bool {
    let redirect = Redirect::from_error(e);
    if let Some(Redirect::Moved { slot, to }) = &redirect {
        to.report_redirect(&node.observer, crate::events::RedirectKind::Moved, *slot);
        moved(*slot, to);
    }
    redirect.is_some()
        || replica
        || e.is_unsent()
        || (!e.is_server_error() && node.retry.may_resend(e, safe))
}

/// The bounds of one request's redirects and retries: `MOVED`, `ASK`,
/// `TRYAGAIN` and `CLUSTERDOWN` within the cluster's `max_redirects` (the
/// last two after a wait from `retry_delay`, doubled each time, at most
/// 1 s); everything else by the client's [`RetryPolicy`], as on one server
/// (same predicates: [`RetryPolicy::next_wait`]). The async and blocking
/// cluster clients both ask it what to do, so they behave alike.
///
/// One case stays outside the policy: a slot's primary that cannot be
/// reached at all (nothing was sent) while no other node serves the slot
/// is an error at once, not a retry after a wait; the clients read the
/// topology first and follow a new owner. Waiting there would hold every
/// caller that touches the dead shard, until the work for the healthy
/// shards stalls behind it.
#[derive(Debug)]
pub(super) struct Attempts {
    policy: RetryPolicy,
    /// Whether sending the request twice does no harm (`readonly`).
    safe: bool,
    max_redirects: usize,
    redirects: usize,
    delay: Duration,
    /// Attempts under the retry policy so far (the first included).
    attempt: u32,
    started: Instant,
}

impl Attempts {
    /// The bounds for a request that is `safe` to repeat or not.
    pub(super) fn new(
        policy: RetryPolicy,
        safe: bool,
        max_redirects: usize,
        retry_delay: Duration,
    ) -> Attempts {
        Attempts {
            policy,
            safe,
            max_redirects,
            redirects: 0,
            delay: retry_delay,
            attempt: 1,
            started: Instant::now(),
        }
    }

    /// Whether another redirect is allowed (counting this one).
    pub(super) fn redirect(&mut self) -> bool {
        self.redirects += 1;
        self.redirects <= self.max_redirects
    }

    /// What to do after the request failed with `e`.
    pub(super) fn after(&mut self, e: &Error) -> Next {
        match Redirect::from_error(e) {
            Some(r) => {
                if !self.redirect() {
                    return Next::Fail;
                }
                match r {
                    Redirect::Moved { slot, to } => Next::Moved { slot, to },
                    Redirect::Ask { to, .. } => Next::Ask(to),
                    Redirect::TryAgain | Redirect::ClusterDown => {
                        let delay = self.delay;
                        self.delay = (self.delay * 2).min(Duration::from_secs(1));
                        Next::Wait {
                            delay,
                            refresh: r == Redirect::ClusterDown,
                        }
                    }
                }
            }
            None => match self
                .policy
                .next_wait(e, self.safe, self.attempt, self.started)
            {
                Some(wait) => {
                    self.attempt += 1;
                    Next::Again(wait)
                }
                None => Next::Fail,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_redirect() {
        let e = Error::from_server_reply(b"MOVED 3999 127.0.0.1:6381");
        assert_eq!(
            Redirect::from_error(&e),
            Some(Redirect::Moved {
                slot: 3999,
                to: NodeAddr {
                    host: "127.0.0.1".into(),
                    port: 6381
                }
            })
        );
        let e = Error::from_server_reply(b"ASK 12182 [::1]:7002");
        assert_eq!(
            Redirect::from_error(&e),
            Some(Redirect::Ask {
                slot: 12182,
                to: NodeAddr {
                    host: "::1".into(),
                    port: 7002
                }
            })
        );
        let e =
            Error::from_server_reply(b"TRYAGAIN Multiple keys request during rehashing of slot");
        assert_eq!(Redirect::from_error(&e), Some(Redirect::TryAgain));
        let e = Error::from_server_reply(b"CLUSTERDOWN The cluster is down");
        assert_eq!(Redirect::from_error(&e), Some(Redirect::ClusterDown));
        let e = Error::from_server_reply(b"ERR unknown command");
        assert_eq!(Redirect::from_error(&e), None);
        let e = Error::from_server_reply(b"MOVED garbage");
        assert_eq!(Redirect::from_error(&e), None);
        assert_eq!(
            NodeAddr::parse("[::1]:7002").unwrap().to_string(),
            "[::1]:7002"
        );
    }

    #[test]
    fn attempts_follow_the_cluster_bounds_and_the_retry_policy() {
        let moved = Error::from_server_reply(b"MOVED 1 127.0.0.1:7001");
        let mut a = Attempts::new(RetryPolicy::default(), false, 2, Duration::from_millis(10));
        assert!(matches!(a.after(&moved), Next::Moved { slot: 1, .. }));
        assert_eq!(
            a.after(&Error::from_server_reply(b"TRYAGAIN x")),
            Next::Wait {
                delay: Duration::from_millis(10),
                refresh: false
            }
        );
        // The third redirect is one too many.
        assert_eq!(a.after(&moved), Next::Fail);
        let down = Error::from_server_reply(b"CLUSTERDOWN The cluster is down");
        let mut a = Attempts::new(RetryPolicy::default(), false, 5, Duration::from_millis(10));
        assert_eq!(
            a.after(&down),
            Next::Wait {
                delay: Duration::from_millis(10),
                refresh: true
            }
        );
        assert_eq!(
            a.after(&down),
            Next::Wait {
                delay: Duration::from_millis(20),
                refresh: true
            }
        );
        // A dropped connection: only what is safe to repeat, within the
        // policy's attempts (3 by default: two retries).
        let dropped = Error::new(ErrorKind::ConnectionClosed, "closed");
        assert_eq!(a.after(&dropped), Next::Fail);
        let mut a = Attempts::new(RetryPolicy::default(), true, 5, Duration::from_millis(10));
        assert!(matches!(a.after(&dropped), Next::Again(_)));
        assert!(matches!(a.after(&dropped), Next::Again(_)));
        assert_eq!(a.after(&dropped), Next::Fail);
        // Never sent, or refused without running (READONLY: a demoted
        // primary): again, even for a write.
        let mut a = Attempts::new(RetryPolicy::default(), false, 5, Duration::from_millis(10));
        assert!(matches!(
            a.after(&dropped.duplicate().unsent()),
            Next::Again(_)
        ));
        let readonly =
            Error::from_server_reply(b"READONLY You can't write against a read only replica.");
        assert!(matches!(a.after(&readonly), Next::Again(_)));
        // Retries off: no second try.
        let mut a = Attempts::new(RetryPolicy::NEVER, true, 5, Duration::from_millis(10));
        assert_eq!(a.after(&dropped), Next::Fail);
        assert_eq!(a.after(&Error::from_server_reply(b"ERR nope")), Next::Fail);
    }
}
