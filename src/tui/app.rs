//! The console's controller: turns keys and task results into changes of
//! the [`Model`], and starts the I/O that actions need as tasks that
//! report back through the action channel. It never waits on I/O itself.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::Frame;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::commands::{self, Command};
use super::component::Outcome;
use super::editor::{Diagnostic, EditorIntent, YamlEditor};
use super::logs::{LogLine, LogRequest, LogWindow, LogsIntent, LogsView};
use super::model::{
    Confirm, Detail, DetailKind, Mode, Model, Prompt, PromptPurpose, Scope, Target,
};
use super::panes::EditTarget;
use super::refresh;
use super::rollout::{RolloutInput, RolloutIntent, RolloutView};
use super::theme::Theme;
use super::{views, workloads};
use crate::api::{Kind, Object};
use crate::handle::ClusterHandle;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod};

/// What tasks and watches report back.
#[derive(Debug)]
pub enum Action {
    /// Objects of this kind changed.
    Changed(Kind),
    /// A write finished: the flash text, or the error to show.
    Done(Result<String, String>),
    /// A log line for the logs view of this generation.
    Log { generation: u64, line: LogLine },
    /// A pod's log stream of this generation ended.
    LogEnded {
        generation: u64,
        pod: String,
        reason: Option<String>,
    },
    /// The server checked (dry run) or applied the editor's buffer.
    Checked {
        generation: u64,
        dry_run: bool,
        result: Result<String, String>,
        diagnostics: Vec<Diagnostic>,
    },
}

pub struct App {
    pub model: Model,
    pub theme: Theme,
    handle: Arc<dyn ClusterHandle>,
    actions: UnboundedSender<Action>,
    /// The YAML editor, when open, and what it edits.
    editor: Option<(YamlEditor, EditTarget)>,
    /// The pending dry run or apply of the editor's buffer.
    edit_task: Option<AbortHandle>,
    edit_generation: u64,
    logs: Option<LogsView>,
    /// The rollout view of a Deployment, over the table; workload keys
    /// still act on that Deployment while it shows.
    rollout: Option<RolloutView>,
    /// The streams feeding the logs view, stopped when it closes.
    log_tasks: Vec<AbortHandle>,
    log_generation: u64,
    /// Lines the logs view keeps.
    log_capacity: usize,
}

/// Lines the logs pane keeps when the settings say nothing.
const DEFAULT_LOG_LINES: usize = 10_000;
/// The footer while the editor is open.
const EDITOR_KEYS: &[(&str, &str)] = &[
    ("ctrl-s", "apply"),
    ("esc", "close (asks when changed)"),
    ("arrows", "move"),
];
/// The footer while the rollout view is open.
const ROLLOUT_KEYS: &[(&str, &str)] = &[
    ("s", "scale"),
    ("i", "set image"),
    ("u", "undo"),
    ("r", "restart"),
    ("esc", "back"),
];
/// The footer while the logs view is open.
const LOGS_KEYS: &[(&str, &str)] = &[
    ("s", "autoscroll"),
    ("w", "wrap"),
    ("t", "timestamps"),
    ("p", "previous"),
    ("c", "container"),
    ("/", "search"),
    ("0-4", "tail/1m/5m/15m/1h"),
    ("ctrl-s", "save"),
    ("esc", "back"),
];
/// Lines of history the logs view starts with.
const LOG_TAIL: u32 = 200;
/// Rows a page key moves.
const PAGE: usize = 20;

impl App {
    pub fn new(
        handle: Arc<dyn ClusterHandle>,
        theme: Theme,
        actions: UnboundedSender<Action>,
    ) -> App {
        let mut app = App {
            model: Model::new(handle.info()),
            theme,
            handle,
            actions,
            editor: None,
            edit_task: None,
            edit_generation: 0,
            logs: None,
            rollout: None,
            log_tasks: Vec::new(),
            log_generation: 0,
            log_capacity: DEFAULT_LOG_LINES,
        };
        app.refresh();
        app
    }

    pub fn set_log_capacity(&mut self, lines: usize) {
        self.log_capacity = lines.max(100);
    }

    /// Re-reads what the views show from the handle.
    pub fn refresh(&mut self) {
        refresh::refresh(&mut self.model, self.handle.as_ref());
        if let Some(rollout) = self.rollout.as_mut() {
            observe_rollout(rollout, self.handle.as_ref());
        }
    }

    pub fn draw(&self, frame: &mut Frame) {
        views::draw(frame, &self.model, &self.theme);
        let body = views::body_area(frame.area());
        if self.editor.is_some() || self.logs.is_some() || self.rollout.is_some() {
            frame.render_widget(ratatui::widgets::Clear, body);
        }
        let keys = if let Some((editor, _)) = &self.editor {
            editor.draw(frame, body, &self.theme);
            EDITOR_KEYS
        } else if let Some(logs) = &self.logs {
            logs.draw(frame, body, &self.theme);
            LOGS_KEYS
        } else if let Some(rollout) = &self.rollout
            && self.model.detail.is_none()
        {
            rollout.draw(frame, body, &self.theme, crate::clock::now());
            if self.model.mode != Mode::Normal {
                return;
            }
            ROLLOUT_KEYS
        } else {
            return;
        };
        views::draw_footer_keys(frame, keys, &self.theme);
    }

    pub fn on_action(&mut self, action: Action) {
        match action {
            Action::Changed(_) => self.refresh(),
            Action::Done(Ok(text)) => self.model.flash(text),
            Action::Done(Err(text)) => self.model.flash_error(text),
            Action::Log { generation, line } if generation == self.log_generation => {
                if let Some(logs) = self.logs.as_mut() {
                    logs.push(line);
                }
            }
            Action::LogEnded {
                generation,
                pod,
                reason,
            } if generation == self.log_generation => {
                if let Some(logs) = self.logs.as_mut() {
                    logs.stream_ended(&pod, reason);
                }
            }
            Action::Log { .. } | Action::LogEnded { .. } => {}
            Action::Checked {
                generation,
                dry_run,
                result,
                diagnostics,
            } if generation == self.edit_generation => self.checked(dry_run, result, diagnostics),
            Action::Checked { .. } => {}
        }
    }

    fn checked(
        &mut self,
        dry_run: bool,
        result: Result<String, String>,
        diagnostics: Vec<Diagnostic>,
    ) {
        let Some((editor, _)) = self.editor.as_mut() else {
            return;
        };
        editor.set_server_diagnostics(diagnostics);
        match result {
            Ok(message) if !dry_run => {
                editor.applied(&message);
                self.model.flash(message);
            }
            Ok(_) => {}
            // The buffer stays as typed; the errors are at their lines.
            Err(error) if !dry_run => self.model.flash_error(format!("not applied: {error}")),
            Err(_) => {}
        }
    }

    pub fn on_mouse(&mut self, mouse: MouseEvent) {
        match mouse.kind {
            MouseEventKind::ScrollDown => self.move_selection(3),
            MouseEventKind::ScrollUp => self.move_selection(-3),
            MouseEventKind::Down(_) if self.model.detail.is_none() => {
                // The table's first row is under the header (2 lines), the
                // table's border and its column names.
                let row = usize::from(mouse.row).checked_sub(views::TABLE_FIRST_ROW);
                if let Some(row) = row.filter(|&r| r < self.model.rows.len()) {
                    self.model.selected = row;
                }
            }
            _ => {}
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.model.quit = true;
            return;
        }
        if self.editor.is_some() {
            return self.editor_key(key);
        }
        if self.logs.is_some() {
            return self.logs_key(key);
        }
        if self.model.mode == Mode::Normal
            && self.model.detail.is_none()
            && let Some(rollout) = self.rollout.as_mut()
        {
            match rollout.handle_key(key) {
                Outcome::Intent(RolloutIntent::Close) => {
                    self.rollout = None;
                    return;
                }
                Outcome::Consumed => return,
                // Workload keys (s, i, u, r …) act on the Deployment shown.
                Outcome::Ignored => {}
            }
        }
        match self.model.mode.clone() {
            Mode::Command(line) => self.command_key(key, line),
            Mode::Filter(line) => self.filter_key(key, line),
            Mode::Prompt(prompt) => self.prompt_key(key, prompt),
            Mode::Confirm(confirm) => self.confirm_key(key, confirm),
            Mode::Normal if self.model.detail.is_some() => self.detail_key(key),
            Mode::Normal => self.table_key(key),
        }
    }

    fn table_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('q') => self.model.quit = true,
            KeyCode::Char(':') => self.model.mode = Mode::Command(String::new()),
            KeyCode::Char('/') => self.model.mode = Mode::Filter(String::new()),
            KeyCode::Char('?') => self.model.detail = Some(views::help()),
            KeyCode::Down | KeyCode::Char('j') => self.move_selection(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_selection(-1),
            KeyCode::PageDown => self.move_selection(PAGE as isize),
            KeyCode::PageUp => self.move_selection(-(PAGE as isize)),
            KeyCode::Home | KeyCode::Char('g') => self.model.selected = 0,
            KeyCode::End | KeyCode::Char('G') => {
                self.model.selected = self.model.rows.len().saturating_sub(1)
            }
            KeyCode::Char('d') if ctrl => self.ask_delete(),
            KeyCode::Char('d') => self.open_describe(),
            KeyCode::Char('y') => self.open_yaml(),
            KeyCode::Char('e') => self.open_editor(),
            KeyCode::Char('o') => self.open_rollout(),
            KeyCode::Char('l') => self.open_logs(),
            KeyCode::Char('s') => self.ask_scale(),
            KeyCode::Char('i') => self.ask_image(),
            KeyCode::Char('r') => self.restart(),
            KeyCode::Char('u') => self.undo(),
            KeyCode::Char('a') => {
                self.model.mode = Mode::Prompt(Prompt {
                    question: "apply file".to_string(),
                    answer: "samples/nginx.yaml".to_string(),
                    purpose: PromptPurpose::ApplyFile,
                })
            }
            KeyCode::Char('F') => self.model.flash_error(
                "port-forward arrives with the traffic work; use kubectl port-forward meanwhile",
            ),
            KeyCode::Char('0') => {
                self.model.namespace = None;
                self.refresh();
            }
            KeyCode::Char(' ') => self.toggle_mark(),
            KeyCode::Enter => self.drill_down(),
            KeyCode::Esc => self.back(),
            _ => {}
        }
    }

    fn move_selection(&mut self, by: isize) {
        if let Some(detail) = self.model.detail.as_mut() {
            detail.scroll = detail
                .scroll
                .saturating_add_signed(by)
                .min(detail.lines.len().saturating_sub(1));
            return;
        }
        let last = self.model.rows.len().saturating_sub(1);
        self.model.selected = self.model.selected.saturating_add_signed(by).min(last);
    }

    fn detail_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => self.close_detail(),
            KeyCode::Down | KeyCode::Char('j') => self.move_selection(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_selection(-1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.move_selection(PAGE as isize),
            KeyCode::PageUp => self.move_selection(-(PAGE as isize)),
            KeyCode::Home | KeyCode::Char('g') => self.move_selection(isize::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => self.move_selection(isize::MAX / 2),
            _ => {}
        }
    }

    fn close_detail(&mut self) {
        self.model.detail = None;
    }

    fn editor_key(&mut self, key: KeyEvent) {
        let Some((editor, target)) = self.editor.as_mut() else {
            return;
        };
        let (text, dry_run) = match editor.handle_key(key) {
            Outcome::Intent(EditorIntent::Validate { text }) => (text, true),
            Outcome::Intent(EditorIntent::Apply { text }) => (text, false),
            Outcome::Intent(EditorIntent::Close) => {
                self.close_editor();
                return;
            }
            Outcome::Ignored | Outcome::Consumed => return,
        };
        let target = target.clone();
        if let Some(task) = self.edit_task.take() {
            task.abort();
        }
        self.edit_generation += 1;
        let delay = if dry_run {
            super::panes::VALIDATE_DEBOUNCE
        } else {
            std::time::Duration::ZERO
        };
        self.edit_task = Some(super::panes::submit(
            self.handle.clone(),
            target,
            text,
            dry_run,
            delay,
            self.edit_generation,
            self.actions.clone(),
        ));
    }

    fn close_editor(&mut self) {
        if let Some(task) = self.edit_task.take() {
            task.abort();
        }
        self.edit_generation += 1;
        self.editor = None;
    }

    fn logs_key(&mut self, key: KeyEvent) {
        let Some(logs) = self.logs.as_mut() else {
            return;
        };
        match logs.handle_key(key) {
            Outcome::Intent(LogsIntent::Close) => self.close_logs(),
            Outcome::Intent(LogsIntent::Reopen(request)) => self.start_log_streams(request),
            Outcome::Intent(LogsIntent::Save { path, contents }) => {
                self.spawn_write(async move {
                    tokio::fs::write(&path, contents)
                        .await
                        .map(|()| format!("logs saved to {}", path.display()))
                        .map_err(|error| format!("cannot save logs to {}: {error}", path.display()))
                });
            }
            Outcome::Ignored | Outcome::Consumed => {}
        }
    }

    fn stop_log_streams(&mut self) {
        for task in self.log_tasks.drain(..) {
            task.abort();
        }
        self.log_generation += 1;
    }

    fn start_log_streams(&mut self, request: LogRequest) {
        self.stop_log_streams();
        self.log_tasks =
            super::panes::stream_logs(&self.handle, &request, self.log_generation, &self.actions);
    }

    fn close_logs(&mut self) {
        self.stop_log_streams();
        self.logs = None;
    }

    fn command_key(&mut self, key: KeyEvent, mut line: String) {
        match key.code {
            KeyCode::Esc => self.model.mode = Mode::Normal,
            KeyCode::Enter => {
                self.model.mode = Mode::Normal;
                self.run_command(&line);
            }
            KeyCode::Tab => {
                if let Some(alias) = commands::complete(&line) {
                    self.model.mode = Mode::Command(alias.to_string());
                }
            }
            KeyCode::Backspace => {
                line.pop();
                self.model.mode = Mode::Command(line);
            }
            KeyCode::Char(c) => {
                line.push(c);
                self.model.mode = Mode::Command(line);
            }
            _ => {}
        }
    }

    fn run_command(&mut self, line: &str) {
        match commands::parse(line) {
            Ok(Command::Quit) => self.model.quit = true,
            Ok(Command::Help) => self.model.detail = Some(views::help()),
            Ok(Command::Namespace(namespace)) => {
                self.model.namespace = namespace;
                self.show(Kind::Pod, None);
            }
            Ok(Command::View { kind, labels }) => {
                let scope = (!labels.is_empty()).then(|| Scope {
                    label: labels
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(","),
                    labels,
                });
                self.show(kind, scope);
            }
            Err(error) => self.model.flash_error(error.to_string()),
        }
    }

    /// Switches the table to `kind`, remembering where we were for esc.
    fn show(&mut self, kind: Kind, scope: Option<Scope>) {
        let previous = (self.model.kind, self.model.scope.take());
        self.model.history.push(previous);
        self.model.kind = kind;
        self.model.scope = scope;
        self.model.filter.clear();
        self.model.selected = 0;
        self.model.marked.clear();
        self.refresh();
    }

    fn back(&mut self) {
        if !self.model.filter.is_empty() {
            self.model.filter.clear();
            self.refresh();
            return;
        }
        if let Some((kind, scope)) = self.model.history.pop() {
            self.model.kind = kind;
            self.model.scope = scope;
            self.model.selected = 0;
            self.refresh();
        }
    }

    fn filter_key(&mut self, key: KeyEvent, mut line: String) {
        match key.code {
            KeyCode::Esc => {
                self.model.mode = Mode::Normal;
                self.model.filter.clear();
            }
            KeyCode::Enter => self.model.mode = Mode::Normal,
            KeyCode::Backspace => {
                line.pop();
                self.model.mode = Mode::Filter(line.clone());
                self.model.filter = line;
            }
            KeyCode::Char(c) => {
                line.push(c);
                self.model.mode = Mode::Filter(line.clone());
                self.model.filter = line;
            }
            _ => return,
        }
        self.model.selected = 0;
        self.refresh();
    }

    fn prompt_key(&mut self, key: KeyEvent, mut prompt: Prompt) {
        match key.code {
            KeyCode::Esc => self.model.mode = Mode::Normal,
            KeyCode::Enter => {
                self.model.mode = Mode::Normal;
                self.answer(prompt);
            }
            KeyCode::Backspace => {
                prompt.answer.pop();
                self.model.mode = Mode::Prompt(prompt);
            }
            KeyCode::Char(c) => {
                prompt.answer.push(c);
                self.model.mode = Mode::Prompt(prompt);
            }
            _ => {}
        }
    }

    fn confirm_key(&mut self, key: KeyEvent, confirm: Confirm) {
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                self.model.mode = Mode::Normal;
                self.model.marked.clear();
                for target in confirm.targets {
                    self.spawn_write(workloads::delete(self.handle.clone(), target));
                }
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                self.model.mode = Mode::Normal;
                self.model.flash("nothing deleted");
            }
            _ => {}
        }
    }

    /// Runs a write in a task; its result comes back as a flash.
    fn spawn_write(&self, write: impl Future<Output = Result<String, String>> + Send + 'static) {
        let actions = self.actions.clone();
        tokio::spawn(async move {
            let _ = actions.send(Action::Done(write.await));
        });
    }

    fn selected_target(&self) -> Option<Target> {
        self.model
            .selected_object()
            .map(|object| Target::of(object))
    }

    fn toggle_mark(&mut self) {
        if let Some(target) = self.selected_target()
            && !self.model.marked.remove(&target)
        {
            self.model.marked.insert(target);
        }
        self.move_selection(1);
    }

    fn ask_delete(&mut self) {
        let targets: Vec<Target> = if self.model.marked.is_empty() {
            self.selected_target().into_iter().collect()
        } else {
            self.model.marked.iter().cloned().collect()
        };
        let question = match targets.as_slice() {
            [] => return,
            [one] => format!("Delete {}?", one.describe()),
            many => format!(
                "Delete {} marked objects ({} …)?",
                many.len(),
                many[0].describe()
            ),
        };
        self.model.mode = Mode::Confirm(Confirm { question, targets });
    }

    fn workload_target(&mut self, verb: &str) -> Option<Target> {
        let target = self.selected_target()?;
        if matches!(target.kind, Kind::Deployment | Kind::ReplicaSet) {
            Some(target)
        } else {
            if target.kind == Kind::Pod && verb == "scale" {
                self.model.flash_error(
                    "a shell into pods arrives with the traffic work; use kubectl exec meanwhile",
                );
            } else {
                self.model.flash_error(format!(
                    "{verb} works on deployments and replicasets (:deploy)"
                ));
            }
            None
        }
    }

    fn ask_scale(&mut self) {
        let Some(target) = self.workload_target("scale") else {
            return;
        };
        let current = self
            .model
            .selected_object()
            .and_then(|object| workloads::replicas(object))
            .unwrap_or(1);
        self.model.mode = Mode::Prompt(Prompt {
            question: format!("scale {} to replicas", target.describe()),
            answer: current.to_string(),
            purpose: PromptPurpose::Scale(target),
        });
    }

    fn ask_image(&mut self) {
        let Some(target) = self.workload_target("set image") else {
            return;
        };
        let Some((container, image)) = self
            .model
            .selected_object()
            .and_then(|object| workloads::first_container_image(object))
        else {
            return;
        };
        self.model.mode = Mode::Prompt(Prompt {
            question: format!("image of container {container} in {}", target.describe()),
            answer: image,
            purpose: PromptPurpose::SetImage { target, container },
        });
    }

    fn answer(&mut self, prompt: Prompt) {
        let handle = self.handle.clone();
        match prompt.purpose {
            PromptPurpose::Scale(target) => match prompt.answer.trim().parse::<i32>() {
                Ok(replicas) if replicas >= 0 => {
                    self.spawn_write(workloads::scale(handle, target, replicas))
                }
                _ => self.model.flash_error(format!(
                    "replicas must be a whole number ≥ 0, not {:?}",
                    prompt.answer
                )),
            },
            PromptPurpose::SetImage { target, container } => {
                let image = prompt.answer.trim().to_string();
                if image.is_empty() {
                    self.model
                        .flash_error("an image name is needed, e.g. nginx:1.16.1");
                    return;
                }
                self.spawn_write(workloads::set_image(handle, target, container, image))
            }
            PromptPurpose::ApplyFile => {
                self.spawn_write(workloads::apply_file(handle, prompt.answer.trim().into()))
            }
        }
    }

    fn restart(&mut self) {
        if let Some(target) = self.workload_target("restart") {
            self.spawn_write(workloads::restart(self.handle.clone(), target));
        }
    }

    fn undo(&mut self) {
        if let Some(target) = self.workload_target("undo")
            && target.kind == Kind::Deployment
        {
            self.spawn_write(workloads::undo(self.handle.clone(), target));
        }
    }

    fn open_describe(&mut self) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        let text = refresh::describe(self.handle.as_ref(), &object);
        self.model.detail = Some(Detail {
            title: format!("describe {}", Target::of(&object).describe()),
            lines: text.lines().map(str::to_string).collect(),
            scroll: 0,
            kind: DetailKind::Describe,
        });
    }

    fn open_yaml(&mut self) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        let text = serde_yaml::to_string(&object.to_json())
            .unwrap_or_else(|error| format!("cannot show this object as YAML: {error}"));
        self.model.detail = Some(Detail {
            title: format!("yaml {}", Target::of(&object).describe()),
            lines: text.lines().map(str::to_string).collect(),
            scroll: 0,
            kind: DetailKind::Yaml,
        });
    }

    /// The rollout view of the selected Deployment.
    fn open_rollout(&mut self) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        if object.kind() != Kind::Deployment {
            self.model.flash_error(
                "the rollout view shows deployments: select one in :deploy and press o",
            );
            return;
        }
        let mut rollout = RolloutView::new(object.namespace(), object.name());
        observe_rollout(&mut rollout, self.handle.as_ref());
        self.rollout = Some(rollout);
    }

    /// The selected object in the YAML editor; ctrl-s replaces it.
    fn open_editor(&mut self) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        let original = object.to_json();
        let text = match serde_yaml::to_string(&original) {
            Ok(text) => text,
            Err(error) => {
                self.model
                    .flash_error(format!("cannot edit this object as YAML: {error}"));
                return;
            }
        };
        let title = format!("edit {}", Target::of(&object).describe());
        self.editor = Some((
            YamlEditor::new(title, &text),
            EditTarget::Existing(original),
        ));
    }

    /// Logs of the selected pod, or of every pod of the selected workload
    /// interleaved with a pod prefix.
    fn open_logs(&mut self) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        let pods: Vec<Arc<Object>> = match object.as_ref() {
            Object::Pod(_) => vec![object.clone()],
            _ => refresh::pods_of(self.handle.as_ref(), &object),
        };
        let Some(first) = pods.first() else {
            self.model.flash_error(format!(
                "{} has no pods to show logs of",
                Target::of(&object).describe()
            ));
            return;
        };
        let containers: Vec<String> = match first.as_ref() {
            Object::Pod(pod) => pod
                .spec
                .iter()
                .flat_map(|spec| spec.containers.iter().map(|c| c.name.clone()))
                .collect(),
            _ => Vec::new(),
        };
        let request = LogRequest {
            namespace: object.namespace().to_string(),
            pods: pods.iter().map(|pod| pod.name().to_string()).collect(),
            container: containers.first().cloned(),
            previous: false,
            window: LogWindow::Tail,
            tail_lines: LOG_TAIL,
        };
        self.logs = Some(LogsView::new(
            request.clone(),
            containers,
            self.log_capacity,
        ));
        self.start_log_streams(request);
    }

    fn drill_down(&mut self) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        let target = Target::of(&object);
        match object.as_ref() {
            Object::Namespace(_) => {
                self.model.namespace = Some(target.name);
                self.show(Kind::Pod, None);
            }
            Object::Deployment(_) | Object::ReplicaSet(_) | Object::Service(_) => {
                match workloads::selector_labels(&object) {
                    Some(labels) => self.show(
                        Kind::Pod,
                        Some(Scope {
                            label: target.describe(),
                            labels,
                        }),
                    ),
                    None => self
                        .model
                        .flash_error(format!("{} selects no pods", target.describe())),
                }
            }
            _ => self.open_describe(),
        }
    }
}

/// Hands the rollout view the Deployment and its namespace's ReplicaSets,
/// Pods and Events as they are now.
fn observe_rollout(rollout: &mut RolloutView, handle: &dyn ClusterHandle) {
    let namespace = rollout.namespace().to_string();
    let Some(deployment) = handle.get(Kind::Deployment, &namespace, rollout.name()) else {
        return;
    };
    let Some(deployment) = deployment.as_typed::<Deployment>() else {
        return;
    };
    let replica_sets = handle.list(Kind::ReplicaSet, Some(&namespace));
    let pods = handle.list(Kind::Pod, Some(&namespace));
    let events = handle.list(Kind::Event, Some(&namespace));
    let input = RolloutInput {
        deployment,
        replica_sets: replica_sets
            .iter()
            .filter_map(|o| o.as_typed::<ReplicaSet>())
            .collect(),
        pods: pods.iter().filter_map(|o| o.as_typed::<Pod>()).collect(),
        events: events
            .iter()
            .filter_map(|o| o.as_typed::<Event>())
            .collect(),
    };
    rollout.observe(&input, crate::clock::now());
}
