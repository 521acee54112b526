//! What a cluster error reply means for the request that got it.

use crate::error::{Error, ErrorKind};

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
}
