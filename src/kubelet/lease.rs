//! The node's heartbeat Lease (upstream's pkg/kubelet/nodelease over
//! component-helpers/apimachinery/lease): `kube-node-lease/<node>`, held
//! by the node for 40 s and renewed every 10 s (a quarter of that), owned
//! by the Node object once the kubelet finds it.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use serde_json::Value;

use crate::api::{Kind, Object};
use crate::store::{Store, StoreError, UpdateScope};

/// Where node leases live.
pub const LEASE_NAMESPACE: &str = "kube-node-lease";
/// Upstream's kubelet default (nodeLeaseDurationSeconds).
pub const LEASE_DURATION_SECONDS: i32 = 40;
/// Upstream renews at a quarter of the duration.
pub const RENEW_INTERVAL: Duration = Duration::from_secs(LEASE_DURATION_SECONDS as u64 / 4);

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot encode the node lease: {0}")]
    Encode(String),
}

/// setNodeOwnerFunc: a reference to the Node (no controller flag), when it exists.
fn node_owner(store: &Store, node: &str) -> Option<OwnerReference> {
    let found = store.get_as::<Node>("", node)?;
    Some(OwnerReference {
        api_version: "v1".into(),
        kind: "Node".into(),
        name: node.to_string(),
        uid: found.metadata.uid?,
        ..OwnerReference::default()
    })
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Value, LeaseError> {
    serde_json::to_value(value).map_err(|e| LeaseError::Encode(e.to_string()))
}

/// Creates the lease, or moves its renewTime to now (and gives it its
/// owner if it had none yet).
pub fn renew(store: &Store, node: &str) -> Result<(), LeaseError> {
    let now = encode(&crate::clock::now_micro())?;
    if store.get(Kind::Lease, LEASE_NAMESPACE, node).is_none() {
        return create(store, node);
    }
    let mut missing_owner = None;
    store.mutate_json(
        Kind::Lease,
        LEASE_NAMESPACE,
        node,
        UpdateScope::Main,
        |lease| {
            let Some(object) = lease.as_object_mut() else {
                return false;
            };
            let meta = object
                .entry("metadata")
                .or_insert_with(|| Value::Object(Default::default()));
            let owned = meta
                .get("ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|refs| !refs.is_empty());
            if !owned {
                let owner = missing_owner.get_or_insert_with(|| node_owner(store, node));
                if let (Some(owner), Some(meta)) = (owner.as_ref(), meta.as_object_mut())
                    && let Ok(owner) = serde_json::to_value(owner)
                {
                    meta.insert("ownerReferences".into(), Value::Array(vec![owner]));
                }
            }
            let spec = object
                .entry("spec")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(spec) = spec.as_object_mut() {
                spec.insert("renewTime".into(), now.clone());
            }
            true
        },
    )?;
    Ok(())
}

fn create(store: &Store, node: &str) -> Result<(), LeaseError> {
    let lease = Lease {
        metadata: ObjectMeta {
            name: Some(node.to_string()),
            namespace: Some(LEASE_NAMESPACE.to_string()),
            owner_references: node_owner(store, node).map(|o| vec![o]),
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(node.to_string()),
            lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
            renew_time: Some(crate::clock::now_micro()),
            ..LeaseSpec::default()
        }),
    };
    let object = Object::from_json(Kind::Lease, encode(&lease)?)
        .map_err(|e| LeaseError::Encode(e.to_string()))?;
    match store.create(object) {
        // Another writer made it first: the next renewal updates it.
        Ok(_) | Err(StoreError::AlreadyExists { .. }) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn store_with(namespaces: &[&str]) -> Store {
        let store = Store::in_memory();
        for name in namespaces {
            let ns: k8s_openapi::api::core::v1::Namespace =
                serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).unwrap();
            store.create(ns).unwrap();
        }
        store
    }

    fn lease(store: &Store) -> Lease {
        let object = store.get(Kind::Lease, LEASE_NAMESPACE, "node-1").unwrap();
        serde_json::from_value(object.to_json()).unwrap()
    }

    #[test]
    fn the_lease_is_created_held_and_renewed() {
        let store = store_with(&[LEASE_NAMESPACE]);
        renew(&store, "node-1").unwrap();
        let first = lease(&store);
        let spec = first.spec.clone().unwrap();
        assert_eq!(spec.holder_identity.as_deref(), Some("node-1"));
        assert_eq!(spec.lease_duration_seconds, Some(40));
        assert!(first.metadata.owner_references.is_none(), "no Node yet");
        let node: Node =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "node-1"}})).unwrap();
        let node = store.create(node).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        renew(&store, "node-1").unwrap();
        let second = lease(&store);
        assert!(second.spec.unwrap().renew_time.unwrap().0 > spec.renew_time.unwrap().0);
        let owner = &second.metadata.owner_references.unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str()),
            ("Node", "node-1")
        );
        assert_eq!(Some(&owner.uid), node.meta().uid.as_ref());
        assert_eq!(owner.controller, None);
    }

    #[test]
    fn without_its_namespace_the_lease_reports_the_error() {
        let store = store_with(&[]);
        assert!(renew(&store, "node-1").is_err());
    }
}
