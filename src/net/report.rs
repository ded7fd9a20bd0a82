//! What net tells the status controller: per Service, the listeners that
//! are bound and the ones that could not be; and where the Ingress router
//! answers.

use std::collections::BTreeMap;
use std::net::SocketAddr;

/// Which listener of a Service port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ListenerKind {
    /// The host's way to a ClusterIP: a loopback port per Service port.
    Host,
    NodePort,
    LoadBalancer,
    /// `ClusterIP:port` on a host address pods reach (see `cluster_ips`).
    ClusterIp,
}

impl ListenerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ListenerKind::Host => "ClusterIP host port",
            ListenerKind::NodePort => "NodePort",
            ListenerKind::LoadBalancer => "LoadBalancer",
            ListenerKind::ClusterIp => "ClusterIP",
        }
    }
}

/// One listener of one Service port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub kind: ListenerKind,
    /// The Service port (`spec.ports[].port`) and its protocol.
    pub service_port: i32,
    pub protocol: String,
    /// Where it listens, or where it tried to.
    pub address: SocketAddr,
    /// `None` when bound; else why not and what to do.
    pub failure: Option<String>,
}

/// The listeners of one Service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceListeners {
    /// The Service's uid, so a recreated Service is not confused with the old one.
    pub uid: String,
    pub listeners: Vec<Listener>,
}

/// Everything net listens on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListenerReport {
    /// By (namespace, name).
    pub services: BTreeMap<(String, String), ServiceListeners>,
    /// Where the Ingress router answers, once bound.
    pub ingress: Option<SocketAddr>,
}
