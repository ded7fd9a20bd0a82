//! Pod and pod spec checks (ValidatePodSpec, ValidatePodUpdate).

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, Probe, Toleration};

use super::super::defaults::default_pod;
use super::super::naming;
use super::super::quantity::parse_quantity;
use super::meta::validate_labels;
use super::{FieldError, quote};

const RESTART_POLICIES: &[&str] = &["Always", "Never", "OnFailure"];
const DNS_POLICIES: &[&str] = &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
const PULL_POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];
const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];
const PORT_RANGE_MSG: &str = "must be between 1 and 65535, inclusive";

/// What a pod update may change, as upstream lists it.
const POD_UPDATE_FORBIDDEN: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

pub fn validate_pod(pod: &Pod, old: Option<&Pod>) -> Vec<FieldError> {
    let Some(spec) = pod.spec.as_ref() else {
        return vec![FieldError::required("spec", "")];
    };
    let mut errors = validate_pod_spec(spec, "spec");
    if let Some(old_spec) = old.and_then(|o| o.spec.as_ref()) {
        // Upstream defaults whatever it reads from storage, so an old pod
        // written without defaults compares as its defaulted self.
        let mut old_spec = old_spec.clone();
        default_pod(&mut old_spec);
        errors.extend(validate_pod_spec_update(spec, &old_spec));
    }
    errors
}

pub fn validate_pod_spec(spec: &PodSpec, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let volumes: Vec<&str> = spec
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    let mut volume_names = HashSet::new();
    for (i, volume) in spec.volumes.iter().flatten().enumerate() {
        let field = format!("{path}.volumes[{i}].name");
        if volume.name.is_empty() {
            errors.push(FieldError::required(&field, ""));
            continue;
        }
        for msg in naming::dns1123_label(&volume.name) {
            errors.push(FieldError::invalid(&field, quote(&volume.name), &msg));
        }
        if !volume_names.insert(volume.name.as_str()) {
            errors.push(FieldError::duplicate(&field, quote(&volume.name)));
        }
    }

    let mut container_names = HashSet::new();
    for (i, container) in spec.init_containers.iter().flatten().enumerate() {
        let field = format!("{path}.initContainers[{i}]");
        errors.extend(validate_container(
            container,
            &field,
            &volumes,
            &mut container_names,
        ));
    }
    if spec.containers.is_empty() {
        errors.push(FieldError::required(&format!("{path}.containers"), ""));
    }
    for (i, container) in spec.containers.iter().enumerate() {
        let field = format!("{path}.containers[{i}]");
        errors.extend(validate_container(
            container,
            &field,
            &volumes,
            &mut container_names,
        ));
    }

    if let Some(policy) = spec.restart_policy.as_deref()
        && !RESTART_POLICIES.contains(&policy)
    {
        errors.push(FieldError::not_supported(
            &format!("{path}.restartPolicy"),
            quote(policy),
            RESTART_POLICIES,
        ));
    }
    if let Some(policy) = spec.dns_policy.as_deref()
        && !DNS_POLICIES.contains(&policy)
    {
        errors.push(FieldError::not_supported(
            &format!("{path}.dnsPolicy"),
            quote(policy),
            DNS_POLICIES,
        ));
    }
    if let Some(seconds) = spec.active_deadline_seconds
        && seconds < 1
    {
        errors.push(FieldError::invalid(
            &format!("{path}.activeDeadlineSeconds"),
            seconds,
            "must be between 1 and 2147483647, inclusive",
        ));
    }
    errors.extend(validate_labels(
        spec.node_selector.as_ref(),
        &format!("{path}.nodeSelector"),
    ));
    for (i, toleration) in spec.tolerations.iter().flatten().enumerate() {
        errors.extend(validate_toleration(
            toleration,
            &format!("{path}.tolerations[{i}]"),
        ));
    }
    if let Some(account) = spec
        .service_account_name
        .as_deref()
        .filter(|a| !a.is_empty())
    {
        for msg in naming::dns1123_subdomain(account) {
            errors.push(FieldError::invalid(
                &format!("{path}.serviceAccountName"),
                quote(account),
                &msg,
            ));
        }
    }
    errors
}

fn validate_container<'a>(
    container: &'a Container,
    path: &str,
    volumes: &[&str],
    names: &mut HashSet<&'a str>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name_field = format!("{path}.name");
    if container.name.is_empty() {
        errors.push(FieldError::required(&name_field, ""));
    } else {
        for msg in naming::dns1123_label(&container.name) {
            errors.push(FieldError::invalid(
                &name_field,
                quote(&container.name),
                &msg,
            ));
        }
        if !names.insert(container.name.as_str()) {
            errors.push(FieldError::duplicate(&name_field, quote(&container.name)));
        }
    }
    let image = container.image.as_deref().unwrap_or("");
    if image.is_empty() {
        errors.push(FieldError::required(&format!("{path}.image"), ""));
    } else if image != image.trim() {
        errors.push(FieldError::invalid(
            &format!("{path}.image"),
            quote(image),
            "must not have leading or trailing whitespace",
        ));
    }
    if let Some(policy) = container.image_pull_policy.as_deref()
        && !PULL_POLICIES.contains(&policy)
    {
        errors.push(FieldError::not_supported(
            &format!("{path}.imagePullPolicy"),
            quote(policy),
            PULL_POLICIES,
        ));
    }
    let mut port_names = HashSet::new();
    for (i, port) in container.ports.iter().flatten().enumerate() {
        let port_path = format!("{path}.ports[{i}]");
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            for msg in naming::iana_svc_name(name) {
                errors.push(FieldError::invalid(
                    &format!("{port_path}.name"),
                    quote(name),
                    &msg,
                ));
            }
            if !port_names.insert(name) {
                errors.push(FieldError::duplicate(
                    &format!("{port_path}.name"),
                    quote(name),
                ));
            }
        }
        if !(1..=65535).contains(&port.container_port) {
            errors.push(FieldError::invalid(
                &format!("{port_path}.containerPort"),
                port.container_port,
                PORT_RANGE_MSG,
            ));
        }
        if let Some(host_port) = port.host_port.filter(|p| *p != 0)
            && !(1..=65535).contains(&host_port)
        {
            errors.push(FieldError::invalid(
                &format!("{port_path}.hostPort"),
                host_port,
                PORT_RANGE_MSG,
            ));
        }
        if let Some(protocol) = port.protocol.as_deref()
            && !PROTOCOLS.contains(&protocol)
        {
            errors.push(FieldError::not_supported(
                &format!("{port_path}.protocol"),
                quote(protocol),
                PROTOCOLS,
            ));
        }
    }
    for (i, env) in container.env.iter().flatten().enumerate() {
        if env.name.is_empty() {
            errors.push(FieldError::required(&format!("{path}.env[{i}].name"), ""));
        }
    }
    for (i, mount) in container.volume_mounts.iter().flatten().enumerate() {
        let mount_path = format!("{path}.volumeMounts[{i}]");
        if mount.name.is_empty() {
            errors.push(FieldError::required(&format!("{mount_path}.name"), ""));
        } else if !volumes.contains(&mount.name.as_str()) {
            errors.push(FieldError::not_found(
                &format!("{mount_path}.name"),
                quote(&mount.name),
            ));
        }
        if mount.mount_path.is_empty() {
            errors.push(FieldError::required(&format!("{mount_path}.mountPath"), ""));
        }
    }
    errors.extend(validate_resources(container, path));
    let probes = [
        ("livenessProbe", &container.liveness_probe, true),
        ("readinessProbe", &container.readiness_probe, false),
        ("startupProbe", &container.startup_probe, true),
    ];
    for (name, probe, success_must_be_one) in probes {
        if let Some(probe) = probe {
            errors.extend(validate_probe(
                probe,
                &format!("{path}.{name}"),
                success_must_be_one,
            ));
        }
    }
    errors
}

/// Requests may not exceed limits; neither may be negative.
fn validate_resources(container: &Container, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(resources) = container.resources.as_ref() else {
        return errors;
    };
    let maps = [
        ("limits", &resources.limits),
        ("requests", &resources.requests),
    ];
    for (which, map) in maps {
        for (name, quantity) in map.iter().flatten() {
            let field = format!("{path}.resources.{which}[{name}]");
            match parse_quantity(&quantity.0) {
                None => errors.push(FieldError::invalid(
                    &field,
                    quote(&quantity.0),
                    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                )),
                Some(v) if v < 0.0 => errors.push(FieldError::invalid(
                    &field,
                    quote(&quantity.0),
                    "must be greater than or equal to 0",
                )),
                Some(_) => {}
            }
        }
    }
    let limits = resources.limits.as_ref();
    for (name, request) in resources.requests.iter().flatten() {
        let Some(limit) = limits.and_then(|l| l.get(name)) else {
            continue;
        };
        let (Some(r), Some(l)) = (parse_quantity(&request.0), parse_quantity(&limit.0)) else {
            continue;
        };
        if r > l {
            errors.push(FieldError::invalid(
                &format!("{path}.resources.requests"),
                quote(&request.0),
                &format!("must be less than or equal to {name} limit of {}", limit.0),
            ));
        }
    }
    errors
}

/// One toleration (validateTolerations).
fn validate_toleration(toleration: &Toleration, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let key = toleration.key.as_deref().unwrap_or("");
    let operator = toleration.operator.as_deref().unwrap_or("Equal");
    let value = toleration.value.as_deref().unwrap_or("");
    if key.is_empty() {
        if operator != "Exists" {
            errors.push(FieldError::invalid(
                &format!("{path}.operator"),
                quote(operator),
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
    } else {
        for msg in naming::qualified_name(key) {
            errors.push(FieldError::invalid(
                &format!("{path}.key"),
                quote(key),
                &msg,
            ));
        }
    }
    match operator {
        "Equal" => {
            for msg in naming::label_value(value) {
                errors.push(FieldError::invalid(
                    &format!("{path}.value"),
                    quote(value),
                    &msg,
                ));
            }
        }
        "Exists" => {
            if !value.is_empty() {
                errors.push(FieldError::invalid(
                    &format!("{path}.operator"),
                    quote(operator),
                    "value must be empty when `operator` is 'Exists'",
                ));
            }
        }
        other => errors.push(FieldError::not_supported(
            &format!("{path}.operator"),
            quote(other),
            &["Equal", "Exists"],
        )),
    }
    let effect = toleration.effect.as_deref().unwrap_or("");
    if toleration.toleration_seconds.is_some() && effect != "NoExecute" {
        errors.push(FieldError::invalid(
            &format!("{path}.effect"),
            quote(effect),
            "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ));
    }
    if !effect.is_empty() && !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect) {
        errors.push(FieldError::not_supported(
            &format!("{path}.effect"),
            quote(effect),
            &["NoExecute", "NoSchedule", "PreferNoSchedule"],
        ));
    }
    errors
}

fn validate_probe(probe: &Probe, path: &str, success_must_be_one: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let handlers = [
        ("exec", probe.exec.is_some()),
        ("httpGet", probe.http_get.is_some()),
        ("tcpSocket", probe.tcp_socket.is_some()),
        ("grpc", probe.grpc.is_some()),
    ];
    let mut seen = 0;
    for (name, present) in handlers {
        if present {
            if seen > 0 {
                errors.push(FieldError::forbidden(
                    &format!("{path}.{name}"),
                    "may not specify more than 1 handler type",
                ));
            }
            seen += 1;
        }
    }
    if seen == 0 {
        errors.push(FieldError::required(path, "must specify a handler type"));
    }
    let non_negative = [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("periodSeconds", probe.period_seconds),
        ("successThreshold", probe.success_threshold),
        ("failureThreshold", probe.failure_threshold),
    ];
    for (name, value) in non_negative {
        if let Some(v) = value.filter(|v| *v < 0) {
            errors.push(FieldError::invalid(
                &format!("{path}.{name}"),
                v,
                "must be greater than or equal to 0",
            ));
        }
    }
    if success_must_be_one && let Some(v) = probe.success_threshold.filter(|v| *v != 1) {
        errors.push(FieldError::invalid(
            &format!("{path}.successThreshold"),
            v,
            "must be 1",
        ));
    }
    errors
}

/// Only images, activeDeadlineSeconds, added tolerations and a
/// terminationGracePeriodSeconds fix-up may change in a pod's spec.
fn validate_pod_spec_update(new: &PodSpec, old: &PodSpec) -> Vec<FieldError> {
    let mut munged = new.clone();
    for (container, old_container) in munged.containers.iter_mut().zip(&old.containers) {
        container.image = old_container.image.clone();
    }
    if let (Some(init), Some(old_init)) = (munged.init_containers.as_mut(), &old.init_containers) {
        for (container, old_container) in init.iter_mut().zip(old_init) {
            container.image = old_container.image.clone();
        }
    }
    munged.active_deadline_seconds = old.active_deadline_seconds;
    let old_tolerations = old.tolerations.clone().unwrap_or_default();
    let new_tolerations = new.tolerations.clone().unwrap_or_default();
    let only_additions = old_tolerations.iter().all(|t| new_tolerations.contains(t));
    if only_additions {
        munged.tolerations = old.tolerations.clone();
    }
    if old.termination_grace_period_seconds.is_some_and(|s| s < 0)
        && new.termination_grace_period_seconds == Some(1)
    {
        munged.termination_grace_period_seconds = old.termination_grace_period_seconds;
    }
    if munged == *old {
        Vec::new()
    } else {
        vec![FieldError::forbidden("spec", POD_UPDATE_FORBIDDEN)]
    }
}
