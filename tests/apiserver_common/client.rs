//! A minimal HTTPS client trusting the server's CA, for requests kubectl
//! cannot make (no token, oversized bodies, odd content types, watches).

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::TestServer;

/// A TLS connection to the server trusting its CA, offering `alpn`.
pub async fn tls(
    server: &TestServer,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let ca = std::fs::read(server.dir.path().join("pki").join("ca.crt")).expect("ca");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(&ca).expect("ca pem"))
        .expect("root");
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("tcp");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    connector.connect(name, tcp).await.expect("tls")
}

pub async fn connect(server: &TestServer) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let (sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(tls(server, &[]).await))
            .await
            .expect("handshake");
    tokio::spawn(connection);
    sender
}

/// A GET of `path` with the token and `headers`, over HTTP/2 or HTTP/1.1;
/// the status, or the client's error when the server closed instead.
pub async fn get_with_headers(
    server: &TestServer,
    path: &str,
    headers: &[(String, String)],
    http2: bool,
) -> Result<u16, String> {
    let mut builder = hyper::Request::builder()
        .method("GET")
        .uri(format!("https://127.0.0.1:{}{path}", server.addr.port()))
        .header("authorization", format!("Bearer {}", server.token()));
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let request = builder.body(Full::new(Bytes::new())).expect("request");
    let response = if http2 {
        let (mut sender, connection) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            TokioIo::new(tls(server, &[b"h2"]).await),
        )
        .await
        .expect("h2 handshake");
        tokio::spawn(connection);
        sender.send_request(request).await
    } else {
        connect(server).await.send_request(request).await
    };
    response
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

pub fn build(
    server: &TestServer,
    method: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    with_token: bool,
) -> hyper::Request<Full<Bytes>> {
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1");
    if with_token {
        builder = builder.header("authorization", format!("Bearer {}", server.token()));
    }
    if !content_type.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    builder.body(Full::new(Bytes::from(body))).expect("request")
}

pub async fn request(
    server: &TestServer,
    method: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    with_token: bool,
) -> (u16, String) {
    let mut sender = connect(server).await;
    let request = build(server, method, path, content_type, body, with_token);
    let response = match sender.send_request(request).await {
        Ok(response) => response,
        Err(error) => return (0, error.to_string()),
    };
    let code = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    (code, String::from_utf8_lossy(&bytes).into_owned())
}

/// A GET over HTTP/2; returns the negotiated ALPN protocol and the status.
pub async fn http2_get(server: &TestServer, path: &str) -> (Option<Vec<u8>>, u16) {
    let tls = tls(server, &[b"h2"]).await;
    let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        TokioIo::new(tls),
    )
    .await
    .expect("h2 handshake");
    tokio::spawn(connection);
    let request = hyper::Request::builder()
        .method("GET")
        .uri(format!("https://127.0.0.1:{}{path}", server.addr.port()))
        .header("authorization", format!("Bearer {}", server.token()))
        .body(Full::new(Bytes::new()))
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    (alpn, response.status().as_u16())
}
