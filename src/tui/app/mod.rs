//! The console's controller: turns keys and task results into changes of
//! the [`Model`], and starts the I/O that actions need as tasks that
//! report back through the action channel. It never waits on I/O itself.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::Frame;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

mod batch;
mod creating;
mod demo_hooks;
mod log_feed;
mod opening;
mod overlays;
#[cfg(test)]
mod tests;
mod traffic;
mod writes;

use self::log_feed::LogFeed;
pub use self::opening::{Fetched, Pane};
use self::overlays::observe_rollout;

use super::commands::{self, Command};
use super::component::Outcome;
use super::editor::{Diagnostic, EditorIntent, YamlEditor};
use super::line_edit::{Edit, LineEdit};
use super::logs::{LogLine, LogRequest, LogWindow, LogsIntent, LogsView};
use super::model::{
    Confirm, Detail, DetailKind, Mode, Model, Prompt, PromptPurpose, Scope, Target,
};
use super::panes::EditTarget;
use super::portforward::view::ForwardsView;
use super::portforward::{ForwardEvent, Forwards};
use super::refresh;
use super::rollout::{RolloutInput, RolloutIntent, RolloutView};
use super::shell::ShellRequest;
use super::sort::{Sort, SortKey};
use super::theme::Theme;
use super::{views, workloads};
use crate::api::selector::LabelSelector;
use crate::api::{Kind, Object};
use crate::handle::ClusterHandle;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod};

/// The histories of the `:` and `/` lines.
const COMMAND_HISTORY: &str = ":";
const FILTER_HISTORY: &str = "/";

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
        container: String,
        reason: Option<String>,
    },
    /// The server checked (dry run) or applied the editor's buffer.
    Checked {
        generation: u64,
        dry_run: bool,
        result: Result<String, String>,
        diagnostics: Vec<Diagnostic>,
    },
    /// A port-forward's listener or connection reported.
    Forward { id: u64, event: ForwardEvent },
    /// The shell to run was found (or why none can run).
    ShellReady(Result<ShellRequest, String>),
    /// The shell ended: its exit code, or why it failed.
    ShellEnded(Result<i32, String>),
    /// `:ctx NAME` opened the other context, or says why it could not.
    Switched(Result<Switched, String>),
    /// The object a pane opened on, as the server has it now.
    Fetched {
        generation: u64,
        pane: Pane,
        target: Target,
        result: Result<Fetched, String>,
    },
}

/// The handle on the context `:ctx` switched to.
pub struct Switched(pub Arc<dyn ClusterHandle>);

impl std::fmt::Debug for Switched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Switched")
            .field(&self.0.info().name)
            .finish()
    }
}

pub struct App {
    pub model: Model,
    pub theme: Theme,
    handle: Arc<dyn ClusterHandle>,
    /// Counts handle replacements (`:ctx`), so the event loop follows.
    handle_generation: u64,
    actions: UnboundedSender<Action>,
    /// The YAML editor, when open, and what it edits.
    editor: Option<(YamlEditor, EditTarget)>,
    /// The pending dry run or apply of the editor's buffer.
    edit_task: Option<AbortHandle>,
    edit_generation: u64,
    /// Counts pane openings, so that only the last one's fetch is shown.
    fetch_generation: u64,
    logs: Option<LogsView>,
    /// The rollout view of a Deployment, over the table; workload keys
    /// still act on that Deployment while it shows.
    rollout: Option<RolloutView>,
    /// The streams feeding the logs view, stopped when it closes.
    log_feed: LogFeed,
    /// Lines the logs view keeps.
    log_capacity: usize,
    /// The console's port-forwards; they end with the console.
    forwards: Forwards,
    /// The `:pf` list, when shown.
    forwards_view: Option<ForwardsView>,
    /// A shell waiting for the event loop to hand it the terminal.
    shell: Option<ShellRequest>,
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
    ("0-6", "tail/head/1m/5m/15m/30m/1h"),
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
            handle_generation: 0,
            actions,
            editor: None,
            edit_task: None,
            edit_generation: 0,
            fetch_generation: 0,
            logs: None,
            rollout: None,
            log_feed: LogFeed::default(),
            log_capacity: DEFAULT_LOG_LINES,
            forwards: Forwards::default(),
            forwards_view: None,
            shell: None,
        };
        app.refresh();
        app
    }

    /// The handle the console reads and writes through now.
    pub fn handle(&self) -> Arc<dyn ClusterHandle> {
        self.handle.clone()
    }

    pub fn handle_generation(&self) -> u64 {
        self.handle_generation
    }

    /// Carries on with another context: what showed of the old one goes;
    /// the keys and the log size stay.
    fn switch_to(&mut self, handle: Arc<dyn ClusterHandle>) {
        self.close_editor();
        self.close_logs();
        self.rollout = None;
        self.forwards_view = None;
        let keymap = std::mem::take(&mut self.model.keymap);
        self.model = Model::new(handle.info());
        self.model.keymap = keymap;
        self.handle = handle;
        self.handle_generation += 1;
        self.model
            .flash(format!("context {}", self.model.info.name));
        self.refresh();
    }

    /// The logs view, when open.
    pub fn logs_view(&self) -> Option<&LogsView> {
        self.logs.as_ref()
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
        self.follow_new_log_pods();
    }

    /// Re-reads what depends on objects of the `changed` kinds.
    pub fn refresh_changed(&mut self, changed: &[Kind]) {
        refresh::refresh_changed(&mut self.model, self.handle.as_ref(), changed);
        if let Some(rollout) = self.rollout.as_mut() {
            observe_rollout(rollout, self.handle.as_ref());
        }
        if changed.contains(&Kind::Pod) {
            self.follow_new_log_pods();
        }
    }

    pub fn draw(&mut self, frame: &mut Frame) {
        let visible_rows = views::table_rows(frame.area(), &self.model);
        if visible_rows != self.model.visible_rows {
            self.model.visible_rows = visible_rows;
            self.show_selection();
        }
        views::draw(frame, &self.model, &self.theme);
        let body = views::body_area(frame.area());
        if self.editor.is_some()
            || self.logs.is_some()
            || self.rollout.is_some()
            || self.forwards_view.is_some()
        {
            frame.render_widget(ratatui::widgets::Clear, body);
        }
        let keys = if let Some((editor, _)) = &self.editor {
            editor.draw(frame, body, &self.theme);
            EDITOR_KEYS
        } else if let Some(logs) = &self.logs {
            if logs.is_fullscreen() {
                // k9s's `f`: the whole terminal, no header or key line.
                frame.render_widget(ratatui::widgets::Clear, frame.area());
                logs.draw(frame, frame.area(), &self.theme);
                return;
            }
            logs.draw(frame, body, &self.theme);
            LOGS_KEYS
        } else if let Some(view) = &self.forwards_view
            && self.model.detail.is_none()
        {
            view.draw(frame, body, &self.forwards, &self.theme);
            if self.model.mode != Mode::Normal {
                return;
            }
            super::portforward::view::KEYS
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
            Action::Changed(kind) => self.refresh_changed(&[kind]),
            Action::Done(Ok(text)) => self.model.flash(text),
            Action::Done(Err(text)) => self.model.flash_error(text),
            Action::Log { generation, line } if generation == self.log_feed.generation() => {
                if let Some(logs) = self.logs.as_mut() {
                    logs.push(line);
                }
            }
            Action::LogEnded {
                generation,
                pod,
                container,
                reason,
            } if generation == self.log_feed.generation() => {
                self.log_feed.ended(&pod, &container);
                if let Some(logs) = self.logs.as_mut() {
                    logs.stream_ended(&pod, &container, reason);
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
            Action::Forward { id, event } => match self.forwards.on_event(id, event) {
                Some(Ok(text)) => self.model.flash(text),
                Some(Err(text)) => self.model.flash_error(text),
                None => {}
            },
            Action::ShellReady(Ok(request)) => self.shell = Some(request),
            Action::ShellReady(Err(error)) => self.model.flash_error(error),
            Action::ShellEnded(Ok(code)) => self.model.flash(format!("shell exited (code {code})")),
            Action::ShellEnded(Err(error)) => self.model.flash_error(error),
            Action::Switched(Ok(Switched(handle))) => self.switch_to(handle),
            Action::Switched(Err(error)) => self.model.flash_error(error),
            Action::Fetched {
                generation,
                pane,
                target,
                result,
            } => self.fetched(generation, pane, target, result),
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
                let row = usize::from(mouse.row)
                    .checked_sub(views::TABLE_FIRST_ROW)
                    .filter(|&r| r < self.model.visible_rows)
                    .map(|r| r + self.model.offset);
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
            && self.forwards_view.is_some()
        {
            return self.forwards_key(key);
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
            Mode::Normal => {
                if let Some(key) = self.model.keymap.translate(key) {
                    self.table_key(key)
                }
            }
        }
    }

    fn table_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if self.model.info.read_only
            && let Some(what) = changes_the_cluster(&key, self.selected_is(Kind::Pod))
        {
            self.model
                .flash_error(crate::handle::readonly::refusal(what).to_string());
            return;
        }
        match key.code {
            KeyCode::Char('q') => self.model.quit = true,
            KeyCode::Char(':') => {
                self.learn_custom_kinds();
                self.model.mode = Mode::Command(LineEdit::default());
            }
            KeyCode::Char('/') => self.model.mode = Mode::Filter(LineEdit::default()),
            KeyCode::Char('?') => self.model.detail = Some(views::help(&self.model.keymap)),
            KeyCode::Down | KeyCode::Char('j') => self.move_selection(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_selection(-1),
            KeyCode::PageDown => self.move_selection(PAGE as isize),
            KeyCode::PageUp => self.move_selection(-(PAGE as isize)),
            KeyCode::Home | KeyCode::Char('g') => self.select(0),
            KeyCode::End | KeyCode::Char('G') => self.select(self.model.rows.len()),
            KeyCode::Char('d') if ctrl => self.ask_delete(),
            KeyCode::Char('d') => self.open_describe(),
            KeyCode::Char('y') => self.open_yaml(),
            KeyCode::Char('e') => self.open_editor(),
            KeyCode::Char('o') => self.open_rollout(),
            KeyCode::Char('l') if ctrl => self.rollback_to_replica_set(),
            KeyCode::Char('l') => self.open_logs(false),
            KeyCode::Char('p') => self.open_logs(true),
            KeyCode::Char('f') => self.open_forwards(),
            KeyCode::Char('x') => self.open_expose(),
            KeyCode::Char('s') if ctrl => self.toggle_suspend(),
            KeyCode::Char('t') => self.trigger(),
            KeyCode::Char('s') if self.selected_is(Kind::Pod) => self.ask_shell(),
            KeyCode::Char('s') => self.ask_scale(),
            KeyCode::Char('i') => self.ask_image(),
            KeyCode::Char('r') => self.restart(),
            KeyCode::Char('u') => self.undo(),
            KeyCode::Char('a') => {
                self.model.mode = Mode::Prompt(Prompt {
                    question: "apply file".to_string(),
                    answer: LineEdit::new("samples/nginx.yaml"),
                    purpose: PromptPurpose::ApplyFile,
                })
            }
            KeyCode::Char('F') => self.ask_port_forward(),
            KeyCode::Char('0') => {
                self.model.namespace = None;
                self.refresh();
            }
            KeyCode::Char('N') => self.sort_by(SortKey::Name),
            KeyCode::Char('A') => self.sort_by(SortKey::Age),
            KeyCode::Char('S') => self.sort_by(SortKey::Status),
            KeyCode::Char(' ') => self.toggle_mark(),
            KeyCode::Enter => self.drill_down(),
            KeyCode::Esc => self.back(),
            _ => {}
        }
    }

    fn switch_context(&mut self, name: String) {
        let contexts = self.handle.contexts();
        if !contexts.names.contains(&name) {
            self.model.flash_error(format!(
                "no context {name:?} in the kubeconfig; :ctx lists them ({})",
                contexts.names.join(", ")
            ));
            return;
        }
        self.model.flash(format!("opening context {name}…"));
        let (handle, actions) = (self.handle.clone(), self.actions.clone());
        tokio::spawn(async move {
            let switched = handle
                .switch_context(&name)
                .await
                .map(Switched)
                .map_err(|error| error.to_string());
            let _ = actions.send(Action::Switched(switched));
        });
    }

    fn move_selection(&mut self, by: isize) {
        if let Some(detail) = self.model.detail.as_mut() {
            detail.scroll = detail
                .scroll
                .saturating_add_signed(by)
                .min(detail.lines.len().saturating_sub(1));
            return;
        }
        self.select(self.model.selected.saturating_add_signed(by));
    }

    /// Selects row `index` (the last when past the end) and brings it into
    /// view.
    fn select(&mut self, index: usize) {
        self.model.selected = index.min(self.model.rows.len().saturating_sub(1));
        self.show_selection();
    }

    /// Scrolls the selection into view, formatting the rows that come in.
    fn show_selection(&mut self) {
        refresh::format_shown(&mut self.model, self.handle.as_ref());
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

    fn command_key(&mut self, key: KeyEvent, mut line: LineEdit) {
        match key.code {
            KeyCode::Esc => self.model.mode = Mode::Normal,
            KeyCode::Enter => {
                self.model.mode = Mode::Normal;
                self.model.typed.record(COMMAND_HISTORY, line.as_str());
                if let Err(error) = self.run_command(line.as_str()) {
                    // The line stays, to be corrected rather than retyped.
                    self.model.flash_error(error.to_string());
                    self.model.mode = Mode::Command(line);
                }
            }
            KeyCode::Tab => {
                let text = line.as_str();
                let completed = match commands::argument_of(text) {
                    Some(argument) => commands::complete_argument(text, &self.names_for(argument)),
                    None => commands::complete(text).map(str::to_string),
                };
                if let Some(completed) = completed {
                    line.set(completed);
                    self.model.mode = Mode::Command(line);
                }
            }
            KeyCode::Up => {
                self.model.typed.older(COMMAND_HISTORY, &mut line);
                self.model.mode = Mode::Command(line);
            }
            KeyCode::Down => {
                self.model.typed.newer(COMMAND_HISTORY, &mut line);
                self.model.mode = Mode::Command(line);
            }
            _ => {
                if line.edit(key, &mut self.model.typed.kill) != Edit::Ignored {
                    self.model.mode = Mode::Command(line);
                }
            }
        }
    }

    /// The names Tab completes `:ctx` and `:ns` arguments from.
    fn names_for(&self, argument: commands::ArgumentOf) -> Vec<String> {
        match argument {
            commands::ArgumentOf::Context => self.handle.contexts().names,
            commands::ArgumentOf::Namespace => self
                .handle
                .list(Kind::Namespace, None)
                .iter()
                .map(|namespace| namespace.name().to_string())
                .collect(),
        }
    }

    fn run_command(&mut self, line: &str) -> Result<(), commands::CommandError> {
        match commands::parse(line)? {
            Command::Quit => self.model.quit = true,
            Command::Help => self.model.detail = Some(views::help(&self.model.keymap)),
            Command::PortForwards => self.open_forwards(),
            Command::New(kind) => self.open_new(kind),
            Command::Expose => self.open_expose(),
            Command::Suspend => self.toggle_suspend(),
            Command::Resources => self.model.detail = Some(views::resources()),
            Command::Context(None) => {
                self.model.detail = Some(contexts_detail(&self.handle.contexts()))
            }
            Command::Context(Some(name)) => self.switch_context(name),
            Command::Namespace(namespace) => {
                self.model.namespace = namespace;
                self.show(Kind::Pod, None);
            }
            Command::View { kind, selector } => {
                let scope = (!selector.is_empty()).then(|| Scope {
                    label: selector.to_string(),
                    selector,
                    owner: None,
                });
                self.show(kind, scope);
            }
        }
        Ok(())
    }

    /// Switches the table to `kind`, remembering where we were for esc.
    fn show(&mut self, kind: Kind, scope: Option<Scope>) {
        self.forwards_view = None;
        let previous = (self.model.kind, self.model.scope.take());
        self.model.history.push(previous);
        self.model.kind = kind;
        self.model.scope = scope;
        self.model.filter.clear();
        self.model.sort = None;
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

    fn filter_key(&mut self, key: KeyEvent, mut line: LineEdit) {
        match key.code {
            KeyCode::Esc => {
                self.model.mode = Mode::Normal;
                self.model.filter.clear();
            }
            KeyCode::Enter => {
                self.model.mode = Mode::Normal;
                self.model.typed.record(FILTER_HISTORY, line.as_str());
                // A selector that does not parse shows no rows; say why.
                if let Some(text) = self.model.filter.trim().strip_prefix("-l")
                    && let Err(error) = commands::label_selector(text.trim())
                {
                    self.model.flash_error(error.to_string());
                }
            }
            KeyCode::Up => self.model.typed.older(FILTER_HISTORY, &mut line),
            KeyCode::Down => self.model.typed.newer(FILTER_HISTORY, &mut line),
            _ => match line.edit(key, &mut self.model.typed.kill) {
                Edit::Ignored => return,
                Edit::Moved => {
                    self.model.mode = Mode::Filter(line);
                    return;
                }
                Edit::Changed => {}
            },
        }
        if self.model.mode != Mode::Normal {
            self.model.filter = line.as_str().to_string();
            self.model.mode = Mode::Filter(line);
        }
        self.model.selected = 0;
        self.refresh();
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

    fn sort_by(&mut self, key: SortKey) {
        self.model.sort = Some(Sort::toggled(self.model.sort, key));
        self.refresh();
    }

    fn toggle_mark(&mut self) {
        if let Some(target) = self.selected_target()
            && !self.model.marked.remove(&target)
        {
            self.model.marked.insert(target);
        }
        self.move_selection(1);
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
            Object::Dynamic(_) if target.kind == Kind::CustomResourceDefinition => {
                match served_kind(&object) {
                    Some(kind) => self.show(kind, None),
                    None => self.model.flash_error(format!(
                        "{} is not served yet: its definition is not Established",
                        target.name
                    )),
                }
            }
            Object::Dynamic(_)
                if matches!(
                    target.kind,
                    Kind::StatefulSet | Kind::DaemonSet | Kind::Job | Kind::ReplicationController
                ) =>
            {
                self.show_selected(&object, &target, Kind::Pod)
            }
            Object::Dynamic(_) if target.kind == Kind::CronJob => self.show(
                Kind::Job,
                Some(Scope {
                    label: target.describe(),
                    selector: LabelSelector::default(),
                    owner: object.meta().uid.clone(),
                }),
            ),
            Object::Deployment(_) | Object::ReplicaSet(_) | Object::Service(_) => {
                // A Deployment's revisions first, then a revision's pods.
                let kind = match object.as_ref() {
                    Object::Deployment(_) => Kind::ReplicaSet,
                    _ => Kind::Pod,
                };
                self.show_selected(&object, &target, kind)
            }
            _ => self.open_describe(),
        }
    }

    /// Makes the kinds of the cluster's established CustomResourceDefinitions
    /// known to `:`, so a definition installed a moment ago is offered
    /// without a restart, on either handle.
    fn learn_custom_kinds(&self) {
        for definition in self.handle.list(Kind::CustomResourceDefinition, None) {
            served_kind(&definition);
        }
    }

    /// The objects of `kind` that `object`'s selector matches.
    fn show_selected(&mut self, object: &Object, target: &Target, kind: Kind) {
        match workloads::selector_labels(object) {
            Some(labels) => self.show(
                kind,
                Some(Scope {
                    label: target.describe(),
                    selector: LabelSelector::from_map(&labels),
                    owner: None,
                }),
            ),
            None => self
                .model
                .flash_error(format!("{} selects no pods", target.describe())),
        }
    }
}

/// The kind an established CustomResourceDefinition serves, registered.
fn served_kind(definition: &Object) -> Option<Kind> {
    crate::api::crd::established(definition)
        .then(|| crate::api::crd::register(definition))
        .flatten()
}

/// What a table key would change in the cluster, for `--readonly`'s
/// refusal; `None` for keys that only read.
fn changes_the_cluster(key: &KeyEvent, on_pod: bool) -> Option<&'static str> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('d') if ctrl => Some("deleting"),
        KeyCode::Char('e') => Some("editing"),
        KeyCode::Char('s') if ctrl => Some("suspending"),
        KeyCode::Char('t') => Some("triggering a cronjob"),
        KeyCode::Char('s') if on_pod => Some("a shell"),
        KeyCode::Char('s') => Some("scaling"),
        KeyCode::Char('i') => Some("setting the image"),
        KeyCode::Char('r') => Some("restarting a rollout"),
        KeyCode::Char('u') => Some("undoing a rollout"),
        KeyCode::Char('l') if ctrl => Some("rolling back"),
        KeyCode::Char('a') => Some("applying a file"),
        KeyCode::Char('x') => Some("exposing"),
        KeyCode::Char('F') => Some("port-forward"),
        _ => None,
    }
}

/// `:ctx`: the kubeconfig's contexts, the current one marked.
fn contexts_detail(contexts: &crate::handle::Contexts) -> Detail {
    let mut lines = vec!["Contexts (:ctx NAME switches)".to_string(), String::new()];
    lines.extend(contexts.names.iter().map(|name| {
        let mark = if *name == contexts.current { "*" } else { " " };
        format!("{mark} {name}")
    }));
    Detail {
        title: "contexts".to_string(),
        lines,
        scroll: 0,
        kind: DetailKind::Help,
    }
}
