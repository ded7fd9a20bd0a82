//! RollingUpdate (upstream rolling.go): grow the new ReplicaSet within
//! maxSurge, shrink old ones within maxUnavailable.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::sync::{Split, active};
use super::util::{self, rs_available, rs_replicas};
use super::{DeploymentController, progress};
use crate::controllers::ControllerError;

/// How many pods the old ReplicaSets may lose now (reconcileOldReplicaSets'
/// bound): all pods - minAvailable - unavailable new pods.
pub fn max_scaled_down(
    all_pods: i32,
    min_available: i32,
    new_spec: i32,
    new_available: i32,
) -> i32 {
    all_pods - min_available - (new_spec - new_available)
}

impl DeploymentController {
    pub(super) fn rollout_rolling(
        &self,
        d: &mut Deployment,
        rs_list: &[ReplicaSet],
    ) -> Result<Option<Duration>, ControllerError> {
        let mut split = self.split_and_sync_revision(d, rs_list, true)?;
        if self.reconcile_new_replica_set(d, &mut split)? {
            return self.sync_rollout_status(d, &split);
        }
        if self.reconcile_old_replica_sets(d, &mut split)? {
            return self.sync_rollout_status(d, &split);
        }
        if progress::deployment_complete(d, d.status.as_ref().unwrap_or(&Default::default())) {
            self.cleanup(d, &split.old)?;
        }
        self.sync_rollout_status(d, &split)
    }

    /// reconcileNewReplicaSet: true when the new ReplicaSet was scaled.
    fn reconcile_new_replica_set(
        &self,
        d: &Deployment,
        split: &mut Split,
    ) -> Result<bool, ControllerError> {
        let Some(new_rs) = split.new.clone() else {
            return Ok(false);
        };
        let desired = util::replicas(d);
        let target = if rs_replicas(&new_rs) == desired {
            return Ok(false);
        } else if rs_replicas(&new_rs) > desired {
            desired
        } else {
            self.new_rs_new_replicas(d, &split.all(), &new_rs)
        };
        let (scaled, updated) = self.scale_and_record(&new_rs, target, d)?;
        split.new = Some(updated);
        Ok(scaled)
    }

    /// reconcileOldReplicaSets: true when any old ReplicaSet was scaled down.
    fn reconcile_old_replica_sets(
        &self,
        d: &Deployment,
        split: &mut Split,
    ) -> Result<bool, ControllerError> {
        let old_active: Vec<&ReplicaSet> = active(&split.old);
        if util::spec_total(&old_active) == 0 {
            return Ok(false);
        }
        let all_pods = util::spec_total(&split.all());
        let min_available = util::replicas(d) - util::max_unavailable(d);
        let (new_spec, new_available) = split
            .new
            .as_ref()
            .map_or((0, 0), |rs| (rs_replicas(rs), rs_available(rs)));
        let bound = max_scaled_down(all_pods, min_available, new_spec, new_available);
        if bound <= 0 {
            return Ok(false);
        }
        let mut olds: Vec<ReplicaSet> = old_active.into_iter().cloned().collect();
        olds.sort_by(util::by_creation);
        let cleaned = self.cleanup_unhealthy_replicas(d, &mut olds, bound)?;
        for rs in &olds {
            replace_old(split, rs.clone());
        }
        let scaled = self.scale_down_old_for_rolling_update(d, split, &mut olds)?;
        for rs in olds {
            replace_old(split, rs);
        }
        Ok(cleaned + scaled > 0)
    }

    /// cleanupUnhealthyReplicas: drop old replicas that are not available,
    /// oldest ReplicaSet first, at most `max_cleanup`.
    fn cleanup_unhealthy_replicas(
        &self,
        d: &Deployment,
        olds: &mut [ReplicaSet],
        max_cleanup: i32,
    ) -> Result<i32, ControllerError> {
        let mut total = 0;
        for rs in olds.iter_mut() {
            if total >= max_cleanup {
                break;
            }
            let spec = rs_replicas(rs);
            let available = rs_available(rs);
            if spec == 0 || spec == available {
                continue;
            }
            let count = (max_cleanup - total).min(spec - available);
            let target = spec - count;
            if target > spec {
                return Err(ControllerError::Invalid(format!(
                    "when cleaning up unhealthy replicas, got invalid request to scale down {}/{} {} -> {}",
                    rs.metadata.namespace.as_deref().unwrap_or(""),
                    rs.metadata.name.as_deref().unwrap_or(""),
                    spec,
                    target
                )));
            }
            let (_, updated) = self.scale_and_record(rs, target, d)?;
            *rs = updated;
            total += count;
        }
        Ok(total)
    }

    /// scaleDownOldReplicaSetsForRollingUpdate: down to minAvailable.
    fn scale_down_old_for_rolling_update(
        &self,
        d: &Deployment,
        split: &Split,
        olds: &mut [ReplicaSet],
    ) -> Result<i32, ControllerError> {
        let min_available = util::replicas(d) - util::max_unavailable(d);
        let available = util::available_total(&split.all());
        if available <= min_available {
            return Ok(0);
        }
        let wanted = available - min_available;
        let mut total = 0;
        for rs in olds.iter_mut() {
            if total >= wanted {
                break;
            }
            let spec = rs_replicas(rs);
            if spec == 0 {
                continue;
            }
            let count = spec.min(wanted - total);
            let (_, updated) = self.scale_and_record(rs, spec - count, d)?;
            *rs = updated;
            total += count;
        }
        Ok(total)
    }
}

fn replace_old(split: &mut Split, updated: ReplicaSet) {
    if let Some(slot) = split
        .old
        .iter_mut()
        .find(|o| o.metadata.uid == updated.metadata.uid)
    {
        *slot = updated;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_bounds() {
        // replicas 5, surge 1, unavailable 1: new RS at 1 not yet available,
        // old at 5 available: one old pod may go.
        assert_eq!(max_scaled_down(6, 4, 1, 0), 1);
        // After (1,4): nothing more until the new pod is available.
        assert_eq!(max_scaled_down(5, 4, 1, 0), 0);
        assert_eq!(max_scaled_down(6, 4, 2, 1), 1);
    }
}
