//! Service checks (ValidateService, ValidateServiceUpdate).

use std::collections::HashSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::super::naming;
use super::meta::validate_labels;
use super::{FieldError, quote};

const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const SESSION_AFFINITIES: &[&str] = &["ClientIP", "None"];
const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];
const PORT_RANGE_MSG: &str = "must be between 1 and 65535, inclusive";
/// The API server's default --service-node-port-range.
pub const NODE_PORT_RANGE: std::ops::RangeInclusive<i32> = 30000..=32767;

pub fn validate_service(service: &Service, old: Option<&Service>) -> Vec<FieldError> {
    let Some(spec) = service.spec.as_ref() else {
        return vec![FieldError::required("spec", "")];
    };
    let mut errors = Vec::new();
    let service_type = spec.type_.as_deref().unwrap_or("ClusterIP");
    let cluster_ip = spec.cluster_ip.as_deref().unwrap_or("");
    let headless = cluster_ip == "None";
    let ports = spec.ports.as_deref().unwrap_or(&[]);

    if !SERVICE_TYPES.contains(&service_type) {
        errors.push(FieldError::not_supported(
            "spec.type",
            quote(service_type),
            SERVICE_TYPES,
        ));
    }
    if ports.is_empty() && !headless && service_type != "ExternalName" {
        errors.push(FieldError::required("spec.ports", ""));
    }
    if service_type == "ExternalName" {
        let external = spec.external_name.as_deref().unwrap_or("");
        if external.is_empty() {
            errors.push(FieldError::required("spec.externalName", ""));
        } else {
            for msg in naming::dns1123_subdomain(external.trim_end_matches('.')) {
                errors.push(FieldError::invalid(
                    "spec.externalName",
                    quote(external),
                    &msg,
                ));
            }
        }
    }
    if service_type == "ExternalName" && !cluster_ip.is_empty() {
        errors.push(FieldError::forbidden(
            "spec.clusterIPs",
            "may not be set for ExternalName services",
        ));
    } else if headless && service_type != "ClusterIP" {
        errors.push(FieldError::invalid(
            "spec.clusterIPs[0]",
            quote(cluster_ip),
            &format!("may not be set to 'None' for {service_type} services"),
        ));
    }
    if !cluster_ip.is_empty() && !headless && cluster_ip.parse::<IpAddr>().is_err() {
        errors.push(FieldError::invalid(
            "spec.clusterIPs[0]",
            quote(cluster_ip),
            "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
        ));
    }
    if let Some(affinity) = spec.session_affinity.as_deref()
        && !SESSION_AFFINITIES.contains(&affinity)
    {
        errors.push(FieldError::not_supported(
            "spec.sessionAffinity",
            quote(affinity),
            SESSION_AFFINITIES,
        ));
    }
    errors.extend(validate_labels(spec.selector.as_ref(), "spec.selector"));

    let require_name = ports.len() > 1;
    let mut names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let path = format!("spec.ports[{i}]");
        let name = port.name.as_deref().unwrap_or("");
        if name.is_empty() {
            if require_name {
                errors.push(FieldError::required(&format!("{path}.name"), ""));
            }
        } else {
            for msg in naming::iana_svc_name(name) {
                errors.push(FieldError::invalid(
                    &format!("{path}.name"),
                    quote(name),
                    &msg,
                ));
            }
            if !names.insert(name) {
                errors.push(FieldError::duplicate(&format!("{path}.name"), quote(name)));
            }
        }
        if !(1..=65535).contains(&port.port) {
            errors.push(FieldError::invalid(
                &format!("{path}.port"),
                port.port,
                PORT_RANGE_MSG,
            ));
        }
        match port.protocol.as_deref() {
            None => errors.push(FieldError::required(&format!("{path}.protocol"), "")),
            Some(p) if !PROTOCOLS.contains(&p) => errors.push(FieldError::not_supported(
                &format!("{path}.protocol"),
                quote(p),
                PROTOCOLS,
            )),
            Some(_) => {}
        }
        match &port.target_port {
            Some(IntOrString::Int(t)) if !(1..=65535).contains(t) => errors.push(
                FieldError::invalid(&format!("{path}.targetPort"), t, PORT_RANGE_MSG),
            ),
            Some(IntOrString::String(t)) => {
                for msg in naming::iana_svc_name(t) {
                    errors.push(FieldError::invalid(
                        &format!("{path}.targetPort"),
                        quote(t),
                        &msg,
                    ));
                }
            }
            _ => {}
        }
        if let Some(node_port) = port.node_port.filter(|p| *p != 0) {
            let node_port_path = format!("{path}.nodePort");
            if service_type == "ClusterIP" || service_type == "ExternalName" {
                errors.push(FieldError::forbidden(
                    &node_port_path,
                    &format!("may not be used when `type` is '{service_type}'"),
                ));
            } else if !NODE_PORT_RANGE.contains(&node_port) {
                errors.push(FieldError::invalid(
                    &node_port_path,
                    node_port,
                    "provided port is not in the valid range. The range of valid ports is 30000-32767",
                ));
            }
        }
    }

    if let Some(old_spec) = old.and_then(|o| o.spec.as_ref()) {
        let old_ip = old_spec.cluster_ip.as_deref().unwrap_or("");
        let both_use_ips =
            service_type != "ExternalName" && old_spec.type_.as_deref() != Some("ExternalName");
        if both_use_ips && !old_ip.is_empty() && !cluster_ip.is_empty() && old_ip != cluster_ip {
            errors.push(FieldError::invalid(
                "spec.clusterIPs[0]",
                format!("[]string{{{}}}", quote(cluster_ip)),
                "may not change once set",
            ));
        }
    }
    errors
}
