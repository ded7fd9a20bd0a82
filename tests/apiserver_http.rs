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

/// Request heads as large as upstream's (Go's 1 MiB) pass; larger ones and
/// too many fields get 431, on HTTP/1.1 and HTTP/2 alike, and the server
/// goes on answering.
#[test]
fn oversized_request_heads_get_431_and_the_server_keeps_serving() {
    let server = TestServer::start();
    let get = |headers: Vec<(String, String)>, http2: bool| {
        server.runtime.block_on(client::get_with_headers(
            &server,
            "/api/v1/namespaces",
            &headers,
            http2,
        ))
    };
    let big = |bytes: usize| vec![("x-big".to_string(), "x".repeat(bytes))];
    for http2 in [false, true] {
        assert_eq!(get(big(600 * 1024), http2), Ok(200), "http2: {http2}");
        // The server answers 431, or closes before an HTTP/1.1 client has
        // sent it all; an HTTP/2 client knows the limit from the server's
        // SETTINGS_MAX_HEADER_LIST_SIZE and does not send it.
        if let Ok(code) = get(big(2 << 20), http2) {
            assert_eq!(code, 431, "http2: {http2}");
        }
        assert_eq!(get(Vec::new(), http2), Ok(200));
    }
    let many: Vec<(String, String)> = (0..250).map(|i| (format!("x-h{i}"), "v".into())).collect();
    assert_eq!(get(many, false), Ok(431));
    let some: Vec<(String, String)> = (0..50).map(|i| (format!("x-h{i}"), "v".into())).collect();
    assert_eq!(get(some, false), Ok(200));
    server.ok(&["get", "namespaces"]);
}

/// A body nested deeper than the decoders go is refused with the limit
/// named, in JSON and in YAML.
#[test]
fn bodies_nested_too_deep_are_refused_with_the_limit() {
    let server = TestServer::start();
    let deep = format!(
        "{{\"metadata\":{{\"name\":\"deep\"}},\"data\":{{}},\"x\":{}{}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    let path = "/api/v1/namespaces/default/configmaps";
    let (code, body) = server.raw("POST", path, "application/json", deep.into_bytes());
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("nests deeper than 128 levels"), "{body}");
    let deep = format!(
        "metadata: {{name: deep}}\nx: {}{}\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    let (code, body) = server.raw("POST", path, "application/yaml", deep.into_bytes());
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("nests deeper than 128 levels"), "{body}");
    // Nested as deep as real objects go, it is taken.
    let fine = format!(
        "{{\"metadata\":{{\"name\":\"fine\"}},\"data\":{{\"a\":\"{}\"}}}}",
        "[".repeat(200)
    );
    let (code, body) = server.raw("POST", path, "application/json", fine.into_bytes());
    assert_eq!(code, 201, "{body}");
    server.ok(&["get", "configmap", "fine"]);
}

/// Slow clients (slowloris: a TLS session, then a request head that never
/// ends; or a TCP connection that never starts TLS) do not keep kubectl
/// waiting, and the server closes them at its deadlines.
#[test]
fn slow_clients_hold_nothing_others_need() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start();
    let mut slow = Vec::new();
    server.runtime.block_on(async {
        for i in 0..200 {
            let mut stream = client::tls(&server, &[]).await;
            stream
                .write_all(
                    format!("GET /api HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-{i}: ").as_bytes(),
                )
                .await
                .expect("a partial head");
            slow.push(stream);
        }
    });
    let silent: Vec<std::net::TcpStream> = (0..200)
        .map(|_| std::net::TcpStream::connect(server.addr).expect("tcp"))
        .collect();
    let start = std::time::Instant::now();
    server.ok(&["get", "namespaces"]);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(15),
        "kubectl waited {:?}",
        start.elapsed()
    );
    // A connection that never sends a complete head is closed (30 s).
    let closed = server.runtime.block_on(async {
        let mut first = slow.swap_remove(0);
        let mut buffer = [0u8; 512];
        tokio::time::timeout(std::time::Duration::from_secs(40), first.read(&mut buffer)).await
    });
    assert!(
        matches!(closed, Ok(Ok(_)) | Ok(Err(_))),
        "still open after 40 s"
    );
    drop(silent);
    server.ok(&["get", "namespaces"]);
}
