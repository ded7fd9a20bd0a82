//! The walkthrough's manifests through the whole pure pipeline the API
//! server runs: strict check, conversion, decode, defaults, validation.

use serde_json::Value;

use super::convert::to_storage_version;
use super::defaults::apply_defaults;
use super::kinds::Kind;
use super::object::Object;
use super::strategy::prepare_for_create;
use super::strict::unknown_fields_in_version;
use super::validation::validate;

/// The walkthrough's manifest, unchanged.
const NGINX_YAML: &str = include_str!("../../samples/nginx.yaml");

fn admit(body: Value) -> Object {
    let api_version = body["apiVersion"].as_str().unwrap_or("").to_string();
    let kind_name = body["kind"].as_str().unwrap_or("").to_string();
    let kind = Kind::from_type_meta(&api_version, &kind_name).expect("known kind");
    assert_eq!(
        unknown_fields_in_version(kind, &api_version, &body),
        Vec::<String>::new(),
        "{kind_name}"
    );
    let stored = to_storage_version(kind, &api_version, body).expect("converts");
    let mut object = Object::from_json(kind, stored).expect("decodes");
    object.meta_mut().namespace = Some("default".to_string());
    apply_defaults(&mut object);
    prepare_for_create(&mut object);
    let errors = validate(&object, None);
    assert!(errors.is_empty(), "{kind_name}: {errors:?}");
    object
}

#[test]
fn walkthrough_manifests_are_admitted() {
    let mut objects = Vec::new();
    for document in serde_yaml::Deserializer::from_str(NGINX_YAML) {
        let body = serde::Deserialize::deserialize(document).map(|v: Value| v);
        objects.push(admit(body.expect("yaml")));
    }
    assert_eq!(objects.len(), 3);
    let deployment = objects[0].to_json();
    assert_eq!(
        deployment["spec"]["strategy"]["rollingUpdate"],
        serde_json::json!({"maxSurge": 1, "maxUnavailable": 1})
    );
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );
    let service = objects[1].to_json();
    assert_eq!(service["spec"]["type"], "ClusterIP");
    let ingress = objects[2].to_json();
    assert_eq!(ingress["apiVersion"], "networking.k8s.io/v1");
    assert_eq!(
        ingress["spec"]["defaultBackend"]["service"],
        serde_json::json!({"name": "nginx-service", "port": {"number": 8080}})
    );
}
