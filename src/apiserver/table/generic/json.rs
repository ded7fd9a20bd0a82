//! Reading fields out of JSON objects, and the cell formatting helpers
//! upstream's printers share, for JSON input.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::super::cells::{format_label_selector, format_labels};
use super::super::duration::human_duration;

/// The value at `path` (object keys), if every step exists.
pub(super) fn get<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(*key))
}

/// The string at `path`, "" when absent or not a string (Go's zero value).
pub(super) fn str_at<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    get(value, path).and_then(Value::as_str).unwrap_or("")
}

/// The string at `path` if present and a string.
pub(super) fn opt_str<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(value, path).and_then(Value::as_str)
}

/// The integer at `path`, 0 when absent.
pub(super) fn int_at(value: &Value, path: &[&str]) -> i64 {
    opt_int(value, path).unwrap_or(0)
}

/// The integer at `path` if present.
pub(super) fn opt_int(value: &Value, path: &[&str]) -> Option<i64> {
    get(value, path).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

/// The boolean at `path` if present.
pub(super) fn opt_bool(value: &Value, path: &[&str]) -> Option<bool> {
    get(value, path).and_then(Value::as_bool)
}

/// The array at `path`, empty when absent.
pub(super) fn arr_at<'a>(value: &'a Value, path: &[&str]) -> &'a [Value] {
    get(value, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The RFC3339 timestamp at `path`, if present and valid.
pub(super) fn timestamp(value: &Value, path: &[&str]) -> Option<Timestamp> {
    parse_time(opt_str(value, path)?)
}

/// Parses an RFC3339 time as the API writes it.
pub(super) fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>().ok()
}

/// Go's `t.UTC().Format(time.RFC3339)`: whole seconds, `Z`.
pub(super) fn rfc3339(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `translateTimestampSince`: `<unknown>` for an unset time.
pub(super) fn since(time: Option<Timestamp>, now: Timestamp) -> String {
    match time {
        Some(t) => human_duration(now.duration_since(t).as_secs()),
        None => "<unknown>".to_string(),
    }
}

/// `metadata.name`.
pub(super) fn name(object: &Value) -> &str {
    str_at(object, &["metadata", "name"])
}

/// The AGE cell: time since `metadata.creationTimestamp`.
pub(super) fn age(object: &Value, now: Timestamp) -> String {
    since(timestamp(object, &["metadata", "creationTimestamp"]), now)
}

/// Whether `metadata.deletionTimestamp` is set.
pub(super) fn deleting(object: &Value) -> bool {
    get(object, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null())
}

/// The annotation `key`, if set.
pub(super) fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    get(object, &["metadata", "annotations", key]).and_then(Value::as_str)
}

/// `layoutContainerCells` over the `containers` array of a pod spec.
pub(super) fn container_cells(pod_spec: Option<&Value>) -> (String, String) {
    let containers = pod_spec.map(|s| arr_at(s, &["containers"])).unwrap_or(&[]);
    let names = containers
        .iter()
        .map(|c| str_at(c, &["name"]))
        .collect::<Vec<_>>()
        .join(",");
    let images = containers
        .iter()
        .map(|c| str_at(c, &["image"]))
        .collect::<Vec<_>>()
        .join(",");
    (names, images)
}

/// `labels.FormatLabels` over a JSON string map: `<none>` when empty.
pub(super) fn labels(map: Option<&Value>) -> String {
    let parsed: Option<BTreeMap<String, String>> =
        map.and_then(|m| serde_json::from_value(m.clone()).ok());
    format_labels(parsed.as_ref())
}

/// `metav1.FormatLabelSelector` over a JSON LabelSelector: `<none>` when
/// empty or absent.
pub(super) fn label_selector(selector: Option<&Value>) -> String {
    let parsed: Option<LabelSelector> = selector
        .filter(|s| !s.is_null())
        .and_then(|s| serde_json::from_value(s.clone()).ok());
    format_label_selector(parsed.as_ref())
}

/// `intstr.IntOrString.String()`.
pub(super) fn int_or_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// `resource.Quantity.String()` of a quantity as stored; `missing` when
/// absent (a zero-valued map entry gives "0", a nil pointer "<nil>").
pub(super) fn quantity(value: Option<&Value>, missing: &str) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => missing.to_string(),
    }
}

/// Go's `strconv.FormatBool`-like `printBool`: `True`/`False`.
pub(super) fn print_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// `listWithMoreString`: up to `max` entries, then ` + N more...`;
/// `<unset>` when empty.
pub(super) fn list_with_more(items: &[String], max: usize) -> String {
    let shown = items
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(",");
    if items.len() > max {
        return format!("{shown} + {} more...", items.len() - max);
    }
    if shown.is_empty() {
        "<unset>".to_string()
    } else {
        shown
    }
}
