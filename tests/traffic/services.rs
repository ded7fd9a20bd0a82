//! Services from the host: the walkthrough's NodePort, a LoadBalancer's
//! EXTERNAL-IP, the ClusterIP host port, and a NodePort that is taken.

use std::net::TcpListener;
use std::time::Duration;

use crate::TrafficPodium;
use crate::client::{get, wait_ok};

#[test]
fn walkthrough_expose_nodeport_then_curl_answers_and_loadbalancer_shows_external_ip() {
    let podium = TrafficPodium::start();
    podium.ok(&[
        "create",
        "deployment",
        "hello-world",
        "--image=podium/echo:1.0",
    ]);
    podium.rollout("hello-world");
    podium.ok(&[
        "expose",
        "deployment",
        "hello-world",
        "--type=NodePort",
        "--port=8080",
    ]);
    let node_port = podium.ok(&[
        "get",
        "service",
        "hello-world",
        "-o",
        "jsonpath={.spec.ports[0].nodePort}",
    ]);
    let reply = wait_ok(
        &format!("127.0.0.1:{node_port}"),
        None,
        "/",
        Duration::from_secs(30),
    );
    assert!(reply.body.starts_with("CLIENT VALUES:\n"), "{}", reply.body);
    assert!(reply.body.contains("real path=/\n"), "{}", reply.body);
    assert!(reply.body.contains("version=1.0"), "{}", reply.body);

    // The ClusterIP's host port is recorded on the Service.
    let host_ports = podium.wait_for(
        &[
            "get",
            "service",
            "hello-world",
            "-o",
            "jsonpath={.metadata.annotations.podium\\.dev/host-ports}",
        ],
        Duration::from_secs(20),
        |out| out.starts_with("8080/TCP=127.0.0.1:"),
    );
    let host_address = host_ports.trim_start_matches("8080/TCP=").to_string();
    let reply = wait_ok(&host_address, None, "/cluster-ip", Duration::from_secs(10));
    assert!(
        reply.body.contains("real path=/cluster-ip\n"),
        "{}",
        reply.body
    );

    // A LoadBalancer: EXTERNAL-IP 127.0.0.1 and its port answer.
    let lb_port = free_port(20000..29000);
    podium.ok(&[
        "expose",
        "deployment",
        "hello-world",
        "--name=hello-lb",
        "--type=LoadBalancer",
        &format!("--port={lb_port}"),
        "--target-port=8080",
    ]);
    let listing = podium.wait_for(
        &["get", "service", "hello-lb"],
        Duration::from_secs(20),
        |out| out.contains("127.0.0.1"),
    );
    assert!(
        listing.contains(&format!("{lb_port}:")),
        "PORT(S) shows the port: {listing}"
    );
    let reply = wait_ok(
        &format!("127.0.0.1:{lb_port}"),
        None,
        "/lb",
        Duration::from_secs(10),
    );
    assert!(reply.body.contains("real path=/lb\n"), "{}", reply.body);

    // Round-robin over three pods; ClientIP affinity keeps one client on one.
    podium.ok(&["scale", "deployment/hello-world", "--replicas=3"]);
    podium.rollout("hello-world");
    let hostnames = |address: &str| {
        let start = std::time::Instant::now();
        let mut seen = std::collections::BTreeSet::new();
        // Endpoints catch up with the scale within a moment.
        while start.elapsed() < Duration::from_secs(10) {
            seen = (0..9)
                .map(|_| {
                    let reply = get(address, None, "/").expect("answer");
                    reply
                        .body
                        .lines()
                        .find_map(|l| l.strip_prefix("hostname="))
                        .unwrap_or("?")
                        .to_string()
                })
                .collect();
            if seen.len() == 3 {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        seen
    };
    assert_eq!(hostnames(&format!("127.0.0.1:{node_port}")).len(), 3);
    podium.ok(&[
        "patch",
        "service",
        "hello-lb",
        "-p",
        r#"{"spec":{"sessionAffinity":"ClientIP"}}"#,
    ]);
    std::thread::sleep(Duration::from_millis(500));
    let sticky = hostnames(&format!("127.0.0.1:{lb_port}"));
    assert_eq!(
        sticky.len(),
        1,
        "ClientIP affinity: one pod, saw {sticky:?}"
    );

    // Deleting the Service closes its NodePort.
    podium.ok(&["delete", "service", "hello-world"]);
    let start = std::time::Instant::now();
    while get(&format!("127.0.0.1:{node_port}"), None, "/").is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "NodePort {node_port} still answers after the Service was deleted"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_taken_node_port_is_a_warning_event_naming_the_port_and_the_fix() {
    let podium = TrafficPodium::start();
    let (holder, port) = bind_in(31000..32700);
    let service = format!(
        r#"
apiVersion: v1
kind: Service
metadata: {{name: taken}}
spec:
  type: NodePort
  selector: {{app: none}}
  ports: [{{port: 80, targetPort: 8080, nodePort: {port}}}]
"#
    );
    let out = podium.kubectl_stdin(&["apply", "-f", "-"], &service);
    assert!(out.status.success(), "{out:?}");
    let events = podium.wait_for(
        &[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=taken",
        ],
        Duration::from_secs(20),
        |out| out.contains("PortUnavailable"),
    );
    assert!(events.contains("Warning"), "{events}");
    assert!(
        events.contains(&format!("port {port} is already in use"))
            && events.contains("spec.ports[0].nodePort"),
        "{events}"
    );
    drop(holder);
}

/// A port in `range` that is free now.
fn free_port(range: std::ops::Range<u16>) -> u16 {
    bind_in(range).1
}

fn bind_in(range: std::ops::Range<u16>) -> (TcpListener, u16) {
    let offset = std::process::id() as u16 % (range.end - range.start);
    (range.start..range.end)
        .cycle()
        .skip(usize::from(offset))
        .take(usize::from(range.end - range.start))
        .find_map(|port| {
            TcpListener::bind(("127.0.0.1", port))
                .ok()
                .map(|l| (l, port))
        })
        .expect("a free port in range")
}
