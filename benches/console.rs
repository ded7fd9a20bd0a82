//! The console's start, measured on the real release binary in a real
//! pseudo-terminal (120x40): time to the first frame ("starting the
//! cluster…") and to the first pods table, on an empty data directory and
//! on one whose store holds 1,000 pods; then its CPU use over 30 s while
//! 50 pods run and nothing changes. Prints a table.
//!
//!     cargo bench --bench console
//!
//! Targets (issue: the console): the console opens within 150 ms; idle
//! CPU ≤ 0.5 %.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;
/// How long the idle console's CPU use is measured.
const IDLE_WINDOW: Duration = Duration::from_secs(30);

/// A pseudo-terminal pair of the given size.
fn pty(rows: u16, cols: u16) -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors we then own.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors are fresh and owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// A console started in a pseudo-terminal, and what it printed so far.
struct Running {
    child: std::process::Child,
    reader: File,
    first_frame: Duration,
    table: Duration,
}

/// Starts the console on `data_dir` and returns (first frame, pods table
/// showing `marker`).
fn open_console(data_dir: &Path, marker: &str) -> (Duration, Duration) {
    let mut running = start_console(data_dir, marker);
    let _ = running.child.kill();
    let _ = running.child.wait();
    (running.first_frame, running.table)
}

/// CPU time (user + system) the process has used.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // Fields after the command's closing parenthesis; utime and stime are
    // the 12th and 13th of them, in clock ticks.
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_secs_f64(ticks as f64 / per_second as f64)
}

/// The console's CPU use while nothing changes: 50 running pods, `window`
/// long, after a settling pause; the terminal's output is drained.
fn idle_cpu(window: Duration) -> f64 {
    let dir = data_dir_with_pods(50);
    let mut running = start_console(dir.path(), "pods(default)[50]");
    let drain = |reader: &mut File, for_how_long: Duration| {
        let until = Instant::now() + for_how_long;
        let mut buffer = [0u8; 65536];
        while Instant::now() < until {
            let mut poll = libc::pollfd {
                fd: reader.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            if unsafe { libc::poll(&mut poll, 1, 50) } > 0 && reader.read(&mut buffer).is_err() {
                break;
            }
        }
    };
    drain(&mut running.reader, Duration::from_secs(5));
    let before = cpu_time(running.child.id());
    drain(&mut running.reader, window);
    let used = cpu_time(running.child.id()) - before;
    let _ = running.child.kill();
    let _ = running.child.wait();
    100.0 * used.as_secs_f64() / window.as_secs_f64()
}

fn start_console(data_dir: &Path, marker: &str) -> Running {
    let (master, slave) = pty(40, 120);
    let stdio = || Stdio::from(slave.try_clone().expect("dup"));
    let started = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_podium"));
    command
        .args([
            "--runtime",
            "sim",
            "--sim-latency",
            "0",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--ingress-listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("TERM", "xterm-256color")
        .stdin(stdio())
        .stdout(stdio())
        .stderr(stdio());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    let child = command.spawn().expect("podium starts");
    drop(slave);
    let mut reader = File::from(master);
    let fd = reader.as_raw_fd();
    let mut seen = Vec::new();
    let mut first_frame = None;
    let mut table = None;
    let mut buffer = [0u8; 65536];
    while started.elapsed() < Duration::from_secs(20) {
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut poll, 1, 10) } <= 0 {
            continue;
        }
        let Ok(read) = reader.read(&mut buffer) else {
            break;
        };
        seen.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&seen);
        if first_frame.is_none() && text.contains("starting") {
            first_frame = Some(started.elapsed());
        }
        if text.contains(marker) {
            table = Some(started.elapsed());
            break;
        }
    }
    Running {
        child,
        reader,
        first_frame: first_frame.expect("the first frame"),
        table: table.unwrap_or_else(|| panic!("the console never showed {marker:?}")),
    }
}

/// A data directory whose store holds a Deployment of `pods` pods.
fn data_dir_with_pods(pods: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["serve", "--runtime", "sim", "--sim-latency", "0"])
        .args(["--listen", "127.0.0.1:0", "--ingress-listen", "127.0.0.1:0"])
        .args(["--max-pods", "1100", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("podium serve");
    let mut stdout = server.stdout.take().expect("stdout");
    let mut line = [0u8; 1];
    // The ready line ends with a newline.
    while stdout
        .read(&mut line)
        .map(|n| n == 1 && line[0] != b'\n')
        .unwrap_or(false)
    {}
    let kubeconfig = dir.path().join("kubeconfig");
    let kubectl = |args: &[&str]| {
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .expect("kubectl")
    };
    kubectl(&[
        "create",
        "deployment",
        "bulk",
        "--image=podium/echo:1.0",
        &format!("--replicas={pods}"),
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let out = kubectl(&[
            "get",
            "deployment",
            "bulk",
            "-o",
            "jsonpath={.status.availableReplicas}",
        ]);
        if String::from_utf8_lossy(&out.stdout).trim() == pods.to_string() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // SIGTERM, so the store is flushed as on any stop.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(server.id() as i32, libc::SIGTERM) };
    let _ = server.wait();
    dir
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn main() {
    let mut rows = Vec::new();
    let mut empty = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().expect("tempdir");
        let (frame, table) = open_console(dir.path(), "pods(default)[0]");
        empty.0.push(frame);
        empty.1.push(table);
    }
    rows.push(("empty data dir", median(empty.0), median(empty.1)));
    let dir = data_dir_with_pods(1000);
    let mut full = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (frame, table) = open_console(dir.path(), "pods(default)[1000]");
        full.0.push(frame);
        full.1.push(table);
    }
    rows.push(("1,000 pods in the store", median(full.0), median(full.1)));
    let idle = idle_cpu(IDLE_WINDOW);
    println!(
        "console start (release binary, 120x40 pty, median of {RUNS}) — target: open ≤ 150 ms"
    );
    println!("| data directory | first frame | pods table shown |");
    println!("|---|---:|---:|");
    for (what, frame, table) in rows {
        println!(
            "| {what} | {:.1} ms | {:.1} ms |",
            frame.as_secs_f64() * 1000.0,
            table.as_secs_f64() * 1000.0
        );
    }
    println!();
    println!(
        "idle: {idle:.2} % of one core over {} s with 50 running pods (release binary, pty) — target ≤ 0.5 %",
        IDLE_WINDOW.as_secs()
    );
}
