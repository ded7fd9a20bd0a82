//! The fields a manager owns, as `managedFields[].fieldsV1` records them
//! (structured-merge-diff's set): `f:<field>` for a field, `k:{"name":"x"}`
//! for an element of a list merged by key, `v:<json>` for a member of a
//! set of primitives, `.` for the element itself.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::api::Kind;
use crate::api::strategic::{ListStrategy, list_strategy};

/// A tree of owned fields. A node is owned when it is a leaf or `member`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    children: BTreeMap<String, FieldSet>,
    /// The `.` entry: the node itself is owned, not only what is below it.
    member: bool,
}

/// One owned node: the keys from the root.
pub type FieldPath = Vec<String>;

/// Fields of an object no manager owns: identity and bookkeeping.
const UNMANAGED_ROOT: &[&str] = &["apiVersion", "kind"];
const UNMANAGED_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

impl FieldSet {
    /// The fields an applied configuration sets. Lists merge by their
    /// upstream keys on built-in kinds; on custom resources (no schema
    /// extensions read) every list is atomic, as upstream's default.
    pub fn of_applied(kind: Kind, applied: &Value, skip_status: bool) -> FieldSet {
        let mut set = FieldSet::default();
        let Value::Object(fields) = applied else {
            return set;
        };
        for (name, value) in fields {
            if UNMANAGED_ROOT.contains(&name.as_str()) || (skip_status && name == "status") {
                continue;
            }
            if name == "metadata" {
                let Value::Object(meta) = value else { continue };
                let mut node = FieldSet::default();
                for (field, value) in meta {
                    if !UNMANAGED_METADATA.contains(&field.as_str()) {
                        node.child(&format!("f:{field}")).add_value(
                            kind,
                            &mut vec!["metadata", field],
                            value,
                        );
                    }
                }
                if !node.is_empty() {
                    set.children.insert("f:metadata".to_string(), node);
                }
                continue;
            }
            set.child(&format!("f:{name}"))
                .add_value(kind, &mut vec![name.as_str()], value);
        }
        set
    }

    fn child(&mut self, key: &str) -> &mut FieldSet {
        self.children.entry(key.to_string()).or_default()
    }

    fn add_value<'a>(&mut self, kind: Kind, path: &mut Vec<&'a str>, value: &'a Value) {
        match value {
            Value::Object(fields) if !fields.is_empty() => {
                for (name, value) in fields {
                    path.push(name);
                    self.child(&format!("f:{name}"))
                        .add_value(kind, path, value);
                    path.pop();
                }
            }
            Value::Array(items) if !kind.is_custom() => match list_strategy(kind, path) {
                ListStrategy::MergeKey(key) => {
                    for item in items {
                        let Some(id) = item.get(key) else { continue };
                        let element = self.child(&format!("k:{}", json!({key: id})));
                        element.member = true;
                        element.add_value(kind, path, item);
                    }
                }
                ListStrategy::MergePrimitives => {
                    for item in items {
                        self.child(&format!("v:{item}"));
                    }
                }
                ListStrategy::Replace => {}
            },
            _ => {}
        }
    }

    /// Reads `fieldsV1`.
    pub fn parse(value: &Value) -> FieldSet {
        let mut set = FieldSet::default();
        if let Value::Object(entries) = value {
            for (key, child) in entries {
                if key == "." {
                    set.member = true;
                } else {
                    set.children.insert(key.clone(), FieldSet::parse(child));
                }
            }
        }
        set
    }

    /// Writes `fieldsV1`.
    pub fn encode(&self) -> Value {
        let mut out = Map::new();
        if self.member && !self.children.is_empty() {
            out.insert(".".to_string(), json!({}));
        }
        for (key, child) in &self.children {
            out.insert(key.clone(), child.encode());
        }
        Value::Object(out)
    }

    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Every owned node, depth first.
    pub fn owned(&self) -> Vec<FieldPath> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut FieldPath, out: &mut Vec<FieldPath>) {
        for (key, child) in &self.children {
            prefix.push(key.clone());
            if child.children.is_empty() || child.member {
                out.push(prefix.clone());
            }
            child.collect(prefix, out);
            prefix.pop();
        }
    }

    pub fn owns(&self, path: &[String]) -> bool {
        let mut node = self;
        for key in path {
            match node.children.get(key) {
                Some(child) => node = child,
                None => return false,
            }
        }
        !path.is_empty() && (node.children.is_empty() || node.member)
    }

    /// Gives up `path` (and what is below it), pruning emptied parents.
    pub fn remove(&mut self, path: &[String]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            self.children.remove(first);
            return;
        }
        if let Some(child) = self.children.get_mut(first) {
            child.remove(rest);
            if child.children.is_empty() && !child.member {
                self.children.remove(first);
            }
        }
    }
}

/// The value at a field path in an object, if it is there.
pub fn resolve<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |here, key| step(here, key))
}

fn step<'a>(here: &'a Value, key: &str) -> Option<&'a Value> {
    if let Some(field) = key.strip_prefix("f:") {
        return here.get(field);
    }
    let items = here.as_array()?;
    items.iter().find(|item| element_matches(item, key))
}

fn element_matches(item: &Value, key: &str) -> bool {
    if let Some(id) = key.strip_prefix("k:") {
        let Ok(Value::Object(id)) = serde_json::from_str::<Value>(id) else {
            return false;
        };
        return id.iter().all(|(k, v)| item.get(k) == Some(v));
    }
    if let Some(member) = key.strip_prefix("v:") {
        return serde_json::from_str::<Value>(member).ok().as_ref() == Some(item);
    }
    false
}

/// Deletes the field or element at `path` from an object, and the maps
/// the deletion leaves empty (upstream's encoder omits them).
pub fn delete(value: &mut Value, path: &[String]) {
    delete_below(value, path);
}

/// Whether `value` is an object the deletion emptied.
fn delete_below(value: &mut Value, path: &[String]) -> bool {
    let Some((key, rest)) = path.split_first() else {
        return false;
    };
    if let Some(field) = key.strip_prefix("f:") {
        let Some(fields) = value.as_object_mut() else {
            return false;
        };
        let emptied = rest.is_empty()
            || fields
                .get_mut(field)
                .is_some_and(|child| delete_below(child, rest));
        if emptied {
            fields.remove(field);
        }
        return fields.is_empty();
    }
    if let Some(items) = value.as_array_mut() {
        if rest.is_empty() {
            items.retain(|item| !element_matches(item, key));
        } else if let Some(item) = items.iter_mut().find(|item| element_matches(item, key)) {
            delete_below(item, rest);
        }
    }
    false
}

/// A path as upstream prints it in a conflict: `.spec.containers[name="web"].image`.
pub fn display(path: &[String]) -> String {
    let mut out = String::new();
    for key in path {
        if let Some(field) = key.strip_prefix("f:") {
            out.push('.');
            out.push_str(field);
        } else if let Some(id) = key.strip_prefix("k:") {
            let pairs = match serde_json::from_str::<Value>(id) {
                Ok(Value::Object(id)) => id
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(","),
                _ => id.to_string(),
            };
            out.push_str(&format!("[{pairs}]"));
        } else if let Some(member) = key.strip_prefix("v:") {
            out.push_str(&format!("[={member}]"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a"]},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"spec": {"containers": [
                    {"name": "web", "image": "nginx", "args": ["-g", "x"]}
                ]}}
            }
        })
    }

    #[test]
    fn an_applied_deployment_owns_its_leaves_and_keyed_elements() {
        let set = FieldSet::of_applied(Kind::Deployment, &deployment(), true);
        let fields = set.encode();
        assert_eq!(
            fields,
            json!({
                "f:metadata": {"f:finalizers": {"v:\"a\"": {}}, "f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {"f:matchLabels": {"f:app": {}}},
                    "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {
                        ".": {}, "f:args": {}, "f:image": {}, "f:name": {}
                    }}}}
                }
            })
        );
        assert_eq!(FieldSet::parse(&fields), set);
    }

    #[test]
    fn paths_resolve_delete_and_print_as_upstream() {
        let mut object = deployment();
        let image: FieldPath = [
            "f:spec",
            "f:template",
            "f:spec",
            "f:containers",
            "k:{\"name\":\"web\"}",
            "f:image",
        ]
        .map(str::to_string)
        .to_vec();
        assert_eq!(resolve(&object, &image), Some(&json!("nginx")));
        assert_eq!(
            display(&image),
            ".spec.template.spec.containers[name=\"web\"].image"
        );
        delete(&mut object, &image[..5]);
        assert_eq!(object["spec"]["template"]["spec"]["containers"], json!([]));
        let mut set = FieldSet::of_applied(Kind::Deployment, &deployment(), true);
        assert!(set.owns(&image));
        set.remove(&image[..5]);
        assert!(!set.owns(&image));
        assert!(set.owns(&["f:spec".to_string(), "f:replicas".to_string()]));
    }
}
