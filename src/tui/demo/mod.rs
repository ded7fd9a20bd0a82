//! Demo mode (`podium demo [story]`): a story file's steps played on the
//! console with captions. [`story`] parses and checks story files,
//! [`player`] steps through them by typing into the [`super::app::App`],
//! [`draw`] puts the caption over the screen.

pub mod draw;
pub mod player;
pub mod story;

pub use player::{Phase, Player};
pub use story::{Story, StoryError};
