//! The test cluster: an in-memory store with every controller and a
//! pretend kubelet, and the helpers the tests read it with.

pub use std::collections::BTreeMap;
pub use std::sync::Arc;
pub use std::time::Duration;

pub use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
pub use k8s_openapi::api::core::v1::{
    Endpoints, Event, Namespace, Pod, PodCondition, PodStatus, Service,
};
pub use parking_lot::Mutex;
pub use podium::api::{Kind, Object};
pub use podium::controllers;
pub use podium::store::{
    DeleteOptions, EventType, ListFilter, Propagation, Store, UpdateScope, WatchItem,
};
pub use serde_json::json;
pub use tokio::time::sleep;
pub use tokio_util::sync::CancellationToken;

pub const NS: &str = "default";

/// How the pretend kubelet treats pods.
#[derive(Clone, Copy)]
pub struct DriverOptions {
    /// From binding to Running (and Ready).
    pub ready_after: Duration,
    /// Pods turn Ready one after another, at least `ready_after` apart.
    pub one_at_a_time: bool,
}

pub fn image_of(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

/// Plays kubelet for every pod in the store.
pub fn start_pod_driver(store: Store, options: DriverOptions) {
    // Watch from now, before any test object exists.
    let mut watch = store.watch(Some(Kind::Pod), None).unwrap();
    tokio::spawn(async move {
        let next_ip = Arc::new(Mutex::new(1u32));
        let mut last_ready = tokio::time::Instant::now();
        while let Some(item) = watch.next().await {
            let WatchItem::Event(event) = item else {
                continue;
            };
            if event.event_type == EventType::Deleted {
                continue;
            }
            let Object::Pod(pod) = &*event.object else {
                continue;
            };
            let ns = pod.metadata.namespace.clone().unwrap();
            let name = pod.metadata.name.clone().unwrap();
            if pod.metadata.deletion_timestamp.is_some() {
                let _ = store.delete(
                    Kind::Pod,
                    &ns,
                    &name,
                    &DeleteOptions {
                        grace_period_seconds: Some(0),
                        ..DeleteOptions::default()
                    },
                );
                continue;
            }
            let bound = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_ref())
                .is_some();
            if bound {
                continue;
            }
            // Where a node-name affinity (a daemon pod's) says, else node-1.
            let node = pod
                .spec
                .as_ref()
                .and_then(|s| s.affinity.as_ref()?.node_affinity.as_ref())
                .and_then(|a| {
                    a.required_during_scheduling_ignored_during_execution
                        .as_ref()
                })
                .and_then(|r| {
                    r.node_selector_terms
                        .first()?
                        .match_fields
                        .as_ref()?
                        .first()
                        .cloned()
                })
                .and_then(|f| f.values?.first().cloned())
                .unwrap_or_else(|| "node-1".into());
            let _ = store.mutate::<Pod>(&ns, &name, UpdateScope::Main, |p| {
                p.spec.get_or_insert_with(Default::default).node_name = Some(node.clone());
                true
            });
            let ready = !image_of(pod).contains("bad");
            let store = store.clone();
            let ip = {
                let mut next = next_ip.lock();
                *next += 1;
                format!("10.244.0.{}", *next)
            };
            let now = tokio::time::Instant::now();
            let ready_at = if options.one_at_a_time {
                (now + options.ready_after).max(last_ready + options.ready_after)
            } else {
                now + options.ready_after
            };
            last_ready = ready_at;
            tokio::spawn(async move {
                tokio::time::sleep_until(ready_at).await;
                let _ = store.mutate::<Pod>(&ns, &name, UpdateScope::Status, |p| {
                    if p.metadata.deletion_timestamp.is_some() {
                        return false;
                    }
                    p.status = Some(PodStatus {
                        phase: Some("Running".into()),
                        pod_ip: Some(ip.clone()),
                        conditions: Some(vec![PodCondition {
                            type_: "Ready".into(),
                            status: if ready { "True" } else { "False" }.into(),
                            last_transition_time: Some(podium::clock::now_time()),
                            ..PodCondition::default()
                        }]),
                        ..PodStatus::default()
                    });
                    true
                });
            });
        }
    });
}

pub fn namespace(name: &str) -> Namespace {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name},
        "spec": {"finalizers": ["kubernetes"]}
    }))
    .unwrap()
}

/// A store with the default namespace, all controllers and the pod driver.
pub fn cluster(options: DriverOptions) -> (Store, CancellationToken) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let store = Store::in_memory();
    store.create(namespace(NS)).unwrap();
    let cancel = CancellationToken::new();
    let _controllers = controllers::start(store.clone(), cancel.clone());
    start_pod_driver(store.clone(), options);
    (store, cancel)
}

pub fn default_cluster() -> (Store, CancellationToken) {
    cluster(DriverOptions {
        ready_after: Duration::from_secs(2),
        one_at_a_time: false,
    })
}

pub fn deployment_with(
    name: &str,
    replicas: i32,
    image: &str,
    extra_spec: serde_json::Value,
) -> Deployment {
    let mut value = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image}]}
            }
        }
    });
    if let (Some(spec), Some(extra)) = (value["spec"].as_object_mut(), extra_spec.as_object()) {
        for (k, v) in extra {
            spec.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(value).unwrap()
}

pub fn rolling(surge: i32, unavailable: i32) -> serde_json::Value {
    json!({"strategy": {"type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}})
}

pub fn get_deployment(store: &Store, name: &str) -> Deployment {
    store.get_as::<Deployment>(NS, name).unwrap()
}

pub fn replica_sets(store: &Store, ns: &str) -> Vec<ReplicaSet> {
    store.list_as::<ReplicaSet>(Some(ns), &ListFilter::default())
}

pub fn pods(store: &Store, ns: &str) -> Vec<Pod> {
    store.list_as::<Pod>(Some(ns), &ListFilter::default())
}

pub fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

pub fn status_of(d: &Deployment) -> (i32, i32, i32) {
    let s = d.status.clone().unwrap_or_default();
    (
        s.replicas.unwrap_or(0),
        s.updated_replicas.unwrap_or(0),
        s.available_replicas.unwrap_or(0),
    )
}

pub fn condition(d: &Deployment, type_: &str) -> Option<(String, String, String)> {
    d.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| {
            (
                c.status.clone(),
                c.reason.clone().unwrap_or_default(),
                c.message.clone().unwrap_or_default(),
            )
        })
}

/// Rolled out: every replica updated and available, observed.
pub fn complete(store: &Store, name: &str) -> bool {
    let d = get_deployment(store, name);
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let s = d.status.clone().unwrap_or_default();
    status_of(&d) == (want, want, want) && s.observed_generation == d.metadata.generation
}

pub async fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..1200 {
        if check() {
            return;
        }
        sleep(Duration::from_millis(250)).await;
    }
    panic!("timed out waiting for {what}");
}

pub fn set_image(store: &Store, name: &str, image: &str) {
    store
        .mutate::<Deployment>(NS, name, UpdateScope::Main, |d| {
            d.spec
                .as_mut()
                .unwrap()
                .template
                .spec
                .as_mut()
                .unwrap()
                .containers[0]
                .image = Some(image.into());
            true
        })
        .unwrap();
}

pub fn rs_hash(rs: &ReplicaSet) -> String {
    rs.metadata.labels.as_ref().unwrap()["pod-template-hash"].clone()
}

pub fn event_messages(store: &Store, reason: &str) -> Vec<String> {
    store
        .list_as::<Event>(Some(NS), &ListFilter::default())
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some(reason))
        .filter_map(|e| e.message)
        .collect()
}

pub fn annotation(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    key: &str,
) -> Option<String> {
    meta.annotations.as_ref()?.get(key).cloned()
}

pub fn replica_set(name: &str, replicas: i32, image: &str) -> ReplicaSet {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image}]}
            }
        }
    }))
    .unwrap()
}

pub fn ready_replicas(store: &Store, name: &str) -> i32 {
    store
        .get_as::<ReplicaSet>(NS, name)
        .and_then(|rs| rs.status)
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}
