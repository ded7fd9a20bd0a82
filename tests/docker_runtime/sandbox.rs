//! The pod sandbox: its network and IP shared with the containers, ports
//! published on loopback, probes that reach the pod through them.

use std::time::{Duration, Instant};

use std::collections::BTreeMap;

use podium::kubelet::docker::{NETWORK, PAUSE_IMAGE};
use podium::kubelet::probe::{ProbeAction, ProbeKind, ProbeOutcome};
use podium::kubelet::runtime::{
    ContainerRunState, LABEL_HOST_PORTS, LABEL_HOSTNAME, LABEL_POD_IP, LABEL_RESTART_COUNT,
    Runtime, format_host_ports,
};

use crate::support::{Cluster, WAIT, docker_cli, get_when_up, pod, shell, strings, tcp};

#[tokio::test]
async fn sandbox_and_container_share_the_network_and_the_ip_survives_a_restart() {
    let cluster = Cluster::new("network").await;
    let runtime = &cluster.runtime;
    docker_cli(&["image", "inspect", "--format", "{{.Id}}", PAUSE_IMAGE]);
    let web = pod("web-0");
    let sandbox = runtime
        .run_sandbox(&cluster.sandbox_spec(&web, &[8080]))
        .await
        .expect("run sandbox")
        .expect("docker has sandboxes");
    let on_network = docker_cli(&[
        "network",
        "inspect",
        NETWORK,
        "--format",
        "{{range .Containers}}{{.IPv4Address}} {{end}}",
    ]);
    assert!(
        on_network.contains(&format!("{}/", sandbox.ip)),
        "{} not among {on_network}",
        sandbox.ip
    );

    let serve = "mkdir -p /www && echo \"hello from $(hostname)\" > /www/index.html \
                 && exec /bin/busybox httpd -f -p 8080 -h /www";
    let mut spec = cluster.container_spec(&web, "app", shell(serve));
    spec.sandbox = Some(sandbox.id.clone());
    spec.ports = vec![tcp(8080)];
    let first = runtime.create_container(&spec).await.expect("create");
    runtime.start_container(&first).await.expect("start");
    let address = runtime
        .port_address(&first, 8080)
        .await
        .expect("port 8080 is published");
    assert!(address.ip().is_loopback(), "{address}");
    let response = get_when_up(address).await;
    assert!(response.contains("hello from web-0"), "{response}");
    // Services and the Ingress skip Docker's port proxy: on Linux the host
    // routes to the pod's own address.
    let routed = runtime
        .traffic_address(&first, 8080)
        .await
        .expect("a traffic address");
    assert_eq!(routed.to_string(), format!("{}:8080", sandbox.ip));
    let response = get_when_up(routed).await;
    assert!(response.contains("hello from web-0"), "{response}");

    // The app container sees the pod's IP: it lives in the sandbox's namespace.
    let seen = runtime
        .exec(&first, &strings(&["/bin/busybox", "hostname", "-i"]))
        .await
        .expect("exec");
    assert_eq!(String::from_utf8_lossy(&seen.stdout).trim(), sandbox.ip);

    // A restart is a new container in the same namespace: same IP, same port.
    runtime
        .stop_container(&first, Duration::from_secs(1))
        .await
        .expect("stop");
    spec.restart_count = 1;
    spec.labels
        .insert(LABEL_RESTART_COUNT.to_string(), "1".to_string());
    let second = runtime.create_container(&spec).await.expect("create again");
    runtime.start_container(&second).await.expect("start again");
    assert_eq!(runtime.port_address(&second, 8080).await, Some(address));
    let response = get_when_up(address).await;
    assert!(response.contains("hello from web-0"), "{response}");
    let listed = runtime.list_containers().await.expect("list");
    let listed_sandbox = listed
        .iter()
        .find(|c| c.id == sandbox.id)
        .expect("the sandbox is listed");
    assert!(listed_sandbox.is_sandbox());
    assert_eq!(listed_sandbox.ip.as_deref(), Some(sandbox.ip.as_str()));
    assert_eq!(listed_sandbox.state, ContainerRunState::Running);
    let names = docker_cli(&["inspect", "--format", "{{.Name}}", &sandbox.id, &second]);
    assert_eq!(
        names,
        format!(
            "/k8s_POD_web-0_default_{uid}_0\n/k8s_app_web-0_default_{uid}_1",
            uid = web.uid
        )
    );

    runtime.remove_container(&first).await.expect("remove");
    runtime
        .remove_container(&first)
        .await
        .expect("removing twice is fine");
    runtime.remove_container(&second).await.expect("remove");
    // The pause process ignores SIGTERM: a sandbox stops with SIGKILL at once.
    let began = Instant::now();
    runtime
        .stop_container(&sandbox.id, Duration::from_secs(10))
        .await
        .expect("stop sandbox");
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    runtime
        .remove_sandbox(&sandbox.id)
        .await
        .expect("remove sandbox");
    assert!(runtime.list_containers().await.expect("list").is_empty());
    assert_eq!(runtime.port_address(&second, 8080).await, None);
}

#[tokio::test]
async fn a_sandbox_free_container_keeps_its_ip_and_port_when_recreated() {
    let cluster = Cluster::new("no-sandbox").await;
    let runtime = &cluster.runtime;
    let web = pod("solo-0");
    let serve = "mkdir -p /www && echo \"hello from $(hostname)\" > /www/index.html \
                 && exec /bin/busybox httpd -f -p 8080 -h /www";
    let mut spec = cluster.container_spec(&web, "app", shell(serve));
    spec.ports = vec![tcp(8080)];
    spec.labels
        .insert(LABEL_HOSTNAME.to_string(), "solo-0".to_string());
    // The first start: the engine picks the address and the host port.
    let first = runtime.create_container(&spec).await.expect("create");
    runtime.start_container(&first).await.expect("start");
    let ip = runtime
        .inspect_container(&first)
        .await
        .expect("inspect")
        .ip
        .expect("the container has an address on podium's network");
    assert!(ip.starts_with("10.244."), "podium's subnet: {ip}");
    let address = runtime
        .port_address(&first, 8080)
        .await
        .expect("port 8080 is published");
    assert!(address.ip().is_loopback(), "{address}");
    let response = get_when_up(address).await;
    assert!(response.contains("hello from solo-0"), "{response}");

    // A restart asks for the same address and port again.
    runtime
        .stop_container(&first, Duration::from_secs(1))
        .await
        .expect("stop");
    spec.restart_count = 1;
    spec.labels
        .insert(LABEL_RESTART_COUNT.to_string(), "1".to_string());
    spec.labels.insert(LABEL_POD_IP.to_string(), ip.clone());
    spec.labels.insert(
        LABEL_HOST_PORTS.to_string(),
        format_host_ports(&BTreeMap::from([(8080, address.port())])),
    );
    let second = runtime.create_container(&spec).await.expect("create again");
    runtime.start_container(&second).await.expect("start again");
    assert_eq!(runtime.port_address(&second, 8080).await, Some(address));
    let seen = runtime
        .exec(&second, &strings(&["/bin/busybox", "hostname", "-i"]))
        .await
        .expect("exec");
    assert_eq!(String::from_utf8_lossy(&seen.stdout).trim(), ip);
    let response = get_when_up(address).await;
    assert!(response.contains("hello from solo-0"), "{response}");
    // No pause container anywhere.
    let listed = runtime.list_containers().await.expect("list");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed
            .iter()
            .all(|c| !c.is_sandbox() && c.image != PAUSE_IMAGE)
    );
    cluster.finish().await;
}

#[tokio::test]
async fn probes_reach_the_pod_through_its_loopback_ports() {
    let cluster = Cluster::new("probes").await;
    let runtime = &cluster.runtime;
    let web = pod("probed");
    let sandbox = runtime
        .run_sandbox(&cluster.sandbox_spec(&web, &[8080, 9090]))
        .await
        .expect("run sandbox")
        .expect("docker has sandboxes");
    // Serves 8080 once /tmp/go exists; 9090 is declared but never served.
    let serve = "while [ ! -f /tmp/go ]; do sleep 0.1; done; mkdir -p /www \
                 && echo ok > /www/index.html && exec /bin/busybox httpd -f -p 8080 -h /www";
    let mut spec = cluster.container_spec(&web, "app", shell(serve));
    spec.sandbox = Some(sandbox.id.clone());
    spec.ports = vec![tcp(8080), tcp(9090)];
    let id = runtime.create_container(&spec).await.expect("create");
    runtime.start_container(&id).await.expect("start");

    let second = Duration::from_secs(1);
    let http = ProbeAction::Http {
        host: sandbox.ip.clone(),
        port: 8080,
        path: "/".to_string(),
        scheme: "http".to_string(),
        headers: Vec::new(),
    };
    let tcp_probe = |port: u16| ProbeAction::Tcp {
        host: sandbox.ip.clone(),
        port,
    };
    let id = id.as_str();
    let probe = |action: ProbeAction| async move {
        runtime
            .probe(id, ProbeKind::Readiness, &action, second)
            .await
    };
    // Docker's proxy accepts on a published port even when nothing
    // listens behind it: the probes must still fail.
    let refused = format!("dial tcp {}:9090: connect: connection refused", sandbox.ip);
    assert_eq!(probe(tcp_probe(9090)).await, ProbeOutcome::Failure(refused));
    assert!(matches!(
        probe(tcp_probe(8080)).await,
        ProbeOutcome::Failure(_)
    ));
    assert!(matches!(
        probe(http.clone()).await,
        ProbeOutcome::Failure(_)
    ));

    runtime
        .exec(id, &strings(&["/bin/busybox", "touch", "/tmp/go"]))
        .await
        .expect("exec");
    let deadline = Instant::now() + WAIT;
    while probe(http.clone()).await != ProbeOutcome::Success {
        assert!(Instant::now() < deadline, "the HTTP probe never passed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(probe(tcp_probe(8080)).await, ProbeOutcome::Success);
    assert!(matches!(
        probe(tcp_probe(9090)).await,
        ProbeOutcome::Failure(_)
    ));
    let exec = |command: &str| ProbeAction::Exec {
        command: shell(command),
    };
    assert_eq!(probe(exec("test -f /tmp/go")).await, ProbeOutcome::Success);
    assert!(matches!(
        probe(exec("exit 1")).await,
        ProbeOutcome::Failure(_)
    ));
    cluster.finish().await;
}
