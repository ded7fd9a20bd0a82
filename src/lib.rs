//! podium: a terminal console with an embedded, Kubernetes-compatible control
//! plane that runs pods as Docker containers (or on a simulated runtime).
//!
//! Everything meets at the [`store`]: writers change objects through it,
//! everyone else watches it. See DESIGN.md for module ownership.

pub mod api;
pub mod apiserver;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod controllers;
pub mod events;
#[doc(hidden)]
pub mod fuzzing;
pub mod handle;
pub mod images;
pub mod kubelet;
pub mod net;
pub mod reset;
pub mod scheduler;
pub mod store;
pub mod tokens;
pub mod tui;
