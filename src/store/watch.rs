//! Watch streams over the store's change history.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::api::{Kind, Object};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    /// The word Kubernetes uses in a watch event's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change to one object. For `Deleted` the object is its last state,
/// carrying the resourceVersion of the deletion.
#[derive(Debug, Clone)]
pub struct WatchEvent {
    pub event_type: EventType,
    pub object: Arc<Object>,
    pub resource_version: u64,
}

/// What a watcher receives next.
#[derive(Debug)]
pub enum WatchItem {
    Event(WatchEvent),
    /// The watcher fell too far behind; it must list again (HTTP 410).
    Gone,
}

/// A stream of changes, optionally limited to one kind. Starts with the
/// backlog since the requested resourceVersion, then follows live changes
/// with no gap between the two.
#[derive(Debug)]
pub struct Watch {
    pub(super) kind: Option<Kind>,
    pub(super) backlog: std::collections::VecDeque<WatchEvent>,
    pub(super) live: broadcast::Receiver<WatchEvent>,
    pub(super) last_rv: u64,
}

impl Watch {
    /// The next change; `None` when the store is dropped.
    pub async fn next(&mut self) -> Option<WatchItem> {
        while let Some(event) = self.backlog.pop_front() {
            if self.wants(&event) {
                self.last_rv = event.resource_version;
                return Some(WatchItem::Event(event));
            }
        }
        loop {
            match self.live.recv().await {
                Ok(event) => {
                    // The backlog and the live channel can overlap by a few events.
                    if event.resource_version <= self.last_rv || !self.wants(&event) {
                        continue;
                    }
                    self.last_rv = event.resource_version;
                    return Some(WatchItem::Event(event));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => return Some(WatchItem::Gone),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// The resourceVersion of the last event delivered (or the start point).
    pub fn resource_version(&self) -> u64 {
        self.last_rv
    }

    fn wants(&self, event: &WatchEvent) -> bool {
        self.kind.is_none_or(|k| event.object.kind() == k)
    }
}
