//! Taking over the containers a runtime kept across a restart of podium.

use std::time::Duration;

use k8s_openapi::api::core::v1::ContainerStateTerminated;
use tokio::time::Instant;

use super::{PodWorker, time_of};
use crate::kubelet::runtime::{
    ContainerInfo, ContainerRunState, LABEL_CONTAINER_NAME, LABEL_RESTART_COUNT,
};
use crate::kubelet::slot::{Plan, Shown};

impl PodWorker {
    /// Takes over containers the runtime kept across a restart of podium;
    /// a container that vanished counts as ended (upstream's
    /// ContainerStatusUnknown) and restarts under the pod's policy.
    pub(super) async fn adopt(&mut self, adopted: Vec<ContainerInfo>) {
        let mut adopted = self.adopt_network(adopted).await;
        let old_statuses = self
            .pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.clone())
            .unwrap_or_default();
        adopted.sort_by_key(|c| {
            (
                c.label(LABEL_RESTART_COUNT)
                    .and_then(|n| n.parse::<i32>().ok())
                    .unwrap_or(0),
                c.started_at,
            )
        });
        for index in 0..self.slots.len() {
            let name = self.slots[index].name().to_string();
            let old = old_statuses.iter().find(|s| s.name == name);
            let mut mine: Vec<ContainerInfo> = adopted
                .iter()
                .filter(|c| c.label(LABEL_CONTAINER_NAME) == Some(name.as_str()))
                .cloned()
                .collect();
            let latest = mine.pop();
            let previous = mine.pop();
            for stale in mine {
                // Only the latest two are kept (the current and the previous).
                let _ = self.ctx.runtime.remove_container(&stale.id).await;
            }
            let slot = &mut self.slots[index];
            if let Some(old) = old {
                slot.restart_count = old.restart_count;
                slot.image_id = old.image_id.clone();
                slot.last_exit = old.last_state.as_ref().and_then(|s| s.terminated.clone());
            }
            slot.previous = previous.map(|c| c.id);
            match latest {
                Some(info) => {
                    if let Some(n) = info.label(LABEL_RESTART_COUNT).and_then(|n| n.parse().ok()) {
                        slot.restart_count = n;
                    }
                    slot.image_id = info.image_id.clone();
                    slot.image = Some(info.image.clone());
                    slot.current = Some(info.id.clone());
                    match info.state {
                        ContainerRunState::Running => {
                            slot.plan = Plan::Running;
                            slot.shown = Shown::Running {
                                started_at: time_of(info.started_at),
                            };
                            let pod_ip = self.pod_ip.clone();
                            // Probe delays count from when it really started.
                            let ran_for = info
                                .started_at
                                .and_then(|at| {
                                    crate::clock::now().duration_since(at).try_into().ok()
                                })
                                .unwrap_or(Duration::ZERO);
                            let started = Instant::now()
                                .checked_sub(ran_for)
                                .unwrap_or_else(Instant::now);
                            self.slots[index].arm_probes(&pod_ip, started, self.admitted);
                        }
                        ContainerRunState::Exited => {
                            let terminated = self.terminated_from(&info);
                            self.record_exit(index, terminated);
                        }
                        ContainerRunState::Created => {
                            let _ = self.ctx.runtime.remove_container(&info.id).await;
                            self.slots[index].current = None;
                        }
                    }
                }
                None => {
                    let ran_before = old.is_some_and(|o| o.container_id.is_some());
                    if ran_before {
                        let started_at = old
                            .and_then(|o| o.state.as_ref())
                            .and_then(|s| s.running.as_ref())
                            .and_then(|r| r.started_at.clone());
                        slot.current = None;
                        let terminated = ContainerStateTerminated {
                            exit_code: 137,
                            reason: Some("ContainerStatusUnknown".to_string()),
                            message: Some(
                                "The container could not be located when the pod was terminated"
                                    .to_string(),
                            ),
                            started_at,
                            finished_at: Some(crate::clock::now_time()),
                            ..ContainerStateTerminated::default()
                        };
                        self.record_exit(index, terminated);
                    }
                }
            }
        }
    }
}
