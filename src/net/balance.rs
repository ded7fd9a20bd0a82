//! Which ready endpoint takes the next connection: the ready addresses of
//! a Service's Endpoints (re-checked against the pod, so a pod that just
//! started terminating gets no new connections even before the Endpoints
//! controller has caught up), round-robin, or sticky per client IP when
//! `sessionAffinity: ClientIP`. An address no pod stands behind (the
//! hand-written Endpoints of a Service without a selector, such as the
//! API server's own `kubernetes`) is connected to as it is.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Endpoints, Pod, Service, ServicePort};
use parking_lot::Mutex;

use crate::api::{Kind, Object};
use crate::store::Store;

/// Upstream's default `sessionAffinityConfig.clientIP.timeoutSeconds`.
const DEFAULT_AFFINITY: Duration = Duration::from_secs(10_800);

/// One ready endpoint behind a Service port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Backend {
    pub namespace: String,
    pub target: Target,
    /// The container port the Service port's targetPort resolved to.
    pub port: u16,
}

/// What stands behind an endpoint address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A pod, reached where its runtime publishes it.
    Pod(String),
    /// An address without a pod (its Endpoints were written by hand).
    Address(IpAddr),
}

impl Backend {
    /// The pod behind it, if a pod is.
    pub fn pod(&self) -> Option<&str> {
        match &self.target {
            Target::Pod(name) => Some(name),
            Target::Address(_) => None,
        }
    }
}

/// The ready, not terminating pods behind `port` of `service`, as the
/// Endpoints controller resolved them (named targetPorts included).
pub fn ready_backends(store: &Store, service: &Service, port: &ServicePort) -> Vec<Backend> {
    let namespace = service.metadata.namespace.as_deref().unwrap_or("default");
    let name = service.metadata.name.as_deref().unwrap_or_default();
    let Some(object) = store.get(Kind::Endpoints, namespace, name) else {
        return Vec::new();
    };
    let Object::Endpoints(endpoints) = &*object else {
        return Vec::new();
    };
    backends_of(endpoints, port)
        .into_iter()
        .filter(|backend| match &backend.target {
            Target::Pod(pod) => pod_takes_traffic(store, &backend.namespace, pod),
            Target::Address(_) => true,
        })
        .collect()
}

/// The ready addresses of `endpoints` for the Service port `port`, matched
/// by name as upstream does (an unnamed single port matches the unnamed one).
pub fn backends_of(endpoints: &Endpoints, port: &ServicePort) -> Vec<Backend> {
    let namespace = endpoints
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let wanted = port.name.as_deref().unwrap_or("");
    let mut backends = Vec::new();
    for subset in endpoints.subsets.iter().flatten() {
        let Some(number) = subset
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref().unwrap_or("") == wanted)
            .and_then(|p| u16::try_from(p.port).ok())
        else {
            continue;
        };
        for address in subset.addresses.iter().flatten() {
            let target = match &address.target_ref {
                None => match address.ip.parse() {
                    Ok(ip) => Target::Address(ip),
                    Err(_) => continue,
                },
                Some(reference) => match (reference.kind.as_deref(), &reference.name) {
                    (None | Some("Pod"), Some(pod)) => Target::Pod(pod.clone()),
                    _ => continue,
                },
            };
            backends.push(Backend {
                namespace: namespace.clone(),
                target,
                port: number,
            });
        }
    }
    backends
}

/// Still ready and not terminating, as the store says now.
fn pod_takes_traffic(store: &Store, namespace: &str, name: &str) -> bool {
    let Some(object) = store.get(Kind::Pod, namespace, name) else {
        return false;
    };
    let Object::Pod(pod) = &*object else {
        return false;
    };
    pod.metadata.deletion_timestamp.is_none() && is_ready(pod)
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        })
}

/// The order in which to try backends for one connection: the chosen one
/// first, the rest after it (a refused connection moves on to the next).
pub struct Balancer {
    next: AtomicUsize,
    affinity: Option<Duration>,
    sticky: Mutex<HashMap<IpAddr, (Backend, Instant)>>,
}

impl Balancer {
    pub fn new(service: &Service) -> Balancer {
        Balancer {
            next: AtomicUsize::new(0),
            affinity: Balancer::affinity_of(service),
            sticky: Mutex::default(),
        }
    }

    /// How long a client sticks to its pod, when `sessionAffinity: ClientIP`.
    pub fn affinity_of(service: &Service) -> Option<Duration> {
        let spec = service.spec.as_ref();
        let client_ip = spec.and_then(|s| s.session_affinity.as_deref()) == Some("ClientIP");
        let timeout = spec
            .and_then(|s| s.session_affinity_config.as_ref())
            .and_then(|c| c.client_ip.as_ref())
            .and_then(|c| c.timeout_seconds)
            .and_then(|t| u64::try_from(t).ok())
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_AFFINITY);
        client_ip.then_some(timeout)
    }

    pub fn affinity(&self) -> Option<Duration> {
        self.affinity
    }

    /// `backends` reordered: the client's sticky backend when it is still
    /// there, else the next in turn; the others follow in turn.
    pub fn order(&self, backends: &[Backend], client: IpAddr, now: Instant) -> Vec<Backend> {
        if backends.is_empty() {
            return Vec::new();
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed) % backends.len();
        let mut order: Vec<Backend> = backends[start..]
            .iter()
            .chain(&backends[..start])
            .cloned()
            .collect();
        if let Some(timeout) = self.affinity {
            let mut sticky = self.sticky.lock();
            sticky.retain(|_, (_, since)| now.duration_since(*since) < timeout);
            if let Some((backend, _)) = sticky.get(&client)
                && let Some(index) = order.iter().position(|b| b == backend)
            {
                let chosen = order.remove(index);
                order.insert(0, chosen);
            }
        }
        order
    }

    /// Remembers which backend served `client` (ClientIP affinity only).
    pub fn served(&self, client: IpAddr, backend: &Backend, now: Instant) {
        if self.affinity.is_some() {
            self.sticky.lock().insert(client, (backend.clone(), now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{ClientIPConfig, ServiceSpec, SessionAffinityConfig};

    fn backend(pod: &str) -> Backend {
        Backend {
            namespace: "default".into(),
            target: Target::Pod(pod.into()),
            port: 8080,
        }
    }

    fn service(affinity: Option<&str>, timeout: Option<i32>) -> Service {
        Service {
            spec: Some(ServiceSpec {
                session_affinity: affinity.map(str::to_string),
                session_affinity_config: timeout.map(|t| SessionAffinityConfig {
                    client_ip: Some(ClientIPConfig {
                        timeout_seconds: Some(t),
                    }),
                }),
                ..ServiceSpec::default()
            }),
            ..Service::default()
        }
    }

    #[test]
    fn round_robin_visits_every_backend_in_turn() {
        let balancer = Balancer::new(&service(None, None));
        let backends = [backend("a"), backend("b"), backend("c")];
        let client: IpAddr = [127, 0, 0, 1].into();
        let now = Instant::now();
        let firsts: Vec<Option<String>> = (0..6)
            .map(|_| {
                balancer.order(&backends, client, now)[0]
                    .pod()
                    .map(str::to_string)
            })
            .collect();
        let expected = ["a", "b", "c", "a", "b", "c"].map(|p| Some(p.to_string()));
        assert_eq!(firsts, expected);
        assert_eq!(balancer.order(&backends, client, now).len(), 3);
    }

    #[test]
    fn client_ip_affinity_sticks_until_the_timeout_or_the_backend_goes() {
        let balancer = Balancer::new(&service(Some("ClientIP"), Some(60)));
        let backends = [backend("a"), backend("b"), backend("c")];
        let client: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        let now = Instant::now();
        let first = balancer.order(&backends, client, now)[0].clone();
        balancer.served(client, &first, now);
        for _ in 0..5 {
            assert_eq!(balancer.order(&backends, client, now)[0], first);
        }
        // Another client still rotates.
        let seen: std::collections::HashSet<Option<String>> = (0..3)
            .map(|_| {
                balancer.order(&backends, other, now)[0]
                    .pod()
                    .map(str::to_string)
            })
            .collect();
        assert_eq!(seen.len(), 3);
        // The sticky backend left: the client moves on.
        let without: Vec<Backend> = backends.iter().filter(|b| **b != first).cloned().collect();
        assert_ne!(balancer.order(&without, client, now)[0], first);
        // Past the timeout the stickiness is forgotten.
        let later = now + Duration::from_secs(61);
        let firsts: std::collections::HashSet<Option<String>> = (0..3)
            .map(|_| {
                balancer.order(&backends, client, later)[0]
                    .pod()
                    .map(str::to_string)
            })
            .collect();
        assert_eq!(firsts.len(), 3);
    }
}
