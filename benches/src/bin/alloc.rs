//! Counts heap allocations per simple GET round trip and per 100-command
//! pipeline, with a counting global allocator: `alloc URL`.
//!
//! Prints one JSON line per measurement. The count covers everything the
//! process allocates while the requests run (client, runtime and the
//! returned value), averaged over many requests after a warm-up.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const N: u64 = 20_000;
const PIPES: u64 = 500;

fn report(client: &str, what: &str, per: f64) {
    println!("{{\"client\":\"{client}\",\"measure\":\"{what}\",\"allocs\":{per:.2}}}");
}

fn main() {
    let url = std::env::args()
        .nth(1)
        .expect("usage: alloc redis://127.0.0.1:PORT");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // respec: the typed API as applications call it, then a pre-built
        // `Cmd` (which leaves out building the command).
        use respec::commands::StringCommands;
        let client = respec::Client::open(&url).unwrap();
        client.set("alloc:k", "some value").await.unwrap();
        for _ in 0..1000 {
            client.set("alloc:k", "some value").await.unwrap();
            std::hint::black_box(client.get("alloc:k").await.unwrap());
        }
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..N {
            client.set("alloc:k", "some value").await.unwrap();
        }
        report(
            "respec",
            "typed SET round trip (client.set(k, v).await)",
            (ALLOCS.load(Ordering::Relaxed) - before) as f64 / N as f64,
        );
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..N {
            let v = client.get("alloc:k").await.unwrap();
            std::hint::black_box(v);
        }
        report(
            "respec",
            "typed GET round trip (client.get(k).await, reply as ByteStr)",
            (ALLOCS.load(Ordering::Relaxed) - before) as f64 / N as f64,
        );
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..PIPES {
            let mut pipe = respec::Pipeline::new();
            for i in 0..100 {
                let _ = pipe.push(respec::commands::Set::new("alloc:p", i));
            }
            std::hint::black_box(pipe.run(&client).await.unwrap());
        }
        report(
            "respec",
            "typed 100-command pipeline (Pipeline::push, run)",
            (ALLOCS.load(Ordering::Relaxed) - before) as f64 / PIPES as f64,
        );
        let mut set = respec::Cmd::new("SET");
        set.arg("alloc:k").arg("some value");
        client.execute(&set).await.unwrap();
        let mut get = respec::Cmd::new("GET");
        get.arg("alloc:k");
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..N {
            let v = client.execute(&get).await.unwrap();
            std::hint::black_box(v);
        }
        report(
            "respec",
            "GET round trip, pre-built Cmd (reply as Frame)",
            (ALLOCS.load(Ordering::Relaxed) - before) as f64 / N as f64,
        );
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..PIPES {
            let mut pipe = respec::Pipeline::new();
            for i in 0..100 {
                let mut c = respec::Cmd::new("SET");
                c.arg("alloc:p").arg(i);
                pipe.add(c);
            }
            std::hint::black_box(pipe.execute(&client).await.unwrap());
        }
        report(
            "respec",
            "100-command pipeline of Cmd values",
            (ALLOCS.load(Ordering::Relaxed) - before) as f64 / PIPES as f64,
        );

        // redis-rs
        let rc = redis::Client::open(url.as_str()).unwrap();
        let mut con = rc.get_multiplexed_async_connection().await.unwrap();
        for _ in 0..1000 {
            let _: Option<Vec<u8>> = redis::cmd("GET")
                .arg("alloc:k")
                .query_async(&mut con)
                .await
                .unwrap();
        }
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..N {
            let v: redis::Value = redis::cmd("GET")
                .arg("alloc:k")
                .query_async(&mut con)
                .await
                .unwrap();
            std::hint::black_box(v);
        }
        report(
            "redis-rs",
            "GET round trip (reply as Value)",
            (ALLOCS.load(Ordering::Relaxed) - before) as f64 / N as f64,
        );
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..PIPES {
            let mut pipe = redis::pipe();
            for i in 0..100 {
                pipe.cmd("SET").arg("alloc:p").arg(i);
            }
            let v: Vec<redis::Value> = pipe.query_async(&mut con).await.unwrap();
            std::hint::black_box(v);
        }
        report(
            "redis-rs",
            "100-command pipeline",
            (ALLOCS.load(Ordering::Relaxed) - before) as f64 / PIPES as f64,
        );

        // fred
        use fred::prelude::*;
        let fc = Builder::from_config(Config::from_url(&url).unwrap())
            .build()
            .unwrap();
        fc.init().await.unwrap();
        for _ in 0..1000 {
            let _: Option<Vec<u8>> = fc.get("alloc:k").await.unwrap();
        }
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..N {
            let v: Value = fc.get("alloc:k").await.unwrap();
            std::hint::black_box(v);
        }
        report(
            "fred",
            "GET round trip (reply as Value)",
            (ALLOCS.load(Ordering::Relaxed) - before) as f64 / N as f64,
        );
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..PIPES {
            let pipe = fc.pipeline();
            for i in 0..100i64 {
                let _: () = pipe.set("alloc:p", i, None, None, false).await.unwrap();
            }
            let v: Vec<Value> = pipe.all().await.unwrap();
            std::hint::black_box(v);
        }
        report(
            "fred",
            "100-command pipeline",
            (ALLOCS.load(Ordering::Relaxed) - before) as f64 / PIPES as f64,
        );
    });
}
