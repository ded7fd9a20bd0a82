//! Revisions and the deployment's state: undo, pause, progress deadline, history limit, hash collisions.

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn undo_restores_the_old_template_under_a_new_revision() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with("web", 2, "nginx:1.24", json!({})))
        .unwrap();
    wait_for("revision 1", || complete(&store, "web")).await;
    set_image(&store, "web", "nginx:1.25");
    wait_for("revision 2", || {
        complete(&store, "web") && pods(&store, NS).iter().all(|p| image_of(p) == "nginx:1.25")
    })
    .await;

    // What kubectl rollout undo does: the previous revision's template, minus the hash label.
    let previous = replica_sets(&store, NS)
        .into_iter()
        .find(|rs| {
            annotation(&rs.metadata, "deployment.kubernetes.io/revision").as_deref() == Some("1")
        })
        .unwrap();
    let mut template = previous.spec.clone().unwrap().template.unwrap();
    template
        .metadata
        .as_mut()
        .unwrap()
        .labels
        .as_mut()
        .unwrap()
        .remove("pod-template-hash");
    store
        .mutate::<Deployment>(NS, "web", UpdateScope::Main, |d| {
            d.spec.as_mut().unwrap().template = template.clone();
            true
        })
        .unwrap();
    wait_for("undo", || {
        complete(&store, "web") && pods(&store, NS).iter().all(|p| image_of(p) == "nginx:1.24")
    })
    .await;
    let restored = store
        .get_as::<ReplicaSet>(NS, previous.metadata.name.as_deref().unwrap())
        .unwrap();
    assert_eq!(
        annotation(&restored.metadata, "deployment.kubernetes.io/revision").as_deref(),
        Some("3")
    );
    assert_eq!(
        annotation(
            &restored.metadata,
            "deployment.kubernetes.io/revision-history"
        )
        .as_deref(),
        Some("1")
    );
    let d = get_deployment(&store, "web");
    assert_eq!(
        annotation(&d.metadata, "deployment.kubernetes.io/revision").as_deref(),
        Some("3")
    );
    assert_eq!(replica_sets(&store, NS).len(), 2);
    assert_eq!(pods(&store, NS).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn paused_deployment_creates_no_replica_set_until_resumed() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with("web", 2, "nginx", json!({"paused": true})))
        .unwrap();
    wait_for("paused condition", || {
        condition(&get_deployment(&store, "web"), "Progressing").is_some()
    })
    .await;
    sleep(Duration::from_secs(10)).await;
    assert!(replica_sets(&store, NS).is_empty());
    assert_eq!(
        condition(&get_deployment(&store, "web"), "Progressing"),
        Some((
            "Unknown".into(),
            "DeploymentPaused".into(),
            "Deployment is paused".into()
        ))
    );
    store
        .mutate::<Deployment>(NS, "web", UpdateScope::Main, |d| {
            d.spec.as_mut().unwrap().paused = Some(false);
            true
        })
        .unwrap();
    wait_for("rollout after resume", || complete(&store, "web")).await;
    assert_eq!(replica_sets(&store, NS).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn progress_deadline_exceeded_is_reported() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with(
            "web",
            2,
            "nginx:bad",
            json!({"progressDeadlineSeconds": 30}),
        ))
        .unwrap();
    wait_for("deadline", || {
        condition(&get_deployment(&store, "web"), "Progressing")
            .is_some_and(|(status, _, _)| status == "False")
    })
    .await;
    let rs = replica_sets(&store, NS).pop().unwrap();
    let d = get_deployment(&store, "web");
    assert_eq!(
        condition(&d, "Progressing"),
        Some((
            "False".into(),
            "ProgressDeadlineExceeded".into(),
            format!(
                "ReplicaSet \"{}\" has timed out progressing.",
                rs.metadata.name.unwrap()
            )
        ))
    );
    assert_eq!(
        condition(&d, "Available").map(|c| (c.0, c.1)),
        Some(("False".into(), "MinimumReplicasUnavailable".into()))
    );
}

#[tokio::test(start_paused = true)]
async fn revision_history_limit_zero_keeps_no_old_replica_set() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with(
            "web",
            2,
            "nginx:1.24",
            json!({"revisionHistoryLimit": 0}),
        ))
        .unwrap();
    wait_for("revision 1", || complete(&store, "web")).await;
    set_image(&store, "web", "nginx:1.25");
    wait_for("only the new ReplicaSet", || {
        complete(&store, "web") && replica_sets(&store, NS).len() == 1
    })
    .await;
    let rs = replica_sets(&store, NS).pop().unwrap();
    assert_eq!(
        annotation(&rs.metadata, "deployment.kubernetes.io/revision").as_deref(),
        Some("2")
    );
}

#[tokio::test(start_paused = true)]
async fn hash_collision_bumps_collision_count() {
    let (store, _cancel) = default_cluster();
    let d = deployment_with("web", 1, "nginx", json!({}));
    let hash = podium::controllers::deployment::util::compute_hash(
        Some(&d.spec.as_ref().unwrap().template),
        None,
    );
    // Someone else's ReplicaSet already has the name the template hashes to.
    let mut squatter = replica_set(&format!("web-{hash}"), 0, "other");
    squatter.metadata.labels = Some([("app".to_string(), "other".to_string())].into());
    store.create(squatter).unwrap();
    store.create(d).unwrap();
    wait_for("rollout", || complete(&store, "web")).await;
    let d = get_deployment(&store, "web");
    assert_eq!(d.status.unwrap().collision_count, Some(1));
    let ours: Vec<ReplicaSet> = replica_sets(&store, NS)
        .into_iter()
        .filter(|rs| rs.metadata.owner_references.is_some())
        .collect();
    assert_eq!(ours.len(), 1);
    assert_ne!(ours[0].metadata.name, Some(format!("web-{hash}")));
}
