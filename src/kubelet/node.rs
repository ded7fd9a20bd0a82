//! The Node object a kubelet registers and keeps Ready.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use crate::events::{EventRecorder, EventType};
use crate::store::{Store, StoreError, UpdateScope};

pub const KUBELET_VERSION: &str = "v1.33.0-podium";

/// One node's identity and size.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub name: String,
    /// CPU capacity, e.g. "4" or "3500m".
    pub cpu: String,
    /// Memory capacity, e.g. "8Gi".
    pub memory: String,
    /// Pods the node takes (upstream default 110).
    pub pods: u32,
    /// Extra labels next to the well-known ones.
    pub labels: BTreeMap<String, String>,
    /// This node's number among the cluster's nodes; picks its pod CIDR
    /// (node n gets 10.244.n.0/24 at the default pod count).
    pub index: u8,
    /// Where pod volumes are prepared on the host (`<data dir>/pods`);
    /// `None` with runtimes that mount nothing (the simulated one).
    pub volumes_dir: Option<std::path::PathBuf>,
    /// Signs the ServiceAccount tokens pods' projected volumes hold (the
    /// API server's key); `None` leaves those volumes without a token.
    pub tokens: Option<crate::tokens::Tokens>,
    /// Never pull (`--offline`): images on the machine are used whatever
    /// the pull policy, a missing one fails as a pull would. Off with the
    /// simulated runtime, whose pulls leave nothing.
    pub offline: bool,
}

impl NodeConfig {
    /// A node with upstream's defaults and this machine's CPU count.
    pub fn new(name: &str, index: u8) -> NodeConfig {
        let cpus = std::thread::available_parallelism().map_or(4, |n| n.get());
        NodeConfig {
            name: name.to_string(),
            cpu: cpus.to_string(),
            memory: "8Gi".to_string(),
            pods: 110,
            labels: BTreeMap::new(),
            index,
            volumes_dir: None,
            tokens: None,
            offline: false,
        }
    }

    pub fn pod_cidr(&self) -> String {
        super::ipam::node_cidr(self.index, self.pods)
    }
}

fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

fn condition(type_: &str, status: &str, reason: &str, message: &str, now: &Time) -> NodeCondition {
    NodeCondition {
        type_: type_.to_string(),
        status: status.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        last_heartbeat_time: Some(now.clone()),
        last_transition_time: Some(now.clone()),
    }
}

/// The node's Ready condition: True while the container engine answers.
fn ready_condition(runtime_down: Option<&str>, now: &Time) -> NodeCondition {
    match runtime_down {
        None => condition(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
            now,
        ),
        Some(error) => condition(
            "Ready",
            "False",
            "KubeletNotReady",
            &format!("container runtime is down: {error}"),
            now,
        ),
    }
}

/// The status the kubelet reports; transition times are kept from `old`
/// when a condition's status did not change.
fn status(
    config: &NodeConfig,
    runtime: &str,
    runtime_down: Option<&str>,
    old: Option<&NodeStatus>,
) -> NodeStatus {
    let now = crate::clock::now_time();
    let mut capacity = BTreeMap::new();
    capacity.insert("cpu".to_string(), Quantity(config.cpu.clone()));
    capacity.insert("memory".to_string(), Quantity(config.memory.clone()));
    capacity.insert("pods".to_string(), Quantity(config.pods.to_string()));
    capacity.insert(
        "ephemeral-storage".to_string(),
        Quantity("100Gi".to_string()),
    );
    let mut conditions = vec![
        condition(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
            &now,
        ),
        condition(
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
            &now,
        ),
        condition(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
            &now,
        ),
        ready_condition(runtime_down, &now),
    ];
    for condition in &mut conditions {
        let previous = old
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == condition.type_));
        if let Some(previous) = previous.filter(|p| p.status == condition.status) {
            condition.last_transition_time = previous.last_transition_time.clone();
        }
    }
    NodeStatus {
        allocatable: Some(capacity.clone()),
        capacity: Some(capacity),
        conditions: Some(conditions),
        addresses: Some(vec![
            NodeAddress {
                type_: "InternalIP".to_string(),
                address: "127.0.0.1".to_string(),
            },
            NodeAddress {
                type_: "Hostname".to_string(),
                address: config.name.clone(),
            },
        ]),
        node_info: Some(NodeSystemInfo {
            architecture: arch().to_string(),
            operating_system: "linux".to_string(),
            os_image: "podium".to_string(),
            kernel_version: String::new(),
            kubelet_version: KUBELET_VERSION.to_string(),
            kube_proxy_version: String::new(),
            container_runtime_version: runtime.to_string(),
            machine_id: String::new(),
            system_uuid: String::new(),
            boot_id: String::new(),
            ..NodeSystemInfo::default()
        }),
        ..NodeStatus::default()
    }
}

/// Creates the Node, or refreshes its labels and status when it exists.
pub fn register(store: &Store, config: &NodeConfig, runtime: &str) -> Result<(), StoreError> {
    let mut labels = config.labels.clone();
    labels.insert("kubernetes.io/hostname".to_string(), config.name.clone());
    labels.insert("kubernetes.io/os".to_string(), "linux".to_string());
    labels.insert("kubernetes.io/arch".to_string(), arch().to_string());
    labels.insert("beta.kubernetes.io/os".to_string(), "linux".to_string());
    labels.insert("beta.kubernetes.io/arch".to_string(), arch().to_string());
    if store.get_as::<Node>("", &config.name).is_none() {
        let node = Node {
            metadata: ObjectMeta {
                name: Some(config.name.clone()),
                labels: Some(labels.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(NodeSpec {
                pod_cidr: Some(config.pod_cidr()),
                pod_cidrs: Some(vec![config.pod_cidr()]),
                ..NodeSpec::default()
            }),
            status: Some(status(config, runtime, None, None)),
        };
        match store.create(node) {
            Ok(_) | Err(StoreError::AlreadyExists { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    store.mutate::<Node>("", &config.name, UpdateScope::Main, |node| {
        let current = node.metadata.labels.get_or_insert_with(BTreeMap::new);
        let before = current.clone();
        current.extend(labels.clone());
        *current != before
    })?;
    heartbeat(store, config, runtime, None)?;
    record_start(store, config);
    Ok(())
}

/// The events upstream's kubelet records about its node when it starts.
fn record_start(store: &Store, config: &NodeConfig) {
    let Some(node) = store.get(crate::api::Kind::Node, "", &config.name) else {
        return;
    };
    let recorder = EventRecorder::new(store.clone(), "kubelet", Some(&config.name));
    let name = &config.name;
    recorder.record(&node, EventType::Normal, "Starting", "Starting kubelet.");
    for reason in [
        "NodeHasSufficientMemory",
        "NodeHasNoDiskPressure",
        "NodeHasSufficientPID",
        "NodeReady",
    ] {
        recorder.record(
            &node,
            EventType::Normal,
            reason,
            &format!("Node {name} status is now: {reason}"),
        );
    }
}

/// Refreshes the node's conditions (lastHeartbeatTime); `runtime_down`
/// carries the engine's error while it does not answer.
pub fn heartbeat(
    store: &Store,
    config: &NodeConfig,
    runtime: &str,
    runtime_down: Option<&str>,
) -> Result<(), StoreError> {
    store.mutate::<Node>("", &config.name, UpdateScope::Status, |node| {
        node.status = Some(status(config, runtime, runtime_down, node.status.as_ref()));
        true
    })?;
    Ok(())
}

/// Records the node's Ready transition, as upstream's kubelet does.
pub fn record_readiness(store: &Store, config: &NodeConfig, ready: bool) {
    let Some(node) = store.get(crate::api::Kind::Node, "", &config.name) else {
        return;
    };
    let recorder = EventRecorder::new(store.clone(), "kubelet", Some(&config.name));
    let reason = if ready { "NodeReady" } else { "NodeNotReady" };
    // Upstream records both as Normal events.
    recorder.record(
        &node,
        EventType::Normal,
        reason,
        &format!("Node {} status is now: {reason}", config.name),
    );
}
