//! ObjectMeta checks (ValidateObjectMeta / ValidateObjectMetaUpdate).

use std::collections::BTreeMap;

use super::super::kinds::Kind;
use super::super::naming;
use super::super::object::Object;
use super::{FieldError, quote};

/// Upstream's total annotation size limit.
const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// The name syntax a kind requires.
fn name_check(kind: Kind) -> fn(&str) -> Vec<String> {
    match kind {
        Kind::Service => naming::dns1035_label,
        Kind::Namespace => naming::dns1123_label,
        _ => naming::dns1123_subdomain,
    }
}

pub fn validate_object_meta(object: &Object) -> Vec<FieldError> {
    let meta = object.meta();
    let check = name_check(object.kind());
    let mut errors = Vec::new();
    let name = meta.name.as_deref().unwrap_or("");
    let generate_name = meta.generate_name.as_deref().unwrap_or("");
    if !generate_name.is_empty() {
        // A prefix may end in '-': the random suffix follows it.
        for msg in check(generate_name.trim_end_matches('-')) {
            errors.push(FieldError::invalid(
                "metadata.generateName",
                quote(generate_name),
                &msg,
            ));
        }
    }
    if name.is_empty() {
        if generate_name.is_empty() {
            errors.push(FieldError::required(
                "metadata.name",
                "name or generateName is required",
            ));
        }
    } else {
        for msg in check(name) {
            errors.push(FieldError::invalid("metadata.name", quote(name), &msg));
        }
    }
    // Cluster-scoped objects get their namespace cleared by the server (as
    // upstream's BeforeCreate does), so only the syntax is checked here.
    if let Some(namespace) = meta.namespace.as_deref().filter(|ns| !ns.is_empty())
        && object.kind().namespaced()
    {
        for msg in naming::dns1123_label(namespace) {
            errors.push(FieldError::invalid(
                "metadata.namespace",
                quote(namespace),
                &msg,
            ));
        }
    }
    errors.extend(validate_labels(meta.labels.as_ref(), "metadata.labels"));
    errors.extend(validate_annotations(
        meta.annotations.as_ref(),
        "metadata.annotations",
    ));
    errors
}

/// Label keys and values (ValidateLabels); the path names the map.
pub fn validate_labels(labels: Option<&BTreeMap<String, String>>, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (key, value) in labels.into_iter().flatten() {
        for msg in naming::qualified_name(key) {
            errors.push(FieldError::invalid(path, quote(key), &msg));
        }
        for msg in naming::label_value(value) {
            errors.push(FieldError::invalid(path, quote(value), &msg));
        }
    }
    errors
}

/// A structured label selector (ValidateLabelSelector).
pub fn validate_label_selector(
    selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    path: &str,
) -> Vec<FieldError> {
    let mut errors = validate_labels(
        selector.match_labels.as_ref(),
        &format!("{path}.matchLabels"),
    );
    for (i, expr) in selector.match_expressions.iter().flatten().enumerate() {
        let expr_path = format!("{path}.matchExpressions[{i}]");
        let has_values = expr.values.as_ref().is_some_and(|v| !v.is_empty());
        match expr.operator.as_str() {
            "In" | "NotIn" => {
                if !has_values {
                    errors.push(FieldError::required(
                        &format!("{expr_path}.values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if has_values {
                    errors.push(FieldError::forbidden(
                        &format!("{expr_path}.values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            other => errors.push(FieldError::invalid(
                &format!("{expr_path}.operator"),
                quote(other),
                "not a valid selector operator",
            )),
        }
        for msg in naming::qualified_name(&expr.key) {
            errors.push(FieldError::invalid(
                &format!("{expr_path}.key"),
                quote(&expr.key),
                &msg,
            ));
        }
        for (j, value) in expr.values.iter().flatten().enumerate() {
            for msg in naming::label_value(value) {
                errors.push(FieldError::invalid(
                    &format!("{expr_path}.values[{j}]"),
                    quote(value),
                    &msg,
                ));
            }
        }
    }
    errors
}

fn validate_annotations(
    annotations: Option<&BTreeMap<String, String>>,
    path: &str,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut total = 0;
    for (key, value) in annotations.into_iter().flatten() {
        for msg in naming::qualified_name(&key.to_lowercase()) {
            errors.push(FieldError::invalid(path, quote(key), &msg));
        }
        total += key.len() + value.len();
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errors.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errors
}

pub fn validate_object_meta_update(object: &Object, old: &Object) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let (new_meta, old_meta) = (object.meta(), old.meta());
    if new_meta.name != old_meta.name {
        errors.push(FieldError::invalid(
            "metadata.name",
            quote(object.name()),
            "field is immutable",
        ));
    }
    if new_meta.namespace != old_meta.namespace {
        errors.push(FieldError::invalid(
            "metadata.namespace",
            quote(object.namespace()),
            "field is immutable",
        ));
    }
    if old_meta.uid.is_some() && new_meta.uid.is_some() && new_meta.uid != old_meta.uid {
        errors.push(FieldError::invalid(
            "metadata.uid",
            quote(new_meta.uid.as_deref().unwrap_or("")),
            "field is immutable",
        ));
    }
    errors
}
