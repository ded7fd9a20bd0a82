//! Where a pod fits: filters (unschedulable, taints, node selector and
//! required node affinity, resources) and least-requested scoring, with
//! upstream's FailedScheduling message when no node passes.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, Pod, Taint, Toleration};

use super::quantity::{milli_value, value};

/// Requests upstream's scorer assumes for containers that declare none.
const DEFAULT_CPU_MILLIS: i64 = 100;
const DEFAULT_MEMORY_BYTES: i64 = 200 * 1024 * 1024;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requests {
    pub cpu_millis: i64,
    pub memory_bytes: i64,
}

/// The sum of a pod's container requests (limits stand in for missing
/// requests, as upstream defaulting does).
pub fn pod_requests(pod: &Pod) -> Requests {
    let mut total = Requests::default();
    for container in pod.spec.iter().flat_map(|s| s.containers.iter()) {
        let resources = container.resources.as_ref();
        let get = |name: &str| {
            resources
                .and_then(|r| r.requests.as_ref())
                .and_then(|r| r.get(name))
                .or_else(|| {
                    resources
                        .and_then(|r| r.limits.as_ref())
                        .and_then(|l| l.get(name))
                })
        };
        total.cpu_millis += get("cpu").and_then(milli_value).unwrap_or(0);
        total.memory_bytes += get("memory").and_then(value).unwrap_or(0);
    }
    total
}

#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    requests: Requests,
    /// Requests with upstream's non-zero defaults, for scoring.
    scored: Requests,
    pods: i64,
}

/// What the pods bound to each node request.
#[derive(Debug, Default)]
pub struct NodeUsage {
    by_node: HashMap<String, Usage>,
}

impl NodeUsage {
    pub fn from_pods<'a>(pods: impl IntoIterator<Item = &'a Pod>) -> NodeUsage {
        let mut usage = NodeUsage::default();
        for pod in pods {
            let finished = pod
                .status
                .as_ref()
                .and_then(|s| s.phase.as_deref())
                .is_some_and(|p| p == "Succeeded" || p == "Failed");
            let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
            if let Some(node) = node.filter(|n| !n.is_empty() && !finished) {
                usage.add(node, pod);
            }
        }
        usage
    }

    pub fn add(&mut self, node: &str, pod: &Pod) {
        let requests = pod_requests(pod);
        let entry = self.by_node.entry(node.to_string()).or_default();
        entry.requests.cpu_millis += requests.cpu_millis;
        entry.requests.memory_bytes += requests.memory_bytes;
        entry.scored.cpu_millis += non_zero(requests.cpu_millis, DEFAULT_CPU_MILLIS);
        entry.scored.memory_bytes += non_zero(requests.memory_bytes, DEFAULT_MEMORY_BYTES);
        entry.pods += 1;
    }

    fn of(&self, node: &str) -> Usage {
        self.by_node.get(node).copied().unwrap_or_default()
    }
}

fn non_zero(value: i64, default: i64) -> i64 {
    if value == 0 { default } else { value }
}

/// The scheduler's verdict for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    Node(String),
    /// The FailedScheduling message.
    Unschedulable(String),
}

/// Why one node was filtered out; several reasons when resources fall short.
enum Rejection {
    /// Resources fall short: preemption could help if there were victims.
    Resources(Vec<String>),
    /// Anything else: preemption is not helpful.
    Other(String),
}

struct Allocatable {
    cpu_millis: i64,
    memory_bytes: i64,
    pods: i64,
}

fn allocatable(node: &Node) -> Allocatable {
    let status = node.status.as_ref();
    let get = |name: &str| {
        status
            .and_then(|s| s.allocatable.as_ref().or(s.capacity.as_ref()))
            .and_then(|a| a.get(name))
    };
    Allocatable {
        cpu_millis: get("cpu").and_then(milli_value).unwrap_or(0),
        memory_bytes: get("memory").and_then(value).unwrap_or(0),
        pods: get("pods").and_then(value).unwrap_or(110),
    }
}

fn node_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True")
}

fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = toleration.effect.as_deref().filter(|e| !e.is_empty())
        && effect != taint.effect
    {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or("");
    let operator = toleration.operator.as_deref().unwrap_or("Equal");
    if key.is_empty() {
        return operator == "Exists";
    }
    if key != taint.key {
        return false;
    }
    match operator {
        "Exists" => true,
        _ => toleration.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
    }
}

fn untolerated<'a>(pod: &Pod, taints: &'a [Taint]) -> Option<&'a Taint> {
    let tolerations = pod
        .spec
        .as_ref()
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or(&[]);
    taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .find(|taint| !tolerations.iter().any(|t| tolerates(t, taint)))
}

fn requirement_matches(
    requirement: &NodeSelectorRequirement,
    labels: &BTreeMap<String, String>,
) -> bool {
    let value = labels.get(&requirement.key);
    let values = requirement.values.as_deref().unwrap_or(&[]);
    let number = |s: &str| s.parse::<i64>().ok();
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.contains(v)),
        "NotIn" => value.is_none_or(|v| !values.contains(v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" => {
            matches!((value.and_then(|v| number(v)), values.first().and_then(|v| number(v))), (Some(a), Some(b)) if a > b)
        }
        "Lt" => {
            matches!((value.and_then(|v| number(v)), values.first().and_then(|v| number(v))), (Some(a), Some(b)) if a < b)
        }
        _ => false,
    }
}

fn selector_matches(pod: &Pod, node: &Node) -> bool {
    let empty = BTreeMap::new();
    let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
    let spec = pod.spec.as_ref();
    let selector_ok = spec
        .and_then(|s| s.node_selector.as_ref())
        .is_none_or(|selector| selector.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let required = spec
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    let affinity_ok = required.is_none_or(|required| {
        required.node_selector_terms.iter().any(|term| {
            let expressions = term.match_expressions.as_deref().unwrap_or(&[]);
            let fields = term.match_fields.as_deref().unwrap_or(&[]);
            let mut name_labels = BTreeMap::new();
            name_labels.insert(
                "metadata.name".to_string(),
                node.metadata.name.clone().unwrap_or_default(),
            );
            (!expressions.is_empty() || !fields.is_empty())
                && expressions.iter().all(|r| requirement_matches(r, labels))
                && fields.iter().all(|r| requirement_matches(r, &name_labels))
        })
    });
    selector_ok && affinity_ok
}

/// Whether a daemon pod belongs on `node` (the DaemonSet controller's
/// NodeShouldRunDaemonPod): its node selector and required affinity
/// match, and it tolerates the node's NoSchedule and NoExecute taints.
/// Readiness and room are the scheduler's to judge.
pub fn daemon_fits(pod: &Pod, node: &Node) -> bool {
    let taints = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or(&[]);
    selector_matches(pod, node) && untolerated(pod, taints).is_none()
}

fn filter(pod: &Pod, node: &Node, usage: &NodeUsage) -> Result<f64, Rejection> {
    let spec = node.spec.as_ref();
    let unschedulable_taint = Taint {
        key: "node.kubernetes.io/unschedulable".to_string(),
        effect: "NoSchedule".to_string(),
        ..Taint::default()
    };
    if spec.and_then(|s| s.unschedulable).unwrap_or(false)
        && untolerated(pod, std::slice::from_ref(&unschedulable_taint)).is_some()
    {
        return Err(Rejection::Other("node(s) were unschedulable".to_string()));
    }
    let mut taints: Vec<Taint> = spec.and_then(|s| s.taints.clone()).unwrap_or_default();
    if !node_ready(node) {
        taints.push(Taint {
            key: "node.kubernetes.io/not-ready".to_string(),
            effect: "NoSchedule".to_string(),
            ..Taint::default()
        });
    }
    if let Some(taint) = untolerated(pod, &taints) {
        return Err(Rejection::Other(format!(
            "node(s) had untolerated taint {{{}: {}}}",
            taint.key,
            taint.value.as_deref().unwrap_or("")
        )));
    }
    if !selector_matches(pod, node) {
        return Err(Rejection::Other(
            "node(s) didn't match Pod's node affinity/selector".to_string(),
        ));
    }
    let name = node.metadata.name.as_deref().unwrap_or("");
    let used = usage.of(name);
    let capacity = allocatable(node);
    let wanted = pod_requests(pod);
    let mut short = Vec::new();
    if used.pods + 1 > capacity.pods {
        short.push("Too many pods".to_string());
    }
    if wanted.cpu_millis > 0 && used.requests.cpu_millis + wanted.cpu_millis > capacity.cpu_millis {
        short.push("Insufficient cpu".to_string());
    }
    if wanted.memory_bytes > 0
        && used.requests.memory_bytes + wanted.memory_bytes > capacity.memory_bytes
    {
        short.push("Insufficient memory".to_string());
    }
    if !short.is_empty() {
        return Err(Rejection::Resources(short));
    }
    // Least requested: the free share after placing the pod, CPU and memory alike.
    let free = |used: i64, want: i64, total: i64| {
        if total <= 0 {
            0.0
        } else {
            ((total - used - want).max(0) as f64) / total as f64
        }
    };
    let cpu = free(
        used.scored.cpu_millis,
        non_zero(wanted.cpu_millis, DEFAULT_CPU_MILLIS),
        capacity.cpu_millis,
    );
    let memory = free(
        used.scored.memory_bytes,
        non_zero(wanted.memory_bytes, DEFAULT_MEMORY_BYTES),
        capacity.memory_bytes,
    );
    Ok((cpu + memory) / 2.0)
}

/// "1 Insufficient cpu, 2 node(s) didn't match …" sorted like upstream.
fn histogram(reasons: &BTreeMap<String, usize>) -> String {
    let mut parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    parts.join(", ")
}

/// Picks the node for `pod`, or explains why none fits.
pub fn place(pod: &Pod, nodes: &[Node], usage: &NodeUsage) -> Placement {
    if nodes.is_empty() {
        return Placement::Unschedulable("no nodes available to schedule pods".to_string());
    }
    let mut best: Option<(f64, &str)> = None;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut preemption: BTreeMap<String, usize> = BTreeMap::new();
    for node in nodes {
        let name = node.metadata.name.as_deref().unwrap_or("");
        match filter(pod, node, usage) {
            Ok(score) => {
                let better = best.is_none_or(|(s, n)| score > s || (score == s && name < n));
                if better {
                    best = Some((score, name));
                }
            }
            Err(Rejection::Resources(short)) => {
                for reason in short {
                    *reasons.entry(reason).or_default() += 1;
                }
                *preemption
                    .entry("No preemption victims found for incoming pod".to_string())
                    .or_default() += 1;
            }
            Err(Rejection::Other(reason)) => {
                *reasons.entry(reason).or_default() += 1;
                *preemption
                    .entry("Preemption is not helpful for scheduling".to_string())
                    .or_default() += 1;
            }
        }
    }
    match best {
        Some((_, name)) => Placement::Node(name.to_string()),
        None => {
            let total = nodes.len();
            Placement::Unschedulable(format!(
                "0/{total} nodes are available: {}. preemption: 0/{total} nodes are available: {}.",
                histogram(&reasons),
                histogram(&preemption)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toleration(key: &str, operator: &str, value: &str, effect: &str) -> Toleration {
        Toleration {
            key: (!key.is_empty()).then(|| key.to_string()),
            operator: Some(operator.to_string()),
            value: (!value.is_empty()).then(|| value.to_string()),
            effect: (!effect.is_empty()).then(|| effect.to_string()),
            ..Toleration::default()
        }
    }

    #[test]
    fn tolerations_match_like_upstream() {
        let taint = Taint {
            key: "dedicated".into(),
            value: Some("infra".into()),
            effect: "NoSchedule".into(),
            ..Taint::default()
        };
        assert!(tolerates(
            &toleration("dedicated", "Equal", "infra", ""),
            &taint
        ));
        assert!(tolerates(
            &toleration("dedicated", "Exists", "", "NoSchedule"),
            &taint
        ));
        assert!(tolerates(&toleration("", "Exists", "", ""), &taint));
        assert!(!tolerates(
            &toleration("dedicated", "Equal", "web", ""),
            &taint
        ));
        assert!(!tolerates(
            &toleration("dedicated", "Exists", "", "NoExecute"),
            &taint
        ));
        assert!(!tolerates(&toleration("other", "Exists", "", ""), &taint));
    }

    #[test]
    fn no_nodes_means_no_nodes_available() {
        let pod = Pod::default();
        assert_eq!(
            place(&pod, &[], &NodeUsage::default()),
            Placement::Unschedulable("no nodes available to schedule pods".to_string())
        );
    }
}
