//! Deployment and ReplicaSet checks (pkg/apis/apps/validation).

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStrategy, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as MetaSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::super::selector::LabelSelector;
use super::meta::{validate_label_selector, validate_labels};
use super::pod::validate_pod_spec;
use super::{FieldError, go_int_or_string, go_label_selector, go_string_map, quote};

const NON_NEGATIVE: &str = "must be greater than or equal to 0";

pub fn validate_deployment(deployment: &Deployment, old: Option<&Deployment>) -> Vec<FieldError> {
    let Some(spec) = deployment.spec.as_ref() else {
        return vec![FieldError::required("spec", "")];
    };
    let mut errors = Vec::new();
    non_negative(&mut errors, "spec.replicas", spec.replicas.map(i64::from));
    errors.extend(validate_selector_and_template(
        spec.selector_ref(),
        Some(&spec.template),
    ));
    if let Some(strategy) = spec.strategy.as_ref() {
        errors.extend(validate_strategy(strategy));
    }
    non_negative(
        &mut errors,
        "spec.revisionHistoryLimit",
        spec.revision_history_limit.map(i64::from),
    );
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    non_negative(
        &mut errors,
        "spec.minReadySeconds",
        Some(i64::from(min_ready)),
    );
    if let Some(deadline) = spec.progress_deadline_seconds {
        non_negative(
            &mut errors,
            "spec.progressDeadlineSeconds",
            Some(i64::from(deadline)),
        );
        if deadline <= min_ready {
            errors.push(FieldError::invalid(
                "spec.progressDeadlineSeconds",
                deadline,
                "must be greater than minReadySeconds",
            ));
        }
    }
    if let Some(old_spec) = old.and_then(|o| o.spec.as_ref())
        && old_spec.selector != spec.selector
    {
        errors.push(FieldError::invalid(
            "spec.selector",
            go_label_selector(Some(&spec.selector)),
            "field is immutable",
        ));
    }
    errors
}

pub fn validate_replica_set(replica_set: &ReplicaSet, old: Option<&ReplicaSet>) -> Vec<FieldError> {
    let Some(spec) = replica_set.spec.as_ref() else {
        return vec![FieldError::required("spec", "")];
    };
    let mut errors = Vec::new();
    non_negative(&mut errors, "spec.replicas", spec.replicas.map(i64::from));
    non_negative(
        &mut errors,
        "spec.minReadySeconds",
        spec.min_ready_seconds.map(i64::from),
    );
    errors.extend(validate_selector_and_template(
        Some(&spec.selector),
        spec.template.as_ref(),
    ));
    if let Some(old_spec) = old.and_then(|o| o.spec.as_ref())
        && old_spec.selector != spec.selector
    {
        errors.push(FieldError::invalid(
            "spec.selector",
            go_label_selector(Some(&spec.selector)),
            "field is immutable",
        ));
    }
    errors
}

/// k8s-openapi makes `selector` required; an absent one arrives empty.
trait SelectorRef {
    fn selector_ref(&self) -> Option<&MetaSelector>;
}

impl SelectorRef for k8s_openapi::api::apps::v1::DeploymentSpec {
    fn selector_ref(&self) -> Option<&MetaSelector> {
        Some(&self.selector)
    }
}

fn non_negative(errors: &mut Vec<FieldError>, field: &str, value: Option<i64>) {
    if let Some(v) = value.filter(|v| *v < 0) {
        errors.push(FieldError::invalid(field, v, NON_NEGATIVE));
    }
}

fn is_empty_selector(selector: &MetaSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(|m| m.is_empty())
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(|e| e.is_empty())
}

pub(super) fn validate_selector_and_template(
    selector: Option<&MetaSelector>,
    template: Option<&PodTemplateSpec>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    // `None` selects nothing: an absent selector fails every template, as
    // upstream's labels.Nothing() does.
    let parsed: Option<LabelSelector> = match selector {
        Some(selector) if !is_empty_selector(selector) => {
            let selector_errors = validate_label_selector(selector, "spec.selector");
            if !selector_errors.is_empty() {
                errors.extend(selector_errors);
                return errors;
            }
            match LabelSelector::from_label_selector(selector) {
                Ok(parsed) => Some(parsed),
                Err(_) => {
                    errors.push(FieldError::invalid(
                        "spec.selector",
                        go_label_selector(Some(selector)),
                        "invalid label selector",
                    ));
                    return errors;
                }
            }
        }
        // k8s-openapi cannot tell an absent selector from `{}`; upstream's
        // answer for the absent one is what kubectl users meet.
        _ => {
            errors.push(FieldError::required("spec.selector", ""));
            None
        }
    };
    let Some(template) = template else {
        errors.push(FieldError::required("spec.template", ""));
        return errors;
    };
    let labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    if parsed.is_none_or(|p| !p.matches(labels)) {
        errors.push(FieldError::invalid(
            "spec.template.metadata.labels",
            go_string_map(labels),
            "`selector` does not match template `labels`",
        ));
    }
    errors.extend(validate_labels(labels, "spec.template.metadata.labels"));
    match template.spec.as_ref() {
        None => errors.push(FieldError::required("spec.template.spec", "")),
        Some(spec) => {
            errors.extend(validate_pod_spec(spec, "spec.template.spec"));
            let policy = spec.restart_policy.as_deref().unwrap_or("");
            if policy != "Always" {
                errors.push(FieldError::not_supported(
                    "spec.template.spec.restartPolicy",
                    quote(policy),
                    &["Always"],
                ));
            }
            if spec.active_deadline_seconds.is_some() {
                errors.push(FieldError::forbidden(
                    "spec.template.spec.activeDeadlineSeconds",
                    "activeDeadlineSeconds in ReplicaSet is not Supported",
                ));
            }
        }
    }
    errors
}

fn validate_strategy(strategy: &DeploymentStrategy) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match strategy.type_.as_deref().unwrap_or("") {
        "Recreate" => {
            if strategy.rolling_update.is_some() {
                errors.push(FieldError::forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match strategy.rolling_update.as_ref() {
            None => errors.push(FieldError::required(
                "spec.strategy.rollingUpdate",
                "this should be defaulted and never be nil",
            )),
            Some(rolling) => {
                let unavailable = rolling.max_unavailable.as_ref();
                let surge = rolling.max_surge.as_ref();
                errors.extend(positive_int_or_percent(
                    unavailable,
                    "spec.strategy.rollingUpdate.maxUnavailable",
                ));
                errors.extend(positive_int_or_percent(
                    surge,
                    "spec.strategy.rollingUpdate.maxSurge",
                ));
                if int_or_percent_value(unavailable) == Some(0)
                    && int_or_percent_value(surge) == Some(0)
                {
                    errors.push(FieldError::invalid(
                        "spec.strategy.rollingUpdate.maxUnavailable",
                        go_int_or_string(unavailable),
                        "may not be 0 when `maxSurge` is 0",
                    ));
                }
                if let Some(IntOrString::String(_)) = unavailable
                    && int_or_percent_value(unavailable).is_some_and(|v| v > 100)
                {
                    errors.push(FieldError::invalid(
                        "spec.strategy.rollingUpdate.maxUnavailable",
                        go_int_or_string(unavailable),
                        "must not be greater than 100%",
                    ));
                }
            }
        },
        other => errors.push(FieldError::not_supported(
            "spec.strategy.type",
            quote(other),
            &["Recreate", "RollingUpdate"],
        )),
    }
    errors
}

/// The number in `5` or `5%`; `None` when not a valid percentage; an absent
/// value counts as 0 as upstream's getIntOrPercentValue does.
fn int_or_percent_value(value: Option<&IntOrString>) -> Option<i64> {
    match value {
        None => Some(0),
        Some(IntOrString::Int(i)) => Some(i64::from(*i)),
        Some(IntOrString::String(s)) => s.strip_suffix('%').and_then(|n| n.parse().ok()),
    }
}

fn positive_int_or_percent(value: Option<&IntOrString>, field: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match value {
        Some(IntOrString::String(s)) => {
            let digits = s.strip_suffix('%').unwrap_or("");
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                errors.push(FieldError::invalid(
                    field,
                    go_int_or_string(value),
                    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
                ));
            }
        }
        Some(IntOrString::Int(i)) if *i < 0 => {
            errors.push(FieldError::invalid(field, i, NON_NEGATIVE));
        }
        _ => {}
    }
    errors
}
