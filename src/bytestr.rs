//! [`ByteStr`]: a binary-safe string, the default reply type for values,
//! keys, fields and members.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use bytes::{Bytes, BytesMut};

use crate::error::{Error, ErrorKind, Result};
use crate::reply::FromResp;
use crate::resp::encode::{write_bulk, ToArg};
use crate::resp::Frame;

/// A binary-safe string: what the server stores in keys, values, hash
/// fields, set and sorted-set members, list elements and stream entries.
///
/// Redis strings are bytes, not text: a value can hold a JPEG, a
/// serialized struct, a bitmap or half of a UTF-8 sequence. `ByteStr` holds
/// any of them, so a reply read into it never fails for its content; it is
/// the default reply type wherever the server answers with user data
/// (`GET`, `HGETALL`, `SMEMBERS`, `KEYS`, `XRANGE`, ...).
///
/// It is a [`Bytes`] underneath: reading it from a reply takes a slice of
/// the connection's read buffer, without a copy, and writing it back as an
/// argument of another command copies nothing more than any other
/// argument ([`ToArg`]).
///
/// Text is one call away:
///
/// - [`to_str`](Self::to_str) (or [`as_str`](Self::as_str)) gives the
///   text when it is UTF-8, and an error (a `None`) that says so when it
///   is not; [`into_string`](Self::into_string) the owned `String`;
/// - [`to_str_lossy`](Self::to_str_lossy) and [`Display`](fmt::Display)
///   replace invalid sequences with `U+FFFD`;
/// - [`Debug`](fmt::Debug) prints UTF-8 as a quoted string and anything
///   else as an escaped byte string (`b"\xff\xfe\x00bin"`);
/// - it compares with `&str`, `String`, `&[u8]`, `Vec<u8>` and byte-string
///   literals, both ways, so `assert_eq!(value, "ada")` reads naturally;
/// - it dereferences to `[u8]`, and borrows as `[u8]` so a
///   `HashMap<ByteStr, _>` is looked up with `map.get(&b"field"[..])`.
///
/// A command whose reply should be a `String` (or `Vec<u8>`, `Bytes`, a
/// number) reads as that type with `.reply::<String>()`.
///
/// ```no_run
/// # async fn demo(client: respec::Client) -> respec::Result<()> {
/// use respec::prelude::*;
/// use respec::ByteStr;
///
/// client.set("photo", &b"\xff\xd8\xff\xe0"[..]).await?;
/// let photo: Option<ByteStr> = client.get("photo").await?;
/// assert_eq!(photo.as_deref(), Some(&b"\xff\xd8\xff\xe0"[..]));
///
/// client.set("user:1", "ada").await?;
/// let name = client.get("user:1").await?.unwrap();
/// assert_eq!(name, "ada");
/// println!("hello, {name}");                  // Display: lossy UTF-8
/// let text: &str = name.to_str()?;            // or an error if not UTF-8
/// let owned: Option<String> = client.get("user:1").reply().await?;
/// # Ok(()) }
/// ```
///
/// With the `serde` feature it serializes as a string when it is UTF-8 and
/// as bytes otherwise, and deserializes from either.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteStr(Bytes);

impl ByteStr {
    /// An empty string.
    pub const fn new() -> Self {
        ByteStr(Bytes::new())
    }

    /// A string of static bytes, without a copy.
    pub const fn from_static(bytes: &'static [u8]) -> Self {
        ByteStr(Bytes::from_static(bytes))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, when the bytes are UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The text, or an error ([`ErrorKind::Conversion`]) saying that the
    /// bytes are not UTF-8 and where the first invalid byte is.
    pub fn to_str(&self) -> Result<&str> {
        std::str::from_utf8(&self.0).map_err(|e| not_utf8(self.0.len(), e.valid_up_to()))
    }

    /// The text, with invalid UTF-8 sequences replaced by `U+FFFD`;
    /// borrowed when the bytes are UTF-8.
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// The owned text, or an error ([`ErrorKind::Conversion`]) when the
    /// bytes are not UTF-8. Copies only when the bytes are shared.
    pub fn into_string(self) -> Result<String> {
        let len = self.0.len();
        String::from_utf8(Vec::from(self.0))
            .map_err(|e| not_utf8(len, e.utf8_error().valid_up_to()))
    }

    /// The bytes as [`Bytes`], without a copy.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

fn not_utf8(len: usize, at: usize) -> Error {
    Error::new(
        ErrorKind::Conversion,
        format!(
            "expected a UTF-8 string, got {len} bytes that are not UTF-8 (at byte {at}); use the bytes, or to_str_lossy()"
        ),
    )
}

impl Deref for ByteStr {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for ByteStr {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<[u8]> for ByteStr {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

// Hashes as `[u8]` does, as `Borrow<[u8]>` requires.
impl Hash for ByteStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl fmt::Display for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(s) => f.pad(s),
            Err(_) => {
                for chunk in self.0.utf8_chunks() {
                    f.write_str(chunk.valid())?;
                    if !chunk.invalid().is_empty() {
                        f.write_str("\u{FFFD}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(s) => fmt::Debug::fmt(s, f),
            Err(_) => {
                f.write_str("b\"")?;
                for &b in self.0.iter() {
                    match b {
                        b'"' => f.write_str("\\\"")?,
                        b'\\' => f.write_str("\\\\")?,
                        b'\n' => f.write_str("\\n")?,
                        b'\r' => f.write_str("\\r")?,
                        b'\t' => f.write_str("\\t")?,
                        0x20..=0x7e => fmt::Write::write_char(f, b as char)?,
                        _ => write!(f, "\\x{b:02x}")?,
                    }
                }
                f.write_str("\"")
            }
        }
    }
}

impl From<Bytes> for ByteStr {
    fn from(b: Bytes) -> Self {
        ByteStr(b)
    }
}

impl From<BytesMut> for ByteStr {
    fn from(b: BytesMut) -> Self {
        ByteStr(b.freeze())
    }
}

impl From<Vec<u8>> for ByteStr {
    fn from(v: Vec<u8>) -> Self {
        ByteStr(Bytes::from(v))
    }
}

impl From<String> for ByteStr {
    fn from(s: String) -> Self {
        ByteStr(Bytes::from(s))
    }
}

impl From<&str> for ByteStr {
    fn from(s: &str) -> Self {
        ByteStr(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<&String> for ByteStr {
    fn from(s: &String) -> Self {
        ByteStr(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<&[u8]> for ByteStr {
    fn from(b: &[u8]) -> Self {
        ByteStr(Bytes::copy_from_slice(b))
    }
}

impl<const N: usize> From<&[u8; N]> for ByteStr {
    fn from(b: &[u8; N]) -> Self {
        ByteStr(Bytes::copy_from_slice(b))
    }
}

impl From<ByteStr> for Bytes {
    fn from(s: ByteStr) -> Self {
        s.0
    }
}

impl From<ByteStr> for Vec<u8> {
    fn from(s: ByteStr) -> Self {
        Vec::from(s.0)
    }
}

impl TryFrom<ByteStr> for String {
    type Error = Error;
    fn try_from(s: ByteStr) -> Result<Self> {
        s.into_string()
    }
}

impl From<ByteStr> for crate::commands::Value {
    fn from(s: ByteStr) -> Self {
        crate::commands::Value(s.0)
    }
}

impl From<&ByteStr> for crate::commands::Value {
    fn from(s: &ByteStr) -> Self {
        crate::commands::Value(s.0.clone())
    }
}

/// Compares the bytes with the bytes of `$t`, both ways.
macro_rules! eq_bytes {
    ($($(#[$g:meta])* $t:ty => |$o:ident| $bytes:expr;)*) => {$(
        $(#[$g])*
        impl PartialEq<$t> for ByteStr {
            fn eq(&self, $o: &$t) -> bool {
                self.as_bytes() == $bytes
            }
        }
        $(#[$g])*
        impl PartialEq<ByteStr> for $t {
            fn eq(&self, other: &ByteStr) -> bool {
                let $o = self;
                other.as_bytes() == $bytes
            }
        }
    )*};
}

eq_bytes! {
    str => |o| o.as_bytes();
    &str => |o| o.as_bytes();
    String => |o| o.as_bytes();
    [u8] => |o| o;
    &[u8] => |o| *o;
    Vec<u8> => |o| o.as_slice();
    Bytes => |o| o.as_ref();
}

impl<const N: usize> PartialEq<[u8; N]> for ByteStr {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_bytes() == other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for ByteStr {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_bytes() == *other
    }
}

impl<const N: usize> PartialEq<ByteStr> for [u8; N] {
    fn eq(&self, other: &ByteStr) -> bool {
        other.as_bytes() == self
    }
}

impl<const N: usize> PartialEq<ByteStr> for &[u8; N] {
    fn eq(&self, other: &ByteStr) -> bool {
        other.as_bytes() == *self
    }
}

impl ToArg for ByteStr {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, &self.0)
    }

    fn into_shared(self) -> std::result::Result<Bytes, Self> {
        self.0.into_shared().map_err(ByteStr)
    }
}

/// Accepts what [`Bytes`] accepts: bulk, simple and verbatim strings, big
/// numbers, and integers and doubles as their text.
impl FromResp for ByteStr {
    #[inline]
    fn from_resp(frame: Frame) -> Result<Self> {
        Bytes::from_resp(frame).map(ByteStr)
    }
}

#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl serde::Serialize for ByteStr {
    /// A string when the bytes are UTF-8, bytes otherwise.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.serialize_bytes(&self.0),
        }
    }
}

#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> serde::Deserialize<'de> for ByteStr {
    /// From a string, bytes, or a sequence of bytes.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = ByteStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or bytes")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<ByteStr, E> {
                Ok(ByteStr::from(v))
            }
            fn visit_string<E: serde::de::Error>(
                self,
                v: String,
            ) -> std::result::Result<ByteStr, E> {
                Ok(ByteStr::from(v))
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> std::result::Result<ByteStr, E> {
                Ok(ByteStr::from(v))
            }
            fn visit_byte_buf<E: serde::de::Error>(
                self,
                v: Vec<u8>,
            ) -> std::result::Result<ByteStr, E> {
                Ok(ByteStr::from(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<ByteStr, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(ByteStr::from(out))
            }
        }
        d.deserialize_byte_buf(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    const BIN: &[u8] = b"\xff\xfe\x00bin";

    #[test]
    fn compares_with_text_and_bytes_both_ways() {
        let v = ByteStr::from("abc");
        assert_eq!(v, "abc");
        assert_eq!("abc", v);
        assert_eq!(v, *"abc");
        assert_eq!(v, String::from("abc"));
        assert_eq!(String::from("abc"), v);
        assert_eq!(v, b"abc");
        assert_eq!(b"abc", v);
        assert_eq!(v, &b"abc"[..]);
        assert_eq!(&b"abc"[..], v);
        assert_eq!(v, b"abc".to_vec());
        assert_eq!(v, Bytes::from_static(b"abc"));
        assert_ne!(v, "abd");
        assert_eq!(vec![v.clone()], ["abc"]);
        let b = ByteStr::from(BIN);
        assert_eq!(b, BIN);
        assert_ne!(b, "\u{FFFD}\u{FFFD}\0bin");
    }

    #[test]
    fn text_views() {
        let v = ByteStr::from_static(b"h\xc3\xa9llo");
        assert_eq!(v.as_str(), Some("héllo"));
        assert_eq!(v.to_str().unwrap(), "héllo");
        assert_eq!(v.clone().into_string().unwrap(), "héllo");
        assert!(matches!(v.to_str_lossy(), Cow::Borrowed("héllo")));
        let b = ByteStr::from(BIN);
        assert_eq!(b.as_str(), None);
        let e = b.to_str().unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Conversion);
        assert!(e.to_string().contains("not UTF-8 (at byte 0)"), "{e}");
        let e = b.clone().into_string().unwrap_err();
        assert!(e.to_string().contains("6 bytes"), "{e}");
        assert_eq!(b.to_str_lossy(), "\u{FFFD}\u{FFFD}\0bin");
        assert_eq!(b.clone().into_bytes(), BIN);
        assert_eq!(Vec::from(b.clone()), BIN.to_vec());
        assert_eq!(b.len(), 6);
        assert!(b.starts_with(b"\xff"));
    }

    #[test]
    fn display_and_debug() {
        let v = ByteStr::from("a\"b");
        assert_eq!(v.to_string(), "a\"b");
        assert_eq!(format!("{v:>5}"), "  a\"b");
        assert_eq!(format!("{v:?}"), "\"a\\\"b\"");
        let b = ByteStr::from(BIN);
        assert_eq!(b.to_string(), "\u{FFFD}\u{FFFD}\0bin");
        assert_eq!(format!("{b:?}"), r#"b"\xff\xfe\x00bin""#);
        let split = ByteStr::from(&"é".as_bytes()[..1]);
        assert_eq!(format!("{split:?}"), r#"b"\xc3""#);
        assert_eq!(split.to_string(), "\u{FFFD}");
        assert_eq!(
            format!("{:?}", ByteStr::from(&b"\"\\\n\r\t\x7f\xff"[..])),
            r#"b"\"\\\n\r\t\x7f\xff""#
        );
    }

    #[test]
    fn hashes_orders_and_borrows_as_bytes() {
        let mut m = HashMap::new();
        m.insert(ByteStr::from("f"), 1);
        m.insert(ByteStr::from(BIN), 2);
        assert_eq!(m.get(&b"f"[..]), Some(&1));
        assert_eq!(m[BIN], 2);
        let set: BTreeSet<ByteStr> = ["b", "a", "\u{e9}"]
            .into_iter()
            .map(ByteStr::from)
            .collect();
        let order: Vec<&[u8]> = set.iter().map(|s| s.as_bytes()).collect();
        assert_eq!(order, [&b"a"[..], b"b", "\u{e9}".as_bytes()]);
    }

    #[test]
    fn reads_what_bytes_reads_and_writes_back() {
        let frame = Frame::BulkString(Bytes::from_static(BIN));
        assert_eq!(ByteStr::from_resp(frame).unwrap(), BIN);
        assert_eq!(
            ByteStr::from_resp(Frame::SimpleString("OK".into())).unwrap(),
            "OK"
        );
        assert_eq!(ByteStr::from_resp(Frame::Integer(-7)).unwrap(), "-7");
        assert_eq!(ByteStr::from_resp(Frame::Double(1.5)).unwrap(), "1.5");
        assert_eq!(
            ByteStr::from_resp(Frame::VerbatimString {
                format: *b"txt",
                text: Bytes::from_static(b"hi"),
            })
            .unwrap(),
            "hi"
        );
        assert!(ByteStr::from_resp(Frame::Array(vec![])).is_err());
        let e = ByteStr::from_resp(Frame::Error("WRONGTYPE x".into())).unwrap_err();
        assert_eq!(e.code(), Some("WRONGTYPE"));
        assert_eq!(Option::<ByteStr>::from_resp(Frame::Null).unwrap(), None);

        let mut out = BytesMut::new();
        ByteStr::from(BIN).write_arg(&mut out);
        assert_eq!(&out[..], b"$6\r\n\xff\xfe\x00bin\r\n");
        assert!(ByteStr::from(BIN).into_shared().is_err());
        let big = Bytes::from(vec![7u8; crate::resp::encode::SHARE_ABOVE + 1]);
        let shared = ByteStr::from(big.clone()).into_shared().unwrap();
        assert_eq!(shared.as_ptr(), big.as_ptr());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_text_or_bytes() {
        use serde::de::value::{
            BytesDeserializer, Error as DeError, SeqDeserializer, StrDeserializer,
        };
        use serde::Deserialize;

        let d = StrDeserializer::<DeError>::new("abc");
        assert_eq!(ByteStr::deserialize(d).unwrap(), "abc");
        let d = BytesDeserializer::<DeError>::new(BIN);
        assert_eq!(ByteStr::deserialize(d).unwrap(), BIN);
        let d = SeqDeserializer::<_, DeError>::new(BIN.iter().copied());
        assert_eq!(ByteStr::deserialize(d).unwrap(), BIN);

        assert_eq!(
            serde_probe::to(&ByteStr::from("abc")),
            serde_probe::Out::Str("abc".into())
        );
        assert_eq!(
            serde_probe::to(&ByteStr::from(BIN)),
            serde_probe::Out::Bytes(BIN.to_vec())
        );
    }

    /// A serializer that records whether it was given a string or bytes.
    #[cfg(feature = "serde")]
    mod serde_probe {
        use serde::ser::{Error as _, Impossible, Serialize, Serializer};

        #[derive(Debug, PartialEq)]
        pub enum Out {
            Str(String),
            Bytes(Vec<u8>),
        }

        #[derive(Debug)]
        pub struct Unsupported;
        impl std::fmt::Display for Unsupported {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("unsupported")
            }
        }
        impl std::error::Error for Unsupported {}
        impl serde::ser::Error for Unsupported {
            fn custom<T: std::fmt::Display>(_: T) -> Self {
                Unsupported
            }
        }

        pub fn to<T: Serialize>(v: &T) -> Out {
            v.serialize(Probe).unwrap()
        }

        struct Probe;

        macro_rules! unsupported {
            ($($f:ident($($t:ty),*)),*) => {$(
                fn $f(self, $(_: $t),*) -> Result<Out, Unsupported> {
                    Err(Unsupported::custom(""))
                }
            )*};
        }

        impl Serializer for Probe {
            type Ok = Out;
            type Error = Unsupported;
            type SerializeSeq = Impossible<Out, Unsupported>;
            type SerializeTuple = Impossible<Out, Unsupported>;
            type SerializeTupleStruct = Impossible<Out, Unsupported>;
            type SerializeTupleVariant = Impossible<Out, Unsupported>;
            type SerializeMap = Impossible<Out, Unsupported>;
            type SerializeStruct = Impossible<Out, Unsupported>;
            type SerializeStructVariant = Impossible<Out, Unsupported>;

            fn serialize_str(self, v: &str) -> Result<Out, Unsupported> {
                Ok(Out::Str(v.to_string()))
            }
            fn serialize_bytes(self, v: &[u8]) -> Result<Out, Unsupported> {
                Ok(Out::Bytes(v.to_vec()))
            }
            unsupported!(
                serialize_bool(bool),
                serialize_i8(i8),
                serialize_i16(i16),
                serialize_i32(i32),
                serialize_i64(i64),
                serialize_u8(u8),
                serialize_u16(u16),
                serialize_u32(u32),
                serialize_u64(u64),
                serialize_f32(f32),
                serialize_f64(f64),
                serialize_char(char),
                serialize_none(),
                serialize_unit(),
                serialize_unit_struct(&'static str),
                serialize_unit_variant(&'static str, u32, &'static str)
            );
            fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Out, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_newtype_struct<T: Serialize + ?Sized>(
                self,
                _: &'static str,
                _: &T,
            ) -> Result<Out, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_newtype_variant<T: Serialize + ?Sized>(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: &T,
            ) -> Result<Out, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_tuple_struct(
                self,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeTupleStruct, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_tuple_variant(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeTupleVariant, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_struct(
                self,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeStruct, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_struct_variant(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeStructVariant, Unsupported> {
                Err(Unsupported)
            }
        }
    }
}
