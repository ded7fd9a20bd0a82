//! Finding and creating the new ReplicaSet, scaling ReplicaSets (with
//! proportional scaling of a rollout in flight), and old-revision cleanup
//! (upstream sync.go).

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::util::{self, rs_replicas, rs_status_replicas};
use super::{DeploymentController, progress};
use crate::api::Kind;
use crate::api::Object;
use crate::controllers::ControllerError;
use crate::controllers::util::controller_ref;
use crate::events::EventType;
use crate::store::{DeleteOptions, StoreError, UpdateScope};

/// The Deployment's ReplicaSets split into the one matching its template
/// and the rest.
pub(super) struct Split {
    pub new: Option<ReplicaSet>,
    pub old: Vec<ReplicaSet>,
}

impl Split {
    /// Old ReplicaSets then the new one.
    pub fn all(&self) -> Vec<&ReplicaSet> {
        self.old.iter().chain(self.new.as_ref()).collect()
    }
}

/// FilterActiveReplicaSets.
pub(super) fn active<'a>(rss: impl IntoIterator<Item = &'a ReplicaSet>) -> Vec<&'a ReplicaSet> {
    rss.into_iter().filter(|rs| rs_replicas(rs) > 0).collect()
}

fn template(d: &Deployment) -> Option<&k8s_openapi::api::core::v1::PodTemplateSpec> {
    d.spec.as_ref().map(|s| &s.template)
}

fn rs_template(rs: &ReplicaSet) -> Option<&k8s_openapi::api::core::v1::PodTemplateSpec> {
    rs.spec.as_ref().and_then(|s| s.template.as_ref())
}

fn ns(d: &Deployment) -> &str {
    d.metadata.namespace.as_deref().unwrap_or("")
}

fn name(d: &Deployment) -> &str {
    d.metadata.name.as_deref().unwrap_or("")
}

impl DeploymentController {
    /// getAllReplicaSetsAndSyncRevision.
    pub(super) fn split_and_sync_revision(
        &self,
        d: &mut Deployment,
        rs_list: &[ReplicaSet],
        create: bool,
    ) -> Result<Split, ControllerError> {
        let mut sorted: Vec<ReplicaSet> = rs_list.to_vec();
        sorted.sort_by(util::by_creation);
        let new_index = sorted
            .iter()
            .position(|rs| util::equal_ignore_hash(rs_template(rs), template(d)));
        let existing = new_index.map(|i| sorted.remove(i));
        let old = sorted;
        let new = self.new_replica_set(d, existing, &old, create)?;
        Ok(Split { new, old })
    }

    /// getNewReplicaSet: updates the existing new ReplicaSet's annotations,
    /// or creates it when asked.
    fn new_replica_set(
        &self,
        d: &mut Deployment,
        existing: Option<ReplicaSet>,
        old: &[ReplicaSet],
        create: bool,
    ) -> Result<Option<ReplicaSet>, ControllerError> {
        let old_refs: Vec<&ReplicaSet> = old.iter().collect();
        let new_revision = util::max_revision(&old_refs) + 1;
        let min_ready = d.spec.as_ref().and_then(|s| s.min_ready_seconds);
        if let Some(mut rs) = existing {
            let mut copy = rs.clone();
            let annotations_updated =
                util::set_new_replica_set_annotations(d, &mut copy, new_revision, true);
            let spec = copy.spec.get_or_insert_with(Default::default);
            let min_ready_changed = spec.min_ready_seconds != min_ready;
            if annotations_updated || min_ready_changed {
                spec.min_ready_seconds = min_ready;
                let stored = self.store.update(copy.clone(), UpdateScope::Main)?;
                if let Some(updated) = stored.as_typed::<ReplicaSet>() {
                    rs = updated.clone();
                }
            }
            let revision = util::annotation(&rs.metadata, util::REVISION)
                .unwrap_or("")
                .to_string();
            self.set_deployment_revision(d, &revision)?;
            if progress::has_progress_deadline(d)
                && progress::condition(d, progress::PROGRESSING).is_none()
            {
                let message = format!(
                    "Found new replica set \"{}\"",
                    rs.metadata.name.as_deref().unwrap_or("")
                );
                progress::set_condition(
                    d.status.get_or_insert_with(Default::default),
                    progress::new_condition(
                        progress::PROGRESSING,
                        "True",
                        progress::FOUND_NEW_RS,
                        &message,
                    ),
                );
                self.write_status(d)?;
            }
            return Ok(Some(rs));
        }
        if !create {
            return Ok(None);
        }

        let collision_count = d.status.as_ref().and_then(|s| s.collision_count);
        let hash = util::compute_hash(template(d), collision_count);
        let mut new_template = template(d).cloned().unwrap_or_default();
        new_template
            .metadata
            .get_or_insert_with(Default::default)
            .labels
            .get_or_insert_with(Default::default)
            .insert(util::POD_TEMPLATE_HASH.to_string(), hash.clone());
        let mut selector = d
            .spec
            .as_ref()
            .map(|s| s.selector.clone())
            .unwrap_or_default();
        selector
            .match_labels
            .get_or_insert_with(Default::default)
            .insert(util::POD_TEMPLATE_HASH.to_string(), hash.clone());
        let d_object: Object = d.clone().into();
        let mut new_rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(format!("{}-{hash}", name(d))),
                namespace: d.metadata.namespace.clone(),
                owner_references: Some(vec![controller_ref(&d_object)]),
                labels: new_template
                    .metadata
                    .as_ref()
                    .and_then(|m| m.labels.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(0),
                min_ready_seconds: min_ready,
                selector,
                template: Some(new_template),
            }),
            status: None,
        };
        let new_count = {
            let mut all = old_refs.clone();
            all.push(&new_rs);
            self.new_rs_new_replicas(d, &all, &new_rs)
        };
        if let Some(spec) = new_rs.spec.as_mut() {
            spec.replicas = Some(new_count);
        }
        util::set_new_replica_set_annotations(d, &mut new_rs, new_revision, false);
        let rs_name = new_rs.metadata.name.clone().unwrap_or_default();
        let created = match self.store.create(new_rs) {
            Ok(created) => created.as_typed::<ReplicaSet>().cloned(),
            Err(StoreError::AlreadyExists { .. }) => {
                let found = self.store.get_as::<ReplicaSet>(ns(d), &rs_name);
                let ours = found.as_ref().is_some_and(|rs| {
                    crate::controllers::util::controller_of(&rs.metadata)
                        .is_some_and(|o| Some(&o.uid) == d.metadata.uid.as_ref())
                        && util::equal_ignore_hash(rs_template(rs), template(d))
                });
                if ours {
                    return Ok(found);
                }
                // A hash collision: another template owns the name.
                let status = d.status.get_or_insert_with(Default::default);
                status.collision_count = Some(status.collision_count.unwrap_or(0) + 1);
                self.write_status(d)?;
                return Err(ControllerError::Invalid(format!(
                    "replica set \"{rs_name}\" already exists with a different template"
                )));
            }
            Err(error) => {
                if progress::has_progress_deadline(d) {
                    let message =
                        format!("Failed to create new replica set \"{rs_name}\": {error}");
                    progress::set_condition(
                        d.status.get_or_insert_with(Default::default),
                        progress::new_condition(
                            progress::PROGRESSING,
                            "False",
                            "ReplicaSetCreateError",
                            &message,
                        ),
                    );
                    self.write_status(d)?;
                }
                return Err(error.into());
            }
        };
        if new_count > 0 {
            self.recorder.record(
                &d.clone().into(),
                EventType::Normal,
                "ScalingReplicaSet",
                &format!("Scaled up replica set {rs_name} to {new_count}"),
            );
        }
        self.set_deployment_revision(d, &new_revision.to_string())?;
        if progress::has_progress_deadline(d) {
            let message = format!("Created new replica set \"{rs_name}\"");
            progress::set_condition(
                d.status.get_or_insert_with(Default::default),
                progress::new_condition(
                    progress::PROGRESSING,
                    "True",
                    progress::NEW_RS_CREATED,
                    &message,
                ),
            );
            self.write_status(d)?;
        }
        Ok(created)
    }

    /// Copies the revision annotation to the Deployment.
    fn set_deployment_revision(
        &self,
        d: &mut Deployment,
        revision: &str,
    ) -> Result<(), ControllerError> {
        if util::annotation(&d.metadata, util::REVISION) == Some(revision) {
            return Ok(());
        }
        let updated =
            self.store
                .mutate::<Deployment>(ns(d), name(d), UpdateScope::Main, |current| {
                    current
                        .metadata
                        .annotations
                        .get_or_insert_with(Default::default)
                        .insert(util::REVISION.to_string(), revision.to_string());
                    true
                })?;
        if let Some(updated) = updated.as_deref().and_then(|o| o.as_typed::<Deployment>()) {
            // Keep the status computed so far; take the new metadata.
            d.metadata = updated.metadata.clone();
        }
        Ok(())
    }

    /// NewRSNewReplicas: the size the new ReplicaSet may grow to now.
    pub(super) fn new_rs_new_replicas(
        &self,
        d: &Deployment,
        all: &[&ReplicaSet],
        new_rs: &ReplicaSet,
    ) -> i32 {
        if !util::is_rolling_update(d) {
            return util::replicas(d);
        }
        let max_total = util::replicas(d) + util::max_surge(d);
        let current = util::spec_total(all);
        if current >= max_total {
            return rs_replicas(new_rs);
        }
        let scale_up = (max_total - current).min(util::replicas(d) - rs_replicas(new_rs));
        rs_replicas(new_rs) + scale_up
    }

    /// scaleReplicaSetAndRecordEvent: no-op when already at `new_scale`.
    pub(super) fn scale_and_record(
        &self,
        rs: &ReplicaSet,
        new_scale: i32,
        d: &Deployment,
    ) -> Result<(bool, ReplicaSet), ControllerError> {
        if rs_replicas(rs) == new_scale {
            return Ok((false, rs.clone()));
        }
        let operation = if rs_replicas(rs) < new_scale {
            "up"
        } else {
            "down"
        };
        self.scale_replica_set(rs, new_scale, d, operation)
    }

    /// scaleReplicaSet: writes size and replica annotations, records the event.
    pub(super) fn scale_replica_set(
        &self,
        rs: &ReplicaSet,
        new_scale: i32,
        d: &Deployment,
        operation: &str,
    ) -> Result<(bool, ReplicaSet), ControllerError> {
        let old_scale = rs_replicas(rs);
        let size_changes = old_scale != new_scale;
        let mut copy = rs.clone();
        let desired = util::replicas(d);
        let annotations_change =
            util::set_replicas_annotations(&mut copy, desired, desired + util::max_surge(d));
        if !size_changes && !annotations_change {
            return Ok((false, rs.clone()));
        }
        copy.spec.get_or_insert_with(Default::default).replicas = Some(new_scale);
        let stored = self.store.update(copy, UpdateScope::Main)?;
        let updated = stored
            .as_typed::<ReplicaSet>()
            .cloned()
            .unwrap_or_else(|| rs.clone());
        if size_changes {
            self.recorder.record(
                &d.clone().into(),
                EventType::Normal,
                "ScalingReplicaSet",
                &format!(
                    "Scaled {operation} replica set {} to {new_scale} from {old_scale}",
                    rs.metadata.name.as_deref().unwrap_or("")
                ),
            );
        }
        Ok((size_changes, updated))
    }

    /// isScalingEvent: an active ReplicaSet was sized for other replicas.
    pub(super) fn is_scaling_event(
        &self,
        d: &mut Deployment,
        rs_list: &[ReplicaSet],
    ) -> Result<bool, ControllerError> {
        let split = self.split_and_sync_revision(d, rs_list, false)?;
        let desired = util::replicas(d);
        Ok(active(split.all())
            .iter()
            .filter_map(|rs| util::desired_replicas_annotation(rs))
            .any(|annotated| annotated != desired))
    }

    /// sync: scale only (paused or a scaling event), then status.
    pub(super) fn sync(
        &self,
        d: &mut Deployment,
        rs_list: &[ReplicaSet],
    ) -> Result<(), ControllerError> {
        let mut split = self.split_and_sync_revision(d, rs_list, false)?;
        self.scale(d, &mut split)?;
        let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        if paused {
            self.cleanup(d, &split.old)?;
        }
        self.sync_deployment_status(d, &split)
    }

    pub(super) fn sync_status_only(
        &self,
        d: &mut Deployment,
        rs_list: &[ReplicaSet],
    ) -> Result<(), ControllerError> {
        let split = self.split_and_sync_revision(d, rs_list, false)?;
        self.sync_deployment_status(d, &split)
    }

    fn replace(split: &mut Split, updated: ReplicaSet) {
        let uid = updated.metadata.uid.clone();
        if split.new.as_ref().is_some_and(|n| n.metadata.uid == uid) {
            split.new = Some(updated);
        } else if let Some(slot) = split.old.iter_mut().find(|o| o.metadata.uid == uid) {
            *slot = updated;
        }
    }

    /// scale: one active ReplicaSet takes everything; a saturated new one
    /// drains the old; otherwise spread the difference proportionally.
    fn scale(&self, d: &Deployment, split: &mut Split) -> Result<(), ControllerError> {
        let desired = util::replicas(d);
        if let Some(target) = find_active_or_latest(split) {
            if rs_replicas(&target) != desired {
                let (_, updated) = self.scale_and_record(&target, desired, d)?;
                Self::replace(split, updated);
            }
            return Ok(());
        }
        if let Some(new_rs) = split.new.as_ref().filter(|rs| is_saturated(d, rs)) {
            let _ = new_rs;
            let olds: Vec<ReplicaSet> = active(&split.old).into_iter().cloned().collect();
            for old in olds {
                let (_, updated) = self.scale_and_record(&old, 0, d)?;
                Self::replace(split, updated);
            }
            return Ok(());
        }
        if !util::is_rolling_update(d) {
            return Ok(());
        }
        let mut all: Vec<ReplicaSet> = active(split.all()).into_iter().cloned().collect();
        let all_refs: Vec<&ReplicaSet> = all.iter().collect();
        let current = util::spec_total(&all_refs);
        let allowed = if desired > 0 {
            desired + util::max_surge(d)
        } else {
            0
        };
        let to_add = allowed - current;
        let operation = if to_add > 0 {
            all.sort_by(util::by_size_newer);
            "up"
        } else if to_add < 0 {
            all.sort_by(util::by_size_older);
            "down"
        } else {
            ""
        };
        let mut added = 0;
        let mut sizes: Vec<i32> = Vec::with_capacity(all.len());
        for rs in &all {
            if to_add != 0 {
                let share = util::proportion(rs, d, to_add, added);
                sizes.push(rs_replicas(rs) + share);
                added += share;
            } else {
                sizes.push(rs_replicas(rs));
            }
        }
        if to_add != 0
            && let Some(first) = sizes.first_mut()
        {
            *first = (*first + to_add - added).max(0);
        }
        for (rs, size) in all.iter().zip(sizes) {
            let (_, updated) = self.scale_replica_set(rs, size, d, operation)?;
            Self::replace(split, updated);
        }
        Ok(())
    }

    /// cleanupDeployment: delete the oldest revisions beyond
    /// revisionHistoryLimit, only ReplicaSets fully at zero.
    pub(super) fn cleanup(
        &self,
        d: &Deployment,
        old: &[ReplicaSet],
    ) -> Result<(), ControllerError> {
        let limit = d
            .spec
            .as_ref()
            .and_then(|s| s.revision_history_limit)
            .unwrap_or(10);
        let mut cleanable: Vec<&ReplicaSet> = old
            .iter()
            .filter(|rs| rs.metadata.deletion_timestamp.is_none())
            .collect();
        let excess = i64::try_from(cleanable.len()).unwrap_or(0) - i64::from(limit);
        if excess <= 0 {
            return Ok(());
        }
        cleanable.sort_by(|a, b| util::by_revision(a, b));
        for rs in cleanable
            .into_iter()
            .take(usize::try_from(excess).unwrap_or(0))
        {
            let observed = rs
                .status
                .as_ref()
                .and_then(|s| s.observed_generation)
                .unwrap_or(0);
            if rs_status_replicas(rs) != 0
                || rs_replicas(rs) != 0
                || rs.metadata.generation.unwrap_or(0) > observed
            {
                continue;
            }
            match self.store.delete(
                Kind::ReplicaSet,
                ns(d),
                rs.metadata.name.as_deref().unwrap_or(""),
                &DeleteOptions::default(),
            ) {
                Ok(_) | Err(StoreError::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }
}

/// FindActiveOrLatest: the single active ReplicaSet, or the newest when
/// none is active; None when several are.
fn find_active_or_latest(split: &Split) -> Option<ReplicaSet> {
    if split.new.is_none() && split.old.is_empty() {
        return None;
    }
    let mut old: Vec<&ReplicaSet> = split.old.iter().collect();
    old.sort_by(|a, b| util::by_creation(b, a));
    let all = active(old.iter().copied().chain(split.new.as_ref()));
    match all.len() {
        0 => split
            .new
            .clone()
            .or_else(|| old.first().map(|rs| (*rs).clone())),
        1 => all.first().map(|rs| (*rs).clone()),
        _ => None,
    }
}

/// IsSaturated: the new ReplicaSet has all replicas, all available.
fn is_saturated(d: &Deployment, rs: &ReplicaSet) -> bool {
    let desired = util::replicas(d);
    rs_replicas(rs) == desired
        && util::desired_replicas_annotation(rs) == Some(desired)
        && util::rs_available(rs) == desired
}
