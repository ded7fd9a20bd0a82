//! The shell on a pod (`s` on a Pod row): which shell the container has
//! (`/bin/sh`, else `/bin/busybox sh`), found before the console gives up
//! the screen, then a session that owns the raw terminal until it ends
//! ([`session`]).

pub mod session;
mod tty;

use futures::StreamExt;

use crate::handle::{ClusterHandle, ExecParams};

#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    #[error(
        "pod {pod} (container {container}) has no shell: neither /bin/sh nor /bin/busybox runs ({detail}); logs (l) and describe (d) still work"
    )]
    NoShell {
        pod: String,
        container: String,
        detail: String,
    },
    #[error("shell into pod {pod} failed: {message}")]
    Failed { pod: String, message: String },
    #[error("the terminal could not be handed to the shell: {0}")]
    Terminal(#[from] std::io::Error),
}

/// A shell ready to start in a pod's container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellRequest {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub command: Vec<String>,
    /// Which shell runs, shown before the prompt: `/bin/sh`, or why busybox.
    pub which: String,
}

/// The shells tried, in order, with what the user is told about each.
const SHELLS: [(&[&str], &str); 2] = [
    (&["/bin/sh"], "/bin/sh"),
    (
        &["/bin/busybox", "sh"],
        "/bin/busybox sh (the image has no /bin/sh)",
    ),
];

/// Finds the first shell that runs in the container (`shell -c 'exit 0'`
/// answers 0).
pub async fn locate(
    handle: &dyn ClusterHandle,
    namespace: &str,
    pod: &str,
    container: &str,
) -> Result<ShellRequest, ShellError> {
    let mut detail = String::new();
    for (command, which) in SHELLS {
        let mut probe: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        probe.extend(["-c".to_string(), "exit 0".to_string()]);
        let params = ExecParams {
            container: Some(container.to_string()),
            command: probe,
            stdin: false,
            tty: false,
        };
        let process =
            handle
                .exec(namespace, pod, params)
                .await
                .map_err(|error| ShellError::Failed {
                    pod: format!("{namespace}/{pod}"),
                    message: error.to_string(),
                })?;
        let printed: Vec<_> = process.output.collect().await;
        match process.status.await {
            Ok(0) => {
                return Ok(ShellRequest {
                    namespace: namespace.to_string(),
                    pod: pod.to_string(),
                    container: container.to_string(),
                    command: command.iter().map(|s| s.to_string()).collect(),
                    which: which.to_string(),
                });
            }
            Ok(code) => {
                let text: String = printed
                    .iter()
                    .map(|chunk| match chunk {
                        crate::handle::ExecOutput::Stdout(b)
                        | crate::handle::ExecOutput::Stderr(b) => {
                            String::from_utf8_lossy(b).into_owned()
                        }
                    })
                    .collect();
                detail = format!("{} exited {code}: {}", command[0], text.trim());
            }
            Err(error) => detail = error.to_string(),
        }
    }
    Err(ShellError::NoShell {
        pod: format!("{namespace}/{pod}"),
        container: container.to_string(),
        detail,
    })
}
