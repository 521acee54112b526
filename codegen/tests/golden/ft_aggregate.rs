pub trait GoldenCommands: Executor {
    /**`FT.AGGREGATE`: Runs a query on an index and transforms the results through a pipeline of grouping, sorting, projection and filtering steps. See [`FtAggregate`].

**Reply:** `respec::records::AggregateResults` by default (`.reply::<T>()` reads it as another `T`).
- with `WITHCURSOR`: `respec::records::AggregateCursor`

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: respec::records::AggregateResults = client.ft_aggregate("respec:sample", "1").verbatim().await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "FT.AGGREGATE")]
    fn ft_aggregate(&self, index: impl ToArg, query: impl ToArg) -> FtAggregate<&Self> {
        FtAggregate::with_executor(self, index, query)
    }
}
///`FT.AGGREGATE`: Runs a query on an index and transforms the results through a pipeline of grouping, sorting, projection and filtering steps. See [`FtAggregate`].
#[doc(alias = "FT.AGGREGATE")]
pub fn ft_aggregate(index: impl ToArg, query: impl ToArg) -> FtAggregate {
    FtAggregate::new(index, query)
}
/**Runs a query on an index and transforms the results through a pipeline of grouping, sorting, projection and filtering steps.

```text
FT.AGGREGATE index query [VERBATIM] [ADDSCORES] [SCORER scorer] [TIMEOUT timeout] [LOAD count field [field ...] | LOAD * | GROUPBY nargs property [property ...] [REDUCE reduce [REDUCE reduce ...]] | SORTBY nargs property <ASC | DESC> [property <ASC | DESC> ...] [MAX num] | APPLY expression AS name | LIMIT offset num | FILTER expression [LOAD count field [field ...] | LOAD * | GROUPBY nargs property [property ...] [REDUCE reduce [REDUCE reduce ...]] | SORTBY nargs property <ASC | DESC> [property <ASC | DESC> ...] [MAX num] | APPLY expression AS name | LIMIT offset num | FILTER expression ...]] [WITHCURSOR [COUNT read_size] [MAXIDLE idle_time]] [FORMAT STRING | EXPAND] [PARAMS nargs name value [name value ...]] [DIALECT dialect]
```

- **Since:** 1.1.0
- **Group:** search
- **Complexity:** O(1)
- **Flags:** `readonly`, `module`

# Arguments

- `index` (key, required)
- `query` (string, required)
- `[VERBATIM]` (pure-token, optional)
- `[ADDSCORES]` (since 2.10.0) (pure-token, optional)
- `[SCORER scorer]` (since 2.10.0) (string, optional)
- `[TIMEOUT timeout]` (since 2.0.0) (integer, optional)
- `[LOAD count field [field ...] | LOAD * | GROUPBY nargs property [property ...] [REDUCE reduce [REDUCE reduce ...]] | SORTBY nargs property <ASC | DESC> [property <ASC | DESC> ...] [MAX num] | APPLY expression AS name | LIMIT offset num | FILTER expression [LOAD count field [field ...] | LOAD * | GROUPBY nargs property [property ...] [REDUCE reduce [REDUCE reduce ...]] | SORTBY nargs property <ASC | DESC> [property <ASC | DESC> ...] [MAX num] | APPLY expression AS name | LIMIT offset num | FILTER expression ...]]` (oneof, optional)
- `[WITHCURSOR [COUNT read_size] [MAXIDLE idle_time]]` (block, optional)
- `[FORMAT STRING | EXPAND]` (since 2.6.0) (oneof, optional)
- `[PARAMS nargs name value [name value ...]]` (since 2.4.0) (`nargs` is written for you, from what you pass) (block, optional)
- `[DIALECT dialect]` (since 2.4.3) (integer, optional)

# History

- 2.4.0: Added `PARAMS`.
- 2.4.3: Added `DIALECT`.
- 2.10.0: Added `ADDSCORES`.
*/
#[doc(alias = "FT.AGGREGATE")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct FtAggregate<E = (), R = crate::records::AggregateResults> {
    exec: E,
    args: Args<14>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `FT.AGGREGATE`.
pub static FT_AGGREGATE_SPEC: CommandSpec = CommandSpec {
    name: "FT.AGGREGATE",
    group: "search",
    since: (1, 1, 0),
    requires: Requires::since((1, 1, 0)),
    arity: -1,
    flags: &["readonly", "module"],
    acl_categories: &[],
    tips: &[],
    key_specs: &[
        KeySpec {
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                last_key: 0,
                step: 1,
                limit: 0,
            },
            flags: &["RW", "access", "update"],
        },
    ],
    block: BlockRule::Never,
};
const FT_AGGREGATE_HEAD: Head = Head {
    words: 1,
    wire: b"$12\r\nFT.AGGREGATE\r\n",
};
impl FtAggregate {
    ///A detached `FT.AGGREGATE` command, for pipelines and transactions.
    pub fn new(index: impl ToArg, query: impl ToArg) -> Self {
        Self::with_executor((), index, query)
    }
}
impl<E> FtAggregate<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(exec: E, index: impl ToArg, query: impl ToArg) -> Self {
        let mut args_ = Args::new();
        args_
            .set(
                0,
                |w| {
                    w.arg_owned(index);
                },
            );
        args_
            .set(
                1,
                |w| {
                    w.arg_owned(query);
                },
            );
        FtAggregate {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> FtAggregate<E, R> {
    ///`[VERBATIM]`
    pub fn verbatim(mut self) -> Self {
        self.args
            .set(
                2,
                |w| {
                    w.token("VERBATIM");
                },
            );
        self
    }
    ///`[ADDSCORES]` (since 2.10.0)
    pub fn addscores(mut self) -> Self {
        self.args.since(Requires::since((2, 10, 0)));
        self.args
            .set(
                3,
                |w| {
                    w.token("ADDSCORES");
                },
            );
        self
    }
    ///`[SCORER scorer]` (since 2.10.0)
    pub fn scorer(mut self, scorer: impl ToArg) -> Self {
        self.args.since(Requires::since((2, 10, 0)));
        self.args
            .set(
                4,
                |w| {
                    w.since(Requires::since((2, 10, 0)));
                    w.token("SCORER");
                    w.arg_owned(scorer);
                },
            );
        self
    }
    ///`[TIMEOUT timeout]` (since 2.0.0)
    pub fn timeout(mut self, timeout: i64) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        self.args
            .set(
                5,
                |w| {
                    w.since(Requires::since((2, 0, 0)));
                    w.token("TIMEOUT");
                    w.arg_owned(timeout);
                },
            );
        self
    }
    ///Appends `LOAD count field [field ...]` (`count` is written for you, from what you pass); call it once per item, in the order the server runs them.
    #[allow(clippy::too_many_arguments)]
    pub fn load(mut self, field: impl IntoIterator<Item = impl ToArg>) -> Self {
        let value = field;
        self.args
            .append(
                6,
                None,
                |w| {
                    w.token("LOAD");
                    {
                        let f1 = value;
                        w.counted(|w| {
                            for item in f1 {
                                w.arg_owned(item);
                            }
                        });
                    }
                },
            );
        self
    }
    ///Appends `LOAD *`; call it once per item, in the order the server runs them.
    pub fn load_all(mut self) -> Self {
        self.args
            .append(
                6,
                None,
                |w| {
                    w.token("LOAD");
                    w.token("*");
                },
            );
        self
    }
    ///Appends `GROUPBY nargs property [property ...] [REDUCE reduce [REDUCE reduce ...]]` (`nargs` is written for you, from what you pass); call it once per item, in the order the server runs them.
    #[allow(clippy::too_many_arguments)]
    pub fn groupby(mut self, property: impl IntoIterator<Item = impl ToArg>) -> Self {
        let value = property;
        self.args
            .append_item(
                6,
                None,
                3,
                |w| {
                    w.token("GROUPBY");
                    {
                        let f1 = value;
                        w.counted(|w| {
                            for item in f1 {
                                w.arg_owned(item);
                            }
                        });
                    }
                },
            );
        self
    }
    /**`[REDUCE reduce [REDUCE reduce ...]]`: given as a `Reduce` (`respec::commands::aggregate::Reduce`)

Adds one to the `GROUPBY` item appended last (by [`groupby`](Self::groupby)); call it once per value, in order.*/
    pub fn reduce(
        mut self,
        reduce: impl Into<crate::commands::aggregate::Reduce>,
    ) -> Self {
        self.args
            .continue_item(
                6,
                3,
                2,
                true,
                "`FT.AGGREGATE`: `reduce` continues the `GROUPBY` item appended last: call it right after `groupby`",
                |w| {
                    w.token("REDUCE");
                    w.value(
                        &::core::convert::Into::<
                            crate::commands::aggregate::Reduce,
                        >::into(reduce),
                    );
                },
            );
        self
    }
    ///Appends `SORTBY nargs property <ASC | DESC> [property <ASC | DESC> ...] [MAX num]` (`nargs` is written for you, from what you pass); call it once per item, in the order the server runs them.
    #[allow(clippy::too_many_arguments)]
    pub fn sortby(
        mut self,
        order: impl IntoIterator<Item = (impl ToArg, FtAggregateSortbyOrderDirection)>,
    ) -> Self {
        let value = order;
        self.args
            .append_item(
                6,
                None,
                4,
                |w| {
                    w.token("SORTBY");
                    {
                        let f1 = value;
                        w.counted(|w| {
                            for item in f1 {
                                {
                                    let (f0, f1) = item;
                                    w.arg_owned(f0);
                                    w.value(&f1);
                                }
                            }
                        });
                    }
                },
            );
        self
    }
    /**`[MAX num]`

Sets it on the `SORTBY` item appended last (by [`sortby`](Self::sortby)), once per item.*/
    pub fn max(mut self, num: i64) -> Self {
        self.args
            .continue_item(
                6,
                4,
                2,
                false,
                "`FT.AGGREGATE`: `max` continues the `SORTBY` item appended last: call it right after `sortby`, once per item",
                |w| {
                    w.token("MAX");
                    w.arg_owned(num);
                },
            );
        self
    }
    ///Appends `APPLY expression AS name`; call it once per item, in the order the server runs them.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(mut self, expression: impl ToArg, name: impl ToArg) -> Self {
        let value = (expression, name);
        self.args
            .append(
                6,
                None,
                |w| {
                    w.token("APPLY");
                    {
                        let (f0, f1) = value;
                        w.arg_owned(f0);
                        w.token("AS");
                        w.arg_owned(f1);
                    }
                },
            );
        self
    }
    ///Appends `LIMIT offset num`; call it once per item, in the order the server runs them.
    #[allow(clippy::too_many_arguments)]
    pub fn limit(mut self, offset: i64, num: i64) -> Self {
        let value = (offset, num);
        self.args
            .append(
                6,
                None,
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
    ///Appends `FILTER expression`; call it once per item, in the order the server runs them.
    #[allow(clippy::too_many_arguments)]
    pub fn filter(mut self, expression: impl ToArg) -> Self {
        let value = expression;
        self.args
            .append(
                6,
                None,
                |w| {
                    w.token("FILTER");
                    {
                        let f0 = value;
                        w.arg_owned(f0);
                    }
                },
            );
        self
    }
    ///`[WITHCURSOR [COUNT read_size] [MAXIDLE idle_time]]`
    #[allow(clippy::too_many_arguments)]
    pub fn cursor(mut self) -> FtAggregate<E, crate::records::AggregateCursor> {
        self.args.mark(7);
        self.args
            .set(
                8,
                |w| {
                    w.token("WITHCURSOR");
                },
            );
        FtAggregate {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    ///`[COUNT read_size]`
    pub fn count(
        mut self,
        read_size: i64,
    ) -> FtAggregate<E, crate::records::AggregateCursor> {
        self.args
            .set(
                9,
                |w| {
                    w.token("COUNT");
                    w.arg_owned(read_size);
                },
            );
        FtAggregate {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    ///`[MAXIDLE idle_time]`
    pub fn maxidle(
        mut self,
        idle_time: i64,
    ) -> FtAggregate<E, crate::records::AggregateCursor> {
        self.args
            .set(
                10,
                |w| {
                    w.token("MAXIDLE");
                    w.arg_owned(idle_time);
                },
            );
        FtAggregate {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    /**`[FORMAT STRING | EXPAND]` (since 2.6.0)

Sets it from a [`Format`] value; the shorthand methods set one choice each.*/
    pub fn format(mut self, value: Format) -> Self {
        self.args.since(Requires::since((2, 6, 0)));
        self.args
            .set(
                11,
                |w| {
                    w.token("FORMAT");
                    w.value(&value);
                },
            );
        self
    }
    ///`STRING`
    #[allow(clippy::too_many_arguments)]
    pub fn string(mut self) -> Self {
        self.args.since(Requires::since((2, 6, 0)));
        let value = Format::String;
        self.args
            .set(
                11,
                |w| {
                    w.token("FORMAT");
                    w.value(&value);
                },
            );
        self
    }
    ///`EXPAND`
    #[allow(clippy::too_many_arguments)]
    pub fn expand(mut self) -> Self {
        self.args.since(Requires::since((2, 6, 0)));
        let value = Format::Expand;
        self.args
            .set(
                11,
                |w| {
                    w.token("FORMAT");
                    w.value(&value);
                },
            );
        self
    }
    ///`[PARAMS nargs name value [name value ...]]` (since 2.4.0) (`nargs` is written for you, from what you pass)
    #[allow(clippy::too_many_arguments)]
    pub fn params(
        mut self,
        parameter: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
    ) -> Self {
        self.args.since(Requires::since((2, 4, 0)));
        let value = parameter;
        self.args
            .set(
                12,
                |w| {
                    w.token("PARAMS");
                    {
                        let f1 = value;
                        w.counted(|w| {
                            for item in f1 {
                                {
                                    let (f0, f1) = item;
                                    w.arg_owned(f0);
                                    w.arg_owned(f1);
                                }
                            }
                        });
                    }
                },
            );
        self
    }
    ///`[DIALECT dialect]` (since 2.4.3)
    pub fn dialect(mut self, dialect: i64) -> Self {
        self.args.since(Requires::since((2, 4, 3)));
        self.args
            .set(
                13,
                |w| {
                    w.since(Requires::since((2, 4, 3)));
                    w.token("DIALECT");
                    w.arg_owned(dialect);
                },
            );
        self
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> FtAggregate<E, T> {
        FtAggregate {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for FtAggregate<E, R> {
    fn name(&self) -> &str {
        "FT.AGGREGATE"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(FT_AGGREGATE_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(FT_AGGREGATE_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        FT_AGGREGATE_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&FT_AGGREGATE_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("FT.AGGREGATE", m));
        }
        if self.args.is_set(9) && !self.args.is_set(7) {
            return Err(
                input_error(
                    "FT.AGGREGATE",
                    "`FT.AGGREGATE`: `COUNT read_size` is given without `cursor`",
                ),
            );
        }
        if self.args.is_set(10) && !self.args.is_set(7) {
            return Err(
                input_error(
                    "FT.AGGREGATE",
                    "`FT.AGGREGATE`: `MAXIDLE idle_time` is given without `cursor`",
                ),
            );
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for FtAggregate<E, R> {
    const SPEC: &'static CommandSpec = &FT_AGGREGATE_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for FtAggregate<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "FT.AGGREGATE")
    }
}
impl<C: BlockingExecutor, R: FromResp> FtAggregate<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("FT.AGGREGATE"))
    }
}
///One of the choices of the `direction` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum FtAggregateSortbyOrderDirection {
    ///`ASC`
    Asc,
    ///`DESC`
    Desc,
}
impl WriteArgs for FtAggregateSortbyOrderDirection {
    #[allow(unused_variables, clippy::needless_borrow)]
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        match self {
            Self::Asc => {
                w.token("ASC");
            }
            Self::Desc => {
                w.token("DESC");
            }
        }
    }
}
