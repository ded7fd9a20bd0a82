//! The EndpointSlice controller: slices named `<service>-xxxxx`, owned by
//! their Service, following its pods' readiness, 100 endpoints at most to
//! a slice, no writes when nothing changed, gone with the Service.

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::api::discovery::v1::EndpointSlice;

use crate::support::*;

const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

fn pod(name: &str, app: &str, image: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": app}},
        "spec": {"containers": [{"name": "app", "image": image,
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]}]}
    }))
    .unwrap()
}

/// A Service as the API server stores it (cluster IP and family assigned).
fn service(name: &str, app: &str) -> Service {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": NS, "labels": {"tier": "front"}},
        "spec": {"selector": {"app": app}, "clusterIP": "10.96.0.50",
            "ipFamilies": ["IPv4"], "type": "ClusterIP",
            "ports": [{"name": "web", "port": 80, "targetPort": "http", "protocol": "TCP"}]}
    }))
    .unwrap()
}

/// The node the pretend kubelet binds pods to, in a zone.
fn add_node(store: &Store) {
    let node: Node = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "node-1", "labels": {"topology.kubernetes.io/zone": "zone-a"}}
    }))
    .unwrap();
    store.create(node).unwrap();
}

fn slices(store: &Store, service: &str) -> Vec<EndpointSlice> {
    store
        .list(Kind::EndpointSlice, Some(NS), &ListFilter::default())
        .items
        .iter()
        .map(|o| serde_json::from_value::<EndpointSlice>(o.to_json()).unwrap())
        .filter(|s| {
            s.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(SERVICE_NAME_LABEL))
                .is_some_and(|n| n == service)
        })
        .collect()
}

fn endpoint_count(store: &Store, service: &str) -> usize {
    slices(store, service)
        .iter()
        .map(|s| s.endpoints.len())
        .sum()
}

fn versions(store: &Store, service: &str) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = slices(store, service)
        .into_iter()
        .map(|s| {
            (
                s.metadata.name.unwrap(),
                s.metadata.resource_version.unwrap(),
            )
        })
        .collect();
    all.sort();
    all
}

fn set_ready(store: &Store, name: &str, ready: bool) {
    store
        .mutate::<Pod>(NS, name, UpdateScope::Status, |p| {
            let conditions = p.status.as_mut().unwrap().conditions.as_mut().unwrap();
            conditions[0].status = if ready { "True" } else { "False" }.into();
            true
        })
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn slices_list_the_pods_of_a_service_and_follow_readiness() {
    let (store, _cancel) = default_cluster();
    add_node(&store);
    let created = store.create(service("shop", "shop")).unwrap();
    // Before any pod, the Service has one empty slice.
    wait_for("the empty slice", || slices(&store, "shop").len() == 1).await;
    let placeholder = slices(&store, "shop").remove(0);
    assert!(placeholder.endpoints.is_empty() && placeholder.ports.is_none());

    store.create(pod("good", "shop", "shop:v1")).unwrap();
    store.create(pod("bad", "shop", "shop:bad")).unwrap();
    store.create(pod("other", "cart", "cart:v1")).unwrap();
    wait_for("both pods in the slice", || {
        endpoint_count(&store, "shop") == 2
    })
    .await;
    let all = slices(&store, "shop");
    assert_eq!(all.len(), 1, "the pods took over the empty slice");
    let slice = &all[0];
    assert_eq!(slice.metadata.name, placeholder.metadata.name);
    let name = slice.metadata.name.clone().unwrap();
    assert!(
        name.starts_with("shop-") && name.len() == "shop-".len() + 5,
        "{name}"
    );
    assert_eq!(slice.metadata.generate_name.as_deref(), Some("shop-"));
    let labels = slice.metadata.labels.clone().unwrap();
    assert_eq!(labels[SERVICE_NAME_LABEL], "shop");
    assert_eq!(
        labels["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    assert_eq!(labels["tier"], "front", "the Service's labels are copied");
    let owner = &slice.metadata.owner_references.clone().unwrap()[0];
    assert_eq!(
        (
            owner.api_version.as_str(),
            owner.kind.as_str(),
            owner.name.as_str()
        ),
        ("v1", "Service", "shop")
    );
    assert_eq!(Some(&owner.uid), created.meta().uid.as_ref());
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );
    assert_eq!(slice.address_type, "IPv4");
    let port = &slice.ports.clone().unwrap()[0];
    assert_eq!(
        (port.name.as_deref(), port.port, port.protocol.as_deref()),
        (Some("web"), Some(8080), Some("TCP")),
        "the named targetPort resolved against the pod"
    );
    let endpoint = |pod: &str| {
        slices(&store, "shop")
            .into_iter()
            .flat_map(|s| s.endpoints)
            .find(|e| e.target_ref.as_ref().and_then(|t| t.name.as_deref()) == Some(pod))
            .unwrap()
    };
    let good = endpoint("good");
    let conditions = good.conditions.clone().unwrap();
    assert_eq!(
        (conditions.ready, conditions.serving, conditions.terminating),
        (Some(true), Some(true), Some(false))
    );
    let pod_ip = store
        .get_as::<Pod>(NS, "good")
        .unwrap()
        .status
        .unwrap()
        .pod_ip;
    assert_eq!(good.addresses, vec![pod_ip.unwrap()]);
    assert_eq!(good.node_name.as_deref(), Some("node-1"));
    assert_eq!(good.zone.as_deref(), Some("zone-a"));
    let target = good.target_ref.clone().unwrap();
    assert_eq!(target.kind.as_deref(), Some("Pod"));
    assert_eq!(target.namespace.as_deref(), Some(NS));
    let bad = endpoint("bad").conditions.unwrap();
    assert_eq!((bad.ready, bad.serving), (Some(false), Some(false)));

    // Readiness changes show in the slice.
    set_ready(&store, "bad", true);
    wait_for("bad turned ready", || {
        endpoint("bad").conditions.unwrap().ready == Some(true)
    })
    .await;
    set_ready(&store, "good", false);
    wait_for("good turned unready", || {
        endpoint("good").conditions.unwrap().ready == Some(false)
    })
    .await;

    // Nothing changed for the slices: they are not written again.
    let before = versions(&store, "shop");
    store
        .mutate::<Service>(NS, "shop", UpdateScope::Main, |s| {
            s.metadata
                .annotations
                .get_or_insert_with(BTreeMap::new)
                .insert("touched".into(), "yes".into());
            true
        })
        .unwrap();
    store
        .mutate::<Pod>(NS, "good", UpdateScope::Status, |p| {
            p.status.as_mut().unwrap().message = Some("still here".into());
            true
        })
        .unwrap();
    sleep(Duration::from_secs(5)).await;
    assert_eq!(versions(&store, "shop"), before);

    // A pod leaving the selection leaves the slice.
    store
        .mutate::<Pod>(NS, "bad", UpdateScope::Main, |p| {
            p.metadata.labels = Some(BTreeMap::from([("app".into(), "gone".into())]));
            true
        })
        .unwrap();
    wait_for("bad left", || endpoint_count(&store, "shop") == 1).await;

    // The slices go with their Service.
    store
        .delete(Kind::Service, NS, "shop", &DeleteOptions::default())
        .unwrap();
    wait_for("slices gone", || slices(&store, "shop").is_empty()).await;
}

#[tokio::test(start_paused = true)]
async fn more_than_a_hundred_pods_take_two_slices() {
    let (store, _cancel) = default_cluster();
    add_node(&store);
    store.create(replica_set("big", 120, "big:v1")).unwrap();
    store.create(service("big", "big")).unwrap();
    wait_for("120 endpoints", || endpoint_count(&store, "big") == 120).await;
    let mut sizes: Vec<usize> = slices(&store, "big")
        .iter()
        .map(|s| s.endpoints.len())
        .collect();
    sizes.sort();
    assert_eq!(sizes, vec![20, 100]);

    // Scaling down empties a slice, not both.
    store
        .mutate::<ReplicaSet>(NS, "big", UpdateScope::Main, |rs| {
            rs.spec.as_mut().unwrap().replicas = Some(90);
            true
        })
        .unwrap();
    wait_for("90 endpoints", || endpoint_count(&store, "big") == 90).await;
    sleep(Duration::from_secs(2)).await;
    let total: usize = slices(&store, "big")
        .iter()
        .map(|s| s.endpoints.len())
        .sum();
    assert_eq!(total, 90);
    assert!(
        slices(&store, "big")
            .iter()
            .all(|s| s.endpoints.len() <= 100)
    );
}

#[tokio::test(start_paused = true)]
async fn a_service_whose_selector_is_removed_keeps_its_slices_as_they_were() {
    let (store, _cancel) = default_cluster();
    add_node(&store);
    store.create(service("kept", "kept")).unwrap();
    store.create(pod("one", "kept", "kept:v1")).unwrap();
    wait_for("one endpoint", || endpoint_count(&store, "kept") == 1).await;
    store
        .mutate::<Service>(NS, "kept", UpdateScope::Main, |s| {
            s.spec.as_mut().unwrap().selector = None;
            true
        })
        .unwrap();
    let before = versions(&store, "kept");
    store.create(pod("two", "kept", "kept:v1")).unwrap();
    sleep(Duration::from_secs(5)).await;
    assert_eq!(versions(&store, "kept"), before, "no longer managed");
    assert_eq!(endpoint_count(&store, "kept"), 1);
}
