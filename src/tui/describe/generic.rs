//! kubectl's generic describer (`genericDescriber` in kubectl's
//! describe.go), for the kinds it has no describer of its own for: the
//! header, then every field of the object as an indented tree with
//! labels made readable (`creationTimestamp` → `Creation Timestamp`).

use serde_json::{Map, Value};

use super::format::Out;
use crate::api::Object;

/// What the header already shows, or nobody reads (upstream's skip list).
const SKIPPED: &[&str] = &[
    ".metadata.managedFields",
    ".metadata.name",
    ".metadata.namespace",
    ".metadata.labels",
    ".metadata.annotations",
];

/// Acronyms kept upper case in labels (upstream's `commonAcronyms`).
const ACRONYMS: &[&str] = &["API", "URL", "UID", "OSB", "GUID"];

pub fn describe(out: &mut Out, object: &Object) {
    let meta = object.meta();
    let mut lines = vec![
        field("Name:", meta.name.as_deref().unwrap_or_default()),
        // Upstream prints it for cluster-scoped objects too, empty.
        field("Namespace:", meta.namespace.as_deref().unwrap_or_default()),
    ];
    multiline(&mut lines, "Labels:", meta.labels.iter().flatten());
    let annotations = meta
        .annotations
        .iter()
        .flatten()
        .filter(|(key, _)| key.as_str() != crate::api::three_way::LAST_APPLIED);
    multiline(&mut lines, "Annotations:", annotations);
    if let Value::Object(content) = object.to_json() {
        tree(&mut lines, 0, &content, "");
    }
    // One tabwriter sets the whole text upstream, so the header and the
    // first fields of the tree share a column.
    for line in aligned(&lines) {
        out.line(0, line);
    }
}

/// Annotation values longer than this end in `...` (upstream's
/// `maxAnnotationLen`).
const MAX_ANNOTATION: usize = 140;

fn field(label: &str, value: &str) -> TreeLine {
    TreeLine {
        level: 0,
        label: label.to_string(),
        value: Some(value.to_string()),
    }
}

/// `Labels:  a=b`, the other entries under the first; `<none>` when empty.
fn multiline<'a>(
    lines: &mut Vec<TreeLine>,
    label: &str,
    entries: impl Iterator<Item = (&'a String, &'a String)>,
) {
    let mut first = true;
    for (key, value) in entries {
        let value = match value.char_indices().nth(MAX_ANNOTATION) {
            Some((cut, _)) => format!("{}...", &value[..cut]),
            None => value.clone(),
        };
        lines.push(field(
            if first { label } else { "" },
            &format!("{key}={value}"),
        ));
        first = false;
    }
    if first {
        lines.push(field(label, "<none>"));
    }
}

/// One line of the tree: its indentation level, label and, for a value
/// that is not a map or list, the value (the part a tab aligns).
struct TreeLine {
    level: usize,
    label: String,
    value: Option<String>,
}

/// upstream's `printUnstructuredContent`: fields sorted, maps and lists
/// as headings over their contents, the items of a list one level down.
fn tree(lines: &mut Vec<TreeLine>, level: usize, content: &Map<String, Value>, prefix: &str) {
    let mut fields: Vec<&String> = content.keys().collect();
    fields.sort();
    for field in fields {
        let path = format!("{prefix}.{field}");
        if SKIPPED.contains(&path.as_str()) {
            continue;
        }
        let label = smart_label(field);
        match &content[field] {
            Value::Object(map) => {
                lines.push(heading(level, label));
                tree(lines, level + 1, map, &path);
            }
            Value::Array(items) => {
                lines.push(heading(level, label));
                for item in items {
                    match item {
                        Value::Object(map) => tree(lines, level + 1, map, &path),
                        other => lines.push(TreeLine {
                            level: level + 1,
                            label: scalar(other),
                            value: None,
                        }),
                    }
                }
            }
            value => lines.push(TreeLine {
                level,
                label: format!("{label}:"),
                value: Some(scalar(value)),
            }),
        }
    }
}

fn heading(level: usize, label: String) -> TreeLine {
    TreeLine {
        level,
        label: format!("{label}:"),
        value: None,
    }
}

/// A value as Go's `%v` prints what JSON decoding gives.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "<nil>".to_string(),
        other => other.to_string(),
    }
}

/// The lines as kubectl's tabwriter sets them: within each run of
/// consecutive lines that have a value, the values start in one column,
/// two spaces after the widest label.
fn aligned(lines: &[TreeLine]) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    let mut start = 0;
    while start < lines.len() {
        let end = lines[start..]
            .iter()
            .position(|line| line.value.is_none())
            .map_or(lines.len(), |offset| start + offset);
        if end == start {
            let line = &lines[start];
            out.push(format!("{}{}", "  ".repeat(line.level), line.label));
            start += 1;
            continue;
        }
        let width = lines[start..end]
            .iter()
            .map(|line| line.level * 2 + line.label.len())
            .max()
            .unwrap_or(0);
        for line in &lines[start..end] {
            let cell = format!("{}{}", "  ".repeat(line.level), line.label);
            let value = line.value.as_deref().unwrap_or_default();
            out.push(
                format!("{cell:<w$}{value}", w = width + 2)
                    .trim_end()
                    .to_string(),
            );
        }
        start = end;
    }
    out
}

/// upstream's `smartLabelFor`: camel case split into title-cased words,
/// acronyms upper case; a field with anything but letters and `-` as is.
fn smart_label(field: &str) -> String {
    if field.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return field.to_string();
    }
    camel_case_words(field)
        .into_iter()
        .map(|word| {
            let upper = word.to_uppercase();
            if ACRONYMS.contains(&upper.as_str()) {
                upper
            } else {
                title(&word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first letter upper case, the rest lower (Go's `cases.Title`).
fn title(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// fatih/camelcase's `Split`: runs of one character class (lower, upper,
/// other), an upper-case run giving its last letter to a lower-case run
/// that follows (`HTTPServer` → `HTTP`, `Server`).
fn camel_case_words(text: &str) -> Vec<String> {
    fn class(c: char) -> u8 {
        if c.is_lowercase() {
            1
        } else if c.is_uppercase() {
            2
        } else if c.is_numeric() {
            3
        } else {
            4
        }
    }
    let mut runs: Vec<Vec<char>> = Vec::new();
    let mut last = 0;
    for c in text.chars() {
        let current = class(c);
        match runs.last_mut() {
            Some(run) if current == last => run.push(c),
            _ => runs.push(vec![c]),
        }
        last = current;
    }
    for i in 0..runs.len().saturating_sub(1) {
        let upper_then_lower = runs[i].first().is_some_and(|c| c.is_uppercase())
            && runs[i + 1].first().is_some_and(|c| c.is_lowercase());
        if upper_then_lower && let Some(moved) = runs[i].pop() {
            runs[i + 1].insert(0, moved);
        }
    }
    runs.into_iter()
        .filter(|run| !run.is_empty())
        .map(|run| run.into_iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_as_upstreams() {
        for (field, label) in [
            ("apiVersion", "API Version"),
            ("creationTimestamp", "Creation Timestamp"),
            ("uid", "UID"),
            ("holderIdentity", "Holder Identity"),
            ("podIP", "Pod Ip"),
            ("HTTPServer", "Http Server"),
            ("kind", "Kind"),
            ("v1beta1", "v1beta1"),
            ("app.kubernetes.io/name", "app.kubernetes.io/name"),
        ] {
            assert_eq!(smart_label(field), label, "{field}");
        }
    }

    #[test]
    fn a_lease_reads_as_kubectl_describes_it() {
        let lease = serde_json::json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": "podium", "namespace": "kube-node-lease",
                "uid": "u-1", "resourceVersion": "7",
                "creationTimestamp": "2026-12-07T10:00:00Z",
                "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "podium", "uid": "n-1"}],
            },
            "spec": {"holderIdentity": "podium", "leaseDurationSeconds": 40},
        });
        let object = Object::from_json(crate::api::Kind::Lease, lease).expect("a lease");
        let mut out = Out::default();
        describe(&mut out, &object);
        let text = out.finish();
        let expected = "\
Name:         podium
Namespace:    kube-node-lease
Labels:       <none>
Annotations:  <none>
API Version:  coordination.k8s.io/v1
Kind:         Lease
Metadata:
  Creation Timestamp:  2026-12-07T10:00:00Z
  Owner References:
    API Version:     v1
    Kind:            Node
    Name:            podium
    UID:             n-1
  Resource Version:  7
  UID:               u-1
Spec:
  Holder Identity:         podium
  Lease Duration Seconds:  40
";
        assert_eq!(text, expected);
    }
}
