//! The API server's own Service, as upstream's control plane keeps it
//! (pkg/controlplane/controller/kubernetesservice and the endpoint
//! reconciler): `default/kubernetes`, port 443 `https` to where the server
//! listens, labelled `component: apiserver, provider: kubernetes`, with no
//! selector, and an Endpoints and an EndpointSlice `kubernetes` naming the
//! server's address. Pods reach it at the ClusterIP (see `net`), and find
//! it in `KUBERNETES_SERVICE_HOST` / `_PORT` (`kubelet::env`).
//!
//! Its ClusterIP is allocated as any Service's rather than being the
//! range's first address (10.96.0.1) as upstream: several podiums on one
//! Docker engine share the host's addresses, so a fixed one would let one
//! cluster's pods reach another's API server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde_json::{Value, json};

use super::service_alloc;
use crate::api::{Kind, Object};
use crate::store::{Store, StoreError, UpdateScope};

pub const NAME: &str = "kubernetes";
pub const NAMESPACE: &str = "default";
/// The Service's port, as upstream's.
pub const PORT: i32 = 443;
const PORT_NAME: &str = "https";

#[derive(Debug, thiserror::Error)]
pub enum KubernetesServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot allocate the kubernetes Service's ClusterIP: {0}")]
    Allocate(String),
    #[error("the kubernetes Service does not parse: {0}")]
    Parse(String),
}

/// The Service, made on the first start; returns its ClusterIP.
pub fn ensure_service(store: &Store) -> Result<String, KubernetesServiceError> {
    if let Some(ip) = cluster_ip(store) {
        return Ok(ip);
    }
    let mut service: k8s_openapi::api::core::v1::Service = serde_json::from_value(json!({
        "metadata": {
            "name": NAME,
            "namespace": NAMESPACE,
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "ports": [{"name": PORT_NAME, "port": PORT, "protocol": "TCP", "targetPort": PORT}],
            "sessionAffinity": "None",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
        },
    }))
    .map_err(|e| KubernetesServiceError::Parse(e.to_string()))?;
    let errors = service_alloc::allocate(store, &mut service, None);
    if let Some(error) = errors.first() {
        return Err(KubernetesServiceError::Allocate(error.message.clone()));
    }
    match store.create(service) {
        Ok(_) | Err(StoreError::AlreadyExists { .. }) => {}
        Err(error) => return Err(error.into()),
    }
    cluster_ip(store).ok_or_else(|| KubernetesServiceError::Allocate("no ClusterIP".into()))
}

fn cluster_ip(store: &Store) -> Option<String> {
    let object = store.get(Kind::Service, NAMESPACE, NAME)?;
    let Object::Service(service) = &*object else {
        return None;
    };
    service.spec.as_ref()?.cluster_ip.clone()
}

/// The DNS names and address the serving certificate must carry for
/// clients inside pods.
pub fn server_names(cluster_ip: &str) -> Vec<String> {
    let mut names = vec![cluster_ip.to_string()];
    names.extend(
        [
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
        ]
        .map(String::from),
    );
    names
}

/// Points the Service, its Endpoints and its EndpointSlice at `listen`,
/// where the server now listens (its port may change between starts).
pub fn publish(store: &Store, listen: SocketAddr) -> Result<(), KubernetesServiceError> {
    let ip = match listen.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    let port = i32::from(listen.port());
    let family = if ip.is_ipv4() { "IPv4" } else { "IPv6" };
    store.mutate_json(
        Kind::Service,
        NAMESPACE,
        NAME,
        UpdateScope::Main,
        |service| {
            let Some(ports) = service.pointer_mut("/spec/ports/0") else {
                return false;
            };
            if ports.get("targetPort") == Some(&json!(port)) {
                return false;
            }
            ports["targetPort"] = json!(port);
            true
        },
    )?;
    let ports = json!([{"name": PORT_NAME, "port": port, "protocol": "TCP"}]);
    put(
        store,
        Kind::Endpoints,
        json!({
            "metadata": {
                "name": NAME, "namespace": NAMESPACE,
                "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
            },
            "subsets": [{"addresses": [{"ip": ip.to_string()}], "ports": ports}],
        }),
    )?;
    put(
        store,
        Kind::EndpointSlice,
        json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {
                "name": NAME, "namespace": NAMESPACE,
                "labels": {"kubernetes.io/service-name": NAME},
            },
            "addressType": family,
            "endpoints": [{"addresses": [ip.to_string()], "conditions": {"ready": true}}],
            "ports": ports,
        }),
    )
}

/// Creates `value`, or replaces what is stored when it differs.
fn put(store: &Store, kind: Kind, value: Value) -> Result<(), KubernetesServiceError> {
    let object =
        Object::from_json(kind, value).map_err(|e| KubernetesServiceError::Parse(e.to_string()))?;
    let Some(existing) = store.get(kind, NAMESPACE, NAME) else {
        return match store.create(object) {
            Ok(_) | Err(StoreError::AlreadyExists { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        };
    };
    let mut wanted = existing.to_json();
    let fresh = object.to_json();
    for field in ["subsets", "addressType", "endpoints", "ports"] {
        match fresh.get(field) {
            Some(value) => wanted[field] = value.clone(),
            None => continue,
        }
    }
    if wanted == existing.to_json() {
        return Ok(());
    }
    let wanted = Object::from_json(kind, wanted)
        .map_err(|e| KubernetesServiceError::Parse(e.to_string()))?;
    store.update(wanted, UpdateScope::Main)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use k8s_openapi::api::core::v1::{Endpoints, Service};

    #[test]
    fn the_service_is_made_once_and_follows_the_servers_port() {
        let store = Store::in_memory();
        let ns: k8s_openapi::api::core::v1::Namespace =
            serde_json::from_value(json!({"metadata": {"name": "default"}})).unwrap();
        store.create(ns).unwrap();
        let ip = ensure_service(&store).unwrap();
        assert!(ip.starts_with("10."), "{ip}");
        assert_eq!(ensure_service(&store).unwrap(), ip, "kept across starts");
        publish(&store, "127.0.0.1:41000".parse().unwrap()).unwrap();
        publish(&store, "0.0.0.0:42000".parse().unwrap()).unwrap();
        let service: Service = store.get_as(NAMESPACE, NAME).unwrap();
        let spec = service.spec.unwrap();
        assert!(spec.selector.is_none());
        let port = &spec.ports.unwrap()[0];
        assert_eq!((port.port, port.name.as_deref()), (443, Some("https")));
        assert_eq!(
            port.target_port,
            Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(42000))
        );
        let endpoints: Endpoints = store.get_as(NAMESPACE, NAME).unwrap();
        let subset = &endpoints.subsets.unwrap()[0];
        assert_eq!(subset.addresses.as_ref().unwrap()[0].ip, "127.0.0.1");
        assert_eq!(subset.ports.as_ref().unwrap()[0].port, 42000);
        let slice = store.get(Kind::EndpointSlice, NAMESPACE, NAME).unwrap();
        assert_eq!(slice.to_json()["ports"][0]["port"], 42000);
        assert_eq!(slice.to_json()["endpoints"][0]["addresses"][0], "127.0.0.1");
    }
}
