//! `x-kubernetes-validations` (CEL) rules. They are listed, not evaluated.

use serde_json::Value;

use super::schema::{VALIDATIONS, additional, get, items, properties, schema_list};

/// Every `x-kubernetes-validations` rule of the schema as (data path, rule).
/// The path names the value the rule applies to: `""` for the root,
/// `spec.foo` for properties, `spec.list[*]` for array items and
/// `spec.labels[*]` for `additionalProperties` values; rules under
/// `allOf`/`anyOf`/`oneOf`/`not` carry the path of the value they constrain.
pub fn cel_rules(schema: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(schema, "", &mut out);
    out
}

fn walk(s: &Value, path: &str, out: &mut Vec<(String, String)>) {
    if !s.is_object() {
        return;
    }
    for rule in schema_list(s, VALIDATIONS) {
        if let Some(r) = get(rule, "rule").and_then(Value::as_str) {
            out.push((path.to_string(), r.to_string()));
        }
    }
    if let Some(props) = properties(s) {
        for (k, p) in props {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            walk(p, &child, out);
        }
    }
    if let Some(i) = items(s) {
        walk(i, &format!("{path}[*]"), out);
    }
    if let Some(ap) = additional(s).and_then(|a| a.schema()) {
        walk(ap, &format!("{path}[*]"), out);
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        for sub in schema_list(s, k) {
            walk(sub, path, out);
        }
    }
    if let Some(not) = get(s, "not") {
        walk(not, path, out);
    }
}
