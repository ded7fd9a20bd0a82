//! Drawing the rollout view: headline, budget, sparkline, lanes, events.

use k8s_openapi::jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

use super::RolloutView;
use super::budget::Budget;
use super::lanes::{Lane, SlotState};
use super::summary::{EventLine, RolloutState, Summary};
use crate::tui::theme::Theme;

/// Width of the label left of the sparkline.
const SPARK_LABEL: u16 = 12;
const SPARK_HEIGHT: u16 = 3;

pub fn draw(view: &RolloutView, frame: &mut Frame, area: Rect, theme: &Theme, now: Timestamp) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(
            format!(" rollout {}/{} ", view.namespace, view.name),
            theme.accent,
        ))
        .title_bottom(Line::from(vec![
            Span::styled(" esc", theme.key_hint),
            Span::styled(" close ", theme.muted),
        ]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(summary) = view.summary.as_ref() else {
        let waiting = format!("waiting for deployment {}/{}…", view.namespace, view.name);
        frame.render_widget(Paragraph::new(Span::styled(waiting, theme.muted)), inner);
        return;
    };
    let lanes_height = u16::try_from(summary.lanes.len() * 2 + 1).unwrap_or(u16::MAX);
    let [headline, budget, _, spark, _, lanes, events] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(SPARK_HEIGHT),
        Constraint::Length(1),
        Constraint::Max(lanes_height),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(headline_line(summary, theme, now)), headline);
    frame.render_widget(Paragraph::new(budget_line(summary, theme)), budget);
    draw_sparkline(view, summary, frame, spark, theme);
    frame.render_widget(
        Paragraph::new(lane_lines(summary, lanes.width, theme)),
        lanes,
    );
    frame.render_widget(
        Paragraph::new(event_lines(&summary.events, theme, now)),
        events,
    );
}

fn headline_line<'a>(summary: &'a Summary, theme: &Theme, now: Timestamp) -> Line<'a> {
    let state_style = match summary.state {
        RolloutState::Complete => theme.status_ok,
        RolloutState::Progressing => theme.status_pending,
        RolloutState::Paused => theme.muted,
        RolloutState::ProgressDeadlineExceeded => theme.status_error,
    };
    let elapsed = summary
        .started()
        .map(|start| format!("started {} ago", duration(start, now)))
        .unwrap_or_default();
    Line::from(vec![
        Span::styled(summary.name.as_str(), theme.accent),
        Span::raw("  "),
        Span::styled(summary.strategy.as_str(), theme.body),
        Span::raw("  updated "),
        Span::styled(
            format!("{}/{}", summary.updated, summary.desired),
            theme.table_header,
        ),
        Span::raw("  "),
        Span::styled(summary.state.label(), state_style),
        Span::raw("  "),
        Span::styled(elapsed, theme.muted),
    ])
}

fn budget_line(summary: &Summary, theme: &Theme) -> Line<'static> {
    match &summary.budget {
        None => Line::styled(
            "Recreate: every old pod stops before the new ones start",
            theme.muted,
        ),
        Some(Err(error)) => Line::styled(format!("budget: {error}"), theme.error),
        Some(Ok(budget)) => budget_spans(budget, summary, theme),
    }
}

fn budget_spans(budget: &Budget, summary: &Summary, theme: &Theme) -> Line<'static> {
    let within = |ok: bool| {
        if ok {
            theme.status_ok
        } else {
            theme.status_error
        }
    };
    Line::from(vec![
        Span::styled("max pods ", theme.muted),
        Span::raw(format!(
            "{} ({}+{} surge)",
            budget.max_pods(),
            budget.replicas,
            budget.max_surge
        )),
        Span::styled(": now ", theme.muted),
        Span::styled(
            summary.total.to_string(),
            within(summary.total <= budget.max_pods()),
        ),
        Span::styled("    min available ", theme.muted),
        Span::raw(format!(
            "{} ({}-{} unavailable)",
            budget.min_available(),
            budget.replicas,
            budget.max_unavailable
        )),
        Span::styled(": now ", theme.muted),
        Span::styled(
            summary.available.to_string(),
            within(summary.available >= budget.min_available()),
        ),
    ])
}

fn draw_sparkline(
    view: &RolloutView,
    summary: &Summary,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let [label, chart] =
        Layout::horizontal([Constraint::Length(SPARK_LABEL), Constraint::Min(0)]).areas(area);
    // The newest samples that fit, right-aligned like a scrolling chart.
    let width = usize::from(chart.width);
    let samples: Vec<u64> = view
        .history
        .iter()
        .skip(view.history.len().saturating_sub(width))
        .map(|(_, available)| u64::try_from(*available).unwrap_or(0))
        .collect();
    let max = samples
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(u64::try_from(summary.desired).unwrap_or(0))
        .max(1);
    let label_text = vec![
        Line::styled("available", theme.muted),
        Line::styled(format!("now {}", summary.available), theme.body),
        Line::styled(format!("scale 0-{max}"), theme.muted),
    ];
    frame.render_widget(Paragraph::new(label_text), label);
    frame.render_widget(
        Sparkline::default()
            .data(samples)
            .max(max)
            .style(theme.status_ok),
        chart,
    );
}

fn lane_lines<'a>(summary: &'a Summary, width: u16, theme: &Theme) -> Vec<Line<'a>> {
    let mut header = vec![Span::styled(
        "ReplicaSets (newest first)",
        theme.table_header,
    )];
    for (state, label) in [
        (SlotState::Ready, "ready"),
        (SlotState::NotReady, "not ready"),
        (SlotState::Pending, "pending"),
        (SlotState::Terminating, "terminating"),
        (SlotState::Broken, "failing"),
    ] {
        let (glyph, style) = slot_look(state, theme);
        header.push(Span::raw("  "));
        header.push(Span::styled(glyph, style));
        header.push(Span::styled(format!(" {label}"), theme.muted));
    }
    let mut lines = vec![Line::from(header)];
    for (index, lane) in summary.lanes.iter().enumerate() {
        lines.push(lane_header(lane, index == 0, theme));
        lines.push(slot_line(lane, width, theme));
    }
    lines
}

fn lane_header<'a>(lane: &'a Lane, newest: bool, theme: &Theme) -> Line<'a> {
    let revision = lane
        .revision
        .map(|r| format!("rev {r:<3}"))
        .unwrap_or_else(|| "rev ?  ".to_string());
    let role = if newest {
        ("new", theme.accent)
    } else {
        ("old", theme.muted)
    };
    let count = |label: &'static str, value: i32| {
        [
            Span::styled(format!("  {label} "), theme.muted),
            Span::raw(value.to_string()),
        ]
    };
    let mut spans = vec![
        Span::styled(revision, theme.table_header),
        Span::styled(format!("{} ", role.0), role.1),
        Span::raw(lane.name.as_str()),
        Span::raw("  "),
        Span::styled(lane.images.join(","), theme.body),
    ];
    spans.extend(count("desired", lane.desired));
    spans.extend(count("current", lane.current));
    spans.extend(count("ready", lane.ready));
    spans.extend(count("available", lane.available));
    Line::from(spans)
}

/// The glyph and style a pod slot is drawn with.
pub fn slot_look(state: SlotState, theme: &Theme) -> (&'static str, Style) {
    match state {
        SlotState::Pending => ("◌", theme.status_pending),
        SlotState::NotReady => ("□", theme.status_pending),
        SlotState::Ready => ("■", theme.status_ok),
        SlotState::Terminating => ("▒", theme.status_terminating),
        SlotState::Broken => ("✖", theme.status_error),
    }
}

fn slot_line(lane: &Lane, width: u16, theme: &Theme) -> Line<'static> {
    const INDENT: usize = 8;
    let mut spans = vec![Span::raw(" ".repeat(INDENT))];
    if lane.slots.is_empty() {
        spans.push(Span::styled("no pods", theme.muted));
        return Line::from(spans);
    }
    // Two cells per slot; keep room for "+N more".
    let room = usize::from(width).saturating_sub(INDENT + 10) / 2;
    for slot in lane.slots.iter().take(room) {
        let (glyph, style) = slot_look(slot.state, theme);
        spans.push(Span::styled(glyph, style));
        spans.push(Span::raw(" "));
    }
    if lane.slots.len() > room {
        spans.push(Span::styled(
            format!("+{} more", lane.slots.len() - room),
            theme.muted,
        ));
    }
    Line::from(spans)
}

fn event_lines<'a>(events: &'a [EventLine], theme: &Theme, now: Timestamp) -> Vec<Line<'a>> {
    let mut lines = vec![Line::styled("Events (newest first)", theme.table_header)];
    if events.is_empty() {
        lines.push(Line::styled("  <none>", theme.muted));
    }
    for event in events {
        let age = event
            .at
            .map(|at| duration(at, now))
            .unwrap_or_else(|| "?".to_string());
        let reason_style = if event.warning {
            theme.warning
        } else {
            theme.body
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{age:>6}  "), theme.muted),
            Span::styled(format!("{:<18} ", event.reason), reason_style),
            Span::styled(format!("{}  ", event.object), theme.muted),
            Span::raw(event.message.as_str()),
        ]));
    }
    lines
}

/// A short duration like kubectl's ages: 45s, 3m20s, 2h5m, 3d4h.
pub fn duration(from: Timestamp, now: Timestamp) -> String {
    let seconds = (now.as_second() - from.as_second()).max(0);
    let (m, s) = (seconds / 60, seconds % 60);
    let (h, m) = (m / 60, m % 60);
    let (d, h) = (h / 24, h % 24);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m{s}s"),
        (0, _, _) => format!("{h}h{m}m"),
        _ => format!("{d}d{h}h"),
    }
}
