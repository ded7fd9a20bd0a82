//! Running due probes and acting on their verdicts.

use tokio::time::Instant;

use super::PodWorker;
use crate::events::EventType;
use crate::kubelet::probe::{ProbeKind, ProbeOutcome, Verdict};
use crate::kubelet::slot::Plan;

impl PodWorker {
    pub(super) async fn run_due_probes(&mut self) {
        let now = Instant::now();
        for index in 0..self.slots.len() {
            if self.slots[index].plan != Plan::Running {
                continue;
            }
            for probe_index in 0..self.slots[index].probes.len() {
                let probe = &self.slots[index].probes[probe_index];
                if probe.next_at.is_none_or(|at| at > now) {
                    continue;
                }
                let kind = probe.kind;
                let quick_retry = probe.retrying_early;
                let timeout = probe.timing.timeout;
                let action = probe.action.clone();
                let Some(id) = self.slots[index].current.clone() else {
                    continue;
                };
                let outcome = match &action {
                    Some(action) => self.ctx.runtime.probe(&id, kind, action, timeout).await,
                    None => ProbeOutcome::Failure("probe has no usable handler".to_string()),
                };
                // The container may have ended while probing.
                if self.slots[index].plan != Plan::Running
                    || self.slots[index].probes.len() <= probe_index
                {
                    break;
                }
                // A quick retry stands in for upstream's probes triggered by
                // pod syncs; the failure it retries was reported already.
                if let ProbeOutcome::Failure(message) = &outcome
                    && !quick_retry
                {
                    self.event(
                        Some(index),
                        EventType::Warning,
                        "Unhealthy",
                        &format!("{} probe failed: {message}", kind.title()),
                    );
                }
                let verdict = self.slots[index].probes[probe_index].record_outcome(&outcome);
                self.apply_verdict(index, kind, verdict).await;
            }
        }
    }

    async fn apply_verdict(&mut self, index: usize, kind: ProbeKind, verdict: Verdict) {
        match (kind, verdict) {
            (_, Verdict::Unchanged) => {}
            (ProbeKind::Readiness, v) => self.slots[index].ready = v == Verdict::NowPassing,
            (ProbeKind::Startup, Verdict::NowPassing) => {
                let slot = &mut self.slots[index];
                slot.started = true;
                let has_readiness = slot.probes.iter().any(|p| p.kind == ProbeKind::Readiness);
                slot.ready = !has_readiness;
                for probe in &mut slot.probes {
                    match probe.kind {
                        ProbeKind::Startup => probe.next_at = None,
                        _ => probe.arm(Instant::now()),
                    }
                }
            }
            (ProbeKind::Liveness | ProbeKind::Startup, _) => {
                let name = self.slots[index].name().to_string();
                let what = if kind == ProbeKind::Liveness {
                    "liveness"
                } else {
                    "startup"
                };
                self.event(
                    Some(index),
                    EventType::Normal,
                    "Killing",
                    &format!("Container {name} failed {what} probe, will be restarted"),
                );
                // Stop probing; the runtime's exit event restarts it.
                for probe in &mut self.slots[index].probes {
                    probe.next_at = None;
                }
                self.stop_slot(index).await;
            }
        }
    }
}
