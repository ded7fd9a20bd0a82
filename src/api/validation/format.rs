//! Values printed the way Go's `%q` / `%#v` print them in upstream messages.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// Go's `%q` of a string.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// `map[string]string{"app":"nginx"}` or `map[string]string(nil)`.
pub fn go_string_map(map: Option<&BTreeMap<String, String>>) -> String {
    match map {
        None => "map[string]string(nil)".to_string(),
        Some(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{}", quote(k), quote(v)))
                .collect();
            format!("map[string]string{{{}}}", pairs.join(", "))
        }
    }
}

fn go_string_slice(values: Option<&Vec<String>>) -> String {
    match values {
        None => "[]string(nil)".to_string(),
        Some(values) => {
            let items: Vec<String> = values.iter().map(|v| quote(v)).collect();
            format!("[]string{{{}}}", items.join(", "))
        }
    }
}

/// `v1.LabelSelector{MatchLabels:map[string]string{"app":"nginx"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`
pub fn go_label_selector(selector: Option<&LabelSelector>) -> String {
    let Some(selector) = selector else {
        return "null".to_string();
    };
    let expressions = match &selector.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|r| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        quote(&r.key),
                        quote(&r.operator),
                        go_string_slice(r.values.as_ref())
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{expressions}}}",
        go_string_map(selector.match_labels.as_ref())
    )
}

/// `intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}`
pub fn go_int_or_string(value: Option<&IntOrString>) -> String {
    let (kind, int, string) = match value {
        None | Some(IntOrString::Int(_)) => (0, value_int(value), String::new()),
        Some(IntOrString::String(s)) => (1, 0, s.clone()),
    };
    format!(
        "intstr.IntOrString{{Type:{kind}, IntVal:{int}, StrVal:{}}}",
        quote(&string)
    )
}

fn value_int(value: Option<&IntOrString>) -> i32 {
    match value {
        Some(IntOrString::Int(i)) => *i,
        _ => 0,
    }
}
