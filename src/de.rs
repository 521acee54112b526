//! Reading replies straight into your own types with serde (the `serde`
//! feature).
//!
//! A hash or a map becomes a struct, an array a sequence; string values
//! are parsed when the field wants a number or a boolean, since Redis keeps
//! hash values as strings.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use respec::de::Struct;
//! use respec::prelude::*;
//!
//! #[derive(serde::Deserialize)]
//! struct User {
//!     name: String,
//!     age: u32,
//!     admin: Option<bool>,
//! }
//!
//! let Struct(user): Struct<User> = client.hgetall("user:1").reply().await?;
//! # Ok(()) }
//! ```

use std::fmt;

use serde::de::{self, DeserializeOwned, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, ErrorKind, Result};
use crate::reply::FromResp;
use crate::resp::Frame;

/// A reply read into `T` with serde: `Struct<User>` from `HGETALL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Struct<T>(pub T);

impl<T: DeserializeOwned> FromResp for Struct<T> {
    fn from_resp(frame: Frame) -> Result<Self> {
        from_frame(frame).map(Struct)
    }
}

/// Deserializes a reply frame into `T`.
pub fn from_frame<T: DeserializeOwned>(frame: Frame) -> Result<T> {
    if let Some(m) = frame.error_message() {
        return Err(Error::from_server_reply(m));
    }
    T::deserialize(FrameDe(frame)).map_err(|e| Error::new(ErrorKind::Conversion, e.0))
}

/// A deserialization failure.
#[derive(Debug)]
pub struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        DeError(msg.to_string())
    }
}

struct FrameDe(Frame);

impl FrameDe {
    fn text(&self) -> Option<&str> {
        self.0.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    fn parse<T: std::str::FromStr>(&self, what: &str) -> std::result::Result<T, DeError> {
        match &self.0 {
            Frame::Integer(i) => i
                .to_string()
                .parse()
                .map_err(|_| DeError(format!("{i} is not a valid {what}"))),
            Frame::Double(d) => d
                .to_string()
                .parse()
                .map_err(|_| DeError(format!("{d} is not a valid {what}"))),
            _ => match self.text() {
                Some(s) => s
                    .parse()
                    .map_err(|_| DeError(format!("expected {what}, got {s:?}"))),
                None => Err(DeError(format!("expected {what}, got {}", self.0.kind()))),
            },
        }
    }
}

macro_rules! parse_number {
    ($($method:ident $visit:ident $t:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, DeError> {
            v.$visit(self.parse::<$t>(stringify!($t))?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for FrameDe {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, DeError> {
        match self.0 {
            Frame::Null => v.visit_none(),
            Frame::Integer(i) => v.visit_i64(i),
            Frame::Double(d) => v.visit_f64(d),
            Frame::Boolean(b) => v.visit_bool(b),
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                v.visit_seq(Seq(items.into_iter()))
            }
            Frame::Map(pairs) => v.visit_map(Map {
                it: pairs.into_iter(),
                value: None,
            }),
            Frame::Attribute { data, .. } => FrameDe(*data).deserialize_any(v),
            other => match other.as_bytes().map(|b| String::from_utf8(b.to_vec())) {
                Some(Ok(s)) => v.visit_string(s),
                Some(Err(e)) => v.visit_byte_buf(e.into_bytes()),
                None => Err(DeError(format!("cannot read a {}", other.kind()))),
            },
        }
    }

    parse_number!(
        deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16, deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64, deserialize_u8 visit_u8 u8, deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32, deserialize_u64 visit_u64 u64, deserialize_f32 visit_f32 f32,
        deserialize_f64 visit_f64 f64
    );

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, DeError> {
        match &self.0 {
            Frame::Boolean(b) => v.visit_bool(*b),
            Frame::Integer(i) => v.visit_bool(*i != 0),
            _ => match self.text() {
                Some("1" | "true" | "yes") => v.visit_bool(true),
                Some("0" | "false" | "no") => v.visit_bool(false),
                _ => Err(DeError(format!("expected a boolean, got {:?}", self.0))),
            },
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, DeError> {
        match self.0 {
            Frame::Null => v.visit_none(),
            other => v.visit_some(FrameDe(other)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, DeError> {
        match self.0 {
            Frame::Map(pairs) => v.visit_seq(Seq(pairs
                .into_iter()
                .flat_map(|(k, x)| [k, x])
                .collect::<Vec<_>>()
                .into_iter())),
            other => FrameDe(other).deserialize_any(v),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, DeError> {
        match self.0 {
            // RESP2 sends maps (HGETALL, CONFIG GET) as flat arrays.
            Frame::Array(items) if items.len() % 2 == 0 => {
                let mut it = items.into_iter();
                let mut pairs = Vec::new();
                while let (Some(k), Some(x)) = (it.next(), it.next()) {
                    pairs.push((k, x));
                }
                v.visit_map(Map {
                    it: pairs.into_iter(),
                    value: None,
                })
            }
            other => FrameDe(other).deserialize_any(v),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> std::result::Result<V::Value, DeError> {
        self.deserialize_map(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> std::result::Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> std::result::Result<V::Value, DeError> {
        match self.text() {
            Some(s) => v.visit_enum(s.to_string().into_deserializer()),
            None => Err(DeError(format!("expected an enum name, got {:?}", self.0))),
        }
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct tuple tuple_struct identifier ignored_any i128 u128
    }
}

struct Seq(std::vec::IntoIter<Frame>);

impl<'de> SeqAccess<'de> for Seq {
    type Error = DeError;
    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> std::result::Result<Option<T::Value>, DeError> {
        self.0
            .next()
            .map(|f| seed.deserialize(FrameDe(f)))
            .transpose()
    }
}

struct Map {
    it: std::vec::IntoIter<(Frame, Frame)>,
    value: Option<Frame>,
}

impl<'de> MapAccess<'de> for Map {
    type Error = DeError;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> std::result::Result<Option<K::Value>, DeError> {
        match self.it.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(FrameDe(k)).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> std::result::Result<V::Value, DeError> {
        seed.deserialize(FrameDe(self.value.take().unwrap_or(Frame::Null)))
    }
}
