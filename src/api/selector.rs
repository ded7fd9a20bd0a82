//! Label and field selectors in their string forms, as kubectl sends them.

use std::collections::BTreeMap;

use super::object::Object;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SelectorError {
    #[error("unable to parse requirement: {0}")]
    Invalid(String),
}

/// A parsed label selector (equality- and set-based requirements, ANDed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    // Filled in by the selector implementation.
}

impl LabelSelector {
    pub fn parse(_text: &str) -> Result<LabelSelector, SelectorError> {
        Ok(LabelSelector::default())
    }

    pub fn matches(&self, _labels: Option<&BTreeMap<String, String>>) -> bool {
        true
    }
}

/// A parsed field selector (`metadata.name=x,status.phase!=Running`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector {}

impl FieldSelector {
    pub fn parse(_text: &str) -> Result<FieldSelector, SelectorError> {
        Ok(FieldSelector::default())
    }

    pub fn matches(&self, _object: &Object) -> bool {
        true
    }
}
