//! The disruption controller: a budget's status from its pods and their
//! controllers' scale, the DisruptionAllowed condition, pods named in
//! `disruptedPods` left out for two minutes, and a budget over no pods.

use k8s_openapi::api::policy::v1::PodDisruptionBudget;

use crate::support::*;

fn budget(name: &str, spec: serde_json::Value) -> Object {
    let mut value = json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"selector": {"matchLabels": {"app": "web"}}}
    });
    for (k, v) in spec.as_object().cloned().unwrap_or_default() {
        value["spec"][k] = v;
    }
    Object::from_json(Kind::PodDisruptionBudget, value).unwrap()
}

fn read(store: &Store, name: &str) -> PodDisruptionBudget {
    let object = store.get(Kind::PodDisruptionBudget, NS, name).unwrap();
    serde_json::from_value(object.to_json()).unwrap()
}

/// currentHealthy/desiredHealthy/expectedPods/disruptionsAllowed.
fn counts(store: &Store, name: &str) -> (i32, i32, i32, i32) {
    let s = read(store, name).status.unwrap_or_default();
    (
        s.current_healthy,
        s.desired_healthy,
        s.expected_pods,
        s.disruptions_allowed,
    )
}

fn condition(store: &Store, name: &str) -> (String, String) {
    let s = read(store, name).status.unwrap_or_default();
    let c = s
        .conditions
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "DisruptionAllowed")
        .unwrap();
    (c.status, c.reason)
}

#[tokio::test(start_paused = true)]
async fn budgets_count_healthy_pods_against_the_deployments_scale() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with("web", 3, "nginx", json!({})))
        .unwrap();
    store
        .create(budget("max", json!({"maxUnavailable": 1})))
        .unwrap();
    store
        .create(budget("pct", json!({"minAvailable": "50%"})))
        .unwrap();
    store
        .create(budget("all", json!({"minAvailable": 3})))
        .unwrap();
    wait_for("the budgets to see 3 healthy pods", || {
        counts(&store, "max") == (3, 2, 3, 1)
            && counts(&store, "pct") == (3, 2, 3, 1)
            && counts(&store, "all") == (3, 3, 3, 0)
    })
    .await;
    assert_eq!(
        condition(&store, "max"),
        ("True".into(), "SufficientPods".into())
    );
    assert_eq!(
        condition(&store, "all"),
        ("False".into(), "InsufficientPods".into())
    );
    let max = read(&store, "max");
    assert_eq!(
        max.status.as_ref().unwrap().observed_generation,
        max.metadata.generation
    );

    // The scale, not the pods found, is what percentages count from.
    store
        .mutate::<Deployment>(NS, "web", UpdateScope::Main, |d| {
            d.spec.as_mut().unwrap().replicas = Some(4);
            true
        })
        .unwrap();
    wait_for("the budgets to follow the scale", || {
        counts(&store, "max") == (4, 3, 4, 1) && counts(&store, "pct") == (4, 2, 4, 2)
    })
    .await;

    // A pod an eviction named is not counted while it is on its way out.
    let victim = pods(&store, NS)[0].metadata.name.clone().unwrap();
    store
        .mutate_json(
            Kind::PodDisruptionBudget,
            NS,
            "all",
            UpdateScope::Status,
            |value| {
                value["status"]["disruptedPods"] =
                    json!({ victim.clone(): podium::clock::now_time() });
                true
            },
        )
        .unwrap();
    wait_for("the disrupted pod to be left out", || {
        counts(&store, "all").0 == 3
    })
    .await;
    // Two minutes on, it was not deleted: it counts again.
    sleep(Duration::from_secs(125)).await;
    wait_for("the entry to expire", || {
        counts(&store, "all").0 == 4
            && read(&store, "all")
                .status
                .unwrap()
                .disrupted_pods
                .is_none_or(|m| m.is_empty())
    })
    .await;
    assert!(
        event_messages(&store, "NotDeleted")
            .iter()
            .any(|m| m == "Pod was expected by PDB default/all to be deleted but it wasn't"),
        "{:?}",
        event_messages(&store, "NotDeleted")
    );
}

#[tokio::test(start_paused = true)]
async fn a_budget_over_no_pods_allows_nothing() {
    let (store, _cancel) = default_cluster();
    store
        .create(budget("none", json!({"minAvailable": 1})))
        .unwrap();
    wait_for("the empty budget's status", || {
        read(&store, "none").status.is_some_and(|s| {
            s.observed_generation == Some(1) && s.expected_pods == 0 && s.disruptions_allowed == 0
        })
    })
    .await;
    assert!(
        event_messages(&store, "NoPods")
            .iter()
            .any(|m| m == "No matching pods found")
    );
}

/// A pod an eviction marked but that was never deleted loses its
/// DisruptionTarget condition after two minutes.
#[tokio::test(start_paused = true)]
async fn a_stale_disruption_target_is_cleared() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with("web", 1, "nginx", json!({})))
        .unwrap();
    wait_for("the pod to be ready", || {
        pods(&store, NS).iter().any(is_ready)
    })
    .await;
    let name = pods(&store, NS)[0].metadata.name.clone().unwrap();
    store
        .mutate::<Pod>(NS, &name, UpdateScope::Status, |pod| {
            let status = pod.status.get_or_insert_with(Default::default);
            status
                .conditions
                .get_or_insert_with(Vec::new)
                .push(PodCondition {
                    type_: "DisruptionTarget".into(),
                    status: "True".into(),
                    reason: Some("EvictionByEvictionAPI".into()),
                    message: Some("Eviction API: evicting".into()),
                    last_transition_time: Some(podium::clock::now_time()),
                    ..PodCondition::default()
                });
            true
        })
        .unwrap();
    let target = |store: &Store| {
        store
            .get_as::<Pod>(NS, &name)
            .and_then(|p| p.status?.conditions)
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.type_ == "DisruptionTarget")
            .map(|c| c.status)
    };
    sleep(Duration::from_secs(60)).await;
    assert_eq!(target(&store).as_deref(), Some("True"), "not yet stale");
    sleep(Duration::from_secs(65)).await;
    wait_for("the condition to be cleared", || {
        target(&store).as_deref() == Some("False")
    })
    .await;
}
