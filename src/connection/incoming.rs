//! The read side of a connection: buffered bytes, the decoder, and the
//! routing of each decoded frame.

use bytes::BytesMut;

use crate::resp::{Decoder, Frame, Limits, ProtocolError};

/// Where a decoded frame goes.
#[derive(Debug, PartialEq)]
pub enum Routed {
    /// The reply to the oldest request still waiting.
    Reply(Frame),
    /// Out-of-band data (RESP3 push: pub/sub messages, invalidations).
    Push(Frame),
}

/// Bytes received and not yet decoded, with the decoder that reads them.
#[derive(Debug)]
pub struct Incoming {
    decoder: Decoder,
    /// Received bytes; drivers read into this buffer directly.
    pub buf: BytesMut,
}

/// The read buffer grows in steps of at least this much.
pub const READ_CHUNK: usize = 64 * 1024;

impl Incoming {
    /// An empty buffer and a decoder with these limits.
    pub fn new(limits: Limits) -> Self {
        Incoming {
            decoder: Decoder::new(limits),
            buf: BytesMut::with_capacity(READ_CHUNK),
        }
    }

    /// Makes room for the next read.
    pub fn reserve(&mut self) {
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
            self.buf.reserve(READ_CHUNK);
        }
    }

    /// Decodes and routes the next complete frame, if the buffer holds one.
    ///
    /// A push frame is routed as [`Routed::Push`]; an attribute frame's
    /// annotations are dropped and the frame it annotates is routed.
    pub fn next_frame(&mut self) -> Result<Option<Routed>, ProtocolError> {
        Ok(self.decoder.decode(&mut self.buf)?.map(|f| match f {
            Frame::Push(_) => Routed::Push(f),
            Frame::Attribute { data, .. } => match *data {
                push @ Frame::Push(_) => Routed::Push(push),
                other => Routed::Reply(other),
            },
            other => Routed::Reply(other),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_pushes_apart_from_replies() {
        let mut inc = Incoming::new(Limits::default());
        inc.buf.extend_from_slice(
            b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n+OK\r\n|1\r\n+a\r\n:1\r\n:5\r\n",
        );
        assert!(matches!(inc.next_frame().unwrap(), Some(Routed::Push(_))));
        assert_eq!(
            inc.next_frame().unwrap(),
            Some(Routed::Reply(Frame::SimpleString("OK".into())))
        );
        assert_eq!(
            inc.next_frame().unwrap(),
            Some(Routed::Reply(Frame::Integer(5)))
        );
        assert_eq!(inc.next_frame().unwrap(), None);
    }
}
