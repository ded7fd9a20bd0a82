//! Cell formatting shared by the per-kind printers: ages, label maps,
//! label selectors and container lists, as upstream formats them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, MicroTime, Time};
use k8s_openapi::jiff::Timestamp;

use super::duration::human_duration;

/// Whole seconds from `then` to `now`, truncated toward zero like Go's
/// `int(d.Seconds())`.
fn seconds_between(then: Timestamp, now: Timestamp) -> i64 {
    now.duration_since(then).as_secs()
}

/// `translateTimestampSince`: `<unknown>` for an unset time.
pub fn since(time: Option<&Time>, now: Timestamp) -> String {
    match time {
        Some(t) => human_duration(seconds_between(t.0, now)),
        None => "<unknown>".to_string(),
    }
}

/// `translateMicroTimestampSince`.
pub fn since_micro(time: Option<&MicroTime>, now: Timestamp) -> String {
    match time {
        Some(t) => human_duration(seconds_between(t.0, now)),
        None => "<unknown>".to_string(),
    }
}

/// `labels.FormatLabels`: sorted `k=v` pairs, `<none>` when empty.
pub fn format_labels(labels: Option<&BTreeMap<String, String>>) -> String {
    let joined = labels
        .map(|labels| {
            labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    if joined.is_empty() {
        "<none>".to_string()
    } else {
        joined
    }
}

/// `LabelSelectorAsSelector(s).String()`: requirements sorted by key,
/// "" for an empty or absent selector.
pub fn selector_string(selector: Option<&LabelSelector>) -> String {
    let Some(selector) = selector else {
        return String::new();
    };
    let mut requirements: Vec<(String, String)> = Vec::new();
    for (key, value) in selector.match_labels.iter().flatten() {
        requirements.push((key.clone(), format!("{key}={value}")));
    }
    for expression in selector.match_expressions.iter().flatten() {
        let mut values = expression.values.clone().unwrap_or_default();
        values.sort();
        values.dedup();
        let key = &expression.key;
        let text = match expression.operator.as_str() {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.clone(),
            "DoesNotExist" => format!("!{key}"),
            other => format!("{key} {other} ({})", values.join(",")),
        };
        requirements.push((key.clone(), text));
    }
    // Stable sort keeps matchLabels before expressions on the same key,
    // as the selector's Add does.
    requirements.sort_by(|a, b| a.0.cmp(&b.0));
    requirements
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join(",")
}

/// `metav1.FormatLabelSelector`: like [`selector_string`] but `<none>` when empty.
pub fn format_label_selector(selector: Option<&LabelSelector>) -> String {
    let text = selector_string(selector);
    if text.is_empty() {
        "<none>".to_string()
    } else {
        text
    }
}

/// `layoutContainerCells`: comma-joined names and images.
pub fn container_cells(containers: &[Container]) -> (String, String) {
    let names = containers
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let images = containers
        .iter()
        .map(|c| c.image.as_deref().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(",");
    (names, images)
}

/// Go's `net.JoinHostPort`: brackets around IPv6 hosts.
pub fn join_host_port(host: &str, port: i32) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
