pub trait GoldenCommands: Executor {
    /**`HRANDFIELD`: Returns one or more random fields from a hash. See [`Hrandfield`].

**Reply:** `Option<respec::ByteStr>` by default (`.reply::<T>()` reads it as another `T`).
- with `options`: `Vec<respec::ByteStr>`
- with `WITHVALUES`: `Vec<(respec::ByteStr, respec::ByteStr)>`

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: Option<respec::ByteStr> = client.hrandfield("respec:sample").await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "HRANDFIELD")]
    fn hrandfield(&self, key: impl ToArg) -> Hrandfield<&Self> {
        Hrandfield::with_executor(self, key)
    }
}
///`HRANDFIELD`: Returns one or more random fields from a hash. See [`Hrandfield`].
#[doc(alias = "HRANDFIELD")]
pub fn hrandfield(key: impl ToArg) -> Hrandfield {
    Hrandfield::new(key)
}
/**Returns one or more random fields from a hash.

```text
HRANDFIELD key [count [WITHVALUES]]
```

- **Since:** 6.2.0
- **Group:** hash
- **Complexity:** O(N) where N is the number of fields returned
- **ACL categories:** `@read`, `@hash`, `@slow`
- **Flags:** `readonly`
- **Tips:** `nondeterministic_output`

# Arguments

- `key` (key, required)
- `[count [WITHVALUES]]` (block, optional)
*/
#[doc(alias = "HRANDFIELD")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Hrandfield<E = (), R = Option<crate::ByteStr>> {
    exec: E,
    args: Args<4>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `HRANDFIELD`.
pub static HRANDFIELD_SPEC: CommandSpec = CommandSpec {
    name: "HRANDFIELD",
    group: "hash",
    since: (6, 2, 0),
    requires: Requires::since((6, 2, 0)),
    arity: -2,
    flags: &["readonly"],
    acl_categories: &["@read", "@hash", "@slow"],
    tips: &["nondeterministic_output"],
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
const HRANDFIELD_HEAD: Head = Head {
    words: 1,
    wire: b"$10\r\nHRANDFIELD\r\n",
};
impl Hrandfield {
    ///A detached `HRANDFIELD` command, for pipelines and transactions.
    pub fn new(key: impl ToArg) -> Self {
        Self::with_executor((), key)
    }
}
impl<E> Hrandfield<E> {
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
        Hrandfield {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Hrandfield<E, R> {
    ///`[count [WITHVALUES]]`
    #[allow(clippy::too_many_arguments)]
    pub fn count(mut self, count: i64) -> Hrandfield<E, Vec<crate::ByteStr>> {
        self.args.mark(1);
        self.args
            .set(
                2,
                |w| {
                    w.arg_owned(count);
                },
            );
        Hrandfield {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    ///`[WITHVALUES]`
    pub fn withvalues(mut self) -> Hrandfield<E, Vec<(crate::ByteStr, crate::ByteStr)>> {
        self.args
            .set(
                3,
                |w| {
                    w.token("WITHVALUES");
                },
            );
        Hrandfield {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> Hrandfield<E, T> {
        Hrandfield {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Hrandfield<E, R> {
    fn name(&self) -> &str {
        "HRANDFIELD"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(HRANDFIELD_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(HRANDFIELD_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        HRANDFIELD_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&HRANDFIELD_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("HRANDFIELD", m));
        }
        if self.args.is_set(3) && !self.args.is_set(1) {
            return Err(
                input_error(
                    "HRANDFIELD",
                    "`HRANDFIELD`: `WITHVALUES` is given without `count`",
                ),
            );
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Hrandfield<E, R> {
    const SPEC: &'static CommandSpec = &HRANDFIELD_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Hrandfield<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "HRANDFIELD")
    }
}
impl<C: BlockingExecutor, R: FromResp> Hrandfield<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("HRANDFIELD"))
    }
}
