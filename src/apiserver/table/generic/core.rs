//! Core (legacy group) kinds: ServiceAccount, PersistentVolume(Claim),
//! ResourceQuota, ReplicationController, PodTemplate and Event (also the
//! events.k8s.io shape, which upstream prints with the same printer).

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::json::{
    age, annotation, arr_at, container_cells, deleting, get, int_at, labels, name, opt_int,
    opt_str, quantity, since, str_at, timestamp,
};
use super::{Column, age_col, containers_col, docs, images_col, integer, name_col, string, wide};

pub(super) const SERVICE_ACCOUNT: &[Column] =
    &[name_col(), string("Secrets", docs::SA_SECRETS), age_col()];

/// NAME SECRETS AGE.
pub(super) fn service_account(sa: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(name(sa)),
        json!(arr_at(sa, &["secrets"]).len()),
        json!(age(sa, now)),
    ]
}

pub(super) const PERSISTENT_VOLUME: &[Column] = &[
    name_col(),
    string("Capacity", docs::PV_CAPACITY),
    string("Access Modes", docs::PV_ACCESS_MODES),
    string("Reclaim Policy", docs::PV_RECLAIM),
    string("Status", docs::PV_PHASE),
    string("Claim", docs::PV_CLAIM_REF),
    string("StorageClass", "StorageClass of the pv"),
    string("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
    string("Reason", docs::PV_REASON),
    age_col(),
    wide("VolumeMode", docs::PV_VOLUME_MODE),
];

const BETA_STORAGE_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

/// `helper.GetAccessModesAsString`: RWO, ROX, RWX, RWOP in that order.
pub(super) fn access_modes(modes: &[Value]) -> String {
    let has = |mode: &str| modes.iter().any(|m| m.as_str() == Some(mode));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| has(mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

/// Phase, or `Terminating` while the object is being deleted.
fn phase(object: &Value) -> String {
    if deleting(object) {
        "Terminating".to_string()
    } else {
        str_at(object, &["status", "phase"]).to_string()
    }
}

/// NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS
/// VOLUMEATTRIBUTESCLASS REASON AGE | VOLUMEMODE.
pub(super) fn persistent_volume(pv: &Value, now: Timestamp) -> Vec<Value> {
    let claim = match get(pv, &["spec", "claimRef"]).filter(|c| !c.is_null()) {
        Some(claim) => format!(
            "{}/{}",
            str_at(claim, &["namespace"]),
            str_at(claim, &["name"])
        ),
        None => String::new(),
    };
    let class = annotation(pv, BETA_STORAGE_CLASS_ANNOTATION)
        .unwrap_or_else(|| str_at(pv, &["spec", "storageClassName"]));
    vec![
        json!(name(pv)),
        json!(quantity(get(pv, &["spec", "capacity", "storage"]), "0")),
        json!(access_modes(arr_at(pv, &["spec", "accessModes"]))),
        json!(str_at(pv, &["spec", "persistentVolumeReclaimPolicy"])),
        json!(phase(pv)),
        json!(claim),
        json!(class),
        json!(opt_str(pv, &["spec", "volumeAttributesClassName"]).unwrap_or("<unset>")),
        json!(str_at(pv, &["status", "reason"])),
        json!(age(pv, now)),
        json!(opt_str(pv, &["spec", "volumeMode"]).unwrap_or("<unset>")),
    ]
}

pub(super) const PERSISTENT_VOLUME_CLAIM: &[Column] = &[
    name_col(),
    string("Status", docs::PVC_PHASE),
    string("Volume", docs::PVC_VOLUME_NAME),
    string("Capacity", docs::PVC_CAPACITY),
    string("Access Modes", docs::PVC_ACCESS_MODES),
    string("StorageClass", "StorageClass of the pvc"),
    string("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
    age_col(),
    wide("VolumeMode", docs::PVC_VOLUME_MODE),
];

/// NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS
/// VOLUMEATTRIBUTESCLASS AGE | VOLUMEMODE. Capacity and access modes only
/// once bound to a volume.
pub(super) fn persistent_volume_claim(pvc: &Value, now: Timestamp) -> Vec<Value> {
    let volume = str_at(pvc, &["spec", "volumeName"]);
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity(get(pvc, &["status", "capacity", "storage"]), "0"),
            access_modes(arr_at(pvc, &["status", "accessModes"])),
        )
    };
    let class = annotation(pvc, BETA_STORAGE_CLASS_ANNOTATION)
        .unwrap_or_else(|| str_at(pvc, &["spec", "storageClassName"]));
    vec![
        json!(name(pvc)),
        json!(phase(pvc)),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(class),
        json!(opt_str(pvc, &["spec", "volumeAttributesClassName"]).unwrap_or("<unset>")),
        json!(age(pvc, now)),
        json!(opt_str(pvc, &["spec", "volumeMode"]).unwrap_or("<unset>")),
    ]
}

pub(super) const RESOURCE_QUOTA: &[Column] = &[
    name_col(),
    string(
        "Request",
        "Request represents a minimum amount of cpu/memory that a container may consume.",
    ),
    string(
        "Limit",
        "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
    ),
    age_col(),
];

/// NAME REQUEST LIMIT AGE: `resource: used/hard` per hard limit, sorted by
/// name; `limits.*` resources go to LIMIT.
pub(super) fn resource_quota(quota: &Value, now: Timestamp) -> Vec<Value> {
    let mut resources: Vec<&String> = get(quota, &["status", "hard"])
        .and_then(Value::as_object)
        .map(|hard| hard.keys().collect())
        .unwrap_or_default();
    resources.sort();
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    for resource in resources {
        let used = quantity(get(quota, &["status", "used", resource]), "0");
        let hard = quantity(get(quota, &["status", "hard", resource]), "0");
        let entry = format!("{resource}: {used}/{hard}");
        let pieces: Vec<&str> = resource.split('.').collect();
        if pieces.len() > 1 && pieces[0] == "limits" {
            limits.push(entry);
        } else {
            requests.push(entry);
        }
    }
    vec![
        json!(name(quota)),
        json!(requests.join(", ")),
        json!(limits.join(", ")),
        json!(age(quota, now)),
    ]
}

pub(super) const REPLICATION_CONTROLLER: &[Column] = &[
    name_col(),
    integer("Desired", docs::RC_SPEC_REPLICAS),
    integer("Current", docs::RC_STATUS_REPLICAS),
    integer("Ready", docs::RC_READY),
    age_col(),
    containers_col(),
    images_col(),
    wide("Selector", docs::RC_SELECTOR),
];

/// NAME DESIRED CURRENT READY AGE | CONTAINERS IMAGES SELECTOR.
pub(super) fn replication_controller(rc: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(get(rc, &["spec", "template", "spec"]));
    vec![
        json!(name(rc)),
        // spec.replicas defaults to 1.
        json!(opt_int(rc, &["spec", "replicas"]).unwrap_or(1)),
        json!(int_at(rc, &["status", "replicas"])),
        json!(int_at(rc, &["status", "readyReplicas"])),
        json!(age(rc, now)),
        json!(names),
        json!(images),
        json!(labels(get(rc, &["spec", "selector"]))),
    ]
}

pub(super) const POD_TEMPLATE: &[Column] = &[
    name_col(),
    string("Containers", super::CONTAINERS_DOC),
    string("Images", super::IMAGES_DOC),
    string("Pod Labels", "The labels for the pod template."),
];

/// NAME CONTAINERS IMAGES POD LABELS (no AGE upstream).
pub(super) fn pod_template(template: &Value, _now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(get(template, &["template", "spec"]));
    vec![
        json!(name(template)),
        json!(names),
        json!(images),
        json!(labels(get(template, &["template", "metadata", "labels"]))),
    ]
}

pub(super) const EVENT: &[Column] = &[
    string("Last Seen", docs::EV_LAST),
    string("Type", docs::EV_TYPE),
    string("Reason", docs::EV_REASON),
    string("Object", docs::EV_OBJECT),
    wide("Subobject", docs::EV_FIELD_PATH),
    wide("Source", docs::EV_SOURCE),
    string("Message", docs::EV_MESSAGE),
    wide("First Seen", docs::EV_FIRST),
    wide("Count", docs::EV_COUNT),
    Column("Name", "string", "name", 1, super::NAME_DOC),
];

/// The fields `printEvent` reads, named as in core/v1 Event.
struct EventFields<'a> {
    object: &'a Value,
    regarding: Option<&'a Value>,
    message: &'a str,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    count: i64,
    source_component: &'a str,
    source_host: &'a str,
}

/// core/v1 Event.
pub(super) fn core_event(event: &Value, now: Timestamp) -> Vec<Value> {
    event_cells(
        &EventFields {
            object: event,
            regarding: get(event, &["involvedObject"]),
            message: str_at(event, &["message"]),
            first: timestamp(event, &["firstTimestamp"]),
            last: timestamp(event, &["lastTimestamp"]),
            count: int_at(event, &["count"]),
            source_component: str_at(event, &["source", "component"]),
            source_host: str_at(event, &["source", "host"]),
        },
        now,
    )
}

/// events.k8s.io/v1 Event: `regarding`, `note` and the `deprecated*` fields
/// map onto core/v1's involvedObject, message, source, first/lastTimestamp
/// and count.
pub(super) fn events_event(event: &Value, now: Timestamp) -> Vec<Value> {
    event_cells(
        &EventFields {
            object: event,
            regarding: get(event, &["regarding"]),
            message: str_at(event, &["note"]),
            first: timestamp(event, &["deprecatedFirstTimestamp"]),
            last: timestamp(event, &["deprecatedLastTimestamp"]),
            count: int_at(event, &["deprecatedCount"]),
            source_component: str_at(event, &["deprecatedSource", "component"]),
            source_host: str_at(event, &["deprecatedSource", "host"]),
        },
        now,
    )
}

/// LAST SEEN TYPE REASON OBJECT | SUBOBJECT SOURCE | MESSAGE | FIRST SEEN
/// COUNT NAME.
fn event_cells(fields: &EventFields<'_>, now: Timestamp) -> Vec<Value> {
    let event = fields.object;
    let first = match fields.first {
        Some(t) => since(Some(t), now),
        None => since(timestamp(event, &["eventTime"]), now),
    };
    let mut last = match fields.last {
        Some(t) => since(Some(t), now),
        None => first.clone(),
    };
    let mut count = fields.count;
    if let Some(series) = get(event, &["series"]).filter(|s| !s.is_null()) {
        last = since(timestamp(series, &["lastObservedTime"]), now);
        count = int_at(series, &["count"]);
    } else if count == 0 {
        // Singleton events don't have a count set in the new API.
        count = 1;
    }
    let empty = Value::Null;
    let regarding = fields.regarding.unwrap_or(&empty);
    let kind = str_at(regarding, &["kind"]).to_lowercase();
    let object_name = str_at(regarding, &["name"]);
    let target = if object_name.is_empty() {
        kind
    } else {
        format!("{kind}/{object_name}")
    };
    let component = first_non_empty(
        fields.source_component,
        str_at(event, &["reportingController"]),
    );
    let instance = first_non_empty(fields.source_host, str_at(event, &["reportingInstance"]));
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    vec![
        json!(last),
        json!(str_at(event, &["type"])),
        json!(str_at(event, &["reason"])),
        json!(target),
        json!(str_at(regarding, &["fieldPath"])),
        json!(source),
        json!(fields.message.trim()),
        json!(first),
        json!(count),
        json!(name(event)),
    ]
}

/// `firstNonEmpty`.
fn first_non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}
