//! The PodDisruptionBudget controller (pkg/controller/disruption): keeps
//! each budget's status — how many of its pods are healthy (Ready), how
//! many must be (`minAvailable`, or the expected count less
//! `maxUnavailable`), how many pods are expected, and so how many
//! disruptions are allowed now. The eviction subresource
//! (`apiserver::eviction`) reads that status and decrements it.
//!
//! As upstream:
//! - the pods are those the selector picks in the budget's namespace (a
//!   missing selector picks none, an empty one all);
//! - `minAvailable` as an integer expects exactly the pods found; a
//!   percentage, or any `maxUnavailable`, scales from the controllers' own
//!   `spec.replicas` (getExpectedScale: a ReplicaSet's Deployment, else the
//!   ReplicaSet, a ReplicationController, a StatefulSet), percentages
//!   rounded up; pods no controller owns are left out (an `UnmanagedPods`
//!   warning);
//! - a pod the eviction handler wrote into `status.disruptedPods` does not
//!   count as healthy for two minutes (DeletionTimeout), then drops out
//!   of the map (a `NotDeleted` warning on the pod);
//! - `disruptionsAllowed = currentHealthy - desiredHealthy`, never below
//!   0, and 0 while no pod is expected; the `DisruptionAllowed` condition
//!   says `SufficientPods` (True) or `InsufficientPods` (False);
//! - a sync that fails (a pod whose controller has no scale) writes the
//!   fail-safe status: 0 allowed, condition False `SyncFailed` with the
//!   error.
//!
//! The same controller clears a stale `DisruptionTarget` condition: a pod
//! an eviction marked but which is still not terminating two minutes later
//! (the delete failed) gets the condition back to False, as upstream's
//! syncStalePodDisruption.
//!
//! Status writes carry the resourceVersion read, so a write racing an
//! eviction's decrement conflicts and the sync runs again instead of
//! handing out the same disruption twice.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, OwnerReference, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use super::ControllerError;
use super::runner::Reconciler;
use super::util::{controller_of, is_pod_ready, read_as, selector_is_empty, selector_matches};
use crate::api::{Kind, Object};
use crate::events::{EventRecorder, EventType};
use crate::store::{ListFilter, ObjectKey, Store, StoreError, UpdateScope, WatchEvent};

/// How long a pod in `disruptedPods` is taken to be on its way out.
pub const DELETION_TIMEOUT: Duration = Duration::from_secs(120);
/// The condition the controller and the eviction handler keep.
pub const DISRUPTION_ALLOWED: &str = "DisruptionAllowed";
pub const SUFFICIENT_PODS: &str = "SufficientPods";
pub const INSUFFICIENT_PODS: &str = "InsufficientPods";
pub const SYNC_FAILED: &str = "SyncFailed";
/// The condition the eviction handler sets on a pod it is about to delete.
pub const DISRUPTION_TARGET: &str = "DisruptionTarget";
/// How long a non-terminating pod keeps a True `DisruptionTarget`.
pub const STALE_POD_DISRUPTION_TIMEOUT: Duration = Duration::from_secs(120);

pub struct DisruptionController {
    store: Store,
    recorder: EventRecorder,
}

impl DisruptionController {
    pub fn new(store: Store) -> DisruptionController {
        let recorder = EventRecorder::new(store.clone(), "controllermanager", None);
        DisruptionController { store, recorder }
    }
}

/// The budgets in `namespace` whose selector picks `pod` (as the
/// controller reads selectors: a missing one picks nothing).
fn budgets_selecting(store: &Store, pod: &Pod) -> Vec<ObjectKey> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    store
        .list(
            Kind::PodDisruptionBudget,
            Some(namespace),
            &ListFilter::default(),
        )
        .items
        .iter()
        .filter(|object| {
            read_as::<PodDisruptionBudget>(object)
                .ok()
                .and_then(|pdb| pdb.spec?.selector)
                .is_some_and(|s| selector_matches(&s, pod.metadata.labels.as_ref()))
        })
        .map(|o| ObjectKey::of(o))
        .collect()
}

/// The budgets that guard `pod` against eviction: as upstream's eviction
/// handler, a missing or empty selector guards nothing.
pub fn budgets_guarding(store: &Store, pod: &Pod) -> Vec<PodDisruptionBudget> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    store
        .list(
            Kind::PodDisruptionBudget,
            Some(namespace),
            &ListFilter::default(),
        )
        .items
        .iter()
        .filter_map(|object| read_as::<PodDisruptionBudget>(object).ok())
        .filter(|pdb| {
            pdb.spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                .is_some_and(|s| {
                    !selector_is_empty(s) && selector_matches(s, pod.metadata.labels.as_ref())
                })
        })
        .collect()
}

impl Reconciler for DisruptionController {
    fn name(&self) -> &'static str {
        "disruption"
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[
            Kind::PodDisruptionBudget,
            Kind::Pod,
            Kind::ReplicaSet,
            Kind::Deployment,
            Kind::StatefulSet,
            Kind::ReplicationController,
        ])
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        match &*event.object {
            Object::Pod(pod) => {
                let mut keys = budgets_selecting(&self.store, pod);
                if stale_disruption_in(pod, crate::clock::now()).is_some() {
                    keys.push(ObjectKey::of(&event.object));
                }
                keys
            }
            object if object.kind() == Kind::PodDisruptionBudget => vec![ObjectKey::of(object)],
            // A controller's scale is the expected count of percentage budgets.
            object => self
                .store
                .list(
                    Kind::PodDisruptionBudget,
                    Some(object.namespace()),
                    &ListFilter::default(),
                )
                .items
                .iter()
                .map(|o| ObjectKey::of(o))
                .collect(),
        }
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        let now = crate::clock::now();
        let mut keys = super::util::keys_of(&self.store, Kind::PodDisruptionBudget);
        keys.extend(
            self.store
                .list(Kind::Pod, None, &ListFilter::default())
                .items
                .iter()
                .filter(|o| {
                    o.as_typed::<Pod>()
                        .is_some_and(|p| stale_disruption_in(p, now).is_some())
                })
                .map(|o| ObjectKey::of(o)),
        );
        keys
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        if key.kind == Kind::Pod {
            return self.clear_stale_disruption(key);
        }
        let Some(object) = self
            .store
            .get(Kind::PodDisruptionBudget, &key.namespace, &key.name)
        else {
            return Ok(None);
        };
        let pdb: PodDisruptionBudget = read_as(&object)?;
        match self.try_sync(&object, &pdb) {
            Ok(requeue) => Ok(requeue),
            // Someone else wrote the budget (an eviction): sync again.
            Err(error @ ControllerError::Store(StoreError::Conflict { .. })) => Err(error),
            Err(error) => {
                tracing::debug!(%error, budget = %key.name, "disruption budget sync failed");
                self.fail_safe(&pdb, &error.to_string())?;
                Ok(None)
            }
        }
    }
}

impl DisruptionController {
    fn try_sync(
        &self,
        object: &Object,
        pdb: &PodDisruptionBudget,
    ) -> Result<Option<Duration>, ControllerError> {
        let pods = self.pods_for(pdb);
        if pods.is_empty() {
            self.recorder.record(
                object,
                EventType::Normal,
                "NoPods",
                "No matching pods found",
            );
        }
        let expected = expected_pod_count(&self.store, pdb, &pods)?;
        if !expected.unmanaged.is_empty() {
            let selector = pdb
                .spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                .map(|s| crate::apiserver::subresources::selector_string(Some(s)))
                .unwrap_or_default();
            self.recorder.record(
                object,
                EventType::Warning,
                "UnmanagedPods",
                &format!(
                    "Pods selected by this PodDisruptionBudget (selector: {selector}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value."
                ),
            );
        }
        let now = crate::clock::now();
        let (disrupted, recheck) = self.disrupted_pod_map(pdb, &pods, now);
        let current_healthy = count_healthy(&pods, &disrupted, now);
        self.update_status(
            pdb,
            current_healthy,
            expected.desired_healthy,
            expected.expected,
            disrupted,
        )?;
        Ok(recheck.map(|at| {
            let wait = at.as_millisecond() - now.as_millisecond();
            Duration::from_millis(u64::try_from(wait.max(0)).unwrap_or(0)) + Duration::from_secs(1)
        }))
    }

    /// The pods the budget's selector picks (a missing selector: none).
    fn pods_for(&self, pdb: &PodDisruptionBudget) -> Vec<Pod> {
        let Some(selector) = pdb.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
            return Vec::new();
        };
        self.store
            .list_as::<Pod>(pdb.metadata.namespace.as_deref(), &ListFilter::default())
            .into_iter()
            .filter(|p| selector_matches(selector, p.metadata.labels.as_ref()))
            .collect()
    }

    /// buildDisruptedPodMap: the entries still within their deletion
    /// timeout, and when the earliest of them runs out.
    fn disrupted_pod_map(
        &self,
        pdb: &PodDisruptionBudget,
        pods: &[Pod],
        now: Timestamp,
    ) -> (BTreeMap<String, Time>, Option<Timestamp>) {
        let mut kept = BTreeMap::new();
        let mut recheck: Option<Timestamp> = None;
        let Some(disrupted) = pdb.status.as_ref().and_then(|s| s.disrupted_pods.as_ref()) else {
            return (kept, recheck);
        };
        for pod in pods {
            if pod.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let name = pod.metadata.name.clone().unwrap_or_default();
            let Some(since) = disrupted.get(&name) else {
                continue;
            };
            let expected_deletion = expiry(since);
            if expected_deletion < now {
                let namespace = pdb.metadata.namespace.as_deref().unwrap_or("");
                self.recorder.record(
                    &Object::from(pod.clone()),
                    EventType::Warning,
                    "NotDeleted",
                    &format!(
                        "Pod was expected by PDB {namespace}/{} to be deleted but it wasn't",
                        pdb.metadata.name.as_deref().unwrap_or("")
                    ),
                );
            } else {
                if recheck.is_none_or(|r| expected_deletion < r) {
                    recheck = Some(expected_deletion);
                }
                kept.insert(name, since.clone());
            }
        }
        (kept, recheck)
    }

    fn update_status(
        &self,
        pdb: &PodDisruptionBudget,
        current_healthy: i32,
        desired_healthy: i32,
        expected: i32,
        disrupted: BTreeMap<String, Time>,
    ) -> Result<(), ControllerError> {
        let mut allowed = current_healthy - desired_healthy;
        if expected <= 0 || allowed <= 0 {
            allowed = 0;
        }
        let generation = pdb.metadata.generation.unwrap_or(0);
        let old = pdb.status.clone().unwrap_or_default();
        let disrupted = (!disrupted.is_empty()).then_some(disrupted);
        let old_disrupted = old.disrupted_pods.clone().filter(|m| !m.is_empty());
        if old.current_healthy == current_healthy
            && old.desired_healthy == desired_healthy
            && old.expected_pods == expected
            && old.disruptions_allowed == allowed
            && old_disrupted == disrupted
            && old.observed_generation.unwrap_or(0) == generation
            && conditions_are_up_to_date(pdb)
        {
            return Ok(());
        }
        let mut status = PodDisruptionBudgetStatus {
            current_healthy,
            desired_healthy,
            expected_pods: expected,
            disruptions_allowed: allowed,
            disrupted_pods: disrupted,
            observed_generation: (generation != 0).then_some(generation),
            conditions: old.conditions,
        };
        update_disruption_allowed_condition(&mut status);
        write_status(&self.store, pdb, status)
    }

    /// failSafe: no disruptions, and why.
    fn fail_safe(&self, pdb: &PodDisruptionBudget, message: &str) -> Result<(), ControllerError> {
        let mut status = pdb.status.clone().unwrap_or_default();
        status.disruptions_allowed = 0;
        let observed = status.observed_generation.unwrap_or(0);
        set_condition(
            &mut status,
            Condition {
                type_: DISRUPTION_ALLOWED.to_string(),
                status: "False".to_string(),
                reason: SYNC_FAILED.to_string(),
                message: message.to_string(),
                observed_generation: (observed != 0).then_some(observed),
                last_transition_time: crate::clock::now_time(),
            },
        );
        if pdb.status.as_ref() == Some(&status) {
            return Ok(());
        }
        write_status(&self.store, pdb, status)
    }
}

impl DisruptionController {
    /// syncStalePodDisruption: a pod still marked as a disruption target
    /// long after, and not terminating, is no target any more.
    fn clear_stale_disruption(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(pod) = self.store.get_as::<Pod>(&key.namespace, &key.name) else {
            return Ok(None);
        };
        let now = crate::clock::now();
        match stale_disruption_in(&pod, now) {
            None => return Ok(None),
            Some(wait) if !wait.is_zero() => return Ok(Some(wait)),
            Some(_) => {}
        }
        self.store
            .mutate::<Pod>(&key.namespace, &key.name, UpdateScope::Status, |pod| {
                let Some(condition) = pod
                    .status
                    .as_mut()
                    .and_then(|s| s.conditions.as_mut())
                    .and_then(|c| c.iter_mut().find(|c| c.type_ == DISRUPTION_TARGET))
                else {
                    return false;
                };
                if condition.status != "True" || pod.metadata.deletion_timestamp.is_some() {
                    return false;
                }
                condition.status = "False".to_string();
                condition.last_transition_time = Some(crate::clock::now_time());
                true
            })?;
        Ok(None)
    }
}

/// For a pod that is not terminating and has a True `DisruptionTarget`
/// condition: how long until it is stale (zero: it is).
fn stale_disruption_in(pod: &Pod, now: Timestamp) -> Option<Duration> {
    if pod.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let condition = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == DISRUPTION_TARGET && c.status == "True")?;
    let since = condition.last_transition_time.as_ref().map_or(now, |t| t.0);
    let elapsed = now.as_millisecond() - since.as_millisecond();
    let timeout = i64::try_from(STALE_POD_DISRUPTION_TIMEOUT.as_millis()).unwrap_or(i64::MAX);
    Some(Duration::from_millis(
        u64::try_from((timeout - elapsed).max(0)).unwrap_or(0),
    ))
}

/// When a `disruptedPods` entry runs out.
fn expiry(since: &Time) -> Timestamp {
    let timeout = k8s_openapi::jiff::SignedDuration::from_secs(
        i64::try_from(DELETION_TIMEOUT.as_secs()).unwrap_or(120),
    );
    since.0.checked_add(timeout).unwrap_or(since.0)
}

/// countHealthyPods: Ready, not being deleted, not about to be.
fn count_healthy(pods: &[Pod], disrupted: &BTreeMap<String, Time>, now: Timestamp) -> i32 {
    let healthy = pods
        .iter()
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .filter(|pod| {
            let name = pod.metadata.name.as_deref().unwrap_or("");
            disrupted.get(name).is_none_or(|since| expiry(since) <= now)
        })
        .filter(|pod| is_pod_ready(pod))
        .count();
    i32::try_from(healthy).unwrap_or(i32::MAX)
}

/// Writes `status` over the budget as it was read: a conflict when the
/// budget changed meanwhile.
pub fn write_status(
    store: &Store,
    pdb: &PodDisruptionBudget,
    status: PodDisruptionBudgetStatus,
) -> Result<(), ControllerError> {
    let mut updated = pdb.clone();
    updated.status = Some(status);
    let object = super::util::object_of(Kind::PodDisruptionBudget, &updated)?;
    store.update(object, UpdateScope::Status)?;
    Ok(())
}

/// What getExpectedPodCount finds.
#[derive(Debug, Default, PartialEq)]
pub struct Expected {
    pub expected: i32,
    pub desired_healthy: i32,
    /// Pods no controller owns (left out of a scaled count).
    pub unmanaged: Vec<String>,
}

/// getExpectedPodCount: the expected and the desired healthy counts.
pub fn expected_pod_count(
    store: &Store,
    pdb: &PodDisruptionBudget,
    pods: &[Pod],
) -> Result<Expected, ControllerError> {
    let spec = pdb.spec.clone().unwrap_or_default();
    let mut result = Expected::default();
    if let Some(max_unavailable) = &spec.max_unavailable {
        let (expected, unmanaged) = expected_scale(store, pods)?;
        let max_unavailable = scaled(max_unavailable, expected)?;
        result.expected = expected;
        result.unmanaged = unmanaged;
        result.desired_healthy = (expected - max_unavailable).max(0);
    } else if let Some(min_available) = &spec.min_available {
        match min_available {
            IntOrString::Int(n) => {
                result.desired_healthy = *n;
                result.expected = i32::try_from(pods.len()).unwrap_or(i32::MAX);
            }
            IntOrString::String(_) => {
                let (expected, unmanaged) = expected_scale(store, pods)?;
                result.expected = expected;
                result.unmanaged = unmanaged;
                result.desired_healthy = scaled(min_available, expected)?;
            }
        }
    }
    Ok(result)
}

/// GetScaledValueFromIntOrPercent, rounding up, as the controller does.
fn scaled(value: &IntOrString, total: i32) -> Result<i32, ControllerError> {
    super::deployment::util::scaled_value(value, total, true)
        .map_err(|e| ControllerError::Invalid(e.to_string()))
}

/// getExpectedScale: the sum of the scales of the pods' controllers, each
/// counted once; the names of pods with no controller.
fn expected_scale(store: &Store, pods: &[Pod]) -> Result<(i32, Vec<String>), ControllerError> {
    let mut scales: HashMap<String, i32> = HashMap::new();
    let mut unmanaged = Vec::new();
    for pod in pods {
        let Some(owner) = controller_of(&pod.metadata) else {
            unmanaged.push(pod.metadata.name.clone().unwrap_or_default());
            continue;
        };
        if scales.contains_key(&owner.uid) {
            continue;
        }
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
        match controller_scale(store, owner, namespace)? {
            Some((uid, scale)) => {
                scales.insert(uid, scale);
            }
            None => {
                return Err(ControllerError::Invalid(format!(
                    "found no controllers for pod {:?}",
                    pod.metadata.name.as_deref().unwrap_or("")
                )));
            }
        }
    }
    Ok((scales.values().sum(), unmanaged))
}

fn group_of(owner: &OwnerReference) -> &str {
    owner
        .api_version
        .split_once('/')
        .map_or("", |(group, _)| group)
}

/// The finders, in upstream's order: a ReplicaSet's Deployment, the
/// ReplicaSet, a ReplicationController, a StatefulSet; any other kind has
/// no scale podium can read.
fn controller_scale(
    store: &Store,
    owner: &OwnerReference,
    namespace: &str,
) -> Result<Option<(String, i32)>, ControllerError> {
    let apps = matches!(group_of(owner), "apps" | "extensions");
    match owner.kind.as_str() {
        "ReplicaSet" if apps => {
            let Some(rs) = store.get_as::<ReplicaSet>(namespace, &owner.name) else {
                return Ok(None);
            };
            if rs.metadata.uid.as_deref() != Some(owner.uid.as_str()) {
                return Ok(None);
            }
            if let Some(parent) = controller_of(&rs.metadata)
                && parent.kind == "Deployment"
            {
                let Some(deployment) = store.get_as::<Deployment>(namespace, &parent.name) else {
                    return Ok(None);
                };
                if deployment.metadata.uid.as_deref() != Some(parent.uid.as_str()) {
                    return Ok(None);
                }
                let replicas = deployment.spec.and_then(|s| s.replicas).unwrap_or(1);
                return Ok(Some((parent.uid.clone(), replicas)));
            }
            let replicas = rs.spec.and_then(|s| s.replicas).unwrap_or(1);
            Ok(Some((owner.uid.clone(), replicas)))
        }
        "ReplicationController" if group_of(owner).is_empty() => {
            json_scale(store, Kind::ReplicationController, owner, namespace)
        }
        "StatefulSet" if apps => json_scale(store, Kind::StatefulSet, owner, namespace),
        _ => match Kind::from_type_meta(&owner.api_version, &owner.kind) {
            Some(kind) if !kind.info().has_subresource("scale") => {
                Err(ControllerError::Invalid(format!(
                    "{} does not implement the scale subresource",
                    kind.info().qualified_plural()
                )))
            }
            _ => Ok(None),
        },
    }
}

/// `spec.replicas` of a kind stored as JSON, when it is the owner named.
fn json_scale(
    store: &Store,
    kind: Kind,
    owner: &OwnerReference,
    namespace: &str,
) -> Result<Option<(String, i32)>, ControllerError> {
    let Some(object) = store.get(kind, namespace, &owner.name) else {
        return Ok(None);
    };
    if object.meta().uid.as_deref() != Some(owner.uid.as_str()) {
        return Ok(None);
    }
    let value = object.to_json();
    let replicas = value["spec"]["replicas"]
        .as_i64()
        .and_then(|r| i32::try_from(r).ok())
        .unwrap_or(1);
    Ok(Some((owner.uid.clone(), replicas)))
}

/// apimeta.SetStatusCondition: the transition time moves only when the
/// status does.
pub fn set_condition(status: &mut PodDisruptionBudgetStatus, condition: Condition) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    match conditions.iter_mut().find(|c| c.type_ == condition.type_) {
        Some(existing) => {
            if existing.status != condition.status {
                existing.status = condition.status;
                existing.last_transition_time = condition.last_transition_time;
            }
            existing.reason = condition.reason;
            existing.message = condition.message;
            existing.observed_generation = condition.observed_generation;
        }
        None => conditions.push(condition),
    }
}

/// pdbhelper.UpdateDisruptionAllowedCondition.
pub fn update_disruption_allowed_condition(status: &mut PodDisruptionBudgetStatus) {
    let (value, reason) = if status.disruptions_allowed > 0 {
        ("True", SUFFICIENT_PODS)
    } else {
        ("False", INSUFFICIENT_PODS)
    };
    let observed_generation = status.observed_generation;
    set_condition(
        status,
        Condition {
            type_: DISRUPTION_ALLOWED.to_string(),
            status: value.to_string(),
            reason: reason.to_string(),
            message: String::new(),
            observed_generation,
            last_transition_time: crate::clock::now_time(),
        },
    );
}

/// pdbhelper.ConditionsAreUpToDate.
fn conditions_are_up_to_date(pdb: &PodDisruptionBudget) -> bool {
    let Some(status) = &pdb.status else {
        return false;
    };
    let Some(condition) = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == DISRUPTION_ALLOWED)
    else {
        return false;
    };
    if status.observed_generation.unwrap_or(0) != pdb.metadata.generation.unwrap_or(0) {
        return false;
    }
    if status.disruptions_allowed > 0 {
        condition.status == "True" && condition.reason == SUFFICIENT_PODS
    } else {
        condition.status == "False" && condition.reason == INSUFFICIENT_PODS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, ready: bool) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
            "status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": if ready { "True" } else { "False" }}
            ]}
        }))
        .expect("a pod")
    }

    fn budget(spec: serde_json::Value) -> PodDisruptionBudget {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "default", "generation": 1},
            "spec": spec
        }))
        .expect("a budget")
    }

    #[test]
    fn integer_min_available_expects_the_pods_found() {
        let store = Store::in_memory();
        let pods = [pod("a", true), pod("b", true), pod("c", false)];
        let pdb = budget(json!({"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}));
        let expected = expected_pod_count(&store, &pdb, &pods).expect("counted");
        assert_eq!((expected.expected, expected.desired_healthy), (3, 2));
        let now = crate::clock::now();
        assert_eq!(count_healthy(&pods, &BTreeMap::new(), now), 2);
        let mut disrupted = BTreeMap::new();
        disrupted.insert("a".to_string(), Time(now));
        assert_eq!(count_healthy(&pods, &disrupted, now), 1);
    }

    #[test]
    fn percentages_of_unmanaged_pods_expect_none() {
        let store = Store::in_memory();
        let pods = [pod("a", true), pod("b", true)];
        let pdb =
            budget(json!({"maxUnavailable": "50%", "selector": {"matchLabels": {"app": "web"}}}));
        let expected = expected_pod_count(&store, &pdb, &pods).expect("counted");
        assert_eq!(expected.expected, 0);
        assert_eq!(expected.unmanaged, ["a", "b"]);
    }

    #[test]
    fn the_condition_follows_the_allowed_count() {
        let mut status = PodDisruptionBudgetStatus {
            disruptions_allowed: 1,
            ..Default::default()
        };
        update_disruption_allowed_condition(&mut status);
        let condition = &status.conditions.as_ref().expect("set")[0];
        assert_eq!(
            (condition.status.as_str(), condition.reason.as_str()),
            ("True", SUFFICIENT_PODS)
        );
        status.disruptions_allowed = 0;
        update_disruption_allowed_condition(&mut status);
        let condition = &status.conditions.as_ref().expect("set")[0];
        assert_eq!(
            (condition.status.as_str(), condition.reason.as_str()),
            ("False", INSUFFICIENT_PODS)
        );
    }
}
