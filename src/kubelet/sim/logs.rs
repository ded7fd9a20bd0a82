//! A container's log in the simulated runtime: a bounded buffer of lines
//! plus a broadcast for followers, closed when the container exits.

use std::collections::VecDeque;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use k8s_openapi::jiff::Timestamp;
use tokio::sync::{broadcast, mpsc};

use crate::kubelet::runtime::LogRequest;

/// Lines kept per container; older ones are dropped like a rotated log.
const MAX_LINES: usize = 10_000;

#[derive(Debug)]
pub struct LogBuffer {
    lines: VecDeque<(Timestamp, String)>,
    live: Option<broadcast::Sender<(Timestamp, String)>>,
}

impl Default for LogBuffer {
    fn default() -> Self {
        LogBuffer {
            lines: VecDeque::new(),
            live: Some(broadcast::channel(1024).0),
        }
    }
}

impl LogBuffer {
    pub fn push(&mut self, line: String) {
        let at = crate::clock::now();
        if self.lines.len() >= MAX_LINES {
            self.lines.pop_front();
        }
        if let Some(live) = &self.live {
            // No followers is fine.
            let _ = live.send((at, line.clone()));
        }
        self.lines.push_back((at, line));
    }

    /// Ends every follow stream: the container exited.
    pub fn close(&mut self) {
        self.live = None;
    }

    /// The requested lines, and a follow stream when asked for and the
    /// container still runs. Called under the runtime's lock, so no line
    /// falls between the backlog and the live part.
    pub fn stream(&self, request: &LogRequest) -> BoxStream<'static, Bytes> {
        let timestamps = request.timestamps;
        let since = request.since;
        let mut backlog: Vec<Bytes> = self
            .lines
            .iter()
            .filter(|(at, _)| since.is_none_or(|s| *at >= s))
            .map(|(at, line)| render(*at, line, timestamps))
            .collect();
        if let Some(tail) = request.tail_lines {
            let skip = backlog.len().saturating_sub(tail);
            backlog.drain(..skip);
        }
        let live = match (&self.live, request.follow) {
            (Some(live), true) => live.subscribe(),
            _ => return futures::stream::iter(backlog).boxed(),
        };
        let (tx, rx) = mpsc::channel::<Bytes>(256);
        tokio::spawn(follow(backlog, live, tx, timestamps));
        tokio_stream::wrappers::ReceiverStream::new(rx).boxed()
    }
}

async fn follow(
    backlog: Vec<Bytes>,
    mut live: broadcast::Receiver<(Timestamp, String)>,
    tx: mpsc::Sender<Bytes>,
    timestamps: bool,
) {
    for chunk in backlog {
        if tx.send(chunk).await.is_err() {
            return;
        }
    }
    loop {
        match live.recv().await {
            Ok((at, line)) => {
                if tx.send(render(at, &line, timestamps)).await.is_err() {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

fn render(at: Timestamp, line: &str, timestamps: bool) -> Bytes {
    if timestamps {
        Bytes::from(format!("{at:.9} {line}\n"))
    } else {
        Bytes::from(format!("{line}\n"))
    }
}
