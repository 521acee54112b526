//! Authored module specs: which file holds which module, and the merge of a
//! live server's `COMMAND INFO` into them, with the checks that keep the
//! authored arguments honest.
//!
//! The servers give module commands `COMMAND INFO` (arity, flags, key specs)
//! but no argument docs. So `commands-spec/redis/{json,search,timeseries,
//! bloom,vectorset}.json` are written by hand, in the shape of `COMMAND DOCS`
//! (summary, since, complexity, arguments), from each module's documented
//! syntax, and [`merge_family`] puts the live facts in: `arity`, `flags`,
//! `first_key`/`last_key`/`step`, `acl_categories`, `tips`, `key_specs` and
//! `module` (the server's name for the module). It refuses, naming the
//! command, when the authored arguments disagree with the server:
//!
//! - a command (or subcommand) the server registers and the file lacks, or
//!   the reverse (but see the subcommand rule below);
//! - a name that is not lower-case, or a `group` other than the file's
//!   family, subcommands included (the group is the cargo feature and the
//!   documentation page the generator puts the command in);
//! - the arity: the smallest call the arguments allow against the server's
//!   minimum, and an exact count when the server's arity is exact;
//! - two sibling arguments with the same name (the generator names methods
//!   after them), and a container with arguments of its own;
//! - key positions ([`key_problems`], live): for two sample calls built
//!   from the arguments (only the required ones, each repeated argument
//!   once; then every optional one too, each repeated argument twice), the
//!   arguments that carry a `key_spec_index` must sit exactly where
//!   `COMMAND GETKEYS` finds keys. An argument of type `key` without a
//!   `key_spec_index` is a key the module opens itself without declaring it
//!   (the sources of `CMS.MERGE`, the further keys of `JSON.MGET`).
//!
//! One rule lets a file go beyond what the server registers: a container
//! the server registers as a single command, without subcommands, may
//! carry authored subcommands (`ft.config|get`, `ft.cursor|read`: the
//! module reads the subcommand word itself, and the replies differ, so
//! each wants a typed method of its own). Each such subcommand, named
//! `container|word`, takes its container's live `COMMAND INFO` (flags, key
//! specs, first/last key and step, ACL categories, tips, module) and an
//! arity computed from its own arguments ([`authored_arity`]); its
//! arguments must still fit the container's arity, and the `COMMAND
//! GETKEYS` check runs on `CONTAINER SUB args...`. A container the server
//! registers with subcommands gets exactly those.
//!
//! Fields the generator does not read (`doc_source`, which names the
//! documentation a command's arguments were taken from, and `first_key`,
//! `last_key`, `step`, `module`) are ignored by its serde model.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use respec::Cmd;
use respec_codegen::spec::{ArgDoc, CommandDoc};
use serde_json::{Map, Value};

/// One module family: its spec file, its cargo feature, and the name the
/// server gives the module (`MODULE LIST`, the `module` field of
/// `COMMAND DOCS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// The family: the spec file's stem, the commands' `group`, and the
    /// cargo feature (`json`, `search`, `timeseries`, `bloom`, `vectorset`).
    pub name: &'static str,
    /// The module's name on the server (`ReJSON`, `search`, `timeseries`,
    /// `bf`, `vectorset`).
    pub server_name: &'static str,
}

impl Family {
    /// The spec file of the family under a spec folder (`commands-spec/redis`).
    pub fn file(&self, spec_dir: &Path) -> PathBuf {
        spec_dir.join(format!("{}.json", self.name))
    }
}

/// Every module family the project covers.
pub const FAMILIES: &[Family] = &[
    Family {
        name: "json",
        server_name: "ReJSON",
    },
    Family {
        name: "search",
        server_name: "search",
    },
    Family {
        name: "timeseries",
        server_name: "timeseries",
    },
    Family {
        name: "bloom",
        server_name: "bf",
    },
    Family {
        name: "vectorset",
        server_name: "vectorset",
    },
];

/// The family of a server module name.
pub fn family_of_server_module(server_name: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.server_name == server_name)
}

/// The fields of a spec entry that come from the live server.
const LIVE_FIELDS: &[&str] = &[
    "arity",
    "flags",
    "first_key",
    "last_key",
    "step",
    "acl_categories",
    "tips",
    "key_specs",
    "module",
];

/// The live module commands of a dump (`dump::dump(url, true)`), split by
/// the server's module name.
pub fn split_by_module(live: &Value) -> Result<BTreeMap<String, Map<String, Value>>, String> {
    let Value::Object(all) = live else {
        return Err("a module dump is not an object".into());
    };
    let mut out: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for (name, doc) in all {
        let module = doc
            .get("module")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`{}`: COMMAND DOCS names no module", name.to_uppercase()))?;
        out.entry(module.to_string())
            .or_default()
            .insert(name.clone(), doc.clone());
    }
    Ok(out)
}

/// Reads an authored spec file as a JSON object (command name -> entry).
pub fn read_spec(path: &Path) -> Result<Map<String, Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    match serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))? {
        Value::Object(m) => Ok(m),
        _ => Err(format!(
            "{}: expected an object of commands",
            path.display()
        )),
    }
}

/// Merges the live `COMMAND INFO` of one family's commands into its authored
/// spec and checks the authored arguments against it (all but the key
/// positions, which need [`key_problems`]). `file` names the spec file in
/// the messages. Returns the merged spec (the commands both sides have)
/// and every problem found, one per line, each naming its command; the
/// merged spec is only fit to write when there is no problem.
pub fn merge_family(
    family: &Family,
    file: &str,
    authored: &Map<String, Value>,
    live: &Map<String, Value>,
) -> (Map<String, Value>, Vec<String>) {
    let mut problems = Vec::new();
    let merged = merge_level(family, file, authored, live, &mut problems);
    (merged, problems)
}

fn merge_level(
    family: &Family,
    file: &str,
    authored: &Map<String, Value>,
    live: &Map<String, Value>,
    problems: &mut Vec<String>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for name in live.keys() {
        if !authored.contains_key(name) {
            problems.push(format!(
                "`{}`: the server registers it (module `{}`) but {file} has no entry for it",
                display(name),
                family.server_name
            ));
        }
    }
    for (name, entry) in authored {
        if lower_case_problem(name, problems) {
            continue;
        }
        let Some(live_entry) = live.get(name) else {
            problems.push(format!(
                "`{}`: {file} has it but the server does not register it (module `{}`)",
                display(name),
                family.server_name
            ));
            continue;
        };
        let Value::Object(entry) = entry else {
            problems.push(format!("`{}`: the entry is not an object", display(name)));
            continue;
        };
        let mut merged = with_live_fields(entry, live_entry);
        group_problem(family, file, name, &merged, problems);
        let empty = Map::new();
        let authored_subs = entry
            .get("subcommands")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let live_subs = live_entry
            .get("subcommands")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        if !authored_subs.is_empty() && live_subs.is_empty() {
            let subs =
                merge_unregistered_subs(family, file, name, authored_subs, live_entry, problems);
            merged.insert("subcommands".into(), Value::Object(subs));
        } else if !authored_subs.is_empty() || !live_subs.is_empty() {
            let subs = merge_level(family, file, authored_subs, live_subs, problems);
            merged.insert("subcommands".into(), Value::Object(subs));
        }
        match serde_json::from_value::<CommandDoc>(Value::Object(merged.clone())) {
            Ok(doc) => {
                if doc.subcommands.is_empty() {
                    if let Some(p) = arity_problem(name, &doc) {
                        problems.push(p);
                    }
                } else if !doc.arguments.is_empty() {
                    problems.push(format!(
                        "`{}`: a container with subcommands has no arguments of its own",
                        display(name)
                    ));
                }
                duplicate_names(name, &doc.arguments, problems);
            }
            Err(e) => problems.push(format!(
                "`{}`: the entry does not read as a command spec: {e}",
                display(name)
            )),
        }
        out.insert(name.clone(), Value::Object(merged));
    }
    out
}

/// An authored entry with the live fields of `live` in place of its own.
fn with_live_fields(entry: &Map<String, Value>, live: &Value) -> Map<String, Value> {
    let mut merged = entry.clone();
    for field in LIVE_FIELDS {
        match live.get(*field) {
            Some(v) => {
                merged.insert((*field).to_string(), v.clone());
            }
            None => {
                merged.remove(*field);
            }
        }
    }
    merged
}

/// Notes an entry whose `group` is not its family's.
fn group_problem(
    family: &Family,
    file: &str,
    name: &str,
    entry: &Map<String, Value>,
    problems: &mut Vec<String>,
) {
    if entry.get("group").and_then(Value::as_str) != Some(family.name) {
        problems.push(format!(
            "`{}`: its group must be `{}` (the family of {file}), not {}",
            display(name),
            family.name,
            entry
                .get("group")
                .map_or("missing".into(), Value::to_string)
        ));
    }
}

/// Notes a name that is not lower-case (the server's names are); true if so.
fn lower_case_problem(name: &str, problems: &mut Vec<String>) -> bool {
    let upper = name != name.to_lowercase();
    if upper {
        problems.push(format!(
            "`{}`: the entry is named `{name}`; names are lower-case, as the server gives them",
            display(name)
        ));
    }
    upper
}

/// The authored subcommands of a container the server registers as one
/// command, without subcommands (`FT.CONFIG GET`, `FT.CURSOR READ`: the
/// module reads the subcommand word itself). Each takes the container's
/// live `COMMAND INFO` (flags, key specs, ACL categories, tips, module)
/// with an arity of its own, computed from its arguments; those
/// arguments must also fit the container's arity.
fn merge_unregistered_subs(
    family: &Family,
    file: &str,
    container: &str,
    authored: &Map<String, Value>,
    live_container: &Value,
    problems: &mut Vec<String>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, entry) in authored {
        let word = name
            .strip_prefix(container)
            .and_then(|r| r.strip_prefix('|'));
        if !word.is_some_and(|w| !w.is_empty() && !w.contains('|')) {
            problems.push(format!(
                "`{}`: a subcommand of `{}` is named `{container}|word`",
                display(name),
                display(container)
            ));
            continue;
        }
        if lower_case_problem(name, problems) {
            continue;
        }
        let Value::Object(entry) = entry else {
            problems.push(format!("`{}`: the entry is not an object", display(name)));
            continue;
        };
        let mut merged = with_live_fields(entry, live_container);
        group_problem(family, file, name, &merged, problems);
        if merged.contains_key("subcommands") {
            problems.push(format!(
                "`{}`: a subcommand has no subcommands",
                display(name)
            ));
        }
        match serde_json::from_value::<CommandDoc>(Value::Object(merged.clone())) {
            Ok(doc) => {
                if let Some(p) = arity_problem(name, &doc) {
                    problems.push(format!("{p} (the arity of its container)"));
                }
                merged.insert("arity".into(), Value::from(authored_arity(name, &doc)));
                duplicate_names(name, &doc.arguments, problems);
            }
            Err(e) => problems.push(format!(
                "`{}`: the entry does not read as a command spec: {e}",
                display(name)
            )),
        }
        out.insert(name.clone(), Value::Object(merged));
    }
    out
}

/// The arity the arguments of `name` give, in the server's terms: the
/// word count of the shortest call, name words included, negative when a
/// call may be longer.
pub fn authored_arity(name: &str, doc: &CommandDoc) -> i64 {
    let (min, variadic) = min_words(&doc.arguments);
    let words = (min + name_words(name).len()) as i64;
    if variadic {
        -words
    } else {
        words
    }
}

/// Sibling arguments with the same name (the generator names methods and
/// fields after them), at every level of the argument tree.
fn duplicate_names(name: &str, args: &[ArgDoc], problems: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    for a in args {
        if !seen.insert(a.name.as_str()) {
            problems.push(format!(
                "`{}`: two sibling arguments are named `{}`",
                display(name),
                a.name
            ));
        }
        duplicate_names(name, &a.arguments, problems);
    }
}

/// `json.set` -> `JSON.SET`, `ft.debug|git_sha` -> `FT.DEBUG GIT_SHA`.
pub fn display(name: &str) -> String {
    name.replace('|', " ").to_uppercase()
}

/// The words that name a command on the wire (`["FT.DEBUG", "GIT_SHA"]`).
pub fn name_words(name: &str) -> Vec<String> {
    name.split('|').map(str::to_uppercase).collect()
}

/// The fewest words a call may have by the arguments, and whether it may
/// have more.
fn min_words(args: &[ArgDoc]) -> (usize, bool) {
    let mut total = 0;
    let mut variadic = false;
    for a in args {
        let (n, v) = arg_min_words(a);
        if a.optional() {
            variadic = true;
        } else {
            total += n;
            variadic |= v;
        }
    }
    (total, variadic)
}

fn arg_min_words(a: &ArgDoc) -> (usize, bool) {
    let token = usize::from(a.token.is_some());
    let (n, v) = match a.ty.as_str() {
        "pure-token" => (0, false),
        "block" => min_words(&a.arguments),
        "oneof" => {
            let alts: Vec<(usize, bool)> = a.arguments.iter().map(arg_min_words).collect();
            let min = alts.iter().map(|x| x.0).min().unwrap_or(0);
            let max = alts.iter().map(|x| x.0).max().unwrap_or(0);
            (min, min != max || alts.iter().any(|x| x.1))
        }
        _ => (1, false),
    };
    (n + token, v || a.multiple())
}

/// The arity the arguments imply against the server's, if they disagree.
pub fn arity_problem(name: &str, doc: &CommandDoc) -> Option<String> {
    let words = name_words(name).len();
    let (min, variadic) = min_words(&doc.arguments);
    let min = min + words;
    let server = doc.arity;
    if server > 0 {
        let server = server as usize;
        if variadic || min != server {
            let authored = if variadic {
                format!("at least {min} words (it has optional or repeated parts)")
            } else {
                format!("exactly {min} words")
            };
            return Some(format!(
                "`{}`: the server's arity is {server} (exactly {server} words with the name) \
                 but the authored arguments make calls of {authored}",
                display(name)
            ));
        }
    } else if server < 0 {
        let at_least = server.unsigned_abs() as usize;
        if min < at_least {
            return Some(format!(
                "`{}`: the server's arity is {server} (at least {at_least} words with the name) \
                 but the authored arguments allow a call of {min} words",
                display(name)
            ));
        }
    } else {
        return Some(format!("`{}`: the server gives no arity", display(name)));
    }
    None
}

/// A sample call built from a command's arguments: its words and the
/// positions of the arguments that declare a key spec.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// The call, name words first.
    pub argv: Vec<String>,
    /// Positions (in `argv`) of arguments with a `key_spec_index`.
    pub declared_keys: Vec<usize>,
    /// Positions of `key` arguments without one (keys the module does not
    /// declare to the server).
    pub undeclared_keys: Vec<usize>,
}

/// Builds a sample call. `full`: every optional argument present, each
/// repeated argument twice and integers 2 (so a `numkeys` matches the
/// keys that follow); otherwise only what is required, once, integers 1.
/// A `oneof` takes its first alternative.
pub fn sample(name: &str, doc: &CommandDoc, full: bool) -> Sample {
    let mut s = Sample {
        argv: name_words(name),
        ..Sample::default()
    };
    let mut n = 0;
    push_args(&doc.arguments, full, &mut s, &mut n);
    s
}

fn push_args(args: &[ArgDoc], full: bool, s: &mut Sample, n: &mut usize) {
    for a in args {
        if a.optional() && !full {
            continue;
        }
        let times = if a.multiple() && full { 2 } else { 1 };
        for i in 0..times {
            if let Some(t) = &a.token {
                if i == 0 || a.multiple_token() {
                    s.argv.push(t.clone());
                }
            }
            push_value(a, full, s, n);
        }
    }
}

fn push_value(a: &ArgDoc, full: bool, s: &mut Sample, n: &mut usize) {
    *n += 1;
    let value = match a.ty.as_str() {
        "pure-token" => return,
        "block" => return push_args(&a.arguments, full, s, n),
        "oneof" => {
            if let Some(first) = a.arguments.first() {
                if let Some(t) = &first.token {
                    s.argv.push(t.clone());
                }
                push_value(first, full, s, n);
            }
            return;
        }
        "key" => format!("respec-key-{n}"),
        "integer" => if full { "2" } else { "1" }.to_string(),
        "double" => "0.5".to_string(),
        "unix-time" => "1700000000".to_string(),
        "pattern" => format!("respec-pattern-{n}*"),
        _ => format!("respec-{}-{n}", a.name),
    };
    let pos = s.argv.len();
    if a.key_spec_index.is_some() {
        s.declared_keys.push(pos);
    } else if a.ty == "key" {
        s.undeclared_keys.push(pos);
    }
    s.argv.push(value);
}

/// Where the server finds keys in `argv` (`COMMAND GETKEYS`), as positions.
pub fn server_key_positions(
    client: &respec::blocking::Client,
    argv: &[String],
) -> Result<Vec<usize>, String> {
    let mut words = vec!["COMMAND".to_string(), "GETKEYS".to_string()];
    words.extend(argv.iter().cloned());
    let cmd = Cmd::from_args(words).ok_or("an empty command")?;
    let names = match client.execute(&cmd) {
        Ok(frame) => match crate::dump::to_json(frame) {
            Value::Array(items) => items,
            other => return Err(format!("COMMAND GETKEYS replied {other}")),
        },
        // A command without keys is an error for GETKEYS, not an empty list.
        Err(e) if e.to_string().contains("no key arguments") => Vec::new(),
        Err(e) => return Err(format!("COMMAND GETKEYS failed: {e}")),
    };
    let mut used = BTreeSet::new();
    let mut out = Vec::new();
    for name in names {
        let Value::String(name) = name else {
            return Err(format!("COMMAND GETKEYS gave a non-string key {name}"));
        };
        let pos = (1..argv.len())
            .find(|i| argv[*i] == name && !used.contains(i))
            .ok_or_else(|| format!("COMMAND GETKEYS gave `{name}`, not a word of the call"))?;
        used.insert(pos);
        out.push(pos);
    }
    out.sort_unstable();
    Ok(out)
}

/// Checks a command's (and its subcommands') authored key positions
/// against `COMMAND GETKEYS` on the live server, for the two sample calls
/// of [`sample`]. `entry` is a merged spec entry (with the live key specs).
pub fn key_problems(client: &respec::blocking::Client, name: &str, entry: &Value) -> Vec<String> {
    let doc: CommandDoc = match serde_json::from_value(entry.clone()) {
        Ok(d) => d,
        Err(e) => {
            return vec![format!(
                "`{}`: the entry does not read as a command spec: {e}",
                display(name)
            )]
        }
    };
    let mut problems = Vec::new();
    if let Some(Value::Object(subs)) = entry.get("subcommands") {
        for (sub, sub_entry) in subs {
            problems.extend(key_problems(client, sub, sub_entry));
        }
        if !subs.is_empty() {
            return problems;
        }
    }
    check_key_spec_indexes(name, &doc.arguments, doc.key_specs.len(), &mut problems);
    for full in [false, true] {
        let s = sample(name, &doc, full);
        let call = s.argv.join(" ");
        match server_key_positions(client, &s.argv) {
            Ok(server) => {
                if server != s.declared_keys {
                    problems.push(format!(
                        "`{}`: in `{call}` the server finds keys at {} but the arguments \
                         with a key_spec_index are at {}",
                        display(name),
                        positions(&server),
                        positions(&s.declared_keys)
                    ));
                }
            }
            Err(e) => problems.push(format!("`{}`: `{call}`: {e}", display(name))),
        }
    }
    problems
}

fn check_key_spec_indexes(name: &str, args: &[ArgDoc], specs: usize, out: &mut Vec<String>) {
    for a in args {
        if let Some(i) = a.key_spec_index {
            if i >= specs {
                out.push(format!(
                    "`{}`: argument `{}` names key spec {i} but the server gives {specs}",
                    display(name),
                    a.name
                ));
            }
        }
        check_key_spec_indexes(name, &a.arguments, specs, out);
    }
}

fn positions(p: &[usize]) -> String {
    if p.is_empty() {
        "no position".into()
    } else {
        let list: Vec<String> = p.iter().map(usize::to_string).collect();
        format!("positions [{}]", list.join(", "))
    }
}

/// The outcome of checking every family against a live server.
#[derive(Debug, Default)]
pub struct Report {
    /// Per family present on both sides: its file and the merged spec.
    pub merged: Vec<(Family, PathBuf, Map<String, Value>)>,
    /// Commands checked, per family name.
    pub counts: BTreeMap<&'static str, usize>,
    /// Every problem, one line each.
    pub problems: Vec<String>,
}

/// Checks the families `only` (all when empty) of `spec_dir` against the
/// live server at `url`: a loaded module without its spec file, a spec file
/// whose module is not loaded, and every problem of [`merge_family`] and
/// [`key_problems`].
pub fn check_all(url: &str, spec_dir: &Path, only: &[String]) -> Result<Report, String> {
    let live = crate::dump::dump(url, true)?;
    let by_module = split_by_module(&live)?;
    let client = respec::blocking::Client::open(url).map_err(|e| e.to_string())?;
    let mut report = Report::default();
    for module in by_module.keys() {
        if family_of_server_module(module).is_none() {
            report.problems.push(format!(
                "the server has module `{module}`, which no spec family covers \
                 (tools/src/modules.rs FAMILIES)"
            ));
        }
    }
    for family in FAMILIES {
        if !only.is_empty() && !only.iter().any(|o| o == family.name) {
            continue;
        }
        let path = family.file(spec_dir);
        let live_cmds = by_module.get(family.server_name);
        if !path.exists() {
            report.problems.push(format!(
                "{} is missing: the `{}` family (server module `{}`, {} commands live) has no spec file",
                path.display(),
                family.name,
                family.server_name,
                live_cmds.map_or(0, Map::len)
            ));
            continue;
        }
        let Some(live_cmds) = live_cmds else {
            report.problems.push(format!(
                "{}: the server has no module `{}` loaded to check it against",
                path.display(),
                family.server_name
            ));
            continue;
        };
        let authored = match read_spec(&path) {
            Ok(a) => a,
            Err(e) => {
                report.problems.push(e);
                continue;
            }
        };
        let file = path.display().to_string();
        let (merged, problems) = merge_family(family, &file, &authored, live_cmds);
        report.problems.extend(problems);
        for (name, entry) in &merged {
            report.problems.extend(key_problems(&client, name, entry));
        }
        report.counts.insert(family.name, merged.len());
        report.merged.push((*family, path, merged));
    }
    Ok(report)
}
