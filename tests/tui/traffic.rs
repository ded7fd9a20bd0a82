//! Port-forward from the keys, on real Docker containers of the local
//! `podium/echo:1.0` image (the simulated runtime serves no HTTP):
//! `shift-f` on a Service, an HTTP GET through the local port answered by
//! the pod, `:pf` listing the forward, `ctrl-d` stopping it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crossterm::event::KeyCode;
use regex::Regex;

use crate::harness::{Console, rows_starting};

const ECHO: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: echo
spec:
  replicas: 1
  selector:
    matchLabels: {app: echo}
  template:
    metadata:
      labels: {app: echo}
    spec:
      containers:
      - name: echo
        image: podium/echo:1.0
        imagePullPolicy: Never
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: echo
spec:
  selector: {app: echo}
  ports:
  - port: 80
    targetPort: 8080
";

/// The local images must be there: `./scripts/test` imports them.
pub fn require_echo_image() {
    let present = std::process::Command::new("docker")
        .args(["image", "inspect", "podium/echo:1.0"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        present,
        "the local image podium/echo:1.0 is missing; run ./scripts/test (or `podium images demo`) to import it"
    );
}

/// `GET /` through 127.0.0.1:`port`: the whole answer.
fn http_get(port: u16) -> std::io::Result<String> {
    let mut socket = TcpStream::connect(("127.0.0.1", port))?;
    socket.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        socket,
        "GET /through-podium HTTP/1.0\r\nHost: localhost\r\n\r\n"
    )?;
    let mut answer = String::new();
    socket.read_to_string(&mut answer)?;
    Ok(answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shift_f_on_a_service_forwards_http_to_one_of_its_ready_pods() {
    require_echo_image();
    let mut console = Console::start_docker().await;
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), ECHO).expect("write the manifest");
    console.key(KeyCode::Char('a'));
    console.answer(&file.path().display().to_string());
    console
        .wait_until("the echo pod Running", |s| {
            rows_starting(s, "echo-") == 1 && s.contains("1/1") && s.contains("Running")
        })
        .await;
    // The Service has its ready endpoint before anything is forwarded.
    console.command("ep");
    console
        .wait_until("the echo endpoint", |s| s.contains(":8080"))
        .await;

    console.command("svc");
    let screen = console
        .wait_until("the services", |s| s.contains("services(default)"))
        .await;
    assert!(rows_starting(&screen, "echo ") == 1, "{screen}");
    assert!(screen.contains("<shift-f> port-forward"), "{screen}");
    // Rows are sorted by name: echo before kubernetes.
    console.key(KeyCode::Home);
    console.key(KeyCode::Char('F'));
    let screen = console.screen();
    let prompt = Regex::new(r"port-forward svc/echo \(local:remote\): (\d+):80").expect("regex");
    assert!(prompt.is_match(&screen), "{screen}");

    // Any free local port.
    console.answer(":80");
    let forwarding = Regex::new(r"forwarding 127\.0\.0\.1:(\d+) -> svc/echo:80").expect("regex");
    let screen = console
        .wait_until("the forward's flash", |s| forwarding.is_match(s))
        .await;
    let port: u16 = forwarding.captures(&screen).expect("flash")[1]
        .parse()
        .expect("a port");

    let answer = tokio::task::spawn_blocking(move || http_get(port))
        .await
        .expect("the GET ran")
        .expect("the forward answers");
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "{answer}"
    );
    assert!(answer.contains("hostname=echo-"), "{answer}");
    assert!(answer.contains("/through-podium"), "{answer}");

    // `:pf` lists it with the pod that answered and the connection, closed.
    console.command("pf");
    let counts = Regex::new(r"svc/echo:80 .*\s0\s+1\s*│?$").expect("regex");
    let screen = console
        .wait_until("the forward listed, its connection closed", |s| {
            s.contains("portforwards[1]") && s.lines().any(|line| counts.is_match(line))
        })
        .await;
    let row = screen
        .lines()
        .find(|line| line.contains("svc/echo:80"))
        .expect("the forward's row");
    assert!(row.contains(&format!("127.0.0.1:{port}")), "{row}");
    assert!(row.contains("echo-"), "the pod that answered: {row}");

    // ctrl-d stops it: the port no longer answers.
    console.ctrl('d');
    let screen = console.screen();
    assert!(
        screen.contains(&format!(
            "stopped port-forward 127.0.0.1:{port} -> svc/echo:80"
        )),
        "{screen}"
    );
    assert!(screen.contains("portforwards[0]"), "{screen}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = tokio::task::spawn_blocking(move || http_get(port))
        .await
        .expect("the GET ran");
    assert!(refused.is_err(), "still answering: {refused:?}");
}
