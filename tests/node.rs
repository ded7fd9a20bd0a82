//! The kubelet on the simulated runtime, and the scheduler, driven through
//! the store with paused tokio time.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod};
use podium::api::Kind;
use podium::cluster::SimOptions;
use podium::kubelet::{Kubelet, LogOptions, NodeConfig, NodeLogs, PodLogs, Runtime, SimRuntime};
use podium::store::{DeleteOptions, Deletion, ListFilter, Store, UpdateScope};
use serde_json::json;
use tokio_util::sync::CancellationToken;

struct Cluster {
    store: Store,
    runtime: Arc<SimRuntime>,
    cancel: CancellationToken,
    kubelet: Option<Kubelet>,
}

fn namespace(store: &Store) {
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": "default"}})).expect("namespace json");
    store.create(ns).expect("namespace");
}

/// A store with namespace default, one sim node "node-1" and the scheduler.
fn cluster() -> Cluster {
    let store = Store::in_memory();
    namespace(&store);
    let cancel = CancellationToken::new();
    let runtime = Arc::new(SimRuntime::new(SimOptions::default()));
    let kubelet = Kubelet::start(
        store.clone(),
        runtime.clone(),
        NodeConfig::new("node-1", 0),
        cancel.clone(),
    );
    podium::scheduler::start(store.clone(), cancel.clone());
    Cluster {
        store,
        runtime,
        cancel,
        kubelet: Some(kubelet),
    }
}

fn pod(value: serde_json::Value) -> Pod {
    serde_json::from_value(value).expect("pod json")
}

fn web_pod(name: &str, annotations: serde_json::Value) -> Pod {
    pod(json!({
        "metadata": {"name": name, "namespace": "default", "annotations": annotations},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
            "ports": [{"containerPort": 80}]}]}
    }))
}

fn get(store: &Store, name: &str) -> Option<Pod> {
    store.get_as::<Pod>("default", name)
}

fn phase(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}

fn condition(pod: &Pod, type_: &str) -> Option<(String, Option<String>, Option<String>)> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
}

fn container_status(pod: &Pod) -> k8s_openapi::api::core::v1::ContainerStatus {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c.first().cloned())
        .unwrap_or_default()
}

fn waiting(pod: &Pod) -> Option<(String, String)> {
    let waiting = container_status(pod).state?.waiting?;
    Some((
        waiting.reason.unwrap_or_default(),
        waiting.message.unwrap_or_default(),
    ))
}

/// Waits (in paused time) until `check` holds for the pod, or panics.
async fn wait_for(store: &Store, name: &str, what: &str, check: impl Fn(&Pod) -> bool) -> Pod {
    for _ in 0..6000 {
        if let Some(pod) = get(store, name)
            && check(&pod)
        {
            return pod;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "pod {name} never got {what}: {:#?}",
        get(store, name).and_then(|p| p.status)
    );
}

/// Events about `name`, in the order they were first recorded.
fn events(store: &Store, name: &str) -> Vec<Event> {
    let mut events: Vec<Event> = store
        .list_as::<Event>(Some("default"), &ListFilter::default())
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .collect();
    events.sort_by_key(|e| {
        e.metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0)
            .zip(e.metadata.name.clone())
    });
    events
}

fn has_event(store: &Store, name: &str, reason: &str, message: &str) -> bool {
    events(store, name)
        .iter()
        .any(|e| e.reason.as_deref() == Some(reason) && e.message.as_deref() == Some(message))
}

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

    // A second pod of the same image does not pull again.
    store.create(web_pod("web-2", json!({}))).expect("create");
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
        Some("Back-off pulling image \"registry.invalid/x:1\"")
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
async fn logs_are_served_through_node_logs() {
    let cluster = cluster();
    let store = &cluster.store;
    let logs = NodeLogs::new(store.clone());
    logs.add_node("node-1", cluster.runtime.clone());
    store
        .create(web_pod(
            "chatty",
            json!({"sim.podium.dev/log-lines-per-second": "2"}),
        ))
        .expect("create");
    wait_for(store, "chatty", "Running", |p| phase(p) == "Running").await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    let all = read_all(
        logs.logs("default", "chatty", LogOptions::default())
            .await
            .expect("logs"),
    )
    .await;
    let first = all.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "podium-sim: container \"web\" started from image nginx:1.27"
    );
    assert!(all.contains("\"GET / HTTP/1.1\" 200 615"), "{all}");

    let tail = read_all(
        logs.logs(
            "default",
            "chatty",
            LogOptions {
                tail_lines: Some(2),
                ..LogOptions::default()
            },
        )
        .await
        .expect("tail"),
    )
    .await;
    assert_eq!(tail.lines().count(), 2, "{tail}");

    let mut follow = logs
        .logs(
            "default",
            "chatty",
            LogOptions {
                follow: true,
                tail_lines: Some(0),
                timestamps: true,
                ..LogOptions::default()
            },
        )
        .await
        .expect("follow");
    let next = tokio::time::timeout(Duration::from_secs(2), follow.next())
        .await
        .expect("a new line within 2s")
        .expect("stream open");
    let line = String::from_utf8_lossy(&next).to_string();
    assert!(line.contains("Z 10.244.0.1 - - ["), "{line}");

    let missing = logs
        .logs(
            "default",
            "chatty",
            LogOptions {
                container: Some("nope".into()),
                ..LogOptions::default()
            },
        )
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        missing.as_deref(),
        Some("container nope is not valid for pod chatty")
    );
    let previous = logs
        .logs(
            "default",
            "chatty",
            LogOptions {
                previous: true,
                ..LogOptions::default()
            },
        )
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        previous.as_deref(),
        Some("previous terminated container \"web\" in pod \"chatty\" not found")
    );
    cluster.cancel.cancel();
}

async fn read_all(mut stream: futures::stream::BoxStream<'static, bytes::Bytes>) -> String {
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk);
    }
    String::from_utf8_lossy(&out).to_string()
}

#[tokio::test(start_paused = true)]
async fn restarted_kubelet_readopts_and_restarts_vanished_containers() {
    let mut cluster = cluster();
    let store = cluster.store.clone();
    for name in ["a", "b"] {
        store.create(web_pod(name, json!({}))).expect("create");
    }
    let mut before = Vec::new();
    for name in ["a", "b"] {
        let pod = wait_for(&store, name, "Ready", |p| {
            condition(p, "Ready").is_some_and(|c| c.0 == "True")
        })
        .await;
        before.push(container_status(&pod));
    }
    // podium stops: the kubelet goes, and with the simulated runtime all
    // its containers vanish.
    cluster.cancel.cancel();
    if let Some(kubelet) = cluster.kubelet.take() {
        kubelet.join().await;
    }

    let cancel = CancellationToken::new();
    let runtime = Arc::new(SimRuntime::new(SimOptions::default()));
    let _kubelet = Kubelet::start(
        store.clone(),
        runtime.clone(),
        NodeConfig::new("node-1", 0),
        cancel.clone(),
    );
    for (name, old) in ["a", "b"].into_iter().zip(before) {
        let pod = wait_for(&store, name, "Ready again", |p| {
            condition(p, "Ready").is_some_and(|c| c.0 == "True")
                && container_status(p).container_id != old.container_id
        })
        .await;
        let now = container_status(&pod);
        assert_eq!(now.restart_count, 1, "{name}");
        assert_eq!(
            now.last_state
                .and_then(|s| s.terminated)
                .and_then(|t| t.reason)
                .as_deref(),
            Some("ContainerStatusUnknown")
        );
        assert_eq!(phase(&pod), "Running");
    }
    let containers = runtime.list_containers().await.expect("list");
    assert_eq!(containers.len(), 2, "no duplicates: {containers:?}");
    cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn restarted_kubelet_adopts_running_containers_of_the_same_runtime() {
    let mut cluster = cluster();
    let store = cluster.store.clone();
    store.create(web_pod("kept", json!({}))).expect("create");
    let before = container_status(
        &wait_for(&store, "kept", "Ready", |p| {
            condition(p, "Ready").is_some_and(|c| c.0 == "True")
        })
        .await,
    );
    cluster.cancel.cancel();
    if let Some(kubelet) = cluster.kubelet.take() {
        kubelet.join().await;
    }
    // Docker keeps containers across a restart of podium: same runtime.
    let cancel = CancellationToken::new();
    let _kubelet = Kubelet::start(
        store.clone(),
        cluster.runtime.clone(),
        NodeConfig::new("node-1", 0),
        cancel.clone(),
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = container_status(&get(&store, "kept").expect("pod"));
    assert_eq!(after.container_id, before.container_id);
    assert_eq!(after.restart_count, 0);
    assert!(after.ready);
    assert_eq!(
        cluster.runtime.list_containers().await.expect("list").len(),
        1
    );
    cancel.cancel();
}

fn node(name: &str, cpu: &str, labels: serde_json::Value, taints: serde_json::Value) -> Node {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {"taints": taints},
        "status": {
            "allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
            "capacity": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}]
        }
    }))
    .expect("node json")
}

fn scheduler_only() -> (Store, CancellationToken) {
    let store = Store::in_memory();
    namespace(&store);
    let cancel = CancellationToken::new();
    podium::scheduler::start(store.clone(), cancel.clone());
    (store, cancel)
}

async fn failed_scheduling(store: &Store, name: &str) -> String {
    for _ in 0..100 {
        if let Some(event) = events(store, name)
            .into_iter()
            .find(|e| e.reason.as_deref() == Some("FailedScheduling"))
        {
            return event.message.unwrap_or_default();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no FailedScheduling for {name}");
}

#[tokio::test(start_paused = true)]
async fn scheduler_explains_unschedulable_pods_like_upstream() {
    let (store, cancel) = scheduler_only();
    store
        .create(node(
            "node-a",
            "4",
            json!({}),
            json!([{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}]),
        ))
        .expect("node-a");
    store
        .create(node("node-b", "4", json!({}), json!([])))
        .expect("node-b");
    store
        .create(node("node-c", "1", json!({"disk": "ssd"}), json!([])))
        .expect("node-c");
    store
        .create(pod(json!({
            "metadata": {"name": "picky", "namespace": "default"},
            "spec": {"nodeSelector": {"disk": "ssd"},
                "containers": [{"name": "app", "image": "nginx:1.27",
                    "resources": {"requests": {"cpu": "2"}}}]}
        })))
        .expect("pod");
    let message = failed_scheduling(&store, "picky").await;
    assert_eq!(
        message,
        "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: infra}. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    );
    let pod = get(&store, "picky").expect("pod");
    let scheduled = condition(&pod, "PodScheduled").expect("PodScheduled");
    assert_eq!(scheduled.0, "False");
    assert_eq!(scheduled.1.as_deref(), Some("Unschedulable"));
    assert_eq!(scheduled.2.as_deref(), Some(message.as_str()));

    // Without a change in the cluster it is not tried again (no event storm),
    // not even when a node only refreshes its heartbeat.
    tokio::time::sleep(Duration::from_secs(30)).await;
    store
        .mutate::<Node>("", "node-b", UpdateScope::Status, |n| {
            if let Some(c) = n.status.as_mut().and_then(|s| s.conditions.as_mut()) {
                c[0].last_heartbeat_time = Some(podium::clock::now_time());
            }
            true
        })
        .expect("heartbeat");
    tokio::time::sleep(Duration::from_secs(30)).await;
    let attempts = events(&store, "picky")
        .into_iter()
        .find(|e| e.reason.as_deref() == Some("FailedScheduling"))
        .and_then(|e| e.count);
    assert_eq!(attempts, Some(1));

    // Labelling a node that fits lets it in (the scheduler retries on node changes).
    store
        .mutate::<Node>("", "node-b", UpdateScope::Main, |n| {
            n.metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert("disk".into(), "ssd".into());
            true
        })
        .expect("label");
    for _ in 0..200 {
        if get(&store, "picky")
            .and_then(|p| p.spec)
            .and_then(|s| s.node_name)
            .is_some()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bound = get(&store, "picky").expect("pod");
    assert_eq!(
        bound.spec.and_then(|s| s.node_name).as_deref(),
        Some("node-b")
    );
    assert!(has_event(
        &store,
        "picky",
        "Scheduled",
        "Successfully assigned default/picky to node-b"
    ));
    cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn scheduler_rejects_selector_taint_and_resources_separately() {
    let (store, cancel) = scheduler_only();
    store
        .create(node(
            "node-1",
            "2",
            json!({}),
            json!([{"key": "maintenance", "effect": "NoSchedule"}]),
        ))
        .expect("node");
    store
        .create(pod(json!({
            "metadata": {"name": "tainted", "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]}
        })))
        .expect("pod");
    assert_eq!(
        failed_scheduling(&store, "tainted").await,
        "0/1 nodes are available: 1 node(s) had untolerated taint {maintenance: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    );
    store
        .create(pod(json!({
            "metadata": {"name": "tolerant", "namespace": "default"},
            "spec": {"tolerations": [{"key": "maintenance", "operator": "Exists"}],
                "nodeSelector": {"zone": "b"},
                "containers": [{"name": "app", "image": "nginx"}]}
        })))
        .expect("pod");
    assert_eq!(
        failed_scheduling(&store, "tolerant").await,
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    );
    store
        .create(pod(json!({
            "metadata": {"name": "hungry", "namespace": "default"},
            "spec": {"tolerations": [{"operator": "Exists"}],
                "containers": [{"name": "app", "image": "nginx",
                    "resources": {"requests": {"cpu": "3", "memory": "16Gi"}}}]}
        })))
        .expect("pod");
    assert_eq!(
        failed_scheduling(&store, "hungry").await,
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    );
    cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn scheduler_spreads_pods_by_least_requested() {
    let (store, cancel) = scheduler_only();
    for name in ["node-1", "node-2"] {
        store
            .create(node(name, "4", json!({}), json!([])))
            .expect("node");
    }
    for i in 0..4 {
        store
            .create(pod(json!({
                "metadata": {"name": format!("p{i}"), "namespace": "default"},
                "spec": {"containers": [{"name": "app", "image": "nginx",
                    "resources": {"requests": {"cpu": "500m"}}}]}
            })))
            .expect("pod");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pods = store.list_as::<Pod>(Some("default"), &ListFilter::default());
    let on = |node: &str| {
        pods.iter()
            .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node))
            .count()
    };
    assert_eq!((on("node-1"), on("node-2")), (2, 2));
    cancel.cancel();
}

/// 10,000 pods over three nodes with instant latencies all become ready
/// quickly: the kubelet keeps no per-pod busy work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_pods_over_three_nodes_all_become_ready() {
    const PODS: usize = 10_000;
    let store = Store::in_memory();
    namespace(&store);
    let cancel = CancellationToken::new();
    for index in 0..3u8 {
        let runtime = Arc::new(SimRuntime::new(SimOptions {
            latency_factor: 0.0,
        }));
        let mut config = NodeConfig::new(&format!("node-{index}"), index);
        config.pods = 5000;
        config.cpu = "64".to_string();
        config.memory = "256Gi".to_string();
        Kubelet::start(store.clone(), runtime, config, cancel.clone());
    }
    podium::scheduler::start(store.clone(), cancel.clone());
    let began = std::time::Instant::now();
    for i in 0..PODS {
        store
            .create(web_pod(&format!("pod-{i}"), json!({})))
            .expect("create");
    }
    let created = began.elapsed();
    let mut ready = 0;
    for _ in 0..1200 {
        ready = store
            .list(Kind::Pod, Some("default"), &ListFilter::default())
            .items
            .iter()
            .filter_map(|o| <Pod as podium::api::KubeObject>::from_object(o))
            .filter(|p| condition(p, "Ready").is_some_and(|c| c.0 == "True"))
            .count();
        if ready == PODS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = began.elapsed();
    eprintln!("{PODS} pods: created in {created:?}, all ready after {took:?}");
    assert_eq!(ready, PODS);
    let ips: std::collections::HashSet<String> = store
        .list_as::<Pod>(Some("default"), &ListFilter::default())
        .into_iter()
        .filter_map(|p| p.status.and_then(|s| s.pod_ip))
        .collect();
    assert_eq!(ips.len(), PODS, "every pod has its own IP");
    cancel.cancel();
}

/// On the sim, a container port asked for gets a real loopback listener
/// that answers HTTP and logs an access line; exec answers simple commands.
#[tokio::test]
async fn sim_containers_serve_http_on_loopback_and_answer_exec() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let store = Store::in_memory();
    namespace(&store);
    let cancel = CancellationToken::new();
    let runtime = Arc::new(SimRuntime::new(SimOptions {
        latency_factor: 0.0,
    }));
    Kubelet::start(
        store.clone(),
        runtime.clone(),
        NodeConfig::new("node-1", 0),
        cancel.clone(),
    );
    let mut served = web_pod("served", json!({}));
    if let Some(spec) = served.spec.as_mut() {
        spec.node_name = Some("node-1".into());
    }
    store.create(served).expect("create");
    let pod = wait_for(&store, "served", "Running", |p| phase(p) == "Running").await;
    let id = container_status(&pod)
        .container_id
        .and_then(|id| id.strip_prefix("sim://").map(str::to_string))
        .expect("container id");

    assert!(
        runtime.port_address(&id, 8080).await.is_none(),
        "undeclared port"
    );
    let address = runtime.port_address(&id, 80).await.expect("address");
    assert!(address.ip().is_loopback());
    assert_eq!(runtime.port_address(&id, 80).await, Some(address));
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/8.5.0\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("Welcome to podium-sim!"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let logs = NodeLogs::new(store.clone());
    logs.add_node("node-1", runtime.clone());
    let text = read_all(
        logs.logs("default", "served", LogOptions::default())
            .await
            .expect("logs"),
    )
    .await;
    assert!(
        text.contains("\"GET /index.html HTTP/1.1\" 200") && text.contains("\"curl/8.5.0\""),
        "{text}"
    );

    let hostname = runtime
        .exec(&id, &["hostname".to_string()])
        .await
        .expect("exec");
    assert_eq!(String::from_utf8_lossy(&hostname.stdout), "served\n");
    let missing = runtime
        .exec(&id, &["nope".to_string()])
        .await
        .expect("exec");
    assert_eq!(missing.exit_code, 127);
    cancel.cancel();
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
