//! Traffic on loopback with real Docker and the real kubectl: Services
//! (NodePort, LoadBalancer, the ClusterIP host port), the Ingress router,
//! and zero failed requests through both while a Deployment rolls.
//! The images are the local workload (`podium images demo`); nothing is pulled.

#[path = "../docker/cluster.rs"]
#[allow(dead_code)]
mod cluster;
#[path = "../common/mod.rs"]
mod common;

mod client;
mod in_cluster;
mod ingress;
mod rollout;
mod services;
mod stateful;

use cluster::DockerPodium;
use common::Podium;

/// A podium on Docker whose Ingress router takes a free port.
pub struct TrafficPodium {
    pub podium: DockerPodium,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for TrafficPodium {
    type Target = Podium;
    fn deref(&self) -> &Podium {
        &self.podium
    }
}

impl TrafficPodium {
    pub fn start() -> TrafficPodium {
        cluster::require_images();
        let dir = tempfile::tempdir().expect("tempdir");
        let podium = Podium::launch(
            dir.path(),
            "docker",
            &["--ingress-listen", "127.0.0.1:0"],
            &[],
        );
        TrafficPodium {
            podium: DockerPodium::adopt(podium),
            _dir: dir,
        }
    }

    /// podium's data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The address an Ingress's status carries, as `ip:port`.
    pub fn ingress_address(&self, name: &str) -> String {
        self.wait_for(
            &[
                "get",
                "ingress",
                name,
                "-o",
                "jsonpath={.status.loadBalancer.ingress[0].ip}:{.status.loadBalancer.ingress[0].ports[0].port}",
            ],
            std::time::Duration::from_secs(20),
            |out| !out.starts_with(':') && !out.ends_with(':'),
        )
    }

    /// Waits for a Deployment to have all its replicas ready.
    pub fn rollout(&self, deployment: &str) {
        self.ok(&[
            "rollout",
            "status",
            &format!("deployment/{deployment}"),
            "--timeout=120s",
        ]);
    }
}
