//! ReplicaSet and Deployment rows.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::cells::{container_cells, format_label_selector, selector_string, since};

/// NAME DESIRED CURRENT READY AGE | CONTAINERS IMAGES SELECTOR.
pub fn replica_set_cells(rs: &ReplicaSet, now: Timestamp) -> Vec<Value> {
    let spec = rs.spec.as_ref();
    let status = rs.status.as_ref();
    // Desired defaults to 1 when unset, as the internal type does.
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let current = status.map(|s| s.replicas).unwrap_or(0);
    let ready = status.and_then(|s| s.ready_replicas).unwrap_or(0);
    let containers = spec
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.spec.as_ref())
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    let (names, images) = container_cells(containers);
    vec![
        json!(rs.metadata.name.as_deref().unwrap_or("")),
        json!(desired),
        json!(current),
        json!(ready),
        json!(since(rs.metadata.creation_timestamp.as_ref(), now)),
        json!(names),
        json!(images),
        json!(format_label_selector(spec.map(|s| &s.selector))),
    ]
}

/// NAME READY UP-TO-DATE AVAILABLE AGE | CONTAINERS IMAGES SELECTOR.
pub fn deployment_cells(deployment: &Deployment, now: Timestamp) -> Vec<Value> {
    let spec = deployment.spec.as_ref();
    let status = deployment.status.as_ref();
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let updated = status.and_then(|s| s.updated_replicas).unwrap_or(0);
    let ready = status.and_then(|s| s.ready_replicas).unwrap_or(0);
    let available = status.and_then(|s| s.available_replicas).unwrap_or(0);
    let containers = spec
        .and_then(|s| s.template.spec.as_ref())
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    let (names, images) = container_cells(containers);
    vec![
        json!(deployment.metadata.name.as_deref().unwrap_or("")),
        json!(format!("{ready}/{desired}")),
        json!(updated),
        json!(available),
        json!(since(deployment.metadata.creation_timestamp.as_ref(), now)),
        json!(names),
        json!(images),
        json!(selector_string(spec.map(|s| &s.selector))),
    ]
}
