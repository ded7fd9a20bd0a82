//! The environment knobs that shape the workload for a test or a demo: which
//! ports it serves, which version it reports, when it becomes ready, when it
//! crashes, how much it logs, how long it lingers after SIGTERM.

use std::fmt;
use std::time::Duration;

/// The port served when PORT is not set, as the walkthrough's echoserver.
pub const DEFAULT_PORT: u16 = 8080;
/// The version reported when VERSION is not set.
pub const DEFAULT_VERSION: &str = "dev";
/// Log lines per second beyond this would only measure the terminal.
const MAX_LOG_LINES_PER_SECOND: f64 = 10_000.0;
/// Longer delays are surely typos; a day still covers any demo.
const MAX_SECONDS: f64 = 86_400.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Knobs {
    /// PORT first, then EXTRA_PORTS in the order given; 0 picks a free port.
    pub ports: Vec<u16>,
    pub version: String,
    /// Requests answer 503 until this long after start (READY_AFTER_SECONDS).
    pub ready_after: Duration,
    /// The process exits with `exit_code` this long after start (CRASH_AFTER_SECONDS).
    pub crash_after: Option<Duration>,
    pub exit_code: u8,
    /// Numbered lines on stdout; 0 logs requests only (LOG_LINES_PER_SECOND).
    pub log_lines_per_second: f64,
    /// How long to keep serving after SIGTERM before exiting 0 (TERM_DELAY_SECONDS).
    pub term_delay: Duration,
}

/// A knob whose value cannot be used: names the variable, the value and what
/// would work.
#[derive(Debug, Clone, PartialEq)]
pub struct KnobError {
    pub name: &'static str,
    pub value: String,
    pub expected: String,
}

impl fmt::Display for KnobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={:?} cannot be used: expected {}",
            self.name, self.value, self.expected
        )
    }
}

impl std::error::Error for KnobError {}

impl Knobs {
    /// Reads the knobs from the process environment.
    pub fn from_env() -> Result<Knobs, KnobError> {
        Knobs::parse(|name| std::env::var(name).ok())
    }

    /// Reads the knobs through `lookup`; unset and empty variables take
    /// their defaults (`docker run -e PORT=` means "unset").
    pub fn parse(lookup: impl Fn(&str) -> Option<String>) -> Result<Knobs, KnobError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let mut ports = vec![match get("PORT") {
            Some(value) => parse_port("PORT", &value)?,
            None => DEFAULT_PORT,
        }];
        if let Some(list) = get("EXTRA_PORTS") {
            for item in list.split(',').filter(|item| !item.trim().is_empty()) {
                let port = parse_port("EXTRA_PORTS", item)?;
                if port != 0 && ports.contains(&port) {
                    return Err(KnobError {
                        name: "EXTRA_PORTS",
                        value: list.clone(),
                        expected: format!(
                            "ports that differ from each other and from PORT ({port} repeats)"
                        ),
                    });
                }
                ports.push(port);
            }
        }

        let seconds = |name: &'static str| -> Result<Option<Duration>, KnobError> {
            get(name)
                .map(|value| parse_seconds(name, &value))
                .transpose()
        };
        let exit_code = match get("EXIT_CODE") {
            Some(value) => value.trim().parse::<u8>().map_err(|_| KnobError {
                name: "EXIT_CODE",
                value,
                expected: "a whole number from 0 to 255".to_string(),
            })?,
            None => 1,
        };
        let log_lines_per_second = match get("LOG_LINES_PER_SECOND") {
            Some(value) => parse_rate(&value)?,
            None => 0.0,
        };

        Ok(Knobs {
            ports,
            version: get("VERSION").unwrap_or_else(|| DEFAULT_VERSION.to_string()),
            ready_after: seconds("READY_AFTER_SECONDS")?.unwrap_or_default(),
            crash_after: seconds("CRASH_AFTER_SECONDS")?,
            exit_code,
            log_lines_per_second,
            term_delay: seconds("TERM_DELAY_SECONDS")?.unwrap_or_default(),
        })
    }
}

fn parse_port(name: &'static str, value: &str) -> Result<u16, KnobError> {
    value.trim().parse::<u16>().map_err(|_| KnobError {
        name,
        value: value.to_string(),
        expected: "a port number from 1 to 65535 (0 picks a free one)".to_string(),
    })
}

/// Seconds as a decimal (`2`, `0.5`), so tests can use short delays.
fn parse_seconds(name: &'static str, value: &str) -> Result<Duration, KnobError> {
    let error = || KnobError {
        name,
        value: value.to_string(),
        expected: format!("seconds from 0 to {MAX_SECONDS}, e.g. 5 or 0.5"),
    };
    let seconds: f64 = value.trim().parse().map_err(|_| error())?;
    if !(0.0..=MAX_SECONDS).contains(&seconds) {
        return Err(error());
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| error())
}

fn parse_rate(value: &str) -> Result<f64, KnobError> {
    let error = || KnobError {
        name: "LOG_LINES_PER_SECOND",
        value: value.to_string(),
        expected: format!("lines per second from 0 to {MAX_LOG_LINES_PER_SECOND}, e.g. 10 or 0.5"),
    };
    let rate: f64 = value.trim().parse().map_err(|_| error())?;
    if !(0.0..=MAX_LOG_LINES_PER_SECOND).contains(&rate) {
        return Err(error());
    }
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knobs(vars: &[(&str, &str)]) -> Result<Knobs, KnobError> {
        Knobs::parse(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn defaults_serve_8080_ready_at_once_and_never_crash() {
        let knobs = knobs(&[]).expect("defaults parse");
        assert_eq!(
            knobs,
            Knobs {
                ports: vec![8080],
                version: "dev".to_string(),
                ready_after: Duration::ZERO,
                crash_after: None,
                exit_code: 1,
                log_lines_per_second: 0.0,
                term_delay: Duration::ZERO,
            }
        );
    }

    #[test]
    fn every_knob_is_read() {
        let knobs = knobs(&[
            ("PORT", "9000"),
            ("EXTRA_PORTS", "9001, 9002,"),
            ("VERSION", "2.0"),
            ("READY_AFTER_SECONDS", "1.5"),
            ("CRASH_AFTER_SECONDS", "30"),
            ("EXIT_CODE", "42"),
            ("LOG_LINES_PER_SECOND", "0.5"),
            ("TERM_DELAY_SECONDS", "3"),
        ])
        .expect("parses");
        assert_eq!(knobs.ports, vec![9000, 9001, 9002]);
        assert_eq!(knobs.version, "2.0");
        assert_eq!(knobs.ready_after, Duration::from_millis(1500));
        assert_eq!(knobs.crash_after, Some(Duration::from_secs(30)));
        assert_eq!(knobs.exit_code, 42);
        assert_eq!(knobs.log_lines_per_second, 0.5);
        assert_eq!(knobs.term_delay, Duration::from_secs(3));
    }

    #[test]
    fn empty_values_mean_unset() {
        let knobs = knobs(&[("PORT", ""), ("VERSION", " "), ("EXIT_CODE", "")]).expect("parses");
        assert_eq!(knobs.ports, vec![8080]);
        assert_eq!(knobs.version, "dev");
        assert_eq!(knobs.exit_code, 1);
    }

    #[test]
    fn bad_values_name_the_variable_and_what_would_work() {
        let cases = [
            (
                "PORT",
                "http",
                "PORT=\"http\" cannot be used: expected a port number from 1 to 65535",
            ),
            ("PORT", "65536", "expected a port number from 1 to 65535"),
            ("EXTRA_PORTS", "9001,x", "EXTRA_PORTS=\"x\""),
            (
                "EXTRA_PORTS",
                "8080",
                "ports that differ from each other and from PORT (8080 repeats)",
            ),
            (
                "EXIT_CODE",
                "256",
                "EXIT_CODE=\"256\" cannot be used: expected a whole number from 0 to 255",
            ),
            (
                "READY_AFTER_SECONDS",
                "-1",
                "READY_AFTER_SECONDS=\"-1\" cannot be used: expected seconds",
            ),
            (
                "CRASH_AFTER_SECONDS",
                "soon",
                "CRASH_AFTER_SECONDS=\"soon\"",
            ),
            ("TERM_DELAY_SECONDS", "NaN", "TERM_DELAY_SECONDS=\"NaN\""),
            (
                "LOG_LINES_PER_SECOND",
                "1e9",
                "expected lines per second from 0 to 10000",
            ),
        ];
        for (name, value, expected) in cases {
            let error = knobs(&[(name, value)]).expect_err(name).to_string();
            assert!(error.contains(expected), "{name}={value}: {error}");
        }
    }
}
