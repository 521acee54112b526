//! A real Redis Cluster (or Valkey cluster) on loopback, for the cluster
//! tests.
//!
//! [`Cluster::start`] starts `primaries * (1 + replicas_per_primary)`
//! [`Server`]s with `cluster-enabled yes`, each with its own
//! `cluster-config-file` in its scratch folder and its cluster bus on a free
//! port of its own (`cluster-port`), and forms the cluster with the servers'
//! own commands, the way `redis-cli --cluster create` does:
//!
//! 1. `CLUSTER SET-CONFIG-EPOCH` (distinct epochs, so no collision has to be
//!    resolved), and `CLUSTER ADDSLOTSRANGE` on every primary, the 16384
//!    slots split evenly in start order (with 3 primaries: 0-5460,
//!    5461-10921, 10922-16383);
//! 2. `CLUSTER MEET 127.0.0.1 <port> <bus-port>` of every node to the first,
//!    then a wait until every node knows every other one;
//! 3. `CLUSTER REPLICATE <primary-id>` on the replicas (replica `j` of
//!    primary `i` is node `primaries + i * replicas_per_primary + j`);
//! 4. a wait (at most 20 s) until every node reports `cluster_state:ok`, all
//!    16384 slots assigned and served, and the same `CLUSTER SHARDS` as every
//!    other node, in which every node is `online` and every primary has its
//!    replicas.
//!
//! A cluster that does not converge fails the test with what each node saw
//! and the tail of each node's log.
//!
//! The nodes run with `cluster-node-timeout 2000` (a failover after a crash
//! takes 2-4 s; with 1000 a stall of this busy 2-core machine, fsyncs of
//! `nodes.conf` included, now and then made nodes flag each other and
//! answer `CLUSTERDOWN` for a moment), `cluster-replica-validity-factor 0` (a replica
//! always may take over), `cluster-allow-replica-migration no` (replicas stay
//! where they were put), `repl-diskless-sync-delay 0` (a replica syncs at
//! once), `repl-ping-replica-period 1` (a new replica has a replication
//! offset, and so is `online` in `CLUSTER SHARDS`, within a second rather
//! than ten), `appendonly no` and `save ""`.
//!
//! The fault and topology helpers ([`Cluster::kill`], [`Cluster::stop`],
//! [`Cluster::resume`], [`Cluster::restart`], [`Cluster::failover`],
//! [`Cluster::wait_for_primary_change`], [`Cluster::move_slots`]) act on one
//! node by its port and only through the processes this module started
//! (signals go to the PID it spawned, never to a name). Every wait is
//! bounded. Dropping the [`Cluster`] kills every node and removes the
//! scratch folders.
//!
//! The servers are spoken to over plain `std::net` with a small RESP2/RESP3
//! reader of this module ([`Value`], [`Conn`]), not with the crate's client,
//! so that a bug there cannot hide itself here.
//!
//! `tests/cluster_support.rs` checks every helper on Redis 8.2.3 and Valkey
//! 9.1.2; Redis 7.0.15 ([`Kind::Redis7`]) forms, reshards, fails over and
//! heals too (tried by hand, not in the suite).
//!
//! Note that a server ends with the *thread* that started it (see
//! `support`), so start and restart nodes from the test's own thread.

use super::{Kind, Server};
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The number of hash slots of a cluster.
pub const SLOTS: u16 = 16384;

/// How long formation and the other waits may take by default.
const CONVERGE: Duration = Duration::from_secs(20);

/// How often a wait polls the nodes.
const POLL: Duration = Duration::from_millis(50);

/// Read and write timeout of a connection to a node.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------
// RESP
// ---------------------------------------------------------------------------

/// One reply, RESP2 or RESP3, as the server sent it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `_` or a null bulk / null array of RESP2.
    Nil,
    /// `+...`
    Simple(String),
    /// `-...` (and `!` blob errors), the whole text (`MOVED 1 127.0.0.1:7000`).
    Error(String),
    /// `:`
    Int(i64),
    /// `$` (and `=` verbatim strings, without their `txt:` prefix).
    Bulk(Vec<u8>),
    /// `*`
    Array(Vec<Value>),
    /// `%` as key-value pairs in the server's order.
    Map(Vec<(Value, Value)>),
    /// `~`
    Set(Vec<Value>),
    /// `>`
    Push(Vec<Value>),
    /// `,`
    Double(f64),
    /// `#`
    Bool(bool),
    /// `(`
    BigNumber(String),
}

impl Value {
    /// The text of a simple string, bulk string or big number.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Simple(s) | Value::BigNumber(s) => Some(s.clone()),
            Value::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }

    /// The text, or a panic naming what came instead.
    pub fn expect_text(&self) -> String {
        self.text()
            .unwrap_or_else(|| panic!("expected a string reply, got {self}"))
    }

    /// The text, or an `Err` naming what came instead (for polling loops,
    /// where a `LOADING` error is worth another try).
    pub fn text_or_err(&self) -> Result<String, String> {
        self.text()
            .ok_or_else(|| format!("expected a string reply, got {self}"))
    }

    /// An integer (also from a string that holds one).
    pub fn int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            other => other.text().and_then(|t| t.parse().ok()),
        }
    }

    /// The elements of an array, set or push.
    pub fn items(&self) -> Option<&[Value]> {
        match self {
            Value::Array(v) | Value::Set(v) | Value::Push(v) => Some(v),
            _ => None,
        }
    }

    /// The error text, for an error reply.
    pub fn error(&self) -> Option<&str> {
        match self {
            Value::Error(e) => Some(e),
            _ => None,
        }
    }

    /// Whether this is `+OK`.
    pub fn is_ok(&self) -> bool {
        matches!(self, Value::Simple(s) if s == "OK")
    }

    /// The value under `name` in a RESP3 map or in a RESP2 array of
    /// alternating names and values (the two shapes of `CLUSTER SHARDS`).
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| k.text().as_deref() == Some(name))
                .map(|(_, v)| v),
            Value::Array(items) if items.len() % 2 == 0 => items
                .chunks(2)
                .find(|kv| kv[0].text().as_deref() == Some(name))
                .map(|kv| &kv[1]),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "(nil)"),
            Value::Simple(s) => write!(f, "{s}"),
            Value::Error(e) => write!(f, "(error) {e}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bulk(b) => write!(f, "{:?}", String::from_utf8_lossy(b)),
            Value::Double(d) => write!(f, "{d}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::BigNumber(n) => write!(f, "{n}"),
            Value::Array(v) | Value::Set(v) | Value::Push(v) => {
                write!(f, "[")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{x}")?;
                }
                write!(f, "]")
            }
            Value::Map(pairs) => {
                write!(f, "{{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                write!(f, "}}")
            }
        }
    }
}

fn bad_data(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// A plain connection to one node: one command at a time, or a pipeline.
#[derive(Debug)]
pub struct Conn {
    reader: BufReader<TcpStream>,
    port: u16,
}

impl Conn {
    /// Connects to `127.0.0.1:port` (at most 2 s), with 5 s read and write
    /// timeouts. The connection speaks RESP2 until [`Conn::hello3`].
    pub fn connect(port: u16) -> io::Result<Conn> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        s.set_read_timeout(Some(IO_TIMEOUT))?;
        s.set_write_timeout(Some(IO_TIMEOUT))?;
        s.set_nodelay(true)?;
        Ok(Conn {
            reader: BufReader::new(s),
            port,
        })
    }

    /// Switches the connection to RESP3 (`HELLO 3`).
    pub fn hello3(&mut self) -> io::Result<Value> {
        self.call(&["HELLO", "3"])
    }

    /// Sends one command and reads its reply (an error reply is a
    /// [`Value::Error`], not an `Err`).
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<Value> {
        let mut buf = Vec::new();
        encode(&mut buf, args);
        self.reader.get_mut().write_all(&buf)?;
        self.read()
    }

    /// Sends all commands in one write and reads their replies in order.
    pub fn pipeline<C, A>(&mut self, cmds: &[C]) -> io::Result<Vec<Value>>
    where
        C: AsRef<[A]>,
        A: AsRef<[u8]>,
    {
        self.send(cmds)?;
        self.recv(cmds.len())
    }

    /// Sends all commands in one write without reading (see [`Conn::recv`]).
    pub fn send<C, A>(&mut self, cmds: &[C]) -> io::Result<()>
    where
        C: AsRef<[A]>,
        A: AsRef<[u8]>,
    {
        let mut buf = Vec::new();
        for c in cmds {
            encode(&mut buf, c.as_ref());
        }
        self.reader.get_mut().write_all(&buf)
    }

    /// Reads `n` replies.
    pub fn recv(&mut self, n: usize) -> io::Result<Vec<Value>> {
        (0..n).map(|_| self.read()).collect()
    }

    /// Changes the read and write timeouts (5 s from [`Conn::connect`]).
    pub fn set_timeout(&mut self, t: Duration) -> io::Result<()> {
        self.reader.get_ref().set_read_timeout(Some(t))?;
        self.reader.get_ref().set_write_timeout(Some(t))
    }

    /// The node's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\r\n") {
            return Err(bad_data(format!(
                "port {}: connection closed inside a reply ({:?})",
                self.port,
                String::from_utf8_lossy(&line)
            )));
        }
        line.truncate(line.len() - 2);
        String::from_utf8(line).map_err(|e| bad_data(e.to_string()))
    }

    fn blob(&mut self, len: usize) -> io::Result<Vec<u8>> {
        let mut b = vec![0; len + 2];
        self.reader.read_exact(&mut b)?;
        b.truncate(len);
        Ok(b)
    }

    fn read(&mut self) -> io::Result<Value> {
        let line = self.line()?;
        let (tag, rest) = line.split_at(1.min(line.len()));
        let num = |r: &str| -> io::Result<i64> {
            r.parse()
                .map_err(|_| bad_data(format!("bad length or number {r:?}")))
        };
        Ok(match tag {
            "+" => Value::Simple(rest.into()),
            "-" => Value::Error(rest.into()),
            ":" => Value::Int(num(rest)?),
            "_" => Value::Nil,
            "#" => Value::Bool(rest == "t"),
            "," => Value::Double(
                rest.parse()
                    .map_err(|_| bad_data(format!("bad double {rest:?}")))?,
            ),
            "(" => Value::BigNumber(rest.into()),
            "$" | "=" | "!" => {
                let n = num(rest)?;
                if n < 0 {
                    return Ok(Value::Nil);
                }
                let mut b = self.blob(n as usize)?;
                match tag {
                    "!" => Value::Error(String::from_utf8_lossy(&b).into_owned()),
                    "=" => Value::Bulk(b.split_off(4.min(b.len()))),
                    _ => Value::Bulk(b),
                }
            }
            "*" | "~" | ">" => {
                let n = num(rest)?;
                if n < 0 {
                    return Ok(Value::Nil);
                }
                let v = (0..n)
                    .map(|_| self.read())
                    .collect::<io::Result<Vec<_>>>()?;
                match tag {
                    "*" => Value::Array(v),
                    "~" => Value::Set(v),
                    _ => Value::Push(v),
                }
            }
            "%" => {
                let n = num(rest)?;
                let mut pairs = Vec::new();
                for _ in 0..n {
                    pairs.push((self.read()?, self.read()?));
                }
                Value::Map(pairs)
            }
            "|" => {
                // An attribute: skip it, the reply follows.
                let n = num(rest)?;
                for _ in 0..2 * n {
                    self.read()?;
                }
                self.read()?
            }
            _ => return Err(bad_data(format!("not RESP: {line:?}"))),
        })
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        let _ = self.reader.get_ref().shutdown(Shutdown::Both);
    }
}

fn encode<A: AsRef<[u8]>>(buf: &mut Vec<u8>, args: &[A]) {
    buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        let a = a.as_ref();
        buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
}

/// The hash slot of a key (CRC16/XMODEM of the `{hash tag}` or the whole
/// key, modulo 16384), computed here so that tests can make keys for given
/// slots without a round trip; `tests/cluster_support.rs` checks it against
/// `CLUSTER KEYSLOT`.
pub fn key_slot(key: &[u8]) -> u16 {
    let mut k = key;
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                k = &key[open + 1..open + 1 + len];
            }
        }
    }
    let mut crc: u16 = 0;
    for &b in k {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc % SLOTS
}

// ---------------------------------------------------------------------------
// The cluster
// ---------------------------------------------------------------------------

/// What a node does in the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Primary,
    Replica,
}

/// Whether the node's process runs, as this module left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// Running and answering.
    Running,
    /// Frozen with SIGSTOP ([`Cluster::stop`]); [`Cluster::resume`] thaws it.
    Paused,
    /// Killed with SIGKILL ([`Cluster::kill`]); [`Cluster::restart`] brings
    /// it back.
    Down,
}

/// How [`Cluster::failover_with`] asks a replica to take over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failover {
    /// `CLUSTER FAILOVER`: coordinated with the primary, no write is lost.
    Coordinated,
    /// `CLUSTER FAILOVER FORCE`: without the primary (it may be down), with
    /// the other primaries' votes.
    Force,
    /// `CLUSTER FAILOVER TAKEOVER`: without anyone's agreement.
    Takeover,
}

/// One node as the cluster last described it (see [`Cluster::refresh`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The client port (`127.0.0.1:port`).
    pub port: u16,
    /// The cluster bus port (`cluster-port`).
    pub bus_port: u16,
    /// `CLUSTER MYID` (40 hex digits; it never changes).
    pub id: String,
    pub role: Role,
    /// For a replica: its primary's node id.
    pub primary_id: Option<String>,
    /// For a primary: the slot ranges it serves, inclusive, in order.
    pub slots: Vec<(u16, u16)>,
    /// Whether the process runs.
    pub state: NodeState,
}

impl Node {
    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT`, as in `MOVED` and `ASK` errors.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Whether it serves `slot`.
    pub fn serves(&self, slot: u16) -> bool {
        self.slots.iter().any(|&(a, b)| a <= slot && slot <= b)
    }

    /// How many slots it serves.
    pub fn slot_count(&self) -> usize {
        self.slots.iter().map(|&(a, b)| (b - a) as usize + 1).sum()
    }
}

/// One node's process and what this module knows about it.
#[derive(Debug)]
struct Member {
    server: Server,
    bus_port: u16,
    id: String,
    state: NodeState,
}

/// One line of `CLUSTER NODES`.
#[derive(Clone, Debug)]
struct NodesLine {
    id: String,
    port: u16,
    flags: Vec<String>,
    primary_id: Option<String>,
    slots: Vec<(u16, u16)>,
}

impl NodesLine {
    fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    fn role(&self) -> Role {
        if self.has("master") {
            Role::Primary
        } else {
            Role::Replica
        }
    }
}

fn parse_nodes(text: &str) -> Vec<NodesLine> {
    let mut out = Vec::new();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 8 {
            continue;
        }
        // ip:port@cport[,hostname]
        let port = w[1]
            .split('@')
            .next()
            .and_then(|a| a.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let mut slots = Vec::new();
        for s in &w[8..] {
            if s.starts_with('[') {
                continue; // [slot->-id] migrating, [slot-<-id] importing
            }
            let (a, b) = s.split_once('-').unwrap_or((s, s));
            if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
                slots.push((a, b));
            }
        }
        slots.sort_unstable();
        out.push(NodesLine {
            id: w[0].to_string(),
            port,
            flags: w[2].split(',').map(str::to_string).collect(),
            primary_id: (w[3] != "-").then(|| w[3].to_string()),
            slots,
        });
    }
    out
}

/// One node in one `CLUSTER SHARDS` view, reduced to what must agree.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ShardNode {
    port: u16,
    role: String,
    health: String,
}

/// One shard in one `CLUSTER SHARDS` view.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Shard {
    slots: Vec<(u16, u16)>,
    nodes: Vec<ShardNode>,
}

fn parse_shards(v: &Value) -> Result<Vec<Shard>, String> {
    let shards = v
        .items()
        .ok_or_else(|| format!("CLUSTER SHARDS: not an array: {v}"))?;
    let mut out = Vec::new();
    for s in shards {
        let slots = s
            .field("slots")
            .and_then(Value::items)
            .ok_or_else(|| format!("CLUSTER SHARDS: a shard without slots: {s}"))?;
        let bounds: Vec<u16> = slots
            .iter()
            .filter_map(|x| x.int())
            .map(|x| x as u16)
            .collect();
        let mut ranges: Vec<(u16, u16)> = bounds.chunks(2).map(|p| (p[0], p[1])).collect();
        ranges.sort_unstable();
        let nodes = s
            .field("nodes")
            .and_then(Value::items)
            .ok_or_else(|| format!("CLUSTER SHARDS: a shard without nodes: {s}"))?;
        let mut ns = Vec::new();
        for n in nodes {
            let get = |k: &str| n.field(k).and_then(Value::text).unwrap_or_default();
            ns.push(ShardNode {
                port: n.field("port").and_then(Value::int).unwrap_or(0) as u16,
                role: get("role"),
                health: get("health"),
            });
        }
        ns.sort();
        out.push(Shard {
            slots: ranges,
            nodes: ns,
        });
    }
    out.sort();
    Ok(out)
}

/// How many slots [`Cluster::move_slots`] moves at a time.
const MOVE_BATCH: usize = 32;

/// Sends `cmds` to every node, each command on a connection of its own
/// (`cmds[i]` on `conns[i % n]`), all before reading any reply, then reads
/// every reply and asserts each is `+OK`. One connection per command lets a
/// node run them in one event loop turn even when each one blocks until
/// its replicas have applied it (Valkey's `SETSLOT`), so that the node
/// saves `nodes.conf` once for all of them.
fn all_ok(nodes: &mut [&mut Vec<Conn>], cmds: &[Vec<String>]) {
    for conns in nodes.iter_mut() {
        let n = conns.len();
        for (j, c) in conns.iter_mut().enumerate() {
            let mine: Vec<&Vec<String>> = cmds.iter().skip(j).step_by(n).collect();
            c.send(&mine)
                .unwrap_or_else(|e| panic!("port {}: {e}", c.port()));
        }
    }
    for conns in nodes.iter_mut() {
        let n = conns.len();
        for (j, c) in conns.iter_mut().enumerate() {
            let port = c.port();
            let mine: Vec<&Vec<String>> = cmds.iter().skip(j).step_by(n).collect();
            let replies = c
                .recv(mine.len())
                .unwrap_or_else(|e| panic!("port {port}: {e}"));
            for (cmd, reply) in mine.iter().zip(replies) {
                assert!(
                    reply.is_ok(),
                    "{} on port {port} answered {reply}",
                    cmd.join(" ")
                );
            }
        }
    }
}

fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines().find_map(|l| {
        l.strip_prefix(name)
            .and_then(|r| r.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    })
}

/// A running cluster; dropped, every node is killed and its files removed.
#[derive(Debug)]
pub struct Cluster {
    kind: Kind,
    primaries: usize,
    replicas_per_primary: usize,
    members: Vec<Member>,
    topology: Vec<Node>,
}

impl Cluster {
    /// Starts and forms a cluster of `primaries` primaries with
    /// `replicas_per_primary` replicas each (see the module documentation),
    /// and waits until every node agrees on it. Panics, with what the nodes
    /// saw and their log tails, when it does not form within 20 s.
    pub fn start(kind: Kind, primaries: usize, replicas_per_primary: usize) -> Cluster {
        Cluster::start_with(kind, primaries, replicas_per_primary, &[])
    }

    /// [`Cluster::start`] with more server options for every node
    /// (`&[("cluster-node-timeout", "5000")]`; later options win).
    pub fn start_with(
        kind: Kind,
        primaries: usize,
        replicas_per_primary: usize,
        args: &[(&str, &str)],
    ) -> Cluster {
        assert!(
            (1..=SLOTS as usize).contains(&primaries),
            "a cluster needs 1 to 16384 primaries"
        );
        let total = primaries * (1 + replicas_per_primary);
        let mut members = Vec::with_capacity(total);
        for _ in 0..total {
            let start = |bus_port: u16| {
                let mut b = Server::builder(kind)
                    .arg("cluster-enabled", "yes")
                    .arg("cluster-config-file", "nodes.conf")
                    .arg("cluster-port", &bus_port.to_string())
                    .arg("cluster-node-timeout", "2000")
                    .arg("cluster-replica-validity-factor", "0")
                    .arg("cluster-allow-replica-migration", "no")
                    .arg("repl-diskless-sync-delay", "0")
                    .arg("repl-ping-replica-period", "1")
                    .arg("appendonly", "no")
                    .arg("save", "");
                for (k, v) in args {
                    b = b.arg(k, v);
                }
                b.start()
            };
            // The bus port is free when picked but may be taken before the
            // server binds it; `Builder::start` retries only the client port.
            let mut attempt = 0;
            let (server, bus_port) = loop {
                attempt += 1;
                let bus_port = super::free_port();
                if attempt == 3 {
                    break (start(bus_port), bus_port);
                }
                let run =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| start(bus_port)));
                if let Ok(server) = run {
                    break (server, bus_port);
                }
            };
            members.push(Member {
                server,
                bus_port,
                id: String::new(),
                state: NodeState::Running,
            });
        }
        let mut c = Cluster {
            kind,
            primaries,
            replicas_per_primary,
            members,
            topology: Vec::new(),
        };
        c.form();
        c
    }

    fn form(&mut self) {
        let started = Instant::now();
        for i in 0..self.members.len() {
            let port = self.members[i].server.port();
            self.members[i].id = self.call(port, &["CLUSTER", "MYID"]).expect_text();
            let epoch = (i + 1).to_string();
            self.ok(port, &["CLUSTER", "SET-CONFIG-EPOCH", &epoch]);
        }
        // The slots, split evenly in start order of the primaries.
        let p = self.primaries;
        for i in 0..p {
            let from = (SLOTS as usize * i / p).to_string();
            let to = (SLOTS as usize * (i + 1) / p - 1).to_string();
            let port = self.members[i].server.port();
            self.ok(port, &["CLUSTER", "ADDSLOTSRANGE", &from, &to]);
        }
        let (first_port, first_bus) = (self.members[0].server.port(), self.members[0].bus_port);
        let (fp, fb) = (first_port.to_string(), first_bus.to_string());
        for m in &self.members[1..] {
            let port = m.server.port();
            self.ok(port, &["CLUSTER", "MEET", "127.0.0.1", &fp, &fb]);
        }
        let total = self.members.len();
        let met = started.elapsed();
        self.wait("every node to know every other node", CONVERGE, |c| {
            for m in &c.members {
                let port = m.server.port();
                let lines = parse_nodes(&c.try_call(port, &["CLUSTER", "NODES"])?.text_or_err()?);
                let known = lines
                    .iter()
                    .filter(|l| !l.has("handshake") && !l.has("noaddr"))
                    .count();
                if known != total {
                    return Err(format!("port {port} knows {known} of {total} nodes"));
                }
            }
            Ok(())
        });
        for i in 0..p {
            let primary_id = self.members[i].id.clone();
            for j in 0..self.replicas_per_primary {
                let port = self.members[p + i * self.replicas_per_primary + j]
                    .server
                    .port();
                self.ok(port, &["CLUSTER", "REPLICATE", &primary_id]);
            }
        }
        let replicated = started.elapsed();
        self.wait_converged(CONVERGE);
        eprintln!(
            "cluster of {:?}: {} primaries + {} replicas formed in {:?} \
             (slots and MEET sent after {met:?}, all nodes known and REPLICATE sent after \
             {replicated:?}; ports {:?})",
            self.kind,
            p,
            p * self.replicas_per_primary,
            started.elapsed(),
            self.ports()
        );
    }

    // -- accessors ----------------------------------------------------------

    /// Which binary runs.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Every node's client port, in start order (primaries first).
    pub fn ports(&self) -> Vec<u16> {
        self.members.iter().map(|m| m.server.port()).collect()
    }

    /// `redis://127.0.0.1:PORT` of every node, in start order.
    pub fn seed_urls(&self) -> Vec<String> {
        self.members.iter().map(|m| m.server.url()).collect()
    }

    /// One seed: the first running node.
    pub fn url(&self) -> String {
        self.members
            .iter()
            .find(|m| m.state == NodeState::Running)
            .expect("no node of the cluster runs")
            .server
            .url()
    }

    /// The nodes as last described ([`Cluster::refresh`] runs after every
    /// helper of this module; call it yourself after a change the servers
    /// made on their own).
    pub fn nodes(&self) -> &[Node] {
        &self.topology
    }

    /// The primaries, in slot order.
    pub fn primaries(&self) -> Vec<&Node> {
        let mut p: Vec<&Node> = self
            .topology
            .iter()
            .filter(|n| n.role == Role::Primary && !n.slots.is_empty())
            .collect();
        p.sort_by_key(|n| n.slots[0]);
        p
    }

    /// The port of a primary other than the one on `port`: the first in
    /// slot order (where a test moves a slot to).
    pub fn other_primary(&self, port: u16) -> u16 {
        self.primaries()
            .iter()
            .map(|n| n.port)
            .find(|&p| p != port)
            .unwrap_or_else(|| panic!("no primary other than {port}"))
    }

    /// The replicas of the node on `primary_port`.
    pub fn replicas_of(&self, primary_port: u16) -> Vec<&Node> {
        let id = &self.node_by_port(primary_port).id;
        self.topology
            .iter()
            .filter(|n| n.primary_id.as_ref() == Some(id) && n.role == Role::Replica)
            .collect()
    }

    /// The primary serving `slot`.
    pub fn primary_for_slot(&self, slot: u16) -> &Node {
        self.topology
            .iter()
            .find(|n| n.role == Role::Primary && n.serves(slot))
            .unwrap_or_else(|| panic!("no primary serves slot {slot}: {:#?}", self.topology))
    }

    /// The primary serving `key`'s slot.
    pub fn primary_for_key(&self, key: &[u8]) -> &Node {
        self.primary_for_slot(key_slot(key))
    }

    /// The node on `port`.
    pub fn node_by_port(&self, port: u16) -> &Node {
        self.topology
            .iter()
            .find(|n| n.port == port)
            .unwrap_or_else(|| panic!("no node of the cluster on port {port}"))
    }

    /// The node with that id.
    pub fn node_by_id(&self, id: &str) -> &Node {
        self.topology
            .iter()
            .find(|n| n.id == id)
            .unwrap_or_else(|| panic!("no node of the cluster has id {id}"))
    }

    /// The [`Server`] on `port` (for its log, `pid`, `raw` and `cli`).
    pub fn server(&self, port: u16) -> &Server {
        &self.member(port).server
    }

    fn member(&self, port: u16) -> &Member {
        self.members
            .iter()
            .find(|m| m.server.port() == port)
            .unwrap_or_else(|| panic!("no node of the cluster on port {port}"))
    }

    fn member_mut(&mut self, port: u16) -> &mut Member {
        self.members
            .iter_mut()
            .find(|m| m.server.port() == port)
            .unwrap_or_else(|| panic!("no node of the cluster on port {port}"))
    }

    /// A new plain connection to the node on `port`.
    pub fn conn(&self, port: u16) -> Conn {
        Conn::connect(port).unwrap_or_else(|e| panic!("connecting to port {port}: {e}"))
    }

    /// Runs one command on the node on `port` over a fresh connection; an
    /// error reply is returned as [`Value::Error`], a failed connection is a
    /// panic.
    pub fn call(&self, port: u16, args: &[&str]) -> Value {
        self.try_call(port, args)
            .unwrap_or_else(|e| panic!("{} on port {port}: {e}", args.join(" ")))
    }

    /// [`Cluster::call`] that reports connection failures (and timeouts)
    /// instead of panicking.
    pub fn try_call(&self, port: u16, args: &[&str]) -> Result<Value, String> {
        let mut c = Conn::connect(port).map_err(|e| format!("port {port}: {e}"))?;
        c.call(args).map_err(|e| format!("port {port}: {e}"))
    }

    /// Runs `redis-cli` against the node on `port` (text, as it prints).
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        self.server(port).cli(args)
    }

    fn ok(&self, port: u16, args: &[&str]) {
        let v = self.call(port, args);
        assert!(v.is_ok(), "{} on port {port} answered {v}", args.join(" "));
    }

    /// The last lines of every node's log, for failure messages.
    pub fn log_tails(&self, lines: usize) -> String {
        let mut out = String::new();
        for m in &self.members {
            let log = m.server.log();
            let all: Vec<&str> = log.lines().collect();
            out.push_str(&format!(
                "--- port {} ({:?}, id {}) log tail:\n",
                m.server.port(),
                m.state,
                m.id
            ));
            for l in &all[all.len().saturating_sub(lines)..] {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }

    // -- waiting ------------------------------------------------------------

    /// Polls `check` until it passes; after `bound`, panics with the last
    /// reason and the nodes' log tails. Returns how long it took.
    fn wait(
        &self,
        what: &str,
        bound: Duration,
        mut check: impl FnMut(&Self) -> Result<(), String>,
    ) -> Duration {
        let start = Instant::now();
        loop {
            match check(self) {
                Ok(()) => return start.elapsed(),
                Err(e) if start.elapsed() > bound => panic!(
                    "the {:?} cluster: gave up waiting for {what} after {:?}; last: {e}\n{}",
                    self.kind,
                    start.elapsed(),
                    self.log_tails(15)
                ),
                Err(_) => std::thread::sleep(POLL),
            }
        }
    }

    fn running_ports(&self) -> Vec<u16> {
        self.members
            .iter()
            .filter(|m| m.state == NodeState::Running)
            .map(|m| m.server.port())
            .collect()
    }

    /// Whether the cluster is settled, as every running node sees it:
    /// `cluster_state:ok`, all 16384 slots assigned and ok, and one and the
    /// same `CLUSTER SHARDS` on every running node (counting only running
    /// nodes), in which every running node is `online` and each shard has
    /// one running primary. When every node runs, also the shape asked for
    /// at the start: that many shards, each a primary with all its
    /// replicas.
    pub fn check_converged(&self) -> Result<(), String> {
        let running = self.running_ports();
        let all_run = running.len() == self.members.len();
        let mut first: Option<(u16, Vec<Shard>)> = None;
        for &port in &running {
            let info = self.try_call(port, &["CLUSTER", "INFO"])?.text_or_err()?;
            for (k, want) in [
                ("cluster_state", "ok".to_string()),
                ("cluster_slots_assigned", SLOTS.to_string()),
                ("cluster_slots_ok", SLOTS.to_string()),
            ] {
                let got = info_field(&info, k).unwrap_or_default();
                if got != want {
                    return Err(format!("port {port}: {k}:{got}"));
                }
            }
            let shards = parse_shards(&self.try_call(port, &["CLUSTER", "SHARDS"])?)?;
            // Only what the running nodes are must agree; a down node's
            // entry is whatever each peer last heard.
            let mut view: Vec<Shard> = shards
                .iter()
                .map(|s| Shard {
                    slots: s.slots.clone(),
                    nodes: s
                        .nodes
                        .iter()
                        .filter(|n| running.contains(&n.port))
                        .cloned()
                        .collect(),
                })
                // Redis 7.0 lists a failed primary that lost its slots as a
                // shard of its own, without slots.
                .filter(|s| !(s.slots.is_empty() && s.nodes.is_empty()))
                .collect();
            view.sort();
            for &p in &running {
                let found: Vec<&ShardNode> = view
                    .iter()
                    .flat_map(|s| &s.nodes)
                    .filter(|n| n.port == p)
                    .collect();
                if found.len() != 1 || found[0].health != "online" {
                    return Err(format!("port {port} sees port {p} as {found:?}"));
                }
            }
            for s in &view {
                let primaries = s.nodes.iter().filter(|n| n.role == "master").count();
                if primaries != 1 {
                    return Err(format!(
                        "port {port}: a shard with {primaries} running primaries: {s:?}"
                    ));
                }
            }
            if all_run {
                // A primary may have given all its slots away; it still
                // leads a shard.
                if view.len() != self.primaries {
                    return Err(format!(
                        "port {port}: {} shards, want {}",
                        view.len(),
                        self.primaries
                    ));
                }
                if let Some(s) = view
                    .iter()
                    .find(|s| s.nodes.len() != 1 + self.replicas_per_primary)
                {
                    return Err(format!(
                        "port {port}: a shard without all its replicas: {s:?}"
                    ));
                }
            }
            match &first {
                None => first = Some((port, view)),
                Some((p0, v0)) if *v0 != view => {
                    return Err(format!("ports {p0} and {port} disagree:\n{v0:?}\n{view:?}"))
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Waits (at most `bound`) until [`Cluster::check_converged`] passes,
    /// then refreshes [`Cluster::nodes`]. Returns how long it took.
    pub fn wait_converged(&mut self, bound: Duration) -> Duration {
        let took = self.wait("the cluster to settle", bound, Cluster::check_converged);
        self.refresh();
        took
    }

    /// Reads the topology again: each running node's role, primary and
    /// slots from its own `myself` line of `CLUSTER NODES`; a node that does
    /// not run as its peers last heard of it.
    pub fn refresh(&mut self) {
        let mut views: Vec<(u16, Vec<NodesLine>)> = Vec::new();
        for port in self.running_ports() {
            let text = self.call(port, &["CLUSTER", "NODES"]).expect_text();
            views.push((port, parse_nodes(&text)));
        }
        let mut topology = Vec::new();
        for m in &self.members {
            let port = m.server.port();
            let line = views
                .iter()
                .find(|(p, _)| *p == port)
                .and_then(|(_, v)| v.iter().find(|l| l.has("myself")))
                .or_else(|| {
                    views
                        .iter()
                        .find_map(|(_, v)| v.iter().find(|l| l.id == m.id))
                });
            let Some(l) = line else {
                panic!("no running node knows node {} (port {port})", m.id);
            };
            topology.push(Node {
                port,
                bus_port: m.bus_port,
                id: m.id.clone(),
                role: l.role(),
                primary_id: l.primary_id.clone(),
                slots: l.slots.clone(),
                state: m.state,
            });
        }
        self.topology = topology;
    }

    // -- faults -------------------------------------------------------------

    /// Kills the node on `port` at once (SIGKILL to the PID this module
    /// started), as a crash would. The topology is not refreshed: its peers
    /// notice only after `cluster-node-timeout`.
    pub fn kill(&mut self, port: u16) {
        let m = self.member_mut(port);
        m.server.kill(); // SIGKILL ends a frozen (SIGSTOP) process too
        m.state = NodeState::Down;
        self.set_state(port, NodeState::Down);
    }

    /// Freezes the node on `port` (SIGSTOP): its sockets stay open but it
    /// answers nothing, like a hung host.
    pub fn stop(&mut self, port: u16) {
        self.signal(port, libc::SIGSTOP);
        self.member_mut(port).state = NodeState::Paused;
        self.set_state(port, NodeState::Paused);
    }

    /// Thaws a node frozen with [`Cluster::stop`] (SIGCONT).
    pub fn resume(&mut self, port: u16) {
        self.signal(port, libc::SIGCONT);
        self.member_mut(port).state = NodeState::Running;
        self.set_state(port, NodeState::Running);
    }

    fn signal(&self, port: u16, sig: i32) {
        let pid = self
            .server(port)
            .pid()
            .unwrap_or_else(|| panic!("the node on port {port} does not run"));
        let r = unsafe { libc::kill(pid as i32, sig) };
        assert_eq!(r, 0, "kill({pid}, {sig}): {}", io::Error::last_os_error());
    }

    fn set_state(&mut self, port: u16, state: NodeState) {
        if let Some(n) = self.topology.iter_mut().find(|n| n.port == port) {
            n.state = state;
        }
    }

    /// Starts the node on `port` again (after [`Cluster::kill`], or stops
    /// it first with SIGTERM) with the same ports and `nodes.conf`, so that
    /// it rejoins with its node id, and waits (at most 20 s) until the
    /// cluster has settled with it: a primary that was failed over comes
    /// back as a replica of its successor. Returns how long the wait took.
    pub fn restart(&mut self, port: u16) -> Duration {
        let m = self.member_mut(port);
        if m.state == NodeState::Paused {
            if let Some(pid) = m.server.pid() {
                unsafe { libc::kill(pid as i32, libc::SIGCONT) };
            }
        }
        m.server.start_again();
        m.state = NodeState::Running;
        self.set_state(port, NodeState::Running);
        let id = self.call(port, &["CLUSTER", "MYID"]).expect_text();
        assert_eq!(
            id,
            self.member(port).id,
            "the node on port {port} came back with another id"
        );
        self.wait_converged(CONVERGE)
    }

    /// `CLUSTER FAILOVER` on the replica on `replica_port`, then a wait (at
    /// most 20 s) until it is a primary and the cluster has settled (its old
    /// primary, if it runs, is now its replica). Returns how long it took.
    pub fn failover(&mut self, replica_port: u16) -> Duration {
        self.failover_with(replica_port, Failover::Coordinated)
    }

    /// [`Cluster::failover`] with `FORCE` or `TAKEOVER`.
    pub fn failover_with(&mut self, replica_port: u16, how: Failover) -> Duration {
        let start = Instant::now();
        let mut args = vec!["CLUSTER", "FAILOVER"];
        match how {
            Failover::Coordinated => {}
            Failover::Force => args.push("FORCE"),
            Failover::Takeover => args.push("TAKEOVER"),
        }
        self.ok(replica_port, &args);
        self.wait("the replica to become a primary", CONVERGE, |c| {
            let text = c
                .try_call(replica_port, &["CLUSTER", "NODES"])?
                .text_or_err()?;
            let me = parse_nodes(&text)
                .into_iter()
                .find(|l| l.has("myself"))
                .ok_or("no myself line")?;
            if me.role() == Role::Primary && !me.slots.is_empty() {
                Ok(())
            } else {
                Err(format!("port {replica_port} is {:?}", me.flags))
            }
        });
        self.wait_converged(CONVERGE);
        start.elapsed()
    }

    /// Waits (at most `bound`) until another node serves the slots that the
    /// primary on `old_primary_port` served (as [`Cluster::nodes`] last
    /// said), in the view of every running node, and every running node
    /// reports `cluster_state:ok`. Returns the new primary's port and how
    /// long the wait took; refreshes the topology.
    pub fn wait_for_primary_change(
        &mut self,
        old_primary_port: u16,
        bound: Duration,
    ) -> (u16, Duration) {
        let old = self.node_by_port(old_primary_port).clone();
        assert!(
            old.role == Role::Primary && !old.slots.is_empty(),
            "port {old_primary_port} served no slots: {old:?}"
        );
        let slot = old.slots[0].0;
        let mut new_port = 0;
        let took = self.wait("another primary to take over", bound, |c| {
            let mut owner: Option<u16> = None;
            for port in c.running_ports() {
                let info = c.try_call(port, &["CLUSTER", "INFO"])?.text_or_err()?;
                let state = info_field(&info, "cluster_state").unwrap_or_default();
                if state != "ok" {
                    return Err(format!("port {port}: cluster_state:{state}"));
                }
                let text = c.try_call(port, &["CLUSTER", "NODES"])?.text_or_err()?;
                let lines = parse_nodes(&text);
                let o = lines
                    .iter()
                    .find(|l| {
                        l.has("master") && l.slots.iter().any(|&(a, b)| a <= slot && slot <= b)
                    })
                    .ok_or_else(|| format!("port {port}: nobody serves slot {slot}"))?;
                if o.id == old.id {
                    return Err(format!(
                        "port {port}: the old primary still serves slot {slot}"
                    ));
                }
                match owner {
                    None => owner = Some(o.port),
                    Some(p) if p != o.port => {
                        return Err(format!("nodes disagree who serves slot {slot}"))
                    }
                    Some(_) => {}
                }
            }
            new_port = owner.ok_or("no node runs")?;
            Ok(())
        });
        self.refresh();
        (new_port, took)
    }

    // -- resharding ---------------------------------------------------------

    /// Moves `slots` from the primary on `from_port` to the primary on
    /// `to_port` with the server's own resharding flow (the one of
    /// `redis-cli --cluster reshard`), for groups of up to 32 slots at a
    /// time: `CLUSTER SETSLOT <slot> IMPORTING <from-id>` on the target,
    /// `MIGRATING <to-id>` on the source, then for each slot
    /// `CLUSTER GETKEYSINSLOT <slot> 100` + `MIGRATE 127.0.0.1 <port> "" 0
    /// 10000 KEYS ...` until the slot is empty on the source, then
    /// `SETSLOT <slot> NODE <to-id>` on the target, and then on the source
    /// and every other running primary at once. The `SETSLOT`s of a group
    /// reach a node together, so that it saves `nodes.conf` (with an fsync)
    /// once per event loop turn rather than once per slot.
    ///
    /// Clients may write meanwhile: they get `ASK` for a key already moved
    /// while its slot moves, `TRYAGAIN` for a multi-key command whose keys
    /// are split, and `MOVED` to the target afterwards. Waits until the
    /// cluster has settled and returns the number of keys moved.
    ///
    /// On Valkey each `SETSLOT` carries `TIMEOUT 20000` (how long it may
    /// wait for the primary's replicas; 2 s by default, which a busy machine
    /// exceeded).
    ///
    /// Speed, on the 2-core test machine with 3 keys a slot: Redis 8.2.3
    /// moves 300 slots in about 0.3-0.5 s, Valkey 9.1.2 in about 1.2 s.
    /// Valkey (since 8.0) answers a `SETSLOT` on a primary only once the
    /// primary's replicas have applied it (each saving its `nodes.conf`),
    /// which is why the `SETSLOT`s of a group go out on one connection each
    /// (see `all_ok`); sent one after another, Valkey took 4-5 s.
    pub fn move_slots(
        &mut self,
        slots: impl IntoIterator<Item = u16>,
        from_port: u16,
        to_port: u16,
    ) -> usize {
        let from_id = self.node_by_port(from_port).id.clone();
        let to_id = self.node_by_port(to_port).id.clone();
        let others: Vec<u16> = self
            .topology
            .iter()
            .filter(|n| {
                n.role == Role::Primary
                    && n.state == NodeState::Running
                    && n.port != from_port
                    && n.port != to_port
            })
            .map(|n| n.port)
            .collect();
        let pool = |port: u16| -> Vec<Conn> { (0..MOVE_BATCH).map(|_| self.conn(port)).collect() };
        let mut src = self.conn(from_port);
        let (mut srcs, mut dsts) = (pool(from_port), pool(to_port));
        let mut rest: Vec<Vec<Conn>> = others.iter().map(|&p| pool(p)).collect();
        let to = to_port.to_string();
        let slots: Vec<String> = slots.into_iter().map(|s| s.to_string()).collect();
        let mut moved = 0;
        for batch in slots.chunks(MOVE_BATCH) {
            // Valkey waits for the primary's replicas to apply a SETSLOT, 2 s
            // by default, then answers NOREPLICAS without applying it; on a
            // busy machine that wait needs more room.
            let valkey = self.kind == Kind::Valkey;
            let setslot = |how: &str, id: &str| -> Vec<Vec<String>> {
                batch
                    .iter()
                    .map(|s| {
                        let mut cmd: Vec<String> = vec![
                            "CLUSTER".into(),
                            "SETSLOT".into(),
                            s.clone(),
                            how.into(),
                            id.into(),
                        ];
                        if valkey {
                            cmd.extend(["TIMEOUT".into(), "20000".into()]);
                        }
                        cmd
                    })
                    .collect()
            };
            all_ok(&mut [&mut dsts], &setslot("IMPORTING", &from_id));
            all_ok(&mut [&mut srcs], &setslot("MIGRATING", &to_id));
            for s in batch {
                let deadline = Instant::now() + CONVERGE;
                loop {
                    let keys = src
                        .call(&["CLUSTER", "GETKEYSINSLOT", s, "100"])
                        .unwrap_or_else(|e| panic!("GETKEYSINSLOT {s} on port {from_port}: {e}"));
                    let keys: Vec<Vec<u8>> = keys
                        .items()
                        .unwrap_or_else(|| panic!("GETKEYSINSLOT {s}: {keys}"))
                        .iter()
                        .map(|k| match k {
                            Value::Bulk(b) => b.clone(),
                            other => panic!("GETKEYSINSLOT {s}: a key {other}"),
                        })
                        .collect();
                    if keys.is_empty() {
                        break;
                    }
                    let mut args: Vec<Vec<u8>> =
                        ["MIGRATE", "127.0.0.1", &to, "", "0", "10000", "KEYS"]
                            .iter()
                            .map(|a| a.as_bytes().to_vec())
                            .collect();
                    args.extend(keys.iter().cloned());
                    let v = src
                        .call(&args)
                        .unwrap_or_else(|e| panic!("MIGRATE of slot {s} on port {from_port}: {e}"));
                    if v.is_ok() {
                        moved += keys.len();
                        continue;
                    }
                    // NOKEY: the keys went away in the meantime. CLUSTERDOWN
                    // (from the target, after a stall of the machine made
                    // the nodes doubt each other): the keys stay on the
                    // source; try again once the cluster is up.
                    let text = v.text().or_else(|| v.error().map(str::to_string));
                    let text = text.unwrap_or_default();
                    if text == "NOKEY" {
                        continue;
                    }
                    if text.contains("CLUSTERDOWN") && Instant::now() < deadline {
                        std::thread::sleep(POLL);
                        continue;
                    }
                    panic!(
                        "MIGRATE of slot {s} from port {from_port} to {to_port}: {v}\n{}",
                        self.log_tails(30)
                    );
                }
            }
            // The target first: were the source first, a client it sends to
            // the target would be sent back.
            let node = setslot("NODE", &to_id);
            all_ok(&mut [&mut dsts], &node);
            let mut conns: Vec<&mut Vec<Conn>> =
                std::iter::once(&mut srcs).chain(rest.iter_mut()).collect();
            all_ok(&mut conns, &node);
        }
        self.wait_converged(CONVERGE);
        moved
    }
}
