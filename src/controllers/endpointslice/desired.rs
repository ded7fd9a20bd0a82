//! The endpoints a Service wants, from its pods, grouped by the ports they
//! resolve to (named targetPorts resolve per pod): upstream's
//! podToEndpoint, getEndpointPorts and ShouldPodBeInEndpoints.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Pod, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort};

use super::super::endpoints::{hostname_for, pod_reference, resolve_target_port};
use super::super::util::is_pod_ready;

/// The node label that names a zone.
const LABEL_TOPOLOGY_ZONE: &str = "topology.kubernetes.io/zone";

/// What identifies an endpoint across reconciles (upstream's endpointHash):
/// conditions, zone or node may change in place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EndpointKey {
    addresses: Vec<String>,
    hostname: String,
    namespace: String,
    name: String,
}

pub fn endpoint_key(endpoint: &Endpoint) -> EndpointKey {
    let mut addresses = endpoint.addresses.clone();
    addresses.sort();
    let target = endpoint.target_ref.as_ref();
    EndpointKey {
        addresses,
        hostname: endpoint.hostname.clone().unwrap_or_default(),
        namespace: target.and_then(|t| t.namespace.clone()).unwrap_or_default(),
        name: target.and_then(|t| t.name.clone()).unwrap_or_default(),
    }
}

/// The endpoints wanted for one set of ports.
#[derive(Debug, Clone, Default)]
pub struct PortGroup {
    pub ports: Vec<EndpointPort>,
    pub endpoints: BTreeMap<EndpointKey, Endpoint>,
}

/// Port groups by [`port_key`].
pub type Desired = BTreeMap<String, PortGroup>;

/// The same set of ports gives the same key, whatever their order.
pub fn port_key(ports: &[EndpointPort]) -> String {
    let mut each: Vec<String> = ports
        .iter()
        .map(|p| {
            format!(
                "{}/{}/{}/{}",
                p.name.as_deref().unwrap_or(""),
                p.port.map_or(String::new(), |n| n.to_string()),
                p.protocol.as_deref().unwrap_or("TCP"),
                p.app_protocol.as_deref().unwrap_or("")
            )
        })
        .collect();
    each.sort();
    each.join(",")
}

/// The address types a Service's slices carry (getAddressTypesForService).
pub fn address_types(service: &Service) -> Vec<&'static str> {
    let spec = service.spec.as_ref();
    let mut types = Vec::new();
    for family in spec
        .and_then(|s| s.ip_families.as_ref())
        .into_iter()
        .flatten()
    {
        match family.as_str() {
            "IPv4" if !types.contains(&"IPv4") => types.push("IPv4"),
            "IPv6" if !types.contains(&"IPv6") => types.push("IPv6"),
            _ => {}
        }
    }
    if !types.is_empty() {
        return types;
    }
    match spec.and_then(|s| s.cluster_ip.as_deref()) {
        Some(ip) if !ip.is_empty() && ip != "None" => {
            vec![if ip.contains(':') { "IPv6" } else { "IPv4" }]
        }
        // Headless without families: both, until the API server defaults them.
        _ => vec!["IPv4", "IPv6"],
    }
}

/// ShouldPodBeInEndpoints with terminating pods included: not finished,
/// and has an IP.
fn pod_in_slices(pod: &Pod) -> bool {
    let Some(status) = pod.status.as_ref() else {
        return false;
    };
    let finished = matches!(status.phase.as_deref(), Some("Succeeded" | "Failed"));
    let has_ip = status.pod_ip.as_deref().is_some_and(|ip| !ip.is_empty())
        || status.pod_ips.as_ref().is_some_and(|ips| !ips.is_empty());
    !finished && has_ip
}

/// getEndpointPorts: the Service's ports this pod resolves; a headless
/// Service may have none.
fn endpoint_ports(service: &Service, pod: &Pod) -> Vec<EndpointPort> {
    let ports = service
        .spec
        .as_ref()
        .and_then(|s| s.ports.as_deref())
        .unwrap_or_default();
    ports
        .iter()
        .filter_map(|sp| {
            resolve_target_port(pod, sp).map(|port| EndpointPort {
                name: Some(sp.name.clone().unwrap_or_default()),
                port: Some(port),
                protocol: Some(sp.protocol.clone().unwrap_or_else(|| "TCP".into())),
                app_protocol: sp.app_protocol.clone(),
            })
        })
        .collect()
}

/// The pod's IPs of one family (podIPs, else podIP).
fn addresses(pod: &Pod, address_type: &str) -> Vec<String> {
    let status = pod.status.as_ref();
    let mut ips: Vec<String> = status
        .and_then(|s| s.pod_ips.as_ref())
        .into_iter()
        .flatten()
        .map(|ip| ip.ip.clone())
        .collect();
    if ips.is_empty() {
        ips.extend(status.and_then(|s| s.pod_ip.clone()));
    }
    let want_v6 = address_type == "IPv6";
    ips.into_iter()
        .filter(|ip| !ip.is_empty() && ip.contains(':') == want_v6)
        .collect()
}

/// podToEndpoint.
fn pod_to_endpoint(
    pod: &Pod,
    node: Option<&Node>,
    service: &Service,
    address_type: &str,
) -> Endpoint {
    let publish_not_ready = service
        .spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false);
    let serving = is_pod_ready(pod);
    let terminating = pod.metadata.deletion_timestamp.is_some();
    // A terminating pod is never ready, unless the Service publishes all.
    let ready = publish_not_ready || (serving && !terminating);
    let node_name = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .filter(|n| !n.is_empty());
    let zone = node
        .and_then(|n| n.metadata.labels.as_ref())
        .and_then(|l| l.get(LABEL_TOPOLOGY_ZONE))
        .filter(|z| !z.is_empty())
        .cloned();
    Endpoint {
        addresses: addresses(pod, address_type),
        conditions: Some(EndpointConditions {
            ready: Some(ready),
            serving: Some(serving),
            terminating: Some(terminating),
        }),
        hostname: hostname_for(service, pod),
        node_name,
        target_ref: Some(pod_reference(pod)),
        zone,
        ..Endpoint::default()
    }
}

/// The desired endpoints of one address type, and the pods left out
/// because their node is not known (upstream retries those later).
pub fn desired(
    service: &Service,
    pods: &[Pod],
    node: impl Fn(&str) -> Option<Node>,
    address_type: &str,
) -> (Desired, Vec<String>) {
    let publish_not_ready = service
        .spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false);
    let mut groups = Desired::new();
    let mut nodeless = Vec::new();
    for pod in pods.iter().filter(|p| pod_in_slices(p)) {
        let ports = endpoint_ports(service, pod);
        let group = groups.entry(port_key(&ports)).or_insert_with(|| PortGroup {
            ports,
            endpoints: BTreeMap::new(),
        });
        let node_name = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .unwrap_or("");
        let found = node(node_name);
        if found.is_none() && !publish_not_ready {
            nodeless.push(pod.metadata.name.clone().unwrap_or_default());
            continue;
        }
        let endpoint = pod_to_endpoint(pod, found.as_ref(), service, address_type);
        if !endpoint.addresses.is_empty() {
            group.endpoints.insert(endpoint_key(&endpoint), endpoint);
        }
    }
    (groups, nodeless)
}
