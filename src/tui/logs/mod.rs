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

use std::path::PathBuf;

use crossterm::event::KeyEvent;
use k8s_openapi::jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::component::Outcome;
use super::theme::Theme;

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
    /// Since that long ago.
    Since(std::time::Duration),
}

/// Which logs to stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    pub namespace: String,
    /// One pod, or all pods of a Deployment interleaved.
    pub pods: Vec<String>,
    /// `None`: the pod's first (default) container.
    pub container: Option<String>,
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
}

impl LogsView {
    /// `containers`: the pod's containers, for the picker. `capacity`:
    /// lines kept (from the config).
    pub fn new(request: LogRequest, _containers: Vec<String>, _capacity: usize) -> LogsView {
        LogsView { request }
    }

    pub fn request(&self) -> &LogRequest {
        &self.request
    }

    pub fn push(&mut self, _line: LogLine) {}

    /// The source dropped `count` lines (e.g. a slow consumer); the view says so.
    pub fn skipped(&mut self, _count: u64) {}

    /// A pod's stream ended (container stopped, pod deleted, error).
    pub fn stream_ended(&mut self, _pod: &str, _reason: Option<String>) {}

    pub fn handle_key(&mut self, _key: KeyEvent) -> Outcome<LogsIntent> {
        Outcome::Ignored
    }

    pub fn draw(&self, _frame: &mut Frame, _area: Rect, _theme: &Theme) {}
}
