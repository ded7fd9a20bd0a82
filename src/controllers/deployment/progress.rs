//! Deployment status and conditions (upstream progress.go and sync.go's
//! calculateStatus): Available, Progressing, the progress deadline.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::sync::Split;
use super::{DeploymentController, util};
use crate::controllers::ControllerError;

pub const PROGRESSING: &str = "Progressing";
pub const AVAILABLE: &str = "Available";
pub const NEW_RS_CREATED: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
pub const RS_UPDATED: &str = "ReplicaSetUpdated";
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";
pub const MIN_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MIN_UNAVAILABLE: &str = "MinimumReplicasUnavailable";
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

pub fn has_progress_deadline(d: &Deployment) -> bool {
    progress_deadline(d) != i32::MAX
}

fn progress_deadline(d: &Deployment) -> i32 {
    d.spec
        .as_ref()
        .and_then(|s| s.progress_deadline_seconds)
        .unwrap_or(600)
}

pub fn condition<'a>(d: &'a Deployment, type_: &str) -> Option<&'a DeploymentCondition> {
    status_condition(d.status.as_ref()?, type_)
}

fn status_condition<'a>(
    status: &'a DeploymentStatus,
    type_: &str,
) -> Option<&'a DeploymentCondition> {
    status
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
}

pub fn new_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
) -> DeploymentCondition {
    let now = crate::clock::now_time();
    DeploymentCondition {
        type_: type_.to_string(),
        status: status.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        last_update_time: Some(now.clone()),
        last_transition_time: Some(now),
    }
}

/// SetDeploymentCondition: same status and reason keeps the old one; same
/// status keeps its lastTransitionTime.
pub fn set_condition(status: &mut DeploymentStatus, mut condition: DeploymentCondition) {
    if let Some(current) = status_condition(status, &condition.type_) {
        if current.status == condition.status && current.reason == condition.reason {
            return;
        }
        if current.status == condition.status {
            condition.last_transition_time = current.last_transition_time.clone();
        }
    }
    remove_condition(status, &condition.type_);
    status
        .conditions
        .get_or_insert_with(Vec::new)
        .push(condition);
}

pub fn remove_condition(status: &mut DeploymentStatus, type_: &str) {
    if let Some(conditions) = status.conditions.as_mut() {
        conditions.retain(|c| c.type_ != type_);
        if conditions.is_empty() {
            status.conditions = None;
        }
    }
}

fn nz(value: i32) -> Option<i32> {
    (value != 0).then_some(value)
}

fn rs_name(rs: Option<&ReplicaSet>) -> &str {
    rs.and_then(|r| r.metadata.name.as_deref()).unwrap_or("")
}

/// calculateStatus.
pub(super) fn calculate_status(d: &Deployment, split: &Split) -> DeploymentStatus {
    let all = split.all();
    let available = util::available_total(&all);
    let spec_total = util::spec_total(&all);
    let unavailable = (spec_total - available).max(0);
    let status_replicas: i32 = all.iter().map(|rs| util::rs_status_replicas(rs)).sum();
    let updated = split.new.as_ref().map_or(0, util::rs_status_replicas);
    let ready: i32 = all.iter().map(|rs| util::rs_ready(rs)).sum();
    let old = d.status.clone().unwrap_or_default();
    let mut status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: nz(status_replicas),
        updated_replicas: nz(updated),
        ready_replicas: nz(ready),
        available_replicas: nz(available),
        unavailable_replicas: nz(unavailable),
        collision_count: old.collision_count,
        conditions: old.conditions,
        terminating_replicas: None,
    };
    if available >= util::replicas(d) - util::max_unavailable(d) {
        set_condition(
            &mut status,
            new_condition(
                AVAILABLE,
                "True",
                MIN_AVAILABLE,
                "Deployment has minimum availability.",
            ),
        );
    } else {
        set_condition(
            &mut status,
            new_condition(
                AVAILABLE,
                "False",
                MIN_UNAVAILABLE,
                "Deployment does not have minimum availability.",
            ),
        );
    }
    status
}

/// getReplicaFailures: the new ReplicaSet's ReplicaFailure condition, else
/// an old one's, as a Deployment condition.
fn replica_failure(split: &Split) -> Option<DeploymentCondition> {
    let failure_of = |rs: &ReplicaSet| {
        rs.status
            .as_ref()?
            .conditions
            .as_ref()?
            .iter()
            .find(|c| c.type_ == REPLICA_FAILURE)
            .map(|c| DeploymentCondition {
                type_: c.type_.clone(),
                status: c.status.clone(),
                reason: c.reason.clone(),
                message: c.message.clone(),
                last_update_time: c.last_transition_time.clone(),
                last_transition_time: c.last_transition_time.clone(),
            })
    };
    split
        .new
        .as_ref()
        .and_then(failure_of)
        .or_else(|| split.all().into_iter().find_map(failure_of))
}

/// DeploymentComplete.
pub fn deployment_complete(d: &Deployment, status: &DeploymentStatus) -> bool {
    let desired = util::replicas(d);
    status.updated_replicas.unwrap_or(0) == desired
        && status.replicas.unwrap_or(0) == desired
        && status.available_replicas.unwrap_or(0) == desired
        && status.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0)
}

/// DeploymentProgressing: more updated, fewer old, more ready or available.
fn deployment_progressing(d: &Deployment, new: &DeploymentStatus) -> bool {
    let old = d.status.clone().unwrap_or_default();
    let g = |v: Option<i32>| v.unwrap_or(0);
    let old_old = g(old.replicas) - g(old.updated_replicas);
    let new_old = g(new.replicas) - g(new.updated_replicas);
    g(new.updated_replicas) > g(old.updated_replicas)
        || new_old < old_old
        || g(new.ready_replicas) > g(old.ready_replicas)
        || g(new.available_replicas) > g(old.available_replicas)
}

/// DeploymentTimedOut.
fn deployment_timed_out(d: &Deployment, status: &DeploymentStatus) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let Some(condition) = status_condition(status, PROGRESSING) else {
        return false;
    };
    match condition.reason.as_deref() {
        Some(NEW_RS_AVAILABLE) => false,
        Some(TIMED_OUT) => true,
        _ => condition.last_update_time.as_ref().is_some_and(|from| {
            from.0.as_second() + i64::from(progress_deadline(d)) < crate::clock::now().as_second()
        }),
    }
}

fn time_of(t: Option<&Time>) -> i64 {
    t.map_or(0, |t| t.0.as_millisecond())
}

impl DeploymentController {
    /// syncDeploymentStatus: status without progress estimation.
    pub(super) fn sync_deployment_status(
        &self,
        d: &mut Deployment,
        split: &Split,
    ) -> Result<(), ControllerError> {
        let status = calculate_status(d, split);
        if d.status.as_ref() == Some(&status) {
            return Ok(());
        }
        d.status = Some(status);
        self.write_status(d)
    }

    /// syncRolloutStatus: status plus the Progressing condition; asks for
    /// a requeue when the deadline may pass without further events.
    pub(super) fn sync_rollout_status(
        &self,
        d: &mut Deployment,
        split: &Split,
    ) -> Result<Option<Duration>, ControllerError> {
        let mut status = calculate_status(d, split);
        if !has_progress_deadline(d) {
            remove_condition(&mut status, PROGRESSING);
        }
        let current = condition(d, PROGRESSING).cloned();
        let complete_already = status.replicas == status.updated_replicas
            && current
                .as_ref()
                .is_some_and(|c| c.reason.as_deref() == Some(NEW_RS_AVAILABLE));
        let new_rs = split.new.as_ref();
        if has_progress_deadline(d) && !complete_already {
            if deployment_complete(d, &status) {
                let message = format!(
                    "ReplicaSet \"{}\" has successfully progressed.",
                    rs_name(new_rs)
                );
                set_condition(
                    &mut status,
                    new_condition(PROGRESSING, "True", NEW_RS_AVAILABLE, &message),
                );
            } else if deployment_progressing(d, &status) {
                let message = match new_rs {
                    Some(rs) => format!("ReplicaSet \"{}\" is progressing.", rs_name(Some(rs))),
                    None => format!(
                        "Deployment \"{}\" is progressing.",
                        d.metadata.name.as_deref().unwrap_or("")
                    ),
                };
                let mut fresh = new_condition(PROGRESSING, "True", RS_UPDATED, &message);
                if let Some(current) = current.as_ref() {
                    if current.status == "True" {
                        fresh.last_transition_time = current.last_transition_time.clone();
                    }
                    remove_condition(&mut status, PROGRESSING);
                }
                set_condition(&mut status, fresh);
            } else if deployment_timed_out(d, &status) {
                let message = match new_rs {
                    Some(rs) => format!(
                        "ReplicaSet \"{}\" has timed out progressing.",
                        rs_name(Some(rs))
                    ),
                    None => format!(
                        "Deployment \"{}\" has timed out progressing.",
                        d.metadata.name.as_deref().unwrap_or("")
                    ),
                };
                set_condition(
                    &mut status,
                    new_condition(PROGRESSING, "False", TIMED_OUT, &message),
                );
            }
        }
        match replica_failure(split) {
            Some(failure) => set_condition(&mut status, failure),
            None => remove_condition(&mut status, REPLICA_FAILURE),
        }
        if d.status.as_ref() == Some(&status) {
            return Ok(self.requeue_stuck(d, &status));
        }
        d.status = Some(status);
        self.write_status(d)?;
        Ok(None)
    }

    /// requeueStuckDeployment: when the Progressing condition's deadline lies ahead.
    fn requeue_stuck(&self, d: &Deployment, status: &DeploymentStatus) -> Option<Duration> {
        let current = condition(d, PROGRESSING)?;
        if !has_progress_deadline(d)
            || deployment_complete(d, status)
            || current.reason.as_deref() == Some(TIMED_OUT)
        {
            return None;
        }
        let deadline_ms =
            time_of(current.last_update_time.as_ref()) + i64::from(progress_deadline(d)) * 1000;
        let after_ms = deadline_ms - crate::clock::now().as_millisecond();
        if after_ms < 1000 {
            return Some(Duration::from_secs(1));
        }
        Some(Duration::from_millis(u64::try_from(after_ms).unwrap_or(0)))
    }

    /// checkPausedConditions: Progressing Unknown DeploymentPaused/Resumed.
    pub(super) fn check_paused_conditions(
        &self,
        d: &mut Deployment,
    ) -> Result<(), ControllerError> {
        if !has_progress_deadline(d) {
            return Ok(());
        }
        let current = condition(d, PROGRESSING);
        if current.is_some_and(|c| c.reason.as_deref() == Some(TIMED_OUT)) {
            return Ok(());
        }
        let paused_condition = current.is_some_and(|c| c.reason.as_deref() == Some(PAUSED));
        let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        let condition = if paused && !paused_condition {
            new_condition(PROGRESSING, "Unknown", PAUSED, "Deployment is paused")
        } else if !paused && paused_condition {
            new_condition(PROGRESSING, "Unknown", RESUMED, "Deployment is resumed")
        } else {
            return Ok(());
        };
        set_condition(d.status.get_or_insert_with(Default::default), condition);
        self.write_status(d)
    }
}
