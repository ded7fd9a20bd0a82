//! Upstream's `duration.HumanDuration` (k8s.io/apimachinery/pkg/util/duration):
//! ~2-3 significant figures, the AGE column of every `kubectl get`.

/// Formats a duration in seconds as kubectl prints ages: `45s`, `9m4s`,
/// `3h5m`, `5d`, `2y`. Up to one second in the future reads as `0s` (clock
/// skew); further is `<invalid>`.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        let dy = days % 365;
        return if dy == 0 {
            format!("{years}y")
        } else {
            format!("{years}y{dy}d")
        };
    }
    format!("{years}y")
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn matches_upstream_human_duration() {
        let minute = 60;
        let hour = 60 * minute;
        let day = 24 * hour;
        let year = 365 * day;
        let cases = [
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (1, "1s"),
            (59, "59s"),
            (119, "119s"),
            (2 * minute, "2m"),
            (9 * minute + 4, "9m4s"),
            (9 * minute + 59, "9m59s"),
            (10 * minute, "10m"),
            (10 * minute + 30, "10m"),
            (179 * minute, "179m"),
            (3 * hour, "3h"),
            (3 * hour + 5 * minute, "3h5m"),
            (7 * hour + 59 * minute, "7h59m"),
            (8 * hour, "8h"),
            (47 * hour + 59 * minute, "47h"),
            (2 * day, "2d"),
            (2 * day + 5 * hour, "2d5h"),
            (7 * day + 23 * hour, "7d23h"),
            (8 * day, "8d"),
            (5 * day, "5d"),
            (729 * day, "729d"),
            (2 * year, "2y"),
            (2 * year + 30 * day, "2y30d"),
            (7 * year + 364 * day, "7y364d"),
            (8 * year, "8y"),
            (20 * year + 100 * day, "20y"),
        ];
        for (seconds, want) in cases {
            assert_eq!(human_duration(seconds), want, "{seconds}s");
        }
    }
}
