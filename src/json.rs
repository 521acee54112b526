//! JSON values in and out of the `JSON.*` commands (feature `json`), through
//! serde.
//!
//! - [`Json`] wraps a value: as an argument (`JSON.SET`, `JSON.MSET`,
//!   `JSON.ARRAPPEND`, `JSON.ARRINSERT`, `JSON.ARRINDEX`, `JSON.MERGE`,
//!   `JSON.STRAPPEND`) it is serialized with `serde_json` (`Json(&user)`,
//!   `Json("text")` for a JSON string); as a reply (`JSON.GET`,
//!   `JSON.MGET`, `JSON.ARRPOP`) the server's JSON text is deserialized
//!   into it (`.reply::<Option<Json<User>>>()`). Without a type parameter
//!   it is a [`serde_json::Value`].
//! - [`Matches`] is what the commands that act on every match of a path
//!   answer (`JSON.ARRLEN`, `JSON.NUMINCRBY`, `JSON.TYPE`, ...): one entry
//!   per match, `None` where the match is not of the kind the command
//!   works on. A JSONPath (`$.a`, `$..b`) answers an array of them; a
//!   legacy path (`.a`, `a`, or no path) the value of its one match,
//!   which reads as one entry. RESP3 wraps some of these once more
//!   (`JSON.TYPE`), answers numbers as numbers where RESP2 sends their
//!   JSON text (`JSON.NUMINCRBY`); both protocols read into the same value.
//!
//! Paths are plain strings (`"$.items[0]"`): the server parses them.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use respec::json::Json;
//! use respec::prelude::*;
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct User {
//!     name: String,
//!     tags: Vec<String>,
//! }
//!
//! let ada = User { name: "ada".into(), tags: vec!["math".into()] };
//! client.json_set("user:1", "$", Json(&ada)).await?;
//! let lens = client.json_arrappend("user:1", "$.tags", [Json("code")]).await?;
//! assert_eq!(lens.into_first(), Some(2));
//! let back: Option<Json<User>> = client.json_get("user:1").reply().await?;
//! assert_eq!(back.unwrap().0.tags, ["math", "code"]);
//! # Ok(())
//! # }
//! ```

use bytes::BytesMut;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::reply::{conversion_error, FromResp};
use crate::resp::encode::{write_bulk, ToArg};
use crate::resp::Frame;
use crate::ByteStr;

/// A JSON value: serialized with serde as a command argument, deserialized
/// from the server's JSON text as a reply. `Json` alone is a
/// [`serde_json::Value`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Json<T = serde_json::Value>(pub T);

impl<T> Json<T> {
    /// The value inside.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

const NOT_SERIALIZABLE: &str =
    "a JSON argument could not be serialized (its Serialize implementation failed, or a map key is not a string)";

impl<T: Serialize> ToArg for Json<T> {
    /// Writes the JSON text. A value serde cannot serialize is written as
    /// an empty argument, which the server refuses; through a generated
    /// command ([`try_write_arg`](ToArg::try_write_arg)) the command fails
    /// before anything is sent instead.
    fn write_arg(&self, out: &mut BytesMut) {
        if self.try_write_arg(out).is_err() {
            write_bulk(out, b"");
        }
    }

    fn try_write_arg(&self, out: &mut BytesMut) -> std::result::Result<(), &'static str> {
        let text = serde_json::to_vec(&self.0).map_err(|_| NOT_SERIALIZABLE)?;
        write_bulk(out, &text);
        Ok(())
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            ErrorKind::Conversion,
            format!(
                "the JSON text does not read as {}: {e}",
                std::any::type_name::<T>()
            ),
        )
    })
}

impl<T: DeserializeOwned> FromResp for Json<T> {
    /// Reads a string reply holding JSON text (use `Option<Json<T>>` for a
    /// reply that may be null, such as `JSON.GET` of a missing key).
    fn from_resp(frame: Frame) -> Result<Self> {
        match &frame {
            Frame::BulkString(b) | Frame::SimpleString(b) => parse_json(b).map(Json),
            Frame::VerbatimString { text, .. } => parse_json(text).map(Json),
            _ => Err(conversion_error("JSON text", &frame)),
        }
    }
}

/// One entry per match of a JSON path, `None` where the match is not of
/// the kind the command works on (`JSON.ARRLEN` of a string); see the
/// [module documentation](self) for the shapes it reads. A legacy path
/// answers its one match: [`into_first`](Self::into_first) takes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Matches<T>(pub Vec<Option<T>>);

impl<T> Matches<T> {
    /// The first match's value (a legacy path's only one), if it has one.
    pub fn into_first(self) -> Option<T> {
        self.0.into_iter().next().flatten()
    }

    /// The entries, one per match.
    pub fn into_vec(self) -> Vec<Option<T>> {
        self.0
    }
}

impl<T> std::ops::Deref for Matches<T> {
    type Target = [Option<T>];
    fn deref(&self) -> &[Option<T>] {
        &self.0
    }
}

impl<T> IntoIterator for Matches<T> {
    type Item = Option<T>;
    type IntoIter = std::vec::IntoIter<Option<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<T: MatchValue> FromResp for Matches<T> {
    fn from_resp(frame: Frame) -> Result<Self> {
        if let Some(m) = frame.error_message() {
            return Err(Error::from_server_reply(m));
        }
        T::read_matches(frame).map(Matches)
    }
}

/// A value one match of a JSON path can answer, and how the whole reply
/// reads: integers (lengths, sizes, indexes), `f64` (`JSON.NUMINCRBY`),
/// `bool` (`JSON.TOGGLE`), `String` (`JSON.TYPE`), `Vec<ByteStr>`
/// (`JSON.OBJKEYS`) and [`Json<T>`] (`JSON.ARRPOP`).
pub trait MatchValue: Sized {
    /// Reads a reply (not an error) into one entry per match.
    fn read_matches(frame: Frame) -> Result<Vec<Option<Self>>>;
}

/// The entries of an array reply read one by one (null: `None`), or a
/// scalar reply as its one entry.
fn each<T>(frame: Frame, one: impl Fn(Frame) -> Result<T>) -> Result<Vec<Option<T>>> {
    let read = |f: Frame| match f {
        Frame::Null => Ok(None),
        f => one(f).map(Some),
    };
    match frame {
        Frame::Array(items) | Frame::Set(items) => items.into_iter().map(read).collect(),
        other => Ok(vec![read(other)?]),
    }
}

impl MatchValue for i64 {
    fn read_matches(frame: Frame) -> Result<Vec<Option<Self>>> {
        each(frame, i64::from_resp)
    }
}

impl MatchValue for f64 {
    /// RESP2 sends the new numbers as JSON text (`[3]` for a JSONPath,
    /// `5` for a legacy one), RESP3 as numbers.
    fn read_matches(frame: Frame) -> Result<Vec<Option<Self>>> {
        let number = |v: &serde_json::Value| match v {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::Number(n) => Ok(n.as_f64()),
            other => Err(Error::new(
                ErrorKind::Conversion,
                format!("expected a JSON number, got {other}"),
            )),
        };
        match &frame {
            Frame::BulkString(b) | Frame::SimpleString(b) => {
                match parse_json::<serde_json::Value>(b)? {
                    serde_json::Value::Array(items) => items.iter().map(number).collect(),
                    v => Ok(vec![number(&v)?]),
                }
            }
            _ => each(frame, f64::from_resp),
        }
    }
}

impl MatchValue for bool {
    /// A JSONPath answers 0/1 per match, a legacy path the text `true` or
    /// `false`.
    fn read_matches(frame: Frame) -> Result<Vec<Option<Self>>> {
        each(frame, |f| match &f {
            Frame::BulkString(b) | Frame::SimpleString(b) if &b[..] == b"true" => Ok(true),
            Frame::BulkString(b) | Frame::SimpleString(b) if &b[..] == b"false" => Ok(false),
            _ => bool::from_resp(f),
        })
    }
}

impl MatchValue for String {
    /// RESP3 wraps `JSON.TYPE`'s reply in one more array.
    fn read_matches(frame: Frame) -> Result<Vec<Option<Self>>> {
        match frame {
            Frame::Array(mut items) if items.len() == 1 && matches!(items[0], Frame::Array(_)) => {
                each(items.remove(0), String::from_resp)
            }
            other => each(other, String::from_resp),
        }
    }
}

impl MatchValue for Vec<ByteStr> {
    /// A JSONPath answers an array of key lists (null for a match that is
    /// not an object), a legacy path the one list. An empty array reads as
    /// no match.
    fn read_matches(frame: Frame) -> Result<Vec<Option<Self>>> {
        match frame {
            Frame::Null => Ok(vec![None]),
            Frame::Array(items)
                if items
                    .iter()
                    .all(|i| matches!(i, Frame::Array(_) | Frame::Set(_) | Frame::Null)) =>
            {
                each(Frame::Array(items), Vec::<ByteStr>::from_resp)
            }
            other => Ok(vec![Some(Vec::<ByteStr>::from_resp(other)?)]),
        }
    }
}

impl<T: DeserializeOwned> MatchValue for Json<T> {
    fn read_matches(frame: Frame) -> Result<Vec<Option<Self>>> {
        each(frame, Json::<T>::from_resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &str) -> Frame {
        Frame::BulkString(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn read<T: MatchValue>(f: Frame) -> Vec<Option<T>> {
        Matches::<T>::from_resp(f).unwrap().0
    }

    #[test]
    fn numbers_from_text_and_from_numbers() {
        assert_eq!(read::<f64>(bulk("[3,null]")), [Some(3.0), None]);
        assert_eq!(read::<f64>(bulk("22.0")), [Some(22.0)]);
        assert_eq!(
            read::<f64>(Frame::Array(vec![
                Frame::Integer(3),
                Frame::Double(5.5),
                Frame::Null
            ])),
            [Some(3.0), Some(5.5), None]
        );
        assert!(Matches::<f64>::from_resp(bulk("\"x\"")).is_err());
    }

    #[test]
    fn types_unwrap_the_resp3_array() {
        let inner = Frame::Array(vec![bulk("object"), bulk("string")]);
        assert_eq!(
            read::<String>(Frame::Array(vec![inner])),
            [Some("object".to_string()), Some("string".to_string())]
        );
        assert_eq!(read::<String>(bulk("object")), [Some("object".to_string())]);
        assert_eq!(read::<String>(Frame::Null), [None]);
        assert_eq!(read::<String>(Frame::Array(vec![Frame::Null])), [None]);
    }

    #[test]
    fn keys_per_match_or_one_list() {
        let legacy = Frame::Array(vec![bulk("a"), bulk("b")]);
        assert_eq!(
            read::<Vec<ByteStr>>(legacy),
            [Some(vec!["a".into(), "b".into()])]
        );
        let path = Frame::Array(vec![Frame::Array(vec![bulk("a")]), Frame::Null]);
        assert_eq!(read::<Vec<ByteStr>>(path), [Some(vec!["a".into()]), None]);
    }

    #[test]
    fn toggles_and_values() {
        assert_eq!(read::<bool>(bulk("true")), [Some(true)]);
        assert_eq!(
            read::<bool>(Frame::Array(vec![Frame::Integer(0), Frame::Null])),
            [Some(false), None]
        );
        assert_eq!(
            read::<Json>(Frame::Array(vec![bulk("[1]"), Frame::Null])),
            [Some(Json(serde_json::json!([1]))), None]
        );
        let e = Matches::<i64>::from_resp(Frame::Error(Bytes::from_static(b"ERR wrong type")))
            .unwrap_err();
        assert!(e.to_string().contains("wrong type"), "{e}");
    }

    #[test]
    fn arguments_serialize_or_fail_cleanly() {
        let mut out = BytesMut::new();
        Json(&serde_json::json!({"a": [1, 2]})).write_arg(&mut out);
        assert_eq!(&out[..], b"$11\r\n{\"a\":[1,2]}\r\n");
        let mut bad = std::collections::HashMap::new();
        bad.insert((1, 2), 3);
        let mut out = BytesMut::new();
        assert!(Json(&bad).try_write_arg(&mut out).is_err());
    }
}
