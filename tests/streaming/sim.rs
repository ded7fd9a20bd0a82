//! exec and port-forward on the simulated runtime: its containers answer a
//! few one-shot commands and serve HTTP on their ports.

use std::time::Duration;

use crate::common::Podium;
use crate::support::{PortForward, kubectl, kubectl_ok};

fn running_nginx(podium: &Podium) -> String {
    podium.ok(&[
        "create",
        "deployment",
        "nginx",
        "--image=nginx",
        "--port=80",
    ]);
    podium.ok(&[
        "wait",
        "--for=condition=Available",
        "deployment/nginx",
        "--timeout=60s",
    ]);
    podium
        .wait_for(
            &[
                "get",
                "pods",
                "-l",
                "app=nginx",
                "-o",
                "jsonpath={.items[0].metadata.name}",
            ],
            Duration::from_secs(30),
            |name| !name.is_empty(),
        )
        .trim()
        .to_string()
}

#[test]
fn exec_on_the_sim_prints_output_and_returns_the_exit_code() {
    let podium = Podium::start();
    let pod = running_nginx(&podium);

    assert_eq!(
        kubectl_ok(&podium.kubeconfig, &["exec", &pod, "--", "echo", "hi"]),
        "hi\n"
    );
    assert_eq!(
        kubectl_ok(&podium.kubeconfig, &["exec", &pod, "--", "hostname"]),
        format!("{pod}\n")
    );

    let failed = kubectl(
        &podium.kubeconfig,
        &["exec", &pod, "--", "sh", "-c", "exit 3"],
    );
    assert_eq!(failed.status.code(), Some(3), "{failed:?}");

    let missing = kubectl(&podium.kubeconfig, &["exec", &pod, "--", "no-such-tool"]);
    assert_eq!(missing.status.code(), Some(127));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("executable file not found"),
        "{missing:?}"
    );

    let stderr = podium.fails(&["exec", "nope", "--", "echo", "hi"]);
    assert!(stderr.contains("pods \"nope\" not found"), "{stderr}");
}

#[test]
fn port_forward_on_the_sim_reaches_a_pod_and_a_service() {
    let podium = Podium::start();
    let pod = running_nginx(&podium);
    podium.ok(&[
        "expose",
        "deployment",
        "nginx",
        "--name=nginx-service",
        "--port=8080",
        "--target-port=80",
    ]);

    let forward = PortForward::start(&podium.kubeconfig, &format!("pod/{pod}"), 80, &[]);
    let (status, body) = forward.get("/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(String::from_utf8_lossy(&body).contains("Welcome to podium-sim!"));
    // A second connection over the same kubectl session.
    assert_eq!(forward.get("/again").0, "HTTP/1.1 200 OK");

    // kubectl resolves the Service to a pod and its target port itself.
    let service = PortForward::start(&podium.kubeconfig, "svc/nginx-service", 8080, &[]);
    let (status, body) = service.get("/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(String::from_utf8_lossy(&body).contains("Welcome to podium-sim!"));
}
