//! Just enough OpenAPI v3 for kubectl's default `--validate=strict`: an
//! index of group-versions and, per group-version, a `patch` operation per
//! kind that names its GVK and accepts `fieldValidation`. kubectl then
//! leaves field validation to the server.

use serde_json::{Map, Value, json};

use super::catalog::Catalog;

/// Group-versions as OpenAPI paths: `api/v1`, `apis/apps/v1` ...
fn group_versions(catalog: &Catalog) -> Vec<(String, String)> {
    catalog
        .groups()
        .into_iter()
        .flat_map(|(group, versions)| versions.into_iter().map(move |v| (group.clone(), v)))
        .collect()
}

fn doc_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

pub fn index(catalog: &Catalog) -> Value {
    let mut paths = Map::new();
    for (group, version) in group_versions(catalog) {
        let path = doc_path(&group, &version);
        // The tag follows the document, so a client's cache sees a changed
        // definition.
        let content = document(catalog, &group, &version)
            .map(|d| d.to_string())
            .unwrap_or_default();
        paths.insert(
            path.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash={}", hash(&(path.clone() + &content)))}),
        );
    }
    json!({ "paths": paths })
}

/// A stable tag per document so clients may cache it.
fn hash(text: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes().chain(super::discovery::GIT_VERSION.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    format!("{h:016X}")
}

pub fn document(catalog: &Catalog, group: &str, version: &str) -> Option<Value> {
    let mut paths = Map::new();
    for info in catalog.resources_at(group, version) {
        if !info.verbs.contains(&"update") {
            continue;
        }
        let prefix = format!("/{}", doc_path(group, version));
        let item = if info.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", info.plural)
        } else {
            format!("{prefix}/{}/{{name}}", info.plural)
        };
        let gvk = json!({"group": group, "version": version, "kind": info.kind_name});
        let operation = |verb: &str| {
            json!({
                "operationId": format!("{verb}{}", info.kind_name),
                "parameters": [
                    {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                    {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                    {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                ],
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-action": verb,
                "x-kubernetes-group-version-kind": gvk,
            })
        };
        paths.insert(
            item,
            json!({"put": operation("replace"), "patch": operation("patch")}),
        );
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": super::discovery::GIT_VERSION},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_lists_group_versions() {
        let idx = index(&Catalog::of(&crate::store::Store::in_memory()));
        assert!(idx["paths"]["api/v1"]["serverRelativeURL"].is_string());
        assert!(idx["paths"]["apis/networking.k8s.io/v1beta1"].is_object());
    }

    #[test]
    fn documents_carry_gvk_and_field_validation() {
        let catalog = Catalog::of(&crate::store::Store::in_memory());
        let doc = document(&catalog, "apps", "v1").expect("doc");
        let op = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], "Deployment");
        assert_eq!(op["parameters"][2]["name"], "fieldValidation");
    }
}
