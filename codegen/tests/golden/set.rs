pub trait GoldenCommands: Executor {
    /**`SET`: Sets the string value of a key, ignoring its type. The key is created if it doesn't exist. See [`Set`].

**Reply:** `()` by default (`.reply::<T>()` reads it as another `T`).
- with `NX`: `bool`
- with `XX`: `bool`
- with `GET`: `Option<respec::ByteStr>`
- with `NX` and `GET`: `Option<respec::ByteStr>`
- with `XX` and `GET`: `Option<respec::ByteStr>`

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

client.set("respec:sample", "1").await?;
# Ok(())
# }
```*/
    #[doc(alias = "SET")]
    fn set(&self, key: impl ToArg, value: impl ToArg) -> Set<&Self> {
        Set::with_executor(self, key, value)
    }
}
///`SET`: Sets the string value of a key, ignoring its type. The key is created if it doesn't exist. See [`Set`].
#[doc(alias = "SET")]
pub fn set(key: impl ToArg, value: impl ToArg) -> Set {
    Set::new(key, value)
}
/**Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.

```text
SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
```

- **Since:** 1.0.0
- **Group:** string
- **Complexity:** O(1)
- **ACL categories:** `@write`, `@string`, `@slow`
- **Flags:** `write`, `denyoom`

# Arguments

- `key` (key, required)
- `value` (string, required)
- `[NX | XX]` (since 2.6.12) (oneof, optional)
- `[GET]` (since 6.2.0) (pure-token, optional)
- `[EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]` (oneof, optional)

# History

- 2.6.12: Added the `EX`, `PX`, `NX` and `XX` options.
- 6.0.0: Added the `KEEPTTL` option.
- 6.2.0: Added the `GET`, `EXAT` and `PXAT` option.
- 7.0.0: Allowed the `NX` and `GET` options to be used together.
*/
#[doc(alias = "SET")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Set<E = (), R = ()> {
    exec: E,
    args: Args<5>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `SET`.
pub static SET_SPEC: CommandSpec = CommandSpec {
    name: "SET",
    group: "string",
    since: (1, 0, 0),
    requires: Requires::since((1, 0, 0)),
    arity: -3,
    flags: &["write", "denyoom"],
    acl_categories: &["@write", "@string", "@slow"],
    tips: &[],
    key_specs: &[
        KeySpec {
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                last_key: 0,
                step: 1,
                limit: 0,
            },
            flags: &["RW", "access", "update", "variable_flags"],
        },
    ],
    block: BlockRule::Never,
};
const SET_HEAD: Head = Head {
    words: 1,
    wire: b"$3\r\nSET\r\n",
};
impl Set {
    ///A detached `SET` command, for pipelines and transactions.
    pub fn new(key: impl ToArg, value: impl ToArg) -> Self {
        Self::with_executor((), key, value)
    }
}
impl<E> Set<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(exec: E, key: impl ToArg, value: impl ToArg) -> Self {
        let mut args_ = Args::new();
        args_
            .set(
                0,
                |w| {
                    w.arg_owned(key);
                },
            );
        args_
            .set(
                1,
                |w| {
                    w.arg_owned(value);
                },
            );
        Set {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Set<E, R> {
    /**`[NX | XX]` (since 2.6.12)

Sets it from a [`Condition`] value; the shorthand methods set one choice each.*/
    pub fn condition(mut self, value: Condition) -> Self {
        self.args.since(Requires::since((2, 6, 12)));
        self.args
            .set(
                2,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`NX`
    #[allow(clippy::too_many_arguments)]
    pub fn nx(mut self) -> Set<E, bool> {
        self.args.since(Requires::since((2, 6, 12)));
        let value = Condition::Nx;
        self.args
            .set(
                2,
                |w| {
                    w.value(&value);
                },
            );
        Set {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    ///`XX`
    #[allow(clippy::too_many_arguments)]
    pub fn xx(mut self) -> Set<E, bool> {
        self.args.since(Requires::since((2, 6, 12)));
        let value = Condition::Xx;
        self.args
            .set(
                2,
                |w| {
                    w.value(&value);
                },
            );
        Set {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    ///`[GET]` (since 6.2.0)
    pub fn get(mut self) -> Set<E, Option<crate::ByteStr>> {
        self.args.since(Requires::since((6, 2, 0)));
        self.args
            .set(
                3,
                |w| {
                    w.token("GET");
                },
            );
        Set {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    /**`[EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]`

Sets it from a [`SetExpiration`] value; the shorthand methods set one choice each.*/
    pub fn expiration(mut self, value: SetExpiration) -> Self {
        self.args
            .set(
                4,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`EX seconds` (since 2.6.12)
    #[allow(clippy::too_many_arguments)]
    pub fn ex(mut self, seconds: i64) -> Self {
        let value = SetExpiration::Seconds(seconds);
        self.args
            .set(
                4,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`PX milliseconds` (since 2.6.12)
    #[allow(clippy::too_many_arguments)]
    pub fn px(mut self, milliseconds: i64) -> Self {
        let value = SetExpiration::Milliseconds(milliseconds);
        self.args
            .set(
                4,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`EXAT unix-time-seconds` (since 6.2.0)
    #[allow(clippy::too_many_arguments)]
    pub fn exat(mut self, unix_time_seconds: i64) -> Self {
        let value = SetExpiration::UnixTimeSeconds(unix_time_seconds);
        self.args
            .set(
                4,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`PXAT unix-time-milliseconds` (since 6.2.0)
    #[allow(clippy::too_many_arguments)]
    pub fn pxat(mut self, unix_time_milliseconds: i64) -> Self {
        let value = SetExpiration::UnixTimeMilliseconds(unix_time_milliseconds);
        self.args
            .set(
                4,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`KEEPTTL` (since 6.0.0)
    #[allow(clippy::too_many_arguments)]
    pub fn keepttl(mut self) -> Self {
        let value = SetExpiration::Keepttl;
        self.args
            .set(
                4,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> Set<E, T> {
        Set {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Set<E, R> {
    fn name(&self) -> &str {
        "SET"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(SET_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(SET_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        SET_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&SET_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("SET", m));
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Set<E, R> {
    const SPEC: &'static CommandSpec = &SET_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Set<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "SET")
    }
}
impl<C: BlockingExecutor, R: FromResp> Set<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("SET"))
    }
}
///One of the choices of the `expiration` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum SetExpiration {
    ///`EX seconds` (since 2.6.12)
    Seconds(i64),
    ///`PX milliseconds` (since 2.6.12)
    Milliseconds(i64),
    ///`EXAT unix-time-seconds` (since 6.2.0)
    UnixTimeSeconds(i64),
    ///`PXAT unix-time-milliseconds` (since 6.2.0)
    UnixTimeMilliseconds(i64),
    ///`KEEPTTL` (since 6.0.0)
    Keepttl,
}
impl WriteArgs for SetExpiration {
    #[allow(unused_variables, clippy::needless_borrow)]
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        match self {
            Self::Seconds(x) => {
                w.since(Requires::since((2, 6, 12)));
                w.token("EX");
                w.arg_owned(x);
            }
            Self::Milliseconds(x) => {
                w.since(Requires::since((2, 6, 12)));
                w.token("PX");
                w.arg_owned(x);
            }
            Self::UnixTimeSeconds(x) => {
                w.since(Requires::since((6, 2, 0)));
                w.token("EXAT");
                w.arg_owned(x);
            }
            Self::UnixTimeMilliseconds(x) => {
                w.since(Requires::since((6, 2, 0)));
                w.token("PXAT");
                w.arg_owned(x);
            }
            Self::Keepttl => {
                w.since(Requires::since((6, 0, 0)));
                w.token("KEEPTTL");
            }
        }
    }
}
