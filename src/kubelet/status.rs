//! Pod status arithmetic as upstream's kubelet does it: phase from the
//! container states, QoS class, and the pod conditions whose transition
//! times move only when their status does.

use k8s_openapi::api::core::v1::{ContainerStatus, PodCondition, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// The pod phase (upstream `getPhase`).
pub fn phase(restart_policy: &str, statuses: &[ContainerStatus]) -> &'static str {
    let (mut waiting, mut running, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for status in statuses {
        let state = status.state.as_ref();
        if state.and_then(|s| s.running.as_ref()).is_some() {
            running += 1;
        } else if let Some(terminated) = state.and_then(|s| s.terminated.as_ref()) {
            stopped += 1;
            if terminated.exit_code == 0 {
                succeeded += 1;
            }
        } else if status
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .is_some()
        {
            stopped += 1;
        } else {
            waiting += 1;
        }
    }
    if waiting > 0 || statuses.is_empty() {
        return "Pending";
    }
    if running > 0 {
        return "Running";
    }
    if stopped > 0 {
        if restart_policy == "Always" {
            return "Running";
        }
        if stopped == succeeded {
            return "Succeeded";
        }
        if restart_policy == "Never" {
            return "Failed";
        }
        return "Running";
    }
    "Pending"
}

/// The pod's QoS class (Guaranteed, Burstable, BestEffort).
pub fn qos_class(spec: &PodSpec) -> &'static str {
    let mut any = false;
    let mut guaranteed = true;
    for container in &spec.containers {
        let resources = container.resources.as_ref();
        let requests = resources.and_then(|r| r.requests.as_ref());
        let limits = resources.and_then(|r| r.limits.as_ref());
        for resource in ["cpu", "memory"] {
            let request = requests.and_then(|r| r.get(resource));
            let limit = limits.and_then(|l| l.get(resource));
            if request.is_some() || limit.is_some() {
                any = true;
            }
            match (request, limit) {
                (_, None) => guaranteed = false,
                (Some(request), Some(limit)) if request != limit => guaranteed = false,
                _ => {}
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

/// What the conditions are computed from.
pub struct ConditionInputs<'a> {
    pub old: &'a [PodCondition],
    /// Names of containers not ready, in spec order.
    pub unready: &'a [String],
    /// Names of init containers that have not completed.
    pub uninitialized: &'a [String],
    /// The pod ran to completion (Succeeded or Failed).
    pub completed: bool,
    pub now: &'a Time,
}

/// PodReadyToStartContainers, Initialized, Ready, ContainersReady,
/// PodScheduled — in the order `kubectl describe` shows them.
pub fn conditions(inputs: &ConditionInputs<'_>) -> Vec<PodCondition> {
    let ready = inputs.unready.is_empty() && !inputs.completed;
    let (reason, message) = if inputs.completed {
        (Some("PodCompleted".to_string()), None)
    } else if ready {
        (None, None)
    } else {
        (
            Some("ContainersNotReady".to_string()),
            Some(format!(
                "containers with unready status: [{}]",
                inputs.unready.join(" ")
            )),
        )
    };
    let bool_status = |b: bool| if b { "True" } else { "False" };
    let wanted = [
        ("PodReadyToStartContainers", "True", None, None),
        if inputs.uninitialized.is_empty() {
            (
                "Initialized",
                "True",
                inputs.completed.then(|| "PodCompleted".to_string()),
                None,
            )
        } else {
            (
                "Initialized",
                "False",
                Some("ContainersNotInitialized".to_string()),
                Some(format!(
                    "containers with incomplete status: [{}]",
                    inputs.uninitialized.join(" ")
                )),
            )
        },
        ("Ready", bool_status(ready), reason.clone(), message.clone()),
        ("ContainersReady", bool_status(ready), reason, message),
        ("PodScheduled", "True", None, None),
    ];
    wanted
        .into_iter()
        .map(|(type_, status, reason, message)| {
            let previous = inputs.old.iter().find(|c| c.type_ == type_);
            let transition = match previous {
                Some(p) if p.status == status => p
                    .last_transition_time
                    .clone()
                    .unwrap_or_else(|| inputs.now.clone()),
                _ => inputs.now.clone(),
            };
            PodCondition {
                type_: type_.to_string(),
                status: status.to_string(),
                reason,
                message,
                last_transition_time: Some(transition),
                last_probe_time: None,
                observed_generation: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    };

    fn with_state(state: ContainerState, last: Option<ContainerState>) -> ContainerStatus {
        ContainerStatus {
            state: Some(state),
            last_state: last,
            ..ContainerStatus::default()
        }
    }

    fn terminated(code: i32) -> ContainerState {
        ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: code,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn waiting() -> ContainerState {
        ContainerState {
            waiting: Some(ContainerStateWaiting::default()),
            ..Default::default()
        }
    }

    #[test]
    fn phases_follow_upstream() {
        let running = ContainerState {
            running: Some(ContainerStateRunning::default()),
            ..Default::default()
        };
        assert_eq!(phase("Always", &[with_state(waiting(), None)]), "Pending");
        assert_eq!(phase("Always", &[with_state(running, None)]), "Running");
        // Crash-looping under Always stays Running.
        assert_eq!(
            phase("Always", &[with_state(waiting(), Some(terminated(1)))]),
            "Running"
        );
        assert_eq!(
            phase("Never", &[with_state(terminated(0), None)]),
            "Succeeded"
        );
        assert_eq!(phase("Never", &[with_state(terminated(2), None)]), "Failed");
        assert_eq!(
            phase("OnFailure", &[with_state(terminated(0), None)]),
            "Succeeded"
        );
    }
}
