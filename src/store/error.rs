use std::path::PathBuf;

use crate::api::Kind;

/// Why a store operation failed. Each variant maps onto a Kubernetes
/// `Status` reason in the API server.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{} \"{name}\" not found", kind.info().qualified_plural())]
    NotFound { kind: Kind, name: String },

    #[error("{} \"{name}\" already exists", kind.info().qualified_plural())]
    AlreadyExists { kind: Kind, name: String },

    #[error(
        "Operation cannot be fulfilled on {} \"{name}\": {reason}",
        kind.info().qualified_plural()
    )]
    Conflict {
        kind: Kind,
        name: String,
        reason: String,
    },

    #[error("{message}")]
    Invalid {
        kind: Kind,
        name: String,
        message: String,
    },

    #[error("namespaces \"{namespace}\" not found")]
    NamespaceNotFound { namespace: String },

    #[error(
        "{} \"{name}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
        kind.info().qualified_plural()
    )]
    NamespaceTerminating {
        kind: Kind,
        name: String,
        namespace: String,
    },

    /// The requested resourceVersion is older than the watch history kept.
    #[error("too old resource version: {requested} ({oldest})")]
    Gone { requested: u64, oldest: u64 },

    #[error("cannot write the store's log {}: {source}", path.display())]
    Persist {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}:{line}: the store's data is damaged ({reason}); podium will not overwrite it. Move the file aside to start empty, or run `podium reset`", path.display())]
    Damaged {
        path: PathBuf,
        line: usize,
        reason: String,
    },

    /// Bigger than etcd lets one request be (`--max-request-bytes`' default).
    #[error(
        "etcdserver: request is too large ({} \"{name}\" is {size} bytes serialized; the limit is {limit})",
        kind.info().qualified_plural()
    )]
    TooLarge {
        kind: Kind,
        name: String,
        size: usize,
        limit: usize,
    },

    #[error("{}:{line}: this Secret is encrypted at rest, and podium was started without --encrypt-secrets; start it with --encrypt-secrets, which decrypts with the key in {}", path.display(), key_file.display())]
    EncryptedWithoutKey {
        path: PathBuf,
        line: usize,
        key_file: PathBuf,
    },

    #[error("{}:{line}: cannot decrypt this Secret with the key in {} ({reason}); it was written with another key: put back the key file it was written with (from your backup) and start again", path.display(), key_file.display())]
    Undecryptable {
        path: PathBuf,
        line: usize,
        key_file: PathBuf,
        reason: String,
    },

    #[error("the encryption key {}: {reason}", path.display())]
    Key { path: PathBuf, reason: String },
}
