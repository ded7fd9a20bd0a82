#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use super::*;
use crate::controllers::endpointslice::desired::{EndpointKey, PortGroup};

fn service() -> Service {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "web", "namespace": "default", "uid": "svc-uid",
            "labels": {"app": "web"}},
        "spec": {"clusterIP": "10.96.0.10", "selector": {"app": "web"},
            "ports": [{"port": 80, "protocol": "TCP"}]}
    }))
    .unwrap()
}

fn ports() -> Vec<EndpointPort> {
    vec![EndpointPort {
        name: Some(String::new()),
        port: Some(80),
        protocol: Some("TCP".into()),
        app_protocol: None,
    }]
}

fn endpoint(i: usize) -> Endpoint {
    Endpoint {
        addresses: vec![format!("10.244.{}.{}", i / 200, i % 200 + 1)],
        target_ref: Some(k8s_openapi::api::core::v1::ObjectReference {
            kind: Some("Pod".into()),
            namespace: Some("default".into()),
            name: Some(format!("web-{i}")),
            ..Default::default()
        }),
        ..Endpoint::default()
    }
}

fn group(count: usize) -> Desired {
    let endpoints: BTreeMap<EndpointKey, Endpoint> = (0..count)
        .map(endpoint)
        .map(|e| (endpoint_key(&e), e))
        .collect();
    Desired::from([(
        port_key(&ports()),
        PortGroup {
            ports: ports(),
            endpoints,
        },
    )])
}

/// The plan's creates as the store would keep them (named).
fn stored(plan: Plan) -> Vec<EndpointSlice> {
    plan.create
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            s.metadata.name = Some(format!("web-{i:05}"));
            s
        })
        .chain(plan.update)
        .collect()
}

#[test]
fn endpoints_are_split_at_one_hundred() {
    let plan = by_address_type(&service(), Vec::new(), group(150), "IPv4");
    let sizes: Vec<usize> = plan.create.iter().map(|s| s.endpoints.len()).collect();
    assert_eq!(sizes, vec![100, 50]);
    let slice = &plan.create[0];
    assert_eq!(slice.metadata.generate_name.as_deref(), Some("web-"));
    let labels = slice.metadata.labels.clone().unwrap();
    assert_eq!(labels[LABEL_SERVICE_NAME], "web");
    assert_eq!(labels[LABEL_MANAGED_BY], CONTROLLER_NAME);
    assert_eq!(labels["app"], "web");
    assert!(owned_by(slice, &service()));
}

#[test]
fn slices_already_right_are_left_alone() {
    let existing = stored(by_address_type(&service(), Vec::new(), group(150), "IPv4"));
    let again = by_address_type(&service(), existing, group(150), "IPv4");
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn a_service_without_endpoints_has_one_empty_slice_which_is_reused() {
    let placeholder = by_address_type(&service(), Vec::new(), Desired::new(), "IPv4");
    assert_eq!(placeholder.create.len(), 1);
    assert!(placeholder.create[0].ports.is_none());
    let existing = stored(placeholder);
    let unchanged = by_address_type(&service(), existing.clone(), Desired::new(), "IPv4");
    assert!(unchanged.is_empty(), "{unchanged:?}");
    // The first pods take over the placeholder instead of a new slice.
    let filled = by_address_type(&service(), existing, group(3), "IPv4");
    assert!(filled.create.is_empty() && filled.delete.is_empty());
    assert_eq!(filled.update.len(), 1);
    assert_eq!(filled.update[0].metadata.name.as_deref(), Some("web-00000"));
    assert_eq!(filled.update[0].endpoints.len(), 3);
}

#[test]
fn a_changed_condition_updates_only_its_slice() {
    let existing = stored(by_address_type(&service(), Vec::new(), group(150), "IPv4"));
    let mut wanted = group(150);
    let last = wanted
        .values_mut()
        .next()
        .unwrap()
        .endpoints
        .values_mut()
        .last()
        .unwrap();
    last.conditions = Some(k8s_openapi::api::discovery::v1::EndpointConditions {
        ready: Some(false),
        ..Default::default()
    });
    let plan = by_address_type(&service(), existing, wanted, "IPv4");
    assert!(plan.create.is_empty() && plan.delete.is_empty());
    assert_eq!(plan.update.len(), 1);
    assert_eq!(plan.update[0].endpoints.len(), 50);
}

#[test]
fn slices_of_an_earlier_service_of_the_same_name_are_deleted() {
    let existing = stored(by_address_type(&service(), Vec::new(), group(2), "IPv4"));
    let mut recreated = service();
    recreated.metadata.uid = Some("other-uid".into());
    let plan = by_address_type(&recreated, existing, group(2), "IPv4");
    assert_eq!(plan.delete.len(), 1);
    assert_eq!(plan.create.len(), 1);
    assert!(owned_by(&plan.create[0], &recreated));
}
