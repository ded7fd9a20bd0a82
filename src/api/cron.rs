//! Cron schedules as upstream reads `spec.schedule`: robfig/cron v3's
//! standard parser (`cron.ParseStandard`: minute hour day-of-month month
//! day-of-week, `*`/`?`, lists, ranges, steps, JAN–DEC and SUN–SAT, the
//! `@yearly` … `@hourly` macros and `@every <duration>`), its `Next` (the
//! day-of-month/day-of-week OR when both are restricted, no match within
//! five years is no time), with robfig's error messages; and the
//! controller's arithmetic over it (utils.go `mostRecentScheduleTime`,
//! `nextScheduleTimeDuration`).
//!
//! As in robfig v3 (and so in Kubernetes), day-of-week runs 0–6: `7` is
//! refused with "end of range (7) above maximum (6)", not read as Sunday.
//! A `TZ=`/`CRON_TZ=` prefix is refused as upstream's validation does;
//! the zone comes from `spec.timeZone`.

use std::time::Duration;

use jiff::tz::TimeZone;

/// Go's `time.LoadLocation` for `spec.timeZone`: "" is UTC, "Local" the
/// zone podium runs in; an unknown name in Go's words.
pub fn load_zone(name: &str) -> Result<TimeZone, String> {
    match name {
        "" | "UTC" => Ok(TimeZone::UTC),
        "Local" => Ok(TimeZone::system()),
        _ => TimeZone::get(name).map_err(|_| format!("unknown time zone {name}")),
    }
}
use jiff::{SignedDuration, Timestamp, ToSpan, Zoned, civil};

/// Set when a field was `*` or `?` (robfig's starBit): such a field does
/// not take part in the day-of-month/day-of-week OR.
const STAR: u64 = 1 << 63;
/// How far past the scheduled time the controller wakes (nextScheduleDelta).
pub const NEXT_SCHEDULE_DELTA: Duration = Duration::from_millis(100);
/// More missed start times than this is "too many" (upstream's 100).
const MANY_MISSED: i64 = 100;

/// Why a schedule does not parse, in robfig's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScheduleError(pub String);

fn error(message: impl Into<String>) -> ScheduleError {
    ScheduleError(message.into())
}

/// One field's bounds and names (robfig's `bounds`).
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// A crontab line as bit sets (seconds are always 0).
    Spec {
        minute: u64,
        hour: u64,
        dom: u64,
        month: u64,
        dow: u64,
    },
    /// `@every <duration>`, whole seconds, at least one.
    Every(Duration),
}

impl Schedule {
    /// Parses `spec.schedule` as `cron.ParseStandard` does, refusing
    /// `TZ`/`CRON_TZ` as upstream's validation does.
    pub fn parse(spec: &str) -> Result<Schedule, ScheduleError> {
        if spec.is_empty() {
            return Err(error("empty spec string"));
        }
        if spec.contains("TZ") {
            return Err(error(
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ));
        }
        if spec.starts_with('@') {
            return descriptor(spec);
        }
        let fields: Vec<&str> = spec.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(error(format!(
                "expected exactly 5 fields, found {}: [{}]",
                fields.len(),
                fields.join(" ")
            )));
        }
        Ok(Schedule::Spec {
            minute: field(fields[0], &MINUTES)?,
            hour: field(fields[1], &HOURS)?,
            dom: field(fields[2], &DOM)?,
            month: field(fields[3], &MONTHS)?,
            dow: field(fields[4], &DOW)?,
        })
    }

    /// The first activation strictly after `after`, read in `zone`; `None`
    /// when there is none within five years (robfig's zero time).
    pub fn next(&self, after: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        match self {
            Schedule::Every(delay) => {
                let delay = SignedDuration::try_from(*delay).ok()?;
                let whole = Timestamp::from_second(after.as_second()).ok()?;
                whole.checked_add(delay).ok()
            }
            Schedule::Spec {
                minute,
                hour,
                dom,
                month,
                dow,
            } => next_spec(
                after.to_zoned(zone.clone()),
                [*minute, *hour, *dom, *month, *dow],
            ),
        }
    }
}

/// robfig's `SpecSchedule.Next`, step by step: find the month, then the
/// day, hour, minute and second, wrapping back to the month whenever a
/// field rolls over.
fn next_spec(t: Zoned, [minute, hour, dom, month, dow]: [u64; 5]) -> Option<Timestamp> {
    let zone = t.time_zone().clone();
    let at = |y: i16, m: i8, d: i8, h: i8| -> Option<Zoned> {
        civil::date(y, m, d)
            .at(h, 0, 0, 0)
            .to_zoned(zone.clone())
            .ok()
    };
    let bit = |value: i8| 1u64 << u32::try_from(value).unwrap_or(0);
    // The upcoming whole second.
    let mut t = t
        .checked_sub(SignedDuration::from_nanos(i64::from(t.subsec_nanosecond())))
        .ok()?
        .checked_add(SignedDuration::from_secs(1))
        .ok()?;
    let mut added = false;
    let year_limit = t.year() + 5;
    let day_matches = |t: &Zoned| {
        let dom_match = bit(t.day()) & dom != 0;
        let dow_match = bit(t.weekday().to_sunday_zero_offset()) & dow != 0;
        if dom & STAR != 0 || dow & STAR != 0 {
            dom_match && dow_match
        } else {
            dom_match || dow_match
        }
    };
    'wrap: loop {
        if t.year() > year_limit {
            return None;
        }
        while bit(t.month()) & month == 0 {
            if !added {
                added = true;
                t = at(t.year(), t.month(), 1, 0)?;
            }
            t = t.checked_add(1.month()).ok()?;
            if t.month() == 1 {
                continue 'wrap;
            }
        }
        while !day_matches(&t) {
            if !added {
                added = true;
                t = at(t.year(), t.month(), t.day(), 0)?;
            }
            t = t.checked_add(1.day()).ok()?;
            // A midnight that does not exist (DST) lands on another hour.
            if t.hour() != 0 {
                let fix = if t.hour() > 12 {
                    24 - i64::from(t.hour())
                } else {
                    -i64::from(t.hour())
                };
                t = t.checked_add(SignedDuration::from_hours(fix)).ok()?;
            }
            if t.day() == 1 {
                continue 'wrap;
            }
        }
        while bit(t.hour()) & hour == 0 {
            if !added {
                added = true;
                t = at(t.year(), t.month(), t.day(), t.hour())?;
            }
            t = t.checked_add(SignedDuration::from_hours(1)).ok()?;
            if t.hour() == 0 {
                continue 'wrap;
            }
        }
        while bit(t.minute()) & minute == 0 {
            if !added {
                added = true;
                t = t
                    .checked_sub(SignedDuration::from_secs(i64::from(t.second())))
                    .ok()?;
            }
            t = t.checked_add(SignedDuration::from_mins(1)).ok()?;
            if t.minute() == 0 {
                continue 'wrap;
            }
        }
        // Seconds: the standard parser always means second 0.
        while t.second() != 0 {
            t = t.checked_add(SignedDuration::from_secs(1)).ok()?;
            if t.second() == 0 {
                continue 'wrap;
            }
        }
        return Some(t.timestamp());
    }
}

/// A comma-separated list of ranges (robfig's `getField`).
fn field(field: &str, bounds: &Bounds) -> Result<u64, ScheduleError> {
    let mut bits = 0;
    for expr in field.split(',').filter(|e| !e.is_empty()) {
        bits |= range(expr, bounds)?;
    }
    Ok(bits)
}

/// `number | number "-" number [ "/" number ]`, `*` or `?` (robfig's `getRange`).
fn range(expr: &str, bounds: &Bounds) -> Result<u64, ScheduleError> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut extra) = if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (bounds.min, bounds.max, STAR)
    } else {
        let start = int_or_name(low_and_high[0], bounds)?;
        let end = match low_and_high.len() {
            1 => start,
            2 => int_or_name(low_and_high[1], bounds)?,
            _ => return Err(error(format!("too many hyphens: {expr}"))),
        };
        (start, end, 0)
    };
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = int(range_and_step[1])?;
            // "N/step" means "N-max/step".
            if single {
                end = bounds.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(error(format!("too many slashes: {expr}"))),
    };
    if start < bounds.min {
        return Err(error(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            bounds.min
        )));
    }
    if end > bounds.max {
        return Err(error(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            bounds.max
        )));
    }
    if start > end {
        return Err(error(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        )));
    }
    if step == 0 {
        return Err(error(format!(
            "step of range should be a positive number: {expr}"
        )));
    }
    let mut bits = 0u64;
    let mut i = u64::from(start);
    while i <= u64::from(end) {
        bits |= 1 << i;
        i = i.saturating_add(step);
    }
    Ok(bits | extra)
}

fn int_or_name(expr: &str, bounds: &Bounds) -> Result<u32, ScheduleError> {
    let lower = expr.to_ascii_lowercase();
    if let Some((_, value)) = bounds.names.iter().find(|(name, _)| *name == lower) {
        return Ok(*value);
    }
    // Anything past the bounds is refused by the range checks.
    Ok(u32::try_from(int(expr)?).unwrap_or(u32::MAX))
}

/// `strconv.Atoi` with robfig's refusal of negatives.
fn int(expr: &str) -> Result<u64, ScheduleError> {
    let digits = expr.strip_prefix(['+', '-']).unwrap_or(expr);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": invalid syntax"
        )));
    }
    let Ok(number) = expr.parse::<i64>() else {
        return Err(error(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": value out of range"
        )));
    };
    u64::try_from(number)
        .map_err(|_| error(format!("negative number ({number}) not allowed: {expr}")))
}

/// The `@` macros (robfig's `parseDescriptor`).
fn descriptor(spec: &str) -> Result<Schedule, ScheduleError> {
    let all = |b: &Bounds| range("*", b).unwrap_or(0);
    let one = |b: &Bounds| 1u64 << b.min;
    let (minute, hour, dom, month, dow) = match spec {
        "@yearly" | "@annually" => (
            one(&MINUTES),
            one(&HOURS),
            one(&DOM),
            one(&MONTHS),
            all(&DOW),
        ),
        "@monthly" => (
            one(&MINUTES),
            one(&HOURS),
            one(&DOM),
            all(&MONTHS),
            all(&DOW),
        ),
        "@weekly" => (
            one(&MINUTES),
            one(&HOURS),
            all(&DOM),
            all(&MONTHS),
            one(&DOW),
        ),
        "@daily" | "@midnight" => (
            one(&MINUTES),
            one(&HOURS),
            all(&DOM),
            all(&MONTHS),
            all(&DOW),
        ),
        "@hourly" => (
            one(&MINUTES),
            all(&HOURS),
            all(&DOM),
            all(&MONTHS),
            all(&DOW),
        ),
        _ => {
            let Some(text) = spec.strip_prefix("@every ") else {
                return Err(error(format!("unrecognized descriptor: {spec}")));
            };
            let duration = go_duration(text)
                .map_err(|e| error(format!("failed to parse duration {spec}: {e}")))?;
            // robfig's Every: at least a second, whole seconds.
            let secs = duration.as_secs().max(1);
            return Ok(Schedule::Every(Duration::from_secs(secs)));
        }
    };
    Ok(Schedule::Spec {
        minute,
        hour,
        dom,
        month,
        dow,
    })
}

/// Go's `time.ParseDuration` ("1h30m", "90s", "1.5h"); a negative
/// duration is zero here (robfig raises it to a second anyway).
fn go_duration(text: &str) -> Result<Duration, String> {
    let quoted = format!("\"{text}\"");
    let invalid = || format!("time: invalid duration {quoted}");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let nanos = match unit {
            "" => return Err(format!("time: missing unit in duration {quoted}")),
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => {
                return Err(format!(
                    "time: unknown unit \"{unit}\" in duration {quoted}"
                ));
            }
        };
        total += value * nanos;
    }
    if negative || total <= 0.0 {
        return Ok(Duration::ZERO);
    }
    Ok(Duration::from_nanos(total.min(u64::MAX as f64) as u64))
}

/// How many start times went by unmet (upstream's missedSchedulesType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missed {
    None,
    Few,
    Many,
}

/// What `mostRecentScheduleTime` finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recent {
    /// The last schedule time, or the CronJob's creation (or the
    /// starting deadline, when later and asked for).
    pub earliest: Timestamp,
    /// The latest start time at or before now that is due, if any.
    pub most_recent: Option<Timestamp>,
    pub missed: Missed,
}

/// The schedule has two start times less than a second apart (or none):
/// a date that never comes, such as "59 23 31 2 *".
pub const TOO_CLOSE: &str = "time difference between two schedules is less than 1 second";

/// upstream's `mostRecentScheduleTime`: from `earliest` (lastScheduleTime
/// or creationTimestamp, moved up to `now - startingDeadlineSeconds` when
/// `deadline` is given), the most recent start time that is due, found by
/// upstream's approximation (count the intervals, step back one, walk).
pub fn most_recent(
    schedule: &Schedule,
    zone: &TimeZone,
    mut earliest: Timestamp,
    deadline: Option<i64>,
    now: Timestamp,
) -> Result<Recent, ScheduleError> {
    if let Some(deadline) = deadline {
        let cutoff = now
            .checked_sub(SignedDuration::from_secs(deadline))
            .unwrap_or(now);
        earliest = earliest.max(cutoff);
    }
    let none = |missed| Recent {
        earliest,
        most_recent: None,
        missed,
    };
    let t1 = schedule.next(earliest, zone);
    if let Some(t1) = t1
        && now < t1
    {
        return Ok(none(Missed::None));
    }
    let t2 = t1.and_then(|t1| schedule.next(t1, zone));
    let (Some(t1), Some(t2)) = (t1, t2) else {
        return Err(error(TOO_CLOSE));
    };
    if now < t2 {
        return Ok(Recent {
            earliest,
            most_recent: Some(t1),
            missed: Missed::None,
        });
    }
    let between = t2
        .duration_since(t1)
        .round(jiff::Unit::Second)
        .map_or(0, |d| d.as_secs());
    if between < 1 {
        return Err(error(TOO_CLOSE));
    }
    let elapsed = now.duration_since(t1).as_secs();
    let count = elapsed / between + 1;
    let back = (count - 2).saturating_mul(between);
    let mut t = t1
        .checked_add(SignedDuration::from_secs(back))
        .unwrap_or(t1);
    let mut most_recent = None;
    while let Some(next) = schedule.next(t, zone).filter(|n| *n <= now) {
        most_recent = Some(next);
        t = next;
    }
    let missed = if count > MANY_MISSED {
        Missed::Many
    } else {
        Missed::Few
    };
    Ok(Recent {
        earliest,
        most_recent,
        missed,
    })
}

/// upstream's `nextScheduleTimeDuration`: how long until the start time
/// after the most recent one (ignoring the starting deadline), plus
/// [`NEXT_SCHEDULE_DELTA`]; `None` when the schedule never fires again.
pub fn until_next(
    schedule: &Schedule,
    zone: &TimeZone,
    earliest: Timestamp,
    now: Timestamp,
) -> Option<Duration> {
    let from = match most_recent(schedule, zone, earliest, None, now) {
        Err(_) => now,
        Ok(Recent {
            most_recent: Some(t),
            ..
        }) => t,
        Ok(Recent {
            missed: Missed::None,
            earliest,
            ..
        }) => earliest,
        Ok(_) => now,
    };
    let next = schedule.next(from, zone)?;
    let left = next.duration_since(now);
    let left = Duration::try_from(left).unwrap_or(Duration::ZERO);
    Some(left + NEXT_SCHEDULE_DELTA)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn utc() -> TimeZone {
        TimeZone::UTC
    }

    fn next(spec: &str, after: &str, zone: &TimeZone) -> Option<String> {
        Schedule::parse(spec)
            .unwrap()
            .next(ts(after), zone)
            .map(|t| t.to_string())
    }

    #[test]
    fn next_start_times_as_robfig_finds_them() {
        // (schedule, after, next) in UTC; 2024-01-01 is a Monday.
        let cases = [
            (
                "*/1 * * * *",
                "2024-01-01T10:00:00Z",
                "2024-01-01T10:01:00Z",
            ),
            (
                "* * * * *",
                "2024-01-01T10:00:30.5Z",
                "2024-01-01T10:01:00Z",
            ),
            (
                "*/5 * * * *",
                "2024-01-01T10:03:00Z",
                "2024-01-01T10:05:00Z",
            ),
            (
                "*/5 * * * *",
                "2024-01-01T10:55:00Z",
                "2024-01-01T11:00:00Z",
            ),
            (
                "1-10/2 * * * *",
                "2024-01-01T10:03:00Z",
                "2024-01-01T10:05:00Z",
            ),
            (
                "1-10/2 * * * *",
                "2024-01-01T10:09:00Z",
                "2024-01-01T11:01:00Z",
            ),
            (
                "5/20 * * * *",
                "2024-01-01T10:06:00Z",
                "2024-01-01T10:25:00Z",
            ),
            (
                "0,30 9-17 * * *",
                "2024-01-01T17:30:00Z",
                "2024-01-02T09:00:00Z",
            ),
            ("0 0 1 * *", "2024-01-15T00:00:00Z", "2024-02-01T00:00:00Z"),
            (
                "0 12 * JAN-MAR *",
                "2024-03-31T12:00:00Z",
                "2025-01-01T12:00:00Z",
            ),
            (
                "0 12 * * MON-FRI",
                "2024-01-05T13:00:00Z",
                "2024-01-08T12:00:00Z",
            ),
            (
                "0 12 * * sun",
                "2024-01-01T00:00:00Z",
                "2024-01-07T12:00:00Z",
            ),
            ("0 12 * * 0", "2024-01-01T00:00:00Z", "2024-01-07T12:00:00Z"),
            ("0 0 29 2 *", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
            ("0 0 31 * *", "2024-04-01T00:00:00Z", "2024-05-31T00:00:00Z"),
            ("? ? ? ? ?", "2024-01-01T10:00:00Z", "2024-01-01T10:01:00Z"),
            // Both day fields restricted: either matches (the 13th, or a Friday).
            ("0 0 13 * 5", "2024-01-01T00:00:00Z", "2024-01-05T00:00:00Z"),
            ("0 0 13 * 5", "2024-01-12T00:00:00Z", "2024-01-13T00:00:00Z"),
            // One of them `*`: both must match (a Friday the 13th).
            ("0 0 13 * *", "2024-01-01T00:00:00Z", "2024-01-13T00:00:00Z"),
            ("0 0 * * 5", "2024-01-01T00:00:00Z", "2024-01-05T00:00:00Z"),
            // A step other than 1 is no star: `*/2` days OR Mondays.
            (
                "0 0 */10 * 1",
                "2024-01-02T00:00:00Z",
                "2024-01-08T00:00:00Z",
            ),
            ("@yearly", "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z"),
            ("@annually", "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z"),
            ("@monthly", "2024-06-01T00:00:00Z", "2024-07-01T00:00:00Z"),
            ("@weekly", "2024-01-01T00:00:00Z", "2024-01-07T00:00:00Z"),
            ("@daily", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"),
            ("@midnight", "2024-01-01T23:59:59Z", "2024-01-02T00:00:00Z"),
            ("@hourly", "2024-01-01T10:59:00Z", "2024-01-01T11:00:00Z"),
            (
                "@every 90s",
                "2024-01-01T10:00:00.3Z",
                "2024-01-01T10:01:30Z",
            ),
            (
                "@every 1h30m",
                "2024-01-01T10:00:00Z",
                "2024-01-01T11:30:00Z",
            ),
        ];
        for (spec, after, want) in cases {
            assert_eq!(
                next(spec, after, &utc()).as_deref(),
                Some(want),
                "{spec} after {after}"
            );
        }
        assert_eq!(next("59 23 31 2 *", "2024-01-01T00:00:00Z", &utc()), None);
    }

    #[test]
    fn time_zones_move_the_wall_clock_hours() {
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        // 09:00 in Tokyo (UTC+9, no DST) is midnight UTC.
        assert_eq!(
            next("0 9 * * *", "2024-01-01T01:00:00Z", &tokyo).as_deref(),
            Some("2024-01-02T00:00:00Z")
        );
        let kolkata = TimeZone::get("Asia/Kolkata").unwrap();
        // UTC+5:30: "every hour" is at half past in UTC.
        assert_eq!(
            next("@hourly", "2024-01-01T10:00:00Z", &kolkata).as_deref(),
            Some("2024-01-01T10:30:00Z")
        );
        // Days and weekdays are Tokyo's: Monday 08:00 there is Sunday UTC.
        assert_eq!(
            next("0 8 * * MON", "2024-01-01T00:00:00Z", &tokyo).as_deref(),
            Some("2024-01-07T23:00:00Z")
        );
    }

    #[test]
    fn bad_schedules_are_refused_in_robfig_words() {
        let cases = [
            ("", "empty spec string"),
            ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
            (
                "0 0 * * * *",
                "expected exactly 5 fields, found 6: [0 0 * * * *]",
            ),
            ("61 * * * *", "end of range (61) above maximum (59): 61"),
            ("0 24 * * *", "end of range (24) above maximum (23): 24"),
            ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
            ("0 0 * 13 *", "end of range (13) above maximum (12): 13"),
            ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
            (
                "5-1 * * * *",
                "beginning of range (5) beyond end of range (1): 5-1",
            ),
            (
                "*/0 * * * *",
                "step of range should be a positive number: */0",
            ),
            ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
            ("*/2/3 * * * *", "too many slashes: */2/3"),
            (
                "x * * * *",
                "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax",
            ),
            ("*/-1 * * * *", "negative number (-1) not allowed: -1"),
            (
                "0 0 * FOO *",
                "failed to parse int from FOO: strconv.Atoi: parsing \"FOO\": invalid syntax",
            ),
            ("@fortnightly", "unrecognized descriptor: @fortnightly"),
            (
                "@every 5x",
                "failed to parse duration @every 5x: time: unknown unit \"x\" in duration \"5x\"",
            ),
            (
                "TZ=UTC 0 * * * *",
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ),
            (
                "CRON_TZ=Europe/Paris @daily",
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(
                Schedule::parse(spec),
                Err(ScheduleError(want.to_string())),
                "{spec:?}"
            );
        }
    }

    #[test]
    fn names_are_case_insensitive_and_lists_combine() {
        assert_eq!(
            Schedule::parse("0 0 * jan,Jul,DEC mon-wed,Fri").unwrap(),
            Schedule::parse("0 0 * 1,7,12 1-3,5").unwrap()
        );
    }

    fn recent(
        spec: &str,
        earliest: &str,
        deadline: Option<i64>,
        now: &str,
    ) -> (Option<String>, Missed) {
        let found = most_recent(
            &Schedule::parse(spec).unwrap(),
            &utc(),
            ts(earliest),
            deadline,
            ts(now),
        )
        .unwrap();
        (found.most_recent.map(|t| t.to_string()), found.missed)
    }

    #[test]
    fn the_most_recent_unmet_start_time() {
        let some = |t: &str| Some(t.to_string());
        // Not yet due.
        assert_eq!(
            recent(
                "0 * * * *",
                "2024-01-01T10:00:00Z",
                None,
                "2024-01-01T10:59:59Z"
            ),
            (None, Missed::None)
        );
        // Exactly one due.
        assert_eq!(
            recent(
                "0 * * * *",
                "2024-01-01T10:00:00Z",
                None,
                "2024-01-01T11:00:00Z"
            ),
            (some("2024-01-01T11:00:00Z"), Missed::None)
        );
        // Several missed: the latest, "few".
        assert_eq!(
            recent(
                "0 * * * *",
                "2024-01-01T10:00:00Z",
                None,
                "2024-01-01T15:30:00Z"
            ),
            (some("2024-01-01T15:00:00Z"), Missed::Few)
        );
        // An irregular schedule over a weekend.
        assert_eq!(
            recent(
                "30 6-16/4 * * 1-5",
                "2024-01-05T14:30:00Z",
                None,
                "2024-01-09T07:00:00Z"
            ),
            (some("2024-01-09T06:30:00Z"), Missed::Few)
        );
        // More than 100 missed: "many", still the latest.
        assert_eq!(
            recent(
                "*/1 * * * *",
                "2024-01-01T00:00:00Z",
                None,
                "2024-01-01T05:00:30Z"
            ),
            (some("2024-01-01T05:00:00Z"), Missed::Many)
        );
        // A starting deadline moves the earliest time up: not many any more.
        assert_eq!(
            recent(
                "*/1 * * * *",
                "2024-01-01T00:00:00Z",
                Some(200),
                "2024-01-01T05:00:30Z"
            ),
            (some("2024-01-01T05:00:00Z"), Missed::Few)
        );
        // A deadline past the only due time: nothing to start.
        assert_eq!(
            recent(
                "0 * * * *",
                "2024-01-01T10:00:00Z",
                Some(60),
                "2024-01-01T11:30:00Z"
            ),
            (None, Missed::None)
        );
        let never = most_recent(
            &Schedule::parse("59 23 31 2 *").unwrap(),
            &utc(),
            ts("2024-01-01T00:00:00Z"),
            None,
            ts("2024-06-01T00:00:00Z"),
        );
        assert_eq!(never, Err(ScheduleError(TOO_CLOSE.to_string())));
    }

    #[test]
    fn the_controller_wakes_just_after_the_next_start_time() {
        let every5 = Schedule::parse("*/5 * * * *").unwrap();
        let wait = until_next(
            &every5,
            &utc(),
            ts("2024-01-01T10:00:00Z"),
            ts("2024-01-01T10:03:00Z"),
        );
        assert_eq!(wait, Some(Duration::from_secs(120) + NEXT_SCHEDULE_DELTA));
        // Missed ones: from now.
        let wait = until_next(
            &every5,
            &utc(),
            ts("2024-01-01T08:00:00Z"),
            ts("2024-01-01T10:03:00Z"),
        );
        assert_eq!(wait, Some(Duration::from_secs(120) + NEXT_SCHEDULE_DELTA));
        let never = Schedule::parse("59 23 31 2 *").unwrap();
        assert_eq!(
            until_next(
                &never,
                &utc(),
                ts("2024-01-01T00:00:00Z"),
                ts("2024-01-02T00:00:00Z")
            ),
            None
        );
    }
}
