//! Read access to JSONSchemaProps JSON.

use serde_json::{Map, Value};

pub(crate) const PRESERVE: &str = "x-kubernetes-preserve-unknown-fields";
pub(crate) const EMBEDDED: &str = "x-kubernetes-embedded-resource";
pub(crate) const INT_OR_STRING: &str = "x-kubernetes-int-or-string";
pub(crate) const LIST_TYPE: &str = "x-kubernetes-list-type";
pub(crate) const LIST_MAP_KEYS: &str = "x-kubernetes-list-map-keys";
pub(crate) const MAP_TYPE: &str = "x-kubernetes-map-type";
pub(crate) const VALIDATIONS: &str = "x-kubernetes-validations";

/// `additionalProperties`: absent, a boolean, or a schema.
#[derive(Clone, Copy)]
pub(crate) enum Additional<'a> {
    Bool(bool),
    Schema(&'a Value),
}

impl<'a> Additional<'a> {
    /// The structural schema (`StructuralOrBool.Structural`): none for booleans.
    pub(crate) fn schema(self) -> Option<&'a Value> {
        match self {
            Additional::Schema(s) => Some(s),
            Additional::Bool(_) => None,
        }
    }
}

pub(crate) fn obj(s: &Value) -> Option<&Map<String, Value>> {
    s.as_object()
}

pub(crate) fn get<'a>(s: &'a Value, k: &str) -> Option<&'a Value> {
    s.as_object()
        .and_then(|m| m.get(k))
        .filter(|v| !v.is_null())
}

pub(crate) fn str_of<'a>(s: &'a Value, k: &str) -> &'a str {
    get(s, k).and_then(Value::as_str).unwrap_or("")
}

pub(crate) fn flag(s: &Value, k: &str) -> bool {
    get(s, k).and_then(Value::as_bool).unwrap_or(false)
}

pub(crate) fn type_of(s: &Value) -> &str {
    str_of(s, "type")
}

pub(crate) fn properties(s: &Value) -> Option<&Map<String, Value>> {
    get(s, "properties").and_then(Value::as_object)
}

pub(crate) fn property<'a>(s: &'a Value, k: &str) -> Option<&'a Value> {
    properties(s).and_then(|p| p.get(k))
}

/// The schema field `k` of an object under `s` falls under: its property,
/// else `additionalProperties` (`Some(None)`: any value, unpruned);
/// `None` when the schema names no place for it.
pub(crate) fn field_schema<'a>(s: &'a Value, k: &str) -> Option<Option<&'a Value>> {
    if let Some(p) = property(s, k) {
        return Some(Some(p));
    }
    additional(s).map(Additional::schema)
}

/// `items` when it is a single schema.
pub(crate) fn items(s: &Value) -> Option<&Value> {
    get(s, "items").filter(|v| v.is_object())
}

pub(crate) fn additional(s: &Value) -> Option<Additional<'_>> {
    match get(s, "additionalProperties")? {
        Value::Bool(b) => Some(Additional::Bool(*b)),
        v @ Value::Object(_) => Some(Additional::Schema(v)),
        _ => None,
    }
}

/// `default` (a JSON null default is no default, as upstream).
pub(crate) fn default_of(s: &Value) -> Option<&Value> {
    get(s, "default")
}

pub(crate) fn nullable(s: &Value) -> bool {
    flag(s, "nullable")
}

pub(crate) fn schema_list<'a>(s: &'a Value, k: &str) -> &'a [Value] {
    get(s, k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub(crate) fn f64_of(s: &Value, k: &str) -> Option<f64> {
    get(s, k).and_then(Value::as_f64)
}

pub(crate) fn i64_of(s: &Value, k: &str) -> Option<i64> {
    get(s, k).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

pub(crate) fn strings_of(s: &Value, k: &str) -> Vec<String> {
    get(s, k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
