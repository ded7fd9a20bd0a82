//! Events expire an hour after they were last seen, as with upstream's
//! default `--event-ttl`, so a long-running cluster does not keep them all.

use std::time::Duration;

use k8s_openapi::api::core::v1::Event;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::Kind;
use crate::store::{DeleteOptions, ListFilter, Store, StoreError};

/// How long an event is kept after its last occurrence.
pub const EVENT_TTL: Duration = Duration::from_secs(3600);
/// How often expired events are swept; an event lives at most this much
/// past its TTL.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Sweeps expired events until `cancel` fires.
pub fn spawn(store: Store, cancel: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tick.tick() => {
                    if let Err(error) = sweep(&store) {
                        tracing::debug!(%error, "expiring events");
                    }
                }
            }
        }
    })
}

/// Deletes events last seen longer than [`EVENT_TTL`] ago; returns how many.
pub fn sweep(store: &Store) -> Result<usize, StoreError> {
    let ttl = EVENT_TTL.as_secs() as i64;
    let mut removed = 0;
    // The store's own objects, borrowed: 50k events are not copied each sweep.
    let listed = store.list(Kind::Event, None, &ListFilter::default()).items;
    for event in listed.iter().filter_map(|o| o.as_typed::<Event>()) {
        let last = event
            .last_timestamp
            .as_ref()
            .or(event.first_timestamp.as_ref())
            .or(event.metadata.creation_timestamp.as_ref());
        if last.is_none_or(|t| crate::clock::seconds_since(t) < ttl) {
            continue;
        }
        let namespace = event.metadata.namespace.as_deref().unwrap_or("");
        let name = event.metadata.name.as_deref().unwrap_or("");
        match store.delete(Kind::Event, namespace, name, &DeleteOptions::default()) {
            Ok(_) => removed += 1,
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventRecorder, EventType};
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    #[tokio::test(start_paused = true)]
    async fn events_expire_an_hour_after_they_were_last_seen() {
        let store = Store::in_memory_with_default_namespace();
        let object = store
            .create(ConfigMap {
                metadata: ObjectMeta {
                    name: Some("c".into()),
                    namespace: Some("default".into()),
                    ..Default::default()
                },
                ..Default::default()
            })
            .expect("configmap");
        let recorder = EventRecorder::new(store.clone(), "test", None);
        recorder.record(&object, EventType::Normal, "Old", "first");
        tokio::time::advance(Duration::from_secs(1800)).await;
        recorder.record(&object, EventType::Normal, "Recent", "second");
        tokio::time::advance(Duration::from_secs(1801)).await;

        assert_eq!(sweep(&store).expect("sweep"), 1);
        let left: Vec<String> = store
            .list_as::<Event>(None, &ListFilter::default())
            .into_iter()
            .filter_map(|e| e.reason)
            .collect();
        assert_eq!(left, ["Recent"]);
    }
}
