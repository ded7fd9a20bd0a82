//! The DaemonSet controller: one pod per node that fits (selector,
//! taints), kept on cordoned nodes, rolled node by node within
//! maxUnavailable, and gone from nodes that no longer fit.

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::Node;

use crate::support::*;

fn node(name: &str, extra: serde_json::Value) -> Node {
    let mut value = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]}
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        match k.as_str() {
            "labels" => {
                for (label, text) in v.as_object().cloned().unwrap_or_default() {
                    value["metadata"]["labels"][label] = text;
                }
            }
            _ => value["spec"][k] = v,
        }
    }
    serde_json::from_value(value).unwrap()
}

fn daemon_set(name: &str, extra_pod_spec: serde_json::Value) -> Object {
    let mut value = json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "agent", "image": "agent:1"}]}
            }
        }
    });
    for (k, v) in extra_pod_spec.as_object().cloned().unwrap_or_default() {
        value["spec"]["template"]["spec"][k] = v;
    }
    let mut object = Object::from_json(Kind::DaemonSet, value).unwrap();
    podium::api::defaults::apply_defaults(&mut object);
    object
}

fn status(store: &Store, name: &str) -> (i32, i32, i32) {
    let object = store.get(Kind::DaemonSet, NS, name).unwrap();
    let set: DaemonSet = serde_json::from_value(object.to_json()).unwrap();
    let s = set.status.unwrap_or_default();
    (
        s.desired_number_scheduled,
        s.number_ready,
        s.updated_number_scheduled.unwrap_or(0),
    )
}

/// Node of each pod of the set (sorted), with the pod's image.
fn placement(store: &Store, app: &str) -> Vec<(String, String)> {
    let mut placed: Vec<(String, String)> = pods(store, NS)
        .iter()
        .filter(|p| {
            p.metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.get("app").map(String::as_str) == Some(app))
        })
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .map(|p| {
            (
                p.spec
                    .as_ref()
                    .and_then(|s| s.node_name.clone())
                    .unwrap_or_default(),
                image_of(p),
            )
        })
        .collect();
    placed.sort();
    placed
}

#[tokio::test(start_paused = true)]
async fn one_pod_per_fitting_node_kept_when_cordoned_and_rolled_node_by_node() {
    let (store, _cancel) = default_cluster();
    store.create(node("node-1", json!({}))).unwrap();
    store
        .create(node("node-2", json!({"labels": {"disk": "ssd"}})))
        .unwrap();
    store
        .create(node(
            "node-3",
            json!({"taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}),
        ))
        .unwrap();
    store.create(daemon_set("agent", json!({}))).unwrap();
    wait_for("two ready daemon pods", || {
        status(&store, "agent") == (2, 2, 2)
    })
    .await;
    assert_eq!(
        placement(&store, "agent"),
        [
            ("node-1".into(), "agent:1".into()),
            ("node-2".into(), "agent:1".into())
        ]
    );
    let pod = pods(&store, NS).into_iter().next().unwrap();
    let tolerations = pod.spec.unwrap().tolerations.unwrap();
    assert!(
        tolerations
            .iter()
            .any(|t| t.key.as_deref() == Some("node.kubernetes.io/unschedulable"))
    );

    // Cordoned: the daemon pod stays.
    store
        .mutate::<Node>("", "node-1", UpdateScope::Main, |n| {
            n.spec.get_or_insert_with(Default::default).unschedulable = Some(true);
            true
        })
        .unwrap();
    sleep(Duration::from_secs(5)).await;
    assert_eq!(placement(&store, "agent").len(), 2);

    // Tolerating the taint and a new image: three nodes, rolled one by one.
    store
        .mutate_json(Kind::DaemonSet, NS, "agent", UpdateScope::Main, |v| {
            v["spec"]["template"]["spec"]["tolerations"] =
                json!([{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}]);
            v["spec"]["template"]["spec"]["containers"][0]["image"] = json!("agent:2");
            true
        })
        .unwrap();
    wait_for("the roll out over three nodes", || {
        let unready = pods(&store, NS).iter().filter(|p| !is_ready(p)).count();
        assert!(
            unready <= 2,
            "more than one node without a ready daemon pod"
        );
        status(&store, "agent") == (3, 3, 3)
    })
    .await;
    assert_eq!(
        placement(&store, "agent"),
        [
            ("node-1".into(), "agent:2".into()),
            ("node-2".into(), "agent:2".into()),
            ("node-3".into(), "agent:2".into())
        ]
    );

    // A node selector: only node-2; the others' pods go.
    store
        .mutate_json(Kind::DaemonSet, NS, "agent", UpdateScope::Main, |v| {
            v["spec"]["template"]["spec"]["nodeSelector"] = json!({"disk": "ssd"});
            true
        })
        .unwrap();
    wait_for("only node-2", || {
        placement(&store, "agent")
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            == ["node-2"]
            && status(&store, "agent") == (1, 1, 1)
    })
    .await;
    let revisions = store
        .list(Kind::ControllerRevision, Some(NS), &ListFilter::default())
        .items
        .len();
    assert_eq!(revisions, 3, "one ControllerRevision per template");
}
