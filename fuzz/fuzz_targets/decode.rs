//! Arbitrary bytes, fed to the RESP decoder in arbitrary pieces with small
//! limits: it must never panic, and every frame it returns must encode and
//! decode back to the same bytes.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use respec::resp::{Decoder, Limits};

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, input)) = data.split_first() else { return };
    let chunk = (chunk as usize % 64) + 1;
    let limits = Limits { max_depth: 16, max_bulk_len: 4096, max_aggregate_len: 1024, max_line_len: 256 };
    let mut dec = Decoder::new(limits);
    let mut buf = BytesMut::new();
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(frame)) => {
                    let mut once = BytesMut::new();
                    frame.encode(&mut once);
                    let mut again = once.clone();
                    let back = Decoder::new(Limits::default())
                        .decode(&mut again)
                        .expect("an encoded frame decodes")
                        .expect("an encoded frame is complete");
                    let mut twice = BytesMut::new();
                    back.encode(&mut twice);
                    assert_eq!(once, twice, "encode/decode round trip");
                    assert!(again.is_empty(), "nothing left over");
                }
                Ok(None) => break,
                Err(_) => return, // a protocol error ends the connection
            }
        }
    }
});
