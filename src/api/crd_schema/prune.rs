//! Pruning of unknown fields (apiextensions-apiserver
//! `pkg/apiserver/schema/pruning/algorithm.go`).

use serde_json::Value;

use super::schema::{EMBEDDED, PRESERVE, field_schema, flag, items};

const META_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

fn is_meta(k: &str) -> bool {
    META_FIELDS.contains(&k)
}

/// A schema node; `embedded` forces `x-kubernetes-embedded-resource` (the
/// resource root is pruned as an embedded resource).
#[derive(Clone, Copy)]
struct Node<'a> {
    schema: &'a Value,
    force_embedded: bool,
}

impl<'a> Node<'a> {
    fn of(schema: &'a Value) -> Self {
        Node {
            schema,
            force_embedded: false,
        }
    }
    fn embedded(self) -> bool {
        self.force_embedded || flag(self.schema, EMBEDDED)
    }
}

struct Tracker {
    parent: String,
    unknown: Vec<String>,
}

impl Tracker {
    fn key_path(&self, k: &str) -> String {
        if self.parent.is_empty() {
            k.to_string()
        } else {
            format!("{}.{k}", self.parent)
        }
    }
}

/// Drops the fields of `object` that `schema` (a version's
/// `openAPIV3Schema`) does not specify: not under
/// `x-kubernetes-preserve-unknown-fields`, not in `additionalProperties`
/// maps. `apiVersion`, `kind` and `metadata` stay at the root and in
/// `x-kubernetes-embedded-resource` objects (metadata is pruned elsewhere).
/// Returns the pruned paths, sorted (`spec.foo`, `spec.list[0].bar`), for
/// strict field validation's `unknown field "spec.foo"`.
pub fn prune(schema: &Value, object: &mut Value) -> Vec<String> {
    let mut t = Tracker {
        parent: String::new(),
        unknown: Vec::new(),
    };
    let root = Node {
        schema,
        force_embedded: true,
    };
    prune_node(object, Some(root), &mut t);
    t.unknown.sort();
    t.unknown
}

/// Pruning of a value that is not a resource root (used by default
/// validation for non-embedded nodes).
pub(crate) fn prune_value(schema: &Value, object: &mut Value, is_resource_root: bool) {
    let mut t = Tracker {
        parent: String::new(),
        unknown: Vec::new(),
    };
    let node = Node {
        schema,
        force_embedded: is_resource_root,
    };
    prune_node(object, Some(node), &mut t);
}

fn prune_node(x: &mut Value, s: Option<Node<'_>>, t: &mut Tracker) {
    if let Some(n) = s
        && flag(n.schema, PRESERVE)
    {
        skip_prune(x, n, t);
        return;
    }
    let saved = t.parent.len();
    match x {
        Value::Object(map) => {
            let Some(n) = s else {
                for k in map.keys() {
                    let p = t.key_path(k);
                    t.unknown.push(p);
                }
                map.clear();
                return;
            };
            let embedded = n.embedded();
            let mut remove = Vec::new();
            for (k, v) in map.iter_mut() {
                if embedded && is_meta(k) {
                    continue;
                }
                if let Some(child) = field_schema(n.schema, k) {
                    t.parent = t.key_path(k);
                    prune_node(v, child.map(Node::of), t);
                    t.parent.truncate(saved);
                } else {
                    if !is_meta(k) || !t.parent.is_empty() {
                        let p = t.key_path(k);
                        t.unknown.push(p);
                    }
                    remove.push(k.clone());
                }
            }
            for k in remove {
                map.shift_remove(&k);
            }
        }
        Value::Array(list) => {
            let item_schema = s.and_then(|n| items(n.schema)).map(Node::of);
            for (i, v) in list.iter_mut().enumerate() {
                t.parent.push_str(&format!("[{i}]"));
                prune_node(v, item_schema, t);
                t.parent.truncate(saved);
            }
        }
        _ => {}
    }
}

fn skip_prune(x: &mut Value, n: Node<'_>, t: &mut Tracker) {
    let saved = t.parent.len();
    match x {
        Value::Object(map) => {
            let embedded = n.embedded();
            for (k, v) in map.iter_mut() {
                if embedded && is_meta(k) {
                    continue;
                }
                if let Some(child) = field_schema(n.schema, k) {
                    t.parent = t.key_path(k);
                    prune_node(v, child.map(Node::of), t);
                    t.parent.truncate(saved);
                }
            }
        }
        Value::Array(list) => {
            if let Some(item) = items(n.schema) {
                for (i, v) in list.iter_mut().enumerate() {
                    t.parent.push_str(&format!("[{i}]"));
                    skip_prune(v, Node::of(item), t);
                    t.parent.truncate(saved);
                }
            }
        }
        _ => {}
    }
}
