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

/// A JSON body ends with a newline, as upstream's encoder (Go's
/// `json.Encoder`) writes it.
pub fn json_bytes(code: u16, mut bytes: Vec<u8>) -> Response<Body> {
    if bytes.last() != Some(&b'\n') {
        bytes.push(b'\n');
    }
    bytes_response(code, "application/json", bytes)
}

pub fn text_response(code: u16, text: &str) -> Response<Body> {
    bytes_response(code, "text/plain; charset=utf-8", text.as_bytes().to_vec())
}

pub fn error_response(error: &ApiError) -> Response<Body> {
    let mut response = json_response(error.code, &error.to_status());
    // As upstream's ErrorNegotiated: a retry delay is a header too.
    if let Some(delay) = error
        .details
        .as_ref()
        .map(|d| d.retry_after_seconds)
        .filter(|d| *d > 0)
        && let Ok(value) = HeaderValue::from_str(&delay.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
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

/// Decoded query parameters, every value of a repeated key kept in order.
/// Single values read the first, as apimachinery's query conversion does.
#[derive(Debug, Default, Clone)]
pub struct Query(HashMap<String, Vec<String>>);

impl Query {
    pub fn parse(query: Option<&str>) -> Query {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            map.entry(decode(key)).or_default().push(decode(value));
        }
        Query(map)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.first()).map(String::as_str)
    }

    /// Every value of `key`, in the order sent (exec's `command`).
    pub fn all(&self, key: &str) -> &[String] {
        self.0.get(key).map(Vec::as_slice).unwrap_or_default()
    }

    /// A boolean parameter as upstream reads one
    /// (`Convert_Slice_string_To_bool`): absent is false, `0` and `false`
    /// in any case are false, anything else — `True`, `yes`, empty — true.
    pub fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false"))
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
        self.0.insert(key.to_string(), vec![value.to_string()]);
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

#[cfg(test)]
mod tests {
    use super::Query;

    #[test]
    fn flags_read_as_upstreams_conversion_does() {
        for (query, expected) in [
            ("watch=true", true),
            ("watch=True", true),
            ("watch=TRUE", true),
            ("watch=1", true),
            ("watch=yes", true),
            ("watch=", true),
            ("watch", true),
            ("watch=0", false),
            ("watch=false", false),
            ("watch=False", false),
            ("watch=FALSE", false),
            ("", false),
            ("other=true", false),
            // Repeated: the first value decides.
            ("watch=false&watch=true", false),
            ("watch=True&watch=0", true),
        ] {
            assert_eq!(Query::parse(Some(query)).flag("watch"), expected, "{query}");
        }
    }

    #[test]
    fn repeated_values_are_kept_in_order_and_single_reads_take_the_first() {
        let query = Query::parse(Some(
            "command=sh&command=-c&command=echo+hi%3B+exit+3&c=a&c=b",
        ));
        assert_eq!(query.all("command"), ["sh", "-c", "echo hi; exit 3"]);
        assert_eq!(query.get("c"), Some("a"));
        assert!(query.all("missing").is_empty());
    }
}
