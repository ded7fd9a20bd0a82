use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use serde_json::{Value, json};

use super::budget::resolve;
use super::*;

const DEPLOYMENT_UID: &str = "uid-deploy-web";

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn now() -> Timestamp {
    at("2026-11-25T08:30:00Z")
}

fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("valid object")
}

fn deployment(replicas: i32, status: Value, progressing_reason: &str) -> Deployment {
    let mut status = status;
    status["observedGeneration"] = json!(2);
    status["conditions"] = json!([{
        "type": "Progressing", "status": "True", "reason": progressing_reason,
    }]);
    from_json(json!({
        "metadata": {"name": "web", "namespace": "default", "uid": DEPLOYMENT_UID, "generation": 2},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate"},
            "template": {"spec": {"containers": [{"name": "web", "image": "podium/echo:2.0"}]}},
        },
        "status": status,
    }))
}

fn replica_set(
    name: &str,
    owner_uid: &str,
    revision: &str,
    image: &str,
    created: &str,
    spec: i32,
    status: Value,
) -> ReplicaSet {
    from_json(json!({
        "metadata": {
            "name": name, "namespace": "default", "uid": format!("uid-{name}"),
            "creationTimestamp": created,
            "annotations": {"deployment.kubernetes.io/revision": revision},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                "uid": owner_uid, "controller": true}],
        },
        "spec": {
            "replicas": spec,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"spec": {"containers": [{"name": "web", "image": image}]}},
        },
        "status": status,
    }))
}

/// A pod of `rs`: "ready", "notready", "pending", "terminating" or "crash".
fn pod(name: &str, rs: &str, created: &str, state: &str) -> Pod {
    let ready = if state == "ready" || state == "terminating" {
        "True"
    } else {
        "False"
    };
    let phase = if state == "pending" {
        "Pending"
    } else {
        "Running"
    };
    let container_state = match state {
        "pending" => json!({"waiting": {"reason": "ContainerCreating"}}),
        "crash" => json!({"waiting": {"reason": "CrashLoopBackOff"}}),
        _ => json!({"running": {"startedAt": created}}),
    };
    let mut metadata = json!({
        "name": name, "namespace": "default", "uid": format!("uid-{name}"),
        "creationTimestamp": created,
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
            "uid": format!("uid-{rs}"), "controller": true}],
    });
    if state == "terminating" {
        metadata["deletionTimestamp"] = json!("2026-11-25T08:29:50Z");
    }
    from_json(json!({
        "metadata": metadata,
        "spec": {"containers": [{"name": "web", "image": "podium/echo"}]},
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": ready}],
            "containerStatuses": [{"name": "web", "image": "podium/echo", "imageID": "",
                "ready": ready == "True", "restartCount": 0, "state": container_state}],
        },
    }))
}

fn event(kind: &str, name: &str, reason: &str, message: &str, last: &str) -> Event {
    from_json(json!({
        "metadata": {"name": format!("{name}.{last}"), "namespace": "default"},
        "involvedObject": {"kind": kind, "name": name, "namespace": "default"},
        "reason": reason, "message": message, "type": "Normal", "lastTimestamp": last,
    }))
}

/// Revision 1 (echo:1.0) scaling down with one pod terminating, revision 2
/// (echo:2.0) scaling up with one pod running but not ready yet.
struct MidRollout {
    deployment: Deployment,
    replica_sets: Vec<ReplicaSet>,
    pods: Vec<Pod>,
    events: Vec<Event>,
}

fn mid_rollout() -> MidRollout {
    let status =
        json!({"replicas": 7, "updatedReplicas": 3, "readyReplicas": 6, "availableReplicas": 5});
    MidRollout {
        deployment: deployment(5, status, "ReplicaSetUpdated"),
        replica_sets: vec![
            replica_set(
                "web-7f9c6d",
                DEPLOYMENT_UID,
                "1",
                "podium/echo:1.0",
                "2026-11-25T08:00:00Z",
                3,
                json!({"replicas": 4, "readyReplicas": 4, "availableReplicas": 4}),
            ),
            replica_set(
                "web-5b8d4x",
                DEPLOYMENT_UID,
                "2",
                "podium/echo:2.0",
                "2026-11-25T08:28:40Z",
                3,
                json!({"replicas": 3, "readyReplicas": 2, "availableReplicas": 1}),
            ),
            // Another Deployment's ReplicaSet in the same namespace.
            replica_set(
                "api-6c7d8f",
                "uid-deploy-api",
                "9",
                "podium/echo:1.0",
                "2026-11-25T07:00:00Z",
                2,
                json!({"replicas": 2}),
            ),
        ],
        pods: vec![
            pod(
                "web-7f9c6d-a",
                "web-7f9c6d",
                "2026-11-25T08:00:01Z",
                "ready",
            ),
            pod(
                "web-7f9c6d-b",
                "web-7f9c6d",
                "2026-11-25T08:00:02Z",
                "ready",
            ),
            pod(
                "web-7f9c6d-c",
                "web-7f9c6d",
                "2026-11-25T08:00:03Z",
                "ready",
            ),
            pod(
                "web-7f9c6d-d",
                "web-7f9c6d",
                "2026-11-25T08:00:04Z",
                "terminating",
            ),
            pod(
                "web-5b8d4x-a",
                "web-5b8d4x",
                "2026-11-25T08:28:41Z",
                "ready",
            ),
            pod(
                "web-5b8d4x-b",
                "web-5b8d4x",
                "2026-11-25T08:29:10Z",
                "ready",
            ),
            pod(
                "web-5b8d4x-c",
                "web-5b8d4x",
                "2026-11-25T08:29:40Z",
                "notready",
            ),
            pod(
                "api-6c7d8f-a",
                "api-6c7d8f",
                "2026-11-25T07:00:01Z",
                "ready",
            ),
        ],
        events: vec![
            event(
                "Deployment",
                "web",
                "ScalingReplicaSet",
                "Scaled up replica set web-5b8d4x from 0 to 2",
                "2026-11-25T08:28:40Z",
            ),
            event(
                "Deployment",
                "web",
                "ScalingReplicaSet",
                "Scaled down replica set web-7f9c6d from 4 to 3",
                "2026-11-25T08:29:50Z",
            ),
            event(
                "ReplicaSet",
                "web-5b8d4x",
                "SuccessfulCreate",
                "Created pod: web-5b8d4x-c",
                "2026-11-25T08:29:40Z",
            ),
            event(
                "ReplicaSet",
                "api-6c7d8f",
                "SuccessfulCreate",
                "Created pod: api-6c7d8f-a",
                "2026-11-25T08:29:55Z",
            ),
            event(
                "Pod",
                "web-5b8d4x-c",
                "Pulled",
                "Container image already present",
                "2026-11-25T08:29:45Z",
            ),
        ],
    }
}

fn complete() -> MidRollout {
    let status =
        json!({"replicas": 5, "updatedReplicas": 5, "readyReplicas": 5, "availableReplicas": 5});
    MidRollout {
        deployment: deployment(5, status, "NewReplicaSetAvailable"),
        replica_sets: vec![
            replica_set(
                "web-7f9c6d",
                DEPLOYMENT_UID,
                "1",
                "podium/echo:1.0",
                "2026-11-25T08:00:00Z",
                0,
                json!({"replicas": 0}),
            ),
            replica_set(
                "web-5b8d4x",
                DEPLOYMENT_UID,
                "2",
                "podium/echo:2.0",
                "2026-11-25T08:28:40Z",
                5,
                json!({"replicas": 5, "readyReplicas": 5, "availableReplicas": 5}),
            ),
        ],
        pods: ["a", "b", "c", "d", "e"]
            .iter()
            .map(|p| {
                pod(
                    &format!("web-5b8d4x-{p}"),
                    "web-5b8d4x",
                    "2026-11-25T08:29:00Z",
                    "ready",
                )
            })
            .collect(),
        events: vec![event(
            "Deployment",
            "web",
            "ScalingReplicaSet",
            "Scaled down replica set web-7f9c6d from 1 to 0",
            "2026-11-25T08:29:58Z",
        )],
    }
}

impl MidRollout {
    fn input(&self) -> RolloutInput<'_> {
        RolloutInput {
            deployment: &self.deployment,
            replica_sets: self.replica_sets.iter().collect(),
            pods: self.pods.iter().collect(),
            events: self.events.iter().collect(),
        }
    }

    /// A view that observed `available` at one-second steps up to now.
    fn view(&self, available_steps: &[i32]) -> RolloutView {
        let mut view = RolloutView::new("default", "web");
        let mut deployment = self.deployment.clone();
        let start = now().as_second() - i64::try_from(available_steps.len()).expect("len");
        for (i, available) in available_steps.iter().enumerate() {
            if let Some(status) = deployment.status.as_mut() {
                status.available_replicas = Some(*available);
            }
            let input = RolloutInput {
                deployment: &deployment,
                ..self.input()
            };
            let second = start + i64::try_from(i).expect("index");
            view.observe(&input, Timestamp::from_second(second).expect("ts"));
        }
        view.observe(&self.input(), now());
        view
    }
}

fn draw(view: &RolloutView, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    let theme = Theme::dark();
    terminal
        .draw(|f| view.draw(f, f.area(), &theme, now()))
        .expect("draw");
    terminal
}

fn find(terminal: &Terminal<TestBackend>, needle: &str) -> (u16, u16) {
    let buffer = terminal.backend().buffer();
    for y in 0..buffer.area.height {
        let row: Vec<&str> = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        let text = row.concat();
        if let Some(byte) = text.find(needle) {
            let column = text[..byte].chars().count();
            return (u16::try_from(column).expect("column"), y);
        }
    }
    panic!("{needle:?} not on screen:\n{}", terminal.backend());
}

#[test]
fn percentages_round_surge_up_and_unavailable_down() {
    let quarter = IntOrString::String("25%".into());
    let budget = resolve(5, &quarter, &quarter).expect("budget");
    assert_eq!((budget.max_surge, budget.max_unavailable), (2, 1));
    assert_eq!((budget.max_pods(), budget.min_available()), (7, 4));
}

#[test]
fn both_zero_lets_one_pod_be_unavailable() {
    let zero = IntOrString::Int(0);
    let budget = resolve(10, &zero, &zero).expect("budget");
    assert_eq!((budget.max_surge, budget.max_unavailable), (0, 1));
    assert_eq!((budget.max_pods(), budget.min_available()), (10, 9));
    let zero_percent = IntOrString::String("0%".into());
    let budget = resolve(10, &zero_percent, &zero_percent).expect("budget");
    assert_eq!(budget.max_unavailable, 1);
}

#[test]
fn integers_are_taken_as_they_are() {
    let budget = resolve(5, &IntOrString::Int(1), &IntOrString::Int(0)).expect("budget");
    assert_eq!((budget.max_pods(), budget.min_available()), (6, 5));
    let budget = resolve(3, &IntOrString::Int(3), &IntOrString::Int(2)).expect("budget");
    assert_eq!((budget.max_pods(), budget.min_available()), (6, 1));
}

#[test]
fn deployment_without_a_strategy_gets_the_25_percent_defaults() {
    let fixture = mid_rollout();
    let budget = Budget::of(&fixture.deployment).expect("budget");
    assert_eq!(
        (budget.replicas, budget.max_surge, budget.max_unavailable),
        (5, 2, 1)
    );
}

#[test]
fn a_malformed_percentage_is_reported_with_the_field() {
    let error = resolve(5, &IntOrString::String("lots".into()), &IntOrString::Int(1))
        .expect_err("not a percentage");
    assert!(error.to_string().contains("maxSurge \"lots\""), "{error}");
}

#[test]
fn lanes_are_the_deployments_replica_sets_newest_revision_first() {
    let fixture = mid_rollout();
    let mut view = RolloutView::new("default", "web");
    view.observe(&fixture.input(), now());
    let summary = view.summary().expect("observed");
    let names: Vec<&str> = summary.lanes.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["web-5b8d4x", "web-7f9c6d"]);
    assert_eq!(summary.lanes[0].revision, Some(2));
    assert_eq!(summary.lanes[0].images, ["podium/echo:2.0"]);
    let states = |lane: &Lane| lane.slots.iter().map(|s| s.state).collect::<Vec<_>>();
    assert_eq!(
        states(&summary.lanes[0]),
        [SlotState::Ready, SlotState::Ready, SlotState::NotReady]
    );
    assert_eq!(
        states(&summary.lanes[1]),
        [
            SlotState::Ready,
            SlotState::Ready,
            SlotState::Ready,
            SlotState::Terminating
        ]
    );
    assert_eq!(summary.state, RolloutState::Progressing);
    // The other Deployment's ReplicaSet event and the pod event are not the rollout's.
    let reasons: Vec<&str> = summary.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "Scaled down replica set web-7f9c6d from 4 to 3",
            "Created pod: web-5b8d4x-c",
            "Scaled up replica set web-5b8d4x from 0 to 2",
        ]
    );
}

#[test]
fn revision_order_is_numeric_not_textual() {
    let fixture = mid_rollout();
    let mut replica_sets = fixture.replica_sets.clone();
    replica_sets.push(replica_set(
        "web-10aaaa",
        DEPLOYMENT_UID,
        "10",
        "podium/echo:1.0",
        "2026-11-25T08:29:00Z",
        0,
        json!({"replicas": 0}),
    ));
    let refs: Vec<&ReplicaSet> = replica_sets.iter().collect();
    let lanes = lanes::lanes(&fixture.deployment, &refs, &[]);
    let revisions: Vec<Option<i64>> = lanes.iter().map(|l| l.revision).collect();
    assert_eq!(revisions, [Some(10), Some(2), Some(1)]);
}

#[test]
fn broken_and_pending_pods_get_their_own_states() {
    let crash = pod("x", "web-5b8d4x", "2026-11-25T08:29:00Z", "crash");
    let pending = pod("y", "web-5b8d4x", "2026-11-25T08:29:00Z", "pending");
    assert_eq!(SlotState::of(&crash), SlotState::Broken);
    assert_eq!(SlotState::of(&pending), SlotState::Pending);
}

#[test]
fn history_keeps_the_last_120_samples() {
    let fixture = mid_rollout();
    let mut view = RolloutView::new("default", "web");
    for second in 0..200 {
        view.observe(
            &fixture.input(),
            Timestamp::from_second(second).expect("ts"),
        );
    }
    let history: Vec<(Timestamp, i32)> = view.history().collect();
    assert_eq!(history.len(), HISTORY_LIMIT);
    assert_eq!(history[0].0, Timestamp::from_second(80).expect("ts"));
    assert_eq!(history[0].1, 5);
}

#[test]
fn esc_closes_and_other_keys_are_ignored() {
    let mut view = RolloutView::new("default", "web");
    let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
    assert_eq!(
        view.handle_key(key(KeyCode::Esc)),
        Outcome::Intent(RolloutIntent::Close)
    );
    assert_eq!(view.handle_key(key(KeyCode::Char('q'))), Outcome::Ignored);
    assert_eq!(view.handle_key(key(KeyCode::Enter)), Outcome::Ignored);
}

#[test]
fn mid_rollout_snapshot() {
    let fixture = mid_rollout();
    let view = fixture.view(&[4, 4, 4, 5, 5, 4, 4, 4, 5, 5, 4, 5]);
    let terminal = draw(&view, 100, 30);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn complete_snapshot() {
    let fixture = complete();
    let view = fixture.view(&[4, 4, 5, 4, 5, 5]);
    let terminal = draw(&view, 100, 30);
    let buffer = terminal.backend().buffer();
    let (x, y) = find(&terminal, "Complete");
    assert_eq!(buffer[(x, y)].fg, Color::Green);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn ready_and_terminating_slots_are_coloured_by_state() {
    let fixture = mid_rollout();
    let view = fixture.view(&[]);
    let terminal = draw(&view, 100, 30);
    let buffer = terminal.backend().buffer();
    // The old lane's row of slots: three ready pods, then the terminating one.
    let (_, old_header) = find(&terminal, "web-7f9c6d");
    let slots_row = old_header + 1;
    let (x, _) = find(&terminal, "■ ■ ■ ▒");
    let theme = Theme::dark();
    assert_eq!(buffer[(x, slots_row)].symbol(), "■");
    assert_eq!(
        buffer[(x, slots_row)].fg,
        theme.status_ok.fg.expect("ok colour")
    );
    assert_eq!(buffer[(x + 6, slots_row)].symbol(), "▒");
    assert_eq!(
        buffer[(x + 6, slots_row)].fg,
        theme.status_terminating.fg.expect("terminating colour")
    );
    assert_ne!(theme.status_ok.fg, theme.status_terminating.fg);
    // The new lane's not-ready pod is pending-coloured, not ready-coloured.
    let (nx, ny) = find(&terminal, "■ ■ □");
    assert_eq!(
        buffer[(nx + 4, ny)].fg,
        theme.status_pending.fg.expect("pending")
    );
}

#[test]
fn before_any_observation_the_view_says_it_is_waiting() {
    let view = RolloutView::new("default", "web");
    let terminal = draw(&view, 60, 5);
    find(&terminal, "waiting for deployment default/web");
}

#[test]
fn state_comes_from_paused_and_the_progressing_condition() {
    let fixture = complete();
    assert_eq!(
        RolloutState::of(&fixture.deployment),
        RolloutState::Complete
    );
    let mut paused = fixture.deployment.clone();
    if let Some(spec) = paused.spec.as_mut() {
        spec.paused = Some(true);
    }
    assert_eq!(RolloutState::of(&paused), RolloutState::Paused);
    let status = json!({"replicas": 6, "updatedReplicas": 1, "availableReplicas": 5});
    let stuck = deployment(5, status, "ProgressDeadlineExceeded");
    assert_eq!(
        RolloutState::of(&stuck),
        RolloutState::ProgressDeadlineExceeded
    );
    // The condition still says available, but a scale-up is not done yet.
    let status = json!({"replicas": 5, "updatedReplicas": 5, "availableReplicas": 5});
    let scaling = deployment(7, status, "NewReplicaSetAvailable");
    assert_eq!(RolloutState::of(&scaling), RolloutState::Progressing);
}

#[test]
fn recreate_shows_no_budget_and_a_stuck_rollout_is_red() {
    let status = json!({"replicas": 0, "updatedReplicas": 0, "availableReplicas": 0});
    let mut recreate = deployment(2, status, "ProgressDeadlineExceeded");
    if let Some(spec) = recreate.spec.as_mut() {
        spec.strategy = Some(from_json(json!({"type": "Recreate"})));
    }
    let mut view = RolloutView::new("default", "web");
    let input = RolloutInput {
        deployment: &recreate,
        replica_sets: vec![],
        pods: vec![],
        events: vec![],
    };
    view.observe(&input, now());
    let terminal = draw(&view, 100, 20);
    find(
        &terminal,
        "Recreate: every old pod stops before the new ones start",
    );
    let (x, y) = find(&terminal, "ProgressDeadlineExceeded");
    let theme = Theme::dark();
    assert_eq!(
        terminal.backend().buffer()[(x, y)].fg,
        theme.status_error.fg.expect("error colour")
    );
    find(&terminal, "<none>");
}

#[test]
fn budget_overrun_is_drawn_in_the_error_colour() {
    // 8 pods exist against a maximum of 7: the "now 8" is red.
    let fixture = mid_rollout();
    let mut deployment = fixture.deployment.clone();
    if let Some(status) = deployment.status.as_mut() {
        status.replicas = Some(8);
    }
    let mut view = RolloutView::new("default", "web");
    view.observe(
        &RolloutInput {
            deployment: &deployment,
            ..fixture.input()
        },
        now(),
    );
    let terminal = draw(&view, 100, 30);
    let (x, y) = find(&terminal, "now 8");
    let theme = Theme::dark();
    assert_eq!(
        terminal.backend().buffer()[(x + 4, y)].fg,
        theme.status_error.fg.expect("error colour")
    );
}

#[test]
fn a_tiny_terminal_still_draws_the_headline() {
    let fixture = mid_rollout();
    let view = fixture.view(&[4, 5]);
    for (width, height) in [(30, 8), (12, 3), (100, 6)] {
        let terminal = draw(&view, width, height);
        if width >= 30 {
            find(&terminal, "web  Rolling");
        }
    }
}
