//! The baselines: the engine work podium asks for, done straight through
//! bollard with nothing in between.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder, StartContainerOptions,
    StopContainerOptionsBuilder,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `count` containers created and started in parallel, on `network` (Docker's
/// default bridge when `None`).
pub async fn scale(docker: &Docker, image: &str, count: usize, network: Option<&str>) -> Duration {
    let began = Instant::now();
    let starts = (0..count).map(|_| {
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            host_config: network.map(|network| HostConfig {
                network_mode: Some(network.to_string()),
                ..HostConfig::default()
            }),
            ..ContainerCreateBody::default()
        };
        create_and_start(docker, body)
    });
    let ids = futures::future::join_all(starts).await;
    let took = began.elapsed();
    remove_all(docker, &ids).await;
    took
}

/// A rolling update's engine work, as the deployment controller paces it:
/// old containers are stopped as far as availability allows, new ones are
/// started up to `replicas + surge`, and each new one is probed over its
/// published loopback port (as podium's pods are) until it answers. The
/// clock runs from the first decision to the last new container
/// answering: waves × (container start + first ready probe), each start
/// measured beside the stops and other starts of its wave.
pub async fn rollout(
    docker: &Docker,
    network: &str,
    (from, to): (&str, &str),
    (replicas, surge, unavailable): (usize, usize, usize),
) -> Duration {
    let olds = (0..replicas).map(|_| answering(docker, network, from));
    let mut old: VecDeque<String> = futures::future::join_all(olds).await.into();
    let min_available = replicas - unavailable;
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
    let (mut started, mut ready) = (0, Vec::new());
    let mut stops = Vec::new();
    let began = Instant::now();
    loop {
        let available = old.len() + ready.len();
        for _ in 0..available.saturating_sub(min_available).min(old.len()) {
            if let Some(id) = old.pop_front() {
                stops.push(tokio::spawn(stop_and_remove(docker.clone(), id)));
            }
        }
        while started < replicas.min(replicas + surge - old.len()) {
            let (docker, network, to, ready_tx) = (
                docker.clone(),
                network.to_string(),
                to.to_string(),
                ready_tx.clone(),
            );
            tokio::spawn(async move {
                let _ = ready_tx.send(answering(&docker, &network, &to).await);
            });
            started += 1;
        }
        if ready.len() == replicas {
            break;
        }
        ready.push(ready_rx.recv().await.expect("a new container answers"));
    }
    let took = began.elapsed();
    for stop in futures::future::join_all(stops).await {
        stop.expect("stop task");
    }
    remove_all(docker, &ready).await;
    took
}

/// Creates and starts a container of `image` on `network` with port 8080
/// published on an ephemeral loopback port, and returns once it answers
/// an HTTP GET there (tried again every 5 ms: a kinder probe than a
/// kubelet's, whose retry waits a period).
async fn answering(docker: &Docker, network: &str, image: &str) -> String {
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        exposed_ports: Some(vec!["8080/tcp".to_string()]),
        host_config: Some(HostConfig {
            network_mode: Some(network.to_string()),
            port_bindings: Some(
                [(
                    "8080/tcp".to_string(),
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".to_string()),
                        host_port: Some(String::new()),
                    }]),
                )]
                .into(),
            ),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    };
    let id = create_and_start(docker, body).await;
    let inspected = docker.inspect_container(&id, None).await.expect("inspect");
    let port = inspected
        .network_settings
        .and_then(|settings| settings.ports)
        .and_then(|ports| ports.get("8080/tcp").cloned().flatten())
        .and_then(|bindings| bindings.first()?.host_port.clone())
        .and_then(|port| port.parse::<u16>().ok())
        .expect("8080 is published");
    while !answers(port).await {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    id
}

async fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let request = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
    if stream.write_all(request).await.is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.is_ok() && head.starts_with(b"HTTP/1.1 200")
}

async fn create_and_start(docker: &Docker, body: ContainerCreateBody) -> String {
    let name = format!("podium-bench-raw-{}", uuid::Uuid::new_v4().simple());
    let options = CreateContainerOptionsBuilder::default().name(&name).build();
    let created = docker
        .create_container(Some(options), body)
        .await
        .expect("create");
    docker
        .start_container(&created.id, None::<StartContainerOptions>)
        .await
        .expect("start");
    created.id
}

/// As podium stops a pod's container: SIGTERM with a grace period, then
/// the container is removed.
async fn stop_and_remove(docker: Docker, id: String) {
    let options = StopContainerOptionsBuilder::default().t(5).build();
    docker
        .stop_container(&id, Some(options))
        .await
        .expect("stop");
    remove_all(&docker, &[id]).await;
}

async fn remove_all(docker: &Docker, ids: &[String]) {
    let removals = ids.iter().map(|id| {
        let options = RemoveContainerOptionsBuilder::default().force(true).build();
        docker.remove_container(id, Some(options))
    });
    for removed in futures::future::join_all(removals).await {
        removed.expect("remove");
    }
}
