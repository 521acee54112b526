//! Credentials that change: passwords rotated by an operator, tokens that
//! expire (cloud IAM tokens, short-lived ACL passwords).
//!
//! A [`CredentialsProvider`] set on the configuration
//! ([`ConnectionConfig::credentials`](crate::connection::ConnectionConfig::credentials),
//! [`ClientBuilder::credentials`](crate::ClientBuilder::credentials)) is
//! asked for the credentials on every connect, in place of the fixed
//! `username` and `password`. Live connections authenticate again, with
//! `AUTH` and without reconnecting, when the provider says the credentials
//! changed:
//!
//! - **a stream of updates**: the provider's [`changes`](CredentialsProvider::changes)
//!   channel ticks ([`RotatingCredentials::set`] does this);
//! - **an expiry time**: the credentials carry
//!   [`expires_at`](Credentials::expires_at), and the provider is asked
//!   again once [nine tenths](REFRESH_AT) of their lifetime has passed.
//!
//! On an async connection the `AUTH` is written by the connection's
//! driver like any request, in order with the others, so traffic does not
//! stall; the blocking client's connections send it before their next
//! command. Subscribers' connections keep the credentials they connected
//! with when the server forbids `AUTH` there (RESP2 subscribers, and the
//! blocking subscriber); they use the new ones when they reconnect. When the server refuses the new credentials, the connection is
//! retired (the next command opens a new one, whose handshake reports the
//! refusal as an [`ErrorKind::Auth`](crate::ErrorKind::Auth) error naming
//! the user).
//!
//! Passwords never appear in `Debug` or `Display` output, error messages or
//! logs: [`Credentials`] prints `password: "<redacted>"`.
//!
//! ```
//! use respec::auth::{Credentials, RotatingCredentials};
//!
//! let creds = RotatingCredentials::new(Credentials::new(Some("app"), "first-secret"));
//! let client = respec::Client::builder("redis://127.0.0.1:6379")?
//!     .credentials(creds.clone())
//!     .build();
//! // Later, after `ACL SETUSER app >second-secret` on the server:
//! creds.set(Credentials::new(Some("app"), "second-secret"));
//! assert!(!format!("{client:?}").contains("secret"));
//! # Ok::<(), respec::Error>(())
//! ```

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::error::Result;

/// A user name and password (or token), and how long they are good for.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The ACL user (`None`: the `default` user).
    pub username: Option<String>,
    password: String,
    /// When the server stops accepting them (a token's expiry); the
    /// provider is asked for new ones before then. `None`: until the
    /// provider says otherwise.
    pub expires_at: Option<Instant>,
}

impl Credentials {
    /// Credentials with no expiry.
    pub fn new(username: Option<&str>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.map(str::to_string),
            password: password.into(),
            expires_at: None,
        }
    }

    /// The same credentials, good until `at`.
    pub fn expiring_at(mut self, at: Instant) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// The password or token.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The user name as `AUTH` gives it (`default` when unset), for
    /// messages.
    pub fn user(&self) -> &str {
        self.username.as_deref().unwrap_or("default")
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// When credentials with an expiry are refreshed: once this fraction of
/// the time between getting them and their expiry has passed (nine tenths).
pub const REFRESH_AT: f64 = 0.9;

/// Where connections get their credentials (see the [module docs](self)).
///
/// One trait serves the async and the blocking clients: `credentials` is
/// a plain call, made on every connect and every re-authentication. It
/// must not wait long (it runs on the connection's task): a provider that
/// fetches tokens over the network does so in a task of its own and
/// returns the latest here.
pub trait CredentialsProvider: Send + Sync + 'static {
    /// The credentials to use now. An error fails the connect (or retires
    /// the connection re-authenticating) with that error.
    fn credentials(&self) -> Result<Credentials>;

    /// A channel whose value changes whenever [`credentials`](Self::credentials)
    /// would return something new: connections re-authenticate when it
    /// does. `None` (the default): credentials change only at their expiry.
    fn changes(&self) -> Option<watch::Receiver<u64>> {
        None
    }
}

impl CredentialsProvider for Credentials {
    fn credentials(&self) -> Result<Credentials> {
        Ok(self.clone())
    }
}

/// Credentials an application replaces at will: every connection made with
/// it re-authenticates after each [`set`](Self::set). Cheap to clone; the
/// clones share the value.
#[derive(Clone)]
pub struct RotatingCredentials {
    inner: Arc<Rotating>,
}

struct Rotating {
    current: Mutex<Credentials>,
    version: watch::Sender<u64>,
}

impl RotatingCredentials {
    /// Starts with `first`.
    pub fn new(first: Credentials) -> Self {
        RotatingCredentials {
            inner: Arc::new(Rotating {
                current: Mutex::new(first),
                version: watch::Sender::new(0),
            }),
        }
    }

    /// Replaces the credentials: new connections use these, and live ones
    /// send `AUTH` with them.
    pub fn set(&self, next: Credentials) {
        *self.inner.current.lock().unwrap_or_else(|p| p.into_inner()) = next;
        self.inner.version.send_modify(|v| *v += 1);
    }

    /// How many times [`set`](Self::set) was called.
    pub fn version(&self) -> u64 {
        *self.inner.version.borrow()
    }
}

impl std::fmt::Debug for RotatingCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let current = self
            .inner
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        f.debug_struct("RotatingCredentials")
            .field("current", &current)
            .field("version", &self.version())
            .finish()
    }
}

impl CredentialsProvider for RotatingCredentials {
    fn credentials(&self) -> Result<Credentials> {
        Ok(self
            .inner
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone())
    }

    fn changes(&self) -> Option<watch::Receiver<u64>> {
        Some(self.inner.version.subscribe())
    }
}

/// A provider as the configuration holds it: shared, compared by identity,
/// printed without its secrets.
#[derive(Clone)]
pub struct Provider(pub(crate) Arc<dyn CredentialsProvider>);

impl Provider {
    /// Wraps a provider.
    pub fn new(p: impl CredentialsProvider) -> Self {
        Provider(Arc::new(p))
    }

    /// The credentials to use now.
    pub fn credentials(&self) -> Result<Credentials> {
        self.0.credentials()
    }

    /// The provider's change channel, if it has one.
    pub fn changes(&self) -> Option<watch::Receiver<u64>> {
        self.0.changes()
    }
}

impl PartialEq for Provider {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialsProvider(<redacted>)")
    }
}

/// When to ask a provider again for credentials obtained at `got` that
/// expire at `expires_at`.
pub(crate) fn refresh_time(got: Instant, expires_at: Option<Instant>) -> Option<Instant> {
    let at = expires_at?;
    let life = at.saturating_duration_since(got);
    Some(got + life.mul_f64(REFRESH_AT).max(Duration::from_millis(1)))
}

/// What a connection remembers of its credentials: the provider, which
/// change of it it last used, and when to refresh.
pub(crate) struct Session {
    pub(crate) provider: Provider,
    pub(crate) changes: Option<watch::Receiver<u64>>,
    pub(crate) refresh_at: Option<Instant>,
}

impl Session {
    /// Starts following `provider`: fetches the credentials to connect
    /// with. The change channel is read first, so that a change made while
    /// fetching is not missed (it costs one needless `AUTH` at worst).
    pub(crate) fn start(provider: Provider) -> Result<(Credentials, Session)> {
        let mut changes = provider.changes();
        if let Some(rx) = changes.as_mut() {
            rx.mark_unchanged();
        }
        let got = Instant::now();
        let c = provider.credentials()?;
        let session = Session {
            refresh_at: refresh_time(got, c.expires_at),
            provider,
            changes,
        };
        Ok((c, session))
    }

    /// A future that resolves when the provider's change channel ticks
    /// (to `false` when the provider is gone and nothing can change any
    /// more); `None` for a provider without one.
    pub(crate) fn changed(
        &self,
    ) -> Option<std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>> {
        let mut rx = self.changes.clone()?;
        Some(Box::pin(async move { rx.changed().await.is_ok() }))
    }

    /// True when the credentials changed or are about to expire (marks the
    /// change as seen).
    pub(crate) fn due(&mut self, now: Instant) -> bool {
        let changed = self
            .changes
            .as_mut()
            .is_some_and(|rx| rx.has_changed().unwrap_or(false));
        if changed {
            if let Some(rx) = self.changes.as_mut() {
                rx.mark_unchanged();
            }
        }
        changed || self.refresh_at.is_some_and(|t| t <= now)
    }

    /// Fresh credentials to authenticate with, and when to refresh them.
    pub(crate) fn fetch(&mut self) -> Result<Credentials> {
        let c = self.provider.credentials()?;
        self.refresh_at = refresh_time(Instant::now(), c.expires_at);
        Ok(c)
    }
}

/// The credentials a new connection authenticates with: from the
/// provider when there is one (and the session that follows it), else the
/// configuration's fixed ones.
pub(crate) fn for_connect(
    cfg: &crate::connection::ConnectionConfig,
) -> Result<(Option<Credentials>, Option<Session>)> {
    match &cfg.credentials {
        Some(p) => {
            let (c, s) = Session::start(p.clone())?;
            Ok((Some(c), Some(s)))
        }
        None => Ok((
            cfg.password
                .as_ref()
                .map(|pw| Credentials::new(cfg.username.as_deref(), pw.as_str())),
            None,
        )),
    }
}

/// The `AUTH` command for `c`.
pub(crate) fn auth_command(c: &Credentials) -> crate::Cmd {
    let mut auth = crate::Cmd::new("AUTH");
    if let Some(user) = &c.username {
        auth.arg(user.as_str());
    }
    auth.arg(c.password());
    auth
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug() {
        let c = Credentials::new(Some("app"), "hunter2-secret");
        let r = RotatingCredentials::new(c.clone());
        for text in [
            format!("{c:?}"),
            format!("{r:?}"),
            format!("{:?}", Provider::new(r.clone())),
        ] {
            assert!(!text.contains("hunter2"), "{text}");
        }
        assert!(format!("{c:?}").contains("app"));
    }

    #[test]
    fn rotation_ticks_the_session() {
        let r = RotatingCredentials::new(Credentials::new(None, "a"));
        let (_, mut s) = Session::start(Provider::new(r.clone())).unwrap();
        assert!(!s.due(Instant::now()));
        r.set(Credentials::new(Some("u"), "b"));
        assert!(s.due(Instant::now()));
        assert!(!s.due(Instant::now()));
        assert_eq!(s.fetch().unwrap().password(), "b");
        assert_eq!(r.version(), 1);
    }

    #[test]
    fn expiry_schedules_a_refresh() {
        let now = Instant::now();
        let at = refresh_time(now, Some(now + Duration::from_secs(100))).unwrap();
        assert_eq!(at, now + Duration::from_secs(90));
        assert_eq!(refresh_time(now, None), None);
        let c = Credentials::new(None, "a").expiring_at(Instant::now() + Duration::from_secs(10));
        let (_, mut s) = Session::start(Provider::new(c)).unwrap();
        assert!(!s.due(Instant::now()));
        assert!(s.due(Instant::now() + Duration::from_secs(10)));
    }
}
