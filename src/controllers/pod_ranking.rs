//! Which pods a ReplicaSet deletes first when scaling down: upstream's
//! ActivePodsWithRanks ordering (pkg/controller/controller_utils.go), with
//! the LogarithmicScaleDown comparison of ready and creation times.

use std::cmp::Ordering;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;

use super::util::{is_pod_ready, pod_node_name, pod_ready_since};

/// Annotation that makes a pod cheaper (lower) or dearer to delete.
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

/// A pod with its rank: how many related pods share its node.
pub struct RankedPod<'a> {
    pub pod: &'a Pod,
    pub rank: usize,
}

/// Orders `pods` so that the first ones are the ones to delete.
pub fn sort_for_deletion(pods: &mut [RankedPod<'_>], now: Timestamp) {
    pods.sort_by(|a, b| compare(a, b, now));
}

fn phase_ordinal(pod: &Pod) -> u8 {
    match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Unknown") => 1,
        Some("Running") => 2,
        // Pending, and no phase yet, rank lowest.
        _ => 0,
    }
}

fn deletion_cost(pod: &Pod) -> i32 {
    pod.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(POD_DELETION_COST))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn max_restarts(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.iter().map(|c| c.restart_count).max())
        .unwrap_or(0)
}

fn uid(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or("")
}

/// floor(log2(now - t)) in nanoseconds, -1 when t is not in the past.
fn log_rank(t: Timestamp, now: Timestamp) -> i64 {
    let nanos = now.as_nanosecond() - t.as_nanosecond();
    if nanos > 0 {
        (nanos as f64).log2() as i64
    } else {
        -1
    }
}

/// More recent (or unknown) times first, on a logarithmic scale; ties by uid.
fn compare_times(
    a: Option<Timestamp>,
    b: Option<Timestamp>,
    a_pod: &Pod,
    b_pod: &Pod,
    now: Timestamp,
) -> Option<Ordering> {
    if a == b {
        return None;
    }
    match (a, b) {
        (None, _) => Some(Ordering::Less),
        (_, None) => Some(Ordering::Greater),
        (Some(a), Some(b)) => {
            let diff = log_rank(a, now) - log_rank(b, now);
            if diff == 0 {
                Some(uid(a_pod).cmp(uid(b_pod)))
            } else {
                Some(diff.cmp(&0))
            }
        }
    }
}

fn compare(a: &RankedPod<'_>, b: &RankedPod<'_>, now: Timestamp) -> Ordering {
    let (pa, pb) = (a.pod, b.pod);
    // 1. Unassigned before assigned.
    let (na, nb) = (pod_node_name(pa), pod_node_name(pb));
    if na != nb && (na.is_empty() || nb.is_empty()) {
        return if na.is_empty() {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    // 2. Pending < Unknown < Running.
    let (oa, ob) = (phase_ordinal(pa), phase_ordinal(pb));
    if oa != ob {
        return oa.cmp(&ob);
    }
    // 3. Not ready before ready.
    let (ra, rb) = (is_pod_ready(pa), is_pod_ready(pb));
    if ra != rb {
        return if ra {
            Ordering::Greater
        } else {
            Ordering::Less
        };
    }
    // 4. Lower deletion cost first.
    let (ca, cb) = (deletion_cost(pa), deletion_cost(pb));
    if ca != cb {
        return ca.cmp(&cb);
    }
    // 5. Doubled up on a node before alone.
    if a.rank != b.rank {
        return b.rank.cmp(&a.rank);
    }
    // 6. Ready for less time first.
    if ra && rb {
        let ordering = compare_times(pod_ready_since(pa), pod_ready_since(pb), pa, pb, now);
        if let Some(ordering) = ordering.filter(|o| o.is_ne()) {
            return ordering;
        }
    }
    // 7. More restarts first.
    let (xa, xb) = (max_restarts(pa), max_restarts(pb));
    if xa != xb {
        return xb.cmp(&xa);
    }
    // 8. Newer first.
    let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
    compare_times(created(pa), created(pb), pa, pb, now).unwrap_or(Ordering::Equal)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodSpec, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn pod(name: &str, node: &str, phase: &str, ready_at: Option<i64>, created: i64) -> Pod {
        let mut pod = Pod::default();
        pod.metadata.name = Some(name.into());
        pod.metadata.uid = Some(name.into());
        pod.metadata.creation_timestamp = Some(Time(Timestamp::from_second(created).unwrap()));
        pod.spec = Some(PodSpec {
            node_name: (!node.is_empty()).then(|| node.to_string()),
            ..PodSpec::default()
        });
        pod.status = Some(PodStatus {
            phase: Some(phase.into()),
            conditions: ready_at.map(|t| {
                vec![PodCondition {
                    type_: "Ready".into(),
                    status: "True".into(),
                    last_transition_time: Some(Time(Timestamp::from_second(t).unwrap())),
                    ..PodCondition::default()
                }]
            }),
            ..PodStatus::default()
        });
        pod
    }

    fn order(pods: &[Pod]) -> Vec<String> {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let mut ranked: Vec<RankedPod<'_>> =
            pods.iter().map(|pod| RankedPod { pod, rank: 0 }).collect();
        sort_for_deletion(&mut ranked, now);
        ranked
            .iter()
            .map(|r| r.pod.metadata.name.clone().unwrap())
            .collect()
    }

    #[test]
    fn unassigned_pending_and_unready_pods_go_first() {
        let pods = vec![
            pod("ready", "n1", "Running", Some(100), 10),
            pod("unready", "n1", "Running", None, 10),
            pod("pending", "n1", "Pending", None, 10),
            pod("unassigned", "", "Pending", None, 10),
        ];
        assert_eq!(order(&pods), ["unassigned", "pending", "unready", "ready"]);
    }

    #[test]
    fn recently_ready_and_newer_pods_go_first() {
        let pods = vec![
            pod("old-ready", "n1", "Running", Some(1_000), 10),
            pod("new-ready", "n1", "Running", Some(999_990), 10),
        ];
        assert_eq!(order(&pods), ["new-ready", "old-ready"]);
        let pods = vec![
            pod("older", "n1", "Pending", None, 1_000),
            pod("newer", "n1", "Pending", None, 999_000),
        ];
        assert_eq!(order(&pods), ["newer", "older"]);
    }

    #[test]
    fn lower_deletion_cost_goes_first() {
        let mut cheap = pod("cheap", "n1", "Running", Some(100), 10);
        cheap.metadata.annotations =
            Some([(POD_DELETION_COST.to_string(), "-5".to_string())].into());
        let pods = vec![pod("normal", "n1", "Running", Some(100), 10), cheap];
        assert_eq!(order(&pods)[0], "cheap");
    }
}
