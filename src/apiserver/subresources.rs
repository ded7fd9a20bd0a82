//! Subresources: `/status`, `/scale` (autoscaling/v1 Scale for the
//! workloads that have one and custom resources that define one),
//! `pods/log`, `pods/eviction` (`eviction.rs`) and `pods/binding`
//! (`binding.rs`). The streaming ones (exec, attach, portforward) switch
//! protocols and are served by `stream`.

use futures::StreamExt;
use http::{Method, Response};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::{Value, json};

use super::crud::{self, Call};
use super::http::{Body, json_response, streaming_response};
use super::status::{ApiError, StatusCause, StatusDetails};
use crate::api::crd::{self, ScalePaths};
use crate::api::patch::PatchType;
use crate::api::{Kind, Object};
use crate::kubelet::{LogError, LogOptions};
use crate::store::UpdateScope;

pub async fn serve(
    call: &Call<'_>,
    method: &Method,
    sub: &str,
) -> Result<Response<Body>, ApiError> {
    let kind = call.path.kind;
    let served = kind.info().subresources.contains(&sub) || sub == "attach" && kind == Kind::Pod;
    if !served {
        return Err(ApiError::not_found_path());
    }
    match (sub, method.as_str()) {
        ("status", "GET") => crud::get(call),
        ("status", "PUT") => crud::update(call, UpdateScope::Status),
        ("status", "PATCH") => crud::patch(call, UpdateScope::Status),
        ("scale", "GET") => get_scale(call),
        ("scale", "PUT") => {
            let body: Value = serde_json::from_slice(&call.body)
                .map_err(|e| ApiError::bad_request(format!("invalid Scale: {e}")))?;
            set_scale(call, body)
        }
        ("scale", "PATCH") => patch_scale(call),
        ("log", "GET") => logs(call).await,
        ("token", "POST") => super::token_request::create(call),
        ("eviction", "POST") => super::eviction::create(call),
        ("binding", "POST") => super::binding::create(call),
        // Reached only without a pod name: `stream` serves named pods.
        ("exec" | "attach" | "portforward", _) => Err(ApiError::not_found_path()),
        (_, other) => Err(ApiError::method_not_allowed(other)),
    }
}

/// `app=nginx,tier in (web)`: a LabelSelector in its string form.
pub fn selector_string(selector: Option<&LabelSelector>) -> String {
    let Some(selector) = selector else {
        return String::new();
    };
    let mut parts: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for expr in selector.match_expressions.iter().flatten() {
        let values = expr.values.clone().unwrap_or_default();
        parts.push(match expr.operator.as_str() {
            "In" => format!("{} in ({})", expr.key, values.join(",")),
            "NotIn" => format!("{} notin ({})", expr.key, values.join(",")),
            "Exists" => expr.key.clone(),
            "DoesNotExist" => format!("!{}", expr.key),
            other => format!("{} {other} ({})", expr.key, values.join(",")),
        });
    }
    parts.join(",")
}

/// Where a kind with a scale subresource keeps its replicas and selector:
/// the built-in workloads' fixed fields, a custom resource's from its
/// definition (`subresources.scale`), as upstream reads them.
fn scale_paths(call: &Call) -> Result<ScalePaths, ApiError> {
    let kind = call.path.kind;
    if let Some(definition) = &call.path.definition {
        return crd::version(&definition.0, &call.path.version)
            .and_then(|v| v.scale)
            .ok_or_else(ApiError::not_found_path);
    }
    let workload = [
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::ReplicationController,
    ];
    if !workload.contains(&kind) {
        return Err(ApiError::not_found_path());
    }
    Ok(ScalePaths {
        spec_replicas: ".spec.replicas".into(),
        status_replicas: ".status.replicas".into(),
        label_selector: Some(".spec.selector".into()),
    })
}

/// The fields of a JSON path such as `.spec.replicas`.
fn fields(path: &str) -> impl Iterator<Item = &str> {
    path.split('.').filter(|f| !f.is_empty())
}

fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    fields(path).try_fold(value, |v, field| v.get(field))
}

fn set_at(value: &mut Value, path: &str, new: Value) {
    let mut here = value;
    for field in fields(path) {
        if !here.is_object() {
            *here = json!({});
        }
        here = &mut here[field];
    }
    *here = new;
}

/// A selector in its string form, whichever shape the field has: already a
/// string (custom resources' `status.selector`), a LabelSelector, or the
/// plain map a ReplicationController uses.
fn selector_text(selector: Option<&Value>) -> String {
    match selector {
        Some(Value::String(text)) => text.clone(),
        Some(map @ Value::Object(fields))
            if fields.contains_key("matchLabels") || fields.contains_key("matchExpressions") =>
        {
            let parsed: Option<LabelSelector> = serde_json::from_value(map.clone()).ok();
            selector_string(parsed.as_ref())
        }
        Some(Value::Object(labels)) => {
            let mut pairs: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            pairs.sort();
            pairs.join(",")
        }
        _ => String::new(),
    }
}

fn scale_of(object: &Object, paths: &ScalePaths) -> Value {
    let value = object.to_json();
    let replicas = |path: &str| at(&value, path).and_then(Value::as_i64).unwrap_or(0);
    let meta = object.meta();
    let mut status = json!({"replicas": replicas(&paths.status_replicas)});
    if let Some(path) = &paths.label_selector {
        status["selector"] = json!(selector_text(at(&value, path)));
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta.name,
            "namespace": meta.namespace,
            "uid": meta.uid,
            "resourceVersion": meta.resource_version,
            "creationTimestamp": meta.creation_timestamp,
        },
        "spec": {"replicas": replicas(&paths.spec_replicas)},
        "status": status,
    })
}

fn get_scale(call: &Call) -> Result<Response<Body>, ApiError> {
    let paths = scale_paths(call)?;
    Ok(json_response(200, &scale_of(&*call.existing()?, &paths)))
}

fn patch_scale(call: &Call) -> Result<Response<Body>, ApiError> {
    let patch_type = crud::patch_type(call.content_type)?;
    let patch: Value = serde_json::from_slice(&call.body)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    let mut scale = scale_of(&*call.existing()?, &scale_paths(call)?);
    match patch_type {
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_value(patch)
                .map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
            json_patch::patch(&mut scale, &ops)
                .map_err(|e| ApiError::new(422, "Invalid", e.to_string()))?;
        }
        // A Scale has no lists, so strategic merge is a merge patch.
        PatchType::Merge | PatchType::StrategicMerge => json_patch::merge(&mut scale, &patch),
    }
    set_scale(call, scale)
}

fn set_scale(call: &Call, scale: Value) -> Result<Response<Body>, ApiError> {
    let replicas = match &scale["spec"]["replicas"] {
        Value::Null => 0,
        v => v
            .as_i64()
            .and_then(|r| i32::try_from(r).ok())
            .ok_or_else(|| ApiError::bad_request(format!("spec.replicas: invalid value {v}")))?,
    };
    let name = call.path.name.as_deref().unwrap_or("");
    if replicas < 0 {
        return Err(ApiError {
            code: 422,
            reason: "Invalid",
            message: format!(
                "Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0"
            ),
            details: Some(Box::new(StatusDetails {
                causes: vec![StatusCause {
                    reason: "FieldValueInvalid".to_string(),
                    message: format!(
                        "Invalid value: {replicas}: must be greater than or equal to 0"
                    ),
                    field: "spec.replicas".to_string(),
                }],
                ..StatusDetails::naming(name, "autoscaling", "Scale")
            })),
        });
    }
    let paths = scale_paths(call)?;
    let existing = call.existing()?;
    let mut value = existing.to_json();
    set_at(&mut value, &paths.spec_replicas, json!(replicas));
    if let Some(rv) = scale["metadata"]["resourceVersion"].as_str() {
        set_at(&mut value, ".metadata.resourceVersion", json!(rv));
    }
    let object = Object::from_json(existing.kind(), value)
        .map_err(|e| ApiError::internal(format!("the scaled object does not read back: {e}")))?;
    if call.query.get("dryRun") == Some("All") {
        return Ok(json_response(200, &scale_of(&object, &paths)));
    }
    let stored = call.state.store.update(object, UpdateScope::Main)?;
    Ok(json_response(200, &scale_of(&stored, &paths)))
}

async fn logs(call: &Call<'_>) -> Result<Response<Body>, ApiError> {
    let q = call.query;
    let options = LogOptions {
        container: q
            .get("container")
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        follow: q.flag("follow"),
        previous: q.flag("previous"),
        timestamps: q.flag("timestamps"),
        tail_lines: q.int("tailLines")?,
        since_seconds: q.int("sinceSeconds")?,
        limit_bytes: q.int("limitBytes")?,
    };
    let namespace = call.path.namespace.as_deref().unwrap_or("");
    let pod = call.path.name.as_deref().unwrap_or("");
    let mut stream = call
        .state
        .logs
        .logs(namespace, pod, options)
        .await
        .map_err(|error| match &error {
            LogError::PodNotFound { pod } => {
                ApiError::new(404, "NotFound", error.to_string()).with_object(Kind::Pod, pod)
            }
            _ => ApiError::bad_request(error.to_string()),
        })?;
    let (tx, response) = streaming_response("text/plain");
    let cancel = call.state.cancel.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                chunk = stream.next() => match chunk {
                    Some(chunk) => if tx.send(chunk).await.is_err() { return },
                    None => return,
                },
                _ = tx.closed() => return,
                _ = cancel.cancelled() => return,
            }
        }
    });
    Ok(response)
}
