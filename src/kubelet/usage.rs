//! What a running container uses, for metrics.k8s.io (`kubectl top`): CPU
//! in nanocores and the working-set memory in bytes, as metrics-server
//! reports them. Docker's come from its stats stream; the simulated
//! runtime's from a load model a demo drives with pod annotations:
//! `sim.podium.dev/cpu: "250m"` and `sim.podium.dev/memory: "64Mi"`, the
//! pod's whole use, shared evenly by its containers (read on every
//! request, so `kubectl annotate --overwrite` changes it live).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;

use crate::api::quantity::parse_quantity;

/// The pod annotation with the simulated pod's CPU use.
pub const SIM_CPU: &str = "sim.podium.dev/cpu";
/// The pod annotation with the simulated pod's memory use.
pub const SIM_MEMORY: &str = "sim.podium.dev/memory";
/// A simulated container's use when no annotation says (an idle process).
const IDLE_CPU_NANOCORES: u64 = 1_000_000;
const IDLE_MEMORY_BYTES: u64 = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub cpu_nanocores: u64,
    pub memory_bytes: u64,
}

impl Usage {
    /// As metrics-server writes it: `1234567n` and `4096Ki`.
    pub fn cpu_quantity(&self) -> String {
        format!("{}n", self.cpu_nanocores)
    }

    pub fn memory_quantity(&self) -> String {
        format!("{}Ki", self.memory_bytes / 1024)
    }

    pub fn add(&mut self, other: Usage) {
        self.cpu_nanocores += other.cpu_nanocores;
        self.memory_bytes += other.memory_bytes;
    }
}

/// The simulated use of each of `pod`'s containers, from its annotations.
pub fn simulated(pod: &Pod) -> Vec<(String, Usage)> {
    let empty = BTreeMap::new();
    let annotations = pod.metadata.annotations.as_ref().unwrap_or(&empty);
    let containers: Vec<String> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter().map(|c| c.name.clone()))
        .collect();
    let share = containers.len().max(1) as f64;
    let each = |key: &str, scale: f64, idle: u64| {
        annotations
            .get(key)
            .and_then(|text| parse_quantity(text))
            .filter(|value| *value >= 0.0)
            .map_or(idle, |value| (value * scale / share).round() as u64)
    };
    let usage = Usage {
        cpu_nanocores: each(SIM_CPU, 1e9, IDLE_CPU_NANOCORES),
        memory_bytes: each(SIM_MEMORY, 1.0, IDLE_MEMORY_BYTES),
    };
    containers.into_iter().map(|name| (name, usage)).collect()
}

/// CPU nanocores between two of Docker's samples, as `docker stats`
/// computes its percentage: the container's share of the host's CPU time
/// times the number of CPUs.
pub fn cpu_nanocores(
    container_now: u64,
    container_before: u64,
    system_now: u64,
    system_before: u64,
    cpus: u64,
) -> u64 {
    let container = container_now.saturating_sub(container_before) as f64;
    let system = system_now.saturating_sub(system_before) as f64;
    if system <= 0.0 {
        return 0;
    }
    (container / system * cpus.max(1) as f64 * 1e9).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(annotations: serde_json::Value, containers: usize) -> Pod {
        let containers: Vec<serde_json::Value> = (0..containers)
            .map(|i| serde_json::json!({"name": format!("c{i}"), "image": "x"}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "annotations": annotations},
            "spec": {"containers": containers},
        }))
        .expect("pod")
    }

    #[test]
    fn annotations_set_the_simulated_use_shared_by_the_containers() {
        let busy = simulated(&pod(
            serde_json::json!({SIM_CPU: "500m", SIM_MEMORY: "128Mi"}),
            2,
        ));
        assert_eq!(busy.len(), 2);
        assert_eq!(busy[0].1.cpu_nanocores, 250_000_000);
        assert_eq!(busy[1].1.memory_bytes, 64 << 20);
        let idle = simulated(&pod(serde_json::json!({SIM_CPU: "lots"}), 1));
        assert_eq!(
            idle[0].1,
            Usage {
                cpu_nanocores: 1_000_000,
                memory_bytes: 4 << 20
            }
        );
        assert_eq!(idle[0].1.cpu_quantity(), "1000000n");
        assert_eq!(idle[0].1.memory_quantity(), "4096Ki");
    }

    #[test]
    fn docker_samples_become_nanocores_as_docker_stats_computes_them() {
        // Half of the host's CPU time on a 2-CPU host: one core.
        assert_eq!(cpu_nanocores(1_500, 1_000, 2_000, 1_000, 2), 1_000_000_000);
        assert_eq!(cpu_nanocores(1_250, 1_000, 2_000, 1_000, 2), 500_000_000);
        assert_eq!(cpu_nanocores(5, 5, 10, 10, 2), 0);
    }
}
