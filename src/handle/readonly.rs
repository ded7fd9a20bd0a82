//! `--readonly`: a handle that reads through to the cluster and refuses
//! every call that would send a mutating verb — writes, dry runs (they are
//! POSTs and PATCHes too), exec and port-forward (both `create` on a pod
//! subresource) — before anything leaves the process.

use std::sync::Arc;

use futures::stream::BoxStream;
use serde_json::Value;

use super::{
    AttachedProcess, ClusterHandle, ClusterInfo, Connection, Contexts, ExecParams, HandleError,
    LogQuery, PortStream, Table,
};
use crate::api::{Kind, Object};

pub struct ReadOnly {
    inner: Arc<dyn ClusterHandle>,
}

impl ReadOnly {
    pub fn wrap(inner: Arc<dyn ClusterHandle>) -> Arc<dyn ClusterHandle> {
        Arc::new(ReadOnly { inner })
    }
}

/// The refusal, naming what was asked.
pub fn refusal(what: &str) -> HandleError {
    HandleError::ReadOnly(format!(
        "read-only console (--readonly): {what} refused; start podium without --readonly to change the cluster"
    ))
}

#[async_trait::async_trait]
impl ClusterHandle for ReadOnly {
    fn info(&self) -> ClusterInfo {
        ClusterInfo {
            read_only: true,
            ..self.inner.info()
        }
    }

    fn connection(&self) -> Connection {
        self.inner.connection()
    }

    fn contexts(&self) -> Contexts {
        self.inner.contexts()
    }

    async fn switch_context(&self, name: &str) -> Result<Arc<dyn ClusterHandle>, HandleError> {
        // Another context stays as read-only as this one.
        Ok(ReadOnly::wrap(self.inner.switch_context(name).await?))
    }

    fn list(&self, kind: Kind, namespace: Option<&str>) -> Vec<Arc<Object>> {
        self.inner.list(kind, namespace)
    }

    fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Object>> {
        self.inner.get(kind, namespace, name)
    }

    fn lists_whole(&self, kind: Kind) -> bool {
        self.inner.lists_whole(kind)
    }

    async fn fetch(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Arc<Object>, HandleError> {
        self.inner.fetch(kind, namespace, name).await
    }

    async fn events_about(&self, object: &Object) -> Result<Vec<Arc<Object>>, HandleError> {
        self.inner.events_about(object).await
    }

    fn table(&self, kind: Kind, objects: &[Arc<Object>]) -> Table {
        self.inner.table(kind, objects)
    }

    fn changes(&self, kinds: &[Kind]) -> BoxStream<'static, Kind> {
        self.inner.changes(kinds)
    }

    async fn apply(&self, _yaml: &str, dry_run: bool) -> Result<Vec<String>, HandleError> {
        Err(refusal(if dry_run {
            "checking with the server (a dry-run write)"
        } else {
            "applying"
        }))
    }

    async fn patch(
        &self,
        kind: Kind,
        _namespace: &str,
        name: &str,
        _patch: Value,
        _dry_run: bool,
    ) -> Result<(), HandleError> {
        Err(refusal(&format!("changing {}", kind.resource_name(name))))
    }

    async fn delete(&self, kind: Kind, _namespace: &str, name: &str) -> Result<(), HandleError> {
        Err(refusal(&format!("deleting {}", kind.resource_name(name))))
    }

    async fn logs(
        &self,
        namespace: &str,
        pod: &str,
        query: LogQuery,
    ) -> Result<BoxStream<'static, String>, HandleError> {
        self.inner.logs(namespace, pod, query).await
    }

    async fn exec(
        &self,
        _namespace: &str,
        pod: &str,
        _params: ExecParams,
    ) -> Result<AttachedProcess, HandleError> {
        Err(refusal(&format!("a shell in pod {pod}")))
    }

    async fn port_forward(
        &self,
        _namespace: &str,
        pod: &str,
        port: u16,
    ) -> Result<PortStream, HandleError> {
        Err(refusal(&format!("port-forward to {pod}:{port}")))
    }
}
