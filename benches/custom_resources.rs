//! The generic path at scale: 10,000 custom resources (the docs' CronTab,
//! through its CRD's schema) and 10,000 ConfigMaps created through the API
//! server's request path, each kind listed whole, the RSS each object
//! adds, and one change fanned out to 100 watchers. Prints a table.
//!
//!     cargo bench --bench custom_resources
//!
//! Requests go through `apiserver::serve_local`: the same decoding,
//! admission, validation, store and encoding as kubectl's requests, without
//! TLS, so the list times are the server's side of a list.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use http_body_util::BodyExt;
use podium::api::Kind;
use podium::apiserver::{ServerState, serve_local};
use podium::cluster::{Cluster, ClusterConfig};

const OBJECTS: usize = 10_000;
const WATCHERS: usize = 100;
const LIST_RUNS: usize = 5;

const CRD: &str = r#"{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
"metadata":{"name":"crontabs.stable.example.com"},
"spec":{"group":"stable.example.com","scope":"Namespaced",
"names":{"plural":"crontabs","singular":"crontab","kind":"CronTab","shortNames":["ct"]},
"versions":[{"name":"v1","served":true,"storage":true,
"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{
"cronSpec":{"type":"string","pattern":"^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"},
"image":{"type":"string"},"replicas":{"type":"integer","minimum":1,"maximum":10}}}}}},
"additionalPrinterColumns":[{"name":"Spec","type":"string","jsonPath":".spec.cronSpec"}]}]}}"#;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn call(state: &ServerState, method: Method, uri: &str, body: String) -> (u16, Bytes) {
    let response = serve_local(
        state,
        method,
        uri,
        Some("application/json"),
        Bytes::from(body),
    )
    .await;
    let code = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    (code, bytes)
}

async fn create_all(state: &ServerState, uri: &str, body: impl Fn(usize) -> String) -> Duration {
    let started = Instant::now();
    for i in 0..OBJECTS {
        let (code, bytes) = call(state, Method::POST, uri, body(i)).await;
        assert_eq!(code, 201, "{}", String::from_utf8_lossy(&bytes));
    }
    started.elapsed()
}

/// The median of LIST_RUNS whole lists, and the bytes of one.
async fn list(state: &ServerState, uri: &str) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..LIST_RUNS {
        let started = Instant::now();
        let (code, bytes) = call(state, Method::GET, uri, String::new()).await;
        times.push(started.elapsed());
        assert_eq!(code, 200);
        size = bytes.len();
    }
    times.sort();
    (times[LIST_RUNS / 2], size)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = Cluster::start(ClusterConfig::sim_in_memory(dir.path()))
        .await
        .expect("cluster");
    let state = cluster.api_state();
    let (code, bytes) = call(
        &state,
        Method::POST,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        CRD.to_string(),
    )
    .await;
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&bytes));

    let base = rss_kib();
    let crontabs = "/apis/stable.example.com/v1/namespaces/default/crontabs";
    let create_cr = create_all(&state, crontabs, |i| {
        format!(r#"{{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{{"name":"cron-{i}","labels":{{"app":"bench"}}}},"spec":{{"cronSpec":"*/5 * * * *","image":"my-cron-image:{i}","replicas":{}}}}}"#, 1 + i % 10)
    })
    .await;
    let after_cr = rss_kib();
    let configmaps = "/api/v1/namespaces/default/configmaps";
    let create_cm = create_all(&state, configmaps, |i| {
        format!(r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"settings-{i}","labels":{{"app":"bench"}}}},"data":{{"color":"blue","size":"{i}"}}}}"#)
    })
    .await;
    let after_cm = rss_kib();

    let (list_cr, bytes_cr) = list(&state, crontabs).await;
    let (list_cm, bytes_cm) = list(&state, configmaps).await;

    // One change per round seen by every watcher of the custom kind.
    let kind = Kind::from_plural("stable.example.com", "crontabs").expect("registered");
    let mut watches: Vec<_> = (0..WATCHERS)
        .map(|_| cluster.store.watch(Some(kind), None).expect("watch"))
        .collect();
    let rounds = 100;
    let started = Instant::now();
    for round in 0..rounds {
        // Each round changes the value (a no-op patch sends no event).
        let body = format!(r#"{{"spec":{{"replicas":{}}}}}"#, 2 + round % 9);
        let response = serve_local(
            &state,
            Method::PATCH,
            &format!("{crontabs}/cron-0"),
            Some("application/merge-patch+json"),
            Bytes::from(body),
        )
        .await;
        assert_eq!(response.status().as_u16(), 200);
        for watch in &mut watches {
            watch.next().await.expect("event");
        }
    }
    let fan_out = started.elapsed() / rounds;

    let per =
        |after: u64, before: u64| (after.saturating_sub(before)) as f64 * 1024.0 / OBJECTS as f64;
    println!("| measure | measured | target |");
    println!("|---|---|---|");
    println!(
        "| create {OBJECTS} CronTabs (schema-validated) | {} ({:.0}/s) | — |",
        ms(create_cr),
        OBJECTS as f64 / create_cr.as_secs_f64()
    );
    println!(
        "| create {OBJECTS} ConfigMaps | {} ({:.0}/s) | — |",
        ms(create_cm),
        OBJECTS as f64 / create_cm.as_secs_f64()
    );
    println!(
        "| list {OBJECTS} CronTabs, whole (median of {LIST_RUNS}, {:.1} MB) | {} | ≤ 100 ms |",
        bytes_cr as f64 / 1e6,
        ms(list_cr)
    );
    println!(
        "| list {OBJECTS} ConfigMaps, whole (median of {LIST_RUNS}, {:.1} MB) | {} | ≤ 100 ms |",
        bytes_cm as f64 / 1e6,
        ms(list_cm)
    );
    println!(
        "| RSS added per CronTab | {:.0} bytes | — |",
        per(after_cr, base)
    );
    println!(
        "| RSS added per ConfigMap | {:.0} bytes | — |",
        per(after_cm, after_cr)
    );
    println!(
        "| one change to {WATCHERS} watchers (mean of {rounds} rounds, patch included) | {} | — |",
        ms(fan_out)
    );
}
