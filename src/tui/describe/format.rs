//! kubectl describe's layout: `Label:` padded to a column, nested
//! sections indented by two, maps one entry per line, `<none>` for empty,
//! and the Events table.

use std::collections::BTreeMap;
use std::fmt::Write;

use k8s_openapi::api::core::v1::Event;
use k8s_openapi::jiff::Timestamp;

/// Width of the label column, as kubectl's tabwriter lines them up.
const LABEL_WIDTH: usize = 16;

#[derive(Default)]
pub struct Out {
    text: String,
}

impl Out {
    /// `Label:  value` at `indent` levels.
    pub fn field(&mut self, indent: usize, label: &str, value: impl std::fmt::Display) {
        let pad = " ".repeat(indent * 2);
        let label = format!("{label}:");
        let _ = writeln!(
            self.text,
            "{pad}{label:<width$}{value}",
            width = LABEL_WIDTH.max(label.len() + 1)
        );
    }

    /// A line as is.
    pub fn line(&mut self, indent: usize, text: impl std::fmt::Display) {
        let pad = " ".repeat(indent * 2);
        let _ = writeln!(self.text, "{pad}{text}");
    }

    /// `Labels:  a=b` then the other entries under it; `<none>` when empty.
    pub fn map(&mut self, indent: usize, label: &str, map: Option<&BTreeMap<String, String>>) {
        let entries: Vec<String> = map
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        match entries.split_first() {
            None => self.field(indent, label, "<none>"),
            Some((first, rest)) => {
                self.field(indent, label, first);
                let pad = " ".repeat(indent * 2 + LABEL_WIDTH.max(label.len() + 2));
                for entry in rest {
                    let _ = writeln!(self.text, "{pad}{entry}");
                }
            }
        }
    }

    /// Annotations as kubectl describe prints them: without the last
    /// applied configuration, which would be the whole object again.
    pub fn annotations(&mut self, indent: usize, map: Option<&BTreeMap<String, String>>) {
        let shown: Option<BTreeMap<String, String>> = map.map(|map| {
            map.iter()
                .filter(|(key, _)| key.as_str() != crate::api::three_way::LAST_APPLIED)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        });
        self.map(indent, "Annotations", shown.as_ref());
    }

    pub fn finish(self) -> String {
        self.text
    }
}

pub fn or_none(value: Option<impl ToString>) -> String {
    value
        .map(|v| v.to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "<none>".to_string())
}

/// `5m`, `2d3h`, as kubectl prints ages.
pub fn age(since: Option<Timestamp>, now: Timestamp) -> String {
    let Some(since) = since else {
        return "<unknown>".to_string();
    };
    crate::apiserver::table::duration::human_duration(now.as_second() - since.as_second())
}

/// The Events table, with `(x3 over 5m)` for repeated events.
pub fn events(out: &mut Out, events: &[&Event], now: Timestamp) {
    if events.is_empty() {
        out.line(0, "Events:          <none>");
        return;
    }
    let mut rows: Vec<[String; 5]> = events
        .iter()
        .map(|event| {
            let first = event
                .first_timestamp
                .as_ref()
                .map(|t| t.0)
                .or_else(|| event.event_time.as_ref().map(|t| t.0));
            let last = event.last_timestamp.as_ref().map(|t| t.0).or(first);
            let count = event.count.unwrap_or(1);
            let when = if count > 1 {
                format!("{} (x{count} over {})", age(last, now), age(first, now))
            } else {
                age(last, now)
            };
            let source = event
                .source
                .as_ref()
                .and_then(|s| s.component.clone())
                .or_else(|| event.reporting_component.clone())
                .unwrap_or_default();
            [
                event.type_.clone().unwrap_or_default(),
                event.reason.clone().unwrap_or_default(),
                when,
                source,
                event.message.clone().unwrap_or_default().trim().to_string(),
            ]
        })
        .collect();
    rows.sort_by_key(|row| row[2].len());
    out.line(0, "Events:");
    let header = ["Type", "Reason", "Age", "From", "Message"];
    let underline = ["----", "------", "----", "----", "-------"];
    let mut widths = [0, 1, 2, 3, 4].map(|i| header[i].len().max(underline[i].len()));
    for row in &rows {
        for (i, cell) in row.iter().enumerate().take(4) {
            widths[i] = widths[i].max(cell.len());
        }
    }
    let render = |cells: [&str; 5]| {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i < 4 {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            } else {
                line.push_str(cell);
            }
        }
        line
    };
    out.line(1, render(header));
    out.line(1, render(underline));
    for row in &rows {
        out.line(1, render([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
}
