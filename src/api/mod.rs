//! Pure Kubernetes API logic: the kinds table, typed objects, selectors,
//! defaulting, validation, conversions and patches. No I/O here.

pub mod kinds;
pub mod object;
pub mod selector;

pub use kinds::{KINDS, Kind, KindInfo};
pub use object::{KubeObject, Object};
