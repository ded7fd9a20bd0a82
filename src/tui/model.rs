//! The console's state. Only [`super::app::App`] changes it; views read it.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::portforward::ForwardTarget;
use crate::api::{Kind, Object};
use crate::handle::{ClusterInfo, Row};

/// What takes the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// `:` typed so far.
    Command(String),
    /// `/` typed so far.
    Filter(String),
    /// A question with a typed answer (replicas, image, file).
    Prompt(Prompt),
    /// A yes/no question before a destructive action.
    Confirm(Confirm),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub question: String,
    pub answer: String,
    pub purpose: PromptPurpose,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptPurpose {
    Scale(Target),
    SetImage {
        target: Target,
        container: String,
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
    /// Only objects whose labels match all of these.
    pub labels: Vec<(String, String)>,
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

/// Header figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub nodes: usize,
    pub nodes_ready: usize,
    pub pods: usize,
    pub pods_ready: usize,
}

pub struct Model {
    pub info: ClusterInfo,
    pub kind: Kind,
    /// `None`: all namespaces.
    pub namespace: Option<String>,
    pub scope: Option<Scope>,
    pub filter: String,
    pub columns: Vec<String>,
    /// The rows of the current kind that pass the filter and scope.
    pub rows: Vec<Row>,
    pub selected: usize,
    pub marked: BTreeSet<Target>,
    pub mode: Mode,
    pub detail: Option<Detail>,
    pub flash: Option<Flash>,
    pub events: Vec<EventLine>,
    pub summary: Summary,
    /// Previous views, for esc.
    pub history: Vec<(Kind, Option<Scope>)>,
    pub quit: bool,
}

impl Model {
    pub fn new(info: ClusterInfo) -> Model {
        let flash = (!info.warnings.is_empty()).then(|| Flash {
            text: info.warnings.join("; ").replace('\n', " "),
            error: true,
        });
        Model {
            info,
            kind: Kind::Pod,
            namespace: Some("default".to_string()),
            scope: None,
            filter: String::new(),
            columns: Vec::new(),
            rows: Vec::new(),
            selected: 0,
            marked: BTreeSet::new(),
            mode: Mode::Normal,
            detail: None,
            flash,
            events: Vec::new(),
            summary: Summary::default(),
            history: Vec::new(),
            quit: false,
        }
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
