//! Watches as chunked JSON lines: the current objects as ADDED (when no
//! resourceVersion is given), then every change, BOOKMARKs on request,
//! and an ERROR event with a 410 Status when history is lost.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use serde_json::json;

use super::crud::{Call, list_filter};
use super::encode;
use super::http::{Body, streaming_response};
use super::routes::ResourcePath;
use super::status::ApiError;
use crate::api::Object;
use crate::store::{EventType, ListFilter, Store, StoreError, WatchItem};

const BOOKMARK_INTERVAL: Duration = Duration::from_secs(5);

struct Watcher {
    path: ResourcePath,
    filter: ListFilter,
    table: bool,
    tx: tokio::sync::mpsc::Sender<Bytes>,
    /// With a label or field selector: the objects (namespace, name) the
    /// client currently sees, so an object leaving the selection is sent as
    /// DELETED and one entering it as ADDED, as upstream does.
    selected: Option<HashSet<(String, String)>>,
}

fn key(object: &Object) -> (String, String) {
    (object.namespace().to_string(), object.name().to_string())
}

impl Watcher {
    fn in_scope(&self, object: &Object) -> bool {
        let namespace_ok = self
            .path
            .namespace
            .as_deref()
            .is_none_or(|ns| object.namespace() == ns);
        let name_ok = self.path.name.as_deref().is_none_or(|n| object.name() == n);
        namespace_ok && name_ok
    }

    fn wants(&self, object: &Object) -> bool {
        self.in_scope(object) && self.filter.matches(object)
    }

    /// Remembers what the client sees (selector watches only).
    fn seed(&mut self, objects: &[Arc<Object>]) {
        if let Some(selected) = &mut self.selected {
            selected.extend(objects.iter().map(|o| key(o)));
        }
    }

    /// The event type to send for a change, or None to skip it.
    fn classify(&mut self, event_type: EventType, object: &Object) -> Option<&'static str> {
        if !self.in_scope(object) {
            return None;
        }
        let matches = self.filter.matches(object);
        let Some(selected) = &mut self.selected else {
            return matches.then_some(event_type.as_str());
        };
        let was = selected.contains(&key(object));
        match (event_type, was, matches) {
            (EventType::Deleted, true, _) => {
                selected.remove(&key(object));
                Some("DELETED")
            }
            (EventType::Deleted, false, _) => None,
            (_, false, true) => {
                selected.insert(key(object));
                Some("ADDED")
            }
            (_, true, true) => Some(event_type.as_str()),
            (_, true, false) => {
                selected.remove(&key(object));
                Some("DELETED")
            }
            (_, false, false) => None,
        }
    }

    fn encode(&self, event_type: &str, object: &Arc<Object>) -> Bytes {
        let body = if self.table {
            encode::value_bytes(&super::table::table(
                object.kind(),
                std::slice::from_ref(object),
                object.resource_version(),
            ))
        } else {
            encode::object_bytes(object, &self.path)
        };
        Bytes::from(encode::event_line(event_type, &body))
    }

    /// Sends one line; false when the client has gone.
    async fn send(&self, line: Bytes) -> bool {
        self.tx.send(line).await.is_ok()
    }

    async fn send_gone(&self, message: String) {
        let status = ApiError::new(410, "Expired", message).to_status();
        let line = encode::event_line("ERROR", &encode::value_bytes(&status));
        self.send(Bytes::from(line)).await;
    }

    fn bookmark(&self, resource_version: u64) -> Bytes {
        let info = self.path.kind.info();
        let object = json!({
            "kind": info.kind_name,
            "apiVersion": self.path.api_version(),
            "metadata": {
                "resourceVersion": resource_version.to_string(),
                "annotations": {"k8s.io/initial-events-end": "true"},
            },
        });
        Bytes::from(encode::event_line(
            "BOOKMARK",
            &encode::value_bytes(&object),
        ))
    }
}

pub fn serve(call: &Call) -> Result<Response<Body>, ApiError> {
    let filter = list_filter(call.query)?;
    let since =
        match call.query.get("resourceVersion") {
            None | Some("") | Some("0") => None,
            Some(text) => Some(text.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("invalid resource version: {text:?}"))
            })?),
        };
    let timeout = call
        .query
        .int("timeoutSeconds")?
        .map(|s| Duration::from_secs(s.max(0) as u64));
    let bookmarks = call.query.flag("allowWatchBookmarks");
    let (tx, response) = streaming_response("application/json");
    let selected = (filter.labels.is_some() || filter.fields.is_some()).then(HashSet::new);
    let watcher = Watcher {
        path: call.path.clone(),
        selected,
        filter,
        table: call.table,
        tx,
    };
    let store = call.state.store.clone();
    let cancel = call.state.cancel.clone();
    tokio::spawn(async move {
        let run = run(store, watcher, since, bookmarks);
        match timeout {
            Some(limit) => {
                tokio::select! {
                    _ = run => {}
                    _ = tokio::time::sleep(limit) => {}
                    _ = cancel.cancelled() => {}
                }
            }
            None => {
                tokio::select! {
                    _ = run => {}
                    _ = cancel.cancelled() => {}
                }
            }
        }
    });
    Ok(response)
}

async fn run(store: Store, mut watcher: Watcher, since: Option<u64>, bookmarks: bool) {
    let kind = watcher.path.kind;
    let start = match since {
        None => {
            // Upstream's "get state and start at most recent": the current
            // objects as ADDED, then changes after the list.
            let listed = store.list(kind, watcher.path.namespace.as_deref(), &watcher.filter);
            for object in listed.items.iter().filter(|o| watcher.wants(o)) {
                if !watcher.send(watcher.encode("ADDED", object)).await {
                    return;
                }
            }
            let listed_rv = listed.resource_version;
            let items: Vec<Arc<Object>> = listed
                .items
                .into_iter()
                .filter(|o| watcher.wants(o))
                .collect();
            watcher.seed(&items);
            listed_rv
        }
        Some(rv) => {
            // Resuming: what matches now stands in for what the client saw.
            if watcher.selected.is_some() {
                let current = store.list(kind, watcher.path.namespace.as_deref(), &watcher.filter);
                let items: Vec<Arc<Object>> = current
                    .items
                    .into_iter()
                    .filter(|o| watcher.wants(o))
                    .collect();
                watcher.seed(&items);
            }
            rv
        }
    };
    let mut watch = match store.watch(Some(kind), Some(start)) {
        Ok(watch) => watch,
        Err(error @ StoreError::Gone { .. }) => {
            watcher.send_gone(error.to_string()).await;
            return;
        }
        Err(error) => {
            let status = ApiError::from_store(error).to_status();
            let line = encode::event_line("ERROR", &encode::value_bytes(&status));
            watcher.send(Bytes::from(line)).await;
            return;
        }
    };
    let mut ticker = tokio::time::interval(BOOKMARK_INTERVAL);
    ticker.tick().await;
    loop {
        tokio::select! {
            item = watch.next() => match item {
                Some(WatchItem::Event(event)) => {
                    let Some(event_type) = watcher.classify(event.event_type, &event.object) else {
                        continue;
                    };
                    let line = watcher.encode(event_type, &event.object);
                    if !watcher.send(line).await {
                        return;
                    }
                }
                Some(WatchItem::Gone) => {
                    watcher
                        .send_gone(format!(
                            "too old resource version: {} (the watch fell behind)",
                            watch.resource_version()
                        ))
                        .await;
                    return;
                }
                None => return,
            },
            _ = ticker.tick(), if bookmarks => {
                if !watcher.send(watcher.bookmark(watch.resource_version())).await {
                    return;
                }
            }
            _ = watcher.tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Kind;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn watcher(namespace: Option<&str>, selecting: bool) -> Watcher {
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        Watcher {
            path: ResourcePath {
                kind: Kind::ConfigMap,
                version: "v1".into(),
                namespace: namespace.map(str::to_string),
                name: None,
                subresource: None,
                watch_prefix: false,
            },
            filter: ListFilter::default(),
            table: false,
            tx,
            selected: selecting.then(HashSet::new),
        }
    }

    fn cm(namespace: &str) -> Object {
        Object::from(ConfigMap {
            metadata: ObjectMeta {
                name: Some("c".into()),
                namespace: Some(namespace.into()),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    #[test]
    fn other_namespaces_are_skipped() {
        let mut w = watcher(Some("default"), false);
        assert_eq!(w.classify(EventType::Added, &cm("other")), None);
        assert_eq!(
            w.classify(EventType::Modified, &cm("default")),
            Some("MODIFIED")
        );
    }

    #[test]
    fn selector_watches_track_what_the_client_saw() {
        let mut w = watcher(None, true);
        // First sight of a matching object is an ADDED for this client.
        assert_eq!(
            w.classify(EventType::Modified, &cm("default")),
            Some("ADDED")
        );
        assert_eq!(
            w.classify(EventType::Modified, &cm("default")),
            Some("MODIFIED")
        );
        assert_eq!(
            w.classify(EventType::Deleted, &cm("default")),
            Some("DELETED")
        );
        assert_eq!(w.classify(EventType::Deleted, &cm("default")), None);
    }
}
