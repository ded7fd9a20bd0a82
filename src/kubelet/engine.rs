//! Whether the container engine answers, as the kubelet sees it.

use std::sync::Arc;
use std::time::Duration;

use super::node::{self, NodeConfig};
use super::runtime::Runtime;
use crate::store::Store;

/// Back-off for resubscribing to a runtime whose event stream ended.
const RESUBSCRIBE_MIN: Duration = Duration::from_secs(1);
const RESUBSCRIBE_MAX: Duration = Duration::from_secs(30);

/// Whether the container engine answers. When its event stream ends the
/// kubelet pings it with back-off: while it is away the node is NotReady
/// (pods are kept, nothing is recreated); when it answers again the node
/// is Ready and the workers look at their containers again.
pub(super) struct EngineWatch {
    runtime: Arc<dyn Runtime>,
    store: Store,
    config: NodeConfig,
    runtime_version: String,
    /// The engine's error while it is down.
    down: Option<String>,
    retry_at: Option<tokio::time::Instant>,
    delay: Duration,
}

impl EngineWatch {
    pub(super) fn new(runtime: Arc<dyn Runtime>, store: Store, config: NodeConfig) -> EngineWatch {
        let runtime_version = format!("{}://{}", runtime.name(), runtime.version());
        EngineWatch {
            runtime,
            store,
            config,
            runtime_version,
            down: None,
            retry_at: None,
            delay: RESUBSCRIBE_MIN,
        }
    }

    pub(super) fn down(&self) -> Option<&str> {
        self.down.as_deref()
    }

    /// An event arrived: the stream is healthy.
    pub(super) fn answered(&mut self) {
        self.delay = RESUBSCRIBE_MIN;
    }

    pub(super) async fn stream_ended(&mut self) {
        if let Err(error) = self.runtime.ping().await {
            self.mark_down(error.to_string());
        } else {
            tracing::warn!(
                "the runtime's event stream ended; resubscribing in {:?}",
                self.delay
            );
        }
        self.schedule_retry();
    }

    fn schedule_retry(&mut self) {
        self.retry_at = Some(tokio::time::Instant::now() + self.delay);
        self.delay = (self.delay * 2).min(RESUBSCRIBE_MAX);
    }

    /// Resolves when it is time to try the engine again.
    pub(super) async fn retry_due(&self) {
        match self.retry_at {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    }

    /// Pings the engine; true when it answers (and the node is Ready again).
    pub(super) async fn reachable(&mut self) -> bool {
        self.retry_at = None;
        match self.runtime.ping().await {
            Ok(()) => {
                if self.down.take().is_some() {
                    tracing::info!(node = self.config.name, "the container engine is back");
                    self.write_readiness(true);
                }
                true
            }
            Err(error) => {
                self.mark_down(error.to_string());
                self.schedule_retry();
                false
            }
        }
    }

    fn mark_down(&mut self, error: String) {
        let first = self.down.is_none();
        if first {
            tracing::warn!(node = self.config.name, %error, "the container engine is down");
        }
        self.down = Some(error);
        if first {
            self.write_readiness(false);
        }
    }

    fn write_readiness(&self, ready: bool) {
        if let Err(error) = node::heartbeat(
            &self.store,
            &self.config,
            &self.runtime_version,
            self.down(),
        ) {
            tracing::warn!(%error, "could not write the node's readiness");
        }
        node::record_readiness(&self.store, &self.config, ready);
    }
}
