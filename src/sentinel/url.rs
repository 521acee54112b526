//! `redis+sentinel://` URLs.

use std::time::Duration;

use super::{Role, SentinelConfig, DEFAULT_SENTINEL_PORT};
use crate::connection::{Addr, ConnectionConfig};
use crate::error::{Error, ErrorKind, Result};

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidConfig, msg)
}

/// The scheme of a Sentinel URL, and whether it asks for TLS.
fn scheme_tls(input: &str) -> Option<bool> {
    let (scheme, _) = input.split_once("://")?;
    match scheme.to_ascii_lowercase().as_str() {
        "redis+sentinel" | "valkey+sentinel" => Some(false),
        "rediss+sentinel" | "valkeys+sentinel" => Some(true),
        _ => None,
    }
}

/// Whether `input` is a Sentinel URL (by its scheme).
pub(crate) fn is_sentinel_url(input: &str) -> bool {
    scheme_tls(input).is_some()
}

/// One `host[:port]` of the sentinel list (`[v6]:port` for IPv6).
fn host_port(s: &str) -> Result<Addr> {
    let bad = || invalid(format!("`{s}` is not a sentinel address (host[:port])"));
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(bad)?;
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':').ok_or_else(bad)?)),
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port = match port {
        None => DEFAULT_SENTINEL_PORT,
        Some(p) => p
            .parse()
            .map_err(|_| invalid(format!("sentinel port must be a number, got `{p}`")))?,
    };
    Ok(Addr::Tcp {
        host: host.to_string(),
        port,
    })
}

pub(super) fn parse(input: &str) -> Result<SentinelConfig> {
    let tls = scheme_tls(input).ok_or_else(|| {
        invalid("a Sentinel URL starts with redis+sentinel:// or rediss+sentinel://")
    })?;
    let (_, rest) = input.split_once("://").unwrap_or_default();
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, q),
        None => (rest, ""),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let (userinfo, hosts) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    if hosts.is_empty() {
        return Err(invalid("the Sentinel URL names no sentinel"));
    }
    let sentinels = hosts
        .split(',')
        .map(host_port)
        .collect::<Result<Vec<_>>>()?;

    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let mut service = segments.next().map(str::to_string);
    let db = segments.next();
    if let Some(extra) = segments.next() {
        return Err(invalid(format!(
            "unexpected `/{extra}` after the database in the Sentinel URL"
        )));
    }

    let mut sentinel_username = None;
    let mut sentinel_password = None;
    let mut sentinel_timeout = super::DEFAULT_SENTINEL_TIMEOUT;
    let mut role = Role::Master;
    let mut node_query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let v = value.as_ref();
        match key.as_ref() {
            "sentinel_username" => sentinel_username = Some(v.to_string()),
            "sentinel_password" => sentinel_password = Some(v.to_string()),
            "sentinel_timeout" | "sentinel_socket_timeout" => {
                let secs: f64 = v.parse().map_err(|_| {
                    invalid(format!("`{key}` must be a number of seconds, got `{v}`"))
                })?;
                if !(secs.is_finite() && secs > 0.0) {
                    return Err(invalid(format!("`{key}` must be positive, got `{v}`")));
                }
                sentinel_timeout = Duration::from_secs_f64(secs);
            }
            "service_name" | "master_name" => service = Some(v.to_string()),
            "client_type" | "role" => {
                role = match v {
                    "master" | "primary" => Role::Master,
                    "slave" | "replica" => Role::Replica,
                    _ => {
                        return Err(invalid(format!(
                            "`{key}` must be master or replica, got `{v}`"
                        )))
                    }
                }
            }
            _ => {
                node_query.append_pair(&key, v);
            }
        }
    }
    let service = service
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("the Sentinel URL names no master (`/service_name`)"))?;
    if sentinel_username.is_some() && sentinel_password.is_none() {
        return Err(invalid("`sentinel_username` needs `sentinel_password`"));
    }

    // Everything else is a data-node setting, read by the redis:// parser.
    let mut node_url = String::from(if tls { "rediss://" } else { "redis://" });
    if let Some(u) = userinfo {
        node_url.push_str(u);
        node_url.push('@');
    }
    node_url.push_str("sentinel-located");
    if let Some(db) = db {
        node_url.push('/');
        node_url.push_str(db);
    }
    let node_query = node_query.finish();
    if !node_query.is_empty() {
        node_url.push('?');
        node_url.push_str(&node_query);
    }
    if let Some(f) = fragment {
        node_url.push('#');
        node_url.push_str(f);
    }
    let node = ConnectionConfig::from_url(&node_url)?;
    let mut config = SentinelConfig::new(service, sentinels);
    config.sentinel_tls = node.tls.clone();
    config.node = node;
    config.sentinel_username = sentinel_username;
    config.sentinel_password = sentinel_password;
    config.sentinel_timeout = sentinel_timeout;
    config.role = role;
    Ok(config)
}
