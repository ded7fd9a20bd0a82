//! String formats: which ones a CRD schema keeps (apiextensions-apiserver
//! `pkg/apiserver/validation/formats.go`) and their checks (kube-openapi
//! `strfmt`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;

/// The string formats CRD schemas support, normalized (no dashes).
const SUPPORTED: [&str; 26] = [
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
    "k8sshortname",
    "k8slongname",
];

fn normalize(format: &str) -> String {
    format.replace('-', "")
}

/// The format the validator sees after upstream's
/// `StripUnsupportedFormatsPostProcessor`: unsupported formats are dropped.
/// `schema_type` is the single type, or "" (also for int-or-string).
pub(crate) fn effective_format<'a>(schema_type: &str, format: &'a str) -> &'a str {
    if format.is_empty() {
        return format;
    }
    let keep = match schema_type {
        "" | "string" => SUPPORTED.contains(&normalize(format).as_str()),
        "integer" => format == "int32" || format == "int64",
        "number" => format == "float" || format == "double",
        _ => false,
    };
    if keep { format } else { "" }
}

/// Whether kube-openapi's default registry knows the (string) format.
pub(crate) fn known(format: &str) -> bool {
    !format.is_empty() && SUPPORTED.contains(&normalize(format).as_str())
}

fn re(p: &str) -> Option<Regex> {
    Regex::new(p).ok()
}

static HOSTNAME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$",
    )
});
static UUID: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$"));
static UUID3: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
});
static UUID4: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$")
});
static UUID5: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$")
});
static BASE64: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$")
});
static HEXCOLOR: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"));
static RGBCOLOR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$",
    )
});
static SSN: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"^\d{3}[- ]?\d{2}[- ]?\d{4}$"));
static DATE: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"^(\d{4})-(\d{2})-(\d{2})$"));
static DATETIME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$")
});
static DURATION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"^([+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+|0|[+-]?\d+\s*(ns|nanos?|nanoseconds?|us|micros?|microseconds?|ms|millis?|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?))$",
    )
});
static DNS_LABEL: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"));
static DNS_SUBDOMAIN: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"));

fn matches(r: &LazyLock<Option<Regex>>, s: &str) -> bool {
    r.as_ref().is_some_and(|r| r.is_match(s))
}

fn valid_date(y: &str, m: &str, d: &str) -> bool {
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    if !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

fn is_request_uri(s: &str) -> bool {
    // Go's url.ParseRequestURI: an absolute URI (scheme:...) or an
    // absolute path; no fragment handling, no spaces or control bytes.
    if s.is_empty() || s.chars().any(|c| c.is_control() || c == ' ') {
        return false;
    }
    if s.starts_with('/') {
        return true;
    }
    let Some((scheme, _rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn is_mac(s: &str) -> bool {
    // net.ParseMAC: 6, 8 or 20 octets separated by ':' or '-', or dotted
    // groups of four hex digits.
    let hex = |p: &str, n: usize| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit());
    for sep in [':', '-'] {
        let parts: Vec<&str> = s.split(sep).collect();
        if [6, 8, 20].contains(&parts.len()) && parts.iter().all(|p| hex(p, 2)) {
            return true;
        }
    }
    let parts: Vec<&str> = s.split('.').collect();
    [3, 4, 10].contains(&parts.len()) && parts.iter().all(|p| hex(p, 4))
}

fn is_isbn10(s: &str) -> bool {
    let d: Vec<char> = s.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if d.len() != 10 {
        return false;
    }
    let mut sum = 0u32;
    for (i, c) in d.iter().enumerate() {
        let v = if i == 9 && (*c == 'X' || *c == 'x') {
            10
        } else if let Some(v) = c.to_digit(10) {
            v
        } else {
            return false;
        };
        sum += (10 - i as u32) * v;
    }
    sum.is_multiple_of(11)
}

fn is_isbn13(s: &str) -> bool {
    let d: Vec<u32> = s
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_digit(10).unwrap_or(99))
        .collect();
    if d.len() != 13 || d.contains(&99) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .enumerate()
        .map(|(i, v)| if i % 2 == 0 { *v } else { *v * 3 })
        .sum();
    sum.is_multiple_of(10)
}

fn is_credit_card(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() < 12 {
        return false;
    }
    // Luhn
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn is_email(s: &str) -> bool {
    // net/mail.ParseAddress accepts more (display names); the plain
    // addr-spec is what CRD users write.
    let addr = match (s.rfind('<'), s.ends_with('>')) {
        (Some(i), true) => &s[i + 1..s.len() - 1],
        _ => s,
    };
    match addr.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !addr.chars().any(|c| c.is_whitespace())
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

/// Whether `data` is valid for the (known) format.
pub(crate) fn check(format: &str, data: &str) -> bool {
    match normalize(format).as_str() {
        "uri" => is_request_uri(data),
        "email" => is_email(data),
        "hostname" => {
            matches(&HOSTNAME, data) && data.len() <= 255 && data.split('.').all(|p| p.len() <= 63)
        }
        "ipv4" => data.parse::<Ipv4Addr>().is_ok() && data.contains('.'),
        "ipv6" => data.parse::<Ipv6Addr>().is_ok(),
        "cidr" => match data.split_once('/') {
            Some((ip, bits)) => match (ip.parse::<IpAddr>(), bits.parse::<u8>()) {
                (Ok(IpAddr::V4(_)), Ok(b)) => b <= 32 && !bits.starts_with('+'),
                (Ok(IpAddr::V6(_)), Ok(b)) => b <= 128 && !bits.starts_with('+'),
                _ => false,
            },
            None => false,
        },
        "mac" => is_mac(data),
        "uuid" => matches(&UUID, data),
        "uuid3" => matches(&UUID3, data),
        "uuid4" => matches(&UUID4, data),
        "uuid5" => matches(&UUID5, data),
        "isbn" => is_isbn10(data) || is_isbn13(data),
        "isbn10" => is_isbn10(data),
        "isbn13" => is_isbn13(data),
        "creditcard" => is_credit_card(data),
        "ssn" => matches(&SSN, data),
        "hexcolor" => matches(&HEXCOLOR, data),
        "rgbcolor" => matches(&RGBCOLOR, data),
        "byte" => matches(&BASE64, data),
        "password" => true,
        "date" => DATE
            .as_ref()
            .and_then(|r| r.captures(data))
            .is_some_and(|c| valid_date(&c[1], &c[2], &c[3])),
        "datetime" => DATETIME
            .as_ref()
            .and_then(|r| r.captures(data))
            .is_some_and(|c| {
                valid_date(&c[1], &c[2], &c[3])
                    && c[4].parse::<u32>().is_ok_and(|h| h < 24)
                    && c[5].parse::<u32>().is_ok_and(|m| m < 60)
                    && c.get(7)
                        .is_none_or(|s| s.as_str().parse::<u32>().is_ok_and(|s| s < 61))
            }),
        "duration" => matches(&DURATION, data),
        "bsonobjectid" => data.len() == 24 && data.chars().all(|c| c.is_ascii_hexdigit()),
        "k8sshortname" => data.len() <= 63 && matches(&DNS_LABEL, data),
        "k8slongname" => data.len() <= 253 && matches(&DNS_SUBDOMAIN, data),
        _ => true,
    }
}
