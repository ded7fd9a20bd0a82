//! Errors as Kubernetes `Status` objects: the reason, code and details
//! kubectl prints ("Error from server (NotFound): ...").

use serde::Serialize;
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
    pub details: Option<Box<StatusDetails>>,
}

/// metav1.StatusDetails, its fields in upstream's order, empty ones left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatusDetails {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// The resource (plural) or, for validation, the kind, as upstream.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
    /// Seconds a client should wait before trying again (429, 504); also
    /// sent as the `Retry-After` header.
    #[serde(rename = "retryAfterSeconds", skip_serializing_if = "is_zero")]
    pub retry_after_seconds: i32,
}

fn is_zero(value: &i32) -> bool {
    *value == 0
}

/// metav1.StatusCause, in upstream's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusCause {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
}

impl StatusDetails {
    /// Naming an object by its group and `kind` (a plural, or a kind).
    pub fn naming(name: &str, group: &str, kind: &str) -> StatusDetails {
        StatusDetails {
            name: name.to_string(),
            group: group.to_string(),
            kind: kind.to_string(),
            causes: Vec::new(),
            retry_after_seconds: 0,
        }
    }
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
        self.details = Some(Box::new(StatusDetails::naming(
            name,
            info.group,
            info.plural,
        )));
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
            // Upstream passes etcd's refusal on as a 500 (kubernetes#112152);
            // this is apimachinery's NewRequestEntityTooLargeError, which
            // kubectl shows as a refusal of the request, not a server fault.
            StoreError::TooLarge { .. } => ApiError::new(
                413,
                "RequestEntityTooLarge",
                format!("Request entity too large: {error}"),
            ),
            StoreError::Persist { .. }
            | StoreError::Damaged { .. }
            | StoreError::EncryptedWithoutKey { .. }
            | StoreError::Undecryptable { .. }
            | StoreError::Key { .. } => ApiError::internal(error.to_string()),
        }
    }

    /// The `Status` object, its fields in metav1.Status's order (the
    /// order upstream's encoder writes them).
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
        });
        if !self.message.is_empty() {
            status["message"] = json!(self.message);
        }
        if !self.reason.is_empty() {
            status["reason"] = json!(self.reason);
        }
        if let Some(details) = &self.details {
            status["details"] = json!(details);
        }
        status["code"] = json!(self.code);
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

    /// The bytes a client reads, as `error_response` writes them.
    fn body(error: &ApiError) -> String {
        use http_body_util::BodyExt;
        let response = crate::apiserver::http::error_response(error);
        let bytes = futures::executor::block_on(response.into_body().collect())
            .expect("a full body")
            .to_bytes();
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    /// Upstream's bytes (kube-apiserver 1.32, `curl` of each case), field
    /// for field and with the encoder's trailing newline.
    #[test]
    fn status_bodies_are_upstreams_bytes() {
        let cases = [
            (
                ApiError::from_store(StoreError::AlreadyExists {
                    kind: Kind::ConfigMap,
                    name: "x".into(),
                }),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"x\" already exists","reason":"AlreadyExists","details":{"name":"x","kind":"configmaps"},"code":409}"#,
            ),
            (
                ApiError::from_store(StoreError::NotFound {
                    kind: Kind::Deployment,
                    name: "web".into(),
                }),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"web\" not found","reason":"NotFound","details":{"name":"web","group":"apps","kind":"deployments"},"code":404}"#,
            ),
            (
                ApiError::from_store(StoreError::Conflict {
                    kind: Kind::ConfigMap,
                    name: "x".into(),
                    reason: "the object has been modified; please apply your changes to the latest version and try again".into(),
                }),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on configmaps \"x\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"x","kind":"configmaps"},"code":409}"#,
            ),
            (
                ApiError::from_store(StoreError::Gone {
                    requested: 1,
                    oldest: 5,
                }),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}"#,
            ),
            (
                ApiError::not_found_path(),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}"#,
            ),
            (
                crate::apiserver::admission::invalid(
                    Kind::Deployment,
                    "web",
                    &[crate::api::validation::FieldError::invalid(
                        "spec.replicas",
                        "-1",
                        "must be greater than or equal to 0",
                    )],
                ),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0","reason":"Invalid","details":{"name":"web","group":"apps","kind":"Deployment","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: -1: must be greater than or equal to 0","field":"spec.replicas"}]},"code":422}"#,
            ),
        ];
        for (error, upstream) in cases {
            assert_eq!(body(&error), format!("{upstream}\n"));
        }
    }
}
