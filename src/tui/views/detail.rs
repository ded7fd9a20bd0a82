//! The full pane over the table: describe, YAML (keys coloured), logs, help.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane;
use crate::tui::model::{Detail, DetailKind};
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, detail: &Detail, theme: &Theme) {
    let height = usize::from(area.height.saturating_sub(2));
    // Logs that follow keep the newest line at the bottom.
    let first = match detail.kind {
        DetailKind::Logs { follow: true } => detail.lines.len().saturating_sub(height),
        _ => detail
            .scroll
            .min(detail.lines.len().saturating_sub(height.max(1))),
    };
    let lines: Vec<Line> = detail
        .lines
        .iter()
        .skip(first)
        .take(height)
        .map(|line| match detail.kind {
            DetailKind::Yaml => yaml_line(line, theme),
            _ => Line::from(Span::styled(line.clone(), theme.body)),
        })
        .collect();
    let title = format!(" {} ", detail.title);
    frame.render_widget(Paragraph::new(lines).block(pane(title, theme)), area);
}

/// `key: value` with the key, colon and value in the theme's YAML colours.
fn yaml_line(line: &str, theme: &Theme) -> Line<'static> {
    if line.trim_start().starts_with('#') {
        return Line::from(Span::styled(line.to_string(), theme.yaml_comment));
    }
    match line
        .split_once(": ")
        .or_else(|| line.strip_suffix(':').map(|k| (k, "")))
    {
        Some((key, value)) if !key.trim_start().starts_with('"') || key.ends_with('"') => {
            Line::from(vec![
                Span::styled(key.to_string(), theme.yaml_key),
                Span::styled(":".to_string(), theme.yaml_colon),
                Span::styled(
                    if value.is_empty() {
                        String::new()
                    } else {
                        format!(" {value}")
                    },
                    theme.yaml_value,
                ),
            ])
        }
        _ => Line::from(Span::styled(line.to_string(), theme.yaml_value)),
    }
}
