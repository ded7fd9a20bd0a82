//! Container lifecycle on Docker: crash loops with growing back-off, and a
//! rolling update whose invariants hold on real containers.

use std::collections::HashMap;
use std::io::BufReader;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cluster::{DockerPodium, pod_field, web_deployment};

const CRASHER: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  containers:
  - name: echo
    image: podium/echo:1.0
    env:
    - {name: CRASH_AFTER_SECONDS, value: "1"}
    - {name: EXIT_CODE, value: "1"}
"#;

#[test]
fn a_container_exiting_1_goes_error_then_crash_loop_back_off_growing() {
    let podium = DockerPodium::start();
    podium.kubectl_stdin(&["apply", "-f", "-"], CRASHER);
    let last = ".status.containerStatuses[0]";
    podium.wait_for(
        &[
            "get",
            "pod",
            "crasher",
            "-o",
            &format!("jsonpath={{{last}.lastState.terminated.reason}}/{{{last}.lastState.terminated.exitCode}}"),
        ],
        Duration::from_secs(60),
        |out| out == "Error/1",
    );
    podium.wait_for(
        &["get", "pod", "crasher", "--no-headers"],
        Duration::from_secs(30),
        |out| out.contains("CrashLoopBackOff"),
    );
    // 10 s, then 20 s: the second back-off is twice the first.
    let message = podium.wait_for(
        &[
            "get",
            "pod",
            "crasher",
            "-o",
            &format!("jsonpath={{{last}.state.waiting.message}}"),
        ],
        Duration::from_secs(60),
        |out| out.contains("back-off 20s"),
    );
    assert!(message.contains("restarting failed container=echo pod=crasher_default"));
    let restarts: i32 = pod_field(&podium, "crasher", &format!("{last}.restartCount"))
        .parse()
        .expect("restartCount");
    assert!(restarts >= 2, "restart count grows: {restarts}");
    let described = podium.ok(&["describe", "pod", "crasher"]);
    assert!(
        described.contains("Back-off restarting failed container echo in pod crasher_default"),
        "{described}"
    );
    // Docker holds the current container and the previous one, no more.
    assert!(
        podium.all_containers().len() <= 3,
        "{:?}",
        podium.all_containers()
    );
    // The previous run is the one that crashed. Polled: if a restart
    // lands between kubectl reading the status and reading the log, the
    // container it names may just have been rotated out.
    podium.wait_for(
        &["logs", "crasher", "--previous"],
        Duration::from_secs(30),
        |out| out.contains("crashing with exit code 1 after 1s"),
    );
}

/// Follows `kubectl get pods -w` and checks, at every change, that at most
/// 6 pods exist (not terminating) and at least 4 are ready.
struct InvariantWatch {
    child: std::process::Child,
    result: std::sync::mpsc::Receiver<Result<usize, String>>,
}

impl InvariantWatch {
    fn start(podium: &DockerPodium) -> InvariantWatch {
        let mut child = Command::new("kubectl")
            .args(["get", "pods", "-l", "app=web", "-w", "-o", "json"])
            .env("KUBECONFIG", &podium.kubeconfig)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl watch");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut pods: HashMap<String, (bool, bool)> = HashMap::new();
            let mut changes = 0;
            let stream = serde_json::Deserializer::from_reader(BufReader::new(stdout))
                .into_iter::<serde_json::Value>();
            for pod in stream.flatten() {
                let name = pod["metadata"]["name"].as_str().unwrap_or("").to_string();
                let terminating = pod["metadata"]["deletionTimestamp"].is_string();
                let ready = pod["status"]["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True");
                pods.insert(name, (terminating, ready));
                changes += 1;
                let live = pods.values().filter(|(t, _)| !t).count();
                let ready = pods.values().filter(|(t, r)| !t && *r).count();
                // Only once all five were ready does the invariant apply.
                if changes > 5 && live > 6 {
                    let _ = tx.send(Err(format!("{live} pods at once: {pods:?}")));
                    return;
                }
                if changes > 5 && ready < 4 && pods.len() >= 5 {
                    let _ = tx.send(Err(format!("only {ready} ready: {pods:?}")));
                    return;
                }
                let _ = tx.send(Ok(changes));
            }
        });
        InvariantWatch { child, result }
    }

    /// The first violation seen, if any.
    fn violation(&self) -> Option<String> {
        self.result.try_iter().find_map(Result::err)
    }
}

impl Drop for InvariantWatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_rolling_update_keeps_its_budget_on_real_containers() {
    let podium = DockerPodium::start();
    // The port is declared: the probe goes through its published port.
    let web = web_deployment("        ports:\n        - containerPort: 8080\n");
    podium.kubectl_stdin(&["apply", "-f", "-"], &web);
    podium.ok(&["rollout", "status", "deployment/web", "--timeout=120s"]);
    podium.wait_containers(Duration::from_secs(10), |c| c.len() == 5);

    let watch = InvariantWatch::start(&podium);
    std::thread::sleep(Duration::from_millis(500));
    let began = Instant::now();
    podium.ok(&["set", "image", "deployment/web", "echo=podium/echo:2.0"]);
    podium.ok(&["rollout", "status", "deployment/web", "--timeout=180s"]);
    let took = began.elapsed();
    if let Some(violation) = watch.violation() {
        panic!("the rollout broke its budget: {violation}");
    }
    // Exactly five containers run afterwards, all of the new version.
    podium.wait_containers(Duration::from_secs(30), |c| {
        c.len() == 5 && c.iter().all(|line| line.contains("podium/echo:2.0"))
    });
    let history = podium.ok(&["rollout", "history", "deployment/web"]);
    assert!(history.contains('2'), "{history}");
    eprintln!("rollout of 5 real containers took {took:?}");
}

/// The server listens a second after its container starts, and the
/// readiness probe's period is 30 s.
const LATE_LISTENER: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: late}
spec:
  containers:
  - name: echo
    image: podium/echo:1.0
    command: ["/bin/sh", "-c", "sleep 1; exec /echo"]
    ports: [{containerPort: 8080}]
    readinessProbe:
      httpGet: {path: /, port: 8080}
      periodSeconds: 30
"#;

#[test]
fn a_server_that_listens_late_is_ready_soon_not_a_period_later() {
    let podium = DockerPodium::start();
    podium.kubectl_stdin(&["apply", "-f", "-"], LATE_LISTENER);
    podium.wait_for(
        &["get", "pod", "late", "--no-headers"],
        Duration::from_secs(60),
        |out| out.contains("Running"),
    );
    // The probe at the start finds nothing listening; it is tried again
    // soon, as upstream's pod syncs would, rather than 30 s later.
    let began = Instant::now();
    podium.wait_for(
        &[
            "get",
            "pod",
            "late",
            "-o",
            "jsonpath={.status.containerStatuses[0].ready}",
        ],
        Duration::from_secs(15),
        |out| out == "true",
    );
    eprintln!("ready {:?} after Running was seen", began.elapsed());
    // The refusals before the server listened are one event, not a flood.
    let unhealthy = podium.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=late,reason=Unhealthy",
        "-o",
        "jsonpath={range .items[*]}{.count} {.message}{\"\\n\"}{end}",
    ]);
    let lines: Vec<&str> = unhealthy.lines().collect();
    assert!(lines.len() <= 1, "{unhealthy}");
    if let Some(line) = lines.first() {
        assert!(line.starts_with("1 Readiness probe failed: "), "{line}");
        assert!(line.ends_with("connect: connection refused"), "{line}");
    }
}

#[test]
fn delete_runs_the_pre_stop_hook_then_stops_gracefully() {
    let podium = DockerPodium::start();
    let out = tempfile::tempdir().expect("tempdir");
    let pod = format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{name: hooked}}
spec:
  terminationGracePeriodSeconds: 20
  volumes:
  - {{name: out, hostPath: {{path: "{}", type: Directory}}}}
  containers:
  - name: echo
    image: podium/echo:1.0
    env:
    - {{name: TERM_DELAY_SECONDS, value: "1"}}
    volumeMounts:
    - {{name: out, mountPath: /out}}
    lifecycle:
      preStop:
        exec:
          command: ["/bin/sh", "-c", "echo hook-ran > /out/hook"]
"#,
        out.path().display()
    );
    podium.kubectl_stdin(&["apply", "-f", "-"], &pod);
    podium.wait_for(
        &["get", "pod", "hooked", "--no-headers"],
        Duration::from_secs(60),
        |out| out.contains("Running"),
    );
    let began = Instant::now();
    podium.ok(&["delete", "pod", "hooked", "--timeout=60s"]);
    let took = began.elapsed();
    let written = std::fs::read_to_string(out.path().join("hook")).unwrap_or_default();
    assert_eq!(
        written.trim(),
        "hook-ran",
        "the preStop hook ran in the container"
    );
    // The workload keeps serving TERM_DELAY_SECONDS after SIGTERM: a
    // graceful stop, not an immediate kill, and well within the grace.
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(15),
        "graceful stop took {took:?}"
    );
    assert!(
        podium.all_containers().is_empty(),
        "{:?}",
        podium.all_containers()
    );
}
