//! Converting reply frames into Rust values.
//!
//! [`FromResp`] turns a [`Frame`] into a Rust type and smooths over the
//! differences between RESP2 and RESP3, so one type works on both:
//!
//! | Rust type | accepts |
//! |---|---|
//! | [`ByteStr`] | bulk, simple, verbatim strings, big numbers; integers and doubles as text; any bytes, without a copy |
//! | `String` | the same, when the bytes are UTF-8 (an error otherwise) |
//! | `Vec<u8>`, `Bytes` | the same as [`ByteStr`] |
//! | integers | integers; strings holding a decimal; big numbers that fit; booleans as 0/1 |
//! | `f64`, `f32` | doubles; integers; strings holding a number (`inf`, `-inf`, `nan` too) |
//! | `bool` | booleans; integers 0/1; strings `1`/`0`; `OK` as true and null as false (a conditional write such as `SET ... NX` that did or did not happen) |
//! | `()` | any reply that is not an error |
//! | `Option<T>` | null as `None`, anything else through `T` |
//! | `Vec<T>`, `VecDeque<T>` | arrays, sets, pushes; maps as `k, v, k, v`; `Vec<(A, B)>` also from a flat array (RESP2 `WITHSCORES`) or a map |
//! | `HashMap`, `BTreeMap` | maps; flat arrays of pairs (RESP2 `HGETALL`); arrays of 2-element arrays |
//! | `HashSet`, `BTreeSet` | sets and arrays |
//! | tuples up to 12 | arrays of exactly that length |
//! | [`Frame`] | anything, unchanged |
//! | `Result<T, Error>` | an error reply as `Err`, anything else through `T` (for pipelines) |
//!
//! The generated commands read values, keys, fields and members as
//! [`ByteStr`] by default, since the server may hold any bytes in them (a
//! `String` would fail on the first one that is not UTF-8); status lines
//! and server-made text that is always UTF-8 (help, encodings, stream IDs,
//! cursors) as `String`. `.reply::<T>()` picks any type of this table
//! instead, `String` included.
//!
//! Structured replies (stream entries, `XINFO`, `CLIENT LIST`, `COMMAND
//! DOCS`, `CLUSTER SHARDS`, ...) read into the named records of
//! [`crate::records`], which implement this trait for both protocols'
//! shapes.
//!
//! Implement the trait for your own types to read replies straight into them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};

use bytes::Bytes;

use crate::error::{Error, ErrorKind, Result};
use crate::resp::{parse_double, parse_i64, Frame};
use crate::ByteStr;

/// A type that can be built from a reply frame.
///
/// Every generated command has a declared reply type (shown on its method's
/// page). To read a reply as another type, ask for it with `.reply::<T>()`
/// rather than annotating the variable: `let n: i64 =
/// client.get("k").await?` does not compile (the declared type is
/// `Option<ByteStr>`), `let n: Option<i64> = client.get("k").reply().await?`
/// does. `T` is any type of the table above, a record of
/// [`crate::records`], or a type of yours implementing this trait.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a reply: it does not implement `FromResp`",
    label = "read with `.reply::<T>()` into a type that implements `FromResp`",
    note = "replies read into `ByteStr`, `String`, `Vec<u8>`, integers, floats, `bool`, `Option`, `Vec`, maps, sets, tuples, `Frame` and the records of `respec::records`; implement `FromResp` for your own type, or with the `serde` feature read a hash through `respec::de::Struct<T>`"
)]
pub trait FromResp: Sized {
    /// Converts the frame. Error frames should become `Err` (the provided
    /// implementations do so) unless the type holds errors itself.
    fn from_resp(frame: Frame) -> Result<Self>;

    /// For tuples: how many consecutive items of a flat array make one
    /// value (so `Vec<(String, f64)>` reads RESP2's `m1, s1, m2, s2`). Zero
    /// for every other type.
    #[doc(hidden)]
    const FLAT_ARITY: usize = 0;

    /// For `u8` only: lets `Vec<u8>` read a string reply as its bytes.
    #[doc(hidden)]
    fn from_byte_string(_bytes: &Bytes) -> Option<Vec<Self>> {
        None
    }

    /// For tuples: builds one value from the next `FLAT_ARITY` items.
    #[doc(hidden)]
    fn from_flat(items: &mut std::vec::IntoIter<Frame>) -> Result<Self> {
        match items.next() {
            Some(f) => Self::from_resp(f),
            None => Err(Error::new(ErrorKind::Conversion, "too few items")),
        }
    }
}

/// A short description of a frame for error messages: its kind and, for
/// short strings and numbers, its value.
fn describe(frame: &Frame) -> String {
    match frame {
        Frame::Integer(i) => format!("integer {i}"),
        Frame::Double(d) => format!("double {d}"),
        Frame::Boolean(b) => format!("boolean {b}"),
        Frame::Array(a) | Frame::Set(a) | Frame::Push(a) => {
            format!("{} of {} items", frame.kind(), a.len())
        }
        Frame::Map(m) => format!("map of {} pairs", m.len()),
        other => match other.as_bytes() {
            Some(b) if b.len() <= 40 => {
                format!("{} {:?}", other.kind(), String::from_utf8_lossy(b))
            }
            Some(b) => format!("{} of {} bytes", other.kind(), b.len()),
            None => other.kind().to_string(),
        },
    }
}

/// The error for a frame that cannot become the requested type.
pub fn conversion_error(expected: &str, got: &Frame) -> Error {
    if let Some(m) = got.error_message() {
        return Error::from_server_reply(m);
    }
    Error::new(
        ErrorKind::Conversion,
        format!("expected {expected}, got {}", describe(got)),
    )
}

impl FromResp for Frame {
    fn from_resp(frame: Frame) -> Result<Self> {
        Ok(frame)
    }
}

impl<T: FromResp> FromResp for Result<T> {
    fn from_resp(frame: Frame) -> Result<Self> {
        Ok(match frame.error_message() {
            Some(m) => Err(Error::from_server_reply(m)),
            None => T::from_resp(frame),
        })
    }
}

impl FromResp for () {
    fn from_resp(frame: Frame) -> Result<Self> {
        match frame.error_message() {
            Some(m) => Err(Error::from_server_reply(m)),
            None => Ok(()),
        }
    }
}

impl FromResp for Bytes {
    fn from_resp(frame: Frame) -> Result<Self> {
        match frame {
            Frame::BulkString(b) | Frame::SimpleString(b) | Frame::BigNumber(b) => Ok(b),
            Frame::VerbatimString { text, .. } => Ok(text),
            Frame::Integer(i) => Ok(Bytes::from(i.to_string())),
            Frame::Double(d) => {
                let mut out = bytes::BytesMut::new();
                crate::resp::encode::put_double(&mut out, d);
                Ok(out.freeze())
            }
            other => Err(conversion_error("a string", &other)),
        }
    }
}

impl FromResp for String {
    fn from_resp(frame: Frame) -> Result<Self> {
        let bytes = Bytes::from_resp(frame)?;
        String::from_utf8(Vec::from(bytes)).map_err(|e| {
            Error::new(
                ErrorKind::Conversion,
                format!(
                    "expected a UTF-8 string, got {} bytes that are not UTF-8 (at byte {}); read it as ByteStr, Vec<u8> or Bytes",
                    e.as_bytes().len(),
                    e.utf8_error().valid_up_to()
                ),
            )
        })
    }
}

fn int_of(frame: &Frame) -> Option<i128> {
    match frame {
        Frame::Integer(i) => Some(*i as i128),
        Frame::Boolean(b) => Some(*b as i128),
        Frame::BulkString(b) | Frame::SimpleString(b) => parse_i64(b)
            .map(|i| i as i128)
            .or_else(|| std::str::from_utf8(b).ok()?.parse::<i128>().ok()),
        Frame::BigNumber(b) => std::str::from_utf8(b).ok()?.parse::<i128>().ok(),
        Frame::Double(d) if d.fract() == 0.0 && d.is_finite() && d.abs() < 1e38 => Some(*d as i128),
        _ => None,
    }
}

macro_rules! int_from_resp {
    ($($t:ty),*) => {$(
        impl FromResp for $t {
            fn from_resp(frame: Frame) -> Result<Self> {
                match int_of(&frame) {
                    Some(i) => <$t>::try_from(i).map_err(|_| Error::new(
                        ErrorKind::Conversion,
                        format!("{i} does not fit in {}", stringify!($t)),
                    )),
                    None => Err(conversion_error(concat!("an integer (", stringify!($t), ")"), &frame)),
                }
            }
        }
    )*};
}
int_from_resp!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

impl FromResp for u8 {
    fn from_resp(frame: Frame) -> Result<Self> {
        match int_of(&frame) {
            Some(i) => u8::try_from(i)
                .map_err(|_| Error::new(ErrorKind::Conversion, format!("{i} does not fit in u8"))),
            None => Err(conversion_error("an integer (u8)", &frame)),
        }
    }

    fn from_byte_string(bytes: &Bytes) -> Option<Vec<Self>> {
        Some(bytes.to_vec())
    }
}

impl FromResp for f64 {
    fn from_resp(frame: Frame) -> Result<Self> {
        match &frame {
            Frame::Double(d) => Ok(*d),
            Frame::Integer(i) => Ok(*i as f64),
            Frame::BulkString(b) | Frame::SimpleString(b) | Frame::BigNumber(b) => {
                parse_double(b).ok_or_else(|| conversion_error("a number", &frame))
            }
            _ => Err(conversion_error("a number", &frame)),
        }
    }
}

impl FromResp for f32 {
    fn from_resp(frame: Frame) -> Result<Self> {
        f64::from_resp(frame).map(|d| d as f32)
    }
}

impl FromResp for bool {
    fn from_resp(frame: Frame) -> Result<Self> {
        match &frame {
            Frame::Boolean(b) => Ok(*b),
            Frame::Integer(0) => Ok(false),
            Frame::Integer(1) => Ok(true),
            Frame::SimpleString(s) if &s[..] == b"OK" => Ok(true),
            Frame::Null => Ok(false),
            Frame::BulkString(s) | Frame::SimpleString(s) if &s[..] == b"1" => Ok(true),
            Frame::BulkString(s) | Frame::SimpleString(s) if &s[..] == b"0" => Ok(false),
            _ => Err(conversion_error("a boolean", &frame)),
        }
    }
}

impl<T: FromResp> FromResp for Option<T> {
    fn from_resp(frame: Frame) -> Result<Self> {
        match frame {
            Frame::Null => Ok(None),
            other => T::from_resp(other).map(Some),
        }
    }
}

impl<T: FromResp> FromResp for Box<T> {
    fn from_resp(frame: Frame) -> Result<Self> {
        T::from_resp(frame).map(Box::new)
    }
}

/// The items of an aggregate, maps flattened to `k, v, k, v`.
fn items_of(frame: Frame, expected: &str) -> Result<Vec<Frame>> {
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => Ok(items),
        Frame::Map(pairs) => Ok(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        other => Err(conversion_error(expected, &other)),
    }
}

/// Converts the items of an aggregate one by one, or, for tuple items whose
/// frames arrive flat (RESP2 `WITHSCORES`, a RESP3 map), `FLAT_ARITY` at a time.
fn collect_items<T: FromResp, C: FromIterator<T>>(frame: Frame, expected: &str) -> Result<C> {
    let n = T::FLAT_ARITY;
    let flat = n > 1
        && match &frame {
            Frame::Map(_) => n == 2,
            Frame::Array(items) | Frame::Set(items) => {
                !items.is_empty()
                    && items.len() % n == 0
                    && !matches!(items[0], Frame::Array(_) | Frame::Map(_))
            }
            _ => false,
        };
    let items = items_of(frame, expected)?;
    if flat {
        let count = items.len() / n;
        let mut it = items.into_iter();
        (0..count).map(|_| T::from_flat(&mut it)).collect()
    } else {
        items.into_iter().map(T::from_resp).collect()
    }
}

impl<T: FromResp> FromResp for Vec<T> {
    fn from_resp(frame: Frame) -> Result<Self> {
        if let Some(b) = frame.as_bytes_ref() {
            if let Some(v) = T::from_byte_string(b) {
                return Ok(v);
            }
        }
        collect_items(frame, "an array")
    }
}

impl<T: FromResp> FromResp for VecDeque<T> {
    fn from_resp(frame: Frame) -> Result<Self> {
        collect_items(frame, "an array")
    }
}

impl<T: FromResp + Eq + Hash, S: BuildHasher + Default> FromResp for HashSet<T, S> {
    fn from_resp(frame: Frame) -> Result<Self> {
        collect_items(frame, "a set")
    }
}

impl<T: FromResp + Ord> FromResp for BTreeSet<T> {
    fn from_resp(frame: Frame) -> Result<Self> {
        collect_items(frame, "a set")
    }
}

/// Key/value pairs from a map, a flat array, or an array of pairs.
fn pairs_of<K: FromResp, V: FromResp>(frame: Frame) -> Result<Vec<(K, V)>> {
    match frame {
        Frame::Map(pairs) => pairs
            .into_iter()
            .map(|(k, v)| Ok((K::from_resp(k)?, V::from_resp(v)?)))
            .collect(),
        Frame::Array(items)
            if items
                .iter()
                .all(|i| matches!(i, Frame::Array(a) if a.len() == 2))
                && !items.is_empty() =>
        {
            items.into_iter().map(<(K, V)>::from_resp).collect()
        }
        Frame::Array(items) if items.len() % 2 == 0 => {
            let mut it = items.into_iter();
            let mut out = Vec::with_capacity(it.len() / 2);
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                out.push((K::from_resp(k)?, V::from_resp(v)?));
            }
            Ok(out)
        }
        other => Err(conversion_error("a map", &other)),
    }
}

impl<K: FromResp + Eq + Hash, V: FromResp, S: BuildHasher + Default> FromResp for HashMap<K, V, S> {
    fn from_resp(frame: Frame) -> Result<Self> {
        Ok(pairs_of(frame)?.into_iter().collect())
    }
}

impl<K: FromResp + Ord, V: FromResp> FromResp for BTreeMap<K, V> {
    fn from_resp(frame: Frame) -> Result<Self> {
        Ok(pairs_of(frame)?.into_iter().collect())
    }
}

macro_rules! tuple_from_resp {
    ($n:literal: $($t:ident),+) => {
        impl<$($t: FromResp),+> FromResp for ($($t,)+) {
            const FLAT_ARITY: usize = $n;

            fn from_resp(frame: Frame) -> Result<Self> {
                let items = match frame {
                    Frame::Map(pairs) if $n == 2 && pairs.len() == 1 => {
                        pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()
                    }
                    Frame::Array(items) | Frame::Set(items) | Frame::Push(items) if items.len() == $n => items,
                    other => return Err(conversion_error(concat!("an array of ", $n, " items"), &other)),
                };
                let mut it = items.into_iter();
                Self::from_flat(&mut it)
            }

            fn from_flat(items: &mut std::vec::IntoIter<Frame>) -> Result<Self> {
                Ok(($(
                    $t::from_resp(items.next().ok_or_else(|| {
                        Error::new(ErrorKind::Conversion, concat!("expected ", $n, " items"))
                    })?)?,
                )+))
            }
        }
    };
}
tuple_from_resp!(1: A);
tuple_from_resp!(2: A, B);
tuple_from_resp!(3: A, B, C);
tuple_from_resp!(4: A, B, C, D);
tuple_from_resp!(5: A, B, C, D, E);
tuple_from_resp!(6: A, B, C, D, E, F);
tuple_from_resp!(7: A, B, C, D, E, F, G);
tuple_from_resp!(8: A, B, C, D, E, F, G, H);
tuple_from_resp!(9: A, B, C, D, E, F, G, H, I);
tuple_from_resp!(10: A, B, C, D, E, F, G, H, I, J);
tuple_from_resp!(11: A, B, C, D, E, F, G, H, I, J, K);
tuple_from_resp!(12: A, B, C, D, E, F, G, H, I, J, K, L);

impl Frame {
    /// The payload of a string-like frame as shared [`Bytes`].
    fn as_bytes_ref(&self) -> Option<&Bytes> {
        match self {
            Frame::SimpleString(b) | Frame::BulkString(b) | Frame::BigNumber(b) => Some(b),
            Frame::VerbatimString { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// One result of `GEOSEARCH` / `GEORADIUS` with `WITHDIST`, `WITHHASH`
/// or `WITHCOORD`: the member and whichever of those were asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoItem {
    /// The member.
    pub member: ByteStr,
    /// Distance from the center, in the query's unit (`WITHDIST`).
    pub distance: Option<f64>,
    /// The raw geohash (`WITHHASH`).
    pub hash: Option<i64>,
    /// Longitude and latitude (`WITHCOORD`).
    pub coordinates: Option<(f64, f64)>,
}

impl FromResp for GeoItem {
    fn from_resp(frame: Frame) -> Result<Self> {
        let items = match frame {
            Frame::Array(items) if !items.is_empty() => items,
            // Without any WITH option the server sends the bare member.
            other @ (Frame::BulkString(_) | Frame::SimpleString(_)) => {
                return Ok(GeoItem {
                    member: ByteStr::from_resp(other)?,
                    distance: None,
                    hash: None,
                    coordinates: None,
                })
            }
            other => {
                return Err(conversion_error(
                    "a geo result (member, [distance], [hash], [coordinates])",
                    &other,
                ))
            }
        };
        let mut it = items.into_iter();
        let member = ByteStr::from_resp(it.next().expect("checked non-empty"))?;
        let mut item = GeoItem {
            member,
            distance: None,
            hash: None,
            coordinates: None,
        };
        for f in it {
            match f {
                Frame::Integer(h) => item.hash = Some(h),
                f @ Frame::Array(_) => item.coordinates = Some(<(f64, f64)>::from_resp(f)?),
                f => item.distance = Some(f64::from_resp(f)?),
            }
        }
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Frame {
        Frame::BulkString(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn scalars() {
        assert_eq!(i64::from_resp(Frame::Integer(-5)).unwrap(), -5);
        assert_eq!(i64::from_resp(bulk("42")).unwrap(), 42);
        assert_eq!(
            u8::from_resp(Frame::Integer(300)).unwrap_err().kind(),
            &ErrorKind::Conversion
        );
        assert_eq!(f64::from_resp(bulk("inf")).unwrap(), f64::INFINITY);
        assert_eq!(f64::from_resp(Frame::Double(1.5)).unwrap(), 1.5);
        assert!(bool::from_resp(Frame::SimpleString("OK".into())).unwrap());
        assert_eq!(String::from_resp(Frame::Integer(7)).unwrap(), "7");
        assert_eq!(Option::<String>::from_resp(Frame::Null).unwrap(), None);
        assert_eq!(Vec::<u8>::from_resp(bulk("hi")).unwrap(), b"hi".to_vec());
        let nums = Frame::Array(vec![Frame::Integer(1), Frame::Integer(2)]);
        assert_eq!(Vec::<u8>::from_resp(nums).unwrap(), vec![1, 2]);
        let e = String::from_resp(Frame::BulkString(Bytes::from_static(b"\xff\xfe"))).unwrap_err();
        assert!(e.to_string().contains("not UTF-8"), "{e}");
        let e = i64::from_resp(bulk("abc")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unexpected reply: expected an integer (i64), got bulk string \"abc\""
        );
        let e = String::from_resp(Frame::Error("WRONGTYPE bad".into())).unwrap_err();
        assert_eq!(e.code(), Some("WRONGTYPE"));
    }

    #[test]
    fn resp2_and_resp3_maps_agree() {
        let resp3 = Frame::Map(vec![(bulk("a"), bulk("1")), (bulk("b"), bulk("2"))]);
        let resp2 = Frame::Array(vec![bulk("a"), bulk("1"), bulk("b"), bulk("2")]);
        let m3: HashMap<String, i64> = FromResp::from_resp(resp3).unwrap();
        let m2: HashMap<String, i64> = FromResp::from_resp(resp2).unwrap();
        assert_eq!(m2, m3);
        assert_eq!(m3["b"], 2);
    }

    #[test]
    fn scored_members_from_either_shape() {
        let resp2 = Frame::Array(vec![bulk("a"), bulk("1.5"), bulk("b"), bulk("2")]);
        let resp3 = Frame::Array(vec![
            Frame::Array(vec![bulk("a"), Frame::Double(1.5)]),
            Frame::Array(vec![bulk("b"), Frame::Double(2.0)]),
        ]);
        let want = vec![("a".to_string(), 1.5), ("b".to_string(), 2.0)];
        assert_eq!(Vec::<(String, f64)>::from_resp(resp2).unwrap(), want);
        assert_eq!(Vec::<(String, f64)>::from_resp(resp3).unwrap(), want);
    }

    #[test]
    fn per_item_errors() {
        let f = Frame::Array(vec![Frame::Integer(1), Frame::Error("ERR x".into())]);
        let (a, b): (Result<i64>, Result<i64>) = FromResp::from_resp(f).unwrap();
        assert_eq!(a.unwrap(), 1);
        assert_eq!(b.unwrap_err().code(), Some("ERR"));
    }
}
