//! `kubectl exec` and `kubectl port-forward` against podium's API server,
//! with the real kubectl: on the simulated runtime (one-shot commands, the
//! sim's web listeners) and on real Docker containers of `podium/echo:1.0`
//! (busybox `sh`, stdin, a TTY, exit codes, 10 MB carried intact, the
//! WebSocket tunnel and the plain SPDY fallback).

#[path = "../common/mod.rs"]
mod common;

#[allow(dead_code)]
#[path = "../docker/cluster.rs"]
mod cluster;

mod docker;
mod sim;
mod support;
