//! Where a container port is reachable from the host: the loopback port
//! Docker published for it — on the pod's sandbox when the container
//! joined one. What is learnt is kept until the container is removed
//! (published ports do not change while a container runs).
//!
//! A port the pod does not declare (a probe on an undeclared port is
//! common) is not published: it is reached at the pod's address on
//! podium's bridge network, which the host routes to on Linux, as
//! upstream's kubelet probes the pod IP.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bollard::models::{ContainerInspectResponse, PortMap};
use bollard::query_parameters::InspectContainerOptions;
use parking_lot::Mutex;

use super::DockerRuntime;
use crate::kubelet::runtime::ContainerId;

/// Loopback addresses by container port (TCP), for one container.
#[derive(Debug, Clone, Default)]
struct Published {
    /// The container whose network namespace holds the ports (its sandbox,
    /// or itself).
    holder: ContainerId,
    addresses: HashMap<u16, SocketAddr>,
    /// The holder's address on podium's network.
    pod_address: Option<IpAddr>,
}

#[derive(Default)]
pub(super) struct PortCache {
    by_container: Mutex<HashMap<ContainerId, Published>>,
}

impl PortCache {
    fn get(&self, id: &str, port: u16) -> Option<SocketAddr> {
        self.by_container.lock().get(id)?.address(port)
    }

    fn pod_address(&self, id: &str) -> Option<IpAddr> {
        self.by_container.lock().get(id)?.pod_address
    }

    fn keep(&self, id: &str, published: Published) {
        self.by_container.lock().insert(id.to_string(), published);
    }

    /// Forgets a container, and every container whose ports it held.
    pub(super) fn forget(&self, id: &str) {
        self.by_container
            .lock()
            .retain(|container, published| container != id && published.holder != id);
    }
}

/// The TCP ports Docker published, by container port.
fn tcp_addresses(ports: &PortMap) -> HashMap<u16, SocketAddr> {
    let mut addresses = HashMap::new();
    for (key, bindings) in ports {
        let Some(number) = key.strip_suffix("/tcp").and_then(|n| n.parse::<u16>().ok()) else {
            continue;
        };
        let found = bindings.iter().flatten().find_map(|binding| {
            let port = binding.host_port.as_deref()?.parse::<u16>().ok()?;
            let ip = binding
                .host_ip
                .as_deref()
                .and_then(|ip| ip.parse::<IpAddr>().ok())
                .filter(|ip| !ip.is_unspecified())
                .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
            Some(SocketAddr::new(ip, port))
        });
        if let Some(address) = found {
            addresses.insert(number, address);
        }
    }
    addresses
}

impl Published {
    fn address(&self, port: u16) -> Option<SocketAddr> {
        let published = self.addresses.get(&port).copied();
        published.or_else(|| Some(SocketAddr::new(self.pod_address?, port)))
    }
}

fn is_running(response: &ContainerInspectResponse) -> bool {
    response
        .state
        .as_ref()
        .and_then(|state| state.running)
        .unwrap_or(false)
}

impl DockerRuntime {
    /// `port` at the pod's own address on podium's network.
    pub(super) async fn routed_address(&self, id: &str, port: u16) -> Option<SocketAddr> {
        // Learns (and caches) the holder's address with its ports.
        self.published_address(id, port).await?;
        let pod_address = self.inner.ports.pod_address(id)?;
        Some(SocketAddr::new(pod_address, port))
    }

    pub(super) async fn published_address(&self, id: &str, port: u16) -> Option<SocketAddr> {
        if let Some(address) = self.inner.ports.get(id, port) {
            return Some(address);
        }
        let options = None::<InspectContainerOptions>;
        let container = self
            .inner
            .docker
            .inspect_container(id, options)
            .await
            .ok()?;
        let holder = match joined_sandbox(&container) {
            Some(sandbox) => {
                let options = None::<InspectContainerOptions>;
                self.inner
                    .docker
                    .inspect_container(sandbox, options)
                    .await
                    .ok()?
            }
            None => container,
        };
        let published = published_by(&holder, &self.inner.network_id)?;
        let address = published.address(port);
        self.inner.ports.keep(id, published);
        address
    }

    /// Keeps what an inspection of a running container shows of its ports
    /// when it holds them itself (no sandbox): the kubelet inspects each
    /// container it starts, so the first probe then needs no inspection of
    /// its own on an engine busy with the rest of a rollout's wave.
    pub(super) fn learn_ports(&self, id: &str, inspected: &ContainerInspectResponse) {
        if joined_sandbox(inspected).is_some() {
            return;
        }
        if let Some(published) = published_by(inspected, &self.inner.network_id) {
            self.inner.ports.keep(id, published);
        }
    }
}

/// The sandbox whose network namespace `container` joined, if any.
fn joined_sandbox(container: &ContainerInspectResponse) -> Option<&str> {
    container
        .host_config
        .as_ref()?
        .network_mode
        .as_deref()?
        .strip_prefix("container:")
}

/// The ports and pod address of `holder`, once it runs: Docker assigns
/// ports when the holder starts.
fn published_by(holder: &ContainerInspectResponse, network_id: &str) -> Option<Published> {
    if !is_running(holder) {
        return None;
    }
    let pod_address =
        super::inspect::address_on(holder, network_id).and_then(|ip| ip.parse::<IpAddr>().ok());
    let ports = holder.network_settings.as_ref()?.ports.as_ref();
    Some(Published {
        holder: holder.id.clone().unwrap_or_default(),
        addresses: ports.map(tcp_addresses).unwrap_or_default(),
        pod_address,
    })
}

#[cfg(test)]
mod tests {
    use bollard::models::PortBinding;

    use super::*;

    #[test]
    fn published_tcp_ports_are_read_from_docker() {
        let ports: PortMap = HashMap::from([
            (
                "8080/tcp".to_string(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".to_string()),
                    host_port: Some("49153".to_string()),
                }]),
            ),
            ("9090/tcp".to_string(), None),
            (
                "53/udp".to_string(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".to_string()),
                    host_port: Some("49154".to_string()),
                }]),
            ),
        ]);
        let addresses = tcp_addresses(&ports);
        assert_eq!(addresses.len(), 1);
        assert_eq!(addresses[&8080].to_string(), "127.0.0.1:49153");
    }

    #[test]
    fn forgetting_a_sandbox_forgets_its_containers() {
        let cache = PortCache::default();
        let published = |holder: &str| Published {
            holder: holder.to_string(),
            addresses: HashMap::from([(80, SocketAddr::from(([127, 0, 0, 1], 1)))]),
            pod_address: None,
        };
        cache.keep("app", published("sandbox"));
        cache.keep("other", published("other"));
        cache.forget("sandbox");
        assert_eq!(cache.get("app", 80), None);
        assert!(cache.get("other", 80).is_some());
    }
}
