//! Helpers shared by the controllers: label selectors as objects carry them,
//! controller references, and pod readiness/availability as upstream
//! (pkg/api/v1/pod) defines them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Pod, PodCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::jiff::Timestamp;

use super::ControllerError;
use crate::api::{Kind, Object};
use crate::store::ObjectKey;

/// Whether `labels` satisfy a `metav1.LabelSelector` (an empty selector
/// matches everything).
pub fn selector_matches(
    selector: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    let labels_ok = selector
        .match_labels
        .as_ref()
        .is_none_or(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let expressions_ok = selector.match_expressions.iter().flatten().all(|req| {
        let value = labels.get(&req.key);
        let values = req.values.as_deref().unwrap_or_default();
        match req.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    labels_ok && expressions_ok
}

/// True when a selector selects nothing in particular (upstream refuses
/// to act on it for Deployments).
pub fn selector_is_empty(selector: &LabelSelector) -> bool {
    selector
        .match_labels
        .as_ref()
        .is_none_or(BTreeMap::is_empty)
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(Vec::is_empty)
}

/// The ownerReference marked `controller: true`, if any.
pub fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
}

/// The key of the object `meta`'s controller points at, when it is of `kind`.
pub fn controller_key(meta: &ObjectMeta, kind: Kind) -> Option<ObjectKey> {
    let owner = controller_of(meta)?;
    (owner.kind == kind.info().kind_name)
        .then(|| ObjectKey::new(kind, meta.namespace.as_deref().unwrap_or(""), &owner.name))
}

/// A controller reference to `owner` (controller and blockOwnerDeletion set).
pub fn controller_ref(owner: &Object) -> OwnerReference {
    let info = owner.kind().info();
    OwnerReference {
        api_version: info.api_version(),
        kind: info.kind_name.to_string(),
        name: owner.name().to_string(),
        uid: owner.meta().uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Succeeded, Failed and terminating pods no longer count (FilterActivePods).
pub fn is_pod_active(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    !matches!(phase, Some("Succeeded" | "Failed")) && pod.metadata.deletion_timestamp.is_none()
}

pub fn pod_ready_condition(pod: &Pod) -> Option<&PodCondition> {
    pod.status
        .as_ref()?
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Ready")
}

pub fn is_pod_ready(pod: &Pod) -> bool {
    pod_ready_condition(pod).is_some_and(|c| c.status == "True")
}

/// When the pod became Ready (the Ready condition's lastTransitionTime).
pub fn pod_ready_since(pod: &Pod) -> Option<Timestamp> {
    pod_ready_condition(pod)
        .filter(|c| c.status == "True")
        .and_then(|c| c.last_transition_time.as_ref())
        .map(|t| t.0)
}

/// Ready for at least `min_ready_seconds` (IsPodAvailable: strictly before now).
pub fn is_pod_available(pod: &Pod, min_ready_seconds: i32, now: Timestamp) -> bool {
    if !is_pod_ready(pod) {
        return false;
    }
    if min_ready_seconds <= 0 {
        return true;
    }
    pod_ready_since(pod).is_some_and(|since| {
        since.as_second() + i64::from(min_ready_seconds) < now.as_second()
            || (since.as_second() + i64::from(min_ready_seconds) == now.as_second()
                && since.subsec_nanosecond() < now.subsec_nanosecond())
    })
}

pub fn pod_node_name(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or("")
}

/// The key of every object of `kind`: what a controller reconciles at
/// start and after a relist.
pub fn keys_of(store: &crate::store::Store, kind: Kind) -> Vec<ObjectKey> {
    store
        .list(kind, None, &crate::store::ListFilter::default())
        .items
        .iter()
        .map(|o| ObjectKey::of(o))
        .collect()
}

/// The pod's phase, Pending until the kubelet says otherwise.
pub fn pod_phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

/// A status count as upstream serialises it: absent when zero.
pub fn nonzero(value: i32) -> Option<i32> {
    (value != 0).then_some(value)
}

/// Replaces the `status` of an object stored as JSON when it differs.
pub fn write_status_json(
    store: &crate::store::Store,
    object: &Object,
    status: &impl serde::Serialize,
) -> Result<(), ControllerError> {
    let status =
        serde_json::to_value(status).map_err(|e| ControllerError::Invalid(e.to_string()))?;
    store.mutate_json(
        object.kind(),
        object.namespace(),
        object.name(),
        crate::store::UpdateScope::Status,
        |value| {
            if value["status"] == status {
                return false;
            }
            value["status"] = status.clone();
            true
        },
    )?;
    Ok(())
}

/// Creates a pod as the API server would: upstream defaults, the
/// ServiceAccount token mount, then a fresh Pending status with its QoS
/// class. What every controller that makes pods goes through.
pub fn create_pod(
    store: &crate::store::Store,
    pod: Pod,
) -> Result<std::sync::Arc<crate::api::Object>, crate::store::StoreError> {
    let mut pod: crate::api::Object = pod.into();
    if let crate::api::Object::Pod(typed) = &mut pod {
        crate::api::service_account::mount_token(typed, |namespace, name| {
            store
                .get(Kind::ServiceAccount, namespace, name)
                .map(|a| (*a).clone())
        });
    }
    create(store, pod)
}

/// Creates any object as the API server would after admission: its
/// kind's defaults and create strategy.
pub fn create(
    store: &crate::store::Store,
    mut object: Object,
) -> Result<std::sync::Arc<Object>, crate::store::StoreError> {
    crate::api::defaults::apply_defaults(&mut object);
    crate::api::strategy::prepare_for_create(&mut object);
    store.create(object)
}

/// An object stored as JSON read as its k8s-openapi type.
pub fn read_as<T: serde::de::DeserializeOwned>(object: &Object) -> Result<T, ControllerError> {
    serde_json::from_value(object.to_json()).map_err(|e| {
        ControllerError::Invalid(format!(
            "{} {}: {e}",
            object.kind().info().kind_name,
            object.name()
        ))
    })
}

/// A k8s-openapi value as the store's object of `kind`.
pub fn object_of<T: serde::Serialize>(kind: Kind, value: &T) -> Result<Object, ControllerError> {
    let json = serde_json::to_value(value).map_err(|e| ControllerError::Invalid(e.to_string()))?;
    Object::from_json(kind, json).map_err(|e| ControllerError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selectors_match_labels_and_expressions() {
        let selector = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".into(),
                operator: "In".into(),
                values: Some(vec!["front".into()]),
            }]),
        };
        assert!(selector_matches(
            &selector,
            Some(&labels(&[("app", "web"), ("tier", "front")]))
        ));
        assert!(!selector_matches(
            &selector,
            Some(&labels(&[("app", "web")]))
        ));
        assert!(selector_matches(&LabelSelector::default(), None));
        assert!(selector_is_empty(&LabelSelector::default()));
    }
}
