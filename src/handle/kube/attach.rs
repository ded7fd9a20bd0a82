//! exec and port-forward through kube-rs's WebSocket support, handed to
//! the console in the handle's own shapes.

use bytes::Bytes;
use futures::{FutureExt, SinkExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{AttachParams, AttachedProcess as KubeProcess, TerminalSize as KubeSize};
use kube::{Api, Client};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_util::io::ReaderStream;

use super::transport::innermost;
use crate::handle::{
    AttachedProcess, ExecOutput, ExecParams, HandleError, PortStream, TerminalSize,
};

pub async fn exec(
    client: Client,
    namespace: &str,
    pod: &str,
    params: ExecParams,
) -> Result<AttachedProcess, HandleError> {
    if params.command.is_empty() {
        return Err(HandleError::Invalid(
            "exec needs a command, e.g. /bin/sh".to_string(),
        ));
    }
    let attach = AttachParams {
        container: params.container.clone(),
        stdin: params.stdin,
        stdout: true,
        // With a terminal both streams arrive as one.
        stderr: !params.tty,
        tty: params.tty,
        ..AttachParams::default()
    };
    let api: Api<Pod> = Api::namespaced(client, namespace);
    let mut process = api
        .exec(pod, params.command.clone(), &attach)
        .await
        .map_err(|error| connect_error(&error, pod))?;
    Ok(adapt(&mut process, pod))
}

/// kube-rs's process as the handle's: stdin from a channel, stdout and
/// stderr as one stream, sizes from a channel, the exit code from the
/// Status the server sends last.
fn adapt(process: &mut KubeProcess, pod: &str) -> AttachedProcess {
    let stdin = process.stdin().map(|mut writer| {
        let (sender, mut chunks) = mpsc::channel::<Bytes>(16);
        tokio::spawn(async move {
            while let Some(chunk) = chunks.recv().await {
                if writer.write_all(&chunk).await.is_err() {
                    return;
                }
                let _ = writer.flush().await;
            }
            // The sender was dropped: close the command's stdin.
            let _ = writer.shutdown().await;
        });
        sender
    });
    let stdout = process
        .stdout()
        .map(|reader| {
            ReaderStream::new(reader)
                .filter_map(|chunk| async move { chunk.ok().map(ExecOutput::Stdout) })
                .boxed()
        })
        .unwrap_or_else(|| futures::stream::empty().boxed());
    let stderr = process
        .stderr()
        .map(|reader| {
            ReaderStream::new(reader)
                .filter_map(|chunk| async move { chunk.ok().map(ExecOutput::Stderr) })
                .boxed()
        })
        .unwrap_or_else(|| futures::stream::empty().boxed());
    let resize = process.terminal_size().map(|mut sizes| {
        let (sender, mut wanted) = mpsc::channel::<TerminalSize>(4);
        tokio::spawn(async move {
            while let Some(size) = wanted.recv().await {
                let size = KubeSize {
                    width: size.width,
                    height: size.height,
                };
                if sizes.send(size).await.is_err() {
                    return;
                }
            }
        });
        sender
    });
    let pod = pod.to_string();
    let status = process.take_status();
    let status = async move {
        let status = match status {
            Some(status) => status.await,
            None => None,
        };
        exit_code(status, &pod)
    }
    .boxed();
    AttachedProcess {
        stdin,
        output: futures::stream::select(stdout, stderr).boxed(),
        resize,
        status,
    }
}

/// The exit code in the Status that ends an exec (upstream: Success, or
/// Failure with reason NonZeroExitCode and an ExitCode cause).
fn exit_code(status: Option<Status>, pod: &str) -> Result<i32, HandleError> {
    let Some(status) = status else {
        return Err(HandleError::Connect(format!(
            "the connection to pod {pod} closed before the command's exit code came"
        )));
    };
    if status.status.as_deref() == Some("Success") {
        return Ok(0);
    }
    let code = status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|causes| {
            causes
                .iter()
                .find(|c| c.reason.as_deref() == Some("ExitCode"))
        })
        .and_then(|c| c.message.as_deref())
        .and_then(|m| m.parse::<i32>().ok());
    code.ok_or_else(|| {
        HandleError::Connect(
            status
                .message
                .unwrap_or_else(|| format!("the command in pod {pod} failed")),
        )
    })
}

pub async fn port_forward(
    client: Client,
    namespace: &str,
    pod: &str,
    port: u16,
) -> Result<PortStream, HandleError> {
    let api: Api<Pod> = Api::namespaced(client, namespace);
    let mut forwarder = api
        .portforward(pod, &[port])
        .await
        .map_err(|error| connect_error(&error, pod))?;
    let stream = forwarder.take_stream(port).ok_or_else(|| {
        HandleError::Connect(format!(
            "no stream for port {port} of pod {namespace}/{pod}"
        ))
    })?;
    let errors = forwarder.take_error(port);
    let what = format!("{namespace}/{pod}:{port}");
    tokio::spawn(async move {
        if let Some(errors) = errors
            && let Some(error) = errors.await
        {
            tracing::info!(%what, %error, "port-forward");
        }
        let _ = forwarder.join().await;
    });
    Ok(Box::new(stream))
}

fn connect_error(error: &kube::Error, pod: &str) -> HandleError {
    match error {
        kube::Error::Api(status) => HandleError::Refused {
            code: status.code,
            reason: status.reason.clone(),
            message: status.message.clone(),
            causes: Vec::new(),
        },
        other => HandleError::Connect(format!("cannot connect to pod {pod}: {}", innermost(other))),
    }
}
