//! One line of typed text with a cursor, edited with readline's keys, and
//! the history up/down recalls. Every text line of the console (`:`, `/`,
//! the prompts) is one of these, so the keys a shell user's fingers know
//! work the same everywhere.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The text, the cursor (a byte offset on a char boundary) and, while up/down
/// walk the history, where in it the line is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEdit {
    text: String,
    cursor: usize,
    recall: Option<Recall>,
}

/// A line recalled from history, and what was typed before the first up.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Recall {
    index: usize,
    draft: String,
}

/// What a key did to the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed.
    Changed,
    /// Only the cursor moved.
    Moved,
    /// Not an editing key; the caller decides (enter, esc, tab, up, down).
    Ignored,
}

impl LineEdit {
    /// `text` with the cursor at its end, as a prefilled answer is offered.
    pub fn new(text: impl Into<String>) -> LineEdit {
        let text = text.into();
        LineEdit {
            cursor: text.len(),
            text,
            recall: None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text before and after the cursor, for drawing it.
    pub fn split_at_cursor(&self) -> (&str, &str) {
        self.text.split_at(self.cursor)
    }

    /// Replaces the text, cursor at the end (tab completion, history).
    pub fn set(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.cursor = self.text.len();
    }

    /// Applies one key as readline does; `kill` holds what ctrl-u, ctrl-k,
    /// ctrl-w and alt-d cut, for ctrl-y.
    pub fn edit(&mut self, key: KeyEvent, kill: &mut String) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let end = self.text.len();
        match key.code {
            KeyCode::Char('a') if ctrl => self.move_to(0),
            KeyCode::Home => self.move_to(0),
            KeyCode::Char('e') if ctrl => self.move_to(end),
            KeyCode::End => self.move_to(end),
            KeyCode::Char('b') if ctrl => self.move_to(self.previous_char()),
            KeyCode::Left if ctrl || alt => self.move_to(self.word_start()),
            KeyCode::Left => self.move_to(self.previous_char()),
            KeyCode::Char('f') if ctrl => self.move_to(self.next_char()),
            KeyCode::Right if ctrl || alt => self.move_to(self.word_end()),
            KeyCode::Right => self.move_to(self.next_char()),
            KeyCode::Char('b') if alt => self.move_to(self.word_start()),
            KeyCode::Char('f') if alt => self.move_to(self.word_end()),
            KeyCode::Char('u') if ctrl => self.cut(0, self.cursor, kill),
            KeyCode::Char('k') if ctrl => self.cut(self.cursor, end, kill),
            KeyCode::Char('w') if ctrl => self.cut(self.whitespace_word_start(), self.cursor, kill),
            KeyCode::Backspace if alt => self.cut(self.word_start(), self.cursor, kill),
            KeyCode::Char('d') if alt => self.cut(self.cursor, self.word_end(), kill),
            KeyCode::Char('y') if ctrl => {
                let yanked = kill.clone();
                self.insert(&yanked)
            }
            KeyCode::Char('h') if ctrl => self.remove(self.previous_char(), self.cursor),
            KeyCode::Backspace => self.remove(self.previous_char(), self.cursor),
            KeyCode::Char('d') if ctrl => self.remove(self.cursor, self.next_char()),
            KeyCode::Delete => self.remove(self.cursor, self.next_char()),
            // Other control and alt chords are not text: never insert them.
            KeyCode::Char(_) if ctrl || alt => Edit::Ignored,
            KeyCode::Char(c) => self.insert(c.encode_utf8(&mut [0; 4])),
            _ => Edit::Ignored,
        }
    }

    fn move_to(&mut self, at: usize) -> Edit {
        self.cursor = at;
        Edit::Moved
    }

    fn insert(&mut self, text: &str) -> Edit {
        self.text.insert_str(self.cursor, text);
        self.cursor += text.len();
        Edit::Changed
    }

    fn remove(&mut self, from: usize, to: usize) -> Edit {
        if from == to {
            return Edit::Moved;
        }
        self.text.replace_range(from..to, "");
        self.cursor = from;
        Edit::Changed
    }

    fn cut(&mut self, from: usize, to: usize, kill: &mut String) -> Edit {
        if from == to {
            return Edit::Moved;
        }
        *kill = self.text[from..to].to_string();
        self.remove(from, to)
    }

    fn previous_char(&self) -> usize {
        self.text[..self.cursor]
            .char_indices()
            .next_back()
            .map_or(0, |(at, _)| at)
    }

    fn next_char(&self) -> usize {
        self.text[self.cursor..]
            .chars()
            .next()
            .map_or(self.cursor, |c| self.cursor + c.len_utf8())
    }

    /// Where alt-b lands: the start of this or the previous word of letters
    /// and digits.
    fn word_start(&self) -> usize {
        let before = &self.text[..self.cursor];
        let trimmed = before.trim_end_matches(|c: char| !c.is_alphanumeric());
        trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| !c.is_alphanumeric())
            .map_or(0, |(at, c)| at + c.len_utf8())
    }

    /// Where alt-f lands: the end of this or the next word.
    fn word_end(&self) -> usize {
        let after = &self.text[self.cursor..];
        let skipped = after.len()
            - after
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .len();
        let rest = &after[skipped..];
        let word = rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(rest.len());
        self.cursor + skipped + word
    }

    /// Where ctrl-w cuts from: back over blanks, then to the previous blank
    /// (readline's unix-word-rubout).
    fn whitespace_word_start(&self) -> usize {
        let before = self.text[..self.cursor].trim_end();
        before
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(at, c)| at + c.len_utf8())
    }
}

impl PartialEq<&str> for LineEdit {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

/// Lines entered before, one list per kind of line (`:`, `/`, each prompt),
/// oldest first.
#[derive(Debug, Default)]
pub struct Histories {
    lines: HashMap<&'static str, Vec<String>>,
    /// What the last cut removed, for ctrl-y.
    pub kill: String,
}

/// How many lines each history keeps.
const KEPT: usize = 100;

impl Histories {
    /// Remembers an entered line (not a blank one, not the same twice in a row).
    pub fn record(&mut self, which: &'static str, line: &str) {
        let entries = self.lines.entry(which).or_default();
        if line.trim().is_empty() || entries.last().is_some_and(|last| last == line) {
            return;
        }
        entries.push(line.to_string());
        if entries.len() > KEPT {
            entries.remove(0);
        }
    }

    /// Up: the line entered before the one shown.
    pub fn older(&self, which: &'static str, line: &mut LineEdit) {
        let entries = self.entries(which);
        let index = match &line.recall {
            Some(recall) => recall.index.saturating_sub(1),
            None if entries.is_empty() => return,
            None => entries.len() - 1,
        };
        let draft = line
            .recall
            .take()
            .map_or_else(|| line.text.clone(), |recall| recall.draft);
        line.set(entries[index].clone());
        line.recall = Some(Recall { index, draft });
    }

    /// Down: the line entered after the one shown, then what was typed.
    pub fn newer(&self, which: &'static str, line: &mut LineEdit) {
        let Some(recall) = line.recall.take() else {
            return;
        };
        let entries = self.entries(which);
        match entries.get(recall.index + 1) {
            Some(next) => {
                line.set(next.clone());
                line.recall = Some(Recall {
                    index: recall.index + 1,
                    draft: recall.draft,
                });
            }
            None => line.set(recall.draft),
        }
    }

    fn entries(&self, which: &'static str) -> &[String] {
        self.lines.get(which).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn alt(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)
    }

    fn typed(line: &mut LineEdit, text: &str, kill: &mut String) {
        for c in text.chars() {
            line.edit(key(KeyCode::Char(c)), kill);
        }
    }

    #[test]
    fn ctrl_u_clears_what_is_before_the_cursor_instead_of_typing_a_u() {
        let mut kill = String::new();
        let mut line = LineEdit::new("library/nginx:1.14-alpine");
        assert_eq!(line.edit(ctrl('u'), &mut kill), Edit::Changed);
        typed(&mut line, "nginx:1.16-alpine", &mut kill);
        assert_eq!(line, "nginx:1.16-alpine");
        assert_eq!(kill, "library/nginx:1.14-alpine");
    }

    #[test]
    fn moves_and_edits_in_the_middle() {
        let mut kill = String::new();
        let mut line = LineEdit::new("deploy web");
        line.edit(ctrl('a'), &mut kill);
        assert_eq!(line.split_at_cursor(), ("", "deploy web"));
        line.edit(alt('f'), &mut kill);
        assert_eq!(line.split_at_cursor(), ("deploy", " web"));
        typed(&mut line, "ments", &mut kill);
        assert_eq!(line, "deployments web");
        line.edit(ctrl('k'), &mut kill);
        assert_eq!(line, "deployments");
        line.edit(ctrl('e'), &mut kill);
        line.edit(ctrl('y'), &mut kill);
        assert_eq!(line, "deployments web");
        line.edit(alt('b'), &mut kill);
        assert_eq!(line.split_at_cursor(), ("deployments ", "web"));
        line.edit(key(KeyCode::Left), &mut kill);
        line.edit(key(KeyCode::Backspace), &mut kill);
        assert_eq!(line, "deployment web");
        line.edit(ctrl('d'), &mut kill);
        assert_eq!(line, "deploymentweb");
    }

    #[test]
    fn ctrl_w_cuts_back_to_the_previous_blank_and_alt_d_a_word_ahead() {
        let mut kill = String::new();
        let mut line = LineEdit::new("set image app=nginx:1.16  ");
        line.edit(ctrl('w'), &mut kill);
        assert_eq!(line, "set image ");
        assert_eq!(kill, "app=nginx:1.16  ");
        line.edit(ctrl('a'), &mut kill);
        line.edit(alt('d'), &mut kill);
        assert_eq!(line, " image ");
    }

    #[test]
    fn multibyte_text_keeps_char_boundaries() {
        let mut kill = String::new();
        let mut line = LineEdit::new("größe");
        line.edit(key(KeyCode::Left), &mut kill);
        line.edit(key(KeyCode::Left), &mut kill);
        line.edit(key(KeyCode::Backspace), &mut kill);
        assert_eq!(line, "grße");
        line.edit(alt('b'), &mut kill);
        assert_eq!(line.split_at_cursor(), ("", "grße"));
    }

    #[test]
    fn other_chords_insert_nothing() {
        let mut kill = String::new();
        let mut line = LineEdit::new("pods");
        assert_eq!(line.edit(ctrl('r'), &mut kill), Edit::Ignored);
        assert_eq!(line.edit(alt('x'), &mut kill), Edit::Ignored);
        assert_eq!(line, "pods");
    }

    #[test]
    fn up_and_down_walk_the_history_and_come_back_to_the_draft() {
        let mut histories = Histories::default();
        for entered in ["pods", "deploy", "deploy", " ", "sts"] {
            histories.record(":", entered);
        }
        let mut line = LineEdit::new("no");
        histories.older(":", &mut line);
        assert_eq!(line, "sts");
        histories.older(":", &mut line);
        assert_eq!(line, "deploy");
        histories.older(":", &mut line);
        assert_eq!(line, "pods");
        histories.older(":", &mut line);
        assert_eq!(line, "pods", "the oldest stays");
        histories.newer(":", &mut line);
        histories.newer(":", &mut line);
        assert_eq!(line, "sts");
        histories.newer(":", &mut line);
        assert_eq!(line, "no", "past the newest is what was typed");
        histories.older("/", &mut line);
        assert_eq!(line, "no", "each line has its own history");
    }
}
