//! Pure Deployment arithmetic (pkg/controller/deployment/util): fenceposts,
//! the pod-template hash, revision annotations, replica counts and the
//! orderings of ReplicaSets.

use std::cmp::Ordering;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::store::NAME_ALPHABET;

pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
/// Upper bound on the length of `revision-history` (upstream's default flag).
pub const MAX_REVISION_HISTORY_CHARS: usize = 2000;

/// Annotations a Deployment does not pass on to its ReplicaSets.
const NOT_COPIED: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FencepostError {
    #[error("invalid value for IntOrString: invalid value {0:?}")]
    Invalid(String),
}

/// GetScaledValueFromIntOrPercent.
pub fn scaled_value(
    value: &IntOrString,
    total: i32,
    round_up: bool,
) -> Result<i32, FencepostError> {
    match value {
        IntOrString::Int(v) => Ok(*v),
        IntOrString::String(s) => {
            let percent: i64 = s
                .strip_suffix('%')
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| FencepostError::Invalid(s.clone()))?;
            let product = percent * i64::from(total);
            let scaled = if round_up {
                (product + 99).div_euclid(100)
            } else {
                product.div_euclid(100)
            };
            Ok(i32::try_from(scaled).unwrap_or(i32::MAX))
        }
    }
}

/// ResolveFenceposts: (maxSurge, maxUnavailable) for `desired` replicas;
/// surge rounds up, unavailable down, and both 0 means unavailable 1.
pub fn resolve_fenceposts(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    desired: i32,
) -> Result<(i32, i32), FencepostError> {
    let zero = IntOrString::Int(0);
    let surge = scaled_value(max_surge.unwrap_or(&zero), desired, true)?;
    let mut unavailable = scaled_value(max_unavailable.unwrap_or(&zero), desired, false)?;
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    Ok((surge, unavailable))
}

pub fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

pub fn is_rolling_update(d: &Deployment) -> bool {
    d.spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        .is_none_or(|t| t == "RollingUpdate")
}

/// maxSurge and maxUnavailable as written (API defaults 25%/25% when absent).
fn rolling_params(d: &Deployment) -> (IntOrString, IntOrString) {
    let default = || IntOrString::String("25%".into());
    let params = d
        .spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.rolling_update.as_ref());
    (
        params
            .and_then(|p| p.max_surge.clone())
            .unwrap_or_else(default),
        params
            .and_then(|p| p.max_unavailable.clone())
            .unwrap_or_else(default),
    )
}

/// MaxSurge: 0 unless rolling.
pub fn max_surge(d: &Deployment) -> i32 {
    if !is_rolling_update(d) {
        return 0;
    }
    let (surge, unavailable) = rolling_params(d);
    resolve_fenceposts(Some(&surge), Some(&unavailable), replicas(d))
        .map(|(s, _)| s)
        .unwrap_or(0)
}

/// MaxUnavailable: 0 unless rolling with replicas; never above replicas.
pub fn max_unavailable(d: &Deployment) -> i32 {
    if !is_rolling_update(d) || replicas(d) == 0 {
        return 0;
    }
    let (surge, unavailable) = rolling_params(d);
    resolve_fenceposts(Some(&surge), Some(&unavailable), replicas(d))
        .map(|(_, u)| u.min(replicas(d)))
        .unwrap_or(0)
}

pub fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

pub fn rs_status_replicas(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().map_or(0, |s| s.replicas)
}

pub fn rs_ready(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}

pub fn rs_available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
}

/// Sum of spec.replicas (GetReplicaCountForReplicaSets).
pub fn spec_total(rss: &[&ReplicaSet]) -> i32 {
    rss.iter().map(|rs| rs_replicas(rs)).sum()
}

pub fn available_total(rss: &[&ReplicaSet]) -> i32 {
    rss.iter().map(|rs| rs_available(rs)).sum()
}

pub fn annotation<'a>(
    meta: &'a k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    key: &str,
) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

fn annotation_int(rs: &ReplicaSet, key: &str) -> Option<i32> {
    annotation(&rs.metadata, key)?.parse().ok()
}

pub fn desired_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    annotation_int(rs, DESIRED_REPLICAS)
}

pub fn max_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    annotation_int(rs, MAX_REPLICAS)
}

pub fn revision(rs: &ReplicaSet) -> i64 {
    annotation(&rs.metadata, REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// MaxRevision.
pub fn max_revision(rss: &[&ReplicaSet]) -> i64 {
    rss.iter().map(|rs| revision(rs)).max().unwrap_or(0)
}

/// Sets desired-replicas and max-replicas; true when something changed.
pub fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    let annotations = rs.metadata.annotations.get_or_insert_with(Default::default);
    let mut changed = false;
    for (key, value) in [(DESIRED_REPLICAS, desired), (MAX_REPLICAS, max)] {
        let value = value.to_string();
        if annotations.get(key) != Some(&value) {
            annotations.insert(key.to_string(), value);
            changed = true;
        }
    }
    changed
}

/// SetNewReplicaSetAnnotations: copies the Deployment's annotations, moves
/// the revision forward (keeping older numbers in revision-history on undo)
/// and, for a ReplicaSet about to be created, the replica annotations.
pub fn set_new_replica_set_annotations(
    d: &Deployment,
    rs: &mut ReplicaSet,
    new_revision: i64,
    exists: bool,
) -> bool {
    let mut changed = false;
    let annotations = rs.metadata.annotations.get_or_insert_with(Default::default);
    for (key, value) in d.metadata.annotations.iter().flatten() {
        if NOT_COPIED.contains(&key.as_str()) || annotations.get(key) == Some(value) {
            continue;
        }
        annotations.insert(key.clone(), value.clone());
        changed = true;
    }
    let old_revision = annotations.get(REVISION).cloned().unwrap_or_default();
    let old_revision_int = if old_revision.is_empty() {
        0
    } else {
        match old_revision.parse::<i64>() {
            Ok(v) => v,
            Err(_) => return false,
        }
    };
    if old_revision_int < new_revision {
        annotations.insert(REVISION.to_string(), new_revision.to_string());
        changed = true;
        if !old_revision.is_empty() {
            let history = annotations
                .get(REVISION_HISTORY)
                .cloned()
                .unwrap_or_default();
            let value = if history.is_empty() {
                old_revision
            } else {
                let mut entries: Vec<&str> = history.split(',').collect();
                let mut total = history.len() + old_revision.len() + 1;
                let mut start = 0;
                while total > MAX_REVISION_HISTORY_CHARS && start < entries.len() {
                    total -= entries[start].len() + 1;
                    start += 1;
                }
                entries = entries.split_off(start);
                entries.push(&old_revision);
                entries.join(",")
            };
            annotations.insert(REVISION_HISTORY.to_string(), value);
        }
    }
    if !exists {
        let desired = replicas(d);
        changed |= set_replicas_annotations(rs, desired, desired + max_surge(d));
    }
    changed
}

/// The template as JSON without the pod-template-hash label.
fn template_without_hash(template: Option<&PodTemplateSpec>) -> serde_json::Value {
    let mut template = template.cloned().unwrap_or_default();
    if let Some(meta) = template.metadata.as_mut()
        && let Some(labels) = meta.labels.as_mut()
    {
        labels.remove(POD_TEMPLATE_HASH);
        if labels.is_empty() {
            meta.labels = None;
        }
    }
    serde_json::to_value(&template).unwrap_or_default()
}

/// EqualIgnoreHash.
pub fn equal_ignore_hash(a: Option<&PodTemplateSpec>, b: Option<&PodTemplateSpec>) -> bool {
    template_without_hash(a) == template_without_hash(b)
}

/// FNV-32a.
fn fnv32a(bytes: &[u8], mut hash: u32) -> u32 {
    for byte in bytes {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// SafeEncodeString: each character mapped into the name alphabet.
pub fn safe_encode(text: &str) -> String {
    text.bytes()
        .map(|b| NAME_ALPHABET[usize::from(b) % NAME_ALPHABET.len()] as char)
        .collect()
}

/// ComputeHash: FNV-32a over the template's canonical JSON, then the
/// collision count as 8 little-endian bytes, encoded with SafeEncodeString.
pub fn compute_hash(template: Option<&PodTemplateSpec>, collision_count: Option<i32>) -> String {
    let json = serde_json::to_vec(&template.cloned().unwrap_or_default()).unwrap_or_default();
    hash_bytes(&json, collision_count)
}

/// FNV-32a over `bytes`, then the collision count as 8 little-endian
/// bytes, encoded with SafeEncodeString (ComputeHash and
/// HashControllerRevision both).
pub fn hash_bytes(bytes: &[u8], collision_count: Option<i32>) -> String {
    let mut hash = fnv32a(bytes, 0x811c_9dc5);
    if let Some(count) = collision_count {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&(count as u32).to_le_bytes());
        hash = fnv32a(&bytes, hash);
    }
    safe_encode(&hash.to_string())
}

fn created(rs: &ReplicaSet) -> Option<k8s_openapi::jiff::Timestamp> {
    rs.metadata.creation_timestamp.as_ref().map(|t| t.0)
}

fn name(rs: &ReplicaSet) -> &str {
    rs.metadata.name.as_deref().unwrap_or("")
}

/// ReplicaSetsByCreationTimestamp: oldest first, then by name.
pub fn by_creation(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    created(a)
        .cmp(&created(b))
        .then_with(|| name(a).cmp(name(b)))
}

/// ReplicaSetsBySizeNewer: larger first; equal sizes newer first.
pub fn by_size_newer(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    rs_replicas(b)
        .cmp(&rs_replicas(a))
        .then_with(|| by_creation(b, a))
}

/// ReplicaSetsBySizeOlder: larger first; equal sizes older first.
pub fn by_size_older(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    rs_replicas(b)
        .cmp(&rs_replicas(a))
        .then_with(|| by_creation(a, b))
}

/// ReplicaSetsByRevision: lowest revision first, then by creation.
pub fn by_revision(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    revision(a)
        .cmp(&revision(b))
        .then_with(|| by_creation(a, b))
}

/// getReplicaSetFraction: how much of `to_add` this ReplicaSet takes,
/// proportional to its size against the max-replicas it was sized for.
pub fn replica_set_fraction(rs: &ReplicaSet, d: &Deployment) -> i32 {
    if replicas(d) == 0 {
        return -rs_replicas(rs);
    }
    let deployment_replicas = replicas(d) + max_surge(d);
    let annotated = max_replicas_annotation(rs)
        .unwrap_or_else(|| d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0));
    if annotated == 0 {
        return 0;
    }
    let size = f64::from(rs_replicas(rs)) * f64::from(deployment_replicas) / f64::from(annotated);
    size.round() as i32 - rs_replicas(rs)
}

/// GetProportion.
pub fn proportion(rs: &ReplicaSet, d: &Deployment, to_add: i32, added: i32) -> i32 {
    if rs_replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = replica_set_fraction(rs, d);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(s: &str) -> IntOrString {
        IntOrString::String(s.into())
    }

    #[test]
    fn fenceposts_round_surge_up_and_unavailable_down() {
        assert_eq!(
            resolve_fenceposts(Some(&pct("25%")), Some(&pct("25%")), 10),
            Ok((3, 2))
        );
        assert_eq!(
            resolve_fenceposts(Some(&pct("25%")), Some(&pct("25%")), 1),
            Ok((1, 0))
        );
        assert_eq!(
            resolve_fenceposts(Some(&IntOrString::Int(0)), Some(&IntOrString::Int(0)), 5),
            Ok((0, 1))
        );
        assert_eq!(
            resolve_fenceposts(Some(&pct("0%")), Some(&pct("10%")), 5),
            Ok((0, 1))
        );
        assert!(resolve_fenceposts(Some(&pct("x")), None, 5).is_err());
    }

    #[test]
    fn hash_uses_the_safe_alphabet_and_moves_with_collisions() {
        let template = PodTemplateSpec::default();
        let plain = compute_hash(Some(&template), None);
        let collided = compute_hash(Some(&template), Some(1));
        assert_ne!(plain, collided);
        assert!(plain.bytes().all(|b| NAME_ALPHABET.contains(&b)));
        assert_eq!(safe_encode("0123456789"), "456789bcdf");
    }

    #[test]
    fn undo_moves_the_old_revision_into_history() {
        let d = Deployment::default();
        let mut rs = ReplicaSet::default();
        rs.metadata.annotations = Some([(REVISION.to_string(), "1".to_string())].into());
        assert!(set_new_replica_set_annotations(&d, &mut rs, 3, true));
        assert_eq!(annotation(&rs.metadata, REVISION), Some("3"));
        assert_eq!(annotation(&rs.metadata, REVISION_HISTORY), Some("1"));
        assert!(set_new_replica_set_annotations(&d, &mut rs, 5, true));
        assert_eq!(annotation(&rs.metadata, REVISION_HISTORY), Some("1,3"));
        assert!(!set_new_replica_set_annotations(&d, &mut rs, 5, true));
    }
}
