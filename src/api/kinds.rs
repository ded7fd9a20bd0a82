//! The kinds podium serves: group, version, kind, plural and the names
//! kubectl resolves (short names, categories). The built-in table
//! (`kinds/builtin.rs`) drives discovery, routing and the store's key
//! space; CustomResourceDefinitions add kinds at run time (`kinds/custom.rs`).
//!
//! A `Kind` is a small handle into that registry. The kinds podium's own
//! code reads the fields of are stored typed; every other kind is stored
//! as JSON through one generic path (see [`Storage`]).

mod builtin;
mod custom;

use std::fmt;

use serde_json::Value;

pub use custom::CustomNames;

/// A kind of object the control plane stores.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind(u32);

/// Checks that a JSON body has the shape of a built-in kind (as its
/// k8s-openapi type reads it) and returns it as that type writes it back:
/// fields the type does not know are gone, as upstream's decoder drops them.
pub type RoundTrip = fn(Value) -> Result<Value, super::object::ParseError>;

/// Adds a kind's OpenAPI schema (and the schemas it refers to) to a
/// generator and returns the reference to it: k8s-openapi's `JsonSchema`
/// of the kind's type, named as upstream names it
/// (`io.k8s.api.apps.v1.Deployment`).
pub type SchemaFn = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;

/// How objects of a kind are held in memory.
#[derive(Clone, Copy)]
pub enum Storage {
    /// As their k8s-openapi type: podium's controllers read the fields.
    Typed,
    /// As JSON, checked against the k8s-openapi type when there is one.
    Generic(Option<RoundTrip>),
    /// As JSON, checked against the CustomResourceDefinition's schema.
    Custom,
}

/// The verbs a kind's collection and objects answer, as discovery lists them.
pub const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// Reviews and requests that are answered, never stored.
pub const CREATE_ONLY: &[&str] = &["create"];
/// Resource metrics: read from the runtime on each request, never stored.
pub const READ_ONLY: &[&str] = &["get", "list"];

/// Static facts about one kind, as discovery presents them.
pub struct KindInfo {
    pub kind: Kind,
    /// API group; "" for the core group.
    pub group: &'static str,
    /// The storage (preferred) version.
    pub version: &'static str,
    /// Further versions served by conversion (e.g. Ingress networking.k8s.io/v1beta1).
    pub extra_versions: &'static [&'static str],
    pub kind_name: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub namespaced: bool,
    pub categories: &'static [&'static str],
    /// Subresources served besides the object itself ("status", "scale", "log" ...).
    pub subresources: &'static [&'static str],
    pub verbs: &'static [&'static str],
    pub storage: Storage,
    /// The OpenAPI schema of the storage version, for built-in kinds with
    /// a k8s-openapi type; custom kinds take theirs from the definition.
    pub schema: Option<SchemaFn>,
}

impl fmt::Debug for KindInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindInfo")
            .field("group", &self.group)
            .field("version", &self.version)
            .field("kind", &self.kind_name)
            .finish_non_exhaustive()
    }
}

impl KindInfo {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        api_version(self.group, self.version)
    }

    /// `deployments.apps`, or `pods` for the core group: how Kubernetes names
    /// a resource in error messages.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn serves_version(&self, version: &str) -> bool {
        self.version == version || self.extra_versions.contains(&version)
    }

    /// Whether objects of this kind are stored at all (reviews and
    /// resource metrics are not).
    pub fn stored(&self) -> bool {
        self.verbs.contains(&"get") && self.verbs.contains(&"create")
    }

    pub fn has_subresource(&self, name: &str) -> bool {
        self.subresources.contains(&name)
    }
}

/// `group/version`, or `version` for the core group.
pub fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// `("apps", "v1")` from `apps/v1`, `("", "v1")` from `v1`.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

impl Kind {
    pub fn info(self) -> &'static KindInfo {
        builtin::BUILTIN
            .get(self.0 as usize)
            .unwrap_or_else(|| custom::info(self))
    }

    /// Every built-in kind, typed and generic, in the table's order.
    pub fn builtin() -> impl Iterator<Item = Kind> {
        (0..builtin::BUILTIN.len() as u32).map(Kind)
    }

    /// Every kind known to this process: the built-in ones and those that
    /// CustomResourceDefinitions registered.
    pub fn all() -> Vec<Kind> {
        Kind::builtin().chain(custom::kinds()).collect()
    }

    /// Whether this kind comes from a CustomResourceDefinition.
    pub fn is_custom(self) -> bool {
        self.0 as usize >= builtin::BUILTIN.len()
    }

    /// Registers (or updates) the kind a CustomResourceDefinition defines.
    pub fn register_custom(names: CustomNames) -> Kind {
        custom::register(names)
    }

    /// How kubectl names an object of this kind in its messages:
    /// `deployment.apps/nginx`, `service/web`.
    pub fn resource_name(self, name: &str) -> String {
        let info = self.info();
        if info.group.is_empty() {
            format!("{}/{name}", info.singular)
        } else {
            format!("{}.{}/{name}", info.singular, info.group)
        }
    }

    pub fn namespaced(self) -> bool {
        self.info().namespaced
    }

    /// Finds a kind by API group and plural resource name, as in a URL.
    pub fn from_plural(group: &str, plural: &str) -> Option<Kind> {
        builtin::BUILTIN
            .iter()
            .find(|k| k.group == group && k.plural == plural)
            .map(|k| k.kind)
            .or_else(|| custom::by_plural(group, plural))
    }

    /// Finds a kind by `apiVersion` and `kind`, as in a manifest. Accepts
    /// the extra versions served by conversion; a custom kind matches in
    /// any version (which versions its CRD serves is the server's check).
    pub fn from_type_meta(api_version: &str, kind: &str) -> Option<Kind> {
        let (group, version) = split_api_version(api_version);
        builtin::BUILTIN
            .iter()
            .find(|k| k.group == group && k.kind_name == kind && k.serves_version(version))
            .map(|k| k.kind)
            .or_else(|| custom::by_kind_name(group, kind))
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().kind_name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().kind_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_entries_know_their_kind() {
        for kind in Kind::builtin() {
            assert_eq!(kind.info().kind, kind);
        }
        for kind in Kind::TYPED {
            assert!(matches!(kind.info().storage, Storage::Typed), "{kind}");
        }
    }

    #[test]
    fn plurals_are_unique_per_group() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in Kind::builtin() {
            let info = kind.info();
            assert!(seen.insert((info.group, info.plural)), "{}", info.plural);
            assert_eq!(info.singular, info.kind_name.to_lowercase());
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(
            Kind::from_plural("apps", "deployments"),
            Some(Kind::Deployment)
        );
        assert_eq!(Kind::from_plural("", "deployments"), None);
        assert_eq!(
            Kind::from_type_meta("networking.k8s.io/v1beta1", "Ingress"),
            Some(Kind::Ingress)
        );
        assert_eq!(Kind::from_type_meta("v1", "Pod"), Some(Kind::Pod));
        assert_eq!(
            Kind::from_type_meta("batch/v1", "CronJob"),
            Some(Kind::CronJob)
        );
        assert_eq!(
            Kind::Deployment.info().qualified_plural(),
            "deployments.apps"
        );
        assert_eq!(Kind::ServiceAccount.info().short_names, ["sa"]);
    }
}
