//! The console driven by keys on ratatui's TestBackend, over a real
//! embedded cluster on the simulated runtime: what a user sees on screen
//! after each key, and the cluster's state the keys changed.

mod demo;
mod flows;
mod harness;
mod screens;
mod terminal;
mod traffic;
