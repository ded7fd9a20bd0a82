//! Ingress checks (pkg/apis/networking/validation, v1 rules).

use k8s_openapi::api::networking::v1::{Ingress, IngressBackend};

use super::super::naming;
use super::{FieldError, quote};

const PATH_TYPES: &[&str] = &["Exact", "ImplementationSpecific", "Prefix"];

pub fn validate_ingress(ingress: &Ingress) -> Vec<FieldError> {
    let Some(spec) = ingress.spec.as_ref() else {
        return vec![FieldError::required("spec", "")];
    };
    let mut errors = Vec::new();
    let rules = spec.rules.as_deref().unwrap_or(&[]);
    if rules.is_empty() && spec.default_backend.is_none() {
        let value = if spec.rules.is_none() {
            "[]networking.IngressRule(nil)"
        } else {
            "[]networking.IngressRule{}"
        };
        errors.push(FieldError::invalid(
            "spec.rules",
            value,
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if let Some(backend) = spec.default_backend.as_ref() {
        errors.extend(validate_backend(backend, "spec.defaultBackend"));
    }
    for (i, rule) in rules.iter().enumerate() {
        let path = format!("spec.rules[{i}]");
        if let Some(host) = rule.host.as_deref().filter(|h| !h.is_empty()) {
            let bare = host.strip_prefix("*.").unwrap_or(host);
            for msg in naming::dns1123_subdomain(bare) {
                errors.push(FieldError::invalid(
                    &format!("{path}.host"),
                    quote(host),
                    &msg,
                ));
            }
        }
        let Some(http) = rule.http.as_ref() else {
            continue;
        };
        if http.paths.is_empty() {
            errors.push(FieldError::required(&format!("{path}.http.paths"), ""));
        }
        for (j, http_path) in http.paths.iter().enumerate() {
            let path = format!("{path}.http.paths[{j}]");
            let path_type = http_path.path_type.as_str();
            if path_type.is_empty() {
                errors.push(FieldError::required(
                    &format!("{path}.pathType"),
                    "pathType must be specified",
                ));
            } else if !PATH_TYPES.contains(&path_type) {
                errors.push(FieldError::not_supported(
                    &format!("{path}.pathType"),
                    quote(path_type),
                    PATH_TYPES,
                ));
            }
            let value = http_path.path.as_deref().unwrap_or("");
            if matches!(path_type, "Exact" | "Prefix") && !value.starts_with('/') {
                errors.push(FieldError::invalid(
                    &format!("{path}.path"),
                    quote(value),
                    "must be an absolute path",
                ));
            }
            errors.extend(validate_backend(
                &http_path.backend,
                &format!("{path}.backend"),
            ));
        }
    }
    errors
}

fn validate_backend(backend: &IngressBackend, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match (&backend.service, &backend.resource) {
        (Some(_), Some(_)) => errors.push(FieldError::invalid(
            path,
            quote(""),
            "cannot set both resource and service backends",
        )),
        (None, None) => errors.push(FieldError::invalid(
            path,
            quote(""),
            "resource or service backend is required",
        )),
        (None, Some(resource)) => {
            if resource.kind.is_empty() {
                errors.push(FieldError::required(&format!("{path}.resource.kind"), ""));
            }
            if resource.name.is_empty() {
                errors.push(FieldError::required(&format!("{path}.resource.name"), ""));
            }
        }
        (Some(service), None) => {
            let name_path = format!("{path}.service.name");
            if service.name.is_empty() {
                errors.push(FieldError::required(&name_path, ""));
            } else {
                for msg in naming::dns1035_label(&service.name) {
                    errors.push(FieldError::invalid(&name_path, quote(&service.name), &msg));
                }
            }
            let port = service.port.as_ref();
            let name = port.and_then(|p| p.name.as_deref()).unwrap_or("");
            let number = port.and_then(|p| p.number).unwrap_or(0);
            match (name.is_empty(), number == 0) {
                (false, false) => errors.push(FieldError::invalid(
                    &format!("{path}.service.port"),
                    quote(""),
                    "cannot set both port name & port number",
                )),
                (false, true) => {
                    for msg in naming::iana_svc_name(name) {
                        errors.push(FieldError::invalid(
                            &format!("{path}.service.port.name"),
                            quote(name),
                            &msg,
                        ));
                    }
                }
                (true, false) => {
                    if !(1..=65535).contains(&number) {
                        errors.push(FieldError::invalid(
                            &format!("{path}.service.port.number"),
                            number,
                            "must be between 1 and 65535, inclusive",
                        ));
                    }
                }
                (true, true) => errors.push(FieldError::required(
                    &format!("{path}.service.port"),
                    "port name or number is required",
                )),
            }
        }
    }
    errors
}
