//! The writes behind the console's keys, as kubectl does them: scale, set
//! image, restart, undo, delete, apply (Jobs' and CronJobs' own are in
//! [`super::batch`]). Each runs as a task and answers
//! the flash line to show (kubectl's own wording) or the error.

use std::collections::BTreeMap;
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

/// What the user reads when a write fails: the server's message, the
/// fields it names, and what to do about it.
pub(super) fn explain(error: HandleError) -> String {
    let told = match &error {
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
    };
    with_advice(&error, told)
}

/// `told` followed by what to do about `error`, where there is something.
pub fn with_advice(error: &HandleError, told: String) -> String {
    match advice(error) {
        Some(advice) => format!("{told} — {advice}"),
        None => told,
    }
}

/// What to do about a refusal the server's message alone does not say
/// (its message says what; this says what next).
fn advice(error: &HandleError) -> Option<&'static str> {
    let HandleError::Refused { code, reason, .. } = error else {
        return None;
    };
    match (code, reason.as_str()) {
        (401, _) => Some(
            "the cluster did not accept the kubeconfig's credentials: log in again (renew the token or certificate) and restart podium",
        ),
        (403, _) => Some(
            "your user may not do this here: ask the cluster's admin for the permission, or browse with --readonly",
        ),
        (404, _) => Some("it is gone (deleted meanwhile?); the list shows what is there now"),
        (409, "AlreadyExists") => Some("it exists already: edit it (e) or choose another name"),
        (409, _) => Some("it changed meanwhile: try again on the object as it is now"),
        _ => None,
    }
}

/// The replicas a scalable workload asks for (Deployment, ReplicaSet,
/// StatefulSet, ReplicationController: whatever serves `scale`).
pub fn replicas(object: &Object) -> Option<i32> {
    match object {
        Object::Deployment(d) => d.spec.as_ref()?.replicas,
        Object::ReplicaSet(r) => r.spec.as_ref()?.replicas,
        other => other.to_json()["spec"]["replicas"]
            .as_i64()
            .and_then(|n| i32::try_from(n).ok()),
    }
}

/// The pod template of a workload as JSON.
fn template(object: &Object) -> Option<Value> {
    let json = object.to_json();
    let template = json.get("spec")?.get("template")?;
    Some(template.clone())
}

/// Each container's name and image, in the template's order.
pub fn container_images(object: &Object) -> Vec<(String, String)> {
    let Some(template) = template(object) else {
        return Vec::new();
    };
    template["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let name = c["name"].as_str()?.to_string();
            Some((name, c["image"].as_str().unwrap_or_default().to_string()))
        })
        .collect()
}

/// `kubectl set image`'s arguments: `IMAGE` for `default` container, or
/// `NAME=IMAGE` pairs separated by spaces (an image never holds `=`).
pub fn image_changes(answer: &str, default: &str) -> Result<Vec<(String, String)>, String> {
    let words: Vec<&str> = answer.split_whitespace().collect();
    match words.as_slice() {
        [] => Err("an image name is needed, e.g. nginx:1.16.1".to_string()),
        [image] if !image.contains('=') => Ok(vec![(default.to_string(), image.to_string())]),
        pairs => pairs
            .iter()
            .map(|pair| match pair.split_once('=') {
                Some((name, image)) if !name.is_empty() && !image.is_empty() => {
                    Ok((name.to_string(), image.to_string()))
                }
                _ => Err(format!(
                    "{pair:?}: write one IMAGE, or CONTAINER=IMAGE pairs separated by spaces"
                )),
            })
            .collect(),
    }
}

/// The equality labels a workload or Service selects its pods by.
pub fn selector_labels(object: &Object) -> Option<BTreeMap<String, String>> {
    let labels = match object {
        Object::Deployment(d) => d.spec.as_ref()?.selector.match_labels.clone()?,
        Object::ReplicaSet(r) => r.spec.as_ref()?.selector.match_labels.clone()?,
        Object::Service(s) => s.spec.as_ref()?.selector.clone()?,
        // StatefulSets, DaemonSets, Jobs: `matchLabels`; a
        // ReplicationController's selector is the map itself.
        Object::Dynamic(d) => {
            let selector = d.fields.get("spec")?.get("selector")?;
            let map = selector.get("matchLabels").unwrap_or(selector);
            serde_json::from_value(map.clone()).ok()?
        }
        _ => return None,
    };
    (!labels.is_empty()).then_some(labels)
}

/// A merge patch of the workload `target`, as the console's keys send it;
/// the error in words a user can act on.
pub async fn patch_spec(
    handle: &Arc<dyn ClusterHandle>,
    target: &Target,
    patch: Value,
) -> Result<(), String> {
    handle
        .patch(target.kind, &target.namespace, &target.name, patch, false)
        .await
        .map(|_| ())
        .map_err(explain)
}

pub async fn scale(
    handle: Arc<dyn ClusterHandle>,
    target: Target,
    replicas: i32,
) -> Result<String, String> {
    patch_spec(&handle, &target, json!({"spec": {"replicas": replicas}})).await?;
    Ok(format!(
        "{} scaled to {replicas}",
        target.kind.resource_name(&target.name)
    ))
}

pub async fn set_image(
    handle: Arc<dyn ClusterHandle>,
    target: Target,
    changes: Vec<(String, String)>,
) -> Result<String, String> {
    let object = handle
        .get(target.kind, &target.namespace, &target.name)
        .ok_or_else(|| format!("{} is gone", target.describe()))?;
    let mut containers = template(&object)
        .and_then(|t| t["spec"]["containers"].as_array().cloned())
        .unwrap_or_default();
    for (container, image) in changes {
        let Some(entry) = containers
            .iter_mut()
            .find(|c| c["name"].as_str() == Some(container.as_str()))
        else {
            let names: Vec<&str> = containers
                .iter()
                .filter_map(|c| c["name"].as_str())
                .collect();
            return Err(format!(
                "{} has no container {container}; its containers are {}",
                target.describe(),
                names.join(", ")
            ));
        };
        entry["image"] = Value::String(image);
    }
    patch_spec(
        &handle,
        &target,
        json!({"spec": {"template": {"spec": {"containers": containers}}}}),
    )
    .await?;
    Ok(format!(
        "{} image updated",
        target.kind.resource_name(&target.name)
    ))
}

pub async fn restart(handle: Arc<dyn ClusterHandle>, target: Target) -> Result<String, String> {
    let now = crate::clock::now().to_string();
    patch_spec(
        &handle,
        &target,
        json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}),
    )
    .await?;
    Ok(format!(
        "{} restarted",
        target.kind.resource_name(&target.name)
    ))
}

/// One revision in a workload's history: a Deployment's ReplicaSet, or a
/// StatefulSet's or DaemonSet's ControllerRevision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub number: i64,
    /// The images of its pod template, as `kubectl rollout history` shows.
    pub images: Vec<String>,
    /// The pod template it restores.
    template: Value,
}

impl Revision {
    fn new(number: i64, template: Value) -> Revision {
        let images = template["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["image"].as_str().map(str::to_string))
            .collect();
        Revision {
            number,
            images,
            template,
        }
    }
}

pub fn revision_of(object: &Object) -> Option<i64> {
    object
        .meta()
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .and_then(|r| r.parse::<i64>().ok())
}

/// The workload's current revision and its history, oldest first. The
/// current one is the highest, as `kubectl rollout undo` picks it: a
/// Deployment's own annotation trails its ReplicaSets' while the controller
/// syncs (and while it is paused).
pub fn history(handle: &dyn ClusterHandle, workload: &Object) -> (i64, Vec<Revision>) {
    let uid = workload.meta().uid.clone().unwrap_or_default();
    let owned_by_workload = |object: &Arc<Object>| {
        object
            .meta()
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.uid == uid)
    };
    let mut revisions: Vec<Revision> = if workload.kind() == Kind::Deployment {
        handle
            .list(Kind::ReplicaSet, Some(workload.namespace()))
            .into_iter()
            .filter(owned_by_workload)
            .filter_map(|rs| Some(Revision::new(revision_of(&rs)?, template(&rs)?)))
            .collect()
    } else {
        // A ControllerRevision's data is the patch restoring the template.
        handle
            .list(Kind::ControllerRevision, Some(workload.namespace()))
            .into_iter()
            .filter(owned_by_workload)
            .filter_map(|revision| {
                let json = revision.to_json();
                let mut template = json["data"]["spec"]["template"].clone();
                template.as_object_mut()?.remove("$patch");
                Some(Revision::new(json["revision"].as_i64()?, template))
            })
            .collect()
    };
    revisions.sort_by_key(|revision| revision.number);
    let current = revisions
        .last()
        .map(|revision| revision.number)
        .or_else(|| revision_of(workload))
        .unwrap_or(0);
    (current, revisions)
}

/// Why a paused Deployment is not rolled back, as kubectl refuses it.
pub fn paused_refusal(target: &Target) -> String {
    let name = target.kind.resource_name(&target.name);
    format!(
        "{name} is paused: a paused deployment cannot be rolled back; resume it first (kubectl rollout resume {name}) and try again"
    )
}

/// `kubectl rollout undo --to-revision`: the pod template of `revision`
/// goes back into the workload, exactly: what the current template has
/// and the revision's lacks (a restart's annotation, say) is removed, as
/// upstream's JSON Patch replacing `/spec/template` (Deployments) and the
/// revision's `$patch: replace` (StatefulSets, DaemonSets) do.
pub async fn undo(
    handle: Arc<dyn ClusterHandle>,
    target: Target,
    revision: Revision,
) -> Result<String, String> {
    let workload = handle
        .fetch(target.kind, &target.namespace, &target.name)
        .await
        .map_err(explain)?
        .to_json();
    let name = target.kind.resource_name(&target.name);
    if workload["spec"]["paused"] == json!(true) {
        return Err(paused_refusal(&target));
    }
    let mut template = revision.template;
    if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
        labels.remove("pod-template-hash");
    }
    let changes = super::panes::merge_patch(&workload["spec"]["template"], &template);
    if changes.as_object().is_some_and(serde_json::Map::is_empty) {
        return Ok(format!(
            "{name} skipped rollback (current template already matches revision {})",
            revision.number
        ));
    }
    patch_spec(&handle, &target, json!({"spec": {"template": changes}})).await?;
    Ok(format!(
        "{name} rolled back (to revision {})",
        revision.number
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_image_takes_an_image_or_kubectls_name_image_pairs() {
        let pair = |n: &str, i: &str| (n.to_string(), i.to_string());
        assert_eq!(
            image_changes(" nginx:1.16 ", "web"),
            Ok(vec![pair("web", "nginx:1.16")])
        );
        assert_eq!(
            image_changes("web=nginx:1.16 side=busybox:1.36", "web"),
            Ok(vec![
                pair("web", "nginx:1.16"),
                pair("side", "busybox:1.36")
            ])
        );
        assert!(image_changes("", "web").is_err());
        let refused = image_changes("nginx:1.16 side=busybox", "web").expect_err("mixed");
        assert!(refused.contains("CONTAINER=IMAGE"), "{refused}");
    }

    fn refused(code: u16, reason: &str, message: &str) -> HandleError {
        HandleError::Refused {
            code,
            reason: reason.into(),
            message: message.into(),
            causes: Vec::new(),
        }
    }

    #[test]
    fn a_refusal_reads_as_the_servers_message_and_what_to_do() {
        assert_eq!(
            explain(refused(
                409,
                "AlreadyExists",
                "deployments.apps \"web\" already exists"
            )),
            "deployments.apps \"web\" already exists — it exists already: edit it (e) or choose another name"
        );
        assert_eq!(
            explain(refused(404, "NotFound", "pods \"web-1\" not found")),
            "pods \"web-1\" not found — it is gone (deleted meanwhile?); the list shows what is there now"
        );
        // A refusal the message covers, and errors that are not the server's, read as they are.
        assert_eq!(explain(refused(422, "Invalid", "bad")), "bad");
        assert_eq!(
            explain(HandleError::Unreachable("cannot reach x".into())),
            "cannot reach x"
        );
    }
}
