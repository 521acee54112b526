//! The race the client-side cache tests run on each blocking client (the
//! standalone one and the cluster one): two writers, another client and
//! the caching client itself, against cached readers. No read may return
//! a value older than a write that completed before its round trip to
//! the key's server began. Bounded in iterations and in time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use respec::blocking::Client;
use respec::cluster::BlockingClusterClient;
use respec::{Cmd, FromResp, Result};

/// A blocking client the race runs on.
pub trait BlockingQuery: Send + Sync + 'static {
    /// Sends `cmd` and converts its reply.
    fn query_as<T: FromResp>(&self, cmd: &Cmd) -> Result<T>;
}

impl BlockingQuery for Client {
    fn query_as<T: FromResp>(&self, cmd: &Cmd) -> Result<T> {
        self.query(cmd)
    }
}

impl BlockingQuery for BlockingClusterClient {
    fn query_as<T: FromResp>(&self, cmd: &Cmd) -> Result<T> {
        self.query(cmd)
    }
}

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a.iter().copied()).expect("non-empty")
}

fn get<C: BlockingQuery>(client: &C, key: &str) -> Option<String> {
    client.query_as(&args(&["GET", key])).unwrap()
}

fn counter<C: BlockingQuery>(client: &C, key: &str) -> u64 {
    get(client, key).unwrap().parse().unwrap()
}

/// The race's bounds and keys.
pub struct BlockingRace {
    /// Writes per writer, at the most.
    pub writes: u64,
    /// Reader threads.
    pub readers: usize,
    /// The three counters.
    pub keys: [&'static str; 3],
    /// A key no one writes, read before a counter so that the read misses
    /// (a round trip on the connection that hears the key's
    /// invalidations): from the counter's key, the reader and how many
    /// reads it made.
    pub barrier: fn(key: &str, reader: usize, reads: u64) -> String,
}

impl BlockingRace {
    /// Runs the race of `client` (caching) and `other` (writing past the
    /// cache); asserts that some reads were made.
    pub fn run<C: BlockingQuery>(&self, client: Arc<C>, other: Arc<C>) {
        const LIMIT: Duration = Duration::from_secs(20);
        let (writes, keys, barrier) = (self.writes, self.keys, self.barrier);
        for k in keys {
            let ok: String = other.query_as(&args(&["SET", k, "0"])).unwrap();
            assert_eq!(ok, "OK");
        }
        let completed: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
        let done = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        // Counters: every write makes the value grow. Half the writes are
        // `INCR` (a write the caching client fences before sending), half
        // an `INCR` inside a script (which it cannot see into: only the
        // server's invalidation covers it).
        let mut writers = Vec::new();
        for (own, writer) in [(false, other.clone()), (true, client.clone())] {
            let completed = completed.clone();
            writers.push(std::thread::spawn(move || {
                let mut i = 0u64;
                while i < writes && started.elapsed() < LIMIT {
                    let k = (i % 3) as usize;
                    let now: i64 = if i.is_multiple_of(2) {
                        writer.query_as(&args(&["INCR", keys[k]])).unwrap()
                    } else {
                        writer
                            .query_as(&args(&[
                                "EVAL",
                                "return redis.call('INCR', KEYS[1])",
                                "1",
                                keys[k],
                            ]))
                            .unwrap()
                    };
                    completed[k].fetch_max(now as u64, Ordering::SeqCst);
                    if own && i.is_multiple_of(2) {
                        // Its own fenced write, read back at once (no
                        // round trip): a read that raced it stored nothing.
                        let v = counter(&*writer, keys[k]);
                        assert!(v >= now as u64, "read {v} right after writing {now}");
                    }
                    i += 1;
                }
            }));
        }
        let mut readers = Vec::new();
        for r in 0..self.readers {
            let client = client.clone();
            let completed = completed.clone();
            let done = done.clone();
            readers.push(std::thread::spawn(move || {
                let mut reads = 0u64;
                while !done.load(Ordering::SeqCst) && started.elapsed() < LIMIT {
                    let k = (reads as usize + r) % 3;
                    let floor = completed[k].load(Ordering::SeqCst);
                    // A miss: a round trip on the tracked connection.
                    assert_eq!(get(&*client, &barrier(keys[k], r, reads)), None);
                    let v = counter(&*client, keys[k]);
                    assert!(
                        v >= floor,
                        "read {v} of {} after {floor} completed",
                        keys[k]
                    );
                    let again = counter(&*client, keys[k]);
                    assert!(again >= floor, "read {again} after {floor}");
                    reads += 1;
                }
                reads
            }));
        }
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        let reads: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
        assert!(reads > 0);
    }
}
