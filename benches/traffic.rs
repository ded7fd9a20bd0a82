//! Requests/s and p99 latency through a NodePort Service (the TCP proxy)
//! and through the Ingress router, against the pod's published port
//! directly, in the same run, on the local engine with the local image
//! (`podium images demo`). Prints a table.
//!
//!     cargo bench --bench traffic
//!
//! Targets (issue 5): ≥ 0.8× the direct throughput, ≤ 1 ms added p99.
//! The load: CLIENTS keep-alive HTTP/1.1 connections, each sending
//! `GET /` back to back for SECONDS, on each path in turn, for ROUNDS
//! rounds whose order rotates — so that no path always runs last, on a
//! machine that has warmed up (or been loaded) by the others.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

const CLIENTS: usize = 8;
const SECONDS: u64 = 3;
const ROUNDS: usize = 4;

const APP: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: bench}
spec:
  replicas: 1
  selector: {matchLabels: {app: bench}}
  template:
    metadata: {labels: {app: bench}}
    spec:
      containers:
      - {name: echo, image: "podium/echo:1.0", ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: bench}
spec:
  type: NodePort
  selector: {app: bench}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench}
spec:
  defaultBackend: {service: {name: bench, port: {number: 80}}}
"#;

struct Podium {
    child: Child,
    kubeconfig: PathBuf,
    cluster_id: String,
    _dir: tempfile::TempDir,
}

impl Podium {
    fn start() -> Podium {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_podium"))
            .args(["serve", "--runtime", "docker", "--listen", "127.0.0.1:0"])
            .args(["--ingress-listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("podium starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let _ready = lines.next().expect("ready line").expect("utf-8");
        std::thread::spawn(move || for _ in lines {});
        let cluster_id = std::fs::read_to_string(dir.path().join("cluster-id"))
            .expect("cluster id")
            .trim()
            .to_string();
        Podium {
            child,
            kubeconfig: dir.path().join("kubeconfig"),
            cluster_id,
            _dir: dir,
        }
    }

    fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> String {
        use std::io::Write;
        let mut child = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs");
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("stdin written");
        }
        drop(input);
        let out = child.wait_with_output().expect("kubectl output");
        assert!(
            out.status.success(),
            "kubectl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl get` with a jsonpath, polled until non-empty.
    fn field(&self, args: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let out = self.kubectl(args, None);
            if !out.trim().is_empty() && !out.trim().starts_with(':') {
                return out.trim().to_string();
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{args:?} stayed empty"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Podium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let ids = Command::new("docker")
            .args(["ps", "-aq", "--filter"])
            .arg(format!("label=podium.dev/cluster={}", self.cluster_id))
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let _ = Command::new("docker")
                .args(["rm", "-f"])
                .args(&ids)
                .output();
        }
    }
}

/// The pod's published loopback address for 8080, as Docker reports it.
fn published(podium: &Podium, pod: &str) -> String {
    let out = Command::new("docker")
        .args(["ps", "--filter"])
        .arg(format!("label=podium.dev/cluster={}", podium.cluster_id))
        .args(["--filter"])
        .arg(format!("label=podium.dev/pod-name={pod}"))
        .args(["--format", "{{.Ports}}"])
        .output()
        .expect("docker ps");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split([',', '\n'])
        .map(str::trim)
        .find_map(|p| p.strip_suffix("->8080/tcp"))
        .expect("a published 8080")
        .to_string()
}

/// Every round's requests on one path.
#[derive(Default)]
struct Measured {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Measured {
    fn add(&mut self, (latencies, elapsed): (Vec<Duration>, Duration)) {
        self.latencies.extend(latencies);
        self.elapsed += elapsed;
    }

    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
    }
}

/// One round on one path: the latencies and how long it took.
async fn measure(address: &str) -> (Vec<Duration>, Duration) {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let uri: hyper::Uri = format!("http://{address}/").parse().expect("uri");
    // Warm up the connections.
    for _ in 0..CLIENTS * 4 {
        let response = client.get(uri.clone()).await.expect("warm-up request");
        let _ = response.into_body().collect().await;
    }
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let client = client.clone();
        let uri = uri.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let response = client.get(uri.clone()).await.expect("request");
                assert!(response.status().is_success(), "{}", response.status());
                let _ = response.into_body().collect().await.expect("body");
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client task"));
    }
    (latencies, started.elapsed())
}

fn main() {
    let podium = Podium::start();
    podium.kubectl(&["apply", "-f", "-"], Some(APP));
    podium.kubectl(
        &["rollout", "status", "deployment/bench", "--timeout=120s"],
        None,
    );
    let pod = podium.field(&[
        "get",
        "pods",
        "-l",
        "app=bench",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    let node_port = podium.field(&[
        "get",
        "svc",
        "bench",
        "-o",
        "jsonpath={.spec.ports[0].nodePort}",
    ]);
    let ingress = podium.field(&[
        "get",
        "ingress",
        "bench",
        "-o",
        "jsonpath={.status.loadBalancer.ingress[0].ip}:{.status.loadBalancer.ingress[0].ports[0].port}",
    ]);
    let direct = published(&podium, &pod);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let targets = [
        ("direct (published port)", direct),
        ("Service (NodePort proxy)", format!("127.0.0.1:{node_port}")),
        ("Ingress router", ingress),
    ];
    let mut results: Vec<Measured> = targets.iter().map(|_| Measured::default()).collect();
    for round in 0..ROUNDS {
        for turn in 0..targets.len() {
            let path = (round + turn) % targets.len();
            results[path].add(runtime.block_on(measure(&targets[path].1)));
        }
    }
    let base_rate = results[0].per_second();
    let base_p99 = results[0].quantile(0.99);
    println!(
        "{CLIENTS} keep-alive clients, {ROUNDS} rounds of {SECONDS} s per path (order rotating), GET / on podium/echo:1.0 (1 pod)\n"
    );
    println!(
        "| path | requests | req/s | × direct | p50 | p99 | added p99 |\n|---|---|---|---|---|---|---|"
    );
    for ((name, _), m) in targets.iter().zip(&results) {
        let p99 = m.quantile(0.99);
        println!(
            "| {name} | {} | {:.0} | {:.2} | {:.2} ms | {:.2} ms | {:+.2} ms |",
            m.latencies.len(),
            m.per_second(),
            m.per_second() / base_rate,
            m.quantile(0.50).as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            (p99.as_secs_f64() - base_p99.as_secs_f64()) * 1e3,
        );
    }
}
