//! podium dies and comes back: containers are re-adopted, not duplicated;
//! `podium reset` removes podium's containers and only those.

use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

use crate::cluster::{DockerPodium, IMAGE_V1, docker, require_images, web_deployment};
use crate::common::Podium;

#[test]
fn kill_9_mid_rollout_readopts_containers_and_finishes() {
    require_images();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut podium = DockerPodium::adopt(Podium::launch(tmp.path(), "docker", &[], &[]));
    // No port declared: the probe reaches the pod's IP on the bridge.
    let web = web_deployment("        env:\n        - {name: READY_AFTER_SECONDS, value: \"2\"}\n");
    podium.kubectl_stdin(&["apply", "-f", "-"], &web);
    podium.ok(&["rollout", "status", "deployment/web", "--timeout=120s"]);
    podium.ok(&["set", "image", "deployment/web", "echo=podium/echo:2.0"]);
    // Kill once the new version has started to run.
    podium.wait_containers(Duration::from_secs(60), |c| {
        c.iter().any(|line| line.contains("podium/echo:2.0"))
    });
    podium.kill_9();
    let before_restart: HashSet<String> = podium
        .running_containers()
        .iter()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();

    podium.podium = Podium::launch(tmp.path(), "docker", &[], &[]);
    podium.ok(&["rollout", "status", "deployment/web", "--timeout=180s"]);
    podium.wait_containers(Duration::from_secs(60), |c| {
        c.len() == 5 && c.iter().all(|l| l.contains("podium/echo:2.0"))
    });
    // Each running container belongs to a distinct pod that exists.
    let containers = podium.running_containers();
    let uids: HashSet<&str> = containers
        .iter()
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert_eq!(uids.len(), 5, "one container per pod: {containers:?}");
    let pods = podium.ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={.items[*].metadata.uid}",
    ]);
    for uid in &uids {
        assert!(
            pods.contains(uid),
            "container of pod {uid} matches a pod: {pods}"
        );
    }
    // Containers of the new version that ran before the kill were adopted.
    let adopted = containers
        .iter()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|id| before_restart.contains(id))
        })
        .count();
    assert!(
        adopted >= 1,
        "running containers were adopted: {containers:?}"
    );
}

#[test]
fn reset_removes_podiums_containers_and_leaves_others_running() {
    require_images();
    let name = format!("podium-test-bystander-{}", std::process::id());
    docker(&["run", "-d", "--name", &name, IMAGE_V1]);
    let bystander_running =
        || docker(&["inspect", "--format", "{{.State.Running}}", &name]).trim() == "true";

    let tmp = tempfile::tempdir().expect("tempdir");
    let mut podium = DockerPodium::adopt(Podium::launch(tmp.path(), "docker", &[], &[]));
    podium.ok(&[
        "create",
        "deployment",
        "hello",
        "--image=podium/echo:1.0",
        "--replicas=2",
    ]);
    podium.ok(&["expose", "deployment", "hello", "--port=8080"]);
    podium.wait_containers(Duration::from_secs(60), |c| c.len() == 2);
    let cluster_id = podium.cluster_id.clone();
    let service_networks = || {
        docker(&[
            "network",
            "ls",
            "-q",
            "--filter",
            &format!("label=podium.dev/cluster={cluster_id}"),
        ])
    };
    let start = std::time::Instant::now();
    while service_networks().trim().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the Service's address network is made"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    podium.kill_9();
    assert!(
        !podium.all_containers().is_empty(),
        "containers outlive podium"
    );

    let reset = Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["reset", "--yes", "--data-dir"])
        .arg(tmp.path())
        .output()
        .expect("podium reset runs");
    assert!(
        reset.status.success(),
        "reset: {}",
        String::from_utf8_lossy(&reset.stderr)
    );
    let said = String::from_utf8_lossy(&reset.stdout);
    // Two pods of one container each: two containers, no sandboxes.
    assert!(
        said.contains("removed 2 containers"),
        "reset says what it removed: {said}"
    );
    assert!(
        podium.all_containers().is_empty(),
        "{:?}",
        podium.all_containers()
    );
    assert_eq!(
        service_networks().trim(),
        "",
        "reset removes the Service address networks"
    );
    assert!(
        bystander_running(),
        "a container podium did not create is untouched"
    );
    docker(&["rm", "-f", &name]);
}
