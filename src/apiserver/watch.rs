//! Watches as chunked JSON lines: the current objects as ADDED (when no
//! resourceVersion is given), then every change, BOOKMARKs on request,
//! and an ERROR event with a 410 Status when history is lost.

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
use crate::store::{EventType, ListFilter, Store, StoreError, WatchEvent, WatchItem};

const BOOKMARK_INTERVAL: Duration = Duration::from_secs(5);

struct Watcher {
    path: ResourcePath,
    filter: ListFilter,
    table: bool,
    tx: tokio::sync::mpsc::Sender<Bytes>,
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

    /// What the client is sent for a change, as upstream's watch cache
    /// decides it from the object before and after: ADDED when it enters
    /// the selection, MODIFIED while in it, DELETED (the object as it was,
    /// at the change's resourceVersion) when it leaves or is deleted.
    fn classify(&self, event: &WatchEvent) -> Option<(&'static str, Arc<Object>)> {
        let now = event.event_type != EventType::Deleted && self.wants(&event.object);
        let before = event.previous.as_deref().is_some_and(|p| self.wants(p));
        match (before, now) {
            (false, true) => Some(("ADDED", event.object.clone())),
            (true, true) => Some(("MODIFIED", event.object.clone())),
            (true, false) if event.event_type == EventType::Deleted => {
                Some(("DELETED", event.object.clone()))
            }
            (true, false) => {
                let mut left = event.previous.as_deref().cloned()?;
                left.meta_mut().resource_version = Some(event.resource_version.to_string());
                Some(("DELETED", Arc::new(left)))
            }
            (false, false) => None,
        }
    }

    fn encode(&self, event_type: &str, object: &Arc<Object>) -> Bytes {
        let body = if self.table {
            encode::value_bytes(&super::table::table_for(
                &self.path,
                std::slice::from_ref(object),
                object.resource_version(),
                super::table::IncludeObject::Metadata,
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
    let watcher = Watcher {
        path: call.path.clone(),
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

async fn run(store: Store, watcher: Watcher, since: Option<u64>, bookmarks: bool) {
    let kind = watcher.path.kind;
    let start = match since {
        Some(rv) => rv,
        None => {
            // Upstream's "get state and start at most recent": the current
            // objects as ADDED, then changes after the list.
            let listed = store.list(kind, watcher.path.namespace.as_deref(), &watcher.filter);
            for object in listed.items.iter().filter(|o| watcher.wants(o)) {
                if !watcher.send(watcher.encode("ADDED", object)).await {
                    return;
                }
            }
            listed.resource_version
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
                    let Some((event_type, object)) = watcher.classify(&event) else {
                        continue;
                    };
                    let line = watcher.encode(event_type, &object);
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
    use crate::api::selector::LabelSelector;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn watcher(namespace: Option<&str>, labels: Option<&str>) -> Watcher {
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        Watcher {
            path: ResourcePath {
                kind: Kind::ConfigMap,
                version: "v1".into(),
                namespace: namespace.map(str::to_string),
                name: None,
                subresource: None,
                watch_prefix: false,
                definition: None,
            },
            filter: ListFilter {
                labels: labels.map(|l| LabelSelector::parse(l).expect("a selector")),
                fields: None,
            },
            table: false,
            tx,
        }
    }

    fn cm(namespace: &str, app: &str) -> Arc<Object> {
        Arc::new(Object::from(ConfigMap {
            metadata: ObjectMeta {
                name: Some("c".into()),
                namespace: Some(namespace.into()),
                labels: Some([("app".to_string(), app.to_string())].into()),
                ..Default::default()
            },
            ..Default::default()
        }))
    }

    fn change(
        event_type: EventType,
        previous: Option<Arc<Object>>,
        object: Arc<Object>,
    ) -> WatchEvent {
        WatchEvent {
            event_type,
            object,
            previous,
            resource_version: 9,
        }
    }

    fn sent(w: &Watcher, event: &WatchEvent) -> Option<(&'static str, String)> {
        w.classify(event)
            .map(|(t, o)| (t, o.resource_version().to_string()))
    }

    #[test]
    fn other_namespaces_are_skipped() {
        let w = watcher(Some("default"), None);
        let other = change(EventType::Added, None, cm("other", "web"));
        assert_eq!(w.classify(&other).map(|(t, _)| t), None);
        let here = change(
            EventType::Modified,
            Some(cm("default", "web")),
            cm("default", "web"),
        );
        assert_eq!(w.classify(&here).map(|(t, _)| t), Some("MODIFIED"));
    }

    #[test]
    fn a_selector_watch_follows_objects_into_and_out_of_its_selection() {
        let w = watcher(None, Some("app=web"));
        let web = || cm("default", "web");
        let db = || cm("default", "db");
        // A label change into the selection is the client's ADDED; out of
        // it, a DELETED of the object as it was at the change's version.
        assert_eq!(
            w.classify(&change(EventType::Modified, Some(db()), web()))
                .map(|(t, _)| t),
            Some("ADDED")
        );
        assert_eq!(
            w.classify(&change(EventType::Modified, Some(web()), web()))
                .map(|(t, _)| t),
            Some("MODIFIED")
        );
        let left = change(EventType::Modified, Some(web()), db());
        assert_eq!(sent(&w, &left), Some(("DELETED", "9".to_string())));
        let (_, object) = w.classify(&left).expect("sent");
        assert_eq!(
            object
                .meta()
                .labels
                .as_ref()
                .and_then(|l| l.get("app"))
                .map(String::as_str),
            Some("web")
        );
        // Deleted while selected: DELETED; while not: nothing.
        assert_eq!(
            w.classify(&change(EventType::Deleted, Some(web()), web()))
                .map(|(t, _)| t),
            Some("DELETED")
        );
        assert_eq!(
            w.classify(&change(EventType::Deleted, Some(db()), db()))
                .map(|(t, _)| t),
            None
        );
        assert_eq!(
            w.classify(&change(EventType::Modified, Some(db()), db()))
                .map(|(t, _)| t),
            None
        );
    }

    /// Random creates, relabels and deletes, then a watch resumed at every
    /// resourceVersion, with and without a selector: the client gets what
    /// a model of upstream's watch cache says — every event, in order,
    /// none extra.
    #[tokio::test]
    async fn resumed_watches_send_what_upstream_would_from_any_version() {
        use crate::store::{DeleteOptions, UpdateScope};
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        use std::collections::BTreeMap;

        for seed in 0..40u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let store = Store::in_memory();
            store
                .create(k8s_openapi::api::core::v1::Namespace {
                    metadata: ObjectMeta {
                        name: Some("default".into()),
                        ..Default::default()
                    },
                    ..Default::default()
                })
                .expect("the namespace");
            let start = store.resource_version();
            // After each change: (its resourceVersion, the object's name, its
            // label before and after; None where it did not exist).
            let mut changes: Vec<(u64, String, Option<String>, Option<String>)> = Vec::new();
            let mut live: BTreeMap<String, String> = BTreeMap::new();
            for step in 0..30 {
                let names: Vec<String> = live.keys().cloned().collect();
                let choice = rng.random_range(0..3);
                if names.is_empty() || choice == 0 {
                    let name = format!("c{step}");
                    let app = ["web", "db"][rng.random_range(0..2)].to_string();
                    let mut object = (*cm("default", &app)).clone();
                    object.meta_mut().name = Some(name.clone());
                    let created = store.create(object).expect("created");
                    changes.push((
                        created.resource_version(),
                        name.clone(),
                        None,
                        Some(app.clone()),
                    ));
                    live.insert(name, app);
                } else {
                    let name = names[rng.random_range(0..names.len())].clone();
                    let before = live[&name].clone();
                    if choice == 1 {
                        let after = if before == "web" { "db" } else { "web" }.to_string();
                        let mut object =
                            (*store.get(Kind::ConfigMap, "default", &name).expect("live")).clone();
                        object.meta_mut().labels =
                            Some([("app".to_string(), after.clone())].into());
                        let updated = store.update(object, UpdateScope::Main).expect("updated");
                        changes.push((
                            updated.resource_version(),
                            name.clone(),
                            Some(before),
                            Some(after.clone()),
                        ));
                        live.insert(name, after);
                    } else {
                        store
                            .delete(Kind::ConfigMap, "default", &name, &DeleteOptions::default())
                            .expect("deleted");
                        changes.push((store.resource_version(), name.clone(), Some(before), None));
                        live.remove(&name);
                    }
                }
            }
            let end = store.resource_version();
            for selector in [None, Some("app=web")] {
                let w = watcher(Some("default"), selector);
                let passes = |label: &Option<String>| {
                    label
                        .as_deref()
                        .is_some_and(|l| selector.is_none() || l == "web")
                };
                for from in start..=end {
                    let expected: Vec<(String, String)> = changes
                        .iter()
                        .filter(|(rv, ..)| *rv > from)
                        .filter_map(|(_, name, before, after)| {
                            let kind = match (passes(before), passes(after)) {
                                (false, true) => "ADDED",
                                (true, true) => "MODIFIED",
                                (true, false) => "DELETED",
                                (false, false) => return None,
                            };
                            Some((kind.to_string(), name.clone()))
                        })
                        .collect();
                    let mut watch = store
                        .watch(Some(Kind::ConfigMap), Some(from))
                        .expect("in the ring");
                    let mut got = Vec::new();
                    while watch.resource_version() < end {
                        let next = tokio::time::timeout(Duration::from_secs(1), watch.next()).await;
                        let Ok(Some(WatchItem::Event(event))) = next else {
                            panic!("seed {seed}: the watch from {from} stopped before {end}");
                        };
                        if let Some((kind, object)) = w.classify(&event) {
                            got.push((kind.to_string(), object.name().to_string()));
                        }
                    }
                    assert_eq!(
                        got, expected,
                        "seed {seed}, selector {selector:?}, from {from}"
                    );
                }
            }
        }
    }
}
