//! A container's environment as upstream builds it: `envFrom` ConfigMaps
//! and Secrets, then `env` with `valueFrom` (fieldRef, configMapKeyRef,
//! secretKeyRef) and `$(VAR)` references to variables defined before.
//! Errors read like upstream's CreateContainerConfigError messages.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Container, EnvVarSource, Pod, Secret};

use crate::store::Store;

/// The environment of `container`, in order, or the reason it cannot be built.
pub fn resolve(
    store: &Store,
    pod: &Pod,
    container: &Container,
    pod_ip: &str,
) -> Result<Vec<(String, String)>, String> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    let mut env: Vec<(String, String)> = Vec::new();
    let set = |env: &mut Vec<(String, String)>, name: String, value: String| match env
        .iter_mut()
        .find(|(n, _)| *n == name)
    {
        Some(slot) => slot.1 = value,
        None => env.push((name, value)),
    };
    for source in container.env_from.iter().flatten() {
        let prefix = source.prefix.clone().unwrap_or_default();
        if let Some(reference) = &source.config_map_ref {
            let name = reference.name.as_str();
            match store.get_as::<ConfigMap>(namespace, name) {
                Some(map) => {
                    for (key, value) in map.data.iter().flatten() {
                        set(&mut env, format!("{prefix}{key}"), value.clone());
                    }
                }
                None if reference.optional == Some(true) => {}
                None => return Err(format!("configmap \"{name}\" not found")),
            }
        }
        if let Some(reference) = &source.secret_ref {
            let name = reference.name.as_str();
            match store.get_as::<Secret>(namespace, name) {
                Some(secret) => {
                    for (key, value) in secret_values(&secret) {
                        set(&mut env, format!("{prefix}{key}"), value);
                    }
                }
                None if reference.optional == Some(true) => {}
                None => return Err(format!("secret \"{name}\" not found")),
            }
        }
    }
    for var in container.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(value), _) => Some(expand(value, &env)),
            (None, Some(source)) => value_from(store, pod, namespace, pod_ip, source)?,
            (None, None) => Some(String::new()),
        };
        if let Some(value) = value {
            set(&mut env, var.name.clone(), value);
        }
    }
    Ok(env)
}

fn secret_values(secret: &Secret) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = secret
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).to_string()))
        .collect();
    for (k, v) in secret.string_data.iter().flatten() {
        values.insert(k.clone(), v.clone());
    }
    values
}

/// One `valueFrom`; `None` for an optional reference that is missing.
fn value_from(
    store: &Store,
    pod: &Pod,
    namespace: &str,
    pod_ip: &str,
    source: &EnvVarSource,
) -> Result<Option<String>, String> {
    if let Some(field) = &source.field_ref {
        return Ok(Some(field_value(pod, pod_ip, &field.field_path)));
    }
    if let Some(key_ref) = &source.config_map_key_ref {
        let (name, key) = (key_ref.name.as_str(), key_ref.key.as_str());
        let optional = key_ref.optional == Some(true);
        return match store.get_as::<ConfigMap>(namespace, name) {
            None if optional => Ok(None),
            None => Err(format!("configmap \"{name}\" not found")),
            Some(map) => match map.data.as_ref().and_then(|d| d.get(key)) {
                Some(value) => Ok(Some(value.clone())),
                None if optional => Ok(None),
                None => Err(format!(
                    "couldn't find key {key} in ConfigMap {namespace}/{name}"
                )),
            },
        };
    }
    if let Some(key_ref) = &source.secret_key_ref {
        let (name, key) = (key_ref.name.as_str(), key_ref.key.as_str());
        let optional = key_ref.optional == Some(true);
        return match store.get_as::<Secret>(namespace, name) {
            None if optional => Ok(None),
            None => Err(format!("secret \"{name}\" not found")),
            Some(secret) => match secret_values(&secret).remove(key) {
                Some(value) => Ok(Some(value)),
                None if optional => Ok(None),
                None => Err(format!(
                    "couldn't find key {key} in Secret {namespace}/{name}"
                )),
            },
        };
    }
    Ok(Some(String::new()))
}

/// The downward API fields upstream supports in `fieldRef`.
fn field_value(pod: &Pod, pod_ip: &str, path: &str) -> String {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let lookup = |map: &Option<BTreeMap<String, String>>, key: &str| {
        map.as_ref()
            .and_then(|m| m.get(key))
            .cloned()
            .unwrap_or_default()
    };
    let bracketed = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix("']"))
            .map(str::to_string)
    };
    if let Some(key) = bracketed("metadata.labels['") {
        return lookup(&meta.labels, &key);
    }
    if let Some(key) = bracketed("metadata.annotations['") {
        return lookup(&meta.annotations, &key);
    }
    match path {
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "spec.nodeName" => spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        "spec.serviceAccountName" => spec
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_else(|| "default".to_string()),
        "status.hostIP" | "status.hostIPs" => "127.0.0.1".to_string(),
        "status.podIP" | "status.podIPs" => pod_ip.to_string(),
        _ => String::new(),
    }
}

/// Expands `$(NAME)` from variables defined so far; `$$(NAME)` stays
/// literal `$(NAME)`; unknown references stay as written (upstream).
pub fn expand(text: &str, env: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(end) => {
                    let name = &inner[..end];
                    match env.iter().rev().find(|(n, _)| n == name) {
                        Some((_, value)) => out.push_str(value),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &inner[end + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = inner;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_expand_like_upstream() {
        let env = vec![("HOST".to_string(), "db".to_string())];
        assert_eq!(expand("jdbc://$(HOST):5432", &env), "jdbc://db:5432");
        assert_eq!(expand("$$(HOST)", &env), "$(HOST)");
        assert_eq!(expand("$(MISSING)", &env), "$(MISSING)");
        assert_eq!(expand("cost $5", &env), "cost $5");
    }
}
