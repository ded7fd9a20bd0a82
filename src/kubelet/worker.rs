//! One task per pod: it drives the pod's containers through the runtime,
//! woken by pod changes, the runtime's events and its own timers (probes,
//! back-offs) — never by polling — and writes the pod's status back when
//! it changed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::ContainerStateTerminated;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ipam::IpPool;
use super::runtime::{
    ContainerInfo, ContainerRunState, ContainerSpec, LABEL_CONTAINER_NAME, LABEL_NODE,
    LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_RESTART_COUNT, LABEL_ROLE, PortSpec,
    ROLE_CONTAINER, ResourceLimits, Runtime, RuntimeEvent, RuntimeEventKind,
};
use super::slot::{Plan, Shown, Slot};
use crate::api::Kind;
use crate::events::{EventRecorder, EventType};
use crate::store::{DeleteOptions, Store};

mod adoption;
mod hooks;
mod probing;
mod report;
mod sandbox;
mod shared_pod;
mod starting;

pub use shared_pod::SharedPod;

/// What every pod worker of one kubelet shares.
pub struct NodeContext {
    pub store: Store,
    pub runtime: Arc<dyn Runtime>,
    pub recorder: EventRecorder,
    pub node: String,
    pub ips: IpPool,
    /// Where pod volumes are prepared, with runtimes that mount them.
    pub volumes_dir: Option<std::path::PathBuf>,
    /// Signs the ServiceAccount tokens of projected volumes.
    pub tokens: Option<crate::tokens::Tokens>,
    /// No pulls: the images on the machine or a failed pull (`--offline`).
    pub offline: bool,
    pub cancel: CancellationToken,
    /// One image pull at a time on this node.
    pub image_pulls: tokio::sync::Mutex<()>,
}

impl NodeContext {
    fn scheme(&self) -> &str {
        self.runtime.name()
    }
}

/// What the kubelet tells a pod worker. Small (a worker's channel keeps
/// room for 32 of them), hence the box.
pub enum WorkerMessage {
    Pod(SharedPod),
    Runtime(Box<RuntimeEvent>),
    /// The pod left the store: stop and remove its containers.
    Gone,
    /// Runtime events may have been missed: inspect the running containers.
    Recheck,
}

/// Starts a worker for `pod`, adopting `adopted` containers the runtime
/// already has for it.
pub fn spawn(
    ctx: Arc<NodeContext>,
    pod: SharedPod,
    adopted: Vec<ContainerInfo>,
) -> mpsc::UnboundedSender<WorkerMessage> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut worker = PodWorker::new(ctx, pod);
        Box::pin(worker.adopt(adopted)).await;
        worker.run(rx).await;
    });
    tx
}

struct PodWorker {
    ctx: Arc<NodeContext>,
    /// The latest pod the store sent, shared with the store.
    pod: SharedPod,
    slots: Vec<Slot>,
    network: sandbox::PodNetwork,
    /// Empty until the pod has its network.
    pod_ip: String,
    start_time: Time,
    /// When this worker took the pod: its probes tick from here.
    admitted: tokio::time::Instant,
    /// The stored pod after this worker's last status write.
    written: Option<SharedPod>,
    gone: bool,
    /// The pod had finished (Succeeded/Failed) before this worker began:
    /// its status is final; the worker only cleans up on deletion.
    finished: bool,
}

impl PodWorker {
    fn new(ctx: Arc<NodeContext>, pod: SharedPod) -> PodWorker {
        let old = pod.status.as_ref();
        let spec = pod.spec.as_ref();
        let inits = spec
            .and_then(|s| s.init_containers.as_ref())
            .map_or(0, Vec::len);
        let containers = spec.map_or(0, |s| s.containers.len());
        let app_reason = if inits == 0 {
            "ContainerCreating"
        } else {
            "PodInitializing"
        };
        let slots = (0..inits)
            .map(|i| Slot::new(pod.clone(), i, true, "PodInitializing"))
            .chain((0..containers).map(|i| Slot::new(pod.clone(), i, false, app_reason)))
            .collect();
        let start_time = old
            .and_then(|s| s.start_time.clone())
            .unwrap_or_else(crate::clock::now_time);
        let finished = old
            .and_then(|s| s.phase.as_deref())
            .is_some_and(|p| p == "Succeeded" || p == "Failed");
        PodWorker {
            ctx,
            pod,
            slots,
            network: sandbox::PodNetwork::default(),
            pod_ip: String::new(),
            start_time,
            admitted: tokio::time::Instant::now(),
            written: None,
            gone: false,
            finished,
        }
    }

    fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or("")
    }

    fn name(&self) -> &str {
        self.pod.metadata.name.as_deref().unwrap_or("")
    }

    fn uid(&self) -> &str {
        self.pod.metadata.uid.as_deref().unwrap_or("")
    }

    /// `name_namespace(uid)`, as upstream names a pod in messages.
    fn full_name(&self) -> String {
        format!("{}_{}({})", self.name(), self.namespace(), self.uid())
    }

    fn restart_policy(&self) -> &str {
        self.pod
            .spec
            .as_ref()
            .and_then(|s| s.restart_policy.as_deref())
            .unwrap_or("Always")
    }

    fn grace(&self) -> Duration {
        let seconds = self
            .pod
            .metadata
            .deletion_grace_period_seconds
            .or_else(|| {
                self.pod
                    .spec
                    .as_ref()
                    .and_then(|s| s.termination_grace_period_seconds)
            })
            .unwrap_or(30);
        Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
    }

    fn event(&self, slot: Option<usize>, kind: EventType, reason: &str, message: &str) {
        let field_path = slot.map(|i| self.slots[i].field_path());
        self.ctx.recorder.record_at(
            self.pod.object(),
            field_path.as_deref(),
            kind,
            reason,
            message,
        );
    }

    async fn run(&mut self, mut rx: mpsc::UnboundedReceiver<WorkerMessage>) {
        loop {
            // The long operations are boxed: an idle worker's task then
            // holds only what waiting needs (10k of them at scale).
            if self.gone || self.pod.metadata.deletion_timestamp.is_some() {
                Box::pin(self.terminate()).await;
                return;
            }
            if !self.finished {
                Box::pin(self.sync()).await;
                self.flush_status();
            }
            let deadline = self
                .slots
                .iter()
                .filter_map(Slot::next_deadline)
                .chain(self.network.retry_at)
                .min();
            let timer = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.ctx.cancel.cancelled() => return,
                message = rx.recv() => match message {
                    None => return,
                    Some(WorkerMessage::Pod(pod)) => {
                        if pod.metadata.uid == self.pod.metadata.uid {
                            self.pod = pod;
                            Box::pin(self.apply_spec_changes()).await;
                        }
                    }
                    Some(WorkerMessage::Runtime(event)) => {
                        Box::pin(self.on_runtime_event(*event)).await;
                    }
                    Some(WorkerMessage::Gone) => self.gone = true,
                    Some(WorkerMessage::Recheck) => Box::pin(self.recheck()).await,
                },
                _ = timer => Box::pin(self.run_due_probes()).await,
            }
        }
    }

    /// A container whose image changed is restarted with the new one
    /// (upstream: "Container c definition changed, will be restarted");
    /// the others read their spec from the new pod from now on.
    async fn apply_spec_changes(&mut self) {
        let pod = self.pod.clone();
        let spec = pod.spec.as_ref();
        for index in 0..self.slots.len() {
            let init = self.slots[index].init;
            let list = if init {
                spec.and_then(|s| s.init_containers.as_deref())
            } else {
                spec.map(|s| s.containers.as_slice())
            };
            let Some(position) = list
                .unwrap_or_default()
                .iter()
                .position(|c| c.name == self.slots[index].name())
            else {
                continue;
            };
            let same_image = list
                .and_then(|l| l.get(position))
                .is_some_and(|c| c.image == self.slots[index].spec().image);
            self.slots[index].follow(pod.clone(), position);
            if same_image || init {
                continue;
            }
            let slot = &mut self.slots[index];
            slot.crash_backoff = Default::default();
            slot.pull_backoff = Default::default();
            slot.pull_failed = false;
            slot.retry_at = None;
            if slot.plan != Plan::Running {
                continue;
            }
            slot.force_restart = true;
            let id = slot.current.clone();
            let name = slot.name().to_string();
            self.event(
                Some(index),
                EventType::Normal,
                "Killing",
                &format!("Container {name} definition changed, will be restarted"),
            );
            if id.is_some() {
                self.stop_slot(index).await;
            }
        }
    }

    /// A container ended: show it terminated and plan per restartPolicy.
    fn record_exit(&mut self, index: usize, terminated: ContainerStateTerminated) {
        let init = self.slots[index].init;
        let restart = std::mem::take(&mut self.slots[index].force_restart)
            || match self.restart_policy() {
                "Never" => false,
                // Init containers restart only on failure, whatever the policy.
                _ if init => terminated.exit_code != 0,
                "OnFailure" => terminated.exit_code != 0,
                _ => true,
            };
        let slot = &mut self.slots[index];
        slot.prior_exit = slot.last_exit.take();
        slot.last_exit = Some(terminated.clone());
        slot.shown = Shown::Terminated(terminated);
        slot.disarm_probes();
        slot.plan = if restart { Plan::Start } else { Plan::Done };
    }

    fn terminated_from(&self, info: &ContainerInfo) -> ContainerStateTerminated {
        let code = info.exit_code.unwrap_or(0);
        let reason = if info.oom_killed {
            "OOMKilled"
        } else if code == 0 {
            "Completed"
        } else {
            "Error"
        };
        ContainerStateTerminated {
            exit_code: code,
            reason: Some(reason.to_string()),
            message: info.error.clone(),
            started_at: info.started_at.map(|t| time_of(Some(t))),
            finished_at: Some(time_of(info.finished_at)),
            container_id: Some(format!("{}://{}", self.ctx.scheme(), info.id)),
            ..ContainerStateTerminated::default()
        }
    }

    /// Records exits of running containers the runtime did not report.
    async fn recheck(&mut self) {
        for index in 0..self.slots.len() {
            if self.slots[index].plan != Plan::Running {
                continue;
            }
            let Some(id) = self.slots[index].current.clone() else {
                continue;
            };
            match self.ctx.runtime.inspect_container(&id).await {
                Ok(info) if info.state == ContainerRunState::Running => {}
                Ok(info) => {
                    let terminated = self.terminated_from(&info);
                    self.record_exit(index, terminated);
                }
                Err(_) => {
                    let terminated = ContainerStateTerminated {
                        exit_code: 137,
                        reason: Some("ContainerStatusUnknown".to_string()),
                        message: Some("The container could not be located".to_string()),
                        finished_at: Some(crate::clock::now_time()),
                        ..ContainerStateTerminated::default()
                    };
                    self.record_exit(index, terminated);
                }
            }
        }
    }

    async fn on_runtime_event(&mut self, event: RuntimeEvent) {
        let RuntimeEventKind::Died { .. } = event.kind else {
            return;
        };
        if self.network.sandbox.as_deref() == Some(event.container_id.as_str()) {
            self.sandbox_died().await;
            self.flush_status();
            return;
        }
        let Some(index) = self
            .slots
            .iter()
            .position(|s| s.current.as_deref() == Some(event.container_id.as_str()))
        else {
            return;
        };
        if self.slots[index].plan != Plan::Running {
            return;
        }
        let info = match self
            .ctx
            .runtime
            .inspect_container(&event.container_id)
            .await
        {
            Ok(info) => info,
            Err(error) => {
                tracing::debug!(%error, "container vanished before inspection");
                return;
            }
        };
        let terminated = self.terminated_from(&info);
        self.record_exit(index, terminated);
        // Like upstream, the exit shows (Error, Completed) before any
        // restart or CrashLoopBackOff does.
        self.flush_status();
    }

    /// Starts what should run and is not waiting on a back-off.
    async fn sync(&mut self) {
        for index in 0..self.slots.len() {
            if self.gone || self.pod.metadata.deletion_timestamp.is_some() {
                return;
            }
            // Init containers run one after the other, and all of them
            // before any app container.
            let waiting_on_init = self.slots[..index].iter().any(|s| s.init && !s.completed());
            if waiting_on_init {
                return;
            }
            if self.slots[index].plan != Plan::Start {
                continue;
            }
            let now = Instant::now();
            if self.slots[index].retry_at.is_some_and(|at| now < at) {
                continue;
            }
            self.slots[index].retry_at = None;
            if self.slots[index].pull_failed {
                if let Some((_, until)) = self.slots[index].pull_backoff.active(now) {
                    self.enter_image_pull_backoff(index, until);
                    continue;
                }
                self.slots[index].pull_failed = false;
            }
            if self.slots[index].last_exit.is_some()
                && let Some((delay, until)) = self.slots[index].crash_backoff.active(now)
            {
                self.enter_crash_loop_backoff(index, delay, until);
                continue;
            }
            if !self.ensure_network().await {
                return;
            }
            self.start(index).await;
        }
    }

    fn enter_crash_loop_backoff(&mut self, index: usize, delay: Duration, until: Instant) {
        let name = self.slots[index].name().to_string();
        let full_name = self.full_name();
        let message = format!(
            "back-off {} restarting failed container={name} pod={full_name}",
            super::format::go_duration(delay)
        );
        self.slots[index].shown = Shown::waiting("CrashLoopBackOff", Some(message));
        self.slots[index].retry_at = Some(until);
        self.event(
            Some(index),
            EventType::Warning,
            "BackOff",
            &format!("Back-off restarting failed container {name} in pod {full_name}"),
        );
    }

    fn enter_image_pull_backoff(&mut self, index: usize, until: Instant) {
        let image = self.slots[index].spec().image.clone().unwrap_or_default();
        let message = format!("Back-off pulling image \"{image}\"");
        self.slots[index].retry_at = Some(until);
        let already = match &self.slots[index].shown {
            Shown::Waiting { reason, .. } if reason == "ImagePullBackOff" => true,
            // The status carries the pull's error, as upstream's does.
            Shown::Waiting {
                reason,
                message: error,
            } if reason == "ErrImagePull" => {
                let detail = match error {
                    Some(error) => format!("{message}: ErrImagePull: {error}"),
                    None => message.clone(),
                };
                self.slots[index].shown = Shown::waiting("ImagePullBackOff", Some(detail));
                false
            }
            _ => {
                self.slots[index].shown = Shown::waiting("ImagePullBackOff", Some(message.clone()));
                false
            }
        };
        if !already {
            self.event(Some(index), EventType::Normal, "BackOff", &message);
            self.event(
                Some(index),
                EventType::Warning,
                "Failed",
                "Error: ImagePullBackOff",
            );
        }
    }

    /// The spec a runtime container of slot `index` is created from.
    fn container_spec(&self, index: usize) -> ContainerSpec {
        let slot = &self.slots[index];
        let container = slot.spec();
        let mut labels = BTreeMap::new();
        labels.insert(LABEL_POD_UID.to_string(), self.uid().to_string());
        labels.insert(
            LABEL_POD_NAMESPACE.to_string(),
            self.namespace().to_string(),
        );
        labels.insert(LABEL_POD_NAME.to_string(), self.name().to_string());
        labels.insert(LABEL_CONTAINER_NAME.to_string(), container.name.clone());
        labels.insert(LABEL_NODE.to_string(), self.ctx.node.clone());
        labels.insert(LABEL_ROLE.to_string(), ROLE_CONTAINER.to_string());
        let restart_count = slot.restart_count + i32::from(slot.last_exit.is_some());
        labels.insert(LABEL_RESTART_COUNT.to_string(), restart_count.to_string());
        let limits = container.resources.as_ref().and_then(|r| r.limits.as_ref());
        ContainerSpec {
            pod_uid: self.uid().to_string(),
            pod_namespace: self.namespace().to_string(),
            pod_name: self.name().to_string(),
            container_name: container.name.clone(),
            image: container.image.clone().unwrap_or_default(),
            command: container.command.clone().unwrap_or_default(),
            args: container.args.clone().unwrap_or_default(),
            working_dir: container.working_dir.clone().filter(|d| !d.is_empty()),
            mounts: Vec::new(),
            sandbox: self.network.sandbox.clone(),
            // Filled by `env::resolve` when the container is created.
            env: Vec::new(),
            ports: container
                .ports
                .iter()
                .flatten()
                .filter_map(|p| {
                    Some(PortSpec {
                        container_port: u16::try_from(p.container_port).ok()?,
                        protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_string()),
                        name: p.name.clone(),
                    })
                })
                .collect(),
            limits: ResourceLimits {
                cpu_millis: limits
                    .and_then(|l| l.get("cpu"))
                    .and_then(crate::scheduler::quantity::milli_value),
                memory_bytes: limits
                    .and_then(|l| l.get("memory"))
                    .and_then(crate::scheduler::quantity::value),
            },
            labels,
            annotations: self.pod.metadata.annotations.clone().unwrap_or_default(),
            restart_count,
            init: slot.init,
        }
    }

    /// Stops the containers with the pod's grace, removes them, and lets
    /// the store finish the deletion.
    async fn terminate(&mut self) {
        let mut stops = Vec::new();
        for index in 0..self.slots.len() {
            if self.slots[index].plan == Plan::Running {
                let name = self.slots[index].name().to_string();
                self.event(
                    Some(index),
                    EventType::Normal,
                    "Killing",
                    &format!("Stopping container {name}"),
                );
                if let Some(stop) = self.stop_of(index) {
                    stops.push(async move { (index, stop.run().await) });
                }
            }
        }
        for (index, (stopped, hook_failure)) in futures::future::join_all(stops).await {
            if let Err(error) = stopped {
                tracing::debug!(%error, "stopping a container");
            }
            self.report_hook_failure(index, hook_failure);
        }
        for slot in &self.slots {
            for id in slot.current.iter().chain(slot.previous.iter()) {
                let _ = self.ctx.runtime.remove_container(id).await;
            }
        }
        self.release_network().await;
        if let Some(root) = &self.ctx.volumes_dir {
            crate::kubelet::volumes::remove_pod_dir(root, self.uid());
        }
        if self.gone {
            return;
        }
        let options = DeleteOptions {
            grace_period_seconds: Some(0),
            precondition_uid: self.pod.metadata.uid.clone(),
            ..DeleteOptions::default()
        };
        let (namespace, name) = (self.namespace().to_string(), self.name().to_string());
        if let Err(error) = self
            .ctx
            .store
            .delete(Kind::Pod, &namespace, &name, &options)
        {
            tracing::debug!(%error, pod = name, "pod already gone");
        }
    }
}

fn time_of(at: Option<k8s_openapi::jiff::Timestamp>) -> Time {
    let at = at.unwrap_or_else(crate::clock::now);
    Time(k8s_openapi::jiff::Timestamp::from_second(at.as_second()).unwrap_or(at))
}
