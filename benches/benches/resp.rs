//! The RESP engine, beside the parsers users would otherwise run: redis-rs's
//! `parse_redis_value` and the `redis-protocol` crate (fred's parser), on
//! the same inputs in the same run.

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use respec::resp::{Decoder, Limits};
use std::hint::black_box;

/// `*10000` of 16-byte bulk strings.
fn array_10k() -> Vec<u8> {
    let mut out = b"*10000\r\n".to_vec();
    for i in 0..10_000 {
        out.extend_from_slice(format!("$16\r\nvalue-{i:010}\r\n").as_bytes());
    }
    out
}

/// One 1 MB bulk string.
fn bulk_1mb() -> Vec<u8> {
    let mut out = b"$1048576\r\n".to_vec();
    out.extend(std::iter::repeat_n(b'x', 1 << 20));
    out.extend_from_slice(b"\r\n");
    out
}

/// A RESP3 map of 1,000 pairs (bulk field -> integer).
fn map_1k() -> Vec<u8> {
    let mut out = b"%1000\r\n".to_vec();
    for i in 0..1000 {
        out.extend_from_slice(format!("$10\r\nfield-{i:04}\r\n:{i}\r\n").as_bytes());
    }
    out
}

/// The same map as RESP2 sees it: a flat array of 2,000 items.
fn map_1k_resp2() -> Vec<u8> {
    let mut out = b"*2000\r\n".to_vec();
    for i in 0..1000 {
        out.extend_from_slice(format!("$10\r\nfield-{i:04}\r\n:{i}\r\n").as_bytes());
    }
    out
}

fn respec_decode(input: &[u8]) -> respec::Frame {
    let mut buf = BytesMut::from(input);
    Decoder::new(Limits::default())
        .decode(&mut buf)
        .unwrap()
        .unwrap()
}

fn redis_protocol_resp3(input: &[u8]) -> redis_protocol::resp3::types::BytesFrame {
    let mut buf = BytesMut::from(input);
    redis_protocol::resp3::decode::complete::decode_bytes_mut(&mut buf)
        .unwrap()
        .unwrap()
        .0
}

fn redis_protocol_resp2(input: &[u8]) -> redis_protocol::resp2::types::BytesFrame {
    let mut buf = BytesMut::from(input);
    redis_protocol::resp2::decode::decode_bytes_mut(&mut buf)
        .unwrap()
        .unwrap()
        .0
}

fn redis_rs(input: &[u8]) -> redis::Value {
    redis::parse_redis_value(input).unwrap()
}

fn parse(c: &mut Criterion) {
    let cases: [(&str, Vec<u8>, bool); 3] = [
        ("array_10k_x16B", array_10k(), false),
        ("bulk_1MB", bulk_1mb(), false),
        ("map_1k_pairs", map_1k(), true),
    ];
    for (name, input, resp3_only) in &cases {
        let mut g = c.benchmark_group(format!("parse/{name}"));
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function("respec", |b| {
            b.iter(|| black_box(respec_decode(black_box(input))))
        });
        g.bench_function("redis-protocol", |b| {
            b.iter(|| black_box(redis_protocol_resp3(black_box(input))))
        });
        if *resp3_only {
            // redis-rs parses RESP3 maps too.
            g.bench_function("redis-rs", |b| {
                b.iter(|| black_box(redis_rs(black_box(input))))
            });
            let flat = map_1k_resp2();
            g.bench_function("respec (RESP2 flat)", |b| {
                b.iter(|| black_box(respec_decode(black_box(&flat))))
            });
            g.bench_function("redis-protocol (RESP2 flat)", |b| {
                b.iter(|| black_box(redis_protocol_resp2(black_box(&flat))))
            });
        } else {
            g.bench_function("redis-rs", |b| {
                b.iter(|| black_box(redis_rs(black_box(input))))
            });
        }
        g.finish();
    }
}

/// A reply that arrives in 1,460-byte reads (one TCP segment each): the
/// parser is called after every read, as a connection's read loop does.
fn split_reads(c: &mut Criterion) {
    let input = array_10k();
    let chunk = 1460;
    let mut g = c.benchmark_group("parse/array_10k_in_1460B_reads");
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("respec", |b| {
        b.iter(|| {
            let mut dec = Decoder::new(Limits::default());
            let mut buf = BytesMut::with_capacity(4096);
            for piece in input.chunks(chunk) {
                buf.extend_from_slice(piece);
                if let Some(f) = dec.decode(&mut buf).unwrap() {
                    return black_box(f);
                }
            }
            unreachable!("the whole reply was fed")
        })
    });
    g.bench_function("redis-protocol", |b| {
        b.iter(|| {
            let mut buf = BytesMut::with_capacity(4096);
            for piece in input.chunks(chunk) {
                buf.extend_from_slice(piece);
                if let Some((f, _, _)) =
                    redis_protocol::resp3::decode::complete::decode_bytes_mut(&mut buf).unwrap()
                {
                    return black_box(f);
                }
            }
            unreachable!("the whole reply was fed")
        })
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    g.bench_function(BenchmarkId::new("SET k v EX 60 NX GET", "respec"), |b| {
        let mut out = BytesMut::with_capacity(256);
        b.iter(|| {
            out.clear();
            let mut cmd = respec::Cmd::new("SET");
            cmd.arg("user:1000:session")
                .arg("some-session-value")
                .arg("EX")
                .arg(60)
                .arg("NX")
                .arg("GET");
            respec::Command::encode(&cmd, &mut out);
            black_box(out.len())
        })
    });
    g.bench_function(BenchmarkId::new("SET k v EX 60 NX GET", "redis-rs"), |b| {
        b.iter(|| {
            let mut cmd = redis::cmd("SET");
            cmd.arg("user:1000:session")
                .arg("some-session-value")
                .arg("EX")
                .arg(60)
                .arg("NX")
                .arg("GET");
            black_box(cmd.get_packed_command().len())
        })
    });
    let pairs: Vec<(String, String)> = (0..100)
        .map(|i| (format!("key:{i}"), format!("value-{i}")))
        .collect();
    g.bench_function(BenchmarkId::new("MSET 100 pairs", "respec"), |b| {
        let mut out = BytesMut::with_capacity(8192);
        b.iter(|| {
            out.clear();
            let mut cmd = respec::Cmd::new("MSET");
            for (k, v) in &pairs {
                cmd.arg(k).arg(v);
            }
            respec::Command::encode(&cmd, &mut out);
            black_box(out.len())
        })
    });
    g.bench_function(BenchmarkId::new("MSET 100 pairs", "redis-rs"), |b| {
        b.iter(|| {
            let mut cmd = redis::cmd("MSET");
            for (k, v) in &pairs {
                cmd.arg(k).arg(v);
            }
            black_box(cmd.get_packed_command().len())
        })
    });
    g.bench_function(BenchmarkId::new("MSET 100 pairs", "redis-protocol"), |b| {
        let mut out = BytesMut::with_capacity(8192);
        b.iter(|| {
            out.clear();
            let mut items = Vec::with_capacity(201);
            items.push(redis_protocol::resp2::types::BytesFrame::BulkString(
                Bytes::from_static(b"MSET"),
            ));
            for (k, v) in &pairs {
                items.push(redis_protocol::resp2::types::BytesFrame::BulkString(
                    Bytes::copy_from_slice(k.as_bytes()),
                ));
                items.push(redis_protocol::resp2::types::BytesFrame::BulkString(
                    Bytes::copy_from_slice(v.as_bytes()),
                ));
            }
            let frame = redis_protocol::resp2::types::BytesFrame::Array(items);
            redis_protocol::resp2::encode::extend_encode(&mut out, &frame, false).unwrap();
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, parse, split_reads, encode);
criterion_main!(benches);
