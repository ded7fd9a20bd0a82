//! The colours every view draws with. Loading themes from YAML files
//! (embedded `themes/*.yaml`, user files over them) fills this struct;
//! [`Theme::dark`] is the default when nothing else is chosen.

use ratatui::style::{Color, Modifier, Style};

/// Named styles, by role rather than by widget, so a view never picks a
/// colour of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// Ordinary text on the console's background.
    pub body: Style,
    /// Secondary text: ages, hints, line numbers.
    pub muted: Style,
    /// Titles and the current view's name.
    pub accent: Style,
    pub border: Style,
    /// The border of the pane that has the keys.
    pub border_focus: Style,
    /// Table column headers.
    pub table_header: Style,
    /// The selected row.
    pub selected: Style,
    /// Marked rows (space).
    pub marked: Style,
    /// Keys in the footer and help.
    pub key_hint: Style,
    /// Healthy: Running and ready, Available, Completed jobs, Ready nodes.
    pub status_ok: Style,
    /// On its way: Pending, ContainerCreating, progressing rollouts.
    pub status_pending: Style,
    /// Broken: CrashLoopBackOff, Error, ImagePullBackOff, NotReady.
    pub status_error: Style,
    /// Going away: Terminating.
    pub status_terminating: Style,
    /// Done and not coming back: Completed, Succeeded.
    pub status_done: Style,
    /// Warning events and flash errors.
    pub warning: Style,
    pub error: Style,
    /// Flash messages that report success.
    pub info: Style,
    /// YAML in the editor and the YAML view.
    pub yaml_key: Style,
    pub yaml_colon: Style,
    pub yaml_value: Style,
    pub yaml_comment: Style,
    /// Search hits in logs and the editor.
    pub search_match: Style,
    /// Pod prefixes when logs of several pods are interleaved, in turn.
    pub log_prefixes: Vec<Style>,
}

impl Theme {
    /// The default: light text on the terminal's own background.
    pub fn dark() -> Theme {
        let fg = |color| Style::new().fg(color);
        Theme {
            name: "dark".to_string(),
            body: Style::new(),
            muted: fg(Color::DarkGray),
            accent: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: fg(Color::DarkGray),
            border_focus: fg(Color::Cyan),
            table_header: fg(Color::White).add_modifier(Modifier::BOLD),
            selected: Style::new().fg(Color::Black).bg(Color::Cyan),
            marked: fg(Color::LightYellow).add_modifier(Modifier::BOLD),
            key_hint: fg(Color::LightBlue),
            status_ok: fg(Color::Green),
            status_pending: fg(Color::Yellow),
            status_error: fg(Color::Red),
            status_terminating: fg(Color::Magenta),
            status_done: fg(Color::Gray),
            warning: fg(Color::Yellow),
            error: fg(Color::Red).add_modifier(Modifier::BOLD),
            info: fg(Color::Green),
            yaml_key: fg(Color::LightBlue),
            yaml_colon: fg(Color::White),
            yaml_value: fg(Color::LightYellow),
            yaml_comment: fg(Color::DarkGray),
            search_match: Style::new().fg(Color::Black).bg(Color::Yellow),
            log_prefixes: [
                Color::Cyan,
                Color::Magenta,
                Color::Green,
                Color::Yellow,
                Color::LightBlue,
                Color::LightRed,
            ]
            .into_iter()
            .map(fg)
            .collect(),
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::dark()
    }
}
