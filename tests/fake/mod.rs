//! A scripted fake peer, for what a real server cannot be made to do:
//! malformed, truncated and oversized replies, stalls, and observing how the
//! client batches its writes.
//!
//! It answers the connection handshake like a Redis 7.4 server, then replies
//! to each later command with the next scripted [`Reply`].
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::BytesMut;
use respec::resp::{Decoder, Frame};

/// What the fake peer does when a command arrives.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Send these bytes.
    Bytes(Vec<u8>),
    /// Send these bytes, then close the connection.
    BytesThenClose(Vec<u8>),
    /// Send nothing, ever, for this command and every later one (a stalled
    /// server).
    Stall,
}

/// What the peer saw.
#[derive(Default, Debug)]
pub struct Seen {
    /// Each command after the handshake, as its argument strings.
    pub commands: Vec<Vec<String>>,
    /// How many bytes each `read` call returned after the handshake.
    pub reads: Vec<usize>,
}

/// A fake server on a free loopback port, serving one connection.
pub struct FakeServer {
    pub port: u16,
    pub seen: Arc<Mutex<Seen>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Starts the peer; it answers commands with `script`, in order, and
    /// with `+OK` once the script runs out.
    pub fn start(script: Vec<Reply>) -> Self {
        Self::start_with(script, true)
    }

    /// Like [`start`](Self::start); when `answer_handshake` is false the
    /// peer accepts the connection and never answers anything.
    pub fn start_with(script: Vec<Reply>, answer_handshake: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let seen2 = seen.clone();
        let thread = std::thread::spawn(move || {
            // Accept with a bound so a test that never connects ends.
            listener.set_nonblocking(true).unwrap();
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            let sock = loop {
                match listener.accept() {
                    Ok((s, _)) => break s,
                    Err(_) if std::time::Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(_) => return,
                }
            };
            sock.set_nonblocking(false).unwrap();
            serve(sock, script, answer_handshake, seen2);
        });
        FakeServer {
            port,
            seen,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Waits for the peer's thread (it ends when the client disconnects or
    /// after the script closes the connection).
    /// [`join`](Self::join) from async code, without blocking the runtime
    /// that drives the client's connection.
    pub async fn finish(self) {
        tokio::task::spawn_blocking(move || self.join())
            .await
            .unwrap();
    }

    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn hello_reply() -> Vec<u8> {
    let mut out = BytesMut::new();
    Frame::Map(vec![
        (
            Frame::BulkString("server".into()),
            Frame::BulkString("redis".into()),
        ),
        (
            Frame::BulkString("version".into()),
            Frame::BulkString("7.4.0".into()),
        ),
        (Frame::BulkString("proto".into()), Frame::Integer(3)),
        (Frame::BulkString("id".into()), Frame::Integer(1)),
    ])
    .encode(&mut out);
    out.to_vec()
}

fn args_of(frame: &Frame) -> Vec<String> {
    match frame {
        Frame::Array(items) => items
            .iter()
            .map(|f| String::from_utf8_lossy(f.as_bytes().unwrap_or_default()).into_owned())
            .collect(),
        _ => vec![],
    }
}

fn serve(mut sock: TcpStream, script: Vec<Reply>, answer_handshake: bool, seen: Arc<Mutex<Seen>>) {
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::new();
    let mut script = script.into_iter();
    let mut handshake_done = false;
    let mut stalled = false;
    let mut chunk = [0u8; 65536];
    loop {
        let n = match sock.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if handshake_done {
            seen.lock().unwrap().reads.push(n);
        }
        buf.extend_from_slice(&chunk[..n]);
        while let Ok(Some(frame)) = decoder.decode(&mut buf) {
            let args = args_of(&frame);
            let first = args
                .first()
                .map(|s| s.to_ascii_uppercase())
                .unwrap_or_default();
            if !answer_handshake || stalled {
                continue;
            }
            if first == "HELLO" {
                sock.write_all(&hello_reply()).unwrap();
                continue;
            }
            if first == "CLIENT"
                && args
                    .get(1)
                    .is_some_and(|a| a.eq_ignore_ascii_case("SETINFO"))
            {
                let _ = sock.write_all(b"+OK\r\n");
                handshake_done = true;
                continue;
            }
            if first == "PING" && args.len() == 2 && args[1].starts_with("respec:") {
                // The client's line-up marker: echoed as a real server
                // does, outside the script.
                let mut out = BytesMut::new();
                Frame::BulkString(args[1].clone().into()).encode(&mut out);
                let _ = sock.write_all(&out);
                continue;
            }
            seen.lock().unwrap().commands.push(args);
            match script.next() {
                None => {
                    let _ = sock.write_all(b"+OK\r\n");
                }
                Some(Reply::Bytes(b)) => {
                    let _ = sock.write_all(&b);
                }
                Some(Reply::BytesThenClose(b)) => {
                    let _ = sock.write_all(&b);
                    let _ = sock.shutdown(std::net::Shutdown::Both);
                    return;
                }
                Some(Reply::Stall) => stalled = true,
            }
        }
    }
}
