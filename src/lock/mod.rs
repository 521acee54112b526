//! Distributed locks on one Redis key, with redis-py's semantics.
//!
//! A lock is a key holding a random token: acquiring is `SET key token NX
//! PX ttl`, and releasing, extending and renewing run small Lua scripts
//! (by `EVALSHA`, sent as `EVAL` when the server answers `NOSCRIPT`) that
//! act only when the key still holds this holder's token. A holder whose
//! lock expired, or was taken over by another holder, therefore never
//! deletes or prolongs someone else's lock: it gets an error of kind
//! [`ErrorKind::LockNotOwned`] naming the
//! key instead.
//!
//! [`Lock`] serves the async clients ([`Client`](crate::Client),
//! [`ClusterClient`](crate::cluster::ClusterClient), a
//! [`Connection`](crate::connection::Connection)); [`blocking::Lock`]
//! serves the blocking ones ([`blocking::Client`](crate::blocking::Client),
//! [`BlockingClusterClient`](crate::cluster::BlockingClusterClient)). On a
//! cluster every command of a lock carries the lock's key, so it goes to
//! the primary serving that key's slot.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use std::time::Duration;
//! use respec::lock::Lock;
//!
//! let lock = Lock::new(client.clone(), "lock:report").ttl(Duration::from_secs(10));
//! let guard = lock.acquire().await?; // waits up to 10 s, retrying every 100 ms
//! // ... the work only one holder may do ...
//! guard.release().await?; // an error if the lock expired meanwhile
//! # Ok(()) }
//! ```
//!
//! # Defaults
//!
//! | setting | default | builder |
//! |---|---|---|
//! | time to live of the key | [`DEFAULT_TTL`] (30 s) | [`Lock::ttl`] |
//! | wait between attempts while acquiring | [`DEFAULT_RETRY_INTERVAL`] (100 ms) | [`Lock::retry_interval`] |
//! | how long [`Lock::acquire`] waits | [`DEFAULT_ACQUIRE_TIMEOUT`] (10 s) | [`Lock::acquire_timeout`] (`None`: forever) |
//! | watchdog | off | [`Lock::watchdog`] (renews every third of the TTL) |
//!
//! Unlike redis-py, a lock always has a TTL: a lock without one stays held
//! forever when its holder dies. Work that may outlast the TTL turns the
//! watchdog on, or calls [`LockGuard::extend`] as it goes.
//!
//! # Guarantees and limits
//!
//! - **Mutual exclusion on one server.** While the key exists, `SET NX`
//!   fails for every other holder; a holder's release, extend and renewal
//!   act only on its own token, atomically on the server.
//! - **A TTL, not a lease the holder can trust blindly.** A holder that
//!   stalls (a long pause, a lost connection) past the TTL loses the lock
//!   without being told until its next operation on it, while another
//!   holder may already have it. Keep the TTL well above the work's
//!   duration, or use the watchdog, and check [`LockGuard::lost`] (or the
//!   result of [`LockGuard::extend`]) before committing.
//! - **A single-instance lock, not Redlock.** Redis replication is
//!   asynchronous: after a failover (Sentinel, or a cluster replica
//!   promoted), the new primary may not have the lock key that the old
//!   one had acknowledged, and a second holder can acquire it. Where that
//!   matters, protect the resource with a fencing token of its own (for
//!   example a counter `INCR`ed on acquire and checked by the resource).
//! - **An acquire whose reply is lost** (a timeout, a dropped connection)
//!   returns an error although the server may have set the key: the key
//!   then expires after its TTL, and nobody holds it meanwhile.
//!
//! # Tokens
//!
//! Each acquire makes a new 128-bit token, written as 32 hex digits,
//! unless the caller gives one (`acquire_with_token`,
//! `try_acquire_with_token`, as redis-py's `acquire(token=...)`). It
//! comes from the standard library alone: two SipHash hashers keyed by
//! [`RandomState`] (whose keys the
//! standard library seeds from the operating system's randomness) over a
//! process-wide counter, the process id and the clock. Tokens of one
//! process never repeat (the counter), and those of different processes
//! or machines differ with overwhelming probability (the OS-seeded keys).
//! A token is an identity, not a secret: anyone who may `GET` the key can
//! read it.

pub mod blocking;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::error::{Error, ErrorKind, Result};
use crate::executor::AsyncExecutor;
use crate::reply::FromResp;
use crate::script::{Invocation, Script};
use crate::{Cmd, Frame};

/// How long a lock key lives unless renewed: 30 seconds.
///
/// ```
/// assert_eq!(respec::lock::DEFAULT_TTL, std::time::Duration::from_secs(30));
/// ```
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// The wait between two attempts of a blocking acquire: 100 ms (redis-py's
/// `sleep=0.1`).
///
/// ```
/// use std::time::Duration;
/// assert_eq!(respec::lock::DEFAULT_RETRY_INTERVAL, Duration::from_millis(100));
/// ```
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_millis(100);

/// How long [`Lock::acquire`] (and [`blocking::Lock::acquire`]) keeps
/// trying before it gives up: 10 seconds.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(respec::lock::DEFAULT_ACQUIRE_TIMEOUT, Duration::from_secs(10));
/// ```
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// `KEYS[1]` the lock, `ARGV[1]` the token. 1: deleted; 0: not this token's.
const RELEASE_LUA: &str = "\
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0";

/// `KEYS[1]` the lock, `ARGV[1]` the token, `ARGV[2]` milliseconds,
/// `ARGV[3]` `1` to replace the remaining time, `0` to add to it.
/// 1: done; 0: not this token's.
const EXTEND_LUA: &str = "\
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return 0
end
local ttl = tonumber(ARGV[2])
if ARGV[3] == '0' then
    local left = redis.call('PTTL', KEYS[1])
    if left > 0 then
        ttl = ttl + left
    end
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1";

static RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(RELEASE_LUA));
static EXTEND: LazyLock<Script> = LazyLock::new(|| Script::new(EXTEND_LUA));

/// The settings of a lock, shared by the async and the blocking one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Options {
    ttl: Duration,
    retry_interval: Duration,
    acquire_timeout: Option<Duration>,
    watchdog: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ttl: DEFAULT_TTL,
            retry_interval: DEFAULT_RETRY_INTERVAL,
            acquire_timeout: Some(DEFAULT_ACQUIRE_TIMEOUT),
            watchdog: false,
        }
    }
}

/// What one lock operation sends and how its reply reads, independent of
/// the client that sends it.
mod ops {
    use super::*;

    /// The key as text, for error messages.
    pub(super) fn show(key: &[u8]) -> String {
        format!("{:?}", String::from_utf8_lossy(key))
    }

    /// Milliseconds of `d`, at least 1; an error for zero.
    pub(super) fn millis(key: &[u8], d: Duration, what: &str) -> Result<u64> {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        if ms == 0 {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("lock {}: the {what} must be at least 1 ms", show(key)),
            ));
        }
        // Redis refuses expire times that overflow; keep within i64.
        Ok(ms.min(i64::MAX as u64 / 2))
    }

    /// A token the caller gave: any bytes but none.
    pub(super) fn given_token(key: &[u8], token: &[u8]) -> Result<Bytes> {
        if token.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("lock {}: the token must not be empty", show(key)),
            ));
        }
        Ok(Bytes::copy_from_slice(token))
    }

    pub(super) fn set_nx(key: &[u8], token: &[u8], ttl_ms: u64) -> Cmd {
        let mut c = Cmd::new("SET");
        c.arg(key).arg(token).arg("NX").arg("PX").arg(ttl_ms);
        c
    }

    /// Whether `SET ... NX` set the key: `OK`, or nil when it exists.
    pub(super) fn set_reply(frame: Frame) -> Result<bool> {
        Option::<Frame>::from_resp(frame)
            .map(|f| f.is_some())
            .map_err(|e| e.for_command("SET"))
    }

    pub(super) fn exists(key: &[u8]) -> Cmd {
        let mut c = Cmd::new("EXISTS");
        c.arg(key);
        c
    }

    pub(super) fn get(key: &[u8]) -> Cmd {
        let mut c = Cmd::new("GET");
        c.arg(key);
        c
    }

    pub(super) fn owned_reply(frame: Frame, token: &[u8]) -> Result<bool> {
        let held: Option<Bytes> = FromResp::from_resp(frame).map_err(|e| e.for_command("GET"))?;
        Ok(held.as_deref() == Some(token))
    }

    pub(super) fn release(key: &[u8], token: &[u8]) -> Invocation {
        let mut inv = RELEASE.key(key);
        inv.arg(token);
        inv
    }

    pub(super) fn extend(key: &[u8], token: &[u8], ms: u64, replace: bool) -> Invocation {
        let mut inv = EXTEND.key(key);
        inv.arg(token).arg(ms).arg(if replace { "1" } else { "0" });
        inv
    }

    /// The script's 1 (done) or 0 (not this token's).
    pub(super) fn script_reply(frame: Frame) -> Result<bool> {
        i64::from_resp(frame)
            .map(|n| n == 1)
            .map_err(|e| e.for_command("EVALSHA"))
    }

    pub(super) fn not_acquired(key: &[u8], waited: Option<Duration>) -> Error {
        let detail = match waited {
            Some(w) => format!(
                "lock {} is held by another holder; gave up after {w:?}",
                show(key)
            ),
            None => format!("lock {} is held by another holder", show(key)),
        };
        Error::new(ErrorKind::LockNotAcquired, detail)
    }

    pub(super) fn not_owned(key: &[u8], what: &str) -> Error {
        Error::new(
            ErrorKind::LockNotOwned,
            format!(
                "cannot {what} lock {}: it is no longer held with this token \
                 (it expired, or another holder has it)",
                show(key)
            ),
        )
    }

    /// How often a watchdog renews: a third of the TTL.
    pub(super) fn watchdog_interval(ttl: Duration) -> Duration {
        (ttl / 3).max(Duration::from_millis(1))
    }
}

/// A fresh 128-bit token as 32 hex digits (see the [module
/// documentation](self#tokens)).
fn new_token() -> Bytes {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let clock = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut out = String::with_capacity(32);
    for half in 0u8..2 {
        let mut h = RandomState::new().build_hasher();
        h.write_u8(half);
        h.write_u64(n);
        h.write_u32(std::process::id());
        h.write_u128(clock);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    Bytes::from(out)
}

/// Runs a lock script by `EVALSHA`, and by `EVAL` (which also caches it on
/// that server) when the server does not know it.
async fn run_script<C: AsyncExecutor + ?Sized>(client: &C, inv: &Invocation) -> Result<bool> {
    let frame = match client.execute(&inv.evalsha_command()).await {
        Err(e) if e.code() == Some("NOSCRIPT") => client.execute(&inv.eval_command()).await?,
        other => other?,
    };
    ops::script_reply(frame)
}

/// A distributed lock on one key, for the async clients.
///
/// A `Lock` is a description (client, key, settings): cheap to clone, and
/// shared by every task that contends for the key. Acquiring gives a
/// [`LockGuard`], which holds this acquisition's token and releases,
/// extends or renews the lock. See the [module documentation](self) for the
/// defaults, guarantees and limits.
///
/// ```no_run
/// # async fn demo(client: respec::Client) -> respec::Result<()> {
/// use std::time::Duration;
/// use respec::lock::Lock;
///
/// let lock = Lock::new(client.clone(), "lock:invoice:7")
///     .ttl(Duration::from_secs(5))
///     .acquire_timeout(Duration::from_secs(2))
///     .retry_interval(Duration::from_millis(50));
/// match lock.try_acquire().await? {
///     Some(guard) => guard.release().await?,
///     None => println!("someone else is on it"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Lock<C = crate::Client> {
    client: C,
    key: Bytes,
    options: Options,
}

impl<C> Lock<C>
where
    C: AsyncExecutor + Clone + Send + Sync + 'static,
{
    /// A lock on `key`, taken through `client`, with the default settings.
    ///
    /// ```no_run
    /// # fn demo(client: respec::Client) {
    /// let lock = respec::lock::Lock::new(client, "lock:nightly-job");
    /// assert_eq!(lock.key(), b"lock:nightly-job");
    /// # }
    /// ```
    pub fn new(client: C, key: impl AsRef<[u8]>) -> Self {
        Lock {
            client,
            key: Bytes::copy_from_slice(key.as_ref()),
            options: Options::default(),
        }
    }

    /// How long the key lives after an acquire or a renewal (default
    /// [`DEFAULT_TTL`]; at least 1 ms, else acquiring is refused with
    /// [`ErrorKind::InvalidInput`]).
    ///
    /// ```no_run
    /// # fn demo(client: respec::Client) {
    /// use std::time::Duration;
    /// let lock = respec::lock::Lock::new(client, "k").ttl(Duration::from_secs(3));
    /// assert_eq!(lock.ttl_setting(), Duration::from_secs(3));
    /// # }
    /// ```
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.options.ttl = ttl;
        self
    }

    /// The wait between two attempts of [`acquire`](Self::acquire)
    /// (default [`DEFAULT_RETRY_INTERVAL`]).
    ///
    /// ```no_run
    /// # fn demo(client: respec::Client) {
    /// use std::time::Duration;
    /// let lock = respec::lock::Lock::new(client, "k").retry_interval(Duration::from_millis(20));
    /// # }
    /// ```
    pub fn retry_interval(mut self, every: Duration) -> Self {
        self.options.retry_interval = every;
        self
    }

    /// How long [`acquire`](Self::acquire) keeps trying (default
    /// [`DEFAULT_ACQUIRE_TIMEOUT`]); `None` waits until the lock is free.
    ///
    /// ```no_run
    /// # fn demo(client: respec::Client) {
    /// use std::time::Duration;
    /// let patient = respec::lock::Lock::new(client.clone(), "k").acquire_timeout(None);
    /// let hasty = respec::lock::Lock::new(client, "k").acquire_timeout(Duration::from_millis(300));
    /// # }
    /// ```
    pub fn acquire_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.options.acquire_timeout = timeout.into();
        self
    }

    /// With `true`, every guard of this lock starts a watchdog task that
    /// renews the key to the full TTL every third of the TTL while the
    /// guard lives; it stops when the guard is released or dropped, and
    /// when it finds the lock no longer held ([`LockGuard::lost`]).
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use std::time::Duration;
    /// let lock = respec::lock::Lock::new(client, "lock:long-job")
    ///     .ttl(Duration::from_secs(3))
    ///     .watchdog(true);
    /// let guard = lock.acquire().await?;
    /// // work for minutes: the key is renewed to 3 s every second
    /// guard.release().await?;
    /// # Ok(()) }
    /// ```
    pub fn watchdog(mut self, on: bool) -> Self {
        self.options.watchdog = on;
        self
    }

    /// The lock's key.
    ///
    /// ```no_run
    /// # fn demo(client: respec::Client) {
    /// assert_eq!(respec::lock::Lock::new(client, "k").key(), b"k");
    /// # }
    /// ```
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The TTL set by [`ttl`](Self::ttl).
    ///
    /// ```no_run
    /// # fn demo(client: respec::Client) {
    /// let lock = respec::lock::Lock::new(client, "k");
    /// assert_eq!(lock.ttl_setting(), respec::lock::DEFAULT_TTL);
    /// # }
    /// ```
    pub fn ttl_setting(&self) -> std::time::Duration {
        self.options.ttl
    }

    /// One attempt: the guard when the lock was free, `None` when someone
    /// holds it. Errors are the client's (a lost connection, a timeout)
    /// or [`ErrorKind::InvalidInput`] for a zero TTL.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let lock = respec::lock::Lock::new(client, "lock:cron");
    /// if let Some(guard) = lock.try_acquire().await? {
    ///     // run the job
    ///     guard.release().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_acquire(&self) -> Result<Option<LockGuard<C>>> {
        self.try_acquire_as(new_token()).await
    }

    /// [`try_acquire`](Self::try_acquire) with the caller's token (redis-py's
    /// `acquire(token=...)`): the key holds `token` while the lock is held,
    /// so the holder can be told from the key (`GET`), for example a
    /// worker's name and run. The guard extends and releases only while
    /// the key holds that token, as with a made token. Each holder should
    /// have a token of its own: two holders with one token could extend
    /// or release each other's lock. An empty token is refused with
    /// [`ErrorKind::InvalidInput`] before anything is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let lock = respec::lock::Lock::new(client, "lock:cron");
    /// if let Some(guard) = lock.try_acquire_with_token("worker-7:run-42").await? {
    ///     assert_eq!(guard.token(), b"worker-7:run-42");
    ///     guard.release().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_acquire_with_token(
        &self,
        token: impl AsRef<[u8]>,
    ) -> Result<Option<LockGuard<C>>> {
        let token = ops::given_token(&self.key, token.as_ref())?;
        self.try_acquire_as(token).await
    }

    async fn try_acquire_as(&self, token: Bytes) -> Result<Option<LockGuard<C>>> {
        let ttl = ops::millis(&self.key, self.options.ttl, "TTL")?;
        let frame = self
            .client
            .execute(&ops::set_nx(&self.key, &token, ttl))
            .await?;
        if !ops::set_reply(frame)? {
            return Ok(None);
        }
        Ok(Some(LockGuard::new(self.clone(), token)))
    }

    /// Tries until the lock is acquired, waiting the retry interval between
    /// attempts, for at most the acquire timeout; then fails with an error
    /// of kind [`ErrorKind::LockNotAcquired`] naming the key
    /// ([`Error::is_lock_not_acquired`]).
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use std::time::Duration;
    /// let lock = respec::lock::Lock::new(client, "lock:stock")
    ///     .acquire_timeout(Duration::from_secs(1));
    /// match lock.acquire().await {
    ///     Ok(guard) => guard.release().await?,
    ///     Err(e) if e.is_lock_not_acquired() => println!("busy: {e}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn acquire(&self) -> Result<LockGuard<C>> {
        self.acquire_as(new_token()).await
    }

    /// [`acquire`](Self::acquire) with the caller's token (redis-py's
    /// `acquire(token=...)`); see
    /// [`try_acquire_with_token`](Self::try_acquire_with_token).
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let lock = respec::lock::Lock::new(client, "lock:stock");
    /// let guard = lock.acquire_with_token("worker-7").await?;
    /// guard.release().await?;
    /// # Ok(()) }
    /// ```
    pub async fn acquire_with_token(&self, token: impl AsRef<[u8]>) -> Result<LockGuard<C>> {
        let token = ops::given_token(&self.key, token.as_ref())?;
        self.acquire_as(token).await
    }

    /// Tries with `token` until the lock is acquired or the timeout passes.
    async fn acquire_as(&self, token: Bytes) -> Result<LockGuard<C>> {
        let timeout = self.options.acquire_timeout;
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        loop {
            if let Some(guard) = self.try_acquire_as(token.clone()).await? {
                return Ok(guard);
            }
            let mut wait = self.options.retry_interval;
            if let Some(deadline) = deadline {
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    return Err(ops::not_acquired(&self.key, timeout));
                }
                wait = wait.min(deadline - now);
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Whether anyone holds the lock now (`EXISTS`).
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let lock = respec::lock::Lock::new(client, "lock:cron");
    /// if lock.locked().await? {
    ///     println!("a run is in progress");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn locked(&self) -> Result<bool> {
        let frame = self.client.execute(&ops::exists(&self.key)).await?;
        i64::from_resp(frame)
            .map(|n| n > 0)
            .map_err(|e| e.for_command("EXISTS"))
    }
}

/// A held lock: its token, and what a holder may do with it.
///
/// Release it with [`release`](Self::release), which says whether the lock
/// was still held. Dropping an unreleased guard releases it on a best-effort
/// basis: when the drop happens inside a tokio runtime, a task is spawned
/// that runs the release (its outcome is not reported); outside a runtime,
/// nothing is sent and the key expires after its TTL. Either way the
/// watchdog, if any, stops.
///
/// ```no_run
/// # async fn demo(client: respec::Client) -> respec::Result<()> {
/// use std::time::Duration;
/// let lock = respec::lock::Lock::new(client, "lock:batch").ttl(Duration::from_secs(5));
/// let guard = lock.acquire().await?;
/// guard.extend(Duration::from_secs(5)).await?; // now about 10 s left
/// assert!(guard.owned().await?);
/// guard.release().await?;
/// # Ok(()) }
/// ```
pub struct LockGuard<C = crate::Client>
where
    C: AsyncExecutor + Clone + Send + Sync + 'static,
{
    lock: Lock<C>,
    token: Bytes,
    released: bool,
    watchdog: Option<Watchdog>,
    lost: Arc<AtomicBool>,
}

/// Stops its task when dropped.
struct Watchdog {
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl<C> std::fmt::Debug for LockGuard<C>
where
    C: AsyncExecutor + Clone + Send + Sync + 'static,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("key", &String::from_utf8_lossy(&self.lock.key))
            .field("token", &String::from_utf8_lossy(&self.token))
            .field("watchdog", &self.watchdog.is_some())
            .finish()
    }
}

impl<C> LockGuard<C>
where
    C: AsyncExecutor + Clone + Send + Sync + 'static,
{
    fn new(lock: Lock<C>, token: Bytes) -> Self {
        let lost = Arc::new(AtomicBool::new(false));
        let watchdog = lock.options.watchdog.then(|| {
            let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
            let client = lock.client.clone();
            let key = lock.key.clone();
            let token = token.clone();
            let ttl = ops::millis(&key, lock.options.ttl, "TTL").unwrap_or(1);
            let every = ops::watchdog_interval(lock.options.ttl);
            let lost = lost.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = &mut stopped => return,
                        _ = tokio::time::sleep(every) => {}
                    }
                    let renew = ops::extend(&key, &token, ttl, true);
                    match run_script(&client, &renew).await {
                        Ok(true) => {}
                        Ok(false) => {
                            lost.store(true, Ordering::Relaxed);
                            return;
                        }
                        // A failed renewal (a lost connection) is tried
                        // again at the next tick, within the TTL left.
                        Err(_) => {}
                    }
                }
            });
            Watchdog { _stop: stop }
        });
        LockGuard {
            lock,
            token,
            released: false,
            watchdog,
            lost,
        }
    }

    /// The lock's key.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let guard = respec::lock::Lock::new(client, "k").acquire().await?;
    /// assert_eq!(guard.key(), b"k");
    /// # Ok(()) }
    /// ```
    pub fn key(&self) -> &[u8] {
        &self.lock.key
    }

    /// This acquisition's token: the value of the key while it is held.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let guard = respec::lock::Lock::new(client, "k").acquire().await?;
    /// assert_eq!(guard.token().len(), 32);
    /// # Ok(()) }
    /// ```
    pub fn token(&self) -> &[u8] {
        &self.token
    }

    /// True once the watchdog found the key no longer holding this token
    /// (it expired, or another holder took it); always false without a
    /// watchdog. [`owned`](Self::owned) asks the server.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let lock = respec::lock::Lock::new(client, "k").watchdog(true);
    /// let guard = lock.acquire().await?;
    /// if guard.lost() {
    ///     return Ok(()); // do not commit the work
    /// }
    /// # Ok(()) }
    /// ```
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }

    /// Whether the key still holds this guard's token (`GET`).
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let guard = respec::lock::Lock::new(client, "k").acquire().await?;
    /// assert!(guard.owned().await?);
    /// # Ok(()) }
    /// ```
    pub async fn owned(&self) -> Result<bool> {
        let frame = self.lock.client.execute(&ops::get(&self.lock.key)).await?;
        ops::owned_reply(frame, &self.token)
    }

    /// Adds `by` to the time the key has left (redis-py's `extend`).
    /// Fails with [`ErrorKind::LockNotOwned`] when the lock is no longer
    /// held with this token.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use std::time::Duration;
    /// let guard = respec::lock::Lock::new(client, "k").acquire().await?;
    /// guard.extend(Duration::from_secs(30)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn extend(&self, by: Duration) -> Result<()> {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX / 4);
        self.extend_script(ms.min(i64::MAX as u64 / 4), false, "extend")
            .await
    }

    /// Sets the time the key has left to `ttl`, whatever it was
    /// (redis-py's `extend(..., replace_ttl=True)`). Fails with
    /// [`ErrorKind::LockNotOwned`] when the lock is no longer held with
    /// this token, and with [`ErrorKind::InvalidInput`] for a zero `ttl`.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use std::time::Duration;
    /// let guard = respec::lock::Lock::new(client, "k").acquire().await?;
    /// guard.extend_to(Duration::from_secs(60)).await?; // 60 s from now
    /// # Ok(()) }
    /// ```
    pub async fn extend_to(&self, ttl: Duration) -> Result<()> {
        let ms = ops::millis(&self.lock.key, ttl, "TTL")?;
        self.extend_script(ms, true, "extend").await
    }

    /// Resets the time the key has left to the lock's TTL (redis-py's
    /// `reacquire`). Fails with [`ErrorKind::LockNotOwned`] when the lock is
    /// no longer held with this token.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let guard = respec::lock::Lock::new(client, "k").acquire().await?;
    /// guard.reacquire().await?; // a full TTL from now
    /// # Ok(()) }
    /// ```
    pub async fn reacquire(&self) -> Result<()> {
        let ms = ops::millis(&self.lock.key, self.lock.options.ttl, "TTL")?;
        self.extend_script(ms, true, "reacquire").await
    }

    async fn extend_script(&self, ms: u64, replace: bool, what: &str) -> Result<()> {
        let inv = ops::extend(&self.lock.key, &self.token, ms, replace);
        if run_script(&self.lock.client, &inv).await? {
            Ok(())
        } else {
            Err(ops::not_owned(&self.lock.key, what))
        }
    }

    /// Releases the lock: deletes the key if it still holds this token.
    /// Fails with [`ErrorKind::LockNotOwned`] when it does not (the lock
    /// expired, or another holder took it), and with the client's error
    /// when the script could not run (the key then expires after its TTL).
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let guard = respec::lock::Lock::new(client, "k").acquire().await?;
    /// if let Err(e) = guard.release().await {
    ///     assert!(e.is_lock_not_owned(), "{e}");
    ///     println!("the work ran without the lock for a while: {e}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn release(mut self) -> Result<()> {
        self.released = true;
        self.watchdog = None;
        let inv = ops::release(&self.lock.key, &self.token);
        if run_script(&self.lock.client, &inv).await? {
            Ok(())
        } else {
            Err(ops::not_owned(&self.lock.key, "release"))
        }
    }
}

impl<C> Drop for LockGuard<C>
where
    C: AsyncExecutor + Clone + Send + Sync + 'static,
{
    fn drop(&mut self) {
        self.watchdog = None;
        if self.released {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let client = self.lock.client.clone();
            let inv = ops::release(&self.lock.key, &self.token);
            runtime.spawn(async move {
                let _ = run_script(&client, &inv).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hex_and_distinct() {
        let tokens: std::collections::HashSet<Bytes> = (0..10_000).map(|_| new_token()).collect();
        assert_eq!(tokens.len(), 10_000);
        for t in tokens.iter().take(10) {
            assert_eq!(t.len(), 32);
            assert!(t.iter().all(|b| b.is_ascii_hexdigit()), "{t:?}");
        }
    }

    #[test]
    fn zero_ttl_is_refused() {
        let e = ops::millis(b"k", Duration::ZERO, "TTL").unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InvalidInput);
        assert_eq!(
            e.to_string(),
            "invalid arguments: lock \"k\": the TTL must be at least 1 ms"
        );
        assert_eq!(
            ops::millis(b"k", Duration::from_micros(1500), "TTL").unwrap(),
            1
        );
    }

    #[test]
    fn scripts_carry_the_key_first() {
        let inv = ops::extend(b"lock:a", b"tok", 500, false);
        let text = String::from_utf8_lossy(&inv.evalsha_command().to_bytes()).replace("\r\n", " ");
        assert!(
            text.ends_with("$1 1 $6 lock:a $3 tok $3 500 $1 0 "),
            "{text}"
        );
        let inv = ops::release(b"lock:a", b"tok");
        let text = String::from_utf8_lossy(&inv.eval_command().to_bytes()).replace("\r\n", " ");
        assert!(text.starts_with("*5 $4 EVAL "), "{text}");
        assert!(text.ends_with("$1 1 $6 lock:a $3 tok "), "{text}");
    }

    #[test]
    fn errors_name_the_key() {
        let e = ops::not_owned(b"lock:a", "release");
        assert!(e.is_lock_not_owned());
        assert_eq!(
            e.to_string(),
            "lock not owned: cannot release lock \"lock:a\": it is no longer held with this \
             token (it expired, or another holder has it)"
        );
        let e = ops::not_acquired(b"lock:a", Some(Duration::from_millis(250)));
        assert!(e.is_lock_not_acquired());
        assert_eq!(
            e.to_string(),
            "lock not acquired: lock \"lock:a\" is held by another holder; gave up after 250ms"
        );
    }
}
