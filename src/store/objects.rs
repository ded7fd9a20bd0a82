//! The store's objects by kind, namespace and name, and the owner index
//! the garbage collector reads. Look-ups borrow the caller's strings: a
//! `get` allocates nothing, which matters on the hot path of 10k pods.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::{ListFilter, ObjectKey};
use crate::api::{Kind, Object};

/// Objects of one kind: namespace ("" for cluster-scoped kinds) → name → object.
type ByNamespace = BTreeMap<String, BTreeMap<String, Arc<Object>>>;

#[derive(Default)]
pub(super) struct Objects {
    by_kind: HashMap<Kind, ByNamespace>,
    /// Owner uid → keys of objects whose ownerReferences name it.
    dependents: HashMap<String, BTreeSet<ObjectKey>>,
    count: usize,
}

/// The namespace an object of `kind` is filed under.
fn scoped(kind: Kind, namespace: &str) -> &str {
    if kind.namespaced() { namespace } else { "" }
}

impl Objects {
    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<&Arc<Object>> {
        self.by_kind
            .get(&kind)?
            .get(scoped(kind, namespace))?
            .get(name)
    }

    pub fn get_key(&self, key: &ObjectKey) -> Option<&Arc<Object>> {
        self.get(key.kind, &key.namespace, &key.name)
    }

    /// How many objects there are, of all kinds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Adds or replaces an object, keeping the owner index current.
    pub fn insert(&mut self, object: Arc<Object>) {
        let key = ObjectKey::of(&object);
        self.unindex_owners(&key);
        for owner in object.meta().owner_references.iter().flatten() {
            self.dependents
                .entry(owner.uid.clone())
                .or_default()
                .insert(key.clone());
        }
        let previous = self
            .by_kind
            .entry(key.kind)
            .or_default()
            .entry(key.namespace)
            .or_default()
            .insert(key.name, object);
        if previous.is_none() {
            self.count += 1;
        }
    }

    pub fn remove(&mut self, key: &ObjectKey) {
        self.unindex_owners(key);
        let Some(namespaces) = self.by_kind.get_mut(&key.kind) else {
            return;
        };
        let Some(names) = namespaces.get_mut(&key.namespace) else {
            return;
        };
        if names.remove(&key.name).is_some() {
            self.count -= 1;
        }
        if names.is_empty() {
            namespaces.remove(&key.namespace);
        }
    }

    fn unindex_owners(&mut self, key: &ObjectKey) {
        let Some(old) = self.get_key(key).cloned() else {
            return;
        };
        for owner in old.meta().owner_references.iter().flatten() {
            if let Some(set) = self.dependents.get_mut(&owner.uid) {
                set.remove(key);
                if set.is_empty() {
                    self.dependents.remove(&owner.uid);
                }
            }
        }
    }

    /// Objects of `kind` in `namespace` (all when `None`) that match
    /// `filter`, sorted by namespace and name.
    pub fn list(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        filter: &ListFilter,
    ) -> Vec<Arc<Object>> {
        let Some(namespaces) = self.by_kind.get(&kind) else {
            return Vec::new();
        };
        let matching = |o: &&Arc<Object>| filter.matches(o);
        match namespace.filter(|_| kind.namespaced()) {
            Some(ns) => namespaces
                .get(ns)
                .map(|names| names.values().filter(matching).cloned().collect())
                .unwrap_or_default(),
            None => namespaces
                .values()
                .flat_map(BTreeMap::values)
                .filter(matching)
                .cloned()
                .collect(),
        }
    }

    /// Objects whose ownerReferences name `owner_uid`.
    pub fn dependents(&self, owner_uid: &str) -> Vec<Arc<Object>> {
        self.dependents
            .get(owner_uid)
            .map(|keys| {
                keys.iter()
                    .filter_map(|k| self.get_key(k).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every object (for a snapshot).
    pub fn all(&self) -> Vec<Arc<Object>> {
        self.by_kind
            .values()
            .flat_map(BTreeMap::values)
            .flat_map(BTreeMap::values)
            .cloned()
            .collect()
    }
}
