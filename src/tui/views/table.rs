//! The resource table: kubectl's columns, the selected row, marks and
//! status colours.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::{pane, status_style};
use crate::tui::model::{Model, Target};
use crate::tui::theme::Theme;

/// Columns whose cells get status colours.
const STATUS_COLUMNS: [&str; 2] = ["STATUS", "PHASE"];

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let kind = model.kind.info().plural;
    let namespace = match model.namespace.as_deref() {
        Some(namespace) if model.kind.namespaced() => namespace,
        _ => "all",
    };
    let mut title = format!(" {kind}({namespace})[{}] ", model.rows.len());
    if let Some(scope) = &model.scope {
        title.push_str(&format!("<{}> ", scope.label));
    }
    if let Some(sort) = &model.sort {
        title.push_str(&format!("[{}] ", sort.label()));
    }
    if !model.filter.is_empty() {
        title.push_str(&format!("</{}> ", model.filter));
    }
    let status_columns: Vec<usize> = model
        .columns
        .iter()
        .enumerate()
        .filter(|(_, name)| STATUS_COLUMNS.contains(&name.as_str()))
        .map(|(i, _)| i)
        .collect();
    let shown = model.shown_rows();
    let widths = column_widths(model, shown);
    let header = Row::new(
        model
            .columns
            .iter()
            .map(|name| Cell::from(Span::styled(name.clone(), theme.table_header))),
    );
    // Only the rows on screen are built: at 10,000 pods a frame stays cheap.
    let rows = shown.iter().map(|row| {
        let marked = model.marked.contains(&Target::of(&row.object));
        Row::new(row.cells.iter().enumerate().map(|(i, text)| {
            let style = if marked {
                theme.marked
            } else if status_columns.contains(&i) {
                status_style(text, theme)
            } else {
                theme.body
            };
            Cell::from(Span::styled(text.clone(), style))
        }))
    });
    let table = Table::new(rows, widths)
        .header(header)
        .block(pane(title, theme))
        .row_highlight_style(theme.selected);
    let mut state = TableState::default()
        .with_selected((!shown.is_empty()).then(|| model.selected.saturating_sub(model.offset)));
    frame.render_stateful_widget(table, area, &mut state);
    if shown.is_empty() {
        draw_empty(frame, area, model, theme);
    }
}

/// What an empty table says: why it is empty and what to do next, for a
/// newcomer and for the first seconds of a demo.
fn draw_empty(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let kind = model.kind.info().plural;
    let place = match model.namespace.as_deref() {
        Some(namespace) if model.kind.namespaced() => format!("in {namespace}"),
        _ if model.kind.namespaced() => "in any namespace".to_string(),
        _ => "in the cluster".to_string(),
    };
    let text = if !model.filter.is_empty() {
        format!(
            "no {kind} {place} match /{} — esc clears the filter",
            model.filter
        )
    } else if let Some(scope) = &model.scope {
        format!("no {kind} of {} yet — esc goes back", scope.label)
    } else {
        format!(
            "no {kind} {place} — a applies samples/nginx.yaml, :new deploy creates one, ? lists the keys"
        )
    };
    // Below the border and the header row.
    let line = Rect {
        x: area.x + 2,
        y: area.y + 2,
        width: area.width.saturating_sub(4),
        height: 1,
    };
    if area.height > 3 {
        frame.render_widget(
            ratatui::widgets::Paragraph::new(Span::styled(text, theme.muted)),
            line,
        );
    }
}

/// Each column as wide as its widest cell on screen (capped at 60), the
/// last takes the rest.
fn column_widths(model: &Model, shown: &[crate::handle::Row]) -> Vec<Constraint> {
    let count = model.columns.len();
    (0..count)
        .map(|i| {
            let widest = shown
                .iter()
                .map(|row| row.cells.get(i).map_or(0, |c| c.chars().count()))
                .chain(std::iter::once(model.columns[i].len()))
                .max()
                .unwrap_or(0);
            if i + 1 == count {
                // The rest of the width, cut if need be: a long last cell
                // (an event's message) must not squeeze the columns before.
                Constraint::Fill(1)
            } else {
                Constraint::Length(widest.min(60) as u16)
            }
        })
        .collect()
}
