//! What this cluster serves: the built-in kinds and the kinds of the
//! CustomResourceDefinitions its store holds and has established. Read
//! per request (definitions are few), so a new definition is served as
//! soon as it is established and a deleted one stops at once.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::api::crd;
use crate::api::{Kind, KindInfo, Object};
use crate::store::{ListFilter, Store};

/// One resource as discovery lists it at one group-version.
#[derive(Debug, Clone)]
pub struct Resource {
    pub kind: Kind,
    pub kind_name: String,
    pub plural: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub namespaced: bool,
    pub subresources: Vec<String>,
    pub verbs: &'static [&'static str],
}

impl Resource {
    fn builtin(info: &KindInfo) -> Resource {
        let owned = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        Resource {
            kind: info.kind,
            kind_name: info.kind_name.to_string(),
            plural: info.plural.to_string(),
            singular: info.singular.to_string(),
            short_names: owned(info.short_names),
            categories: owned(info.categories),
            namespaced: info.namespaced,
            subresources: owned(info.subresources),
            verbs: info.verbs,
        }
    }
}

/// A custom kind served here, with the definition that serves it.
#[derive(Debug, Clone)]
pub struct Custom {
    pub kind: Kind,
    pub definition: Arc<Object>,
}

pub struct Catalog {
    custom: Vec<Custom>,
}

impl Catalog {
    pub fn of(store: &Store) -> Catalog {
        let definitions = store
            .list(Kind::CustomResourceDefinition, None, &ListFilter::default())
            .items;
        let custom = definitions
            .into_iter()
            .filter(|d| crd::established(d) && d.meta().deletion_timestamp.is_none())
            .filter_map(|definition| {
                let kind = crd::register(&definition)?;
                Some(Custom { kind, definition })
            })
            .collect();
        Catalog { custom }
    }

    /// A tag of the served definitions (names, uids, resourceVersions):
    /// what is served changes only when it does.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for custom in &self.custom {
            let meta = custom.definition.meta();
            meta.name.hash(&mut hasher);
            meta.uid.hash(&mut hasher);
            meta.resource_version.hash(&mut hasher);
        }
        hasher.finish()
    }

    /// The custom kind `plural` of `group`, when this cluster serves it.
    pub fn custom(&self, group: &str, plural: &str) -> Option<&Custom> {
        self.custom.iter().find(|c| {
            let info = c.kind.info();
            info.group == group && info.plural == plural
        })
    }

    /// The definition serving a custom kind here.
    pub fn definition_of(&self, kind: Kind) -> Option<&Arc<Object>> {
        self.custom
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| &c.definition)
    }

    /// The kind addressed by `plural` at `group/version`, with its
    /// definition when it is a custom kind.
    pub fn resolve(
        &self,
        group: &str,
        version: &str,
        plural: &str,
    ) -> Option<(Kind, Option<Arc<Object>>)> {
        if let Some(kind) = Kind::builtin().find(|k| {
            let info = k.info();
            info.group == group && info.plural == plural && info.serves_version(version)
        }) {
            return Some((kind, None));
        }
        let custom = self.custom(group, plural)?;
        crd::version(&custom.definition, version)?;
        Some((custom.kind, Some(custom.definition.clone())))
    }

    /// Resources served at `group/version`, built-in ones first.
    pub fn resources_at(&self, group: &str, version: &str) -> Vec<Resource> {
        let mut resources: Vec<Resource> = Kind::builtin()
            .map(Kind::info)
            .filter(|info| info.group == group && info.serves_version(version))
            .map(Resource::builtin)
            .collect();
        for custom in &self.custom {
            let Some(names) = crd::names(&custom.definition) else {
                continue;
            };
            if names.group != group {
                continue;
            }
            let Some(served) = crd::version(&custom.definition, version) else {
                continue;
            };
            let mut subresources = Vec::new();
            if served.status_subresource {
                subresources.push("status".to_string());
            }
            if served.scale.is_some() {
                subresources.push("scale".to_string());
            }
            resources.push(Resource {
                kind: custom.kind,
                kind_name: names.kind,
                plural: names.plural,
                singular: names.singular,
                short_names: names.short_names,
                categories: names.categories,
                namespaced: names.namespaced,
                subresources,
                verbs: crate::api::kinds::ALL_VERBS,
            });
        }
        resources
    }

    pub fn serves(&self, group: &str, version: &str) -> bool {
        self.groups()
            .iter()
            .any(|(g, versions)| g == group && versions.iter().any(|v| v == version))
    }

    /// Every group with its versions, the preferred one first; the core
    /// group ("") included.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        fn add(groups: &mut Vec<(String, Vec<String>)>, group: &str, version: &str) {
            let index = match groups.iter().position(|(g, _)| g == group) {
                Some(i) => i,
                None => {
                    groups.push((group.to_string(), Vec::new()));
                    groups.len() - 1
                }
            };
            let versions = &mut groups[index].1;
            if !versions.iter().any(|v| v == version) {
                versions.push(version.to_string());
            }
        }
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for info in Kind::builtin().map(Kind::info) {
            for version in std::iter::once(&info.version).chain(info.extra_versions) {
                add(&mut groups, info.group, version);
            }
        }
        let builtin_groups = groups.len();
        for custom in &self.custom {
            let Some(names) = crd::names(&custom.definition) else {
                continue;
            };
            for version in crd::versions(&custom.definition) {
                add(&mut groups, &names.group, version.name);
            }
        }
        // Custom groups list their versions by Kubernetes version priority,
        // as upstream's discovery does.
        for (_, versions) in groups.iter_mut().skip(builtin_groups) {
            versions.sort_by(|a, b| version_priority(a, b));
        }
        groups
    }
}

/// Kubernetes' version order: GA before beta before alpha, higher numbers
/// first, then anything else alphabetically (apimachinery's CompareKubeAwareVersionStrings).
pub fn version_priority(a: &str, b: &str) -> Ordering {
    fn parse(v: &str) -> Option<(u32, u8, u32)> {
        let rest = v.strip_prefix('v')?;
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let major: u32 = rest[..digits].parse().ok()?;
        let tail = &rest[digits..];
        if tail.is_empty() {
            return Some((major, 2, 0));
        }
        let (stage, number) = if let Some(n) = tail.strip_prefix("beta") {
            (1, n)
        } else if let Some(n) = tail.strip_prefix("alpha") {
            (0, n)
        } else {
            return None;
        };
        Some((major, stage, number.parse().ok()?))
    }
    match (parse(a), parse(b)) {
        (Some((ma, sa, na)), Some((mb, sb, nb))) => sb.cmp(&sa).then(mb.cmp(&ma)).then(nb.cmp(&na)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_as_kubernetes_does() {
        let mut versions = vec![
            "v1alpha1",
            "foo",
            "v1beta1",
            "v2",
            "v1",
            "v11alpha2",
            "v1beta2",
        ];
        versions.sort_by(|a, b| version_priority(a, b));
        assert_eq!(
            versions,
            [
                "v2",
                "v1",
                "v1beta2",
                "v1beta1",
                "v11alpha2",
                "v1alpha1",
                "foo"
            ]
        );
    }
}
