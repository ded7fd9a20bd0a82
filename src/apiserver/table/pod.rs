//! The Pod row: READY, STATUS, RESTARTS as upstream's printPod computes them.

use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::cells::since;

/// Reason the node controller gives pods on an unreachable node.
const NODE_UNREACHABLE_REASON: &str = "NodeLost";

/// What the READY, STATUS and RESTARTS columns show for a pod.
struct PodSummary {
    ready: usize,
    total: usize,
    reason: String,
    restarts: i64,
    last_restart: Option<Time>,
}

/// The STATUS column of `kubectl get pods`: `Running`, `Completed`,
/// `CrashLoopBackOff`, `Init:0/1`, `Terminating`, ...
pub fn pod_status_reason(pod: &Pod) -> String {
    summarize(pod).reason
}

/// Row conditions upstream attaches to finished pods.
pub fn row_conditions(pod: &Pod) -> Option<Value> {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    let (reason, message) = match phase {
        Some("Succeeded") => ("Succeeded", "The pod has completed successfully."),
        Some("Failed") => ("Failed", "The pod failed."),
        _ => return None,
    };
    Some(json!([{
        "type": "Completed",
        "status": "True",
        "reason": reason,
        "message": message,
    }]))
}

/// Cells: NAME READY STATUS RESTARTS AGE | IP NODE NOMINATED-NODE READINESS-GATES.
pub fn cells(pod: &Pod, now: Timestamp) -> Vec<Value> {
    let summary = summarize(pod);
    let restarts = match (&summary.last_restart, summary.restarts) {
        (Some(last), n) if n != 0 => format!("{n} ({} ago)", since(Some(last), now)),
        (_, n) => n.to_string(),
    };
    let status = pod.status.as_ref();
    let pod_ip = status
        .and_then(|s| s.pod_ips.as_ref())
        .and_then(|ips| ips.first())
        .map(|ip| ip.ip.clone())
        .or_else(|| status.and_then(|s| s.pod_ip.clone()));
    let spec = pod.spec.as_ref();
    let node_name = spec.and_then(|s| s.node_name.clone());
    let nominated = status.and_then(|s| s.nominated_node_name.clone());
    vec![
        json!(pod.metadata.name.as_deref().unwrap_or("")),
        json!(format!("{}/{}", summary.ready, summary.total)),
        json!(summary.reason),
        json!(restarts),
        json!(since(pod.metadata.creation_timestamp.as_ref(), now)),
        json!(or_none(pod_ip)),
        json!(or_none(node_name)),
        json!(or_none(nominated)),
        json!(readiness_gates(pod)),
    ]
}

fn or_none(value: Option<String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "<none>".to_string())
}

fn readiness_gates(pod: &Pod) -> String {
    let gates = pod
        .spec
        .as_ref()
        .and_then(|s| s.readiness_gates.as_deref())
        .unwrap_or_default();
    if gates.is_empty() {
        return "<none>".to_string();
    }
    let conditions = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    let met = gates
        .iter()
        .filter(|gate| {
            conditions
                .iter()
                .find(|c| c.type_ == gate.condition_type)
                .is_some_and(|c| c.status == "True")
        })
        .count();
    format!("{met}/{}", gates.len())
}

fn is_restartable_init(container: Option<&Container>) -> bool {
    container.is_some_and(|c| c.restart_policy.as_deref() == Some("Always"))
}

fn has_condition(pod: &Pod, condition_type: &str) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == condition_type && c.status == "True")
}

/// Keeps the later of the recorded last restart and this container's last
/// termination.
fn note_restart(last: &mut Option<Time>, status: &ContainerStatus) {
    let finished = status
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .and_then(|t| t.finished_at.clone());
    if let Some(finished) = finished
        && last.as_ref().is_none_or(|l| l.0 < finished.0)
    {
        *last = Some(finished);
    }
}

fn summarize(pod: &Pod) -> PodSummary {
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let containers = spec.map(|s| s.containers.as_slice()).unwrap_or_default();
    let init_containers = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or_default();
    let phase = status.and_then(|s| s.phase.clone()).unwrap_or_default();
    let status_reason = status.and_then(|s| s.reason.clone()).unwrap_or_default();

    let mut reason = if status_reason.is_empty() {
        phase.clone()
    } else {
        status_reason.clone()
    };
    let scheduling_gated = status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("SchedulingGated"));
    if scheduling_gated {
        reason = "SchedulingGated".to_string();
    }

    let find_init = |name: &str| init_containers.iter().find(|c| c.name == name);
    let total = containers.len()
        + init_containers
            .iter()
            .filter(|c| is_restartable_init(Some(c)))
            .count();
    let mut ready = 0;
    let mut restarts: i64 = 0;
    let mut sidecar_restarts: i64 = 0;
    let mut last_restart: Option<Time> = None;
    let mut last_sidecar_restart: Option<Time> = None;

    let init_statuses = status
        .and_then(|s| s.init_container_statuses.as_deref())
        .unwrap_or_default();
    let mut initializing = false;
    for (i, container) in init_statuses.iter().enumerate() {
        restarts += i64::from(container.restart_count);
        note_restart(&mut last_restart, container);
        let restartable = is_restartable_init(find_init(&container.name));
        if restartable {
            sidecar_restarts += i64::from(container.restart_count);
            note_restart(&mut last_sidecar_restart, container);
        }
        let state = container.state.as_ref();
        let terminated = state.and_then(|s| s.terminated.as_ref());
        let waiting_reason = state
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone())
            .unwrap_or_default();
        if terminated.is_some_and(|t| t.exit_code == 0) {
            continue;
        }
        if restartable && container.started == Some(true) {
            if container.ready {
                ready += 1;
            }
            continue;
        }
        if let Some(terminated) = terminated {
            let why = terminated.reason.clone().unwrap_or_default();
            reason = if !why.is_empty() {
                format!("Init:{why}")
            } else if let Some(signal) = terminated.signal.filter(|s| *s != 0) {
                format!("Init:Signal:{signal}")
            } else {
                format!("Init:ExitCode:{}", terminated.exit_code)
            };
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_containers.len());
        }
        initializing = true;
        break;
    }

    if !initializing || has_condition(pod, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        let statuses = status
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or_default();
        for container in statuses.iter().rev() {
            restarts += i64::from(container.restart_count);
            note_restart(&mut last_restart, container);
            let state = container.state.as_ref();
            let waiting = state
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.reason.clone())
                .filter(|r| !r.is_empty());
            let terminated = state.and_then(|s| s.terminated.as_ref());
            if let Some(waiting) = waiting {
                reason = waiting;
            } else if let Some(terminated) = terminated {
                let why = terminated.reason.clone().unwrap_or_default();
                reason = if !why.is_empty() {
                    why
                } else if let Some(signal) = terminated.signal.filter(|s| *s != 0) {
                    format!("Signal:{signal}")
                } else {
                    format!("ExitCode:{}", terminated.exit_code)
                };
            } else if container.ready && state.is_some_and(|s| s.running.is_some()) {
                has_running = true;
                ready += 1;
            }
        }
        // A pod with one container still running is not Completed.
        if reason == "Completed" && has_running {
            reason = if has_condition(pod, "Ready") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    if pod.metadata.deletion_timestamp.is_some() {
        if status_reason == NODE_UNREACHABLE_REASON {
            reason = "Unknown".to_string();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".to_string();
        }
    }

    PodSummary {
        ready,
        total,
        reason,
        restarts,
        last_restart,
    }
}
