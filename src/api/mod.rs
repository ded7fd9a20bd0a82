//! Pure Kubernetes API logic: the kinds table, typed objects, selectors,
//! defaulting, validation, conversions and patches. No I/O here.

pub mod apply;
pub mod convert;
pub mod crd;
pub mod crd_schema;
pub mod cron;
pub mod defaults;
pub mod dynamic;
pub mod kinds;
pub mod naming;
pub mod object;
pub mod patch;
pub mod quantity;
pub mod rbac;
pub mod scale;
pub mod selector;
pub mod service_account;
pub mod strategic;
pub mod strategy;
pub mod strict;
pub mod three_way;
pub mod validation;

#[cfg(test)]
mod walkthrough_tests;

pub use dynamic::DynamicObject;
pub use kinds::{Kind, KindInfo, Storage};
pub use object::{KubeObject, Object};
