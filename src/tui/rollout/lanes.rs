//! The ReplicaSets a Deployment owns, newest revision first, each with the
//! pods it owns in the states the view colours them by.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;

/// The annotation the deployment controller numbers revisions with.
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";

/// Waiting or terminated reasons that mean the pod is broken, not on its way.
const BROKEN_REASONS: &[&str] = &[
    "CrashLoopBackOff",
    "Error",
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "OOMKilled",
];

/// What one pod slot shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    /// Not running yet: Pending, ContainerCreating.
    Pending,
    /// Running but its readiness is not (yet) true.
    NotReady,
    Ready,
    /// deletionTimestamp is set.
    Terminating,
    /// CrashLoopBackOff, Error, ImagePull*, a Failed phase.
    Broken,
}

impl SlotState {
    pub fn of(pod: &Pod) -> SlotState {
        if pod.metadata.deletion_timestamp.is_some() {
            return SlotState::Terminating;
        }
        let status = pod.status.as_ref();
        let broken_container = status
            .and_then(|s| s.container_statuses.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|c| c.state.as_ref())
            .any(|state| {
                let waiting = state.waiting.as_ref().and_then(|w| w.reason.as_deref());
                let terminated = state.terminated.as_ref().and_then(|t| t.reason.as_deref());
                [waiting, terminated]
                    .into_iter()
                    .flatten()
                    .any(|reason| BROKEN_REASONS.contains(&reason))
            });
        let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
        if broken_container || phase == "Failed" {
            return SlotState::Broken;
        }
        if phase != "Running" {
            return SlotState::Pending;
        }
        let ready = status
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        if ready {
            SlotState::Ready
        } else {
            SlotState::NotReady
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub pod: String,
    pub state: SlotState,
}

/// One ReplicaSet of the Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub name: String,
    pub revision: Option<i64>,
    pub images: Vec<String>,
    pub desired: i32,
    pub current: i32,
    pub ready: i32,
    pub available: i32,
    pub created: Option<Timestamp>,
    /// Oldest pod first, so slots keep their places as pods come and go.
    pub slots: Vec<Slot>,
}

/// The ReplicaSets controlled by `deployment`, newest revision first.
pub fn lanes(deployment: &Deployment, replica_sets: &[&ReplicaSet], pods: &[&Pod]) -> Vec<Lane> {
    let Some(deployment_uid) = deployment.metadata.uid.as_deref() else {
        return Vec::new();
    };
    let mut lanes: Vec<Lane> = replica_sets
        .iter()
        .filter(|rs| owned_by(&rs.metadata, deployment_uid))
        .map(|rs| lane(rs, pods))
        .collect();
    // Newest revision first; unnumbered ones (not yet annotated) go last, by name for a stable order.
    lanes.sort_by(|a, b| {
        b.revision
            .cmp(&a.revision)
            .then_with(|| b.created.cmp(&a.created))
            .then_with(|| a.name.cmp(&b.name))
    });
    lanes
}

fn lane(rs: &ReplicaSet, pods: &[&Pod]) -> Lane {
    let uid = rs.metadata.uid.as_deref().unwrap_or_default();
    let mut owned: Vec<&Pod> = pods
        .iter()
        .copied()
        .filter(|pod| !uid.is_empty() && owned_by(&pod.metadata, uid))
        .collect();
    owned.sort_by(|a, b| {
        let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
        created(a)
            .cmp(&created(b))
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
    let status = rs.status.as_ref();
    Lane {
        name: rs.metadata.name.clone().unwrap_or_default(),
        revision: rs
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION_ANNOTATION))
            .and_then(|r| r.parse().ok()),
        images: rs
            .spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .and_then(|t| t.spec.as_ref())
            .map(|s| {
                s.containers
                    .iter()
                    .filter_map(|c| c.image.clone())
                    .collect()
            })
            .unwrap_or_default(),
        desired: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        current: status.map(|s| s.replicas).unwrap_or(0),
        ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
        available: status.and_then(|s| s.available_replicas).unwrap_or(0),
        created: rs.metadata.creation_timestamp.as_ref().map(|t| t.0),
        slots: owned
            .into_iter()
            .map(|pod| Slot {
                pod: pod.metadata.name.clone().unwrap_or_default(),
                state: SlotState::of(pod),
            })
            .collect(),
    }
}

fn owned_by(meta: &ObjectMeta, owner_uid: &str) -> bool {
    meta.owner_references
        .iter()
        .flatten()
        .any(|owner| owner.uid == owner_uid)
}
