//! What wakes the scheduler. New pending pods wake it; changes that may
//! let an unschedulable pod in (a node's labels, taints, size or readiness
//! changed, a bound pod went away or finished, a pending pod's spec was
//! edited, a claim was made or bound) also move the cluster epoch, which makes unschedulable pods
//! eligible again. A node's heartbeat or the scheduler's own condition
//! updates do neither.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use k8s_openapi::api::core::v1::{Node, Pod};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use tokio::task::JoinHandle;

use super::pending;
use crate::api::{Kind, KubeObject, Object};
use crate::store::{EventType, ListFilter, Store, Watch, WatchEvent, WatchItem};

#[derive(Default)]
pub struct Signals {
    pub wake: Notify,
    epoch: AtomicU64,
}

impl Signals {
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }

    fn cluster_changed(&self) {
        self.epoch.fetch_add(1, Ordering::Relaxed);
        self.wake.notify_one();
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Change {
    Nothing,
    NewPendingPod,
    Cluster,
}

#[derive(Default)]
struct Classifier {
    nodes: HashMap<String, String>,
    pending_generations: HashMap<String, i64>,
}

/// What of a node matters for scheduling.
fn fingerprint(node: &Node) -> String {
    let status = node.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.status.clone());
    serde_json::json!([
        node.metadata.labels,
        node.spec,
        status.and_then(|s| s.allocatable.clone()),
        ready
    ])
    .to_string()
}

impl Classifier {
    /// Learns the current nodes and pending pods; returns a watch from there.
    fn seed(&mut self, store: &Store) -> Option<Watch> {
        let nodes = store.list(Kind::Node, None, &ListFilter::default());
        let pods = store.list(Kind::Pod, None, &ListFilter::default());
        self.nodes.clear();
        self.pending_generations.clear();
        for node in nodes.items.iter().filter_map(|o| Node::from_object(o)) {
            self.nodes.insert(
                node.metadata.name.clone().unwrap_or_default(),
                fingerprint(node),
            );
        }
        for pod in pods.items.iter().filter_map(|o| Pod::from_object(o)) {
            if pending(pod) {
                self.pending_generations.insert(
                    pod.metadata.uid.clone().unwrap_or_default(),
                    pod.metadata.generation.unwrap_or(0),
                );
            }
        }
        store
            .watch_kinds(
                &[Kind::Node, Kind::Pod, Kind::PersistentVolumeClaim],
                Some(nodes.resource_version.min(pods.resource_version)),
            )
            .ok()
    }

    fn classify(&mut self, event: &WatchEvent) -> Change {
        match (&*event.object, event.event_type) {
            (Object::Node(node), EventType::Deleted) => {
                self.nodes
                    .remove(node.metadata.name.as_deref().unwrap_or(""));
                Change::Cluster
            }
            (Object::Node(node), _) => {
                let name = node.metadata.name.clone().unwrap_or_default();
                let print = fingerprint(node);
                if self.nodes.insert(name, print.clone()).as_ref() == Some(&print) {
                    Change::Nothing
                } else {
                    Change::Cluster
                }
            }
            (Object::Pod(pod), EventType::Deleted) => {
                let uid = pod.metadata.uid.as_deref().unwrap_or("");
                self.pending_generations.remove(uid);
                let bound = pod
                    .spec
                    .as_ref()
                    .and_then(|s| s.node_name.as_ref())
                    .is_some();
                if bound {
                    Change::Cluster
                } else {
                    Change::Nothing
                }
            }
            (Object::Pod(pod), _) => self.pod_changed(pod),
            // A claim made or bound may let a waiting pod in.
            (object, _) if object.kind() == Kind::PersistentVolumeClaim => Change::Cluster,
            _ => Change::Nothing,
        }
    }

    fn pod_changed(&mut self, pod: &Pod) -> Change {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        if pending(pod) {
            let generation = pod.metadata.generation.unwrap_or(0);
            return match self.pending_generations.insert(uid, generation) {
                None => Change::NewPendingPod,
                Some(seen) if seen != generation => Change::Cluster,
                Some(_) => Change::Nothing,
            };
        }
        self.pending_generations.remove(&uid);
        let finished = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .is_some_and(|p| p == "Succeeded" || p == "Failed");
        if finished {
            Change::Cluster
        } else {
            Change::Nothing
        }
    }
}

/// Watches the store from now on; call before the first scheduling pass
/// so no change falls between the two.
pub fn start(store: Store, signals: Arc<Signals>, cancel: CancellationToken) -> JoinHandle<()> {
    let mut classifier = Classifier::default();
    let watch = classifier.seed(&store);
    tokio::spawn(follow(store, signals, cancel, classifier, watch))
}

async fn follow(
    store: Store,
    signals: Arc<Signals>,
    cancel: CancellationToken,
    mut classifier: Classifier,
    mut watch: Option<Watch>,
) {
    loop {
        let Some(mut current) = watch.take() else {
            return;
        };
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                item = current.next() => match item {
                    None => return,
                    Some(WatchItem::Gone) => break,
                    Some(WatchItem::Event(event)) => match classifier.classify(&event) {
                        Change::Nothing => {}
                        Change::NewPendingPod => signals.wake.notify_one(),
                        Change::Cluster => signals.cluster_changed(),
                    },
                },
            }
        }
        // Fell behind: anything may have changed.
        watch = classifier.seed(&store);
        signals.cluster_changed();
    }
}
