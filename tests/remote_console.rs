//! The console on a cluster reached through a kubeconfig (the kube-rs
//! handle), against podium's own API server: a server that is not there
//! yet, and `--readonly`, checked on the server's side by its access log.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use podium::cluster::{Cluster, ClusterConfig};
use podium::handle::kube::{KubeHandle, KubeTarget, USER_AGENT};
use podium::handle::{ClusterHandle, HandleError, ReadOnly};
use podium::tui::app::{Action, App};
use podium::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::UnboundedReceiver;

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: podium/echo:1.0
        ports:
        - containerPort: 8080
";

struct Screen {
    app: App,
    actions: UnboundedReceiver<Action>,
    terminal: Terminal<TestBackend>,
}

impl Screen {
    fn new(handle: Arc<dyn ClusterHandle>) -> Screen {
        let (sender, actions) = tokio::sync::mpsc::unbounded_channel();
        Screen {
            app: App::new(handle, Theme::dark(), sender),
            actions,
            terminal: Terminal::new(TestBackend::new(160, 30)).expect("terminal"),
        }
    }

    fn text(&mut self) -> String {
        self.terminal
            .draw(|frame| self.app.draw(frame))
            .expect("draw");
        let buffer = self.terminal.backend().buffer().clone();
        let width = usize::from(buffer.area.width);
        buffer
            .content
            .chunks(width)
            .map(|row| row.iter().map(|cell| cell.symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    async fn wait_until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            while let Ok(action) = self.actions.try_recv() {
                self.app.on_action(action);
            }
            self.app.refresh();
            let text = self.text();
            if done(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn key(&mut self, code: KeyCode, modifiers: KeyModifiers) {
        self.app.on_key(KeyEvent::new(code, modifiers));
    }
}

fn sim_cluster_at(dir: &std::path::Path, port: u16) -> ClusterConfig {
    ClusterConfig {
        listen: ([127, 0, 0, 1], port).into(),
        ..ClusterConfig::sim_in_memory(dir)
    }
}

/// Starts a cluster on `port`, trying again while the last one's socket
/// is still being released.
async fn start_at(dir: &std::path::Path, port: u16) -> Cluster {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Cluster::start(sim_cluster_at(dir, port)).await {
            Ok(cluster) => return cluster,
            Err(error) if Instant::now() < deadline => {
                eprintln!("retrying the start on port {port}: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("cluster on port {port}: {error}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cluster_shows_why_and_connects_when_the_server_appears() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A first run leaves certificates and a kubeconfig naming its port.
    let first = Cluster::start(ClusterConfig::sim_in_memory(dir.path()))
        .await
        .expect("cluster starts");
    let port = first.api_addr.port();
    let kubeconfig = first.kubeconfig.clone();
    first.shutdown();
    drop(first);

    // The console opens on it while nothing listens there.
    let handle = KubeHandle::open(KubeTarget {
        kubeconfig: Some(kubeconfig),
        context: None,
    })
    .await
    .expect("the kubeconfig opens without the server");
    let mut screen = Screen::new(Arc::new(handle));
    let first_frame = screen.text();
    assert!(
        first_frame.contains("cluster podium") && first_frame.contains("pods(default)"),
        "the console draws at once:\n{first_frame}"
    );
    let refused = screen
        .wait_until("the connection error", |s| {
            s.contains(&format!("cannot reach https://127.0.0.1:{port}")) && s.contains("retrying")
        })
        .await;
    assert!(refused.to_lowercase().contains("refused"), "{refused}");

    // The server comes up on the same port: the console connects.
    let cluster = start_at(dir.path(), port).await;
    cluster
        .handle()
        .apply(DEPLOYMENT, false)
        .await
        .expect("deployment created");
    let connected = screen
        .wait_until("the pods of the server that appeared", |s| {
            s.matches("web-").count() >= 2 && !s.contains("retrying")
        })
        .await;
    assert!(!connected.contains("cannot reach"), "{connected}");
    cluster.shutdown();
}

/// Access-log lines, captured from the API server's tracing.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("capture lock")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// The access lines of requests the console sent.
    fn console_requests(&self) -> Vec<String> {
        let bytes = self.0.lock().expect("capture lock").clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|line| line.contains(USER_AGENT))
            .map(str::to_string)
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readonly_refuses_every_change_and_no_mutating_verb_reaches_the_server() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("podium::access=info"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = cluster_with_web(dir.path()).await;
    let handle = KubeHandle::open(KubeTarget {
        kubeconfig: Some(cluster.kubeconfig.clone()),
        context: None,
    })
    .await
    .expect("kubeconfig opens");
    let handle = ReadOnly::wrap(Arc::new(handle));
    let mut screen = Screen::new(handle.clone());
    let pods = screen
        .wait_until("the two pods", |s| s.matches("web-").count() >= 2)
        .await;
    assert!(pods.contains("read-only"), "the header says so:\n{pods}");

    // Reading is allowed: describe fetches the pod and its events whole.
    screen.key(KeyCode::Char('d'), KeyModifiers::NONE);
    screen.key(KeyCode::Char('G'), KeyModifiers::NONE);
    screen
        .wait_until("the pod's describe with its events", |s| {
            s.contains("describe pod default/web-") && s.contains("Scheduled")
        })
        .await;
    screen.key(KeyCode::Esc, KeyModifiers::NONE);

    // Every key that changes something, on a pod and on a Deployment.
    let keys = [
        (KeyCode::Char('d'), KeyModifiers::CONTROL, "deleting"),
        (KeyCode::Char('e'), KeyModifiers::NONE, "editing"),
        (KeyCode::Char('s'), KeyModifiers::NONE, "a shell"),
        (KeyCode::Char('F'), KeyModifiers::SHIFT, "port-forward"),
        (KeyCode::Char('a'), KeyModifiers::NONE, "applying a file"),
    ];
    for (code, modifiers, what) in keys {
        screen.key(code, modifiers);
        let text = screen.text();
        assert!(
            text.contains(&format!("read-only console (--readonly): {what} refused")),
            "{code:?} on a pod:\n{text}"
        );
    }
    screen.key(KeyCode::Char(':'), KeyModifiers::NONE);
    for c in "deploy".chars() {
        screen.key(KeyCode::Char(c), KeyModifiers::NONE);
    }
    screen.key(KeyCode::Enter, KeyModifiers::NONE);
    screen
        .wait_until("the deployment", |s| s.contains("deployments(default)[1]"))
        .await;
    for (code, what) in [
        ('s', "scaling"),
        ('i', "setting the image"),
        ('r', "restarting a rollout"),
        ('u', "undoing a rollout"),
    ] {
        screen.key(KeyCode::Char(code), KeyModifiers::NONE);
        let text = screen.text();
        assert!(
            text.contains(&format!("read-only console (--readonly): {what} refused")),
            "{code} on a deployment:\n{text}"
        );
    }
    // The handle itself refuses too, dry runs included (they are writes).
    let refusals = [
        handle.apply(DEPLOYMENT, true).await.err(),
        handle.apply(DEPLOYMENT, false).await.err(),
        handle
            .delete(podium::api::Kind::Deployment, "default", "web")
            .await
            .err(),
    ];
    for refusal in refusals {
        assert!(
            matches!(refusal, Some(HandleError::ReadOnly(_))),
            "{refusal:?}"
        );
    }

    // The server saw the console list and watch, and nothing else.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let requests = captured.console_requests();
    assert!(
        requests
            .iter()
            .any(|line| line.contains("GET /api/v1/pods")),
        "the console's reads are in the access log: {requests:#?}"
    );
    assert!(
        requests
            .iter()
            .any(|line| line.contains("GET /api/v1/namespaces/default/pods/web-")),
        "describe fetched the pod: {requests:#?}"
    );
    assert!(
        requests.iter().any(|line| line.contains(
            "GET /api/v1/namespaces/default/events?fieldSelector=involvedObject.kind%3DPod"
        )),
        "describe asked the server for the pod's events as kubectl does: {requests:#?}"
    );
    let mutating: Vec<&String> = requests
        .iter()
        .filter(|line| {
            ["POST ", "PUT ", "PATCH ", "DELETE "]
                .iter()
                .any(|verb| line.contains(verb))
        })
        .collect();
    assert!(mutating.is_empty(), "mutating requests: {mutating:#?}");
    let deployment = cluster
        .handle()
        .get(podium::api::Kind::Deployment, "default", "web")
        .expect("the deployment is still there");
    assert_eq!(deployment.name(), "web");
    cluster.shutdown();
}

/// The kubeconfig podium wrote, with a second context `other` on the same
/// server whose namespace is `team`.
fn with_second_context(kubeconfig: &Path, dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(kubeconfig).expect("kubeconfig");
    let mut config: serde_yaml::Value = serde_yaml::from_str(&text).expect("yaml");
    let mut other = config["contexts"][0].clone();
    other["name"] = "other".into();
    other["context"]["namespace"] = "team".into();
    config["contexts"]
        .as_sequence_mut()
        .expect("contexts")
        .push(other);
    let path = dir.join("two-contexts");
    std::fs::write(&path, serde_yaml::to_string(&config).expect("yaml")).expect("write");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctx_lists_the_contexts_and_switches_to_another() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = Cluster::start(ClusterConfig::sim_in_memory(dir.path()))
        .await
        .expect("cluster starts");
    let team = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n---\n\
                apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: team}\n";
    cluster.handle().apply(team, false).await.expect("team");
    let kubeconfig = with_second_context(&cluster.kubeconfig, dir.path());
    let handle = KubeHandle::open(KubeTarget {
        kubeconfig: Some(kubeconfig),
        context: None,
    })
    .await
    .expect("kubeconfig opens");
    let mut screen = Screen::new(Arc::new(handle));
    let typed = |screen: &mut Screen, line: &str| {
        screen.key(KeyCode::Char(':'), KeyModifiers::NONE);
        for c in line.chars() {
            screen.key(KeyCode::Char(c), KeyModifiers::NONE);
        }
        screen.key(KeyCode::Enter, KeyModifiers::NONE);
    };
    typed(&mut screen, "ctx");
    let listed = screen.text();
    assert!(
        listed.contains("* podium") && listed.contains("  other"),
        "{listed}"
    );
    screen.key(KeyCode::Esc, KeyModifiers::NONE);

    typed(&mut screen, "ctx nowhere");
    let refused = screen.text();
    assert!(
        refused.contains("no context \"nowhere\" in the kubeconfig"),
        "{refused}"
    );

    // Tab completes the context's name; Enter switches to it.
    screen.key(KeyCode::Char(':'), KeyModifiers::NONE);
    for c in "ctx ot".chars() {
        screen.key(KeyCode::Char(c), KeyModifiers::NONE);
    }
    screen.key(KeyCode::Tab, KeyModifiers::NONE);
    let completed = screen.text();
    assert!(completed.contains(":ctx other"), "{completed}");
    screen.key(KeyCode::Enter, KeyModifiers::NONE);
    screen
        .wait_until("the other context, in its namespace", |s| {
            s.contains("cluster other") && s.contains("namespace team")
        })
        .await;
    typed(&mut screen, "cm");
    screen
        .wait_until("the team's config map", |s| s.contains("settings"))
        .await;
    cluster.shutdown();
}

/// The kubeconfig podium wrote with its token replaced by an exec plugin
/// (as EKS and GKE kubeconfigs have) that prints the same token.
fn with_exec_plugin(kubeconfig: &Path, dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(kubeconfig).expect("kubeconfig");
    let config: serde_yaml::Value = serde_yaml::from_str(&text).expect("yaml");
    let token = config["users"][0]["user"]["token"]
        .as_str()
        .expect("podium's kubeconfig has a token")
        .to_string();
    let plugin = dir.join("credential-plugin");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho \"$PODIUM_PLUGIN_RAN\" > \"$0.ran\"\n\
             echo '{{\"apiVersion\": \"client.authentication.k8s.io/v1\", \"kind\": \"ExecCredential\", \"status\": {{\"token\": \"{token}\"}}}}'\n"
        ),
    )
    .expect("write plugin");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let user = format!(
        "exec: {{apiVersion: client.authentication.k8s.io/v1, command: {}, \
         env: [{{name: PODIUM_PLUGIN_RAN, value: 'yes'}}], interactiveMode: Never}}",
        plugin.display()
    );
    with_user(config, &user, &dir.join("exec-kubeconfig"))
}

/// `config` with its user replaced by `user` (YAML), written to `path`.
fn with_user(mut config: serde_yaml::Value, user: &str, path: &Path) -> std::path::PathBuf {
    config["users"][0]["user"] = serde_yaml::from_str(user).expect("a kubeconfig user");
    std::fs::write(path, serde_yaml::to_string(&config).expect("yaml")).expect("write");
    path.to_path_buf()
}

/// A cluster on the simulated runtime with the two-pod Deployment `web`.
async fn cluster_with_web(dir: &Path) -> Cluster {
    let cluster = Cluster::start(ClusterConfig::sim_in_memory(dir))
        .await
        .expect("cluster starts");
    cluster
        .handle()
        .apply(DEPLOYMENT, false)
        .await
        .expect("deployment created");
    cluster
}

/// The console opened with `kubeconfig` shows web's two pods: it logged in.
async fn console_logs_in_with(kubeconfig: &Path) {
    let handle = KubeHandle::open(KubeTarget {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        context: None,
    })
    .await
    .expect("kubeconfig opens");
    // Refused (401), the console would show no pod.
    let mut screen = Screen::new(Arc::new(handle));
    screen
        .wait_until("the two pods", |s| s.matches("web-").count() >= 2)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exec_credential_plugin_in_the_kubeconfig_logs_the_console_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = cluster_with_web(dir.path()).await;
    console_logs_in_with(&with_exec_plugin(&cluster.kubeconfig, dir.path())).await;
    let ran =
        std::fs::read_to_string(dir.path().join("credential-plugin.ran")).expect("the plugin ran");
    assert_eq!(ran.trim(), "yes", "the plugin got the kubeconfig's env");
    cluster.shutdown();
}

/// The kubeconfig podium wrote with its token replaced by a client
/// certificate the cluster's CA signed (as kind's and minikube's are).
fn with_client_certificate(kubeconfig: &Path, dir: &Path) -> std::path::PathBuf {
    use base64::Engine;
    let (cert, key) =
        podium::apiserver::tls::client_certificate(&dir.join(podium::config::PKI_DIR), "alice")
            .expect("a certificate from the cluster's CA");
    let encode = |pem: &str| base64::engine::general_purpose::STANDARD.encode(pem);
    let text = std::fs::read_to_string(kubeconfig).expect("kubeconfig");
    let config: serde_yaml::Value = serde_yaml::from_str(&text).expect("yaml");
    let user = format!(
        "{{client-certificate-data: {}, client-key-data: {}}}",
        encode(&cert),
        encode(&key)
    );
    with_user(config, &user, &dir.join("certificate-kubeconfig"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_in_the_kubeconfig_logs_the_console_and_kubectl_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = cluster_with_web(dir.path()).await;
    let kubeconfig = with_client_certificate(&cluster.kubeconfig, dir.path());
    let text = std::fs::read_to_string(&kubeconfig).expect("kubeconfig");
    assert!(!text.contains("token"), "no token to fall back on:\n{text}");
    console_logs_in_with(&kubeconfig).await;
    let out = tokio::process::Command::new("kubectl")
        .args(["get", "deployments"])
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .await
        .expect("kubectl runs");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && listed.contains("web"),
        "{listed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cluster.shutdown();
}
