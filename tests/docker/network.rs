//! The pod's network on Docker: a pod of one container runs without a
//! pause container and keeps its IP and published port across restarts;
//! a pod of two containers shares `localhost` through its sandbox.

use std::time::Duration;

use crate::cluster::{DockerPodium, docker, pod_field};

const SOLO: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: solo}
spec:
  containers:
  - name: echo
    image: podium/echo:1.0
    ports: [{containerPort: 8080}]
    env:
    - {name: CRASH_AFTER_SECONDS, value: "2"}
    - {name: EXIT_CODE, value: "1"}
"#;

/// The loopback address Docker published container port 8080 on.
fn published_8080(container: &str) -> String {
    docker(&["port", container, "8080/tcp"])
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn container_of(podium: &DockerPodium, pod: &str) -> String {
    let id = pod_field(podium, pod, ".status.containerStatuses[0].containerID");
    id.trim_start_matches("docker://").to_string()
}

#[test]
fn a_single_container_pod_restarts_at_its_ip_and_port_without_a_pause_container() {
    let podium = DockerPodium::start();
    podium.kubectl_stdin(&["apply", "-f", "-"], SOLO);
    podium.wait_for(
        &["get", "pod", "solo", "-o", "jsonpath={.status.phase}"],
        Duration::from_secs(60),
        |out| out == "Running",
    );
    let first = container_of(&podium, "solo");
    let pod_ip = pod_field(&podium, "solo", ".status.podIP");
    assert!(pod_ip.starts_with("10.244."), "podIP {pod_ip}");
    let port = published_8080(&first);
    assert!(
        port.starts_with("127.0.0.1:"),
        "published on loopback: {port}"
    );

    // It crashes after 2 s and comes back after the 10 s back-off.
    podium.wait_for(
        &[
            "get",
            "pod",
            "solo",
            "-o",
            "jsonpath={.status.containerStatuses[0].restartCount}/{.status.containerStatuses[0].state.running.startedAt}",
        ],
        Duration::from_secs(60),
        |out| out.starts_with("1/") && out.len() > 2,
    );
    let second = container_of(&podium, "solo");
    assert_ne!(first, second, "a restart is a new container");
    assert_eq!(pod_field(&podium, "solo", ".status.podIP"), pod_ip);
    let address = docker(&[
        "inspect",
        "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        &second,
    ]);
    assert_eq!(address.trim(), pod_ip, "the new container has the pod's IP");
    assert_eq!(published_8080(&second), port, "and the same host port");

    let names = podium.all_containers();
    assert!(
        names.iter().all(|line| !line.contains("k8s_POD_")),
        "no pause container: {names:?}"
    );
}

#[test]
fn a_host_port_taken_while_the_container_was_down_gives_way_to_a_new_one() {
    let podium = DockerPodium::start();
    podium.kubectl_stdin(&["apply", "-f", "-"], SOLO);
    let restarts = [
        "get",
        "pod",
        "solo",
        "-o",
        "jsonpath={.status.containerStatuses[0].restartCount}/{.status.containerStatuses[0].state.running.startedAt}",
    ];
    // The first restart is immediate; the next one waits out a back-off.
    podium.wait_for(&restarts, Duration::from_secs(60), |out| {
        out.starts_with("1/") && out.len() > 2
    });
    let port = published_8080(&container_of(&podium, "solo"));
    podium.wait_for(
        &[
            "get",
            "pod",
            "solo",
            "-o",
            "jsonpath={.status.containerStatuses[0].state.waiting.reason}",
        ],
        Duration::from_secs(30),
        |out| out == "CrashLoopBackOff",
    );
    // Someone else takes the pod's host port while it is down.
    let squatter = std::net::TcpListener::bind(&port).expect("the port is free again");
    // The next start fails on the port; the one after gets a new port.
    let events = podium.wait_for(
        &[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=solo",
        ],
        Duration::from_secs(60),
        |out| out.contains("address already in use") || out.contains("already allocated"),
    );
    assert!(events.contains("Failed"), "{events}");
    podium.wait_for(
        &[
            "get",
            "pod",
            "solo",
            "-o",
            "jsonpath={.status.containerStatuses[0].state.running.startedAt}",
        ],
        Duration::from_secs(90),
        |out| !out.is_empty(),
    );
    let moved = published_8080(&container_of(&podium, "solo"));
    assert!(moved.starts_with("127.0.0.1:"), "{moved}");
    assert_ne!(moved, port, "a new host port");
    drop(squatter);
}

const PAIR: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: pair}
spec:
  containers:
  - name: echo
    image: podium/echo:1.0
    ports: [{containerPort: 8080}]
  - name: client
    image: podium/echo:1.0
    command: ["/bin/busybox", "sh", "-c",
      "while true; do /bin/busybox wget -qO- http://localhost:8080/from-the-sidecar; sleep 1; done"]
"#;

#[test]
fn a_two_container_pod_shares_localhost_through_its_sandbox() {
    let podium = DockerPodium::start();
    podium.kubectl_stdin(&["apply", "-f", "-"], PAIR);
    let logs = podium.wait_for(
        &["logs", "pair", "-c", "client"],
        Duration::from_secs(60),
        |out| out.contains("real path=/from-the-sidecar"),
    );
    // The echo saw the sidecar come from localhost: one network namespace.
    assert!(logs.contains("client_address=127.0.0.1"), "{logs}");
    let names = podium.all_containers();
    assert!(
        names.iter().any(|line| line.contains("k8s_POD_pair_")),
        "the pod has a sandbox: {names:?}"
    );
    let pod_ip = pod_field(&podium, "pair", ".status.podIP");
    assert!(pod_ip.starts_with("10.244."), "podIP {pod_ip}");
}
