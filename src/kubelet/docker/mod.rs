//! The Docker runtime: the only module that names bollard.
