//! Discovery documents: /version, /api, /apis, and the APIResourceList of
//! each group-version, all derived from the kinds table.

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::api::{KINDS, KindInfo};

pub const GIT_VERSION: &str = "v1.33.0-podium";

const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

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

/// Named groups with their versions, the storage version first (preferred).
fn named_groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for info in KINDS.iter().filter(|k| !k.group.is_empty()) {
        let index = match groups.iter().position(|(g, _)| *g == info.group) {
            Some(i) => i,
            None => {
                groups.push((info.group, Vec::new()));
                groups.len() - 1
            }
        };
        let versions = &mut groups[index].1;
        for v in std::iter::once(&info.version).chain(info.extra_versions) {
            if !versions.contains(v) {
                versions.push(v);
            }
        }
    }
    groups
}

fn group_json(group: &str, versions: &[&str]) -> Value {
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

pub fn groups() -> Value {
    let groups: Vec<Value> = named_groups()
        .iter()
        .map(|(g, versions)| group_json(g, versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn group(name: &str) -> Option<Value> {
    named_groups()
        .iter()
        .find(|(g, _)| *g == name)
        .map(|(g, versions)| {
            let mut doc = group_json(g, versions);
            doc["kind"] = json!("APIGroup");
            doc["apiVersion"] = json!("v1");
            doc
        })
}

/// Kinds served at `group/version`.
pub fn kinds_at<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static KindInfo> + 'a {
    KINDS
        .iter()
        .filter(move |k| k.group == group && k.serves_version(version))
}

pub fn resources(group: &str, version: &str) -> Value {
    let mut resources = Vec::new();
    for info in kinds_at(group, version) {
        let mut entry = json!({
            "name": info.plural,
            "singularName": info.singular,
            "namespaced": info.namespaced,
            "kind": info.kind_name,
            "verbs": VERBS,
        });
        if !info.short_names.is_empty() {
            entry["shortNames"] = json!(info.short_names);
        }
        if !info.categories.is_empty() {
            entry["categories"] = json!(info.categories);
        }
        resources.push(entry);
        for sub in info.subresources {
            resources.push(subresource(info, sub));
        }
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    })
}

fn subresource(info: &KindInfo, sub: &str) -> Value {
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
        let g = group("networking.k8s.io").expect("group");
        assert_eq!(g["preferredVersion"]["version"], "v1");
        assert_eq!(g["versions"][1]["version"], "v1beta1");
    }

    #[test]
    fn deployments_have_scale() {
        let list = resources("apps", "v1");
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
