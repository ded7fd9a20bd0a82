//! Pure draw functions from the model: header, table or detail pane,
//! events pane, flash line and the footer (keys, or the line being typed).

mod detail;
mod header;
mod status;
mod table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub use self::status::status_style;
use super::line_edit::LineEdit;
use super::model::{Detail, DetailKind, Mode, Model};
use super::theme::Theme;

/// Screen row of the table's first data row: two header lines, the
/// table's top border and its column names.
pub const TABLE_FIRST_ROW: usize = 4;
/// Height of the events pane under the table.
const EVENTS_HEIGHT: u16 = 8;
/// Rollouts the rollouts pane lists at most.
const ROLLOUT_LINES: usize = 3;

/// Where the table (or a pane over it) goes: under the header, above the
/// flash and footer lines.
pub fn body_area(area: Rect) -> Rect {
    let [_, body, _] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(2),
    ])
    .areas(area);
    body
}

/// Header, body (table or detail), rollouts pane, events pane, flash line
/// and footer. Under a table on a screen taller than 20 lines: the events
/// pane, and the rollouts pane while rollouts are under way.
fn layout(area: Rect, model: &Model) -> [Rect; 6] {
    let panes = model.detail.is_none() && area.height > 20;
    let events = if panes { EVENTS_HEIGHT } else { 0 };
    let rollouts = if panes && !model.rollouts.is_empty() {
        model.rollouts.len().min(ROLLOUT_LINES) as u16 + 1
    } else {
        0
    };
    Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(rollouts),
        Constraint::Length(events),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// How many rows of objects the table shows on a screen of `area`: its
/// body less the borders and the column names.
pub fn table_rows(area: Rect, model: &Model) -> usize {
    usize::from(layout(area, model)[1].height.saturating_sub(3))
}

pub fn draw(frame: &mut Frame, model: &Model, theme: &Theme) {
    let [
        header_area,
        body,
        rollouts_area,
        events_area,
        flash_area,
        footer_area,
    ] = layout(frame.area(), model);
    header::draw(frame, header_area, model, theme);
    match &model.detail {
        Some(detail) => detail::draw(frame, body, detail, theme),
        None => table::draw(frame, body, model, theme),
    }
    if rollouts_area.height > 0 {
        draw_rollouts(frame, rollouts_area, model, theme);
    }
    if events_area.height > 0 {
        draw_events(frame, events_area, model, theme);
    }
    draw_flash(frame, flash_area, model, theme);
    draw_footer(frame, footer_area, model, theme);
    if let Mode::Confirm(confirm) = &model.mode {
        draw_confirm(frame, &confirm.question, theme);
    }
}

/// One line per rollout under way: its state, a bar of updated pods and
/// the counts `kubectl rollout status` reports.
fn draw_rollouts(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    const BAR: usize = 20;
    let lines: Vec<Line> = model
        .rollouts
        .iter()
        .take(ROLLOUT_LINES)
        .map(|rollout| {
            let desired = rollout.desired.max(1) as usize;
            let filled = (rollout.updated.max(0) as usize * BAR / desired).min(BAR);
            let state_style = match rollout.state.as_str() {
                "ProgressDeadlineExceeded" => theme.error,
                "Paused" => theme.warning,
                _ => theme.info,
            };
            Line::from(vec![
                Span::styled(format!("{:<32} ", rollout.target.describe()), theme.body),
                Span::styled(format!("{:<12} ", rollout.state), state_style),
                Span::styled("█".repeat(filled), theme.accent),
                Span::styled("░".repeat(BAR - filled), theme.muted),
                Span::styled(
                    format!(
                        " {}/{} updated · {} available · {} old   o: rollout view",
                        rollout.updated, rollout.desired, rollout.available, rollout.old
                    ),
                    theme.body,
                ),
            ])
        })
        .collect();
    let title = format!(" rollouts under way ({}) ", model.rollouts.len());
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(title, theme.accent));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_events(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    // The columns fit what is shown: a long reason (`NodeHasSufficientMemory`)
    // widens its column rather than pushing the objects out of line.
    let shown = &model.events[..model.events.len().min(usize::from(area.height))];
    let widest = |field: fn(&super::model::EventLine) -> &str| {
        shown
            .iter()
            .map(|event| field(event).chars().count())
            .max()
            .unwrap_or(0)
    };
    let age = widest(|event| &event.age);
    let reason = widest(|event| &event.reason);
    let object = widest(|event| &event.object).min(usize::from(area.width) / 3);
    let lines: Vec<Line> = shown
        .iter()
        .map(|event| {
            let style = if event.warning {
                theme.warning
            } else {
                theme.body
            };
            let count = if event.count > 1 {
                format!(" (x{})", event.count)
            } else {
                String::new()
            };
            Line::from(vec![
                Span::styled(format!("{:>age$}  ", event.age), theme.muted),
                Span::styled(format!("{:<reason$}  ", event.reason), style),
                Span::styled(format!("{:<object$.object$}  ", event.object), theme.body),
                Span::styled(format!("{}{count}", event.message), style),
            ])
        })
        .collect();
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(" events (newest first) ", theme.accent));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_flash(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    if let Some(flash) = &model.flash {
        let style = if flash.error { theme.error } else { theme.info };
        frame.render_widget(
            Paragraph::new(Span::styled(flash.text.as_str(), style)),
            area,
        );
    }
}

fn draw_footer(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let line = match &model.mode {
        Mode::Command(line) => typed_line(":", line, theme).with_hint(
            super::commands::complete(line.as_str())
                .map(|alias| format!("  tab → {alias}"))
                .unwrap_or_default(),
            theme,
        ),
        Mode::Filter(line) => {
            typed_line("/", line, theme).with_hint("  regex, !inverse, -l app=x".into(), theme)
        }
        Mode::Prompt(prompt) => {
            typed_line(&format!("{}: ", prompt.question), &prompt.answer, theme)
                .with_hint("  enter ok · esc cancel · ↑↓ history".into(), theme)
        }
        Mode::Confirm(_) => Line::from(Span::styled("y delete · n keep", theme.key_hint)),
        Mode::Normal => hints(model, theme),
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A line being typed: its label, the text with the cursor drawn where it
/// is (reversed over the character under it), then a muted hint.
struct TypedLine(Vec<Span<'static>>);

fn typed_line(label: &str, line: &LineEdit, theme: &Theme) -> TypedLine {
    let (before, after) = line.split_at_cursor();
    let mut under = after.chars();
    let cursor = under.next();
    let mut spans = vec![
        Span::styled(label.to_string(), theme.accent),
        Span::styled(before.to_string(), theme.body),
    ];
    match cursor {
        Some(c) => {
            spans.push(Span::styled(
                c.to_string(),
                theme.body.add_modifier(ratatui::style::Modifier::REVERSED),
            ));
            spans.push(Span::styled(under.as_str().to_string(), theme.body));
        }
        None => spans.push(Span::styled("█", theme.muted)),
    }
    TypedLine(spans)
}

impl TypedLine {
    fn with_hint(mut self, hint: String, theme: &Theme) -> Line<'static> {
        self.0.push(Span::styled(hint, theme.muted));
        Line::from(self.0)
    }
}

/// The keys that apply here.
fn hints(model: &Model, theme: &Theme) -> Line<'static> {
    let table = model.detail.is_none();
    let keys: &[(&str, &str)] = match model.detail.as_ref().map(|d| d.kind) {
        Some(DetailKind::Logs { .. }) => &[
            ("esc", "back"),
            ("s", "autoscroll"),
            ("↑↓ pgup pgdn g G", "scroll"),
        ],
        Some(_) => &[("esc", "back"), ("↑↓ pgup pgdn g G", "scroll")],
        None => {
            use crate::api::Kind;
            match model.kind {
                Kind::Deployment => &[
                    (":", "view"),
                    ("/", "filter"),
                    ("enter", "replicasets"),
                    ("o", "rollout"),
                    ("d", "describe"),
                    ("y", "yaml"),
                    ("l", "logs"),
                    ("s", "scale"),
                    ("i", "image"),
                    ("r", "restart"),
                    ("u", "undo"),
                    ("ctrl-d", "delete"),
                    ("a", "apply"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
                Kind::StatefulSet => &[
                    (":", "view"),
                    ("/", "filter"),
                    ("enter", "pods"),
                    ("d", "describe"),
                    ("l", "logs"),
                    ("s", "scale"),
                    ("i", "image"),
                    ("r", "restart"),
                    ("u", "undo"),
                    ("ctrl-d", "delete"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
                Kind::DaemonSet => &[
                    (":", "view"),
                    ("/", "filter"),
                    ("enter", "pods"),
                    ("d", "describe"),
                    ("l", "logs"),
                    ("i", "image"),
                    ("r", "restart"),
                    ("u", "undo"),
                    ("ctrl-d", "delete"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
                Kind::CronJob => &[
                    (":", "view"),
                    ("/", "filter"),
                    ("enter", "jobs"),
                    ("t", "trigger"),
                    ("ctrl-s", "suspend/resume"),
                    ("d", "describe"),
                    ("y", "yaml"),
                    ("ctrl-d", "delete"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
                Kind::Job => &[
                    (":", "view"),
                    ("/", "filter"),
                    ("enter", "pods"),
                    ("l", "logs"),
                    ("ctrl-s", "suspend/resume"),
                    ("d", "describe"),
                    ("y", "yaml"),
                    ("ctrl-d", "delete"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
                Kind::ReplicaSet => &[
                    (":", "view"),
                    ("/", "filter"),
                    ("enter", "pods"),
                    ("d", "describe"),
                    ("y", "yaml"),
                    ("l", "logs"),
                    ("s", "scale"),
                    ("ctrl-d", "delete"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
                Kind::Pod => &[
                    (":", "view"),
                    ("/", "filter"),
                    ("d", "describe"),
                    ("y", "yaml"),
                    ("l", "logs"),
                    ("s", "shell"),
                    ("shift-f", "port-forward"),
                    ("space", "mark"),
                    ("ctrl-d", "delete"),
                    ("a", "apply"),
                    ("0", "all ns"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
                Kind::Service => &[
                    (":", "view"),
                    ("/", "filter"),
                    ("enter", "pods"),
                    ("shift-f", "port-forward"),
                    ("d", "describe"),
                    ("y", "yaml"),
                    ("ctrl-d", "delete"),
                    ("a", "apply"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
                _ => &[
                    (":", "view"),
                    ("/", "filter"),
                    ("enter", "open"),
                    ("d", "describe"),
                    ("y", "yaml"),
                    ("ctrl-d", "delete"),
                    ("a", "apply"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
            }
        }
    };
    if !table {
        return key_line(keys, theme);
    }
    // The table's keys as the user's settings moved them.
    let mapped: Vec<(&str, &str)> = keys
        .iter()
        .map(|&(key, what)| (model.keymap.label(key), what))
        .collect();
    key_line(&mapped, theme)
}

fn key_line(keys: &[(&str, &str)], theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for (key, what) in keys {
        spans.push(Span::styled(format!("<{key}>"), theme.key_hint));
        spans.push(Span::styled(format!(" {what}  "), theme.muted));
    }
    Line::from(spans)
}

/// Replaces the footer with a pane's own keys.
pub fn draw_footer_keys(frame: &mut Frame, keys: &[(&str, &str)], theme: &Theme) {
    let area = frame.area();
    let footer = Rect {
        y: area.bottom().saturating_sub(1),
        height: area.height.min(1),
        ..area
    };
    frame.render_widget(Clear, footer);
    frame.render_widget(Paragraph::new(key_line(keys, theme)), footer);
}

fn draw_confirm(frame: &mut Frame, question: &str, theme: &Theme) {
    let area = frame.area();
    let width = (question.chars().count() as u16 + 6).clamp(30, area.width.max(30));
    let dialog = Rect {
        x: area.width.saturating_sub(width) / 2,
        y: area.height / 2 - 2.min(area.height / 2),
        width: width.min(area.width),
        height: 5.min(area.height),
    };
    frame.render_widget(Clear, dialog);
    let text = vec![
        Line::from(Span::styled(question.to_string(), theme.error)),
        Line::from(""),
        Line::from(Span::styled("y: delete   n/esc: keep", theme.key_hint)),
    ];
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.error)
                .title(" confirm "),
        ),
        dialog,
    );
}

/// The `?` pane: every key the console knows.
/// `:api`: every resource `:` opens, as `kubectl api-resources` prints
/// them (k9s's `:aliases`), with the names `:` takes for each.
pub fn resources() -> Detail {
    let header = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"];
    let rows: Vec<[String; 5]> = crate::api::Kind::all()
        .into_iter()
        .filter(|&kind| crate::tui::commands::viewable(kind))
        .map(|kind| {
            let info = kind.info();
            [
                info.plural.to_string(),
                info.short_names.join(","),
                info.api_version(),
                info.namespaced.to_string(),
                info.kind_name.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut text = String::new();
        for (cell, width) in cells.iter().zip(widths) {
            text.push_str(&format!("{cell:<width$}   "));
        }
        text.trim_end().to_string()
    };
    let mut lines = vec![line(header)];
    lines.extend(
        rows.iter()
            .map(|row| line(row.each_ref().map(String::as_str))),
    );
    Detail {
        title: "api resources (:NAME or :SHORTNAME opens one)".to_string(),
        lines,
        scroll: 0,
        kind: DetailKind::Help,
    }
}

pub fn help(keymap: &crate::tui::keymap::Keymap) -> Detail {
    let text = "\
RESOURCES
  :po :deploy :sts :ds :job :cj :svc :pvc :sa :crd ...   switch view (tab completes; any resource the server serves)
  :api              every resource with its short names, group and version
  :pod app=x        pods matching a label selector (app=x,tier!=db, env in (a,b), !canary)
  :ns NAME / :ns all / 0    namespace NAME / all namespaces
  :ctx / :ctx NAME  the kubeconfig's contexts / switch to one (podium --context NAME)
  enter             drill down (deployment → replicasets → pods; statefulset, daemonset, job, service → pods;
                    cronjob → its jobs; namespace → its pods; crd → its objects)
  esc               back (clears the filter first)
  /regex  /!regex  /-l app=x   filter rows (-l: a label selector)
  N A S             sort by name, age, status (again: reverse)
  space             mark a row (ctrl-d deletes the marked rows)
  j k ↑ ↓ pgup pgdn g G   move
LINES (: / and prompts)
  ctrl-a ctrl-e ← → alt-b alt-f move   ctrl-u ctrl-k ctrl-w alt-d cut   ctrl-y paste   ↑ ↓ history
ACTIONS
  d describe   y yaml   e edit (ctrl-s applies)   l logs (all pods of a workload, interleaved)   p previous logs
  o rollout view of a deployment (s, i, u, r keep working in it)
  s scale      i set image   r restart rollout   u undo rollout (pick the revision)
                (deployments, statefulsets, daemonsets; s also replicasets and replicationcontrollers)
  t on a cronjob: run it now (a job, as kubectl create job --from)   ctrl-s or :suspend  suspend/resume a cronjob or job
  ctrl-l on a replicaset: roll its deployment back to that revision
  s shell (pods: /bin/sh, else /bin/busybox sh; exit returns)
  shift-f port-forward a pod or service (local:remote)   f or :pf forwards (ctrl-d stops one)
  ctrl-d delete (asks first, naming the object)   a apply a file (samples/ offered)
  :new KIND  the editor on a new deployment, service, configmap, secret, ingress, pod or namespace
  x or :expose  the editor on a Service for the selected deployment or pod (ctrl-s creates)
  q or :q quit (workloads keep running)   ctrl-c quit
LOGS
  s autoscroll  w wrap  t timestamps  f fullscreen  p previous  c container  a all containers  / search (n N)
  0 tail  1 head  2 1m  3 5m  4 15m  5 30m  6 1h   ctrl-s save   ↑ ↓ pgup pgdn g G scroll   esc back";
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let rebound = keymap.rebound();
    if !rebound.is_empty() {
        lines.push("YOUR KEYS (podium.yaml keys:, over the defaults above)".to_string());
        lines.extend(rebound);
    }
    Detail {
        title: "help".to_string(),
        lines,
        scroll: 0,
        kind: DetailKind::Help,
    }
}

/// A block with the theme's border around a pane.
pub fn pane(title: String, theme: &Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(title, theme.accent))
}
