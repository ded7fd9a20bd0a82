//! The kubelet: pod lifecycle per node over a `Runtime` (Docker or sim).
//!
//! - [`Kubelet::start`] registers a Node and runs the pods bound to it: one
//!   worker per pod, driven by the store's watch and the runtime's event
//!   stream (no polling), with timers only for probes and back-offs.
//! - [`Runtime`] is the container engine seam; [`SimRuntime`] is the
//!   in-memory engine (see [`sim`] for its latencies and fault annotations).
//! - [`NodeLogs`] serves `kubectl logs` for every node ([`PodLogs`], the
//!   seam the API server's `pods/log` subresource and the console call),
//!   and routes `exec` and a pod port's loopback address the same way.

mod access;
mod backoff;
pub mod docker;
mod engine;
mod env;
mod format;
pub mod hosts;
pub mod ipam;
pub mod lease;
mod logs;
mod manager;
mod node;
pub mod probe;
pub mod runtime;
pub mod sim;
mod slot;
mod status;
pub mod usage;
mod volumes;
mod worker;

pub use format::go_duration;
pub use logs::NodeLogs;
pub use manager::Kubelet;
pub use node::{KUBELET_VERSION, NodeConfig};
pub use runtime::{
    ContainerId, ContainerInfo, ContainerRunState, ContainerSpec, ExecChunk, ExecOutput,
    ExecRequest, ExecSession, ImageInfo, LogRequest, Mount, PortSpec, PullProgress, PullProgressFn,
    ResourceLimits, Runtime, RuntimeError, RuntimeEvent, RuntimeEventKind, Sandbox, SandboxSpec,
};
pub use sim::SimRuntime;

use bytes::Bytes;
use futures::stream::BoxStream;

/// What `kubectl logs` asks for.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// The container; may be omitted when the pod has exactly one.
    pub container: Option<String>,
    pub follow: bool,
    pub previous: bool,
    pub timestamps: bool,
    pub tail_lines: Option<i64>,
    pub since_seconds: Option<i64>,
    pub limit_bytes: Option<i64>,
}

/// Why logs cannot be served; the API server answers these as 400/404.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("pods \"{pod}\" not found")]
    PodNotFound { pod: String },
    #[error("container {container} is not valid for pod {pod}")]
    ContainerNotFound { pod: String, container: String },
    #[error(
        "a container name must be specified for pod {pod}, choose one of: [{}]",
        choices.join(" ")
    )]
    ContainerRequired { pod: String, choices: Vec<String> },
    #[error("container \"{container}\" in pod \"{pod}\" is waiting to start: {reason}")]
    NotStarted {
        pod: String,
        container: String,
        reason: String,
    },
    #[error("previous terminated container \"{container}\" in pod \"{pod}\" not found")]
    NoPrevious { pod: String, container: String },
    #[error("{0}")]
    Runtime(String),
}

/// Streams a container's log as raw bytes (lines, `\n`-terminated).
#[async_trait::async_trait]
pub trait PodLogs: Send + Sync {
    async fn logs(
        &self,
        namespace: &str,
        pod: &str,
        options: LogOptions,
    ) -> Result<BoxStream<'static, Bytes>, LogError>;

    /// Starts `kubectl exec` in a running container of a pod.
    async fn exec(
        &self,
        _namespace: &str,
        pod: &str,
        _container: Option<&str>,
        _request: &ExecRequest,
    ) -> Result<ExecSession, LogError> {
        Err(LogError::Runtime(format!(
            "exec into pod {pod} is not available here"
        )))
    }

    /// What each container of a running pod uses now (metrics.k8s.io);
    /// `None` when the pod is not running or has no figures yet.
    async fn pod_usage(
        &self,
        _pod: &k8s_openapi::api::core::v1::Pod,
    ) -> Option<Vec<(String, usage::Usage)>> {
        None
    }

    /// Where `port` of a running pod is reachable on loopback (port-forward).
    async fn port_address(
        &self,
        _namespace: &str,
        _pod: &str,
        _port: u16,
    ) -> Option<std::net::SocketAddr> {
        None
    }
}
