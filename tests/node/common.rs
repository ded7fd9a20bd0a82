//! Helpers shared by the node tests.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod};
use podium::cluster::SimOptions;
use podium::kubelet::{Kubelet, NodeConfig, SimRuntime};
use podium::store::{ListFilter, Store};
use serde_json::json;
use tokio_util::sync::CancellationToken;

pub struct Cluster {
    pub store: Store,
    pub runtime: Arc<SimRuntime>,
    pub cancel: CancellationToken,
    pub kubelet: Option<Kubelet>,
}

pub fn namespace(store: &Store) {
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": "default"}})).expect("namespace json");
    store.create(ns).expect("namespace");
}

/// A store with namespace default, one sim node "node-1" and the scheduler.
pub fn cluster() -> Cluster {
    let store = Store::in_memory();
    namespace(&store);
    let cancel = CancellationToken::new();
    let runtime = Arc::new(SimRuntime::new(SimOptions::default()));
    let kubelet = Kubelet::start(
        store.clone(),
        runtime.clone(),
        NodeConfig::new("node-1", 0),
        cancel.clone(),
    );
    podium::scheduler::start(store.clone(), cancel.clone());
    Cluster {
        store,
        runtime,
        cancel,
        kubelet: Some(kubelet),
    }
}

pub fn pod(value: serde_json::Value) -> Pod {
    serde_json::from_value(value).expect("pod json")
}

pub fn web_pod(name: &str, annotations: serde_json::Value) -> Pod {
    pod(json!({
        "metadata": {"name": name, "namespace": "default", "annotations": annotations},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
            "ports": [{"containerPort": 80}]}]}
    }))
}

pub fn get(store: &Store, name: &str) -> Option<Pod> {
    store.get_as::<Pod>("default", name)
}

pub fn phase(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}

pub fn condition(pod: &Pod, type_: &str) -> Option<(String, Option<String>, Option<String>)> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
}

pub fn container_status(pod: &Pod) -> k8s_openapi::api::core::v1::ContainerStatus {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c.first().cloned())
        .unwrap_or_default()
}

pub fn waiting(pod: &Pod) -> Option<(String, String)> {
    let waiting = container_status(pod).state?.waiting?;
    Some((
        waiting.reason.unwrap_or_default(),
        waiting.message.unwrap_or_default(),
    ))
}

/// Waits (in paused time) until `check` holds for the pod, or panics.
pub async fn wait_for(store: &Store, name: &str, what: &str, check: impl Fn(&Pod) -> bool) -> Pod {
    for _ in 0..6000 {
        if let Some(pod) = get(store, name)
            && check(&pod)
        {
            return pod;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "pod {name} never got {what}: {:#?}",
        get(store, name).and_then(|p| p.status)
    );
}

/// Events about `name`, in the order they were first recorded.
pub fn events(store: &Store, name: &str) -> Vec<Event> {
    let mut events: Vec<Event> = store
        .list_as::<Event>(Some("default"), &ListFilter::default())
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .collect();
    events.sort_by_key(|e| {
        e.metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0)
            .zip(e.metadata.name.clone())
    });
    events
}

pub fn has_event(store: &Store, name: &str, reason: &str, message: &str) -> bool {
    events(store, name)
        .iter()
        .any(|e| e.reason.as_deref() == Some(reason) && e.message.as_deref() == Some(message))
}

pub async fn read_all(mut stream: futures::stream::BoxStream<'static, bytes::Bytes>) -> String {
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk);
    }
    String::from_utf8_lossy(&out).to_string()
}

pub fn node(name: &str, cpu: &str, labels: serde_json::Value, taints: serde_json::Value) -> Node {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {"taints": taints},
        "status": {
            "allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
            "capacity": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}]
        }
    }))
    .expect("node json")
}

pub fn scheduler_only() -> (Store, CancellationToken) {
    let store = Store::in_memory();
    namespace(&store);
    let cancel = CancellationToken::new();
    podium::scheduler::start(store.clone(), cancel.clone());
    (store, cancel)
}

pub async fn failed_scheduling(store: &Store, name: &str) -> String {
    for _ in 0..100 {
        if let Some(event) = events(store, name)
            .into_iter()
            .find(|e| e.reason.as_deref() == Some("FailedScheduling"))
        {
            return event.message.unwrap_or_default();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no FailedScheduling for {name}");
}
