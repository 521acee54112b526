//! The distributed lock (`respec::lock`) against real servers: mutual
//! exclusion among tasks, threads and processes (a counter read and
//! written with plain GET/SET inside the lock ends exact), expiry when the
//! holder dies, refusal of a non-holder's release and extend, the
//! watchdog, the acquire timeout, and the same on a Redis Cluster; RESP2
//! and RESP3.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use respec::cluster::{BlockingClusterClient, ClusterClient};
use respec::lock::{self, Lock};
use respec::{Client, Cmd, ErrorKind};
use support::cluster::Cluster;
use support::Kind;

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a.iter().copied()).expect("non-empty")
}

/// Guards against a hang: every await in these tests must finish.
async fn within<T>(secs: u64, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("the operation hung")
}

async fn get(client: &Client, key: &str) -> Option<String> {
    client.query(&args(&["GET", key])).await.unwrap()
}

async fn pttl(client: &Client, key: &str) -> i64 {
    client.query(&args(&["PTTL", key])).await.unwrap()
}

/// Polls `check` every 20 ms until it holds, for at most `bound`.
async fn eventually<F, Fut>(bound: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < bound, "{what}: not within {bound:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn url(server: &support::Server, proto: u8) -> String {
    format!("{}?protocol={proto}", server.url())
}

fn evalsha_calls(info: &str) -> u64 {
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

// ---------------------------------------------------------------------------
// Mutual exclusion

/// 32 tasks each add 1 to a counter 50 times with GET then SET inside the
/// lock: the counter ends at exactly 1600, and no two tasks are ever
/// inside the lock together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_exclude_each_other() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let client = Client::open(&url(&server, proto)).unwrap();
        let counter = format!("counter:{proto}");
        let lock = Lock::new(client.clone(), format!("lock:counter:{proto}"))
            .ttl(Duration::from_secs(10))
            .retry_interval(Duration::from_millis(2))
            .acquire_timeout(Duration::from_secs(60));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (lock, client, counter) = (lock.clone(), client.clone(), counter.clone());
            let (inside, most) = (inside.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..50 {
                    let guard = lock.acquire().await.unwrap();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    let n: i64 = get(&client, &counter)
                        .await
                        .map_or(0, |v| v.parse().unwrap());
                    tokio::task::yield_now().await;
                    client
                        .query::<(), _>(&args(&["SET", &counter, &(n + 1).to_string()]))
                        .await
                        .unwrap();
                    inside.fetch_sub(1, Ordering::SeqCst);
                    guard.release().await.unwrap();
                }
            }));
        }
        within(120, async {
            for t in tasks {
                t.await.unwrap();
            }
        })
        .await;
        assert_eq!(
            get(&client, &counter).await.as_deref(),
            Some("1600"),
            "RESP{proto}"
        );
        assert_eq!(most.load(Ordering::SeqCst), 1, "RESP{proto}");
        assert!(!lock.locked().await.unwrap());
    }
}

/// The blocking lock: 8 threads x 50 increments, the guard released by
/// drop.
#[test]
fn threads_exclude_each_other() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let client = Arc::new(respec::blocking::Client::open(&url(&server, proto)).unwrap());
        let counter = format!("counter:{proto}");
        let lock = lock::blocking::Lock::new(client.clone(), format!("lock:counter:{proto}"))
            .retry_interval(Duration::from_millis(2))
            .acquire_timeout(Duration::from_secs(60));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (lock, client, counter) = (lock.clone(), client.clone(), counter.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let _guard = lock.acquire().unwrap();
                        let n: Option<String> = client.query(&args(&["GET", &counter])).unwrap();
                        let n: i64 = n.map_or(0, |v| v.parse().unwrap());
                        client
                            .query::<(), _>(&args(&["SET", &counter, &(n + 1).to_string()]))
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n: Option<String> = client.query(&args(&["GET", &counter])).unwrap();
        assert_eq!(n.as_deref(), Some("400"), "RESP{proto}");
        assert!(!lock.locked().unwrap());
    }
}

/// Runs this test binary again as a child process running one ignored
/// test, with `env`.
fn spawn_child(test: &str, env: &[(&str, String)]) -> Child {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Waits for `child` for at most `bound`; kills it (by its id) and fails
/// past that.
fn wait_bounded(child: &mut Child, bound: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > bound {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "child process {} did not finish within {bound:?}",
                child.id()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn child_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: this test is a child process of another test in this file")
    })
}

/// A child process of `processes_exclude_each_other`: adds 1 to the
/// counter `LOCK_TEST_ROUNDS` times, GET then SET inside the lock.
#[test]
#[ignore = "a child process of processes_exclude_each_other"]
fn child_increments() {
    let client = Arc::new(respec::blocking::Client::open(&child_env("LOCK_TEST_URL")).unwrap());
    let rounds: usize = child_env("LOCK_TEST_ROUNDS").parse().unwrap();
    let counter = child_env("LOCK_TEST_COUNTER");
    let lock = lock::blocking::Lock::new(client.clone(), child_env("LOCK_TEST_KEY"))
        .retry_interval(Duration::from_millis(2))
        .acquire_timeout(Duration::from_secs(60));
    for _ in 0..rounds {
        let guard = lock.acquire().unwrap();
        let n: Option<String> = client.query(&args(&["GET", &counter])).unwrap();
        let n: i64 = n.map_or(0, |v| v.parse().unwrap());
        client
            .query::<(), _>(&args(&["SET", &counter, &(n + 1).to_string()]))
            .unwrap();
        guard.release().unwrap();
    }
}

/// Three processes (RESP2, RESP3, RESP2) each add 1 to a counter 50 times
/// under the lock: it ends at exactly 150.
#[test]
fn processes_exclude_each_other() {
    let server = support::server(Kind::Redis);
    let mut children: Vec<Child> = (0..3)
        .map(|i| {
            spawn_child(
                "child_increments",
                &[
                    ("LOCK_TEST_URL", url(&server, 2 + (i % 2) as u8)),
                    ("LOCK_TEST_ROUNDS", "50".into()),
                    ("LOCK_TEST_COUNTER", "counter".into()),
                    ("LOCK_TEST_KEY", "lock:counter".into()),
                ],
            )
        })
        .collect();
    for child in &mut children {
        let status = wait_bounded(child, Duration::from_secs(120));
        assert!(status.success(), "a child process failed: {status}");
    }
    let client = respec::blocking::Client::open(&server.url()).unwrap();
    let n: Option<String> = client.query(&args(&["GET", "counter"])).unwrap();
    assert_eq!(n.as_deref(), Some("150"));
}

// ---------------------------------------------------------------------------
// A dead holder

/// A child process of `a_dead_holders_lock_expires`: takes the lock with a
/// 1 s TTL and a watchdog, says `HELD <token>`, and waits to be killed
/// (at most 60 s).
#[test]
#[ignore = "a child process of a_dead_holders_lock_expires"]
fn child_holds_until_killed() {
    let client = Arc::new(respec::blocking::Client::open(&child_env("LOCK_TEST_URL")).unwrap());
    let lock = lock::blocking::Lock::new(client, child_env("LOCK_TEST_KEY"))
        .ttl(Duration::from_secs(1))
        .watchdog(true);
    let guard = lock.acquire().unwrap();
    println!("HELD {}", String::from_utf8_lossy(guard.token()));
    std::thread::sleep(Duration::from_secs(60));
    drop(guard);
}

/// A process holds the lock (kept alive past its TTL by its watchdog);
/// once it is killed, nobody renews the key, it expires, and another
/// holder acquires it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_holders_lock_expires() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let key = format!("lock:dead:{proto}");
        let mut child = spawn_child(
            "child_holds_until_killed",
            &[
                ("LOCK_TEST_URL", url(&server, proto)),
                ("LOCK_TEST_KEY", key.clone()),
            ],
        );
        let stdout = child.stdout.take().unwrap();
        let token = tokio::task::spawn_blocking(move || {
            for line in BufReader::new(stdout).lines() {
                // libtest's "test NAME ... " may come first on the line.
                let line = line.unwrap();
                if let Some(at) = line.find("HELD ") {
                    return line[at + 5..].trim().to_string();
                }
            }
            panic!("the child process ended without taking the lock");
        });
        let token = within(30, token).await.unwrap();

        let client = Client::open(&url(&server, proto)).unwrap();
        let lock = Lock::new(client.clone(), &key)
            .retry_interval(Duration::from_millis(20))
            .acquire_timeout(Duration::from_secs(20));
        // Held past three of its TTLs: the child's watchdog renews it.
        for _ in 0..15 {
            assert!(lock.try_acquire().await.unwrap().is_none());
            assert_eq!(get(&client, &key).await.as_deref(), Some(token.as_str()));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        child.kill().unwrap();
        child.wait().unwrap();

        let guard = within(30, lock.acquire()).await.unwrap();
        assert_ne!(guard.token(), token.as_bytes());
        assert_eq!(
            get(&client, &key).await.as_deref().map(str::as_bytes),
            Some(guard.token())
        );
        guard.release().await.unwrap();
    }
}

// ---------------------------------------------------------------------------
// Non-holders

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_holder_cannot_release_or_extend() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let client = Client::open(&url(&server, proto)).unwrap();
        let key = format!("lock:stale:{proto}");
        let lock = Lock::new(client.clone(), &key).ttl(Duration::from_millis(200));
        let stale = lock.try_acquire().await.unwrap().unwrap();
        // Its TTL passes: the key is gone.
        eventually(Duration::from_secs(10), "the lock expires", || async {
            !lock.locked().await.unwrap()
        })
        .await;
        assert!(!stale.owned().await.unwrap());

        // Nobody holds it: still refused, never a silent success.
        for e in [
            stale.extend(Duration::from_secs(1)).await.unwrap_err(),
            stale.extend_to(Duration::from_secs(1)).await.unwrap_err(),
            stale.reacquire().await.unwrap_err(),
        ] {
            assert_eq!(e.kind(), &ErrorKind::LockNotOwned, "{e}");
            assert!(e.to_string().contains(&format!("lock \"{key}\"")), "{e}");
        }
        assert!(
            !lock.locked().await.unwrap(),
            "a refused extend set the key"
        );

        // Another holder has it now.
        let current = Lock::new(client.clone(), &key)
            .ttl(Duration::from_secs(30))
            .try_acquire()
            .await
            .unwrap()
            .unwrap();
        let e = stale.extend(Duration::from_secs(60)).await.unwrap_err();
        assert!(e.is_lock_not_owned(), "{e}");
        assert_eq!(
            e.to_string(),
            format!(
                "lock not owned: cannot extend lock \"{key}\": it is no longer held with this \
                 token (it expired, or another holder has it)"
            )
        );
        let e = stale.extend_to(Duration::from_millis(1)).await.unwrap_err();
        assert!(e.is_lock_not_owned(), "{e}");
        let e = stale.release().await.unwrap_err();
        assert!(e.is_lock_not_owned(), "{e}");
        assert!(e.to_string().contains("cannot release lock"), "{e}");

        // The holder's lock is untouched.
        assert!(current.owned().await.unwrap());
        assert_eq!(
            get(&client, &key).await.as_deref().map(str::as_bytes),
            Some(current.token())
        );
        let left = pttl(&client, &key).await;
        assert!(left > 20_000 && left <= 30_000, "{left}");
        current.release().await.unwrap();
        assert!(!lock.locked().await.unwrap());
    }
}

#[test]
fn a_non_holder_cannot_release_or_extend_blocking() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let client = Arc::new(respec::blocking::Client::open(&url(&server, proto)).unwrap());
        let key = format!("lock:stale:{proto}");
        let lock = lock::blocking::Lock::new(client.clone(), &key).ttl(Duration::from_millis(200));
        let stale = lock.try_acquire().unwrap().unwrap();
        let start = Instant::now();
        while lock.locked().unwrap() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the lock never expired"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let current = lock::blocking::Lock::new(client.clone(), &key)
            .try_acquire()
            .unwrap()
            .unwrap();
        for e in [
            stale.extend(Duration::from_secs(1)).unwrap_err(),
            stale.extend_to(Duration::from_secs(1)).unwrap_err(),
            stale.reacquire().unwrap_err(),
        ] {
            assert_eq!(e.kind(), &ErrorKind::LockNotOwned, "{e}");
            assert!(e.to_string().contains(&format!("lock \"{key}\"")), "{e}");
        }
        assert!(!stale.owned().unwrap());
        let e = stale.release().unwrap_err();
        assert!(e.is_lock_not_owned(), "{e}");
        // The stale guard's drop (after a failed release) touched nothing.
        assert!(current.owned().unwrap());
        let held: Option<String> = client.query(&args(&["GET", &key])).unwrap();
        assert_eq!(held.as_deref().map(str::as_bytes), Some(current.token()));
        drop(current);
        assert!(!lock.locked().unwrap(), "dropping the guard released it");
    }
}

// ---------------------------------------------------------------------------
// Extending, the watchdog, timeouts

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extend_adds_or_replaces_the_ttl() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let client = Client::open(&url(&server, proto)).unwrap();
        let key = format!("lock:ttl:{proto}");
        let lock = Lock::new(client.clone(), &key).ttl(Duration::from_secs(10));
        let guard = lock.acquire().await.unwrap();
        assert!(guard.owned().await.unwrap());
        let left = pttl(&client, &key).await;
        assert!(left > 5_000 && left <= 10_000, "{left}");

        guard.extend(Duration::from_secs(20)).await.unwrap();
        let left = pttl(&client, &key).await;
        assert!(left > 25_000 && left <= 30_000, "added: {left}");

        guard.extend_to(Duration::from_secs(3)).await.unwrap();
        let left = pttl(&client, &key).await;
        assert!(left > 0 && left <= 3_000, "replaced: {left}");

        guard.reacquire().await.unwrap();
        let left = pttl(&client, &key).await;
        assert!(left > 5_000 && left <= 10_000, "reacquired: {left}");

        let e = guard.extend_to(Duration::ZERO).await.unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
        let e = Lock::new(client.clone(), "other")
            .ttl(Duration::ZERO)
            .try_acquire()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");

        // The scripts are loaded again after SCRIPT FLUSH (EVALSHA meets
        // NOSCRIPT and falls back to EVAL).
        client
            .query::<(), _>(&args(&["SCRIPT", "FLUSH"]))
            .await
            .unwrap();
        guard.extend(Duration::from_secs(1)).await.unwrap();
        client
            .query::<(), _>(&args(&["SCRIPT", "FLUSH"]))
            .await
            .unwrap();
        guard.release().await.unwrap();
        assert!(!lock.locked().await.unwrap());
    }
}

/// A 1 s lock with a watchdog stays held for 3 s; a key changed
/// behind its back is noticed (`lost`); dropping the guard stops the
/// watchdog (no more EVALSHA calls) and releases the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watchdog_keeps_a_short_lock_alive() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let client = Client::open(&url(&server, proto)).unwrap();
        let key = format!("lock:watched:{proto}");
        let lock = Lock::new(client.clone(), &key)
            .ttl(Duration::from_secs(1))
            .watchdog(true);
        let other = Lock::new(client.clone(), &key);
        let guard = lock.acquire().await.unwrap();
        for _ in 0..15 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(other.try_acquire().await.unwrap().is_none());
            assert_eq!(
                get(&client, &key).await.as_deref().map(str::as_bytes),
                Some(guard.token())
            );
        }
        assert!(!guard.lost());
        guard.release().await.unwrap();
        assert!(!lock.locked().await.unwrap());

        // The key taken by someone else: the watchdog notices and stops.
        let guard = lock.acquire().await.unwrap();
        client
            .query::<(), _>(&args(&["SET", &key, "someone-else"]))
            .await
            .unwrap();
        eventually(Duration::from_secs(10), "the watchdog notices", || async {
            guard.lost()
        })
        .await;
        assert_eq!(get(&client, &key).await.as_deref(), Some("someone-else"));
        assert!(guard.release().await.unwrap_err().is_lock_not_owned());
        client.query::<(), _>(&args(&["DEL", &key])).await.unwrap();

        // Dropped: released (by a spawned task), and the watchdog stops.
        let guard = lock.acquire().await.unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
        drop(guard);
        eventually(
            Duration::from_secs(10),
            "the dropped guard's release",
            || async { !lock.locked().await.unwrap() },
        )
        .await;
        client
            .query::<(), _>(&args(&["CONFIG", "RESETSTAT"]))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let info: String = client
            .query(&args(&["INFO", "commandstats"]))
            .await
            .unwrap();
        assert_eq!(evalsha_calls(&info), 0, "{info}");
    }
}

#[test]
fn the_watchdog_thread_keeps_a_short_lock_alive() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let client = Arc::new(respec::blocking::Client::open(&url(&server, proto)).unwrap());
        let key = format!("lock:watched:{proto}");
        let lock = lock::blocking::Lock::new(client.clone(), &key)
            .ttl(Duration::from_secs(1))
            .watchdog(true);
        let other = lock::blocking::Lock::new(client.clone(), &key);
        let guard = lock.acquire().unwrap();
        for _ in 0..15 {
            std::thread::sleep(Duration::from_millis(200));
            assert!(other.try_acquire().unwrap().is_none());
        }
        assert!(guard.owned().unwrap());
        assert!(!guard.lost());
        drop(guard);
        assert!(!lock.locked().unwrap(), "dropping the guard released it");
        client
            .query::<(), _>(&args(&["CONFIG", "RESETSTAT"]))
            .unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let info: String = client.query(&args(&["INFO", "commandstats"])).unwrap();
        assert_eq!(
            evalsha_calls(&info),
            0,
            "the watchdog thread still runs: {info}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acquire_gives_up_after_its_timeout() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let client = Client::open(&url(&server, proto)).unwrap();
        let key = format!("lock:busy:{proto}");
        let holder = Lock::new(client.clone(), &key).acquire().await.unwrap();
        let waiter = Lock::new(client.clone(), &key)
            .acquire_timeout(Duration::from_millis(300))
            .retry_interval(Duration::from_millis(50));
        assert!(waiter.locked().await.unwrap());
        assert!(waiter.try_acquire().await.unwrap().is_none());
        let start = Instant::now();
        let e = within(10, waiter.acquire()).await.unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(300));
        assert!(e.is_lock_not_acquired(), "{e}");
        assert_eq!(e.kind(), &ErrorKind::LockNotAcquired);
        assert_eq!(
            e.to_string(),
            format!(
                "lock not acquired: lock \"{key}\" is held by another holder; gave up after 300ms"
            )
        );
        // The holder is untouched, and the waiter gets it once released.
        assert!(holder.owned().await.unwrap());
        let waiting = tokio::spawn({
            let waiter = waiter.clone().acquire_timeout(Duration::from_secs(20));
            async move { waiter.acquire().await }
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        holder.release().await.unwrap();
        let guard = within(30, waiting).await.unwrap().unwrap();
        assert!(guard.owned().await.unwrap());
        guard.release().await.unwrap();
    }
}

#[test]
fn acquire_gives_up_after_its_timeout_blocking() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let client = Arc::new(respec::blocking::Client::open(&url(&server, proto)).unwrap());
        let key = format!("lock:busy:{proto}");
        let _holder = lock::blocking::Lock::new(client.clone(), &key)
            .acquire()
            .unwrap();
        let waiter = lock::blocking::Lock::new(client.clone(), &key)
            .acquire_timeout(Duration::from_millis(300))
            .retry_interval(Duration::from_millis(50));
        let start = Instant::now();
        // It gives up after its 300 ms, well before this bound.
        let e = {
            let waiter = waiter.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(waiter.acquire().map(drop));
            });
            rx.recv_timeout(Duration::from_secs(10))
                .expect("acquire was still trying 10 s after its 300 ms timeout")
                .unwrap_err()
        };
        let waited = start.elapsed();
        // It did keep trying for its timeout.
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        assert!(e.is_lock_not_acquired(), "{e}");
        assert!(e.to_string().contains(&format!("lock \"{key}\"")), "{e}");
    }
}

/// A token given by the caller (redis-py's `acquire(token=...)`): the key
/// holds it, the guard extends and releases with it, another token waits;
/// binary tokens pass as they are; an empty one is refused before
/// anything is sent. RESP2 and RESP3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_taken_with_the_callers_token() {
    let server = support::server(Kind::Redis);
    for proto in [2, 3] {
        let client = Client::open(&url(&server, proto)).unwrap();
        let key = format!("lock:given:{proto}");
        let lock = Lock::new(client.clone(), &key)
            .ttl(Duration::from_secs(10))
            .acquire_timeout(Duration::from_millis(200))
            .retry_interval(Duration::from_millis(20));
        let guard = within(10, lock.acquire_with_token("worker-7:run-1"))
            .await
            .unwrap();
        assert_eq!(guard.token(), b"worker-7:run-1");
        assert_eq!(get(&client, &key).await.as_deref(), Some("worker-7:run-1"));
        assert!(guard.owned().await.unwrap());
        // Another holder's token waits, and gives up.
        assert!(within(10, lock.try_acquire_with_token("worker-8"))
            .await
            .unwrap()
            .is_none());
        let e = within(10, lock.acquire_with_token("worker-8"))
            .await
            .unwrap_err();
        assert!(e.is_lock_not_acquired(), "{e}");
        guard.extend_to(Duration::from_secs(30)).await.unwrap();
        assert!(pttl(&client, &key).await > 20_000);
        guard.release().await.unwrap();
        assert_eq!(get(&client, &key).await, None);

        // A binary token, byte for byte.
        let token = [0u8, 0xff, b'\r', b'\n', 0x80];
        let guard = within(10, lock.try_acquire_with_token(token))
            .await
            .unwrap()
            .expect("free");
        let held: Option<Vec<u8>> = client.query(&args(&["GET", &key])).await.unwrap();
        assert_eq!(held.as_deref(), Some(&token[..]));
        assert_eq!(guard.token(), &token[..]);
        guard.release().await.unwrap();

        // An empty token: refused, nothing set.
        let e = within(10, lock.acquire_with_token("")).await.unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
        assert_eq!(
            e.to_string(),
            format!("invalid arguments: lock \"{key}\": the token must not be empty")
        );
        let e = within(10, lock.try_acquire_with_token(Vec::<u8>::new()))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
        assert!(!lock.locked().await.unwrap());
    }
}

/// The blocking lock with the caller's token.
#[test]
fn a_lock_taken_with_the_callers_token_blocking() {
    let server = support::server(Kind::Redis);
    let client = Arc::new(respec::blocking::Client::open(&server.url()).unwrap());
    let key = "lock:given:blocking";
    let lock = lock::blocking::Lock::new(client.clone(), key)
        .acquire_timeout(Duration::from_millis(200))
        .retry_interval(Duration::from_millis(20));
    let guard = lock.acquire_with_token("thread-3").unwrap();
    assert_eq!(guard.token(), b"thread-3");
    let held: Option<String> = client.query(&args(&["GET", key])).unwrap();
    assert_eq!(held.as_deref(), Some("thread-3"));
    assert!(lock.try_acquire_with_token("thread-4").unwrap().is_none());
    let e = lock.acquire_with_token("thread-4").unwrap_err();
    assert!(e.is_lock_not_acquired(), "{e}");
    assert!(guard.owned().unwrap());
    guard.release().unwrap();
    let e = lock.try_acquire_with_token("").unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    assert!(!lock.locked().unwrap());
    let again = lock
        .try_acquire_with_token("thread-4")
        .unwrap()
        .expect("free");
    assert_eq!(again.token(), b"thread-4");
    again.release().unwrap();
}

// ---------------------------------------------------------------------------
// Cluster

/// Keys in different slots (so on different primaries), on the async and
/// the blocking cluster clients, RESP2 and RESP3: the key is set on the
/// primary serving its slot, and acquire, extend, release and a
/// non-holder's refusal work there, also after SCRIPT FLUSH.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lock_works_on_a_cluster() {
    let cluster = Cluster::start(Kind::Redis, 3, 0);
    let keys = ["lock:a", "lock:b", "lock:c", "lock:{user:7}:profile"];
    let ports: std::collections::HashSet<u16> = keys
        .iter()
        .map(|k| cluster.primary_for_key(k.as_bytes()).port)
        .collect();
    assert!(ports.len() > 1, "the keys should span primaries");
    for proto in [2, 3] {
        let mut seeds = cluster.seed_urls();
        seeds[0] = format!("{}?protocol={proto}", seeds[0]);
        let seeds = seeds.join(",");
        let client = ClusterClient::open(&seeds).unwrap();
        let blocking = Arc::new(BlockingClusterClient::open(&seeds).unwrap());
        for port in cluster.ports() {
            cluster.call(port, &["SCRIPT", "FLUSH"]);
        }
        for key in keys {
            let node = cluster.primary_for_key(key.as_bytes()).port;
            let lock = Lock::new(client.clone(), key).ttl(Duration::from_secs(10));
            let guard = within(30, lock.acquire()).await.unwrap();
            let held = cluster.call(node, &["GET", key]).expect_text();
            assert_eq!(held.as_bytes(), guard.token(), "{key} on port {node}");
            assert!(lock.locked().await.unwrap());
            assert!(lock.try_acquire().await.unwrap().is_none());
            guard.extend(Duration::from_secs(20)).await.unwrap();
            let left = cluster.call(node, &["PTTL", key]).int().unwrap();
            assert!(left > 25_000 && left <= 30_000, "{key}: {left}");
            guard.release().await.unwrap();
            assert!(
                cluster.call(node, &["EXISTS", key]).int() == Some(0),
                "{key}"
            );

            // The blocking cluster client on the same key.
            let block = lock::blocking::Lock::new(blocking.clone(), key)
                .ttl(Duration::from_millis(200))
                .acquire_timeout(Duration::from_secs(10));
            let stale = block.acquire().unwrap();
            let held = cluster.call(node, &["GET", key]).expect_text();
            assert_eq!(held.as_bytes(), stale.token());
            stale.extend_to(Duration::from_millis(200)).unwrap();
            // It expires; the async client takes the lock; the stale
            // blocking holder is refused.
            let current = within(30, lock.acquire()).await.unwrap();
            let e = stale.extend(Duration::from_secs(5)).unwrap_err();
            assert!(e.is_lock_not_owned(), "{e}");
            assert!(e.to_string().contains(key), "{e}");
            let e = stale.release().unwrap_err();
            assert!(e.is_lock_not_owned(), "{e}");
            assert!(current.owned().await.unwrap());
            current.release().await.unwrap();
        }
    }
}

async fn cluster_get(client: &ClusterClient, key: &str) -> Option<String> {
    let frame = client.execute(&args(&["GET", key])).await.unwrap();
    respec::FromResp::from_resp(frame).unwrap()
}

/// Mutual exclusion through the cluster client: 8 tasks x 20 increments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_exclude_each_other_on_a_cluster() {
    let cluster = Cluster::start(Kind::Redis, 3, 0);
    let client = ClusterClient::open(&cluster.seed_urls().join(",")).unwrap();
    let lock = Lock::new(client.clone(), "lock:{counter}")
        .retry_interval(Duration::from_millis(2))
        .acquire_timeout(Duration::from_secs(60));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (lock, client) = (lock.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..20 {
                let guard = lock.acquire().await.unwrap();
                let n: i64 = cluster_get(&client, "{counter}")
                    .await
                    .map_or(0, |v| v.parse().unwrap());
                client
                    .execute(&args(&["SET", "{counter}", &(n + 1).to_string()]))
                    .await
                    .unwrap();
                guard.release().await.unwrap();
            }
        }));
    }
    within(120, async {
        for t in tasks {
            t.await.unwrap();
        }
    })
    .await;
    assert_eq!(
        cluster_get(&client, "{counter}").await.as_deref(),
        Some("160")
    );
}
