//! The walkthrough (shared/mission/kubernetes-walkthrough.txt) with the real
//! kubectl against `podium serve --runtime sim`, asserting what it prints.

mod common;

use std::time::Duration;

use common::{Podium, sample, sample_path};
use regex::Regex;

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn hello_world_first_half() {
    let podium = Podium::start();
    assert!(
        podium.api_line.contains("https://127.0.0.1:"),
        "{}",
        podium.api_line
    );

    let out = podium.ok(&[
        "create",
        "deployment",
        "hello-world",
        "--image=k8s.gcr.io/echoserver:1.4",
    ]);
    assert_eq!(out.trim(), "deployment.apps/hello-world created");
    podium.ok(&[
        "rollout",
        "status",
        "deployment/hello-world",
        "--timeout=60s",
    ]);

    let pods = podium.ok(&["get", "pods"]);
    let header = Regex::new(r"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n").expect("regex");
    assert!(header.is_match(&pods), "{pods}");
    let row = Regex::new(r"(?m)^(hello-world-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5})\s+1/1\s+Running\s+0\s+\d+s$")
        .expect("regex");
    let pod = row
        .captures(&pods)
        .unwrap_or_else(|| panic!("a Running hello-world pod in:\n{pods}"))[1]
        .to_string();

    let describe = podium.ok(&["describe", "pod", &pod]);
    for expected in [
        format!(r"(?m)^Name:\s+{pod}$"),
        r"(?m)^Namespace:\s+default$".to_string(),
        r"(?m)^Node:\s+podium/".to_string(),
        r"(?m)^Controlled By:\s+ReplicaSet/hello-world-".to_string(),
        r"(?m)^Labels:\s+app=hello-world$".to_string(),
        r"(?m)^\s+Image:\s+k8s.gcr.io/echoserver:1.4$".to_string(),
        r"(?m)^Status:\s+Running$".to_string(),
        r"(?m)^\s+Restart Count:\s+0$".to_string(),
    ] {
        assert!(
            Regex::new(&expected).expect("regex").is_match(&describe),
            "missing {expected:?} in:\n{describe}"
        );
    }
    for section in [
        r"(?m)^Containers:$",
        r"(?m)^Conditions:$",
        r"(?m)^\s+Ready\s+True\s*$",
        r"(?m)^Events:$",
    ] {
        assert!(
            Regex::new(section).expect("regex").is_match(&describe),
            "missing {section} in:\n{describe}"
        );
    }
    for event in [
        format!(
            r"Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned default/{pod} to podium"
        ),
        r#"Normal\s+Pulling\s+.*Pulling image "k8s.gcr.io/echoserver:1.4""#.to_string(),
        r"Normal\s+Created\s+.*Created container:? echoserver".to_string(),
        r"Normal\s+Started\s+.*Started container echoserver".to_string(),
    ] {
        assert!(
            Regex::new(&event).expect("regex").is_match(&describe),
            "missing event {event} in:\n{describe}"
        );
    }

    let wide = podium.ok(&["get", "pods", "-o", "wide", "--show-labels"]);
    assert!(Regex::new(r"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\s+LABELS").expect("regex").is_match(&wide), "{wide}");
    assert!(
        wide.contains("app=hello-world,pod-template-hash="),
        "{wide}"
    );

    let events = podium.ok(&["get", "events"]);
    assert!(events.contains("ScalingReplicaSet"), "{events}");
    assert!(
        events.contains("Scaled up replica set hello-world-"),
        "{events}"
    );

    let out = podium.ok(&["delete", "deployment", "hello-world"]);
    assert_eq!(out.trim(), "deployment.apps \"hello-world\" deleted");
    podium.wait_for(&["get", "pods", "-o", "name"], MINUTE, |out| {
        out.trim().is_empty()
    });
    podium.wait_for(&["get", "rs", "-o", "name"], MINUTE, |out| {
        out.trim().is_empty()
    });
}

#[test]
fn nginx_yaml_rollout_scale_undo_and_cleanup() {
    let podium = Podium::start();
    let out = podium.ok(&["create", "-f", &sample_path("nginx.yaml")]);
    assert!(out.contains("deployment.apps/nginx-dep created"), "{out}");
    assert!(out.contains("service/nginx-service created"), "{out}");
    assert!(
        out.contains("ingress.networking.k8s.io/nginx-ingress created"),
        "{out}"
    );
    podium.ok(&[
        "rollout",
        "status",
        "deployment/nginx-dep",
        "--timeout=120s",
    ]);

    let out = podium.ok(&[
        "set",
        "image",
        "deployment/nginx-dep",
        "nginx=library/nginx:1.18-alpine",
    ]);
    assert_eq!(out.trim(), "deployment.apps/nginx-dep image updated");
    let status = podium.ok(&[
        "rollout",
        "status",
        "deployment/nginx-dep",
        "--timeout=240s",
    ]);
    assert!(status.contains("successfully rolled out"), "{status}");
    let rs = podium.ok(&[
        "get", "rs", "-l", "app=server", "-o",
        "jsonpath={range .items[*]}{.spec.replicas} {.spec.template.spec.containers[0].image}{\"\\n\"}{end}",
    ]);
    assert!(
        rs.lines().any(|l| l == "0 library/nginx:1.14-alpine"),
        "{rs}"
    );
    assert!(
        rs.lines().any(|l| l == "5 library/nginx:1.18-alpine"),
        "{rs}"
    );

    let out = podium.ok(&["scale", "deployments/nginx-dep", "--replicas=10"]);
    assert_eq!(out.trim(), "deployment.apps/nginx-dep scaled");
    podium.wait_for(
        &[
            "get",
            "deploy",
            "nginx-dep",
            "-o",
            "jsonpath={.status.availableReplicas}",
        ],
        2 * MINUTE,
        |out| out == "10",
    );
    let deploy = podium.ok(&["get", "deploy", "nginx-dep"]);
    assert!(
        Regex::new(r"(?m)^nginx-dep\s+10/10\s+10\s+10\s+")
            .expect("regex")
            .is_match(&deploy),
        "{deploy}"
    );

    let history = podium.ok(&["rollout", "history", "deployment/nginx-dep"]);
    assert!(
        Regex::new(r"(?m)^1\s+<none>")
            .expect("regex")
            .is_match(&history),
        "{history}"
    );
    assert!(
        Regex::new(r"(?m)^2\s+<none>")
            .expect("regex")
            .is_match(&history),
        "{history}"
    );

    let out = podium.ok(&["rollout", "undo", "deployment/nginx-dep"]);
    assert_eq!(out.trim(), "deployment.apps/nginx-dep rolled back");
    podium.ok(&[
        "rollout",
        "status",
        "deployment/nginx-dep",
        "--timeout=300s",
    ]);
    let image = podium.ok(&[
        "get",
        "deploy",
        "nginx-dep",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    assert_eq!(image, "library/nginx:1.14-alpine");
    let revision = podium.ok(&[
        "get",
        "deploy",
        "nginx-dep",
        "-o",
        "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
    ]);
    assert_eq!(revision, "3", "undo takes a new revision number");

    assert_eq!(
        podium
            .ok(&["rollout", "pause", "deployment/nginx-dep"])
            .trim(),
        "deployment.apps/nginx-dep paused"
    );
    let error = podium.fails(&["rollout", "undo", "deployment/nginx-dep"]);
    assert!(
        error.contains("you cannot rollback a paused deployment"),
        "{error}"
    );
    assert_eq!(
        podium
            .ok(&["rollout", "resume", "deployment/nginx-dep"])
            .trim(),
        "deployment.apps/nginx-dep resumed"
    );
    assert_eq!(
        podium
            .ok(&["rollout", "restart", "deployment/nginx-dep"])
            .trim(),
        "deployment.apps/nginx-dep restarted"
    );
    podium.ok(&[
        "rollout",
        "status",
        "deployment/nginx-dep",
        "--timeout=300s",
    ]);

    let all = podium.ok(&["get", "all"]);
    for expected in [
        "pod/nginx-dep-",
        "service/nginx-service",
        "deployment.apps/nginx-dep",
        "replicaset.apps/nginx-dep-",
    ] {
        assert!(all.contains(expected), "missing {expected} in:\n{all}");
    }
    let ingress = podium.ok(&["get", "ingress"]);
    assert!(ingress.contains("nginx-ingress"), "{ingress}");

    podium.ok(&["delete", "deployment", "--all"]);
    podium.ok(&["delete", "service", "--all"]);
    podium.ok(&["delete", "ingress", "--all"]);
    podium.wait_for(&["get", "pods", "-o", "name"], MINUTE, |out| {
        out.trim().is_empty()
    });
    // `delete service --all` leaves the built-in kubernetes Service only if it exists.
    let services = podium.ok(&["get", "services", "-o", "name"]);
    assert!(!services.contains("nginx-service"), "{services}");
    let _ = sample("nginx.yaml");
}
