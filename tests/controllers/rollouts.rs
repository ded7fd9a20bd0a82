//! Rolling updates and Recreate: the bounds they keep, on the pretend kubelet, a multi-threaded runtime and the real scheduler and sim kubelet.

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn rolling_update_keeps_surge_and_availability_bounds() {
    let (store, _cancel) = cluster(DriverOptions {
        ready_after: Duration::from_secs(2),
        one_at_a_time: true,
    });
    store
        .create(deployment_with("web", 5, "nginx:1.24", rolling(1, 1)))
        .unwrap();
    wait_for("first rollout", || complete(&store, "web")).await;
    let d = get_deployment(&store, "web");
    assert_eq!(
        annotation(&d.metadata, "deployment.kubernetes.io/revision").as_deref(),
        Some("1")
    );
    let old_rs = replica_sets(&store, NS).pop().unwrap();
    let old_hash = rs_hash(&old_rs);
    assert_eq!(
        old_rs.metadata.name.as_deref(),
        Some(format!("web-{old_hash}").as_str())
    );

    // Mirror pods and ReplicaSets from the watch to check every state.
    let list = store.list(Kind::Pod, Some(NS), &ListFilter::default());
    let mut watch = store.watch(None, Some(list.resource_version)).unwrap();
    let mut mirror: BTreeMap<String, Pod> = list
        .items
        .iter()
        .map(|o| (o.name().to_string(), o.as_typed::<Pod>().unwrap().clone()))
        .collect();
    let mut sizes: BTreeMap<String, i32> = replica_sets(&store, NS)
        .iter()
        .map(|rs| (rs_hash(rs), rs.spec.as_ref().unwrap().replicas.unwrap()))
        .collect();
    let violations = Arc::new(Mutex::new(Vec::<String>::new()));
    let pairs = Arc::new(Mutex::new(Vec::<(i32, i32)>::new()));
    let (v, p, hash) = (violations.clone(), pairs.clone(), old_hash.clone());
    let monitor = tokio::spawn(async move {
        while let Some(WatchItem::Event(event)) = watch.next().await {
            match &*event.object {
                Object::Pod(pod) => {
                    let name = pod.metadata.name.clone().unwrap();
                    if event.event_type == EventType::Deleted {
                        mirror.remove(&name);
                    } else {
                        mirror.insert(name, (**pod).clone());
                    }
                    let live: Vec<&Pod> = mirror
                        .values()
                        .filter(|p| p.metadata.deletion_timestamp.is_none())
                        .collect();
                    let ready = live.iter().filter(|p| is_ready(p)).count();
                    if live.len() > 6 || ready < 4 {
                        v.lock().push(format!(
                            "{} live, {} ready at rv {}: {:?}",
                            live.len(),
                            ready,
                            event.resource_version,
                            live.iter()
                                .map(|p| (p.metadata.name.clone().unwrap(), is_ready(p)))
                                .collect::<Vec<_>>()
                        ));
                    }
                }
                Object::ReplicaSet(rs) => {
                    sizes.insert(rs_hash(rs), rs.spec.as_ref().unwrap().replicas.unwrap());
                    let old = sizes.get(&hash).copied().unwrap_or(0);
                    let new: i32 = sizes
                        .iter()
                        .filter(|(h, _)| **h != hash)
                        .map(|(_, n)| *n)
                        .sum();
                    let mut p = p.lock();
                    if p.last() != Some(&(new, old)) {
                        p.push((new, old));
                    }
                }
                _ => {}
            }
        }
    });

    set_image(&store, "web", "nginx:1.25");
    wait_for("second rollout", || {
        complete(&store, "web")
            && replica_sets(&store, NS).len() == 2
            && pods(&store, NS).iter().all(|p| image_of(p) == "nginx:1.25")
    })
    .await;
    sleep(Duration::from_secs(1)).await;
    monitor.abort();

    assert_eq!(*violations.lock(), Vec::<String>::new());
    // The worked example: new pods become available one at a time.
    assert_eq!(
        *pairs.lock(),
        [
            (1, 5),
            (1, 4),
            (2, 4),
            (2, 3),
            (3, 3),
            (3, 2),
            (4, 2),
            (4, 1),
            (5, 1),
            (5, 0)
        ]
    );
    let d = get_deployment(&store, "web");
    assert_eq!(
        annotation(&d.metadata, "deployment.kubernetes.io/revision").as_deref(),
        Some("2")
    );
    let new_rs = replica_sets(&store, NS)
        .into_iter()
        .find(|rs| rs_hash(rs) != old_hash)
        .unwrap();
    let new_name = new_rs.metadata.name.clone().unwrap();
    let old_name = old_rs.metadata.name.clone().unwrap();
    assert_eq!(
        annotation(
            &new_rs.metadata,
            "deployment.kubernetes.io/desired-replicas"
        )
        .as_deref(),
        Some("5")
    );
    assert_eq!(
        annotation(&new_rs.metadata, "deployment.kubernetes.io/max-replicas").as_deref(),
        Some("6")
    );
    let scaling = event_messages(&store, "ScalingReplicaSet");
    assert!(
        scaling.contains(&format!("Scaled up replica set {new_name} to 1")),
        "{scaling:?}"
    );
    assert!(
        scaling.contains(&format!("Scaled down replica set {old_name} to 4 from 5")),
        "{scaling:?}"
    );
    assert!(
        scaling.contains(&format!("Scaled up replica set {new_name} to 5 from 4")),
        "{scaling:?}"
    );
    assert_eq!(
        condition(&d, "Progressing"),
        Some((
            "True".into(),
            "NewReplicaSetAvailable".into(),
            format!("ReplicaSet \"{new_name}\" has successfully progressed.")
        ))
    );
    assert_eq!(
        condition(&d, "Available"),
        Some((
            "True".into(),
            "MinimumReplicasAvailable".into(),
            "Deployment has minimum availability.".into()
        ))
    );
    let created = event_messages(&store, "SuccessfulCreate");
    assert!(
        created
            .iter()
            .any(|m| m.starts_with(&format!("Created pod: {new_name}-")))
    );
}

#[tokio::test(start_paused = true)]
async fn recreate_never_runs_old_and_new_pods_together() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with(
            "db",
            3,
            "postgres:15",
            json!({"strategy": {"type": "Recreate"}}),
        ))
        .unwrap();
    wait_for("first rollout", || complete(&store, "db")).await;
    let old_hash = rs_hash(&replica_sets(&store, NS)[0]);

    let list = store.list(Kind::Pod, Some(NS), &ListFilter::default());
    let mut watch = store
        .watch(Some(Kind::Pod), Some(list.resource_version))
        .unwrap();
    let mut mirror: BTreeMap<String, Pod> = list
        .items
        .iter()
        .map(|o| (o.name().to_string(), o.as_typed::<Pod>().unwrap().clone()))
        .collect();
    let overlap = Arc::new(Mutex::new(false));
    let (flag, hash) = (overlap.clone(), old_hash.clone());
    let monitor = tokio::spawn(async move {
        while let Some(WatchItem::Event(event)) = watch.next().await {
            let Object::Pod(pod) = &*event.object else {
                continue;
            };
            let name = pod.metadata.name.clone().unwrap();
            if event.event_type == EventType::Deleted {
                mirror.remove(&name);
            } else {
                mirror.insert(name, (**pod).clone());
            }
            let label = |p: &Pod| p.metadata.labels.as_ref().unwrap()["pod-template-hash"].clone();
            let old = mirror.values().any(|p| label(p) == hash);
            let new = mirror.values().any(|p| label(p) != hash);
            if old && new {
                *flag.lock() = true;
            }
        }
    });
    set_image(&store, "db", "postgres:16");
    wait_for("recreate rollout", || {
        complete(&store, "db")
            && pods(&store, NS)
                .iter()
                .all(|p| image_of(p) == "postgres:16")
    })
    .await;
    monitor.abort();
    assert!(!*overlap.lock(), "old and new pods existed together");
    assert_eq!(pods(&store, NS).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn proportional_scaling_mid_rollout() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with("api", 10, "api:v1", rolling(3, 2)))
        .unwrap();
    wait_for("first rollout", || complete(&store, "api")).await;
    let old_hash = rs_hash(&replica_sets(&store, NS)[0]);
    set_image(&store, "api", "api:bad");
    let sizes = |store: &Store| {
        let rss = replica_sets(store, NS);
        let size = |old: bool| -> i32 {
            rss.iter()
                .filter(|rs| (rs_hash(rs) == old_hash) == old)
                .map(|rs| rs.spec.as_ref().unwrap().replicas.unwrap())
                .sum()
        };
        (size(true), size(false))
    };
    wait_for("stuck rollout at old 8 / new 5", || sizes(&store) == (8, 5)).await;
    sleep(Duration::from_secs(10)).await;
    assert_eq!(sizes(&store), (8, 5));

    store
        .mutate::<Deployment>(NS, "api", UpdateScope::Main, |d| {
            d.spec.as_mut().unwrap().replicas = Some(30);
            true
        })
        .unwrap();
    wait_for("proportional scaling", || sizes(&store) == (20, 13)).await;
    sleep(Duration::from_secs(10)).await;
    assert_eq!(sizes(&store), (20, 13));
    for rs in replica_sets(&store, NS) {
        assert_eq!(
            annotation(&rs.metadata, "deployment.kubernetes.io/desired-replicas").as_deref(),
            Some("30")
        );
        assert_eq!(
            annotation(&rs.metadata, "deployment.kubernetes.io/max-replicas").as_deref(),
            Some("33")
        );
    }
}

#[tokio::test(start_paused = true)]
async fn min_ready_seconds_delays_availability() {
    let (store, _cancel) = default_cluster();
    store
        .create(deployment_with(
            "web",
            2,
            "nginx",
            json!({"minReadySeconds": 10}),
        ))
        .unwrap();
    wait_for("ready pods", || {
        pods(&store, NS).len() == 2 && pods(&store, NS).iter().all(is_ready)
    })
    .await;
    sleep(Duration::from_secs(5)).await;
    let d = get_deployment(&store, "web");
    assert_eq!(d.status.as_ref().unwrap().ready_replicas, Some(2));
    assert_eq!(d.status.as_ref().unwrap().available_replicas, None);
    assert_eq!(
        condition(&d, "Available").map(|c| c.1),
        Some("MinimumReplicasUnavailable".into())
    );
    sleep(Duration::from_secs(8)).await;
    assert!(complete(&store, "web"));
}

/// The real runtime is multi-threaded with real time: a rollout still ends
/// complete with one ReplicaSet per template.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_completes_on_a_multi_threaded_runtime() {
    let (store, _cancel) = cluster(DriverOptions {
        ready_after: Duration::from_millis(20),
        one_at_a_time: false,
    });
    store
        .create(deployment_with("web", 4, "nginx:1.24", rolling(1, 1)))
        .unwrap();
    wait_for("first rollout", || complete(&store, "web")).await;
    set_image(&store, "web", "nginx:1.25");
    wait_for("second rollout", || {
        complete(&store, "web")
            && pods(&store, NS).len() == 4
            && pods(&store, NS).iter().all(|p| image_of(p) == "nginx:1.25")
    })
    .await;
    assert_eq!(replica_sets(&store, NS).len(), 2);
}

/// The walkthrough's rollout on the real scheduler, kubelet and simulated
/// runtime (readiness probes, minReadySeconds 10), paused time: at every pod
/// change at most 6 live pods and, once the first rollout is done, at least
/// 4 available (Ready for 10 s).
#[tokio::test(start_paused = true)]
async fn walkthrough_rollout_on_the_sim_kubelet_keeps_the_bounds() {
    use podium::cluster::SimOptions;
    use podium::kubelet::{Kubelet, NodeConfig, Runtime, SimRuntime};

    let store = Store::in_memory();
    store.create(namespace(NS)).unwrap();
    let cancel = CancellationToken::new();
    let _controllers = controllers::start(store.clone(), cancel.clone());
    podium::scheduler::start(store.clone(), cancel.clone());
    let runtime: Arc<dyn Runtime> = Arc::new(SimRuntime::new(SimOptions::default()));
    Kubelet::start(
        store.clone(),
        runtime,
        NodeConfig::new("podium", 0),
        cancel.clone(),
    );

    let probe =
        json!({"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 5, "periodSeconds": 1});
    let mut deployment =
        deployment_with("nginx-dep", 5, "library/nginx:1.14-alpine", rolling(1, 1));
    let spec = deployment.spec.as_mut().unwrap();
    spec.min_ready_seconds = Some(10);
    let container = &mut spec.template.spec.as_mut().unwrap().containers[0];
    container.name = "nginx".into();
    container.ports = Some(vec![
        serde_json::from_value(json!({"containerPort": 80})).unwrap(),
    ]);
    container.readiness_probe = Some(serde_json::from_value(probe.clone()).unwrap());
    container.liveness_probe = Some(serde_json::from_value(probe).unwrap());
    // As the API server would.
    let mut object = Object::from(deployment);
    podium::api::defaults::apply_defaults(&mut object);
    store.create(object).unwrap();
    wait_for("first rollout", || complete(&store, "nginx-dep")).await;

    let violations = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut watch = store.watch(Some(Kind::Pod), None).unwrap();
    let checker = {
        let (store, violations) = (store.clone(), violations.clone());
        tokio::spawn(async move {
            while let Some(WatchItem::Event(_)) = watch.next().await {
                let live: Vec<Pod> = pods(&store, NS)
                    .into_iter()
                    .filter(|p| p.metadata.deletion_timestamp.is_none())
                    .collect();
                let available = live.iter().filter(|p| ready_for(p, 10)).count();
                if live.len() > 6 || available < 4 {
                    violations
                        .lock()
                        .push(format!("{} live, {available} available", live.len()));
                }
            }
        })
    };
    set_image(&store, "nginx-dep", "library/nginx:1.18-alpine");
    wait_for("rollout to 1.18", || {
        complete(&store, "nginx-dep")
            && get_deployment(&store, "nginx-dep")
                .spec
                .and_then(|s| s.template.spec)
                .is_some_and(|s| {
                    s.containers[0].image.as_deref() == Some("library/nginx:1.18-alpine")
                })
    })
    .await;
    checker.abort();
    assert_eq!(*violations.lock(), Vec::<String>::new());
    let mut sizes: Vec<(i32, String)> = replica_sets(&store, NS)
        .iter()
        .map(|rs| {
            let image = rs
                .spec
                .as_ref()
                .unwrap()
                .template
                .as_ref()
                .unwrap()
                .spec
                .as_ref()
                .unwrap()
                .containers[0]
                .image
                .clone()
                .unwrap();
            (rs.spec.as_ref().unwrap().replicas.unwrap(), image)
        })
        .collect();
    sizes.sort();
    assert_eq!(
        sizes,
        [
            (0, "library/nginx:1.14-alpine".to_string()),
            (5, "library/nginx:1.18-alpine".to_string())
        ]
    );
    let live = pods(&store, NS);
    assert_eq!(live.len(), 5, "old pods are gone");
    assert!(
        live.iter()
            .all(|p| image_of(p) == "library/nginx:1.18-alpine")
    );
    cancel.cancel();
}

/// Ready, and Ready for at least `seconds` (upstream's IsPodAvailable).
fn ready_for(pod: &Pod, seconds: i64) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready" && c.status == "True"))
        .and_then(|c| c.last_transition_time.as_ref())
        .is_some_and(|since| podium::clock::seconds_since(since) >= seconds)
}
