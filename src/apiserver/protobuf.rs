//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`):
//! the 4-byte `k8s\0` magic, a `runtime.Unknown` envelope, and the object,
//! mapped to the JSON form k8s-openapi reads.
//!
//! kubectl's typed generators (`create deployment|service|secret|job|
//! role|token|...`, `auth can-i`, `auth whoami`) send these and give up on
//! a 415, so the server must read them. Every kind podium serves is in the
//! layout; `root_message` maps API groups to k8s-pb packages. The
//! object is decoded by a schema-driven reader (`protobuf/wire.rs`) over a
//! layout generated from k8s-pb and k8s-openapi (`protobuf/schema.txt`).

mod schema;
mod wire;

use k8s_pb::apimachinery::pkg::runtime::Unknown;
use prost::Message as _;
use serde_json::Value;

/// The prefix of every Kubernetes protobuf body.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// The media type of Kubernetes protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

#[derive(Debug, thiserror::Error)]
pub enum ProtobufError {
    #[error("the body of the request was in an unknown format")]
    Unsupported,
    #[error(
        "the body of the request was in an unknown format: it does not start with the Kubernetes protobuf prefix"
    )]
    MissingMagic,
    #[error("the body of the request was in an unknown format: {0}")]
    Envelope(#[from] prost::DecodeError),
    #[error("the body of the request was in an unknown format: {0}")]
    Wire(#[from] wire::WireError),
    #[error(
        "the body of the request was in an unknown format: content encoding {0:?} is not supported"
    )]
    ContentEncoding(String),
    #[error("the body of the request was in an unknown format: embedded JSON: {0}")]
    EmbeddedJson(#[from] serde_json::Error),
    #[error(
        "protobuf bodies for {kind} ({api_version}) are not supported by podium; send it as JSON (e.g. kubectl create -f file.yaml)"
    )]
    UnsupportedKind { api_version: String, kind: String },
}

/// Decodes a protobuf body to the object's JSON (with apiVersion and kind).
pub fn decode(body: &[u8]) -> Result<serde_json::Value, ProtobufError> {
    let envelope = body
        .strip_prefix(MAGIC.as_slice())
        .ok_or(ProtobufError::MissingMagic)?;
    let unknown = Unknown::decode(envelope)?;
    let type_meta = unknown.type_meta.unwrap_or_default();
    let api_version = type_meta.api_version.unwrap_or_default();
    let kind = type_meta.kind.unwrap_or_default();
    if let Some(encoding) = unknown.content_encoding.filter(|e| !e.is_empty()) {
        return Err(ProtobufError::ContentEncoding(encoding));
    }
    let raw = unknown.raw.unwrap_or_default();
    // The envelope may carry JSON; then it only needs parsing.
    if unknown
        .content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("application/json"))
    {
        return Ok(serde_json::from_slice(&raw)?);
    }
    let Some(index) = root_message(&api_version, &kind) else {
        return Err(ProtobufError::UnsupportedKind { api_version, kind });
    };
    let mut object = serde_json::Map::new();
    object.insert("apiVersion".to_string(), Value::String(api_version));
    object.insert("kind".to_string(), Value::String(kind));
    object.extend(wire::decode_message(index, &raw)?);
    Ok(Value::Object(object))
}

/// The schema index of the top-level message for `apiVersion`/`kind`.
fn root_message(api_version: &str, kind: &str) -> Option<usize> {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let package = match group {
        "" => "api.core",
        "apps" => "api.apps",
        "batch" => "api.batch",
        "autoscaling" => "api.autoscaling",
        "policy" => "api.policy",
        "networking.k8s.io" => "api.networking",
        "discovery.k8s.io" => "api.discovery",
        "coordination.k8s.io" => "api.coordination",
        "rbac.authorization.k8s.io" => "api.rbac",
        "storage.k8s.io" => "api.storage",
        "scheduling.k8s.io" => "api.scheduling",
        "authorization.k8s.io" => "api.authorization",
        "authentication.k8s.io" => "api.authentication",
        "events.k8s.io" => "api.events",
        "admissionregistration.k8s.io" => "api.admissionregistration",
        "apiextensions.k8s.io" => "apiextensions_apiserver.pkg.apis.apiextensions",
        _ => return None,
    };
    // Only the kinds listed in schema.txt resolve; the rest are refused.
    schema::schema().kind(&format!("{package}.{version}.{kind}"))
}

#[cfg(test)]
mod tests;
