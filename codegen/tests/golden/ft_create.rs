pub trait GoldenCommands: Executor {
    /**`FT.CREATE`: Creates a search index over hashes or JSON documents whose keys start with given prefixes. See [`FtCreate`].

**Reply:** `()` by default (`.reply::<T>()` reads it as another `T`).

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

client
    .ft_create(
        "respec:sample",
        schema::Schema::new()
            .text("title")
            .numeric("price")
            .sortable(),
    )
    .filter("1").await?;
# Ok(())
# }
```*/
    #[doc(alias = "FT.CREATE")]
    fn ft_create(
        &self,
        index: impl ToArg,
        fields: impl Into<crate::commands::schema::Schema>,
    ) -> FtCreate<&Self> {
        FtCreate::with_executor(self, index, fields)
    }
}
///`FT.CREATE`: Creates a search index over hashes or JSON documents whose keys start with given prefixes. See [`FtCreate`].
#[doc(alias = "FT.CREATE")]
pub fn ft_create(
    index: impl ToArg,
    fields: impl Into<crate::commands::schema::Schema>,
) -> FtCreate {
    FtCreate::new(index, fields)
}
/**Creates a search index over hashes or JSON documents whose keys start with given prefixes.

```text
FT.CREATE index [ON HASH | JSON] [PREFIX count prefix [prefix ...]] [FILTER filter] [LANGUAGE default_lang] [LANGUAGE_FIELD lang_attribute] [SCORE default_score] [SCORE_FIELD score_attribute] [PAYLOAD_FIELD payload_attribute] [MAXTEXTFIELDS] [TEMPORARY seconds] [NOOFFSETS] [NOHL] [NOFIELDS] [NOFREQS] [STOPWORDS count stopword [stopword ...]] [SKIPINITIALSCAN] SCHEMA fields [fields ...]
```

- **Since:** 1.0.0
- **Group:** search
- **Complexity:** O(K) to create, where K is the number of attributes; O(N) more when the existing keys are scanned, N being the number of keys
- **Flags:** `write`, `denyoom`, `module`

# Arguments

- `index` (key, required)
- `[ON HASH | JSON]` (since 2.0.0) (oneof, optional)
- `[PREFIX count prefix [prefix ...]]` (since 2.0.0) (`count` is written for you, from what you pass) (block, optional)
- `[FILTER filter]` (since 2.0.0) (string, optional)
- `[LANGUAGE default_lang]` (since 2.0.0) (string, optional)
- `[LANGUAGE_FIELD lang_attribute]` (since 2.0.0) (string, optional)
- `[SCORE default_score]` (since 2.0.0) (double, optional)
- `[SCORE_FIELD score_attribute]` (since 2.0.0) (string, optional)
- `[PAYLOAD_FIELD payload_attribute]` (since 2.0.0) (deprecated since 2.0.0) (string, optional)
- `[MAXTEXTFIELDS]` (pure-token, optional)
- `[TEMPORARY seconds]` (integer, optional)
- `[NOOFFSETS]` (pure-token, optional)
- `[NOHL]` (pure-token, optional)
- `[NOFIELDS]` (pure-token, optional)
- `[NOFREQS]` (pure-token, optional)
- `[STOPWORDS count stopword [stopword ...]]` (`count` is written for you, from what you pass) (block, optional)
- `[SKIPINITIALSCAN]` (since 2.0.0) (pure-token, optional)
- `SCHEMA` (pure-token, required)
- `fields [fields ...]`: given as a `Schema` (`respec::commands::schema::Schema`) (typed, required)

# History

- 2.0.0: Added `ON`, `PREFIX`, `FILTER`, the `*_FIELD` options and `SKIPINITIALSCAN`; `PAYLOAD_FIELD` is deprecated.
- 2.4.0: Added `VECTOR` attributes.
- 2.8.0: Added `GEOSHAPE` attributes.
- 2.10.0: Added `INDEXEMPTY` and `INDEXMISSING`.
*/
#[doc(alias = "FT.CREATE")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct FtCreate<E = (), R = ()> {
    exec: E,
    args: Args<19>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `FT.CREATE`.
pub static FT_CREATE_SPEC: CommandSpec = CommandSpec {
    name: "FT.CREATE",
    group: "search",
    since: (1, 0, 0),
    requires: Requires::since((1, 0, 0)),
    arity: -1,
    flags: &["write", "denyoom", "module"],
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
const FT_CREATE_HEAD: Head = Head {
    words: 1,
    wire: b"$9\r\nFT.CREATE\r\n",
};
impl FtCreate {
    ///A detached `FT.CREATE` command, for pipelines and transactions.
    pub fn new(
        index: impl ToArg,
        fields: impl Into<crate::commands::schema::Schema>,
    ) -> Self {
        Self::with_executor((), index, fields)
    }
}
impl<E> FtCreate<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(
        exec: E,
        index: impl ToArg,
        fields: impl Into<crate::commands::schema::Schema>,
    ) -> Self {
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
                17,
                |w| {
                    w.token("SCHEMA");
                },
            );
        args_
            .set(
                18,
                |w| {
                    w.value(
                        &::core::convert::Into::<
                            crate::commands::schema::Schema,
                        >::into(fields),
                    );
                },
            );
        FtCreate {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> FtCreate<E, R> {
    /**`[ON HASH | JSON]` (since 2.0.0)

Sets it from a [`DataType`] value; the shorthand methods set one choice each.*/
    pub fn data_type(mut self, value: DataType) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        self.args
            .set(
                1,
                |w| {
                    w.token("ON");
                    w.value(&value);
                },
            );
        self
    }
    ///`HASH`
    #[allow(clippy::too_many_arguments)]
    pub fn hash(mut self) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        let value = DataType::Hash;
        self.args
            .set(
                1,
                |w| {
                    w.token("ON");
                    w.value(&value);
                },
            );
        self
    }
    ///`JSON`
    #[allow(clippy::too_many_arguments)]
    pub fn json(mut self) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        let value = DataType::Json;
        self.args
            .set(
                1,
                |w| {
                    w.token("ON");
                    w.value(&value);
                },
            );
        self
    }
    ///`[PREFIX count prefix [prefix ...]]` (since 2.0.0) (`count` is written for you, from what you pass)
    #[allow(clippy::too_many_arguments)]
    pub fn prefix(mut self, prefix: impl IntoIterator<Item = impl ToArg>) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        let value = prefix;
        self.args
            .set(
                2,
                |w| {
                    w.token("PREFIX");
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
    ///`[FILTER filter]` (since 2.0.0)
    pub fn filter(mut self, filter: impl ToArg) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        self.args
            .set(
                3,
                |w| {
                    w.since(Requires::since((2, 0, 0)));
                    w.token("FILTER");
                    w.arg_owned(filter);
                },
            );
        self
    }
    ///`[LANGUAGE default_lang]` (since 2.0.0)
    pub fn language(mut self, default_lang: impl ToArg) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        self.args
            .set(
                4,
                |w| {
                    w.since(Requires::since((2, 0, 0)));
                    w.token("LANGUAGE");
                    w.arg_owned(default_lang);
                },
            );
        self
    }
    ///`[LANGUAGE_FIELD lang_attribute]` (since 2.0.0)
    pub fn language_field(mut self, lang_attribute: impl ToArg) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        self.args
            .set(
                5,
                |w| {
                    w.since(Requires::since((2, 0, 0)));
                    w.token("LANGUAGE_FIELD");
                    w.arg_owned(lang_attribute);
                },
            );
        self
    }
    ///`[SCORE default_score]` (since 2.0.0)
    pub fn score(mut self, default_score: f64) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        self.args
            .set(
                6,
                |w| {
                    w.since(Requires::since((2, 0, 0)));
                    w.token("SCORE");
                    w.arg_owned(default_score);
                },
            );
        self
    }
    ///`[SCORE_FIELD score_attribute]` (since 2.0.0)
    pub fn score_field(mut self, score_attribute: impl ToArg) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        self.args
            .set(
                7,
                |w| {
                    w.since(Requires::since((2, 0, 0)));
                    w.token("SCORE_FIELD");
                    w.arg_owned(score_attribute);
                },
            );
        self
    }
    ///`[PAYLOAD_FIELD payload_attribute]` (since 2.0.0) (deprecated since 2.0.0)
    pub fn payload_field(mut self, payload_attribute: impl ToArg) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        self.args
            .set(
                8,
                |w| {
                    w.since(Requires::since((2, 0, 0)));
                    w.token("PAYLOAD_FIELD");
                    w.arg_owned(payload_attribute);
                },
            );
        self
    }
    ///`[MAXTEXTFIELDS]`
    pub fn maxtextfields(mut self) -> Self {
        self.args
            .set(
                9,
                |w| {
                    w.token("MAXTEXTFIELDS");
                },
            );
        self
    }
    ///`[TEMPORARY seconds]`
    pub fn temporary(mut self, seconds: i64) -> Self {
        self.args
            .set(
                10,
                |w| {
                    w.token("TEMPORARY");
                    w.arg_owned(seconds);
                },
            );
        self
    }
    ///`[NOOFFSETS]`
    pub fn nooffsets(mut self) -> Self {
        self.args
            .set(
                11,
                |w| {
                    w.token("NOOFFSETS");
                },
            );
        self
    }
    ///`[NOHL]`
    pub fn nohl(mut self) -> Self {
        self.args
            .set(
                12,
                |w| {
                    w.token("NOHL");
                },
            );
        self
    }
    ///`[NOFIELDS]`
    pub fn nofields(mut self) -> Self {
        self.args
            .set(
                13,
                |w| {
                    w.token("NOFIELDS");
                },
            );
        self
    }
    ///`[NOFREQS]`
    pub fn nofreqs(mut self) -> Self {
        self.args
            .set(
                14,
                |w| {
                    w.token("NOFREQS");
                },
            );
        self
    }
    ///`[STOPWORDS count stopword [stopword ...]]` (`count` is written for you, from what you pass)
    #[allow(clippy::too_many_arguments)]
    pub fn stopwords(mut self, stopword: impl IntoIterator<Item = impl ToArg>) -> Self {
        let value = stopword;
        self.args
            .set(
                15,
                |w| {
                    w.token("STOPWORDS");
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
    ///`[SKIPINITIALSCAN]` (since 2.0.0)
    pub fn skipinitialscan(mut self) -> Self {
        self.args.since(Requires::since((2, 0, 0)));
        self.args
            .set(
                16,
                |w| {
                    w.token("SKIPINITIALSCAN");
                },
            );
        self
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> FtCreate<E, T> {
        FtCreate {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for FtCreate<E, R> {
    fn name(&self) -> &str {
        "FT.CREATE"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(FT_CREATE_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(FT_CREATE_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        FT_CREATE_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&FT_CREATE_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("FT.CREATE", m));
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for FtCreate<E, R> {
    const SPEC: &'static CommandSpec = &FT_CREATE_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for FtCreate<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "FT.CREATE")
    }
}
impl<C: BlockingExecutor, R: FromResp> FtCreate<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("FT.CREATE"))
    }
}
