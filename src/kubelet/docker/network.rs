//! podium's bridge network, shared by every podium on the engine.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::NetworkCreateRequest;

use super::error::{DockerError, status_code};
use crate::kubelet::runtime::LABEL_MANAGED;

/// The one network pods get their addresses on.
pub(super) const NETWORK: &str = "podium";

/// Creates the network unless it exists; returns its id. Two podiums
/// starting at once may both try: the engine refuses the second create
/// (409), which then uses the first one's network. The network is never
/// removed: other podiums' pods may be on it.
pub(super) async fn ensure_network(docker: &Docker) -> Result<String, DockerError> {
    if let Ok(network) = docker.inspect_network(NETWORK, None).await {
        if let Some(id) = network.id {
            return Ok(id);
        }
    }
    let request = NetworkCreateRequest {
        name: NETWORK.to_string(),
        driver: Some("bridge".to_string()),
        labels: Some(HashMap::from([(
            LABEL_MANAGED.to_string(),
            "true".to_string(),
        )])),
        ..Default::default()
    };
    match docker.create_network(request).await {
        Ok(created) => Ok(created.id),
        Err(error) if status_code(&error) == Some(409) => docker
            .inspect_network(NETWORK, None)
            .await
            .map_err(DockerError::engine("inspect network"))?
            .id
            .ok_or(DockerError::NetworkWithoutId),
        Err(error) => Err(DockerError::engine("create network")(error)),
    }
}
