//! Watch streams over the store's change history.
//!
//! The history is one ring of recent changes, as upstream's watch cache:
//! each watcher reads from it at its own pace. The ring keeps the latest
//! [`RESUMABLE`] changes (so that a client can list, then watch from the
//! list's resourceVersion) and, beyond those, whatever a live watcher has
//! yet to read, up to [`MAX_BEHIND`]; a watcher further behind than that
//! is told to list again (410 Gone). Nothing else keeps old versions of
//! objects alive, so once every watcher has caught up they are freed.
//!
//! A watcher names the kinds it wants and is woken only by changes of
//! those (a kubelet sleeps through the Events written about its pods); it
//! holds the ring only for changes of its kinds, and may start from any
//! resourceVersion after which no change of its kinds has left the ring.
//! A list through the API keeps the changes of its kind for
//! [`RESUME_HOLD`], so that the client's watch from the list's version
//! finds them however busy the store is meanwhile (10k pods starting).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Notify;

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
    /// The object before this change (none for a creation): a watch with
    /// a selector tells from the pair whether the client saw it enter,
    /// change or leave its selection, as upstream's watch cache does.
    pub previous: Option<Arc<Object>>,
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
pub(super) const RESUMABLE: usize = 1_024;
/// Changes kept for a watcher that falls behind; past this it gets Gone.
/// Upstream's watch cache grows to the same bound.
pub(super) const MAX_BEHIND: usize = 100_000;

/// How long the changes after a list are kept for the watch that follows.
pub(super) const RESUME_HOLD: Duration = Duration::from_secs(10);

/// Events copied out of the ring per visit, so a watcher takes the lock
/// once per batch rather than once per event.
const READ_BATCH: usize = 256;

/// A set of kinds, as a watcher wants them. Kinds grow at run time (CRDs),
/// so "all" is its own case rather than a full set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum KindSet {
    All,
    Of(Arc<[Kind]>),
}

impl KindSet {
    pub const ALL: KindSet = KindSet::All;

    pub fn of(kinds: &[Kind]) -> KindSet {
        KindSet::Of(kinds.into())
    }

    pub fn contains(&self, kind: Kind) -> bool {
        match self {
            KindSet::All => true,
            KindSet::Of(kinds) => kinds.contains(&kind),
        }
    }

    /// The single kind in the set, if it holds exactly one.
    fn single(&self) -> Option<Kind> {
        match self {
            KindSet::Of(kinds) if kinds.len() == 1 => Some(kinds[0]),
            _ => None,
        }
    }
}

/// The latest changes and the live watchers reading them.
pub(super) struct History {
    ring: Mutex<Ring>,
    resumable: usize,
    max_behind: usize,
    /// The store is gone: watchers end.
    closed: AtomicBool,
}

#[derive(Default)]
struct Ring {
    /// One change per resourceVersion, oldest first, consecutive, with
    /// its kind at hand (watchers of other kinds skip it).
    events: VecDeque<(Kind, WatchEvent)>,
    /// The live watchers; the ring forgets one whose `Watch` is gone.
    readers: Vec<Arc<Reader>>,
    /// The latest change when the store opened: nothing before it can be
    /// watched, of any kind.
    opened_at: u64,
    /// Per kind, the newest change dropped from the ring: a watcher of
    /// that kind positioned before it has missed it.
    dropped: HashMap<Kind, u64>,
    /// Changes kept for a watch that follows a list.
    holds: Vec<Hold>,
}

/// Changes of `kinds` after `after` kept until `until`.
struct Hold {
    kinds: KindSet,
    after: u64,
    until: Instant,
}

/// One watcher as the ring sees it.
struct Reader {
    kinds: KindSet,
    /// The last resourceVersion the watcher read.
    position: AtomicU64,
    /// Woken for each change of its kinds (a permit is kept if it is busy).
    wake: Notify,
}

impl Ring {
    /// Whether a live watcher has yet to read this change, or a list
    /// holds it. A watcher of other kinds never will: it does not hold
    /// the ring.
    fn needed(&self, kind: Kind, resource_version: u64) -> bool {
        self.readers.iter().any(|r| {
            r.kinds.contains(kind) && r.position.load(Ordering::Relaxed) < resource_version
        }) || self
            .holds
            .iter()
            .any(|h| h.kinds.contains(kind) && h.after < resource_version)
    }

    /// The oldest resourceVersion a watch of `kinds` may start from.
    fn floor(&self, kinds: &KindSet) -> u64 {
        self.dropped
            .iter()
            .filter(|(k, _)| kinds.contains(**k))
            .map(|(_, rv)| *rv)
            .max()
            .unwrap_or(0)
            .max(self.opened_at)
    }

    /// Drops changes that are neither among the `resumable` latest nor
    /// still to be read by a watcher at most `max_behind` changes behind.
    fn prune(&mut self, resumable: usize, max_behind: usize) {
        if self.events.len() <= resumable {
            return;
        }
        self.readers.retain(|r| Arc::strong_count(r) > 1);
        let now = Instant::now();
        self.holds.retain(|h| h.until > now);
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

    /// Whether a change of `kinds` after `position` has been dropped.
    fn missed(&self, kinds: &KindSet, position: u64) -> bool {
        position < self.floor(kinds)
    }
}

/// What a read from the ring found.
enum Read {
    /// Events were copied (possibly none that the watcher wants).
    Progress,
    /// Nothing after the watcher's position yet.
    UpToDate,
    /// A change the watcher wants has left the ring unread.
    Gone,
}

impl History {
    /// The history of a store whose latest change is `current`: nothing
    /// before it can be watched.
    pub(super) fn starting_at(current: u64) -> History {
        History::with_limits(current, RESUMABLE, MAX_BEHIND)
    }

    pub(super) fn with_limits(current: u64, resumable: usize, max_behind: usize) -> History {
        History {
            ring: Mutex::new(Ring {
                opened_at: current,
                ..Ring::default()
            }),
            resumable,
            max_behind: max_behind.max(resumable),
            closed: AtomicBool::new(false),
        }
    }

    /// Keeps the changes of `kinds` after `after` for [`RESUME_HOLD`].
    pub(super) fn hold(&self, kinds: KindSet, after: u64) {
        self.ring.lock().holds.push(Hold {
            kinds,
            after,
            until: Instant::now() + RESUME_HOLD,
        });
    }

    /// Appends a change; resourceVersions arrive one by one, in order.
    /// Watchers are woken separately, by [`History::wake`].
    pub(super) fn push(&self, event: WatchEvent) {
        let kind = event.object.kind();
        let mut ring = self.ring.lock();
        ring.events.push_back((kind, event));
        ring.prune(self.resumable, self.max_behind);
    }

    /// Wakes the watchers of `kind`.
    pub(super) fn wake(&self, kind: Kind) {
        for reader in self.ring.lock().readers.iter() {
            if reader.kinds.contains(kind) {
                reader.wake.notify_one();
            }
        }
    }

    /// Ends every watch: the store is gone.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        for reader in self.ring.lock().readers.iter() {
            reader.wake.notify_one();
        }
    }

    /// A watcher of `kinds` positioned at `since`, or the oldest
    /// resourceVersion a watch of them may start from when `since` is older.
    pub(super) fn watch(self: &Arc<Self>, kinds: KindSet, since: u64) -> Result<Watch, u64> {
        let mut ring = self.ring.lock();
        let floor = ring.floor(&kinds);
        if since < floor {
            return Err(floor);
        }
        let reader = Arc::new(Reader {
            kinds: kinds.clone(),
            position: AtomicU64::new(since),
            wake: Notify::new(),
        });
        ring.readers.push(reader.clone());
        Ok(Watch {
            kinds,
            history: self.clone(),
            reader,
            buffer: VecDeque::new(),
            last_rv: since,
        })
    }

    /// How many changes the ring holds (for tests).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.ring.lock().events.len()
    }

    /// Copies up to [`READ_BATCH`] events after the reader's position that
    /// it wants into `out`, moving its position past everything examined.
    fn read_after(&self, reader: &Reader, out: &mut VecDeque<WatchEvent>) -> Read {
        let ring = self.ring.lock();
        let after = reader.position.load(Ordering::Relaxed);
        if ring.missed(&reader.kinds, after) {
            return Read::Gone;
        }
        let Some(first) = ring.events.front().map(|(_, e)| e.resource_version) else {
            return Read::UpToDate;
        };
        // resourceVersions are consecutive, so the position is an index
        // (past changes of other kinds the ring has dropped).
        let start = usize::try_from((after + 1).max(first) - first).unwrap_or(usize::MAX);
        if start >= ring.events.len() {
            return Read::UpToDate;
        }
        let mut last = after;
        for (kind, event) in ring.events.range(start..).take(READ_BATCH) {
            last = event.resource_version;
            if reader.kinds.contains(*kind) {
                out.push_back(event.clone());
            }
        }
        reader.position.store(last, Ordering::Relaxed);
        Read::Progress
    }
}

/// A stream of changes of some kinds. Starts after the requested
/// resourceVersion and follows later changes with no gap.
pub struct Watch {
    kinds: KindSet,
    history: Arc<History>,
    reader: Arc<Reader>,
    /// Events read from the ring, not yet handed out.
    buffer: VecDeque<WatchEvent>,
    /// The resourceVersion of the last event handed out (or the start).
    last_rv: u64,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("kind", &self.kinds.single())
            .field("last_rv", &self.last_rv)
            .finish_non_exhaustive()
    }
}

impl Watch {
    /// The next change; `None` when the store is dropped. Cancel-safe.
    pub async fn next(&mut self) -> Option<WatchItem> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.last_rv = event.resource_version;
                return Some(WatchItem::Event(event));
            }
            let read = self.history.read_after(&self.reader, &mut self.buffer);
            if self.buffer.is_empty() {
                // Everything read so far was of other kinds: seen.
                self.last_rv = self.reader.position.load(Ordering::Relaxed);
            }
            match read {
                Read::Progress => {}
                Read::Gone => return Some(WatchItem::Gone),
                Read::UpToDate => {
                    if self.history.closed.load(Ordering::Acquire) {
                        return None;
                    }
                    // A change after the read left a permit: no wake is lost.
                    self.reader.wake.notified().await;
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
            previous: None,
            resource_version: rv,
        }
    }

    /// Adds a change and wakes its watchers, as a commit does.
    fn push(history: &History, event: WatchEvent) {
        let kind = event.object.kind();
        history.push(event);
        history.wake(kind);
    }

    fn watch(history: &Arc<History>, since: u64) -> Watch {
        watch_kind(history, None, since)
    }

    fn watch_kind(history: &Arc<History>, kind: Option<Kind>, since: u64) -> Watch {
        let kinds = kind.map_or(KindSet::ALL, |k| KindSet::of(&[k]));
        history.watch(kinds, since).expect("resumable")
    }

    async fn next_rv(watch: &mut Watch) -> Option<u64> {
        match watch.next().await {
            Some(WatchItem::Event(event)) => Some(event.resource_version),
            _ => None,
        }
    }

    #[tokio::test]
    async fn a_slow_watcher_keeps_what_it_has_not_read_and_then_lets_go() {
        let history = Arc::new(History::with_limits(0, 4, 100));
        let mut slow = watch(&history, 0);
        for rv in 1..=20 {
            push(&history, change(rv));
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
        let history = Arc::new(History::with_limits(0, 4, 10));
        let mut slow = watch(&history, 0);
        for rv in 1..=11 {
            push(&history, change(rv));
        }
        assert_eq!(history.len(), 10);
        assert!(matches!(slow.next().await, Some(WatchItem::Gone)));
    }

    #[test]
    fn a_dropped_watcher_holds_nothing() {
        let history = Arc::new(History::with_limits(0, 4, 100));
        let slow = watch(&history, 0);
        history.push(change(1));
        drop(slow);
        for rv in 2..=10 {
            push(&history, change(rv));
        }
        assert_eq!(history.len(), 4);
        assert!(
            matches!(history.watch(KindSet::ALL, 1), Err(6)),
            "6 is the oldest start"
        );
    }

    #[tokio::test]
    async fn a_watcher_of_a_quiet_kind_holds_nothing_and_misses_nothing() {
        let history = Arc::new(History::with_limits(0, 4, 100));
        let mut pods = watch_kind(&history, Some(Kind::Pod), 0);
        for rv in 1..=20 {
            push(&history, change(rv));
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
        push(&history, pod);
        assert_eq!(next_rv(&mut pods).await, Some(21));
    }

    #[tokio::test]
    async fn a_watcher_of_one_kind_that_missed_a_change_of_it_relists() {
        let history = Arc::new(History::with_limits(0, 4, 10));
        let mut config_maps = watch_kind(&history, Some(Kind::ConfigMap), 0);
        for rv in 1..=11 {
            push(&history, change(rv));
        }
        assert!(matches!(config_maps.next().await, Some(WatchItem::Gone)));
    }
}
