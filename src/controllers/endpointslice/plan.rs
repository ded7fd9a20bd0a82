//! What upstream's reconciler (staging/src/k8s.io/endpointslice) decides
//! for one Service and address type: which slices to create, update and
//! delete so that its endpoints sit in slices of at most 100, changing as
//! few slices as it can. Slices already right are left alone.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::desired::{Desired, PortGroup, endpoint_key, port_key};

/// Upstream's maxEndpointsPerSlice default.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
const LABEL_HEADLESS: &str = "service.kubernetes.io/headless";
/// The longest generateName the API server keeps before its 5 random characters.
const MAX_GENERATED_PREFIX: usize = 58;

/// The writes one reconcile makes.
#[derive(Debug, Default)]
pub struct Plan {
    pub create: Vec<EndpointSlice>,
    pub update: Vec<EndpointSlice>,
    pub delete: Vec<EndpointSlice>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.create.is_empty() && self.update.is_empty() && self.delete.is_empty()
    }

    fn extend(&mut self, other: Plan) {
        self.create.extend(other.create);
        self.update.extend(other.update);
        self.delete.extend(other.delete);
    }
}

fn is_reserved_label(key: &str) -> bool {
    matches!(key, LABEL_SERVICE_NAME | LABEL_MANAGED_BY | LABEL_HEADLESS)
}

/// setEndpointSliceLabels: the Service's labels plus the reserved ones,
/// and whether the slice's own (non-reserved) labels differ from them.
fn slice_labels(slice: &EndpointSlice, service: &Service) -> (BTreeMap<String, String>, bool) {
    let unreserved = |labels: Option<&BTreeMap<String, String>>| -> BTreeMap<String, String> {
        labels
            .into_iter()
            .flatten()
            .filter(|(k, _)| !is_reserved_label(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let mine = unreserved(slice.metadata.labels.as_ref());
    let mut labels = unreserved(service.metadata.labels.as_ref());
    let changed = mine != labels;
    let cluster_ip = service
        .spec
        .as_ref()
        .and_then(|s| s.cluster_ip.as_deref())
        .unwrap_or("");
    if cluster_ip.is_empty() || cluster_ip == "None" {
        labels.insert(LABEL_HEADLESS.into(), String::new());
    }
    labels.insert(
        LABEL_SERVICE_NAME.into(),
        service.metadata.name.clone().unwrap_or_default(),
    );
    labels.insert(LABEL_MANAGED_BY.into(), CONTROLLER_NAME.into());
    (labels, changed)
}

/// ownedBy: the slice's owner is this very Service (same uid).
pub fn owned_by(slice: &EndpointSlice, service: &Service) -> bool {
    slice.metadata.owner_references.iter().flatten().any(|o| {
        Some(o.uid.as_str()) == service.metadata.uid.as_deref()
            && o.kind == "Service"
            && o.api_version == "v1"
    })
}

fn slice_prefix(service_name: &str) -> String {
    let mut prefix = format!("{service_name}-");
    if prefix.len() > MAX_GENERATED_PREFIX {
        prefix.truncate(MAX_GENERATED_PREFIX);
    }
    prefix
}

/// newEndpointSlice: empty, named `<service>-` plus a random suffix,
/// owned by the Service.
fn new_slice(service: &Service, ports: &[EndpointPort], address_type: &str) -> EndpointSlice {
    let name = service.metadata.name.clone().unwrap_or_default();
    let owner = OwnerReference {
        api_version: "v1".into(),
        kind: "Service".into(),
        name: name.clone(),
        uid: service.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    };
    let mut slice = EndpointSlice {
        metadata: ObjectMeta {
            generate_name: Some(slice_prefix(&name)),
            namespace: service.metadata.namespace.clone(),
            owner_references: Some(vec![owner]),
            ..ObjectMeta::default()
        },
        address_type: address_type.to_string(),
        // Stored upstream as no list at all when there are no ports.
        ports: (!ports.is_empty()).then(|| ports.to_vec()),
        endpoints: Vec::new(),
    };
    slice.metadata.labels = Some(slice_labels(&slice, service).0);
    slice
}

/// The same endpoint, beyond what identifies it (EndpointsEqualBeyondHash):
/// the order of its addresses does not count.
fn same_endpoint(want: &Endpoint, have: &Endpoint) -> bool {
    let mut have = have.clone();
    have.addresses.clone_from(&want.addresses);
    *want == have
}

/// getSliceToFill: the unchanged slice that `count` more endpoints would
/// bring closest to full.
fn slice_to_fill<'a>(
    slices: impl Iterator<Item = &'a EndpointSlice>,
    count: usize,
) -> Option<&'a EndpointSlice> {
    let mut closest: Option<(usize, &EndpointSlice)> = None;
    for slice in slices {
        let Some(room) = MAX_ENDPOINTS_PER_SLICE.checked_sub(count + slice.endpoints.len()) else {
            continue;
        };
        if closest.is_none_or(|(best, _)| room < best) {
            closest = Some((room, slice));
            if room == 0 {
                break;
            }
        }
    }
    closest.map(|(_, slice)| slice)
}

fn pop_first(wanted: &mut BTreeMap<super::desired::EndpointKey, Endpoint>) -> Option<Endpoint> {
    wanted.pop_first().map(|(_, endpoint)| endpoint)
}

/// reconcileByPortMapping for the slices of one port set.
fn by_port_mapping(
    service: &Service,
    existing: Vec<EndpointSlice>,
    group: PortGroup,
    address_type: &str,
) -> Plan {
    let mut wanted = group.endpoints;
    let mut by_name: BTreeMap<String, EndpointSlice> = BTreeMap::new();
    let mut unchanged = BTreeSet::new();
    let mut to_update = BTreeSet::new();
    let mut to_delete = BTreeSet::new();

    // 1. Keep what is still wanted, refreshed; drop the rest.
    for slice in existing {
        let name = slice.metadata.name.clone().unwrap_or_default();
        let mut kept = Vec::new();
        let mut changed = false;
        for endpoint in &slice.endpoints {
            if let Some(want) = wanted.remove(&endpoint_key(endpoint)) {
                changed |= !same_endpoint(&want, endpoint);
                kept.push(want);
            }
        }
        let (labels, labels_changed) = slice_labels(&slice, service);
        if changed || kept.len() != slice.endpoints.len() {
            if kept.is_empty() {
                to_delete.insert(name.clone());
                by_name.insert(name, slice);
            } else {
                let mut updated = slice;
                updated.endpoints = kept;
                updated.metadata.labels = Some(labels);
                to_update.insert(name.clone());
                by_name.insert(name, updated);
            }
        } else if labels_changed {
            let mut updated = slice;
            updated.metadata.labels = Some(labels);
            to_update.insert(name.clone());
            by_name.insert(name, updated);
        } else {
            unchanged.insert(name.clone());
            by_name.insert(name, slice);
        }
    }

    // 2. Top up the slices being written anyway, fullest first.
    if !wanted.is_empty() && !to_update.is_empty() {
        let mut names: Vec<&String> = to_update.iter().collect();
        names.sort_by_key(|n| std::cmp::Reverse(by_name.get(*n).map_or(0, |s| s.endpoints.len())));
        for name in names {
            let Some(slice) = by_name.get_mut(name) else {
                continue;
            };
            while slice.endpoints.len() < MAX_ENDPOINTS_PER_SLICE {
                let Some(endpoint) = pop_first(&mut wanted) else {
                    break;
                };
                slice.endpoints.push(endpoint);
            }
        }
    }

    // 3. The rest into one unchanged slice with room, else new slices.
    let mut create = Vec::new();
    while !wanted.is_empty() {
        let fill = if wanted.len() < MAX_ENDPOINTS_PER_SLICE && !unchanged.is_empty() {
            slice_to_fill(
                unchanged.iter().filter_map(|n| by_name.get(n)),
                wanted.len(),
            )
            .cloned()
        } else {
            None
        };
        let mut slice = fill.unwrap_or_else(|| new_slice(service, &group.ports, address_type));
        while slice.endpoints.len() < MAX_ENDPOINTS_PER_SLICE {
            let Some(endpoint) = pop_first(&mut wanted) else {
                break;
            };
            slice.endpoints.push(endpoint);
        }
        match slice.metadata.name.clone() {
            Some(name) => {
                unchanged.remove(&name);
                to_update.insert(name.clone());
                by_name.insert(name, slice);
            }
            None => create.push(slice),
        }
    }

    let mut take = |names: &BTreeSet<String>| -> Vec<EndpointSlice> {
        names.iter().filter_map(|n| by_name.remove(n)).collect()
    };
    let update = take(&to_update);
    let delete = take(&to_delete);
    Plan {
        create,
        update,
        delete,
    }
}

/// The placeholder upstream compares with: same namespace, labels, address
/// type, and no ports or endpoints.
fn is_placeholder_like(slice: &EndpointSlice, placeholder: &EndpointSlice) -> bool {
    slice.metadata.namespace == placeholder.metadata.namespace
        && slice.metadata.labels.clone().unwrap_or_default()
            == placeholder.metadata.labels.clone().unwrap_or_default()
        && slice.address_type == placeholder.address_type
        && slice.ports.as_ref().is_none_or(Vec::is_empty)
        && slice.endpoints.is_empty()
}

/// reconcileByAddressType, then finalize's trade of creates for the
/// slices that would be deleted.
pub fn by_address_type(
    service: &Service,
    existing: Vec<EndpointSlice>,
    mut desired: Desired,
    address_type: &str,
) -> Plan {
    let existing_count = existing.len();
    let mut plan = Plan::default();
    let mut by_ports: BTreeMap<String, Vec<EndpointSlice>> = BTreeMap::new();
    for slice in existing {
        if owned_by(&slice, service) {
            let key = port_key(slice.ports.as_deref().unwrap_or_default());
            by_ports.entry(key).or_default().push(slice);
        } else {
            // Left by an earlier Service of the same name.
            plan.delete.push(slice);
        }
    }
    for (key, group) in std::mem::take(&mut desired) {
        let slices = by_ports.remove(&key).unwrap_or_default();
        plan.extend(by_port_mapping(service, slices, group, address_type));
    }
    // Port sets no pod has any more.
    plan.delete.extend(by_ports.into_values().flatten());

    // A Service with no endpoints still has one (empty) slice.
    if existing_count == plan.delete.len() && plan.create.is_empty() {
        let placeholder = new_slice(service, &[], address_type);
        if plan.delete.len() == 1 && is_placeholder_like(&plan.delete[0], &placeholder) {
            plan.delete.clear();
        } else {
            plan.create.push(placeholder);
        }
    }

    // Rather than delete one slice and create another, rewrite the first.
    let mut i = 0;
    while i < plan.delete.len() {
        let Some(mut slice) = plan.create.pop() else {
            break;
        };
        let reusable = &plan.delete[i];
        if reusable.address_type == slice.address_type && owned_by(reusable, service) {
            slice.metadata.name.clone_from(&reusable.metadata.name);
            plan.update.push(slice);
            plan.delete.remove(i);
        } else {
            plan.create.push(slice);
            i += 1;
        }
    }
    plan
}

#[cfg(test)]
mod tests;
