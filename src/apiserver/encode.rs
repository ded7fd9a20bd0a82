//! Objects and lists to response bytes in the version the client asked
//! for. Lists are streamed object by object into one buffer (no JSON trees
//! in between) so large lists stay cheap.

use std::sync::Arc;

use serde_json::Value;

use super::routes::ResourcePath;
use crate::api::{Object, convert};

/// Appends `object` as JSON in `path`'s version.
pub fn write_object(buf: &mut Vec<u8>, object: &Object, path: &ResourcePath) {
    let info = object.kind().info();
    if path.version == info.version {
        // Serialising a k8s-openapi object cannot fail.
        let _ = serde_json::to_writer(&mut *buf, object);
    } else {
        let value =
            convert::from_storage_version(object.kind(), &path.api_version(), object.to_json());
        let _ = serde_json::to_writer(&mut *buf, &value);
    }
}

pub fn object_bytes(object: &Object, path: &ResourcePath) -> Vec<u8> {
    let mut buf = Vec::with_capacity(2048);
    write_object(&mut buf, object, path);
    buf
}

/// `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[...]}`.
pub fn list_bytes(objects: &[Arc<Object>], resource_version: u64, path: &ResourcePath) -> Vec<u8> {
    let info = path.kind.info();
    let mut buf = Vec::with_capacity(256 + objects.len() * 1536);
    buf.extend_from_slice(b"{\"kind\":\"");
    buf.extend_from_slice(info.kind_name.as_bytes());
    buf.extend_from_slice(b"List\",\"apiVersion\":");
    let _ = serde_json::to_writer(&mut buf, &path.api_version());
    buf.extend_from_slice(b",\"metadata\":{\"resourceVersion\":\"");
    buf.extend_from_slice(resource_version.to_string().as_bytes());
    buf.extend_from_slice(b"\"},\"items\":[");
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_object(&mut buf, object, path);
    }
    buf.extend_from_slice(b"]}");
    buf
}

/// One watch event line: `{"type":"ADDED","object":{...}}\n`.
pub fn event_line(event_type: &str, object: &[u8]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(object.len() + 32);
    buf.extend_from_slice(b"{\"type\":\"");
    buf.extend_from_slice(event_type.as_bytes());
    buf.extend_from_slice(b"\",\"object\":");
    buf.extend_from_slice(object);
    buf.extend_from_slice(b"}\n");
    buf
}

pub fn value_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}
