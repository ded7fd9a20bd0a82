//! What podium asks Docker to create: names, labels, ports, limits — pure
//! functions from the kubelet's specs to Docker's create bodies.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    ContainerCreateBody, EndpointIpamConfig, EndpointSettings, HostConfig, NetworkingConfig,
    PortBinding, PortMap,
};

use super::pause::PAUSE_IMAGE;
use crate::kubelet::runtime::{
    ContainerSpec, LABEL_CLUSTER, LABEL_HOST_PORTS, LABEL_HOSTNAME, LABEL_MANAGED, LABEL_POD_IP,
    Mount, PortSpec, SandboxSpec, parse_host_ports,
};

/// Linux hostnames are at most 64 bytes; upstream's kubelet truncates pod
/// hostnames to 63 and trims a trailing `-` or `.`.
const HOSTNAME_MAX: usize = 63;

/// dockershim's name for a sandbox: `k8s_POD_<pod>_<namespace>_<uid>_<attempt>`.
pub(super) fn sandbox_name(spec: &SandboxSpec, attempt: u32) -> String {
    format!(
        "k8s_POD_{}_{}_{}_{attempt}",
        spec.pod_name, spec.pod_namespace, spec.pod_uid
    )
}

/// dockershim's name for a container:
/// `k8s_<container>_<pod>_<namespace>_<uid>_<restartCount>`.
pub(super) fn container_name(spec: &ContainerSpec) -> String {
    format!(
        "k8s_{}_{}_{}_{}_{}",
        spec.container_name, spec.pod_name, spec.pod_namespace, spec.pod_uid, spec.restart_count
    )
}

/// The spec's labels plus the two that scope every object to this podium.
pub(super) fn labels(
    spec_labels: &BTreeMap<String, String>,
    cluster_id: &str,
) -> HashMap<String, String> {
    let mut labels: HashMap<String, String> = spec_labels
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    labels.insert(LABEL_MANAGED.to_string(), "true".to_string());
    labels.insert(LABEL_CLUSTER.to_string(), cluster_id.to_string());
    labels
}

/// Docker's key for a port: `8080/tcp`.
pub(super) fn port_key(port: &PortSpec) -> String {
    let protocol = match port.protocol.to_lowercase().as_str() {
        "" => "tcp".to_string(),
        other => other.to_string(),
    };
    format!("{}/{protocol}", port.container_port)
}

/// Every port exposed, each published on a loopback port: the one in
/// `pinned` (by TCP container port) when there is one, else an ephemeral
/// one the engine picks.
fn published(ports: &[PortSpec], pinned: &BTreeMap<u16, u16>) -> (Vec<String>, PortMap) {
    let mut keys: Vec<String> = ports.iter().map(port_key).collect();
    keys.sort();
    keys.dedup();
    let bindings = keys
        .iter()
        .map(|key| {
            let pinned_port = key
                .strip_suffix("/tcp")
                .and_then(|number| number.parse::<u16>().ok())
                .and_then(|number| pinned.get(&number));
            let loopback = PortBinding {
                host_ip: Some("127.0.0.1".to_string()),
                // Empty: the engine picks a free port.
                host_port: Some(pinned_port.map(u16::to_string).unwrap_or_default()),
            };
            (key.clone(), Some(vec![loopback]))
        })
        .collect();
    (keys, bindings)
}

fn hostname(spec: &SandboxSpec) -> Option<String> {
    let name = if spec.hostname.is_empty() {
        &spec.pod_name
    } else {
        &spec.hostname
    };
    linux_hostname(name)
}

fn linux_hostname(name: &str) -> Option<String> {
    let truncated: String = name.chars().take(HOSTNAME_MAX).collect();
    let trimmed = truncated.trim_end_matches(['-', '.']);
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// The pause container holding the pod's network namespace on podium's
/// network, with every port of the pod published from it.
pub(super) fn sandbox_body(
    spec: &SandboxSpec,
    cluster_id: &str,
    network_id: &str,
) -> ContainerCreateBody {
    let (exposed, bindings) = published(&spec.ports, &BTreeMap::new());
    ContainerCreateBody {
        image: Some(PAUSE_IMAGE.to_string()),
        hostname: hostname(spec),
        labels: Some(labels(&spec.labels, cluster_id)),
        exposed_ports: Some(exposed),
        // As PID 1 the pause program ignores SIGTERM: stopping a sandbox
        // (the kubelet removing an orphan) need not wait out a grace.
        stop_signal: Some("SIGKILL".to_string()),
        host_config: Some(HostConfig {
            network_mode: Some(network_id.to_string()),
            port_bindings: Some(bindings),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn bind(mount: &Mount) -> String {
    let host = mount.host_path.display();
    let suffix = if mount.read_only { ":ro" } else { "" };
    format!("{host}:{}{suffix}", mount.container_path)
}

/// The pod's fixed address on podium's network, when the container holds
/// the pod's network itself and the pod already has an IP.
fn fixed_address(spec: &ContainerSpec, network_id: &str) -> Option<NetworkingConfig> {
    let ip = spec.labels.get(LABEL_POD_IP).filter(|ip| !ip.is_empty())?;
    let endpoint = EndpointSettings {
        ipam_config: Some(EndpointIpamConfig {
            ipv4_address: Some(ip.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    Some(NetworkingConfig {
        endpoints_config: Some(HashMap::from([(network_id.to_string(), endpoint)])),
    })
}

/// An app container: it joins its sandbox's network namespace when it has
/// one, else sits on podium's network with its own published ports — at
/// the pod's IP and host ports from its labels when a restart must keep
/// them. No Docker restart policy: the kubelet decides restarts.
pub(super) fn container_body(
    spec: &ContainerSpec,
    cluster_id: &str,
    network_id: &str,
) -> ContainerCreateBody {
    let (exposed, bindings, network_mode, networking) = match &spec.sandbox {
        Some(sandbox) => (None, None, format!("container:{sandbox}"), None),
        None => {
            let pinned = spec
                .labels
                .get(LABEL_HOST_PORTS)
                .map(|text| parse_host_ports(text))
                .unwrap_or_default();
            let (exposed, bindings) = published(&spec.ports, &pinned);
            (
                Some(exposed),
                Some(bindings),
                network_id.to_string(),
                fixed_address(spec, network_id),
            )
        }
    };
    let hostname = match &spec.sandbox {
        Some(_) => None,
        None => spec
            .labels
            .get(LABEL_HOSTNAME)
            .and_then(|name| linux_hostname(name)),
    };
    let memory = spec.limits.memory_bytes.filter(|bytes| *bytes > 0);
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        hostname,
        networking_config: networking,
        entrypoint: (!spec.command.is_empty()).then(|| spec.command.clone()),
        cmd: (!spec.args.is_empty()).then(|| spec.args.clone()),
        env: Some(
            spec.env
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect(),
        ),
        working_dir: spec.working_dir.clone().filter(|dir| !dir.is_empty()),
        labels: Some(labels(&spec.labels, cluster_id)),
        exposed_ports: exposed,
        host_config: Some(HostConfig {
            network_mode: Some(network_mode),
            port_bindings: bindings,
            binds: (!spec.mounts.is_empty()).then(|| spec.mounts.iter().map(bind).collect()),
            memory,
            // As upstream: no swap beyond the memory limit.
            memory_swap: memory,
            nano_cpus: spec
                .limits
                .cpu_millis
                .filter(|millis| *millis > 0)
                .map(|millis| millis.saturating_mul(1_000_000)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::kubelet::runtime::ResourceLimits;

    fn port(number: u16, protocol: &str) -> PortSpec {
        PortSpec {
            container_port: number,
            protocol: protocol.to_string(),
            name: None,
        }
    }

    #[test]
    fn names_follow_dockershim() {
        let sandbox = SandboxSpec {
            pod_uid: "u1".to_string(),
            pod_namespace: "default".to_string(),
            pod_name: "web-0".to_string(),
            ..Default::default()
        };
        assert_eq!(sandbox_name(&sandbox, 0), "k8s_POD_web-0_default_u1_0");
        let container = ContainerSpec {
            pod_uid: "u1".to_string(),
            pod_namespace: "default".to_string(),
            pod_name: "web-0".to_string(),
            container_name: "app".to_string(),
            restart_count: 2,
            ..Default::default()
        };
        assert_eq!(container_name(&container), "k8s_app_web-0_default_u1_2");
    }

    #[test]
    fn sandbox_publishes_each_port_once_on_loopback() {
        let spec = SandboxSpec {
            pod_name: "web".to_string(),
            ports: vec![port(8080, "TCP"), port(8080, "TCP"), port(53, "UDP")],
            ..Default::default()
        };
        let body = sandbox_body(&spec, "c1", "net");
        assert_eq!(
            body.exposed_ports,
            Some(vec!["53/udp".to_string(), "8080/tcp".to_string()])
        );
        let host = body.host_config.expect("host config");
        assert_eq!(host.network_mode.as_deref(), Some("net"));
        let binding = &host.port_bindings.expect("bindings")["8080/tcp"];
        let binding = &binding.as_ref().expect("one binding")[0];
        assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(binding.host_port.as_deref(), Some(""));
        assert_eq!(body.hostname.as_deref(), Some("web"));
        assert_eq!(body.stop_signal.as_deref(), Some("SIGKILL"));
        let labels = body.labels.expect("labels");
        assert_eq!(labels[LABEL_CLUSTER], "c1");
        assert_eq!(labels[LABEL_MANAGED], "true");
    }

    #[test]
    fn long_hostnames_are_cut_like_upstream() {
        let spec = SandboxSpec {
            hostname: format!("{}-{}", "a".repeat(62), "b".repeat(10)),
            ..Default::default()
        };
        assert_eq!(hostname(&spec), Some("a".repeat(62)));
    }

    #[test]
    fn container_joins_its_sandbox_with_limits_and_mounts() {
        let spec = ContainerSpec {
            image: "podium/echo:1.0".to_string(),
            command: vec!["/bin/sh".to_string()],
            args: Vec::new(),
            sandbox: Some("abc".to_string()),
            env: vec![("A".to_string(), "1".to_string())],
            mounts: vec![Mount {
                host_path: PathBuf::from("/data/cm"),
                container_path: "/etc/config".to_string(),
                read_only: true,
            }],
            limits: ResourceLimits {
                cpu_millis: Some(250),
                memory_bytes: Some(64 << 20),
            },
            ports: vec![port(8080, "TCP")],
            ..Default::default()
        };
        let body = container_body(&spec, "c1", "net");
        assert_eq!(body.entrypoint, Some(vec!["/bin/sh".to_string()]));
        assert_eq!(
            body.cmd, None,
            "no args: the image's cmd is ignored by Docker"
        );
        assert_eq!(body.env, Some(vec!["A=1".to_string()]));
        assert_eq!(body.exposed_ports, None, "the sandbox publishes the ports");
        let host = body.host_config.expect("host config");
        assert_eq!(host.network_mode.as_deref(), Some("container:abc"));
        assert_eq!(
            host.binds,
            Some(vec!["/data/cm:/etc/config:ro".to_string()])
        );
        assert_eq!(host.nano_cpus, Some(250_000_000));
        assert_eq!(host.memory, Some(64 << 20));
        assert_eq!(host.restart_policy, None);
    }
}
