//! Rendering commands as Rust: one struct per command with its builder
//! methods, enums for `oneof` arguments, a trait per command group, and the
//! spec facts as statics.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, ToTokens};

use crate::docs;
use crate::naming::{method_name, pascal, snake, RESERVED_METHODS};
use crate::replies::{ReplyEntry, ReplyType};
use crate::spec::{parse_version, ArgDoc, CommandDoc};

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
}

impl Module {
    /// A module whose generated file is `respec::commands::<name>`.
    pub fn new(name: &str) -> Self {
        Module {
            module: name.to_string(),
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

/// Whether `args[i]` is a count the encoder derives: an integer named
/// `num...` (`numkeys`, `numfields`, `numids`) right before the `multiple`
/// argument it counts. The caller passes only the elements.
pub fn is_count(args: &[ArgDoc], i: usize) -> bool {
    let a = &args[i];
    a.ty == "integer"
        && a.name.starts_with("num")
        && !a.optional()
        && args
            .get(i + 1)
            .is_some_and(|next| next.multiple() && next.token.is_none())
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
        _ => match ctx {
            Ctx::Param => quote!(impl ToArg),
            Ctx::Owned => quote!(Value),
        },
    }
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
            if tys.len() == 1 {
                tys[0].clone()
            } else {
                quote!((#(#tys),*))
            }
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
            let t = value_ty(m, &format!("{owner}{}", pascal(&block.name)), c, inner_ctx);
            let ty = if c.optional() { quote!(Option<#t>) } else { t };
            Field {
                ty,
                has_value: true,
            }
        })
        .collect()
}

/// Code writing `arg` (with its token) from the value in `v`, into the
/// `ArgWriter` named `w`. `v` is an expression of the argument's value type
/// (by value; references are taken as needed).
fn write_arg(m: &mut Module, owner: &str, arg: &ArgDoc, v: TokenStream) -> TokenStream {
    let since = arg
        .since
        .as_deref()
        .and_then(version_tokens)
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
            let bind = if names.len() == 1 {
                let n = &names[0];
                quote!(let #n = #v;)
            } else {
                quote!(let (#(#names),*) = #v;)
            };
            let mut body = TokenStream::new();
            for (i, c) in arg.arguments.iter().enumerate() {
                let inner_owner = format!("{owner}{}", pascal(&arg.name));
                if is_count(&arg.arguments, i) {
                    // Written with the elements it counts, just below.
                    continue;
                }
                if i > 0 && is_count(&arg.arguments, i - 1) {
                    let n = format_ident!("f{}", i);
                    let each = write_value(m, &inner_owner, c, quote!(item));
                    body.extend(quote! {
                        let items_: Vec<_> = #n.into_iter().collect();
                        w.arg(&(items_.len() as i64));
                        for item in items_ { #each }
                    });
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
                    continue;
                }
                let n = format_ident!("f{}", i);
                if c.optional() {
                    let inner = write_arg(m, &inner_owner, c, quote!(x));
                    body.extend(quote!(if let Some(x) = #n { #inner }));
                } else {
                    body.extend(write_arg(m, &inner_owner, c, quote!(#n)));
                }
            }
            quote!({ #bind #body })
        }
        // By value: a large owned value is shared, not copied.
        _ => quote!(w.arg_owned(#v);),
    }
}

/// Generates (once) the enum for a `oneof` argument; returns its name.
fn oneof_enum(m: &mut Module, owner: &str, arg: &ArgDoc) -> String {
    let cache_key = format!("{owner}.{}", arg.name);
    if let Some(name) = m.enums.get(&cache_key) {
        return name.clone();
    }
    let name = m.unique_type(format!("{owner}{}", pascal(&arg.name)));
    m.enums.insert(cache_key, name.clone());
    let id = ident(&name);
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    let mut used = BTreeSet::new();
    for c in &arg.arguments {
        let mut vname = pascal(&c.name);
        while !used.insert(vname.clone()) {
            vname.push('_');
        }
        let v = ident(&vname);
        let doc = docs::arg_line(c);
        if is_unit(c) {
            variants.push(quote!(#[doc = #doc] #v));
            let t = unit_tokens(c);
            let since = c
                .since
                .as_deref()
                .and_then(version_tokens)
                .map(|s| quote!(w.since(#s);))
                .unwrap_or_default();
            arms.push(quote!(Self::#v => { #since #(w.token(#t);)* }));
        } else {
            let ty = value_ty(m, &name, c, Ctx::Owned);
            variants.push(quote!(#[doc = #doc] #v(#ty)));
            let write = write_arg(m, &name, c, quote!(x));
            arms.push(quote!(Self::#v(x) => { #write }));
        }
    }
    let doc = format!("One of the choices of the `{}` argument.", arg.name);
    m.items.push(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #id { #(#variants,)* }

        impl WriteArgs for #id {
            #[allow(unused_variables, clippy::needless_borrow)]
            fn write_args(&self, w: &mut ArgWriter<'_>) {
                match self { #(#arms)* }
            }
        }
    });
    name
}

/// An expression for a representative value of `arg` (for the generated
/// samples that the live-server tests send).
fn sample_expr(m: &mut Module, owner: &str, arg: &ArgDoc, ctx: Ctx) -> TokenStream {
    let module = ident(&m.module);
    let one = match arg.ty.as_str() {
        "oneof" => {
            let name = oneof_enum(m, owner, arg);
            let eid = ident(&name);
            let first = &arg.arguments[0];
            let v = ident(&pascal(&first.name));
            if is_unit(first) {
                quote!(::respec::commands::#module::#eid::#v)
            } else {
                let inner = sample_expr(m, &name, first, Ctx::Owned);
                quote!(::respec::commands::#module::#eid::#v(#inner))
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
            if parts.len() == 1 {
                parts.remove(0)
            } else {
                quote!((#(#parts),*))
            }
        }
        "pure-token" => quote!(true),
        "integer" | "unix-time" => quote!(1i64),
        "double" => quote!(1.0f64),
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

/// One parameter of a constructor or builder: name, type, and how to pass
/// the value to the writer.
struct Param {
    name: Ident,
    ty: TokenStream,
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
    let name_parts: Vec<String> = server_name.split(' ').map(str::to_string).collect();
    let n_slots = doc.arguments.len();
    let spec_static = format_ident!(
        "{}_SPEC",
        cmd.fn_name().trim_end_matches('_').to_ascii_uppercase()
    );

    // Constructor parameters: the required top-level arguments.
    let mut ctor_params: Vec<Param> = Vec::new();
    let mut ctor_body = TokenStream::new();
    let mut builders = TokenStream::new();
    let mut methods: BTreeSet<String> = RESERVED_METHODS.iter().map(|s| s.to_string()).collect();
    let mut param_names: BTreeSet<String> = BTreeSet::new();
    let mut samples: Vec<TokenStream> = Vec::new();
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

    for (slot_index, arg) in doc.arguments.iter().enumerate() {
        let slot = lit(slot_index as i64);
        // The slot of the count this argument's elements set, if any.
        let count_slot = (slot_index > 0 && is_count(&doc.arguments, slot_index - 1))
            .then(|| lit(slot_index as i64 - 1));
        if is_count(&doc.arguments, slot_index) {
            // Derived from the next argument; zero until that is given.
            if doc.arguments[slot_index + 1].optional() {
                ctor_body.extend(quote!(args_.set(#slot, |w| { w.arg(&0i64); });));
            }
            continue;
        }
        if !arg.optional() {
            if arg.ty == "pure-token" && !arg.multiple() {
                let t = arg.token.clone().unwrap_or_else(|| arg.name.clone());
                ctor_body.extend(quote!(args_.set(#slot, |w| { w.token(#t); });));
                continue;
            }
            let mut pname = snake(&arg.name);
            while !param_names.insert(pname.clone()) {
                pname.push('_');
            }
            let pid = ident(&pname);
            samples.push(sample_expr(m, &ty_name, arg, Ctx::Param));
            if arg.ty == "block" && !arg.multiple() {
                // A required single block: its fields as one tuple parameter.
                let t = value_ty(m, &ty_name, arg, Ctx::Param);
                let write = write_value(m, &ty_name, arg, quote!(#pid));
                let write = match &arg.token {
                    Some(tok) => quote!(w.token(#tok); #write),
                    None => write,
                };
                ctor_params.push(Param {
                    name: pid.clone(),
                    ty: t,
                });
                ctor_body.extend(quote!(args_.set(#slot, |w| { #write });));
                continue;
            }
            let t = value_ty(m, &ty_name, arg, Ctx::Param);
            ctor_params.push(Param {
                name: pid.clone(),
                ty: t,
            });
            if arg.multiple() {
                let each = write_value(m, &ty_name, arg, quote!(item));
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
                ctor_body.extend(quote! {
                    let mut count_ = 0usize;
                    args_.set(#slot, |w| {
                        #head
                        for item in #pid { #per #each count_ += 1; }
                    });
                    if count_ == 0 { args_.fail(#msg); }
                    #set_count
                });
            } else {
                let write = write_arg(m, &ty_name, arg, quote!(#pid));
                ctor_body.extend(quote!(args_.set(#slot, |w| { #write });));
            }
            continue;
        }

        // Optional arguments: builder methods. A builder whose arguments
        // choose another reply (the reply table's conditions) returns the
        // command with that reply type.
        let since = arg
            .since
            .as_deref()
            .and_then(version_tokens)
            .map(|s| quote!(self.args.since(#s);));
        let arg_doc = docs::arg_line(arg);
        let mut claim = |want: String, prefix: &str| -> Ident {
            let mut name = want.clone();
            if methods.contains(&name) {
                name = format!("{}_{}", snake(prefix), want);
            }
            while methods.contains(&name) {
                name.push_str("_arg");
            }
            methods.insert(name.clone());
            ident(&name)
        };
        // (return type, tail expression) for a builder setting `names`.
        let ret = |names: Vec<String>| -> (TokenStream, TokenStream) {
            match reply_for(entry, &required_names, &names) {
                Some(t) => (
                    quote!(#ty<E, #t>),
                    quote!(#ty { exec: self.exec, args: self.args, reply: PhantomData }),
                ),
                None => (quote!(Self), quote!(self)),
            }
        };
        match arg.ty.as_str() {
            "oneof" if !arg.multiple() => {
                let enum_name = oneof_enum(m, &ty_name, arg);
                let eid = ident(&enum_name);
                let setter = claim(snake(&arg.name), &arg.name);
                let write_tok = arg
                    .token
                    .clone()
                    .map(|t| quote!(w.token(#t);))
                    .unwrap_or_default();
                let setter_doc = format!(
                    "{arg_doc}\n\nSets it from a [`{enum_name}`] value; the shorthand methods set one choice each."
                );
                let (rt, tail) = ret(vec![arg.name.clone()]);
                builders.extend(quote! {
                    #[doc = #setter_doc]
                    pub fn #setter(mut self, value: #eid) -> #rt {
                        #since
                        self.args.set(#slot, |w| { #write_tok w.value(&value); });
                        #tail
                    }
                });
                // Shorthands, one per choice.
                for c in &arg.arguments {
                    let vname = ident(&pascal(&c.name));
                    let short = claim(method_name(c.token.as_deref(), &c.name), &arg.name);
                    let cdoc = docs::arg_line(c);
                    let mut set_names = vec![arg.name.clone(), c.name.clone()];
                    required_descendants(c, &mut set_names);
                    let (rt, tail) = ret(set_names);
                    let (params, value) = if is_unit(c) {
                        (quote!(), quote!(#eid::#vname))
                    } else if c.ty == "block" && !c.multiple() {
                        let fields = block_fields(m, &enum_name, c, Ctx::Owned);
                        let names: Vec<Ident> = (0..fields.len())
                            .filter(|&i| fields[i].has_value)
                            .map(|i| snake_field(c, i))
                            .collect();
                        let tys: Vec<TokenStream> = fields
                            .iter()
                            .filter(|f| f.has_value)
                            .map(|f| f.ty.clone())
                            .collect();
                        let val = if names.len() == 1 {
                            quote!(#(#names)*)
                        } else {
                            quote!((#(#names),*))
                        };
                        (quote!(#(#names: #tys),*), quote!(#eid::#vname(#val)))
                    } else {
                        let owned = value_ty(m, &enum_name, c, Ctx::Owned);
                        let (pty, conv) = shorthand_param(c, owned);
                        let p = ident(&snake(&c.name));
                        (quote!(#p: #pty), quote!(#eid::#vname(#conv)))
                    };
                    builders.extend(quote! {
                        #[doc = #cdoc]
                        #[allow(clippy::too_many_arguments)]
                        pub fn #short(mut self, #params) -> #rt {
                            #since
                            let value = #value;
                            self.args.set(#slot, |w| { #write_tok w.value(&value); });
                            #tail
                        }
                    });
                }
            }
            "pure-token" if !arg.multiple() => {
                let name = claim(method_name(arg.token.as_deref(), &arg.name), &arg.name);
                let t = arg.token.clone().unwrap_or_else(|| arg.name.clone());
                let (rt, tail) = ret(vec![arg.name.clone()]);
                builders.extend(quote! {
                    #[doc = #arg_doc]
                    pub fn #name(mut self) -> #rt {
                        #since
                        self.args.set(#slot, |w| { w.token(#t); });
                        #tail
                    }
                });
            }
            "block" if !arg.multiple() => {
                let fields = block_fields(m, &ty_name, arg, Ctx::Param);
                let write = write_value(m, &ty_name, arg, quote!(value));
                let write_tok = arg
                    .token
                    .clone()
                    .map(|t| quote!(w.token(#t);))
                    .unwrap_or_default();
                // Optional flags of the block that choose the reply get a
                // builder of their own each, so the reply type is known.
                let split: Vec<usize> = (0..arg.arguments.len())
                    .filter(|&i| {
                        let c = &arg.arguments[i];
                        c.ty == "pure-token"
                            && c.optional()
                            && !c.multiple()
                            && entry.alternatives.iter().any(|a| a.when.contains(&c.name))
                    })
                    .collect();
                let mut variants: Vec<Option<usize>> = vec![None];
                variants.extend(split.iter().map(|&i| Some(i)));
                let base_name = method_name(arg.token.as_deref(), &arg.name);
                for variant in variants {
                    let name = match variant {
                        None => claim(base_name.clone(), &arg.name),
                        Some(i) => claim(
                            format!(
                                "{base_name}_{}",
                                method_name(
                                    arg.arguments[i].token.as_deref(),
                                    &arg.arguments[i].name
                                )
                            ),
                            &arg.name,
                        ),
                    };
                    let mut params = Vec::new();
                    let mut vals = Vec::new();
                    let mut set_names = vec![arg.name.clone()];
                    required_descendants(arg, &mut set_names);
                    for (i, f) in fields.iter().enumerate() {
                        if !f.has_value {
                            continue;
                        }
                        if split.contains(&i) {
                            if variant == Some(i) {
                                vals.push(quote!(true));
                                set_names.push(arg.arguments[i].name.clone());
                            } else {
                                vals.push(quote!(false));
                            }
                            continue;
                        }
                        let n = snake_field(arg, i);
                        let t = &f.ty;
                        params.push(quote!(#n: #t));
                        vals.push(quote!(#n));
                    }
                    let val = if vals.len() == 1 {
                        quote!(#(#vals)*)
                    } else {
                        quote!((#(#vals),*))
                    };
                    let (rt, tail) = ret(set_names);
                    let doc = match variant {
                        None => arg_doc.clone(),
                        Some(i) => format!("{arg_doc}, with `{}`", docs::syntax(&arg.arguments[i])),
                    };
                    builders.extend(quote! {
                        #[doc = #doc]
                        #[allow(clippy::too_many_arguments)]
                        pub fn #name(mut self, #(#params),*) -> #rt {
                            #since
                            let value = #val;
                            self.args.set(#slot, |w| { #write_tok #write });
                            #tail
                        }
                    });
                }
            }
            _ => {
                let name = claim(method_name(arg.token.as_deref(), &arg.name), &arg.name);
                let t = value_ty(m, &ty_name, arg, Ctx::Param);
                let p = ident(&snake(&arg.name));
                let write = write_arg(m, &ty_name, arg, quote!(#p));
                let mut set_names = vec![arg.name.clone()];
                required_descendants(arg, &mut set_names);
                let (rt, tail) = ret(set_names);
                let body = match &count_slot {
                    // The elements also set the count before them.
                    Some(c) if arg.multiple() && arg.token.is_none() => {
                        let each = write_value(m, &ty_name, arg, quote!(item));
                        quote! {
                            let mut count_ = 0i64;
                            self.args.set(#slot, |w| { for item in #p { #each count_ += 1; } });
                            self.args.set(#c, |w| { w.arg(&count_); });
                        }
                    }
                    _ => quote!(self.args.set(#slot, |w| { #write });),
                };
                builders.extend(quote! {
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
    let struct_doc = docs::command_doc(cmd);
    let deprecated = docs::deprecation(cmd);
    let alias = server_name.clone();
    let n_slots_lit = lit(n_slots as i64);
    let spec = spec_tokens(cmd, &spec_static, since.clone());
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
            fn encode(&self, out: &mut BytesMut) { self.args.encode(&[#(#name_parts),*], out) }
            fn encode_shared(&self, out: &mut BytesMut, parts: &mut SharedParts) {
                self.args.encode_shared(&[#(#name_parts),*], out, parts)
            }
            fn required_version(&self) -> Option<Version> { Some(#spec_static.since).max(self.args.required()) }
            fn spec(&self) -> Option<&'static CommandSpec> { Some(&#spec_static) }
            #block_fn
            fn check(&self) -> Result<()> {
                match self.args.error() {
                    Some(m) => Err(input_error(#server_name, m)),
                    None => Ok(()),
                }
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
    let method = quote! {
        #[doc = #fn_doc]
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
    let sample = quote!(::respec::commands::#module::#ty::new(#(#samples),*));
    (items, method, free, sample)
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

fn spec_tokens(cmd: &Cmd<'_>, name: &Ident, since: TokenStream) -> TokenStream {
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
