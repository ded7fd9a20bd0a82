//! Pod sandboxes, as upstream's dockershim made them — for pods of
//! several containers (or with init containers); a pod of one container
//! runs without one (see below).
//!
//! Such a pod gets a pause container on podium's network that holds the
//! pod's network namespace: its IP and every port the pod declares,
//! published on 127.0.0.1 ephemeral ports. The app containers join that
//! namespace (`network_mode: container:<sandbox>`), so they share
//! `localhost` and the pod's IP, and an app container that crashes and is
//! recreated comes back at the same address with the same published ports
//! — the pod's IP and the loopback ports probes and Services use do not
//! move. (Publishing from the app containers themselves would change both
//! on every restart, and Docker cannot publish ports from a container that
//! joined another's namespace.)
//!
//! A pod of one container shares its namespace with nobody, and the pause
//! container would double the engine's work per pod (create, start,
//! inspect, network endpoint). Its container sits on podium's network
//! itself; on podium's own subnet the engine gives a recreated container a
//! fixed address, and the kubelet asks for the address and loopback ports
//! of the first start again (labels `podium.dev/pod-ip` and
//! `podium.dev/host-ports`), so the pod's IP and ports still do not move.

use bollard::query_parameters::InspectContainerOptions;

use super::DockerRuntime;
use super::error::runtime_error;
use super::pause::ensure_pause_image;
use super::spec::{sandbox_body, sandbox_name};
use crate::kubelet::runtime::{RuntimeError, Sandbox, SandboxSpec};

impl DockerRuntime {
    pub(super) async fn create_sandbox(&self, spec: &SandboxSpec) -> Result<Sandbox, RuntimeError> {
        let body = sandbox_body(spec, &self.inner.cluster_id, &self.inner.network_id);
        let name = sandbox_name(spec, 0);
        let id = match self.create_named(&name, body.clone()).await {
            // Someone pruned the pause image since podium started: make it again.
            Err(RuntimeError::Failed { message, .. }) if message.contains("No such image") => {
                ensure_pause_image(&self.inner.docker)
                    .await
                    .map_err(|error| RuntimeError::Failed {
                        operation: "run sandbox",
                        message: error.to_string(),
                    })?;
                self.create_named(&name, body).await?
            }
            other => other?,
        };
        if let Err(error) = self.start(&id).await {
            // A sandbox that cannot start is of no use to anyone.
            let _ = self.remove(&id).await;
            return Err(error);
        }
        let inspected = self
            .inner
            .docker
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await
            .map_err(runtime_error("inspect sandbox", &id))?;
        let info = super::inspect::container_info(inspected, &self.inner.network_id, String::new());
        match info.ip {
            Some(ip) => Ok(Sandbox { id, ip }),
            None => {
                let _ = self.remove(&id).await;
                Err(RuntimeError::Failed {
                    operation: "run sandbox",
                    message: format!(
                        "the sandbox of pod {}/{} got no address on podium's network",
                        spec.pod_namespace, spec.pod_name
                    ),
                })
            }
        }
    }
}
