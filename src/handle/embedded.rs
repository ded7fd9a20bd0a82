//! The handle over the control plane in this process: reads and watches
//! come straight from the store (shared objects, no copies: 10k pods stay
//! smooth), writes go through the API server's own request path in-process
//! (no TCP, no TLS), so the console gets exactly kubectl's defaulting,
//! validation and errors.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use http::Method;
use http_body_util::BodyExt;
use serde_json::Value;

use super::rest::{self, Transport};
use super::stream::lines;
use super::{
    AttachedProcess, ClusterHandle, ClusterInfo, ExecOutput, ExecParams, HandleError, LogQuery,
    PortStream, Table, TerminalSize, table,
};
use crate::api::{Kind, Object};
use crate::apiserver::{ServerState, serve_local};
use crate::kubelet::{ExecChunk, ExecRequest, ExecSession, LogOptions};
use crate::store::{ListFilter, Store, WatchItem};

pub struct EmbeddedHandle {
    store: Store,
    api: Arc<ServerState>,
    info: ClusterInfo,
}

impl EmbeddedHandle {
    pub fn new(store: Store, api: Arc<ServerState>, info: ClusterInfo) -> EmbeddedHandle {
        EmbeddedHandle { store, api, info }
    }
}

/// Requests go through the API server's own request path in-process.
#[async_trait::async_trait]
impl Transport for EmbeddedHandle {
    async fn request(
        &self,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Value, HandleError> {
        let response = serve_local(&self.api, method, uri, content_type, Bytes::from(body)).await;
        let code = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default();
        rest::answer(code, &bytes)
    }

    async fn current(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>, HandleError> {
        Ok(self
            .get(kind, namespace, name)
            .map(|object| object.to_json()))
    }
}

#[async_trait::async_trait]
impl ClusterHandle for EmbeddedHandle {
    fn info(&self) -> ClusterInfo {
        self.info.clone()
    }

    fn list(&self, kind: Kind, namespace: Option<&str>) -> Vec<Arc<Object>> {
        let namespace = namespace.filter(|_| kind.namespaced());
        self.store
            .list(kind, namespace, &ListFilter::default())
            .items
    }

    fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Object>> {
        let namespace = if kind.namespaced() { namespace } else { "" };
        self.store.get(kind, namespace, name)
    }

    fn table(&self, kind: Kind, objects: &[Arc<Object>]) -> Table {
        let definition = table::definition_name(kind)
            .and_then(|name| self.get(Kind::CustomResourceDefinition, "", &name));
        table::table(kind, definition.as_deref(), objects)
    }

    fn changes(&self, kinds: &[Kind]) -> BoxStream<'static, Kind> {
        let (store, kinds) = (self.store.clone(), kinds.to_vec());
        let Ok(watch) = store.watch_kinds(&kinds, None) else {
            return futures::stream::empty().boxed();
        };
        futures::stream::unfold(
            (store, kinds, watch),
            |(store, kinds, mut watch)| async move {
                match watch.next().await? {
                    WatchItem::Event(event) => {
                        let kind = event.object.kind();
                        Some((kind, (store, kinds, watch)))
                    }
                    // Fell behind a burst: watch again from now and have the
                    // consumer re-read everything it shows.
                    WatchItem::Gone => {
                        let watch = store.watch_kinds(&kinds, None).ok()?;
                        let first = *kinds.first()?;
                        Some((first, (store, kinds, watch)))
                    }
                }
            },
        )
        .boxed()
    }

    async fn apply(&self, yaml: &str, dry_run: bool) -> Result<Vec<String>, HandleError> {
        rest::apply(self, yaml, "default", dry_run).await
    }

    async fn patch(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch: Value,
        dry_run: bool,
    ) -> Result<(), HandleError> {
        rest::merge_patch(self, kind, namespace, name, &patch, dry_run).await
    }

    async fn delete(&self, kind: Kind, namespace: &str, name: &str) -> Result<(), HandleError> {
        rest::delete(self, kind, namespace, name).await
    }

    async fn logs(
        &self,
        namespace: &str,
        pod: &str,
        query: LogQuery,
    ) -> Result<BoxStream<'static, String>, HandleError> {
        let options = LogOptions {
            container: query.container,
            follow: query.follow,
            previous: query.previous,
            timestamps: query.timestamps,
            tail_lines: query.tail_lines,
            since_seconds: query.since_seconds,
            limit_bytes: None,
        };
        let bytes = self
            .api
            .logs
            .logs(namespace, pod, options)
            .await
            .map_err(|error| HandleError::Invalid(error.to_string()))?;
        Ok(lines(bytes))
    }

    async fn exec(
        &self,
        namespace: &str,
        pod: &str,
        params: ExecParams,
    ) -> Result<AttachedProcess, HandleError> {
        if params.command.is_empty() {
            return Err(HandleError::Invalid(
                "exec needs a command, e.g. /bin/sh".to_string(),
            ));
        }
        let request = ExecRequest {
            command: params.command,
            stdin: params.stdin,
            tty: params.tty,
        };
        let session = self
            .api
            .logs
            .exec(namespace, pod, params.container.as_deref(), &request)
            .await
            .map_err(|error| HandleError::Connect(error.to_string()))?;
        Ok(attached(session, pod))
    }

    async fn port_forward(
        &self,
        namespace: &str,
        pod: &str,
        port: u16,
    ) -> Result<PortStream, HandleError> {
        if self.get(Kind::Pod, namespace, pod).is_none() {
            return Err(HandleError::Connect(format!(
                "pods \"{pod}\" not found in namespace {namespace}"
            )));
        }
        // The loopback address the API server's port-forward dials too.
        let address = self
            .api
            .logs
            .port_address(namespace, pod, port)
            .await
            .ok_or_else(|| {
                HandleError::Connect(format!(
                    "pod {namespace}/{pod} is not running or does not publish port {port}"
                ))
            })?;
        let socket = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|error| {
                HandleError::Connect(format!(
                    "port {port} of pod {namespace}/{pod} ({address}) refused the connection: {error}"
                ))
            })?;
        let _ = socket.set_nodelay(true);
        Ok(Box::new(socket))
    }
}

/// The runtime's exec session as the handle's process: the same session
/// `kubectl exec` gets from the API server (`PodLogs::exec`).
fn attached(session: ExecSession, pod: &str) -> AttachedProcess {
    let ExecSession {
        stdin,
        resize,
        output,
        exit_code,
    } = session;
    let resize = resize.map(|runtime| {
        // Sizes go through a relay so the handle's type stays its own.
        let (sender, mut sizes) = tokio::sync::mpsc::channel::<TerminalSize>(4);
        tokio::spawn(async move {
            while let Some(size) = sizes.recv().await {
                if runtime.send((size.width, size.height)).await.is_err() {
                    return;
                }
            }
        });
        sender
    });
    let output = output
        .map(|chunk| match chunk {
            ExecChunk::Stdout(bytes) => ExecOutput::Stdout(bytes),
            ExecChunk::Stderr(bytes) => ExecOutput::Stderr(bytes),
        })
        .boxed();
    let pod = pod.to_string();
    let status = async move {
        exit_code.await.map_err(|_| {
            HandleError::Connect(format!(
                "the runtime reported no exit code for the command in pod {pod}"
            ))
        })
    }
    .boxed();
    AttachedProcess {
        stdin,
        output,
        resize,
        status,
    }
}
