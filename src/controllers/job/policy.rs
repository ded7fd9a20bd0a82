//! The Job's policies over its pods' outcomes, as upstream's
//! pod_failure_policy.go and success_policy.go read them:
//! `podFailurePolicy` decides what a failed pod means (fail the Job, fail
//! its index, ignore it, or count it toward the back-off limit, the
//! default), and an Indexed Job's `successPolicy` ends it early once the
//! indexes a rule names have succeeded.

use std::collections::BTreeSet;

use k8s_openapi::api::batch::v1::{PodFailurePolicy, PodFailurePolicyRule, SuccessPolicy};
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

/// What one failed pod means for its Job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Counted toward backoffLimit (or its index's backoffLimitPerIndex).
    Count,
    /// Not counted: the pod is replaced as if it had not failed.
    Ignore,
    /// The Job fails at once, with this message.
    FailJob(String),
    /// The pod's index fails at once (backoffLimitPerIndex).
    FailIndex,
}

/// The first rule that matches the failed pod decides; none is Count.
pub fn judge(policy: Option<&PodFailurePolicy>, pod: &Pod) -> Verdict {
    let Some(policy) = policy else {
        return Verdict::Count;
    };
    for (index, rule) in policy.rules.iter().enumerate() {
        let Some(why) = matching(rule, pod, index) else {
            continue;
        };
        return match rule.action.as_str() {
            "Ignore" => Verdict::Ignore,
            "FailJob" => Verdict::FailJob(why),
            "FailIndex" => Verdict::FailIndex,
            _ => Verdict::Count,
        };
    }
    Verdict::Count
}

/// Upstream's message when `rule` (at `index`) matches the pod.
fn matching(rule: &PodFailurePolicyRule, pod: &Pod, index: usize) -> Option<String> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let status = pod.status.as_ref()?;
    if let Some(codes) = &rule.on_exit_codes {
        let containers = status
            .init_container_statuses
            .iter()
            .flatten()
            .chain(status.container_statuses.iter().flatten());
        let hit = containers.filter_map(exit_code).find(|(container, code)| {
            *code != 0
                && codes
                    .container_name
                    .as_deref()
                    .is_none_or(|wanted| wanted == *container)
                && match codes.operator.as_str() {
                    "In" => codes.values.contains(code),
                    "NotIn" => !codes.values.contains(code),
                    _ => false,
                }
        });
        return hit.map(|(container, code)| {
            format!(
                "Container {container} for pod {namespace}/{name} failed with exit code {code} matching {} rule at index {index}",
                rule.action
            )
        });
    }
    let patterns = rule.on_pod_conditions.as_deref()?;
    let conditions = status.conditions.as_deref().unwrap_or_default();
    patterns.iter().find_map(|pattern| {
        let wanted = if pattern.status.is_empty() {
            "True"
        } else {
            pattern.status.as_str()
        };
        conditions
            .iter()
            .any(|c| c.type_ == pattern.type_ && c.status == wanted)
            .then(|| {
                format!(
                    "Pod {namespace}/{name} has condition {} matching {} rule at index {index}",
                    pattern.type_, rule.action
                )
            })
    })
}

fn exit_code(status: &ContainerStatus) -> Option<(&str, i32)> {
    let terminated = status.state.as_ref()?.terminated.as_ref()?;
    Some((status.name.as_str(), terminated.exit_code))
}

/// The index of the first success rule the succeeded indexes meet.
pub fn success_rule(policy: Option<&SuccessPolicy>, succeeded: &BTreeSet<i32>) -> Option<usize> {
    policy?.rules.iter().position(
        |rule| match (&rule.succeeded_indexes, rule.succeeded_count) {
            (Some(indexes), count) => {
                let wanted = parse_ranges(indexes);
                let met = wanted.intersection(succeeded).count() as i32;
                match count {
                    Some(count) => met >= count,
                    None => met == wanted.len() as i32,
                }
            }
            (None, Some(count)) => succeeded.len() as i32 >= count,
            (None, None) => false,
        },
    )
}

/// `"0-2,5"` as indexes (what completedIndexes and succeededIndexes hold).
pub fn parse_ranges(text: &str) -> BTreeSet<i32> {
    let mut indexes = BTreeSet::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (start, end) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(start), Ok(end)) = (start.trim().parse::<i32>(), end.trim().parse::<i32>()) {
            indexes.extend(start..=end);
        }
    }
    indexes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_pod(container: &str, code: i32, condition: Option<&str>) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "pi-x", "namespace": "default"},
            "status": {
                "phase": "Failed",
                "conditions": condition.map(|c| vec![serde_json::json!({"type": c, "status": "True"})]),
                "containerStatuses": [{"name": container, "image": "i", "imageID": "", "ready": false,
                    "restartCount": 0, "state": {"terminated": {"exitCode": code}}}]
            }
        }))
        .expect("pod")
    }

    fn policy(rules: serde_json::Value) -> PodFailurePolicy {
        serde_json::from_value(serde_json::json!({ "rules": rules })).expect("policy")
    }

    #[test]
    fn the_first_matching_rule_decides_with_upstreams_message() {
        let policy = policy(serde_json::json!([
            {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
            {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
            {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [1]}},
        ]));
        assert_eq!(
            judge(Some(&policy), &failed_pod("main", 42, None)),
            Verdict::FailJob(
                "Container main for pod default/pi-x failed with exit code 42 matching FailJob rule at index 1"
                    .into()
            )
        );
        assert_eq!(
            judge(
                Some(&policy),
                &failed_pod("main", 42, Some("DisruptionTarget"))
            ),
            Verdict::Ignore
        );
        assert_eq!(
            judge(Some(&policy), &failed_pod("side", 42, None)),
            Verdict::Count
        );
        assert_eq!(judge(None, &failed_pod("main", 42, None)), Verdict::Count);
    }

    #[test]
    fn success_rules_read_indexes_and_counts() {
        let policy: SuccessPolicy = serde_json::from_value(serde_json::json!({"rules": [
            {"succeededIndexes": "0,2-3"},
            {"succeededCount": 3},
        ]}))
        .expect("policy");
        let set = |v: &[i32]| v.iter().copied().collect::<BTreeSet<i32>>();
        assert_eq!(success_rule(Some(&policy), &set(&[0, 2])), None);
        assert_eq!(success_rule(Some(&policy), &set(&[0, 2, 3])), Some(0));
        assert_eq!(success_rule(Some(&policy), &set(&[1, 4, 5])), Some(1));
        assert_eq!(parse_ranges("0-2,5"), set(&[0, 1, 2, 5]));
    }
}
