//! `kubectl describe ingress`: the address, the default backend and the
//! route table (host, path, backend) the Ingress router serves.

use k8s_openapi::api::networking::v1::{Ingress, IngressBackend};

use super::format::{Out, or_none};
use super::kinds::header;

pub fn describe_ingress(out: &mut Out, ingress: &Ingress) {
    header(out, &ingress.metadata, true);
    let spec = ingress.spec.as_ref();
    let address: Vec<String> = ingress
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .into_iter()
        .flatten()
        .map(|entry| {
            let host = entry
                .ip
                .clone()
                .or(entry.hostname.clone())
                .unwrap_or_default();
            match entry.ports.as_ref().and_then(|ports| ports.first()) {
                Some(port) => format!("{host}:{}", port.port),
                None => host,
            }
        })
        .collect();
    out.field(
        0,
        "Address",
        or_none((!address.is_empty()).then(|| address.join(","))),
    );
    out.field(
        0,
        "Ingress Class",
        or_none(spec.and_then(|s| s.ingress_class_name.as_ref())),
    );
    out.field(
        0,
        "Default backend",
        spec.and_then(|s| s.default_backend.as_ref())
            .map_or("<default>".to_string(), backend),
    );
    out.line(0, "Rules:");
    out.line(1, format!("{:<22}{:<24}Backends", "Host", "Path"));
    out.line(1, format!("{:<22}{:<24}--------", "----", "----"));
    let rules = spec.and_then(|s| s.rules.as_ref());
    if rules.is_none_or(|rules| rules.is_empty()) {
        out.line(
            1,
            format!("{:<22}{:<24}{}", "*", "*", "(the default backend)"),
        );
    }
    for rule in rules.into_iter().flatten() {
        out.line(1, rule.host.as_deref().unwrap_or("*"));
        for path in rule.http.iter().flat_map(|http| &http.paths) {
            let text = format!(
                "{} ({})",
                path.path.as_deref().unwrap_or("/"),
                path.path_type
            );
            out.line(1, format!("{:<22}{text:<24}{}", "", backend(&path.backend)));
        }
    }
}

/// `service:port` as kubectl prints a backend.
fn backend(backend: &IngressBackend) -> String {
    match &backend.service {
        Some(service) => {
            let port = service.port.as_ref().map_or(String::new(), |port| {
                port.name
                    .clone()
                    .or(port.number.map(|n| n.to_string()))
                    .unwrap_or_default()
            });
            format!("{}:{port}", service.name)
        }
        None => backend
            .resource
            .as_ref()
            .map_or("<none>".to_string(), |r| format!("{}/{}", r.kind, r.name)),
    }
}
