//! The kinds podium serves: group, version, kind, plural and the names
//! kubectl resolves (short names, categories). One table drives discovery,
//! routing and the store's key space.

use std::fmt;

/// A kind of object the control plane stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Node,
    Pod,
    ReplicaSet,
    Deployment,
    Service,
    Endpoints,
    Ingress,
    ConfigMap,
    Secret,
    Event,
}

/// Static facts about one kind, as discovery presents them.
#[derive(Debug)]
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
}

impl KindInfo {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
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
}

const ALL_CATEGORY: &[&str] = &["all"];

pub static KINDS: &[KindInfo] = &[
    KindInfo {
        kind: Kind::Namespace,
        group: "",
        version: "v1",
        extra_versions: &[],
        kind_name: "Namespace",
        plural: "namespaces",
        singular: "namespace",
        short_names: &["ns"],
        namespaced: false,
        categories: &[],
        subresources: &["status"],
    },
    KindInfo {
        kind: Kind::Node,
        group: "",
        version: "v1",
        extra_versions: &[],
        kind_name: "Node",
        plural: "nodes",
        singular: "node",
        short_names: &["no"],
        namespaced: false,
        categories: &[],
        subresources: &["status"],
    },
    KindInfo {
        kind: Kind::Pod,
        group: "",
        version: "v1",
        extra_versions: &[],
        kind_name: "Pod",
        plural: "pods",
        singular: "pod",
        short_names: &["po"],
        namespaced: true,
        categories: ALL_CATEGORY,
        subresources: &["status", "log", "exec", "portforward"],
    },
    KindInfo {
        kind: Kind::ReplicaSet,
        group: "apps",
        version: "v1",
        extra_versions: &[],
        kind_name: "ReplicaSet",
        plural: "replicasets",
        singular: "replicaset",
        short_names: &["rs"],
        namespaced: true,
        categories: ALL_CATEGORY,
        subresources: &["status", "scale"],
    },
    KindInfo {
        kind: Kind::Deployment,
        group: "apps",
        version: "v1",
        extra_versions: &[],
        kind_name: "Deployment",
        plural: "deployments",
        singular: "deployment",
        short_names: &["deploy"],
        namespaced: true,
        categories: ALL_CATEGORY,
        subresources: &["status", "scale"],
    },
    KindInfo {
        kind: Kind::Service,
        group: "",
        version: "v1",
        extra_versions: &[],
        kind_name: "Service",
        plural: "services",
        singular: "service",
        short_names: &["svc"],
        namespaced: true,
        categories: ALL_CATEGORY,
        subresources: &["status"],
    },
    KindInfo {
        kind: Kind::Endpoints,
        group: "",
        version: "v1",
        extra_versions: &[],
        kind_name: "Endpoints",
        plural: "endpoints",
        singular: "endpoints",
        short_names: &["ep"],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
    KindInfo {
        kind: Kind::Ingress,
        group: "networking.k8s.io",
        version: "v1",
        extra_versions: &["v1beta1"],
        kind_name: "Ingress",
        plural: "ingresses",
        singular: "ingress",
        short_names: &["ing"],
        namespaced: true,
        categories: &[],
        subresources: &["status"],
    },
    KindInfo {
        kind: Kind::ConfigMap,
        group: "",
        version: "v1",
        extra_versions: &[],
        kind_name: "ConfigMap",
        plural: "configmaps",
        singular: "configmap",
        short_names: &["cm"],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
    KindInfo {
        kind: Kind::Secret,
        group: "",
        version: "v1",
        extra_versions: &[],
        kind_name: "Secret",
        plural: "secrets",
        singular: "secret",
        short_names: &[],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
    KindInfo {
        kind: Kind::Event,
        group: "",
        version: "v1",
        extra_versions: &[],
        kind_name: "Event",
        plural: "events",
        singular: "event",
        short_names: &["ev"],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
];

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Namespace,
        Kind::Node,
        Kind::Pod,
        Kind::ReplicaSet,
        Kind::Deployment,
        Kind::Service,
        Kind::Endpoints,
        Kind::Ingress,
        Kind::ConfigMap,
        Kind::Secret,
        Kind::Event,
    ];

    pub fn info(self) -> &'static KindInfo {
        // KINDS is declared in the same order as the enum.
        &KINDS[self as usize]
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
        KINDS
            .iter()
            .find(|k| k.group == group && k.plural == plural)
            .map(|k| k.kind)
    }

    /// Finds a kind by `apiVersion` and `kind`, as in a manifest. Accepts
    /// the extra versions served by conversion.
    pub fn from_type_meta(api_version: &str, kind: &str) -> Option<Kind> {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        KINDS
            .iter()
            .find(|k| k.group == group && k.kind_name == kind && k.serves_version(version))
            .map(|k| k.kind)
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
    fn table_order_matches_enum() {
        for kind in Kind::ALL {
            assert_eq!(kind.info().kind, kind);
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
            Kind::Deployment.info().qualified_plural(),
            "deployments.apps"
        );
    }
}
