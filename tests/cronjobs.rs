//! CronJobs as a user meets them. On an in-memory store with every
//! controller and paused tokio time (a pretend kubelet finishes pods as
//! their `test.podium.dev/*` annotations say): Jobs appear at each start
//! time named after their minute, Forbid skips, Replace replaces, history
//! limits prune, suspend stops and resume catches up on the latest missed
//! time, bad schedules and zones are reported. With the real kubectl over
//! `podium serve --runtime sim`: `kubectl create cronjob`, its table, and
//! `kubectl create job --from=cronjob/…`.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::time::Duration;

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateTerminated, ContainerStatus, Event, Namespace, Pod, PodStatus,
};
use podium::api::{Kind, Object};
use podium::controllers::cronjob::{SCHEDULED_TIMESTAMP, job_name};
use podium::store::{DeleteOptions, EventType, ListFilter, Store, UpdateScope, WatchItem};
use serde_json::json;
use tokio::time::sleep;

const NS: &str = "default";
const RUN_SECONDS: &str = "test.podium.dev/run-seconds";
const EXIT_CODE: &str = "test.podium.dev/exit-code";

/// A store with the default namespace, every controller, and a pretend
/// kubelet: a pod with `run-seconds` ends then with `exit-code` (0 by
/// default); one without runs until deleted.
fn cluster() -> Store {
    let store = Store::in_memory();
    let namespace: Namespace = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}
    }))
    .unwrap();
    store.create(namespace).unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    let _controllers = podium::controllers::start(store.clone(), cancel.clone());
    std::mem::forget(cancel);
    let mut watch = store.watch(Some(Kind::Pod), None).unwrap();
    let kubelet = store.clone();
    tokio::spawn(async move {
        while let Some(item) = watch.next().await {
            let WatchItem::Event(event) = item else {
                continue;
            };
            let Object::Pod(pod) = &*event.object else {
                continue;
            };
            let name = pod.metadata.name.clone().unwrap();
            if pod.metadata.deletion_timestamp.is_some() {
                let now = DeleteOptions {
                    grace_period_seconds: Some(0),
                    ..DeleteOptions::default()
                };
                let _ = kubelet.delete(Kind::Pod, NS, &name, &now);
                continue;
            }
            if event.event_type != EventType::Added {
                continue;
            }
            let annotations = pod.metadata.annotations.clone().unwrap_or_default();
            let Some(seconds) = annotations.get(RUN_SECONDS) else {
                continue;
            };
            let run = Duration::from_secs(seconds.parse().unwrap());
            let code: i32 = annotations.get(EXIT_CODE).map_or(0, |c| c.parse().unwrap());
            let store = kubelet.clone();
            tokio::spawn(async move {
                sleep(run).await;
                let _ = store.mutate::<Pod>(NS, &name, UpdateScope::Status, |p| {
                    p.status = Some(PodStatus {
                        phase: Some(if code == 0 { "Succeeded" } else { "Failed" }.into()),
                        container_statuses: Some(vec![ContainerStatus {
                            name: "work".into(),
                            state: Some(ContainerState {
                                terminated: Some(ContainerStateTerminated {
                                    exit_code: code,
                                    finished_at: Some(podium::clock::now_time()),
                                    ..Default::default()
                                }),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    });
                    true
                });
            });
        }
    });
    store
}

/// Creates a CronJob as the API server would (with upstream's defaults).
/// `spec` is merged over a schedule-every-minute CronJob in UTC whose pods
/// run as `pod_annotations` say.
fn create_cron_job(
    store: &Store,
    name: &str,
    spec: serde_json::Value,
    pod_annotations: serde_json::Value,
) {
    let mut value = json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "schedule": "*/1 * * * *",
            "timeZone": "Etc/UTC",
            "jobTemplate": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "backoffLimit": 0,
                    "template": {
                        "metadata": {"annotations": pod_annotations},
                        "spec": {
                            "containers": [{"name": "work", "image": "busybox"}],
                            "restartPolicy": "Never"
                        }
                    }
                }
            }
        }
    });
    for (key, field) in spec.as_object().unwrap() {
        value["spec"][key] = field.clone();
    }
    let mut object = Object::from_json(Kind::CronJob, value).unwrap();
    podium::api::defaults::apply_defaults(&mut object);
    store.create(object).unwrap();
}

fn cron_job(store: &Store, name: &str) -> CronJob {
    serde_json::from_value(store.get(Kind::CronJob, NS, name).unwrap().to_json()).unwrap()
}

/// The Jobs `cron_job` controls, by name.
fn jobs_of(store: &Store, cron_job: &str) -> Vec<Job> {
    let mut jobs: Vec<Job> = store
        .list(Kind::Job, Some(NS), &ListFilter::default())
        .items
        .iter()
        .map(|o| serde_json::from_value::<Job>(o.to_json()).unwrap())
        .filter(|j| {
            j.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|r| r.kind == "CronJob" && r.name == cron_job)
        })
        .collect();
    jobs.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    jobs
}

fn names(jobs: &[Job]) -> Vec<String> {
    jobs.iter()
        .map(|j| j.metadata.name.clone().unwrap())
        .collect()
}

fn finished(job: &Job) -> Option<String> {
    job.status
        .as_ref()?
        .conditions
        .iter()
        .flatten()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        .map(|c| c.type_.clone())
}

fn events(store: &Store, name: &str, reason: &str) -> Vec<String> {
    store
        .list_as::<Event>(Some(NS), &ListFilter::default())
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .filter(|e| e.reason.as_deref() == Some(reason))
        .filter_map(|e| e.message)
        .collect()
}

/// The start of the minute after now (as `*/1 * * * *` has it).
fn next_minute() -> jiff::Timestamp {
    let now = podium::clock::now().as_second();
    jiff::Timestamp::from_second((now / 60 + 1) * 60).unwrap()
}

/// Sleeps until `seconds` past `minute`.
async fn sleep_until(minute: jiff::Timestamp, seconds: f64) {
    let at = minute.as_second() as f64 + seconds;
    let now = podium::clock::now().as_nanosecond() as f64 / 1e9;
    if at > now {
        sleep(Duration::from_secs_f64(at - now)).await;
    }
}

fn minutes_after(minute: jiff::Timestamp, n: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(minute.as_second() + 60 * n).unwrap()
}

#[tokio::test(start_paused = true)]
async fn jobs_appear_at_each_start_time_named_after_their_minute() {
    let store = cluster();
    create_cron_job(&store, "hello", json!({}), json!({RUN_SECONDS: "10"}));
    let first = next_minute();
    sleep_until(first, -1.0).await;
    assert!(
        jobs_of(&store, "hello").is_empty(),
        "nothing before its time"
    );

    sleep_until(first, 1.0).await;
    let jobs = jobs_of(&store, "hello");
    assert_eq!(names(&jobs), [job_name("hello", first)]);
    let job = &jobs[0];
    assert_eq!(
        job.metadata.annotations.as_ref().unwrap()[SCHEDULED_TIMESTAMP],
        first.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    assert_eq!(job.metadata.labels.as_ref().unwrap()["app"], "hello");
    let owner = &job.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.controller),
        ("CronJob", Some(true))
    );
    // The selector and pod labels the API server gives every Job.
    let spec = job.spec.as_ref().unwrap();
    let uid = job.metadata.uid.clone().unwrap();
    assert_eq!(
        spec.selector
            .as_ref()
            .unwrap()
            .match_labels
            .as_ref()
            .unwrap()["batch.kubernetes.io/controller-uid"],
        uid
    );
    let pod_labels = spec
        .template
        .metadata
        .as_ref()
        .unwrap()
        .labels
        .clone()
        .unwrap();
    assert_eq!(
        pod_labels["batch.kubernetes.io/job-name"],
        job_name("hello", first)
    );
    let status = cron_job(&store, "hello").status.unwrap();
    assert_eq!(status.last_schedule_time.unwrap().0, first);
    assert_eq!(
        status.active.unwrap()[0].name.as_deref(),
        Some(job_name("hello", first).as_str())
    );
    assert_eq!(
        events(&store, "hello", "SuccessfulCreate"),
        [format!("Created job {}", job_name("hello", first))]
    );

    // Its pod ends after 10 s: the Job completes and leaves the active list.
    sleep_until(first, 20.0).await;
    let status = cron_job(&store, "hello").status.unwrap();
    assert_eq!(status.active, None);
    assert!(status.last_successful_time.is_some());
    assert_eq!(
        events(&store, "hello", "SawCompletedJob"),
        [format!(
            "Saw completed job: {}, status: Complete",
            job_name("hello", first)
        )]
    );

    sleep_until(minutes_after(first, 2), 1.0).await;
    assert_eq!(
        names(&jobs_of(&store, "hello")),
        [
            job_name("hello", first),
            job_name("hello", minutes_after(first, 1)),
            job_name("hello", minutes_after(first, 2)),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn forbid_skips_while_a_job_runs_replace_replaces_it_and_allow_runs_both() {
    let store = cluster();
    // No run-seconds: the pods run until deleted.
    for (name, policy) in [
        ("allow", "Allow"),
        ("forbid", "Forbid"),
        ("replace", "Replace"),
    ] {
        create_cron_job(
            &store,
            name,
            json!({"concurrencyPolicy": policy}),
            json!({}),
        );
    }
    let first = next_minute();
    let second = minutes_after(first, 1);
    sleep_until(second, 1.0).await;

    assert_eq!(
        names(&jobs_of(&store, "allow")),
        [job_name("allow", first), job_name("allow", second)]
    );
    assert_eq!(
        cron_job(&store, "allow")
            .status
            .unwrap()
            .active
            .unwrap()
            .len(),
        2
    );

    assert_eq!(
        names(&jobs_of(&store, "forbid")),
        [job_name("forbid", first)]
    );
    assert_eq!(
        events(&store, "forbid", "JobAlreadyActive"),
        ["Not starting job because prior execution is running and concurrency policy is Forbid"]
    );

    assert_eq!(
        names(&jobs_of(&store, "replace")),
        [job_name("replace", second)]
    );
    assert_eq!(
        events(&store, "replace", "SuccessfulDelete"),
        [format!("Deleted job {}", job_name("replace", first))]
    );
    let active = cron_job(&store, "replace").status.unwrap().active.unwrap();
    assert_eq!(
        active
            .iter()
            .map(|r| r.name.clone().unwrap())
            .collect::<Vec<_>>(),
        [job_name("replace", second)]
    );
    // The replaced Job's pod goes with it.
    sleep(Duration::from_secs(5)).await;
    let pods = store.list_as::<Pod>(Some(NS), &ListFilter::default());
    let replaced = job_name("replace", first);
    assert!(
        !pods
            .iter()
            .any(|p| p.metadata.name.as_deref().unwrap().starts_with(&replaced)),
        "the replaced Job's pods are gone"
    );
}

#[tokio::test(start_paused = true)]
async fn history_limits_keep_the_newest_finished_jobs() {
    let store = cluster();
    create_cron_job(
        &store,
        "works",
        json!({"successfulJobsHistoryLimit": 2}),
        json!({RUN_SECONDS: "5"}),
    );
    // The default failedJobsHistoryLimit is 1.
    create_cron_job(
        &store,
        "fails",
        json!({}),
        json!({RUN_SECONDS: "5", EXIT_CODE: "1"}),
    );
    let first = next_minute();
    sleep_until(minutes_after(first, 4), 30.0).await;

    let works = jobs_of(&store, "works");
    assert_eq!(
        names(&works),
        [
            job_name("works", minutes_after(first, 3)),
            job_name("works", minutes_after(first, 4)),
        ]
    );
    assert!(
        works
            .iter()
            .all(|j| finished(j).as_deref() == Some("Complete"))
    );
    assert_eq!(
        events(&store, "works", "SuccessfulDelete"),
        [
            format!("Deleted job {}", job_name("works", first)),
            format!("Deleted job {}", job_name("works", minutes_after(first, 1))),
            format!("Deleted job {}", job_name("works", minutes_after(first, 2))),
        ]
    );

    let fails = jobs_of(&store, "fails");
    assert_eq!(names(&fails), [job_name("fails", minutes_after(first, 4))]);
    assert_eq!(finished(&fails[0]).as_deref(), Some("Failed"));
    // Only successes count as lastSuccessfulTime.
    assert!(
        cron_job(&store, "fails")
            .status
            .unwrap()
            .last_successful_time
            .is_none()
    );
}

#[tokio::test(start_paused = true)]
async fn suspend_stops_new_jobs_and_resuming_starts_the_latest_missed_one() {
    let store = cluster();
    create_cron_job(&store, "nightly", json!({}), json!({RUN_SECONDS: "5"}));
    let first = next_minute();
    sleep_until(first, 10.0).await;
    assert_eq!(
        names(&jobs_of(&store, "nightly")),
        [job_name("nightly", first)]
    );

    let suspend = |on: bool| {
        let mut value = store.get(Kind::CronJob, NS, "nightly").unwrap().to_json();
        value["spec"]["suspend"] = json!(on);
        let object = Object::from_json(Kind::CronJob, value).unwrap();
        store.update(object, UpdateScope::Main).unwrap();
    };
    suspend(true);
    sleep_until(minutes_after(first, 3), 30.0).await;
    assert_eq!(
        names(&jobs_of(&store, "nightly")),
        [job_name("nightly", first)],
        "no Jobs while suspended"
    );

    // Three start times went by: only the latest runs, at once.
    suspend(false);
    sleep(Duration::from_secs(1)).await;
    assert_eq!(
        names(&jobs_of(&store, "nightly")),
        [
            job_name("nightly", first),
            job_name("nightly", minutes_after(first, 3)),
        ]
    );
    assert!(events(&store, "nightly", "TooManyMissedTimes").is_empty());
}

#[tokio::test(start_paused = true)]
async fn long_missed_schedules_start_the_latest_and_say_too_many() {
    let store = cluster();
    create_cron_job(&store, "late", json!({}), json!({RUN_SECONDS: "5"}));
    let first = next_minute();
    sleep_until(first, 5.0).await;
    // As if the controller had been down for three hours since the last run.
    let long_ago = jiff::Timestamp::from_second(first.as_second() - 3 * 3600).unwrap();
    let mut value = store.get(Kind::CronJob, NS, "late").unwrap().to_json();
    value["status"] = json!({"lastScheduleTime": long_ago.to_string()});
    store
        .update(
            Object::from_json(Kind::CronJob, value).unwrap(),
            UpdateScope::Status,
        )
        .unwrap();
    sleep(Duration::from_secs(1)).await;
    assert_eq!(
        names(&jobs_of(&store, "late")),
        [job_name("late", first)],
        "one Job, for the latest start time"
    );
    assert_eq!(
        events(&store, "late", "TooManyMissedTimes"),
        [
            "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn bad_schedules_and_zones_are_reported_and_make_no_jobs() {
    let store = cluster();
    create_cron_job(
        &store,
        "minute61",
        json!({"schedule": "61 * * * *"}),
        json!({}),
    );
    create_cron_job(
        &store,
        "tz-prefix",
        json!({"schedule": "TZ=Europe/Paris 0 * * * *", "timeZone": null}),
        json!({}),
    );
    create_cron_job(
        &store,
        "mars",
        json!({"timeZone": "Mars/Olympus"}),
        json!({}),
    );
    create_cron_job(
        &store,
        "feb31",
        json!({"schedule": "59 23 31 2 *"}),
        json!({}),
    );
    sleep_until(minutes_after(next_minute(), 1), 1.0).await;
    for name in ["minute61", "tz-prefix", "mars", "feb31"] {
        assert!(jobs_of(&store, name).is_empty(), "{name} made no Jobs");
    }
    assert_eq!(
        events(&store, "minute61", "UnparseableSchedule"),
        ["unparseable schedule: \"61 * * * *\" : end of range (61) above maximum (59): 61"]
    );
    assert_eq!(
        events(&store, "tz-prefix", "UnparseableSchedule"),
        [
            "unparseable schedule: \"TZ=Europe/Paris 0 * * * *\" : cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
        ]
    );
    assert_eq!(
        events(&store, "mars", "UnknownTimeZone"),
        ["invalid timeZone: \"Mars/Olympus\": unknown time zone Mars/Olympus"]
    );
    assert_eq!(
        events(&store, "feb31", "InvalidSchedule"),
        [
            "invalid schedule: 59 23 31 2 * : time difference between two schedules is less than 1 second"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_time_zone_moves_the_start_time() {
    let store = cluster();
    // 00:00 in Tokyo (UTC+9) is 15:00 UTC; in UTC it is midnight.
    create_cron_job(
        &store,
        "tokyo",
        json!({"schedule": "0 0 * * *", "timeZone": "Asia/Tokyo"}),
        json!({RUN_SECONDS: "5"}),
    );
    let now = podium::clock::now();
    let today_15 = now
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .at(15, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp();
    let start = if today_15 > now {
        today_15
    } else {
        jiff::Timestamp::from_second(today_15.as_second() + 86400).unwrap()
    };
    sleep_until(start, -1.0).await;
    assert!(jobs_of(&store, "tokyo").is_empty());
    sleep_until(start, 1.0).await;
    let jobs = jobs_of(&store, "tokyo");
    assert_eq!(names(&jobs), [job_name("tokyo", start)]);
    let stamp = &jobs[0].metadata.annotations.as_ref().unwrap()[SCHEDULED_TIMESTAMP];
    assert!(stamp.ends_with("T00:00:00+09:00"), "{stamp}");
}

// With the real kubectl.

#[test]
fn kubectl_creates_lists_and_instantiates_a_cron_job() {
    let podium = common::Podium::start();
    podium.ok(&[
        "create",
        "cronjob",
        "hello",
        "--image=busybox",
        "--schedule=*/1 * * * *",
        "--",
        "echo",
        "hi",
    ]);
    let table = podium.ok(&["get", "cronjob"]);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"
        ]
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("hello") && row.contains("*/1 * * * *") && row.contains("<none>"),
        "{table}"
    );
    assert!(row.contains("False"), "{table}");
    // upstream's defaults.
    assert_eq!(
        podium.ok(&[
            "get",
            "cronjob",
            "hello",
            "-o",
            "jsonpath={.spec.concurrencyPolicy} {.spec.successfulJobsHistoryLimit} {.spec.failedJobsHistoryLimit}"
        ]),
        "Allow 3 1"
    );

    // Pods of the simulated runtime finish as these annotations say.
    podium.ok(&[
        "patch",
        "cronjob",
        "hello",
        "--type=merge",
        "-p",
        r#"{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"annotations":{"sim.podium.dev/crash-after-seconds":"0.3","sim.podium.dev/exit-code":"0"}}}}}}}"#,
    ]);
    podium.ok(&["create", "job", "manual", "--from=cronjob/hello"]);
    podium.ok(&[
        "wait",
        "--for=condition=complete",
        "job/manual",
        "--timeout=60s",
    ]);
    assert_eq!(
        podium.ok(&[
            "get",
            "job",
            "manual",
            "-o",
            "jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate}"
        ]),
        "CronJob/hello manual"
    );
    // The controller counts a finished Job of its own as a success.
    podium.wait_for(
        &[
            "get",
            "cronjob",
            "hello",
            "-o",
            "jsonpath={.status.lastSuccessfulTime}",
        ],
        Duration::from_secs(30),
        |out| !out.trim().is_empty(),
    );
    let described = podium.ok(&["describe", "cronjob", "hello"]);
    assert!(
        described.contains("Schedule:") && described.contains("*/1 * * * *"),
        "{described}"
    );

    // Schedules and zones upstream's validation refuses are refused here.
    let err = podium.fails(&[
        "create",
        "cronjob",
        "bad",
        "--image=busybox",
        "--schedule=61 * * * *",
    ]);
    assert!(
        err.contains(
            "spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61"
        ),
        "{err}"
    );
    let err = podium.fails(&[
        "create",
        "cronjob",
        "tz",
        "--image=busybox",
        "--schedule=TZ=UTC 0 * * * *",
    ]);
    assert!(
        err.contains("cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
        "{err}"
    );
    let zoned = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: mars}\nspec:\n  schedule: \"0 * * * *\"\n  timeZone: Mars/Olympus\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: busybox}]\n";
    let out = podium.kubectl_stdin(&["apply", "-f", "-"], zoned);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "spec.timeZone: Invalid value: \"Mars/Olympus\": unknown time zone Mars/Olympus"
        ),
        "{err}"
    );
}
