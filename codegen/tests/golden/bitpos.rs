pub trait GoldenCommands: Executor {
    /**`BITPOS`: Finds the first set (1) or clear (0) bit in a string. See [`Bitpos`].

**Reply:** `i64` by default (`.reply::<T>()` reads it as another `T`).

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: i64 = client.bitpos("respec:sample", 1).await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "BITPOS")]
    fn bitpos(&self, key: impl ToArg, bit: i64) -> Bitpos<&Self> {
        Bitpos::with_executor(self, key, bit)
    }
}
///`BITPOS`: Finds the first set (1) or clear (0) bit in a string. See [`Bitpos`].
#[doc(alias = "BITPOS")]
pub fn bitpos(key: impl ToArg, bit: i64) -> Bitpos {
    Bitpos::new(key, bit)
}
/**Finds the first set (1) or clear (0) bit in a string.

```text
BITPOS key bit [start [end [BYTE | BIT]]]
```

- **Since:** 2.8.7
- **Group:** bitmap
- **Complexity:** O(N)
- **ACL categories:** `@read`, `@bitmap`, `@slow`
- **Flags:** `readonly`

# Arguments

- `key` (key, required)
- `bit` (integer, required)
- `[start [end [BYTE | BIT]]]` (block, optional)

# History

- 7.0.0: Added the `BYTE|BIT` option.
*/
#[doc(alias = "BITPOS")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Bitpos<E = (), R = i64> {
    exec: E,
    args: Args<7>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `BITPOS`.
pub static BITPOS_SPEC: CommandSpec = CommandSpec {
    name: "BITPOS",
    group: "bitmap",
    since: (2, 8, 7),
    requires: Requires::since((2, 8, 7)),
    arity: -3,
    flags: &["readonly"],
    acl_categories: &["@read", "@bitmap", "@slow"],
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
const BITPOS_HEAD: Head = Head {
    words: 1,
    wire: b"$6\r\nBITPOS\r\n",
};
impl Bitpos {
    ///A detached `BITPOS` command, for pipelines and transactions.
    pub fn new(key: impl ToArg, bit: i64) -> Self {
        Self::with_executor((), key, bit)
    }
}
impl<E> Bitpos<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(exec: E, key: impl ToArg, bit: i64) -> Self {
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
                    w.arg_owned(bit);
                },
            );
        Bitpos {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Bitpos<E, R> {
    ///`[start [end [BYTE | BIT]]]`
    #[allow(clippy::too_many_arguments)]
    pub fn start(mut self, start: i64) -> Self {
        self.args.mark(2);
        self.args
            .set(
                3,
                |w| {
                    w.arg_owned(start);
                },
            );
        self
    }
    ///`[end [BYTE | BIT]]`
    #[allow(clippy::too_many_arguments)]
    pub fn end(mut self, end: i64) -> Self {
        self.args.mark(4);
        self.args
            .set(
                5,
                |w| {
                    w.arg_owned(end);
                },
            );
        self
    }
    /**`[BYTE | BIT]` (since 7.0.0)

Sets it from a [`BitUnit`] value; the shorthand methods set one choice each.*/
    pub fn unit(mut self, value: BitUnit) -> Self {
        self.args.since(Requires::since((7, 0, 0)));
        self.args
            .set(
                6,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`BYTE`
    #[allow(clippy::too_many_arguments)]
    pub fn byte(mut self) -> Self {
        self.args.since(Requires::since((7, 0, 0)));
        let value = BitUnit::Byte;
        self.args
            .set(
                6,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`BIT`
    #[allow(clippy::too_many_arguments)]
    pub fn bit(mut self) -> Self {
        self.args.since(Requires::since((7, 0, 0)));
        let value = BitUnit::Bit;
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
    pub fn reply<T: FromResp>(self) -> Bitpos<E, T> {
        Bitpos {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Bitpos<E, R> {
    fn name(&self) -> &str {
        "BITPOS"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(BITPOS_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(BITPOS_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        BITPOS_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&BITPOS_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("BITPOS", m));
        }
        if self.args.is_set(4) && !self.args.is_set(2) {
            return Err(
                input_error(
                    "BITPOS",
                    "`BITPOS`: `end [BYTE | BIT` is given without `start`",
                ),
            );
        }
        if self.args.is_set(6) && !self.args.is_set(4) {
            return Err(
                input_error("BITPOS", "`BITPOS`: `BYTE | BIT` is given without `end`"),
            );
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Bitpos<E, R> {
    const SPEC: &'static CommandSpec = &BITPOS_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Bitpos<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "BITPOS")
    }
}
impl<C: BlockingExecutor, R: FromResp> Bitpos<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("BITPOS"))
    }
}
