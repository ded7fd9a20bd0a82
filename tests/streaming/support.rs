//! What the streaming tests share: a running `kubectl port-forward`, a
//! plain HTTP/1.0 GET through it, kubectl with stdin, and SHA-256.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// `kubectl port-forward <target> :<port>` on a free local port; killed on drop.
pub struct PortForward {
    child: Child,
    pub local_port: u16,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl PortForward {
    pub fn start(
        kubeconfig: &Path,
        target: &str,
        remote_port: u16,
        env: &[(&str, &str)],
    ) -> PortForward {
        let mut child = Command::new("kubectl")
            .args(["port-forward", target, &format!(":{remote_port}")])
            .env("KUBECONFIG", kubeconfig)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl port-forward starts");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let errors = child.stderr.take().expect("stderr");
        let collected = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(errors).lines().map_while(Result::ok) {
                collected
                    .lock()
                    .expect("stderr lock")
                    .push_str(&format!("{line}\n"));
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // "Forwarding from 127.0.0.1:43121 -> 8080"
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("kubectl port-forward printed where it listens");
        let local_port = line
            .strip_prefix("Forwarding from 127.0.0.1:")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected port-forward line: {line}"));
        // Keep draining ("Handling connection for …").
        std::thread::spawn(move || for _ in rx {});
        PortForward {
            child,
            local_port,
            stderr,
        }
    }

    /// `GET path` through the forward; the status line and the body.
    pub fn get(&self, path: &str) -> (String, Vec<u8>) {
        http_get(self.local_port, path)
    }

    /// What kubectl printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// Whether kubectl is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for PortForward {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn http_get(port: u16, path: &str) -> (String, Vec<u8>) {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).expect("connect to the forward");
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(socket, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("request");
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).expect("read the answer");
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(&answer)));
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status = head.lines().next().unwrap_or("").to_string();
    (status, answer[split + 4..].to_vec())
}

/// kubectl with `input` on its stdin.
pub fn kubectl_with_input(kubeconfig: &Path, args: &[&str], input: &[u8]) -> Output {
    kubectl_with_input_env(kubeconfig, args, input, &[])
}

/// kubectl with `input` on its stdin (written from a thread, so a command
/// echoing it back cannot fill the pipes) and extra environment.
pub fn kubectl_with_input_env(
    kubeconfig: &Path,
    args: &[&str],
    input: &[u8],
    env: &[(&str, &str)],
) -> Output {
    let mut child = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("kubectl output");
    writer.join().expect("stdin writer");
    output
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Deterministic, incompressible-looking bytes.
pub fn payload(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// kubectl exactly as given (the shared harness appends a request timeout,
/// which after `--` would become part of the command).
pub fn kubectl(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .stdin(Stdio::null())
        .output()
        .expect("kubectl runs")
}

/// kubectl that must succeed; its stdout.
pub fn kubectl_ok(kubeconfig: &Path, args: &[&str]) -> String {
    let out = kubectl(kubeconfig, args);
    assert!(
        out.status.success(),
        "kubectl {} failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
