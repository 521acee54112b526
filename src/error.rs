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
