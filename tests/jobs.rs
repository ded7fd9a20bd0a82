//! Jobs run on podium as on a cluster, driven by the real kubectl over the
//! simulated runtime (its pods finish as the `sim.podium.dev/*`
//! annotations say): completions and parallelism, Indexed Jobs, the
//! backoff limit, suspend and resume, ttlSecondsAfterFinished, and a
//! deleted Job's pods going with it.

mod common;

use std::time::Duration;

use common::Podium;

const JOBS: &str = r#"
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 3
  parallelism: 2
  template:
    metadata:
      annotations: {sim.podium.dev/crash-after-seconds: "0.5", sim.podium.dev/exit-code: "0"}
    spec:
      containers: [{name: pi, image: busybox, command: ["sh", "-c", "echo done"]}]
      restartPolicy: Never
---
apiVersion: batch/v1
kind: Job
metadata: {name: indexed}
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  template:
    metadata:
      annotations: {sim.podium.dev/crash-after-seconds: "0.5", sim.podium.dev/exit-code: "0"}
    spec:
      containers: [{name: work, image: busybox}]
      restartPolicy: Never
---
apiVersion: batch/v1
kind: Job
metadata: {name: fails}
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations: {sim.podium.dev/crash-after-seconds: "0.2", sim.podium.dev/exit-code: "2"}
    spec:
      containers: [{name: work, image: busybox}]
      restartPolicy: Never
"#;

#[test]
fn jobs_complete_index_their_pods_and_fail_past_their_backoff_limit() {
    let podium = Podium::start();
    podium.apply(JOBS);
    podium.ok(&[
        "wait",
        "--for=condition=complete",
        "job/pi",
        "job/indexed",
        "--timeout=60s",
    ]);
    assert_eq!(
        podium.ok(&[
            "get",
            "job",
            "pi",
            "-o",
            "jsonpath={.status.succeeded}/{.status.conditions[0].type}"
        ]),
        "3/Complete"
    );
    let table = podium.ok(&["get", "job", "pi"]);
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("Complete") && l.contains("3/3")),
        "{table}"
    );
    // The selector upstream generates, and the pods it picks.
    let pods = podium.ok(&[
        "get",
        "pods",
        "-l",
        "batch.kubernetes.io/job-name=pi",
        "-o",
        "jsonpath={.items[*].status.phase}",
    ]);
    assert_eq!(pods, "Succeeded Succeeded Succeeded");
    assert_eq!(
        podium.ok(&[
            "get",
            "job",
            "indexed",
            "-o",
            "jsonpath={.status.completedIndexes}"
        ]),
        "0-2"
    );
    let indexed = podium.ok(&[
        "get",
        "pods",
        "-l",
        "batch.kubernetes.io/job-name=indexed",
        "-o",
        "jsonpath={range .items[*]}{.spec.hostname}={.spec.containers[0].env[0].value} {end}",
    ]);
    let mut seen: Vec<&str> = indexed.split_whitespace().collect();
    seen.sort();
    assert_eq!(seen, ["indexed-0=0", "indexed-1=1", "indexed-2=2"]);

    podium.ok(&[
        "wait",
        "--for=condition=failed",
        "job/fails",
        "--timeout=60s",
    ]);
    assert_eq!(
        podium.ok(&[
            "get",
            "job",
            "fails",
            "-o",
            "jsonpath={.status.conditions[0].reason}"
        ]),
        "BackoffLimitExceeded"
    );
    let events = podium.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=fails",
    ]);
    assert!(
        events.contains("Job has reached the specified backoff limit"),
        "{events}"
    );

    // Deleting a Job deletes its pods.
    podium.ok(&["delete", "job", "pi"]);
    podium.wait_for(
        &[
            "get",
            "pods",
            "-l",
            "batch.kubernetes.io/job-name=pi",
            "-o",
            "name",
        ],
        Duration::from_secs(30),
        |out| out.trim().is_empty(),
    );
}

#[test]
fn a_suspended_job_waits_and_a_finished_one_expires_after_its_ttl() {
    let podium = Podium::start();
    let job = r#"
apiVersion: batch/v1
kind: Job
metadata: {name: later}
spec:
  suspend: true
  ttlSecondsAfterFinished: 1
  template:
    metadata:
      annotations: {sim.podium.dev/crash-after-seconds: "0.3", sim.podium.dev/exit-code: "0"}
    spec:
      containers: [{name: work, image: busybox}]
      restartPolicy: Never
"#;
    podium.apply(job);
    podium.ok(&[
        "wait",
        "--for=condition=suspended",
        "job/later",
        "--timeout=30s",
    ]);
    assert_eq!(
        podium.ok(&[
            "get",
            "pods",
            "-l",
            "batch.kubernetes.io/job-name=later",
            "-o",
            "name"
        ]),
        ""
    );
    podium.ok(&[
        "patch",
        "job",
        "later",
        "--type=merge",
        "-p",
        r#"{"spec":{"suspend":false}}"#,
    ]);
    podium.ok(&[
        "wait",
        "--for=condition=complete",
        "job/later",
        "--timeout=60s",
    ]);
    // ttlSecondsAfterFinished: 1 — the Job goes.
    podium.wait_for(
        &["get", "jobs", "-o", "name"],
        Duration::from_secs(30),
        |out| out.trim().is_empty(),
    );
}

const POLICIES: &str = r#"
apiVersion: batch/v1
kind: Job
metadata: {name: fatal}
spec:
  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: work, operator: In, values: [42]}
  template:
    metadata:
      annotations: {sim.podium.dev/crash-after-seconds: "0.2", sim.podium.dev/exit-code: "42"}
    spec:
      containers: [{name: work, image: busybox}]
      restartPolicy: Never
---
apiVersion: batch/v1
kind: Job
metadata: {name: per-index}
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  backoffLimitPerIndex: 0
  template:
    metadata:
      annotations: {sim.podium.dev/crash-after-seconds: "0.2", sim.podium.dev/exit-code: "1"}
    spec:
      containers: [{name: work, image: busybox}]
      restartPolicy: Never
---
apiVersion: batch/v1
kind: Job
metadata: {name: enough}
spec:
  completions: 6
  parallelism: 2
  completionMode: Indexed
  successPolicy:
    rules: [{succeededCount: 2}]
  template:
    metadata:
      annotations: {sim.podium.dev/crash-after-seconds: "0.3", sim.podium.dev/exit-code: "0"}
    spec:
      containers: [{name: work, image: busybox}]
      restartPolicy: Never
"#;

/// podFailurePolicy fails a Job on its first matching exit code, an index
/// past its backoffLimitPerIndex is a failed index, and a successPolicy
/// ends an Indexed Job before all its completions.
#[test]
fn failure_and_success_policies_end_jobs_as_upstream() {
    let podium = Podium::start();
    podium.apply(POLICIES);
    podium.ok(&[
        "wait",
        "--for=condition=failed",
        "job/fatal",
        "--timeout=60s",
    ]);
    let condition = podium.ok(&[
        "get",
        "job",
        "fatal",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Failed\")].reason}|{.status.conditions[?(@.type==\"Failed\")].message}|{.status.failed}",
    ]);
    let parts: Vec<&str> = condition.split('|').collect();
    assert_eq!(parts[0], "PodFailurePolicy", "{condition}");
    assert!(
        parts[1].starts_with("Container work for pod default/fatal-")
            && parts[1].ends_with("failed with exit code 42 matching FailJob rule at index 0"),
        "{condition}"
    );
    assert_eq!(parts[2], "1", "no retry after a FailJob rule: {condition}");

    podium.ok(&[
        "wait",
        "--for=condition=failed",
        "job/per-index",
        "--timeout=60s",
    ]);
    assert_eq!(
        podium.ok(&[
            "get",
            "job",
            "per-index",
            "-o",
            "jsonpath={.status.failedIndexes} {.status.conditions[?(@.type==\"Failed\")].reason}",
        ]),
        "0-2 FailedIndexes"
    );

    podium.ok(&[
        "wait",
        "--for=condition=complete",
        "job/enough",
        "--timeout=60s",
    ]);
    let done = podium.ok(&[
        "get",
        "job",
        "enough",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Complete\")].reason} {.status.succeeded}",
    ]);
    let (reason, succeeded) = done.split_once(' ').expect("two fields");
    assert_eq!(reason, "SuccessPolicy", "{done}");
    let succeeded: i32 = succeeded.parse().expect("a count");
    assert!((2..6).contains(&succeeded), "ended early: {done}");
}
