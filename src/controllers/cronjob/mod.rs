//! The CronJob controller (pkg/controller/cronjob, cronjob_controllerv2.go
//! and utils.go): at each start time of `spec.schedule` (read in
//! `spec.timeZone`, or the zone podium runs in, as upstream uses the
//! controller manager's) a Job named `<cronjob>-<minutes since the epoch>`
//! from `spec.jobTemplate`; the most recent missed start time after
//! `lastScheduleTime` (or creation) within `startingDeadlineSeconds`;
//! `concurrencyPolicy` Allow, Forbid (skip while one runs) and Replace
//! (delete the running ones first); `suspend`; `status.active`,
//! `lastScheduleTime` and `lastSuccessfulTime`; finished Jobs beyond
//! `successfulJobsHistoryLimit`/`failedJobsHistoryLimit` deleted oldest
//! first; events with upstream's reasons and messages. It wakes again
//! just after the next start time.
//!
//! CronJobs and Jobs are stored through the generic path; the controller
//! reads them as k8s-openapi's types. The schedule itself (robfig/cron's
//! parser and arithmetic) is in [`crate::api::cron`], which validation
//! shares.

use std::collections::HashSet;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use k8s_openapi::api::batch::v1::{CronJob, CronJobStatus, Job};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use super::ControllerError;
use super::runner::Reconciler;
use super::util::{controller_key, controller_of, controller_ref};
use crate::api::cron::{Missed, Schedule, load_zone};
use crate::api::{Kind, Object};
use crate::events::{EventRecorder, EventType, object_reference};
use crate::store::{
    DeleteOptions, ListFilter, ObjectKey, Propagation, Store, StoreError, UpdateScope, WatchEvent,
};

/// The annotation with a Job's scheduled time (RFC 3339, in the CronJob's zone).
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

pub struct CronJobController {
    store: Store,
    recorder: EventRecorder,
}

impl CronJobController {
    pub fn new(store: Store) -> CronJobController {
        let recorder = EventRecorder::new(store.clone(), "cronjob-controller", None);
        CronJobController { store, recorder }
    }
}

impl Reconciler for CronJobController {
    fn name(&self) -> &'static str {
        "cronjob"
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::CronJob, Kind::Job])
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        match event.object.kind() {
            Kind::Job => controller_key(event.object.meta(), Kind::CronJob)
                .into_iter()
                .collect(),
            Kind::CronJob => vec![ObjectKey::of(&event.object)],
            _ => Vec::new(),
        }
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        super::util::keys_of(&self.store, Kind::CronJob)
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(object) = self.store.get(Kind::CronJob, &key.namespace, &key.name) else {
            return Ok(None);
        };
        let cron: CronJob = serde_json::from_value(object.to_json())
            .map_err(|e| ControllerError::Invalid(format!("cronjob {}: {e}", key.name)))?;
        // Every Job it controls, whatever its labels say now (by name, as upstream).
        let jobs: Vec<Job> = self
            .store
            .list(Kind::Job, Some(&key.namespace), &ListFilter::default())
            .items
            .iter()
            .filter(|o| {
                controller_of(o.meta()).is_some_and(|r| r.kind == "CronJob" && r.name == key.name)
            })
            .filter_map(|o| serde_json::from_value(o.to_json()).ok())
            .collect();
        let old = cron.status.clone().unwrap_or_default();
        let mut status = old.clone();
        let sync = Sync {
            controller: self,
            object: &object,
            cron: &cron,
        };
        sync.cleanup_finished(&jobs, &mut status);
        let result = sync.run(&jobs, &mut status, crate::clock::now());
        if status != old {
            self.write_status(&object, &status)?;
        }
        result
    }
}

impl CronJobController {
    fn write_status(&self, object: &Object, status: &CronJobStatus) -> Result<(), ControllerError> {
        let mut value = object.to_json();
        value["status"] =
            serde_json::to_value(status).map_err(|e| ControllerError::Invalid(e.to_string()))?;
        let updated = Object::from_json(Kind::CronJob, value)
            .map_err(|e| ControllerError::Invalid(e.to_string()))?;
        self.store.update(updated, UpdateScope::Status)?;
        Ok(())
    }

    /// Creates a Job as the API server would: a generated uid with
    /// upstream's selector and pod labels, defaults, no status.
    fn create_job(&self, job: Job) -> Result<std::sync::Arc<Object>, StoreError> {
        let invalid = |message: String| StoreError::Invalid {
            kind: Kind::Job,
            name: job.metadata.name.clone().unwrap_or_default(),
            message,
        };
        // The uid, selector and pod labels come from the Job's create strategy.
        let value = serde_json::to_value(&job).map_err(|e| invalid(e.to_string()))?;
        let object = Object::from_json(Kind::Job, value).map_err(|e| invalid(e.to_string()))?;
        super::util::create(&self.store, object)
    }
}

/// One sync of one CronJob.
struct Sync<'a> {
    controller: &'a CronJobController,
    object: &'a Object,
    cron: &'a CronJob,
}

impl Sync<'_> {
    fn event(&self, event_type: EventType, reason: &str, message: &str) {
        self.controller
            .recorder
            .record(self.object, event_type, reason, message);
    }

    /// upstream's `syncCronJob`: the active list brought up to date, then
    /// at most one Job for the most recent due start time.
    fn run(
        &self,
        jobs: &[Job],
        status: &mut CronJobStatus,
        now: Timestamp,
    ) -> Result<Option<Duration>, ControllerError> {
        let store = &self.controller.store;
        let namespace = self.object.namespace();
        let mut children = HashSet::new();
        for job in jobs {
            let uid = job.metadata.uid.clone().unwrap_or_default();
            let name = job.metadata.name.as_deref().unwrap_or_default();
            let found = in_active(status, &uid);
            let finished = finished_type(job);
            match finished {
                None if !found => self.event(
                    EventType::Warning,
                    "UnexpectedJob",
                    &format!("Saw a job that the controller did not create or forgot: {name}"),
                ),
                Some(kind) if found => {
                    remove_active(status, &uid);
                    self.event(
                        EventType::Normal,
                        "SawCompletedJob",
                        &format!("Saw completed job: {name}, status: {kind}"),
                    );
                }
                _ => {}
            }
            if finished == Some("Complete")
                && let Some(done) = job.status.as_ref().and_then(|s| s.completion_time.clone())
                && status
                    .last_successful_time
                    .as_ref()
                    .is_none_or(|last| done.0 > last.0)
            {
                status.last_successful_time = Some(done);
            }
            children.insert(uid);
        }
        // An active Job that is gone would keep the CronJob busy forever.
        let missing: Vec<(String, String)> = active(status)
            .iter()
            .filter(|r| !children.contains(r.uid.as_deref().unwrap_or_default()))
            .filter(|r| {
                let name = r.name.as_deref().unwrap_or_default();
                store.get(Kind::Job, namespace, name).is_none()
            })
            .map(|r| {
                (
                    r.uid.clone().unwrap_or_default(),
                    r.name.clone().unwrap_or_default(),
                )
            })
            .collect();
        for (uid, name) in missing {
            self.event(
                EventType::Normal,
                "MissingJob",
                &format!("Active job went missing: {name}"),
            );
            remove_active(status, &uid);
        }

        if self.cron.metadata.deletion_timestamp.is_some() {
            return Ok(None);
        }
        let spec = self.cron.spec.clone().unwrap_or_default();
        let zone = match spec.time_zone.as_deref() {
            None => TimeZone::system(),
            Some(name) => match load_zone(name) {
                Ok(zone) => zone,
                Err(error) => {
                    self.event(
                        EventType::Warning,
                        "UnknownTimeZone",
                        &format!("invalid timeZone: {}: {error}", go_quote(name)),
                    );
                    return Ok(None);
                }
            },
        };
        if spec.suspend == Some(true) {
            return Ok(None);
        }
        let schedule = match Schedule::parse(&spec.schedule) {
            Ok(schedule) => schedule,
            Err(error) => {
                self.event(
                    EventType::Warning,
                    "UnparseableSchedule",
                    &format!(
                        "unparseable schedule: {} : {error}",
                        go_quote(&spec.schedule)
                    ),
                );
                return Ok(None);
            }
        };
        let created = self
            .cron
            .metadata
            .creation_timestamp
            .as_ref()
            .map_or(now, |t| t.0);
        let earliest =
            |status: &CronJobStatus| status.last_schedule_time.as_ref().map_or(created, |t| t.0);
        let next_wait = |status: &CronJobStatus| {
            crate::api::cron::until_next(&schedule, &zone, earliest(status), now)
        };

        let recent = match crate::api::cron::most_recent(
            &schedule,
            &zone,
            earliest(status),
            spec.starting_deadline_seconds,
            now,
        ) {
            Ok(recent) => recent,
            Err(error) => {
                self.event(
                    EventType::Warning,
                    "InvalidSchedule",
                    &format!("invalid schedule: {} : {error}", spec.schedule),
                );
                return Ok(None);
            }
        };
        let Some(scheduled) = recent.most_recent.filter(|t| *t <= now) else {
            return Ok(next_wait(status));
        };
        if recent.missed == Missed::Many {
            self.event(
                EventType::Warning,
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
            );
        }
        if let Some(deadline) = spec.starting_deadline_seconds
            && scheduled.as_second().saturating_add(deadline) < now.as_second()
        {
            self.event(
                EventType::Warning,
                "MissSchedule",
                &format!(
                    "Missed scheduled time to start a job: {}",
                    rfc1123z(scheduled)
                ),
            );
            return Ok(next_wait(status));
        }
        let name = job_name(self.object.name(), scheduled);
        let already = active(status)
            .iter()
            .any(|r| r.name.as_deref() == Some(name.as_str()))
            || status.last_schedule_time.as_ref().map(|t| t.0) == Some(scheduled);
        if already {
            return Ok(next_wait(status));
        }
        let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
        if policy == "Forbid" && !active(status).is_empty() {
            self.event(
                EventType::Normal,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid",
            );
            return Ok(next_wait(status));
        }
        if policy == "Replace" {
            for reference in active(status).to_vec() {
                let job_name = reference.name.as_deref().unwrap_or_default();
                if store.get(Kind::Job, namespace, job_name).is_none() {
                    let error = StoreError::NotFound {
                        kind: Kind::Job,
                        name: job_name.to_string(),
                    };
                    self.event(
                        EventType::Warning,
                        "FailedGet",
                        &format!("Get job: {error}"),
                    );
                    return Err(error.into());
                }
                let uid = reference.uid.as_deref().unwrap_or_default();
                if !self.delete_job(namespace, job_name, uid, status) {
                    return Err(ControllerError::Invalid(format!(
                        "could not replace job {namespace}/{job_name}"
                    )));
                }
            }
        }

        let job = job_from_template(self.cron, self.object, scheduled)?;
        let stored = match self.controller.create_job(job) {
            Ok(stored) => {
                self.event(
                    EventType::Normal,
                    "SuccessfulCreate",
                    &format!("Created job {}", stored.name()),
                );
                stored
            }
            Err(StoreError::AlreadyExists { .. }) => {
                // Made by an earlier sync whose status write was lost, or by
                // someone else (then theirs to track).
                let Some(existing) = store.get(Kind::Job, namespace, &name) else {
                    return Err(ControllerError::Invalid(format!(
                        "job {name} exists and does not"
                    )));
                };
                let ours = controller_of(existing.meta())
                    .is_some_and(|r| Some(r.uid.as_str()) == self.cron.metadata.uid.as_deref());
                let uid = existing.meta().uid.clone().unwrap_or_default();
                // Upstream leaves the key here without a requeue; waking at
                // the next start time is what it means to do.
                if !ours || in_active(status, &uid) {
                    return Ok(next_wait(status));
                }
                existing
            }
            Err(error @ StoreError::NamespaceTerminating { .. }) => return Err(error.into()),
            Err(error) => {
                self.event(
                    EventType::Warning,
                    "FailedCreate",
                    &format!("Error creating job: {error}"),
                );
                return Err(error.into());
            }
        };
        status
            .active
            .get_or_insert_with(Vec::new)
            .push(object_reference(&stored, None));
        status.last_schedule_time = Some(Time(scheduled));
        Ok(next_wait(status))
    }

    /// upstream's `cleanupFinishedJobs`: finished Jobs past the history
    /// limits go, the oldest (by start time) first.
    fn cleanup_finished(&self, jobs: &[Job], status: &mut CronJobStatus) {
        let spec = self.cron.spec.clone().unwrap_or_default();
        let limits = [
            ("Complete", spec.successful_jobs_history_limit),
            ("Failed", spec.failed_jobs_history_limit),
        ];
        for (kind, limit) in limits {
            let Some(limit) = limit else { continue };
            let mut finished: Vec<&Job> = jobs
                .iter()
                .filter(|j| finished_type(j) == Some(kind))
                .collect();
            let excess = finished
                .len()
                .saturating_sub(usize::try_from(limit).unwrap_or(0));
            if excess == 0 {
                continue;
            }
            finished.sort_by(|a, b| by_start_time(a, b));
            for job in &finished[..excess] {
                let name = job.metadata.name.as_deref().unwrap_or_default();
                let uid = job.metadata.uid.as_deref().unwrap_or_default();
                self.delete_job(self.object.namespace(), name, uid, status);
            }
        }
    }

    /// upstream's `deleteJob`: the Job (its pods in the background) and
    /// its place in the active list.
    fn delete_job(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        status: &mut CronJobStatus,
    ) -> bool {
        let options = DeleteOptions {
            propagation: Some(Propagation::Background),
            ..DeleteOptions::default()
        };
        match self
            .controller
            .store
            .delete(Kind::Job, namespace, name, &options)
        {
            Ok(_) => {
                remove_active(status, uid);
                self.event(
                    EventType::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted job {name}"),
                );
                true
            }
            Err(StoreError::NotFound { .. }) => {
                remove_active(status, uid);
                true
            }
            Err(error) => {
                self.event(
                    EventType::Warning,
                    "FailedDelete",
                    &format!("Deleted job: {error}"),
                );
                false
            }
        }
    }
}

/// upstream's `getJobName`: the name is the lock that keeps one start
/// time from making two Jobs.
pub fn job_name(cron_job: &str, scheduled: Timestamp) -> String {
    format!("{cron_job}-{}", scheduled.as_second().div_euclid(60))
}

/// upstream's `getJobFromTemplate2`: the template's labels and
/// annotations, the scheduled-time annotation, a controller reference.
pub fn job_from_template(
    cron: &CronJob,
    object: &Object,
    scheduled: Timestamp,
) -> Result<Job, ControllerError> {
    let spec = cron.spec.clone().unwrap_or_default();
    let template = spec.job_template;
    let template_meta = template.metadata.unwrap_or_default();
    // Unset is UTC here (Go's time.LoadLocation("")), not the local zone.
    let zone = match spec.time_zone.as_deref() {
        Some(name) => load_zone(name).map_err(ControllerError::Invalid)?,
        None => TimeZone::UTC,
    };
    let labels = template_meta.labels.filter(|l| !l.is_empty());
    let mut annotations = template_meta.annotations.unwrap_or_default();
    annotations.insert(SCHEDULED_TIMESTAMP.to_string(), rfc3339(scheduled, &zone));
    Ok(Job {
        metadata: ObjectMeta {
            name: Some(job_name(object.name(), scheduled)),
            namespace: Some(object.namespace().to_string()),
            labels,
            annotations: Some(annotations),
            owner_references: Some(vec![controller_ref(object)]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    })
}

/// `Complete` or `Failed` when the Job has finished.
fn finished_type(job: &Job) -> Option<&'static str> {
    let conditions = job.status.as_ref()?.conditions.as_ref()?;
    ["Complete", "Failed"].into_iter().find(|kind| {
        conditions
            .iter()
            .any(|c| c.type_ == *kind && c.status == "True")
    })
}

/// upstream's `byJobStartTime`: started ones first, oldest first, then by name.
fn by_start_time(a: &Job, b: &Job) -> std::cmp::Ordering {
    let start = |j: &Job| {
        j.status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .map(|t| t.0)
    };
    match (start(a), start(b)) {
        (Some(x), Some(y)) if x != y => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        _ => a.metadata.name.cmp(&b.metadata.name),
    }
}

fn active(status: &CronJobStatus) -> &[k8s_openapi::api::core::v1::ObjectReference] {
    status.active.as_deref().unwrap_or_default()
}

fn in_active(status: &CronJobStatus, uid: &str) -> bool {
    active(status).iter().any(|r| r.uid.as_deref() == Some(uid))
}

fn remove_active(status: &mut CronJobStatus, uid: &str) {
    if let Some(list) = status.active.as_mut() {
        list.retain(|r| r.uid.as_deref() != Some(uid));
        if list.is_empty() {
            status.active = None;
        }
    }
}

/// Go's `time.RFC3339` in `zone` ("Z" for a zero offset).
fn rfc3339(at: Timestamp, zone: &TimeZone) -> String {
    let zoned = at.to_zoned(zone.clone());
    let offset = if zoned.offset().seconds() == 0 {
        "Z".to_string()
    } else {
        zoned.strftime("%:z").to_string()
    };
    format!("{}{offset}", zoned.strftime("%Y-%m-%dT%H:%M:%S"))
}

/// Go's `time.RFC1123Z` in UTC, as upstream's MissSchedule event prints it.
fn rfc1123z(at: Timestamp) -> String {
    at.to_zoned(TimeZone::UTC)
        .strftime("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

/// Go's `%q`.
fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn cron_job(spec: serde_json::Value) -> (CronJob, Object) {
        let value = json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "hello", "namespace": "default", "uid": "cj-uid"},
            "spec": spec,
        });
        let object = Object::from_json(Kind::CronJob, value.clone()).unwrap();
        (serde_json::from_value(value).unwrap(), object)
    }

    #[test]
    fn jobs_are_named_after_their_minute() {
        let at: Timestamp = "2024-01-01T10:05:00Z".parse().unwrap();
        assert_eq!(job_name("hello", at), "hello-28401725");
        // Seconds within the minute do not change the name.
        let later: Timestamp = "2024-01-01T10:05:59Z".parse().unwrap();
        assert_eq!(job_name("hello", later), "hello-28401725");
    }

    #[test]
    fn a_job_from_the_template_carries_its_labels_time_and_owner() {
        let (cron, object) = cron_job(json!({
            "schedule": "*/5 * * * *",
            "timeZone": "Asia/Tokyo",
            "jobTemplate": {
                "metadata": {"labels": {"app": "hello"}, "annotations": {"note": "x"}},
                "spec": {"template": {"spec": {
                    "containers": [{"name": "hello", "image": "busybox"}],
                    "restartPolicy": "OnFailure"
                }}}
            }
        }));
        let at: Timestamp = "2024-01-01T10:05:00Z".parse().unwrap();
        let job = job_from_template(&cron, &object, at).unwrap();
        assert_eq!(job.metadata.name.as_deref(), Some("hello-28401725"));
        assert_eq!(job.metadata.labels.unwrap()["app"], "hello");
        let annotations = job.metadata.annotations.unwrap();
        assert_eq!(annotations["note"], "x");
        assert_eq!(
            annotations[SCHEDULED_TIMESTAMP],
            "2024-01-01T19:05:00+09:00"
        );
        let owner = &job.metadata.owner_references.unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
            ("CronJob", "hello", "cj-uid")
        );
        assert_eq!(owner.controller, Some(true));

        // Without a zone the annotation is UTC.
        let (cron, object) = cron_job(json!({"schedule": "@hourly", "jobTemplate": {}}));
        let job = job_from_template(&cron, &object, at).unwrap();
        assert_eq!(
            job.metadata.annotations.unwrap()[SCHEDULED_TIMESTAMP],
            "2024-01-01T10:05:00Z"
        );
        assert_eq!(job.metadata.labels, None);
    }

    #[test]
    fn zones_and_times_print_as_go_does() {
        assert_eq!(
            load_zone("Mars/Olympus").err().as_deref(),
            Some("unknown time zone Mars/Olympus")
        );
        assert!(load_zone("Europe/Berlin").is_ok());
        let at: Timestamp = "2024-01-01T10:05:00Z".parse().unwrap();
        assert_eq!(rfc1123z(at), "Mon, 01 Jan 2024 10:05:00 +0000");
        assert_eq!(go_quote("a \"b\""), "\"a \\\"b\\\"\"");
    }
}
