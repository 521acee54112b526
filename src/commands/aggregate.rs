//! The reducers of `FT.AGGREGATE ... GROUPBY ... REDUCE`: a typed value in
//! place of the server's `function nargs arg ... [AS name]` word list.
//!
//! An aggregation is a pipeline of steps run in the order they are given:
//! each step builder of [`FtAggregate`](crate::commands::search::FtAggregate)
//! (`load`, `groupby`, `sortby`, `apply`, `filter`, `limit`) appends one,
//! and `reduce` adds a reducer to the `GROUPBY` step appended just before.
//! The argument counts the server wants are written for you.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use respec::commands::aggregate::Reduce;
//! use respec::commands::Order;
//! use respec::prelude::*;
//!
//! let rows = client
//!     .ft_aggregate("products", "*")
//!     .groupby(["@brand"])
//!     .reduce(Reduce::count().as_("n"))
//!     .reduce(Reduce::sum("@price").as_("total"))
//!     .sortby([("@total", Order::Desc)])
//!     .apply("@total / @n", "mean")
//!     .filter("@n > 1")
//!     .limit(0, 10)
//!     .await?;
//! # let _ = rows;
//! # Ok(()) }
//! ```

use crate::commands::support::{ArgWriter, Value, WriteArgs};
use crate::commands::Order;

/// One reducer of a `GROUPBY` step: a function of the group's rows, with
/// the name its result gets in the output row ([`as_`](Self::as_); the
/// server makes one up otherwise).
#[derive(Debug, Clone, PartialEq)]
pub struct Reduce {
    function: &'static str,
    args: Vec<Value>,
    alias: Option<Value>,
    /// A value the server would refuse, found while building.
    error: Option<&'static str>,
}

impl Reduce {
    fn new(function: &'static str, args: Vec<Value>) -> Self {
        Reduce {
            function,
            args,
            alias: None,
            error: None,
        }
    }

    /// `COUNT`: the number of rows in the group.
    pub fn count() -> Self {
        Self::new("COUNT", Vec::new())
    }

    /// `COUNT_DISTINCT property`: the number of distinct values of
    /// `property`.
    pub fn count_distinct(property: impl Into<Value>) -> Self {
        Self::new("COUNT_DISTINCT", vec![property.into()])
    }

    /// `COUNT_DISTINCTISH property`: an estimate of the number of distinct
    /// values of `property` (cheaper than [`count_distinct`](Self::count_distinct)).
    pub fn count_distinctish(property: impl Into<Value>) -> Self {
        Self::new("COUNT_DISTINCTISH", vec![property.into()])
    }

    /// `SUM property`: the sum of the numeric values of `property`.
    pub fn sum(property: impl Into<Value>) -> Self {
        Self::new("SUM", vec![property.into()])
    }

    /// `MIN property`: the smallest numeric value of `property`.
    pub fn min(property: impl Into<Value>) -> Self {
        Self::new("MIN", vec![property.into()])
    }

    /// `MAX property`: the largest numeric value of `property`.
    pub fn max(property: impl Into<Value>) -> Self {
        Self::new("MAX", vec![property.into()])
    }

    /// `AVG property`: the mean of the numeric values of `property`.
    pub fn avg(property: impl Into<Value>) -> Self {
        Self::new("AVG", vec![property.into()])
    }

    /// `STDDEV property`: the standard deviation of the numeric values of
    /// `property`.
    pub fn stddev(property: impl Into<Value>) -> Self {
        Self::new("STDDEV", vec![property.into()])
    }

    /// `QUANTILE property quantile`: the value of `property` at `quantile`
    /// (from 0 to 1; 0.5 is the median). A quantile outside that range is
    /// refused before sending.
    pub fn quantile(property: impl Into<Value>, quantile: f64) -> Self {
        let mut r = Self::new("QUANTILE", vec![property.into(), quantile.into()]);
        if !(0.0..=1.0).contains(&quantile) {
            r.error = Some("QUANTILE's quantile is a number from 0 to 1");
        }
        r
    }

    /// `TOLIST property`: the distinct values of `property`, as a list.
    pub fn tolist(property: impl Into<Value>) -> Self {
        Self::new("TOLIST", vec![property.into()])
    }

    /// `FIRST_VALUE property`: the value of `property` in the group's first
    /// row.
    pub fn first_value(property: impl Into<Value>) -> Self {
        Self::new("FIRST_VALUE", vec![property.into()])
    }

    /// `FIRST_VALUE property BY by ASC|DESC`: the value of `property` in
    /// the row that comes first when the group is sorted by `by`.
    pub fn first_value_by(property: impl Into<Value>, by: impl Into<Value>, order: Order) -> Self {
        let order = match order {
            Order::Asc => "ASC",
            Order::Desc => "DESC",
        };
        Self::new(
            "FIRST_VALUE",
            vec![property.into(), "BY".into(), by.into(), order.into()],
        )
    }

    /// `RANDOM_SAMPLE property size`: up to `size` values of `property`
    /// picked at random from the group. A size of 0 is refused before
    /// sending.
    pub fn random_sample(property: impl Into<Value>, size: u32) -> Self {
        let mut r = Self::new("RANDOM_SAMPLE", vec![property.into(), size.into()]);
        if size == 0 {
            r.error = Some("RANDOM_SAMPLE's size is at least 1");
        }
        r
    }

    /// `AS name`: the name of the result in the output rows.
    pub fn as_(mut self, name: impl Into<Value>) -> Self {
        self.alias = Some(name.into());
        self
    }
}

impl WriteArgs for Reduce {
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        if let Some(e) = self.error {
            w.fail(e);
        }
        w.token(self.function);
        w.counted(|w| {
            for a in &self.args {
                w.arg(a);
            }
        });
        if let Some(name) = &self.alias {
            w.token("AS").arg(name);
        }
    }
}
