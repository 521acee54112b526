pub trait GoldenCommands: Executor {
    /**`LMOVE`: Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved. See [`Lmove`].

**Reply:** `Option<respec::ByteStr>` by default (`.reply::<T>()` reads it as another `T`).

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: Option<respec::ByteStr> = client
    .lmove(
        "respec:sample",
        "respec:sample",
        Side::Left,
        Side::Left,
    ).await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "LMOVE")]
    fn lmove(
        &self,
        source: impl ToArg,
        destination: impl ToArg,
        wherefrom: Side,
        whereto: Side,
    ) -> Lmove<&Self> {
        Lmove::with_executor(self, source, destination, wherefrom, whereto)
    }
}
///`LMOVE`: Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved. See [`Lmove`].
#[doc(alias = "LMOVE")]
pub fn lmove(
    source: impl ToArg,
    destination: impl ToArg,
    wherefrom: Side,
    whereto: Side,
) -> Lmove {
    Lmove::new(source, destination, wherefrom, whereto)
}
/**Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.

```text
LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>
```

- **Since:** 6.2.0
- **Group:** list
- **Complexity:** O(1)
- **ACL categories:** `@write`, `@list`, `@slow`
- **Flags:** `write`, `denyoom`

# Arguments

- `source` (key, required)
- `destination` (key, required)
- `<LEFT | RIGHT>` (oneof, required)
- `<LEFT | RIGHT>` (oneof, required)
*/
#[doc(alias = "LMOVE")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Lmove<E = (), R = Option<crate::ByteStr>> {
    exec: E,
    args: Args<4>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `LMOVE`.
pub static LMOVE_SPEC: CommandSpec = CommandSpec {
    name: "LMOVE",
    group: "list",
    since: (6, 2, 0),
    requires: Requires::since((6, 2, 0)),
    arity: 5,
    flags: &["write", "denyoom"],
    acl_categories: &["@write", "@list", "@slow"],
    tips: &[],
    key_specs: &[
        KeySpec {
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                last_key: 0,
                step: 1,
                limit: 0,
            },
            flags: &["RW", "access", "delete"],
        },
        KeySpec {
            begin: BeginSearch::Index(2),
            find: FindKeys::Range {
                last_key: 0,
                step: 1,
                limit: 0,
            },
            flags: &["RW", "insert"],
        },
    ],
    block: BlockRule::Never,
};
const LMOVE_HEAD: Head = Head {
    words: 1,
    wire: b"$5\r\nLMOVE\r\n",
};
impl Lmove {
    ///A detached `LMOVE` command, for pipelines and transactions.
    pub fn new(
        source: impl ToArg,
        destination: impl ToArg,
        wherefrom: Side,
        whereto: Side,
    ) -> Self {
        Self::with_executor((), source, destination, wherefrom, whereto)
    }
}
impl<E> Lmove<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(
        exec: E,
        source: impl ToArg,
        destination: impl ToArg,
        wherefrom: Side,
        whereto: Side,
    ) -> Self {
        let mut args_ = Args::new();
        args_
            .set(
                0,
                |w| {
                    w.arg_owned(source);
                },
            );
        args_
            .set(
                1,
                |w| {
                    w.arg_owned(destination);
                },
            );
        args_
            .set(
                2,
                |w| {
                    w.value(&wherefrom);
                },
            );
        args_
            .set(
                3,
                |w| {
                    w.value(&whereto);
                },
            );
        Lmove {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Lmove<E, R> {
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> Lmove<E, T> {
        Lmove {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Lmove<E, R> {
    fn name(&self) -> &str {
        "LMOVE"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(LMOVE_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(LMOVE_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        LMOVE_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&LMOVE_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("LMOVE", m));
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Lmove<E, R> {
    const SPEC: &'static CommandSpec = &LMOVE_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Lmove<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "LMOVE")
    }
}
impl<C: BlockingExecutor, R: FromResp> Lmove<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("LMOVE"))
    }
}
