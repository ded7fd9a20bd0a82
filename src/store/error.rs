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
}
