//! The scheduler: placement and upstream's FailedScheduling messages.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use podium::store::{ListFilter, UpdateScope};
use serde_json::json;

use super::common::*;

#[tokio::test(start_paused = true)]
async fn scheduler_explains_unschedulable_pods_like_upstream() {
    let (store, cancel) = scheduler_only();
    store
        .create(node(
            "node-a",
            "4",
            json!({}),
            json!([{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}]),
        ))
        .expect("node-a");
    store
        .create(node("node-b", "4", json!({}), json!([])))
        .expect("node-b");
    store
        .create(node("node-c", "1", json!({"disk": "ssd"}), json!([])))
        .expect("node-c");
    store
        .create(pod(json!({
            "metadata": {"name": "picky", "namespace": "default"},
            "spec": {"nodeSelector": {"disk": "ssd"},
                "containers": [{"name": "app", "image": "nginx:1.27",
                    "resources": {"requests": {"cpu": "2"}}}]}
        })))
        .expect("pod");
    let message = failed_scheduling(&store, "picky").await;
    assert_eq!(
        message,
        "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: infra}. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    );
    let pod = get(&store, "picky").expect("pod");
    let scheduled = condition(&pod, "PodScheduled").expect("PodScheduled");
    assert_eq!(scheduled.0, "False");
    assert_eq!(scheduled.1.as_deref(), Some("Unschedulable"));
    assert_eq!(scheduled.2.as_deref(), Some(message.as_str()));

    // Without a change in the cluster it is not tried again (no event storm),
    // not even when a node only refreshes its heartbeat.
    tokio::time::sleep(Duration::from_secs(30)).await;
    store
        .mutate::<Node>("", "node-b", UpdateScope::Status, |n| {
            if let Some(c) = n.status.as_mut().and_then(|s| s.conditions.as_mut()) {
                c[0].last_heartbeat_time = Some(podium::clock::now_time());
            }
            true
        })
        .expect("heartbeat");
    tokio::time::sleep(Duration::from_secs(30)).await;
    let attempts = events(&store, "picky")
        .into_iter()
        .find(|e| e.reason.as_deref() == Some("FailedScheduling"))
        .and_then(|e| e.count);
    assert_eq!(attempts, Some(1));

    // Labelling a node that fits lets it in (the scheduler retries on node changes).
    store
        .mutate::<Node>("", "node-b", UpdateScope::Main, |n| {
            n.metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert("disk".into(), "ssd".into());
            true
        })
        .expect("label");
    for _ in 0..200 {
        if get(&store, "picky")
            .and_then(|p| p.spec)
            .and_then(|s| s.node_name)
            .is_some()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bound = get(&store, "picky").expect("pod");
    assert_eq!(
        bound.spec.and_then(|s| s.node_name).as_deref(),
        Some("node-b")
    );
    assert!(has_event(
        &store,
        "picky",
        "Scheduled",
        "Successfully assigned default/picky to node-b"
    ));
    cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn scheduler_rejects_selector_taint_and_resources_separately() {
    let (store, cancel) = scheduler_only();
    store
        .create(node(
            "node-1",
            "2",
            json!({}),
            json!([{"key": "maintenance", "effect": "NoSchedule"}]),
        ))
        .expect("node");
    store
        .create(pod(json!({
            "metadata": {"name": "tainted", "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]}
        })))
        .expect("pod");
    assert_eq!(
        failed_scheduling(&store, "tainted").await,
        "0/1 nodes are available: 1 node(s) had untolerated taint {maintenance: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    );
    store
        .create(pod(json!({
            "metadata": {"name": "tolerant", "namespace": "default"},
            "spec": {"tolerations": [{"key": "maintenance", "operator": "Exists"}],
                "nodeSelector": {"zone": "b"},
                "containers": [{"name": "app", "image": "nginx"}]}
        })))
        .expect("pod");
    assert_eq!(
        failed_scheduling(&store, "tolerant").await,
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    );
    store
        .create(pod(json!({
            "metadata": {"name": "hungry", "namespace": "default"},
            "spec": {"tolerations": [{"operator": "Exists"}],
                "containers": [{"name": "app", "image": "nginx",
                    "resources": {"requests": {"cpu": "3", "memory": "16Gi"}}}]}
        })))
        .expect("pod");
    assert_eq!(
        failed_scheduling(&store, "hungry").await,
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    );
    cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn scheduler_spreads_pods_by_least_requested() {
    let (store, cancel) = scheduler_only();
    for name in ["node-1", "node-2"] {
        store
            .create(node(name, "4", json!({}), json!([])))
            .expect("node");
    }
    for i in 0..4 {
        store
            .create(pod(json!({
                "metadata": {"name": format!("p{i}"), "namespace": "default"},
                "spec": {"containers": [{"name": "app", "image": "nginx",
                    "resources": {"requests": {"cpu": "500m"}}}]}
            })))
            .expect("pod");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pods = store.list_as::<Pod>(Some("default"), &ListFilter::default());
    let on = |node: &str| {
        pods.iter()
            .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node))
            .count()
    };
    assert_eq!((on("node-1"), on("node-2")), (2, 2));
    cancel.cancel();
}
