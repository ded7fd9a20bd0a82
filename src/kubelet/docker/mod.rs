//! The Docker runtime: the only module that names bollard.

mod connect;
mod error;
mod import;
mod local_image;

pub use error::DockerError;
pub use import::import_image;
pub use local_image::{LocalImage, local_image};
