//! The Endpoints and Namespace controllers.

use crate::support::*;

fn bare_pod(name: &str, image: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": "shop"}},
        "spec": {"containers": [{"name": "app", "image": image,
            "ports": [{"name": "http", "containerPort": 8080}]}]}
    }))
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn endpoints_list_ready_and_not_ready_addresses() {
    let (store, _cancel) = default_cluster();
    let service: Service = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "shop", "namespace": NS, "labels": {"tier": "front"}},
        "spec": {"selector": {"app": "shop"},
            "ports": [{"name": "web", "port": 80, "targetPort": "http", "protocol": "TCP"}]}
    }))
    .unwrap();
    store.create(service).unwrap();
    store.create(bare_pod("good", "shop:v1")).unwrap();
    store.create(bare_pod("bad", "shop:bad")).unwrap();
    let endpoints = || store.get_as::<Endpoints>(NS, "shop");
    wait_for("both addresses", || {
        endpoints().and_then(|e| e.subsets).is_some_and(|s| {
            s.len() == 1 && s[0].addresses.is_some() && s[0].not_ready_addresses.is_some()
        })
    })
    .await;
    let ep = endpoints().unwrap();
    assert_eq!(ep.metadata.labels.as_ref().unwrap()["tier"], "front");
    let subset = &ep.subsets.unwrap()[0];
    let ready = subset.addresses.as_ref().unwrap();
    let not_ready = subset.not_ready_addresses.as_ref().unwrap();
    assert_eq!(ready.len(), 1);
    assert_eq!(not_ready.len(), 1);
    let target = ready[0].target_ref.as_ref().unwrap();
    assert_eq!(
        (target.kind.as_deref(), target.name.as_deref()),
        (Some("Pod"), Some("good"))
    );
    assert_eq!(ready[0].node_name.as_deref(), Some("node-1"));
    let good = store.get_as::<Pod>(NS, "good").unwrap();
    assert_eq!(Some(&ready[0].ip), good.status.unwrap().pod_ip.as_ref());
    assert_eq!(
        not_ready[0].target_ref.as_ref().unwrap().name.as_deref(),
        Some("bad")
    );
    let port = &subset.ports.as_ref().unwrap()[0];
    assert_eq!(
        (port.name.as_deref(), port.port, port.protocol.as_deref()),
        (Some("web"), 8080, Some("TCP"))
    );

    store
        .delete(Kind::Service, NS, "shop", &DeleteOptions::default())
        .unwrap();
    wait_for("endpoints removed", || endpoints().is_none()).await;
}

#[tokio::test(start_paused = true)]
async fn namespace_deletion_removes_contents_then_the_namespace() {
    let (store, _cancel) = default_cluster();
    store.create(namespace("team")).unwrap();
    let mut d = deployment_with("web", 2, "nginx", json!({}));
    d.metadata.namespace = Some("team".into());
    store.create(d).unwrap();
    wait_for("pods in team", || {
        pods(&store, "team").len() == 2 && pods(&store, "team").iter().all(is_ready)
    })
    .await;
    let mut watch = store.watch(Some(Kind::Namespace), None).unwrap();
    store
        .delete(Kind::Namespace, "", "team", &DeleteOptions::default())
        .unwrap();
    // While pods terminate, the namespace says what remains.
    let mut reported = false;
    while let Some(WatchItem::Event(event)) = watch.next().await {
        let ns = event.object.as_typed::<Namespace>().unwrap().clone();
        let status = ns.status.unwrap_or_default();
        assert_eq!(status.phase.as_deref(), Some("Terminating"));
        reported |= status.conditions.iter().flatten().any(|c| {
            c.type_ == "NamespaceContentRemaining"
                && c.status == "True"
                && c.message.as_deref().is_some_and(|m| {
                    m.starts_with("Some resources are remaining: ")
                        && m.contains("pods. has 2 resource instances")
                })
        });
        if event.event_type == EventType::Deleted {
            break;
        }
    }
    assert!(reported);
    wait_for("namespace gone", || {
        store.get(Kind::Namespace, "", "team").is_none()
    })
    .await;
    for kind in Kind::all()
        .iter()
        .filter(|k| k.namespaced() && k.info().stored())
    {
        assert!(
            store
                .list(*kind, Some("team"), &ListFilter::default())
                .items
                .is_empty(),
            "{kind:?} left"
        );
    }
    assert!(store.get(Kind::Namespace, "", NS).is_some());
}
