//! `podium serve --runtime docker --offline` (or `offline: true` in the
//! settings file): nothing is pulled; a present image runs whatever its
//! pull policy, a missing one fails as a pull would and says how to get it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::cluster::{DockerPodium, IMAGE_V1, pod_field};

const ABSENT_IMAGE: &str = "podium-absent-image:1";

fn present_pod() -> String {
    format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{name: present}}
spec:
  containers:
  - name: echo
    image: {IMAGE_V1}
    imagePullPolicy: Always
"#
    )
}

fn absent_pod() -> String {
    format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{name: absent}}
spec:
  containers:
  - name: app
    image: {ABSENT_IMAGE}
    imagePullPolicy: Always
"#
    )
}

/// The `kubectl get events` lines about `object` (e.g. `pod/present`).
fn events_of(podium: &DockerPodium, object: &str) -> Vec<String> {
    podium
        .ok(&["get", "events"])
        .lines()
        .filter(|line| line.contains(object))
        .map(str::to_string)
        .collect()
}

#[test]
fn offline_a_present_image_runs_under_pull_policy_always_without_a_pull() {
    let podium = DockerPodium::start_with(&["--offline"], &[]);
    podium.apply(&present_pod());
    podium.wait_for(
        &["get", "pod", "present", "-o", "jsonpath={.status.phase}"],
        Duration::from_secs(60),
        |phase| phase == "Running",
    );
    let expected = format!("offline: using the image \"{IMAGE_V1}\" present on the machine");
    let described = podium.ok(&["describe", "pod", "present"]);
    let pulled = described
        .lines()
        .find(|line| line.contains("Pulled"))
        .unwrap_or_else(|| panic!("no Pulled event in:\n{described}"));
    assert!(pulled.contains("Normal"), "{pulled}");
    assert!(pulled.contains(&expected), "{pulled}");
    assert!(
        !described.contains("Pulling"),
        "nothing pulled:\n{described}"
    );
    let events = events_of(&podium, "pod/present");
    assert!(
        events.iter().any(|line| line.contains("Normal")
            && line.contains("Pulled")
            && line.contains(&expected)),
        "{events:#?}"
    );
    assert!(
        podium
            .running_containers()
            .iter()
            .any(|c| c.contains(IMAGE_V1)),
        "{:?}",
        podium.running_containers()
    );
}

/// Follows `kubectl get pod NAME -w` until its STATUS column has shown
/// every one of `statuses`, in order; answers the lines seen.
fn watch_statuses(
    podium: &DockerPodium,
    name: &str,
    statuses: &[&str],
    timeout: Duration,
) -> Vec<String> {
    let mut child = Command::new("kubectl")
        .args(["get", "pod", name, "-w", "--no-headers"])
        .env("KUBECONFIG", &podium.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl watch");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    let mut next = 0;
    while next < statuses.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = lines.recv_timeout(left) else {
            let _ = child.kill();
            panic!(
                "within {timeout:?} no {:?}; kubectl get pod -w showed:\n{}",
                &statuses[next..],
                seen.join("\n")
            );
        };
        if line.split_whitespace().nth(2) == Some(statuses[next]) {
            next += 1;
        }
        seen.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    seen
}

#[test]
fn offline_from_the_settings_file_a_missing_image_goes_err_image_pull_then_back_off() {
    let present = Command::new("docker")
        .args(["image", "inspect", ABSENT_IMAGE])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        !present,
        "{ABSENT_IMAGE} must not be on the machine for this test"
    );
    let config = tempfile::tempdir().expect("tempdir");
    std::fs::write(config.path().join("podium.yaml"), "offline: true\n").expect("write settings");
    let config_dir = config.path().display().to_string();
    let podium = DockerPodium::start_with(&[], &[("PODIUM_CONFIG_DIR", &config_dir)]);
    podium.apply(&absent_pod());
    watch_statuses(
        &podium,
        "absent",
        &["ErrImagePull", "ImagePullBackOff"],
        Duration::from_secs(60),
    );
    let message = pod_field(
        &podium,
        "absent",
        ".status.containerStatuses[0].state.waiting.message",
    );
    for needed in [
        format!("Back-off pulling image \"{ABSENT_IMAGE}\""),
        format!("offline: image \"{ABSENT_IMAGE}\" is not present on the machine"),
        "docker load".to_string(),
        "podium images demo".to_string(),
    ] {
        assert!(
            message.contains(&needed),
            "{needed:?} missing from {message:?}"
        );
    }
    let described = podium.ok(&["describe", "pod", "absent"]);
    assert!(
        described.lines().any(|line| line.contains("Warning")
            && line.contains("Failed")
            && line.contains(&format!(
                "Failed to pull image \"{ABSENT_IMAGE}\": offline:"
            ))),
        "{described}"
    );
    assert!(described.contains("Error: ErrImagePull"), "{described}");
    assert!(
        !described.contains("Pulling"),
        "nothing pulled:\n{described}"
    );
    let events = events_of(&podium, "pod/absent");
    assert!(
        events.iter().any(|line| line.contains("docker load")),
        "{events:#?}"
    );
}
