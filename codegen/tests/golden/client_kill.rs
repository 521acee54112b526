pub trait GoldenCommands: Executor {
    /**`CLIENT KILL`: Terminates open connections. See [`ClientKill`].

**Reply:** `i64` by default (`.reply::<T>()` reads it as another `T`).

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: i64 = client
    .client_kill(
        ClientKillFilter::OldFormat(
            Value::from("1"),
        ),
    ).await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "CLIENT KILL")]
    fn client_kill(&self, filter: ClientKillFilter) -> ClientKill<&Self> {
        ClientKill::with_executor(self, filter)
    }
}
///`CLIENT KILL`: Terminates open connections. See [`ClientKill`].
#[doc(alias = "CLIENT KILL")]
pub fn client_kill(filter: ClientKillFilter) -> ClientKill {
    ClientKill::new(filter)
}
/**Terminates open connections.

```text
CLIENT KILL <ip:port | <[ID client-id] | [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME YES | NO] | [MAXAGE maxage]> [<[ID client-id] | [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME YES | NO] | [MAXAGE maxage]> ...]>
```

- **Since:** 2.4.0
- **Group:** connection
- **Complexity:** O(N) where N is the number of client connections
- **ACL categories:** `@admin`, `@slow`, `@dangerous`, `@connection`
- **Flags:** `admin`, `noscript`, `loading`, `stale`

# Arguments

- `<ip:port | <[ID client-id] | [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME YES | NO] | [MAXAGE maxage]> [<[ID client-id] | [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME YES | NO] | [MAXAGE maxage]> ...]>` (oneof, required)

# History

- 2.8.12: Added new filter format.
- 2.8.12: `ID` option.
- 3.2.0: Added `master` type in for `TYPE` option.
- 5.0.0: Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility.
- 6.2.0: `LADDR` option.
- 7.4.0: `MAXAGE` option.
*/
#[doc(alias = "CLIENT KILL")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct ClientKill<E = (), R = i64> {
    exec: E,
    args: Args<1>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `CLIENT KILL`.
pub static CLIENT_KILL_SPEC: CommandSpec = CommandSpec {
    name: "CLIENT KILL",
    group: "connection",
    since: (2, 4, 0),
    requires: Requires::since((2, 4, 0)),
    arity: -3,
    flags: &["admin", "noscript", "loading", "stale"],
    acl_categories: &["@admin", "@slow", "@dangerous", "@connection"],
    tips: &[],
    key_specs: &[],
    block: BlockRule::Never,
};
const CLIENT_KILL_HEAD: Head = Head {
    words: 2,
    wire: b"$6\r\nCLIENT\r\n$4\r\nKILL\r\n",
};
impl ClientKill {
    ///A detached `CLIENT KILL` command, for pipelines and transactions.
    pub fn new(filter: ClientKillFilter) -> Self {
        Self::with_executor((), filter)
    }
}
impl<E> ClientKill<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(exec: E, filter: ClientKillFilter) -> Self {
        let mut args_ = Args::new();
        args_
            .set(
                0,
                |w| {
                    w.value(&filter);
                },
            );
        ClientKill {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> ClientKill<E, R> {
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> ClientKill<E, T> {
        ClientKill {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for ClientKill<E, R> {
    fn name(&self) -> &str {
        "CLIENT KILL"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(CLIENT_KILL_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(CLIENT_KILL_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        CLIENT_KILL_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&CLIENT_KILL_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("CLIENT KILL", m));
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for ClientKill<E, R> {
    const SPEC: &'static CommandSpec = &CLIENT_KILL_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for ClientKill<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "CLIENT KILL")
    }
}
impl<C: BlockingExecutor, R: FromResp> ClientKill<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("CLIENT KILL"))
    }
}
///One of the choices of the `client-type` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientKillFilterNewFormatClientType {
    ///`NORMAL`
    Normal,
    ///`MASTER` (since 3.2.0)
    Master,
    ///`SLAVE`
    Slave,
    ///`REPLICA` (since 5.0.0)
    Replica,
    ///`PUBSUB`
    Pubsub,
}
impl WriteArgs for ClientKillFilterNewFormatClientType {
    #[allow(unused_variables, clippy::needless_borrow)]
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        match self {
            Self::Normal => {
                w.token("NORMAL");
            }
            Self::Master => {
                w.since(Requires::since((3, 2, 0)));
                w.token("MASTER");
            }
            Self::Slave => {
                w.token("SLAVE");
            }
            Self::Replica => {
                w.since(Requires::since((5, 0, 0)));
                w.token("REPLICA");
            }
            Self::Pubsub => {
                w.token("PUBSUB");
            }
        }
    }
}
///One of the choices of the `new-format` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientKillFilterNewFormat {
    ///`[ID client-id]` (since 2.8.12)
    ClientId(i64),
    ///`[TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB]` (since 2.8.12)
    ClientType(ClientKillFilterNewFormatClientType),
    ///`[USER username]`
    Username(Value),
    ///`[ADDR ip:port]`
    Addr(Value),
    ///`[LADDR ip:port]` (since 6.2.0)
    Laddr(Value),
    ///`[SKIPME YES | NO]`
    Skipme(YesNo),
    ///`[MAXAGE maxage]` (since 7.4.0)
    Maxage(i64),
}
impl WriteArgs for ClientKillFilterNewFormat {
    #[allow(unused_variables, clippy::needless_borrow)]
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        match self {
            Self::ClientId(x) => {
                w.since(Requires::since((2, 8, 12)));
                w.token("ID");
                w.arg_owned(x);
            }
            Self::ClientType(x) => {
                w.since(Requires::since((2, 8, 12)));
                w.token("TYPE");
                w.value(&x);
            }
            Self::Username(x) => {
                w.token("USER");
                w.arg_owned(x);
            }
            Self::Addr(x) => {
                w.token("ADDR");
                w.arg_owned(x);
            }
            Self::Laddr(x) => {
                w.since(Requires::since((6, 2, 0)));
                w.token("LADDR");
                w.arg_owned(x);
            }
            Self::Skipme(x) => {
                w.token("SKIPME");
                w.value(&x);
            }
            Self::Maxage(x) => {
                w.since(Requires::since((7, 4, 0)));
                w.token("MAXAGE");
                w.arg_owned(x);
            }
        }
    }
}
///One of the choices of the `filter` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientKillFilter {
    ///`ip:port` (deprecated since 2.8.12)
    OldFormat(Value),
    ///`<[ID client-id] | [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME YES | NO] | [MAXAGE maxage]> [<[ID client-id] | [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME YES | NO] | [MAXAGE maxage]> ...]`
    NewFormat(Vec<ClientKillFilterNewFormat>),
}
impl WriteArgs for ClientKillFilter {
    #[allow(unused_variables, clippy::needless_borrow)]
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        match self {
            Self::OldFormat(x) => {
                w.arg_owned(x);
            }
            Self::NewFormat(x) => {
                for item in x {
                    w.value(&item);
                }
            }
        }
    }
}
