//! Reaching the engine: local defaults, `DOCKER_HOST` honoured, API version
//! negotiated (the Debian engine speaks 1.41, bollard defaults to newer).

use std::time::Duration;

use bollard::Docker;

use super::error::DockerError;

/// Where the engine listens unless `DOCKER_HOST` says otherwise (bollard's
/// default on Unix).
const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// How long connecting may take before podium says the engine is not there.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// A connected engine and its version (e.g. `20.10.24+dfsg1`).
pub(super) struct Engine {
    pub docker: Docker,
    pub version: String,
}

/// What podium tries to reach: the `DOCKER_HOST` value when set, else the
/// default socket. Named in the error a user sees.
pub(super) fn target() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.is_empty() => format!("DOCKER_HOST={host}"),
        _ => DEFAULT_SOCKET.to_string(),
    }
}

/// Connects, negotiates the API version and asks the engine's version.
pub(super) async fn connect_engine() -> Result<Engine, DockerError> {
    let target = target();
    let unreachable = |source| DockerError::unreachable(target.clone(), source);
    let handshake = async {
        let docker = Docker::connect_with_defaults()?.negotiate_version().await?;
        let version = docker.version().await?.version.unwrap_or_default();
        Ok::<_, bollard::errors::Error>(Engine { docker, version })
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, handshake).await {
        Ok(result) => result.map_err(unreachable),
        Err(_) => Err(unreachable(bollard::errors::Error::RequestTimeoutError)),
    }
}
