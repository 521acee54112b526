//! Tracking on RESP2: the invalidations of a tracked connection go to a
//! second connection, subscribed to `__redis__:invalidate`
//! (`CLIENT TRACKING ON REDIRECT <its id>`), and the fence that keeps "a
//! write by another client invalidates within one round trip" true when
//! they come on a connection of their own (see the module docs of
//! [`crate::cache`], "Protocol").

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::{Cache, INVALIDATIONS};
use crate::connection::sync::Connection as SyncConnection;
use crate::connection::{Connection, ConnectionConfig, Protocol, PushPublisher};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::Frame;
use crate::Cmd;

/// The async client's redirect connection, opened when a RESP2 shared
/// connection needs one, and the fence its replies wait on.
pub(crate) struct Redirect {
    cache: Arc<Cache>,
    /// The client's settings (the redirect connection uses them too).
    config: ConnectionConfig,
    /// The client's push channel: the redirect connection publishes its
    /// messages there, which is how the cache sees them.
    pushes: PushPublisher,
    /// The redirect connection and its id on the server; opened by one
    /// caller at a time.
    slot: tokio::sync::Mutex<Option<(Connection, i64)>>,
    /// The same connection, for the fence's `PING`s.
    current: Mutex<Option<Connection>>,
    /// Whether replies wait on the fence: the shared connection speaks
    /// RESP2 (configured, or answered so).
    active: AtomicBool,
    fence: Mutex<FenceState>,
    /// The number of the last fence `PING` answered (or failed).
    passed: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redirect")
            .field("active", &self.active.load(Ordering::Relaxed))
            .finish()
    }
}

/// The fence's `PING`s: at most one in flight, and whether a later one is
/// wanted.
#[derive(Debug, Default)]
struct FenceState {
    /// The number of the last `PING` sent.
    sent: u64,
    /// The highest number a waiter needs.
    wanted: u64,
    in_flight: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Redirect {
    /// The redirect side of a caching client; its fence is on from the
    /// start when the client is configured for RESP2.
    pub(crate) fn new(cache: Arc<Cache>, config: ConnectionConfig, pushes: PushPublisher) -> Self {
        let active = config.protocol == Protocol::Resp2;
        Redirect {
            cache,
            config,
            pushes,
            slot: tokio::sync::Mutex::new(None),
            current: Mutex::new(None),
            active: AtomicBool::new(active),
            fence: Mutex::new(FenceState::default()),
            passed: tokio::sync::watch::channel(0).0,
        }
    }

    /// Whether the client's replies wait on the fence.
    #[inline]
    pub(crate) fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Turns tracking on for the RESP2 connection `data`, redirected to the
    /// live redirect connection (opened first when there is none).
    pub(crate) async fn track(&self, cache: &Cache, data: &Connection) -> Result<()> {
        self.active.store(true, Ordering::Relaxed);
        let (redirect, id) = self.open().await?;
        data.send(&cache.mode.redirect_command(id)).await?;
        if !cache.bind(data, redirect) {
            return Err(Error::new(
                ErrorKind::ConnectionClosed,
                "the client-side cache's redirect connection closed while tracking was being \
                 turned on",
            )
            .unsent());
        }
        Ok(())
    }

    /// The live redirect connection's local and server ids, opening one
    /// when there is none.
    async fn open(&self) -> Result<(u64, i64)> {
        let mut slot = self.slot.lock().await;
        if let Some((conn, id)) = slot.as_ref() {
            if !conn.is_closed() && self.cache.is_redirect(conn.id()) {
                return Ok((conn.id(), *id));
            }
        }
        *slot = None;
        let conn = Connection::connect_subscriber_publishing(&self.config, &self.pushes).await?;
        let id = match conn.send(&client_id()).await? {
            Frame::Integer(id) => id,
            other => {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!("CLIENT ID answered {}", other.kind()),
                ))
            }
        };
        let mut subscribe = bytes::BytesMut::new();
        crate::Command::encode(&subscribe_invalidations(), &mut subscribe);
        conn.send_encoded(subscribe.freeze(), 0, false).await?;
        // Its answer comes after the confirmation (which goes to the push
        // channel); a refused SUBSCRIBE is the error it gets instead.
        conn.send(&Cmd::new("PING"))
            .await
            .map_err(|e| e.for_command("SUBSCRIBE"))?;
        if !self.cache.set_redirect(&conn) {
            return Err(Error::new(
                ErrorKind::ConnectionClosed,
                "the client-side cache's redirect connection closed as it opened",
            ));
        }
        *lock(&self.current) = Some(conn.clone());
        let ids = (conn.id(), id);
        *slot = Some((conn, id));
        Ok(ids)
    }

    /// Waits until the redirect connection has been read past a `PING`
    /// sent after this call began: every invalidation the server wrote
    /// before it read that `PING` is applied (or, when the redirect
    /// connection failed, everything was dropped).
    pub(crate) async fn pass(self: &Arc<Self>) {
        let need = {
            let mut st = lock(&self.fence);
            if st.in_flight {
                st.wanted = st.sent + 1;
                st.wanted
            } else {
                st.sent += 1;
                st.in_flight = true;
                tokio::spawn(self.clone().run_fence(st.sent));
                st.sent
            }
        };
        let mut passed = self.passed.subscribe();
        // The sender lives as long as `self`.
        let _ = passed.wait_for(|&p| p >= need).await;
    }

    /// Sends fence `PING` number `n`, and the next ones as long as waiters
    /// want them.
    async fn run_fence(self: Arc<Self>, mut n: u64) {
        loop {
            self.fence_ping().await;
            self.passed.send_replace(n);
            let mut st = lock(&self.fence);
            if st.wanted > n {
                n = st.wanted;
                st.sent = n;
            } else {
                st.in_flight = false;
                return;
            }
        }
    }

    /// One round trip on the redirect connection; when it fails, the
    /// redirect connection is taken as ended (everything is dropped).
    async fn fence_ping(&self) {
        let conn = lock(&self.current).clone();
        let Some(conn) = conn else {
            // Never opened, or replaced: nothing was cached through it
            // that its end did not drop.
            return;
        };
        if conn.is_closed() || conn.send(&Cmd::new("PING")).await.is_err() {
            self.cache.redirect_ended(conn.id());
        }
    }
}

/// The blocking client's tracked connection: on RESP3 alone, on RESP2
/// with its redirect connection.
pub(crate) struct Tracked {
    pub(crate) data: SyncConnection,
    redirect: Option<SyncConnection>,
}

impl Tracked {
    /// Opens the tracked connection (and on RESP2 the redirect one first)
    /// with `open`, and turns tracking on.
    pub(crate) fn open(cache: &Cache, open: impl Fn() -> Result<SyncConnection>) -> Result<Self> {
        let mut data = open()?;
        if data.server_info().protocol == Protocol::Resp3 {
            cache.start_tracking_sync(&mut data)?;
            return Ok(Tracked {
                data,
                redirect: None,
            });
        }
        let mut redirect = open()?;
        let id = match redirect.send(&client_id())? {
            Frame::Integer(id) => id,
            other => {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!("CLIENT ID answered {}", other.kind()),
                ))
            }
        };
        // The confirmation is the reply; messages after it are pushes.
        redirect.send(&subscribe_invalidations())?;
        redirect.route_pubsub_arrays();
        data.send(&cache.mode.redirect_command(id))?;
        // The data connection's end drops everything; the redirect
        // connection ends with it (a failure of either drops both).
        cache.now_tracking(data.id());
        Ok(Tracked {
            data,
            redirect: Some(redirect),
        })
    }

    /// Applies the invalidations that reached the sockets; false when a
    /// connection failed, or one idle too long does not answer a `PING`
    /// (the pair must then be replaced).
    pub(crate) fn refresh(&mut self) -> bool {
        if let Some(r) = self.redirect.as_mut() {
            if r.read_arrived_pushes().is_err() || !r.healthy_after_idle() {
                return false;
            }
        }
        self.data.read_arrived_pushes().is_ok() && self.data.healthy_after_idle()
    }

    /// After a round trip on the data connection: on RESP2, one on the
    /// redirect connection, so that every invalidation the server wrote
    /// before the data connection's reply is applied. False when the
    /// redirect connection failed.
    pub(crate) fn fence(&mut self, limit: Option<Duration>) -> bool {
        match self.redirect.as_mut() {
            None => true,
            Some(r) => r.send_within(&Cmd::new("PING"), limit).is_ok(),
        }
    }

    /// Whether either connection is broken.
    pub(crate) fn is_broken(&self) -> bool {
        self.data.is_broken() || self.redirect.as_ref().is_some_and(|r| r.is_broken())
    }
}

/// `CLIENT ID`.
fn client_id() -> Cmd {
    let mut cmd = Cmd::new("CLIENT");
    cmd.arg("ID");
    cmd
}

/// `SUBSCRIBE __redis__:invalidate`.
fn subscribe_invalidations() -> Cmd {
    let mut cmd = Cmd::new("SUBSCRIBE");
    cmd.arg(INVALIDATIONS);
    cmd
}
