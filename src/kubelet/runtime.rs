//! The `Runtime` trait: what the kubelet needs from a container engine.
//! Shaped after Docker's API (bollard): images are pulled with progress,
//! containers are created from a spec, started, stopped with a grace period
//! (SIGTERM, then SIGKILL), inspected, removed, and report their changes on
//! an event stream that drives the kubelet.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use k8s_openapi::jiff::Timestamp;

use super::probe::{self, ProbeAction, ProbeOutcome};

/// Labels every container podium creates carries; re-adoption and cleanup
/// only ever touch containers that have them.
pub const LABEL_MANAGED: &str = "podium.dev/managed";
pub const LABEL_POD_UID: &str = "podium.dev/pod-uid";
pub const LABEL_POD_NAMESPACE: &str = "podium.dev/pod-namespace";
pub const LABEL_POD_NAME: &str = "podium.dev/pod-name";
pub const LABEL_CONTAINER_NAME: &str = "podium.dev/container-name";
pub const LABEL_RESTART_COUNT: &str = "podium.dev/restart-count";
pub const LABEL_NODE: &str = "podium.dev/node";
/// Which podium (one per data directory) owns the object; a runtime only
/// lists, watches and removes what carries its own cluster id.
pub const LABEL_CLUSTER: &str = "podium.dev/cluster";
/// `sandbox` on a pod's sandbox, `container` on its containers.
pub const LABEL_ROLE: &str = "podium.dev/role";
pub const ROLE_SANDBOX: &str = "sandbox";
pub const ROLE_CONTAINER: &str = "container";
/// On the container of a pod without a sandbox (see
/// [`Runtime::sandbox_free_single_container_pods`]): the pod's IP, which the
/// container takes on podium's network. Absent on the pod's first
/// container, which gets an address from the engine.
pub const LABEL_POD_IP: &str = "podium.dev/pod-ip";
/// With [`LABEL_POD_IP`]: the loopback host ports the pod's ports were
/// published on, `8080=49153,9090=49154`, published again on a restart so
/// that probes, Services and port-forwards keep their addresses.
pub const LABEL_HOST_PORTS: &str = "podium.dev/host-ports";

/// With [`LABEL_POD_IP`]: the pod's hostname, which the container takes
/// (a sandbox carries it otherwise).
pub const LABEL_HOSTNAME: &str = "podium.dev/hostname";

/// [`LABEL_HOST_PORTS`]'s value for container port → host port pairs.
pub fn format_host_ports(ports: &BTreeMap<u16, u16>) -> String {
    ports
        .iter()
        .map(|(container, host)| format!("{container}={host}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The pairs in a [`LABEL_HOST_PORTS`] value; malformed ones are skipped.
pub fn parse_host_ports(text: &str) -> BTreeMap<u16, u16> {
    text.split(',')
        .filter_map(|pair| {
            let (container, host) = pair.split_once('=')?;
            Some((container.trim().parse().ok()?, host.trim().parse().ok()?))
        })
        .collect()
}

/// A runtime's id for one container (without the `scheme://` prefix).
pub type ContainerId = String;

/// Why a runtime operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuntimeError {
    #[error("{0}")]
    ImagePull(String),
    #[error("no such container: {0}")]
    NoSuchContainer(String),
    /// The engine does not answer (stopped, socket gone): the node turns
    /// NotReady until it is back.
    #[error("the container engine is not reachable: {0}")]
    Unavailable(String),
    #[error("{operation} is not supported by this runtime")]
    Unsupported { operation: &'static str },
    #[error("{operation} failed: {message}")]
    Failed {
        operation: &'static str,
        message: String,
    },
}

/// One port a container declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub container_port: u16,
    /// "TCP", "UDP" or "SCTP".
    pub protocol: String,
    pub name: Option<String>,
}

/// Resource limits passed to the engine (Docker: NanoCpus, Memory).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceLimits {
    pub cpu_millis: Option<i64>,
    pub memory_bytes: Option<i64>,
}

/// A directory the kubelet prepared on the host, mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub host_path: PathBuf,
    pub container_path: String,
    pub read_only: bool,
}

/// A pod's sandbox: the container that holds the pod's network namespace
/// (its IP and published ports), so that app containers can restart
/// without the pod changing address.
#[derive(Debug, Clone, Default)]
pub struct SandboxSpec {
    pub pod_uid: String,
    pub pod_namespace: String,
    pub pod_name: String,
    /// The pod's hostname (the pod name unless spec.hostname says otherwise).
    pub hostname: String,
    /// Every port any container of the pod declares; Docker publishes them
    /// on 127.0.0.1 ephemeral ports from the sandbox.
    pub ports: Vec<PortSpec>,
    /// The podium labels (`LABEL_*`, with `LABEL_ROLE` = `ROLE_SANDBOX`).
    pub labels: BTreeMap<String, String>,
}

/// A running sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    pub id: ContainerId,
    /// The pod's IP: the sandbox's address on podium's network.
    pub ip: String,
}

/// Everything needed to create one container of a pod.
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    pub pod_uid: String,
    pub pod_namespace: String,
    pub pod_name: String,
    pub container_name: String,
    pub image: String,
    /// Overrides the image's entrypoint when not empty.
    pub command: Vec<String>,
    /// Overrides the image's cmd when not empty.
    pub args: Vec<String>,
    /// Overrides the image's working directory.
    pub working_dir: Option<String>,
    /// Volumes, prepared on the host by the kubelet.
    pub mounts: Vec<Mount>,
    /// The sandbox whose network namespace the container joins; `None`
    /// with runtimes that have no sandboxes (the simulated one).
    pub sandbox: Option<ContainerId>,
    pub env: Vec<(String, String)>,
    pub ports: Vec<PortSpec>,
    pub limits: ResourceLimits,
    /// The podium labels (`LABEL_*`) plus anything the runtime should keep.
    pub labels: BTreeMap<String, String>,
    /// The pod's annotations (the simulated runtime reads its fault
    /// injections here; Docker may ignore them).
    pub annotations: BTreeMap<String, String>,
    pub restart_count: i32,
    /// An init container: it runs to completion before the app containers
    /// start (the simulated runtime ends it by itself after a moment).
    pub init: bool,
}

/// Where a container is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerRunState {
    Created,
    Running,
    Exited,
}

/// What `inspect` and `list_containers` report.
#[derive(Debug, Clone)]
pub struct ContainerInfo {
    pub id: ContainerId,
    pub labels: BTreeMap<String, String>,
    pub image: String,
    /// The image's digest reference, e.g. `docker.io/library/nginx@sha256:…`.
    pub image_id: String,
    pub state: ContainerRunState,
    pub exit_code: Option<i32>,
    pub oom_killed: bool,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// Set when the engine could not start the process.
    pub error: Option<String>,
    /// The address on podium's network of a sandbox, or of a container
    /// that holds its pod's network itself.
    pub ip: Option<String>,
}

impl ContainerInfo {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }

    pub fn is_sandbox(&self) -> bool {
        self.label(LABEL_ROLE) == Some(ROLE_SANDBOX)
    }
}

/// Progress of an image pull, for the console.
#[derive(Debug, Clone)]
pub struct PullProgress {
    pub image: String,
    pub status: String,
    pub current_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
}

/// Called as a pull progresses.
pub type PullProgressFn = dyn Fn(PullProgress) + Send + Sync;

/// A pulled (or present) image.
#[derive(Debug, Clone)]
pub struct ImageInfo {
    pub image_id: String,
    pub size_bytes: u64,
}

/// A change in a container's state, as the engine reports it.
#[derive(Debug, Clone)]
pub struct RuntimeEvent {
    pub container_id: ContainerId,
    pub labels: BTreeMap<String, String>,
    pub kind: RuntimeEventKind,
}

impl RuntimeEvent {
    pub fn pod_uid(&self) -> Option<&str> {
        self.labels.get(LABEL_POD_UID).map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeEventKind {
    Created,
    Started,
    /// The process ended (Docker `die`).
    Died {
        exit_code: i32,
        oom_killed: bool,
    },
    Removed,
}

/// What the kubelet asks of a container's log.
#[derive(Debug, Clone, Default)]
pub struct LogRequest {
    pub follow: bool,
    pub tail_lines: Option<usize>,
    pub timestamps: bool,
    pub since: Option<Timestamp>,
}

/// The result of a one-shot command run in a container.
#[derive(Debug, Clone, Default)]
pub struct ExecOutput {
    pub exit_code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// What `kubectl exec` asks for.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    pub command: Vec<String>,
    pub stdin: bool,
    pub tty: bool,
}

/// Output of an exec session, by stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecChunk {
    Stdout(Bytes),
    Stderr(Bytes),
}

/// A running exec: feed stdin, read output, learn the exit code.
pub struct ExecSession {
    /// Present when stdin was asked for; dropping it closes stdin.
    pub stdin: Option<tokio::sync::mpsc::Sender<Bytes>>,
    /// Terminal size changes (columns, rows), when a TTY was asked for.
    pub resize: Option<tokio::sync::mpsc::Sender<(u16, u16)>>,
    pub output: BoxStream<'static, ExecChunk>,
    /// Resolves with the exit code once the command ended.
    pub exit_code: tokio::sync::oneshot::Receiver<i32>,
}

/// A container engine. All operations are on containers podium labelled.
///
/// Contract the kubelet relies on:
/// - every end of a container's process — a crash, a `stop_container`, an
///   OOM kill — is reported on `events()` as `Died`, after which
///   `inspect_container` reports `Exited` with the exit code, `finished_at`
///   and `oom_killed`;
/// - containers carry `ContainerSpec::labels` so that `list_containers`
///   finds them again after podium restarts (several kubelets may share one
///   engine; `LABEL_NODE` tells whose a container is);
/// - `stop_container` sends SIGTERM, waits at most `grace`, then SIGKILLs;
/// - a sandbox is listed by `list_containers` (with `LABEL_ROLE` =
///   `ROLE_SANDBOX` and its `ip`) and its end is reported as `Died` too;
/// - when the engine stops answering, `events()` ends and operations fail
///   with `RuntimeError::Unavailable`; `ping` tells when it is back.
#[async_trait::async_trait]
pub trait Runtime: Send + Sync {
    /// Short name, used as the containerID scheme (`sim`, `docker`).
    fn name(&self) -> &str;
    /// The engine's version, e.g. `0.1` (node info shows `name://version`).
    fn version(&self) -> String;

    /// The image if present on the machine.
    async fn image_present(&self, image: &str) -> Result<Option<ImageInfo>, RuntimeError>;
    /// Pulls an image, reporting progress.
    async fn pull_image(
        &self,
        image: &str,
        progress: &PullProgressFn,
    ) -> Result<ImageInfo, RuntimeError>;

    /// Answers when the engine is reachable.
    async fn ping(&self) -> Result<(), RuntimeError> {
        Ok(())
    }

    /// Whether pods get a sandbox (`run_sandbox` returns one).
    fn uses_sandboxes(&self) -> bool {
        false
    }

    /// Whether a pod with one container (no init containers) runs without
    /// a sandbox: its container sits on the pod network itself, and is
    /// recreated on a restart with the same IP and the same published
    /// ports, taken from [`LABEL_POD_IP`] and [`LABEL_HOST_PORTS`]. Saves
    /// the engine half its work per pod (Docker: no pause container).
    fn sandbox_free_single_container_pods(&self) -> bool {
        false
    }

    /// Creates and starts a pod's sandbox. `None` from runtimes without
    /// sandboxes: the kubelet then gives the pod an IP from its own pool.
    async fn run_sandbox(&self, _spec: &SandboxSpec) -> Result<Option<Sandbox>, RuntimeError> {
        Ok(None)
    }

    /// Stops (at once) and removes a sandbox.
    async fn remove_sandbox(&self, _id: &str) -> Result<(), RuntimeError> {
        Ok(())
    }

    /// Makes the host own `ip` where pods can reach it, so that net can
    /// listen on a Service's ClusterIP for traffic from inside containers
    /// (Docker: a tiny bridge network whose gateway is `ip`). `false` from
    /// runtimes whose pods cannot reach the host (the simulated one).
    async fn ensure_service_address(&self, _ip: std::net::Ipv4Addr) -> Result<bool, RuntimeError> {
        Ok(false)
    }

    /// Gives a Service address back (its Service is gone).
    async fn remove_service_address(&self, _ip: std::net::Ipv4Addr) -> Result<(), RuntimeError> {
        Ok(())
    }

    /// The Service addresses this cluster holds, from earlier runs too.
    async fn service_addresses(&self) -> Result<Vec<std::net::Ipv4Addr>, RuntimeError> {
        Ok(Vec::new())
    }

    /// What a running container uses now, for metrics.k8s.io; `None`
    /// while the runtime has no figure for it yet.
    async fn container_usage(&self, _id: &str) -> Option<super::usage::Usage> {
        None
    }

    /// Whether containers' use is the simulated load model of their pods'
    /// annotations ([`super::usage::simulated`]) rather than measured.
    fn simulates_usage(&self) -> bool {
        false
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<ContainerId, RuntimeError>;
    async fn start_container(&self, id: &str) -> Result<(), RuntimeError>;
    /// SIGTERM, then SIGKILL after `grace`. Returns once the process ended.
    async fn stop_container(&self, id: &str, grace: Duration) -> Result<(), RuntimeError>;
    async fn remove_container(&self, id: &str) -> Result<(), RuntimeError>;
    async fn inspect_container(&self, id: &str) -> Result<ContainerInfo, RuntimeError>;
    /// All containers (and sandboxes) of this cluster, running or not.
    async fn list_containers(&self) -> Result<Vec<ContainerInfo>, RuntimeError>;

    async fn logs(
        &self,
        id: &str,
        request: &LogRequest,
    ) -> Result<BoxStream<'static, Bytes>, RuntimeError>;

    /// Runs a command to completion in a running container.
    async fn exec(&self, _id: &str, _command: &[String]) -> Result<ExecOutput, RuntimeError> {
        Err(RuntimeError::Unsupported { operation: "exec" })
    }

    /// Starts an interactive command (kubectl exec). The default runs the
    /// command to completion through `exec` and streams what it printed.
    async fn exec_session(
        &self,
        id: &str,
        request: &ExecRequest,
    ) -> Result<ExecSession, RuntimeError> {
        let output = self.exec(id, &request.command).await?;
        let mut chunks = Vec::new();
        if !output.stdout.is_empty() {
            chunks.push(ExecChunk::Stdout(Bytes::from(output.stdout)));
        }
        if !output.stderr.is_empty() {
            chunks.push(ExecChunk::Stderr(Bytes::from(output.stderr)));
        }
        let (exit_tx, exit_code) = tokio::sync::oneshot::channel();
        // The receiver may be gone already; nothing to tell then.
        let _ = exit_tx.send(output.exit_code);
        Ok(ExecSession {
            stdin: None,
            resize: None,
            output: Box::pin(futures::stream::iter(chunks)),
            exit_code,
        })
    }

    /// Container state changes from now on. The kubelet subscribes before
    /// it lists containers, so nothing falls between the two.
    fn events(&self) -> BoxStream<'static, RuntimeEvent>;

    /// The loopback address where `container_port` of a container is
    /// reachable (Docker publishes ports on 127.0.0.1).
    async fn port_address(&self, _id: &str, _container_port: u16) -> Option<SocketAddr> {
        None
    }

    /// Where Services and the Ingress send a container port's traffic:
    /// the pod's own address when the host routes to it (one proxy hop
    /// fewer), else `port_address`.
    async fn traffic_address(&self, id: &str, container_port: u16) -> Option<SocketAddr> {
        self.port_address(id, container_port).await
    }

    /// Runs one probe. The default does real HTTP/TCP against
    /// `port_address` and exec probes through `exec`.
    async fn probe(
        &self,
        id: &str,
        _kind: probe::ProbeKind,
        action: &ProbeAction,
        timeout: Duration,
    ) -> ProbeOutcome {
        probe::run_default(self, id, action, timeout).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ports_survive_their_label() {
        let ports = BTreeMap::from([(8080, 49153), (9090, 49154)]);
        let text = format_host_ports(&ports);
        assert_eq!(text, "8080=49153,9090=49154");
        assert_eq!(parse_host_ports(&text), ports);
        assert_eq!(parse_host_ports(""), BTreeMap::new());
        assert_eq!(parse_host_ports("80=x,81=2"), BTreeMap::from([(81, 2)]));
    }
}
