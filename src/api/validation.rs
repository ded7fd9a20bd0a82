//! Validation with field paths, answered by the API server as a 422
//! `Status` whose `details.causes` carry `{reason, message, field}`.

use super::object::Object;

/// The `reason` of one cause, as Kubernetes names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorReason {
    Required,
    Invalid,
    Duplicate,
    NotSupported,
    Forbidden,
    TooLong,
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

/// Validates an object on create (`old` is `None`) or update.
pub fn validate(_object: &Object, _old: Option<&Object>) -> Vec<FieldError> {
    Vec::new()
}
