//! The console on a cluster of 10,000 pods through kube-rs (the remote
//! handle) against the embedded handle, in the same run. Prints a table.
//!
//!     cargo bench --bench remote_console
//!
//! 1. `podium serve --runtime sim` (a separate process) runs 10,000 pods.
//! 2. Remote: this process opens the console on it through its kubeconfig:
//!    open → first frame, open → a complete pod list on screen, frame time
//!    once it is there, and the RSS this process gained (the cache).
//! 3. The server is stopped and this process starts the same cluster from
//!    its data directory, embedded: start → first frame, start → the
//!    complete list, frame time, RSS gained (the whole control plane).
//!
//! Target (issue: the console on any cluster): a frame ≤ 5 ms at 10,000
//! pods, memory bounded.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use podium::api::Kind;
use podium::cluster::{Cluster, ClusterConfig};
use podium::handle::ClusterHandle;
use podium::handle::kube::{KubeHandle, KubeTarget};
use podium::tui::app::App;
use podium::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PODS: usize = 10_000;
const FRAMES: usize = 60;

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("VmRSS");
    kib / 1024.0
}

fn serve(dir: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["serve", "--runtime", "sim", "--sim-latency", "0"])
        .args([
            "--listen",
            "127.0.0.1:0",
            "--nodes",
            "10",
            "--max-pods",
            "1100",
        ])
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("podium serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let _ready = lines.next().expect("ready line").expect("utf-8");
    std::thread::spawn(move || for _ in lines {});
    child
}

fn deployment() -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: bulk, namespace: default}}\n\
         spec:\n  replicas: {PODS}\n  selector: {{matchLabels: {{app: bulk}}}}\n  \
         template:\n    metadata: {{labels: {{app: bulk}}}}\n    \
         spec: {{containers: [{{name: main, image: podium/echo:1.0}}]}}\n"
    )
}

fn running(handle: &dyn ClusterHandle) -> usize {
    handle
        .list(Kind::Pod, Some("default"))
        .iter()
        .filter(|pod| match pod.as_ref() {
            podium::api::Object::Pod(pod) => {
                pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
            }
            _ => false,
        })
        .count()
}

struct Figures {
    first_frame: Duration,
    complete: Duration,
    median: Duration,
    p95: Duration,
    rss_added: f64,
}

/// Opens the console on `handle` (opened at `started`, RSS `rss_before`):
/// first frame, the full list on screen, then timed frames.
async fn measure(handle: Arc<dyn ClusterHandle>, started: Instant, rss_before: f64) -> Figures {
    let (sender, _actions) = tokio::sync::mpsc::unbounded_channel();
    let mut app = App::new(handle.clone(), Theme::dark(), sender);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    terminal.draw(|frame| app.draw(frame)).expect("draw");
    let first_frame = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        app.refresh_changed(&[Kind::Pod]);
        terminal.draw(|frame| app.draw(frame)).expect("draw");
        if app.model.rows.len() == PODS {
            break;
        }
        assert!(Instant::now() < deadline, "the list never completed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let complete = started.elapsed();
    let mut frames = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        let at = Instant::now();
        app.refresh_changed(&[Kind::Pod, Kind::Event]);
        terminal.draw(|frame| app.draw(frame)).expect("draw");
        frames.push(at.elapsed());
    }
    frames.sort();
    Figures {
        first_frame,
        complete,
        median: frames[FRAMES / 2],
        p95: frames[FRAMES * 95 / 100],
        rss_added: rss_mib() - rss_before,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = serve(dir.path());
    let kubeconfig = dir.path().join("kubeconfig");
    let target = KubeTarget {
        kubeconfig: Some(kubeconfig),
        context: None,
    };

    // The pods, created through the remote handle itself.
    {
        let loader = KubeHandle::open(target.clone()).await.expect("kubeconfig");
        loader.apply(&deployment(), false).await.expect("apply");
        let deadline = Instant::now() + Duration::from_secs(300);
        while running(&loader) < PODS {
            assert!(Instant::now() < deadline, "pods never ran");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    // Let the dropped loader's watches end before measuring memory.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let rss_before = rss_mib();
    let started = Instant::now();
    let remote: Arc<dyn ClusterHandle> =
        Arc::new(KubeHandle::open(target).await.expect("kubeconfig"));
    let remote_figures = measure(remote.clone(), started, rss_before).await;
    drop(remote);

    let _ = Command::new("kill").arg(server.id().to_string()).status();
    let _ = server.wait();

    let rss_before = rss_mib();
    let started = Instant::now();
    let cluster = Cluster::start(ClusterConfig {
        in_memory: false,
        nodes: 10,
        max_pods: 1100,
        ..ClusterConfig::sim_in_memory(dir.path())
    })
    .await
    .expect("the same cluster, embedded");
    let embedded_figures = measure(cluster.handle(), started, rss_before).await;
    cluster.shutdown();

    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!("console over {PODS} pods, 120x40 — target: frame ≤ 5 ms at 10,000 pods");
    println!(
        "| handle | open → first frame | open → complete pod list | frame median | frame p95 | RSS added |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, f) in [
        ("kube-rs → podium serve", &remote_figures),
        (
            "embedded (cluster started from its data dir)",
            &embedded_figures,
        ),
    ] {
        println!(
            "| {name} | {} | {} | {} | {} | {:.1} MiB |",
            ms(f.first_frame),
            ms(f.complete),
            ms(f.median),
            ms(f.p95),
            f.rss_added
        );
    }
}
