//! Patches as kubectl sends them: JSON Patch (RFC 6902), JSON merge patch
//! (RFC 7386) and strategic merge patch (merge keys per field, see
//! [`super::strategic`]).

use serde_json::Value;

use super::kinds::Kind;
use super::strategic;

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
    /// The patch applies but the result is unprocessable: answer 422.
    #[error("{0}")]
    Invalid(String),
    /// The patch document itself is malformed: answer 400 BadRequest.
    #[error("{0}")]
    Malformed(String),
}

impl PatchError {
    /// The HTTP status the API server should answer with.
    pub fn status_code(&self) -> u16 {
        match self {
            PatchError::Invalid(_) => 422,
            PatchError::Malformed(_) => 400,
        }
    }
}

/// Applies `patch` to `original` (an object of `kind` as JSON).
pub fn apply_patch(
    kind: Kind,
    patch_type: PatchType,
    original: &Value,
    patch: &Value,
) -> Result<Value, PatchError> {
    match patch_type {
        PatchType::Json => {
            let operations: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|err| PatchError::Malformed(format!("invalid JSON Patch: {err}")))?;
            let mut doc = original.clone();
            json_patch::patch(&mut doc, &operations)
                .map_err(|err| PatchError::Invalid(err.to_string()))?;
            Ok(doc)
        }
        PatchType::Merge => {
            if !patch.is_object() {
                return Err(PatchError::Malformed(
                    "a merge patch must be a JSON object".to_string(),
                ));
            }
            let mut doc = original.clone();
            json_patch::merge(&mut doc, patch);
            Ok(doc)
        }
        PatchType::StrategicMerge => {
            if !patch.is_object() {
                return Err(PatchError::Malformed(
                    "a strategic merge patch must be a JSON object".to_string(),
                ));
            }
            strategic::apply(kind, original, patch)
                .map_err(|err| PatchError::Invalid(err.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "nginx-deployment",
                "namespace": "default",
                "annotations": {"deployment.kubernetes.io/revision": "2"},
                "finalizers": ["a"]
            },
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "nginx"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {
                    "metadata": {"labels": {"app": "nginx"}},
                    "spec": {
                        "containers": [
                            {"name": "nginx", "image": "nginx:1.14.2",
                             "ports": [{"containerPort": 80, "protocol": "TCP"}],
                             "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                            {"name": "sidecar", "image": "busybox"}
                        ],
                        "restartPolicy": "Always"
                    }
                }
            }
        })
    }

    fn smp(patch: Value) -> Value {
        match apply_patch(
            Kind::Deployment,
            PatchType::StrategicMerge,
            &deployment(),
            &patch,
        ) {
            Ok(v) => v,
            Err(err) => panic!("patch failed: {err}"),
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(
            PatchType::from_content_type("application/strategic-merge-patch+json; charset=utf-8"),
            Some(PatchType::StrategicMerge)
        );
        assert_eq!(
            PatchType::from_content_type("application/apply-patch+yaml"),
            None
        );
    }

    #[test]
    fn kubectl_set_image() {
        let out = smp(
            json!({"spec":{"template":{"spec":{"containers":[{"image":"library/nginx:1.18-alpine","name":"nginx"}]}}}}),
        );
        let containers = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["image"], "library/nginx:1.18-alpine");
        assert_eq!(containers[0]["ports"][0]["containerPort"], 80);
        assert_eq!(containers[0]["env"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            containers[1],
            json!({"name": "sidecar", "image": "busybox"})
        );
    }

    #[test]
    fn kubectl_scale_merge_patch() {
        let out = apply_patch(
            Kind::Deployment,
            PatchType::Merge,
            &deployment(),
            &json!({"spec":{"replicas":10}}),
        )
        .expect("test value");
        assert_eq!(out["spec"]["replicas"], 10);
        assert_eq!(
            out["spec"]["selector"],
            json!({"matchLabels": {"app": "nginx"}})
        );
    }

    #[test]
    fn kubectl_rollout_pause_and_restart() {
        let paused = smp(json!({"spec":{"paused":true}}));
        assert_eq!(paused["spec"]["paused"], true);
        let restarted = smp(
            json!({"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-25T02:40:00Z"}}}}}),
        );
        assert_eq!(
            restarted["spec"]["template"]["metadata"],
            json!({"labels": {"app": "nginx"}, "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-25T02:40:00Z"}})
        );
    }

    #[test]
    fn kubectl_rollout_undo_json_patch() {
        let template = json!({"metadata": {"labels": {"app": "nginx"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}});
        let patch = json!([
            {"op": "replace", "path": "/spec/template", "value": template},
            {"op": "replace", "path": "/metadata/annotations", "value": {"deployment.kubernetes.io/revision": "1"}}
        ]);
        let out = apply_patch(Kind::Deployment, PatchType::Json, &deployment(), &patch)
            .expect("test value");
        assert_eq!(out["spec"]["template"], template);
        assert_eq!(
            out["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
            "1"
        );
        let bad = json!([{"op": "replace", "path": "/spec/nope/deeper", "value": 1}]);
        let err = apply_patch(Kind::Deployment, PatchType::Json, &deployment(), &bad)
            .expect_err("test error");
        assert_eq!(err.status_code(), 422);
        assert_eq!(
            err.to_string(),
            "operation '/0' failed at path '/spec/nope/deeper': path is invalid"
        );
        let malformed = apply_patch(
            Kind::Deployment,
            PatchType::Json,
            &deployment(),
            &json!({"op": 1}),
        );
        assert_eq!(malformed.expect_err("test error").status_code(), 400);
    }

    #[test]
    fn kubectl_apply_with_set_element_order_and_retain_keys() {
        // What kubectl 1.32 client-side apply sends when the manifest swaps
        // the containers, drops env B and switches to Recreate.
        let patch = json!({
            "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {
                "strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null},
                "template": {"spec": {
                    "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "nginx"}],
                    "containers": [{
                        "name": "nginx",
                        "$setElementOrder/env": [{"name": "A"}],
                        "env": [{"$patch": "delete", "name": "B"}]
                    }]
                }}
            }
        });
        let out = smp(patch);
        assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
        let containers = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["name"], "sidecar");
        assert_eq!(containers[1]["name"], "nginx");
        assert_eq!(containers[1]["env"], json!([{"name": "A", "value": "1"}]));
        assert_eq!(
            out["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
            "2"
        );
        assert!(
            out.to_string().find('$').is_none(),
            "directives leaked: {out}"
        );
    }

    #[test]
    fn strategic_directives() {
        // A list without a merge key is replaced; null deletes a key.
        let out = smp(
            json!({"spec": {"selector": null, "template": {"spec": {"containers": [
            {"name": "nginx", "ports": [{"containerPort": 443}]}]}}}}),
        );
        assert!(out["spec"].get("selector").is_none());
        let ports = out["spec"]["template"]["spec"]["containers"][0]["ports"].clone();
        assert_eq!(
            ports.as_array().map(Vec::len),
            Some(2),
            "ports merge by containerPort"
        );

        let replaced = smp(json!({"spec": {"template": {"spec": {"containers": [
            {"$patch": "replace"}, {"name": "only", "image": "x"}]}}}}));
        assert_eq!(
            replaced["spec"]["template"]["spec"]["containers"],
            json!([{"name": "only", "image": "x"}])
        );

        let map_replace =
            smp(json!({"spec": {"strategy": {"$patch": "replace", "type": "Recreate"}}}));
        assert_eq!(map_replace["spec"]["strategy"], json!({"type": "Recreate"}));

        let finalizers = smp(json!({"metadata": {"finalizers": ["b", "a"],
            "$deleteFromPrimitiveList/finalizers": ["a"]}}));
        assert_eq!(finalizers["metadata"]["finalizers"], json!(["b", "a"]));
        let removed = smp(json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}));
        assert_eq!(removed["metadata"]["finalizers"], json!([]));

        let err = apply_patch(
            Kind::Deployment,
            PatchType::StrategicMerge,
            &deployment(),
            &json!({"spec": {"$patch": "explode"}}),
        )
        .expect_err("test error");
        assert_eq!(err.to_string(), "Unknown patch directive: explode");
    }

    #[test]
    fn service_ports_merge_by_port() {
        let service =
            json!({"spec": {"ports": [{"port": 80, "targetPort": 8080, "name": "http"}]}});
        let out = apply_patch(
            Kind::Service,
            PatchType::StrategicMerge,
            &service,
            &json!({"spec": {"ports": [{"port": 80, "nodePort": 30080}, {"port": 443, "name": "https"}]}}),
        )
        .expect("test value");
        assert_eq!(
            out["spec"]["ports"],
            json!([{"port": 80, "targetPort": 8080, "name": "http", "nodePort": 30080}, {"port": 443, "name": "https"}])
        );
    }
}
