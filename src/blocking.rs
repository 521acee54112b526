//! The blocking client.

use std::sync::Mutex;

use crate::cmd::Command;
use crate::connection::sync::Connection;
use crate::connection::{ConnectionConfig, ServerInfo};
use crate::error::Result;
use crate::executor::BlockingExecutor;
use crate::reply::FromResp;
use crate::resp::Frame;

/// A blocking client over one `std::net` connection.
///
/// It can be shared between threads (commands from different threads take
/// turns on the connection). It connects on first use and, after the
/// connection breaks, reconnects on the next command.
///
/// ```no_run
/// let client = respec::blocking::Client::open("redis://127.0.0.1:6379")?;
/// let reply = client.execute(&respec::Cmd::from_args(["PING"]).unwrap())?;
/// assert_eq!(reply, respec::Frame::SimpleString("PONG".into()));
/// # Ok::<(), respec::Error>(())
/// ```
pub struct Client {
    config: ConnectionConfig,
    conn: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
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
            config,
            conn: Mutex::new(None),
        }
    }

    /// The client's settings.
    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// Runs `f` on the live connection, connecting first if needed.
    pub fn with_connection<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let conn = match guard.take() {
            Some(conn) if !conn.is_broken() => guard.insert(conn),
            _ => guard.insert(Connection::connect(&self.config)?),
        };
        f(conn)
    }

    /// What the server reported during the handshake (connects if needed).
    pub fn server_info(&self) -> Result<ServerInfo> {
        self.with_connection(|c| Ok(c.server_info().clone()))
    }

    /// Sends any command and returns its reply frame; an error reply is an
    /// `Err` naming the command.
    pub fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        self.with_connection(|c| c.send(cmd))
            .map_err(|e| e.for_command(cmd.name()))
    }

    /// Sends any command and converts its reply to `T` (any [`FromResp`]
    /// type). Conversion errors name the command.
    pub fn query<T: FromResp, C: Command + ?Sized>(&self, cmd: &C) -> Result<T> {
        let frame = self.execute(cmd)?;
        T::from_resp(frame).map_err(|e| e.for_command(cmd.name()))
    }

    /// Sends the commands in one write and returns every reply in order,
    /// error replies included as frames.
    pub fn pipeline<C: Command>(&self, cmds: &[C]) -> Result<Vec<Frame>> {
        self.with_connection(|c| c.send_pipeline(cmds))
    }
}

impl BlockingExecutor for Client {
    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        Client::execute(self, cmd)
    }
}
