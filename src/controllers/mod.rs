//! The controllers: ReplicaSet, Deployment, Endpoints, garbage collector,
//! Namespace, and the expiry of old Events. Each is a [`runner::Reconciler`] driven by store watches; all
//! of them read and write only through the [`Store`].

pub mod deployment;
pub mod endpoints;
pub mod event_ttl;
pub mod garbage_collector;
pub mod namespace;
pub mod pod_ranking;
pub mod replicaset;
pub mod runner;
pub mod traffic_status;
pub mod util;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::store::{Store, StoreError};

/// Why one reconcile failed; the runner requeues the key with back-off.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

/// The running controllers.
pub struct Controllers {
    handles: Vec<JoinHandle<()>>,
}

impl Controllers {
    /// Waits until every controller has stopped (after cancellation).
    pub async fn join(self) {
        for handle in self.handles {
            // A panicked controller has nothing more to hand back.
            let _ = handle.await;
        }
    }
}

/// Spawns every controller; they stop when `cancel` fires.
pub fn start(store: Store, cancel: CancellationToken) -> Controllers {
    let handles = vec![
        runner::spawn(
            store.clone(),
            replicaset::ReplicaSetController::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            deployment::DeploymentController::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            endpoints::EndpointsController::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            garbage_collector::GarbageCollector::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            namespace::NamespaceController::new(store.clone()),
            cancel.clone(),
        ),
        event_ttl::spawn(store, cancel),
    ];
    Controllers { handles }
}
