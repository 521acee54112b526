//! Rendering commands as Rust: one struct per command with its builder
//! methods, enums for `oneof` arguments, a trait per command group, and the
//! spec facts as statics.
//!
//! # How arguments become Rust
//!
//! Each argument of the spec gets one or more *slots* of the command value,
//! in spec order, so builders may be called in any order. The rules:
//!
//! - A required value is a constructor parameter (`impl ToArg` for
//!   strings and keys, `i64`, `f64`, an enum for a choice); a repeated one
//!   is `impl IntoIterator`; a count the encoder can derive (`numkeys`
//!   before the keys) is not a parameter.
//! - A count of *words* is not a parameter either: an integer the authored
//!   spec marks `"counts": "next"` is the number of arguments the next
//!   argument writes (Search's `PARAMS nargs name value ...` is
//!   `.params([("a", 1)])`, written `PARAMS 2 a 1`), and one marked
//!   `"counts": "rest"` the number of arguments every later part of its
//!   block writes (a vector field's `HNSW count TYPE t DIM d ...`). The
//!   encoder writes what it counts first and puts the count before it
//!   (`ArgWriter::counted` of the `respec` crate). A count of the rest, or
//!   one before an optional argument, needs its block written whole (an
//!   enum variant, a block of plain values); elsewhere the build fails
//!   saying so.
//! - An argument the authored spec marks `"written_as": "<path>"` is one
//!   parameter of that hand-written type (below the crate root, taking
//!   `impl Into<Type>`), standing for the argument and its repeats: the
//!   type implements `WriteArgs` (it writes its own arguments), and
//!   `"written_sample"` is a value of it (a Rust expression) the samples
//!   send and the examples show. FT.CREATE's and FT.ALTER's fields are
//!   `commands::schema::Schema`, and FT.AGGREGATE's reducers
//!   `commands::aggregate::Reduce` (one per call: see the continued items
//!   below).
//! - A required block of plain values is spread into one parameter per
//!   value (`GROUP group consumer` -> `group, consumer`); a repeated block
//!   is an iterator of tuples (`field value ...` -> `[(f, v)]`).
//! - An optional token is a builder without arguments; an optional value
//!   a builder with one; an optional choice a setter taking the enum plus
//!   one shorthand per choice.
//! - An optional block of plain values is one builder taking them, named
//!   after the block's token, else its one required value, else the block
//!   (`LIMIT offset count` -> `limit(offset, count)`).
//! - A block with optional parts is *flat*: its required values go to one
//!   builder (or, for a required block, to the constructor) and each
//!   optional part gets a builder of its own, which needs the block's
//!   builder (checked before sending). A block whose first word is a choice
//!   of tokens followed by plain values (`MAXLEN | MINID ... threshold`) has
//!   one builder per choice, taking the values; when the block is required
//!   one of them must be called.
//! - A repeated optional choice or block (BITFIELD's operations) has one
//!   builder per kind of item, each call appending an item; a choice made
//!   only of choices dissolves into its parts.
//! - An item of such a repeated choice that is a block whose required
//!   parts are followed only by optional parts with tokens (FT.AGGREGATE's
//!   `GROUPBY nargs property ... [REDUCE ...]`, `SORTBY ... [MAX num]`)
//!   is *continued*: its builder takes the required parts, and each
//!   optional part gets a builder of its own that adds to the item
//!   appended last (`.groupby(["@brand"]).reduce(r1).reduce(r2)`,
//!   `.sortby(...).max(10)`). A repeated part may be added any number of
//!   times, another once; parts go in the block's order, and one given
//!   when the item appended last is of another kind (or the part comes
//!   out of order) fails the command before sending
//!   (`Args::append_item`, `Args::continue_item` of the `respec` crate).
//!   An optional part `written_as` a hand-written type whose token repeats
//!   keeps its repeats: each builder call takes one value of the type
//!   (`.reduce(Reduce::count().as_("n"))` writes `REDUCE COUNT 0 AS n`).
//! - A choice of one plain value or a special token (`* | id`) is one
//!   parameter taking either.
//! - A choice made only of tokens is an enum shared by every command that
//!   offers the same tokens ([`shared_enums`]); a choice among values is an
//!   enum per command, with named fields and a constructor for a choice of
//!   several values.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, ToTokens};

use crate::docs;
use crate::naming::{arg_word, method_name, pascal, snake, RESERVED_METHODS};
use crate::replies::{ReplyEntry, ReplyType};
use crate::spec::{parse_version, ArgDoc, CommandDoc, Has, Servers};

/// A command ready to render: its spec name and docs.
#[derive(Debug, Clone)]
pub struct Cmd<'a> {
    /// `set`, `client|kill`.
    pub key: String,
    /// The docs.
    pub doc: &'a CommandDoc,
}

impl Cmd<'_> {
    /// `SET`, `CLIENT KILL`.
    pub fn server_name(&self) -> String {
        self.key.replace('|', " ").to_ascii_uppercase()
    }
    /// `Set`, `ClientKill`.
    pub fn type_name(&self) -> String {
        crate::naming::type_name(&self.key)
    }
    /// `set`, `client_kill`.
    pub fn fn_name(&self) -> String {
        snake(&self.key)
    }
}

fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

fn version_tokens(v: &str) -> Option<TokenStream> {
    parse_version(v).map(|(a, b, c)| {
        let (a, b, c) = (lit(a as i64), lit(b as i64), lit(c as i64));
        quote!((#a, #b, #c))
    })
}

/// What an argument or command needs of each server, as a `Requires`
/// expression; `None` when any version of either server has it.
///
/// A command a server lacks is refused before sending (`Need::Never`). An
/// argument one server's spec lacks is not: the two specs sometimes spell
/// the same words in different shapes (BITCOUNT's `end` and unit, nested in
/// Valkey's and flat in Redis's), so the call is left to the server, which
/// answers for itself; only its `since` is checked where its spec has it.
fn requires_tokens(
    servers: &Servers,
    since: &Option<String>,
    command: bool,
) -> Option<TokenStream> {
    if !servers.merged {
        return since
            .as_deref()
            .and_then(version_tokens)
            .map(|v| quote!(Requires::since(#v)));
    }
    let need = |h: &Has| match h {
        Has::Yes => None,
        Has::Since(v) => version_tokens(v).map(|v| quote!(Need::Since(#v))),
        Has::No if command => Some(quote!(Need::Never)),
        Has::No => None,
    };
    let (r, v) = (need(&servers.redis), need(&servers.valkey));
    if r.is_none() && v.is_none() {
        return None;
    }
    let r = r.unwrap_or(quote!(Need::Any));
    let v = v.unwrap_or(quote!(Need::Any));
    Some(quote!(Requires { redis: #r, valkey: #v }))
}

/// The stricter of two servers' availabilities (for a shared enum's choice
/// used by several commands).
fn stricter(a: &Has, b: &Has) -> Has {
    match (a, b) {
        (Has::No, _) | (_, Has::No) => Has::No,
        (Has::Yes, h) | (h, Has::Yes) => h.clone(),
        (Has::Since(x), Has::Since(y)) => {
            if parse_version(x) >= parse_version(y) {
                a.clone()
            } else {
                b.clone()
            }
        }
    }
}

/// An integer literal without a type suffix (`6`, not `6u16`).
fn lit(n: i64) -> proc_macro2::Literal {
    proc_macro2::Literal::i64_unsuffixed(n)
}

/// How a value is held: in a constructor or builder parameter (where string
/// arguments are `impl ToArg`), or owned inside a generated enum or tuple.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    Param,
    Owned,
}

/// Per-module state: enum definitions and the names already used.
#[derive(Default)]
pub struct Module {
    /// Rendered items (enums) beside the commands.
    pub items: Vec<TokenStream>,
    used_types: BTreeSet<String>,
    /// Enums already generated, by owner and argument name.
    enums: BTreeMap<String, String>,
    /// The module path of the generated file, for samples (`string`).
    pub module: String,
    /// The shared enums of the whole spec set.
    pub shared: Shared,
    /// Whether this module defines the shared enums (the `types` module)
    /// rather than naming them.
    pub define_shared: bool,
    /// The shared enums the module's commands name (by token set).
    pub shared_used: BTreeSet<String>,
}

impl Module {
    /// A module whose generated file is `respec::commands::<name>`.
    pub fn new(name: &str) -> Self {
        Module {
            module: name.to_string(),
            ..Module::default()
        }
    }

    /// A module naming the shared enums of `shared`.
    pub fn with_shared(name: &str, shared: Shared) -> Self {
        Module {
            module: name.to_string(),
            shared,
            ..Module::default()
        }
    }

    fn unique_type(&mut self, want: String) -> String {
        let mut name = want.clone();
        let mut n = 2;
        while !self.used_types.insert(name.clone()) {
            name = format!("{want}{n}");
            n += 1;
        }
        name
    }
}

/// Whether `args[i]` is a count the encoder derives: a count of items
/// ([`is_item_count`]) or of words ([`is_word_count`]). It is never a
/// parameter: the caller passes only what it counts.
pub fn is_count(args: &[ArgDoc], i: usize) -> bool {
    is_item_count(args, i) || is_word_count(args, i)
}

/// Whether `args[i]` counts the items of the next argument: an integer
/// named `num...` (`numkeys`, `numfields`, `numids`) right before the
/// `multiple` argument it counts.
pub fn is_item_count(args: &[ArgDoc], i: usize) -> bool {
    let a = &args[i];
    a.counts.is_none()
        && a.ty == "integer"
        && a.name.starts_with("num")
        && !a.optional()
        && args
            .get(i + 1)
            .is_some_and(|next| next.multiple() && next.token.is_none())
}

/// Whether `args[i]` counts the words (arguments) written after it: an
/// integer the spec marks with `counts` (`"next"`: the next argument's
/// words, `"rest"`: those of every later argument of its block). Search
/// counts words, not items: `PARAMS 4 a 1 b 2`, `RETURN 3 title AS t`.
pub fn is_word_count(args: &[ArgDoc], i: usize) -> bool {
    args[i].counts_words().is_some()
}

/// The arguments a word count at `i` covers: the next one, or the rest
/// of the block.
fn word_count_range(args: &[ArgDoc], i: usize) -> std::ops::Range<usize> {
    match args[i].counts_words() {
        Some(true) => i + 1..args.len(),
        _ => i + 1..(i + 2).min(args.len()),
    }
}

/// Whether `args[i]` is written after a word count that covers only it
/// (`counts: "next"`): its slot is written with [`ArgWriter::counted`].
/// A count of the rest of a block is supported only where the block is
/// written whole (an enum variant or a block of plain values).
fn after_word_count(args: &[ArgDoc], i: usize) -> bool {
    if i == 0 || !is_word_count(args, i - 1) {
        return false;
    }
    assert!(
        args[i - 1].counts_words() == Some(false),
        "`{}`: a count of the rest of a block (`counts: \"rest\"`) is supported only in a \
         block written whole; this one is split into builders",
        args[i - 1].name
    );
    true
}

/// `body`, written after its word count when `counted`.
fn counted_body(counted: bool, body: TokenStream) -> TokenStream {
    if counted {
        quote!(w.counted(|w| { #body });)
    } else {
        body
    }
}

/// A choice that carries no value: a token, or a block of fixed tokens
/// (`REPLICAOF NO ONE`). It becomes a unit enum variant.
fn is_unit(c: &ArgDoc) -> bool {
    !c.multiple()
        && (c.ty == "pure-token"
            || (c.ty == "block"
                && c.arguments
                    .iter()
                    .all(|x| x.ty == "pure-token" && !x.optional() && !x.multiple())))
}

/// The tokens a unit choice writes.
fn unit_tokens(c: &ArgDoc) -> Vec<String> {
    if c.ty == "pure-token" {
        return vec![c.token.clone().unwrap_or_else(|| c.name.clone())];
    }
    let mut out: Vec<String> = c.token.iter().cloned().collect();
    out.extend(
        c.arguments
            .iter()
            .map(|x| x.token.clone().unwrap_or_else(|| x.name.clone())),
    );
    out
}

/// A child of a block as it appears in a tuple: its type, and whether it
/// has a slot (required pure tokens have none: they are always written).
struct Field {
    ty: TokenStream,
    has_value: bool,
}

fn scalar_ty(arg: &ArgDoc, ctx: Ctx) -> TokenStream {
    match arg.ty.as_str() {
        "integer" | "unix-time" => quote!(i64),
        "double" => quote!(f64),
        // Not a spec type: an authored argument with `written_as`.
        "written" => {
            let path = written_path(arg);
            match ctx {
                Ctx::Param => quote!(impl Into<#path>),
                Ctx::Owned => path,
            }
        }
        // Not a spec type: set by a fix-up (`score_ranges_are_bounds`).
        "score-bound" => match ctx {
            Ctx::Param => quote!(impl Into<crate::bounds::ScoreBound>),
            Ctx::Owned => quote!(crate::bounds::ScoreBound),
        },
        _ => match ctx {
            Ctx::Param => quote!(impl ToArg),
            Ctx::Owned => quote!(Value),
        },
    }
}

/// The hand-written type of an argument marked `written_as`.
fn written_path(arg: &ArgDoc) -> TokenStream {
    let path = arg
        .written_as
        .as_deref()
        .expect("`written` arguments carry their type");
    let path: syn::Path = syn::parse_str(&format!("crate::{path}"))
        .unwrap_or_else(|e| panic!("`written_as` of `{}`: {e}", arg.name));
    path.into_token_stream()
}

/// The type of one value of `arg` (ignoring `optional`; `multiple` gives a
/// sequence). Generates enums for `oneof`s as needed.
fn value_ty(m: &mut Module, owner: &str, arg: &ArgDoc, ctx: Ctx) -> TokenStream {
    let one = match arg.ty.as_str() {
        "oneof" => {
            let name = oneof_enum(m, owner, arg);
            let id = ident(&name);
            quote!(#id)
        }
        "block" => {
            let fields = block_fields(m, owner, arg, ctx);
            let tys: Vec<_> = fields
                .iter()
                .filter(|f| f.has_value)
                .map(|f| f.ty.clone())
                .collect();
            tuple_of(&tys)
        }
        "pure-token" => quote!(bool),
        _ => scalar_ty(arg, ctx),
    };
    if arg.multiple() {
        match ctx {
            Ctx::Param => quote!(impl IntoIterator<Item = #one>),
            Ctx::Owned => quote!(Vec<#one>),
        }
    } else {
        one
    }
}

/// The tuple fields of a block.
fn block_fields(m: &mut Module, owner: &str, block: &ArgDoc, ctx: Ctx) -> Vec<Field> {
    block
        .arguments
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if is_count(&block.arguments, i) {
                return Field {
                    ty: quote!(i64),
                    has_value: false,
                };
            }
            if c.ty == "pure-token" && !c.multiple() {
                return Field {
                    ty: quote!(bool),
                    has_value: c.optional(),
                };
            }
            // Optional strings are owned even in parameters, so `None` needs
            // no type annotation.
            let inner_ctx = if c.optional() { Ctx::Owned } else { ctx };
            let t = value_ty(
                m,
                &format!("{owner}{}", pascal(&arg_word(&block.name))),
                c,
                inner_ctx,
            );
            let ty = if c.optional() { quote!(Option<#t>) } else { t };
            Field {
                ty,
                has_value: true,
            }
        })
        .collect()
}

/// The fields of a block that carry a value, each with its name (as
/// [`snake_field`] gives it) and type.
fn value_fields(
    m: &mut Module,
    owner: &str,
    block: &ArgDoc,
    ctx: Ctx,
) -> Vec<(Ident, TokenStream)> {
    block_fields(m, owner, block, ctx)
        .into_iter()
        .enumerate()
        .filter(|(_, f)| f.has_value)
        .map(|(i, f)| (snake_field(block, i), f.ty))
        .collect()
}

/// The value [`write_value`] takes for a block whose value fields are
/// `names`: the one name alone, or a tuple of them.
fn tuple_of<T: ToTokens>(names: &[T]) -> TokenStream {
    if names.len() == 1 {
        names[0].to_token_stream()
    } else {
        quote!((#(#names),*))
    }
}

/// `name: Type, ...` parameters for value fields.
fn params_of(fields: &[(Ident, TokenStream)]) -> Vec<TokenStream> {
    fields.iter().map(|(n, t)| quote!(#n: #t)).collect()
}

/// Code writing `arg` (with its token) from the value in `v`, into the
/// `ArgWriter` named `w`. `v` is an expression of the argument's value type
/// (by value; references are taken as needed).
fn write_arg(m: &mut Module, owner: &str, arg: &ArgDoc, v: TokenStream) -> TokenStream {
    let since = requires_tokens(&arg.servers, &arg.since, false)
        .map(|s| quote!(w.since(#s);))
        .unwrap_or_default();
    let body = write_arg_inner(m, owner, arg, v);
    quote!(#since #body)
}

fn write_arg_inner(m: &mut Module, owner: &str, arg: &ArgDoc, v: TokenStream) -> TokenStream {
    let token = arg.token.as_deref();
    if arg.ty == "pure-token" && !arg.multiple() {
        let t = token.unwrap_or(&arg.name);
        return quote!(w.token(#t););
    }
    let each = |m: &mut Module, x: TokenStream| write_value(m, owner, arg, x);
    if arg.multiple() {
        let body = each(m, quote!(item));
        match token {
            Some(t) if arg.multiple_token() => quote! {
                for item in #v { w.token(#t); #body }
            },
            Some(t) => quote! {
                w.token(#t);
                for item in #v { #body }
            },
            None => quote! {
                for item in #v { #body }
            },
        }
    } else {
        let body = each(m, v);
        match token {
            Some(t) => quote!(w.token(#t); #body),
            None => body,
        }
    }
}

/// Code writing one value of `arg` without its token.
fn write_value(m: &mut Module, owner: &str, arg: &ArgDoc, v: TokenStream) -> TokenStream {
    match arg.ty.as_str() {
        "oneof" => quote!(w.value(&#v);),
        "pure-token" => {
            let t = arg.token.clone().unwrap_or_else(|| arg.name.clone());
            quote!(if *::std::borrow::Borrow::<bool>::borrow(&#v) { w.token(#t); })
        }
        "block" => {
            let fields: Vec<usize> = (0..arg.arguments.len())
                .filter(|&i| {
                    let c = &arg.arguments[i];
                    let fixed_token = c.ty == "pure-token" && !c.multiple() && !c.optional();
                    !fixed_token && !is_count(&arg.arguments, i)
                })
                .collect();
            let names: Vec<Ident> = fields.iter().map(|i| format_ident!("f{}", i)).collect();
            let pattern = tuple_of(&names);
            let bind = quote!(let #pattern = #v;);
            // Each child's code; a word count wraps the children it counts.
            let mut parts: Vec<TokenStream> = Vec::new();
            for (i, c) in arg.arguments.iter().enumerate() {
                let mut body = TokenStream::new();
                let inner_owner = format!("{owner}{}", pascal(&arg_word(&arg.name)));
                if is_count(&arg.arguments, i) {
                    // Written with the elements it counts, just below.
                    parts.push(body);
                    continue;
                }
                if i > 0 && is_item_count(&arg.arguments, i - 1) {
                    let n = format_ident!("f{}", i);
                    let each = write_value(m, &inner_owner, c, quote!(item));
                    body.extend(quote! {
                        let items_: Vec<_> = #n.into_iter().collect();
                        w.arg(&(items_.len() as i64));
                        for item in items_ { #each }
                    });
                    parts.push(body);
                    continue;
                }
                if c.ty == "pure-token" && !c.multiple() {
                    let t = c.token.clone().unwrap_or_else(|| c.name.clone());
                    if c.optional() {
                        let n = format_ident!("f{}", i);
                        body.extend(
                            quote!(if *::std::borrow::Borrow::<bool>::borrow(&#n) { w.token(#t); }),
                        );
                    } else {
                        body.extend(quote!(w.token(#t);));
                    }
                    parts.push(body);
                    continue;
                }
                let n = format_ident!("f{}", i);
                if c.optional() {
                    let inner = write_arg(m, &inner_owner, c, quote!(x));
                    body.extend(quote!(if let Some(x) = #n { #inner }));
                } else {
                    body.extend(write_arg(m, &inner_owner, c, quote!(#n)));
                }
                parts.push(body);
            }
            let mut body = TokenStream::new();
            let mut i = 0;
            while i < parts.len() {
                if is_word_count(&arg.arguments, i) {
                    let range = word_count_range(&arg.arguments, i);
                    let end = range.end;
                    let inner = &parts[range];
                    body.extend(quote!(w.counted(|w| { #(#inner)* });));
                    i = end;
                } else {
                    body.extend(parts[i].clone());
                    i += 1;
                }
            }
            quote!({ #bind #body })
        }
        "score-bound" => {
            quote!(w.arg(&::core::convert::Into::<crate::bounds::ScoreBound>::into(#v));)
        }
        "written" => {
            let path = written_path(arg);
            quote!(w.value(&::core::convert::Into::<#path>::into(#v));)
        }
        // By value: a large owned value is shared, not copied.
        _ => quote!(w.arg_owned(#v);),
    }
}

/// The token set of a choice made only of tokens (`ASC|DESC`): the key of
/// its shared enum.
pub fn token_set(arg: &ArgDoc) -> Option<String> {
    (arg.ty == "oneof"
        && !arg.multiple()
        && !arg.arguments.is_empty()
        && arg.arguments.iter().all(is_unit))
    .then(|| {
        arg.arguments
            .iter()
            .map(|c| unit_tokens(c).join(" "))
            .collect::<Vec<_>>()
            .join("|")
    })
}

/// The enums shared by every command that offers the same choice of
/// tokens: by token set, the enum's name and the argument it is rendered
/// from (each choice's `since` the latest among the uses).
#[derive(Debug, Default, Clone)]
pub struct Shared {
    /// Token set -> (name, representative argument).
    pub by_tokens: BTreeMap<String, (String, ArgDoc)>,
}

/// Finds the shared enums of a set of commands. A token set is named by
/// [`SHARED_ENUM_NAMES`](crate::naming::SHARED_ENUM_NAMES), else after the
/// argument name all its uses share; a set whose uses disagree, or whose
/// name another set took, keeps one enum per command.
pub fn shared_enums(cmds: &[Cmd<'_>]) -> Shared {
    fn walk(args: &[ArgDoc], parent: Option<&ArgDoc>, out: &mut BTreeMap<String, Vec<ArgDoc>>) {
        for a in args {
            let is_strategy =
                parent.is_some_and(|p| strategy_of(p).is_some_and(|s| std::ptr::eq(s, a)));
            if let Some(key) = token_set(a).filter(|_| !is_strategy) {
                out.entry(key).or_default().push(a.clone());
            }
            walk(&a.arguments, Some(a), out);
        }
    }
    let mut uses = BTreeMap::new();
    for c in cmds {
        walk(&c.doc.arguments, None, &mut uses);
    }
    let mut named: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
    let mut candidates = BTreeMap::new();
    for (key, args) in &uses {
        let fixed = crate::naming::SHARED_ENUM_NAMES
            .iter()
            .find(|(t, _)| t == key)
            .map(|(_, n)| n.to_string());
        let from_table = fixed.is_some();
        let name = fixed.or_else(|| {
            let first = arg_word(&args[0].name);
            args.iter()
                .all(|a| arg_word(&a.name) == first)
                .then(|| pascal(&first))
        });
        // A name that a command's type has (`TYPE` is `Type`) gets `Kind`.
        let name = name.map(|n| {
            if cmds.iter().any(|c| c.type_name() == n) {
                n + "Kind"
            } else {
                n
            }
        });
        if let Some(name) = name {
            named
                .entry(name.clone())
                .or_default()
                .push((key.clone(), from_table));
            candidates.insert(key.clone(), name);
        }
    }
    let mut shared = Shared::default();
    for (key, name) in candidates {
        let claims = &named[&name];
        let wins = claims.len() == 1 || claims.iter().any(|(k, t)| *t && *k == key);
        if !wins {
            continue;
        }
        let args = &uses[&key];
        let mut rep = args[0].clone();
        for (i, c) in rep.arguments.iter_mut().enumerate() {
            c.since = args
                .iter()
                .filter_map(|a| a.arguments[i].since.clone())
                .max_by_key(|v| parse_version(v));
            for a in &args[1..] {
                let other = &a.arguments[i].servers;
                c.servers.redis = stricter(&c.servers.redis, &other.redis);
                c.servers.valkey = stricter(&c.servers.valkey, &other.valkey);
            }
        }
        shared.by_tokens.insert(key, (name, rep));
    }
    shared
}

/// Generates (once) the enum for a `oneof` argument; returns its name. A
/// choice of tokens shared with other commands names the shared enum
/// (rendered once, in the `types` module).
fn oneof_enum(m: &mut Module, owner: &str, arg: &ArgDoc) -> String {
    let shared = token_set(arg).and_then(|k| {
        m.shared
            .by_tokens
            .get(&k)
            .map(|(n, rep)| (k, n.clone(), rep.clone()))
    });
    let (cache_key, name, arg) = match shared {
        Some((key, name, _)) if !m.define_shared => {
            m.shared_used.insert(key);
            return name;
        }
        Some((key, name, rep)) => {
            if m.enums.contains_key(&key) {
                return name;
            }
            (key, name, rep)
        }
        None => {
            let cache_key = format!("{owner}.{}", arg.name);
            if let Some(name) = m.enums.get(&cache_key) {
                return name.clone();
            }
            let name = m.unique_type(format!("{owner}{}", pascal(&arg_word(&arg.name))));
            (cache_key, name, arg.clone())
        }
    };
    let arg = &arg;
    m.enums.insert(cache_key, name.clone());
    let id = ident(&name);
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    let mut ctors = Vec::new();
    let mut used = BTreeSet::new();
    for c in &arg.arguments {
        let mut vname = variant_name(arg, c);
        while !used.insert(vname.clone()) {
            vname.push('_');
        }
        let v = ident(&vname);
        let doc = docs::arg_line(c);
        if is_unit(c) {
            variants.push(quote!(#[doc = #doc] #v));
            let t = unit_tokens(c);
            let since = requires_tokens(&c.servers, &c.since, false)
                .map(|s| quote!(w.since(#s);))
                .unwrap_or_default();
            arms.push(quote!(Self::#v => { #since #(w.token(#t);)* }));
            continue;
        }
        let value_fields =
            (c.ty == "block" && !c.multiple()).then(|| value_fields(m, &name, c, Ctx::Owned));
        match value_fields {
            // A block of several values: a variant with named fields, and
            // a constructor taking them in order.
            Some(fields) if fields.len() > 1 => {
                let names: Vec<&Ident> = fields.iter().map(|(n, _)| n).collect();
                let tys: Vec<&TokenStream> = fields.iter().map(|(_, t)| t).collect();
                let field_docs: Vec<String> = c
                    .arguments
                    .iter()
                    .enumerate()
                    .filter(|(i, x)| {
                        (x.ty != "pure-token" || x.optional()) && !is_count(&c.arguments, *i)
                    })
                    .map(|(_, x)| docs::arg_line(x))
                    .collect();
                variants.push(quote!(#[doc = #doc] #v { #(#[doc = #field_docs] #names: #tys),* }));
                let write = write_arg(m, &name, c, quote!((#(#names),*)));
                arms.push(quote!(Self::#v { #(#names),* } => { #write }));
                let all_plain = c.arguments.iter().all(|x| !x.optional());
                if all_plain {
                    let ctor = ident(&crate::naming::snake_of_pascal(&vname));
                    let (ptys, convs): (Vec<TokenStream>, Vec<TokenStream>) = fields
                        .iter()
                        .map(|(n, t)| {
                            if t.to_string() == "Value" {
                                (quote!(impl Into<Value>), quote!(#n.into()))
                            } else {
                                (t.clone(), quote!(#n))
                            }
                        })
                        .unzip();
                    let cdoc = format!("The `{vname}` choice: {doc}");
                    let inits: Vec<TokenStream> = names
                        .iter()
                        .zip(&convs)
                        .map(|(n, c)| {
                            if c.to_string() == n.to_string() {
                                quote!(#n)
                            } else {
                                quote!(#n: #c)
                            }
                        })
                        .collect();
                    ctors.push(quote! {
                        #[doc = #cdoc]
                        pub fn #ctor(#(#names: #ptys),*) -> Self {
                            Self::#v { #(#inits),* }
                        }
                    });
                }
            }
            _ => {
                let ty = value_ty(m, &name, c, Ctx::Owned);
                variants.push(quote!(#[doc = #doc] #v(#ty)));
                let write = write_arg(m, &name, c, quote!(x));
                arms.push(quote!(Self::#v(x) => { #write }));
            }
        }
    }
    let doc = if m.define_shared {
        format!(
            "A choice of tokens ({}), shared by every command that offers it.",
            arg.arguments
                .iter()
                .map(|c| format!("`{}`", unit_tokens(c).join(" ")))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        format!("One of the choices of the `{}` argument.", arg.name)
    };
    let ctors = if ctors.is_empty() {
        quote!()
    } else {
        quote!(impl #id { #(#ctors)* })
    };
    m.items.push(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #id { #(#variants,)* }

        #ctors

        impl WriteArgs for #id {
            #[allow(unused_variables, clippy::needless_borrow)]
            fn write_args(&self, w: &mut ArgWriter<'_>) {
                match self { #(#arms)* }
            }
        }
    });
    name
}

/// Renders a shared enum into `m` (a module with `define_shared` set).
pub fn render_shared(m: &mut Module, rep: &ArgDoc) {
    oneof_enum(m, "", rep);
}

/// The variant name of choice `c` of `oneof` (see the naming rules).
fn variant_name(oneof: &ArgDoc, c: &ArgDoc) -> String {
    crate::naming::variant_name(&oneof.name, &c.name)
}

/// An expression for a representative value of `arg` (for the generated
/// samples that the live-server tests send).
fn sample_expr(m: &mut Module, owner: &str, arg: &ArgDoc, ctx: Ctx) -> TokenStream {
    let one = match arg.ty.as_str() {
        "oneof" => {
            let name = oneof_enum(m, owner, arg);
            let eid = ident(&name);
            // A shared enum is rendered from its representative argument:
            // the variant names come from the same spec names either way.
            let first = &arg.arguments[0];
            let v = ident(&variant_name(arg, first));
            if is_unit(first) {
                quote!(::respec::commands::#eid::#v)
            } else if first.ty == "block" && !first.multiple() {
                let names: Vec<Ident> = value_fields(m, &name, first, Ctx::Owned)
                    .into_iter()
                    .map(|(n, _)| n)
                    .collect();
                let inner = sample_expr(m, &name, first, Ctx::Owned);
                if names.len() > 1 {
                    let vals: Vec<TokenStream> =
                        if let Ok(syn::Expr::Tuple(t)) = syn::parse2::<syn::Expr>(inner.clone()) {
                            t.elems.iter().map(|e| e.to_token_stream()).collect()
                        } else {
                            vec![inner]
                        };
                    quote!(::respec::commands::#eid::#v { #(#names: #vals),* })
                } else {
                    quote!(::respec::commands::#eid::#v(#inner))
                }
            } else {
                let inner = sample_expr(m, &name, first, Ctx::Owned);
                quote!(::respec::commands::#eid::#v(#inner))
            }
        }
        "block" => {
            let inner_owner = format!("{owner}{}", pascal(&arg.name));
            let mut parts = Vec::new();
            for (i, c) in arg.arguments.iter().enumerate() {
                if is_count(&arg.arguments, i) {
                    continue;
                }
                if c.ty == "pure-token" && !c.multiple() {
                    if c.optional() {
                        parts.push(quote!(false));
                    }
                    continue;
                }
                if c.optional() {
                    parts.push(quote!(None));
                } else {
                    parts.push(sample_expr(m, &inner_owner, c, ctx));
                }
            }
            tuple_of(&parts)
        }
        "pure-token" => quote!(true),
        "integer" | "unix-time" => quote!(1i64),
        "double" | "score-bound" => quote!(1.0f64),
        "written" => arg
            .written_sample
            .as_deref()
            .and_then(|e| syn::parse_str::<syn::Expr>(e).ok())
            .expect("checked when the spec is read")
            .into_token_stream(),
        other => {
            let text = match other {
                "key" => "respec:sample",
                "pattern" => "*",
                _ => "1",
            };
            match ctx {
                Ctx::Param => quote!(#text),
                Ctx::Owned => quote!(::respec::commands::Value::from(#text)),
            }
        }
    };
    if arg.multiple() {
        match ctx {
            Ctx::Param => quote!([#one]),
            Ctx::Owned => quote!(vec![#one]),
        }
    } else {
        one
    }
}

/// The names of the required arguments below `arg` (they are set whenever
/// `arg` is).
fn required_descendants(arg: &ArgDoc, out: &mut Vec<String>) {
    for c in &arg.arguments {
        if !c.optional() && arg.ty == "block" {
            out.push(c.name.clone());
            required_descendants(c, out);
        }
    }
}

/// A reply type as tokens.
fn rust_type(t: &ReplyType) -> TokenStream {
    syn::parse_str::<syn::Type>(&t.rust())
        .expect("reply types render as Rust types")
        .into_token_stream()
}

/// The reply type a builder setting `names` switches to, when those names
/// choose an alternative of the table.
fn reply_for(entry: &ReplyEntry, required: &[String], names: &[String]) -> Option<TokenStream> {
    if !entry
        .alternatives
        .iter()
        .any(|a| a.when.iter().any(|w| names.contains(w)))
    {
        return None;
    }
    let used: Vec<&str> = required.iter().chain(names).map(String::as_str).collect();
    Some(rust_type(entry.select(&used)))
}

/// One parameter of a constructor: name and type.
struct Param {
    name: Ident,
    ty: TokenStream,
}

/// What a builder's argument belongs to: the slot that is set once the
/// enclosing block is given, the argument names that implies (for the
/// reply table's conditions), and how an error names it.
#[derive(Clone)]
struct Anchor {
    slot: usize,
    names: Vec<String>,
    desc: String,
}

/// The state of one command while it is rendered: the argument slots
/// handed out so far (one per argument, in spec order, nested arguments of
/// flattened blocks included), the constructor, the builders and the
/// checks that run before the command is sent.
struct Gen<'g> {
    m: &'g mut Module,
    entry: &'g ReplyEntry,
    ty: Ident,
    server_name: String,
    required_names: Vec<String>,
    slots: usize,
    ctor_params: Vec<Param>,
    ctor_body: TokenStream,
    builders: TokenStream,
    checks: TokenStream,
    methods: BTreeSet<String>,
    param_names: BTreeSet<String>,
    samples: Vec<TokenStream>,
    sample_chain: TokenStream,
    /// One option for the rustdoc example: a top-level builder that keeps
    /// the reply type (`.ex(1)`).
    example_option: Option<TokenStream>,
}

/// `self.args.since(v);` for an argument that needs a newer server, or
/// that a server lacks.
fn since_stmt(arg: &ArgDoc) -> TokenStream {
    requires_tokens(&arg.servers, &arg.since, false)
        .map(|s| quote!(self.args.since(#s);))
        .unwrap_or_default()
}

/// The choice of a block that picks what the block means (XADD's and
/// XTRIM's `MAXLEN | MINID`): its first argument, a required choice of
/// tokens, followed by plain values. Each choice becomes a builder taking
/// the block's required values (`.maxlen(1000)`).
fn strategy_of(block: &ArgDoc) -> Option<&ArgDoc> {
    let first = block.arguments.first()?;
    let simple = |c: &ArgDoc| {
        c.optional()
            || (!matches!(c.ty.as_str(), "block" | "oneof" | "pure-token") && !c.multiple())
    };
    (block.ty == "block"
        && !block.multiple()
        && first.ty == "oneof"
        && !first.optional()
        && !first.multiple()
        && first.token.is_none()
        && first.arguments.iter().all(is_unit)
        && block.arguments.len() > 1
        && block.arguments[1..].iter().all(simple))
    .then_some(first)
}

/// A choice between a special token and a plain value (XADD's `* | id`,
/// XGROUP's `id | $`): the token is one more value the parameter can take,
/// so the argument reads as that value (`"*"`, `StreamId::AUTO`, `"0-1"`).
fn as_token_or_value(arg: &ArgDoc) -> Option<ArgDoc> {
    if arg.ty != "oneof" || arg.multiple() || arg.arguments.len() != 2 {
        return None;
    }
    let is_value = |c: &ArgDoc| {
        matches!(c.ty.as_str(), "string" | "key" | "pattern")
            && c.token.is_none()
            && !c.optional()
            && !c.multiple()
    };
    let is_token = |c: &ArgDoc| c.ty == "pure-token" && !c.optional() && !c.multiple();
    let (a, b) = (&arg.arguments[0], &arg.arguments[1]);
    let value = if is_value(a) && is_token(b) {
        a
    } else if is_token(a) && is_value(b) {
        b
    } else {
        return None;
    };
    let tok = if is_token(a) { a } else { b };
    let mut v = value.clone();
    v.name = arg.name.clone();
    v.token = arg.token.clone();
    v.flags = arg.flags.clone();
    v.since = arg.since.clone();
    v.summary = Some(format!(
        "{}, or `{}`",
        value.display_text.as_deref().unwrap_or(&value.name),
        tok.token.as_deref().unwrap_or(&tok.name)
    ));
    Some(v)
}

/// Whether a single block is rendered argument by argument (it has optional
/// parts, each with a builder of its own) rather than as one unit.
fn is_flat(block: &ArgDoc) -> bool {
    block.ty == "block"
        && !block.multiple()
        && (strategy_of(block).is_some() || block.arguments.iter().any(|c| c.optional()))
}

/// The builder name of an optional block: its token (`LIMIT` -> `limit`),
/// else the name of its one required value (`COUNT count [ANY]` ->
/// `count`), else the block's own name without a `-block` suffix.
fn block_method(block: &ArgDoc) -> String {
    if let Some(t) = block.token.as_deref() {
        let m = method_name(Some(t), "");
        if m != "arg" {
            return m;
        }
    }
    let values: Vec<&ArgDoc> = block
        .arguments
        .iter()
        .enumerate()
        .filter(|(i, c)| !c.optional() && c.ty != "pure-token" && !is_count(&block.arguments, *i))
        .map(|(_, c)| c)
        .collect();
    if values.len() == 1 {
        return method_name(values[0].token.as_deref(), &arg_word(&values[0].name));
    }
    snake(&arg_word(&block.name))
}

impl Gen<'_> {
    fn alloc(&mut self) -> usize {
        self.slots += 1;
        self.slots - 1
    }

    /// A builder method name not taken yet: `want`, else prefixed with the
    /// argument it belongs to, else suffixed.
    fn claim(&mut self, want: String, prefix: &str) -> Ident {
        let mut name = want.clone();
        if self.methods.contains(&name) {
            name = format!("{}_{}", snake(&arg_word(prefix)), want);
        }
        while self.methods.contains(&name) {
            name.push_str("_arg");
        }
        self.methods.insert(name.clone());
        ident(&name)
    }

    /// A constructor parameter name not taken yet.
    fn param(&mut self, name: &str) -> Ident {
        let mut p = snake(&arg_word(name));
        while !self.param_names.insert(p.clone()) {
            p.push('_');
        }
        ident(&p)
    }

    /// (return type, tail expression) of a builder setting `names`: the
    /// command with another reply type when the names choose one.
    fn ret(&self, names: &[String]) -> (TokenStream, TokenStream) {
        let ty = &self.ty;
        match reply_for(self.entry, &self.required_names, names) {
            Some(t) => (
                quote!(#ty<E, #t>),
                quote!(#ty { exec: self.exec, args: self.args, reply: PhantomData }),
            ),
            None => (quote!(Self), quote!(self)),
        }
    }

    /// A check run before sending: the argument in `slot` needs `anchor`.
    fn needs(&mut self, slot: usize, what: &ArgDoc, anchor: &Anchor) {
        let (s, a) = (lit(slot as i64), lit(anchor.slot as i64));
        let msg = format!(
            "`{}`: `{}` is given without {}",
            self.server_name,
            docs::syntax(what).trim_matches(['[', ']']),
            anchor.desc
        );
        let server = &self.server_name;
        self.checks.extend(quote! {
            if self.args.is_set(#s) && !self.args.is_set(#a) {
                return Err(input_error(#server, #msg));
            }
        });
    }

    /// A required argument: constructor parameters, or for a block that
    /// picks its meaning (XTRIM's `MAXLEN | MINID`) builders one of which
    /// must be called.
    fn required(&mut self, args: &[ArgDoc], i: usize, owner: &str) {
        if let Some(v) = as_token_or_value(&args[i]) {
            let mut args = args.to_vec();
            args[i] = v;
            return self.required(&args, i, owner);
        }
        let arg = &args[i];
        let slot = self.alloc();
        let s = lit(slot as i64);
        if is_word_count(args, i) {
            // Written by the next argument's slot, before its words.
            assert!(
                !args[i + 1].optional(),
                "`{}` `{}`: a word count before an optional argument is supported only in a \
                 block written whole",
                self.server_name,
                arg.name
            );
            return;
        }
        let counted = after_word_count(args, i);
        if is_count(args, i) {
            // Derived from the next argument; zero until that is given.
            if args[i + 1].optional() {
                self.ctor_body
                    .extend(quote!(args_.set(#s, |w| { w.arg(&0i64); });));
            }
            return;
        }
        let count_slot = (i > 0 && is_count(args, i - 1)).then(|| lit(slot as i64 - 1));
        let server_name = self.server_name.clone();
        if arg.ty == "pure-token" && !arg.multiple() {
            let t = arg.token.clone().unwrap_or_else(|| arg.name.clone());
            self.ctor_body
                .extend(quote!(args_.set(#s, |w| { w.token(#t); });));
            return;
        }
        if arg.ty == "block" && !arg.multiple() {
            let inner = format!("{owner}{}", pascal(&arg_word(&arg.name)));
            assert!(
                !counted || !(strategy_of(arg).is_some() || is_flat(arg)),
                "`{}` `{}`: a word count before a block split into builders",
                self.server_name,
                arg.name
            );
            if strategy_of(arg).is_some() {
                self.strategy_block(arg, slot, None, &inner);
                return;
            }
            if is_flat(arg) {
                if let Some(t) = &arg.token {
                    self.ctor_body
                        .extend(quote!(args_.set(#s, |w| { w.token(#t); });));
                }
                for j in 0..arg.arguments.len() {
                    if arg.arguments[j].optional() {
                        self.optional(&arg.arguments, j, None, &inner);
                    } else {
                        self.required(&arg.arguments, j, &inner);
                    }
                }
                return;
            }
            // A block of plain values: one parameter per value, written
            // together (`GROUP group consumer`, `STREAMS key... id...`).
            let fields = block_fields(self.m, owner, arg, Ctx::Param);
            let mut names = Vec::new();
            for (j, f) in fields.iter().enumerate() {
                if !f.has_value {
                    continue;
                }
                let p = self.param(&arg.arguments[j].name);
                let sample = sample_expr(self.m, &inner, &arg.arguments[j], Ctx::Param);
                self.samples.push(sample);
                self.ctor_params.push(Param {
                    name: p.clone(),
                    ty: f.ty.clone(),
                });
                names.push(p);
            }
            let write = write_value(self.m, owner, arg, tuple_of(&names));
            let tok = arg
                .token
                .as_ref()
                .map(|t| quote!(w.token(#t);))
                .unwrap_or_default();
            let body = counted_body(counted, quote!(#tok #write));
            self.ctor_body.extend(quote!(args_.set(#s, |w| { #body });));
            return;
        }
        let pid = self.param(&arg.name);
        let sample = sample_expr(self.m, owner, arg, Ctx::Param);
        self.samples.push(sample);
        let t = value_ty(self.m, owner, arg, Ctx::Param);
        self.ctor_params.push(Param {
            name: pid.clone(),
            ty: t,
        });
        if arg.multiple() {
            let each = write_value(self.m, owner, arg, quote!(item));
            let head = match (&arg.token, arg.multiple_token()) {
                (Some(tok), false) => quote!(w.token(#tok);),
                _ => quote!(),
            };
            let per = match (&arg.token, arg.multiple_token()) {
                (Some(tok), true) => quote!(w.token(#tok);),
                _ => quote!(),
            };
            let msg = format!("`{}` needs at least one `{}`", server_name, arg.name);
            let set_count = count_slot
                .as_ref()
                .map(|c| quote!(args_.set(#c, |w| { w.arg(&(count_ as i64)); });))
                .unwrap_or_default();
            let body = counted_body(
                counted,
                quote!(#head for item in #pid { #per #each count_ += 1; }),
            );
            self.ctor_body.extend(quote! {
                let mut count_ = 0usize;
                args_.set(#s, |w| { #body });
                if count_ == 0 { args_.fail(#msg); }
                #set_count
            });
        } else {
            let write = counted_body(counted, write_arg(self.m, owner, arg, quote!(#pid)));
            self.ctor_body
                .extend(quote!(args_.set(#s, |w| { #write });));
        }
    }

    /// A block whose first argument picks its meaning: one builder per
    /// choice, taking the block's required values; the optional parts get
    /// builders of their own that need one of those first.
    fn strategy_block(&mut self, arg: &ArgDoc, head: usize, parent: Option<&Anchor>, owner: &str) {
        let strategy = strategy_of(arg).expect("checked by the caller");
        let strat_slot = self.alloc();
        let choices: Vec<String> = strategy
            .arguments
            .iter()
            .map(|c| method_name(c.token.as_deref(), &c.name))
            .collect();
        let desc = format!(
            "one of {}",
            choices
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut names = parent.map(|p| p.names.clone()).unwrap_or_default();
        names.push(arg.name.clone());
        names.push(strategy.name.clone());
        let anchor = Anchor {
            slot: strat_slot,
            names: names.clone(),
            desc: desc.clone(),
        };
        // The anchors go first in the docs, then the optional parts.
        let before = std::mem::take(&mut self.builders);
        let mut values: Vec<(usize, &ArgDoc)> = Vec::new();
        for j in 1..arg.arguments.len() {
            let c = &arg.arguments[j];
            if c.optional() {
                self.optional(&arg.arguments, j, Some(&anchor), owner);
            } else {
                values.push((self.alloc(), c));
            }
        }
        let optional_parts = std::mem::replace(&mut self.builders, before);
        let since = since_stmt(arg);
        let head_tok = arg
            .token
            .as_ref()
            .map(|t| {
                let h = lit(head as i64);
                quote!(self.args.set(#h, |w| { w.token(#t); });)
            })
            .unwrap_or_default();
        let st = lit(strat_slot as i64);
        let mut first_sample = None;
        for c in &strategy.arguments {
            let name = self.claim(method_name(c.token.as_deref(), &c.name), &arg.name);
            let tok = c.token.clone().unwrap_or_else(|| c.name.clone());
            let csince = since_stmt(c);
            let mut params = Vec::new();
            let mut sets = TokenStream::new();
            let mut sample_args = Vec::new();
            let mut set_names = names.clone();
            set_names.push(c.name.clone());
            for (slot, v) in &values {
                let p = ident(&snake(&arg_word(&v.name)));
                let t = value_ty(self.m, owner, v, Ctx::Param);
                params.push(quote!(#p: #t));
                let write = write_arg(self.m, owner, v, quote!(#p));
                let vs = lit(*slot as i64);
                sets.extend(quote!(self.args.set(#vs, |w| { #write });));
                sample_args.push(sample_expr(self.m, owner, v, Ctx::Param));
                set_names.push(v.name.clone());
            }
            if first_sample.is_none() {
                first_sample = Some(quote!(.#name(#(#sample_args),*)));
            }
            let (rt, tail) = self.ret(&set_names);
            let doc = format!(
                "`{tok}{}`: {}{}",
                values
                    .iter()
                    .map(|(_, v)| format!(" {}", docs::syntax(v)))
                    .collect::<String>(),
                docs::arg_line(c),
                match &arg.summary {
                    Some(s) => format!(" — {}", docs::clean(s)),
                    None => String::new(),
                }
            );
            self.builders.extend(quote! {
                #[doc = #doc]
                pub fn #name(mut self, #(#params),*) -> #rt {
                    #since
                    #csince
                    #head_tok
                    self.args.set(#st, |w| { w.token(#tok); });
                    #sets
                    #tail
                }
            });
        }
        self.builders.extend(optional_parts);
        match parent {
            None if !arg.optional() => {
                let msg = format!("`{}` needs {desc}", self.server_name);
                let server = &self.server_name;
                self.checks.extend(quote! {
                    if !self.args.is_set(#st) {
                        return Err(input_error(#server, #msg));
                    }
                });
                if let Some(s) = first_sample {
                    self.sample_chain.extend(s);
                }
            }
            Some(p) => {
                let p = p.clone();
                self.needs(strat_slot, arg, &p);
            }
            None => {}
        }
    }

    /// An optional argument: a builder (or, for a repeated choice or block,
    /// one builder per item kind, appending).
    fn optional(&mut self, args: &[ArgDoc], i: usize, parent: Option<&Anchor>, owner: &str) {
        if let Some(v) = as_token_or_value(&args[i]) {
            let mut args = args.to_vec();
            args[i] = v;
            return self.optional(&args, i, parent, owner);
        }
        let arg = &args[i];
        if arg.ty == "oneof"
            && !arg.multiple()
            && arg.token.is_none()
            && arg.arguments.iter().any(is_flat)
        {
            // A choice one of whose options has optional parts of its own
            // (SHUTDOWN's `[NOSAVE|SAVE] [NOW] [FORCE] ... | ABORT`): each
            // option is given by its own builders, and at most one may be.
            let mut ranges = Vec::new();
            for j in 0..arg.arguments.len() {
                let from = self.slots;
                self.optional(&arg.arguments, j, parent, owner);
                ranges.push((from, self.slots));
            }
            let sets: Vec<TokenStream> = ranges
                .iter()
                .map(|(a, b)| {
                    let (a, b) = (lit(*a as i64), lit(*b as i64));
                    quote!(self.args.any_set(#a..#b) as u8)
                })
                .collect();
            let msg = format!(
                "`{}`: give only one of `{}`",
                self.server_name,
                docs::syntax(arg).trim_matches(['[', ']'])
            );
            let server = &self.server_name;
            self.checks.extend(quote! {
                if #(#sets)+* > 1 {
                    return Err(input_error(#server, #msg));
                }
            });
            return;
        }
        let slot = self.alloc();
        let s = lit(slot as i64);
        if let Some(p) = parent {
            let p = p.clone();
            self.needs(slot, arg, &p);
        }
        let counted = after_word_count(args, i);
        assert!(
            !counted || !matches!(arg.ty.as_str(), "oneof" | "block" | "pure-token"),
            "`{}` `{}`: a word count before an optional {} split into builders",
            self.server_name,
            arg.name,
            arg.ty
        );
        let count_slot = (i > 0 && is_item_count(args, i - 1)).then(|| lit(slot as i64 - 1));
        let since = since_stmt(arg);
        let arg_doc = docs::arg_line(arg);
        let mut base_names = parent.map(|p| p.names.clone()).unwrap_or_default();
        base_names.push(arg.name.clone());
        let inner = format!("{owner}{}", pascal(&arg_word(&arg.name)));
        if arg.multiple() && matches!(arg.ty.as_str(), "oneof" | "block") {
            self.appenders(arg, slot, owner);
            return;
        }
        match arg.ty.as_str() {
            "oneof" => {
                let enum_name = oneof_enum(self.m, owner, arg);
                let eid = ident(&enum_name);
                let setter = self.claim(snake(&arg_word(&arg.name)), &arg.name);
                let write_tok = arg
                    .token
                    .clone()
                    .map(|t| quote!(w.token(#t);))
                    .unwrap_or_default();
                let setter_doc = format!(
                    "{arg_doc}\n\nSets it from a [`{enum_name}`] value; the shorthand methods set one choice each."
                );
                let (rt, tail) = self.ret(&base_names);
                self.builders.extend(quote! {
                    #[doc = #setter_doc]
                    pub fn #setter(mut self, value: #eid) -> #rt {
                        #since
                        self.args.set(#s, |w| { #write_tok w.value(&value); });
                        #tail
                    }
                });
                // Shorthands, one per choice.
                for c in &arg.arguments {
                    let vname = ident(&variant_name(arg, c));
                    let short = self.claim(
                        method_name(c.token.as_deref(), &arg_word(&c.name)),
                        &arg.name,
                    );
                    let cdoc = docs::arg_line(c);
                    let mut set_names = base_names.clone();
                    set_names.push(c.name.clone());
                    required_descendants(c, &mut set_names);
                    let (rt, tail) = self.ret(&set_names);
                    let (params, value) = if is_unit(c) {
                        (quote!(), quote!(#eid::#vname))
                    } else if c.ty == "block" && !c.multiple() {
                        let fields = value_fields(self.m, &enum_name, c, Ctx::Owned);
                        let names: Vec<&Ident> = fields.iter().map(|(n, _)| n).collect();
                        let val = if names.len() == 1 {
                            quote!(#eid::#vname(#(#names)*))
                        } else {
                            quote!(#eid::#vname { #(#names),* })
                        };
                        let params = params_of(&fields);
                        (quote!(#(#params),*), val)
                    } else {
                        let owned = value_ty(self.m, &enum_name, c, Ctx::Owned);
                        let (pty, conv) = shorthand_param(c, owned);
                        let p = ident(&snake(&c.name));
                        (quote!(#p: #pty), quote!(#eid::#vname(#conv)))
                    };
                    self.builders.extend(quote! {
                        #[doc = #cdoc]
                        #[allow(clippy::too_many_arguments)]
                        pub fn #short(mut self, #params) -> #rt {
                            #since
                            let value = #value;
                            self.args.set(#s, |w| { #write_tok w.value(&value); });
                            #tail
                        }
                    });
                }
            }
            "pure-token" => {
                let name = self.claim(method_name(arg.token.as_deref(), &arg.name), &arg.name);
                let t = arg.token.clone().unwrap_or_else(|| arg.name.clone());
                let (rt, tail) = self.ret(&base_names);
                if parent.is_none() && tail.to_string() == "self" && self.example_option.is_none() {
                    self.example_option = Some(quote!(.#name()));
                }
                self.builders.extend(quote! {
                    #[doc = #arg_doc]
                    pub fn #name(mut self) -> #rt {
                        #since
                        self.args.set(#s, |w| { w.token(#t); });
                        #tail
                    }
                });
            }
            "block" if strategy_of(arg).is_some() => {
                self.strategy_block(arg, slot, parent, &inner);
            }
            "block"
                if is_flat(arg)
                    && arg.token.is_none()
                    && arg.arguments.iter().all(|c| c.optional()) =>
            {
                // Nothing of its own to give: its parts are builders of the
                // command.
                for j in 0..arg.arguments.len() {
                    self.optional(&arg.arguments, j, parent, &inner);
                }
            }
            "block" if is_flat(arg) => {
                // The block's required values go to one builder; its
                // optional parts get builders of their own, which need it.
                let name = self.claim(block_method(arg), &arg.name);
                let mut names = base_names.clone();
                required_descendants(arg, &mut names);
                let anchor = Anchor {
                    slot,
                    names: names.clone(),
                    desc: format!("`{name}`"),
                };
                let before = std::mem::take(&mut self.builders);
                let mut params = Vec::new();
                let mut sets = TokenStream::new();
                for j in 0..arg.arguments.len() {
                    let c = &arg.arguments[j];
                    if c.optional() {
                        self.optional(&arg.arguments, j, Some(&anchor), &inner);
                        continue;
                    }
                    let cs = lit(self.alloc() as i64);
                    if is_word_count(&arg.arguments, j) {
                        // Written by the next slot, before its words.
                        continue;
                    }
                    let counted = after_word_count(&arg.arguments, j);
                    if c.ty == "pure-token" && !c.multiple() {
                        let t = c.token.clone().unwrap_or_else(|| c.name.clone());
                        sets.extend(quote!(self.args.set(#cs, |w| { w.token(#t); });));
                        continue;
                    }
                    let p = ident(&snake(&arg_word(&c.name)));
                    let t = value_ty(self.m, &inner, c, Ctx::Param);
                    params.push(quote!(#p: #t));
                    let write = counted_body(counted, write_arg(self.m, &inner, c, quote!(#p)));
                    sets.extend(quote!(self.args.set(#cs, |w| { #write });));
                }
                let optional_parts = std::mem::replace(&mut self.builders, before);
                let head = match &arg.token {
                    Some(t) => quote!(self.args.set(#s, |w| { w.token(#t); });),
                    None => quote!(self.args.mark(#s);),
                };
                let (rt, tail) = self.ret(&names);
                self.builders.extend(quote! {
                    #[doc = #arg_doc]
                    #[allow(clippy::too_many_arguments)]
                    pub fn #name(mut self, #(#params),*) -> #rt {
                        #since
                        #head
                        #sets
                        #tail
                    }
                });
                self.builders.extend(optional_parts);
            }
            "block" => {
                // A block of plain values: one builder taking them all.
                let name = self.claim(block_method(arg), &arg.name);
                let fields = value_fields(self.m, owner, arg, Ctx::Param);
                let params = params_of(&fields);
                let names: Vec<&Ident> = fields.iter().map(|(n, _)| n).collect();
                let val = tuple_of(&names);
                let write = write_value(self.m, owner, arg, quote!(value));
                let tok = arg
                    .token
                    .as_ref()
                    .map(|t| quote!(w.token(#t);))
                    .unwrap_or_default();
                let mut names = base_names.clone();
                required_descendants(arg, &mut names);
                let (rt, tail) = self.ret(&names);
                self.builders.extend(quote! {
                    #[doc = #arg_doc]
                    #[allow(clippy::too_many_arguments)]
                    pub fn #name(mut self, #(#params),*) -> #rt {
                        #since
                        let value = #val;
                        self.args.set(#s, |w| { #tok #write });
                        #tail
                    }
                });
            }
            _ => {
                let name = self.claim(method_name(arg.token.as_deref(), &arg.name), &arg.name);
                let t = value_ty(self.m, owner, arg, Ctx::Param);
                let p = ident(&snake(&arg_word(&arg.name)));
                let write = write_arg(self.m, owner, arg, quote!(#p));
                let (rt, tail) = self.ret(&base_names);
                if parent.is_none() && tail.to_string() == "self" && self.example_option.is_none() {
                    let sample = sample_expr(self.m, owner, arg, Ctx::Param);
                    self.example_option = Some(quote!(.#name(#sample)));
                }
                let body = match &count_slot {
                    // The elements also set the count before them.
                    Some(c) if arg.multiple() && arg.token.is_none() => {
                        let each = write_value(self.m, owner, arg, quote!(item));
                        quote! {
                            let mut count_ = 0i64;
                            self.args.set(#s, |w| { for item in #p { #each count_ += 1; } });
                            self.args.set(#c, |w| { w.arg(&count_); });
                        }
                    }
                    _ => {
                        let write = counted_body(counted, write);
                        quote!(self.args.set(#s, |w| { #write });)
                    }
                };
                self.builders.extend(quote! {
                    #[doc = #arg_doc]
                    pub fn #name(mut self, #p: #t) -> #rt {
                        #since
                        #body
                        #tail
                    }
                });
            }
        }
    }

    /// A repeated choice or block (BITFIELD's operations, BITFIELD_RO's
    /// `GET`s): one builder per kind of item, each call appending one item
    /// in call order.
    fn appenders(&mut self, arg: &ArgDoc, slot: usize, owner: &str) {
        let (once, per) = match (&arg.token, arg.multiple_token()) {
            (Some(t), false) => (quote!(Some(#t)), quote!()),
            (Some(t), true) => (quote!(None), quote!(w.token(#t);)),
            (None, _) => (quote!(None), quote!()),
        };
        let items: Vec<&ArgDoc> = if arg.ty == "oneof" {
            arg.arguments.iter().collect()
        } else {
            vec![arg]
        };
        for c in items {
            self.append_item(arg, c, slot, owner, &once, &per);
        }
    }

    fn append_item(
        &mut self,
        arg: &ArgDoc,
        c: &ArgDoc,
        slot: usize,
        owner: &str,
        once: &TokenStream,
        per: &TokenStream,
    ) {
        let s = lit(slot as i64);
        let since = since_stmt(arg);
        let csince = if std::ptr::eq(arg, c) {
            quote!()
        } else {
            since_stmt(c)
        };
        let doc = format!(
            "Appends {}; call it once per item, in the order the server runs them.",
            docs::arg_line(c)
        );
        // A choice made only of choices (BITFIELD's `[OVERFLOW ...] <SET |
        // INCRBY>`) dissolves: each part appends on its own.
        if c.ty == "block"
            && c.token.is_none()
            && !c.arguments.is_empty()
            && c.arguments.iter().all(|x| x.ty == "oneof" && !x.multiple())
        {
            for part in &c.arguments {
                if part.optional() {
                    let inner = format!("{owner}{}", pascal(&arg_word(&c.name)));
                    let enum_name = oneof_enum(self.m, &inner, part);
                    let eid = ident(&enum_name);
                    let name = self.claim(
                        method_name(part.token.as_deref(), &arg_word(&part.name)),
                        &part.name,
                    );
                    let tok = part
                        .token
                        .as_ref()
                        .map(|t| quote!(w.token(#t);))
                        .unwrap_or_default();
                    let pdoc = format!(
                        "Appends {}; it applies to the items appended after it.",
                        docs::arg_line(part)
                    );
                    self.builders.extend(quote! {
                        #[doc = #pdoc]
                        pub fn #name(mut self, value: #eid) -> Self {
                            #since
                            self.args.append(#s, #once, |w| { #per #tok w.value(&value); });
                            self
                        }
                    });
                } else {
                    let inner = format!("{owner}{}", pascal(&arg_word(&c.name)));
                    for choice in &part.arguments {
                        self.append_item(part, choice, slot, &inner, once, per);
                    }
                }
            }
            return;
        }
        let name = self.claim(
            method_name(c.token.as_deref(), &arg_word(&c.name)),
            &arg.name,
        );
        if is_unit(c) {
            let toks = unit_tokens(c);
            self.builders.extend(quote! {
                #[doc = #doc]
                pub fn #name(mut self) -> Self {
                    #since #csince
                    self.args.append(#s, #once, |w| { #per #(w.token(#toks);)* });
                    self
                }
            });
            return;
        }
        if c.ty == "block" {
            // Optional parts with tokens after the required ones (GROUPBY's
            // REDUCEs, SORTBY's MAX) continue the item: builders of their own.
            let split = continued_parts(c);
            let head = match split {
                Some(k) => ArgDoc {
                    arguments: c.arguments[..k].to_vec(),
                    ..c.clone()
                },
                None => c.clone(),
            };
            let fields = value_fields(self.m, owner, &head, Ctx::Param);
            let params = params_of(&fields);
            let names: Vec<&Ident> = fields.iter().map(|(n, _)| n).collect();
            let val = tuple_of(&names);
            let write = write_value(self.m, owner, &head, quote!(value));
            let tok = match &c.token {
                Some(t) if !std::ptr::eq(arg, c) => quote!(w.token(#t);),
                _ => quote!(),
            };
            let kind = arg
                .arguments
                .iter()
                .position(|x| std::ptr::eq(x, c))
                .map_or(1, |i| i + 1);
            let append = match split {
                Some(_) => {
                    let kind = proc_macro2::Literal::u8_unsuffixed(kind as u8);
                    quote!(self.args.append_item(#s, #once, #kind, |w| { #per #tok #write });)
                }
                None => quote!(self.args.append(#s, #once, |w| { #per #tok #write });),
            };
            self.builders.extend(quote! {
                #[doc = #doc]
                #[allow(clippy::too_many_arguments)]
                pub fn #name(mut self, #(#params),*) -> Self {
                    #since #csince
                    let value = #val;
                    #append
                    self
                }
            });
            if let Some(k) = split {
                self.continuations(c, k, kind as u8, slot, owner, &name);
            }
            return;
        }
        let p = ident(&snake(&arg_word(&c.name)));
        let t = value_ty(self.m, owner, c, Ctx::Param);
        let write = write_arg(self.m, owner, c, quote!(#p));
        self.builders.extend(quote! {
            #[doc = #doc]
            pub fn #name(mut self, #p: #t) -> Self {
                #since #csince
                self.args.append(#s, #once, |w| { #per #write });
                self
            }
        });
    }
}

impl Gen<'_> {
    /// The builders of the optional parts `k..` of `c`, an item of a
    /// repeated choice appended by `item_builder` as kind `kind`: each
    /// writes its part into the item appended last, which must be of this
    /// kind, parts in order (a repeated part any number of times).
    fn continuations(
        &mut self,
        c: &ArgDoc,
        k: usize,
        kind: u8,
        slot: usize,
        owner: &str,
        item_builder: &Ident,
    ) {
        let s = lit(slot as i64);
        let kind = proc_macro2::Literal::u8_unsuffixed(kind);
        let item_word = c.token.clone().unwrap_or_else(|| c.name.clone());
        for (j, part) in c.arguments.iter().enumerate().skip(k) {
            let repeats = part.multiple();
            let one = ArgDoc {
                flags: part
                    .flags
                    .iter()
                    .filter(|f| !matches!(f.as_str(), "multiple" | "multiple_token" | "optional"))
                    .cloned()
                    .collect(),
                ..part.clone()
            };
            let name = self.claim(
                method_name(part.token.as_deref(), &arg_word(&part.name)),
                &part.name,
            );
            let since = since_stmt(part);
            let p = ident(&snake(&arg_word(&part.name)));
            let write = write_arg(self.m, owner, &one, quote!(#p));
            let line = docs::arg_line(part);
            let doc = if repeats {
                format!(
                    "{line}\n\nAdds one to the `{item_word}` item appended last (by [`{item_builder}`](Self::{item_builder})); call it once per value, in order."
                )
            } else {
                format!(
                    "{line}\n\nSets it on the `{item_word}` item appended last (by [`{item_builder}`](Self::{item_builder})), once per item."
                )
            };
            let msg = format!(
                "`{}`: `{name}` continues the `{item_word}` item appended last: call it right after `{item_builder}`{}",
                self.server_name,
                if repeats { "" } else { ", once per item" }
            );
            let part_no = proc_macro2::Literal::u8_unsuffixed(j as u8);
            let param = if one.ty == "pure-token" {
                quote!()
            } else {
                let t = value_ty(self.m, owner, &one, Ctx::Param);
                quote!(#p: #t)
            };
            self.builders.extend(quote! {
                #[doc = #doc]
                pub fn #name(mut self, #param) -> Self {
                    #since
                    self.args.continue_item(#s, #kind, #part_no, #repeats, #msg, |w| { #write });
                    self
                }
            });
        }
    }
}

/// Where the continued parts of an appended block item start: the index
/// of its first optional part, when at least one required part comes
/// before it and every part from it on is optional and has a token.
fn continued_parts(c: &ArgDoc) -> Option<usize> {
    let k = c.arguments.iter().position(|x| x.optional())?;
    (k > 0
        && c.arguments[k..]
            .iter()
            .all(|x| x.optional() && x.token.is_some()))
    .then_some(k)
}

/// Renders one command: its struct, constructor, builders and trait impls.
/// Returns (items, trait method, free function, sample expression).
pub fn command(
    m: &mut Module,
    cmd: &Cmd<'_>,
    entry: &ReplyEntry,
) -> (TokenStream, TokenStream, TokenStream, TokenStream) {
    let doc = cmd.doc;
    let ty_name = cmd.type_name();
    m.used_types.insert(ty_name.clone());
    let ty = ident(&ty_name);
    let fn_name = ident(&cmd.fn_name());
    let server_name = cmd.server_name();
    let name_words = proc_macro2::Literal::usize_unsuffixed(server_name.split(' ').count());
    // The name's words as RESP bulk strings, written once per command.
    let name_wire = proc_macro2::Literal::byte_string(
        server_name
            .split(' ')
            .map(|w| format!("${}\r\n{w}\r\n", w.len()))
            .collect::<String>()
            .as_bytes(),
    );
    let spec_static = format_ident!(
        "{}_SPEC",
        cmd.fn_name().trim_end_matches('_').to_ascii_uppercase()
    );
    let head_const = format_ident!(
        "{}_HEAD",
        cmd.fn_name().trim_end_matches('_').to_ascii_uppercase()
    );

    // The arguments every call has: they are part of every reply choice.
    let mut required_names = Vec::new();
    for a in doc.arguments.iter().filter(|a| !a.optional()) {
        required_names.push(a.name.clone());
        required_descendants(a, &mut required_names);
    }
    let default_reply = rust_type(
        entry.select(
            &required_names
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        ),
    );
    let mut g = Gen {
        m,
        entry,
        ty: ty.clone(),
        server_name: server_name.clone(),
        required_names,
        slots: 0,
        ctor_params: Vec::new(),
        ctor_body: TokenStream::new(),
        builders: TokenStream::new(),
        checks: TokenStream::new(),
        methods: RESERVED_METHODS.iter().map(|s| s.to_string()).collect(),
        param_names: BTreeSet::new(),
        samples: Vec::new(),
        sample_chain: TokenStream::new(),
        example_option: None,
    };
    for i in 0..doc.arguments.len() {
        if doc.arguments[i].optional() {
            g.optional(&doc.arguments, i, None, &ty_name);
        } else {
            g.required(&doc.arguments, i, &ty_name);
        }
    }
    let Gen {
        m,
        ctor_params,
        ctor_body,
        builders,
        checks,
        samples,
        sample_chain,
        example_option,
        slots: n_slots,
        ..
    } = g;

    let params: Vec<TokenStream> = ctor_params
        .iter()
        .map(|p| {
            let (n, t) = (&p.name, &p.ty);
            quote!(#n: #t)
        })
        .collect();
    let param_names_ts: Vec<&Ident> = ctor_params.iter().map(|p| &p.name).collect();
    let block_fn = if doc.flags.iter().any(|f| f == "blocking") {
        quote!(fn blocks(&self) -> Block { block_of(&#spec_static, self) })
    } else {
        quote!()
    };
    let since = doc
        .since
        .as_deref()
        .and_then(version_tokens)
        .unwrap_or(quote!((1, 0, 0)));
    let requires = requires_tokens(&doc.servers, &doc.since, true).unwrap_or(quote!(Requires::ANY));
    let struct_doc = docs::command_doc(cmd);
    let deprecated = docs::deprecation(cmd);
    let alias = server_name.clone();
    let n_slots_lit = lit(n_slots as i64);
    let spec = spec_tokens(cmd, &spec_static, since.clone(), requires);
    let fn_doc = format!(
        "`{server_name}`: {} See [`{ty_name}`].",
        docs::clean(doc.summary.as_deref().unwrap_or(""))
    );
    let ctor_doc = format!("A detached `{server_name}` command, for pipelines and transactions.");

    let default_impl = if ctor_params.is_empty() {
        quote!(impl Default for #ty { fn default() -> Self { Self::new() } })
    } else {
        quote!()
    };
    let items = quote! {
        #[doc = #struct_doc]
        #[doc(alias = #alias)]
        #deprecated
        #[must_use = "a command does nothing until it is awaited, run or added to a pipeline"]
        #[derive(Debug, Clone)]
        pub struct #ty<E = (), R = #default_reply> {
            exec: E,
            args: Args<#n_slots_lit>,
            reply: PhantomData<fn() -> R>,
        }

        #spec

        const #head_const: Head = Head { words: #name_words, wire: #name_wire };

        impl #ty {
            #[doc = #ctor_doc]
            pub fn new(#(#params),*) -> Self {
                Self::with_executor((), #(#param_names_ts),*)
            }
        }

        #default_impl

        impl<E> #ty<E> {
            #[doc(hidden)]
            #[allow(unused_mut, clippy::needless_borrow)]
            pub fn with_executor(exec: E, #(#params),*) -> Self {
                let mut args_ = Args::new();
                #ctor_body
                #ty { exec, args: args_, reply: PhantomData }
            }
        }

        #[allow(clippy::needless_borrow, clippy::too_many_arguments)]
        impl<E, R> #ty<E, R> {
            #builders

            /// Reads the reply as `T` instead of the declared reply type.
            pub fn reply<T: FromResp>(self) -> #ty<E, T> {
                #ty { exec: self.exec, args: self.args, reply: PhantomData }
            }
        }

        impl<E, R> Command for #ty<E, R> {
            fn name(&self) -> &str { #server_name }
            fn encode(&self, out: &mut BytesMut) { self.args.encode(#head_const, out) }
            fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
                self.args.encode_shared(#head_const, out, parts)
            }
            fn requires(&self) -> Requires { #spec_static.requires.max(self.args.required()) }
            fn spec(&self) -> Option<&'static CommandSpec> { Some(&#spec_static) }
            #block_fn
            fn check(&self) -> Result<()> {
                if let Some(m) = self.args.error() {
                    return Err(input_error(#server_name, m));
                }
                #checks
                Ok(())
            }
        }

        impl<E, R> GeneratedCommand for #ty<E, R> {
            const SPEC: &'static CommandSpec = &#spec_static;
            type Reply = R;
        }

        impl<'a, C: AsyncExecutor, R: FromResp> IntoFuture for #ty<&'a C, R> {
            type Output = Result<R>;
            type IntoFuture = CommandFuture<C::Future<'a>, R>;
            fn into_future(self) -> Self::IntoFuture {
                CommandFuture::new(self.exec.execute(&self), #server_name)
            }
        }

        impl<C: BlockingExecutor, R: FromResp> #ty<&C, R> {
            /// Sends the command and waits for its reply.
            pub fn run(self) -> Result<R> {
                let frame = self.exec.execute(&self)?;
                R::from_resp(frame).map_err(|e| e.for_command(#server_name))
            }
        }
    };
    let method_doc = format!(
        "{fn_doc}\n\n{}\n\n{}",
        reply_doc(cmd, entry, &default_reply),
        example_doc(
            &cmd.fn_name(),
            &samples,
            &sample_chain,
            example_option.as_ref(),
            &default_reply
        )
    );
    let method = quote! {
        #[doc = #method_doc]
        #[doc(alias = #alias)]
        #deprecated
        fn #fn_name(&self, #(#params),*) -> #ty<&Self> {
            #ty::with_executor(self, #(#param_names_ts),*)
        }
    };
    let free = quote! {
        #[doc = #fn_doc]
        #[doc(alias = #alias)]
        #deprecated
        pub fn #fn_name(#(#params),*) -> #ty {
            #ty::new(#(#param_names_ts),*)
        }
    };
    let module = ident(&m.module);
    let sample = quote!(::respec::commands::#module::#ty::new(#(#samples),*)#sample_chain);
    (items, method, free, sample)
}

/// Rust source made readable for the docs: an expression or a type as
/// prettyplease prints it, with the crate's own paths as a user writes
/// them.
fn pretty(tokens: &TokenStream, is_type: bool) -> String {
    let src = if is_type {
        format!("type T = {tokens};")
    } else {
        format!("fn f() {{ {tokens}; }}")
    };
    let text = match syn::parse_file(&src) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => return tokens.to_string(),
    };
    let body = if is_type {
        text.trim()
            .trim_start_matches("type T = ")
            .trim_end_matches(';')
            .to_string()
    } else {
        let inner = text.trim();
        let inner =
            &inner[inner.find('{').map_or(0, |i| i + 1)..inner.rfind('}').unwrap_or(inner.len())];
        inner
            .lines()
            .map(|l| l.strip_prefix("    ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .trim_end_matches(';')
            .to_string()
    };
    body.replace("::respec::commands::", "")
        .replace("crate::", "respec::")
        .replace("1i64", "1")
        .replace("1.0f64", "1.0")
}

/// The reply section of a method's docs: the declared type, and the types
/// the reply-choosing arguments switch to.
fn reply_doc(cmd: &Cmd<'_>, entry: &ReplyEntry, default: &TokenStream) -> String {
    let mut s = format!(
        "**Reply:** `{}` by default (`.reply::<T>()` reads it as another `T`).",
        pretty(default, true)
    );
    if let Some(reason) = &entry.generic_reason {
        s.push_str(&format!(
            " It is the generic `Frame` on purpose: {}.",
            docs::clean(reason)
        ));
    }
    fn token_of(args: &[ArgDoc], name: &str) -> Option<String> {
        for a in args {
            if a.name == name {
                return Some(a.token.clone().unwrap_or_else(|| a.name.clone()));
            }
            if let Some(t) = token_of(&a.arguments, name) {
                return Some(t);
            }
        }
        None
    }
    for alt in &entry.alternatives {
        let when: Vec<String> = alt
            .when
            .iter()
            .map(|w| {
                format!(
                    "`{}`",
                    token_of(&cmd.doc.arguments, w).unwrap_or_else(|| w.clone())
                )
            })
            .collect();
        s.push_str(&format!(
            "\n- with {}: `{}`",
            when.join(" and "),
            pretty(&rust_type(&alt.ty), true)
        ));
    }
    s
}

/// A compiled example of the method: its required arguments with sample
/// values, one option, and the reply bound to a named variable of the
/// declared type.
fn example_doc(
    fn_name: &str,
    samples: &[TokenStream],
    chain: &TokenStream,
    option: Option<&TokenStream>,
    default: &TokenStream,
) -> String {
    let f = ident(fn_name);
    let call = quote!(client.#f(#(#samples),*) #chain #option);
    let call = pretty(&call, false);
    let ty = pretty(default, true);
    let line = if ty == "()" {
        format!("{call}.await?;")
    } else {
        format!("let reply: {ty} = {call}.await?;\n# let _ = reply;")
    };
    format!(
        "# Example\n\n```no_run\n# #[allow(deprecated, unused_imports)]\n# async fn example(client: respec::Client) -> respec::Result<()> {{\nuse respec::commands::*;\n\n{line}\n# Ok(())\n# }}\n```"
    )
}

fn snake_field(block: &ArgDoc, i: usize) -> Ident {
    let mut seen = BTreeMap::new();
    let mut name = String::new();
    for (j, c) in block.arguments.iter().enumerate() {
        let base = snake(&c.name);
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        if j == i {
            name = if *n > 1 { format!("{base}{n}") } else { base };
        }
    }
    ident(&name)
}

/// A shorthand parameter for a scalar or sequence choice: its type and the
/// conversion to the owned value.
fn shorthand_param(c: &ArgDoc, owned: TokenStream) -> (TokenStream, TokenStream) {
    let p = ident(&snake(&c.name));
    let scalar_string = !matches!(
        c.ty.as_str(),
        "integer" | "unix-time" | "double" | "oneof" | "block" | "pure-token"
    );
    match (c.multiple(), scalar_string) {
        (false, true) => (quote!(impl Into<Value>), quote!(#p.into())),
        (true, true) => (
            quote!(impl IntoIterator<Item = impl Into<Value>>),
            quote!(#p.into_iter().map(Into::into).collect()),
        ),
        (true, false) => {
            let _ = owned;
            let inner = match c.ty.as_str() {
                "double" => quote!(f64),
                _ => quote!(i64),
            };
            (
                quote!(impl IntoIterator<Item = #inner>),
                quote!(#p.into_iter().collect()),
            )
        }
        (false, false) => (owned, quote!(#p)),
    }
}

fn strs(items: &[String]) -> TokenStream {
    quote!(&[#(#items),*])
}

fn spec_tokens(
    cmd: &Cmd<'_>,
    name: &Ident,
    since: TokenStream,
    requires: TokenStream,
) -> TokenStream {
    let d = cmd.doc;
    let server_name = cmd.server_name();
    let group = d.group.clone().unwrap_or_default();
    let arity = lit(d.arity);
    let flags = strs(&d.flags);
    let acl = strs(&d.acl_categories);
    let tips = strs(&d.tips);
    let block = block_rule(d);
    let mut specs = Vec::new();
    for ks in &d.key_specs {
        let num = |m: &BTreeMap<String, serde_json::Value>, k: &str| {
            m.get(k).and_then(|v| v.as_i64()).unwrap_or(0)
        };
        let begin = match ks.begin_search.ty.as_str() {
            "index" => {
                let i = lit(num(&ks.begin_search.spec, "index"));
                quote!(BeginSearch::Index(#i))
            }
            "keyword" => {
                let kw = ks
                    .begin_search
                    .spec
                    .get("keyword")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string();
                let from = lit(num(&ks.begin_search.spec, "startfrom"));
                quote!(BeginSearch::Keyword { keyword: #kw, start_from: #from })
            }
            _ => quote!(BeginSearch::Unknown),
        };
        let find = match ks.find_keys.ty.as_str() {
            "range" => {
                let last = lit(num(&ks.find_keys.spec, "lastkey"));
                let step = lit(num(&ks.find_keys.spec, "keystep"));
                let limit = lit(num(&ks.find_keys.spec, "limit"));
                quote!(FindKeys::Range { last_key: #last, step: #step, limit: #limit })
            }
            "keynum" => {
                let idx = lit(num(&ks.find_keys.spec, "keynumidx"));
                let first = lit(num(&ks.find_keys.spec, "firstkey"));
                let step = lit(num(&ks.find_keys.spec, "keystep"));
                quote!(FindKeys::KeyNum { key_num_idx: #idx, first_key: #first, step: #step })
            }
            _ => quote!(FindKeys::Unknown),
        };
        let kflags = strs(&ks.flags);
        specs.push(quote!(KeySpec { begin: #begin, find: #find, flags: #kflags }));
    }
    let doc = format!("The spec facts of `{server_name}`.");
    quote! {
        #[doc = #doc]
        pub static #name: CommandSpec = CommandSpec {
            name: #server_name,
            group: #group,
            since: #since,
            requires: #requires,
            arity: #arity,
            flags: #flags,
            acl_categories: #acl,
            tips: #tips,
            key_specs: &[#(#specs),*],
            block: #block,
        };
    }
}

/// Where a blocking command's block time is, from its spec (see
/// `BlockRule` in the crate): the `blocking` flag, then a top-level argument
/// named `timeout` (a `double` is seconds, an `integer` milliseconds) at
/// the first or last position, or one introduced by the `BLOCK` token
/// (milliseconds), searched before the token of the argument after it.
pub fn block_rule(d: &CommandDoc) -> TokenStream {
    if !d.flags.iter().any(|f| f == "blocking") {
        return quote!(BlockRule::Never);
    }
    let args = &d.arguments;
    if let Some(i) = args
        .iter()
        .position(|a| a.name == "timeout" && a.token.is_none())
    {
        let millis = args[i].ty == "integer";
        let index = if i + 1 == args.len() {
            Some(-1i64)
        } else if args[..i]
            .iter()
            .all(|a| !a.optional() && !a.multiple() && a.arguments.is_empty())
        {
            Some(i as i64 + 1)
        } else {
            None
        };
        if let Some(index) = index {
            let index = lit(index);
            return quote!(BlockRule::Arg { index: #index, millis: #millis });
        }
    }
    if let Some(i) = args.iter().position(|a| {
        a.token
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("BLOCK"))
    }) {
        let until = args[i + 1..]
            .iter()
            .find_map(|a| a.token.clone().filter(|_| !a.optional()))
            .unwrap_or_default();
        let millis = args[i].ty == "integer";
        return quote!(BlockRule::AfterToken { token: "BLOCK", until: #until, millis: #millis });
    }
    quote!(BlockRule::Unknown)
}
