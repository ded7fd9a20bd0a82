//! The writes behind the console's keys, as kubectl does them: scale, set
//! image, restart, undo, delete, apply. Each runs as a task and answers
//! the flash line to show (kubectl's own wording) or the error.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

use super::model::Target;
use crate::api::{Kind, Object};
use crate::handle::{ClusterHandle, HandleError};

/// The annotation a ReplicaSet's revision is kept in.
const REVISION: &str = "deployment.kubernetes.io/revision";
/// What `kubectl rollout restart` sets on the pod template.
const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// What the user reads when a write fails: the server's message and the
/// fields it names.
fn explain(error: HandleError) -> String {
    match error {
        HandleError::Refused {
            message, causes, ..
        } if !causes.is_empty() && !causes.iter().all(|c| message.contains(&c.message)) => {
            let fields: Vec<String> = causes
                .iter()
                .map(|c| format!("{}: {}", c.field, c.message))
                .collect();
            format!("{message} ({})", fields.join("; "))
        }
        other => other.to_string(),
    }
}

pub fn replicas(object: &Object) -> Option<i32> {
    match object {
        Object::Deployment(d) => d.spec.as_ref()?.replicas,
        Object::ReplicaSet(r) => r.spec.as_ref()?.replicas,
        _ => None,
    }
}

/// The pod template of a workload as JSON.
fn template(object: &Object) -> Option<Value> {
    let json = object.to_json();
    let template = json.get("spec")?.get("template")?;
    Some(template.clone())
}

/// The first container's name and image.
pub fn first_container_image(object: &Object) -> Option<(String, String)> {
    let template = template(object)?;
    let first = template["spec"]["containers"].get(0)?;
    Some((
        first["name"].as_str()?.to_string(),
        first["image"].as_str().unwrap_or_default().to_string(),
    ))
}

/// The equality labels a workload or Service selects its pods by.
pub fn selector_labels(object: &Object) -> Option<Vec<(String, String)>> {
    let labels = match object {
        Object::Deployment(d) => d.spec.as_ref()?.selector.match_labels.clone()?,
        Object::ReplicaSet(r) => r.spec.as_ref()?.selector.match_labels.clone()?,
        Object::Service(s) => s.spec.as_ref()?.selector.clone()?,
        _ => return None,
    };
    (!labels.is_empty()).then(|| labels.into_iter().collect())
}

pub async fn scale(
    handle: Arc<dyn ClusterHandle>,
    target: Target,
    replicas: i32,
) -> Result<String, String> {
    handle
        .patch(
            target.kind,
            &target.namespace,
            &target.name,
            json!({"spec": {"replicas": replicas}}),
            false,
        )
        .await
        .map_err(explain)?;
    Ok(format!(
        "{} scaled to {replicas}",
        target.kind.resource_name(&target.name)
    ))
}

pub async fn set_image(
    handle: Arc<dyn ClusterHandle>,
    target: Target,
    container: String,
    image: String,
) -> Result<String, String> {
    let object = handle
        .get(target.kind, &target.namespace, &target.name)
        .ok_or_else(|| format!("{} is gone", target.describe()))?;
    let mut containers = template(&object)
        .and_then(|t| t["spec"]["containers"].as_array().cloned())
        .unwrap_or_default();
    let Some(entry) = containers
        .iter_mut()
        .find(|c| c["name"].as_str() == Some(container.as_str()))
    else {
        return Err(format!(
            "{} has no container {container}",
            target.describe()
        ));
    };
    entry["image"] = Value::String(image);
    handle
        .patch(
            target.kind,
            &target.namespace,
            &target.name,
            json!({"spec": {"template": {"spec": {"containers": containers}}}}),
            false,
        )
        .await
        .map_err(explain)?;
    Ok(format!(
        "{} image updated",
        target.kind.resource_name(&target.name)
    ))
}

pub async fn restart(handle: Arc<dyn ClusterHandle>, target: Target) -> Result<String, String> {
    let now = crate::clock::now().to_string();
    handle
        .patch(
            target.kind,
            &target.namespace,
            &target.name,
            json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}),
            false,
        )
        .await
        .map_err(explain)?;
    Ok(format!(
        "{} restarted",
        target.kind.resource_name(&target.name)
    ))
}

/// `kubectl rollout undo`: the pod template of the revision before the
/// current one goes back into the Deployment.
pub async fn undo(handle: Arc<dyn ClusterHandle>, target: Target) -> Result<String, String> {
    let deployment = handle
        .get(Kind::Deployment, &target.namespace, &target.name)
        .ok_or_else(|| format!("{} is gone", target.describe()))?;
    let revision_of = |object: &Object| {
        object
            .meta()
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION))
            .and_then(|r| r.parse::<i64>().ok())
    };
    let current = revision_of(&deployment).unwrap_or(0);
    let uid = deployment.meta().uid.clone().unwrap_or_default();
    let previous = handle
        .list(Kind::ReplicaSet, Some(&target.namespace))
        .into_iter()
        .filter(|rs| {
            rs.meta()
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == uid)
        })
        .filter_map(|rs| Some((revision_of(&rs)?, rs)))
        .filter(|(revision, _)| *revision < current)
        .max_by_key(|(revision, _)| *revision);
    let Some((revision, rs)) = previous else {
        return Err(format!(
            "{} has no previous revision to roll back to",
            target.describe()
        ));
    };
    let mut template = template(&rs).unwrap_or_default();
    if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
        labels.remove("pod-template-hash");
    }
    handle
        .patch(
            Kind::Deployment,
            &target.namespace,
            &target.name,
            json!({"spec": {"template": template}}),
            false,
        )
        .await
        .map_err(explain)?;
    Ok(format!(
        "{} rolled back (to revision {revision})",
        target.kind.resource_name(&target.name)
    ))
}

pub async fn delete(handle: Arc<dyn ClusterHandle>, target: Target) -> Result<String, String> {
    handle
        .delete(target.kind, &target.namespace, &target.name)
        .await
        .map_err(explain)?;
    Ok(format!(
        "{} deleted",
        target.kind.resource_name(&target.name)
    ))
}

pub async fn apply_file(handle: Arc<dyn ClusterHandle>, path: PathBuf) -> Result<String, String> {
    let yaml = tokio::fs::read_to_string(&path).await.map_err(|error| {
        format!(
            "cannot read {}: {error}; give a path relative to {}",
            path.display(),
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        )
    })?;
    apply_text(handle, path.display().to_string(), yaml).await
}

/// Applies a YAML text; `shown` names it in errors (a path, usually).
pub async fn apply_text(
    handle: Arc<dyn ClusterHandle>,
    shown: String,
    yaml: String,
) -> Result<String, String> {
    let lines = handle
        .apply(&yaml, false)
        .await
        .map_err(|error| format!("{shown}: {}", explain(error)))?;
    Ok(lines.join(", "))
}
