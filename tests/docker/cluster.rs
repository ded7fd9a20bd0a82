//! A podium on the local Docker engine, plus what the tests ask Docker.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::Podium;

pub const IMAGE_V1: &str = "podium/echo:1.0";
pub const IMAGE_V2: &str = "podium/echo:2.0";

/// A podium on Docker; dropping it kills podium and removes its containers.
pub struct DockerPodium {
    pub podium: Podium,
    pub cluster_id: String,
}

impl std::ops::Deref for DockerPodium {
    type Target = Podium;
    fn deref(&self) -> &Podium {
        &self.podium
    }
}

impl std::ops::DerefMut for DockerPodium {
    fn deref_mut(&mut self) -> &mut Podium {
        &mut self.podium
    }
}

impl DockerPodium {
    pub fn start() -> DockerPodium {
        require_images();
        DockerPodium::adopt(Podium::start_docker())
    }

    /// `podium serve --runtime docker` with extra flags and environment.
    pub fn start_with(extra: &[&str], env: &[(&str, &str)]) -> DockerPodium {
        require_images();
        DockerPodium::adopt(Podium::start_docker_with(extra, env))
    }

    /// Wraps a podium started some other way (a restart, a DOCKER_HOST).
    pub fn adopt(podium: Podium) -> DockerPodium {
        let cluster_id = std::fs::read_to_string(podium.data_dir.join("cluster-id"))
            .expect("podium wrote its cluster id")
            .trim()
            .to_string();
        DockerPodium { podium, cluster_id }
    }

    /// `docker ps` of this cluster's containers (not sandboxes), running only.
    pub fn running_containers(&self) -> Vec<String> {
        docker_lines(&[
            "ps",
            "--filter",
            &format!("label=podium.dev/cluster={}", self.cluster_id),
            "--filter",
            "label=podium.dev/role=container",
            "--format",
            "{{.ID}} {{.Image}} {{.Label \"podium.dev/pod-name\"}} {{.Label \"podium.dev/pod-uid\"}}",
        ])
    }

    /// Every container of this cluster, sandboxes included, in any state.
    pub fn all_containers(&self) -> Vec<String> {
        docker_lines(&[
            "ps",
            "-a",
            "--filter",
            &format!("label=podium.dev/cluster={}", self.cluster_id),
            "--format",
            "{{.ID}} {{.Names}}",
        ])
    }

    /// Waits until `check` holds for this cluster's running app containers.
    pub fn wait_containers(&self, timeout: Duration, check: impl Fn(&[String]) -> bool) {
        let start = Instant::now();
        loop {
            let containers = self.running_containers();
            if check(&containers) {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out after {timeout:?}; docker ps shows:\n{}",
                containers.join("\n")
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for DockerPodium {
    fn drop(&mut self) {
        self.podium.kill_9();
        remove_cluster(&self.cluster_id);
    }
}

/// Removes every container and network a cluster left (tests clean up after themselves).
pub fn remove_cluster(cluster_id: &str) {
    let ids = docker_lines(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=podium.dev/cluster={cluster_id}"),
    ]);
    if !ids.is_empty() {
        let _ = Command::new("docker")
            .args(["rm", "-f"])
            .args(&ids)
            .output();
    }
    // The Service address networks (they hold ClusterIPs on the host).
    let networks = docker_lines(&[
        "network",
        "ls",
        "-q",
        "--filter",
        &format!("label=podium.dev/cluster={cluster_id}"),
    ]);
    if !networks.is_empty() {
        let _ = Command::new("docker")
            .args(["network", "rm"])
            .args(&networks)
            .output();
    }
}

pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "docker {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn docker_lines(args: &[&str]) -> Vec<String> {
    docker(args)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// The local images must be there: `./scripts/test` imports them.
pub fn require_images() {
    for image in [IMAGE_V1, IMAGE_V2] {
        let present = Command::new("docker")
            .args(["image", "inspect", image])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            present,
            "the local image {image} is missing; run ./scripts/test (or `podium images demo`) to import it"
        );
    }
}

/// A field of a pod through kubectl's jsonpath.
pub fn pod_field(podium: &Podium, pod: &str, path: &str) -> String {
    podium.ok(&["get", "pod", pod, "-o", &format!("jsonpath={{{path}}}")])
}

/// The names of the pods with label `selector`.
pub fn pod_names(podium: &Podium, selector: &str) -> Vec<String> {
    podium
        .ok(&[
            "get",
            "pods",
            "-l",
            selector,
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ])
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The rollout tests' Deployment `web`: 5 replicas of `podium/echo:1.0`,
/// surge 1, unavailable 1, an httpGet readiness probe on 8080 every
/// second; `container_extra` (YAML at the container's indentation) adds
/// ports or env.
pub fn web_deployment(container_extra: &str) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 5
  selector:
    matchLabels: {{app: web}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 1, maxUnavailable: 1}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: echo
        image: podium/echo:1.0
{container_extra}        readinessProbe:
          httpGet: {{path: /, port: 8080}}
          periodSeconds: 1
"#
    )
}
