//! The walkthrough's first half on real containers.

use std::time::Duration;

use crate::cluster::{DockerPodium, IMAGE_V1, docker, pod_field, pod_names};

const HELLO: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 1
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
      - name: echo
        image: podium/echo:1.0
        env:
        - {name: READY_AFTER_SECONDS, value: "3"}
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
"#;

#[test]
fn a_deployment_runs_real_containers_ready_through_an_http_probe() {
    let podium = DockerPodium::start();
    podium.kubectl_stdin(&["apply", "-f", "-"], HELLO);
    let pods = podium.wait_for(
        &["get", "pods", "-l", "app=hello", "--no-headers"],
        Duration::from_secs(60),
        |out| out.contains("Running"),
    );
    // The workload answers 503 for its first seconds: not ready yet.
    assert!(
        pods.contains("0/1"),
        "not ready before the probe passes: {pods}"
    );
    podium.wait_for(
        &["get", "pods", "-l", "app=hello", "--no-headers"],
        Duration::from_secs(30),
        |out| out.contains("1/1") && out.contains("Running"),
    );
    let pod = pod_names(&podium, "app=hello").remove(0);

    // Docker shows the container with podium's labels.
    let containers = podium.running_containers();
    assert_eq!(containers.len(), 1, "one app container: {containers:?}");
    assert!(containers[0].contains(IMAGE_V1) && containers[0].contains(&pod));

    // describe shows the real container and image ids and the kubelet's events.
    let described = podium.ok(&["describe", "pod", &pod]);
    let container_id = pod_field(&podium, &pod, ".status.containerStatuses[0].containerID");
    assert!(container_id.starts_with("docker://"), "{container_id}");
    let short = &container_id["docker://".len().."docker://".len() + 12];
    assert!(
        containers[0].starts_with(short),
        "{containers:?} vs {container_id}"
    );
    assert!(described.contains(&container_id), "{described}");
    let image_id = pod_field(&podium, &pod, ".status.containerStatuses[0].imageID");
    let engine_image_id = docker(&["image", "inspect", IMAGE_V1, "--format", "{{.Id}}"]);
    assert!(
        image_id.contains(engine_image_id.trim()),
        "imageID {image_id} is the engine's {engine_image_id}"
    );
    for line in [
        "Successfully assigned default/",
        "Container image \"podium/echo:1.0\" already present on machine",
        "Created container: echo",
        "Started container echo",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
    ] {
        assert!(
            described.contains(line),
            "describe shows {line:?}:\n{described}"
        );
    }

    // The pod's IP is its container's address on podium's network (a pod
    // of one container has no sandbox).
    let pod_ip = pod_field(&podium, &pod, ".status.podIP");
    let network = docker(&[
        "network",
        "inspect",
        podium::kubelet::docker::NETWORK,
        "--format",
        "{{range .Containers}}{{.IPv4Address}} {{end}}",
    ]);
    assert!(
        network.contains(&format!("{pod_ip}/")),
        "{pod_ip} on the podium network: {network}"
    );

    // The workload's own log lines, including the probe's requests.
    let logs = podium.ok(&["logs", &pod]);
    assert!(logs.contains("GET /"), "the workload logs requests: {logs}");

    podium.ok(&["delete", "deployment", "hello"]);
    let start = std::time::Instant::now();
    while !podium.all_containers().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "containers left after delete: {:?}",
            podium.all_containers()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

const CONFIGURED: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello-from-a-file, color: blue}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cr3t}
---
apiVersion: v1
kind: Pod
metadata: {name: configured}
spec:
  restartPolicy: Never
  volumes:
  - {name: conf, configMap: {name: settings}}
  - {name: creds, secret: {secretName: creds}}
  - {name: scratch, emptyDir: {}}
  containers:
  - name: shell
    image: podium/echo:1.0
    workingDir: /scratch
    command: ["/bin/sh", "-c"]
    args:
    - cat /etc/conf/greeting; echo; echo "color=$COLOR"; cat /etc/creds/password; echo;
      echo "pwd=$(pwd)"; echo written > note && cat note;
      touch /etc/conf/x 2>/dev/null || echo read-only
    env:
    - name: COLOR
      valueFrom: {configMapKeyRef: {name: settings, key: color}}
    volumeMounts:
    - {name: conf, mountPath: /etc/conf}
    - {name: creds, mountPath: /etc/creds}
    - {name: scratch, mountPath: /scratch}
"#;

#[test]
fn config_maps_secrets_env_and_working_dir_reach_the_container() {
    let podium = DockerPodium::start();
    podium.kubectl_stdin(&["apply", "-f", "-"], CONFIGURED);
    podium.wait_for(
        &["get", "pod", "configured", "-o", "jsonpath={.status.phase}"],
        Duration::from_secs(60),
        |phase| phase == "Succeeded",
    );
    let logs = podium.ok(&["logs", "configured"]);
    for line in [
        "hello-from-a-file",
        "color=blue",
        "s3cr3t",
        "pwd=/scratch",
        "written",
        "read-only",
    ] {
        assert!(
            logs.contains(line),
            "the container printed {line:?}:\n{logs}"
        );
    }
    let reason = pod_field(
        &podium,
        "configured",
        ".status.containerStatuses[0].state.terminated.reason",
    );
    assert_eq!(reason, "Completed");
}

#[test]
fn kubectl_logs_follows_a_container_as_it_writes() {
    let podium = DockerPodium::start();
    podium.ok(&[
        "run",
        "chatty",
        "--image=podium/echo:1.0",
        "--env=LOG_LINES_PER_SECOND=10",
    ]);
    podium.wait_for(
        &["get", "pod", "chatty", "--no-headers"],
        Duration::from_secs(60),
        |out| out.contains("Running"),
    );
    let mut follow = std::process::Command::new("kubectl")
        .args(["logs", "-f", "chatty", "--tail=1", "--timestamps"])
        .env("KUBECONFIG", &podium.kubeconfig)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl logs -f");
    let stdout = follow.stdout.take().expect("stdout");
    let lines: Vec<String> = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .take(15)
        .map(|l| l.expect("a line"))
        .collect();
    let _ = follow.kill();
    let _ = follow.wait();
    // More lines than the tail arrive: they were followed as written,
    // each with its RFC 3339 timestamp first.
    assert_eq!(lines.len(), 15, "{lines:?}");
    for line in &lines {
        let (stamp, _) = line.split_once(' ').expect("timestamp, then the line");
        assert!(
            stamp.len() > 20 && stamp.ends_with('Z') && stamp.contains('T'),
            "{line}"
        );
    }
}
