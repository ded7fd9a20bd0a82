//! The event recorder: writes core/v1 Events the way upstream components
//! do, aggregating repeats into one object with a count and first/last
//! timestamps (what `kubectl describe` prints as "x3 over 9m41s").

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use parking_lot::Mutex;

use crate::api::Object;
use crate::store::{Store, UpdateScope};

/// Event keys remembered for aggregation, as upstream's LRU size.
const MAX_AGGREGATION_KEYS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// Records events on behalf of one component ("kubelet",
/// "default-scheduler", "deployment-controller" ...).
#[derive(Clone)]
pub struct EventRecorder {
    store: Store,
    component: String,
    host: Option<String>,
    /// Hash of the aggregation key → (namespace, event name) of the event
    /// that counts repeats. A hash rather than the key itself (component,
    /// object, reason, message …): thousands of pods each leave a few
    /// keys, and the hash is 8 bytes.
    seen: Arc<Mutex<HashMap<u64, (String, String)>>>,
}

impl EventRecorder {
    pub fn new(store: Store, component: &str, host: Option<&str>) -> EventRecorder {
        EventRecorder {
            store,
            component: component.to_string(),
            host: host.map(str::to_string),
            seen: Arc::default(),
        }
    }

    /// Records an event about `object`.
    pub fn record(&self, object: &Object, event_type: EventType, reason: &str, message: &str) {
        self.record_at(object, None, event_type, reason, message);
    }

    /// Records an event about part of `object`, e.g. `spec.containers{nginx}`.
    pub fn record_at(
        &self,
        object: &Object,
        field_path: Option<&str>,
        event_type: EventType,
        reason: &str,
        message: &str,
    ) {
        let involved = object_reference(object, field_path);
        let key = aggregation_key(&[
            &self.component,
            self.host.as_deref().unwrap_or(""),
            involved.kind.as_deref().unwrap_or(""),
            involved.namespace.as_deref().unwrap_or(""),
            involved.name.as_deref().unwrap_or(""),
            involved.uid.as_deref().unwrap_or(""),
            field_path.unwrap_or(""),
            event_type.as_str(),
            reason,
            message,
        ]);
        let now = crate::clock::now_time();

        let existing = self.seen.lock().get(&key).cloned();
        if let Some((namespace, name)) = existing {
            let bumped =
                self.store
                    .mutate::<Event>(&namespace, &name, UpdateScope::Main, |event| {
                        event.count = Some(event.count.unwrap_or(1) + 1);
                        event.last_timestamp = Some(now.clone());
                        true
                    });
            match bumped {
                Ok(Some(_)) => return,
                Ok(None) => {} // expired or deleted: start a new one
                Err(error) => {
                    tracing::debug!(%error, reason, "could not update an event");
                    return;
                }
            }
        }

        let namespace = involved
            .namespace
            .clone()
            .filter(|ns| !ns.is_empty())
            .unwrap_or_else(|| "default".to_string());
        let name = format!(
            "{}.{:x}",
            involved.name.as_deref().unwrap_or("unknown"),
            unique_nanos()
        );
        let event = Event {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.clone()),
                ..ObjectMeta::default()
            },
            involved_object: involved,
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            type_: Some(event_type.as_str().to_string()),
            count: Some(1),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            source: Some(EventSource {
                component: Some(self.component.clone()),
                host: self.host.clone(),
            }),
            reporting_component: Some(self.component.clone()),
            reporting_instance: Some(self.host.clone().unwrap_or_else(|| "podium".to_string())),
            ..Event::default()
        };
        match self.store.create(event) {
            Ok(_) => {
                let mut seen = self.seen.lock();
                // Upstream's correlator remembers 4,096 keys; past that a
                // repeat starts a new Event instead of counting on.
                if seen.len() >= MAX_AGGREGATION_KEYS {
                    seen.clear();
                }
                seen.insert(key, (namespace, name));
            }
            Err(error) => tracing::debug!(%error, reason, "could not record an event"),
        }
    }
}

/// A 64-bit hash of the parts that make two events the same.
fn aggregation_key(parts: &[&str]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    // Hashing each part with its length keeps ("ab","c") apart from ("a","bc").
    parts.hash(&mut hasher);
    hasher.finish()
}

/// Now in nanoseconds, strictly increasing across calls: with paused test
/// time (or a coarse clock) two events in one instant must not share a name.
fn unique_nanos() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = u64::try_from(crate::clock::now().as_nanosecond()).unwrap_or(0);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// A reference to `object` as events and ownerReferences name it.
pub fn object_reference(object: &Object, field_path: Option<&str>) -> ObjectReference {
    let info = object.kind().info();
    let meta = object.meta();
    ObjectReference {
        api_version: Some(info.api_version()),
        kind: Some(info.kind_name.to_string()),
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        uid: meta.uid.clone(),
        resource_version: meta.resource_version.clone(),
        field_path: field_path.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Kind;
    use crate::store::ListFilter;
    use k8s_openapi::api::core::v1::Pod;

    #[test]
    fn repeats_aggregate_into_one_event() {
        let store = Store::in_memory_with_default_namespace();
        let pod = store
            .create(Pod {
                metadata: ObjectMeta {
                    name: Some("p".into()),
                    namespace: Some("default".into()),
                    ..Default::default()
                },
                ..Default::default()
            })
            .expect("pod");
        let recorder = EventRecorder::new(store.clone(), "kubelet", Some("node-1"));
        for _ in 0..3 {
            recorder.record(&pod, EventType::Warning, "BackOff", "Back-off restarting");
        }
        recorder.record(&pod, EventType::Normal, "Started", "Started container c");
        let events = store.list_as::<Event>(Some("default"), &ListFilter::default());
        assert_eq!(events.len(), 2);
        let backoff = events
            .iter()
            .find(|e| e.reason.as_deref() == Some("BackOff"))
            .expect("backoff event");
        assert_eq!(backoff.count, Some(3));
        assert_eq!(backoff.involved_object.kind.as_deref(), Some("Pod"));
        assert_eq!(Kind::Event.info().plural, "events");
    }
}
