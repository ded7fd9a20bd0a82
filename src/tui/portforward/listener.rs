//! One forward's listener: accepts on 127.0.0.1 and carries each
//! connection to the pod (a Service resolves to a ready endpoint per
//! connection). The connections are tasks of a `JoinSet` the listener
//! owns, so aborting the listener ends them too.

use std::io::ErrorKind;
use std::net::Ipv4Addr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::target::{free_local_port, resolve};
use super::{ForwardError, ForwardEvent, ForwardSpec, Report};
use crate::handle::ClusterHandle;

pub async fn serve(handle: Arc<dyn ClusterHandle>, spec: ForwardSpec, id: u64, events: Report) {
    let report = |event| events(id, event);
    let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, spec.local)).await {
        Ok(listener) => listener,
        Err(error) => return report(ForwardEvent::Failed(bind_error(&spec, error).to_string())),
    };
    match listener.local_addr() {
        Ok(address) => report(ForwardEvent::Listening(address)),
        Err(error) => return report(ForwardEvent::Failed(error.to_string())),
    }
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => {
                    connections.spawn(carry(handle.clone(), spec.clone(), socket, id, events.clone()));
                }
                Err(error) => tracing::debug!(%error, "port-forward accept"),
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Carries one local connection to the pod.
async fn carry(
    handle: Arc<dyn ClusterHandle>,
    spec: ForwardSpec,
    mut socket: TcpStream,
    id: u64,
    events: Report,
) {
    let _ = socket.set_nodelay(true);
    let namespace = spec.target.namespace.clone();
    let (pod, port) = match resolve(handle.as_ref(), &spec) {
        Ok(backend) => backend,
        Err(error) => {
            events(id, ForwardEvent::Opened { pod: String::new() });
            let error = Some(format!("port-forward {}: {error}", spec.describe()));
            events(id, ForwardEvent::Closed { error });
            return;
        }
    };
    events(id, ForwardEvent::Opened { pod: pod.clone() });
    let error = match handle.port_forward(&namespace, &pod, port).await {
        Ok(mut remote) => tokio::io::copy_bidirectional(&mut socket, &mut remote)
            .await
            .err()
            // A peer that hangs up mid-stream is no news for the user.
            .filter(|e| !matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe))
            .map(|e| format!("port-forward {}: {e}", spec.describe())),
        Err(error) => Some(format!("port-forward {}: {error}", spec.describe())),
    };
    events(id, ForwardEvent::Closed { error });
}

fn bind_error(spec: &ForwardSpec, error: std::io::Error) -> ForwardError {
    let (port, remote) = (spec.local, spec.remote);
    match error.kind() {
        ErrorKind::AddrInUse => ForwardError::PortInUse { port, remote },
        ErrorKind::PermissionDenied => ForwardError::Privileged {
            port,
            remote,
            suggestion: free_local_port(remote),
        },
        _ => ForwardError::Listen { port, error },
    }
}
