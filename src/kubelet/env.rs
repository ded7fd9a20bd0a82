//! A container's environment as upstream builds it: the Services' link
//! variables (`KUBERNETES_SERVICE_HOST` …), `envFrom` ConfigMaps and
//! Secrets, then `env` with `valueFrom` (fieldRef, configMapKeyRef,
//! secretKeyRef) and `$(VAR)` references to variables defined before.
//! Errors read like upstream's CreateContainerConfigError messages.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Container, EnvVarSource, Pod, Secret, Service};

use crate::apiserver::kubernetes_service;
use crate::store::{ListFilter, Store};

/// The environment of `container`, in order, or the reason it cannot be built.
pub fn resolve(
    store: &Store,
    pod: &Pod,
    container: &Container,
    pod_ip: &str,
) -> Result<Vec<(String, String)>, String> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    // First, so that what the pod sets wins and `$(VAR)` can name them.
    let mut env: Vec<(String, String)> = service_links(store, pod);
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

/// Upstream's getServiceEnvVarMap and envvars.FromServices: the
/// `kubernetes` Service always, and with `enableServiceLinks` (the
/// default) every Service of the pod's namespace that has a ClusterIP, as
/// Docker link variables.
fn service_links(store: &Store, pod: &Pod) -> Vec<(String, String)> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    let links = pod
        .spec
        .as_ref()
        .and_then(|s| s.enable_service_links)
        .unwrap_or(true);
    let mut services: BTreeMap<String, Service> = BTreeMap::new();
    if let Some(master) =
        store.get_as::<Service>(kubernetes_service::NAMESPACE, kubernetes_service::NAME)
    {
        services.insert(kubernetes_service::NAME.to_string(), master);
    }
    if links {
        for service in store.list_as::<Service>(Some(namespace), &ListFilter::default()) {
            if let Some(name) = service.metadata.name.clone() {
                services.insert(name, service);
            }
        }
    }
    let mut env = Vec::new();
    for (name, service) in &services {
        link_variables(name, service, &mut env);
    }
    env
}

fn link_variables(name: &str, service: &Service, env: &mut Vec<(String, String)>) {
    let Some(spec) = &service.spec else {
        return;
    };
    let ip = match spec.cluster_ip.as_deref() {
        None | Some("") | Some("None") => return,
        Some(ip) => ip,
    };
    let ports = spec.ports.as_deref().unwrap_or_default();
    let Some(first) = ports.first() else {
        return;
    };
    let prefix = variable_name(name);
    env.push((format!("{prefix}_SERVICE_HOST"), ip.to_string()));
    env.push((format!("{prefix}_SERVICE_PORT"), first.port.to_string()));
    for port in ports {
        if let Some(port_name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            env.push((
                format!("{prefix}_SERVICE_PORT_{}", variable_name(port_name)),
                port.port.to_string(),
            ));
        }
    }
    for (index, port) in ports.iter().enumerate() {
        let protocol = port.protocol.as_deref().unwrap_or("TCP");
        let lower = protocol.to_ascii_lowercase();
        let host_port = if ip.contains(':') {
            format!("[{ip}]:{}", port.port)
        } else {
            format!("{ip}:{}", port.port)
        };
        let url = format!("{lower}://{host_port}");
        if index == 0 {
            env.push((format!("{prefix}_PORT"), url.clone()));
        }
        let port_prefix = format!(
            "{prefix}_PORT_{}_{}",
            port.port,
            protocol.to_ascii_uppercase()
        );
        env.push((format!("{port_prefix}_PROTO"), lower));
        env.push((format!("{port_prefix}_PORT"), port.port.to_string()));
        env.push((format!("{port_prefix}_ADDR"), ip.to_string()));
        env.push((port_prefix, url));
    }
}

/// `my-svc` → `MY_SVC`, as upstream's makeEnvVariableName.
fn variable_name(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
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

    fn service(namespace: &str, name: &str, ip: &str, ports: serde_json::Value) -> Service {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"clusterIP": ip, "ports": ports},
        }))
        .expect("service")
    }

    #[test]
    fn services_become_docker_link_variables_as_upstream() {
        let store = Store::in_memory();
        for name in ["default", "shop"] {
            let ns: k8s_openapi::api::core::v1::Namespace =
                serde_json::from_value(serde_json::json!({"metadata": {"name": name}}))
                    .expect("ns");
            store.create(ns).expect("namespace");
        }
        let https = serde_json::json!([{"name": "https", "port": 443}]);
        store
            .create(service("default", "kubernetes", "10.96.0.1", https))
            .expect("stored");
        let ports =
            serde_json::json!([{"port": 80}, {"name": "metrics", "port": 9090, "protocol": "TCP"}]);
        store
            .create(service("shop", "web-app", "10.99.0.2", ports))
            .expect("stored");
        let headless = serde_json::json!([{"port": 80}]);
        store
            .create(service("shop", "db", "None", headless))
            .expect("stored");
        let pod = |links: Option<bool>| -> Pod {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "p", "namespace": "shop"},
                "spec": {"containers": [], "enableServiceLinks": links},
            }))
            .expect("pod")
        };
        let env: BTreeMap<String, String> = service_links(&store, &pod(None)).into_iter().collect();
        let get = |k: &str| env.get(k).map(String::as_str);
        assert_eq!(get("KUBERNETES_SERVICE_HOST"), Some("10.96.0.1"));
        assert_eq!(get("KUBERNETES_SERVICE_PORT"), Some("443"));
        assert_eq!(get("KUBERNETES_SERVICE_PORT_HTTPS"), Some("443"));
        assert_eq!(get("KUBERNETES_PORT"), Some("tcp://10.96.0.1:443"));
        assert_eq!(get("KUBERNETES_PORT_443_TCP_ADDR"), Some("10.96.0.1"));
        assert_eq!(get("WEB_APP_SERVICE_HOST"), Some("10.99.0.2"));
        assert_eq!(get("WEB_APP_SERVICE_PORT"), Some("80"));
        assert_eq!(get("WEB_APP_SERVICE_PORT_METRICS"), Some("9090"));
        assert_eq!(get("WEB_APP_PORT"), Some("tcp://10.99.0.2:80"));
        assert_eq!(get("WEB_APP_PORT_9090_TCP"), Some("tcp://10.99.0.2:9090"));
        assert_eq!(get("WEB_APP_PORT_9090_TCP_PROTO"), Some("tcp"));
        assert_eq!(get("WEB_APP_PORT_9090_TCP_PORT"), Some("9090"));
        assert!(
            !env.keys().any(|k| k.starts_with("DB_")),
            "headless: {env:?}"
        );
        // Without service links only the API server's Service is there.
        let env = service_links(&store, &pod(Some(false)));
        assert!(
            env.iter().all(|(k, _)| k.starts_with("KUBERNETES_")),
            "{env:?}"
        );
        assert!(!env.is_empty());
    }
}
