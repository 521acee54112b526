pub trait GoldenCommands: Executor {
    /**`BITFIELD`: Performs arbitrary bitfield integer operations on strings. See [`Bitfield`].

**Reply:** `Vec<Option<i64>>` by default (`.reply::<T>()` reads it as another `T`).

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: Vec<Option<i64>> = client.bitfield("respec:sample").await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "BITFIELD")]
    fn bitfield(&self, key: impl ToArg) -> Bitfield<&Self> {
        Bitfield::with_executor(self, key)
    }
}
///`BITFIELD`: Performs arbitrary bitfield integer operations on strings. See [`Bitfield`].
#[doc(alias = "BITFIELD")]
pub fn bitfield(key: impl ToArg) -> Bitfield {
    Bitfield::new(key)
}
/**Performs arbitrary bitfield integer operations on strings.

```text
BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] <SET encoding offset value | INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] <SET encoding offset value | INCRBY encoding offset increment> ...]]
```

- **Since:** 3.2.0
- **Group:** bitmap
- **Complexity:** O(1) for each subcommand specified
- **ACL categories:** `@write`, `@bitmap`, `@slow`
- **Flags:** `write`, `denyoom`

# Arguments

- `key` (key, required)
- `[GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] <SET encoding offset value | INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] <SET encoding offset value | INCRBY encoding offset increment> ...]]` (oneof, optional)
*/
#[doc(alias = "BITFIELD")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Bitfield<E = (), R = Vec<Option<i64>>> {
    exec: E,
    args: Args<2>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `BITFIELD`.
pub static BITFIELD_SPEC: CommandSpec = CommandSpec {
    name: "BITFIELD",
    group: "bitmap",
    since: (3, 2, 0),
    requires: Requires::since((3, 2, 0)),
    arity: -2,
    flags: &["write", "denyoom"],
    acl_categories: &["@write", "@bitmap", "@slow"],
    tips: &[],
    key_specs: &[
        KeySpec {
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                last_key: 0,
                step: 1,
                limit: 0,
            },
            flags: &["RW", "access", "update", "variable_flags"],
        },
    ],
    block: BlockRule::Never,
};
const BITFIELD_HEAD: Head = Head {
    words: 1,
    wire: b"$8\r\nBITFIELD\r\n",
};
impl Bitfield {
    ///A detached `BITFIELD` command, for pipelines and transactions.
    pub fn new(key: impl ToArg) -> Self {
        Self::with_executor((), key)
    }
}
impl<E> Bitfield<E> {
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
        Bitfield {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Bitfield<E, R> {
    ///Appends `GET encoding offset`; call it once per item, in the order the server runs them.
    #[allow(clippy::too_many_arguments)]
    pub fn get(mut self, encoding: impl ToArg, offset: impl ToArg) -> Self {
        let value = (encoding, offset);
        self.args
            .append(
                1,
                None,
                |w| {
                    w.token("GET");
                    {
                        let (f0, f1) = value;
                        w.arg_owned(f0);
                        w.arg_owned(f1);
                    }
                },
            );
        self
    }
    ///Appends `[OVERFLOW WRAP | SAT | FAIL]`; it applies to the items appended after it.
    pub fn overflow(mut self, value: Overflow) -> Self {
        self.args
            .append(
                1,
                None,
                |w| {
                    w.token("OVERFLOW");
                    w.value(&value);
                },
            );
        self
    }
    ///Appends `SET encoding offset value`; call it once per item, in the order the server runs them.
    #[allow(clippy::too_many_arguments)]
    pub fn set(mut self, encoding: impl ToArg, offset: impl ToArg, value: i64) -> Self {
        let value = (encoding, offset, value);
        self.args
            .append(
                1,
                None,
                |w| {
                    w.token("SET");
                    {
                        let (f0, f1, f2) = value;
                        w.arg_owned(f0);
                        w.arg_owned(f1);
                        w.arg_owned(f2);
                    }
                },
            );
        self
    }
    ///Appends `INCRBY encoding offset increment`; call it once per item, in the order the server runs them.
    #[allow(clippy::too_many_arguments)]
    pub fn incrby(
        mut self,
        encoding: impl ToArg,
        offset: impl ToArg,
        increment: i64,
    ) -> Self {
        let value = (encoding, offset, increment);
        self.args
            .append(
                1,
                None,
                |w| {
                    w.token("INCRBY");
                    {
                        let (f0, f1, f2) = value;
                        w.arg_owned(f0);
                        w.arg_owned(f1);
                        w.arg_owned(f2);
                    }
                },
            );
        self
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> Bitfield<E, T> {
        Bitfield {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Bitfield<E, R> {
    fn name(&self) -> &str {
        "BITFIELD"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(BITFIELD_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(BITFIELD_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        BITFIELD_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&BITFIELD_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("BITFIELD", m));
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Bitfield<E, R> {
    const SPEC: &'static CommandSpec = &BITFIELD_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Bitfield<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "BITFIELD")
    }
}
impl<C: BlockingExecutor, R: FromResp> Bitfield<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("BITFIELD"))
    }
}
