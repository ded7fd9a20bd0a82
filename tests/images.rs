//! `podium images demo` as a user runs it: the real binary imports the demo
//! images into the real Docker engine, and the images run the echo workload.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

const PODIUM: &str = env!("CARGO_BIN_EXE_podium");

fn podium(args: &[&str]) -> Output {
    Command::new(PODIUM)
        .args(args)
        .output()
        .expect("run podium")
}

fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("run the docker CLI");
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Removes the container however the test ends.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

/// `reference  id  size  state` lines, by reference.
fn summary(stdout: &str) -> Vec<(String, String, String)> {
    stdout
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split("  ").collect();
            assert_eq!(fields.len(), 4, "{line:?}");
            (
                fields[0].to_string(),
                fields[1].to_string(),
                fields[3].to_string(),
            )
        })
        .collect()
}

fn run_demo() -> Vec<(String, String, String)> {
    let output = podium(&["images", "demo"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "podium images demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    summary(&stdout)
}

/// One GET over a fresh connection; `None` until the server answers.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    (!answer.is_empty()).then_some(answer)
}

#[test]
fn images_demo_imports_both_versions_and_version_2_echoes_then_stops_on_sigterm() {
    let first = run_demo();
    let references: Vec<&str> = first
        .iter()
        .map(|(reference, ..)| reference.as_str())
        .collect();
    assert_eq!(references, ["podium/echo:1.0", "podium/echo:2.0"]);
    for (reference, id, _) in &first {
        assert_eq!(
            &docker(&["image", "inspect", "--format", "{{.Id}}", reference]),
            id
        );
    }
    let config = docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Env}} {{json .Config.Entrypoint}} {{json .Config.ExposedPorts}}",
        "podium/echo:1.0",
    ]);
    assert_eq!(config, r#"["VERSION=1.0"] ["/echo"] {"8080/tcp":{}}"#);

    // A second run finds the same content and leaves the images alone.
    let again = run_demo();
    for ((reference, id, _), (reference_again, id_again, state)) in first.iter().zip(&again) {
        assert_eq!((reference, id), (reference_again, id_again));
        assert_eq!(state, "up to date");
    }

    let container = Container(docker(&[
        "run",
        "--rm",
        "-d",
        "-p",
        "127.0.0.1::8080",
        "podium/echo:2.0",
    ]));
    let published = docker(&["port", &container.0, "8080/tcp"]);
    let port: u16 = published
        .lines()
        .next()
        .and_then(|line| line.rsplit(':').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no published port in {published:?}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let answer = loop {
        if let Some(answer) = http_get(port, "/demo?x=1") {
            break answer;
        }
        assert!(
            Instant::now() < deadline,
            "no answer on 127.0.0.1:{port} within 10 s"
        );
        thread::sleep(Duration::from_millis(100));
    };
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    let hostname = &container.0[..12];
    for expected in [
        "CLIENT VALUES:\n",
        "command=GET\nreal path=/demo\nquery=x=1\nrequest_version=1.1\n",
        "\nSERVER VALUES:\n",
        &format!("hostname={hostname}\nversion=2.0\n"),
        "\nHEADERS RECEIVED:\n",
        "host=localhost\n",
        "BODY:\n-no body in request-\n",
    ] {
        assert!(
            answer.contains(expected),
            "{expected:?} missing from:\n{answer}"
        );
    }
    let logs = docker(&["logs", &container.0]);
    assert!(logs.contains("echo version 2.0 on "), "{logs}");
    assert!(logs.contains("GET /demo?x=1 from "), "{logs}");

    // `docker wait` reports the exit code even though --rm removes the container.
    let waiter = Command::new("docker")
        .args(["wait", &container.0])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("docker wait");
    thread::sleep(Duration::from_millis(200));
    let stopping = Instant::now();
    // A generous grace period: a workload that ignored SIGTERM would take all of it.
    docker(&["stop", "--time", "30", &container.0]);
    let took = stopping.elapsed();
    let exit = waiter.wait_with_output().expect("docker wait ends");
    assert_eq!(String::from_utf8_lossy(&exit.stdout).trim(), "0");
    assert!(took < Duration::from_secs(5), "docker stop took {took:?}");
}

#[test]
fn images_demo_with_a_missing_binary_says_how_to_get_one() {
    let output = podium(&["images", "demo", "--binary", "/nonexistent"]);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("podium: --binary /nonexistent: no such file; pass the path of a statically linked echo workload, built with: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("cargo build --release -p podium-workload"),
        "{stderr}"
    );
}
