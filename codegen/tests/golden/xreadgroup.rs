pub trait GoldenCommands: Executor {
    /**`XREADGROUP`: Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise. See [`Xreadgroup`].

**Reply:** `Option<Vec<respec::records::StreamRead<respec::records::GroupEntry>>>` by default (`.reply::<T>()` reads it as another `T`).

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: Option<Vec<respec::records::StreamRead<respec::records::GroupEntry>>> = client.xreadgroup("1", "1", ["respec:sample"], ["1"]).count(1).await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "XREADGROUP")]
    fn xreadgroup(
        &self,
        group: impl ToArg,
        consumer: impl ToArg,
        key: impl IntoIterator<Item = impl ToArg>,
        id: impl IntoIterator<Item = impl ToArg>,
    ) -> Xreadgroup<&Self> {
        Xreadgroup::with_executor(self, group, consumer, key, id)
    }
}
///`XREADGROUP`: Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise. See [`Xreadgroup`].
#[doc(alias = "XREADGROUP")]
pub fn xreadgroup(
    group: impl ToArg,
    consumer: impl ToArg,
    key: impl IntoIterator<Item = impl ToArg>,
    id: impl IntoIterator<Item = impl ToArg>,
) -> Xreadgroup {
    Xreadgroup::new(group, consumer, key, id)
}
/**Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.

```text
XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]
```

- **Since:** 5.0.0
- **Group:** stream
- **Complexity:** For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.
- **ACL categories:** `@write`, `@stream`, `@slow`, `@blocking`
- **Flags:** `write`, `blocking`, `movablekeys`

# Arguments

- `GROUP group consumer` (block, required)
- `[COUNT count]` (integer, optional)
- `[BLOCK milliseconds]` (integer, optional)
- `[NOACK]` (pure-token, optional)
- `STREAMS key [key ...] id [id ...]` (block, required)
*/
#[doc(alias = "XREADGROUP")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Xreadgroup<
    E = (),
    R = Option<Vec<crate::records::StreamRead<crate::records::GroupEntry>>>,
> {
    exec: E,
    args: Args<5>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `XREADGROUP`.
pub static XREADGROUP_SPEC: CommandSpec = CommandSpec {
    name: "XREADGROUP",
    group: "stream",
    since: (5, 0, 0),
    requires: Requires::since((5, 0, 0)),
    arity: -7,
    flags: &["write", "blocking", "movablekeys"],
    acl_categories: &["@write", "@stream", "@slow", "@blocking"],
    tips: &[],
    key_specs: &[
        KeySpec {
            begin: BeginSearch::Keyword {
                keyword: "STREAMS",
                start_from: 4,
            },
            find: FindKeys::Range {
                last_key: -1,
                step: 1,
                limit: 2,
            },
            flags: &["RO", "access"],
        },
    ],
    block: BlockRule::AfterToken {
        token: "BLOCK",
        until: "STREAMS",
        millis: true,
    },
};
const XREADGROUP_HEAD: Head = Head {
    words: 1,
    wire: b"$10\r\nXREADGROUP\r\n",
};
impl Xreadgroup {
    ///A detached `XREADGROUP` command, for pipelines and transactions.
    pub fn new(
        group: impl ToArg,
        consumer: impl ToArg,
        key: impl IntoIterator<Item = impl ToArg>,
        id: impl IntoIterator<Item = impl ToArg>,
    ) -> Self {
        Self::with_executor((), group, consumer, key, id)
    }
}
impl<E> Xreadgroup<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(
        exec: E,
        group: impl ToArg,
        consumer: impl ToArg,
        key: impl IntoIterator<Item = impl ToArg>,
        id: impl IntoIterator<Item = impl ToArg>,
    ) -> Self {
        let mut args_ = Args::new();
        args_
            .set(
                0,
                |w| {
                    w.token("GROUP");
                    {
                        let (f0, f1) = (group, consumer);
                        w.arg_owned(f0);
                        w.arg_owned(f1);
                    }
                },
            );
        args_
            .set(
                4,
                |w| {
                    w.token("STREAMS");
                    {
                        let (f0, f1) = (key, id);
                        for item in f0 {
                            w.arg_owned(item);
                        }
                        for item in f1 {
                            w.arg_owned(item);
                        }
                    }
                },
            );
        Xreadgroup {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Xreadgroup<E, R> {
    ///`[COUNT count]`
    pub fn count(mut self, count: i64) -> Self {
        self.args
            .set(
                1,
                |w| {
                    w.token("COUNT");
                    w.arg_owned(count);
                },
            );
        self
    }
    ///`[BLOCK milliseconds]`
    pub fn block(mut self, milliseconds: i64) -> Self {
        self.args
            .set(
                2,
                |w| {
                    w.token("BLOCK");
                    w.arg_owned(milliseconds);
                },
            );
        self
    }
    ///`[NOACK]`
    pub fn noack(mut self) -> Self {
        self.args
            .set(
                3,
                |w| {
                    w.token("NOACK");
                },
            );
        self
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> Xreadgroup<E, T> {
        Xreadgroup {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Xreadgroup<E, R> {
    fn name(&self) -> &str {
        "XREADGROUP"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(XREADGROUP_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(XREADGROUP_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        XREADGROUP_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&XREADGROUP_SPEC)
    }
    fn blocks(&self) -> Block {
        block_of(&XREADGROUP_SPEC, self)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("XREADGROUP", m));
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Xreadgroup<E, R> {
    const SPEC: &'static CommandSpec = &XREADGROUP_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Xreadgroup<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "XREADGROUP")
    }
}
impl<C: BlockingExecutor, R: FromResp> Xreadgroup<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("XREADGROUP"))
    }
}
