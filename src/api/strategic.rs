//! Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch):
//! a JSON merge patch where lists with a merge key merge element-wise,
//! lists of primitives marked `merge` take a union, and directives
//! (`$patch`, `$retainKeys`, `$setElementOrder/<list>`,
//! `$deleteFromPrimitiveList/<list>`) steer the merge.

use serde_json::{Map, Value};

use super::kinds::Kind;

const PATCH_DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StrategicError {
    #[error("Unknown patch directive: {0}")]
    UnknownDirective(String),
    #[error("invalid patch: {0}")]
    Invalid(String),
}

/// How a list field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStrategy {
    /// Replaced wholesale (no patch strategy upstream).
    Replace,
    /// Merged element-wise by this key.
    MergeKey(&'static str),
    /// A set of primitives: union.
    MergePrimitives,
}

/// The merge strategy of the list at `path` (field names from the object
/// root, list indices left out) in an object of `kind`, as the
/// `patchStrategy`/`patchMergeKey` tags of the upstream Go types say.
pub fn list_strategy(kind: Kind, path: &[&str]) -> ListStrategy {
    let Some((&field, parents)) = path.split_last() else {
        return ListStrategy::Replace;
    };
    let parent = parents.last().copied().unwrap_or("");
    match field {
        "containers" | "initContainers" | "ephemeralContainers" => ListStrategy::MergeKey("name"),
        "env" | "volumes" | "imagePullSecrets" | "resourceClaims" | "schedulingGates" => {
            ListStrategy::MergeKey("name")
        }
        "volumeMounts" => ListStrategy::MergeKey("mountPath"),
        "volumeDevices" => ListStrategy::MergeKey("devicePath"),
        "ownerReferences" => ListStrategy::MergeKey("uid"),
        "conditions" => ListStrategy::MergeKey("type"),
        "addresses" if kind == Kind::Node && parent == "status" => ListStrategy::MergeKey("type"),
        "hostAliases" => ListStrategy::MergeKey("ip"),
        "topologySpreadConstraints" => ListStrategy::MergeKey("topologyKey"),
        "finalizers" if parent == "metadata" => ListStrategy::MergePrimitives,
        "ports" if kind == Kind::Service && path == ["spec", "ports"] => {
            ListStrategy::MergeKey("port")
        }
        "ports" if parents.iter().any(|p| is_container_list(p)) => {
            ListStrategy::MergeKey("containerPort")
        }
        _ => ListStrategy::Replace,
    }
}

fn is_container_list(field: &str) -> bool {
    matches!(
        field,
        "containers" | "initContainers" | "ephemeralContainers"
    )
}

/// Applies a strategic merge `patch` to `original`, both JSON of `kind`.
pub fn apply(kind: Kind, original: &Value, patch: &Value) -> Result<Value, StrategicError> {
    let (Value::Object(original), Value::Object(patch)) = (original, patch) else {
        return Err(StrategicError::Invalid(
            "a strategic merge patch must be a JSON object".to_string(),
        ));
    };
    let merged = merge_map(kind, &mut Vec::new(), original.clone(), patch)?;
    Ok(Value::Object(merged.unwrap_or_default()))
}

/// Merges `patch` into `original`; `None` when the map is to be deleted.
fn merge_map(
    kind: Kind,
    path: &mut Vec<String>,
    mut original: Map<String, Value>,
    patch: &Map<String, Value>,
) -> Result<Option<Map<String, Value>>, StrategicError> {
    match patch.get(PATCH_DIRECTIVE) {
        None => {}
        Some(Value::String(d)) if d == "replace" => {
            return Ok(Some(strip_directives_map(patch)));
        }
        Some(Value::String(d)) if d == "delete" => return Ok(None),
        Some(Value::String(d)) if d == "merge" => {}
        Some(other) => {
            return Err(StrategicError::UnknownDirective(value_text(other)));
        }
    }
    if let Some(retain) = patch.get(RETAIN_KEYS) {
        let Value::Array(keys) = retain else {
            return Err(StrategicError::Invalid(
                "$retainKeys must be a list of strings".to_string(),
            ));
        };
        let keys: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
        original.retain(|k, _| keys.contains(&k.as_str()));
    }
    for (key, value) in patch {
        if let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
            let Value::Array(remove) = value else {
                return Err(StrategicError::Invalid(format!("{key} must be a list")));
            };
            if let Some(Value::Array(list)) = original.get_mut(field) {
                list.retain(|item| !remove.contains(item));
            }
        }
    }
    // Lists as they were, for `$setElementOrder` to place server-only items.
    let mut lists_before: Vec<(&str, Vec<Value>)> = Vec::new();
    for key in patch.keys() {
        if let Some(field) = key.strip_prefix(SET_ELEMENT_ORDER)
            && let Some(Value::Array(list)) = original.get(field)
        {
            lists_before.push((field, list.clone()));
        }
    }
    for (key, patch_value) in patch {
        if key.starts_with('$') {
            continue;
        }
        if patch_value.is_null() {
            original.shift_remove(key);
            continue;
        }
        path.push(key.clone());
        let existing = original.get_mut(key).map(Value::take);
        let merged = match (existing, patch_value) {
            (Some(Value::Object(o)), Value::Object(p)) => {
                merge_map(kind, path, o, p)?.map(Value::Object)
            }
            (Some(Value::Array(o)), Value::Array(p)) => {
                Some(Value::Array(merge_list(kind, path, o, p)?))
            }
            (None, Value::Object(p)) => merge_map(kind, path, Map::new(), p)?.map(Value::Object),
            (None, Value::Array(p)) => Some(Value::Array(merge_list(kind, path, Vec::new(), p)?)),
            (_, p) => Some(strip_directives(p)),
        };
        path.pop();
        match merged {
            Some(value) => {
                original.insert(key.clone(), value);
            }
            None => {
                original.shift_remove(key);
            }
        }
    }
    for (key, order) in patch {
        let Some(field) = key.strip_prefix(SET_ELEMENT_ORDER) else {
            continue;
        };
        let Value::Array(order) = order else {
            return Err(StrategicError::Invalid(format!("{key} must be a list")));
        };
        path.push(field.to_string());
        let strategy = list_strategy(kind, &path_refs(path));
        path.pop();
        let before = lists_before
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(&[][..], |(_, l)| l.as_slice());
        if let Some(Value::Array(list)) = original.get_mut(field) {
            let key = match strategy {
                ListStrategy::MergeKey(key) => Some(key),
                _ => None,
            };
            *list = normalize_order(std::mem::take(list), order, before, key);
        }
    }
    Ok(Some(original))
}

fn path_refs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

fn merge_list(
    kind: Kind,
    path: &mut Vec<String>,
    original: Vec<Value>,
    patch: &[Value],
) -> Result<Vec<Value>, StrategicError> {
    let strategy = list_strategy(kind, &path_refs(path));
    // `{"$patch": "replace"}` as an element replaces the whole list.
    let replace = patch
        .iter()
        .any(|item| item.get(PATCH_DIRECTIVE).and_then(Value::as_str) == Some("replace"));
    if replace {
        return Ok(patch
            .iter()
            .filter(|item| item.get(PATCH_DIRECTIVE).is_none())
            .map(strip_directives)
            .collect());
    }
    match strategy {
        ListStrategy::Replace => Ok(patch.iter().map(strip_directives).collect()),
        ListStrategy::MergePrimitives => {
            let mut merged = original;
            for item in patch {
                if !merged.contains(item) {
                    merged.push(item.clone());
                }
            }
            Ok(merged)
        }
        ListStrategy::MergeKey(merge_key) => {
            let server_order = original.clone();
            let patch_order: Vec<Value> = patch
                .iter()
                .filter(|item| item.get(PATCH_DIRECTIVE).is_none())
                .cloned()
                .collect();
            let mut merged = original;
            for item in patch {
                let Value::Object(item_map) = item else {
                    return Err(StrategicError::Invalid(format!(
                        "{}: list elements must be objects with merge key {merge_key:?}",
                        path.join(".")
                    )));
                };
                let key_value = item_map.get(merge_key);
                let position = key_value.and_then(|kv| {
                    merged
                        .iter()
                        .position(|existing| existing.get(merge_key) == Some(kv))
                });
                let directive = item_map.get(PATCH_DIRECTIVE).and_then(Value::as_str);
                if directive == Some("delete") {
                    if let Some(kv) = key_value {
                        merged.retain(|existing| existing.get(merge_key) != Some(kv));
                    }
                    continue;
                }
                if key_value.is_none() {
                    return Err(StrategicError::Invalid(format!(
                        "map: {} does not contain declared merge key: {merge_key}",
                        Value::Object(item_map.clone())
                    )));
                }
                match position {
                    Some(i) => {
                        let existing = match merged[i].take() {
                            Value::Object(map) => map,
                            _ => Map::new(),
                        };
                        match merge_map(kind, path, existing, item_map)? {
                            Some(map) => merged[i] = Value::Object(map),
                            None => {
                                merged.remove(i);
                            }
                        }
                    }
                    None => merged.push(strip_directives(item)),
                }
            }
            Ok(normalize_order(
                merged,
                &patch_order,
                &server_order,
                Some(merge_key),
            ))
        }
    }
}

/// What identifies a list element: its merge key's value, or itself.
fn identity(item: &Value, key: Option<&str>) -> Value {
    match key {
        Some(key) => item.get(key).cloned().unwrap_or(Value::Null),
        None => item.clone(),
    }
}

fn position_in(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    let id = identity(item, key);
    list.iter().position(|other| identity(other, key) == id)
}

/// Upstream's normalizeElementOrder: elements named by `patch_order` take
/// that order, the others keep the server's (`server_order`) order, and the
/// two runs interleave by their places in the server's list.
fn normalize_order(
    merged: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let (mut patch_items, mut server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|item| position_in(patch_order, item, key).is_some());
    patch_items.sort_by_key(|item| position_in(patch_order, item, key).unwrap_or(usize::MAX));
    server_only.sort_by_key(|item| position_in(server_order, item, key).unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patch_items.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (position_in(server_order, l, key), position_in(server_order, r, key)),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

fn strip_directives_map(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(k, _)| !k.starts_with('$'))
        .map(|(k, v)| (k.clone(), strip_directives(v)))
        .collect()
}

/// A patch value taken as it is: directives go, and list elements that
/// only delete (or only carry a directive) have nothing to add.
fn strip_directives(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(strip_directives_map(map)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .filter(|item| match item.get(PATCH_DIRECTIVE) {
                    None => true,
                    Some(directive) => {
                        directive.as_str() != Some("delete")
                            && item.as_object().is_some_and(|m| m.len() > 1)
                    }
                })
                .map(strip_directives)
                .collect(),
        ),
        other => other.clone(),
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(containers: Value) -> Value {
        json!({"spec": {"containers": containers}})
    }

    fn names(value: &Value) -> Vec<String> {
        value["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn patch_list_order_wins_for_patched_items() {
        let original = pod(json!([{"name": "a"}, {"name": "b"}]));
        let patch = pod(json!([{"name": "b", "image": "x"}, {"name": "a", "image": "y"}]));
        let out = apply(Kind::Pod, &original, &patch).expect("patch");
        assert_eq!(names(&out), ["b", "a"]);
    }

    #[test]
    fn server_only_items_keep_their_place() {
        let original = pod(json!([{"name": "a"}, {"name": "b"}, {"name": "c"}]));
        let patch = json!({"spec": {
            "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
            "containers": [{"name": "a", "image": "z"}]
        }});
        let out = apply(Kind::Pod, &original, &patch).expect("patch");
        assert_eq!(names(&out), ["b", "c", "a"]);
        assert_eq!(
            out["spec"]["containers"][2],
            json!({"name": "a", "image": "z"})
        );
    }

    #[test]
    fn merge_keys_by_field() {
        assert_eq!(
            list_strategy(
                Kind::Deployment,
                &["spec", "template", "spec", "containers", "ports"]
            ),
            ListStrategy::MergeKey("containerPort")
        );
        assert_eq!(
            list_strategy(Kind::Service, &["spec", "ports"]),
            ListStrategy::MergeKey("port")
        );
        assert_eq!(
            list_strategy(Kind::Pod, &["spec", "tolerations"]),
            ListStrategy::Replace
        );
        assert_eq!(
            list_strategy(Kind::Pod, &["metadata", "finalizers"]),
            ListStrategy::MergePrimitives
        );
    }
}
