//! PodDisruptionBudgets and `kubectl drain` with the real kubectl over
//! the simulated runtime: the budget's status and columns, an eviction
//! refused with upstream's 429 while the budget allows none, and a drain
//! that cordons, skips DaemonSet pods with --ignore-daemonsets, retries
//! and completes once the budget allows.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::Podium;

const MINUTE: Duration = Duration::from_secs(60);

const WEB: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: web
        image: nginx
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 2
  selector:
    matchLabels:
      app: web
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
      - name: agent
        image: busybox
"#;

#[test]
fn drain_waits_on_the_budget_and_completes_once_it_allows() {
    let podium = Podium::start_with(&["--sim-latency", "0", "--nodes", "3"]);
    // Both replicas on podium-m02: the other nodes are cordoned meanwhile.
    podium.ok(&["cordon", "podium"]);
    podium.ok(&["cordon", "podium-m03"]);
    podium.apply(WEB);
    podium.ok(&["rollout", "status", "deploy/web", "--timeout=60s"]);
    podium.ok(&["rollout", "status", "ds/agent", "--timeout=60s"]);
    let nodes = podium.ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={.items[*].spec.nodeName}",
    ]);
    assert_eq!(nodes.trim(), "podium-m02 podium-m02");
    podium.ok(&["uncordon", "podium"]);
    podium.ok(&["uncordon", "podium-m03"]);

    podium.wait_for(
        &[
            "get",
            "pdb",
            "web",
            "-o",
            "jsonpath={.status.currentHealthy}/{.status.desiredHealthy}/{.status.expectedPods}/{.status.disruptionsAllowed}/{.status.conditions[0].reason}",
        ],
        MINUTE,
        |out| out == "2/2/2/0/InsufficientPods",
    );
    let table = podium.ok(&["get", "pdb"]);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "MIN",
            "AVAILABLE",
            "MAX",
            "UNAVAILABLE",
            "ALLOWED",
            "DISRUPTIONS",
            "AGE"
        ],
        "{table}"
    );
    let row: Vec<&str> = table
        .lines()
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(&row[..4], ["web", "2", "N/A", "0"], "{table}");

    // Without --ignore-daemonsets drain refuses, after cordoning.
    let refused = podium.fails(&["drain", "podium-m02", "--timeout=20s"]);
    assert!(
        refused
            .contains("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"),
        "{refused}"
    );

    // A drain that must wait: it retries the 429 every 5 s.
    let drain = Command::new("kubectl")
        .args([
            "drain",
            "podium-m02",
            "--ignore-daemonsets",
            "--timeout=90s",
        ])
        .env("KUBECONFIG", &podium.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl drain runs");
    std::thread::sleep(Duration::from_secs(7));
    let unschedulable = podium.ok(&[
        "get",
        "node",
        "podium-m02",
        "-o",
        "jsonpath={.spec.unschedulable}",
    ]);
    assert_eq!(unschedulable, "true", "drain cordons the node");
    // The budget allows one disruption at a time from now on.
    podium.ok(&[
        "patch",
        "pdb",
        "web",
        "--type=merge",
        "-p",
        r#"{"spec":{"minAvailable":1}}"#,
    ]);
    let out = drain.wait_with_output().expect("drain finishes");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("node/podium-m02 already cordoned"),
        "{stdout}"
    );
    assert!(
        stderr.contains("Warning: ignoring DaemonSet-managed Pods: default/agent-"),
        "{stderr}"
    );
    assert!(
        stderr.contains("(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget."),
        "{stderr}"
    );
    assert_eq!(stdout.matches(" evicted").count(), 2, "{stdout}");
    assert!(stdout.contains("node/podium-m02 drained"), "{stdout}");

    // The replacements run elsewhere; the daemon pod stays.
    let nodes = podium.wait_for(
        &[
            "get",
            "pods",
            "-l",
            "app=web",
            "-o",
            "jsonpath={.items[*].spec.nodeName}",
        ],
        MINUTE,
        |out| out.split_whitespace().count() == 2,
    );
    assert!(!nodes.contains("podium-m02"), "{nodes}");
    let agents = podium.ok(&[
        "get",
        "pods",
        "-l",
        "app=agent",
        "--field-selector",
        "spec.nodeName=podium-m02",
        "-o",
        "name",
    ]);
    assert_eq!(agents.lines().count(), 1, "{agents}");
}

#[test]
fn an_eviction_the_budget_forbids_is_a_429_with_its_cause() {
    let podium = Podium::start();
    podium.apply(WEB);
    podium.ok(&["rollout", "status", "deploy/web", "--timeout=60s"]);
    podium.wait_for(
        &[
            "get",
            "pdb",
            "web",
            "-o",
            "jsonpath={.status.currentHealthy}",
        ],
        MINUTE,
        |out| out == "2",
    );
    let pod = podium.ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    let path = format!("/api/v1/namespaces/default/pods/{pod}/eviction");
    let body = format!(
        r#"{{"apiVersion":"policy/v1","kind":"Eviction","metadata":{{"name":"{pod}","namespace":"default"}}}}"#
    );
    let file = podium.data_dir.join("eviction.json");
    std::fs::write(&file, &body).expect("write the body");
    let file = file.display().to_string();
    let refused = podium.fails(&["create", "--raw", &path, "-f", &file]);
    assert!(
        refused.contains("Cannot evict pod as it would violate the pod's disruption budget."),
        "{refused}"
    );
    let out = podium.kubectl(&["create", "--raw", &path, "-f", &file, "-v=8"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("429 Too Many Requests"), "{log}");
    assert!(
        log.contains(
            r#""details":{"causes":[{"reason":"DisruptionBudget","message":"The disruption budget web needs 2 healthy pods and has 2 currently"}]},"code":429"#
        ),
        "{log}"
    );

    // The body must name the pod of the URL; a missing pod is a 404.
    let mismatch = podium.fails(&[
        "create",
        "--raw",
        "/api/v1/namespaces/default/pods/nope/eviction",
        "-f",
        &file,
    ]);
    assert!(
        mismatch.contains("name in URL does not match name in Eviction object"),
        "{mismatch}"
    );
    let nope = podium.data_dir.join("nope.json");
    std::fs::write(&nope, body.replace(&pod, "nope")).expect("write the body");
    let missing = podium.fails(&[
        "create",
        "--raw",
        "/api/v1/namespaces/default/pods/nope/eviction",
        "-f",
        &nope.display().to_string(),
    ]);
    assert!(missing.contains(r#"pods "nope" not found"#), "{missing}");

    // Once the budget allows, a dry run leaves the pod and the budget be.
    podium.ok(&[
        "patch",
        "pdb",
        "web",
        "--type=merge",
        "-p",
        r#"{"spec":{"maxUnavailable":1,"minAvailable":null}}"#,
    ]);
    podium.wait_for(
        &[
            "get",
            "pdb",
            "web",
            "-o",
            "jsonpath={.status.disruptionsAllowed}",
        ],
        MINUTE,
        |out| out == "1",
    );
    let dry = podium.ok(&[
        "create",
        "--raw",
        &format!("{path}?dryRun=All"),
        "-f",
        &file,
    ]);
    assert!(dry.contains(r#""status":"Success""#), "{dry}");
    podium.ok(&["get", "pod", &pod]);
    let allowed = podium.ok(&[
        "get",
        "pdb",
        "web",
        "-o",
        "jsonpath={.status.disruptionsAllowed}",
    ]);
    assert_eq!(allowed, "1");

    // The real one: 201 Success, the pod marked and gone, the budget spent.
    let done = podium.ok(&["create", "--raw", &path, "-f", &file]);
    assert!(done.contains(r#""status":"Success""#), "{done}");
    podium.wait_for(
        &[
            "get",
            "pods",
            "-l",
            "app=web",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ],
        MINUTE,
        |out| !out.contains(&pod),
    );
    // A second budget over the same pods: 500, as upstream.
    podium.apply(
        r#"
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web-too
spec:
  maxUnavailable: "50%"
  selector:
    matchLabels:
      app: web
"#,
    );
    podium.wait_for(
        &[
            "get",
            "pdb",
            "web-too",
            "-o",
            "jsonpath={.status.expectedPods}",
        ],
        MINUTE,
        |out| out == "2",
    );
    let other = podium.ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    let body = body.replace(&pod, &other);
    std::fs::write(podium.data_dir.join("eviction.json"), &body).expect("write the body");
    let twice = podium.fails(&[
        "create",
        "--raw",
        &format!("/api/v1/namespaces/default/pods/{other}/eviction"),
        "-f",
        &file,
    ]);
    assert!(
        twice.contains("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."),
        "{twice}"
    );
}
