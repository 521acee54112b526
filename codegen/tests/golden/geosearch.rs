pub trait GoldenCommands: Executor {
    /**`GEOSEARCH`: Queries a geospatial index for members inside an area of a box or a circle. See [`Geosearch`].

**Reply:** `Vec<respec::ByteStr>` by default (`.reply::<T>()` reads it as another `T`).
- with `WITHCOORD`: `Vec<respec::reply::GeoItem>`
- with `WITHDIST`: `Vec<respec::reply::GeoItem>`
- with `WITHHASH`: `Vec<respec::reply::GeoItem>`

# Example

```no_run
# #[allow(deprecated, unused_imports)]
# async fn example(client: respec::Client) -> respec::Result<()> {
use respec::commands::*;

let reply: Vec<respec::ByteStr> = client
    .geosearch(
        "respec:sample",
        GeosearchFrom::Member(
            Value::from("1"),
        ),
        GeosearchBy::Circle {
            radius: 1.0,
            unit: GeoUnit::M,
        },
    ).await?;
# let _ = reply;
# Ok(())
# }
```*/
    #[doc(alias = "GEOSEARCH")]
    fn geosearch(
        &self,
        key: impl ToArg,
        from: GeosearchFrom,
        by: GeosearchBy,
    ) -> Geosearch<&Self> {
        Geosearch::with_executor(self, key, from, by)
    }
}
///`GEOSEARCH`: Queries a geospatial index for members inside an area of a box or a circle. See [`Geosearch`].
#[doc(alias = "GEOSEARCH")]
pub fn geosearch(key: impl ToArg, from: GeosearchFrom, by: GeosearchBy) -> Geosearch {
    Geosearch::new(key, from, by)
}
/**Queries a geospatial index for members inside an area of a box or a circle.

```text
GEOSEARCH key <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
```

- **Since:** 6.2.0
- **Group:** geo
- **Complexity:** O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape
- **ACL categories:** `@read`, `@geo`, `@slow`
- **Flags:** `readonly`

# Arguments

- `key` (key, required)
- `<FROMMEMBER member | FROMLONLAT longitude latitude>` (oneof, required)
- `<BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>>` (oneof, required)
- `[ASC | DESC]` (oneof, optional)
- `[COUNT count [ANY]]` (block, optional)
- `[WITHCOORD]` (pure-token, optional)
- `[WITHDIST]` (pure-token, optional)
- `[WITHHASH]` (pure-token, optional)

# History

- 7.0.0: Added support for uppercase unit names.
*/
#[doc(alias = "GEOSEARCH")]
#[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
#[derive(Debug, Clone)]
pub struct Geosearch<E = (), R = Vec<crate::ByteStr>> {
    exec: E,
    args: Args<10>,
    reply: PhantomData<fn() -> R>,
}
///The spec facts of `GEOSEARCH`.
pub static GEOSEARCH_SPEC: CommandSpec = CommandSpec {
    name: "GEOSEARCH",
    group: "geo",
    since: (6, 2, 0),
    requires: Requires::since((6, 2, 0)),
    arity: -7,
    flags: &["readonly"],
    acl_categories: &["@read", "@geo", "@slow"],
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
const GEOSEARCH_HEAD: Head = Head {
    words: 1,
    wire: b"$9\r\nGEOSEARCH\r\n",
};
impl Geosearch {
    ///A detached `GEOSEARCH` command, for pipelines and transactions.
    pub fn new(key: impl ToArg, from: GeosearchFrom, by: GeosearchBy) -> Self {
        Self::with_executor((), key, from, by)
    }
}
impl<E> Geosearch<E> {
    #[doc(hidden)]
    #[allow(unused_mut, clippy::needless_borrow)]
    pub fn with_executor(
        exec: E,
        key: impl ToArg,
        from: GeosearchFrom,
        by: GeosearchBy,
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
                1,
                |w| {
                    w.value(&from);
                },
            );
        args_
            .set(
                2,
                |w| {
                    w.value(&by);
                },
            );
        Geosearch {
            exec,
            args: args_,
            reply: PhantomData,
        }
    }
}
#[allow(clippy::needless_borrow, clippy::too_many_arguments)]
impl<E, R> Geosearch<E, R> {
    /**`[ASC | DESC]`

Sets it from a [`Order`] value; the shorthand methods set one choice each.*/
    pub fn order(mut self, value: Order) -> Self {
        self.args
            .set(
                3,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`ASC`
    #[allow(clippy::too_many_arguments)]
    pub fn asc(mut self) -> Self {
        let value = Order::Asc;
        self.args
            .set(
                3,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`DESC`
    #[allow(clippy::too_many_arguments)]
    pub fn desc(mut self) -> Self {
        let value = Order::Desc;
        self.args
            .set(
                3,
                |w| {
                    w.value(&value);
                },
            );
        self
    }
    ///`[COUNT count [ANY]]`
    #[allow(clippy::too_many_arguments)]
    pub fn count(mut self, count: i64) -> Self {
        self.args.mark(4);
        self.args
            .set(
                5,
                |w| {
                    w.token("COUNT");
                    w.arg_owned(count);
                },
            );
        self
    }
    ///`[ANY]`
    pub fn any(mut self) -> Self {
        self.args
            .set(
                6,
                |w| {
                    w.token("ANY");
                },
            );
        self
    }
    ///`[WITHCOORD]`
    pub fn withcoord(mut self) -> Geosearch<E, Vec<crate::reply::GeoItem>> {
        self.args
            .set(
                7,
                |w| {
                    w.token("WITHCOORD");
                },
            );
        Geosearch {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    ///`[WITHDIST]`
    pub fn withdist(mut self) -> Geosearch<E, Vec<crate::reply::GeoItem>> {
        self.args
            .set(
                8,
                |w| {
                    w.token("WITHDIST");
                },
            );
        Geosearch {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    ///`[WITHHASH]`
    pub fn withhash(mut self) -> Geosearch<E, Vec<crate::reply::GeoItem>> {
        self.args
            .set(
                9,
                |w| {
                    w.token("WITHHASH");
                },
            );
        Geosearch {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
    /// Reads the reply as `T` instead of the declared reply type.
    pub fn reply<T: FromResp>(self) -> Geosearch<E, T> {
        Geosearch {
            exec: self.exec,
            args: self.args,
            reply: PhantomData,
        }
    }
}
impl<E, R> Command for Geosearch<E, R> {
    fn name(&self) -> &str {
        "GEOSEARCH"
    }
    fn encode(&self, out: &mut BytesMut) {
        self.args.encode(GEOSEARCH_HEAD, out)
    }
    fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
        self.args.encode_shared(GEOSEARCH_HEAD, out, parts)
    }
    fn requires(&self) -> Requires {
        GEOSEARCH_SPEC.requires.max(self.args.required())
    }
    fn spec(&self) -> Option<&'static CommandSpec> {
        Some(&GEOSEARCH_SPEC)
    }
    fn check(&self) -> Result<()> {
        if let Some(m) = self.args.error() {
            return Err(input_error("GEOSEARCH", m));
        }
        if self.args.is_set(6) && !self.args.is_set(4) {
            return Err(
                input_error("GEOSEARCH", "`GEOSEARCH`: `ANY` is given without `count`"),
            );
        }
        Ok(())
    }
}
impl<E, R> GeneratedCommand for Geosearch<E, R> {
    const SPEC: &'static CommandSpec = &GEOSEARCH_SPEC;
    type Reply = R;
}
impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for Geosearch<&'a C, R> {
    type Output = Result<R>;
    type IntoFuture = CommandFuture<C::Future<'a>, R>;
    fn into_future(self) -> Self::IntoFuture {
        CommandFuture::new(self.exec.execute(&self), "GEOSEARCH")
    }
}
impl<C: BlockingExecutor, R: FromResp> Geosearch<&C, R> {
    /// Sends the command and waits for its reply.
    pub fn run(self) -> Result<R> {
        let frame = self.exec.execute(&self)?;
        R::from_resp(frame).map_err(|e| e.for_command("GEOSEARCH"))
    }
}
///One of the choices of the `from` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum GeosearchFrom {
    ///`FROMMEMBER member`
    Member(Value),
    ///`FROMLONLAT longitude latitude`
    Lonlat {
        ///`longitude`
        longitude: f64,
        ///`latitude`
        latitude: f64,
    },
}
impl GeosearchFrom {
    ///The `Lonlat` choice: `FROMLONLAT longitude latitude`
    pub fn lonlat(longitude: f64, latitude: f64) -> Self {
        Self::Lonlat {
            longitude,
            latitude,
        }
    }
}
impl WriteArgs for GeosearchFrom {
    #[allow(unused_variables, clippy::needless_borrow)]
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        match self {
            Self::Member(x) => {
                w.token("FROMMEMBER");
                w.arg_owned(x);
            }
            Self::Lonlat { longitude, latitude } => {
                w.token("FROMLONLAT");
                {
                    let (f0, f1) = (longitude, latitude);
                    w.arg_owned(f0);
                    w.arg_owned(f1);
                }
            }
        }
    }
}
///One of the choices of the `by` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum GeosearchBy {
    ///`BYRADIUS radius <M | KM | FT | MI>`
    Circle {
        ///`BYRADIUS radius`
        radius: f64,
        ///`<M | KM | FT | MI>`
        unit: GeoUnit,
    },
    ///`BYBOX width height <M | KM | FT | MI>`
    Box {
        ///`BYBOX width`
        width: f64,
        ///`height`
        height: f64,
        ///`<M | KM | FT | MI>`
        unit: GeoUnit,
    },
}
impl GeosearchBy {
    ///The `Circle` choice: `BYRADIUS radius <M | KM | FT | MI>`
    pub fn circle(radius: f64, unit: GeoUnit) -> Self {
        Self::Circle { radius, unit }
    }
    ///The `Box` choice: `BYBOX width height <M | KM | FT | MI>`
    pub fn box_(width: f64, height: f64, unit: GeoUnit) -> Self {
        Self::Box { width, height, unit }
    }
}
impl WriteArgs for GeosearchBy {
    #[allow(unused_variables, clippy::needless_borrow)]
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        match self {
            Self::Circle { radius, unit } => {
                let (f0, f1) = (radius, unit);
                w.token("BYRADIUS");
                w.arg_owned(f0);
                w.value(&f1);
            }
            Self::Box { width, height, unit } => {
                let (f0, f1, f2) = (width, height, unit);
                w.token("BYBOX");
                w.arg_owned(f0);
                w.arg_owned(f1);
                w.value(&f2);
            }
        }
    }
}
