pub trait GoldenCommands: Executor {
    ///`XADD`: Appends a new message to a stream. Creates the key if it doesn't exist. See [`Xadd`].
    #[doc(alias = "XADD")]
    fn xadd(
        &self,
        key: impl ToArg,
        id_selector: XaddIdSelector,
        data: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
    ) -> Xadd<&Self> {
        Xadd::with_executor(self, key, id_selector, data)
    }
}
///`XADD`: Appends a new message to a stream. Creates the key if it doesn't exist. See [`Xadd`].
#[doc(alias = "XADD")]
pub fn xadd(
    key: impl ToArg,
    id_selector: XaddIdSelector,
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
    args: Args<6>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `XADD`.
pub static XADD_SPEC: CommandSpec = CommandSpec {
    name: "XADD",
    group: "stream",
    since: (5, 0, 0),
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
impl Xadd {
    ///A detached `XADD` command, for pipelines and transactions.
    pub fn new(
        key: impl ToArg,
        id_selector: XaddIdSelector,
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
        id_selector: XaddIdSelector,
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
                4,
                |w| {
                    w.value(&id_selector);
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
        self.args.since((6, 2, 0));
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

Sets it from a [`XaddCondition`] value; the shorthand methods set one choice each.*/
    pub fn condition(mut self, value: XaddCondition) -> Self {
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
        let value = XaddCondition::Keepref;
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
        let value = XaddCondition::Delref;
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
        let value = XaddCondition::Acked;
        self.args
            .set(
                2,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`[<MAXLEN | MINID> [= | ~] threshold [LIMIT count]]`
    #[allow(clippy::too_many_arguments)]
    pub fn trim(
        mut self,
        strategy: XaddTrimStrategy,
        operator: Option<XaddTrimOperator>,
        threshold: impl ToArg,
        count: Option<i64>,
    ) -> Self {
        let value = (strategy, operator, threshold, count);
        self.args
            .set(
                3,
                |w| {
                    {
                        let (f0, f1, f2, f3) = value;
                        w.value(&f0);
                        if let Some(x) = f1 {
                            w.value(&x);
                        }
                        w.arg_owned(f2);
                        if let Some(x) = f3 {
                            w.since((6, 2, 0));
                            w.token("LIMIT");
                            w.arg_owned(x);
                        }
                    }
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
        self.args.encode(&["XADD"], out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(&["XADD"], out, parts)
    }
    fn required_version(&self) -> Option<Version> {
        Some(XADD_SPEC.since).max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&XADD_SPEC)
    }
    fn check(&self) -> Result<()> {
        match self.args.error() {
            Some(m) => Err(input_error("XADD", m)),
            None => Ok(()),
        }
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
///One of the choices of the `condition` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum XaddCondition {
    ///`KEEPREF`
    Keepref,
    ///`DELREF`
    Delref,
    ///`ACKED`
    Acked,
}
impl WriteArgs for XaddCondition {
    #[allow(unused_variables, clippy::needless_borrow)]
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        match self {
            Self::Keepref => {
                w.token("KEEPREF");
            }
            Self::Delref => {
                w.token("DELREF");
            }
            Self::Acked => {
                w.token("ACKED");
            }
        }
    }
}
///One of the choices of the `strategy` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum XaddTrimStrategy {
    ///`MAXLEN`
    Maxlen,
    ///`MINID` (since 6.2.0)
    Minid,
}
impl WriteArgs for XaddTrimStrategy {
    #[allow(unused_variables, clippy::needless_borrow)]
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        match self {
            Self::Maxlen => {
                w.token("MAXLEN");
            }
            Self::Minid => {
                w.since((6, 2, 0));
                w.token("MINID");
            }
        }
    }
}
///One of the choices of the `operator` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum XaddTrimOperator {
    ///`=`
    Equal,
    ///`~`
    Approximately,
}
impl WriteArgs for XaddTrimOperator {
    #[allow(unused_variables, clippy::needless_borrow)]
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        match self {
            Self::Equal => {
                w.token("=");
            }
            Self::Approximately => {
                w.token("~");
            }
        }
    }
}
///One of the choices of the `id-selector` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum XaddIdSelector {
    ///`*`
    AutoId,
    ///`id`
    Id(Value),
}
impl WriteArgs for XaddIdSelector {
    #[allow(unused_variables, clippy::needless_borrow)]
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        match self {
            Self::AutoId => {
                w.token("*");
            }
            Self::Id(x) => {
                w.arg_owned(x);
            }
        }
    }
}
