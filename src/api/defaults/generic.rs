//! Defaults of the kinds stored as JSON, as upstream's `defaults.go` of
//! each group sets them (pkg/apis/{batch,apps,core,storage,...}/v1). Pod
//! templates inside them get the same defaults as a pod's spec.

use k8s_openapi::api::core::v1::PodSpec;
use serde_json::{Map, Value, json};

use crate::api::dynamic::DynamicObject;
use crate::api::kinds::Kind;

/// Sets `path` (below the object's top level) to `value` when it is absent.
fn default_at(fields: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut map = fields;
    for key in parents {
        let entry = map.entry(*key).or_insert_with(|| json!({}));
        let Some(next) = entry.as_object_mut() else {
            return;
        };
        map = next;
    }
    if map.get(*last).is_none_or(Value::is_null) {
        map.insert((*last).to_string(), value);
    }
}

/// The value at `path`, or null: `Map`'s own indexing panics on a missing key.
fn get<'a>(fields: &'a Map<String, Value>, path: &[&str]) -> &'a Value {
    static NULL: Value = Value::Null;
    let Some((first, rest)) = path.split_first() else {
        return &NULL;
    };
    rest.iter()
        .fold(fields.get(*first).unwrap_or(&NULL), |value, key| {
            &value[*key]
        })
}

fn object_at<'a>(
    fields: &'a mut Map<String, Value>,
    path: &[&str],
) -> Option<&'a mut Map<String, Value>> {
    path.iter()
        .try_fold(fields, |map, key| map.get_mut(*key)?.as_object_mut())
}

/// Applies the pod defaults to the pod template's spec at `path`.
fn default_pod_template(fields: &mut Map<String, Value>, path: &[&str]) {
    let Some(template) = object_at(fields, path) else {
        return;
    };
    let Some(spec) = template.get("spec").cloned() else {
        return;
    };
    // A spec that does not read as a PodSpec was refused by the kind's
    // round trip already; nothing to default then.
    let Ok(mut typed) = serde_json::from_value::<PodSpec>(spec) else {
        return;
    };
    // The spec defaults only: what upstream's admission adds to pods
    // (service account, priority, tolerations) is not in templates.
    super::default_pod_spec(&mut typed);
    if let Ok(value) = serde_json::to_value(typed) {
        template.insert("spec".into(), value);
    }
}

/// Fills in the defaults Kubernetes applies to `object` on create and update.
pub fn apply_defaults(object: &mut DynamicObject) {
    let kind = object.kind;
    let f = &mut object.fields;
    match kind {
        Kind::Job => default_job_spec(f, &["spec"]),
        Kind::CronJob => {
            default_at(f, &["spec", "concurrencyPolicy"], json!("Allow"));
            default_at(f, &["spec", "suspend"], json!(false));
            default_at(f, &["spec", "successfulJobsHistoryLimit"], json!(3));
            default_at(f, &["spec", "failedJobsHistoryLimit"], json!(1));
            default_job_spec(f, &["spec", "jobTemplate", "spec"]);
        }
        Kind::StatefulSet => {
            default_at(f, &["spec", "replicas"], json!(1));
            default_at(f, &["spec", "podManagementPolicy"], json!("OrderedReady"));
            default_at(
                f,
                &["spec", "updateStrategy", "type"],
                json!("RollingUpdate"),
            );
            if get(f, &["spec", "updateStrategy", "type"]) == "RollingUpdate" {
                default_at(
                    f,
                    &["spec", "updateStrategy", "rollingUpdate", "partition"],
                    json!(0),
                );
            }
            default_at(f, &["spec", "revisionHistoryLimit"], json!(10));
            default_at(
                f,
                &["spec", "persistentVolumeClaimRetentionPolicy"],
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            default_claim_templates(f);
            default_pod_template(f, &["spec", "template"]);
        }
        Kind::DaemonSet => {
            default_at(
                f,
                &["spec", "updateStrategy", "type"],
                json!("RollingUpdate"),
            );
            if get(f, &["spec", "updateStrategy", "type"]) == "RollingUpdate" {
                default_at(
                    f,
                    &["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"],
                    json!(1),
                );
                default_at(
                    f,
                    &["spec", "updateStrategy", "rollingUpdate", "maxSurge"],
                    json!(0),
                );
            }
            default_at(f, &["spec", "revisionHistoryLimit"], json!(10));
            default_pod_template(f, &["spec", "template"]);
        }
        Kind::ReplicationController => {
            default_at(f, &["spec", "replicas"], json!(1));
            // An empty selector is the template's labels (upstream's SetDefaults_ReplicationController).
            let labels = get(f, &["spec", "template", "metadata", "labels"]).clone();
            if labels.is_object() && get(f, &["spec", "selector"]).is_null() {
                default_at(f, &["spec", "selector"], labels.clone());
            }
            default_pod_template(f, &["spec", "template"]);
        }
        Kind::PodTemplate => default_pod_template(f, &["template"]),
        Kind::PersistentVolume => {
            default_at(
                f,
                &["spec", "persistentVolumeReclaimPolicy"],
                json!("Retain"),
            );
            default_at(f, &["spec", "volumeMode"], json!("Filesystem"));
        }
        Kind::PersistentVolumeClaim => default_at(f, &["spec", "volumeMode"], json!("Filesystem")),
        Kind::StorageClass => {
            default_at(f, &["reclaimPolicy"], json!("Delete"));
            default_at(f, &["volumeBindingMode"], json!("Immediate"));
        }
        Kind::PriorityClass => default_at(f, &["preemptionPolicy"], json!("PreemptLowerPriority")),
        Kind::HorizontalPodAutoscaler => {
            default_at(f, &["spec", "minReplicas"], json!(1));
            if get(f, &["spec", "metrics"]).is_null() {
                default_at(
                    f,
                    &["spec", "metrics"],
                    json!([{"type": "Resource", "resource": {"name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 80}}}]),
                );
            }
        }
        Kind::NetworkPolicy => default_network_policy(f),
        Kind::EndpointSlice => {
            for port in f
                .get_mut("ports")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(port) = port.as_object_mut() {
                    port.entry("protocol").or_insert_with(|| json!("TCP"));
                }
            }
        }
        Kind::CustomResourceDefinition => {
            default_at(f, &["spec", "conversion", "strategy"], json!("None"));
            let kind_name = get(f, &["spec", "names", "kind"])
                .as_str()
                .map(str::to_string);
            if let Some(kind_name) = kind_name {
                default_at(
                    f,
                    &["spec", "names", "singular"],
                    json!(kind_name.to_lowercase()),
                );
                default_at(
                    f,
                    &["spec", "names", "listKind"],
                    json!(format!("{kind_name}List")),
                );
            }
        }
        _ => {}
    }
    if kind == Kind::ReplicationController
        && let Some(labels) = get(f, &["spec", "template", "metadata", "labels"])
            .as_object()
            .cloned()
        && object.metadata.labels.as_ref().is_none_or(|l| l.is_empty())
    {
        object.metadata.labels = Some(
            labels
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
                .collect(),
        );
    }
}

/// A Job's spec defaults (pkg/apis/batch/v1/defaults.go SetDefaults_Job).
fn default_job_spec(f: &mut Map<String, Value>, spec: &[&str]) {
    let at = |key: &'static str| -> Vec<&str> { spec.iter().copied().chain([key]).collect() };
    let Some(job) = object_at(f, spec) else {
        return;
    };
    if job.get("completions").is_none_or(Value::is_null)
        && job.get("parallelism").is_none_or(Value::is_null)
    {
        job.insert("completions".into(), json!(1));
        job.insert("parallelism".into(), json!(1));
    }
    let per_index = job
        .get("backoffLimitPerIndex")
        .is_some_and(|v| !v.is_null());
    let has_failure_policy = job.get("podFailurePolicy").is_some_and(|v| !v.is_null());
    default_at(f, &at("parallelism"), json!(1));
    default_at(
        f,
        &at("backoffLimit"),
        json!(if per_index { i32::MAX } else { 6 }),
    );
    default_at(f, &at("completionMode"), json!("NonIndexed"));
    default_at(f, &at("suspend"), json!(false));
    default_at(
        f,
        &at("podReplacementPolicy"),
        json!(if has_failure_policy {
            "Failed"
        } else {
            "TerminatingOrFailed"
        }),
    );
    default_at(f, &at("manualSelector"), json!(false));
    let template: Vec<&str> = spec.iter().copied().chain(["template"]).collect();
    default_pod_template(f, &template);
}

fn default_claim_templates(f: &mut Map<String, Value>) {
    let claims = f
        .get_mut("spec")
        .and_then(|s| s.get_mut("volumeClaimTemplates"))
        .and_then(Value::as_array_mut);
    for claim in claims.into_iter().flatten() {
        if let Some(claim) = claim.as_object_mut() {
            default_at(claim, &["spec", "volumeMode"], json!("Filesystem"));
            claim.remove("status");
            claim.insert("status".into(), json!({"phase": "Pending"}));
        }
    }
}

/// policyTypes from what the policy has, ports TCP (SetDefaults_NetworkPolicy).
fn default_network_policy(f: &mut Map<String, Value>) {
    let Some(spec) = object_at(f, &["spec"]) else {
        return;
    };
    for direction in ["ingress", "egress"] {
        for rule in spec
            .get_mut(direction)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            for port in rule
                .get_mut("ports")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(port) = port.as_object_mut() {
                    port.entry("protocol").or_insert_with(|| json!("TCP"));
                }
            }
        }
    }
    if spec.get("policyTypes").is_none_or(Value::is_null) {
        let mut types = vec![json!("Ingress")];
        if spec.get("egress").is_some_and(|e| !e.is_null()) {
            types.push(json!("Egress"));
        }
        spec.insert("policyTypes".into(), Value::Array(types));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Object;

    fn defaulted(kind: Kind, value: Value) -> Value {
        let mut object = Object::from_json(kind, value).expect("parses");
        crate::api::defaults::apply_defaults(&mut object);
        object.to_json()
    }

    #[test]
    fn a_job_gets_upstreams_defaults() {
        let job = defaulted(
            Kind::Job,
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
                "spec": {"template": {"spec": {"restartPolicy": "Never",
                    "containers": [{"name": "pi", "image": "perl:5.34"}]}}}}),
        );
        let spec = &job["spec"];
        assert_eq!(spec["completions"], 1);
        assert_eq!(spec["parallelism"], 1);
        assert_eq!(spec["backoffLimit"], 6);
        assert_eq!(spec["completionMode"], "NonIndexed");
        assert_eq!(spec["suspend"], false);
        let container = &spec["template"]["spec"]["containers"][0];
        assert_eq!(container["imagePullPolicy"], "IfNotPresent");
        assert_eq!(container["terminationMessagePath"], "/dev/termination-log");
    }

    #[test]
    fn a_statefulset_and_a_network_policy_get_upstreams_defaults() {
        let sts = defaulted(
            Kind::StatefulSet,
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
                "spec": {"serviceName": "nginx", "selector": {"matchLabels": {"app": "nginx"}},
                    "template": {"metadata": {"labels": {"app": "nginx"}},
                        "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}),
        );
        assert_eq!(sts["spec"]["replicas"], 1);
        assert_eq!(sts["spec"]["podManagementPolicy"], "OrderedReady");
        assert_eq!(
            sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"],
            0
        );
        let policy = defaulted(
            Kind::NetworkPolicy,
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "p"}, "spec": {"podSelector": {},
                    "egress": [{"ports": [{"port": 53}]}]}}),
        );
        assert_eq!(policy["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        assert_eq!(policy["spec"]["egress"][0]["ports"][0]["protocol"], "TCP");
    }
}
