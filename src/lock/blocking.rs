//! The lock for the blocking clients.
//!
//! The same lock as the async [`Lock`](super::Lock) (same key layout,
//! tokens, scripts, defaults and limits: see the [parent
//! module](super)), for [`blocking::Client`](crate::blocking::Client) and
//! [`BlockingClusterClient`](crate::cluster::BlockingClusterClient). Its
//! guard releases the lock when dropped; its watchdog is a thread.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use respec::lock::blocking::Lock;
//!
//! let client = Arc::new(respec::blocking::Client::open("redis://127.0.0.1:6379")?);
//! let lock = Lock::new(client, "lock:report").ttl(Duration::from_secs(10));
//! {
//!     let _guard = lock.acquire()?;
//!     // ... the work only one holder may do ...
//! } // released here
//! # Ok::<(), respec::Error>(())
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{new_token, ops, Options};
use crate::error::Result;
use crate::executor::BlockingExecutor;
use crate::reply::FromResp;
use crate::script::Invocation;

/// Runs a lock script by `EVALSHA`, and by `EVAL` when the server does not
/// know it.
fn run_script<C: BlockingExecutor + ?Sized>(client: &C, inv: &Invocation) -> Result<bool> {
    let frame = match client.execute(&inv.evalsha_command()) {
        Err(e) if e.code() == Some("NOSCRIPT") => client.execute(&inv.eval_command())?,
        other => other?,
    };
    ops::script_reply(frame)
}

/// A distributed lock on one key, for the blocking clients.
///
/// A description (the client, behind an `Arc`, the key and the settings),
/// cheap to clone and shared by the threads that contend for the key.
/// Acquiring gives a [`LockGuard`]. Defaults, guarantees and limits are
/// those of the [parent module](super).
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use respec::lock::blocking::Lock;
///
/// let client = Arc::new(respec::blocking::Client::open("redis://127.0.0.1:6379")?);
/// let lock = Lock::new(client, "lock:invoice:7")
///     .ttl(Duration::from_secs(5))
///     .acquire_timeout(Duration::from_secs(2));
/// match lock.try_acquire()? {
///     Some(guard) => guard.release()?,
///     None => println!("someone else is on it"),
/// }
/// # Ok::<(), respec::Error>(())
/// ```
#[derive(Debug)]
pub struct Lock<C = crate::blocking::Client> {
    client: Arc<C>,
    key: Bytes,
    options: Options,
}

impl<C> Clone for Lock<C> {
    fn clone(&self) -> Self {
        Lock {
            client: self.client.clone(),
            key: self.key.clone(),
            options: self.options,
        }
    }
}

impl<C> Lock<C>
where
    C: BlockingExecutor + Send + Sync + 'static,
{
    /// A lock on `key`, taken through `client`, with the default settings.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) {
    /// let lock = respec::lock::blocking::Lock::new(client, "lock:nightly-job");
    /// assert_eq!(lock.key(), b"lock:nightly-job");
    /// # }
    /// ```
    pub fn new(client: Arc<C>, key: impl AsRef<[u8]>) -> Self {
        Lock {
            client,
            key: Bytes::copy_from_slice(key.as_ref()),
            options: Options::default(),
        }
    }

    /// How long the key lives after an acquire or a renewal (default
    /// [`DEFAULT_TTL`](super::DEFAULT_TTL); at least 1 ms).
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) {
    /// use std::time::Duration;
    /// let lock = respec::lock::blocking::Lock::new(client, "k").ttl(Duration::from_secs(3));
    /// assert_eq!(lock.ttl_setting(), Duration::from_secs(3));
    /// # }
    /// ```
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.options.ttl = ttl;
        self
    }

    /// The wait between two attempts of [`acquire`](Self::acquire)
    /// (default [`DEFAULT_RETRY_INTERVAL`](super::DEFAULT_RETRY_INTERVAL)).
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) {
    /// use std::time::Duration;
    /// let lock = respec::lock::blocking::Lock::new(client, "k")
    ///     .retry_interval(Duration::from_millis(20));
    /// # }
    /// ```
    pub fn retry_interval(mut self, every: Duration) -> Self {
        self.options.retry_interval = every;
        self
    }

    /// How long [`acquire`](Self::acquire) keeps trying (default
    /// [`DEFAULT_ACQUIRE_TIMEOUT`](super::DEFAULT_ACQUIRE_TIMEOUT)); `None`
    /// waits until the lock is free.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) {
    /// use std::time::Duration;
    /// let lock = respec::lock::blocking::Lock::new(client, "k")
    ///     .acquire_timeout(Duration::from_millis(300));
    /// # }
    /// ```
    pub fn acquire_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.options.acquire_timeout = timeout.into();
        self
    }

    /// With `true`, every guard of this lock starts a watchdog thread that
    /// renews the key to the full TTL every third of the TTL while the
    /// guard lives; it stops when the guard is released or dropped, and
    /// when it finds the lock no longer held ([`LockGuard::lost`]).
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// use std::time::Duration;
    /// let lock = respec::lock::blocking::Lock::new(client, "lock:long-job")
    ///     .ttl(Duration::from_secs(3))
    ///     .watchdog(true);
    /// let guard = lock.acquire()?;
    /// // work for minutes: the key is renewed to 3 s every second
    /// guard.release()?;
    /// # Ok(()) }
    /// ```
    pub fn watchdog(mut self, on: bool) -> Self {
        self.options.watchdog = on;
        self
    }

    /// The lock's key.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) {
    /// assert_eq!(respec::lock::blocking::Lock::new(client, "k").key(), b"k");
    /// # }
    /// ```
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The TTL set by [`ttl`](Self::ttl).
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) {
    /// let lock = respec::lock::blocking::Lock::new(client, "k");
    /// assert_eq!(lock.ttl_setting(), respec::lock::DEFAULT_TTL);
    /// # }
    /// ```
    pub fn ttl_setting(&self) -> Duration {
        self.options.ttl
    }

    /// One attempt: the guard when the lock was free, `None` when someone
    /// holds it.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// let lock = respec::lock::blocking::Lock::new(client, "lock:cron");
    /// if let Some(_guard) = lock.try_acquire()? {
    ///     // run the job; the lock is released at the end of the block
    /// }
    /// # Ok(()) }
    /// ```
    pub fn try_acquire(&self) -> Result<Option<LockGuard<C>>> {
        self.try_acquire_as(new_token())
    }

    /// [`try_acquire`](Self::try_acquire) with the caller's token (redis-py's
    /// `acquire(token=...)`): the key holds `token` while the lock is held,
    /// so the holder can be told from the key (`GET`), for example a
    /// worker's name and run. The guard extends and releases only while
    /// the key holds that token, as with a made token. Each holder should
    /// have a token of its own: two holders with one token could extend
    /// or release each other's lock. An empty token is refused with
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) before
    /// anything is sent.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// let lock = respec::lock::blocking::Lock::new(client, "lock:cron");
    /// if let Some(guard) = lock.try_acquire_with_token("worker-7:run-42")? {
    ///     assert_eq!(guard.token(), b"worker-7:run-42");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn try_acquire_with_token(&self, token: impl AsRef<[u8]>) -> Result<Option<LockGuard<C>>> {
        self.try_acquire_as(ops::given_token(&self.key, token.as_ref())?)
    }

    fn try_acquire_as(&self, token: Bytes) -> Result<Option<LockGuard<C>>> {
        let ttl = ops::millis(&self.key, self.options.ttl, "TTL")?;
        let frame = self.client.execute(&ops::set_nx(&self.key, &token, ttl))?;
        if !ops::set_reply(frame)? {
            return Ok(None);
        }
        Ok(Some(LockGuard::new(self.clone(), token)))
    }

    /// Tries until the lock is acquired, sleeping the retry interval between
    /// attempts, for at most the acquire timeout; then fails with an error
    /// of kind [`ErrorKind::LockNotAcquired`](crate::ErrorKind::LockNotAcquired)
    /// naming the key.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// use std::time::Duration;
    /// let lock = respec::lock::blocking::Lock::new(client, "lock:stock")
    ///     .acquire_timeout(Duration::from_secs(1));
    /// match lock.acquire() {
    ///     Ok(guard) => guard.release()?,
    ///     Err(e) if e.is_lock_not_acquired() => println!("busy: {e}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn acquire(&self) -> Result<LockGuard<C>> {
        self.acquire_as(new_token())
    }

    /// [`acquire`](Self::acquire) with the caller's token (redis-py's
    /// `acquire(token=...)`); see
    /// [`try_acquire_with_token`](Self::try_acquire_with_token).
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// let lock = respec::lock::blocking::Lock::new(client, "lock:stock");
    /// let guard = lock.acquire_with_token("worker-7")?;
    /// guard.release()?;
    /// # Ok(()) }
    /// ```
    pub fn acquire_with_token(&self, token: impl AsRef<[u8]>) -> Result<LockGuard<C>> {
        self.acquire_as(ops::given_token(&self.key, token.as_ref())?)
    }

    /// Tries with `token` until the lock is acquired or the timeout passes.
    fn acquire_as(&self, token: Bytes) -> Result<LockGuard<C>> {
        let timeout = self.options.acquire_timeout;
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(guard) = self.try_acquire_as(token.clone())? {
                return Ok(guard);
            }
            let mut wait = self.options.retry_interval;
            if let Some(deadline) = deadline {
                let now = Instant::now();
                if now >= deadline {
                    return Err(ops::not_acquired(&self.key, timeout));
                }
                wait = wait.min(deadline - now);
            }
            std::thread::sleep(wait);
        }
    }

    /// Whether anyone holds the lock now (`EXISTS`).
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// let lock = respec::lock::blocking::Lock::new(client, "lock:cron");
    /// if lock.locked()? {
    ///     println!("a run is in progress");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn locked(&self) -> Result<bool> {
        let frame = self.client.execute(&ops::exists(&self.key))?;
        i64::from_resp(frame)
            .map(|n| n > 0)
            .map_err(|e| e.for_command("EXISTS"))
    }
}

/// A held lock, released when dropped.
///
/// [`release`](Self::release) says whether the lock was still held;
/// dropping the guard releases it too, ignoring the outcome. The watchdog
/// thread, if any, stops with the guard.
///
/// ```no_run
/// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
/// use std::time::Duration;
/// let lock = respec::lock::blocking::Lock::new(client, "lock:batch").ttl(Duration::from_secs(5));
/// let guard = lock.acquire()?;
/// guard.extend(Duration::from_secs(5))?; // now about 10 s left
/// assert!(guard.owned()?);
/// guard.release()?;
/// # Ok(()) }
/// ```
pub struct LockGuard<C = crate::blocking::Client>
where
    C: BlockingExecutor + Send + Sync + 'static,
{
    lock: Lock<C>,
    token: Bytes,
    released: bool,
    /// Dropping it wakes the watchdog thread, which then ends.
    watchdog: Option<mpsc::Sender<()>>,
    lost: Arc<AtomicBool>,
}

impl<C> std::fmt::Debug for LockGuard<C>
where
    C: BlockingExecutor + Send + Sync + 'static,
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
    C: BlockingExecutor + Send + Sync + 'static,
{
    fn new(lock: Lock<C>, token: Bytes) -> Self {
        let lost = Arc::new(AtomicBool::new(false));
        let watchdog = lock.options.watchdog.then(|| {
            let (stop, stopped) = mpsc::channel::<()>();
            let client = lock.client.clone();
            let key = lock.key.clone();
            let token = token.clone();
            let ttl = ops::millis(&key, lock.options.ttl, "TTL").unwrap_or(1);
            let every = ops::watchdog_interval(lock.options.ttl);
            let lost = lost.clone();
            std::thread::Builder::new()
                .name("respec-lock-watchdog".into())
                .spawn(move || {
                    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                        let renew = ops::extend(&key, &token, ttl, true);
                        match run_script(&*client, &renew) {
                            Ok(true) => {}
                            Ok(false) => {
                                lost.store(true, Ordering::Relaxed);
                                return;
                            }
                            // Tried again at the next tick.
                            Err(_) => {}
                        }
                    }
                })
                .map(|_| stop)
        });
        LockGuard {
            lock,
            token,
            released: false,
            // A thread that could not start is no watchdog; `lost` stays
            // false and the lock expires after its TTL.
            watchdog: watchdog.and_then(|w| w.ok()),
            lost,
        }
    }

    /// The lock's key.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// let guard = respec::lock::blocking::Lock::new(client, "k").acquire()?;
    /// assert_eq!(guard.key(), b"k");
    /// # Ok(()) }
    /// ```
    pub fn key(&self) -> &[u8] {
        &self.lock.key
    }

    /// This acquisition's token: the value of the key while it is held.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// let guard = respec::lock::blocking::Lock::new(client, "k").acquire()?;
    /// assert_eq!(guard.token().len(), 32);
    /// # Ok(()) }
    /// ```
    pub fn token(&self) -> &[u8] {
        &self.token
    }

    /// True once the watchdog found the key no longer holding this token;
    /// always false without a watchdog.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// let lock = respec::lock::blocking::Lock::new(client, "k").watchdog(true);
    /// let guard = lock.acquire()?;
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
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// let guard = respec::lock::blocking::Lock::new(client, "k").acquire()?;
    /// assert!(guard.owned()?);
    /// # Ok(()) }
    /// ```
    pub fn owned(&self) -> Result<bool> {
        let frame = self.lock.client.execute(&ops::get(&self.lock.key))?;
        ops::owned_reply(frame, &self.token)
    }

    /// Adds `by` to the time the key has left. Fails with
    /// [`ErrorKind::LockNotOwned`](crate::ErrorKind::LockNotOwned) when the
    /// lock is no longer held with this token.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// use std::time::Duration;
    /// let guard = respec::lock::blocking::Lock::new(client, "k").acquire()?;
    /// guard.extend(Duration::from_secs(30))?;
    /// # Ok(()) }
    /// ```
    pub fn extend(&self, by: Duration) -> Result<()> {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX / 4);
        self.extend_script(ms.min(i64::MAX as u64 / 4), false, "extend")
    }

    /// Sets the time the key has left to `ttl` (redis-py's
    /// `replace_ttl=True`). Fails with
    /// [`ErrorKind::LockNotOwned`](crate::ErrorKind::LockNotOwned) when the
    /// lock is no longer held with this token, and with
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a
    /// zero `ttl`.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// use std::time::Duration;
    /// let guard = respec::lock::blocking::Lock::new(client, "k").acquire()?;
    /// guard.extend_to(Duration::from_secs(60))?;
    /// # Ok(()) }
    /// ```
    pub fn extend_to(&self, ttl: Duration) -> Result<()> {
        let ms = ops::millis(&self.lock.key, ttl, "TTL")?;
        self.extend_script(ms, true, "extend")
    }

    /// Resets the time the key has left to the lock's TTL. Fails with
    /// [`ErrorKind::LockNotOwned`](crate::ErrorKind::LockNotOwned) when the
    /// lock is no longer held with this token.
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// let guard = respec::lock::blocking::Lock::new(client, "k").acquire()?;
    /// guard.reacquire()?;
    /// # Ok(()) }
    /// ```
    pub fn reacquire(&self) -> Result<()> {
        let ms = ops::millis(&self.lock.key, self.lock.options.ttl, "TTL")?;
        self.extend_script(ms, true, "reacquire")
    }

    fn extend_script(&self, ms: u64, replace: bool, what: &str) -> Result<()> {
        let inv = ops::extend(&self.lock.key, &self.token, ms, replace);
        if run_script(&*self.lock.client, &inv)? {
            Ok(())
        } else {
            Err(ops::not_owned(&self.lock.key, what))
        }
    }

    /// Releases the lock: deletes the key if it still holds this token.
    /// Fails with [`ErrorKind::LockNotOwned`](crate::ErrorKind::LockNotOwned)
    /// when it does not, and with the client's error when the script could
    /// not run (the key then expires after its TTL).
    ///
    /// ```no_run
    /// # fn demo(client: std::sync::Arc<respec::blocking::Client>) -> respec::Result<()> {
    /// let guard = respec::lock::blocking::Lock::new(client, "k").acquire()?;
    /// if let Err(e) = guard.release() {
    ///     println!("the work ran without the lock for a while: {e}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn release(mut self) -> Result<()> {
        self.released = true;
        self.watchdog = None;
        let inv = ops::release(&self.lock.key, &self.token);
        if run_script(&*self.lock.client, &inv)? {
            Ok(())
        } else {
            Err(ops::not_owned(&self.lock.key, "release"))
        }
    }
}

impl<C> Drop for LockGuard<C>
where
    C: BlockingExecutor + Send + Sync + 'static,
{
    fn drop(&mut self) {
        self.watchdog = None;
        if !self.released {
            let inv = ops::release(&self.lock.key, &self.token);
            let _ = run_script(&*self.lock.client, &inv);
        }
    }
}
