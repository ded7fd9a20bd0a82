//! The controllers: ReplicaSet (and ReplicationController), Deployment, StatefulSet, DaemonSet, Job,
//! CronJob, PodDisruptionBudgets, volumes, Endpoints, EndpointSlices, garbage collector, Namespace, and the
//! expiry of old Events. Each is a [`runner::Reconciler`] driven by store
//! watches; all of them read and write only through the [`Store`].

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod endpointslice;
pub mod event_ttl;
pub mod garbage_collector;
pub mod history;
pub mod job;
pub mod namespace;
pub mod namespace_defaults;
pub mod pod_ranking;
pub mod replicaset;
pub mod runner;
pub mod statefulset;
pub mod traffic_status;
pub mod util;
pub mod volume;

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
/// What the controllers need beyond the store.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The cluster CA (PEM) published in every namespace's `kube-root-ca.crt`.
    pub root_ca: Option<String>,
    /// Where podium's provisioner puts the volumes it makes.
    pub persistent_volumes_dir: Option<std::path::PathBuf>,
}

pub fn start(store: Store, cancel: CancellationToken) -> Controllers {
    start_with(store, Settings::default(), cancel)
}

pub fn start_with(store: Store, settings: Settings, cancel: CancellationToken) -> Controllers {
    let handles = vec![
        runner::spawn(
            store.clone(),
            namespace_defaults::NamespaceDefaults::new(store.clone(), settings.root_ca),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            replicaset::ReplicaSetController::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            replicaset::ReplicaSetController::for_replication_controllers(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            deployment::DeploymentController::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            job::JobController::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            statefulset::StatefulSetController::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            daemonset::DaemonSetController::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            cronjob::CronJobController::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            disruption::DisruptionController::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            volume::VolumeController::new(store.clone(), settings.persistent_volumes_dir),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            endpoints::EndpointsController::new(store.clone()),
            cancel.clone(),
        ),
        runner::spawn(
            store.clone(),
            endpointslice::EndpointSliceController::new(store.clone()),
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
