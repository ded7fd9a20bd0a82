//! `NodeLogs`: serves `kubectl logs` for every node by routing to the
//! runtime of the pod's node.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use k8s_openapi::jiff::SignedDuration;
use parking_lot::RwLock;

use super::runtime::{LogRequest, Runtime};
use super::{LogError, LogOptions, PodLogs};
use crate::store::Store;

pub struct NodeLogs {
    store: Store,
    runtimes: RwLock<HashMap<String, Arc<dyn Runtime>>>,
}

impl NodeLogs {
    pub fn new(store: Store) -> NodeLogs {
        NodeLogs {
            store,
            runtimes: RwLock::new(HashMap::new()),
        }
    }

    pub(super) fn store(&self) -> &Store {
        &self.store
    }

    /// Routes logs of pods on `node` to `runtime`.
    pub fn add_node(&self, node: &str, runtime: Arc<dyn Runtime>) {
        self.runtimes.write().insert(node.to_string(), runtime);
    }

    /// The runtime that gives the host Service addresses (see
    /// [`Runtime::ensure_service_address`]): every node shares one engine.
    pub fn service_address_runtime(&self) -> Option<Arc<dyn Runtime>> {
        self.runtimes.read().values().next().cloned()
    }
}

impl NodeLogs {
    /// The pod and the name of the container meant: the one asked for, or
    /// the only one. Init containers count.
    pub(super) fn resolve(
        &self,
        namespace: &str,
        pod_name: &str,
        container: Option<&str>,
    ) -> Result<(Pod, String), LogError> {
        let pod = self
            .store
            .get_as::<Pod>(namespace, pod_name)
            .ok_or_else(|| LogError::PodNotFound {
                pod: pod_name.to_string(),
            })?;
        let spec = pod.spec.clone().unwrap_or_default();
        let names: Vec<String> = spec.containers.iter().map(|c| c.name.clone()).collect();
        let container = match container {
            Some(c) if !c.is_empty() => c.to_string(),
            _ if names.len() == 1 => names[0].clone(),
            _ => {
                return Err(LogError::ContainerRequired {
                    pod: pod_name.to_string(),
                    choices: names,
                });
            }
        };
        let known = names.contains(&container)
            || spec
                .init_containers
                .iter()
                .flatten()
                .any(|c| c.name == container);
        if !known {
            return Err(LogError::ContainerNotFound {
                pod: pod_name.to_string(),
                container,
            });
        }
        Ok((pod, container))
    }

    /// The runtime of the node a pod runs on.
    pub(super) fn runtime_of(&self, pod: &Pod) -> Option<Arc<dyn Runtime>> {
        let node = pod.spec.as_ref()?.node_name.as_deref()?;
        self.runtimes.read().get(node).cloned()
    }
}

/// The status of `container` among the pod's app and init containers.
pub(super) fn container_status(pod: &Pod, container: &str) -> Option<ContainerStatus> {
    let status = pod.status.as_ref()?;
    status
        .container_statuses
        .iter()
        .flatten()
        .chain(status.init_container_statuses.iter().flatten())
        .find(|s| s.name == container)
        .cloned()
}

/// A runtime container id without its `scheme://`.
pub(super) fn raw_id(container_id: &str) -> &str {
    container_id
        .split_once("://")
        .map_or(container_id, |(_, id)| id)
}

#[async_trait::async_trait]
impl PodLogs for NodeLogs {
    async fn pod_usage(&self, pod: &Pod) -> Option<Vec<(String, super::usage::Usage)>> {
        let status = pod.status.as_ref()?;
        if status.phase.as_deref() != Some("Running") {
            return None;
        }
        let runtime = self.runtime_of(pod)?;
        if runtime.simulates_usage() {
            return Some(super::usage::simulated(pod));
        }
        let mut usage = Vec::new();
        for container in status.container_statuses.iter().flatten() {
            if container
                .state
                .as_ref()
                .and_then(|s| s.running.as_ref())
                .is_none()
            {
                continue;
            }
            let Some(id) = container.container_id.as_deref() else {
                continue;
            };
            let id = id.split_once("://").map_or(id, |(_, id)| id);
            // Asked of every container, so each one's stream starts now.
            usage.push((container.name.clone(), runtime.container_usage(id).await));
        }
        let all: Option<Vec<_>> = usage.into_iter().map(|(n, u)| Some((n, u?))).collect();
        all.filter(|usage| !usage.is_empty())
    }

    async fn exec(
        &self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        request: &super::ExecRequest,
    ) -> Result<super::ExecSession, LogError> {
        NodeLogs::exec(self, namespace, pod, container, request).await
    }

    async fn port_address(
        &self,
        namespace: &str,
        pod: &str,
        port: u16,
    ) -> Option<std::net::SocketAddr> {
        self.pod_port_address(namespace, pod, port).await
    }

    async fn logs(
        &self,
        namespace: &str,
        pod_name: &str,
        options: LogOptions,
    ) -> Result<BoxStream<'static, Bytes>, LogError> {
        let (pod, container) = self.resolve(namespace, pod_name, options.container.as_deref())?;
        let status = container_status(&pod, &container);
        let not_started = |reason: String| LogError::NotStarted {
            pod: pod_name.to_string(),
            container: container.clone(),
            reason,
        };
        let container_id = if options.previous {
            status
                .as_ref()
                .and_then(|s| s.last_state.as_ref())
                .and_then(|s| s.terminated.as_ref())
                .and_then(|t| t.container_id.clone())
                .ok_or_else(|| LogError::NoPrevious {
                    pod: pod_name.to_string(),
                    container: container.clone(),
                })?
        } else {
            match status.as_ref().and_then(|s| s.container_id.clone()) {
                Some(id) => id,
                None => {
                    let reason = status
                        .as_ref()
                        .and_then(|s| s.state.as_ref())
                        .and_then(|s| s.waiting.as_ref())
                        .and_then(|w| w.reason.clone())
                        .unwrap_or_else(|| "ContainerCreating".to_string());
                    let reason = match reason.as_str() {
                        "ErrImagePull" | "ImagePullBackOff" => {
                            "trying and failing to pull image".to_string()
                        }
                        _ => reason,
                    };
                    return Err(not_started(reason));
                }
            }
        };
        let runtime = self
            .runtime_of(&pod)
            .ok_or_else(|| not_started("ContainerCreating".to_string()))?;
        let raw_id = raw_id(&container_id).to_string();
        let request = LogRequest {
            follow: options.follow,
            tail_lines: options
                .tail_lines
                .filter(|n| *n >= 0)
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            timestamps: options.timestamps,
            since: options.since_seconds.map(|s| {
                crate::clock::now()
                    .checked_sub(SignedDuration::from_secs(s))
                    .unwrap_or_else(|_| crate::clock::now())
            }),
        };
        let stream = runtime
            .logs(&raw_id, &request)
            .await
            .map_err(|e| LogError::Runtime(e.to_string()))?;
        Ok(match options.limit_bytes.filter(|n| *n > 0) {
            Some(limit) => limit_bytes(stream, usize::try_from(limit).unwrap_or(usize::MAX)),
            None => stream,
        })
    }
}

/// Ends the stream after `limit` bytes.
fn limit_bytes(stream: BoxStream<'static, Bytes>, limit: usize) -> BoxStream<'static, Bytes> {
    stream
        .scan(limit, |left, mut chunk| {
            if *left == 0 {
                return futures::future::ready(None);
            }
            if chunk.len() > *left {
                chunk.truncate(*left);
            }
            *left -= chunk.len();
            futures::future::ready(Some(chunk))
        })
        .boxed()
}
