//! Wiring: starts the store, controllers, scheduler, kubelet and API server
//! under one cancellation token, and hands a handle to the caller.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Which container runtime runs the pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuntimeChoice {
    Docker,
    Sim,
}

/// Knobs of the simulated runtime.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Scales the default pull/create/start latencies; 0 makes them instant.
    pub latency_factor: f64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            latency_factor: 1.0,
        }
    }
}

/// Everything needed to start a cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Where the store, certificates and kubeconfig live; `None` keeps
    /// everything in memory (tests, benchmarks).
    pub data_dir: Option<PathBuf>,
    /// The API server's address; port 0 picks a free one.
    pub listen: SocketAddr,
    pub runtime: RuntimeChoice,
    pub sim: SimOptions,
    /// Number of nodes (virtual nodes on one machine).
    pub nodes: usize,
}
