//! The pod's network: a sandbox from runtimes that have them (Docker: a
//! pause container that holds the network namespace, so an app container's
//! restart keeps the pod's IP), else an IP from the node's pool (sim).
//!
//! A pod of one container needs no shared namespace: with runtimes that
//! allow it (Docker) its container holds the pod's network itself. Its
//! first start gets an address and loopback ports from the engine; every
//! restart asks for the same ones again ([`LABEL_POD_IP`],
//! [`LABEL_HOST_PORTS`]), so the pod's IP and the ports probes and
//! Services use do not move — without a pause container, half the
//! engine's work per pod.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use super::PodWorker;
use crate::events::EventType;
use crate::kubelet::runtime::{
    ContainerInfo, ContainerRunState, LABEL_HOST_PORTS, LABEL_HOSTNAME, LABEL_NODE, LABEL_POD_IP,
    LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_RESTART_COUNT, LABEL_ROLE, PortSpec,
    ROLE_SANDBOX, SandboxSpec, format_host_ports, parse_host_ports,
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
    /// The pod's one container holds the network itself (no sandbox).
    pub held_by_container: bool,
    /// Then: the loopback host port of each TCP container port, once
    /// known, for the container's restarts.
    pub host_ports: BTreeMap<u16, u16>,
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
        if self.sandbox_free() {
            // The IP the pod had (podium restarted), else the engine's
            // choice when the container first starts.
            if self.pod_ip.is_empty() {
                self.pod_ip = self.status_pod_ip().unwrap_or_default();
            }
            self.network.held_by_container = true;
            self.network.ready = true;
            self.network.retry_delay = None;
            return true;
        }
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

    fn status_pod_ip(&self) -> Option<String> {
        self.pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.clone())
            .filter(|ip| !ip.is_empty())
    }

    /// Whether the pod runs without a sandbox: one container, no init
    /// containers, a runtime that allows it, and no environment variable
    /// that needs the pod's IP before the container starts (the engine
    /// chooses it at the first start).
    fn sandbox_free(&self) -> bool {
        if !self.ctx.runtime.sandbox_free_single_container_pods() {
            return false;
        }
        let Some(spec) = self.pod.spec.as_ref() else {
            return false;
        };
        let [container] = spec.containers.as_slice() else {
            return false;
        };
        let needs_ip = container.env.iter().flatten().any(|var| {
            var.value_from
                .as_ref()
                .and_then(|from| from.field_ref.as_ref())
                .is_some_and(|field| field.field_path.starts_with("status.podIP"))
        });
        spec.init_containers.as_ref().is_none_or(Vec::is_empty) && !needs_ip
    }

    /// Labels that give a sandbox-free pod's container the pod's network:
    /// its hostname, and its IP and host ports once they are known.
    pub(super) fn network_labels(&self) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::new();
        if !self.network.held_by_container {
            return labels;
        }
        labels.insert(LABEL_HOSTNAME.to_string(), self.hostname());
        if !self.pod_ip.is_empty() {
            labels.insert(LABEL_POD_IP.to_string(), self.pod_ip.clone());
        }
        if !self.network.host_ports.is_empty() {
            labels.insert(
                LABEL_HOST_PORTS.to_string(),
                format_host_ports(&self.network.host_ports),
            );
        }
        labels
    }

    /// After a sandbox-free pod's container started: learns the address
    /// and loopback ports the engine gave it, for its restarts.
    pub(super) async fn learn_network(&mut self, id: &str, ip: Option<String>) {
        if !self.network.held_by_container {
            return;
        }
        if self.pod_ip.is_empty()
            && let Some(ip) = ip
        {
            self.pod_ip = ip;
            // The hosts file was written before the engine chose the IP:
            // now it can name the pod (in place, the container sees it).
            if let Some(root) = &self.ctx.volumes_dir {
                let services = crate::kubelet::hosts::services_of(&self.ctx.store);
                let written = crate::kubelet::hosts::prepare(
                    root,
                    &self.pod,
                    &self.pod_ip,
                    &self.hostname(),
                    &services,
                );
                if let Err(error) = written {
                    tracing::warn!(pod = self.full_name(), %error, "cannot name the pod in its hosts file");
                }
            }
        }
        let wanted: Vec<u16> = self
            .slots
            .iter()
            .flat_map(|slot| slot.spec().ports.iter().flatten())
            .filter(|p| p.protocol.as_deref().is_none_or(|p| p == "TCP"))
            .filter_map(|p| u16::try_from(p.container_port).ok())
            .filter(|port| !self.network.host_ports.contains_key(port))
            .collect();
        for port in wanted {
            if let Some(address) = self.ctx.runtime.port_address(id, port).await
                && address.ip().is_loopback()
            {
                self.network.host_ports.insert(port, address.port());
            }
        }
    }

    /// A restart of a sandbox-free pod's container could not have the
    /// pod's host ports or IP back: something took them while the
    /// container was down (a sandbox would have held them). The next start
    /// lets the engine choose again, so the pod runs, at a new port or IP,
    /// rather than fail to start forever.
    pub(super) fn forget_taken_network(&mut self, message: &str) {
        if !self.network.held_by_container {
            return;
        }
        let message = message.to_lowercase();
        let port_taken = message.contains("port is already allocated")
            || (message.contains("bind") && message.contains("address already in use"));
        if port_taken {
            self.network.host_ports.clear();
        } else if message.contains("address already in use") {
            self.pod_ip.clear();
        }
    }

    pub(super) fn hostname(&self) -> String {
        self.pod
            .spec
            .as_ref()
            .and_then(|s| s.hostname.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| self.name().chars().take(63).collect())
    }

    fn sandbox_spec(&self) -> SandboxSpec {
        let mut labels = BTreeMap::new();
        labels.insert(LABEL_POD_UID.to_string(), self.uid().to_string());
        labels.insert(
            LABEL_POD_NAMESPACE.to_string(),
            self.namespace().to_string(),
        );
        labels.insert(LABEL_POD_NAME.to_string(), self.name().to_string());
        labels.insert(LABEL_NODE.to_string(), self.ctx.node.clone());
        labels.insert(LABEL_ROLE.to_string(), ROLE_SANDBOX.to_string());
        let hostname = self.hostname();
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
        if self.sandbox_free() {
            for sandbox in sandboxes {
                // Left by a podium that still ran this pod with a sandbox.
                let _ = self.ctx.runtime.remove_sandbox(&sandbox.id).await;
            }
            self.adopt_container_network(&containers).await;
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

    /// A sandbox-free pod's network from its latest container: its address
    /// while it runs, else the one its labels or the pod's status recorded;
    /// the host ports likewise.
    async fn adopt_container_network(&mut self, containers: &[ContainerInfo]) {
        let latest = containers.iter().max_by_key(|c| {
            (
                c.label(LABEL_RESTART_COUNT)
                    .and_then(|n| n.parse::<i32>().ok())
                    .unwrap_or(0),
                c.started_at,
            )
        });
        self.network.held_by_container = true;
        self.network.ready = true;
        if let Some(latest) = latest {
            self.network.host_ports = latest
                .label(LABEL_HOST_PORTS)
                .map(parse_host_ports)
                .unwrap_or_default();
            let running_ip = latest
                .ip
                .clone()
                .filter(|_| latest.state == ContainerRunState::Running);
            let recorded = latest.label(LABEL_POD_IP).map(str::to_string);
            self.pod_ip = running_ip
                .or(recorded)
                .or_else(|| self.status_pod_ip())
                .unwrap_or_default();
            if latest.state == ContainerRunState::Running {
                let id = latest.id.clone();
                self.learn_network(&id, None).await;
            }
        } else {
            self.pod_ip = self.status_pod_ip().unwrap_or_default();
        }
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
        self.network.held_by_container = false;
        self.network.ready = false;
    }
}
