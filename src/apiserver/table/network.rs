//! Service, Endpoints and Ingress rows.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Endpoints, Service, ServicePort};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::cells::{format_labels, join_host_port, since};

/// NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE | SELECTOR.
pub fn service_cells(service: &Service, now: Timestamp) -> Vec<Value> {
    let spec = service.spec.as_ref();
    let service_type = spec.and_then(|s| s.type_.clone()).unwrap_or_default();
    let cluster_ip = spec
        .and_then(|s| s.cluster_ips.as_ref())
        .and_then(|ips| ips.first().cloned())
        .or_else(|| spec.and_then(|s| s.cluster_ip.clone()))
        .filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| "<none>".to_string());
    let ports = spec.and_then(|s| s.ports.as_deref()).unwrap_or_default();
    let mut ports = port_string(ports);
    if ports.is_empty() {
        ports = "<none>".to_string();
    }
    vec![
        json!(service.metadata.name.as_deref().unwrap_or("")),
        json!(service_type),
        json!(cluster_ip),
        json!(external_ip(service)),
        json!(ports),
        json!(since(service.metadata.creation_timestamp.as_ref(), now)),
        json!(format_labels(spec.and_then(|s| s.selector.as_ref()))),
    ]
}

/// `makePortString`: `80/TCP`, or `80:30080/TCP` with a node port.
fn port_string(ports: &[ServicePort]) -> String {
    ports
        .iter()
        .map(|port| {
            let protocol = port.protocol.as_deref().unwrap_or("TCP");
            match port.node_port.filter(|p| *p > 0) {
                Some(node_port) => format!("{}:{node_port}/{protocol}", port.port),
                None => format!("{}/{protocol}", port.port),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `getServiceExternalIP` with wide output (the server always renders wide).
fn external_ip(service: &Service) -> String {
    let spec = service.spec.as_ref();
    let external_ips = spec
        .and_then(|s| s.external_ips.clone())
        .unwrap_or_default();
    match spec.and_then(|s| s.type_.as_deref()).unwrap_or("") {
        "ClusterIP" | "NodePort" => {
            if external_ips.is_empty() {
                "<none>".to_string()
            } else {
                external_ips.join(",")
            }
        }
        "LoadBalancer" => {
            let ingress = service
                .status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|lb| lb.ingress.as_deref())
                .unwrap_or_default();
            let lb: BTreeSet<String> = ingress
                .iter()
                .filter_map(|i| {
                    i.ip.clone()
                        .filter(|ip| !ip.is_empty())
                        .or_else(|| i.hostname.clone().filter(|h| !h.is_empty()))
                })
                .collect();
            let mut results: Vec<String> = lb.into_iter().collect();
            if results.is_empty() && external_ips.is_empty() {
                return "<pending>".to_string();
            }
            results.extend(external_ips);
            results.join(",")
        }
        "ExternalName" => spec
            .and_then(|s| s.external_name.clone())
            .unwrap_or_default(),
        _ => "<unknown>".to_string(),
    }
}

/// NAME ENDPOINTS AGE.
pub fn endpoints_cells(endpoints: &Endpoints, now: Timestamp) -> Vec<Value> {
    vec![
        json!(endpoints.metadata.name.as_deref().unwrap_or("")),
        json!(format_endpoints(endpoints)),
        json!(since(endpoints.metadata.creation_timestamp.as_ref(), now)),
    ]
}

/// `formatEndpoints`: the first three `ip:port`s and `+ N more...`.
fn format_endpoints(endpoints: &Endpoints) -> String {
    const MAX: usize = 3;
    let subsets = endpoints.subsets.as_deref().unwrap_or_default();
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for subset in subsets {
        let addresses = subset.addresses.as_deref().unwrap_or_default();
        let ports = subset.ports.as_deref().unwrap_or_default();
        if ports.is_empty() {
            // Headless services may have no ports.
            count += addresses.len();
            for address in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(address.ip.clone());
            }
            continue;
        }
        for port in ports {
            count += addresses.len();
            for address in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(&address.ip, port.port));
            }
        }
    }
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", count - MAX)
    } else {
        joined
    }
}

/// NAME CLASS HOSTS ADDRESS PORTS AGE.
pub fn ingress_cells(ingress: &Ingress, now: Timestamp) -> Vec<Value> {
    let spec = ingress.spec.as_ref();
    let class = spec
        .and_then(|s| s.ingress_class_name.clone())
        .unwrap_or_else(|| "<none>".to_string());
    let rules = spec.and_then(|s| s.rules.as_deref()).unwrap_or_default();
    let hosts = format_hosts(rules.iter().map(|r| r.host.as_deref().unwrap_or("")));
    let address: BTreeSet<String> = ingress
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_deref())
        .unwrap_or_default()
        .iter()
        .filter_map(|i| {
            i.ip.clone()
                .filter(|ip| !ip.is_empty())
                .or_else(|| i.hostname.clone().filter(|h| !h.is_empty()))
        })
        .collect();
    let has_tls = spec
        .and_then(|s| s.tls.as_ref())
        .is_some_and(|tls| !tls.is_empty());
    let ports = if has_tls { "80, 443" } else { "80" };
    vec![
        json!(ingress.metadata.name.as_deref().unwrap_or("")),
        json!(class),
        json!(hosts),
        json!(address.into_iter().collect::<Vec<_>>().join(",")),
        json!(ports),
        json!(since(ingress.metadata.creation_timestamp.as_ref(), now)),
    ]
}

/// `formatHosts`: up to three hosts, `*` when no rule names one.
fn format_hosts<'a>(hosts: impl ExactSizeIterator<Item = &'a str>) -> String {
    const MAX: usize = 3;
    let total = hosts.len();
    let mut list: Vec<&str> = Vec::new();
    let mut more = false;
    for host in hosts {
        if list.len() == MAX {
            more = true;
        }
        if !more && !host.is_empty() {
            list.push(host);
        }
    }
    if list.is_empty() {
        return "*".to_string();
    }
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", total - MAX)
    } else {
        joined
    }
}
