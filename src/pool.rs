//! A pool of dedicated connections.
//!
//! Most commands share the client's one multiplexed connection. Some need a
//! connection of their own for a while: blocking commands (`BLPOP`,
//! `XREAD ... BLOCK`, `WAIT`) would stall everyone queued behind them, and
//! `WATCH` puts per-connection state on the server. The client takes those
//! from this pool.
//!
//! The pool holds at most [`PoolConfig::max_size`] connections, checked out
//! or idle. A checkout waits at most [`PoolConfig::wait_timeout`] for one to
//! become free. On checkout, a closed connection is dropped and one idle for
//! longer than [`PoolConfig::health_check_after`] must answer `PING` first.
//! Idle connections also check themselves while they wait: each sends a
//! `PING` after [`ConnectionConfig::health_check_interval`](crate::connection::ConnectionConfig::health_check_interval)
//! (30 s by default) of quiet and closes when no answer comes, so a dead
//! peer is found before a checkout.
//!
//! A connection goes back to the pool only as it came out: one whose user
//! left a request in flight (a `BLPOP` future dropped before its reply came)
//! or left `WATCH`, `MULTI`, `SELECT` or similar state on it is closed
//! instead, so the server gives up the blocked command rather than pop an
//! element for nobody, and the next user never inherits a watch. (`RESET`
//! is not enough for the first case: it does not undo a pending `BLPOP`.)

use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::backoff::Gate;
use crate::cmd::Cmd;
use crate::connection::{Connection, ConnectionConfig};
use crate::error::{Error, ErrorKind, Result};

/// Limits of the dedicated-connection pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// The most connections open at once (checked out plus idle).
    pub max_size: usize,
    /// How long a checkout waits for a free connection (`None`: forever).
    pub wait_timeout: Option<Duration>,
    /// Idle connections older than this are pinged before reuse.
    pub health_check_after: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_size: 16,
            wait_timeout: Some(Duration::from_secs(10)),
            health_check_after: Duration::from_secs(5),
        }
    }
}

/// A pool of dedicated connections to one server.
pub struct Pool {
    config: ConnectionConfig,
    /// Spaces new connections while they keep failing or breaking early.
    gate: Gate,
    limits: PoolConfig,
    idle: Mutex<Vec<(Connection, Instant)>>,
    permits: Arc<Semaphore>,
    /// Checkouts that found every connection taken and waited.
    waits: std::sync::atomic::AtomicU64,
    /// The cache of the client the pool belongs to: the writes sent on its
    /// connections drop their keys' entries first (see [`crate::cache`]).
    cache: Option<Arc<crate::cache::Cache>>,
}

/// A pool's use at one moment ([`Pool::stats`], and in
/// [`Client::metrics`](crate::Client::metrics)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PoolStats {
    /// The most connections the pool holds ([`PoolConfig::max_size`]).
    pub max_size: usize,
    /// Connections checked out now.
    pub in_use: usize,
    /// Idle connections waiting for reuse.
    pub idle: usize,
    /// Checkouts so far that found every connection taken and had to
    /// wait for one.
    pub waits: u64,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("limits", &self.limits)
            .field("idle", &self.idle_count())
            .finish()
    }
}

impl Pool {
    /// A pool for the given server settings and limits. Opens nothing yet.
    pub fn new(config: ConnectionConfig, limits: PoolConfig) -> Arc<Self> {
        Self::for_cache(config, limits, None)
    }

    /// [`new`](Self::new) for a client with a client-side cache: the
    /// writes sent on the pool's connections go through its own-write rule.
    pub(crate) fn for_cache(
        config: ConnectionConfig,
        limits: PoolConfig,
        cache: Option<Arc<crate::cache::Cache>>,
    ) -> Arc<Self> {
        Arc::new(Pool {
            cache,
            gate: Gate::new(config.reconnect),
            permits: Arc::new(Semaphore::new(limits.max_size.max(1))),
            config,
            limits,
            idle: Mutex::new(Vec::new()),
            waits: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The pool's use now.
    pub fn stats(&self) -> PoolStats {
        let max_size = self.limits.max_size.max(1);
        PoolStats {
            max_size,
            in_use: max_size.saturating_sub(self.permits.available_permits()),
            idle: self.idle_count(),
            waits: self.waits.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The pool's limits.
    pub fn limits(&self) -> &PoolConfig {
        &self.limits
    }

    /// Idle connections waiting for reuse.
    pub fn idle_count(&self) -> usize {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Checks out a connection: an idle healthy one, or a new one.
    pub async fn get(self: &Arc<Self>) -> Result<PooledConnection> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                self.waits
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.wait_for_permit().await?
            }
        };
        self.checkout(permit).await
    }

    /// Waits for a free place in the pool, within the wait timeout.
    async fn wait_for_permit(&self) -> Result<OwnedSemaphorePermit> {
        let acquire = self.permits.clone().acquire_owned();
        let permit = match self.limits.wait_timeout {
            Some(t) => tokio::time::timeout(t, acquire).await.map_err(|_| {
                Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "no pooled connection became free within {t:?} (pool size {})",
                        self.limits.max_size
                    ),
                )
            })?,
            None => acquire.await,
        }
        .map_err(|_| Error::new(ErrorKind::ConnectionClosed, "the pool is closed"))?;
        Ok(permit)
    }

    /// An idle healthy connection, or a new one, for the holder of `permit`.
    async fn checkout(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Result<PooledConnection> {
        loop {
            let candidate = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let Some((conn, since)) = candidate else {
                break;
            };
            if !conn.is_reusable() {
                continue;
            }
            if since.elapsed() >= self.limits.health_check_after
                && conn.send(&Cmd::new("PING")).await.is_err()
            {
                continue;
            }
            return Ok(self.wrap(conn, permit));
        }
        let conn = crate::client::connect_spaced(
            &self.gate,
            |_| {},
            || Connection::connect_dedicated(&self.config),
        )
        .await?;
        Ok(self.wrap(conn, permit))
    }

    fn wrap(self: &Arc<Self>, conn: Connection, permit: OwnedSemaphorePermit) -> PooledConnection {
        PooledConnection {
            conn: conn.with_cache_writes(self.cache.clone()),
            opened: Instant::now(),
            pool: self.clone(),
            _permit: permit,
            reuse: true,
        }
    }
}

/// A connection checked out of the [`Pool`]; it goes back when dropped.
pub struct PooledConnection {
    conn: Connection,
    /// When it was checked out (for the backoff: one that breaks soon after
    /// counts as a failed attempt).
    opened: Instant,
    pool: Arc<Pool>,
    _permit: OwnedSemaphorePermit,
    reuse: bool,
}

impl PooledConnection {
    /// Closes the connection instead of returning it to the pool (for a
    /// connection left in a state the next user must not inherit).
    pub fn discard(&mut self) {
        self.reuse = false;
    }
}

impl std::fmt::Debug for PooledConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledConnection")
            .field("conn", &self.conn)
            .finish()
    }
}

impl Deref for PooledConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        // Not reused: a connection with a request still in flight (its
        // caller gave up on a BLPOP, say) or with WATCH or transaction
        // state; dropping the last handle closes it.
        if self.conn.is_closed() && !self.conn.is_reusable() && self.reuse {
            // It broke (not closed by its user's choice).
            self.pool.gate.ended(self.opened);
        }
        if self.reuse && self.conn.is_reusable() {
            self.pool.gate.healthy();
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((self.conn.clone(), Instant::now()));
        }
    }
}
