//! Objects and lists to response bytes in the version the client asked
//! for. Lists are streamed object by object into one buffer (no JSON trees
//! in between) so large lists stay cheap.

use std::sync::Arc;

use serde_json::Value;

use super::routes::ResourcePath;
use crate::api::{Object, convert};

/// Appends `object` as JSON in `path`'s version.
pub fn write_object(buf: &mut Vec<u8>, object: &Object, path: &ResourcePath) {
    if path.definition.is_some() {
        // Custom resources convert with strategy None: only apiVersion changes.
        let asked = path.api_version();
        match object {
            Object::Dynamic(d) if d.api_version != asked => {
                let mut value = object.to_json();
                value["apiVersion"] = Value::String(asked);
                let _ = serde_json::to_writer(&mut *buf, &value);
            }
            _ => {
                let _ = serde_json::to_writer(&mut *buf, object);
            }
        }
        return;
    }
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
    let mut buf = Vec::with_capacity(256 + objects.len() * 1536);
    list_head(&mut buf, resource_version, path);
    for (i, object) in objects.iter().enumerate() {
        list_item(&mut buf, i, object, path);
    }
    list_tail(&mut buf);
    buf
}

fn list_head(buf: &mut Vec<u8>, resource_version: u64, path: &ResourcePath) {
    let info = path.kind.info();
    buf.extend_from_slice(b"{\"kind\":\"");
    buf.extend_from_slice(info.kind_name.as_bytes());
    buf.extend_from_slice(b"List\",\"apiVersion\":");
    let _ = serde_json::to_writer(&mut *buf, &path.api_version());
    buf.extend_from_slice(b",\"metadata\":{\"resourceVersion\":\"");
    buf.extend_from_slice(resource_version.to_string().as_bytes());
    buf.extend_from_slice(b"\"},\"items\":[");
}

fn list_item(buf: &mut Vec<u8>, index: usize, object: &Object, path: &ResourcePath) {
    if index > 0 {
        buf.push(b',');
    }
    write_object(buf, object, path);
}

fn list_tail(buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"]}\n");
}

/// Objects per piece of a streamed list.
const LIST_PIECE: usize = 256;

/// The bytes of [`list_bytes`] in pieces of [`LIST_PIECE`] objects, made
/// one at a time: a large list starts going out at once instead of after
/// all of it is encoded (upstream streams large JSON lists too).
pub struct ListPieces {
    objects: Vec<Arc<Object>>,
    resource_version: u64,
    path: ResourcePath,
    next: usize,
    done: bool,
}

impl ListPieces {
    pub fn new(objects: Vec<Arc<Object>>, resource_version: u64, path: ResourcePath) -> ListPieces {
        ListPieces {
            objects,
            resource_version,
            path,
            next: 0,
            done: false,
        }
    }
}

impl Iterator for ListPieces {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if self.done {
            return None;
        }
        let mut buf = Vec::with_capacity(LIST_PIECE * 2048);
        if self.next == 0 {
            list_head(&mut buf, self.resource_version, &self.path);
        }
        let end = (self.next + LIST_PIECE).min(self.objects.len());
        for index in self.next..end {
            list_item(&mut buf, index, &self.objects[index], &self.path);
        }
        self.next = end;
        if end == self.objects.len() {
            list_tail(&mut buf);
            self.done = true;
        }
        Some(buf)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Kind;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    #[test]
    fn a_list_in_pieces_is_the_same_bytes() {
        let path = ResourcePath {
            kind: Kind::ConfigMap,
            version: "v1".into(),
            namespace: None,
            name: None,
            subresource: None,
            watch_prefix: false,
            definition: None,
        };
        for count in [0, 1, LIST_PIECE, LIST_PIECE + 1, 3 * LIST_PIECE + 7] {
            let objects: Vec<Arc<Object>> = (0..count)
                .map(|i| {
                    Arc::new(Object::from(ConfigMap {
                        metadata: ObjectMeta {
                            name: Some(format!("c{i}")),
                            namespace: Some("default".into()),
                            ..Default::default()
                        },
                        ..Default::default()
                    }))
                })
                .collect();
            let whole = list_bytes(&objects, 7, &path);
            let pieces: Vec<u8> = ListPieces::new(objects, 7, path.clone())
                .flatten()
                .collect();
            assert_eq!(
                String::from_utf8_lossy(&pieces),
                String::from_utf8_lossy(&whole)
            );
        }
    }
}
