//! The `scale` subresource of Deployments and ReplicaSets as an
//! autoscaling/v1 `Scale` (upstream's scaleFromDeployment / scaleFromReplicaSet).

use serde_json::{Value, json};

use super::object::Object;
use super::selector::LabelSelector;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScaleError {
    #[error("the object has no scale subresource")]
    NotScalable,
    #[error("{0}")]
    Invalid(String),
}

/// The Scale of a Deployment or ReplicaSet; `status.selector` is the
/// selector's string form (`app=nginx`).
pub fn scale_of(object: &Object) -> Result<Value, ScaleError> {
    let (spec_replicas, status_replicas, selector) = match object {
        Object::Deployment(d) => {
            let spec = d.spec.as_ref();
            (
                spec.and_then(|s| s.replicas).unwrap_or(1),
                d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0),
                spec.map(|s| &s.selector),
            )
        }
        Object::ReplicaSet(rs) => {
            let spec = rs.spec.as_ref();
            (
                spec.and_then(|s| s.replicas).unwrap_or(1),
                rs.status.as_ref().map_or(0, |s| s.replicas),
                spec.map(|s| &s.selector),
            )
        }
        _ => return Err(ScaleError::NotScalable),
    };
    let selector = match selector {
        Some(selector) => LabelSelector::from_label_selector(selector)
            .map_err(|err| ScaleError::Invalid(err.to_string()))?
            .to_string(),
        None => String::new(),
    };
    let meta = object.meta();
    let mut metadata = serde_json::Map::new();
    let fields = [
        ("name", meta.name.clone().map(Value::String)),
        ("namespace", meta.namespace.clone().map(Value::String)),
        ("uid", meta.uid.clone().map(Value::String)),
        (
            "resourceVersion",
            meta.resource_version.clone().map(Value::String),
        ),
        (
            "creationTimestamp",
            meta.creation_timestamp
                .as_ref()
                .and_then(|t| serde_json::to_value(t).ok()),
        ),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            metadata.insert(key.to_string(), value);
        }
    }
    Ok(json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": {"replicas": spec_replicas},
        "status": {"replicas": status_replicas, "selector": selector}
    }))
}

/// Applies a (patched or PUT) Scale's `spec.replicas` to the object.
pub fn apply_scale(object: &mut Object, scale: &Value) -> Result<(), ScaleError> {
    let replicas = scale
        .get("spec")
        .and_then(|s| s.get("replicas"))
        .map_or(Some(0), Value::as_i64)
        .ok_or_else(|| ScaleError::Invalid("spec.replicas must be an integer".to_string()))?;
    let replicas = i32::try_from(replicas)
        .map_err(|_| ScaleError::Invalid(format!("spec.replicas: Invalid value: {replicas}")))?;
    if replicas < 0 {
        return Err(ScaleError::Invalid(format!(
            "spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0"
        )));
    }
    match object {
        Object::Deployment(d) => {
            d.spec.get_or_insert_with(Default::default).replicas = Some(replicas)
        }
        Object::ReplicaSet(rs) => {
            rs.spec.get_or_insert_with(Default::default).replicas = Some(replicas)
        }
        _ => return Err(ScaleError::NotScalable),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::kinds::Kind;
    use crate::api::patch::{PatchType, apply_patch};

    #[test]
    fn kubectl_scale_round_trip() {
        let mut deployment = Object::from_json(
            Kind::Deployment,
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "nginx-dep", "namespace": "default", "uid": "u1", "resourceVersion": "7"},
                   "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "server"}},
                            "template": {"metadata": {"labels": {"app": "server"}}, "spec": {"containers": []}}},
                   "status": {"replicas": 5}}),
        )
        .expect("deployment");
        let scale = scale_of(&deployment).expect("scale");
        assert_eq!(
            scale,
            json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
                   "metadata": {"name": "nginx-dep", "namespace": "default", "uid": "u1", "resourceVersion": "7"},
                   "spec": {"replicas": 5}, "status": {"replicas": 5, "selector": "app=server"}})
        );
        let patched = apply_patch(
            Kind::Deployment,
            PatchType::Merge,
            &scale,
            &json!({"spec":{"replicas":10}}),
        )
        .expect("patch");
        apply_scale(&mut deployment, &patched).expect("apply");
        assert_eq!(deployment.to_json()["spec"]["replicas"], 10);
        assert_eq!(
            apply_scale(&mut deployment, &json!({"spec": {"replicas": -1}}))
                .expect_err("negative")
                .to_string(),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
    }
}
