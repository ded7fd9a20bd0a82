//! What the tests share: a cluster of their own on the engine, pods and
//! specs for it, and ways to wait on events, HTTP and logs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use podium::kubelet::docker::{DockerOptions, DockerRuntime};
use podium::kubelet::runtime::{
    ContainerSpec, LABEL_CLUSTER, LABEL_CONTAINER_NAME, LABEL_NODE, LABEL_POD_NAME,
    LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_RESTART_COUNT, LABEL_ROLE, LogRequest, PortSpec,
    ROLE_CONTAINER, ROLE_SANDBOX, Runtime, RuntimeEvent, SandboxSpec,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The workload image `./scripts/test` imports (busybox at /bin/busybox).
pub const IMAGE: &str = "podium/echo:1.0";
pub const WAIT: Duration = Duration::from_secs(20);

pub fn docker_cli(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

pub fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// A busybox shell command, independent of the image's own entrypoint.
pub fn shell(script: &str) -> Vec<String> {
    strings(&["/bin/busybox", "sh", "-c", script])
}

/// One podium's view of the engine: its own cluster id. Whatever a test
/// leaves behind (it failed half-way) is removed on drop.
pub struct Cluster {
    pub runtime: DockerRuntime,
    pub id: String,
}

impl Cluster {
    pub async fn new(test: &str) -> Cluster {
        let id = format!(
            "test-{test}-{}-{:06x}",
            std::process::id(),
            rand::random::<u32>() >> 8
        );
        let runtime = DockerRuntime::connect(DockerOptions {
            cluster_id: id.clone(),
        })
        .await
        .expect("connect to the Docker engine");
        let present = runtime.image_present(IMAGE).await.expect("inspect image");
        assert!(
            present.is_some(),
            "the test image {IMAGE} is missing: run ./scripts/test, which imports it"
        );
        Cluster { runtime, id }
    }

    fn labels(&self, pod: &Pod, role: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (LABEL_POD_UID.to_string(), pod.uid.clone()),
            (LABEL_POD_NAMESPACE.to_string(), "default".to_string()),
            (LABEL_POD_NAME.to_string(), pod.name.clone()),
            (LABEL_NODE.to_string(), "node-1".to_string()),
            (LABEL_ROLE.to_string(), role.to_string()),
        ])
    }

    pub fn sandbox_spec(&self, pod: &Pod, ports: &[u16]) -> SandboxSpec {
        SandboxSpec {
            pod_uid: pod.uid.clone(),
            pod_namespace: "default".to_string(),
            pod_name: pod.name.clone(),
            hostname: pod.name.clone(),
            ports: ports.iter().map(|port| tcp(*port)).collect(),
            labels: self.labels(pod, ROLE_SANDBOX),
        }
    }

    pub fn container_spec(&self, pod: &Pod, name: &str, command: Vec<String>) -> ContainerSpec {
        let mut labels = self.labels(pod, ROLE_CONTAINER);
        labels.insert(LABEL_CONTAINER_NAME.to_string(), name.to_string());
        labels.insert(LABEL_RESTART_COUNT.to_string(), "0".to_string());
        ContainerSpec {
            pod_uid: pod.uid.clone(),
            pod_namespace: "default".to_string(),
            pod_name: pod.name.clone(),
            container_name: name.to_string(),
            image: IMAGE.to_string(),
            command,
            labels,
            ..Default::default()
        }
    }

    /// Creates and starts a container of its own (no sandbox).
    pub async fn run(&self, pod: &Pod, name: &str, command: Vec<String>) -> String {
        let id = self
            .runtime
            .create_container(&self.container_spec(pod, name, command))
            .await
            .expect("create");
        self.runtime.start_container(&id).await.expect("start");
        id
    }

    pub async fn finish(self) {
        let removed = self
            .runtime
            .remove_cluster_containers()
            .await
            .expect("remove this cluster's containers");
        assert!(removed > 0, "the test made containers");
        let left = self.runtime.list_containers().await.expect("list");
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let filter = format!("label={LABEL_CLUSTER}={}", self.id);
        if let Ok(output) = Command::new("docker")
            .args(["ps", "-aq", "--filter", &filter])
            .output()
        {
            let ids = String::from_utf8_lossy(&output.stdout).to_string();
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args(["rm", "-f"])
                    .args(&ids)
                    .output();
            }
        }
        // Service address networks a failed test left.
        if let Ok(output) = Command::new("docker")
            .args(["network", "ls", "-q", "--filter", &filter])
            .output()
        {
            let ids = String::from_utf8_lossy(&output.stdout).to_string();
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args(["network", "rm"])
                    .args(&ids)
                    .output();
            }
        }
    }
}

/// A container started with plain `docker run`: no podium labels.
/// Removed on drop.
pub struct PlainContainer(pub String);

impl PlainContainer {
    pub fn run() -> PlainContainer {
        let name = format!("podium-test-plain-{}", std::process::id());
        let args = ["run", "-d", "--name", &name, "--entrypoint", "/bin/busybox"];
        PlainContainer(docker_cli(&[&args[..], &[IMAGE, "sleep", "3600"]].concat()))
    }
}

impl Drop for PlainContainer {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

pub struct Pod {
    pub name: String,
    pub uid: String,
}

pub fn pod(name: &str) -> Pod {
    Pod {
        name: name.to_string(),
        uid: format!("{:032x}", rand::random::<u128>()),
    }
}

pub fn tcp(port: u16) -> PortSpec {
    PortSpec {
        container_port: port,
        protocol: "TCP".to_string(),
        name: None,
    }
}

/// The next event about `id`, skipping others.
pub async fn next_event(events: &mut BoxStream<'static, RuntimeEvent>, id: &str) -> RuntimeEvent {
    let found = tokio::time::timeout(WAIT, async {
        loop {
            let event = events.next().await.expect("the event stream ended");
            if event.container_id == id {
                return event;
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no event for {id} within {WAIT:?}"))
}

/// A plain HTTP/1.0 GET; the whole response.
async fn http_get(address: SocketAddr) -> std::io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: test\r\n\r\n")
        .await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    Ok(String::from_utf8_lossy(&response).to_string())
}

/// Retries a GET until it answers 200 (the server may still be starting).
pub async fn get_when_up(address: SocketAddr) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        match http_get(address).await {
            Ok(response) if response.starts_with("HTTP/1.") && response.contains(" 200 ") => {
                return response;
            }
            other if Instant::now() > deadline => panic!("GET {address}: {other:?}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Collects a log stream until `wanted` shows up.
pub async fn read_until(lines: &mut BoxStream<'static, Bytes>, wanted: &str) -> String {
    let mut text = String::new();
    let found = tokio::time::timeout(WAIT, async {
        while let Some(chunk) = lines.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains(wanted) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "{wanted:?} not in {text:?}");
    text
}

pub async fn logs_text(runtime: &DockerRuntime, id: &str, request: LogRequest) -> String {
    let lines: Vec<Bytes> = runtime
        .logs(id, &request)
        .await
        .expect("logs")
        .collect()
        .await;
    lines
        .iter()
        .map(|chunk| String::from_utf8_lossy(chunk).to_string())
        .collect()
}
