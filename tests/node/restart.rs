//! A kubelet restarted on the same store re-adopts its pods.

use std::sync::Arc;
use std::time::Duration;

use podium::cluster::SimOptions;
use podium::kubelet::{Kubelet, NodeConfig, Runtime, SimRuntime};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::common::*;

#[tokio::test(start_paused = true)]
async fn restarted_kubelet_readopts_and_restarts_vanished_containers() {
    let mut cluster = cluster();
    let store = cluster.store.clone();
    for name in ["a", "b"] {
        store.create(web_pod(name, json!({}))).expect("create");
    }
    let mut before = Vec::new();
    for name in ["a", "b"] {
        let pod = wait_for(&store, name, "Ready", |p| {
            condition(p, "Ready").is_some_and(|c| c.0 == "True")
        })
        .await;
        before.push(container_status(&pod));
    }
    // podium stops: the kubelet goes, and with the simulated runtime all
    // its containers vanish.
    cluster.cancel.cancel();
    if let Some(kubelet) = cluster.kubelet.take() {
        kubelet.join().await;
    }

    let cancel = CancellationToken::new();
    let runtime = Arc::new(SimRuntime::new(SimOptions::default()));
    let _kubelet = Kubelet::start(
        store.clone(),
        runtime.clone(),
        NodeConfig::new("node-1", 0),
        cancel.clone(),
    );
    for (name, old) in ["a", "b"].into_iter().zip(before) {
        let pod = wait_for(&store, name, "Ready again", |p| {
            condition(p, "Ready").is_some_and(|c| c.0 == "True")
                && container_status(p).container_id != old.container_id
        })
        .await;
        let now = container_status(&pod);
        assert_eq!(now.restart_count, 1, "{name}");
        assert_eq!(
            now.last_state
                .and_then(|s| s.terminated)
                .and_then(|t| t.reason)
                .as_deref(),
            Some("ContainerStatusUnknown")
        );
        assert_eq!(phase(&pod), "Running");
    }
    let containers = runtime.list_containers().await.expect("list");
    assert_eq!(containers.len(), 2, "no duplicates: {containers:?}");
    cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn restarted_kubelet_adopts_running_containers_of_the_same_runtime() {
    let mut cluster = cluster();
    let store = cluster.store.clone();
    store.create(web_pod("kept", json!({}))).expect("create");
    let before = container_status(
        &wait_for(&store, "kept", "Ready", |p| {
            condition(p, "Ready").is_some_and(|c| c.0 == "True")
        })
        .await,
    );
    cluster.cancel.cancel();
    if let Some(kubelet) = cluster.kubelet.take() {
        kubelet.join().await;
    }
    // Docker keeps containers across a restart of podium: same runtime.
    let cancel = CancellationToken::new();
    let _kubelet = Kubelet::start(
        store.clone(),
        cluster.runtime.clone(),
        NodeConfig::new("node-1", 0),
        cancel.clone(),
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = container_status(&get(&store, "kept").expect("pod"));
    assert_eq!(after.container_id, before.container_id);
    assert_eq!(after.restart_count, 0);
    assert!(after.ready);
    assert_eq!(
        cluster.runtime.list_containers().await.expect("list").len(),
        1
    );
    cancel.cancel();
}
