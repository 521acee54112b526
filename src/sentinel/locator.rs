//! Where a Sentinel-following connection goes: discovery, the ROLE check,
//! and the generation that tells connections to an old master apart.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Role, SentinelConfig, Switch};
use crate::cmd::Cmd;
use crate::connection::{Addr, ConnectionConfig, ServerInfo};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::Frame;

/// Discovery rounds per connection attempt.
const ROUNDS: u32 = 3;
/// How long a replica the leading sentinel is promoting may still answer
/// `ROLE` with `slave` before it is given up.
const PROMOTION_WAIT: Duration = Duration::from_secs(2);
/// How often such a replica is asked again.
const PROMOTION_POLL: Duration = Duration::from_millis(5);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What is known of the master beyond the sentinels' answers.
#[derive(Debug, Default)]
struct State {
    /// An address the sentinels' messages announced, used before asking
    /// them (they may still name the old master for a moment), until a
    /// connection to it fails.
    hint: Option<(Addr, Hint)>,
    /// The master the last master connection opened to.
    connected: Option<Addr>,
    /// When the message behind the current hint arrived.
    announced_at: Option<Instant>,
    last_switch: Option<Switch>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    /// From `+switch-master`.
    Announced,
    /// From `+failover-state-wait-promotion`: the replica was told to
    /// become master at this moment and may not have yet.
    Promoting(Instant),
}

/// What every connection of one [`Sentinel`](super::Sentinel) shares.
pub(crate) struct Shared {
    service: String,
    sentinels: Mutex<Vec<Addr>>,
    /// Settings for sentinel connections, but for the address.
    sentinel_cfg: ConnectionConfig,
    /// Bumped each time the connections in use must be replaced (a new
    /// master); a connection made at an older one counts as closed.
    generation: AtomicU64,
    /// The same number, for waiting on its changes.
    changed: tokio::sync::watch::Sender<u64>,
    state: Mutex<State>,
    next_replica: AtomicUsize,
    follow_events: bool,
    pub(super) thread_watchers: AtomicBool,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sentinels")
            .field("service", &self.service)
            .field("sentinels", &*lock(&self.sentinels))
            .field("generation", &self.generation())
            .finish()
    }
}

impl Shared {
    pub(super) fn new(config: &SentinelConfig) -> Arc<Self> {
        let sentinel_cfg = ConnectionConfig {
            username: config.sentinel_username.clone(),
            password: config.sentinel_password.clone(),
            tls: config.sentinel_tls.clone(),
            connect_timeout: Some(config.sentinel_timeout),
            response_timeout: Some(config.sentinel_timeout),
            reconnect: config.node.reconnect,
            set_lib_info: config.node.set_lib_info,
            ..ConnectionConfig::default()
        };
        Arc::new(Shared {
            service: config.service_name.clone(),
            sentinels: Mutex::new(config.sentinels.clone()),
            sentinel_cfg,
            generation: AtomicU64::new(0),
            changed: tokio::sync::watch::Sender::new(0),
            state: Mutex::new(State::default()),
            next_replica: AtomicUsize::new(0),
            follow_events: config.follow_events,
            thread_watchers: AtomicBool::new(false),
        })
    }

    /// True when the watcher threads were started already (marks them so).
    pub(super) fn thread_watchers_started(&self) -> bool {
        self.thread_watchers.swap(true, Ordering::AcqRel)
    }

    pub(super) fn service(&self) -> &str {
        &self.service
    }

    pub(super) fn sentinel_list(&self) -> Vec<Addr> {
        lock(&self.sentinels).clone()
    }

    pub(super) fn last_switch(&self) -> Option<Switch> {
        lock(&self.state).last_switch.clone()
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Every connection in use counts as closed from now on.
    fn bump(&self) {
        let g = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.changed.send_replace(g);
    }

    /// Settings for a connection to the sentinel at `addr`.
    pub(super) fn sentinel_config(&self, addr: &Addr) -> ConnectionConfig {
        let mut cfg = self.sentinel_cfg.clone();
        cfg.addr = addr.clone();
        cfg
    }

    /// The sentinel at `addr` answered: ask it first from now on.
    fn answered(&self, addr: &Addr) {
        let mut list = lock(&self.sentinels);
        if let Some(i) = list.iter().position(|a| a == addr) {
            if i > 0 {
                let a = list.remove(i);
                list.insert(0, a);
            }
        }
    }

    fn master_command(&self) -> Cmd {
        let mut cmd = Cmd::new("SENTINEL");
        cmd.arg("GET-MASTER-ADDR-BY-NAME")
            .arg(self.service.as_str());
        cmd
    }

    fn replicas_command(&self) -> Cmd {
        let mut cmd = Cmd::new("SENTINEL");
        cmd.arg("REPLICAS").arg(self.service.as_str());
        cmd
    }

    /// The error when no sentinel gave an answer.
    fn no_answer(&self, what: &str, failures: Vec<(Addr, Option<Error>)>) -> Error {
        let kind = failures
            .iter()
            .filter_map(|(_, e)| e.as_ref().map(Error::kind))
            .find(|k| **k == ErrorKind::Auth)
            .or_else(|| {
                failures
                    .iter()
                    .find_map(|(_, e)| e.as_ref().map(Error::kind))
            })
            .cloned()
            .unwrap_or(ErrorKind::InvalidConfig);
        let detail: Vec<String> = failures
            .iter()
            .map(|(a, e)| match e {
                Some(e) => format!("{a}: {e}"),
                None => format!("{a}: knows no master named `{}`", self.service),
            })
            .collect();
        let detail = if detail.is_empty() {
            "no sentinels are configured".to_string()
        } else {
            detail.join("; ")
        };
        Error::new(
            kind,
            format!("no sentinel gave {what} of `{}`: {detail}", self.service),
        )
    }

    /// Asks the sentinels, in order, where the master is.
    pub(super) async fn discover_async(&self) -> Result<Addr> {
        let mut failures = Vec::new();
        let cmd = self.master_command();
        for s in self.sentinel_list() {
            let reply = async {
                // Boxed: connecting to a sentinel is part of connecting.
                let cfg = self.sentinel_config(&s);
                let conn = Box::pin(crate::connection::Connection::connect(&cfg)).await?;
                conn.send(&cmd).await
            }
            .await;
            match reply.and_then(parse_master) {
                Ok(Some(addr)) => {
                    self.answered(&s);
                    return Ok(addr);
                }
                Ok(None) => failures.push((s, None)),
                Err(e) => failures.push((s, Some(e))),
            }
        }
        Err(self.no_answer("the address", failures))
    }

    /// The blocking form of [`discover_async`](Self::discover_async).
    fn discover_blocking(&self) -> Result<Addr> {
        let mut failures = Vec::new();
        let cmd = self.master_command();
        for s in self.sentinel_list() {
            let reply = crate::connection::sync::Connection::connect(&self.sentinel_config(&s))
                .and_then(|mut conn| conn.send(&cmd));
            match reply.and_then(parse_master) {
                Ok(Some(addr)) => {
                    self.answered(&s);
                    return Ok(addr);
                }
                Ok(None) => failures.push((s, None)),
                Err(e) => failures.push((s, Some(e))),
            }
        }
        Err(self.no_answer("the address", failures))
    }

    /// Asks the sentinels, in order, for the replicas that are up, in the
    /// order to try them (round-robin: each call starts one further).
    pub(super) async fn replicas_async(&self) -> Result<Vec<Addr>> {
        let mut failures = Vec::new();
        let cmd = self.replicas_command();
        for s in self.sentinel_list() {
            let reply = async {
                // Boxed: connecting to a sentinel is part of connecting.
                let cfg = self.sentinel_config(&s);
                let conn = Box::pin(crate::connection::Connection::connect(&cfg)).await?;
                conn.send(&cmd).await
            }
            .await;
            match reply {
                Ok(frame) => {
                    self.answered(&s);
                    return Ok(self.rotate(parse_replicas(frame)));
                }
                Err(e) => failures.push((s, Some(e))),
            }
        }
        Err(self.no_answer("the replicas", failures))
    }

    fn replicas_blocking(&self) -> Result<Vec<Addr>> {
        let mut failures = Vec::new();
        let cmd = self.replicas_command();
        for s in self.sentinel_list() {
            let reply = crate::connection::sync::Connection::connect(&self.sentinel_config(&s))
                .and_then(|mut conn| conn.send(&cmd));
            match reply {
                Ok(frame) => {
                    self.answered(&s);
                    return Ok(self.rotate(parse_replicas(frame)));
                }
                Err(e) => failures.push((s, Some(e))),
            }
        }
        Err(self.no_answer("the replicas", failures))
    }

    fn rotate(&self, mut replicas: Vec<Addr>) -> Vec<Addr> {
        if !replicas.is_empty() {
            let n = self.next_replica.fetch_add(1, Ordering::Relaxed) % replicas.len();
            replicas.rotate_left(n);
        }
        replicas
    }

    /// The announced master, if any, and since when it is being promoted.
    fn hinted(&self) -> Option<(Addr, Option<Instant>)> {
        lock(&self.state).hint.as_ref().map(|(a, h)| {
            (
                a.clone(),
                match h {
                    Hint::Promoting(since) => Some(*since),
                    Hint::Announced => None,
                },
            )
        })
    }

    /// A connection to `addr` failed: do not take it from a message again.
    fn forget(&self, addr: &Addr) {
        let mut s = lock(&self.state);
        if s.hint.as_ref().is_some_and(|(a, _)| a == addr) {
            s.hint = None;
        }
    }

    /// A master connection opened to `addr` (its ROLE checked) while the
    /// generation was `gen`: the generation it belongs to.
    fn connected_master(&self, addr: &Addr, at_gen: u64) -> u64 {
        let mut s = lock(&self.state);
        if s.connected.as_ref() == Some(addr) {
            return at_gen.max(self.generation());
        }
        if let Some(from) = s.connected.replace(addr.clone()) {
            s.last_switch = Some(Switch {
                from,
                to: addr.clone(),
                announced_at: s.announced_at.take(),
                at: Instant::now(),
            });
            // Connections to the old master still open (found by
            // discovery, not by a message) must go too.
            if self.generation() == at_gen {
                self.bump();
            }
        }
        self.generation()
    }

    /// When the last switch to a new master happened, if one did.
    fn switch_time(&self) -> Option<Instant> {
        lock(&self.state).last_switch.as_ref().map(|s| s.at)
    }

    /// Reports a switch to a new master made since `before` (a
    /// [`switch_time`](Self::switch_time)) to the observer of `cfg`.
    fn report_switch(&self, before: Option<Instant>, cfg: &ConnectionConfig) {
        let Some(switch) = self.last_switch() else {
            return;
        };
        if Some(switch.at) != before {
            cfg.observer.emit(crate::events::Event::Failover {
                service: self.service.clone(),
                from: switch.from,
                to: switch.to,
            });
        }
    }

    /// A sentinel announced `addr` as the master (`promoting`: it is being
    /// promoted, not yet confirmed).
    pub(super) fn announce(&self, addr: Addr, promoting: bool) {
        let mut s = lock(&self.state);
        match &mut s.hint {
            Some((a, h)) if *a == addr => {
                if !promoting {
                    *h = Hint::Announced;
                }
                return;
            }
            _ => {}
        }
        let already = s.hint.is_none() && s.connected.as_ref() == Some(&addr);
        s.hint = Some((
            addr,
            if promoting {
                Hint::Promoting(Instant::now())
            } else {
                Hint::Announced
            },
        ));
        if !already {
            s.announced_at = Some(Instant::now());
            drop(s);
            self.bump();
        }
    }

    /// A master connection to `addr`, made at `gen`, got `READONLY`.
    fn demoted(&self, addr: &Addr, at_gen: u64) {
        if self.generation() != at_gen {
            return;
        }
        self.forget(addr);
        self.bump();
    }

    /// Handles a message from a sentinel's channels.
    pub(super) fn on_event(&self, channel: &[u8], payload: &[u8]) {
        let text = String::from_utf8_lossy(payload);
        let words: Vec<&str> = text.split_whitespace().collect();
        let addr = |host: &str, port: &str| {
            port.parse().ok().map(|port| Addr::Tcp {
                host: host.to_string(),
                port,
            })
        };
        match channel {
            // <name> <old ip> <old port> <new ip> <new port>
            b"+switch-master" => {
                if let [name, _, _, ip, port] = words[..] {
                    if name == self.service {
                        if let Some(a) = addr(ip, port) {
                            self.announce(a, false);
                        }
                    }
                }
            }
            // slave <ip:port> <ip> <port> @ <name> <master ip> <master port>
            b"+failover-state-wait-promotion" => {
                if let ["slave", _, ip, port, "@", name, _, _] = words[..] {
                    if name == self.service {
                        if let Some(a) = addr(ip, port) {
                            self.announce(a, true);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Judges one connection attempt to `addr`, made for `want`.
    fn judge(
        &self,
        info: &ServerInfo,
        addr: &Addr,
        want: Role,
        promoting: Option<Instant>,
        at_gen: u64,
    ) -> Judged {
        match info.role.as_deref() {
            Some(r) if r == want.word() => {
                let at_gen = match want {
                    Role::Master => self.connected_master(addr, at_gen),
                    Role::Replica => at_gen,
                };
                Judged::Accept(at_gen)
            }
            other => {
                if promoting_still(promoting) {
                    return Judged::Wait;
                }
                self.forget(addr);
                Judged::Refuse(wrong_role(&self.service, addr, other, want))
            }
        }
    }
}

/// Whether a replica being promoted since `since` may still be waited for.
fn promoting_still(since: Option<Instant>) -> bool {
    since.is_some_and(|since| since.elapsed() < PROMOTION_WAIT)
}

enum Judged {
    Accept(u64),
    /// The promoted replica is not master yet: ask again shortly.
    Wait,
    Refuse(Error),
}

fn wrong_role(service: &str, addr: &Addr, actual: Option<&str>, want: Role) -> Error {
    Error::new(
        ErrorKind::ConnectionClosed,
        format!(
            "refused {addr}: ROLE says {}, not {} (of `{service}`)",
            actual.unwrap_or("nothing"),
            want.word()
        ),
    )
}

/// `SENTINEL GET-MASTER-ADDR-BY-NAME`'s reply: `[ip, port]`, or null for
/// a name the sentinel does not monitor.
fn parse_master(frame: Frame) -> Result<Option<Addr>> {
    match frame {
        Frame::Null => Ok(None),
        Frame::Array(items) if items.len() == 2 => {
            let host = items[0]
                .as_bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned());
            let port = items[1]
                .as_bytes()
                .and_then(|b| std::str::from_utf8(b).ok()?.parse().ok());
            match (host, port) {
                (Some(host), Some(port)) => Ok(Some(Addr::Tcp { host, port })),
                _ => Err(bad_reply("SENTINEL GET-MASTER-ADDR-BY-NAME")),
            }
        }
        Frame::Array(items) if items.is_empty() => Ok(None),
        _ => Err(bad_reply("SENTINEL GET-MASTER-ADDR-BY-NAME")),
    }
}

fn bad_reply(cmd: &str) -> Error {
    Error::new(
        ErrorKind::Conversion,
        "expected an address ([ip, port])".to_string(),
    )
    .for_command(cmd)
}

/// `SENTINEL REPLICAS`' reply: the replicas that are up.
fn parse_replicas(frame: Frame) -> Vec<Addr> {
    let Frame::Array(entries) = frame else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries {
        let pairs: Vec<(Frame, Frame)> = match entry {
            Frame::Map(pairs) => pairs,
            Frame::Array(items) => {
                let mut it = items.into_iter();
                let mut pairs = Vec::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                pairs
            }
            _ => continue,
        };
        let field = |name: &[u8]| {
            pairs
                .iter()
                .find(|(k, _)| k.as_bytes() == Some(name))
                .and_then(|(_, v)| v.as_bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned())
        };
        let flags = field(b"flags").unwrap_or_default();
        if flags
            .split(',')
            .any(|f| matches!(f, "s_down" | "o_down" | "disconnected"))
        {
            continue;
        }
        if let (Some(host), Some(Ok(port))) = (field(b"ip"), field(b"port").map(|p| p.parse())) {
            out.push(Addr::Tcp { host, port });
        }
    }
    out
}

/// Whether a Sentinel-following connection still goes to the right
/// server (kept by the connection).
#[derive(Clone)]
pub(crate) struct Follow {
    shared: Arc<Shared>,
    generation: u64,
    addr: Addr,
    reached: Role,
}

impl std::fmt::Debug for Follow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follow")
            .field("addr", &self.addr)
            .field("role", &self.reached)
            .finish()
    }
}

impl Follow {
    /// True once the group moved on (a new master): the connection takes
    /// no new requests.
    #[inline]
    pub(crate) fn is_stale(&self) -> bool {
        self.shared.generation.load(Ordering::Relaxed) != self.generation
    }

    /// An error reply arrived on the connection.
    pub(crate) fn on_error(&self, e: &Error) {
        if e.code() == Some("READONLY") {
            self.readonly();
        }
    }

    /// An error reply (its message) arrived on the connection.
    pub(crate) fn on_error_message(&self, message: &[u8]) {
        if message.starts_with(b"READONLY") {
            self.readonly();
        }
    }

    fn readonly(&self) {
        if self.reached == Role::Master {
            self.shared.demoted(&self.addr, self.generation);
        }
    }
}

/// Where the connections of one configuration go: the master or a replica
/// of a Sentinel group. Kept in [`ConnectionConfig`].
#[derive(Clone)]
pub(crate) struct Locator {
    shared: Arc<Shared>,
    role: Role,
}

impl std::fmt::Debug for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locator")
            .field("service", &self.shared.service)
            .field("role", &self.role)
            .finish()
    }
}

impl PartialEq for Locator {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared) && self.role == other.role
    }
}

/// What to try next.
enum Target {
    Master,
    Replica(Addr),
}

impl Locator {
    pub(super) fn new(shared: Arc<Shared>, role: Role) -> Self {
        Locator { shared, role }
    }

    fn plan(&self, replicas: Result<Vec<Addr>>) -> Vec<Target> {
        let mut plan: Vec<Target> = match self.role {
            Role::Master => Vec::new(),
            Role::Replica => replicas
                .unwrap_or_default()
                .into_iter()
                .map(Target::Replica)
                .collect(),
        };
        plan.push(Target::Master);
        plan
    }

    fn give_up(&self, last: Option<Error>) -> Error {
        last.unwrap_or_else(|| {
            Error::new(
                ErrorKind::ConnectionClosed,
                format!("no server of `{}` could be reached", self.shared.service),
            )
        })
    }

    /// Connects through `attempt` (open and handshake at the address it is
    /// given) to the server this locator goes to; `info` reads what the
    /// handshake learned (ROLE).
    pub(crate) async fn connect<T, I, F, Fut>(
        &self,
        cfg: &ConnectionConfig,
        info: I,
        mut attempt: F,
    ) -> Result<(T, Follow)>
    where
        I: Fn(&T) -> &ServerInfo,
        F: FnMut(ConnectionConfig) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        if self.shared.follow_events {
            super::watch::start_threads(&self.shared);
        }
        let mut last = None;
        let mut rounds = 0;
        while rounds < ROUNDS {
            let at_gen = self.shared.generation();
            let replicas = match self.role {
                Role::Replica => self.shared.replicas_async().await,
                Role::Master => Ok(Vec::new()),
            };
            let mut again = false;
            for target in self.plan(replicas) {
                let (addr, want, promoting) = match target {
                    Target::Replica(a) => (a, Role::Replica, None),
                    Target::Master => match self.shared.hinted() {
                        Some((a, p)) => (a, Role::Master, p),
                        None => match self.shared.discover_async().await {
                            Ok(a) => (a, Role::Master, None),
                            Err(e) => {
                                last = Some(e);
                                continue;
                            }
                        },
                    },
                };
                let mut c = cfg.clone();
                c.addr = addr.clone();
                let mut changed = self.shared.changed.subscribe();
                let result = tokio::select! {
                    r = attempt(c) => Some(r),
                    _ = changed.wait_for(|g| *g != at_gen) => None,
                };
                let t = match result {
                    // The master moved while connecting: start over there.
                    None => {
                        again = true;
                        break;
                    }
                    Some(Err(e)) => {
                        if promoting_still(promoting) {
                            // The promotion kills the replica's clients.
                            tokio::time::sleep(PROMOTION_POLL).await;
                            again = true;
                            break;
                        }
                        self.shared.forget(&addr);
                        last = Some(e);
                        continue;
                    }
                    Some(Ok(t)) => t,
                };
                let switches = self.shared.switch_time();
                match self.shared.judge(info(&t), &addr, want, promoting, at_gen) {
                    Judged::Accept(generation) => {
                        self.shared.report_switch(switches, cfg);
                        let follow = Follow {
                            shared: self.shared.clone(),
                            generation,
                            addr,
                            reached: want,
                        };
                        return Ok((t, follow));
                    }
                    Judged::Wait => {
                        drop(t);
                        tokio::time::sleep(PROMOTION_POLL).await;
                        again = true;
                        break;
                    }
                    Judged::Refuse(e) => last = Some(e),
                }
            }
            if !again {
                rounds += 1;
                if rounds < ROUNDS {
                    tokio::time::sleep(Duration::from_millis(20 * rounds as u64)).await;
                }
            }
        }
        Err(self.give_up(last))
    }

    /// The blocking form of [`connect`](Self::connect).
    pub(crate) fn connect_blocking<T, I, F>(
        &self,
        cfg: &ConnectionConfig,
        info: I,
        mut attempt: F,
    ) -> Result<(T, Follow)>
    where
        I: Fn(&T) -> &ServerInfo,
        F: FnMut(ConnectionConfig) -> Result<T>,
    {
        if self.shared.follow_events {
            super::watch::start_threads(&self.shared);
        }
        let mut last = None;
        let mut rounds = 0;
        while rounds < ROUNDS {
            let at_gen = self.shared.generation();
            let replicas = match self.role {
                Role::Replica => self.shared.replicas_blocking(),
                Role::Master => Ok(Vec::new()),
            };
            let mut again = false;
            for target in self.plan(replicas) {
                let (addr, want, promoting) = match target {
                    Target::Replica(a) => (a, Role::Replica, None),
                    Target::Master => match self.shared.hinted() {
                        Some((a, p)) => (a, Role::Master, p),
                        None => match self.shared.discover_blocking() {
                            Ok(a) => (a, Role::Master, None),
                            Err(e) => {
                                last = Some(e);
                                continue;
                            }
                        },
                    },
                };
                let mut c = cfg.clone();
                c.addr = addr.clone();
                let t = match attempt(c) {
                    Err(_) if promoting_still(promoting) => {
                        // The promotion kills the replica's clients.
                        std::thread::sleep(PROMOTION_POLL);
                        again = true;
                        break;
                    }
                    Err(e) => {
                        self.shared.forget(&addr);
                        last = Some(e);
                        continue;
                    }
                    Ok(t) => t,
                };
                if self.shared.generation() != at_gen {
                    // The master moved while connecting.
                    again = true;
                    break;
                }
                let switches = self.shared.switch_time();
                match self.shared.judge(info(&t), &addr, want, promoting, at_gen) {
                    Judged::Accept(generation) => {
                        self.shared.report_switch(switches, cfg);
                        let follow = Follow {
                            shared: self.shared.clone(),
                            generation,
                            addr,
                            reached: want,
                        };
                        return Ok((t, follow));
                    }
                    Judged::Wait => {
                        drop(t);
                        std::thread::sleep(PROMOTION_POLL);
                        again = true;
                        break;
                    }
                    Judged::Refuse(e) => last = Some(e),
                }
            }
            if !again {
                rounds += 1;
                if rounds < ROUNDS {
                    std::thread::sleep(Duration::from_millis(20 * rounds as u64));
                }
            }
        }
        Err(self.give_up(last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Arc<Shared> {
        Shared::new(&SentinelConfig::new(
            "mymaster",
            [Addr::Tcp {
                host: "127.0.0.1".into(),
                port: 1,
            }],
        ))
    }

    fn a(port: u16) -> Addr {
        Addr::Tcp {
            host: "127.0.0.1".into(),
            port,
        }
    }

    #[test]
    fn switch_messages_move_the_master_once() {
        let s = shared();
        let g0 = s.generation();
        s.on_event(b"+switch-master", b"other 127.0.0.1 1 127.0.0.1 2");
        assert_eq!(s.generation(), g0, "another group's message");
        s.on_event(
            b"+failover-state-wait-promotion",
            b"slave 127.0.0.1:7 127.0.0.1 7 @ mymaster 127.0.0.1 6",
        );
        assert_eq!(s.generation(), g0 + 1);
        assert!(matches!(s.hinted(), Some((addr, Some(_))) if addr == a(7)));
        // The confirmation of the same promotion changes nothing in use.
        s.on_event(b"+switch-master", b"mymaster 127.0.0.1 6 127.0.0.1 7");
        assert_eq!(s.generation(), g0 + 1);
        assert_eq!(s.hinted(), Some((a(7), None)));
        // Garbage is ignored.
        s.on_event(
            b"+switch-master",
            b"mymaster 127.0.0.1 6 127.0.0.1 notaport",
        );
        s.on_event(b"+switch-master", b"");
        assert_eq!(s.generation(), g0 + 1);
    }

    #[test]
    fn replies_are_read() {
        let addr = Frame::Array(vec![
            Frame::BulkString("10.0.0.1".into()),
            Frame::BulkString("6380".into()),
        ]);
        assert_eq!(
            parse_master(addr).unwrap(),
            Some(Addr::Tcp {
                host: "10.0.0.1".into(),
                port: 6380
            })
        );
        assert_eq!(parse_master(Frame::Null).unwrap(), None);
        assert!(parse_master(Frame::Integer(3)).is_err());
        let entry = |port: &str, flags: &str| {
            Frame::Map(vec![
                (
                    Frame::BulkString("ip".into()),
                    Frame::BulkString("127.0.0.1".into()),
                ),
                (
                    Frame::BulkString("port".into()),
                    Frame::BulkString(port.to_string().into()),
                ),
                (
                    Frame::BulkString("flags".into()),
                    Frame::BulkString(flags.to_string().into()),
                ),
            ])
        };
        let list = Frame::Array(vec![
            entry("1", "slave"),
            entry("2", "s_down,slave"),
            entry("3", "slave,disconnected"),
            entry("4", "slave"),
        ]);
        assert_eq!(parse_replicas(list), vec![a(1), a(4)]);
    }

    #[test]
    fn readonly_counts_once_per_generation() {
        let s = shared();
        let f = Follow {
            shared: s.clone(),
            generation: s.generation(),
            addr: a(5),
            reached: Role::Master,
        };
        assert!(!f.is_stale());
        f.on_error_message(b"READONLY You can't write against a read only replica.");
        assert!(f.is_stale());
        let g = s.generation();
        f.on_error_message(b"READONLY again");
        assert_eq!(s.generation(), g);
    }
}
