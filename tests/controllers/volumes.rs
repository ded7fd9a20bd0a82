//! The volume controller: claims get the default class and a provisioned
//! volume, or bind to the smallest fitting volume; a claim in use is kept
//! until its pod goes; a released volume follows its reclaim policy.

use crate::support::*;

fn create_json(store: &Store, kind: Kind, value: serde_json::Value) {
    let mut object = Object::from_json(kind, value).unwrap();
    podium::api::defaults::apply_defaults(&mut object);
    podium::api::strategy::prepare_for_create(&mut object);
    store.create(object).unwrap();
}

fn claim(name: &str, class: Option<&str>, size: &str) -> serde_json::Value {
    let mut value = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    });
    if let Some(class) = class {
        value["spec"]["storageClassName"] = json!(class);
    }
    value
}

fn volume(name: &str, class: &str, size: &str) -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {"storageClassName": class, "capacity": {"storage": size},
            "accessModes": ["ReadWriteOnce"], "hostPath": {"path": format!("/tmp/{name}")}}
    })
}

fn field(
    store: &Store,
    kind: Kind,
    namespace: &str,
    name: &str,
    pointer: &str,
) -> serde_json::Value {
    store
        .get(kind, namespace, name)
        .map(|o| o.to_json().pointer(pointer).cloned().unwrap_or_default())
        .unwrap_or_default()
}

fn claim_phase(store: &Store, name: &str) -> serde_json::Value {
    field(
        store,
        Kind::PersistentVolumeClaim,
        NS,
        name,
        "/status/phase",
    )
}

#[tokio::test(start_paused = true)]
async fn a_claim_without_a_class_gets_the_default_and_a_volume_of_its_size() {
    let (store, _cancel) = default_cluster();
    wait_for("the default class", || {
        store.get(Kind::StorageClass, "", "standard").is_some()
    })
    .await;
    create_json(
        &store,
        Kind::PersistentVolumeClaim,
        claim("data", None, "2Gi"),
    );
    wait_for("the claim bound", || claim_phase(&store, "data") == "Bound").await;
    let uid = field(
        &store,
        Kind::PersistentVolumeClaim,
        NS,
        "data",
        "/metadata/uid",
    );
    let volume_name = format!("pvc-{}", uid.as_str().unwrap());
    let claim = store
        .get(Kind::PersistentVolumeClaim, NS, "data")
        .unwrap()
        .to_json();
    assert_eq!(claim["spec"]["storageClassName"], "standard");
    assert_eq!(claim["spec"]["volumeName"], volume_name.as_str());
    assert_eq!(claim["status"]["capacity"]["storage"], "2Gi");
    assert_eq!(
        claim["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"],
        "yes"
    );
    let volume = store
        .get(Kind::PersistentVolume, "", &volume_name)
        .unwrap()
        .to_json();
    assert_eq!(volume["status"]["phase"], "Bound");
    assert_eq!(volume["spec"]["claimRef"]["name"], "data");
    assert_eq!(volume["spec"]["persistentVolumeReclaimPolicy"], "Delete");
    assert!(
        event_messages(&store, "ProvisioningSucceeded")
            .contains(&format!("Successfully provisioned volume {volume_name}"))
    );

    // Deleted while a pod mounts it: kept until the pod is gone.
    store
        .create(
            serde_json::from_value::<Pod>(json!({
                "metadata": {"name": "user", "namespace": NS},
                "spec": {"containers": [{"name": "c", "image": "busybox"}],
                    "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "data"}}]}
            }))
            .unwrap(),
        )
        .unwrap();
    store
        .delete(
            Kind::PersistentVolumeClaim,
            NS,
            "data",
            &DeleteOptions::default(),
        )
        .unwrap();
    sleep(Duration::from_secs(5)).await;
    let kept = store.get(Kind::PersistentVolumeClaim, NS, "data").unwrap();
    assert!(kept.meta().deletion_timestamp.is_some());
    store
        .delete(Kind::Pod, NS, "user", &DeleteOptions::default())
        .unwrap();
    wait_for("the claim and its volume gone", || {
        store.get(Kind::PersistentVolumeClaim, NS, "data").is_none()
            && store
                .get(Kind::PersistentVolume, "", &volume_name)
                .is_none()
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_claim_binds_the_smallest_volume_that_fits_and_a_retained_one_is_released() {
    let (store, _cancel) = default_cluster();
    create_json(
        &store,
        Kind::PersistentVolume,
        volume("small", "manual", "1Gi"),
    );
    create_json(
        &store,
        Kind::PersistentVolume,
        volume("large", "manual", "20Gi"),
    );
    create_json(
        &store,
        Kind::PersistentVolume,
        volume("medium", "manual", "10Gi"),
    );
    wait_for("volumes available", || {
        field(
            &store,
            Kind::PersistentVolume,
            "",
            "medium",
            "/status/phase",
        ) == "Available"
    })
    .await;
    create_json(
        &store,
        Kind::PersistentVolumeClaim,
        claim("task", Some("manual"), "3Gi"),
    );
    wait_for("bound", || claim_phase(&store, "task") == "Bound").await;
    assert_eq!(
        field(
            &store,
            Kind::PersistentVolumeClaim,
            NS,
            "task",
            "/spec/volumeName"
        ),
        "medium"
    );
    assert_eq!(
        field(&store, Kind::PersistentVolume, "", "large", "/status/phase"),
        "Available"
    );
    store
        .delete(
            Kind::PersistentVolumeClaim,
            NS,
            "task",
            &DeleteOptions::default(),
        )
        .unwrap();
    wait_for("released", || {
        field(
            &store,
            Kind::PersistentVolume,
            "",
            "medium",
            "/status/phase",
        ) == "Released"
    })
    .await;

    // Nothing fits and no provisioner serves the class: the claim waits.
    create_json(
        &store,
        Kind::PersistentVolumeClaim,
        claim("huge", Some("manual"), "100Gi"),
    );
    sleep(Duration::from_secs(3)).await;
    assert_eq!(claim_phase(&store, "huge"), "Pending");
    assert!(!event_messages(&store, "ProvisioningFailed").is_empty());
}
