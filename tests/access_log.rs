//! `podium serve` keeps an access log in DATA_DIR/logs/podium.log.<date>:
//! one line per API request (method, path with query, status, User-Agent),
//! by default and also when PODIUM_LOG quietens the rest.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;

struct Serve {
    child: Child,
    data_dir: PathBuf,
    kubeconfig: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Serve {
    /// `podium serve` on the sim with `PODIUM_LOG` as given (`None`: unset).
    fn start(podium_log: Option<&str>) -> Serve {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data_dir = tmp.path().to_path_buf();
        let mut command = Command::new(env!("CARGO_BIN_EXE_podium"));
        command
            .args(["serve", "--runtime", "sim", "--sim-latency", "0"])
            .args(["--listen", "127.0.0.1:0", "--ingress-listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(&data_dir)
            .env_remove("PODIUM_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(filter) = podium_log {
            command.env("PODIUM_LOG", filter);
        }
        let mut child = command.spawn().expect("podium starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = lines.next().expect("a ready line").expect("readable");
        assert!(ready.contains("API serving at"), "{ready}");
        std::thread::spawn(move || for _ in lines {});
        Serve {
            child,
            kubeconfig: data_dir.join("kubeconfig"),
            data_dir,
            _tmp: tmp,
        }
    }

    fn kubectl(&self, args: &[&str]) -> Output {
        let out = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.data_dir.as_path())
            .output()
            .expect("kubectl runs");
        assert!(out.status.success(), "kubectl {args:?}: {out:?}");
        out
    }

    /// Everything in the log files so far.
    fn log(&self) -> String {
        log_text(&self.data_dir.join("logs"))
    }

    /// Waits for a log line matching `pattern`; the log on timeout.
    fn wait_for_line(&self, pattern: &str) -> Result<String, String> {
        let pattern = Regex::new(pattern).expect("pattern");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if let Some(line) = log.lines().find(|line| pattern.is_match(line)) {
                return Ok(line.to_string());
            }
            if Instant::now() > deadline {
                return Err(log);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_text(dir: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return String::new();
    };
    let mut text = String::new();
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("podium.log")
        {
            text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    text
}

#[test]
fn every_request_is_logged_with_method_path_status_and_user_agent() {
    let podium = Serve::start(None);
    podium.kubectl(&[
        "create",
        "configmap",
        "settings",
        "--from-literal=color=blue",
    ]);
    podium.kubectl(&["get", "configmaps"]);
    podium.kubectl(&["delete", "configmap", "settings"]);

    let created = podium.wait_for_line(
        r"INFO podium::access: POST /api/v1/namespaces/default/configmaps\?\S*fieldManager=kubectl-create\S* 201 kubectl/v1\.",
    );
    assert!(
        created.is_ok(),
        "no access line for the create in:\n{created:?}"
    );
    let listed = podium.wait_for_line(
        r"INFO podium::access: GET /api/v1/namespaces/default/configmaps\?limit=500 200 kubectl/v1\.",
    );
    assert!(
        listed.is_ok(),
        "no access line for the list in:\n{listed:?}"
    );
    let deleted = podium.wait_for_line(
        r"INFO podium::access: DELETE /api/v1/namespaces/default/configmaps/settings 200 kubectl/v1\.",
    );
    assert!(
        deleted.is_ok(),
        "no access line for the delete in:\n{deleted:?}"
    );
}

#[test]
fn the_access_log_stays_on_when_podium_log_quietens_the_rest() {
    let podium = Serve::start(Some("warn"));
    podium.kubectl(&["get", "pods"]);
    let listed = podium.wait_for_line(
        r"INFO podium::access: GET /api/v1/namespaces/default/pods\?limit=500 200 kubectl/v1\.",
    );
    assert!(
        listed.is_ok(),
        "no access line for the list in:\n{listed:?}"
    );
    // Only the access log is kept on: other INFO lines stay filtered.
    let log = podium.log();
    assert!(
        log.lines()
            .filter(|l| l.contains(" INFO "))
            .all(|l| l.contains(" INFO podium::access: ")),
        "{log}"
    );
}

#[test]
fn podium_log_can_turn_the_access_log_off() {
    let podium = Serve::start(Some("info,podium::access=off"));
    podium.kubectl(&["get", "pods"]);
    // The list above is served before this second request's line could be.
    podium.kubectl(&["get", "configmaps"]);
    std::thread::sleep(Duration::from_millis(300));
    let log = podium.log();
    assert!(!log.contains("podium::access"), "{log}");
}
