//! Writes back what the network layer (`net`, which only reads the store)
//! listens on: a LoadBalancer Service's `status.loadBalancer.ingress`
//! (127.0.0.1 and the ports bound, shown by kubectl as EXTERNAL-IP), the
//! host address of every Service port (annotation [`HOST_PORTS`]), every
//! Ingress's `status.loadBalancer.ingress[0]` (the router's ip and port),
//! and a Warning event when a port could not be bound.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use k8s_openapi::api::core::v1::{LoadBalancerIngress, LoadBalancerStatus, PortStatus, Service};
use k8s_openapi::api::networking::v1::{
    Ingress, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressPortStatus,
    IngressStatus,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::{Kind, Object};
use crate::events::{EventRecorder, EventType};
use crate::net::report::{ListenerKind, ListenerReport};
use crate::store::{ListFilter, Store, StoreError, UpdateScope, WatchItem};

/// Where the host reaches each port of a Service (its ClusterIP stand-in):
/// `8080/TCP=127.0.0.1:41234`, comma-separated for several ports.
pub const HOST_PORTS: &str = "podium.dev/host-ports";

/// Event reason for a port that could not be bound.
pub const REASON_PORT_UNAVAILABLE: &str = "PortUnavailable";

pub fn spawn(
    store: Store,
    mut reports: watch::Receiver<ListenerReport>,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let recorder = EventRecorder::new(store.clone(), "podium-net", None);
        let mut warned: HashSet<(String, String)> = HashSet::new();
        loop {
            let since = store.resource_version();
            let report = reports.borrow_and_update().clone();
            if let Err(error) = reconcile(&store, &report, &recorder, &mut warned) {
                tracing::debug!(%error, "writing traffic status");
            }
            let Ok(mut watch) = store.watch_kinds(&[Kind::Service, Kind::Ingress], Some(since))
            else {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                changed = reports.changed() => if changed.is_err() { return },
                item = watch.next() => if matches!(item, None | Some(WatchItem::Gone)) {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                },
            }
        }
    })
}

/// Brings every Service and Ingress in line with `report`.
pub fn reconcile(
    store: &Store,
    report: &ListenerReport,
    recorder: &EventRecorder,
    warned: &mut HashSet<(String, String)>,
) -> Result<(), StoreError> {
    for object in store
        .list(Kind::Service, None, &ListFilter::default())
        .items
    {
        let Object::Service(service) = &*object else {
            continue;
        };
        let key = (object.namespace().to_string(), object.name().to_string());
        let uid = service.metadata.uid.clone().unwrap_or_default();
        let listeners = report
            .services
            .get(&key)
            .filter(|l| l.uid == uid)
            .map(|l| l.listeners.as_slice())
            .unwrap_or_default();
        for failure in listeners.iter().filter_map(|l| l.failure.as_ref()) {
            if warned.insert((uid.clone(), failure.clone())) {
                recorder.record(
                    &object,
                    EventType::Warning,
                    REASON_PORT_UNAVAILABLE,
                    failure,
                );
            }
        }
        let host_ports = listeners
            .iter()
            .filter(|l| l.kind == ListenerKind::Host && l.failure.is_none())
            .map(|l| format!("{}/{}={}", l.service_port, l.protocol, l.address))
            .collect::<Vec<_>>()
            .join(",");
        let host_ports = (!host_ports.is_empty()).then_some(host_ports);
        store.mutate::<Service>(&key.0, &key.1, UpdateScope::Main, |service| {
            let annotations = service.metadata.annotations.get_or_insert_default();
            let changed = annotations.get(HOST_PORTS) != host_ports.as_ref();
            match &host_ports {
                Some(value) => annotations.insert(HOST_PORTS.into(), value.clone()),
                None => annotations.remove(HOST_PORTS),
            };
            if annotations.is_empty() {
                service.metadata.annotations = None;
            }
            changed
        })?;
        let load_balancer = load_balancer_status(service, listeners);
        store.mutate::<Service>(&key.0, &key.1, UpdateScope::Status, |service| {
            let status = service.status.get_or_insert_default();
            if status.load_balancer.as_ref() == Some(&load_balancer)
                || (status.load_balancer.is_none()
                    && load_balancer == LoadBalancerStatus::default())
            {
                return false;
            }
            status.load_balancer = Some(load_balancer.clone());
            true
        })?;
    }
    warned.retain(|(uid, _)| {
        report
            .services
            .values()
            .any(|l| &l.uid == uid && l.listeners.iter().any(|x| x.failure.is_some()))
    });
    if let Some(address) = report.ingress {
        let wanted = ingress_status(address);
        for object in store
            .list(Kind::Ingress, None, &ListFilter::default())
            .items
        {
            store.mutate::<Ingress>(
                object.namespace(),
                object.name(),
                UpdateScope::Status,
                |ingress| {
                    let status = ingress.status.get_or_insert_default();
                    if status.load_balancer.as_ref() == wanted.load_balancer.as_ref() {
                        return false;
                    }
                    *status = wanted.clone();
                    true
                },
            )?;
        }
    }
    Ok(())
}

/// 127.0.0.1 with the ports bound, for LoadBalancer Services; empty
/// (EXTERNAL-IP `<pending>`) while none is bound and for other types.
fn load_balancer_status(
    service: &Service,
    listeners: &[crate::net::report::Listener],
) -> LoadBalancerStatus {
    let is_lb = service.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("LoadBalancer");
    let ports: Vec<PortStatus> = listeners
        .iter()
        .filter(|l| is_lb && l.kind == ListenerKind::LoadBalancer && l.failure.is_none())
        .map(|l| PortStatus {
            port: l.service_port,
            protocol: l.protocol.clone(),
            error: None,
        })
        .collect();
    if ports.is_empty() {
        return LoadBalancerStatus::default();
    }
    LoadBalancerStatus {
        ingress: Some(vec![LoadBalancerIngress {
            ip: Some(Ipv4Addr::LOCALHOST.to_string()),
            ports: Some(ports),
            ..LoadBalancerIngress::default()
        }]),
    }
}

/// The router's address; a wildcard bind is reached at 127.0.0.1.
fn ingress_status(address: SocketAddr) -> IngressStatus {
    let ip = match address.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    IngressStatus {
        load_balancer: Some(IngressLoadBalancerStatus {
            ingress: Some(vec![IngressLoadBalancerIngress {
                ip: Some(ip.to_string()),
                ports: Some(vec![IngressPortStatus {
                    port: i32::from(address.port()),
                    protocol: "TCP".into(),
                    error: None,
                }]),
                ..IngressLoadBalancerIngress::default()
            }]),
        }),
    }
}
