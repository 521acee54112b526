//! What the generated command types are built from.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};

pub use crate::cmd::Block;
use crate::error::{Error, ErrorKind, Result};
use crate::reply::FromResp;
pub use crate::resp::encode::SharedParts;
use crate::resp::encode::{write_array_header, write_bulk, write_bulk_header, ToArg};
use crate::resp::Frame;

/// A server version, `(major, minor, patch)`.
pub type Version = (u16, u16, u16);

/// What a command or argument needs of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Need {
    /// Any version has it.
    #[default]
    Any,
    /// Versions from this one on have it.
    Since(Version),
    /// The server does not have it.
    Never,
}

impl Need {
    /// The stricter of two needs.
    #[inline]
    pub const fn max(self, other: Need) -> Need {
        match (self, other) {
            (Need::Never, _) | (_, Need::Never) => Need::Never,
            (Need::Any, n) | (n, Need::Any) => n,
            (Need::Since(a), Need::Since(b)) => {
                let later = a.0 > b.0 || (a.0 == b.0 && (a.1 > b.1 || (a.1 == b.1 && a.2 >= b.2)));
                Need::Since(if later { a } else { b })
            }
        }
    }
}

/// What a command, with the arguments it carries, needs of each server the
/// command layer knows: one build serves Redis and Valkey, and the
/// executors check the need of the server the connection met (its `HELLO`
/// or `INFO` says which) before sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Requires {
    /// Of Redis (and of servers that call themselves something else).
    pub redis: Need,
    /// Of Valkey.
    pub valkey: Need,
}

impl Requires {
    /// Any version of either server.
    pub const ANY: Requires = Requires {
        redis: Need::Any,
        valkey: Need::Any,
    };

    /// Version `v` of either server.
    pub const fn since(v: Version) -> Requires {
        Requires {
            redis: Need::Since(v),
            valkey: Need::Since(v),
        }
    }

    /// The stricter of two requirements, server by server.
    #[inline]
    pub const fn max(self, other: Requires) -> Requires {
        if matches!((other.redis, other.valkey), (Need::Any, Need::Any)) {
            // Most commands need nothing in particular.
            return self;
        }
        Requires {
            redis: self.redis.max(other.redis),
            valkey: self.valkey.max(other.valkey),
        }
    }

    /// The need of the server that calls itself `server` (`"redis"`,
    /// `"valkey"`; anything else is taken for Redis).
    pub fn of(&self, server: &str) -> Need {
        if server.eq_ignore_ascii_case("valkey") {
            self.valkey
        } else {
            self.redis
        }
    }
}

/// The facts the server's spec gives about one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// The name as the server spells it (`"CLIENT KILL"`).
    pub name: &'static str,
    /// The group (`"string"`, `"sorted-set"`, ...).
    pub group: &'static str,
    /// The version that introduced the command (on Redis when Redis has
    /// it, else on Valkey).
    pub since: Version,
    /// What the command needs of each server: which have it, since when.
    pub requires: Requires,
    /// The arity: positive for exactly that many arguments (the name
    /// included), negative for at least that many.
    pub arity: i64,
    /// Command flags (`"readonly"`, `"write"`, `"blocking"`, `"noscript"`, ...).
    pub flags: &'static [&'static str],
    /// ACL categories (`"@read"`, `"@string"`, ...).
    pub acl_categories: &'static [&'static str],
    /// Request and response policy tips (`"request_policy:all_shards"`, ...).
    pub tips: &'static [&'static str],
    /// Where the keys are in the arguments.
    pub key_specs: &'static [KeySpec],
    /// Where a blocking command's block time is (from the `blocking` flag
    /// and the arguments).
    pub block: BlockRule,
}

/// Where a blocking command carries its block time, derived by the code
/// generator from the spec: the `blocking` flag, then an argument named
/// `timeout` (a `double` in seconds, an `integer` in milliseconds) or one
/// introduced by the `BLOCK` token (milliseconds). A block time of zero
/// means forever, as the server reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockRule {
    /// Not a blocking command.
    Never,
    /// The argument at `index` (the name is 0; negative counts from the
    /// end, -1 being the last) is the block time.
    Arg {
        /// Its position.
        index: i64,
        /// Milliseconds (`true`) or seconds.
        millis: bool,
    },
    /// The argument after the token `token`, looked for before the token
    /// `until` (where the keys begin), is the block time; without the token
    /// the command does not block.
    AfterToken {
        /// The token (`"BLOCK"`).
        token: &'static str,
        /// Where the search stops (`"STREAMS"`), or `""`.
        until: &'static str,
        /// Milliseconds (`true`) or seconds.
        millis: bool,
    },
    /// Blocking, for a time the spec does not describe: taken as forever.
    Unknown,
}

impl BlockRule {
    /// How long the command whose arguments (name first) are `args` may
    /// block.
    pub fn block(&self, args: &[&[u8]]) -> Block {
        let (arg, millis) = match *self {
            BlockRule::Never => return Block::No,
            BlockRule::Unknown => return Block::Forever,
            BlockRule::Arg { index, millis } => {
                let i = if index < 0 {
                    args.len() as i64 + index
                } else {
                    index
                };
                (usize::try_from(i).ok().and_then(|i| args.get(i)), millis)
            }
            BlockRule::AfterToken {
                token,
                until,
                millis,
            } => {
                let mut found = None;
                for (i, a) in args.iter().enumerate().skip(1) {
                    if !until.is_empty() && a.eq_ignore_ascii_case(until.as_bytes()) {
                        break;
                    }
                    if a.eq_ignore_ascii_case(token.as_bytes()) {
                        found = Some(args.get(i + 1));
                        break;
                    }
                }
                match found {
                    None => return Block::No,
                    Some(a) => (a, millis),
                }
            }
        };
        // Unreadable: the server will refuse it at once; no block.
        let Some(secs) = arg
            .and_then(|a| std::str::from_utf8(a).ok())
            .and_then(|t| t.trim().parse::<f64>().ok())
        else {
            return Block::No;
        };
        let secs = if millis { secs / 1000.0 } else { secs };
        if secs == 0.0 {
            Block::Forever
        } else if secs.is_finite() && secs > 0.0 {
            Block::For(
                std::time::Duration::try_from_secs_f64(secs).unwrap_or(std::time::Duration::MAX),
            )
        } else {
            Block::No
        }
    }
}

/// The block time of a generated command (its spec's [`BlockRule`] over its
/// encoded arguments).
pub fn block_of<C: crate::Command + ?Sized>(spec: &CommandSpec, cmd: &C) -> Block {
    if spec.block == BlockRule::Never {
        return Block::No;
    }
    let mut out = BytesMut::with_capacity(64);
    cmd.encode(&mut out);
    spec.block.block(&split_encoded(&out))
}

impl CommandSpec {
    /// Whether the command is one of a module family (`JSON.SET`,
    /// `FT.SEARCH`, ...), not a core command of the server.
    pub fn is_module(&self) -> bool {
        crate::commands::MODULE_GROUPS.contains(&self.group)
    }

    /// Whether the spec lists `flag` (`"readonly"`, `"write"`, ...).
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }

    /// The request policy tip (`"all_shards"`, `"multi_shard"`, ...), if any.
    pub fn request_policy(&self) -> Option<&'static str> {
        self.tips
            .iter()
            .find_map(|t| t.strip_prefix("request_policy:"))
    }

    /// The response policy tip (`"all_succeeded"`, `"agg_sum"`, ...), if any.
    pub fn response_policy(&self) -> Option<&'static str> {
        self.tips
            .iter()
            .find_map(|t| t.strip_prefix("response_policy:"))
    }
}

/// One key specification: where a search for keys begins and how the keys
/// are found from there (the server's own key-spec model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// Where to start.
    pub begin: BeginSearch,
    /// How to find the keys.
    pub find: FindKeys,
    /// The key-spec flags (`"RW"`, `"access"`, ...).
    pub flags: &'static [&'static str],
}

/// Where a key search starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument index (the name is index 0).
    Index(usize),
    /// After this keyword, searched from `start_from` (negative: from the end).
    Keyword {
        /// The keyword.
        keyword: &'static str,
        /// Where to start looking for it.
        start_from: i64,
    },
    /// Not described by the spec.
    Unknown,
}

/// How keys are found from the start of the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// A range: the last key (relative; negative counts from the end), the
    /// step between keys, and a limit dividing the remaining arguments.
    Range {
        /// Last key, relative to the start (-1: the last argument).
        last_key: i64,
        /// Distance between keys.
        step: usize,
        /// When last_key is -1: 0 for all, 2 for half of the rest, ...
        limit: usize,
    },
    /// An argument holds the number of keys.
    KeyNum {
        /// Where the count is, relative to the start.
        key_num_idx: usize,
        /// Where the first key is, relative to the start.
        first_key: usize,
        /// Distance between keys.
        step: usize,
    },
    /// Not described by the spec.
    Unknown,
}

/// The positions of the keys in `args` (the whole command, name first),
/// found the way the server's `COMMAND GETKEYS` finds them.
pub fn key_positions(specs: &[KeySpec], args: &[&[u8]]) -> Vec<usize> {
    let mut out = Vec::new();
    for_each_key_position(specs, args, |i| out.push(i));
    out
}

/// The arguments of a command, by index (the name is 0).
pub trait ArgList {
    /// How many there are.
    fn count(&self) -> usize;
    /// The argument at `i` (`i < count()`).
    fn at(&self, i: usize) -> &[u8];
}

impl ArgList for [&[u8]] {
    fn count(&self) -> usize {
        self.len()
    }
    fn at(&self, i: usize) -> &[u8] {
        self[i]
    }
}

/// Calls `f` with the position of every key in `args`, found the way the
/// server's `COMMAND GETKEYS` finds them, without allocating.
pub fn for_each_key_position<A: ArgList + ?Sized>(
    specs: &[KeySpec],
    args: &A,
    mut f: impl FnMut(usize),
) {
    let len = args.count();
    for spec in specs {
        let start = match spec.begin {
            BeginSearch::Index(i) => i,
            BeginSearch::Keyword {
                keyword,
                start_from,
            } => {
                let n = len as i64;
                let found = if start_from >= 0 {
                    (start_from..n)
                        .find(|&i| args.at(i as usize).eq_ignore_ascii_case(keyword.as_bytes()))
                } else {
                    (1..=n + start_from)
                        .rev()
                        .find(|&i| args.at(i as usize).eq_ignore_ascii_case(keyword.as_bytes()))
                };
                match found {
                    Some(i) => i as usize + 1,
                    None => continue,
                }
            }
            BeginSearch::Unknown => continue,
        };
        if start >= len {
            continue;
        }
        match spec.find {
            FindKeys::Range {
                last_key,
                step,
                limit,
            } => {
                let last = if last_key >= 0 {
                    start + last_key as usize
                } else if limit > 1 && last_key == -1 {
                    start + (len - start) / limit - 1
                } else {
                    (len as i64 + last_key) as usize
                };
                let step = step.max(1);
                let mut i = start;
                while i <= last && i < len {
                    f(i);
                    i += step;
                }
            }
            FindKeys::KeyNum {
                key_num_idx,
                first_key,
                step,
            } => {
                let idx = start + key_num_idx;
                if idx >= len {
                    continue;
                }
                let Some(n) = std::str::from_utf8(args.at(idx))
                    .ok()
                    .and_then(|s| s.parse::<usize>().ok())
                else {
                    continue;
                };
                let first = start + first_key;
                let step = step.max(1);
                for k in 0..n {
                    let i = first + k * step;
                    if i < len {
                        f(i);
                    }
                }
            }
            FindKeys::Unknown => {}
        }
    }
}

/// The 64-bit FNV-1a hash of a command name, what the generated
/// [`spec_of`](crate::commands::spec_of) dispatches on before it compares
/// the name itself. The code generator computes the same hash of every
/// spec name and makes sure no two collide.
pub const fn name_hash(name: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < name.len() {
        hash ^= name[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// Splits an encoded command (`*N` then bulk strings) into its arguments.
pub fn split_encoded(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = match bytes.iter().position(|&b| b == b'\n') {
        Some(nl) => &bytes[nl + 1..],
        None => return out,
    };
    while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
        let len: usize = match std::str::from_utf8(&rest[1..nl.saturating_sub(1)])
            .ok()
            .and_then(|l| l.parse().ok())
        {
            Some(l) => l,
            None => break,
        };
        let start = nl + 1;
        if start + len > rest.len() {
            break;
        }
        out.push(&rest[start..start + len]);
        rest = &rest[(start + len + 2).min(rest.len())..];
    }
    out
}

/// A string argument held by value, for arguments nested in generated enums
/// and tuples. Anything that converts into bytes converts into it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Value(pub Bytes);

impl ToArg for Value {
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, &self.0)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value(Bytes::copy_from_slice(s.as_bytes()))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value(Bytes::from(s))
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value(Bytes::copy_from_slice(s.as_bytes()))
    }
}
impl From<&[u8]> for Value {
    fn from(s: &[u8]) -> Self {
        Value(Bytes::copy_from_slice(s))
    }
}
impl From<Vec<u8>> for Value {
    fn from(s: Vec<u8>) -> Self {
        Value(Bytes::from(s))
    }
}
impl From<Bytes> for Value {
    fn from(s: Bytes) -> Self {
        Value(s)
    }
}
macro_rules! value_from_number {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self {
                Value(Bytes::from(n.to_string()))
            }
        }
    )*};
}
value_from_number!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize, f32, f64);

/// Arguments of generated enums and tuples: they write themselves.
pub trait WriteArgs {
    /// Appends the arguments; returns how many.
    fn write_args(&self, w: &mut ArgWriter<'_>);

    /// The oldest server version that understands this value.
    fn since(&self) -> Option<Version> {
        None
    }
}

impl<T: WriteArgs + ?Sized> WriteArgs for &T {
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        (**self).write_args(w)
    }
    fn since(&self) -> Option<Version> {
        (**self).since()
    }
}

/// Writes arguments into one argument slot of a command.
#[derive(Debug)]
pub struct ArgWriter<'a> {
    buf: &'a mut BytesMut,
    parts: &'a mut SharedParts,
    argc: u32,
    required: Requires,
    error: Option<&'static str>,
}

impl ArgWriter<'_> {
    /// One argument.
    #[inline]
    pub fn arg<A: ToArg + ?Sized>(&mut self, a: &A) -> &mut Self {
        if let Err(e) = a.try_write_arg(self.buf) {
            self.error.get_or_insert(e);
        }
        self.argc += 1;
        self
    }

    /// One argument given by value: a large owned value is kept as it is
    /// (shared, see [`ToArg::into_shared`]) instead of copied.
    #[inline]
    pub fn arg_owned<A: ToArg>(&mut self, a: A) -> &mut Self {
        match a.into_shared() {
            Ok(bytes) => {
                let at = write_bulk_header(self.buf, bytes.len());
                self.parts.push((at, bytes));
                self.buf.extend_from_slice(b"\r\n");
                self.argc += 1;
                self
            }
            Err(a) => self.arg(&a),
        }
    }

    /// A keyword token.
    #[inline]
    pub fn token(&mut self, t: &'static str) -> &mut Self {
        write_bulk(self.buf, t.as_bytes());
        self.argc += 1;
        self
    }

    /// Records what the argument being written needs of each server.
    #[inline]
    pub fn since(&mut self, v: Requires) -> &mut Self {
        self.required = self.required.max(v);
        self
    }

    /// A generated enum or tuple value.
    #[inline]
    pub fn value<W: WriteArgs + ?Sized>(&mut self, v: &W) -> &mut Self {
        v.write_args(self);
        self
    }

    /// Records an input error: the command is refused with it, nothing
    /// sent (for a hand-written argument type that finds its value wrong).
    pub fn fail(&mut self, message: &'static str) -> &mut Self {
        self.error.get_or_insert(message);
        self
    }

    /// The arguments `write` writes, preceded by their number: a count the
    /// server wants before a list (Search's `PARAMS nargs name value ...`,
    /// `RETURN count field [AS name] ...`), derived from what is written
    /// instead of given by the caller.
    pub fn counted(&mut self, write: impl FnOnce(&mut Self)) -> &mut Self {
        let (start, argc, parts) = (self.buf.len(), self.argc, self.parts.len());
        write(self);
        let n = self.argc - argc;
        // The count goes before what was just written: write it at the
        // end, then rotate it into place.
        let end = self.buf.len();
        write_bulk(self.buf, n.to_string().as_bytes());
        let head = self.buf.len() - end;
        self.buf[start..].rotate_right(head);
        for (off, _) in &mut self.parts[parts..] {
            *off += head;
        }
        self.argc += 1;
        self
    }
}

/// Where the argument buffers of command values (and of [`Cmd`](crate::Cmd))
/// come from: a short
/// per-thread list of buffers that commands dropped, so that building a
/// small command allocates nothing once the thread has built one before.
///
/// A command takes a buffer when its first argument is set and gives it
/// back, emptied, when it is dropped (a buffer that grew past
/// [`KEEP_UP_TO`](arena::KEEP_UP_TO) bytes is freed instead, and at most
/// [`KEEP`](arena::KEEP) buffers wait per thread). A command built on one
/// thread and dropped on another gives its buffer to the other thread's
/// list.
pub(crate) mod arena {
    use bytes::BytesMut;
    use std::cell::RefCell;

    /// The capacity of a new buffer: a command name, a key and a short
    /// value, with their RESP framing.
    pub(super) const SLICE: usize = 64;
    /// The largest buffer kept for reuse.
    pub(super) const KEEP_UP_TO: usize = 1024;
    /// How many buffers wait per thread.
    pub(super) const KEEP: usize = 16;

    thread_local! {
        static FREE: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
    }

    /// An empty buffer with room for at least [`SLICE`] bytes.
    pub(crate) fn take() -> BytesMut {
        FREE.try_with(|free| free.try_borrow_mut().ok().and_then(|mut f| f.pop()))
            .ok()
            .flatten()
            .unwrap_or_else(|| BytesMut::with_capacity(SLICE))
    }

    /// Takes back the buffer of a dropped command.
    pub(crate) fn give(mut buf: BytesMut) {
        if !(SLICE..=KEEP_UP_TO).contains(&buf.capacity()) {
            return;
        }
        buf.clear();
        let _ = FREE.try_with(|free| {
            if let Ok(mut free) = free.try_borrow_mut() {
                if free.len() < KEEP {
                    free.push(buf);
                }
            }
        });
    }
}

impl<const N: usize> Drop for Args<N> {
    fn drop(&mut self) {
        // A command that never took a buffer gives back an empty one,
        // which `give` does not keep.
        arena::give(std::mem::take(&mut self.buf));
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    end: u32,
    argc: u32,
    /// Set by a builder, even with no argument written (a block without
    /// a token whose parts come in other slots).
    set: bool,
    /// The kind of the item appended last (0: none, or one that takes no
    /// continuation), and the part of it written last: see
    /// [`Args::append_item`] and [`Args::continue_item`].
    item: u8,
    part: u8,
}

/// A command's name as it starts the command on the wire: its words
/// (`CLIENT KILL` has two) and their RESP bulk strings, written by the
/// generator.
#[derive(Debug, Clone, Copy)]
pub struct Head {
    /// How many words the name has.
    pub words: usize,
    /// The words as bulk strings: `$6\r\nCLIENT\r\n$4\r\nKILL\r\n`.
    pub wire: &'static [u8],
}

/// The arguments of one command, held in argument-slot order of the spec
/// whatever order the builder methods were called in. `N` is the number of
/// top-level arguments in the spec.
#[derive(Debug, Clone)]
pub struct Args<const N: usize> {
    buf: BytesMut,
    /// Large values held by reference, each at an offset of `buf` (inside
    /// the span of its slot).
    parts: SharedParts,
    spans: [Span; N],
    required: Requires,
    error: Option<&'static str>,
}

impl<const N: usize> Default for Args<N> {
    fn default() -> Self {
        Args {
            buf: BytesMut::new(),
            parts: SharedParts::new(),
            spans: [Span::default(); N],
            required: Requires::ANY,
            error: None,
        }
    }
}

impl<const N: usize> Args<N> {
    /// No arguments yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets argument slot `slot` (replacing what it held).
    #[inline]
    pub fn set(&mut self, slot: usize, write: impl FnOnce(&mut ArgWriter<'_>)) {
        if self.buf.capacity() == 0 {
            self.buf = arena::take();
        }
        let start = self.buf.len() as u32;
        let mut w = ArgWriter {
            buf: &mut self.buf,
            parts: &mut self.parts,
            argc: 0,
            required: Requires::ANY,
            error: None,
        };
        write(&mut w);
        let (argc, required) = (w.argc, w.required);
        if let Some(e) = w.error {
            self.fail(e);
        }
        self.required = self.required.max(required);
        self.spans[slot] = Span {
            start,
            end: self.buf.len() as u32,
            argc,
            set: true,
            ..Span::default()
        };
    }

    /// Whether any slot of `slots` holds an argument.
    #[inline]
    pub fn any_set(&self, slots: std::ops::Range<usize>) -> bool {
        self.spans[slots].iter().any(|s| s.set)
    }

    /// Marks slot `slot` as given without writing anything there.
    #[inline]
    pub fn mark(&mut self, slot: usize) {
        self.spans[slot].set = true;
    }

    /// Appends to argument slot `slot` (for a repeated argument given one
    /// item per builder call): `first` is written before the first item
    /// only (the argument's token). The slot's bytes stay contiguous: when
    /// another slot was written since, they move to the end first.
    pub fn append(
        &mut self,
        slot: usize,
        first: Option<&'static str>,
        write: impl FnOnce(&mut ArgWriter<'_>),
    ) {
        let old = self.spans[slot];
        if old.argc == 0 {
            return self.set(slot, |w| {
                if let Some(t) = first {
                    w.token(t);
                }
                write(w)
            });
        }
        if old.end as usize != self.buf.len() {
            // Move the slot's bytes (and the shared values inside them) to
            // the end; the old copy is left outside every span.
            let (start, end) = (old.start as usize, old.end as usize);
            let at = self.buf.len();
            self.buf.extend_from_within(start..end);
            let moved: Vec<(usize, Bytes)> = self
                .parts
                .iter()
                .filter(|(off, _)| *off > start && *off < end)
                .map(|(off, b)| (off - start + at, b.clone()))
                .collect();
            self.parts.extend(moved);
            self.spans[slot] = Span {
                start: at as u32,
                end: self.buf.len() as u32,
                argc: old.argc,
                set: true,
                ..Span::default()
            };
        }
        let span = self.spans[slot];
        let mut w = ArgWriter {
            buf: &mut self.buf,
            parts: &mut self.parts,
            argc: 0,
            required: Requires::ANY,
            error: None,
        };
        write(&mut w);
        let (argc, required) = (w.argc, w.required);
        if let Some(e) = w.error {
            self.fail(e);
        }
        self.required = self.required.max(required);
        self.spans[slot] = Span {
            start: span.start,
            end: self.buf.len() as u32,
            argc: span.argc + argc,
            set: true,
            ..Span::default()
        };
    }

    /// Appends an item of kind `item` (1 and up) to slot `slot`, as
    /// [`append`](Self::append) does, for an item whose optional parts
    /// are given by builders of their own ([`continue_item`](Self::continue_item)).
    pub fn append_item(
        &mut self,
        slot: usize,
        first: Option<&'static str>,
        item: u8,
        write: impl FnOnce(&mut ArgWriter<'_>),
    ) {
        self.append(slot, first, write);
        self.spans[slot].item = item;
    }

    /// Writes part `part` (counted from 1, in the item's order) of the
    /// item appended last to slot `slot`, which must be of kind `item`
    /// and not have a later part written yet (nor this one, unless it
    /// `repeats`); otherwise the command is refused with `message`.
    pub fn continue_item(
        &mut self,
        slot: usize,
        item: u8,
        part: u8,
        repeats: bool,
        message: &'static str,
        write: impl FnOnce(&mut ArgWriter<'_>),
    ) {
        let last = self.spans[slot];
        if last.item != item || last.part > part || (last.part == part && !repeats) {
            return self.fail(message);
        }
        self.append(slot, None, write);
        self.spans[slot].item = item;
        self.spans[slot].part = part;
    }

    /// Whether slot `slot` holds any argument.
    #[inline]
    pub fn is_set(&self, slot: usize) -> bool {
        self.spans[slot].set
    }

    /// Records what an argument used needs of each server.
    #[inline]
    pub fn since(&mut self, v: Requires) {
        self.required = self.required.max(v);
    }

    /// Records an input error, reported (with nothing sent) when the
    /// command runs.
    pub fn fail(&mut self, message: &'static str) {
        self.error.get_or_insert(message);
    }

    /// What the arguments used need of each server.
    pub fn required(&self) -> Requires {
        self.required
    }

    /// The first input error, if any.
    pub fn error(&self) -> Option<&'static str> {
        self.error
    }

    /// Writes the command: its name tokens, then every slot in spec order
    /// (large shared values copied in).
    pub fn encode(&self, name: Head, out: &mut BytesMut) {
        self.write_head(name, out);
        if self.parts.is_empty() {
            // Slots written in spec order lie end to end in `buf`: each run
            // of them is one copy.
            let mut run = 0..0;
            for s in &self.spans {
                let (start, end) = (s.start as usize, s.end as usize);
                if start == end {
                    continue;
                }
                if start != run.end {
                    out.extend_from_slice(&self.buf[run]);
                    run = start..start;
                }
                run.end = end;
            }
            out.extend_from_slice(&self.buf[run]);
            return;
        }
        for s in &self.spans {
            let (start, end) = (s.start as usize, s.end as usize);
            let mut at = start;
            for (off, part) in self.parts_in(start, end) {
                out.extend_from_slice(&self.buf[at..off]);
                out.extend_from_slice(part);
                at = off;
            }
            out.extend_from_slice(&self.buf[at..end]);
        }
    }

    /// Like [`encode`](Self::encode), with the large shared values left
    /// out of `out` and listed in `parts` at their offsets.
    pub fn encode_shared(&self, name: Head, out: &mut BytesMut, parts: &mut SharedParts) {
        if self.parts.is_empty() {
            return self.encode(name, out);
        }
        self.write_head(name, out);
        for s in &self.spans {
            let (start, end) = (s.start as usize, s.end as usize);
            let mut at = start;
            for (off, part) in self.parts_in(start, end) {
                out.extend_from_slice(&self.buf[at..off]);
                parts.push((out.len(), part.clone()));
                at = off;
            }
            out.extend_from_slice(&self.buf[at..end]);
        }
    }

    fn write_head(&self, name: Head, out: &mut BytesMut) {
        let argc: u32 = self.spans.iter().map(|s| s.argc).sum();
        write_array_header(out, name.words + argc as usize);
        out.extend_from_slice(name.wire);
    }

    /// The shared values inside `start..end` of the buffer (a slot that was
    /// set again leaves its old ones outside every span).
    fn parts_in(&self, start: usize, end: usize) -> impl Iterator<Item = (usize, &Bytes)> {
        self.parts
            .iter()
            .filter(move |(off, _)| *off > start && *off < end)
            .map(|(off, b)| (*off, b))
    }
}

/// What every generated command type implements beside [`Command`](crate::Command).
pub trait GeneratedCommand: crate::Command {
    /// The spec facts of the command.
    const SPEC: &'static CommandSpec;

    /// The type its reply is read as: the reply type the command declares
    /// (`i64` for `INCR`), switched by builder methods that change the
    /// reply's shape (`ZRANGE ... WITHSCORES`), or chosen with `.reply::<T>()`.
    /// A [`Pipeline`](crate::Pipeline) reads each command's reply as this
    /// type ([`Pipeline::push`](crate::Pipeline::push)).
    type Reply;

    /// The keys this command touches, found from its arguments with the
    /// spec's key specs (as the server's `COMMAND GETKEYS` does).
    fn keys(&self) -> Vec<Bytes> {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        let args = split_encoded(&out);
        key_positions(Self::SPEC.key_specs, &args)
            .into_iter()
            .map(|i| Bytes::copy_from_slice(args[i]))
            .collect()
    }
}

/// The error for a command whose arguments were invalid.
pub fn input_error(name: &str, message: &str) -> Error {
    Error::new(ErrorKind::InvalidInput, message.to_string()).for_command(name.to_string())
}

/// The future of a generated command on an async executor: the executor's
/// reply future, with the reply converted to `R`.
#[must_use = "a command future does nothing unless awaited"]
pub struct CommandFuture<F, R> {
    inner: F,
    name: &'static str,
    _reply: PhantomData<fn() -> R>,
}

impl<F, R> CommandFuture<F, R> {
    /// Wraps a reply future.
    pub fn new(inner: F, name: &'static str) -> Self {
        CommandFuture {
            inner,
            name,
            _reply: PhantomData,
        }
    }
}

impl<F: std::fmt::Debug, R> std::fmt::Debug for CommandFuture<F, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandFuture")
            .field("command", &self.name)
            .finish()
    }
}

impl<F, R> std::future::Future for CommandFuture<F, R>
where
    F: std::future::Future<Output = Result<Frame>> + Unpin,
    R: FromResp,
{
    type Output = Result<R>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<R>> {
        let frame = ready!(Pin::new(&mut self.inner).poll(cx));
        let name = self.name;
        Poll::Ready(frame.and_then(|f| R::from_resp(f).map_err(|e| e.for_command(name))))
    }
}

/// Marks the types the generated command methods are available on: the
/// clients and connections (see the command-group traits in
/// [`commands`](crate::commands)).
pub trait Executor {}

impl Executor for crate::Client {}
impl Executor for crate::blocking::Client {}
impl Executor for crate::blocking::WithRetry<'_> {}
impl Executor for crate::connection::Connection {}
impl Executor for crate::cluster::ClusterClient {}
impl Executor for crate::cluster::BlockingClusterClient {}
impl Executor for crate::cluster::BlockingClusterWithoutCache<'_> {}
impl Executor for crate::blocking::WithoutCache<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    const CMD: Head = Head {
        words: 1,
        wire: b"$3\r\nCMD\r\n",
    };

    #[test]
    fn a_dropped_commands_buffer_is_taken_again_empty() {
        let mut args = Args::<2>::new();
        args.set(0, |w| {
            w.arg_owned("key");
        });
        let ptr = args.buf.as_ptr();
        drop(args);
        let again = arena::take();
        assert_eq!(again.as_ptr(), ptr);
        assert!(again.is_empty());
        // A buffer that grew large is freed, not kept.
        let mut big = BytesMut::with_capacity(arena::KEEP_UP_TO * 2);
        big.extend_from_slice(b"x");
        arena::give(big);
        assert_eq!(arena::take().capacity(), arena::SLICE);
    }

    fn encoded(args: &Args<2>) -> Vec<u8> {
        let mut out = BytesMut::new();
        args.encode(CMD, &mut out);
        out.to_vec()
    }

    #[test]
    fn a_continued_item_takes_its_parts_only_right_after_it() {
        const WRONG: &str = "not after its item";
        let mut args = Args::<2>::new();
        args.append_item(0, None, 1, |w| {
            w.token("GROUPBY").arg("@a");
        });
        // Another slot written in between does not end the item.
        args.set(1, |w| {
            w.token("DIALECT").arg(&2i64);
        });
        args.continue_item(0, 1, 2, true, WRONG, |w| {
            w.token("REDUCE").arg("x");
        });
        args.continue_item(0, 1, 2, true, WRONG, |w| {
            w.token("REDUCE").arg("y");
        });
        args.append(0, None, |w| {
            w.token("APPLY").arg("e");
        });
        assert_eq!(args.error(), None);
        assert_eq!(
            encoded(&args),
            b"*11\r\n$3\r\nCMD\r\n$7\r\nGROUPBY\r\n$2\r\n@a\r\n$6\r\nREDUCE\r\n$1\r\nx\r\n\
              $6\r\nREDUCE\r\n$1\r\ny\r\n$5\r\nAPPLY\r\n$1\r\ne\r\n$7\r\nDIALECT\r\n$1\r\n2\r\n"
                .to_vec()
        );
        // After an item of another kind, or a part given once already.
        args.continue_item(0, 1, 2, true, WRONG, |w| {
            w.token("REDUCE");
        });
        assert_eq!(args.error(), Some(WRONG));
        let mut args = Args::<2>::new();
        args.append_item(0, None, 2, |w| {
            w.token("SORTBY");
        });
        args.continue_item(0, 2, 1, false, "twice", |w| {
            w.token("MAX").arg(&1i64);
        });
        assert_eq!(args.error(), None);
        args.continue_item(0, 2, 1, false, "twice", |w| {
            w.token("MAX").arg(&2i64);
        });
        assert_eq!(args.error(), Some("twice"));
    }

    #[test]
    fn a_counted_list_is_written_after_its_count() {
        let mut args = Args::<2>::new();
        args.set(0, |w| {
            w.token("PARAMS").counted(|w| {
                w.arg("a").arg(&1i64).arg("b").arg(&2i64);
            });
        });
        args.set(1, |w| {
            w.token("RETURN").counted(|_| {});
        });
        assert_eq!(
            encoded(&args),
            b"*9\r\n$3\r\nCMD\r\n$6\r\nPARAMS\r\n$1\r\n4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n\
              $1\r\n2\r\n$6\r\nRETURN\r\n$1\r\n0\r\n"
                .to_vec()
        );
    }

    #[test]
    fn a_counted_list_keeps_its_shared_values_in_place() {
        let big = vec![7u8; crate::resp::encode::SHARE_ABOVE + 1];
        let mut args = Args::<2>::new();
        args.set(0, |w| {
            w.counted(|w| {
                w.arg("x").arg_owned(big.clone()).arg("y");
            });
        });
        let mut want = BytesMut::new();
        write_array_header(&mut want, 5);
        for part in [&b"CMD"[..], b"3", b"x", &big, b"y"] {
            write_bulk(&mut want, part);
        }
        assert_eq!(encoded(&args), want.to_vec());
        // The shared form: the value left out at its offset.
        let (mut out, mut parts) = (BytesMut::new(), SharedParts::new());
        args.encode_shared(CMD, &mut out, &mut parts);
        assert_eq!(parts.len(), 1);
        let (at, bytes) = &parts[0];
        let mut joined = out[..*at].to_vec();
        joined.extend_from_slice(bytes);
        joined.extend_from_slice(&out[*at..]);
        assert_eq!(joined, want.to_vec());
    }
}
