//! The Docker runtime: the only module that names bollard.

mod connect;
mod error;
mod import;

pub use error::DockerError;
pub use import::import_image;
