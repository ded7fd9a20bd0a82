//! Reaching into a pod for the API server and the network layer: the
//! loopback address of a pod's port (Services, port-forward, Ingress) and
//! `kubectl exec`. Routed, like logs, to the runtime of the pod's node.

use std::net::SocketAddr;

use k8s_openapi::api::core::v1::Pod;

use super::logs::{container_status, raw_id};
use super::runtime::{ExecRequest, ExecSession};
use super::{LogError, NodeLogs};

/// Which address of a pod's port is wanted.
#[derive(Clone, Copy)]
enum Reach {
    /// The loopback one (probes, port-forward).
    Loopback,
    /// The one traffic should take.
    Traffic,
}

impl NodeLogs {
    /// Where `port` of a running pod is reachable on loopback: the
    /// container that declares it (else the first running one) asked
    /// through its runtime. `None` when the pod does not run.
    pub async fn pod_port_address(
        &self,
        namespace: &str,
        pod_name: &str,
        port: u16,
    ) -> Option<SocketAddr> {
        self.pod_address(namespace, pod_name, port, Reach::Loopback)
            .await
    }

    /// Where Services and the Ingress send traffic for `port` of a
    /// running pod (see `Runtime::traffic_address`).
    pub async fn pod_traffic_address(
        &self,
        namespace: &str,
        pod_name: &str,
        port: u16,
    ) -> Option<SocketAddr> {
        self.pod_address(namespace, pod_name, port, Reach::Traffic)
            .await
    }

    async fn pod_address(
        &self,
        namespace: &str,
        pod_name: &str,
        port: u16,
        reach: Reach,
    ) -> Option<SocketAddr> {
        let pod = self.store().get_as::<Pod>(namespace, pod_name)?;
        let runtime = self.runtime_of(&pod)?;
        let containers = &pod.spec.as_ref()?.containers;
        let declaring = containers.iter().find(|c| {
            c.ports
                .iter()
                .flatten()
                .any(|p| p.container_port == i32::from(port))
        });
        let candidates = declaring.into_iter().chain(containers.iter());
        for container in candidates {
            let Some(status) = container_status(&pod, &container.name) else {
                continue;
            };
            let running = status.state.as_ref().is_some_and(|s| s.running.is_some());
            let Some(id) = status.container_id.as_deref().filter(|_| running) else {
                continue;
            };
            let address = match reach {
                Reach::Loopback => runtime.port_address(raw_id(id), port).await,
                Reach::Traffic => runtime.traffic_address(raw_id(id), port).await,
            };
            if let Some(address) = address {
                return Some(address);
            }
        }
        None
    }

    /// Starts `kubectl exec` in a running container of a pod.
    pub async fn exec(
        &self,
        namespace: &str,
        pod_name: &str,
        container: Option<&str>,
        request: &ExecRequest,
    ) -> Result<ExecSession, LogError> {
        let (pod, container) = self.resolve(namespace, pod_name, container)?;
        let status = container_status(&pod, &container);
        let running = status
            .as_ref()
            .and_then(|s| s.state.as_ref())
            .is_some_and(|s| s.running.is_some());
        let id = status
            .as_ref()
            .and_then(|s| s.container_id.clone())
            .filter(|_| running)
            .ok_or_else(|| not_running(&container))?;
        let runtime = self
            .runtime_of(&pod)
            .ok_or_else(|| not_running(&container))?;
        runtime
            .exec_session(raw_id(&id), request)
            .await
            .map_err(|e| LogError::Runtime(e.to_string()))
    }
}

/// What upstream answers when exec targets a container that does not run.
fn not_running(container: &str) -> LogError {
    LogError::Runtime(format!(
        "unable to upgrade connection: container not found (\"{container}\")"
    ))
}
