//! Fault injection for the simulated runtime, read from pod annotations.

use std::collections::BTreeMap;
use std::time::Duration;

pub const CRASH_AFTER_SECONDS: &str = "sim.podium.dev/crash-after-seconds";
pub const EXIT_CODE: &str = "sim.podium.dev/exit-code";
pub const FAIL_READINESS: &str = "sim.podium.dev/fail-readiness";
pub const FAIL_LIVENESS_AFTER_SECONDS: &str = "sim.podium.dev/fail-liveness-after-seconds";
pub const LOG_LINES_PER_SECOND: &str = "sim.podium.dev/log-lines-per-second";

/// The faults one container was created with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub crash_after: Option<Duration>,
    pub exit_code: i32,
    pub fail_readiness: bool,
    pub fail_liveness_after: Option<Duration>,
    pub log_lines_per_second: Option<f64>,
}

impl Faults {
    pub fn from_annotations(annotations: &BTreeMap<String, String>) -> Faults {
        let seconds = |key: &str| {
            annotations
                .get(key)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(Duration::from_secs_f64)
        };
        Faults {
            crash_after: seconds(CRASH_AFTER_SECONDS),
            exit_code: annotations
                .get(EXIT_CODE)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(1),
            fail_readiness: annotations
                .get(FAIL_READINESS)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            fail_liveness_after: seconds(FAIL_LIVENESS_AFTER_SECONDS),
            log_lines_per_second: annotations
                .get(LOG_LINES_PER_SECOND)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v > 0.0),
        }
    }
}
