//! The patch `kubectl apply` sends (client-side apply): a three-way
//! strategic merge patch from the configuration last applied (the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation), the
//! file as it is now, and the object as the server has it — upstream's
//! `strategicpatch.CreateThreeWayMergePatch`.
//!
//! What the file sets and the server has otherwise is changed; what the
//! last applied configuration set and the file no longer does is deleted;
//! what others set (a controller, `kubectl scale`) and no file ever named
//! is left alone.

use serde_json::{Map, Value};

use super::kinds::Kind;
use super::strategic::{ListStrategy, list_strategy};

/// The annotation kubectl keeps the last applied configuration in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// `document` with the annotation kubectl writes on apply: the document
/// itself, as JSON, without that annotation.
pub fn with_last_applied(document: &Value) -> Value {
    let mut bare = document.clone();
    if let Some(metadata) = bare.get_mut("metadata").and_then(Value::as_object_mut)
        && let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
    {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            metadata.remove("annotations");
        }
    }
    let mut annotated = bare.clone();
    let metadata = annotated
        .as_object_mut()
        .map(|o| {
            o.entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()))
        })
        .and_then(Value::as_object_mut);
    if let Some(metadata) = metadata {
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        if !annotations.is_object() {
            *annotations = Value::Object(Map::new());
        }
        if let Some(annotations) = annotations.as_object_mut() {
            annotations.insert(LAST_APPLIED.to_string(), Value::from(format!("{bare}\n")));
        }
    }
    annotated
}

/// The configuration `current` was last applied with, if any.
pub fn last_applied(current: &Value) -> Option<Value> {
    let text = current["metadata"]["annotations"][LAST_APPLIED].as_str()?;
    serde_json::from_str(text).ok()
}

/// The strategic merge patch that takes `current` to `modified`, deleting
/// what `original` (the last applied configuration) set and `modified`
/// no longer does. An empty object: nothing to change.
pub fn three_way_patch(
    kind: Kind,
    original: Option<&Value>,
    modified: &Value,
    current: &Value,
) -> Value {
    let empty = Map::new();
    let modified = modified.as_object().unwrap_or(&empty);
    let current = current.as_object().unwrap_or(&empty);
    let original = original.and_then(Value::as_object).unwrap_or(&empty);
    let changes = diff(kind, &mut Vec::new(), current, modified, Pass::Changes);
    let deletions = diff(kind, &mut Vec::new(), original, modified, Pass::Deletions);
    Value::Object(combine(deletions, changes))
}

/// kubectl computes the patch in two passes: additions and changes from
/// the live object, deletions from the last applied configuration.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    Changes,
    Deletions,
}

fn diff(
    kind: Kind,
    path: &mut Vec<String>,
    from: &Map<String, Value>,
    to: &Map<String, Value>,
    pass: Pass,
) -> Map<String, Value> {
    let mut patch = Map::new();
    for (key, to_value) in to {
        let from_value = from.get(key);
        path.push(key.clone());
        match (from_value, to_value) {
            (Some(Value::Object(f)), Value::Object(t)) => {
                let sub = diff(kind, path, f, t, pass);
                if !sub.is_empty() {
                    patch.insert(key.clone(), Value::Object(sub));
                }
            }
            (Some(Value::Array(f)), Value::Array(t)) => {
                diff_list(kind, path, key, f, t, pass, &mut patch);
            }
            (Some(f), t) if f == t => {}
            _ if pass == Pass::Changes => {
                patch.insert(key.clone(), to_value.clone());
            }
            _ => {}
        }
        path.pop();
    }
    if pass == Pass::Deletions {
        for key in from.keys().filter(|key| !to.contains_key(*key)) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    patch
}

fn diff_list(
    kind: Kind,
    path: &mut Vec<String>,
    key: &str,
    from: &[Value],
    to: &[Value],
    pass: Pass,
    patch: &mut Map<String, Value>,
) {
    let strategy = {
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        list_strategy(kind, &names)
    };
    match strategy {
        ListStrategy::MergeKey(merge_key)
            if from
                .iter()
                .chain(to)
                .all(|item| item.get(merge_key).is_some()) =>
        {
            let identity = |item: &Value| item.get(merge_key).cloned().unwrap_or(Value::Null);
            let mut entries = Vec::new();
            for to_item in to {
                let found = from.iter().find(|f| identity(f) == identity(to_item));
                match (found, to_item) {
                    (Some(Value::Object(f)), Value::Object(t)) => {
                        let mut sub = diff(kind, path, f, t, pass);
                        if !sub.is_empty() {
                            sub.insert(merge_key.to_string(), identity(to_item));
                            entries.push(Value::Object(sub));
                        }
                    }
                    (None, _) if pass == Pass::Changes => entries.push(to_item.clone()),
                    _ => {}
                }
            }
            if pass == Pass::Deletions {
                for gone in from
                    .iter()
                    .filter(|f| !to.iter().any(|t| identity(t) == identity(f)))
                {
                    let mut entry = Map::new();
                    entry.insert(merge_key.to_string(), identity(gone));
                    entry.insert("$patch".to_string(), Value::from("delete"));
                    entries.push(Value::Object(entry));
                }
            }
            // Of the items both have, whether the file orders them otherwise.
            let common = |list: &[Value], other: &[Value]| -> Vec<Value> {
                list.iter()
                    .map(identity)
                    .filter(|id| other.iter().any(|o| identity(o) == *id))
                    .collect()
            };
            let reordered = pass == Pass::Changes && common(from, to) != common(to, from);
            if !entries.is_empty() || reordered {
                if !entries.is_empty() {
                    patch.insert(key.to_string(), Value::Array(entries));
                }
                // The file's order, as kubectl sends it.
                let order = to
                    .iter()
                    .map(|item| {
                        let mut entry = Map::new();
                        entry.insert(merge_key.to_string(), identity(item));
                        Value::Object(entry)
                    })
                    .collect();
                patch.insert(format!("$setElementOrder/{key}"), Value::Array(order));
            }
        }
        ListStrategy::MergePrimitives => {
            let (items, field): (Vec<Value>, String) = match pass {
                Pass::Changes => (
                    to.iter().filter(|t| !from.contains(t)).cloned().collect(),
                    key.to_string(),
                ),
                Pass::Deletions => (
                    from.iter().filter(|f| !to.contains(f)).cloned().collect(),
                    format!("$deleteFromPrimitiveList/{key}"),
                ),
            };
            if !items.is_empty() {
                patch.insert(field, Value::Array(items));
            }
        }
        // Atomic lists (and keyed ones with items that lack the key) are
        // replaced whole when they differ.
        _ if pass == Pass::Changes && from != to => {
            patch.insert(key.to_string(), Value::Array(to.to_vec()));
        }
        _ => {}
    }
}

/// The deletions and the changes as one patch; a keyed list's entries of
/// both passes go together.
fn combine(mut deletions: Map<String, Value>, changes: Map<String, Value>) -> Map<String, Value> {
    for (key, change) in changes {
        let merged = match (deletions.remove(&key), change) {
            (Some(Value::Object(d)), Value::Object(c)) => Value::Object(combine(d, c)),
            (Some(Value::Array(mut d)), Value::Array(c)) if !key.starts_with('$') => {
                d.extend(c);
                Value::Array(d)
            }
            (_, change) => change,
        };
        deletions.insert(key, merged);
    }
    deletions
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::strategic;

    fn deployment(env: Value, labels: Value) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": labels},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "podium/echo:1.0", "env": env}]}}}
        })
    }

    /// The server's copy: what was applied, plus what the server and
    /// others added.
    fn live(applied: &Value) -> Value {
        let mut live = with_last_applied(applied);
        live["metadata"]["uid"] = json!("u-1");
        live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] =
            json!("IfNotPresent");
        live["status"] = json!({"replicas": 2});
        live
    }

    fn reapply(before: &Value, after: &Value) -> (Value, Value) {
        let current = live(before);
        let modified = with_last_applied(after);
        let patch = three_way_patch(
            Kind::Deployment,
            last_applied(&current).as_ref(),
            &modified,
            &current,
        );
        let result = strategic::apply(Kind::Deployment, &current, &patch).expect("patch applies");
        (patch, result)
    }

    #[test]
    fn what_the_file_no_longer_sets_is_deleted() {
        let before = deployment(
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]),
            json!({"app": "web", "tier": "front"}),
        );
        let after = deployment(json!([{"name": "A", "value": "1"}]), json!({"app": "web"}));
        let (patch, result) = reapply(&before, &after);
        let env = &result["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(env, &json!([{"name": "A", "value": "1"}]), "{patch}");
        assert_eq!(result["metadata"]["labels"], json!({"app": "web"}));
        // What the server added and no file named stays.
        let container = &result["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["imagePullPolicy"], "IfNotPresent");
        assert_eq!(result["status"], json!({"replicas": 2}));
        assert_eq!(last_applied(&result), Some(after));
    }

    #[test]
    fn changes_and_additions_are_patched_and_the_rest_left_out() {
        let before = deployment(json!([{"name": "A", "value": "1"}]), json!({"app": "web"}));
        let mut after = before.clone();
        after["spec"]["template"]["spec"]["containers"][0]["image"] = json!("podium/echo:2.0");
        after["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = json!("9");
        let (patch, result) = reapply(&before, &after);
        let container = &patch["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["name"], "web");
        assert_eq!(container["image"], "podium/echo:2.0");
        assert!(patch["spec"].get("replicas").is_none(), "{patch}");
        assert!(patch.get("status").is_none(), "{patch}");
        assert_eq!(
            result["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
            "9"
        );
    }

    #[test]
    fn applying_the_same_file_again_changes_nothing() {
        let file = deployment(json!([{"name": "A", "value": "1"}]), json!({"app": "web"}));
        let (patch, _) = reapply(&file, &file);
        assert_eq!(patch, json!({}));
    }

    #[test]
    fn without_a_last_applied_configuration_nothing_is_deleted() {
        let before = deployment(
            json!([{"name": "A", "value": "1"}]),
            json!({"app": "web", "x": "y"}),
        );
        let current = before.clone();
        let after = deployment(json!([{"name": "A", "value": "1"}]), json!({"app": "web"}));
        let patch = three_way_patch(Kind::Deployment, None, &with_last_applied(&after), &current);
        let result = strategic::apply(Kind::Deployment, &current, &patch).expect("applies");
        assert_eq!(result["metadata"]["labels"]["x"], "y");
        assert!(last_applied(&result).is_some());
    }

    #[test]
    fn a_removed_container_and_a_new_order_follow_the_file() {
        let mut before = deployment(json!([]), json!({"app": "web"}));
        before["spec"]["template"]["spec"]["containers"] = json!([
            {"name": "a", "image": "x"}, {"name": "b", "image": "y"}, {"name": "c", "image": "z"}
        ]);
        let mut after = before.clone();
        after["spec"]["template"]["spec"]["containers"] =
            json!([{"name": "c", "image": "z"}, {"name": "a", "image": "x"}]);
        let (_, result) = reapply(&before, &after);
        let names: Vec<&str> = result["spec"]["template"]["spec"]["containers"]
            .as_array()
            .expect("containers")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, ["c", "a"]);
    }
}
