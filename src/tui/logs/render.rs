//! Drawing: only the entries that fit are turned into lines; wrapping is
//! done here so that the number of rows per entry is known.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::ring::Entry;
use super::search::Query;
use crate::tui::theme::Theme;

/// How the view shows an entry.
pub struct Shape<'a> {
    pub timestamps: bool,
    pub prefixes: bool,
    /// Lines carry their container's name (all containers shown).
    pub containers: bool,
    pub query: Option<&'a Query>,
    pub current_hit: bool,
}

/// The entry as plain text, the way the user sees it (for saving).
pub fn plain(entry: &Entry, shape: &Shape) -> String {
    let mut out = String::new();
    for (text, _) in pieces(entry, shape, &Theme::dark()) {
        out.push_str(&text);
    }
    out
}

/// The text pieces of an entry with their styles (prefixes first).
fn pieces(entry: &Entry, shape: &Shape, theme: &Theme) -> Vec<(String, Style)> {
    match entry {
        Entry::Note(note) => vec![(format!("… {note}"), theme.warning)],
        Entry::Line(line) => {
            let mut out = Vec::new();
            if shape.timestamps {
                let ts = line.timestamp.map_or_else(
                    || "-".repeat(24),
                    |t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                );
                out.push((format!("{ts} "), theme.muted));
            }
            match (shape.prefixes, shape.containers) {
                (true, true) => {
                    out.push((format!("{} {} ", line.pod, line.container), Style::new()))
                }
                (true, false) => out.push((format!("{} ", line.pod), Style::new())),
                (false, true) => out.push((format!("{} ", line.container), Style::new())),
                (false, false) => {}
            }
            let hits = shape
                .query
                .map(|q| q.find_in(&line.text))
                .unwrap_or_default();
            let hit_style = if shape.current_hit {
                theme
                    .search_match
                    .add_modifier(ratatui::style::Modifier::BOLD)
            } else {
                theme.search_match
            };
            let mut at = 0;
            for hit in hits {
                if hit.start > at {
                    out.push((line.text[at..hit.start].to_string(), theme.body));
                }
                out.push((line.text[hit.clone()].to_string(), hit_style));
                at = hit.end;
            }
            if at < line.text.len() || line.text.is_empty() {
                out.push((line.text[at..].to_string(), theme.body));
            }
            out
        }
    }
}

/// Rows the entry takes at `width` columns.
pub fn rows(entry: &Entry, shape: &Shape, width: usize, wrap: bool) -> usize {
    if !wrap || width == 0 {
        return 1;
    }
    let chars = plain(entry, shape).chars().count();
    chars.div_ceil(width).max(1)
}

/// The entry's rows: one line, or several when wrapping. `prefix` is the
/// pod prefix's style when prefixes are shown.
pub fn lines(
    entry: &Entry,
    shape: &Shape,
    prefix: Style,
    theme: &Theme,
    width: usize,
    wrap: bool,
) -> Vec<Line<'static>> {
    let mut pieces = pieces(entry, shape, theme);
    if (shape.prefixes || shape.containers) && matches!(entry, Entry::Line(_)) {
        let index = usize::from(shape.timestamps);
        if let Some(piece) = pieces.get_mut(index) {
            piece.1 = prefix;
        }
    }
    if !wrap || width == 0 {
        return vec![Line::from(
            pieces
                .into_iter()
                .map(|(t, s)| Span::styled(t, s))
                .collect::<Vec<_>>(),
        )];
    }
    let mut out = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (text, style) in pieces {
        let mut chunk = String::new();
        for c in text.chars() {
            if used == width {
                if !chunk.is_empty() {
                    current.push(Span::styled(std::mem::take(&mut chunk), style));
                }
                out.push(Line::from(std::mem::take(&mut current)));
                used = 0;
            }
            chunk.push(c);
            used += 1;
        }
        if !chunk.is_empty() {
            current.push(Span::styled(chunk, style));
        }
    }
    out.push(Line::from(current));
    out
}

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
