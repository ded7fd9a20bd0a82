//! The rollout view: one lane per ReplicaSet revision, the pod slots in
//! their live states, the surge and unavailability budget, progress, a
//! sparkline of available replicas over time and the rollout's events.
//!
//! CONTRACT (owned by the rollout view's author; the app integrates
//! against these signatures): the app opens a `RolloutView` for a
//! Deployment and calls [`RolloutView::observe`] with the current objects
//! after every watch change of Deployments, ReplicaSets, Pods or Events
//! (the view keeps its own history for the sparkline and elapsed time).

mod budget;
mod draw;
mod lanes;
mod summary;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;

pub use budget::{Budget, BudgetError};
pub use lanes::{Lane, Slot, SlotState};
pub use summary::{EventLine, RolloutState, Summary};

use super::component::Outcome;
use super::theme::Theme;

/// How many (time, available) samples the sparkline remembers.
pub const HISTORY_LIMIT: usize = 120;

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
    summary: Option<Summary>,
    /// (when, status.availableReplicas), oldest first, at most HISTORY_LIMIT.
    history: VecDeque<(Timestamp, i32)>,
}

impl RolloutView {
    pub fn new(namespace: &str, name: &str) -> RolloutView {
        RolloutView {
            namespace: namespace.to_string(),
            name: name.to_string(),
            summary: None,
            history: VecDeque::with_capacity(HISTORY_LIMIT),
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
    pub fn observe(&mut self, input: &RolloutInput<'_>, now: Timestamp) {
        let lanes = lanes::lanes(input.deployment, &input.replica_sets, &input.pods);
        let summary = Summary::of(input.deployment, lanes, &input.events);
        if self.history.len() == HISTORY_LIMIT {
            self.history.pop_front();
        }
        self.history.push_back((now, summary.available));
        self.summary = Some(summary);
    }

    /// What the last observation made of the objects; `None` before one.
    pub fn summary(&self) -> Option<&Summary> {
        self.summary.as_ref()
    }

    /// Available replicas over time, oldest first.
    pub fn history(&self) -> impl Iterator<Item = (Timestamp, i32)> + '_ {
        self.history.iter().copied()
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> Outcome<RolloutIntent> {
        match key.code {
            KeyCode::Esc => Outcome::Intent(RolloutIntent::Close),
            _ => Outcome::Ignored,
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme, now: Timestamp) {
        draw::draw(self, frame, area, theme, now);
    }
}
