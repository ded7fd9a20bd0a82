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
    /// The engine is there but this user may not talk to it.
    #[error(
        "the Docker engine at {target} refused this user: {}; add yourself to the \
         `docker` group (`sudo usermod -aG docker $USER`, then log in again), \
         or run podium with `--runtime sim` for the simulated runtime",
        describe(source)
    )]
    PermissionDenied {
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
        "podium's Docker network `podium-pods` vanished while podium created it; start podium again"
    )]
    NetworkMissing,
    #[error(
        "podium's Docker network `podium-pods` needs the subnet {subnet}, and another Docker \
         network uses it ({message}); remove that network (`docker network ls`, \
         `docker network rm NAME`) or use `--runtime sim`"
    )]
    SubnetTaken {
        subnet: &'static str,
        message: String,
    },
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

    /// Connecting to `target` failed: a missing or stopped engine, or one
    /// this user may not use.
    pub(super) fn unreachable(target: String, source: bollard::errors::Error) -> Self {
        if is_permission_denied(&source) {
            DockerError::PermissionDenied { target, source }
        } else {
            DockerError::Unreachable { target, source }
        }
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

/// True when a cause of the error is an I/O permission error (the socket
/// belongs to the `docker` group).
fn is_permission_denied(error: &bollard::errors::Error) -> bool {
    // bollard's I/O error is transparent: its source skips the I/O error.
    if let bollard::errors::Error::IOError { err } = error {
        return err.kind() == std::io::ErrorKind::PermissionDenied;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(inner) = cause {
        if let Some(io) = inner.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::PermissionDenied
        {
            return true;
        }
        cause = inner.source();
    }
    false
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_this_user_may_not_use_gets_its_own_advice() {
        let denied = bollard::errors::Error::IOError {
            err: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        let error = DockerError::unreachable("unix:///var/run/docker.sock".to_string(), denied);
        let message = error.to_string();
        assert!(
            matches!(error, DockerError::PermissionDenied { .. }),
            "{message}"
        );
        assert!(message.contains("usermod -aG docker"), "{message}");
        assert!(message.contains("--runtime sim"), "{message}");
        let missing = bollard::errors::Error::SocketNotFoundError("/x.sock".to_string());
        let error = DockerError::unreachable("unix:///x.sock".to_string(), missing);
        assert!(matches!(error, DockerError::Unreachable { .. }));
    }
}
