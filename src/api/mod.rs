//! Pure Kubernetes API logic: the kinds table, typed objects, selectors,
//! defaulting, validation, conversions and patches. No I/O here.

pub mod convert;
pub mod defaults;
pub mod kinds;
pub mod naming;
pub mod object;
pub mod patch;
pub mod quantity;
pub mod scale;
pub mod selector;
pub mod strategic;
pub mod strategy;
pub mod strict;
pub mod three_way;
pub mod validation;

#[cfg(test)]
mod walkthrough_tests;

pub use kinds::{KINDS, Kind, KindInfo};
pub use object::{KubeObject, Object};
