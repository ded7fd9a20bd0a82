//! The Job controller (pkg/controller/job), the part a user meets first:
//! pods from the template up to `parallelism` until `completions` succeed
//! (NonIndexed, or Indexed with one completion per index and
//! `JOB_COMPLETION_INDEX`), failed pods replaced after upstream's
//! exponential back-off (10 s doubling to 6 min) until `backoffLimit`,
//! `activeDeadlineSeconds`, `suspend`, the `Complete`/`Failed`/`Suspended`
//! conditions and events as upstream writes them, and
//! `ttlSecondsAfterFinished`.
//!
//! `podFailurePolicy`, `backoffLimitPerIndex`/`maxFailedIndexes` and an
//! Indexed Job's `successPolicy` are read as upstream ([`policy`]).
//!
//! Jobs are stored through the generic path; the controller reads them as
//! k8s-openapi's `Job`. Not here yet: the job-tracking finalizer (finished
//! pods are counted while they exist; the controller never deletes them
//! before the Job), the interim FailureTarget and SuccessCriteriaMet
//! conditions (the final condition is written at once).

pub mod policy;

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::batch::v1::{Job, JobCondition, JobSpec, JobStatus};
use k8s_openapi::api::core::v1::{EnvVar, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use super::ControllerError;
use super::runner::Reconciler;
use super::util::{
    controller_key, controller_ref, create_pod, is_pod_active, is_pod_ready, nonzero, pod_phase,
};
use crate::api::{Kind, Object};
use crate::events::{EventRecorder, EventType};
use crate::store::{
    DeleteOptions, ListFilter, ObjectKey, Propagation, Store, UpdateScope, WatchEvent,
};

/// The annotation and label naming an Indexed Job's pod's index.
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";
/// Upstream's back-off for replacing failed pods: 10 s, doubling, at most 6 min.
const BACKOFF_BASE_SECONDS: i64 = 10;
const BACKOFF_MAX_SECONDS: i64 = 360;

pub struct JobController {
    store: Store,
    recorder: EventRecorder,
}

impl JobController {
    pub fn new(store: Store) -> JobController {
        let recorder = EventRecorder::new(store.clone(), "job-controller", None);
        JobController { store, recorder }
    }
}

impl Reconciler for JobController {
    fn name(&self) -> &'static str {
        "job"
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Job, Kind::Pod])
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        match &*event.object {
            Object::Pod(pod) => controller_key(&pod.metadata, Kind::Job)
                .into_iter()
                .collect(),
            object if object.kind() == Kind::Job => vec![ObjectKey::of(object)],
            _ => Vec::new(),
        }
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        super::util::keys_of(&self.store, Kind::Job)
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(object) = self.store.get(Kind::Job, &key.namespace, &key.name) else {
            return Ok(None);
        };
        let job: Job = serde_json::from_value(object.to_json())
            .map_err(|e| ControllerError::Invalid(format!("job {}: {e}", key.name)))?;
        if job.metadata.deletion_timestamp.is_some() {
            return Ok(None);
        }
        let now = crate::clock::now();
        if let Some(finished) = finished_at(&job) {
            return self.expire(&job, &object, finished, now);
        }
        let uid = job.metadata.uid.clone().unwrap_or_default();
        let listed = self
            .store
            .list(Kind::Pod, Some(&key.namespace), &ListFilter::default())
            .items;
        let pods: Vec<&Pod> = listed
            .iter()
            .filter_map(|o| o.as_typed::<Pod>())
            .filter(|p| super::util::controller_of(&p.metadata).is_some_and(|o| o.uid == uid))
            .collect();
        let mut sync = Tally::new(&job, &pods, now);
        let requeue = self.act(&job, &object, &pods, &mut sync)?;
        self.write_status(&object, &job, &sync)?;
        Ok(requeue)
    }
}

/// What one sync counted and decided.
struct Tally {
    active: Vec<String>,
    ready: i32,
    succeeded: i32,
    failed: i32,
    succeeded_indexes: BTreeSet<i32>,
    /// Indexes past their backoffLimitPerIndex (or failed by a FailIndex rule).
    failed_indexes: BTreeSet<i32>,
    /// A FailJob rule's message, when a failed pod matched one.
    fail_job: Option<String>,
    /// Set when the Job finishes in this sync: (type, reason, message).
    finished: Option<(&'static str, &'static str, String)>,
    suspended: bool,
    start_time: Option<Time>,
    now: Timestamp,
}

impl Tally {
    fn new(job: &Job, pods: &[&Pod], now: Timestamp) -> Tally {
        let status = job.status.clone().unwrap_or_default();
        let active: Vec<&&Pod> = pods.iter().filter(|p| is_pod_active(p)).collect();
        let succeeded_pods: Vec<&&Pod> = pods
            .iter()
            .filter(|p| pod_phase(p) == "Succeeded")
            .collect();
        let spec = job.spec.as_ref();
        let failure_policy = spec.and_then(|s| s.pod_failure_policy.as_ref());
        let per_index_limit = spec.and_then(|s| s.backoff_limit_per_index);
        let mut failed = 0;
        let mut fail_job = None;
        let mut index_failures: std::collections::BTreeMap<i32, i32> = Default::default();
        let mut failed_indexes = BTreeSet::new();
        for pod in pods.iter().filter(|p| pod_phase(p) == "Failed") {
            match policy::judge(failure_policy, pod) {
                policy::Verdict::Ignore => continue,
                policy::Verdict::FailJob(message) => {
                    fail_job.get_or_insert(message);
                }
                policy::Verdict::FailIndex => failed_indexes.extend(index_of(pod)),
                policy::Verdict::Count => {}
            }
            failed += 1;
            if let Some(index) = index_of(pod) {
                *index_failures.entry(index).or_default() += 1;
            }
        }
        if let Some(limit) = per_index_limit {
            failed_indexes.extend(
                index_failures
                    .iter()
                    .filter(|(_, count)| **count > limit)
                    .map(|(index, _)| *index),
            );
        }
        if restart_policy(job) == "OnFailure" {
            // In-place restarts count toward the backoff limit, as upstream.
            failed += active.iter().map(|p| restarts(p)).sum::<i32>();
        }
        Tally {
            active: active
                .iter()
                .filter_map(|p| p.metadata.name.clone())
                .collect(),
            ready: active.iter().filter(|p| is_pod_ready(p)).count() as i32,
            succeeded: (succeeded_pods.len() as i32).max(status.succeeded.unwrap_or(0)),
            failed: failed.max(status.failed.unwrap_or(0)),
            succeeded_indexes: succeeded_pods.iter().filter_map(|p| index_of(p)).collect(),
            failed_indexes,
            fail_job,
            finished: None,
            suspended: job.spec.as_ref().and_then(|s| s.suspend).unwrap_or(false),
            start_time: status.start_time,
            now,
        }
    }
}

impl JobController {
    /// Creates or deletes pods and decides whether the Job is done.
    fn act(
        &self,
        job: &Job,
        object: &Object,
        pods: &[&Pod],
        sync: &mut Tally,
    ) -> Result<Option<Duration>, ControllerError> {
        let spec = job.spec.clone().unwrap_or_default();
        if sync.suspended {
            self.delete_active(object, pods, "Suspended")?;
            sync.active.clear();
            return Ok(None);
        }
        sync.start_time.get_or_insert_with(|| {
            Time(Timestamp::from_second(sync.now.as_second()).unwrap_or(sync.now))
        });
        let indexed = spec.completion_mode.as_deref() == Some("Indexed");
        let completions = spec.completions;
        let parallelism = spec.parallelism.unwrap_or(1).max(0);
        let backoff_limit = spec.backoff_limit.unwrap_or(6);

        let finished_indexes = sync.succeeded_indexes.len() + sync.failed_indexes.len();
        let max_failed_indexes = spec.max_failed_indexes;
        if let Some(message) = sync.fail_job.clone() {
            sync.finished = Some(("Failed", "PodFailurePolicy", message));
        } else if max_failed_indexes.is_some_and(|max| sync.failed_indexes.len() as i32 > max) {
            sync.finished = Some((
                "Failed",
                "MaxFailedIndexesExceeded",
                "Job has exceeded the specified maximal number of failed indexes".to_string(),
            ));
        } else if indexed
            && !sync.failed_indexes.is_empty()
            && completions.is_some_and(|c| finished_indexes as i32 >= c)
        {
            sync.finished = Some((
                "Failed",
                "FailedIndexes",
                "Job has failed indexes".to_string(),
            ));
        } else if sync.failed > backoff_limit {
            sync.finished = Some((
                "Failed",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit".to_string(),
            ));
        } else if deadline_left(&spec, sync).is_some_and(|left| left <= 0) {
            sync.finished = Some((
                "Failed",
                "DeadlineExceeded",
                "Job was active longer than specified deadline".to_string(),
            ));
        }
        let done = match (indexed, completions) {
            (true, Some(c)) => sync.succeeded_indexes.len() as i32 >= c,
            (false, Some(c)) => sync.succeeded >= c,
            // A work queue: done when one succeeded and the rest ended.
            (_, None) => sync.succeeded > 0 && sync.active.is_empty(),
        };
        let success_rule = indexed
            .then(|| policy::success_rule(spec.success_policy.as_ref(), &sync.succeeded_indexes))
            .flatten();
        if sync.finished.is_none()
            && let Some(rule) = success_rule
        {
            sync.finished = Some((
                "Complete",
                "SuccessPolicy",
                format!("Matched rules at index {rule}"),
            ));
        } else if sync.finished.is_none() && done {
            sync.finished = Some((
                "Complete",
                "CompletionsReached",
                "Reached expected number of succeeded pods".to_string(),
            ));
        }
        if let Some((kind, reason, message)) = &sync.finished {
            if *reason == "SuccessPolicy" {
                // The rest of the indexes are not needed any more.
                self.delete_active(object, pods, reason)?;
                sync.active.clear();
            }
            if *kind == "Failed" {
                self.delete_active(object, pods, reason)?;
                sync.active.clear();
                self.recorder
                    .record(object, EventType::Warning, reason, message);
            } else {
                self.recorder
                    .record(object, EventType::Normal, "Completed", "Job completed");
            }
            return Ok(None);
        }

        let wanted = match (indexed, completions) {
            (true, Some(c)) => (c - finished_indexes as i32).min(parallelism),
            (false, Some(c)) => (c - sync.succeeded).min(parallelism),
            (_, None) if sync.succeeded > 0 => 0,
            (_, None) => parallelism,
        }
        .max(0) as usize;
        let missing = wanted.saturating_sub(sync.active.len());
        if missing == 0 {
            return Ok(deadline_requeue(&spec, sync));
        }
        if let Some(wait) = backoff_left(pods, sync.failed, sync.now) {
            return Ok(Some(wait));
        }
        let busy: BTreeSet<i32> = pods
            .iter()
            .filter(|p| is_pod_active(p))
            .filter_map(|p| index_of(p))
            .collect();
        let mut free = (0..completions.unwrap_or(0)).filter(|i| {
            !busy.contains(i)
                && !sync.succeeded_indexes.contains(i)
                && !sync.failed_indexes.contains(i)
        });
        for _ in 0..missing {
            let index = if indexed {
                match free.next() {
                    Some(index) => Some(index),
                    None => break,
                }
            } else {
                None
            };
            match create_pod(&self.store, pod_for(job, object, index)) {
                Ok(pod) => {
                    sync.active.push(pod.name().to_string());
                    self.recorder.record(
                        object,
                        EventType::Normal,
                        "SuccessfulCreate",
                        &format!("Created pod: {}", pod.name()),
                    );
                }
                Err(error) => {
                    self.recorder.record(
                        object,
                        EventType::Warning,
                        "FailedCreate",
                        &format!("Error creating: {error}"),
                    );
                    return Err(error.into());
                }
            }
        }
        Ok(deadline_requeue(&spec, sync))
    }

    fn delete_active(
        &self,
        object: &Object,
        pods: &[&Pod],
        why: &str,
    ) -> Result<(), ControllerError> {
        for pod in pods.iter().filter(|p| is_pod_active(p)) {
            let name = pod.metadata.name.as_deref().unwrap_or_default();
            let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
            match self
                .store
                .delete(Kind::Pod, namespace, name, &DeleteOptions::default())
            {
                Ok(_) | Err(crate::store::StoreError::NotFound { .. }) => self.recorder.record(
                    object,
                    EventType::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted pod: {name} ({why})"),
                ),
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    fn write_status(
        &self,
        object: &Object,
        job: &Job,
        sync: &Tally,
    ) -> Result<(), ControllerError> {
        let old = job.status.clone().unwrap_or_default();
        let mut status = JobStatus {
            active: nonzero(sync.active.len() as i32),
            ready: Some(sync.ready),
            succeeded: nonzero(sync.succeeded),
            failed: nonzero(sync.failed),
            start_time: sync.start_time.clone(),
            completion_time: old.completion_time.clone(),
            conditions: old.conditions.clone(),
            uncounted_terminated_pods: Some(Default::default()),
            terminating: Some(0),
            ..old.clone()
        };
        let mode = job.spec.as_ref().and_then(|s| s.completion_mode.as_deref());
        if mode == Some("Indexed") {
            status.completed_indexes = Some(ranges(&sync.succeeded_indexes));
            if job
                .spec
                .as_ref()
                .and_then(|s| s.backoff_limit_per_index)
                .is_some()
            {
                status.failed_indexes = Some(ranges(&sync.failed_indexes));
            }
        }
        let time = Time(Timestamp::from_second(sync.now.as_second()).unwrap_or(sync.now));
        let suspended = sync.suspended;
        let was_suspended = condition(&old, "Suspended");
        if suspended != was_suspended && (suspended || old.conditions.is_some()) {
            set_condition(
                &mut status,
                "Suspended",
                if suspended { "True" } else { "False" },
                if suspended {
                    "JobSuspended"
                } else {
                    "JobResumed"
                },
                if suspended {
                    "Job suspended"
                } else {
                    "Job resumed"
                },
                &time,
            );
            let (reason, message) = if suspended {
                ("Suspended", "Job suspended")
            } else {
                ("Resumed", "Job resumed")
            };
            self.recorder
                .record(object, EventType::Normal, reason, message);
            if suspended {
                status.start_time = None;
            }
        }
        if let Some((kind, reason, message)) = &sync.finished {
            set_condition(&mut status, kind, "True", reason, message, &time);
            if *kind == "Complete" {
                status.completion_time = Some(time.clone());
            }
            status.active = None;
        }
        if status == old {
            return Ok(());
        }
        let mut value = object.to_json();
        value["status"] =
            serde_json::to_value(&status).map_err(|e| ControllerError::Invalid(e.to_string()))?;
        let updated = Object::from_json(Kind::Job, value)
            .map_err(|e| ControllerError::Invalid(e.to_string()))?;
        self.store.update(updated, UpdateScope::Status)?;
        Ok(())
    }

    /// `ttlSecondsAfterFinished`: the finished Job (and, through the
    /// garbage collector, its pods) goes when the time is up.
    fn expire(
        &self,
        job: &Job,
        object: &Object,
        finished: Timestamp,
        now: Timestamp,
    ) -> Result<Option<Duration>, ControllerError> {
        let Some(ttl) = job.spec.as_ref().and_then(|s| s.ttl_seconds_after_finished) else {
            return Ok(None);
        };
        let left = finished.as_second() + i64::from(ttl) - now.as_second();
        if left > 0 {
            return Ok(Some(Duration::from_secs(left.unsigned_abs())));
        }
        let options = DeleteOptions {
            propagation: Some(Propagation::Background),
            ..DeleteOptions::default()
        };
        match self
            .store
            .delete(Kind::Job, object.namespace(), object.name(), &options)
        {
            Ok(_) | Err(crate::store::StoreError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}

/// A pod from the Job's template; Indexed Jobs' pods carry their index
/// (annotation, label, `JOB_COMPLETION_INDEX`, hostname `<job>-<index>`).
fn pod_for(job: &Job, object: &Object, index: Option<i32>) -> Pod {
    let template = job
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let template_meta = template.metadata.unwrap_or_default();
    let name = object.name();
    let mut labels = template_meta.labels.unwrap_or_default();
    let mut annotations = template_meta.annotations.unwrap_or_default();
    let mut spec = template.spec.unwrap_or_default();
    let generate_name = match index {
        Some(index) => {
            labels.insert(COMPLETION_INDEX.to_string(), index.to_string());
            annotations.insert(COMPLETION_INDEX.to_string(), index.to_string());
            spec.hostname = Some(format!("{name}-{index}"));
            for container in spec
                .containers
                .iter_mut()
                .chain(spec.init_containers.iter_mut().flatten())
            {
                container.env.get_or_insert_with(Vec::new).push(EnvVar {
                    name: "JOB_COMPLETION_INDEX".to_string(),
                    value: Some(index.to_string()),
                    value_from: None,
                });
            }
            format!("{name}-{index}-")
        }
        None => format!("{name}-"),
    };
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(generate_name),
            namespace: job.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            finalizers: template_meta.finalizers,
            owner_references: Some(vec![controller_ref(object)]),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: None,
    }
}

/// When the Job finished (its Complete or Failed condition), if it has.
fn finished_at(job: &Job) -> Option<Timestamp> {
    job.status
        .as_ref()?
        .conditions
        .iter()
        .flatten()
        .find(|c| matches!(c.type_.as_str(), "Complete" | "Failed") && c.status == "True")
        .map(|c| {
            c.last_transition_time
                .as_ref()
                .map_or(Timestamp::UNIX_EPOCH, |t| t.0)
        })
}

fn condition(status: &JobStatus, kind: &str) -> bool {
    status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == kind && c.status == "True")
}

fn set_condition(
    status: &mut JobStatus,
    kind: &str,
    value: &str,
    reason: &str,
    message: &str,
    time: &Time,
) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let fresh = JobCondition {
        type_: kind.to_string(),
        status: value.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        last_probe_time: Some(time.clone()),
        last_transition_time: Some(time.clone()),
    };
    match conditions.iter_mut().find(|c| c.type_ == kind) {
        Some(existing) => *existing = fresh,
        None => conditions.push(fresh),
    }
}

/// Waits out upstream's back-off after the newest failure.
fn backoff_left(pods: &[&Pod], failed: i32, now: Timestamp) -> Option<Duration> {
    if failed <= 0 {
        return None;
    }
    let newest = pods
        .iter()
        .filter(|p| pod_phase(p) == "Failed")
        .filter_map(|p| finished_time(p))
        .max()?;
    let delay = BACKOFF_BASE_SECONDS
        .saturating_mul(1 << (failed - 1).clamp(0, 6))
        .min(BACKOFF_MAX_SECONDS);
    let left = newest.as_second() + delay - now.as_second();
    (left > 0).then(|| Duration::from_secs(left.unsigned_abs()))
}

/// Seconds until `activeDeadlineSeconds` runs out (negative: past it).
fn deadline_left(spec: &JobSpec, sync: &Tally) -> Option<i64> {
    let deadline = spec.active_deadline_seconds?;
    let start = sync.start_time.as_ref()?;
    Some(start.0.as_second() + deadline - sync.now.as_second())
}

/// Runs again when the deadline is due.
fn deadline_requeue(spec: &JobSpec, sync: &Tally) -> Option<Duration> {
    deadline_left(spec, sync).map(|left| Duration::from_secs(left.max(1).unsigned_abs()))
}

fn finished_time(pod: &Pod) -> Option<Timestamp> {
    pod.status
        .as_ref()?
        .container_statuses
        .iter()
        .flatten()
        .filter_map(|c| c.state.as_ref()?.terminated.as_ref()?.finished_at.as_ref())
        .map(|t| t.0)
        .max()
}

fn restarts(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map_or(0, |c| c.iter().map(|c| c.restart_count).sum())
}

fn index_of(pod: &Pod) -> Option<i32> {
    pod.metadata
        .annotations
        .as_ref()?
        .get(COMPLETION_INDEX)?
        .parse()
        .ok()
}

fn restart_policy(job: &Job) -> String {
    job.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.restart_policy.clone())
        .unwrap_or_default()
}

/// `0-2,4`: the succeeded indexes as upstream writes completedIndexes.
pub fn ranges(indexes: &BTreeSet<i32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = indexes.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_indexes_read_as_upstream_writes_them() {
        let set: BTreeSet<i32> = [0, 1, 2, 4, 6, 7].into();
        assert_eq!(ranges(&set), "0-2,4,6-7");
        assert_eq!(ranges(&BTreeSet::new()), "");
    }
}
