//! The one place an object is serialized before it is stored, and where
//! etcd's limit on its size is enforced: upstream, etcd refuses any write
//! bigger than `--max-request-bytes` (1.5 MiB by default) whoever sends
//! it, a user or a controller.

use super::StoreError;
use crate::api::Object;

/// etcd's default `--max-request-bytes`.
pub const MAX_OBJECT_BYTES: usize = 1536 * 1024;

/// The buffer is kept between objects up to this size.
const MAX_KEPT_BUFFER: usize = 64 * 1024;

/// Serializes objects into a reused buffer.
#[derive(Default)]
pub(super) struct Encoder {
    buffer: Vec<u8>,
}

impl Encoder {
    /// The object's JSON, as the log stores it; `TooLarge` past the limit.
    pub fn encode(&mut self, object: &Object) -> Result<&[u8], StoreError> {
        if self.buffer.capacity() > MAX_KEPT_BUFFER {
            self.buffer = Vec::new();
        }
        self.buffer.clear();
        serde_json::to_writer(&mut self.buffer, object).map_err(|e| StoreError::Invalid {
            kind: object.kind(),
            name: object.name().to_string(),
            message: format!("cannot serialize the object: {e}"),
        })?;
        if self.buffer.len() > MAX_OBJECT_BYTES {
            return Err(StoreError::TooLarge {
                kind: object.kind(),
                name: object.name().to_string(),
                size: self.buffer.len(),
                limit: MAX_OBJECT_BYTES,
            });
        }
        Ok(&self.buffer)
    }
}
