//! Watch streams over the store's change history.
//!
//! The history is one ring of recent changes, as upstream's watch cache:
//! each watcher reads from it at its own pace. The ring keeps the latest
//! [`RESUMABLE`] changes (so that a client can list, then watch from the
//! list's resourceVersion) and, beyond those, whatever a live watcher has
//! yet to read, up to [`MAX_BEHIND`]; a watcher further behind than that
//! is told to list again (410 Gone). Nothing else keeps old versions of
//! objects alive, so once every watcher has caught up they are freed.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// Changes always kept for watches that start from an older
/// resourceVersion (list, then watch from the list's version).
pub(super) const RESUMABLE: usize = 2_048;
/// Changes kept for a watcher that falls behind; past this it gets Gone.
/// Upstream's watch cache grows to the same bound.
pub(super) const MAX_BEHIND: usize = 100_000;

/// Events copied out of the ring per visit, so a watcher takes the lock
/// once per batch rather than once per event.
const READ_BATCH: usize = 256;

/// The latest changes and where each live watcher has read up to.
pub(super) struct History {
    ring: Mutex<Ring>,
    resumable: usize,
    max_behind: usize,
}

impl Default for History {
    fn default() -> History {
        History::with_limits(RESUMABLE, MAX_BEHIND)
    }
}

#[derive(Default)]
struct Ring {
    /// One change per resourceVersion, oldest first, consecutive, with
    /// its kind at hand (watchers of one kind skip the rest).
    events: VecDeque<(Kind, WatchEvent)>,
    /// The live watchers; the ring forgets one whose `Watch` is gone.
    readers: Vec<Reader>,
    /// Per kind, the newest change dropped from the ring: a watcher of
    /// that kind positioned before it has missed it.
    dropped: HashMap<Kind, u64>,
}

struct Reader {
    kind: Option<Kind>,
    /// The last resourceVersion the watcher read.
    position: Arc<AtomicU64>,
}

impl Ring {
    fn oldest_resumable(&self, current: u64) -> u64 {
        self.events
            .front()
            .map_or(current, |(_, e)| e.resource_version.saturating_sub(1))
    }

    /// Whether a live watcher has yet to read this change. A watcher of
    /// another kind never will: it does not hold the ring.
    fn needed(&self, kind: Kind, resource_version: u64) -> bool {
        self.readers.iter().any(|r| {
            r.kind.is_none_or(|k| k == kind)
                && r.position.load(Ordering::Relaxed) < resource_version
        })
    }

    /// Drops changes that are neither among the `resumable` latest nor
    /// still to be read by a watcher at most `max_behind` changes behind.
    fn prune(&mut self, resumable: usize, max_behind: usize) {
        if self.events.len() <= resumable {
            return;
        }
        self.readers.retain(|r| Arc::strong_count(&r.position) > 1);
        while self.events.len() > resumable {
            let Some((kind, front)) = self.events.front() else {
                break;
            };
            if self.events.len() <= max_behind && self.needed(*kind, front.resource_version) {
                break;
            }
            if let Some((kind, dropped)) = self.events.pop_front() {
                self.dropped.insert(kind, dropped.resource_version);
            }
        }
    }
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
    pub(super) fn with_limits(resumable: usize, max_behind: usize) -> History {
        History {
            ring: Mutex::default(),
            resumable,
            max_behind: max_behind.max(resumable),
        }
    }

    /// Appends a change; resourceVersions arrive one by one, in order.
    pub(super) fn push(&self, event: WatchEvent) {
        let kind = event.object.kind();
        let mut ring = self.ring.lock();
        ring.events.push_back((kind, event));
        ring.prune(self.resumable, self.max_behind);
    }

    /// A reader positioned at `since`, or the oldest resourceVersion a
    /// watch may start from when `since` is older (`current` is the
    /// store's latest version).
    pub(super) fn reader(
        &self,
        kind: Option<Kind>,
        since: u64,
        current: u64,
    ) -> Result<Arc<AtomicU64>, u64> {
        let mut ring = self.ring.lock();
        let oldest = ring.oldest_resumable(current);
        if since < oldest {
            return Err(oldest);
        }
        let position = Arc::new(AtomicU64::new(since));
        ring.readers.push(Reader {
            kind,
            position: position.clone(),
        });
        Ok(position)
    }

    /// How many changes the ring holds (for tests).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.ring.lock().events.len()
    }

    /// Copies up to [`READ_BATCH`] events after `position` that `kind`
    /// selects into `out`, moving `position` past everything examined.
    fn read_after(
        &self,
        position: &AtomicU64,
        kind: Option<Kind>,
        out: &mut VecDeque<WatchEvent>,
    ) -> Read {
        let ring = self.ring.lock();
        let after = position.load(Ordering::Relaxed);
        let Some(first) = ring.events.front().map(|(_, e)| e.resource_version) else {
            return Read::UpToDate;
        };
        let missed = match kind {
            Some(kind) => ring.dropped.get(&kind).is_some_and(|&d| d > after),
            None => after + 1 < first,
        };
        if missed {
            return Read::Gone;
        }
        // resourceVersions are consecutive, so the position is an index
        // (past changes of other kinds the ring has dropped).
        let start = usize::try_from((after + 1).max(first) - first).unwrap_or(usize::MAX);
        if start >= ring.events.len() {
            return Read::UpToDate;
        }
        let mut last = after;
        for (event_kind, event) in ring.events.range(start..).take(READ_BATCH) {
            last = event.resource_version;
            if kind.is_none_or(|k| *event_kind == k) {
                out.push_back(event.clone());
            }
        }
        position.store(last, Ordering::Relaxed);
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
    /// The last resourceVersion read from the ring (the ring sees it too).
    position: Arc<AtomicU64>,
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
        position: Arc<AtomicU64>,
    ) -> Watch {
        let last_rv = position.load(Ordering::Relaxed);
        Watch {
            kind,
            history,
            changes,
            buffer: VecDeque::new(),
            position,
            last_rv,
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
                .read_after(&self.position, self.kind, &mut self.buffer);
            if self.buffer.is_empty() {
                // Everything read so far was of other kinds: seen.
                self.last_rv = self.position.load(Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn change(rv: u64) -> WatchEvent {
        let object = Object::from(ConfigMap {
            metadata: ObjectMeta {
                name: Some(format!("c{rv}")),
                namespace: Some("default".into()),
                ..Default::default()
            },
            ..Default::default()
        });
        WatchEvent {
            event_type: EventType::Added,
            object: Arc::new(object),
            resource_version: rv,
        }
    }

    fn watch(history: &Arc<History>, since: u64) -> (Watch, watch::Sender<u64>) {
        watch_kind(history, None, since)
    }

    fn watch_kind(
        history: &Arc<History>,
        kind: Option<Kind>,
        since: u64,
    ) -> (Watch, watch::Sender<u64>) {
        let (tx, rx) = watch::channel(since);
        let position = history.reader(kind, since, since).expect("resumable");
        (Watch::new(kind, history.clone(), rx, position), tx)
    }

    async fn next_rv(watch: &mut Watch) -> Option<u64> {
        match watch.next().await {
            Some(WatchItem::Event(event)) => Some(event.resource_version),
            _ => None,
        }
    }

    #[tokio::test]
    async fn a_slow_watcher_keeps_what_it_has_not_read_and_then_lets_go() {
        let history = Arc::new(History::with_limits(4, 100));
        let (mut slow, _tx) = watch(&history, 0);
        for rv in 1..=20 {
            history.push(change(rv));
        }
        assert_eq!(history.len(), 20, "all kept for the watcher at 0");
        for rv in 1..=20 {
            assert_eq!(next_rv(&mut slow).await, Some(rv));
        }
        history.push(change(21));
        assert_eq!(history.len(), 4, "caught up: only the resumable ones stay");
    }

    #[tokio::test]
    async fn a_watcher_too_far_behind_is_told_to_relist() {
        let history = Arc::new(History::with_limits(4, 10));
        let (mut slow, _tx) = watch(&history, 0);
        for rv in 1..=11 {
            history.push(change(rv));
        }
        assert_eq!(history.len(), 10);
        assert!(matches!(slow.next().await, Some(WatchItem::Gone)));
    }

    #[test]
    fn a_dropped_watcher_holds_nothing() {
        let history = Arc::new(History::with_limits(4, 100));
        let (slow, _tx) = watch(&history, 0);
        history.push(change(1));
        drop(slow);
        for rv in 2..=10 {
            history.push(change(rv));
        }
        assert_eq!(history.len(), 4);
        assert!(
            matches!(history.reader(None, 1, 10), Err(6)),
            "6 is the oldest start"
        );
    }

    #[tokio::test]
    async fn a_watcher_of_a_quiet_kind_holds_nothing_and_misses_nothing() {
        let history = Arc::new(History::with_limits(4, 100));
        let (mut pods, _tx) = watch_kind(&history, Some(Kind::Pod), 0);
        for rv in 1..=20 {
            history.push(change(rv));
        }
        assert_eq!(history.len(), 4, "config maps are not the pod watcher's");
        let mut pod = change(21);
        pod.object = Arc::new(Object::from(k8s_openapi::api::core::v1::Pod {
            metadata: ObjectMeta {
                name: Some("p".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            ..Default::default()
        }));
        history.push(pod);
        assert_eq!(next_rv(&mut pods).await, Some(21));
    }

    #[tokio::test]
    async fn a_watcher_of_one_kind_that_missed_a_change_of_it_relists() {
        let history = Arc::new(History::with_limits(4, 10));
        let (mut config_maps, _tx) = watch_kind(&history, Some(Kind::ConfigMap), 0);
        for rv in 1..=11 {
            history.push(change(rv));
        }
        assert!(matches!(config_maps.next().await, Some(WatchItem::Gone)));
    }
}
