//! `/openapi/v2`: Swagger 2.0. As JSON it holds every served kind's
//! definition; the protobuf form kubectl asks for holds none yet. kubectl's
//! client-side validation falls back to it for kinds the OpenAPI v3
//! documents do not name (a custom resource applied before its
//! definition); a kind missing from it is not validated there, so kubectl
//! goes on to report upstream's `no matches for kind`. Without the
//! document kubectl stops at "the server could not find the requested
//! resource".

use http::Response;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::catalog::Catalog;
use super::http::{Body, bytes_response};
use super::openapi::{Documents, collect, finish};

/// The protobuf form kubectl asks for (gnostic's openapi_v2.Document).
const PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/// What upstream's handler (kube-openapi) labels it with: Go's media type
/// parser refuses the `@` of the requested form.
const PROTOBUF_RETURNED: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// Whether a request asks for the protobuf form.
pub fn wants_protobuf(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.contains(PROTOBUF) || a.contains(PROTOBUF_RETURNED))
}

/// The cached document in the form asked for, with its tag.
pub fn response(docs: &Documents, accept: Option<&str>) -> (Response<Body>, String) {
    if wants_protobuf(accept) {
        let doc = &docs.v2_protobuf;
        (
            bytes_response(200, PROTOBUF_RETURNED, doc.body.to_vec()),
            doc.hash.clone(),
        )
    } else {
        let doc = &docs.v2_json;
        (
            bytes_response(200, "application/json", doc.body.to_vec()),
            doc.hash.clone(),
        )
    }
}

/// Swagger 2.0 with every served kind's definition (upstream's names,
/// `#/definitions/...` references, `x-kubernetes-group-version-kind`).
pub fn document(catalog: &Catalog) -> Value {
    let mut generator = SchemaSettings::draft07()
        .with(|s| {
            s.meta_schema = None;
            s.definitions_path = "/definitions".into();
            s.transforms.clear();
        })
        .into_generator();
    let metadata = generator.subschema_for::<ObjectMeta>();
    let metadata_ref = metadata
        .get("$ref")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut named_all = Vec::new();
    let mut customs = Vec::new();
    for (group, versions) in catalog.groups() {
        for version in versions {
            let (named, custom) = collect(catalog, &group, &version, &mut generator, &metadata_ref);
            named_all.push((group.clone(), version, named));
            customs.extend(custom);
        }
    }
    let mut definitions: Map<String, Value> = generator.take_definitions(true);
    for (name, schema) in customs {
        definitions.insert(name, schema);
    }
    for (group, version, named) in &named_all {
        finish(&mut definitions, named, group, version);
    }
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": super::discovery::GIT_VERSION},
        "paths": {},
        "definitions": definitions,
    })
}

/// The protobuf form kubectl reads (gnostic's `openapi.v2.Document`):
/// the title, version and every definition.
pub fn protobuf(document: &Value) -> Vec<u8> {
    let mut info = Vec::new();
    string(&mut info, 1, "Kubernetes");
    string(&mut info, 2, super::discovery::GIT_VERSION);
    let mut out = Vec::new();
    string(&mut out, 1, "2.0");
    message(&mut out, 2, &info);
    if let Some(Value::Object(definitions)) = document.get("definitions") {
        message(&mut out, 9, &named_schemas(definitions));
    }
    out
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn key(out: &mut Vec<u8>, tag: u32, wire: u8) {
    varint(out, u64::from(tag) << 3 | u64::from(wire));
}

fn message(out: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    key(out, tag, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn string(out: &mut Vec<u8>, tag: u32, text: &str) {
    message(out, tag, text.as_bytes());
}

fn double(out: &mut Vec<u8>, tag: u32, value: f64) {
    key(out, tag, 1);
    out.extend_from_slice(&value.to_le_bytes());
}

fn int(out: &mut Vec<u8>, tag: u32, value: i64) {
    key(out, tag, 0);
    varint(out, value as u64);
}

fn boolean(out: &mut Vec<u8>, tag: u32, value: bool) {
    if value {
        key(out, tag, 0);
        out.push(1);
    }
}

/// gnostic's `Any`: the value as YAML text (JSON is YAML).
fn any(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    string(&mut out, 2, &value.to_string());
    out
}

/// `repeated NamedSchema` (Definitions, Properties).
fn named_schemas(schemas: &Map<String, Value>) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in schemas {
        let mut named = Vec::new();
        string(&mut named, 1, name);
        message(&mut named, 2, &schema(value));
        message(&mut out, 1, &named);
    }
    out
}

/// One JSON schema as gnostic's `openapi.v2.Schema`.
fn schema(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let Value::Object(map) = value else {
        return out;
    };
    let text = |field: &str| map.get(field).and_then(Value::as_str);
    if let Some(reference) = text("$ref") {
        string(&mut out, 1, reference);
    }
    if let Some(format) = text("format") {
        string(&mut out, 2, format);
    }
    if let Some(title) = text("title") {
        string(&mut out, 3, title);
    }
    if let Some(description) = text("description") {
        string(&mut out, 4, description);
    }
    if let Some(default) = map.get("default") {
        message(&mut out, 5, &any(default));
    }
    for (field, tag) in [("multipleOf", 6), ("maximum", 7), ("minimum", 9)] {
        if let Some(n) = map.get(field).and_then(Value::as_f64) {
            double(&mut out, tag, n);
        }
    }
    for (field, tag) in [("exclusiveMaximum", 8), ("exclusiveMinimum", 10)] {
        if let Some(b) = map.get(field).and_then(Value::as_bool) {
            boolean(&mut out, tag, b);
        }
    }
    for (field, tag) in [
        ("maxLength", 11),
        ("minLength", 12),
        ("maxItems", 14),
        ("minItems", 15),
        ("maxProperties", 17),
        ("minProperties", 18),
    ] {
        if let Some(n) = map.get(field).and_then(Value::as_i64) {
            int(&mut out, tag, n);
        }
    }
    if let Some(pattern) = text("pattern") {
        string(&mut out, 13, pattern);
    }
    if let Some(b) = map.get("uniqueItems").and_then(Value::as_bool) {
        boolean(&mut out, 16, b);
    }
    if let Some(Value::Array(required)) = map.get("required") {
        for r in required.iter().filter_map(Value::as_str) {
            string(&mut out, 19, r);
        }
    }
    if let Some(Value::Array(values)) = map.get("enum") {
        for v in values {
            message(&mut out, 20, &any(v));
        }
    }
    match map.get("additionalProperties") {
        Some(Value::Bool(b)) => {
            let mut item = Vec::new();
            key(&mut item, 2, 0);
            item.push(u8::from(*b));
            message(&mut out, 21, &item);
        }
        Some(value @ Value::Object(_)) => {
            let mut item = Vec::new();
            message(&mut item, 1, &schema(value));
            message(&mut out, 21, &item);
        }
        _ => {}
    }
    let mut types = Vec::new();
    match map.get("type") {
        Some(Value::String(t)) => string(&mut types, 1, t),
        Some(Value::Array(ts)) => {
            for t in ts.iter().filter_map(Value::as_str) {
                string(&mut types, 1, t);
            }
        }
        _ => {}
    }
    if !types.is_empty() {
        message(&mut out, 22, &types);
    }
    match map.get("items") {
        Some(items @ Value::Object(_)) => {
            let mut item = Vec::new();
            message(&mut item, 1, &schema(items));
            message(&mut out, 23, &item);
        }
        Some(Value::Array(items)) => {
            let mut item = Vec::new();
            for i in items {
                message(&mut item, 1, &schema(i));
            }
            message(&mut out, 23, &item);
        }
        _ => {}
    }
    if let Some(Value::Array(all)) = map.get("allOf") {
        for s in all {
            message(&mut out, 24, &schema(s));
        }
    }
    if let Some(Value::Object(properties)) = map.get("properties") {
        message(&mut out, 25, &named_schemas(properties));
    }
    if let Some(b) = map.get("readOnly").and_then(Value::as_bool) {
        boolean(&mut out, 27, b);
    }
    for (name, value) in map.iter().filter(|(k, _)| k.starts_with("x-")) {
        let mut named = Vec::new();
        string(&mut named, 1, name);
        message(&mut named, 2, &any(value));
        message(&mut out, 31, &named);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_carry_gvk_and_refs() {
        let catalog = Catalog::of(&crate::store::Store::in_memory());
        let doc = document(&catalog);
        let deployment = &doc["definitions"]["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            deployment["x-kubernetes-group-version-kind"][0]["kind"],
            "Deployment"
        );
        assert_eq!(
            deployment["properties"]["metadata"]["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
        let bytes = protobuf(&doc);
        // swagger "2.0" first, then info, then the definitions.
        assert_eq!(&bytes[..5], b"\x0a\x032.0");
        let needle = b"io.k8s.api.apps.v1.Deployment";
        assert!(bytes.windows(needle.len()).any(|w| w == needle));
    }

    #[test]
    fn schemas_encode_as_gnostic_does() {
        let bytes = schema(&serde_json::json!({"type": "string", "description": "d"}));
        assert_eq!(bytes, b"\x22\x01d\xb2\x01\x08\x0a\x06string");
    }
}
