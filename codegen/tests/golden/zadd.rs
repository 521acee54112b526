pub trait GoldenCommands: Executor {
    /**`ZADD`: Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist. See [`Zadd`].

**Reply:** `Option<i64>` by default (`.reply::<T>()` reads it as another `T`).
- with `INCR`: `Option<f64>`

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: Option<i64> = client.zadd("respec:sample", [(1.0, "1")]).ch().await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "ZADD")]
    fn zadd(
        &self,
        key: impl ToArg,
        data: impl IntoIterator<Item = (f64, impl ToArg)>,
    ) -> Zadd<&Self> {
        Zadd::with_executor(self, key, data)
    }
}
///`ZADD`: Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist. See [`Zadd`].
#[doc(alias = "ZADD")]
pub fn zadd(key: impl ToArg, data: impl IntoIterator<Item = (f64, impl ToArg)>) -> Zadd {
    Zadd::new(key, data)
}
/**Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.

```text
ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
```

- **Since:** 1.2.0
- **Group:** sorted-set
- **Complexity:** O(log(N)) for each item added, where N is the number of elements in the sorted set.
- **ACL categories:** `@write`, `@sortedset`, `@fast`
- **Flags:** `write`, `denyoom`, `fast`

# Arguments

- `key` (key, required)
- `[NX | XX]` (since 3.0.2) (oneof, optional)
- `[GT | LT]` (since 6.2.0) (oneof, optional)
- `[CH]` (since 3.0.2) (pure-token, optional)
- `[INCR]` (since 3.0.2) (pure-token, optional)
- `score member [score member ...]` (block, required)

# History

- 2.4.0: Accepts multiple elements.
- 3.0.2: Added the `XX`, `NX`, `CH` and `INCR` options.
- 6.2.0: Added the `GT` and `LT` options.
*/
#[doc(alias = "ZADD")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Zadd<E = (), R = Option<i64>> {
    exec: E,
    args: Args<6>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `ZADD`.
pub static ZADD_SPEC: CommandSpec = CommandSpec {
    name: "ZADD",
    group: "sorted-set",
    since: (1, 2, 0),
    requires: Requires::since((1, 2, 0)),
    arity: -4,
    flags: &["write", "denyoom", "fast"],
    acl_categories: &["@write", "@sortedset", "@fast"],
    tips: &[],
    key_specs: &[
        KeySpec {
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                last_key: 0,
                step: 1,
                limit: 0,
            },
            flags: &["RW", "update"],
        },
    ],
    block: BlockRule::Never,
};
const ZADD_HEAD: Head = Head {
    words: 1,
    wire: b"$4\r\nZADD\r\n",
};
impl Zadd {
    ///A detached `ZADD` command, for pipelines and transactions.
    pub fn new(
        key: impl ToArg,
        data: impl IntoIterator<Item = (f64, impl ToArg)>,
    ) -> Self {
        Self::with_executor((), key, data)
    }
}
impl<E> Zadd<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(
        exec: E,
        key: impl ToArg,
        data: impl IntoIterator<Item = (f64, impl ToArg)>,
    ) -> Self {
        let mut args_ = Args::new();
        args_
            .set(
                0,
                |w| {
                    w.arg_owned(key);
                },
            );
        let mut count_ = 0usize;
        args_
            .set(
                5,
                |w| {
                    for item in data {
                        {
                            let (f0, f1) = item;
                            w.arg_owned(f0);
                            w.arg_owned(f1);
                        }
                        count_ += 1;
                    }
                },
            );
        if count_ == 0 {
            args_.fail("`ZADD` needs at least one `data`");
        }
        Zadd {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Zadd<E, R> {
    /**`[NX | XX]` (since 3.0.2)

Sets it from a [`Condition`] value; the shorthand methods set one choice each.*/
    pub fn condition(mut self, value: Condition) -> Self {
        self.args.since(Requires::since((3, 0, 2)));
        self.args
            .set(
                1,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`NX`
    #[allow(clippy::too_many_arguments)]
    pub fn nx(mut self) -> Self {
        self.args.since(Requires::since((3, 0, 2)));
        let value = Condition::Nx;
        self.args
            .set(
                1,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`XX`
    #[allow(clippy::too_many_arguments)]
    pub fn xx(mut self) -> Self {
        self.args.since(Requires::since((3, 0, 2)));
        let value = Condition::Xx;
        self.args
            .set(
                1,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    /**`[GT | LT]` (since 6.2.0)

Sets it from a [`Comparison`] value; the shorthand methods set one choice each.*/
    pub fn comparison(mut self, value: Comparison) -> Self {
        self.args.since(Requires::since((6, 2, 0)));
        self.args
            .set(
                2,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`GT`
    #[allow(clippy::too_many_arguments)]
    pub fn gt(mut self) -> Self {
        self.args.since(Requires::since((6, 2, 0)));
        let value = Comparison::Gt;
        self.args
            .set(
                2,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`LT`
    #[allow(clippy::too_many_arguments)]
    pub fn lt(mut self) -> Self {
        self.args.since(Requires::since((6, 2, 0)));
        let value = Comparison::Lt;
        self.args
            .set(
                2,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`[CH]` (since 3.0.2)
    pub fn ch(mut self) -> Self {
        self.args.since(Requires::since((3, 0, 2)));
        self.args
            .set(
                3,
                |w| {
                    w.token("CH");
                },
            );
        self
    }
    ///`[INCR]` (since 3.0.2)
    pub fn incr(mut self) -> Zadd<E, Option<f64>> {
        self.args.since(Requires::since((3, 0, 2)));
        self.args
            .set(
                4,
                |w| {
                    w.token("INCR");
                },
            );
        Zadd {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> Zadd<E, T> {
        Zadd {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Zadd<E, R> {
    fn name(&self) -> &str {
        "ZADD"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(ZADD_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(ZADD_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        ZADD_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&ZADD_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("ZADD", m));
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Zadd<E, R> {
    const SPEC: &'static CommandSpec = &ZADD_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Zadd<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "ZADD")
    }
}
impl<C: BlockingExecutor, R: FromResp> Zadd<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("ZADD"))
    }
}
