//! `POST pods/NAME/binding`: how a scheduler places a pod, as upstream's
//! BindingREST (pkg/registry/core/pod/storage): the Binding names the pod
//! and a Node; the pod gets `spec.nodeName` once (a bound or terminating
//! pod is a 409), the Binding's annotations, and PodScheduled=True. The
//! answer is `201` with a `Status` of `Success`. A second scheduler (a pod
//! with its own `schedulerName`) binds its pods this way.

use http::Response;
use k8s_openapi::api::core::v1::{Binding, Pod};
use serde_json::json;

use super::admission;
use super::crud::Call;
use super::http::{Body, json_response};
use super::status::{ApiError, StatusCause, StatusDetails};
use crate::api::Kind;
use crate::store::UpdateScope;

pub fn create(call: &Call) -> Result<Response<Body>, ApiError> {
    let namespace = call.path.namespace.as_deref().unwrap_or("");
    let name = call.path.name.as_deref().unwrap_or("");
    let value = admission::decode_body(call.content_type, &call.body)?;
    if value["kind"].as_str().is_some_and(|k| k != "Binding") {
        return Err(ApiError::bad_request(format!(
            "not a Binding object: {} {}",
            value["apiVersion"].as_str().unwrap_or(""),
            value["kind"].as_str().unwrap_or("")
        )));
    }
    let binding: Binding = serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("invalid Binding: {e}")))?;
    if binding.metadata.name.as_deref() != Some(name) {
        return Err(ApiError::bad_request(
            "name in URL does not match name in Binding object",
        ));
    }
    validate(&binding, name)?;
    let node = binding.target.name.clone().unwrap_or_default();
    let store = &call.state.store;
    let mut refusal = None;
    let bound = store
        .mutate::<Pod>(namespace, name, UpdateScope::Main, |pod| {
            let spec = pod.spec.get_or_insert_with(Default::default);
            if let Some(assigned) = spec.node_name.as_deref().filter(|n| !n.is_empty()) {
                refusal = Some(format!(
                    "pod {name} is already assigned to node {assigned:?}"
                ));
                return false;
            }
            if pod.metadata.deletion_timestamp.is_some() {
                refusal = Some(format!(
                    "pod {name} is being deleted, cannot be assigned to a host"
                ));
                return false;
            }
            spec.node_name = Some(node.clone());
            let annotations = pod
                .metadata
                .annotations
                .get_or_insert_with(Default::default);
            for (key, value) in binding.metadata.annotations.iter().flatten() {
                annotations.insert(key.clone(), value.clone());
            }
            true
        })
        .map_err(ApiError::from_store)?;
    if bound.is_none() {
        return Err(
            ApiError::new(404, "NotFound", format!("pods \"{name}\" not found"))
                .with_object(Kind::Pod, name),
        );
    }
    if let Some(message) = refusal {
        let mut error = ApiError::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on pods/binding \"{name}\": {message}"),
        );
        error.details = Some(Box::new(StatusDetails::naming(name, "", "pods/binding")));
        return Err(error);
    }
    store
        .mutate::<Pod>(namespace, name, UpdateScope::Status, |pod| {
            crate::scheduler::set_scheduled_condition(pod, "True", None, None)
        })
        .map_err(ApiError::from_store)?;
    Ok(json_response(
        201,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}

/// ValidatePodBinding: a target Node by name.
fn validate(binding: &Binding, name: &str) -> Result<(), ApiError> {
    let mut causes = Vec::new();
    let target = &binding.target;
    if target
        .kind
        .as_deref()
        .is_some_and(|k| !k.is_empty() && k != "Node")
    {
        causes.push(StatusCause {
            reason: "FieldValueNotSupported".into(),
            message: format!(
                "Unsupported value: {:?}: supported values: \"Node\"",
                target.kind.as_deref().unwrap_or("")
            ),
            field: "target.kind".into(),
        });
    }
    if target.name.as_deref().unwrap_or_default().is_empty() {
        causes.push(StatusCause {
            reason: "FieldValueRequired".into(),
            message: "Required value".into(),
            field: "target.name".into(),
        });
    }
    if causes.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = causes
        .iter()
        .map(|c| format!("{}: {}", c.field, c.message))
        .collect();
    let message = if listed.len() == 1 {
        listed[0].clone()
    } else {
        format!("[{}]", listed.join(", "))
    };
    let mut error = ApiError::new(
        422,
        "Invalid",
        format!("Binding.core \"{name}\" is invalid: {message}"),
    );
    let mut details = StatusDetails::naming(name, "", "Binding");
    details.causes = causes;
    error.details = Some(Box::new(details));
    Err(error)
}
