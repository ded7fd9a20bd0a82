//! Entry points for the `cargo fuzz` targets in `fuzz/` (issue 20,
//! "Hostile and broken input"): each takes the fuzzer's bytes to one of the
//! parsers that read what clients, pods or files send. They assert only
//! that nothing panics, and the invariants that are cheap to check.
//! Not an API: hidden from the docs and used by nothing else.

use std::collections::BTreeMap;

use bytes::BytesMut;
use serde_json::{Value, json};

use crate::api::apply::{self, Request};
use crate::api::patch::{PatchType, apply_patch};
use crate::api::selector::{FieldSelector, LabelSelector};
use crate::api::{Kind, strategic, three_way};
use crate::apiserver::admission::{self, FieldValidation};
use crate::apiserver::routes::ResourcePath;
use crate::apiserver::stream::spdy::frame::{Codec, Frame};
use crate::apiserver::stream::{exec, exec_spdy, portforward_ws, upgrade};
use crate::net::{framing, request_head};
use crate::tui::demo::story;

/// Splits `data` into its first byte (a selector among sub-parsers) and
/// the rest.
fn split_first(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&first, rest)) => (first, rest),
        None => (0, &[]),
    }
}

/// The built-in kind `index` picks.
fn kind(index: u8) -> Kind {
    let kinds: Vec<Kind> = Kind::builtin().collect();
    kinds[usize::from(index) % kinds.len()]
}

/// The documents in `data` separated by NUL bytes, at most `n` of them,
/// each parsed as JSON (`None` where it is not).
fn documents(data: &[u8], n: usize) -> Vec<Option<Value>> {
    data.splitn(n, |&b| b == 0)
        .map(|d| serde_json::from_slice(d).ok())
        .collect()
}

/// A Deployment, for patches whose original the input does not give.
fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [
                    {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
                     "env": [{"name": "A", "value": "1"}]},
                    {"name": "side", "image": "busybox"}
                ]}
            }
        }
    })
}

/// 1. A request body as the API server decodes it (by Content-Type), then
///    admitted as a create of a built-in kind with each `fieldValidation`.
///    First byte: content type (bits 0-1), field validation (bits 2-3);
///    second byte: the kind.
pub fn body_decode(data: &[u8]) {
    let (mode, rest) = split_first(data);
    let (kind_index, body) = split_first(rest);
    let content_type = match mode & 3 {
        0 => "application/json",
        1 => "application/yaml",
        2 => "application/vnd.kubernetes.protobuf",
        _ => "application/json; charset=utf-8",
    };
    let field_validation = match (mode >> 2) & 3 {
        0 => FieldValidation::Ignore,
        1 => FieldValidation::Warn,
        _ => FieldValidation::Strict,
    };
    let Ok(value) = admission::decode_body(Some(content_type), body) else {
        return;
    };
    let kind = kind(kind_index);
    let path = ResourcePath {
        kind,
        version: kind.info().version.to_string(),
        namespace: kind.namespaced().then(|| "default".to_string()),
        name: None,
        subresource: None,
        watch_prefix: false,
        definition: None,
    };
    let _ = admission::admit(&path, value, None, field_validation);
}

/// 2. A protobuf body (`application/vnd.kubernetes.protobuf`).
pub fn protobuf(data: &[u8]) {
    if let Ok(value) = crate::apiserver::protobuf::decode(data) {
        assert!(value.is_object(), "a decoded body is an object: {value}");
    }
}

/// 3. A label selector (first byte even) or a field selector (odd): one
///    that parses prints as text that parses to the same selector.
pub fn selectors(data: &[u8]) {
    let (which, rest) = split_first(data);
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let labels = BTreeMap::from([
        ("app".to_string(), "web".to_string()),
        ("tier".to_string(), "front".to_string()),
    ]);
    if which % 2 == 0 {
        let Ok(selector) = LabelSelector::parse(text) else {
            return;
        };
        let printed = selector.to_string();
        let again = LabelSelector::parse(&printed)
            .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which fails: {e}"));
        assert_eq!(selector, again, "{text:?} printed as {printed:?}");
        let _ = selector.matches(Some(&labels));
        let _ = selector.matches(None);
    } else {
        let Ok(selector) = FieldSelector::parse(text) else {
            return;
        };
        let printed = selector.to_string();
        let again = FieldSelector::parse(&printed)
            .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which fails: {e}"));
        assert_eq!(selector, again, "{text:?} printed as {printed:?}");
        let kind = kind(which / 2);
        let _ = selector.check_supported(kind);
    }
}

/// 4. A JSON Patch, JSON merge patch or strategic merge patch applied to
///    an object. First byte: the patch type (bits 0-1) and the kind (the
///    rest); then `original NUL patch`, or only a patch (applied to a
///    Deployment).
pub fn patch(data: &[u8]) {
    let (mode, rest) = split_first(data);
    let patch_type = match mode & 3 {
        0 => PatchType::Json,
        1 => PatchType::Merge,
        _ => PatchType::StrategicMerge,
    };
    let kind = kind(mode >> 2);
    let mut docs = documents(rest, 2);
    let (original, patch) = match docs.len() {
        2 => (docs.remove(0).unwrap_or_else(deployment), docs.remove(0)),
        _ => (deployment(), docs.pop().flatten()),
    };
    let Some(patch) = patch else {
        return;
    };
    let _ = apply_patch(kind, patch_type, &original, &patch);
}

/// 5. kubectl's three-way apply patch (`kubectl apply`) applied as a
///    strategic merge patch, and the server-side apply merge. First byte:
///    which (bit 0), force (bit 1), the status subresource (bit 2), the
///    kind (the rest); then `original NUL modified NUL current` (or
///    `applied NUL live` for server-side apply).
pub fn three_way_apply(data: &[u8]) {
    let (mode, rest) = split_first(data);
    let kind = kind(mode >> 3);
    let docs = documents(rest, 3);
    let doc = |i: usize| docs.get(i).cloned().flatten();
    if mode & 1 == 0 {
        let original = doc(0);
        let modified = doc(1).unwrap_or_else(deployment);
        let current = doc(2).unwrap_or_else(deployment);
        let patch = three_way::three_way_patch(kind, original.as_ref(), &modified, &current);
        assert!(patch.is_object(), "a three-way patch is an object: {patch}");
        let _ = strategic::apply(kind, &current, &patch);
        let with_last = three_way::with_last_applied(&modified);
        let _ = three_way::last_applied(&with_last);
    } else {
        let Some(applied) = doc(0) else {
            return;
        };
        let live = doc(1);
        let request = Request {
            kind,
            manager: "kubectl",
            api_version: "apps/v1",
            force: mode & 2 != 0,
            status: mode & 4 != 0,
            now: "2026-01-01T00:00:00Z",
        };
        if let Ok(merged) = apply::apply(&request, live.as_ref(), &applied) {
            // A second applier over the result.
            let other = Request {
                manager: "other",
                ..request
            };
            let _ = apply::apply(&other, Some(&merged), &applied);
        }
    }
}

/// An in-memory connection for the WebSocket decoder: reads `input`,
/// swallows what is written.
struct Wire<'a> {
    input: &'a [u8],
}

impl std::io::Read for Wire<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.input.is_empty() {
            // As a socket with nothing more to read: tungstenite stops.
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        std::io::Read::read(&mut self.input, buf)
    }
}

impl std::io::Write for Wire<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// 6. The SPDY/3.1 frame decoder (first byte even): every frame decoded
///    re-encodes to the same frame. The WebSocket channel decoders (odd):
///    the frames a client sends, read by the channel protocols (exec's
///    stdin/resize/close channels, port-forward's), kubectl's SPDY resize
///    stream, and the port-forward `ports` parameter.
pub fn stream(data: &[u8]) {
    let (which, rest) = split_first(data);
    if which % 2 == 0 {
        let mut codec = Codec::default();
        let (mut encoder, mut decoder) = (Codec::default(), Codec::default());
        let mut buf = BytesMut::from(rest);
        while let Ok(Some(frame)) = codec.decode(&mut buf) {
            let mut wire = BytesMut::new();
            if encoder.encode(&frame, &mut wire).is_err() {
                break;
            }
            if wire.is_empty() {
                continue; // Ignored frames are not written.
            }
            let again = decoder
                .decode(&mut wire)
                .unwrap_or_else(|e| panic!("{frame:?} re-encoded does not decode: {e}"));
            // Header names go out in lower case, as SPDY/3 has them.
            let mut expected = frame.clone();
            if let Frame::SynStream { headers, .. } | Frame::SynReply { headers, .. } =
                &mut expected
            {
                for (name, _) in &mut headers.0 {
                    *name = name.to_ascii_lowercase();
                }
            }
            assert_eq!(again, Some(expected), "{frame:?} re-encoded");
            assert!(wire.is_empty(), "{frame:?} re-encoded leaves bytes");
        }
        return;
    }
    use tokio_tungstenite::tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
    let config = WebSocketConfig::default()
        .max_message_size(Some(1 << 20))
        .max_frame_size(Some(1 << 20));
    let mut socket = WebSocket::from_raw_socket(Wire { input: rest }, Role::Server, Some(config));
    let mut sizes = Vec::new();
    while let Ok(message) = socket.read() {
        let upgrade::ChannelMessage::Data(bytes) = upgrade::ChannelMessage::from(message) else {
            continue;
        };
        let Some((&channel, payload)) = bytes.split_first() else {
            continue;
        };
        match channel {
            // exec's resize channel
            4 => {
                let _ = exec::terminal_size(payload);
                sizes.extend_from_slice(payload);
                let _ = exec_spdy::take_sizes(&mut sizes);
            }
            // port-forward's data channels name ports by index
            _ => {
                let text = String::from_utf8_lossy(payload);
                let values: Vec<String> = text.split('&').map(str::to_string).collect();
                let _ = portforward_ws::ports(&values);
            }
        }
    }
}

/// 7. The Ingress router's request-head parser (first byte 0 mod 3), a
///    pod's response head and body framing (1), and the chunked framing
///    alone (2): where a body ends does not depend on how its bytes are
///    split (the second byte picks the split).
pub fn ingress(data: &[u8]) {
    let (which, rest) = split_first(data);
    let (cut, rest) = split_first(rest);
    match which % 3 {
        0 => {
            let mut headers = [httparse::EMPTY_HEADER; request_head::MAX_HEADERS];
            let mut request = httparse::Request::new(&mut headers);
            if let Ok(httparse::Status::Complete(length)) = request.parse(rest)
                && let Ok(head) = request_head::Head::of(&request, length)
            {
                let _ = head.upstream(std::net::IpAddr::from([10, 0, 0, 1]));
            }
        }
        1 => {
            let mut headers = [httparse::EMPTY_HEADER; request_head::MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            if let Ok(httparse::Status::Complete(length)) = response.parse(rest) {
                let (framing, closes) = framing::framing_of(&response);
                let _ = framing::response_head(&rest[..length], closes);
                check_body(framing, &rest[length..], cut);
            }
        }
        _ => check_body(framing::Framing::Chunked, rest, cut),
    }
}

/// Where a body framed by `framing` ends in `bytes`, fed whole and fed in
/// two pieces cut at `cut`: the same place.
fn check_body(framing: framing::Framing, bytes: &[u8], cut: u8) {
    let whole = framing::Body::new(framing).take(bytes);
    assert!(whole.0 <= bytes.len());
    let at = usize::from(cut).min(bytes.len());
    let mut body = framing::Body::new(framing);
    let first = body.take(&bytes[..at]);
    let pieces = if first.1 {
        first
    } else {
        let second = body.take(&bytes[at..]);
        (first.0 + second.0, second.1)
    };
    assert_eq!(
        whole, pieces,
        "{framing:?} body {bytes:?} fed whole and cut at {at}"
    );
}

/// 8. A demo story (first byte 0 mod 4), a theme (1), the settings file
///    (2), a colour (3).
pub fn config(data: &[u8]) {
    let (which, rest) = split_first(data);
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 4 {
        0 => {
            let _ = story::parse_text(text, &story::Origin::BuiltIn("fuzz"));
        }
        1 => {
            let _ = crate::config::theme_file::parse_theme("fuzz", "fuzz.yaml", text);
        }
        2 => {
            let _ = crate::config::settings::parse_settings("config.yaml", text);
        }
        _ => {
            let _ = crate::config::theme_file::parse_colour(text);
        }
    }
}
