//! The rollout view: one lane per ReplicaSet revision, the pod slots in
//! their live states, the surge and unavailability budget, progress, a
//! sparkline of available replicas over time and the rollout's events.
//!
//! CONTRACT (owned by the rollout view's author; the app integrates
//! against these signatures): the app opens a `RolloutView` for a
//! Deployment and calls [`RolloutView::observe`] with the current objects
//! after every watch change of Deployments, ReplicaSets, Pods or Events
//! (the view keeps its own history for the sparkline and elapsed time).

use crossterm::event::KeyEvent;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::component::Outcome;
use super::theme::Theme;

/// The objects the view draws from: the Deployment, and the ReplicaSets,
/// Pods and Events of its namespace (the view picks the ones it owns).
pub struct RolloutInput<'a> {
    pub deployment: &'a Deployment,
    pub replica_sets: Vec<&'a ReplicaSet>,
    pub pods: Vec<&'a Pod>,
    pub events: Vec<&'a Event>,
}

/// What the rollout view asks its owner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutIntent {
    Close,
}

pub struct RolloutView {
    namespace: String,
    name: String,
}

impl RolloutView {
    pub fn new(namespace: &str, name: &str) -> RolloutView {
        RolloutView {
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes in the current state at `now` (the cluster's clock, so paused
    /// time in tests gives the same picture every run).
    pub fn observe(&mut self, _input: &RolloutInput<'_>, _now: Timestamp) {}

    pub fn handle_key(&mut self, _key: KeyEvent) -> Outcome<RolloutIntent> {
        Outcome::Ignored
    }

    pub fn draw(&self, _frame: &mut Frame, _area: Rect, _theme: &Theme, _now: Timestamp) {}
}
