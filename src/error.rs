//! The client's error type.
//!
//! [`Error`] is one pointer wide (its details are boxed) so that
//! `Result<T, Error>` stays small on hot paths. Callers classify an error
//! through [`Error::kind`] and predicates such as [`Error::is_timeout`].

use std::fmt;

use crate::resp::ProtocolError;

/// A `Result` whose error is respec's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to a server.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    /// The command the error belongs to, when there is one.
    command: Option<String>,
    detail: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    /// Set when the request was certainly never written to a server (the
    /// connection failed before it was sent, or could not be opened).
    unsent: bool,
}

/// The class of an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading from or writing to the socket failed.
    Io,
    /// The server sent bytes that are not valid RESP (see [`ProtocolError`]).
    Protocol,
    /// The server answered with an error reply. `code` is its first word
    /// (`ERR`, `WRONGTYPE`, `MOVED`, `NOSCRIPT`, ...).
    Server {
        /// The error code: the first word of the message.
        code: String,
        /// The whole message, code included.
        message: String,
    },
    /// No reply (or no connection) within the configured time.
    Timeout,
    /// The server refused the credentials.
    Auth,
    /// The connection was closed, by the server or because of an earlier error.
    ConnectionClosed,
    /// The URL or a configuration value is invalid.
    InvalidConfig,
    /// A command's arguments are invalid (for example an empty list where
    /// the command needs at least one key); nothing was sent.
    InvalidInput,
    /// A reply could not be converted to the requested type.
    Conversion,
    /// The command or an argument is newer than the connected server.
    Unsupported,
    /// TLS setup or handshake failed.
    Tls,
    /// `EXEC` ran nothing because a watched key changed.
    TransactionAborted,
    /// A [lock](crate::lock) was held by another holder for the whole
    /// acquire timeout; the detail names the key.
    LockNotAcquired,
    /// A [lock](crate::lock) operation (release, extend, reacquire) found
    /// the key no longer holding this holder's token: the lock expired, or
    /// another holder has it. Nothing was changed; the detail names the key.
    LockNotOwned,
}

impl Error {
    /// An error of the given kind with a human-readable detail.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                command: None,
                detail: Some(detail.into()),
                source: None,
                unsent: false,
            }),
        }
    }

    pub(crate) fn with_source(
        kind: ErrorKind,
        detail: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        let mut e = Error::new(kind, detail);
        e.inner.source = Some(Box::new(source));
        e
    }

    /// Adds a hint to the detail (what the user may do about it).
    pub(crate) fn with_hint(mut self, hint: &str) -> Self {
        self.inner.detail = Some(match self.inner.detail.take() {
            Some(d) => format!("{d} ({hint})"),
            None => hint.to_string(),
        });
        self
    }

    /// Builds the error for a server error reply (`-ERR ...` or `!...`).
    pub fn from_server_reply(message: &[u8]) -> Self {
        let message = String::from_utf8_lossy(message).into_owned();
        let code = message.split(' ').next().unwrap_or_default().to_string();
        Error {
            inner: Box::new(Inner {
                kind: ErrorKind::Server { code, message },
                command: None,
                detail: None,
                source: None,
                unsent: false,
            }),
        }
    }

    /// A copy of this error without its source, for reporting one failure
    /// to every request it affects.
    pub(crate) fn duplicate(&self) -> Self {
        Error {
            inner: Box::new(Inner {
                kind: self.inner.kind.clone(),
                command: self.inner.command.clone(),
                detail: self.inner.detail.clone(),
                source: None,
                unsent: self.inner.unsent,
            }),
        }
    }

    /// Names the command this error belongs to (shown in `Display`).
    pub fn for_command(mut self, command: impl Into<String>) -> Self {
        if self.inner.command.is_none() {
            self.inner.command = Some(command.into());
        }
        self
    }

    /// The class of the error.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// The command the error belongs to, if known.
    pub fn command(&self) -> Option<&str> {
        self.inner.command.as_deref()
    }

    /// The server's error code (`WRONGTYPE`, `MOVED`, ...), for server errors.
    pub fn code(&self) -> Option<&str> {
        match &self.inner.kind {
            ErrorKind::Server { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when no reply or connection came within the configured time.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// True for socket-level failures.
    pub fn is_io_error(&self) -> bool {
        self.inner.kind == ErrorKind::Io
    }

    /// True when the connection is gone (closed, broken, or a protocol error
    /// forced it shut): the command may be retried on a new connection.
    pub fn is_connection_dropped(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::Io | ErrorKind::ConnectionClosed | ErrorKind::Protocol
        )
    }

    /// Marks the error as one met before the request was written (a
    /// connection that could not be opened, or that was already closed),
    /// so that resending it is safe whatever the command
    /// ([`is_unsent`](Self::is_unsent)).
    pub(crate) fn unsent(mut self) -> Self {
        self.inner.unsent = true;
        self
    }

    /// True when the request was certainly never written to a server: the
    /// connection could not be opened, or was closed before the request
    /// went out. Such a command ran nowhere, so resending it is safe even
    /// for a write.
    pub fn is_unsent(&self) -> bool {
        self.inner.unsent
    }

    /// True when the server refused the credentials
    /// ([`ErrorKind::Auth`]): at connect time, or when a live connection
    /// re-authenticated with rotated credentials. The message names the
    /// user, never the password.
    pub fn is_auth_error(&self) -> bool {
        self.inner.kind == ErrorKind::Auth
    }

    /// True for `LOADING`: the server is loading its dataset and runs
    /// nothing yet; the command was not run.
    pub fn is_loading(&self) -> bool {
        self.code() == Some("LOADING")
    }

    /// True for `BUSY`: a script or function is running too long and the
    /// server refuses other commands; the command was not run.
    pub fn is_busy(&self) -> bool {
        self.code() == Some("BUSY")
    }

    /// True for `MASTERDOWN`: a replica lost its link to the master and
    /// refuses to serve (`replica-serve-stale-data no`); the command was not run.
    pub fn is_master_down(&self) -> bool {
        self.code() == Some("MASTERDOWN")
    }

    /// True for `TRYAGAIN` (cluster): the keys of a multi-key command are
    /// split by a slot migration; the command was not run.
    pub fn is_try_again(&self) -> bool {
        self.code() == Some("TRYAGAIN")
    }

    /// True for `CLUSTERDOWN` (cluster): the cluster cannot serve the
    /// slot now; the command was not run.
    pub fn is_cluster_down(&self) -> bool {
        self.code() == Some("CLUSTERDOWN")
    }

    /// True for `READONLY`: a write reached a replica (after a failover,
    /// the old master); the command was not run.
    pub fn is_read_only(&self) -> bool {
        self.code() == Some("READONLY")
    }

    /// True for `MOVED` (cluster): the slot lives on another node
    /// ([`redirect`](Self::redirect) says where); the command was not run.
    pub fn is_moved(&self) -> bool {
        self.code() == Some("MOVED")
    }

    /// True for `ASK` (cluster): the slot is migrating and the key is at
    /// the node [`redirect`](Self::redirect) names; the command was not run.
    pub fn is_ask(&self) -> bool {
        self.code() == Some("ASK")
    }

    /// True for the server's refusals that mean the command was not run
    /// and may succeed if sent again later, without any other change:
    /// `LOADING`, `BUSY`, `MASTERDOWN`, `TRYAGAIN`, `CLUSTERDOWN` and
    /// `READONLY` (not `MOVED` or `ASK`, which want the command sent
    /// elsewhere). The retry policy resends these whatever the command
    /// ([`RetryPolicy`](crate::retry::RetryPolicy)).
    pub fn is_transient_refusal(&self) -> bool {
        matches!(
            self.code(),
            Some("LOADING" | "BUSY" | "MASTERDOWN" | "TRYAGAIN" | "CLUSTERDOWN" | "READONLY")
        )
    }

    /// True for an error reply from the server.
    pub fn is_server_error(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Server { .. })
    }

    /// True when a transaction ran nothing because a `WATCH`ed key changed
    /// (`EXEC` answered nil): the whole transaction's outcome, to retry,
    /// rather than any command's error.
    pub fn is_transaction_aborted(&self) -> bool {
        self.inner.kind == ErrorKind::TransactionAborted
    }

    /// True when a [lock](crate::lock) could not be acquired within its
    /// acquire timeout ([`ErrorKind::LockNotAcquired`]).
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// match respec::lock::Lock::new(client, "lock:job").acquire().await {
    ///     Ok(guard) => guard.release().await?,
    ///     Err(e) if e.is_lock_not_acquired() => println!("busy: {e}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_lock_not_acquired(&self) -> bool {
        self.inner.kind == ErrorKind::LockNotAcquired
    }

    /// True when a [lock](crate::lock) release or extension was refused
    /// because the lock is no longer held with this token
    /// ([`ErrorKind::LockNotOwned`]).
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let guard = respec::lock::Lock::new(client, "lock:job").acquire().await?;
    /// // ... work that may outlast the lock's TTL ...
    /// if let Err(e) = guard.release().await {
    ///     assert!(e.is_lock_not_owned(), "{e}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_lock_not_owned(&self) -> bool {
        self.inner.kind == ErrorKind::LockNotOwned
    }

    /// For `MOVED` and `ASK` errors: the slot and the `host:port` to go to.
    pub fn redirect(&self) -> Option<(u16, &str)> {
        match &self.inner.kind {
            ErrorKind::Server { code, message } if code == "MOVED" || code == "ASK" => {
                let mut parts = message.split(' ').skip(1);
                let slot = parts.next()?.parse().ok()?;
                Some((slot, parts.next()?))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(cmd) = &self.inner.command {
            write!(f, "{cmd}: ")?;
        }
        match &self.inner.kind {
            ErrorKind::Server { message, .. } => f.write_str(message)?,
            kind => {
                let what = match kind {
                    ErrorKind::Io => "I/O error",
                    ErrorKind::Protocol => "protocol error",
                    ErrorKind::Timeout => "timed out",
                    ErrorKind::Auth => "authentication failed",
                    ErrorKind::ConnectionClosed => "connection closed",
                    ErrorKind::InvalidConfig => "invalid configuration",
                    ErrorKind::InvalidInput => "invalid arguments",
                    ErrorKind::Conversion => "unexpected reply",
                    ErrorKind::Unsupported => "not supported by the server",
                    ErrorKind::Tls => "TLS error",
                    ErrorKind::TransactionAborted => "transaction aborted",
                    ErrorKind::LockNotAcquired => "lock not acquired",
                    ErrorKind::LockNotOwned => "lock not owned",
                    ErrorKind::Server { .. } => "server error",
                };
                f.write_str(what)?;
                if let Some(d) = &self.inner.detail {
                    write!(f, ": {d}")?;
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind);
        if let Some(c) = &self.inner.command {
            d.field("command", c);
        }
        if let Some(x) = &self.inner.detail {
            d.field("detail", x);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl Error {
    /// An I/O error met while connecting to `addr`.
    pub(crate) fn connect(addr: impl std::fmt::Display, e: std::io::Error) -> Self {
        let mut err = Error::from(e);
        let detail = err.inner.detail.take().unwrap_or_default();
        err.inner.detail = Some(format!("could not connect to {addr}: {detail}"));
        err
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let kind = match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => ErrorKind::Timeout,
            _ => ErrorKind::Io,
        };
        let detail = e.to_string();
        Error::with_source(kind, detail, e)
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        let detail = e.to_string();
        Error::with_source(ErrorKind::Protocol, detail, e)
    }
}

/// Turns an error frame into an [`Error`]; other frames pass through.
#[allow(dead_code)]
pub(crate) fn check_reply(frame: crate::resp::Frame) -> Result<crate::resp::Frame> {
    match frame.error_message() {
        Some(m) => Err(Error::from_server_reply(m)),
        None => Ok(frame),
    }
}

// `Result<T, Error>` stays one pointer wider than `T` at most.
const _: () = assert!(std::mem::size_of::<Error>() == std::mem::size_of::<usize>());
