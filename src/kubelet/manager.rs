//! The kubelet of one node: registers the Node, re-adopts containers the
//! runtime kept, and routes pod changes (store watch) and container changes
//! (runtime events) to one worker per pod.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::engine::EngineWatch;
use super::ipam::IpPool;
use super::lease;
use super::node::{self, NodeConfig};
use super::runtime::{ContainerInfo, LABEL_NODE, LABEL_POD_UID, Runtime, RuntimeEvent};
use super::worker::{self, NodeContext, SharedPod, WorkerMessage};
use crate::api::{Kind, KubeObject, Object};
use crate::events::EventRecorder;
use crate::store::{EventType, ListFilter, Store, WatchItem};

/// How often the node's Ready condition is refreshed.
const HEARTBEAT: Duration = Duration::from_secs(60);
/// A running kubelet. It stops when its cancellation token fires; the
/// containers keep running (like a kubelet process that exits).
pub struct Kubelet {
    node: String,
    task: JoinHandle<()>,
}

impl Kubelet {
    pub fn start(
        store: Store,
        runtime: Arc<dyn Runtime>,
        node: NodeConfig,
        cancel: CancellationToken,
    ) -> Kubelet {
        let name = node.name.clone();
        let task = tokio::spawn(run(store, runtime, node, cancel));
        Kubelet { node: name, task }
    }

    pub fn node_name(&self) -> &str {
        &self.node
    }

    /// Waits until the kubelet stopped (after its token was cancelled).
    pub async fn join(self) {
        if let Err(error) = self.task.await {
            tracing::warn!(%error, node = self.node, "kubelet task ended abnormally");
        }
    }
}

struct Dispatcher {
    ctx: Arc<NodeContext>,
    workers: HashMap<String, mpsc::UnboundedSender<WorkerMessage>>,
}

fn bound_here(pod: &Pod, node: &str) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| n == node)
}

impl Dispatcher {
    fn pod_changed(&mut self, object: &Arc<Object>, adopted: Vec<ContainerInfo>) {
        let Some(pod) = Pod::from_object(object) else {
            return;
        };
        if !bound_here(pod, &self.ctx.node) {
            return;
        }
        let Some(uid) = pod.metadata.uid.clone() else {
            return;
        };
        // The worker shares the store's object: no copy of the pod.
        let Some(shared) = SharedPod::new(object.clone()) else {
            return;
        };
        if let Some(worker) = self.workers.get(&uid) {
            // A worker that finished (its pod is being removed) has nothing to do.
            let _ = worker.send(WorkerMessage::Pod(shared));
            return;
        }
        let tx = worker::spawn(self.ctx.clone(), shared, adopted);
        self.workers.insert(uid, tx);
    }

    fn pod_deleted(&mut self, object: &Object) {
        if let Some(uid) = object.meta().uid.as_deref()
            && let Some(worker) = self.workers.remove(uid)
        {
            let _ = worker.send(WorkerMessage::Gone);
        }
    }

    fn runtime_event(&mut self, event: RuntimeEvent) {
        let Some(uid) = event.pod_uid() else {
            return;
        };
        if let Some(worker) = self.workers.get(uid) {
            let _ = worker.send(WorkerMessage::Runtime(Box::new(event)));
        }
    }

    fn recheck_all(&mut self) {
        for worker in self.workers.values() {
            let _ = worker.send(WorkerMessage::Recheck);
        }
    }

    /// After the watch fell behind: compare the store with the workers.
    fn resync(&mut self, store: &Store) -> u64 {
        let list = store.list(Kind::Pod, None, &ListFilter::default());
        let mut present = HashSet::new();
        for object in &list.items {
            if let Some(uid) = object.meta().uid.clone() {
                present.insert(uid);
            }
            self.pod_changed(object, Vec::new());
        }
        let vanished: Vec<String> = self
            .workers
            .keys()
            .filter(|uid| !present.contains(*uid))
            .cloned()
            .collect();
        for uid in vanished {
            if let Some(worker) = self.workers.remove(&uid) {
                let _ = worker.send(WorkerMessage::Gone);
            }
        }
        list.resource_version
    }
}

async fn run(
    store: Store,
    runtime: Arc<dyn Runtime>,
    config: NodeConfig,
    cancel: CancellationToken,
) {
    let runtime_version = format!("{}://{}", runtime.name(), runtime.version());
    if let Err(error) = node::register(&store, &config, &runtime_version) {
        tracing::warn!(%error, node = config.name, "could not register the node");
    }
    // Subscribe before listing so no change falls between the two.
    let mut runtime_events = runtime.events();
    let containers = match runtime.list_containers().await {
        Ok(containers) => containers,
        Err(error) => {
            tracing::warn!(%error, "could not list the runtime's containers");
            Vec::new()
        }
    };
    let mut by_pod: HashMap<String, Vec<ContainerInfo>> = HashMap::new();
    for container in containers {
        if container.label(LABEL_NODE) != Some(config.name.as_str()) {
            continue;
        }
        if let Some(uid) = container.label(LABEL_POD_UID) {
            by_pod.entry(uid.to_string()).or_default().push(container);
        }
    }

    let ctx = Arc::new(NodeContext {
        store: store.clone(),
        runtime: runtime.clone(),
        recorder: EventRecorder::new(store.clone(), "kubelet", Some(&config.name)),
        node: config.name.clone(),
        ips: IpPool::new(config.index, config.pods),
        volumes_dir: config.volumes_dir.clone(),
        tokens: config.tokens.clone(),
        offline: config.offline,
        cancel: cancel.clone(),
        image_pulls: tokio::sync::Mutex::new(()),
    });
    let mut dispatcher = Dispatcher {
        ctx,
        workers: HashMap::new(),
    };

    let list = store.list(Kind::Pod, None, &ListFilter::default());
    // Pods that had an IP keep it: reserve them before new pods draw one.
    for pod in list.items.iter().filter_map(|o| Pod::from_object(o)) {
        let ip = pod.status.as_ref().and_then(|s| s.pod_ip.as_deref());
        if bound_here(pod, &config.name) && ip.is_some() {
            dispatcher.ctx.ips.allocate(ip);
        }
    }
    for object in &list.items {
        let uid = object.meta().uid.clone().unwrap_or_default();
        let adopted = by_pod.remove(&uid).unwrap_or_default();
        dispatcher.pod_changed(object, adopted);
    }
    // Containers whose pod is gone are removed.
    for container in by_pod.into_values().flatten() {
        if container.is_sandbox() {
            if let Err(error) = runtime.remove_sandbox(&container.id).await {
                tracing::debug!(%error, "removing an orphaned sandbox");
            }
            continue;
        }
        let _ = runtime
            .stop_container(&container.id, Duration::from_secs(2))
            .await;
        if let Err(error) = runtime.remove_container(&container.id).await {
            tracing::debug!(%error, "removing an orphaned container");
        }
    }

    let mut since = list.resource_version;
    let mut engine = EngineWatch::new(runtime.clone(), store.clone(), config.clone());
    let mut heartbeat =
        tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The Lease is the node's liveness signal upstream: renewed from the start.
    let mut lease_renewal = tokio::time::interval(lease::RENEW_INTERVAL);
    lease_renewal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    'watching: loop {
        let mut watch = match store.watch(Some(Kind::Pod), Some(since)) {
            Ok(watch) => watch,
            Err(_) => {
                since = dispatcher.resync(&store);
                continue;
            }
        };
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break 'watching,
                item = watch.next() => match item {
                    None => break 'watching,
                    Some(WatchItem::Gone) => {
                        since = dispatcher.resync(&store);
                        continue 'watching;
                    }
                    Some(WatchItem::Event(event)) => match event.event_type {
                        EventType::Deleted => dispatcher.pod_deleted(&event.object),
                        _ => dispatcher.pod_changed(&event.object, Vec::new()),
                    },
                },
                event = runtime_events.next() => match event {
                    Some(event) => {
                        engine.answered();
                        dispatcher.runtime_event(event);
                    }
                    None => {
                        runtime_events = futures::stream::pending().boxed();
                        engine.stream_ended().await;
                    }
                },
                _ = engine.retry_due() => {
                    if engine.reachable().await {
                        runtime_events = runtime.events();
                        // Exits during the gap were not reported: look again.
                        dispatcher.recheck_all();
                    }
                }
                _ = heartbeat.tick() => {
                    if let Err(error) =
                        node::heartbeat(&store, &config, &runtime_version, engine.down())
                    {
                        tracing::warn!(%error, "node heartbeat failed");
                    }
                }
                _ = lease_renewal.tick() => {
                    if let Err(error) = lease::renew(&store, &config.name) {
                        tracing::warn!(%error, node = config.name, "node lease renewal failed");
                    }
                }
            }
        }
    }
}
