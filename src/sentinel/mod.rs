//! Redis Sentinel: finding the master (and the replicas) of a monitored
//! group, and following it through failovers.
//!
//! Sentinel is a way of finding the address, not a different client. A
//! [`Sentinel`] hands out ordinary [`Client`]s and
//! [`blocking::Client`](crate::blocking::Client)s (every generated command
//! method, pipelines, transactions, pub/sub) whose connections ask it where
//! to connect each time they open or reopen:
//!
//! ```no_run
//! # async fn demo() -> respec::Result<()> {
//! use respec::prelude::*;
//!
//! let sentinel = respec::sentinel::Sentinel::open(
//!     "redis+sentinel://:datapw@10.0.0.1:26379,10.0.0.2:26379/mymaster/0?sentinel_password=spw",
//! )?;
//! let master = sentinel.master(); // writes; follows failovers
//! let replica = sentinel.replica(); // reads; round-robin over the replicas
//! master.set("k", "v").await?;
//! let v = replica.get("k").await?;
//! // Or in one step: a Client for the master.
//! let client = respec::Client::open("redis+sentinel://10.0.0.1:26379/mymaster")?;
//! # Ok(()) }
//! ```
//!
//! # Discovery
//!
//! A master connection asks the sentinels, in order, for
//! `SENTINEL GET-MASTER-ADDR-BY-NAME <name>`; the first that answers is
//! moved to the front of the list, so the next discovery asks it first.
//! After connecting, the handshake sends `ROLE` in the same write (no extra
//! round trip): a server that is not a master (a demoted old master the
//! sentinels still name for a moment) is refused, and discovery runs again,
//! at most three rounds per connection attempt; then the error says which
//! servers were refused and why.
//!
//! A replica connection asks for `SENTINEL REPLICAS <name>`, leaves out
//! those flagged `s_down`, `o_down` or `disconnected`, and takes them
//! round-robin (each new connection the next one); `ROLE` must say
//! `slave`. When no replica can be reached it falls back to the master.
//!
//! # Failover
//!
//! The client follows a new master:
//!
//! - **through the sentinels' messages.** On first use, the client
//!   subscribes on every sentinel of its list (one thread per sentinel,
//!   for the async client too: a runtime kept busy by the application
//!   does not delay it; a sentinel that dies is subscribed again every
//!   250 ms until it is back). On `+switch-master`
//!   for its master name, and already on `+failover-state-wait-promotion`
//!   (which the sentinel leading a failover publishes as soon as it has
//!   told the chosen replica `REPLICAOF NO ONE`), every connection to the
//!   old master counts as closed: no new request goes to it, and the next
//!   one connects to the new address, trusted only once `ROLE` says
//!   `master` (the promoted replica is asked again every 5 ms for up to
//!   2 s). Requests already sent to the old master finish there.
//! - **on connection loss.** A reconnect asks the sentinels again.
//! - **on `READONLY` errors.** A master connection that gets one (its
//!   server was demoted) counts as closed, and so do the other connections
//!   to that server; the next request runs discovery.
//!
//! A request in flight when its connection drops fails with an error
//! ([`Error::is_connection_dropped`](crate::Error::is_connection_dropped))
//! unless the retry policy resends it ([`crate::retry`]): by default only a
//! command the spec flags `readonly`, never a write, since a write may have
//! been applied. A write refused with `READONLY` by a demoted master ran
//! nowhere, and is resent (to the new master once discovery ran).
//!
//! # Authentication
//!
//! The sentinels and the data nodes have separate credentials:
//! [`SentinelConfig::sentinel_username`] and
//! [`SentinelConfig::sentinel_password`] for the sentinels, the
//! [`ConnectionConfig`]'s own for the data nodes.
//!
//! # TLS
//!
//! [`SentinelConfig::sentinel_tls`] is the TLS to the sentinels, the
//! `tls` of [`SentinelConfig::node`] that to the data nodes; a
//! `rediss+sentinel://` URL sets both from its `ssl_*` options (a CA
//! file, a client certificate and key for servers with
//! `tls-auth-clients yes`). The addresses the sentinels give are checked
//! against the data nodes' certificates as the host they name (an IP
//! address, usually), unless `ssl_server_name` says otherwise.
//!
//! ```
//! use respec::connection::{Addr, TlsConfig};
//! use respec::sentinel::{Sentinel, SentinelConfig};
//!
//! let tls = TlsConfig {
//!     ca_cert: Some("/etc/redis/ca.pem".into()),
//!     client_cert: Some("/etc/redis/client.pem".into()),
//!     client_key: Some("/etc/redis/client.key".into()),
//!     ..TlsConfig::default()
//! };
//! let mut cfg = SentinelConfig::new(
//!     "mymaster",
//!     [Addr::Tcp { host: "10.0.0.1".into(), port: 26379 }],
//! );
//! cfg.sentinel_tls = Some(tls.clone()); // to the sentinels
//! cfg.node.tls = Some(tls); // to the master and the replicas
//! let master = Sentinel::new(cfg).master_builder().build();
//! ```
//!
//! # URLs
//!
//! ```text
//! redis+sentinel://[[user]:password@]host[:port][,host[:port]]...[/service_name[/db]][?option=value[&...]][#insecure]
//! rediss+sentinel://...     TLS to the sentinels and to the data nodes
//! ```
//!
//! (`valkey+sentinel` and `valkeys+sentinel` are the same.) The sentinel
//! port defaults to 26379; an IPv6 host is written in brackets. The user
//! and password are the data nodes' credentials. Options:
//!
//! - `sentinel_username`, `sentinel_password`: the sentinels' credentials;
//! - `sentinel_timeout` (seconds, fractions allowed; default 1): the bound
//!   on connecting to a sentinel and on each of its replies;
//! - `service_name` or `master_name`: the master name, instead of the path;
//! - `client_type` or `role` (`master`, the default, or `slave`/`replica`):
//!   which servers [`Client::open`] and [`Sentinel::config`] reach;
//! - every option of `redis://` URLs
//!   ([`ConnectionConfig::from_url`]: `db`, `protocol`, `client_name`,
//!   `socket_timeout`, `socket_connect_timeout`, the `ssl_*` ones, ...),
//!   which apply to the data nodes (with `rediss+sentinel`, the `ssl_*`
//!   ones to the sentinels too).
//!
//! Unknown options are an error, as in `redis://` URLs.
//!
//! # Defaults
//!
//! Sentinel timeout 1 s; following the sentinels' messages on; the data
//! nodes' settings those of a [`ConnectionConfig`] (response timeout 30 s,
//! connect timeout 10 s, reconnect backoff 25 ms doubling up to 2 s).

mod locator;
mod url;
mod watch;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) use locator::{Follow, Locator};
pub(crate) use url::is_sentinel_url;

use crate::client::{Client, ClientBuilder};
use crate::connection::{Addr, ConnectionConfig, TlsConfig};
use crate::error::Result;

/// The port sentinels listen on unless told otherwise.
pub const DEFAULT_SENTINEL_PORT: u16 = 26379;

/// The default [`SentinelConfig::sentinel_timeout`].
pub const DEFAULT_SENTINEL_TIMEOUT: Duration = Duration::from_secs(1);

/// Which servers of the group a connection goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// The master (the default): reads and writes.
    #[default]
    Master,
    /// A replica, round-robin, falling back to the master when none can
    /// be reached: reads that may lag behind the master.
    Replica,
}

impl Role {
    /// The word `ROLE` (as [`ServerInfo::role`](crate::connection::ServerInfo::role)
    /// keeps it) answers for this role.
    fn word(self) -> &'static str {
        match self {
            Role::Master => "master",
            Role::Replica => "replica",
        }
    }
}

/// Everything needed to reach a group through its sentinels.
///
/// ```
/// use respec::connection::Addr;
/// use respec::sentinel::SentinelConfig;
///
/// let mut cfg = SentinelConfig::new(
///     "mymaster",
///     [Addr::Tcp { host: "127.0.0.1".into(), port: 26379 }],
/// );
/// cfg.sentinel_password = Some("sentinel-secret".into());
/// cfg.node.password = Some("data-secret".into());
/// let sentinel = respec::sentinel::Sentinel::new(cfg);
/// assert_eq!(sentinel.service_name(), "mymaster");
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct SentinelConfig {
    /// The master name the sentinels monitor (`sentinel monitor <name> ...`).
    pub service_name: String,
    /// The sentinels to ask, in order.
    pub sentinels: Vec<Addr>,
    /// The sentinels' ACL user (`None`: the `default` user).
    pub sentinel_username: Option<String>,
    /// The sentinels' password (`requirepass` of the sentinels), separate
    /// from the data nodes' ([`ConnectionConfig::password`] of `node`).
    pub sentinel_password: Option<String>,
    /// TLS to the sentinels (`None`: plain TCP).
    pub sentinel_tls: Option<TlsConfig>,
    /// Bound on connecting to a sentinel and on each of its replies
    /// (default [`DEFAULT_SENTINEL_TIMEOUT`], 1 s).
    pub sentinel_timeout: Duration,
    /// Which servers [`Sentinel::config`] (and so [`Client::open`] with a
    /// Sentinel URL) reaches (default [`Role::Master`]).
    pub role: Role,
    /// Subscribe to the sentinels' `+switch-master` and
    /// `+failover-state-wait-promotion` messages and switch as soon as
    /// they come (default `true`). Without it, failovers are followed on
    /// connection loss and `READONLY` errors only.
    pub follow_events: bool,
    /// The data nodes' settings (credentials, database, protocol,
    /// timeouts, TLS); its `addr` is not used.
    pub node: ConnectionConfig,
}

impl std::fmt::Debug for SentinelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentinelConfig")
            .field("service_name", &self.service_name)
            .field("sentinels", &self.sentinels)
            .field("sentinel_username", &self.sentinel_username)
            .field(
                "sentinel_password",
                &self.sentinel_password.as_ref().map(|_| "<redacted>"),
            )
            .field("sentinel_tls", &self.sentinel_tls)
            .field("sentinel_timeout", &self.sentinel_timeout)
            .field("role", &self.role)
            .field("follow_events", &self.follow_events)
            .field("node", &self.node)
            .finish()
    }
}

impl SentinelConfig {
    /// The group `service_name`, found through `sentinels`, with default
    /// settings.
    pub fn new(service_name: impl Into<String>, sentinels: impl IntoIterator<Item = Addr>) -> Self {
        SentinelConfig {
            service_name: service_name.into(),
            sentinels: sentinels.into_iter().collect(),
            sentinel_username: None,
            sentinel_password: None,
            sentinel_tls: None,
            sentinel_timeout: DEFAULT_SENTINEL_TIMEOUT,
            role: Role::Master,
            follow_events: true,
            node: ConnectionConfig::default(),
        }
    }

    /// Parses a `redis+sentinel://` URL (grammar in the [module
    /// documentation](self)).
    ///
    /// ```
    /// use respec::sentinel::{Role, SentinelConfig};
    ///
    /// let cfg = SentinelConfig::from_url(
    ///     "redis+sentinel://:pw@s1:26380,s2/mymaster/2?sentinel_password=spw&client_type=replica",
    /// )?;
    /// assert_eq!(cfg.service_name, "mymaster");
    /// assert_eq!(cfg.sentinels.len(), 2);
    /// assert_eq!(cfg.sentinels[1].to_string(), "s2:26379");
    /// assert_eq!(cfg.node.db, 2);
    /// assert_eq!(cfg.node.password.as_deref(), Some("pw"));
    /// assert_eq!(cfg.sentinel_password.as_deref(), Some("spw"));
    /// assert_eq!(cfg.role, Role::Replica);
    /// # Ok::<(), respec::Error>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        url::parse(url)
    }
}

/// When a client moved to a new master.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Switch {
    /// The master it used before.
    pub from: Addr,
    /// The new master.
    pub to: Addr,
    /// When the sentinels' message that led to the switch arrived (`None`
    /// when the switch followed a lost connection or a `READONLY` error).
    pub announced_at: Option<Instant>,
    /// When the first connection to the new master opened, its `ROLE`
    /// checked: from then on, new requests go there.
    pub at: Instant,
}

/// A Sentinel-monitored group: hands out clients that find and follow its
/// master or its replicas (see the [module documentation](self)).
///
/// Cheap to clone; every client it hands out shares its sentinel list (in
/// the order that answered last) and its subscriptions to the sentinels.
#[derive(Clone, Debug)]
pub struct Sentinel {
    shared: Arc<locator::Shared>,
    node: ConnectionConfig,
    role: Role,
}

impl Sentinel {
    /// The group described by a `redis+sentinel://` URL. Connects nothing.
    pub fn open(url: &str) -> Result<Self> {
        Ok(Self::new(SentinelConfig::from_url(url)?))
    }

    /// The group described by `config`. Connects nothing.
    pub fn new(config: SentinelConfig) -> Self {
        let mut node = config.node.clone();
        node.locator = None;
        Sentinel {
            role: config.role,
            shared: locator::Shared::new(&config),
            node,
        }
    }

    /// The master name.
    pub fn service_name(&self) -> &str {
        self.shared.service()
    }

    /// The sentinels, the one that answered last first.
    pub fn sentinels(&self) -> Vec<Addr> {
        self.shared.sentinel_list()
    }

    fn config_for(&self, role: Role) -> ConnectionConfig {
        let mut cfg = self.node.clone();
        cfg.locator = Some(Locator::new(self.shared.clone(), role));
        cfg
    }

    /// Connection settings that reach the role the configuration asked for
    /// ([`SentinelConfig::role`]); usable anywhere a [`ConnectionConfig`]
    /// is (clients, pools, subscribers, single connections).
    pub fn config(&self) -> ConnectionConfig {
        self.config_for(self.role)
    }

    /// Connection settings that reach the master.
    pub fn master_config(&self) -> ConnectionConfig {
        self.config_for(Role::Master)
    }

    /// Connection settings that reach a replica (round-robin per
    /// connection, the master when no replica can be reached).
    pub fn replica_config(&self) -> ConnectionConfig {
        self.config_for(Role::Replica)
    }

    /// An async client of the master.
    pub fn master(&self) -> Client {
        Client::with_config(self.master_config())
    }

    /// An async client of a replica.
    pub fn replica(&self) -> Client {
        Client::with_config(self.replica_config())
    }

    /// A builder for an async client of the master (pool size, push
    /// capacity, ...).
    pub fn master_builder(&self) -> ClientBuilder {
        ClientBuilder::from_config(self.master_config())
    }

    /// A builder for an async client of a replica.
    pub fn replica_builder(&self) -> ClientBuilder {
        ClientBuilder::from_config(self.replica_config())
    }

    /// A blocking client of the master.
    pub fn blocking_master(&self) -> crate::blocking::Client {
        crate::blocking::Client::with_config(self.master_config())
    }

    /// A blocking client of a replica.
    pub fn blocking_replica(&self) -> crate::blocking::Client {
        crate::blocking::Client::with_config(self.replica_config())
    }

    /// Asks the sentinels where the master is now.
    pub async fn discover_master(&self) -> Result<Addr> {
        self.shared.discover_async().await
    }

    /// Asks the sentinels for the replicas that are up.
    pub async fn discover_replicas(&self) -> Result<Vec<Addr>> {
        self.shared.replicas_async().await
    }

    /// The last time the clients of this group moved to a new master.
    pub fn last_switch(&self) -> Option<Switch> {
        self.shared.last_switch()
    }
}
