pub trait GoldenCommands: Executor {
    /**`ZRANGEBYSCORE`: Returns members in a sorted set within a range of scores. See [`Zrangebyscore`].

**Reply:** `Vec<respec::ByteStr>` by default (`.reply::<T>()` reads it as another `T`).
- with `WITHSCORES`: `Vec<(respec::ByteStr, f64)>`

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: Vec<respec::ByteStr> = client.zrangebyscore("respec:sample", 1.0, 1.0).await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "ZRANGEBYSCORE")]
    #[deprecated(since = "6.2.0", note = "replaced by ZRANGE with the BYSCORE argument")]
    fn zrangebyscore(
        &self,
        key: impl ToArg,
        min: impl Into<crate::bounds::ScoreBound>,
        max: impl Into<crate::bounds::ScoreBound>,
    ) -> Zrangebyscore<&Self> {
        Zrangebyscore::with_executor(self, key, min, max)
    }
}
///`ZRANGEBYSCORE`: Returns members in a sorted set within a range of scores. See [`Zrangebyscore`].
#[doc(alias = "ZRANGEBYSCORE")]
#[deprecated(since = "6.2.0", note = "replaced by ZRANGE with the BYSCORE argument")]
pub fn zrangebyscore(
    key: impl ToArg,
    min: impl Into<crate::bounds::ScoreBound>,
    max: impl Into<crate::bounds::ScoreBound>,
) -> Zrangebyscore {
    Zrangebyscore::new(key, min, max)
}
/**Returns members in a sorted set within a range of scores.

```text
ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
```

- **Since:** 1.0.5
- **Group:** sorted-set
- **Complexity:** O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).
- **ACL categories:** `@read`, `@sortedset`, `@slow`
- **Flags:** `readonly`
- **Deprecated**, replaced by `ZRANGE` with the `BYSCORE` argument

# Arguments

- `key` (key, required)
- `min` (score-bound, required)
- `max` (score-bound, required)
- `[WITHSCORES]` (since 2.0.0) (pure-token, optional)
- `[LIMIT offset count]` (block, optional)

# History

- 2.0.0: Added the `WITHSCORES` modifier.
*/
#[doc(alias = "ZRANGEBYSCORE")]
#[deprecated(since = "6.2.0", note = "replaced by ZRANGE with the BYSCORE argument")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Zrangebyscore<E = (), R = Vec<crate::ByteStr>> {
    exec: E,
    args: Args<5>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `ZRANGEBYSCORE`.
pub static ZRANGEBYSCORE_SPEC: CommandSpec = CommandSpec {
    name: "ZRANGEBYSCORE",
    group: "sorted-set",
    since: (1, 0, 5),
    requires: Requires::since((1, 0, 5)),
    arity: -4,
    flags: &["readonly"],
    acl_categories: &["@read", "@sortedset", "@slow"],
    tips: &[],
    key_specs: &[
        KeySpec {
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                last_key: 0,
                step: 1,
                limit: 0,
            },
            flags: &["RO", "access"],
        },
    ],
    block: BlockRule::Never,
};
const ZRANGEBYSCORE_HEAD: Head = Head {
    words: 1,
    wire: b"$13\r\nZRANGEBYSCORE\r\n",
};
impl Zrangebyscore {
    ///A detached `ZRANGEBYSCORE` command, for pipelines and transactions.
    pub fn new(
        key: impl ToArg,
        min: impl Into<crate::bounds::ScoreBound>,
        max: impl Into<crate::bounds::ScoreBound>,
    ) -> Self {
        Self::with_executor((), key, min, max)
    }
}
impl<E> Zrangebyscore<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(
        exec: E,
        key: impl ToArg,
        min: impl Into<crate::bounds::ScoreBound>,
        max: impl Into<crate::bounds::ScoreBound>,
    ) -> Self {
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
                    w.arg(
                        &::core::convert::Into::<crate::bounds::ScoreBound>::into(min),
                    );
                },
            );
        args_
            .set(
                2,
                |w| {
                    w.arg(
                        &::core::convert::Into::<crate::bounds::ScoreBound>::into(max),
                    );
                },
            );
        Zrangebyscore {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Zrangebyscore<E, R> {
    ///`[WITHSCORES]` (since 2.0.0)
    pub fn withscores(mut self) -> Zrangebyscore<E, Vec<(crate::ByteStr, f64)>> {
        self.args.since(Requires::since((2, 0, 0)));
        self.args
            .set(
                3,
                |w| {
                    w.token("WITHSCORES");
                },
            );
        Zrangebyscore {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    ///`[LIMIT offset count]`
    #[allow(clippy::too_many_arguments)]
    pub fn limit(mut self, offset: i64, count: i64) -> Self {
        let value = (offset, count);
        self.args
            .set(
                4,
                |w| {
                    w.token("LIMIT");
                    {
                        let (f0, f1) = value;
                        w.arg_owned(f0);
                        w.arg_owned(f1);
                    }
                },
            );
        self
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> Zrangebyscore<E, T> {
        Zrangebyscore {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Zrangebyscore<E, R> {
    fn name(&self) -> &str {
        "ZRANGEBYSCORE"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(ZRANGEBYSCORE_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(ZRANGEBYSCORE_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        ZRANGEBYSCORE_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&ZRANGEBYSCORE_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("ZRANGEBYSCORE", m));
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Zrangebyscore<E, R> {
    const SPEC: &'static CommandSpec = &ZRANGEBYSCORE_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Zrangebyscore<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "ZRANGEBYSCORE")
    }
}
impl<C: BlockingExecutor, R: FromResp> Zrangebyscore<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("ZRANGEBYSCORE"))
    }
}
