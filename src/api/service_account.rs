//! The ServiceAccount admission plugin's token mount
//! (plugin/pkg/admission/serviceaccount): a new pod gets a projected
//! `kube-api-access-xxxxx` volume with its account's token, the cluster's
//! CA and its namespace, mounted read-only at
//! /var/run/secrets/kubernetes.io/serviceaccount in every container,
//! unless the pod or its account turns automounting off or a container
//! already mounts something there.

use k8s_openapi::api::core::v1::{
    ConfigMapProjection, DownwardAPIProjection, DownwardAPIVolumeFile, KeyToPath,
    ObjectFieldSelector, Pod, ProjectedVolumeSource, ServiceAccountTokenProjection, Volume,
    VolumeMount, VolumeProjection,
};

use super::Object;

/// The ConfigMap with the cluster's CA every namespace holds.
pub const ROOT_CA_CONFIG_MAP: &str = "kube-root-ca.crt";
pub const MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// What upstream asks for, so the kubelet refreshes it hourly.
const TOKEN_SECONDS: i64 = 3607;
/// The characters of generated name suffixes (apimachinery's rand.String).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// The pod's choice, else its account's, else yes. `account` finds the
/// ServiceAccount by namespace and name.
fn automount(pod: &Pod, account: impl Fn(&str, &str) -> Option<Object>) -> bool {
    let spec = pod.spec.as_ref();
    if let Some(choice) = spec.and_then(|s| s.automount_service_account_token) {
        return choice;
    }
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    let name = spec
        .and_then(|s| s.service_account_name.as_deref())
        .unwrap_or("default");
    account(namespace, name)
        .and_then(|a| {
            a.as_dynamic()
                .and_then(|d| d.fields.get("automountServiceAccountToken"))
                .and_then(serde_json::Value::as_bool)
        })
        .unwrap_or(true)
}

fn volume(name: String) -> Volume {
    Volume {
        name,
        projected: Some(ProjectedVolumeSource {
            default_mode: Some(0o644),
            sources: Some(vec![
                VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        expiration_seconds: Some(TOKEN_SECONDS),
                        path: "token".into(),
                        audience: None,
                    }),
                    ..Default::default()
                },
                VolumeProjection {
                    config_map: Some(ConfigMapProjection {
                        name: ROOT_CA_CONFIG_MAP.into(),
                        items: Some(vec![KeyToPath {
                            key: "ca.crt".into(),
                            path: "ca.crt".into(),
                            mode: None,
                        }]),
                        optional: None,
                    }),
                    ..Default::default()
                },
                VolumeProjection {
                    downward_api: Some(DownwardAPIProjection {
                        items: Some(vec![DownwardAPIVolumeFile {
                            path: "namespace".into(),
                            field_ref: Some(ObjectFieldSelector {
                                api_version: Some("v1".into()),
                                field_path: "metadata.namespace".into(),
                            }),
                            ..Default::default()
                        }]),
                    }),
                    ..Default::default()
                },
            ]),
        }),
        ..Default::default()
    }
}

/// Adds the token volume and mounts to a pod being created.
pub fn mount_token(pod: &mut Pod, account: impl Fn(&str, &str) -> Option<Object>) {
    if !automount(pod, account) {
        return;
    }
    let Some(spec) = pod.spec.as_mut() else {
        return;
    };
    let suffix: String = (0..5)
        .map(|_| ALPHANUMS[rand::random_range(0..ALPHANUMS.len())] as char)
        .collect();
    let name = format!("kube-api-access-{suffix}");
    let mut mounted = false;
    let containers = spec
        .init_containers
        .iter_mut()
        .flatten()
        .chain(spec.containers.iter_mut());
    for container in containers {
        let mounts = container.volume_mounts.get_or_insert_with(Vec::new);
        if mounts.iter().any(|m| m.mount_path == MOUNT_PATH) {
            continue;
        }
        mounts.push(VolumeMount {
            name: name.clone(),
            mount_path: MOUNT_PATH.into(),
            read_only: Some(true),
            ..Default::default()
        });
        mounted = true;
    }
    if mounted {
        spec.volumes.get_or_insert_with(Vec::new).push(volume(name));
    }
}
