//! The Docker runtime: the only module that names bollard.
//!
//! - [`DockerRuntime::connect`] reaches the local engine (`DOCKER_HOST`
//!   honoured, API version negotiated), makes sure podium's bridge network
//!   and pause image exist, and remembers the engine's version.
//! - A pod of several containers runs as dockershim ran it: a sandbox
//!   (pause container) holds the network namespace, app containers join it
//!   (see [`sandbox`] for why). A pod of one container needs no shared
//!   namespace: its container sits on podium's network itself, at a fixed
//!   IP with fixed loopback ports across restarts (half the engine's work
//!   per pod). Names follow dockershim (`k8s_POD_…`, `k8s_<container>_…`).
//! - Every object carries podium's labels; this runtime lists, watches and
//!   removes only what carries its own cluster id, so several podiums (or
//!   test processes) share one engine, and containers podium did not
//!   create are never touched.
//! - Status is driven by one Docker event stream per subscriber
//!   ([`events`]); logs and exec are Docker's streams. Nothing polls.
//! - An engine that does not answer makes every operation fail with
//!   `RuntimeError::Unavailable` and ends the event streams.

mod connect;
mod containers;
mod error;
mod events;
mod exec;
mod images;
mod import;
mod inspect;
mod local_image;
mod logs;
mod network;
mod pause;
mod ports;
mod sandbox;
mod service_network;
mod spec;
mod stats;
mod tcp_probe;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;
use bytes::Bytes;
use futures::stream::BoxStream;
use parking_lot::Mutex;

pub use error::DockerError;
pub use import::import_image;
pub use local_image::{LocalImage, local_image};
pub use network::NETWORK;
pub use pause::PAUSE_IMAGE;

use super::probe::{self, ProbeAction, ProbeKind, ProbeOutcome};
use super::runtime::{
    ContainerId, ContainerInfo, ContainerSpec, ExecOutput, ExecRequest, ExecSession, ImageInfo,
    LogRequest, PullProgressFn, Runtime, RuntimeError, RuntimeEvent, Sandbox, SandboxSpec,
};
use error::failed;

/// How long a ping may take before the engine counts as unreachable.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// What the Docker runtime needs to know about its podium.
#[derive(Debug, Clone)]
pub struct DockerOptions {
    /// The id this podium's objects carry in `podium.dev/cluster`.
    pub cluster_id: String,
}

/// The Docker runtime. Cheap to clone.
#[derive(Clone)]
pub struct DockerRuntime {
    inner: Arc<Inner>,
}

struct Inner {
    docker: Docker,
    version: String,
    cluster_id: String,
    /// podium's network, by id (robust against a second network of the
    /// same name).
    network_id: String,
    ports: ports::PortCache,
    /// Docker image id → the imageID the kubelet reports.
    image_ids: Mutex<HashMap<String, String>>,
    /// Containers whose last run Docker's `oom` event reported killed. The
    /// engine can send that event after `die`, too late for the state it
    /// keeps, so inspection consults this as well (see [`events`]).
    oom_killed: Mutex<HashSet<String>>,
    /// Whether the host routes to pod addresses (podium's network's
    /// gateway is a local address: Linux; not Docker Desktop's VM).
    pod_ips_routed: bool,
    /// Each running container's latest use, from its stats stream.
    stats: stats::StatsCache,
}

impl DockerRuntime {
    /// Connects with local defaults (`DOCKER_HOST` honoured), negotiates
    /// the API version, and makes sure podium's network and pause image
    /// exist. Fails with one clear message when no engine answers.
    pub async fn connect(options: DockerOptions) -> Result<DockerRuntime, DockerError> {
        let engine = connect::connect_engine().await?;
        let network_id = network::ensure_network(&engine.docker).await?;
        pause::ensure_pause_image(&engine.docker).await?;
        Ok(DockerRuntime {
            inner: Arc::new(Inner {
                docker: engine.docker,
                version: engine.version,
                cluster_id: options.cluster_id,
                network_id,
                ports: ports::PortCache::default(),
                image_ids: Mutex::new(HashMap::new()),
                oom_killed: Mutex::new(HashSet::new()),
                pod_ips_routed: network::gateway_is_local(),
                stats: stats::StatsCache::default(),
            }),
        })
    }

    /// Kills and removes every container and sandbox of this cluster (for
    /// `podium reset`), then its Service address networks; returns how
    /// many containers. Others' containers and networks stay.
    pub async fn remove_cluster_containers(&self) -> Result<usize, DockerError> {
        let ids = self
            .cluster_container_ids()
            .await
            .map_err(DockerError::runtime("list containers"))?;
        // App containers come first: a sandbox goes once nothing uses its namespace.
        let mut removed = 0;
        for id in &ids {
            self.remove(id)
                .await
                .map_err(DockerError::runtime("remove container"))?;
            removed += 1;
        }
        for ip in self
            .service_addresses()
            .await
            .map_err(DockerError::runtime("list networks"))?
        {
            self.remove_service_address(ip)
                .await
                .map_err(DockerError::runtime("remove network"))?;
        }
        Ok(removed)
    }

    /// The cluster id this runtime's objects carry.
    pub fn cluster_id(&self) -> &str {
        &self.inner.cluster_id
    }
}

#[async_trait::async_trait]
impl Runtime for DockerRuntime {
    async fn container_usage(&self, id: &str) -> Option<crate::kubelet::usage::Usage> {
        self.inner.stats.usage(&self.inner.docker, id)
    }

    fn name(&self) -> &str {
        "docker"
    }

    fn version(&self) -> String {
        self.inner.version.clone()
    }

    async fn image_present(&self, image: &str) -> Result<Option<ImageInfo>, RuntimeError> {
        self.present(image).await
    }

    async fn pull_image(
        &self,
        image: &str,
        progress: &PullProgressFn,
    ) -> Result<ImageInfo, RuntimeError> {
        self.pull(image, progress).await
    }

    async fn ping(&self) -> Result<(), RuntimeError> {
        match tokio::time::timeout(PING_TIMEOUT, self.inner.docker.ping()).await {
            Ok(answer) => answer.map(|_| ()).map_err(failed("ping")),
            Err(_) => Err(RuntimeError::Unavailable(format!(
                "the engine did not answer a ping within {PING_TIMEOUT:?}"
            ))),
        }
    }

    fn uses_sandboxes(&self) -> bool {
        true
    }

    fn sandbox_free_single_container_pods(&self) -> bool {
        true
    }

    async fn run_sandbox(&self, spec: &SandboxSpec) -> Result<Option<Sandbox>, RuntimeError> {
        self.create_sandbox(spec).await.map(Some)
    }

    async fn remove_sandbox(&self, id: &str) -> Result<(), RuntimeError> {
        self.remove(id).await
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<ContainerId, RuntimeError> {
        let body = spec::container_body(spec, &self.inner.cluster_id, &self.inner.network_id);
        self.create_named(&spec::container_name(spec), body).await
    }

    async fn start_container(&self, id: &str) -> Result<(), RuntimeError> {
        self.start(id).await
    }

    async fn stop_container(&self, id: &str, grace: Duration) -> Result<(), RuntimeError> {
        self.stop(id, grace).await
    }

    async fn remove_container(&self, id: &str) -> Result<(), RuntimeError> {
        self.remove(id).await
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerInfo, RuntimeError> {
        self.inspect(id).await
    }

    async fn list_containers(&self) -> Result<Vec<ContainerInfo>, RuntimeError> {
        self.list().await
    }

    async fn logs(
        &self,
        id: &str,
        request: &LogRequest,
    ) -> Result<BoxStream<'static, Bytes>, RuntimeError> {
        self.log_stream(id, request).await
    }

    async fn exec(&self, id: &str, command: &[String]) -> Result<ExecOutput, RuntimeError> {
        self.exec_once(id, command).await
    }

    async fn exec_session(
        &self,
        id: &str,
        request: &ExecRequest,
    ) -> Result<ExecSession, RuntimeError> {
        self.exec_interactive(id, request).await
    }

    fn events(&self) -> BoxStream<'static, RuntimeEvent> {
        self.subscribe()
    }

    async fn ensure_service_address(&self, ip: std::net::Ipv4Addr) -> Result<bool, RuntimeError> {
        service_network::ensure(&self.inner.docker, &self.inner.cluster_id, ip).await?;
        Ok(true)
    }

    async fn remove_service_address(&self, ip: std::net::Ipv4Addr) -> Result<(), RuntimeError> {
        service_network::remove(&self.inner.docker, &self.inner.cluster_id, ip).await
    }

    async fn service_addresses(&self) -> Result<Vec<std::net::Ipv4Addr>, RuntimeError> {
        let networks = service_network::list(&self.inner.docker, &self.inner.cluster_id).await?;
        Ok(networks.into_keys().collect())
    }

    async fn port_address(&self, id: &str, container_port: u16) -> Option<SocketAddr> {
        self.published_address(id, container_port).await
    }

    async fn traffic_address(&self, id: &str, container_port: u16) -> Option<SocketAddr> {
        if self.inner.pod_ips_routed {
            self.routed_address(id, container_port).await
        } else {
            self.published_address(id, container_port).await
        }
    }

    /// HTTP and exec probes as by default; TCP ones see through Docker's
    /// port proxy (see [`tcp_probe`]).
    async fn probe(
        &self,
        id: &str,
        _kind: ProbeKind,
        action: &ProbeAction,
        timeout: Duration,
    ) -> ProbeOutcome {
        match action {
            ProbeAction::Tcp { host, port } | ProbeAction::Grpc { host, port } => {
                self.tcp_probe(id, host, *port, timeout).await
            }
            _ => probe::run_default(self, id, action, timeout).await,
        }
    }
}
