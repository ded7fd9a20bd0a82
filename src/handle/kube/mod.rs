//! The console on any Kubernetes cluster: a [`ClusterHandle`] over kube-rs,
//! from a kubeconfig context. Opening it reads the kubeconfig and nothing
//! else, so the console draws at once; the cache then connects, lists and
//! watches in the background and says how that goes
//! ([`ClusterHandle::connection`]).

mod attach;
mod cache;
mod transport;

use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use http::Method;
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use self::cache::Cache;
use self::transport::KubeTransport;
use super::rest;
use super::{
    AttachedProcess, ClusterHandle, ClusterInfo, Connection, Contexts, ExecParams, HandleError,
    LogQuery, PortStream, Table, lines, table,
};
use crate::api::{Kind, Object};

/// What the console's requests say they come from.
/// An object as the remote console's cache keeps it (for the
/// object_memory bench): without managedFields, and Secrets and
/// ConfigMaps without their values.
pub fn as_cached(object: Object) -> Object {
    cache::slim(object)
}

pub const USER_AGENT: &str = concat!("podium/", env!("CARGO_PKG_VERSION"), " (console)");

/// Which cluster: a kubeconfig file (else `KUBECONFIG`, else
/// `~/.kube/config`) and a context in it (else its current context).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeTarget {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error("cannot read the kubeconfig {where_}: {reason}; {fix}")]
    Kubeconfig {
        where_: String,
        reason: String,
        fix: &'static str,
    },
    #[error(
        "context {context:?} is not in the kubeconfig {where_} (its contexts: {known}); pick one with --context NAME"
    )]
    NoSuchContext {
        context: String,
        where_: String,
        known: String,
    },
    #[error(
        "the kubeconfig {where_} names no current context; pick one with --context NAME (its contexts: {known})"
    )]
    NoCurrentContext { where_: String, known: String },
    #[error("context {context:?} in {where_} cannot be used: {reason}")]
    BadContext {
        context: String,
        where_: String,
        reason: String,
    },
}

pub struct KubeHandle {
    target: KubeTarget,
    transport: KubeTransport,
    cache: Arc<Cache>,
    info: ClusterInfo,
    contexts: Contexts,
    cancel: CancellationToken,
}

impl Drop for KubeHandle {
    fn drop(&mut self) {
        // Stops the reflectors: nothing keeps watching a closed console.
        self.cancel.cancel();
    }
}

impl KubeHandle {
    /// Reads the kubeconfig and prepares the client; touches no network.
    pub async fn open(target: KubeTarget) -> Result<KubeHandle, KubeError> {
        let where_ = target.kubeconfig.as_ref().map_or_else(
            || std::env::var("KUBECONFIG").unwrap_or_else(|_| "~/.kube/config".to_string()),
            |path| path.display().to_string(),
        );
        let kubeconfig = match &target.kubeconfig {
            Some(path) => Kubeconfig::read_from(path),
            None => Kubeconfig::read(),
        }
        .map_err(|error| KubeError::Kubeconfig {
            where_: where_.clone(),
            reason: kubeconfig_reason(&error),
            fix: "pass --kubeconfig PATH, or set KUBECONFIG",
        })?;
        let names: Vec<String> = kubeconfig
            .contexts
            .iter()
            .map(|context| context.name.clone())
            .collect();
        let known = if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        };
        let context = match target
            .context
            .clone()
            .or(kubeconfig.current_context.clone())
        {
            Some(context) if names.contains(&context) => context,
            Some(context) => {
                return Err(KubeError::NoSuchContext {
                    context,
                    where_,
                    known,
                });
            }
            None => return Err(KubeError::NoCurrentContext { where_, known }),
        };
        let options = KubeConfigOptions {
            context: Some(context.clone()),
            ..KubeConfigOptions::default()
        };
        let bad_context = |reason: String| KubeError::BadContext {
            context: context.clone(),
            where_: where_.clone(),
            reason,
        };
        let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|error| bad_context(kubeconfig_reason(&error)))?;
        // The server's access log tells the console's requests apart.
        config.headers.push((
            http::header::USER_AGENT,
            http::HeaderValue::from_static(USER_AGENT),
        ));
        let server = config.cluster_url.to_string();
        let server = server.trim_end_matches('/').to_string();
        let namespace = config.default_namespace.clone();
        let client =
            kube::Client::try_from(config).map_err(|error| bad_context(error.to_string()))?;
        let transport = KubeTransport {
            client,
            server: server.clone(),
        };
        let cancel = CancellationToken::new();
        let cache = Arc::new(Cache::new(
            transport.clone(),
            namespace.clone(),
            cancel.clone(),
        ));
        // Everything the console shows, from the start: describe and the
        // panes read kinds the table is not showing, and `:` offers the
        // kinds of the cluster's CustomResourceDefinitions.
        for kind in Kind::TYPED {
            cache.ensure(kind);
        }
        cache.ensure(Kind::CustomResourceDefinition);
        Ok(KubeHandle {
            target: KubeTarget {
                kubeconfig: target.kubeconfig,
                context: Some(context.clone()),
            },
            transport,
            cache,
            info: ClusterInfo {
                name: context.clone(),
                runtime: "remote".to_string(),
                server,
                warnings: Vec::new(),
                namespace,
                read_only: false,
                offline: false,
            },
            contexts: Contexts {
                current: context,
                names,
            },
            cancel,
        })
    }
}

/// A kubeconfig error with its cause, in one line.
fn kubeconfig_reason(error: &KubeconfigError) -> String {
    let text = error.to_string();
    let cause = transport::innermost(error);
    if text.contains(&cause) {
        text
    } else {
        format!("{text}: {cause}")
    }
}

#[async_trait::async_trait]
impl ClusterHandle for KubeHandle {
    fn info(&self) -> ClusterInfo {
        self.info.clone()
    }

    fn connection(&self) -> Connection {
        self.cache.connection()
    }

    fn contexts(&self) -> Contexts {
        self.contexts.clone()
    }

    async fn switch_context(&self, name: &str) -> Result<Arc<dyn ClusterHandle>, HandleError> {
        let target = KubeTarget {
            kubeconfig: self.target.kubeconfig.clone(),
            context: Some(name.to_string()),
        };
        let handle = KubeHandle::open(target)
            .await
            .map_err(|error| HandleError::Invalid(error.to_string()))?;
        Ok(Arc::new(handle))
    }

    fn list(&self, kind: Kind, namespace: Option<&str>) -> Vec<Arc<Object>> {
        self.cache.ensure(kind);
        self.cache.list(kind, namespace)
    }

    fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Object>> {
        self.cache.ensure(kind);
        self.cache.get(kind, namespace, name)
    }

    fn lists_whole(&self, kind: Kind) -> bool {
        !cache::keeps_without_values(kind)
    }

    async fn fetch(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Arc<Object>, HandleError> {
        let page = self
            .transport
            .get_bytes(&rest::item_uri(kind, namespace, name))
            .await?;
        let object =
            Object::from_slice(kind, &page).map_err(|error| cache::unreadable(kind, &error))?;
        Ok(Arc::new(cache::without_managed_fields(object)))
    }

    async fn events_about(&self, object: &Object) -> Result<Vec<Arc<Object>>, HandleError> {
        // The query `kubectl describe` sends: the cache keeps only the
        // newest events, the server has them all.
        let involved = object.kind().info();
        let mut selector = format!(
            "involvedObject.kind={},involvedObject.name={}",
            involved.kind_name,
            object.name()
        );
        if !object.namespace().is_empty() {
            selector.push_str(&format!(",involvedObject.namespace={}", object.namespace()));
        }
        if let Some(uid) = object.meta().uid.as_deref() {
            selector.push_str(&format!(",involvedObject.uid={uid}"));
        }
        let uri = format!(
            "{}?fieldSelector={}",
            rest::collection_uri(Kind::Event, object.namespace()),
            urlencoding::encode(&selector)
        );
        let page = self.transport.get_bytes(&uri).await?;
        let (events, _) = Object::list_page(Kind::Event, &page)
            .map_err(|error| cache::unreadable(Kind::Event, &error))?;
        Ok(events.into_iter().map(Arc::new).collect())
    }

    fn table(&self, kind: Kind, objects: &[Arc<Object>]) -> Table {
        let definition = table::definition_name(kind)
            .and_then(|name| self.get(Kind::CustomResourceDefinition, "", &name));
        table::table(kind, definition.as_deref(), objects)
    }

    fn changes(&self, kinds: &[Kind]) -> BoxStream<'static, Kind> {
        for &kind in kinds {
            self.cache.ensure(kind);
        }
        let kinds = kinds.to_vec();
        let first = kinds.first().copied().unwrap_or(Kind::Pod);
        let receiver = self.cache.subscribe();
        futures::stream::unfold(receiver, move |mut receiver| {
            let kinds = kinds.clone();
            async move {
                loop {
                    match receiver.recv().await {
                        // Connection changes come as Namespace: pass them on.
                        Ok(kind) if kinds.contains(&kind) || kind == Kind::Namespace => {
                            return Some((kind, receiver));
                        }
                        Ok(_) => {}
                        // Fell behind a burst: have the consumer re-read.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            return Some((first, receiver));
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        })
        .boxed()
    }

    async fn apply(&self, yaml: &str, dry_run: bool) -> Result<Vec<String>, HandleError> {
        rest::apply(&self.transport, yaml, &self.info.namespace, dry_run).await
    }

    async fn patch(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch: Value,
        dry_run: bool,
    ) -> Result<(), HandleError> {
        rest::merge_patch(&self.transport, kind, namespace, name, &patch, dry_run).await
    }

    async fn delete(&self, kind: Kind, namespace: &str, name: &str) -> Result<(), HandleError> {
        rest::delete(&self.transport, kind, namespace, name).await
    }

    async fn logs(
        &self,
        namespace: &str,
        pod: &str,
        query: LogQuery,
    ) -> Result<BoxStream<'static, String>, HandleError> {
        let mut uri = format!("{}/log?", rest::item_uri(Kind::Pod, namespace, pod));
        let mut add = |key: &str, value: String| {
            uri.push_str(&format!("{key}={}&", urlencoding::encode(&value)));
        };
        if let Some(container) = query.container {
            add("container", container);
        }
        if query.follow {
            add("follow", "true".to_string());
        }
        if query.previous {
            add("previous", "true".to_string());
        }
        if query.timestamps {
            add("timestamps", "true".to_string());
        }
        if let Some(lines) = query.tail_lines {
            add("tailLines", lines.to_string());
        }
        if let Some(seconds) = query.since_seconds {
            add("sinceSeconds", seconds.to_string());
        }
        let uri = uri.trim_end_matches(['&', '?']).to_string();
        let (code, body) = self
            .transport
            .send(Method::GET, &uri, None, Vec::new())
            .await?;
        if !(200..300).contains(&code) {
            let bytes = transport::collected(body).await;
            return Err(rest::failure(code, &bytes));
        }
        Ok(lines(body))
    }

    async fn exec(
        &self,
        namespace: &str,
        pod: &str,
        params: ExecParams,
    ) -> Result<AttachedProcess, HandleError> {
        attach::exec(self.transport.client.clone(), namespace, pod, params).await
    }

    async fn port_forward(
        &self,
        namespace: &str,
        pod: &str,
        port: u16,
    ) -> Result<PortStream, HandleError> {
        attach::port_forward(self.transport.client.clone(), namespace, pod, port).await
    }
}
