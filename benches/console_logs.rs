//! The console's logs view following a pod that writes 100,000 lines a
//! second (the simulated runtime's generator, lines numbered in order),
//! for 10 s, with frames drawn as the console draws them. Prints lines
//! received, lines skipped (gaps in the numbering plus the source's own
//! "lines skipped" notices), the lag of the newest line at each second,
//! and the process's RSS.
//!
//!     cargo bench --bench console_logs
//!
//! Target (issue: the console): 0 lines skipped at 100k lines/s with the
//! default buffer.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use podium::cluster::{Cluster, ClusterConfig};
use podium::tui::app::{Action, App};
use podium::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The allocator the podium binary runs with (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RATE: u64 = 100_000;
const WINDOW: Duration = Duration::from_secs(10);
const FRAME: Duration = Duration::from_millis(16);

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: chatty\n  namespace: default\n  \
annotations: {sim.podium.dev/log-lines-per-second: \"100000\"}\n\
spec: {containers: [{name: web, image: nginx:1.27}]}\n";

/// What the lines received so far say.
#[derive(Default)]
struct Tally {
    received: u64,
    first: Option<u64>,
    last: Option<u64>,
    gaps: u64,
    notices: u64,
    /// The newest line's age when sampled, each second.
    lags: Vec<Duration>,
}

impl Tally {
    fn line(&mut self, text: &str) {
        if text.contains("lines skipped") {
            self.notices += 1;
            return;
        }
        let Some(n) = text
            .split("/?n=")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
        else {
            return;
        };
        self.received += 1;
        if let Some(last) = self.last
            && n > last + 1
        {
            self.gaps += n - last - 1;
        }
        self.first.get_or_insert(n);
        self.last = Some(n);
    }
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = Cluster::start(ClusterConfig::sim_in_memory(dir.path()))
        .await
        .expect("cluster starts");
    let handle = cluster.handle();
    handle.apply(POD, false).await.expect("the pod applies");
    let (sender, mut actions) = tokio::sync::mpsc::unbounded_channel();
    let mut app = App::new(handle.clone(), Theme::dark(), sender);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let started = Instant::now();
    while !app
        .model
        .rows
        .first()
        .is_some_and(|row| row.cells.iter().any(|cell| cell == "Running"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the pod never ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        app.refresh();
    }
    app.on_key(KeyEvent::new(KeyCode::Char('l'), KeyModifiers::NONE));
    assert!(app.logs_view().is_some(), "the logs view opens");

    let mut tally = Tally::default();
    let mut frame = tokio::time::interval(FRAME);
    let mut second = tokio::time::interval(Duration::from_secs(1));
    second.tick().await;
    let deadline = tokio::time::Instant::now() + WINDOW;
    let mut frames = 0u64;
    loop {
        tokio::select! {
            Some(action) = actions.recv() => {
                if let Action::Log { line, .. } = &action {
                    tally.line(&line.text);
                }
                app.on_action(action);
            }
            _ = frame.tick() => {
                terminal.draw(|f| app.draw(f)).expect("draw");
                frames += 1;
            }
            _ = second.tick() => {
                let newest = app.logs_view().and_then(|view| view.newest_timestamp());
                if let Some(at) = newest {
                    let age = podium::clock::now().duration_since(at);
                    tally.lags.push(Duration::try_from(age).unwrap_or_default());
                }
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    let rss = rss_mib();
    let expected = match (tally.first, tally.last) {
        (Some(first), Some(last)) => last - first + 1,
        _ => 0,
    };
    let mut lags = tally.lags.clone();
    lags.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "logs view following {RATE} lines/s for {} s (sim runtime, default buffer {} lines, {frames} frames drawn) — target: 0 skipped",
        WINDOW.as_secs(),
        10_000
    );
    println!(
        "| lines received | lines/s | skipped (gaps + notices) | lag median | lag max | RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {:.0} | {} + {} | {:.0} ms | {:.0} ms | {rss:.1} MiB |",
        tally.received,
        tally.received as f64 / WINDOW.as_secs_f64(),
        tally.gaps + expected.saturating_sub(tally.received + tally.gaps),
        tally.notices,
        lags.get(lags.len() / 2).map_or(0.0, |d| ms(*d)),
        lags.last().map_or(0.0, |d| ms(*d)),
    );
    cluster.shutdown();
}
