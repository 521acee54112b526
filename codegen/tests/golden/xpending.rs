pub trait GoldenCommands: Executor {
    /**`XPENDING`: Returns the information and entries from a stream consumer group's pending entries list. See [`Xpending`].

**Reply:** `respec::records::PendingSummary` by default (`.reply::<T>()` reads it as another `T`).
- with `filters`: `Vec<respec::records::PendingEntry>`

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: respec::records::PendingSummary = client.xpending("respec:sample", "1").await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "XPENDING")]
    fn xpending(&self, key: impl ToArg, group: impl ToArg) -> Xpending<&Self> {
        Xpending::with_executor(self, key, group)
    }
}
///`XPENDING`: Returns the information and entries from a stream consumer group's pending entries list. See [`Xpending`].
#[doc(alias = "XPENDING")]
pub fn xpending(key: impl ToArg, group: impl ToArg) -> Xpending {
    Xpending::new(key, group)
}
/**Returns the information and entries from a stream consumer group's pending entries list.

```text
XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
```

- **Since:** 5.0.0
- **Group:** stream
- **Complexity:** O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.
- **ACL categories:** `@read`, `@stream`, `@slow`
- **Flags:** `readonly`
- **Tips:** `nondeterministic_output`

# Arguments

- `key` (key, required)
- `group` (string, required)
- `[[IDLE min-idle-time] start end count [consumer]]` (block, optional)

# History

- 6.2.0: Added the `IDLE` option and exclusive range intervals.
*/
#[doc(alias = "XPENDING")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Xpending<E = (), R = crate::records::PendingSummary> {
    exec: E,
    args: Args<8>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `XPENDING`.
pub static XPENDING_SPEC: CommandSpec = CommandSpec {
    name: "XPENDING",
    group: "stream",
    since: (5, 0, 0),
    requires: Requires::since((5, 0, 0)),
    arity: -3,
    flags: &["readonly"],
    acl_categories: &["@read", "@stream", "@slow"],
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
const XPENDING_HEAD: Head = Head {
    words: 1,
    wire: b"$8\r\nXPENDING\r\n",
};
impl Xpending {
    ///A detached `XPENDING` command, for pipelines and transactions.
    pub fn new(key: impl ToArg, group: impl ToArg) -> Self {
        Self::with_executor((), key, group)
    }
}
impl<E> Xpending<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(exec: E, key: impl ToArg, group: impl ToArg) -> Self {
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
                    w.arg_owned(group);
                },
            );
        Xpending {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Xpending<E, R> {
    ///`[[IDLE min-idle-time] start end count [consumer]]`
    #[allow(clippy::too_many_arguments)]
    pub fn filters(
        mut self,
        start: impl ToArg,
        end: impl ToArg,
        count: i64,
    ) -> Xpending<E, Vec<crate::records::PendingEntry>> {
        self.args.mark(2);
        self.args
            .set(
                4,
                |w| {
                    w.arg_owned(start);
                },
            );
        self.args
            .set(
                5,
                |w| {
                    w.arg_owned(end);
                },
            );
        self.args
            .set(
                6,
                |w| {
                    w.arg_owned(count);
                },
            );
        Xpending {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    ///`[IDLE min-idle-time]` (since 6.2.0)
    pub fn idle(
        mut self,
        min_idle_time: i64,
    ) -> Xpending<E, Vec<crate::records::PendingEntry>> {
        self.args.since(Requires::since((6, 2, 0)));
        self.args
            .set(
                3,
                |w| {
                    w.since(Requires::since((6, 2, 0)));
                    w.token("IDLE");
                    w.arg_owned(min_idle_time);
                },
            );
        Xpending {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    ///`[consumer]`
    pub fn consumer(
        mut self,
        consumer: impl ToArg,
    ) -> Xpending<E, Vec<crate::records::PendingEntry>> {
        self.args
            .set(
                7,
                |w| {
                    w.arg_owned(consumer);
                },
            );
        Xpending {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> Xpending<E, T> {
        Xpending {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Xpending<E, R> {
    fn name(&self) -> &str {
        "XPENDING"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(XPENDING_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(XPENDING_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        XPENDING_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&XPENDING_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("XPENDING", m));
        }
        if self.args.is_set(3) && !self.args.is_set(2) {
            return Err(
                input_error(
                    "XPENDING",
                    "`XPENDING`: `IDLE min-idle-time` is given without `filters`",
                ),
            );
        }
        if self.args.is_set(7) && !self.args.is_set(2) {
            return Err(
                input_error(
                    "XPENDING",
                    "`XPENDING`: `consumer` is given without `filters`",
                ),
            );
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Xpending<E, R> {
    const SPEC: &'static CommandSpec = &XPENDING_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Xpending<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "XPENDING")
    }
}
impl<C: BlockingExecutor, R: FromResp> Xpending<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("XPENDING"))
    }
}
