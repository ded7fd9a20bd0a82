//! Strict field validation: which fields of a request body the typed
//! object does not know (kubectl sends `fieldValidation=Strict` by default).
//!
//! The typed k8s-openapi structs ignore unknown fields, so a round trip
//! (deserialize, serialize) drops exactly those: any key of the input with a
//! non-null value that is missing from the round-tripped JSON is unknown.
//!
//! For a body in a converted version (Ingress networking.k8s.io/v1beta1) the
//! API server must call [`unknown_fields_in_version`] with the body as sent,
//! before converting it.

use serde_json::{Map, Value};

use super::convert;
use super::kinds::Kind;
use super::object::Object;

/// Paths of fields in `value` that `kind` does not have, e.g.
/// `spec.template.spec.containers[0].bogus`, in the body's order. A body
/// that does not deserialize at all yields none: decoding reports that.
pub fn unknown_fields(kind: Kind, value: &Value) -> Vec<String> {
    let mut typed_input = value.clone();
    if let Some(map) = typed_input.as_object_mut() {
        // The typed deserializers insist on their own apiVersion/kind.
        let info = kind.info();
        map.insert("apiVersion".into(), Value::String(info.api_version()));
        map.insert("kind".into(), Value::String(info.kind_name.to_string()));
    }
    let Ok(object) = Object::from_json(kind, typed_input) else {
        return Vec::new();
    };
    let round_tripped = object.to_json();
    let mut unknown = Vec::new();
    walk(value, &round_tripped, "", &mut unknown);
    unknown
}

/// Like [`unknown_fields`] for a body in `api_version`, which may be a
/// version served by conversion. Paths name the fields as the client sent them.
pub fn unknown_fields_in_version(kind: Kind, api_version: &str, value: &Value) -> Vec<String> {
    if !convert::is_converted_version(kind, api_version) {
        return unknown_fields(kind, value);
    }
    let mut unknown = convert::fields_not_in_version(kind, api_version, value);
    let Ok(converted) = convert::to_storage_version(kind, api_version, value.clone()) else {
        return unknown;
    };
    for path in unknown_fields(kind, &converted) {
        let original = convert::path_in_version(kind, api_version, &path);
        if !unknown.contains(&original) {
            unknown.push(original);
        }
    }
    unknown
}

/// Upstream's texts, `unknown field "spec.bogus"`, one per field. Under
/// Strict the API server rejects a create or update with
/// [`strict_decoding_message`] (400) and a patch with
/// [`strict_patch_message`] (422, checked on the patched object, never on
/// the patch with its directives); under Warn it sends one `Warning`
/// header (`299 - "unknown field \"spec.bogus\""`) per message.
pub fn unknown_field_messages(kind: Kind, value: &Value) -> Vec<String> {
    messages(unknown_fields(kind, value))
}

/// [`unknown_field_messages`] for a body in `api_version`.
pub fn unknown_field_messages_in_version(
    kind: Kind,
    api_version: &str,
    value: &Value,
) -> Vec<String> {
    messages(unknown_fields_in_version(kind, api_version, value))
}

/// The whole error upstream answers a create or update with under Strict
/// (as 400 BadRequest): `Deployment in version "v1" cannot be handled as a
/// Deployment: strict decoding error: unknown field "spec.bogus", unknown field "spec.x"`.
/// `api_version` is the body's (`apps/v1` or `v1`); only its version part is printed.
pub fn strict_decoding_message(kind: Kind, api_version: &str, messages: &[String]) -> String {
    let kind_name = kind.info().kind_name;
    let version = api_version.rsplit('/').next().unwrap_or(api_version);
    format!(
        "{kind_name} in version \"{version}\" cannot be handled as a {kind_name}: strict decoding error: {}",
        messages.join(", ")
    )
}

/// The 422 Invalid message upstream answers a PATCH with under Strict, for
/// unknown fields in the patched object (`patched_json` as serialized):
/// ` "" is invalid: patch: Invalid value: "{...}": strict decoding error: unknown field "spec.bogus"`
/// (its Status has one cause, field `patch`; kind and name are empty).
pub fn strict_patch_message(patched_json: &str, messages: &[String]) -> String {
    let quoted = serde_json::to_string(patched_json).unwrap_or_default();
    format!(
        " \"\" is invalid: patch: Invalid value: {quoted}: strict decoding error: {}",
        messages.join(", ")
    )
}

fn messages(paths: Vec<String>) -> Vec<String> {
    paths
        .into_iter()
        .map(|p| format!("unknown field \"{p}\""))
        .collect()
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn walk(input: &Value, known: &Value, path: &str, unknown: &mut Vec<String>) {
    match (input, known) {
        (Value::Object(input), Value::Object(known)) => walk_object(input, known, path, unknown),
        (Value::Array(input), Value::Array(known)) => {
            for (i, (item, known_item)) in input.iter().zip(known).enumerate() {
                walk(item, known_item, &format!("{path}[{i}]"), unknown);
            }
        }
        _ => {}
    }
}

fn walk_object(
    input: &Map<String, Value>,
    known: &Map<String, Value>,
    path: &str,
    unknown: &mut Vec<String>,
) {
    for (key, value) in input {
        if value.is_null() {
            continue;
        }
        let child = join(path, key);
        match known.get(key) {
            Some(known_value) => walk(value, known_value, &child, unknown),
            None => unknown.push(child),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(container: Value) -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "nginx", "creationTimestamp": null, "labels": {"app": "nginx"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "nginx"}},
                "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                "template": {
                    "metadata": {"labels": {"app": "nginx"}, "creationTimestamp": null},
                    "spec": {"containers": [container]}
                }
            },
            "status": {}
        })
    }

    #[test]
    fn known_body_has_no_unknown_fields() {
        let body = deployment(json!({
            "name": "nginx", "image": "nginx", "resources": {},
            "ports": [{"containerPort": 80}],
            "env": [{"name": "A", "value": ""}]
        }));
        assert_eq!(
            unknown_fields(Kind::Deployment, &body),
            Vec::<String>::new()
        );
    }

    #[test]
    fn finds_unknown_fields_at_any_depth() {
        let mut body = deployment(json!({"name": "nginx", "image": "nginx", "bogus": 1}));
        body["spec"]["extra"] = json!({"a": 1});
        body["spec"]["template"]["spec"]["containers"][0]["resources"] =
            json!({"limits": {"cpu": "1"}, "limitz": {}});
        assert_eq!(
            unknown_field_messages(Kind::Deployment, &body),
            vec![
                "unknown field \"spec.template.spec.containers[0].bogus\"",
                "unknown field \"spec.template.spec.containers[0].resources.limitz\"",
                "unknown field \"spec.extra\"",
            ]
        );
    }

    #[test]
    fn strict_error_reads_like_upstream() {
        let body = deployment(json!({"name": "nginx", "image": "nginx"}));
        let mut body = body;
        body["spec"]["bogus"] = json!(1);
        let messages = unknown_field_messages(Kind::Deployment, &body);
        assert_eq!(
            strict_decoding_message(Kind::Deployment, "apps/v1", &messages),
            "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.bogus\""
        );
    }

    #[test]
    fn strict_patch_error_reads_like_upstream() {
        let messages = vec!["unknown field \"spec.bogus\"".to_string()];
        assert_eq!(
            strict_patch_message(r#"{"spec":{"bogus":1}}"#, &messages),
            r#" "" is invalid: patch: Invalid value: "{\"spec\":{\"bogus\":1}}": strict decoding error: unknown field "spec.bogus""#
        );
    }

    #[test]
    fn maps_and_data_are_not_fields() {
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c",
            "annotations": {"x/y": "z"}}, "data": {"anything": "goes"}, "bogus": null});
        assert!(unknown_fields(Kind::ConfigMap, &body).is_empty());
    }

    #[test]
    fn v1beta1_ingress_unknown_fields_use_sent_paths() {
        let body = json!({
            "apiVersion": "networking.k8s.io/v1beta1",
            "kind": "Ingress",
            "metadata": {"name": "nginx-ingress"},
            "spec": {"backend": {"serviceName": "nginx-service", "servicePort": 8080, "bogus": true},
                     "wat": 1}
        });
        assert_eq!(
            unknown_fields_in_version(Kind::Ingress, "networking.k8s.io/v1beta1", &body),
            vec!["spec.backend.bogus", "spec.wat"]
        );
        let clean = json!({
            "apiVersion": "networking.k8s.io/v1beta1",
            "kind": "Ingress",
            "metadata": {"name": "nginx-ingress"},
            "spec": {"backend": {"serviceName": "nginx-service", "servicePort": 8080}}
        });
        assert!(
            unknown_fields_in_version(Kind::Ingress, "networking.k8s.io/v1beta1", &clean)
                .is_empty()
        );
        let v1_field_in_beta = json!({
            "apiVersion": "networking.k8s.io/v1beta1", "kind": "Ingress", "metadata": {"name": "i"},
            "spec": {"defaultBackend": {"service": {"name": "s", "port": {"number": 80}}}}
        });
        assert_eq!(
            unknown_fields_in_version(
                Kind::Ingress,
                "networking.k8s.io/v1beta1",
                &v1_field_in_beta
            ),
            vec!["spec.defaultBackend"]
        );
    }
}
