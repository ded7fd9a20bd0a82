//! Reaching the engine: what `connect` says when there is none, and what
//! the runtime does when the engine goes away and comes back.

use std::process::Command;
use std::time::Duration;

use futures::StreamExt;
use podium::kubelet::docker::{DockerOptions, DockerRuntime};
use podium::kubelet::runtime::{ContainerRunState, Runtime, RuntimeError, RuntimeEventKind};

use crate::support::{Cluster, WAIT, next_event, pod, strings};

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
            "engine::connect_without_engine_says_what_was_tried_and_how_to_fix_it",
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
            "engine::engine_going_away_ends_events_and_makes_operations_unavailable",
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
