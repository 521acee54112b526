//! The incremental, zero-copy, bounded RESP2/RESP3 parser.
//!
//! Decoding happens in two passes over the read buffer:
//!
//! 1. **scan** walks the bytes without allocating, checks every frame against
//!    the grammar and the [`Limits`], and finds where the first complete
//!    top-level frame ends. When the buffer holds only part of a frame it
//!    answers `None` ("need more bytes"), which is the normal case for a
//!    reply that spans several reads, not an error.
//! 2. **build** splits exactly that many bytes off the buffer, freezes them
//!    into one [`Bytes`], and builds the [`Frame`] tree whose string payloads
//!    are slices of it. Because scan has already checked everything, build
//!    never sees an incomplete or malformed frame, and an aggregate's element
//!    count is known to be backed by bytes actually received before any
//!    vector is allocated for it.

use bytes::{Buf, Bytes, BytesMut};

use super::Frame;

/// Bounds that keep a malicious or broken peer from exhausting memory or stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The deepest nesting of aggregates (arrays, maps, sets, pushes, attributes).
    pub max_depth: usize,
    /// The largest bulk string, bulk error or verbatim string, in bytes.
    pub max_bulk_len: usize,
    /// The most elements in one aggregate (a map's pairs count twice).
    pub max_aggregate_len: usize,
    /// The longest simple line (simple string, error, number, length header).
    pub max_line_len: usize,
}

impl Default for Limits {
    /// Depth 128, bulk strings up to 512 MiB (the server's own default
    /// `proto-max-bulk-len`), aggregates up to 2^32 elements, lines up to 1 MiB.
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_bulk_len: 512 * 1024 * 1024,
            max_aggregate_len: u32::MAX as usize,
            max_line_len: 1024 * 1024,
        }
    }
}

/// A reply that breaks the RESP grammar or the configured [`Limits`].
///
/// The connection that received it cannot find the next frame boundary with
/// certainty, so it is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("RESP protocol error at byte {offset} of the reply: {kind}")]
pub struct ProtocolError {
    /// Offset, from the start of the frame being decoded, where the problem is.
    pub offset: usize,
    /// What was wrong.
    pub kind: ProtocolErrorKind,
}

/// What made a reply unreadable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolErrorKind {
    /// The byte where a frame starts is not a RESP type marker.
    #[error("unknown type byte 0x{0:02x}")]
    UnknownType(u8),
    /// A `\r` not followed by `\n`, or a payload not followed by `\r\n`.
    #[error("expected CRLF")]
    ExpectedCrlf,
    /// An integer or length that is not a valid signed 64-bit decimal.
    #[error("invalid integer")]
    InvalidInteger,
    /// A negative length other than the RESP2 null `-1`.
    #[error("invalid length {0}")]
    InvalidLength(i64),
    /// A double that is not a decimal, `inf`, `-inf` or `nan`.
    #[error("invalid double")]
    InvalidDouble,
    /// A boolean other than `#t` or `#f`.
    #[error("invalid boolean")]
    InvalidBoolean,
    /// A big number that is not an optionally signed run of digits.
    #[error("invalid big number")]
    InvalidBigNumber,
    /// A null (`_`) with content before its CRLF.
    #[error("invalid null")]
    InvalidNull,
    /// A verbatim string without its `xxx:` format prefix.
    #[error("verbatim string without a format prefix")]
    InvalidVerbatim,
    /// A streamed string chunk that is not `;<len>`.
    #[error("invalid streamed string chunk")]
    InvalidStreamChunk,
    /// An end-of-stream marker (`.`) outside a streamed aggregate.
    #[error("end marker outside a streamed aggregate")]
    UnexpectedEnd,
    /// A streamed map whose items do not pair up.
    #[error("streamed map with an odd number of items")]
    OddStreamedMap,
    /// Nesting deeper than [`Limits::max_depth`].
    #[error("nesting deeper than {0}")]
    TooDeep(usize),
    /// A bulk payload longer than [`Limits::max_bulk_len`].
    #[error("bulk length {len} exceeds the limit of {limit}")]
    BulkTooLarge {
        /// The announced length.
        len: i64,
        /// The configured limit.
        limit: usize,
    },
    /// An aggregate longer than [`Limits::max_aggregate_len`].
    #[error("aggregate of {len} elements exceeds the limit of {limit}")]
    AggregateTooLarge {
        /// The announced element count.
        len: i64,
        /// The configured limit.
        limit: usize,
    },
    /// A line longer than [`Limits::max_line_len`] without its CRLF.
    #[error("line longer than {0} bytes")]
    LineTooLong(usize),
}

/// Turns a stream of bytes into [`Frame`]s, one complete frame at a time.
///
/// ```
/// use bytes::BytesMut;
/// use respec::resp::{Decoder, Frame};
///
/// let mut decoder = Decoder::default();
/// let mut buf = BytesMut::from(&b"$5\r\nhel"[..]);
/// assert_eq!(decoder.decode(&mut buf).unwrap(), None); // needs more bytes
/// buf.extend_from_slice(b"lo\r\n:7\r\n");
/// assert_eq!(decoder.decode(&mut buf).unwrap(), Some(Frame::BulkString("hello".into())));
/// assert_eq!(decoder.decode(&mut buf).unwrap(), Some(Frame::Integer(7)));
/// assert!(buf.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    limits: Limits,
    /// Bytes the buffer must hold before the pending frame can possibly be
    /// complete; lets a large bulk string arriving in many reads be checked
    /// once instead of once per read.
    need: usize,
    /// For a top-level aggregate that arrived in part: where its next
    /// unscanned element starts and how many elements were complete. The
    /// next call resumes there, so a large reply split across many reads
    /// is scanned once, not once per read (linear, not quadratic).
    resume: Option<(usize, i64)>,
}

impl Decoder {
    /// A decoder with the given limits.
    pub fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            need: 0,
            resume: None,
        }
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Decodes the first complete frame of `buf` and removes its bytes.
    ///
    /// Returns `Ok(None)` when `buf` holds only part of a frame (nothing is
    /// consumed; call again after reading more). A [`ProtocolError`] means
    /// the stream is unusable from this point on.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        // The most common reply of all, whole at the front: no scan needed.
        if buf.starts_with(b"+OK\r\n") {
            self.need = 0;
            self.resume = None;
            buf.advance(5);
            return Ok(Some(Frame::SimpleString(Bytes::from_static(b"OK"))));
        }
        if buf.len() < self.need.max(1) {
            return Ok(None);
        }
        let mut scan = Scan {
            buf,
            limits: &self.limits,
            need: 0,
            resume: self.resume.take(),
            progress: None,
        };
        let scanned = scan.frame(0, 0);
        let (need, progress) = (scan.need, scan.progress);
        match scanned? {
            None => {
                self.need = need;
                self.resume = progress;
                Ok(None)
            }
            Some(end) => {
                self.need = 0;
                self.resume = None;
                if let Some(frame) = payload_free(&buf[..end]) {
                    buf.advance(end);
                    return Ok(Some(frame));
                }
                let bytes = buf.split_to(end).freeze();
                let frame = Build { bytes: &bytes }.frame(0).0;
                Ok(Some(frame))
            }
        }
    }
}

/// A whole, already validated top-level frame that needs no slice of the
/// read buffer: the common status replies, numbers, booleans and nulls. They
/// are built straight from the bytes, sparing the buffer's reference count.
fn payload_free(raw: &[u8]) -> Option<Frame> {
    let line = || &raw[1..raw.len() - 2];
    match raw {
        b"+OK\r\n" => Some(Frame::SimpleString(Bytes::from_static(b"OK"))),
        b"+QUEUED\r\n" => Some(Frame::SimpleString(Bytes::from_static(b"QUEUED"))),
        b"+PONG\r\n" => Some(Frame::SimpleString(Bytes::from_static(b"PONG"))),
        b"_\r\n" | b"$-1\r\n" | b"*-1\r\n" => Some(Frame::Null),
        b"#t\r\n" => Some(Frame::Boolean(true)),
        b"#f\r\n" => Some(Frame::Boolean(false)),
        [b':', ..] => Some(Frame::Integer(parse_i64(line()).unwrap_or(0))),
        [b',', ..] => Some(Frame::Double(parse_double(line()).unwrap_or(f64::NAN))),
        _ => None,
    }
}

/// Pass 1: validation and frame boundary, no allocation.
struct Scan<'a> {
    buf: &'a [u8],
    limits: &'a Limits,
    /// When incomplete: a lower bound on the bytes needed.
    need: usize,
    /// Where to resume the top-level aggregate (see [`Decoder`]).
    resume: Option<(usize, i64)>,
    /// Where the top-level aggregate stopped, when incomplete.
    progress: Option<(usize, i64)>,
}

type Step = Result<Option<usize>, ProtocolError>;

fn err<T>(offset: usize, kind: ProtocolErrorKind) -> Result<T, ProtocolError> {
    Err(ProtocolError { offset, kind })
}

impl Scan<'_> {
    /// Finds the line starting at `start`: returns the offset of its `\r`.
    fn line(&mut self, start: usize) -> Step {
        let limit = self.limits.max_line_len;
        let window_end = self
            .buf
            .len()
            .min(start.saturating_add(limit).saturating_add(1));
        let window = self.buf.get(start..window_end).unwrap_or(&[]);
        match window.iter().position(|&b| b == b'\r') {
            Some(i) => {
                let cr = start + i;
                match self.buf.get(cr + 1) {
                    None => {
                        self.need = cr + 2;
                        Ok(None)
                    }
                    Some(b'\n') => Ok(Some(cr)),
                    Some(_) => err(cr, ProtocolErrorKind::ExpectedCrlf),
                }
            }
            None if self.buf.len() - start.min(self.buf.len()) > limit => {
                err(start, ProtocolErrorKind::LineTooLong(limit))
            }
            None => {
                self.need = self.buf.len() + 1;
                Ok(None)
            }
        }
    }

    /// Reads the decimal on the line at `start`; returns (value, next frame offset).
    fn number_line(&mut self, start: usize) -> Result<Option<(i64, usize)>, ProtocolError> {
        let Some(cr) = self.line(start)? else {
            return Ok(None);
        };
        match parse_i64(&self.buf[start..cr]) {
            Some(n) => Ok(Some((n, cr + 2))),
            None => err(start, ProtocolErrorKind::InvalidInteger),
        }
    }

    /// Scans the frame at `pos`; returns the offset just past it.
    fn frame(&mut self, pos: usize, depth: usize) -> Step {
        let Some(&marker) = self.buf.get(pos) else {
            self.need = pos + 1;
            return Ok(None);
        };
        let body = pos + 1;
        match marker {
            b'+' | b'-' => Ok(self.line(body)?.map(|cr| cr + 2)),
            b':' => Ok(self.number_line(body)?.map(|(_, next)| next)),
            b'_' => match self.line(body)? {
                Some(cr) if cr == body => Ok(Some(cr + 2)),
                Some(_) => err(body, ProtocolErrorKind::InvalidNull),
                None => Ok(None),
            },
            b'#' => match self.line(body)? {
                Some(cr) if cr == body + 1 && matches!(self.buf[body], b't' | b'f') => {
                    Ok(Some(cr + 2))
                }
                Some(_) => err(body, ProtocolErrorKind::InvalidBoolean),
                None => Ok(None),
            },
            b',' => match self.line(body)? {
                Some(cr) if parse_double(&self.buf[body..cr]).is_some() => Ok(Some(cr + 2)),
                Some(_) => err(body, ProtocolErrorKind::InvalidDouble),
                None => Ok(None),
            },
            b'(' => match self.line(body)? {
                Some(cr) if is_big_number(&self.buf[body..cr]) => Ok(Some(cr + 2)),
                Some(_) => err(body, ProtocolErrorKind::InvalidBigNumber),
                None => Ok(None),
            },
            b'$' | b'!' | b'=' => {
                if marker == b'$' && self.buf.get(body) == Some(&b'?') {
                    return self.streamed_string(body);
                }
                let Some((len, data)) = self.number_line(body)? else {
                    return Ok(None);
                };
                if len == -1 && marker == b'$' {
                    return Ok(Some(data));
                }
                self.check_bulk_len(body, len)?;
                let len = len as usize;
                if marker == b'=' && (len < 4 || self.buf.get(data + 3).is_some_and(|&b| b != b':'))
                {
                    return err(data, ProtocolErrorKind::InvalidVerbatim);
                }
                self.payload_end(data, len)
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                if depth >= self.limits.max_depth {
                    return err(pos, ProtocolErrorKind::TooDeep(self.limits.max_depth));
                }
                if self.buf.get(body) == Some(&b'?') && marker != b'|' && marker != b'>' {
                    return self.streamed_aggregate(pos, marker, depth);
                }
                let Some((len, mut next)) = self.number_line(body)? else {
                    return Ok(None);
                };
                if len == -1 && marker == b'*' {
                    return Ok(Some(next));
                }
                let items = if marker == b'%' || marker == b'|' {
                    len.checked_mul(2)
                } else {
                    Some(len)
                };
                let items = match items {
                    Some(n) if n >= 0 => n,
                    _ => return err(body, ProtocolErrorKind::InvalidLength(len)),
                };
                if items as u64 > self.limits.max_aggregate_len as u64 {
                    return err(
                        body,
                        ProtocolErrorKind::AggregateTooLarge {
                            len: items,
                            limit: self.limits.max_aggregate_len,
                        },
                    );
                }
                let mut done = 0;
                if depth == 0 && marker != b'|' {
                    if let Some((at, count)) = self.resume.take() {
                        if count <= items && at >= next {
                            (next, done) = (at, count);
                        }
                    }
                }
                while done < items {
                    match self.frame(next, depth + 1)? {
                        Some(n) => next = n,
                        None => {
                            if depth == 0 && marker != b'|' {
                                self.progress = Some((next, done));
                            }
                            return Ok(None);
                        }
                    }
                    done += 1;
                }
                if marker == b'|' {
                    // The attributes annotate the frame that follows them.
                    return self.frame(next, depth);
                }
                Ok(Some(next))
            }
            b'.' => err(pos, ProtocolErrorKind::UnexpectedEnd),
            other => err(pos, ProtocolErrorKind::UnknownType(other)),
        }
    }

    fn check_bulk_len(&self, at: usize, len: i64) -> Result<(), ProtocolError> {
        if len < 0 {
            return err(at, ProtocolErrorKind::InvalidLength(len));
        }
        if len as u64 > self.limits.max_bulk_len as u64 {
            return err(
                at,
                ProtocolErrorKind::BulkTooLarge {
                    len,
                    limit: self.limits.max_bulk_len,
                },
            );
        }
        Ok(())
    }

    /// A payload of `len` bytes at `data`, followed by CRLF.
    fn payload_end(&mut self, data: usize, len: usize) -> Step {
        let end = data + len;
        if self.buf.len() < end + 2 {
            self.need = end + 2;
            return Ok(None);
        }
        if &self.buf[end..end + 2] != b"\r\n" {
            return err(end, ProtocolErrorKind::ExpectedCrlf);
        }
        Ok(Some(end + 2))
    }

    /// `$?\r\n` then `;<len>\r\n<bytes>\r\n` chunks, ending with `;0\r\n`.
    fn streamed_string(&mut self, body: usize) -> Step {
        let Some(cr) = self.line(body)? else {
            return Ok(None);
        };
        if cr != body + 1 {
            return err(body, ProtocolErrorKind::InvalidInteger);
        }
        let mut next = cr + 2;
        let mut total: u64 = 0;
        loop {
            match self.buf.get(next) {
                None => {
                    self.need = next + 1;
                    return Ok(None);
                }
                Some(b';') => {}
                Some(_) => return err(next, ProtocolErrorKind::InvalidStreamChunk),
            }
            let Some((len, data)) = self.number_line(next + 1)? else {
                return Ok(None);
            };
            self.check_bulk_len(next + 1, len)?;
            if len == 0 {
                return Ok(Some(data));
            }
            total += len as u64;
            if total > self.limits.max_bulk_len as u64 {
                return err(
                    next,
                    ProtocolErrorKind::BulkTooLarge {
                        len: total as i64,
                        limit: self.limits.max_bulk_len,
                    },
                );
            }
            match self.payload_end(data, len as usize)? {
                Some(n) => next = n,
                None => return Ok(None),
            }
        }
    }

    /// `*?`, `~?` or `%?`, then items until `.\r\n`.
    fn streamed_aggregate(&mut self, pos: usize, marker: u8, depth: usize) -> Step {
        let body = pos + 1;
        let Some(cr) = self.line(body)? else {
            return Ok(None);
        };
        if cr != body + 1 {
            return err(body, ProtocolErrorKind::InvalidInteger);
        }
        let mut next = cr + 2;
        let mut items: u64 = 0;
        loop {
            match self.buf.get(next) {
                None => {
                    self.need = next + 1;
                    return Ok(None);
                }
                Some(b'.') => {
                    let Some(cr) = self.line(next + 1)? else {
                        return Ok(None);
                    };
                    if cr != next + 1 {
                        return err(next, ProtocolErrorKind::UnexpectedEnd);
                    }
                    if marker == b'%' && items % 2 == 1 {
                        return err(next, ProtocolErrorKind::OddStreamedMap);
                    }
                    return Ok(Some(cr + 2));
                }
                Some(_) => {}
            }
            items += 1;
            if items > self.limits.max_aggregate_len as u64 {
                return err(
                    pos,
                    ProtocolErrorKind::AggregateTooLarge {
                        len: items as i64,
                        limit: self.limits.max_aggregate_len,
                    },
                );
            }
            match self.frame(next, depth + 1)? {
                Some(n) => next = n,
                None => return Ok(None),
            }
        }
    }
}

/// Pass 2: builds frames from bytes that pass 1 has already validated.
struct Build<'a> {
    bytes: &'a Bytes,
}

impl Build<'_> {
    fn line_end(&self, start: usize) -> usize {
        start
            + self.bytes[start..]
                .iter()
                .position(|&b| b == b'\r')
                .unwrap_or(self.bytes.len() - start)
    }

    fn number(&self, start: usize) -> (i64, usize) {
        let cr = self.line_end(start);
        (parse_i64(&self.bytes[start..cr]).unwrap_or(0), cr + 2)
    }

    fn frame(&self, pos: usize) -> (Frame, usize) {
        let body = pos + 1;
        let marker = self.bytes[pos];
        match marker {
            b'+' | b'-' | b'(' => {
                let cr = self.line_end(body);
                let s = self.bytes.slice(body..cr);
                let f = match marker {
                    b'+' => Frame::SimpleString(s),
                    b'-' => Frame::Error(s),
                    _ => Frame::BigNumber(s),
                };
                (f, cr + 2)
            }
            b':' => {
                let (n, next) = self.number(body);
                (Frame::Integer(n), next)
            }
            b'_' => (Frame::Null, body + 2),
            b'#' => (Frame::Boolean(self.bytes[body] == b't'), body + 3),
            b',' => {
                let cr = self.line_end(body);
                let d = parse_double(&self.bytes[body..cr]).unwrap_or(f64::NAN);
                (Frame::Double(d), cr + 2)
            }
            b'$' if self.bytes[body] == b'?' => self.streamed_string(body + 3),
            b'$' | b'!' | b'=' => {
                let (len, data) = self.number(body);
                if len < 0 {
                    return (Frame::Null, data);
                }
                let end = data + len as usize;
                let f = match marker {
                    b'$' => Frame::BulkString(self.bytes.slice(data..end)),
                    b'!' => Frame::BulkError(self.bytes.slice(data..end)),
                    _ => {
                        let mut format = [0u8; 3];
                        format.copy_from_slice(&self.bytes[data..data + 3]);
                        Frame::VerbatimString {
                            format,
                            text: self.bytes.slice(data + 4..end),
                        }
                    }
                };
                (f, end + 2)
            }
            _ => self.aggregate(pos, marker),
        }
    }

    fn streamed_string(&self, mut next: usize) -> (Frame, usize) {
        let mut out = BytesMut::new();
        loop {
            let (len, data) = self.number(next + 1);
            if len <= 0 {
                return (Frame::BulkString(out.freeze()), data);
            }
            let end = data + len as usize;
            out.extend_from_slice(&self.bytes[data..end]);
            next = end + 2;
        }
    }

    fn aggregate(&self, pos: usize, marker: u8) -> (Frame, usize) {
        let body = pos + 1;
        let (items, mut next) = if self.bytes[body] == b'?' {
            let mut items = Vec::new();
            let mut next = body + 3;
            while self.bytes[next] != b'.' {
                let (f, n) = self.frame(next);
                items.push(f);
                next = n;
            }
            (items, next + 3)
        } else {
            let (len, next) = self.number(body);
            if len < 0 {
                return (Frame::Null, next);
            }
            let count = if marker == b'%' || marker == b'|' {
                len as usize * 2
            } else {
                len as usize
            };
            let mut items = Vec::with_capacity(count);
            let mut next = next;
            for _ in 0..count {
                let (f, n) = self.frame(next);
                items.push(f);
                next = n;
            }
            (items, next)
        };
        let frame = match marker {
            b'*' => Frame::Array(items),
            b'~' => Frame::Set(items),
            b'>' => Frame::Push(items),
            b'%' => Frame::Map(pairs(items)),
            _ => {
                let (data, n) = self.frame(next);
                next = n;
                Frame::Attribute {
                    attributes: pairs(items),
                    data: Box::new(data),
                }
            }
        };
        (frame, next)
    }
}

fn pairs(items: Vec<Frame>) -> Vec<(Frame, Frame)> {
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    out
}

/// Parses an optionally signed decimal that fits an `i64`.
pub(crate) fn parse_i64(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = if negative {
            n.checked_mul(10)?.checked_sub((d - b'0') as i64)?
        } else {
            n.checked_mul(10)?.checked_add((d - b'0') as i64)?
        };
    }
    Some(n)
}

/// Parses a RESP3 double: a decimal, `inf`, `-inf` or `nan`.
pub(crate) fn parse_double(s: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(s).ok()?;
    match s {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        _ if s
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
        {
            s.parse().ok()
        }
        _ => None,
    }
}

fn is_big_number(s: &[u8]) -> bool {
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_at_the_front_is_read_in_pieces_and_among_other_frames() {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(&b"+O"[..]);
        assert_eq!(d.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"K\r");
        assert_eq!(d.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"\n+OKAY\r\n+OK\r\n$5\r\nhel");
        let ok = Frame::SimpleString(Bytes::from_static(b"OK"));
        assert_eq!(d.decode(&mut buf).unwrap(), Some(ok.clone()));
        assert_eq!(
            d.decode(&mut buf).unwrap(),
            Some(Frame::SimpleString(Bytes::from_static(b"OKAY")))
        );
        assert_eq!(d.decode(&mut buf).unwrap(), Some(ok));
        assert_eq!(d.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"lo\r\n");
        assert_eq!(
            d.decode(&mut buf).unwrap(),
            Some(Frame::BulkString("hello".into()))
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn payload_free_frames_match_the_general_path() {
        let samples: &[&[u8]] = &[
            b"+OK\r\n",
            b"+QUEUED\r\n",
            b"+PONG\r\n",
            b"_\r\n",
            b"$-1\r\n",
            b"*-1\r\n",
            b"#t\r\n",
            b"#f\r\n",
            b":0\r\n",
            b":-42\r\n",
            b":9223372036854775807\r\n",
            b":-9223372036854775808\r\n",
            b",1.5\r\n",
            b",-2.25e10\r\n",
            b",inf\r\n",
            b",-inf\r\n",
        ];
        for raw in samples {
            let fast = payload_free(raw).expect("a payload-free frame");
            let bytes = Bytes::copy_from_slice(raw);
            let general = Build { bytes: &bytes }.frame(0).0;
            assert_eq!(fast, general, "{}", String::from_utf8_lossy(raw));
            // And through the decoder, with the buffer consumed exactly.
            let mut buf = BytesMut::from(&raw[..]);
            buf.extend_from_slice(b"+next\r\n");
            let mut d = Decoder::new(Limits::default());
            assert_eq!(d.decode(&mut buf).unwrap(), Some(general));
            assert_eq!(&buf[..], b"+next\r\n");
        }
        // NaN compares unequal to itself: checked apart.
        assert!(matches!(payload_free(b",nan\r\n"), Some(Frame::Double(d)) if d.is_nan()));
        // Frames with a payload take the general path.
        for raw in [&b"+OKAY\r\n"[..], b"$2\r\nOK\r\n", b"-ERR x\r\n", b"*0\r\n"] {
            assert!(payload_free(raw).is_none());
        }
    }
}
