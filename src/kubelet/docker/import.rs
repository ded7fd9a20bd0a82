//! `docker import`: a root filesystem tarball becomes an image, without any
//! registry (the pause image, the test and demo workloads).

use bollard::Docker;
use bollard::query_parameters::CreateImageOptionsBuilder;
use bytes::Bytes;
use futures::StreamExt;

use super::connect::connect_engine;
use super::error::{DockerError, engine_message, is_unreachable};

/// Imports `rootfs_tar` (an uncompressed or gzipped tar of a root
/// filesystem) as `reference`, applying Dockerfile `changes` such as
/// `ENV VERSION=1.0` or `ENTRYPOINT ["/echo"]`. Connects by itself.
/// Returns the image id (`sha256:…`).
pub async fn import_image(
    reference: &str,
    rootfs_tar: Bytes,
    changes: &[&str],
) -> Result<String, DockerError> {
    let engine = connect_engine().await?;
    import_with(&engine.docker, reference, rootfs_tar, changes).await
}

/// Imports through an existing connection.
pub(super) async fn import_with(
    docker: &Docker,
    reference: &str,
    rootfs_tar: Bytes,
    changes: &[&str],
) -> Result<String, DockerError> {
    let failed = |message: String| DockerError::Import {
        reference: reference.to_string(),
        message,
    };
    let options = CreateImageOptionsBuilder::new()
        .from_src("-")
        .repo(reference)
        .changes(changes.iter().map(|change| change.to_string()).collect())
        .build();
    let mut progress =
        docker.create_image(Some(options), Some(bollard::body_full(rootfs_tar)), None);
    let mut imported_id = None;
    while let Some(message) = progress.next().await {
        match message {
            // The engine's last message names the new image.
            Ok(info) => {
                if let Some(status) = info.status.filter(|s| s.starts_with("sha256:")) {
                    imported_id = Some(status.trim().to_string());
                }
            }
            Err(error) if is_unreachable(&error) => {
                return Err(DockerError::unreachable(super::connect::target(), error));
            }
            Err(error) => return Err(failed(engine_message(&error))),
        }
    }
    match imported_id {
        Some(id) => Ok(id),
        // Older engines may word the last message differently: ask.
        None => docker
            .inspect_image(reference)
            .await
            .map_err(|error| failed(engine_message(&error)))?
            .id
            .ok_or_else(|| failed("the engine reported no image id".to_string())),
    }
}
