//! Re-reading what the views show from the cluster handle: the rows of
//! the current kind (scope, filter, columns), the events pane and the
//! header's figures.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use regex::RegexBuilder;

use super::describe::{self, Related};
use super::model::{EventLine, Model, RolloutLine, Summary, Target};
use super::rollout::RolloutState;
use crate::api::selector::LabelSelector;
use crate::api::{Kind, Object};
use crate::handle::{ClusterHandle, Row};

/// Events the pane keeps, newest first.
const EVENT_LINES: usize = 50;

/// Re-reads everything the views show.
pub fn refresh(model: &mut Model, handle: &dyn ClusterHandle) {
    model.connection = handle.connection();
    refresh_table(model, handle);
    model.rollouts = rollout_lines(handle, model.namespace.as_deref());
    model.events = event_lines(
        handle,
        model.namespace.as_deref(),
        &mut model.derived.event_times,
    );
    model.summary = summary(handle, &mut model.derived.readiness);
}

/// Re-reads what depends on objects of the `changed` kinds: the table
/// when its kind changed, the events pane on events, the header's figures
/// on pods and nodes. At 10,000 pods each part costs milliseconds.
pub fn refresh_changed(model: &mut Model, handle: &dyn ClusterHandle, changed: &[Kind]) {
    model.connection = handle.connection();
    if changed.contains(&model.kind) {
        refresh_table(model, handle);
    }
    if changed.contains(&Kind::Deployment) {
        model.rollouts = rollout_lines(handle, model.namespace.as_deref());
    }
    if changed.contains(&Kind::Event) {
        model.events = event_lines(
            handle,
            model.namespace.as_deref(),
            &mut model.derived.event_times,
        );
    }
    if changed.contains(&Kind::Pod) || changed.contains(&Kind::Node) {
        model.summary = summary(handle, &mut model.derived.readiness);
    }
}

/// The rows of the current kind, in scope and through the filter.
fn refresh_table(model: &mut Model, handle: &dyn ClusterHandle) {
    let selected = model.selected_object().map(|object| Target::of(object));
    let namespace = model.namespace.as_deref();
    let objects: Vec<Arc<Object>> = handle
        .list(model.kind, namespace)
        .into_iter()
        .filter(|object| {
            model
                .scope
                .as_ref()
                .is_none_or(|scope| scope.contains(object))
        })
        .collect();
    let columns = Columns::of(model, handle);
    model.columns = columns.names.clone();
    let filter = RowFilter::parse(&model.filter);
    let sort = model.sort;
    model.rows = if filter.needs_cells() || sort.is_some_and(|s| s.needs_cells()) {
        // A text filter or a sort by status reads every row's cells.
        columns
            .format(handle, &objects)
            .into_iter()
            .filter(|row| filter.matches(row))
            .collect()
    } else {
        objects
            .into_iter()
            .filter(|object| filter.matches_object(object))
            .map(|object| Row {
                cells: Vec::new(),
                object,
            })
            .collect()
    };
    if let Some(sort) = sort {
        let status = model
            .columns
            .iter()
            .position(|name| name == "STATUS" || name == "PHASE");
        sort.apply(&mut model.rows, status);
    }
    model.selected = selected
        .and_then(|target| find(&model.rows, &target, model.selected))
        .unwrap_or(model.selected)
        .min(model.rows.len().saturating_sub(1));
    format_shown(model, handle);
}

/// Where `target` is among `rows`: usually where it was, or next to it.
fn find(rows: &[Row], target: &Target, near: usize) -> Option<usize> {
    let nearby = near.saturating_sub(1)..(near + 2).min(rows.len());
    nearby
        .into_iter()
        .find(|&i| target.is(&rows[i].object))
        .or_else(|| rows.iter().position(|row| target.is(&row.object)))
}

/// Scrolls the selection into view and formats the rows in view that are
/// not yet: formatting costs per row, so it follows the screen, not the
/// cluster's size.
pub fn format_shown(model: &mut Model, handle: &dyn ClusterHandle) {
    model.scroll_to_selection();
    let start = model.offset.min(model.rows.len());
    let end = (start + model.visible_rows).min(model.rows.len());
    let missing: Vec<usize> = (start..end)
        .filter(|&i| model.rows[i].cells.is_empty())
        .collect();
    if missing.is_empty() {
        return;
    }
    let objects: Vec<Arc<Object>> = missing
        .iter()
        .map(|&i| model.rows[i].object.clone())
        .collect();
    let formatted = Columns::of(model, handle).format(handle, &objects);
    for (index, row) in missing.into_iter().zip(formatted) {
        model.rows[index] = row;
    }
}

/// The columns the table shows: kubectl's without the `-o wide` ones, and
/// NAMESPACE first when all namespaces show.
struct Columns {
    names: Vec<String>,
    /// Which of kubectl's columns are kept, in order.
    keep: Vec<usize>,
    all_namespaces: bool,
}

impl Columns {
    fn of(model: &Model, handle: &dyn ClusterHandle) -> Columns {
        let table = handle.table(model.kind, &[]);
        let keep: Vec<usize> = (0..table.columns.len())
            .filter(|&i| !table.wide[i])
            .collect();
        let all_namespaces = model.namespace.is_none() && model.kind.namespaced();
        let names = all_namespaces
            .then(|| "NAMESPACE".to_string())
            .into_iter()
            .chain(keep.iter().map(|&i| table.columns[i].clone()))
            .collect();
        Columns {
            names,
            keep,
            all_namespaces,
        }
    }

    fn format(&self, handle: &dyn ClusterHandle, objects: &[Arc<Object>]) -> Vec<Row> {
        let kind = match objects.first() {
            Some(object) => object.kind(),
            None => return Vec::new(),
        };
        handle
            .table(kind, objects)
            .rows
            .into_iter()
            .map(|row| Row {
                cells: self
                    .all_namespaces
                    .then(|| row.object.namespace().to_string())
                    .into_iter()
                    .chain(
                        self.keep
                            .iter()
                            .map(|&i| row.cells.get(i).cloned().unwrap_or_default()),
                    )
                    .collect(),
                object: row.object,
            })
            .collect()
    }
}

/// `/` filters: a regex over the row's cells, `!regex` for the rows that
/// do not match, `-l app=x` for a label selector in kubectl's syntax. A
/// regex that does not compile matches as plain text; a selector that does
/// not parse matches nothing (the title shows the filter, Enter says why).
enum RowFilter {
    All,
    Text { regex: regex::Regex, inverse: bool },
    Labels(LabelSelector),
    Nothing,
}

impl RowFilter {
    fn parse(text: &str) -> RowFilter {
        let text = text.trim();
        if text.is_empty() {
            return RowFilter::All;
        }
        if let Some(selector) = text.strip_prefix("-l") {
            return match super::commands::label_selector(selector.trim()) {
                Ok(selector) => RowFilter::Labels(selector),
                Err(_) => RowFilter::Nothing,
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

    fn needs_cells(&self) -> bool {
        matches!(self, RowFilter::Text { .. })
    }

    fn matches(&self, row: &Row) -> bool {
        match self {
            RowFilter::Text { regex, inverse } => {
                row.cells.iter().any(|cell| regex.is_match(cell)) != *inverse
            }
            _ => self.matches_object(&row.object),
        }
    }

    /// For the filters that need no cells.
    fn matches_object(&self, object: &Object) -> bool {
        match self {
            RowFilter::Labels(selector) => selector.matches(object.meta().labels.as_ref()),
            RowFilter::Nothing => false,
            _ => true,
        }
    }
}

fn event_lines(
    handle: &dyn ClusterHandle,
    namespace: Option<&str>,
    times: &mut Derived<i64>,
) -> Vec<EventLine> {
    // Newest first; among equals, in the list's order (namespace, name).
    let mut events: Vec<(std::cmp::Reverse<i64>, usize)> = times
        .derive(handle.list(Kind::Event, namespace), Object::event_time)
        .iter()
        .enumerate()
        .map(|(index, &time)| (std::cmp::Reverse(time), index))
        .collect();
    // The newest EVENT_LINES without sorting every event (a cluster of
    // 10,000 pods keeps some 40,000).
    if events.len() > EVENT_LINES {
        events.select_nth_unstable(EVENT_LINES);
        events.truncate(EVENT_LINES);
    }
    events.sort_unstable();
    let events: Vec<Arc<Object>> = events
        .into_iter()
        .map(|(_, index)| times.objects()[index].clone())
        .collect();
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

/// The Deployments whose rollout is under way (not Complete), by
/// namespace and name.
fn rollout_lines(handle: &dyn ClusterHandle, namespace: Option<&str>) -> Vec<RolloutLine> {
    handle
        .list(Kind::Deployment, namespace)
        .iter()
        .filter_map(|object| {
            let deployment = object.as_typed::<Deployment>()?;
            let state = RolloutState::of(deployment);
            if state == RolloutState::Complete {
                return None;
            }
            let status = deployment.status.clone().unwrap_or_default();
            let updated = status.updated_replicas.unwrap_or(0);
            Some(RolloutLine {
                target: Target::of(object),
                state: state.label().to_string(),
                desired: deployment
                    .spec
                    .as_ref()
                    .and_then(|s| s.replicas)
                    .unwrap_or(1),
                updated,
                available: status.available_replicas.unwrap_or(0),
                old: status.replicas.unwrap_or(0).saturating_sub(updated),
            })
        })
        .collect()
}

fn summary(handle: &dyn ClusterHandle, readiness: &mut Derived<bool>) -> Summary {
    let nodes = handle.list(Kind::Node, None);
    let pods = handle.list(Kind::Pod, None);
    Summary {
        nodes: nodes.len(),
        nodes_ready: nodes.iter().filter(|node| is_ready(node)).count(),
        pods: pods.len(),
        pods_ready: readiness
            .derive(pods, is_ready)
            .iter()
            .filter(|&&ready| ready)
            .count(),
    }
}

/// Whether a Node or Pod has the condition Ready=True.
fn is_ready(object: &Object) -> bool {
    let conditions = match object {
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
}

/// A value derived from each object of a list, kept for the next list.
/// Objects are immutable and replaced on change, so the same allocation
/// is the same object in the same state: at 10,000 pods (and some 40,000
/// events) a refresh derives values only for the objects that changed,
/// without reading the others.
pub struct Derived<T> {
    objects: Vec<Arc<Object>>,
    values: Vec<T>,
}

impl<T> Default for Derived<T> {
    fn default() -> Self {
        Derived {
            objects: Vec::new(),
            values: Vec::new(),
        }
    }
}

/// How far ahead in the last list a derivation looks for an object that
/// moved (objects inserted or removed before it in the list's order).
const LOOKAHEAD: usize = 8;

impl<T: Copy> Derived<T> {
    /// Derives the values for `objects`, in their order; `objects()` and
    /// `values()` then answer for them.
    fn derive(&mut self, objects: Vec<Arc<Object>>, derive: impl Fn(&Object) -> T) -> &[T] {
        let mut next = 0;
        let values: Vec<T> = objects
            .iter()
            .map(|object| {
                let window = next..(next + LOOKAHEAD).min(self.objects.len());
                match window
                    .into_iter()
                    .find(|&i| Arc::ptr_eq(&self.objects[i], object))
                {
                    Some(known) => {
                        next = known + 1;
                        self.values[known]
                    }
                    None => derive(object),
                }
            })
            .collect();
        self.objects = objects;
        self.values = values;
        &self.values
    }

    fn objects(&self) -> &[Arc<Object>] {
        &self.objects
    }
}

/// The pods a Deployment, ReplicaSet or Service selects.
pub fn pods_of(handle: &dyn ClusterHandle, object: &Object) -> Vec<Arc<Object>> {
    let Some(labels) = super::workloads::selector_labels(object) else {
        return Vec::new();
    };
    let selector = LabelSelector::from_map(&labels);
    handle
        .list(Kind::Pod, Some(object.namespace()))
        .into_iter()
        .filter(|pod| selector.matches(pod.meta().labels.as_ref()))
        .collect()
}

/// The describe text of `object` from what the console holds.
pub fn describe(handle: &dyn ClusterHandle, object: &Arc<Object>) -> String {
    describe_with(
        handle,
        object,
        &crate::handle::cached_events_about(handle, object),
    )
}

/// The describe text of `object` with its `events`, and the objects
/// kubectl describe reads too.
pub fn describe_with(
    handle: &dyn ClusterHandle,
    object: &Arc<Object>,
    events: &[Arc<Object>],
) -> String {
    let uid = object.meta().uid.clone().unwrap_or_default();
    let namespace = object.namespace();
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn pod(name: &str) -> Arc<Object> {
        let value = serde_json::json!({"metadata": {"name": name, "namespace": "default"}});
        Arc::new(Object::from_json(Kind::Pod, value).expect("a pod"))
    }

    #[test]
    fn derived_values_are_recomputed_only_for_new_objects() {
        let calls = Cell::new(0);
        let name_length = |object: &Object| {
            calls.set(calls.get() + 1);
            object.name().len()
        };
        let (a, b, c) = (pod("a"), pod("bb"), pod("ccc"));
        let mut derived = Derived::default();
        let first = derived
            .derive(vec![a.clone(), b.clone(), c.clone()], name_length)
            .to_vec();
        assert_eq!((first, calls.get()), (vec![1, 2, 3], 3));
        // b replaced by a new version, one inserted before c, a removed.
        let (b2, inserted) = (pod("bbbb"), pod("bz"));
        let second = derived
            .derive(vec![b2, inserted, c.clone()], name_length)
            .to_vec();
        assert_eq!(second, vec![4, 2, 3]);
        assert_eq!(calls.get(), 5, "c was not read again");
    }
}
