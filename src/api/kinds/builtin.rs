//! The built-in kinds, one line each. Adding a kind podium stores without
//! reading its fields is one line here; nothing else needs a match arm.

use k8s_openapi::api as k8s;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{ALL_VERBS, CREATE_ONLY, Kind, KindInfo, READ_ONLY, SchemaFn, Storage};
use crate::api::object::ParseError;

/// Reads `value` as `T` and writes it back (see [`super::RoundTrip`]).
fn round_trip<T: Serialize + DeserializeOwned>(value: Value) -> Result<Value, ParseError> {
    let typed: T = serde_path_to_error::deserialize(value)?;
    // Serialising a k8s-openapi type cannot fail: all maps have string keys.
    Ok(serde_json::to_value(typed).unwrap_or(Value::Null))
}

/// Adds `T`'s schema to the generator (see [`SchemaFn`]).
fn schema_of<T: schemars::JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
) -> schemars::Schema {
    generator.subschema_for::<T>()
}

/// How a kind is stored, and its schema.
struct Entry {
    storage: Storage,
    schema: Option<SchemaFn>,
}

const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];

macro_rules! builtin_kinds {
    ($(
        $konst:ident: $storage:expr, $group:literal / $version:literal $extra:expr,
        $plural:literal $singular:literal $short:expr, $namespaced:literal,
        $categories:expr, $subresources:expr, $verbs:expr;
    )*) => {
        #[repr(u32)]
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        enum Index { $($konst),* }

        #[allow(non_upper_case_globals)]
        impl Kind {
            $(pub const $konst: Kind = Kind(Index::$konst as u32);)*
        }

        pub(super) static BUILTIN: &[KindInfo] = &[$(
            KindInfo {
                kind: Kind::$konst,
                group: $group,
                version: $version,
                extra_versions: $extra,
                kind_name: stringify!($konst),
                plural: $plural,
                singular: $singular,
                short_names: $short,
                namespaced: $namespaced,
                categories: $categories,
                subresources: $subresources,
                verbs: $verbs,
                storage: $storage.storage,
                schema: $storage.schema,
            },
        )*];
    };
}

/// A kind stored as its k8s-openapi type `$ty`.
macro_rules! typed {
    ($ty:ty) => {
        Entry {
            storage: Storage::Typed,
            schema: Some(schema_of::<$ty>),
        }
    };
}

/// A kind stored as JSON and checked against its k8s-openapi type `$ty`.
macro_rules! generic {
    ($ty:ty) => {
        Entry {
            storage: Storage::Generic(Some(round_trip::<$ty>)),
            schema: Some(schema_of::<$ty>),
        }
    };
}

builtin_kinds! {
    // The kinds podium's controllers, scheduler and kubelet read: typed.
    Namespace: typed!(k8s::core::v1::Namespace), "" / "v1" NONE, "namespaces" "namespace" &["ns"], false, NONE, &["status", "finalize"], ALL_VERBS;
    Node: typed!(k8s::core::v1::Node), "" / "v1" NONE, "nodes" "node" &["no"], false, NONE, &["status", "proxy"], ALL_VERBS;
    Pod: typed!(k8s::core::v1::Pod), "" / "v1" NONE, "pods" "pod" &["po"], true, ALL, &["status", "log", "exec", "portforward", "binding", "eviction", "attach"], ALL_VERBS;
    ReplicaSet: typed!(k8s::apps::v1::ReplicaSet), "apps" / "v1" NONE, "replicasets" "replicaset" &["rs"], true, ALL, &["status", "scale"], ALL_VERBS;
    Deployment: typed!(k8s::apps::v1::Deployment), "apps" / "v1" NONE, "deployments" "deployment" &["deploy"], true, ALL, &["status", "scale"], ALL_VERBS;
    Service: typed!(k8s::core::v1::Service), "" / "v1" NONE, "services" "service" &["svc"], true, ALL, &["status", "proxy"], ALL_VERBS;
    Endpoints: typed!(k8s::core::v1::Endpoints), "" / "v1" NONE, "endpoints" "endpoints" &["ep"], true, NONE, NONE, ALL_VERBS;
    Ingress: typed!(k8s::networking::v1::Ingress), "networking.k8s.io" / "v1" &["v1beta1"], "ingresses" "ingress" &["ing"], true, NONE, &["status"], ALL_VERBS;
    ConfigMap: typed!(k8s::core::v1::ConfigMap), "" / "v1" NONE, "configmaps" "configmap" &["cm"], true, NONE, NONE, ALL_VERBS;
    Secret: typed!(k8s::core::v1::Secret), "" / "v1" NONE, "secrets" "secret" NONE, true, NONE, NONE, ALL_VERBS;
    Event: typed!(k8s::core::v1::Event), "" / "v1" NONE, "events" "event" &["ev"], true, NONE, NONE, ALL_VERBS;

    // core/v1, stored generically.
    ServiceAccount: generic!(k8s::core::v1::ServiceAccount), "" / "v1" NONE, "serviceaccounts" "serviceaccount" &["sa"], true, NONE, &["token"], ALL_VERBS;
    PersistentVolume: generic!(k8s::core::v1::PersistentVolume), "" / "v1" NONE, "persistentvolumes" "persistentvolume" &["pv"], false, NONE, &["status"], ALL_VERBS;
    PersistentVolumeClaim: generic!(k8s::core::v1::PersistentVolumeClaim), "" / "v1" NONE, "persistentvolumeclaims" "persistentvolumeclaim" &["pvc"], true, NONE, &["status"], ALL_VERBS;
    ResourceQuota: generic!(k8s::core::v1::ResourceQuota), "" / "v1" NONE, "resourcequotas" "resourcequota" &["quota"], true, NONE, &["status"], ALL_VERBS;
    LimitRange: generic!(k8s::core::v1::LimitRange), "" / "v1" NONE, "limitranges" "limitrange" &["limits"], true, NONE, NONE, ALL_VERBS;
    ReplicationController: generic!(k8s::core::v1::ReplicationController), "" / "v1" NONE, "replicationcontrollers" "replicationcontroller" &["rc"], true, ALL, &["status", "scale"], ALL_VERBS;
    PodTemplate: generic!(k8s::core::v1::PodTemplate), "" / "v1" NONE, "podtemplates" "podtemplate" NONE, true, NONE, NONE, ALL_VERBS;

    // apps/v1
    StatefulSet: generic!(k8s::apps::v1::StatefulSet), "apps" / "v1" NONE, "statefulsets" "statefulset" &["sts"], true, ALL, &["status", "scale"], ALL_VERBS;
    DaemonSet: generic!(k8s::apps::v1::DaemonSet), "apps" / "v1" NONE, "daemonsets" "daemonset" &["ds"], true, ALL, &["status"], ALL_VERBS;
    ControllerRevision: generic!(k8s::apps::v1::ControllerRevision), "apps" / "v1" NONE, "controllerrevisions" "controllerrevision" NONE, true, NONE, NONE, ALL_VERBS;

    // batch/v1
    Job: generic!(k8s::batch::v1::Job), "batch" / "v1" NONE, "jobs" "job" NONE, true, ALL, &["status"], ALL_VERBS;
    CronJob: generic!(k8s::batch::v1::CronJob), "batch" / "v1" NONE, "cronjobs" "cronjob" &["cj"], true, ALL, &["status"], ALL_VERBS;

    // autoscaling, policy
    HorizontalPodAutoscaler: generic!(k8s::autoscaling::v2::HorizontalPodAutoscaler), "autoscaling" / "v2" NONE, "horizontalpodautoscalers" "horizontalpodautoscaler" &["hpa"], true, ALL, &["status"], ALL_VERBS;
    PodDisruptionBudget: generic!(k8s::policy::v1::PodDisruptionBudget), "policy" / "v1" NONE, "poddisruptionbudgets" "poddisruptionbudget" &["pdb"], true, NONE, &["status"], ALL_VERBS;

    // networking, discovery, coordination, node
    NetworkPolicy: generic!(k8s::networking::v1::NetworkPolicy), "networking.k8s.io" / "v1" NONE, "networkpolicies" "networkpolicy" &["netpol"], true, NONE, NONE, ALL_VERBS;
    IngressClass: generic!(k8s::networking::v1::IngressClass), "networking.k8s.io" / "v1" NONE, "ingressclasses" "ingressclass" NONE, false, NONE, NONE, ALL_VERBS;
    EndpointSlice: generic!(k8s::discovery::v1::EndpointSlice), "discovery.k8s.io" / "v1" NONE, "endpointslices" "endpointslice" NONE, true, NONE, NONE, ALL_VERBS;
    Lease: generic!(k8s::coordination::v1::Lease), "coordination.k8s.io" / "v1" NONE, "leases" "lease" NONE, true, NONE, NONE, ALL_VERBS;
    RuntimeClass: generic!(k8s::node::v1::RuntimeClass), "node.k8s.io" / "v1" NONE, "runtimeclasses" "runtimeclass" NONE, false, NONE, NONE, ALL_VERBS;

    // rbac.authorization.k8s.io/v1
    Role: generic!(k8s::rbac::v1::Role), "rbac.authorization.k8s.io" / "v1" NONE, "roles" "role" NONE, true, NONE, NONE, ALL_VERBS;
    ClusterRole: generic!(k8s::rbac::v1::ClusterRole), "rbac.authorization.k8s.io" / "v1" NONE, "clusterroles" "clusterrole" NONE, false, NONE, NONE, ALL_VERBS;
    RoleBinding: generic!(k8s::rbac::v1::RoleBinding), "rbac.authorization.k8s.io" / "v1" NONE, "rolebindings" "rolebinding" NONE, true, NONE, NONE, ALL_VERBS;
    ClusterRoleBinding: generic!(k8s::rbac::v1::ClusterRoleBinding), "rbac.authorization.k8s.io" / "v1" NONE, "clusterrolebindings" "clusterrolebinding" NONE, false, NONE, NONE, ALL_VERBS;

    // storage.k8s.io/v1, scheduling.k8s.io/v1
    StorageClass: generic!(k8s::storage::v1::StorageClass), "storage.k8s.io" / "v1" NONE, "storageclasses" "storageclass" &["sc"], false, NONE, NONE, ALL_VERBS;
    CSIDriver: generic!(k8s::storage::v1::CSIDriver), "storage.k8s.io" / "v1" NONE, "csidrivers" "csidriver" NONE, false, NONE, NONE, ALL_VERBS;
    CSINode: generic!(k8s::storage::v1::CSINode), "storage.k8s.io" / "v1" NONE, "csinodes" "csinode" NONE, false, NONE, NONE, ALL_VERBS;
    CSIStorageCapacity: generic!(k8s::storage::v1::CSIStorageCapacity), "storage.k8s.io" / "v1" NONE, "csistoragecapacities" "csistoragecapacity" NONE, true, NONE, NONE, ALL_VERBS;
    VolumeAttachment: generic!(k8s::storage::v1::VolumeAttachment), "storage.k8s.io" / "v1" NONE, "volumeattachments" "volumeattachment" NONE, false, NONE, &["status"], ALL_VERBS;
    PriorityClass: generic!(k8s::scheduling::v1::PriorityClass), "scheduling.k8s.io" / "v1" NONE, "priorityclasses" "priorityclass" &["pc"], false, NONE, NONE, ALL_VERBS;

    // Cluster extension points: stored and listed; podium does not call
    // webhooks or aggregated servers (the README says so).
    CustomResourceDefinition: generic!(k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition), "apiextensions.k8s.io" / "v1" NONE, "customresourcedefinitions" "customresourcedefinition" &["crd", "crds"], false, &["api-extensions"], &["status"], ALL_VERBS;
    APIService: Entry { storage: Storage::Generic(None), schema: None }, "apiregistration.k8s.io" / "v1" NONE, "apiservices" "apiservice" NONE, false, &["api-extensions"], &["status"], ALL_VERBS;
    MutatingWebhookConfiguration: generic!(k8s::admissionregistration::v1::MutatingWebhookConfiguration), "admissionregistration.k8s.io" / "v1" NONE, "mutatingwebhookconfigurations" "mutatingwebhookconfiguration" NONE, false, &["api-extensions"], NONE, ALL_VERBS;
    ValidatingWebhookConfiguration: generic!(k8s::admissionregistration::v1::ValidatingWebhookConfiguration), "admissionregistration.k8s.io" / "v1" NONE, "validatingwebhookconfigurations" "validatingwebhookconfiguration" NONE, false, &["api-extensions"], NONE, ALL_VERBS;
    ValidatingAdmissionPolicy: generic!(k8s::admissionregistration::v1::ValidatingAdmissionPolicy), "admissionregistration.k8s.io" / "v1" NONE, "validatingadmissionpolicies" "validatingadmissionpolicy" NONE, false, &["api-extensions"], &["status"], ALL_VERBS;
    ValidatingAdmissionPolicyBinding: generic!(k8s::admissionregistration::v1::ValidatingAdmissionPolicyBinding), "admissionregistration.k8s.io" / "v1" NONE, "validatingadmissionpolicybindings" "validatingadmissionpolicybinding" NONE, false, &["api-extensions"], NONE, ALL_VERBS;
    FlowSchema: generic!(k8s::flowcontrol::v1::FlowSchema), "flowcontrol.apiserver.k8s.io" / "v1" NONE, "flowschemas" "flowschema" NONE, false, NONE, &["status"], ALL_VERBS;
    PriorityLevelConfiguration: generic!(k8s::flowcontrol::v1::PriorityLevelConfiguration), "flowcontrol.apiserver.k8s.io" / "v1" NONE, "prioritylevelconfigurations" "prioritylevelconfiguration" NONE, false, NONE, &["status"], ALL_VERBS;
    CertificateSigningRequest: generic!(k8s::certificates::v1::CertificateSigningRequest), "certificates.k8s.io" / "v1" NONE, "certificatesigningrequests" "certificatesigningrequest" &["csr"], false, NONE, &["status", "approval"], ALL_VERBS;

    // Resource metrics: podium is its own metrics-server (`apiserver::metrics`).
    PodMetrics: Entry { storage: Storage::Generic(None), schema: None }, "metrics.k8s.io" / "v1beta1" NONE, "pods" "podmetrics" NONE, true, NONE, NONE, READ_ONLY;
    NodeMetrics: Entry { storage: Storage::Generic(None), schema: None }, "metrics.k8s.io" / "v1beta1" NONE, "nodes" "nodemetrics" NONE, false, NONE, NONE, READ_ONLY;

    // Reviews: answered on create, never stored.
    SelfSubjectAccessReview: generic!(k8s::authorization::v1::SelfSubjectAccessReview), "authorization.k8s.io" / "v1" NONE, "selfsubjectaccessreviews" "selfsubjectaccessreview" NONE, false, NONE, NONE, CREATE_ONLY;
    SelfSubjectRulesReview: generic!(k8s::authorization::v1::SelfSubjectRulesReview), "authorization.k8s.io" / "v1" NONE, "selfsubjectrulesreviews" "selfsubjectrulesreview" NONE, false, NONE, NONE, CREATE_ONLY;
    SubjectAccessReview: generic!(k8s::authorization::v1::SubjectAccessReview), "authorization.k8s.io" / "v1" NONE, "subjectaccessreviews" "subjectaccessreview" NONE, false, NONE, NONE, CREATE_ONLY;
    LocalSubjectAccessReview: generic!(k8s::authorization::v1::LocalSubjectAccessReview), "authorization.k8s.io" / "v1" NONE, "localsubjectaccessreviews" "localsubjectaccessreview" NONE, true, NONE, NONE, CREATE_ONLY;
    TokenReview: generic!(k8s::authentication::v1::TokenReview), "authentication.k8s.io" / "v1" NONE, "tokenreviews" "tokenreview" NONE, false, NONE, NONE, CREATE_ONLY;
    SelfSubjectReview: generic!(k8s::authentication::v1::SelfSubjectReview), "authentication.k8s.io" / "v1" NONE, "selfsubjectreviews" "selfsubjectreview" NONE, false, NONE, NONE, CREATE_ONLY;
}

impl Kind {
    /// The kinds stored as their k8s-openapi type, in the table's order.
    pub const TYPED: [Kind; 11] = [
        Kind::Namespace,
        Kind::Node,
        Kind::Pod,
        Kind::ReplicaSet,
        Kind::Deployment,
        Kind::Service,
        Kind::Endpoints,
        Kind::Ingress,
        Kind::ConfigMap,
        Kind::Secret,
        Kind::Event,
    ];
}
