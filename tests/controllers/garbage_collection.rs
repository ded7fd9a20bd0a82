//! Cascading deletion: background, foreground and orphan.

use crate::support::*;

async fn delete_deployment_and_wait(propagation: Propagation) -> Store {
    let (store, cancel) = default_cluster();
    std::mem::forget(cancel);
    store
        .create(deployment_with("web", 3, "nginx", json!({})))
        .unwrap();
    wait_for("rollout", || complete(&store, "web")).await;
    store
        .delete(
            Kind::Deployment,
            NS,
            "web",
            &DeleteOptions {
                propagation: Some(propagation),
                ..DeleteOptions::default()
            },
        )
        .unwrap();
    wait_for("deployment gone", || {
        store.get(Kind::Deployment, NS, "web").is_none()
    })
    .await;
    store
}

#[tokio::test(start_paused = true)]
async fn background_cascade_removes_replica_sets_and_pods() {
    let store = delete_deployment_and_wait(Propagation::Background).await;
    wait_for("dependents gone", || {
        replica_sets(&store, NS).is_empty() && pods(&store, NS).is_empty()
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn foreground_cascade_removes_dependents_before_the_owner() {
    let store = delete_deployment_and_wait(Propagation::Foreground).await;
    // Foreground: by the time the Deployment is gone, so are its ReplicaSets.
    assert!(replica_sets(&store, NS).is_empty());
    wait_for("pods gone", || pods(&store, NS).is_empty()).await;
}

#[tokio::test(start_paused = true)]
async fn orphan_delete_leaves_the_replica_set_without_owner_then_adoption() {
    let store = delete_deployment_and_wait(Propagation::Orphan).await;
    sleep(Duration::from_secs(5)).await;
    let rss = replica_sets(&store, NS);
    assert_eq!(rss.len(), 1);
    assert_eq!(rss[0].metadata.owner_references, None);
    let pod_names: Vec<_> = pods(&store, NS)
        .into_iter()
        .map(|p| p.metadata.name)
        .collect();
    assert_eq!(pod_names.len(), 3);

    // A Deployment with the same selector and template adopts it again.
    store
        .create(deployment_with("web", 3, "nginx", json!({})))
        .unwrap();
    wait_for("adoption", || {
        replica_sets(&store, NS)[0]
            .metadata
            .owner_references
            .is_some()
            && complete(&store, "web")
    })
    .await;
    let owner = replica_sets(&store, NS)[0]
        .metadata
        .owner_references
        .clone()
        .unwrap();
    assert_eq!(owner[0].kind, "Deployment");
    assert_eq!(
        owner[0].uid,
        get_deployment(&store, "web").metadata.uid.unwrap()
    );
    assert_eq!(replica_sets(&store, NS).len(), 1);
    let after: Vec<_> = pods(&store, NS)
        .into_iter()
        .map(|p| p.metadata.name)
        .collect();
    assert_eq!(after, pod_names);
}
