//! The simulated runtime: containers that live in memory and behave like
//! Docker on a laptop — pulls take a second or two the first time, creates
//! about 100 ms, starts about 300 ms, SIGTERM about 100 ms — all scaled by
//! `SimOptions::latency_factor` (0 makes everything instant). Time is
//! tokio's, so tests with paused time run instantly.
//!
//! Images whose name contains the reserved TLD `.invalid`
//! (`registry.invalid/x:1`) fail to pull. Containers "serve" their declared
//! ports (any port when they declare none), so HTTP and TCP probes pass once
//! they run. Pod annotations inject faults:
//!
//! - `sim.podium.dev/crash-after-seconds: "N"` — the container exits N s after it starts;
//! - `sim.podium.dev/exit-code: "C"` — the code of that exit (default 1; 0 ends as Completed);
//! - `sim.podium.dev/fail-readiness: "true"` — readiness probes fail (HTTP 503);
//! - `sim.podium.dev/fail-liveness-after-seconds: "N"` — liveness probes fail from N s after start (HTTP 500);
//! - `sim.podium.dev/log-lines-per-second: "N"` — the container logs N access-log lines a second
//!   (by default it logs a few startup lines).
//!
//! Init containers do their work for about a second and exit 0 (unless
//! `crash-after-seconds` says otherwise).
//!
//! Each container's log is a bounded buffer served with follow, tail,
//! timestamps and since. Asked for a port's address (`port_address`), a
//! running container opens a real listener on 127.0.0.1 that answers HTTP
//! with a welcome page and logs an access line, so Services and
//! port-forward work on the sim too.

mod faults;
mod images;
mod logs;
mod serve;
mod shell;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use faults::{
    CRASH_AFTER_SECONDS, EXIT_CODE, FAIL_LIVENESS_AFTER_SECONDS, FAIL_READINESS, Faults,
    LOG_LINES_PER_SECOND,
};
use images::{digest, registry_host, repository};
use logs::LogBuffer;

use super::probe::{self, ProbeAction, ProbeKind, ProbeOutcome};
use super::runtime::{
    ContainerId, ContainerInfo, ContainerRunState, ContainerSpec, ExecOutput, ImageInfo,
    LABEL_CONTAINER_NAME, LABEL_MANAGED, LABEL_NODE, LABEL_POD_UID, LABEL_ROLE, LogRequest,
    PullProgress, PullProgressFn, Runtime, RuntimeError, RuntimeEvent, RuntimeEventKind,
};
use crate::cluster::SimOptions;

const PULL: Duration = Duration::from_millis(1500);
/// The log generator's shortest tick (a timer's resolution).
const LOG_TICK: Duration = Duration::from_millis(1);
/// Lines a log generator writes at most per tick, after a stall.
const MAX_LINES_PER_TICK: u64 = 10_000;
const PRESENT_PULL: Duration = Duration::from_millis(250);
const FAILED_PULL: Duration = Duration::from_millis(200);
const CREATE: Duration = Duration::from_millis(100);
const START: Duration = Duration::from_millis(300);
const STOP: Duration = Duration::from_millis(100);
const INIT_RUN: Duration = Duration::from_secs(1);

/// The in-memory runtime. Cheap to clone.
#[derive(Clone)]
pub struct SimRuntime {
    inner: Arc<Inner>,
}

struct Inner {
    latency_factor: f64,
    next_id: AtomicU64,
    /// A per-runtime prefix so container ids differ across restarts.
    epoch: u64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    images: HashMap<String, ImageInfo>,
    /// Boxed: the table's spare capacity then costs a pointer per slot.
    containers: HashMap<ContainerId, Box<SimContainer>>,
    /// One per `events()` stream. An event is shared until a subscriber
    /// reads it: a kubelet that falls behind in a burst holds pointers,
    /// not copies (10 kubelets x 2,000 events at 1k pods).
    subscribers: Vec<mpsc::UnboundedSender<Arc<RuntimeEvent>>>,
}

struct SimContainer {
    spec: ContainerSpec,
    info: ContainerInfo,
    faults: Faults,
    started: Option<Instant>,
    log: LogBuffer,
    /// Loopback listeners opened on demand, by container port.
    listeners: HashMap<u16, std::net::SocketAddr>,
    /// Ends the container's timers (crash, log ticker) when it exits.
    alive: CancellationToken,
}

impl SimRuntime {
    pub fn new(options: SimOptions) -> Self {
        SimRuntime {
            inner: Arc::new(Inner {
                latency_factor: options.latency_factor.max(0.0),
                next_id: AtomicU64::new(1),
                epoch: u64::from(rand::random::<u32>()),
                state: Mutex::new(State::default()),
            }),
        }
    }

    async fn delay(&self, base: Duration) {
        let scaled = base.mul_f64(self.inner.latency_factor);
        if !scaled.is_zero() {
            tokio::time::sleep(scaled).await;
        }
    }

    /// Tells every subscriber (one per kubelet) about a container. The
    /// event carries the labels that say whose container it is (pod uid,
    /// node, container name), not all of them: every kubelet receives every
    /// event, and at 10k pods the copies add up.
    fn emit(state: &mut State, info: &ContainerInfo, kind: RuntimeEventKind) {
        let labels = [LABEL_POD_UID, LABEL_NODE, LABEL_CONTAINER_NAME, LABEL_ROLE]
            .into_iter()
            .filter_map(|key| Some((key.to_string(), info.labels.get(key)?.clone())))
            .collect();
        let event = Arc::new(RuntimeEvent {
            container_id: info.id.clone(),
            labels,
            kind,
        });
        state
            .subscribers
            .retain(|subscriber| subscriber.send(event.clone()).is_ok());
    }

    /// Ends a running container's process with `exit_code`.
    fn exit(&self, id: &str, exit_code: i32) {
        let mut state = self.inner.state.lock();
        let Some(container) = state.containers.get_mut(id) else {
            return;
        };
        if container.info.state != ContainerRunState::Running {
            return;
        }
        container.info.state = ContainerRunState::Exited;
        container.info.exit_code = Some(exit_code);
        container.info.finished_at = Some(crate::clock::now());
        container.log.close();
        container.alive.cancel();
        let info = container.info.clone();
        Self::emit(
            &mut state,
            &info,
            RuntimeEventKind::Died {
                exit_code,
                oom_killed: false,
            },
        );
    }

    fn spawn_timers(&self, id: &str, faults: &Faults, alive: CancellationToken) {
        if let Some(after) = faults.crash_after {
            let runtime = self.clone();
            let id = id.to_string();
            let code = faults.exit_code;
            let alive = alive.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = alive.cancelled() => {}
                    _ = tokio::time::sleep(after) => runtime.exit(&id, code),
                }
            });
        }
        if let Some(rate) = faults.log_lines_per_second {
            let runtime = self.clone();
            let id = id.to_string();
            tokio::spawn(async move {
                // Timers tick at most every millisecond: a faster rate
                // writes the lines due since the start at each tick.
                let tick = Duration::from_secs_f64(1.0 / rate).max(LOG_TICK);
                let mut ticks = tokio::time::interval(tick);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                let started = tokio::time::Instant::now();
                let mut written: u64 = 0;
                loop {
                    tokio::select! {
                        _ = alive.cancelled() => return,
                        _ = ticks.tick() => {
                            let due = (started.elapsed().as_secs_f64() * rate) as u64 + 1;
                            let lines = due.saturating_sub(written).min(MAX_LINES_PER_TICK);
                            runtime.log_access(&id, written, lines);
                            written += lines;
                        }
                    }
                }
            });
        }
    }

    /// Appends a line to a container's log.
    fn log_line(&self, id: &str, line: String) {
        if let Some(container) = self.inner.state.lock().containers.get_mut(id) {
            container.log.push(line);
        }
    }

    /// Writes `lines` access-log lines, numbered from `first` in the
    /// request's query (`GET /?n=41`), so a reader can tell none is missing.
    fn log_access(&self, id: &str, first: u64, lines: u64) {
        let mut state = self.inner.state.lock();
        if let Some(container) = state.containers.get_mut(id) {
            let now = crate::clock::now();
            let when = now.strftime("%d/%b/%Y:%H:%M:%S +0000").to_string();
            for n in first..first + lines {
                container.log.push(format!(
                    "10.244.0.1 - - [{when}] \"GET /?n={n} HTTP/1.1\" 200 615 \"-\" \"curl/8.5.0\" \"-\""
                ));
            }
        }
    }
}

fn startup_lines(spec: &ContainerSpec) -> Vec<String> {
    let mut lines = vec![format!(
        "podium-sim: container \"{}\" started from image {}",
        spec.container_name, spec.image
    )];
    for port in &spec.ports {
        lines.push(format!(
            "podium-sim: listening on 0.0.0.0:{}/{}",
            port.container_port,
            port.protocol.to_lowercase()
        ));
    }
    lines.push("podium-sim: ready to serve requests".to_string());
    lines
}

#[async_trait::async_trait]
impl Runtime for SimRuntime {
    fn simulates_usage(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "sim"
    }

    fn version(&self) -> String {
        "0.1".to_string()
    }

    async fn image_present(&self, image: &str) -> Result<Option<ImageInfo>, RuntimeError> {
        Ok(self.inner.state.lock().images.get(image).cloned())
    }

    async fn pull_image(
        &self,
        image: &str,
        progress: &PullProgressFn,
    ) -> Result<ImageInfo, RuntimeError> {
        let report = |status: &str, current: Option<u64>, total: Option<u64>| {
            progress(PullProgress {
                image: image.to_string(),
                status: status.to_string(),
                current_bytes: current,
                total_bytes: total,
            });
        };
        if image.contains(".invalid") {
            self.delay(FAILED_PULL).await;
            let host = registry_host(image);
            return Err(RuntimeError::ImagePull(format!(
                "Error response from daemon: Get \"https://{host}/v2/\": dial tcp: lookup {host} on 127.0.0.53:53: no such host"
            )));
        }
        let known = self.inner.state.lock().images.get(image).cloned();
        if let Some(info) = known {
            // The layers are here: the registry only confirms the digest.
            self.delay(PRESENT_PULL).await;
            report(
                "Already exists",
                Some(info.size_bytes),
                Some(info.size_bytes),
            );
            return Ok(info);
        }
        let hash = digest(image);
        let size = 20_000_000 + u64::from_str_radix(&hash[..6], 16).unwrap_or(0) * 10;
        report("Pulling fs layer", None, Some(size));
        self.delay(PULL / 2).await;
        report("Downloading", Some(size / 2), Some(size));
        self.delay(PULL / 2).await;
        report("Pull complete", Some(size), Some(size));
        let info = ImageInfo {
            image_id: format!("{}@sha256:{hash}", repository(image)),
            size_bytes: size,
        };
        self.inner
            .state
            .lock()
            .images
            .insert(image.to_string(), info.clone());
        Ok(info)
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<ContainerId, RuntimeError> {
        self.delay(CREATE).await;
        let mut state = self.inner.state.lock();
        let image_id = state
            .images
            .get(&spec.image)
            .map(|i| i.image_id.clone())
            .ok_or_else(|| RuntimeError::Failed {
                operation: "create",
                message: format!("No such image: {}", spec.image),
            })?;
        let serial = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:08x}{:056x}", self.inner.epoch, serial);
        // The container keeps one copy of its labels (in `info`) and no
        // annotations (read into `faults`): 10k containers add up.
        let mut kept = spec.clone();
        let mut labels = std::mem::take(&mut kept.labels);
        let annotations = std::mem::take(&mut kept.annotations);
        labels.insert(LABEL_MANAGED.to_string(), "true".to_string());
        let info = ContainerInfo {
            id: id.clone(),
            labels,
            image: spec.image.clone(),
            image_id,
            state: ContainerRunState::Created,
            exit_code: None,
            oom_killed: false,
            started_at: None,
            finished_at: None,
            error: None,
            ip: None,
        };
        let mut faults = Faults::from_annotations(&annotations);
        if spec.init && faults.crash_after.is_none() {
            // An init container does its work and exits 0.
            faults.crash_after = Some(INIT_RUN.mul_f64(self.inner.latency_factor));
            faults.exit_code = 0;
        }
        Self::emit(&mut state, &info, RuntimeEventKind::Created);
        state.containers.insert(
            id.clone(),
            Box::new(SimContainer {
                spec: kept,
                info,
                faults,
                started: None,
                log: LogBuffer::default(),
                listeners: HashMap::new(),
                alive: CancellationToken::new(),
            }),
        );
        Ok(id)
    }

    async fn start_container(&self, id: &str) -> Result<(), RuntimeError> {
        self.delay(START).await;
        let (faults, alive) = {
            let mut state = self.inner.state.lock();
            let container = state
                .containers
                .get_mut(id)
                .ok_or_else(|| RuntimeError::NoSuchContainer(id.to_string()))?;
            if container.info.state != ContainerRunState::Created {
                return Ok(());
            }
            container.info.state = ContainerRunState::Running;
            container.info.started_at = Some(crate::clock::now());
            container.started = Some(Instant::now());
            for line in startup_lines(&container.spec) {
                container.log.push(line);
            }
            let info = container.info.clone();
            let timers = (container.faults.clone(), container.alive.clone());
            Self::emit(&mut state, &info, RuntimeEventKind::Started);
            timers
        };
        self.spawn_timers(id, &faults, alive);
        Ok(())
    }

    async fn stop_container(&self, id: &str, _grace: Duration) -> Result<(), RuntimeError> {
        let running = {
            let state = self.inner.state.lock();
            let container = state
                .containers
                .get(id)
                .ok_or_else(|| RuntimeError::NoSuchContainer(id.to_string()))?;
            container.info.state == ContainerRunState::Running
        };
        if running {
            // The simulated process honours SIGTERM well within any grace.
            self.delay(STOP).await;
            self.exit(id, 0);
        }
        Ok(())
    }

    async fn remove_container(&self, id: &str) -> Result<(), RuntimeError> {
        let mut state = self.inner.state.lock();
        let container = state
            .containers
            .remove(id)
            .ok_or_else(|| RuntimeError::NoSuchContainer(id.to_string()))?;
        container.alive.cancel();
        Self::emit(&mut state, &container.info, RuntimeEventKind::Removed);
        Ok(())
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerInfo, RuntimeError> {
        self.inner
            .state
            .lock()
            .containers
            .get(id)
            .map(|c| c.info.clone())
            .ok_or_else(|| RuntimeError::NoSuchContainer(id.to_string()))
    }

    async fn list_containers(&self) -> Result<Vec<ContainerInfo>, RuntimeError> {
        Ok(self
            .inner
            .state
            .lock()
            .containers
            .values()
            .map(|c| c.info.clone())
            .collect())
    }

    async fn logs(
        &self,
        id: &str,
        request: &LogRequest,
    ) -> Result<BoxStream<'static, Bytes>, RuntimeError> {
        let mut state = self.inner.state.lock();
        let container = state
            .containers
            .get_mut(id)
            .ok_or_else(|| RuntimeError::NoSuchContainer(id.to_string()))?;
        Ok(container.log.stream(request))
    }

    async fn exec(&self, id: &str, command: &[String]) -> Result<ExecOutput, RuntimeError> {
        let spec = {
            let state = self.inner.state.lock();
            let container = state
                .containers
                .get(id)
                .ok_or_else(|| RuntimeError::NoSuchContainer(id.to_string()))?;
            if container.info.state != ContainerRunState::Running {
                return Err(RuntimeError::Failed {
                    operation: "exec",
                    message: format!("container {id} is not running"),
                });
            }
            container.spec.clone()
        };
        Ok(shell::run(&spec, command))
    }

    async fn port_address(&self, id: &str, container_port: u16) -> Option<std::net::SocketAddr> {
        let alive = {
            let state = self.inner.state.lock();
            let container = state.containers.get(id)?;
            if container.info.state != ContainerRunState::Running {
                return None;
            }
            let serves = container.spec.ports.is_empty()
                || container
                    .spec
                    .ports
                    .iter()
                    .any(|p| p.container_port == container_port);
            if !serves {
                return None;
            }
            if let Some(address) = container.listeners.get(&container_port) {
                return Some(*address);
            }
            container.alive.clone()
        };
        let address =
            serve::listen(self.clone(), id.to_string(), container_port, alive.clone()).await?;
        let mut state = self.inner.state.lock();
        let container = state.containers.get_mut(id)?;
        // Another caller may have opened one meanwhile: keep the first.
        let kept = *container.listeners.entry(container_port).or_insert(address);
        if kept != address {
            tracing::debug!("a second sim listener for one port stays unused");
        }
        Some(kept)
    }

    fn events(&self) -> BoxStream<'static, RuntimeEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.inner.state.lock().subscribers.push(tx);
        tokio_stream::wrappers::UnboundedReceiverStream::new(rx)
            .map(|event: Arc<RuntimeEvent>| Arc::unwrap_or_clone(event))
            .boxed()
    }

    async fn probe(
        &self,
        id: &str,
        kind: ProbeKind,
        action: &ProbeAction,
        _timeout: Duration,
    ) -> ProbeOutcome {
        let state = self.inner.state.lock();
        let container = state.containers.get(id);
        let running = container.is_some_and(|c| c.info.state == ContainerRunState::Running);
        let serves = |port: u16| {
            container.is_some_and(|c| {
                c.spec.ports.is_empty() || c.spec.ports.iter().any(|p| p.container_port == port)
            })
        };
        let failing_code = container.and_then(|c| match kind {
            ProbeKind::Readiness if c.faults.fail_readiness => Some(503),
            ProbeKind::Liveness => c
                .faults
                .fail_liveness_after
                .zip(c.started)
                .filter(|(after, started)| started.elapsed() >= *after)
                .map(|_| 500),
            _ => None,
        });
        match action {
            ProbeAction::Http {
                host,
                port,
                path,
                scheme,
                ..
            } => {
                if !running || !serves(*port) {
                    let url = format!("{scheme}://{host}:{port}{path}");
                    return probe::refused(&format!("Get \"{url}\": dial tcp"), host, *port);
                }
                match failing_code {
                    Some(code) => {
                        ProbeOutcome::Failure(format!("HTTP probe failed with statuscode: {code}"))
                    }
                    None => ProbeOutcome::Success,
                }
            }
            ProbeAction::Tcp { host, port } | ProbeAction::Grpc { host, port } => {
                if !running || !serves(*port) || failing_code.is_some() {
                    return probe::refused("dial tcp", host, *port);
                }
                ProbeOutcome::Success
            }
            ProbeAction::Exec { command } => {
                if !running {
                    return ProbeOutcome::Failure("container not running".to_string());
                }
                match failing_code {
                    Some(_) => ProbeOutcome::Failure(format!(
                        "command \"{}\" exited with 1",
                        command.join(" ")
                    )),
                    None => ProbeOutcome::Success,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn invalid_registry_fails_to_pull() {
        let sim = SimRuntime::new(SimOptions::default());
        let error = sim
            .pull_image("registry.invalid/x:1", &|_| {})
            .await
            .expect_err("must fail");
        assert!(
            error
                .to_string()
                .contains("lookup registry.invalid on 127.0.0.53:53: no such host"),
            "{error}"
        );
    }
}
