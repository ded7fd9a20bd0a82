//! What every cluster holds from its first start, as kube-apiserver's
//! post-start hooks make it: the default ClusterRoles and
//! ClusterRoleBindings, and the system PriorityClasses. Existing objects
//! are left alone (a user's edits win), missing ones are made.

use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::api::{Kind, Object, rbac};
use crate::store::{Store, StoreError};

/// The system PriorityClasses and their values (pkg/apis/scheduling).
const PRIORITY_CLASSES: &[(&str, i32, &str)] = &[
    (
        "system-node-critical",
        2_000_001_000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        2_000_000_000,
        "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    ),
];

fn create(store: &Store, kind: Kind, value: serde_json::Value) {
    let Ok(object) = Object::from_json(kind, value) else {
        tracing::warn!(%kind, "a default object does not parse");
        return;
    };
    if store.get(kind, object.namespace(), object.name()).is_some() {
        return;
    }
    match store.create(object) {
        Ok(_) | Err(StoreError::AlreadyExists { .. }) => {}
        Err(error) => tracing::warn!(%error, "cannot create a default object"),
    }
}

pub fn ensure_defaults(store: &Store) {
    for role in rbac::bootstrap_cluster_roles() {
        if let Ok(value) = serde_json::to_value(role) {
            create(store, Kind::ClusterRole, value);
        }
    }
    for binding in rbac::bootstrap_cluster_role_bindings() {
        if let Ok(value) = serde_json::to_value(binding) {
            create(store, Kind::ClusterRoleBinding, value);
        }
    }
    for (name, value, description) in PRIORITY_CLASSES {
        let class = PriorityClass {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                ..Default::default()
            },
            value: *value,
            description: Some(description.to_string()),
            preemption_policy: Some("PreemptLowerPriority".to_string()),
            ..Default::default()
        };
        if let Ok(value) = serde_json::to_value(class) {
            create(store, Kind::PriorityClass, value);
        }
    }
}
