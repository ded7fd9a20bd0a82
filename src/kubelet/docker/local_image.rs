//! What the engine holds under an image reference, for callers that decide
//! whether to import again (`podium images demo`).

use std::collections::HashMap;

use super::connect::{connect_engine, target};
use super::error::{DockerError, is_unreachable};

/// An image present on the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImage {
    /// `sha256:…`
    pub id: String,
    pub labels: HashMap<String, String>,
}

/// The image under `reference`, or `None` when the engine has none.
pub async fn local_image(reference: &str) -> Result<Option<LocalImage>, DockerError> {
    let engine = connect_engine().await?;
    match engine.docker.inspect_image(reference).await {
        Ok(image) => Ok(Some(LocalImage {
            id: image.id.unwrap_or_default(),
            labels: image
                .config
                .and_then(|config| config.labels)
                .unwrap_or_default(),
        })),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(error) if is_unreachable(&error) => Err(DockerError::Unreachable {
            target: target(),
            source: error,
        }),
        Err(source) => Err(DockerError::Engine {
            operation: "image inspect",
            source,
        }),
    }
}
