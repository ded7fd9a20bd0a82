//! Validation with field paths, answered by the API server as a 422
//! `Status` whose `details.causes` carry `{reason, message, field}`.
//! Messages follow k8s.io/apimachinery/pkg/util/validation/field and the
//! checks in kubernetes/pkg/apis/*/validation.

mod config;
mod format;
mod generic;
mod ingress;
mod meta;
mod pod;
mod service;
mod workload;

use super::kinds::Kind;
use super::object::Object;

pub use format::{go_int_or_string, go_label_selector, go_string_map, quote};

/// The `reason` of one cause, as Kubernetes names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorReason {
    Required,
    Invalid,
    Duplicate,
    NotSupported,
    Forbidden,
    TooLong,
    NotFound,
    /// An unknown field under strict field validation.
    Unknown,
}

impl FieldErrorReason {
    /// `FieldValueRequired`, `FieldValueInvalid` ... as in Status causes.
    pub fn cause_type(self) -> &'static str {
        match self {
            FieldErrorReason::Required => "FieldValueRequired",
            FieldErrorReason::Invalid => "FieldValueInvalid",
            FieldErrorReason::Duplicate => "FieldValueDuplicate",
            FieldErrorReason::NotSupported => "FieldValueNotSupported",
            FieldErrorReason::Forbidden => "FieldValueForbidden",
            FieldErrorReason::TooLong => "FieldValueTooLong",
            FieldErrorReason::NotFound => "FieldValueNotFound",
            FieldErrorReason::Unknown => "FieldValueInvalid",
        }
    }
}

/// One problem at one field path, e.g. `spec.template.spec.containers[0].name`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub reason: FieldErrorReason,
    /// Full message as upstream prints it: `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
    pub message: String,
}

impl FieldError {
    /// A schema error of a custom resource or definition, with the
    /// reason its text names.
    pub fn from_schema(error: &super::crd_schema::FieldError) -> FieldError {
        let body = error.message.as_str();
        let reason = if body.starts_with("Required value") {
            FieldErrorReason::Required
        } else if body.starts_with("Unsupported value") {
            FieldErrorReason::NotSupported
        } else if body.starts_with("Forbidden") {
            FieldErrorReason::Forbidden
        } else if body.starts_with("Duplicate value") {
            FieldErrorReason::Duplicate
        } else if body.starts_with("Too long") {
            FieldErrorReason::TooLong
        } else {
            FieldErrorReason::Invalid
        };
        Self::with_body(&error.path, reason, body.to_string())
    }

    fn with_body(field: &str, reason: FieldErrorReason, body: String) -> FieldError {
        FieldError {
            field: field.to_string(),
            reason,
            message: format!("{field}: {body}"),
        }
    }

    /// `Required value` (with `: detail` when given).
    pub fn required(field: &str, detail: &str) -> FieldError {
        Self::with_body(
            field,
            FieldErrorReason::Required,
            with_detail("Required value", detail),
        )
    }

    /// `Invalid value: <value>: detail`; `value` is already formatted as Go
    /// prints it (see [`quote`] for strings).
    pub fn invalid(field: &str, value: impl std::fmt::Display, detail: &str) -> FieldError {
        Self::with_body(
            field,
            FieldErrorReason::Invalid,
            with_detail(&format!("Invalid value: {value}"), detail),
        )
    }

    pub fn duplicate(field: &str, value: impl std::fmt::Display) -> FieldError {
        Self::with_body(
            field,
            FieldErrorReason::Duplicate,
            format!("Duplicate value: {value}"),
        )
    }

    pub fn not_supported(
        field: &str,
        value: impl std::fmt::Display,
        supported: &[&str],
    ) -> FieldError {
        let list: Vec<String> = supported.iter().map(|s| quote(s)).collect();
        Self::with_body(
            field,
            FieldErrorReason::NotSupported,
            format!(
                "Unsupported value: {value}: supported values: {}",
                list.join(", ")
            ),
        )
    }

    pub fn forbidden(field: &str, detail: &str) -> FieldError {
        Self::with_body(
            field,
            FieldErrorReason::Forbidden,
            with_detail("Forbidden", detail),
        )
    }

    pub fn too_long(field: &str, max_bytes: usize) -> FieldError {
        Self::with_body(
            field,
            FieldErrorReason::TooLong,
            format!("Too long: may not be more than {max_bytes} bytes"),
        )
    }

    pub fn not_found(field: &str, value: impl std::fmt::Display) -> FieldError {
        Self::with_body(
            field,
            FieldErrorReason::NotFound,
            format!("Not found: {value}"),
        )
    }

    /// `unknown field "spec.bogus"` under strict field validation.
    pub fn unknown(field: &str) -> FieldError {
        FieldError {
            field: field.to_string(),
            reason: FieldErrorReason::Unknown,
            message: format!("unknown field {}", quote(field)),
        }
    }

    /// The message without the leading `field: `, as a Status cause carries it.
    pub fn body(&self) -> &str {
        self.message
            .strip_prefix(&self.field)
            .and_then(|rest| rest.strip_prefix(": "))
            .unwrap_or(&self.message)
    }
}

fn with_detail(head: &str, detail: &str) -> String {
    if detail.is_empty() {
        head.to_string()
    } else {
        format!("{head}: {detail}")
    }
}

/// Validates an object on create (`old` is `None`) or update.
pub fn validate(object: &Object, old: Option<&Object>) -> Vec<FieldError> {
    let mut errors = meta::validate_object_meta(object);
    if let Some(old) = old {
        errors.extend(meta::validate_object_meta_update(object, old));
    }
    errors.extend(match (object, old) {
        (Object::Pod(pod), old) => pod::validate_pod(pod, old.and_then(|o| o.as_typed())),
        (Object::Deployment(d), old) => {
            workload::validate_deployment(d, old.and_then(|o| o.as_typed()))
        }
        (Object::ReplicaSet(rs), old) => {
            workload::validate_replica_set(rs, old.and_then(|o| o.as_typed()))
        }
        (Object::Service(svc), old) => {
            service::validate_service(svc, old.and_then(|o| o.as_typed()))
        }
        (Object::Ingress(ing), _) => ingress::validate_ingress(ing),
        (Object::ConfigMap(cm), old) => {
            config::validate_config_map(cm, old.and_then(|o| o.as_typed()))
        }
        (Object::Secret(s), old) => config::validate_secret(s, old.and_then(|o| o.as_typed())),
        (Object::Dynamic(object), _) => generic::validate(object),
        (Object::Namespace(_) | Object::Node(_) | Object::Endpoints(_) | Object::Event(_), _) => {
            Vec::new()
        }
    });
    errors
}

/// Upstream's 422 message: `Deployment.apps "x" is invalid: [a, b]`
/// (one error without brackets; repeated messages once).
pub fn invalid_message(kind: Kind, name: &str, errors: &[FieldError]) -> String {
    let info = kind.info();
    let qualified_kind = if info.group.is_empty() {
        info.kind_name.to_string()
    } else {
        format!("{}.{}", info.kind_name, info.group)
    };
    let mut messages: Vec<&str> = Vec::new();
    for error in errors {
        if !messages.contains(&error.message.as_str()) {
            messages.push(&error.message);
        }
    }
    let aggregate = match messages.as_slice() {
        [one] => one.to_string(),
        many => format!("[{}]", many.join(", ")),
    };
    format!("{qualified_kind} {} is invalid: {aggregate}", quote(name))
}

#[cfg(test)]
mod tests;
