//! The YAML editor: edit an object (or a multi-document file) in place,
//! see errors at their line as you type, apply with ctrl-s.
//!
//! CONTRACT (owned by the editor's author; the app integrates against
//! these signatures): the app opens a `YamlEditor`, forwards keys, and
//! acts on its intents — `Validate` (debounced by the app: a server-side
//! dry run of each document, whose field errors come back through
//! [`YamlEditor::set_server_diagnostics`] with lines found by
//! [`locate_field`]), `Apply` (the same, for real; the app calls
//! [`YamlEditor::applied`] on success) and `Close`.

mod diagnostics;
mod highlight;
mod locate;
mod templates;
#[cfg(test)]
mod tests;

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui_textarea::TextArea;

use super::component::Outcome;
use super::theme::Theme;

pub use diagnostics::parse_error;
pub use templates::{KINDS as TEMPLATE_KINDS, template};

/// One problem, shown at its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line in the buffer.
    pub line: usize,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The field path as the API server names it, e.g.
    /// `spec.template.spec.containers[0].image`.
    pub field_path: Option<String>,
    pub message: String,
}

impl Diagnostic {
    /// The message line drawn under the failing line.
    fn describe(&self) -> String {
        let place = match self.column {
            Some(c) => format!("line {}:{c}", self.line),
            None => format!("line {}", self.line),
        };
        match &self.field_path {
            Some(path) => format!("{place} {path}: {}", self.message),
            None => format!("{place}: {}", self.message),
        }
    }
}

/// What the editor asks its owner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorIntent {
    /// The buffer changed and parses: check it against the server (dry run).
    Validate { text: String },
    /// ctrl-s: apply every document of the buffer.
    Apply { text: String },
    /// Leave the editor (changes were saved, or the user chose to discard them).
    Close,
}

/// The editor's state.
pub struct YamlEditor {
    title: String,
    /// Editing state (cursor, undo, key bindings); drawn by [`Self::draw`].
    area: TextArea<'static>,
    /// The text as opened or last applied.
    saved: String,
    parse_error: Option<Diagnostic>,
    server: Vec<Diagnostic>,
    confirm_discard: bool,
    /// The last result or refusal, shown in the status line.
    status: Option<(String, bool)>,
    /// First buffer line drawn; kept across frames so the view scrolls
    /// only when the cursor leaves it.
    top: Cell<usize>,
}

impl YamlEditor {
    /// An editor titled e.g. `deployment/nginx-deployment` holding `text`.
    pub fn new(title: impl Into<String>, text: &str) -> YamlEditor {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        YamlEditor {
            title: title.into(),
            area: TextArea::new(lines),
            saved: text.to_string(),
            parse_error: parse_error(text),
            server: Vec::new(),
            confirm_discard: false,
            status: None,
            top: Cell::new(0),
        }
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    /// The buffer as it is now.
    pub fn text(&self) -> String {
        let mut text = self.area.lines().join("\n");
        if self.saved.ends_with('\n') || self.saved.is_empty() {
            text.push('\n');
        }
        text
    }

    /// Whether the buffer differs from what was opened or last applied.
    pub fn is_modified(&self) -> bool {
        self.text().trim_end() != self.saved.trim_end()
    }

    /// The local parse error, if the buffer does not parse.
    pub fn parse_diagnostic(&self) -> Option<&Diagnostic> {
        self.parse_error.as_ref()
    }

    /// The server's errors currently shown.
    pub fn server_diagnostics(&self) -> &[Diagnostic] {
        &self.server
    }

    /// The cursor as a 0-based (row, column).
    pub fn cursor(&self) -> (usize, usize) {
        let c = self.area.cursor();
        (c.0, c.1)
    }

    /// Whether "discard changes? y/n" is being asked.
    pub fn is_confirming_discard(&self) -> bool {
        self.confirm_discard
    }

    /// Errors from the server's dry run or apply, replacing earlier ones.
    pub fn set_server_diagnostics(&mut self, diagnostics: Vec<Diagnostic>) {
        self.server = diagnostics;
    }

    /// The buffer was applied; `message` says what changed (e.g.
    /// `deployment.apps/nginx-deployment configured`).
    pub fn applied(&mut self, message: &str) {
        self.saved = self.text();
        self.server.clear();
        self.status = Some((message.to_string(), false));
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> Outcome<EditorIntent> {
        if self.confirm_discard {
            self.confirm_discard = false;
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Esc => {
                    Outcome::Intent(EditorIntent::Close)
                }
                _ => Outcome::Consumed,
            };
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc if self.is_modified() => {
                self.confirm_discard = true;
                Outcome::Consumed
            }
            KeyCode::Esc => Outcome::Intent(EditorIntent::Close),
            KeyCode::Char('s') if ctrl => match &self.parse_error {
                None => {
                    self.status = Some(("applying…".to_string(), false));
                    Outcome::Intent(EditorIntent::Apply { text: self.text() })
                }
                Some(err) => {
                    self.status =
                        Some((format!("not applied: fix {} first", err.describe()), true));
                    Outcome::Consumed
                }
            },
            _ => {
                let before = self.area.lines().to_vec();
                self.area.input(key);
                if self.area.lines() == before.as_slice() {
                    return Outcome::Consumed;
                }
                self.status = None;
                let text = self.text();
                self.parse_error = parse_error(&text);
                match self.parse_error {
                    None => Outcome::Intent(EditorIntent::Validate { text }),
                    Some(_) => Outcome::Consumed,
                }
            }
        }
    }

    /// Every diagnostic, local first, for the line `line` (1-based).
    fn diagnostics_at(&self, line: usize) -> impl Iterator<Item = &Diagnostic> {
        self.parse_error
            .iter()
            .chain(self.server.iter())
            .filter(move |d| d.line == line)
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let modified = if self.is_modified() {
            " [modified]"
        } else {
            ""
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(
                format!(" edit {}{modified} ", self.title),
                theme.accent,
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [text_area, status_area] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        frame.render_widget(Paragraph::new(self.body_lines(text_area, theme)), text_area);
        frame.render_widget(Paragraph::new(self.status_line(theme)), status_area);
    }

    /// The visible buffer lines, each followed by its diagnostics.
    fn body_lines(&self, area: Rect, theme: &Theme) -> Vec<Line<'static>> {
        let lines = self.area.lines();
        let height = usize::from(area.height);
        let gutter = lines.len().to_string().len().max(3);
        let (row, col) = self.cursor();
        let rows_between = |from: usize, to: usize| -> usize {
            (from..=to)
                .map(|l| 1 + self.diagnostics_at(l + 1).count())
                .sum()
        };
        let mut top = self.top.get().min(row);
        while top < row && rows_between(top, row) > height {
            top += 1;
        }
        self.top.set(top);
        // Scroll sideways so the cursor stays visible on long lines.
        let text_width = usize::from(area.width).saturating_sub(gutter + 2).max(1);
        let left = col.saturating_sub(text_width - 1);
        let mut out = Vec::with_capacity(height);
        for (index, text) in lines.iter().enumerate().skip(top) {
            if out.len() >= height {
                break;
            }
            let number = index + 1;
            let has_error = self.diagnostics_at(number).next().is_some();
            let marker = if has_error {
                Span::styled("●", theme.error)
            } else {
                Span::raw(" ")
            };
            let mut spans = vec![
                marker,
                Span::styled(format!("{number:>gutter$} "), theme.muted),
            ];
            let cursor = (index == row).then_some(col);
            spans.extend(skip_chars(styled_text(text, cursor, theme), left));
            out.push(Line::from(spans));
            for d in self.diagnostics_at(number) {
                if out.len() >= height {
                    break;
                }
                out.push(Line::from(vec![
                    Span::raw(" ".repeat(gutter + 2)),
                    Span::styled(format!("└ {}", d.describe()), theme.error),
                ]));
            }
        }
        out
    }

    fn status_line(&self, theme: &Theme) -> Line<'static> {
        if self.confirm_discard {
            return Line::from(Span::styled("discard changes? y/n", theme.warning));
        }
        if let Some((message, is_error)) = &self.status {
            let style = if *is_error { theme.error } else { theme.info };
            return Line::from(Span::styled(message.clone(), style));
        }
        let state = match (&self.parse_error, self.server.len()) {
            (Some(_), _) => Span::styled("does not parse", theme.error),
            (None, 0) => Span::styled("valid YAML", theme.info),
            (None, n) => Span::styled(format!("{n} error(s) from the server"), theme.error),
        };
        Line::from(vec![
            state,
            Span::styled("  ctrl-s apply · esc close · ctrl-z undo", theme.key_hint),
        ])
    }
}

/// One buffer line in syntax colours, with the cursor cell reversed.
fn styled_text(text: &str, cursor: Option<usize>, theme: &Theme) -> Vec<Span<'static>> {
    let cursor_byte = cursor.map(|c| text.char_indices().nth(c).map_or(text.len(), |(b, _)| b));
    let mut spans = Vec::new();
    for (range, style) in highlight::highlight(text, theme) {
        match cursor_byte {
            Some(at) if range.contains(&at) => {
                let len = text[at..].chars().next().map_or(1, char::len_utf8);
                spans.push(Span::styled(text[range.start..at].to_string(), style));
                spans.push(Span::styled(
                    text[at..at + len].to_string(),
                    style.add_modifier(Modifier::REVERSED),
                ));
                spans.push(Span::styled(text[at + len..range.end].to_string(), style));
            }
            _ => spans.push(Span::styled(text[range].to_string(), style)),
        }
    }
    if cursor_byte == Some(text.len()) {
        spans.push(Span::styled(
            " ",
            Style::new().add_modifier(Modifier::REVERSED),
        ));
    }
    spans.retain(|s| !s.content.is_empty());
    spans
}

/// `spans` without their first `count` characters.
fn skip_chars(spans: Vec<Span<'static>>, mut count: usize) -> Vec<Span<'static>> {
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        let chars = span.content.chars().count();
        if count >= chars {
            count -= chars;
            continue;
        }
        let rest: String = span.content.chars().skip(count).collect();
        count = 0;
        out.push(Span::styled(rest, span.style));
    }
    out
}

/// The 1-based line of `field_path` (e.g. `spec.replicas`,
/// `spec.template.spec.containers[0].image`) in the `document`-th (0-based)
/// YAML document of `text`; the nearest existing parent when the field
/// itself is missing.
pub fn locate_field(text: &str, document: usize, field_path: &str) -> Option<usize> {
    locate::locate_field(text, document, field_path)
}
