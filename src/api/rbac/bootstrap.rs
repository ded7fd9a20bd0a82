//! The default roles and bindings every cluster starts with (bootstrap.yaml).

use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use serde::Deserialize;

const BOOTSTRAP: &str = include_str!("bootstrap.yaml");

fn documents<T: for<'de> Deserialize<'de>>(kind: &str) -> Vec<T> {
    serde_yaml::Deserializer::from_str(BOOTSTRAP)
        .filter_map(|document| serde_yaml::Value::deserialize(document).ok())
        .filter(|value| value["kind"].as_str() == Some(kind))
        .filter_map(|value| serde_yaml::from_value(value).ok())
        .collect()
}

pub fn bootstrap_cluster_roles() -> Vec<ClusterRole> {
    documents("ClusterRole")
}

pub fn bootstrap_cluster_role_bindings() -> Vec<ClusterRoleBinding> {
    documents("ClusterRoleBinding")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_parses() {
        let roles = bootstrap_cluster_roles();
        let names: Vec<&str> = roles
            .iter()
            .filter_map(|r| r.metadata.name.as_deref())
            .collect();
        for name in ["cluster-admin", "admin", "edit", "view", "system:discovery"] {
            assert!(names.contains(&name), "{names:?}");
        }
        assert_eq!(roles.len(), 10);
        assert_eq!(bootstrap_cluster_role_bindings().len(), 4);
    }
}
