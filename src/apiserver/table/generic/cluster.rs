//! Cluster-level and API-machinery kinds: NetworkPolicy, IngressClass,
//! EndpointSlice, Lease, (Cluster)RoleBinding, StorageClass, CSIDriver,
//! VolumeAttachment, PriorityClass, CustomResourceDefinition, APIService
//! and the admission webhook configurations.

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::json::{
    age, annotation, arr_at, get, int_at, label_selector, list_with_more, name, opt_bool, opt_int,
    opt_str, str_at,
};
use super::{Column, age_col, boolean, docs, integer, name_col, string, wide};

pub(super) const NETWORK_POLICY: &[Column] = &[
    name_col(),
    string("Pod-Selector", docs::NP_POD_SELECTOR),
    age_col(),
];

/// NAME POD-SELECTOR AGE.
pub(super) fn network_policy(policy: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(name(policy)),
        json!(label_selector(get(policy, &["spec", "podSelector"]))),
        json!(age(policy, now)),
    ]
}

pub(super) const INGRESS_CLASS: &[Column] = &[
    name_col(),
    string(
        "Controller",
        "Controller that is responsible for handling this class",
    ),
    string(
        "Parameters",
        "A reference to a resource with additional parameters",
    ),
    age_col(),
];

/// NAME CONTROLLER PARAMETERS AGE; parameters as `Kind[.apiGroup]/name`.
pub(super) fn ingress_class(class: &Value, now: Timestamp) -> Vec<Value> {
    let parameters = match get(class, &["spec", "parameters"]).filter(|p| !p.is_null()) {
        Some(p) => {
            let mut text = str_at(p, &["kind"]).to_string();
            if let Some(group) = opt_str(p, &["apiGroup"]) {
                text = format!("{text}.{group}");
            }
            format!("{text}/{}", str_at(p, &["name"]))
        }
        None => "<none>".to_string(),
    };
    vec![
        json!(name(class)),
        json!(str_at(class, &["spec", "controller"])),
        json!(parameters),
        json!(age(class, now)),
    ]
}

pub(super) const ENDPOINT_SLICE: &[Column] = &[
    name_col(),
    string("AddressType", docs::ES_ADDRESS_TYPE),
    string("Ports", docs::ES_PORTS),
    string("Endpoints", docs::ES_ENDPOINTS),
    age_col(),
];

/// NAME ADDRESSTYPE PORTS ENDPOINTS AGE.
pub(super) fn endpoint_slice(slice: &Value, now: Timestamp) -> Vec<Value> {
    let ports: Vec<String> = arr_at(slice, &["ports"])
        .iter()
        .map(
            |port| match (opt_int(port, &["port"]), opt_str(port, &["name"])) {
                (Some(number), _) => number.to_string(),
                (None, Some(port_name)) => port_name.to_string(),
                (None, None) => "*".to_string(),
            },
        )
        .collect();
    let addresses: Vec<String> = arr_at(slice, &["endpoints"])
        .iter()
        .flat_map(|e| arr_at(e, &["addresses"]))
        .map(|a| a.as_str().unwrap_or("").to_string())
        .collect();
    vec![
        json!(name(slice)),
        json!(str_at(slice, &["addressType"])),
        json!(list_with_more(&ports, 3)),
        json!(list_with_more(&addresses, 3)),
        json!(age(slice, now)),
    ]
}

pub(super) const LEASE: &[Column] = &[name_col(), string("Holder", docs::LEASE_HOLDER), age_col()];

/// NAME HOLDER AGE.
pub(super) fn lease(lease: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(name(lease)),
        json!(str_at(lease, &["spec", "holderIdentity"])),
        json!(age(lease, now)),
    ]
}

pub(super) const ROLE_BINDING: &[Column] = &[
    name_col(),
    string("Role", docs::RB_ROLE_REF),
    age_col(),
    wide("Users", "Users in the roleBinding"),
    wide("Groups", "Groups in the roleBinding"),
    wide("ServiceAccounts", "ServiceAccounts in the roleBinding"),
];

pub(super) const CLUSTER_ROLE_BINDING: &[Column] = &[
    name_col(),
    string("Role", docs::CRB_ROLE_REF),
    age_col(),
    wide("Users", "Users in the clusterRoleBinding"),
    wide("Groups", "Groups in the clusterRoleBinding"),
    wide(
        "ServiceAccounts",
        "ServiceAccounts in the clusterRoleBinding",
    ),
];

/// NAME ROLE AGE | USERS GROUPS SERVICEACCOUNTS (RoleBinding and
/// ClusterRoleBinding alike); ROLE is `Kind/name`, service accounts
/// `namespace/name`.
pub(super) fn binding(binding: &Value, now: Timestamp) -> Vec<Value> {
    let (mut users, mut groups, mut service_accounts) = (Vec::new(), Vec::new(), Vec::new());
    for subject in arr_at(binding, &["subjects"]) {
        let subject_name = str_at(subject, &["name"]);
        match str_at(subject, &["kind"]) {
            "ServiceAccount" => service_accounts.push(format!(
                "{}/{subject_name}",
                str_at(subject, &["namespace"])
            )),
            "User" => users.push(subject_name.to_string()),
            "Group" => groups.push(subject_name.to_string()),
            _ => {}
        }
    }
    vec![
        json!(name(binding)),
        json!(format!(
            "{}/{}",
            str_at(binding, &["roleRef", "kind"]),
            str_at(binding, &["roleRef", "name"])
        )),
        json!(age(binding, now)),
        json!(users.join(", ")),
        json!(groups.join(", ")),
        json!(service_accounts.join(", ")),
    ]
}

pub(super) const STORAGE_CLASS: &[Column] = &[
    name_col(),
    string("Provisioner", docs::SC_PROVISIONER),
    string("ReclaimPolicy", docs::SC_RECLAIM),
    string("VolumeBindingMode", docs::SC_BINDING_MODE),
    string("AllowVolumeExpansion", docs::SC_EXPANSION),
    age_col(),
];

/// NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION
/// AGE; the default class's name reads `name (default)`.
pub(super) fn storage_class(class: &Value, now: Timestamp) -> Vec<Value> {
    let is_default = [
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    ]
    .iter()
    .any(|key| annotation(class, key) == Some("true"));
    let mut display = name(class).to_string();
    if is_default {
        display.push_str(" (default)");
    }
    vec![
        json!(display),
        json!(str_at(class, &["provisioner"])),
        json!(opt_str(class, &["reclaimPolicy"]).unwrap_or("Delete")),
        json!(opt_str(class, &["volumeBindingMode"]).unwrap_or("Immediate")),
        json!(opt_bool(class, &["allowVolumeExpansion"]).unwrap_or(false)),
        json!(age(class, now)),
    ]
}

pub(super) const CSI_DRIVER: &[Column] = &[
    name_col(),
    boolean("AttachRequired", docs::CSI_ATTACH),
    boolean("PodInfoOnMount", docs::CSI_POD_INFO),
    boolean("StorageCapacity", docs::CSI_CAPACITY),
    string("TokenRequests", docs::CSI_TOKENS),
    boolean("RequiresRepublish", docs::CSI_REPUBLISH),
    string("Modes", docs::CSI_MODES),
    age_col(),
];

/// NAME ATTACHREQUIRED PODINFOONMOUNT STORAGECAPACITY TOKENREQUESTS
/// REQUIRESREPUBLISH MODES AGE.
pub(super) fn csi_driver(driver: &Value, now: Timestamp) -> Vec<Value> {
    let spec = get(driver, &["spec"]).unwrap_or(&Value::Null);
    let token_requests = match get(spec, &["tokenRequests"]).and_then(Value::as_array) {
        Some(requests) => requests
            .iter()
            .map(|r| str_at(r, &["audience"]))
            .collect::<Vec<_>>()
            .join(","),
        None => "<unset>".to_string(),
    };
    let modes = arr_at(spec, &["volumeLifecycleModes"])
        .iter()
        .map(|m| m.as_str().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(",");
    vec![
        json!(name(driver)),
        json!(opt_bool(spec, &["attachRequired"]).unwrap_or(true)),
        json!(opt_bool(spec, &["podInfoOnMount"]).unwrap_or(false)),
        json!(opt_bool(spec, &["storageCapacity"]).unwrap_or(false)),
        json!(token_requests),
        json!(opt_bool(spec, &["requiresRepublish"]).unwrap_or(false)),
        json!(if modes.is_empty() {
            "<none>".to_string()
        } else {
            modes
        }),
        json!(age(driver, now)),
    ]
}

pub(super) const VOLUME_ATTACHMENT: &[Column] = &[
    name_col(),
    Column("Attacher", "string", "name", 0, docs::VA_ATTACHER),
    string("PV", docs::VA_PV),
    string("Node", docs::VA_NODE),
    boolean("Attached", docs::VA_ATTACHED),
    age_col(),
];

/// NAME ATTACHER PV NODE ATTACHED AGE.
pub(super) fn volume_attachment(attachment: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(name(attachment)),
        json!(str_at(attachment, &["spec", "attacher"])),
        json!(str_at(
            attachment,
            &["spec", "source", "persistentVolumeName"]
        )),
        json!(str_at(attachment, &["spec", "nodeName"])),
        json!(opt_bool(attachment, &["status", "attached"]).unwrap_or(false)),
        json!(age(attachment, now)),
    ]
}

pub(super) const PRIORITY_CLASS: &[Column] = &[
    name_col(),
    integer("Value", docs::PC_VALUE),
    boolean("Global-Default", docs::PC_GLOBAL),
    age_col(),
    string("PreemptionPolicy", docs::PC_PREEMPTION),
];

/// NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY.
pub(super) fn priority_class(class: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(name(class)),
        json!(int_at(class, &["value"])),
        json!(opt_bool(class, &["globalDefault"]).unwrap_or(false)),
        json!(age(class, now)),
        json!(str_at(class, &["preemptionPolicy"])),
    ]
}

pub(super) const API_SERVICE: &[Column] = &[
    name_col(),
    string(
        "Service",
        "The reference to the service that hosts this API endpoint.",
    ),
    string("Available", "Whether this service is available."),
    age_col(),
];

/// NAME SERVICE AVAILABLE AGE (kube-aggregator's apiservice table):
/// SERVICE is `namespace/name` or `Local`; AVAILABLE the Available
/// condition's status, with its reason when not True.
pub(super) fn api_service(service: &Value, now: Timestamp) -> Vec<Value> {
    let backend = match get(service, &["spec", "service"]).filter(|s| !s.is_null()) {
        Some(s) => format!("{}/{}", str_at(s, &["namespace"]), str_at(s, &["name"])),
        None => "Local".to_string(),
    };
    let available = arr_at(service, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Available")
        .map_or_else(
            || "Unknown".to_string(),
            |c| {
                let status = str_at(c, &["status"]);
                let reason = str_at(c, &["reason"]);
                if status != "True" && !reason.is_empty() {
                    format!("{status} ({reason})")
                } else {
                    status.to_string()
                }
            },
        );
    vec![
        json!(name(service)),
        json!(backend),
        json!(available),
        json!(age(service, now)),
    ]
}

pub(super) const WEBHOOK_CONFIGURATION: &[Column] = &[
    name_col(),
    integer(
        "Webhooks",
        "Webhooks indicates the number of webhooks registered in this configuration",
    ),
    age_col(),
];

/// NAME WEBHOOKS AGE (validating and mutating alike).
pub(super) fn webhook_configuration(config: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(name(config)),
        json!(arr_at(config, &["webhooks"]).len()),
        json!(age(config, now)),
    ]
}
