//! `kubectl top` from Docker's stats: a container made busy shows its CPU,
//! and its memory is the working set Docker measures.

use std::time::Duration;

use crate::cluster::DockerPodium;

#[test]
fn kubectl_top_shows_a_busy_containers_cpu_from_dockers_stats() {
    let podium = DockerPodium::start();
    podium.ok(&["run", "busy", "--image=podium/echo:1.0"]);
    podium.ok(&["wait", "--for=condition=Ready", "pod/busy", "--timeout=60s"]);
    // A loop that spins for a minute in the container.
    podium.ok(&[
        "exec",
        "busy",
        "--",
        "/bin/busybox",
        "sh",
        "-c",
        "/bin/busybox timeout 60 /bin/busybox sh -c 'while :; do :; done' >/dev/null 2>&1 &",
    ]);
    let top = podium.wait_for(
        &["top", "pod", "busy", "--no-headers"],
        Duration::from_secs(30),
        |out| {
            out.split_whitespace()
                .nth(1)
                .and_then(|cpu| cpu.strip_suffix('m'))
                .and_then(|m| m.parse::<u64>().ok())
                .is_some_and(|millicores| millicores >= 200)
        },
    );
    assert!(top.trim_end().ends_with("Mi"), "{top}");
    let node = podium.ok(&["top", "node", "--no-headers"]);
    assert!(node.starts_with("podium "), "{node}");
}
