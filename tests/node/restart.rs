//! A kubelet restarted on the same store re-adopts its pods.

use std::sync::Arc;
use std::time::Duration;

use podium::cluster::SimOptions;
use podium::kubelet::{Kubelet, NodeConfig, Runtime, SimRuntime};
use podium::store::Store;
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
        let ip = pod.status.as_ref().and_then(|s| s.pod_ip.clone());
        before.push((container_status(&pod), ip));
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
    // A new pod arrives as the kubelet comes back: it must not take an
    // address the old pods keep.
    let mut newcomer = web_pod("c", json!({}));
    if let Some(spec) = newcomer.spec.as_mut() {
        spec.node_name = Some("node-1".into());
    }
    store.create(newcomer).expect("create c");
    let mut kept_ips = Vec::new();
    for (name, (old, old_ip)) in ["a", "b"].into_iter().zip(before) {
        kept_ips.push(old_ip.clone());
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
        assert_eq!(
            pod.status.as_ref().and_then(|s| s.pod_ip.clone()),
            old_ip,
            "{name} keeps its IP"
        );
    }
    let c = wait_for(&store, "c", "Running", |p| phase(p) == "Running").await;
    let c_ip = c.status.and_then(|s| s.pod_ip);
    assert!(
        !kept_ips.contains(&c_ip),
        "c got {c_ip:?}, kept {kept_ips:?}"
    );
    let containers = runtime.list_containers().await.expect("list");
    assert_eq!(containers.len(), 3, "no duplicates: {containers:?}");
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

#[tokio::test(start_paused = true)]
async fn finished_pods_stay_finished_across_a_restart() {
    let mut cluster = cluster();
    let store = cluster.store.clone();
    store
        .create(pod(json!({
            "metadata": {"name": "done", "namespace": "default",
                "annotations": {"sim.podium.dev/crash-after-seconds": "1",
                    "sim.podium.dev/exit-code": "0"}},
            "spec": {"restartPolicy": "Never",
                "containers": [{"name": "task", "image": "busybox:1.36"}]}
        })))
        .expect("create");
    let before = wait_for(&store, "done", "Succeeded", |p| phase(p) == "Succeeded").await;
    cluster.cancel.cancel();
    if let Some(kubelet) = cluster.kubelet.take() {
        kubelet.join().await;
    }
    let cancel = CancellationToken::new();
    let _kubelet = Kubelet::start(
        store.clone(),
        Arc::new(SimRuntime::new(SimOptions::default())),
        NodeConfig::new("node-1", 0),
        cancel.clone(),
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after = get(&store, "done").expect("pod");
    assert_eq!(after.status, before.status);
    cancel.cancel();
}

/// A runtime whose first event stream drops exits and then ends, like a
/// Docker connection that broke.
struct LossyEvents {
    inner: SimRuntime,
    subscriptions: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl Runtime for LossyEvents {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn version(&self) -> String {
        self.inner.version()
    }
    async fn image_present(
        &self,
        image: &str,
    ) -> Result<Option<podium::kubelet::ImageInfo>, podium::kubelet::RuntimeError> {
        self.inner.image_present(image).await
    }
    async fn pull_image(
        &self,
        image: &str,
        progress: &podium::kubelet::PullProgressFn,
    ) -> Result<podium::kubelet::ImageInfo, podium::kubelet::RuntimeError> {
        self.inner.pull_image(image, progress).await
    }
    async fn create_container(
        &self,
        spec: &podium::kubelet::ContainerSpec,
    ) -> Result<String, podium::kubelet::RuntimeError> {
        self.inner.create_container(spec).await
    }
    async fn start_container(&self, id: &str) -> Result<(), podium::kubelet::RuntimeError> {
        self.inner.start_container(id).await
    }
    async fn stop_container(
        &self,
        id: &str,
        grace: Duration,
    ) -> Result<(), podium::kubelet::RuntimeError> {
        self.inner.stop_container(id, grace).await
    }
    async fn remove_container(&self, id: &str) -> Result<(), podium::kubelet::RuntimeError> {
        self.inner.remove_container(id).await
    }
    async fn inspect_container(
        &self,
        id: &str,
    ) -> Result<podium::kubelet::ContainerInfo, podium::kubelet::RuntimeError> {
        self.inner.inspect_container(id).await
    }
    async fn list_containers(
        &self,
    ) -> Result<Vec<podium::kubelet::ContainerInfo>, podium::kubelet::RuntimeError> {
        self.inner.list_containers().await
    }
    async fn logs(
        &self,
        id: &str,
        request: &podium::kubelet::LogRequest,
    ) -> Result<futures::stream::BoxStream<'static, bytes::Bytes>, podium::kubelet::RuntimeError>
    {
        self.inner.logs(id, request).await
    }
    fn events(&self) -> futures::stream::BoxStream<'static, podium::kubelet::RuntimeEvent> {
        use futures::StreamExt;
        let first = self
            .subscriptions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            == 0;
        let events = self.inner.events();
        if !first {
            return events;
        }
        let broken = tokio::time::sleep(Duration::from_secs(5));
        events
            .filter(|e| {
                futures::future::ready(!matches!(
                    e.kind,
                    podium::kubelet::RuntimeEventKind::Died { .. }
                ))
            })
            .take_until(broken)
            .boxed()
    }
}

#[tokio::test(start_paused = true)]
async fn exits_missed_while_the_event_stream_was_down_are_found() {
    let store = Store::in_memory();
    namespace(&store);
    let cancel = CancellationToken::new();
    let runtime = Arc::new(LossyEvents {
        inner: SimRuntime::new(SimOptions::default()),
        subscriptions: Default::default(),
    });
    Kubelet::start(
        store.clone(),
        runtime,
        NodeConfig::new("node-1", 0),
        cancel.clone(),
    );
    store
        .create(pod(json!({
            "metadata": {"name": "lost", "namespace": "default",
                "annotations": {"sim.podium.dev/crash-after-seconds": "1",
                    "sim.podium.dev/exit-code": "3"}},
            "spec": {"nodeName": "node-1", "restartPolicy": "Never",
                "containers": [{"name": "task", "image": "busybox:1.36"}]}
        })))
        .expect("create");
    let failed = wait_for(&store, "lost", "Failed", |p| phase(p) == "Failed").await;
    let terminated = container_status(&failed)
        .state
        .and_then(|s| s.terminated)
        .expect("terminated");
    assert_eq!(terminated.exit_code, 3);
    cancel.cancel();
}
