//! Traffic on loopback: Service listeners (a host port per Service port,
//! NodePort, LoadBalancer) that balance TCP over ready pods, and the
//! Ingress HTTP router. Pods publish their container ports on 127.0.0.1
//! ephemeral ports; everything here reaches them through
//! [`NodeLogs::pod_port_address`].
//!
//! net only reads the store. What must be written back (a LoadBalancer's
//! `status.loadBalancer.ingress`, the Ingress status, the host address
//! annotation, Warning events for ports in use) is published here as a
//! [`ListenerReport`] and written by `controllers::traffic_status`.

pub mod balance;
mod cluster_ips;
mod forward;
pub(crate) mod framing;
mod ingress;
mod prefixed;
mod proxy;
pub mod report;
pub(crate) mod request_head;
pub mod routes;
mod services;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::kubelet::NodeLogs;
use crate::store::Store;

pub use report::{ListenerKind, ListenerReport, ServiceListeners};

/// Where net listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetConfig {
    /// The address NodePorts bind to: 127.0.0.1 unless widened (0.0.0.0).
    pub node_port_address: IpAddr,
    /// The Ingress router; port 0 picks a free one. When the port is taken
    /// the router falls back to a free port and says so.
    pub ingress_listen: SocketAddr,
}

/// The Ingress router's documented default address.
pub const DEFAULT_INGRESS_LISTEN: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8081);

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            node_port_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ingress_listen: DEFAULT_INGRESS_LISTEN,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error(
        "cannot listen on {address} for the Ingress router: {source}; choose another address (e.g. --ingress-listen 127.0.0.1:0)"
    )]
    IngressBind {
        address: SocketAddr,
        source: std::io::Error,
    },
}

/// The running network layer.
pub struct Net {
    /// Where the Ingress router answers.
    pub ingress_addr: SocketAddr,
    /// What is bound and what failed, for the status controller.
    pub reports: watch::Receiver<ListenerReport>,
    /// Said once at start (e.g. the Ingress port was taken).
    pub warnings: Vec<String>,
}

/// What the listeners share: the store to read, the kubelets to ask
/// where a pod's port is.
pub(crate) struct Context {
    pub store: Store,
    pub logs: Arc<NodeLogs>,
    /// Published addresses already asked for, by (namespace, pod, port);
    /// an entry goes when connecting to it fails.
    addresses: parking_lot::Mutex<std::collections::HashMap<balance::Backend, SocketAddr>>,
}

impl Context {
    /// Where a backend pod's port takes traffic: its address on the pod
    /// network where the host routes there (Linux), else its loopback port.
    pub async fn address(&self, backend: &balance::Backend) -> Option<SocketAddr> {
        if let Some(address) = self.addresses.lock().get(backend) {
            return Some(*address);
        }
        let pod = match &backend.target {
            balance::Target::Pod(pod) => pod,
            balance::Target::Address(ip) => return Some(SocketAddr::new(*ip, backend.port)),
        };
        let address = self
            .logs
            .pod_traffic_address(&backend.namespace, pod, backend.port)
            .await?;
        let mut addresses = self.addresses.lock();
        // Pods come and go; forget them all now and then rather than track each.
        if addresses.len() > 4096 {
            addresses.clear();
        }
        addresses.insert(backend.clone(), address);
        Some(address)
    }

    /// Forgets an address that did not answer (its pod may have moved).
    pub fn forget(&self, backend: &balance::Backend) {
        self.addresses.lock().remove(backend);
    }
}

/// Starts the Service listeners and the Ingress router; they stop when
/// `cancel` fires.
pub async fn start(
    store: Store,
    logs: Arc<NodeLogs>,
    config: NetConfig,
    cancel: CancellationToken,
) -> Result<Net, NetError> {
    let context = Arc::new(Context {
        store,
        logs,
        addresses: Default::default(),
    });
    let (report_tx, reports) = watch::channel(ListenerReport::default());
    let report_tx = Arc::new(report_tx);
    let (ingress_addr, warnings) = ingress::start(
        context.clone(),
        config.ingress_listen,
        report_tx.clone(),
        cancel.clone(),
    )
    .await?;
    services::start(context, config.node_port_address, report_tx, cancel);
    Ok(Net {
        ingress_addr,
        reports,
        warnings,
    })
}
