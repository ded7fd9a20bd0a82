//! Container logs from Docker's log stream (follow, tail, timestamps,
//! since): the engine pushes lines, podium never polls.

use bollard::query_parameters::{InspectContainerOptions, LogsOptions};
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;

use super::DockerRuntime;
use super::error::runtime_error;
use crate::kubelet::runtime::{LogRequest, RuntimeError};

fn options(request: &LogRequest) -> LogsOptions {
    LogsOptions {
        follow: request.follow,
        stdout: true,
        stderr: true,
        // Docker counts whole seconds.
        since: request
            .since
            .map(|at| i32::try_from(at.as_second()).unwrap_or(i32::MAX).max(1))
            .unwrap_or(0),
        until: 0,
        timestamps: request.timestamps,
        tail: request
            .tail_lines
            .map_or_else(|| "all".to_string(), |lines| lines.to_string()),
    }
}

impl DockerRuntime {
    pub(super) async fn log_stream(
        &self,
        id: &str,
        request: &LogRequest,
    ) -> Result<BoxStream<'static, Bytes>, RuntimeError> {
        // The stream tells of a missing container only when read: ask first.
        self.inner
            .docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(runtime_error("logs", id))?;
        let lines = self.inner.docker.logs(id, Some(options(request)));
        Ok(lines
            .take_while(|line| {
                if let Err(error) = line {
                    tracing::debug!(%error, "a Docker log stream ended");
                }
                std::future::ready(line.is_ok())
            })
            .filter_map(|line| std::future::ready(line.ok().map(|line| line.into_bytes())))
            .boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_request_becomes_docker_options() {
        let all = options(&LogRequest::default());
        assert_eq!(all.tail, "all");
        assert_eq!(all.since, 0);
        assert!(all.stdout && all.stderr && !all.follow);
        let some = options(&LogRequest {
            follow: true,
            tail_lines: Some(5),
            timestamps: true,
            since: Some("2024-01-01T00:00:00Z".parse().expect("time")),
        });
        assert_eq!(some.tail, "5");
        assert_eq!(some.since, 1_704_067_200);
        assert!(some.follow && some.timestamps);
    }
}
