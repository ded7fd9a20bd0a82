//! Service cluster IPs (10.96.0.0/12; 10.96.0.1, upstream's address of
//! the `kubernetes` Service, is kept out: see `kubernetes_service` for why
//! podium's gets an allocated one) and node ports (30000–32767): allocated on
//! create, honoured when requested and free, kept across updates.
//! Picked IPs are the third address of a /30 of their own, which the host
//! can own for pods to reach (see `net::cluster_ips`).

use std::collections::HashSet;
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::Service;

use crate::api::validation::{FieldError, FieldErrorReason};
use crate::api::{Kind, Object};
use crate::store::{ListFilter, Store};

const NET_BASE: u32 = u32::from_be_bytes([10, 96, 0, 0]);
const NET_SIZE: u32 = 1 << 20;
const NODE_PORTS: std::ops::RangeInclusive<i32> = 30000..=32767;

/// Fills in `spec.clusterIP(s)` and node ports. The caller holds the
/// allocation lock until the service is stored.
pub fn allocate(store: &Store, service: &mut Service, old: Option<&Service>) -> Vec<FieldError> {
    let (used_ips, used_ports) = in_use(store, service);
    let mut errors = Vec::new();
    let spec = service.spec.get_or_insert_with(Default::default);
    let service_type = spec.type_.clone().unwrap_or_else(|| "ClusterIP".into());
    if service_type == "ExternalName" {
        return errors;
    }
    let old_spec = old.and_then(|o| o.spec.as_ref());

    let old_ip = old_spec.and_then(|s| s.cluster_ip.clone());
    let requested = spec
        .cluster_ip
        .clone()
        .or_else(|| {
            spec.cluster_ips
                .as_ref()
                .and_then(|ips| ips.first().cloned())
        })
        .filter(|ip| !ip.is_empty());
    let ip = match (requested, old_ip) {
        (None, Some(old)) => Some(old),
        (Some(ip), Some(old)) if ip != old => {
            errors.push(FieldError {
                field: "spec.clusterIPs[0]".into(),
                reason: FieldErrorReason::Invalid,
                message: format!(
                    "spec.clusterIPs[0]: Invalid value: {ip:?}: may not change once set"
                ),
            });
            Some(old)
        }
        (Some(ip), Some(_)) => Some(ip),
        (Some(ip), None) if ip == "None" => Some(ip),
        (Some(ip), None) => match check_ip(&ip, &used_ips) {
            Ok(()) => Some(ip),
            Err(reason) => {
                errors.push(FieldError {
                    field: "spec.clusterIPs".into(),
                    reason: FieldErrorReason::Invalid,
                    message: format!(
                        "spec.clusterIPs: Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: {reason}"
                    ),
                });
                None
            }
        },
        (None, None) => free_ip(&used_ips),
    };
    if let Some(ip) = ip {
        spec.cluster_ip = Some(ip.clone());
        spec.cluster_ips = Some(vec![ip]);
    }

    if matches!(service_type.as_str(), "NodePort" | "LoadBalancer") {
        let mut taken = used_ports;
        for (index, port) in spec.ports.iter_mut().flatten().enumerate() {
            let old_port = old_spec
                .and_then(|s| s.ports.as_ref())
                .and_then(|ports| {
                    ports
                        .iter()
                        .find(|p| p.port == port.port && p.protocol == port.protocol)
                })
                .and_then(|p| p.node_port);
            match port.node_port.filter(|p| *p != 0).or(old_port) {
                Some(requested) if Some(requested) == old_port => {
                    port.node_port = Some(requested);
                    taken.insert(requested);
                }
                Some(requested) => {
                    let problem = if !NODE_PORTS.contains(&requested) {
                        Some(
                            "provided port is not in the valid range. The range of valid ports is 30000-32767",
                        )
                    } else if taken.contains(&requested) {
                        Some("provided port is already allocated")
                    } else {
                        None
                    };
                    match problem {
                        Some(problem) => errors.push(FieldError {
                            field: format!("spec.ports[{index}].nodePort"),
                            reason: FieldErrorReason::Invalid,
                            message: format!(
                                "spec.ports[{index}].nodePort: Invalid value: {requested}: {problem}"
                            ),
                        }),
                        None => {
                            taken.insert(requested);
                        }
                    }
                }
                None => match free_port(&taken) {
                    Some(p) => {
                        port.node_port = Some(p);
                        taken.insert(p);
                    }
                    None => errors.push(FieldError {
                        field: format!("spec.ports[{index}].nodePort"),
                        reason: FieldErrorReason::Invalid,
                        message: format!(
                            "spec.ports[{index}].nodePort: Invalid value: 0: range is full"
                        ),
                    }),
                },
            }
        }
    } else {
        for port in spec.ports.iter_mut().flatten() {
            port.node_port = None;
        }
    }
    errors
}

/// IPs and node ports of every other Service.
fn in_use(store: &Store, service: &Service) -> (HashSet<u32>, HashSet<i32>) {
    let me = (
        service.metadata.namespace.clone().unwrap_or_default(),
        service.metadata.name.clone().unwrap_or_default(),
    );
    let mut ips = HashSet::new();
    let mut ports = HashSet::new();
    for object in store
        .list(Kind::Service, None, &ListFilter::default())
        .items
    {
        let Object::Service(other) = &*object else {
            continue;
        };
        if (object.namespace(), object.name()) == (me.0.as_str(), me.1.as_str()) {
            continue;
        }
        let Some(spec) = &other.spec else { continue };
        if let Some(ip) = spec
            .cluster_ip
            .as_deref()
            .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
        {
            ips.insert(u32::from(ip));
        }
        ports.extend(spec.ports.iter().flatten().filter_map(|p| p.node_port));
    }
    (ips, ports)
}

fn check_ip(ip: &str, used: &HashSet<u32>) -> Result<(), String> {
    let Ok(parsed) = ip.parse::<Ipv4Addr>() else {
        return Err(format!("the provided IP ({ip}) is not a valid IP address"));
    };
    let n = u32::from(parsed);
    if !(NET_BASE..NET_BASE + NET_SIZE).contains(&n)
        || n == NET_BASE
        || n == NET_BASE + NET_SIZE - 1
    {
        return Err(format!(
            "the provided IP ({ip}) is not in the valid range. The range of valid IPs is 10.96.0.0/12"
        ));
    }
    // 10.96.0.1 is upstream's `kubernetes` Service address: kept out.
    if used.contains(&n) || n == NET_BASE + 1 {
        return Err("provided IP is already allocated".into());
    }
    Ok(())
}

/// A free IP that can own a /30 of its own: the third address of a /30
/// nobody else uses, so the host can take it as a bridge's gateway (pods
/// reach the Service there; see `kubelet::docker::service_network`).
fn free_ip(used: &HashSet<u32>) -> Option<String> {
    let slot_free = |slot: u32| (0..4).all(|i| !used.contains(&(NET_BASE + slot * 4 + i)));
    let slots = NET_SIZE / 4;
    // Random like upstream, so IPs are not reused in order; slot 0 holds
    // 10.96.0.1 (kept out) and the network address.
    for _ in 0..64 {
        let slot = rand::random_range(1..slots);
        if slot_free(slot) {
            return Some(Ipv4Addr::from(NET_BASE + slot * 4 + 2).to_string());
        }
    }
    (1..slots)
        .find(|slot| slot_free(*slot))
        .map(|slot| Ipv4Addr::from(NET_BASE + slot * 4 + 2).to_string())
}

fn free_port(taken: &HashSet<i32>) -> Option<i32> {
    for _ in 0..64 {
        let p = rand::random_range(NODE_PORTS);
        if !taken.contains(&p) {
            return Some(p);
        }
    }
    NODE_PORTS.clone().find(|p| !taken.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{ServicePort, ServiceSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn service(name: &str, ty: &str, ip: Option<&str>, node_port: Option<i32>) -> Service {
        Service {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            spec: Some(ServiceSpec {
                type_: Some(ty.into()),
                cluster_ip: ip.map(str::to_string),
                ports: Some(vec![ServicePort {
                    port: 80,
                    node_port,
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn store() -> Store {
        let store = Store::in_memory();
        store
            .create(k8s_openapi::api::core::v1::Namespace {
                metadata: ObjectMeta {
                    name: Some("default".into()),
                    ..Default::default()
                },
                ..Default::default()
            })
            .expect("namespace");
        store
    }

    #[test]
    fn allocates_in_range_and_refuses_duplicates() {
        let store = store();
        let mut a = service("a", "NodePort", None, Some(30080));
        assert!(allocate(&store, &mut a, None).is_empty());
        let spec = a.spec.clone().expect("spec");
        let ip: Ipv4Addr = spec.cluster_ip.expect("ip").parse().expect("ipv4");
        assert!(u32::from(ip) > NET_BASE + 1 && u32::from(ip) < NET_BASE + NET_SIZE);
        assert_eq!(u32::from(ip) % 4, 2, "{ip} owns the middle of a /30");
        store.create(a.clone()).expect("stored");

        let mut b = service(
            "b",
            "NodePort",
            spec.cluster_ips
                .as_ref()
                .and_then(|i| i.first())
                .map(String::as_str),
            Some(30080),
        );
        let errors = allocate(&store, &mut b, None);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0]
                .message
                .ends_with("provided IP is already allocated")
        );
        assert_eq!(
            errors[1].message,
            "spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"
        );

        let mut c = service("c", "ClusterIP", Some("10.96.0.1"), None);
        assert_eq!(allocate(&store, &mut c, None).len(), 1);
        let mut d = service("d", "LoadBalancer", None, None);
        assert!(allocate(&store, &mut d, None).is_empty());
        let port = d
            .spec
            .and_then(|s| s.ports)
            .and_then(|p| p[0].node_port)
            .expect("port");
        assert!(NODE_PORTS.contains(&port) && port != 30080);
    }

    #[test]
    fn updates_keep_the_ip() {
        let store = store();
        let mut a = service("a", "ClusterIP", None, None);
        allocate(&store, &mut a, None);
        let mut again = service("a", "ClusterIP", None, None);
        assert!(allocate(&store, &mut again, Some(&a)).is_empty());
        assert_eq!(
            again.spec.and_then(|s| s.cluster_ip),
            a.spec.and_then(|s| s.cluster_ip)
        );
    }
}
