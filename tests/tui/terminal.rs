//! The real binary in a real terminal (tmux): it opens, takes keys,
//! quits with `q`, and gives the terminal back; `s` on a pod hands the
//! terminal to a shell in the container and takes it back on `exit`.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(command: &str) -> Tmux {
        // Tests run in parallel in one process: one session each.
        static SESSIONS: AtomicUsize = AtomicUsize::new(0);
        let session = format!(
            "podium-test-{}-{}",
            std::process::id(),
            SESSIONS.fetch_add(1, Ordering::Relaxed)
        );
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-x",
                "140",
                "-y",
                "40",
                "-s",
                &session,
                command,
            ])
            .status()
            .expect("tmux runs (./scripts/test installs it)");
        assert!(status.success(), "tmux new-session failed");
        Tmux { session }
    }

    fn send(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// Types `text` as is (no key names).
    fn type_text(&self, text: &str) {
        self.send(&["-l", text]);
    }

    fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what:?}; the terminal shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

#[test]
fn podium_opens_the_console_takes_keys_and_gives_the_terminal_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let command = format!(
        "{} --runtime sim --data-dir {} --listen 127.0.0.1:0 --ingress-listen 127.0.0.1:0; echo podium-exited-with-$?; sleep 30",
        env!("CARGO_BIN_EXE_podium"),
        dir.path().display()
    );
    let tmux = Tmux::start(&command);
    let screen = tmux.wait_for("pods(default)[0]");
    assert!(screen.contains("runtime sim://"), "{screen}");
    tmux.send(&[":", "deploy", "Enter"]);
    tmux.wait_for("deployments(default)[0]");
    tmux.send(&["q"]);
    let screen = tmux.wait_for("podium-exited-with-0");
    // The alternate screen is gone: the console's frame is not left behind.
    assert!(!screen.contains("deployments(default)"), "{screen}");
    // Its own logs went to the data directory, not to the terminal.
    assert!(dir.path().join("logs").is_dir());
}

#[test]
fn podium_demo_plays_pauses_steps_and_quits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let command = format!(
        "{} demo --sim-latency 0 --data-dir {} --ingress-listen 127.0.0.1:0; echo podium-exited-with-$?; sleep 30",
        env!("CARGO_BIN_EXE_podium"),
        dir.path().display()
    );
    let tmux = Tmux::start(&command);
    let screen = tmux.wait_for("demo rollout · step 1/8");
    assert!(screen.contains("runtime sim://"), "{screen}");
    tmux.send(&["Space"]);
    tmux.wait_for("step 1/8 · paused");
    tmux.send(&["Right"]);
    let screen = tmux.wait_for("deployment.apps/nginx-dep created");
    assert!(screen.contains("step 2/8 · paused"), "{screen}");
    tmux.send(&["Space"]);
    tmux.wait_for("step 3/8");
    tmux.send(&["q"]);
    let screen = tmux.wait_for("podium-exited-with-0");
    assert!(!screen.contains("demo rollout"), "{screen}");
}

#[test]
fn podium_demo_refuses_a_broken_story_before_taking_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let story = dir.path().join("mine.yaml");
    std::fs::write(
        &story,
        "name: mine\nsteps:\n  - caption: x\n    scale: {deployment: a}\n",
    )
    .expect("write story");
    let output = Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["demo", story.to_str().expect("utf-8")])
        .output()
        .expect("podium runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("mine.yaml:4: steps[0].scale: missing field `replicas`"),
        "{stderr}"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["demo", "--list"])
        .output()
        .expect("podium runs");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("rollout "), "{stdout}");
}

/// Removes the test's containers even when it fails.
struct DockerCleanup(std::path::PathBuf);

impl Drop for DockerCleanup {
    fn drop(&mut self) {
        if let Ok(id) = std::fs::read_to_string(self.0.join("cluster-id")) {
            crate::harness::remove_docker_cluster(id.trim());
        }
    }
}

#[test]
fn s_on_a_pod_opens_a_shell_in_the_terminal_and_exit_gives_the_console_back() {
    crate::traffic::require_echo_image();
    let dir = tempfile::tempdir().expect("temp dir");
    let _cleanup = DockerCleanup(dir.path().to_path_buf());
    let command = format!(
        "{} --runtime docker --data-dir {} --listen 127.0.0.1:0 --ingress-listen 127.0.0.1:0; echo podium-exited-with-$?; sleep 30",
        env!("CARGO_BIN_EXE_podium"),
        dir.path().display()
    );
    let tmux = Tmux::start(&command);
    tmux.wait_for("pods(default)[0]");
    let kubeconfig = dir.path().join("kubeconfig");
    let created = Command::new("kubectl")
        .args([
            "run",
            "shell-demo",
            "--image=podium/echo:1.0",
            "--image-pull-policy=Never",
        ])
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .expect("kubectl runs");
    assert!(
        created.status.success(),
        "kubectl run: {}",
        String::from_utf8_lossy(&created.stderr)
    );
    tmux.wait_for("Running");

    tmux.send(&["s"]);
    tmux.wait_for("podium: /bin/sh in pod default/shell-demo (container shell-demo)");
    // busybox sh's prompt.
    tmux.wait_for("/ #");
    tmux.type_text("echo hi-$((6*7))");
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("hi-42");
    // The console is not drawn meanwhile.
    assert!(!screen.contains("pods(default)"), "{screen}");

    tmux.type_text("exit");
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("shell exited (code 0)");
    assert!(screen.contains("pods(default)[1]"), "{screen}");
    assert!(
        !screen.contains("hi-42"),
        "the shell's screen is gone: {screen}"
    );

    // The console takes keys again.
    tmux.send(&[":", "deploy", "Enter"]);
    tmux.wait_for("deployments(default)[0]");
    tmux.send(&["q"]);
    tmux.wait_for("podium-exited-with-0");
}
