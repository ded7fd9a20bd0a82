//! What podium must survive: kill -9 mid-rollout, restarts, bad input from
//! clients; and the samples a user applies first.

mod common;

use std::time::Duration;

use common::{Podium, sample_path};
use regex::Regex;

const MINUTE: Duration = Duration::from_secs(60);

const ROLLING: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 5
  minReadySeconds: 2
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: library/nginx:1.14-alpine
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  color: blue
"#;

fn pod_names(podium: &Podium) -> Vec<String> {
    podium
        .ok(&[
            "get",
            "pods",
            "-l",
            "app=web",
            "-o",
            "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}",
        ])
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn kill_9_during_a_rollout_loses_nothing_and_duplicates_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut podium = Podium::start_in(tmp.path(), &["--sim-latency", "0.2"]);
    let out = podium.kubectl_stdin(&["create", "-f", "-"], ROLLING);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    podium.ok(&["rollout", "status", "deployment/web", "--timeout=120s"]);
    podium.ok(&[
        "set",
        "image",
        "deployment/web",
        "web=library/nginx:1.18-alpine",
    ]);
    // Let the rollout get under way, then crash.
    podium.wait_for(
        &["get", "rs", "-l", "app=web", "-o", "name"],
        MINUTE,
        |out| out.lines().count() == 2,
    );
    std::thread::sleep(Duration::from_millis(1500));
    podium.kill_9();

    let podium = Podium::start_in(tmp.path(), &["--sim-latency", "0.2"]);
    podium.ok(&["rollout", "status", "deployment/web", "--timeout=180s"]);
    assert_eq!(
        podium.ok(&[
            "get",
            "configmap",
            "settings",
            "-o",
            "jsonpath={.data.color}"
        ]),
        "blue"
    );
    let image = podium.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    assert_eq!(image, "library/nginx:1.18-alpine");
    // Settled: exactly five pods, all of the new template, and two ReplicaSets.
    let pods = podium.wait_for(
        &["get", "pods", "-l", "app=web", "-o", "name"],
        MINUTE,
        |out| out.lines().count() == 5,
    );
    assert_eq!(pods.lines().count(), 5, "{pods}");
    let names = pod_names(&podium);
    let new_hash = podium.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.status.observedGeneration}",
    ]);
    assert!(!new_hash.is_empty());
    let rs = podium.ok(&[
        "get",
        "rs",
        "-l",
        "app=web",
        "-o",
        "jsonpath={range .items[*]}{.spec.replicas}{\"\\n\"}{end}",
    ]);
    let mut replicas: Vec<&str> = rs.lines().collect();
    replicas.sort();
    assert_eq!(replicas, ["0", "5"], "{rs}");
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "no duplicate pods: {names:?}");
}

#[test]
fn objects_survive_a_clean_restart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    {
        let podium = Podium::start_in(tmp.path(), &["--sim-latency", "0"]);
        podium.ok(&["create", "namespace", "team-a"]);
        podium.ok(&[
            "create",
            "configmap",
            "conf",
            "-n",
            "team-a",
            "--from-literal=k=v",
        ]);
    }
    let podium = Podium::start_in(tmp.path(), &["--sim-latency", "0"]);
    assert_eq!(
        podium.ok(&[
            "get",
            "configmap",
            "conf",
            "-n",
            "team-a",
            "-o",
            "jsonpath={.data.k}"
        ]),
        "v"
    );
}

#[test]
fn a_second_podium_on_one_data_dir_is_refused() {
    let podium = Podium::start();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args([
            "serve",
            "--runtime",
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(&podium.data_dir)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another podium is already running"),
        "{stderr}"
    );
}

#[test]
fn reset_asks_first_and_wipes_with_yes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    {
        let podium = Podium::start_in(tmp.path(), &["--sim-latency", "0"]);
        podium.ok(&["create", "configmap", "doomed", "--from-literal=a=b"]);
    }
    let asked = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["reset", "--data-dir"])
        .arg(tmp.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs");
    assert!(!asked.status.success(), "no answer means no wipe");
    assert!(String::from_utf8_lossy(&asked.stderr).contains("--yes"));

    let wiped = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["reset", "--yes", "--data-dir"])
        .arg(tmp.path())
        .output()
        .expect("runs");
    assert!(
        wiped.status.success(),
        "{}",
        String::from_utf8_lossy(&wiped.stderr)
    );
    let podium = Podium::start_in(tmp.path(), &["--sim-latency", "0"]);
    let gone = podium.fails(&["get", "configmap", "doomed"]);
    assert!(gone.contains("configmaps \"doomed\" not found"), "{gone}");
}

#[test]
fn bad_input_gets_a_status_and_the_server_keeps_serving() {
    let podium = Podium::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, body: &[u8]| {
        let path = tmp.path().join(name);
        std::fs::write(&path, body).expect("write");
        path.display().to_string()
    };

    // Malformed bodies straight to the API.
    let garbage = write("garbage.json", b"{\"apiVersion\": \"v1\", \"kind\": ");
    let error = podium.fails(&[
        "create",
        "--raw",
        "/api/v1/namespaces/default/configmaps",
        "-f",
        &garbage,
    ]);
    assert!(error.contains("Error from server (BadRequest)"), "{error}");

    // Wrong types name the field.
    let wrong = write(
        "wrong.json",
        br#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w"},"spec":{"replicas":"five"}}"#,
    );
    let error = podium.fails(&[
        "create",
        "--raw",
        "/apis/apps/v1/namespaces/default/deployments",
        "-f",
        &wrong,
    ]);
    assert!(error.contains("replicas"), "{error}");

    // Unknown fields under kubectl's default strict validation.
    let bogus = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bogus
spec:
  bogus: 1
  selector:
    matchLabels: {app: b}
  template:
    metadata:
      labels: {app: b}
    spec:
      containers:
      - name: b
        image: busybox
"#;
    let out = podium.kubectl_stdin(&["create", "-f", "-"], bogus);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(r#"unknown field "spec.bogus""#), "{stderr}");

    // Invalid names, with the field path and the rule.
    let error = podium.fails(&["create", "deployment", "Bad_Name", "--image=busybox"]);
    assert!(
        error.contains(r#"metadata.name: Invalid value: "Bad_Name""#),
        "{error}"
    );
    assert!(error.contains("RFC 1123"), "{error}");

    // Selector that does not match the template.
    let mismatch = bogus
        .replace("  bogus: 1\n", "")
        .replace("{app: b}\n  template", "{app: x}\n  template");
    let out = podium.kubectl_stdin(&["create", "-f", "-"], &mismatch);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`selector` does not match template `labels`"),
        "{stderr}"
    );

    // Oversized bodies.
    let mut big =
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":""#
            .to_vec();
    big.extend(std::iter::repeat_n(b'x', 4 * 1024 * 1024));
    big.extend(br#""}}"#);
    let big = write("big.json", &big);
    let error = podium.fails(&[
        "create",
        "--raw",
        "/api/v1/namespaces/default/configmaps",
        "-f",
        &big,
    ]);
    assert!(
        error.contains("too large") || error.contains("RequestEntityTooLarge"),
        "{error}"
    );

    // A stale resourceVersion conflicts.
    podium.ok(&["create", "configmap", "cm", "--from-literal=a=1"]);
    let stale = podium.ok(&["get", "configmap", "cm", "-o", "json"]);
    podium.ok(&["patch", "configmap", "cm", "-p", r#"{"data":{"a":"2"}}"#]);
    let stale_path = write("stale.json", stale.as_bytes());
    let error = podium.fails(&["replace", "-f", &stale_path]);
    assert!(
        error.contains(
            "Operation cannot be fulfilled on configmaps \"cm\": the object has been modified"
        ),
        "{error}"
    );

    // Still serving.
    let namespaces = podium.ok(&["get", "namespaces"]);
    assert!(
        Regex::new(r"(?m)^default\s+Active")
            .expect("regex")
            .is_match(&namespaces),
        "{namespaces}"
    );
}

#[test]
fn every_sample_applies() {
    let podium = Podium::start();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("samples dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in &names {
        let out = podium.ok(&["apply", "-f", &sample_path(name)]);
        assert!(out.contains("created"), "{name}: {out}");
    }
    podium.wait_for(&["get", "pods", "-l", "app=unpullable"], MINUTE, |out| {
        out.contains("ErrImagePull") || out.contains("ImagePullBackOff")
    });
    podium.wait_for(&["get", "pods", "-l", "app=crasher"], MINUTE, |out| {
        out.contains("CrashLoopBackOff") || out.contains("Error")
    });
    podium.ok(&["rollout", "status", "deployment/probed", "--timeout=60s"]);
    podium.ok(&["rollout", "status", "deployment/recreated", "--timeout=60s"]);
    // Applying again changes nothing.
    let again = podium.ok(&["apply", "-f", &sample_path("nginx.yaml")]);
    assert!(
        again.contains("deployment.apps/nginx-dep unchanged"),
        "{again}"
    );
}

const CRONTAB_CRD_AND_OBJECT: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
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
              replicas: {type: integer}
    additionalPrinterColumns:
    - {name: Spec, type: string, jsonPath: .spec.cronSpec}
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
"#;

#[test]
fn custom_resources_and_namespace_defaults_survive_kill_9() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut podium = Podium::start_in(tmp.path(), &[]);
    podium.apply(CRONTAB_CRD_AND_OBJECT);
    podium.ok(&[
        "wait",
        "--for=condition=established",
        "crd/crontabs.stable.example.com",
    ]);
    let object = "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: nightly\nspec:\n  cronSpec: \"0 3 * * *\"\n  replicas: 1\n";
    podium.apply(object);
    podium.ok(&["create", "namespace", "team"]);
    // Each namespace gets its ServiceAccount and the cluster's CA, as upstream's controllers make them.
    podium.wait_for(
        &["get", "sa,cm", "-n", "team", "-o", "name"],
        MINUTE,
        |out| out.contains("serviceaccount/default") && out.contains("configmap/kube-root-ca.crt"),
    );
    let ca = podium.ok(&[
        "get",
        "cm",
        "kube-root-ca.crt",
        "-n",
        "team",
        "-o",
        "jsonpath={.data.ca\\.crt}",
    ]);
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    podium.kill_9();

    let podium = Podium::start_in(tmp.path(), &[]);
    let out = podium.ok(&["get", "ct", "nightly", "--no-headers"]);
    assert!(
        out.contains("nightly") && out.contains("0 3 * * *"),
        "{out}"
    );
    // The deleted default account comes back.
    podium.ok(&["delete", "sa", "default", "-n", "team"]);
    podium.wait_for(&["get", "sa", "-n", "team", "-o", "name"], MINUTE, |out| {
        out.contains("serviceaccount/default")
    });
    // Pods run as the default account unless they name one.
    podium.ok(&["run", "solo", "--image=library/nginx:1.14-alpine"]);
    let account = podium.ok(&[
        "get",
        "pod",
        "solo",
        "-o",
        "jsonpath={.spec.serviceAccountName}",
    ]);
    assert_eq!(account, "default");
}
