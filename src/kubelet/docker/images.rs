//! Images: presence, pulls with progress, and the digest reference the
//! kubelet shows as a container's imageID.

use bollard::models::ImageInspect;
use bollard::query_parameters::CreateImageOptions;
use futures::StreamExt;

use super::DockerRuntime;
use super::error::{describe, engine_message, is_unreachable, status_code};
use crate::kubelet::runtime::{ImageInfo, PullProgress, PullProgressFn, RuntimeError};

/// An image's id as the kubelet reports it: its first repo digest
/// (`repo@sha256:…`, for pulled images) else its local `sha256:` id
/// (imported or built images have no digest).
fn image_info(image: &ImageInspect) -> ImageInfo {
    let image_id = image
        .repo_digests
        .as_ref()
        .and_then(|digests| digests.first().cloned())
        .or_else(|| image.id.clone())
        .unwrap_or_default();
    ImageInfo {
        image_id,
        size_bytes: image
            .size
            .and_then(|size| u64::try_from(size).ok())
            .unwrap_or(0),
    }
}

/// Splits `image` for Docker's pull: without a tag or digest Docker would
/// pull every tag, so `latest` is asked for, as `docker pull` does.
fn pull_target(image: &str) -> (String, Option<String>) {
    if image.contains('@') {
        return (image.to_string(), None);
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') {
        (image.to_string(), None)
    } else {
        (image.to_string(), Some("latest".to_string()))
    }
}

fn pull_error(error: bollard::errors::Error) -> RuntimeError {
    if is_unreachable(&error) {
        RuntimeError::Unavailable(describe(&error))
    } else {
        RuntimeError::ImagePull(format!(
            "Error response from daemon: {}",
            engine_message(&error)
        ))
    }
}

impl DockerRuntime {
    pub(super) async fn present(&self, image: &str) -> Result<Option<ImageInfo>, RuntimeError> {
        match self.inner.docker.inspect_image(image).await {
            Ok(inspected) => Ok(Some(image_info(&inspected))),
            Err(error) if status_code(&error) == Some(404) => Ok(None),
            Err(error) if is_unreachable(&error) => {
                Err(RuntimeError::Unavailable(describe(&error)))
            }
            Err(error) => Err(RuntimeError::Failed {
                operation: "inspect image",
                message: engine_message(&error),
            }),
        }
    }

    pub(super) async fn pull(
        &self,
        image: &str,
        progress: &PullProgressFn,
    ) -> Result<ImageInfo, RuntimeError> {
        let (from_image, tag) = pull_target(image);
        let options = CreateImageOptions {
            from_image: Some(from_image),
            tag,
            ..Default::default()
        };
        let mut pulling = self.inner.docker.create_image(Some(options), None, None);
        while let Some(message) = pulling.next().await {
            let info = message.map_err(pull_error)?;
            let detail = info.progress_detail.unwrap_or_default();
            progress(PullProgress {
                image: image.to_string(),
                status: info.status.unwrap_or_default(),
                current_bytes: detail.current.and_then(|n| u64::try_from(n).ok()),
                total_bytes: detail.total.and_then(|n| u64::try_from(n).ok()),
            });
        }
        self.present(image).await?.ok_or_else(|| {
            RuntimeError::ImagePull(format!(
                "the engine finished pulling {image} but does not have it"
            ))
        })
    }

    /// The kubelet's imageID for a container's image (`sha256:…` as
    /// Docker's inspect gives it), looked up once per image.
    pub(super) async fn image_reference(&self, docker_image_id: &str) -> String {
        if let Some(known) = self.inner.image_ids.lock().get(docker_image_id) {
            return known.clone();
        }
        match self.inner.docker.inspect_image(docker_image_id).await {
            Ok(image) => {
                let reference = image_info(&image).image_id;
                self.inner
                    .image_ids
                    .lock()
                    .insert(docker_image_id.to_string(), reference.clone());
                reference
            }
            // Removed since: the id is all there is.
            Err(_) => docker_image_id.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_images_pull_latest() {
        assert_eq!(
            pull_target("nginx"),
            ("nginx".to_string(), Some("latest".to_string()))
        );
        assert_eq!(
            pull_target("localhost:5000/app"),
            ("localhost:5000/app".to_string(), Some("latest".to_string()))
        );
        assert_eq!(pull_target("nginx:1.27"), ("nginx:1.27".to_string(), None));
        assert_eq!(
            pull_target("nginx@sha256:abc"),
            ("nginx@sha256:abc".to_string(), None)
        );
    }

    #[test]
    fn image_id_prefers_the_repo_digest() {
        let pulled = ImageInspect {
            id: Some("sha256:1".to_string()),
            repo_digests: Some(vec!["nginx@sha256:2".to_string()]),
            size: Some(42),
            ..Default::default()
        };
        assert_eq!(image_info(&pulled).image_id, "nginx@sha256:2");
        assert_eq!(image_info(&pulled).size_bytes, 42);
        let imported = ImageInspect {
            id: Some("sha256:1".to_string()),
            repo_digests: Some(Vec::new()),
            ..Default::default()
        };
        assert_eq!(image_info(&imported).image_id, "sha256:1");
    }
}
