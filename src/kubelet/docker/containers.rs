//! Container lifecycle: create, start, stop with a grace period, remove,
//! inspect and list — scoped to this podium's cluster label.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptions, InspectContainerOptions, ListContainersOptions, RemoveContainerOptions,
    StopContainerOptions,
};
use futures::StreamExt;

use super::DockerRuntime;
use super::error::{engine_message, failed, runtime_error, status_code};
use super::inspect::container_info;
use crate::kubelet::runtime::{
    ContainerId, ContainerInfo, ContainerRunState, LABEL_CLUSTER, LABEL_ROLE, ROLE_SANDBOX,
    RuntimeError,
};

/// How many inspects `list_containers` runs at once.
const LIST_CONCURRENCY: usize = 8;
/// Time the engine gets beyond the grace period to answer a stop.
const STOP_SLACK: Duration = Duration::from_secs(30);

impl DockerRuntime {
    /// The label filter that scopes lists and events to this podium.
    pub(super) fn cluster_filter(&self) -> HashMap<String, Vec<String>> {
        HashMap::from([(
            "label".to_string(),
            vec![format!("{LABEL_CLUSTER}={}", self.inner.cluster_id)],
        )])
    }

    /// Creates a container under `name`. A name already taken (a leftover
    /// from an earlier attempt, or someone else's) is never touched: the
    /// new container gets a random suffix instead.
    pub(super) async fn create_named(
        &self,
        name: &str,
        body: ContainerCreateBody,
    ) -> Result<ContainerId, RuntimeError> {
        let create = |name: String, body: ContainerCreateBody| async move {
            let options = CreateContainerOptions {
                name: Some(name),
                ..Default::default()
            };
            self.inner
                .docker
                .create_container(Some(options), body)
                .await
        };
        let created = match create(name.to_string(), body.clone()).await {
            Err(error) if status_code(&error) == Some(409) => {
                let suffix = rand::random::<u32>();
                create(format!("{name}_{suffix:08x}"), body).await
            }
            other => other,
        };
        created
            .map(|response| response.id)
            .map_err(failed("create"))
    }

    pub(super) async fn start(&self, id: &str) -> Result<(), RuntimeError> {
        match self.start_once(id).await {
            Err(RuntimeError::Failed { message, .. }) if message.contains("is ambiguous") => {
                // Another podium created a second network a moment after
                // ours and has not removed it yet: do it for them.
                super::network::remove_duplicates(&self.inner.docker)
                    .await
                    .map_err(|error| RuntimeError::Failed {
                        operation: "start",
                        message: error.to_string(),
                    })?;
                self.start_once(id).await
            }
            other => other,
        }
    }

    async fn start_once(&self, id: &str) -> Result<(), RuntimeError> {
        match self.inner.docker.start_container(id, None).await {
            // 304: already running.
            Err(error) if status_code(&error) == Some(304) => Ok(()),
            other => other.map_err(runtime_error("start", id)),
        }
    }

    /// SIGTERM, SIGKILL after `grace` (Docker counts whole seconds: the
    /// grace is rounded up), returning once the process ended.
    pub(super) async fn stop(&self, id: &str, grace: Duration) -> Result<(), RuntimeError> {
        let seconds = grace.as_secs() + u64::from(grace.subsec_nanos() > 0);
        let options = StopContainerOptions {
            t: Some(i32::try_from(seconds).unwrap_or(i32::MAX)),
            signal: None,
        };
        let docker = self
            .inner
            .docker
            .clone()
            .with_timeout(Duration::from_secs(seconds) + STOP_SLACK);
        match docker.stop_container(id, Some(options)).await {
            // 304: it had already stopped.
            Err(error) if status_code(&error) == Some(304) => Ok(()),
            other => other.map_err(runtime_error("stop", id)),
        }
    }

    /// Kills if needed and removes; a container already gone is fine.
    pub(super) async fn remove(&self, id: &str) -> Result<(), RuntimeError> {
        let options = RemoveContainerOptions {
            force: true,
            v: true,
            link: false,
        };
        self.inner.ports.forget(id);
        match self.inner.docker.remove_container(id, Some(options)).await {
            Err(error) if status_code(&error) == Some(404) => Ok(()),
            // 409: a removal is already under way.
            Err(error)
                if status_code(&error) == Some(409)
                    && engine_message(&error).contains("already in progress") =>
            {
                Ok(())
            }
            other => other.map_err(runtime_error("remove", id)),
        }
    }

    pub(super) async fn inspect(&self, id: &str) -> Result<ContainerInfo, RuntimeError> {
        let response = self
            .inner
            .docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(runtime_error("inspect", id))?;
        self.learn_ports(id, &response);
        let image_id = self
            .image_reference(response.image.as_deref().unwrap_or_default())
            .await;
        let mut info = container_info(response, &self.inner.network_id, image_id);
        info.oom_killed |= info.state == ContainerRunState::Exited
            && self.inner.oom_killed.lock().contains(&info.id);
        Ok(info)
    }

    /// Ids of every container and sandbox of this cluster, running or
    /// not; app containers first, sandboxes after them.
    pub(super) async fn cluster_container_ids(&self) -> Result<Vec<ContainerId>, RuntimeError> {
        let options = ListContainersOptions {
            all: true,
            filters: Some(self.cluster_filter()),
            ..Default::default()
        };
        let mut summaries = self
            .inner
            .docker
            .list_containers(Some(options))
            .await
            .map_err(failed("list"))?;
        summaries.sort_by_key(|summary| {
            summary
                .labels
                .as_ref()
                .and_then(|labels| labels.get(LABEL_ROLE))
                .is_some_and(|role| role == ROLE_SANDBOX)
        });
        Ok(summaries.into_iter().filter_map(|s| s.id).collect())
    }

    /// Every container of this cluster, inspected (the list alone lacks
    /// exit codes and times). Ones removed meanwhile are left out.
    pub(super) async fn list(&self) -> Result<Vec<ContainerInfo>, RuntimeError> {
        let ids = self.cluster_container_ids().await?;
        let inspected: Vec<Result<ContainerInfo, RuntimeError>> = futures::stream::iter(ids)
            .map(|id| {
                let runtime = self.clone();
                async move { runtime.inspect(&id).await }
            })
            .buffer_unordered(LIST_CONCURRENCY)
            .collect()
            .await;
        let mut containers = Vec::with_capacity(inspected.len());
        for result in inspected {
            match result {
                Ok(info) => containers.push(info),
                Err(RuntimeError::NoSuchContainer(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(containers)
    }
}
