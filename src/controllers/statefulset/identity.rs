//! A StatefulSet pod's identity and storage (stateful_set_utils.go): the
//! name `<set>-<ordinal>`, the hostname and subdomain that give it a DNS
//! name under the set's headless Service, the labels naming it, and one
//! claim per volumeClaimTemplate, `<template>-<set>-<ordinal>`.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::api::Object;
use crate::controllers::util::controller_ref;

/// The label naming the pod (a Service can select one ordinal).
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// The label carrying the ordinal.
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
/// The label naming the ControllerRevision a pod was made from.
pub const REVISION_LABEL: &str = "controller-revision-hash";

pub fn set_name(set: &StatefulSet) -> &str {
    set.metadata.name.as_deref().unwrap_or("")
}

/// The first ordinal (`spec.ordinals.start`, 0 unless set).
pub fn start_ordinal(set: &StatefulSet) -> i32 {
    set.spec
        .as_ref()
        .and_then(|s| s.ordinals.as_ref())
        .and_then(|o| o.start)
        .unwrap_or(0)
}

/// The ordinal of a pod named `<set>-<n>`, if it is one of the set's.
pub fn ordinal_of(set: &StatefulSet, pod: &Pod) -> Option<i32> {
    let name = pod.metadata.name.as_deref()?;
    let rest = name.strip_prefix(set_name(set))?.strip_prefix('-')?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

pub fn pod_name(set: &StatefulSet, ordinal: i32) -> String {
    format!("{}-{ordinal}", set_name(set))
}

pub fn claim_name(template: &PersistentVolumeClaim, set: &StatefulSet, ordinal: i32) -> String {
    format!(
        "{}-{}-{ordinal}",
        template.metadata.name.as_deref().unwrap_or(""),
        set_name(set)
    )
}

pub fn revision_of(pod: &Pod) -> Option<&str> {
    pod.metadata
        .labels
        .as_ref()?
        .get(REVISION_LABEL)
        .map(String::as_str)
}

/// The claims the pod at `ordinal` mounts, as they are created: the
/// templates named for the ordinal, labelled with the set's selector.
pub fn claims_for(set: &StatefulSet, ordinal: i32) -> Vec<PersistentVolumeClaim> {
    let Some(spec) = set.spec.as_ref() else {
        return Vec::new();
    };
    let selector_labels = spec.selector.match_labels.clone().unwrap_or_default();
    spec.volume_claim_templates
        .iter()
        .flatten()
        .map(|template| {
            let mut claim = template.clone();
            claim.metadata = ObjectMeta {
                name: Some(claim_name(template, set, ordinal)),
                namespace: set.metadata.namespace.clone(),
                labels: {
                    let mut labels = template.metadata.labels.clone().unwrap_or_default();
                    labels.extend(selector_labels.clone());
                    (!labels.is_empty()).then_some(labels)
                },
                annotations: template.metadata.annotations.clone(),
                ..ObjectMeta::default()
            };
            claim.status = None;
            claim
        })
        .collect()
}

/// A new pod for `ordinal` from `template` (the template of the revision
/// it belongs to), named and labelled as upstream's newStatefulSetPod.
pub fn new_pod(
    set: &StatefulSet,
    set_object: &Object,
    template: &PodTemplateSpec,
    ordinal: i32,
    revision: &str,
) -> Pod {
    let name = pod_name(set, ordinal);
    let template_meta = template.metadata.clone().unwrap_or_default();
    let mut labels = template_meta.labels.unwrap_or_default();
    labels.insert(POD_NAME_LABEL.to_string(), name.clone());
    labels.insert(POD_INDEX_LABEL.to_string(), ordinal.to_string());
    labels.insert(REVISION_LABEL.to_string(), revision.to_string());
    let mut spec = template.spec.clone().unwrap_or_default();
    spec.hostname = Some(name.clone());
    let service = set
        .spec
        .as_ref()
        .and_then(|s| s.service_name.clone())
        .filter(|s| !s.is_empty());
    if service.is_some() {
        spec.subdomain = service;
    }
    let claims = claims_for(set, ordinal);
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    for (template, claim) in set
        .spec
        .iter()
        .flat_map(|s| s.volume_claim_templates.iter().flatten())
        .zip(&claims)
    {
        let volume_name = template.metadata.name.clone().unwrap_or_default();
        volumes.retain(|v| v.name != volume_name);
        volumes.push(Volume {
            name: volume_name,
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.metadata.name.clone().unwrap_or_default(),
                read_only: None,
            }),
            ..Volume::default()
        });
    }
    if volumes.is_empty() {
        spec.volumes = None;
    }
    Pod {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: set.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: template_meta.annotations,
            finalizers: template_meta.finalizers,
            owner_references: Some(vec![controller_ref(set_object)]),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> StatefulSet {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "namespace": "default", "uid": "u1"},
            "spec": {
                "serviceName": "nginx",
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {"metadata": {"labels": {"app": "nginx"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx",
                        "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}]}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "www"},
                    "spec": {"accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}}}}]
            }
        }))
        .expect("set")
    }

    #[test]
    fn pods_are_named_by_ordinal_and_mount_their_own_claims() {
        let set = set();
        let object = crate::controllers::util::object_of(crate::api::Kind::StatefulSet, &set)
            .expect("object");
        let template = set.spec.as_ref().expect("spec").template.clone();
        let pod = new_pod(&set, &object, &template, 2, "web-abc");
        assert_eq!(pod.metadata.name.as_deref(), Some("web-2"));
        let labels = pod.metadata.labels.clone().expect("labels");
        assert_eq!(labels[POD_NAME_LABEL], "web-2");
        assert_eq!(labels[POD_INDEX_LABEL], "2");
        assert_eq!(labels[REVISION_LABEL], "web-abc");
        let spec = pod.spec.as_ref().expect("spec");
        assert_eq!(spec.hostname.as_deref(), Some("web-2"));
        assert_eq!(spec.subdomain.as_deref(), Some("nginx"));
        let volume = &spec.volumes.as_ref().expect("volumes")[0];
        assert_eq!(
            volume
                .persistent_volume_claim
                .as_ref()
                .map(|c| c.claim_name.as_str()),
            Some("www-web-2")
        );
        assert_eq!(ordinal_of(&set, &pod), Some(2));
        let claim = &claims_for(&set, 2)[0];
        assert_eq!(claim.metadata.name.as_deref(), Some("www-web-2"));
        assert_eq!(
            claim.metadata.labels.as_ref().expect("labels")["app"],
            "nginx"
        );
    }

    #[test]
    fn only_pods_named_after_the_set_have_an_ordinal() {
        let set = set();
        let named = |name: &str| Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            ..Pod::default()
        };
        assert_eq!(ordinal_of(&set, &named("web-10")), Some(10));
        assert_eq!(ordinal_of(&set, &named("web-")), None);
        assert_eq!(ordinal_of(&set, &named("web-x1")), None);
        assert_eq!(ordinal_of(&set, &named("webby-1")), None);
    }
}
