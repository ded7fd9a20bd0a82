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

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::component::Outcome;
use super::theme::Theme;

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
    text: String,
}

impl YamlEditor {
    /// An editor titled e.g. `deployment/nginx-deployment` holding `text`.
    pub fn new(title: impl Into<String>, text: &str) -> YamlEditor {
        YamlEditor {
            title: title.into(),
            text: text.to_string(),
        }
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    /// The buffer as it is now.
    pub fn text(&self) -> String {
        self.text.clone()
    }

    /// Whether the buffer differs from what was opened or last applied.
    pub fn is_modified(&self) -> bool {
        false
    }

    /// Errors from the server's dry run or apply, replacing earlier ones.
    pub fn set_server_diagnostics(&mut self, _diagnostics: Vec<Diagnostic>) {}

    /// The buffer was applied; `message` says what changed (e.g.
    /// `deployment.apps/nginx-deployment configured`).
    pub fn applied(&mut self, _message: &str) {}

    pub fn handle_key(&mut self, _key: KeyEvent) -> Outcome<EditorIntent> {
        Outcome::Ignored
    }

    pub fn draw(&self, _frame: &mut Frame, _area: Rect, _theme: &Theme) {}
}

/// The 1-based line of `field_path` (e.g. `spec.replicas`,
/// `spec.template.spec.containers[0].image`) in the `document`-th (0-based)
/// YAML document of `text`; the nearest existing parent when the field
/// itself is missing.
pub fn locate_field(_text: &str, _document: usize, _field_path: &str) -> Option<usize> {
    None
}
