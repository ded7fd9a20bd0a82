//! Conversions between served versions and the stored version
//! (Ingress networking.k8s.io/v1beta1 ↔ v1).

use serde_json::Value;

use super::kinds::Kind;

#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("{0}")]
    Invalid(String),
}

/// Converts a body in `api_version` to the stored version of `kind`.
pub fn to_storage_version(
    _kind: Kind,
    _api_version: &str,
    value: Value,
) -> Result<Value, ConvertError> {
    Ok(value)
}

/// Converts a stored object (as JSON) to the `api_version` a client asked for.
pub fn from_storage_version(_kind: Kind, _api_version: &str, value: Value) -> Value {
    value
}
