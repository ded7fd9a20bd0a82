//! The Docker runtime against the real engine on this machine, through the
//! `Runtime` trait the kubelet uses. No registry: the workload image is
//! imported by `./scripts/test`; commands are busybox ones given
//! explicitly. Each test has its own cluster id and removes what it made.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use podium::kubelet::docker::{DockerOptions, DockerRuntime, PAUSE_IMAGE, import_image};
use podium::kubelet::probe::{ProbeAction, ProbeKind, ProbeOutcome};
use podium::kubelet::runtime::{
    ContainerRunState, ContainerSpec, ExecChunk, ExecRequest, LABEL_CLUSTER, LABEL_CONTAINER_NAME,
    LABEL_NODE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_RESTART_COUNT,
    LABEL_ROLE, LogRequest, Mount, PortSpec, ROLE_CONTAINER, ROLE_SANDBOX, ResourceLimits, Runtime,
    RuntimeError, RuntimeEvent, RuntimeEventKind, SandboxSpec,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The workload image `./scripts/test` imports (busybox at /bin/busybox).
const IMAGE: &str = "podium/echo:1.0";
const WAIT: Duration = Duration::from_secs(20);

fn docker_cli(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// A busybox shell command, independent of the image's own entrypoint.
fn shell(script: &str) -> Vec<String> {
    strings(&["/bin/busybox", "sh", "-c", script])
}

/// One podium's view of the engine: its own cluster id. Whatever a test
/// leaves behind (it failed half-way) is removed on drop.
struct Cluster {
    runtime: DockerRuntime,
    id: String,
}

impl Cluster {
    async fn new(test: &str) -> Cluster {
        let id = format!(
            "test-{test}-{}-{:06x}",
            std::process::id(),
            rand::random::<u32>() >> 8
        );
        let runtime = DockerRuntime::connect(DockerOptions {
            cluster_id: id.clone(),
        })
        .await
        .expect("connect to the Docker engine");
        let present = runtime.image_present(IMAGE).await.expect("inspect image");
        assert!(
            present.is_some(),
            "the test image {IMAGE} is missing: run ./scripts/test, which imports it"
        );
        Cluster { runtime, id }
    }

    fn labels(&self, pod: &Pod, role: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (LABEL_POD_UID.to_string(), pod.uid.clone()),
            (LABEL_POD_NAMESPACE.to_string(), "default".to_string()),
            (LABEL_POD_NAME.to_string(), pod.name.clone()),
            (LABEL_NODE.to_string(), "node-1".to_string()),
            (LABEL_ROLE.to_string(), role.to_string()),
        ])
    }

    fn sandbox_spec(&self, pod: &Pod, ports: &[u16]) -> SandboxSpec {
        SandboxSpec {
            pod_uid: pod.uid.clone(),
            pod_namespace: "default".to_string(),
            pod_name: pod.name.clone(),
            hostname: pod.name.clone(),
            ports: ports.iter().map(|port| tcp(*port)).collect(),
            labels: self.labels(pod, ROLE_SANDBOX),
        }
    }

    fn container_spec(&self, pod: &Pod, name: &str, command: Vec<String>) -> ContainerSpec {
        let mut labels = self.labels(pod, ROLE_CONTAINER);
        labels.insert(LABEL_CONTAINER_NAME.to_string(), name.to_string());
        labels.insert(LABEL_RESTART_COUNT.to_string(), "0".to_string());
        ContainerSpec {
            pod_uid: pod.uid.clone(),
            pod_namespace: "default".to_string(),
            pod_name: pod.name.clone(),
            container_name: name.to_string(),
            image: IMAGE.to_string(),
            command,
            labels,
            ..Default::default()
        }
    }

    /// Creates and starts a container of its own (no sandbox).
    async fn run(&self, pod: &Pod, name: &str, command: Vec<String>) -> String {
        let id = self
            .runtime
            .create_container(&self.container_spec(pod, name, command))
            .await
            .expect("create");
        self.runtime.start_container(&id).await.expect("start");
        id
    }

    async fn finish(self) {
        let removed = self
            .runtime
            .remove_cluster_containers()
            .await
            .expect("remove this cluster's containers");
        assert!(removed > 0, "the test made containers");
        let left = self.runtime.list_containers().await.expect("list");
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let filter = format!("label={LABEL_CLUSTER}={}", self.id);
        if let Ok(output) = Command::new("docker")
            .args(["ps", "-aq", "--filter", &filter])
            .output()
        {
            let ids = String::from_utf8_lossy(&output.stdout).to_string();
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args(["rm", "-f"])
                    .args(&ids)
                    .output();
            }
        }
    }
}

/// A container started with plain `docker run`: no podium labels.
/// Removed on drop.
struct PlainContainer(String);

impl PlainContainer {
    fn run() -> PlainContainer {
        let name = format!("podium-test-plain-{}", std::process::id());
        let args = ["run", "-d", "--name", &name, "--entrypoint", "/bin/busybox"];
        PlainContainer(docker_cli(&[&args[..], &[IMAGE, "sleep", "3600"]].concat()))
    }
}

impl Drop for PlainContainer {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

struct Pod {
    name: String,
    uid: String,
}

fn pod(name: &str) -> Pod {
    Pod {
        name: name.to_string(),
        uid: format!("{:032x}", rand::random::<u128>()),
    }
}

fn tcp(port: u16) -> PortSpec {
    PortSpec {
        container_port: port,
        protocol: "TCP".to_string(),
        name: None,
    }
}

/// The next event about `id`, skipping others.
async fn next_event(events: &mut BoxStream<'static, RuntimeEvent>, id: &str) -> RuntimeEvent {
    let found = tokio::time::timeout(WAIT, async {
        loop {
            let event = events.next().await.expect("the event stream ended");
            if event.container_id == id {
                return event;
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no event for {id} within {WAIT:?}"))
}

/// A plain HTTP/1.0 GET; the whole response.
async fn http_get(address: SocketAddr) -> std::io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: test\r\n\r\n")
        .await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    Ok(String::from_utf8_lossy(&response).to_string())
}

/// Retries a GET until it answers 200 (the server may still be starting).
async fn get_when_up(address: SocketAddr) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        match http_get(address).await {
            Ok(response) if response.starts_with("HTTP/1.") && response.contains(" 200 ") => {
                return response;
            }
            other if Instant::now() > deadline => panic!("GET {address}: {other:?}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Collects a log stream until `wanted` shows up.
async fn read_until(lines: &mut BoxStream<'static, Bytes>, wanted: &str) -> String {
    let mut text = String::new();
    let found = tokio::time::timeout(WAIT, async {
        while let Some(chunk) = lines.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains(wanted) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "{wanted:?} not in {text:?}");
    text
}

async fn logs_text(runtime: &DockerRuntime, id: &str, request: LogRequest) -> String {
    let lines: Vec<Bytes> = runtime
        .logs(id, &request)
        .await
        .expect("logs")
        .collect()
        .await;
    lines
        .iter()
        .map(|chunk| String::from_utf8_lossy(chunk).to_string())
        .collect()
}

#[tokio::test]
async fn import_image_applies_changes_and_returns_the_id() {
    let reference = format!("podium.test/import-{}:1", std::process::id());
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(6);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "hello.txt", &b"hello\n"[..])
        .expect("append to tar");
    let rootfs = Bytes::from(tar.into_inner().expect("finish tar"));
    let id = import_image(
        &reference,
        rootfs,
        &["ENV VERSION=1.0", r#"ENTRYPOINT ["/echo"]"#],
    )
    .await
    .expect("import");
    assert!(id.starts_with("sha256:"), "{id}");
    let inspected = docker_cli(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{json .Config.Env}} {{json .Config.Entrypoint}}",
        &reference,
    ]);
    assert_eq!(inspected, format!(r#"{id} ["VERSION=1.0"] ["/echo"]"#));
    docker_cli(&["image", "rm", &reference]);
}

/// Runs one test of this binary again in a child process with `env`
/// (DOCKER_HOST is process-wide and the other tests connect meanwhile);
/// the child knows itself by `marker`.
fn run_in_child(test: &str, marker: &str, env: &[(&str, &str)]) {
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env(marker, "1")
        .envs(env.iter().copied())
        .output()
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Without an engine, `connect` says what it tried and what to do.
#[test]
fn connect_without_engine_says_what_was_tried_and_how_to_fix_it() {
    const CHILD: &str = "PODIUM_TEST_NO_ENGINE_CHILD";
    if std::env::var(CHILD).is_err() {
        let missing = format!(
            "unix:///tmp/podium-test-no-engine-{}.sock",
            std::process::id()
        );
        run_in_child(
            "connect_without_engine_says_what_was_tried_and_how_to_fix_it",
            CHILD,
            &[("DOCKER_HOST", &missing)],
        );
        return;
    }
    let host = std::env::var("DOCKER_HOST").expect("set by the parent");
    let tokio = tokio::runtime::Runtime::new().expect("tokio");
    let connect = || {
        tokio
            .block_on(DockerRuntime::connect(DockerOptions {
                cluster_id: "no-engine".to_string(),
            }))
            .err()
            .expect("no engine there")
            .to_string()
    };
    let check = |message: &str, cause: &str| {
        for part in [
            &format!("cannot reach the Docker engine at DOCKER_HOST={host}: "),
            cause,
            "sudo systemctl start docker",
            "dockerd",
            "--runtime sim",
        ] {
            assert!(message.contains(part), "{part:?} missing in: {message}");
        }
        assert!(!message.contains('\n'), "one line: {message}");
    };
    // No socket at all.
    check(&connect(), "Socket not found");
    // A socket left behind by an engine that is gone.
    let path = host.trim_start_matches("unix://");
    drop(std::os::unix::net::UnixListener::bind(path).expect("bind a stale socket"));
    let message = connect();
    let _ = std::fs::remove_file(path);
    check(&message, "Connection refused");
}

/// A Unix socket in front of the real engine that the test can cut: it
/// closes every connection and its socket, as a stopped engine would.
struct EngineProxy {
    path: std::path::PathBuf,
    tasks: tokio::task::JoinSet<()>,
}

impl EngineProxy {
    fn start(path: &std::path::Path) -> EngineProxy {
        let _ = std::fs::remove_file(path);
        let listener = tokio::net::UnixListener::bind(path).expect("bind the proxy socket");
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut engine) =
                        tokio::net::UnixStream::connect("/var/run/docker.sock").await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut engine).await;
                    }
                });
            }
        });
        EngineProxy {
            path: path.to_path_buf(),
            tasks,
        }
    }

    /// Ends every connection (dropping the inner set aborts them).
    async fn cut(mut self) {
        self.tasks.shutdown().await;
        let _ = std::fs::remove_file(&self.path);
    }
}

/// When the engine goes away, the event stream ends and operations fail
/// as Unavailable; when it is back, ping answers and a new subscription
/// sees events again.
#[test]
fn engine_going_away_ends_events_and_makes_operations_unavailable() {
    const CHILD: &str = "PODIUM_TEST_ENGINE_PROXY_CHILD";
    let socket =
        std::env::temp_dir().join(format!("podium-test-proxy-{}.sock", std::process::id()));
    if std::env::var(CHILD).is_err() {
        let host = format!("unix://{}", socket.display());
        run_in_child(
            "engine_going_away_ends_events_and_makes_operations_unavailable",
            CHILD,
            &[("DOCKER_HOST", &host)],
        );
        return;
    }
    let socket = std::path::PathBuf::from(
        std::env::var("DOCKER_HOST")
            .expect("set by the parent")
            .trim_start_matches("unix://"),
    );
    let tokio = tokio::runtime::Runtime::new().expect("tokio");
    tokio.block_on(async {
        let proxy = EngineProxy::start(&socket);
        let cluster = Cluster::new("away").await;
        let runtime = &cluster.runtime;
        let mut events = runtime.events();
        let id = cluster
            .run(
                &pod("steady"),
                "main",
                strings(&["/bin/busybox", "sleep", "3600"]),
            )
            .await;
        assert_eq!(
            next_event(&mut events, &id).await.kind,
            RuntimeEventKind::Created
        );

        proxy.cut().await;
        let ended =
            tokio::time::timeout(WAIT, async { while events.next().await.is_some() {} }).await;
        assert!(ended.is_ok(), "the event stream outlived the engine");
        assert!(matches!(
            runtime.ping().await,
            Err(RuntimeError::Unavailable(_))
        ));
        assert!(matches!(
            runtime.inspect_container(&id).await,
            Err(RuntimeError::Unavailable(_))
        ));
        assert!(matches!(
            runtime.list_containers().await,
            Err(RuntimeError::Unavailable(_))
        ));
        let mut gone = runtime.events();
        let nothing = tokio::time::timeout(WAIT, gone.next()).await;
        assert!(
            matches!(nothing, Ok(None)),
            "subscribing without an engine ends at once"
        );

        let _proxy = EngineProxy::start(&socket);
        runtime.ping().await.expect("the engine is back");
        let mut events = runtime.events();
        let info = runtime.inspect_container(&id).await.expect("inspect");
        assert_eq!(
            info.state,
            ContainerRunState::Running,
            "the container kept running"
        );
        runtime
            .stop_container(&id, Duration::from_secs(1))
            .await
            .expect("stop");
        assert!(matches!(
            next_event(&mut events, &id).await.kind,
            RuntimeEventKind::Died { .. }
        ));
        cluster.finish().await;
    });
}

#[tokio::test]
async fn sandbox_and_container_share_the_network_and_the_ip_survives_a_restart() {
    let cluster = Cluster::new("network").await;
    let runtime = &cluster.runtime;
    docker_cli(&["image", "inspect", "--format", "{{.Id}}", PAUSE_IMAGE]);
    let web = pod("web-0");
    let sandbox = runtime
        .run_sandbox(&cluster.sandbox_spec(&web, &[8080]))
        .await
        .expect("run sandbox")
        .expect("docker has sandboxes");
    let on_network = docker_cli(&[
        "network",
        "inspect",
        "podium",
        "--format",
        "{{range .Containers}}{{.IPv4Address}} {{end}}",
    ]);
    assert!(
        on_network.contains(&format!("{}/", sandbox.ip)),
        "{} not among {on_network}",
        sandbox.ip
    );

    let serve = "mkdir -p /www && echo \"hello from $(hostname)\" > /www/index.html \
                 && exec /bin/busybox httpd -f -p 8080 -h /www";
    let mut spec = cluster.container_spec(&web, "app", shell(serve));
    spec.sandbox = Some(sandbox.id.clone());
    spec.ports = vec![tcp(8080)];
    let first = runtime.create_container(&spec).await.expect("create");
    runtime.start_container(&first).await.expect("start");
    let address = runtime
        .port_address(&first, 8080)
        .await
        .expect("port 8080 is published");
    assert!(address.ip().is_loopback(), "{address}");
    let response = get_when_up(address).await;
    assert!(response.contains("hello from web-0"), "{response}");

    // The app container sees the pod's IP: it lives in the sandbox's namespace.
    let seen = runtime
        .exec(&first, &strings(&["/bin/busybox", "hostname", "-i"]))
        .await
        .expect("exec");
    assert_eq!(String::from_utf8_lossy(&seen.stdout).trim(), sandbox.ip);

    // A restart is a new container in the same namespace: same IP, same port.
    runtime
        .stop_container(&first, Duration::from_secs(1))
        .await
        .expect("stop");
    spec.restart_count = 1;
    spec.labels
        .insert(LABEL_RESTART_COUNT.to_string(), "1".to_string());
    let second = runtime.create_container(&spec).await.expect("create again");
    runtime.start_container(&second).await.expect("start again");
    assert_eq!(runtime.port_address(&second, 8080).await, Some(address));
    let response = get_when_up(address).await;
    assert!(response.contains("hello from web-0"), "{response}");
    let listed = runtime.list_containers().await.expect("list");
    let listed_sandbox = listed
        .iter()
        .find(|c| c.id == sandbox.id)
        .expect("the sandbox is listed");
    assert!(listed_sandbox.is_sandbox());
    assert_eq!(listed_sandbox.ip.as_deref(), Some(sandbox.ip.as_str()));
    assert_eq!(listed_sandbox.state, ContainerRunState::Running);
    let names = docker_cli(&["inspect", "--format", "{{.Name}}", &sandbox.id, &second]);
    assert_eq!(
        names,
        format!(
            "/k8s_POD_web-0_default_{uid}_0\n/k8s_app_web-0_default_{uid}_1",
            uid = web.uid
        )
    );

    runtime.remove_container(&first).await.expect("remove");
    runtime
        .remove_container(&first)
        .await
        .expect("removing twice is fine");
    runtime.remove_container(&second).await.expect("remove");
    // The pause process ignores SIGTERM: a sandbox stops with SIGKILL at once.
    let began = Instant::now();
    runtime
        .stop_container(&sandbox.id, Duration::from_secs(10))
        .await
        .expect("stop sandbox");
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    runtime
        .remove_sandbox(&sandbox.id)
        .await
        .expect("remove sandbox");
    assert!(runtime.list_containers().await.expect("list").is_empty());
    assert_eq!(runtime.port_address(&second, 8080).await, None);
}

#[tokio::test]
async fn an_exit_is_reported_as_died_and_inspected_as_exited() {
    let cluster = Cluster::new("exit").await;
    let runtime = &cluster.runtime;
    let mut events = runtime.events();
    let job = pod("job");
    let id = cluster.run(&job, "main", shell("echo hi; exit 3")).await;

    let created = next_event(&mut events, &id).await;
    assert_eq!(created.kind, RuntimeEventKind::Created);
    assert_eq!(created.pod_uid(), Some(job.uid.as_str()));
    assert_eq!(
        created.labels.get(LABEL_CONTAINER_NAME).map(String::as_str),
        Some("main")
    );
    assert_eq!(
        next_event(&mut events, &id).await.kind,
        RuntimeEventKind::Started
    );
    assert_eq!(
        next_event(&mut events, &id).await.kind,
        RuntimeEventKind::Died {
            exit_code: 3,
            oom_killed: false
        }
    );
    let info = runtime.inspect_container(&id).await.expect("inspect");
    assert_eq!(info.state, ContainerRunState::Exited);
    assert_eq!(info.exit_code, Some(3));
    assert!(!info.oom_killed);
    let started = info.started_at.expect("started_at");
    let finished = info.finished_at.expect("finished_at");
    assert!(finished >= started, "{started} .. {finished}");
    assert!(info.image_id.starts_with("sha256:"), "{}", info.image_id);
    assert_eq!(info.image, IMAGE);

    runtime.remove_container(&id).await.expect("remove");
    assert_eq!(
        next_event(&mut events, &id).await.kind,
        RuntimeEventKind::Removed
    );
    assert!(matches!(
        runtime.inspect_container(&id).await,
        Err(RuntimeError::NoSuchContainer(_))
    ));

    // A container never started is Created, with no times.
    let idle = runtime
        .create_container(&cluster.container_spec(&job, "idle", shell("true")))
        .await
        .expect("create");
    let info = runtime.inspect_container(&idle).await.expect("inspect");
    assert_eq!(info.state, ContainerRunState::Created);
    assert_eq!(
        (info.started_at, info.finished_at, info.exit_code),
        (None, None, None)
    );
    cluster.finish().await;
}

#[tokio::test]
async fn stop_waits_for_a_graceful_exit_and_kills_after_the_grace_period() {
    let cluster = Cluster::new("stop").await;
    let runtime = &cluster.runtime;
    let app = pod("app");
    let polite = cluster
        .run(
            &app,
            "polite",
            shell("trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"),
        )
        .await;
    let stubborn = cluster
        .run(
            &app,
            "stubborn",
            shell("trap '' TERM; while true; do sleep 0.1; done"),
        )
        .await;
    // Let the shells install their traps.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let began = Instant::now();
    runtime
        .stop_container(&polite, Duration::from_secs(10))
        .await
        .expect("stop");
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
    let info = runtime.inspect_container(&polite).await.expect("inspect");
    assert_eq!(
        (info.state, info.exit_code),
        (ContainerRunState::Exited, Some(0))
    );
    assert!(
        logs_text(runtime, &polite, LogRequest::default())
            .await
            .contains("bye")
    );

    let began = Instant::now();
    runtime
        .stop_container(&stubborn, Duration::from_secs(2))
        .await
        .expect("stop");
    let took = began.elapsed();
    assert!(
        took >= Duration::from_secs(2),
        "killed before the grace ended: {took:?}"
    );
    let info = runtime.inspect_container(&stubborn).await.expect("inspect");
    assert_eq!(
        (info.state, info.exit_code),
        (ContainerRunState::Exited, Some(137))
    );
    runtime
        .stop_container(&stubborn, Duration::from_secs(2))
        .await
        .expect("stopping a stopped container is fine");
    cluster.finish().await;
}

#[tokio::test]
async fn logs_tail_follow_and_timestamps() {
    let cluster = Cluster::new("logs").await;
    let runtime = &cluster.runtime;
    let id = cluster
        .run(
            &pod("talker"),
            "main",
            shell(
                "echo one; echo two; sleep 0.3; echo three >&2; \
                 while [ ! -f /tmp/go ]; do sleep 0.1; done; \
                 while true; do echo tick; sleep 0.2; done",
            ),
        )
        .await;
    let mut all = runtime
        .logs(
            &id,
            &LogRequest {
                follow: true,
                ..Default::default()
            },
        )
        .await
        .expect("logs");
    read_until(&mut all, "three").await;

    let tail = logs_text(
        runtime,
        &id,
        LogRequest {
            tail_lines: Some(2),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(tail, "two\nthree\n");

    let stamped = logs_text(
        runtime,
        &id,
        LogRequest {
            tail_lines: Some(1),
            timestamps: true,
            ..Default::default()
        },
    )
    .await;
    let (stamp, line) = stamped.split_once(' ').expect("timestamp, then the line");
    assert_eq!(line, "three\n");
    let stamp: jiff::Timestamp = stamp.parse().expect("an RFC 3339 timestamp");
    let age = jiff::Timestamp::now().duration_since(stamp);
    assert!(age < jiff::SignedDuration::from_secs(60), "{stamp}");

    // Following from now on: only what comes next (the ticks start once
    // /tmp/go exists).
    let mut next = runtime
        .logs(
            &id,
            &LogRequest {
                follow: true,
                tail_lines: Some(0),
                ..Default::default()
            },
        )
        .await
        .expect("logs");
    runtime
        .exec(&id, &strings(&["/bin/busybox", "touch", "/tmp/go"]))
        .await
        .expect("exec");
    // (The request goes out when the stream is first read: the first tick
    // may come before it, later ones after.)
    let ticks = read_until(&mut next, "tick\ntick\n").await;
    assert!(ticks.lines().all(|line| line == "tick"), "{ticks:?}");
    read_until(&mut all, "tick").await;

    // A stream being followed ends when the container does.
    runtime
        .stop_container(&id, Duration::from_secs(1))
        .await
        .expect("stop");
    let ended = tokio::time::timeout(WAIT, async { while next.next().await.is_some() {} }).await;
    assert!(
        ended.is_ok(),
        "the followed log did not end with the container"
    );

    assert!(matches!(
        runtime
            .logs("no-such-container", &LogRequest::default())
            .await,
        Err(RuntimeError::NoSuchContainer(_))
    ));
    cluster.finish().await;
}

#[tokio::test]
async fn exec_reports_output_and_exit_code() {
    let cluster = Cluster::new("exec").await;
    let runtime = &cluster.runtime;
    let id = cluster
        .run(
            &pod("box"),
            "main",
            strings(&["/bin/busybox", "sleep", "3600"]),
        )
        .await;
    let output = runtime
        .exec(&id, &shell("echo out; echo err >&2; exit 7"))
        .await
        .expect("exec");
    assert_eq!(output.exit_code, 7);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "err\n");

    let missing = runtime
        .exec(&id, &strings(&["/no/such/binary"]))
        .await
        .expect("exec runs, the command does not");
    assert_eq!(
        missing.exit_code, 126,
        "Docker's code for a command it cannot run"
    );
    assert!(
        String::from_utf8_lossy(&missing.stdout).contains("no such file or directory"),
        "{missing:?}"
    );

    runtime
        .stop_container(&id, Duration::from_secs(1))
        .await
        .expect("stop");
    let error = runtime
        .exec(&id, &strings(&["/bin/busybox", "true"]))
        .await
        .expect_err("not running");
    assert!(error.to_string().contains("is not running"), "{error}");
    cluster.finish().await;
}

#[tokio::test]
async fn exec_session_streams_stdin_output_resize_and_exit_code() {
    let cluster = Cluster::new("session").await;
    let runtime = &cluster.runtime;
    let id = cluster
        .run(
            &pod("box"),
            "main",
            strings(&["/bin/busybox", "sleep", "3600"]),
        )
        .await;

    let mut session = runtime
        .exec_session(
            &id,
            &ExecRequest {
                command: shell(
                    "while read line; do echo \"got $line\"; echo warn >&2; done; exit 4",
                ),
                stdin: true,
                tty: false,
            },
        )
        .await
        .expect("exec session");
    let stdin = session.stdin.take().expect("stdin was asked for");
    stdin.send(Bytes::from("a\n")).await.expect("send");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let chunk = tokio::time::timeout(WAIT, session.output.next())
            .await
            .expect("output in time")
            .expect("output");
        seen.push(chunk);
    }
    seen.sort_by_key(|chunk| matches!(chunk, ExecChunk::Stderr(_)));
    assert_eq!(
        seen,
        vec![
            ExecChunk::Stdout(Bytes::from("got a\n")),
            ExecChunk::Stderr(Bytes::from("warn\n"))
        ]
    );
    drop(stdin);
    while session.output.next().await.is_some() {}
    let code = tokio::time::timeout(WAIT, session.exit_code)
        .await
        .expect("exit in time")
        .expect("exit code");
    assert_eq!(code, 4);

    // A terminal: resized, then asked for its size.
    let mut session = runtime
        .exec_session(
            &id,
            &ExecRequest {
                command: strings(&["/bin/busybox", "sh"]),
                stdin: true,
                tty: true,
            },
        )
        .await
        .expect("tty session");
    let resize = session.resize.take().expect("a tty can be resized");
    resize.send((100, 30)).await.expect("resize");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stdin = session.stdin.take().expect("stdin");
    stdin
        .send(Bytes::from("/bin/busybox stty size; exit 5\n"))
        .await
        .expect("send");
    let mut screen = String::new();
    let finished = tokio::time::timeout(WAIT, async {
        while let Some(chunk) = session.output.next().await {
            if let ExecChunk::Stdout(bytes) = chunk {
                screen.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    })
    .await;
    assert!(finished.is_ok(), "the shell did not end: {screen:?}");
    assert!(screen.contains("30 100"), "{screen:?}");
    assert_eq!(session.exit_code.await.expect("exit code"), 5);
    cluster.finish().await;
}

#[tokio::test]
async fn memory_limit_oom_kill_is_reported() {
    let cluster = Cluster::new("oom").await;
    let runtime = &cluster.runtime;
    let mut events = runtime.events();
    let hog = pod("hog");
    let mut spec = cluster.container_spec(
        &hog,
        "main",
        shell("x=$(/bin/busybox head -c 300000000 /dev/zero | /bin/busybox tr '\\0' a); echo survived"),
    );
    spec.limits = ResourceLimits {
        memory_bytes: Some(32 << 20),
        cpu_millis: Some(500),
    };
    let id = runtime.create_container(&spec).await.expect("create");
    let limits = docker_cli(&[
        "inspect",
        "--format",
        "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}",
        &id,
    ]);
    assert_eq!(limits, format!("{} 500000000", 32 << 20));
    runtime.start_container(&id).await.expect("start");
    let died = loop {
        let event = next_event(&mut events, &id).await;
        if let RuntimeEventKind::Died { .. } = event.kind {
            break event.kind;
        }
    };
    assert_eq!(
        died,
        RuntimeEventKind::Died {
            exit_code: 137,
            oom_killed: true
        }
    );
    let info = runtime.inspect_container(&id).await.expect("inspect");
    assert!(info.oom_killed);
    assert_eq!(info.exit_code, Some(137));
    cluster.finish().await;
}

#[tokio::test]
async fn a_cluster_sees_and_removes_only_its_own_containers() {
    let mine = Cluster::new("mine").await;
    let theirs = Cluster::new("theirs").await;
    let plain = PlainContainer::run();
    let plain = plain.0.as_str();

    let mut my_events = mine.runtime.events();
    let their_pod = pod("theirs");
    let their_sandbox = theirs
        .runtime
        .run_sandbox(&theirs.sandbox_spec(&their_pod, &[]))
        .await
        .expect("sandbox")
        .expect("docker has sandboxes");
    let their_container = theirs
        .run(
            &their_pod,
            "main",
            strings(&["/bin/busybox", "sleep", "3600"]),
        )
        .await;
    let my_pod = pod("mine");
    let my_container = mine
        .run(&my_pod, "main", strings(&["/bin/busybox", "sleep", "3600"]))
        .await;

    // The first event this cluster hears of is its own container's.
    let first = tokio::time::timeout(WAIT, my_events.next())
        .await
        .expect("an event in time")
        .expect("an event");
    assert_eq!(first.container_id, my_container);
    assert_eq!(first.labels.get(LABEL_CLUSTER), Some(&mine.id));

    let listed: Vec<String> = mine
        .runtime
        .list_containers()
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(listed, vec![my_container.clone()]);

    assert_eq!(
        mine.runtime
            .remove_cluster_containers()
            .await
            .expect("reset"),
        1
    );
    let mut still_theirs: Vec<String> = theirs
        .runtime
        .list_containers()
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    still_theirs.sort();
    let mut expected = vec![their_sandbox.id.clone(), their_container.clone()];
    expected.sort();
    assert_eq!(still_theirs, expected);
    assert_eq!(
        docker_cli(&["inspect", "--format", "{{.State.Running}}", plain]),
        "true",
        "a container podium did not create is untouched"
    );
    theirs.finish().await;
}

#[tokio::test]
async fn images_present_or_not() {
    let cluster = Cluster::new("images").await;
    let info = cluster
        .runtime
        .image_present(IMAGE)
        .await
        .expect("inspect")
        .expect("present");
    let id = docker_cli(&["image", "inspect", "--format", "{{.Id}}", IMAGE]);
    assert_eq!(info.image_id, id, "imported images have no digest: the id");
    assert!(info.size_bytes > 0);
    assert!(
        cluster
            .runtime
            .image_present("podium.test/never-imported:1")
            .await
            .expect("inspect")
            .is_none()
    );
    assert_eq!(cluster.runtime.name(), "docker");
    assert_eq!(
        cluster.runtime.version(),
        docker_cli(&["version", "--format", "{{.Server.Version}}"])
    );
    cluster.runtime.ping().await.expect("ping");
}

#[tokio::test]
async fn probes_reach_the_pod_through_its_loopback_ports() {
    let cluster = Cluster::new("probes").await;
    let runtime = &cluster.runtime;
    let web = pod("probed");
    let sandbox = runtime
        .run_sandbox(&cluster.sandbox_spec(&web, &[8080, 9090]))
        .await
        .expect("run sandbox")
        .expect("docker has sandboxes");
    // Serves 8080 once /tmp/go exists; 9090 is declared but never served.
    let serve = "while [ ! -f /tmp/go ]; do sleep 0.1; done; mkdir -p /www \
                 && echo ok > /www/index.html && exec /bin/busybox httpd -f -p 8080 -h /www";
    let mut spec = cluster.container_spec(&web, "app", shell(serve));
    spec.sandbox = Some(sandbox.id.clone());
    spec.ports = vec![tcp(8080), tcp(9090)];
    let id = runtime.create_container(&spec).await.expect("create");
    runtime.start_container(&id).await.expect("start");

    let second = Duration::from_secs(1);
    let http = ProbeAction::Http {
        host: sandbox.ip.clone(),
        port: 8080,
        path: "/".to_string(),
        scheme: "http".to_string(),
        headers: Vec::new(),
    };
    let tcp_probe = |port: u16| ProbeAction::Tcp {
        host: sandbox.ip.clone(),
        port,
    };
    let id = id.as_str();
    let probe = |action: ProbeAction| async move {
        runtime
            .probe(id, ProbeKind::Readiness, &action, second)
            .await
    };
    // Docker's proxy accepts on a published port even when nothing
    // listens behind it: the probes must still fail.
    let refused = format!("dial tcp {}:9090: connect: connection refused", sandbox.ip);
    assert_eq!(probe(tcp_probe(9090)).await, ProbeOutcome::Failure(refused));
    assert!(matches!(
        probe(tcp_probe(8080)).await,
        ProbeOutcome::Failure(_)
    ));
    assert!(matches!(
        probe(http.clone()).await,
        ProbeOutcome::Failure(_)
    ));

    runtime
        .exec(id, &strings(&["/bin/busybox", "touch", "/tmp/go"]))
        .await
        .expect("exec");
    let deadline = Instant::now() + WAIT;
    while probe(http.clone()).await != ProbeOutcome::Success {
        assert!(Instant::now() < deadline, "the HTTP probe never passed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(probe(tcp_probe(8080)).await, ProbeOutcome::Success);
    assert!(matches!(
        probe(tcp_probe(9090)).await,
        ProbeOutcome::Failure(_)
    ));
    let exec = |command: &str| ProbeAction::Exec {
        command: shell(command),
    };
    assert_eq!(probe(exec("test -f /tmp/go")).await, ProbeOutcome::Success);
    assert!(matches!(
        probe(exec("exit 1")).await,
        ProbeOutcome::Failure(_)
    ));
    cluster.finish().await;
}

#[tokio::test]
async fn env_args_working_dir_and_read_only_mounts_reach_the_process() {
    let cluster = Cluster::new("config").await;
    let runtime = &cluster.runtime;
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(data.path().join("hello.txt"), "hi from the host\n").expect("write");
    let job = pod("configured");
    let mut spec = cluster.container_spec(&job, "main", strings(&["/bin/busybox"]));
    spec.args = strings(&[
        "sh",
        "-c",
        "echo \"$GREETING\"; pwd; cat hello.txt; touch written 2>/dev/null || echo read-only",
    ]);
    spec.env = vec![("GREETING".to_string(), "hello $world".to_string())];
    spec.working_dir = Some("/config".to_string());
    spec.mounts = vec![Mount {
        host_path: data.path().to_path_buf(),
        container_path: "/config".to_string(),
        read_only: true,
    }];
    let mut events = runtime.events();
    let id = runtime.create_container(&spec).await.expect("create");
    runtime.start_container(&id).await.expect("start");
    while !matches!(
        next_event(&mut events, &id).await.kind,
        RuntimeEventKind::Died { exit_code: 0, .. }
    ) {}
    assert_eq!(
        logs_text(runtime, &id, LogRequest::default()).await,
        "hello $world\n/config\nhi from the host\nread-only\n"
    );
    assert!(!data.path().join("written").exists());

    // The same name again (a retry with the same restart count) is a new
    // container beside the old one, which stays untouched.
    let again = runtime.create_container(&spec).await.expect("create again");
    assert_ne!(again, id);
    let names = docker_cli(&["inspect", "--format", "{{.Name}}", &id, &again]);
    let (first, second) = names.split_once('\n').expect("two names");
    assert_eq!(first, format!("/k8s_main_configured_default_{}_0", job.uid));
    assert!(second.starts_with(&format!("{first}_")), "{second}");
    cluster.finish().await;
}

/// The engine's own words reach the kubelet (a registry on a closed
/// loopback port: nothing leaves the machine).
#[tokio::test]
async fn a_failed_pull_carries_the_engine_message() {
    let cluster = Cluster::new("pull").await;
    let error = cluster
        .runtime
        .pull_image("127.0.0.1:1/podium-test/nothing:1", &|_| {})
        .await
        .expect_err("nothing listens there");
    let RuntimeError::ImagePull(message) = error else {
        panic!("not an ImagePull error: {error:?}");
    };
    assert!(
        message.starts_with("Error response from daemon: Get \"http")
            && message.contains("127.0.0.1:1/v2/")
            && message.ends_with("connect: connection refused"),
        "{message}"
    );
}
