//! The garbage collector: deletes dependents whose owners are gone
//! (Background), deletes dependents before their owner (Foreground,
//! finalizer `foregroundDeletion`), or strips their ownerReferences
//! (Orphan, finalizer `orphan`). Follows upstream's attemptToDeleteItem.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::ControllerError;
use super::runner::Reconciler;
use crate::api::{Kind, Object};
use crate::store::{
    DeleteOptions, EventType, FOREGROUND_FINALIZER, ListFilter, ORPHAN_FINALIZER, ObjectKey,
    Propagation, Store, StoreError, UpdateScope, WatchEvent,
};

pub struct GarbageCollector {
    store: Store,
}

/// What became of one owner.
enum OwnerState {
    /// Exists and is not waiting for its dependents.
    Solid,
    /// Gone, or replaced by another object with the same name.
    Dangling,
    /// Being deleted in the foreground.
    Waiting,
}

fn has_finalizer(meta: &ObjectMeta, finalizer: &str) -> bool {
    meta.finalizers.iter().flatten().any(|f| f == finalizer)
}

fn owner_key(dependent: &Object, owner: &OwnerReference) -> Option<ObjectKey> {
    let kind = Kind::from_type_meta(&owner.api_version, &owner.kind)?;
    Some(ObjectKey::new(kind, dependent.namespace(), &owner.name))
}

impl GarbageCollector {
    pub fn new(store: Store) -> GarbageCollector {
        GarbageCollector { store }
    }

    fn get(&self, key: &ObjectKey) -> Option<std::sync::Arc<Object>> {
        self.store.get(key.kind, &key.namespace, &key.name)
    }

    /// Read-modify-write of an object's metadata, retrying conflicts.
    fn update_meta(
        &self,
        key: &ObjectKey,
        mut change: impl FnMut(&mut ObjectMeta) -> bool,
    ) -> Result<(), ControllerError> {
        loop {
            let Some(current) = self.get(key) else {
                return Ok(());
            };
            let mut object = (*current).clone();
            if !change(object.meta_mut()) {
                return Ok(());
            }
            match self.store.update(object, UpdateScope::Main) {
                Ok(_) | Err(StoreError::NotFound { .. }) => return Ok(()),
                Err(StoreError::Conflict { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
    }

    fn remove_finalizer(&self, key: &ObjectKey, finalizer: &str) -> Result<(), ControllerError> {
        self.update_meta(key, |meta| {
            let Some(finalizers) = meta.finalizers.as_mut() else {
                return false;
            };
            let before = finalizers.len();
            finalizers.retain(|f| f != finalizer);
            let changed = finalizers.len() != before;
            if finalizers.is_empty() {
                meta.finalizers = None;
            }
            changed
        })
    }

    fn owner_state(&self, dependent: &Object, owner: &OwnerReference) -> OwnerState {
        let Some(key) = owner_key(dependent, owner) else {
            // A kind this cluster does not serve: never collect on its account.
            return OwnerState::Solid;
        };
        match self.get(&key) {
            Some(found) if found.meta().uid.as_deref() == Some(owner.uid.as_str()) => {
                let meta = found.meta();
                if meta.deletion_timestamp.is_some() && has_finalizer(meta, FOREGROUND_FINALIZER) {
                    OwnerState::Waiting
                } else {
                    OwnerState::Solid
                }
            }
            _ => OwnerState::Dangling,
        }
    }

    /// attemptToDeleteItem for one object with ownerReferences.
    fn attempt_to_delete(&self, key: &ObjectKey) -> Result<(), ControllerError> {
        let Some(object) = self.get(key) else {
            return Ok(());
        };
        let refs = object.meta().owner_references.clone().unwrap_or_default();
        if refs.is_empty() || object.meta().deletion_timestamp.is_some() {
            return Ok(());
        }
        let mut solid = 0;
        let mut stale_uids = Vec::new();
        let mut waiting = 0;
        for owner in &refs {
            match self.owner_state(&object, owner) {
                OwnerState::Solid => solid += 1,
                OwnerState::Dangling => stale_uids.push(owner.uid.clone()),
                OwnerState::Waiting => {
                    waiting += 1;
                    stale_uids.push(owner.uid.clone());
                }
            }
        }
        if solid > 0 {
            if stale_uids.is_empty() {
                return Ok(());
            }
            // Other owners keep it alive; only drop references to the gone ones.
            return self.update_meta(key, |meta| {
                let Some(refs) = meta.owner_references.as_mut() else {
                    return false;
                };
                let before = refs.len();
                refs.retain(|r| !stale_uids.contains(&r.uid));
                refs.len() != before
            });
        }
        let has_dependents = object
            .meta()
            .uid
            .as_deref()
            .is_some_and(|uid| !self.store.dependents(uid).is_empty());
        let propagation = if waiting > 0 && has_dependents {
            Propagation::Foreground
        } else {
            Propagation::Background
        };
        let options = DeleteOptions {
            propagation: Some(propagation),
            precondition_uid: object.meta().uid.clone(),
            ..DeleteOptions::default()
        };
        match self
            .store
            .delete(key.kind, &key.namespace, &key.name, &options)
        {
            Ok(_) | Err(StoreError::NotFound { .. }) | Err(StoreError::Conflict { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Foreground: delete dependents; drop the finalizer once no dependent
    /// with blockOwnerDeletion remains.
    fn process_foreground(&self, key: &ObjectKey, owner: &Object) -> Result<(), ControllerError> {
        let uid = owner.meta().uid.clone().unwrap_or_default();
        let dependents = self.store.dependents(&uid);
        for dependent in &dependents {
            self.attempt_to_delete(&ObjectKey::of(dependent))?;
        }
        let blocking = self.store.dependents(&uid).iter().any(|d| {
            d.meta()
                .owner_references
                .iter()
                .flatten()
                .any(|r| r.uid == uid && r.block_owner_deletion == Some(true))
        });
        if !blocking {
            self.remove_finalizer(key, FOREGROUND_FINALIZER)?;
        }
        Ok(())
    }

    /// Orphan: strip references to the owner from every dependent.
    fn process_orphan(&self, key: &ObjectKey, owner: &Object) -> Result<(), ControllerError> {
        let uid = owner.meta().uid.clone().unwrap_or_default();
        for dependent in self.store.dependents(&uid) {
            self.update_meta(&ObjectKey::of(&dependent), |meta| {
                let Some(refs) = meta.owner_references.as_mut() else {
                    return false;
                };
                let before = refs.len();
                refs.retain(|r| r.uid != uid);
                let changed = refs.len() != before;
                if refs.is_empty() {
                    meta.owner_references = None;
                }
                changed
            })?;
        }
        self.remove_finalizer(key, ORPHAN_FINALIZER)
    }

    /// An update the collector has nothing to do about: ownerReferences,
    /// deletion and finalizers as they were (a Lease renewal, a status
    /// write). Upstream's graph builder likewise acts only on changed
    /// references and deletion transitions.
    fn same_for_gc(previous: &Object, current: &Object) -> bool {
        let (before, after) = (previous.meta(), current.meta());
        before.owner_references == after.owner_references
            && before.deletion_timestamp.is_some() == after.deletion_timestamp.is_some()
            && before.finalizers == after.finalizers
    }

    fn interesting(object: &Object) -> bool {
        let meta = object.meta();
        meta.owner_references
            .as_ref()
            .is_some_and(|r| !r.is_empty())
            || (meta.deletion_timestamp.is_some()
                && (has_finalizer(meta, FOREGROUND_FINALIZER)
                    || has_finalizer(meta, ORPHAN_FINALIZER)))
    }
}

impl Reconciler for GarbageCollector {
    fn name(&self) -> &'static str {
        "garbage-collector"
    }

    /// Every kind, the generic and custom ones included (a Job owns its
    /// pods, an operator's resource its children); events, which own
    /// nothing and are never owned, are skipped in `keys_for_event`.
    fn kinds(&self) -> Option<&'static [Kind]> {
        None
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        let object = &event.object;
        if object.kind() == Kind::Event {
            return Vec::new();
        }
        let mut keys = Vec::new();
        if event.event_type == EventType::Deleted {
            if let Some(uid) = object.meta().uid.as_deref() {
                keys.extend(self.store.dependents(uid).iter().map(|d| ObjectKey::of(d)));
            }
            // An owner waiting in the foreground may now be free to go.
            keys.extend(
                object
                    .meta()
                    .owner_references
                    .iter()
                    .flatten()
                    .filter_map(|r| owner_key(object, r)),
            );
        } else if Self::interesting(object)
            && !event
                .previous
                .as_deref()
                .is_some_and(|previous| Self::same_for_gc(previous, object))
        {
            keys.push(ObjectKey::of(object));
        }
        keys
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        Kind::all()
            .iter()
            .filter(|k| **k != Kind::Event && k.info().stored())
            .flat_map(|kind| self.store.list(*kind, None, &ListFilter::default()).items)
            .filter(|o| Self::interesting(o))
            .map(|o| ObjectKey::of(&o))
            .collect()
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(object) = self.get(key) else {
            return Ok(None);
        };
        let meta = object.meta();
        if meta.deletion_timestamp.is_some() {
            if has_finalizer(meta, ORPHAN_FINALIZER) {
                self.process_orphan(key, &object)?;
            } else if has_finalizer(meta, FOREGROUND_FINALIZER) {
                self.process_foreground(key, &object)?;
            }
            return Ok(None);
        }
        self.attempt_to_delete(key)?;
        Ok(None)
    }
}
