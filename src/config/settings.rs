//! The console's settings file and its themes.
//!
//! CONTRACT (owned by the settings/themes author; the app integrates
//! against these signatures). Problems never stop podium: they come back as
//! warnings (what was wrong, in which file and line, what was used instead)
//! that the console shows as a flash message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: None,
            log_buffer_lines: 10_000,
            keys: BTreeMap::new(),
        }
    }
}

/// The platform's config directory for podium (env PODIUM_CONFIG_DIR first).
pub fn config_dir() -> Option<PathBuf> {
    None
}

/// Reads the settings file in `config_dir`; defaults when there is none.
pub fn load_settings(_config_dir: Option<&Path>) -> (Settings, Vec<String>) {
    (Settings::default(), Vec::new())
}

/// The theme called `name` (`None`: the default): a user file
/// `themes/<name>.yaml` in `config_dir` over the embedded ones. `no_color`
/// (NO_COLOR set) gives a theme without colours. A broken theme warns and
/// falls back to the default.
pub fn load_theme(
    _name: Option<&str>,
    _config_dir: Option<&Path>,
    _no_color: bool,
) -> (Theme, Vec<String>) {
    (Theme::dark(), Vec::new())
}
