//! A kube-rs style runner: a deduplicating work queue keyed by
//! [`ObjectKey`], fed by a store watch, one reconcile at a time (so never
//! two for the same key), with requeue delays and error back-off.
//!
//! An expensive reconcile (a ReplicaSet of 10k pods counts them all) is
//! paced: the same key runs again only after a pause a few times as long
//! as the reconcile took, so a stream of changes to its pods makes it
//! catch up in batches instead of taking a core for itself.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ControllerError;
use crate::api::Kind;
use crate::store::{ObjectKey, Store, StoreError, Watch, WatchEvent, WatchItem};

/// First back-off after an error; doubles per consecutive failure.
const BACKOFF_BASE: Duration = Duration::from_millis(5);
/// Longest back-off after repeated errors.
const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// Reconciles cheaper than this are never paced.
const PACE_THRESHOLD: Duration = Duration::from_millis(1);
/// An expensive reconcile of a key waits this many times its own duration
/// before the key runs again (so it takes at most a fifth of a core) ...
const PACE_FACTOR: u32 = 4;
/// ... but never longer than this: a reconcile that did a lot of work
/// (created 500 pods) should go on soon.
const PACE_MAX: Duration = Duration::from_millis(100);

/// One controller's logic.
pub trait Reconciler: Send + Sync + 'static {
    /// For logs.
    fn name(&self) -> &'static str;
    /// The kinds whose changes can matter (`None`: every kind); the runner
    /// sleeps through the others.
    fn kinds(&self) -> Option<&'static [Kind]> {
        None
    }
    /// The keys a change to some object should (re)reconcile.
    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey>;
    /// Every key to reconcile at start and after a relist.
    fn all_keys(&self) -> Vec<ObjectKey>;
    /// Brings the world in line for `key`; `Some(delay)` asks to run again
    /// later (`Some(ZERO)`: at once, there is more to do).
    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError>;
}

/// Runs `reconciler` until `cancel` fires.
pub fn spawn<R: Reconciler>(
    store: Store,
    reconciler: R,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(run(store, Arc::new(reconciler), cancel))
}

/// FIFO of distinct keys.
#[derive(Default)]
struct WorkQueue {
    order: VecDeque<ObjectKey>,
    queued: HashSet<ObjectKey>,
}

impl WorkQueue {
    fn push(&mut self, key: ObjectKey) {
        if self.queued.insert(key.clone()) {
            self.order.push_back(key);
        }
    }

    fn pop(&mut self) -> Option<ObjectKey> {
        let key = self.order.pop_front()?;
        self.queued.remove(&key);
        Some(key)
    }
}

#[derive(Default)]
struct RunnerState {
    queue: WorkQueue,
    /// Keys to queue again at a given instant (earliest wins).
    scheduled: HashMap<ObjectKey, Instant>,
    failures: HashMap<ObjectKey, u32>,
    /// Keys whose last reconcile was expensive: not again before this.
    paced: HashMap<ObjectKey, Instant>,
}

impl RunnerState {
    /// The next key to reconcile now; a paced key goes back to wait.
    fn next_key(&mut self) -> Option<ObjectKey> {
        let now = Instant::now();
        while let Some(key) = self.queue.pop() {
            match self.paced.get(&key) {
                Some(&until) if now < until => {
                    let entry = self.scheduled.entry(key).or_insert(until);
                    *entry = (*entry).min(until);
                }
                Some(_) => {
                    self.paced.remove(&key);
                    return Some(key);
                }
                None => return Some(key),
            }
        }
        None
    }

    fn schedule(&mut self, key: ObjectKey, delay: Duration) {
        let at = Instant::now() + delay;
        let entry = self.scheduled.entry(key).or_insert(at);
        if at < *entry {
            *entry = at;
        }
    }

    fn next_due(&self) -> Option<Instant> {
        self.scheduled.values().min().copied()
    }

    fn release_due(&mut self) {
        let now = Instant::now();
        self.paced.retain(|_, until| *until > now);
        let due: Vec<ObjectKey> = self
            .scheduled
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.scheduled.remove(&key);
            self.queue.push(key);
        }
    }
}

async fn run<R: Reconciler>(store: Store, reconciler: Arc<R>, cancel: CancellationToken) {
    let Ok(mut watch) = watch_from_now(&store, &*reconciler) else {
        tracing::error!(controller = reconciler.name(), "cannot watch the store");
        return;
    };
    let mut state = RunnerState::default();
    for key in reconciler.all_keys() {
        state.queue.push(key);
    }
    loop {
        if cancel.is_cancelled() {
            return;
        }
        // Take in everything already waiting so repeated changes collapse.
        while let Some(item) = watch.next().now_or_never() {
            if !handle_item(&store, &*reconciler, &mut watch, &mut state, item) {
                return;
            }
        }
        state.release_due();
        if let Some(key) = state.next_key() {
            reconcile_one(&*reconciler, &mut state, key);
            tokio::task::yield_now().await;
            continue;
        }
        let due = state.next_due();
        tokio::select! {
            _ = cancel.cancelled() => return,
            item = watch.next() => {
                if !handle_item(&store, &*reconciler, &mut watch, &mut state, item) {
                    return;
                }
            }
            _ = sleep_until_opt(due) => {}
        }
    }
}

/// A watch from now of the kinds the reconciler cares about.
fn watch_from_now<R: Reconciler>(store: &Store, reconciler: &R) -> Result<Watch, StoreError> {
    match reconciler.kinds() {
        Some(kinds) => store.watch_kinds(kinds, None),
        None => store.watch(None, None),
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Queues the keys an item concerns; false when the store is gone.
fn handle_item<R: Reconciler>(
    store: &Store,
    reconciler: &R,
    watch: &mut Watch,
    state: &mut RunnerState,
    item: Option<WatchItem>,
) -> bool {
    match item {
        None => false,
        Some(WatchItem::Event(event)) => {
            for key in reconciler.keys_for_event(&event) {
                state.queue.push(key);
            }
            true
        }
        Some(WatchItem::Gone) => {
            match watch_from_now(store, reconciler) {
                Ok(fresh) => *watch = fresh,
                Err(error) => {
                    tracing::error!(%error, controller = reconciler.name(), "cannot rewatch");
                    return false;
                }
            }
            for key in reconciler.all_keys() {
                state.queue.push(key);
            }
            true
        }
    }
}

fn reconcile_one<R: Reconciler>(reconciler: &R, state: &mut RunnerState, key: ObjectKey) {
    let started = std::time::Instant::now();
    let result = reconciler.reconcile(&key);
    let took = started.elapsed();
    // A reconcile that asks to run again at once has more work queued up
    // (a ReplicaSet's next burst of creates): it is not paced.
    let more_now = matches!(result, Ok(Some(delay)) if delay.is_zero());
    if took >= PACE_THRESHOLD && !more_now {
        state.paced.insert(
            key.clone(),
            Instant::now() + (took * PACE_FACTOR).min(PACE_MAX),
        );
    }
    match result {
        Ok(requeue) => {
            state.failures.remove(&key);
            if let Some(delay) = requeue {
                state.schedule(key, delay);
            }
        }
        Err(error) => {
            let failures = state.failures.entry(key.clone()).or_insert(0);
            *failures += 1;
            let delay = backoff(*failures);
            tracing::debug!(%error, controller = reconciler.name(), ?key, ?delay, "reconcile failed");
            state.schedule(key, delay);
        }
    }
}

/// Exponential back-off: 5 ms, 10 ms, 20 ms ... at most 60 s.
pub fn backoff(failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
    BACKOFF_BASE.saturating_mul(factor).min(BACKOFF_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_deduplicates_keys() {
        let mut queue = WorkQueue::default();
        let a = ObjectKey::new(Kind::Pod, "default", "a");
        let b = ObjectKey::new(Kind::Pod, "default", "b");
        queue.push(a.clone());
        queue.push(b.clone());
        queue.push(a.clone());
        assert_eq!(queue.pop(), Some(a.clone()));
        queue.push(a.clone());
        assert_eq!(queue.pop(), Some(b));
        assert_eq!(queue.pop(), Some(a));
        assert_eq!(queue.pop(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_key_waits_for_its_turn() {
        let mut state = RunnerState::default();
        let key = ObjectKey::new(Kind::ReplicaSet, "default", "big");
        let until = Instant::now() + Duration::from_millis(20);
        state.paced.insert(key.clone(), until);
        state.queue.push(key.clone());
        assert_eq!(state.next_key(), None, "not before its pause ends");
        assert_eq!(state.next_due(), Some(until));
        tokio::time::sleep(Duration::from_millis(20)).await;
        state.release_due();
        assert_eq!(state.next_key(), Some(key));
        assert!(state.paced.is_empty());
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(5));
        assert_eq!(backoff(2), Duration::from_millis(10));
        assert_eq!(backoff(4), Duration::from_millis(40));
        assert_eq!(backoff(40), BACKOFF_MAX);
    }
}
