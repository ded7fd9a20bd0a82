//! Zero failed requests: a bounded client through a NodePort Service and
//! through the Ingress while a 5-replica Deployment with readiness probes
//! rolls from echo 1.0 to 2.0.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::TrafficPodium;
use crate::client::{load, wait_ok};
use crate::cluster::web_deployment;

const SERVICE_AND_INGRESS: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
"#;

#[test]
fn a_rolling_update_loses_no_request_through_the_service_or_the_ingress() {
    let podium = TrafficPodium::start();
    // The echo server exits at once on SIGTERM (no preStop sleep): the
    // proxy must stop choosing a pod as soon as it terminates, and replay
    // to another pod what one that vanished mid-handshake did not answer.
    let deployment = web_deployment("        ports: [{name: http, containerPort: 8080}]\n");
    let out = podium.kubectl_stdin(&["apply", "-f", "-"], &deployment);
    assert!(out.status.success(), "{out:?}");
    let out = podium.kubectl_stdin(&["apply", "-f", "-"], SERVICE_AND_INGRESS);
    assert!(out.status.success(), "{out:?}");
    podium.rollout("web");
    let node_port = podium.ok(&[
        "get",
        "service",
        "web",
        "-o",
        "jsonpath={.spec.ports[0].nodePort}",
    ]);
    let service = format!("127.0.0.1:{node_port}");
    let ingress = podium.ingress_address("web");
    wait_ok(&service, None, "/", Duration::from_secs(30));
    wait_ok(&ingress, None, "/", Duration::from_secs(30));

    let stop = Arc::new(AtomicBool::new(false));
    let through_service = load(service, None, 100, stop.clone());
    let through_ingress = load(ingress, None, 100, stop.clone());
    std::thread::sleep(Duration::from_secs(1));
    podium.ok(&["set", "image", "deployment/web", "echo=podium/echo:2.0"]);
    podium.ok(&["rollout", "status", "deployment/web", "--timeout=180s"]);
    // Old pods finish terminating while the load goes on.
    std::thread::sleep(Duration::from_secs(4));
    stop.store(true, Ordering::Relaxed);

    for (path, tally) in [
        ("Service", through_service.join().expect("client")),
        ("Ingress", through_ingress.join().expect("client")),
    ] {
        assert!(
            tally.failures.is_empty(),
            "{} of {} requests through the {path} failed: {:?}",
            tally.failures.len(),
            tally.ok + tally.failures.len(),
            &tally.failures[..tally.failures.len().min(10)]
        );
        eprintln!(
            "through the {path}: {} ok, versions {:?}",
            tally.ok, tally.versions
        );
        // ~10 s at up to 100/s; a loaded machine sends fewer, never this few.
        assert!(tally.ok > 200, "{path}: only {} requests ran", tally.ok);
        assert!(
            tally.versions.contains_key("1.0") && tally.versions.contains_key("2.0"),
            "{path}: both versions answered during the rollout: {:?}",
            tally.versions
        );
    }
}
