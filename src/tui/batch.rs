//! The writes behind the keys of Jobs and CronJobs: `t` runs a CronJob now
//! (the Job `kubectl create job --from=cronjob/X` makes), ctrl-s suspends
//! or resumes either. Like [`super::workloads`], each answers the flash
//! line or the error.

use std::sync::Arc;

use serde_json::{Value, json};

use super::model::Target;
use crate::api::{Kind, Object};
use crate::handle::ClusterHandle;

/// The annotation kubectl puts on a Job it makes from a CronJob.
const INSTANTIATE: &str = "cronjob.kubernetes.io/instantiate";
/// The longest name a Job may have: its pods' `job-name` label holds it.
const MAX_JOB_NAME: usize = 63;

/// The Job a manual run of `cronjob` is: its template's labels,
/// annotations and spec, owned by the CronJob, as kubectl's
/// `create job --from` builds it; named `<cronjob>-manual-xxx` as k9s does.
pub fn job_from_cron_job(cronjob: &Object, suffix: &str) -> Option<Value> {
    let json = cronjob.to_json();
    let template = &json["spec"]["jobTemplate"];
    let name = cronjob.name();
    let mut annotations = template["metadata"]["annotations"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    annotations.insert(INSTANTIATE.into(), json!("manual"));
    let tail = format!("-manual-{suffix}");
    let stem = &name[..name.len().min(MAX_JOB_NAME - tail.len())];
    let mut job = json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": format!("{stem}{tail}"),
            "namespace": cronjob.namespace(),
            "labels": template["metadata"]["labels"].clone(),
            "annotations": annotations,
            "ownerReferences": [{
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": name,
                "uid": cronjob.meta().uid.clone()?,
                "controller": true,
            }],
        },
        "spec": template["spec"].clone(),
    });
    // A template without labels leaves none, rather than `labels: null`.
    if let Some(metadata) = job["metadata"].as_object_mut() {
        metadata.retain(|_, value| !value.is_null());
    }
    Some(job)
}

/// `t` on a CronJob: its Job, now.
pub async fn trigger(
    handle: Arc<dyn ClusterHandle>,
    cronjob: Arc<Object>,
) -> Result<String, String> {
    let job = job_from_cron_job(&cronjob, &crate::store::random_suffix(3)).ok_or_else(|| {
        format!(
            "cronjob.batch/{} has no uid yet; try again in a moment",
            cronjob.name()
        )
    })?;
    let lines = handle
        .apply(&job.to_string(), false)
        .await
        .map_err(super::workloads::explain)?;
    Ok(format!(
        "{} (from cronjob.batch/{})",
        lines.join(", "),
        cronjob.name()
    ))
}

/// Whether a Job or CronJob is suspended.
pub fn suspended(object: &Object) -> bool {
    object.to_json()["spec"]["suspend"] == json!(true)
}

/// ctrl-s: suspends a running Job or CronJob, resumes a suspended one.
pub async fn toggle_suspend(
    handle: Arc<dyn ClusterHandle>,
    target: Target,
    suspend: bool,
) -> Result<String, String> {
    super::workloads::patch_spec(&handle, &target, json!({"spec": {"suspend": suspend}})).await?;
    let name = target.kind.resource_name(&target.name);
    Ok(match (target.kind, suspend) {
        (_, true) => format!("{name} suspended"),
        (Kind::Job, false) => format!("{name} resumed"),
        _ => format!("{name} resumed: it runs on its schedule again"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_run_is_the_job_kubectl_create_job_from_makes() {
        let cronjob = Object::from_json(Kind::CronJob, json!({
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "backup", "namespace": "ops", "uid": "u-1"},
            "spec": {
                "schedule": "@hourly",
                "jobTemplate": {
                    "metadata": {"labels": {"app": "backup"}},
                    "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "b", "image": "busybox"}]}}},
                },
            },
        }))
        .expect("a cronjob");
        let job = job_from_cron_job(&cronjob, "x7k").expect("a job");
        assert_eq!(job["metadata"]["name"], "backup-manual-x7k");
        assert_eq!(job["metadata"]["namespace"], "ops");
        assert_eq!(job["metadata"]["labels"]["app"], "backup");
        assert_eq!(job["metadata"]["annotations"][INSTANTIATE], "manual");
        assert_eq!(job["metadata"]["ownerReferences"][0]["uid"], "u-1");
        assert_eq!(job["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(job["spec"]["template"]["spec"]["restartPolicy"], "Never");
    }

    #[test]
    fn a_long_name_is_cut_to_what_a_job_may_be_called() {
        let long = "a".repeat(60);
        let cronjob = Object::from_json(
            Kind::CronJob,
            json!({
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": long, "namespace": "ops", "uid": "u-1"},
                "spec": {"schedule": "@hourly", "jobTemplate": {"spec": {}}},
            }),
        )
        .expect("a cronjob");
        let job = job_from_cron_job(&cronjob, "x7k").expect("a job");
        let name = job["metadata"]["name"].as_str().expect("name");
        assert_eq!(name.len(), MAX_JOB_NAME);
        assert!(name.ends_with("-manual-x7k"));
    }
}
