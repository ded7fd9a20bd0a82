//! The DaemonSet controller (pkg/controller/daemon): one pod per node the
//! pod fits (node selector, required affinity, taints), pinned to it by
//! the node-name affinity upstream writes (the scheduler then binds it),
//! with the tolerations upstream adds to every daemon pod so cordoned and
//! pressured nodes keep theirs.
//!
//! Updates follow `updateStrategy`: RollingUpdate replaces old pods node
//! by node, at most `maxUnavailable` down at a time, or with `maxSurge`
//! starts the new pod beside the old one and removes the old once the new
//! is available; OnDelete replaces a pod only when it is deleted. Each
//! template is a ControllerRevision (`controllers::history`), the pods'
//! `controller-revision-hash` label its hash.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    PodTemplateSpec, Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use super::ControllerError;
use super::history::{self, HASH_LABEL};
use super::runner::Reconciler;
use super::util::{
    controller_key, controller_of, controller_ref, create_pod, is_pod_active, is_pod_available,
    nonzero, pod_node_name, pod_phase, read_as, write_status_json,
};
use crate::api::{Kind, Object};
use crate::events::{EventRecorder, EventType};
use crate::store::{DeleteOptions, ListFilter, ObjectKey, Store, StoreError, WatchEvent};

/// The pod label naming the template's revision (DefaultDaemonSetUniqueLabelKey).
pub const REVISION_LABEL: &str = "controller-revision-hash";
/// The pod label carrying the DaemonSet's generation at creation.
const TEMPLATE_GENERATION: &str = "pod-template-generation";

/// What one sync of a DaemonSet works from: the set, its current
/// template and revision hash, the nodes, and the time.
#[derive(Clone, Copy)]
struct Round<'a> {
    set: &'a DaemonSet,
    object: &'a Object,
    template: &'a PodTemplateSpec,
    hash: &'a str,
    nodes: &'a [Node],
    now: Timestamp,
}

pub struct DaemonSetController {
    store: Store,
    recorder: EventRecorder,
}

impl DaemonSetController {
    pub fn new(store: Store) -> DaemonSetController {
        let recorder = EventRecorder::new(store.clone(), "daemonset-controller", None);
        DaemonSetController { store, recorder }
    }
}

impl Reconciler for DaemonSetController {
    fn name(&self) -> &'static str {
        "daemonset"
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::DaemonSet, Kind::Pod, Kind::Node])
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        match &*event.object {
            Object::Pod(pod) => controller_key(&pod.metadata, Kind::DaemonSet)
                .into_iter()
                .collect(),
            // A node that comes, goes or changes labels or taints.
            Object::Node(_) => self.all_keys(),
            object if object.kind() == Kind::DaemonSet => vec![ObjectKey::of(object)],
            _ => Vec::new(),
        }
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        super::util::keys_of(&self.store, Kind::DaemonSet)
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(object) = self.store.get(Kind::DaemonSet, &key.namespace, &key.name) else {
            return Ok(None);
        };
        let set: DaemonSet = read_as(&object)?;
        let template = set.spec.clone().unwrap_or_default().template;
        let revisions = history::owned(&self.store, &object)?;
        let collision_count = set.status.as_ref().and_then(|s| s.collision_count);
        let Some(revision) =
            history::update_revision(&self.store, &object, &template, collision_count, &revisions)?
        else {
            return Ok(Some(Duration::ZERO));
        };
        let hash = revision
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(HASH_LABEL))
            .cloned()
            .unwrap_or_default();
        let nodes: Vec<Node> = self
            .store
            .list_as::<Node>(None, &ListFilter::default())
            .into_iter()
            .filter(|n| n.metadata.deletion_timestamp.is_none())
            .collect();
        let now = crate::clock::now();
        let round = Round {
            set: &set,
            object: &object,
            template: &template,
            hash: &hash,
            nodes: &nodes,
            now,
        };
        let mut requeue = None;
        if set.metadata.deletion_timestamp.is_none() {
            let pods = self.pods_by_node(&set);
            requeue = self.manage(&round, &pods)?;
        }
        let pods = self.pods_by_node(&set);
        self.write_status(&round, &pods)?;
        let live: Vec<&str> = pods
            .values()
            .flatten()
            .filter_map(|p| p.metadata.labels.as_ref()?.get(REVISION_LABEL))
            .map(String::as_str)
            .collect();
        let mut live_names: Vec<String> = live
            .iter()
            .map(|h| format!("{}-{h}", object.name()))
            .collect();
        live_names.push(history::name(&revision).to_string());
        let live_refs: Vec<&str> = live_names.iter().map(String::as_str).collect();
        let limit = set
            .spec
            .as_ref()
            .and_then(|s| s.revision_history_limit)
            .unwrap_or(10);
        history::truncate(
            &self.store,
            &history::including(revisions, &revision),
            &live_refs,
            limit,
        )?;
        Ok(requeue)
    }
}

impl DaemonSetController {
    /// The set's active pods, by the node they are for.
    fn pods_by_node(&self, set: &DaemonSet) -> BTreeMap<String, Vec<Pod>> {
        let uid = set.metadata.uid.clone().unwrap_or_default();
        let mut by_node: BTreeMap<String, Vec<Pod>> = BTreeMap::new();
        for object in self
            .store
            .list(
                Kind::Pod,
                set.metadata.namespace.as_deref(),
                &ListFilter::default(),
            )
            .items
        {
            let Some(pod) = object.as_typed::<Pod>() else {
                continue;
            };
            if controller_of(&pod.metadata).is_none_or(|o| o.uid != uid) {
                continue;
            }
            let node = target_node(pod).unwrap_or_default();
            by_node.entry(node).or_default().push(pod.clone());
        }
        for pods in by_node.values_mut() {
            pods.sort_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0));
        }
        by_node
    }

    fn manage(
        &self,
        round: &Round<'_>,
        pods: &BTreeMap<String, Vec<Pod>>,
    ) -> Result<Option<Duration>, ControllerError> {
        let Round {
            set,
            object,
            template,
            hash,
            nodes,
            now,
        } = *round;
        let spec = set.spec.clone().unwrap_or_default();
        let min_ready = spec.min_ready_seconds.unwrap_or(0);
        let strategy = spec.update_strategy.clone().unwrap_or_default();
        let rolling = strategy.type_.as_deref() != Some("OnDelete");
        let desired = nodes.iter().filter(|n| should_run(template, n)).count() as i32;
        let rolling_update = strategy.rolling_update.clone().unwrap_or_default();
        let max_surge = scaled(rolling_update.max_surge.as_ref(), desired, true).max(0);
        let max_unavailable = match scaled(rolling_update.max_unavailable.as_ref(), desired, false)
        {
            // Both zero is invalid upstream; one pod at a time then.
            0 if max_surge == 0 => 1,
            n => n,
        };
        let mut to_create: Vec<String> = Vec::new();
        let mut to_delete: Vec<Pod> = Vec::new();
        let mut old_to_replace: Vec<(String, Pod, bool)> = Vec::new();
        let mut unavailable = 0;
        let mut requeue = None;
        for node in nodes {
            let name = node.metadata.name.clone().unwrap_or_default();
            let on_node: Vec<&Pod> = pods.get(&name).into_iter().flatten().collect();
            let (failed, active): (Vec<&Pod>, Vec<&Pod>) = on_node
                .iter()
                .partition(|p| matches!(pod_phase(p), "Failed" | "Succeeded"));
            to_delete.extend(
                failed
                    .into_iter()
                    .filter(|p| p.metadata.deletion_timestamp.is_none())
                    .cloned(),
            );
            let active: Vec<&Pod> = active.into_iter().filter(|p| is_pod_active(p)).collect();
            if !should_run(template, node) {
                to_delete.extend(active.into_iter().cloned());
                continue;
            }
            let (new, old): (Vec<&Pod>, Vec<&Pod>) =
                active.iter().partition(|p| revision_of(p) == Some(hash));
            if active.is_empty() {
                to_create.push(name);
                unavailable += 1;
                continue;
            }
            let available = active.iter().any(|p| is_pod_available(p, min_ready, now));
            if !available {
                unavailable += 1;
                if active.iter().any(|p| super::util::is_pod_ready(p)) {
                    requeue = Some(Duration::from_secs(1));
                }
            }
            // Duplicates: the oldest stays, as upstream keeps it.
            if !rolling || new.is_empty() {
                to_delete.extend(active.iter().skip(1).map(|p| (*p).clone()));
            } else {
                to_delete.extend(new.iter().skip(1).map(|p| (*p).clone()));
            }
            if rolling && let Some(old_pod) = old.first() {
                if let Some(new_pod) = new.first() {
                    // Surged: the old pod goes once the new one is available.
                    if is_pod_available(new_pod, min_ready, now) {
                        to_delete.push((*old_pod).clone());
                    }
                } else {
                    old_to_replace.push((
                        name,
                        (*old_pod).clone(),
                        is_pod_available(old_pod, min_ready, now),
                    ));
                }
            }
        }
        // Rolling update: unavailable old pods first, then as many as the
        // budget allows (maxSurge: a new pod beside; else delete the old).
        old_to_replace.sort_by_key(|(_, _, available)| *available);
        let mut surged = 0;
        for (node, pod, available) in old_to_replace {
            if max_surge > 0 {
                if surged < max_surge || !available {
                    to_create.push(node);
                    surged += 1;
                }
            } else if !available {
                to_delete.push(pod);
            } else if unavailable < max_unavailable {
                unavailable += 1;
                to_delete.push(pod);
            }
        }
        for node in to_create {
            self.create(set, object, template, hash, &node)?;
        }
        for pod in to_delete {
            self.delete(object, &pod)?;
        }
        Ok(requeue)
    }

    fn create(
        &self,
        set: &DaemonSet,
        object: &Object,
        template: &PodTemplateSpec,
        hash: &str,
        node: &str,
    ) -> Result<(), ControllerError> {
        let pod = daemon_pod(set, object, template, hash, node);
        match create_pod(&self.store, pod) {
            Ok(created) => {
                self.recorder.record(
                    object,
                    EventType::Normal,
                    "SuccessfulCreate",
                    &format!("Created pod: {}", created.name()),
                );
                Ok(())
            }
            Err(error) => {
                self.recorder.record(
                    object,
                    EventType::Warning,
                    "FailedCreate",
                    &format!("Error creating: {error}"),
                );
                Err(error.into())
            }
        }
    }

    fn delete(&self, object: &Object, pod: &Pod) -> Result<(), ControllerError> {
        let name = pod.metadata.name.clone().unwrap_or_default();
        if pod.metadata.deletion_timestamp.is_some() {
            return Ok(());
        }
        match self.store.delete(
            Kind::Pod,
            object.namespace(),
            &name,
            &DeleteOptions::default(),
        ) {
            Ok(_) => {
                self.recorder.record(
                    object,
                    EventType::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted pod: {name}"),
                );
                Ok(())
            }
            Err(StoreError::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    fn write_status(
        &self,
        round: &Round<'_>,
        pods: &BTreeMap<String, Vec<Pod>>,
    ) -> Result<(), ControllerError> {
        let Round {
            set,
            object,
            template,
            hash,
            nodes,
            now,
        } = *round;
        let min_ready = set
            .spec
            .as_ref()
            .and_then(|s| s.min_ready_seconds)
            .unwrap_or(0);
        let mut status = DaemonSetStatus {
            observed_generation: set.metadata.generation,
            collision_count: set.status.as_ref().and_then(|s| s.collision_count),
            conditions: set.status.as_ref().and_then(|s| s.conditions.clone()),
            ..DaemonSetStatus::default()
        };
        let mut available = 0;
        let mut updated = 0;
        let mut ready = 0;
        for node in nodes {
            let name = node.metadata.name.clone().unwrap_or_default();
            let active: Vec<&Pod> = pods
                .get(&name)
                .into_iter()
                .flatten()
                .filter(|p| is_pod_active(p))
                .collect();
            let runs = should_run(template, node);
            if runs {
                status.desired_number_scheduled += 1;
                if !active.is_empty() {
                    status.current_number_scheduled += 1;
                }
            } else if !active.is_empty() {
                status.number_misscheduled += 1;
            }
            if !runs {
                continue;
            }
            if let Some(pod) = active.first()
                && super::util::is_pod_ready(pod)
            {
                ready += 1;
                if is_pod_available(pod, min_ready, now) {
                    available += 1;
                }
            }
            if active.iter().any(|p| revision_of(p) == Some(hash)) {
                updated += 1;
            }
        }
        status.number_ready = ready;
        status.number_available = nonzero(available);
        status.updated_number_scheduled = nonzero(updated);
        status.number_unavailable = nonzero(status.desired_number_scheduled - available);
        if set.status.as_ref() == Some(&status) {
            return Ok(());
        }
        write_status_json(&self.store, object, &status)
    }
}

/// maxSurge rounds up, maxUnavailable down, of the desired count.
fn scaled(value: Option<&IntOrString>, total: i32, round_up: bool) -> i32 {
    match value {
        None => i32::from(!round_up),
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(text)) => {
            let percent: f64 = text.trim_end_matches('%').parse().unwrap_or(0.0);
            let exact = percent * f64::from(total) / 100.0;
            if round_up {
                exact.ceil() as i32
            } else {
                exact.floor() as i32
            }
        }
    }
}

fn revision_of(pod: &Pod) -> Option<&str> {
    pod.metadata
        .labels
        .as_ref()?
        .get(REVISION_LABEL)
        .map(String::as_str)
}

/// The node a daemon pod is for: where it is bound, else the node its
/// node-name affinity names.
fn target_node(pod: &Pod) -> Option<String> {
    let bound = pod_node_name(pod);
    if !bound.is_empty() {
        return Some(bound.to_string());
    }
    pod.spec
        .as_ref()?
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms
        .iter()
        .flat_map(|t| t.match_fields.iter().flatten())
        .find(|r| r.key == "metadata.name" && r.operator == "In")
        .and_then(|r| r.values.as_ref()?.first().cloned())
}

/// Whether the template's pod belongs on the node, tolerations added.
fn should_run(template: &PodTemplateSpec, node: &Node) -> bool {
    let mut spec = template.spec.clone().unwrap_or_default();
    add_daemon_tolerations(&mut spec);
    let pod = Pod {
        metadata: ObjectMeta::default(),
        spec: Some(spec),
        status: None,
    };
    crate::scheduler::fit::daemon_fits(&pod, node)
}

/// The tolerations upstream adds to every daemon pod
/// (AddOrUpdateDaemonPodTolerations).
fn add_daemon_tolerations(spec: &mut k8s_openapi::api::core::v1::PodSpec) {
    let mut wanted = vec![
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if spec.host_network == Some(true) {
        wanted.push(("node.kubernetes.io/network-unavailable", "NoSchedule"));
    }
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for (key, effect) in wanted {
        if tolerations
            .iter()
            .any(|t| t.key.as_deref() == Some(key) && t.effect.as_deref() == Some(effect))
        {
            continue;
        }
        tolerations.push(Toleration {
            key: Some(key.to_string()),
            operator: Some("Exists".to_string()),
            effect: Some(effect.to_string()),
            ..Toleration::default()
        });
    }
}

/// A daemon pod for `node`: the template with its tolerations, the
/// revision and generation labels, and the node-name affinity.
fn daemon_pod(
    set: &DaemonSet,
    object: &Object,
    template: &PodTemplateSpec,
    hash: &str,
    node: &str,
) -> Pod {
    let template_meta = template.metadata.clone().unwrap_or_default();
    let mut labels = template_meta.labels.unwrap_or_default();
    labels.insert(REVISION_LABEL.to_string(), hash.to_string());
    if let Some(generation) = set.metadata.generation {
        labels.insert(TEMPLATE_GENERATION.to_string(), generation.to_string());
    }
    let mut spec = template.spec.clone().unwrap_or_default();
    add_daemon_tolerations(&mut spec);
    let terms = vec![NodeSelectorTerm {
        match_fields: Some(vec![NodeSelectorRequirement {
            key: "metadata.name".to_string(),
            operator: "In".to_string(),
            values: Some(vec![node.to_string()]),
        }]),
        match_expressions: None,
    }];
    let affinity = spec.affinity.get_or_insert_with(Affinity::default);
    let node_affinity = affinity
        .node_affinity
        .get_or_insert_with(NodeAffinity::default);
    node_affinity.required_during_scheduling_ignored_during_execution = Some(NodeSelector {
        node_selector_terms: terms,
    });
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", object.name())),
            namespace: set.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: template_meta.annotations,
            finalizers: template_meta.finalizers,
            owner_references: Some(vec![controller_ref(object)]),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: None,
    }
}
