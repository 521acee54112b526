//! The `*.INFO` records of the Bloom family (RedisBloom: `BF`, `CF`, `CMS`,
//! `TOPK`, `TDIGEST`). RESP2 sends each as a flat array of names and
//! values, RESP3 as a map (and `TOPK.INFO`'s decay as a double rather than
//! its text); both read into the same record.

use std::collections::BTreeMap;

use super::{Fields, Reply};
use crate::error::Result;
use crate::reply::{conversion_error, FromResp};
use crate::resp::Frame;

map_record! {
    /// `BF.INFO`: a Bloom filter's size and fill.
    pub struct BloomInfo {
        /// How many items the filter holds at its error rate (all its
        /// sub-filters together).
        pub capacity: i64 = "Capacity",
        /// Memory used, in bytes.
        pub size: i64 = "Size",
        /// How many sub-filters it has grown to.
        pub filters: i64 = "Number of filters",
        /// How many items were added.
        pub items: i64 = "Number of items inserted",
        /// How much larger each new sub-filter is; `None` for a
        /// `NONSCALING` filter.
        pub expansion_rate: Option<i64> = "Expansion rate",
    }
}

/// `BF.INFO key CAPACITY` (or `SIZE`, `FILTERS`, `ITEMS`, `EXPANSION`): the
/// one field asked for. RESP2 answers a one-item array (`[100]`), RESP3 a
/// one-entry map (`{Capacity: 100}`); both read as the value, `None` for the
/// expansion rate of a `NONSCALING` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BloomInfoField(pub Option<i64>);

impl BloomInfoField {
    /// The value.
    pub fn get(self) -> Option<i64> {
        self.0
    }
}

impl std::ops::Deref for BloomInfoField {
    type Target = Option<i64>;
    fn deref(&self) -> &Option<i64> {
        &self.0
    }
}

impl From<BloomInfoField> for Option<i64> {
    fn from(f: BloomInfoField) -> Self {
        f.0
    }
}

impl FromResp for BloomInfoField {
    fn from_resp(frame: Frame) -> Result<Self> {
        match frame {
            Frame::Array(items) if items.len() == 1 => Ok(BloomInfoField(FromResp::from_resp(
                items.into_iter().next().unwrap_or(Frame::Null),
            )?)),
            Frame::Map(pairs) if pairs.len() == 1 => Ok(BloomInfoField(FromResp::from_resp(
                pairs.into_iter().next().map_or(Frame::Null, |(_, v)| v),
            )?)),
            other => Err(conversion_error(
                "one BF.INFO field (a one-item array or a one-entry map)",
                &other,
            )),
        }
    }
}

map_record! {
    /// `CF.INFO`: a cuckoo filter's layout and fill.
    pub struct CuckooInfo {
        /// Memory used, in bytes.
        pub size: i64 = "Size",
        /// How many buckets it has.
        pub buckets: i64 = "Number of buckets",
        /// How many sub-filters it has grown to.
        pub filters: i64 = "Number of filters",
        /// How many items were added.
        pub items_inserted: i64 = "Number of items inserted",
        /// How many items were deleted.
        pub items_deleted: i64 = "Number of items deleted",
        /// Items per bucket.
        pub bucket_size: i64 = "Bucket size",
        /// How much larger each new sub-filter is.
        pub expansion_rate: i64 = "Expansion rate",
        /// How many times an item is moved before the filter counts as full.
        pub max_iterations: i64 = "Max iterations",
    }
}

map_record! {
    /// `CMS.INFO`: a Count-Min sketch's dimensions.
    pub struct CountMinInfo {
        /// Counters per row.
        pub width: i64 = "width",
        /// Rows (hash functions).
        pub depth: i64 = "depth",
        /// The sum of all increments.
        pub count: i64 = "count",
    }
}

/// `TOPK.INFO`: a Top-K sketch's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct TopkInfo {
    /// How many top items it keeps.
    pub k: i64,
    /// Counters per row.
    pub width: i64,
    /// Rows.
    pub depth: i64,
    /// The probability of decaying a counter on a collision (RESP2 sends
    /// its text, RESP3 a double).
    pub decay: f64,
    /// Fields this version of respec does not know (from a newer server),
    /// by name.
    pub extra: BTreeMap<String, Reply>,
}

impl FromResp for TopkInfo {
    fn from_resp(frame: Frame) -> Result<Self> {
        let mut f = Fields::new(frame, "a map (TopkInfo)")?;
        Ok(TopkInfo {
            k: f.take("k")?,
            width: f.take("width")?,
            depth: f.take("depth")?,
            decay: f.take("decay")?,
            extra: f.rest()?,
        })
    }
}

map_record! {
    /// `TDIGEST.INFO`: a t-digest sketch's size and content.
    pub struct TdigestInfo {
        /// The compression (accuracy) it was created with.
        pub compression: i64 = "Compression",
        /// How many centroids it can hold.
        pub capacity: i64 = "Capacity",
        /// Centroids already merged.
        pub merged_nodes: i64 = "Merged nodes",
        /// Centroids waiting to be merged.
        pub unmerged_nodes: i64 = "Unmerged nodes",
        /// The weight of the merged centroids.
        pub merged_weight: i64 = "Merged weight",
        /// The weight of the unmerged centroids.
        pub unmerged_weight: i64 = "Unmerged weight",
        /// How many values were added.
        pub observations: i64 = "Observations",
        /// How many times the centroids were merged.
        pub total_compressions: i64 = "Total compressions",
        /// Memory used, in bytes.
        pub memory_usage: i64 = "Memory usage",
    }
}
