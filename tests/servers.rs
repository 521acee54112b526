//! The project's own test servers: every kind starts on a free port, the
//! Redis Stack modules load (TimeSeries through the unpacked libssl1.1), and
//! a missing server fails loudly with the install command.

mod support;

use support::{Kind, Module, Server};

fn text(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).into_owned()
}

#[test]
fn every_server_kind_starts_and_reports_its_version() {
    for kind in [Kind::Redis, Kind::Redis7, Kind::Valkey] {
        let server = support::server(kind);
        let info = text(&server.raw(&["INFO", "server"]));
        let (major, minor, patch) = kind.version();
        let field = if kind == Kind::Valkey {
            "valkey_version"
        } else {
            "redis_version"
        };
        assert!(
            info.contains(&format!("{field}:{major}.{minor}.{patch}")),
            "{kind:?}: {info}"
        );
        assert!(
            info.contains(&format!("tcp_port:{}", server.port())),
            "{info}"
        );
    }
}

#[test]
fn two_servers_of_a_kind_get_different_ports_and_stop_when_dropped() {
    let a = support::server(Kind::Redis);
    let b = support::server(Kind::Redis);
    assert_ne!(a.port(), b.port());
    let port = a.port();
    drop(a);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the dropped server still listens"
    );
}

#[test]
fn the_redis_stack_modules_load() {
    let server = Server::builder(Kind::Redis)
        .module(Module::Json)
        .module(Module::Search)
        .module(Module::TimeSeries)
        .module(Module::Bloom)
        .start();
    let list = text(&server.raw(&["MODULE", "LIST"])).to_lowercase();
    for name in ["rejson", "search", "timeseries", "bf"] {
        assert!(list.contains(name), "module {name} missing from {list}");
    }
    // Each module answers its own commands.
    assert_eq!(
        text(&server.raw(&["JSON.SET", "j", "$", "{\"a\":1}"])),
        "+OK\r\n"
    );
    assert_eq!(text(&server.raw(&["TS.CREATE", "ts"])), "+OK\r\n");
    assert_eq!(text(&server.raw(&["BF.ADD", "bf", "x"])), ":1\r\n");
    assert!(text(&server.raw(&["FT._LIST"])).starts_with('*'));
}

#[test]
fn a_missing_server_names_the_install_command() {
    let missing = std::path::PathBuf::from("/nonexistent/redis-server");
    let panic = std::panic::catch_unwind(|| support::require(missing, "Redis 9.9")).unwrap_err();
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(
        message.contains("bash scripts/install-servers"),
        "{message}"
    );
    assert!(message.contains("/nonexistent/redis-server"), "{message}");
}
