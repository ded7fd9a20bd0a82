//! The ReplicaSet controller (pkg/controller/replicaset): keeps
//! spec.replicas active pods, adopts matching orphans, releases pods that no
//! longer match, and reports replicas/ready/available in status.
//!
//! The same controller runs ReplicationControllers, as upstream's
//! replication manager is the ReplicaSet controller over a conversion: an
//! RC is read as a ReplicaSet whose selector is its label map, and its
//! status (the same fields) is written back to the RC.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::ControllerError;
use super::pod_ranking::{RankedPod, sort_for_deletion};
use super::runner::Reconciler;
use super::util::{
    controller_key, controller_of, controller_ref, is_pod_active, is_pod_available, is_pod_ready,
    pod_node_name, pod_ready_since, selector_matches,
};
use crate::api::{Kind, Object};
use crate::events::{EventRecorder, EventType};
use crate::store::{
    DeleteOptions, ListFilter, ObjectKey, Store, StoreError, UpdateScope, WatchEvent,
};

/// Most pods created or deleted in one sync (upstream's burstReplicas).
pub const BURST_REPLICAS: usize = 500;

pub struct ReplicaSetController {
    store: Store,
    recorder: EventRecorder,
    /// ReplicaSet or ReplicationController.
    kind: Kind,
}

impl ReplicaSetController {
    pub fn new(store: Store) -> ReplicaSetController {
        let recorder = EventRecorder::new(store.clone(), "replicaset-controller", None);
        ReplicaSetController {
            store,
            recorder,
            kind: Kind::ReplicaSet,
        }
    }

    /// The replication manager: the same logic over ReplicationControllers.
    pub fn for_replication_controllers(store: Store) -> ReplicaSetController {
        let recorder = EventRecorder::new(store.clone(), "replication-controller", None);
        ReplicaSetController {
            store,
            recorder,
            kind: Kind::ReplicationController,
        }
    }

    /// The object at `key` read as a ReplicaSet, with the stored object.
    fn load(&self, namespace: &str, name: &str) -> Option<(ReplicaSet, Arc<Object>)> {
        let object = self.store.get(self.kind, namespace, name)?;
        let rs = match &*object {
            Object::ReplicaSet(rs) => (**rs).clone(),
            other => replica_set_view(other)?,
        };
        Some((rs, object))
    }

    /// Every ReplicaSet (or RC) of the namespace, read as ReplicaSets.
    fn all_in(&self, namespace: Option<&str>) -> Vec<ReplicaSet> {
        self.store
            .list(self.kind, namespace, &ListFilter::default())
            .items
            .iter()
            .filter_map(|o| match &**o {
                Object::ReplicaSet(rs) => Some((**rs).clone()),
                other => replica_set_view(other),
            })
            .collect()
    }

    fn write_status(
        &self,
        key: &ObjectKey,
        status: &ReplicaSetStatus,
    ) -> Result<(), ControllerError> {
        if self.kind == Kind::ReplicaSet {
            self.store.mutate::<ReplicaSet>(
                &key.namespace,
                &key.name,
                UpdateScope::Status,
                |current| {
                    // observedGeneration stays the generation this sync acted on.
                    current.status = Some(status.clone());
                    true
                },
            )?;
            return Ok(());
        }
        // ReplicationControllerStatus has the same fields.
        match self.store.get(self.kind, &key.namespace, &key.name) {
            Some(object) => super::util::write_status_json(&self.store, &object, status),
            None => Ok(()),
        }
    }
}

/// A ReplicationController as the ReplicaSet it stands for: its selector
/// map as matchLabels (upstream's conversion for the replication manager).
fn replica_set_view(object: &Object) -> Option<ReplicaSet> {
    let mut value = object.to_json();
    let selector = value["spec"]["selector"].take();
    value["spec"]["selector"] = serde_json::json!({"matchLabels": selector});
    value["apiVersion"] = serde_json::json!("apps/v1");
    value["kind"] = serde_json::json!("ReplicaSet");
    serde_json::from_value(value).ok()
}

impl Reconciler for ReplicaSetController {
    fn name(&self) -> &'static str {
        "replicaset"
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        if self.kind == Kind::ReplicaSet {
            Some(&[Kind::ReplicaSet, Kind::Pod])
        } else {
            Some(&[Kind::ReplicationController, Kind::Pod])
        }
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        match &*event.object {
            Object::Pod(pod) => match controller_key(&pod.metadata, self.kind) {
                Some(key) => vec![key],
                None if controller_of(&pod.metadata).is_none() && is_pod_active(pod) => self
                    .all_in(pod.metadata.namespace.as_deref())
                    .iter()
                    .filter(|rs| rs_selects(rs, pod))
                    .map(|rs| {
                        ObjectKey::new(
                            self.kind,
                            rs.metadata.namespace.as_deref().unwrap_or(""),
                            rs.metadata.name.as_deref().unwrap_or(""),
                        )
                    })
                    .collect(),
                None => Vec::new(),
            },
            object if object.kind() == self.kind => vec![ObjectKey::of(object)],
            _ => Vec::new(),
        }
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        super::util::keys_of(&self.store, self.kind)
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some((rs, rs_object)) = self.load(&key.namespace, &key.name) else {
            return Ok(None);
        };
        // The store's shared objects, borrowed: a sync never copies the
        // namespace's pods (10k of them at scale).
        let listed = self
            .store
            .list(Kind::Pod, Some(&key.namespace), &ListFilter::default())
            .items;
        let pods: Vec<&Arc<Object>> = listed
            .iter()
            .filter(|o| o.as_typed::<Pod>().is_some_and(is_pod_active))
            .collect();
        let claimed = self.claim_pods(&rs, &rs_object, &pods)?;
        let claimed: Vec<&Pod> = claimed.iter().filter_map(|o| o.as_typed()).collect();
        let managed = if rs.metadata.deletion_timestamp.is_none() {
            let all_active: Vec<&Pod> = pods.iter().filter_map(|o| o.as_typed()).collect();
            self.manage_replicas(&rs, &rs_object, &claimed, &all_active)
        } else {
            Ok(())
        };
        let now = crate::clock::now();
        let status = calculate_status(&rs, &claimed, managed.as_ref().err(), now);
        if rs.status.as_ref() != Some(&status) {
            self.write_status(key, &status)?;
        }
        managed?;
        // A burst is capped at BURST_REPLICAS: the rest comes next, at once.
        let desired = usize::try_from(spec_replicas(&rs)).unwrap_or(0);
        if rs.metadata.deletion_timestamp.is_none()
            && desired.abs_diff(claimed.len()) > BURST_REPLICAS
        {
            return Ok(Some(Duration::ZERO));
        }
        Ok(availability_requeue(&rs, &claimed, now))
    }
}

/// Whether the ReplicaSet's selector picks the pod.
fn rs_selects(rs: &ReplicaSet, pod: &Pod) -> bool {
    rs.spec
        .as_ref()
        .is_some_and(|s| selector_matches(&s.selector, pod.metadata.labels.as_ref()))
}

fn spec_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

fn min_ready_seconds(rs: &ReplicaSet) -> i32 {
    rs.spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0)
}

fn none_if_zero(value: i32) -> Option<i32> {
    (value != 0).then_some(value)
}

impl ReplicaSetController {
    /// Adopts matching orphans and releases owned pods that stopped matching
    /// (ClaimPods); returns the pods this ReplicaSet controls.
    fn claim_pods(
        &self,
        rs: &ReplicaSet,
        rs_object: &Object,
        pods: &[&Arc<Object>],
    ) -> Result<Vec<Arc<Object>>, ControllerError> {
        let uid = rs.metadata.uid.clone().unwrap_or_default();
        let deleting = rs.metadata.deletion_timestamp.is_some();
        let mut claimed = Vec::new();
        for object in pods {
            let Some(pod) = object.as_typed::<Pod>() else {
                continue;
            };
            let ns = pod.metadata.namespace.as_deref().unwrap_or("");
            let name = pod.metadata.name.as_deref().unwrap_or("");
            // Another controller's pods are skipped before any label look-up.
            let owner = controller_of(&pod.metadata);
            if owner.is_some_and(|o| o.uid != uid) {
                continue;
            }
            let matches = rs_selects(rs, pod);
            match owner {
                Some(_) => {
                    if matches || deleting {
                        claimed.push(Arc::clone(object));
                        continue;
                    }
                    self.store.mutate::<Pod>(ns, name, UpdateScope::Main, |p| {
                        let before = p.metadata.owner_references.clone();
                        remove_owner(&mut p.metadata, &uid);
                        p.metadata.owner_references != before
                    })?;
                }
                None if matches && !deleting => {
                    let adopted = self.store.mutate::<Pod>(ns, name, UpdateScope::Main, |p| {
                        if controller_of(&p.metadata).is_some()
                            || p.metadata.deletion_timestamp.is_some()
                        {
                            return false;
                        }
                        p.metadata
                            .owner_references
                            .get_or_insert_with(Vec::new)
                            .push(controller_ref(rs_object));
                        true
                    })?;
                    if let Some(pod) = adopted
                        .filter(|o| controller_of(o.meta()).is_some_and(|owner| owner.uid == uid))
                    {
                        claimed.push(pod);
                    }
                }
                None => {}
            }
        }
        Ok(claimed)
    }

    /// Creates or deletes pods so that `claimed` reaches spec.replicas.
    fn manage_replicas(
        &self,
        rs: &ReplicaSet,
        rs_object: &Object,
        claimed: &[&Pod],
        all_active: &[&Pod],
    ) -> Result<(), ControllerError> {
        let desired = usize::try_from(spec_replicas(rs)).unwrap_or(0);
        if claimed.len() < desired {
            let wanted = (desired - claimed.len()).min(BURST_REPLICAS);
            return self.create_in_batches(rs, rs_object, wanted);
        }
        if claimed.len() > desired {
            let surplus = (claimed.len() - desired).min(BURST_REPLICAS);
            let related = related_pods(rs, all_active, &self.store);
            let victims = pods_to_delete(claimed, &related, surplus, crate::clock::now());
            for pod in victims {
                let name = pod.metadata.name.as_deref().unwrap_or("");
                match self.store.delete(
                    Kind::Pod,
                    pod.metadata.namespace.as_deref().unwrap_or(""),
                    name,
                    &DeleteOptions::default(),
                ) {
                    Ok(_) => self.recorder.record(
                        rs_object,
                        EventType::Normal,
                        "SuccessfulDelete",
                        &format!("Deleted pod: {name}"),
                    ),
                    Err(StoreError::NotFound { .. }) => {}
                    Err(error) => {
                        self.recorder.record(
                            rs_object,
                            EventType::Warning,
                            "FailedDelete",
                            &format!("Error deleting: {error}"),
                        );
                        return Err(error.into());
                    }
                }
            }
        }
        Ok(())
    }

    /// Slow start: batches of 1, 2, 4 ... ; a failed batch stops the rest.
    fn create_in_batches(
        &self,
        rs: &ReplicaSet,
        rs_object: &Object,
        count: usize,
    ) -> Result<(), ControllerError> {
        let mut remaining = count;
        let mut batch = remaining.min(1);
        while batch > 0 {
            let mut failure = None;
            for _ in 0..batch {
                match super::util::create_pod(&self.store, pod_from_template(rs, rs_object)) {
                    Ok(pod) => self.recorder.record(
                        rs_object,
                        EventType::Normal,
                        "SuccessfulCreate",
                        &format!("Created pod: {}", pod.name()),
                    ),
                    Err(error) => {
                        self.recorder.record(
                            rs_object,
                            EventType::Warning,
                            "FailedCreate",
                            &format!("Error creating: {error}"),
                        );
                        failure = Some(error);
                    }
                }
            }
            if let Some(error) = failure {
                return Err(error.into());
            }
            remaining -= batch;
            batch = (batch * 2).min(remaining);
        }
        Ok(())
    }
}

fn remove_owner(meta: &mut ObjectMeta, uid: &str) {
    if let Some(refs) = meta.owner_references.as_mut() {
        refs.retain(|r| r.uid != uid);
        if refs.is_empty() {
            meta.owner_references = None;
        }
    }
}

/// A new pod from the ReplicaSet's template (GetPodFromTemplate).
pub fn pod_from_template(rs: &ReplicaSet, rs_object: &Object) -> Pod {
    let template = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.clone())
        .unwrap_or_default();
    let template_meta = template.metadata.unwrap_or_default();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", rs_object.name())),
            namespace: rs.metadata.namespace.clone(),
            labels: template_meta.labels,
            annotations: template_meta.annotations,
            finalizers: template_meta.finalizers,
            owner_references: Some(vec![controller_ref(rs_object)]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    }
}

/// Active pods controlled by this ReplicaSet or its sibling ReplicaSets
/// (same controller): what "doubled up on a node" counts.
fn related_pods<'a>(rs: &ReplicaSet, all_active: &[&'a Pod], store: &Store) -> Vec<&'a Pod> {
    let mut rs_uids = vec![rs.metadata.uid.clone().unwrap_or_default()];
    if let Some(owner) = controller_of(&rs.metadata) {
        let siblings =
            store.list_as::<ReplicaSet>(rs.metadata.namespace.as_deref(), &ListFilter::default());
        rs_uids.extend(
            siblings
                .iter()
                .filter(|s| controller_of(&s.metadata).is_some_and(|o| o.uid == owner.uid))
                .filter_map(|s| s.metadata.uid.clone()),
        );
    }
    all_active
        .iter()
        .filter(|p| controller_of(&p.metadata).is_some_and(|o| rs_uids.contains(&o.uid)))
        .copied()
        .collect()
}

/// The `count` pods to delete first (getPodsToDelete).
pub fn pods_to_delete<'a>(
    pods: &[&'a Pod],
    related: &[&Pod],
    count: usize,
    now: k8s_openapi::jiff::Timestamp,
) -> Vec<&'a Pod> {
    let mut per_node: HashMap<&str, usize> = HashMap::new();
    for pod in related {
        let node = pod_node_name(pod);
        if !node.is_empty() {
            *per_node.entry(node).or_default() += 1;
        }
    }
    let mut ranked: Vec<RankedPod<'a>> = pods
        .iter()
        .map(|&pod| RankedPod {
            pod,
            rank: per_node.get(pod_node_name(pod)).copied().unwrap_or(0),
        })
        .collect();
    if count < pods.len() {
        sort_for_deletion(&mut ranked, now);
    }
    ranked.iter().take(count).map(|r| r.pod).collect()
}

fn template_labels_present(rs: &ReplicaSet, pod: &Pod) -> bool {
    let template_labels = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.as_ref());
    template_labels.is_none_or(|wanted| {
        wanted
            .iter()
            .all(|(k, v)| pod.metadata.labels.as_ref().and_then(|l| l.get(k)) == Some(v))
    })
}

/// The status the ReplicaSet should report (calculateStatus).
fn calculate_status(
    rs: &ReplicaSet,
    claimed: &[&Pod],
    manage_error: Option<&ControllerError>,
    now: k8s_openapi::jiff::Timestamp,
) -> ReplicaSetStatus {
    let min_ready = min_ready_seconds(rs);
    // One pass over the pods (10k of them at scale).
    let (mut labeled, mut ready, mut available) = (0usize, 0usize, 0usize);
    for pod in claimed {
        labeled += usize::from(template_labels_present(rs, pod));
        if is_pod_ready(pod) {
            ready += 1;
            available += usize::from(is_pod_available(pod, min_ready, now));
        }
    }
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let mut conditions: Vec<ReplicaSetCondition> = rs
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let has_failure = conditions.iter().any(|c| c.type_ == "ReplicaFailure");
    match manage_error {
        Some(error) if !has_failure => {
            let creating = claimed.len() < usize::try_from(spec_replicas(rs)).unwrap_or(0);
            conditions.push(ReplicaSetCondition {
                type_: "ReplicaFailure".into(),
                status: "True".into(),
                reason: Some(
                    if creating {
                        "FailedCreate"
                    } else {
                        "FailedDelete"
                    }
                    .into(),
                ),
                message: Some(error.to_string()),
                last_transition_time: Some(crate::clock::now_time()),
            });
        }
        None if has_failure => conditions.retain(|c| c.type_ != "ReplicaFailure"),
        _ => {}
    }
    ReplicaSetStatus {
        replicas: count(claimed.len()),
        fully_labeled_replicas: none_if_zero(count(labeled)),
        ready_replicas: none_if_zero(count(ready)),
        available_replicas: none_if_zero(count(available)),
        observed_generation: rs.metadata.generation,
        conditions: (!conditions.is_empty()).then_some(conditions),
        terminating_replicas: None,
    }
}

/// With minReadySeconds, look again one second after the next pod should
/// become available.
fn availability_requeue(
    rs: &ReplicaSet,
    claimed: &[&Pod],
    now: k8s_openapi::jiff::Timestamp,
) -> Option<Duration> {
    let min_ready = i64::from(min_ready_seconds(rs));
    if min_ready <= 0 {
        return None;
    }
    claimed
        .iter()
        .filter(|p| !is_pod_available(p, min_ready_seconds(rs), now))
        .filter_map(|p| pod_ready_since(p))
        .map(|since| {
            let due_ms = (since.as_millisecond() + (min_ready + 1) * 1000) - now.as_millisecond();
            Duration::from_millis(u64::try_from(due_ms.max(0)).unwrap_or(0))
        })
        .min()
}
