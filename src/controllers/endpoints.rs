//! The Endpoints controller: one Endpoints object per Service with a
//! selector, listing ready and not-ready pod addresses with the Service's
//! ports resolved against each pod.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Pod, Service,
    ServicePort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::ControllerError;
use super::runner::Reconciler;
use super::util::is_pod_ready;
use crate::api::{Kind, Object};
use crate::store::{
    DeleteOptions, ListFilter, ObjectKey, Store, StoreError, UpdateScope, WatchEvent,
};

pub struct EndpointsController {
    store: Store,
}

impl EndpointsController {
    pub fn new(store: Store) -> EndpointsController {
        EndpointsController { store }
    }

    fn service_keys(&self, namespace: &str) -> Vec<ObjectKey> {
        self.store
            .list(Kind::Service, Some(namespace), &ListFilter::default())
            .items
            .iter()
            .map(|o| ObjectKey::of(o))
            .collect()
    }
}

impl Reconciler for EndpointsController {
    fn name(&self) -> &'static str {
        "endpoints"
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Service, Kind::Endpoints, Kind::Pod])
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        let object = &event.object;
        match &**object {
            Object::Service(_) | Object::Endpoints(_) => {
                vec![ObjectKey::new(
                    Kind::Service,
                    object.namespace(),
                    object.name(),
                )]
            }
            // A pod's old labels are unknown here, so every Service in its
            // namespace looks again.
            Object::Pod(_) => self.service_keys(object.namespace()),
            _ => Vec::new(),
        }
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        let mut keys: Vec<ObjectKey> = self
            .store
            .list(Kind::Service, None, &ListFilter::default())
            .items
            .iter()
            .map(|o| ObjectKey::of(o))
            .collect();
        // Endpoints left behind by Services deleted while we were away.
        keys.extend(
            self.store
                .list(Kind::Endpoints, None, &ListFilter::default())
                .items
                .iter()
                .map(|o| ObjectKey::new(Kind::Service, o.namespace(), o.name())),
        );
        keys
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(service) = self.store.get_as::<Service>(&key.namespace, &key.name) else {
            match self.store.delete(
                Kind::Endpoints,
                &key.namespace,
                &key.name,
                &DeleteOptions::default(),
            ) {
                Ok(_) | Err(StoreError::NotFound { .. }) => return Ok(None),
                Err(error) => return Err(error.into()),
            }
        };
        let Some(selector) = service.spec.as_ref().and_then(|s| s.selector.clone()) else {
            // Services without a selector have Endpoints managed by hand.
            return Ok(None);
        };
        let pods: Vec<Pod> = self
            .store
            .list_as::<Pod>(Some(&key.namespace), &ListFilter::default())
            .into_iter()
            .filter(|p| {
                let labels = p.metadata.labels.clone().unwrap_or_default();
                selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            })
            .collect();
        let desired = Endpoints {
            metadata: ObjectMeta {
                name: Some(key.name.clone()),
                namespace: Some(key.namespace.clone()),
                labels: service.metadata.labels.clone(),
                ..ObjectMeta::default()
            },
            subsets: subsets_for(&service, &pods),
        };
        match self.store.get_as::<Endpoints>(&key.namespace, &key.name) {
            None => {
                self.store.create(desired)?;
            }
            Some(current) => {
                if current.subsets == desired.subsets
                    && current.metadata.labels == desired.metadata.labels
                {
                    return Ok(None);
                }
                let mut updated = current;
                updated.subsets = desired.subsets;
                updated.metadata.labels = desired.metadata.labels;
                self.store.update(updated, UpdateScope::Main)?;
            }
        }
        Ok(None)
    }
}

/// ShouldPodBeInEndpoints: has an IP, not finished, not terminating.
fn pod_in_endpoints(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    let has_ip = status
        .and_then(|s| s.pod_ip.as_deref())
        .is_some_and(|ip| !ip.is_empty());
    let finished = status
        .and_then(|s| s.phase.as_deref())
        .is_some_and(|p| p == "Succeeded" || p == "Failed");
    has_ip && !finished && pod.metadata.deletion_timestamp.is_none()
}

/// FindPort: a number, or a named port of a container or of a sidecar
/// (an init container with restartPolicy Always) on this pod.
pub(super) fn resolve_target_port(pod: &Pod, port: &ServicePort) -> Option<i32> {
    match &port.target_port {
        None => Some(port.port),
        Some(IntOrString::Int(n)) => Some(*n),
        Some(IntOrString::String(name)) => {
            let protocol = port.protocol.as_deref().unwrap_or("TCP");
            let spec = pod.spec.as_ref()?;
            let sidecars = spec
                .init_containers
                .iter()
                .flatten()
                .filter(|c| c.restart_policy.as_deref() == Some("Always"));
            spec.containers.iter().chain(sidecars).find_map(|c| {
                c.ports.iter().flatten().find_map(|p| {
                    (p.name.as_deref() == Some(name.as_str())
                        && p.protocol.as_deref().unwrap_or("TCP") == protocol)
                        .then_some(p.container_port)
                })
            })
        }
    }
}

/// The pod's hostname when it names itself under this Service (a
/// StatefulSet's pods under its headless Service): ShouldSetHostname.
/// The `targetRef` an endpoint of `pod` carries (Endpoints and EndpointSlices alike).
pub(super) fn pod_reference(pod: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".into()),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        ..ObjectReference::default()
    }
}

pub(super) fn hostname_for(service: &Service, pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    let hostname = spec.hostname.clone().filter(|h| !h.is_empty())?;
    (spec.subdomain.as_deref() == service.metadata.name.as_deref()
        && pod.metadata.namespace == service.metadata.namespace)
        .then_some(hostname)
}

/// Groups addresses by their resolved port set, as RepackSubsets does.
fn subsets_for(service: &Service, pods: &[Pod]) -> Option<Vec<EndpointSubset>> {
    let publish_not_ready = service
        .spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false);
    let service_ports = service
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .unwrap_or_default();
    // Port list (serialised) → (ports, ready, not ready).
    type Group = (
        Vec<EndpointPort>,
        Vec<EndpointAddress>,
        Vec<EndpointAddress>,
    );
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for pod in pods.iter().filter(|p| pod_in_endpoints(p)) {
        let ports: Vec<EndpointPort> = service_ports
            .iter()
            .filter_map(|sp| {
                resolve_target_port(pod, sp).map(|port| EndpointPort {
                    name: sp.name.clone(),
                    port,
                    protocol: Some(sp.protocol.clone().unwrap_or_else(|| "TCP".into())),
                    app_protocol: sp.app_protocol.clone(),
                })
            })
            .collect();
        let address = EndpointAddress {
            ip: pod
                .status
                .as_ref()
                .and_then(|s| s.pod_ip.clone())
                .unwrap_or_default(),
            node_name: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            hostname: hostname_for(service, pod),
            target_ref: Some(pod_reference(pod)),
        };
        let key = serde_json::to_string(&ports).unwrap_or_default();
        let group = groups
            .entry(key)
            .or_insert_with(|| (ports, Vec::new(), Vec::new()));
        if is_pod_ready(pod) || publish_not_ready {
            group.1.push(address);
        } else {
            group.2.push(address);
        }
    }
    let subsets: Vec<EndpointSubset> = groups
        .into_values()
        .map(|(ports, mut ready, mut not_ready)| {
            ready.sort_by(|a, b| a.ip.cmp(&b.ip));
            not_ready.sort_by(|a, b| a.ip.cmp(&b.ip));
            EndpointSubset {
                addresses: (!ready.is_empty()).then_some(ready),
                not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
                ports: (!ports.is_empty()).then_some(ports),
            }
        })
        .collect();
    (!subsets.is_empty()).then_some(subsets)
}
