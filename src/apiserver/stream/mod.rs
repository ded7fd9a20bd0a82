//! The streaming subresources of pods: `exec` (WebSocket channels, as
//! kubectl 1.30+ speaks it, or SPDY/3.1 streams, its fallback) and `portforward` (SPDY/3.1, tunnelled in a
//! WebSocket or over a plain HTTP upgrade, as kubectl speaks it; or a WebSocket
//! of channels, as kube-rs and the other client libraries speak it). `attach`
//! is refused: podium's runtimes keep no attachable console.
//!
//! Each request is checked (the pod, the container, the command) before
//! the connection switches protocols, so mistakes come back as a `Status`
//! kubectl prints; after the switch the session runs in its own task.

pub mod exec;
pub mod exec_spdy;
pub mod portforward;
pub mod portforward_ws;
pub mod spdy;
mod tunnel;
pub mod upgrade;

use std::sync::Arc;

use http::Response;
use http::request::Parts;
use k8s_openapi::api::core::v1::Pod;

use super::ServerState;
use super::http::{Body, Query};
use super::routes::ResourcePath;
use super::status::ApiError;
use crate::api::Kind;
use crate::kubelet::{ExecRequest, LogError};

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("this connection cannot switch protocols (HTTP/2 or a proxy in between?)")]
    NotUpgradable,
    #[error("bad WebSocket handshake: {0}")]
    BadHandshake(&'static str),
    #[error("upgrading the connection failed: {0}")]
    Upgrade(String),
}

impl From<StreamError> for ApiError {
    fn from(error: StreamError) -> Self {
        ApiError::bad_request(error.to_string())
    }
}

/// The subresources served here.
pub fn handles(path: &ResourcePath) -> bool {
    path.kind == Kind::Pod
        && matches!(
            path.subresource.as_deref(),
            Some("exec" | "attach" | "portforward")
        )
        && path.name.is_some()
}

/// Every value of a repeated query parameter (`command=sh&command=-c`).
pub async fn serve(
    state: &ServerState,
    path: &ResourcePath,
    mut parts: Parts,
) -> Result<Response<Body>, ApiError> {
    let namespace = path.namespace.clone().unwrap_or_default();
    let name = path.name.clone().unwrap_or_default();
    let pod = state
        .store
        .get_as::<Pod>(&namespace, &name)
        .ok_or_else(|| {
            ApiError::new(404, "NotFound", format!("pods \"{name}\" not found"))
                .with_object(Kind::Pod, &name)
        })?;
    match path.subresource.as_deref() {
        Some("exec") => start_exec(state, &mut parts, &namespace, &pod).await,
        Some("portforward") => start_port_forward(state, &mut parts, &namespace, &pod),
        _ => Err(ApiError::bad_request(format!(
            "pods/attach is not supported by podium: its containers have no attachable console; use kubectl exec -it {name} -- sh"
        ))),
    }
}

async fn start_exec(
    state: &ServerState,
    parts: &mut Parts,
    namespace: &str,
    pod: &Pod,
) -> Result<Response<Body>, ApiError> {
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let query = Query::parse(parts.uri.query());
    let command = query.all("command").to_vec();
    if command.is_empty() {
        return Err(ApiError::bad_request(
            "you must specify at least 1 command".to_string(),
        ));
    }
    let container = query.get("container").map(str::to_string);
    // Checked first, so that kubectl's SPDY retry reports the same mistake.
    check_container(pod, container.as_deref())?;
    let websocket = upgrade::wants_websocket(&parts.headers);
    if !websocket && !upgrade::wants_spdy(&parts.headers) {
        return Err(ApiError::bad_request(
            "exec needs an upgrade to WebSocket (v5.channel.k8s.io) or SPDY/3.1 (use kubectl exec)",
        ));
    }
    let supported: &[&'static str] = if websocket {
        &[exec::PROTOCOL_V5, exec::PROTOCOL_V4]
    } else {
        &[exec_spdy::PROTOCOL_V4]
    };
    let Some(protocol) = upgrade::choose_protocol(&parts.headers, websocket, supported) else {
        return Err(ApiError::bad_request(format!(
            "no supported exec protocol was offered: podium speaks {}",
            supported.join(", ")
        )));
    };
    let request = ExecRequest {
        command: command.clone(),
        stdin: query.flag("stdin"),
        tty: query.flag("tty"),
    };
    let session = state
        .logs
        .exec(namespace, name, container.as_deref(), &request)
        .await
        .map_err(|error| match &error {
            LogError::PodNotFound { pod } => {
                ApiError::new(404, "NotFound", error.to_string()).with_object(Kind::Pod, pod)
            }
            _ => ApiError::bad_request(error.to_string()),
        })?;
    let expected = exec_spdy::Expected {
        stdin: request.stdin,
        stdout: query.flag("stdout"),
        stderr: query.flag("stderr"),
        tty: request.tty,
    };
    let (response, on_upgrade) = upgrade::switch(parts, websocket, protocol)?;
    let cancel = state.cancel.clone();
    tokio::spawn(async move {
        if websocket {
            match upgrade::websocket(on_upgrade).await {
                Ok(socket) => exec::run(socket, session, command, cancel).await,
                Err(error) => tracing::debug!(%error, "exec upgrade"),
            }
        } else {
            match upgrade::upgraded(on_upgrade).await {
                Ok(io) => {
                    let streams = spdy::serve(io, cancel.clone());
                    exec_spdy::run(streams, session, command, expected, cancel).await;
                }
                Err(error) => tracing::debug!(%error, "exec upgrade"),
            }
        }
    });
    Ok(response)
}

/// The container exists in the pod's spec and runs, as upstream checks
/// before it upgrades the connection.
fn check_container(pod: &Pod, container: Option<&str>) -> Result<(), ApiError> {
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let spec = pod.spec.as_ref();
    let containers: Vec<&str> = spec
        .map(|s| s.containers.iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    let container = match container {
        Some(c) if !c.is_empty() => c,
        _ if containers.len() == 1 => containers[0],
        _ => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )));
        }
    };
    let known = containers.contains(&container)
        || spec
            .and_then(|s| s.init_containers.as_ref())
            .is_some_and(|init| init.iter().any(|c| c.name == container));
    if !known {
        return Err(ApiError::bad_request(format!(
            "container {container} is not valid for pod {name}"
        )));
    }
    let running = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|all| all.iter().find(|s| s.name == container))
        .and_then(|s| s.state.as_ref())
        .is_some_and(|s| s.running.is_some());
    if !running {
        return Err(ApiError::bad_request(format!(
            "unable to upgrade connection: container not found (\"{container}\")"
        )));
    }
    Ok(())
}

fn start_port_forward(
    state: &ServerState,
    parts: &mut Parts,
    namespace: &str,
    pod: &Pod,
) -> Result<Response<Body>, ApiError> {
    let websocket = upgrade::wants_websocket(&parts.headers);
    if !websocket && !upgrade::wants_spdy(&parts.headers) {
        return Err(ApiError::bad_request(
            "port-forward needs an upgrade to SPDY/3.1 or WebSocket (use kubectl port-forward)",
        ));
    }
    // kubectl offers the SPDY tunnel and gets it; client libraries offer channels.
    let supported: &[&'static str] = if websocket {
        &[portforward::TUNNEL_PROTOCOL, portforward_ws::PROTOCOL_V4]
    } else {
        &[portforward::PROTOCOL]
    };
    let Some(protocol) = upgrade::choose_protocol(&parts.headers, websocket, supported) else {
        return Err(ApiError::bad_request(format!(
            "no supported port-forward protocol was offered: podium speaks {}",
            supported.join(", ")
        )));
    };
    // Channels name their ports up front; a bad list is refused before the switch.
    let channel_ports = if protocol == portforward_ws::PROTOCOL_V4 {
        let query = Query::parse(parts.uri.query());
        let mut values = query.all("ports").to_vec();
        values.extend_from_slice(query.all("port"));
        Some(portforward_ws::ports(&values).map_err(|e| ApiError::bad_request(e.to_string()))?)
    } else {
        None
    };
    let target = portforward::Target {
        namespace: namespace.to_string(),
        pod: pod.metadata.name.clone().unwrap_or_default(),
        uid: pod.metadata.uid.clone().unwrap_or_default(),
        access: Arc::clone(&state.logs),
    };
    let (response, on_upgrade) = upgrade::switch(parts, websocket, protocol)?;
    let cancel = state.cancel.clone();
    tokio::spawn(async move {
        let streams = match (websocket, channel_ports) {
            (true, Some(ports)) => {
                match upgrade::websocket(on_upgrade).await {
                    Ok(socket) => portforward_ws::run(socket, target, ports, cancel).await,
                    Err(error) => tracing::debug!(%error, "port-forward upgrade"),
                }
                return;
            }
            (true, None) => match upgrade::websocket(on_upgrade).await {
                Ok(socket) => spdy::serve(tunnel::bytes_over(socket), cancel),
                Err(error) => return tracing::debug!(%error, "port-forward upgrade"),
            },
            (false, _) => match upgrade::upgraded(on_upgrade).await {
                Ok(io) => spdy::serve(io, cancel),
                Err(error) => return tracing::debug!(%error, "port-forward upgrade"),
            },
        };
        portforward::serve(target, streams).await;
    });
    Ok(response)
}
