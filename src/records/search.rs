//! The records of RediSearch (`FT.*`), behind the `search` feature.
//!
//! RediSearch answers in RESP3 with self-describing maps
//! (`total_results`, `results` with `id`, `score`, `extra_attributes`,
//! ...) and in RESP2 with flat arrays whose layout follows the query's
//! flags. The records here read both into the same value.

use std::collections::{BTreeMap, BTreeSet};

use super::{items, list, Fields, Reply};
use crate::error::{Error, ErrorKind, Result};
use crate::reply::FromResp;
use crate::resp::Frame;
use crate::ByteStr;

/// The reply layouts of `FT.SEARCH`, as flags for the `LAYOUT` parameter of
/// [`SearchResults`]: which of the query's options shape each document of
/// a RESP2 reply (RESP3 names every part, so it reads whatever the flags).
///
/// The generated `ft_search` picks the layout from the last of these
/// builders called; a query with two of them asks for the combination by
/// name: `.withscores().nocontent().reply::<SearchResults<{
/// SearchLayout::WITHSCORES | SearchLayout::NOCONTENT }>>()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchLayout;

impl SearchLayout {
    /// `WITHSCORES`: each document has its score.
    pub const WITHSCORES: u8 = 1;
    /// `WITHPAYLOADS`: each document has its payload (or null).
    pub const WITHPAYLOADS: u8 = 2;
    /// `WITHSORTKEYS`: each document has its sort key (or null).
    pub const WITHSORTKEYS: u8 = 4;
    /// `NOCONTENT`: documents have no fields.
    pub const NOCONTENT: u8 = 8;
}

/// One document of an `FT.SEARCH` reply.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchDocument {
    /// The document's id (its key).
    pub id: ByteStr,
    /// Its score, with `WITHSCORES`.
    pub score: Option<f64>,
    /// How the score was computed, with `WITHSCORES EXPLAINSCORE` (nested
    /// lines of text).
    pub explanation: Option<Reply>,
    /// Its payload, with `WITHPAYLOADS` (`None` also when it has none).
    pub payload: Option<ByteStr>,
    /// Its sort key (`#10` for a number, `$text` for a string), with
    /// `WITHSORTKEYS` and `SORTBY`.
    pub sort_key: Option<ByteStr>,
    /// Its fields (all, or those of `RETURN`), in the server's order;
    /// empty with `NOCONTENT`.
    pub fields: Vec<(ByteStr, ByteStr)>,
}

impl SearchDocument {
    /// The value of field `name`, if the document has it.
    pub fn get(&self, name: &str) -> Option<&ByteStr> {
        self.fields
            .iter()
            .find(|(k, _)| k.as_bytes() == name.as_bytes())
            .map(|(_, v)| v)
    }
}

/// The reply of `FT.SEARCH`: the number of matches and the documents of the
/// page asked for (`LIMIT`, ten by default).
///
/// `LAYOUT` says which options shaped a RESP2 reply ([`SearchLayout`]
/// flags; 0, the default, is a document with its fields). RESP3 replies
/// name every part, and read into the same value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchResults<const LAYOUT: u8 = 0> {
    /// How many documents match the query (more than `documents` holds
    /// when the page is smaller).
    pub total: u64,
    /// The documents of the page, in order.
    pub documents: Vec<SearchDocument>,
    /// Warnings of the query (a timeout with partial results, ...); RESP3
    /// only, RESP2 has no place for them.
    pub warnings: Vec<String>,
}

/// A score, or with `EXPLAINSCORE` `[score, explanation]`.
fn score(frame: Frame) -> Result<(f64, Option<Reply>)> {
    match frame {
        Frame::Array(items) if items.len() == 2 => {
            let mut it = items.into_iter();
            let s = f64::from_resp(it.next().unwrap_or(Frame::Null))?;
            let e = Reply::from_resp(it.next().unwrap_or(Frame::Null))?;
            Ok((s, Some(e)))
        }
        other => Ok((f64::from_resp(other)?, None)),
    }
}

/// A document's fields: a RESP3 map or a RESP2 flat array (null: none).
fn doc_fields(frame: Frame) -> Result<Vec<(ByteStr, ByteStr)>> {
    Ok(Option::<Vec<(ByteStr, ByteStr)>>::from_resp(frame)?.unwrap_or_default())
}

/// The RESP3 form shared by `FT.SEARCH` and `FT.AGGREGATE`: the total, the
/// result maps, the warnings.
fn resp3_results(frame: Frame, what: &'static str) -> Result<(u64, Vec<Fields>, Vec<String>)> {
    let mut f = Fields::new(frame, what)?;
    let total = f.take::<u64>("total_results")?;
    let warnings = f.take_with("warning", |w| {
        Ok(Option::<Vec<String>>::from_resp(w)?.unwrap_or_default())
    })?;
    let results = f.take_with("results", |r| {
        items(r, 0, "an array of results")?
            .map(|item| Fields::new(item, what))
            .collect::<Result<Vec<_>>>()
    })?;
    Ok((total, results, warnings))
}

impl<const LAYOUT: u8> FromResp for SearchResults<LAYOUT> {
    fn from_resp(frame: Frame) -> Result<Self> {
        if let Frame::Map(_) = frame {
            let (total, results, warnings) = resp3_results(frame, "an FT.SEARCH result")?;
            let documents = results
                .into_iter()
                .map(|mut r| {
                    let (score, explanation) = match r.remove("score") {
                        Some(s) => {
                            let (s, e) = score(s)?;
                            (Some(s), e)
                        }
                        None => (None, None),
                    };
                    Ok(SearchDocument {
                        id: r.take("id")?,
                        score,
                        explanation,
                        payload: r.take("payload")?,
                        sort_key: r.take("sortkey")?,
                        fields: r.take_with("extra_attributes", doc_fields)?,
                    })
                })
                .collect::<Result<_>>()?;
            return Ok(SearchResults {
                total,
                documents,
                warnings,
            });
        }
        let scores = LAYOUT & SearchLayout::WITHSCORES != 0;
        let payloads = LAYOUT & SearchLayout::WITHPAYLOADS != 0;
        let sortkeys = LAYOUT & SearchLayout::WITHSORTKEYS != 0;
        let content = LAYOUT & SearchLayout::NOCONTENT == 0;
        let stride = 1 + [scores, payloads, sortkeys, content]
            .iter()
            .filter(|b| **b)
            .count();
        let mut it = items(frame, 1, "an FT.SEARCH result [total, documents...]")?;
        let total = u64::from_resp(it.next().unwrap_or(Frame::Null))?;
        if it.len() % stride != 0 {
            return Err(Error::new(
                ErrorKind::Conversion,
                format!(
                    "an FT.SEARCH reply of {} items after the total does not divide into \
                     documents of {stride} (read it with the SearchResults layout of the \
                     query's WITHSCORES, WITHPAYLOADS, WITHSORTKEYS and NOCONTENT)",
                    it.len()
                ),
            ));
        }
        let mut documents = Vec::with_capacity(it.len() / stride);
        while let Some(id) = it.next() {
            let mut d = SearchDocument {
                id: ByteStr::from_resp(id)?,
                ..SearchDocument::default()
            };
            if scores {
                let (s, e) = score(it.next().unwrap_or(Frame::Null))?;
                d.score = Some(s);
                d.explanation = e;
            }
            if payloads {
                d.payload = FromResp::from_resp(it.next().unwrap_or(Frame::Null))?;
            }
            if sortkeys {
                d.sort_key = FromResp::from_resp(it.next().unwrap_or(Frame::Null))?;
            }
            if content {
                d.fields = doc_fields(it.next().unwrap_or(Frame::Null))?;
            }
            documents.push(d);
        }
        Ok(SearchResults {
            total,
            documents,
            warnings: Vec::new(),
        })
    }
}

/// One row of an `FT.AGGREGATE` reply: its properties in order. Values are
/// strings, or lists for reducers such as `TOLIST`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AggregateRow(pub Vec<(ByteStr, Reply)>);

impl AggregateRow {
    /// The value of property `name`.
    pub fn get(&self, name: &str) -> Option<&Reply> {
        self.0
            .iter()
            .find(|(k, _)| k.as_bytes() == name.as_bytes())
            .map(|(_, v)| v)
    }
}

impl FromResp for AggregateRow {
    fn from_resp(frame: Frame) -> Result<Self> {
        Ok(AggregateRow(FromResp::from_resp(frame)?))
    }
}

/// The reply of `FT.AGGREGATE`, and one batch of a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AggregateResults {
    /// The number the server reports first: the number of rows for a
    /// grouped query, else the number of matching documents (an
    /// estimate, for a cursor).
    pub total: u64,
    /// The rows, in order.
    pub rows: Vec<AggregateRow>,
    /// Warnings (RESP3 only).
    pub warnings: Vec<String>,
}

impl FromResp for AggregateResults {
    fn from_resp(frame: Frame) -> Result<Self> {
        if let Frame::Map(_) = frame {
            let (total, results, warnings) = resp3_results(frame, "an FT.AGGREGATE result")?;
            let rows = results
                .into_iter()
                .map(|mut r| r.take_with("extra_attributes", FromResp::from_resp))
                .collect::<Result<_>>()?;
            return Ok(AggregateResults {
                total,
                rows,
                warnings,
            });
        }
        let mut it = items(frame, 1, "an FT.AGGREGATE result [total, rows...]")?;
        let total = u64::from_resp(it.next().unwrap_or(Frame::Null))?;
        Ok(AggregateResults {
            total,
            rows: it.map(AggregateRow::from_resp).collect::<Result<_>>()?,
            warnings: Vec::new(),
        })
    }
}

/// A batch of rows of an `FT.AGGREGATE ... WITHCURSOR` query (and of
/// `FT.CURSOR READ`), with the cursor to read the next batch from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AggregateCursor {
    /// The rows of this batch.
    pub results: AggregateResults,
    /// The cursor for `FT.CURSOR READ`; 0 once every row was read.
    pub cursor: i64,
}

impl AggregateCursor {
    /// True when no rows are left to read.
    pub fn is_done(&self) -> bool {
        self.cursor == 0
    }
}

impl FromResp for AggregateCursor {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut it = items(frame, 2, "an aggregate batch [results, cursor]")?;
        Ok(AggregateCursor {
            results: AggregateResults::from_resp(it.next().unwrap_or(Frame::Null))?,
            cursor: i64::from_resp(it.next().unwrap_or(Frame::Null))?,
        })
    }
}

/// The reply of `FT.PROFILE`: the query's own results (`R`: a
/// [`SearchResults`] for `SEARCH`, an [`AggregateResults`] for
/// `AGGREGATE`) and where the time went.
///
/// RESP2 answers `[results, profile]`, RESP3 one map of the results with
/// a `profile` entry; both read into the same value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profiled<R> {
    /// What the query answered.
    pub results: R,
    /// How it ran.
    pub profile: QueryProfile,
}

impl<R: FromResp> FromResp for Profiled<R> {
    fn from_resp(frame: Frame) -> Result<Self> {
        let (results, profile) = match frame {
            Frame::Map(mut pairs) => {
                let at = pairs
                    .iter()
                    .position(|(k, _)| k.as_bytes() == Some(b"profile".as_slice()))
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::Conversion,
                            "an FT.PROFILE reply without its `profile` entry",
                        )
                    })?;
                let profile = pairs.remove(at).1;
                (Frame::Map(pairs), profile)
            }
            other => {
                let mut it = items(other, 2, "an FT.PROFILE reply [results, profile]")?;
                let results = it.next().unwrap_or(Frame::Null);
                (results, it.next().unwrap_or(Frame::Null))
            }
        };
        Ok(Profiled {
            results: R::from_resp(results)?,
            profile: QueryProfile::from_resp(profile)?,
        })
    }
}

/// Where an `FT.PROFILE` query spent its time (milliseconds; the server
/// rounds them, so a fast query reports zeros).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryProfile {
    /// `Total profile time`.
    pub total_time: f64,
    /// `Parsing time`: reading the query.
    pub parsing_time: f64,
    /// `Pipeline creation time`: building the result processors.
    pub pipeline_creation_time: f64,
    /// `Warning`, when there is one (a timeout, a limit reached).
    pub warning: Option<String>,
    /// `Iterators profile`: the tree of index iterators the query ran
    /// (one root).
    pub iterators: Vec<IteratorProfile>,
    /// `Result processors profile`: the processors every result went
    /// through, in order.
    pub result_processors: Vec<ProcessorProfile>,
    /// Entries this record does not name (a coordinator's `Shards`, ...).
    pub extra: BTreeMap<String, Reply>,
}

/// One index iterator of a profiled query, with the iterators under it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IteratorProfile {
    /// `Type`: `TEXT`, `NUMERIC`, `TAG`, `UNION`, `INTERSECT`, `EMPTY`, ...
    pub kind: String,
    /// `Query type` of a union or intersection (`UNION`, ...).
    pub query_type: Option<String>,
    /// `Term`: the term or range it reads (`hello`, `10 - 20`).
    pub term: Option<ByteStr>,
    /// `Time` spent in it.
    pub time: f64,
    /// `Counter`: the results it gave.
    pub counter: u64,
    /// `Size`: the size of the index it reads.
    pub size: Option<u64>,
    /// `Child iterators`.
    pub children: Vec<IteratorProfile>,
    /// Entries this record does not name.
    pub extra: BTreeMap<String, Reply>,
}

/// One result processor of a profiled query (`Index`, `Scorer`, `Sorter`,
/// `Loader`, ...).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcessorProfile {
    /// `Type`.
    pub kind: String,
    /// `Time` spent in it.
    pub time: f64,
    /// `Counter`: the results it passed on.
    pub counter: u64,
}

/// The entries of a profile map: RESP3's map, or RESP2's list of
/// `[name, value...]` entries (the two lists' items after their name,
/// `Warning` alone when there is none).
fn profile_entries(frame: Frame) -> Result<Fields> {
    if let Frame::Map(_) = frame {
        return Fields::new(frame, "an FT.PROFILE profile");
    }
    let mut flat = Vec::new();
    for entry in items(frame, 0, "an FT.PROFILE profile")? {
        let mut it = items(entry, 1, "a profile entry [name, value...]")?;
        let name = it.next().unwrap_or(Frame::Null);
        let list = matches!(
            name.as_bytes(),
            Some(b"Iterators profile" | b"Result processors profile")
        );
        let value = if list {
            Frame::Array(it.collect())
        } else {
            it.next().unwrap_or(Frame::Null)
        };
        flat.push(name);
        flat.push(value);
    }
    Fields::new(Frame::Array(flat), "an FT.PROFILE profile")
}

impl FromResp for QueryProfile {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut f = profile_entries(frame)?;
        let warning: Option<String> = f.take("Warning")?;
        Ok(QueryProfile {
            total_time: f.take("Total profile time")?,
            parsing_time: f.take("Parsing time")?,
            pipeline_creation_time: f.take("Pipeline creation time")?,
            warning: warning.filter(|w| w != "None"),
            iterators: f.take_with("Iterators profile", list)?,
            result_processors: f.take_with("Result processors profile", list)?,
            extra: f.rest()?,
        })
    }
}

impl FromResp for IteratorProfile {
    fn from_resp(frame: Frame) -> Result<Self> {
        // RESP2 lists the children after `Child iterators`, each an item
        // of the flat list; RESP3 gives them as one array.
        let (mut f, children) = match frame {
            Frame::Array(mut flat) => {
                let at = flat
                    .iter()
                    .position(|k| k.as_bytes() == Some(b"Child iterators".as_slice()));
                let children = match at {
                    Some(at) => flat.split_off(at).into_iter().skip(1).collect(),
                    None => Vec::new(),
                };
                (
                    Fields::new(Frame::Array(flat), "an FT.PROFILE iterator")?,
                    children,
                )
            }
            other => {
                let mut f = Fields::new(other, "an FT.PROFILE iterator")?;
                let children = f.take_with("Child iterators", |c| {
                    Ok(Option::<Vec<Frame>>::from_resp(c)?.unwrap_or_default())
                })?;
                (f, children)
            }
        };
        Ok(IteratorProfile {
            kind: f.take("Type")?,
            query_type: f.take("Query type")?,
            term: f.take("Term")?,
            time: f.take("Time")?,
            counter: f.take("Counter")?,
            size: f.take("Size")?,
            children: children
                .into_iter()
                .map(IteratorProfile::from_resp)
                .collect::<Result<_>>()?,
            extra: f.rest()?,
        })
    }
}

impl FromResp for ProcessorProfile {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut f = Fields::new(frame, "an FT.PROFILE result processor")?;
        Ok(ProcessorProfile {
            kind: f.take("Type")?,
            time: f.take("Time")?,
            counter: f.take("Counter")?,
        })
    }
}

/// One option of `FT.CONFIG HELP`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchConfigOption {
    /// Its name (`TIMEOUT`).
    pub name: String,
    /// What it sets.
    pub description: String,
    /// Its value now (`None`: not set).
    pub value: Option<ByteStr>,
}

/// The reply of `FT.CONFIG HELP`: the options asked about, in the server's
/// order. RESP2 lists `[name, Description, text, Value, value]` per
/// option, RESP3 maps each name to its description and value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchConfigHelp(pub Vec<SearchConfigOption>);

super::list_record!(SearchConfigHelp, SearchConfigOption);

impl SearchConfigHelp {
    /// The option named `name`.
    pub fn get(&self, name: &str) -> Option<&SearchConfigOption> {
        self.0.iter().find(|o| o.name == name)
    }
}

impl FromResp for SearchConfigHelp {
    fn from_resp(frame: Frame) -> Result<Self> {
        let option = |name: String, about: Frame| -> Result<SearchConfigOption> {
            let mut f = Fields::new(about, "an FT.CONFIG HELP option")?;
            Ok(SearchConfigOption {
                name,
                description: f.take("Description")?,
                value: f.take("Value")?,
            })
        };
        let options = match frame {
            Frame::Map(pairs) => pairs
                .into_iter()
                .map(|(k, v)| option(String::from_resp(k)?, v))
                .collect::<Result<_>>()?,
            other => items(other, 0, "an FT.CONFIG HELP reply")?
                .map(|entry| {
                    let mut it = items(entry, 1, "an FT.CONFIG HELP option [name, ...]")?;
                    let name = String::from_resp(it.next().unwrap_or(Frame::Null))?;
                    option(name, Frame::Array(it.collect()))
                })
                .collect::<Result<_>>()?,
        };
        Ok(SearchConfigHelp(options))
    }
}

/// The suggestions of `FT.SPELLCHECK` for one misspelled term.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpellcheckTerm {
    /// The term of the query.
    pub term: ByteStr,
    /// The suggestions with their scores, best first (empty: none found).
    pub suggestions: Vec<(ByteStr, f64)>,
}

/// The reply of `FT.SPELLCHECK`: the query's terms that are not in the
/// index, each with its suggestions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spellcheck {
    /// The terms, in the query's order.
    pub terms: Vec<SpellcheckTerm>,
}

impl FromResp for Spellcheck {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut terms = Vec::new();
        match frame {
            // RESP3: {results: {term: [{suggestion: score}, ...]}}
            Frame::Map(_) => {
                let mut f = Fields::new(frame, "an FT.SPELLCHECK result")?;
                let by_term: Vec<(ByteStr, Vec<Frame>)> = f.take("results")?;
                for (term, list) in by_term {
                    let mut suggestions = Vec::new();
                    for s in list {
                        let pairs: Vec<(ByteStr, f64)> = FromResp::from_resp(s)?;
                        suggestions.extend(pairs);
                    }
                    terms.push(SpellcheckTerm { term, suggestions });
                }
            }
            // RESP2: [["TERM", term, [[score, suggestion], ...]], ...]
            other => {
                for entry in items(other, 0, "an FT.SPELLCHECK result")? {
                    let mut it = items(entry, 3, "a spellcheck term [TERM, term, suggestions]")?;
                    it.next();
                    let term = ByteStr::from_resp(it.next().unwrap_or(Frame::Null))?;
                    let list: Vec<(f64, ByteStr)> =
                        FromResp::from_resp(it.next().unwrap_or(Frame::Null))?;
                    terms.push(SpellcheckTerm {
                        term,
                        suggestions: list.into_iter().map(|(s, w)| (w, s)).collect(),
                    });
                }
            }
        }
        Ok(Spellcheck { terms })
    }
}

/// One attribute of an index's schema, as `FT.INFO` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchAttribute {
    /// The hash field or JSON path it indexes.
    pub identifier: ByteStr,
    /// Its name in queries (`AS`; the identifier otherwise).
    pub attribute: ByteStr,
    /// `TEXT`, `TAG`, `NUMERIC`, `GEO`, `VECTOR`, `GEOSHAPE`.
    pub kind: String,
    /// Its flags (`SORTABLE`, `UNF`, `NOSTEM`, `NOINDEX`, `CASESENSITIVE`,
    /// `WITHSUFFIXTRIE`, `INDEXEMPTY`, `INDEXMISSING`).
    pub flags: BTreeSet<String>,
    /// Its options with a value (`WEIGHT`, `SEPARATOR`, `PHONETIC`, the
    /// vector options), as text.
    pub options: BTreeMap<String, String>,
}

/// The words of an attribute that stand alone (every other option word of
/// a RESP2 attribute is followed by its value).
const ATTRIBUTE_FLAGS: &[&str] = &[
    "SORTABLE",
    "UNF",
    "NOSTEM",
    "NOINDEX",
    "CASESENSITIVE",
    "WITHSUFFIXTRIE",
    "INDEXEMPTY",
    "INDEXMISSING",
];

/// An option's value as text: a RESP3 double as the shortest decimal
/// that reads back (`1`, not `1.0`), like RESP2's string.
fn option_text(frame: Frame) -> Result<String> {
    match frame {
        Frame::Double(d) => Ok(if d.fract() == 0.0 && d.abs() < 1e15 {
            format!("{}", d as i64)
        } else {
            format!("{d}")
        }),
        Frame::Integer(i) => Ok(i.to_string()),
        other => String::from_resp(other),
    }
}

impl FromResp for SearchAttribute {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut a = SearchAttribute::default();
        match frame {
            Frame::Map(pairs) => {
                for (k, v) in pairs {
                    let k = String::from_resp(k)?;
                    match k.as_str() {
                        "identifier" => a.identifier = ByteStr::from_resp(v)?,
                        "attribute" => a.attribute = ByteStr::from_resp(v)?,
                        "type" => a.kind = String::from_resp(v)?,
                        "flags" => a.flags = FromResp::from_resp(v)?,
                        _ => {
                            a.options.insert(k, option_text(v)?);
                        }
                    }
                }
            }
            other => {
                let mut it = items(other, 0, "an FT.INFO attribute")?;
                while let Some(k) = it.next() {
                    let k = String::from_resp(k)?;
                    if ATTRIBUTE_FLAGS.contains(&k.as_str()) {
                        a.flags.insert(k);
                        continue;
                    }
                    let v = it.next().ok_or_else(|| {
                        Error::new(
                            ErrorKind::Conversion,
                            format!("an FT.INFO attribute: `{k}` has no value"),
                        )
                    })?;
                    match k.as_str() {
                        "identifier" => a.identifier = ByteStr::from_resp(v)?,
                        "attribute" => a.attribute = ByteStr::from_resp(v)?,
                        "type" => a.kind = String::from_resp(v)?,
                        _ => {
                            a.options.insert(k, option_text(v)?);
                        }
                    }
                }
            }
        }
        Ok(a)
    }
}

/// How an index finds its documents (`FT.INFO`'s `index_definition`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexDefinition {
    /// `HASH` or `JSON`.
    pub key_type: String,
    /// The key prefixes it indexes.
    pub prefixes: Vec<ByteStr>,
    /// The `FILTER` expression, if any.
    pub filter: Option<ByteStr>,
    /// The default document score.
    pub default_score: f64,
    /// Other parts (`default_language`, `language_field`, `score_field`,
    /// `payload_field`, ...), by name.
    pub extra: BTreeMap<String, Reply>,
}

impl FromResp for IndexDefinition {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut f = Fields::new(frame, "an index definition")?;
        Ok(IndexDefinition {
            key_type: f.take("key_type")?,
            prefixes: super::list(f.remove("prefixes").unwrap_or(Frame::Null))?,
            filter: f.take("filter")?,
            default_score: f.take::<Option<f64>>("default_score")?.unwrap_or(1.0),
            extra: f.rest()?,
        })
    }
}

/// Statistics of the index's garbage collector (`FT.INFO`'s `gc_stats`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchGcStats {
    /// Bytes freed so far.
    pub bytes_collected: f64,
    /// Time spent collecting, in milliseconds.
    pub total_ms_run: f64,
    /// Collection cycles run.
    pub total_cycles: f64,
    /// Average cycle time in milliseconds; `None` before the first cycle.
    pub average_cycle_time_ms: Option<f64>,
    /// The last cycle's time in milliseconds.
    pub last_run_time_ms: f64,
    /// Fields the server sends that this version does not name.
    pub extra: BTreeMap<String, f64>,
}

impl FromResp for SearchGcStats {
    fn from_resp(frame: Frame) -> Result<Self> {
        let pairs: Vec<(String, f64)> = FromResp::from_resp(frame)?;
        let mut g = SearchGcStats::default();
        for (k, v) in pairs {
            match k.as_str() {
                "bytes_collected" => g.bytes_collected = v,
                "total_ms_run" => g.total_ms_run = v,
                "total_cycles" => g.total_cycles = v,
                "average_cycle_time_ms" => g.average_cycle_time_ms = (!v.is_nan()).then_some(v),
                "last_run_time_ms" => g.last_run_time_ms = v,
                _ => {
                    g.extra.insert(k, v);
                }
            }
        }
        Ok(g)
    }
}

/// `FT.INFO`: an index's definition, schema and statistics. Sizes are in
/// megabytes, as the server reports them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchIndexInfo {
    /// The index's name.
    pub index_name: ByteStr,
    /// Its options (`NOOFFSETS`, `NOFREQS`, ...).
    pub index_options: Vec<String>,
    /// Which keys it indexes.
    pub index_definition: IndexDefinition,
    /// Its schema.
    pub attributes: Vec<SearchAttribute>,
    /// Documents indexed.
    pub num_docs: u64,
    /// The highest document id given out.
    pub max_doc_id: u64,
    /// Distinct terms.
    pub num_terms: u64,
    /// Records in the inverted indexes.
    pub num_records: u64,
    /// Size of the inverted indexes.
    pub inverted_sz_mb: f64,
    /// Size of the vector indexes.
    pub vector_index_sz_mb: f64,
    /// Blocks of the inverted indexes.
    pub total_inverted_index_blocks: u64,
    /// Size of the term offsets.
    pub offset_vectors_sz_mb: f64,
    /// Size of the document table.
    pub doc_table_size_mb: f64,
    /// Size of the sortable values.
    pub sortable_values_size_mb: f64,
    /// Size of the key table.
    pub key_table_size_mb: f64,
    /// Memory of the whole index.
    pub total_index_memory_sz_mb: f64,
    /// Memory of the tag indexes' overhead.
    pub tag_overhead_sz_mb: f64,
    /// Memory of the text indexes' overhead.
    pub text_overhead_sz_mb: f64,
    /// Memory of the geoshape indexes.
    pub geoshapes_sz_mb: f64,
    /// Inverted-index records per document.
    pub records_per_doc_avg: f64,
    /// Bytes per inverted-index record.
    pub bytes_per_record_avg: f64,
    /// Offsets per term.
    pub offsets_per_term_avg: f64,
    /// Bits of offsets per record.
    pub offset_bits_per_record_avg: f64,
    /// Documents that failed to index.
    pub hash_indexing_failures: u64,
    /// Time spent indexing, in milliseconds.
    pub total_indexing_time: f64,
    /// True while the initial scan runs.
    pub indexing: bool,
    /// How much of the keyspace was scanned, from 0 to 1.
    pub percent_indexed: f64,
    /// Queries run on the index.
    pub number_of_uses: u64,
    /// True while a dropped index's documents are being removed.
    pub cleaning: bool,
    /// The garbage collector's statistics.
    pub gc_stats: SearchGcStats,
    /// Cursor statistics (`global_idle`, `index_total`, ...).
    pub cursor_stats: BTreeMap<String, i64>,
    /// Queries run by dialect (`dialect_1`, ...).
    pub dialect_stats: BTreeMap<String, i64>,
    /// Fields this version of respec does not name (`Index Errors`,
    /// `field statistics`, ...), by name.
    pub extra: BTreeMap<String, Reply>,
}

impl FromResp for SearchIndexInfo {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut f = Fields::new(frame, "a map (SearchIndexInfo)")?;
        let mut info = SearchIndexInfo {
            index_name: f.take("index_name")?,
            index_options: super::list(f.remove("index_options").unwrap_or(Frame::Null))?,
            index_definition: f.take("index_definition")?,
            attributes: super::list(f.remove("attributes").unwrap_or(Frame::Null))?,
            num_docs: f.take("num_docs")?,
            max_doc_id: f.take("max_doc_id")?,
            num_terms: f.take("num_terms")?,
            num_records: f.take("num_records")?,
            inverted_sz_mb: f.take("inverted_sz_mb")?,
            vector_index_sz_mb: f.take("vector_index_sz_mb")?,
            total_inverted_index_blocks: f.take("total_inverted_index_blocks")?,
            offset_vectors_sz_mb: f.take("offset_vectors_sz_mb")?,
            doc_table_size_mb: f.take("doc_table_size_mb")?,
            sortable_values_size_mb: f.take("sortable_values_size_mb")?,
            key_table_size_mb: f.take("key_table_size_mb")?,
            total_index_memory_sz_mb: f.take("total_index_memory_sz_mb")?,
            tag_overhead_sz_mb: f.take("tag_overhead_sz_mb")?,
            text_overhead_sz_mb: f.take("text_overhead_sz_mb")?,
            geoshapes_sz_mb: f.take("geoshapes_sz_mb")?,
            records_per_doc_avg: f.take("records_per_doc_avg")?,
            bytes_per_record_avg: f.take("bytes_per_record_avg")?,
            offsets_per_term_avg: f.take("offsets_per_term_avg")?,
            offset_bits_per_record_avg: f.take("offset_bits_per_record_avg")?,
            hash_indexing_failures: f.take("hash_indexing_failures")?,
            total_indexing_time: f.take("total_indexing_time")?,
            indexing: f.take("indexing")?,
            percent_indexed: f.take("percent_indexed")?,
            number_of_uses: f.take("number_of_uses")?,
            cleaning: f.take("cleaning")?,
            gc_stats: f.take_with("gc_stats", |g| {
                Ok(Option::<SearchGcStats>::from_resp(g)?.unwrap_or_default())
            })?,
            cursor_stats: f.take_with("cursor_stats", |c| {
                Ok(Option::<BTreeMap<String, i64>>::from_resp(c)?.unwrap_or_default())
            })?,
            dialect_stats: f.take_with("dialect_stats", |c| {
                Ok(Option::<BTreeMap<String, i64>>::from_resp(c)?.unwrap_or_default())
            })?,
            extra: BTreeMap::new(),
        };
        info.extra = f.rest()?;
        Ok(info)
    }
}
