//! The shapes of the streaming calls, after kube-rs's `AttachParams`,
//! `AttachedProcess` and `Portforwarder`, so that a kube-rs backend can
//! hand its own streams over unchanged in meaning.

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;

use super::HandleError;

/// What to run, and which streams to attach (kube-rs: `AttachParams`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecParams {
    /// `None`: the pod's only container (an error names the choices when
    /// there are several).
    pub container: Option<String>,
    pub command: Vec<String>,
    pub stdin: bool,
    /// A terminal: stdout and stderr arrive as one stream, resizes apply.
    pub tty: bool,
}

/// A terminal's size in cells (kube-rs: `TerminalSize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalSize {
    pub width: u16,
    pub height: u16,
}

/// A piece of a command's output, by stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecOutput {
    Stdout(Bytes),
    Stderr(Bytes),
}

/// A command running in a container (kube-rs: `AttachedProcess`).
pub struct AttachedProcess {
    /// Present when stdin was asked for; dropping it closes the command's
    /// stdin.
    pub stdin: Option<mpsc::Sender<Bytes>>,
    /// stdout and stderr as they come; ends when the command closed them.
    pub output: BoxStream<'static, ExecOutput>,
    /// Present with a terminal: new sizes for it.
    pub resize: Option<mpsc::Sender<TerminalSize>>,
    /// The exit code once the command ended.
    pub status: BoxFuture<'static, Result<i32, HandleError>>,
}

impl std::fmt::Debug for AttachedProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachedProcess")
            .field("stdin", &self.stdin.is_some())
            .field("resize", &self.resize.is_some())
            .finish_non_exhaustive()
    }
}

/// Bytes both ways to one port of a pod (kube-rs: what
/// `Portforwarder::take_stream` hands out).
pub type PortStream = Box<dyn PortConnection>;

/// A duplex byte stream.
pub trait PortConnection: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> PortConnection for T {}

/// Splits a byte stream into lines (a line may span chunks).
pub fn lines(bytes: BoxStream<'static, Bytes>) -> BoxStream<'static, String> {
    futures::stream::unfold(
        (
            bytes,
            Vec::<u8>::new(),
            std::collections::VecDeque::<String>::new(),
        ),
        |(mut bytes, mut partial, mut ready)| async move {
            loop {
                if let Some(line) = ready.pop_front() {
                    return Some((line, (bytes, partial, ready)));
                }
                match bytes.next().await {
                    Some(chunk) => {
                        for &byte in chunk.iter() {
                            if byte == b'\n' {
                                ready.push_back(String::from_utf8_lossy(&partial).into_owned());
                                partial.clear();
                            } else {
                                partial.push(byte);
                            }
                        }
                    }
                    None if partial.is_empty() => return None,
                    None => {
                        let line = String::from_utf8_lossy(&partial).into_owned();
                        partial.clear();
                        return Some((line, (bytes, partial, ready)));
                    }
                }
            }
        },
    )
    .boxed()
}
