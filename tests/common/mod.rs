//! Test harness: runs the real `podium serve` binary on a free port with a
//! temporary data directory, and the real kubectl against it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Podium {
    child: Option<Child>,
    pub data_dir: PathBuf,
    pub kubeconfig: PathBuf,
    pub api_line: String,
    _tmp: Option<tempfile::TempDir>,
}

impl Podium {
    /// Starts `podium serve --runtime sim` with instant simulated latencies.
    pub fn start() -> Podium {
        Podium::start_with(&["--sim-latency", "0"])
    }

    pub fn start_with(extra: &[&str]) -> Podium {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        let mut podium = Podium::start_in(&dir, extra);
        podium._tmp = Some(tmp);
        podium
    }

    /// Starts podium on an existing data directory (for restarts).
    pub fn start_in(data_dir: &Path, extra: &[&str]) -> Podium {
        Podium::launch(data_dir, "sim", extra, &[])
    }

    /// Starts `podium serve --runtime docker` on the local engine.
    pub fn start_docker() -> Podium {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        let mut podium = Podium::launch(&dir, "docker", &[], &[]);
        podium._tmp = Some(tmp);
        podium
    }

    /// Starts `podium serve --runtime docker` with extra flags and
    /// environment (e.g. `--offline`, PODIUM_CONFIG_DIR).
    pub fn start_docker_with(extra: &[&str], env: &[(&str, &str)]) -> Podium {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        let mut podium = Podium::launch(&dir, "docker", extra, env);
        podium._tmp = Some(tmp);
        podium
    }

    /// Starts podium with `runtime` and extra environment (DOCKER_HOST …);
    /// the settings file is read from the data directory (none there)
    /// unless `env` names a PODIUM_CONFIG_DIR.
    pub fn launch(data_dir: &Path, runtime: &str, extra: &[&str], env: &[(&str, &str)]) -> Podium {
        let mut child = Command::new(env!("CARGO_BIN_EXE_podium"))
            .args(["serve", "--runtime", runtime, "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .env("PODIUM_LOG", "warn")
            .env("PODIUM_CONFIG_DIR", data_dir)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("podium starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let api_line = lines
            .next()
            .expect("podium printed a line")
            .expect("readable line");
        // Keep draining stdout so podium never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let kubeconfig = data_dir.join("kubeconfig");
        assert!(
            api_line.contains(&kubeconfig.display().to_string()),
            "the ready line names the kubeconfig: {api_line}"
        );
        Podium {
            child: Some(child),
            data_dir: data_dir.to_path_buf(),
            kubeconfig,
            api_line,
            _tmp: None,
        }
    }

    pub fn kubectl(&self, args: &[&str]) -> Output {
        // The timeout goes first: after `exec … --` it would reach the command.
        Command::new("kubectl")
            .arg("--request-timeout=30s")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .output()
            .expect("kubectl runs")
    }

    /// Runs kubectl with a file on stdin (`-f -`).
    pub fn kubectl_stdin(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("kubectl output")
    }

    /// `kubectl apply -f -` of `manifest`, which must succeed; returns stdout.
    pub fn apply(&self, manifest: &str) -> String {
        let out = self.kubectl_stdin(&["apply", "-f", "-"], manifest);
        assert!(
            out.status.success(),
            "kubectl apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs one of `tests/clients/*.py` with the official Python client
    /// (`./scripts/test` installs it), the kubeconfig first, then `args`;
    /// returns its stdout lines after asserting it succeeded.
    pub fn python(&self, script: &str, args: &[&str]) -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = root.join("target/test-venv/bin/python");
        assert!(
            python.exists(),
            "the Python Kubernetes client is not installed; run ./scripts/test (it creates {})",
            python.display()
        );
        let out = Command::new(&python)
            .arg(root.join("tests/clients").join(script))
            .arg(&self.kubeconfig)
            .args(args)
            .output()
            .expect("python runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout.lines().map(str::to_string).collect()
    }

    /// kubectl that must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// kubectl that must fail; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            !out.status.success(),
            "kubectl {} should fail but printed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Polls `probe` (a kubectl query) until `done` holds for its output.
    pub fn wait_for(
        &self,
        args: &[&str],
        timeout: Duration,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < timeout {
            let out = self.kubectl(args);
            last = String::from_utf8_lossy(&out.stdout).into_owned();
            if out.status.success() && done(&last) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "timed out after {timeout:?} waiting on `kubectl {}`; last output:\n{last}",
            args.join(" ")
        );
    }

    /// SIGKILL, as a crash would.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9");
            child.wait().expect("reaped");
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }
}

impl Drop for Podium {
    fn drop(&mut self) {
        self.kill_9();
    }
}

pub fn sample(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn sample_path(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
        .display()
        .to_string()
}
