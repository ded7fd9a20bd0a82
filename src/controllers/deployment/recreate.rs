//! Recreate (upstream recreate.go): scale every old ReplicaSet to zero,
//! wait until none of their pods is left, then scale the new one up.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::sync::active;
use super::util::{self, rs_status_replicas};
use super::{DeploymentController, progress};
use crate::controllers::ControllerError;

impl DeploymentController {
    pub(super) fn rollout_recreate(
        &self,
        d: &mut Deployment,
        rs_list: &[ReplicaSet],
    ) -> Result<Option<Duration>, ControllerError> {
        let mut split = self.split_and_sync_revision(d, rs_list, false)?;
        let olds: Vec<ReplicaSet> = active(&split.old).into_iter().cloned().collect();
        let mut scaled_down = false;
        for rs in olds {
            let (scaled, updated) = self.scale_and_record(&rs, 0, d)?;
            scaled_down |= scaled;
            if let Some(slot) = split
                .old
                .iter_mut()
                .find(|o| o.metadata.uid == updated.metadata.uid)
            {
                *slot = updated;
            }
        }
        if scaled_down {
            return self.sync_rollout_status(d, &split);
        }
        if self.old_pods_running(d, &split.old) {
            return self.sync_rollout_status(d, &split);
        }
        if split.new.is_none() {
            split = self.split_and_sync_revision(d, rs_list, true)?;
        }
        if let Some(new_rs) = split.new.clone() {
            let (_, updated) = self.scale_and_record(&new_rs, util::replicas(d), d)?;
            split.new = Some(updated);
        }
        if progress::deployment_complete(d, d.status.as_ref().unwrap_or(&Default::default())) {
            self.cleanup(d, &split.old)?;
        }
        self.sync_rollout_status(d, &split)
    }

    /// oldPodsRunning: any old pod not finished, terminating ones included.
    fn old_pods_running(&self, d: &Deployment, olds: &[ReplicaSet]) -> bool {
        let refs: Vec<&ReplicaSet> = olds.iter().collect();
        if refs.iter().map(|rs| rs_status_replicas(rs)).sum::<i32>() > 0 {
            return true;
        }
        self.pods_of(d.metadata.namespace.as_deref().unwrap_or(""), &refs)
            .iter()
            .any(|pod| {
                let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
                !matches!(phase, Some("Succeeded" | "Failed"))
            })
    }
}
