//! Logs through NodeLogs, and what simulated containers serve.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use podium::cluster::SimOptions;
use podium::kubelet::{Kubelet, LogOptions, NodeConfig, NodeLogs, PodLogs, Runtime, SimRuntime};
use podium::store::Store;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::common::*;

#[tokio::test(start_paused = true)]
async fn logs_are_served_through_node_logs() {
    let cluster = cluster();
    let store = &cluster.store;
    let logs = NodeLogs::new(store.clone());
    logs.add_node("node-1", cluster.runtime.clone());
    store
        .create(web_pod(
            "chatty",
            json!({"sim.podium.dev/log-lines-per-second": "2"}),
        ))
        .expect("create");
    wait_for(store, "chatty", "Running", |p| phase(p) == "Running").await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    let all = read_all(
        logs.logs("default", "chatty", LogOptions::default())
            .await
            .expect("logs"),
    )
    .await;
    let first = all.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "podium-sim: container \"web\" started from image nginx:1.27"
    );
    assert!(all.contains("\"GET /?n=0 HTTP/1.1\" 200 615"), "{all}");
    assert!(
        all.contains("\"GET /?n=1 HTTP/1.1\" 200 615"),
        "numbered: {all}"
    );

    let tail = read_all(
        logs.logs(
            "default",
            "chatty",
            LogOptions {
                tail_lines: Some(2),
                ..LogOptions::default()
            },
        )
        .await
        .expect("tail"),
    )
    .await;
    assert_eq!(tail.lines().count(), 2, "{tail}");

    let mut follow = logs
        .logs(
            "default",
            "chatty",
            LogOptions {
                follow: true,
                tail_lines: Some(0),
                timestamps: true,
                ..LogOptions::default()
            },
        )
        .await
        .expect("follow");
    let next = tokio::time::timeout(Duration::from_secs(2), follow.next())
        .await
        .expect("a new line within 2s")
        .expect("stream open");
    let line = String::from_utf8_lossy(&next).to_string();
    assert!(line.contains("Z 10.244.0.1 - - ["), "{line}");

    let missing = logs
        .logs(
            "default",
            "chatty",
            LogOptions {
                container: Some("nope".into()),
                ..LogOptions::default()
            },
        )
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        missing.as_deref(),
        Some("container nope is not valid for pod chatty")
    );
    let previous = logs
        .logs(
            "default",
            "chatty",
            LogOptions {
                previous: true,
                ..LogOptions::default()
            },
        )
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        previous.as_deref(),
        Some("previous terminated container \"web\" in pod \"chatty\" not found")
    );
    cluster.cancel.cancel();
}

/// On the sim, a container port asked for gets a real loopback listener
/// that answers HTTP and logs an access line; exec answers simple commands.
#[tokio::test]
async fn sim_containers_serve_http_on_loopback_and_answer_exec() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let store = Store::in_memory();
    namespace(&store);
    let cancel = CancellationToken::new();
    let runtime = Arc::new(SimRuntime::new(SimOptions {
        latency_factor: 0.0,
    }));
    Kubelet::start(
        store.clone(),
        runtime.clone(),
        NodeConfig::new("node-1", 0),
        cancel.clone(),
    );
    let mut served = web_pod("served", json!({}));
    if let Some(spec) = served.spec.as_mut() {
        spec.node_name = Some("node-1".into());
    }
    store.create(served).expect("create");
    let pod = wait_for(&store, "served", "Running", |p| phase(p) == "Running").await;
    let id = container_status(&pod)
        .container_id
        .and_then(|id| id.strip_prefix("sim://").map(str::to_string))
        .expect("container id");

    assert!(
        runtime.port_address(&id, 8080).await.is_none(),
        "undeclared port"
    );
    let address = runtime.port_address(&id, 80).await.expect("address");
    assert!(address.ip().is_loopback());
    assert_eq!(runtime.port_address(&id, 80).await, Some(address));
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/8.5.0\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("Welcome to podium-sim!"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let logs = NodeLogs::new(store.clone());
    logs.add_node("node-1", runtime.clone());
    let text = read_all(
        logs.logs("default", "served", LogOptions::default())
            .await
            .expect("logs"),
    )
    .await;
    assert!(
        text.contains("\"GET /index.html HTTP/1.1\" 200") && text.contains("\"curl/8.5.0\""),
        "{text}"
    );

    let hostname = runtime
        .exec(&id, &["hostname".to_string()])
        .await
        .expect("exec");
    assert_eq!(String::from_utf8_lossy(&hostname.stdout), "served\n");
    let missing = runtime
        .exec(&id, &["nope".to_string()])
        .await
        .expect("exec");
    assert_eq!(missing.exit_code, 127);
    cancel.cancel();
}

/// NodeLogs routes a pod's port and exec to the runtime of its node.
#[tokio::test]
async fn node_logs_routes_ports_and_exec_to_the_pods_node() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let store = Store::in_memory();
    namespace(&store);
    let cancel = CancellationToken::new();
    let runtime = Arc::new(SimRuntime::new(SimOptions {
        latency_factor: 0.0,
    }));
    Kubelet::start(
        store.clone(),
        runtime.clone(),
        NodeConfig::new("node-1", 0),
        cancel.clone(),
    );
    let mut routed = web_pod("routed", json!({}));
    if let Some(spec) = routed.spec.as_mut() {
        spec.node_name = Some("node-1".into());
    }
    store.create(routed).expect("create");
    wait_for(&store, "routed", "Running", |p| phase(p) == "Running").await;
    let access = NodeLogs::new(store.clone());
    access.add_node("node-1", runtime.clone());

    let address = access
        .pod_port_address("default", "routed", 80)
        .await
        .expect("address");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");

    let session = access
        .exec(
            "default",
            "routed",
            None,
            &podium::kubelet::ExecRequest {
                command: vec!["echo".into(), "hello".into()],
                ..Default::default()
            },
        )
        .await
        .expect("exec");
    let output: Vec<podium::kubelet::ExecChunk> = session.output.collect().await;
    assert_eq!(
        output,
        [podium::kubelet::ExecChunk::Stdout(bytes::Bytes::from(
            "hello\n"
        ))]
    );
    assert_eq!(session.exit_code.await.ok(), Some(0));
    cancel.cancel();
}
