//! A tiny HTTP/1.1 client on std sockets (one connection per request, as
//! curl does), and a bounded-rate load loop that counts failures.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// `GET path` from `address` (`ip:port`) with an optional Host header.
pub fn get(address: &str, host: Option<&str>, path: &str) -> Result<Reply, String> {
    let mut stream = TcpStream::connect(address).map_err(|e| format!("connect {address}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let host = host.unwrap_or(address);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: traffic-test\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send to {address}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read from {address}: {e}"))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP status from {address}: {text:?}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok(Reply { status, body })
}

/// Polls until `address` answers 200 (listeners and endpoints settle).
pub fn wait_ok(address: &str, host: Option<&str>, path: &str, timeout: Duration) -> Reply {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < timeout {
        match get(address, host, path) {
            Ok(reply) if reply.status == 200 => return reply,
            Ok(reply) => last = format!("{} {}", reply.status, reply.body),
            Err(error) => last = error,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{address}{path} did not answer 200 within {timeout:?}; last: {last}");
}

/// What a load run saw.
#[derive(Debug, Default)]
pub struct Tally {
    pub ok: usize,
    pub failures: Vec<String>,
    /// How many answers came from each `version=` of the echo server.
    pub versions: std::collections::BTreeMap<String, usize>,
}

/// Sends `per_second` requests a second to `address` until `stop` is set.
pub fn load(
    address: String,
    host: Option<String>,
    per_second: u32,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Tally> {
    std::thread::spawn(move || {
        let mut tally = Tally::default();
        let interval = Duration::from_secs(1) / per_second;
        let mut next = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            match get(&address, host.as_deref(), "/") {
                Ok(reply) if reply.status == 200 => {
                    tally.ok += 1;
                    let version = reply
                        .body
                        .lines()
                        .find_map(|l| l.strip_prefix("version="))
                        .unwrap_or("?")
                        .to_string();
                    *tally.versions.entry(version).or_default() += 1;
                }
                Ok(reply) => tally
                    .failures
                    .push(format!("{} {}", reply.status, reply.body.trim())),
                Err(error) => tally.failures.push(error),
            }
            next += interval;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            } else {
                next = now;
            }
        }
        tally
    })
}
