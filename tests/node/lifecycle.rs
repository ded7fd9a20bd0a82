//! A pod's life on one node: start, probes, failures, restarts, deletion.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use podium::api::Kind;
use podium::kubelet::Runtime;
use podium::store::{DeleteOptions, Deletion, ListFilter, UpdateScope};
use serde_json::json;

use super::common::*;

#[tokio::test(start_paused = true)]
async fn pod_goes_from_pending_to_running_with_upstream_events() {
    let cluster = cluster();
    let store = &cluster.store;
    store.create(web_pod("web", json!({}))).expect("create");
    let running = wait_for(store, "web", "Ready", |p| {
        condition(p, "Ready").is_some_and(|c| c.0 == "True")
    })
    .await;
    assert_eq!(phase(&running), "Running");
    let status = running.status.clone().expect("status");
    assert_eq!(status.host_ip.as_deref(), Some("127.0.0.1"));
    assert!(
        status
            .pod_ip
            .as_deref()
            .is_some_and(|ip| ip.starts_with("10.244."))
    );
    assert_eq!(status.qos_class.as_deref(), Some("BestEffort"));
    assert!(status.start_time.is_some());
    let container = container_status(&running);
    assert!(container.ready);
    assert_eq!(container.started, Some(true));
    assert_eq!(container.restart_count, 0);
    assert!(
        container
            .container_id
            .as_deref()
            .is_some_and(|id| id.starts_with("sim://"))
    );
    assert!(
        container
            .image_id
            .starts_with("docker.io/library/nginx@sha256:")
    );
    assert!(container.state.and_then(|s| s.running).is_some());
    for type_ in [
        "PodReadyToStartContainers",
        "Initialized",
        "ContainersReady",
        "PodScheduled",
    ] {
        assert_eq!(
            condition(&running, type_).map(|c| c.0).as_deref(),
            Some("True"),
            "{type_}"
        );
    }
    assert_eq!(
        running.spec.as_ref().and_then(|s| s.node_name.as_deref()),
        Some("node-1")
    );

    let seen: Vec<(String, String)> = events(store, "web")
        .into_iter()
        .map(|e| (e.reason.unwrap_or_default(), e.message.unwrap_or_default()))
        .collect();
    let reasons: Vec<&str> = seen.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        reasons,
        ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    );
    assert_eq!(seen[0].1, "Successfully assigned default/web to node-1");
    assert_eq!(seen[1].1, "Pulling image \"nginx:1.27\"");
    assert!(
        seen[2]
            .1
            .starts_with("Successfully pulled image \"nginx:1.27\" in 1.5s (1.5s including waiting). Image size: "),
        "{}",
        seen[2].1
    );
    assert_eq!(seen[3].1, "Created container: web");
    assert_eq!(seen[4].1, "Started container web");
    let started = events(store, "web").into_iter().last().expect("event");
    assert_eq!(
        started.involved_object.field_path.as_deref(),
        Some("spec.containers{web}")
    );

    // The node registered itself.
    let node = store.get_as::<Node>("", "node-1").expect("node");
    let node_status = node.status.expect("node status");
    let ready = node_status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Ready")
        .expect("Ready");
    assert_eq!(ready.status, "True");
    assert_eq!(ready.reason.as_deref(), Some("KubeletReady"));
    let info = node_status.node_info.expect("node info");
    assert_eq!(info.kubelet_version, "v1.33.0-podium");
    assert_eq!(info.container_runtime_version, "sim://0.1");
    assert_eq!(
        node_status
            .capacity
            .and_then(|c| c.get("pods").cloned())
            .map(|q| q.0)
            .as_deref(),
        Some("110")
    );

    let node_events: Vec<String> = store
        .list_as::<k8s_openapi::api::core::v1::Event>(Some("default"), &ListFilter::default())
        .into_iter()
        .filter(|e| e.involved_object.kind.as_deref() == Some("Node"))
        .filter_map(|e| e.message)
        .collect();
    assert!(node_events.contains(&"Starting kubelet.".to_string()));
    assert!(node_events.contains(&"Node node-1 status is now: NodeReady".to_string()));

    // A second pod of the same image does not pull again.
    store.create(web_pod("web-2", json!({}))).expect("create");
    let creating = wait_for(store, "web-2", "ContainerCreating", |p| {
        waiting(p).is_some_and(|w| w.0 == "ContainerCreating")
    })
    .await;
    assert_eq!(phase(&creating), "Pending");
    wait_for(store, "web-2", "Running", |p| phase(p) == "Running").await;
    assert!(has_event(
        store,
        "web-2",
        "Pulled",
        "Container image \"nginx:1.27\" already present on machine"
    ));
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn readiness_probe_with_initial_delay_flips_ready_after_it() {
    let cluster = cluster();
    let store = &cluster.store;
    store
        .create(pod(json!({
            "metadata": {"name": "probed", "namespace": "default"},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                "ports": [{"containerPort": 80}],
                "readinessProbe": {"httpGet": {"path": "/", "port": 80},
                    "initialDelaySeconds": 5, "periodSeconds": 10}}]}
        })))
        .expect("create");
    let running = wait_for(store, "probed", "a running container", |p| {
        container_status(p).state.and_then(|s| s.running).is_some()
    })
    .await;
    assert_eq!(phase(&running), "Running");
    let not_ready = condition(&running, "Ready").expect("Ready");
    assert_eq!(not_ready.0, "False");
    assert_eq!(not_ready.1.as_deref(), Some("ContainersNotReady"));
    assert_eq!(
        not_ready.2.as_deref(),
        Some("containers with unready status: [web]")
    );
    let started_at = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let still = get(store, "probed").expect("pod");
    assert_eq!(
        condition(&still, "Ready").map(|c| c.0).as_deref(),
        Some("False")
    );
    let ready = wait_for(store, "probed", "Ready", |p| {
        condition(p, "Ready").is_some_and(|c| c.0 == "True")
    })
    .await;
    let waited = started_at.elapsed();
    assert!(
        waited >= Duration::from_millis(4900) && waited <= Duration::from_millis(5200),
        "ready {waited:?} after the container started"
    );
    assert!(container_status(&ready).ready);
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn failing_readiness_keeps_pod_unready_with_unhealthy_events() {
    let cluster = cluster();
    let store = &cluster.store;
    let mut unready = web_pod("unready", json!({"sim.podium.dev/fail-readiness": "true"}));
    if let Some(spec) = unready.spec.as_mut() {
        spec.containers[0].readiness_probe = serde_json::from_value(json!(
            {"httpGet": {"path": "/healthz", "port": 80}, "periodSeconds": 5}))
        .ok();
    }
    store.create(unready).expect("create");
    wait_for(store, "unready", "running", |p| phase(p) == "Running").await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    let pod = get(store, "unready").expect("pod");
    assert_eq!(
        condition(&pod, "Ready").map(|c| c.0).as_deref(),
        Some("False")
    );
    assert!(has_event(
        store,
        "unready",
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503"
    ));
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn invalid_image_goes_err_image_pull_then_image_pull_backoff() {
    let cluster = cluster();
    let store = &cluster.store;
    store
        .create(pod(json!({
            "metadata": {"name": "bad", "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "registry.invalid/x:1"}]}
        })))
        .expect("create");
    let failed = wait_for(store, "bad", "ErrImagePull", |p| {
        waiting(p).is_some_and(|w| w.0 == "ErrImagePull")
    })
    .await;
    assert_eq!(phase(&failed), "Pending");
    let error = "Error response from daemon: Get \"https://registry.invalid/v2/\": dial tcp: lookup registry.invalid on 127.0.0.53:53: no such host";
    assert_eq!(waiting(&failed).map(|w| w.1).as_deref(), Some(error));
    assert!(has_event(
        store,
        "bad",
        "Failed",
        &format!("Failed to pull image \"registry.invalid/x:1\": {error}")
    ));
    assert!(has_event(store, "bad", "Failed", "Error: ErrImagePull"));
    let backing_off = wait_for(store, "bad", "ImagePullBackOff", |p| {
        waiting(p).is_some_and(|w| w.0 == "ImagePullBackOff")
    })
    .await;
    assert_eq!(
        waiting(&backing_off).map(|w| w.1).as_deref(),
        Some(
            format!("Back-off pulling image \"registry.invalid/x:1\": ErrImagePull: {error}")
                .as_str()
        )
    );
    assert!(has_event(
        store,
        "bad",
        "BackOff",
        "Back-off pulling image \"registry.invalid/x:1\""
    ));
    // It retries after the back-off and fails again.
    tokio::time::sleep(Duration::from_secs(30)).await;
    let pulls = events(store, "bad")
        .into_iter()
        .find(|e| e.reason.as_deref() == Some("Pulling"))
        .and_then(|e| e.count);
    assert!(pulls.is_some_and(|n| n >= 2), "pull attempts: {pulls:?}");
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn crashing_container_backs_off_10_20_40_seconds() {
    let cluster = cluster();
    let store = &cluster.store;
    let created = store
        .create(pod(json!({
            "metadata": {"name": "crashy", "namespace": "default",
                "annotations": {"sim.podium.dev/crash-after-seconds": "1"}},
            "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]}
        })))
        .expect("create");
    let uid = created.meta().uid.clone().unwrap_or_default();
    // The first exit shows as Error before the pod restarts.
    wait_for(store, "crashy", "the first exit", |p| {
        container_status(p)
            .state
            .and_then(|s| s.terminated)
            .is_some_and(|t| t.reason.as_deref() == Some("Error") && t.exit_code == 1)
    })
    .await;
    let mut messages: Vec<(String, i32)> = Vec::new();
    for _ in 0..2000 {
        if let Some(pod) = get(store, "crashy")
            && let Some((reason, message)) = waiting(&pod)
            && reason == "CrashLoopBackOff"
            && messages.last().is_none_or(|(m, _)| *m != message)
        {
            messages.push((message, container_status(&pod).restart_count));
            assert_eq!(phase(&pod), "Running");
        }
        if messages.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expect = |delay: &str, restarts: i32| {
        (
            format!("back-off {delay} restarting failed container=app pod=crashy_default({uid})"),
            restarts,
        )
    };
    assert_eq!(
        messages,
        vec![expect("10s", 1), expect("20s", 2), expect("40s", 3)]
    );
    let pod = get(store, "crashy").expect("pod");
    let last = container_status(&pod)
        .last_state
        .and_then(|s| s.terminated)
        .expect("last state");
    assert_eq!(last.exit_code, 1);
    assert_eq!(last.reason.as_deref(), Some("Error"));
    assert!(has_event(
        store,
        "crashy",
        "BackOff",
        &format!("Back-off restarting failed container app in pod crashy_default({uid})")
    ));
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn liveness_failure_restarts_the_container() {
    let cluster = cluster();
    let store = &cluster.store;
    let mut sick = web_pod(
        "sick",
        json!({"sim.podium.dev/fail-liveness-after-seconds": "5"}),
    );
    if let Some(spec) = sick.spec.as_mut() {
        spec.containers[0].liveness_probe = serde_json::from_value(json!(
            {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 2}))
        .ok();
    }
    store.create(sick).expect("create");
    let restarted = wait_for(store, "sick", "a restart", |p| {
        container_status(p).restart_count == 1
            && container_status(p).state.and_then(|s| s.running).is_some()
    })
    .await;
    assert_eq!(phase(&restarted), "Running");
    assert!(has_event(
        store,
        "sick",
        "Killing",
        "Container web failed liveness probe, will be restarted"
    ));
    assert!(has_event(
        store,
        "sick",
        "Unhealthy",
        "Liveness probe failed: HTTP probe failed with statuscode: 500"
    ));
    let last = container_status(&restarted)
        .last_state
        .and_then(|s| s.terminated)
        .expect("last state");
    assert_eq!(last.reason.as_deref(), Some("Completed"));
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn graceful_deletion_removes_pod_after_containers_stop() {
    let cluster = cluster();
    let store = &cluster.store;
    store.create(web_pod("doomed", json!({}))).expect("create");
    wait_for(store, "doomed", "Running", |p| phase(p) == "Running").await;
    let deletion = store
        .delete(Kind::Pod, "default", "doomed", &DeleteOptions::default())
        .expect("delete");
    assert!(matches!(deletion, Deletion::Pending(_)));
    for _ in 0..100 {
        if get(store, "doomed").is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(get(store, "doomed").is_none(), "pod still there");
    assert!(has_event(
        store,
        "doomed",
        "Killing",
        "Stopping container web"
    ));
    let left = cluster.runtime.list_containers().await.expect("list");
    assert!(left.is_empty(), "containers left: {left:?}");
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn restart_policy_never_with_exit_0_succeeds() {
    let cluster = cluster();
    let store = &cluster.store;
    store
        .create(pod(json!({
            "metadata": {"name": "job", "namespace": "default",
                "annotations": {"sim.podium.dev/crash-after-seconds": "2",
                    "sim.podium.dev/exit-code": "0"}},
            "spec": {"restartPolicy": "Never",
                "containers": [{"name": "task", "image": "busybox:1.36"}]}
        })))
        .expect("create");
    let done = wait_for(store, "job", "Succeeded", |p| phase(p) == "Succeeded").await;
    let terminated = container_status(&done)
        .state
        .and_then(|s| s.terminated)
        .expect("terminated");
    assert_eq!(terminated.exit_code, 0);
    assert_eq!(terminated.reason.as_deref(), Some("Completed"));
    assert_eq!(container_status(&done).restart_count, 0);
    let ready = condition(&done, "Ready").expect("Ready");
    assert_eq!(
        (ready.0.as_str(), ready.1.as_deref()),
        ("False", Some("PodCompleted"))
    );
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn restart_policy_never_with_failure_fails() {
    let cluster = cluster();
    let store = &cluster.store;
    store
        .create(pod(json!({
            "metadata": {"name": "broken-job", "namespace": "default",
                "annotations": {"sim.podium.dev/crash-after-seconds": "1",
                    "sim.podium.dev/exit-code": "3"}},
            "spec": {"restartPolicy": "Never",
                "containers": [{"name": "task", "image": "busybox:1.36"}]}
        })))
        .expect("create");
    let done = wait_for(store, "broken-job", "Failed", |p| phase(p) == "Failed").await;
    let terminated = container_status(&done)
        .state
        .and_then(|s| s.terminated)
        .expect("terminated");
    assert_eq!(
        (terminated.exit_code, terminated.reason.as_deref()),
        (3, Some("Error"))
    );
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn changing_a_pods_image_restarts_its_container() {
    let cluster = cluster();
    let store = &cluster.store;
    store.create(web_pod("upgrade", json!({}))).expect("create");
    wait_for(store, "upgrade", "Running", |p| phase(p) == "Running").await;
    store
        .mutate::<Pod>("default", "upgrade", UpdateScope::Main, |p| {
            if let Some(spec) = p.spec.as_mut() {
                spec.containers[0].image = Some("nginx:1.28".into());
            }
            true
        })
        .expect("set image");
    let upgraded = wait_for(store, "upgrade", "the new image running", |p| {
        let status = container_status(p);
        status.image == "nginx:1.28" && status.state.and_then(|s| s.running).is_some()
    })
    .await;
    assert_eq!(container_status(&upgraded).restart_count, 1);
    assert!(has_event(
        store,
        "upgrade",
        "Killing",
        "Container web definition changed, will be restarted"
    ));
    assert!(has_event(
        store,
        "upgrade",
        "Pulling",
        "Pulling image \"nginx:1.28\""
    ));
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn image_pulls_are_serialised_per_node() {
    let cluster = cluster();
    let store = &cluster.store;
    for name in ["first", "second"] {
        store
            .create(pod(json!({
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}
            })))
            .expect("create");
    }
    for name in ["first", "second"] {
        wait_for(store, name, "Running", |p| phase(p) == "Running").await;
    }
    let pulled: Vec<String> = ["first", "second"]
        .iter()
        .flat_map(|name| events(store, name))
        .filter(|e| e.reason.as_deref() == Some("Pulled"))
        .filter_map(|e| e.message)
        .map(|m| {
            m.split(". Image size")
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let mut pulled = pulled;
    pulled.sort();
    assert_eq!(
        pulled,
        [
            "Successfully pulled image \"nginx\" in 1.5s (1.5s including waiting)",
            "Successfully pulled image \"nginx\" in 250ms (1.75s including waiting)",
        ]
    );
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn init_containers_run_to_completion_before_app_containers() {
    let cluster = cluster();
    let store = &cluster.store;
    store
        .create(pod(json!({
            "metadata": {"name": "initialised", "namespace": "default"},
            "spec": {
                "initContainers": [{"name": "migrate", "image": "busybox:1.36"}],
                "containers": [{"name": "web", "image": "nginx:1.27"}]}
        })))
        .expect("create");
    let initialising = wait_for(store, "initialised", "init running", |p| {
        p.status
            .as_ref()
            .and_then(|s| s.init_container_statuses.as_ref())
            .and_then(|c| c.first())
            .and_then(|c| c.state.as_ref())
            .is_some_and(|s| s.running.is_some())
    })
    .await;
    assert_eq!(phase(&initialising), "Pending");
    let initialized = condition(&initialising, "Initialized").expect("Initialized");
    assert_eq!(initialized.0, "False");
    assert_eq!(initialized.1.as_deref(), Some("ContainersNotInitialized"));
    assert_eq!(
        initialized.2.as_deref(),
        Some("containers with incomplete status: [migrate]")
    );
    assert_eq!(
        waiting(&initialising).map(|w| w.0).as_deref(),
        Some("PodInitializing")
    );
    let ready = wait_for(store, "initialised", "Ready", |p| {
        condition(p, "Ready").is_some_and(|c| c.0 == "True")
    })
    .await;
    let init = ready
        .status
        .as_ref()
        .and_then(|s| s.init_container_statuses.as_ref())
        .and_then(|c| c.first().cloned())
        .expect("init status");
    let done = init.state.and_then(|s| s.terminated).expect("terminated");
    assert_eq!(
        (done.exit_code, done.reason.as_deref()),
        (0, Some("Completed"))
    );
    assert_eq!(
        condition(&ready, "Initialized").map(|c| c.0).as_deref(),
        Some("True")
    );
    let reasons: Vec<(String, String)> = events(store, "initialised")
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some("Started"))
        .map(|e| {
            (
                e.message.unwrap_or_default(),
                e.involved_object.field_path.unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "Started container migrate".to_string(),
                "spec.initContainers{migrate}".to_string()
            ),
            (
                "Started container web".to_string(),
                "spec.containers{web}".to_string()
            ),
        ]
    );
    cluster.cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn env_from_a_missing_configmap_waits_with_create_container_config_error() {
    let cluster = cluster();
    let store = &cluster.store;
    store
        .create(pod(json!({
            "metadata": {"name": "configured", "namespace": "default", "labels": {"app": "demo"}},
            "spec": {"containers": [{"name": "app", "image": "busybox:1.36",
                "env": [
                    {"name": "GREETING", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "greeting"}}},
                    {"name": "MESSAGE", "value": "$(GREETING) from $(POD_NAME)"},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
                ]}]}
        })))
        .expect("create");
    let stuck = wait_for(store, "configured", "CreateContainerConfigError", |p| {
        waiting(p).is_some_and(|w| w.0 == "CreateContainerConfigError")
    })
    .await;
    assert_eq!(
        waiting(&stuck).map(|w| w.1).as_deref(),
        Some("configmap \"settings\" not found")
    );
    assert!(has_event(
        store,
        "configured",
        "Failed",
        "Error: configmap \"settings\" not found"
    ));
    let settings: k8s_openapi::api::core::v1::ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "settings", "namespace": "default"},
        "data": {"greeting": "hello"}
    }))
    .expect("configmap json");
    store.create(settings).expect("configmap");
    let running = wait_for(store, "configured", "Running", |p| phase(p) == "Running").await;
    let id = container_status(&running)
        .container_id
        .and_then(|id| id.strip_prefix("sim://").map(str::to_string))
        .expect("container id");
    let env = cluster
        .runtime
        .exec(&id, &["env".to_string()])
        .await
        .expect("exec");
    let env = String::from_utf8_lossy(&env.stdout).to_string();
    assert!(env.contains("GREETING=hello\n"), "{env}");
    // POD_NAME is defined after MESSAGE, so it stays unexpanded (upstream).
    assert!(env.contains("MESSAGE=hello from $(POD_NAME)\n"), "{env}");
    assert!(env.contains("POD_NAME=configured\n"), "{env}");
    cluster.cancel.cancel();
}
