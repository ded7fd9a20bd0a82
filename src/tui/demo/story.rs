//! Story files: parsing and validation. A story is a YAML file of steps,
//! each a caption and at most one of the console's own operations, with
//! an optional condition to wait for. Errors name the file, the line, the
//! field path and what to write instead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The stories built into the binary, by name: `podium demo` works from
/// any directory.
const BUILT_IN: &[(&str, &str)] = &[(
    "rollout",
    include_str!("../../../samples/stories/rollout.yaml"),
)];
/// The sample files built-in stories apply, by their path from `samples/`.
const BUILT_IN_SAMPLES: &[(&str, &str)] =
    &[("nginx.yaml", include_str!("../../../samples/nginx.yaml"))];
/// The story `podium demo` plays without an argument.
pub const DEFAULT_STORY: &str = "rollout";
/// How long a step waits for its condition unless it says.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a caption stays after its step finished unless it says.
const DEFAULT_PAUSE: Duration = Duration::from_secs(3);
/// The actions a step may name, for error messages.
const ACTIONS: &str = "apply, view, rollout, scale, image, undo";

#[derive(Debug, thiserror::Error)]
pub enum StoryError {
    #[error(
        "no story {name:?}: give a path to a story file, or one of the built-in stories: {known}"
    )]
    Unknown { name: String, known: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a story: `line` and `field` say where.
    #[error("{origin}:{line}: {field}: {message}")]
    Invalid {
        origin: String,
        line: usize,
        field: String,
        message: String,
    },
}

/// A story ready to play: every file it applies already read.
#[derive(Debug, Clone, PartialEq)]
pub struct Story {
    pub name: String,
    pub description: String,
    /// Never empty: [`parse`] refuses a story without steps, and the
    /// player counts on a current step.
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub caption: String,
    pub action: Option<StepAction>,
    pub until: Option<Condition>,
    /// How long to wait for `until`.
    pub timeout: Duration,
    /// How long the caption stays once the step is done.
    pub pause: Duration,
}

/// One of the console's operations, done with its keys.
#[derive(Debug, Clone, PartialEq)]
pub enum StepAction {
    /// `a`: the file's contents, and the path shown for it.
    Apply { shown: String, yaml: String },
    /// `:` and a command, e.g. `deploy`.
    View(String),
    /// `o` on a Deployment.
    Rollout(String),
    /// `s` on a Deployment.
    Scale { deployment: String, replicas: u32 },
    /// `i` on a Deployment (its first container).
    Image { deployment: String, image: String },
    /// `u` on a Deployment.
    Undo(String),
}

impl StepAction {
    /// Whether the action ends in a write whose answer comes back as a flash.
    pub fn writes(&self) -> bool {
        !matches!(self, StepAction::View(_) | StepAction::Rollout(_))
    }
}

/// What a step waits for before its pause starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `kubectl rollout status` says complete.
    RolledOut(String),
    /// At least this many ready pods carry all these labels.
    PodsReady {
        count: u32,
        labels: Vec<(String, String)>,
    },
}

impl Condition {
    /// What the caption says while waiting.
    pub fn describe(&self) -> String {
        match self {
            Condition::RolledOut(name) => format!("deployment {name} to roll out"),
            Condition::PodsReady { count, labels } if labels.is_empty() => {
                format!("{count} pods ready")
            }
            Condition::PodsReady { count, labels } => {
                let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{count} pods ready ({})", labels.join(","))
            }
        }
    }
}

/// Where a story came from: paths in it are relative to it.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    BuiltIn(&'static str),
    File(PathBuf),
}

impl Origin {
    fn label(&self) -> String {
        match self {
            Origin::BuiltIn(name) => format!("built-in story {name}"),
            Origin::File(path) => path.display().to_string(),
        }
    }
}

/// The built-in stories: name and description.
pub fn built_in() -> Vec<(String, String)> {
    BUILT_IN
        .iter()
        .map(|(name, text)| {
            let description = parse_text(text, &Origin::BuiltIn(name))
                .map(|story| story.description)
                .unwrap_or_else(|error| format!("(broken: {error})"));
            (name.to_string(), description)
        })
        .collect()
}

/// The story `podium demo [story]` names: a built-in name, or a path.
pub fn load(name_or_path: Option<&str>) -> Result<Story, StoryError> {
    let wanted = name_or_path.unwrap_or(DEFAULT_STORY);
    if let Some((name, text)) = BUILT_IN.iter().find(|(name, _)| *name == wanted) {
        return parse_text(text, &Origin::BuiltIn(name));
    }
    let path = Path::new(wanted);
    let looks_like_path = path.extension().is_some() || path.components().count() > 1;
    if !looks_like_path && !path.exists() {
        return Err(StoryError::Unknown {
            name: wanted.to_string(),
            known: BUILT_IN
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    load_file(path)
}

/// A story file on disk.
pub fn load_file(path: &Path) -> Result<Story, StoryError> {
    let text = std::fs::read_to_string(path).map_err(|source| StoryError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_text(&text, &Origin::File(path.to_path_buf()))
}

/// A story from its text, with paths relative to `path`'s directory.
pub fn parse(text: &str, path: &Path) -> Result<Story, StoryError> {
    parse_text(text, &Origin::File(path.to_path_buf()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStory {
    name: String,
    #[serde(default)]
    description: String,
    steps: Vec<RawStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    caption: String,
    apply: Option<String>,
    view: Option<String>,
    rollout: Option<String>,
    scale: Option<RawScale>,
    image: Option<RawImage>,
    undo: Option<String>,
    until: Option<RawUntil>,
    /// Seconds.
    timeout: Option<u64>,
    /// Seconds.
    pause: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    deployment: String,
    replicas: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImage {
    deployment: String,
    image: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUntil {
    rolled_out: Option<String>,
    pods_ready: Option<u32>,
    selector: Option<String>,
}

pub(crate) fn parse_text(text: &str, origin: &Origin) -> Result<Story, StoryError> {
    let raw: RawStory = serde_yaml::from_str(text).map_err(|error| syntax_error(&error, origin))?;
    let invalid = |field: String, message: String| StoryError::Invalid {
        origin: origin.label(),
        line: crate::tui::editor::locate_field(text, 0, &field).unwrap_or(1),
        field,
        message,
    };
    if raw.steps.is_empty() {
        return Err(invalid(
            "steps".into(),
            "a story needs at least one step: `- caption: ...`".into(),
        ));
    }
    let steps = raw
        .steps
        .into_iter()
        .enumerate()
        .map(|(index, step)| check_step(index, step, origin, &invalid))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Story {
        name: raw.name,
        description: raw.description,
        steps,
    })
}

/// serde_yaml's message carries the field path and the position; the
/// position moves to the front, as compilers print it.
fn syntax_error(error: &serde_yaml::Error, origin: &Origin) -> StoryError {
    let message = error.to_string();
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    let (field, message) = match message.split_once(": ") {
        Some((field, rest)) if !field.contains(' ') => (field.to_string(), rest.to_string()),
        _ => ("(story)".to_string(), message),
    };
    StoryError::Invalid {
        origin: origin.label(),
        line: error.location().map_or(1, |l| l.line()),
        field,
        message: format!(
            "{message}; a story is `name:`, `description:` and `steps:` of \
             `caption:` with one of {ACTIONS}, and optional `until:`, `timeout:`, `pause:`"
        ),
    }
}

fn check_step(
    index: usize,
    step: RawStep,
    origin: &Origin,
    invalid: &impl Fn(String, String) -> StoryError,
) -> Result<Step, StoryError> {
    let at = |field: &str| format!("steps[{index}].{field}");
    let mut actions = Vec::new();
    if let Some(path) = step.apply {
        let (shown, yaml) =
            read_sample(&path, origin).map_err(|message| invalid(at("apply"), message))?;
        actions.push(("apply", StepAction::Apply { shown, yaml }));
    }
    if let Some(view) = step.view {
        let command = view.trim_start_matches(':').to_string();
        crate::tui::commands::parse(&command)
            .map_err(|error| invalid(at("view"), error.to_string()))?;
        actions.push(("view", StepAction::View(command)));
    }
    if let Some(name) = step.rollout {
        actions.push(("rollout", StepAction::Rollout(name)));
    }
    if let Some(scale) = step.scale {
        actions.push((
            "scale",
            StepAction::Scale {
                deployment: scale.deployment,
                replicas: scale.replicas,
            },
        ));
    }
    if let Some(image) = step.image {
        if image.image.trim().is_empty() {
            return Err(invalid(
                at("image.image"),
                "an image name is needed, e.g. library/nginx:1.16-alpine".into(),
            ));
        }
        actions.push((
            "image",
            StepAction::Image {
                deployment: image.deployment,
                image: image.image,
            },
        ));
    }
    if let Some(name) = step.undo {
        actions.push(("undo", StepAction::Undo(name)));
    }
    if actions.len() > 1 {
        let names: Vec<&str> = actions.iter().map(|(name, _)| *name).collect();
        return Err(invalid(
            at(names[1]),
            format!(
                "one action per step, this one has {}; split it into steps",
                names.join(" and ")
            ),
        ));
    }
    let until = step
        .until
        .map(|until| check_until(until).map_err(|(field, message)| invalid(at(field), message)))
        .transpose()?;
    if step.timeout.is_some() && until.is_none() {
        return Err(invalid(
            at("timeout"),
            "a timeout bounds a wait: add `until:` or remove `timeout:`".into(),
        ));
    }
    if step.timeout == Some(0) {
        return Err(invalid(
            at("timeout"),
            "a timeout of 0 s can never be met; give seconds, e.g. 120".into(),
        ));
    }
    let pause = match step.pause {
        None => DEFAULT_PAUSE,
        Some(seconds) if (0.0..=3600.0).contains(&seconds) => Duration::from_secs_f64(seconds),
        Some(seconds) => {
            return Err(invalid(
                at("pause"),
                format!("{seconds} is not a pause; give seconds from 0 to 3600"),
            ));
        }
    };
    Ok(Step {
        caption: step.caption.trim().to_string(),
        action: actions.pop().map(|(_, action)| action),
        until,
        timeout: step.timeout.map_or(DEFAULT_TIMEOUT, Duration::from_secs),
        pause,
    })
}

/// `until:` takes `rolled_out: NAME` or `pods_ready: N` with an optional
/// `selector: k=v,...`.
fn check_until(until: RawUntil) -> Result<Condition, (&'static str, String)> {
    match (until.rolled_out, until.pods_ready) {
        (Some(name), None) => {
            if until.selector.is_some() {
                return Err((
                    "until.selector",
                    "a selector goes with pods_ready, not rolled_out".into(),
                ));
            }
            Ok(Condition::RolledOut(name))
        }
        (None, Some(count)) => {
            let labels = match until.selector.as_deref() {
                None => Vec::new(),
                Some(selector) => crate::tui::commands::parse_labels(selector)
                    .map_err(|error| ("until.selector", error.to_string()))?,
            };
            Ok(Condition::PodsReady { count, labels })
        }
        (Some(_), Some(_)) => Err((
            "until.pods_ready",
            "wait for one thing per step: rolled_out or pods_ready".into(),
        )),
        (None, None) => Err((
            "until",
            "say what to wait for: `rolled_out: DEPLOYMENT` or `pods_ready: N`".into(),
        )),
    }
}

/// The file an `apply:` names, relative to the story; a built-in story
/// applies built-in samples.
fn read_sample(path: &str, origin: &Origin) -> Result<(String, String), String> {
    match origin {
        Origin::BuiltIn(_) => {
            let name = path.trim_start_matches("../");
            BUILT_IN_SAMPLES
                .iter()
                .find(|(sample, _)| *sample == name)
                .map(|(sample, yaml)| (format!("samples/{sample}"), yaml.to_string()))
                .ok_or_else(|| format!("no built-in sample {path:?}"))
        }
        Origin::File(story) => {
            let full = story.parent().unwrap_or(Path::new("")).join(path);
            let yaml = std::fs::read_to_string(&full).map_err(|error| {
                format!(
                    "cannot read {}: {error}; paths are relative to the story file",
                    full.display()
                )
            })?;
            Ok((full.display().to_string(), yaml))
        }
    }
}

#[cfg(test)]
mod tests;
