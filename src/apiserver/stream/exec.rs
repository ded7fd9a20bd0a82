//! `kubectl exec` over WebSocket (`v5.channel.k8s.io`, and `v4`): every
//! message (binary or text) starts with its channel — 0 stdin, 1 stdout, 2 stderr,
//! 3 error (one JSON `Status` when the command ends), 4 resize (JSON
//! `{"Width","Height"}`) and, in v5, 255 close (`[255, channel]`, the
//! client's end of stdin). The server closes the socket after the status.

use bytes::{BufMut, Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_util::sync::CancellationToken;

use super::upgrade::{ChannelMessage, Socket};
use crate::kubelet::{ExecChunk, ExecSession};

pub const PROTOCOL_V5: &str = "v5.channel.k8s.io";
pub const PROTOCOL_V4: &str = "v4.channel.k8s.io";

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;
const RESIZE: u8 = 4;
const CLOSE: u8 = 255;

/// The `Status` kubectl reads from the error channel: Success, or the exit
/// code as a `NonZeroExitCode` cause (kubectl exits with it).
pub fn exit_status(code: i32, command: &[String]) -> Value {
    if code == 0 {
        return json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"});
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": format!(
            "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
            command.join(" ")
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
    })
}

/// A failure that is not the command's own exit code.
pub fn internal_status(message: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": format!("error executing command in container: {message}"),
        "reason": "InternalError",
        "code": 500,
    })
}

fn on_channel(channel: u8, data: &[u8]) -> Message {
    let mut framed = BytesMut::with_capacity(data.len() + 1);
    framed.put_u8(channel);
    framed.put_slice(data);
    Message::Binary(framed.freeze())
}

/// `{"Width":80,"Height":24}` as kubectl's TerminalSize.
pub(crate) fn terminal_size(data: &[u8]) -> Option<(u16, u16)> {
    let size: Value = serde_json::from_slice(data).ok()?;
    let dimension = |key: &str| size[key].as_u64().and_then(|v| u16::try_from(v).ok());
    Some((dimension("Width")?, dimension("Height")?))
}

/// Carries one exec session over `socket` until the command ends (or the
/// client goes away).
pub async fn run(
    socket: Socket,
    session: ExecSession,
    command: Vec<String>,
    cancel: CancellationToken,
) {
    let (mut sink, mut incoming) = socket.split();
    let ExecSession {
        stdin,
        resize,
        mut output,
        exit_code,
    } = session;
    let (client_gone_tx, mut client_gone) = tokio::sync::oneshot::channel::<()>();
    let reader = tokio::spawn(async move {
        let mut stdin = stdin;
        while let Some(Ok(message)) = incoming.next().await {
            let data = match ChannelMessage::from(message) {
                ChannelMessage::Data(data) => data,
                ChannelMessage::Closed => break,
                ChannelMessage::Control => continue,
            };
            let Some((&channel, payload)) = data.split_first() else {
                continue;
            };
            match channel {
                STDIN => {
                    if let Some(tx) = &stdin
                        && !payload.is_empty()
                        && tx.send(Bytes::copy_from_slice(payload)).await.is_err()
                    {
                        stdin = None;
                    }
                }
                RESIZE => {
                    if let (Some(tx), Some(size)) = (&resize, terminal_size(payload)) {
                        let _ = tx.try_send(size);
                    }
                }
                // Dropping the sender is the command's end of input.
                CLOSE if payload.first() == Some(&STDIN) => stdin = None,
                _ => {}
            }
        }
        let _ = client_gone_tx.send(());
    });

    let finished = async {
        while let Some(chunk) = output.next().await {
            let message = match chunk {
                ExecChunk::Stdout(bytes) => on_channel(STDOUT, &bytes),
                ExecChunk::Stderr(bytes) => on_channel(STDERR, &bytes),
            };
            if sink.send(message).await.is_err() {
                return false;
            }
        }
        let status = match exit_code.await {
            Ok(code) => exit_status(code, &command),
            Err(_) => internal_status("the runtime reported no exit code"),
        };
        let status = serde_json::to_vec(&status).unwrap_or_default();
        if sink.send(on_channel(ERROR, &status)).await.is_err() {
            return false;
        }
        let close = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        sink.send(Message::Close(Some(close))).await.is_ok()
    };
    let completed = tokio::select! {
        completed = finished => completed,
        _ = &mut client_gone => false,
        _ = cancel.cancelled() => false,
    };
    if completed {
        // Give the client a moment to answer the close.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), client_gone).await;
    }
    reader.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_zero_exit_is_a_cause_kubectl_reads_as_its_exit_code() {
        let status = exit_status(3, &["sh".into(), "-c".into(), "exit 3".into()]);
        assert_eq!(status["status"], "Failure");
        assert_eq!(status["reason"], "NonZeroExitCode");
        assert_eq!(status["details"]["causes"][0]["reason"], "ExitCode");
        assert_eq!(status["details"]["causes"][0]["message"], "3");
        assert_eq!(exit_status(0, &[])["status"], "Success");
    }

    #[test]
    fn terminal_size_is_read_from_kubectl_json() {
        assert_eq!(
            terminal_size(br#"{"Width":120,"Height":40}"#),
            Some((120, 40))
        );
        assert_eq!(terminal_size(b"{}"), None);
    }
}
