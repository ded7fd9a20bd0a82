//! Discovery documents: /version, /api, /apis, and the APIResourceList of
//! each group-version, all derived from the kinds table.

use std::net::SocketAddr;

use serde_json::{Value, json};

use super::catalog::{Catalog, Resource};
use crate::api::kinds::api_version;

pub const GIT_VERSION: &str = "v1.33.0-podium";

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": GIT_VERSION,
        "gitCommit": "podium",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24",
        "compiler": "gc",
        "platform": format!("{}/{}", std::env::consts::OS, goarch()),
    })
}

fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

pub fn core_versions(addr: SocketAddr) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": addr.to_string()}],
    })
}

fn group_json(group: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({
        "name": group,
        "versions": versions,
        "preferredVersion": versions.first().cloned().unwrap_or(Value::Null),
    })
}

pub fn groups(catalog: &Catalog) -> Value {
    let groups: Vec<Value> = catalog
        .groups()
        .iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, versions)| group_json(g, versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn group(catalog: &Catalog, name: &str) -> Option<Value> {
    catalog
        .groups()
        .iter()
        .find(|(g, _)| !g.is_empty() && g == name)
        .map(|(g, versions)| {
            let mut doc = group_json(g, versions);
            doc["kind"] = json!("APIGroup");
            doc["apiVersion"] = json!("v1");
            doc
        })
}

pub fn resources(catalog: &Catalog, group: &str, version: &str) -> Value {
    let mut resources = Vec::new();
    for resource in catalog.resources_at(group, version) {
        let mut entry = json!({
            "name": resource.plural,
            "singularName": resource.singular,
            "namespaced": resource.namespaced,
            "kind": resource.kind_name,
            "verbs": resource.verbs,
        });
        if !resource.short_names.is_empty() {
            entry["shortNames"] = json!(resource.short_names);
        }
        if !resource.categories.is_empty() {
            entry["categories"] = json!(resource.categories);
        }
        resources.push(entry);
        for sub in &resource.subresources {
            resources.push(subresource(&resource, sub));
        }
    }
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": api_version(group, version),
        "resources": resources,
    })
}

fn subresource(info: &Resource, sub: &str) -> Value {
    let name = format!("{}/{sub}", info.plural);
    match sub {
        "scale" => json!({
            "name": name, "singularName": "", "namespaced": info.namespaced,
            "group": "autoscaling", "version": "v1", "kind": "Scale",
            "verbs": ["get", "patch", "update"],
        }),
        "log" => json!({
            "name": name, "singularName": "", "namespaced": info.namespaced,
            "kind": info.kind_name, "verbs": ["get"],
        }),
        "exec" => json!({
            "name": name, "singularName": "", "namespaced": info.namespaced,
            "kind": "PodExecOptions", "verbs": ["create", "get"],
        }),
        "portforward" => json!({
            "name": name, "singularName": "", "namespaced": info.namespaced,
            "kind": "PodPortForwardOptions", "verbs": ["create", "get"],
        }),
        "attach" => json!({
            "name": name, "singularName": "", "namespaced": info.namespaced,
            "kind": "PodAttachOptions", "verbs": ["create", "get"],
        }),
        "token" => json!({
            "name": name, "singularName": "", "namespaced": info.namespaced,
            "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest",
            "verbs": ["create"],
        }),
        "eviction" => json!({
            "name": name, "singularName": "", "namespaced": info.namespaced,
            "group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"],
        }),
        "binding" => json!({
            "name": name, "singularName": "", "namespaced": info.namespaced,
            "kind": "Binding", "verbs": ["create"],
        }),
        "proxy" => json!({
            "name": name, "singularName": "", "namespaced": info.namespaced,
            "kind": format!("{}ProxyOptions", info.kind_name),
            "verbs": ["create", "delete", "get", "patch", "update"],
        }),
        "finalize" | "approval" => json!({
            "name": name, "singularName": "", "namespaced": info.namespaced,
            "kind": info.kind_name, "verbs": ["update"],
        }),
        _ => json!({
            "name": name, "singularName": "", "namespaced": info.namespaced,
            "kind": info.kind_name, "verbs": ["get", "patch", "update"],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networking_prefers_v1_and_serves_v1beta1() {
        let catalog = Catalog::of(&crate::store::Store::in_memory());
        let g = group(&catalog, "networking.k8s.io").expect("group");
        assert_eq!(g["preferredVersion"]["version"], "v1");
        assert_eq!(g["versions"][1]["version"], "v1beta1");
    }

    #[test]
    fn deployments_have_scale() {
        let catalog = Catalog::of(&crate::store::Store::in_memory());
        let list = resources(&catalog, "apps", "v1");
        let names: Vec<&str> = list["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(names.contains(&"deployments/scale"), "{names:?}");
        assert!(names.contains(&"replicasets/status"), "{names:?}");
    }
}
