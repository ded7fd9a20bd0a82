//! The Namespace controller: empties a terminating namespace, then clears
//! spec.finalizers (`kubernetes`) so the store lets the namespace go.

use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;

use super::ControllerError;
use super::runner::Reconciler;
use crate::api::{Kind, Object};
use crate::store::{
    DeleteOptions, EventType, ListFilter, ObjectKey, Store, StoreError, UpdateScope, WatchEvent,
};

/// How often a terminating namespace is looked at while objects remain.
const RECHECK: Duration = Duration::from_secs(5);

pub struct NamespaceController {
    store: Store,
}

impl NamespaceController {
    pub fn new(store: Store) -> NamespaceController {
        NamespaceController { store }
    }

    fn terminating(&self, namespace: &str) -> bool {
        self.store
            .get(Kind::Namespace, "", namespace)
            .is_some_and(|ns| ns.meta().deletion_timestamp.is_some())
    }

    /// Deletes what is left; returns how many objects remain.
    fn delete_contents(&self, namespace: &str) -> Result<usize, ControllerError> {
        let mut remaining = 0;
        for kind in Kind::ALL.iter().filter(|k| k.namespaced()) {
            for object in self
                .store
                .list(*kind, Some(namespace), &ListFilter::default())
                .items
            {
                remaining += 1;
                if object.meta().deletion_timestamp.is_some() {
                    continue;
                }
                match self.store.delete(
                    *kind,
                    namespace,
                    object.name(),
                    &DeleteOptions {
                        propagation: Some(crate::store::Propagation::Background),
                        ..DeleteOptions::default()
                    },
                ) {
                    Ok(crate::store::Deletion::Removed(_)) => remaining -= 1,
                    Ok(_) | Err(StoreError::NotFound { .. }) => {}
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Ok(remaining)
    }
}

impl Reconciler for NamespaceController {
    fn name(&self) -> &'static str {
        "namespace"
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        let object = &event.object;
        match &**object {
            Object::Namespace(_) if object.meta().deletion_timestamp.is_some() => {
                vec![ObjectKey::of(object)]
            }
            Object::Namespace(_) => Vec::new(),
            _ if event.event_type == EventType::Deleted && self.terminating(object.namespace()) => {
                vec![ObjectKey::new(Kind::Namespace, "", object.namespace())]
            }
            _ => Vec::new(),
        }
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        self.store
            .list(Kind::Namespace, None, &ListFilter::default())
            .items
            .iter()
            .filter(|ns| ns.meta().deletion_timestamp.is_some())
            .map(|ns| ObjectKey::of(ns))
            .collect()
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(namespace) = self.store.get_as::<Namespace>("", &key.name) else {
            return Ok(None);
        };
        if namespace.metadata.deletion_timestamp.is_none() {
            return Ok(None);
        }
        if self.delete_contents(&key.name)? > 0 {
            return Ok(Some(RECHECK));
        }
        self.store
            .mutate::<Namespace>("", &key.name, UpdateScope::Main, |ns| {
                let Some(spec) = ns.spec.as_mut() else {
                    return false;
                };
                if spec.finalizers.as_ref().is_none_or(Vec::is_empty) {
                    return false;
                }
                spec.finalizers = None;
                true
            })?;
        Ok(None)
    }
}
