//! What a port-forward points at: a pod port, or a Service port that is
//! resolved to one ready endpoint per connection (as `kubectl port-forward
//! svc/x` picks a pod), and the `local:remote` answer of the prompt.

use std::net::{Ipv4Addr, TcpListener};

use k8s_openapi::api::core::v1::Service;

use super::ForwardError;
use crate::api::{Kind, Object};
use crate::handle::ClusterHandle;
use crate::net::balance::backends_of;

/// The object forwarded to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardTarget {
    /// `Kind::Pod` or `Kind::Service`.
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

/// A forward as the user asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardSpec {
    pub target: ForwardTarget,
    /// 0: any free port.
    pub local: u16,
    /// The pod's port, or the Service's port.
    pub remote: u16,
}

impl ForwardTarget {
    /// Pods and Services can be forwarded to.
    pub fn of(object: &Object) -> Option<ForwardTarget> {
        let kind = object.kind();
        matches!(kind, Kind::Pod | Kind::Service).then(|| ForwardTarget {
            kind,
            namespace: object.namespace().to_string(),
            name: object.name().to_string(),
        })
    }

    /// `pod/web-1` or `svc/web`, as kubectl port-forward names them.
    pub fn describe(&self) -> String {
        let kind = if self.kind == Kind::Service {
            "svc"
        } else {
            "pod"
        };
        format!("{kind}/{}", self.name)
    }
}

impl ForwardSpec {
    /// `svc/web:80`.
    pub fn describe(&self) -> String {
        format!("{}:{}", self.target.describe(), self.remote)
    }
}

/// The port a forward to `object` offers first: the first declared
/// container port of a pod, the first port of a Service.
pub fn first_port(object: &Object) -> Option<u16> {
    match object {
        Object::Pod(pod) => pod
            .spec
            .as_ref()?
            .containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .find_map(|p| u16::try_from(p.container_port).ok()),
        Object::Service(service) => service
            .spec
            .as_ref()?
            .ports
            .iter()
            .flatten()
            .find_map(|p| u16::try_from(p.port).ok()),
        _ => None,
    }
}

/// A local port that is free now: `preferred` when it is (and needs no
/// privileges), else one the system picks.
pub fn free_local_port(preferred: u16) -> u16 {
    let bindable = |port: u16| TcpListener::bind((Ipv4Addr::LOCALHOST, port)).ok();
    if preferred >= 1024 && bindable(preferred).is_some() {
        return preferred;
    }
    bindable(0)
        .and_then(|listener| listener.local_addr().ok())
        .map_or(0, |address| address.port())
}

/// `8080:80`, `80` (the same port locally) or `:80` (any free local port).
pub fn parse_ports(answer: &str) -> Result<(u16, u16), ForwardError> {
    let bad = || ForwardError::BadPorts(answer.to_string());
    let port = |text: &str| text.trim().parse::<u16>().map_err(|_| bad());
    match answer.trim().split_once(':') {
        Some((local, remote)) => {
            let local = if local.trim().is_empty() {
                0
            } else {
                port(local)?
            };
            let remote = port(remote)?;
            if remote == 0 {
                return Err(bad());
            }
            Ok((local, remote))
        }
        None => {
            let remote = port(answer)?;
            if remote == 0 {
                return Err(bad());
            }
            Ok((remote, remote))
        }
    }
}

/// The Service port `remote` of `service`, or an error naming its ports.
pub fn check_service_port(service: &Object, remote: u16) -> Result<(), ForwardError> {
    let Object::Service(svc) = service else {
        return Ok(());
    };
    let ports: Vec<u16> = service_ports(svc).map(|(_, port)| port).collect();
    if ports.contains(&remote) {
        return Ok(());
    }
    Err(ForwardError::NoSuchServicePort {
        service: format!("{}/{}", service.namespace(), service.name()),
        port: remote,
        ports: ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

fn service_ports(
    service: &Service,
) -> impl Iterator<Item = (&k8s_openapi::api::core::v1::ServicePort, u16)> {
    service
        .spec
        .iter()
        .flat_map(|spec| spec.ports.iter().flatten())
        .filter_map(|p| u16::try_from(p.port).ok().map(|n| (p, n)))
}

/// The pod and pod port one connection goes to.
pub fn resolve(
    handle: &dyn ClusterHandle,
    spec: &ForwardSpec,
) -> Result<(String, u16), ForwardError> {
    let target = &spec.target;
    if target.kind != Kind::Service {
        return Ok((target.name.clone(), spec.remote));
    }
    let service_name = format!("{}/{}", target.namespace, target.name);
    let service = handle
        .get(Kind::Service, &target.namespace, &target.name)
        .ok_or_else(|| ForwardError::ServiceGone(service_name.clone()))?;
    let Object::Service(service) = service.as_ref() else {
        return Err(ForwardError::ServiceGone(service_name));
    };
    let port = service_ports(service)
        .find(|(_, number)| *number == spec.remote)
        .map(|(port, _)| port.clone())
        .ok_or_else(|| ForwardError::NoSuchServicePort {
            service: service_name.clone(),
            port: spec.remote,
            ports: service_ports(service)
                .map(|(_, n)| n.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let endpoints = handle.get(Kind::Endpoints, &target.namespace, &target.name);
    let backend = endpoints
        .as_deref()
        .and_then(|object| match object {
            Object::Endpoints(endpoints) => Some(backends_of(endpoints, &port)),
            _ => None,
        })
        .and_then(|backends| {
            backends
                .into_iter()
                .find_map(|b| Some((b.pod()?.to_string(), b.port)))
        })
        .ok_or(ForwardError::NoReadyEndpoint(service_name))?;
    Ok(backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_read_as_kubectl_port_forward_reads_them() {
        assert_eq!(parse_ports("8080:80").ok(), Some((8080, 80)));
        assert_eq!(parse_ports(" 9000 ").ok(), Some((9000, 9000)));
        assert_eq!(parse_ports(":80").ok(), Some((0, 80)));
        assert!(parse_ports("web:80").is_err());
        assert!(parse_ports("8080:0").is_err());
        assert!(parse_ports("70000:80").is_err());
    }

    #[test]
    fn a_free_port_is_offered_when_the_preferred_one_is_taken() {
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let port = taken.local_addr().expect("address").port();
        let offered = free_local_port(port);
        assert_ne!(offered, port);
        assert_ne!(offered, 0);
        // A privileged port is not offered either.
        assert!(free_local_port(80) >= 1024);
    }
}
