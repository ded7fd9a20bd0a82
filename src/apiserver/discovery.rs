//! Discovery documents: /version, /api, /apis, and the APIResourceList of
//! each group-version, all derived from the kinds table; and aggregated
//! discovery (apidiscovery.k8s.io v2 and v2beta1, what kubectl asks /api
//! and /apis for first), one document with every group's resources, made
//! from the same lists.

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

/// The aggregated discovery version an `Accept` header asks for before
/// plain JSON, if any (`v2` or `v2beta1`).
pub fn aggregated_version(accept: Option<&str>) -> Option<&'static str> {
    for range in accept?.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        if media != "application/json" && media != "*/*" && media != "application/*" {
            continue;
        }
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        if params.is_empty() || param("g").is_none() {
            // Plain JSON comes first: the legacy document.
            return None;
        }
        if param("g") == Some("apidiscovery.k8s.io") && param("as") == Some("APIGroupDiscoveryList")
        {
            match param("v") {
                Some("v2") => return Some("v2"),
                Some("v2beta1") => return Some("v2beta1"),
                _ => {}
            }
        }
    }
    None
}

/// The Content-Type of an aggregated document of `version`.
pub fn aggregated_content_type(version: &str) -> &'static str {
    match version {
        "v2beta1" => "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
        _ => "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
    }
}

/// The APIGroupDiscoveryList of the core group (`/api`) or of every
/// named group (`/apis`), preferred versions first.
pub fn aggregated(catalog: &Catalog, core: bool, version: &str) -> Value {
    let items: Vec<Value> = catalog
        .groups()
        .iter()
        .filter(|(g, _)| g.is_empty() == core)
        .map(|(group, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| aggregated_version_entry(&resources(catalog, group, v), v))
                .collect();
            let mut metadata = json!({"creationTimestamp": null});
            if !group.is_empty() {
                metadata["name"] = json!(group);
            }
            json!({"metadata": metadata, "versions": versions})
        })
        .collect();
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items,
    })
}

/// One APIVersionDiscovery from the legacy APIResourceList: each resource
/// with its subresources nested under it.
fn aggregated_version_entry(list: &Value, version: &str) -> Value {
    let entries = list["resources"].as_array().cloned().unwrap_or_default();
    let mut resources: Vec<Value> = Vec::new();
    for entry in &entries {
        let name = entry["name"].as_str().unwrap_or_default();
        let response_kind = json!({
            "group": entry.get("group").cloned().unwrap_or(json!("")),
            "version": entry.get("version").cloned().unwrap_or(json!("")),
            "kind": entry["kind"],
        });
        if let Some((parent, sub)) = name.split_once('/') {
            let subresource = json!({
                "subresource": sub,
                "responseKind": response_kind,
                "verbs": entry["verbs"],
            });
            if let Some(owner) = resources.iter_mut().find(|r| r["resource"] == parent)
                && let Some(subs) = owner["subresources"].as_array_mut()
            {
                subs.push(subresource);
            }
            continue;
        }
        let scope = if entry["namespaced"] == json!(true) {
            "Namespaced"
        } else {
            "Cluster"
        };
        let mut resource = json!({
            "resource": name,
            "responseKind": response_kind,
            "scope": scope,
            "singularResource": entry["singularName"],
            "verbs": entry["verbs"],
            "subresources": [],
        });
        for field in ["shortNames", "categories"] {
            if let Some(value) = entry.get(field) {
                resource[field] = value.clone();
            }
        }
        resources.push(resource);
    }
    for resource in &mut resources {
        if resource["subresources"]
            .as_array()
            .is_some_and(Vec::is_empty)
            && let Some(object) = resource.as_object_mut()
        {
            object.remove("subresources");
        }
    }
    json!({"version": version, "resources": resources, "freshness": "Current"})
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

    #[test]
    fn kubectls_accept_header_gets_aggregated_discovery() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated_version(Some(kubectl)), Some("v2"));
        let beta = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated_version(Some(beta)), Some("v2beta1"));
        assert_eq!(aggregated_version(Some("application/json, */*")), None);
        assert_eq!(
            aggregated_version(Some(
                "application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
            )),
            None
        );
        assert_eq!(aggregated_version(None), None);
        let unknown =
            "application/json;g=apidiscovery.k8s.io;v=v9;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated_version(Some(unknown)), None);
    }

    #[test]
    fn the_aggregated_document_nests_subresources_under_their_resource() {
        let catalog = Catalog::of(&crate::store::Store::in_memory());
        let apis = aggregated(&catalog, false, "v2");
        assert_eq!(apis["kind"], "APIGroupDiscoveryList");
        assert_eq!(apis["apiVersion"], "apidiscovery.k8s.io/v2");
        let apps = apis["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|g| g["metadata"]["name"] == "apps")
            .expect("apps");
        let v1 = &apps["versions"][0];
        assert_eq!(
            (v1["version"].as_str(), v1["freshness"].as_str()),
            (Some("v1"), Some("Current"))
        );
        let deployments = v1["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["resource"] == "deployments")
            .expect("deployments");
        assert_eq!(deployments["scope"], "Namespaced");
        assert_eq!(deployments["singularResource"], "deployment");
        assert_eq!(
            deployments["responseKind"],
            json!({"group": "", "version": "", "kind": "Deployment"})
        );
        assert_eq!(deployments["shortNames"], json!(["deploy"]));
        let scale = deployments["subresources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["subresource"] == "scale")
            .expect("scale");
        assert_eq!(
            scale["responseKind"],
            json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
        );
        let core = aggregated(&catalog, true, "v2");
        let items = core["items"].as_array().expect("items");
        assert_eq!(items.len(), 1);
        assert!(items[0]["metadata"].get("name").is_none());
        let namespaces = items[0]["versions"][0]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["resource"] == "namespaces")
            .expect("namespaces");
        assert_eq!(namespaces["scope"], "Cluster");
    }
}
