//! The StatefulSet controller: ordinals created in order and removed from
//! the top, a claim per template and ordinal, rolling updates from the
//! highest ordinal down to the partition, ControllerRevisions, Parallel
//! pod management and failed pods made again under the same name.

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};

use crate::support::*;

fn stateful_set(name: &str, replicas: i32, image: &str, extra_spec: serde_json::Value) -> Object {
    let mut value = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "serviceName": name,
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image,
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}
            },
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}}}}]
        }
    });
    for (k, v) in extra_spec.as_object().cloned().unwrap_or_default() {
        value["spec"][k] = v;
    }
    let mut object = Object::from_json(Kind::StatefulSet, value).unwrap();
    podium::api::defaults::apply_defaults(&mut object);
    object
}

fn get_set(store: &Store, name: &str) -> StatefulSet {
    let object = store.get(Kind::StatefulSet, NS, name).unwrap();
    serde_json::from_value(object.to_json()).unwrap()
}

fn change_set(store: &Store, name: &str, change: impl Fn(&mut serde_json::Value)) {
    store
        .mutate_json(Kind::StatefulSet, NS, name, UpdateScope::Main, |value| {
            change(value);
            true
        })
        .unwrap();
}

fn pod(store: &Store, name: &str) -> Option<Pod> {
    store.get_as::<Pod>(NS, name)
}

fn revision_label(pod: &Pod) -> String {
    pod.metadata.labels.as_ref().unwrap()["controller-revision-hash"].clone()
}

/// Every pod web-i (i > 0) exists only once web-(i-1) is Running and Ready.
fn ordered(store: &Store, name: &str, replicas: i32) -> bool {
    (1..replicas).all(|i| {
        pod(store, &format!("{name}-{i}")).is_none()
            || pod(store, &format!("{name}-{}", i - 1)).is_some_and(|p| is_ready(&p))
    })
}

fn ready_replicas(store: &Store, name: &str) -> i32 {
    get_set(store, name)
        .status
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn ordered_ready_creates_in_order_scales_down_from_the_top_and_rolls_from_the_highest_ordinal()
 {
    let (store, _cancel) = default_cluster();
    store
        .create(stateful_set("web", 3, "nginx:1.24", json!({})))
        .unwrap();
    wait_for("three ready pods, made in order", || {
        assert!(
            ordered(&store, "web", 3),
            "a pod came before its predecessor was ready"
        );
        ready_replicas(&store, "web") == 3
    })
    .await;
    for i in 0..3 {
        let pod = pod(&store, &format!("web-{i}")).unwrap();
        let spec = pod.spec.unwrap();
        assert_eq!(spec.hostname.as_deref(), Some(format!("web-{i}").as_str()));
        assert_eq!(spec.subdomain.as_deref(), Some("web"));
        let claim = store
            .get(Kind::PersistentVolumeClaim, NS, &format!("data-web-{i}"))
            .unwrap_or_else(|| panic!("claim data-web-{i}"));
        assert_eq!(claim.meta().labels.as_ref().unwrap()["app"], "web");
    }
    let created = event_messages(&store, "SuccessfulCreate");
    assert!(
        created
            .contains(&"create Claim data-web-0 Pod web-0 in StatefulSet web success".to_string()),
        "{created:?}"
    );
    assert!(
        created.contains(&"create Pod web-2 in StatefulSet web successful".to_string()),
        "{created:?}"
    );
    let status = get_set(&store, "web").status.unwrap();
    assert_eq!(status.replicas, 3);
    assert_eq!(status.current_revision, status.update_revision);
    assert_eq!(
        status.observed_generation,
        get_set(&store, "web").metadata.generation
    );

    // Scale down: the highest ordinal goes first; the claims stay.
    change_set(&store, "web", |v| v["spec"]["replicas"] = json!(1));
    wait_for("one pod left", || {
        assert!(
            pod(&store, "web-1").is_some() || pod(&store, "web-2").is_none(),
            "web-1 went before web-2"
        );
        pods(&store, NS).len() == 1
    })
    .await;
    assert!(pod(&store, "web-0").is_some());
    assert!(
        store
            .get(Kind::PersistentVolumeClaim, NS, "data-web-2")
            .is_some()
    );

    // A rolling update with a partition: ordinals 1 and 2 are updated,
    // from the top, ordinal 0 keeps the old revision.
    change_set(&store, "web", |v| v["spec"]["replicas"] = json!(3));
    wait_for("three again", || ready_replicas(&store, "web") == 3).await;
    let old_revision = revision_label(&pod(&store, "web-0").unwrap());
    change_set(&store, "web", |v| {
        v["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = json!(1);
        v["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.25");
    });
    wait_for("the partitioned roll out", || {
        let updated = |i: i32| {
            pod(&store, &format!("web-{i}"))
                .is_some_and(|p| image_of(&p) == "nginx:1.25" && is_ready(&p))
        };
        assert!(!updated(1) || updated(2), "web-1 was updated before web-2");
        updated(1) && updated(2) && ready_replicas(&store, "web") == 3
    })
    .await;
    assert_eq!(image_of(&pod(&store, "web-0").unwrap()), "nginx:1.24");
    assert_eq!(revision_label(&pod(&store, "web-0").unwrap()), old_revision);
    let status = get_set(&store, "web").status.unwrap();
    assert_eq!(status.updated_replicas, Some(2));
    assert_eq!(
        status.current_revision.as_deref(),
        Some(old_revision.as_str())
    );
    assert_ne!(status.current_revision, status.update_revision);

    // Partition 0: the rest follows and the update becomes current.
    change_set(&store, "web", |v| {
        v["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = json!(0)
    });
    wait_for("the whole roll out", || {
        let status = get_set(&store, "web").status.unwrap_or_default();
        status.updated_replicas == Some(3)
            && status.ready_replicas == Some(3)
            && status.current_revision == status.update_revision
    })
    .await;
    assert_eq!(image_of(&pod(&store, "web-0").unwrap()), "nginx:1.25");
    let revisions: Vec<ControllerRevision> = store
        .list(Kind::ControllerRevision, Some(NS), &ListFilter::default())
        .items
        .iter()
        .map(|o| serde_json::from_value(o.to_json()).unwrap())
        .collect();
    let mut numbers: Vec<i64> = revisions.iter().map(|r| r.revision).collect();
    numbers.sort();
    assert_eq!(numbers, vec![1, 2]);
    let newest = revisions.iter().find(|r| r.revision == 2).unwrap();
    assert_eq!(
        newest.metadata.name.as_deref(),
        get_set(&store, "web")
            .status
            .unwrap()
            .update_revision
            .as_deref()
    );
}

#[tokio::test(start_paused = true)]
async fn parallel_pods_start_together_and_a_failed_pod_comes_back_under_its_name() {
    let (store, _cancel) = default_cluster();
    store
        .create(stateful_set(
            "db",
            3,
            "postgres",
            json!({"podManagementPolicy": "Parallel"}),
        ))
        .unwrap();
    wait_for("three pods before any is ready", || {
        pods(&store, NS).len() == 3
    })
    .await;
    assert!(pods(&store, NS).iter().all(|p| !is_ready(p)));
    wait_for("three ready", || ready_replicas(&store, "db") == 3).await;

    let old_uid = pod(&store, "db-1").unwrap().metadata.uid;
    store
        .mutate::<Pod>(NS, "db-1", UpdateScope::Status, |p| {
            p.status.as_mut().unwrap().phase = Some("Failed".into());
            true
        })
        .unwrap();
    wait_for("db-1 made again", || {
        pod(&store, "db-1").is_some_and(|p| p.metadata.uid != old_uid && is_ready(&p))
    })
    .await;
    assert!(
        event_messages(&store, "SuccessfulDelete")
            .contains(&"delete Pod db-1 in StatefulSet db successful".to_string())
    );
}

#[tokio::test(start_paused = true)]
async fn claims_go_with_the_set_or_the_scaled_pod_when_the_policy_says_delete() {
    let (store, _cancel) = default_cluster();
    store
        .create(stateful_set(
            "kv",
            2,
            "redis",
            json!({"persistentVolumeClaimRetentionPolicy":
                {"whenDeleted": "Delete", "whenScaled": "Delete"}}),
        ))
        .unwrap();
    wait_for("two ready", || ready_replicas(&store, "kv") == 2).await;
    change_set(&store, "kv", |v| v["spec"]["replicas"] = json!(1));
    wait_for("the scaled pod's claim gone", || {
        store
            .get(Kind::PersistentVolumeClaim, NS, "data-kv-1")
            .is_none()
    })
    .await;
    assert!(
        store
            .get(Kind::PersistentVolumeClaim, NS, "data-kv-0")
            .is_some()
    );
    store
        .delete(Kind::StatefulSet, NS, "kv", &DeleteOptions::default())
        .unwrap();
    wait_for("the set's claims and pods gone", || {
        store
            .get(Kind::PersistentVolumeClaim, NS, "data-kv-0")
            .is_none()
            && pods(&store, NS).is_empty()
    })
    .await;
}
