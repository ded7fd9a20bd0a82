//! Re-reading what the views show from the cluster handle: the rows of
//! the current kind (scope, filter, columns), the events pane and the
//! header's figures.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Event, Pod};
use regex::RegexBuilder;

use super::describe::{self, Related};
use super::model::{EventLine, Model, Summary, Target};
use crate::api::{Kind, Object};
use crate::handle::{ClusterHandle, Row};

/// Events the pane keeps, newest first.
const EVENT_LINES: usize = 50;

pub fn refresh(model: &mut Model, handle: &dyn ClusterHandle) {
    let selected = model.selected_object().map(|object| Target::of(object));
    let namespace = model.namespace.as_deref();
    let objects: Vec<Arc<Object>> = handle
        .list(model.kind, namespace)
        .into_iter()
        .filter(|object| {
            model
                .scope
                .as_ref()
                .is_none_or(|scope| has_labels(object, &scope.labels))
        })
        .collect();
    let table = handle.table(model.kind, &objects);
    let keep: Vec<usize> = (0..table.columns.len())
        .filter(|&i| !table.wide[i])
        .collect();
    let all_namespaces = namespace.is_none() && model.kind.namespaced();
    model.columns = all_namespaces
        .then(|| "NAMESPACE".to_string())
        .into_iter()
        .chain(keep.iter().map(|&i| table.columns[i].clone()))
        .collect();
    let filter = RowFilter::parse(&model.filter);
    model.rows = table
        .rows
        .into_iter()
        .map(|row| Row {
            cells: all_namespaces
                .then(|| row.object.namespace().to_string())
                .into_iter()
                .chain(
                    keep.iter()
                        .map(|&i| row.cells.get(i).cloned().unwrap_or_default()),
                )
                .collect(),
            object: row.object,
        })
        .filter(|row| filter.matches(row))
        .collect();
    model.selected = selected
        .and_then(|target| {
            model
                .rows
                .iter()
                .position(|row| Target::of(&row.object) == target)
        })
        .unwrap_or(model.selected)
        .min(model.rows.len().saturating_sub(1));
    model.events = event_lines(handle, namespace);
    model.summary = summary(handle);
}

/// `/` filters: a regex over the row's cells, `!regex` for the rows that
/// do not match, `-l app=x` for a label selector. A regex that does not
/// compile matches as plain text.
enum RowFilter {
    All,
    Text { regex: regex::Regex, inverse: bool },
    Labels(Vec<(String, String)>),
}

impl RowFilter {
    fn parse(text: &str) -> RowFilter {
        let text = text.trim();
        if text.is_empty() {
            return RowFilter::All;
        }
        if let Some(selector) = text.strip_prefix("-l") {
            return match super::commands::parse_labels(selector.trim()) {
                Ok(labels) => RowFilter::Labels(labels),
                Err(_) => RowFilter::All,
            };
        }
        let (inverse, pattern) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let regex = RegexBuilder::new(pattern)
            .case_insensitive(true)
            .build()
            .or_else(|_| RegexBuilder::new(&regex::escape(pattern)).build());
        match regex {
            Ok(regex) => RowFilter::Text { regex, inverse },
            Err(_) => RowFilter::All,
        }
    }

    fn matches(&self, row: &Row) -> bool {
        match self {
            RowFilter::All => true,
            RowFilter::Text { regex, inverse } => {
                row.cells.iter().any(|cell| regex.is_match(cell)) != *inverse
            }
            RowFilter::Labels(labels) => has_labels(&row.object, labels),
        }
    }
}

fn has_labels(object: &Object, labels: &[(String, String)]) -> bool {
    let own = object.meta().labels.as_ref();
    labels
        .iter()
        .all(|(key, value)| own.and_then(|own| own.get(key)) == Some(value))
}

fn event_lines(handle: &dyn ClusterHandle, namespace: Option<&str>) -> Vec<EventLine> {
    let mut events = handle.list(Kind::Event, namespace);
    events.sort_by_key(|object| std::cmp::Reverse(event_time(object)));
    events.truncate(EVENT_LINES);
    let table = handle.table(Kind::Event, &events);
    let column = |name: &str| table.columns.iter().position(|c| c == name);
    let (age, kind, reason, object, message) = (
        column("LAST SEEN"),
        column("TYPE"),
        column("REASON"),
        column("OBJECT"),
        column("MESSAGE"),
    );
    let cell = |row: &Row, index: Option<usize>| {
        index
            .and_then(|i| row.cells.get(i))
            .cloned()
            .unwrap_or_default()
    };
    table
        .rows
        .iter()
        .map(|row| EventLine {
            warning: cell(row, kind) == "Warning",
            age: cell(row, age),
            object: cell(row, object),
            reason: cell(row, reason),
            message: cell(row, message),
            count: row
                .object
                .as_typed::<Event>()
                .and_then(|e| e.count)
                .unwrap_or(1),
        })
        .collect()
}

/// When an event last happened, in seconds since the epoch.
fn event_time(object: &Object) -> i64 {
    let Some(event) = object.as_typed::<Event>() else {
        return 0;
    };
    event
        .last_timestamp
        .as_ref()
        .map(|t| t.0.as_second())
        .or_else(|| event.event_time.as_ref().map(|t| t.0.as_second()))
        .or_else(|| {
            event
                .metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.as_second())
        })
        .unwrap_or(0)
}

fn summary(handle: &dyn ClusterHandle) -> Summary {
    let nodes = handle.list(Kind::Node, None);
    let pods = handle.list(Kind::Pod, None);
    let ready = |object: &Arc<Object>| {
        let conditions = match object.as_ref() {
            Object::Node(node) => node
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .map(|c| c.iter().map(|c| (&c.type_, &c.status)).collect::<Vec<_>>()),
            Object::Pod(pod) => pod
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .map(|c| c.iter().map(|c| (&c.type_, &c.status)).collect::<Vec<_>>()),
            _ => None,
        };
        conditions
            .into_iter()
            .flatten()
            .any(|(kind, status)| kind == "Ready" && status == "True")
    };
    Summary {
        nodes: nodes.len(),
        nodes_ready: nodes.iter().filter(|n| ready(n)).count(),
        pods: pods.len(),
        pods_ready: pods.iter().filter(|p| ready(p)).count(),
    }
}

/// The pods a Deployment, ReplicaSet or Service selects.
pub fn pods_of(handle: &dyn ClusterHandle, object: &Object) -> Vec<Arc<Object>> {
    let Some(labels) = super::workloads::selector_labels(object) else {
        return Vec::new();
    };
    handle
        .list(Kind::Pod, Some(object.namespace()))
        .into_iter()
        .filter(|pod| has_labels(pod, &labels))
        .collect()
}

/// The describe text of `object`, with the objects kubectl describe reads too.
pub fn describe(handle: &dyn ClusterHandle, object: &Arc<Object>) -> String {
    let uid = object.meta().uid.clone().unwrap_or_default();
    let namespace = object.namespace();
    let events: Vec<Arc<Object>> = handle
        .list(Kind::Event, (!namespace.is_empty()).then_some(namespace))
        .into_iter()
        .filter(|event| {
            event.as_typed::<Event>().is_some_and(|e| {
                e.involved_object.uid.as_deref() == Some(uid.as_str())
                    || (e.involved_object.name.as_deref() == Some(object.name())
                        && e.involved_object.kind.as_deref()
                            == Some(object.kind().info().kind_name))
            })
        })
        .collect();
    let pods = match object.as_ref() {
        Object::Node(_) => handle
            .list(Kind::Pod, None)
            .into_iter()
            .filter(|pod| {
                pod.as_typed::<Pod>()
                    .and_then(|p| p.spec.as_ref())
                    .and_then(|spec| spec.node_name.as_deref())
                    == Some(object.name())
            })
            .collect(),
        _ => pods_of(handle, object),
    };
    let replica_sets: Vec<Arc<Object>> = match object.as_ref() {
        Object::Deployment(_) => handle
            .list(Kind::ReplicaSet, Some(namespace))
            .into_iter()
            .filter(|rs| {
                rs.meta()
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|owner| owner.uid == uid)
            })
            .collect(),
        _ => Vec::new(),
    };
    let endpoints = match object.as_ref() {
        Object::Service(_) => handle.get(Kind::Endpoints, namespace, object.name()),
        _ => None,
    };
    let related = Related {
        events: events
            .iter()
            .filter_map(|e| e.as_typed::<Event>())
            .collect(),
        pods: pods.iter().filter_map(|p| p.as_typed::<Pod>()).collect(),
        replica_sets: replica_sets
            .iter()
            .filter_map(|r| r.as_typed::<ReplicaSet>())
            .collect(),
        endpoints: endpoints.as_deref().and_then(|e| e.as_typed()),
    };
    describe::describe(object, &related, crate::clock::now())
}
