//! The scheduler: binds pending pods (no nodeName, not terminating) to a
//! Ready, schedulable node where their requests fit, their nodeSelector
//! matches and every NoSchedule/NoExecute taint is tolerated, preferring
//! the least requested node. Failures set PodScheduled=False (Unschedulable)
//! and record FailedScheduling with upstream's message; such pods are
//! retried when nodes or pods change, with a per-pod back-off.

pub mod fit;
pub mod quantity;
mod signals;
mod volumes;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod, PodCondition};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use fit::{NodeUsage, Placement, place};

use crate::api::{Kind, KubeObject, Object};
use crate::events::{EventRecorder, EventType};
use crate::store::{ListFilter, Store, UpdateScope};
use signals::Signals;

pub const SCHEDULER_NAME: &str = "default-scheduler";
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Unschedulable pods are tried again at least this often (upstream's
/// podMaxInUnschedulablePodsDuration).
const UNSCHEDULABLE_FLUSH: Duration = Duration::from_secs(300);
/// A pass over many pods (it reads them all) is followed by a pause of
/// this many times its duration, so that pods created meanwhile are bound
/// in one later pass rather than one pass each; cheap passes never wait.
const PACE_THRESHOLD: Duration = Duration::from_millis(1);
const PACE_FACTOR: u32 = 2;
const PACE_MAX: Duration = Duration::from_millis(20);

/// Starts the scheduler; it runs until `cancel` fires.
pub fn start(store: Store, cancel: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(run(store, cancel))
}

/// A pod the scheduler could not place: when it may be tried again.
struct Attempt {
    backoff: Duration,
    failed_at: Instant,
    /// The cluster epoch at the failure; the pod waits for a change.
    epoch: u64,
}

/// True for a pod the scheduler should place.
fn pending(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    let unbound = spec
        .and_then(|s| s.node_name.as_deref())
        .is_none_or(str::is_empty);
    let ours = spec
        .and_then(|s| s.scheduler_name.as_deref())
        .is_none_or(|n| n.is_empty() || n == SCHEDULER_NAME);
    let finished = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .is_some_and(|p| p == "Succeeded" || p == "Failed");
    unbound && ours && !finished && pod.metadata.deletion_timestamp.is_none()
}

async fn run(store: Store, cancel: CancellationToken) {
    let signals = Arc::new(Signals::default());
    let watcher = signals::start(store.clone(), signals.clone(), cancel.clone());
    let recorder = EventRecorder::new(store.clone(), SCHEDULER_NAME, None);
    let mut attempts: HashMap<String, Attempt> = HashMap::new();
    loop {
        let started = std::time::Instant::now();
        let next_retry = schedule_pass(&store, &recorder, &mut attempts, signals.epoch());
        let took = started.elapsed();
        if took >= PACE_THRESHOLD {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep((took * PACE_FACTOR).min(PACE_MAX)) => {}
            }
        }
        let timer = async {
            match next_retry {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = signals.wake.notified() => {}
            _ = timer => {}
        }
    }
    watcher.abort();
}

/// Tries every pending pod once; returns when the next back-off ends.
fn schedule_pass(
    store: &Store,
    recorder: &EventRecorder,
    attempts: &mut HashMap<String, Attempt>,
    epoch: u64,
) -> Option<Instant> {
    let listed = store.list(Kind::Pod, None, &ListFilter::default());
    let pods: Vec<(&Object, &Pod)> = listed
        .items
        .iter()
        .filter_map(|o| Some((o.as_ref(), Pod::from_object(o)?)))
        .collect();
    let pending_pods: Vec<(&Object, &Pod)> =
        pods.iter().copied().filter(|(_, p)| pending(p)).collect();
    let pending_uids: std::collections::HashSet<&str> = pending_pods
        .iter()
        .filter_map(|(_, p)| p.metadata.uid.as_deref())
        .collect();
    attempts.retain(|uid, _| pending_uids.contains(uid.as_str()));
    if pending_pods.is_empty() {
        return None;
    }
    let nodes: Vec<Node> = store.list_as::<Node>(None, &ListFilter::default());
    let mut usage = NodeUsage::from_pods(pods.iter().map(|(_, p)| *p));
    let now = Instant::now();
    let mut next_retry: Option<Instant> = None;
    let mut ordered = pending_pods;
    ordered.sort_by(|(_, a), (_, b)| {
        a.metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0)
            .cmp(&b.metadata.creation_timestamp.as_ref().map(|t| t.0))
    });
    for (object, pod) in ordered {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        if let Some(attempt) = attempts.get(&uid) {
            let not_before = attempt.failed_at + attempt.backoff;
            let flush_at = attempt.failed_at + UNSCHEDULABLE_FLUSH;
            let wake_at = if attempt.epoch == epoch && now < flush_at {
                Some(flush_at)
            } else if now < not_before {
                Some(not_before)
            } else {
                None
            };
            if let Some(at) = wake_at {
                next_retry = Some(next_retry.map_or(at, |n| n.min(at)));
                continue;
            }
        }
        let placement = match volumes::blocker(store, pod) {
            Some(reason) => Placement::Unschedulable(volumes::message(&reason, nodes.len())),
            None => place(pod, &nodes, &usage),
        };
        match placement {
            Placement::Node(node) => {
                if bind(store, recorder, object, pod, &node) {
                    usage.add(&node, pod);
                    attempts.remove(&uid);
                }
            }
            Placement::Unschedulable(message) => {
                let backoff = attempts
                    .get(&uid)
                    .map_or(INITIAL_BACKOFF, |a| (a.backoff * 2).min(MAX_BACKOFF));
                let flush_at = now + UNSCHEDULABLE_FLUSH;
                attempts.insert(
                    uid,
                    Attempt {
                        backoff,
                        failed_at: now,
                        epoch,
                    },
                );
                next_retry = Some(next_retry.map_or(flush_at, |n| n.min(flush_at)));
                unschedulable(store, recorder, object, pod, &message);
            }
        }
    }
    next_retry
}

fn pod_name(pod: &Pod) -> (&str, &str) {
    (
        pod.metadata.namespace.as_deref().unwrap_or(""),
        pod.metadata.name.as_deref().unwrap_or(""),
    )
}

/// Sets spec.nodeName (upstream posts a Binding; a direct update does the
/// same here) and records Scheduled.
fn bind(store: &Store, recorder: &EventRecorder, object: &Object, pod: &Pod, node: &str) -> bool {
    let (namespace, name) = pod_name(pod);
    let uid = pod.metadata.uid.clone();
    let result = store.mutate::<Pod>(namespace, name, UpdateScope::Main, |p| {
        if p.metadata.uid != uid || !pending(p) {
            return false;
        }
        if let Some(spec) = p.spec.as_mut() {
            spec.node_name = Some(node.to_string());
        }
        true
    });
    let bound = match result {
        Ok(Some(object)) => {
            Pod::from_object(&object)
                .and_then(|p| p.spec.as_ref())
                .and_then(|s| s.node_name.as_deref())
                == Some(node)
        }
        Ok(None) => false,
        Err(error) => {
            tracing::warn!(%error, pod = name, "binding failed");
            false
        }
    };
    if !bound {
        return false;
    }
    let had_condition = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "PodScheduled"));
    if had_condition {
        let _ = store.mutate::<Pod>(namespace, name, UpdateScope::Status, |p| {
            set_scheduled_condition(p, "True", None, None)
        });
    }
    recorder.record(
        object,
        EventType::Normal,
        "Scheduled",
        &format!("Successfully assigned {namespace}/{name} to {node}"),
    );
    true
}

fn unschedulable(
    store: &Store,
    recorder: &EventRecorder,
    object: &Object,
    pod: &Pod,
    message: &str,
) {
    let (namespace, name) = pod_name(pod);
    let _ = store.mutate::<Pod>(namespace, name, UpdateScope::Status, |p| {
        let mut changed = set_scheduled_condition(p, "False", Some("Unschedulable"), Some(message));
        let status = p.status.get_or_insert_with(Default::default);
        if status.phase.is_none() {
            status.phase = Some("Pending".to_string());
            changed = true;
        }
        changed
    });
    recorder.record(object, EventType::Warning, "FailedScheduling", message);
}

/// Sets the PodScheduled condition; false when it was already so.
pub(crate) fn set_scheduled_condition(
    pod: &mut Pod,
    status: &str,
    reason: Option<&str>,
    message: Option<&str>,
) -> bool {
    let conditions = pod
        .status
        .get_or_insert_with(Default::default)
        .conditions
        .get_or_insert_with(Vec::new);
    let wanted_reason = reason.map(str::to_string);
    let wanted_message = message.map(str::to_string);
    if let Some(existing) = conditions.iter_mut().find(|c| c.type_ == "PodScheduled") {
        if existing.status == status
            && existing.reason == wanted_reason
            && existing.message == wanted_message
        {
            return false;
        }
        if existing.status != status {
            existing.last_transition_time = Some(crate::clock::now_time());
        }
        existing.status = status.to_string();
        existing.reason = wanted_reason;
        existing.message = wanted_message;
        return true;
    }
    conditions.push(PodCondition {
        type_: "PodScheduled".to_string(),
        status: status.to_string(),
        reason: wanted_reason,
        message: wanted_message,
        last_transition_time: Some(crate::clock::now_time()),
        ..PodCondition::default()
    });
    true
}
