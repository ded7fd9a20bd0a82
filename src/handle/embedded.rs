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
use serde::Deserialize;
use serde_json::Value;

use super::{
    AttachedProcess, ClusterHandle, ClusterInfo, ExecOutput, ExecParams, FieldCause, HandleError,
    LogQuery, PortStream, Row, Table, TerminalSize,
};
use crate::api::{Kind, Object};
use crate::apiserver::table::{IncludeObject, table_with};
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

    /// One request through the API server; the body of a 2xx answer, else
    /// the Status it returned as an error.
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
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if (200..300).contains(&code) {
            Ok(value)
        } else {
            Err(refused(code, &value))
        }
    }
}

/// The error a Status body describes.
fn refused(code: u16, status: &Value) -> HandleError {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let causes = status["details"]["causes"]
        .as_array()
        .map(|causes| {
            causes
                .iter()
                .map(|cause| FieldCause {
                    field: text(&cause["field"]),
                    message: text(&cause["message"]),
                })
                .collect()
        })
        .unwrap_or_default();
    HandleError::Refused {
        code,
        reason: text(&status["reason"]),
        message: status["message"]
            .as_str()
            .map_or_else(|| format!("the server answered {code}"), str::to_string),
        causes,
    }
}

/// `/api/v1/namespaces/default/pods` and the like.
fn collection_uri(kind: Kind, namespace: &str) -> String {
    let info = kind.info();
    let prefix = if info.group.is_empty() {
        format!("/api/{}", info.version)
    } else {
        format!("/apis/{}/{}", info.group, info.version)
    };
    if kind.namespaced() {
        format!("{prefix}/namespaces/{namespace}/{}", info.plural)
    } else {
        format!("{prefix}/{}", info.plural)
    }
}

fn item_uri(kind: Kind, namespace: &str, name: &str) -> String {
    format!("{}/{name}", collection_uri(kind, namespace))
}

fn dry_run_query(dry_run: bool) -> &'static str {
    if dry_run { "?dryRun=All" } else { "" }
}

/// Every non-empty document of a YAML file, parsed before any await (the
/// parser is not `Send`).
fn documents(yaml: &str) -> Result<Vec<Value>, HandleError> {
    let mut values = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(yaml).enumerate() {
        let value = Value::deserialize(document)
            .map_err(|error| HandleError::Invalid(format!("document {}: {error}", index + 1)))?;
        if !value.is_null() {
            values.push(value);
        }
    }
    Ok(values)
}

/// The kind a document names in apiVersion/kind.
fn document_kind(document: &Value, index: usize) -> Result<Kind, HandleError> {
    let api_version = document["apiVersion"].as_str().unwrap_or_default();
    let kind = document["kind"].as_str().unwrap_or_default();
    Kind::from_type_meta(api_version, kind).ok_or_else(|| {
        HandleError::Invalid(format!(
            "document {}: podium does not serve apiVersion {api_version:?} kind {kind:?}",
            index + 1
        ))
    })
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
        let table = table_with(kind, objects, 0, IncludeObject::None, crate::clock::now());
        let columns = table["columnDefinitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let cell = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let rows = table["rows"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .zip(objects)
                    .map(|(row, object)| Row {
                        cells: row["cells"]
                            .as_array()
                            .map(|cells| cells.iter().map(cell).collect())
                            .unwrap_or_default(),
                        object: object.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Table {
            columns: columns
                .iter()
                .map(|c| c["name"].as_str().unwrap_or_default().to_uppercase())
                .collect(),
            wide: columns
                .iter()
                .map(|c| c["priority"].as_i64().unwrap_or(0) > 0)
                .collect(),
            rows,
        }
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
        let mut answers = Vec::new();
        for (index, value) in documents(yaml)?.into_iter().enumerate() {
            let kind = document_kind(&value, index)?;
            let namespace = value["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string();
            let name = value["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let suffix = if dry_run { " (server dry run)" } else { "" };
            let exists = !name.is_empty() && self.get(kind, &namespace, &name).is_some();
            if exists {
                let uri = format!(
                    "{}{}",
                    item_uri(kind, &namespace, &name),
                    dry_run_query(dry_run)
                );
                self.request(
                    Method::PATCH,
                    &uri,
                    Some("application/strategic-merge-patch+json"),
                    body,
                )
                .await?;
                answers.push(format!("{} configured{suffix}", kind.resource_name(&name)));
            } else {
                let uri = format!(
                    "{}{}",
                    collection_uri(kind, &namespace),
                    dry_run_query(dry_run)
                );
                let created = self
                    .request(Method::POST, &uri, Some("application/json"), body)
                    .await?;
                let name = created["metadata"]["name"].as_str().unwrap_or(&name);
                answers.push(format!("{} created{suffix}", kind.resource_name(name)));
            }
        }
        if answers.is_empty() {
            return Err(HandleError::Invalid("no objects to apply".to_string()));
        }
        Ok(answers)
    }

    async fn patch(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch: Value,
        dry_run: bool,
    ) -> Result<(), HandleError> {
        let body = serde_json::to_vec(&patch).unwrap_or_default();
        let uri = format!(
            "{}{}",
            item_uri(kind, namespace, name),
            dry_run_query(dry_run)
        );
        self.request(
            Method::PATCH,
            &uri,
            Some("application/merge-patch+json"),
            body,
        )
        .await
        .map(drop)
    }

    async fn delete(&self, kind: Kind, namespace: &str, name: &str) -> Result<(), HandleError> {
        self.request(
            Method::DELETE,
            &item_uri(kind, namespace, name),
            None,
            Vec::new(),
        )
        .await
        .map(drop)
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

/// Splits a byte stream into lines (a line may span chunks).
fn lines(bytes: BoxStream<'static, Bytes>) -> BoxStream<'static, String> {
    futures::stream::unfold(
        (
            bytes,
            Vec::<u8>::new(),
            std::collections::VecDeque::<String>::new(),
        ),
        |(mut bytes, mut partial, mut ready)| async move {
            loop {
                if let Some(line) = ready.pop_front() {
                    return Some((line, (bytes, partial, ready)));
                }
                match bytes.next().await {
                    Some(chunk) => {
                        for &byte in chunk.iter() {
                            if byte == b'\n' {
                                ready.push_back(String::from_utf8_lossy(&partial).into_owned());
                                partial.clear();
                            } else {
                                partial.push(byte);
                            }
                        }
                    }
                    None if partial.is_empty() => return None,
                    None => {
                        let line = String::from_utf8_lossy(&partial).into_owned();
                        partial.clear();
                        return Some((line, (bytes, partial, ready)));
                    }
                }
            }
        },
    )
    .boxed()
}
