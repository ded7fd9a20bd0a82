//! The engine going away and coming back, and no engine at all. A socket
//! proxy under the test's control stands between podium and dockerd, so
//! the engine "goes away" without disturbing other tests' containers.

use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::cluster::{DockerPodium, require_images};
use crate::common::Podium;

const ENGINE_SOCKET: &str = "/var/run/docker.sock";

/// Forwards a unix socket to the engine's until stopped; stopping closes
/// every connection, as an engine that died would.
struct SocketProxy {
    path: PathBuf,
    stopped: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<UnixStream>>>,
}

impl SocketProxy {
    fn start(path: &Path) -> SocketProxy {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).expect("bind the proxy socket");
        let stopped = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (stop, open) = (stopped.clone(), connections.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(engine) = UnixStream::connect(ENGINE_SOCKET) else {
                    continue;
                };
                let mut open = open.lock().expect("lock");
                for stream in [&client, &engine] {
                    if let Ok(clone) = stream.try_clone() {
                        open.push(clone);
                    }
                }
                pipe(&client, &engine);
                pipe(&engine, &client);
            }
        });
        SocketProxy {
            path: path.to_path_buf(),
            stopped,
            connections,
        }
    }

    /// The engine "dies": no new connections, the open ones are cut.
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _ = std::fs::remove_file(&self.path);
        // Wake the accept loop so it sees the flag and drops the listener.
        let _ = UnixStream::connect(&self.path);
        for stream in self.connections.lock().expect("lock").drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn pipe(from: &UnixStream, to: &UnixStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

fn node_ready(podium: &Podium) -> String {
    podium.ok(&[
        "get",
        "node",
        "podium",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Ready\")].status} {.status.conditions[?(@.type==\"Ready\")].message}",
    ])
}

#[test]
fn the_engine_going_away_turns_the_node_not_ready_and_back_without_recreating_pods() {
    require_images();
    let tmp = tempfile::tempdir().expect("tempdir");
    let socket = tmp.path().join("docker.sock");
    let proxy = SocketProxy::start(&socket);
    let host = format!("unix://{}", socket.display());
    let data_dir = tmp.path().join("data");
    let podium = DockerPodium::adopt(Podium::launch(
        &data_dir,
        "docker",
        &[],
        &[("DOCKER_HOST", host.as_str())],
    ));
    podium.ok(&["create", "deployment", "steady", "--image=podium/echo:1.0"]);
    podium.wait_for(
        &["get", "pods", "-l", "app=steady", "--no-headers"],
        Duration::from_secs(60),
        |out| out.contains("1/1") && out.contains("Running"),
    );
    let identity = |podium: &Podium| {
        podium.ok(&[
            "get",
            "pods",
            "-l",
            "app=steady",
            "-o",
            "jsonpath={.items[*].metadata.uid} {.items[*].status.containerStatuses[0].containerID} {.items[*].status.containerStatuses[0].restartCount}",
        ])
    };
    let before = identity(&podium);

    proxy.stop();
    let down = podium.wait_for(
        &[
            "get",
            "node",
            "podium",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
        ],
        Duration::from_secs(30),
        |status| status == "False",
    );
    assert_eq!(down, "False");
    let condition = node_ready(&podium);
    assert!(
        condition.contains("container runtime is down"),
        "the condition says why: {condition}"
    );
    // The pod is kept while the engine is away.
    assert_eq!(identity(&podium), before);

    let _back = SocketProxy::start(&socket);
    podium.wait_for(
        &[
            "get",
            "node",
            "podium",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
        ],
        Duration::from_secs(60),
        |status| status == "True",
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        identity(&podium),
        before,
        "the same pod and container, not restarted"
    );
    let events = podium.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.kind=Node",
    ]);
    assert!(events.contains("NodeNotReady"), "{events}");
}

#[test]
fn without_an_engine_docker_is_refused_clearly_and_the_default_falls_back_to_sim() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = "unix:///nonexistent/podium-test/docker.sock";
    let out = Command::new(env!("CARGO_BIN_EXE_podium"))
        .args([
            "serve",
            "--runtime",
            "docker",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(tmp.path().join("explicit"))
        .env("DOCKER_HOST", missing)
        .output()
        .expect("podium runs");
    assert!(
        !out.status.success(),
        "--runtime docker without an engine fails"
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("/nonexistent/podium-test/docker.sock"),
        "names what was tried: {said}"
    );
    assert!(said.contains("--runtime sim"), "points to the sim: {said}");

    // Without --runtime, podium warns with the same line and runs on the sim.
    let mut child = Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path().join("default"))
        .env("DOCKER_HOST", missing)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("podium runs");
    let mut line = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("ready line");
    assert!(line.contains("API serving at"), "{line}");
    let _ = child.kill();
    let output = child.wait_with_output().expect("stderr");
    let warned = String::from_utf8_lossy(&output.stderr);
    assert!(
        warned.contains("/nonexistent/podium-test/docker.sock")
            && warned.contains("simulated runtime"),
        "the fallback is said: {warned}"
    );
}
