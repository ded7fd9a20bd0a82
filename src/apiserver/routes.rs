//! Kubernetes REST paths parsed into what they address.

use crate::api::{KINDS, Kind};

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
}

impl ResourcePath {
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

pub fn parse(path: &str) -> Route {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "readyz" | "livez", ..] => Route::Health,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v3", "api", version] => Route::OpenApiDocument {
            group: String::new(),
            version: version.to_string(),
        },
        ["openapi", "v3", "apis", group, version] => Route::OpenApiDocument {
            group: group.to_string(),
            version: version.to_string(),
        },
        ["api", version, rest @ ..] => under_group_version("", version, rest),
        ["apis", group] => Route::Group(group.to_string()),
        ["apis", group, version, rest @ ..] => under_group_version(group, version, rest),
        _ => Route::NotFound,
    }
}

fn served(group: &str, version: &str) -> bool {
    KINDS
        .iter()
        .any(|k| k.group == group && k.serves_version(version))
}

fn under_group_version(group: &str, version: &str, rest: &[&str]) -> Route {
    if !served(group, version) {
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
    let namespaced_kind = |plural: &str| {
        Kind::from_plural(group, plural)
            .filter(|k| k.namespaced() && k.info().serves_version(version))
    };
    let cluster_kind = |plural: &str| {
        Kind::from_plural(group, plural).filter(|k| k.info().serves_version(version))
    };
    let make = |kind: Kind, namespace: Option<&str>, name: Option<&str>, sub: Option<&str>| {
        Route::Resource(ResourcePath {
            kind,
            version: version.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
            watch_prefix,
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
        [plural, name, tail @ ..] => match cluster_kind(plural).filter(|k| !k.namespaced()) {
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
        match parse(path) {
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

        assert_eq!(parse("/apis/apps/v2/deployments"), Route::NotFound);
        assert_eq!(parse("/api/v1/pods/x"), Route::NotFound);
        assert_eq!(parse("/nonsense"), Route::NotFound);
    }
}
