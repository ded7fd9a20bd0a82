//! The API server through a plain HTTPS client: auth, error Statuses,
//! limits, watches (resume, 410), large lists and HTTP/2.

#[path = "apiserver_common/mod.rs"]
mod common;

use common::*;

#[test]
fn requests_without_the_token_are_refused() {
    let server = TestServer::start();
    let (code, body) = server.runtime.block_on(client::request(
        &server,
        "GET",
        "/api/v1/namespaces",
        "",
        Vec::new(),
        false,
    ));
    assert_eq!(code, 401, "{body}");
    assert!(body.contains("\"reason\":\"Unauthorized\""), "{body}");
}

#[test]
fn malformed_bodies_are_bad_requests_and_the_server_keeps_serving() {
    let server = TestServer::start();
    let (code, body) = server.raw(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/yaml",
        b"metadata: [unclosed\n  name: x".to_vec(),
    );
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("yaml parse error"), "{body}");
    let (code, body) = server.raw(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "text/html",
        b"<html>".to_vec(),
    );
    assert_eq!(code, 415, "{body}");
    let (code, body) = server.raw(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        br#"{"metadata":{"name":"x"},"data":{"a":5}}"#.to_vec(),
    );
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("data.a"), "{body}");
    let (code, body) = server.raw("GET", "/no/such/path", "", Vec::new());
    assert_eq!(code, 404, "{body}");
    assert!(body.contains("\"kind\":\"Status\""), "{body}");
    server.ok(&["get", "namespaces"]);
}

#[test]
fn oversized_bodies_are_refused_with_413() {
    let server = TestServer::start();
    let big = format!(
        "{{\"metadata\":{{\"name\":\"big\"}},\"data\":{{\"a\":\"{}\"}}}}",
        "x".repeat(5 * 1024 * 1024)
    );
    let (code, body) = server.raw(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        big.into_bytes(),
    );
    assert_eq!(code, 413, "{body}");
    assert!(body.contains("RequestEntityTooLarge"), "{body}");
    server.ok(&["get", "configmaps"]);
}

/// exec and port-forward switch protocols (tests/streaming drives them
/// with kubectl); asked of a pod that does not exist they answer a Status.
#[test]
fn exec_of_a_missing_pod_is_a_not_found_status() {
    let server = TestServer::start();
    let (code, body) = server.raw(
        "POST",
        "/api/v1/namespaces/default/pods/p/exec?command=ls",
        "",
        Vec::new(),
    );
    assert_eq!(code, 404, "{body}");
    assert!(body.contains(r#"pods \"p\" not found"#), "{body}");
}

fn watch_events(body: &str) -> Vec<serde_json::Value> {
    body.lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

#[test]
fn watch_resumes_from_a_resource_version_and_reports_410_after_history_loss() {
    let server = TestServer::start();
    let first = server.store.create(configmap("w", "1")).expect("create");
    let rv = first.resource_version();
    server
        .store
        .update(
            podium::api::Object::from(configmap("w", "2")),
            podium::store::UpdateScope::Main,
        )
        .expect("update");
    let (code, body) = server.raw(
        "GET",
        &format!(
            "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1"
        ),
        "",
        Vec::new(),
    );
    assert_eq!(code, 200, "{body}");
    let events = watch_events(&body);
    assert_eq!(events.len(), 1, "{body}");
    assert_eq!(events[0]["type"], "MODIFIED");
    assert_eq!(events[0]["object"]["data"]["a"], "2");

    // Push the first change out of the store's history.
    for i in 0..20_001 {
        server
            .store
            .update(
                podium::api::Object::from(configmap("w", &i.to_string())),
                podium::store::UpdateScope::Main,
            )
            .expect("update");
    }
    let (code, body) = server.raw(
        "GET",
        &format!(
            "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1"
        ),
        "",
        Vec::new(),
    );
    assert_eq!(code, 200, "{body}");
    let events = watch_events(&body);
    assert_eq!(events[0]["type"], "ERROR", "{body}");
    assert_eq!(events[0]["object"]["code"], 410);
    assert_eq!(events[0]["object"]["reason"], "Expired");
    assert!(
        events[0]["object"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("too old resource version")),
        "{body}"
    );
}

#[test]
fn large_lists_are_served_quickly() {
    let server = TestServer::start();
    for i in 0..10_000 {
        create_pod(&server.store, &format!("pod-{i}"));
    }
    let started = std::time::Instant::now();
    let (code, body) = server.raw("GET", "/api/v1/pods", "", Vec::new());
    let elapsed = started.elapsed();
    assert_eq!(code, 200);
    let list: serde_json::Value = serde_json::from_str(&body).expect("list json");
    assert_eq!(list["kind"], "PodList");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(10_000));
    assert!(list["metadata"]["resourceVersion"].is_string());
    eprintln!("10k pods listed in {elapsed:?}");
    // Debug build, TLS and transfer included; release is far faster.
    assert!(elapsed < std::time::Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn single_object_watch_sees_only_that_object() {
    let server = TestServer::start();
    server.store.create(configmap("mine", "1")).expect("create");
    server
        .store
        .create(configmap("other", "1"))
        .expect("create");
    let (code, body) = server.raw(
        "GET",
        "/api/v1/namespaces/default/configmaps/mine?watch=true&timeoutSeconds=1",
        "",
        Vec::new(),
    );
    assert_eq!(code, 200, "{body}");
    let events = watch_events(&body);
    assert_eq!(events.len(), 1, "{body}");
    assert_eq!(events[0]["object"]["metadata"]["name"], "mine");
}

#[test]
fn http2_is_negotiated_by_alpn() {
    let server = TestServer::start();
    let (alpn, code) = server
        .runtime
        .block_on(client::http2_get(&server, "/api/v1/namespaces"));
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(code, 200);
}

fn deployment_json(replicas: i32, status_replicas: i32) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
        "status": {"replicas": status_replicas},
    })
}

#[test]
fn status_subresource_changes_only_status() {
    let server = TestServer::start();
    let (code, body) = server.raw(
        "POST",
        "/apis/apps/v1/namespaces/default/deployments",
        "application/json",
        deployment_json(2, 0).to_string().into_bytes(),
    );
    assert_eq!(code, 201, "{body}");
    // A status write cannot change the spec ...
    let (code, body) = server.raw(
        "PUT",
        "/apis/apps/v1/namespaces/default/deployments/d/status",
        "application/json",
        deployment_json(7, 3).to_string().into_bytes(),
    );
    assert_eq!(code, 200, "{body}");
    let stored = server.deployment("d");
    assert_eq!(stored.status.and_then(|s| s.replicas), Some(3));
    assert_eq!(stored.spec.as_ref().and_then(|s| s.replicas), Some(2));
    // ... and a main write cannot change the status.
    let (code, body) = server.raw(
        "PUT",
        "/apis/apps/v1/namespaces/default/deployments/d",
        "application/json",
        deployment_json(4, 9).to_string().into_bytes(),
    );
    assert_eq!(code, 200, "{body}");
    let stored = server.deployment("d");
    assert_eq!(stored.status.and_then(|s| s.replicas), Some(3));
    assert_eq!(stored.spec.and_then(|s| s.replicas), Some(4));
}

#[test]
fn wrong_methods_and_namespaces_are_refused_with_statuses() {
    let server = TestServer::start();
    let (code, body) = server.raw("POST", "/api/v1/pods", "application/json", b"{}".to_vec());
    assert_eq!(code, 405, "{body}");
    assert!(body.contains("\"reason\":\"MethodNotAllowed\""), "{body}");
    let (code, body) = server.raw(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        br#"{"metadata":{"name":"x","namespace":"other"}}"#.to_vec(),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body.contains(
            "the namespace of the provided object does not match the namespace sent on the request"
        ),
        "{body}"
    );
    let (code, body) = server.raw(
        "POST",
        "/api/v1/namespaces/nowhere/configmaps",
        "application/json",
        br#"{"metadata":{"name":"x"}}"#.to_vec(),
    );
    assert_eq!(code, 404, "{body}");
    assert!(
        body.contains("namespaces \\\"nowhere\\\" not found"),
        "{body}"
    );
    let (code, body) = server.raw(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/x",
        "application/apply-patch+yaml",
        b"{}".to_vec(),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body.contains("fieldManager is required for apply requests"),
        "{body}"
    );
    let (code, body) = server.raw(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/x",
        "application/xml",
        b"<x/>".to_vec(),
    );
    assert_eq!(code, 415, "{body}");
    assert!(body.contains("UnsupportedMediaType"), "{body}");
}

#[test]
fn restart_reuses_credentials_and_cancel_stops_serving() {
    use podium::apiserver::{self, ApiServerConfig};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let start = |cancel: tokio_util::sync::CancellationToken| {
        runtime
            .block_on(apiserver::start(
                podium::store::Store::in_memory(),
                std::sync::Arc::new(TestLogs),
                ApiServerConfig {
                    listen: "127.0.0.1:0".parse().expect("addr"),
                    data_dir: dir.path().to_path_buf(),
                },
                cancel,
            ))
            .expect("starts")
    };
    let first_cancel = tokio_util::sync::CancellationToken::new();
    let first = start(first_cancel.clone());
    let first_config = std::fs::read_to_string(&first.kubeconfig).expect("kubeconfig");
    first_cancel.cancel();
    runtime
        .block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(5), first.task).await
        })
        .expect("stops promptly")
        .expect("task ends cleanly");
    let refused = runtime.block_on(async { tokio::net::TcpStream::connect(first.addr).await });
    assert!(refused.is_err(), "still listening after cancel");

    let second = start(tokio_util::sync::CancellationToken::new());
    let second_config = std::fs::read_to_string(&second.kubeconfig).expect("kubeconfig");
    let ca_and_token = |text: &str| {
        text.lines()
            .filter(|l| l.contains("certificate-authority-data") || l.contains("token:"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(ca_and_token(&first_config), ca_and_token(&second_config));
    assert_eq!(ca_and_token(&first_config).len(), 2);
}
