//! The object store: every object, its resourceVersion, uid and generation,
//! optimistic concurrency, finalizer-aware deletion, an owner index for the
//! garbage collector, watches with resume, and a crash-safe log on disk.
//!
//! One writer lock orders all changes; readers get `Arc`s and never block
//! writers for long. Nothing here knows controllers, Docker or the UI.

mod encryption;
mod error;
mod limit;
mod objects;
mod persist;
mod watch;

use std::path::Path;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use parking_lot::Mutex;

pub use encryption::{AtRest, KEY_FILE, SecretsKey};
pub use error::StoreError;
pub use limit::MAX_OBJECT_BYTES;
pub use watch::{EventType, Watch, WatchEvent, WatchItem};

use objects::Objects;
use watch::{History, KindSet};

use crate::api::selector::{FieldSelector, LabelSelector};
use crate::api::{Kind, KubeObject, Object};

/// The characters Kubernetes uses for generated name suffixes and hashes.
pub const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// Finalizers the garbage collector honours.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";
pub const ORPHAN_FINALIZER: &str = "orphan";

/// Identifies one object. `namespace` is "" for cluster-scoped kinds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(kind: Kind, namespace: &str, name: &str) -> ObjectKey {
        ObjectKey {
            kind,
            namespace: if kind.namespaced() {
                namespace.to_string()
            } else {
                String::new()
            },
            name: name.to_string(),
        }
    }

    pub fn of(object: &Object) -> ObjectKey {
        ObjectKey::new(object.kind(), object.namespace(), object.name())
    }
}

/// Optional label and field selectors for a list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub labels: Option<LabelSelector>,
    pub fields: Option<FieldSelector>,
}

impl ListFilter {
    pub fn labels(selector: LabelSelector) -> ListFilter {
        ListFilter {
            labels: Some(selector),
            fields: None,
        }
    }

    pub fn matches(&self, object: &Object) -> bool {
        self.labels
            .as_ref()
            .is_none_or(|s| s.matches(object.meta().labels.as_ref()))
            && self.fields.as_ref().is_none_or(|s| s.matches(object))
    }
}

/// A list answer: the items and the resourceVersion they were read at.
#[derive(Debug, Clone)]
pub struct ListResult {
    pub items: Vec<Arc<Object>>,
    pub resource_version: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    /// Delete the owner now; the garbage collector deletes dependents after.
    #[default]
    Background,
    /// Keep the owner (finalizer `foregroundDeletion`) until dependents are gone.
    Foreground,
    /// Keep the owner (finalizer `orphan`) until dependents' ownerReferences are removed.
    Orphan,
}

#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub propagation: Option<Propagation>,
    /// For pods: seconds the kubelet gives containers to stop; 0 removes at once.
    pub grace_period_seconds: Option<i64>,
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
}

/// What a delete did.
#[derive(Debug, Clone)]
pub enum Deletion {
    /// The object is gone; this was its last state.
    Removed(Arc<Object>),
    /// The object is marked (deletionTimestamp) and waits for finalizers or
    /// for the kubelet to stop its containers.
    Pending(Arc<Object>),
}

impl Deletion {
    pub fn object(&self) -> &Arc<Object> {
        match self {
            Deletion::Removed(o) | Deletion::Pending(o) => o,
        }
    }
}

/// Which part of an object an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateScope {
    /// Metadata and spec; status is kept as stored (for kinds with a status subresource).
    Main,
    /// Status only (the `/status` subresource).
    Status,
}

/// The store. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    history: Arc<History>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.history.close();
    }
}

#[derive(Default)]
struct State {
    objects: Objects,
    resource_version: u64,
    wal: Option<persist::Wal>,
    encoder: limit::Encoder,
}

impl Store {
    /// A store that keeps nothing on disk (tests, benchmarks).
    pub fn in_memory() -> Store {
        Store::from_state(State::default())
    }

    /// An in-memory store holding the `default` namespace, for tests.
    #[cfg(test)]
    pub(crate) fn in_memory_with_default_namespace() -> Store {
        use k8s_openapi::api::core::v1::{Namespace, NamespaceSpec};
        let store = Store::in_memory();
        let namespace = Namespace {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("default".into()),
                ..Default::default()
            },
            spec: Some(NamespaceSpec {
                finalizers: Some(vec!["kubernetes".into()]),
            }),
            ..Default::default()
        };
        if let Err(error) = store.create(namespace) {
            panic!("a fresh store takes the default namespace: {error}");
        }
        store
    }

    /// Opens (or creates) the store under `dir`, replaying its log;
    /// Secrets in clear (the key file would be beside `dir`).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let beside = dir.parent().unwrap_or(dir).join(KEY_FILE);
        Store::open_with(dir, &AtRest::clear(beside))
    }

    /// Opens (or creates) the store under `dir`, keeping Secrets as
    /// `at_rest` says. Under a key, Secrets found in clear are rewritten
    /// sealed by a snapshot at once.
    pub fn open_with(dir: &Path, at_rest: &AtRest) -> Result<Store, StoreError> {
        let (wal, loaded) = persist::Wal::open(dir, at_rest)?;
        let mut state = State {
            resource_version: loaded.resource_version,
            wal: Some(wal),
            ..State::default()
        };
        for object in loaded.objects {
            state.objects.insert(Arc::new(object));
        }
        if loaded.clear_secrets {
            tracing::info!("encrypting the Secrets stored in clear");
            let rv = state.resource_version;
            let objects = state.objects.all();
            if let Some(wal) = state.wal.as_mut() {
                wal.compact(rv, objects)?;
            }
        }
        Ok(Store::from_state(state))
    }

    fn from_state(state: State) -> Store {
        let history = Arc::new(History::starting_at(state.resource_version));
        Store {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                history,
            }),
        }
    }

    /// The latest resourceVersion handed out.
    pub fn resource_version(&self) -> u64 {
        self.inner.state.lock().resource_version
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Object>> {
        self.inner
            .state
            .lock()
            .objects
            .get(kind, namespace, name)
            .cloned()
    }

    /// A typed copy of one object.
    pub fn get_as<T: KubeObject>(&self, namespace: &str, name: &str) -> Option<T> {
        self.get(<T as KubeObject>::OBJECT_KIND, namespace, name)
            .and_then(|o| T::from_object(&o).cloned())
    }

    /// Objects of `kind` in `namespace` (all namespaces when `None`) that
    /// match `filter`, sorted by namespace and name.
    pub fn list(&self, kind: Kind, namespace: Option<&str>, filter: &ListFilter) -> ListResult {
        let state = self.inner.state.lock();
        let items = state.objects.list(kind, namespace, filter);
        ListResult {
            items,
            resource_version: state.resource_version,
        }
    }

    /// Typed copies of the objects `list` would return.
    pub fn list_as<T: KubeObject>(&self, namespace: Option<&str>, filter: &ListFilter) -> Vec<T> {
        self.list(<T as KubeObject>::OBJECT_KIND, namespace, filter)
            .items
            .iter()
            .filter_map(|o| T::from_object(o).cloned())
            .collect()
    }

    /// Objects whose ownerReferences name `owner_uid`.
    pub fn dependents(&self, owner_uid: &str) -> Vec<Arc<Object>> {
        self.inner.state.lock().objects.dependents(owner_uid)
    }

    /// Creates an object: assigns uid, resourceVersion, creationTimestamp,
    /// generation, and a name from `generateName` when needed.
    pub fn create(&self, object: impl Into<Object>) -> Result<Arc<Object>, StoreError> {
        let mut object = object.into();
        let kind = object.kind();
        let state = self.inner.state.lock();

        if kind.namespaced() {
            let namespace = object.namespace().to_string();
            if namespace.is_empty() {
                return Err(StoreError::Invalid {
                    kind,
                    name: object.name().to_string(),
                    message: "metadata.namespace: Required value".to_string(),
                });
            }
            match state.objects.get(Kind::Namespace, "", &namespace) {
                None => return Err(StoreError::NamespaceNotFound { namespace }),
                Some(ns) if ns.meta().deletion_timestamp.is_some() && kind != Kind::Event => {
                    return Err(StoreError::NamespaceTerminating {
                        kind,
                        name: object.name().to_string(),
                        namespace,
                    });
                }
                Some(_) => {}
            }
        } else {
            object.meta_mut().namespace = None;
        }

        if object.name().is_empty() {
            let prefix = object.meta().generate_name.clone().unwrap_or_default();
            if prefix.is_empty() {
                return Err(StoreError::Invalid {
                    kind,
                    name: String::new(),
                    message: "metadata.name: Required value: name or generateName is required"
                        .to_string(),
                });
            }
            let name = loop {
                let candidate = format!("{prefix}{}", random_suffix(5));
                if state
                    .objects
                    .get(kind, object.namespace(), &candidate)
                    .is_none()
                {
                    break candidate;
                }
            };
            object.meta_mut().name = Some(name);
        }

        if state
            .objects
            .get(kind, object.namespace(), object.name())
            .is_some()
        {
            return Err(StoreError::AlreadyExists {
                kind,
                name: object.name().to_string(),
            });
        }

        let meta = object.meta_mut();
        // The API server may have named it already (a Job's selector holds its uid).
        if meta.uid.as_deref().is_none_or(str::is_empty) {
            meta.uid = Some(uuid::Uuid::new_v4().to_string());
        }
        meta.creation_timestamp = Some(now());
        meta.generation = Some(1);
        meta.deletion_timestamp = None;
        meta.deletion_grace_period_seconds = None;
        self.commit(state, EventType::Added, object)
    }

    /// Replaces an object. A non-empty resourceVersion must match the stored
    /// one (optimistic concurrency). Identity fields are kept; generation
    /// moves when the spec changes. An update that leaves an object marked
    /// for deletion with no finalizers completes the deletion.
    pub fn update(
        &self,
        object: impl Into<Object>,
        scope: UpdateScope,
    ) -> Result<Arc<Object>, StoreError> {
        let object = object.into();
        let kind = object.kind();
        let state = self.inner.state.lock();
        let Some(existing) = state
            .objects
            .get(kind, object.namespace(), object.name())
            .cloned()
        else {
            return Err(StoreError::NotFound {
                kind,
                name: object.name().to_string(),
            });
        };
        check_preconditions(
            &existing,
            object.meta().uid.as_deref(),
            object.meta().resource_version.as_deref(),
        )?;

        let mut merged = merge_for_update(&existing, object, scope);
        if merged == *existing {
            return Ok(existing);
        }
        if deletion_complete(&merged) {
            merged.meta_mut().resource_version = existing.meta().resource_version.clone();
            return self.commit(state, EventType::Deleted, merged);
        }
        self.commit(state, EventType::Modified, merged)
    }

    /// Reads, changes and writes one object, retrying on conflicts. `change`
    /// returns false to leave the object as it is. `Ok(None)` when absent.
    pub fn mutate<T: KubeObject>(
        &self,
        namespace: &str,
        name: &str,
        scope: UpdateScope,
        mut change: impl FnMut(&mut T) -> bool,
    ) -> Result<Option<Arc<Object>>, StoreError> {
        loop {
            let Some(current) = self.get(<T as KubeObject>::OBJECT_KIND, namespace, name) else {
                return Ok(None);
            };
            let Some(mut typed) = T::from_object(&current).cloned() else {
                return Ok(None);
            };
            if !change(&mut typed) {
                return Ok(Some(current));
            }
            match self.update(typed.into_object(), scope) {
                Err(StoreError::Conflict { .. }) => continue,
                Err(StoreError::NotFound { .. }) => return Ok(None),
                other => return other.map(Some),
            }
        }
    }

    /// [`Store::mutate`] for any kind, typed or not: `change` edits the
    /// object's JSON; retried on conflict, `None` when it is gone.
    pub fn mutate_json(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        scope: UpdateScope,
        mut change: impl FnMut(&mut serde_json::Value) -> bool,
    ) -> Result<Option<Arc<Object>>, StoreError> {
        loop {
            let Some(current) = self.get(kind, namespace, name) else {
                return Ok(None);
            };
            let mut value = current.to_json();
            if !change(&mut value) {
                return Ok(Some(current));
            }
            let updated = Object::from_json(kind, value).map_err(|e| StoreError::Invalid {
                kind,
                name: name.to_string(),
                message: e.to_string(),
            })?;
            match self.update(updated, scope) {
                Err(StoreError::Conflict { .. }) => continue,
                Err(StoreError::NotFound { .. }) => return Ok(None),
                other => return other.map(Some),
            }
        }
    }

    /// Deletes an object, honouring finalizers, propagation and pod grace.
    pub fn delete(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Deletion, StoreError> {
        let state = self.inner.state.lock();
        let Some(existing) = state.objects.get(kind, namespace, name).cloned() else {
            return Err(StoreError::NotFound {
                kind,
                name: name.to_string(),
            });
        };
        check_preconditions(
            &existing,
            options.precondition_uid.as_deref(),
            options.precondition_resource_version.as_deref(),
        )?;

        let mut object = (*existing).clone();
        let grace = pod_grace_seconds(&object, options.grace_period_seconds);
        let meta = object.meta_mut();
        let mut finalizers = meta.finalizers.take().unwrap_or_default();
        let add = match options.propagation {
            Some(Propagation::Foreground) => Some(FOREGROUND_FINALIZER),
            Some(Propagation::Orphan) => Some(ORPHAN_FINALIZER),
            _ => None,
        };
        // Propagation finalizers are added only by the first delete.
        if let Some(f) = add.filter(|f| !finalizers.iter().any(|x| x == f))
            && meta.deletion_timestamp.is_none()
        {
            finalizers.push(f.to_string());
        }
        meta.finalizers = (!finalizers.is_empty()).then_some(finalizers);

        match (&mut object, grace) {
            (Object::Pod(_), Some(grace)) => {
                let meta = object.meta_mut();
                let sooner = meta.deletion_grace_period_seconds.is_none_or(|g| grace < g);
                if sooner {
                    meta.deletion_grace_period_seconds = Some(grace);
                    let at = crate::clock::now() + jiff_seconds(grace);
                    meta.deletion_timestamp = Some(Time(at).truncated());
                }
            }
            (Object::Namespace(ns), _) => {
                ns.metadata.deletion_timestamp.get_or_insert_with(now);
                ns.metadata.deletion_grace_period_seconds.get_or_insert(0);
                ns.status.get_or_insert_with(Default::default).phase =
                    Some("Terminating".to_string());
            }
            _ => {
                let meta = object.meta_mut();
                meta.deletion_timestamp.get_or_insert_with(now);
                meta.deletion_grace_period_seconds.get_or_insert(0);
            }
        }

        if deletion_complete(&object) {
            let removed = self.commit(state, EventType::Deleted, object)?;
            return Ok(Deletion::Removed(removed));
        }
        if object == *existing {
            return Ok(Deletion::Pending(existing));
        }
        let pending = self.commit(state, EventType::Modified, object)?;
        Ok(Deletion::Pending(pending))
    }

    /// Commits a change under the lock, then wakes the watchers after
    /// letting go of it (waking tasks is slow next to the change itself).
    fn commit(
        &self,
        mut state: parking_lot::MutexGuard<'_, State>,
        event_type: EventType,
        object: Object,
    ) -> Result<Arc<Object>, StoreError> {
        let stored = state.commit(event_type, object, &self.inner.history)?;
        drop(state);
        self.inner.history.wake(stored.kind());
        Ok(stored)
    }

    /// Watches changes after `since` (a resourceVersion from a list), or
    /// from now when `None`. Errs with `Gone` when `since` is older than the
    /// history kept.
    pub fn watch(&self, kind: Option<Kind>, since: Option<u64>) -> Result<Watch, StoreError> {
        let kinds = kind.map_or(KindSet::ALL, |k| KindSet::of(&[k]));
        self.watch_set(kinds, since)
    }

    /// Like [`Store::watch`], for changes of any of `kinds`: the watcher
    /// sleeps through the others.
    pub fn watch_kinds(&self, kinds: &[Kind], since: Option<u64>) -> Result<Watch, StoreError> {
        self.watch_set(KindSet::of(kinds), since)
    }

    /// Keeps the changes of `kind` after `resource_version` (a list's) for
    /// a while, so that the client's watch from there finds them however
    /// busy the store is meanwhile: list, then watch.
    pub fn keep_for_watch(&self, kind: Kind, resource_version: u64) {
        self.inner
            .history
            .hold(KindSet::of(&[kind]), resource_version);
    }

    fn watch_set(&self, kinds: KindSet, since: Option<u64>) -> Result<Watch, StoreError> {
        // Under the lock: no change lands between reading `current` and
        // placing the watcher.
        let state = self.inner.state.lock();
        let current = state.resource_version;
        let since = since.unwrap_or(current).min(current);
        self.inner
            .history
            .watch(kinds, since)
            .map_err(|oldest| StoreError::Gone {
                requested: since,
                oldest,
            })
    }
}

impl State {
    /// Gives the change the next resourceVersion, writes it to the log,
    /// applies it and adds it to the watch history.
    fn commit(
        &mut self,
        event_type: EventType,
        mut object: Object,
        history: &History,
    ) -> Result<Arc<Object>, StoreError> {
        let rv = self.resource_version + 1;
        object.meta_mut().resource_version = Some(rv.to_string());
        let key = ObjectKey::of(&object);
        match event_type {
            EventType::Deleted => {
                if let Some(wal) = self.wal.as_mut() {
                    wal.append_delete(rv, &key)?;
                }
            }
            _ => {
                // Measured (and refused when too large) with or without a log.
                let json = self.encoder.encode(&object)?;
                if let Some(wal) = self.wal.as_mut() {
                    wal.append_put(rv, key.kind, json)?;
                }
            }
        }
        self.resource_version = rv;
        let object = Arc::new(object);
        let previous = self.objects.get_key(&key).cloned();
        match event_type {
            EventType::Deleted => self.objects.remove(&key),
            _ => self.objects.insert(object.clone()),
        }
        history.push(WatchEvent {
            event_type,
            object: object.clone(),
            previous,
            resource_version: rv,
        });
        self.maybe_compact();
        Ok(object)
    }

    fn maybe_compact(&mut self) {
        let live_objects = self.objects.len();
        let rv = self.resource_version;
        let Some(wal) = self.wal.as_mut() else {
            return;
        };
        if !wal.wants_compaction(live_objects) {
            return;
        }
        if let Err(error) = wal.compact(rv, self.objects.all()) {
            tracing::warn!(%error, "store compaction did not start; the log keeps growing");
        }
    }
}

/// A delete's or an update's preconditions (uid, resourceVersion) against
/// the stored object: a Conflict when one fails.
pub fn check_preconditions(
    existing: &Object,
    uid: Option<&str>,
    resource_version: Option<&str>,
) -> Result<(), StoreError> {
    let conflict = |reason: String| StoreError::Conflict {
        kind: existing.kind(),
        name: existing.name().to_string(),
        reason,
    };
    if let Some(uid) = uid.filter(|u| !u.is_empty()) {
        let stored = existing.meta().uid.as_deref().unwrap_or("");
        if uid != stored {
            return Err(conflict(format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {stored}"
            )));
        }
    }
    if let Some(rv) = resource_version.filter(|r| !r.is_empty())
        && Some(rv) != existing.meta().resource_version.as_deref()
    {
        return Err(conflict(
            "the object has been modified; please apply your changes to the latest version and try again"
                .to_string(),
        ));
    }
    Ok(())
}

/// Builds the object an update stores: identity from `existing`, the part
/// `scope` allows from `incoming`, generation bumped on spec changes.
fn merge_for_update(existing: &Object, incoming: Object, scope: UpdateScope) -> Object {
    let managed_fields = incoming.meta().managed_fields.clone();
    let (mut merged, spec_changed) = take_allowed_part(existing, incoming, scope);
    let old_meta = existing.meta();
    let meta = merged.meta_mut();
    meta.name = old_meta.name.clone();
    meta.namespace = old_meta.namespace.clone();
    meta.uid = old_meta.uid.clone();
    meta.creation_timestamp = old_meta.creation_timestamp.clone();
    meta.deletion_timestamp = old_meta.deletion_timestamp.clone();
    meta.deletion_grace_period_seconds = old_meta.deletion_grace_period_seconds;
    meta.resource_version = old_meta.resource_version.clone();
    meta.generate_name = old_meta.generate_name.clone();
    // Server-side apply's field owners: kept unless the writer sets them
    // (an empty list clears them, as upstream).
    meta.managed_fields = match managed_fields {
        Some(entries) if entries.is_empty() => None,
        Some(entries) => Some(entries),
        None => old_meta.managed_fields.clone(),
    };
    let generation = old_meta.generation.unwrap_or(1);
    meta.generation = Some(if spec_changed && scope == UpdateScope::Main {
        generation + 1
    } else {
        generation
    });
    merged
}

/// The incoming object with the stored status (Main) or the stored object
/// with the incoming status (Status), for kinds with a status subresource;
/// and whether the spec changed. Typed, so that the hot path of status
/// updates never goes through JSON.
fn take_allowed_part(existing: &Object, incoming: Object, scope: UpdateScope) -> (Object, bool) {
    macro_rules! with_status {
        ($variant:ident, $old:expr, $new:expr) => {{
            let (old, mut new) = ($old, $new);
            let spec_changed = old.spec != new.spec;
            match scope {
                UpdateScope::Main => new.status = old.status.clone(),
                UpdateScope::Status => {
                    let status = new.status.take();
                    new = old.clone();
                    new.status = status;
                }
            }
            (Object::$variant(new), spec_changed)
        }};
    }
    macro_rules! without_status {
        ($variant:ident, $old:expr, $new:expr, $($data:ident),+) => {{
            let (old, new) = ($old, $new);
            let changed = false $(|| old.$data != new.$data)+;
            match scope {
                UpdateScope::Main => (Object::$variant(new), changed),
                // No status to change: the stored object stays as it is.
                UpdateScope::Status => (Object::$variant(old.clone()), false),
            }
        }};
    }
    match (existing, incoming) {
        (Object::Namespace(o), Object::Namespace(n)) => with_status!(Namespace, o, n),
        (Object::Node(o), Object::Node(n)) => with_status!(Node, o, n),
        (Object::Pod(o), Object::Pod(n)) => with_status!(Pod, o, n),
        (Object::ReplicaSet(o), Object::ReplicaSet(n)) => with_status!(ReplicaSet, o, n),
        (Object::Deployment(o), Object::Deployment(n)) => with_status!(Deployment, o, n),
        (Object::Service(o), Object::Service(n)) => with_status!(Service, o, n),
        (Object::Ingress(o), Object::Ingress(n)) => with_status!(Ingress, o, n),
        (Object::Endpoints(o), Object::Endpoints(n)) => without_status!(Endpoints, o, n, subsets),
        (Object::ConfigMap(o), Object::ConfigMap(n)) => {
            without_status!(ConfigMap, o, n, data, binary_data, immutable)
        }
        (Object::Secret(o), Object::Secret(n)) => {
            without_status!(Secret, o, n, data, string_data, type_, immutable)
        }
        (Object::Event(o), Object::Event(n)) => without_status!(Event, o, n, message, count),
        (Object::Dynamic(o), Object::Dynamic(n)) => dynamic_allowed_part(o, *n, scope),
        // Keys carry the kind, so the two always agree.
        (existing, _) => (existing.clone(), false),
    }
}

/// [`take_allowed_part`] for kinds stored as JSON: with a status
/// subresource, status and the rest change through separate calls.
fn dynamic_allowed_part(
    old: &crate::api::DynamicObject,
    mut new: crate::api::DynamicObject,
    scope: UpdateScope,
) -> (Object, bool) {
    let without_status = |fields: &serde_json::Map<String, serde_json::Value>| {
        fields
            .iter()
            .filter(|(k, _)| k.as_str() != "status")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<serde_json::Map<_, _>>()
    };
    let has_status = old.kind.info().has_subresource("status");
    let spec_changed = if has_status {
        without_status(&old.fields) != without_status(&new.fields)
    } else {
        old.fields != new.fields
    };
    let merged = match (scope, has_status) {
        (UpdateScope::Main, false) => new,
        (UpdateScope::Main, true) => {
            match old.fields.get("status") {
                Some(status) => new.fields.insert("status".into(), status.clone()),
                None => new.fields.remove("status"),
            };
            new
        }
        (UpdateScope::Status, false) => return (Object::Dynamic(Box::new(old.clone())), false),
        (UpdateScope::Status, true) => {
            let mut merged = old.clone();
            match new.fields.remove("status") {
                Some(status) => merged.fields.insert("status".into(), status),
                None => merged.fields.remove("status"),
            };
            merged
        }
    };
    (Object::Dynamic(Box::new(merged)), spec_changed)
}

/// True when an object marked for deletion has nothing left to wait for.
fn deletion_complete(object: &Object) -> bool {
    let meta = object.meta();
    if meta.deletion_timestamp.is_none() || meta.finalizers.as_ref().is_some_and(|f| !f.is_empty())
    {
        return false;
    }
    match object {
        Object::Pod(_) => meta.deletion_grace_period_seconds.unwrap_or(0) == 0,
        Object::Namespace(ns) => ns
            .spec
            .as_ref()
            .and_then(|s| s.finalizers.as_ref())
            .is_none_or(|f| f.is_empty()),
        _ => true,
    }
}

/// The grace a pod deletion gets: `None` when it should go at once (not
/// bound to a node, already finished, or grace 0 asked for).
fn pod_grace_seconds(object: &Object, requested: Option<i64>) -> Option<i64> {
    let Object::Pod(pod) = object else {
        return None;
    };
    let bound = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_ref())
        .is_some();
    let finished = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .is_some_and(|p| p == "Succeeded" || p == "Failed");
    let grace = requested
        .or_else(|| {
            pod.spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
        })
        .unwrap_or(30)
        .max(0);
    if bound && !finished {
        Some(grace)
    } else {
        Some(0)
    }
}

fn jiff_seconds(seconds: i64) -> k8s_openapi::jiff::SignedDuration {
    k8s_openapi::jiff::SignedDuration::from_secs(seconds)
}

fn now() -> Time {
    crate::clock::now_time()
}

trait Truncate {
    fn truncated(self) -> Self;
}

impl Truncate for Time {
    fn truncated(self) -> Time {
        Time(Timestamp::from_second(self.0.as_second()).unwrap_or(self.0))
    }
}

/// `n` random characters from the Kubernetes name alphabet.
pub fn random_suffix(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..n)
        .map(|_| NAME_ALPHABET[rng.random_range(0..NAME_ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests;
