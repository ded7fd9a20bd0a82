//! Docker's view of a container, mapped to the kubelet's `ContainerInfo`.

use bollard::models::{ContainerInspectResponse, ContainerStateStatusEnum};
use k8s_openapi::jiff::Timestamp;

use crate::kubelet::runtime::{ContainerInfo, ContainerRunState};

/// Docker's states, in the kubelet's three.
fn run_state(status: Option<ContainerStateStatusEnum>) -> ContainerRunState {
    use ContainerStateStatusEnum as Docker;
    match status {
        Some(Docker::RUNNING | Docker::PAUSED | Docker::RESTARTING | Docker::STOPPING) => {
            ContainerRunState::Running
        }
        Some(Docker::EXITED | Docker::DEAD | Docker::REMOVING) => ContainerRunState::Exited,
        Some(Docker::CREATED | Docker::EMPTY) | None => ContainerRunState::Created,
    }
}

/// Docker's times are RFC 3339 with nanoseconds; its zero time
/// (`0001-01-01T00:00:00Z`) means "never".
pub(super) fn docker_time(text: Option<&str>) -> Option<Timestamp> {
    let text = text?;
    if text.is_empty() || text.starts_with("0001-01-01") {
        return None;
    }
    text.parse().ok()
}

/// The container's address on podium's network, if it sits on it itself
/// (sandboxes and the containers of sandbox-free pods; containers that
/// joined a sandbox have none of their own).
pub(super) fn address_on(response: &ContainerInspectResponse, network_id: &str) -> Option<String> {
    response
        .network_settings
        .as_ref()?
        .networks
        .as_ref()?
        .iter()
        .find(|(name, endpoint)| {
            endpoint.network_id.as_deref() == Some(network_id)
                || name.as_str() == super::network::NETWORK
        })
        .and_then(|(_, endpoint)| endpoint.ip_address.clone())
        .filter(|ip| !ip.is_empty())
}

/// The kubelet's view; `image_id` is resolved by the caller (the image's
/// digest reference, as `image_present` reports it).
pub(super) fn container_info(
    response: ContainerInspectResponse,
    network_id: &str,
    image_id: String,
) -> ContainerInfo {
    let ip = address_on(&response, network_id);
    let state = response.state.unwrap_or_default();
    let config = response.config.unwrap_or_default();
    let run_state = run_state(state.status);
    let started_at = docker_time(state.started_at.as_deref());
    // Docker stamps StartedAt after the process began: a process that ends
    // at once can seem to finish before it started.
    let finished_at = docker_time(state.finished_at.as_deref())
        .map(|finished| started_at.map_or(finished, |started| finished.max(started)));
    ContainerInfo {
        id: response.id.unwrap_or_default(),
        labels: config.labels.unwrap_or_default().into_iter().collect(),
        image: config.image.unwrap_or_default(),
        image_id,
        state: run_state,
        exit_code: (run_state == ContainerRunState::Exited)
            .then(|| state.exit_code.and_then(|code| i32::try_from(code).ok()))
            .flatten(),
        oom_killed: state.oom_killed.unwrap_or(false),
        started_at,
        finished_at,
        error: state.error.filter(|error| !error.is_empty()),
        ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_zero_time_means_never() {
        assert_eq!(docker_time(Some("0001-01-01T00:00:00Z")), None);
        assert_eq!(docker_time(None), None);
        let parsed = docker_time(Some("2024-05-01T10:20:30.123456789Z")).expect("parses");
        assert_eq!(parsed.to_string(), "2024-05-01T10:20:30.123456789Z");
    }

    #[test]
    fn docker_states_map_to_three() {
        use ContainerStateStatusEnum as Docker;
        assert_eq!(run_state(Some(Docker::CREATED)), ContainerRunState::Created);
        assert_eq!(run_state(Some(Docker::RUNNING)), ContainerRunState::Running);
        assert_eq!(run_state(Some(Docker::EXITED)), ContainerRunState::Exited);
        assert_eq!(run_state(Some(Docker::DEAD)), ContainerRunState::Exited);
    }
}
