//! The Docker runtime's speed against Docker itself, in the same run, on
//! the local engine with the local image (`podium images demo`). Prints a
//! table.
//!
//!     cargo bench --bench docker_runtime
//!
//! Targets (issue: Docker runtime):
//! - scale 0 → 50 pods, against a raw bollard program that creates and
//!   starts 50 containers in parallel: ratio ≤ 1.15. The raw program puts
//!   its containers where pods live, on podium's network (`podium-pods`, a
//!   user-defined bridge: the issue asks for a podium network and pod IPs on
//!   it, and Docker refuses fixed IPs on its default bridge), so both sides
//!   ask the engine for the same work;
//! - a rollout of 5 replicas (surge 1, unavailable 1, readiness period
//!   1 s) against the bound waves × (container start + first ready probe):
//!   ≤ 1.10. The raw program measures that bound by doing the waves: it
//!   stops and starts containers as the deployment's arithmetic allows and
//!   probes each new one until it answers, so each container start is
//!   timed beside the stops and the other start of its wave, as in the
//!   rollout. The two rollouts run in 9 pairs, each side first in turn,
//!   and the ratio is of the two medians. (One container started alone is
//!   a third faster on two cores; that reading of the bound is kept as a
//!   row for the record.)
//!
//! Podium's scale is driven by kubectl, as a user drives it (its start,
//! about 0.1 s a command, is lost in 7 s); the rollout and the single pod
//! go through one kube-rs connection, timed from the request to the
//! watched outcome, so those figures hold podium's work only.
//!
//! One more row, for the record: podium against the raw program on
//! Docker's default bridge, to show what the user-defined network costs.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bollard::Docker;

#[path = "docker_runtime/client.rs"]
mod client;
#[path = "docker_runtime/raw.rs"]
mod raw;

const IMAGE: &str = "podium/echo:1.0";
const SCALE: usize = 50;
const RUNS: usize = 3;
/// A rollout takes about a second and the engine's own rollout moves by
/// 0.2 s from one to the next, so a median of 3 swings with single slow
/// container starts; the rollouts are cheap enough to take many.
const ROLLOUT_PAIRS: usize = 9;

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

    fn kubectl(&self, args: &[&str]) -> String {
        let out = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .output()
            .expect("kubectl runs");
        assert!(
            out.status.success(),
            "kubectl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn apply(&self, yaml: &str) {
        use std::io::Write;
        let mut child = Command::new("kubectl")
            .args(["apply", "-f", "-"])
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("kubectl apply");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(yaml.as_bytes())
            .expect("write");
        assert!(child.wait().expect("apply ends").success());
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

/// Scale 0 → 50 with podium: from `kubectl scale` to 50 pods ready
/// (no probe: ready as soon as the container started).
fn podium_scale(podium: &Podium, run: usize) -> Duration {
    let name = format!("scale{run}");
    podium.kubectl(&[
        "create",
        "deployment",
        &name,
        &format!("--image={IMAGE}"),
        "--replicas=0",
    ]);
    let began = Instant::now();
    podium.kubectl(&[
        "scale",
        &format!("deployment/{name}"),
        &format!("--replicas={SCALE}"),
    ]);
    podium.kubectl(&[
        "wait",
        &format!("deployment/{name}"),
        &format!("--for=jsonpath={{.status.readyReplicas}}={SCALE}"),
        "--timeout=300s",
    ]);
    let took = began.elapsed();
    podium.kubectl(&["delete", "deployment", &name, "--wait=false"]);
    wait_for_no_pods(podium);
    took
}

fn wait_for_no_pods(podium: &Podium) {
    let start = Instant::now();
    while !podium
        .kubectl(&["get", "pods", "-o", "name"])
        .trim()
        .is_empty()
    {
        assert!(start.elapsed() < Duration::from_secs(300), "pods not gone");
        std::thread::sleep(Duration::from_millis(500));
    }
}

const ROLLING: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: roll}
spec:
  replicas: 5
  selector: {matchLabels: {app: roll}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  template:
    metadata: {labels: {app: roll}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: echo
        image: podium/echo:1.0
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
"#;

/// One pod's time from creation to Ready: container start + first probe.
async fn single_pod_ready(client: &client::Client, run: usize) -> Duration {
    let name = format!("single{run}");
    let pod = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"bench": "single"}},
        "spec": {"containers": [{
            "name": "echo",
            "image": IMAGE,
            "ports": [{"containerPort": 8080}],
            "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1},
        }]},
    }))
    .expect("a pod");
    let took = client.pod_ready(pod).await;
    client.delete_pod(&name).await;
    took
}

/// The rollout 1.0 → 2.0 (and back on odd runs).
async fn rollout(client: &client::Client, run: usize) -> Duration {
    let image = if run.is_multiple_of(2) {
        "podium/echo:2.0"
    } else {
        IMAGE
    };
    client.rollout("roll", "echo", image).await
}

/// Waves of a rolling update, by upstream's arithmetic: old pods go as far
/// as availability allows (new pods count once ready), new pods fill up to
/// replicas + surge, and a wave ends when the started pods are ready.
fn waves(replicas: i64, surge: i64, unavailable: i64) -> usize {
    let min_available = replicas - unavailable;
    let (mut old, mut new_ready) = (replicas, 0);
    let mut waves = 0;
    while new_ready < replicas {
        let available = old + new_ready;
        old -= old.min((available - min_available).max(0));
        let new_total = replicas.min(replicas + surge - old);
        if new_total <= new_ready {
            break;
        }
        new_ready = new_total;
        waves += 1;
    }
    waves
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// Each pair's ratio, podium over the raw program, in order.
fn ratios(ours: &[Duration], raw: &[Duration]) -> Vec<f64> {
    let mut ratios: Vec<f64> = ours
        .iter()
        .zip(raw)
        .map(|(ours, raw)| ours.as_secs_f64() / raw.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let docker = runtime
        .block_on(async {
            Docker::connect_with_local_defaults()?
                .negotiate_version()
                .await
        })
        .expect("the Docker engine answers");
    let podium = Podium::start();

    let mut raw = Vec::new();
    let mut raw_on_network = Vec::new();
    let mut ours = Vec::new();
    for run in 0..RUNS {
        raw.push(runtime.block_on(raw::scale(&docker, IMAGE, SCALE, None)));
        ours.push(podium_scale(&podium, run));
        let network = Some(podium::kubelet::docker::NETWORK);
        raw_on_network.push(runtime.block_on(raw::scale(&docker, IMAGE, SCALE, network)));
    }
    let (raw, raw_on_network, ours) = (median(raw), median(raw_on_network), median(ours));

    let client = runtime.block_on(client::Client::new(&podium.kubeconfig));
    let mut single = Vec::new();
    for run in 0..RUNS {
        single.push(runtime.block_on(single_pod_ready(&client, run)));
    }
    let single = median(single);
    podium.apply(ROLLING);
    podium.kubectl(&["rollout", "status", "deployment/roll", "--timeout=300s"]);
    // In pairs, each side first in turn, so that a drift of the machine
    // hits both sides alike.
    let (mut rollouts, mut raw_rollouts) = (Vec::new(), Vec::new());
    for run in 0..ROLLOUT_PAIRS {
        let raw_rollout = || {
            let images = (IMAGE, "podium/echo:2.0");
            let network = podium::kubelet::docker::NETWORK;
            runtime.block_on(raw::rollout(&docker, network, images, (5, 1, 1)))
        };
        if run.is_multiple_of(2) {
            rollouts.push(runtime.block_on(rollout(&client, run)));
            raw_rollouts.push(raw_rollout());
        } else {
            raw_rollouts.push(raw_rollout());
            rollouts.push(runtime.block_on(rollout(&client, run)));
        }
    }
    let pairs_in_order: Vec<String> = rollouts
        .iter()
        .zip(&raw_rollouts)
        .map(|(ours, raw)| format!("{:.2}/{:.2}", ours.as_secs_f64(), raw.as_secs_f64()))
        .collect();
    let pair_ratios = ratios(&rollouts, &raw_rollouts);
    let rolled = median(rollouts);
    let raw_rolled = median(raw_rollouts);
    let wave_count = waves(5, 1, 1);
    let bound = single * u32::try_from(wave_count).unwrap_or(1);

    let scale_ratio = ours.as_secs_f64() / raw_on_network.as_secs_f64();
    let rollout_ratio = rolled.as_secs_f64() / raw_rolled.as_secs_f64();
    println!(
        "\nDocker runtime (medians: scale and one pod of {RUNS} runs, rollouts of {ROLLOUT_PAIRS} pairs; engine and podium on this machine)\n"
    );
    println!("| measure | podium | baseline | ratio | target |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| scale 0 → {SCALE} pods vs raw bollard create+start of {SCALE} on podium's network | {} | {} | {scale_ratio:.2} | ≤ 1.15 |",
        secs(ours),
        secs(raw_on_network)
    );
    println!(
        "| (for the record) the same scale vs the raw program on Docker's default bridge | {} | {} | {:.2} | — |",
        secs(ours),
        secs(raw),
        ours.as_secs_f64() / raw.as_secs_f64()
    );
    println!(
        "| rollout of 5 (surge 1, unavailable 1) vs the same waves by the raw program (starts beside stops, probed until they answer) | {} | {} | {rollout_ratio:.2} | ≤ 1.10 |",
        secs(rolled),
        secs(raw_rolled)
    );
    println!(
        "| (for the record) each pair's rollout ratio, lowest to highest | | | {} | — |",
        pair_ratios
            .iter()
            .map(|ratio| format!("{ratio:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "| (for the record) the pairs in run order, podium/raw, in s | | | {} | — |",
        pairs_in_order.join(" ")
    );
    println!(
        "| (for the record) the same rollout vs {wave_count} waves × one pod alone to Ready ({}) | {} | {} | {:.2} | — |",
        secs(single),
        secs(rolled),
        secs(bound),
        rolled.as_secs_f64() / bound.as_secs_f64()
    );
    println!(
        "| (for the record) the raw program's rollout vs the same {wave_count} waves × one pod alone | {} | {} | {:.2} | — |",
        secs(raw_rolled),
        secs(bound),
        raw_rolled.as_secs_f64() / bound.as_secs_f64()
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn five_replicas_with_surge_and_unavailable_one_take_three_waves() {
        assert_eq!(super::waves(5, 1, 1), 3);
    }
}
