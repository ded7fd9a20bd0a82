//! The console's settings file and its themes.
//!
//! CONTRACT (owned by the settings/themes author; the app integrates
//! against these signatures). Problems never stop podium: they come back as
//! warnings (what was wrong, in which file and line, what was used instead)
//! that the console shows as a flash message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::theme_file::{EMBEDDED, line_of, no_color_theme, parse_theme};
use crate::tui::theme::Theme;

/// What the settings file (`podium.yaml` in the config directory) holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Theme name (`dark`, `light`, `high-contrast`, …) or `None` for the default.
    pub theme: Option<String>,
    /// Lines the logs view keeps.
    pub log_buffer_lines: usize,
    /// Key overrides: action name → key, e.g. `delete: ctrl-k`.
    pub keys: BTreeMap<String, String>,
    /// Never pull images (as `--offline`; either turns it on).
    pub offline: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: None,
            log_buffer_lines: 10_000,
            keys: BTreeMap::new(),
            offline: false,
        }
    }
}

/// The settings file's name in the config directory.
pub const SETTINGS_FILE: &str = "podium.yaml";

/// The platform's config directory for podium (env PODIUM_CONFIG_DIR first).
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PODIUM_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("dev", "podium", "podium").map(|d| d.config_dir().to_path_buf())
}

/// Reads the settings file in `config_dir`; defaults when there is none.
pub fn load_settings(config_dir: Option<&Path>) -> (Settings, Vec<String>) {
    let Some(path) = config_dir.map(|d| d.join(SETTINGS_FILE)) else {
        return (Settings::default(), Vec::new());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_settings(&path.display().to_string(), &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Settings::default(), Vec::new()),
        Err(e) => (
            Settings::default(),
            vec![format!(
                "cannot read {}: {e}; using the default settings",
                path.display()
            )],
        ),
    }
}

/// The settings `text` (from `file`) holds, and a warning per problem;
/// anything wrong falls back to its default.
pub fn parse_settings(file: &str, text: &str) -> (Settings, Vec<String>) {
    let mut settings = Settings::default();
    let mut warnings = Vec::new();
    let root: Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let line = e.location().map_or(1, |l| l.line());
            warnings.push(format!(
                "{file}:{line}: not YAML ({e}); using the default settings"
            ));
            return (settings, warnings);
        }
    };
    let map = match root {
        Value::Mapping(map) => map,
        Value::Null => return (settings, warnings),
        _ => {
            warnings.push(format!(
                "{file}:1: expected a mapping of settings (theme, logBufferLines, keys, offline); using the defaults"
            ));
            return (settings, warnings);
        }
    };
    for (key, value) in &map {
        let key = key.as_str().unwrap_or_default();
        let line = line_of(text, key, "");
        match key {
            "theme" => match value.as_str() {
                Some(name) if !name.trim().is_empty() => settings.theme = Some(name.to_string()),
                _ => warnings.push(format!(
                    "{file}:{line}: theme: expected a theme name (dark, light, high-contrast, dracula or a file in themes/); using the default"
                )),
            },
            "logBufferLines" => match value.as_u64().filter(|n| *n > 0) {
                Some(n) => settings.log_buffer_lines = usize::try_from(n).unwrap_or(usize::MAX),
                None => warnings.push(format!(
                    "{file}:{line}: logBufferLines: expected a positive number of lines, got {}; using {}",
                    show(value),
                    settings.log_buffer_lines
                )),
            },
            "keys" => match value {
                Value::Mapping(keys) => {
                    for (action, key_value) in keys {
                        match (action.as_str(), key_value.as_str()) {
                            (Some(action), Some(k)) if !k.trim().is_empty() => {
                                settings.keys.insert(action.to_string(), k.to_string());
                            }
                            _ => warnings.push(format!(
                                "{file}:{}: keys.{}: expected a key such as `ctrl-k` or `x`, got {}; ignored",
                                line_of(text, action.as_str().unwrap_or_default(), ""),
                                show(action),
                                show(key_value)
                            )),
                        }
                    }
                }
                _ => warnings.push(format!(
                    "{file}:{line}: keys: expected a mapping of action → key (e.g. `delete: ctrl-k`); ignored"
                )),
            },
            "offline" => match value.as_bool() {
                Some(offline) => settings.offline = offline,
                None => warnings.push(format!(
                    "{file}:{line}: offline: expected true or false, got {}; using false (pulls on)",
                    show(value)
                )),
            },
            other => warnings.push(format!(
                "{file}:{line}: unknown setting `{other}`; expected theme, logBufferLines, keys or offline; ignored"
            )),
        }
    }
    (settings, warnings)
}

fn show(value: &Value) -> String {
    serde_yaml::to_string(value)
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The theme called `name` (`None`: the default): a user file
/// `themes/<name>.yaml` in `config_dir` over the embedded ones. `no_color`
/// (NO_COLOR set) gives a theme without colours. A broken theme warns and
/// falls back to the default.
pub fn load_theme(
    name: Option<&str>,
    config_dir: Option<&Path>,
    no_color: bool,
) -> (Theme, Vec<String>) {
    if no_color {
        return (no_color_theme(), Vec::new());
    }
    let name = name.unwrap_or("dark");
    let user_file = config_dir.map(|d| d.join("themes").join(format!("{name}.yaml")));
    let source = match user_file.as_ref().map(std::fs::read_to_string) {
        Some(Ok(text)) => user_file.map(|p| (p.display().to_string(), text)),
        Some(Err(e)) if e.kind() != std::io::ErrorKind::NotFound => {
            let path = user_file
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            return (
                Theme::dark(),
                vec![format!("cannot read {path}: {e}; using the dark theme")],
            );
        }
        _ => EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| (format!("themes/{n}.yaml"), (*text).to_string())),
    };
    let Some((file, text)) = source else {
        let known: Vec<&str> = EMBEDDED.iter().map(|(n, _)| *n).collect();
        return (
            Theme::dark(),
            vec![format!(
                "no theme `{name}`: known themes are {}, or put themes/{name}.yaml in the config directory; using the dark theme",
                known.join(", ")
            )],
        );
    };
    match parse_theme(name, &file, &text) {
        Ok(theme) => (theme, Vec::new()),
        Err(e) => (Theme::dark(), vec![format!("{e}; using the dark theme")]),
    }
}

#[cfg(test)]
mod tests {
    use ratatui::style::Color;

    use super::*;

    #[test]
    fn the_commented_sample_parses_without_warnings() {
        let text = include_str!("../../samples/config/podium.yaml");
        let (settings, warnings) = parse_settings("samples/config/podium.yaml", text);
        assert_eq!(warnings, Vec::<String>::new());
        assert_eq!(settings.theme.as_deref(), Some("dark"));
        assert_eq!(settings.log_buffer_lines, 10_000);
        assert_eq!(
            settings.keys.get("delete").map(String::as_str),
            Some("ctrl-d")
        );
        assert!(!settings.offline, "the sample keeps pulls on");
    }

    #[test]
    fn offline_is_a_boolean_setting() {
        let (settings, warnings) = parse_settings("podium.yaml", "offline: true\n");
        assert_eq!(warnings, Vec::<String>::new());
        assert!(settings.offline);
        let (settings, warnings) = parse_settings("podium.yaml", "theme: dark\noffline: false\n");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(!settings.offline);
        let (settings, warnings) = parse_settings("podium.yaml", "theme: dark\noffline: maybe\n");
        assert!(!settings.offline);
        assert_eq!(
            warnings,
            ["podium.yaml:2: offline: expected true or false, got maybe; using false (pulls on)"]
        );
    }

    #[test]
    fn bad_settings_warn_with_file_line_and_fall_back() {
        let text = include_str!("../../tests/config_fixtures/invalid-settings.yaml");
        let (settings, warnings) = parse_settings("podium.yaml", text);
        assert_eq!(settings.theme.as_deref(), Some("light"));
        assert_eq!(settings.log_buffer_lines, 10_000);
        assert!(settings.keys.is_empty());
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(
            warnings[0].starts_with("podium.yaml:2: logBufferLines: expected a positive number")
        );
        assert!(warnings[1].starts_with("podium.yaml:3: unknown setting `colour`"));
        assert!(warnings[2].starts_with("podium.yaml:5: keys.delete: expected a key"));
    }

    #[test]
    fn malformed_yaml_warns_and_gives_defaults() {
        let (settings, warnings) = parse_settings("podium.yaml", "theme: [dark\n");
        assert_eq!(settings, Settings::default());
        assert!(warnings[0].starts_with("podium.yaml:"), "{warnings:?}");
    }

    #[test]
    fn settings_file_is_read_from_the_config_dir() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(SETTINGS_FILE), "logBufferLines: 500\n").expect("write");
        let (settings, warnings) = load_settings(Some(dir.path()));
        assert!(warnings.is_empty());
        assert_eq!(settings.log_buffer_lines, 500);
        assert_eq!(load_settings(None), (Settings::default(), Vec::new()));
    }

    #[test]
    fn embedded_dark_theme_is_the_builtin_dark() {
        let (theme, warnings) = load_theme(None, None, false);
        assert!(warnings.is_empty());
        let mut builtin = Theme::dark();
        builtin.body = builtin.body.fg(Color::Reset).bg(Color::Reset);
        assert_eq!(theme, builtin);
    }

    #[test]
    fn every_embedded_theme_parses() {
        for (name, _) in EMBEDDED {
            let (theme, warnings) = load_theme(Some(name), None, false);
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
            assert_eq!(theme.name, *name);
        }
        let (light, _) = load_theme(Some("light"), None, false);
        assert_eq!(light.body.fg, Some(Color::Black));
    }

    #[test]
    fn user_theme_wins_and_a_broken_one_falls_back_to_dark() {
        let dir = tempfile::tempdir().expect("tempdir");
        let themes = dir.path().join("themes");
        std::fs::create_dir(&themes).expect("mkdir");
        std::fs::write(themes.join("light.yaml"), "body:\n  fgColor: \"#102030\"\n")
            .expect("write");
        let (theme, warnings) = load_theme(Some("light"), Some(dir.path()), false);
        assert!(warnings.is_empty());
        assert_eq!(theme.body.fg, Some(Color::Rgb(0x10, 0x20, 0x30)));

        let broken = include_str!("../../tests/config_fixtures/broken-theme.yaml");
        std::fs::write(themes.join("mine.yaml"), broken).expect("write");
        let (theme, warnings) = load_theme(Some("mine"), Some(dir.path()), false);
        assert_eq!(theme, Theme::dark());
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0]
                .contains("mine.yaml:6: views.table.header.fgColor: unknown colour \"notacolour\""),
            "{warnings:?}"
        );

        let (theme, warnings) = load_theme(Some("nope"), Some(dir.path()), false);
        assert_eq!(theme, Theme::dark());
        assert!(warnings[0].starts_with("no theme `nope`"));
    }

    #[test]
    fn a_k9s_skin_loads_from_under_its_top_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let themes = dir.path().join("themes");
        std::fs::create_dir(&themes).expect("mkdir");
        let skin = "\
# A k9s skin as k9s ships them: everything under `k9s:`.
k9s:
  body:
    fgColor: \"#f8f8f2\"
    bgColor: default
  frame:
    border:
      fgColor: \"#44475a\"
  views:
    table:
      cursorBgColor: \"#44475a\"
";
        std::fs::write(themes.join("skin.yaml"), skin).expect("write");
        let (theme, warnings) = load_theme(Some("skin"), Some(dir.path()), false);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(theme.body.fg, Some(Color::Rgb(0xf8, 0xf8, 0xf2)));
        assert_eq!(theme.border.fg, Some(Color::Rgb(0x44, 0x47, 0x5a)));
        assert_eq!(theme.selected.bg, Some(Color::Rgb(0x44, 0x47, 0x5a)));
    }

    #[test]
    fn no_color_has_no_colours_and_selects_by_reverse() {
        let (theme, _) = load_theme(Some("dracula"), None, true);
        assert_eq!(theme.selected.fg, None);
        assert_eq!(theme.selected.bg, None);
        assert!(
            theme
                .selected
                .add_modifier
                .contains(ratatui::style::Modifier::REVERSED)
        );
        assert_eq!(theme.status_error.fg, None);
    }
}
