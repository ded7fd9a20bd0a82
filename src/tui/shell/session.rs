//! A shell that owns the terminal: the console has left the alternate
//! screen (raw mode stays on, so every key — ctrl-c included — goes to the
//! shell, as with `kubectl exec -it`); keys go to the command's stdin, its
//! output to the terminal, window size changes to its terminal; it ends
//! when the command does.

use bytes::Bytes;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::signal::unix::{SignalKind, signal};

use super::tty::TtyInput;
use super::{ShellError, ShellRequest};
use crate::handle::{ClusterHandle, ExecOutput, ExecParams, TerminalSize};

fn terminal_size() -> Option<TerminalSize> {
    crossterm::terminal::size()
        .ok()
        .map(|(width, height)| TerminalSize { width, height })
}

/// Runs the shell until it exits; its exit code.
pub async fn run(handle: &dyn ClusterHandle, request: &ShellRequest) -> Result<i32, ShellError> {
    let failed = |message: String| ShellError::Failed {
        pod: format!("{}/{}", request.namespace, request.pod),
        message,
    };
    let input = TtyInput::open()?;
    let mut window = signal(SignalKind::window_change())?;
    let mut stdout = tokio::io::stdout();
    let banner = format!(
        "podium: {} in pod {}/{} (container {}); `exit` returns to the console\r\n",
        request.which, request.namespace, request.pod, request.container
    );
    stdout.write_all(banner.as_bytes()).await?;
    stdout.flush().await?;

    let params = ExecParams {
        container: Some(request.container.clone()),
        command: request.command.clone(),
        stdin: true,
        tty: true,
    };
    let process = handle
        .exec(&request.namespace, &request.pod, params)
        .await
        .map_err(|error| failed(error.to_string()))?;
    let mut stdin = process.stdin;
    let resize = process.resize;
    let mut output = process.output;
    if let (Some(resize), Some(size)) = (&resize, terminal_size()) {
        let _ = resize.send(size).await;
    }
    let mut buf = vec![0u8; 4096];
    loop {
        tokio::select! {
            chunk = output.next() => match chunk {
                Some(ExecOutput::Stdout(bytes) | ExecOutput::Stderr(bytes)) => {
                    stdout.write_all(&bytes).await?;
                    stdout.flush().await?;
                }
                None => break,
            },
            read = input.read(&mut buf), if stdin.is_some() => match read {
                Ok(n) if n > 0 => {
                    let bytes = Bytes::copy_from_slice(&buf[..n]);
                    if let Some(sender) = &stdin
                        && sender.send(bytes).await.is_err()
                    {
                        stdin = None;
                    }
                }
                // The terminal closed: so does the shell's input.
                _ => stdin = None,
            },
            _ = window.recv() => {
                if let (Some(resize), Some(size)) = (&resize, terminal_size()) {
                    let _ = resize.try_send(size);
                }
            }
        }
    }
    drop(stdin);
    process
        .status
        .await
        .map_err(|error| failed(error.to_string()))
}
