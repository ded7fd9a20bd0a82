//! HTTP plumbing shared by the handlers: the response body type, JSON and
//! streaming responses, query strings, and request bodies with a size limit.

use std::collections::HashMap;

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};

use super::status::ApiError;

pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// Request bodies larger than this are refused with 413, as upstream does at 3 MiB.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub fn bytes_response(code: u16, content_type: &'static str, bytes: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(full(bytes));
    *response.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub fn json_response(code: u16, value: &serde_json::Value) -> Response<Body> {
    json_bytes(code, serde_json::to_vec(value).unwrap_or_default())
}

pub fn json_bytes(code: u16, bytes: Vec<u8>) -> Response<Body> {
    bytes_response(code, "application/json", bytes)
}

pub fn text_response(code: u16, text: &str) -> Response<Body> {
    bytes_response(code, "text/plain; charset=utf-8", text.as_bytes().to_vec())
}

pub fn error_response(error: &ApiError) -> Response<Body> {
    json_response(error.code, &error.to_status())
}

/// A streamed (chunked) response fed through the returned sender. The
/// producer stops when the client goes away (the send fails).
pub fn streaming_response(
    content_type: &'static str,
) -> (tokio::sync::mpsc::Sender<Bytes>, Response<Body>) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx)
        .map(|b| Ok::<_, std::io::Error>(Frame::data(b)));
    let mut response = Response::new(StreamBody::new(stream).boxed_unsync());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    (tx, response)
}

/// Decoded query parameters (the last value wins).
#[derive(Debug, Default, Clone)]
pub struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(query: Option<&str>) -> Query {
        let mut map = HashMap::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            map.insert(decode(key), decode(value));
        }
        Query(map)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1" | ""))
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!("invalid value {v:?} for query parameter {key}"))
            }),
        }
    }

    pub fn insert(&mut self, key: &str, value: &str) {
        self.0.insert(key.to_string(), value.to_string());
    }
}

fn decode(text: &str) -> String {
    let text = text.replace('+', " ");
    urlencoding::decode(&text)
        .map(|c| c.into_owned())
        .unwrap_or(text)
}

/// How much of an oversized body is read (and dropped) before answering
/// 413, so HTTP/1.1 clients still writing it get the answer, not a reset.
const DRAIN_LIMIT_BYTES: usize = 64 * 1024 * 1024;

/// Reads a request body, refusing more than `MAX_BODY_BYTES`.
pub async fn read_body(mut body: Incoming) -> Result<Bytes, ApiError> {
    let mut collected = bytes::BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen > MAX_BODY_BYTES {
            drain(body, seen).await;
            return Err(ApiError::new(
                413,
                "RequestEntityTooLarge",
                "Request entity too large: limit is 3145728",
            ));
        }
        collected.extend_from_slice(&data);
    }
    Ok(collected.freeze())
}

async fn drain(mut body: Incoming, mut seen: usize) {
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while seen <= DRAIN_LIMIT_BYTES {
            match body.frame().await {
                Some(Ok(frame)) => seen += frame.data_ref().map_or(0, Bytes::len),
                _ => return,
            }
        }
    })
    .await;
}
