//! One container of a pod as the kubelet tracks it: the runtime container
//! behind it, its displayed state, restarts, back-offs and probes.

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use tokio::time::Instant;

use super::backoff::BackOff;
use super::probe::{ProbeKind, ProbeTiming, ProbeTracker, resolve_action};
use super::runtime::ContainerId;
use super::worker::SharedPod;

/// What `kubectl get pod` shows for the container.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    Waiting {
        reason: String,
        message: Option<String>,
    },
    Running {
        started_at: Time,
    },
    Terminated(ContainerStateTerminated),
}

impl Shown {
    pub fn waiting(reason: &str, message: Option<String>) -> Shown {
        Shown::Waiting {
            reason: reason.to_string(),
            message,
        }
    }

    fn to_state(&self) -> ContainerState {
        match self {
            Shown::Waiting { reason, message } => ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some(reason.clone()),
                    message: message.clone(),
                }),
                ..ContainerState::default()
            },
            Shown::Running { started_at } => ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(started_at.clone()),
                }),
                ..ContainerState::default()
            },
            Shown::Terminated(t) => ContainerState {
                terminated: Some(t.clone()),
                ..ContainerState::default()
            },
        }
    }
}

/// Whether the kubelet should (re)start the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Start,
    Running,
    /// Ended and not restarted under the pod's restartPolicy.
    Done,
}

#[derive(Debug)]
pub struct Slot {
    /// The pod whose spec this container runs with: its spec is read from
    /// there ([`Slot::spec`]) rather than copied, 10k pods over.
    source: SharedPod,
    /// The container's position in the source's containers (or init containers).
    position: usize,
    /// An init container: runs to completion before the app containers.
    pub init: bool,
    pub plan: Plan,
    pub shown: Shown,
    /// The runtime container behind the slot (live, or the last one that ran).
    pub current: Option<ContainerId>,
    /// The container before `current`, kept for `logs --previous`.
    pub previous: Option<ContainerId>,
    /// The most recent termination, and the one before it.
    pub last_exit: Option<ContainerStateTerminated>,
    pub prior_exit: Option<ContainerStateTerminated>,
    pub restart_count: i32,
    /// The image of `current` (the spec may name a newer one).
    pub image: Option<String>,
    pub image_id: String,
    pub crash_backoff: BackOff,
    pub pull_backoff: BackOff,
    pub pull_failed: bool,
    /// Nothing happens to a waiting slot before this.
    pub retry_at: Option<Instant>,
    pub started: bool,
    pub ready: bool,
    pub probes: Vec<ProbeTracker>,
    /// The spec changed while it ran: restart whatever the restartPolicy.
    pub force_restart: bool,
}

impl Slot {
    /// The slot of container `position` of `source`'s containers (or
    /// init containers).
    pub fn new(source: SharedPod, position: usize, init: bool, first_reason: &str) -> Slot {
        Slot {
            source,
            position,
            init,
            plan: Plan::Start,
            shown: Shown::waiting(first_reason, None),
            current: None,
            previous: None,
            last_exit: None,
            prior_exit: None,
            restart_count: 0,
            image: None,
            image_id: String::new(),
            crash_backoff: BackOff::default(),
            pull_backoff: BackOff::default(),
            pull_failed: false,
            retry_at: None,
            started: false,
            ready: false,
            probes: Vec::new(),
            force_restart: false,
        }
    }

    /// The container's spec, as the pod it runs with gives it.
    pub fn spec(&self) -> &Container {
        static NO_CONTAINER: std::sync::LazyLock<Container> =
            std::sync::LazyLock::new(Container::default);
        let spec = self.source.spec.as_ref();
        let list = if self.init {
            spec.and_then(|s| s.init_containers.as_deref())
        } else {
            spec.map(|s| s.containers.as_slice())
        };
        // The position was taken from this very pod.
        list.and_then(|l| l.get(self.position))
            .unwrap_or(&NO_CONTAINER)
    }

    /// Reads the spec from a newer version of the pod, where this
    /// container sits at `position`.
    pub fn follow(&mut self, source: SharedPod, position: usize) {
        self.source = source;
        self.position = position;
    }

    pub fn name(&self) -> &str {
        &self.spec().name
    }

    pub fn field_path(&self) -> String {
        let list = if self.init {
            "initContainers"
        } else {
            "containers"
        };
        format!("spec.{list}{{{}}}", self.spec().name)
    }

    /// An init container that ran to completion.
    pub fn completed(&self) -> bool {
        self.plan == Plan::Done && matches!(&self.shown, Shown::Terminated(t) if t.exit_code == 0)
    }

    /// The container now runs: set up its probes, ticking from the pod's
    /// admission. Without a startup probe it counts as started; without a
    /// readiness probe it is ready.
    pub fn arm_probes(&mut self, pod_ip: &str, started: Instant, admitted: Instant) {
        let spec = self.spec();
        let mut probes = Vec::new();
        for (kind, probe) in [
            (ProbeKind::Startup, &spec.startup_probe),
            (ProbeKind::Liveness, &spec.liveness_probe),
            (ProbeKind::Readiness, &spec.readiness_probe),
        ] {
            if let Some(probe) = probe {
                let action = resolve_action(probe, spec, pod_ip);
                probes.push(ProbeTracker::new(
                    kind,
                    action,
                    ProbeTiming::of(probe),
                    admitted,
                ));
            }
        }
        let has = |kind| probes.iter().any(|p: &ProbeTracker| p.kind == kind);
        self.started = !has(ProbeKind::Startup);
        self.ready = self.started && !has(ProbeKind::Readiness);
        for probe in &mut probes {
            if probe.kind == ProbeKind::Startup || self.started {
                probe.arm(started);
            }
        }
        self.probes = probes;
    }

    pub fn disarm_probes(&mut self) {
        self.probes.clear();
        self.started = false;
        self.ready = false;
    }

    /// The earliest time this slot needs attention.
    pub fn next_deadline(&self) -> Option<Instant> {
        let probes = self.probes.iter().filter_map(|p| p.next_at);
        let retry = match self.plan {
            Plan::Start => self.retry_at,
            _ => None,
        };
        probes.chain(retry).min()
    }

    pub fn status(&self, scheme: &str) -> ContainerStatus {
        let last = match &self.shown {
            Shown::Terminated(_) => self.prior_exit.as_ref(),
            _ => self.last_exit.as_ref(),
        };
        ContainerStatus {
            name: self.spec().name.clone(),
            image: self
                .image
                .clone()
                .or_else(|| self.spec().image.clone())
                .unwrap_or_default(),
            image_id: self.image_id.clone(),
            container_id: self.current.as_ref().map(|id| format!("{scheme}://{id}")),
            ready: self.ready,
            started: Some(self.started),
            restart_count: self.restart_count,
            state: Some(self.shown.to_state()),
            last_state: Some(
                last.map_or_else(ContainerState::default, |t| ContainerState {
                    terminated: Some(t.clone()),
                    ..ContainerState::default()
                }),
            ),
            ..ContainerStatus::default()
        }
    }
}
