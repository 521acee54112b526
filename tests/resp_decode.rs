//! The RESP parser from byte slices: every type, every split point of a
//! buffer holding frames of every type, malformed and over-limit input, and
//! property-based round trips through the encoder in random-sized reads.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use respec::resp::{Decoder, Frame, Limits, ProtocolErrorKind};

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// Every type, with its wire form.
fn cases() -> Vec<(&'static [u8], Frame)> {
    vec![
        (b"+OK\r\n", Frame::SimpleString(b("OK"))),
        (b"-ERR wrong\r\n", Frame::Error(b("ERR wrong"))),
        (b":-42\r\n", Frame::Integer(-42)),
        (b":9223372036854775807\r\n", Frame::Integer(i64::MAX)),
        (b"$5\r\nhe\r\no\r\n", Frame::BulkString(b("he\r\no"))),
        (b"$0\r\n\r\n", Frame::BulkString(b(""))),
        (b"$-1\r\n", Frame::Null),
        (b"*-1\r\n", Frame::Null),
        (b"_\r\n", Frame::Null),
        (
            b"*2\r\n:1\r\n$1\r\nx\r\n",
            Frame::Array(vec![Frame::Integer(1), Frame::BulkString(b("x"))]),
        ),
        (b"*0\r\n", Frame::Array(vec![])),
        (b"#t\r\n", Frame::Boolean(true)),
        (b"#f\r\n", Frame::Boolean(false)),
        (b",3.5\r\n", Frame::Double(3.5)),
        (b",inf\r\n", Frame::Double(f64::INFINITY)),
        (b",-inf\r\n", Frame::Double(f64::NEG_INFINITY)),
        (b",1e3\r\n", Frame::Double(1000.0)),
        (
            b"(3492890328409238509324850943850943825024385\r\n",
            Frame::BigNumber(b("3492890328409238509324850943850943825024385")),
        ),
        (b"!9\r\nSYNTAX no\r\n", Frame::BulkError(b("SYNTAX no"))),
        (
            b"=9\r\ntxt:hello\r\n",
            Frame::VerbatimString {
                format: *b"txt",
                text: b("hello"),
            },
        ),
        (
            b"%1\r\n+k\r\n:1\r\n",
            Frame::Map(vec![(Frame::SimpleString(b("k")), Frame::Integer(1))]),
        ),
        (
            b"~2\r\n:1\r\n:2\r\n",
            Frame::Set(vec![Frame::Integer(1), Frame::Integer(2)]),
        ),
        (
            b">2\r\n+message\r\n$1\r\nx\r\n",
            Frame::Push(vec![
                Frame::SimpleString(b("message")),
                Frame::BulkString(b("x")),
            ]),
        ),
        (
            b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
            Frame::Attribute {
                attributes: vec![(Frame::SimpleString(b("ttl")), Frame::Integer(3))],
                data: Box::new(Frame::BulkString(b("v"))),
            },
        ),
        (
            b"$?\r\n;4\r\nHell\r\n;1\r\no\r\n;0\r\n",
            Frame::BulkString(b("Hello")),
        ),
        (
            b"*?\r\n:1\r\n:2\r\n.\r\n",
            Frame::Array(vec![Frame::Integer(1), Frame::Integer(2)]),
        ),
        (b"~?\r\n:1\r\n.\r\n", Frame::Set(vec![Frame::Integer(1)])),
        (
            b"%?\r\n+a\r\n:1\r\n.\r\n",
            Frame::Map(vec![(Frame::SimpleString(b("a")), Frame::Integer(1))]),
        ),
        (
            b"*2\r\n*1\r\n%1\r\n+k\r\n~1\r\n#t\r\n_\r\n",
            Frame::Array(vec![
                Frame::Array(vec![Frame::Map(vec![(
                    Frame::SimpleString(b("k")),
                    Frame::Set(vec![Frame::Boolean(true)]),
                )])]),
                Frame::Null,
            ]),
        ),
    ]
}

fn decode_all(input: &[u8]) -> Vec<Frame> {
    let mut dec = Decoder::default();
    let mut buf = BytesMut::from(input);
    let mut out = Vec::new();
    while let Some(f) = dec.decode(&mut buf).unwrap() {
        out.push(f);
    }
    assert!(buf.is_empty(), "left over: {buf:?}");
    out
}

#[test]
fn every_type_decodes() {
    for (wire, want) in cases() {
        assert_eq!(
            decode_all(wire),
            vec![want],
            "{}",
            String::from_utf8_lossy(wire)
        );
    }
    // NaN is not equal to itself: check it apart.
    match &decode_all(b",nan\r\n")[..] {
        [Frame::Double(d)] => assert!(d.is_nan()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_split_point_of_a_multi_frame_buffer_gives_the_same_frames() {
    let cases = cases();
    let mut all = Vec::new();
    let mut want = Vec::new();
    for (wire, frame) in &cases {
        all.extend_from_slice(wire);
        want.push(frame.clone());
    }
    for split in 0..=all.len() {
        let mut dec = Decoder::default();
        let mut buf = BytesMut::from(&all[..split]);
        let mut got = Vec::new();
        while let Some(f) = dec.decode(&mut buf).unwrap() {
            got.push(f);
        }
        buf.extend_from_slice(&all[split..]);
        while let Some(f) = dec.decode(&mut buf).unwrap() {
            got.push(f);
        }
        assert_eq!(got, want, "split at byte {split}");
        assert!(buf.is_empty());
    }
}

#[test]
fn byte_by_byte_and_in_large_replies() {
    let mut wire = b"*10000\r\n".to_vec();
    for i in 0..10_000 {
        wire.extend_from_slice(format!("$16\r\nvalue-{i:010}\r\n").as_bytes());
    }
    for chunk in [1, 7, 1024] {
        let mut dec = Decoder::default();
        let mut buf = BytesMut::new();
        let mut got = None;
        for piece in wire.chunks(chunk) {
            buf.extend_from_slice(piece);
            if let Some(f) = dec.decode(&mut buf).unwrap() {
                got = Some(f);
            }
        }
        match got {
            Some(Frame::Array(items)) => {
                assert_eq!(items.len(), 10_000);
                assert_eq!(items[9_999], Frame::BulkString(b("value-0000009999")));
            }
            other => panic!("chunk {chunk}: {other:?}"),
        }
    }
}

fn error_of(input: &[u8], limits: Limits) -> ProtocolErrorKind {
    let mut dec = Decoder::new(limits);
    let mut buf = BytesMut::from(input);
    loop {
        match dec.decode(&mut buf) {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("no error for {}", String::from_utf8_lossy(input)),
            Err(e) => return e.kind,
        }
    }
}

#[test]
fn malformed_input_is_a_protocol_error() {
    use ProtocolErrorKind as K;
    let d = Limits::default();
    assert_eq!(error_of(b"?x\r\n", d), K::UnknownType(b'?'));
    assert_eq!(error_of(b"+OK\rX", d), K::ExpectedCrlf);
    assert_eq!(error_of(b"$3\r\nabcXY", d), K::ExpectedCrlf);
    assert_eq!(error_of(b":12a\r\n", d), K::InvalidInteger);
    assert_eq!(error_of(b":99999999999999999999\r\n", d), K::InvalidInteger);
    assert_eq!(error_of(b"$x\r\n", d), K::InvalidInteger);
    assert_eq!(error_of(b"$-2\r\n", d), K::InvalidLength(-2));
    assert_eq!(error_of(b"*-5\r\n", d), K::InvalidLength(-5));
    assert_eq!(error_of(b",1.2.3\r\n", d), K::InvalidDouble);
    assert_eq!(error_of(b"#x\r\n", d), K::InvalidBoolean);
    assert_eq!(error_of(b"(12a\r\n", d), K::InvalidBigNumber);
    assert_eq!(error_of(b"_x\r\n", d), K::InvalidNull);
    assert_eq!(error_of(b"=5\r\nhello\r\n", d), K::InvalidVerbatim);
    assert_eq!(error_of(b"$?\r\n:4\r\n", d), K::InvalidStreamChunk);
    assert_eq!(error_of(b".\r\n", d), K::UnexpectedEnd);
    assert_eq!(error_of(b"%?\r\n+a\r\n.\r\n", d), K::OddStreamedMap);
}

#[test]
fn limits_bound_depth_and_sizes() {
    use ProtocolErrorKind as K;
    let small = Limits {
        max_depth: 3,
        max_bulk_len: 10,
        max_aggregate_len: 4,
        max_line_len: 16,
    };
    assert_eq!(
        error_of(b"*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", small),
        K::TooDeep(3)
    );
    assert!(matches!(
        error_of(b"$11\r\n", small),
        K::BulkTooLarge { len: 11, limit: 10 }
    ));
    assert!(matches!(
        error_of(b"*5\r\n", small),
        K::AggregateTooLarge { len: 5, limit: 4 }
    ));
    assert!(
        matches!(error_of(b"%3\r\n", small), K::AggregateTooLarge { .. }),
        "a map's pairs count twice"
    );
    assert_eq!(
        error_of(b"+01234567890123456789", small),
        K::LineTooLong(16)
    );
    // Within the limits all is well.
    assert_eq!(decode_all(b"*1\r\n*1\r\n:1\r\n").len(), 1);
}

#[test]
fn bulk_strings_are_slices_of_the_read_buffer() {
    let mut buf = BytesMut::from(&b"*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n"[..]);
    let start = buf.as_ptr() as usize;
    let end = start + buf.len();
    let frame = Decoder::default().decode(&mut buf).unwrap().unwrap();
    let Frame::Array(items) = frame else { panic!() };
    for item in items {
        let Frame::BulkString(bytes) = item else {
            panic!()
        };
        let p = bytes.as_ptr() as usize;
        assert!(p >= start && p < end, "the payload was copied");
    }
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    let leaf = prop_oneof![
        "[a-zA-Z0-9 ]{0,12}".prop_map(|s| Frame::SimpleString(Bytes::from(s))),
        "[A-Z]{1,6} [a-z ]{0,10}".prop_map(|s| Frame::Error(Bytes::from(s))),
        any::<i64>().prop_map(Frame::Integer),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|v| Frame::BulkString(Bytes::from(v))),
        Just(Frame::Null),
        any::<bool>().prop_map(Frame::Boolean),
        prop_oneof![
            any::<f64>().prop_filter("not NaN", |d| !d.is_nan()),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY)
        ]
        .prop_map(Frame::Double),
        "-?[1-9][0-9]{0,40}".prop_map(|s| Frame::BigNumber(Bytes::from(s))),
        proptest::collection::vec(any::<u8>(), 0..20)
            .prop_map(|v| Frame::BulkError(Bytes::from(v))),
        ("[a-z]{3}", proptest::collection::vec(any::<u8>(), 0..20)).prop_map(|(f, t)| {
            Frame::VerbatimString {
                format: f.as_bytes().try_into().unwrap(),
                text: Bytes::from(t),
            }
        }),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Array),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Set),
            proptest::collection::vec(inner.clone(), 1..6).prop_map(Frame::Push),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..4).prop_map(Frame::Map),
            (
                proptest::collection::vec((inner.clone(), inner.clone()), 1..3),
                inner
            )
                .prop_map(|(attributes, data)| Frame::Attribute {
                    attributes,
                    data: Box::new(data)
                }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any frame, encoded, decodes back to itself whatever the read sizes.
    #[test]
    fn frames_round_trip_in_random_reads(frames in proptest::collection::vec(arb_frame(), 1..5), cuts in proptest::collection::vec(1usize..64, 1..40)) {
        let mut wire = BytesMut::new();
        for f in &frames {
            f.encode(&mut wire);
        }
        let wire = wire.freeze();
        let mut dec = Decoder::default();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        let mut pos = 0;
        let mut i = 0;
        while pos < wire.len() {
            let n = cuts[i % cuts.len()].min(wire.len() - pos);
            buf.extend_from_slice(&wire[pos..pos + n]);
            pos += n;
            i += 1;
            while let Some(f) = dec.decode(&mut buf).unwrap() {
                got.push(f);
            }
        }
        prop_assert_eq!(got, frames);
        prop_assert!(buf.is_empty());
    }

    /// A command encoded by the encoder parses back to its arguments.
    #[test]
    fn commands_encode_to_their_arguments(args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..30), 1..10)) {
        let mut cmd = respec::Cmd::new("ECHO");
        for a in &args {
            cmd.arg(&a[..]);
        }
        let mut buf = BytesMut::from(&cmd.to_bytes()[..]);
        let frame = Decoder::default().decode(&mut buf).unwrap().unwrap();
        let mut want = vec![Frame::BulkString(Bytes::from_static(b"ECHO"))];
        want.extend(args.into_iter().map(|a| Frame::BulkString(Bytes::from(a))));
        prop_assert_eq!(frame, Frame::Array(want));
    }

    /// Arbitrary bytes never panic the decoder.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut dec = Decoder::new(Limits { max_depth: 8, max_bulk_len: 64, max_aggregate_len: 16, max_line_len: 64 });
        let mut buf = BytesMut::from(&bytes[..]);
        while let Ok(Some(_)) = dec.decode(&mut buf) {}
    }
}
