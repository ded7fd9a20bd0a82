//! The console's state. Only [`super::app::App`] changes it; views read it.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::line_edit::{Histories, LineEdit};
use super::portforward::ForwardTarget;
use crate::api::selector::LabelSelector;
use crate::api::{Kind, Object};
use crate::handle::{ClusterInfo, Connection, Row};

/// What takes the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// `:` typed so far.
    Command(LineEdit),
    /// `/` typed so far.
    Filter(LineEdit),
    /// A question with a typed answer (replicas, image, file).
    Prompt(Prompt),
    /// A yes/no question before a destructive action.
    Confirm(Confirm),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub question: String,
    pub answer: LineEdit,
    pub purpose: PromptPurpose,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptPurpose {
    Scale(Target),
    SetImage {
        target: Target,
        container: String,
    },
    /// Roll back to one of these revisions.
    Undo {
        target: Target,
        revisions: Vec<super::workloads::Revision>,
    },
    ApplyFile,
    /// `local:remote` for a forward to a pod or service.
    PortForward(ForwardTarget),
    /// Which container of a pod of several the shell goes to.
    ShellContainer {
        target: Target,
        containers: Vec<String>,
    },
}

impl PromptPurpose {
    /// Which history up/down recall from: one per kind of question.
    pub fn history(&self) -> &'static str {
        match self {
            PromptPurpose::Scale(_) => "scale",
            PromptPurpose::SetImage { .. } => "image",
            PromptPurpose::Undo { .. } => "undo",
            PromptPurpose::ApplyFile => "apply",
            PromptPurpose::PortForward(_) => "port-forward",
            PromptPurpose::ShellContainer { .. } => "container",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub question: String,
    pub targets: Vec<Target>,
}

/// One object, by kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl Target {
    pub fn of(object: &Object) -> Target {
        Target {
            kind: object.kind(),
            namespace: object.namespace().to_string(),
            name: object.name().to_string(),
        }
    }

    /// Whether this names `object`, without building a Target for it.
    pub fn is(&self, object: &Object) -> bool {
        self.name == object.name()
            && self.namespace == object.namespace()
            && self.kind == object.kind()
    }

    /// `deployment default/nginx`, as dialogs name objects.
    pub fn describe(&self) -> String {
        let kind = self.kind.info().singular;
        if self.namespace.is_empty() {
            format!("{kind} {}", self.name)
        } else {
            format!("{kind} {}/{}", self.namespace, self.name)
        }
    }
}

/// A full-screen text pane over the table: describe, YAML, logs, help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub title: String,
    pub lines: Vec<String>,
    /// First line shown.
    pub scroll: usize,
    pub kind: DetailKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKind {
    Describe,
    Yaml,
    /// Follows new lines while `follow` is on.
    Logs {
        follow: bool,
    },
    Help,
}

/// A short message under the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
}

/// Rows narrowed to what an Enter drilled into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Shown in the title, e.g. `deployment default/nginx`.
    pub label: String,
    /// Only objects whose labels it matches.
    pub selector: LabelSelector,
    /// Only objects owned by the object of this uid (a CronJob's Jobs carry
    /// no label naming it).
    pub owner: Option<String>,
}

impl Scope {
    pub fn contains(&self, object: &Object) -> bool {
        let meta = object.meta();
        self.selector.matches(meta.labels.as_ref())
            && self.owner.as_ref().is_none_or(|uid| {
                meta.owner_references
                    .iter()
                    .flatten()
                    .any(|owner| &owner.uid == uid)
            })
    }
}

/// One aggregated event line of the events pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    pub warning: bool,
    pub age: String,
    pub object: String,
    pub reason: String,
    pub message: String,
    pub count: i32,
}

/// A Deployment whose rollout is not complete, for the rollouts pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutLine {
    pub target: Target,
    /// `Progressing`, `Paused`, `ProgressDeadlineExceeded`.
    pub state: String,
    pub desired: i32,
    pub updated: i32,
    pub available: i32,
    /// Pods of older revisions still running.
    pub old: i32,
}

/// Header figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub nodes: usize,
    pub nodes_ready: usize,
    pub pods: usize,
    pub pods_ready: usize,
}

/// Values the last refresh derived from objects (see
/// [`super::refresh::Derived`]).
#[derive(Default)]
pub struct Derived {
    pub readiness: super::refresh::Derived<bool>,
    pub event_times: super::refresh::Derived<i64>,
}

/// Rows in view before the first draw tells the terminal's size.
const DEFAULT_VISIBLE_ROWS: usize = 30;

pub struct Model {
    pub info: ClusterInfo,
    /// Whether the cluster answers (a remote one may still be connecting).
    pub connection: Connection,
    pub kind: Kind,
    /// `None`: all namespaces.
    pub namespace: Option<String>,
    pub scope: Option<Scope>,
    pub filter: String,
    /// The user's key overrides.
    pub keymap: super::keymap::Keymap,
    /// `None`: the list's order (namespace, name).
    pub sort: Option<super::sort::Sort>,
    pub columns: Vec<String>,
    /// The rows of the current kind that pass the filter and scope. Only
    /// the rows in view (and all of them while a text filter needs them)
    /// have their cells formatted; the others' cells are empty.
    pub rows: Vec<Row>,
    pub selected: usize,
    /// The first row in view.
    pub offset: usize,
    /// How many rows the table shows (follows the terminal's size).
    pub visible_rows: usize,
    pub marked: BTreeSet<Target>,
    pub mode: Mode,
    pub detail: Option<Detail>,
    pub flash: Option<Flash>,
    pub events: Vec<EventLine>,
    /// Rollouts under way, across the namespaces shown.
    pub rollouts: Vec<RolloutLine>,
    pub summary: Summary,
    /// What the last refresh derived from pods and events, for the next.
    pub derived: Derived,
    /// Previous views, for esc.
    pub history: Vec<(Kind, Option<Scope>)>,
    /// Lines typed at `:`, `/` and the prompts, for up/down.
    pub typed: Histories,
    pub quit: bool,
}

impl Model {
    pub fn new(info: ClusterInfo) -> Model {
        let flash = (!info.warnings.is_empty()).then(|| Flash {
            text: info.warnings.join("; ").replace('\n', " "),
            error: true,
        });
        let namespace = Some(info.namespace.clone());
        Model {
            info,
            connection: Connection::Ready,
            kind: Kind::Pod,
            namespace,
            scope: None,
            filter: String::new(),
            keymap: Default::default(),
            sort: None,
            columns: Vec::new(),
            rows: Vec::new(),
            selected: 0,
            offset: 0,
            visible_rows: DEFAULT_VISIBLE_ROWS,
            marked: BTreeSet::new(),
            mode: Mode::Normal,
            detail: None,
            flash,
            events: Vec::new(),
            rollouts: Vec::new(),
            summary: Summary::default(),
            derived: Derived::default(),
            history: Vec::new(),
            typed: Histories::default(),
            quit: false,
        }
    }

    /// The rows in view.
    pub fn shown_rows(&self) -> &[Row] {
        let start = self.offset.min(self.rows.len());
        let end = (start + self.visible_rows).min(self.rows.len());
        &self.rows[start..end]
    }

    /// Moves the view so that the selected row is in it.
    pub fn scroll_to_selection(&mut self) {
        let height = self.visible_rows.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let last_start = self.rows.len().saturating_sub(height);
        self.offset = self.offset.min(last_start);
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.selected)
    }

    pub fn selected_object(&self) -> Option<&Arc<Object>> {
        self.selected_row().map(|row| &row.object)
    }

    pub fn flash(&mut self, text: impl Into<String>) {
        self.flash = Some(Flash {
            text: text.into(),
            error: false,
        });
    }

    pub fn flash_error(&mut self, text: impl Into<String>) {
        self.flash = Some(Flash {
            text: text.into(),
            error: true,
        });
    }

    /// The namespace new objects and namespaced actions use.
    pub fn namespace_or_default(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }
}
