pub trait GoldenCommands: Executor {
    /**`XTRIM`: Deletes messages from the beginning of a stream. See [`Xtrim`].

**Reply:** `i64` by default (`.reply::<T>()` reads it as another `T`).

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: i64 = client.xtrim("respec:sample").maxlen("1").await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "XTRIM")]
    fn xtrim(&self, key: impl ToArg) -> Xtrim<&Self> {
        Xtrim::with_executor(self, key)
    }
}
///`XTRIM`: Deletes messages from the beginning of a stream. See [`Xtrim`].
#[doc(alias = "XTRIM")]
pub fn xtrim(key: impl ToArg) -> Xtrim {
    Xtrim::new(key)
}
/**Deletes messages from the beginning of a stream.

```text
XTRIM key <MAXLEN | MINID> [= | ~] threshold [LIMIT count] [KEEPREF | DELREF | ACKED]
```

- **Since:** 5.0.0
- **Group:** stream
- **Complexity:** O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.
- **ACL categories:** `@write`, `@stream`, `@slow`
- **Flags:** `write`
- **Tips:** `nondeterministic_output`

# Arguments

- `key` (key, required)
- `<MAXLEN | MINID> [= | ~] threshold [LIMIT count] [KEEPREF | DELREF | ACKED]` (block, required)

# History

- 6.2.0: Added the `MINID` trimming strategy and the `LIMIT` option.
- 8.2.0: Added the `KEEPREF`, `DELREF` and `ACKED` options.
*/
#[doc(alias = "XTRIM")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Xtrim<E = (), R = i64> {
    exec: E,
    args: Args<7>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `XTRIM`.
pub static XTRIM_SPEC: CommandSpec = CommandSpec {
    name: "XTRIM",
    group: "stream",
    since: (5, 0, 0),
    requires: Requires::since((5, 0, 0)),
    arity: -4,
    flags: &["write"],
    acl_categories: &["@write", "@stream", "@slow"],
    tips: &["nondeterministic_output"],
    key_specs: &[
        KeySpec {
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                last_key: 0,
                step: 1,
                limit: 0,
            },
            flags: &["RW", "delete"],
        },
    ],
    block: BlockRule::Never,
};
const XTRIM_HEAD: Head = Head {
    words: 1,
    wire: b"$5\r\nXTRIM\r\n",
};
impl Xtrim {
    ///A detached `XTRIM` command, for pipelines and transactions.
    pub fn new(key: impl ToArg) -> Self {
        Self::with_executor((), key)
    }
}
impl<E> Xtrim<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(exec: E, key: impl ToArg) -> Self {
        let mut args_ = Args::new();
        args_
            .set(
                0,
                |w| {
                    w.arg_owned(key);
                },
            );
        Xtrim {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Xtrim<E, R> {
    ///`MAXLEN threshold`: `MAXLEN`
    pub fn maxlen(mut self, threshold: impl ToArg) -> Self {
        self.args
            .set(
                2,
                |w| {
                    w.token("MAXLEN");
                },
            );
        self.args
            .set(
                4,
                |w| {
                    w.arg_owned(threshold);
                },
            );
        self
    }
    ///`MINID threshold`: `MINID` (since 6.2.0)
    pub fn minid(mut self, threshold: impl ToArg) -> Self {
        self.args.since(Requires::since((6, 2, 0)));
        self.args
            .set(
                2,
                |w| {
                    w.token("MINID");
                },
            );
        self.args
            .set(
                4,
                |w| {
                    w.arg_owned(threshold);
                },
            );
        self
    }
    /**`[= | ~]`

Sets it from a [`TrimOperator`] value; the shorthand methods set one choice each.*/
    pub fn operator(mut self, value: TrimOperator) -> Self {
        self.args
            .set(
                3,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`=`
    #[allow(clippy::too_many_arguments)]
    pub fn exact(mut self) -> Self {
        let value = TrimOperator::Equal;
        self.args
            .set(
                3,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`~`
    #[allow(clippy::too_many_arguments)]
    pub fn approx(mut self) -> Self {
        let value = TrimOperator::Approximately;
        self.args
            .set(
                3,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`[LIMIT count]` (since 6.2.0)
    pub fn limit(mut self, count: i64) -> Self {
        self.args.since(Requires::since((6, 2, 0)));
        self.args
            .set(
                5,
                |w| {
                    w.since(Requires::since((6, 2, 0)));
                    w.token("LIMIT");
                    w.arg_owned(count);
                },
            );
        self
    }
    /**`[KEEPREF | DELREF | ACKED]`

Sets it from a [`RefPolicy`] value; the shorthand methods set one choice each.*/
    pub fn condition(mut self, value: RefPolicy) -> Self {
        self.args
            .set(
                6,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`KEEPREF`
    #[allow(clippy::too_many_arguments)]
    pub fn keepref(mut self) -> Self {
        let value = RefPolicy::Keepref;
        self.args
            .set(
                6,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`DELREF`
    #[allow(clippy::too_many_arguments)]
    pub fn delref(mut self) -> Self {
        let value = RefPolicy::Delref;
        self.args
            .set(
                6,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`ACKED`
    #[allow(clippy::too_many_arguments)]
    pub fn acked(mut self) -> Self {
        let value = RefPolicy::Acked;
        self.args
            .set(
                6,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> Xtrim<E, T> {
        Xtrim {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Xtrim<E, R> {
    fn name(&self) -> &str {
        "XTRIM"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(XTRIM_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(XTRIM_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        XTRIM_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&XTRIM_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("XTRIM", m));
        }
        if self.args.is_set(3) && !self.args.is_set(2) {
            return Err(
                input_error(
                    "XTRIM",
                    "`XTRIM`: `= | ~` is given without one of `maxlen`, `minid`",
                ),
            );
        }
        if self.args.is_set(5) && !self.args.is_set(2) {
            return Err(
                input_error(
                    "XTRIM",
                    "`XTRIM`: `LIMIT count` is given without one of `maxlen`, `minid`",
                ),
            );
        }
        if self.args.is_set(6) && !self.args.is_set(2) {
            return Err(
                input_error(
                    "XTRIM",
                    "`XTRIM`: `KEEPREF | DELREF | ACKED` is given without one of `maxlen`, `minid`",
                ),
            );
        }
        if !self.args.is_set(2) {
            return Err(input_error("XTRIM", "`XTRIM` needs one of `maxlen`, `minid`"));
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Xtrim<E, R> {
    const SPEC: &'static CommandSpec = &XTRIM_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Xtrim<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "XTRIM")
    }
}
impl<C: BlockingExecutor, R: FromResp> Xtrim<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("XTRIM"))
    }
}
