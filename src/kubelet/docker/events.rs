//! One Docker event stream per subscriber, mapped to the kubelet's
//! `RuntimeEvent`s. It ends when the engine goes away; the kubelet then
//! pings with back-off and subscribes again.

use std::collections::{BTreeMap, HashMap, HashSet};

use bollard::Docker;
use bollard::models::EventMessage;
use bollard::query_parameters::{EventsOptions, InspectContainerOptions};
use futures::StreamExt;
use futures::stream::BoxStream;

use super::DockerRuntime;
use crate::kubelet::runtime::{RuntimeEvent, RuntimeEventKind};

/// Attributes Docker adds to a container event beside its labels.
const DOCKER_ATTRIBUTES: &[&str] = &["image", "name", "exitCode", "signal"];
/// The exit code of a SIGKILLed process, which an OOM kill is.
const KILLED: i32 = 137;

/// What a subscription remembers between events.
struct Subscription {
    events: BoxStream<'static, Result<EventMessage, bollard::errors::Error>>,
    docker: Docker,
    /// Containers Docker reported `oom` for; their `die` follows.
    oom: HashSet<String>,
}

/// Docker's `since` takes `seconds.nanoseconds` of the wall clock (the
/// engine's, on this machine; podium's clock may be a test's paused one).
fn since_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:09}", now.as_secs(), now.subsec_nanos())
}

fn labels_of(attributes: &HashMap<String, String>) -> BTreeMap<String, String> {
    attributes
        .iter()
        .filter(|(key, _)| !DOCKER_ATTRIBUTES.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

impl Subscription {
    /// The kubelet's event for one of Docker's, if it is one it cares about.
    async fn translate(&mut self, message: EventMessage) -> Option<RuntimeEvent> {
        let actor = message.actor?;
        let container_id = actor.id?;
        let attributes = actor.attributes.unwrap_or_default();
        let kind = match message.action.as_deref()? {
            "create" => RuntimeEventKind::Created,
            "start" => RuntimeEventKind::Started,
            "destroy" => RuntimeEventKind::Removed,
            "oom" => {
                self.oom.insert(container_id);
                return None;
            }
            "die" => {
                let exit_code = attributes
                    .get("exitCode")
                    .and_then(|code| code.parse().ok())
                    .unwrap_or(-1);
                let mut oom_killed = self.oom.remove(&container_id);
                if !oom_killed && exit_code == KILLED {
                    // Some engines report the OOM kill only in the state.
                    oom_killed = self
                        .docker
                        .inspect_container(&container_id, None::<InspectContainerOptions>)
                        .await
                        .ok()
                        .and_then(|c| c.state?.oom_killed)
                        .unwrap_or(false);
                }
                RuntimeEventKind::Died {
                    exit_code,
                    oom_killed,
                }
            }
            _ => return None,
        };
        Some(RuntimeEvent {
            container_id,
            labels: labels_of(&attributes),
            kind,
        })
    }
}

impl DockerRuntime {
    /// Subscribes from this instant: Docker replays what happened since,
    /// so nothing falls between this call and a list that follows it even
    /// though the request goes out only when the stream is first polled.
    pub(super) fn subscribe(&self) -> BoxStream<'static, RuntimeEvent> {
        let mut filters = self.cluster_filter();
        filters.insert("type".to_string(), vec!["container".to_string()]);
        let options = EventsOptions {
            since: Some(since_now()),
            until: None,
            filters: Some(filters),
        };
        let subscription = Subscription {
            events: self.inner.docker.events(Some(options)).boxed(),
            docker: self.inner.docker.clone(),
            oom: HashSet::new(),
        };
        futures::stream::unfold(subscription, |mut subscription| async move {
            loop {
                match subscription.events.next().await? {
                    Ok(message) => {
                        if let Some(event) = subscription.translate(message).await {
                            return Some((event, subscription));
                        }
                    }
                    Err(error) => {
                        tracing::debug!(%error, "the Docker event stream ended");
                        return None;
                    }
                }
            }
        })
        .boxed()
    }
}
