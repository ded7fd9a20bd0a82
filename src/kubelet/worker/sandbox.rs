//! The pod's network: a sandbox from runtimes that have them (Docker: a
//! pause container that holds the network namespace, so an app container's
//! restart keeps the pod's IP), else an IP from the node's pool (sim).

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use super::PodWorker;
use crate::events::EventType;
use crate::kubelet::runtime::{
    ContainerInfo, ContainerRunState, LABEL_NODE, LABEL_POD_NAME, LABEL_POD_NAMESPACE,
    LABEL_POD_UID, LABEL_ROLE, PortSpec, ROLE_SANDBOX, SandboxSpec,
};
use crate::kubelet::slot::Plan;

/// First retry after a failed sandbox creation (then doubling, capped).
const SANDBOX_RETRY_MIN: Duration = Duration::from_secs(2);
const SANDBOX_RETRY_MAX: Duration = Duration::from_secs(60);

/// The pod's network as the worker tracks it.
#[derive(Debug, Default)]
pub(super) struct PodNetwork {
    /// The sandbox, with runtimes that have them.
    pub sandbox: Option<String>,
    /// The pod has its IP (from a sandbox or the pool).
    pub ready: bool,
    /// The IP came from the node's pool and goes back to it.
    pub from_pool: bool,
    pub retry_at: Option<Instant>,
    retry_delay: Option<Duration>,
}

impl PodNetwork {
    fn failed(&mut self, now: Instant) {
        let delay = self
            .retry_delay
            .map_or(SANDBOX_RETRY_MIN, |d| (d * 2).min(SANDBOX_RETRY_MAX));
        self.retry_delay = Some(delay);
        self.retry_at = Some(now + delay);
    }
}

impl PodWorker {
    /// Gives the pod its network before a container starts. False while
    /// it cannot; the attempt is repeated at `network.retry_at`.
    pub(super) async fn ensure_network(&mut self) -> bool {
        if self.network.ready {
            return true;
        }
        let now = Instant::now();
        if self.network.retry_at.is_some_and(|at| now < at) {
            return false;
        }
        self.network.retry_at = None;
        let spec = self.sandbox_spec();
        match self.ctx.runtime.run_sandbox(&spec).await {
            Ok(Some(sandbox)) => {
                self.network.sandbox = Some(sandbox.id);
                self.pod_ip = sandbox.ip;
            }
            Ok(None) => {
                let preferred = self.pod.status.as_ref().and_then(|s| s.pod_ip.clone());
                self.pod_ip = self.ctx.ips.allocate(preferred.as_deref());
                self.network.from_pool = true;
            }
            Err(error) => {
                self.event(
                    None,
                    EventType::Warning,
                    "FailedCreatePodSandBox",
                    &format!("Failed to create pod sandbox: {error}"),
                );
                self.network.failed(now);
                return false;
            }
        }
        self.network.ready = true;
        self.network.retry_delay = None;
        true
    }

    fn sandbox_spec(&self) -> SandboxSpec {
        let spec = self.pod.spec.as_ref();
        let mut labels = BTreeMap::new();
        labels.insert(LABEL_POD_UID.to_string(), self.uid().to_string());
        labels.insert(
            LABEL_POD_NAMESPACE.to_string(),
            self.namespace().to_string(),
        );
        labels.insert(LABEL_POD_NAME.to_string(), self.name().to_string());
        labels.insert(LABEL_NODE.to_string(), self.ctx.node.clone());
        labels.insert(LABEL_ROLE.to_string(), ROLE_SANDBOX.to_string());
        let hostname = spec
            .and_then(|s| s.hostname.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| self.name().chars().take(63).collect());
        let ports = self
            .slots
            .iter()
            .flat_map(|slot| slot.spec().ports.iter().flatten())
            .filter_map(|p| {
                Some(PortSpec {
                    container_port: u16::try_from(p.container_port).ok()?,
                    protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_string()),
                    name: p.name.clone(),
                })
            })
            .collect();
        SandboxSpec {
            pod_uid: self.uid().to_string(),
            pod_namespace: self.namespace().to_string(),
            pod_name: self.name().to_string(),
            hostname,
            ports,
            labels,
        }
    }

    /// Takes over the sandbox a runtime kept across a restart of podium.
    /// Returns the app containers to adopt: none when the sandbox is gone,
    /// since they lost their network (upstream kills and re-creates them).
    pub(super) async fn adopt_network(
        &mut self,
        adopted: Vec<ContainerInfo>,
    ) -> Vec<ContainerInfo> {
        let (sandboxes, containers): (Vec<_>, Vec<_>) =
            adopted.into_iter().partition(ContainerInfo::is_sandbox);
        if !self.ctx.runtime.uses_sandboxes() {
            self.ensure_network().await;
            return containers;
        }
        let mut live = None;
        for sandbox in sandboxes {
            let running = sandbox.state == ContainerRunState::Running;
            if running && live.is_none() {
                live = Some(sandbox);
            } else if let Err(error) = self.ctx.runtime.remove_sandbox(&sandbox.id).await {
                tracing::debug!(%error, "removing a stale sandbox");
            }
        }
        if let Some(sandbox) = live {
            self.network.sandbox = Some(sandbox.id);
            self.pod_ip = sandbox.ip.unwrap_or_default();
            self.network.ready = true;
            return containers;
        }
        if !containers.is_empty() {
            self.event(
                None,
                EventType::Normal,
                "SandboxChanged",
                "Pod sandbox changed, it will be killed and re-created.",
            );
            for container in &containers {
                let _ = self
                    .ctx
                    .runtime
                    .stop_container(&container.id, self.grace())
                    .await;
                let _ = self.ctx.runtime.remove_container(&container.id).await;
            }
        }
        Vec::new()
    }

    /// The sandbox ended under the pod (killed, engine restarted): stop
    /// the containers, which lost their network, and start over with a
    /// new sandbox, restarting containers per the restartPolicy.
    pub(super) async fn sandbox_died(&mut self) {
        self.event(
            None,
            EventType::Normal,
            "SandboxChanged",
            "Pod sandbox changed, it will be killed and re-created.",
        );
        let grace = self.grace();
        for index in 0..self.slots.len() {
            if self.slots[index].plan != Plan::Running {
                continue;
            }
            let Some(id) = self.slots[index].current.clone() else {
                continue;
            };
            let _ = self.ctx.runtime.stop_container(&id, grace).await;
            if let Ok(info) = self.ctx.runtime.inspect_container(&id).await {
                let terminated = self.terminated_from(&info);
                self.record_exit(index, terminated);
            }
        }
        self.release_network().await;
    }

    /// Removes the sandbox, or returns the IP to the pool.
    pub(super) async fn release_network(&mut self) {
        if let Some(id) = self.network.sandbox.take()
            && let Err(error) = self.ctx.runtime.remove_sandbox(&id).await
        {
            tracing::debug!(%error, "removing a sandbox");
        }
        if std::mem::take(&mut self.network.from_pool) {
            self.ctx.ips.release(&self.pod_ip);
        }
        self.network.ready = false;
    }
}
