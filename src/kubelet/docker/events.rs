//! One Docker event stream per subscriber, mapped to the kubelet's
//! `RuntimeEvent`s. It ends when the engine goes away; the kubelet then
//! pings with back-off and subscribes again.
//!
//! An OOM kill reaches Docker as two events from containerd, `oom` and the
//! exit, and a loaded machine can deliver them the wrong way round: then
//! the engine emits `die` first, sends `oom` a moment later and never
//! records `OOMKilled` in the container's state. A `die` with SIGKILL's
//! code from a memory-limited container therefore waits briefly for a
//! late `oom`, and what `oom` reported is kept for inspection.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bollard::models::EventMessage;
use bollard::query_parameters::{EventsOptions, InspectContainerOptions};
use futures::StreamExt;
use futures::stream::BoxStream;

use super::{DockerRuntime, Inner};
use crate::kubelet::runtime::{RuntimeEvent, RuntimeEventKind};

/// Attributes Docker adds to a container event beside its labels.
const DOCKER_ATTRIBUTES: &[&str] = &["image", "name", "exitCode", "signal"];
/// The exit code of a SIGKILLed process, which an OOM kill is.
const KILLED: i32 = 137;
/// How long a killed, memory-limited container's `die` waits for an `oom`
/// that containerd delivered late.
const LATE_OOM_WAIT: Duration = Duration::from_secs(2);

type Messages = BoxStream<'static, Result<EventMessage, bollard::errors::Error>>;

/// What a subscription remembers between events.
struct Subscription {
    events: Messages,
    /// Messages read ahead while a `die` waited for its `oom`.
    read_ahead: VecDeque<EventMessage>,
    inner: Arc<Inner>,
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

fn is_oom_of(message: &EventMessage, container_id: &str) -> bool {
    message.action.as_deref() == Some("oom")
        && message.actor.as_ref().and_then(|actor| actor.id.as_deref()) == Some(container_id)
}

impl Subscription {
    /// The next message: one read ahead first, then the engine's. `None`
    /// when the stream ended.
    async fn next_message(&mut self) -> Option<EventMessage> {
        if let Some(message) = self.read_ahead.pop_front() {
            return Some(message);
        }
        match self.events.next().await? {
            Ok(message) => Some(message),
            Err(error) => {
                tracing::debug!(%error, "the Docker event stream ended");
                None
            }
        }
    }

    /// The kubelet's event for one of Docker's, if it is one it cares about.
    async fn translate(&mut self, message: EventMessage) -> Option<RuntimeEvent> {
        let actor = message.actor?;
        let container_id = actor.id?;
        let attributes = actor.attributes.unwrap_or_default();
        let kind = match message.action.as_deref()? {
            "create" => RuntimeEventKind::Created,
            "start" => {
                self.inner.oom_killed.lock().remove(&container_id);
                RuntimeEventKind::Started
            }
            "destroy" => {
                self.inner.oom_killed.lock().remove(&container_id);
                RuntimeEventKind::Removed
            }
            "oom" => {
                self.inner.oom_killed.lock().insert(container_id);
                return None;
            }
            "die" => {
                let exit_code = attributes
                    .get("exitCode")
                    .and_then(|code| code.parse().ok())
                    .unwrap_or(-1);
                let oom_killed = exit_code == KILLED && self.was_oom_killed(&container_id).await;
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

    /// Whether a container that died of SIGKILL was killed for memory:
    /// the `oom` event came first, or the engine's state says so, or —
    /// when it has a memory limit — an `oom` follows within a moment.
    async fn was_oom_killed(&mut self, container_id: &str) -> bool {
        if self.inner.oom_killed.lock().contains(container_id) {
            return true;
        }
        let Ok(inspected) = self
            .inner
            .docker
            .inspect_container(container_id, None::<InspectContainerOptions>)
            .await
        else {
            return false;
        };
        if inspected.state.and_then(|state| state.oom_killed) == Some(true) {
            return true;
        }
        let memory_limited = inspected
            .host_config
            .and_then(|config| config.memory)
            .is_some_and(|bytes| bytes > 0);
        memory_limited && self.late_oom(container_id).await
    }

    /// Reads ahead for up to [`LATE_OOM_WAIT`] until the container's `oom`
    /// arrives; other messages wait in `read_ahead` for their turn.
    async fn late_oom(&mut self, container_id: &str) -> bool {
        let deadline = tokio::time::Instant::now() + LATE_OOM_WAIT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.events.next()).await;
            let Ok(Some(Ok(message))) = next else {
                return false;
            };
            if is_oom_of(&message, container_id) {
                self.inner
                    .oom_killed
                    .lock()
                    .insert(container_id.to_string());
                return true;
            }
            self.read_ahead.push_back(message);
        }
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
            // Fused: a late `oom` wait may have seen the end already.
            events: self.inner.docker.events(Some(options)).fuse().boxed(),
            read_ahead: VecDeque::new(),
            inner: self.inner.clone(),
        };
        futures::stream::unfold(subscription, |mut subscription| async move {
            loop {
                let message = subscription.next_message().await?;
                if let Some(event) = subscription.translate(message).await {
                    return Some((event, subscription));
                }
            }
        })
        .boxed()
    }
}
