//! podium's bridge network, shared by every podium on the engine.
//!
//! Its subnet is podium's, the cluster's pod network [`SUBNET`], not one
//! the engine chooses: Docker gives a container a fixed address
//! (`ipv4_address`) only on a network with a configured subnet, and a
//! pod without a sandbox keeps its IP across restarts that way (see
//! `sandbox`). The network of earlier podiums (`podium`, an engine-chosen
//! subnet) is left alone: other podiums' pods may still use it.
//!
//! Docker allows two networks of one name, and then refuses to start
//! containers on either ("network podium is ambiguous"). Two podiums
//! starting at once (tests run in parallel) could each create one, so:
//! creation asks the engine to refuse a duplicate (`CheckDuplicate`, which
//! bollard's request type no longer carries), and should two slip through
//! anyway every podium settles on the oldest and removes the empty others.
//! The chosen network is never removed: other podiums' pods may be on it.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::NetworkCreateRequest;
use bollard::query_parameters::ListNetworksOptions;
use k8s_openapi::jiff::Timestamp;

use super::error::{DockerError, engine_message, status_code};
use crate::kubelet::runtime::LABEL_MANAGED;

/// The one network pods get their addresses on.
pub const NETWORK: &str = "podium-pods";
/// The cluster's pod network (as the kubelet's IP pools), and its gateway.
pub(super) const SUBNET: &str = "10.244.0.0/16";
const GATEWAY: &str = "10.244.0.1";
/// How long a network that another podium is creating may take to show.
const OVERLAP_CHECKS: u32 = 40;
const OVERLAP_CHECK_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

/// A network named [`NETWORK`], as the engine lists it.
struct Candidate {
    id: String,
    created: Option<Timestamp>,
    managed: bool,
}

/// The networks named exactly [`NETWORK`] (Docker's name filter matches
/// parts of names).
async fn candidates(docker: &Docker) -> Result<Vec<Candidate>, DockerError> {
    let options = ListNetworksOptions {
        filters: Some(HashMap::from([(
            "name".to_string(),
            vec![NETWORK.to_string()],
        )])),
    };
    let networks = docker
        .list_networks(Some(options))
        .await
        .map_err(DockerError::engine("list networks"))?;
    Ok(networks
        .into_iter()
        .filter(|network| network.name.as_deref() == Some(NETWORK))
        .filter_map(|network| {
            Some(Candidate {
                id: network.id?,
                created: network.created.as_deref().and_then(|t| t.parse().ok()),
                managed: network
                    .labels
                    .as_ref()
                    .is_some_and(|labels| labels.contains_key(LABEL_MANAGED)),
            })
        })
        .collect())
}

/// Creates the network, asking the engine to refuse if one of that name
/// exists (a 409 then, which the caller treats as "use it").
async fn create(docker: &Docker) -> Result<(), DockerError> {
    let body = serde_json::json!({
        "Name": NETWORK,
        "Driver": "bridge",
        "CheckDuplicate": true,
        "IPAM": { "Driver": "default", "Config": [{ "Subnet": SUBNET, "Gateway": GATEWAY }] },
        "Labels": { LABEL_MANAGED: "true" },
    })
    .to_string();
    let with_check = docker.clone().with_request_modifier(move |mut request| {
        *request.body_mut() = bollard::body_full(body.clone().into());
        request
    });
    let request = NetworkCreateRequest {
        name: NETWORK.to_string(),
        ..Default::default()
    };
    match with_check.create_network(request).await {
        Ok(_) => Ok(()),
        Err(error) if status_code(&error) == Some(409) => Ok(()),
        // Another podium is creating it (the engine reserves the subnet
        // before the network shows in lists); else a foreign network holds it.
        Err(error) if engine_message(&error).contains("overlaps") => {
            for _ in 0..OVERLAP_CHECKS {
                if !candidates(docker).await?.is_empty() {
                    return Ok(());
                }
                tokio::time::sleep(OVERLAP_CHECK_EVERY).await;
            }
            Err(DockerError::SubnetTaken {
                subnet: SUBNET,
                message: engine_message(&error),
            })
        }
        Err(error) => Err(DockerError::engine("create network")(error)),
    }
}

/// Makes sure exactly one podium network is in use; returns its id.
pub(super) async fn ensure_network(docker: &Docker) -> Result<String, DockerError> {
    let mut found = candidates(docker).await?;
    if found.is_empty() {
        create(docker).await?;
        found = candidates(docker).await?;
    }
    settle(docker, found).await
}

/// Removes the duplicates of podium's network that another podium made a
/// moment after ours (they make the engine refuse to start containers
/// until gone); returns the id of the one kept.
pub(super) async fn remove_duplicates(docker: &Docker) -> Result<String, DockerError> {
    let found = candidates(docker).await?;
    settle(docker, found).await
}

/// Everyone keeps the oldest (the id breaks a tie) and removes the empty
/// managed others.
async fn settle(docker: &Docker, mut found: Vec<Candidate>) -> Result<String, DockerError> {
    found.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    let mut found = found.into_iter();
    let chosen = found.next().ok_or(DockerError::NetworkMissing)?;
    for duplicate in found.filter(|network| network.managed) {
        // The engine refuses while containers use it: then it stays.
        if let Err(error) = docker.remove_network(&duplicate.id).await {
            tracing::debug!(%error, network = duplicate.id, "a duplicate podium network stays");
        }
    }
    Ok(chosen.id)
}

/// Whether podium's network's gateway is an address of this host: then
/// the host routes to pod addresses (Linux). Under Docker Desktop the
/// bridge lives in a VM and only published loopback ports reach a pod.
pub(super) fn gateway_is_local() -> bool {
    std::net::UdpSocket::bind((GATEWAY, 0)).is_ok()
}
