//! Errors of the Docker runtime: what went wrong, where, and what to do.

use super::super::runtime::RuntimeError;

/// Why the Docker runtime could not start or do its own work.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// No engine answers where we looked.
    #[error(
        "cannot reach the Docker engine at {target}: {}; start it \
         (`sudo systemctl start docker`, or run `dockerd`) or point DOCKER_HOST at it, \
         or run podium with `--runtime sim` for the simulated runtime",
        describe(source)
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
    #[error(
        "podium's Docker network `podium` vanished while podium created it; start podium again"
    )]
    NetworkMissing,
    #[error("Docker {operation} failed: {source}")]
    Engine {
        operation: &'static str,
        #[source]
        source: bollard::errors::Error,
    },
    #[error("{operation}: {source}")]
    Runtime {
        operation: &'static str,
        #[source]
        source: RuntimeError,
    },
}

impl DockerError {
    pub(super) fn engine(operation: &'static str) -> impl FnOnce(bollard::errors::Error) -> Self {
        move |source| DockerError::Engine { operation, source }
    }

    pub(super) fn runtime(operation: &'static str) -> impl FnOnce(RuntimeError) -> Self {
        move |source| DockerError::Runtime { operation, source }
    }
}

/// An error with its causes (`client error (Connect): Connection refused
/// (os error 111)`): bollard's own message often leaves the cause out.
pub(super) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let said = inner.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = inner.source();
    }
    text
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

/// The status code of a request the engine refused.
pub(super) fn status_code(error: &bollard::errors::Error) -> Option<u16> {
    match error {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// The engine's own message, without bollard's "Docker responded with…".
pub(super) fn engine_message(error: &bollard::errors::Error) -> String {
    match error {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        bollard::errors::Error::DockerStreamError { error } => error.clone(),
        other => other.to_string(),
    }
}

/// Maps a bollard error to the kubelet's view: unreachable engine,
/// a missing container (404), or a failed operation with Docker's message.
pub(super) fn runtime_error<'a>(
    operation: &'static str,
    id: &'a str,
) -> impl FnOnce(bollard::errors::Error) -> RuntimeError + 'a {
    move |error| {
        if is_unreachable(&error) {
            RuntimeError::Unavailable(describe(&error))
        } else if status_code(&error) == Some(404) {
            RuntimeError::NoSuchContainer(id.to_string())
        } else {
            RuntimeError::Failed {
                operation,
                message: engine_message(&error),
            }
        }
    }
}

/// Maps a bollard error for operations where a 404 is not about a container.
pub(super) fn failed(
    operation: &'static str,
) -> impl FnOnce(bollard::errors::Error) -> RuntimeError {
    move |error| {
        if is_unreachable(&error) {
            RuntimeError::Unavailable(describe(&error))
        } else {
            RuntimeError::Failed {
                operation,
                message: engine_message(&error),
            }
        }
    }
}
