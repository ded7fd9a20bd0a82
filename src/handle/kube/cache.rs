//! What the console reads, kept current by one list-then-watch loop per
//! kind (a reflector, as client-go's): lists in pages, watches from the
//! list's resourceVersion, lists again when the server says the version
//! expired (410), and retries with back-off while the cluster cannot be
//! reached. Reads never wait on the network.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use http::Method;
use parking_lot::RwLock;
use serde_json::Value;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::transport::KubeTransport;
use crate::api::{Kind, Object};
use crate::handle::rest::collection_uri;
use crate::handle::{Connection, HandleError, lines};

/// Objects a list page asks for, as kubectl's chunking does.
const PAGE: usize = 500;
/// The first retry comes after this, doubling up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A watch the server should end by itself, so a silent loss shows.
const WATCH_TIMEOUT_SECONDS: u32 = 290;
/// Events kept: the newest. A busy cluster has several per pod (some 1.2 KB
/// each as objects: `cargo bench --bench object_memory`); the console shows
/// the newest, and upstream itself drops events after an hour.
pub const MAX_EVENTS: usize = 5_000;

pub(super) type Objects = BTreeMap<(String, String), Arc<Object>>;

pub struct Cache {
    /// Built-in kinds from the start; a custom kind joins when the console
    /// first opens it.
    kinds: RwLock<HashMap<Kind, Arc<KindCache>>>,
    changes: broadcast::Sender<Kind>,
    connection: RwLock<Connection>,
    /// Where namespaced kinds are watched when the user may not list them
    /// across namespaces (RBAC): the context's namespace.
    home_namespace: String,
    transport: KubeTransport,
    cancel: CancellationToken,
}

#[derive(Default)]
struct KindCache {
    objects: RwLock<Objects>,
    started: AtomicBool,
}

/// How a watch ended.
enum WatchEnd {
    /// The version is too old: list again.
    Expired,
    /// The connection failed: retry after a pause.
    Failed(HandleError),
    Cancelled,
}

impl Cache {
    pub fn new(
        transport: KubeTransport,
        home_namespace: String,
        cancel: CancellationToken,
    ) -> Cache {
        let (changes, _) = broadcast::channel(1024);
        Cache {
            // Every built-in kind can be opened; each one's reflector
            // starts the first time it is read (see `ensure`).
            kinds: RwLock::new(Kind::builtin().map(|kind| (kind, Arc::default())).collect()),
            changes,
            connection: RwLock::new(Connection::Connecting {
                attempt: 0,
                error: None,
            }),
            home_namespace,
            transport,
            cancel,
        }
    }

    pub fn connection(&self) -> Connection {
        self.connection.read().clone()
    }

    /// The cache of `kind`; a custom kind's is made on first use.
    fn kind_cache(&self, kind: Kind) -> Arc<KindCache> {
        if let Some(cache) = self.kinds.read().get(&kind) {
            return Arc::clone(cache);
        }
        Arc::clone(self.kinds.write().entry(kind).or_default())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Kind> {
        self.changes.subscribe()
    }

    /// Starts the reflector of `kind` the first time it is asked for.
    pub fn ensure(self: &Arc<Self>, kind: Kind) {
        let cache = self.kind_cache(kind);
        if !cache.started.swap(true, Ordering::SeqCst) {
            tokio::spawn(Arc::clone(self).reflect(kind));
        }
    }

    pub fn list(&self, kind: Kind, namespace: Option<&str>) -> Vec<Arc<Object>> {
        let cache = self.kind_cache(kind);
        let objects = cache.objects.read();
        match namespace.filter(|_| kind.namespaced()) {
            Some(namespace) => objects
                .range((namespace.to_string(), String::new())..)
                .take_while(|((ns, _), _)| ns == namespace)
                .map(|(_, object)| Arc::clone(object))
                .collect(),
            None => objects.values().cloned().collect(),
        }
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Object>> {
        let namespace = if kind.namespaced() { namespace } else { "" };
        self.kind_cache(kind)
            .objects
            .read()
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    fn set_connection(&self, connection: Connection) {
        let changed = {
            let mut current = self.connection.write();
            let changed = *current != connection;
            *current = connection;
            changed
        };
        if changed {
            // The header shows it: any kind wakes the console.
            let _ = self.changes.send(Kind::Namespace);
        }
    }

    /// List, then watch, for as long as the handle lives.
    async fn reflect(self: Arc<Self>, kind: Kind) {
        let mut failures = 0u32;
        // Across namespaces unless the server forbids it.
        let mut scope: Option<String> = None;
        loop {
            if self.cancel.is_cancelled() {
                return;
            }
            let error = match self.list_all(kind, scope.as_deref()).await {
                Ok(version) => {
                    failures = 0;
                    self.set_connection(Connection::Ready);
                    match self.watch(kind, scope.as_deref(), version).await {
                        WatchEnd::Expired => continue,
                        WatchEnd::Cancelled => return,
                        WatchEnd::Failed(error) => error,
                    }
                }
                Err(HandleError::Refused { code: 403, .. })
                    if scope.is_none() && kind.namespaced() =>
                {
                    scope = Some(self.home_namespace.clone());
                    continue;
                }
                Err(error) => error,
            };
            failures += 1;
            match error {
                // The server answers but refuses this kind: say so once in
                // the log, keep the rest of the console working.
                HandleError::Refused { code, message, .. } => {
                    tracing::info!(?kind, code, %message, "cannot list");
                }
                other => self.set_connection(Connection::Connecting {
                    attempt: failures,
                    error: Some(other.to_string()),
                }),
            }
            let pause = FIRST_BACKOFF
                .saturating_mul(1 << failures.min(6))
                .min(MAX_BACKOFF);
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Lists every object of `kind` in pages and replaces the cached ones;
    /// answers the list's resourceVersion.
    async fn list_all(&self, kind: Kind, namespace: Option<&str>) -> Result<String, HandleError> {
        let base = collection_uri(kind, namespace.unwrap_or_default());
        let mut objects = Objects::new();
        let mut token = String::new();
        let version = loop {
            let mut uri = format!("{base}?limit={PAGE}");
            if !token.is_empty() {
                uri.push_str(&format!("&continue={}", urlencoding::encode(&token)));
            }
            let page = self.transport.get_bytes(&uri).await?;
            let (items, meta) =
                Object::list_page(kind, &page).map_err(|error| unreadable(kind, &error))?;
            for object in items {
                objects.insert(key(&object), Arc::new(slim(object)));
            }
            bound(kind, &mut objects);
            token = meta.continue_.unwrap_or_default();
            if token.is_empty() {
                break meta.resource_version.unwrap_or_default();
            }
        };
        *self.kind_cache(kind).objects.write() = objects;
        let _ = self.changes.send(kind);
        Ok(version)
    }

    /// Applies watch events until the watch ends; a watch the server closed
    /// after its timeout goes on from the last version seen.
    async fn watch(&self, kind: Kind, namespace: Option<&str>, mut version: String) -> WatchEnd {
        let base = collection_uri(kind, namespace.unwrap_or_default());
        loop {
            let uri = format!(
                "{base}?watch=1&allowWatchBookmarks=true&timeoutSeconds={WATCH_TIMEOUT_SECONDS}&resourceVersion={version}"
            );
            let sent = tokio::select! {
                _ = self.cancel.cancelled() => return WatchEnd::Cancelled,
                sent = self.transport.send(Method::GET, &uri, None, Vec::new()) => sent,
            };
            let (code, body) = match sent {
                Ok(answer) => answer,
                Err(error) => return WatchEnd::Failed(error),
            };
            if code == 410 {
                return WatchEnd::Expired;
            }
            if !(200..300).contains(&code) {
                let bytes = super::transport::collected(body).await;
                return WatchEnd::Failed(crate::handle::rest::failure(code, &bytes));
            }
            let mut events = lines(body);
            loop {
                let line = tokio::select! {
                    _ = self.cancel.cancelled() => return WatchEnd::Cancelled,
                    line = events.next() => line,
                };
                let Some(line) = line else { break };
                match self.apply_event(kind, &line, &mut version) {
                    Ok(()) => {}
                    Err(end) => return end,
                }
            }
        }
    }

    /// One line of a watch: `{"type": "ADDED", "object": {…}}`.
    fn apply_event(&self, kind: Kind, line: &str, version: &mut String) -> Result<(), WatchEnd> {
        let Ok(mut event) = serde_json::from_str::<Value>(line) else {
            return Ok(());
        };
        let kind_of_event = event["type"].as_str().unwrap_or_default().to_string();
        let object = event["object"].take();
        if let Some(v) = object["metadata"]["resourceVersion"].as_str() {
            *version = v.to_string();
        }
        let cache = self.kind_cache(kind);
        match kind_of_event.as_str() {
            "ADDED" | "MODIFIED" => {
                let object = slim(parse(kind, object).map_err(WatchEnd::Failed)?);
                let mut objects = cache.objects.write();
                objects.insert(key(&object), Arc::new(object));
                bound(kind, &mut objects);
            }
            "DELETED" => {
                let key = (
                    object["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    object["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                );
                cache.objects.write().remove(&key);
            }
            "ERROR" if object["code"].as_u64() == Some(410) => return Err(WatchEnd::Expired),
            "ERROR" => {
                let code = object["code"].as_u64().unwrap_or(500);
                return Err(WatchEnd::Failed(crate::handle::rest::refused(
                    u16::try_from(code).unwrap_or(500),
                    &object,
                )));
            }
            _ => return Ok(()),
        }
        let _ = self.changes.send(kind);
        Ok(())
    }
}

/// What the cache keeps of an object: all but its managedFields, and of
/// Secrets and ConfigMaps all but their values — the table shows only
/// their keys, and a Helm release's Secret alone can hold megabytes.
/// Describe, YAML and the editor fetch the object whole.
pub(super) fn slim(object: Object) -> Object {
    let mut object = without_managed_fields(object);
    match &mut object {
        Object::Secret(secret) => {
            for value in secret.data.iter_mut().flat_map(|data| data.values_mut()) {
                value.0 = Vec::new();
            }
            secret.string_data = None;
        }
        Object::ConfigMap(map) => {
            for value in map.data.iter_mut().flat_map(|data| data.values_mut()) {
                value.clear();
            }
            for value in map
                .binary_data
                .iter_mut()
                .flat_map(|data| data.values_mut())
            {
                value.0 = Vec::new();
            }
        }
        _ => {}
    }
    object
}

/// Whether [`slim`] drops the values of `kind`'s objects.
pub(super) fn keeps_without_values(kind: Kind) -> bool {
    matches!(kind, Kind::Secret | Kind::ConfigMap)
}

/// An object without its managedFields, which on a real cluster are a
/// large part of it and which the console never shows (kubectl's
/// `get -o yaml` and `edit` hide them too).
pub(super) fn without_managed_fields(mut object: Object) -> Object {
    object.meta_mut().managed_fields = None;
    object
}

/// Keeps the cache of a kind within its bound: of events, the newest
/// [`MAX_EVENTS`]. Trims a tenth below the bound at a time, so that a
/// stream of new events does not sort the cache on every one.
pub(super) fn bound(kind: Kind, objects: &mut Objects) {
    if kind != Kind::Event || objects.len() <= MAX_EVENTS {
        return;
    }
    let mut by_age: Vec<(i64, (String, String))> = objects
        .iter()
        .map(|(key, object)| (object.event_time(), key.clone()))
        .collect();
    by_age.sort_unstable();
    let excess = objects.len() - MAX_EVENTS + MAX_EVENTS / 10;
    for (_, key) in by_age.into_iter().take(excess) {
        objects.remove(&key);
    }
}

/// A list's items carry no apiVersion and kind (upstream leaves them out);
/// the typed objects want them.
fn parse(kind: Kind, mut value: Value) -> Result<Object, HandleError> {
    if let Value::Object(fields) = &mut value {
        let info = kind.info();
        fields.insert("apiVersion".to_string(), Value::from(info.api_version()));
        fields.insert("kind".to_string(), Value::from(info.kind_name));
    }
    Object::from_json(kind, value).map_err(|error| unreadable(kind, &error))
}

pub(super) fn unreadable(kind: Kind, error: &crate::api::object::ParseError) -> HandleError {
    HandleError::Invalid(format!(
        "the server sent a {kind:?} podium cannot read ({}): {}",
        error.path(),
        error.inner()
    ))
}

fn key(object: &Object) -> (String, String) {
    (object.namespace().to_string(), object.name().to_string())
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::Event;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

    use super::*;

    fn event(name: &str, seconds: i64) -> Arc<Object> {
        let at = jiff::Timestamp::from_second(seconds).expect("time");
        Arc::new(Object::Event(Box::new(Event {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                namespace: Some("default".to_string()),
                ..ObjectMeta::default()
            },
            last_timestamp: Some(Time(at)),
            ..Event::default()
        })))
    }

    #[test]
    fn the_event_cache_keeps_the_newest_events() {
        let mut objects = Objects::new();
        let total = MAX_EVENTS + 1;
        for i in 0..total {
            // Names in the opposite order of time, so the map's order is no help.
            let name = format!("e{:05}", total - i);
            objects.insert(
                ("default".into(), name.clone()),
                event(&name, 1_000 + i as i64),
            );
        }
        bound(Kind::Event, &mut objects);
        assert_eq!(objects.len(), MAX_EVENTS - MAX_EVENTS / 10);
        let oldest_kept = objects.values().map(|o| o.event_time()).min();
        let newest_kept = objects.values().map(|o| o.event_time()).max();
        assert_eq!(newest_kept, Some(1_000 + MAX_EVENTS as i64));
        assert_eq!(oldest_kept, Some(1_000 + (total - objects.len()) as i64));
    }

    #[test]
    fn the_cache_keeps_no_managed_fields() {
        let page = br#"{"metadata": {"resourceVersion": "1"}, "items": [{"metadata": {
            "name": "web", "namespace": "default", "labels": {"app": "web"},
            "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
                               "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
                               "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}}}}]}}]}"#;
        let (mut items, _) = Object::list_page(Kind::Deployment, page).expect("page");
        let object = items.pop().expect("one deployment");
        assert!(object.meta().managed_fields.is_some());
        let kept = slim(object);
        assert_eq!(kept.meta().managed_fields, None);
        assert_eq!(kept.name(), "web");
        assert_eq!(kept.meta().labels.as_ref().map(|l| l.len()), Some(1));
    }

    #[test]
    fn secrets_and_config_maps_are_kept_with_their_keys_only() {
        let secrets = br#"{"metadata": {"resourceVersion": "1"}, "items": [{"metadata": {
            "name": "release", "namespace": "default"}, "type": "helm.sh/release.v1",
            "data": {"release": "SDRzSUFBQUFBQUFDLytS", "owner": "aGVsbQ=="}}]}"#;
        let (mut items, _) = Object::list_page(Kind::Secret, secrets).expect("page");
        let kept = slim(items.pop().expect("one secret"));
        let table = crate::handle::table::table(Kind::Secret, None, &[Arc::new(kept.clone())]);
        assert_eq!(table.rows[0].cells[1..3], ["helm.sh/release.v1", "2"]);
        let Object::Secret(secret) = kept else {
            panic!("a secret")
        };
        let data = secret.data.expect("the keys stay");
        assert_eq!(data.keys().collect::<Vec<_>>(), ["owner", "release"]);
        assert!(data.values().all(|value| value.0.is_empty()));

        let maps = br#"{"metadata": {}, "items": [{"metadata": {"name": "settings",
            "namespace": "default"}, "data": {"a.conf": "x = 1", "b.conf": "y = 2"}}]}"#;
        let (mut items, _) = Object::list_page(Kind::ConfigMap, maps).expect("page");
        let Object::ConfigMap(map) = slim(items.pop().expect("one map")) else {
            panic!("a config map")
        };
        let data = map.data.expect("the keys stay");
        assert_eq!(data.len(), 2);
        assert!(data.values().all(String::is_empty));
        assert!(keeps_without_values(Kind::Secret) && !keeps_without_values(Kind::Pod));
    }

    #[test]
    fn other_kinds_are_not_bounded() {
        let mut objects = Objects::new();
        for i in 0..MAX_EVENTS + 10 {
            objects.insert(("default".into(), format!("e{i}")), event("x", 0));
        }
        bound(Kind::Pod, &mut objects);
        assert_eq!(objects.len(), MAX_EVENTS + 10);
    }
}
