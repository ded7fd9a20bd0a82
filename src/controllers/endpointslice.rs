//! The EndpointSlice controller (upstream's pkg/controller/endpointslice):
//! for every Service with a selector, discovery.k8s.io/v1 EndpointSlices
//! named `<service>-xxxxx`, owned by the Service, listing its pods'
//! addresses with ready/serving/terminating, at most 100 to a slice. A
//! Service with no endpoints keeps one empty slice. A Service whose
//! selector is removed keeps its slices as they were (upstream stops
//! managing them); a deleted Service's slices go with it through the
//! garbage collector. A reconcile that finds the slices right writes
//! nothing.

mod desired;
mod plan;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Node, Pod, PodIP, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;

use super::ControllerError;
use super::runner::Reconciler;
use super::util::{is_pod_ready, object_of, read_as};
use crate::api::selector::LabelSelector;
use crate::api::{Kind, KubeObject, Object};
use crate::store::{
    DeleteOptions, EventType, ListFilter, ObjectKey, Store, StoreError, UpdateScope, WatchEvent,
};

pub use plan::{CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, MAX_ENDPOINTS_PER_SLICE};

/// How soon a Service whose pods sit on a node not (yet) known is looked at again.
const NODELESS_RETRY: Duration = Duration::from_secs(5);

pub struct EndpointSliceController {
    store: Store,
}

impl EndpointSliceController {
    pub fn new(store: Store) -> EndpointSliceController {
        EndpointSliceController { store }
    }

    /// The Services in `namespace` whose selector picks any of `labels`.
    fn services_selecting(
        &self,
        namespace: &str,
        labels: &[Option<&BTreeMap<String, String>>],
    ) -> Vec<ObjectKey> {
        self.store
            .list(Kind::Service, Some(namespace), &ListFilter::default())
            .items
            .iter()
            .filter(|o| {
                let Some(selector) = Service::from_object(o)
                    .and_then(|s| s.spec.as_ref())
                    .and_then(|s| s.selector.as_ref())
                else {
                    return false;
                };
                labels.iter().any(|l| selects(selector, *l))
            })
            .map(|o| ObjectKey::of(o))
            .collect()
    }

    /// The slices this controller keeps for a Service, not being deleted.
    fn managed_slices(
        &self,
        namespace: &str,
        service: &str,
    ) -> Result<Vec<EndpointSlice>, ControllerError> {
        let selector = LabelSelector::from_map(&BTreeMap::from([
            (LABEL_SERVICE_NAME.to_string(), service.to_string()),
            (LABEL_MANAGED_BY.to_string(), CONTROLLER_NAME.to_string()),
        ]));
        self.store
            .list(
                Kind::EndpointSlice,
                Some(namespace),
                &ListFilter::labels(selector),
            )
            .items
            .iter()
            .filter(|o| o.meta().deletion_timestamp.is_none())
            .map(|o| read_as::<EndpointSlice>(o))
            .collect()
    }

    fn apply(&self, service: &Service, plan: plan::Plan) -> Result<(), ControllerError> {
        // Creating slices for a Service being deleted would race the
        // garbage collector.
        if service.metadata.deletion_timestamp.is_none() {
            for slice in plan.create {
                match self.store.create(object_of(Kind::EndpointSlice, &slice)?) {
                    Ok(_) => {}
                    Err(StoreError::NamespaceTerminating { .. }) => return Ok(()),
                    Err(error) => return Err(error.into()),
                }
            }
        }
        for slice in plan.update {
            self.store
                .update(object_of(Kind::EndpointSlice, &slice)?, UpdateScope::Main)?;
        }
        for slice in plan.delete {
            let name = slice.metadata.name.unwrap_or_default();
            let namespace = slice.metadata.namespace.unwrap_or_default();
            match self.store.delete(
                Kind::EndpointSlice,
                &namespace,
                &name,
                &DeleteOptions::default(),
            ) {
                Ok(_) | Err(StoreError::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }
}

/// A Service's selector (a plain map; an empty one picks every pod).
fn selects(selector: &BTreeMap<String, String>, labels: Option<&BTreeMap<String, String>>) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// What of a pod can change its endpoint: a status write that moves none
/// of it (a restart count, a probe's timestamp) wakes no Service.
#[derive(PartialEq)]
struct PodView<'a> {
    labels: Option<&'a BTreeMap<String, String>>,
    ip: Option<&'a str>,
    ips: Option<&'a Vec<PodIP>>,
    phase: Option<&'a str>,
    ready: bool,
    terminating: bool,
    node: Option<&'a str>,
    hostname: Option<&'a str>,
    subdomain: Option<&'a str>,
    containers: Option<&'a Vec<Container>>,
    init_containers: Option<&'a Vec<Container>>,
}

fn pod_view(pod: &Pod) -> PodView<'_> {
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    PodView {
        labels: pod.metadata.labels.as_ref(),
        ip: status.and_then(|s| s.pod_ip.as_deref()),
        ips: status.and_then(|s| s.pod_ips.as_ref()),
        phase: status.and_then(|s| s.phase.as_deref()),
        ready: is_pod_ready(pod),
        terminating: pod.metadata.deletion_timestamp.is_some(),
        node: spec.and_then(|s| s.node_name.as_deref()),
        hostname: spec.and_then(|s| s.hostname.as_deref()),
        subdomain: spec.and_then(|s| s.subdomain.as_deref()),
        containers: spec.map(|s| &s.containers),
        init_containers: spec.and_then(|s| s.init_containers.as_ref()),
    }
}

impl Reconciler for EndpointSliceController {
    fn name(&self) -> &'static str {
        "endpointslice"
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Service, Kind::EndpointSlice, Kind::Pod])
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        let object = &event.object;
        match &**object {
            Object::Service(_) => vec![ObjectKey::of(object)],
            Object::Pod(pod) => {
                let previous = event.previous.as_deref().and_then(Pod::from_object);
                if event.event_type == EventType::Modified
                    && previous.is_some_and(|p| pod_view(p) == pod_view(pod))
                {
                    return Vec::new();
                }
                let labels = [
                    pod.metadata.labels.as_ref(),
                    previous.and_then(|p| p.metadata.labels.as_ref()),
                ];
                self.services_selecting(object.namespace(), &labels)
            }
            _ if object.kind() == Kind::EndpointSlice => {
                let labels = object.meta().labels.as_ref();
                let managed = labels.and_then(|l| l.get(LABEL_MANAGED_BY));
                match labels.and_then(|l| l.get(LABEL_SERVICE_NAME)) {
                    Some(service) if managed.map(String::as_str) == Some(CONTROLLER_NAME) => {
                        vec![ObjectKey::new(Kind::Service, object.namespace(), service)]
                    }
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        self.store
            .list(Kind::Service, None, &ListFilter::default())
            .items
            .iter()
            .map(|o| ObjectKey::of(o))
            .collect()
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        // A deleted Service's slices go with it (ownerReferences).
        let Some(service) = self.store.get_as::<Service>(&key.namespace, &key.name) else {
            return Ok(None);
        };
        let spec = service.spec.as_ref();
        if spec.and_then(|s| s.type_.as_deref()) == Some("ExternalName") {
            return Ok(None);
        }
        // Without a selector the slices are somebody else's (made by
        // hand); any this controller made stay as they were.
        let Some(selector) = spec.and_then(|s| s.selector.as_ref()) else {
            return Ok(None);
        };
        let pods: Vec<Pod> = self
            .store
            .list_as::<Pod>(Some(&key.namespace), &ListFilter::default())
            .into_iter()
            .filter(|p| selects(selector, p.metadata.labels.as_ref()))
            .collect();
        let existing = self.managed_slices(&key.namespace, &key.name)?;
        let types = desired::address_types(&service);
        let node = |name: &str| self.store.get_as::<Node>("", name);

        let mut plan = plan::Plan::default();
        let mut nodeless = Vec::new();
        let (mut wanted, unsupported): (Vec<EndpointSlice>, Vec<EndpointSlice>) = existing
            .into_iter()
            .partition(|s| types.contains(&s.address_type.as_str()));
        plan.delete.extend(unsupported);
        for address_type in types {
            let (mine, rest) = wanted
                .into_iter()
                .partition(|s| s.address_type == address_type);
            wanted = rest;
            let (groups, missing) = desired::desired(&service, &pods, node, address_type);
            nodeless.extend(missing);
            let typed = plan::by_address_type(&service, mine, groups, address_type);
            plan.create.extend(typed.create);
            plan.update.extend(typed.update);
            plan.delete.extend(typed.delete);
        }
        if !plan.is_empty() {
            self.apply(&service, plan)?;
        }
        if !nodeless.is_empty() {
            tracing::debug!(service = key.name, pods = ?nodeless, "pods on unknown nodes left out of the EndpointSlices");
            return Ok(Some(NODELESS_RETRY));
        }
        Ok(None)
    }
}
