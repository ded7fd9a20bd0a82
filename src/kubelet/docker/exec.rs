//! Commands in running containers through Docker exec: one-shot (probes,
//! hooks) and interactive sessions (kubectl exec, the console's shell).

use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
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
    ) -> Result<(String, StartExecResults), RuntimeError> {
        let options = CreateExecOptions {
            attach_stdin: Some(stdin),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(tty),
            cmd: Some(command.to_vec()),
            ..Default::default()
        };
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
        let (exec_id, started) = self.start_exec(id, command, false, false).await?;
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

    pub(super) async fn exec_interactive(
        &self,
        id: &str,
        request: &ExecRequest,
    ) -> Result<ExecSession, RuntimeError> {
        let (exec_id, started) = self
            .start_exec(id, &request.command, request.stdin, request.tty)
            .await?;
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

        let stdin = if request.stdin {
            let (stdin_tx, mut stdin_rx) = mpsc::channel::<Bytes>(16);
            tokio::spawn(async move {
                while let Some(bytes) = stdin_rx.recv().await {
                    if to_exec.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                // The sender was dropped: the command reads end of file.
                let _ = to_exec.shutdown().await;
            });
            Some(stdin_tx)
        } else {
            drop(to_exec);
            None
        };

        let resize = if request.tty {
            let (resize_tx, mut resize_rx) = mpsc::channel::<(u16, u16)>(4);
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
            Some(resize_tx)
        } else {
            None
        };

        let (output_tx, output_rx) = mpsc::channel(OUTPUT_BUFFER);
        let (exit_tx, exit_code) = oneshot::channel();
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

        Ok(ExecSession {
            stdin,
            resize,
            output: tokio_stream::wrappers::ReceiverStream::new(output_rx).boxed(),
            exit_code,
        })
    }
}
