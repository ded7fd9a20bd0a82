//! Switching an HTTP/1.1 request to a streaming protocol: the WebSocket
//! handshake (RFC 6455, with the Kubernetes subprotocols) and the plain
//! SPDY/3.1 upgrade older kubectl versions fall back to.

use http::request::Parts;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::StreamError;
use crate::apiserver::http::{Body, full};

pub type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// The header kubectl names its SPDY subprotocols in.
const STREAM_PROTOCOL_HEADER: &str = "x-stream-protocol-version";

fn header_has(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case(token))
}

pub fn wants_websocket(headers: &HeaderMap) -> bool {
    header_has(headers, header::UPGRADE, "websocket")
}

pub fn wants_spdy(headers: &HeaderMap) -> bool {
    header_has(headers, header::UPGRADE, "SPDY/3.1")
}

/// The first protocol of `supported` the client offered (in our order of
/// preference), from `Sec-WebSocket-Protocol` or `X-Stream-Protocol-Version`.
pub fn choose_protocol(
    headers: &HeaderMap,
    websocket: bool,
    supported: &[&'static str],
) -> Option<&'static str> {
    let name = if websocket {
        header::SEC_WEBSOCKET_PROTOCOL.as_str()
    } else {
        STREAM_PROTOCOL_HEADER
    };
    let offered: Vec<String> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_string())
        .collect();
    supported
        .iter()
        .find(|s| offered.iter().any(|o| o == *s))
        .copied()
}

/// The 101 answer that switches to `protocol`, and the future that yields
/// the connection once hyper has sent it.
pub fn switch(
    parts: &mut Parts,
    websocket: bool,
    protocol: &'static str,
) -> Result<(Response<Body>, OnUpgrade), StreamError> {
    let on_upgrade = parts
        .extensions
        .remove::<OnUpgrade>()
        .ok_or(StreamError::NotUpgradable)?;
    let mut response = Response::new(full(Vec::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if websocket {
        let key = parts
            .headers
            .get(header::SEC_WEBSOCKET_KEY)
            .ok_or(StreamError::BadHandshake("Sec-WebSocket-Key is missing"))?;
        let accept = HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
            .map_err(|_| StreamError::BadHandshake("Sec-WebSocket-Key is not valid"))?;
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(protocol),
        );
    } else {
        headers.insert(header::UPGRADE, HeaderValue::from_static("SPDY/3.1"));
        headers.insert(STREAM_PROTOCOL_HEADER, HeaderValue::from_static(protocol));
    }
    Ok((response, on_upgrade))
}

pub async fn upgraded(on_upgrade: OnUpgrade) -> Result<TokioIo<Upgraded>, StreamError> {
    let upgraded = on_upgrade
        .await
        .map_err(|e| StreamError::Upgrade(e.to_string()))?;
    Ok(TokioIo::new(upgraded))
}

pub async fn websocket(on_upgrade: OnUpgrade) -> Result<Socket, StreamError> {
    let io = upgraded(on_upgrade).await?;
    let config = WebSocketConfig::default();
    Ok(WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await)
}

/// What a message on a channel protocol (`v4`/`v5.channel.k8s.io`,
/// port-forward's) carries. Upstream's server reads text frames as it
/// reads binary ones — the first byte names the channel — and the
/// official Python client sends stdin as text.
pub enum ChannelMessage {
    Data(bytes::Bytes),
    Closed,
    /// Pings, pongs: nothing for a channel.
    Control,
}

impl From<tokio_tungstenite::tungstenite::Message> for ChannelMessage {
    fn from(message: tokio_tungstenite::tungstenite::Message) -> ChannelMessage {
        use tokio_tungstenite::tungstenite::Message;
        match message {
            Message::Binary(data) => ChannelMessage::Data(data),
            Message::Text(text) => ChannelMessage::Data(text.into()),
            Message::Close(_) => ChannelMessage::Closed,
            _ => ChannelMessage::Control,
        }
    }
}
