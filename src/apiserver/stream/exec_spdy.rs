//! `kubectl exec` over SPDY/3.1 (`v4.channel.k8s.io`), kubectl's fallback
//! when the WebSocket is refused (or `KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`):
//! one stream per channel, named by its `streamType` header — `error`,
//! `stdin`, `stdout`, `stderr`, `resize` (a sequence of JSON sizes). The
//! command's end is FIN on stdout/stderr, then the `Status` on `error`.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::exec::{exit_status, internal_status};
use super::spdy::frame::RST_PROTOCOL_ERROR;
use super::spdy::{IncomingStream, StreamWriter};
use crate::kubelet::{ExecChunk, ExecSession};

pub const PROTOCOL_V4: &str = "v4.channel.k8s.io";

/// How long kubectl has to open the streams it asked for.
const STREAMS_WAIT: Duration = Duration::from_secs(30);

/// Which streams the request asked for (its query flags).
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

#[derive(Default)]
struct Streams {
    error: Option<IncomingStream>,
    stdin: Option<IncomingStream>,
    stdout: Option<IncomingStream>,
    stderr: Option<IncomingStream>,
    resize: Option<IncomingStream>,
}

impl Streams {
    fn complete(&self, expected: Expected) -> bool {
        self.error.is_some()
            && (!expected.stdin || self.stdin.is_some())
            && (!expected.stdout || self.stdout.is_some())
            && (!expected.stderr || expected.tty || self.stderr.is_some())
            && (!expected.tty || self.resize.is_some())
    }
}

async fn collect(
    incoming: &mut mpsc::Receiver<IncomingStream>,
    expected: Expected,
) -> Option<Streams> {
    let mut streams = Streams::default();
    while !streams.complete(expected) {
        let stream = incoming.recv().await?;
        let slot = match stream.headers.get("streamtype") {
            Some("error") => &mut streams.error,
            Some("stdin") => &mut streams.stdin,
            Some("stdout") => &mut streams.stdout,
            Some("stderr") => &mut streams.stderr,
            Some("resize") => &mut streams.resize,
            _ => {
                let _ = stream.out.reset(RST_PROTOCOL_ERROR).await;
                continue;
            }
        };
        stream.out.reply().await.ok()?;
        *slot = Some(stream);
    }
    Some(streams)
}

/// Runs `session` on the streams kubectl opens on the connection.
pub async fn run(
    mut incoming: mpsc::Receiver<IncomingStream>,
    session: ExecSession,
    command: Vec<String>,
    expected: Expected,
    cancel: CancellationToken,
) {
    let Ok(Some(streams)) =
        tokio::time::timeout(STREAMS_WAIT, collect(&mut incoming, expected)).await
    else {
        tracing::debug!("kubectl did not open the exec streams it asked for");
        return;
    };
    let ExecSession {
        stdin,
        resize,
        mut output,
        exit_code,
    } = session;
    let mut pumps = Vec::new();
    if let (Some(mut from_client), Some(to_command)) = (streams.stdin.map(|s| s.data), stdin) {
        pumps.push(tokio::spawn(async move {
            while let Some(bytes) = from_client.recv().await {
                if to_command.send(bytes).await.is_err() {
                    return;
                }
            }
            // Dropping `to_command` is the command's end of input.
        }));
    }
    if let (Some(mut sizes), Some(resize)) = (streams.resize.map(|s| s.data), resize) {
        pumps.push(tokio::spawn(async move {
            let mut pending = Vec::new();
            while let Some(bytes) = sizes.recv().await {
                pending.extend_from_slice(&bytes);
                for size in take_sizes(&mut pending) {
                    let _ = resize.try_send(size);
                }
            }
        }));
    }
    let error = streams.error.map(|s| s.out);
    let stdout = streams.stdout.map(|s| s.out);
    let stderr = streams.stderr.map(|s| s.out);
    let finished = async {
        while let Some(chunk) = output.next().await {
            let (stream, bytes) = match chunk {
                ExecChunk::Stdout(bytes) => (&stdout, bytes),
                ExecChunk::Stderr(bytes) => (&stderr, bytes),
            };
            if let Some(stream) = stream
                && stream.send(bytes).await.is_err()
            {
                return;
            }
        }
        finish(&stdout).await;
        finish(&stderr).await;
        let status = match exit_code.await {
            Ok(code) => exit_status(code, &command),
            Err(_) => internal_status("the runtime reported no exit code"),
        };
        if let Some(error) = &error {
            let _ = error
                .send(Bytes::from(serde_json::to_vec(&status).unwrap_or_default()))
                .await;
            let _ = error.finish().await;
        }
    };
    tokio::select! {
        _ = finished => {}
        _ = cancel.cancelled() => {}
    }
    for pump in pumps {
        pump.abort();
    }
}

async fn finish(stream: &Option<StreamWriter>) {
    if let Some(stream) = stream {
        let _ = stream.finish().await;
    }
}

/// The complete `{"Width":…,"Height":…}` values at the front of `pending`.
pub(crate) fn take_sizes(pending: &mut Vec<u8>) -> Vec<(u16, u16)> {
    let mut sizes = Vec::new();
    let mut values = serde_json::Deserializer::from_slice(pending).into_iter::<Value>();
    let mut used = 0;
    while let Some(Ok(value)) = values.next() {
        used = values.byte_offset();
        let dimension = |key: &str| value[key].as_u64().and_then(|v| u16::try_from(v).ok());
        if let (Some(width), Some(height)) = (dimension("Width"), dimension("Height")) {
            sizes.push((width, height));
        }
    }
    pending.drain(..used);
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_from_a_json_stream_split_anywhere() {
        let mut pending = br#"{"Width":80,"Height":24}{"Width":100,"Hei"#.to_vec();
        assert_eq!(take_sizes(&mut pending), vec![(80, 24)]);
        pending.extend_from_slice(br#"ght":30}"#);
        assert_eq!(take_sizes(&mut pending), vec![(100, 30)]);
        assert!(pending.is_empty());
    }
}
