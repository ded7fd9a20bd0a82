//! Claims and volumes (pkg/controller/volume/persistentvolume and
//! pvcprotection, with the host-path provisioner minikube and kind ship):
//!
//! - A claim without a class gets the default one, as upstream's
//!   retroactive default StorageClass assignment does.
//! - A pending claim binds to the smallest Available volume that fits
//!   (class, access modes, volume mode, size, selector), or to the one it
//!   names in `spec.volumeName`.
//! - Failing that, a claim of podium's class (`standard`, the default)
//!   gets a new volume `pvc-<claim uid>`: a directory under the data
//!   directory, kept across restarts. `WaitForFirstConsumer` waits for a
//!   pod to use the claim first.
//! - A volume whose claim is gone is Released, and deleted (with its
//!   directory, for the ones podium made) when its reclaim policy says so.
//! - The `kubernetes.io/pvc-protection` and `pv-protection` finalizers go
//!   once no pod uses the claim, and once no claim is bound to the volume.

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use serde_json::{Value, json};

use super::ControllerError;
use super::runner::Reconciler;
use super::util::{create, keys_of, read_as, selector_matches};
use crate::api::quantity::parse_quantity;
use crate::api::strategy::{PV_PROTECTION, PVC_PROTECTION};
use crate::api::{Kind, Object};
use crate::events::{EventRecorder, EventType};
use crate::store::{
    DeleteOptions, ListFilter, ObjectKey, Store, StoreError, UpdateScope, WatchEvent,
};

/// podium's provisioner, named in its StorageClass.
pub const PROVISIONER: &str = "podium.dev/hostpath";
/// The class podium provisions for, made at start when missing.
pub const DEFAULT_CLASS: &str = "standard";
/// Marks the cluster's default StorageClass.
pub const IS_DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
const PROVISIONED_BY: &str = "pv.kubernetes.io/provisioned-by";
const BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";
const BIND_COMPLETED: &str = "pv.kubernetes.io/bind-completed";
const STORAGE_PROVISIONER: &str = "volume.kubernetes.io/storage-provisioner";

pub struct VolumeController {
    store: Store,
    recorder: EventRecorder,
    /// Where provisioned volumes live (`None`: nothing is removed on delete).
    volumes_dir: Option<PathBuf>,
}

impl VolumeController {
    /// The controller; podium's default StorageClass is made if missing.
    pub fn new(store: Store, volumes_dir: Option<PathBuf>) -> VolumeController {
        ensure_default_class(&store);
        let recorder = EventRecorder::new(store.clone(), "persistentvolume-controller", None);
        VolumeController {
            store,
            recorder,
            volumes_dir,
        }
    }
}

/// The `standard` class, as minikube's storage-provisioner addon makes it.
fn ensure_default_class(store: &Store) {
    if store.get(Kind::StorageClass, "", DEFAULT_CLASS).is_some() {
        return;
    }
    let class = json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": DEFAULT_CLASS, "annotations": {IS_DEFAULT_CLASS: "true"}},
        "provisioner": PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    });
    let Ok(object) = Object::from_json(Kind::StorageClass, class) else {
        return;
    };
    match create(store, object) {
        Ok(_) | Err(StoreError::AlreadyExists { .. }) => {}
        Err(error) => tracing::warn!(%error, "cannot create the default StorageClass"),
    }
}

impl Reconciler for VolumeController {
    fn name(&self) -> &'static str {
        "persistentvolume"
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[
            Kind::PersistentVolumeClaim,
            Kind::PersistentVolume,
            Kind::Pod,
            Kind::StorageClass,
        ])
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        let object = &*event.object;
        match object.kind() {
            Kind::PersistentVolumeClaim => {
                // The volume learns of its claim's changes (and its going).
                let mut keys = vec![ObjectKey::of(object)];
                if let Some(volume) = spec_field(object, "volumeName").and_then(|v| v.as_str()) {
                    keys.push(ObjectKey::new(Kind::PersistentVolume, "", volume));
                }
                keys
            }
            Kind::PersistentVolume => {
                let mut keys = vec![ObjectKey::of(object)];
                let claim = spec_field(object, "claimRef");
                let field = |key: &str| claim.and_then(|c| c[key].as_str());
                if let (Some(namespace), Some(name)) = (field("namespace"), field("name")) {
                    keys.push(ObjectKey::new(Kind::PersistentVolumeClaim, namespace, name));
                }
                keys
            }
            Kind::Pod => match &*event.object {
                Object::Pod(pod) => claims_of(pod)
                    .map(|name| {
                        ObjectKey::new(Kind::PersistentVolumeClaim, object.namespace(), name)
                    })
                    .collect(),
                _ => Vec::new(),
            },
            Kind::StorageClass => keys_of(&self.store, Kind::PersistentVolumeClaim),
            _ => Vec::new(),
        }
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        let mut keys = keys_of(&self.store, Kind::PersistentVolumeClaim);
        keys.extend(keys_of(&self.store, Kind::PersistentVolume));
        keys
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        match key.kind {
            Kind::PersistentVolumeClaim => self.sync_claim(key),
            Kind::PersistentVolume => self.sync_volume(key),
            _ => Ok(None),
        }
    }
}

impl VolumeController {
    fn sync_claim(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(object) = self.store.get(key.kind, &key.namespace, &key.name) else {
            return Ok(None);
        };
        let claim: PersistentVolumeClaim = read_as(&object)?;
        if claim.metadata.deletion_timestamp.is_some() {
            if !self.claim_in_use(&claim) {
                self.remove_finalizer(&object, PVC_PROTECTION)?;
            }
            return Ok(None);
        }
        let spec = claim.spec.clone().unwrap_or_default();
        if spec.storage_class_name.is_none()
            && let Some(class) = self.default_class()
        {
            self.store.mutate_json(
                key.kind,
                &key.namespace,
                &key.name,
                UpdateScope::Main,
                |value| {
                    if !value["spec"]["storageClassName"].is_null() {
                        return false;
                    }
                    value["spec"]["storageClassName"] = json!(class);
                    true
                },
            )?;
            return Ok(None);
        }
        let phase = claim.status.as_ref().and_then(|s| s.phase.as_deref());
        if phase == Some("Bound") {
            return self.check_bound_claim(&object, &claim);
        }
        if let Some(volume) = self.matching_volume(&claim)? {
            return self.bind(&volume, &object, &claim);
        }
        if spec.volume_name.as_deref().is_some_and(|v| !v.is_empty()) {
            // Waiting for the volume it names.
            return Ok(None);
        }
        let class_name = spec.storage_class_name.unwrap_or_default();
        if class_name.is_empty() {
            self.recorder.record(
                &object,
                EventType::Normal,
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            );
            return Ok(None);
        }
        let Some(class) = self.store.get(Kind::StorageClass, "", &class_name) else {
            self.recorder.record(
                &object,
                EventType::Warning,
                "ProvisioningFailed",
                &format!("storageclass.storage.k8s.io \"{class_name}\" not found"),
            );
            return Ok(None);
        };
        let class: StorageClass = read_as(&class)?;
        if class.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer")
            && !self.claim_in_use(&claim)
        {
            self.recorder.record(
                &object,
                EventType::Normal,
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
            );
            return Ok(None);
        }
        if class.provisioner != PROVISIONER {
            self.recorder.record(
                &object,
                EventType::Normal,
                "ExternalProvisioning",
                &format!(
                    "Waiting for a volume to be created either by the external provisioner '{}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
                    class.provisioner
                ),
            );
            return Ok(None);
        }
        let volume = self.provision(&claim, &class)?;
        self.recorder.record(
            &object,
            EventType::Normal,
            "ProvisioningSucceeded",
            &format!("Successfully provisioned volume {}", volume.name()),
        );
        let typed: PersistentVolume = read_as(&volume)?;
        self.bind(&typed, &object, &claim)
    }

    /// A bound claim whose volume is gone is Lost, as upstream marks it.
    fn check_bound_claim(
        &self,
        object: &Object,
        claim: &PersistentVolumeClaim,
    ) -> Result<Option<Duration>, ControllerError> {
        let volume = claim
            .spec
            .as_ref()
            .and_then(|s| s.volume_name.clone())
            .unwrap_or_default();
        if self
            .store
            .get(Kind::PersistentVolume, "", &volume)
            .is_some()
        {
            return Ok(None);
        }
        self.recorder.record(
            object,
            EventType::Warning,
            "ClaimLost",
            "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
        );
        self.store.mutate_json(
            object.kind(),
            object.namespace(),
            object.name(),
            UpdateScope::Status,
            |value| {
                if value["status"]["phase"] == "Lost" {
                    return false;
                }
                value["status"]["phase"] = json!("Lost");
                true
            },
        )?;
        Ok(None)
    }

    /// The claim's class when unset: the newest default StorageClass.
    fn default_class(&self) -> Option<String> {
        self.store
            .list(Kind::StorageClass, None, &ListFilter::default())
            .items
            .iter()
            .filter(|c| {
                c.meta()
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(IS_DEFAULT_CLASS))
                    .is_some_and(|v| v == "true")
            })
            .max_by_key(|c| {
                c.meta()
                    .creation_timestamp
                    .as_ref()
                    .map(|t| t.0.as_second())
            })
            .map(|c| c.name().to_string())
    }

    /// Whether a pod that has not finished mounts the claim.
    fn claim_in_use(&self, claim: &PersistentVolumeClaim) -> bool {
        let name = claim.metadata.name.as_deref().unwrap_or("");
        self.store
            .list(
                Kind::Pod,
                claim.metadata.namespace.as_deref(),
                &ListFilter::default(),
            )
            .items
            .iter()
            .filter_map(|o| o.as_typed::<Pod>())
            .filter(|p| {
                !matches!(
                    p.status.as_ref().and_then(|s| s.phase.as_deref()),
                    Some("Succeeded" | "Failed")
                )
            })
            .any(|p| claims_of(p).any(|c| c == name))
    }

    /// The volume the claim should bind to: the one it names, else the
    /// smallest Available one that satisfies it.
    fn matching_volume(
        &self,
        claim: &PersistentVolumeClaim,
    ) -> Result<Option<PersistentVolume>, ControllerError> {
        let spec = claim.spec.clone().unwrap_or_default();
        let wanted = request(claim);
        let mut best: Option<(f64, PersistentVolume)> = None;
        for object in self
            .store
            .list(Kind::PersistentVolume, None, &ListFilter::default())
            .items
        {
            let volume: PersistentVolume = read_as(&object)?;
            if volume.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let volume_spec = volume.spec.clone().unwrap_or_default();
            if let Some(named) = spec.volume_name.as_deref().filter(|n| !n.is_empty())
                && volume.metadata.name.as_deref() != Some(named)
            {
                continue;
            }
            let claimed_by_other = volume_spec.claim_ref.as_ref().is_some_and(|r| {
                r.name.as_deref() != claim.metadata.name.as_deref()
                    || r.namespace.as_deref() != claim.metadata.namespace.as_deref()
                    || r.uid
                        .as_deref()
                        .is_some_and(|uid| Some(uid) != claim.metadata.uid.as_deref())
            });
            let phase = volume.status.as_ref().and_then(|s| s.phase.as_deref());
            if claimed_by_other || matches!(phase, Some("Released" | "Failed")) {
                continue;
            }
            let class_matches = volume_spec.storage_class_name.as_deref().unwrap_or("")
                == spec.storage_class_name.as_deref().unwrap_or("");
            let modes = volume_spec.access_modes.clone().unwrap_or_default();
            let modes_match = spec
                .access_modes
                .iter()
                .flatten()
                .all(|mode| modes.contains(mode));
            let volume_mode_matches = volume_spec.volume_mode.as_deref().unwrap_or("Filesystem")
                == spec.volume_mode.as_deref().unwrap_or("Filesystem");
            let size = capacity(&volume);
            let selector_matches = spec
                .selector
                .as_ref()
                .is_none_or(|s| selector_matches(s, volume.metadata.labels.as_ref()));
            if class_matches
                && modes_match
                && volume_mode_matches
                && size >= wanted
                && selector_matches
                && best.as_ref().is_none_or(|(best, _)| size < *best)
            {
                best = Some((size, volume));
            }
        }
        Ok(best.map(|(_, volume)| volume))
    }

    /// A new host-path volume for the claim, of its size and modes.
    fn provision(
        &self,
        claim: &PersistentVolumeClaim,
        class: &StorageClass,
    ) -> Result<std::sync::Arc<Object>, ControllerError> {
        let uid = claim.metadata.uid.clone().unwrap_or_default();
        let name = format!("pvc-{uid}");
        if let Some(existing) = self.store.get(Kind::PersistentVolume, "", &name) {
            return Ok(existing);
        }
        let spec = claim.spec.clone().unwrap_or_default();
        let dir = self
            .volumes_dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("podium-volumes"))
            .join(&name);
        let volume = json!({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": name, "annotations": {PROVISIONED_BY: PROVISIONER}},
            "spec": {
                "capacity": {"storage": spec.resources.as_ref()
                    .and_then(|r| r.requests.as_ref())
                    .and_then(|r| r.get("storage"))
                    .map_or_else(|| "1Gi".to_string(), |q| q.0.clone())},
                "accessModes": spec.access_modes.clone().unwrap_or_else(|| vec!["ReadWriteOnce".into()]),
                "hostPath": {"path": dir.display().to_string(), "type": "DirectoryOrCreate"},
                "persistentVolumeReclaimPolicy": class.reclaim_policy.clone().unwrap_or_else(|| "Delete".into()),
                "storageClassName": class.metadata.name,
                "volumeMode": spec.volume_mode.clone().unwrap_or_else(|| "Filesystem".into()),
                "claimRef": claim_ref(claim),
            }
        });
        let object = Object::from_json(Kind::PersistentVolume, volume)
            .map_err(|e| ControllerError::Invalid(e.to_string()))?;
        match create(&self.store, object) {
            Ok(created) => Ok(created),
            Err(StoreError::AlreadyExists { .. }) => self
                .store
                .get(Kind::PersistentVolume, "", &name)
                .ok_or_else(|| ControllerError::Invalid(format!("volume {name} vanished"))),
            Err(error) => Err(error.into()),
        }
    }

    /// Binds both ways: the volume's claimRef and phase, then the claim's
    /// volumeName, annotations, phase, modes and capacity.
    fn bind(
        &self,
        volume: &PersistentVolume,
        claim_object: &Object,
        claim: &PersistentVolumeClaim,
    ) -> Result<Option<Duration>, ControllerError> {
        let volume_name = volume.metadata.name.clone().unwrap_or_default();
        let reference = claim_ref(claim);
        let set_by_user = volume
            .spec
            .as_ref()
            .and_then(|s| s.claim_ref.as_ref())
            .is_some_and(|r| r.uid.is_none());
        self.store.mutate_json(
            Kind::PersistentVolume,
            "",
            &volume_name,
            UpdateScope::Main,
            |value| {
                if value["spec"]["claimRef"]["uid"] == reference["uid"] {
                    return false;
                }
                value["spec"]["claimRef"] = reference.clone();
                if !set_by_user {
                    value["metadata"]["annotations"][BOUND_BY_CONTROLLER] = json!("yes");
                }
                true
            },
        )?;
        set_phase(
            &self.store,
            Kind::PersistentVolume,
            "",
            &volume_name,
            "Bound",
            None,
        )?;
        let provisioner = volume
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(PROVISIONED_BY))
            .cloned();
        self.store.mutate_json(
            claim_object.kind(),
            claim_object.namespace(),
            claim_object.name(),
            UpdateScope::Main,
            |value| {
                let before = value.clone();
                value["spec"]["volumeName"] = json!(volume_name);
                let annotations = &mut value["metadata"]["annotations"];
                annotations[BIND_COMPLETED] = json!("yes");
                annotations[BOUND_BY_CONTROLLER] = json!("yes");
                if let Some(provisioner) = &provisioner {
                    annotations[STORAGE_PROVISIONER] = json!(provisioner);
                }
                *value != before
            },
        )?;
        let volume_spec = volume.spec.clone().unwrap_or_default();
        let bound = json!({
            "phase": "Bound",
            "accessModes": volume_spec.access_modes,
            "capacity": volume_spec.capacity,
        });
        set_phase(
            &self.store,
            claim_object.kind(),
            claim_object.namespace(),
            claim_object.name(),
            "Bound",
            Some(bound),
        )?;
        Ok(None)
    }

    fn sync_volume(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(object) = self.store.get(key.kind, "", &key.name) else {
            return Ok(None);
        };
        let volume: PersistentVolume = read_as(&object)?;
        let phase = volume
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default();
        let spec = volume.spec.clone().unwrap_or_default();
        if volume.metadata.deletion_timestamp.is_some() {
            if phase != "Bound" {
                self.remove_finalizer(&object, PV_PROTECTION)?;
            }
            return Ok(None);
        }
        let Some(reference) = spec.claim_ref.as_ref() else {
            set_phase(&self.store, key.kind, "", &key.name, "Available", None)?;
            return Ok(None);
        };
        let claim = self.store.get(
            Kind::PersistentVolumeClaim,
            reference.namespace.as_deref().unwrap_or(""),
            reference.name.as_deref().unwrap_or(""),
        );
        let claim_uid = claim.as_ref().and_then(|c| c.meta().uid.clone());
        match (&reference.uid, claim_uid) {
            // Pre-bound by name to a claim that may come later.
            (None, _) => {
                set_phase(&self.store, key.kind, "", &key.name, "Available", None)?;
            }
            (Some(uid), Some(claim_uid)) if *uid == claim_uid => {
                set_phase(&self.store, key.kind, "", &key.name, "Bound", None)?;
            }
            _ => self.release(&object, &volume, &phase)?,
        }
        Ok(None)
    }

    /// The claim is gone: Released, then the reclaim policy.
    fn release(
        &self,
        object: &Object,
        volume: &PersistentVolume,
        phase: &str,
    ) -> Result<(), ControllerError> {
        let policy = volume
            .spec
            .as_ref()
            .and_then(|s| s.persistent_volume_reclaim_policy.clone())
            .unwrap_or_else(|| "Retain".into());
        if phase != "Released" {
            set_phase(
                &self.store,
                object.kind(),
                "",
                object.name(),
                "Released",
                None,
            )?;
        }
        if policy != "Delete" {
            return Ok(());
        }
        let ours = volume
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(PROVISIONED_BY))
            .is_some_and(|p| p == PROVISIONER);
        if ours && let Some(dir) = self.provisioned_dir(volume) {
            if let Err(error) = std::fs::remove_dir_all(&dir)
                && error.kind() != std::io::ErrorKind::NotFound
            {
                self.recorder.record(
                    object,
                    EventType::Warning,
                    "VolumeFailedDelete",
                    &format!("cannot remove {}: {error}", dir.display()),
                );
                return Ok(());
            }
        } else if !ours {
            self.recorder.record(
                object,
                EventType::Warning,
                "VolumeFailedDelete",
                "error getting deleter volume plugin for volume: no deletable volume plugin matched",
            );
            set_phase(
                &self.store,
                object.kind(),
                "",
                object.name(),
                "Failed",
                None,
            )?;
            return Ok(());
        }
        // Released: nothing is bound, the protection lets it go too.
        match self.store.delete(
            Kind::PersistentVolume,
            "",
            object.name(),
            &DeleteOptions::default(),
        ) {
            Ok(_) | Err(StoreError::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// A provisioned volume's directory, only when it lies under ours.
    fn provisioned_dir(&self, volume: &PersistentVolume) -> Option<PathBuf> {
        let root = self.volumes_dir.as_ref()?;
        let path = PathBuf::from(&volume.spec.as_ref()?.host_path.as_ref()?.path);
        (path.parent() == Some(root.as_path())).then_some(path)
    }

    fn remove_finalizer(&self, object: &Object, finalizer: &str) -> Result<(), ControllerError> {
        self.store.mutate_json(
            object.kind(),
            object.namespace(),
            object.name(),
            UpdateScope::Main,
            |value| {
                let Some(list) = value["metadata"]["finalizers"].as_array_mut() else {
                    return false;
                };
                let before = list.len();
                list.retain(|f| f != finalizer);
                list.len() != before
            },
        )?;
        Ok(())
    }
}

/// A field of a claim's or volume's spec, read in place (no copy of the
/// object per watch event).
fn spec_field<'a>(object: &'a Object, key: &str) -> Option<&'a Value> {
    object.as_dynamic()?.field(&["spec", key])
}

/// The claims a pod mounts.
pub fn claims_of(pod: &Pod) -> impl Iterator<Item = &str> {
    pod.spec
        .as_ref()
        .and_then(|s| s.volumes.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .map(|c| c.claim_name.as_str())
}

fn claim_ref(claim: &PersistentVolumeClaim) -> Value {
    json!({
        "kind": "PersistentVolumeClaim",
        "apiVersion": "v1",
        "namespace": claim.metadata.namespace,
        "name": claim.metadata.name,
        "uid": claim.metadata.uid,
        "resourceVersion": claim.metadata.resource_version,
    })
}

/// Bytes the claim asks for.
fn request(claim: &PersistentVolumeClaim) -> f64 {
    claim
        .spec
        .as_ref()
        .and_then(|s| s.resources.as_ref())
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
        .map_or(0.0, |q| bytes(&q.0))
}

fn capacity(volume: &PersistentVolume) -> f64 {
    volume
        .spec
        .as_ref()
        .and_then(|s| s.capacity.as_ref())
        .and_then(|c| c.get("storage"))
        .map_or(0.0, |q| bytes(&q.0))
}

fn bytes(quantity: &str) -> f64 {
    parse_quantity(quantity).unwrap_or(0.0)
}

/// Sets `status.phase` (and the rest of `status`, when given).
fn set_phase(
    store: &Store,
    kind: Kind,
    namespace: &str,
    name: &str,
    phase: &str,
    status: Option<Value>,
) -> Result<(), ControllerError> {
    store.mutate_json(kind, namespace, name, UpdateScope::Status, |value| {
        let wanted = status.clone().unwrap_or_else(|| {
            let mut current = value["status"].clone();
            if !current.is_object() {
                current = json!({});
            }
            current["phase"] = json!(phase);
            current
        });
        if value["status"] == wanted {
            return false;
        }
        value["status"] = wanted;
        true
    })?;
    Ok(())
}
