//! The Ingress router: HTTP/1.1 on one loopback port, routed by the
//! [`RouteTable`] of every Ingress, proxied to a ready pod of the backend
//! Service with hyper. A request whose pod went away before it was sent
//! is retried on another ready pod, so rollouts lose no requests.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::api::networking::v1::Ingress;
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::balance::{Backend, Balancer, ready_backends};
use super::forward;
use super::report::ListenerReport;
use super::routes::{BackendPort, RouteBackend, RouteTable};
use super::{Context, NetError};
use crate::api::{Kind, Object};
use crate::store::ListFilter;

type Body = BoxBody<Bytes, hyper::Error>;

/// Headers that belong to one hop, not to the request (RFC 9110 §7.6.1).
pub(super) const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Pods tried per request before answering 502.
pub(super) const ATTEMPTS: usize = 3;
/// The largest request body the router takes (ingress-nginx defaults to
/// 1 MiB; a local cluster can afford more).
const MAX_BODY: usize = 16 << 20;

pub(super) struct Router {
    pub(super) context: Arc<Context>,
    client: Client<HttpConnector, Full<Bytes>>,
    /// Round-robin state per (namespace, service).
    balancers: Mutex<HashMap<(String, String), Arc<Balancer>>>,
    /// The route table and the Ingress resourceVersions it was built from.
    routes: Mutex<Option<(Vec<String>, Arc<RouteTable>)>>,
}

/// Binds the router (falling back to a free port when the asked one is
/// taken) and serves until `cancel` fires.
pub(crate) async fn start(
    context: Arc<Context>,
    listen: SocketAddr,
    report: Arc<watch::Sender<ListenerReport>>,
    cancel: CancellationToken,
) -> Result<(SocketAddr, Vec<String>), NetError> {
    let mut warnings = Vec::new();
    let listener = match TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse && listen.port() != 0 => {
            let fallback = SocketAddr::new(listen.ip(), 0);
            let listener =
                TcpListener::bind(fallback)
                    .await
                    .map_err(|source| NetError::IngressBind {
                        address: fallback,
                        source,
                    })?;
            warnings.push(format!(
                "the Ingress port {listen} is in use; Ingresses answer at {} instead (see their status, or set --ingress-listen)",
                listener.local_addr().unwrap_or(fallback)
            ));
            listener
        }
        Err(source) => {
            return Err(NetError::IngressBind {
                address: listen,
                source,
            });
        }
    };
    let address = listener.local_addr().unwrap_or(listen);
    report.send_modify(|r| r.ingress = Some(address));
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(std::time::Duration::from_secs(2)));
    let router = Arc::new(Router {
        context,
        client: Client::builder(TokioExecutor::new()).build(connector),
        balancers: Mutex::default(),
        routes: Mutex::default(),
    });
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = cancel.cancelled() => return,
                accepted = listener.accept() => accepted,
            };
            let Ok((stream, peer)) = accepted else {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(forward::serve(router.clone(), stream, peer, cancel.clone()));
        }
    });
    Ok((address, warnings))
}

/// Serves a client connection with hyper: the requests [`forward`] does
/// not forward byte for byte (bodies, upgrades, HTTP/1.0), from the first
/// of them on.
pub(super) async fn serve_hyper<I>(
    router: Arc<Router>,
    io: I,
    peer: SocketAddr,
    cancel: CancellationToken,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        let router = router.clone();
        async move { Ok::<_, Infallible>(router.handle(request, peer).await) }
    });
    // The fast path's timeouts hold here too: a client that starts a head
    // and stalls, or idles on a kept connection, is let go.
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(super::request_head::HEAD_TIMEOUT)
        .serve_connection(TokioIo::new(io), service);
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = connection => {}
    }
}

/// Where a request goes: the pods of its backend to try, in order.
pub(super) struct Route {
    pub backend: RouteBackend,
    pub balancer: Arc<Balancer>,
    pub order: Vec<Backend>,
    pub now: Instant,
}

/// Why a request goes nowhere: the status, and a body that says why.
pub(super) struct Refusal {
    pub status: StatusCode,
    pub body: String,
}

impl Router {
    /// The backend of `host` and `path` and its ready pods, or why none.
    pub(super) fn route(&self, host: &str, path: &str, client: IpAddr) -> Result<Route, Refusal> {
        let table = self.table();
        let Some(backend) = table.choose(host, path).cloned() else {
            return Err(Refusal {
                status: StatusCode::NOT_FOUND,
                body: format!(
                    "404 Not Found: no Ingress rule matches host {host:?} path {path:?}\nrules:\n{}",
                    table.describe()
                ),
            });
        };
        let service_port = self.service_port(&backend);
        let Some((object, port)) = service_port else {
            return Err(Refusal {
                status: StatusCode::SERVICE_UNAVAILABLE,
                body: format!(
                    "503 Service Unavailable: the Ingress backend service {}/{} has no port {}\n",
                    backend.namespace,
                    backend.service,
                    port_text(&backend.port)
                ),
            });
        };
        let Object::Service(service) = &*object else {
            return Err(Refusal {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                body: "not a Service\n".into(),
            });
        };
        let balancer = self.balancer(service);
        let backends = ready_backends(&self.context.store, service, &port);
        let now = Instant::now();
        let order = balancer.order(&backends, client, now);
        if order.is_empty() {
            return Err(Refusal {
                status: StatusCode::SERVICE_UNAVAILABLE,
                body: format!(
                    "503 Service Unavailable: service {}/{} has no ready endpoint\n",
                    backend.namespace, backend.service
                ),
            });
        }
        Ok(Route {
            backend,
            balancer,
            order,
            now,
        })
    }

    async fn handle(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().host())
            .unwrap_or("")
            .to_string();
        let path = request.uri().path().to_string();
        let route = match self.route(&host, &path, peer.ip()) {
            Ok(route) => route,
            Err(refusal) => return text(refusal.status, refusal.body),
        };
        let (parts, body) = request.into_parts();
        // Bodies are kept for a retry on another pod, so their size is capped.
        let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) if error.is::<http_body_util::LengthLimitError>() => {
                return text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "413 Payload Too Large: the Ingress router takes request bodies up to {} MiB; send larger ones through a Service port or kubectl port-forward\n",
                        MAX_BODY >> 20
                    ),
                );
            }
            Err(_) => return text(StatusCode::BAD_REQUEST, "incomplete request body\n".into()),
        };
        let Route {
            backend,
            balancer,
            order,
            now,
        } = route;
        let replayable = matches!(
            parts.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
        );
        let mut last_error = String::new();
        for pod in order.iter().take(ATTEMPTS) {
            let Some(address) = self.context.address(pod).await else {
                continue;
            };
            let upstream = upstream_request(&parts, body.clone(), address, &host, peer.ip());
            match self.client.request(upstream).await {
                Ok(response) => {
                    balancer.served(peer.ip(), pod, now);
                    let (mut parts, body) = response.into_parts();
                    strip_hop_by_hop(&mut parts.headers);
                    return Response::from_parts(parts, body.boxed());
                }
                Err(error) => {
                    self.context.forget(pod);
                    last_error = format!("{error:?}");
                    if !(error.is_connect() || replayable) {
                        break;
                    }
                }
            }
        }
        text(
            StatusCode::BAD_GATEWAY,
            format!(
                "502 Bad Gateway: service {}/{}: {last_error}\n",
                backend.namespace, backend.service
            ),
        )
    }

    /// The routes of every Ingress, oldest first; rebuilt only when an
    /// Ingress changed.
    fn table(&self) -> Arc<RouteTable> {
        let listed = self
            .context
            .store
            .list(Kind::Ingress, None, &ListFilter::default())
            .items;
        let versions: Vec<String> = listed
            .iter()
            .map(|o| o.meta().resource_version.clone().unwrap_or_default())
            .collect();
        if let Some((cached, table)) = &*self.routes.lock()
            && *cached == versions
        {
            return table.clone();
        }
        let mut ingresses: Vec<&Ingress> = listed
            .iter()
            .filter_map(|o| match &**o {
                Object::Ingress(ingress) => Some(&**ingress),
                _ => None,
            })
            .collect();
        ingresses.sort_by(|a, b| {
            a.metadata
                .creation_timestamp
                .cmp(&b.metadata.creation_timestamp)
                .then_with(|| a.metadata.name.cmp(&b.metadata.name))
        });
        let table = Arc::new(RouteTable::build(ingresses));
        *self.routes.lock() = Some((versions, table.clone()));
        table
    }

    fn service_port(&self, backend: &RouteBackend) -> Option<(Arc<Object>, ServicePort)> {
        let object = self
            .context
            .store
            .get(Kind::Service, &backend.namespace, &backend.service)?;
        let Object::Service(service) = &*object else {
            return None;
        };
        let port = service
            .spec
            .as_ref()?
            .ports
            .iter()
            .flatten()
            .find(|p| match &backend.port {
                BackendPort::Number(n) => p.port == *n,
                BackendPort::Name(name) => p.name.as_deref() == Some(name),
            })?
            .clone();
        Some((object.clone(), port))
    }

    fn balancer(&self, service: &Service) -> Arc<Balancer> {
        let key = (
            service.metadata.namespace.clone().unwrap_or_default(),
            service.metadata.name.clone().unwrap_or_default(),
        );
        let affinity = Balancer::affinity_of(service);
        let mut balancers = self.balancers.lock();
        match balancers.get(&key) {
            Some(existing) if existing.affinity() == affinity => existing.clone(),
            _ => {
                let balancer = Arc::new(Balancer::new(service));
                balancers.insert(key, balancer.clone());
                balancer
            }
        }
    }
}

/// The request as the pod gets it: same method, path, headers and Host,
/// plus the X-Forwarded-* headers ingress-nginx adds.
fn upstream_request(
    parts: &http::request::Parts,
    body: Bytes,
    address: SocketAddr,
    host: &str,
    client: IpAddr,
) -> Request<Full<Bytes>> {
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let uri: Uri = format!("http://{address}{path}")
        .parse()
        .unwrap_or_else(|_| Uri::from_static("/"));
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    *headers = parts.headers.clone();
    strip_hop_by_hop(headers);
    let client = client.to_string();
    if let Ok(value) = HeaderValue::from_str(&client) {
        headers.insert("x-real-ip", value.clone());
        let forwarded = match parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        {
            Some(earlier) => {
                HeaderValue::from_str(&format!("{earlier}, {client}")).unwrap_or(value)
            }
            None => value,
        };
        headers.insert("x-forwarded-for", forwarded);
    }
    if let Ok(value) = HeaderValue::from_str(host) {
        headers.insert("x-forwarded-host", value);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    request
}

fn strip_hop_by_hop(headers: &mut http::HeaderMap) {
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

fn port_text(port: &BackendPort) -> String {
    match port {
        BackendPort::Number(n) => n.to_string(),
        BackendPort::Name(name) => name.clone(),
    }
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
