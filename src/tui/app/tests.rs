//! Key routing of the shell and port-forward keys, over a real cluster on
//! the simulated runtime: which key opens what, and what the user reads.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::UnboundedReceiver;

use super::*;
use crate::cluster::{Cluster, ClusterConfig};

const OBJECTS: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: solo
  labels: {app: solo}
spec:
  containers:
  - name: web
    image: podium/echo:1.0
    ports:
    - containerPort: 8080
---
apiVersion: v1
kind: Pod
metadata:
  name: duo
spec:
  containers:
  - name: main
    image: podium/echo:1.0
  - name: side
    image: podium/echo:1.0
---
apiVersion: v1
kind: Pod
metadata:
  name: broken
spec:
  containers:
  - name: app
    image: registry.invalid/app:1
---
apiVersion: v1
kind: Service
metadata:
  name: solo
spec:
  selector: {app: solo}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: podium/echo:1.0
";

struct Fixture {
    app: App,
    actions: UnboundedReceiver<Action>,
    cluster: Cluster,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn start() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let cluster = Cluster::start(ClusterConfig::sim_in_memory(dir.path()))
            .await
            .expect("cluster starts");
        cluster
            .handle()
            .apply(OBJECTS, false)
            .await
            .expect("objects created");
        let (sender, actions) = tokio::sync::mpsc::unbounded_channel();
        let app = App::new(cluster.handle(), Theme::dark(), sender);
        let mut fixture = Fixture {
            app,
            actions,
            cluster,
            _dir: dir,
        };
        fixture
            .wait("the three pods running", |app| {
                app.model
                    .rows
                    .iter()
                    .filter(|row| row.cells.iter().any(|c| c == "Running"))
                    .count()
                    == 3
            })
            .await;
        fixture
    }

    fn key(&mut self, code: KeyCode) {
        self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Replaces a prompt's answer and confirms it.
    fn answer(&mut self, text: &str) {
        for _ in 0..40 {
            self.key(KeyCode::Backspace);
        }
        self.typed(text);
        self.key(KeyCode::Enter);
    }

    fn command(&mut self, command: &str) {
        self.key(KeyCode::Char(':'));
        self.typed(command);
        self.key(KeyCode::Enter);
    }

    fn select(&mut self, name: &str) {
        self.app.refresh();
        self.app.model.selected = self
            .app
            .model
            .rows
            .iter()
            .position(|row| row.object.name() == name)
            .unwrap_or_else(|| panic!("no row {name}"));
    }

    fn flash(&self) -> String {
        self.app
            .model
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default()
    }

    /// Feeds task results to the app until `done` holds (10 s at most).
    async fn wait(&mut self, what: &str, done: impl Fn(&mut App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            while let Ok(action) = self.actions.try_recv() {
                self.app.on_action(action);
            }
            self.app.refresh();
            if done(&mut self.app) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; flash: {:?}",
                self.app.model.flash
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_opens_a_shell_on_a_pod_and_scales_a_deployment() {
    let mut fx = Fixture::start().await;
    fx.select("solo");
    fx.key(KeyCode::Char('s'));
    assert_eq!(fx.app.model.mode, Mode::Normal, "no scale prompt on a pod");
    assert!(
        fx.flash()
            .contains("opening a shell in default/solo (container web)")
    );
    fx.wait("the shell to be found", |app| app.shell.is_some())
        .await;
    let shell = fx.app.take_shell().expect("a shell to hand the terminal");
    assert_eq!(shell.command, vec!["/bin/sh"]);
    assert_eq!(shell.container, "web");
    assert_eq!(shell.which, "/bin/sh");
    assert!(fx.app.take_shell().is_none(), "handed over once");

    fx.app.on_action(Action::ShellEnded(Ok(0)));
    assert_eq!(fx.flash(), "shell exited (code 0)");

    fx.command("deploy");
    fx.select("web");
    fx.key(KeyCode::Char('s'));
    assert!(matches!(
        &fx.app.model.mode,
        Mode::Prompt(Prompt {
            purpose: PromptPurpose::Scale(_),
            ..
        })
    ));
    fx.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_into_a_container_that_does_not_run_says_why_not() {
    let mut fx = Fixture::start().await;
    fx.wait("the pull to fail", |app| {
        app.model.rows.iter().any(|row| {
            row.object.name() == "broken"
                && row
                    .cells
                    .iter()
                    .any(|c| c.contains("Err") || c.contains("BackOff"))
        })
    })
    .await;
    fx.select("broken");
    fx.key(KeyCode::Char('s'));
    let flash = fx.flash();
    assert!(
        flash.starts_with("container app of pod broken is waiting: "),
        "{flash}"
    );
    assert!(
        flash.ends_with(": a shell needs it running (d describes why)"),
        "{flash}"
    );
    assert!(fx.app.take_shell().is_none());
    fx.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_of_several_containers_asks_which_one_gets_the_shell() {
    let mut fx = Fixture::start().await;
    fx.select("duo");
    fx.key(KeyCode::Char('s'));
    let Mode::Prompt(prompt) = fx.app.model.mode.clone() else {
        panic!("a container prompt, not {:?}", fx.app.model.mode);
    };
    assert_eq!(
        prompt.question,
        "shell into which container of pod duo (main, side)"
    );
    assert_eq!(prompt.answer, "main");

    fx.answer("nope");
    assert_eq!(
        fx.flash(),
        "pod duo has no container \"nope\"; choose one of: main, side"
    );

    fx.key(KeyCode::Char('s'));
    fx.answer("side");
    fx.wait("the shell to be found", |app| app.shell.is_some())
        .await;
    assert_eq!(
        fx.app.take_shell().map(|s| s.container),
        Some("side".into())
    );
    fx.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shift_f_asks_local_and_remote_ports_and_pf_lists_and_stops_forwards() {
    let mut fx = Fixture::start().await;

    // Not on a deployment.
    fx.command("deploy");
    fx.select("web");
    fx.key(KeyCode::Char('F'));
    assert_eq!(
        fx.flash(),
        "port-forward works on pods and services (:po, :svc)"
    );

    // A pod: prefilled with a free local port and its container port.
    fx.command("po");
    fx.select("solo");
    fx.key(KeyCode::Char('F'));
    let Mode::Prompt(prompt) = fx.app.model.mode.clone() else {
        panic!("a port prompt, not {:?}", fx.app.model.mode);
    };
    assert_eq!(prompt.question, "port-forward pod/solo (local:remote)");
    let (local, remote) = prompt
        .answer
        .as_str()
        .split_once(':')
        .expect("local:remote");
    assert_eq!(remote, "8080");
    assert!(local.parse::<u16>().is_ok_and(|p| p >= 1024), "{local}");

    fx.answer("eighty");
    assert!(fx.flash().starts_with("ports \"eighty\" not understood"));

    fx.key(KeyCode::Char('F'));
    fx.answer(":8080");
    fx.wait("the listener", |app| {
        app.forwards
            .list()
            .first()
            .is_some_and(|f| f.local.is_some())
    })
    .await;
    assert!(
        fx.flash().starts_with("forwarding 127.0.0.1:"),
        "{}",
        fx.flash()
    );
    assert!(fx.flash().contains("-> pod/solo:8080"), "{}", fx.flash());

    // A service: its first port; a port it does not have is refused.
    fx.command("svc");
    fx.select("solo");
    fx.key(KeyCode::Char('F'));
    let Mode::Prompt(prompt) = fx.app.model.mode.clone() else {
        panic!("a port prompt, not {:?}", fx.app.model.mode);
    };
    assert!(
        prompt.answer.as_str().ends_with(":80"),
        "{:?}",
        prompt.answer
    );
    fx.answer(":81");
    assert_eq!(
        fx.flash(),
        "service default/solo has no port 81; its ports: 80"
    );

    // A local port in use: the flash names it and the way out.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port();
    fx.key(KeyCode::Char('F'));
    fx.answer(&format!("{port}:80"));
    fx.wait("the bind error", |app| {
        app.model
            .flash
            .as_ref()
            .is_some_and(|f| f.error && f.text.contains("already in use"))
    })
    .await;
    assert_eq!(
        fx.flash(),
        format!(
            "port-forward: 127.0.0.1:{port} is already in use; choose another local port (shift-f again, e.g. :80 for any free one) or stop what holds it (:pf lists podium's own)"
        )
    );
    assert_eq!(fx.app.forwards.list().len(), 1, "the failed one is gone");

    // `:pf` lists the forward; ctrl-d stops it.
    fx.command("pf");
    assert!(fx.app.forwards_view.is_some());
    fx.app
        .on_key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
    assert!(fx.flash().starts_with("stopped port-forward 127.0.0.1:"));
    assert!(fx.app.forwards.is_empty());
    fx.key(KeyCode::Esc);
    assert!(fx.app.forwards_view.is_none());
    fx.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_of_an_object_deleted_meanwhile_says_it_is_gone_and_keeps_what_it_showed() {
    let mut fx = Fixture::start().await;
    fx.select("solo");
    // Gone from the cluster; the table has not caught up yet.
    let now_gone = crate::store::DeleteOptions {
        grace_period_seconds: Some(0),
        ..Default::default()
    };
    fx.cluster
        .store
        .delete(Kind::Pod, "default", "solo", &now_gone)
        .expect("deleted");
    fx.key(KeyCode::Char('d'));
    let title = |app: &App| app.model.detail.as_ref().map(|d| d.title.clone());
    assert_eq!(
        title(&fx.app).as_deref(),
        Some("describe pod default/solo"),
        "describe opens at once from what the console holds"
    );
    fx.wait("the failed fetch", |app| {
        app.model
            .flash
            .as_ref()
            .is_some_and(|f| f.text.contains("pods \"solo\" not found"))
    })
    .await;
    assert!(fx.flash().contains("it is gone"), "{}", fx.flash());
    let detail = fx.app.model.detail.as_ref().expect("still open");
    assert!(
        detail
            .lines
            .iter()
            .any(|line| line.starts_with("Name:") && line.contains("solo")),
        "{:?}",
        detail.lines
    );
}
