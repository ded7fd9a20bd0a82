//! `ClusterHandle`: the console's only way to the cluster. Today the
//! embedded control plane backs it ([`embedded::EmbeddedHandle`]); a
//! kube-rs backend will attach the same console to any Kubernetes API, so
//! nothing here names the store, the kubelet or the API server's internals.

pub mod embedded;
pub mod kube;
pub mod readonly;
pub mod rest;
mod stream;
mod table;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use futures::stream::BoxStream;
use k8s_openapi::api::core::v1::Event;

pub use self::readonly::ReadOnly;
pub use self::stream::{AttachedProcess, ExecOutput, ExecParams, PortStream, TerminalSize, lines};

use crate::api::{Kind, Object};

/// What the header shows about the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// The kubeconfig context, e.g. `podium`.
    pub name: String,
    /// What runs the pods, e.g. `docker://28.2.2` or `sim://0.1`.
    pub runtime: String,
    /// Where kubectl reaches the API, e.g. `https://127.0.0.1:7443`.
    pub server: String,
    /// Said once at start (e.g. Docker missing, pods run on the simulator).
    pub warnings: Vec<String>,
    /// The namespace the console opens in (the context's, else `default`).
    pub namespace: String,
    /// Every change is refused (`--readonly`).
    pub read_only: bool,
    /// podium's own cluster pulls no image (`--offline`).
    pub offline: bool,
}

/// Whether the cluster answers. The embedded one always does; a remote
/// one is connecting until its first list comes back, and again when it
/// is lost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Connection {
    #[default]
    Ready,
    Connecting {
        /// Tries so far (0: the first is under way).
        attempt: u32,
        /// Why the last try failed, in plain words.
        error: Option<String>,
    },
}

/// The kubeconfig's contexts, for `:ctx`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contexts {
    pub current: String,
    pub names: Vec<String>,
}

/// A table of one kind, with the columns `kubectl get` prints.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column names; `wide[i]` tells whether column `i` is only in `-o wide`.
    pub columns: Vec<String>,
    pub wide: Vec<bool>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub cells: Vec<String>,
    pub object: Arc<Object>,
}

/// A field the server refused, as its Status names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldCause {
    /// e.g. `spec.template.spec.containers[0].image`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum HandleError {
    /// The server refused the request; `message` is its Status message.
    #[error("{message}")]
    Refused {
        code: u16,
        reason: String,
        message: String,
        causes: Vec<FieldCause>,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unsupported(String),
    /// A connection into a pod could not be made (exec, port-forward).
    #[error("{0}")]
    Connect(String),
    /// The cluster could not be reached or the request did not complete.
    #[error("{0}")]
    Unreachable(String),
    /// `--readonly` refused a change; says what was refused.
    #[error("{0}")]
    ReadOnly(String),
}

/// The refusal for an object that is not (or no longer) there, as the
/// server words it.
pub fn gone(kind: Kind, name: &str) -> HandleError {
    HandleError::Refused {
        code: 404,
        reason: "NotFound".to_string(),
        message: format!("{} \"{name}\" not found", kind.info().qualified_plural()),
        causes: Vec::new(),
    }
}

/// The events about `object` among those `handle` holds.
pub fn cached_events_about(
    handle: &(impl ClusterHandle + ?Sized),
    object: &Object,
) -> Vec<Arc<Object>> {
    let namespace = object.namespace();
    handle
        .list(Kind::Event, (!namespace.is_empty()).then_some(namespace))
        .into_iter()
        .filter(|event| is_about(event, object))
        .collect()
}

/// Whether `event` is about `object`: the same uid, or (for events that
/// name no uid) the same kind and name.
pub fn is_about(event: &Object, object: &Object) -> bool {
    let Some(event) = event.as_typed::<Event>() else {
        return false;
    };
    let involved = &event.involved_object;
    match (involved.uid.as_deref(), object.meta().uid.as_deref()) {
        (Some(uid), Some(own)) if !uid.is_empty() => uid == own,
        _ => {
            involved.name.as_deref() == Some(object.name())
                && involved.kind.as_deref() == Some(object.kind().info().kind_name)
        }
    }
}

/// Logs options the console asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub container: Option<String>,
    pub previous: bool,
    pub follow: bool,
    pub timestamps: bool,
    pub tail_lines: Option<i64>,
    pub since_seconds: Option<i64>,
}

#[async_trait::async_trait]
pub trait ClusterHandle: Send + Sync {
    fn info(&self) -> ClusterInfo;

    /// Whether the cluster answers now.
    fn connection(&self) -> Connection {
        Connection::Ready
    }

    /// The contexts `:ctx` offers.
    fn contexts(&self) -> Contexts {
        let current = self.info().name;
        Contexts {
            names: vec![current.clone()],
            current,
        }
    }

    /// The same console on another kubeconfig context.
    async fn switch_context(&self, name: &str) -> Result<Arc<dyn ClusterHandle>, HandleError> {
        Err(HandleError::Unsupported(format!(
            "this console runs podium's own cluster; to open context {name:?} start `podium --context {name}`"
        )))
    }

    /// The objects of `kind` now, in `namespace` or in all (`None`), by
    /// namespace then name.
    fn list(&self, kind: Kind, namespace: Option<&str>) -> Vec<Arc<Object>>;

    /// One object.
    fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Object>>;

    /// Whether [`list`](Self::list) and [`get`](Self::get) give objects of
    /// `kind` whole. A remote cluster's Secrets and ConfigMaps are kept
    /// without their values (the table needs only their keys); open them
    /// with [`fetch`](Self::fetch).
    fn lists_whole(&self, _kind: Kind) -> bool {
        true
    }

    /// One object whole and as the server has it now, for describe, YAML
    /// and the editor.
    async fn fetch(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Arc<Object>, HandleError> {
        self.get(kind, namespace, name)
            .ok_or_else(|| gone(kind, name))
    }

    /// The events about `object`, as `kubectl describe` finds them.
    async fn events_about(&self, object: &Object) -> Result<Vec<Arc<Object>>, HandleError> {
        Ok(cached_events_about(self, object))
    }

    /// `objects` as the table `kubectl get` prints.
    fn table(&self, kind: Kind, objects: &[Arc<Object>]) -> Table;

    /// Yields the kind of every change to objects of `kinds`, as they
    /// happen. Consumers coalesce.
    fn changes(&self, kinds: &[Kind]) -> BoxStream<'static, Kind>;

    /// Creates each document of a YAML file, or patches it where it exists
    /// (as `kubectl apply` does); `dry_run` only validates. Answers one line
    /// per document, like kubectl: `deployment.apps/nginx created`.
    async fn apply(&self, yaml: &str, dry_run: bool) -> Result<Vec<String>, HandleError>;

    /// A JSON merge patch of an object; `dry_run` only validates.
    async fn patch(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch: serde_json::Value,
        dry_run: bool,
    ) -> Result<(), HandleError>;

    async fn delete(&self, kind: Kind, namespace: &str, name: &str) -> Result<(), HandleError>;

    /// A container's log as lines.
    async fn logs(
        &self,
        namespace: &str,
        pod: &str,
        query: LogQuery,
    ) -> Result<BoxStream<'static, String>, HandleError>;

    /// Starts a command in a container (kubectl exec): stdin, output,
    /// terminal size and exit code as an [`AttachedProcess`].
    async fn exec(
        &self,
        namespace: &str,
        pod: &str,
        params: ExecParams,
    ) -> Result<AttachedProcess, HandleError>;

    /// One connection to `port` of a pod (kubectl port-forward opens one
    /// per local connection): bytes both ways until either side closes.
    async fn port_forward(
        &self,
        namespace: &str,
        pod: &str,
        port: u16,
    ) -> Result<PortStream, HandleError>;
}
