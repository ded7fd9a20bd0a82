//! The console: a full-screen terminal UI over a [`crate::handle::ClusterHandle`].
//!
//! Shape (after gitui and television): a `Model` changed only by
//! `update(&mut Model, Action)`; an event loop that turns keys, mouse, watch
//! changes and task results into actions and redraws from the model when it
//! changed; views that are pure draw functions. Components (the editor,
//! the logs view, the rollout view) own their state, take keys and return
//! an [`component::Outcome`], and draw with a [`theme::Theme`]. Nothing here
//! blocks or waits on I/O: all I/O runs in tasks that report back as actions.

pub mod app;
pub mod batch;
pub mod commands;
pub mod component;
pub mod demo;
pub mod describe;
pub mod editor;
pub mod keymap;
pub mod line_edit;
pub mod logs;
pub mod model;
pub mod panes;
pub mod portforward;
pub mod refresh;
pub mod rollout;
pub mod run;
pub mod shell;
pub mod sort;
pub mod terminal;
pub mod theme;
pub mod views;
pub mod workloads;
