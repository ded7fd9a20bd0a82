//! `PATCH` with `application/apply-patch+yaml`: server-side apply, on the
//! main resource (creating the object when it is absent) or on `/status`.
//! The merge and the field ownership are `api::apply`'s.

use http::Response;
use serde_json::Value;

use super::crud::{self, Call};
use super::http::Body;
use super::status::{ApiError, StatusCause, StatusDetails};
use crate::api::apply::{self, ApplyError, Request};
use crate::store::UpdateScope;

/// Tries again when the object changed between the read and the write.
const ATTEMPTS: usize = 5;

pub fn apply(call: &Call, scope: UpdateScope) -> Result<Response<Body>, ApiError> {
    let manager = call
        .query
        .get("fieldManager")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ApiError::bad_request("fieldManager is required for apply requests"))?;
    let applied: Value = serde_yaml::from_slice(&call.body)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    if !applied.is_object() {
        return Err(ApiError::bad_request(
            "error decoding YAML: an applied configuration is an object",
        ));
    }
    let now = serde_json::to_value(crate::clock::now_time())
        .ok()
        .and_then(|t| t.as_str().map(str::to_string))
        .unwrap_or_default();
    let api_version = call.path.api_version();
    let request = Request {
        kind: call.path.kind,
        manager,
        api_version: &api_version,
        force: call.query.flag("force"),
        status: scope == UpdateScope::Status,
        now: &now,
    };
    let pinned = applied
        .pointer("/metadata/resourceVersion")
        .is_some_and(|v| !v.is_null());
    for attempt in 1..=ATTEMPTS {
        let old = match call.existing() {
            Ok(old) => old,
            // Applying to a status needs the object; the main resource is created.
            Err(absent) if scope == UpdateScope::Status => return Err(absent),
            Err(_) => {
                let created = apply::apply(&request, None, &applied).map_err(refused)?;
                match crud::create_value(call, created) {
                    Err(error) if error.reason == "AlreadyExists" && attempt < ATTEMPTS => {
                        continue;
                    }
                    other => return other,
                }
            }
        };
        let original = crud::in_requested_version(call, &old);
        let merged = apply::apply(&request, Some(&original), &applied).map_err(refused)?;
        let admitted =
            super::admission::admit(call.path, merged, Some(&old), call.field_validation()?)?;
        match crud::store_update(call, admitted.object, &old, scope, &admitted.warnings) {
            Err(error) if error.reason == "Conflict" && !pinned && attempt < ATTEMPTS => continue,
            other => return other,
        }
    }
    Err(ApiError::internal(
        "the object kept changing while it was applied; try again",
    ))
}

/// Upstream's answers: 409 with a cause per conflicting field, 422 when the
/// configuration does not merge.
fn refused(error: ApplyError) -> ApiError {
    match &error {
        ApplyError::Conflicts(conflicts) => ApiError {
            code: 409,
            reason: "Conflict",
            message: error.to_string(),
            details: Some(Box::new(StatusDetails {
                causes: conflicts
                    .iter()
                    .map(|c| StatusCause {
                        reason: "FieldManagerConflict".to_string(),
                        message: format!("conflict with {:?}", c.manager),
                        field: c.field.clone(),
                    })
                    .collect(),
                ..StatusDetails::default()
            })),
        },
        ApplyError::Merge(message) => ApiError::new(422, "Invalid", message.clone()),
    }
}
