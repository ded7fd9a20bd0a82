//! The newer workloads take the keys Deployments have, as in k9s: `s`
//! scales a StatefulSet, `i` sets its image, `u` rolls it back to a
//! ControllerRevision and `r` restarts it; `t` runs a CronJob now, Enter
//! opens its Jobs and ctrl-s suspends and resumes it.

use crossterm::event::KeyCode;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::CronJob;

use podium::api::Kind;

use super::resources::apply;
use crate::harness::{Backend, Console, rows_starting};

const STATEFUL_SET: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: echo, image: podium/echo:1.0}]
"#;

const CRON_JOB: &str = r#"
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    metadata: {labels: {app: backup}}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: run, image: podium/echo:1.0}]
"#;

/// An object from the cluster's store, typed.
fn stored<T: serde::de::DeserializeOwned>(console: &Console, kind: Kind, name: &str) -> T {
    let object = console
        .cluster
        .store
        .get(kind, "default", name)
        .unwrap_or_else(|| panic!("{name} is stored"));
    serde_json::from_value(object.to_json()).expect("decodes")
}

fn stateful_set(console: &Console) -> StatefulSet {
    stored(console, Kind::StatefulSet, "db")
}

fn image(set: &StatefulSet) -> String {
    set.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

pub(super) async fn statefulsets_and_cronjobs_take_the_workload_keys(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    let dir = tempfile::tempdir().expect("temp dir");
    apply(
        &mut console,
        dir.path(),
        "statefulset.apps/db",
        STATEFUL_SET,
    )
    .await;
    console.command_showing("sts", "db").await;

    console.key(KeyCode::Char('s'));
    assert!(
        console
            .screen()
            .contains("scale statefulset default/db to replicas: 1"),
        "{}",
        console.screen()
    );
    console.answer("3");
    console
        .wait_until("the scale flash", |s| {
            s.contains("statefulset.apps/db scaled to 3")
        })
        .await;
    console
        .wait_until("three ready", |s| {
            s.lines().any(|l| l.contains("db") && l.contains("3/3"))
        })
        .await;

    console.key(KeyCode::Char('i'));
    console.answer("podium/echo:2.0");
    console
        .wait_until("the image flash", |s| {
            s.contains("statefulset.apps/db image updated")
        })
        .await;
    // `u` offers the revision before the new one, as `kubectl rollout undo`.
    let mut asked = String::new();
    for _ in 0..50 {
        console.key(KeyCode::Char('u'));
        asked = console.screen();
        if asked.contains("roll statefulset default/db back to revision") {
            break;
        }
        // Not yet: the new revision is still on its way to the cache.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(asked.contains("1 podium/echo:1.0"), "{asked}");
    console.key(KeyCode::Enter);
    console
        .wait_until("the rollback flash", |s| {
            s.contains("statefulset.apps/db rolled back (to revision 1)")
        })
        .await;
    assert_eq!(image(&stateful_set(&console)), "podium/echo:1.0");

    console.key(KeyCode::Char('r'));
    console
        .wait_until("the restart flash", |s| {
            s.contains("statefulset.apps/db restarted")
        })
        .await;
    let restarted = stateful_set(&console);
    let annotations = restarted
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.annotations.clone())
        .unwrap_or_default();
    assert!(
        annotations.contains_key("kubectl.kubernetes.io/restartedAt"),
        "{annotations:?}"
    );

    // A CronJob: run it now, see its Job, suspend and resume it.
    apply(&mut console, dir.path(), "cronjob.batch/backup", CRON_JOB).await;
    console.command_showing("cj", "backup").await;
    console.key(KeyCode::Char('t'));
    let screen = console
        .wait_until("the trigger flash", |s| {
            s.contains("created (from cronjob.batch/backup)")
        })
        .await;
    assert!(screen.contains("job.batch/backup-manual-"), "{screen}");
    console.key(KeyCode::Enter);
    let screen = console
        .wait_until("the manual job listed", |s| {
            rows_starting(s, "backup-manual-") == 1
        })
        .await;
    assert!(
        screen.contains("jobs(default)[1] <cronjob default/backup>"),
        "{screen}"
    );
    console.key(KeyCode::Esc);

    console.ctrl('s');
    console
        .wait_until("the suspend flash", |s| {
            s.contains("cronjob.batch/backup suspended")
        })
        .await;
    let suspended = |console: &Console| {
        stored::<CronJob>(console, Kind::CronJob, "backup")
            .spec
            .and_then(|s| s.suspend)
    };
    assert_eq!(suspended(&console), Some(true));
    console
        .wait_until("the cache sees it suspended", |s| {
            s.lines()
                .any(|l| l.contains("backup") && l.contains("True"))
        })
        .await;
    console.command("suspend");
    console
        .wait_until("the resume flash", |s| {
            s.contains("cronjob.batch/backup resumed")
        })
        .await;
    assert_eq!(suspended(&console), Some(false));
}
