//! Validation of the kinds stored as JSON, where upstream's rules are
//! what a user meets first: pod templates (the same checks as a pod's
//! spec), workload selectors against template labels, a Job's restart
//! policy, a CustomResourceDefinition's name.

use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job, JobSpec};
use k8s_openapi::api::core::v1::{PersistentVolumeClaimVolumeSource, Volume};
use serde::de::DeserializeOwned;

use super::FieldError;
use super::format::quote;
use super::pod::validate_pod_spec;
use super::workload::validate_selector_and_template;
use crate::api::dynamic::DynamicObject;
use crate::api::kinds::Kind;

fn typed<T: DeserializeOwned>(object: &DynamicObject) -> Option<T> {
    serde_json::from_value(object.to_json()).ok()
}

/// Validates an object of a kind stored as JSON.
pub fn validate(object: &DynamicObject) -> Vec<FieldError> {
    match object.kind {
        Kind::Job => typed::<Job>(object)
            .and_then(|job| job.spec)
            .map(|spec| validate_job_spec(&spec, "spec"))
            .unwrap_or_default(),
        Kind::CronJob => typed::<CronJob>(object)
            .and_then(|cron_job| cron_job.spec)
            .map(|spec| {
                let mut errors = Vec::new();
                if spec.schedule.trim().is_empty() {
                    errors.push(FieldError::required("spec.schedule", ""));
                } else if let Err(error) = crate::api::cron::Schedule::parse(&spec.schedule) {
                    errors.push(FieldError::invalid(
                        "spec.schedule",
                        super::quote(&spec.schedule),
                        &error.to_string(),
                    ));
                }
                match spec.time_zone.as_deref() {
                    Some("") => errors.push(FieldError::invalid(
                        "spec.timeZone",
                        super::quote(""),
                        "timeZone must be nil or non-empty string",
                    )),
                    Some(zone) => {
                        if let Err(error) = crate::api::cron::load_zone(zone) {
                            errors.push(FieldError::invalid(
                                "spec.timeZone",
                                super::quote(zone),
                                &error,
                            ));
                        }
                    }
                    None => {}
                }
                if let Some(job) = spec.job_template.spec.as_ref() {
                    errors.extend(validate_job_spec(job, "spec.jobTemplate.spec"));
                }
                errors
            })
            .unwrap_or_default(),
        Kind::StatefulSet => typed::<StatefulSet>(object)
            .and_then(|sts| sts.spec)
            .map(|spec| {
                // Each claim template is a volume the containers may mount
                // (upstream validates the template with them added).
                let mut template = spec.template.clone();
                if let Some(pod) = template.spec.as_mut() {
                    let volumes = pod.volumes.get_or_insert_with(Vec::new);
                    for claim in spec.volume_claim_templates.iter().flatten() {
                        let name = claim.metadata.name.clone().unwrap_or_default();
                        volumes.push(Volume {
                            name: name.clone(),
                            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                                claim_name: name,
                                read_only: None,
                            }),
                            ..Default::default()
                        });
                    }
                }
                validate_selector_and_template(Some(&spec.selector), Some(&template))
            })
            .unwrap_or_default(),
        Kind::DaemonSet => typed::<DaemonSet>(object)
            .and_then(|ds| ds.spec)
            .map(|spec| validate_selector_and_template(Some(&spec.selector), Some(&spec.template)))
            .unwrap_or_default(),
        Kind::CustomResourceDefinition => validate_definition_name(object),
        _ => Vec::new(),
    }
}

fn validate_job_spec(spec: &JobSpec, path: &str) -> Vec<FieldError> {
    let template = format!("{path}.template.spec");
    let Some(pod) = spec.template.spec.as_ref() else {
        return vec![FieldError::required(&template, "")];
    };
    let mut errors = validate_pod_spec(pod, &template);
    let policy = pod.restart_policy.as_deref().unwrap_or("");
    if policy != "OnFailure" && policy != "Never" {
        errors.push(FieldError::not_supported(
            &format!("{template}.restartPolicy"),
            quote(policy),
            &["OnFailure", "Never"],
        ));
    }
    for (field, value) in [
        ("parallelism", spec.parallelism),
        ("completions", spec.completions),
        ("backoffLimit", spec.backoff_limit),
    ] {
        if let Some(v) = value.filter(|v| *v < 0) {
            errors.push(FieldError::invalid(
                &format!("{path}.{field}"),
                v,
                "must be greater than or equal to 0",
            ));
        }
    }
    errors
}

/// `metadata.name: Invalid value: "x": must be spec.names.plural+"."+spec.group`.
fn validate_definition_name(object: &DynamicObject) -> Vec<FieldError> {
    let spec = object.fields.get("spec");
    let plural = spec
        .and_then(|s| s["names"]["plural"].as_str())
        .unwrap_or("");
    let group = spec.and_then(|s| s["group"].as_str()).unwrap_or("");
    let name = object.metadata.name.as_deref().unwrap_or("");
    let mut errors = Vec::new();
    if name != format!("{plural}.{group}") {
        errors.push(FieldError::invalid(
            "metadata.name",
            quote(name),
            "must be spec.names.plural+\".\"+spec.group",
        ));
    }
    if group.is_empty() {
        errors.push(FieldError::required("spec.group", ""));
    } else if !group.contains('.') {
        errors.push(FieldError::invalid(
            "spec.group",
            quote(group),
            "should be a domain with at least one dot",
        ));
    }
    let versions = spec
        .and_then(|s| s["versions"].as_array())
        .map_or(&[][..], Vec::as_slice);
    for (index, version) in versions.iter().enumerate() {
        if let Some(schema) = version.get("schema").and_then(|s| s.get("openAPIV3Schema")) {
            let base = format!("spec.versions[{index}].schema.openAPIV3Schema");
            errors.extend(
                crate::api::crd_schema::structural_errors(schema, &base)
                    .iter()
                    .map(FieldError::from_schema),
            );
        }
    }
    if versions.is_empty() {
        errors.push(FieldError::invalid(
            "spec.versions",
            "[]apiextensions.CustomResourceDefinitionVersion(nil)",
            "must have exactly one version marked as storage version",
        ));
    } else if versions.iter().filter(|v| v["storage"] == true).count() != 1 {
        errors.push(FieldError::invalid(
            "spec.versions",
            format!(
                "[]apiextensions.CustomResourceDefinitionVersion{{...{} versions}}",
                versions.len()
            ),
            "must have exactly one version marked as storage version",
        ));
    }
    errors
}
