//! Code generator for respec: reads the command specs in `commands-spec/`
//! and renders the typed command layer.
//!
//! The pipeline: [`spec`] (the files' serde model) -> [`fixups`] (named
//! corrections of upstream quirks) -> [`emit`] (one struct per command,
//! enums for `oneof` arguments, a trait per group) -> prettyplease. The
//! build script of `respec` calls [`generate`]; the `gen` tool writes the
//! same files into a folder for review.
#![deny(missing_docs)]

pub mod diff;
pub mod docs;
pub mod emit;
pub mod fixups;
pub mod naming;
pub mod replies;
pub mod spec;
pub mod union;

use std::collections::BTreeMap;
use std::path::Path;

use quote::{format_ident, quote};

use spec::{CommandDoc, SpecFile};

/// Which server's specs to generate from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `commands-spec/redis/core.json`.
    Redis,
    /// `commands-spec/valkey/core.json`.
    Valkey,
    /// Both merged ([`union`]): every command of either server, each
    /// command and argument knowing which servers have it. What the crate
    /// is built from.
    Both,
}

/// One generated file: its name and its formatted source.
#[derive(Debug, Clone)]
pub struct GeneratedFile {
    /// The file name (`string.rs`, `groups.rs`).
    pub name: String,
    /// The formatted source.
    pub source: String,
}

/// Every callable command in a spec file: subcommands replace their
/// container. Sorted by name.
pub fn callable(spec: &SpecFile) -> Vec<emit::Cmd<'_>> {
    let mut out = Vec::new();
    for (name, doc) in spec {
        if doc.subcommands.is_empty() {
            out.push(emit::Cmd {
                key: name.clone(),
                doc,
            });
        } else {
            for (sub, sdoc) in &doc.subcommands {
                out.push(emit::Cmd {
                    key: sub.clone(),
                    doc: sdoc,
                });
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// Reads, fixes and loads the core spec of `flavor` from `spec_dir`.
pub fn load_core(spec_dir: &Path, flavor: Flavor) -> Result<SpecFile, String> {
    let file = match flavor {
        Flavor::Redis => spec_dir.join("redis/core.json"),
        Flavor::Valkey => spec_dir.join("valkey/core.json"),
        Flavor::Both => {
            let redis = load_core(spec_dir, Flavor::Redis)?;
            let valkey = load_core(spec_dir, Flavor::Valkey)?;
            return Ok(union::merge_specs(&redis, &valkey));
        }
    };
    let mut spec = spec::load(&file)?;
    fixups::apply(&mut spec, flavor)?;
    Ok(spec)
}

/// The module command families, in the order of their cargo features:
/// each is a spec file `redis/<family>.json` whose commands share the
/// `group` `<family>`, a cargo feature of the same name, a module
/// `respec::commands::<family>` and a trait `<Family>Commands`
/// ([`naming::group_trait`]: `TimeSeriesCommands`, `VectorSetCommands`).
pub const MODULES: &[&str] = &["json", "search", "timeseries", "bloom", "vectorset"];

/// Reads the module spec files of `families` (names of [`MODULES`]) into
/// one spec set. Only the Redis flavour has them; the families must not
/// share a command.
pub fn load_modules(spec_dir: &Path, families: &[&str]) -> Result<SpecFile, String> {
    let mut all = SpecFile::new();
    for family in families {
        if !MODULES.contains(family) {
            return Err(format!(
                "`{family}` is not a module family (expected one of {MODULES:?})"
            ));
        }
        let file = spec_dir.join("redis").join(format!("{family}.json"));
        let spec = spec::load(&file)?;
        for (name, doc) in spec {
            let group = doc.group.as_deref().unwrap_or("");
            if group != *family {
                return Err(format!(
                    "{}: `{name}` has group `{group}`, not `{family}`",
                    file.display()
                ));
            }
            let mut doc = doc;
            authored_markers(&name, &mut doc.arguments)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            if all.insert(name.clone(), doc).is_some() {
                return Err(format!("{}: `{name}` is in two families", file.display()));
            }
        }
    }
    Ok(all)
}

/// Checks and applies the markers only the authored module specs carry
/// (see [`spec::ArgDoc::counts`] and [`spec::ArgDoc::written_as`]): a
/// `counts` is `next` or `rest` on an integer; an argument `written_as` a
/// hand-written type (with its `written_sample`) becomes one value of the generator's `written` type
/// (its repeats are the type's own).
fn authored_markers(cmd: &str, args: &mut [spec::ArgDoc]) -> Result<(), String> {
    for a in args.iter_mut() {
        if let Some(c) = &a.counts {
            if a.ty != "integer" || !matches!(c.as_str(), "next" | "rest") {
                return Err(format!(
                    "`{cmd}` `{}`: `counts` is \"next\" or \"rest\", on an integer (found {c:?} on {})",
                    a.name, a.ty
                ));
            }
        }
        if let Some(path) = &a.written_as {
            if path.is_empty() || syn::parse_str::<syn::Path>(path).is_err() {
                return Err(format!(
                    "`{cmd}` `{}`: `written_as` {path:?} is not a path",
                    a.name
                ));
            }
            let sample = a.written_sample.as_deref().unwrap_or_default();
            if syn::parse_str::<syn::Expr>(sample).is_err() {
                return Err(format!(
                    "`{cmd}` `{}`: `written_as` needs `written_sample`, a Rust expression (found {sample:?})",
                    a.name
                ));
            }
            a.ty = "written".into();
            // An optional one whose token repeats (GROUPBY's `REDUCE ...`)
            // keeps its repeats: each is one value of the type, given by
            // one builder call. Otherwise the type holds the repeats.
            let keeps_repeats = a.optional() && a.multiple_token();
            if !keeps_repeats {
                a.flags.retain(|f| f != "multiple" && f != "multiple_token");
            }
            a.arguments.clear();
            let short = path.rsplit("::").next().unwrap_or(path);
            a.display_text = Some(if keeps_repeats {
                a.name.clone()
            } else {
                format!("{} [{} ...]", a.name, a.name)
            });
            a.summary = Some(format!(
                "{}given as a `{short}` (`respec::{path}`)",
                a.summary
                    .as_deref()
                    .map(|s| format!("{s}, "))
                    .unwrap_or_default()
            ));
            continue;
        }
        authored_markers(cmd, &mut a.arguments)?;
    }
    Ok(())
}

/// Reads the reply table of `flavor` with the module table
/// (`replies/modules.replies`) on top: what the build uses when module
/// families are chosen.
pub fn load_replies_with_modules(
    spec_dir: &Path,
    flavor: Flavor,
) -> Result<replies::ReplyTable, String> {
    let mut table = load_replies(spec_dir, flavor)?;
    let path = spec_dir.join("replies/modules.replies");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let modules = replies::ReplyTable::parse(&text, "commands-spec/replies/modules.replies")?;
    if let Some(name) = modules
        .entries
        .keys()
        .find(|n| table.entries.contains_key(*n))
    {
        return Err(format!(
            "commands-spec/replies/modules.replies: `{name}` is a core command's entry too"
        ));
    }
    table.overlay(modules);
    Ok(table)
}

/// Reads the reply table of `flavor`: `replies/redis.replies`, with
/// `replies/valkey.replies` on top for Valkey.
pub fn load_replies(spec_dir: &Path, flavor: Flavor) -> Result<replies::ReplyTable, String> {
    let read = |name: &str| -> Result<replies::ReplyTable, String> {
        let path = spec_dir.join("replies").join(name);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        replies::ReplyTable::parse(&text, &format!("commands-spec/replies/{name}"))
    };
    let mut table = read("redis.replies")?;
    if flavor != Flavor::Redis {
        // Valkey's table declares only the commands Redis lacks.
        table.overlay(read("valkey.replies")?);
    }
    Ok(table)
}

/// The reply-table file a new command of `flavor` is declared in.
pub fn replies_file(flavor: Flavor) -> &'static str {
    replies_file_of(flavor, None)
}

/// The reply-table file a new command of `flavor` is declared in; a
/// command of a module family (its `group`) goes to `modules.replies`.
pub fn replies_file_of(flavor: Flavor, group: Option<&str>) -> &'static str {
    if group.is_some_and(|g| MODULES.contains(&g)) {
        return "commands-spec/replies/modules.replies";
    }
    match flavor {
        Flavor::Redis | Flavor::Both => "commands-spec/replies/redis.replies",
        Flavor::Valkey => "commands-spec/replies/valkey.replies",
    }
}

/// A reply-table line to start from for a command that has none: the
/// generic reply, with a reason saying it is still to be declared.
pub fn suggested_reply_line(name: &str) -> String {
    format!("{name}: frame \"not declared yet: replace with its reply type\"")
}

/// Checks that every command has a reply entry and every condition names
/// one of its arguments; returns how many are declared generic on purpose.
///
/// A command with no entry (new in a spec update) is reported with the
/// file to declare it in and a line to start from, one problem per line.
pub fn check_replies(
    spec: &SpecFile,
    table: &replies::ReplyTable,
    flavor: Flavor,
) -> Result<usize, String> {
    let mut problems = Vec::new();
    let mut generic = 0;
    for cmd in callable(spec) {
        let name = cmd.server_name();
        let Some(entry) = table.entries.get(&name) else {
            problems.push(format!(
                "{}: `{name}` has no reply type declared; add a line such as `{}` \
                 (the grammar is described in codegen/src/replies.rs)",
                replies_file_of(flavor, cmd.doc.group.as_deref()),
                suggested_reply_line(&name)
            ));
            continue;
        };
        if entry.generic_reason.is_some() {
            generic += 1;
        }
        let mut names = std::collections::BTreeSet::new();
        fn walk(args: &[spec::ArgDoc], out: &mut std::collections::BTreeSet<String>) {
            for a in args {
                out.insert(a.name.clone());
                walk(&a.arguments, out);
            }
        }
        walk(&cmd.doc.arguments, &mut names);
        for alt in &entry.alternatives {
            for w in &alt.when {
                if !names.contains(w) {
                    problems.push(format!("{}: `{name}` has no argument `{w}`", entry.origin));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(generic)
    } else {
        Err(problems.join("\n"))
    }
}

/// What a group's module is called and how it is introduced.
fn group_title(group: &str) -> String {
    match group {
        "string" => "Strings".into(),
        "hash" => "Hashes".into(),
        "list" => "Lists".into(),
        "set" => "Sets".into(),
        "sorted-set" => "Sorted sets".into(),
        "stream" => "Streams".into(),
        "generic" => "Keys (generic commands)".into(),
        "server" => "Server administration".into(),
        "connection" => "Connection management".into(),
        "cluster" => "Cluster management".into(),
        "scripting" => "Scripting and functions".into(),
        "pubsub" => "Publish/subscribe".into(),
        "transactions" => "Transactions".into(),
        "geo" => "Geospatial indexes".into(),
        "hyperloglog" => "HyperLogLog".into(),
        "bitmap" => "Bitmaps".into(),
        "json" => "JSON (the RedisJSON module)".into(),
        "search" => "Search (the RediSearch module)".into(),
        "timeseries" => "Time series (the RedisTimeSeries module)".into(),
        "bloom" => "Probabilistic structures (the RedisBloom module: Bloom, Cuckoo, \
                    Count-Min, Top-K, t-digest)"
            .into(),
        "vectorset" => "Vector sets".into(),
        other => other.to_string(),
    }
}

/// Renders the command layer for a spec set.
pub fn generate(
    spec: &SpecFile,
    replies: &replies::ReplyTable,
    flavor: Flavor,
) -> Result<Vec<GeneratedFile>, String> {
    generate_with_modules(spec, &SpecFile::new(), replies, flavor)
}

/// Renders the command layer for a core spec set and the module families
/// in `modules` (see [`load_modules`]; empty for none). The enums shared by
/// several commands are found among the core commands only, so that the
/// core's types are the same whichever families are chosen; a module
/// command offering the same tokens names the core's enum.
pub fn generate_with_modules(
    spec: &SpecFile,
    modules: &SpecFile,
    replies: &replies::ReplyTable,
    flavor: Flavor,
) -> Result<Vec<GeneratedFile>, String> {
    let mut problems = Vec::new();
    for s in [spec, modules] {
        if let Err(e) = check_replies(s, replies, flavor) {
            problems.push(e);
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let mut groups: BTreeMap<String, Vec<emit::Cmd<'_>>> = BTreeMap::new();
    for cmd in callable(spec).into_iter().chain(callable(modules)) {
        let group = cmd.doc.group.clone().unwrap_or_else(|| "generic".into());
        groups.entry(group).or_default().push(cmd);
    }
    let mut files = Vec::new();
    let mut mods = Vec::new();
    let mut table = Vec::new();
    let mut samples = Vec::new();
    let mut block_arms = Vec::new();
    let mut spec_arms = Vec::new();
    let mut hashed = BTreeMap::new();
    let shared = emit::shared_enums(&callable(spec));
    let mut shared_used = std::collections::BTreeSet::new();
    for (group, cmds) in &groups {
        let module = naming::group_module(group);
        let trait_name = format_ident!("{}", naming::group_trait(group));
        let mut m = emit::Module::with_shared(&module, shared.clone());
        let mut items = Vec::new();
        let mut methods = Vec::new();
        let mut frees = Vec::new();
        for cmd in cmds {
            let entry = replies
                .entries
                .get(&cmd.server_name())
                .ok_or_else(|| format!("`{}` has no reply entry", cmd.server_name()))?;
            let (i, method, free, sample) = emit::command(&mut m, cmd, entry);
            samples.push(quote!(sample(#sample)));
            items.push(i);
            methods.push(method);
            frees.push(free);
            let spec_static = format_ident!(
                "{}_SPEC",
                cmd.fn_name().trim_end_matches('_').to_ascii_uppercase()
            );
            let module_id = format_ident!("{}", module);
            table.push(quote!(&#module_id::#spec_static));
            let server_name = cmd.server_name();
            let hash = name_hash(server_name.as_bytes());
            match hashed.insert(hash, server_name.clone()) {
                None => {
                    let hash = proc_macro2::Literal::u64_suffixed(hash);
                    spec_arms.push(quote!(
                        #hash => if name == #server_name { Some(&#module_id::#spec_static) } else { None },
                    ));
                }
                // A name seen before: its first spec stays the one found.
                Some(other) if other == server_name => {}
                Some(other) => {
                    return Err(format!(
                        "the names `{other}` and `{server_name}` have the same hash: change `name_hash`"
                    ))
                }
            }
            if cmd.doc.flags.iter().any(|f| f == "blocking") {
                let rule = emit::block_rule(cmd.doc);
                let name = cmd.server_name();
                block_arms.push(quote!(#name => #rule,));
            }
        }
        shared_used.extend(m.shared_used.iter().cloned());
        let enums = &m.items;
        let trait_doc = format!(
            "The {} commands, on every client and connection ([`Executor`]). Each method returns the command \
             value: await it (async), `.run()` it (blocking), or chain its builder methods first.\n\n\
             Each method's page shows its reply type and an example. To read a reply as another type, \
             ask for it with `.reply::<T>()` (`let n: Option<i64> = client.get(\"k\").reply().await?`): \
             annotating the variable alone (`let n: i64 = client.get(\"k\").await?`) does not compile, \
             because the command's declared type decides what `.await` gives.",
            group
        );
        let file = quote! {
            use std::future::IntoFuture;
            use std::marker::PhantomData;

            use bytes::BytesMut;

            use crate::commands::support::*;
            #[allow(unused_imports)]
            use super::types::*;
            use crate::executor::{AsyncExecutor, BlockingExecutor};
            use crate::resp::encode::ToArg;
            use crate::{Command, FromResp, Result};

            #[doc = #trait_doc]
            pub trait #trait_name: Executor {
                #(#methods)*
            }

            impl<T: Executor + ?Sized> #trait_name for T {}

            #(#frees)*

            #(#items)*

            #(#enums)*
        };
        let source = format(&file.to_string(), &format!("{module}.rs"))?;
        let header = format!(
            "// Generated by respec-codegen from the {} `{group}` command group. Do not edit.\n\n",
            match flavor {
                Flavor::Redis => "Redis",
                Flavor::Valkey => "Valkey",
                Flavor::Both => "Redis and Valkey",
            }
        );
        files.push(GeneratedFile {
            name: format!("{module}.rs"),
            source: header + &source,
        });

        let title = group_title(group);
        let feature = if MODULES.contains(&group.as_str()) {
            format!("\n\nNeeds the cargo feature `{group}` (Redis specs only).")
        } else {
            String::new()
        };
        let list: Vec<String> = cmds
            .iter()
            .map(|c| {
                format!(
                    "| [`{}`] | `{}` | {} |",
                    c.type_name(),
                    c.server_name(),
                    docs::clean(c.doc.summary.as_deref().unwrap_or("")).replace('|', "\\|")
                )
            })
            .collect();
        let mod_doc = format!(
            "# {title}\n\nThe `{group}` group: {} commands, as methods of [`{trait_name}`] and as free \
             functions for pipelines.{feature}\n\n| type | command | summary |\n|---|---|---|\n{}",
            cmds.len(),
            list.join("\n")
        );
        let module_id = format_ident!("{}", module);
        let path = format!("/commands/{module}.rs");
        let doc_cfg = MODULES
            .contains(&group.as_str())
            .then(|| quote!(#[cfg_attr(docsrs, doc(cfg(feature = #group)))]));
        mods.push(quote! {
            #[doc = #mod_doc]
            #doc_cfg
            // Generated code: the reply types follow the table, and a
            // repeated value inside a choice is written from a reference.
            #[allow(deprecated, clippy::type_complexity, clippy::into_iter_on_ref)]
            pub mod #module_id {
                include!(concat!(env!("OUT_DIR"), #path));
            }
            #[allow(deprecated)]
            pub use #module_id::*;
        });
    }
    // The enums of token choices several commands share, in one module.
    let mut types = emit::Module::with_shared("types", shared.clone());
    types.define_shared = true;
    for key in &shared_used {
        let (_, rep) = &shared.by_tokens[key];
        let rep = rep.clone();
        emit::render_shared(&mut types, &rep);
    }
    let type_items = &types.items;
    let types_file = quote! {
        use crate::commands::support::*;

        #(#type_items)*
    };
    files.push(GeneratedFile {
        name: "types.rs".into(),
        source: format!(
            "// Generated by respec-codegen: the choices of tokens several commands share. Do not edit.\n\n{}",
            format(&types_file.to_string(), "types.rs")?
        ),
    });
    let n = table.len();
    let server = match flavor {
        Flavor::Redis => "redis",
        Flavor::Valkey => "valkey",
        Flavor::Both => "redis+valkey",
    };
    let module_groups = MODULES;
    let groups_file = quote! {
        /// The servers whose specs this command layer was generated from:
        /// `"redis+valkey"` (both merged, what the crate is built from),
        /// or `"redis"` / `"valkey"` for a single-server build.
        pub const SPEC_SERVER: &str = #server;

        /// The groups of the module command families (`json`, `search`,
        /// ...), whether or not their cargo features are on; see
        /// [`CommandSpec::is_module`](support::CommandSpec::is_module).
        pub const MODULE_GROUPS: &[&str] = &[#(#module_groups),*];

        /// The choices of tokens that several commands share (`GeoUnit`,
        /// `Aggregate`, `Side`, ...): one type per set of tokens, whatever
        /// the command.
        pub mod types {
            include!(concat!(env!("OUT_DIR"), "/commands/types.rs"));
        }
        pub use types::*;

        #(#mods)*

        /// The spec facts of every generated command, sorted by name.
        #[allow(deprecated)]
        pub static ALL: [&CommandSpec; #n] = [#(#table),*];

        /// The spec facts of the command named `name` (upper case, with its
        /// subcommand: `"CLIENT KILL"`), if the specs have it.
        #[allow(deprecated)]
        pub fn spec_of(name: &str) -> Option<&'static CommandSpec> {
            // One hash of the name, a `match` on integers (a few
            // comparisons), then one comparison of the name: a `match` on
            // the names themselves compares them one arm after another.
            match support::name_hash(name.as_bytes()) {
                #(#spec_arms)*
                _ => None,
            }
        }

        /// Where the command named `name` (upper case, as
        /// [`Command::name`](crate::Command::name) gives it) carries its block
        /// time; [`BlockRule::Never`](support::BlockRule::Never) for a command
        /// that does not block or is not in the specs.
        pub fn block_rule_of(name: &str) -> support::BlockRule {
            use support::BlockRule;
            match name {
                #(#block_arms)*
                _ => BlockRule::Never,
            }
        }
    };
    files.push(GeneratedFile {
        name: "groups.rs".into(),
        source: format(&groups_file.to_string(), "groups.rs")?,
    });
    // One representative call of every command (required arguments only),
    // for the tests that send them to a live server. A test includes this
    // file after defining `Sample` and `fn sample`.
    let samples_file = quote! {
        /// A representative value of every generated command.
        #[allow(deprecated, clippy::redundant_closure)]
        pub fn samples() -> Vec<Sample> {
            vec![#(#samples),*]
        }
    };
    files.push(GeneratedFile {
        name: "samples.rs".into(),
        source: format(&samples_file.to_string(), "samples.rs")?,
    });
    Ok(files)
}

/// The 64-bit FNV-1a hash of a command name; the same function as
/// `respec::commands::support::name_hash`, which the generated `spec_of`
/// calls at run time.
fn name_hash(name: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in name {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn format(source: &str, what: &str) -> Result<String, String> {
    let file =
        syn::parse_file(source).map_err(|e| format!("generated {what} does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// Writes the generated files into `dir`.
pub fn write_all(files: &[GeneratedFile], dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for f in files {
        let path = dir.join(&f.name);
        // Leave an unchanged file alone, so its timestamp stays.
        if std::fs::read_to_string(&path).ok().as_deref() == Some(f.source.as_str()) {
            continue;
        }
        std::fs::write(&path, &f.source).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// The generated source of one command (its type, builders, enums and
/// trait method), formatted: what the golden tests compare.
pub fn render_one(spec: &SpecFile, key: &str) -> Result<String, String> {
    let doc = find(spec, key).ok_or_else(|| format!("no command `{key}` in the spec"))?;
    let cmd = emit::Cmd {
        key: key.to_string(),
        doc,
    };
    let mut m = emit::Module::with_shared("golden", emit::shared_enums(&callable(spec)));
    let replies = load_replies_with_modules(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../commands-spec")
            .as_path(),
        Flavor::Redis,
    )?;
    let entry = replies
        .entries
        .get(&cmd.server_name())
        .ok_or_else(|| format!("`{}` has no reply entry", cmd.server_name()))?;
    let (items, method, free, _) = emit::command(&mut m, &cmd, entry);
    let enums = &m.items;
    let file = quote! {
        pub trait GoldenCommands: Executor { #method }
        #free
        #items
        #(#enums)*
    };
    format(&file.to_string(), key)
}

/// The doc of a command by its spec name (`client|kill`), for tests.
pub fn find<'a>(spec: &'a SpecFile, key: &str) -> Option<&'a CommandDoc> {
    match key.split_once('|') {
        None => spec.get(key),
        Some((c, _)) => spec.get(c)?.subcommands.get(key),
    }
}
