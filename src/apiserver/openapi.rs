//! OpenAPI v3 as upstream serves it: an index of group-versions and, per
//! group-version, a document whose `components.schemas` hold every served
//! kind's schema (k8s-openapi's, or a CustomResourceDefinition's
//! `openAPIV3Schema`) with the schemas they refer to, keyed as upstream
//! (`io.k8s.api.apps.v1.Deployment`); top-level kinds carry
//! `x-kubernetes-group-version-kind`. The paths name each kind's GVK and
//! accept `fieldValidation`, so kubectl leaves field validation to the
//! server; their bodies refer to the schemas, and a patch that accepts a
//! strategic merge patch says so, so kubectl computes its patch from the
//! schemas' `x-kubernetes-patch-*` extensions.
//!
//! The documents are built once per set of CustomResourceDefinitions and
//! cached ([`Cache`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Patch};
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::catalog::{Catalog, Resource};
use crate::api::crd;

/// Group-versions as OpenAPI paths: `api/v1`, `apis/apps/v1` ...
fn group_versions(catalog: &Catalog) -> Vec<(String, String)> {
    catalog
        .groups()
        .into_iter()
        .flat_map(|(group, versions)| versions.into_iter().map(move |v| (group.clone(), v)))
        .collect()
}

pub fn doc_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// A stable tag per document so clients may cache it.
fn hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes.iter().chain(super::discovery::GIT_VERSION.as_bytes()) {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
    }
    format!("{h:016X}")
}

/// One served document, serialised, with its tag.
#[derive(Debug)]
pub struct Doc {
    pub body: Bytes,
    pub hash: String,
}

impl Doc {
    fn of(value: &Value) -> Doc {
        let mut body = serde_json::to_vec(value).unwrap_or_default();
        body.push(b'\n');
        let hash = hash(&body);
        Doc {
            body: Bytes::from(body),
            hash,
        }
    }
}

/// Every OpenAPI document of one set of served kinds.
#[derive(Debug)]
pub struct Documents {
    pub index: Doc,
    /// By document path (`apis/apps/v1`).
    pub v3: HashMap<String, Doc>,
    /// `/openapi/v2` as JSON.
    pub v2_json: Doc,
    /// `/openapi/v2` as gnostic's protobuf.
    pub v2_protobuf: Doc,
}

impl Documents {
    pub fn build(catalog: &Catalog) -> Documents {
        let mut v3 = HashMap::new();
        let mut paths = Map::new();
        for (group, version) in group_versions(catalog) {
            let Some(document) = document(catalog, &group, &version) else {
                continue;
            };
            let path = doc_path(&group, &version);
            let doc = Doc::of(&document);
            paths.insert(
                path.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash={}", doc.hash)}),
            );
            v3.insert(path, doc);
        }
        let v2 = super::openapi_v2::document(catalog);
        let v2_protobuf = super::openapi_v2::protobuf(&v2);
        let v2_hash = hash(&v2_protobuf);
        Documents {
            index: Doc::of(&json!({ "paths": paths })),
            v3,
            v2_json: Doc::of(&v2),
            v2_protobuf: Doc {
                body: Bytes::from(v2_protobuf),
                hash: v2_hash,
            },
        }
    }
}

/// The documents of the last set of definitions seen, rebuilt when a
/// CustomResourceDefinition is added, changed or removed.
#[derive(Default)]
pub struct Cache {
    last: parking_lot::Mutex<Option<(u64, Arc<Documents>)>>,
}

impl Cache {
    pub fn documents(&self, catalog: &Catalog) -> Arc<Documents> {
        let key = catalog.fingerprint();
        let mut last = self.last.lock();
        if let Some((k, docs)) = last.as_ref()
            && *k == key
        {
            return docs.clone();
        }
        let docs = Arc::new(Documents::build(catalog));
        *last = Some((key, docs.clone()));
        docs
    }
}

/// `response` with upstream's caching headers: an ETag (a request that
/// already has it gets 304 Not Modified), and for a document asked for
/// by its current hash, `Cache-Control: public, immutable`.
pub fn cached(
    mut response: http::Response<super::http::Body>,
    hash: &str,
    immutable: bool,
    request: &http::HeaderMap,
) -> http::Response<super::http::Body> {
    let etag = format!("\"{hash}\"");
    let matches = request
        .get(http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if matches {
        response = super::http::bytes_response(304, "application/json", Vec::new());
        response.headers_mut().remove(http::header::CONTENT_TYPE);
    }
    let headers = response.headers_mut();
    if let Ok(value) = http::HeaderValue::from_str(&etag) {
        headers.insert(http::header::ETAG, value);
    }
    let control = if immutable {
        "public, immutable"
    } else {
        "no-cache, private"
    };
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static(control),
    );
    if immutable {
        headers.insert(
            http::header::EXPIRES,
            http::HeaderValue::from_static("Fri, 01 Jan 2100 00:00:00 GMT"),
        );
    }
    response
}

pub fn index(catalog: &Catalog) -> Value {
    let docs = Documents::build(catalog);
    serde_json::from_slice(&docs.index.body).unwrap_or(Value::Null)
}

/// The settings of upstream's v3 documents: `#/components/schemas/...`
/// references, a reference with a description wrapped in `allOf`.
pub(super) fn v3_generator() -> SchemaGenerator {
    SchemaSettings::openapi3()
        .with(|s| s.meta_schema = None)
        .into_generator()
}

/// `io.k8s.api.apps.v1.Deployment` from `{"$ref": "#/components/schemas/io.k8s.api.apps.v1.Deployment"}`.
fn ref_name(reference: &schemars::Schema) -> Option<String> {
    let text = reference.get("$ref")?.as_str()?;
    text.rsplit('/').next().map(str::to_string)
}

/// `com.example.stable` from `stable.example.com`: how upstream names a
/// custom kind's schema (`com.example.stable.v1.CronTab`).
pub fn custom_schema_name(group: &str, version: &str, kind: &str) -> String {
    let reversed: Vec<&str> = group.split('.').rev().collect();
    format!("{}.{version}.{kind}", reversed.join("."))
}

const API_VERSION_DOC: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DOC: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const METADATA_DOC: &str = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// A custom kind's schema as upstream publishes it: the definition's
/// schema with `apiVersion`, `kind` and `metadata` (a reference to
/// ObjectMeta) described.
pub(super) fn custom_schema(schema: Option<&Value>, metadata_ref: &str) -> Value {
    let mut schema = match schema {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    schema
        .entry("type")
        .or_insert_with(|| Value::String("object".into()));
    let properties = schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(properties) = properties {
        properties.insert(
            "apiVersion".into(),
            json!({"description": API_VERSION_DOC, "type": "string"}),
        );
        properties.insert(
            "kind".into(),
            json!({"description": KIND_DOC, "type": "string"}),
        );
        properties.insert(
            "metadata".into(),
            json!({"description": METADATA_DOC, "allOf": [{"$ref": metadata_ref}]}),
        );
    }
    Value::Object(schema)
}

/// The schema name of each resource served at this group-version, with
/// its schema added to `generator` (built-in kinds) or returned (custom).
pub(super) struct Named {
    pub resource: Resource,
    pub schema_name: Option<String>,
}

/// Adds the schemas of the kinds at `group/version` to `generator`:
/// built-in ones through it, custom ones as returned `(name, schema)`.
pub(super) fn collect(
    catalog: &Catalog,
    group: &str,
    version: &str,
    generator: &mut SchemaGenerator,
    metadata_ref: &str,
) -> (Vec<Named>, Vec<(String, Value)>) {
    let mut named = Vec::new();
    let mut custom = Vec::new();
    for resource in catalog.resources_at(group, version) {
        let info = resource.kind.info();
        let schema_name = match catalog.definition_of(resource.kind) {
            Some(definition) => crd::version(definition, version).map(|served| {
                let name = custom_schema_name(group, version, &resource.kind_name);
                custom.push((name.clone(), custom_schema(served.schema, metadata_ref)));
                name
            }),
            // Extra versions (Ingress networking.k8s.io/v1beta1) have no
            // k8s-openapi type: their paths are served without a schema.
            None if info.version == version => {
                info.schema.and_then(|schema| ref_name(&schema(generator)))
            }
            None => None,
        };
        named.push(Named {
            resource,
            schema_name,
        });
    }
    (named, custom)
}

/// The merge strategy of list `field` of schema `type_name`, as the
/// server's strategic merge patch applies it ([`crate::api::strategic`]):
/// kubectl computes its patch from these.
pub(super) fn patch_strategy(
    type_name: &str,
    field: &str,
) -> Option<(&'static str, Option<&'static str>)> {
    let short = type_name.rsplit('.').next().unwrap_or(type_name);
    let key = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "ownerReferences" => "uid",
        "conditions" => "type",
        "addresses" if short == "NodeStatus" => "type",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "finalizers" if short == "ObjectMeta" => return Some(("merge", None)),
        "ports" if short == "ServiceSpec" => "port",
        "ports" if short == "Container" || short == "EphemeralContainer" => "containerPort",
        _ => return None,
    };
    Some(("merge", Some(key)))
}

/// Upstream's finishing of the schemas: the GVK of top-level kinds, no
/// `metadata` among their required fields (k8s-openapi's Rust types
/// require it, upstream's schemas do not), and the patch strategies.
pub(super) fn finish(
    schemas: &mut Map<String, Value>,
    named: &[Named],
    group: &str,
    version: &str,
) {
    let mut gvks: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for n in named {
        if let Some(name) = &n.schema_name {
            gvks.entry(name)
                .or_default()
                .push(json!({"group": group, "kind": n.resource.kind_name, "version": version}));
        }
    }
    for (name, gvk) in gvks {
        let Some(Value::Object(schema)) = schemas.get_mut(name) else {
            continue;
        };
        schema.insert("x-kubernetes-group-version-kind".into(), Value::Array(gvk));
        if let Some(Value::Array(required)) = schema.get_mut("required") {
            required.retain(|r| r != "metadata");
            if required.is_empty() {
                schema.remove("required");
            }
        }
    }
    for (name, schema) in schemas.iter_mut() {
        let Some(Value::Object(properties)) = schema.get_mut("properties") else {
            continue;
        };
        for (field, property) in properties.iter_mut() {
            let Value::Object(property) = property else {
                continue;
            };
            if property.get("type").and_then(Value::as_str) != Some("array") {
                continue;
            }
            if let Some((strategy, key)) = patch_strategy(name, field) {
                if let Some(key) = key {
                    property.insert("x-kubernetes-patch-merge-key".into(), key.into());
                }
                property.insert("x-kubernetes-patch-strategy".into(), strategy.into());
            }
        }
    }
}

fn json_body(reference: &Value) -> Value {
    json!({
        "application/json": {"schema": reference},
        "application/yaml": {"schema": reference},
        "application/vnd.kubernetes.protobuf": {"schema": reference},
    })
}

pub fn document(catalog: &Catalog, group: &str, version: &str) -> Option<Value> {
    let mut generator = v3_generator();
    let metadata_ref = generator.subschema_for::<ObjectMeta>();
    let metadata_ref = metadata_ref.get("$ref").cloned().unwrap_or(Value::Null);
    let patch_ref = generator.subschema_for::<Patch>().to_value();
    let (named, custom) = collect(
        catalog,
        group,
        version,
        &mut generator,
        metadata_ref.as_str().unwrap_or_default(),
    );
    let mut paths = Map::new();
    for n in &named {
        let info = &n.resource;
        let is_custom = catalog.definition_of(info.kind).is_some();
        let prefix = format!("/{}", doc_path(group, version));
        let collection = if info.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}", info.plural)
        } else {
            format!("{prefix}/{}", info.plural)
        };
        let item = format!("{collection}/{{name}}");
        let gvk = json!({"group": group, "version": version, "kind": info.kind_name});
        let reference = n
            .schema_name
            .as_ref()
            .map(|name| json!({"$ref": format!("#/components/schemas/{name}")}));
        let operation = |verb: &str, action: &str, body: Option<Value>| {
            let mut op = json!({
                "operationId": format!("{verb}{}", info.kind_name),
                "parameters": [
                    {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                    {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                    {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                ],
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
            });
            if let Some(reference) = &reference {
                op["responses"]["200"]["content"] = json_body(reference);
                if verb != "patch" {
                    op["responses"]["201"] =
                        json!({"description": "Created", "content": json_body(reference)});
                }
            }
            if let Some(body) = body {
                op["requestBody"] = json!({"content": body, "required": true});
            }
            op
        };
        let object_body = reference.as_ref().map(json_body);
        let mut patch_types = Map::new();
        for media in [
            "application/apply-patch+yaml",
            "application/json-patch+json",
            "application/merge-patch+json",
        ] {
            patch_types.insert(media.into(), json!({"schema": patch_ref}));
        }
        // Custom resources take no strategic merge patch, as upstream.
        if !is_custom {
            patch_types.insert(
                "application/strategic-merge-patch+json".into(),
                json!({"schema": patch_ref}),
            );
        }
        let stored = info.verbs.contains(&"get");
        let mut item_ops = Map::new();
        if stored {
            let mut get = operation("read", "get", None);
            if let Value::Object(get) = &mut get
                && let Some(Value::Array(params)) = get.get_mut("parameters")
            {
                params.clear();
            }
            item_ops.insert("get".into(), get);
        }
        if info.verbs.contains(&"update") {
            item_ops.insert(
                "put".into(),
                operation("replace", "put", object_body.clone()),
            );
            item_ops.insert(
                "patch".into(),
                operation("patch", "patch", Some(Value::Object(patch_types))),
            );
        }
        if !item_ops.is_empty() {
            paths.insert(item, Value::Object(item_ops));
        }
        if info.verbs.contains(&"create") {
            let post = operation("create", "post", object_body);
            paths.insert(collection, json!({"post": post}));
        }
    }
    if paths.is_empty() {
        return None;
    }
    let mut schemas = generator.take_definitions(true);
    for (name, schema) in custom {
        schemas.insert(name, schema);
    }
    finish(&mut schemas, &named, group, version);
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": super::discovery::GIT_VERSION},
        "paths": paths,
        "components": {"schemas": schemas},
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
        assert!(op["requestBody"]["content"]["application/strategic-merge-patch+json"].is_object());
    }

    #[test]
    fn schemas_are_keyed_and_referenced_as_upstream() {
        let catalog = Catalog::of(&crate::store::Store::in_memory());
        let doc = document(&catalog, "apps", "v1").expect("doc");
        let schemas = &doc["components"]["schemas"];
        let deployment = &schemas["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            deployment["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
        );
        assert!(
            deployment["required"].is_null(),
            "{}",
            deployment["required"]
        );
        assert_eq!(
            deployment["properties"]["spec"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"
        );
        assert!(
            deployment["properties"]["spec"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("desired behavior"))
        );
        // Dependencies are included.
        assert!(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].is_object());
        assert!(schemas["io.k8s.api.core.v1.Container"].is_object());
        let spec = &schemas["io.k8s.api.apps.v1.DeploymentSpec"];
        assert_eq!(spec["required"], json!(["selector", "template"]));
        let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        // Request and response bodies refer to the kind.
        let put = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["put"];
        assert_eq!(
            put["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1.Deployment"
        );
    }

    #[test]
    fn every_served_kind_has_a_schema() {
        let catalog = Catalog::of(&crate::store::Store::in_memory());
        let docs = Documents::build(&catalog);
        for info in crate::api::Kind::builtin().map(crate::api::Kind::info) {
            if info.schema.is_none() {
                continue;
            }
            let doc: Value =
                serde_json::from_slice(&docs.v3[&doc_path(info.group, info.version)].body)
                    .expect("json");
            let found = doc["components"]["schemas"]
                .as_object()
                .expect("schemas")
                .values()
                .any(|s| {
                    s["x-kubernetes-group-version-kind"]
                        .as_array()
                        .is_some_and(|g| g.iter().any(|g| g["kind"] == info.kind_name))
                });
            assert!(found, "{} has no schema", info.kind_name);
        }
    }

    #[test]
    fn custom_kinds_take_their_definitions_schema() {
        let name = custom_schema_name("stable.example.com", "v1", "CronTab");
        assert_eq!(name, "com.example.stable.v1.CronTab");
        let schema = custom_schema(
            Some(&json!({"type": "object", "properties": {"spec": {"type": "object"}}})),
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        );
        assert_eq!(schema["properties"]["spec"]["type"], "object");
        assert_eq!(schema["properties"]["kind"]["type"], "string");
        assert_eq!(
            schema["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
    }
}
