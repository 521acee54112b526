pub trait GoldenCommands: Executor {
    /**`XADD`: Appends a new message to a stream. Creates the key if it doesn't exist. See [`Xadd`].

**Reply:** `Option<String>` by default (`.reply::<T>()` reads it as another `T`).

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: Option<String> = client.xadd("respec:sample", "1", [("1", "1")]).nomkstream().await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "XADD")]
    fn xadd(
        &self,
        key: impl ToArg,
        id_selector: impl ToArg,
        data: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
    ) -> Xadd<&Self> {
        Xadd::with_executor(self, key, id_selector, data)
    }
}
///`XADD`: Appends a new message to a stream. Creates the key if it doesn't exist. See [`Xadd`].
#[doc(alias = "XADD")]
pub fn xadd(
    key: impl ToArg,
    id_selector: impl ToArg,
    data: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
) -> Xadd {
    Xadd::new(key, id_selector, data)
}
/**Appends a new message to a stream. Creates the key if it doesn't exist.

```text
XADD key [NOMKSTREAM] [KEEPREF | DELREF | ACKED] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value [field value ...]
```

- **Since:** 5.0.0
- **Group:** stream
- **Complexity:** O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.
- **ACL categories:** `@write`, `@stream`, `@fast`
- **Flags:** `write`, `denyoom`, `fast`
- **Tips:** `nondeterministic_output`

# Arguments

- `key` (key, required)
- `[NOMKSTREAM]` (since 6.2.0) (pure-token, optional)
- `[KEEPREF | DELREF | ACKED]` (oneof, optional)
- `[<MAXLEN | MINID> [= | ~] threshold [LIMIT count]]` (block, optional)
- `<* | id>` (oneof, required)
- `field value [field value ...]` (block, required)

# History

- 6.2.0: Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option.
- 7.0.0: Added support for the `<ms>-*` explicit ID form.
- 8.2.0: Added the `KEEPREF`, `DELREF` and `ACKED` options.
*/
#[doc(alias = "XADD")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Xadd<E = (), R = Option<String>> {
    exec: E,
    args: Args<10>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `XADD`.
pub static XADD_SPEC: CommandSpec = CommandSpec {
    name: "XADD",
    group: "stream",
    since: (5, 0, 0),
    requires: Requires::since((5, 0, 0)),
    arity: -5,
    flags: &["write", "denyoom", "fast"],
    acl_categories: &["@write", "@stream", "@fast"],
    tips: &["nondeterministic_output"],
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
const XADD_HEAD: Head = Head {
    words: 1,
    wire: b"$4\r\nXADD\r\n",
};
impl Xadd {
    ///A detached `XADD` command, for pipelines and transactions.
    pub fn new(
        key: impl ToArg,
        id_selector: impl ToArg,
        data: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
    ) -> Self {
        Self::with_executor((), key, id_selector, data)
    }
}
impl<E> Xadd<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(
        exec: E,
        key: impl ToArg,
        id_selector: impl ToArg,
        data: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
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
                8,
                |w| {
                    w.arg_owned(id_selector);
                },
            );
        let mut count_ = 0usize;
        args_
            .set(
                9,
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
            args_.fail("`XADD` needs at least one `data`");
        }
        Xadd {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Xadd<E, R> {
    ///`[NOMKSTREAM]` (since 6.2.0)
    pub fn nomkstream(mut self) -> Self {
        self.args.since(Requires::since((6, 2, 0)));
        self.args
            .set(
                1,
                |w| {
                    w.token("NOMKSTREAM");
                },
            );
        self
    }
    /**`[KEEPREF | DELREF | ACKED]`

Sets it from a [`RefPolicy`] value; the shorthand methods set one choice each.*/
    pub fn condition(mut self, value: RefPolicy) -> Self {
        self.args
            .set(
                2,
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
                2,
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
                2,
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
                2,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`MAXLEN threshold`: `MAXLEN`
    pub fn maxlen(mut self, threshold: impl ToArg) -> Self {
        self.args
            .set(
                4,
                |w| {
                    w.token("MAXLEN");
                },
            );
        self.args
            .set(
                6,
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
                4,
                |w| {
                    w.token("MINID");
                },
            );
        self.args
            .set(
                6,
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
                5,
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
                5,
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
                5,
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
                7,
                |w| {
                    w.since(Requires::since((6, 2, 0)));
                    w.token("LIMIT");
                    w.arg_owned(count);
                },
            );
        self
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> Xadd<E, T> {
        Xadd {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Xadd<E, R> {
    fn name(&self) -> &str {
        "XADD"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(XADD_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(XADD_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        XADD_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&XADD_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("XADD", m));
        }
        if self.args.is_set(5) && !self.args.is_set(4) {
            return Err(
                input_error(
                    "XADD",
                    "`XADD`: `= | ~` is given without one of `maxlen`, `minid`",
                ),
            );
        }
        if self.args.is_set(7) && !self.args.is_set(4) {
            return Err(
                input_error(
                    "XADD",
                    "`XADD`: `LIMIT count` is given without one of `maxlen`, `minid`",
                ),
            );
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Xadd<E, R> {
    const SPEC: &'static CommandSpec = &XADD_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Xadd<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "XADD")
    }
}
impl<C: BlockingExecutor, R: FromResp> Xadd<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("XADD"))
    }
}
