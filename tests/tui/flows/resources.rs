//! Every resource the cluster serves opens from `:`, as in k9s: by short
//! name, kind or `plural.group`, with the server's own columns; a
//! CustomResourceDefinition opens its objects, and kinds without a view of
//! their own describe as kubectl's generic describer prints them.

use crossterm::event::KeyCode;

use crate::harness::{Backend, Console, rows_starting};

const STATEFUL_SET: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: echo, image: podium/echo:1.0}]
"#;

const DEFINITION: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: crontabs.stable.example.com}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              cronSpec: {type: string}
              image: {type: string}
    additionalPrinterColumns:
    - {name: Spec, type: string, jsonPath: .spec.cronSpec}
"#;

const CRON_TAB: &str = r#"
apiVersion: stable.example.com/v1
kind: CronTab
metadata: {name: my-new-cron-object}
spec: {cronSpec: "* * * * */5", image: my-awesome-cron-image}
"#;

/// Applies `yaml` from a file with the console's `a`, as a user would,
/// and waits for kubectl's line about `object`.
pub(super) async fn apply(console: &mut Console, dir: &std::path::Path, object: &str, yaml: &str) {
    let path = dir.join(format!("{}.yaml", console_safe(object)));
    std::fs::write(&path, yaml).expect("manifest written");
    console.key(KeyCode::Char('a'));
    console.answer(&path.display().to_string());
    let line = format!("{object} created");
    console.wait_until(&line, |s| s.contains(&line)).await;
}

fn console_safe(name: &str) -> String {
    name.replace(['/', '.'], "-")
}

pub(super) async fn every_served_resource_opens_from_the_command_line(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    let dir = tempfile::tempdir().expect("temp dir");
    apply(
        &mut console,
        dir.path(),
        "statefulset.apps/web",
        STATEFUL_SET,
    )
    .await;

    // The server's columns for a kind podium has no view of its own for.
    console.command_showing("sts", "web").await;
    let screen = console
        .wait_until("web ready 2/2", |s| {
            s.lines().any(|l| l.contains("web") && l.contains("2/2"))
        })
        .await;
    assert!(screen.contains("statefulsets(default)[1]"), "{screen}");
    let header = screen
        .lines()
        .find(|line| line.contains("NAME"))
        .unwrap_or_default();
    assert!(
        header.contains("READY") && header.contains("AGE"),
        "{header}"
    );

    // Enter on a StatefulSet: its pods, by ordinal.
    console.key(KeyCode::Enter);
    let screen = console
        .wait_until("web's two pods", |s| rows_starting(s, "web-") == 2)
        .await;
    assert!(
        screen.contains("pods(default)[2] <statefulset default/web>"),
        "{screen}"
    );
    console.key(KeyCode::Esc);

    // Its kind in any case, and plural.group, name it too.
    for command in ["StatefulSet", "statefulsets.apps"] {
        console.command(command);
        let screen = console.screen();
        assert!(
            screen.contains("statefulsets(default)"),
            ":{command}\n{screen}"
        );
    }
    console.command_showing("sa", "default").await;

    // :api lists every resource with its names.
    console.command("api");
    let screen = console.screen();
    for expected in [
        "SHORTNAMES",
        "statefulsets",
        "sts",
        "apps/v1",
        "serviceaccounts",
    ] {
        assert!(screen.contains(expected), "{expected:?} missing:\n{screen}");
    }
    console.key(KeyCode::Esc);

    // A definition installed now: :crd lists it, Enter opens its objects
    // with its printer columns, `:ct` names the kind.
    apply(
        &mut console,
        dir.path(),
        "customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com",
        DEFINITION,
    )
    .await;
    apply(
        &mut console,
        dir.path(),
        "crontab.stable.example.com/my-new-cron-object",
        CRON_TAB,
    )
    .await;
    console
        .command_showing("crd", "crontabs.stable.example.com")
        .await;
    console.key(KeyCode::Enter);
    let screen = console
        .wait_until("the CronTab listed", |s| {
            rows_starting(s, "my-new-cron-object") == 1
        })
        .await;
    assert!(screen.contains("crontabs(default)[1]"), "{screen}");
    assert!(screen.contains("* * * * */5"), "{screen}");
    console.command_showing("ct", "my-new-cron-object").await;

    // Describe: kubectl's generic describer.
    console.key(KeyCode::Char('d'));
    let screen = console
        .wait_until("the CronTab described", |s| s.contains("Cron Spec:"))
        .await;
    for expected in [
        "Name:         my-new-cron-object",
        "Namespace:    default",
        "API Version:  stable.example.com/v1",
        "Kind:         CronTab",
        "Metadata:",
        "  Creation Timestamp:",
        "Spec:",
        "  Cron Spec:  * * * * */5",
        "  Image:      my-awesome-cron-image",
    ] {
        assert!(screen.contains(expected), "{expected:?} missing:\n{screen}");
    }
}
