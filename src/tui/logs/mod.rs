//! The logs view: follow one pod's or several pods' logs with autoscroll,
//! wrap, timestamps, previous container, search and time windows, in a
//! ring buffer of bounded size that says how many lines it dropped.
//!
//! CONTRACT (owned by the logs view's author; the app integrates against
//! these signatures): the app opens a `LogsView` with a [`LogRequest`],
//! starts one log stream per pod through the cluster handle, and
//! [`LogsView::push`]es every line; on `Reopen` it stops the streams and
//! starts new ones for the new request (the view keeps or clears its
//! buffer as it sees fit); on `Save` it writes `contents` to `path` in a
//! task and flashes the result; on `Close` it stops the streams.
//!
//! On `Reopen` this view clears its buffer: the new streams replay the
//! window asked for.

mod render;
mod ring;
mod search;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use k8s_openapi::jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, Paragraph};

use super::component::Outcome;
use super::theme::Theme;
use render::{Shape, thousands};
use ring::{Entry, Ring};
use search::Query;

/// One line of a container's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub pod: String,
    pub container: String,
    /// The runtime's timestamp (the app always asks for timestamps; the
    /// view shows them only when `t` is on).
    pub timestamp: Option<Timestamp>,
    pub text: String,
}

/// How far back to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogWindow {
    /// The last lines (the view's tail size).
    #[default]
    Tail,
    /// The first lines (the view's tail size), from the container's start.
    Head,
    /// Since that long ago.
    Since(std::time::Duration),
}

impl LogWindow {
    fn label(self) -> String {
        match self {
            LogWindow::Tail => "tail".to_string(),
            LogWindow::Head => "head".to_string(),
            LogWindow::Since(d) if d.as_secs() >= 3600 => format!("{}h", d.as_secs() / 3600),
            LogWindow::Since(d) => format!("{}m", d.as_secs() / 60),
        }
    }
}

/// Which logs to stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    pub namespace: String,
    /// One pod, or all pods of a Deployment interleaved.
    pub pods: Vec<String>,
    /// `None`: the pod's first (default) container.
    pub container: Option<String>,
    /// Every container of each pod, each line tagged with its container
    /// (k9s's `a`); `container` is then not used.
    pub all_containers: bool,
    pub previous: bool,
    pub window: LogWindow,
    /// Lines to ask for with [`LogWindow::Tail`].
    pub tail_lines: u32,
}

/// What the logs view asks its owner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogsIntent {
    /// Restart the streams with these options.
    Reopen(LogRequest),
    /// Write the buffer to a file.
    Save {
        path: PathBuf,
        contents: String,
    },
    Close,
}

pub struct LogsView {
    request: LogRequest,
    containers: Vec<String>,
    ring: Ring,
    follow: bool,
    wrap: bool,
    timestamps: bool,
    /// Over the whole terminal (`f`).
    fullscreen: bool,
    /// Sequence number of the top entry when not following.
    top: u64,
    /// Lines the source said it skipped.
    skipped: u64,
    query: Option<Query>,
    /// The hit n/N moved to.
    current_hit: Option<u64>,
    /// Text typed after `/`, while typing.
    input: Option<String>,
    /// The container picker's selection, while open.
    picker: Option<usize>,
    /// Rows of the last frame, for paging.
    height: Cell<usize>,
}

impl LogsView {
    /// `containers`: the pod's containers, for the picker. `capacity`:
    /// lines kept (from the config).
    pub fn new(request: LogRequest, containers: Vec<String>, capacity: usize) -> LogsView {
        LogsView {
            request,
            containers,
            ring: Ring::new(capacity),
            follow: true,
            wrap: false,
            timestamps: false,
            fullscreen: false,
            top: 0,
            skipped: 0,
            query: None,
            current_hit: None,
            input: None,
            picker: None,
            height: Cell::new(20),
        }
    }

    pub fn request(&self) -> &LogRequest {
        &self.request
    }

    pub fn push(&mut self, line: LogLine) {
        self.ring.push(Entry::Line(line));
    }

    /// The source dropped `count` lines (e.g. a slow consumer); the view says so.
    pub fn skipped(&mut self, count: u64) {
        if count == 0 {
            return;
        }
        self.skipped += count;
        self.ring.push(Entry::Note(format!(
            "{} lines skipped by the source here",
            thousands(count)
        )));
    }

    /// Pods whose streams joined since the view opened (a workload's new
    /// pods): their lines carry their names from now on.
    pub fn add_pods(&mut self, pods: Vec<String>) {
        for pod in pods {
            if !self.request.pods.contains(&pod) {
                self.ring
                    .push(Entry::Note(format!("log stream of {pod} joined")));
                self.request.pods.push(pod);
            }
        }
    }

    /// A container's stream ended (it stopped, the pod went, an error).
    pub fn stream_ended(&mut self, pod: &str, container: &str, reason: Option<String>) {
        let pod = if self.request.all_containers {
            format!("{pod} ({container})")
        } else {
            pod.to_string()
        };
        let note = match reason {
            Some(reason) => format!("log stream of {pod} ended: {reason}"),
            None => format!("log stream of {pod} ended"),
        };
        self.ring.push(Entry::Note(note));
    }

    /// Lines that fell out of the ring buffer.
    pub fn dropped(&self) -> u64 {
        self.ring.dropped()
    }

    /// Lines (and notes) held now.
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ring.len() == 0
    }

    /// When the newest line held was written (the runtime's timestamp).
    pub fn newest_timestamp(&self) -> Option<Timestamp> {
        self.ring.iter().rev().find_map(|(_, entry)| match entry {
            Entry::Line(line) => line.timestamp,
            Entry::Note(_) => None,
        })
    }

    pub fn is_fullscreen(&self) -> bool {
        self.fullscreen
    }

    pub fn is_following(&self) -> bool {
        self.follow
    }

    /// The search hits' sequence numbers; the current one.
    pub fn current_hit(&self) -> Option<u64> {
        self.current_hit
    }

    /// The text of the held entry `seq` (for tests and copy).
    pub fn line_text(&self, seq: u64) -> Option<&str> {
        self.ring.get(seq).map(Entry::text)
    }

    fn shape(&self) -> Shape<'_> {
        Shape {
            timestamps: self.timestamps,
            prefixes: self.request.pods.len() > 1,
            containers: self.request.all_containers,
            query: self.query.as_ref(),
            current_hit: false,
        }
    }

    /// The pod's prefix colour: its place in the request, so it stays the
    /// same for the life of the view.
    fn prefix_style(&self, pod: &str, theme: &Theme) -> Style {
        let count = theme.log_prefixes.len();
        if count == 0 {
            return theme.accent;
        }
        let index = self
            .request
            .pods
            .iter()
            .position(|p| p == pod)
            .unwrap_or_else(|| {
                pod.bytes().fold(0usize, |h, b| {
                    h.wrapping_mul(31).wrapping_add(usize::from(b))
                })
            });
        theme.log_prefixes[index % count]
    }

    /// The buffer as shown, and a file name `<pod>-<timestamp>.log`.
    pub fn save_intent(&self, now: Timestamp) -> LogsIntent {
        let shape = self.shape();
        let mut contents = String::new();
        for (_, entry) in self.ring.iter() {
            contents.push_str(&render::plain(entry, &shape));
            contents.push('\n');
        }
        let name = match self.request.pods.as_slice() {
            [one] => one.clone(),
            many => common_prefix(many),
        };
        let stamp = now.strftime("%Y%m%d-%H%M%S");
        LogsIntent::Save {
            path: PathBuf::from(format!("{name}-{stamp}.log")),
            contents,
        }
    }

    fn reopen(&mut self, change: impl FnOnce(&mut LogRequest)) -> Outcome<LogsIntent> {
        change(&mut self.request);
        self.ring.clear();
        self.skipped = 0;
        self.top = 0;
        self.current_hit = None;
        self.follow = true;
        Outcome::Intent(LogsIntent::Reopen(self.request.clone()))
    }

    /// The top entry when following: the last page.
    fn bottom_top(&self) -> u64 {
        let page = self.height.get().max(1) as u64;
        self.ring.end().saturating_sub(page).max(self.ring.first())
    }

    fn scroll_to(&mut self, top: u64) {
        self.top = top.clamp(self.ring.first(), self.bottom_top());
    }

    fn scroll_up(&mut self, rows: u64) {
        let from = if self.follow {
            self.bottom_top()
        } else {
            self.top
        };
        self.follow = false;
        self.scroll_to(from.saturating_sub(rows));
    }

    fn scroll_down(&mut self, rows: u64) {
        if !self.follow {
            self.scroll_to(self.top + rows);
        }
    }

    /// Moves to the next (or previous) hit from the current one.
    fn jump(&mut self, forward: bool) -> Outcome<LogsIntent> {
        let Some(query) = &self.query else {
            return Outcome::Consumed;
        };
        let from = self.current_hit.unwrap_or(if forward {
            self.top.saturating_sub(1)
        } else {
            self.ring.end()
        });
        let hit = if forward {
            self.ring
                .iter()
                .find(|(seq, e)| *seq > from && query.matches(e.text()))
        } else {
            self.ring
                .iter()
                .rev()
                .find(|(seq, e)| *seq < from && query.matches(e.text()))
        };
        if let Some((seq, _)) = hit {
            self.current_hit = Some(seq);
            self.follow = false;
            let half = (self.height.get() / 2) as u64;
            self.scroll_to(seq.saturating_sub(half));
        }
        Outcome::Consumed
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> Outcome<LogsIntent> {
        if let Some(input) = &mut self.input {
            match key.code {
                KeyCode::Esc => self.input = None,
                KeyCode::Enter => {
                    self.query = Query::new(input);
                    self.input = None;
                    self.current_hit = None;
                    return self.jump(false);
                }
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Char(c) => input.push(c),
                _ => {}
            }
            return Outcome::Consumed;
        }
        if let Some(selected) = self.picker {
            let count = self.containers.len();
            match key.code {
                KeyCode::Esc => self.picker = None,
                KeyCode::Up | KeyCode::Char('k') => self.picker = Some(selected.saturating_sub(1)),
                KeyCode::Down | KeyCode::Char('j') => {
                    self.picker = Some((selected + 1).min(count.saturating_sub(1)));
                }
                KeyCode::Enter => {
                    self.picker = None;
                    if let Some(name) = self.containers.get(selected).cloned() {
                        return self.reopen(|r| r.container = Some(name));
                    }
                }
                _ => {}
            }
            return Outcome::Consumed;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let page = self.height.get().max(1) as u64;
        match key.code {
            KeyCode::Char('s') if ctrl => {
                return Outcome::Intent(self.save_intent(Timestamp::now()));
            }
            KeyCode::Esc if self.query.is_some() => {
                self.query = None;
                self.current_hit = None;
            }
            KeyCode::Esc | KeyCode::Char('q') => return Outcome::Intent(LogsIntent::Close),
            KeyCode::Char('s') => {
                self.follow = !self.follow;
                if !self.follow {
                    self.top = self.bottom_top();
                }
            }
            KeyCode::Char('w') => self.wrap = !self.wrap,
            KeyCode::Char('f') => self.fullscreen = !self.fullscreen,
            KeyCode::Char('t') => self.timestamps = !self.timestamps,
            KeyCode::Char('p') => return self.reopen(|r| r.previous = !r.previous),
            KeyCode::Char('a') if self.containers.len() > 1 => {
                return self.reopen(|r| r.all_containers = !r.all_containers);
            }
            KeyCode::Char('c') if self.containers.len() > 1 => {
                let current = self.request.container.as_ref();
                let at = current
                    .and_then(|c| self.containers.iter().position(|x| x == c))
                    .unwrap_or(0);
                self.picker = Some(at);
            }
            KeyCode::Char('/') => self.input = Some(String::new()),
            KeyCode::Char('n') => return self.jump(true),
            KeyCode::Char('N') => return self.jump(false),
            // k9s's windows, on the same digits.
            KeyCode::Char(c @ '0'..='6') => {
                let minutes = |m: u64| LogWindow::Since(Duration::from_secs(m * 60));
                let window = match c {
                    '1' => LogWindow::Head,
                    '2' => minutes(1),
                    '3' => minutes(5),
                    '4' => minutes(15),
                    '5' => minutes(30),
                    '6' => minutes(60),
                    _ => LogWindow::Tail,
                };
                return self.reopen(|r| r.window = window);
            }
            KeyCode::Up | KeyCode::Char('k') => self.scroll_up(1),
            KeyCode::Down | KeyCode::Char('j') => self.scroll_down(1),
            KeyCode::PageUp => self.scroll_up(page),
            KeyCode::PageDown => self.scroll_down(page),
            KeyCode::Char('g') | KeyCode::Home => {
                self.follow = false;
                self.top = self.ring.first();
            }
            KeyCode::Char('G') | KeyCode::End => self.follow = true,
            _ => return Outcome::Ignored,
        }
        Outcome::Consumed
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let pods = match self.request.pods.as_slice() {
            [one] => one.clone(),
            many => format!("{} pods", many.len()),
        };
        let container = match &self.request.container {
            _ if self.request.all_containers => "all containers",
            Some(container) => container.as_str(),
            None => "default container",
        };
        let previous = if self.request.previous {
            " · previous"
        } else {
            ""
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(
                format!(" logs {pods} ({container}){previous} "),
                theme.accent,
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [status_area, body_area, footer_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(self.status_line(theme)), status_area);
        self.height.set(usize::from(body_area.height));
        frame.render_widget(Paragraph::new(self.body(body_area, theme)), body_area);
        frame.render_widget(Paragraph::new(self.footer(theme)), footer_area);
        if let Some(selected) = self.picker {
            self.draw_picker(frame, body_area, selected, theme);
        }
    }

    fn status_line(&self, theme: &Theme) -> Line<'static> {
        let on = |b: bool| if b { "on" } else { "off" };
        // Losses first, so a narrow terminal never hides them.
        let mut spans = Vec::new();
        if self.ring.dropped() > 0 {
            spans.push(Span::styled(
                format!(
                    "… {} older lines dropped (buffer {} lines)  ",
                    thousands(self.ring.dropped()),
                    thousands(self.ring.capacity() as u64)
                ),
                theme.warning,
            ));
        }
        if self.skipped > 0 {
            spans.push(Span::styled(
                format!(
                    "… {} lines skipped by the source  ",
                    thousands(self.skipped)
                ),
                theme.warning,
            ));
        }
        spans.push(Span::styled(
            format!(
                "{} · autoscroll {} · wrap {} · timestamps {}",
                self.request.window.label(),
                on(self.follow),
                on(self.wrap),
                on(self.timestamps)
            ),
            theme.muted,
        ));
        Line::from(spans)
    }

    /// Only the entries that fit are rendered.
    fn body(&self, area: Rect, theme: &Theme) -> Vec<Line<'static>> {
        let height = usize::from(area.height);
        let width = usize::from(area.width);
        let mut shape = self.shape();
        let start = if self.follow {
            // Walk back from the newest entry until the page is full.
            let mut rows = 0;
            let mut start = self.ring.end();
            for (seq, entry) in self.ring.iter().rev() {
                let r = render::rows(entry, &shape, width, self.wrap);
                if rows + r > height && rows > 0 {
                    break;
                }
                rows += r;
                start = seq;
            }
            start
        } else {
            self.top
        };
        let mut out = Vec::with_capacity(height);
        for (seq, entry) in self.ring.iter_from(start) {
            if out.len() >= height {
                break;
            }
            shape.current_hit = self.current_hit == Some(seq);
            let prefix = match entry {
                Entry::Line(l) => self.prefix_style(&l.pod, theme),
                Entry::Note(_) => theme.warning,
            };
            out.extend(render::lines(
                entry, &shape, prefix, theme, width, self.wrap,
            ));
        }
        out.truncate(height);
        out
    }

    fn footer(&self, theme: &Theme) -> Line<'static> {
        if let Some(input) = &self.input {
            return Line::from(vec![
                Span::styled("/", theme.accent),
                Span::raw(input.clone()),
                Span::styled("█", theme.muted),
            ]);
        }
        let mut spans = Vec::new();
        if let Some(query) = &self.query {
            let hits = self
                .ring
                .iter()
                .filter(|(_, e)| query.matches(e.text()))
                .count();
            spans.push(Span::styled(
                format!("/{} ({hits} lines) n/N  ", query.as_str()),
                theme.accent,
            ));
        }
        // `a` only means something for a pod of several containers.
        let all = if self.containers.len() > 1 {
            "a all · "
        } else {
            ""
        };
        spans.push(Span::styled(
            format!(
                "s autoscroll · w wrap · t time · f full · p previous · c container · {all}/ search · 0-6 window · ctrl-s save"
            ),
            theme.key_hint,
        ));
        Line::from(spans)
    }

    fn draw_picker(&self, frame: &mut Frame, area: Rect, selected: usize, theme: &Theme) {
        let width = self.containers.iter().map(String::len).max().unwrap_or(10) as u16 + 6;
        let height = self.containers.len() as u16 + 2;
        let popup = Rect {
            x: area.x + 2,
            y: area.y + 1,
            width: width.min(area.width.saturating_sub(2)),
            height: height.min(area.height.saturating_sub(1)),
        };
        let items: Vec<ListItem> = self
            .containers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let style = if i == selected {
                    theme.selected
                } else {
                    theme.body
                };
                ListItem::new(Span::styled(format!(" {c} "), style))
            })
            .collect();
        frame.render_widget(Clear, popup);
        frame.render_widget(
            List::new(items).block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border_focus)
                    .title(" container "),
            ),
            popup,
        );
    }
}

/// `web-7d4-abc`, `web-7d4-xyz` → `web-7d4`; `logs` when nothing is shared.
fn common_prefix(pods: &[String]) -> String {
    let Some(first) = pods.first() else {
        return "logs".to_string();
    };
    let mut len = first.len();
    for pod in &pods[1..] {
        len = first
            .bytes()
            .zip(pod.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    let prefix = first[..len].trim_end_matches('-');
    if prefix.is_empty() {
        "logs".to_string()
    } else {
        prefix.to_string()
    }
}
