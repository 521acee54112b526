//! The decoded value of one RESP2 or RESP3 reply.

use bytes::{BufMut, Bytes, BytesMut};

/// One complete RESP2 or RESP3 value, as the server sent it.
///
/// String payloads are [`Bytes`] slices of the connection's read buffer, so
/// decoding a large bulk string copies nothing. RESP2's null bulk string
/// (`$-1`) and null array (`*-1`) both decode to [`Frame::Null`], the same as
/// RESP3's `_`. Streamed strings and streamed aggregates (`$?`, `*?`, `%?`,
/// `~?`) are assembled and returned as their ordinary counterparts.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// `+OK`: a short, binary-safe status line.
    SimpleString(Bytes),
    /// `-ERR message`: a simple error; the first word is the error code.
    Error(Bytes),
    /// `:42`: a signed 64-bit integer.
    Integer(i64),
    /// `$5\r\nhello`: a binary-safe string.
    BulkString(Bytes),
    /// `*N`: an ordered list of frames.
    Array(Vec<Frame>),
    /// `_`, `$-1` or `*-1`: no value.
    Null,
    /// `#t` / `#f` (RESP3).
    Boolean(bool),
    /// `,3.14` (RESP3), including `inf`, `-inf` and `nan`.
    Double(f64),
    /// `(123...` (RESP3): an integer of any size, kept as its decimal digits.
    BigNumber(Bytes),
    /// `!N\r\n...` (RESP3): an error with a binary-safe message.
    BulkError(Bytes),
    /// `=N\r\ntxt:...` (RESP3): a string with a three-byte format hint.
    VerbatimString {
        /// The format hint, for example `txt` or `mkd`.
        format: [u8; 3],
        /// The text after the `xxx:` prefix.
        text: Bytes,
    },
    /// `%N` (RESP3): key/value pairs in the order the server sent them.
    Map(Vec<(Frame, Frame)>),
    /// `~N` (RESP3): an unordered collection.
    Set(Vec<Frame>),
    /// `>N` (RESP3): out-of-band data (pub/sub messages, invalidations).
    Push(Vec<Frame>),
    /// `|N` (RESP3): attributes that annotate the frame that follows them.
    Attribute {
        /// The attribute key/value pairs.
        attributes: Vec<(Frame, Frame)>,
        /// The reply the attributes describe.
        data: Box<Frame>,
    },
}

impl Frame {
    /// True for [`Frame::Error`] and [`Frame::BulkError`].
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_) | Frame::BulkError(_))
    }

    /// The error message of an error frame, or `None` for any other frame.
    pub fn error_message(&self) -> Option<&[u8]> {
        match self {
            Frame::Error(m) | Frame::BulkError(m) => Some(m),
            _ => None,
        }
    }

    /// The bytes of a string-like frame (simple, bulk, verbatim, big number).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Frame::SimpleString(b) | Frame::BulkString(b) | Frame::BigNumber(b) => Some(b),
            Frame::VerbatimString { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The name of the frame's RESP type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Frame::SimpleString(_) => "simple string",
            Frame::Error(_) => "error",
            Frame::Integer(_) => "integer",
            Frame::BulkString(_) => "bulk string",
            Frame::Array(_) => "array",
            Frame::Null => "null",
            Frame::Boolean(_) => "boolean",
            Frame::Double(_) => "double",
            Frame::BigNumber(_) => "big number",
            Frame::BulkError(_) => "bulk error",
            Frame::VerbatimString { .. } => "verbatim string",
            Frame::Map(_) => "map",
            Frame::Set(_) => "set",
            Frame::Push(_) => "push",
            Frame::Attribute { .. } => "attribute",
        }
    }

    /// Writes the frame in its RESP3 wire form (used by tests and fake
    /// servers; clients only ever send arrays of bulk strings).
    pub fn encode(&self, out: &mut BytesMut) {
        fn line(out: &mut BytesMut, prefix: u8, body: &[u8]) {
            out.put_u8(prefix);
            out.put_slice(body);
            out.put_slice(b"\r\n");
        }
        fn counted(out: &mut BytesMut, prefix: u8, n: usize) {
            out.put_u8(prefix);
            super::encode::put_decimal(out, n as i64);
            out.put_slice(b"\r\n");
        }
        fn sized(out: &mut BytesMut, prefix: u8, head: &[u8], body: &[u8]) {
            counted(out, prefix, head.len() + body.len());
            out.put_slice(head);
            out.put_slice(body);
            out.put_slice(b"\r\n");
        }
        match self {
            Frame::SimpleString(s) => line(out, b'+', s),
            Frame::Error(s) => line(out, b'-', s),
            Frame::Integer(i) => {
                out.put_u8(b':');
                super::encode::put_decimal(out, *i);
                out.put_slice(b"\r\n");
            }
            Frame::BulkString(b) => sized(out, b'$', b"", b),
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                let prefix = match self {
                    Frame::Array(_) => b'*',
                    Frame::Set(_) => b'~',
                    _ => b'>',
                };
                counted(out, prefix, items.len());
                for item in items {
                    item.encode(out);
                }
            }
            Frame::Null => out.put_slice(b"_\r\n"),
            Frame::Boolean(b) => out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Frame::Double(d) => {
                out.put_u8(b',');
                super::encode::put_double(out, *d);
                out.put_slice(b"\r\n");
            }
            Frame::BigNumber(n) => line(out, b'(', n),
            Frame::BulkError(b) => sized(out, b'!', b"", b),
            Frame::VerbatimString { format, text } => {
                let mut head = [0u8; 4];
                head[..3].copy_from_slice(format);
                head[3] = b':';
                sized(out, b'=', &head, text)
            }
            Frame::Map(pairs) => {
                counted(out, b'%', pairs.len());
                for (k, v) in pairs {
                    k.encode(out);
                    v.encode(out);
                }
            }
            Frame::Attribute { attributes, data } => {
                counted(out, b'|', attributes.len());
                for (k, v) in attributes {
                    k.encode(out);
                    v.encode(out);
                }
                data.encode(out);
            }
        }
    }
}
