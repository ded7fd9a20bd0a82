//! The pod status the worker writes back: computed from its slots, written
//! only when it changed.
use k8s_openapi::api::core::v1::{HostIP, Pod, PodIP, PodStatus};

use super::{PodWorker, SharedPod};
use crate::kubelet::status;
use crate::store::UpdateScope;

impl PodWorker {
    /// Writes the pod's status when it differs from what was written.
    pub(super) fn flush_status(&mut self) {
        let status = self.compute_status();
        if self.written_status() == Some(&status) {
            return;
        }
        let uid = self.pod.metadata.uid.clone();
        let result = self.ctx.store.mutate::<Pod>(
            self.pod.metadata.namespace.as_deref().unwrap_or(""),
            self.pod.metadata.name.as_deref().unwrap_or(""),
            UpdateScope::Status,
            |pod| {
                if pod.metadata.uid != uid {
                    return false;
                }
                pod.status = Some(status.clone());
                true
            },
        );
        match result {
            Ok(stored) => self.written = stored.and_then(SharedPod::new),
            Err(error) => tracing::warn!(%error, pod = self.name(), "could not write pod status"),
        }
    }

    /// The status of the last write, as the store keeps it.
    fn written_status(&self) -> Option<&PodStatus> {
        self.written.as_ref().and_then(|pod| pod.status.as_ref())
    }

    fn compute_status(&self) -> PodStatus {
        let scheme = self.ctx.scheme();
        let statuses: Vec<_> = self
            .slots
            .iter()
            .filter(|s| !s.init)
            .map(|s| s.status(scheme))
            .collect();
        let init_statuses: Vec<_> = self
            .slots
            .iter()
            .filter(|s| s.init)
            .map(|s| s.status(scheme))
            .collect();
        let uninitialized: Vec<String> = self
            .slots
            .iter()
            .filter(|s| s.init && !s.completed())
            .map(|s| s.name().to_string())
            .collect();
        let init_failed = self
            .slots
            .iter()
            .any(|s| s.init && s.plan == super::Plan::Done && !s.completed());
        let phase = if init_failed {
            "Failed"
        } else if !uninitialized.is_empty() {
            "Pending"
        } else {
            status::phase(self.restart_policy(), &statuses)
        };
        let completed = phase == "Succeeded" || phase == "Failed";
        let unready: Vec<String> = self
            .slots
            .iter()
            .filter(|s| !s.init && !s.ready)
            .map(|s| s.name().to_string())
            .collect();
        let previous = self.written_status().or(self.pod.status.as_ref());
        let old_conditions = previous
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let now = crate::clock::now_time();
        let conditions = status::conditions(&status::ConditionInputs {
            old: &old_conditions,
            unready: &unready,
            uninitialized: &uninitialized,
            completed,
            now: &now,
        });
        let qos = self
            .pod
            .spec
            .as_ref()
            .map_or("BestEffort", status::qos_class);
        PodStatus {
            phase: Some(phase.to_string()),
            conditions: Some(conditions),
            host_ip: Some("127.0.0.1".to_string()),
            host_ips: Some(vec![HostIP {
                ip: "127.0.0.1".to_string(),
            }]),
            pod_ip: (!self.pod_ip.is_empty()).then(|| self.pod_ip.clone()),
            pod_ips: (!self.pod_ip.is_empty()).then(|| {
                vec![PodIP {
                    ip: self.pod_ip.clone(),
                }]
            }),
            start_time: Some(self.start_time.clone()),
            container_statuses: Some(statuses),
            init_container_statuses: (!init_statuses.is_empty()).then_some(init_statuses),
            qos_class: Some(qos.to_string()),
            ..PodStatus::default()
        }
    }
}
