//! Server-side Table printing for kinds served generically as JSON
//! (`serde_json::Value`, the object as the API returns it): upstream's
//! columns per kind (pkg/printers/internalversion/printers.go), the API
//! server's default table (apiserver/pkg/registry/rest/table.go) and the
//! CRD `additionalPrinterColumns` convertor
//! (apiextensions-apiserver/pkg/registry/customresource/tableconvertor).
//!
//! Like the real API server, rows carry every cell, the `-o wide` ones
//! (priority 1) included.

mod apps;
mod cluster;
mod core;
mod custom;
mod docs;
mod json;

#[cfg(test)]
mod tests;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

pub use custom::{custom_cells, custom_cells_at, custom_definitions};

/// `ObjectMeta.name`'s swagger doc.
pub(crate) const NAME_DOC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
/// `ObjectMeta.creationTimestamp`'s swagger doc.
pub(crate) const AGE_DOC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const CONTAINERS_DOC: &str = "Names of each container in the template.";
const IMAGES_DOC: &str = "Images referenced by each container in the template.";

/// One column definition: name, type, format, priority, description.
#[derive(Debug, Clone, Copy)]
struct Column(&'static str, &'static str, &'static str, u8, &'static str);

impl Column {
    fn to_json(self) -> Value {
        let Column(name, ty, format, priority, description) = self;
        json!({
            "name": name,
            "type": ty,
            "format": format,
            "description": description,
            "priority": priority,
        })
    }
}

const fn name_col() -> Column {
    Column("Name", "string", "name", 0, NAME_DOC)
}
const fn age_col() -> Column {
    Column("Age", "string", "", 0, AGE_DOC)
}
const fn string(name: &'static str, doc: &'static str) -> Column {
    Column(name, "string", "", 0, doc)
}
const fn integer(name: &'static str, doc: &'static str) -> Column {
    Column(name, "integer", "", 0, doc)
}
const fn boolean(name: &'static str, doc: &'static str) -> Column {
    Column(name, "boolean", "", 0, doc)
}
const fn wide(name: &'static str, doc: &'static str) -> Column {
    Column(name, "string", "", 1, doc)
}
const fn containers_col() -> Column {
    wide("Containers", CONTAINERS_DOC)
}
const fn images_col() -> Column {
    wide("Images", IMAGES_DOC)
}

/// Renders all cells of one object.
type CellFn = fn(&Value, Timestamp) -> Vec<Value>;

/// Upstream's printer for a (group, kind): its columns and its cells.
fn printer(group: &str, kind: &str) -> Option<(&'static [Column], CellFn)> {
    let found: (&'static [Column], CellFn) = match (group, kind) {
        ("", "ServiceAccount") => (core::SERVICE_ACCOUNT, core::service_account),
        ("", "PersistentVolume") => (core::PERSISTENT_VOLUME, core::persistent_volume),
        ("", "PersistentVolumeClaim") => {
            (core::PERSISTENT_VOLUME_CLAIM, core::persistent_volume_claim)
        }
        ("", "ResourceQuota") => (core::RESOURCE_QUOTA, core::resource_quota),
        ("", "ReplicationController") => {
            (core::REPLICATION_CONTROLLER, core::replication_controller)
        }
        ("", "PodTemplate") => (core::POD_TEMPLATE, core::pod_template),
        ("", "Event") => (core::EVENT, core::core_event),
        ("events.k8s.io", "Event") => (core::EVENT, core::events_event),
        ("apps", "StatefulSet") => (apps::STATEFUL_SET, apps::stateful_set),
        ("apps", "DaemonSet") => (apps::DAEMON_SET, apps::daemon_set),
        ("apps", "ControllerRevision") => (apps::CONTROLLER_REVISION, apps::controller_revision),
        ("batch", "Job") => (apps::JOB, apps::job),
        ("batch", "CronJob") => (apps::CRON_JOB, apps::cron_job),
        ("autoscaling", "HorizontalPodAutoscaler") => (apps::HPA, apps::hpa),
        ("policy", "PodDisruptionBudget") => (apps::PDB, apps::pdb),
        ("networking.k8s.io", "NetworkPolicy") => {
            (cluster::NETWORK_POLICY, cluster::network_policy)
        }
        ("networking.k8s.io", "IngressClass") => (cluster::INGRESS_CLASS, cluster::ingress_class),
        ("discovery.k8s.io", "EndpointSlice") => (cluster::ENDPOINT_SLICE, cluster::endpoint_slice),
        ("coordination.k8s.io", "Lease") => (cluster::LEASE, cluster::lease),
        ("rbac.authorization.k8s.io", "RoleBinding") => (cluster::ROLE_BINDING, cluster::binding),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => {
            (cluster::CLUSTER_ROLE_BINDING, cluster::binding)
        }
        ("storage.k8s.io", "StorageClass") => (cluster::STORAGE_CLASS, cluster::storage_class),
        ("storage.k8s.io", "CSIDriver") => (cluster::CSI_DRIVER, cluster::csi_driver),
        ("storage.k8s.io", "VolumeAttachment") => {
            (cluster::VOLUME_ATTACHMENT, cluster::volume_attachment)
        }
        ("scheduling.k8s.io", "PriorityClass") => {
            (cluster::PRIORITY_CLASS, cluster::priority_class)
        }
        ("apiregistration.k8s.io", "APIService") => (cluster::API_SERVICE, cluster::api_service),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration")
        | ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => (
            cluster::WEBHOOK_CONFIGURATION,
            cluster::webhook_configuration,
        ),
        _ => return None,
    };
    Some(found)
}

/// columnDefinitions for a kind served generically; `None` when podium has
/// no upstream printer for it (caller then uses [`default_definitions`]).
///
/// Upstream has no printer for LimitRange, Role and ClusterRole (their
/// stores use the default table convertor), so those give `None` too.
pub fn definitions(group: &str, kind: &str) -> Option<Vec<Value>> {
    printer(group, kind).map(|(columns, _)| columns.iter().map(|c| c.to_json()).collect())
}

/// All cells (wide included) for one object of that kind, in the same order
/// as [`definitions`]; [`default_cells`] for kinds without a printer.
pub fn cells(group: &str, kind: &str, object: &Value, now: Timestamp) -> Vec<Value> {
    match printer(group, kind) {
        Some((_, cells)) => cells(object, now),
        None => default_cells(object),
    }
}

/// The API server's default table (rest.defaultTableConvertor): NAME and
/// CREATED AT (type `date`).
pub fn default_definitions() -> Vec<Value> {
    vec![
        name_col().to_json(),
        Column("Created At", "date", "", 0, AGE_DOC).to_json(),
    ]
}

/// Cells of [`default_definitions`]: the name and the creationTimestamp
/// formatted as RFC3339 in UTC (Go's zero time when unset, as upstream).
pub fn default_cells(object: &Value) -> Vec<Value> {
    let created = json::timestamp(object, &["metadata", "creationTimestamp"])
        .map(json::rfc3339)
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_string());
    vec![json!(json::name(object)), json!(created)]
}
