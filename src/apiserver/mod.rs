//! The Kubernetes REST dialect over HTTPS: TLS, token auth, discovery,
//! OpenAPI, CRUD, list/watch, Tables, Status errors and subresources. It
//! translates HTTP to store calls and holds no business rules.

pub mod access;
pub mod admission;
pub mod auth;
pub mod binding;
pub mod bootstrap;
pub mod catalog;
pub mod crud;
pub mod discovery;
pub mod encode;
pub mod eviction;
pub mod http;
pub mod kubernetes_service;
pub mod metrics;
pub mod openapi;
pub mod openapi_v2;
pub mod protobuf;
pub mod reviews;
pub mod routes;
pub mod server_side_apply;
pub mod service_alloc;
pub mod status;
pub mod stream;
pub mod subresources;
pub mod table;
pub mod tls;
pub mod token_request;
pub mod watch;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ::http::{Method, Request, Response, header};
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use self::catalog::Catalog;
use self::crud::Call;
use self::http::{
    Body, Query, bytes_response, error_response, json_response, read_body, text_response,
};
use self::routes::{ResourcePath, Route};
use self::status::ApiError;
use crate::api::rbac::UserInfo;
use crate::kubelet::PodLogs;
use crate::store::{Store, UpdateScope};

pub struct ApiServerConfig {
    pub listen: SocketAddr,
    /// Certificates, the token and the kubeconfig live here.
    pub data_dir: PathBuf,
}

pub struct ApiServer {
    /// The bound address (the real port when 0 was asked).
    pub addr: SocketAddr,
    pub kubeconfig: PathBuf,
    pub task: tokio::task::JoinHandle<()>,
    /// What the handlers share; [`serve_local`] serves requests with it.
    pub state: Arc<ServerState>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiServerError {
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error(transparent)]
    Tokens(#[from] crate::tokens::TokenError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// What every request handler shares.
pub struct ServerState {
    pub store: Store,
    pub logs: Arc<dyn PodLogs>,
    pub token: String,
    /// Signs and verifies ServiceAccount tokens.
    pub tokens: crate::tokens::Tokens,
    pub addr: SocketAddr,
    /// Held from Service IP/port allocation until the Service is stored.
    pub allocation: parking_lot::Mutex<()>,
    pub cancel: CancellationToken,
    /// The OpenAPI documents, built once per set of definitions.
    pub openapi: openapi::Cache,
}

/// Binds, writes the kubeconfig, and serves until `cancel`.
pub async fn start(
    store: Store,
    logs: Arc<dyn PodLogs>,
    config: ApiServerConfig,
    cancel: CancellationToken,
) -> Result<ApiServer, ApiServerError> {
    let pki = config.data_dir.join(crate::config::PKI_DIR);
    let credentials = tls::load_or_create(&pki)?;
    let tokens = crate::tokens::Tokens::load_or_create(&pki)?;
    bootstrap::ensure_defaults(&store);
    let listener =
        TcpListener::bind(config.listen)
            .await
            .map_err(|source| ApiServerError::Bind {
                addr: config.listen,
                source,
            })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ApiServerError::Bind {
            addr: config.listen,
            source,
        })?;
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        match addr.ip() {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            std::net::IpAddr::V4(ip) => ip.to_string(),
        }
    };
    let server_url = format!("https://{host}:{}", addr.port());
    let kubeconfig = tls::write_kubeconfig(&config.data_dir, &server_url, &credentials)?;
    let state = Arc::new(ServerState {
        store,
        logs,
        token: credentials.token.clone(),
        tokens,
        addr,
        allocation: parking_lot::Mutex::new(()),
        cancel: cancel.clone(),
        openapi: openapi::Cache::default(),
    });
    let acceptor = tokio_rustls::TlsAcceptor::from(credentials.server_config.clone());
    let task = tokio::spawn(accept_loop(listener, acceptor, state.clone(), cancel));
    Ok(ApiServer {
        addr,
        kubeconfig,
        task,
        state,
    })
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    state: Arc<ServerState>,
    cancel: CancellationToken,
) {
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = cancel.cancelled() => return,
        };
        // Small responses go out at once, not after the peer's delayed
        // acknowledgement (Nagle's algorithm would hold them ~40 ms).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
        let acceptor = acceptor.clone();
        let state = state.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
            let tls = match handshake.await {
                Ok(Ok(tls)) => tls,
                Ok(Err(error)) => {
                    tracing::debug!(%error, "TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            // rustls verified any certificate the client showed against
            // the cluster's CA: the connection is logged in by it.
            let by_certificate = tls
                .get_ref()
                .1
                .peer_certificates()
                .is_some_and(|chain| !chain.is_empty());
            let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
                let state = state.clone();
                if by_certificate {
                    request.extensions_mut().insert(ClientCertificate);
                }
                async move { Ok::<_, Infallible>(handle(&state, request).await) }
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            // A client that never finishes its headers does not hold a task forever.
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .max_buf_size(MAX_HEADER_BYTES)
                .max_headers(MAX_HEADERS);
            builder
                .http2()
                .max_header_list_size(MAX_HEADER_BYTES as u32);
            // With upgrades: exec and port-forward switch protocols.
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "connection ended");
                    }
                }
                _ = cancel.cancelled() => {}
            }
        });
    }
}

/// Request heads as large as Go's http.Server takes by default
/// (DefaultMaxHeaderBytes, 1 MiB, plus its 4 KiB of slack); larger ones
/// get 431 Request Header Fields Too Large.
const MAX_HEADER_BYTES: usize = (1 << 20) + 4096;
/// Header fields in one HTTP/1.1 request (Go counts only bytes; hyper
/// needs a number): more gets 431.
const MAX_HEADERS: usize = 200;

/// Marks a request that came over a connection whose client certificate
/// the cluster's CA signed.
#[derive(Debug, Clone, Copy)]
struct ClientCertificate;

/// One request to one response, logged to the access log.
pub async fn handle(state: &ServerState, request: Request<Incoming>) -> Response<Body> {
    let entry = access::Entry::of(request.method(), request.uri(), request.headers());
    let response = respond(state, request).await;
    access::log(entry, response.status());
    response
}

/// Every failure becomes a Status.
async fn respond(state: &ServerState, request: Request<Incoming>) -> Response<Body> {
    let catalog = Catalog::of(&state.store);
    let route = routes::parse(request.uri().path(), &catalog);
    let public = matches!(route, Route::Health | Route::Version);
    let by_certificate = request.extensions().get::<ClientCertificate>().is_some();
    let user = match auth::authenticate(state, request.headers(), by_certificate) {
        Some(user) => user,
        None if public => auth::admin(),
        None => return error_response(&ApiError::new(401, "Unauthorized", "Unauthorized")),
    };
    let user = match auth::impersonate(&state.store, user, request.headers()) {
        Ok(user) => user,
        Err(error) => return error_response(&error),
    };
    if !public {
        let query = Query::parse(request.uri().query());
        let wanted = auth::attributes(&route, request.method(), request.uri().path(), &query);
        if !auth::authorize(&state.store, &user, &wanted) {
            return error_response(&auth::forbidden(&user, &wanted));
        }
    }
    match dispatch(state, &catalog, route, request, &user).await {
        Ok(response) => response,
        Err(error) => error_response(&error),
    }
}

async fn dispatch(
    state: &ServerState,
    catalog: &Catalog,
    route: Route,
    request: Request<Incoming>,
    user: &UserInfo,
) -> Result<Response<Body>, ApiError> {
    let method = request.method().clone();
    let read_only = |response: Response<Body>| {
        if method == Method::GET || method == Method::HEAD {
            Ok(response)
        } else {
            Err(ApiError::method_not_allowed(method.as_str()))
        }
    };
    match route {
        Route::Health => read_only(text_response(200, "ok")),
        Route::Version => read_only(json_response(200, &discovery::version())),
        Route::CoreVersions | Route::Groups => {
            let core = matches!(route, Route::CoreVersions);
            let accept = request
                .headers()
                .get(::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            let mut response = match discovery::aggregated_version(accept) {
                Some(version) => {
                    let doc = discovery::aggregated(catalog, core, version);
                    let mut response = json_response(200, &doc);
                    response.headers_mut().insert(
                        ::http::header::CONTENT_TYPE,
                        ::http::HeaderValue::from_static(discovery::aggregated_content_type(
                            version,
                        )),
                    );
                    response
                }
                None if core => json_response(200, &discovery::core_versions(state.addr)),
                None => json_response(200, &discovery::groups(catalog)),
            };
            // One URL, two documents: caches must key on Accept.
            response.headers_mut().insert(
                ::http::header::VARY,
                ::http::HeaderValue::from_static("Accept"),
            );
            read_only(response)
        }
        Route::Group(name) => match discovery::group(catalog, &name) {
            Some(doc) => read_only(json_response(200, &doc)),
            None => Err(ApiError::not_found_path()),
        },
        Route::Resources { group, version } => read_only(json_response(
            200,
            &discovery::resources(catalog, &group, &version),
        )),
        Route::OpenApiIndex => {
            let docs = state.openapi.documents(catalog);
            let response = bytes_response(200, "application/json", docs.index.body.to_vec());
            read_only(openapi::cached(
                response,
                &docs.index.hash,
                false,
                request.headers(),
            ))
        }
        Route::OpenApiV2 => {
            let docs = state.openapi.documents(catalog);
            let accept = request
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            let (response, hash) = openapi_v2::response(&docs, accept);
            read_only(openapi::cached(response, &hash, false, request.headers()))
        }
        Route::OpenApiDocument { group, version } => {
            let docs = state.openapi.documents(catalog);
            match docs.v3.get(&openapi::doc_path(&group, &version)) {
                Some(doc) => {
                    // A request naming the document's current hash may be
                    // cached for good, as upstream says.
                    let query = request.uri().query().unwrap_or_default();
                    let immutable = query
                        .split('&')
                        .any(|pair| pair == format!("hash={}", doc.hash));
                    let response = bytes_response(200, "application/json", doc.body.to_vec());
                    read_only(openapi::cached(
                        response,
                        &doc.hash,
                        immutable,
                        request.headers(),
                    ))
                }
                None => Err(ApiError::not_found_path()),
            }
        }
        Route::Resource(path) => resource(state, path, request, user).await,
        Route::NotFound => Err(ApiError::not_found_path()),
    }
}

async fn resource(
    state: &ServerState,
    path: ResourcePath,
    request: Request<Incoming>,
    user: &UserInfo,
) -> Result<Response<Body>, ApiError> {
    let (parts, body) = request.into_parts();
    if stream::handles(&path) {
        return stream::serve(state, &path, parts).await;
    }
    let body = match parts.method {
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE => read_body(body).await?,
        _ => Bytes::new(),
    };
    resource_call(state, path, parts, body, user).await
}

/// Serves one request without TCP, TLS or a token, for the console inside
/// this process: its writes take exactly the path kubectl's take
/// (defaulting, validation, admission, Status errors). `uri` is a path
/// with its query, e.g. `/apis/apps/v1/namespaces/default/deployments?dryRun=All`.
pub async fn serve_local(
    state: &ServerState,
    method: Method,
    uri: &str,
    content_type: Option<&str>,
    body: Bytes,
) -> Response<Body> {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let Ok(request) = request.body(()) else {
        return error_response(&ApiError::not_found_path());
    };
    let (parts, ()) = request.into_parts();
    // Logged like a client's request, so the console's writes show too.
    let entry = access::Entry::in_process(&parts.method, &parts.uri);
    let result = match routes::parse(parts.uri.path(), &Catalog::of(&state.store)) {
        Route::Resource(path) => resource_call(state, path, parts, body, &auth::admin()).await,
        _ => Err(ApiError::not_found_path()),
    };
    let response = result.unwrap_or_else(|error| error_response(&error));
    access::log(entry, response.status());
    response
}

async fn resource_call(
    state: &ServerState,
    path: ResourcePath,
    parts: ::http::request::Parts,
    body: Bytes,
    user: &UserInfo,
) -> Result<Response<Body>, ApiError> {
    let mut query = Query::parse(parts.uri.query());
    if path.watch_prefix {
        query.insert("watch", "true");
    }
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(header::CONTENT_TYPE);
    let table = header(header::ACCEPT).is_some_and(|a| a.contains("as=Table"));
    let method = parts.method;
    let call = Call {
        state,
        user,
        path: &path,
        query: &query,
        content_type: content_type.as_deref(),
        table,
        body,
    };
    if matches!(
        path.kind,
        crate::api::Kind::PodMetrics | crate::api::Kind::NodeMetrics
    ) {
        return metrics::serve(&call, method.as_str()).await;
    }
    if !path.kind.info().stored() {
        // Reviews: a create is answered, nothing else is served.
        return match (method.as_str(), &path.name, &path.subresource) {
            ("POST", None, None) => reviews::create(&call),
            (other, _, _) => Err(ApiError::method_not_allowed(other)),
        };
    }
    if let Some(sub) = &path.subresource {
        return subresources::serve(&call, &method, sub).await;
    }
    let is_item = path.name.is_some();
    match (method.as_str(), is_item) {
        ("GET", false) if query.flag("watch") => watch::serve(&call),
        ("GET", false) => crud::list(&call),
        ("POST", false) => {
            if path.kind.namespaced() && path.namespace.is_none() {
                return Err(ApiError::method_not_allowed("POST"));
            }
            crud::create(&call)
        }
        ("DELETE", false) => crud::delete_collection(&call),
        // The deprecated single-object watch: a watch filtered by name.
        ("GET", true) if query.flag("watch") => watch::serve(&call),
        ("GET", true) => crud::get(&call),
        ("PUT", true) => crud::update(&call, UpdateScope::Main),
        ("PATCH", true) => crud::patch(&call, UpdateScope::Main),
        ("DELETE", true) => crud::delete(&call),
        (other, _) => Err(ApiError::method_not_allowed(other)),
    }
}
