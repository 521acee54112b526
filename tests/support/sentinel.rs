//! A Sentinel group for the tests: a primary and two replicas (Redis
//! 7.0.15, /usr/bin/redis-server) watched by three `redis-sentinel`
//! processes (the same Debian 7.0.15), all on free loopback ports, each
//! with its own scratch folder and config file, stopped by PID on drop.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{cli_tls_args, free_port, make_certs, require, scratch_dir, Certs, Kind, Server};

/// The master name the sentinels monitor.
pub const SERVICE: &str = "mymaster";

/// How a group is set up.
#[derive(Clone, Debug, Default)]
pub struct GroupBuilder {
    data_password: Option<String>,
    sentinel_password: Option<String>,
    tls: bool,
    kind: Option<Kind>,
}

impl GroupBuilder {
    /// `requirepass` (and `masterauth`) on the data nodes.
    pub fn data_password(mut self, pw: &str) -> Self {
        self.data_password = Some(pw.into());
        self
    }

    /// `requirepass` on the sentinels (and `sentinel sentinel-pass` so
    /// they still talk to each other).
    pub fn sentinel_password(mut self, pw: &str) -> Self {
        self.sentinel_password = Some(pw.into());
        self
    }

    /// TLS only, everywhere: the data nodes and the sentinels listen on
    /// TLS ports alone (`port 0`), replicate and talk to each other over
    /// TLS (`tls-replication yes`), and ask every client for a
    /// certificate (`tls-auth-clients yes`, their default). One CA, made
    /// now, signed every certificate ([`Group::certs`]).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Which server runs the data nodes and the sentinels: Redis 7.0.15
    /// (the default; `redis-sentinel`) or Redis 8.2.3 (`redis-server
    /// --sentinel`).
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Starts the data nodes, then the sentinels, and waits until every
    /// sentinel knows both replicas and both other sentinels.
    pub fn start(self) -> Group {
        let kind = self.kind.unwrap_or(Kind::Redis7);
        assert!(
            !self.tls || kind == Kind::Redis7,
            "only Redis 7.0.15 is built with TLS"
        );
        let certs_dir = scratch_dir("sentinel-certs");
        let certs = self.tls.then(|| make_certs(&certs_dir));
        let node = |replica_of: Option<u16>| {
            let mut b = Server::builder(kind).arg("replica-announce-ip", "127.0.0.1");
            if let Some(c) = &certs {
                b = b
                    .tls_only()
                    .certs(c)
                    .arg("tls-replication", "yes")
                    .arg("tls-auth-clients", "yes");
            }
            if let Some(pw) = &self.data_password {
                b = b.password(pw).arg("masterauth", pw);
            }
            if let Some(port) = replica_of {
                b.args.push((
                    "--replicaof".into(),
                    vec!["127.0.0.1".into(), port.to_string()],
                ));
            }
            b.start()
        };
        let primary = node(None);
        let port = primary.port();
        let nodes = vec![primary, node(Some(port)), node(Some(port))];
        let group_start = Instant::now();
        for n in &nodes[1..] {
            wait_until(Duration::from_secs(20), "a replica to sync", || {
                n.cli(&["INFO", "replication"])
                    .contains("master_link_status:up")
            });
        }
        let sentinels: Vec<SentinelProc> = (0..3)
            .map(|_| SentinelProc::start(&self, kind, certs.as_ref(), port))
            .collect();
        for s in &sentinels {
            // A sentinel whose timer ran late by more than 2 s (starved on
            // a loaded machine) enters TILT mode for 30 s and neither
            // fails over nor announces anything: tests would wait on it in
            // vain. Only a 30 s stall counts here.
            let out = s.cli(&["SENTINEL", "DEBUG", "tilt-trigger", "30000"]);
            assert!(out.contains("OK"), "SENTINEL DEBUG: {out}");
        }
        let group = Group {
            nodes,
            sentinels,
            data_password: self.data_password,
            sentinel_password: self.sentinel_password,
            certs,
            certs_dir,
        };
        wait_until(Duration::from_secs(30), "the sentinels to meet", || {
            group.sentinels.iter().all(|s| {
                s.count(&["SENTINEL", "REPLICAS", SERVICE]) == 2
                    && s.count(&["SENTINEL", "SENTINELS", SERVICE]) == 2
            })
        });
        eprintln!("sentinel group ready in {:?}", group_start.elapsed());
        group
    }
}

/// Polls `check` every 20 ms until it holds, failing after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "gave up after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running group.
pub struct Group {
    /// The data nodes; `nodes[0]` was the primary at the start.
    pub nodes: Vec<Server>,
    pub sentinels: Vec<SentinelProc>,
    pub data_password: Option<String>,
    pub sentinel_password: Option<String>,
    /// The certificates of a TLS group.
    pub certs: Option<Certs>,
    certs_dir: PathBuf,
}

impl Drop for Group {
    fn drop(&mut self) {
        // The servers first: they read the certificates.
        self.sentinels.clear();
        self.nodes.clear();
        let _ = fs::remove_dir_all(&self.certs_dir);
    }
}

impl Group {
    /// A plain group.
    pub fn start() -> Group {
        Group::builder().start()
    }

    pub fn builder() -> GroupBuilder {
        GroupBuilder::default()
    }

    /// `redis+sentinel://` URL naming every sentinel, with the group's
    /// passwords.
    pub fn url(&self) -> String {
        self.url_with(&self.sentinels.iter().map(|s| s.port).collect::<Vec<_>>())
    }

    /// The URL naming the sentinels on `ports`.
    pub fn url_with(&self, ports: &[u16]) -> String {
        let hosts: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let auth = match &self.data_password {
            Some(pw) => format!(":{pw}@"),
            None => String::new(),
        };
        let scheme = if self.certs.is_some() {
            "rediss+sentinel"
        } else {
            "redis+sentinel"
        };
        let mut url = format!("{scheme}://{auth}{}/{SERVICE}", hosts.join(","));
        let mut query = Vec::new();
        if let Some(pw) = &self.sentinel_password {
            query.push(format!("sentinel_password={pw}"));
        }
        query.extend(self.tls_query());
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        url
    }

    /// The URL options that trust the group's CA and present its client
    /// certificate (none for a plain group).
    pub fn tls_query(&self) -> Vec<String> {
        match &self.certs {
            Some(c) => vec![
                format!("ssl_ca_certs={}", c.ca.display()),
                format!("ssl_certfile={}", c.client_cert.display()),
                format!("ssl_keyfile={}", c.client_key.display()),
            ],
            None => Vec::new(),
        }
    }

    /// A `redis://` (or, TLS, `rediss://`) URL of the data node on
    /// `port`, with the group's data password.
    pub fn node_url(&self, port: u16) -> String {
        let auth = match &self.data_password {
            Some(pw) => format!(":{pw}@"),
            None => String::new(),
        };
        match &self.certs {
            Some(_) => format!(
                "rediss://{auth}127.0.0.1:{port}?{}",
                self.tls_query().join("&")
            ),
            None => format!("redis://{auth}127.0.0.1:{port}"),
        }
    }

    /// A `redis://` (or `rediss://`) URL of the sentinel `index`, with
    /// the sentinels' password.
    pub fn sentinel_url(&self, index: usize) -> String {
        let port = self.sentinels[index].port;
        let auth = match &self.sentinel_password {
            Some(pw) => format!(":{pw}@"),
            None => String::new(),
        };
        match &self.certs {
            Some(_) => format!(
                "rediss://{auth}127.0.0.1:{port}?{}",
                self.tls_query().join("&")
            ),
            None => format!("redis://{auth}127.0.0.1:{port}"),
        }
    }

    /// The port of the master the first live sentinel names.
    pub fn master_port(&self) -> u16 {
        for s in self.sentinels.iter().filter(|s| s.child.is_some()) {
            let out = s.cli(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE]);
            if let Some(port) = out.lines().nth(1).and_then(|p| p.trim().parse().ok()) {
                return port;
            }
        }
        panic!("no sentinel names a master");
    }

    /// The data node on `port`.
    pub fn node(&self, port: u16) -> &Server {
        self.nodes
            .iter()
            .find(|n| n.port() == port)
            .expect("no data node on that port")
    }

    /// The data node on `port`, mutable (to kill it).
    pub fn node_mut(&mut self, port: u16) -> &mut Server {
        self.nodes
            .iter_mut()
            .find(|n| n.port() == port)
            .expect("no data node on that port")
    }

    /// Waits until a client follows the failover messages of every live
    /// sentinel (its subscriptions are in place), so that a fault made
    /// next cannot outrun them on a loaded machine.
    pub fn wait_for_watchers(&self) {
        for s in self.sentinels.iter().filter(|s| s.child.is_some()) {
            wait_until(
                Duration::from_secs(20),
                "a client to subscribe to the sentinel",
                || s.has_watcher(),
            );
        }
    }

    /// The end of every sentinel's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.sentinels.iter().enumerate() {
            let log = s.log();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(25)..];
            out.push_str(&format!("--- sentinel {i} (port {}):\n", s.port));
            for l in tail {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }

    /// A live sentinel.
    pub fn sentinel(&self) -> &SentinelProc {
        self.sentinels
            .iter()
            .find(|s| s.child.is_some())
            .expect("no sentinel is running")
    }
}

/// One `redis-sentinel` process.
pub struct SentinelProc {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
    password: Option<String>,
    certs: Option<Certs>,
}

impl SentinelProc {
    fn start(
        group: &GroupBuilder,
        kind: Kind,
        certs: Option<&Certs>,
        master_port: u16,
    ) -> SentinelProc {
        // Redis 7.0.15's own sentinel binary, or Redis 8.2.3 in sentinel
        // mode.
        let (binary, mode) = match kind {
            Kind::Redis7 => (
                require(
                    PathBuf::from("/usr/bin/redis-sentinel"),
                    "redis-sentinel 7.0.15",
                ),
                None,
            ),
            other => (other.binary(), Some("--sentinel")),
        };
        let dir = scratch_dir("sentinel");
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let listen = match certs {
                Some(c) => format!(
                    "port 0\ntls-port {port}\ntls-cert-file {}\ntls-key-file {}\n\
                     tls-ca-cert-file {}\ntls-replication yes\ntls-auth-clients yes\n",
                    c.server_cert.display(),
                    c.server_key.display(),
                    c.ca.display()
                ),
                None => format!("port {port}\n"),
            };
            let mut conf = format!(
                "{listen}bind 127.0.0.1\nprotected-mode no\ndaemonize no\n\
                 dir {dir}\nlogfile {dir}/sentinel.log\n\
                 sentinel monitor {SERVICE} 127.0.0.1 {master_port} 2\n\
                 sentinel down-after-milliseconds {SERVICE} 1000\n\
                 sentinel failover-timeout {SERVICE} 4000\n",
                dir = dir.display()
            );
            if let Some(pw) = &group.data_password {
                conf.push_str(&format!("sentinel auth-pass {SERVICE} {pw}\n"));
            }
            if let Some(pw) = &group.sentinel_password {
                conf.push_str(&format!("requirepass {pw}\nsentinel sentinel-pass {pw}\n"));
            }
            let path = dir.join("sentinel.conf");
            fs::write(&path, conf).unwrap();
            let _ = fs::remove_file(dir.join("sentinel.log"));
            let mut cmd = Command::new(&binary);
            cmd.arg(&path)
                .args(mode)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(fs::File::create(dir.join("stderr.log")).unwrap());
            unsafe {
                cmd.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
            let mut child = cmd.spawn().unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut proc = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    last = format!(
                        "exited ({status}): {}",
                        fs::read_to_string(dir.join("sentinel.log")).unwrap_or_default()
                    );
                    break None;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    break Some(SentinelProc {
                        port,
                        dir: dir.clone(),
                        child: Some(child),
                        password: group.sentinel_password.clone(),
                        certs: certs.cloned(),
                    });
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last = "not listening after 10 s".into();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(10));
            };
            if let Some(p) = proc.take() {
                return p;
            }
        }
        panic!("could not start redis-sentinel: {last}");
    }

    /// The sentinel's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("sentinel.log")).unwrap_or_default()
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Runs `redis-cli` against the sentinel.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new(require(PathBuf::from("/usr/bin/redis-cli"), "redis-cli"));
        cmd.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        if let Some(c) = &self.certs {
            cli_tls_args(&mut cmd, c);
        }
        if let Some(pw) = &self.password {
            cmd.args(["--no-auth-warning", "-a", pw]);
        }
        let out = cmd.args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The number of elements of the array a command answers (RESP2 over
    /// a raw socket), 0 for anything else. Over TLS, through `redis-cli`,
    /// for the commands whose elements are field lists with a `name`
    /// (`SENTINEL REPLICAS`, `SENTINEL SENTINELS`).
    pub fn count(&self, args: &[&str]) -> usize {
        if self.certs.is_some() {
            // redis-cli prints nested arrays flat, one field per line,
            // when its output is not a terminal.
            return self.cli(args).lines().filter(|l| *l == "name").count();
        }
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return 0;
        };
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut req = Vec::new();
        let mut push = |words: &[&str]| {
            req.extend(format!("*{}\r\n", words.len()).into_bytes());
            for w in words {
                req.extend(format!("${}\r\n{w}\r\n", w.len()).into_bytes());
            }
        };
        if let Some(pw) = &self.password {
            push(&["AUTH", pw]);
        }
        push(args);
        if s.write_all(&req).is_err() {
            return 0;
        }
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out);
        let text = text.strip_prefix("+OK\r\n").unwrap_or(&text);
        text.strip_prefix('*')
            .and_then(|t| t.split("\r\n").next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// Whether a connection to this sentinel is subscribed to two
    /// channels or more: a client following its failover messages (the
    /// tests' own listeners subscribe to one).
    pub fn has_watcher(&self) -> bool {
        self.cli(&["CLIENT", "LIST"]).lines().any(|line| {
            line.split(' ').any(|field| {
                field
                    .strip_prefix("sub=")
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(|n| n >= 2)
            })
        })
    }

    /// Kills the sentinel (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for SentinelProc {
    fn drop(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Sends `signal` to the process `pid` (a server the test started).
pub fn signal(pid: u32, signal: i32) {
    unsafe {
        libc::kill(pid as i32, signal);
    }
}
