//! The async client.

use std::sync::{Arc, Mutex};

use bytes::BytesMut;

use crate::cmd::Command;
use crate::connection::{check_required, Connection, ConnectionConfig, ResponseFuture, ServerInfo};
use crate::error::Result;
use crate::executor::AsyncExecutor;
use crate::reply::FromResp;

/// An async client: cheap to clone, one multiplexed connection shared by all
/// clones and tasks, with automatic pipelining.
///
/// Opening a client does no I/O: it connects on first use, and after the
/// connection drops, reconnects on the next command. Commands in flight when
/// a connection drops fail at once with an error for which
/// [`Error::is_connection_dropped`](crate::Error::is_connection_dropped) is
/// true; they are never silently resent.
///
/// ```no_run
/// # async fn demo() -> respec::Result<()> {
/// let client = respec::Client::open("redis://127.0.0.1:6379")?;
/// let reply = client.execute(&respec::Cmd::from_args(["PING"]).unwrap()).await?;
/// assert_eq!(reply, respec::Frame::SimpleString("PONG".into()));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

struct Shared {
    config: ConnectionConfig,
    current: Mutex<Option<Connection>>,
    /// Held while connecting, so concurrent first commands open one socket.
    connecting: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.shared.config)
            .finish()
    }
}

impl Client {
    /// A client for the server at `url` (see [`ConnectionConfig::from_url`]).
    pub fn open(url: &str) -> Result<Self> {
        Ok(Self::with_config(ConnectionConfig::from_url(url)?))
    }

    /// A client with explicit settings.
    pub fn with_config(config: ConnectionConfig) -> Self {
        Client {
            shared: Arc::new(Shared {
                config,
                current: Mutex::new(None),
                connecting: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The client's settings.
    pub fn config(&self) -> &ConnectionConfig {
        &self.shared.config
    }

    fn live(&self) -> Option<Connection> {
        let guard = self
            .shared
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        guard.as_ref().filter(|c| !c.is_closed()).cloned()
    }

    /// The live connection, connecting first if there is none.
    pub async fn connection(&self) -> Result<Connection> {
        if let Some(c) = self.live() {
            return Ok(c);
        }
        let _one_at_a_time = self.shared.connecting.lock().await;
        if let Some(c) = self.live() {
            return Ok(c);
        }
        let conn = Connection::connect(&self.shared.config).await?;
        *self
            .shared
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
        Ok(conn)
    }

    /// What the server reported during the handshake (connects if needed).
    pub async fn server_info(&self) -> Result<ServerInfo> {
        Ok(self.connection().await?.server_info().clone())
    }

    /// Sends any command and resolves to its reply frame; an error reply is
    /// an `Err` naming the command.
    pub fn execute<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        if let Some(conn) = self.live() {
            return conn.send(cmd);
        }
        // Slow path: connect first. The command is encoded now, since the
        // future must not borrow it.
        let mut out = BytesMut::with_capacity(64);
        cmd.encode(&mut out);
        let bytes = out.freeze();
        let name = cmd.name().to_string();
        let required = cmd.required_version();
        let this = self.clone();
        ResponseFuture::boxed(async move {
            let conn = this
                .connection()
                .await
                .map_err(|e| e.for_command(name.clone()))?;
            check_required(required, &name, conn.server_info())?;
            conn.send_encoded(bytes, 1, true).await
        })
    }
}

impl Client {
    /// Sends any command and converts its reply to `T` (any [`FromResp`]
    /// type). Conversion errors name the command.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// let n: i64 = client.query(&respec::Cmd::from_args(["INCR", "hits"]).unwrap()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn query<T: FromResp, C: Command + ?Sized>(&self, cmd: &C) -> Result<T> {
        let frame = self.execute(cmd).await?;
        T::from_resp(frame).map_err(|e| e.for_command(cmd.name()))
    }
}

impl AsyncExecutor for Client {
    type Future<'a> = ResponseFuture;

    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        Client::execute(self, cmd)
    }
}

impl AsyncExecutor for Connection {
    type Future<'a> = ResponseFuture;

    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> ResponseFuture {
        self.send(cmd)
    }
}
