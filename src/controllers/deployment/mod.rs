//! The Deployment controller (pkg/controller/deployment): rolls a
//! Deployment's template out through ReplicaSets.
//!
//! Sync order, as upstream: deleting → status only; paused → scale only;
//! a scaling event → proportional scaling; else Recreate or RollingUpdate.

mod progress;
mod recreate;
mod rolling;
mod sync;
pub mod util;

/// Upstream's DeploymentComplete, which `kubectl rollout status` also waits for.
pub use progress::deployment_complete;

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;

use super::ControllerError;
use super::runner::Reconciler;
use super::util::{
    controller_key, controller_of, controller_ref, selector_is_empty, selector_matches,
};
use crate::api::{Kind, Object};
use crate::events::EventRecorder;
use crate::store::{ListFilter, ObjectKey, Store, UpdateScope, WatchEvent};

pub struct DeploymentController {
    store: Store,
    recorder: EventRecorder,
}

impl DeploymentController {
    pub fn new(store: Store) -> DeploymentController {
        let recorder = EventRecorder::new(store.clone(), "deployment-controller", None);
        DeploymentController { store, recorder }
    }
}

fn deployment_selects(
    d: &Deployment,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> bool {
    d.spec
        .as_ref()
        .is_some_and(|s| !selector_is_empty(&s.selector) && selector_matches(&s.selector, labels))
}

/// The ReplicaSet controller has seen this ReplicaSet's current spec, so
/// its status counts pods for that spec.
fn replica_set_caught_up(rs: &ReplicaSet) -> bool {
    let observed = rs
        .status
        .as_ref()
        .and_then(|s| s.observed_generation)
        .unwrap_or(0);
    observed >= rs.metadata.generation.unwrap_or(0)
}

impl Reconciler for DeploymentController {
    fn name(&self) -> &'static str {
        "deployment"
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Deployment, Kind::ReplicaSet, Kind::Pod])
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        match &*event.object {
            Object::Deployment(_) => vec![ObjectKey::of(&event.object)],
            Object::ReplicaSet(rs) => self.keys_for_replica_set(rs),
            // Recreate waits for old pods to go: a deleted pod tells its
            // ReplicaSet's owner (upstream's deletePod handler).
            Object::Pod(pod) if event.event_type == crate::store::EventType::Deleted => {
                controller_key(&pod.metadata, Kind::ReplicaSet)
                    .and_then(|key| self.store.get_as::<ReplicaSet>(&key.namespace, &key.name))
                    .and_then(|rs| controller_key(&rs.metadata, Kind::Deployment))
                    .into_iter()
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        super::util::keys_of(&self.store, Kind::Deployment)
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(mut d) = self.store.get_as::<Deployment>(&key.namespace, &key.name) else {
            return Ok(None);
        };
        let empty_selector = d
            .spec
            .as_ref()
            .is_none_or(|s| selector_is_empty(&s.selector));
        if empty_selector {
            // Upstream refuses to select every pod; it only records a warning.
            return Ok(None);
        }
        let rs_list = self.replica_sets_for(&d)?;
        if d.metadata.deletion_timestamp.is_some() {
            self.sync_status_only(&mut d, &rs_list)?;
            return Ok(None);
        }
        if rs_list.iter().any(|rs| !replica_set_caught_up(rs)) {
            // Its status would mislead the arithmetic; the ReplicaSet
            // controller's status update brings us back.
            return Ok(None);
        }
        self.check_paused_conditions(&mut d)?;
        let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        if paused || self.is_scaling_event(&mut d, &rs_list)? {
            self.sync(&mut d, &rs_list)?;
            return Ok(None);
        }
        if util::is_rolling_update(&d) {
            self.rollout_rolling(&mut d, &rs_list)
        } else {
            self.rollout_recreate(&mut d, &rs_list)
        }
    }
}

impl DeploymentController {
    fn keys_for_replica_set(&self, rs: &ReplicaSet) -> Vec<ObjectKey> {
        if let Some(key) = controller_key(&rs.metadata, Kind::Deployment) {
            return vec![key];
        }
        if controller_of(&rs.metadata).is_some() {
            return Vec::new();
        }
        // An orphan: every Deployment that could adopt it.
        self.store
            .list_as::<Deployment>(rs.metadata.namespace.as_deref(), &ListFilter::default())
            .into_iter()
            .filter(|d| deployment_selects(d, rs.metadata.labels.as_ref()))
            .map(|d| ObjectKey::of(&d.into()))
            .collect()
    }

    /// The ReplicaSets this Deployment controls, adopting matching orphans
    /// and releasing owned ones that no longer match.
    fn replica_sets_for(&self, d: &Deployment) -> Result<Vec<ReplicaSet>, ControllerError> {
        let uid = d.metadata.uid.clone().unwrap_or_default();
        let deleting = d.metadata.deletion_timestamp.is_some();
        let d_object: Object = d.clone().into();
        let mut claimed = Vec::new();
        for rs in self
            .store
            .list_as::<ReplicaSet>(d.metadata.namespace.as_deref(), &ListFilter::default())
        {
            let matches = deployment_selects(d, rs.metadata.labels.as_ref());
            let ns = rs.metadata.namespace.clone().unwrap_or_default();
            let name = rs.metadata.name.clone().unwrap_or_default();
            match controller_of(&rs.metadata) {
                Some(owner) if owner.uid == uid => {
                    if matches || deleting {
                        claimed.push(rs);
                        continue;
                    }
                    self.store
                        .mutate::<ReplicaSet>(&ns, &name, UpdateScope::Main, |r| {
                            let before = r.metadata.owner_references.clone();
                            if let Some(refs) = r.metadata.owner_references.as_mut() {
                                refs.retain(|o| o.uid != uid);
                            }
                            if r.metadata
                                .owner_references
                                .as_ref()
                                .is_some_and(Vec::is_empty)
                            {
                                r.metadata.owner_references = None;
                            }
                            r.metadata.owner_references != before
                        })?;
                }
                Some(_) => {}
                None if matches && !deleting && rs.metadata.deletion_timestamp.is_none() => {
                    let adopted =
                        self.store
                            .mutate::<ReplicaSet>(&ns, &name, UpdateScope::Main, |r| {
                                if controller_of(&r.metadata).is_some() {
                                    return false;
                                }
                                r.metadata
                                    .owner_references
                                    .get_or_insert_with(Vec::new)
                                    .push(controller_ref(&d_object));
                                true
                            })?;
                    if let Some(rs) = adopted
                        .as_deref()
                        .and_then(|o| o.as_typed::<ReplicaSet>().cloned())
                        .filter(|r| controller_of(&r.metadata).is_some_and(|o| o.uid == uid))
                    {
                        claimed.push(rs);
                    }
                }
                None => {}
            }
        }
        Ok(claimed)
    }

    /// Pods controlled by any of `rss` (the Deployment's pod map).
    fn pods_of(&self, namespace: &str, rss: &[&ReplicaSet]) -> Vec<Pod> {
        let uids: Vec<&str> = rss
            .iter()
            .filter_map(|rs| rs.metadata.uid.as_deref())
            .collect();
        self.store
            .list_as::<Pod>(Some(namespace), &ListFilter::default())
            .into_iter()
            .filter(|p| controller_of(&p.metadata).is_some_and(|o| uids.contains(&o.uid.as_str())))
            .collect()
    }

    /// Writes the Deployment's status and keeps `d` current.
    fn write_status(&self, d: &mut Deployment) -> Result<(), ControllerError> {
        let status = d.status.clone();
        let updated = self.store.mutate::<Deployment>(
            d.metadata.namespace.as_deref().unwrap_or(""),
            d.metadata.name.as_deref().unwrap_or(""),
            UpdateScope::Status,
            |current| {
                current.status = status.clone();
                true
            },
        )?;
        if let Some(updated) = updated.as_deref().and_then(|o| o.as_typed::<Deployment>()) {
            *d = updated.clone();
        }
        Ok(())
    }
}
