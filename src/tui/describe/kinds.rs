//! The sections kubectl describe prints per kind.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Container, Node, Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use super::Related;
use super::format::{Out, or_none};
use crate::api::Object;

pub fn describe(out: &mut Out, object: &Object, related: &Related<'_>, now: Timestamp) {
    match object {
        Object::Pod(pod) => describe_pod(out, pod),
        Object::Deployment(deployment) => describe_deployment(out, deployment, related),
        Object::ReplicaSet(rs) => describe_replica_set(out, rs, related),
        Object::Service(service) => describe_service(out, service, related),
        Object::Node(node) => describe_node(out, node, related, now),
        Object::Ingress(ingress) => super::ingress::describe_ingress(out, ingress),
        Object::Secret(secret) => {
            header(out, object.meta(), object.kind().info().namespaced);
            out.field(0, "Type", or_none(secret.type_.as_ref()));
            out.line(0, "");
            out.line(0, "Data");
            out.line(0, "====");
            for (key, value) in secret.data.iter().flatten() {
                out.line(0, format!("{key}:  {} bytes", value.0.len()));
            }
        }
        Object::ConfigMap(config_map) => {
            header(out, object.meta(), true);
            out.line(0, "");
            out.line(0, "Data");
            out.line(0, "====");
            for (key, value) in config_map.data.iter().flatten() {
                out.line(0, format!("{key}:"));
                out.line(0, "----");
                out.line(0, value);
                out.line(0, "");
            }
        }
        other => super::generic::describe(out, other),
    }
}

/// A port or percentage as written: `8080`, `http`, `25%`.
fn text(value: &IntOrString) -> String {
    match value {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// Name, Namespace, Labels, Annotations.
pub(super) fn header(out: &mut Out, meta: &ObjectMeta, namespaced: bool) {
    out.field(0, "Name", or_none(meta.name.as_ref()));
    if namespaced {
        out.field(0, "Namespace", or_none(meta.namespace.as_ref()));
    }
    out.map(0, "Labels", meta.labels.as_ref());
    out.annotations(0, meta.annotations.as_ref());
}

fn controlled_by(meta: &ObjectMeta) -> Option<String> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|owner| owner.controller == Some(true))
        .map(|owner| format!("{}/{}", owner.kind, owner.name))
}

fn describe_pod(out: &mut Out, pod: &Pod) {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    out.field(0, "Name", or_none(meta.name.as_ref()));
    out.field(0, "Namespace", or_none(meta.namespace.as_ref()));
    out.field(0, "Priority", spec.and_then(|s| s.priority).unwrap_or(0));
    out.field(
        0,
        "Service Account",
        or_none(spec.and_then(|s| s.service_account_name.as_ref())),
    );
    out.field(0, "Node", or_none(spec.and_then(|s| s.node_name.as_ref())));
    out.field(
        0,
        "Start Time",
        or_none(
            status
                .and_then(|s| s.start_time.as_ref())
                .map(|t| t.0.to_string()),
        ),
    );
    out.map(0, "Labels", meta.labels.as_ref());
    out.annotations(0, meta.annotations.as_ref());
    let phase = if meta.deletion_timestamp.is_some() {
        "Terminating".to_string()
    } else {
        or_none(status.and_then(|s| s.phase.as_ref()))
    };
    out.field(0, "Status", phase);
    out.field(0, "IP", or_none(status.and_then(|s| s.pod_ip.as_ref())));
    out.line(0, "IPs:");
    for ip in status
        .and_then(|s| s.pod_ips.as_ref())
        .into_iter()
        .flatten()
    {
        out.field(1, "IP", &ip.ip);
    }
    if let Some(owner) = controlled_by(meta) {
        out.field(0, "Controlled By", owner);
    }
    out.line(0, "Containers:");
    for container in spec.map(|s| s.containers.as_slice()).unwrap_or_default() {
        describe_container(out, pod, container);
    }
    out.line(0, "Conditions:");
    out.line(1, "Type              Status");
    for condition in status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
    {
        out.line(1, format!("{:<17} {}", condition.type_, condition.status));
    }
    out.line(0, "Volumes:");
    for volume in spec.and_then(|s| s.volumes.as_ref()).into_iter().flatten() {
        out.line(1, format!("{}:", volume.name));
    }
    out.field(
        0,
        "QoS Class",
        or_none(status.and_then(|s| s.qos_class.as_ref())),
    );
    out.map(
        0,
        "Node-Selectors",
        spec.and_then(|s| s.node_selector.as_ref()),
    );
    let tolerations: Vec<String> = spec
        .and_then(|s| s.tolerations.as_ref())
        .into_iter()
        .flatten()
        .map(|t| {
            let key = t.key.clone().unwrap_or_default();
            let effect = t
                .effect
                .clone()
                .map(|e| format!(":{e}"))
                .unwrap_or_default();
            let seconds = t
                .toleration_seconds
                .map(|s| format!(" for {s}s"))
                .unwrap_or_default();
            format!(
                "{key} op={}{effect}{seconds}",
                t.operator.clone().unwrap_or("Equal".into())
            )
        })
        .collect();
    out.field(
        0,
        "Tolerations",
        if tolerations.is_empty() {
            "<none>".to_string()
        } else {
            tolerations.join(", ")
        },
    );
}

fn describe_container(out: &mut Out, pod: &Pod, container: &Container) {
    let status = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|statuses| statuses.iter().find(|s| s.name == container.name));
    out.line(1, format!("{}:", container.name));
    out.field(
        2,
        "Container ID",
        or_none(status.and_then(|s| s.container_id.as_ref())),
    );
    out.field(2, "Image", or_none(container.image.as_ref()));
    out.field(2, "Image ID", or_none(status.map(|s| &s.image_id)));
    let ports: Vec<String> = container
        .ports
        .iter()
        .flatten()
        .map(|p| {
            format!(
                "{}/{}",
                p.container_port,
                p.protocol.clone().unwrap_or("TCP".into())
            )
        })
        .collect();
    out.field(
        2,
        "Port",
        if ports.is_empty() {
            "<none>".to_string()
        } else {
            ports.join(", ")
        },
    );
    let state = status.and_then(|s| s.state.as_ref());
    match state {
        Some(s) if s.running.is_some() => out.field(2, "State", "Running"),
        Some(s) if s.waiting.is_some() => {
            out.field(2, "State", "Waiting");
            let reason = s.waiting.as_ref().and_then(|w| w.reason.clone());
            out.field(3, "Reason", or_none(reason));
        }
        Some(s) if s.terminated.is_some() => {
            out.field(2, "State", "Terminated");
            let terminated = s.terminated.as_ref();
            out.field(
                3,
                "Reason",
                or_none(terminated.and_then(|t| t.reason.clone())),
            );
            out.field(3, "Exit Code", terminated.map_or(0, |t| t.exit_code));
        }
        _ => out.field(2, "State", "Waiting"),
    }
    out.field(
        2,
        "Ready",
        if status.is_some_and(|s| s.ready) {
            "True"
        } else {
            "False"
        },
    );
    out.field(2, "Restart Count", status.map_or(0, |s| s.restart_count));
    if let Some(probe) = &container.readiness_probe {
        let how = if let Some(http) = &probe.http_get {
            format!(
                "http-get http://:{}{}",
                text(&http.port),
                http.path.clone().unwrap_or_default()
            )
        } else if let Some(tcp) = &probe.tcp_socket {
            format!("tcp-socket :{}", text(&tcp.port))
        } else {
            "exec".to_string()
        };
        out.field(
            2,
            "Readiness",
            format!(
                "{how} delay={}s timeout={}s period={}s #success={} #failure={}",
                probe.initial_delay_seconds.unwrap_or(0),
                probe.timeout_seconds.unwrap_or(1),
                probe.period_seconds.unwrap_or(10),
                probe.success_threshold.unwrap_or(1),
                probe.failure_threshold.unwrap_or(3)
            ),
        );
    }
    let env: Vec<String> = container
        .env
        .iter()
        .flatten()
        .map(|e| format!("{}:  {}", e.name, e.value.clone().unwrap_or_default()))
        .collect();
    if env.is_empty() {
        out.field(2, "Environment", "<none>");
    } else {
        out.line(2, "Environment:");
        for line in env {
            out.line(3, line);
        }
    }
}

fn template_images(template: Option<&k8s_openapi::api::core::v1::PodTemplateSpec>) -> Vec<String> {
    template
        .and_then(|t| t.spec.as_ref())
        .map(|spec| {
            spec.containers
                .iter()
                .map(|c| format!("{}: {}", c.name, c.image.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

fn describe_deployment(out: &mut Out, deployment: &Deployment, related: &Related<'_>) {
    header(out, &deployment.metadata, true);
    let spec = deployment.spec.as_ref();
    let status = deployment.status.as_ref();
    let selector = spec
        .and_then(|s| s.selector.match_labels.as_ref())
        .map(|labels| {
            labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        });
    out.field(0, "Selector", or_none(selector));
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    out.field(
        0,
        "Replicas",
        format!(
            "{desired} desired | {} updated | {} total | {} available | {} unavailable",
            status.and_then(|s| s.updated_replicas).unwrap_or(0),
            status.and_then(|s| s.replicas).unwrap_or(0),
            status.and_then(|s| s.available_replicas).unwrap_or(0),
            status.and_then(|s| s.unavailable_replicas).unwrap_or(0),
        ),
    );
    let strategy = spec.and_then(|s| s.strategy.as_ref());
    out.field(
        0,
        "StrategyType",
        or_none(strategy.and_then(|s| s.type_.as_ref())),
    );
    out.field(
        0,
        "MinReadySeconds",
        spec.and_then(|s| s.min_ready_seconds).unwrap_or(0),
    );
    if let Some(rolling) = strategy.and_then(|s| s.rolling_update.as_ref()) {
        let show = |value: Option<&IntOrString>| value.map_or("25%".to_string(), text);
        out.field(
            0,
            "RollingUpdateStrategy",
            format!(
                "{} max unavailable, {} max surge",
                show(rolling.max_unavailable.as_ref()),
                show(rolling.max_surge.as_ref())
            ),
        );
    }
    out.line(0, "Pod Template:");
    out.map(
        1,
        "Labels",
        spec.and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.labels.as_ref()),
    );
    out.line(1, "Containers:");
    for image in template_images(spec.map(|s| &s.template)) {
        out.line(2, image);
    }
    out.line(0, "Conditions:");
    out.line(1, "Type           Status  Reason");
    out.line(1, "----           ------  ------");
    for condition in status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
    {
        out.line(
            1,
            format!(
                "{:<14} {:<7} {}",
                condition.type_,
                condition.status,
                condition.reason.clone().unwrap_or_default()
            ),
        );
    }
    let uid = deployment.metadata.uid.clone().unwrap_or_default();
    let revision = |rs: &ReplicaSet| {
        rs.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("deployment.kubernetes.io/revision"))
            .and_then(|r| r.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let mut owned: Vec<&ReplicaSet> = related
        .replica_sets
        .iter()
        .copied()
        .filter(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == uid)
        })
        .collect();
    owned.sort_by_key(|rs| std::cmp::Reverse(revision(rs)));
    let describe_rs = |rs: &ReplicaSet| {
        format!(
            "{} ({}/{} replicas created)",
            rs.metadata.name.clone().unwrap_or_default(),
            rs.status.as_ref().map_or(0, |s| s.replicas),
            rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
        )
    };
    let (newest, older) = match owned.split_first() {
        Some((newest, older)) => (Some(*newest), older.to_vec()),
        None => (None, Vec::new()),
    };
    let old: Vec<String> = older
        .iter()
        .filter(|rs| rs.status.as_ref().is_some_and(|s| s.replicas > 0))
        .map(|rs| describe_rs(rs))
        .collect();
    out.field(
        0,
        "OldReplicaSets",
        if old.is_empty() {
            "<none>".to_string()
        } else {
            old.join(", ")
        },
    );
    out.field(0, "NewReplicaSet", or_none(newest.map(describe_rs)));
}

fn describe_replica_set(out: &mut Out, rs: &ReplicaSet, related: &Related<'_>) {
    header(out, &rs.metadata, true);
    if let Some(owner) = controlled_by(&rs.metadata) {
        out.field(0, "Controlled By", owner);
    }
    let status = rs.status.as_ref();
    out.field(
        0,
        "Replicas",
        format!(
            "{} current / {} desired",
            status.map_or(0, |s| s.replicas),
            rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
        ),
    );
    let phase = |name: &str| {
        related
            .pods
            .iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some(name))
            .count()
    };
    out.field(
        0,
        "Pods Status",
        format!(
            "{} Running / {} Waiting / {} Succeeded / {} Failed",
            phase("Running"),
            phase("Pending"),
            phase("Succeeded"),
            phase("Failed")
        ),
    );
    out.line(0, "Pod Template:");
    out.line(1, "Containers:");
    for image in template_images(rs.spec.as_ref().and_then(|s| s.template.as_ref())) {
        out.line(2, image);
    }
}

fn describe_service(out: &mut Out, service: &Service, related: &Related<'_>) {
    header(out, &service.metadata, true);
    let spec = service.spec.as_ref();
    out.map(0, "Selector", spec.and_then(|s| s.selector.as_ref()));
    out.field(0, "Type", or_none(spec.and_then(|s| s.type_.as_ref())));
    out.field(0, "IP", or_none(spec.and_then(|s| s.cluster_ip.as_ref())));
    for port in spec.and_then(|s| s.ports.as_ref()).into_iter().flatten() {
        let name = port.name.clone().unwrap_or_else(|| "<unset>".to_string());
        let protocol = port.protocol.clone().unwrap_or("TCP".into());
        out.field(0, "Port", format!("{name}  {}/{protocol}", port.port));
        let target = port
            .target_port
            .as_ref()
            .map_or(port.port.to_string(), text);
        out.field(0, "TargetPort", format!("{target}/{protocol}"));
        if let Some(node_port) = port.node_port {
            out.field(0, "NodePort", format!("{name}  {node_port}/{protocol}"));
        }
    }
    let endpoints: Vec<String> = related
        .endpoints
        .and_then(|e| e.subsets.as_ref())
        .into_iter()
        .flatten()
        .flat_map(|subset| {
            let ports: Vec<i32> = subset.ports.iter().flatten().map(|p| p.port).collect();
            subset
                .addresses
                .iter()
                .flatten()
                .flat_map(move |a| {
                    let ip = a.ip.clone();
                    ports.clone().into_iter().map(move |p| format!("{ip}:{p}"))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    out.field(
        0,
        "Endpoints",
        if endpoints.is_empty() {
            "<none>".to_string()
        } else {
            endpoints.join(",")
        },
    );
    out.field(
        0,
        "Session Affinity",
        or_none(spec.and_then(|s| s.session_affinity.as_ref())),
    );
}

fn describe_node(out: &mut Out, node: &Node, related: &Related<'_>, now: Timestamp) {
    header(out, &node.metadata, false);
    out.field(
        0,
        "CreationTimestamp",
        or_none(
            node.metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.to_string()),
        ),
    );
    let status = node.status.as_ref();
    out.line(0, "Conditions:");
    out.line(
        1,
        "Type             Status  Reason                       Message",
    );
    for condition in status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
    {
        out.line(
            1,
            format!(
                "{:<16} {:<7} {:<28} {}",
                condition.type_,
                condition.status,
                condition.reason.clone().unwrap_or_default(),
                condition.message.clone().unwrap_or_default()
            ),
        );
    }
    out.line(0, "Addresses:");
    for address in status
        .and_then(|s| s.addresses.as_ref())
        .into_iter()
        .flatten()
    {
        out.field(1, &address.type_, &address.address);
    }
    out.map(
        0,
        "Capacity",
        status
            .and_then(|s| s.capacity.as_ref())
            .map(|c| c.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect())
            .as_ref(),
    );
    out.line(
        0,
        format!(
            "Non-terminated Pods:          ({} in total)",
            related.pods.len()
        ),
    );
    out.line(1, "Namespace  Name  Age");
    for pod in &related.pods {
        out.line(
            1,
            format!(
                "{}  {}  {}",
                pod.metadata.namespace.clone().unwrap_or_default(),
                pod.metadata.name.clone().unwrap_or_default(),
                super::format::age(pod.metadata.creation_timestamp.as_ref().map(|t| t.0), now)
            ),
        );
    }
}
