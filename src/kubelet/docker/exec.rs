//! Commands in running containers through Docker exec: one-shot (probes,
//! hooks) and interactive sessions (kubectl exec, the console's shell).

use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use bytes::Bytes;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};

use super::DockerRuntime;
use super::error::runtime_error;
use crate::kubelet::runtime::{ExecChunk, ExecOutput, ExecRequest, ExecSession, RuntimeError};

/// Output chunks a session buffers before the reader must catch up.
const OUTPUT_BUFFER: usize = 64;
/// Docker may close an exec's output a moment before it records the exit
/// code; it is asked again this often, this many times.
const EXIT_CODE_RETRY: Duration = Duration::from_millis(20);
const EXIT_CODE_ATTEMPTS: u32 = 100;
/// How long a TTY exec waits for the client's terminal size before it
/// starts with Docker's default.
const FIRST_SIZE_WAIT: Duration = Duration::from_millis(500);

fn chunk(output: LogOutput) -> Option<ExecChunk> {
    match output {
        LogOutput::StdOut { message } | LogOutput::Console { message } => {
            Some(ExecChunk::Stdout(message))
        }
        LogOutput::StdErr { message } => Some(ExecChunk::Stderr(message)),
        LogOutput::StdIn { .. } => None,
    }
}

impl DockerRuntime {
    /// Creates and starts an exec, attached.
    async fn start_exec(
        &self,
        id: &str,
        command: &[String],
        stdin: bool,
        tty: bool,
        size: Option<(u16, u16)>,
    ) -> Result<(String, StartExecResults), RuntimeError> {
        let mut options: ExecConfig = CreateExecOptions {
            attach_stdin: Some(stdin),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(tty),
            cmd: Some(command.to_vec()),
            ..Default::default()
        }
        .into();
        // Docker's ConsoleSize is [height, width].
        options.console_size =
            size.map(|(width, height)| vec![usize::from(height), usize::from(width)]);
        let created = self
            .inner
            .docker
            .create_exec(id, options)
            .await
            .map_err(runtime_error("exec", id))?;
        let start = StartExecOptions {
            detach: false,
            tty,
            output_capacity: None,
        };
        let started = self
            .inner
            .docker
            .start_exec(&created.id, Some(start))
            .await
            .map_err(runtime_error("exec", id))?;
        Ok((created.id, started))
    }

    /// The exit code once Docker has recorded it.
    async fn exit_code(&self, exec_id: &str) -> Result<i32, RuntimeError> {
        for _ in 0..EXIT_CODE_ATTEMPTS {
            let inspected = self
                .inner
                .docker
                .inspect_exec(exec_id)
                .await
                .map_err(runtime_error("exec", exec_id))?;
            if inspected.running != Some(true)
                && let Some(code) = inspected.exit_code
            {
                return Ok(i32::try_from(code).unwrap_or(-1));
            }
            tokio::time::sleep(EXIT_CODE_RETRY).await;
        }
        Err(RuntimeError::Failed {
            operation: "exec",
            message: format!("the engine reported no exit code for exec {exec_id}"),
        })
    }

    pub(super) async fn exec_once(
        &self,
        id: &str,
        command: &[String],
    ) -> Result<ExecOutput, RuntimeError> {
        let (exec_id, started) = self.start_exec(id, command, false, false, None).await?;
        let mut output = ExecOutput::default();
        if let StartExecResults::Attached {
            output: mut lines, ..
        } = started
        {
            while let Some(Ok(line)) = lines.next().await {
                match chunk(line) {
                    Some(ExecChunk::Stdout(bytes)) => output.stdout.extend_from_slice(&bytes),
                    Some(ExecChunk::Stderr(bytes)) => output.stderr.extend_from_slice(&bytes),
                    None => {}
                }
            }
        }
        output.exit_code = self.exit_code(&exec_id).await?;
        Ok(output)
    }

    /// An exec wired to channels. With a TTY the command starts once the
    /// client's first terminal size arrived (or after `FIRST_SIZE_WAIT`),
    /// so the terminal has its size from the start through Docker's
    /// ConsoleSize (API 1.42+; older engines get it by a resize right
    /// after the start, which a command that asks at once may miss).
    pub(super) async fn exec_interactive(
        &self,
        id: &str,
        request: &ExecRequest,
    ) -> Result<ExecSession, RuntimeError> {
        let (stdin_tx, stdin_rx) = mpsc::channel::<Bytes>(16);
        let (resize_tx, resize_rx) = mpsc::channel::<(u16, u16)>(4);
        let (output_tx, output_rx) = mpsc::channel(OUTPUT_BUFFER);
        let (exit_tx, exit_code) = oneshot::channel();
        let session = ExecSession {
            stdin: request.stdin.then_some(stdin_tx),
            resize: request.tty.then_some(resize_tx),
            output: tokio_stream::wrappers::ReceiverStream::new(output_rx).boxed(),
            exit_code,
        };
        let wiring = Wiring {
            stdin: stdin_rx,
            resize: resize_rx,
            output: output_tx,
            exit: exit_tx,
        };
        if !request.tty {
            let (exec_id, started) = self
                .start_exec(id, &request.command, request.stdin, false, None)
                .await?;
            self.wire(exec_id, started, wiring, request.stdin)?;
            return Ok(session);
        }
        let runtime = self.clone();
        let id = id.to_string();
        let request = request.clone();
        tokio::spawn(async move {
            let mut wiring = wiring;
            let size = tokio::time::timeout(FIRST_SIZE_WAIT, wiring.resize.recv())
                .await
                .ok()
                .flatten();
            let started = runtime
                .start_exec(&id, &request.command, request.stdin, true, size)
                .await;
            let failed = match started {
                Ok((exec_id, started)) => {
                    // Engines before API 1.42 ignore ConsoleSize: size it now.
                    if let Some((width, height)) = size {
                        let resize = ResizeExecOptions { height, width };
                        if let Err(error) = runtime.inner.docker.resize_exec(&exec_id, resize).await
                        {
                            tracing::debug!(%error, "sizing an exec's terminal");
                        }
                    }
                    runtime.wire(exec_id, started, wiring, request.stdin)
                }
                Err(error) => {
                    // The client sees why; without an exit code the session fails.
                    let message = Bytes::from(format!("{error}\n"));
                    let _ = wiring.output.send(ExecChunk::Stderr(message)).await;
                    Err(error)
                }
            };
            if let Err(error) = failed {
                tracing::debug!(%error, "starting an exec with a terminal");
            }
        });
        Ok(session)
    }

    /// Pumps stdin, resizes and output between the channels and Docker.
    fn wire(
        &self,
        exec_id: String,
        started: StartExecResults,
        wiring: Wiring,
        stdin: bool,
    ) -> Result<(), RuntimeError> {
        let StartExecResults::Attached {
            output: mut from_exec,
            input: mut to_exec,
        } = started
        else {
            return Err(RuntimeError::Failed {
                operation: "exec",
                message: "the engine started the exec detached".to_string(),
            });
        };
        let Wiring {
            stdin: mut stdin_rx,
            resize: mut resize_rx,
            output: output_tx,
            exit: exit_tx,
        } = wiring;

        if stdin {
            tokio::spawn(async move {
                while let Some(bytes) = stdin_rx.recv().await {
                    if to_exec.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                // The sender was dropped: the command reads end of file.
                let _ = to_exec.shutdown().await;
            });
        } else {
            drop(to_exec);
        }

        let runtime = self.clone();
        let exec = exec_id.clone();
        tokio::spawn(async move {
            while let Some((width, height)) = resize_rx.recv().await {
                let size = ResizeExecOptions { height, width };
                if let Err(error) = runtime.inner.docker.resize_exec(&exec, size).await {
                    tracing::debug!(%error, "resizing an exec's terminal");
                }
            }
        });

        let runtime = self.clone();
        tokio::spawn(async move {
            let mut reader_gone = false;
            while let Some(Ok(line)) = from_exec.next().await {
                // Read on after the reader left, so the exit code arrives.
                if let (Some(chunk), false) = (chunk(line), reader_gone) {
                    reader_gone = output_tx.send(chunk).await.is_err();
                }
            }
            drop(output_tx);
            match runtime.exit_code(&exec_id).await {
                Ok(code) => {
                    let _ = exit_tx.send(code);
                }
                Err(error) => tracing::debug!(%error, "an exec's exit code"),
            }
        });
        Ok(())
    }
}

/// The far ends of an `ExecSession`'s channels.
struct Wiring {
    stdin: mpsc::Receiver<Bytes>,
    resize: mpsc::Receiver<(u16, u16)>,
    output: mpsc::Sender<ExecChunk>,
    exit: oneshot::Sender<i32>,
}
