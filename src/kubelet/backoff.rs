//! Upstream's per-container back-off (flowcontrol.Backoff): 10 s doubling
//! to 5 min, forgotten after 10 min without a new step.

use std::time::Duration;

use tokio::time::Instant;

pub const INITIAL: Duration = Duration::from_secs(10);
pub const MAX: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Default)]
pub struct BackOff {
    step: Option<(Duration, Instant)>,
}

impl BackOff {
    /// While in back-off: the nominal delay and when it ends.
    pub fn active(&self, now: Instant) -> Option<(Duration, Instant)> {
        let (delay, since) = self.step?;
        let until = since + delay;
        (now < until).then_some((delay, until))
    }

    /// Takes the next step: 10 s the first time (or after 10 min of quiet),
    /// then double, capped at 5 min.
    pub fn next(&mut self, now: Instant) {
        let delay = match self.step {
            Some((delay, since)) if now.saturating_duration_since(since) <= MAX * 2 => {
                (delay * 2).min(MAX)
            }
            _ => INITIAL,
        };
        self.step = Some((delay, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn doubles_to_five_minutes_and_resets() {
        let mut backoff = BackOff::default();
        let now = Instant::now();
        assert!(backoff.active(now).is_none());
        backoff.next(now);
        assert_eq!(backoff.active(now).map(|a| a.0), Some(INITIAL));
        for _ in 0..10 {
            backoff.next(now);
        }
        assert_eq!(backoff.active(now).map(|a| a.0), Some(MAX));
        let later = now + Duration::from_secs(601);
        backoff.next(later);
        assert_eq!(backoff.active(later).map(|a| a.0), Some(INITIAL));
    }
}
