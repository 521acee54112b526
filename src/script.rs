//! Lua scripts that run by their SHA1 digest.
//!
//! A [`Script`] is sent as `EVALSHA`; when the server answers `NOSCRIPT`
//! (it restarted, or `SCRIPT FLUSH` ran), the script is loaded and run again,
//! transparently. In a [`Pipeline`](crate::Pipeline), scripts are checked
//! with `SCRIPT EXISTS` and loaded before the pipeline is sent, so the
//! pipeline itself never meets `NOSCRIPT`.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use respec::script::Script;
//!
//! let add = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
//! let n: i64 = add.key("counter").arg(5).run(&client).await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use crate::cmd::{Cmd, Command};
use crate::error::Result;
use crate::executor::{AsyncExecutor, BlockingExecutor};
use crate::reply::FromResp;
use crate::resp::ToArg;

/// A Lua script and its SHA1 digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    code: Arc<str>,
    sha: Arc<str>,
}

impl Script {
    /// A script from its Lua source.
    pub fn new(code: &str) -> Self {
        Script {
            sha: sha1_smol::Sha1::from(code).digest().to_string().into(),
            code: code.into(),
        }
    }

    /// The script's SHA1 digest, as `EVALSHA` wants it.
    pub fn sha(&self) -> &str {
        &self.sha
    }

    /// The script's source.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Starts an invocation with one key.
    pub fn key(&self, key: impl ToArg) -> Invocation {
        let mut inv = self.invocation();
        inv.key(key);
        inv
    }

    /// Starts an invocation with one argument.
    pub fn arg(&self, arg: impl ToArg) -> Invocation {
        let mut inv = self.invocation();
        inv.arg(arg);
        inv
    }

    /// An invocation without keys or arguments yet.
    pub fn invocation(&self) -> Invocation {
        Invocation {
            script: self.clone(),
            keys: Cmd::new("KEYS"),
            args: Cmd::new("ARGS"),
            read_only: false,
        }
    }

    /// The `SCRIPT LOAD` command for this script.
    pub fn load_command(&self) -> Cmd {
        let mut c = Cmd::new("SCRIPT");
        c.arg("LOAD").arg(&*self.code);
        c
    }
}

/// A script with its keys and arguments, ready to run.
#[derive(Clone, Debug)]
pub struct Invocation {
    script: Script,
    /// Keys and arguments are kept encoded, after a placeholder first word.
    keys: Cmd,
    args: Cmd,
    read_only: bool,
}

impl Invocation {
    /// Adds a key (`KEYS[n]` in the script).
    pub fn key(&mut self, key: impl ToArg) -> &mut Self {
        self.keys.arg(key);
        self
    }

    /// Adds an argument (`ARGV[n]` in the script).
    pub fn arg(&mut self, arg: impl ToArg) -> &mut Self {
        self.args.arg(arg);
        self
    }

    /// Runs with `EVALSHA_RO`/`EVAL_RO` (Redis 7.0+), so replicas may serve it.
    pub fn read_only(&mut self) -> &mut Self {
        self.read_only = true;
        self
    }

    /// The script this invocation runs.
    pub fn script(&self) -> &Script {
        &self.script
    }

    fn build(&self, by_sha: bool) -> Cmd {
        let verb = match (by_sha, self.read_only) {
            (true, false) => "EVALSHA",
            (true, true) => "EVALSHA_RO",
            (false, false) => "EVAL",
            (false, true) => "EVAL_RO",
        };
        let mut c = Cmd::new(verb);
        if by_sha {
            c.arg(&*self.script.sha);
        } else {
            c.arg(&*self.script.code);
        }
        c.arg(self.keys.argc() - 1);
        c.append_args_of(&self.keys);
        c.append_args_of(&self.args);
        c
    }

    /// The `EVALSHA` command for this invocation.
    pub fn evalsha_command(&self) -> Cmd {
        self.build(true)
    }

    /// The `EVAL` command for this invocation (sends the whole source).
    pub fn eval_command(&self) -> Cmd {
        self.build(false)
    }

    /// Runs the script through any async executor (a [`Client`](crate::Client),
    /// a [`ClusterClient`](crate::cluster::ClusterClient), a
    /// [`Connection`](crate::connection::Connection)), loading it on
    /// `NOSCRIPT`.
    ///
    /// On a cluster, `EVALSHA` goes where its keys' slot lives (keys of
    /// several slots are refused before anything is sent, as the server
    /// would refuse them), and a script without keys to any primary; the
    /// script is loaded (`SCRIPT LOAD`, on every node) when that node
    /// answers `NOSCRIPT`.
    ///
    /// ```no_run
    /// # async fn demo(cluster: respec::cluster::ClusterClient) -> respec::Result<()> {
    /// use respec::script::Script;
    ///
    /// let add = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    /// let n: i64 = add.key("{user:1}:visits").arg(1).run(&cluster).await?;
    /// # Ok(()) }
    /// ```
    pub async fn run<T: FromResp>(&self, client: &(impl AsyncExecutor + ?Sized)) -> Result<T> {
        let cmd = self.evalsha_command();
        let frame = match client.execute(&cmd).await {
            Err(e) if e.code() == Some("NOSCRIPT") => {
                client.execute(&self.script.load_command()).await?;
                client.execute(&cmd).await?
            }
            other => other?,
        };
        T::from_resp(frame).map_err(|e| e.for_command(cmd.name()))
    }

    /// Runs the script through any blocking executor (a
    /// [`blocking::Client`](crate::blocking::Client), a
    /// [`BlockingClusterClient`](crate::cluster::BlockingClusterClient)),
    /// loading it on `NOSCRIPT`; routed on a cluster as [`run`](Self::run)
    /// says.
    pub fn run_blocking<T: FromResp>(
        &self,
        client: &(impl BlockingExecutor + ?Sized),
    ) -> Result<T> {
        let cmd = self.evalsha_command();
        let frame = match client.execute(&cmd) {
            Err(e) if e.code() == Some("NOSCRIPT") => {
                client.execute(&self.script.load_command())?;
                client.execute(&cmd)?
            }
            other => other?,
        };
        T::from_resp(frame).map_err(|e| e.for_command(cmd.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_and_encoding() {
        let s = Script::new("return 1");
        assert_eq!(s.sha(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
        let mut inv = s.key("k1");
        inv.key("k2").arg(7);
        let text = String::from_utf8_lossy(&inv.evalsha_command().to_bytes()).replace("\r\n", " ");
        assert_eq!(
            text,
            "*6 $7 EVALSHA $40 e0e1f9fabfc9d4800c877a703b823ac0578ff8db $1 2 $2 k1 $2 k2 $1 7 "
        );
    }
}
