//! Services from inside containers: a pod reaches a Service by its short
//! name, its FQDN and its ClusterIP (`kubectl exec … wget`), only ready
//! backends answer, and a Service created after the pod started is found
//! too; a deleted Service gives its address back.

use std::time::{Duration, Instant};

use crate::TrafficPodium;
use crate::cluster::{docker, pod_names};

/// Two echo pods that turn ready only once `/tmp/ready` exists in them.
const WEB: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: echo
        image: podium/echo:1.0
        readinessProbe:
          exec:
            command: [/bin/busybox, test, -e, /tmp/ready]
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 8080
"#;

/// `kubectl exec pod -- /bin/busybox command…` (the helpers append flags,
/// which would land in the command).
pub(crate) fn exec(podium: &TrafficPodium, pod: &str, command: &[&str]) -> std::process::Output {
    std::process::Command::new("kubectl")
        .args(["--request-timeout=30s", "exec", pod, "--", "/bin/busybox"])
        .args(command)
        .env("KUBECONFIG", &podium.kubeconfig)
        .output()
        .expect("kubectl runs")
}

/// `exec` that must succeed; its stdout.
pub(crate) fn exec_ok(podium: &TrafficPodium, pod: &str, command: &[&str]) -> String {
    let out = exec(podium, pod, command);
    assert!(
        out.status.success(),
        "exec {command:?} in {pod} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `wget -qO- url` from inside `pod`; `None` when it failed.
pub(crate) fn wget(podium: &TrafficPodium, pod: &str, url: &str) -> Option<String> {
    let out = exec(podium, pod, &["wget", "-qO-", url]);
    if !out.status.success() {
        eprintln!("wget {url}: {}", String::from_utf8_lossy(&out.stderr));
    }
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

/// The `hostname=` line of an echo reply.
pub(crate) fn hostname(reply: &str) -> String {
    reply
        .lines()
        .find_map(|l| l.strip_prefix("hostname="))
        .unwrap_or("?")
        .to_string()
}

/// Tries `url` from `pod` until it answers.
pub(crate) fn wget_until(
    podium: &TrafficPodium,
    pod: &str,
    url: &str,
    timeout: Duration,
) -> String {
    let start = Instant::now();
    loop {
        if let Some(reply) = wget(podium, pod, url) {
            return reply;
        }
        assert!(
            start.elapsed() < timeout,
            "{url} did not answer inside pod {pod} within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_pod_reaches_services_by_name_fqdn_and_cluster_ip_and_only_ready_pods_answer() {
    let podium = TrafficPodium::start();
    podium.kubectl_stdin(&["apply", "-f", "-"], WEB);
    podium.ok(&["run", "client", "--image=podium/echo:1.0"]);
    podium.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/client",
        "--timeout=60s",
    ]);
    let start = Instant::now();
    let webs = loop {
        let names = pod_names(&podium, "app=web");
        let running = podium.ok(&[
            "get",
            "pods",
            "-l",
            "app=web",
            "-o",
            "jsonpath={.items[*].status.phase}",
        ]);
        if names.len() == 2 && running.split_whitespace().all(|p| p == "Running") {
            break names;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "web pods: {names:?} {running}"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    // One backend turns ready; the other never does.
    exec_ok(&podium, &webs[0], &["touch", "/tmp/ready"]);
    podium.ok(&[
        "wait",
        "--for=condition=Ready",
        &format!("pod/{}", webs[0]),
        "--timeout=30s",
    ]);

    let reply = wget_until(
        &podium,
        "client",
        "http://web:8080/short",
        Duration::from_secs(30),
    );
    assert!(reply.contains("real path=/short\n"), "{reply}");
    for _ in 0..6 {
        let reply = wget(&podium, "client", "http://web:8080/").expect("web answers");
        assert_eq!(
            hostname(&reply),
            webs[0],
            "only the ready pod answers: {reply}"
        );
    }
    for url in [
        "http://web.default:8080/",
        "http://web.default.svc:8080/",
        "http://web.default.svc.cluster.local:8080/fqdn",
    ] {
        let reply = wget(&podium, "client", url).unwrap_or_else(|| panic!("{url} answers"));
        assert_eq!(hostname(&reply), webs[0], "{url}: {reply}");
    }
    let cluster_ip = podium.ok(&["get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"]);
    let reply = wget(&podium, "client", &format!("http://{cluster_ip}:8080/ip"))
        .expect("ClusterIP answers");
    assert!(reply.contains("real path=/ip\n"), "{reply}");

    // A Service made after the client started: its name shows up in the pod.
    podium.ok(&[
        "expose",
        "deployment",
        "web",
        "--name=later",
        "--port=9090",
        "--target-port=8080",
    ]);
    let reply = wget_until(
        &podium,
        "client",
        "http://later.default.svc.cluster.local:9090/later",
        Duration::from_secs(20),
    );
    assert!(reply.contains("real path=/later\n"), "{reply}");
    let hosts = exec_ok(&podium, "client", &["cat", "/etc/hosts"]);
    assert!(
        hosts.contains("\tclient\n"),
        "the pod's own name stays: {hosts}"
    );

    // Deleted: the name goes, and so does the network holding its address.
    let later_ip = podium.ok(&[
        "get",
        "service",
        "later",
        "-o",
        "jsonpath={.spec.clusterIP}",
    ]);
    podium.ok(&["delete", "service", "later"]);
    let start = Instant::now();
    loop {
        let hosts = exec_ok(&podium, "client", &["cat", "/etc/hosts"]);
        let networks = docker(&[
            "network",
            "ls",
            "--filter",
            &format!("label=podium.dev/cluster={}", podium.podium.cluster_id),
            "--format",
            "{{.Name}}",
        ]);
        if !hosts.contains("later") && !networks.contains(&later_ip) {
            assert!(
                networks.contains(&cluster_ip),
                "web keeps its address: {networks}"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "later still there:\n{hosts}\n{networks}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// This cluster's Service address networks: `name id` lines.
fn service_networks(cluster_id: &str) -> String {
    docker(&[
        "network",
        "ls",
        "--filter",
        &format!("label=podium.dev/cluster={cluster_id}"),
        "--filter",
        "label=podium.dev/role=service-address",
        "--format",
        "{{.Name}} {{.ID}}",
    ])
}

#[test]
fn a_restart_adopts_service_addresses_and_removes_those_left_over() {
    let mut podium = TrafficPodium::start();
    podium.ok(&["create", "deployment", "web", "--image=podium/echo:1.0"]);
    podium.ok(&["expose", "deployment", "web", "--port=8080"]);
    podium.ok(&["run", "client", "--image=podium/echo:1.0"]);
    podium.rollout("web");
    podium.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/client",
        "--timeout=60s",
    ]);
    wget_until(
        &podium,
        "client",
        "http://web:8080/",
        Duration::from_secs(30),
    );
    let cluster_id = podium.podium.cluster_id.clone();
    // web's and the API server's own (the `kubernetes` Service).
    let before = service_networks(&cluster_id);
    assert_eq!(before.lines().count(), 2, "{before}");

    podium.podium.kill_9();
    // A Service address of this cluster that no Service wants any more
    // (as if the Service went while podium was down).
    let left_over = format!("podium-svc-{cluster_id}-10.111.222.6");
    docker(&[
        "network",
        "create",
        "--label",
        &format!("podium.dev/cluster={cluster_id}"),
        "--label",
        "podium.dev/role=service-address",
        "--label",
        "podium.dev/service-ip=10.111.222.6",
        "--subnet",
        "10.111.222.4/30",
        "--gateway",
        "10.111.222.6",
        &left_over,
    ]);
    let data_dir = podium.data_dir.clone();
    podium.podium.podium = crate::common::Podium::launch(
        &data_dir,
        "docker",
        &["--ingress-listen", "127.0.0.1:0"],
        &[],
    );

    let reply = wget_until(
        &podium,
        "client",
        "http://web.default.svc.cluster.local:8080/again",
        Duration::from_secs(30),
    );
    assert!(reply.contains("real path=/again\n"), "{reply}");
    let start = Instant::now();
    while service_networks(&cluster_id).contains(&left_over) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the left-over network stays: {}",
            service_networks(&cluster_id)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(
        service_networks(&cluster_id),
        before,
        "web's and kubernetes' networks are reused"
    );
}
