//! Themes as YAML files (k9s skin sections plus podium's own): parsing a
//! file over the default theme, and the colourless theme for NO_COLOR.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde_yaml::Value;

use crate::tui::theme::Theme;

/// The embedded themes, by name.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.yaml")),
    ("light", include_str!("../../themes/light.yaml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.yaml"),
    ),
    ("dracula", include_str!("../../themes/dracula.yaml")),
];

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ThemeError {
    #[error("{file}:{line}: not YAML: {message}")]
    Yaml {
        file: String,
        line: usize,
        message: String,
    },
    #[error(
        "{file}:{line}: {path}: unknown colour {value:?}; use a name (red, lightblue, darkgray …), #rrggbb or default"
    )]
    Colour {
        file: String,
        line: usize,
        path: String,
        value: String,
    },
}

/// Which part of a role's style a file entry sets.
#[derive(Clone, Copy)]
enum Part {
    Fg,
    Bg,
}

type Role = fn(&mut Theme) -> &mut Style;

/// Theme file entry (dotted path) → the role and part it sets.
const ENTRIES: &[(&str, Role, Part)] = &[
    ("body.fgColor", |t| &mut t.body, Part::Fg),
    ("body.bgColor", |t| &mut t.body, Part::Bg),
    ("body.logoColor", |t| &mut t.accent, Part::Fg),
    ("info.fgColor", |t| &mut t.muted, Part::Fg),
    ("frame.border.fgColor", |t| &mut t.border, Part::Fg),
    ("frame.border.focusColor", |t| &mut t.border_focus, Part::Fg),
    ("frame.menu.keyColor", |t| &mut t.key_hint, Part::Fg),
    ("frame.title.fgColor", |t| &mut t.accent, Part::Fg),
    ("frame.status.addColor", |t| &mut t.status_ok, Part::Fg),
    (
        "frame.status.pendingColor",
        |t| &mut t.status_pending,
        Part::Fg,
    ),
    ("frame.status.errorColor", |t| &mut t.status_error, Part::Fg),
    (
        "frame.status.killColor",
        |t| &mut t.status_terminating,
        Part::Fg,
    ),
    (
        "frame.status.completedColor",
        |t| &mut t.status_done,
        Part::Fg,
    ),
    (
        "views.table.header.fgColor",
        |t| &mut t.table_header,
        Part::Fg,
    ),
    ("views.table.cursorFgColor", |t| &mut t.selected, Part::Fg),
    ("views.table.cursorBgColor", |t| &mut t.selected, Part::Bg),
    ("views.table.markColor", |t| &mut t.marked, Part::Fg),
    ("views.yaml.keyColor", |t| &mut t.yaml_key, Part::Fg),
    ("views.yaml.colonColor", |t| &mut t.yaml_colon, Part::Fg),
    ("views.yaml.valueColor", |t| &mut t.yaml_value, Part::Fg),
    ("views.yaml.commentColor", |t| &mut t.yaml_comment, Part::Fg),
    (
        "views.logs.searchFgColor",
        |t| &mut t.search_match,
        Part::Fg,
    ),
    (
        "views.logs.searchBgColor",
        |t| &mut t.search_match,
        Part::Bg,
    ),
    ("flash.infoColor", |t| &mut t.info, Part::Fg),
    ("flash.warnColor", |t| &mut t.warning, Part::Fg),
    ("flash.errColor", |t| &mut t.error, Part::Fg),
];

/// A colour name, `#rrggbb`, or `default` (the terminal's own colour).
pub fn parse_colour(text: &str) -> Option<Color> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("default") {
        return Some(Color::Reset);
    }
    Color::from_str(text).ok()
}

/// The theme `file` (named `name`) describes, over the default theme.
pub fn parse_theme(name: &str, file: &str, text: &str) -> Result<Theme, ThemeError> {
    let root: Value = serde_yaml::from_str(text).map_err(|e| ThemeError::Yaml {
        file: file.to_string(),
        line: e.location().map_or(1, |l| l.line()),
        message: e.to_string(),
    })?;
    // A k9s skin holds its sections under a top key `k9s:`.
    let root = match root.get("k9s") {
        Some(sections) if sections.is_mapping() => sections.clone(),
        _ => root,
    };
    let mut theme = Theme::dark();
    theme.name = name.to_string();
    for (path, role, part) in ENTRIES {
        let Some(value) = lookup(&root, path) else {
            continue;
        };
        let colour = colour_of(file, text, path, value)?;
        let style = role(&mut theme);
        *style = match part {
            Part::Fg => style.fg(colour),
            Part::Bg => style.bg(colour),
        };
    }
    let path = "views.logs.prefixColors";
    if let Some(Value::Sequence(items)) = lookup(&root, path) {
        let mut prefixes = Vec::new();
        for item in items {
            prefixes.push(Style::new().fg(colour_of(file, text, path, item)?));
        }
        if !prefixes.is_empty() {
            theme.log_prefixes = prefixes;
        }
    }
    Ok(theme)
}

fn colour_of(file: &str, text: &str, path: &str, value: &Value) -> Result<Color, ThemeError> {
    let raw = match value {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    };
    parse_colour(&raw).ok_or_else(|| ThemeError::Colour {
        file: file.to_string(),
        line: line_of(text, path, &raw),
        path: path.to_string(),
        value: raw,
    })
}

fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(root, |node, key| node.get(key))
}

/// The 1-based line where `path`'s last key is written with `value`
/// (serde_yaml's Value keeps no positions).
pub(crate) fn line_of(text: &str, path: &str, value: &str) -> usize {
    let key = path.rsplit('.').next().unwrap_or(path);
    let with_key = |line: &str| line.trim_start().starts_with(&format!("{key}:"));
    text.lines()
        .position(|line| with_key(line) && line.contains(value))
        .or_else(|| text.lines().position(|line| line.contains(value)))
        .or_else(|| text.lines().position(with_key))
        .map_or(1, |i| i + 1)
}

/// NO_COLOR: the terminal's own colours; selection and emphasis by modifiers.
pub fn no_color_theme() -> Theme {
    let plain = Style::new();
    let bold = plain.add_modifier(Modifier::BOLD);
    let reverse = plain.add_modifier(Modifier::REVERSED);
    Theme {
        name: "no-color".to_string(),
        body: plain,
        muted: plain.add_modifier(Modifier::DIM),
        accent: bold,
        border: plain,
        border_focus: bold,
        table_header: bold,
        selected: reverse,
        marked: bold.add_modifier(Modifier::UNDERLINED),
        key_hint: bold,
        status_ok: plain,
        status_pending: plain.add_modifier(Modifier::ITALIC),
        status_error: bold,
        status_terminating: plain.add_modifier(Modifier::DIM),
        status_done: plain.add_modifier(Modifier::DIM),
        warning: bold,
        error: bold,
        info: plain,
        yaml_key: bold,
        yaml_colon: plain,
        yaml_value: plain,
        yaml_comment: plain.add_modifier(Modifier::DIM),
        search_match: reverse,
        log_prefixes: vec![bold],
    }
}
