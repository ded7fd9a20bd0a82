//! The `:pf` view: the console's forwards, one row each (local address,
//! target, the pod the last connection went to, connections), k9s style.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::Forwards;
use crate::tui::theme::Theme;
use crate::tui::views::pane;

/// The footer while the view shows.
pub const KEYS: &[(&str, &str)] = &[
    ("ctrl-d", "stop forward"),
    ("↑↓", "select"),
    ("esc", "back"),
];

const COLUMNS: [&str; 5] = ["LOCAL", "TARGET", "POD", "ACTIVE", "CONNECTIONS"];

/// The view's own state: which row is selected.
#[derive(Debug, Default)]
pub struct ForwardsView {
    pub selected: usize,
}

impl ForwardsView {
    pub fn move_by(&mut self, by: isize, rows: usize) {
        self.selected = self
            .selected
            .saturating_add_signed(by)
            .min(rows.saturating_sub(1));
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, forwards: &Forwards, theme: &Theme) {
        let list = forwards.list();
        let rows = list.iter().map(|forward| {
            let local = forward
                .local
                .map_or_else(|| "starting…".to_string(), |a| a.to_string());
            let cells = [
                local,
                forward.spec.describe(),
                forward.pod.clone().unwrap_or_else(|| "-".to_string()),
                forward.active.to_string(),
                forward.total.to_string(),
            ];
            Row::new(cells.map(|text| Cell::from(Span::styled(text, theme.body))))
        });
        let header = Row::new(COLUMNS.map(|c| Cell::from(Span::styled(c, theme.table_header))));
        let widths = [
            Constraint::Length(22),
            Constraint::Length(40),
            Constraint::Length(40),
            Constraint::Length(7),
            Constraint::Min(11),
        ];
        let title = format!(" portforwards[{}] ", list.len());
        let table = Table::new(rows, widths)
            .header(header)
            .block(pane(title, theme))
            .row_highlight_style(theme.selected);
        let selected = (!list.is_empty()).then(|| self.selected.min(list.len() - 1));
        let mut state = TableState::default().with_selected(selected);
        frame.render_stateful_widget(table, area, &mut state);
    }
}
