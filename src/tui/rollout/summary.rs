//! The Deployment's headline: strategy, progress, state and the rollout's
//! events, taken out of the objects once per observation.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::jiff::Timestamp;

use super::budget::{Budget, BudgetError};
use super::lanes::Lane;

/// Where the rollout stands, as `kubectl rollout status` would put it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutState {
    Complete,
    Progressing,
    Paused,
    ProgressDeadlineExceeded,
}

impl RolloutState {
    pub fn label(self) -> &'static str {
        match self {
            RolloutState::Complete => "Complete",
            RolloutState::Progressing => "Progressing",
            RolloutState::Paused => "Paused",
            RolloutState::ProgressDeadlineExceeded => "ProgressDeadlineExceeded",
        }
    }

    /// From spec.paused, the Progressing condition's reason (progress.go)
    /// and the counts, since the condition lags a scale or a new template.
    pub fn of(deployment: &Deployment) -> RolloutState {
        let spec = deployment.spec.as_ref();
        let status = deployment.status.as_ref();
        let progressing_reason = status
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .find(|c| c.type_ == "Progressing")
            .and_then(|c| c.reason.as_deref());
        if progressing_reason == Some("ProgressDeadlineExceeded") {
            return RolloutState::ProgressDeadlineExceeded;
        }
        if spec.and_then(|s| s.paused).unwrap_or(false) {
            return RolloutState::Paused;
        }
        let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
        let count = |f: fn(&k8s_openapi::api::apps::v1::DeploymentStatus) -> Option<i32>| {
            status.and_then(f).unwrap_or(0)
        };
        let observed = status.and_then(|s| s.observed_generation).unwrap_or(0)
            >= deployment.metadata.generation.unwrap_or(0);
        let settled = observed
            && count(|s| s.updated_replicas) == desired
            && count(|s| s.replicas) == desired
            && count(|s| s.available_replicas) == desired;
        if settled && progressing_reason == Some("NewReplicaSetAvailable") {
            RolloutState::Complete
        } else {
            RolloutState::Progressing
        }
    }
}

/// One line of the rollout's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    pub at: Option<Timestamp>,
    pub warning: bool,
    pub reason: String,
    pub object: String,
    pub message: String,
}

/// Everything the view draws, computed in `observe`.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub name: String,
    pub strategy: String,
    pub desired: i32,
    pub updated: i32,
    pub total: i32,
    pub available: i32,
    pub state: RolloutState,
    /// `None` for Recreate, which has no surge or unavailability budget.
    pub budget: Option<Result<Budget, BudgetError>>,
    pub lanes: Vec<Lane>,
    pub events: Vec<EventLine>,
}

impl Summary {
    pub fn of(deployment: &Deployment, lanes: Vec<Lane>, events: &[&Event]) -> Summary {
        let spec = deployment.spec.as_ref();
        let status = deployment.status.as_ref();
        let strategy = spec
            .and_then(|s| s.strategy.as_ref())
            .and_then(|s| s.type_.clone())
            .unwrap_or_else(|| "RollingUpdate".to_string());
        let budget = (strategy == "RollingUpdate").then(|| Budget::of(deployment));
        let name = deployment.metadata.name.clone().unwrap_or_default();
        Summary {
            events: rollout_events(&name, &lanes, events),
            name,
            strategy,
            desired: spec.and_then(|s| s.replicas).unwrap_or(1),
            updated: status.and_then(|s| s.updated_replicas).unwrap_or(0),
            total: status.and_then(|s| s.replicas).unwrap_or(0),
            available: status.and_then(|s| s.available_replicas).unwrap_or(0),
            state: RolloutState::of(deployment),
            budget,
            lanes,
        }
    }

    /// When the newest ReplicaSet was created: the start of this rollout.
    pub fn started(&self) -> Option<Timestamp> {
        self.lanes.iter().filter_map(|l| l.created).max()
    }
}

/// Events about the Deployment or one of its ReplicaSets, newest first.
fn rollout_events(deployment: &str, lanes: &[Lane], events: &[&Event]) -> Vec<EventLine> {
    let mut lines: Vec<EventLine> = events
        .iter()
        .filter(|e| {
            let object = &e.involved_object;
            let name = object.name.as_deref().unwrap_or_default();
            match object.kind.as_deref() {
                Some("Deployment") => name == deployment,
                Some("ReplicaSet") => lanes.iter().any(|l| l.name == name),
                _ => false,
            }
        })
        .map(|e| EventLine {
            at: event_time(e),
            warning: e.type_.as_deref() == Some("Warning"),
            reason: e.reason.clone().unwrap_or_default(),
            object: format!(
                "{}/{}",
                e.involved_object
                    .kind
                    .as_deref()
                    .unwrap_or_default()
                    .to_lowercase(),
                e.involved_object.name.as_deref().unwrap_or_default()
            ),
            message: e.message.clone().unwrap_or_default(),
        })
        .collect();
    lines.sort_by_key(|line| std::cmp::Reverse(line.at));
    lines
}

/// The newest time an event carries, as kubectl's LAST SEEN picks it.
fn event_time(event: &Event) -> Option<Timestamp> {
    event
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| event.event_time.as_ref().map(|t| t.0))
        .or_else(|| event.first_timestamp.as_ref().map(|t| t.0))
        .or_else(|| event.metadata.creation_timestamp.as_ref().map(|t| t.0))
}
