//! A console over an in-memory cluster on the simulated runtime, a
//! TestBackend terminal, and helpers to type keys and wait for the screen.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use podium::api::{Kind, Object};
use podium::cluster::{Cluster, ClusterConfig, RuntimeChoice};
use podium::handle::kube::{KubeHandle, KubeTarget};
use podium::tui::app::{Action, App};
use podium::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use tokio::sync::mpsc;

pub struct Console {
    pub app: App,
    pub terminal: Terminal<TestBackend>,
    actions: mpsc::UnboundedReceiver<Action>,
    pub cluster: Cluster,
    /// On Docker: the cluster id whose containers are removed on drop.
    docker_cluster: Option<String>,
    _dir: tempfile::TempDir,
}

/// Which `ClusterHandle` the console runs on: the embedded one, or
/// kube-rs pointed at the same cluster's API server through its kubeconfig.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Kube,
}

impl Console {
    pub async fn start() -> Console {
        Console::start_on(RuntimeChoice::Sim).await
    }

    pub async fn start_with(backend: Backend) -> Console {
        let mut console = Console::start().await;
        if backend == Backend::Kube {
            let handle = KubeHandle::open(KubeTarget {
                kubeconfig: Some(console.cluster.kubeconfig.clone()),
                context: None,
            })
            .await
            .expect("the cluster's kubeconfig opens");
            let (sender, actions) = mpsc::unbounded_channel();
            console.app = App::new(std::sync::Arc::new(handle), Theme::dark(), sender);
            console.actions = actions;
        }
        console
    }

    /// A console over pods on the local Docker engine; its containers are
    /// removed when it is dropped.
    pub async fn start_docker() -> Console {
        Console::start_on(RuntimeChoice::Docker).await
    }

    /// A console over a cluster started `--offline` (on the simulated
    /// runtime, where only the header shows it).
    pub async fn start_offline() -> Console {
        Console::start_configured(RuntimeChoice::Sim, true).await
    }

    async fn start_on(runtime: RuntimeChoice) -> Console {
        Console::start_configured(runtime, false).await
    }

    async fn start_configured(runtime: RuntimeChoice, offline: bool) -> Console {
        let docker = matches!(runtime, RuntimeChoice::Docker);
        let dir = tempfile::tempdir().expect("temp dir");
        let cluster = Cluster::start(ClusterConfig {
            runtime: Some(runtime),
            offline,
            ..ClusterConfig::sim_in_memory(dir.path())
        })
        .await
        .expect("cluster starts");
        let (sender, actions) = mpsc::unbounded_channel();
        let app = App::new(cluster.handle(), Theme::dark(), sender);
        let terminal = Terminal::new(TestBackend::new(140, 40)).expect("terminal");
        let docker_cluster = docker.then(|| {
            std::fs::read_to_string(dir.path().join("cluster-id"))
                .expect("the cluster id in the data directory")
                .trim()
                .to_string()
        });
        Console {
            app,
            terminal,
            actions,
            cluster,
            docker_cluster,
            _dir: dir,
        }
    }

    /// What tasks reported since the last call (write answers, logs).
    pub fn take_actions(&mut self) -> Vec<Action> {
        let mut taken = Vec::new();
        while let Ok(action) = self.actions.try_recv() {
            taken.push(action);
        }
        taken
    }

    pub fn key(&mut self, code: KeyCode) {
        self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    pub fn ctrl(&mut self, c: char) {
        self.app
            .on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    }

    pub fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// `:command` then Enter.
    pub fn command(&mut self, command: &str) {
        self.key(KeyCode::Char(':'));
        self.typed(command);
        self.key(KeyCode::Enter);
    }

    /// `:command`, then waits until a row starting with `row` is listed:
    /// on the kube-rs handle the view fills from its watch a moment later,
    /// and a user presses a key on the row they see.
    pub async fn command_showing(&mut self, command: &str, row: &str) {
        self.command(command);
        self.wait_until(&format!("{row} listed in :{command}"), |s| {
            rows_starting(s, row) > 0
        })
        .await;
    }

    /// `/` with `text`, then Enter: the table's filter, or the logs' search.
    pub fn search(&mut self, text: &str) {
        self.key(KeyCode::Char('/'));
        self.typed(text);
        self.key(KeyCode::Enter);
    }

    /// Puts an object straight into the cluster's store, as another client
    /// would create it.
    pub fn create(&mut self, kind: Kind, object: serde_json::Value) {
        let object = Object::from_json(kind, object).expect("a valid object");
        self.cluster.store.create(object).expect("created");
    }

    /// Replaces a prompt's prefilled answer with `answer` and confirms.
    pub fn answer(&mut self, answer: &str) {
        for _ in 0..80 {
            self.key(KeyCode::Backspace);
        }
        self.typed(answer);
        self.key(KeyCode::Enter);
    }

    pub fn screen(&mut self) -> String {
        let app = &mut self.app;
        self.terminal.draw(|frame| app.draw(frame)).expect("draw");
        buffer_text(self.terminal.backend().buffer())
    }

    pub fn buffer(&mut self) -> Buffer {
        let app = &mut self.app;
        self.terminal.draw(|frame| app.draw(frame)).expect("draw");
        self.terminal.backend().buffer().clone()
    }

    /// Feeds task results and watch changes to the app until `done` holds
    /// for the screen, or fails after 10 s showing the last screen.
    pub async fn wait_until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            while let Ok(action) = self.actions.try_recv() {
                self.app.on_action(action);
            }
            self.app.refresh();
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen shows:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.cluster.shutdown();
        if let Some(id) = &self.docker_cluster {
            remove_docker_cluster(id);
        }
    }
}

/// Removes every container (and sandbox) a cluster left on Docker, and
/// its Service address networks (they hold ClusterIPs on the host).
pub fn remove_docker_cluster(cluster_id: &str) {
    let label = format!("label=podium.dev/cluster={cluster_id}");
    for (list, remove) in [
        (&["ps", "-aq", "--filter"][..], &["rm", "-f"][..]),
        (
            &["network", "ls", "-q", "--filter"][..],
            &["network", "rm"][..],
        ),
    ] {
        let Ok(listed) = std::process::Command::new("docker")
            .args(list)
            .arg(&label)
            .output()
        else {
            return;
        };
        let ids: Vec<String> = String::from_utf8_lossy(&listed.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if !ids.is_empty() {
            let _ = std::process::Command::new("docker")
                .args(remove)
                .args(&ids)
                .output();
        }
    }
}

pub fn buffer_text(buffer: &Buffer) -> String {
    let width = buffer.area.width as usize;
    buffer
        .content
        .chunks(width)
        .map(|row| {
            row.iter()
                .map(|cell| cell.symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The sample's path from the repository root, as a user in the checkout types it.
pub fn sample(name: &str) -> String {
    format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Rows of the table whose first cell starts with `prefix`.
/// Table rows that start with `prefix` and contain `text`.
pub fn rows_with(screen: &str, prefix: &str, text: &str) -> usize {
    screen
        .lines()
        .map(|line| line.trim_start_matches('│'))
        .filter(|line| line.starts_with(prefix) && line.contains(text))
        .count()
}

pub fn rows_starting(screen: &str, prefix: &str) -> usize {
    screen
        .lines()
        .filter(|line| line.trim_start_matches('│').starts_with(prefix))
        .count()
}
