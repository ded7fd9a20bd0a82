//! The console's port-forwards (`shift-f` on a pod or service, `:pf`):
//! a listener on 127.0.0.1 per forward, each connection carried through
//! [`ClusterHandle::port_forward`]. They live as long as the console: the
//! registry aborts its listeners (and with them their connections) when it
//! is dropped.

mod listener;
pub mod target;
pub mod view;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::AbortHandle;

pub use self::target::{ForwardSpec, ForwardTarget};
use crate::handle::ClusterHandle;

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error(
        "ports {0:?} not understood: write local:remote, e.g. 8080:80 (or :80 for any free local port)"
    )]
    BadPorts(String),
    #[error("service {service} has no port {port}; its ports: {ports}")]
    NoSuchServicePort {
        service: String,
        port: u16,
        ports: String,
    },
    #[error("service {0} is gone")]
    ServiceGone(String),
    #[error("service {0} has no ready endpoint: none of its pods is ready (see :ep)")]
    NoReadyEndpoint(String),
    #[error(
        "port-forward: 127.0.0.1:{port} is already in use; choose another local port (shift-f again, e.g. :{remote} for any free one) or stop what holds it (:pf lists podium's own)"
    )]
    PortInUse { port: u16, remote: u16 },
    #[error(
        "port-forward: 127.0.0.1:{port} needs privileges to listen on; choose a local port of 1024 or more, e.g. {suggestion}:{remote}"
    )]
    Privileged {
        port: u16,
        remote: u16,
        suggestion: u16,
    },
    #[error("port-forward: cannot listen on 127.0.0.1:{port}: {error}")]
    Listen { port: u16, error: std::io::Error },
}

/// Where a forward's tasks send their events: (forward id, event).
pub type Report = Arc<dyn Fn(u64, ForwardEvent) + Send + Sync>;

/// What a forward's tasks report to the console.
#[derive(Debug)]
pub enum ForwardEvent {
    /// The listener is up.
    Listening(SocketAddr),
    /// The listener could not start; the forward is gone.
    Failed(String),
    /// A connection was accepted and goes to this pod.
    Opened { pod: String },
    /// A connection ended; `error` says why when it failed.
    Closed { error: Option<String> },
}

/// One forward as the `:pf` view lists it.
#[derive(Debug)]
pub struct Forward {
    pub id: u64,
    pub spec: ForwardSpec,
    /// Known once the listener is up.
    pub local: Option<SocketAddr>,
    /// The pod the last connection went to (a Service picks one each time).
    pub pod: Option<String>,
    pub active: usize,
    pub total: usize,
    task: AbortHandle,
}

/// The console's forwards.
#[derive(Debug, Default)]
pub struct Forwards {
    forwards: Vec<Forward>,
    next_id: u64,
}

impl Forwards {
    /// Starts listening for `spec`; events come back tagged with the id.
    pub fn start(
        &mut self,
        handle: Arc<dyn ClusterHandle>,
        spec: ForwardSpec,
        report: Report,
    ) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        let task = tokio::spawn(listener::serve(handle, spec.clone(), id, report)).abort_handle();
        self.forwards.push(Forward {
            id,
            spec,
            local: None,
            pod: None,
            active: 0,
            total: 0,
            task,
        });
        id
    }

    pub fn list(&self) -> &[Forward] {
        &self.forwards
    }

    pub fn is_empty(&self) -> bool {
        self.forwards.is_empty()
    }

    /// Stops a forward and its connections; what it was.
    pub fn stop(&mut self, index: usize) -> Option<Forward> {
        if index >= self.forwards.len() {
            return None;
        }
        let forward = self.forwards.remove(index);
        forward.task.abort();
        Some(forward)
    }

    /// Applies an event; the flash it asks for, if any (`Err` for errors).
    pub fn on_event(&mut self, id: u64, event: ForwardEvent) -> Option<Result<String, String>> {
        let index = self.forwards.iter().position(|f| f.id == id)?;
        let forward = &mut self.forwards[index];
        match event {
            ForwardEvent::Listening(address) => {
                forward.local = Some(address);
                Some(Ok(format!(
                    "forwarding {address} -> {} (:pf lists forwards)",
                    forward.spec.describe()
                )))
            }
            ForwardEvent::Failed(message) => {
                self.forwards.remove(index);
                Some(Err(message))
            }
            ForwardEvent::Opened { pod } => {
                forward.active += 1;
                forward.total += 1;
                if !pod.is_empty() {
                    forward.pod = Some(pod);
                }
                None
            }
            ForwardEvent::Closed { error } => {
                forward.active = forward.active.saturating_sub(1);
                error.map(Err)
            }
        }
    }
}

impl Drop for Forwards {
    fn drop(&mut self) {
        for forward in &self.forwards {
            forward.task.abort();
        }
    }
}
