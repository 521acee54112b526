//! Connection settings and the URL forms that produce them.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::resp::Limits;

/// Which RESP version the connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2: the only protocol of servers before 6.0.
    Resp2,
    /// RESP3 (the default): typed replies and out-of-band push messages.
    /// Servers without HELLO fall back to RESP2 automatically.
    #[default]
    Resp3,
}

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addr {
    /// A TCP host and port.
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
    },
    /// A Unix domain socket path.
    Unix(PathBuf),
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Addr::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Addr::Tcp { host, port } => write!(f, "{host}:{port}"),
            Addr::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// TLS settings for `rediss://` connections.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// PEM file of the certificate authorities to trust, alone. When
    /// unset, the bundled Web PKI roots are trusted (and the system's
    /// store beside them, with [`system_roots`](Self::system_roots)).
    pub ca_cert: Option<PathBuf>,
    /// Also trust the operating system's certificate store (read once per
    /// connection setup; `SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured),
    /// in addition to the bundled Web PKI roots, which stay trusted. A
    /// store with no usable certificate is an error. Needs the
    /// `native-roots` feature; without it, connecting fails with an error
    /// saying so. URL: `ssl_ca_certs=system`. Ignored when `ca_cert` is
    /// set (that file's authorities are then the only ones trusted).
    pub system_roots: bool,
    /// PEM file of the client certificate chain, for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// PEM file of the client private key, for mutual TLS.
    pub client_key: Option<PathBuf>,
    /// Accept any server certificate. Only for tests and trusted networks.
    pub insecure: bool,
    /// The name to verify the certificate against, when it differs from the host.
    pub server_name: Option<String>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("ca_cert", &self.ca_cert)
            .field("system_roots", &self.system_roots)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key.as_ref().map(|_| "<path>"))
            .field("insecure", &self.insecure)
            .field("server_name", &self.server_name)
            .finish()
    }
}

/// Everything needed to open and set up one connection.
///
/// Build it from a URL with [`ConnectionConfig::from_url`] or field by field.
///
/// ```
/// use respec::connection::{ConnectionConfig, Protocol};
///
/// let cfg = ConnectionConfig::from_url("redis://alice:s3cret@127.0.0.1:6380/2?protocol=2").unwrap();
/// assert_eq!(cfg.username.as_deref(), Some("alice"));
/// assert_eq!(cfg.password.as_deref(), Some("s3cret"));
/// assert_eq!(cfg.db, 2);
/// assert_eq!(cfg.protocol, Protocol::Resp2);
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct ConnectionConfig {
    /// The server's address.
    pub addr: Addr,
    /// TLS settings; `Some` for `rediss://`.
    pub tls: Option<TlsConfig>,
    /// ACL user name (`None`: the `default` user).
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Database index selected after connecting.
    pub db: i64,
    /// The protocol to ask for.
    pub protocol: Protocol,
    /// Name given to the connection with `CLIENT SETNAME`.
    pub client_name: Option<String>,
    /// Bound on establishing the connection and its handshake.
    pub connect_timeout: Option<Duration>,
    /// Bound on waiting for each reply (default 30 s; `None` waits
    /// forever). A blocking command (`BLPOP k 5`, `XREAD BLOCK 5000`) is
    /// given its own block time plus this bound; one that blocks forever
    /// (`BLPOP k 0`) has no bound. URL parameter `socket_timeout` (`0` or
    /// `none` turns it off).
    pub response_timeout: Option<Duration>,
    /// How reconnect attempts are spaced when connections keep failing.
    pub reconnect: crate::backoff::Backoff,
    /// Send `CLIENT SETINFO LIB-NAME/LIB-VER` during the handshake (ignored by
    /// servers that lack it).
    pub set_lib_info: bool,
    /// Parser limits for replies.
    pub limits: Limits,
    /// Async connections: when a request reaches an idle connection, wait
    /// one scheduler turn before writing, so that the requests of other
    /// ready tasks go out in the same write (default `true`). Fewer writes
    /// and more throughput when many tasks share a connection; `false`
    /// writes each request at once, for the lowest latency when the runtime
    /// has a long queue of ready tasks. URL parameter `batch_writes`.
    pub batch_writes: bool,
    /// Async shared connections: end every write of new requests with a
    /// marker (`PING` with a unique token) and hand replies out only once
    /// the marker's echo proves they line up with the requests (default
    /// `true`). A reply lost inside a live connection (a faulty proxy, a
    /// server bug) is then caught before any reply reaches the wrong
    /// caller, and the connection is closed instead. Costs one small
    /// command per write; with `false`, replies line-up is only proven
    /// after a response timeout. URL parameter `verify_replies`.
    pub verify_replies: bool,
    /// Where credentials come from when they change (rotated passwords,
    /// expiring tokens): asked on every connect in place of `username` and
    /// `password`, and live connections re-authenticate when it says the
    /// credentials changed (see [`crate::auth`]). Default `None`.
    pub credentials: Option<crate::auth::Provider>,
    /// Which failed commands are sent again, how often and how far apart
    /// (see [`crate::retry`]; default [`RetryPolicy::default`](crate::retry::RetryPolicy::default):
    /// 3 attempts, only what is safe to repeat). URL parameters
    /// `retry_attempts` (`1` turns retries off) and `retry_writes`.
    pub retry: crate::retry::RetryPolicy,
    /// Async connections (shared, pooled and subscribers): after this long
    /// with nothing sent or received, the connection sends a `PING`, and
    /// closes when no reply comes within the same time (or the response
    /// timeout, if shorter), so that a dead peer is found before the next
    /// request waits on it. The blocking client pings a connection idle
    /// this long before reusing it. Default
    /// [`DEFAULT_HEALTH_CHECK_INTERVAL`] (30 s); `None` turns it off. URL
    /// parameter `health_check_interval` (seconds; `0` or `none`: off).
    pub health_check_interval: Option<Duration>,
    /// TCP keepalive on the socket: the idle time before the system's first
    /// probe, and the time between probes. Default
    /// [`DEFAULT_TCP_KEEPALIVE`] (60 s); `None` leaves the system's
    /// setting (usually off). URL parameter `tcp_keepalive` (seconds; `0`
    /// or `none`: off).
    pub tcp_keepalive: Option<Duration>,
    /// Set for a `redis+sentinel://` configuration: where each connection
    /// (and reconnection) finds its server, instead of `addr` (see
    /// [`crate::sentinel`]).
    pub(crate) locator: Option<crate::sentinel::Locator>,
    /// The event listeners and the counters every connection made with
    /// this configuration reports to (see [`crate::events`]). Default: no
    /// listeners; [`on_event`](Self::on_event) adds one. Each client
    /// built from the configuration starts counters of its own.
    pub observer: crate::events::Observer,
}

impl std::fmt::Debug for ConnectionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionConfig")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("db", &self.db)
            .field("protocol", &self.protocol)
            .field("client_name", &self.client_name)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("reconnect", &self.reconnect)
            .field("set_lib_info", &self.set_lib_info)
            .field("limits", &self.limits)
            .field("batch_writes", &self.batch_writes)
            .field("verify_replies", &self.verify_replies)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("health_check_interval", &self.health_check_interval)
            .field("tcp_keepalive", &self.tcp_keepalive)
            .field("sentinel", &self.locator)
            .field("observer", &self.observer)
            .finish()
    }
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            addr: Addr::Tcp {
                host: "127.0.0.1".into(),
                port: 6379,
            },
            tls: None,
            username: None,
            password: None,
            db: 0,
            protocol: Protocol::Resp3,
            client_name: None,
            connect_timeout: Some(Duration::from_secs(10)),
            response_timeout: Some(DEFAULT_RESPONSE_TIMEOUT),
            reconnect: crate::backoff::Backoff::default(),
            set_lib_info: true,
            limits: Limits::default(),
            batch_writes: true,
            verify_replies: true,
            credentials: None,
            retry: crate::retry::RetryPolicy::default(),
            health_check_interval: Some(DEFAULT_HEALTH_CHECK_INTERVAL),
            tcp_keepalive: Some(DEFAULT_TCP_KEEPALIVE),
            locator: None,
            observer: crate::events::Observer::default(),
        }
    }
}

/// The default [`ConnectionConfig::response_timeout`].
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// The default [`ConnectionConfig::health_check_interval`].
pub const DEFAULT_HEALTH_CHECK_INTERVAL: Duration = Duration::from_secs(30);

/// The default [`ConnectionConfig::tcp_keepalive`].
pub const DEFAULT_TCP_KEEPALIVE: Duration = Duration::from_secs(60);

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidConfig, msg)
}

fn parse_bool(key: &str, v: &str) -> Result<bool> {
    match v {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(invalid(format!("`{key}` must be true or false, got `{v}`"))),
    }
}

fn parse_seconds(key: &str, v: &str) -> Result<Option<Duration>> {
    if v.is_empty() || v == "none" || v == "0" {
        return Ok(None);
    }
    let secs: f64 = v
        .parse()
        .map_err(|_| invalid(format!("`{key}` must be a number of seconds, got `{v}`")))?;
    if !(secs.is_finite() && secs > 0.0) {
        return Err(invalid(format!("`{key}` must be positive, got `{v}`")));
    }
    Ok(Some(Duration::from_secs_f64(secs)))
}

impl ConnectionConfig {
    /// This configuration with `listener` called on every connection
    /// event (see [`crate::events`]): for the clients that take a
    /// configuration (blocking, Sentinel, Cluster); the async client's
    /// builder has [`ClientBuilder::on_event`](crate::ClientBuilder::on_event).
    ///
    /// ```
    /// use respec::connection::ConnectionConfig;
    ///
    /// let cfg = ConnectionConfig::from_url("redis://127.0.0.1:6379")?
    ///     .on_event(|event| eprintln!("{event:?}"));
    /// assert_eq!(cfg.observer.listener_count(), 1);
    /// # Ok::<(), respec::Error>(())
    /// ```
    pub fn on_event(
        mut self,
        listener: impl Fn(&crate::events::Event) + Send + Sync + 'static,
    ) -> Self {
        self.observer = self.observer.on_event(listener);
        self
    }

    /// Parses a connection URL.
    ///
    /// Accepted forms (as redis-py and redis-rs accept them):
    ///
    /// - `redis://[[user]:password@]host[:port][/db]`
    /// - `rediss://...` (TLS)
    /// - `unix:///path/to/socket` and `redis+unix:///path/to/socket`
    /// - `redis+sentinel://host:26379,host2:26379/mymaster[/db]` (see
    ///   [`crate::sentinel`])
    ///
    /// Query parameters: `db`, `protocol` (`2`, `3`, `resp2`, `resp3`),
    /// `username`/`user`, `password`/`pass`, `client_name`/`clientname`/`name`,
    /// `socket_connect_timeout`/`connect_timeout` and
    /// `socket_timeout`/`response_timeout` (seconds, fractions allowed),
    /// `lib_info` (`false` to skip `CLIENT SETINFO`), `batch_writes`
    /// (`false` to write each request at once), `verify_replies` (`false`
    /// to skip the markers that prove replies line up),
    /// `health_check_interval` (seconds; `0` or `none` turns the idle
    /// `PING` off), `tcp_keepalive`/`socket_keepalive` (seconds, or
    /// `false`), `retry_attempts` (`1`: no retries) and `retry_writes`
    /// (`true` also resends writes, see [`crate::retry`]), and for TLS
    /// `ssl_ca_certs`, `ssl_certfile`, `ssl_keyfile`, `ssl_cert_reqs=none` and
    /// `ssl_server_name`; the fragment `#insecure` also disables
    /// certificate checks. Unknown parameters are an error, so a typo is
    /// never silently ignored.
    ///
    /// `redis+sentinel://` and `rediss+sentinel://` URLs give a
    /// configuration whose connections find the master through Redis
    /// Sentinel (grammar in [`crate::sentinel`]).
    pub fn from_url(input: &str) -> Result<Self> {
        if crate::sentinel::is_sentinel_url(input) {
            return Ok(crate::sentinel::Sentinel::open(input)?.config());
        }
        let url = url::Url::parse(input).map_err(|e| invalid(format!("invalid URL: {e}")))?;
        let mut cfg = ConnectionConfig::default();
        let decode = |s: &str| -> Result<String> {
            percent_decode(s).ok_or_else(|| invalid("URL credentials are not valid UTF-8"))
        };
        match url.scheme() {
            "redis" | "rediss" | "valkey" | "valkeys" => {
                let host = match url.host() {
                    Some(url::Host::Ipv6(a)) => a.to_string(),
                    Some(h) => h.to_string(),
                    None => return Err(invalid("URL has no host")),
                };
                cfg.addr = Addr::Tcp {
                    host,
                    port: url.port().unwrap_or(6379),
                };
                if matches!(url.scheme(), "rediss" | "valkeys") {
                    cfg.tls = Some(TlsConfig::default());
                }
                let path = url.path().trim_matches('/');
                if !path.is_empty() {
                    cfg.db = path
                        .parse()
                        .map_err(|_| invalid(format!("database must be a number, got `{path}`")))?;
                }
            }
            "unix" | "redis+unix" | "valkey+unix" => {
                if url.path().is_empty() {
                    return Err(invalid("unix URL has no socket path"));
                }
                let path = percent_decode(url.path())
                    .ok_or_else(|| invalid("socket path is not valid UTF-8"))?;
                cfg.addr = Addr::Unix(PathBuf::from(path));
            }
            other => {
                return Err(invalid(format!(
                    "unsupported URL scheme `{other}` (expected redis, rediss, unix or redis+unix)"
                )))
            }
        }
        if !url.username().is_empty() {
            cfg.username = Some(decode(url.username())?);
        }
        if let Some(p) = url.password() {
            cfg.password = Some(decode(p)?);
        }
        for (key, value) in url.query_pairs() {
            let v = value.as_ref();
            match key.as_ref() {
                "db" => {
                    cfg.db = v
                        .parse()
                        .map_err(|_| invalid(format!("`db` must be a number, got `{v}`")))?
                }
                "protocol" => {
                    cfg.protocol = match v {
                        "2" | "resp2" | "RESP2" => Protocol::Resp2,
                        "3" | "resp3" | "RESP3" => Protocol::Resp3,
                        _ => return Err(invalid(format!("`protocol` must be 2 or 3, got `{v}`"))),
                    }
                }
                "username" | "user" => cfg.username = Some(v.to_string()),
                "password" | "pass" => cfg.password = Some(v.to_string()),
                "client_name" | "clientname" | "name" => cfg.client_name = Some(v.to_string()),
                "socket_connect_timeout" | "connect_timeout" => {
                    cfg.connect_timeout = parse_seconds(&key, v)?
                }
                "socket_timeout" | "response_timeout" | "timeout" => {
                    cfg.response_timeout = parse_seconds(&key, v)?
                }
                "lib_info" => cfg.set_lib_info = !matches!(v, "false" | "0" | "no"),
                "batch_writes" => cfg.batch_writes = parse_bool(&key, v)?,
                "verify_replies" => cfg.verify_replies = parse_bool(&key, v)?,
                "health_check_interval" => cfg.health_check_interval = parse_seconds(&key, v)?,
                "tcp_keepalive" | "socket_keepalive" => {
                    cfg.tcp_keepalive = match v {
                        "false" | "no" => None,
                        "true" | "yes" => Some(DEFAULT_TCP_KEEPALIVE),
                        _ => parse_seconds(&key, v)?,
                    }
                }
                "retry_attempts" => {
                    let n: u32 = v.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        invalid(format!(
                            "`retry_attempts` must be a whole number of at least 1, got `{v}`"
                        ))
                    })?;
                    cfg.retry.max_attempts = n;
                }
                "retry_writes" => cfg.retry.writes = parse_bool(&key, v)?,
                "ssl_ca_certs" | "ssl_certfile" | "ssl_keyfile" | "ssl_cert_reqs"
                | "ssl_server_name" => {
                    let tls = cfg
                        .tls
                        .as_mut()
                        .ok_or_else(|| invalid(format!("`{key}` needs a rediss:// URL")))?;
                    match key.as_ref() {
                        "ssl_ca_certs" if v == "system" => tls.system_roots = true,
                        "ssl_ca_certs" => tls.ca_cert = Some(v.into()),
                        "ssl_certfile" => tls.client_cert = Some(v.into()),
                        "ssl_keyfile" => tls.client_key = Some(v.into()),
                        "ssl_server_name" => tls.server_name = Some(v.into()),
                        _ => tls.insecure = matches!(v, "none" | "CERT_NONE"),
                    }
                }
                other => return Err(invalid(format!("unknown URL parameter `{other}`"))),
            }
        }
        if url.fragment() == Some("insecure") {
            match cfg.tls.as_mut() {
                Some(tls) => tls.insecure = true,
                None => return Err(invalid("`#insecure` needs a rediss:// URL")),
            }
        }
        if cfg.username.is_some() && cfg.password.is_none() {
            return Err(invalid("a user name needs a password"));
        }
        Ok(cfg)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_urls() {
        let c = ConnectionConfig::from_url("redis://localhost").unwrap();
        assert_eq!(
            c.addr,
            Addr::Tcp {
                host: "localhost".into(),
                port: 6379
            }
        );
        assert_eq!(c.db, 0);
        assert!(c.tls.is_none());
        assert!(ConnectionConfig::from_url("redis://h")
            .unwrap()
            .tls
            .is_none());
        assert!(ConnectionConfig::from_url("rediss://h")
            .unwrap()
            .tls
            .is_some());

        let c = ConnectionConfig::from_url(
            "rediss://:p%40ss@[::1]:7000/3?client_name=app&socket_timeout=1.5&ssl_cert_reqs=none",
        )
        .unwrap();
        assert_eq!(
            c.addr,
            Addr::Tcp {
                host: "::1".into(),
                port: 7000
            }
        );
        assert_eq!(c.password.as_deref(), Some("p@ss"));
        assert_eq!(c.username, None);
        assert_eq!(c.db, 3);
        assert_eq!(c.client_name.as_deref(), Some("app"));
        assert_eq!(c.response_timeout, Some(Duration::from_millis(1500)));
        assert!(c.tls.unwrap().insecure);
    }

    #[test]
    fn unix_urls() {
        for u in [
            "unix:///tmp/r.sock?db=4&pass=pw",
            "redis+unix:///tmp/r.sock?db=4&password=pw",
        ] {
            let c = ConnectionConfig::from_url(u).unwrap();
            assert_eq!(c.addr, Addr::Unix("/tmp/r.sock".into()));
            assert_eq!(c.db, 4);
            assert_eq!(c.password.as_deref(), Some("pw"));
        }
    }

    #[test]
    fn write_batching_from_the_url() {
        assert!(
            ConnectionConfig::from_url("redis://x")
                .unwrap()
                .batch_writes
        );
        for (v, on) in [
            ("false", false),
            ("0", false),
            ("no", false),
            ("true", true),
        ] {
            let cfg = ConnectionConfig::from_url(&format!("redis://x?batch_writes={v}")).unwrap();
            assert_eq!(cfg.batch_writes, on, "{v}");
        }
    }

    #[test]
    fn production_options_from_the_url() {
        let d = ConnectionConfig::from_url("redis://x").unwrap();
        assert_eq!(d.health_check_interval, Some(DEFAULT_HEALTH_CHECK_INTERVAL));
        assert_eq!(d.tcp_keepalive, Some(DEFAULT_TCP_KEEPALIVE));
        assert_eq!(d.retry, crate::retry::RetryPolicy::default());
        let c = ConnectionConfig::from_url(
            "redis://x?health_check_interval=0.5&tcp_keepalive=10&retry_attempts=5&retry_writes=true",
        )
        .unwrap();
        assert_eq!(c.health_check_interval, Some(Duration::from_millis(500)));
        assert_eq!(c.tcp_keepalive, Some(Duration::from_secs(10)));
        assert_eq!(c.retry.max_attempts, 5);
        assert!(c.retry.writes);
        let off = ConnectionConfig::from_url(
            "redis://x?health_check_interval=none&socket_keepalive=false&retry_attempts=1",
        )
        .unwrap();
        assert_eq!(off.health_check_interval, None);
        assert_eq!(off.tcp_keepalive, None);
        assert!(!off.retry.is_enabled());
    }

    #[test]
    fn bad_urls_are_clear_errors() {
        for (u, needle) in [
            ("http://x", "unsupported URL scheme"),
            ("redis://x/abc", "database must be a number"),
            ("redis://x?protocol=4", "protocol"),
            ("redis://x?bogus=1", "unknown URL parameter `bogus`"),
            ("redis://x?socket_timeout=-1", "positive"),
            ("redis://x#insecure", "rediss"),
            ("redis://x?ssl_ca_certs=/a", "rediss"),
            ("redis://x?retry_attempts=0", "`retry_attempts`"),
            ("redis://x?health_check_interval=-2", "positive"),
            (
                "redis://x?batch_writes=maybe",
                "`batch_writes` must be true or false",
            ),
        ] {
            let e = ConnectionConfig::from_url(u).unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::InvalidConfig);
            assert!(e.to_string().contains(needle), "{u}: {e}");
        }
    }
}
