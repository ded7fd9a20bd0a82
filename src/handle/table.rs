//! Objects as the table `kubectl get` prints: the API server's own Table
//! printer, so both backends show the same columns and cells.

use std::sync::Arc;

use serde_json::Value;

use super::{Row, Table};
use crate::api::{Kind, Object};
use crate::apiserver::table::{IncludeObject, Printer, render};

/// The name of the CustomResourceDefinition of a custom kind.
pub fn definition_name(kind: Kind) -> Option<String> {
    kind.is_custom()
        .then(|| crate::api::crd::definition_name(kind))
}

/// `definition`: a custom kind's CustomResourceDefinition, whose
/// `additionalPrinterColumns` the table shows, as `kubectl get` does.
pub fn table(kind: Kind, definition: Option<&Object>, objects: &[Arc<Object>]) -> Table {
    let printer = Printer::for_kind(kind, definition);
    let table = render(
        &printer,
        objects,
        0,
        IncludeObject::None,
        crate::clock::now(),
    );
    let columns = table["columnDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let cell = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let rows = table["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .zip(objects)
                .map(|(row, object)| Row {
                    cells: row["cells"]
                        .as_array()
                        .map(|cells| cells.iter().map(cell).collect())
                        .unwrap_or_default(),
                    object: object.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    Table {
        columns: columns
            .iter()
            .map(|c| c["name"].as_str().unwrap_or_default().to_uppercase())
            .collect(),
        wide: columns
            .iter()
            .map(|c| c["priority"].as_i64().unwrap_or(0) > 0)
            .collect(),
        rows,
    }
}
