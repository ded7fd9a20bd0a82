//! Kinds defined at run time by CustomResourceDefinitions. A kind is
//! interned by group and plural for the life of the process, so a `Kind`
//! stays a plain copyable handle; what the CRD serves now (versions,
//! schemas, columns) is read from the CRD object itself. Re-registering
//! with changed names (a CRD update) replaces the kind's facts.

use std::sync::{PoisonError, RwLock};

use super::{ALL_VERBS, Kind, KindInfo, Storage, builtin::BUILTIN};

/// The names a CustomResourceDefinition gives its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomNames {
    pub group: String,
    /// The storage version.
    pub version: String,
    /// Every served version besides the storage one.
    pub other_versions: Vec<String>,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub namespaced: bool,
    pub subresources: Vec<String>,
}

static CUSTOM: RwLock<Vec<(CustomNames, &'static KindInfo)>> = RwLock::new(Vec::new());

fn leak(text: &str) -> &'static str {
    Box::leak(text.to_owned().into_boxed_str())
}

fn leak_all(texts: &[String]) -> &'static [&'static str] {
    Box::leak(
        texts
            .iter()
            .map(|t| leak(t))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

fn make_info(kind: Kind, names: &CustomNames) -> &'static KindInfo {
    Box::leak(Box::new(KindInfo {
        kind,
        group: leak(&names.group),
        version: leak(&names.version),
        extra_versions: leak_all(&names.other_versions),
        kind_name: leak(&names.kind),
        plural: leak(&names.plural),
        singular: leak(&names.singular),
        short_names: leak_all(&names.short_names),
        namespaced: names.namespaced,
        categories: leak_all(&names.categories),
        subresources: leak_all(&names.subresources),
        verbs: ALL_VERBS,
        storage: Storage::Custom,
        schema: None,
    }))
}

fn handle(index: usize) -> Kind {
    Kind((BUILTIN.len() + index) as u32)
}

pub(super) fn register(names: CustomNames) -> Kind {
    let mut custom = CUSTOM.write().unwrap_or_else(PoisonError::into_inner);
    let found = custom
        .iter()
        .position(|(n, _)| n.group == names.group && n.plural == names.plural);
    match found {
        Some(index) if custom[index].0 == names => handle(index),
        Some(index) => {
            let kind = handle(index);
            custom[index] = (names.clone(), make_info(kind, &names));
            kind
        }
        None => {
            let kind = handle(custom.len());
            let info = make_info(kind, &names);
            custom.push((names, info));
            kind
        }
    }
}

pub(super) fn info(kind: Kind) -> &'static KindInfo {
    let custom = CUSTOM.read().unwrap_or_else(PoisonError::into_inner);
    let index = kind.0 as usize - BUILTIN.len();
    // Kinds are only made by `register`, so the index is always there.
    custom.get(index).map_or(&BUILTIN[0], |(_, info)| *info)
}

pub(super) fn kinds() -> Vec<Kind> {
    let custom = CUSTOM.read().unwrap_or_else(PoisonError::into_inner);
    (0..custom.len()).map(handle).collect()
}

pub(super) fn by_plural(group: &str, plural: &str) -> Option<Kind> {
    let custom = CUSTOM.read().unwrap_or_else(PoisonError::into_inner);
    custom
        .iter()
        .position(|(n, _)| n.group == group && n.plural == plural)
        .map(handle)
}

pub(super) fn by_kind_name(group: &str, kind: &str) -> Option<Kind> {
    let custom = CUSTOM.read().unwrap_or_else(PoisonError::into_inner);
    custom
        .iter()
        .position(|(n, _)| n.group == group && n.kind == kind)
        .map(handle)
}
