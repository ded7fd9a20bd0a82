//! Controllers end to end on an in-memory store, with a small test-only
//! "pod driver" playing kubelet: it binds pods, makes them Running (and
//! Ready unless their image says "bad") after a delay, and completes
//! graceful deletions. One test runs the walkthrough's rollout on the real
//! scheduler, kubelet and simulated runtime instead.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod daemon_sets;
mod disruption;
mod endpoint_slices;
mod endpoints_and_namespaces;
mod garbage_collection;
mod replica_sets;
mod revisions;
mod rollouts;
mod stateful_sets;
mod support;
mod volumes;
