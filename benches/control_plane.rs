//! The control plane's speed and memory targets, measured against the real
//! release binary (`podium serve --runtime sim --sim-latency 0`), driven by
//! the real kubectl and curl over TLS. Prints a table.
//!
//!     cargo bench --bench control_plane
//!
//! Targets (issue: control plane): start → API ready ≤ 150 ms; 10,000
//! replicas → all available ≤ 2 s; raw list of 10k pods ≤ 100 ms server
//! side; `kubectl get pods` at 10k pods ≤ 1 s; RSS ≤ 50 MB at 1k pods.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Pods per node (the kubelet's --max-pods).
const MAX_PODS: &str = "1100";

struct Server {
    child: Child,
    kubeconfig: PathBuf,
    ca: PathBuf,
    token: String,
    url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(nodes: &str) -> (Server, Duration) {
        let dir = tempfile::tempdir().expect("tempdir");
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_podium"))
            .args([
                "serve",
                "--runtime",
                "sim",
                "--sim-latency",
                "0",
                "--listen",
                "127.0.0.1:0",
            ])
            .args(["--nodes", nodes, "--max-pods", MAX_PODS, "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("podium starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let _ready_line = lines.next().expect("ready line").expect("utf-8");
        let ready = started.elapsed();
        std::thread::spawn(move || for _ in lines {});
        let kubeconfig = dir.path().join("kubeconfig");
        let config: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&kubeconfig).expect("kubeconfig"))
                .expect("yaml");
        let cluster = &config["clusters"][0]["cluster"];
        let url = cluster["server"].as_str().expect("server").to_string();
        let ca_data = cluster["certificate-authority-data"].as_str().expect("ca");
        use base64::Engine;
        let ca_pem = base64::engine::general_purpose::STANDARD
            .decode(ca_data)
            .expect("base64");
        let ca = dir.path().join("bench-ca.pem");
        std::fs::write(&ca, ca_pem).expect("write ca");
        let token = config["users"][0]["user"]["token"]
            .as_str()
            .expect("token")
            .to_string();
        (
            Server {
                child,
                kubeconfig,
                ca,
                token,
                url,
                _dir: dir,
            },
            ready,
        )
    }

    fn kubectl(&self, args: &[&str]) -> String {
        let out = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .output()
            .expect("kubectl");
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// (time to first byte, total, bytes) of a GET with curl.
    fn curl(&self, path: &str) -> (Duration, Duration, u64) {
        let out = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{time_starttransfer} %{time_pretransfer} %{time_total} %{size_download}",
            ])
            .arg("--cacert")
            .arg(&self.ca)
            .args(["-H", &format!("Authorization: Bearer {}", self.token)])
            .arg(format!("{}{path}", self.url))
            .output()
            .expect("curl");
        let text = String::from_utf8_lossy(&out.stdout);
        let parts: Vec<f64> = text
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        let secs = |s: f64| Duration::from_secs_f64(s.max(0.0));
        (
            secs(parts[0] - parts[1]),
            secs(parts[2] - parts[1]),
            parts[3] as u64,
        )
    }

    fn get_json(&self, path: &str) -> serde_json::Value {
        let out = Command::new("curl")
            .args(["-s", "--cacert"])
            .arg(&self.ca)
            .args(["-H", &format!("Authorization: Bearer {}", self.token)])
            .arg(format!("{}{path}", self.url))
            .output()
            .expect("curl");
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    }

    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("proc status");
        let kib: f64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .expect("VmRSS");
        kib / 1024.0
    }

    /// Creates a Deployment of `replicas` and returns the time until all are available.
    fn deploy_and_wait(&self, name: &str, replicas: usize, timeout: Duration) -> Duration {
        let manifest = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: app\n        image: podium/echo:v1\n"
        );
        let file = self._dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, manifest).expect("manifest");
        let started = Instant::now();
        self.kubectl(&["create", "-f", &file.display().to_string()]);
        let path = format!("/apis/apps/v1/namespaces/default/deployments/{name}");
        while started.elapsed() < timeout {
            let d = self.get_json(&path);
            if d["status"]["availableReplicas"].as_u64() == Some(replicas as u64) {
                return started.elapsed();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{replicas} replicas not available within {timeout:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // Ten nodes of 1,100 pods hold the 10k pods (each kubelet sees every
    // pod event, so a hundred 110-pod nodes would measure fan-out instead).
    let nodes = std::env::var("PODIUM_BENCH_NODES").unwrap_or_else(|_| "10".into());
    let mut rows: Vec<(String, String, String)> = Vec::new();

    let starts: Vec<Duration> = (0..5).map(|_| Server::start("1").1).collect();
    rows.push((
        "process start → API ready (median of 5)".into(),
        ms(median(starts)),
        "≤ 150 ms".into(),
    ));

    let (server, _) = Server::start(&nodes);
    let t1k = server.deploy_and_wait("bench-1k", 1_000, Duration::from_secs(120));
    std::thread::sleep(Duration::from_millis(500));
    rows.push(("1,000 replicas → all available".into(), ms(t1k), "—".into()));
    rows.push((
        "RSS with 1,000 pods".into(),
        format!("{:.1} MiB", server.rss_mib()),
        "≤ 50 MB".into(),
    ));
    drop(server);

    let (server, _) = Server::start(&nodes);
    let t10k = server.deploy_and_wait("bench-10k", 10_000, Duration::from_secs(600));
    rows.push((
        "10,000 replicas → all available".into(),
        ms(t10k),
        "≤ 2 s".into(),
    ));
    let lists: Vec<(Duration, Duration, u64)> =
        (0..5).map(|_| server.curl("/api/v1/pods")).collect();
    let bytes = lists[0].2;
    rows.push((
        format!(
            "raw list of 10k pods, first byte (streamed; median of 5; {:.1} MB)",
            bytes as f64 / 1e6
        ),
        ms(median(lists.iter().map(|l| l.0).collect())),
        "≤ 100 ms".into(),
    ));
    rows.push((
        "raw list of 10k pods, complete (median of 5)".into(),
        ms(median(lists.iter().map(|l| l.1).collect())),
        "—".into(),
    ));
    let gets: Vec<Duration> = (0..3)
        .map(|_| {
            let t = Instant::now();
            let out = server.kubectl(&["get", "pods"]);
            assert!(out.lines().count() > 10_000);
            t.elapsed()
        })
        .collect();
    rows.push((
        "`kubectl get pods` at 10k pods (median of 3)".into(),
        ms(median(gets)),
        "≤ 1 s".into(),
    ));
    rows.push((
        "RSS with 10,000 pods".into(),
        format!("{:.1} MiB", server.rss_mib()),
        "—".into(),
    ));

    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    println!(
        "\n| {:width$} | {:>12} | {:>9} |",
        "measure", "measured", "target"
    );
    println!(
        "|{}|{}|{}|",
        "-".repeat(width + 2),
        "-".repeat(14),
        "-".repeat(11)
    );
    for (what, value, target) in rows {
        println!("| {what:width$} | {value:>12} | {target:>9} |");
    }
}
