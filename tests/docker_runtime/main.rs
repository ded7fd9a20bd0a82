//! The Docker runtime through the `Runtime` trait the kubelet uses,
//! against the real engine on this machine. No registry: the workload
//! image is imported by `./scripts/test`; commands are busybox ones given
//! explicitly. Each test has its own cluster id and removes what it made.

mod engine;
mod exec;
mod images;
mod isolation;
mod lifecycle;
mod logs;
mod sandbox;
mod service_address;
mod support;
