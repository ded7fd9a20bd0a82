//! `meta.k8s.io/v1` Table responses with upstream's columns per kind
//! (pkg/printers/internalversion/printers.go), for `kubectl get`.
//!
//! Like the real API server, every row carries all cells, the `-o wide`
//! ones included; kubectl hides columns whose priority is above 0 unless
//! asked for wide output.

mod cells;
mod cluster;
mod columns;
pub mod duration;
mod network;
mod pod;
mod workloads;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use crate::api::{Kind, Object};

pub use duration::human_duration;
pub use pod::pod_status_reason;

/// What each row's `object` holds (`?includeObject=` of the request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// No object.
    None,
    /// A `PartialObjectMetadata` with the full ObjectMeta (kubectl's default;
    /// `--show-labels` reads labels from it).
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// Parses the `includeObject` query value; unknown values mean the default.
    pub fn from_query(value: Option<&str>) -> IncludeObject {
        match value {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// Renders objects of one kind as a Table (rows carry PartialObjectMetadata).
/// Watch events call this with one object per event.
pub fn table(kind: Kind, objects: &[Arc<Object>], resource_version: u64) -> serde_json::Value {
    table_with(
        kind,
        objects,
        resource_version,
        IncludeObject::Metadata,
        crate::clock::now(),
    )
}

/// [`table`] with the row object choice and the moment ages are measured from.
pub fn table_with(
    kind: Kind,
    objects: &[Arc<Object>],
    resource_version: u64,
    include: IncludeObject,
    now: Timestamp,
) -> serde_json::Value {
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let mut row = json!({ "cells": row_cells(object, now) });
            if let Object::Pod(pod) = object.as_ref()
                && let Some(conditions) = pod::row_conditions(pod)
            {
                row["conditions"] = conditions;
            }
            if let Some(embedded) = row_object(object, include) {
                row["object"] = embedded;
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version.to_string()},
        "columnDefinitions": columns::definitions(kind),
        "rows": rows,
    })
}

/// All cells of one object's row, wide ones included.
fn row_cells(object: &Object, now: Timestamp) -> Vec<Value> {
    match object {
        Object::Pod(v) => pod::cells(v, now),
        Object::ReplicaSet(v) => workloads::replica_set_cells(v, now),
        Object::Deployment(v) => workloads::deployment_cells(v, now),
        Object::Service(v) => network::service_cells(v, now),
        Object::Endpoints(v) => network::endpoints_cells(v, now),
        Object::Ingress(v) => network::ingress_cells(v, now),
        Object::Namespace(v) => cluster::namespace_cells(v, now),
        Object::Node(v) => cluster::node_cells(v, now),
        Object::ConfigMap(v) => cluster::config_map_cells(v, now),
        Object::Secret(v) => cluster::secret_cells(v, now),
        Object::Event(v) => cluster::event_cells(v, now),
    }
}

fn row_object(object: &Object, include: IncludeObject) -> Option<Value> {
    match include {
        IncludeObject::None => None,
        IncludeObject::Object => Some(object.to_json()),
        IncludeObject::Metadata => Some(json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": serde_json::to_value(object.meta()).unwrap_or_else(|_| json!({})),
        })),
    }
}
