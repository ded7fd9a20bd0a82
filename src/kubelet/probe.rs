//! Probes: the action a container's probe performs (resolved from the pod
//! spec), the default HTTP/TCP/exec implementation against loopback, and the
//! threshold bookkeeping that turns results into ready/live/started.

use std::net::SocketAddr;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::runtime::Runtime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    Startup,
    Liveness,
    Readiness,
}

impl ProbeKind {
    /// The word upstream uses in events: "Readiness probe failed: …".
    pub fn title(self) -> &'static str {
        match self {
            ProbeKind::Startup => "Startup",
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
        }
    }
}

/// What a probe does, with named ports resolved to numbers. `host` is the
/// pod IP (or the probe's host), used in messages as upstream prints them.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeAction {
    Http {
        host: String,
        port: u16,
        path: String,
        scheme: String,
        headers: Vec<(String, String)>,
    },
    Tcp {
        host: String,
        port: u16,
    },
    Exec {
        command: Vec<String>,
    },
    Grpc {
        host: String,
        port: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    Success,
    /// The message upstream puts after "Readiness probe failed: ".
    Failure(String),
}

/// The action of `probe` for `container`; `None` when it names a port the
/// container does not declare or has no handler.
pub fn resolve_action(probe: &Probe, container: &Container, pod_ip: &str) -> Option<ProbeAction> {
    let port_of = |port: &IntOrString| -> Option<u16> {
        match port {
            IntOrString::Int(n) => u16::try_from(*n).ok(),
            IntOrString::String(name) => container
                .ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .and_then(|p| u16::try_from(p.container_port).ok())
                .or_else(|| name.parse().ok()),
        }
    };
    if let Some(http) = &probe.http_get {
        return Some(ProbeAction::Http {
            host: http
                .host
                .clone()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| pod_ip.to_string()),
            port: port_of(&http.port)?,
            path: http.path.clone().unwrap_or_else(|| "/".to_string()),
            scheme: http
                .scheme
                .clone()
                .unwrap_or_else(|| "HTTP".to_string())
                .to_lowercase(),
            headers: http
                .http_headers
                .iter()
                .flatten()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
        });
    }
    if let Some(tcp) = &probe.tcp_socket {
        return Some(ProbeAction::Tcp {
            host: tcp
                .host
                .clone()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| pod_ip.to_string()),
            port: port_of(&tcp.port)?,
        });
    }
    if let Some(exec) = &probe.exec {
        return Some(ProbeAction::Exec {
            command: exec.command.clone().unwrap_or_default(),
        });
    }
    if let Some(grpc) = &probe.grpc {
        return Some(ProbeAction::Grpc {
            host: pod_ip.to_string(),
            port: u16::try_from(grpc.port).ok()?,
        });
    }
    None
}

/// Probe timings and thresholds with upstream's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeTiming {
    pub initial_delay: Duration,
    pub timeout: Duration,
    pub period: Duration,
    pub success_threshold: u32,
    pub failure_threshold: u32,
}

impl ProbeTiming {
    pub fn of(probe: &Probe) -> ProbeTiming {
        let secs = |v: Option<i32>, default: u64| {
            Duration::from_secs(v.and_then(|v| u64::try_from(v).ok()).unwrap_or(default))
        };
        let count = |v: Option<i32>, default: u32| {
            v.and_then(|v| u32::try_from(v).ok())
                .filter(|v| *v > 0)
                .unwrap_or(default)
        };
        ProbeTiming {
            initial_delay: secs(probe.initial_delay_seconds, 0),
            timeout: secs(probe.timeout_seconds, 1).max(Duration::from_secs(1)),
            period: secs(probe.period_seconds, 10).max(Duration::from_secs(1)),
            success_threshold: count(probe.success_threshold, 1),
            failure_threshold: count(probe.failure_threshold, 3),
        }
    }
}

/// One probe of one running container: its schedule and the consecutive
/// results that flip it.
#[derive(Debug, Clone)]
pub struct ProbeTracker {
    pub kind: ProbeKind,
    pub action: Option<ProbeAction>,
    pub timing: ProbeTiming,
    /// The current verdict (readiness starts false, liveness true).
    pub passing: bool,
    successes: u32,
    failures: u32,
    /// When the next probe is due; `None` while waiting for startup.
    pub next_at: Option<Instant>,
    /// Where this probe's ticks count from. Upstream's prober worker starts
    /// a ticker when the pod is admitted and keeps it across container
    /// restarts, so a probe that fails right after the container started
    /// is retried at the pod's next tick, not a full period later.
    ticks_from: Instant,
    /// The wait before the next quick retry of a refused readiness probe
    /// that has not passed since the container started (see
    /// [`EARLY_RETRY_FIRST`]); `None` once it passed, failed otherwise, or
    /// the waits reached the next tick.
    early_retry: Option<Duration>,
    /// Whether the probe now due is such a quick retry.
    pub retrying_early: bool,
}

/// The first wait before probing again a started container whose
/// readiness probe was refused and has never passed; it doubles up to the
/// next tick. Upstream's prober manager triggers a readiness probe at once
/// whenever the kubelet syncs a running container whose readiness is not
/// yet Success, and the kubelet syncs a pod on each of its container
/// events, so a probe that came before the process listened is soon
/// tried again there; podium's worker has no such stream of syncs, and
/// probes the moment the start returns, when most processes have not
/// bound their port yet.
const EARLY_RETRY_FIRST: Duration = Duration::from_millis(10);

/// What a recorded result changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Unchanged,
    NowPassing,
    NowFailing,
}

impl ProbeTracker {
    /// A probe whose ticks count from `ticks_from` (the pod's admission).
    pub fn new(
        kind: ProbeKind,
        action: Option<ProbeAction>,
        timing: ProbeTiming,
        ticks_from: Instant,
    ) -> Self {
        ProbeTracker {
            kind,
            action,
            timing,
            passing: kind == ProbeKind::Liveness,
            successes: 0,
            failures: 0,
            next_at: None,
            ticks_from,
            early_retry: None,
            retrying_early: false,
        }
    }

    /// Starts probing: nothing before `started + initialDelaySeconds`. The
    /// first probe comes then, as upstream's kubelet triggers a readiness
    /// probe at once when it syncs a running, not yet ready container.
    pub fn arm(&mut self, started: Instant) {
        let first = started + self.timing.initial_delay;
        self.next_at = Some(first.max(Instant::now()));
        self.retrying_early = false;
        self.early_retry = (self.kind == ProbeKind::Readiness).then_some(EARLY_RETRY_FIRST);
    }

    /// The first tick of this probe's ticker after `now`.
    fn next_tick(&self, now: Instant) -> Instant {
        let period = self.timing.period.as_nanos().max(1);
        let elapsed = now.saturating_duration_since(self.ticks_from).as_nanos();
        let ticks = elapsed / period + 1;
        let offset = u64::try_from(ticks * period).unwrap_or(u64::MAX);
        self.ticks_from + Duration::from_nanos(offset)
    }

    /// Records one result as [`record`](Self::record) does, except that a
    /// readiness probe refused (nothing listens on the port yet) that has
    /// not passed since the container started is tried again soon, not at
    /// the next tick. Any other failure is the application's answer and
    /// waits for the tick, as upstream.
    pub fn record_outcome(&mut self, outcome: &ProbeOutcome) -> Verdict {
        let verdict = self.record(*outcome == ProbeOutcome::Success);
        let now = Instant::now();
        match (self.early_retry, self.next_at) {
            (Some(wait), Some(tick)) if outcome.is_refused() && now + wait < tick => {
                self.next_at = Some(now + wait);
                self.retrying_early = true;
                self.early_retry = Some(wait * 2);
            }
            _ => self.early_retry = None,
        }
        verdict
    }

    /// Records one result and schedules the next probe at the next tick.
    pub fn record(&mut self, success: bool) -> Verdict {
        self.next_at = Some(self.next_tick(Instant::now()));
        self.retrying_early = false;
        if success {
            self.failures = 0;
            self.successes = self.successes.saturating_add(1);
            let threshold = match self.kind {
                ProbeKind::Readiness => self.timing.success_threshold,
                _ => 1,
            };
            if !self.passing && self.successes >= threshold {
                self.passing = true;
                return Verdict::NowPassing;
            }
        } else {
            self.successes = 0;
            self.failures = self.failures.saturating_add(1);
            if self.passing && self.failures >= self.timing.failure_threshold {
                self.passing = false;
                return Verdict::NowFailing;
            }
            if self.kind == ProbeKind::Startup && self.failures >= self.timing.failure_threshold {
                return Verdict::NowFailing;
            }
        }
        Verdict::Unchanged
    }
}

/// The default probe: real HTTP/TCP against the port the runtime publishes
/// on loopback, exec through the runtime.
pub async fn run_default<R: Runtime + ?Sized>(
    runtime: &R,
    id: &str,
    action: &ProbeAction,
    timeout: Duration,
) -> ProbeOutcome {
    match action {
        ProbeAction::Exec { command } => {
            match tokio::time::timeout(timeout, runtime.exec(id, command)).await {
                Err(_) => ProbeOutcome::Failure(format!(
                    "command timed out: \"{}\" timed out after {}",
                    command.join(" "),
                    super::format::go_duration(timeout)
                )),
                Ok(Err(error)) => ProbeOutcome::Failure(error.to_string()),
                Ok(Ok(out)) if out.exit_code == 0 => ProbeOutcome::Success,
                Ok(Ok(out)) => {
                    let mut text = String::from_utf8_lossy(&out.stdout).to_string();
                    text.push_str(&String::from_utf8_lossy(&out.stderr));
                    ProbeOutcome::Failure(text)
                }
            }
        }
        ProbeAction::Http {
            host,
            port,
            path,
            scheme,
            headers,
        } => {
            let url = format!("{scheme}://{}/{}", join_host(host, *port), path_tail(path));
            let Some(addr) = runtime.port_address(id, *port).await else {
                return refused(&format!("Get \"{url}\": dial tcp"), host, *port);
            };
            match tokio::time::timeout(timeout, http_get(addr, host, path, headers)).await {
                Err(_) => ProbeOutcome::Failure(format!(
                    "Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
                )),
                Ok(Err(_)) => refused(&format!("Get \"{url}\": dial tcp"), host, *port),
                Ok(Ok(status)) if (200..400).contains(&status) => ProbeOutcome::Success,
                Ok(Ok(status)) => {
                    ProbeOutcome::Failure(format!("HTTP probe failed with statuscode: {status}"))
                }
            }
        }
        ProbeAction::Tcp { host, port } | ProbeAction::Grpc { host, port } => {
            let Some(addr) = runtime.port_address(id, *port).await else {
                return refused("dial tcp", host, *port);
            };
            match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
                Ok(Ok(_)) => ProbeOutcome::Success,
                Ok(Err(_)) => refused("dial tcp", host, *port),
                Err(_) => ProbeOutcome::Failure(format!(
                    "dial tcp {}: i/o timeout",
                    join_host(host, *port)
                )),
            }
        }
    }
}

fn join_host(host: &str, port: u16) -> String {
    format!("{host}:{port}")
}

fn path_tail(path: &str) -> &str {
    path.strip_prefix('/').unwrap_or(path)
}

/// Go's wording for a port nothing listens on.
const REFUSED: &str = "connect: connection refused";

/// Go's "connection refused" wording.
pub fn refused(prefix: &str, host: &str, port: u16) -> ProbeOutcome {
    ProbeOutcome::Failure(format!("{prefix} {}: {REFUSED}", join_host(host, port)))
}

impl ProbeOutcome {
    /// Whether nothing listened on the probed port (made by [`refused`]).
    pub fn is_refused(&self) -> bool {
        matches!(self, ProbeOutcome::Failure(message) if message.ends_with(REFUSED))
    }
}

/// A minimal HTTP/1.1 GET; returns the status code.
async fn http_get(
    addr: SocketAddr,
    host: &str,
    path: &str,
    headers: &[(String, String)],
) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: kube-probe/1.33\r\nAccept: */*\r\nConnection: close\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut buf = vec![0u8; 1024];
    let mut len = 0;
    while len < buf.len() {
        let n = stream.read(&mut buf[len..]).await?;
        if n == 0 {
            break;
        }
        len += n;
        if buf[..len].windows(2).any(|w| w == b"\r\n") {
            break;
        }
    }
    let head = String::from_utf8_lossy(&buf[..len]);
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("malformed HTTP response"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn readiness_needs_threshold_and_starts_failing() {
        let timing = ProbeTiming {
            initial_delay: Duration::ZERO,
            timeout: Duration::from_secs(1),
            period: Duration::from_secs(10),
            success_threshold: 2,
            failure_threshold: 3,
        };
        let mut readiness = ProbeTracker::new(ProbeKind::Readiness, None, timing, Instant::now());
        assert!(!readiness.passing);
        assert_eq!(readiness.record(true), Verdict::Unchanged);
        assert_eq!(readiness.record(true), Verdict::NowPassing);
        assert_eq!(readiness.record(false), Verdict::Unchanged);
        assert_eq!(readiness.record(false), Verdict::Unchanged);
        assert_eq!(readiness.record(false), Verdict::NowFailing);
        let liveness = ProbeTracker::new(ProbeKind::Liveness, None, timing, Instant::now());
        assert!(liveness.passing);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_is_retried_at_the_pods_next_tick() {
        let timing = ProbeTiming {
            initial_delay: Duration::ZERO,
            timeout: Duration::from_secs(1),
            period: Duration::from_secs(1),
            success_threshold: 1,
            failure_threshold: 3,
        };
        let admitted = Instant::now();
        let mut liveness = ProbeTracker::new(ProbeKind::Liveness, None, timing, admitted);
        // The container started 400 ms after admission: probed at once.
        tokio::time::advance(Duration::from_millis(400)).await;
        liveness.arm(Instant::now());
        assert_eq!(
            liveness.next_at,
            Some(admitted + Duration::from_millis(400))
        );
        // It failed: the next probe is the pod's tick at 1 s, not 1.4 s.
        assert_eq!(liveness.record(false), Verdict::Unchanged);
        assert_eq!(liveness.next_at, Some(admitted + Duration::from_secs(1)));
        // From then on, once a period.
        tokio::time::advance(Duration::from_millis(600)).await;
        liveness.record(true);
        assert_eq!(liveness.next_at, Some(admitted + Duration::from_secs(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn refused_readiness_is_retried_quickly_until_the_tick() {
        let timing = ProbeTiming {
            initial_delay: Duration::ZERO,
            timeout: Duration::from_secs(1),
            period: Duration::from_secs(1),
            success_threshold: 1,
            failure_threshold: 3,
        };
        let refused = refused("dial tcp", "10.244.0.5", 8080);
        assert!(refused.is_refused());
        let admitted = Instant::now();
        let mut readiness = ProbeTracker::new(ProbeKind::Readiness, None, timing, admitted);
        tokio::time::advance(Duration::from_millis(400)).await;
        readiness.arm(Instant::now());
        // Refused after 10, 20, 40, 80, 160 ms waits; the next wait (320 ms)
        // would pass the tick at 1 s, which comes instead.
        let mut due = Vec::new();
        loop {
            let at = readiness.next_at.expect("scheduled");
            tokio::time::advance(at.saturating_duration_since(Instant::now())).await;
            due.push(at.duration_since(admitted).as_millis());
            if !readiness.retrying_early && due.len() > 1 {
                break;
            }
            readiness.record_outcome(&refused);
        }
        assert_eq!(due, vec![400, 410, 430, 470, 550, 710, 1000]);
        // Passing ends the quick retries for good: a later refusal waits
        // for the tick.
        assert_eq!(
            readiness.record_outcome(&ProbeOutcome::Success),
            Verdict::NowPassing
        );
        assert_eq!(readiness.next_at, Some(admitted + Duration::from_secs(2)));
        tokio::time::advance(Duration::from_secs(1)).await;
        readiness.record_outcome(&refused);
        assert_eq!(readiness.next_at, Some(admitted + Duration::from_secs(3)));
        assert!(!readiness.retrying_early);
    }

    #[tokio::test(start_paused = true)]
    async fn an_applications_failing_answer_waits_for_the_tick() {
        let timing = ProbeTiming {
            initial_delay: Duration::ZERO,
            timeout: Duration::from_secs(1),
            period: Duration::from_secs(1),
            success_threshold: 1,
            failure_threshold: 3,
        };
        let admitted = Instant::now();
        let mut readiness = ProbeTracker::new(ProbeKind::Readiness, None, timing, admitted);
        readiness.arm(Instant::now());
        let unavailable = ProbeOutcome::Failure("HTTP probe failed with statuscode: 503".into());
        assert!(!unavailable.is_refused());
        readiness.record_outcome(&unavailable);
        assert_eq!(readiness.next_at, Some(admitted + Duration::from_secs(1)));
        // Nor does a refusal after it bring the quick retries back.
        tokio::time::advance(Duration::from_secs(1)).await;
        readiness.record_outcome(&refused("dial tcp", "10.244.0.5", 8080));
        assert_eq!(readiness.next_at, Some(admitted + Duration::from_secs(2)));
    }
}
