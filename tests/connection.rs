//! The connection layer against real servers: handshake in RESP2 and RESP3,
//! authentication, database selection, client names, URLs (TCP, Unix
//! socket, TLS), multiplexing, push routing, every RESP3 type a real server
//! sends, pipelined requests and response timeouts.

#![allow(clippy::approx_constant)] // DEBUG PROTOCOL double answers 3.141

mod support;

use std::time::Duration;

use respec::connection::{sync, Connection, ConnectionConfig, Protocol};
use respec::{Cmd, ErrorKind, Frame};
use support::{Kind, Server};

fn cmd(args: &[&str]) -> Cmd {
    Cmd::from_args(args.iter().copied()).expect("non-empty")
}

/// The error a `PING` through a new client for `url` fails with.
async fn ping_error(url: &str) -> respec::Error {
    respec::Client::open(url)
        .unwrap()
        .execute(&cmd(&["PING"]))
        .await
        .unwrap_err()
}

fn text(f: &Frame) -> String {
    String::from_utf8_lossy(
        f.as_bytes()
            .unwrap_or_else(|| panic!("not a string: {f:?}")),
    )
    .into_owned()
}

/// The value of `field=` in a CLIENT INFO line.
fn client_field(info: &str, field: &str) -> Option<String> {
    info.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{field}=")).map(str::to_string))
}

const KINDS: [Kind; 3] = [Kind::Redis, Kind::Redis7, Kind::Valkey];

fn expected_version(kind: Kind) -> (u16, u16, u16) {
    match kind {
        Kind::Redis => (8, 2, 3),
        Kind::Redis7 => (7, 0, 15),
        Kind::Valkey => (9, 1, 2),
    }
}

#[tokio::test]
async fn handshake_in_both_protocols_on_every_server() {
    for kind in KINDS {
        let server = support::server(kind);
        for (proto, n) in [(Protocol::Resp2, "2"), (Protocol::Resp3, "3")] {
            let url = format!("{}/3?protocol={n}&client_name=hs-{n}", server.url());
            let client = respec::Client::open(&url).unwrap();
            let info = client.server_info().await.unwrap();
            assert_eq!(info.version, expected_version(kind), "{kind:?}");
            assert_eq!(info.protocol, proto);
            assert_eq!(
                info.server,
                if kind == Kind::Valkey {
                    "valkey"
                } else {
                    "redis"
                }
            );
            let line = text(&client.execute(&cmd(&["CLIENT", "INFO"])).await.unwrap());
            assert_eq!(
                client_field(&line, "resp").as_deref(),
                Some(n),
                "{kind:?}: {line}"
            );
            assert_eq!(client_field(&line, "db").as_deref(), Some("3"));
            assert_eq!(client_field(&line, "name"), Some(format!("hs-{n}")));
            // CLIENT SETINFO exists from Redis 7.2 (and in every Valkey).
            let lib = client_field(&line, "lib-name");
            if kind == Kind::Redis7 {
                assert_eq!(lib, None, "{line}");
            } else {
                assert_eq!(lib.as_deref(), Some("respec"), "{kind:?}: {line}");
                assert_eq!(
                    client_field(&line, "lib-ver").as_deref(),
                    Some(env!("CARGO_PKG_VERSION"))
                );
            }

            // The blocking driver runs the same handshake.
            let blocking = respec::blocking::Client::open(&url).unwrap();
            assert_eq!(blocking.server_info().unwrap().protocol, proto);
            let line = text(&blocking.execute(&cmd(&["CLIENT", "INFO"])).unwrap());
            assert_eq!(client_field(&line, "resp").as_deref(), Some(n));
            assert_eq!(client_field(&line, "db").as_deref(), Some("3"));
        }
    }
}

#[tokio::test]
async fn passwords_and_acl_users() {
    for kind in KINDS {
        let server = Server::builder(kind)
            .password("s3cret")
            .acl_user("alice", "on >wonder ~* &* +@all")
            .start();
        let port = server.port();
        for proto in ["2", "3"] {
            let ok = respec::Client::open(&format!(
                "redis://:s3cret@127.0.0.1:{port}?protocol={proto}"
            ))
            .unwrap();
            let who = ok.execute(&cmd(&["ACL", "WHOAMI"])).await.unwrap();
            assert_eq!(text(&who), "default");

            let alice = respec::Client::open(&format!(
                "redis://alice:wonder@127.0.0.1:{port}?protocol={proto}"
            ))
            .unwrap();
            assert_eq!(
                text(&alice.execute(&cmd(&["ACL", "WHOAMI"])).await.unwrap()),
                "alice"
            );

            let bad =
                respec::Client::open(&format!("redis://:nope@127.0.0.1:{port}?protocol={proto}"))
                    .unwrap();
            let e = bad.execute(&cmd(&["PING"])).await.unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::Auth, "{kind:?}: {e}");

            let none = respec::Client::open(&format!("redis://127.0.0.1:{port}?protocol={proto}"))
                .unwrap();
            let e = none.execute(&cmd(&["PING"])).await.unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::Auth, "{kind:?}: {e}");

            let blocking = respec::blocking::Client::open(&format!(
                "redis://alice:wonder@127.0.0.1:{port}?protocol={proto}"
            ))
            .unwrap();
            assert_eq!(
                text(&blocking.execute(&cmd(&["ACL", "WHOAMI"])).unwrap()),
                "alice"
            );
            let blocking_bad =
                respec::blocking::Client::open(&format!("redis://alice:x@127.0.0.1:{port}"))
                    .unwrap();
            assert_eq!(
                blocking_bad.execute(&cmd(&["PING"])).unwrap_err().kind(),
                &ErrorKind::Auth
            );
        }
    }
}

#[tokio::test]
async fn selecting_a_missing_database_fails_clearly() {
    let server = support::server(Kind::Redis);
    let client = respec::Client::open(&format!("{}/99", server.url())).unwrap();
    let e = client.execute(&cmd(&["PING"])).await.unwrap_err();
    assert_eq!(e.command(), Some("SELECT"), "{e}");
    assert!(e.to_string().contains("DB index is out of range"), "{e}");
}

#[tokio::test]
async fn unix_socket_urls() {
    let server = Server::builder(Kind::Redis).unix_socket().start();
    let path = server.unix_path().display().to_string();
    for url in [
        format!("unix://{path}?db=2"),
        format!("redis+unix://{path}?db=2&protocol=2"),
    ] {
        let client = respec::Client::open(&url).unwrap();
        let line = text(&client.execute(&cmd(&["CLIENT", "INFO"])).await.unwrap());
        assert_eq!(client_field(&line, "db").as_deref(), Some("2"), "{url}");
        let blocking = respec::blocking::Client::open(&url).unwrap();
        blocking.execute(&cmd(&["SET", "via-unix", "yes"])).unwrap();
        assert_eq!(
            text(&client.execute(&cmd(&["GET", "via-unix"])).await.unwrap()),
            "yes"
        );
    }
}

#[tokio::test]
async fn a_plain_client_at_a_tls_port_is_told_to_use_rediss() {
    let server = Server::builder(Kind::Redis7).tls_only().start();
    let plain = format!("redis://127.0.0.1:{}", server.tls_port());
    let client = respec::Client::open(&plain).unwrap();
    let e = client.execute(&cmd(&["PING"])).await.unwrap_err();
    assert!(e.is_connection_dropped(), "{e}");
    assert!(
        e.to_string().contains("connect with a rediss:// URL"),
        "{e}"
    );
    let blocking = respec::blocking::Client::open(&plain).unwrap();
    let e = blocking.execute(&cmd(&["PING"])).unwrap_err();
    assert!(e.is_connection_dropped(), "{e}");
    assert!(e.to_string().contains("rediss://"), "{e}");
    // A refused connection (nothing listening) is not given the hint.
    let port = server.tls_port();
    drop(server);
    let client = respec::Client::open(&format!("redis://127.0.0.1:{port}")).unwrap();
    let e = client.execute(&cmd(&["PING"])).await.unwrap_err();
    assert!(!e.to_string().contains("rediss://"), "{e}");
}

#[tokio::test]
async fn tls_with_ca_client_certificates_and_insecure() {
    // The server's default, said out loud: a client must present a
    // certificate signed by the CA.
    let server = Server::builder(Kind::Redis7)
        .tls()
        .arg("tls-auth-clients", "yes")
        .start();
    let ca = server.ca_cert_path().display().to_string();
    let cert = server.client_cert_path().display().to_string();
    let key = server.client_key_path().display().to_string();
    let base = server.tls_url();
    let good = format!("{base}?ssl_ca_certs={ca}&ssl_certfile={cert}&ssl_keyfile={key}");
    for proto in ["2", "3"] {
        let client = respec::Client::open(&format!("{good}&protocol={proto}")).unwrap();
        let pong = client.execute(&cmd(&["PING"])).await.unwrap();
        assert_eq!(pong, Frame::SimpleString("PONG".into()));
        let blocking = respec::blocking::Client::open(&format!("{good}&protocol={proto}")).unwrap();
        blocking.execute(&cmd(&["SET", "tls", "on"])).unwrap();
        assert_eq!(
            text(&blocking.execute(&cmd(&["GET", "tls"])).unwrap()),
            "on"
        );
    }
    // Certificate checks off: no CA needed (the server still wants a client cert).
    let insecure = format!("{base}?ssl_certfile={cert}&ssl_keyfile={key}#insecure");
    let client = respec::Client::open(&insecure).unwrap();
    assert_eq!(
        client.execute(&cmd(&["PING"])).await.unwrap(),
        Frame::SimpleString("PONG".into())
    );

    // Without our CA (the bundled Web PKI roots) the server's certificate
    // is rejected, the error naming the failed check.
    let unknown_issuer = "invalid peer certificate: UnknownIssuer: certificate verification \
                          failed: the server's certificate is not signed by a trusted \
                          certificate authority";
    let client =
        respec::Client::open(&format!("{base}?ssl_certfile={cert}&ssl_keyfile={key}")).unwrap();
    let e = client.execute(&cmd(&["PING"])).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains(unknown_issuer), "{e}");
    let blocking =
        respec::blocking::Client::open(&format!("{base}?ssl_certfile={cert}&ssl_keyfile={key}"))
            .unwrap();
    let e = blocking.execute(&cmd(&["PING"])).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains(unknown_issuer), "{e}");

    // A wrong CA (another one, made now): the same verification failure,
    // naming the server.
    let other = support::make_certs_with_ca_name(&support::scratch_dir("other-ca"), "other CA");
    let wrong_ca = format!(
        "{base}?ssl_ca_certs={}&ssl_certfile={cert}&ssl_keyfile={key}",
        other.ca.display()
    );
    let e = ping_error(&wrong_ca).await;
    assert_eq!(e.kind(), &ErrorKind::Tls, "{e}");
    let host = base.trim_start_matches("rediss://");
    assert!(
        e.to_string().contains(&format!(
            "TLS handshake with {host} failed: {unknown_issuer}"
        )),
        "{e}"
    );
    let e = respec::blocking::Client::open(&wrong_ca)
        .unwrap()
        .execute(&cmd(&["PING"]))
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains(unknown_issuer), "{e}");
    // An impostor CA with the trusted one's name: its signature fails.
    let impostor = support::make_certs(&support::scratch_dir("impostor-ca"));
    let e = ping_error(&format!(
        "{base}?ssl_ca_certs={}&ssl_certfile={cert}&ssl_keyfile={key}",
        impostor.ca.display()
    ))
    .await;
    assert_eq!(e.kind(), &ErrorKind::Tls, "{e}");
    assert!(
        e.to_string().contains(
            "invalid peer certificate: BadSignature: certificate verification failed: a \
             signature does not verify"
        ),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(impostor.ca.parent().unwrap());

    // Mutual TLS (`tls-auth-clients yes`): without a client certificate
    // the server refuses the connection, and the error says it wanted one.
    let no_cert = format!("{base}?ssl_ca_certs={ca}");
    let wants_cert = "received fatal alert: CertificateRequired: the server requires a client \
                      certificate";
    let e = ping_error(&no_cert).await;
    assert_eq!(e.kind(), &ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains(wants_cert), "{e}");
    let e = respec::blocking::Client::open(&no_cert)
        .unwrap()
        .execute(&cmd(&["PING"]))
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains(wants_cert), "{e}");
    // A client certificate of another CA is refused too.
    let foreign_cert = format!(
        "{base}?ssl_ca_certs={ca}&ssl_certfile={}&ssl_keyfile={}",
        other.client_cert.display(),
        other.client_key.display()
    );
    let e = ping_error(&foreign_cert).await;
    assert_eq!(e.kind(), &ErrorKind::Tls, "{e}");
    assert!(
        e.to_string()
            .contains("the server refused the client certificate"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(other.ca.parent().unwrap());

    // A missing CA file is a clear TLS error naming the file.
    let client = respec::Client::open(&format!("{base}?ssl_ca_certs=/nonexistent/ca.pem")).unwrap();
    let e = client.execute(&cmd(&["PING"])).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Tls);
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
}

/// `ssl_ca_certs=system` trusts the operating system's certificate store
/// (beside the Web PKI roots, which cannot vouch for the test CA), which
/// `SSL_CERT_FILE` points at here: with the test CA in it the server is
/// trusted; with only an unrelated certificate in it the handshake fails
/// with a verification error. (The variable is read by this test alone.
/// That the Web PKI roots stay trusted is checked from values in the
/// `connection::tls` unit tests.)
#[tokio::test]
async fn tls_with_the_system_certificate_store() {
    let server = Server::builder(Kind::Redis7).tls().start();
    let ca = server.ca_cert_path().display().to_string();
    let cert = server.client_cert_path().display().to_string();
    let key = server.client_key_path().display().to_string();
    let url = format!(
        "{}?ssl_ca_certs=system&ssl_certfile={cert}&ssl_keyfile={key}",
        server.tls_url()
    );
    // SAFETY: no other thread of this test process reads or writes the
    // environment while it is set (each test is its own process under
    // nextest; under `cargo test` nothing else reads SSL_CERT_FILE).
    unsafe { std::env::set_var("SSL_CERT_FILE", &ca) };
    let client = respec::Client::open(&url).unwrap();
    assert_eq!(
        client.execute(&cmd(&["PING"])).await.unwrap(),
        Frame::SimpleString("PONG".into())
    );
    let blocking = respec::blocking::Client::open(&url).unwrap();
    assert_eq!(
        blocking.execute(&cmd(&["PING"])).unwrap(),
        Frame::SimpleString("PONG".into())
    );
    // A store without the test CA: the server's certificate is refused.
    unsafe { std::env::set_var("SSL_CERT_FILE", &cert) };
    let client = respec::Client::open(&url).unwrap();
    let e = client.execute(&cmd(&["PING"])).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Tls, "{e}");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    unsafe { std::env::remove_var("SSL_CERT_FILE") };
}

/// `tasks` tasks, each setting and reading back `each` keys of its own
/// (`task{t}:{i}`) through one client, every value checked.
async fn set_and_get_from_tasks(client: &respec::Client, tasks: usize, each: usize) {
    let mut handles = Vec::new();
    for t in 0..tasks {
        let client = client.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..each {
                let key = format!("task{t}:{i}");
                let value = format!("value-{t}-{i}");
                client.execute(&cmd(&["SET", &key, &value])).await.unwrap();
                let got = client.execute(&cmd(&["GET", &key])).await.unwrap();
                assert_eq!(text(&got), value);
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_share_one_socket() {
    let server = support::server(Kind::Redis);
    let client = respec::Client::open(&format!("{}?client_name=shared", server.url())).unwrap();
    set_and_get_from_tasks(&client, 50, 200).await;
    let list = text(&client.execute(&cmd(&["CLIENT", "LIST"])).await.unwrap());
    let ours = list
        .lines()
        .filter(|l| client_field(l, "name").as_deref() == Some("shared"))
        .count();
    assert_eq!(ours, 1, "{list}");
    let dbsize = client.execute(&cmd(&["DBSIZE"])).await.unwrap();
    assert_eq!(dbsize, Frame::Integer(50 * 200));
}

#[test]
fn blocking_reads_large_and_small_replies_alike() {
    // The blocking driver grows and shrinks how much it reads at once: large
    // values between small ones must come back whole and in order.
    let server = support::server(Kind::Redis);
    let client = respec::blocking::Client::open(&server.url()).unwrap();
    let sizes = [3 * 1024 * 1024, 10, 70_000, 1, 4096, 4097, 1_500_000, 0, 5];
    for (i, &size) in sizes.iter().enumerate() {
        let value: Vec<u8> = (0..size).map(|b| (b * 7 + i) as u8).collect();
        let mut set = Cmd::new("SET");
        set.arg(format!("big:{i}")).arg(&value[..]);
        client.execute(&set).unwrap();
    }
    for round in 0..3 {
        for (i, &size) in sizes.iter().enumerate() {
            let got: bytes::Bytes = client.query(&cmd(&["GET", &format!("big:{i}")])).unwrap();
            assert_eq!(got.len(), size, "round {round}, value {i}");
            assert!(
                got.iter().enumerate().all(|(b, &v)| v == (b * 7 + i) as u8),
                "round {round}, value {i} differs"
            );
        }
    }
    let all = client
        .pipeline(
            &sizes
                .iter()
                .enumerate()
                .map(|(i, _)| cmd(&["STRLEN", &format!("big:{i}")]))
                .collect::<Vec<_>>(),
        )
        .unwrap();
    let lens: Vec<i64> = all
        .into_iter()
        .map(|f| respec::FromResp::from_resp(f).unwrap())
        .collect();
    assert_eq!(lens, sizes.iter().map(|&s| s as i64).collect::<Vec<_>>());
}

fn info_counter(info: &str, field: &str) -> u64 {
    info.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO has no {field}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_write_batching_every_reply_still_reaches_its_task() {
    let server = support::server(Kind::Redis);
    let client = respec::Client::builder(&server.url())
        .unwrap()
        .batch_writes(false)
        .build();
    assert!(!client.config().batch_writes);
    set_and_get_from_tasks(&client, 32, 100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_of_many_tasks_share_writes() {
    // Auto-pipelining, seen from the server: 64 tasks each awaiting one GET
    // at a time through one client. The server's count of socket reads
    // shows how many writes carried them; one write per request would make
    // it at least the number of requests.
    let server = support::server(Kind::Redis);
    let client = respec::Client::open(&server.url()).unwrap();
    let info = |c: respec::Client| async move {
        text(&c.execute(&cmd(&["INFO", "stats"])).await.unwrap())
    };
    let before = info_counter(&info(client.clone()).await, "total_reads_processed");
    let (tasks, each) = (64, 200);
    let mut handles = Vec::new();
    for t in 0..tasks {
        let client = client.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..each {
                let got = client
                    .execute(&cmd(&["GET", &format!("k{t}")]))
                    .await
                    .unwrap();
                assert_eq!(got, Frame::Null);
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let after = info_counter(&info(client.clone()).await, "total_reads_processed");
    let reads = after - before;
    let requests = (tasks * each) as u64;
    eprintln!("{requests} requests, {reads} server reads");
    assert!(
        reads * 8 < requests,
        "{requests} requests took {reads} server reads: fewer than 8 requests per write"
    );
}

#[tokio::test]
async fn push_frames_are_routed_apart_from_replies() {
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = support::server(kind);
        let cfg = ConnectionConfig::from_url(&server.url()).unwrap();
        let (conn, mut pushes) = Connection::connect_with_pushes(&cfg).await.unwrap();
        conn.send(&cmd(&["CLIENT", "TRACKING", "ON"]))
            .await
            .unwrap();
        conn.send(&cmd(&["SET", "tracked", "1"])).await.unwrap();
        assert_eq!(
            text(&conn.send(&cmd(&["GET", "tracked"])).await.unwrap()),
            "1"
        );

        let other = respec::Client::open(&server.url()).unwrap();
        other.execute(&cmd(&["SET", "tracked", "2"])).await.unwrap();
        let push = tokio::time::timeout(Duration::from_secs(5), pushes.recv())
            .await
            .expect("no invalidation within 5 s")
            .expect("push channel closed");
        let Frame::Push(items) = push else {
            panic!("{push:?}")
        };
        assert_eq!(text(&items[0]), "invalidate");
        assert_eq!(
            items[1],
            Frame::Array(vec![Frame::BulkString("tracked".into())])
        );
        // Replies keep flowing in order around the push.
        assert_eq!(
            text(&conn.send(&cmd(&["GET", "tracked"])).await.unwrap()),
            "2"
        );

        // The blocking driver keeps pushes aside for next_push.
        let mut sync_conn = sync::Connection::connect(&cfg).unwrap();
        sync_conn.send(&cmd(&["CLIENT", "TRACKING", "ON"])).unwrap();
        sync_conn.send(&cmd(&["GET", "tracked"])).unwrap();
        other.execute(&cmd(&["DEL", "tracked"])).await.unwrap();
        let push = sync_conn
            .next_push(Duration::from_secs(5))
            .unwrap()
            .expect("no push");
        let Frame::Push(items) = push else {
            panic!("{push:?}")
        };
        assert_eq!(text(&items[0]), "invalidate");
        assert_eq!(
            sync_conn.next_push(Duration::from_millis(100)).unwrap(),
            None
        );
        assert_eq!(
            sync_conn.send(&cmd(&["PING"])).unwrap(),
            Frame::SimpleString("PONG".into())
        );
    }
}

/// `DEBUG PROTOCOL <type>` makes a real server send each RESP3 type.
#[tokio::test]
async fn every_resp3_type_from_a_real_server() {
    for kind in [Kind::Redis, Kind::Valkey] {
        let server = Server::builder(kind)
            .arg("--enable-debug-command", "yes")
            .start();
        let client = respec::Client::open(&server.url()).unwrap();
        let debug = |t: &'static str| client.execute(&cmd(&["DEBUG", "PROTOCOL", t]));
        assert_eq!(
            debug("string").await.unwrap(),
            Frame::BulkString("Hello World".into())
        );
        assert_eq!(debug("integer").await.unwrap(), Frame::Integer(12345));
        assert_eq!(debug("double").await.unwrap(), Frame::Double(3.141));
        assert_eq!(
            debug("bignum").await.unwrap(),
            Frame::BigNumber("1234567999999999999999999999999999999".into())
        );
        assert_eq!(debug("null").await.unwrap(), Frame::Null);
        assert_eq!(
            debug("array").await.unwrap(),
            Frame::Array(vec![
                Frame::Integer(0),
                Frame::Integer(1),
                Frame::Integer(2)
            ])
        );
        assert_eq!(
            debug("set").await.unwrap(),
            Frame::Set(vec![
                Frame::Integer(0),
                Frame::Integer(1),
                Frame::Integer(2)
            ])
        );
        assert_eq!(
            debug("map").await.unwrap(),
            Frame::Map(vec![
                (Frame::Integer(0), Frame::Boolean(false)),
                (Frame::Integer(1), Frame::Boolean(true)),
                (Frame::Integer(2), Frame::Boolean(false)),
            ])
        );
        assert_eq!(debug("true").await.unwrap(), Frame::Boolean(true));
        assert_eq!(debug("false").await.unwrap(), Frame::Boolean(false));
        match debug("verbatim").await.unwrap() {
            Frame::VerbatimString { format, text } => {
                assert_eq!(&format, b"txt");
                assert_eq!(&text[..], b"This is a verbatim\nstring");
            }
            other => panic!("{other:?}"),
        }
        // The attribute annotates the reply; the reply is what the caller gets.
        assert_eq!(
            debug("attrib").await.unwrap(),
            Frame::BulkString("Some real reply following the attribute".into())
        );
        // RESP2 forms of the same values.
        let resp2 = respec::Client::open(&format!("{}?protocol=2", server.url())).unwrap();
        let r2 = |t: &'static str| resp2.execute(&cmd(&["DEBUG", "PROTOCOL", t]));
        assert_eq!(r2("null").await.unwrap(), Frame::Null);
        assert_eq!(
            r2("double").await.unwrap(),
            Frame::BulkString("3.141".into())
        );
        assert_eq!(r2("true").await.unwrap(), Frame::Integer(1));
        assert_eq!(
            r2("map").await.unwrap(),
            Frame::Array(vec![
                Frame::Integer(0),
                Frame::Integer(0),
                Frame::Integer(1),
                Frame::Integer(1),
                Frame::Integer(2),
                Frame::Integer(0)
            ])
        );
        // Infinite doubles.
        client
            .execute(&cmd(&["ZADD", "z", "inf", "top", "-inf", "bottom"]))
            .await
            .unwrap();
        assert_eq!(
            client.execute(&cmd(&["ZSCORE", "z", "top"])).await.unwrap(),
            Frame::Double(f64::INFINITY)
        );
        assert_eq!(
            client
                .execute(&cmd(&["ZSCORE", "z", "bottom"]))
                .await
                .unwrap(),
            Frame::Double(f64::NEG_INFINITY)
        );
    }
}

#[tokio::test]
async fn raw_pipelined_request_keeps_per_command_errors() {
    let server = support::server(Kind::Redis);
    let client = respec::Client::open(&server.url()).unwrap();
    let conn = client.connection().await.unwrap();
    let mut bytes = bytes::BytesMut::new();
    use respec::Command;
    cmd(&["SET", "p", "1"]).encode(&mut bytes);
    cmd(&["LPUSH", "p", "x"]).encode(&mut bytes);
    cmd(&["INCR", "p"]).encode(&mut bytes);
    let reply = conn.send_encoded(bytes.freeze(), 3, true).await.unwrap();
    let Frame::Array(items) = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(items[0], Frame::SimpleString("OK".into()));
    assert!(items[1].error_message().unwrap().starts_with(b"WRONGTYPE"));
    assert_eq!(items[2], Frame::Integer(2));

    let blocking = respec::blocking::Client::open(&server.url()).unwrap();
    let replies = blocking
        .pipeline(&[
            cmd(&["INCR", "p"]),
            cmd(&["HSET", "p", "f", "v"]),
            cmd(&["GET", "p"]),
        ])
        .unwrap();
    assert_eq!(replies[0], Frame::Integer(3));
    assert!(replies[1].is_error());
    assert_eq!(text(&replies[2]), "3");
}

#[tokio::test]
async fn server_errors_name_the_command() {
    let server = support::server(Kind::Redis);
    let client = respec::Client::open(&server.url()).unwrap();
    client.execute(&cmd(&["SET", "s", "x"])).await.unwrap();
    let e = client
        .execute(&cmd(&["LPUSH", "s", "y"]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("WRONGTYPE"));
    assert_eq!(e.command(), Some("LPUSH"));
    assert!(e.is_server_error());
    let e = client
        .execute(&cmd(&["CLIENT", "NOSUCH"]))
        .await
        .unwrap_err();
    assert_eq!(e.command(), Some("CLIENT NOSUCH"));
    assert_eq!(e.code(), Some("ERR"));
    // The connection is still fine after error replies.
    assert_eq!(
        client.execute(&cmd(&["PING"])).await.unwrap(),
        Frame::SimpleString("PONG".into())
    );
}

#[tokio::test]
async fn response_timeout_keeps_later_replies_in_step() {
    let server = Server::builder(Kind::Redis)
        .arg("--enable-debug-command", "yes")
        .start();
    let client = respec::Client::open(&format!("{}?socket_timeout=0.2", server.url())).unwrap();
    let e = client
        .execute(&cmd(&["DEBUG", "SLEEP", "0.6"]))
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(e.command(), Some("DEBUG"));
    // The late +OK of DEBUG SLEEP must not be taken for this reply.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = client.execute(&cmd(&["ECHO", "after"])).await.unwrap();
    assert_eq!(r, Frame::BulkString("after".into()));

    // Blocking: a timeout breaks the connection; the client reconnects.
    let blocking =
        respec::blocking::Client::open(&format!("{}?socket_timeout=0.2", server.url())).unwrap();
    let e = blocking
        .execute(&cmd(&["DEBUG", "SLEEP", "0.6"]))
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        blocking.execute(&cmd(&["ECHO", "again"])).unwrap(),
        Frame::BulkString("again".into())
    );
}

#[tokio::test]
async fn reconnects_on_the_next_command_after_a_restart() {
    let mut server = support::server(Kind::Redis);
    let client = respec::Client::open(&server.url()).unwrap();
    let blocking = respec::blocking::Client::open(&server.url()).unwrap();
    assert_eq!(
        client.execute(&cmd(&["PING"])).await.unwrap(),
        Frame::SimpleString("PONG".into())
    );
    blocking.execute(&cmd(&["PING"])).unwrap();
    server.restart();
    // The first command may see the old socket die; it must fail fast, not hang.
    let first = tokio::time::timeout(Duration::from_secs(5), client.execute(&cmd(&["PING"])))
        .await
        .expect("hung");
    if let Err(e) = &first {
        assert!(e.is_connection_dropped(), "{e}");
    }
    let again = client.execute(&cmd(&["PING"])).await.unwrap();
    assert_eq!(again, Frame::SimpleString("PONG".into()));
    if let Err(e) = blocking.execute(&cmd(&["PING"])) {
        assert!(e.is_connection_dropped(), "{e}");
    }
    assert_eq!(
        blocking.execute(&cmd(&["PING"])).unwrap(),
        Frame::SimpleString("PONG".into())
    );
}
