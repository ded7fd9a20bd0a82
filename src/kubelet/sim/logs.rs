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

#[derive(Debug, Default)]
pub struct LogBuffer {
    lines: VecDeque<(Timestamp, String)>,
    /// Followers' channel, made on the first follow (10,000 idle containers
    /// must not each hold a channel).
    live: Option<broadcast::Sender<(Timestamp, String)>>,
    closed: bool,
}

impl LogBuffer {
    pub fn push(&mut self, line: String) {
        let at = crate::clock::now();
        if self.lines.len() >= MAX_LINES {
            self.lines.pop_front();
        }
        if let Some(live) = &self.live {
            // No followers left is fine.
            let _ = live.send((at, line.clone()));
        }
        self.lines.push_back((at, line));
    }

    /// Ends every follow stream: the container exited.
    pub fn close(&mut self) {
        self.live = None;
        self.closed = true;
    }

    /// The requested lines, and a follow stream when asked for and the
    /// container still runs. Called under the runtime's lock, so no line
    /// falls between the backlog and the live part.
    pub fn stream(&mut self, request: &LogRequest) -> BoxStream<'static, Bytes> {
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
        if self.closed || !request.follow {
            return futures::stream::iter(backlog).boxed();
        }
        let live = self
            .live
            .get_or_insert_with(|| broadcast::channel(1024).0)
            .subscribe();
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
            // Never silently: the reader learns how many lines it missed.
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                let notice =
                    format!("podium: {missed} lines skipped: this reader fell behind the log");
                if tx
                    .send(render(crate::clock::now(), &notice, timestamps))
                    .await
                    .is_err()
                {
                    return;
                }
            }
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
