//! Optimistic `WATCH` transactions on a cluster: on a dedicated connection
//! to the primary of the keys' one slot.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::client::{ClusterClient, Inner};
use super::pipeline::transaction_slot;
use super::redirect::Redirect;
use super::route::{route, Route};
use crate::client::run_pipeline_on;
use crate::cmd::Cmd;
use crate::connection::Connection;
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::{Pipeline, Replies};
use crate::pool::PooledConnection;
use crate::reply::FromResp;
use crate::resp::{Frame, ToArg};

impl ClusterClient {
    /// Runs an optimistic `WATCH` transaction on the cluster, retrying on
    /// conflict: the cluster form of [`Client::transaction`](crate::Client::transaction).
    ///
    /// Every watched key must be in one hash slot (use a hash tag), and so
    /// must every key of the transaction `build` returns: both are checked
    /// before anything is sent, with an [`ErrorKind::InvalidInput`] error
    /// otherwise. The transaction runs on a dedicated connection to the
    /// primary of that slot, which `build` receives to read current values.
    /// When a watched key changed in between, `EXEC` runs nothing and the
    /// cycle starts again, at most `max_attempts` times (then the error's
    /// kind is [`ErrorKind::TransactionAborted`]). When the slot moved
    /// (`MOVED` to `WATCH`, or to a command of the transaction, which then
    /// runs nothing), the cycle starts again on the slot's new owner; this
    /// does not count as an attempt but is bounded by
    /// [`ClusterConfig::max_redirects`](super::ClusterConfig::max_redirects).
    ///
    /// ```no_run
    /// # async fn demo(cluster: respec::cluster::ClusterClient) -> respec::Result<()> {
    /// use respec::commands::{get, set};
    /// use respec::prelude::*;
    ///
    /// let (n,): (i64,) = cluster
    ///     .transaction(&["{acct:1}:balance"], 100, |conn| async move {
    ///         let balance: i64 = conn.get("{acct:1}:balance").reply::<Option<i64>>().await?.unwrap_or(0);
    ///         let mut tx = Pipeline::atomic();
    ///         tx.add(set("{acct:1}:balance", balance + 10));
    ///         tx.add(set("{acct:1}:last", "deposit"));
    ///         tx.add(get("{acct:1}:balance"));
    ///         Ok(tx)
    ///     })
    ///     .await
    ///     .map(|((), (), n): ((), (), i64)| (n,))?;
    /// # let _ = n;
    /// # Ok(()) }
    /// ```
    pub async fn transaction<K, F, Fut, T>(
        &self,
        keys: &[K],
        max_attempts: usize,
        mut build: F,
    ) -> Result<T>
    where
        K: ToArg,
        F: FnMut(Connection) -> Fut,
        Fut: Future<Output = Result<Pipeline>>,
        T: FromResp,
    {
        let (pipe, results, ()) = self
            .watch_loop(keys, max_attempts, |conn| {
                let built = build(conn);
                async move { built.await.map(|p| (p, ())) }
            })
            .await?;
        pipe.convert(results)
    }

    /// [`transaction`](Self::transaction) with typed replies: `build`
    /// returns the atomic pipeline and what it wants back (the
    /// [`Handle`](crate::pipeline::Handle)s it pushed); the result is the
    /// [`Replies`] of the run that committed, with that value.
    ///
    /// ```no_run
    /// # async fn demo(cluster: respec::cluster::ClusterClient) -> respec::Result<()> {
    /// use respec::commands::{incrby, set};
    /// use respec::prelude::*;
    ///
    /// let (mut replies, total) = cluster
    ///     .transact(&["{c}:n"], 100, |conn| async move {
    ///         let current: i64 = conn.get("{c}:n").reply::<Option<i64>>().await?.unwrap_or(0);
    ///         let mut tx = Pipeline::atomic();
    ///         tx.add(set("{c}:n", current * 2));
    ///         let total = tx.push(incrby("{c}:n", 1));
    ///         Ok((tx, total))
    ///     })
    ///     .await?;
    /// let total: i64 = replies.take(total)?;
    /// # let _ = total;
    /// # Ok(()) }
    /// ```
    pub async fn transact<K, F, Fut, H>(
        &self,
        keys: &[K],
        max_attempts: usize,
        build: F,
    ) -> Result<(Replies, H)>
    where
        K: ToArg,
        F: FnMut(Connection) -> Fut,
        Fut: Future<Output = Result<(Pipeline, H)>>,
    {
        let (pipe, results, handles) = self.watch_loop(keys, max_attempts, build).await?;
        Ok((pipe.replies(results), handles))
    }

    /// WATCH, build, run on the slot's primary; again while a watched key
    /// changed, and on the new owner when the slot moved.
    async fn watch_loop<K, F, Fut, H>(
        &self,
        keys: &[K],
        max_attempts: usize,
        mut build: F,
    ) -> Result<(Pipeline, Vec<Result<Frame>>, H)>
    where
        K: ToArg,
        F: FnMut(Connection) -> Fut,
        Fut: Future<Output = Result<(Pipeline, H)>>,
    {
        let mut watch = Cmd::new("WATCH");
        watch.args(keys);
        let slot = watched_slot(&watch, keys.len())?;
        let inner = self.inner.clone();
        inner.ensure_map().await?;
        let mut attempts = 0;
        let mut redirects = 0;
        let mut delay = self.config().retry_delay;
        let mut conn: Option<(super::NodeAddr, PooledConnection)> = None;
        loop {
            let Some(addr) = inner.map().primary(slot).cloned() else {
                let seen = inner.generation();
                inner.refresh(seen).await?;
                redirects += 1;
                if redirects > inner.max_redirects() {
                    return Err(no_owner(slot));
                }
                continue;
            };
            let mut c = match conn.take() {
                Some((at, c)) if at == addr && !c.is_closed() => c,
                _ => inner.pool(&addr).get().await?,
            };
            if let Err(e) = c.send(&watch).await {
                redirected(&inner, &e, &mut redirects, &mut delay).await?;
                continue;
            }
            let (mut pipe, handles) = match build(Connection::clone(&c)).await {
                Ok(built) => built,
                Err(e) => {
                    unwatch(&mut c).await;
                    return Err(e);
                }
            };
            pipe.make_atomic();
            match transaction_slot(&pipe) {
                Ok(Some(s)) if s != slot => {
                    unwatch(&mut c).await;
                    return Err(slot_mismatch(s, slot));
                }
                Ok(_) => {}
                Err(e) => {
                    unwatch(&mut c).await;
                    return Err(e);
                }
            }
            match run_pipeline_on(&c, &pipe).await {
                Ok(results) => {
                    // EXEC answered: nothing is watched any more.
                    c.mark_clean();
                    return Ok((pipe, results, handles));
                }
                Err(e) if e.kind() == &ErrorKind::TransactionAborted => {
                    c.mark_clean();
                    attempts += 1;
                    if attempts >= max_attempts.max(1) {
                        return Err(gave_up(attempts));
                    }
                    conn = Some((addr, c));
                }
                Err(e) => {
                    // Discarded (EXECABORT) because a command was
                    // redirected: nothing ran, so the cycle starts again
                    // where the slot is now. Anything else is the caller's.
                    let Some(redirect) = redirect_inside(&e) else {
                        c.discard();
                        return Err(e);
                    };
                    c.mark_clean();
                    if let Redirect::Moved { slot, to } = &redirect {
                        inner.note_moved(*slot, to);
                    }
                    redirects += 1;
                    if redirects > inner.max_redirects() {
                        return Err(e);
                    }
                    if !matches!(redirect, Redirect::Moved { .. }) {
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(1));
                    }
                }
            }
        }
    }
}

/// The error when the transaction's keys are in another slot (`s`) than
/// the watched ones.
pub(super) fn slot_mismatch(s: u16, slot: u16) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!(
            "the transaction's keys are in slot {s}, the watched keys in slot {slot}: a \
             cluster transaction runs on one node, so every key must be in one hash slot \
             (use a hash tag)"
        ),
    )
    .for_command("MULTI")
}

/// The error when watched keys kept changing for `attempts` attempts.
pub(super) fn gave_up(attempts: usize) -> Error {
    Error::new(
        ErrorKind::TransactionAborted,
        format!("watched keys kept changing; gave up after {attempts} attempts"),
    )
    .for_command("EXEC")
}

/// The one slot of the watched keys, checked before anything is sent.
pub(super) fn watched_slot(watch: &Cmd, keys: usize) -> Result<u16> {
    if keys == 0 {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "a cluster transaction needs at least one key to watch: its slot says which \
             node runs it",
        )
        .for_command("WATCH"));
    }
    match route(watch) {
        Ok(Route::Slot { slot, .. }) => Ok(slot),
        Ok(other) => Err(Error::new(
            ErrorKind::InvalidInput,
            format!("the watched keys route as {other:?}, not to one slot"),
        )
        .for_command("WATCH")),
        Err(e) => Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the watched keys are in different hash slots (CROSSSLOT): a cluster \
                 transaction runs on one node, so put them in one slot with a hash tag ({e})"
            ),
        )
        .for_command("WATCH")),
    }
}

/// After `WATCH` failed: a redirect is noted (and waited on when the slot
/// is being moved or the cluster is down) within the bound; anything else
/// is the caller's error.
async fn redirected(
    inner: &Arc<Inner>,
    e: &Error,
    redirects: &mut usize,
    delay: &mut Duration,
) -> Result<()> {
    let Some(redirect) = Redirect::from_error(e) else {
        return Err(e.duplicate());
    };
    *redirects += 1;
    if *redirects > inner.max_redirects() {
        return Err(e.duplicate());
    }
    match redirect {
        Redirect::Moved { slot, to } => inner.note_moved(slot, &to),
        // ASK: the slot is being migrated, and a transaction cannot follow
        // a key half-way; TRYAGAIN, CLUSTERDOWN: wait and start again.
        _ => {
            tokio::time::sleep(*delay).await;
            *delay = (*delay * 2).min(Duration::from_secs(1));
            let seen = inner.generation();
            let _ = inner.refresh(seen).await;
        }
    }
    Ok(())
}

/// The redirect that made the server discard a transaction (`EXECABORT`
/// naming a command answered `MOVED`, `ASK`, `TRYAGAIN` or `CLUSTERDOWN`).
pub(super) fn redirect_inside(e: &Error) -> Option<Redirect> {
    if let Some(r) = Redirect::from_error(e) {
        return Some(r);
    }
    let ErrorKind::Server { code, message } = e.kind() else {
        return None;
    };
    if code != "EXECABORT" {
        return None;
    }
    let reason = message.split("was rejected: ").nth(1)?;
    Redirect::from_error(&Error::from_server_reply(reason.as_bytes()))
}

async fn unwatch(conn: &mut PooledConnection) {
    if conn.send(&Cmd::new("UNWATCH")).await.is_err() {
        conn.discard();
    }
}

pub(super) fn no_owner(slot: u16) -> Error {
    Error::new(
        ErrorKind::ConnectionClosed,
        format!("no node serves slot {slot}"),
    )
    .for_command("WATCH")
}
