//! Errors of the Docker runtime: what went wrong, where, and what to do.

/// Why the Docker runtime could not start or do its own work.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// No engine answers where we looked.
    #[error(
        "cannot reach the Docker engine at {target}: {source}; start it \
         (`sudo systemctl start docker`, or run `dockerd`) or point DOCKER_HOST at it, \
         or run podium with `--runtime sim` for the simulated runtime"
    )]
    Unreachable {
        /// The socket path or the `DOCKER_HOST` value that was tried.
        target: String,
        #[source]
        source: bollard::errors::Error,
    },
    #[error("importing image {reference} into Docker failed: {message}")]
    Import { reference: String, message: String },
    #[error(
        "podium's pause image has no build for the {arch} architecture \
         (supported: x86_64, aarch64); use `--runtime sim` on this machine"
    )]
    UnsupportedArchitecture { arch: String },
    #[error("Docker {operation} failed: {source}")]
    Engine {
        operation: &'static str,
        #[source]
        source: bollard::errors::Error,
    },
}

/// True when the error means the engine did not answer at all (socket
/// missing, connection refused or cut, timeout) rather than refusing the
/// request.
pub(super) fn is_unreachable(error: &bollard::errors::Error) -> bool {
    use bollard::errors::Error;
    matches!(
        error,
        Error::HyperLegacyError { .. }
            | Error::HyperResponseError { .. }
            | Error::IOError { .. }
            | Error::RequestTimeoutError
            | Error::SocketNotFoundError(_)
    )
}

/// The engine's own message, without bollard's "Docker responded with…".
pub(super) fn engine_message(error: &bollard::errors::Error) -> String {
    match error {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        bollard::errors::Error::DockerStreamError { error } => error.clone(),
        other => other.to_string(),
    }
}
