//! CustomResourceDefinition schemas (`spec.versions[*].schema.openAPIV3Schema`)
//! applied to custom resources, as the apiextensions-apiserver does it:
//!
//! - [`structural_errors`]: the CRD-level checks of a version schema
//!   (structural-schema invariants, unsupported OpenAPI fields, list/map
//!   extensions, defaults that do not validate against their schema).
//! - [`prune`]: dropping fields the schema does not specify.
//! - [`apply_defaults`]: `default`s and non-nullable nulls.
//! - [`validate`]: OpenAPI v3 value validation with kube-openapi's messages,
//!   plus `x-kubernetes-list-type` set/map uniqueness.
//! - [`cel_rules`]: the `x-kubernetes-validations` rules (not evaluated here).
//!
//! Everything works on `serde_json::Value`: the schema as JSONSchemaProps
//! JSON and the object as it was decoded. Pure functions, no I/O.

mod cel;
mod defaults;
mod format;
mod prune;
mod schema;
mod structural;
mod validate;

#[cfg(test)]
mod tests;

use std::fmt;

use serde_json::Value;

pub use cel::cel_rules;
pub use defaults::apply_defaults;
pub use prune::prune;
pub use structural::structural_errors;
pub use validate::validate;

/// One field error as upstream's `field.Error` prints it: `path` is the
/// field path (`spec.replicas`, or `<nil>` for errors without one) and
/// `message` the error body (`Invalid value: 11: spec.replicas in body
/// should be less than or equal to 10`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

// --- field.Error constructors (k8s.io/apimachinery/pkg/util/validation/field) ---

fn with_detail(mut body: String, detail: &str) -> String {
    if !detail.is_empty() {
        body.push_str(": ");
        body.push_str(detail);
    }
    body
}

pub(crate) fn fe_required(path: &str, detail: &str) -> FieldError {
    FieldError {
        path: path.to_string(),
        message: with_detail("Required value".to_string(), detail),
    }
}

pub(crate) fn fe_forbidden(path: &str, detail: &str) -> FieldError {
    FieldError {
        path: path.to_string(),
        message: with_detail("Forbidden".to_string(), detail),
    }
}

/// `field.Invalid` (and `field.TypeInvalid`, which prints the same) with a
/// bad value already rendered by [`bad_value`] or [`bad_str`].
pub(crate) fn fe_invalid(path: &str, bad: &str, detail: &str) -> FieldError {
    FieldError {
        path: path.to_string(),
        message: with_detail(format!("Invalid value: {bad}"), detail),
    }
}

pub(crate) fn fe_not_supported(path: &str, bad: &str, supported: &[String]) -> FieldError {
    let detail = if supported.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = supported.iter().map(|v| go_quote(v)).collect();
        format!("supported values: {}", quoted.join(", "))
    };
    FieldError {
        path: path.to_string(),
        message: with_detail(format!("Unsupported value: {bad}"), &detail),
    }
}

pub(crate) fn fe_duplicate(path: &str, bad: &str) -> FieldError {
    FieldError {
        path: path.to_string(),
        message: format!("Duplicate value: {bad}"),
    }
}

pub(crate) fn fe_too_long(path: &str, max: i64) -> FieldError {
    let detail = if max >= 0 {
        format!(
            "may not be more than {max} {}",
            if max == 1 { "byte" } else { "bytes" }
        )
    } else {
        "value is too long".to_string()
    };
    FieldError {
        path: path.to_string(),
        message: with_detail("Too long".to_string(), &detail),
    }
}

pub(crate) fn fe_too_many(path: &str, actual: i64, max: i64) -> FieldError {
    let detail = if max >= 0 {
        format!(
            "must have at most {max} {}",
            if max == 1 { "item" } else { "items" }
        )
    } else {
        "has too many items".to_string()
    };
    let body = if actual >= 0 {
        format!("Too many: {actual}")
    } else {
        "Too many".to_string()
    };
    FieldError {
        path: path.to_string(),
        message: with_detail(body, &detail),
    }
}

/// A string bad value as `field.Error` prints it (`%q`).
pub(crate) fn bad_str(s: &str) -> String {
    go_quote(s)
}

/// A JSON bad value as `field.Error` prints it: numbers and booleans with
/// `%v`, strings with `%q`, everything else as (Go) JSON.
pub(crate) fn bad_value(v: &Value) -> String {
    match v {
        Value::String(s) => go_quote(s),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match num(n) {
            Num::I(i) => i.to_string(),
            Num::F(f) => go_fmt_v(f),
        },
        _ => go_json(v),
    }
}

// --- Go value semantics ---

/// A JSON number as the Go decoder of unstructured objects holds it: int64
/// when it is an integer that fits, float64 otherwise.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    I(i64),
    F(f64),
}

pub(crate) fn num(n: &serde_json::Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::I(i)
    } else {
        Num::F(n.as_f64().unwrap_or(0.0))
    }
}

impl Num {
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }
}

/// Go's `reflect.DeepEqual` on decoded JSON: int64 and float64 differ.
pub(crate) fn go_deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (num(x), num(y)) {
            (Num::I(x), Num::I(y)) => x == y,
            (Num::F(x), Num::F(y)) => x == y,
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| go_deep_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| go_deep_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Go's `%q` of a string (strconv.Quote).
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let u = c as u32;
                if u <= 0xffff {
                    out.push_str(&format!("\\u{u:04x}"));
                } else {
                    out.push_str(&format!("\\U{u:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Splits Rust's shortest `{:e}` rendering into (mantissa, exponent).
fn shortest_exp(f: f64) -> (String, i32) {
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse().unwrap_or(0)),
        None => (s, 0),
    }
}

/// Go's `%v` of a float64 (`%g` with the shortest precision).
pub(crate) fn go_fmt_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (mantissa, exp) = shortest_exp(f);
    if !(-4..6).contains(&exp) {
        // %e form with at least two exponent digits
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

/// Go's `encoding/json` rendering of a float64.
fn go_json_float(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    let abs = f.abs();
    if (1e-6..1e21).contains(&abs) {
        format!("{f}")
    } else {
        let (mantissa, exp) = shortest_exp(f);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{}", exp.abs())
    }
}

/// Go's `json.Marshal` of a decoded JSON value: sorted object keys, HTML
/// escaping, Go number formatting.
pub(crate) fn go_json(v: &Value) -> String {
    let mut out = String::new();
    write_go_json(v, &mut out);
    out
}

fn write_go_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match num(n) {
            Num::I(i) => out.push_str(&i.to_string()),
            Num::F(f) => out.push_str(&go_json_float(f)),
        },
        Value::String(s) => write_go_json_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json_str(k, out);
                out.push(':');
                if let Some(v) = map.get(*k) {
                    write_go_json(v, out);
                }
            }
            out.push('}');
        }
    }
}

fn write_go_json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

// --- field.Path rendering ---

/// `p.Child(name)`; an empty `p` is the nil path.
pub(crate) fn child(p: &str, name: &str) -> String {
    if p.is_empty() {
        name.to_string()
    } else {
        format!("{p}.{name}")
    }
}

/// `p.Key(key)`.
pub(crate) fn key(p: &str, k: &str) -> String {
    format!("{p}[{k}]")
}

/// `p.Index(i)`.
pub(crate) fn index(p: &str, i: usize) -> String {
    format!("{p}[{i}]")
}
