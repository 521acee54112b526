//! Pipelines and MULTI/EXEC transactions.
//!
//! A [`Pipeline`] collects command values and sends them in one write; the
//! replies come back in order, and each command's error is reported for
//! that command alone. A [`Pipeline::atomic`] pipeline wraps the commands in
//! `MULTI`/`EXEC`, so the server runs them as one transaction.
//!
//! [`Pipeline::push`] adds a generated command and returns a [`Handle`];
//! [`Pipeline::run`] returns the [`Replies`], from which each handle reads
//! its command's reply as the command's own reply type (the declared one,
//! or the one a builder such as `.withscores()` or `.reply::<T>()` chose),
//! or that command's error:
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use respec::commands::{get, incr, set};
//! use respec::Pipeline;
//!
//! let mut pipe = Pipeline::new();
//! pipe.add(set("a", "1"));
//! let n = pipe.push(incr("a"));
//! let text = pipe.push(get("a"));
//! let mut replies = pipe.run(&client).await?;
//! let n: i64 = replies.take(n)?;
//! assert_eq!(n, 2);
//! assert_eq!(replies.take(text)?.unwrap(), "2");
//! # Ok(()) }
//! ```
//!
//! A [`TypedPipeline`] holds commands of one reply type and returns a
//! `Vec` of their results. The untyped forms stay: [`Pipeline::add`] any
//! [`Command`], then [`Pipeline::execute`] (one `Result<Frame>` per
//! command) or [`Pipeline::query`] (one tuple):
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use respec::{Cmd, Pipeline};
//!
//! let mut pipe = Pipeline::new();
//! pipe.add(Cmd::from_args(["SET", "a", "1"]).unwrap())
//!     .add(Cmd::from_args(["INCR", "a"]).unwrap())
//!     .add(Cmd::from_args(["GET", "a"]).unwrap());
//! let ((), n, text): ((), i64, String) = pipe.query(&client).await?;
//! assert_eq!((n, text.as_str()), (2, "2"));
//! # Ok(()) }
//! ```
//!
//! Both run on the async client (over its shared connection: the commands of
//! one pipeline are written together, so other tasks' commands never land
//! between `MULTI` and `EXEC`), on one of its connections (for `WATCH`), on
//! the cluster client, and on the blocking client.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};

use crate::cmd::{Block, Cmd, Command};
use crate::commands::GeneratedCommand;
use crate::error::{Error, ErrorKind, Result};
use crate::reply::FromResp;
use crate::resp::Frame;

/// An invalid command's error, kept until the pipeline runs.
#[derive(Debug)]
struct Invalid(Error);

impl Clone for Invalid {
    fn clone(&self) -> Self {
        Invalid(self.0.duplicate())
    }
}

/// What tells one pipeline's [`Handle`]s from another's: unique per
/// pipeline value (a clone, or the pipeline after [`Pipeline::clear`], is
/// another pipeline).
#[derive(Debug, PartialEq, Eq)]
struct Id(u64);

impl Id {
    fn next() -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Id(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for Id {
    fn default() -> Self {
        Id::next()
    }
}

impl Clone for Id {
    /// A clone is another pipeline: its commands may diverge from the
    /// original's, so the original's handles must not read its replies.
    fn clone(&self) -> Self {
        Id::next()
    }
}

/// Commands sent together, optionally as one MULTI/EXEC transaction.
///
/// Add a generated command with [`push`](Self::push) to get a [`Handle`]
/// that reads its reply as the command's own reply type from the
/// [`Replies`] of [`run`](Self::run); or with [`add`](Self::add) and read
/// the raw frames ([`execute`](Self::execute)) or one tuple
/// ([`query`](Self::query)). A pipeline can be run any number of times.
/// A clone is a new pipeline: the original's handles do not read its
/// replies.
#[derive(Clone, Debug, Default)]
pub struct Pipeline {
    id: Id,
    buf: Wire,
    /// How many commands were added (their names are read back from the
    /// encoded bytes when an error or a cluster run needs them).
    count: usize,
    required: crate::commands::Requires,
    atomic: bool,
    /// How long the commands may block in all.
    block: Block,
    /// A `MULTI` added with no `EXEC` or `DISCARD` after it.
    open_multi: bool,
    /// The first command whose arguments were invalid: the pipeline is not
    /// sent, and this is the error.
    invalid: Option<Invalid>,
    /// Scripts run by digest, loaded before the pipeline is sent.
    scripts: Vec<crate::script::Script>,
}

/// A pipeline's encoded commands: a buffer while commands are added, and
/// frozen into shared bytes when the pipeline is sent, so that the bytes go
/// to the socket without a copy however many times it runs. Adding a
/// command after a run takes the buffer back (without a copy when no send
/// holds the bytes any more).
#[derive(Debug, Default)]
struct Wire(std::sync::Mutex<WireState>);

/// When `sent` holds the bytes, `buf` is empty.
#[derive(Debug, Default)]
struct WireState {
    buf: BytesMut,
    sent: Option<Bytes>,
}

impl Wire {
    fn with_capacity(n: usize) -> Self {
        Wire(std::sync::Mutex::new(WireState {
            buf: BytesMut::with_capacity(n),
            sent: None,
        }))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WireState> {
        // Nothing panics while it is held.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The buffer, to add to.
    fn building(&mut self) -> &mut BytesMut {
        let state = self.0.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(bytes) = state.sent.take() {
            state.buf = BytesMut::from(bytes);
        }
        if state.buf.capacity() == 0 {
            // Room for a few dozen short commands before the first growth.
            state.buf.reserve(1024);
        }
        &mut state.buf
    }

    /// Forgets the commands, keeping the buffer's memory when it has it.
    fn clear(&mut self) {
        let state = self.0.get_mut().unwrap_or_else(|e| e.into_inner());
        state.buf.clear();
        if let Some(bytes) = state.sent.take() {
            // Kept when no send holds the bytes any more.
            if let Ok(mut buf) = bytes.try_into_mut() {
                buf.clear();
                state.buf = buf;
            }
        }
    }

    /// The encoded commands, shared.
    fn bytes(&self) -> Bytes {
        let mut state = self.state();
        if let Some(bytes) = &state.sent {
            return bytes.clone();
        }
        let bytes = std::mem::take(&mut state.buf).freeze();
        state.sent = Some(bytes.clone());
        bytes
    }
}

impl Clone for Wire {
    fn clone(&self) -> Self {
        let state = self.state();
        Wire(std::sync::Mutex::new(WireState {
            buf: state.buf.clone(),
            sent: state.sent.clone(),
        }))
    }
}

impl Pipeline {
    /// An empty, non-transactional pipeline.
    pub fn new() -> Self {
        Pipeline::default()
    }

    /// An empty, non-transactional pipeline with room for about `commands`
    /// commands before it grows.
    pub fn with_capacity(commands: usize) -> Self {
        Pipeline {
            buf: Wire::with_capacity(commands * 32),
            ..Pipeline::default()
        }
    }

    /// An empty pipeline whose commands run inside `MULTI`/`EXEC`.
    pub fn atomic() -> Self {
        Pipeline {
            atomic: true,
            ..Pipeline::default()
        }
    }

    /// Makes the pipeline run inside `MULTI`/`EXEC`.
    pub fn make_atomic(&mut self) -> &mut Self {
        self.atomic = true;
        self
    }

    /// How long the commands may block in all (outside `MULTI`, where
    /// nothing blocks).
    pub fn blocks(&self) -> Block {
        self.block
    }

    /// Whether the commands run as one transaction.
    pub fn is_atomic(&self) -> bool {
        self.atomic
    }

    /// Appends a command (any [`Command`]: a generated command value or a
    /// [`Cmd`]).
    pub fn add<C: Command>(&mut self, cmd: C) -> &mut Self {
        // The name is read once: for `Cmd` it is checked UTF-8 each time.
        let name = cmd.name();
        self.count += 1;
        if let Err(e) = cmd
            .check()
            .and_then(|()| crate::cmd::check_in_pipeline(&cmd, name))
        {
            self.invalid.get_or_insert(Invalid(e));
        }
        match name {
            "MULTI" => self.open_multi = true,
            "EXEC" | "DISCARD" => self.open_multi = false,
            _ => {}
        }
        self.block = match (self.block, cmd.blocks()) {
            (Block::Forever, _) | (_, Block::Forever) => Block::Forever,
            (Block::For(a), Block::For(b)) => Block::For(a.saturating_add(b)),
            (Block::No, b) | (b, Block::No) => b,
        };
        cmd.encode(self.buf.building());
        self.required = self.required.max(cmd.requires());
        self
    }

    /// Appends a script invocation, sent as `EVALSHA`. The script is loaded
    /// first if the server does not have it.
    pub fn add_script(&mut self, invocation: &crate::script::Invocation) -> &mut Self {
        if !self.scripts.contains(invocation.script()) {
            self.scripts.push(invocation.script().clone());
        }
        self.add(invocation.evalsha_command())
    }

    /// Appends a generated command and returns the handle that reads its
    /// reply, as the command's own reply type ([`GeneratedCommand::Reply`]:
    /// the declared type, the one a builder such as `.withscores()`
    /// switched to, or the one chosen with `.reply::<T>()`), from the
    /// [`Replies`] of [`run`](Self::run).
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use respec::commands::{get, incr, zadd, zrange};
    /// use respec::Pipeline;
    ///
    /// let mut pipe = Pipeline::new();
    /// let n = pipe.push(incr("visits"));
    /// let name = pipe.push(get("user:1"));
    /// pipe.add(zadd("board", [(10.0, "ada")]));
    /// let top = pipe.push(zrange("board", 0, 9).withscores());
    /// let mut replies = pipe.run(&client).await?;
    /// let n: i64 = replies.take(n)?;
    /// let name: Option<respec::ByteStr> = replies.take(name)?;
    /// let top: Vec<(respec::ByteStr, f64)> = replies.take(top)?;
    /// # let _ = (n, name, top);
    /// # Ok(()) }
    /// ```
    pub fn push<C>(&mut self, cmd: C) -> Handle<C::Reply>
    where
        C: GeneratedCommand,
        C::Reply: FromResp,
    {
        let handle = self.next_handle(C::SPEC.name);
        self.add(cmd);
        handle
    }

    /// Appends any command (a [`Cmd`], say) and returns the handle that
    /// reads its reply as `T`.
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use respec::{Cmd, Pipeline};
    ///
    /// let mut pipe = Pipeline::new();
    /// let size = pipe.push_as::<i64, _>(Cmd::new("DBSIZE"));
    /// let size = pipe.run(&client).await?.take(size)?;
    /// # let _ = size;
    /// # Ok(()) }
    /// ```
    pub fn push_as<T: FromResp, C: Command>(&mut self, cmd: C) -> Handle<T> {
        let name = crate::commands::spec_of(cmd.name()).map_or("", |s| s.name);
        let handle = self.next_handle(name);
        self.add(cmd);
        handle
    }

    /// Appends a script invocation ([`add_script`](Self::add_script)) and
    /// returns the handle that reads its reply as `T`.
    pub fn push_script<T: FromResp>(
        &mut self,
        invocation: &crate::script::Invocation,
    ) -> Handle<T> {
        let handle = self.next_handle("EVALSHA");
        self.add_script(invocation);
        handle
    }

    fn next_handle<T>(&self, name: &'static str) -> Handle<T> {
        Handle {
            pipeline: self.id.0,
            index: self.count as u32,
            name,
            reply: PhantomData,
        }
    }

    /// `SCRIPT EXISTS` for every script, and the loads for those missing.
    pub(crate) fn script_check(&self) -> Option<Cmd> {
        if self.scripts.is_empty() {
            return None;
        }
        let mut exists = Cmd::new("SCRIPT");
        exists.arg("EXISTS");
        for s in &self.scripts {
            exists.arg(s.sha());
        }
        Some(exists)
    }

    /// The scripts missing according to a `SCRIPT EXISTS` reply.
    pub(crate) fn missing_scripts(&self, exists: Frame) -> Result<Vec<&crate::script::Script>> {
        let flags: Vec<bool> = FromResp::from_resp(exists)?;
        Ok(self
            .scripts
            .iter()
            .zip(flags)
            .filter(|(_, present)| !present)
            .map(|(s, _)| s)
            .collect())
    }

    /// The number of commands added.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when no command was added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The commands' names, read back from the encoded bytes when an
    /// error message needs one (the happy path does not): `names(i)` is
    /// the name of command `i`, counted from 0.
    fn names(&self) -> impl Fn(usize) -> String + '_ {
        let names = std::cell::OnceCell::new();
        move |i| {
            let names: &Vec<Cow<'static, str>> = names.get_or_init(|| {
                let wire = self.buf.bytes();
                crate::connection::commands_in(&wire)
                    .map(spec_name_of)
                    .collect()
            });
            names.get(i).map_or("pipeline", |n| n).to_string()
        }
    }

    /// Each command's name (as [`spec_name_of`] reads it) and encoded bytes
    /// (a slice of the pipeline's bytes, not a copy), in order.
    pub(crate) fn commands(&self) -> impl Iterator<Item = (Cow<'static, str>, Bytes)> + '_ {
        let wire = self.buf.bytes();
        let slices: Vec<Bytes> = crate::connection::commands_in(&wire)
            .map(|c| wire.slice_ref(c))
            .collect();
        slices.into_iter().map(|c| (spec_name_of(&c), c))
    }

    /// Removes every command, keeping the buffer's memory. The handles
    /// pushed before no longer read its replies.
    pub fn clear(&mut self) {
        self.id = Id::next();
        self.buf.clear();
        self.count = 0;
        self.required = crate::commands::Requires::ANY;
        self.scripts.clear();
        self.invalid = None;
    }

    /// The error of the first command added with invalid arguments.
    pub(crate) fn validate(&self) -> Result<()> {
        match &self.invalid {
            Some(Invalid(e)) => Err(e.duplicate()),
            None if self.open_multi => Err(Error::new(
                ErrorKind::InvalidInput,
                "the pipeline opens a transaction with MULTI and does not end it with EXEC or \
                 DISCARD; on a shared connection every later caller would be in it \
                 (`Pipeline::atomic()` wraps the commands for you)",
            )
            .for_command("MULTI")),
            None => Ok(()),
        }
    }

    /// What the commands need of each server, together.
    pub(crate) fn requires(&self) -> crate::commands::Requires {
        self.required
    }

    /// The wire bytes and how many replies they produce.
    pub(crate) fn encoded(&self) -> (Bytes, usize) {
        let wire = self.buf.bytes();
        if !self.atomic {
            return (wire, self.len());
        }
        let mut out = BytesMut::with_capacity(wire.len() + 32);
        Cmd::new("MULTI").encode(&mut out);
        out.extend_from_slice(&wire);
        Cmd::new("EXEC").encode(&mut out);
        (out.freeze(), self.len() + 2)
    }

    /// Turns the raw replies into one result per command.
    pub(crate) fn split(&self, replies: Vec<Frame>) -> Result<Vec<Result<Frame>>> {
        let replies = if self.atomic {
            self.unwrap_exec(replies)?
        } else {
            replies
        };
        if replies.len() != self.len() {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "{} replies for {} pipelined commands",
                    replies.len(),
                    self.len()
                ),
            ));
        }
        let names = self.names();
        Ok(replies
            .into_iter()
            .enumerate()
            .map(|(i, frame)| match frame.error_message() {
                Some(m) => Err(Error::from_server_reply(m).for_command(names(i))),
                None => Ok(frame),
            })
            .collect())
    }

    /// `OK, QUEUED..., [replies]` -> the replies, or the reason EXEC failed.
    fn unwrap_exec(&self, mut replies: Vec<Frame>) -> Result<Vec<Frame>> {
        let exec = replies.pop().unwrap_or(Frame::Null);
        if let Some(m) = replies.first().and_then(Frame::error_message) {
            return Err(Error::from_server_reply(m).for_command("MULTI"));
        }
        // A command rejected while queueing (syntax, arity, unknown command)
        // makes the server discard the whole transaction: name the culprit.
        for (i, queued) in replies.iter().skip(1).enumerate() {
            if let Some(m) = queued.error_message() {
                let name = self.names()(i);
                let reason = String::from_utf8_lossy(m);
                return Err(Error::new(
                    ErrorKind::Server {
                        code: "EXECABORT".into(),
                        message: format!(
                            "EXECABORT transaction discarded: command #{} ({name}) was rejected: {reason}",
                            i + 1
                        ),
                    },
                    "",
                )
                .for_command("EXEC"));
            }
        }
        match exec {
            Frame::Array(items) => Ok(items),
            Frame::Null => Err(Error::new(
                ErrorKind::TransactionAborted,
                "a watched key changed, so EXEC ran nothing",
            )
            .for_command("EXEC")),
            other => match other.error_message() {
                Some(m) => Err(Error::from_server_reply(m).for_command("EXEC")),
                None => Err(Error::new(
                    ErrorKind::Protocol,
                    format!("EXEC answered with a {}", other.kind()),
                )),
            },
        }
    }

    /// Converts the per-command results to `T`, which is usually a tuple
    /// with one element per command (or a `Vec`). An error reply fails the
    /// whole conversion with that command's error, unless the element type
    /// is a `Result` that holds it.
    pub(crate) fn convert<T: FromResp>(&self, results: Vec<Result<Frame>>) -> Result<T> {
        let mut frames = Vec::with_capacity(results.len());
        let mut first_error = None;
        for r in results {
            match r {
                Ok(f) => frames.push(f),
                Err(e) => {
                    frames.push(Frame::Error(Bytes::from(match e.kind() {
                        ErrorKind::Server { message, .. } => message.clone(),
                        _ => e.to_string(),
                    })));
                    first_error.get_or_insert(e);
                }
            }
        }
        T::from_resp(Frame::Array(frames)).map_err(|e| match first_error {
            Some(cmd_err) if e.is_server_error() => cmd_err,
            _ => e.for_command(if self.atomic { "EXEC" } else { "pipeline" }),
        })
    }

    /// Sends the pipeline and returns its [`Replies`], which the handles of
    /// [`push`](Self::push) read. `on` is an async [`Client`](crate::Client),
    /// one of its connections ([`Client::dedicated`](crate::Client::dedicated),
    /// the connection of a `WATCH`), or a
    /// [`ClusterClient`](crate::cluster::ClusterClient).
    ///
    /// A command's error reply (`WRONGTYPE`, say) is that command's alone:
    /// its handle reads it, the others read their values. The `Err` of
    /// `run` itself is for the pipeline as a whole: nothing could be sent
    /// or read, or, in an [atomic](Self::atomic) pipeline, the transaction
    /// did not run: the server discarded it (`EXECABORT`, a command
    /// rejected while queueing), or a `WATCH`ed key changed, so `EXEC` ran
    /// nothing (kind [`ErrorKind::TransactionAborted`], see
    /// [`Error::is_transaction_aborted`]).
    ///
    /// ```no_run
    /// # async fn demo(client: respec::Client) -> respec::Result<()> {
    /// use respec::commands::{get, set, watch};
    /// use respec::Pipeline;
    ///
    /// let conn = client.dedicated().await?;
    /// conn.send(&watch(["balance"])).await?;
    /// let mut tx = Pipeline::atomic();
    /// tx.add(set("balance", 10));
    /// let balance = tx.push(get("balance").reply::<i64>());
    /// match tx.run(&conn).await {
    ///     Ok(mut replies) => println!("balance {}", replies.take(balance)?),
    ///     Err(e) if e.is_transaction_aborted() => println!("changed meanwhile; try again"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn run<A: AsyncTarget + ?Sized>(&self, on: &A) -> Result<Replies> {
        let results = on.send_pipeline(self).await?;
        Ok(self.replies(results))
    }

    /// [`run`](Self::run) on the blocking client (`&client`), or on one of
    /// its connections (`&mut Connection`, inside
    /// [`with_connection`](crate::blocking::Client::with_connection), for a
    /// `WATCH` transaction).
    ///
    /// ```no_run
    /// use respec::commands::{get, incr};
    /// use respec::Pipeline;
    ///
    /// let client = respec::blocking::Client::open("redis://127.0.0.1:6379")?;
    /// let mut pipe = Pipeline::new();
    /// let n = pipe.push(incr("visits"));
    /// let raw = pipe.push(get("visits"));
    /// let mut replies = pipe.run_blocking(&client)?;
    /// let (n, raw) = (replies.take(n)?, replies.take(raw)?);
    /// # let _ = (n, raw);
    /// # Ok::<(), respec::Error>(())
    /// ```
    pub fn run_blocking<B: BlockingTarget>(&self, on: B) -> Result<Replies> {
        let results = on.send_pipeline(self)?;
        Ok(self.replies(results))
    }

    pub(crate) fn replies(&self, results: Vec<Result<Frame>>) -> Replies {
        Replies {
            pipeline: self.id.0,
            results: results.into_iter().map(Some).collect(),
        }
    }

    /// Sends the pipeline on the async client; one result per command.
    pub async fn execute(&self, client: &crate::Client) -> Result<Vec<Result<Frame>>> {
        client.run_pipeline(self).await
    }

    /// Sends the pipeline on the async client and converts the replies to
    /// `T` (see the module docs).
    pub async fn query<T: FromResp>(&self, client: &crate::Client) -> Result<T> {
        self.convert(self.execute(client).await?)
    }

    /// Sends the pipeline on the blocking client; one result per command.
    pub fn execute_blocking(&self, client: &crate::blocking::Client) -> Result<Vec<Result<Frame>>> {
        client.run_pipeline(self)
    }

    /// Sends the pipeline on the blocking client and converts the replies.
    pub fn query_blocking<T: FromResp>(&self, client: &crate::blocking::Client) -> Result<T> {
        self.convert(self.execute_blocking(client)?)
    }
}

/// Where a pipeline runs on the async side: [`Client`](crate::Client),
/// [`Connection`](crate::connection::Connection),
/// [`PooledConnection`](crate::pool::PooledConnection) and
/// [`ClusterClient`](crate::cluster::ClusterClient). See
/// [`Pipeline::run`].
pub trait AsyncTarget: sealed::Sealed + Sync {
    /// Sends the pipeline; one result per command.
    #[doc(hidden)]
    fn send_pipeline<'a>(
        &'a self,
        pipe: &'a Pipeline,
    ) -> impl Future<Output = Result<Vec<Result<Frame>>>> + Send + 'a;
}

/// Where a pipeline runs on the blocking side: `&`[`blocking::Client`](crate::blocking::Client)
/// `&mut` [`blocking Connection`](crate::connection::sync::Connection) and
/// `&`[`BlockingClusterClient`](crate::cluster::BlockingClusterClient).
/// See [`Pipeline::run_blocking`].
pub trait BlockingTarget: sealed::Sealed {
    /// Sends the pipeline; one result per command.
    #[doc(hidden)]
    fn send_pipeline(self, pipe: &Pipeline) -> Result<Vec<Result<Frame>>>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Client {}
    impl Sealed for crate::connection::Connection {}
    impl Sealed for crate::pool::PooledConnection {}
    impl Sealed for crate::cluster::ClusterClient {}
    impl Sealed for &crate::blocking::Client {}
    impl Sealed for &crate::cluster::BlockingClusterClient {}
    impl Sealed for &mut crate::connection::sync::Connection {}
}

impl AsyncTarget for crate::Client {
    fn send_pipeline<'a>(
        &'a self,
        pipe: &'a Pipeline,
    ) -> impl Future<Output = Result<Vec<Result<Frame>>>> + Send + 'a {
        self.run_pipeline(pipe)
    }
}

impl AsyncTarget for crate::connection::Connection {
    fn send_pipeline<'a>(
        &'a self,
        pipe: &'a Pipeline,
    ) -> impl Future<Output = Result<Vec<Result<Frame>>>> + Send + 'a {
        crate::client::run_pipeline_on(self, pipe)
    }
}

impl AsyncTarget for crate::pool::PooledConnection {
    fn send_pipeline<'a>(
        &'a self,
        pipe: &'a Pipeline,
    ) -> impl Future<Output = Result<Vec<Result<Frame>>>> + Send + 'a {
        crate::client::run_pipeline_on(self, pipe)
    }
}

impl AsyncTarget for crate::cluster::ClusterClient {
    fn send_pipeline<'a>(
        &'a self,
        pipe: &'a Pipeline,
    ) -> impl Future<Output = Result<Vec<Result<Frame>>>> + Send + 'a {
        pipe.execute_cluster(self)
    }
}

impl BlockingTarget for &crate::blocking::Client {
    fn send_pipeline(self, pipe: &Pipeline) -> Result<Vec<Result<Frame>>> {
        self.run_pipeline(pipe)
    }
}

impl BlockingTarget for &mut crate::connection::sync::Connection {
    fn send_pipeline(self, pipe: &Pipeline) -> Result<Vec<Result<Frame>>> {
        crate::blocking::run_pipeline_on(self, pipe)
    }
}

/// Reads one command's reply from the [`Replies`] of the pipeline it was
/// pushed on ([`Pipeline::push`]), as `T`: the command's reply type.
///
/// A handle is a position and the identity of its pipeline: small and
/// `Copy`. Given to the replies of another pipeline it is refused with an
/// error, never read as another command's reply.
#[must_use = "a handle is how the command's reply is read"]
pub struct Handle<T> {
    pipeline: u64,
    index: u32,
    /// The command's name, for conversion errors (`""` when unknown).
    name: &'static str,
    reply: PhantomData<fn() -> T>,
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Handle<T> {}

impl<T> std::fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("index", &self.index)
            .field("command", &self.name)
            .field("reply", &std::any::type_name::<T>())
            .finish()
    }
}

impl<T> Handle<T> {
    /// The command's place in its pipeline (0 for the first).
    pub fn index(&self) -> usize {
        self.index as usize
    }
}

/// The replies of one run of a [`Pipeline`]: each command's reply or
/// error, read with the command's [`Handle`].
#[derive(Debug)]
pub struct Replies {
    pipeline: u64,
    /// `None` once taken.
    results: Vec<Option<Result<Frame>>>,
}

impl Replies {
    /// Takes the reply of the handle's command, as its reply type; its
    /// error reply (`WRONGTYPE`, say) is the `Err`. Each reply can be
    /// taken once (without copying it); [`get`](Self::get) reads a copy.
    ///
    /// A handle of another pipeline, or one whose reply was taken, is an
    /// [`ErrorKind::InvalidInput`] error.
    pub fn take<T: FromResp>(&mut self, handle: Handle<T>) -> Result<T> {
        let slot = self.slot(&handle)?;
        match self.results[slot].take() {
            Some(result) => convert_one(result, handle.name),
            None => Err(taken(&handle)),
        }
    }

    /// Reads a copy of the reply of the handle's command, as its reply
    /// type, leaving it in place (see [`take`](Self::take)).
    pub fn get<T: FromResp>(&self, handle: Handle<T>) -> Result<T> {
        let slot = self.slot(&handle)?;
        match &self.results[slot] {
            Some(Ok(frame)) => convert_one(Ok(frame.clone()), handle.name),
            Some(Err(e)) => Err(e.duplicate()),
            None => Err(taken(&handle)),
        }
    }

    /// How many commands the pipeline had.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// True for the replies of an empty pipeline.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }

    fn slot<T>(&self, handle: &Handle<T>) -> Result<usize> {
        let i = handle.index as usize;
        if handle.pipeline != self.pipeline || i >= self.results.len() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "the handle of command #{} ({}) belongs to another pipeline: read it from \
                     the replies of the pipeline that returned it (a clone, or a pipeline \
                     after `clear`, is another pipeline)",
                    i + 1,
                    name_or_unknown(handle.name)
                ),
            ));
        }
        Ok(i)
    }
}

fn name_or_unknown(name: &str) -> &str {
    if name.is_empty() {
        "a command"
    } else {
        name
    }
}

fn taken<T>(handle: &Handle<T>) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!(
            "the reply of command #{} ({}) was already taken",
            handle.index + 1,
            name_or_unknown(handle.name)
        ),
    )
}

/// One command's result converted to `T`; conversion errors name the
/// command.
fn convert_one<T: FromResp>(result: Result<Frame>, name: &str) -> Result<T> {
    result.and_then(|frame| {
        T::from_resp(frame)
            .map_err(|e| e.for_command(if name.is_empty() { "pipeline" } else { name }))
    })
}

/// A pipeline of commands of one reply type `R` (one kind of command, or
/// several that reply alike): the replies come back as a `Vec`, one
/// `Result<R>` per command in order.
///
/// ```no_run
/// # async fn demo(client: respec::Client) -> respec::Result<()> {
/// use respec::commands::incr;
/// use respec::pipeline::TypedPipeline;
///
/// let counters: TypedPipeline<i64> = (0..1000).map(|i| incr(format!("counter:{i}"))).collect();
/// let values: Vec<respec::Result<i64>> = counters.run(&client).await?;
/// // Or all or nothing: the first command's error fails the whole.
/// let values: Vec<i64> = values.into_iter().collect::<respec::Result<_>>()?;
/// # let _ = values;
/// # Ok(()) }
/// ```
pub struct TypedPipeline<R> {
    pipe: Pipeline,
    reply: PhantomData<fn() -> R>,
}

impl<R> Default for TypedPipeline<R> {
    fn default() -> Self {
        TypedPipeline {
            pipe: Pipeline::default(),
            reply: PhantomData,
        }
    }
}

impl<R> Clone for TypedPipeline<R> {
    fn clone(&self) -> Self {
        TypedPipeline {
            pipe: self.pipe.clone(),
            reply: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for TypedPipeline<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedPipeline")
            .field("reply", &std::any::type_name::<R>())
            .field("pipeline", &self.pipe)
            .finish()
    }
}

impl<R: FromResp> TypedPipeline<R> {
    /// An empty, non-transactional pipeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty pipeline with room for about `commands` commands.
    pub fn with_capacity(commands: usize) -> Self {
        TypedPipeline {
            pipe: Pipeline::with_capacity(commands),
            reply: PhantomData,
        }
    }

    /// An empty pipeline whose commands run inside `MULTI`/`EXEC`.
    pub fn atomic() -> Self {
        TypedPipeline {
            pipe: Pipeline::atomic(),
            reply: PhantomData,
        }
    }

    /// Appends a generated command whose reply type is `R`.
    pub fn push<C: GeneratedCommand<Reply = R>>(&mut self, cmd: C) -> &mut Self {
        self.pipe.add(cmd);
        self
    }

    /// The number of commands added.
    pub fn len(&self) -> usize {
        self.pipe.len()
    }

    /// True when no command was added.
    pub fn is_empty(&self) -> bool {
        self.pipe.is_empty()
    }

    /// Removes every command, keeping the memory.
    pub fn clear(&mut self) {
        self.pipe.clear()
    }

    /// The untyped pipeline underneath.
    pub fn as_pipeline(&self) -> &Pipeline {
        &self.pipe
    }

    /// Sends the commands (see [`Pipeline::run`]); one `Result<R>` per
    /// command, in order.
    pub async fn run<A: AsyncTarget + ?Sized>(&self, on: &A) -> Result<Vec<Result<R>>> {
        let results = on.send_pipeline(&self.pipe).await?;
        Ok(self.convert_all(results))
    }

    /// Sends the commands on the blocking side (see
    /// [`Pipeline::run_blocking`]); one `Result<R>` per command, in order.
    pub fn run_blocking<B: BlockingTarget>(&self, on: B) -> Result<Vec<Result<R>>> {
        let results = on.send_pipeline(&self.pipe)?;
        Ok(self.convert_all(results))
    }

    fn convert_all(&self, results: Vec<Result<Frame>>) -> Vec<Result<R>> {
        let names = self.pipe.names();
        results
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.and_then(|f| R::from_resp(f).map_err(|e| e.for_command(names(i)))))
            .collect()
    }
}

impl<R: FromResp, C: GeneratedCommand<Reply = R>> Extend<C> for TypedPipeline<R> {
    fn extend<I: IntoIterator<Item = C>>(&mut self, iter: I) {
        for cmd in iter {
            self.push(cmd);
        }
    }
}

impl<R: FromResp, C: GeneratedCommand<Reply = R>> FromIterator<C> for TypedPipeline<R> {
    fn from_iter<I: IntoIterator<Item = C>>(iter: I) -> Self {
        let mut pipe = TypedPipeline::new();
        pipe.extend(iter);
        pipe
    }
}

/// The name of the encoded command `bytes` as the specs spell it: `CLIENT
/// KILL` for a subcommand of a container, `GET` for `get`; the first word
/// upper-cased when the specs do not know the command. Allocates only for
/// a command the specs do not know.
fn spec_name_of(bytes: &[u8]) -> Cow<'static, str> {
    let first = bulk_at(bytes, 0);
    let second = first.and_then(|(_, next)| bulk_at(bytes, next));
    let first = first.map_or(&b""[..], |(word, _)| word);
    let mut buf = [0u8; 64];
    let mut spec_of_upper = |words: &[&[u8]]| {
        let mut len = 0;
        for (i, word) in words.iter().enumerate() {
            let sep = usize::from(i > 0);
            let dst = buf.get_mut(len..len + sep + word.len())?;
            dst[..sep].copy_from_slice(&b" "[..sep]);
            dst[sep..].copy_from_slice(word);
            dst.make_ascii_uppercase();
            len += sep + word.len();
        }
        std::str::from_utf8(&buf[..len])
            .ok()
            .and_then(crate::commands::spec_of)
    };
    if let Some(spec) = second.and_then(|(second, _)| spec_of_upper(&[first, second])) {
        return Cow::Borrowed(spec.name);
    }
    match spec_of_upper(&[first]) {
        Some(spec) => Cow::Borrowed(spec.name),
        None => Cow::Owned(String::from_utf8_lossy(first).to_ascii_uppercase()),
    }
}

/// The bulk string of an encoded command that starts at `at` (0: the
/// first, after the array header), and where the next one starts.
fn bulk_at(bytes: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let line_end = |from: usize| {
        bytes
            .get(from..)?
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| from + i)
    };
    let start = if at == 0 { line_end(0)? + 1 } else { at };
    let nl = line_end(start)?;
    let len: usize = std::str::from_utf8(bytes.get(start + 1..nl.checked_sub(1)?)?)
        .ok()?
        .parse()
        .ok()?;
    let word = bytes.get(nl + 1..nl + 1 + len)?;
    Some((word, nl + 1 + len + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(args: &[&str]) -> BytesMut {
        let mut out = BytesMut::new();
        Cmd::from_args(args.iter().copied())
            .unwrap()
            .encode(&mut out);
        out
    }

    #[test]
    fn names_are_read_back_as_the_specs_spell_them() {
        let name = |args: &[&str]| spec_name_of(&encoded(args)).into_owned();
        assert_eq!(name(&["client", "kill", "id", "7"]), "CLIENT KILL");
        assert_eq!(name(&["CLIENT"]), "CLIENT");
        assert_eq!(name(&["get", "k"]), "GET");
        assert_eq!(name(&["SET", "kill", "v"]), "SET");
        assert_eq!(name(&["object", "encoding", "k"]), "OBJECT ENCODING");
        assert_eq!(name(&["nosuch", "x"]), "NOSUCH");
        let long = "x".repeat(100);
        assert_eq!(name(&[long.as_str(), "y"]), long.to_ascii_uppercase());
        assert_eq!(spec_name_of(b"*1\r\n$3\r\nGE"), "");
        assert_eq!(spec_name_of(b""), "");
    }
}
