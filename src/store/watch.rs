//! Watch streams over the store's change history.
//!
//! The history is one ring of the latest changes (as upstream's watch
//! cache): a watcher reads from it at its own pace, and one that falls
//! further behind than the ring holds is told to list again (410 Gone).
//! Nothing else keeps old versions of objects alive.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::watch;

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

/// Events copied out of the ring per visit, so a watcher takes the lock
/// once per batch rather than once per event.
const READ_BATCH: usize = 256;

/// The latest changes, one per resourceVersion, oldest first.
#[derive(Default)]
pub(super) struct History {
    events: Mutex<VecDeque<WatchEvent>>,
}

/// What a read from the ring found.
enum Read {
    /// Events were copied (possibly none that the watcher wants).
    Progress,
    /// Nothing after the watcher's position yet.
    UpToDate,
    /// The watcher's position has left the ring.
    Gone,
}

impl History {
    /// Appends a change (resourceVersions arrive one by one, in order)
    /// and keeps at most `capacity` changes. A smaller capacity than
    /// before is reached gradually, two old changes per new one.
    pub(super) fn push(&self, event: WatchEvent, capacity: usize) {
        let mut events = self.events.lock();
        for _ in 0..2 {
            if events.len() >= capacity.max(1) {
                events.pop_front();
            }
        }
        events.push_back(event);
    }

    /// The oldest resourceVersion a watch may start from (`current` when
    /// nothing was recorded yet).
    pub(super) fn oldest_resumable(&self, current: u64) -> u64 {
        self.events
            .lock()
            .front()
            .map_or(current, |e| e.resource_version.saturating_sub(1))
    }

    /// Copies up to [`READ_BATCH`] events after `*position` that `kind`
    /// selects into `out`, moving `*position` past everything examined.
    fn read_after(
        &self,
        position: &mut u64,
        kind: Option<Kind>,
        out: &mut VecDeque<WatchEvent>,
    ) -> Read {
        let events = self.events.lock();
        let Some(first) = events.front().map(|e| e.resource_version) else {
            return Read::UpToDate;
        };
        if *position + 1 < first {
            return Read::Gone;
        }
        // resourceVersions are consecutive, so the position is an index.
        let start = usize::try_from(*position + 1 - first).unwrap_or(usize::MAX);
        if start >= events.len() {
            return Read::UpToDate;
        }
        for event in events.range(start..).take(READ_BATCH) {
            *position = event.resource_version;
            if kind.is_none_or(|k| event.object.kind() == k) {
                out.push_back(event.clone());
            }
        }
        Read::Progress
    }
}

/// A stream of changes, optionally limited to one kind. Starts after the
/// requested resourceVersion and follows later changes with no gap.
pub struct Watch {
    kind: Option<Kind>,
    history: Arc<History>,
    /// Moves on every commit; closed when the store is dropped.
    changes: watch::Receiver<u64>,
    /// Events read from the ring, not yet handed out.
    buffer: VecDeque<WatchEvent>,
    /// The last resourceVersion read from the ring.
    read_rv: u64,
    /// The resourceVersion of the last event handed out (or the start).
    last_rv: u64,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("kind", &self.kind)
            .field("last_rv", &self.last_rv)
            .finish_non_exhaustive()
    }
}

impl Watch {
    pub(super) fn new(
        kind: Option<Kind>,
        history: Arc<History>,
        changes: watch::Receiver<u64>,
        since: u64,
    ) -> Watch {
        Watch {
            kind,
            history,
            changes,
            buffer: VecDeque::new(),
            read_rv: since,
            last_rv: since,
        }
    }

    /// The next change; `None` when the store is dropped. Cancel-safe.
    pub async fn next(&mut self) -> Option<WatchItem> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.last_rv = event.resource_version;
                return Some(WatchItem::Event(event));
            }
            // Mark the current change as seen before reading, so a commit
            // that lands after the read still wakes us.
            self.changes.borrow_and_update();
            let read = self
                .history
                .read_after(&mut self.read_rv, self.kind, &mut self.buffer);
            if self.buffer.is_empty() {
                // Everything read so far was of other kinds: seen.
                self.last_rv = self.read_rv;
            }
            match read {
                Read::Progress => {}
                Read::Gone => return Some(WatchItem::Gone),
                Read::UpToDate => {
                    if self.changes.changed().await.is_err() {
                        return None;
                    }
                }
            }
        }
    }

    /// The resourceVersion of the last event delivered (or the start point).
    pub fn resource_version(&self) -> u64 {
        self.last_rv
    }
}
