//! Defaulting (apiextensions-apiserver `pkg/apiserver/schema/defaulting`:
//! `PruneNonNullableNullsWithoutDefaults`, then `Default`).

use serde_json::Value;

use super::schema::{additional, default_of, field_schema, items, nullable, properties, property};

/// Applies the schema's `default`s to `object` as upstream decoding does:
/// first non-nullable nulls without a default are dropped, then missing
/// properties of present objects (and non-nullable nulls) get their
/// property's default, recursively, including array items and
/// `additionalProperties` values. Defaults are copied as they are.
pub fn apply_defaults(schema: &Value, object: &mut Value) {
    prune_non_nullable_nulls(object, Some(schema));
    default(object, Some(schema));
}

fn is_non_nullable_null(x: &Value, s: Option<&Value>) -> bool {
    x.is_null() && s.is_some_and(|s| !nullable(s))
}

fn schema_for_field<'a>(k: &str, s: Option<&'a Value>) -> Option<&'a Value> {
    field_schema(s?, k).flatten()
}

fn prune_non_nullable_nulls(x: &mut Value, s: Option<&Value>) {
    match x {
        Value::Object(map) => {
            let mut remove = Vec::new();
            for (k, v) in map.iter_mut() {
                let field_schema = schema_for_field(k, s);
                if v.is_null()
                    && field_schema.is_some_and(|fs| !nullable(fs) && default_of(fs).is_none())
                {
                    remove.push(k.clone());
                } else {
                    prune_non_nullable_nulls(v, field_schema);
                }
            }
            for k in remove {
                map.shift_remove(&k);
            }
        }
        Value::Array(list) => {
            let item = s.and_then(items);
            for v in list.iter_mut() {
                prune_non_nullable_nulls(v, item);
            }
        }
        _ => {}
    }
}

fn default(x: &mut Value, s: Option<&Value>) {
    let Some(s) = s else { return };
    match x {
        Value::Object(map) => {
            if let Some(props) = properties(s) {
                for (k, prop) in props {
                    let Some(d) = default_of(prop) else { continue };
                    let missing = match map.get(k) {
                        None => true,
                        Some(v) => is_non_nullable_null(v, Some(prop)),
                    };
                    if missing {
                        map.insert(k.clone(), d.clone());
                    }
                }
            }
            let ap = additional(s);
            for (k, v) in map.iter_mut() {
                if let Some(prop) = property(s, k) {
                    default(v, Some(prop));
                } else if let Some(ap) = ap {
                    let aps = ap.schema();
                    if is_non_nullable_null(v, aps) {
                        *v = aps.and_then(default_of).cloned().unwrap_or(Value::Null);
                    }
                    default(v, aps);
                }
            }
        }
        Value::Array(list) => {
            let item = items(s);
            for v in list.iter_mut() {
                if is_non_nullable_null(v, item) {
                    *v = item.and_then(default_of).cloned().unwrap_or(Value::Null);
                }
                default(v, item);
            }
        }
        _ => {}
    }
}
