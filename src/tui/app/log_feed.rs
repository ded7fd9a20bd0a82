//! The streams feeding the logs view, kept in step with its pods as k9s
//! keeps them: a workload's new pods join as their container starts (a
//! rollout or a scale shows up in the view), and a container that
//! restarted is followed again (a crash loop's next run shows up). A
//! stream is started for a running container, once per container; with
//! all containers shown, each container of a pod has its own.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::Action;
use crate::api::{Kind, Object};
use crate::handle::ClusterHandle;
use crate::tui::logs::LogRequest;
use crate::tui::model::Target;
use crate::tui::panes::stream_pod_log;
use crate::tui::refresh;

/// The pods the logs view reads: the pod itself, or those the workload
/// selects, as the cache has them now.
fn pods_of(handle: &dyn ClusterHandle, source: &Target) -> Vec<Arc<Object>> {
    let Some(object) = handle.get(source.kind, &source.namespace, &source.name) else {
        return Vec::new();
    };
    match object.kind() {
        Kind::Pod => vec![object],
        _ => refresh::pods_of(handle, &object),
    }
}

/// A stream's pod and container (`None`: the pod's default container).
type StreamKey = (String, Option<String>);

/// One stream: the container instance it reads, and whether it still runs.
#[derive(Debug)]
struct Followed {
    container_id: Option<String>,
    live: bool,
}

#[derive(Default)]
pub(super) struct LogFeed {
    tasks: Vec<AbortHandle>,
    /// Counts openings, so that lines of stopped streams are dropped.
    generation: u64,
    /// What the view reads: a pod, or a workload.
    source: Option<Target>,
    followed: HashMap<StreamKey, Followed>,
}

impl LogFeed {
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        self.followed.clear();
        self.generation += 1;
    }

    /// Streams every pod of `request`, from `source` (kept when `None`:
    /// the view reopened with other options).
    pub fn start(
        &mut self,
        handle: &Arc<dyn ClusterHandle>,
        request: &LogRequest,
        source: Option<Target>,
        actions: &UnboundedSender<Action>,
    ) {
        self.stop();
        if source.is_some() {
            self.source = source;
        }
        for pod in &request.pods {
            let object = handle.get(Kind::Pod, &request.namespace, pod);
            for container in streamed_containers(object.as_deref(), request) {
                let container_id = object
                    .as_deref()
                    .and_then(|object| running_container(object, container.as_deref()));
                self.follow(handle, request, (pod, container), container_id, actions);
            }
        }
    }

    /// Stops every stream and forgets what they followed.
    pub fn close(&mut self) {
        self.stop();
        self.source = None;
    }

    /// `container` as the stream's lines carry it (empty: the default).
    pub fn ended(&mut self, pod: &str, container: &str) {
        let container = (!container.is_empty()).then(|| container.to_string());
        if let Some(followed) = self.followed.get_mut(&(pod.to_string(), container)) {
            followed.live = false;
        }
    }

    /// Starts streams for the source's running containers that no stream
    /// reads: a new pod's, or a restarted one's. Answers the pods that had
    /// none before, for the view to list.
    pub fn catch_up(
        &mut self,
        handle: &Arc<dyn ClusterHandle>,
        request: &LogRequest,
        actions: &UnboundedSender<Action>,
    ) -> Vec<String> {
        // A previous container's log is complete: nothing to catch up.
        let Some(source) = self.source.clone().filter(|_| !request.previous) else {
            return Vec::new();
        };
        let mut joined = Vec::new();
        for pod in pods_of(handle.as_ref(), &source) {
            let name = pod.name();
            for container in streamed_containers(Some(&pod), request) {
                let Some(id) = running_container(&pod, container.as_deref()) else {
                    continue;
                };
                let key = (name.to_string(), container);
                match self.followed.get(&key) {
                    Some(f) if f.live || f.container_id.as_ref() == Some(&id) => continue,
                    Some(_) => {}
                    None if !request.pods.iter().any(|p| p == name)
                        && !joined.iter().any(|p| p == name) =>
                    {
                        joined.push(name.to_string());
                    }
                    None => {}
                }
                self.follow(handle, request, (name, key.1), Some(id), actions);
            }
        }
        joined
    }

    fn follow(
        &mut self,
        handle: &Arc<dyn ClusterHandle>,
        request: &LogRequest,
        (pod, container): (&str, Option<String>),
        container_id: Option<String>,
        actions: &UnboundedSender<Action>,
    ) {
        let stream = (pod, container.as_deref());
        let task = stream_pod_log(handle, request, stream, self.generation, actions);
        self.tasks.push(task);
        let followed = Followed {
            container_id,
            live: true,
        };
        self.followed.insert((pod.to_string(), container), followed);
    }
}

/// The containers of `pod` that `request` streams: each one when all are
/// shown, else the chosen one (`None`: the default container).
fn streamed_containers(pod: Option<&Object>, request: &LogRequest) -> Vec<Option<String>> {
    match pod {
        Some(Object::Pod(pod)) if request.all_containers => pod
            .spec
            .iter()
            .flat_map(|spec| spec.containers.iter().map(|c| Some(c.name.clone())))
            .collect(),
        _ => vec![request.container.clone()],
    }
}

/// The id of `container` (else the pod's first container) while it runs.
fn running_container(pod: &Object, container: Option<&str>) -> Option<String> {
    let Object::Pod(pod) = pod else {
        return None;
    };
    let name = match container {
        Some(name) => name.to_string(),
        None => pod.spec.as_ref()?.containers.first()?.name.clone(),
    };
    let status = pod
        .status
        .as_ref()?
        .container_statuses
        .iter()
        .flatten()
        .find(|status| status.name == name)?;
    status.state.as_ref()?.running.as_ref()?;
    status.container_id.clone()
}
