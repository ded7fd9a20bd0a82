//! The `echo` binary as a container runs it: knobs from the environment,
//! logs on stdout, SIGTERM for a graceful stop, exit codes for crashes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::thread;
use std::time::{Duration, Instant};

struct Echo {
    child: Child,
    lines: Receiver<String>,
}

impl Echo {
    fn start(env: &[(&str, &str)]) -> Echo {
        let mut command = Command::new(env!("CARGO_BIN_EXE_echo"));
        command
            .env_clear()
            .env("PORT", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("echo starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let (sender, lines) = channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Echo { child, lines }
    }

    /// The next stdout line that contains `text`, within 5 s.
    fn line_with(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => continue,
                Err(_) => panic!("no line with {text:?} within 5 s"),
            }
        }
    }

    /// The port from the start line, e.g. "... listening on port 43121".
    fn port(&self) -> u16 {
        let line = self.line_with("listening on port");
        line.rsplit(' ')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"))
    }

    fn signal(&self, signal: i32) {
        let pid = i32::try_from(self.child.id()).expect("pid fits");
        // SAFETY: sending a signal to our own child process.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }

    fn exit_code_within(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!("echo still running after {limit:?}");
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("receive");
    answer
}

#[test]
fn ready_after_delay_then_echoes_version_and_logs_requests() {
    let echo = Echo::start(&[("VERSION", "3.1"), ("READY_AFTER_SECONDS", "0.5")]);
    let port = echo.port();
    assert!(get(port, "/").starts_with("HTTP/1.1 503 "));
    thread::sleep(Duration::from_millis(600));
    let answer = get(port, "/ping?n=1");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.contains("\nversion=3.1\n"), "{answer}");
    assert!(answer.contains("\nquery=n=1\n"), "{answer}");
    let log = echo.line_with("/ping");
    assert!(log.starts_with("GET /ping?n=1 from 127.0.0.1:"), "{log}");
    assert!(log.ends_with("-> 200"), "{log}");
}

#[test]
fn extra_ports_serve_the_same_echo() {
    let echo = Echo::start(&[("EXTRA_PORTS", "0")]);
    let line = echo.line_with("listening on port");
    let ports: Vec<u16> = line
        .split("listening on port ")
        .nth(1)
        .expect("ports listed")
        .split(", ")
        .map(|port| port.parse().expect("port number"))
        .collect();
    assert_eq!(ports.len(), 2, "{line}");
    for port in ports {
        assert!(get(port, "/").contains("CLIENT VALUES:"));
    }
}

#[test]
fn sigterm_exits_zero_at_once_by_default() {
    let mut echo = Echo::start(&[]);
    echo.port();
    echo.signal(libc::SIGTERM);
    assert_eq!(echo.exit_code_within(Duration::from_secs(2)), Some(0));
}

#[test]
fn sigterm_with_term_delay_keeps_serving_then_exits_zero() {
    let mut echo = Echo::start(&[("TERM_DELAY_SECONDS", "1")]);
    let port = echo.port();
    let signalled = Instant::now();
    echo.signal(libc::SIGTERM);
    echo.line_with("SIGTERM received; serving 1s more");
    assert!(get(port, "/during-delay").starts_with("HTTP/1.1 200 OK"));
    assert_eq!(echo.exit_code_within(Duration::from_secs(5)), Some(0));
    assert!(signalled.elapsed() >= Duration::from_secs(1));
}

#[test]
fn crash_after_seconds_exits_with_the_exit_code() {
    let mut echo = Echo::start(&[("CRASH_AFTER_SECONDS", "0.3"), ("EXIT_CODE", "7")]);
    echo.line_with("crashing with exit code 7");
    assert_eq!(echo.exit_code_within(Duration::from_secs(5)), Some(7));
}

#[test]
fn log_lines_are_numbered_and_steady() {
    let echo = Echo::start(&[("LOG_LINES_PER_SECOND", "20"), ("VERSION", "1.0")]);
    let first = Instant::now();
    echo.line_with("log line 1 from ");
    let tenth = echo.line_with("log line 10 from ");
    assert!(tenth.ends_with("version 1.0"), "{tenth}");
    let took = first.elapsed();
    // 9 intervals of 50 ms; generous bounds for a loaded machine.
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_secs(4), "{took:?}");
}

#[test]
fn a_bad_knob_exits_2_and_says_which() {
    let mut echo = Echo::start(&[("EXIT_CODE", "300")]);
    assert_eq!(echo.exit_code_within(Duration::from_secs(2)), Some(2));
    let mut stderr = String::new();
    echo.child
        .stderr
        .take()
        .expect("stderr piped")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert_eq!(
        stderr,
        "echo: EXIT_CODE=\"300\" cannot be used: expected a whole number from 0 to 255\n"
    );
}
