//! The logs view: interleaved pods, pods that join, restarted containers,
//! every container, fullscreen.

use crossterm::event::KeyCode;
use podium::api::Kind;

use super::deployment;
use crate::harness::{Backend, Console, sample};

pub(super) async fn logs_of_a_deployment_interleave_its_pods(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("five running pods", |s| s.matches("Running").count() >= 5)
        .await;
    console.command_showing("deploy", "nginx-dep").await;
    console.key(KeyCode::Char('l'));
    let screen = console
        .wait_until("log lines from several pods", |s| {
            s.lines()
                .filter(|line| line.contains("│nginx-dep-"))
                .map(|line| line.split_whitespace().next().unwrap_or("").to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                >= 2
        })
        .await;
    assert!(screen.contains("logs 5 pods (nginx)"), "{screen}");
    assert!(screen.contains("autoscroll on"), "{screen}");
    // Scaled up meanwhile (by someone else): the new pods join the view
    // as their containers start, as k9s shows them.
    let store = console.cluster.store.clone();
    let mut scaled = deployment(&console).expect("deployment");
    if let Some(spec) = scaled.spec.as_mut() {
        spec.replicas = Some(7);
    }
    store
        .update(scaled, podium::store::UpdateScope::Main)
        .expect("scale");
    let screen = console
        .wait_until("the new pods' streams", |s| {
            s.contains("logs 7 pods (nginx)") && s.contains("joined")
        })
        .await;
    assert!(screen.contains("listening on 0.0.0.0:80/tcp"), "{screen}");
    console.key(KeyCode::Char('s'));
    assert!(console.screen().contains("autoscroll off"));
    // `/` searches; the hits are highlighted and counted.
    console.search("listening");
    let screen = console.screen();
    assert!(screen.contains("listening on 0.0.0.0:80/tcp"), "{screen}");
    console.key(KeyCode::Esc);
    console.key(KeyCode::Esc);
    assert!(console.screen().contains("deployments(default)[1]"));
}

/// A container that crashed and was restarted is followed again: its next
/// run's lines come into the same view.
pub(super) async fn the_logs_of_a_pod_follow_its_restarted_container(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.create(
        Kind::Pod,
        serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "crashy",
                "namespace": "default",
                "annotations": {"sim.podium.dev/crash-after-seconds": "1"},
            },
            "spec": {"containers": [{"name": "app", "image": "library/nginx:1.14-alpine"}]},
        }),
    );
    console.command("po");
    console
        .wait_until("the pod running", |s| {
            s.contains("crashy") && s.contains("Running")
        })
        .await;
    console.key(KeyCode::Char('l'));
    let screen = console
        .wait_until("the restarted container's lines", |s| {
            s.contains("log stream of crashy ended") && s.matches("started from image").count() >= 2
        })
        .await;
    assert!(screen.contains("logs crashy (app)"), "{screen}");
}

/// `a` in the logs of a pod of several containers shows them all, each
/// line tagged with its container (k9s's `a`); again: the one chosen.
pub(super) async fn a_in_the_logs_view_shows_every_container(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.create(
        Kind::Pod,
        serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "duo", "namespace": "default"},
            "spec": {"containers": [
                {"name": "main", "image": "library/nginx:1.14-alpine"},
                {"name": "side", "image": "library/busybox:1.36"},
            ]},
        }),
    );
    console.command("po");
    console
        .wait_until("the pod running", |s| {
            s.contains("duo") && s.contains("Running")
        })
        .await;
    console.key(KeyCode::Char('l'));
    console
        .wait_until("the first container's lines", |s| {
            s.contains("logs duo (main)") && s.contains("container \"main\" started")
        })
        .await;
    console.key(KeyCode::Char('a'));
    let screen = console
        .wait_until("both containers' lines, tagged", |s| {
            s.contains("logs duo (all containers)")
                && s.contains("main podium-sim: container \"main\" started")
                && s.contains("side podium-sim: container \"side\" started")
        })
        .await;
    assert!(screen.contains("a all"), "{screen}");
    console.key(KeyCode::Char('a'));
    console
        .wait_until("back to the chosen container", |s| {
            s.contains("logs duo (main)")
        })
        .await;
    // `f`: the logs over the whole terminal, no header; again: back.
    assert!(console.screen().contains("podium cluster"));
    console.key(KeyCode::Char('f'));
    let screen = console.screen();
    assert!(!screen.contains("podium cluster"), "{screen}");
    let first = screen.lines().next().unwrap_or_default();
    assert!(first.contains("logs duo (main)"), "{screen}");
    console.key(KeyCode::Char('f'));
    assert!(console.screen().contains("podium cluster"));
}
