//! `echo`: the workload inside podium's local demo images (`podium/echo`).
//! An HTTP echo server in the format of the walkthrough's echoserver, shaped
//! by environment knobs for readiness, crashes, logging and graceful stop.
//! See the README's "Local images (offline demos)".

mod echo;
mod http;
mod knobs;
mod server;
mod signals;

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use echo::ServerInfo;
use knobs::Knobs;
use server::Server;
use signals::TerminationSignals;

fn main() -> ExitCode {
    let started = Instant::now();
    let knobs = match Knobs::from_env() {
        Ok(knobs) => knobs,
        Err(error) => {
            eprintln!("echo: {error}");
            return ExitCode::from(2);
        }
    };
    // Before any thread starts, so that every thread inherits the mask.
    let signals = match TerminationSignals::block() {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("echo: cannot set up SIGTERM handling: {error}");
            return ExitCode::FAILURE;
        }
    };

    let mut listeners = Vec::new();
    for port in &knobs.ports {
        match TcpListener::bind(("0.0.0.0", *port)) {
            Ok(listener) => listeners.push(listener),
            Err(error) => {
                eprintln!(
                    "echo: cannot listen on port {port}: {error}; set PORT/EXTRA_PORTS to free ports"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let ports: Vec<String> = listeners
        .iter()
        .filter_map(|listener| listener.local_addr().ok())
        .map(|address| address.port().to_string())
        .collect();

    let server = Arc::new(Server {
        info: ServerInfo::detect(knobs.version.clone()),
        started,
        ready_after: knobs.ready_after,
    });
    println!(
        "echo version {} on {} listening on port {}",
        server.info.version,
        server.info.hostname,
        ports.join(", ")
    );
    if !knobs.ready_after.is_zero() {
        println!(
            "not ready for {}s (READY_AFTER_SECONDS): answering 503 until then",
            knobs.ready_after.as_secs_f64()
        );
    }
    for listener in listeners {
        let server = Arc::clone(&server);
        thread::spawn(move || server::serve(listener, server));
    }
    if let Some(after) = knobs.crash_after {
        let code = knobs.exit_code;
        thread::spawn(move || crash_after(started, after, code));
    }
    if knobs.log_lines_per_second > 0.0 {
        let interval = Duration::from_secs_f64(1.0 / knobs.log_lines_per_second);
        let info = server.info.clone();
        thread::spawn(move || log_steadily(interval, &info));
    }

    let signal = match signals.wait() {
        Ok(signal) => signal,
        Err(error) => {
            eprintln!("echo: waiting for SIGTERM failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    if knobs.term_delay.is_zero() {
        println!("{signal} received; exiting");
    } else {
        println!(
            "{signal} received; serving {}s more (TERM_DELAY_SECONDS), then exiting",
            knobs.term_delay.as_secs_f64()
        );
        thread::sleep(knobs.term_delay);
        println!("exiting");
    }
    ExitCode::SUCCESS
}

fn crash_after(started: Instant, after: Duration, code: u8) {
    thread::sleep(after.saturating_sub(started.elapsed()));
    println!(
        "crashing with exit code {code} after {}s (CRASH_AFTER_SECONDS, EXIT_CODE)",
        after.as_secs_f64()
    );
    std::process::exit(i32::from(code));
}

/// Numbered lines at a steady rate, on a fixed schedule so that a slow
/// terminal does not make the rate drift.
fn log_steadily(interval: Duration, info: &ServerInfo) {
    let mut next = Instant::now();
    for number in 1u64.. {
        println!(
            "log line {number} from {} version {}",
            info.hostname, info.version
        );
        next += interval;
        thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}
