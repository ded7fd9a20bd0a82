//! What the story player (`tui::demo`) needs of the app beyond its keys.

use super::*;

impl App {
    /// Whether keys go into typed text (a `:` or `/` line, a prompt, the
    /// editor) rather than being commands.
    pub fn takes_text(&self) -> bool {
        self.editor.is_some()
            || matches!(
                self.model.mode,
                Mode::Command(_) | Mode::Filter(_) | Mode::Prompt(_)
            )
    }

    /// Applies `yaml` as the `a` key applies a file; `shown` names it in
    /// errors. The answer comes back as [`Action::Done`].
    pub fn apply_yaml(&mut self, shown: String, yaml: String) {
        self.spawn_write(workloads::apply_text(self.handle.clone(), shown, yaml));
    }
}
