//! The generated command layer against live servers: every command of the
//! server is generated; a representative call of each is accepted; the key
//! positions agree with `COMMAND GETKEYS`; commands and arguments newer than
//! the server are refused before anything is sent.

mod support;

use std::collections::BTreeSet;

use bytes::{Bytes, BytesMut};
use respec::prelude::*;
use respec::{Cmd, ErrorKind};
use support::Kind;

/// One generated command value, encoded, with what the tests need of it.
#[derive(Clone)]
pub struct Sample {
    name: &'static str,
    group: &'static str,
    bytes: Bytes,
    keys: Vec<Bytes>,
    blocking: bool,
    has_key_specs: bool,
    requires: respec::commands::Requires,
}

fn sample<C: GeneratedCommand>(c: C) -> Sample {
    let mut out = BytesMut::new();
    c.encode(&mut out);
    Sample {
        name: C::SPEC.name,
        group: C::SPEC.group,
        bytes: out.freeze(),
        keys: c.keys(),
        blocking: c.is_blocking(),
        has_key_specs: !C::SPEC.key_specs.is_empty(),
        requires: c.requires(),
    }
}

mod generated {
    use super::{sample, Sample};
    include!(concat!(env!("OUT_DIR"), "/commands/samples.rs"));
}

/// Commands a representative call cannot be sent for on a shared test
/// connection, with the reason.
const NOT_SENT: &[(&str, &str)] = &[
    ("SHUTDOWN", "stops the server"),
    ("MONITOR", "turns the connection into a monitor stream"),
    ("SYNC", "turns the connection into a replication stream"),
    ("PSYNC", "turns the connection into a replication stream"),
    (
        "REPLICAOF",
        "makes the test server a replica of a host that does not exist",
    ),
    (
        "SLAVEOF",
        "makes the test server a replica of a host that does not exist",
    ),
    ("FAILOVER", "needs a replica to fail over to"),
    (
        "DEBUG",
        "a developer command that can crash or stall the server",
    ),
    ("QUIT", "closes the connection"),
    ("MULTI", "would queue every later command"),
    (
        "SUBSCRIBE",
        "answered by push messages (tests/client.rs covers pub/sub)",
    ),
    (
        "PSUBSCRIBE",
        "answered by push messages (tests/client.rs covers pub/sub)",
    ),
    (
        "SSUBSCRIBE",
        "answered by push messages (tests/client.rs covers pub/sub)",
    ),
    (
        "UNSUBSCRIBE",
        "answered by push messages (tests/client.rs covers pub/sub)",
    ),
    (
        "PUNSUBSCRIBE",
        "answered by push messages (tests/client.rs covers pub/sub)",
    ),
    (
        "SUNSUBSCRIBE",
        "answered by push messages (tests/client.rs covers pub/sub)",
    ),
    ("CLIENT REPLY", "switches replies off for the connection"),
];

/// Commands whose spec leaves out what the server needs, so a call with
/// only the required arguments cannot be accepted, with the reason.
const INCOMPLETE_SPEC: &[(&str, &str)] = &[(
    "CLUSTER SYNCSLOTS",
    "Valkey documents it as a container with no arguments (arity -3)",
)];

/// Calls Redis 7.0.15 reads differently from the specs' newest form, with
/// the reason.
const OLDER_SERVER: &[(&str, &str)] = &[
    (
        "COMMAND GETKEYS",
        "Redis 7.0 wants a command with at least one argument (arity -4 there)",
    ),
    (
        "COMMAND GETKEYSANDFLAGS",
        "Redis 7.0 wants a command with at least one argument (arity -4 there)",
    ),
];

/// Errors that mean the server could not parse the call.
fn is_parse_error(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("syntax error")
        || m.contains("wrong number of arguments")
        || m.contains("unknown command")
        || m.contains("unknown subcommand")
        || m.contains("unknown argument")
        || m.contains("unsupported option")
}

/// Every command and subcommand name in a live server's COMMAND DOCS
/// (core commands only).
fn live_command_names(client: &respec::blocking::Client) -> BTreeSet<String> {
    let docs = client
        .execute(&Cmd::from_args(["COMMAND", "DOCS"]).unwrap())
        .unwrap();
    let respec::Frame::Map(entries) = docs else {
        panic!("COMMAND DOCS is a map in RESP3")
    };
    let mut names = BTreeSet::new();
    for (name, doc) in entries {
        let name = String::from_utf8_lossy(name.as_bytes().unwrap()).to_ascii_uppercase();
        let respec::Frame::Map(fields) = doc else {
            continue;
        };
        let field = |f: &str| {
            fields
                .iter()
                .find(|(k, _)| k.as_bytes() == Some(f.as_bytes()))
                .map(|(_, v)| v)
        };
        if field("group").and_then(|g| g.as_bytes()) == Some(b"module") {
            continue;
        }
        match field("subcommands") {
            Some(respec::Frame::Map(subs)) if !subs.is_empty() => {
                for (sub, _) in subs {
                    names.insert(
                        String::from_utf8_lossy(sub.as_bytes().unwrap())
                            .replace('|', " ")
                            .to_ascii_uppercase(),
                    );
                }
            }
            _ => {
                names.insert(name);
            }
        }
    }
    names
}

/// The servers the command layer serves: both from one build (the
/// default), or the one a single-server build (`RESPEC_SERVER`) was made
/// for.
fn kinds() -> Vec<Kind> {
    match respec::commands::SPEC_SERVER {
        "redis" => vec![Kind::Redis],
        "valkey" => vec![Kind::Valkey],
        _ => vec![Kind::Redis, Kind::Valkey],
    }
}

/// How the server calls itself in `HELLO`.
fn server_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Valkey => "valkey",
        _ => "redis",
    }
}

/// Whether the command layer says `kind`'s server (at its version) has
/// the command with the arguments it carries.
fn has(requires: &respec::commands::Requires, kind: Kind) -> bool {
    match requires.of(server_name(kind)) {
        respec::commands::Need::Never => false,
        respec::commands::Need::Since(v) => v <= kind.version(),
        respec::commands::Need::Any => true,
    }
}

/// The servers the representative calls go to: those of [`kinds`], and
/// Redis 7.0.15 (the commands and arguments it has) when Redis is one.
fn kinds_and_older() -> Vec<Kind> {
    let mut out = kinds();
    if out.contains(&Kind::Redis) {
        out.push(Kind::Redis7);
    }
    out
}

#[test]
fn every_server_command_is_generated() {
    for kind in kinds() {
        let server = support::server(kind);
        let client = respec::blocking::Client::open(&server.url()).unwrap();
        let live = live_command_names(&client);
        let all: BTreeSet<String> = respec::commands::ALL
            .iter()
            .filter(|s| !s.is_module())
            .map(|s| s.name.to_string())
            .collect();
        // What the command layer says this server has.
        let generated: BTreeSet<String> = respec::commands::ALL
            .iter()
            .filter(|s| !s.is_module())
            .filter(|s| has(&s.requires, kind))
            .map(|s| s.name.to_string())
            .collect();
        let missing: Vec<_> = live.difference(&all).collect();
        let extra: Vec<_> = generated.difference(&live).collect();
        println!(
            "{kind:?}: {} commands and subcommands live; {} generated for it, of {} in all",
            live.len(),
            generated.len(),
            all.len()
        );
        assert!(
            missing.is_empty(),
            "{kind:?}: commands of the server with no generated method: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "{kind:?}: generated commands the server does not know: {extra:?}"
        );
    }
}

/// The generated samples of the core commands (not of a module family).
fn core_samples() -> Vec<Sample> {
    generated::samples()
        .into_iter()
        .filter(|s| !respec::commands::MODULE_GROUPS.contains(&s.group))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_representative_call_of_every_command_is_accepted() {
    for kind in kinds_and_older() {
        let server = support::server(kind);
        // The samples of the commands this server has (the others are
        // refused before sending: see `commands_of_the_other_server_are_refused_unsent`).
        let samples: Vec<Sample> = core_samples()
            .into_iter()
            .filter(|s| has(&s.requires, kind))
            .collect();
        let incomplete = match kind {
            Kind::Valkey => INCOMPLETE_SPEC,
            Kind::Redis7 => OLDER_SERVER,
            _ => &[],
        };
        let skip: Vec<(&str, &str)> = NOT_SENT.iter().chain(incomplete).copied().collect();
        let (sent, skipped, failures) = send_samples(&server.url(), &samples, &skip).await;
        println!(
            "{kind:?}: representative calls: {sent} of {} commands sent and parsed by the server",
            samples.len()
        );
        println!("not sent ({}):\n  {}", skipped.len(), skipped.join("\n  "));
        assert!(
            failures.is_empty(),
            "{kind:?}: {} calls the server could not parse:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// One build serves Redis and Valkey: a command only the other server has
/// is refused before anything is sent, with an error naming the server.
#[tokio::test]
async fn commands_of_the_other_server_are_refused_unsent() {
    if kinds().len() < 2 {
        return;
    }
    let valkey = support::server(Kind::Valkey);
    let client = respec::Client::open(&valkey.url()).unwrap();
    let e = client.xackdel("s", "g", ["0-1"]).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Unsupported, "{e}");
    assert!(e.to_string().contains("valkey"), "{e}");
    assert_eq!(e.command(), Some("XACKDEL"));
    // Valkey's own commands run there.
    client.set("k", "v").await.unwrap();
    assert!(client.delifeq("k", "v").await.unwrap());
    let stats = valkey.cli(&["INFO", "commandstats"]);
    assert!(!stats.contains("cmdstat_xackdel"), "{stats}");

    let redis = support::server(Kind::Redis);
    let client = respec::Client::open(&redis.url()).unwrap();
    let e = client.delifeq("k", "v").await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Unsupported, "{e}");
    assert!(e.to_string().contains("redis"), "{e}");
    let blocking = respec::blocking::Client::open(&redis.url()).unwrap();
    let e = blocking
        .commandlog_len(respec::commands::TypeKind::Slow)
        .run()
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Unsupported, "{e}");
    let stats = redis.cli(&["INFO", "commandstats"]);
    assert!(!stats.contains("cmdstat_delifeq"), "{stats}");
    assert!(!stats.contains("cmdstat_commandlog"), "{stats}");
}

/// Sends each sample (but those in `skip`) to the server at `url`; returns
/// how many were sent, the skipped ones with their reason, and the calls
/// the server could not parse.
async fn send_samples(
    url: &str,
    samples: &[Sample],
    skip: &[(&str, &str)],
) -> (usize, Vec<String>, Vec<String>) {
    let cfg = respec::connection::ConnectionConfig::from_url(url).unwrap();
    let mut sent = 0;
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    let mut blocking = Vec::new();
    let conn = respec::connection::Connection::connect(&cfg).await.unwrap();
    for s in samples {
        if let Some((_, why)) = skip.iter().find(|(n, _)| *n == s.name) {
            skipped.push(format!("{}: {why}", s.name));
            continue;
        }
        if s.blocking {
            // Each on a connection of its own, all at once (their timeouts
            // are a second long at most).
            let cfg = cfg.clone();
            let (name, bytes) = (s.name, s.bytes.clone());
            blocking.push(tokio::spawn(async move {
                let conn = respec::connection::Connection::connect(&cfg).await.unwrap();
                (name, conn.send_encoded(bytes, 1, false).await)
            }));
            continue;
        }
        // A fresh connection for commands that change the connection's state.
        let reply = if s.name == "RESET"
            || s.name == "HELLO"
            || s.name.starts_with("CLIENT")
            || s.name == "AUTH"
        {
            let c = respec::connection::Connection::connect(&cfg).await.unwrap();
            c.send_encoded(s.bytes.clone(), 1, true).await
        } else {
            conn.send_encoded(s.bytes.clone(), 1, true).await
        };
        sent += 1;
        if let Err(e) = reply {
            if is_parse_error(&e.to_string()) || !e.is_server_error() {
                failures.push(format!(
                    "{}: {e} (sent {:?})",
                    s.name,
                    String::from_utf8_lossy(&s.bytes)
                ));
            }
        }
    }
    for b in blocking {
        let (name, reply) = tokio::time::timeout(std::time::Duration::from_secs(30), b)
            .await
            .unwrap()
            .unwrap();
        sent += 1;
        if let Err(e) = reply {
            if is_parse_error(&e.to_string()) || !e.is_server_error() {
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    (sent, skipped, failures)
}

#[test]
fn key_positions_agree_with_command_getkeys() {
    for kind in kinds_and_older() {
        key_positions_agree_on(kind);
    }
}

fn key_positions_agree_on(kind: Kind) {
    let server = support::server(kind);
    let client = respec::blocking::Client::open(&server.url()).unwrap();
    let samples: Vec<Sample> = core_samples()
        .into_iter()
        .filter(|s| has(&s.requires, kind))
        .collect();
    let (compared, no_keys_call, disagreements) = compare_keys(&client, &samples);
    println!(
        "key positions compared with COMMAND GETKEYS: {compared} commands; {} declined by the server: {:?}",
        no_keys_call.len(),
        no_keys_call
    );
    // Redis 7.0.15 has fewer commands.
    let least = if kind == Kind::Redis7 { 150 } else { 200 };
    assert!(
        compared > least,
        "{kind:?}: only {compared} commands compared"
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// Compares the keys of each sample with a key spec with what `COMMAND
/// GETKEYS` finds in the same call: how many were compared, the calls the
/// server declines to extract keys from, and the disagreements.
fn compare_keys(
    client: &respec::blocking::Client,
    samples: &[Sample],
) -> (usize, Vec<&'static str>, Vec<String>) {
    let (mut compared, mut no_keys_call) = (0, Vec::new());
    let mut disagreements = Vec::new();
    for s in samples.iter().filter(|s| s.has_key_specs) {
        let args = respec::commands::support::split_encoded(&s.bytes);
        let mut getkeys = Cmd::new("COMMAND");
        getkeys.arg("GETKEYS");
        for a in &args {
            getkeys.arg(*a);
        }
        match client.query::<Vec<Bytes>, _>(&getkeys) {
            Ok(keys) => {
                compared += 1;
                if keys != s.keys {
                    disagreements.push(format!(
                        "{}: server {:?}, generated {:?}",
                        s.name, keys, s.keys
                    ));
                }
            }
            Err(e) => {
                // The server declines GETKEYS for this call (for example a
                // command whose keys are all optional, or a command the
                // server has no key extraction for in that form).
                assert!(e.is_server_error(), "{}: {e}", s.name);
                no_keys_call.push(s.name);
            }
        }
    }
    (compared, no_keys_call, disagreements)
}

#[tokio::test]
async fn commands_and_arguments_newer_than_the_server_are_refused_unsent() {
    if !kinds().contains(&Kind::Redis) {
        return;
    }
    let server = support::server(Kind::Redis7);
    let client = respec::Client::open(&server.url()).unwrap();
    let before = server.cli(&["INFO", "commandstats"]);

    let e = client.hexpire("h", 60, ["f"]).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Unsupported, "{e}");
    assert_eq!(e.command(), Some("HEXPIRE"));
    assert!(e.to_string().contains("7.4.0"), "{e}");
    let e = client.hgetex("h", ["f"]).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Unsupported, "{e}");
    // An argument newer than the server, nested two levels deep:
    // CLIENT KILL ... MAXAGE is from 7.4.
    use respec::commands::{ClientKillFilter, ClientKillFilterNewFormat as F};
    let e = client
        .client_kill(ClientKillFilter::NewFormat(vec![F::Maxage(100)]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Unsupported, "{e}");
    assert!(e.to_string().contains("7.4.0"), "{e}");
    // The same command with filters the server knows runs.
    let killed: i64 = client
        .client_kill(ClientKillFilter::NewFormat(vec![F::ClientId(999_999)]))
        .reply()
        .await
        .unwrap();
    assert_eq!(killed, 0);
    // Blocking client too.
    let blocking = respec::blocking::Client::open(&server.url()).unwrap();
    let e = blocking.hexpire("h", 60, ["f"]).run().unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Unsupported);

    // Nothing of it reached the server.
    let after = server.cli(&["INFO", "commandstats"]);
    assert!(!after.contains("cmdstat_hexpire"), "{after}");
    assert!(!after.contains("cmdstat_hgetex"));
    assert!(!before.contains("cmdstat_client|kill") && after.contains("cmdstat_client|kill"));
    assert!(after.contains("cmdstat_client|kill:calls=1,"), "{after}");
}

#[tokio::test]
async fn generated_methods_build_send_and_read_replies() {
    let server = support::server(kinds()[0]);
    let client = respec::Client::open(&server.url()).unwrap();
    // With NX or XX, SET answers whether it set the value.
    let set: bool = client.set("user:1", "ada").ex(60).nx().await.unwrap();
    assert!(set);
    // The condition is now false: NX does not set.
    assert!(!client.set("user:1", "bob").nx().await.unwrap());
    assert!(!client.set("user:none", "x").xx().await.unwrap());
    // With GET as well, it answers the old value (GET chosen last).
    let old: Option<respec::ByteStr> = client.set("user:1", "bob").nx().get().await.unwrap();
    assert_eq!(old, Some("ada".into()));
    assert_eq!(client.set("user:1", "ada").await.unwrap(), ());
    let name = client.get("user:1").await.unwrap();
    assert_eq!(name, Some("ada".into()));
    // `.reply()` reads the same reply as another type.
    let old: Option<String> = client.set("user:1", "eve").get().reply().await.unwrap();
    assert_eq!(old.as_deref(), Some("ada"));
    let ttl: i64 = client.ttl("user:1").reply().await.unwrap();
    assert_eq!(ttl, -1, "SET without EX clears the TTL");

    // Builder methods may come in any order: the encoding follows the spec.
    let a = respec::commands::set("k", "v").ex(5).nx().get();
    let b = respec::commands::set("k", "v").get().nx().ex(5);
    let (mut ea, mut eb) = (BytesMut::new(), BytesMut::new());
    a.encode(&mut ea);
    b.encode(&mut eb);
    assert_eq!(ea, eb);
    assert_eq!(&ea[..], b"*7\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nNX\r\n$3\r\nGET\r\n$2\r\nEX\r\n$1\r\n5\r\n");

    // Sorted sets, with blocks and options.
    let added: i64 = client
        .zadd("board", [(1.5, "ann"), (3.0, "bo")])
        .reply()
        .await
        .unwrap();
    assert_eq!(added, 2);
    let top = client
        .zrange("board", "0", "-1")
        .withscores()
        .await
        .unwrap();
    assert_eq!(top, [("ann".into(), 1.5), ("bo".into(), 3.0)]);

    // Subcommands.
    let id: i64 = client.client_id().reply().await.unwrap();
    assert!(id > 0);
    client.client_setname("tour").await.unwrap();
    let name: Option<String> = client.client_getname().await.unwrap();
    assert_eq!(name.as_deref(), Some("tour"));

    // Streams: XADD with an automatic id.
    let id: String = client
        .xadd("events", "*", [("kind", "login")])
        .reply()
        .await
        .unwrap();
    assert!(id.contains('-'), "{id}");
    let len: i64 = client.xlen("events").reply().await.unwrap();
    assert_eq!(len, 1);

    // In a pipeline, as detached values.
    let mut pipe = Pipeline::new();
    pipe.add(respec::commands::incr("n"))
        .add(respec::commands::incrby("n", 10))
        .add(respec::commands::get("n"));
    let (a, b, c): (i64, i64, String) = pipe.query(&client).await.unwrap();
    assert_eq!((a, b, c.as_str()), (1, 11, "11"));

    // Blocking client: the same methods, run.
    let blocking = respec::blocking::Client::open(&server.url()).unwrap();
    let n: i64 = blocking.incr("n").reply().run().unwrap();
    assert_eq!(n, 12);

    // Bad input: an empty key list is refused before sending, naming the command.
    let e = client.del(Vec::<&str>::new()).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidInput, "{e}");
    assert_eq!(e.command(), Some("DEL"));
    let e = blocking.exists(Vec::<String>::new()).run().unwrap_err();
    assert_eq!(
        (e.kind(), e.command()),
        (&ErrorKind::InvalidInput, Some("EXISTS"))
    );
    let mut pipe = Pipeline::new();
    pipe.add(respec::commands::incr("n"))
        .add(respec::commands::del(Vec::<&str>::new()));
    let e = pipe.execute(&client).await.unwrap_err();
    assert_eq!(e.command(), Some("DEL"));
    // ... and nothing of that pipeline ran.
    assert_eq!(client.get("n").reply::<i64>().await.unwrap(), 12);

    // Keys come from the spec's key specs.
    let keys = respec::commands::mset([("a", "1"), ("b", "2")]).keys();
    assert_eq!(keys, vec![Bytes::from("a"), Bytes::from("b")]);
    assert!(respec::commands::Get::<(), respec::Frame>::SPEC.has_flag("readonly"));
    assert!(respec::commands::Blpop::<(), respec::Frame>::SPEC.has_flag("blocking"));
}

// ---------------------------------------------------------------------------
// Module families: the same checks against Redis 8.2.3 with the modules
// loaded, for the families whose cargo feature is on.

/// A module family: its `group` (and cargo feature), the name the server
/// registers its commands under (`COMMAND LIST FILTERBY MODULE`), and the
/// module file to load (none: built into Redis 8).
struct Family {
    group: &'static str,
    server_module: &'static str,
    load: Option<support::Module>,
    generated: bool,
}

const MODULE_FAMILIES: &[Family] = &[
    Family {
        group: "json",
        server_module: "ReJSON",
        load: Some(support::Module::Json),
        generated: cfg!(all(feature = "json", not(respec_valkey))),
    },
    Family {
        group: "search",
        server_module: "search",
        load: Some(support::Module::Search),
        generated: cfg!(all(feature = "search", not(respec_valkey))),
    },
    Family {
        group: "timeseries",
        server_module: "timeseries",
        load: Some(support::Module::TimeSeries),
        generated: cfg!(all(feature = "timeseries", not(respec_valkey))),
    },
    Family {
        group: "bloom",
        server_module: "bf",
        load: Some(support::Module::Bloom),
        generated: cfg!(all(feature = "bloom", not(respec_valkey))),
    },
    Family {
        group: "vectorset",
        server_module: "vectorset",
        load: None,
        generated: cfg!(all(feature = "vectorset", not(respec_valkey))),
    },
];

/// Module commands a representative call is not sent for, with the reason.
const MODULE_NOT_SENT: &[(&str, &str)] = &[
    (
        "TIMESERIES.FORCESHARDSCONNECTION",
        "a cluster-internal command that crashes a standalone server",
    ),
    (
        "FT.DEBUG DUMP_PHONETIC_HASH",
        "a developer command that crashes Search 2.10",
    ),
];

/// The families generated in this build (none with the Valkey specs).
fn generated_families() -> Vec<&'static Family> {
    let families: Vec<_> = MODULE_FAMILIES.iter().filter(|f| f.generated).collect();
    if families.is_empty() {
        println!(
            "no module family generated in this build: run with `--features modules` \
             (and the Redis specs) to check them"
        );
    }
    families
}

/// Redis 8.2.3 with the modules of the generated families loaded.
fn module_server(families: &[&Family]) -> support::Server {
    let mut b = support::Server::builder(Kind::Redis);
    for f in families {
        if let Some(m) = f.load {
            b = b.module(m);
        }
    }
    b.start()
}

#[test]
fn every_module_command_is_generated() {
    let families = generated_families();
    if families.is_empty() {
        return;
    }
    let server = module_server(&families);
    let client = respec::blocking::Client::open(&server.url()).unwrap();
    for f in &families {
        let live: BTreeSet<String> = client
            .query::<Vec<String>, _>(
                &Cmd::from_args(["COMMAND", "LIST", "FILTERBY", "MODULE", f.server_module])
                    .unwrap(),
            )
            .unwrap()
            .into_iter()
            .map(|n| n.to_ascii_uppercase())
            .collect();
        assert!(!live.is_empty(), "{}: the server has no commands", f.group);
        let generated: BTreeSet<String> = respec::commands::ALL
            .iter()
            .filter(|s| s.group == f.group)
            .map(|s| s.name.to_string())
            .collect();
        // The server names subcommands `CONTAINER|SUB`; a subcommand the
        // specs add under a container the server registers whole
        // (`FT.CONFIG GET` under `FT.CONFIG`) covers its container.
        let live: BTreeSet<String> = live.into_iter().map(|n| n.replace('|', " ")).collect();
        let container = |n: &str| n.split(' ').next().unwrap_or(n).to_string();
        let missing: Vec<_> = live
            .iter()
            .filter(|l| !generated.contains(*l) && !generated.iter().any(|g| container(g) == **l))
            .collect();
        let extra: Vec<_> = generated
            .iter()
            .filter(|g| !live.contains(*g) && !live.contains(&container(g)))
            .collect();
        println!(
            "{}: the server registers {} commands; generated: {} methods",
            f.group,
            live.len(),
            generated.len()
        );
        assert!(
            missing.is_empty(),
            "{}: not generated: {missing:?}",
            f.group
        );
        assert!(
            extra.is_empty(),
            "{}: not on the server: {extra:?}",
            f.group
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_representative_call_of_every_module_command_is_accepted() {
    let families = generated_families();
    if families.is_empty() {
        return;
    }
    let server = module_server(&families);
    let all = generated::samples();
    let mut failures = Vec::new();
    for f in &families {
        let samples: Vec<Sample> = all.iter().filter(|s| s.group == f.group).cloned().collect();
        let (sent, skipped, fails) = send_samples(&server.url(), &samples, MODULE_NOT_SENT).await;
        println!(
            "{}: representative calls: {sent} of {} commands sent and parsed by the server; \
             not sent: {skipped:?}",
            f.group,
            samples.len()
        );
        failures.extend(fails);
    }
    assert!(
        failures.is_empty(),
        "{} calls the server could not parse:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn module_key_positions_agree_with_command_getkeys() {
    let families = generated_families();
    if families.is_empty() {
        return;
    }
    let server = module_server(&families);
    let client = respec::blocking::Client::open(&server.url()).unwrap();
    let all = generated::samples();
    let mut disagreements = Vec::new();
    for f in &families {
        let samples: Vec<Sample> = all.iter().filter(|s| s.group == f.group).cloned().collect();
        let (compared, declined, bad) = compare_keys(&client, &samples);
        println!(
            "{}: key positions compared with COMMAND GETKEYS: {compared} commands; {} declined \
             by the server: {declined:?}",
            f.group,
            declined.len()
        );
        disagreements.extend(bad);
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
