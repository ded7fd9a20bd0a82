//! Workload kinds: StatefulSet, DaemonSet, ControllerRevision, Job,
//! CronJob, HorizontalPodAutoscaler and PodDisruptionBudget.

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::super::duration::human_duration;
use super::json::{
    age, arr_at, container_cells, deleting, get, int_at, int_or_string, label_selector, labels,
    name, opt_bool, opt_int, opt_str, print_bool, quantity, since, str_at, timestamp,
};
use super::{Column, age_col, containers_col, docs, images_col, integer, name_col, string, wide};

pub(super) const STATEFUL_SET: &[Column] = &[
    name_col(),
    string("Ready", "Number of the pod with ready state"),
    age_col(),
    containers_col(),
    images_col(),
];

/// NAME READY AGE | CONTAINERS IMAGES.
pub(super) fn stateful_set(set: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(get(set, &["spec", "template", "spec"]));
    // spec.replicas defaults to 1.
    let desired = opt_int(set, &["spec", "replicas"]).unwrap_or(1);
    vec![
        json!(name(set)),
        json!(format!(
            "{}/{desired}",
            int_at(set, &["status", "readyReplicas"])
        )),
        json!(age(set, now)),
        json!(names),
        json!(images),
    ]
}

pub(super) const DAEMON_SET: &[Column] = &[
    name_col(),
    integer("Desired", docs::DS_DESIRED),
    integer("Current", docs::DS_CURRENT),
    integer("Ready", docs::DS_READY),
    integer("Up-to-date", docs::DS_UPDATED),
    integer("Available", docs::DS_AVAILABLE),
    string("Node Selector", docs::POD_NODE_SELECTOR),
    age_col(),
    containers_col(),
    images_col(),
    wide("Selector", docs::DS_SELECTOR),
];

/// NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE |
/// CONTAINERS IMAGES SELECTOR.
pub(super) fn daemon_set(set: &Value, now: Timestamp) -> Vec<Value> {
    let pod_spec = get(set, &["spec", "template", "spec"]);
    let (names, images) = container_cells(pod_spec);
    vec![
        json!(name(set)),
        json!(int_at(set, &["status", "desiredNumberScheduled"])),
        json!(int_at(set, &["status", "currentNumberScheduled"])),
        json!(int_at(set, &["status", "numberReady"])),
        json!(int_at(set, &["status", "updatedNumberScheduled"])),
        json!(int_at(set, &["status", "numberAvailable"])),
        json!(labels(pod_spec.and_then(|s| s.get("nodeSelector")))),
        json!(age(set, now)),
        json!(names),
        json!(images),
        json!(label_selector(get(set, &["spec", "selector"]))),
    ]
}

pub(super) const CONTROLLER_REVISION: &[Column] = &[
    name_col(),
    string("Controller", "Controller of the object"),
    string("Revision", docs::CR_REVISION),
    age_col(),
];

/// NAME CONTROLLER REVISION AGE; the controller as `kind.group/name`
/// lowercased (`statefulset.apps/web`), `<none>` without one.
pub(super) fn controller_revision(revision: &Value, now: Timestamp) -> Vec<Value> {
    let controller = arr_at(revision, &["metadata", "ownerReferences"])
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|owner| {
            let api_version = str_at(owner, &["apiVersion"]);
            let group = match api_version.split_once('/') {
                Some((group, _)) => group,
                None => "",
            };
            let kind = str_at(owner, &["kind"]);
            let owner_name = str_at(owner, &["name"]);
            let group_kind = if group.is_empty() {
                kind.to_string()
            } else {
                format!("{kind}.{group}")
            };
            if group_kind.is_empty() {
                owner_name.to_string()
            } else {
                format!("{}/{owner_name}", group_kind.to_lowercase())
            }
        })
        .unwrap_or_else(|| "<none>".to_string());
    vec![
        json!(name(revision)),
        json!(controller),
        json!(int_at(revision, &["revision"])),
        json!(age(revision, now)),
    ]
}

pub(super) const JOB: &[Column] = &[
    name_col(),
    string("Status", "Status of the job."),
    string("Completions", docs::JOB_SUCCEEDED),
    string("Duration", "Time required to complete the job."),
    age_col(),
    containers_col(),
    images_col(),
    wide("Selector", docs::JOB_SELECTOR),
];

/// `hasJobCondition`: the first condition of that type is True.
fn has_condition(object: &Value, condition_type: &str) -> bool {
    arr_at(object, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == condition_type)
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

/// The STATUS cell of a Job.
pub(super) fn job_status(job: &Value) -> &'static str {
    if has_condition(job, "Complete") {
        "Complete"
    } else if has_condition(job, "Failed") {
        "Failed"
    } else if deleting(job) {
        "Terminating"
    } else if has_condition(job, "Suspended") {
        "Suspended"
    } else if has_condition(job, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    }
}

/// NAME STATUS COMPLETIONS DURATION AGE | CONTAINERS IMAGES SELECTOR.
pub(super) fn job(job: &Value, now: Timestamp) -> Vec<Value> {
    let succeeded = int_at(job, &["status", "succeeded"]);
    let completions = match opt_int(job, &["spec", "completions"]) {
        Some(completions) => format!("{succeeded}/{completions}"),
        None => match opt_int(job, &["spec", "parallelism"]).unwrap_or(0) {
            parallelism if parallelism > 1 => format!("{succeeded}/1 of {parallelism}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let start = timestamp(job, &["status", "startTime"]);
    let completion = timestamp(job, &["status", "completionTime"]);
    let duration = match (start, completion) {
        (None, _) => String::new(),
        (Some(start), None) => human_duration(now.duration_since(start).as_secs()),
        (Some(start), Some(end)) => human_duration(end.duration_since(start).as_secs()),
    };
    let (names, images) = container_cells(get(job, &["spec", "template", "spec"]));
    vec![
        json!(name(job)),
        json!(job_status(job)),
        json!(completions),
        json!(duration),
        json!(age(job, now)),
        json!(names),
        json!(images),
        json!(label_selector(get(job, &["spec", "selector"]))),
    ]
}

pub(super) const CRON_JOB: &[Column] = &[
    name_col(),
    string("Schedule", docs::CJ_SCHEDULE),
    string("Timezone", docs::CJ_TIME_ZONE),
    Column("Suspend", "boolean", "", 0, docs::CJ_SUSPEND),
    integer("Active", docs::CJ_ACTIVE),
    string("Last Schedule", docs::CJ_LAST_SCHEDULE),
    age_col(),
    containers_col(),
    images_col(),
    wide("Selector", docs::JOB_SELECTOR),
];

/// NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE | CONTAINERS
/// IMAGES SELECTOR. SUSPEND is "True"/"False"/"<unset>" (a string, as
/// upstream's printBoolPtr).
pub(super) fn cron_job(cron: &Value, now: Timestamp) -> Vec<Value> {
    let last_schedule = match timestamp(cron, &["status", "lastScheduleTime"]) {
        Some(t) => since(Some(t), now),
        None => "<none>".to_string(),
    };
    let suspend = opt_bool(cron, &["spec", "suspend"]).map_or("<unset>", print_bool);
    let job_spec = get(cron, &["spec", "jobTemplate", "spec"]);
    let (names, images) = container_cells(job_spec.and_then(|s| get(s, &["template", "spec"])));
    vec![
        json!(name(cron)),
        json!(str_at(cron, &["spec", "schedule"])),
        json!(opt_str(cron, &["spec", "timeZone"]).unwrap_or("<none>")),
        json!(suspend),
        json!(arr_at(cron, &["status", "active"]).len()),
        json!(last_schedule),
        json!(age(cron, now)),
        json!(names),
        json!(images),
        json!(label_selector(job_spec.and_then(|s| s.get("selector")))),
    ]
}

pub(super) const HPA: &[Column] = &[
    name_col(),
    string("Reference", docs::HPA_REF),
    string("Targets", docs::HPA_METRICS),
    string("MinPods", docs::HPA_MIN),
    string("MaxPods", docs::HPA_MAX),
    string("Replicas", docs::HPA_CURRENT),
    age_col(),
];

/// A quantity pointer's `String()`: `<nil>` when unset.
fn quantity_ptr(value: Option<&Value>) -> String {
    quantity(value, "<nil>")
}

/// One metric of `formatHPAMetrics`. `status` is the metric status at the
/// same index, if any.
fn format_metric(spec: &Value, status: Option<&Value>) -> String {
    let unknown = || "<unknown>".to_string();
    // The status's source of the same kind, e.g. status.resource.
    let current = |source: &str| status.and_then(|s| s.get(source)).filter(|v| !v.is_null());
    match str_at(spec, &["type"]) {
        source_type @ ("External" | "Object") => {
            let key = if source_type == "External" {
                "external"
            } else {
                "object"
            };
            let target = get(spec, &[key, "target"]);
            if let Some(average) = target.and_then(|t| t.get("averageValue")) {
                let current = current(key)
                    .and_then(|c| get(c, &["current", "averageValue"]))
                    .map_or_else(unknown, |v| quantity_ptr(Some(v)));
                format!("{current}/{} (avg)", quantity_ptr(Some(average)))
            } else {
                let current = current(key)
                    .map_or_else(unknown, |c| quantity_ptr(get(c, &["current", "value"])));
                format!(
                    "{current}/{}",
                    quantity_ptr(target.and_then(|t| t.get("value")))
                )
            }
        }
        "Pods" => {
            let current = current("pods").map_or_else(unknown, |c| {
                quantity_ptr(get(c, &["current", "averageValue"]))
            });
            format!(
                "{current}/{}",
                quantity_ptr(get(spec, &["pods", "target", "averageValue"]))
            )
        }
        source_type @ ("Resource" | "ContainerResource") => {
            let key = if source_type == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let resource = str_at(spec, &[key, "name"]);
            let target = get(spec, &[key, "target"]);
            if let Some(average) = target.and_then(|t| t.get("averageValue")) {
                let current = current(key).map_or_else(unknown, |c| {
                    quantity_ptr(get(c, &["current", "averageValue"]))
                });
                format!("{resource}: {current}/{}", quantity_ptr(Some(average)))
            } else {
                let current = current(key)
                    .and_then(|c| opt_int(c, &["current", "averageUtilization"]))
                    .map_or_else(unknown, |u| format!("{u}%"));
                let target = target
                    .and_then(|t| opt_int(t, &["averageUtilization"]))
                    .map_or_else(|| "<auto>".to_string(), |u| format!("{u}%"));
                format!("{resource}: {current}/{target}")
            }
        }
        _ => "<unknown type>".to_string(),
    }
}

/// autoscaling/v1's CPU target and current utilization, as the v2 metrics
/// the internal type converts them to.
fn v1_metrics(hpa: &Value) -> (Vec<Value>, Vec<Value>) {
    let Some(target) = opt_int(hpa, &["spec", "targetCPUUtilizationPercentage"]) else {
        return (Vec::new(), Vec::new());
    };
    let spec = json!({"type": "Resource", "resource": {"name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": target}}});
    let status = match opt_int(hpa, &["status", "currentCPUUtilizationPercentage"]) {
        Some(current) => vec![json!({"type": "Resource", "resource": {"name": "cpu",
            "current": {"averageUtilization": current}}})],
        None => Vec::new(),
    };
    (vec![spec], status)
}

/// `formatHPAMetrics`: up to two targets, then ` + N more...`.
pub(super) fn hpa_targets(hpa: &Value) -> String {
    let (v1_specs, v1_statuses);
    let (specs, statuses) = if get(hpa, &["spec", "metrics"]).is_some()
        || opt_int(hpa, &["spec", "targetCPUUtilizationPercentage"]).is_none()
    {
        (
            arr_at(hpa, &["spec", "metrics"]),
            arr_at(hpa, &["status", "currentMetrics"]),
        )
    } else {
        (v1_specs, v1_statuses) = v1_metrics(hpa);
        (v1_specs.as_slice(), v1_statuses.as_slice())
    };
    if specs.is_empty() {
        return "<none>".to_string();
    }
    let list: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| format_metric(spec, statuses.get(i)))
        .collect();
    const MAX: usize = 2;
    let shown = list
        .iter()
        .take(MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > MAX {
        format!("{shown} + {} more...", list.len() - MAX)
    } else {
        shown
    }
}

/// NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE.
pub(super) fn hpa(hpa: &Value, now: Timestamp) -> Vec<Value> {
    let reference = format!(
        "{}/{}",
        str_at(hpa, &["spec", "scaleTargetRef", "kind"]),
        str_at(hpa, &["spec", "scaleTargetRef", "name"])
    );
    let min_pods = opt_int(hpa, &["spec", "minReplicas"])
        .map_or_else(|| "<unset>".to_string(), |n| n.to_string());
    vec![
        json!(name(hpa)),
        json!(reference),
        json!(hpa_targets(hpa)),
        json!(min_pods),
        json!(int_at(hpa, &["spec", "maxReplicas"])),
        json!(int_at(hpa, &["status", "currentReplicas"])),
        json!(age(hpa, now)),
    ]
}

pub(super) const PDB: &[Column] = &[
    name_col(),
    string(
        "Min Available",
        "The minimum number of pods that must be available.",
    ),
    string(
        "Max Unavailable",
        "The maximum number of pods that may be unavailable.",
    ),
    integer(
        "Allowed Disruptions",
        "Calculated number of pods that may be disrupted at this time.",
    ),
    age_col(),
];

/// NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE.
pub(super) fn pdb(pdb: &Value, now: Timestamp) -> Vec<Value> {
    let or_na = |key: &str| {
        get(pdb, &["spec", key])
            .filter(|v| !v.is_null())
            .map_or_else(|| "N/A".to_string(), int_or_string)
    };
    vec![
        json!(name(pdb)),
        json!(or_na("minAvailable")),
        json!(or_na("maxUnavailable")),
        json!(int_at(pdb, &["status", "disruptionsAllowed"])),
        json!(age(pdb, now)),
    ]
}
