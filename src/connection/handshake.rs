//! The connection handshake as a pure state machine.
//!
//! The handshake is data: [`Handshake::start`] writes the first batch of
//! commands, and every reply goes through [`Handshake::on_reply`], which
//! answers whether more replies are due, whether a fallback batch was
//! written, or that the connection is ready. Both drivers (tokio and
//! `std::net`) run this same machine, so every protocol decision is made once.
//!
//! ```text
//!  start ──► [HELLO proto AUTH SETNAME] [SELECT] [CLIENT SETINFO ×2]   (one write)
//!              │ HELLO ok ─────────────────────────────────────────► ready (RESP2 or 3)
//!              │ NOPROTO / unknown command (server older than 6.0)
//!              ▼
//!            [AUTH] [CLIENT SETNAME] [SELECT] [CLIENT SETINFO ×2] [INFO server]
//!              └─────────────────────────────────────────────────► ready (RESP2)
//! ```
//!
//! `CLIENT SETINFO` exists from Redis 7.2; its errors are ignored so older
//! servers connect all the same. Any other error fails the connection:
//! an authentication error as [`ErrorKind::Auth`], the rest as the server's
//! error.

use bytes::BytesMut;

use super::config::{ConnectionConfig, Protocol};
use crate::auth::Credentials;
use crate::cmd::{Cmd, Command};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::Frame;

/// What the server told us about itself during the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerInfo {
    /// `"redis"` or `"valkey"` (from HELLO or INFO).
    pub server: String,
    /// The server version as `(major, minor, patch)`.
    pub version: (u16, u16, u16),
    /// The protocol the connection speaks after the handshake.
    pub protocol: Protocol,
    /// The connection's client id, when HELLO reported it.
    pub id: Option<i64>,
    /// `standalone`, `cluster` or `sentinel`, when reported.
    pub mode: Option<String>,
    /// `master` or `replica`, when reported.
    pub role: Option<String>,
}

impl Default for ServerInfo {
    fn default() -> Self {
        ServerInfo {
            server: "redis".into(),
            version: (0, 0, 0),
            protocol: Protocol::Resp2,
            id: None,
            mode: None,
            role: None,
        }
    }
}

/// Parses `"7.2.4"` (or `"8.2"`) into a version triple.
pub fn parse_version(s: &str) -> Option<(u16, u16, u16)> {
    let mut it = s.trim().split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next().map_or(Some(0), |m| m.parse().ok())?;
    let patch = it.next().map_or(Some(0), |p| {
        p.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    })?;
    Some((major, minor, patch))
}

/// The reply a step of the handshake expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Hello,
    Auth,
    SetName,
    Select,
    /// `CLIENT SETINFO`: errors are ignored.
    SetInfo,
    InfoServer,
    /// `ROLE`, asked by connections that follow Sentinel.
    Role,
    /// A reply left over from the first batch after HELLO failed.
    Discard,
}

/// Progress of the handshake after a reply.
#[derive(Debug)]
pub enum Progress {
    /// More replies are due; when `out` was written to, send it first.
    Continue,
    /// The connection is ready.
    Done(ServerInfo),
}

/// The handshake state machine (see the module docs). Its `Debug` output
/// shows no password.
#[derive(Debug)]
pub struct Handshake {
    /// The credentials to authenticate with (`Debug` redacts the password).
    credentials: Option<Credentials>,
    db: i64,
    protocol: Protocol,
    client_name: Option<String>,
    set_lib_info: bool,
    /// Whether to ask `ROLE` (connections that find their server through
    /// Sentinel check it): the answer goes to [`ServerInfo::role`].
    ask_role: bool,
    /// Replies still due, in order.
    due: std::collections::VecDeque<Step>,
    info: ServerInfo,
}

impl Handshake {
    /// A handshake for the given settings, with the configuration's fixed
    /// `username` and `password`.
    pub fn new(cfg: &ConnectionConfig) -> Self {
        let credentials = cfg
            .password
            .as_ref()
            .map(|pw| Credentials::new(cfg.username.as_deref(), pw.as_str()));
        Self::with_credentials(cfg, credentials)
    }

    /// A handshake for the given settings that authenticates with
    /// `credentials` (from a [`CredentialsProvider`](crate::auth::CredentialsProvider)),
    /// or not at all.
    pub fn with_credentials(cfg: &ConnectionConfig, credentials: Option<Credentials>) -> Self {
        Handshake {
            credentials,
            db: cfg.db,
            protocol: cfg.protocol,
            client_name: cfg.client_name.clone(),
            set_lib_info: cfg.set_lib_info,
            ask_role: cfg.locator.is_some(),
            due: Default::default(),
            info: ServerInfo::default(),
        }
    }

    fn push(&mut self, out: &mut BytesMut, step: Step, cmd: &Cmd) {
        cmd.encode(out);
        self.due.push_back(step);
    }

    /// Writes the first batch of handshake commands to `out`.
    pub fn start(&mut self, out: &mut BytesMut) {
        let mut hello = Cmd::new("HELLO");
        hello.arg(match self.protocol {
            Protocol::Resp2 => "2",
            Protocol::Resp3 => "3",
        });
        if let Some(c) = &self.credentials {
            hello.arg("AUTH").arg(c.user()).arg(c.password());
        }
        if let Some(name) = &self.client_name {
            hello.arg("SETNAME").arg(name.as_str());
        }
        self.push(out, Step::Hello, &hello);
        self.common_tail(out);
    }

    /// SELECT and CLIENT SETINFO, shared by both batches.
    fn common_tail(&mut self, out: &mut BytesMut) {
        if self.db != 0 {
            let mut select = Cmd::new("SELECT");
            select.arg(self.db);
            self.push(out, Step::Select, &select);
        }
        if self.set_lib_info {
            let mut name = Cmd::new("CLIENT");
            name.arg("SETINFO").arg("LIB-NAME").arg("respec");
            self.push(out, Step::SetInfo, &name);
            let mut ver = Cmd::new("CLIENT");
            ver.arg("SETINFO")
                .arg("LIB-VER")
                .arg(env!("CARGO_PKG_VERSION"));
            self.push(out, Step::SetInfo, &ver);
        }
        if self.ask_role {
            self.push(out, Step::Role, &Cmd::new("ROLE"));
        }
    }

    /// The RESP2 path for servers without HELLO.
    fn fallback(&mut self, out: &mut BytesMut) {
        // Whatever the first batch still has in flight is answered first.
        for step in self.due.iter_mut() {
            *step = Step::Discard;
        }
        self.info.protocol = Protocol::Resp2;
        if let Some(c) = &self.credentials {
            let auth = crate::auth::auth_command(c);
            self.push(out, Step::Auth, &auth);
        }
        if let Some(name) = self.client_name.clone() {
            let mut setname = Cmd::new("CLIENT");
            setname.arg("SETNAME").arg(name);
            self.push(out, Step::SetName, &setname);
        }
        self.common_tail(out);
        let mut info = Cmd::new("INFO");
        info.arg("server");
        self.push(out, Step::InfoServer, &info);
    }

    /// Feeds the next reply; may write a fallback batch to `out`.
    pub fn on_reply(&mut self, frame: Frame, out: &mut BytesMut) -> Result<Progress> {
        let Some(step) = self.due.pop_front() else {
            return Err(Error::new(
                ErrorKind::Protocol,
                "unexpected reply during the connection handshake",
            ));
        };
        match (step, frame.error_message()) {
            (Step::Discard | Step::SetInfo, _) => {}
            (Step::Hello, Some(msg)) => {
                let text = String::from_utf8_lossy(msg);
                if text.starts_with("NOPROTO")
                    || text.to_ascii_lowercase().contains("unknown command")
                {
                    self.fallback(out);
                } else {
                    return Err(handshake_error("HELLO", msg, self.user()));
                }
            }
            (Step::Hello, None) => self.read_hello(&frame),
            (Step::InfoServer, None) => self.read_info(&frame),
            (Step::Role, None) => self.read_role(&frame),
            (step, Some(msg)) => {
                let name = match step {
                    Step::Auth => "AUTH",
                    Step::SetName => "CLIENT SETNAME",
                    Step::Select => "SELECT",
                    Step::Role => "ROLE",
                    _ => "INFO",
                };
                return Err(handshake_error(name, msg, self.user()));
            }
            (_, None) => {}
        }
        if self.due.is_empty() {
            Ok(Progress::Done(std::mem::take(&mut self.info)))
        } else {
            Ok(Progress::Continue)
        }
    }

    /// `ROLE`'s first element: `master`, `slave` (kept as `replica`, the
    /// word HELLO uses) or `sentinel`.
    fn read_role(&mut self, frame: &Frame) {
        if let Frame::Array(items) = frame {
            if let Some(role) = items.first().and_then(Frame::as_bytes) {
                self.info.role = Some(match role {
                    b"slave" => "replica".to_string(),
                    other => String::from_utf8_lossy(other).into_owned(),
                });
            }
        }
    }

    fn read_hello(&mut self, frame: &Frame) {
        self.info.protocol = self.protocol;
        let pairs: Vec<(&Frame, &Frame)> = match frame {
            Frame::Map(pairs) => pairs.iter().map(|(k, v)| (k, v)).collect(),
            Frame::Array(items) => items.chunks_exact(2).map(|c| (&c[0], &c[1])).collect(),
            _ => return,
        };
        for (k, v) in pairs {
            let text = || {
                v.as_bytes()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
            };
            match k.as_bytes() {
                Some(b"server") => self.info.server = text().unwrap_or_default(),
                Some(b"version") => {
                    self.info.version = text().and_then(|t| parse_version(&t)).unwrap_or_default()
                }
                Some(b"id") => {
                    if let Frame::Integer(id) = v {
                        self.info.id = Some(*id)
                    }
                }
                Some(b"mode") => self.info.mode = text(),
                Some(b"role") => self.info.role = text(),
                _ => {}
            }
        }
    }

    fn read_info(&mut self, frame: &Frame) {
        let Some(text) = frame.as_bytes() else { return };
        for line in String::from_utf8_lossy(text).lines() {
            if let Some(v) = line.strip_prefix("redis_version:") {
                self.info.version = parse_version(v).unwrap_or_default();
            } else if let Some(v) = line.strip_prefix("redis_mode:") {
                self.info.mode = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("server_name:") {
                self.info.server = v.trim().to_string();
            }
        }
    }
}

impl Handshake {
    /// The user the handshake authenticates as, for error messages.
    fn user(&self) -> Option<&str> {
        self.credentials.as_ref().map(Credentials::user)
    }
}

/// The error for a refused handshake step: an authentication failure is an
/// [`ErrorKind::Auth`] error naming the user (never the password).
fn handshake_error(step: &str, msg: &[u8], user: Option<&str>) -> Error {
    let server = Error::from_server_reply(msg);
    let code = server.code().unwrap_or_default();
    let text = String::from_utf8_lossy(msg);
    if is_auth_refusal(code, &text) {
        auth_error(user, &text).for_command(step)
    } else {
        server.for_command(step)
    }
}

/// Whether an error reply refuses credentials.
pub(crate) fn is_auth_refusal(code: &str, text: &str) -> bool {
    matches!(code, "WRONGPASS" | "NOAUTH" | "NOPERM")
        || text.contains("invalid password")
        || text.contains("invalid username-password")
        || text.contains("without any password configured")
}

/// An [`ErrorKind::Auth`] error for `user` (`None`: no credentials were
/// given) with the server's words.
pub(crate) fn auth_error(user: Option<&str>, server_text: &str) -> Error {
    let detail = match user {
        Some(user) => format!("the server refused the credentials of user `{user}`: {server_text}"),
        None => format!("the server wants credentials and none were given: {server_text}"),
    };
    Error::new(ErrorKind::Auth, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn cfg(url: &str) -> ConnectionConfig {
        ConnectionConfig::from_url(url).unwrap()
    }

    fn bulk(s: &str) -> Frame {
        Frame::BulkString(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn hello_in_one_batch() {
        let mut h = Handshake::new(&cfg("redis://u:p@h/2?client_name=n"));
        let mut out = BytesMut::new();
        h.start(&mut out);
        let text = String::from_utf8_lossy(&out).replace("\r\n", " ");
        assert!(text
            .starts_with("*7 $5 HELLO $1 3 $4 AUTH $1 u $1 p $7 SETNAME $1 n *2 $6 SELECT $1 2 "));
        assert!(text.contains("LIB-NAME"));
        out.clear();
        let hello = Frame::Map(vec![
            (bulk("server"), bulk("redis")),
            (bulk("version"), bulk("7.0.15")),
            (bulk("proto"), Frame::Integer(3)),
            (bulk("id"), Frame::Integer(9)),
        ]);
        assert!(matches!(
            h.on_reply(hello, &mut out).unwrap(),
            Progress::Continue
        ));
        let ok = Frame::SimpleString("OK".into());
        assert!(matches!(
            h.on_reply(ok.clone(), &mut out).unwrap(),
            Progress::Continue
        ));
        let unknown = Frame::Error("ERR unknown subcommand 'SETINFO'".into());
        assert!(matches!(
            h.on_reply(unknown.clone(), &mut out).unwrap(),
            Progress::Continue
        ));
        match h.on_reply(unknown, &mut out).unwrap() {
            Progress::Done(info) => {
                assert_eq!(info.version, (7, 0, 15));
                assert_eq!(info.protocol, Protocol::Resp3);
                assert_eq!(info.id, Some(9));
            }
            other => panic!("{other:?}"),
        }
        assert!(out.is_empty());
    }

    #[test]
    fn falls_back_without_hello() {
        let mut h = Handshake::new(&cfg("redis://:pw@h?lib_info=false"));
        let mut out = BytesMut::new();
        h.start(&mut out);
        out.clear();
        let e = Frame::Error("ERR unknown command 'HELLO'".into());
        assert!(matches!(
            h.on_reply(e, &mut out).unwrap(),
            Progress::Continue
        ));
        let text = String::from_utf8_lossy(&out).replace("\r\n", " ");
        assert_eq!(text, "*2 $4 AUTH $2 pw *2 $4 INFO $6 server ");
        let ok = Frame::SimpleString("OK".into());
        assert!(matches!(
            h.on_reply(ok, &mut out).unwrap(),
            Progress::Continue
        ));
        let info = bulk("# Server\r\nredis_version:5.0.7\r\nredis_mode:standalone\r\n");
        match h.on_reply(info, &mut out).unwrap() {
            Progress::Done(info) => {
                assert_eq!(info.version, (5, 0, 7));
                assert_eq!(info.protocol, Protocol::Resp2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrong_password_is_an_auth_error() {
        let mut h = Handshake::new(&cfg("redis://:bad@h"));
        let mut out = BytesMut::new();
        h.start(&mut out);
        let e =
            Frame::Error("WRONGPASS invalid username-password pair or user is disabled.".into());
        let err = h.on_reply(e, &mut out).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Auth);
        assert_eq!(err.command(), Some("HELLO"));
        assert!(err.to_string().contains("user `default`"), "{err}");
        assert!(!err.to_string().contains("bad"), "{err}");
        assert!(!format!("{err:?}").contains("bad"), "{err:?}");
        assert!(!format!("{h:?}").contains("bad"), "{h:?}");
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("8.2.3"), Some((8, 2, 3)));
        assert_eq!(parse_version("255.255.255"), Some((255, 255, 255)));
        assert_eq!(parse_version("7.4"), Some((7, 4, 0)));
        assert_eq!(parse_version("x"), None);
    }
}
