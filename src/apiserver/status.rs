//! Errors as Kubernetes `Status` objects: the reason, code and details
//! kubectl prints ("Error from server (NotFound): ...").

use serde_json::{Value, json};

use crate::api::Kind;
use crate::store::StoreError;

/// One failure answered as a `Status`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn not_found_path() -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    pub fn method_not_allowed(method: &str) -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource: {method}"),
        )
    }

    pub fn unsupported_media_type(content_type: &str) -> ApiError {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {content_type:?})"
            ),
        )
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "InternalError", message)
    }

    /// `details` naming the object: `{name, group, kind}` with kind the plural, as upstream.
    pub fn with_object(mut self, kind: Kind, name: &str) -> ApiError {
        let info = kind.info();
        let mut details = json!({"name": name, "kind": info.plural});
        if !info.group.is_empty() {
            details["group"] = json!(info.group);
        }
        self.details = Some(details);
        self
    }

    pub fn from_store(error: StoreError) -> ApiError {
        match &error {
            StoreError::NotFound { kind, name } => {
                ApiError::new(404, "NotFound", error.to_string()).with_object(*kind, name)
            }
            StoreError::AlreadyExists { kind, name } => {
                ApiError::new(409, "AlreadyExists", error.to_string()).with_object(*kind, name)
            }
            StoreError::Conflict { kind, name, .. } => {
                ApiError::new(409, "Conflict", error.to_string()).with_object(*kind, name)
            }
            StoreError::Invalid { kind, name, .. } => {
                ApiError::new(422, "Invalid", error.to_string()).with_object(*kind, name)
            }
            StoreError::NamespaceNotFound { namespace } => {
                ApiError::new(404, "NotFound", error.to_string())
                    .with_object(Kind::Namespace, namespace)
            }
            StoreError::NamespaceTerminating { kind, name, .. } => {
                ApiError::new(403, "Forbidden", error.to_string()).with_object(*kind, name)
            }
            StoreError::Gone { .. } => ApiError::new(410, "Expired", error.to_string()),
            StoreError::Persist { .. } | StoreError::Damaged { .. } => {
                ApiError::internal(error.to_string())
            }
        }
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError::from_store(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_reads_like_upstream() {
        let err = ApiError::from_store(StoreError::NotFound {
            kind: Kind::Deployment,
            name: "x".into(),
        });
        let status = err.to_status();
        assert_eq!(status["message"], "deployments.apps \"x\" not found");
        assert_eq!(status["reason"], "NotFound");
        assert_eq!(status["code"], 404);
        assert_eq!(status["details"]["group"], "apps");
        assert_eq!(status["details"]["kind"], "deployments");
    }
}
