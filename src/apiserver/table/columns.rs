//! Column definitions per kind, in upstream's order with upstream's names,
//! types and priorities (priority 1 = shown only with `-o wide`).

use serde_json::{Value, json};

use crate::api::Kind;

const NAME_DOC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DOC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const CONTAINERS_DOC: &str = "Names of each container in the template.";
const IMAGES_DOC: &str = "Images referenced by each container in the template.";

/// One column: name, type ("string" | "integer"), format, priority, description.
struct Column(&'static str, &'static str, &'static str, u8, &'static str);

const fn name() -> Column {
    Column("Name", "string", "name", 0, NAME_DOC)
}
const fn age() -> Column {
    Column("Age", "string", "", 0, AGE_DOC)
}
const fn col(name: &'static str, doc: &'static str) -> Column {
    Column(name, "string", "", 0, doc)
}
const fn int(name: &'static str, doc: &'static str) -> Column {
    Column(name, "integer", "", 0, doc)
}
const fn wide(name: &'static str, doc: &'static str) -> Column {
    Column(name, "string", "", 1, doc)
}

const POD: &[Column] = &[
    name(),
    col(
        "Ready",
        "The aggregate readiness state of this pod for accepting traffic.",
    ),
    col(
        "Status",
        "The aggregate status of the containers in this pod.",
    ),
    col(
        "Restarts",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    age(),
    wide(
        "IP",
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
    ),
    wide(
        "Node",
        "NodeName indicates in which node this pod is scheduled.",
    ),
    wide(
        "Nominated Node",
        "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.",
    ),
    wide(
        "Readiness Gates",
        "If specified, all readiness gates will be evaluated for pod readiness.",
    ),
];

const REPLICA_SET: &[Column] = &[
    name(),
    int("Desired", "Replicas is the number of desired pods."),
    int(
        "Current",
        "Replicas is the most recently observed number of replicas.",
    ),
    int(
        "Ready",
        "The number of ready replicas for this replica set.",
    ),
    age(),
    wide("Containers", CONTAINERS_DOC),
    wide("Images", IMAGES_DOC),
    wide(
        "Selector",
        "Selector is a label query over pods that should match the replica count.",
    ),
];

const DEPLOYMENT: &[Column] = &[
    name(),
    col("Ready", "Number of the pod with ready state"),
    col(
        "Up-to-date",
        "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
    ),
    col(
        "Available",
        "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
    ),
    age(),
    wide("Containers", CONTAINERS_DOC),
    wide("Images", IMAGES_DOC),
    wide(
        "Selector",
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.",
    ),
];

const SERVICE: &[Column] = &[
    name(),
    col("Type", "type determines how the Service is exposed."),
    col(
        "Cluster-IP",
        "clusterIP is the IP address of the service and is usually assigned randomly.",
    ),
    col(
        "External-IP",
        "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.",
    ),
    col(
        "Port(s)",
        "The list of ports that are exposed by this service.",
    ),
    age(),
    wide(
        "Selector",
        "Route service traffic to pods with label keys and values matching this selector.",
    ),
];

const ENDPOINTS: &[Column] = &[
    name(),
    col(
        "Endpoints",
        "The set of all endpoints is the union of all subsets.",
    ),
    age(),
];

const INGRESS: &[Column] = &[
    name(),
    col(
        "Class",
        "The name of the IngressClass resource that should be used for additional configuration",
    ),
    col(
        "Hosts",
        "Hosts that incoming requests are matched against before the ingress rule",
    ),
    col(
        "Address",
        "Address is a list containing ingress points for the load-balancer",
    ),
    col("Ports", "Ports of TLS configurations that open"),
    age(),
];

const NAMESPACE: &[Column] = &[name(), col("Status", "The status of the namespace"), age()];

const NODE: &[Column] = &[
    name(),
    col("Status", "The status of the node"),
    col("Roles", "The roles of the node"),
    age(),
    col("Version", "Kubelet Version reported by the node."),
    wide("Internal-IP", "List of addresses reachable to the node."),
    wide("External-IP", "List of addresses reachable to the node."),
    wide(
        "OS-Image",
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
    ),
    wide(
        "Kernel-Version",
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    ),
    wide(
        "Container-Runtime",
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
    ),
];

const CONFIG_MAP: &[Column] = &[
    name(),
    col("Data", "Data contains the configuration data."),
    age(),
];

const SECRET: &[Column] = &[
    name(),
    col(
        "Type",
        "Used to facilitate programmatic handling of secret data.",
    ),
    col("Data", "Data contains the secret data."),
    age(),
];

const EVENT: &[Column] = &[
    col(
        "Last Seen",
        "The time at which the most recent occurrence of this event was recorded.",
    ),
    col(
        "Type",
        "Type of this event (Normal, Warning), new types could be added in the future",
    ),
    col(
        "Reason",
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    col("Object", "The object that this event is about."),
    wide(
        "Subobject",
        "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].",
    ),
    wide(
        "Source",
        "The component reporting this event. Should be a short machine understandable string.",
    ),
    col(
        "Message",
        "A human-readable description of the status of this operation.",
    ),
    wide(
        "First Seen",
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
    ),
    wide("Count", "The number of times this event has occurred."),
    Column("Name", "string", "name", 1, NAME_DOC),
];

fn columns(kind: Kind) -> &'static [Column] {
    match kind {
        Kind::Pod => POD,
        Kind::ReplicaSet => REPLICA_SET,
        Kind::Deployment => DEPLOYMENT,
        Kind::Service => SERVICE,
        Kind::Endpoints => ENDPOINTS,
        Kind::Ingress => INGRESS,
        Kind::Namespace => NAMESPACE,
        Kind::Node => NODE,
        Kind::ConfigMap => CONFIG_MAP,
        Kind::Secret => SECRET,
        Kind::Event => EVENT,
        _ => &[],
    }
}

/// The `columnDefinitions` array of a Table of `kind`.
pub fn definitions(kind: Kind) -> Value {
    columns(kind)
        .iter()
        .map(|Column(name, ty, format, priority, description)| {
            json!({
                "name": name,
                "type": ty,
                "format": format,
                "description": description,
                "priority": priority,
            })
        })
        .collect()
}
