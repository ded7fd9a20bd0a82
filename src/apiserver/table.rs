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
pub mod generic;
mod network;
mod pod;
mod workloads;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::routes::ResourcePath;
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

/// Which columns a Table has: a built-in kind's upstream printer, or a
/// custom kind's `additionalPrinterColumns` in the version asked for.
#[derive(Debug, Clone)]
pub enum Printer {
    Builtin(Kind),
    Custom(Vec<Value>),
}

impl Printer {
    /// The printer for a request: a custom kind's columns come from the
    /// version of its definition the URL names.
    pub fn for_path(path: &ResourcePath) -> Printer {
        match &path.definition {
            Some(definition) => Printer::Custom(
                crate::api::crd::version(&definition.0, &path.version)
                    .map(|v| v.printer_columns.to_vec())
                    .unwrap_or_default(),
            ),
            None => Printer::Builtin(path.kind),
        }
    }

    /// The printer of `kind` for a client that holds the objects: a custom
    /// kind's columns from its `definition`, in the kind's stored version.
    pub fn for_kind(kind: Kind, definition: Option<&Object>) -> Printer {
        match definition {
            Some(definition) if kind.is_custom() => Printer::Custom(
                crate::api::crd::version(definition, kind.info().version)
                    .map(|v| v.printer_columns.to_vec())
                    .unwrap_or_default(),
            ),
            _ => Printer::Builtin(kind),
        }
    }

    fn definitions(&self) -> Value {
        match self {
            Printer::Builtin(kind) if Kind::TYPED.contains(kind) => columns::definitions(*kind),
            Printer::Builtin(kind) => {
                let info = kind.info();
                Value::Array(
                    generic::definitions(info.group, info.kind_name)
                        .unwrap_or_else(generic::default_definitions),
                )
            }
            Printer::Custom(columns) => Value::Array(generic::custom_definitions(columns)),
        }
    }

    fn cells(&self, object: &Object, now: Timestamp) -> Vec<Value> {
        match (self, object) {
            (Printer::Custom(columns), _) => generic::custom_cells(columns, &object.to_json()),
            (Printer::Builtin(kind), Object::Dynamic(_)) => {
                let info = kind.info();
                let json = object.to_json();
                if generic::definitions(info.group, info.kind_name).is_some() {
                    generic::cells(info.group, info.kind_name, &json, now)
                } else {
                    generic::default_cells(&json)
                }
            }
            (Printer::Builtin(_), typed) => row_cells(typed, now),
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

/// The Table a request asks for (a custom kind's printer columns included).
pub fn table_for(
    path: &ResourcePath,
    objects: &[Arc<Object>],
    resource_version: u64,
    include: IncludeObject,
) -> serde_json::Value {
    render(
        &Printer::for_path(path),
        objects,
        resource_version,
        include,
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
    render(
        &Printer::Builtin(kind),
        objects,
        resource_version,
        include,
        now,
    )
}

/// The Table of `objects` as `printer` prints them.
pub fn render(
    printer: &Printer,
    objects: &[Arc<Object>],
    resource_version: u64,
    include: IncludeObject,
    now: Timestamp,
) -> serde_json::Value {
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let mut row = json!({ "cells": printer.cells(object, now) });
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
        "columnDefinitions": printer.definitions(),
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
        Object::Dynamic(d) => generic::default_cells(&d.to_json()),
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
