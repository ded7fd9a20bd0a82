//! Pods as real Docker containers: `podium serve --runtime docker` on the
//! local engine, driven by the real kubectl, checked with the docker CLI.
//! The images are the local workload (`podium images demo`, which
//! `./scripts/test` runs first); nothing is pulled.

#[path = "../common/mod.rs"]
mod common;

mod clients;
mod cluster;
mod engine;
mod lifecycle;
mod metrics;
mod network;
mod offline;
mod restart;
mod service_account;
mod walkthrough;
