//! Two lines on top: the cluster and runtime, the figures that matter, the
//! namespace and the clock.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::handle::Connection;
use crate::tui::model::Model;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let summary = &model.summary;
    let namespace = model.namespace.as_deref().unwrap_or("all");
    let clock = crate::clock::now().strftime("%H:%M:%S").to_string();
    let pods_style = if summary.pods_ready == summary.pods {
        theme.status_ok
    } else {
        theme.status_pending
    };
    let nodes_style = if summary.nodes_ready == summary.nodes {
        theme.status_ok
    } else {
        theme.status_error
    };
    let mut first = vec![
        Span::styled(" podium ", theme.accent),
        Span::styled(format!("cluster {} ", model.info.name), theme.body),
        Span::styled(format!("· runtime {} ", model.info.runtime), theme.muted),
        Span::styled(format!("· api {} ", model.info.server), theme.muted),
    ];
    if model.info.read_only {
        first.push(Span::styled("· read-only ", theme.status_pending));
    }
    if model.info.offline {
        first.push(Span::styled("· offline: no pulls ", theme.status_pending));
    }
    if let Connection::Connecting { attempt, error } = &model.connection {
        first.push(Span::styled(
            connecting(*attempt, error.as_deref()),
            theme.status_error,
        ));
    }
    let first = Line::from(first);
    let second = Line::from(vec![
        Span::styled(" nodes ", theme.muted),
        Span::styled(
            format!("{}/{}", summary.nodes_ready, summary.nodes),
            nodes_style,
        ),
        Span::styled("  pods ready ", theme.muted),
        Span::styled(
            format!("{}/{}", summary.pods_ready, summary.pods),
            pods_style,
        ),
        Span::styled("  namespace ", theme.muted),
        Span::styled(namespace.to_string(), theme.accent),
        Span::styled(format!("  {clock}"), theme.muted),
    ]);
    frame.render_widget(Paragraph::new(vec![first, second]), area);
}

/// Where a remote cluster's connection stands, in plain words.
fn connecting(attempt: u32, error: Option<&str>) -> String {
    match error {
        None => "· connecting… ".to_string(),
        Some(error) => format!("· {error} (try {attempt}, retrying) "),
    }
}
