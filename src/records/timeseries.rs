//! The records of RedisTimeSeries (`TS.*`), behind the `timeseries`
//! feature.
//!
//! RESP2 sends values as strings, labels as arrays of pairs and the
//! multi-series replies as arrays of `[key, labels, data]`; RESP3 sends
//! doubles, maps, and a map from key to `[labels, (metadata,) data]`. Both
//! read into the same values.

use std::collections::BTreeMap;

use super::{items, Fields, Reply};
use crate::error::{Error, ErrorKind, Result};
use crate::reply::{conversion_error, FromResp};
use crate::resp::Frame;
use crate::ByteStr;

/// One sample of a time series.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sample {
    /// Its time, in milliseconds (since the Unix epoch when the series
    /// holds wall-clock times).
    pub timestamp: i64,
    /// Its value.
    pub value: f64,
}

impl FromResp for Sample {
    fn from_resp(frame: Frame) -> Result<Self> {
        let (timestamp, value) = FromResp::from_resp(frame)?;
        Ok(Sample { timestamp, value })
    }
}

/// A sample that may be missing: the server's `[]` for a series with no
/// sample, else `[timestamp, value]`.
fn latest(frame: Frame) -> Result<Option<Sample>> {
    match frame {
        Frame::Null => Ok(None),
        Frame::Array(items) if items.is_empty() => Ok(None),
        other => Sample::from_resp(other).map(Some),
    }
}

/// The reply of `TS.GET`: the latest sample, `None` for a series that has
/// none yet.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LatestSample {
    /// The sample.
    pub sample: Option<Sample>,
}

impl FromResp for LatestSample {
    fn from_resp(frame: Frame) -> Result<Self> {
        Ok(LatestSample {
            sample: latest(frame)?,
        })
    }
}

/// A series' labels in the server's order: a RESP2 array of pairs or a
/// RESP3 map. A label `SELECTED_LABELS` asks for and the series lacks is
/// `None`.
fn labels(frame: Frame) -> Result<Vec<(ByteStr, Option<ByteStr>)>> {
    match frame {
        Frame::Null => Ok(Vec::new()),
        Frame::Map(pairs) => pairs
            .into_iter()
            .map(|(k, v)| Ok((ByteStr::from_resp(k)?, FromResp::from_resp(v)?)))
            .collect(),
        other => items(other, 0, "labels")?
            .map(FromResp::from_resp)
            .collect(),
    }
}

/// The key and the rest of one series of a multi-series reply: RESP2's
/// `[key, labels, data]` or one pair of RESP3's map (`key => [labels,
/// ..., data]`); the rest as `[labels, ..., data]`.
fn series_parts(key: Option<Frame>, value: Frame) -> Result<(ByteStr, Vec<Frame>)> {
    match key {
        Some(k) => {
            let parts = items(value, 2, "a series [labels, ..., data]")?.collect();
            Ok((ByteStr::from_resp(k)?, parts))
        }
        None => {
            let mut it = items(value, 3, "a series [key, labels, data]")?;
            let key = ByteStr::from_resp(it.next().unwrap_or(Frame::Null))?;
            Ok((key, it.collect()))
        }
    }
}

/// One series of `TS.MGET`: its key, labels (with `WITHLABELS` or
/// `SELECTED_LABELS`; empty otherwise) and latest sample.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesLatest {
    /// The series' key.
    pub key: ByteStr,
    /// Its labels.
    pub labels: Vec<(ByteStr, Option<ByteStr>)>,
    /// Its latest sample, `None` when it has none.
    pub sample: Option<Sample>,
}

impl SeriesLatest {
    fn read(key: Option<Frame>, value: Frame) -> Result<Self> {
        let (key, mut parts) = series_parts(key, value)?;
        let data = parts.pop().unwrap_or(Frame::Null);
        let labels = labels(parts.into_iter().next().unwrap_or(Frame::Null))?;
        Ok(SeriesLatest {
            key,
            labels,
            sample: latest(data)?,
        })
    }
}

/// One series of `TS.MRANGE` and `TS.MREVRANGE`: its key (with `GROUPBY`,
/// the group, `label=value`), its labels and its samples.
///
/// RESP3 adds the aggregators, reducers and source keys of the query,
/// which RESP2 has no place for; they are left out so that both read the
/// same (with `WITHLABELS` and `GROUPBY`, RESP2 lists the reducer and the
/// sources as the labels `__reducer__` and `__source__`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// The series' key, or the group.
    pub key: ByteStr,
    /// Its labels.
    pub labels: Vec<(ByteStr, Option<ByteStr>)>,
    /// Its samples in the range, in the order asked for.
    pub samples: Vec<Sample>,
}

impl Series {
    fn read(key: Option<Frame>, value: Frame) -> Result<Self> {
        let (key, mut parts) = series_parts(key, value)?;
        let data = parts.pop().unwrap_or(Frame::Null);
        let labels = labels(parts.into_iter().next().unwrap_or(Frame::Null))?;
        Ok(Series {
            key,
            labels,
            samples: FromResp::from_resp(data)?,
        })
    }
}

/// Reads a multi-series record as an item of an array (RESP2) or, two
/// items at a time, from the key and value of a map (RESP3: `Vec<T>`
/// hands a map's pairs over flat).
macro_rules! series_from_resp {
    ($t:ty) => {
        impl FromResp for $t {
            const FLAT_ARITY: usize = 2;

            fn from_resp(frame: Frame) -> Result<Self> {
                match frame {
                    Frame::Array(_) => <$t>::read(None, frame),
                    other => Err(conversion_error("a series [key, labels, data]", &other)),
                }
            }

            fn from_flat(items: &mut std::vec::IntoIter<Frame>) -> Result<Self> {
                match (items.next(), items.next()) {
                    (Some(k), Some(v)) => <$t>::read(Some(k), v),
                    _ => Err(Error::new(
                        ErrorKind::Conversion,
                        "a series without its data",
                    )),
                }
            }
        }
    };
}

series_from_resp!(SeriesLatest);
series_from_resp!(Series);

/// A compaction rule of `TS.INFO`: the series it writes to and how.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactionRule {
    /// The destination series.
    pub dest_key: ByteStr,
    /// The bucket duration, in milliseconds.
    pub bucket_duration: i64,
    /// The aggregation (`AVG`, `SUM`, ...).
    pub aggregation: String,
    /// The bucket alignment timestamp.
    pub align_timestamp: i64,
}

/// The rules: RESP2 `[[dest, bucket, aggregation, align], ...]`, RESP3
/// `{dest: [bucket, aggregation, align]}`.
fn rules(frame: Frame) -> Result<Vec<CompactionRule>> {
    let rule = |dest: ByteStr, mut it: std::vec::IntoIter<Frame>| -> Result<CompactionRule> {
        Ok(CompactionRule {
            dest_key: dest,
            bucket_duration: i64::from_resp(it.next().unwrap_or(Frame::Null))?,
            aggregation: String::from_resp(it.next().unwrap_or(Frame::Null))?,
            align_timestamp: Option::<i64>::from_resp(it.next().unwrap_or(Frame::Null))?
                .unwrap_or(0),
        })
    };
    match frame {
        Frame::Null => Ok(Vec::new()),
        Frame::Map(pairs) => pairs
            .into_iter()
            .map(|(k, v)| rule(ByteStr::from_resp(k)?, items(v, 2, "a rule")?))
            .collect(),
        other => items(other, 0, "rules")?
            .map(|r| {
                let mut it = items(r, 3, "a rule [dest, bucket, aggregation, align]")?;
                let dest = ByteStr::from_resp(it.next().unwrap_or(Frame::Null))?;
                rule(dest, it)
            })
            .collect(),
    }
}

/// One chunk of `TS.INFO ... DEBUG`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChunkInfo {
    /// The first sample's timestamp.
    pub start_timestamp: i64,
    /// The last sample's timestamp.
    pub end_timestamp: i64,
    /// How many samples it holds.
    pub samples: i64,
    /// Its size in bytes.
    pub size: i64,
    /// Bytes per sample.
    pub bytes_per_sample: f64,
    /// Fields this version of respec does not name.
    pub extra: BTreeMap<String, Reply>,
}

impl FromResp for ChunkInfo {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut f = Fields::new(frame, "a map (ChunkInfo)")?;
        Ok(ChunkInfo {
            start_timestamp: f.take("startTimestamp")?,
            end_timestamp: f.take("endTimestamp")?,
            samples: f.take("samples")?,
            size: f.take("size")?,
            bytes_per_sample: f.take("bytesPerSample")?,
            extra: f.rest()?,
        })
    }
}

/// `TS.INFO`: a series' settings and statistics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesInfo {
    /// How many samples it holds.
    pub total_samples: i64,
    /// Its memory, in bytes.
    pub memory_usage: i64,
    /// The first sample's timestamp (0 when empty).
    pub first_timestamp: i64,
    /// The last sample's timestamp (0 when empty).
    pub last_timestamp: i64,
    /// How long samples are kept, in milliseconds (0: forever).
    pub retention_time: i64,
    /// How many chunks hold the samples.
    pub chunk_count: i64,
    /// The chunk size, in bytes.
    pub chunk_size: i64,
    /// `compressed` or `uncompressed`.
    pub chunk_type: String,
    /// What a sample with an existing timestamp does (`block`, `last`,
    /// ...); `None`: the server's default.
    pub duplicate_policy: Option<String>,
    /// Its labels.
    pub labels: Vec<(ByteStr, Option<ByteStr>)>,
    /// The series it is a compaction of.
    pub source_key: Option<ByteStr>,
    /// The compactions it writes to.
    pub rules: Vec<CompactionRule>,
    /// `IGNORE`'s largest time difference, in milliseconds.
    pub ignore_max_time_diff: i64,
    /// `IGNORE`'s largest value difference.
    pub ignore_max_val_diff: f64,
    /// With `DEBUG`: the series' own key.
    pub key_self_name: Option<ByteStr>,
    /// With `DEBUG`: its chunks.
    pub chunks: Option<Vec<ChunkInfo>>,
    /// Fields this version of respec does not name.
    pub extra: BTreeMap<String, Reply>,
}

impl FromResp for SeriesInfo {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut f = Fields::new(frame, "a map (SeriesInfo)")?;
        Ok(SeriesInfo {
            total_samples: f.take("totalSamples")?,
            memory_usage: f.take("memoryUsage")?,
            first_timestamp: f.take("firstTimestamp")?,
            last_timestamp: f.take("lastTimestamp")?,
            retention_time: f.take("retentionTime")?,
            chunk_count: f.take("chunkCount")?,
            chunk_size: f.take("chunkSize")?,
            chunk_type: f.take("chunkType")?,
            duplicate_policy: f.take("duplicatePolicy")?,
            labels: f.take_with("labels", labels)?,
            source_key: f.take("sourceKey")?,
            rules: f.take_with("rules", rules)?,
            ignore_max_time_diff: f.take::<Option<i64>>("ignoreMaxTimeDiff")?.unwrap_or(0),
            ignore_max_val_diff: f.take::<Option<f64>>("ignoreMaxValDiff")?.unwrap_or(0.0),
            key_self_name: f.take("keySelfName")?,
            chunks: f.take("Chunks")?,
            extra: f.rest()?,
        })
    }
}
