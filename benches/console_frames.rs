//! The console's frame time: one model update from the cluster handle
//! plus one draw into a 120x40 buffer, over an in-process cluster on the
//! simulated runtime holding 100, 1,000 and 10,000 pods. Prints a table.
//!
//!     cargo bench --bench console_frames
//!
//! Target (issue: the console): a frame at 10,000 pods takes ≤ 5 ms.

use std::time::{Duration, Instant};

use podium::api::Kind;
use podium::cluster::{Cluster, ClusterConfig};
use podium::handle::ClusterHandle;
use podium::tui::app::App;
use podium::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The allocator the podium binary runs with (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FRAMES: usize = 60;

/// One way of bringing the model up to date before a frame.
type Refresh = dyn Fn(&mut App);
const SIZES: [usize; 3] = [100, 1_000, 10_000];

/// `CONSOLE_BENCH_PODS=10000 CONSOLE_BENCH_FRAMES=2000` times one size for
/// longer, for a profiler.
fn sizes_and_frames() -> (Vec<usize>, usize) {
    let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    let sizes = number("CONSOLE_BENCH_PODS").map_or_else(|| SIZES.to_vec(), |pods| vec![pods]);
    (sizes, number("CONSOLE_BENCH_FRAMES").unwrap_or(FRAMES))
}

async fn cluster(dir: &std::path::Path, pods: usize) -> Cluster {
    Cluster::start(ClusterConfig {
        nodes: pods.div_ceil(100).max(1),
        ..ClusterConfig::sim_in_memory(dir)
    })
    .await
    .expect("cluster starts")
}

fn deployment(replicas: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: bulk, namespace: default}}\n\
         spec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: bulk}}}}\n  \
         template:\n    metadata: {{labels: {{app: bulk}}}}\n    \
         spec: {{containers: [{{name: main, image: podium/echo:1.0}}]}}\n"
    )
}

/// Waits until `pods` pods run, so the control plane is quiet while frames
/// are timed.
async fn wait_for_pods(handle: &dyn ClusterHandle, pods: usize) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        let running = handle
            .table(Kind::Pod, &handle.list(Kind::Pod, Some("default")))
            .rows
            .iter()
            .filter(|row| row.cells.get(2).is_some_and(|status| status == "Running"))
            .count();
        if running == pods {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("{pods} pods never ran");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (sizes, frame_count) = sizes_and_frames();
    println!(
        "console frame: model update + draw, 120x40, {frame_count} frames — target ≤ 5 ms at 10,000 pods"
    );
    println!("| pods | frame after | median | p95 | max |");
    println!("|---:|---|---:|---:|---:|");
    for pods in sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        let cluster = cluster(dir.path(), pods).await;
        let handle = cluster.handle();
        handle
            .apply(&deployment(pods), false)
            .await
            .expect("the deployment applies");
        wait_for_pods(handle.as_ref(), pods).await;
        let (sender, _actions) = tokio::sync::mpsc::unbounded_channel();
        let mut app = App::new(handle.clone(), Theme::dark(), sender);
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mut time = |refresh: &dyn Fn(&mut App)| {
            let mut frames = Vec::with_capacity(frame_count);
            for _ in 0..frame_count {
                let started = Instant::now();
                refresh(&mut app);
                terminal.draw(|frame| app.draw(frame)).expect("draw");
                frames.push(started.elapsed());
            }
            frames.sort();
            frames
        };
        let cases: [(&str, &Refresh); 2] = [
            ("pods changed", &|app| app.refresh_changed(&[Kind::Pod])),
            ("pods and events changed", &|app| {
                app.refresh_changed(&[Kind::Pod, Kind::Event])
            }),
        ];
        for (what, refresh) in cases {
            let frames = time(refresh);
            println!(
                "| {pods} | {what} | {:.2} ms | {:.2} ms | {:.2} ms |",
                ms(percentile(&frames, 0.5)),
                ms(percentile(&frames, 0.95)),
                ms(frames[frames.len() - 1])
            );
        }
        drop(app);
        cluster.shutdown();
    }
}
