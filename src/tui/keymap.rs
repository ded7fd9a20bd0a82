//! Key overrides from the settings file (`keys: {delete: ctrl-k}`): the
//! table's keys are translated before they act, so an action moves to
//! the user's key and its default key no longer does it.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The actions a user may rebind, with their default keys (k9s's).
pub const ACTIONS: &[(&str, &str)] = &[
    ("quit", "q"),
    ("command", ":"),
    ("filter", "/"),
    ("help", "?"),
    ("describe", "d"),
    ("yaml", "y"),
    ("edit", "e"),
    ("rollout", "o"),
    ("logs", "l"),
    ("previous-logs", "p"),
    ("scale", "s"),
    ("image", "i"),
    ("restart", "r"),
    ("undo", "u"),
    ("rollback", "ctrl-l"),
    ("trigger", "t"),
    ("suspend", "ctrl-s"),
    ("apply", "a"),
    ("expose", "x"),
    ("delete", "ctrl-d"),
    ("mark", "space"),
    ("all-namespaces", "0"),
    ("sort-name", "shift-n"),
    ("sort-age", "shift-a"),
    ("sort-status", "shift-s"),
    ("port-forward", "shift-f"),
    ("port-forwards", "f"),
];

/// A key as the settings write it: `x`, `ctrl-x`, `shift-x`, `space`,
/// `enter`, `esc`, `tab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Press {
    code: KeyCode,
    ctrl: bool,
}

impl Press {
    fn parse(text: &str) -> Option<Press> {
        let text = text.trim();
        let single = |rest: &str| {
            let mut chars = rest.chars();
            let c = chars.next()?;
            chars.next().is_none().then_some(c)
        };
        if let Some(rest) = text.strip_prefix("ctrl-") {
            let c = single(rest)?.to_ascii_lowercase();
            return Some(Press {
                code: KeyCode::Char(c),
                ctrl: true,
            });
        }
        if let Some(rest) = text.strip_prefix("shift-") {
            let c = single(rest)?.to_ascii_uppercase();
            return Some(Press {
                code: KeyCode::Char(c),
                ctrl: false,
            });
        }
        let code = match text {
            "space" => KeyCode::Char(' '),
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            other => KeyCode::Char(single(other)?),
        };
        Some(Press { code, ctrl: false })
    }

    fn of(key: &KeyEvent) -> Press {
        Press {
            code: key.code,
            ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
        }
    }

    fn event(&self) -> KeyEvent {
        let modifiers = if self.ctrl {
            KeyModifiers::CONTROL
        } else {
            KeyModifiers::NONE
        };
        KeyEvent::new(self.code, modifiers)
    }
}

/// The user's keys over the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    /// (the user's key, the default key it stands for).
    moved: Vec<(Press, Press)>,
    /// Default key label → the user's key label, for footers and help.
    labels: BTreeMap<String, String>,
}

impl Keymap {
    /// The keymap of the settings' `keys`, and a warning per entry that
    /// cannot apply (unknown action, unreadable key), which is ignored.
    pub fn from_settings(keys: &BTreeMap<String, String>) -> (Keymap, Vec<String>) {
        let mut keymap = Keymap::default();
        let mut warnings = Vec::new();
        let names: Vec<&str> = ACTIONS.iter().map(|(name, _)| *name).collect();
        for (action, key) in keys {
            let Some((_, default)) = ACTIONS.iter().find(|(name, _)| name == action) else {
                warnings.push(format!(
                    "keys.{action}: no such action; the actions are {}; ignored",
                    names.join(", ")
                ));
                continue;
            };
            let (Some(user), Some(standard)) = (Press::parse(key), Press::parse(default)) else {
                warnings.push(format!(
                    "keys.{action}: cannot read the key {key:?}; write it as x, ctrl-x, shift-x, space, enter, esc or tab; ignored"
                ));
                continue;
            };
            keymap.moved.push((user, standard));
            keymap
                .labels
                .insert(default.to_string(), key.trim().to_string());
        }
        // A user key that is another action's default shadows it.
        for (action, key) in keys {
            let user = Press::parse(key);
            let shadowed = ACTIONS.iter().find(|(other, default)| {
                other != action && !keys.contains_key(*other) && Press::parse(default) == user
            });
            if let (Some(_), Some((other, _))) = (user, shadowed) {
                warnings.push(format!(
                    "keys.{action}: {} is {other}'s key, so {other} has none now; give it another (keys.{other}: …)",
                    key.trim()
                ));
            }
        }
        (keymap, warnings)
    }

    /// The rebound actions as help lines: `action  key (default: d)`.
    pub fn rebound(&self) -> Vec<String> {
        ACTIONS
            .iter()
            .filter_map(|(action, default)| {
                let key = self.labels.get(*default)?;
                Some(format!("  {action:<16}{key}   (default {default})"))
            })
            .collect()
    }

    /// The key the table should act on for `key`: the default key of the
    /// action the user bound it to; `None` for a default key whose action
    /// moved elsewhere; otherwise `key` itself.
    pub fn translate(&self, key: KeyEvent) -> Option<KeyEvent> {
        let press = Press::of(&key);
        if let Some((_, standard)) = self.moved.iter().find(|(user, _)| *user == press) {
            return Some(standard.event());
        }
        if self.moved.iter().any(|(_, standard)| *standard == press) {
            return None;
        }
        Some(key)
    }

    /// The key to show for an action whose default key is `default`.
    pub fn label<'a>(&'a self, default: &'a str) -> &'a str {
        self.labels.get(default).map_or(default, String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, k)| (a.to_string(), k.to_string()))
            .collect()
    }

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn an_action_moves_to_the_users_key() {
        let (keymap, warnings) =
            Keymap::from_settings(&keys(&[("delete", "ctrl-k"), ("describe", "v")]));
        assert!(warnings.is_empty(), "{warnings:?}");
        let ctrl_k = press(KeyCode::Char('k'), KeyModifiers::CONTROL);
        assert_eq!(
            keymap.translate(ctrl_k),
            Some(press(KeyCode::Char('d'), KeyModifiers::CONTROL))
        );
        let v = press(KeyCode::Char('v'), KeyModifiers::NONE);
        let d = press(KeyCode::Char('d'), KeyModifiers::NONE);
        assert_eq!(keymap.translate(v), Some(d));
        assert_eq!(keymap.translate(d), None, "d no longer describes");
        let y = press(KeyCode::Char('y'), KeyModifiers::NONE);
        assert_eq!(keymap.translate(y), Some(y));
        assert_eq!(keymap.label("ctrl-d"), "ctrl-k");
        assert_eq!(keymap.label("y"), "y");
    }

    #[test]
    fn a_key_taken_from_another_action_warns_that_it_has_none_now() {
        let (keymap, warnings) = Keymap::from_settings(&keys(&[("describe", "x")]));
        assert_eq!(
            warnings,
            [
                "keys.describe: x is expose's key, so expose has none now; give it another (keys.expose: …)"
            ]
        );
        let x = press(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(
            keymap.translate(x),
            Some(press(KeyCode::Char('d'), KeyModifiers::NONE))
        );
        // Moving both is fine.
        let (_, warnings) = Keymap::from_settings(&keys(&[("describe", "x"), ("expose", "v")]));
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn unknown_actions_and_unreadable_keys_warn_and_are_ignored() {
        let (keymap, warnings) =
            Keymap::from_settings(&keys(&[("frobnicate", "x"), ("scale", "ctrl-")]));
        assert_eq!(keymap, Keymap::default());
        assert!(warnings[0].starts_with("keys.frobnicate: no such action; the actions are quit,"));
        assert!(warnings[1].starts_with("keys.scale: cannot read the key \"ctrl-\""));
    }
}
