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

/// The protobuf form: the document's title and version only, so kubectl's
/// v2 fallbacks find no definitions and go on as before (its patch
/// metadata from its own types, upstream's `no matches for kind`).
pub fn protobuf(_document: &Value) -> Vec<u8> {
    swagger_protobuf()
}

/// `Document{swagger: "2.0", info: Info{title: "Kubernetes", version}}`
/// in protobuf wire form.
fn swagger_protobuf() -> Vec<u8> {
    fn field(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
        out.push(tag << 3 | 2);
        let mut len = bytes.len();
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
        out.extend_from_slice(bytes);
    }
    let mut info = Vec::new();
    field(&mut info, 1, b"Kubernetes");
    field(&mut info, 2, super::discovery::GIT_VERSION.as_bytes());
    let mut document = Vec::new();
    field(&mut document, 1, b"2.0");
    field(&mut document, 2, &info);
    document
}
