//! The StatefulSet controller (pkg/controller/statefulset,
//! stateful_set_control.go): pods with stable names `<set>-0..N-1`, a
//! hostname and subdomain each, one claim per volumeClaimTemplate made
//! before the pod, a ControllerRevision per template.
//!
//! Upstream's order, kept here:
//! - **OrderedReady** (the default) is monotonic: ordinal i is created only
//!   when 0..i are Running and Ready (and available, with minReadySeconds);
//!   scale down removes the highest ordinal first, one at a time, only
//!   while the others are healthy. **Parallel** creates and deletes at once.
//! - Failed or succeeded pods are deleted and made again with the same name.
//! - **RollingUpdate** replaces, from the highest ordinal down to
//!   `partition`, one pod at a time, each after the one above is healthy
//!   again; ordinals below the partition keep (and are recreated at) the
//!   current revision. **OnDelete** leaves pods be; a deleted one comes back
//!   at the update revision.
//! - The rollout is complete when every pod is updated and ready: the
//!   current revision becomes the update revision.
//! - Claims follow `persistentVolumeClaimRetentionPolicy`: kept by default;
//!   `whenDeleted: Delete` makes the set their owner, `whenScaled: Delete`
//!   the pod being scaled away.

pub mod identity;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

use super::ControllerError;
use super::history;
use super::runner::Reconciler;
use super::util::{
    controller_key, controller_of, create, create_pod, is_pod_available, is_pod_ready, nonzero,
    object_of, pod_phase, pod_ready_since, read_as, write_status_json,
};
use crate::api::{Kind, Object};
use crate::events::{EventRecorder, EventType};
use crate::store::{
    DeleteOptions, ListFilter, ObjectKey, Store, StoreError, UpdateScope, WatchEvent,
};
use identity::{claims_for, new_pod, ordinal_of, revision_of, start_ordinal};

pub struct StatefulSetController {
    store: Store,
    recorder: EventRecorder,
}

impl StatefulSetController {
    pub fn new(store: Store) -> StatefulSetController {
        let recorder = EventRecorder::new(store.clone(), "statefulset-controller", None);
        StatefulSetController { store, recorder }
    }
}

/// The two revisions a sync works between.
struct Revisions {
    current: ControllerRevision,
    update: ControllerRevision,
    current_template: PodTemplateSpec,
    update_template: PodTemplateSpec,
}

impl Reconciler for StatefulSetController {
    fn name(&self) -> &'static str {
        "statefulset"
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::StatefulSet, Kind::Pod])
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        match &*event.object {
            Object::Pod(pod) => controller_key(&pod.metadata, Kind::StatefulSet)
                .into_iter()
                .collect(),
            object if object.kind() == Kind::StatefulSet => vec![ObjectKey::of(object)],
            _ => Vec::new(),
        }
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        super::util::keys_of(&self.store, Kind::StatefulSet)
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(object) = self.store.get(Kind::StatefulSet, &key.namespace, &key.name) else {
            return Ok(None);
        };
        let set: StatefulSet = read_as(&object)?;
        let listed = history::owned(&self.store, &object)?;
        let template = set.spec.clone().unwrap_or_default().template;
        let collision_count = set.status.as_ref().and_then(|s| s.collision_count);
        let Some(update) =
            history::update_revision(&self.store, &object, &template, collision_count, &listed)?
        else {
            return Ok(Some(Duration::ZERO));
        };
        let wanted_current = set.status.as_ref().and_then(|s| s.current_revision.clone());
        let current = listed
            .iter()
            .find(|r| Some(history::name(r)) == wanted_current.as_deref())
            .cloned()
            .unwrap_or_else(|| update.clone());
        let revisions = Revisions {
            current_template: history::template_of(&current).unwrap_or_else(|| template.clone()),
            update_template: template,
            current,
            update,
        };
        let now = crate::clock::now();
        let requeue = if set.metadata.deletion_timestamp.is_none() {
            let pods = self.pods_of(&set);
            self.sync_pods(&set, &object, &pods, &revisions, now)?
        } else {
            None
        };
        let pods = self.pods_of(&set);
        self.write_status(&set, &object, &pods, &revisions, now)?;
        let mut live: Vec<&str> = vec![
            history::name(&revisions.current),
            history::name(&revisions.update),
        ];
        live.extend(pods.iter().filter_map(|p| revision_of(p)));
        let limit = set
            .spec
            .as_ref()
            .and_then(|s| s.revision_history_limit)
            .unwrap_or(10);
        history::truncate(
            &self.store,
            &history::including(listed, &revisions.update),
            &live,
            limit,
        )?;
        Ok(requeue)
    }
}

impl StatefulSetController {
    /// The set's pods (by controller reference), by ordinal.
    fn pods_of(&self, set: &StatefulSet) -> Vec<Pod> {
        let uid = set.metadata.uid.clone().unwrap_or_default();
        self.store
            .list(
                Kind::Pod,
                set.metadata.namespace.as_deref(),
                &ListFilter::default(),
            )
            .items
            .iter()
            .filter_map(|o| o.as_typed::<Pod>())
            .filter(|p| controller_of(&p.metadata).is_some_and(|o| o.uid == uid))
            .filter(|p| ordinal_of(set, p).is_some())
            .cloned()
            .collect()
    }

    /// One step of upstream's updateStatefulSet; returns when to look again
    /// (a pod becoming available after minReadySeconds).
    fn sync_pods(
        &self,
        set: &StatefulSet,
        object: &Object,
        pods: &[Pod],
        revisions: &Revisions,
        now: Timestamp,
    ) -> Result<Option<Duration>, ControllerError> {
        let spec = set.spec.clone().unwrap_or_default();
        let start = start_ordinal(set);
        let end = start + spec.replicas.unwrap_or(1);
        let monotonic = spec.pod_management_policy.as_deref() != Some("Parallel");
        let min_ready = spec.min_ready_seconds.unwrap_or(0);
        let strategy = spec.update_strategy.clone().unwrap_or_default();
        let rolling = strategy.type_.as_deref() != Some("OnDelete");
        let partition = strategy
            .rolling_update
            .as_ref()
            .and_then(|r| r.partition)
            .unwrap_or(0);
        let mut replicas: BTreeMap<i32, &Pod> = BTreeMap::new();
        let mut condemned: Vec<(i32, &Pod)> = Vec::new();
        for pod in pods {
            let Some(ordinal) = ordinal_of(set, pod) else {
                continue;
            };
            if (start..end).contains(&ordinal) {
                replicas.insert(ordinal, pod);
            } else {
                condemned.push((ordinal, pod));
            }
        }
        condemned.sort_by_key(|(ordinal, _)| *ordinal);
        let mut requeue: Option<Duration> = None;

        for ordinal in start..end {
            let Some(pod) = replicas.get(&ordinal).copied() else {
                let (template, revision) = if rolling && ordinal < start + partition {
                    (&revisions.current_template, &revisions.current)
                } else {
                    (&revisions.update_template, &revisions.update)
                };
                if !self.create_claims(set, object, ordinal)? && monotonic {
                    return Ok(None);
                }
                let pod = new_pod(set, object, template, ordinal, history::name(revision));
                self.create_pod(set, object, pod)?;
                if monotonic {
                    return Ok(None);
                }
                continue;
            };
            if matches!(pod_phase(pod), "Failed" | "Succeeded") {
                if !is_terminating(pod) {
                    self.delete_pod(set, object, pod)?;
                }
                if monotonic {
                    return Ok(None);
                }
                continue;
            }
            if is_terminating(pod) || !is_running_and_ready(pod) {
                if monotonic {
                    return Ok(None);
                }
                continue;
            }
            if !is_pod_available(pod, min_ready, now) {
                let wait = available_in(pod, min_ready, now);
                requeue = Some(requeue.map_or(wait, |r| r.min(wait)));
                if monotonic {
                    return Ok(requeue);
                }
            }
        }

        let first_unhealthy = condemned
            .iter()
            .find(|(_, pod)| !is_healthy(pod))
            .map(|(ordinal, _)| *ordinal);
        for (ordinal, pod) in condemned.iter().rev() {
            if is_terminating(pod) {
                if monotonic {
                    return Ok(requeue);
                }
                continue;
            }
            if monotonic && !is_running_and_ready(pod) && Some(*ordinal) != first_unhealthy {
                return Ok(requeue);
            }
            self.release_claims_with(set, pod)?;
            self.delete_pod(set, object, pod)?;
            if monotonic {
                return Ok(requeue);
            }
        }

        if !rolling {
            return Ok(requeue);
        }
        let update_name = history::name(&revisions.update);
        for ordinal in (start + partition.max(0)..end).rev() {
            let Some(pod) = replicas.get(&ordinal).copied() else {
                continue;
            };
            if revision_of(pod) != Some(update_name) && !is_terminating(pod) {
                self.delete_pod(set, object, pod)?;
                return Ok(requeue);
            }
            if !is_healthy(pod) {
                return Ok(requeue);
            }
        }
        Ok(requeue)
    }

    /// Creates the claims of `ordinal` that do not exist yet; false while
    /// one of them is being deleted (the pod waits, as upstream).
    fn create_claims(
        &self,
        set: &StatefulSet,
        object: &Object,
        ordinal: i32,
    ) -> Result<bool, ControllerError> {
        let pod_name = identity::pod_name(set, ordinal);
        let delete_with_set = retention(set, "whenDeleted") == "Delete";
        for mut claim in claims_for(set, ordinal) {
            let name = claim.metadata.name.clone().unwrap_or_default();
            let namespace = claim.metadata.namespace.clone().unwrap_or_default();
            if let Some(existing) = self
                .store
                .get(Kind::PersistentVolumeClaim, &namespace, &name)
            {
                if existing.meta().deletion_timestamp.is_some() {
                    return Ok(false);
                }
                continue;
            }
            if delete_with_set {
                claim.metadata.owner_references = Some(vec![owner_reference(object)]);
            }
            match create(&self.store, object_of(Kind::PersistentVolumeClaim, &claim)?) {
                Ok(_) => self.recorder.record(
                    object,
                    EventType::Normal,
                    "SuccessfulCreate",
                    &format!(
                        "create Claim {name} Pod {pod_name} in StatefulSet {} success",
                        identity::set_name(set)
                    ),
                ),
                Err(StoreError::AlreadyExists { .. }) => {}
                Err(error) => {
                    self.recorder.record(
                        object,
                        EventType::Warning,
                        "FailedCreate",
                        &format!(
                            "create Claim {name} for Pod {pod_name} in StatefulSet {} failed error: {error}",
                            identity::set_name(set)
                        ),
                    );
                    return Err(error.into());
                }
            }
        }
        Ok(true)
    }

    fn create_pod(
        &self,
        set: &StatefulSet,
        object: &Object,
        pod: Pod,
    ) -> Result<(), ControllerError> {
        let name = pod.metadata.name.clone().unwrap_or_default();
        match create_pod(&self.store, pod) {
            Ok(_) => {
                self.recorder.record(
                    object,
                    EventType::Normal,
                    "SuccessfulCreate",
                    &format!(
                        "create Pod {name} in StatefulSet {} successful",
                        identity::set_name(set)
                    ),
                );
                Ok(())
            }
            Err(StoreError::AlreadyExists { .. }) => Ok(()),
            Err(error) => {
                self.recorder.record(
                    object,
                    EventType::Warning,
                    "FailedCreate",
                    &format!(
                        "create Pod {name} in StatefulSet {} failed error: {error}",
                        identity::set_name(set)
                    ),
                );
                Err(error.into())
            }
        }
    }

    fn delete_pod(
        &self,
        set: &StatefulSet,
        object: &Object,
        pod: &Pod,
    ) -> Result<(), ControllerError> {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        match self
            .store
            .delete(Kind::Pod, &namespace, &name, &DeleteOptions::default())
        {
            Ok(_) => {
                self.recorder.record(
                    object,
                    EventType::Normal,
                    "SuccessfulDelete",
                    &format!(
                        "delete Pod {name} in StatefulSet {} successful",
                        identity::set_name(set)
                    ),
                );
                Ok(())
            }
            Err(StoreError::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// `whenScaled: Delete`: the claims of a pod scaled away are owned by
    /// it alone, so the garbage collector takes them after it.
    fn release_claims_with(&self, set: &StatefulSet, pod: &Pod) -> Result<(), ControllerError> {
        if retention(set, "whenScaled") != "Delete" {
            return Ok(());
        }
        let Some(ordinal) = ordinal_of(set, pod) else {
            return Ok(());
        };
        let owner = Object::Pod(Box::new(pod.clone()));
        let reference = serde_json::to_value(owner_reference(&owner))
            .map_err(|e| ControllerError::Invalid(e.to_string()))?;
        for claim in claims_for(set, ordinal) {
            let name = claim.metadata.name.clone().unwrap_or_default();
            let namespace = claim.metadata.namespace.clone().unwrap_or_default();
            self.store.mutate_json(
                Kind::PersistentVolumeClaim,
                &namespace,
                &name,
                UpdateScope::Main,
                |value| {
                    let refs = &mut value["metadata"]["ownerReferences"];
                    if !refs.is_array() {
                        *refs = json!([]);
                    }
                    let Some(refs) = refs.as_array_mut() else {
                        return false;
                    };
                    if refs.len() == 1 && refs[0]["uid"] == reference["uid"] {
                        return false;
                    }
                    // The pod alone: with the set still an owner the
                    // collector would keep the claim (as upstream swaps them).
                    *refs = vec![reference.clone()];
                    true
                },
            )?;
        }
        Ok(())
    }

    fn write_status(
        &self,
        set: &StatefulSet,
        object: &Object,
        pods: &[Pod],
        revisions: &Revisions,
        now: Timestamp,
    ) -> Result<(), ControllerError> {
        let status = status_of(set, pods, revisions, now);
        if set.status.as_ref() == Some(&status) {
            return Ok(());
        }
        write_status_json(&self.store, object, &status)
    }
}

/// The status upstream's updateStatefulSetStatus writes, with
/// completeRollingUpdate applied.
fn status_of(
    set: &StatefulSet,
    pods: &[Pod],
    revisions: &Revisions,
    now: Timestamp,
) -> StatefulSetStatus {
    let old = set.status.clone().unwrap_or_default();
    let min_ready = set
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let current = history::name(&revisions.current);
    let update = history::name(&revisions.update);
    let live: Vec<&Pod> = pods.iter().filter(|p| !is_terminating(p)).collect();
    let ready: Vec<&Pod> = pods.iter().filter(|p| is_running_and_ready(p)).collect();
    let count = |f: &dyn Fn(&Pod) -> bool| live.iter().filter(|p| f(p)).count() as i32;
    let mut status = StatefulSetStatus {
        observed_generation: set.metadata.generation,
        replicas: live.len() as i32,
        ready_replicas: nonzero(ready.len() as i32),
        available_replicas: Some(
            ready
                .iter()
                .filter(|p| is_pod_available(p, min_ready, now))
                .count() as i32,
        ),
        current_replicas: nonzero(count(&|p| revision_of(p) == Some(current))),
        updated_replicas: nonzero(count(&|p| revision_of(p) == Some(update))),
        current_revision: Some(current.to_string()),
        update_revision: Some(update.to_string()),
        collision_count: old.collision_count,
        conditions: old.conditions,
    };
    let rolling = set
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        != Some("OnDelete");
    let updated = status.updated_replicas.unwrap_or(0);
    if rolling
        && updated == status.replicas
        && status.ready_replicas.unwrap_or(0) == status.replicas
    {
        status.current_replicas = nonzero(updated);
        status.current_revision = Some(update.to_string());
    }
    status
}

fn retention<'a>(set: &'a StatefulSet, when: &str) -> &'a str {
    let policy = set
        .spec
        .as_ref()
        .and_then(|s| s.persistent_volume_claim_retention_policy.as_ref());
    let value = match when {
        "whenDeleted" => policy.and_then(|p| p.when_deleted.as_deref()),
        _ => policy.and_then(|p| p.when_scaled.as_deref()),
    };
    value.unwrap_or("Retain")
}

/// A plain owner reference (not the controller): what claims get.
fn owner_reference(owner: &Object) -> OwnerReference {
    OwnerReference {
        controller: None,
        ..super::util::controller_ref(owner)
    }
}

fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

fn is_running_and_ready(pod: &Pod) -> bool {
    pod_phase(pod) == "Running" && is_pod_ready(pod)
}

fn is_healthy(pod: &Pod) -> bool {
    is_running_and_ready(pod) && !is_terminating(pod)
}

/// How long until a ready pod counts as available.
fn available_in(pod: &Pod, min_ready: i32, now: Timestamp) -> Duration {
    let since = pod_ready_since(pod).map_or(now.as_second(), |t| t.as_second());
    let left = since + i64::from(min_ready) + 1 - now.as_second();
    Duration::from_secs(left.max(1).unsigned_abs())
}
