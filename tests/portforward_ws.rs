//! Port-forward as the kube-rs client speaks it (a WebSocket of channels,
//! `v4.channel.k8s.io`), against a whole cluster on the simulated runtime,
//! whose containers serve HTTP on their declared ports.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Container, ContainerPort, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use podium::cluster::{Cluster, ClusterConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PORT: u16 = 8080;
/// Not declared by the pod: nothing listens there.
const CLOSED_PORT: u16 = 9999;
const WAIT: Duration = Duration::from_secs(20);

struct Setup {
    client: kube::Client,
    pods: Api<Pod>,
    _cluster: Cluster,
    _dir: tempfile::TempDir,
}

/// A cluster, a kube-rs client from the kubeconfig podium wrote, and a
/// running pod `web` that declares port 8080.
async fn cluster_with_pod() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = Cluster::start(ClusterConfig::sim_in_memory(dir.path()))
        .await
        .expect("cluster starts");
    let kubeconfig = Kubeconfig::read_from(&cluster.kubeconfig).expect("kubeconfig reads");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("kube-rs takes podium's kubeconfig");
    let client = kube::Client::try_from(config).expect("client");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod = Pod {
        metadata: ObjectMeta {
            name: Some("web".into()),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "web".into(),
                image: Some("nginx:1.27".into()),
                ports: Some(vec![ContainerPort {
                    container_port: i32::from(PORT),
                    ..Default::default()
                }]),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("pod created");
    let deadline = Instant::now() + WAIT;
    loop {
        let pod = pods.get("web").await.expect("pod reads");
        if pod.status.and_then(|s| s.phase).as_deref() == Some("Running") {
            break;
        }
        assert!(Instant::now() < deadline, "pod web never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Setup {
        client,
        pods,
        _cluster: cluster,
        _dir: dir,
    }
}

/// Sends a GET over `stream` and reads until the forward closes.
async fn get(mut stream: tokio::io::DuplexStream) -> String {
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nUser-Agent: kube-rs-test\r\n\r\n")
        .await
        .expect("request written");
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
        .await
        .expect("the forward closes once the pod has answered and closed")
        .expect("answer read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_port_forward_reaches_the_pod_and_closes_with_it() {
    let setup = cluster_with_pod().await;
    let mut forwarder = setup
        .pods
        .portforward("web", &[PORT])
        .await
        .expect("the WebSocket upgrade is accepted");
    let stream = forwarder.take_stream(PORT).expect("a stream for the port");
    let error = forwarder.take_error(PORT).expect("an error future");

    let answer = get(stream).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("Welcome to podium-sim!"), "{answer}");
    assert!(answer.contains(&format!("on port {PORT}.")), "{answer}");
    // No error was reported: the error channel ends without a message.
    let error = tokio::time::timeout(WAIT, error).await.expect("error ends");
    assert_eq!(error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_nothing_listens_on_reports_the_error_to_the_client() {
    let setup = cluster_with_pod().await;
    let mut forwarder = setup
        .pods
        .portforward("web", &[CLOSED_PORT])
        .await
        .expect("the WebSocket upgrade is accepted");
    let error = forwarder.take_error(CLOSED_PORT).expect("an error future");
    let message = tokio::time::timeout(WAIT, error)
        .await
        .expect("the error arrives")
        .expect("an error message, not just the end of the channel");
    assert!(
        message.starts_with(&format!(
            "error forwarding port {CLOSED_PORT} to pod web, uid "
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!("does not publish port {CLOSED_PORT}")),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_websocket_forwards_several_ports_each_on_its_own_channels() {
    let setup = cluster_with_pod().await;
    // The failing port first: the working one is on channels 2 and 3.
    let mut forwarder = setup
        .pods
        .portforward("web", &[CLOSED_PORT, PORT])
        .await
        .expect("the WebSocket upgrade is accepted");
    let error = forwarder.take_error(CLOSED_PORT).expect("an error future");
    let message = tokio::time::timeout(WAIT, error)
        .await
        .expect("the error arrives")
        .expect("an error message");
    assert!(
        message.contains(&format!("port {CLOSED_PORT}")),
        "{message}"
    );
    // The other port still works after its neighbour failed.
    let stream = forwarder.take_stream(PORT).expect("a stream for the port");
    let answer = get(stream).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains(&format!("on port {PORT}.")), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_port_forward_without_ports_is_refused_before_the_upgrade() {
    let setup = cluster_with_pod().await;
    // kube-rs refuses an empty list itself; a hand-made request reaches the server.
    let request = http::Request::get("/api/v1/namespaces/default/pods/web/portforward")
        .body(Vec::new())
        .expect("request");
    let error = setup
        .client
        .connect(request)
        .await
        .err()
        .expect("no ports, no upgrade");
    let text = error.to_string();
    assert!(
        text.contains("needs the ports in the query: add ?ports=8080"),
        "{text}"
    );
}
