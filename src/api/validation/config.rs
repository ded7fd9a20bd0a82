//! ConfigMap and Secret checks (keys, size, type, immutability).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};

use super::super::naming;
use super::{FieldError, quote};

/// Upstream's MaxSecretSize, also the ConfigMap limit.
const MAX_DATA_SIZE: usize = 1024 * 1024;

fn validate_keys<'a>(
    keys: impl Iterator<Item = &'a String>,
    map_name: &str,
    errors: &mut Vec<FieldError>,
) {
    for key in keys {
        for msg in naming::config_map_key(key) {
            errors.push(FieldError::invalid(
                &format!("{map_name}[{key}]"),
                quote(key),
                &msg,
            ));
        }
    }
}

pub fn validate_config_map(config_map: &ConfigMap, old: Option<&ConfigMap>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let data = config_map.data.clone().unwrap_or_default();
    let binary = config_map.binary_data.clone().unwrap_or_default();
    validate_keys(data.keys(), "data", &mut errors);
    validate_keys(binary.keys(), "binaryData", &mut errors);
    for key in binary.keys().filter(|k| data.contains_key(*k)) {
        errors.push(FieldError::invalid(
            &format!("binaryData[{key}]"),
            quote(key),
            "duplicate of key present in data",
        ));
    }
    let size: usize = data.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
        + binary
            .iter()
            .map(|(k, v)| k.len() + v.0.len())
            .sum::<usize>();
    if size > MAX_DATA_SIZE {
        errors.push(FieldError::too_long("", MAX_DATA_SIZE));
    }
    if let Some(old) = old
        && old.immutable == Some(true)
    {
        if config_map.immutable != Some(true) {
            errors.push(FieldError::forbidden(
                "immutable",
                "field is immutable when `immutable` is set",
            ));
        }
        if config_map.data != old.data {
            errors.push(FieldError::forbidden(
                "data",
                "field is immutable when `immutable` is set",
            ));
        }
        if config_map.binary_data != old.binary_data {
            errors.push(FieldError::forbidden(
                "binaryData",
                "field is immutable when `immutable` is set",
            ));
        }
    }
    errors
}

/// Keys each well-known Secret type must carry.
fn required_keys(secret_type: &str) -> &'static [&'static str] {
    match secret_type {
        "kubernetes.io/tls" => &["tls.crt", "tls.key"],
        "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
        "kubernetes.io/dockercfg" => &[".dockercfg"],
        _ => &[],
    }
}

pub fn validate_secret(secret: &Secret, old: Option<&Secret>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let data: BTreeMap<String, usize> = secret
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.0.len()))
        .chain(
            secret
                .string_data
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.len())),
        )
        .collect();
    validate_keys(data.keys(), "data", &mut errors);
    let secret_type = secret.type_.as_deref().unwrap_or("Opaque");
    for key in required_keys(secret_type) {
        if !data.contains_key(*key) {
            errors.push(FieldError::required(&format!("data[{key}]"), ""));
        }
    }
    let size: usize = data.iter().map(|(k, v)| k.len() + v).sum();
    if size > MAX_DATA_SIZE {
        errors.push(FieldError::too_long("data", MAX_DATA_SIZE));
    }
    if let Some(old) = old {
        let old_type = old.type_.as_deref().unwrap_or("Opaque");
        if old_type != secret_type {
            errors.push(FieldError::invalid(
                "type",
                quote(secret_type),
                "field is immutable",
            ));
        }
        if old.immutable == Some(true) {
            if secret.immutable != Some(true) {
                errors.push(FieldError::forbidden(
                    "immutable",
                    "field is immutable when `immutable` is set",
                ));
            }
            if secret.data != old.data {
                errors.push(FieldError::forbidden(
                    "data",
                    "field is immutable when `immutable` is set",
                ));
            }
        }
    }
    errors
}
