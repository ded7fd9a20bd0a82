//! Pod volumes on the host, for runtimes that mount directories (Docker):
//! emptyDir, hostPath, persistentVolumeClaim, configMap and secret. Each
//! pod's live under
//! `<data dir>/pods/<uid>/volumes/<plugin>/<name>`, named like upstream's
//! kubelet (`kubernetes.io~empty-dir`, …), and go when the pod goes.

use std::collections::BTreeMap;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{
    ConfigMap, Container, KeyToPath, PersistentVolume, PersistentVolumeClaim, Pod,
    ProjectedVolumeSource, Secret, ServiceAccountTokenProjection, Volume,
};

use super::runtime::Mount;
use crate::api::Kind;
use crate::store::Store;
use crate::tokens::{Bound, Claims, Tokens};

/// Why a pod's volume could not be set up; shown as a FailedMount event
/// with upstream's wording, while the pod waits in ContainerCreating.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    #[error("MountVolume.SetUp failed for volume \"{volume}\" : {reason}")]
    SetUp { volume: String, reason: String },
    #[error(
        "unable to attach or mount volumes: unmounted volumes=[{volume}]: volume \"{volume}\" is not defined in the pod's spec.volumes"
    )]
    Undefined { volume: String },
}

fn set_up(volume: &str, reason: impl ToString) -> VolumeError {
    VolumeError::SetUp {
        volume: volume.to_string(),
        reason: reason.to_string(),
    }
}

/// Upstream's default file mode for configMap and secret volumes.
const DEFAULT_MODE: u32 = 0o644;

/// Where one pod's volumes live on the host.
pub struct PodVolumes<'a> {
    pub root: &'a Path,
    pub store: &'a Store,
    pub pod: &'a Pod,
    pub tokens: Option<&'a Tokens>,
}

impl PodVolumes<'_> {
    fn pod_dir(&self) -> PathBuf {
        pod_dir(
            self.root,
            self.pod.metadata.uid.as_deref().unwrap_or("unknown"),
        )
    }

    fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or("")
    }

    /// Prepares the volumes `container` mounts and returns its mounts.
    /// ConfigMap and secret contents are (re)written at each start.
    pub fn mounts_for(&self, container: &Container) -> Result<Vec<Mount>, VolumeError> {
        let volumes = self
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.volumes.as_ref())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut mounts = Vec::new();
        for mount in container.volume_mounts.iter().flatten() {
            let volume = volumes
                .iter()
                .find(|v| v.name == mount.name)
                .ok_or_else(|| VolumeError::Undefined {
                    volume: mount.name.clone(),
                })?;
            let (mut host_path, always_read_only) = self.prepare(volume)?;
            if let Some(sub_path) = mount.sub_path.as_deref().filter(|p| !p.is_empty()) {
                host_path = host_path.join(sub_path);
                if !host_path.exists() {
                    std::fs::create_dir_all(&host_path).map_err(|e| set_up(&volume.name, e))?;
                }
            }
            mounts.push(Mount {
                host_path,
                container_path: mount.mount_path.clone(),
                read_only: always_read_only || mount.read_only == Some(true),
            });
        }
        Ok(mounts)
    }

    /// Makes the volume's directory ready; true when it is read-only by nature.
    fn prepare(&self, volume: &Volume) -> Result<(PathBuf, bool), VolumeError> {
        let name = volume.name.as_str();
        let dir = |plugin: &str| self.pod_dir().join("volumes").join(plugin).join(name);
        if volume.empty_dir.is_some() {
            let path = dir("kubernetes.io~empty-dir");
            create_shared_dir(&path).map_err(|e| set_up(name, e))?;
            return Ok((path, false));
        }
        if let Some(host) = &volume.host_path {
            return host_path(name, &host.path, host.type_.as_deref()).map(|p| (p, false));
        }
        if let Some(claim) = &volume.persistent_volume_claim {
            let path = self.claimed_path(name, &claim.claim_name)?;
            return Ok((path, claim.read_only == Some(true)));
        }
        if let Some(source) = &volume.config_map {
            let path = dir("kubernetes.io~configmap");
            let reference = source.name.as_str();
            let files = match self.store.get_as::<ConfigMap>(self.namespace(), reference) {
                Some(map) => {
                    let mut files: BTreeMap<String, Vec<u8>> = map
                        .data
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| (k, v.into_bytes()))
                        .collect();
                    files.extend(map.binary_data.into_iter().flatten().map(|(k, v)| (k, v.0)));
                    files
                }
                None if source.optional == Some(true) => BTreeMap::new(),
                None => return Err(set_up(name, format!("configmap \"{reference}\" not found"))),
            };
            let mode = source.default_mode.map_or(DEFAULT_MODE, mode_bits);
            write_files(&path, files, source.items.as_deref(), mode)
                .map_err(|e| set_up(name, e))?;
            return Ok((path, true));
        }
        if let Some(source) = &volume.secret {
            let path = dir("kubernetes.io~secret");
            let reference = source.secret_name.as_deref().unwrap_or_default();
            let files = match self.store.get_as::<Secret>(self.namespace(), reference) {
                Some(secret) => secret
                    .data
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k, v.0))
                    .collect(),
                None if source.optional == Some(true) => BTreeMap::new(),
                None => return Err(set_up(name, format!("secret \"{reference}\" not found"))),
            };
            let mode = source.default_mode.map_or(DEFAULT_MODE, mode_bits);
            write_files(&path, files, source.items.as_deref(), mode)
                .map_err(|e| set_up(name, e))?;
            return Ok((path, true));
        }
        if let Some(projected) = &volume.projected {
            let path = dir("kubernetes.io~projected");
            let mode = projected.default_mode.map_or(DEFAULT_MODE, mode_bits);
            let files = self
                .projected_files(projected, mode)
                .map_err(|e| set_up(name, e))?;
            let wanted: Vec<(String, Vec<u8>, u32)> =
                files.into_iter().map(|(k, (v, m))| (k, v, m)).collect();
            write_entries(&path, &wanted).map_err(|e| set_up(name, e))?;
            return Ok((path, true));
        }
        Err(set_up(
            name,
            "this volume type is not supported by podium (emptyDir, hostPath, persistentVolumeClaim, configMap, secret and projected are)",
        ))
    }

    /// The directory of the volume bound to the claim: a hostPath or
    /// local volume (podium's provisioner makes hostPath ones).
    fn claimed_path(&self, volume: &str, claim_name: &str) -> Result<PathBuf, VolumeError> {
        let claim: Option<PersistentVolumeClaim> = read_stored(
            self.store,
            Kind::PersistentVolumeClaim,
            self.namespace(),
            claim_name,
        );
        let Some(claim) = claim else {
            return Err(set_up(
                volume,
                format!("persistentvolumeclaim \"{claim_name}\" not found"),
            ));
        };
        let bound = claim.spec.as_ref().and_then(|s| s.volume_name.clone());
        let phase = claim.status.as_ref().and_then(|s| s.phase.clone());
        let (Some(bound), Some("Bound")) = (bound.filter(|b| !b.is_empty()), phase.as_deref())
        else {
            return Err(set_up(
                volume,
                format!(
                    "persistentvolumeclaim \"{claim_name}\" is not bound yet ({}); `kubectl describe pvc {claim_name}` says why",
                    phase.as_deref().unwrap_or("Pending")
                ),
            ));
        };
        let persistent: Option<PersistentVolume> =
            read_stored(self.store, Kind::PersistentVolume, "", &bound);
        let Some(persistent) = persistent else {
            return Err(set_up(
                volume,
                format!("persistentvolume \"{bound}\" not found"),
            ));
        };
        let spec = persistent.spec.unwrap_or_default();
        if let Some(host) = &spec.host_path {
            return host_path(volume, &host.path, Some("DirectoryOrCreate"));
        }
        if let Some(local) = &spec.local {
            return host_path(volume, &local.path, Some("Directory"));
        }
        Err(set_up(
            volume,
            format!(
                "persistentvolume \"{bound}\" is of a type podium cannot mount (hostPath and local are)"
            ),
        ))
    }

    /// The files of a projected volume (serviceAccountToken, configMap,
    /// secret and downwardAPI sources), path → content and mode.
    fn projected_files(
        &self,
        projected: &ProjectedVolumeSource,
        mode: u32,
    ) -> Result<BTreeMap<String, (Vec<u8>, u32)>, String> {
        let mut files = BTreeMap::new();
        let pick = |files: &mut BTreeMap<String, (Vec<u8>, u32)>,
                    all: BTreeMap<String, Vec<u8>>,
                    items: Option<&[KeyToPath]>| {
            match items {
                Some(items) => {
                    for item in items {
                        if let Some(content) = all.get(&item.key) {
                            files.insert(
                                item.path.clone(),
                                (content.clone(), item.mode.map_or(mode, mode_bits)),
                            );
                        }
                    }
                }
                None => files.extend(all.into_iter().map(|(k, v)| (k, (v, mode)))),
            }
        };
        for source in projected.sources.iter().flatten() {
            if let Some(token) = &source.service_account_token {
                let content = self.service_account_token(token)?;
                files.insert(token.path.clone(), (content.into_bytes(), mode));
            }
            if let Some(config_map) = &source.config_map {
                let name = config_map.name.as_str();
                match self.store.get_as::<ConfigMap>(self.namespace(), name) {
                    Some(map) => {
                        let mut all: BTreeMap<String, Vec<u8>> = map
                            .data
                            .into_iter()
                            .flatten()
                            .map(|(k, v)| (k, v.into_bytes()))
                            .collect();
                        all.extend(map.binary_data.into_iter().flatten().map(|(k, v)| (k, v.0)));
                        pick(&mut files, all, config_map.items.as_deref());
                    }
                    None if config_map.optional == Some(true) => {}
                    None => return Err(format!("configmap \"{name}\" not found")),
                }
            }
            if let Some(secret) = &source.secret {
                let name = secret.name.as_str();
                match self.store.get_as::<Secret>(self.namespace(), name) {
                    Some(found) => {
                        let all = found
                            .data
                            .into_iter()
                            .flatten()
                            .map(|(k, v)| (k, v.0))
                            .collect();
                        pick(&mut files, all, secret.items.as_deref());
                    }
                    None if secret.optional == Some(true) => {}
                    None => return Err(format!("secret \"{name}\" not found")),
                }
            }
            if let Some(downward) = &source.downward_api {
                for item in downward.items.iter().flatten() {
                    let Some(field) = &item.field_ref else {
                        continue;
                    };
                    let value = downward_field(self.pod, &field.field_path);
                    files.insert(
                        item.path.clone(),
                        (value.into_bytes(), item.mode.map_or(mode, mode_bits)),
                    );
                }
            }
        }
        Ok(files)
    }

    /// A token of the pod's ServiceAccount bound to the pod. Like
    /// kube-apiserver with its default --service-account-extend-token-expiration,
    /// a request for the default 3607 s gets a token valid for a year
    /// (podium writes it at each container start, not on a refresh timer).
    fn service_account_token(
        &self,
        source: &ServiceAccountTokenProjection,
    ) -> Result<String, String> {
        const EXTENDED: i64 = 365 * 24 * 3600;
        let Some(tokens) = self.tokens else {
            return Err("no ServiceAccount token signer on this node".to_string());
        };
        let spec = self.pod.spec.as_ref();
        let account_name = spec
            .and_then(|s| s.service_account_name.as_deref())
            .filter(|n| !n.is_empty())
            .unwrap_or("default");
        let account = self
            .store
            .get(
                crate::api::Kind::ServiceAccount,
                self.namespace(),
                account_name,
            )
            .ok_or_else(|| {
                format!("failed to fetch token: serviceaccounts \"{account_name}\" not found")
            })?;
        let requested = source.expiration_seconds.unwrap_or(3600);
        let lifetime = if requested == 3607 {
            EXTENDED
        } else {
            requested
        };
        let claims = Claims::service_account(
            self.namespace(),
            Bound {
                name: account_name.to_string(),
                uid: account.meta().uid.clone().unwrap_or_default(),
            },
            Some(Bound {
                name: self.pod.metadata.name.clone().unwrap_or_default(),
                uid: self.pod.metadata.uid.clone().unwrap_or_default(),
            }),
            source.audience.iter().cloned().collect(),
            lifetime,
            crate::clock::now().as_second(),
        );
        Ok(tokens.issue(&claims))
    }
}

/// A pod field as the downward API writes it.
fn downward_field(pod: &Pod, path: &str) -> String {
    let meta = &pod.metadata;
    let pairs = |map: Option<&BTreeMap<String, String>>| {
        map.into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match path {
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "metadata.labels" => pairs(meta.labels.as_ref()),
        "metadata.annotations" => pairs(meta.annotations.as_ref()),
        "spec.serviceAccountName" => pod
            .spec
            .as_ref()
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_default(),
        "spec.nodeName" => pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The directory of one pod's volumes.
pub fn pod_dir(root: &Path, uid: &str) -> PathBuf {
    root.join(uid)
}

/// Removes a pod's volumes once its containers are gone.
pub fn remove_pod_dir(root: &Path, uid: &str) {
    let dir = pod_dir(root, uid);
    if let Err(error) = std::fs::remove_dir_all(&dir)
        && error.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(%error, dir = %dir.display(), "could not remove a pod's volumes");
    }
}

/// A kind stored as JSON, read as its k8s-openapi type.
fn read_stored<T: serde::de::DeserializeOwned>(
    store: &Store,
    kind: Kind,
    namespace: &str,
    name: &str,
) -> Option<T> {
    let object = store.get(kind, namespace, name)?;
    serde_json::from_value(object.to_json()).ok()
}

fn mode_bits(mode: i32) -> u32 {
    u32::try_from(mode).unwrap_or(DEFAULT_MODE) & 0o777
}

/// A directory any container user can write (emptyDir's upstream mode).
fn create_shared_dir(path: &Path) -> io::Result<()> {
    std::fs::create_dir_all(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777))
}

/// hostPath with upstream's type checks.
fn host_path(volume: &str, path: &str, kind: Option<&str>) -> Result<PathBuf, VolumeError> {
    let path = PathBuf::from(path);
    let check = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(set_up(
                volume,
                format!(
                    "hostPath type check failed: {} is not a {what}",
                    path.display()
                ),
            ))
        }
    };
    match kind.unwrap_or("") {
        "DirectoryOrCreate" => {
            if !path.exists() {
                std::fs::create_dir_all(&path).map_err(|e| set_up(volume, e))?;
            }
            check(path.is_dir(), "directory")?;
        }
        "FileOrCreate" => {
            if !path.exists() {
                std::fs::File::create(&path).map_err(|e| set_up(volume, e))?;
            }
            check(path.is_file(), "file")?;
        }
        "Directory" => check(path.is_dir(), "directory")?,
        "File" => check(path.is_file(), "file")?,
        "Socket" | "CharDevice" | "BlockDevice" => check(path.exists(), "matching file")?,
        _ => {}
    }
    Ok(path)
}

/// Writes the keys (or the chosen `items`) as files. Files are rewritten in
/// place, never by replacing the directory, which a running container may
/// have mounted; keys that went away are removed.
fn write_files(
    dir: &Path,
    mut files: BTreeMap<String, Vec<u8>>,
    items: Option<&[KeyToPath]>,
    mode: u32,
) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let wanted: Vec<(String, Vec<u8>, u32)> = match items {
        Some(items) => items
            .iter()
            .filter_map(|item| {
                let content = files.remove(&item.key)?;
                Some((
                    item.path.clone(),
                    content,
                    item.mode.map_or(mode, mode_bits),
                ))
            })
            .collect(),
        None => files.into_iter().map(|(k, v)| (k, v, mode)).collect(),
    };
    write_entries(dir, &wanted)
}

/// Writes `wanted` (relative path, content, mode) under `dir` and removes
/// what else is there, so keys that went away go.
fn write_entries(dir: &Path, wanted: &[(String, Vec<u8>, u32)]) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (relative, content, mode) in wanted {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, content)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode))?;
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        let kept = wanted
            .iter()
            .any(|(relative, _, _)| relative.split('/').next() == Some(name.as_str()));
        if !kept {
            let path = entry.path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ConfigMapVolumeSource, EmptyDirVolumeSource, PodSpec, SecretVolumeSource, VolumeMount,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn pod(volumes: Vec<Volume>) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("default".into()),
                uid: Some("uid-1".into()),
                ..ObjectMeta::default()
            },
            spec: Some(PodSpec {
                volumes: Some(volumes),
                ..PodSpec::default()
            }),
            status: None,
        }
    }

    fn container(mounts: &[(&str, &str)]) -> Container {
        Container {
            name: "c".into(),
            volume_mounts: Some(
                mounts
                    .iter()
                    .map(|(name, path)| VolumeMount {
                        name: (*name).into(),
                        mount_path: (*path).into(),
                        ..VolumeMount::default()
                    })
                    .collect(),
            ),
            ..Container::default()
        }
    }

    #[test]
    fn config_maps_and_secrets_become_read_only_files() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = Store::in_memory_with_default_namespace();
        let map: ConfigMap = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "settings", "namespace": "default"},
            "data": {"greeting": "hello", "color": "blue"}
        }))
        .expect("configmap");
        store.create(map).expect("create configmap");
        let secret: Secret = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "creds", "namespace": "default"},
            "data": {"password": "czNjcjN0"}
        }))
        .expect("secret");
        store.create(secret).expect("create secret");
        let pod = pod(vec![
            Volume {
                name: "conf".into(),
                config_map: Some(ConfigMapVolumeSource {
                    name: "settings".into(),
                    ..ConfigMapVolumeSource::default()
                }),
                ..Volume::default()
            },
            Volume {
                name: "creds".into(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some("creds".into()),
                    ..SecretVolumeSource::default()
                }),
                ..Volume::default()
            },
            Volume {
                name: "scratch".into(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Volume::default()
            },
        ]);
        let volumes = PodVolumes {
            root: root.path(),
            store: &store,
            pod: &pod,
            tokens: None,
        };
        let mounts = volumes
            .mounts_for(&container(&[
                ("conf", "/etc/conf"),
                ("creds", "/etc/creds"),
                ("scratch", "/scratch"),
            ]))
            .expect("mounts");
        assert_eq!(mounts.len(), 3);
        let read = |m: &Mount, file: &str| {
            std::fs::read_to_string(m.host_path.join(file)).expect("file written")
        };
        assert_eq!(read(&mounts[0], "greeting"), "hello");
        assert!(mounts[0].read_only);
        assert_eq!(read(&mounts[1], "password"), "s3cr3t");
        assert!(mounts[1].read_only);
        assert!(!mounts[2].read_only);
        assert!(
            mounts[2]
                .host_path
                .ends_with("volumes/kubernetes.io~empty-dir/scratch")
        );

        remove_pod_dir(root.path(), "uid-1");
        assert!(!root.path().join("uid-1").exists());
    }

    #[test]
    fn a_missing_config_map_is_reported_like_upstream() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = Store::in_memory_with_default_namespace();
        let pod = pod(vec![Volume {
            name: "conf".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: "absent".into(),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        }]);
        let volumes = PodVolumes {
            root: root.path(),
            store: &store,
            pod: &pod,
            tokens: None,
        };
        let error = volumes
            .mounts_for(&container(&[("conf", "/etc/conf")]))
            .expect_err("missing configmap");
        assert_eq!(
            error.to_string(),
            "MountVolume.SetUp failed for volume \"conf\" : configmap \"absent\" not found"
        );
    }

    #[test]
    fn keys_that_went_away_are_removed_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut files = BTreeMap::new();
        files.insert("a".to_string(), b"1".to_vec());
        files.insert("b".to_string(), b"2".to_vec());
        write_files(dir.path(), files, None, DEFAULT_MODE).expect("write");
        let mut files = BTreeMap::new();
        files.insert("a".to_string(), b"3".to_vec());
        write_files(dir.path(), files, None, DEFAULT_MODE).expect("rewrite");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a")).expect("a"),
            "3"
        );
        assert!(!dir.path().join("b").exists());
    }
}
