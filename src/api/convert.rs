//! Conversions between served versions and the stored version
//! (Ingress networking.k8s.io/v1beta1 ↔ v1), as upstream's
//! pkg/apis/networking/v1beta1 conversion funcs do. Fields the conversion
//! does not touch are carried as they are, unknown ones included, so strict
//! field validation can still see them.

use serde_json::{Map, Value, json};

use super::kinds::Kind;

#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("{0}")]
    Invalid(String),
}

const INGRESS_V1: &str = "networking.k8s.io/v1";
const INGRESS_BETA_VERSIONS: &[&str] = &["networking.k8s.io/v1beta1", "extensions/v1beta1"];
const DEFAULT_PATH_TYPE: &str = "ImplementationSpecific";

/// Whether a body of `kind` in `api_version` needs converting.
pub fn is_converted_version(kind: Kind, api_version: &str) -> bool {
    kind == Kind::Ingress && INGRESS_BETA_VERSIONS.contains(&api_version)
}

/// Converts a body in `api_version` to the stored version of `kind`.
pub fn to_storage_version(
    kind: Kind,
    api_version: &str,
    value: Value,
) -> Result<Value, ConvertError> {
    if !is_converted_version(kind, api_version) {
        return Ok(value);
    }
    let Value::Object(mut map) = value else {
        return Err(ConvertError::Invalid("object expected".to_string()));
    };
    map.insert("apiVersion".into(), Value::String(INGRESS_V1.into()));
    if let Some(Value::Object(spec)) = map.get_mut("spec") {
        let converted = rename_key(std::mem::take(spec), "backend", "defaultBackend");
        *spec = converted;
        if let Some(backend) = spec.get_mut("defaultBackend") {
            backend_to_v1(backend, "spec.backend")?;
        }
        for_each_path(spec, |path, at| {
            if let Some(backend) = path.get_mut("backend") {
                backend_to_v1(backend, &format!("{at}.backend"))?;
            }
            if path.get("pathType").is_none_or(Value::is_null) {
                path.insert("pathType".into(), Value::String(DEFAULT_PATH_TYPE.into()));
            }
            Ok(())
        })?;
    }
    Ok(Value::Object(map))
}

/// Converts a stored object (as JSON) to the `api_version` a client asked for.
pub fn from_storage_version(kind: Kind, api_version: &str, value: Value) -> Value {
    if !is_converted_version(kind, api_version) {
        return value;
    }
    let Value::Object(mut map) = value else {
        return value;
    };
    map.insert("apiVersion".into(), Value::String(api_version.into()));
    if let Some(Value::Object(spec)) = map.get_mut("spec") {
        let converted = rename_key(std::mem::take(spec), "defaultBackend", "backend");
        *spec = converted;
        if let Some(backend) = spec.get_mut("backend") {
            backend_to_v1beta1(backend);
        }
        // Converting back cannot fail: the closure never errors.
        let _ = for_each_path(spec, |path, _| {
            if let Some(backend) = path.get_mut("backend") {
                backend_to_v1beta1(backend);
            }
            Ok(())
        });
    }
    Value::Object(map)
}

/// Fields of the storage version that a body in `api_version` may not use
/// (they would otherwise pass through the conversion unnoticed).
pub fn fields_not_in_version(kind: Kind, api_version: &str, value: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    if !is_converted_version(kind, api_version) {
        return unknown;
    }
    let Some(spec) = value.get("spec").and_then(Value::as_object) else {
        return unknown;
    };
    if spec.get("defaultBackend").is_some_and(|v| !v.is_null()) {
        unknown.push("spec.defaultBackend".to_string());
    }
    let v1_backend_keys = ["service"];
    if let Some(backend) = spec.get("backend").and_then(Value::as_object) {
        for key in v1_backend_keys.iter().filter(|k| backend.contains_key(**k)) {
            unknown.push(format!("spec.backend.{key}"));
        }
    }
    for (i, rule) in array(spec.get("rules")).iter().enumerate() {
        let paths = rule.get("http").and_then(|h| h.get("paths"));
        for (j, path) in array(paths).iter().enumerate() {
            if let Some(backend) = path.get("backend").and_then(Value::as_object) {
                for key in v1_backend_keys.iter().filter(|k| backend.contains_key(**k)) {
                    unknown.push(format!("spec.rules[{i}].http.paths[{j}].backend.{key}"));
                }
            }
        }
    }
    unknown
}

/// The path a client of `api_version` knows for a storage-version `path`.
pub fn path_in_version(kind: Kind, api_version: &str, path: &str) -> String {
    if !is_converted_version(kind, api_version) {
        return path.to_string();
    }
    match path.strip_prefix("spec.defaultBackend") {
        Some(rest) => format!("spec.backend{rest}"),
        None => path.to_string(),
    }
}

fn array(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Renames a key in place, keeping the map's order.
fn rename_key(map: Map<String, Value>, from: &str, to: &str) -> Map<String, Value> {
    map.into_iter()
        .map(|(k, v)| {
            if k == from {
                (to.to_string(), v)
            } else {
                (k, v)
            }
        })
        .collect()
}

/// Calls `f` on every `spec.rules[].http.paths[]` object with its path.
fn for_each_path(
    spec: &mut Map<String, Value>,
    mut f: impl FnMut(&mut Map<String, Value>, &str) -> Result<(), ConvertError>,
) -> Result<(), ConvertError> {
    let Some(Value::Array(rules)) = spec.get_mut("rules") else {
        return Ok(());
    };
    for (i, rule) in rules.iter_mut().enumerate() {
        let paths = rule.get_mut("http").and_then(|h| h.get_mut("paths"));
        let Some(Value::Array(paths)) = paths else {
            continue;
        };
        for (j, path) in paths.iter_mut().enumerate() {
            if let Value::Object(path) = path {
                f(path, &format!("spec.rules[{i}].http.paths[{j}]"))?;
            }
        }
    }
    Ok(())
}

/// `{serviceName, servicePort}` → `{service: {name, port: {number|name}}}`.
fn backend_to_v1(backend: &mut Value, at: &str) -> Result<(), ConvertError> {
    let Value::Object(map) = backend else {
        if backend.is_null() {
            return Ok(());
        }
        return Err(ConvertError::Invalid(format!("{at}: object expected")));
    };
    let service_name = map.shift_remove("serviceName");
    let service_port = map.shift_remove("servicePort");
    if service_name.is_none() && service_port.is_none() {
        return Ok(());
    }
    let port = match service_port {
        Some(Value::Number(n)) => json!({"number": n}),
        Some(Value::String(s)) => json!({"name": s}),
        None | Some(Value::Null) => json!({}),
        Some(other) => {
            return Err(ConvertError::Invalid(format!(
                "{at}.servicePort: invalid value {other}: must be an integer or a port name"
            )));
        }
    };
    let name = service_name.unwrap_or(Value::String(String::new()));
    let mut converted = Map::new();
    converted.insert("service".into(), json!({"name": name, "port": port}));
    // Keep whatever else the client sent (resource, unknown fields) after it.
    converted.extend(std::mem::take(map));
    *map = converted;
    Ok(())
}

/// `{service: {name, port}}` → `{serviceName, servicePort}`.
fn backend_to_v1beta1(backend: &mut Value) {
    let Value::Object(map) = backend else {
        return;
    };
    let Some(Value::Object(service)) = map.shift_remove("service") else {
        return;
    };
    let mut converted = Map::new();
    if let Some(name) = service.get("name") {
        converted.insert("serviceName".into(), name.clone());
    }
    let port = service.get("port");
    if let Some(number) = port.and_then(|p| p.get("number")).filter(|n| !n.is_null()) {
        converted.insert("servicePort".into(), number.clone());
    } else if let Some(name) = port.and_then(|p| p.get("name")).filter(|n| !n.is_null()) {
        converted.insert("servicePort".into(), name.clone());
    }
    converted.extend(std::mem::take(map));
    *map = converted;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::object::Object;

    const BETA: &str = "networking.k8s.io/v1beta1";

    fn walkthrough_ingress() -> Value {
        // The walkthrough's manifest, as kubectl sends it.
        let yaml = "apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata:\n  name: nginx-ingress\nspec:\n  backend:\n    serviceName: nginx-service\n    servicePort: 8080\n";
        match serde_yaml::from_str(yaml) {
            Ok(value) => value,
            Err(err) => panic!("yaml: {err}"),
        }
    }

    #[test]
    fn walkthrough_ingress_converts_to_v1() {
        let converted =
            to_storage_version(Kind::Ingress, BETA, walkthrough_ingress()).expect("test value");
        assert_eq!(
            converted,
            json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": "nginx-ingress"},
                "spec": {"defaultBackend": {"service": {"name": "nginx-service", "port": {"number": 8080}}}}
            })
        );
        // The typed v1 object accepts it.
        assert!(Object::from_json(Kind::Ingress, converted).is_ok());
    }

    #[test]
    fn rules_named_ports_and_path_types() {
        let body = json!({
            "apiVersion": BETA, "kind": "Ingress", "metadata": {"name": "i"},
            "spec": {"rules": [{"host": "example.com", "http": {"paths": [
                {"path": "/", "backend": {"serviceName": "web", "servicePort": "http"}},
                {"path": "/api", "pathType": "Prefix", "backend": {"resource": {"kind": "Bucket", "name": "b"}}}
            ]}}]}
        });
        let converted = to_storage_version(Kind::Ingress, BETA, body.clone()).expect("test value");
        let paths = &converted["spec"]["rules"][0]["http"]["paths"];
        assert_eq!(
            paths[0],
            json!({"path": "/", "backend": {"service": {"name": "web", "port": {"name": "http"}}}, "pathType": "ImplementationSpecific"})
        );
        assert_eq!(paths[1]["pathType"], "Prefix");
        assert_eq!(
            paths[1]["backend"],
            json!({"resource": {"kind": "Bucket", "name": "b"}})
        );

        let back = from_storage_version(Kind::Ingress, BETA, converted);
        assert_eq!(back["apiVersion"], BETA);
        assert_eq!(
            back["spec"]["rules"][0]["http"]["paths"][0]["backend"],
            json!({"serviceName": "web", "servicePort": "http"})
        );
    }

    #[test]
    fn v1_reads_back_as_v1beta1() {
        let v1 = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "nginx-ingress"},
            "spec": {"defaultBackend": {"service": {"name": "nginx-service", "port": {"number": 8080}}}}});
        assert_eq!(
            from_storage_version(Kind::Ingress, BETA, v1),
            walkthrough_ingress()
        );
    }

    #[test]
    fn other_kinds_and_versions_pass_through() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod"});
        assert_eq!(
            to_storage_version(Kind::Pod, "v1", pod.clone()).expect("test value"),
            pod
        );
        let v1 = json!({"apiVersion": INGRESS_V1, "spec": {"defaultBackend": {}}});
        assert_eq!(
            to_storage_version(Kind::Ingress, INGRESS_V1, v1.clone()).expect("test value"),
            v1
        );
    }

    #[test]
    fn bad_service_port_is_an_error() {
        let body = json!({"apiVersion": BETA, "kind": "Ingress", "spec": {"backend": {"serviceName": "s", "servicePort": true}}});
        assert_eq!(
            to_storage_version(Kind::Ingress, BETA, body)
                .expect_err("test error")
                .to_string(),
            "spec.backend.servicePort: invalid value true: must be an integer or a port name"
        );
    }
}
