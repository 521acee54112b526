//! Command values: what every executor sends.
//!
//! A command is a value that encodes itself; it knows nothing of
//! connections. The generated command layer implements [`Command`] for one
//! type per server command; [`Cmd`] is the untyped form for anything else
//! (a command newer than the specs, a module command, a test).

use bytes::{Bytes, BytesMut};

use crate::resp::encode::{write_array_header, ToArg};

/// A value that can be sent to the server as one command.
pub trait Command {
    /// The command's name as the server spells it, with its subcommand when
    /// it has one (`"GET"`, `"CLIENT KILL"`). Used in error messages.
    fn name(&self) -> &str;

    /// Writes the whole command (the array header and every argument) to `out`.
    fn encode(&self, out: &mut BytesMut);

    /// Like [`encode`](Self::encode), but large values the command holds
    /// by reference are not copied into `out`: each is listed in `parts`
    /// with the offset of `out` where its bytes belong. The async client
    /// writes them to the socket from where they are.
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut crate::resp::encode::SharedParts) {
        let _ = parts;
        self.encode(out)
    }

    /// Which servers understand this command with the arguments it
    /// carries, and from which version on (Redis and Valkey each:
    /// [`Requires`](crate::commands::Requires)); any, when unknown.
    fn requires(&self) -> crate::commands::Requires {
        crate::commands::Requires::ANY
    }

    /// Whether, and for how long, the command may hold its connection
    /// waiting for data, read from the spec and the arguments:
    /// `BLPOP k 5` blocks for 5 s, `BLPOP k 0` forever, `XREAD` only with
    /// `BLOCK`, `WAIT 1 100` for 100 ms.
    fn blocks(&self) -> Block {
        Block::No
    }

    /// True for commands that may block the connection waiting for data
    /// ([`blocks`](Self::blocks) is not [`Block::No`]): the clients run them
    /// on a dedicated connection, with the response timeout added to their
    /// own block time.
    fn is_blocking(&self) -> bool {
        self.blocks() != Block::No
    }

    /// The facts the server's spec gives about this command (key positions,
    /// flags, request and response policy tips), when the specs have it:
    /// always for generated commands, looked up by name for a [`Cmd`].
    fn spec(&self) -> Option<&'static crate::commands::CommandSpec> {
        None
    }

    /// Checks the arguments before anything is sent (for example that a
    /// list the command needs at least one element of is not empty).
    fn check(&self) -> crate::Result<()> {
        Ok(())
    }
}

/// How long a command may keep its connection waiting for data
/// ([`Command::blocks`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Block {
    /// It answers as soon as it has run.
    #[default]
    No,
    /// It may wait this long for data before answering.
    For(std::time::Duration),
    /// It may wait forever (`BLPOP k 0`, or a blocking command whose block
    /// time the spec does not describe).
    Forever,
}

impl Block {
    /// The longest a reply may take: the block time plus `margin`; `None`
    /// for no bound (blocks forever, or no margin configured).
    pub fn deadline(self, margin: Option<std::time::Duration>) -> Option<std::time::Duration> {
        match self {
            Block::No => margin,
            Block::For(t) => margin.map(|m| m.saturating_add(t)),
            Block::Forever => None,
        }
    }
}

/// An untyped command: a name and its arguments, encoded as they are added.
///
/// ```
/// use respec::Cmd;
///
/// let mut cmd = Cmd::new("SET");
/// cmd.arg("key").arg(42).arg("EX").arg(60);
/// assert_eq!(cmd.argc(), 5);
/// ```
#[derive(Clone)]
pub struct Cmd {
    /// The spec of the command the name names, when the specs have it
    /// (found once, when the name is set): its `name` is then the
    /// command's name, read without looking at `body` again.
    spec: Option<&'static crate::commands::CommandSpec>,
    /// The upper-cased name, when the specs do not have the name and it is
    /// not upper case already (otherwise it is read from `spec` or `body`,
    /// saving an allocation).
    name: Option<String>,
    /// Where the name's bytes lie in `body`, when `spec` and `name` are
    /// `None`.
    name_at: std::ops::Range<usize>,
    /// The arguments, each already written as a RESP bulk string.
    body: BytesMut,
    argc: usize,
    blocking: bool,
}

impl Drop for Cmd {
    fn drop(&mut self) {
        // The buffer goes back for the next command built on this thread.
        crate::commands::support::arena::give(std::mem::take(&mut self.body));
    }
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cmd")
            .field("name", &self.name())
            .field("body", &self.body)
            .field("argc", &self.argc)
            .field("blocking", &self.blocking)
            .finish()
    }
}

/// The spec of the command named `name` (in any case), and the upper-cased
/// name when the specs do not have it and it is not upper case already.
fn resolve(
    name: &str,
) -> (
    Option<&'static crate::commands::CommandSpec>,
    Option<String>,
) {
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        return (crate::commands::spec_of(name), None);
    }
    // Upper-cased on the stack: a known name in lower case costs no
    // allocation. No spec name is longer than the buffer.
    let mut buf = [0u8; 64];
    if let Some(upper) = buf.get_mut(..name.len()) {
        upper.copy_from_slice(name.as_bytes());
        upper.make_ascii_uppercase();
        if let Some(spec) = std::str::from_utf8(upper)
            .ok()
            .and_then(crate::commands::spec_of)
        {
            return (Some(spec), None);
        }
    }
    (None, Some(name.to_ascii_uppercase()))
}

impl Cmd {
    /// A command whose first argument is `name` (for example `"GET"`).
    pub fn new(name: &str) -> Self {
        let (spec, upper_name) = resolve(name);
        let mut cmd = Cmd {
            spec,
            name: upper_name,
            name_at: 0..0,
            body: crate::commands::support::arena::take(),
            argc: 0,
            blocking: false,
        };
        cmd.arg(name);
        // `$<len>\r\n<name>\r\n`: the name ends two bytes before the end.
        let end = cmd.body.len() - 2;
        cmd.name_at = end - name.len()..end;
        cmd
    }

    /// Builds a command from a whole argument list, the name first.
    ///
    /// Returns `None` for an empty list.
    pub fn from_args<I>(args: I) -> Option<Self>
    where
        I: IntoIterator,
        I::Item: ToArg,
    {
        let mut it = args.into_iter();
        let first = it.next()?;
        let mut body = crate::commands::support::arena::take();
        first.write_arg(&mut body);
        let name_at = first_arg(&body);
        let (spec, name) = match std::str::from_utf8(&body[name_at.clone()]) {
            Ok(name) => resolve(name),
            Err(_) => (None, Some(name_of(&body))),
        };
        let mut cmd = Cmd {
            spec,
            name,
            name_at,
            body,
            argc: 1,
            blocking: false,
        };
        for a in it {
            cmd.arg(a);
        }
        Some(cmd)
    }

    /// Appends one argument.
    pub fn arg(&mut self, arg: impl ToArg) -> &mut Self {
        arg.write_arg(&mut self.body);
        self.argc += 1;
        self
    }

    /// Appends every argument of `args`.
    pub fn args<I>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: ToArg,
    {
        for a in args {
            self.arg(a);
        }
        self
    }

    /// Marks the command as blocking (see [`Command::is_blocking`]) when the
    /// spec does not know it as such (a module command, say), so the
    /// client runs it on a dedicated connection.
    pub fn set_blocking(&mut self, blocking: bool) -> &mut Self {
        self.blocking = blocking;
        self
    }

    /// Appends every argument of `other` except its first (its name).
    pub fn append_args_of(&mut self, other: &Cmd) -> &mut Self {
        // Skip the first bulk string: `$<len>\r\n<bytes>\r\n`.
        let body = &other.body[..];
        if let Some(nl) = body.iter().position(|&b| b == b'\n') {
            let len: usize = std::str::from_utf8(&body[1..nl - 1])
                .ok()
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            let rest = nl + 1 + len + 2;
            if rest <= body.len() {
                self.body.extend_from_slice(&body[rest..]);
                self.argc += other.argc - 1;
            }
        }
        self
    }

    /// The number of arguments, the name included.
    pub fn argc(&self) -> usize {
        self.argc
    }

    /// The whole command in wire form.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.body.len() + 16);
        self.encode(&mut out);
        out.freeze()
    }
}

/// Where the bytes of the first bulk string in `body` lie.
fn first_arg(body: &[u8]) -> std::ops::Range<usize> {
    let start = body.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
    let end = body.len().saturating_sub(2).max(start);
    let len = std::str::from_utf8(body.get(1..start.saturating_sub(2)).unwrap_or_default())
        .ok()
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(end - start);
    start..(start + len).min(end)
}

/// The upper-cased text of the first bulk string in `body` (the name).
fn name_of(body: &[u8]) -> String {
    let start = body.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
    let end = body.len().saturating_sub(2).max(start);
    String::from_utf8_lossy(&body[start..end]).to_ascii_uppercase()
}

impl Command for Cmd {
    fn spec(&self) -> Option<&'static crate::commands::CommandSpec> {
        if self.spec.is_some() {
            return self.spec;
        }
        // A container command: its name with the subcommand.
        let name = self.name();
        let mut out = BytesMut::new();
        self.encode(&mut out);
        let full = crate::connection::aio_name_of(&out);
        if full.len() > name.len() {
            crate::commands::spec_of(&full)
        } else {
            None
        }
    }

    fn name(&self) -> &str {
        if let Some(spec) = self.spec {
            return spec.name;
        }
        match &self.name {
            Some(n) => n,
            // Checked to be UTF-8 without lower-case letters when built.
            None => std::str::from_utf8(&self.body[self.name_at.clone()]).unwrap_or_default(),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        write_array_header(out, self.argc);
        out.extend_from_slice(&self.body);
    }

    fn blocks(&self) -> Block {
        let rule = self
            .spec
            .map_or(crate::commands::support::BlockRule::Never, |s| s.block);
        if rule == crate::commands::support::BlockRule::Never {
            return if self.blocking {
                Block::Forever
            } else {
                Block::No
            };
        }
        let mut out = BytesMut::with_capacity(self.body.len() + 16);
        self.encode(&mut out);
        match rule.block(&crate::commands::support::split_encoded(&out)) {
            Block::No if self.blocking => Block::Forever,
            b => b,
        }
    }
}

impl<C: Command + ?Sized> Command for &C {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn encode(&self, out: &mut BytesMut) {
        (**self).encode(out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut crate::resp::encode::SharedParts) {
        (**self).encode_shared(out, parts)
    }
    fn requires(&self) -> crate::commands::Requires {
        (**self).requires()
    }
    fn blocks(&self) -> Block {
        (**self).blocks()
    }
    fn spec(&self) -> Option<&'static crate::commands::CommandSpec> {
        (**self).spec()
    }
    fn is_blocking(&self) -> bool {
        (**self).is_blocking()
    }
    fn check(&self) -> crate::Result<()> {
        (**self).check()
    }
}

/// Where a command is about to be sent, for [`check_sendable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A connection many callers share (the clients' own, a pipeline that
    /// may run on it).
    Shared,
    /// A multiplexed connection one caller holds for a while (a pooled
    /// connection): state on it is the caller's, but the replies must still
    /// line up with the requests.
    Dedicated,
}

/// The command's full name (with the subcommand for a raw [`Cmd`] that
/// names a container, `CLIENT` + `REPLY`), and for the few commands whose
/// arguments decide whether they may be sent, those arguments.
fn full_name<'a, C: Command + ?Sized>(
    cmd: &C,
    name: &'a str,
) -> (std::borrow::Cow<'a, str>, Vec<Vec<u8>>) {
    if !matches!(name, "CLIENT" | "CLIENT REPLY" | "HELLO") {
        return (name.into(), Vec::new());
    }
    let mut out = BytesMut::new();
    cmd.encode(&mut out);
    let args = crate::commands::support::split_encoded(&out)
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    (crate::connection::aio_name_of(&out).into(), args)
}

/// Rejects, before anything is sent, the commands that would make replies
/// on a multiplexed connection stop lining up with the requests, and on a
/// shared connection those that would leave state every other caller
/// inherits:
///
/// - everywhere: the subscription commands and `MONITOR` (the connection
///   becomes a stream of messages) and
///   `CLIENT REPLY OFF|SKIP` (replies are skipped, so every later reply
///   would go to the wrong caller);
/// - on shared connections also `MULTI`, `EXEC`, `DISCARD` sent alone (use
///   [`Pipeline::atomic`](crate::Pipeline::atomic), or a pipeline holding
///   the whole transaction), `WATCH`, `UNWATCH` (use
///   `Client::transaction`), `SELECT` (set the database in the URL or the
///   builder), `HELLO` with arguments, `RESET` and `AUTH` (the handshake's,
///   from the configuration).
pub(crate) fn check_sendable<C: Command + ?Sized>(cmd: &C, target: Target) -> crate::Result<()> {
    check_in(cmd, cmd.name(), target, false)
}

/// [`check_sendable`] for a command inside a pipeline, which may hold a
/// whole `MULTI` ... `EXEC` (the pipeline checks they balance); `name`
/// is the command's [`name`](Command::name), read once by the caller.
pub(crate) fn check_in_pipeline<C: Command + ?Sized>(cmd: &C, name: &str) -> crate::Result<()> {
    check_in(cmd, name, Target::Shared, true)
}

fn check_in<C: Command + ?Sized>(
    cmd: &C,
    name: &str,
    target: Target,
    pipeline: bool,
) -> crate::Result<()> {
    let (name, args) = full_name(cmd, name);
    let arg = |i: usize| args.get(i).map(|a| a.to_ascii_uppercase());
    let (what, instead) = match (&*name, target) {
        (
            "SUBSCRIBE" | "PSUBSCRIBE" | "SSUBSCRIBE" | "UNSUBSCRIBE" | "PUNSUBSCRIBE"
            | "SUNSUBSCRIBE",
            _,
        ) => (
            "puts the connection in subscriber mode",
            "use `subscriber()` on the client for a pub/sub connection of its own",
        ),
        ("MONITOR", _) => (
            "turns the connection into a stream of every command the server runs",
            "send it on a connection of its own (`Connection::connect`)",
        ),
        ("CLIENT REPLY", _) if arg(2).as_deref() != Some(b"ON") => (
            "makes the server skip replies, so later replies would reach the wrong callers",
            "it cannot be used on a multiplexed connection",
        ),
        ("MULTI" | "EXEC" | "DISCARD", Target::Shared) if !pipeline => (
            "would put every caller of the shared connection in the transaction",
            "use `Pipeline::atomic()` for MULTI/EXEC, or a dedicated connection",
        ),
        ("WATCH" | "UNWATCH", Target::Shared) => (
            "would watch keys for every caller of the shared connection",
            "use `Client::transaction`, or a dedicated connection",
        ),
        ("SELECT", Target::Shared) => (
            "would change the database of every caller of the shared connection",
            "set the database in the URL or with the builder's `db`",
        ),
        ("HELLO", Target::Shared) if args.len() > 1 => (
            "with arguments would change the protocol or user of every caller of the shared connection",
            "set them in the configuration, or use a dedicated connection",
        ),
        ("RESET" | "AUTH", Target::Shared) => (
            "would change the protocol, user or state of every caller of the shared connection",
            "set them in the configuration, or use a dedicated connection",
        ),
        _ => return Ok(()),
    };
    Err(crate::Error::new(
        crate::ErrorKind::InvalidInput,
        format!("{name} {what}, so it is not sent here; {instead}"),
    )
    .for_command(name.into_owned()))
}

/// Shorthand for [`Cmd::new`].
pub fn cmd(name: &str) -> Cmd {
    Cmd::new(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_name_and_arguments() {
        let mut c = cmd("get");
        c.arg("k");
        assert_eq!(c.name(), "GET");
        assert_eq!(&c.to_bytes()[..], b"*2\r\n$3\r\nget\r\n$1\r\nk\r\n");
        let c = Cmd::from_args(["client", "id"]).unwrap();
        assert_eq!(c.name(), "CLIENT");
        assert_eq!(c.argc(), 2);
    }

    #[test]
    fn every_spec_is_found_by_its_name_in_any_case() {
        for spec in crate::commands::ALL.iter().copied() {
            let found = crate::commands::spec_of(spec.name);
            assert!(
                found.is_some_and(|f| std::ptr::eq(f, spec)),
                "{}",
                spec.name
            );
            assert!(
                spec.name.len() <= 64,
                "{} is longer than the buffer",
                spec.name
            );
            for name in [spec.name.to_string(), spec.name.to_ascii_lowercase()] {
                let c = Cmd::new(&name);
                assert_eq!(c.name(), spec.name);
                assert!(c.spec().is_some_and(|f| std::ptr::eq(f, spec)));
                let c = Cmd::from_args([name.as_str()]).unwrap();
                assert_eq!(c.name(), spec.name);
                assert!(c.spec().is_some_and(|f| std::ptr::eq(f, spec)));
            }
        }
        assert!(crate::commands::spec_of("get").is_none());
        assert!(crate::commands::spec_of("GETX").is_none());
        assert!(crate::commands::spec_of("").is_none());
    }

    #[test]
    fn names_the_specs_lack_are_upper_cased_as_written() {
        let c = Cmd::new("my.Command");
        assert_eq!(c.name(), "MY.COMMAND");
        assert!(c.spec().is_none());
        assert_eq!(&c.to_bytes()[..], b"*1\r\n$10\r\nmy.Command\r\n");
        let c = Cmd::new("NOSUCHCMD");
        assert_eq!(c.name(), "NOSUCHCMD");
        assert!(c.spec().is_none());
        let long = "x".repeat(100);
        assert_eq!(Cmd::new(&long).name(), long.to_ascii_uppercase());
        let c = Cmd::from_args([&b"bad\xffname"[..], b"k"]).unwrap();
        assert_eq!(c.name(), "BAD\u{fffd}NAME");
        assert!(c.spec().is_none());
        assert_eq!(c.argc(), 2);
    }

    #[test]
    fn a_container_finds_the_spec_of_its_subcommand() {
        let mut c = Cmd::new("client");
        c.arg("kill").arg("ID").arg(7);
        assert_eq!(c.name(), "CLIENT");
        assert_eq!(c.spec().map(|s| s.name), Some("CLIENT KILL"));
        let mut c = Cmd::new("CLIENT");
        c.arg("NOSUCH");
        assert_eq!(c.name(), "CLIENT");
        assert_eq!(c.spec().map(|s| s.name), None);
    }

    #[test]
    fn block_time_comes_from_the_spec() {
        let mut c = Cmd::new("blpop");
        c.arg("k").arg(5);
        assert_eq!(c.blocks(), Block::For(std::time::Duration::from_secs(5)));
        let mut c = Cmd::new("BLPOP");
        c.arg("k").arg(0);
        assert_eq!(c.blocks(), Block::Forever);
        let mut c = Cmd::new("GET");
        c.arg("k");
        assert_eq!(c.blocks(), Block::No);
        let mut c = Cmd::new("MY.BLOCKING");
        c.set_blocking(true);
        assert_eq!(c.blocks(), Block::Forever);
    }
}
