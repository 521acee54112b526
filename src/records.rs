//! Named records for the structured replies of the server.
//!
//! Commands whose reply is a structure (stream entries, `XINFO`, `CLIENT
//! LIST`, `COMMAND DOCS`, `HELLO`, `CLUSTER SHARDS`, ...) read it into one
//! of the types here, by default. Each reads the RESP2 shape (flat arrays
//! of field/value pairs, numbers as strings) and the RESP3 shape (maps,
//! sets, doubles) into the same value, so code written against one
//! protocol works on the other.
//!
//! Fields are typed: counts are integers, durations [`Duration`], points in
//! time [`SystemTime`], flags sets. A field a newer server adds, which this
//! version of respec does not know, is kept in the record's `extra` map (as
//! a protocol-independent [`Reply`]) rather than refused; a field an older
//! server leaves out is `None` (or empty) where the record allows it.
//!
//! The reply table names these types by grammar words (`stream_entry`,
//! `client_info`, ...; see `codegen/src/replies.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::error::{Error, ErrorKind, Result};
use crate::reply::{conversion_error, FromResp};
use crate::resp::Frame;
use crate::ByteStr;

// The records of the Search and TimeSeries modules, each behind its feature.
#[cfg(feature = "search")]
mod search;
#[cfg(feature = "search")]
pub use search::*;
#[cfg(feature = "timeseries")]
mod timeseries;
#[cfg(feature = "timeseries")]
pub use timeseries::*;

// ---------------------------------------------------------------------------
// A protocol-independent value.

/// A reply value in the shape both protocols share: what RESP2 would send.
///
/// RESP3's richer types are folded into it (a map becomes an array of
/// alternating keys and values, a set an array, a boolean the integer 0 or
/// 1, a double or a big number its decimal text, a verbatim string its
/// text), so the same server answer is the same `Reply` in both protocols.
/// It holds the results of `EXEC` and the fields of records that this
/// version of respec does not know. [`Reply::convert`] reads it further
/// into any [`FromResp`] type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reply {
    /// A null (nil bulk string, nil array, RESP3 null).
    Nil,
    /// An integer (or a RESP3 boolean as 0/1).
    Integer(i64),
    /// A string: a bulk string, or a RESP3 double, big number or verbatim
    /// string as its text.
    Bulk(ByteStr),
    /// A status line (`+OK`, `+QUEUED`).
    Simple(String),
    /// An error reply, kept as a value (a failed command inside `EXEC`).
    Error(String),
    /// An array (or a RESP3 set, or a map as `k, v, k, v`).
    Array(Vec<Reply>),
}

impl Reply {
    /// The value as a frame of the RESP2 shape.
    pub fn into_frame(self) -> Frame {
        match self {
            Reply::Nil => Frame::Null,
            Reply::Integer(i) => Frame::Integer(i),
            Reply::Bulk(b) => Frame::BulkString(b.into_bytes()),
            Reply::Simple(s) => Frame::SimpleString(Bytes::from(s)),
            Reply::Error(e) => Frame::Error(Bytes::from(e)),
            Reply::Array(items) => Frame::Array(items.into_iter().map(Reply::into_frame).collect()),
        }
    }

    /// Reads the value as `T` (`reply.convert::<i64>()`); an error reply
    /// becomes `Err`.
    pub fn convert<T: FromResp>(self) -> Result<T> {
        T::from_resp(self.into_frame())
    }

    /// The bytes of a string or status value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(b) => Some(b.as_bytes()),
            Reply::Simple(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// The integer, also from a string holding one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Reply::Integer(i) => Some(*i),
            Reply::Bulk(b) => b.as_str()?.parse().ok(),
            _ => None,
        }
    }
}

impl FromResp for Reply {
    fn from_resp(frame: Frame) -> Result<Self> {
        Ok(match frame {
            Frame::Null => Reply::Nil,
            Frame::Integer(i) => Reply::Integer(i),
            Frame::Boolean(b) => Reply::Integer(b as i64),
            Frame::SimpleString(s) => Reply::Simple(String::from_utf8_lossy(&s).into_owned()),
            Frame::Error(e) | Frame::BulkError(e) => {
                Reply::Error(String::from_utf8_lossy(&e).into_owned())
            }
            Frame::BulkString(b) | Frame::BigNumber(b) => Reply::Bulk(ByteStr::from(b)),
            Frame::VerbatimString { text, .. } => Reply::Bulk(ByteStr::from(text)),
            Frame::Double(_) => Reply::Bulk(ByteStr::from_resp(frame)?),
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => Reply::Array(
                items
                    .into_iter()
                    .map(Reply::from_resp)
                    .collect::<Result<_>>()?,
            ),
            Frame::Map(pairs) => {
                let mut out = Vec::with_capacity(pairs.len() * 2);
                for (k, v) in pairs {
                    out.push(Reply::from_resp(k)?);
                    out.push(Reply::from_resp(v)?);
                }
                Reply::Array(out)
            }
            Frame::Attribute { data, .. } => Reply::from_resp(*data)?,
        })
    }
}

// ---------------------------------------------------------------------------
// Reading helpers.

/// The field/value pairs of a map-shaped reply: a RESP3 map, or RESP2's
/// flat array of alternating names and values.
struct Fields {
    what: &'static str,
    pairs: Vec<(String, Frame)>,
}

impl Fields {
    fn new(frame: Frame, what: &'static str) -> Result<Self> {
        let raw = match frame {
            Frame::Map(pairs) => pairs,
            Frame::Array(items) if items.len() % 2 == 0 => {
                let mut it = items.into_iter();
                let mut pairs = Vec::with_capacity(it.len() / 2);
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                pairs
            }
            other => return Err(conversion_error(what, &other)),
        };
        let pairs = raw
            .into_iter()
            .map(|(k, v)| {
                let key = match k.as_bytes() {
                    Some(b) => String::from_utf8_lossy(b).into_owned(),
                    None => return Err(conversion_error("a field name", &k)),
                };
                Ok((key, v))
            })
            .collect::<Result<_>>()?;
        Ok(Fields { what, pairs })
    }

    fn remove(&mut self, name: &str) -> Option<Frame> {
        let i = self.pairs.iter().position(|(k, _)| k == name)?;
        Some(self.pairs.remove(i).1)
    }

    /// The field read as `T`; a missing field reads as a null (so an
    /// `Option` field is `None` and a required one an error naming it).
    fn take<T: FromResp>(&mut self, name: &str) -> Result<T> {
        self.take_with(name, T::from_resp)
    }

    fn take_with<T>(&mut self, name: &str, conv: impl FnOnce(Frame) -> Result<T>) -> Result<T> {
        let frame = self.remove(name).unwrap_or(Frame::Null);
        conv(frame).map_err(|e| {
            Error::new(
                ErrorKind::Conversion,
                format!("{}, field `{name}`: {e}", self.what),
            )
        })
    }

    /// What is left, for `extra`.
    fn rest(self) -> Result<BTreeMap<String, Reply>> {
        self.pairs
            .into_iter()
            .map(|(k, v)| Ok((k, Reply::from_resp(v)?)))
            .collect()
    }
}

/// The items of an array-shaped reply (array or set), exactly or at least
/// `min` of them.
fn items(frame: Frame, min: usize, what: &'static str) -> Result<std::vec::IntoIter<Frame>> {
    match frame {
        Frame::Array(items) | Frame::Set(items) if items.len() >= min => Ok(items.into_iter()),
        other => Err(conversion_error(what, &other)),
    }
}

fn next<T: FromResp>(it: &mut std::vec::IntoIter<Frame>) -> Result<T> {
    T::from_resp(it.next().unwrap_or(Frame::Null))
}

fn non_negative(frame: Frame) -> Result<u64> {
    let i = i64::from_resp(frame)?;
    Ok(i.max(0) as u64)
}

/// Milliseconds as a duration (negative: zero).
fn millis(frame: Frame) -> Result<Duration> {
    non_negative(frame).map(Duration::from_millis)
}

/// Milliseconds as a duration; a negative value (the server's "never") or
/// a missing field as `None`.
fn opt_millis(frame: Frame) -> Result<Option<Duration>> {
    Ok(Option::<i64>::from_resp(frame)?
        .filter(|i| *i >= 0)
        .map(|i| Duration::from_millis(i as u64)))
}

fn micros(frame: Frame) -> Result<Duration> {
    non_negative(frame).map(Duration::from_micros)
}

fn seconds(frame: Frame) -> Result<Duration> {
    non_negative(frame).map(Duration::from_secs)
}

fn seconds_f64(frame: Frame) -> Result<Duration> {
    let s = f64::from_resp(frame)?;
    Ok(Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX))
}

/// A Unix time in milliseconds.
fn unix_millis(frame: Frame) -> Result<SystemTime> {
    millis(frame).map(|d| UNIX_EPOCH + d)
}

fn opt_unix_millis(frame: Frame) -> Result<Option<SystemTime>> {
    Ok(opt_millis(frame)?.map(|d| UNIX_EPOCH + d))
}

/// A Unix time in seconds.
fn unix_seconds(frame: Frame) -> Result<SystemTime> {
    seconds(frame).map(|d| UNIX_EPOCH + d)
}

/// Flags, from an array or a set (a missing field: none).
fn flags(frame: Frame) -> Result<BTreeSet<String>> {
    Ok(Option::<BTreeSet<String>>::from_resp(frame)?.unwrap_or_default())
}

/// A list that an older server may leave out: empty then.
fn list<T: FromResp>(frame: Frame) -> Result<Vec<T>> {
    Ok(Option::<Vec<T>>::from_resp(frame)?.unwrap_or_default())
}

/// `Deref` to the items and `IntoIterator` for a record that is a list of
/// records (`CLIENT LIST`'s clients, `CLUSTER NODES`' nodes, ...).
macro_rules! list_record {
    ($name:ident, $item:ty) => {
        impl std::ops::Deref for $name {
            type Target = Vec<$item>;
            fn deref(&self) -> &Vec<$item> {
                &self.0
            }
        }

        impl IntoIterator for $name {
            type Item = $item;
            type IntoIter = std::vec::IntoIter<$item>;
            fn into_iter(self) -> Self::IntoIter {
                self.0.into_iter()
            }
        }
    };
}
// For the records of the module families (`search`), declared above it.
#[allow(unused_imports)]
pub(crate) use list_record;

/// A record read from a map-shaped reply, one field per server field,
/// with `extra` for the rest.
macro_rules! map_record {
    (
        $(#[$m:meta])*
        pub struct $name:ident {
            $(
                $(#[$fm:meta])*
                pub $field:ident : $ty:ty = $key:literal $(=> $conv:expr)?,
            )*
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $(
                $(#[$fm])*
                pub $field: $ty,
            )*
            /// Fields this version of respec does not know (from a newer
            /// server), by name.
            pub extra: BTreeMap<String, Reply>,
        }

        impl FromResp for $name {
            fn from_resp(frame: Frame) -> Result<Self> {
                let mut f = Fields::new(frame, concat!("a map (", stringify!($name), ")"))?;
                Ok($name {
                    $( $field: map_record!(@take f, $key, $ty $(, $conv)?), )*
                    extra: f.rest()?,
                })
            }
        }
    };
    (@take $f:ident, $key:literal, $ty:ty) => { $f.take::<$ty>($key)? };
    (@take $f:ident, $key:literal, $ty:ty, $conv:expr) => { $f.take_with($key, $conv)? };
}

// ---------------------------------------------------------------------------
// Streams.

/// One stream entry (`XRANGE`, `XREAD`, `XCLAIM`, ...): its ID and its
/// field/value pairs, in the order they were added.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamEntry {
    /// The entry ID, `<milliseconds>-<sequence>`.
    pub id: String,
    /// The field/value pairs.
    pub fields: Vec<(ByteStr, ByteStr)>,
}

impl StreamEntry {
    /// The value of the first field named `field`.
    pub fn get(&self, field: impl AsRef<[u8]>) -> Option<&ByteStr> {
        let field = field.as_ref();
        self.fields
            .iter()
            .find(|(f, _)| f.as_bytes() == field)
            .map(|(_, v)| v)
    }
}

impl FromResp for StreamEntry {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 2, "a stream entry [id, fields]")?;
        let id = next(&mut it)?;
        let fields = next(&mut it)?;
        Ok(StreamEntry { id, fields })
    }
}

/// One entry of an `XREADGROUP` reply. Reading a consumer's pending
/// history (an ID other than `>`) gives the entries it was delivered; one
/// deleted since (`XDEL`, `XTRIM`) comes with its ID and no fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupEntry {
    /// The entry ID.
    pub id: String,
    /// The field/value pairs; `None` when the entry was deleted after it
    /// was delivered (it is still pending: acknowledge it with `XACK`).
    pub fields: Option<Vec<(ByteStr, ByteStr)>>,
}

impl GroupEntry {
    /// Whether the entry was deleted after delivery.
    pub fn is_deleted(&self) -> bool {
        self.fields.is_none()
    }
}

impl FromResp for GroupEntry {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 2, "a stream entry [id, fields]")?;
        let id = next(&mut it)?;
        let fields = next(&mut it)?;
        Ok(GroupEntry { id, fields })
    }
}

/// The entries `XREAD` (`E` = [`StreamEntry`]) or `XREADGROUP` (`E` =
/// [`GroupEntry`]) read from one stream. The reply lists the streams in
/// the order the server sent them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamRead<E = StreamEntry> {
    /// The stream's key.
    pub key: ByteStr,
    /// The entries read, oldest first.
    pub entries: Vec<E>,
}

impl<E: FromResp> FromResp for StreamRead<E> {
    // RESP3 sends the streams as a map, which `Vec<StreamRead>` reads pair
    // by pair; RESP2 as an array of [key, entries].
    const FLAT_ARITY: usize = 2;

    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 2, "a stream's entries [key, entries]")?;
        Self::from_flat(&mut it)
    }

    fn from_flat(items: &mut std::vec::IntoIter<Frame>) -> Result<Self> {
        Ok(StreamRead {
            key: next(items)?,
            entries: list(items.next().unwrap_or(Frame::Null))?,
        })
    }
}

/// The `XPENDING key group` summary.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PendingSummary {
    /// How many entries are pending (delivered, not acknowledged).
    pub count: u64,
    /// The smallest pending ID (`None` when nothing is pending).
    pub min_id: Option<String>,
    /// The greatest pending ID.
    pub max_id: Option<String>,
    /// Each consumer with pending entries and how many, as the server lists them.
    pub consumers: Vec<(ByteStr, u64)>,
}

impl FromResp for PendingSummary {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 4, "an XPENDING summary")?;
        Ok(PendingSummary {
            count: next(&mut it)?,
            min_id: next(&mut it)?,
            max_id: next(&mut it)?,
            consumers: list(it.next().unwrap_or(Frame::Null))?,
        })
    }
}

/// One entry of the extended `XPENDING key group start end count` form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PendingEntry {
    /// The entry ID.
    pub id: String,
    /// The consumer that owns it.
    pub consumer: ByteStr,
    /// Time since it was last delivered.
    pub idle: Duration,
    /// How many times it was delivered.
    pub deliveries: u64,
}

impl FromResp for PendingEntry {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 4, "an XPENDING entry")?;
        Ok(PendingEntry {
            id: next(&mut it)?,
            consumer: next(&mut it)?,
            idle: millis(it.next().unwrap_or(Frame::Null))?,
            deliveries: next(&mut it)?,
        })
    }
}

/// The `XAUTOCLAIM` reply: the entries claimed, `E` = [`StreamEntry`], or
/// with `JUSTID` their IDs, `E` = `String`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AutoClaim<E = StreamEntry> {
    /// The cursor for the next call (`0-0` when the scan is complete).
    pub next: String,
    /// The entries claimed. (A server before 7.0 sends a null for an entry
    /// deleted meanwhile; it is left out here.)
    pub claimed: Vec<E>,
    /// IDs of pending entries that no longer exist and were removed from
    /// the pending list (7.0 and later; empty before).
    pub deleted: Vec<String>,
}

impl<E: FromResp> FromResp for AutoClaim<E> {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 2, "an XAUTOCLAIM reply")?;
        let next_id = next(&mut it)?;
        let claimed: Vec<Option<E>> = list(it.next().unwrap_or(Frame::Null))?;
        Ok(AutoClaim {
            next: next_id,
            claimed: claimed.into_iter().flatten().collect(),
            deleted: list(it.next().unwrap_or(Frame::Null))?,
        })
    }
}

map_record! {
    /// `XINFO STREAM key`: the stream and its first and last entries.
    pub struct StreamInfo {
        /// How many entries it holds.
        pub length: u64 = "length",
        /// Keys of its radix tree.
        pub radix_tree_keys: u64 = "radix-tree-keys",
        /// Nodes of its radix tree.
        pub radix_tree_nodes: u64 = "radix-tree-nodes",
        /// The ID of the last entry added (also if deleted since).
        pub last_generated_id: String = "last-generated-id",
        /// The greatest ID deleted (7.0+).
        pub max_deleted_entry_id: Option<String> = "max-deleted-entry-id",
        /// How many entries were ever added (7.0+).
        pub entries_added: Option<u64> = "entries-added",
        /// The first ID recorded, deletions aside (7.0+).
        pub recorded_first_entry_id: Option<String> = "recorded-first-entry-id",
        /// How many consumer groups it has.
        pub groups: u64 = "groups",
        /// Its first entry (`None` when empty).
        pub first_entry: Option<StreamEntry> = "first-entry",
        /// Its last entry.
        pub last_entry: Option<StreamEntry> = "last-entry",
    }
}

map_record! {
    /// `XINFO STREAM key FULL`: the stream with its entries, groups,
    /// pending lists and consumers.
    pub struct StreamInfoFull {
        /// How many entries it holds.
        pub length: u64 = "length",
        /// Keys of its radix tree.
        pub radix_tree_keys: u64 = "radix-tree-keys",
        /// Nodes of its radix tree.
        pub radix_tree_nodes: u64 = "radix-tree-nodes",
        /// The ID of the last entry added.
        pub last_generated_id: String = "last-generated-id",
        /// The greatest ID deleted (7.0+).
        pub max_deleted_entry_id: Option<String> = "max-deleted-entry-id",
        /// How many entries were ever added (7.0+).
        pub entries_added: Option<u64> = "entries-added",
        /// The first ID recorded (7.0+).
        pub recorded_first_entry_id: Option<String> = "recorded-first-entry-id",
        /// The entries (up to `COUNT`).
        pub entries: Vec<StreamEntry> = "entries" => list,
        /// The consumer groups.
        pub groups: Vec<StreamGroupFull> = "groups" => list,
    }
}

map_record! {
    /// One consumer group in `XINFO STREAM ... FULL`.
    pub struct StreamGroupFull {
        /// The group's name.
        pub name: ByteStr = "name",
        /// The last ID delivered to the group.
        pub last_delivered_id: String = "last-delivered-id",
        /// The logical read counter (7.0+).
        pub entries_read: Option<u64> = "entries-read",
        /// Entries not yet delivered to the group (`None` when the server
        /// cannot tell).
        pub lag: Option<u64> = "lag",
        /// Length of the group's pending list.
        pub pel_count: u64 = "pel-count",
        /// The pending entries (up to `COUNT`).
        pub pending: Vec<GroupPending> = "pending" => list,
        /// The consumers.
        pub consumers: Vec<StreamConsumerFull> = "consumers" => list,
    }
}

/// A pending entry of a group in `XINFO STREAM ... FULL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupPending {
    /// The entry ID.
    pub id: String,
    /// The consumer that owns it.
    pub consumer: ByteStr,
    /// When it was last delivered.
    pub delivered_at: SystemTime,
    /// How many times it was delivered.
    pub deliveries: u64,
}

impl FromResp for GroupPending {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 4, "a pending entry")?;
        Ok(GroupPending {
            id: next(&mut it)?,
            consumer: next(&mut it)?,
            delivered_at: unix_millis(it.next().unwrap_or(Frame::Null))?,
            deliveries: next(&mut it)?,
        })
    }
}

/// A pending entry of a consumer in `XINFO STREAM ... FULL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConsumerPending {
    /// The entry ID.
    pub id: String,
    /// When it was last delivered.
    pub delivered_at: SystemTime,
    /// How many times it was delivered.
    pub deliveries: u64,
}

impl FromResp for ConsumerPending {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 3, "a pending entry")?;
        Ok(ConsumerPending {
            id: next(&mut it)?,
            delivered_at: unix_millis(it.next().unwrap_or(Frame::Null))?,
            deliveries: next(&mut it)?,
        })
    }
}

map_record! {
    /// One consumer of a group in `XINFO STREAM ... FULL`.
    pub struct StreamConsumerFull {
        /// The consumer's name.
        pub name: ByteStr = "name",
        /// When it last tried to read or claim.
        pub seen_time: SystemTime = "seen-time" => unix_millis,
        /// When it last read or claimed successfully (7.2+; `None` if never).
        pub active_time: Option<SystemTime> = "active-time" => opt_unix_millis,
        /// Length of its pending list.
        pub pel_count: u64 = "pel-count",
        /// Its pending entries (up to `COUNT`).
        pub pending: Vec<ConsumerPending> = "pending" => list,
    }
}

map_record! {
    /// One group of `XINFO GROUPS key`.
    pub struct GroupInfo {
        /// The group's name.
        pub name: ByteStr = "name",
        /// How many consumers it has.
        pub consumers: u64 = "consumers",
        /// Length of its pending list.
        pub pending: u64 = "pending",
        /// The last ID delivered to the group.
        pub last_delivered_id: String = "last-delivered-id",
        /// The logical read counter (7.0+).
        pub entries_read: Option<u64> = "entries-read",
        /// Entries not yet delivered (`None` when the server cannot tell).
        pub lag: Option<u64> = "lag",
    }
}

map_record! {
    /// One consumer of `XINFO CONSUMERS key group`.
    pub struct ConsumerInfo {
        /// The consumer's name.
        pub name: ByteStr = "name",
        /// How many entries it has pending.
        pub pending: u64 = "pending",
        /// Time since it last tried to read or claim.
        pub idle: Duration = "idle" => millis,
        /// Time since it last read or claimed successfully (7.2+; `None`
        /// if never).
        pub inactive: Option<Duration> = "inactive" => opt_millis,
    }
}

// ---------------------------------------------------------------------------
// Clients.

/// One client connection, as `CLIENT INFO` and `CLIENT LIST` describe it
/// (the server's `name=value` text, parsed). A field the server does not
/// report is zero or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientRecord {
    /// The client's unique ID (`id`).
    pub id: i64,
    /// Its address, `ip:port` (`addr`).
    pub addr: String,
    /// The server's local address it is connected to (`laddr`).
    pub laddr: String,
    /// The socket's file descriptor, -1 for none (`fd`).
    pub fd: i64,
    /// Its name, set by `CLIENT SETNAME` (`name`).
    pub name: String,
    /// How long it has been connected (`age`).
    pub age: Duration,
    /// How long it has been idle (`idle`).
    pub idle: Duration,
    /// Its flag letters (`flags`: `N` none, `M` primary, `S` replica, `x`
    /// in `MULTI`, `t` tracking, ...).
    pub flags: BTreeSet<char>,
    /// The selected database (`db`).
    pub db: i64,
    /// Channel subscriptions (`sub`).
    pub sub: i64,
    /// Pattern subscriptions (`psub`).
    pub psub: i64,
    /// Shard channel subscriptions (`ssub`).
    pub ssub: i64,
    /// Commands queued in `MULTI`, -1 outside (`multi`).
    pub multi: i64,
    /// Keys watched (`watch`).
    pub watch: i64,
    /// Query buffer length (`qbuf`).
    pub qbuf: u64,
    /// Query buffer free space (`qbuf-free`).
    pub qbuf_free: u64,
    /// Memory of the current command's arguments (`argv-mem`).
    pub argv_mem: u64,
    /// Memory of the commands queued in `MULTI` (`multi-mem`).
    pub multi_mem: u64,
    /// Output buffer size (`rbs`).
    pub rbs: u64,
    /// Output buffer peak since the last reset (`rbp`).
    pub rbp: u64,
    /// Output buffer length (`obl`).
    pub obl: u64,
    /// Output list length (`oll`).
    pub oll: u64,
    /// Output memory (`omem`).
    pub omem: u64,
    /// Total memory of the client (`tot-mem`).
    pub tot_mem: u64,
    /// File descriptor events, `r` and/or `w` (`events`).
    pub events: String,
    /// The last command run (`cmd`).
    pub cmd: String,
    /// The authenticated user (`user`).
    pub user: ByteStr,
    /// The client tracking redirection, -1 for none (`redir`).
    pub redir: i64,
    /// The protocol version, 2 or 3 (`resp`).
    pub resp: u8,
    /// The library name, `CLIENT SETINFO` (`lib-name`).
    pub lib_name: String,
    /// The library version (`lib-ver`).
    pub lib_ver: String,
    /// The I/O thread serving it (`io-thread`).
    pub io_thread: i64,
    /// Bytes read from it (`tot-net-in`).
    pub tot_net_in: u64,
    /// Bytes sent to it (`tot-net-out`).
    pub tot_net_out: u64,
    /// Commands it ran (`tot-cmds`).
    pub tot_cmds: u64,
    /// Fields this version of respec does not know, by name.
    pub extra: BTreeMap<String, ByteStr>,
}

impl ClientRecord {
    /// Parses one line of `CLIENT LIST` / the text of `CLIENT INFO`.
    pub fn parse(line: &[u8]) -> Result<Self> {
        let mut c = ClientRecord::default();
        let line = line.trim_ascii();
        for field in line.split(|&b| b == b' ').filter(|f| !f.is_empty()) {
            let Some(eq) = field.iter().position(|&b| b == b'=') else {
                return Err(Error::new(
                    ErrorKind::Conversion,
                    format!(
                        "client info: expected name=value, got {:?}",
                        String::from_utf8_lossy(field)
                    ),
                ));
            };
            let (key, value) = (&field[..eq], &field[eq + 1..]);
            let text = || String::from_utf8_lossy(value).into_owned();
            let int = || -> Result<i64> {
                std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::Conversion,
                            format!(
                                "client info: `{}` is not a number: {:?}",
                                String::from_utf8_lossy(key),
                                String::from_utf8_lossy(value)
                            ),
                        )
                    })
            };
            let uint = || int().map(|i| i.max(0) as u64);
            match key {
                b"id" => c.id = int()?,
                b"addr" => c.addr = text(),
                b"laddr" => c.laddr = text(),
                b"fd" => c.fd = int()?,
                b"name" => c.name = text(),
                b"age" => c.age = Duration::from_secs(uint()?),
                b"idle" => c.idle = Duration::from_secs(uint()?),
                b"flags" => c.flags = text().chars().collect(),
                b"db" => c.db = int()?,
                b"sub" => c.sub = int()?,
                b"psub" => c.psub = int()?,
                b"ssub" => c.ssub = int()?,
                b"multi" => c.multi = int()?,
                b"watch" => c.watch = int()?,
                b"qbuf" => c.qbuf = uint()?,
                b"qbuf-free" => c.qbuf_free = uint()?,
                b"argv-mem" => c.argv_mem = uint()?,
                b"multi-mem" => c.multi_mem = uint()?,
                b"rbs" => c.rbs = uint()?,
                b"rbp" => c.rbp = uint()?,
                b"obl" => c.obl = uint()?,
                b"oll" => c.oll = uint()?,
                b"omem" => c.omem = uint()?,
                b"tot-mem" => c.tot_mem = uint()?,
                b"events" => c.events = text(),
                b"cmd" => c.cmd = text(),
                b"user" => c.user = ByteStr::from(value),
                b"redir" => c.redir = int()?,
                b"resp" => c.resp = int()?.clamp(0, 255) as u8,
                b"lib-name" => c.lib_name = text(),
                b"lib-ver" => c.lib_ver = text(),
                b"io-thread" => c.io_thread = int()?,
                b"tot-net-in" => c.tot_net_in = uint()?,
                b"tot-net-out" => c.tot_net_out = uint()?,
                b"tot-cmds" => c.tot_cmds = uint()?,
                _ => {
                    c.extra.insert(
                        String::from_utf8_lossy(key).into_owned(),
                        ByteStr::from(value),
                    );
                }
            }
        }
        Ok(c)
    }
}

impl FromResp for ClientRecord {
    fn from_resp(frame: Frame) -> Result<Self> {
        ClientRecord::parse(&ByteStr::from_resp(frame)?)
    }
}

/// The clients of `CLIENT LIST`, one per line of the server's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientRecords(pub Vec<ClientRecord>);

list_record!(ClientRecords, ClientRecord);

impl FromResp for ClientRecords {
    fn from_resp(frame: Frame) -> Result<Self> {
        let text = ByteStr::from_resp(frame)?;
        text.split(|&b| b == b'\n')
            .filter(|l| !l.trim_ascii().is_empty())
            .map(ClientRecord::parse)
            .collect::<Result<_>>()
            .map(ClientRecords)
    }
}

map_record! {
    /// `CLIENT TRACKINGINFO`: the connection's client-side caching state.
    pub struct TrackingInfo {
        /// `off`, `on`, `bcast`, `optin`, `optout`, `caching-yes`,
        /// `caching-no`, `noloop`, `broken_redirect`.
        pub flags: BTreeSet<String> = "flags" => flags,
        /// The client ID invalidations go to; 0 for this connection, -1
        /// when tracking is off.
        pub redirect: i64 = "redirect",
        /// The key prefixes of broadcasting mode.
        pub prefixes: Vec<ByteStr> = "prefixes" => list,
    }
}

map_record! {
    /// The `HELLO` reply: the server and this connection.
    pub struct ServerHello {
        /// `redis` (also from Valkey, which answers as Redis does).
        pub server: String = "server",
        /// The server version.
        pub version: String = "version",
        /// The protocol the connection speaks now, 2 or 3.
        pub proto: u8 = "proto",
        /// The connection's client ID.
        pub id: i64 = "id",
        /// `standalone`, `sentinel` or `cluster`.
        pub mode: String = "mode",
        /// `master` or `replica`.
        pub role: String = "role",
        /// The modules loaded.
        pub modules: Vec<ModuleInfo> = "modules" => list,
    }
}

map_record! {
    /// One module of `MODULE LIST` (and of `HELLO`).
    pub struct ModuleInfo {
        /// The module's name.
        pub name: String = "name",
        /// Its version.
        pub ver: i64 = "ver",
        /// The path it was loaded from (empty for a built-in one).
        pub path: ByteStr = "path" => |f| Ok(Option::<ByteStr>::from_resp(f)?.unwrap_or_default()),
        /// The arguments it was loaded with.
        pub args: Vec<ByteStr> = "args" => list,
    }
}

// ---------------------------------------------------------------------------
// Commands and functions.

/// Where a key specification starts looking for keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BeginSearch {
    /// At this argument index.
    Index(i64),
    /// After this keyword, searched from `start_from` (negative: from the end).
    Keyword {
        /// The keyword.
        keyword: String,
        /// Where the search starts.
        start_from: i64,
    },
    /// Not described (`unknown`), or a kind this version does not know.
    Other {
        /// The server's `type`.
        kind: String,
        /// Its `spec` fields.
        spec: Vec<(String, Reply)>,
    },
}

/// How a key specification finds keys from where it starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FindKeys {
    /// A range.
    Range {
        /// The last key, relative to the start (negative: from the end).
        last_key: i64,
        /// Distance between keys.
        key_step: i64,
        /// With `last_key` -1: 0 for all, 2 for half the rest, ...
        limit: i64,
    },
    /// An argument holds the number of keys.
    KeyNum {
        /// Where the count is, relative to the start.
        key_num_index: i64,
        /// Where the first key is, relative to the start.
        first_key: i64,
        /// Distance between keys.
        key_step: i64,
    },
    /// Not described, or a kind this version does not know.
    Other {
        /// The server's `type`.
        kind: String,
        /// Its `spec` fields.
        spec: Vec<(String, Reply)>,
    },
}

fn search_spec(frame: Frame) -> Result<(String, Vec<(String, Reply)>)> {
    let mut f = Fields::new(frame, "a key search")?;
    let kind: String = f.take("type")?;
    let spec: Vec<(String, Reply)> =
        Option::<Vec<(String, Reply)>>::from_resp(f.remove("spec").unwrap_or(Frame::Null))?
            .unwrap_or_default();
    Ok((kind, spec))
}

fn spec_int(spec: &[(String, Reply)], name: &str) -> Option<i64> {
    spec.iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.as_i64())
}

impl FromResp for BeginSearch {
    fn from_resp(frame: Frame) -> Result<Self> {
        let (kind, spec) = search_spec(frame)?;
        let keyword = spec
            .iter()
            .find(|(k, _)| k == "keyword")
            .and_then(|(_, v)| v.as_bytes())
            .map(|b| String::from_utf8_lossy(b).into_owned());
        Ok(match (kind.as_str(), spec_int(&spec, "index"), keyword) {
            ("index", Some(i), _) => BeginSearch::Index(i),
            ("keyword", _, Some(keyword)) => BeginSearch::Keyword {
                keyword,
                start_from: spec_int(&spec, "startfrom").unwrap_or(0),
            },
            _ => BeginSearch::Other { kind, spec },
        })
    }
}

impl FromResp for FindKeys {
    fn from_resp(frame: Frame) -> Result<Self> {
        let (kind, spec) = search_spec(frame)?;
        let get = |n| spec_int(&spec, n);
        Ok(match kind.as_str() {
            "range" => FindKeys::Range {
                last_key: get("lastkey").unwrap_or(0),
                key_step: get("keystep").unwrap_or(1),
                limit: get("limit").unwrap_or(0),
            },
            "keynum" => FindKeys::KeyNum {
                key_num_index: get("keynumidx").unwrap_or(0),
                first_key: get("firstkey").unwrap_or(0),
                key_step: get("keystep").unwrap_or(1),
            },
            _ => FindKeys::Other { kind, spec },
        })
    }
}

map_record! {
    /// One key specification of `COMMAND INFO`.
    pub struct KeySpecInfo {
        /// Access flags (`RW`, `RO`, `OW`, `RM`, `access`, `update`, ...).
        pub flags: BTreeSet<String> = "flags" => flags,
        /// Where the search for keys starts.
        pub begin_search: BeginSearch = "begin_search",
        /// How keys are found from there.
        pub find_keys: FindKeys = "find_keys",
        /// A note, when the server has one.
        pub notes: Option<String> = "notes",
    }
}

/// One command of `COMMAND INFO` (and `COMMAND`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandMeta {
    /// The name, lower case (`get`, `client|kill` for a subcommand).
    pub name: String,
    /// Arity: exactly that many arguments, the name included; negative for
    /// at least that many.
    pub arity: i64,
    /// Command flags (`write`, `readonly`, `fast`, ...).
    pub flags: BTreeSet<String>,
    /// Position of the first key (0: none).
    pub first_key: i64,
    /// Position of the last key (negative: from the end).
    pub last_key: i64,
    /// Step between keys.
    pub step: i64,
    /// ACL categories (`@read`, `@string`, ...), 6.0+.
    pub acl_categories: BTreeSet<String>,
    /// Tips for clients (`request_policy:all_shards`, ...), 7.0+.
    pub tips: BTreeSet<String>,
    /// Key specifications, 7.0+.
    pub key_specs: Vec<KeySpecInfo>,
    /// Subcommands, 7.0+.
    pub subcommands: Vec<CommandMeta>,
}

impl FromResp for CommandMeta {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 6, "a COMMAND INFO entry")?;
        let opt = |it: &mut std::vec::IntoIter<Frame>| it.next().unwrap_or(Frame::Null);
        Ok(CommandMeta {
            name: next(&mut it)?,
            arity: next(&mut it)?,
            flags: flags(opt(&mut it))?,
            first_key: next(&mut it)?,
            last_key: next(&mut it)?,
            step: next(&mut it)?,
            acl_categories: flags(opt(&mut it))?,
            tips: flags(opt(&mut it))?,
            key_specs: list(opt(&mut it))?,
            subcommands: list(opt(&mut it))?,
        })
    }
}

map_record! {
    /// One command of `COMMAND DOCS`.
    pub struct CommandDoc {
        /// What it does.
        pub summary: Option<String> = "summary",
        /// The version that introduced it.
        pub since: Option<String> = "since",
        /// Its group (`string`, `stream`, `module`, ...).
        pub group: String = "group",
        /// Its complexity.
        pub complexity: Option<String> = "complexity",
        /// The module that adds it.
        pub module: Option<String> = "module",
        /// Documentation flags (`deprecated`, `syscmd`).
        pub doc_flags: BTreeSet<String> = "doc_flags" => flags,
        /// The version that deprecated it.
        pub deprecated_since: Option<String> = "deprecated_since",
        /// What replaces it.
        pub replaced_by: Option<String> = "replaced_by",
        /// Changes: (version, description).
        pub history: Vec<(String, String)> = "history" => list,
        /// Its arguments.
        pub arguments: Vec<ArgumentDoc> = "arguments" => list,
        /// Its subcommands, by name (`client|kill`).
        pub subcommands: BTreeMap<String, CommandDoc> = "subcommands" => |f| Ok(Option::<BTreeMap<String, CommandDoc>>::from_resp(f)?.unwrap_or_default()),
    }
}

map_record! {
    /// One argument of a command in `COMMAND DOCS`.
    pub struct ArgumentDoc {
        /// Its name.
        pub name: String = "name",
        /// Its type (`key`, `string`, `integer`, `double`, `pattern`,
        /// `unix-time`, `pure-token`, `oneof`, `block`).
        pub kind: String = "type",
        /// The name shown in syntax.
        pub display_text: Option<String> = "display_text",
        /// For a key: its key specification's index.
        pub key_spec_index: Option<i64> = "key_spec_index",
        /// The token before it.
        pub token: Option<String> = "token",
        /// What it does.
        pub summary: Option<String> = "summary",
        /// The version that introduced it.
        pub since: Option<String> = "since",
        /// The version that deprecated it.
        pub deprecated_since: Option<String> = "deprecated_since",
        /// `optional`, `multiple`, `multiple_token`.
        pub flags: BTreeSet<String> = "flags" => flags,
        /// For `oneof` and `block`: the arguments inside.
        pub arguments: Vec<ArgumentDoc> = "arguments" => list,
    }
}

map_record! {
    /// One library of `FUNCTION LIST`.
    pub struct LibraryInfo {
        /// The library's name.
        pub library_name: String = "library_name",
        /// Its engine (`LUA`).
        pub engine: String = "engine",
        /// Its functions.
        pub functions: Vec<FunctionInfo> = "functions" => list,
        /// Its source, with `WITHCODE`.
        pub library_code: Option<ByteStr> = "library_code",
    }
}

map_record! {
    /// One function of a library in `FUNCTION LIST`.
    pub struct FunctionInfo {
        /// Its name.
        pub name: String = "name",
        /// Its description, when registered with one.
        pub description: Option<ByteStr> = "description",
        /// Its flags (`no-writes`, `allow-oom`, ...).
        pub flags: BTreeSet<String> = "flags" => flags,
    }
}

map_record! {
    /// `FUNCTION STATS`: the function running now and the engines.
    pub struct FunctionsStatus {
        /// The function running now, if any.
        pub running_script: Option<RunningScript> = "running_script",
        /// Each engine's counts, by engine name (`LUA`).
        pub engines: BTreeMap<String, EngineStats> = "engines" => |f| Ok(Option::<BTreeMap<String, EngineStats>>::from_resp(f)?.unwrap_or_default()),
    }
}

map_record! {
    /// The function running during `FUNCTION STATS`.
    pub struct RunningScript {
        /// The function's name.
        pub name: String = "name",
        /// The command that called it, with its arguments.
        pub command: Vec<ByteStr> = "command" => list,
        /// How long it has been running.
        pub duration: Duration = "duration_ms" => millis,
    }
}

map_record! {
    /// One engine of `FUNCTION STATS`.
    pub struct EngineStats {
        /// Libraries loaded.
        pub libraries_count: u64 = "libraries_count",
        /// Functions registered.
        pub functions_count: u64 = "functions_count",
    }
}

// ---------------------------------------------------------------------------
// Server diagnostics.

/// `MEMORY STATS`: the server's memory use, in bytes unless said.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryReport {
    /// Peak memory allocated (`peak.allocated`).
    pub peak_allocated: u64,
    /// Memory allocated now (`total.allocated`).
    pub total_allocated: u64,
    /// Memory at startup (`startup.allocated`).
    pub startup_allocated: u64,
    /// The replication backlog (`replication.backlog`).
    pub replication_backlog: u64,
    /// Replica client buffers (`clients.slaves`).
    pub clients_replicas: u64,
    /// Other client buffers (`clients.normal`).
    pub clients_normal: u64,
    /// The AOF buffers (`aof.buffer`).
    pub aof_buffer: u64,
    /// Lua script caches (`lua.caches`).
    pub lua_caches: u64,
    /// Per database: its hash table overheads (`db.N`).
    pub dbs: BTreeMap<u32, DbMemory>,
    /// The server's overhead, all told (`overhead.total`).
    pub overhead_total: u64,
    /// Keys in all databases (`keys.count`).
    pub keys_count: u64,
    /// Net memory per key (`keys.bytes-per-key`).
    pub keys_bytes_per_key: u64,
    /// Memory of the data (`dataset.bytes`).
    pub dataset_bytes: u64,
    /// Data share of net memory, in percent (`dataset.percentage`).
    pub dataset_percentage: f64,
    /// Memory now as a percentage of the peak (`peak.percentage`).
    pub peak_percentage: f64,
    /// Resident to used memory ratio (`fragmentation`).
    pub fragmentation: f64,
    /// Every other statistic, by the server's name (`allocator.active`,
    /// `rss-overhead.ratio`, ...): they vary by server version and
    /// allocator.
    pub extra: BTreeMap<String, Reply>,
}

map_record! {
    /// The memory overheads of one database in `MEMORY STATS`.
    pub struct DbMemory {
        /// The main hash table (`overhead.hashtable.main`).
        pub overhead_hashtable_main: u64 = "overhead.hashtable.main",
        /// The expires hash table (`overhead.hashtable.expires`).
        pub overhead_hashtable_expires: u64 = "overhead.hashtable.expires",
    }
}

impl FromResp for MemoryReport {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut f = Fields::new(frame, "a map (MemoryReport)")?;
        let mut dbs = BTreeMap::new();
        let db_keys: Vec<(String, u32)> = f
            .pairs
            .iter()
            .filter_map(|(k, _)| Some((k.clone(), k.strip_prefix("db.")?.parse().ok()?)))
            .collect();
        for (key, n) in db_keys {
            dbs.insert(n, f.take::<DbMemory>(&key)?);
        }
        let num =
            |f: &mut Fields, k: &str| -> Result<u64> { Ok(f.take::<Option<u64>>(k)?.unwrap_or(0)) };
        let real = |f: &mut Fields, k: &str| -> Result<f64> {
            Ok(f.take::<Option<f64>>(k)?.unwrap_or(0.0))
        };
        Ok(MemoryReport {
            peak_allocated: num(&mut f, "peak.allocated")?,
            total_allocated: num(&mut f, "total.allocated")?,
            startup_allocated: num(&mut f, "startup.allocated")?,
            replication_backlog: num(&mut f, "replication.backlog")?,
            clients_replicas: num(&mut f, "clients.slaves")?,
            clients_normal: num(&mut f, "clients.normal")?,
            aof_buffer: num(&mut f, "aof.buffer")?,
            lua_caches: num(&mut f, "lua.caches")?,
            dbs,
            overhead_total: num(&mut f, "overhead.total")?,
            keys_count: num(&mut f, "keys.count")?,
            keys_bytes_per_key: num(&mut f, "keys.bytes-per-key")?,
            dataset_bytes: num(&mut f, "dataset.bytes")?,
            dataset_percentage: real(&mut f, "dataset.percentage")?,
            peak_percentage: real(&mut f, "peak.percentage")?,
            fragmentation: real(&mut f, "fragmentation")?,
            extra: f.rest()?,
        })
    }
}

/// One entry of `SLOWLOG GET`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlowlogEntry {
    /// The entry's unique, increasing ID.
    pub id: i64,
    /// When the command ran.
    pub timestamp: SystemTime,
    /// How long it ran.
    pub duration: Duration,
    /// The command and its arguments (long ones shortened by the server).
    pub args: Vec<ByteStr>,
    /// The client's address (4.0+).
    pub client_addr: ByteStr,
    /// The client's name (4.0+).
    pub client_name: ByteStr,
}

impl FromResp for SlowlogEntry {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 4, "a SLOWLOG entry")?;
        Ok(SlowlogEntry {
            id: next(&mut it)?,
            timestamp: unix_seconds(it.next().unwrap_or(Frame::Null))?,
            duration: micros(it.next().unwrap_or(Frame::Null))?,
            args: next(&mut it)?,
            client_addr: Option::<ByteStr>::from_resp(it.next().unwrap_or(Frame::Null))?
                .unwrap_or_default(),
            client_name: Option::<ByteStr>::from_resp(it.next().unwrap_or(Frame::Null))?
                .unwrap_or_default(),
        })
    }
}

/// One entry of Valkey's `COMMANDLOG GET`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommandLogEntry {
    /// The entry's unique, increasing ID.
    pub id: i64,
    /// When the command ran.
    pub timestamp: SystemTime,
    /// What the log measures: microseconds for `slow`, bytes for
    /// `large-request` and `large-reply`.
    pub value: i64,
    /// The command and its arguments.
    pub args: Vec<ByteStr>,
    /// The client's address.
    pub client_addr: ByteStr,
    /// The client's name.
    pub client_name: ByteStr,
}

impl FromResp for CommandLogEntry {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 6, "a COMMANDLOG entry")?;
        Ok(CommandLogEntry {
            id: next(&mut it)?,
            timestamp: unix_seconds(it.next().unwrap_or(Frame::Null))?,
            value: next(&mut it)?,
            args: next(&mut it)?,
            client_addr: next(&mut it)?,
            client_name: next(&mut it)?,
        })
    }
}

/// One event of `LATENCY LATEST`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LatencySpike {
    /// The event (`command`, `fast-command`, `fork`, ...).
    pub event: String,
    /// When its latest spike happened.
    pub timestamp: SystemTime,
    /// The latest spike.
    pub latest: Duration,
    /// The greatest spike since the last reset.
    pub max: Duration,
}

impl FromResp for LatencySpike {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 4, "a LATENCY LATEST entry")?;
        Ok(LatencySpike {
            event: next(&mut it)?,
            timestamp: unix_seconds(it.next().unwrap_or(Frame::Null))?,
            latest: millis(it.next().unwrap_or(Frame::Null))?,
            max: millis(it.next().unwrap_or(Frame::Null))?,
        })
    }
}

/// One sample of `LATENCY HISTORY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LatencySample {
    /// When it happened.
    pub timestamp: SystemTime,
    /// The latency.
    pub latency: Duration,
}

impl FromResp for LatencySample {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 2, "a LATENCY HISTORY sample")?;
        Ok(LatencySample {
            timestamp: unix_seconds(it.next().unwrap_or(Frame::Null))?,
            latency: millis(it.next().unwrap_or(Frame::Null))?,
        })
    }
}

map_record! {
    /// One command of `LATENCY HISTOGRAM`.
    pub struct CommandLatencies {
        /// How many times it ran.
        pub calls: u64 = "calls",
        /// Buckets: upper bound in microseconds (a power of two) to the
        /// number of calls that took up to that long, cumulatively.
        pub histogram_usec: BTreeMap<u64, u64> = "histogram_usec",
    }
}

// ---------------------------------------------------------------------------
// ACL.

map_record! {
    /// `ACL GETUSER`: a user's rules.
    pub struct AclUser {
        /// `on`/`off`, `nopass`, `skip-sanitize-payload`, ...
        pub flags: BTreeSet<String> = "flags" => flags,
        /// SHA-256 digests of its passwords, in hex.
        pub passwords: Vec<String> = "passwords" => list,
        /// Its command rules (`+@all -debug`).
        pub commands: ByteStr = "commands",
        /// Its key patterns (`~k* %R~r*`).
        pub keys: ByteStr = "keys" => pattern_rules,
        /// Its channel patterns (`&ch*`).
        pub channels: ByteStr = "channels" => pattern_rules,
        /// Its selectors (7.0+).
        pub selectors: Vec<AclSelector> = "selectors" => list,
    }
}

/// Pattern rules: a string (7.0+), or an array of patterns joined by
/// spaces (6.x).
fn pattern_rules(frame: Frame) -> Result<ByteStr> {
    match frame {
        Frame::Array(_) | Frame::Set(_) => {
            let parts: Vec<Bytes> = FromResp::from_resp(frame)?;
            Ok(ByteStr::from(parts.join(&b' ')))
        }
        Frame::Null => Ok(ByteStr::default()),
        other => ByteStr::from_resp(other),
    }
}

map_record! {
    /// One selector of a user in `ACL GETUSER`.
    pub struct AclSelector {
        /// Its command rules.
        pub commands: ByteStr = "commands",
        /// Its key patterns.
        pub keys: ByteStr = "keys" => pattern_rules,
        /// Its channel patterns.
        pub channels: ByteStr = "channels" => pattern_rules,
    }
}

map_record! {
    /// One entry of `ACL LOG`: a denied command or a failed login.
    pub struct AclLogEntry {
        /// How many times the same event happened within 60 s.
        pub count: u64 = "count",
        /// `command`, `key`, `channel` or `auth`.
        pub reason: String = "reason",
        /// `toplevel`, `multi`, `lua` or `module`.
        pub context: String = "context",
        /// The command, key or channel denied.
        pub object: ByteStr = "object",
        /// The user.
        pub username: ByteStr = "username",
        /// Time since the entry was made.
        pub age: Duration = "age-seconds" => seconds_f64,
        /// The client that did it, as `CLIENT INFO` describes it.
        pub client_info: ClientRecord = "client-info",
        /// The entry's unique ID (7.2+).
        pub entry_id: Option<u64> = "entry-id",
        /// When it was made (7.2+).
        pub timestamp_created: Option<SystemTime> = "timestamp-created" => opt_unix_millis,
        /// When it was last updated (7.2+).
        pub timestamp_last_updated: Option<SystemTime> = "timestamp-last-updated" => opt_unix_millis,
    }
}

// ---------------------------------------------------------------------------
// Strings.

/// One match of `LCS ... IDX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LcsMatch {
    /// Start and end (inclusive) of the match in the first key.
    pub first: (u64, u64),
    /// Start and end (inclusive) of the match in the second key.
    pub second: (u64, u64),
    /// Its length, with `WITHMATCHLEN`.
    pub len: Option<u64>,
}

impl FromResp for LcsMatch {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 2, "an LCS match")?;
        Ok(LcsMatch {
            first: next(&mut it)?,
            second: next(&mut it)?,
            len: next(&mut it)?,
        })
    }
}

map_record! {
    /// `LCS key1 key2 IDX`: where the common subsequence lies in each key.
    pub struct LcsIdx {
        /// The matching ranges, from the end of the strings to the start.
        pub matches: Vec<LcsMatch> = "matches" => list,
        /// The length of the longest common subsequence.
        pub len: u64 = "len",
    }
}

// ---------------------------------------------------------------------------
// Replication.

/// A replica as its primary lists it in `ROLE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReplicaPosition {
    /// Its IP address.
    pub ip: String,
    /// Its port.
    pub port: u16,
    /// The replication offset it acknowledged.
    pub offset: i64,
}

impl FromResp for ReplicaPosition {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 3, "a replica [ip, port, offset]")?;
        Ok(ReplicaPosition {
            ip: next(&mut it)?,
            port: next(&mut it)?,
            offset: next(&mut it)?,
        })
    }
}

/// The `ROLE` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReplicationRole {
    /// A primary.
    Master {
        /// Its replication offset.
        offset: i64,
        /// Its connected replicas.
        replicas: Vec<ReplicaPosition>,
    },
    /// A replica.
    Replica {
        /// Its primary's address.
        master_host: String,
        /// Its primary's port.
        master_port: u16,
        /// `connect`, `connecting`, `sync`, `connected`, or `handshake`.
        state: String,
        /// Data received from the primary so far (-1 before the sync).
        offset: i64,
    },
    /// A Sentinel.
    Sentinel {
        /// The names of the primaries it monitors.
        masters: Vec<String>,
    },
}

impl FromResp for ReplicationRole {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 2, "a ROLE reply")?;
        let kind: String = next(&mut it)?;
        Ok(match kind.as_str() {
            "master" => ReplicationRole::Master {
                offset: next(&mut it)?,
                replicas: list(it.next().unwrap_or(Frame::Null))?,
            },
            "slave" | "replica" => ReplicationRole::Replica {
                master_host: next(&mut it)?,
                master_port: next(&mut it)?,
                state: next(&mut it)?,
                offset: next(&mut it)?,
            },
            "sentinel" => ReplicationRole::Sentinel {
                masters: next(&mut it)?,
            },
            other => {
                return Err(Error::new(
                    ErrorKind::Conversion,
                    format!("ROLE: unknown role {other:?}"),
                ))
            }
        })
    }
}

// ---------------------------------------------------------------------------
// Cluster.

/// `CLUSTER INFO`, parsed from the server's `name:value` lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterState {
    /// `ok` or `fail` (`cluster_state`).
    pub state: String,
    /// Slots served by some node (`cluster_slots_assigned`).
    pub slots_assigned: u64,
    /// Slots served by a node not in `PFAIL`/`FAIL` (`cluster_slots_ok`).
    pub slots_ok: u64,
    /// Slots served by a node in `PFAIL` (`cluster_slots_pfail`).
    pub slots_pfail: u64,
    /// Slots served by a node in `FAIL` (`cluster_slots_fail`).
    pub slots_fail: u64,
    /// Nodes known, handshaking ones included (`cluster_known_nodes`).
    pub known_nodes: u64,
    /// Primaries serving at least one slot (`cluster_size`).
    pub size: u64,
    /// The cluster's epoch (`cluster_current_epoch`).
    pub current_epoch: u64,
    /// This node's epoch (`cluster_my_epoch`).
    pub my_epoch: u64,
    /// Bus messages sent (`cluster_stats_messages_sent`).
    pub messages_sent: u64,
    /// Bus messages received (`cluster_stats_messages_received`).
    pub messages_received: u64,
    /// Every other line, by name (per-type message counters, ...).
    pub extra: BTreeMap<String, String>,
}

impl FromResp for ClusterState {
    fn from_resp(frame: Frame) -> Result<Self> {
        let text = String::from_resp(frame)?;
        let mut c = ClusterState::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let n = || v.parse::<u64>().unwrap_or(0);
            match k {
                "cluster_state" => c.state = v.to_string(),
                "cluster_slots_assigned" => c.slots_assigned = n(),
                "cluster_slots_ok" => c.slots_ok = n(),
                "cluster_slots_pfail" => c.slots_pfail = n(),
                "cluster_slots_fail" => c.slots_fail = n(),
                "cluster_known_nodes" => c.known_nodes = n(),
                "cluster_size" => c.size = n(),
                "cluster_current_epoch" => c.current_epoch = n(),
                "cluster_my_epoch" => c.my_epoch = n(),
                "cluster_stats_messages_sent" => c.messages_sent = n(),
                "cluster_stats_messages_received" => c.messages_received = n(),
                _ => {
                    c.extra.insert(k.to_string(), v.to_string());
                }
            }
        }
        Ok(c)
    }
}

/// One node of `CLUSTER NODES` (and `CLUSTER REPLICAS`), parsed from its
/// line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterNode {
    /// The node ID.
    pub id: String,
    /// `ip:port@cport`, with `,hostname` when announced.
    pub addr: String,
    /// `myself`, `master`, `slave`, `fail?`, `fail`, `handshake`,
    /// `noaddr`, `nofailover`, `noflags`.
    pub flags: BTreeSet<String>,
    /// The primary's ID, for a replica.
    pub master: Option<String>,
    /// When the last unanswered ping was sent (0: none pending), Unix ms.
    pub ping_sent: u64,
    /// When the last pong arrived, Unix ms.
    pub pong_recv: u64,
    /// The node's configuration epoch.
    pub config_epoch: u64,
    /// `connected` or `disconnected`.
    pub link_state: String,
    /// The slot ranges it serves, inclusive.
    pub slots: Vec<(u16, u16)>,
    /// Slots being migrated or imported (`[slot->-id]`, `[slot-<-id]`),
    /// as the server writes them.
    pub migrations: Vec<String>,
}

impl ClusterNode {
    /// Parses one line.
    pub fn parse(line: &str) -> Result<Self> {
        let mut parts = line.split_whitespace();
        let mut field = |what: &str| {
            parts.next().map(str::to_string).ok_or_else(|| {
                Error::new(
                    ErrorKind::Conversion,
                    format!("CLUSTER NODES line without {what}: {line:?}"),
                )
            })
        };
        let id = field("an id")?;
        let addr = field("an address")?;
        let flags = field("flags")?.split(',').map(str::to_string).collect();
        let master = Some(field("a primary")?).filter(|m| m != "-");
        let num = |s: String| s.parse::<u64>().unwrap_or(0);
        let ping_sent = num(field("ping-sent")?);
        let pong_recv = num(field("pong-recv")?);
        let config_epoch = num(field("config-epoch")?);
        let link_state = field("link-state")?;
        let mut slots = Vec::new();
        let mut migrations = Vec::new();
        for s in parts {
            if s.starts_with('[') {
                migrations.push(s.to_string());
                continue;
            }
            let (a, b) = s.split_once('-').unwrap_or((s, s));
            match (a.parse(), b.parse()) {
                (Ok(a), Ok(b)) => slots.push((a, b)),
                _ => {
                    return Err(Error::new(
                        ErrorKind::Conversion,
                        format!("CLUSTER NODES: bad slot range {s:?}"),
                    ))
                }
            }
        }
        Ok(ClusterNode {
            id,
            addr,
            flags,
            master,
            ping_sent,
            pong_recv,
            config_epoch,
            link_state,
            slots,
            migrations,
        })
    }
}

/// The nodes of `CLUSTER NODES`, one per line of the server's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterNodeList(pub Vec<ClusterNode>);

list_record!(ClusterNodeList, ClusterNode);

impl FromResp for ClusterNodeList {
    fn from_resp(frame: Frame) -> Result<Self> {
        let text = String::from_resp(frame)?;
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(ClusterNode::parse)
            .collect::<Result<_>>()
            .map(ClusterNodeList)
    }
}

impl FromResp for ClusterNode {
    fn from_resp(frame: Frame) -> Result<Self> {
        ClusterNode::parse(&String::from_resp(frame)?)
    }
}

/// A node serving a slot range in `CLUSTER SLOTS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotNode {
    /// Its preferred endpoint (IP, host name, or `?` when unknown).
    pub endpoint: String,
    /// Its port.
    pub port: u16,
    /// Its node ID (4.0+).
    pub id: String,
    /// Further facts (`hostname`, `ip`), 7.0+.
    pub metadata: BTreeMap<String, String>,
}

impl FromResp for SlotNode {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 2, "a CLUSTER SLOTS node")?;
        Ok(SlotNode {
            endpoint: next(&mut it)?,
            port: next(&mut it)?,
            id: Option::<String>::from_resp(it.next().unwrap_or(Frame::Null))?.unwrap_or_default(),
            metadata: Option::<BTreeMap<String, String>>::from_resp(
                it.next().unwrap_or(Frame::Null),
            )?
            .unwrap_or_default(),
        })
    }
}

/// One slot range of `CLUSTER SLOTS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRange {
    /// Its first slot.
    pub start: u16,
    /// Its last slot (inclusive).
    pub end: u16,
    /// The primary serving it.
    pub primary: SlotNode,
    /// Its replicas.
    pub replicas: Vec<SlotNode>,
}

impl FromResp for SlotRange {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 3, "a CLUSTER SLOTS range")?;
        Ok(SlotRange {
            start: next(&mut it)?,
            end: next(&mut it)?,
            primary: next(&mut it)?,
            replicas: it.map(SlotNode::from_resp).collect::<Result<_>>()?,
        })
    }
}

map_record! {
    /// One shard of `CLUSTER SHARDS`.
    pub struct ClusterShard {
        /// The slot ranges it serves, inclusive.
        pub slots: Vec<(u16, u16)> = "slots" => list,
        /// Its nodes.
        pub nodes: Vec<ShardNode> = "nodes" => list,
    }
}

map_record! {
    /// One node of a shard in `CLUSTER SHARDS`.
    pub struct ShardNode {
        /// The node ID.
        pub id: String = "id",
        /// Its plain-text port, if any.
        pub port: Option<u16> = "port",
        /// Its TLS port, if any.
        pub tls_port: Option<u16> = "tls-port",
        /// Its IP address.
        pub ip: String = "ip",
        /// Its preferred endpoint.
        pub endpoint: String = "endpoint",
        /// Its announced host name, if any.
        pub hostname: Option<String> = "hostname",
        /// `master` or `replica`.
        pub role: String = "role",
        /// Its replication offset.
        pub replication_offset: i64 = "replication-offset",
        /// `online`, `failed` or `loading`.
        pub health: String = "health",
    }
}

map_record! {
    /// One link of `CLUSTER LINKS`.
    pub struct ClusterLink {
        /// `to` or `from`.
        pub direction: String = "direction",
        /// The peer's node ID.
        pub node: String = "node",
        /// When the link was made.
        pub create_time: SystemTime = "create-time" => unix_millis,
        /// `r` and/or `w`: the events it waits for.
        pub events: String = "events",
        /// Its send buffer's allocation.
        pub send_buffer_allocated: u64 = "send-buffer-allocated",
        /// Its send buffer's use.
        pub send_buffer_used: u64 = "send-buffer-used",
    }
}

// ---------------------------------------------------------------------------
// Vector sets.

map_record! {
    /// `VINFO`: how a vector set is stored.
    pub struct VectorSetInfo {
        /// The quantization of the stored vectors (`int8`, `bin`, `f32`).
        pub quant_type: String = "quant-type",
        /// The HNSW graph's `M`: the most links a node has per level.
        pub hnsw_m: i64 = "hnsw-m",
        /// The dimension of the stored vectors (after `REDUCE`).
        pub vector_dim: i64 = "vector-dim",
        /// The dimension of the vectors given to `VADD` when `REDUCE`
        /// projects them; 0 without a projection.
        pub projection_input_dim: i64 = "projection-input-dim",
        /// The number of elements.
        pub size: i64 = "size",
        /// The highest level of the HNSW graph.
        pub max_level: i64 = "max-level",
        /// How many elements carry attributes.
        pub attributes_count: i64 = "attributes-count",
        /// The set's unique id in the server.
        pub vset_uid: i64 = "vset-uid",
        /// The highest node id given out so far.
        pub hnsw_max_node_uid: i64 = "hnsw-max-node-uid",
    }
}

/// `VEMB ... RAW`: an element's vector as the server stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEmbedding {
    /// The quantization (`int8`, `bin`, `f32`).
    pub quantization: String,
    /// The stored bytes: one byte per component for `int8`, one bit for
    /// `bin`, little-endian `f32`s for `f32`.
    pub data: Bytes,
    /// The L2 norm of the vector before it was normalized.
    pub norm: f64,
    /// For `int8`: the range the components were quantized with.
    pub range: Option<f64>,
}

impl FromResp for RawEmbedding {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(
            frame,
            3,
            "a raw embedding [quantization, data, norm, range?]",
        )?;
        Ok(RawEmbedding {
            quantization: next(&mut it)?,
            data: next(&mut it)?,
            norm: next(&mut it)?,
            range: next(&mut it)?,
        })
    }
}

/// One result of `VSIM ... WITHSCORES WITHATTRIBS`.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorMatch {
    /// The element.
    pub element: ByteStr,
    /// Its similarity to the query, from 0 (opposite) to 1 (identical).
    pub score: f64,
    /// Its attributes (JSON text), if it has any.
    pub attributes: Option<ByteStr>,
}

/// The results of `VSIM ... WITHSCORES WITHATTRIBS`, best first: RESP2
/// sends flat triples (`element, score, attributes, ...`), RESP3 a map
/// from element to `[score, attributes]`; both read the same.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VectorMatches(pub Vec<VectorMatch>);

list_record!(VectorMatches, VectorMatch);

impl FromResp for VectorMatches {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut out = Vec::new();
        match frame {
            Frame::Map(pairs) => {
                for (element, v) in pairs {
                    let (score, attributes) = FromResp::from_resp(v)?;
                    out.push(VectorMatch {
                        element: ByteStr::from_resp(element)?,
                        score,
                        attributes,
                    });
                }
            }
            Frame::Array(items) if items.len() % 3 == 0 => {
                let mut it = items.into_iter();
                while let (Some(e), Some(s), Some(a)) = (it.next(), it.next(), it.next()) {
                    out.push(VectorMatch {
                        element: ByteStr::from_resp(e)?,
                        score: f64::from_resp(s)?,
                        attributes: FromResp::from_resp(a)?,
                    });
                }
            }
            other => {
                return Err(conversion_error(
                    "VSIM matches (element, score, attributes)",
                    &other,
                ))
            }
        }
        Ok(VectorMatches(out))
    }
}

/// Reads a map-shaped reply whose fields are all open-ended (Valkey's
/// `CLUSTER GETSLOTMIGRATIONS`), protocol-independently.
pub type Fieldset = BTreeMap<String, Reply>;

// ---------------------------------------------------------------------------
// The Bloom family (BF, CF, CMS, TOPK, TDIGEST): the `*.INFO` records.

mod bloom;
pub use bloom::{BloomInfo, BloomInfoField, CountMinInfo, CuckooInfo, TdigestInfo, TopkInfo};

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Frame {
        Frame::BulkString(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn stream_reads_keep_server_order_in_both_shapes() {
        let entry = || Frame::Array(vec![bulk("1-1"), Frame::Array(vec![bulk("f"), bulk("v")])]);
        let resp3 = Frame::Map(vec![
            (bulk("b"), Frame::Array(vec![entry()])),
            (bulk("a"), Frame::Array(vec![])),
        ]);
        let resp2 = Frame::Array(vec![
            Frame::Array(vec![bulk("b"), Frame::Array(vec![entry()])]),
            Frame::Array(vec![bulk("a"), Frame::Array(vec![])]),
        ]);
        let a: Vec<StreamRead> = FromResp::from_resp(resp3).unwrap();
        let b: Vec<StreamRead> = FromResp::from_resp(resp2).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0].key, "b");
        assert_eq!(a[0].entries[0].get("f").unwrap(), "v");
        let deleted = Frame::Array(vec![bulk("1-1"), Frame::Null]);
        assert!(GroupEntry::from_resp(deleted).unwrap().is_deleted());
    }

    #[test]
    fn client_info_parses_and_keeps_unknown_fields() {
        let c = ClientRecord::parse(
            b"id=7 addr=127.0.0.1:5 name=x age=3 flags=Nt db=2 user=\xff new-field=1\n",
        )
        .unwrap();
        assert_eq!((c.id, c.name.as_str(), c.db), (7, "x", 2));
        assert_eq!(c.age, Duration::from_secs(3));
        assert!(c.flags.contains(&'t'));
        assert_eq!(c.user, b"\xff");
        assert_eq!(c.extra["new-field"], "1");
        assert!(ClientRecord::parse(b"id=x").is_err());
    }

    #[test]
    fn records_keep_unknown_fields_as_values() {
        let f = Frame::Map(vec![
            (bulk("flags"), Frame::Set(vec![bulk("on")])),
            (bulk("redirect"), Frame::Integer(-1)),
            (bulk("prefixes"), Frame::Array(vec![])),
            (bulk("future"), Frame::Double(1.5)),
        ]);
        let t = TrackingInfo::from_resp(f).unwrap();
        assert_eq!(t.extra["future"], Reply::Bulk(ByteStr::from("1.5")));
        let resp2 = Frame::Array(vec![
            bulk("flags"),
            Frame::Array(vec![bulk("on")]),
            bulk("redirect"),
            Frame::Integer(-1),
            bulk("prefixes"),
            Frame::Array(vec![]),
            bulk("future"),
            bulk("1.5"),
        ]);
        assert_eq!(TrackingInfo::from_resp(resp2).unwrap(), t);
    }
}
