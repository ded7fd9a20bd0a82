//! Controllers end to end on an in-memory store, with a small test-only
//! "pod driver" playing kubelet: it binds pods, makes them Running (and
//! Ready unless their image says "bad") after a delay, and completes
//! graceful deletions. One test runs the walkthrough's rollout on the real
//! scheduler, kubelet and simulated runtime instead.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{
    Endpoints, Event, Namespace, Pod, PodCondition, PodStatus, Service,
};
use parking_lot::Mutex;
use podium::api::{Kind, Object};
use podium::controllers;
use podium::store::{
    DeleteOptions, EventType, ListFilter, Propagation, Store, UpdateScope, WatchItem,
};
use serde_json::json;
use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

const NS: &str = "default";

/// How the pretend kubelet treats pods.
#[derive(Clone, Copy)]
struct DriverOptions {
    /// From binding to Running (and Ready).
    ready_after: Duration,
    /// Pods turn Ready one after another, at least `ready_after` apart.
    one_at_a_time: bool,
}

fn image_of(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

/// Plays kubelet for every pod in the store.
fn start_pod_driver(store: Store, options: DriverOptions) {
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
            let _ = store.mutate::<Pod>(&ns, &name, UpdateScope::Main, |p| {
                p.spec.get_or_insert_with(Default::default).node_name = Some("node-1".into());
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

fn namespace(name: &str) -> Namespace {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name},
        "spec": {"finalizers": ["kubernetes"]}
    }))
    .unwrap()
}

/// A store with the default namespace, all controllers and the pod driver.
fn cluster(options: DriverOptions) -> (Store, CancellationToken) {
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

fn default_cluster() -> (Store, CancellationToken) {
    cluster(DriverOptions {
        ready_after: Duration::from_secs(2),
        one_at_a_time: false,
    })
}

fn deployment_with(
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

fn rolling(surge: i32, unavailable: i32) -> serde_json::Value {
    json!({"strategy": {"type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}})
}

fn get_deployment(store: &Store, name: &str) -> Deployment {
    store.get_as::<Deployment>(NS, name).unwrap()
}

fn replica_sets(store: &Store, ns: &str) -> Vec<ReplicaSet> {
    store.list_as::<ReplicaSet>(Some(ns), &ListFilter::default())
}

fn pods(store: &Store, ns: &str) -> Vec<Pod> {
    store.list_as::<Pod>(Some(ns), &ListFilter::default())
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn status_of(d: &Deployment) -> (i32, i32, i32) {
    let s = d.status.clone().unwrap_or_default();
    (
        s.replicas.unwrap_or(0),
        s.updated_replicas.unwrap_or(0),
        s.available_replicas.unwrap_or(0),
    )
}

fn condition(d: &Deployment, type_: &str) -> Option<(String, String, String)> {
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
fn complete(store: &Store, name: &str) -> bool {
    let d = get_deployment(store, name);
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let s = d.status.clone().unwrap_or_default();
    status_of(&d) == (want, want, want) && s.observed_generation == d.metadata.generation
}

async fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..1200 {
        if check() {
            return;
        }
        sleep(Duration::from_millis(250)).await;
    }
    panic!("timed out waiting for {what}");
}

fn set_image(store: &Store, name: &str, image: &str) {
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

fn rs_hash(rs: &ReplicaSet) -> String {
    rs.metadata.labels.as_ref().unwrap()["pod-template-hash"].clone()
}

fn event_messages(store: &Store, reason: &str) -> Vec<String> {
    store
        .list_as::<Event>(Some(NS), &ListFilter::default())
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some(reason))
        .filter_map(|e| e.message)
        .collect()
}

fn annotation(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    key: &str,
) -> Option<String> {
    meta.annotations.as_ref()?.get(key).cloned()
}

#[tokio::test(start_paused = true)]
async fn rolling_update_keeps_surge_and_availability_bounds() {
    let (store, _cancel) = cluster(DriverOptions {
        ready_after: Duration::from_secs(2),
        one_at_a_time: true,
    });
    store
        .create(deployment_with("web", 5, "nginx:1.24", rolling(1, 1)))
        .unwrap();
    wait_for("first rollout", || complete(&store, "web")).await;
    let d = get_deployment(&store, "web");
    assert_eq!(
        annotation(&d.metadata, "deployment.kubernetes.io/revision").as_deref(),
        Some("1")
    );
    let old_rs = replica_sets(&store, NS).pop().unwrap();
    let old_hash = rs_hash(&old_rs);
    assert_eq!(
        old_rs.metadata.name.as_deref(),
        Some(format!("web-{old_hash}").as_str())
    );

    // Mirror pods and ReplicaSets from the watch to check every state.
    let list = store.list(Kind::Pod, Some(NS), &ListFilter::default());
    let mut watch = store.watch(None, Some(list.resource_version)).unwrap();
    let mut mirror: BTreeMap<String, Pod> = list
        .items
        .iter()
        .map(|o| (o.name().to_string(), o.as_typed::<Pod>().unwrap().clone()))
        .collect();
    let mut sizes: BTreeMap<String, i32> = replica_sets(&store, NS)
        .iter()
        .map(|rs| (rs_hash(rs), rs.spec.as_ref().unwrap().replicas.unwrap()))
        .collect();
    let violations = Arc::new(Mutex::new(Vec::<String>::new()));
    let pairs = Arc::new(Mutex::new(Vec::<(i32, i32)>::new()));
    let (v, p, hash) = (violations.clone(), pairs.clone(), old_hash.clone());
    let monitor = tokio::spawn(async move {
        while let Some(WatchItem::Event(event)) = watch.next().await {
            match &*event.object {
                Object::Pod(pod) => {
                    let name = pod.metadata.name.clone().unwrap();
                    if event.event_type == EventType::Deleted {
                        mirror.remove(&name);
                    } else {
                        mirror.insert(name, (**pod).clone());
                    }
                    let live: Vec<&Pod> = mirror
                        .values()
                        .filter(|p| p.metadata.deletion_timestamp.is_none())
                        .collect();
                    let ready = live.iter().filter(|p| is_ready(p)).count();
                    if live.len() > 6 || ready < 4 {
                        v.lock().push(format!(
                            "{} live, {} ready at rv {}: {:?}",
                            live.len(),
                            ready,
                            event.resource_version,
                            live.iter()
                                .map(|p| (p.metadata.name.clone().unwrap(), is_ready(p)))
                                .collect::<Vec<_>>()
                        ));
                    }
                }
                Object::ReplicaSet(rs) => {
                    sizes.insert(rs_hash(rs), rs.spec.as_ref().unwrap().replicas.unwrap());
                    let old = sizes.get(&hash).copied().unwrap_or(0);
                    let new: i32 = sizes
                        .iter()
                        .filter(|(h, _)| **h != hash)
                        .map(|(_, n)| *n)
                        .sum();
                    let mut p = p.lock();
                    if p.last() != Some(&(new, old)) {
                        p.push((new, old));
                    }
                }
                _ => {}
            }
        }
    });

    set_image(&store, "web", "nginx:1.25");
    wait_for("second rollout", || {
        complete(&store, "web")
            && replica_sets(&store, NS).len() == 2
            && pods(&store, NS).iter().all(|p| image_of(p) == "nginx:1.25")
    })
    .await;
    sleep(Duration::from_secs(1)).await;
    monitor.abort();

    assert_eq!(*violations.lock(), Vec::<String>::new());
    // The worked example: new pods become available one at a time.
    assert_eq!(
        *pairs.lock(),
        [
            (1, 5),
            (1, 4),
            (2, 4),
            (2, 3),
            (3, 3),
            (3, 2),
            (4, 2),
            (4, 1),
            (5, 1),
            (5, 0)
        ]
    );
    let d = get_deployment(&store, "web");
    assert_eq!(
        annotation(&d.metadata, "deployment.kubernetes.io/revision").as_deref(),
        Some("2")
    );
    let new_rs = replica_sets(&store, NS)
        .into_iter()
        .find(|rs| rs_hash(rs) != old_hash)
        .unwrap();
    let new_name = new_rs.metadata.name.clone().unwrap();
    let old_name = old_rs.metadata.name.clone().unwrap();
    assert_eq!(
        annotation(
            &new_rs.metadata,
            "deployment.kubernetes.io/desired-replicas"
        )
        .as_deref(),
        Some("5")
    );
    assert_eq!(
        annotation(&new_rs.metadata, "deployment.kubernetes.io/max-replicas").as_deref(),
        Some("6")
    );
    let scaling = event_messages(&store, "ScalingReplicaSet");
    assert!(
        scaling.contains(&format!("Scaled up replica set {new_name} to 1")),
        "{scaling:?}"
    );
    assert!(
        scaling.contains(&format!("Scaled down replica set {old_name} to 4 from 5")),
        "{scaling:?}"
    );
    assert!(
        scaling.contains(&format!("Scaled up replica set {new_name} to 5 from 4")),
        "{scaling:?}"
    );
    assert_eq!(
        condition(&d, "Progressing"),
        Some((
            "True".into(),
            "NewReplicaSetAvailable".into(),
            format!("ReplicaSet \"{new_name}\" has successfully progressed.")
        ))
    );
    assert_eq!(
        condition(&d, "Available"),
        Some((
            "True".into(),
            "MinimumReplicasAvailable".into(),
            "Deployment has minimum availability.".into()
        ))
    );
    let created = event_messages(&store, "SuccessfulCreate");
    assert!(
        created
            .iter()
            .any(|m| m.starts_with(&format!("Created pod: {new_name}-")))
    );
}

#[tokio::test(start_paused = true)]
async fn recreate_never_runs_old_and_new_pods_together() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with(
            "db",
            3,
            "postgres:15",
            json!({"strategy": {"type": "Recreate"}}),
        ))
        .unwrap();
    wait_for("first rollout", || complete(&store, "db")).await;
    let old_hash = rs_hash(&replica_sets(&store, NS)[0]);

    let list = store.list(Kind::Pod, Some(NS), &ListFilter::default());
    let mut watch = store
        .watch(Some(Kind::Pod), Some(list.resource_version))
        .unwrap();
    let mut mirror: BTreeMap<String, Pod> = list
        .items
        .iter()
        .map(|o| (o.name().to_string(), o.as_typed::<Pod>().unwrap().clone()))
        .collect();
    let overlap = Arc::new(Mutex::new(false));
    let (flag, hash) = (overlap.clone(), old_hash.clone());
    let monitor = tokio::spawn(async move {
        while let Some(WatchItem::Event(event)) = watch.next().await {
            let Object::Pod(pod) = &*event.object else {
                continue;
            };
            let name = pod.metadata.name.clone().unwrap();
            if event.event_type == EventType::Deleted {
                mirror.remove(&name);
            } else {
                mirror.insert(name, (**pod).clone());
            }
            let label = |p: &Pod| p.metadata.labels.as_ref().unwrap()["pod-template-hash"].clone();
            let old = mirror.values().any(|p| label(p) == hash);
            let new = mirror.values().any(|p| label(p) != hash);
            if old && new {
                *flag.lock() = true;
            }
        }
    });
    set_image(&store, "db", "postgres:16");
    wait_for("recreate rollout", || {
        complete(&store, "db")
            && pods(&store, NS)
                .iter()
                .all(|p| image_of(p) == "postgres:16")
    })
    .await;
    monitor.abort();
    assert!(!*overlap.lock(), "old and new pods existed together");
    assert_eq!(pods(&store, NS).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn proportional_scaling_mid_rollout() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with("api", 10, "api:v1", rolling(3, 2)))
        .unwrap();
    wait_for("first rollout", || complete(&store, "api")).await;
    let old_hash = rs_hash(&replica_sets(&store, NS)[0]);
    set_image(&store, "api", "api:bad");
    let sizes = |store: &Store| {
        let rss = replica_sets(store, NS);
        let size = |old: bool| -> i32 {
            rss.iter()
                .filter(|rs| (rs_hash(rs) == old_hash) == old)
                .map(|rs| rs.spec.as_ref().unwrap().replicas.unwrap())
                .sum()
        };
        (size(true), size(false))
    };
    wait_for("stuck rollout at old 8 / new 5", || sizes(&store) == (8, 5)).await;
    sleep(Duration::from_secs(10)).await;
    assert_eq!(sizes(&store), (8, 5));

    store
        .mutate::<Deployment>(NS, "api", UpdateScope::Main, |d| {
            d.spec.as_mut().unwrap().replicas = Some(30);
            true
        })
        .unwrap();
    wait_for("proportional scaling", || sizes(&store) == (20, 13)).await;
    sleep(Duration::from_secs(10)).await;
    assert_eq!(sizes(&store), (20, 13));
    for rs in replica_sets(&store, NS) {
        assert_eq!(
            annotation(&rs.metadata, "deployment.kubernetes.io/desired-replicas").as_deref(),
            Some("30")
        );
        assert_eq!(
            annotation(&rs.metadata, "deployment.kubernetes.io/max-replicas").as_deref(),
            Some("33")
        );
    }
}

#[tokio::test(start_paused = true)]
async fn undo_restores_the_old_template_under_a_new_revision() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with("web", 2, "nginx:1.24", json!({})))
        .unwrap();
    wait_for("revision 1", || complete(&store, "web")).await;
    set_image(&store, "web", "nginx:1.25");
    wait_for("revision 2", || {
        complete(&store, "web") && pods(&store, NS).iter().all(|p| image_of(p) == "nginx:1.25")
    })
    .await;

    // What kubectl rollout undo does: the previous revision's template, minus the hash label.
    let previous = replica_sets(&store, NS)
        .into_iter()
        .find(|rs| {
            annotation(&rs.metadata, "deployment.kubernetes.io/revision").as_deref() == Some("1")
        })
        .unwrap();
    let mut template = previous.spec.clone().unwrap().template.unwrap();
    template
        .metadata
        .as_mut()
        .unwrap()
        .labels
        .as_mut()
        .unwrap()
        .remove("pod-template-hash");
    store
        .mutate::<Deployment>(NS, "web", UpdateScope::Main, |d| {
            d.spec.as_mut().unwrap().template = template.clone();
            true
        })
        .unwrap();
    wait_for("undo", || {
        complete(&store, "web") && pods(&store, NS).iter().all(|p| image_of(p) == "nginx:1.24")
    })
    .await;
    let restored = store
        .get_as::<ReplicaSet>(NS, previous.metadata.name.as_deref().unwrap())
        .unwrap();
    assert_eq!(
        annotation(&restored.metadata, "deployment.kubernetes.io/revision").as_deref(),
        Some("3")
    );
    assert_eq!(
        annotation(
            &restored.metadata,
            "deployment.kubernetes.io/revision-history"
        )
        .as_deref(),
        Some("1")
    );
    let d = get_deployment(&store, "web");
    assert_eq!(
        annotation(&d.metadata, "deployment.kubernetes.io/revision").as_deref(),
        Some("3")
    );
    assert_eq!(replica_sets(&store, NS).len(), 2);
    assert_eq!(pods(&store, NS).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn paused_deployment_creates_no_replica_set_until_resumed() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with("web", 2, "nginx", json!({"paused": true})))
        .unwrap();
    wait_for("paused condition", || {
        condition(&get_deployment(&store, "web"), "Progressing").is_some()
    })
    .await;
    sleep(Duration::from_secs(10)).await;
    assert!(replica_sets(&store, NS).is_empty());
    assert_eq!(
        condition(&get_deployment(&store, "web"), "Progressing"),
        Some((
            "Unknown".into(),
            "DeploymentPaused".into(),
            "Deployment is paused".into()
        ))
    );
    store
        .mutate::<Deployment>(NS, "web", UpdateScope::Main, |d| {
            d.spec.as_mut().unwrap().paused = Some(false);
            true
        })
        .unwrap();
    wait_for("rollout after resume", || complete(&store, "web")).await;
    assert_eq!(replica_sets(&store, NS).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn progress_deadline_exceeded_is_reported() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with(
            "web",
            2,
            "nginx:bad",
            json!({"progressDeadlineSeconds": 30}),
        ))
        .unwrap();
    wait_for("deadline", || {
        condition(&get_deployment(&store, "web"), "Progressing")
            .is_some_and(|(status, _, _)| status == "False")
    })
    .await;
    let rs = replica_sets(&store, NS).pop().unwrap();
    let d = get_deployment(&store, "web");
    assert_eq!(
        condition(&d, "Progressing"),
        Some((
            "False".into(),
            "ProgressDeadlineExceeded".into(),
            format!(
                "ReplicaSet \"{}\" has timed out progressing.",
                rs.metadata.name.unwrap()
            )
        ))
    );
    assert_eq!(
        condition(&d, "Available").map(|c| (c.0, c.1)),
        Some(("False".into(), "MinimumReplicasUnavailable".into()))
    );
}

#[tokio::test(start_paused = true)]
async fn revision_history_limit_zero_keeps_no_old_replica_set() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with(
            "web",
            2,
            "nginx:1.24",
            json!({"revisionHistoryLimit": 0}),
        ))
        .unwrap();
    wait_for("revision 1", || complete(&store, "web")).await;
    set_image(&store, "web", "nginx:1.25");
    wait_for("only the new ReplicaSet", || {
        complete(&store, "web") && replica_sets(&store, NS).len() == 1
    })
    .await;
    let rs = replica_sets(&store, NS).pop().unwrap();
    assert_eq!(
        annotation(&rs.metadata, "deployment.kubernetes.io/revision").as_deref(),
        Some("2")
    );
}

async fn delete_deployment_and_wait(propagation: Propagation) -> Store {
    let (store, cancel) = default_cluster();
    std::mem::forget(cancel);
    store
        .create(deployment_with("web", 3, "nginx", json!({})))
        .unwrap();
    wait_for("rollout", || complete(&store, "web")).await;
    store
        .delete(
            Kind::Deployment,
            NS,
            "web",
            &DeleteOptions {
                propagation: Some(propagation),
                ..DeleteOptions::default()
            },
        )
        .unwrap();
    wait_for("deployment gone", || {
        store.get(Kind::Deployment, NS, "web").is_none()
    })
    .await;
    store
}

#[tokio::test(start_paused = true)]
async fn background_cascade_removes_replica_sets_and_pods() {
    let store = delete_deployment_and_wait(Propagation::Background).await;
    wait_for("dependents gone", || {
        replica_sets(&store, NS).is_empty() && pods(&store, NS).is_empty()
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn foreground_cascade_removes_dependents_before_the_owner() {
    let store = delete_deployment_and_wait(Propagation::Foreground).await;
    // Foreground: by the time the Deployment is gone, so are its ReplicaSets.
    assert!(replica_sets(&store, NS).is_empty());
    wait_for("pods gone", || pods(&store, NS).is_empty()).await;
}

#[tokio::test(start_paused = true)]
async fn orphan_delete_leaves_the_replica_set_without_owner_then_adoption() {
    let store = delete_deployment_and_wait(Propagation::Orphan).await;
    sleep(Duration::from_secs(5)).await;
    let rss = replica_sets(&store, NS);
    assert_eq!(rss.len(), 1);
    assert_eq!(rss[0].metadata.owner_references, None);
    let pod_names: Vec<_> = pods(&store, NS)
        .into_iter()
        .map(|p| p.metadata.name)
        .collect();
    assert_eq!(pod_names.len(), 3);

    // A Deployment with the same selector and template adopts it again.
    store
        .create(deployment_with("web", 3, "nginx", json!({})))
        .unwrap();
    wait_for("adoption", || {
        replica_sets(&store, NS)[0]
            .metadata
            .owner_references
            .is_some()
            && complete(&store, "web")
    })
    .await;
    let owner = replica_sets(&store, NS)[0]
        .metadata
        .owner_references
        .clone()
        .unwrap();
    assert_eq!(owner[0].kind, "Deployment");
    assert_eq!(
        owner[0].uid,
        get_deployment(&store, "web").metadata.uid.unwrap()
    );
    assert_eq!(replica_sets(&store, NS).len(), 1);
    let after: Vec<_> = pods(&store, NS)
        .into_iter()
        .map(|p| p.metadata.name)
        .collect();
    assert_eq!(after, pod_names);
}

fn replica_set(name: &str, replicas: i32, image: &str) -> ReplicaSet {
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

fn ready_replicas(store: &Store, name: &str) -> i32 {
    store
        .get_as::<ReplicaSet>(NS, name)
        .and_then(|rs| rs.status)
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn replica_set_scale_down_deletes_not_ready_pods_first() {
    let (store, _cancel) = default_cluster();
    store.create(replica_set("cache", 2, "redis")).unwrap();
    wait_for("two ready pods", || ready_replicas(&store, "cache") == 2).await;
    let scale = |replicas: i32, image: &str| {
        let image = image.to_string();
        store
            .mutate::<ReplicaSet>(NS, "cache", UpdateScope::Main, |rs| {
                let spec = rs.spec.as_mut().unwrap();
                spec.replicas = Some(replicas);
                spec.template
                    .as_mut()
                    .unwrap()
                    .spec
                    .as_mut()
                    .unwrap()
                    .containers[0]
                    .image = Some(image.clone());
                true
            })
            .unwrap();
    };
    scale(3, "redis:bad");
    wait_for("three pods, one never ready", || {
        pods(&store, NS).len() == 3
            && pods(&store, NS)
                .iter()
                .all(|p| p.status.as_ref().is_some_and(|s| s.pod_ip.is_some()))
    })
    .await;
    let unready = pods(&store, NS).into_iter().find(|p| !is_ready(p)).unwrap();
    let unready_name = unready.metadata.name.unwrap();
    scale(2, "redis:bad");
    wait_for("back to two", || pods(&store, NS).len() == 2).await;
    assert!(pods(&store, NS).iter().all(is_ready));
    assert!(
        event_messages(&store, "SuccessfulDelete")
            .contains(&format!("Deleted pod: {unready_name}"))
    );
    let rs = store.get_as::<ReplicaSet>(NS, "cache").unwrap();
    let status = rs.status.unwrap();
    assert_eq!(
        (
            status.replicas,
            status.ready_replicas,
            status.available_replicas
        ),
        (2, Some(2), Some(2))
    );
    assert_eq!(status.observed_generation, rs.metadata.generation);
    let created = event_messages(&store, "SuccessfulCreate");
    assert_eq!(created.len(), 3);
    assert!(created.iter().all(|m| m.starts_with("Created pod: cache-")));
}

fn bare_pod(name: &str, image: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": "shop"}},
        "spec": {"containers": [{"name": "app", "image": image,
            "ports": [{"name": "http", "containerPort": 8080}]}]}
    }))
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn endpoints_list_ready_and_not_ready_addresses() {
    let (store, _cancel) = default_cluster();
    let service: Service = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "shop", "namespace": NS, "labels": {"tier": "front"}},
        "spec": {"selector": {"app": "shop"},
            "ports": [{"name": "web", "port": 80, "targetPort": "http", "protocol": "TCP"}]}
    }))
    .unwrap();
    store.create(service).unwrap();
    store.create(bare_pod("good", "shop:v1")).unwrap();
    store.create(bare_pod("bad", "shop:bad")).unwrap();
    let endpoints = || store.get_as::<Endpoints>(NS, "shop");
    wait_for("both addresses", || {
        endpoints().and_then(|e| e.subsets).is_some_and(|s| {
            s.len() == 1 && s[0].addresses.is_some() && s[0].not_ready_addresses.is_some()
        })
    })
    .await;
    let ep = endpoints().unwrap();
    assert_eq!(ep.metadata.labels.as_ref().unwrap()["tier"], "front");
    let subset = &ep.subsets.unwrap()[0];
    let ready = subset.addresses.as_ref().unwrap();
    let not_ready = subset.not_ready_addresses.as_ref().unwrap();
    assert_eq!(ready.len(), 1);
    assert_eq!(not_ready.len(), 1);
    let target = ready[0].target_ref.as_ref().unwrap();
    assert_eq!(
        (target.kind.as_deref(), target.name.as_deref()),
        (Some("Pod"), Some("good"))
    );
    assert_eq!(ready[0].node_name.as_deref(), Some("node-1"));
    let good = store.get_as::<Pod>(NS, "good").unwrap();
    assert_eq!(Some(&ready[0].ip), good.status.unwrap().pod_ip.as_ref());
    assert_eq!(
        not_ready[0].target_ref.as_ref().unwrap().name.as_deref(),
        Some("bad")
    );
    let port = &subset.ports.as_ref().unwrap()[0];
    assert_eq!(
        (port.name.as_deref(), port.port, port.protocol.as_deref()),
        (Some("web"), 8080, Some("TCP"))
    );

    store
        .delete(Kind::Service, NS, "shop", &DeleteOptions::default())
        .unwrap();
    wait_for("endpoints removed", || endpoints().is_none()).await;
}

#[tokio::test(start_paused = true)]
async fn namespace_deletion_removes_contents_then_the_namespace() {
    let (store, _cancel) = default_cluster();
    store.create(namespace("team")).unwrap();
    let mut d = deployment_with("web", 2, "nginx", json!({}));
    d.metadata.namespace = Some("team".into());
    store.create(d).unwrap();
    wait_for("pods in team", || {
        pods(&store, "team").len() == 2 && pods(&store, "team").iter().all(is_ready)
    })
    .await;
    let mut watch = store.watch(Some(Kind::Namespace), None).unwrap();
    store
        .delete(Kind::Namespace, "", "team", &DeleteOptions::default())
        .unwrap();
    // While pods terminate, the namespace says what remains.
    let mut reported = false;
    while let Some(WatchItem::Event(event)) = watch.next().await {
        let ns = event.object.as_typed::<Namespace>().unwrap().clone();
        let status = ns.status.unwrap_or_default();
        assert_eq!(status.phase.as_deref(), Some("Terminating"));
        reported |= status.conditions.iter().flatten().any(|c| {
            c.type_ == "NamespaceContentRemaining"
                && c.status == "True"
                && c.message.as_deref().is_some_and(|m| {
                    m.starts_with("Some resources are remaining: ")
                        && m.contains("pods. has 2 resource instances")
                })
        });
        if event.event_type == EventType::Deleted {
            break;
        }
    }
    assert!(reported);
    wait_for("namespace gone", || {
        store.get(Kind::Namespace, "", "team").is_none()
    })
    .await;
    for kind in Kind::ALL.iter().filter(|k| k.namespaced()) {
        assert!(
            store
                .list(*kind, Some("team"), &ListFilter::default())
                .items
                .is_empty(),
            "{kind:?} left"
        );
    }
    assert!(store.get(Kind::Namespace, "", NS).is_some());
}

#[tokio::test(start_paused = true)]
async fn hash_collision_bumps_collision_count() {
    let (store, _cancel) = default_cluster();
    let d = deployment_with("web", 1, "nginx", json!({}));
    let hash = podium::controllers::deployment::util::compute_hash(
        Some(&d.spec.as_ref().unwrap().template),
        None,
    );
    // Someone else's ReplicaSet already has the name the template hashes to.
    let mut squatter = replica_set(&format!("web-{hash}"), 0, "other");
    squatter.metadata.labels = Some([("app".to_string(), "other".to_string())].into());
    store.create(squatter).unwrap();
    store.create(d).unwrap();
    wait_for("rollout", || complete(&store, "web")).await;
    let d = get_deployment(&store, "web");
    assert_eq!(d.status.unwrap().collision_count, Some(1));
    let ours: Vec<ReplicaSet> = replica_sets(&store, NS)
        .into_iter()
        .filter(|rs| rs.metadata.owner_references.is_some())
        .collect();
    assert_eq!(ours.len(), 1);
    assert_ne!(ours[0].metadata.name, Some(format!("web-{hash}")));
}

#[tokio::test(start_paused = true)]
async fn min_ready_seconds_delays_availability() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with(
            "web",
            2,
            "nginx",
            json!({"minReadySeconds": 10}),
        ))
        .unwrap();
    wait_for("ready pods", || {
        pods(&store, NS).len() == 2 && pods(&store, NS).iter().all(is_ready)
    })
    .await;
    sleep(Duration::from_secs(5)).await;
    let d = get_deployment(&store, "web");
    assert_eq!(d.status.as_ref().unwrap().ready_replicas, Some(2));
    assert_eq!(d.status.as_ref().unwrap().available_replicas, None);
    assert_eq!(
        condition(&d, "Available").map(|c| c.1),
        Some("MinimumReplicasUnavailable".into())
    );
    sleep(Duration::from_secs(8)).await;
    assert!(complete(&store, "web"));
}

#[tokio::test(start_paused = true)]
async fn replica_set_replaces_a_deleted_pod() {
    let (store, _cancel) = default_cluster();
    store.create(replica_set("cache", 2, "redis")).unwrap();
    wait_for("two ready pods", || ready_replicas(&store, "cache") == 2).await;
    let victim = pods(&store, NS)[0].metadata.name.clone().unwrap();
    store
        .delete(Kind::Pod, NS, &victim, &DeleteOptions::default())
        .unwrap();
    wait_for("replacement", || {
        let pods = pods(&store, NS);
        pods.len() == 2
            && pods
                .iter()
                .all(|p| p.metadata.name.as_deref() != Some(victim.as_str()))
            && ready_replicas(&store, "cache") == 2
    })
    .await;
}

/// The real runtime is multi-threaded with real time: a rollout still ends
/// complete with one ReplicaSet per template.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_completes_on_a_multi_threaded_runtime() {
    let (store, _cancel) = cluster(DriverOptions {
        ready_after: Duration::from_millis(20),
        one_at_a_time: false,
    });
    store
        .create(deployment_with("web", 4, "nginx:1.24", rolling(1, 1)))
        .unwrap();
    wait_for("first rollout", || complete(&store, "web")).await;
    set_image(&store, "web", "nginx:1.25");
    wait_for("second rollout", || {
        complete(&store, "web")
            && pods(&store, NS).len() == 4
            && pods(&store, NS).iter().all(|p| image_of(p) == "nginx:1.25")
    })
    .await;
    assert_eq!(replica_sets(&store, NS).len(), 2);
}

/// The walkthrough's rollout on the real scheduler, kubelet and simulated
/// runtime (readiness probes, minReadySeconds 10), paused time: at every pod
/// change at most 6 live pods and, once the first rollout is done, at least
/// 4 available (Ready for 10 s).
#[tokio::test(start_paused = true)]
async fn walkthrough_rollout_on_the_sim_kubelet_keeps_the_bounds() {
    use podium::cluster::SimOptions;
    use podium::kubelet::{Kubelet, NodeConfig, Runtime, SimRuntime};

    let store = Store::in_memory();
    store.create(namespace(NS)).unwrap();
    let cancel = CancellationToken::new();
    let _controllers = controllers::start(store.clone(), cancel.clone());
    podium::scheduler::start(store.clone(), cancel.clone());
    let runtime: Arc<dyn Runtime> = Arc::new(SimRuntime::new(SimOptions::default()));
    Kubelet::start(
        store.clone(),
        runtime,
        NodeConfig::new("podium", 0),
        cancel.clone(),
    );

    let probe =
        json!({"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 5, "periodSeconds": 1});
    let mut deployment =
        deployment_with("nginx-dep", 5, "library/nginx:1.14-alpine", rolling(1, 1));
    let spec = deployment.spec.as_mut().unwrap();
    spec.min_ready_seconds = Some(10);
    let container = &mut spec.template.spec.as_mut().unwrap().containers[0];
    container.name = "nginx".into();
    container.ports = Some(vec![
        serde_json::from_value(json!({"containerPort": 80})).unwrap(),
    ]);
    container.readiness_probe = Some(serde_json::from_value(probe.clone()).unwrap());
    container.liveness_probe = Some(serde_json::from_value(probe).unwrap());
    // As the API server would.
    let mut object = Object::from(deployment);
    podium::api::defaults::apply_defaults(&mut object);
    store.create(object).unwrap();
    wait_for("first rollout", || complete(&store, "nginx-dep")).await;

    let violations = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut watch = store.watch(Some(Kind::Pod), None).unwrap();
    let checker = {
        let (store, violations) = (store.clone(), violations.clone());
        tokio::spawn(async move {
            while let Some(WatchItem::Event(_)) = watch.next().await {
                let live: Vec<Pod> = pods(&store, NS)
                    .into_iter()
                    .filter(|p| p.metadata.deletion_timestamp.is_none())
                    .collect();
                let available = live.iter().filter(|p| ready_for(p, 10)).count();
                if live.len() > 6 || available < 4 {
                    violations
                        .lock()
                        .push(format!("{} live, {available} available", live.len()));
                }
            }
        })
    };
    set_image(&store, "nginx-dep", "library/nginx:1.18-alpine");
    wait_for("rollout to 1.18", || {
        complete(&store, "nginx-dep")
            && get_deployment(&store, "nginx-dep")
                .spec
                .and_then(|s| s.template.spec)
                .is_some_and(|s| {
                    s.containers[0].image.as_deref() == Some("library/nginx:1.18-alpine")
                })
    })
    .await;
    checker.abort();
    assert_eq!(*violations.lock(), Vec::<String>::new());
    let mut sizes: Vec<(i32, String)> = replica_sets(&store, NS)
        .iter()
        .map(|rs| {
            let image = rs
                .spec
                .as_ref()
                .unwrap()
                .template
                .as_ref()
                .unwrap()
                .spec
                .as_ref()
                .unwrap()
                .containers[0]
                .image
                .clone()
                .unwrap();
            (rs.spec.as_ref().unwrap().replicas.unwrap(), image)
        })
        .collect();
    sizes.sort();
    assert_eq!(
        sizes,
        [
            (0, "library/nginx:1.14-alpine".to_string()),
            (5, "library/nginx:1.18-alpine".to_string())
        ]
    );
    let live = pods(&store, NS);
    assert_eq!(live.len(), 5, "old pods are gone");
    assert!(
        live.iter()
            .all(|p| image_of(p) == "library/nginx:1.18-alpine")
    );
    cancel.cancel();
}

/// Ready, and Ready for at least `seconds` (upstream's IsPodAvailable).
fn ready_for(pod: &Pod, seconds: i64) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready" && c.status == "True"))
        .and_then(|c| c.last_transition_time.as_ref())
        .is_some_and(|since| podium::clock::seconds_since(since) >= seconds)
}
