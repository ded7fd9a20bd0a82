//! The VolumeBinding plugin's pre-filter: a pod waits while a claim it
//! mounts is missing, being deleted, or unbound with Immediate binding
//! (the volume controller binds those on its own; WaitForFirstConsumer
//! claims are provisioned once a pod uses them, so they do not hold the
//! pod back).

use k8s_openapi::api::core::v1::Pod;

use crate::api::Kind;
use crate::store::Store;

/// Why the pod's claims keep it from every node, in upstream's words.
pub fn blocker(store: &Store, pod: &Pod) -> Option<String> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    let claims = pod
        .spec
        .as_ref()?
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| v.persistent_volume_claim.as_ref());
    let mut unbound = false;
    for claim in claims {
        let name = claim.claim_name.as_str();
        let Some(object) = store.get(Kind::PersistentVolumeClaim, namespace, name) else {
            return Some(format!("persistentvolumeclaim \"{name}\" not found"));
        };
        if object.meta().deletion_timestamp.is_some() {
            return Some(format!("persistentvolumeclaim \"{name}\" is being deleted"));
        }
        let value = object.to_json();
        if value["status"]["phase"] == "Bound" {
            continue;
        }
        let class = value["spec"]["storageClassName"].as_str().unwrap_or("");
        let waits_for_consumer = store
            .get(Kind::StorageClass, "", class)
            .is_some_and(|c| c.to_json()["volumeBindingMode"] == "WaitForFirstConsumer");
        if !waits_for_consumer {
            unbound = true;
        }
    }
    unbound.then(|| "pod has unbound immediate PersistentVolumeClaims".to_string())
}

/// The FailedScheduling message for a pre-filter rejection.
pub fn message(reason: &str, nodes: usize) -> String {
    format!(
        "0/{nodes} nodes are available: {reason}. preemption: 0/{nodes} nodes are available: {nodes} Preemption is not helpful for scheduling."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod_with_claim(claim: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "x"}],
                "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": claim}}]}
        }))
        .expect("pod")
    }

    fn create(store: &Store, kind: Kind, value: serde_json::Value) {
        let object = crate::api::Object::from_json(kind, value).expect("object");
        store.create(object).expect("create");
    }

    #[test]
    fn missing_and_unbound_immediate_claims_hold_a_pod_back() {
        let store = Store::in_memory_with_default_namespace();
        let pod = pod_with_claim("data");
        assert_eq!(
            blocker(&store, &pod).as_deref(),
            Some("persistentvolumeclaim \"data\" not found")
        );
        let claim = |class: &str, phase: &str| {
            serde_json::json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data", "namespace": "default"},
                "spec": {"storageClassName": class}, "status": {"phase": phase}})
        };
        create(
            &store,
            Kind::PersistentVolumeClaim,
            claim("fast", "Pending"),
        );
        assert_eq!(
            blocker(&store, &pod).as_deref(),
            Some("pod has unbound immediate PersistentVolumeClaims")
        );
        assert_eq!(
            message("pod has unbound immediate PersistentVolumeClaims", 1),
            "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
        );
        create(
            &store,
            Kind::StorageClass,
            serde_json::json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": "fast"}, "provisioner": "x",
                "volumeBindingMode": "WaitForFirstConsumer"}),
        );
        assert_eq!(
            blocker(&store, &pod),
            None,
            "a claim waiting for its consumer"
        );
    }
}
