//! The reply table: what each command answers, declared by the project
//! (`COMMAND DOCS` has no reply schema), in a small type grammar.
//!
//! One line per command:
//!
//! ```text
//! # comment
//! GET: bulk?
//! SET: ok? ; get => bulk?
//! ZRANGE: array<bulk> ; withscores => array<(bulk, double)>
//! OBJECT ENCODING: text?
//! MONITOR: frame "streams every command; read through a dedicated API"
//! ```
//!
//! - `NAME: default ( ; cond => type )*`, NAME as the server spells it
//!   (`CLIENT KILL`).
//! - A condition names spec arguments (lower case, any depth) joined by
//!   `+`; the alternative applies when all of them are used. The one with
//!   the most names wins; on a tie, the later one.
//! - Types: `integer`, `double`, `bulk`, `text`, `binary`, `simple` (a
//!   status), `ok` (`+OK`), `bool`, `frame` (the generic value; at top
//!   level only with a quoted reason), `T?`, `array<T>`, `set<T>`,
//!   `map<K, V>`, `(T1, T2, ...)`; and the named records of
//!   `respec::records` by their grammar words ([`NAMED`]: `stream_entry`,
//!   `client_info`, `command_doc`, ...), each reading the RESP2 and the
//!   RESP3 shape of its reply into the same value.
//!
//! Which string type (the rule the table follows):
//!
//! - `bulk` (`respec::ByteStr`, any bytes) for every string that holds, or
//!   may hold, bytes a client or a configuration put there: values, keys,
//!   hash fields, members, list elements, channel names, stream fields and
//!   consumer names, user names, and the server texts that quote any of
//!   them (`INFO`, whose error statistics and paths come from outside;
//!   `CLIENT LIST` and `CLIENT INFO`, which show user names; `CLUSTER
//!   NODES`, which shows announced host names; `ACL DRYRUN`, which names
//!   the key). A default reply type never fails on a reply the server can
//!   legally send, and the server stores bytes, not text.
//! - `text` (`String`) only for text the server makes itself and that is
//!   UTF-8 whatever the data: help lines, encodings, field names of the
//!   server's own maps, command and ACL category names, cursors, stream
//!   IDs, hex digests and node IDs, generated passwords, client and library
//!   names (the server refuses anything but printable ASCII in them), and
//!   reports such as `CLUSTER INFO`, `MEMORY DOCTOR` and `LOLWUT`.
//! - `simple` (`String`) for status lines (`+PONG`, `TYPE`'s type names).
//! - `binary` (`bytes::Bytes`) for opaque serialized payloads (`DUMP`,
//!   `FUNCTION DUMP`), never text.
//!
//! When in doubt, `bulk`: a `ByteStr` reads any reply a `String` reads, and
//! `.reply::<String>()` is one call away.

use std::collections::BTreeMap;
use std::fmt;

/// A reply type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyType {
    /// `integer`: i64.
    Integer,
    /// `double`: f64.
    Double,
    /// `bulk`: a binary-safe string that may hold user data, `ByteStr`.
    Bulk,
    /// `text`: text the server makes, always UTF-8, `String`.
    Text,
    /// `binary`: an opaque payload, `Bytes`.
    Binary,
    /// `simple`: a status line, `String`.
    Simple,
    /// `ok`: the `+OK` status, ().
    Ok,
    /// `bool`: 0/1 or a RESP3 boolean.
    Bool,
    /// `frame`: the generic value.
    Frame,
    /// `T?`.
    Nullable(Box<ReplyType>),
    /// `array<T>`.
    Array(Box<ReplyType>),
    /// `set<T>`.
    Set(Box<ReplyType>),
    /// `map<K, V>`.
    Map(Box<ReplyType>, Box<ReplyType>),
    /// `(T1, T2, ...)`.
    Tuple(Vec<ReplyType>),
    /// A named record of respec's own, by its grammar word (see
    /// [`NAMED`]).
    Named(&'static str),
}

/// The named reply types: grammar word, Rust type (as the generated files
/// name it), and what it holds.
pub const NAMED: &[(&str, &str, &str)] = &[
    (
        "geo_item",
        "crate::reply::GeoItem",
        "a GEOSEARCH result with its distance, hash, coordinates",
    ),
    (
        "stream_entry",
        "crate::records::StreamEntry",
        "a stream entry: id and field/value pairs",
    ),
    (
        "group_entry",
        "crate::records::GroupEntry",
        "an XREADGROUP entry, whose fields are null once deleted",
    ),
    (
        "stream_read",
        "crate::records::StreamRead",
        "one stream's entries in an XREAD reply",
    ),
    (
        "group_read",
        "crate::records::StreamRead<crate::records::GroupEntry>",
        "one stream's entries in an XREADGROUP reply",
    ),
    (
        "pending_summary",
        "crate::records::PendingSummary",
        "the XPENDING summary",
    ),
    (
        "pending_entry",
        "crate::records::PendingEntry",
        "one entry of the extended XPENDING form",
    ),
    (
        "autoclaim",
        "crate::records::AutoClaim",
        "the XAUTOCLAIM reply",
    ),
    (
        "autoclaim_ids",
        "crate::records::AutoClaim<String>",
        "the XAUTOCLAIM JUSTID reply",
    ),
    ("stream_info", "crate::records::StreamInfo", "XINFO STREAM"),
    (
        "stream_info_full",
        "crate::records::StreamInfoFull",
        "XINFO STREAM FULL",
    ),
    (
        "group_info",
        "crate::records::GroupInfo",
        "one group of XINFO GROUPS",
    ),
    (
        "consumer_info",
        "crate::records::ConsumerInfo",
        "one consumer of XINFO CONSUMERS",
    ),
    (
        "client_info",
        "crate::records::ClientRecord",
        "CLIENT INFO, parsed",
    ),
    (
        "client_list",
        "crate::records::ClientRecords",
        "CLIENT LIST, parsed",
    ),
    (
        "tracking_info",
        "crate::records::TrackingInfo",
        "CLIENT TRACKINGINFO",
    ),
    ("hello", "crate::records::ServerHello", "the HELLO reply"),
    (
        "module_info",
        "crate::records::ModuleInfo",
        "one module of MODULE LIST",
    ),
    (
        "command_info",
        "crate::records::CommandMeta",
        "one command of COMMAND INFO",
    ),
    (
        "command_doc",
        "crate::records::CommandDoc",
        "one command of COMMAND DOCS",
    ),
    (
        "library_info",
        "crate::records::LibraryInfo",
        "one library of FUNCTION LIST",
    ),
    (
        "function_stats",
        "crate::records::FunctionsStatus",
        "FUNCTION STATS",
    ),
    (
        "memory_stats",
        "crate::records::MemoryReport",
        "MEMORY STATS",
    ),
    (
        "slowlog_entry",
        "crate::records::SlowlogEntry",
        "one SLOWLOG GET entry",
    ),
    (
        "commandlog_entry",
        "crate::records::CommandLogEntry",
        "one COMMANDLOG GET entry",
    ),
    (
        "latency_latest",
        "crate::records::LatencySpike",
        "one LATENCY LATEST event",
    ),
    (
        "latency_sample",
        "crate::records::LatencySample",
        "one LATENCY HISTORY sample",
    ),
    (
        "latency_histogram",
        "crate::records::CommandLatencies",
        "one command of LATENCY HISTOGRAM",
    ),
    ("acl_user", "crate::records::AclUser", "ACL GETUSER"),
    (
        "acl_log_entry",
        "crate::records::AclLogEntry",
        "one ACL LOG entry",
    ),
    ("lcs_idx", "crate::records::LcsIdx", "LCS IDX"),
    ("role", "crate::records::ReplicationRole", "the ROLE reply"),
    (
        "cluster_info",
        "crate::records::ClusterState",
        "CLUSTER INFO, parsed",
    ),
    (
        "cluster_nodes",
        "crate::records::ClusterNodeList",
        "CLUSTER NODES, parsed",
    ),
    (
        "cluster_node",
        "crate::records::ClusterNode",
        "one CLUSTER REPLICAS line, parsed",
    ),
    (
        "slot_range",
        "crate::records::SlotRange",
        "one range of CLUSTER SLOTS",
    ),
    (
        "cluster_shard",
        "crate::records::ClusterShard",
        "one shard of CLUSTER SHARDS",
    ),
    (
        "cluster_link",
        "crate::records::ClusterLink",
        "one link of CLUSTER LINKS",
    ),
    ("vector_set_info", "crate::records::VectorSetInfo", "VINFO"),
    ("raw_embedding", "crate::records::RawEmbedding", "VEMB RAW"),
    (
        "vector_matches",
        "crate::records::VectorMatches",
        "VSIM WITHSCORES WITHATTRIBS",
    ),
    // RediSearch (feature `search`).
    (
        "search_results",
        "crate::records::SearchResults",
        "FT.SEARCH: the total and the documents with their fields",
    ),
    (
        "search_results_scores",
        "crate::records::SearchResults<{ crate::records::SearchLayout::WITHSCORES }>",
        "FT.SEARCH WITHSCORES",
    ),
    (
        "search_results_payloads",
        "crate::records::SearchResults<{ crate::records::SearchLayout::WITHPAYLOADS }>",
        "FT.SEARCH WITHPAYLOADS",
    ),
    (
        "search_results_sortkeys",
        "crate::records::SearchResults<{ crate::records::SearchLayout::WITHSORTKEYS }>",
        "FT.SEARCH WITHSORTKEYS",
    ),
    (
        "search_ids",
        "crate::records::SearchResults<{ crate::records::SearchLayout::NOCONTENT }>",
        "FT.SEARCH NOCONTENT: the total and the document ids",
    ),
    (
        "aggregate_results",
        "crate::records::AggregateResults",
        "FT.AGGREGATE: the rows",
    ),
    (
        "aggregate_cursor",
        "crate::records::AggregateCursor",
        "FT.AGGREGATE WITHCURSOR and FT.CURSOR READ: rows and the cursor",
    ),
    ("spellcheck", "crate::records::Spellcheck", "FT.SPELLCHECK"),
    (
        "search_config_help",
        "crate::records::SearchConfigHelp",
        "FT.CONFIG HELP: each option's description and value",
    ),
    (
        "search_profile",
        "crate::records::Profiled<crate::records::SearchResults>",
        "FT.PROFILE ... SEARCH: the results and the profile",
    ),
    (
        "aggregate_profile",
        "crate::records::Profiled<crate::records::AggregateResults>",
        "FT.PROFILE ... AGGREGATE: the rows and the profile",
    ),
    (
        "search_index_info",
        "crate::records::SearchIndexInfo",
        "FT.INFO",
    ),
    // RedisTimeSeries (feature `timeseries`).
    (
        "sample",
        "crate::records::Sample",
        "one (timestamp, value) sample",
    ),
    (
        "latest_sample",
        "crate::records::LatestSample",
        "TS.GET: the latest sample, if any",
    ),
    (
        "series_latest",
        "crate::records::SeriesLatest",
        "one series of TS.MGET",
    ),
    (
        "series",
        "crate::records::Series",
        "one series of TS.MRANGE and TS.MREVRANGE",
    ),
    ("series_info", "crate::records::SeriesInfo", "TS.INFO"),
    // The Bloom family and JSON (features `bloom`, `json`).
    ("bloom_info", "crate::records::BloomInfo", "BF.INFO"),
    (
        "bloom_info_field",
        "crate::records::BloomInfoField",
        "the one field of BF.INFO key CAPACITY (SIZE, ...)",
    ),
    ("cuckoo_info", "crate::records::CuckooInfo", "CF.INFO"),
    ("cms_info", "crate::records::CountMinInfo", "CMS.INFO"),
    ("topk_info", "crate::records::TopkInfo", "TOPK.INFO"),
    (
        "tdigest_info",
        "crate::records::TdigestInfo",
        "TDIGEST.INFO",
    ),
    (
        "json",
        "crate::json::Json",
        "JSON text read with serde (a `serde_json::Value` unless asked otherwise)",
    ),
    (
        "json_counts",
        "crate::json::Matches<i64>",
        "an integer per match of a JSON path",
    ),
    (
        "json_numbers",
        "crate::json::Matches<f64>",
        "a number per match of a JSON path",
    ),
    (
        "json_bools",
        "crate::json::Matches<bool>",
        "a boolean per match of a JSON path",
    ),
    (
        "json_types",
        "crate::json::Matches<String>",
        "a JSON type name per match of a JSON path",
    ),
    (
        "json_keys",
        "crate::json::Matches<Vec<crate::ByteStr>>",
        "the keys of each object a JSON path matches",
    ),
    (
        "json_values",
        "crate::json::Matches<crate::json::Json>",
        "a JSON value per match of a JSON path",
    ),
    (
        "reply",
        "crate::records::Reply",
        "an open-ended value in the shape both protocols share",
    ),
    (
        "fieldset",
        "crate::records::Fieldset",
        "an open-ended map of protocol-independent values",
    ),
];

/// What kind of value a reply type is, for the counts in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// One scalar (`integer`, `bulk`, `ok`, ... or its `?`).
    Scalar,
    /// Arrays, sets, maps and tuples of scalars.
    Container,
    /// A named record, or a container of them (`reply`, the open-ended
    /// value both protocols read the same, counts here: it is not a frame).
    Record,
    /// The generic frame, or a type with one inside.
    Generic,
}

impl ReplyType {
    /// The kind of value (the most open-ended part decides).
    pub fn category(&self) -> Category {
        match self {
            ReplyType::Frame => Category::Generic,
            ReplyType::Named(_) => Category::Record,
            ReplyType::Nullable(t) => t.category(),
            ReplyType::Array(t) | ReplyType::Set(t) => t.category().max(Category::Container),
            ReplyType::Map(k, v) => k.category().max(v.category()).max(Category::Container),
            ReplyType::Tuple(items) => items
                .iter()
                .map(ReplyType::category)
                .fold(Category::Container, Category::max),
            _ => Category::Scalar,
        }
    }
}

impl ReplyType {
    /// The Rust type, with paths as the generated files import them.
    pub fn rust(&self) -> String {
        match self {
            ReplyType::Integer => "i64".into(),
            ReplyType::Double => "f64".into(),
            ReplyType::Bulk => "crate::ByteStr".into(),
            ReplyType::Text | ReplyType::Simple => "String".into(),
            ReplyType::Binary => "::bytes::Bytes".into(),
            ReplyType::Ok => "()".into(),
            ReplyType::Bool => "bool".into(),
            ReplyType::Frame => "crate::Frame".into(),
            ReplyType::Nullable(t) => format!("Option<{}>", t.rust()),
            ReplyType::Array(t) => format!("Vec<{}>", t.rust()),
            ReplyType::Set(t) => match **t {
                ReplyType::Bulk
                | ReplyType::Text
                | ReplyType::Simple
                | ReplyType::Integer
                | ReplyType::Binary => {
                    format!("::std::collections::HashSet<{}>", t.rust())
                }
                _ => format!("Vec<{}>", t.rust()),
            },
            ReplyType::Map(k, v) => match **k {
                ReplyType::Bulk
                | ReplyType::Text
                | ReplyType::Simple
                | ReplyType::Integer
                | ReplyType::Binary => {
                    format!("::std::collections::HashMap<{}, {}>", k.rust(), v.rust())
                }
                _ => format!("Vec<({}, {})>", k.rust(), v.rust()),
            },
            ReplyType::Named(word) => NAMED
                .iter()
                .find(|(w, _, _)| w == word)
                .map(|(_, rust, _)| rust.to_string())
                .unwrap_or_else(|| format!("crate::records::{word}")),
            ReplyType::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(ReplyType::rust).collect();
                if parts.len() == 1 {
                    format!("({},)", parts[0])
                } else {
                    format!("({})", parts.join(", "))
                }
            }
        }
    }
}

impl fmt::Display for ReplyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyType::Integer => f.write_str("integer"),
            ReplyType::Double => f.write_str("double"),
            ReplyType::Bulk => f.write_str("bulk"),
            ReplyType::Text => f.write_str("text"),
            ReplyType::Binary => f.write_str("binary"),
            ReplyType::Simple => f.write_str("simple"),
            ReplyType::Ok => f.write_str("ok"),
            ReplyType::Bool => f.write_str("bool"),
            ReplyType::Frame => f.write_str("frame"),
            ReplyType::Nullable(t) => write!(f, "{t}?"),
            ReplyType::Array(t) => write!(f, "array<{t}>"),
            ReplyType::Set(t) => write!(f, "set<{t}>"),
            ReplyType::Map(k, v) => write!(f, "map<{k}, {v}>"),
            ReplyType::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(ToString::to_string).collect();
                write!(f, "({})", parts.join(", "))
            }
            ReplyType::Named(n) => f.write_str(n),
        }
    }
}

/// An alternative reply, chosen by the arguments used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// The spec argument names that must all be used.
    pub when: Vec<String>,
    /// The reply then.
    pub ty: ReplyType,
}

/// One command's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyEntry {
    /// The reply without any of the alternatives' arguments.
    pub default: ReplyType,
    /// Replies chosen by arguments.
    pub alternatives: Vec<Alternative>,
    /// Why the command is declared as the generic value, when it is.
    pub generic_reason: Option<String>,
    /// Where it was declared (`file:line`).
    pub origin: String,
}

impl ReplyEntry {
    /// The reply when exactly the arguments `used` are present.
    pub fn select(&self, used: &[&str]) -> &ReplyType {
        let mut best: Option<&Alternative> = None;
        for alt in &self.alternatives {
            if alt.when.iter().all(|w| used.contains(&w.as_str()))
                && best.is_none_or(|b| alt.when.len() >= b.when.len())
            {
                best = Some(alt);
            }
        }
        best.map_or(&self.default, |a| &a.ty)
    }
}

/// The table: entries by command name (`CLIENT KILL`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyTable {
    /// The entries.
    pub entries: BTreeMap<String, ReplyEntry>,
}

impl ReplyTable {
    /// Parses a table file; errors name the file and line.
    pub fn parse(text: &str, file: &str) -> Result<Self, String> {
        let mut entries = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("{file}:{}", i + 1);
            let (name, rest) = line
                .split_once(':')
                .ok_or_else(|| format!("{at}: expected `NAME: type`"))?;
            let name = name.trim().to_ascii_uppercase();
            // A generic entry's quoted reason may hold any text: it ends the line.
            if let Some(reason) = rest
                .trim()
                .strip_prefix("frame")
                .map(str::trim)
                .filter(|r| r.starts_with('"'))
            {
                let reason = reason.trim_matches('"').trim().to_string();
                if reason.is_empty() {
                    return Err(format!("{at}: a generic reply needs a reason"));
                }
                let entry = ReplyEntry {
                    default: ReplyType::Frame,
                    alternatives: Vec::new(),
                    generic_reason: Some(reason),
                    origin: at.clone(),
                };
                if entries.insert(name.clone(), entry).is_some() {
                    return Err(format!("{at}: `{name}` is declared twice"));
                }
                continue;
            }
            let mut parts = rest.split(';');
            let first = parts.next().unwrap_or("").trim();
            let (default, generic_reason) = match first.strip_prefix("frame") {
                Some(reason) if reason.trim().starts_with('"') => {
                    let reason = reason.trim().trim_matches('"').to_string();
                    if reason.is_empty() {
                        return Err(format!("{at}: a generic reply needs a reason"));
                    }
                    (ReplyType::Frame, Some(reason))
                }
                Some("") => {
                    return Err(format!("{at}: `frame` at top level needs a quoted reason"))
                }
                _ => (parse_type(first).map_err(|e| format!("{at}: {e}"))?, None),
            };
            let mut alternatives = Vec::new();
            for alt in parts {
                let (cond, ty) = alt
                    .split_once("=>")
                    .ok_or_else(|| format!("{at}: expected `cond => type`"))?;
                let when: Vec<String> = cond
                    .split('+')
                    .map(|c| c.trim().to_ascii_lowercase())
                    .collect();
                if when.iter().any(String::is_empty) {
                    return Err(format!("{at}: empty condition"));
                }
                let ty = parse_type(ty.trim()).map_err(|e| format!("{at}: {e}"))?;
                alternatives.push(Alternative { when, ty });
            }
            if entries
                .insert(
                    name.clone(),
                    ReplyEntry {
                        default,
                        alternatives,
                        generic_reason,
                        origin: at.clone(),
                    },
                )
                .is_some()
            {
                return Err(format!("{at}: `{name}` is declared twice"));
            }
        }
        Ok(ReplyTable { entries })
    }

    /// How many of the commands `names` have a default reply of each
    /// [`Category`] (the counts the README reports).
    pub fn counts<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> BTreeMap<Category, usize> {
        let mut out = BTreeMap::new();
        for name in names {
            if let Some(e) = self.entries.get(name) {
                *out.entry(e.default.category()).or_insert(0) += 1;
            }
        }
        out
    }

    /// Replaces or adds the entries of `other`.
    pub fn overlay(&mut self, other: ReplyTable) {
        self.entries.extend(other.entries);
    }
}

/// Parses one type expression.
pub fn parse_type(text: &str) -> Result<ReplyType, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
    };
    let t = p.ty()?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(format!("unexpected `{}` in `{text}`", &text[p.pos..]));
    }
    Ok(t)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self
            .s
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!(
                "expected `{}` at column {}",
                c as char,
                self.pos + 1
            ))
        }
    }

    fn word(&mut self) -> String {
        self.ws();
        let start = self.pos;
        while self
            .s
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).into_owned()
    }

    fn ty(&mut self) -> Result<ReplyType, String> {
        let mut t = if self.eat(b'(') {
            let mut items = vec![self.ty()?];
            while self.eat(b',') {
                items.push(self.ty()?);
            }
            self.expect(b')')?;
            ReplyType::Tuple(items)
        } else {
            match self.word().as_str() {
                "integer" => ReplyType::Integer,
                "double" => ReplyType::Double,
                "bulk" => ReplyType::Bulk,
                "text" => ReplyType::Text,
                "binary" => ReplyType::Binary,
                "simple" => ReplyType::Simple,
                "ok" => ReplyType::Ok,
                "bool" => ReplyType::Bool,
                "frame" => ReplyType::Frame,
                w if NAMED.iter().any(|(n, _, _)| *n == w) => {
                    ReplyType::Named(NAMED.iter().find(|(n, _, _)| *n == w).map_or("", |n| n.0))
                }
                w @ ("array" | "set") => {
                    self.expect(b'<')?;
                    let inner = self.ty()?;
                    self.expect(b'>')?;
                    if w == "array" {
                        ReplyType::Array(Box::new(inner))
                    } else {
                        ReplyType::Set(Box::new(inner))
                    }
                }
                "map" => {
                    self.expect(b'<')?;
                    let k = self.ty()?;
                    self.expect(b',')?;
                    let v = self.ty()?;
                    self.expect(b'>')?;
                    ReplyType::Map(Box::new(k), Box::new(v))
                }
                "" => return Err(format!("expected a type at column {}", self.pos + 1)),
                other => return Err(format!("unknown type `{other}`")),
            }
        };
        while self.eat(b'?') {
            t = ReplyType::Nullable(Box::new(t));
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_grammar() {
        let t = ReplyTable::parse(
            "# c\nGET: bulk?\nZRANGE: array<bulk> ; withscores => array<(bulk, double)>\n\
             ZRANDMEMBER: bulk? ; count => array<bulk> ; count+withscores => array<(bulk, double)>\n\
             HGETALL: map<bulk, bulk>\nMONITOR: frame \"a stream\"\n",
            "t",
        )
        .unwrap();
        assert_eq!(t.entries["GET"].default.rust(), "Option<crate::ByteStr>");
        assert_eq!(
            t.entries["ZRANGE"].select(&["withscores"]).rust(),
            "Vec<(crate::ByteStr, f64)>"
        );
        let z = &t.entries["ZRANDMEMBER"];
        assert_eq!(z.select(&[]).rust(), "Option<crate::ByteStr>");
        assert_eq!(z.select(&["count"]).rust(), "Vec<crate::ByteStr>");
        assert_eq!(
            z.select(&["withscores", "count"]).rust(),
            "Vec<(crate::ByteStr, f64)>"
        );
        assert_eq!(
            t.entries["HGETALL"].default.rust(),
            "::std::collections::HashMap<crate::ByteStr, crate::ByteStr>"
        );
        assert_eq!(
            t.entries["MONITOR"].generic_reason.as_deref(),
            Some("a stream")
        );
    }

    #[test]
    fn strings_by_what_they_hold() {
        let t = ReplyTable::parse(
            "OBJECT ENCODING: text?\nTYPE: simple\nDUMP: binary?\n\
             SCAN: (text, array<bulk>)\nCONFIG GET: map<text, bulk>\n\
             XRANGE: array<stream_entry>\nSMEMBERS: set<bulk>\nACL CAT: set<text>\n",
            "t",
        )
        .unwrap();
        let rust = |name: &str| t.entries[name].default.rust();
        assert_eq!(rust("OBJECT ENCODING"), "Option<String>");
        assert_eq!(rust("TYPE"), "String");
        assert_eq!(rust("DUMP"), "Option<::bytes::Bytes>");
        assert_eq!(rust("SCAN"), "(String, Vec<crate::ByteStr>)");
        assert_eq!(
            rust("CONFIG GET"),
            "::std::collections::HashMap<String, crate::ByteStr>"
        );
        assert_eq!(rust("XRANGE"), "Vec<crate::records::StreamEntry>");
        assert_eq!(
            rust("SMEMBERS"),
            "::std::collections::HashSet<crate::ByteStr>"
        );
        assert_eq!(rust("ACL CAT"), "::std::collections::HashSet<String>");
        // The grammar prints back as it reads.
        assert_eq!(t.entries["SCAN"].default.to_string(), "(text, array<bulk>)");
        assert_eq!(
            t.entries["XRANGE"].default.to_string(),
            "array<stream_entry>"
        );
    }

    #[test]
    fn categories() {
        let c = |s: &str| parse_type(s).unwrap().category();
        assert_eq!(c("bulk?"), Category::Scalar);
        assert_eq!(c("array<(bulk, double)>"), Category::Container);
        assert_eq!(c("array<stream_read>?"), Category::Record);
        assert_eq!(c("map<text, command_doc>"), Category::Record);
        assert_eq!(c("array<reply>"), Category::Record);
        assert_eq!(c("map<text, frame>"), Category::Generic);
    }

    #[test]
    fn errors_name_the_line() {
        let e = ReplyTable::parse("GET: bulk?\nSET: strnig\n", "f").unwrap_err();
        assert!(e.starts_with("f:2:") && e.contains("strnig"), "{e}");
        let e = ReplyTable::parse("MONITOR: frame\n", "f").unwrap_err();
        assert!(e.contains("reason"), "{e}");
        let e = ReplyTable::parse("GET: bulk\nGET: bulk\n", "f").unwrap_err();
        assert!(e.contains("twice"), "{e}");
    }
}
