//! Range bounds and stream ids as types: what the server writes as `(5`,
//! `-inf`, `[a`, `+` or `1700000000000-*` has a name here.
//!
//! Every type writes itself as one command argument ([`ToArg`]), so it goes
//! wherever the generated methods take that argument:
//!
//! - [`ScoreBound`] for the score ranges of sorted sets (`ZCOUNT`,
//!   `ZRANGEBYSCORE`, `ZREVRANGEBYSCORE`, `ZREMRANGEBYSCORE`, and `ZRANGE`
//!   with `BYSCORE`). A plain number is an inclusive bound, so
//!   `zcount("k", 1, 5)` still reads as before; `ScoreBound::exclusive(5)`
//!   writes `(5`, [`ScoreBound::NEG_INF`] writes `-inf`.
//! - [`LexBound`] for the lexicographic ranges (`ZRANGEBYLEX`, `ZLEXCOUNT`,
//!   `ZREMRANGEBYLEX`, `ZRANGE` with `BYLEX`): `LexBound::inclusive("a")` is
//!   `[a`, [`LexBound::MIN`] is `-`. Those methods take any argument, so the
//!   server's own spelling (`"[a"`) is accepted too.
//! - [`StreamId`] for stream entry ids and the special ids of the stream
//!   commands (`*`, `$`, `>`, `-`, `+`, `1700000000000-0`,
//!   `1700000000000-*`); strings such as `"0-1"` are accepted too.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use respec::bounds::{LexBound, ScoreBound, StreamId};
//! use respec::commands::*;
//!
//! // Scores above 5 (exclusive) up to any score.
//! let n = client.zcount("board", ScoreBound::exclusive(5), ScoreBound::POS_INF).await?;
//! // Members from "b" (inclusive) to the end.
//! let names = client.zrangebylex("names", LexBound::inclusive("b"), LexBound::MAX).await?;
//! // Entries after a known id.
//! let entries = client.xrange("events", StreamId::after(1_700_000_000_000, 0), StreamId::MAX).await?;
//! # let _ = (n, names, entries); Ok(()) }
//! ```

use std::fmt;

use bytes::{BufMut, BytesMut};

use crate::resp::encode::ToArg;

/// One end of a score range: a score, included or not, or an infinity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScoreBound {
    /// Scores equal to this one are in the range (`5`).
    Inclusive(f64),
    /// Scores equal to this one are not (`(5`).
    Exclusive(f64),
    /// Below every score (`-inf`).
    NegInf,
    /// Above every score (`+inf`).
    PosInf,
}

impl ScoreBound {
    /// Below every score (`-inf`).
    pub const NEG_INF: ScoreBound = ScoreBound::NegInf;
    /// Above every score (`+inf`).
    pub const POS_INF: ScoreBound = ScoreBound::PosInf;

    /// A bound that includes `score`.
    pub fn inclusive(score: impl Into<f64>) -> Self {
        ScoreBound::Inclusive(score.into())
    }

    /// A bound that excludes `score` (`(score`).
    pub fn exclusive(score: impl Into<f64>) -> Self {
        ScoreBound::Exclusive(score.into())
    }
}

impl fmt::Display for ScoreBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = BytesMut::new();
        self.write_text(&mut buf);
        f.write_str(&String::from_utf8_lossy(&buf))
    }
}

impl ScoreBound {
    fn write_text(&self, out: &mut BytesMut) {
        let number = |out: &mut BytesMut, x: f64| {
            if x == f64::INFINITY {
                out.put_slice(b"+inf");
            } else if x == f64::NEG_INFINITY {
                out.put_slice(b"-inf");
            } else {
                out.put_slice(x.to_string().as_bytes());
            }
        };
        match *self {
            ScoreBound::Inclusive(x) => number(out, x),
            ScoreBound::Exclusive(x) => {
                out.put_u8(b'(');
                number(out, x)
            }
            ScoreBound::NegInf => out.put_slice(b"-inf"),
            ScoreBound::PosInf => out.put_slice(b"+inf"),
        }
    }
}

impl ToArg for ScoreBound {
    fn write_arg(&self, out: &mut BytesMut) {
        let mut text = BytesMut::with_capacity(24);
        self.write_text(&mut text);
        text.as_ref().write_arg(out);
    }
}

macro_rules! score_from {
    ($($t:ty),*) => {$(
        impl From<$t> for ScoreBound {
            /// An inclusive bound.
            fn from(x: $t) -> Self {
                ScoreBound::Inclusive(x as f64)
            }
        }
    )*};
}
score_from!(f64, f32, i8, i16, i32, i64, u8, u16, u32);

/// One end of a lexicographic range of members (all members of the sorted
/// set having the same score).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// Members equal to this one are in the range (`[a`).
    Inclusive(Vec<u8>),
    /// Members equal to this one are not (`(a`).
    Exclusive(Vec<u8>),
    /// Before every member (`-`).
    Min,
    /// After every member (`+`).
    Max,
}

impl LexBound {
    /// Before every member (`-`).
    pub const MIN: LexBound = LexBound::Min;
    /// After every member (`+`).
    pub const MAX: LexBound = LexBound::Max;

    /// A bound that includes `member` (`[member`).
    pub fn inclusive(member: impl AsRef<[u8]>) -> Self {
        LexBound::Inclusive(member.as_ref().to_vec())
    }

    /// A bound that excludes `member` (`(member`).
    pub fn exclusive(member: impl AsRef<[u8]>) -> Self {
        LexBound::Exclusive(member.as_ref().to_vec())
    }
}

impl ToArg for LexBound {
    fn write_arg(&self, out: &mut BytesMut) {
        let prefixed = |out: &mut BytesMut, p: u8, m: &[u8]| {
            let mut v = Vec::with_capacity(m.len() + 1);
            v.push(p);
            v.extend_from_slice(m);
            v.as_slice().write_arg(out);
        };
        match self {
            LexBound::Inclusive(m) => prefixed(out, b'[', m),
            LexBound::Exclusive(m) => prefixed(out, b'(', m),
            LexBound::Min => "-".write_arg(out),
            LexBound::Max => "+".write_arg(out),
        }
    }
}

/// A stream entry id, or one of the special ids the stream commands take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamId {
    /// `ms-seq`: an entry's full id.
    Id {
        /// The milliseconds part.
        ms: u64,
        /// The sequence part.
        seq: u64,
    },
    /// `ms`: an incomplete id. In a range it stands for `ms-0` as a start
    /// and `ms-<max>` as an end.
    Ms(u64),
    /// `ms-*` (XADD): the server picks the sequence number.
    AutoSeq(u64),
    /// `(ms-seq`: an exclusive range bound (XRANGE, XREVRANGE, XAUTOCLAIM).
    After {
        /// The milliseconds part.
        ms: u64,
        /// The sequence part.
        seq: u64,
    },
    /// `*` (XADD): the server picks the id.
    Auto,
    /// `$` (XREAD, XGROUP): the last entry now in the stream.
    Last,
    /// `>` (XREADGROUP): entries never delivered to any consumer of the
    /// group.
    New,
    /// `-`: the smallest id.
    Min,
    /// `+`: the greatest id.
    Max,
}

impl StreamId {
    /// `*`.
    pub const AUTO: StreamId = StreamId::Auto;
    /// `$`.
    pub const LAST: StreamId = StreamId::Last;
    /// `>`.
    pub const NEW: StreamId = StreamId::New;
    /// `-`.
    pub const MIN: StreamId = StreamId::Min;
    /// `+`.
    pub const MAX: StreamId = StreamId::Max;

    /// The id `ms-seq`.
    pub fn new(ms: u64, seq: u64) -> Self {
        StreamId::Id { ms, seq }
    }

    /// The exclusive bound `(ms-seq`: entries after that id.
    pub fn after(ms: u64, seq: u64) -> Self {
        StreamId::After { ms, seq }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StreamId::Id { ms, seq } => write!(f, "{ms}-{seq}"),
            StreamId::Ms(ms) => write!(f, "{ms}"),
            StreamId::AutoSeq(ms) => write!(f, "{ms}-*"),
            StreamId::After { ms, seq } => write!(f, "({ms}-{seq}"),
            StreamId::Auto => f.write_str("*"),
            StreamId::Last => f.write_str("$"),
            StreamId::New => f.write_str(">"),
            StreamId::Min => f.write_str("-"),
            StreamId::Max => f.write_str("+"),
        }
    }
}

impl ToArg for StreamId {
    fn write_arg(&self, out: &mut BytesMut) {
        // At most `(` + 20 + `-` + 20 digits.
        let mut text = String::with_capacity(42);
        use std::fmt::Write as _;
        let _ = write!(text, "{self}");
        text.as_str().write_arg(out);
    }
}

impl std::str::FromStr for StreamId {
    type Err = crate::Error;

    /// Parses the server's spelling of an id (`1-2`, `5`, `5-*`, `(1-2`,
    /// `*`, `$`, `>`, `-`, `+`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!("`{s}` is not a stream id"),
            )
        };
        let num = |t: &str| t.parse::<u64>().map_err(|_| bad());
        Ok(match s {
            "*" => StreamId::Auto,
            "$" => StreamId::Last,
            ">" => StreamId::New,
            "-" => StreamId::Min,
            "+" => StreamId::Max,
            _ => {
                let (exclusive, rest) = match s.strip_prefix('(') {
                    Some(r) => (true, r),
                    None => (false, s),
                };
                match rest.split_once('-') {
                    None if !exclusive => StreamId::Ms(num(rest)?),
                    Some((ms, "*")) if !exclusive => StreamId::AutoSeq(num(ms)?),
                    Some((ms, seq)) if exclusive => StreamId::After {
                        ms: num(ms)?,
                        seq: num(seq)?,
                    },
                    Some((ms, seq)) => StreamId::Id {
                        ms: num(ms)?,
                        seq: num(seq)?,
                    },
                    None => return Err(bad()),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(a: impl ToArg) -> String {
        let mut out = BytesMut::new();
        a.write_arg(&mut out);
        let s = String::from_utf8(out.to_vec()).unwrap();
        // `$<len>\r\n<text>\r\n`
        s.split("\r\n").nth(1).unwrap().to_string()
    }

    #[test]
    fn score_bounds_write_the_server_spelling() {
        assert_eq!(text(ScoreBound::from(5)), "5");
        assert_eq!(text(ScoreBound::from(1.5)), "1.5");
        assert_eq!(text(ScoreBound::exclusive(5)), "(5");
        assert_eq!(text(ScoreBound::exclusive(-0.25)), "(-0.25");
        assert_eq!(text(ScoreBound::NEG_INF), "-inf");
        assert_eq!(text(ScoreBound::POS_INF), "+inf");
        assert_eq!(text(ScoreBound::inclusive(f64::INFINITY)), "+inf");
        assert_eq!(text(ScoreBound::exclusive(f64::NEG_INFINITY)), "(-inf");
        assert_eq!(ScoreBound::exclusive(2).to_string(), "(2");
    }

    #[test]
    fn lex_bounds_write_the_server_spelling() {
        assert_eq!(text(LexBound::inclusive("a")), "[a");
        let mut raw = BytesMut::new();
        LexBound::exclusive(b"b\xff").write_arg(&mut raw);
        assert_eq!(&raw[..], b"$3\r\n(b\xff\r\n");
        assert_eq!(text(LexBound::MIN), "-");
        assert_eq!(text(LexBound::MAX), "+");
    }

    #[test]
    fn stream_ids_round_trip_through_their_text() {
        for s in [
            "1-2",
            "5",
            "5-*",
            "(1-2",
            "*",
            "$",
            ">",
            "-",
            "+",
            "18446744073709551615-0",
        ] {
            let id: StreamId = s.parse().unwrap();
            assert_eq!(id.to_string(), s);
            assert_eq!(text(id), s);
        }
        for bad in ["", "x", "1-x", "(5", "(1-*", "-1", "1-2-3"] {
            assert!(bad.parse::<StreamId>().is_err(), "{bad}");
        }
        assert_eq!(StreamId::new(1, 2), "1-2".parse().unwrap());
        assert_eq!(StreamId::after(1, 2).to_string(), "(1-2");
    }
}
