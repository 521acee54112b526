//! Pipelines and MULTI/EXEC transactions.
//!
//! A [`Pipeline`] collects command values and sends them in one write; the
//! replies come back in order, and each command's error is reported for
//! that command alone. A [`Pipeline::atomic`] pipeline wraps the commands in
//! `MULTI`/`EXEC`, so the server runs them as one transaction.
//!
//! Both run on the async client (over its shared connection: the commands of
//! one pipeline are written together, so other tasks' commands never land
//! between `MULTI` and `EXEC`) and on the blocking client.
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

use bytes::{Bytes, BytesMut};

use crate::cmd::{Block, Cmd, Command};
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

/// Commands sent together, optionally as one MULTI/EXEC transaction.
#[derive(Clone, Debug, Default)]
pub struct Pipeline {
    buf: BytesMut,
    /// Every command's name, one after another, and where each ends.
    names: String,
    name_ends: Vec<u32>,
    required: Option<(u16, u16, u16)>,
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

impl Pipeline {
    /// An empty, non-transactional pipeline.
    pub fn new() -> Self {
        Pipeline::default()
    }

    /// An empty, non-transactional pipeline with room for about `commands`
    /// commands before it grows.
    pub fn with_capacity(commands: usize) -> Self {
        Pipeline {
            buf: BytesMut::with_capacity(commands * 32),
            names: String::with_capacity(commands * 4),
            name_ends: Vec::with_capacity(commands),
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
        if let Err(e) = cmd
            .check()
            .and_then(|()| crate::cmd::check_in_pipeline(&cmd))
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
        cmd.encode(&mut self.buf);
        self.names.push_str(name);
        self.name_ends.push(self.names.len() as u32);
        self.required = self.required.max(cmd.required_version());
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
        self.name_ends.len()
    }

    /// True when no command was added.
    pub fn is_empty(&self) -> bool {
        self.name_ends.is_empty()
    }

    /// The names of the commands, in order.
    fn names(&self) -> impl Iterator<Item = &str> + '_ {
        let mut start = 0;
        self.name_ends.iter().map(move |&end| {
            let name = &self.names[start..end as usize];
            start = end as usize;
            name
        })
    }

    /// Each command's name and encoded bytes, in order.
    pub(crate) fn commands(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.names().zip(crate::connection::commands_in(&self.buf))
    }

    /// Removes every command, keeping the buffer's memory.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.names.clear();
        self.name_ends.clear();
        self.required = None;
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

    /// The newest server version any command needs.
    pub(crate) fn required_version(&self) -> Option<(u16, u16, u16)> {
        self.required
    }

    /// The wire bytes and how many replies they produce.
    pub(crate) fn encoded(&self) -> (Bytes, usize) {
        if !self.atomic {
            return (Bytes::copy_from_slice(&self.buf), self.len());
        }
        let mut out = BytesMut::with_capacity(self.buf.len() + 32);
        Cmd::new("MULTI").encode(&mut out);
        out.extend_from_slice(&self.buf);
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
        Ok(replies
            .into_iter()
            .zip(self.names())
            .map(|(frame, name)| match frame.error_message() {
                Some(m) => Err(Error::from_server_reply(m).for_command(name)),
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
        for (i, (queued, name)) in replies.iter().skip(1).zip(self.names()).enumerate() {
            if let Some(m) = queued.error_message() {
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
