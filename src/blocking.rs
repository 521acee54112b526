//! The blocking client.

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;

use crate::cmd::{Cmd, Command};
use crate::connection::sync::Connection;
use crate::connection::{ConnectionConfig, ServerInfo};
use crate::error::Result;
use crate::error::{Error, ErrorKind};
use crate::executor::BlockingExecutor;
use crate::pipeline::Pipeline;
use crate::pubsub::{Message, Subscriptions};
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
    /// Idle connections for blocking commands (`BLPOP`, `XREAD BLOCK`), so
    /// that one thread waiting on one never holds up the others.
    spare: Mutex<Vec<Connection>>,
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
            spare: Mutex::new(Vec::new()),
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
    ///
    /// A blocking command (`BLPOP`, `XREAD ... BLOCK`, `WAIT`) runs on a
    /// connection of its own, without the response timeout, so other threads
    /// using this client are not held up.
    pub fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        crate::cmd::check_shareable(cmd.name())?;
        if cmd.is_blocking() {
            return self.execute_dedicated(cmd);
        }
        self.with_connection(|c| c.send(cmd))
            .map_err(|e| e.for_command(cmd.name()))
    }

    fn execute_dedicated<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        let spare = self.spare.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match spare {
            Some(c) if !c.is_broken() => c,
            _ => Connection::connect(&self.config).map_err(|e| e.for_command(cmd.name()))?,
        };
        let r = conn.send_untimed(cmd);
        if !conn.is_broken() {
            let mut spare = self.spare.lock().unwrap_or_else(|p| p.into_inner());
            // Keep a few for the next blocking command; close the rest.
            if spare.len() < 4 {
                spare.push(conn);
            }
        }
        r
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

impl Client {
    /// Sends a pipeline's commands in one write.
    pub(crate) fn run_pipeline(&self, pipe: &Pipeline) -> Result<Vec<Result<Frame>>> {
        pipe.validate()?;
        if pipe.is_empty() {
            return Ok(Vec::new());
        }
        let (bytes, replies) = pipe.encoded();
        let frames = self.with_connection(|c| {
            crate::connection::check_required(
                pipe.required_version(),
                "pipeline",
                c.server_info(),
            )?;
            if let Some(exists) = pipe.script_check() {
                for script in pipe.missing_scripts(c.send(&exists)?)? {
                    c.send(&script.load_command())?;
                }
            }
            c.send_raw(&bytes, replies)
        })?;
        pipe.split(frames)
    }
}

impl BlockingExecutor for Client {
    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame> {
        Client::execute(self, cmd)
    }
}

/// A blocking pub/sub connection; iterate it for messages.
///
/// Like the async [`Subscriber`](crate::pubsub::Subscriber), it reconnects
/// and subscribes again when the connection drops.
///
/// ```no_run
/// let client = respec::blocking::Client::open("redis://127.0.0.1:6379")?;
/// let mut sub = client.subscriber()?;
/// sub.subscribe(["news"])?;
/// for msg in sub.by_ref().take(3) {
///     println!("{}", String::from_utf8_lossy(&msg?.payload));
/// }
/// # Ok::<(), respec::Error>(())
/// ```
pub struct Subscriber {
    config: ConnectionConfig,
    conn: Connection,
    subs: Subscriptions,
    queued: std::collections::VecDeque<Message>,
    reconnect_for: Duration,
    /// How long one `next` waits before yielding a timeout error (`None`: forever).
    read_timeout: Option<Duration>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("subscriptions", &self.subs)
            .finish()
    }
}

impl Client {
    /// A new pub/sub subscriber with this client's settings.
    pub fn subscriber(&self) -> Result<Subscriber> {
        Subscriber::connect(&self.config)
    }
}

impl Subscriber {
    /// Opens a subscriber connection with these settings.
    pub fn connect(config: &ConnectionConfig) -> Result<Self> {
        Ok(Subscriber {
            conn: Connection::connect(config)?,
            config: config.clone(),
            subs: Subscriptions::default(),
            queued: Default::default(),
            reconnect_for: Duration::from_secs(30),
            read_timeout: None,
        })
    }

    /// How long reconnecting may take before `next` yields the error.
    pub fn set_reconnect_timeout(&mut self, t: Duration) {
        self.reconnect_for = t;
    }

    /// Bounds each wait for a message; when it passes, the iterator yields
    /// an error whose [`is_timeout`](crate::Error::is_timeout) is true and
    /// can be iterated again.
    pub fn set_read_timeout(&mut self, t: Option<Duration>) {
        self.read_timeout = t;
    }

    /// Subscribes to channels.
    pub fn subscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        channels: I,
    ) -> Result<()> {
        self.change("SUBSCRIBE", channels)
    }

    /// Subscribes to glob-style patterns.
    pub fn psubscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        patterns: I,
    ) -> Result<()> {
        self.change("PSUBSCRIBE", patterns)
    }

    /// Subscribes to shard channels.
    pub fn ssubscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        channels: I,
    ) -> Result<()> {
        self.change("SSUBSCRIBE", channels)
    }

    /// Unsubscribes from channels (all when empty).
    pub fn unsubscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        channels: I,
    ) -> Result<()> {
        self.change("UNSUBSCRIBE", channels)
    }

    /// Unsubscribes from patterns (all when empty).
    pub fn punsubscribe<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        patterns: I,
    ) -> Result<()> {
        self.change("PUNSUBSCRIBE", patterns)
    }

    fn change<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
        &mut self,
        verb: &'static str,
        items: I,
    ) -> Result<()> {
        let names: Vec<Bytes> = items
            .into_iter()
            .map(|s| Bytes::copy_from_slice(s.as_ref()))
            .collect();
        let unsubscribe_all = names.is_empty() && verb.contains("UNSUB");
        if names.is_empty() && !unsubscribe_all {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!("{verb} needs at least one channel or pattern"),
            )
            .for_command(verb));
        }
        let expected = if unsubscribe_all {
            match verb {
                "UNSUBSCRIBE" => self.subs.channels.len().max(1),
                _ => self.subs.patterns.len().max(1),
            }
        } else {
            names.len()
        };
        self.send_change(verb, &names, expected)?;
        self.subs.apply(verb, &names);
        Ok(())
    }

    fn send_change(&mut self, verb: &'static str, names: &[Bytes], expected: usize) -> Result<()> {
        let mut cmd = Cmd::new(verb);
        for n in names {
            cmd.arg(n);
        }
        self.conn.write_command(&cmd)?;
        let want = verb.to_ascii_lowercase();
        let mut seen = 0;
        let wait = self
            .config
            .response_timeout
            .unwrap_or(Duration::from_secs(30));
        while seen < expected {
            let frame = self.conn.read_frame(Some(wait))?.ok_or_else(|| {
                Error::new(
                    ErrorKind::Timeout,
                    format!("no {verb} confirmation within {wait:?}"),
                )
                .for_command(verb)
            })?;
            if let Some(m) = Message::from_push(&frame) {
                self.queued.push_back(m);
                continue;
            }
            if let Some(m) = frame.error_message() {
                return Err(Error::from_server_reply(m).for_command(verb));
            }
            if let Frame::Push(items) | Frame::Array(items) = &frame {
                if items.first().and_then(Frame::as_bytes) == Some(want.as_bytes()) {
                    seen += 1;
                }
            }
        }
        Ok(())
    }

    /// Waits for the next message (see [`set_read_timeout`](Self::set_read_timeout)).
    pub fn next_message(&mut self) -> Result<Message> {
        loop {
            if let Some(m) = self.queued.pop_front() {
                return Ok(m);
            }
            match self
                .conn
                .read_frame(self.read_timeout.or(Some(Duration::from_secs(3600))))
            {
                Ok(Some(frame)) => {
                    if let Some(m) = Message::from_push(&frame) {
                        return Ok(m);
                    }
                }
                Ok(None) => {
                    if self.read_timeout.is_some() {
                        return Err(Error::new(
                            ErrorKind::Timeout,
                            "no message within the read timeout",
                        ));
                    }
                }
                Err(e) if e.is_connection_dropped() => self.reconnect()?,
                Err(e) => return Err(e),
            }
        }
    }

    fn reconnect(&mut self) -> Result<()> {
        let started = std::time::Instant::now();
        let mut delay = Duration::from_millis(20);
        loop {
            let attempt = Connection::connect(&self.config).and_then(|conn| {
                self.conn = conn;
                for (verb, names) in self.subs.renewals() {
                    let n = names.len();
                    self.send_change(verb, &names, n)?;
                }
                Ok(())
            });
            match attempt {
                Ok(()) => return Ok(()),
                Err(e) if started.elapsed() + delay > self.reconnect_for => {
                    return Err(Error::new(
                        e.kind().clone(),
                        format!(
                            "the subscriber could not reconnect within {:?}: {e}",
                            self.reconnect_for
                        ),
                    ))
                }
                Err(_) => {
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
}

impl Iterator for Subscriber {
    type Item = Result<Message>;

    fn next(&mut self) -> Option<Result<Message>> {
        Some(self.next_message())
    }
}
