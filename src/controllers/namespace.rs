//! The Namespace controller: empties a terminating namespace, then clears
//! spec.finalizers (`kubernetes`) so the store lets the namespace go.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, NamespaceCondition};

use super::ControllerError;
use super::runner::Reconciler;
use crate::api::{Kind, Object};
use crate::store::{
    DeleteOptions, Deletion, EventType, ListFilter, ObjectKey, Store, StoreError, UpdateScope,
    WatchEvent,
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

    /// Deletes what is left; reports what remains.
    fn delete_contents(&self, namespace: &str) -> Result<Remaining, ControllerError> {
        let mut remaining = Remaining::default();
        for kind in Kind::all()
            .iter()
            .filter(|k| k.namespaced() && k.info().stored())
        {
            for object in self
                .store
                .list(*kind, Some(namespace), &ListFilter::default())
                .items
            {
                let still_there = if object.meta().deletion_timestamp.is_some() {
                    true
                } else {
                    match self.store.delete(
                        *kind,
                        namespace,
                        object.name(),
                        &DeleteOptions {
                            propagation: Some(crate::store::Propagation::Background),
                            ..DeleteOptions::default()
                        },
                    ) {
                        Ok(Deletion::Removed(_)) | Err(StoreError::NotFound { .. }) => false,
                        Ok(Deletion::Pending(_)) => true,
                        Err(error) => return Err(error.into()),
                    }
                };
                if still_there {
                    remaining.add(*kind, &object);
                }
            }
        }
        Ok(remaining)
    }

    /// The deletion conditions upstream's namespace controller reports.
    fn report(&self, namespace: &str, remaining: &Remaining) -> Result<(), ControllerError> {
        let conditions = remaining.conditions();
        self.store
            .mutate::<Namespace>("", namespace, UpdateScope::Status, |ns| {
                let status = ns.status.get_or_insert_with(Default::default);
                let mut merged = Vec::new();
                for mut condition in conditions.clone() {
                    let previous = status
                        .conditions
                        .iter()
                        .flatten()
                        .find(|c| c.type_ == condition.type_);
                    if let Some(previous) = previous.filter(|p| p.status == condition.status) {
                        condition.last_transition_time = previous.last_transition_time.clone();
                    }
                    merged.push(condition);
                }
                if status.conditions.as_ref() == Some(&merged) {
                    return false;
                }
                status.conditions = Some(merged);
                true
            })?;
        Ok(())
    }
}

/// What is left in a terminating namespace.
#[derive(Default)]
struct Remaining {
    /// "pods.", "replicasets.apps" ... → instances left.
    resources: BTreeMap<String, usize>,
    /// Finalizer → instances still carrying it.
    finalizers: BTreeMap<String, usize>,
}

impl Remaining {
    fn add(&mut self, kind: Kind, object: &Object) {
        // Upstream prints resource.group, so core kinds end in a dot ("pods.").
        let info = kind.info();
        *self
            .resources
            .entry(format!("{}.{}", info.plural, info.group))
            .or_default() += 1;
        for finalizer in object.meta().finalizers.iter().flatten() {
            *self.finalizers.entry(finalizer.clone()).or_default() += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    fn conditions(&self) -> Vec<NamespaceCondition> {
        let condition =
            |type_: &str, status: &str, reason: &str, message: String| NamespaceCondition {
                type_: type_.to_string(),
                status: status.to_string(),
                reason: Some(reason.to_string()),
                message: Some(message),
                last_transition_time: Some(crate::clock::now_time()),
            };
        let remaining = if self.resources.is_empty() {
            condition(
                "NamespaceContentRemaining",
                "False",
                "ContentRemoved",
                "All content successfully removed".into(),
            )
        } else {
            let list: Vec<String> = self
                .resources
                .iter()
                .map(|(r, n)| format!("{r} has {n} resource instances"))
                .collect();
            condition(
                "NamespaceContentRemaining",
                "True",
                "SomeResourcesRemain",
                format!("Some resources are remaining: {}", list.join(", ")),
            )
        };
        let finalizers = if self.finalizers.is_empty() {
            condition(
                "NamespaceFinalizersRemaining",
                "False",
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished".into(),
            )
        } else {
            let list: Vec<String> = self
                .finalizers
                .iter()
                .map(|(f, n)| format!("{f} in {n} resource instances"))
                .collect();
            condition(
                "NamespaceFinalizersRemaining",
                "True",
                "SomeFinalizersRemain",
                format!(
                    "Some content in the namespace has finalizers remaining: {}",
                    list.join(", ")
                ),
            )
        };
        vec![
            condition(
                "NamespaceDeletionDiscoveryFailure",
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered".into(),
            ),
            condition(
                "NamespaceDeletionGroupVersionParsingFailure",
                "False",
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed".into(),
            ),
            condition(
                "NamespaceDeletionContentFailure",
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization".into(),
            ),
            remaining,
            finalizers,
        ]
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
        let remaining = self.delete_contents(&key.name)?;
        self.report(&key.name, &remaining)?;
        if !remaining.is_empty() {
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
