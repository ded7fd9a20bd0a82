//! The ReplicaSet controller on its own.

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn replica_set_scale_down_deletes_not_ready_pods_first() {
    let (store, _cancel) = default_cluster();
    store.create(replica_set("cache", 2, "redis")).unwrap();
    wait_for("two ready pods", || ready_replicas(&store, "cache") == 2).await;
    let scale = |replicas: i32, image: &str| {
        let image = image.to_string();
        store
            .mutate::<ReplicaSet>(NS, "cache", UpdateScope::Main, |rs| {
                let spec = rs.spec.as_mut().unwrap();
                spec.replicas = Some(replicas);
                spec.template
                    .as_mut()
                    .unwrap()
                    .spec
                    .as_mut()
                    .unwrap()
                    .containers[0]
                    .image = Some(image.clone());
                true
            })
            .unwrap();
    };
    scale(3, "redis:bad");
    wait_for("three pods, one never ready", || {
        pods(&store, NS).len() == 3
            && pods(&store, NS)
                .iter()
                .all(|p| p.status.as_ref().is_some_and(|s| s.pod_ip.is_some()))
    })
    .await;
    let unready = pods(&store, NS).into_iter().find(|p| !is_ready(p)).unwrap();
    let unready_name = unready.metadata.name.unwrap();
    scale(2, "redis:bad");
    wait_for("back to two", || pods(&store, NS).len() == 2).await;
    assert!(pods(&store, NS).iter().all(is_ready));
    assert!(
        event_messages(&store, "SuccessfulDelete")
            .contains(&format!("Deleted pod: {unready_name}"))
    );
    let rs = store.get_as::<ReplicaSet>(NS, "cache").unwrap();
    let status = rs.status.unwrap();
    assert_eq!(
        (
            status.replicas,
            status.ready_replicas,
            status.available_replicas
        ),
        (2, Some(2), Some(2))
    );
    assert_eq!(status.observed_generation, rs.metadata.generation);
    let created = event_messages(&store, "SuccessfulCreate");
    assert_eq!(created.len(), 3);
    assert!(created.iter().all(|m| m.starts_with("Created pod: cache-")));
}

#[tokio::test(start_paused = true)]
async fn replica_set_replaces_a_deleted_pod() {
    let (store, _cancel) = default_cluster();
    store.create(replica_set("cache", 2, "redis")).unwrap();
    wait_for("two ready pods", || ready_replicas(&store, "cache") == 2).await;
    let victim = pods(&store, NS)[0].metadata.name.clone().unwrap();
    store
        .delete(Kind::Pod, NS, &victim, &DeleteOptions::default())
        .unwrap();
    wait_for("replacement", || {
        let pods = pods(&store, NS);
        pods.len() == 2
            && pods
                .iter()
                .all(|p| p.metadata.name.as_deref() != Some(victim.as_str()))
            && ready_replicas(&store, "cache") == 2
    })
    .await;
}
