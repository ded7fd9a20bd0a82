//! Namespace, Node, ConfigMap, Secret and Event rows.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Node, Secret};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::cells::{since, since_micro};

const NODE_ROLE_PREFIX: &str = "node-role.kubernetes.io/";
const NODE_ROLE_LABEL: &str = "kubernetes.io/role";

/// NAME STATUS AGE.
pub fn namespace_cells(namespace: &Namespace, now: Timestamp) -> Vec<Value> {
    let phase = namespace
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default();
    vec![
        json!(namespace.metadata.name.as_deref().unwrap_or("")),
        json!(phase),
        json!(since(namespace.metadata.creation_timestamp.as_ref(), now)),
    ]
}

/// NAME STATUS ROLES AGE VERSION | INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME.
pub fn node_cells(node: &Node, now: Timestamp) -> Vec<Value> {
    let status = node.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default()
        .iter()
        .find(|c| c.type_ == "Ready");
    let mut states = vec![match ready {
        Some(c) if c.status == "True" => "Ready".to_string(),
        Some(_) => "NotReady".to_string(),
        None => "Unknown".to_string(),
    }];
    if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
        states.push("SchedulingDisabled".to_string());
    }
    let roles: BTreeSet<String> = node
        .metadata
        .labels
        .iter()
        .flatten()
        .filter_map(|(key, value)| {
            if let Some(role) = key.strip_prefix(NODE_ROLE_PREFIX) {
                (!role.is_empty()).then(|| role.to_string())
            } else if key == NODE_ROLE_LABEL && !value.is_empty() {
                Some(value.clone())
            } else {
                None
            }
        })
        .collect();
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.into_iter().collect::<Vec<_>>().join(",")
    };
    let info = status.and_then(|s| s.node_info.as_ref());
    let unknown_if_empty = |value: Option<&String>| {
        value
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| "<unknown>".to_string())
    };
    let address = |kind: &str| {
        status
            .and_then(|s| s.addresses.as_deref())
            .unwrap_or_default()
            .iter()
            .find(|a| a.type_ == kind)
            .map(|a| a.address.clone())
            .unwrap_or_else(|| "<none>".to_string())
    };
    vec![
        json!(node.metadata.name.as_deref().unwrap_or("")),
        json!(states.join(",")),
        json!(roles),
        json!(since(node.metadata.creation_timestamp.as_ref(), now)),
        json!(info.map(|i| i.kubelet_version.clone()).unwrap_or_default()),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(unknown_if_empty(info.map(|i| &i.os_image))),
        json!(unknown_if_empty(info.map(|i| &i.kernel_version))),
        json!(unknown_if_empty(info.map(|i| &i.container_runtime_version))),
    ]
}

/// NAME DATA AGE.
pub fn config_map_cells(config_map: &ConfigMap, now: Timestamp) -> Vec<Value> {
    let data = config_map.data.as_ref().map_or(0, |d| d.len())
        + config_map.binary_data.as_ref().map_or(0, |d| d.len());
    vec![
        json!(config_map.metadata.name.as_deref().unwrap_or("")),
        json!(data),
        json!(since(config_map.metadata.creation_timestamp.as_ref(), now)),
    ]
}

/// NAME TYPE DATA AGE.
pub fn secret_cells(secret: &Secret, now: Timestamp) -> Vec<Value> {
    // stringData is merged into data on write; count the union in case a
    // stored secret still carries it.
    let keys: BTreeSet<&String> = secret
        .data
        .iter()
        .flat_map(|d| d.keys())
        .chain(secret.string_data.iter().flat_map(|d| d.keys()))
        .collect();
    vec![
        json!(secret.metadata.name.as_deref().unwrap_or("")),
        json!(secret.type_.as_deref().unwrap_or("")),
        json!(keys.len()),
        json!(since(secret.metadata.creation_timestamp.as_ref(), now)),
    ]
}

/// LAST SEEN TYPE REASON OBJECT | SUBOBJECT SOURCE | MESSAGE | FIRST SEEN COUNT NAME.
pub fn event_cells(event: &Event, now: Timestamp) -> Vec<Value> {
    let first_seen = match &event.first_timestamp {
        Some(first) => since(Some(first), now),
        None => since_micro(event.event_time.as_ref(), now),
    };
    let mut last_seen = match &event.last_timestamp {
        Some(last) => since(Some(last), now),
        None => first_seen.clone(),
    };
    let mut count = event.count.unwrap_or(0);
    if let Some(series) = &event.series {
        last_seen = since_micro(series.last_observed_time.as_ref(), now);
        count = series.count.unwrap_or(0);
    } else if count == 0 {
        // Singleton events of the events.k8s.io API carry no count.
        count = 1;
    }
    let involved = &event.involved_object;
    let kind = involved.kind.as_deref().unwrap_or("").to_lowercase();
    let target = match involved.name.as_deref() {
        Some(name) if !name.is_empty() => format!("{kind}/{name}"),
        _ => kind,
    };
    let source = event.source.as_ref();
    let component = first_non_empty(
        source.and_then(|s| s.component.as_deref()),
        event.reporting_component.as_deref(),
    );
    let instance = first_non_empty(
        source.and_then(|s| s.host.as_deref()),
        event.reporting_instance.as_deref(),
    );
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    vec![
        json!(last_seen),
        json!(event.type_.as_deref().unwrap_or("")),
        json!(event.reason.as_deref().unwrap_or("")),
        json!(target),
        json!(involved.field_path.as_deref().unwrap_or("")),
        json!(source),
        json!(event.message.as_deref().unwrap_or("").trim()),
        json!(first_seen),
        json!(count),
        json!(event.metadata.name.as_deref().unwrap_or("")),
    ]
}

fn first_non_empty<'a>(first: Option<&'a str>, second: Option<&'a str>) -> &'a str {
    first
        .filter(|s| !s.is_empty())
        .or(second.filter(|s| !s.is_empty()))
        .unwrap_or("")
}
