//! Writing commands: RESP arrays of bulk strings, straight into an output buffer.
//!
//! A client sends every command as `*<argc>\r\n` followed by one bulk string
//! (`$<len>\r\n<bytes>\r\n`) per argument. [`ToArg`] writes one argument's
//! bulk string directly into the destination buffer, so encoding a command
//! costs no intermediate allocation.

use bytes::{BufMut, Bytes, BytesMut};

/// A value that can be sent as one command argument.
///
/// Strings and byte slices are sent as they are; integers and floats in their
/// shortest decimal form, as the server parses them.
pub trait ToArg {
    /// Appends this argument as one RESP bulk string (`$<len>\r\n<bytes>\r\n`).
    fn write_arg(&self, out: &mut BytesMut);

    /// An owned value larger than [`SHARE_ABOVE`] bytes handed over as
    /// [`Bytes`] without a copy (`Vec<u8>`, `String`, `Bytes`), so that a
    /// large value passed by value to a generated command goes to the
    /// socket without being copied; anything else comes back as it was.
    fn into_shared(self) -> Result<Bytes, Self>
    where
        Self: Sized,
    {
        Err(self)
    }

    /// Like [`write_arg`](Self::write_arg), for a value that may fail to
    /// encode (a value serialized on the way, such as `respec::json::Json`):
    /// the error says why, and a generated command that holds such an
    /// argument fails with it before anything is sent. The default writes
    /// the argument and succeeds.
    fn try_write_arg(&self, out: &mut BytesMut) -> Result<(), &'static str> {
        self.write_arg(out);
        Ok(())
    }
}

/// Owned arguments longer than this are shared with the command instead of
/// copied into it ([`ToArg::into_shared`]).
pub const SHARE_ABOVE: usize = 64 * 1024;

/// Writes the `*<argc>\r\n` header of a command of `argc` arguments.
#[inline]
pub fn write_array_header(out: &mut BytesMut, argc: usize) {
    put_header(out, b'*', argc);
}

/// Appends `<kind><n>\r\n`; the common short lengths as one copy of a
/// fixed size.
#[inline]
fn put_header(out: &mut BytesMut, kind: u8, n: usize) {
    if n < 10 {
        out.extend_from_slice(&[kind, b'0' + n as u8, b'\r', b'\n']);
    } else if n < 100 {
        let pair = &DIGIT_PAIRS[n * 2..n * 2 + 2];
        out.extend_from_slice(&[kind, pair[0], pair[1], b'\r', b'\n']);
    } else {
        out.put_u8(kind);
        put_decimal(out, n as i64);
        out.put_slice(b"\r\n");
    }
}

/// Writes `bytes` as one bulk string.
#[inline]
pub fn write_bulk(out: &mut BytesMut, bytes: &[u8]) {
    out.reserve(bytes.len() + 16);
    put_header(out, b'$', bytes.len());
    out.put_slice(bytes);
    out.put_slice(b"\r\n");
}

/// Writes a whole command: the array header and one bulk string per argument.
pub fn write_command<A: ToArg + ?Sized>(out: &mut BytesMut, args: &[&A]) {
    write_array_header(out, args.len());
    for a in args {
        a.write_arg(out);
    }
}

/// Appends the decimal digits of `n` (with a leading `-` when negative).
#[inline]
pub fn put_decimal(out: &mut BytesMut, n: i64) {
    let mut buf = [0u8; 20];
    let digits = format_decimal(n.unsigned_abs(), &mut buf);
    if n < 0 {
        out.put_u8(b'-');
    }
    out.put_slice(digits);
}

/// "00" to "99", two digits per entry.
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Formats `n` right-aligned into `buf` and returns the digits (two at a
/// time: half the divisions of one at a time).
#[inline]
fn format_decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    &buf[i..]
}

/// Appends a double the way the server reads one: `inf`, `-inf`, `nan`, or the
/// shortest decimal that round-trips.
pub fn put_double(out: &mut BytesMut, d: f64) {
    if d.is_nan() {
        out.put_slice(b"nan");
    } else if d.is_infinite() {
        out.put_slice(if d > 0.0 { b"inf" } else { b"-inf" });
    } else {
        use std::fmt::Write;
        let mut s = String::with_capacity(24);
        let _ = write!(s, "{d}");
        out.put_slice(s.as_bytes());
    }
}

impl ToArg for [u8] {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, self)
    }
}

impl<const N: usize> ToArg for [u8; N] {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, self)
    }
}

impl ToArg for str {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, self.as_bytes())
    }
}

impl ToArg for String {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, self.as_bytes())
    }
    fn into_shared(self) -> Result<Bytes, Self> {
        if self.len() > SHARE_ABOVE {
            Ok(Bytes::from(self))
        } else {
            Err(self)
        }
    }
}

impl ToArg for Vec<u8> {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, self)
    }
    fn into_shared(self) -> Result<Bytes, Self> {
        if self.len() > SHARE_ABOVE {
            Ok(Bytes::from(self))
        } else {
            Err(self)
        }
    }
}

impl ToArg for Bytes {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, self)
    }
    fn into_shared(self) -> Result<Bytes, Self> {
        if self.len() > SHARE_ABOVE {
            Ok(self)
        } else {
            Err(self)
        }
    }
}

/// The bytes of an encoded command in which large values are shared
/// rather than copied: `parts[i].1` stands at offset `parts[i].0` of `buf`
/// (offsets ascending).
pub type SharedParts = Vec<(usize, Bytes)>;

/// Writes the `$<len>\r\n` header of a bulk string whose bytes follow
/// elsewhere (a shared part), and returns where they belong.
pub fn write_bulk_header(out: &mut BytesMut, len: usize) -> usize {
    out.put_u8(b'$');
    put_decimal(out, len as i64);
    out.put_slice(b"\r\n");
    out.len()
}

impl ToArg for std::borrow::Cow<'_, str> {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, self.as_bytes())
    }
}

impl ToArg for std::borrow::Cow<'_, [u8]> {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, self)
    }
}

impl<T: ToArg + ?Sized> ToArg for &T {
    #[inline]
    fn write_arg(&self, out: &mut BytesMut) {
        (**self).write_arg(out)
    }

    #[inline]
    fn try_write_arg(&self, out: &mut BytesMut) -> Result<(), &'static str> {
        (**self).try_write_arg(out)
    }
}

macro_rules! int_arg {
    ($($t:ty),*) => {$(
        impl ToArg for $t {
            #[inline]
            fn write_arg(&self, out: &mut BytesMut) {
                let mut buf = [0u8; 20];
                #[allow(unused_comparisons)]
                let negative = *self < 0;
                let digits = format_decimal((*self as i128).unsigned_abs() as u64, &mut buf);
                let len = digits.len() + negative as usize;
                out.reserve(len + 8);
                put_header(out, b'$', len);
                if negative {
                    out.put_u8(b'-');
                }
                out.put_slice(digits);
                out.put_slice(b"\r\n");
            }
        }
    )*};
}
int_arg!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl ToArg for f64 {
    fn write_arg(&self, out: &mut BytesMut) {
        let mut tmp = BytesMut::with_capacity(24);
        put_double(&mut tmp, *self);
        write_bulk(out, &tmp)
    }
}

impl ToArg for f32 {
    fn write_arg(&self, out: &mut BytesMut) {
        (*self as f64).write_arg(out)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn decimals_match_std_formatting() {
        let mut values: Vec<u64> = (0..1000).collect();
        let mut p = 1u64;
        while let Some(next) = p.checked_mul(10) {
            values.extend([p - 1, p, p + 1, next - 1]);
            p = next;
        }
        values.extend([u64::MAX, u64::MAX - 1, 1 << 32, 1 << 63]);
        for n in values {
            let mut buf = [0u8; 20];
            assert_eq!(format_decimal(n, &mut buf), n.to_string().as_bytes(), "{n}");
        }
    }

    use super::*;

    fn enc<A: ToArg + ?Sized>(a: &A) -> Vec<u8> {
        let mut out = BytesMut::new();
        a.write_arg(&mut out);
        out.to_vec()
    }

    #[test]
    fn integers_are_decimal_bulk_strings() {
        assert_eq!(enc(&0i64), b"$1\r\n0\r\n");
        assert_eq!(enc(&-12i32), b"$3\r\n-12\r\n");
        assert_eq!(enc(&i64::MIN), b"$20\r\n-9223372036854775808\r\n");
        assert_eq!(enc(&u64::MAX), b"$20\r\n18446744073709551615\r\n");
    }

    #[test]
    fn doubles_use_the_servers_spelling() {
        assert_eq!(enc(&1.5f64), b"$3\r\n1.5\r\n");
        assert_eq!(enc(&f64::INFINITY), b"$3\r\ninf\r\n");
        assert_eq!(enc(&f64::NEG_INFINITY), b"$4\r\n-inf\r\n");
    }

    #[test]
    fn whole_command() {
        let mut out = BytesMut::new();
        write_command::<str>(&mut out, &["SET", "k", "v"]);
        assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    }
}
