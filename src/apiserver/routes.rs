//! Kubernetes REST paths parsed into what they address.

use std::sync::Arc;

use super::catalog::Catalog;
use crate::api::{Kind, Object};

/// The CustomResourceDefinition serving a custom kind's request.
#[derive(Debug, Clone)]
pub struct Definition(pub Arc<Object>);

impl PartialEq for Definition {
    fn eq(&self, other: &Definition) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Definition {}

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Version,
    Health,
    CoreVersions,
    Groups,
    /// `/apis/{group}` — the group's versions.
    Group(String),
    /// `/api/v1`, `/apis/{group}/{version}`: an APIResourceList.
    Resources {
        group: String,
        version: String,
    },
    OpenApiIndex,
    /// `/openapi/v2`: the Swagger 2.0 document.
    OpenApiV2,
    /// `/openapi/v3/api/v1`, `/openapi/v3/apis/{group}/{version}`.
    OpenApiDocument {
        group: String,
        version: String,
    },
    /// A collection, a single object, or a subresource.
    Resource(ResourcePath),
    NotFound,
}

/// A path under a group-version addressing objects of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub kind: Kind,
    /// The version in the URL (may be an extra version such as Ingress v1beta1).
    pub version: String,
    /// The namespace in the URL; `None` for cluster-scoped kinds and all-namespace lists.
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// The deprecated `/watch/` path prefix was used.
    pub watch_prefix: bool,
    /// For a custom kind, the definition that serves it.
    pub definition: Option<Definition>,
}

impl ResourcePath {
    /// The version objects of this kind are stored in: a custom kind's
    /// storage version comes from its definition.
    pub fn storage_api_version(&self) -> String {
        match &self.definition {
            Some(definition) => {
                let versions = crate::api::crd::versions(&definition.0);
                let storage = versions
                    .iter()
                    .find(|v| v.storage)
                    .map_or(self.version.as_str(), |v| v.name);
                crate::api::kinds::api_version(self.kind.info().group, storage)
            }
            None => self.kind.info().api_version(),
        }
    }

    /// Whether `api_version` (from a body) is one this path's kind is served in.
    pub fn serves_api_version(&self, api_version: &str) -> bool {
        let (group, version) = crate::api::kinds::split_api_version(api_version);
        let info = self.kind.info();
        if group != info.group {
            return false;
        }
        match &self.definition {
            Some(definition) => crate::api::crd::version(&definition.0, version).is_some(),
            None => info.serves_version(version),
        }
    }

    /// `apps/v1` or `v1`, as the URL asked.
    pub fn api_version(&self) -> String {
        let group = self.kind.info().group;
        if group.is_empty() {
            self.version.clone()
        } else {
            format!("{group}/{}", self.version)
        }
    }
}

pub fn parse(path: &str, catalog: &Catalog) -> Route {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "readyz" | "livez", ..] => Route::Health,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v2"] => Route::OpenApiV2,
        ["openapi", "v3", "api", version] => Route::OpenApiDocument {
            group: String::new(),
            version: version.to_string(),
        },
        ["openapi", "v3", "apis", group, version] => Route::OpenApiDocument {
            group: group.to_string(),
            version: version.to_string(),
        },
        ["api", version, rest @ ..] => under_group_version(catalog, "", version, rest),
        ["apis", group] => Route::Group(group.to_string()),
        ["apis", group, version, rest @ ..] => under_group_version(catalog, group, version, rest),
        _ => Route::NotFound,
    }
}

fn under_group_version(catalog: &Catalog, group: &str, version: &str, rest: &[&str]) -> Route {
    if !catalog.serves(group, version) {
        return Route::NotFound;
    }
    if rest.is_empty() {
        return Route::Resources {
            group: group.to_string(),
            version: version.to_string(),
        };
    }
    let (watch_prefix, rest) = match rest {
        ["watch", rest @ ..] => (true, rest),
        _ => (false, rest),
    };
    type Served = (Kind, Option<Arc<Object>>);
    let namespaced_kind = |plural: &str| {
        catalog
            .resolve(group, version, plural)
            .filter(|(k, _)| k.namespaced())
    };
    let cluster_kind = |plural: &str| catalog.resolve(group, version, plural);
    let make = |(kind, definition): Served,
                namespace: Option<&str>,
                name: Option<&str>,
                sub: Option<&str>| {
        Route::Resource(ResourcePath {
            kind,
            version: version.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
            watch_prefix,
            definition: definition.map(Definition),
        })
    };
    // `namespaces/{ns}/{plural}...` addresses namespaced kinds; anything
    // else is a cluster-scoped kind or an all-namespaces collection.
    if let ["namespaces", namespace, plural, tail @ ..] = rest
        && let Some(kind) = namespaced_kind(plural)
    {
        return match tail {
            [] => make(kind, Some(namespace), None, None),
            [name] => make(kind, Some(namespace), Some(name), None),
            [name, sub] => make(kind, Some(namespace), Some(name), Some(sub)),
            _ => Route::NotFound,
        };
    }
    match rest {
        [plural] => match cluster_kind(plural) {
            Some(kind) => make(kind, None, None, None),
            None => Route::NotFound,
        },
        [plural, name, tail @ ..] => match cluster_kind(plural).filter(|(k, _)| !k.namespaced()) {
            Some(kind) => match tail {
                [] => make(kind, None, Some(name), None),
                [sub] => make(kind, None, Some(name), Some(sub)),
                _ => Route::NotFound,
            },
            None => Route::NotFound,
        },
        _ => Route::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(path: &str) -> ResourcePath {
        match parse(path, &Catalog::of(&crate::store::Store::in_memory())) {
            Route::Resource(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn parses_kubernetes_paths() {
        let r = resource("/apis/apps/v1/namespaces/default/deployments/nginx/scale");
        assert_eq!(r.kind, Kind::Deployment);
        assert_eq!(r.namespace.as_deref(), Some("default"));
        assert_eq!(r.name.as_deref(), Some("nginx"));
        assert_eq!(r.subresource.as_deref(), Some("scale"));

        let r = resource("/api/v1/pods");
        assert_eq!((r.kind, r.namespace), (Kind::Pod, None));

        let r = resource("/api/v1/namespaces/default");
        assert_eq!(r.kind, Kind::Namespace);
        assert_eq!(r.name.as_deref(), Some("default"));

        let r = resource("/api/v1/namespaces/x/status");
        assert_eq!(r.kind, Kind::Namespace);
        assert_eq!(r.subresource.as_deref(), Some("status"));

        let r = resource("/apis/networking.k8s.io/v1beta1/namespaces/d/ingresses");
        assert_eq!(r.api_version(), "networking.k8s.io/v1beta1");

        let catalog = Catalog::of(&crate::store::Store::in_memory());
        assert_eq!(
            parse("/apis/apps/v2/deployments", &catalog),
            Route::NotFound
        );
        assert_eq!(parse("/api/v1/pods/x", &catalog), Route::NotFound);
        assert_eq!(parse("/nonsense", &catalog), Route::NotFound);
        let r = resource("/apis/batch/v1/namespaces/default/jobs/pi/status");
        assert_eq!(r.kind, Kind::Job);
    }
}
