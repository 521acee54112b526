//! The `tracing` and `metrics` features against a real Redis 8.2.3: a span
//! per command with its name, the server's address and the database, and
//! never an argument value or a password; events as `tracing` events; the
//! counters recorded through a `metrics` recorder. (Built with
//! `--features tracing,metrics`, as the test command builds everything.)

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use respec::prelude::*;
use respec::Cmd;
use support::Kind;

fn args(a: &[&str]) -> Cmd {
    Cmd::from_args(a).expect("a command")
}

// ---------------------------------------------------------------------------
// tracing
// ---------------------------------------------------------------------------

/// A span or an event as the subscriber saw it: its name and its fields.
#[derive(Debug, Clone)]
struct Record {
    span: bool,
    /// The span's id (`None` for an event), to find it when fields are
    /// recorded later.
    id: Option<u64>,
    name: String,
    fields: HashMap<String, String>,
}

/// A layer that keeps every span and event with their fields.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Record>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Record {
            span: true,
            id: Some(id.into_u64()),
            name: attrs.metadata().name().to_string(),
            fields,
        });
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        // Ids are reused once a span closes: the latest span with the id.
        let mut records = self.0.lock().unwrap();
        if let Some(r) = records
            .iter_mut()
            .rev()
            .find(|r| r.id == Some(id.into_u64()))
        {
            values.record(&mut Fields(&mut r.fields));
        }
    }

    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Record {
            span: false,
            id: None,
            name: event.metadata().target().to_string(),
            fields,
        });
    }
}

#[tokio::test]
async fn commands_run_in_spans_that_name_them_and_never_their_arguments() {
    use tracing_subscriber::layer::SubscriberExt;
    const PW: &str = "Tr4cing-Pa55word";
    const VALUE: &str = "the-secret-value";
    const KEY: &str = "the-private-key";
    let server = support::Server::builder(Kind::Redis).password(PW).start();
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    // This test's thread only; the current-thread runtime runs the
    // connection's driver here too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let url = format!("redis://:{PW}@127.0.0.1:{}/3", server.port());
    let client = respec::Client::open(&url).unwrap();
    client.set(KEY, VALUE).await.unwrap();
    let got = client.get(KEY).await.unwrap();
    assert_eq!(got.map(|v| v.to_string()).as_deref(), Some(VALUE));
    let mut pipe = respec::Pipeline::new();
    pipe.add(args(&["SET", KEY, VALUE]))
        .add(args(&["GET", KEY]));
    pipe.execute(&client).await.unwrap();
    let bad = respec::Client::open(&format!("redis://127.0.0.1:{}/0", server.port())).unwrap();
    let e = bad.execute(&args(&["GET", KEY])).await.unwrap_err();
    assert!(e.is_auth_error() || e.code() == Some("NOAUTH"), "{e:?}");
    let blocking = respec::blocking::Client::open(&url).unwrap();
    blocking.execute(&args(&["SET", KEY, VALUE])).unwrap();

    let records = capture.0.lock().unwrap().clone();
    let addr = format!("127.0.0.1:{}", server.port());
    let spans: Vec<&Record> = records
        .iter()
        .filter(|r| r.span && r.name == "redis.command")
        .collect();
    let named = |op: &str| {
        spans
            .iter()
            .filter(|r| r.fields.get("db.operation.name").map(String::as_str) == Some(op))
            .count()
    };
    // SET and GET of the async client, GET of the refused one, SET of the
    // blocking client.
    assert_eq!((named("SET"), named("GET")), (2, 2), "{spans:#?}");
    for span in &spans {
        assert_eq!(span.fields["db.system"], "redis");
        assert_eq!(span.fields["server.address"], addr);
    }
    assert!(spans.iter().any(|s| s.fields["db.namespace"] == "3"));
    let pipeline = records
        .iter()
        .find(|r| r.span && r.name == "redis.pipeline")
        .expect("a pipeline span");
    assert_eq!(pipeline.fields["db.operation.batch.size"], "2");
    // The connection events came as tracing events.
    let events: Vec<&str> = records
        .iter()
        .filter(|r| !r.span && r.name == "respec::events")
        .map(|r| r.fields["event"].as_str())
        .collect();
    assert!(events.contains(&"connected"), "{events:?}");
    assert!(events.contains(&"handshake_done"), "{events:?}");
    assert!(events.contains(&"connect_failed"), "{events:?}");

    let text = format!("{records:?}");
    for secret in [PW, VALUE, KEY] {
        assert!(!text.contains(secret), "{secret} shows in: {text}");
    }
}

/// The cluster clients' commands run in the same `redis.command` span,
/// with the node each went to (after a `MOVED`, the node that answered,
/// with the redirect as an event);
/// a command sent to every primary names no single node; never an
/// argument value. Their pipelines run in a `redis.pipeline` span that
/// names no node (a pipeline is split by node).
#[tokio::test]
async fn cluster_commands_run_in_spans_that_name_their_node() {
    use support::cluster::Cluster;
    use tracing_subscriber::layer::SubscriberExt;
    const VALUE: &str = "the-cluster-secret";
    const KEY: &str = "the-cluster-key";
    let mut cluster = Cluster::start(Kind::Redis, 3, 0);
    let owner = cluster.primary_for_key(KEY.as_bytes()).port;
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    // This test's thread only; the current-thread runtime runs the
    // cluster client's tasks here too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let seeds = cluster.seed_urls().join(",");
    let client = respec::cluster::ClusterClient::open(&seeds).unwrap();
    client.set(KEY, VALUE).await.unwrap();
    let got = client.get(KEY).await.unwrap();
    assert_eq!(got.map(|v| v.to_string()).as_deref(), Some(VALUE));
    let n: i64 = client.dbsize().await.unwrap();
    assert_eq!(n, 1);
    let blocking = respec::cluster::BlockingClusterClient::open(&seeds).unwrap();
    blocking.execute(&args(&["SET", KEY, VALUE])).unwrap();
    blocking.execute(&args(&["DBSIZE"])).unwrap();
    // The key's slot moves: the blocking client's map is behind, the old
    // owner answers MOVED, and the span names the node that answered.
    let to = cluster
        .primaries()
        .iter()
        .map(|p| p.port)
        .find(|&p| p != owner)
        .unwrap();
    cluster.move_slots([respec::cluster::key_slot(KEY.as_bytes())], owner, to);
    let got = blocking.execute(&args(&["GET", KEY])).unwrap();
    assert_eq!(got.as_bytes(), Some(VALUE.as_bytes()));
    let records = capture.0.lock().unwrap().clone();
    let node = format!("127.0.0.1:{owner}");
    let spans: Vec<&Record> = records
        .iter()
        .filter(|r| r.span && r.name == "redis.command")
        .collect();
    let named = |op: &str| -> Vec<&Record> {
        spans
            .iter()
            .copied()
            .filter(|r| r.fields.get("db.operation.name").map(String::as_str) == Some(op))
            .collect()
    };
    // SET and GET of the async client, SET of the blocking one: on the
    // key's owner, in database 0; the blocking GET after the move: on the
    // new owner.
    let (sets, gets) = (named("SET"), named("GET"));
    assert_eq!((sets.len(), gets.len()), (2, 2), "{spans:#?}");
    let moved = format!("127.0.0.1:{to}");
    assert_eq!(
        gets[1].fields.get("server.address"),
        Some(&moved),
        "{spans:#?}"
    );
    for span in [sets[0], sets[1], gets[0]] {
        assert_eq!(span.fields["db.system"], "redis");
        assert_eq!(span.fields.get("server.address"), Some(&node), "{span:#?}");
        assert_eq!(span.fields["db.namespace"], "0");
    }
    // DBSIZE went to every primary: no single node.
    let dbsize = named("DBSIZE");
    assert_eq!(dbsize.len(), 2, "{spans:#?}");
    for span in dbsize {
        assert_eq!(span.fields.get("server.address"), None, "{span:#?}");
    }
    assert!(
        records
            .iter()
            .any(|r| !r.span && r.fields.get("event").map(String::as_str) == Some("redirected")),
        "{records:#?}"
    );
    let text = format!("{records:?}");
    for secret in [VALUE, KEY] {
        assert!(!text.contains(secret), "{secret} shows in: {text}");
    }

    // Pipelines, split by node: a `redis.pipeline` span each, no node.
    let mut pipe = respec::Pipeline::new();
    pipe.add(args(&["GET", KEY]))
        .add(args(&["GET", "{other}key"]));
    assert_eq!(pipe.execute_cluster(&client).await.unwrap().len(), 2);
    pipe.add(args(&["GET", KEY]));
    assert_eq!(pipe.execute_blocking_cluster(&blocking).unwrap().len(), 3);

    let records = capture.0.lock().unwrap().clone();
    let pipelines: Vec<&Record> = records
        .iter()
        .filter(|r| r.span && r.name == "redis.pipeline")
        .collect();
    assert_eq!(pipelines.len(), 2, "{pipelines:#?}");
    for (span, size) in pipelines.iter().zip(["2", "3"]) {
        assert_eq!(span.fields["db.operation.batch.size"], size, "{span:#?}");
        assert_eq!(span.fields["db.namespace"], "0");
        assert_eq!(span.fields.get("server.address"), None, "{span:#?}");
    }
}

// ---------------------------------------------------------------------------
// metrics
// ---------------------------------------------------------------------------

/// A recorder that keeps counters and histograms by name and labels.
#[derive(Default)]
struct Recorder {
    counters: Mutex<HashMap<String, Arc<AtomicU64>>>,
    histograms: Mutex<HashMap<String, Arc<Samples>>>,
}

#[derive(Default)]
struct Samples(Mutex<Vec<f64>>);

impl metrics::HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.lock().unwrap().push(value);
    }
}

fn key_name(key: &metrics::Key) -> String {
    let mut name = key.name().to_string();
    for label in key.labels() {
        name.push_str(&format!("{{{}={}}}", label.key(), label.value()));
    }
    name
}

impl Recorder {
    fn counter(&self, name: &str) -> u64 {
        self.counters
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    fn samples(&self, name: &str) -> usize {
        self.histograms
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |h| h.0.lock().unwrap().len())
    }
}

impl metrics::Recorder for Recorder {
    fn describe_counter(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_gauge(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_histogram(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }

    fn register_counter(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        let c = self
            .counters
            .lock()
            .unwrap()
            .entry(key_name(key))
            .or_default()
            .clone();
        metrics::Counter::from_arc(c)
    }

    fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::noop()
    }

    fn register_histogram(
        &self,
        key: &metrics::Key,
        _: &metrics::Metadata<'_>,
    ) -> metrics::Histogram {
        let h = self
            .histograms
            .lock()
            .unwrap()
            .entry(key_name(key))
            .or_default()
            .clone();
        metrics::Histogram::from_arc(h)
    }
}

#[tokio::test]
async fn the_counters_go_to_the_installed_recorder() {
    let server = support::server(Kind::Redis);
    let recorder = Arc::new(Recorder::default());
    // The recorder in force when the client is built receives its counts.
    let client = metrics::with_local_recorder(recorder.as_ref(), || {
        respec::Client::open(&server.url()).unwrap()
    });
    for i in 0..7 {
        client.set(format!("k:{i}"), i).await.unwrap();
    }
    let e = client.incr("k:x").await;
    assert!(e.is_ok());
    client.set("k:s", "text").await.unwrap();
    assert!(client.incr("k:s").await.is_err());
    let m = client.metrics();
    assert_eq!(m.commands, 10);
    assert_eq!(recorder.counter("respec_commands_total"), m.commands);
    assert_eq!(recorder.counter("respec_bytes_sent_total"), m.bytes_sent);
    assert_eq!(
        recorder.counter("respec_bytes_received_total"),
        m.bytes_received
    );
    assert_eq!(recorder.counter("respec_errors_total{kind=server}"), 1);
    assert_eq!(recorder.counter("respec_errors_total{kind=timeout}"), 0);
    assert_eq!(recorder.samples("respec_command_duration_seconds"), 10);
    assert_eq!(
        recorder.counter("respec_events_total{event=handshake_done}"),
        1
    );
    assert_eq!(recorder.counter("respec_events_total{event=connected}"), 1);
}
