//! Wall-clock time that follows tokio's clock, so that tests running with
//! paused time see timestamps (creationTimestamp, condition transitions,
//! minReadySeconds) move exactly as far as the runtime's timers.

use std::sync::OnceLock;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use k8s_openapi::jiff::{SignedDuration, Timestamp};

static BASE: OnceLock<(Timestamp, tokio::time::Instant)> = OnceLock::new();

/// Now, as a timestamp.
pub fn now() -> Timestamp {
    let (wall, instant) = *BASE.get_or_init(|| (Timestamp::now(), tokio::time::Instant::now()));
    let elapsed = tokio::time::Instant::now().saturating_duration_since(instant);
    let elapsed = SignedDuration::try_from(elapsed).unwrap_or(SignedDuration::ZERO);
    wall.checked_add(elapsed).unwrap_or(wall)
}

/// Now at the one-second precision of `metav1.Time`.
pub fn now_time() -> Time {
    let now = now();
    Time(Timestamp::from_second(now.as_second()).unwrap_or(now))
}

/// Now at the microsecond precision of `metav1.MicroTime`.
pub fn now_micro() -> MicroTime {
    let now = now();
    let micros = now.as_microsecond();
    MicroTime(Timestamp::from_microsecond(micros).unwrap_or(now))
}

/// Seconds from `then` until now (negative if `then` is in the future).
pub fn seconds_since(then: &Time) -> i64 {
    now().as_second() - then.0.as_second()
}
