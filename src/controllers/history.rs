//! ControllerRevisions, as upstream's pkg/controller/history keeps them for
//! StatefulSets and DaemonSets: each distinct pod template is one revision
//! named `<owner>-<hash>`, whose data is the patch that puts the template
//! back (`{"spec":{"template":{…,"$patch":"replace"}}}`, what `kubectl
//! rollout undo` applies). Going back to an old template renumbers its
//! revision rather than copying it.

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde_json::{Value, json};

use super::ControllerError;
use super::util::{controller_of, controller_ref, object_of, read_as};
use crate::api::{Kind, Object};
use crate::store::{DeleteOptions, ListFilter, Store, StoreError};

/// The label carrying a revision's hash.
pub const HASH_LABEL: &str = "controller.kubernetes.io/hash";

/// The revision data that restores `template` (upstream's getPatch).
pub fn patch_of(template: &PodTemplateSpec) -> Value {
    let mut template = serde_json::to_value(template).unwrap_or_else(|_| json!({}));
    if let Some(fields) = template.as_object_mut() {
        fields.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": template}})
}

/// The pod template a revision restores.
pub fn template_of(revision: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut template = revision.data.as_ref()?.0["spec"]["template"].clone();
    template.as_object_mut()?.remove("$patch");
    serde_json::from_value(template).ok()
}

pub fn number(revision: &ControllerRevision) -> i64 {
    revision.revision
}

pub fn name(revision: &ControllerRevision) -> &str {
    revision.metadata.name.as_deref().unwrap_or("")
}

/// HashControllerRevision: FNV-32a of the data, then the collision count.
fn hash(data: &Value, collision_count: Option<i32>) -> String {
    let bytes = serde_json::to_vec(data).unwrap_or_default();
    super::deployment::util::hash_bytes(&bytes, collision_count)
}

/// The owner's revisions, oldest first.
pub fn owned(store: &Store, owner: &Object) -> Result<Vec<ControllerRevision>, ControllerError> {
    let uid = owner.meta().uid.clone().unwrap_or_default();
    let mut revisions = Vec::new();
    for object in store
        .list(
            Kind::ControllerRevision,
            Some(owner.namespace()),
            &ListFilter::default(),
        )
        .items
    {
        if object
            .meta()
            .owner_references
            .iter()
            .flatten()
            .any(|r| r.uid == uid && r.controller == Some(true))
        {
            revisions.push(read_as::<ControllerRevision>(&object)?);
        }
    }
    revisions.sort_by_key(|r| (r.revision, r.metadata.name.clone()));
    Ok(revisions)
}

/// [`ensure`] as a controller's sync uses it: `None` after a hash
/// collision, once the owner's collision count is raised (sync again at
/// once, under the new name).
pub fn update_revision(
    store: &Store,
    owner: &Object,
    template: &PodTemplateSpec,
    collision_count: Option<i32>,
    revisions: &[ControllerRevision],
) -> Result<Option<ControllerRevision>, ControllerError> {
    match ensure(store, owner, template, collision_count, revisions) {
        Ok(revision) => Ok(Some(revision)),
        Err(EnsureError::Collision) => {
            bump_collision_count(store, owner)?;
            Ok(None)
        }
        Err(EnsureError::Controller(error)) => Err(error),
    }
}

/// The revision for the owner's current template: the existing one with
/// the same data (renumbered to be the newest if it is not), else a new
/// one. A name taken by other data is a hash collision: the owner's
/// collision count goes up and the caller tries again next sync.
pub fn ensure(
    store: &Store,
    owner: &Object,
    template: &PodTemplateSpec,
    collision_count: Option<i32>,
    revisions: &[ControllerRevision],
) -> Result<ControllerRevision, EnsureError> {
    let data = patch_of(template);
    let newest = revisions.iter().map(number).max().unwrap_or(0);
    if let Some(existing) = revisions
        .iter()
        .find(|r| r.data.as_ref().map(|d| &d.0) == Some(&data))
    {
        if number(existing) == newest {
            return Ok(existing.clone());
        }
        let renumbered = store
            .mutate_json(
                Kind::ControllerRevision,
                owner.namespace(),
                name(existing),
                crate::store::UpdateScope::Main,
                |value| {
                    value["revision"] = json!(newest + 1);
                    true
                },
            )
            .map_err(ControllerError::from)?
            .ok_or_else(|| ControllerError::Invalid("revision vanished".into()))?;
        return Ok(read_as(&renumbered)?);
    }
    let hash = hash(&data, collision_count);
    let revision = ControllerRevision {
        metadata: ObjectMeta {
            name: Some(format!("{}-{hash}", owner.name())),
            namespace: Some(owner.namespace().to_string()),
            labels: Some({
                let mut labels = template
                    .metadata
                    .as_ref()
                    .and_then(|m| m.labels.clone())
                    .unwrap_or_default();
                labels.insert(HASH_LABEL.to_string(), hash);
                labels
            }),
            owner_references: Some(vec![controller_ref(owner)]),
            ..ObjectMeta::default()
        },
        data: Some(RawExtension(data.clone())),
        revision: newest + 1,
    };
    match store.create(object_of(Kind::ControllerRevision, &revision)?) {
        Ok(created) => Ok(read_as(&created)?),
        Err(StoreError::AlreadyExists { .. }) => {
            let taken = store.get(
                Kind::ControllerRevision,
                owner.namespace(),
                revision.metadata.name.as_deref().unwrap_or(""),
            );
            let same = taken.as_ref().is_some_and(|t| {
                controller_of(t.meta()).is_some_and(|r| Some(&r.uid) == owner.meta().uid.as_ref())
                    && t.to_json()["data"] == data
            });
            match (same, taken) {
                (true, Some(taken)) => Ok(read_as(&taken)?),
                _ => Err(EnsureError::Collision),
            }
        }
        Err(error) => Err(EnsureError::Controller(error.into())),
    }
}

/// Why no revision could be had for a template.
#[derive(Debug, thiserror::Error)]
pub enum EnsureError {
    #[error("a ControllerRevision of another template has this template's hash")]
    Collision,
    #[error(transparent)]
    Controller(#[from] ControllerError),
}

/// `revisions` (as listed before [`ensure`]) with what `ensure` returned
/// in place, so the history need not be listed again.
pub fn including(
    mut revisions: Vec<ControllerRevision>,
    revision: &ControllerRevision,
) -> Vec<ControllerRevision> {
    revisions.retain(|r| name(r) != name(revision));
    revisions.push(revision.clone());
    revisions.sort_by_key(|r| (r.revision, r.metadata.name.clone()));
    revisions
}

/// After a hash collision: the owner's `status.collisionCount` goes up,
/// so the next sync hashes its template differently.
pub fn bump_collision_count(store: &Store, owner: &Object) -> Result<(), ControllerError> {
    store.mutate_json(
        owner.kind(),
        owner.namespace(),
        owner.name(),
        crate::store::UpdateScope::Status,
        |value| {
            let count = value["status"]["collisionCount"].as_i64().unwrap_or(0);
            value["status"]["collisionCount"] = json!(count + 1);
            true
        },
    )?;
    Ok(())
}

/// Deletes the oldest revisions no pod uses beyond `limit`
/// (revisionHistoryLimit); `live` names the ones in use.
pub fn truncate(
    store: &Store,
    revisions: &[ControllerRevision],
    live: &[&str],
    limit: i32,
) -> Result<(), ControllerError> {
    let old: Vec<&ControllerRevision> = revisions
        .iter()
        .filter(|r| !live.contains(&name(r)))
        .collect();
    let excess = old
        .len()
        .saturating_sub(usize::try_from(limit).unwrap_or(0));
    for revision in old.into_iter().take(excess) {
        let namespace = revision.metadata.namespace.as_deref().unwrap_or("");
        match store.delete(
            Kind::ControllerRevision,
            namespace,
            name(revision),
            &DeleteOptions::default(),
        ) {
            Ok(_) | Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revision_restores_its_template() {
        let template: PodTemplateSpec = serde_json::from_value(json!({
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}
        }))
        .expect("template");
        let data = patch_of(&template);
        assert_eq!(data["spec"]["template"]["$patch"], "replace");
        let revision = ControllerRevision {
            data: Some(RawExtension(data.clone())),
            ..ControllerRevision::default()
        };
        assert_eq!(template_of(&revision), Some(template));
        assert_eq!(hash(&data, None), hash(&data, None));
        assert_ne!(hash(&data, None), hash(&data, Some(1)));
    }
}
