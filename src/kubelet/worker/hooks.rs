//! Stopping a container as upstream's kubelet does (killContainer): the
//! preStop hook runs first, within the grace period; SIGTERM then gets
//! what is left of it (at least 2 s), and SIGKILL follows.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Probe;
use tokio::time::Instant;

use super::PodWorker;
use crate::events::EventType;
use crate::kubelet::probe::{ProbeAction, ProbeKind, ProbeOutcome, resolve_action};
use crate::kubelet::runtime::{Runtime, RuntimeError};

/// Upstream's minimumGracePeriodInSeconds: SIGTERM always gets this long.
const MINIMUM_GRACE: Duration = Duration::from_secs(2);

/// A preStop hook.
enum Hook {
    Action(ProbeAction),
    Sleep(Duration),
}

/// Everything needed to stop one container, detached from the worker so
/// that several stop at once.
pub(super) struct Stop {
    runtime: Arc<dyn Runtime>,
    id: String,
    hook: Option<Hook>,
    grace: Duration,
}

impl Stop {
    /// Runs the hook, then stops the container. The hook's failure, if
    /// any, comes back for the FailedPreStopHook event.
    pub async fn run(self) -> (Result<(), RuntimeError>, Option<String>) {
        let began = Instant::now();
        let failure = match self.hook {
            None => None,
            Some(Hook::Sleep(duration)) => {
                tokio::time::sleep(duration.min(self.grace)).await;
                None
            }
            Some(Hook::Action(action)) => {
                let run = self
                    .runtime
                    .probe(&self.id, ProbeKind::Startup, &action, self.grace);
                match tokio::time::timeout(self.grace, run).await {
                    Ok(ProbeOutcome::Success) => None,
                    Ok(ProbeOutcome::Failure(message)) => Some(message),
                    Err(_) => Some(format!(
                        "did not finish within the grace period of {}",
                        crate::kubelet::format::go_duration(self.grace)
                    )),
                }
            }
        };
        let left = self
            .grace
            .saturating_sub(began.elapsed())
            .max(MINIMUM_GRACE);
        (self.runtime.stop_container(&self.id, left).await, failure)
    }
}

impl PodWorker {
    /// How to stop slot `index`'s running container, `None` if none runs.
    pub(super) fn stop_of(&self, index: usize) -> Option<Stop> {
        let slot = &self.slots[index];
        let id = slot.current.clone()?;
        let handler = slot
            .spec()
            .lifecycle
            .as_ref()
            .and_then(|l| l.pre_stop.as_ref());
        let hook = handler.and_then(|handler| {
            if let Some(sleep) = &handler.sleep {
                let seconds = u64::try_from(sleep.seconds).unwrap_or(0);
                return Some(Hook::Sleep(Duration::from_secs(seconds)));
            }
            // A hook's handler is a probe's, without the timing.
            let probe = Probe {
                exec: handler.exec.clone(),
                http_get: handler.http_get.clone(),
                tcp_socket: handler.tcp_socket.clone(),
                ..Probe::default()
            };
            resolve_action(&probe, slot.spec(), &self.pod_ip).map(Hook::Action)
        });
        Some(Stop {
            runtime: self.ctx.runtime.clone(),
            id,
            hook,
            grace: self.grace(),
        })
    }

    /// Stops slot `index`'s container (hook first) and reports a failed hook.
    pub(super) async fn stop_slot(&self, index: usize) {
        let Some(stop) = self.stop_of(index) else {
            return;
        };
        let (stopped, hook_failure) = stop.run().await;
        if let Err(error) = stopped {
            tracing::debug!(%error, "stopping a container");
        }
        self.report_hook_failure(index, hook_failure);
    }

    pub(super) fn report_hook_failure(&self, index: usize, failure: Option<String>) {
        let Some(failure) = failure else {
            return;
        };
        tracing::debug!(
            failure,
            container = self.slots[index].name(),
            "preStop hook failed"
        );
        // Like upstream, the hook's output stays out of the event: it may
        // carry secrets.
        self.event(
            Some(index),
            EventType::Warning,
            "FailedPreStopHook",
            "PreStopHook failed",
        );
    }
}
