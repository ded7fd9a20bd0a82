//! The kubelet on the simulated runtime, and the scheduler, driven through
//! the store (mostly with paused tokio time). One test binary.

mod common;
mod lifecycle;
mod logs;
mod restart;
mod scale;
mod scheduler;
