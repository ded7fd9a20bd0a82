//! CustomResourceDefinitions as the API server reads them: the kind a
//! definition registers, the versions it serves, and per version its
//! schema, subresources and printer columns. Definitions are stored as
//! JSON (`Object::Dynamic`); this module reads that JSON.

use serde_json::Value;

use super::kinds::{CustomNames, Kind};
use super::object::Object;

/// One served version of a definition.
#[derive(Debug, Clone)]
pub struct CustomVersion<'a> {
    pub name: &'a str,
    pub storage: bool,
    pub schema: Option<&'a Value>,
    pub status_subresource: bool,
    pub scale: Option<ScalePaths>,
    /// `additionalPrinterColumns`, as in the definition.
    pub printer_columns: &'a [Value],
    pub deprecated: bool,
    pub deprecation_warning: Option<&'a str>,
}

/// Where a custom resource keeps what the scale subresource reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePaths {
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

fn spec(definition: &Object) -> Option<&Value> {
    definition.as_dynamic()?.fields.get("spec")
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The served versions of a definition, in its order.
pub fn versions(definition: &Object) -> Vec<CustomVersion<'_>> {
    let Some(versions) = spec(definition)
        .and_then(|s| s.get("versions"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    versions
        .iter()
        .filter(|v| v["served"].as_bool().unwrap_or(false))
        .filter_map(|v| {
            let subresources = v.get("subresources");
            let scale = subresources
                .and_then(|s| s.get("scale"))
                .map(|s| ScalePaths {
                    spec_replicas: s["specReplicasPath"].as_str().unwrap_or("").to_string(),
                    status_replicas: s["statusReplicasPath"].as_str().unwrap_or("").to_string(),
                    label_selector: s["labelSelectorPath"].as_str().map(str::to_string),
                });
            Some(CustomVersion {
                name: v["name"].as_str()?,
                storage: v["storage"].as_bool().unwrap_or(false),
                schema: v.get("schema").and_then(|s| s.get("openAPIV3Schema")),
                status_subresource: subresources.and_then(|s| s.get("status")).is_some(),
                scale,
                printer_columns: v
                    .get("additionalPrinterColumns")
                    .and_then(Value::as_array)
                    .map_or(&[], Vec::as_slice),
                deprecated: v["deprecated"].as_bool().unwrap_or(false),
                deprecation_warning: v["deprecationWarning"].as_str(),
            })
        })
        .collect()
}

/// The served version `name`, if the definition serves it.
pub fn version<'a>(definition: &'a Object, name: &str) -> Option<CustomVersion<'a>> {
    versions(definition).into_iter().find(|v| v.name == name)
}

/// The names and versions a definition gives its kind.
pub fn names(definition: &Object) -> Option<CustomNames> {
    let spec = spec(definition)?;
    let names = spec.get("names")?;
    let versions = versions(definition);
    let storage = versions.iter().find(|v| v.storage).or(versions.first())?;
    let mut subresources = Vec::new();
    if storage.status_subresource {
        subresources.push("status".to_string());
    }
    if storage.scale.is_some() {
        subresources.push("scale".to_string());
    }
    let kind = names["kind"].as_str()?.to_string();
    Some(CustomNames {
        group: spec["group"].as_str()?.to_string(),
        version: storage.name.to_string(),
        other_versions: versions
            .iter()
            .filter(|v| v.name != storage.name)
            .map(|v| v.name.to_string())
            .collect(),
        singular: names["singular"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map_or_else(|| kind.to_lowercase(), str::to_string),
        kind,
        plural: names["plural"].as_str()?.to_string(),
        short_names: strings(names.get("shortNames")),
        categories: strings(names.get("categories")),
        namespaced: spec["scope"].as_str() != Some("Cluster"),
        subresources,
    })
}

/// Registers the kind a definition defines; `None` for any other object
/// and for a definition without names or served versions.
pub fn register(object: &Object) -> Option<Kind> {
    if object.kind() != Kind::CustomResourceDefinition {
        return None;
    }
    names(object).map(Kind::register_custom)
}

/// The name a definition of `plural` in `group` must have.
pub fn definition_name(kind: Kind) -> String {
    let info = kind.info();
    format!("{}.{}", info.plural, info.group)
}

/// Whether the definition's `Established` condition is true.
pub fn established(definition: &Object) -> bool {
    condition_true(definition, "Established")
}

fn condition_true(definition: &Object, kind: &str) -> bool {
    definition
        .as_dynamic()
        .and_then(|d| d.fields.get("status"))
        .and_then(|s| s.get("conditions"))
        .and_then(Value::as_array)
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c["type"] == kind && c["status"] == "True")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub fn crontab_definition() -> Object {
        Object::from_json(
            Kind::CustomResourceDefinition,
            json!({
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": "crontabs.stable.example.com"},
                "spec": {
                    "group": "stable.example.com",
                    "scope": "Namespaced",
                    "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"]},
                    "versions": [{
                        "name": "v1", "served": true, "storage": true,
                        "schema": {"openAPIV3Schema": {"type": "object"}},
                        "subresources": {"status": {}}
                    }]
                }
            }),
        )
        .expect("a definition")
    }

    #[test]
    fn a_definition_registers_its_kind() {
        let definition = crontab_definition();
        let kind = register(&definition).expect("registered");
        assert!(kind.is_custom());
        assert_eq!(
            Kind::from_plural("stable.example.com", "crontabs"),
            Some(kind)
        );
        assert_eq!(
            Kind::from_type_meta("stable.example.com/v1", "CronTab"),
            Some(kind)
        );
        let info = kind.info();
        assert_eq!(info.short_names, ["ct"]);
        assert!(info.namespaced);
        assert_eq!(info.subresources, ["status"]);
        assert_eq!(definition_name(kind), "crontabs.stable.example.com");
        assert_eq!(register(&definition), Some(kind), "interned once");
    }
}
