//! Containers' use from Docker's stats stream: one stream per container,
//! opened the first time its use is asked for and kept while the container
//! runs (as oxker keeps them), so `kubectl top` reads the latest sample
//! instead of waiting a second for Docker to take one. Until the first
//! sample arrives there is no figure, as metrics-server has none for a
//! pod it has not scraped yet.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bollard::Docker;
use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptions;
use futures::StreamExt;
use parking_lot::Mutex;

use crate::kubelet::usage::{Usage, cpu_nanocores};

#[derive(Default, Clone)]
pub struct StatsCache {
    latest: Arc<Mutex<HashMap<String, Usage>>>,
    streaming: Arc<Mutex<HashSet<String>>>,
}

impl StatsCache {
    /// The latest use of container `id`, starting its stream if none runs.
    pub fn usage(&self, docker: &Docker, id: &str) -> Option<Usage> {
        if let Some(usage) = self.latest.lock().get(id) {
            return Some(*usage);
        }
        if self.streaming.lock().insert(id.to_string()) {
            self.stream(docker.clone(), id.to_string());
        }
        None
    }

    fn stream(&self, docker: Docker, id: String) {
        let cache = self.clone();
        tokio::spawn(async move {
            let options = StatsOptions {
                stream: true,
                one_shot: false,
            };
            let mut samples = docker.stats(&id, Some(options));
            while let Some(Ok(sample)) = samples.next().await {
                if let Some(usage) = usage_of(&sample) {
                    cache.latest.lock().insert(id.clone(), usage);
                }
            }
            // The container stopped or went: its figures with it.
            cache.latest.lock().remove(&id);
            cache.streaming.lock().remove(&id);
        });
    }
}

/// One sample's CPU (against the one before it) and working-set memory
/// (usage less inactive file pages, as the kubelet's cAdvisor counts it).
fn usage_of(sample: &ContainerStatsResponse) -> Option<Usage> {
    let cpu = sample.cpu_stats.as_ref()?;
    let before = sample.precpu_stats.as_ref()?;
    let total = |stats: &bollard::models::ContainerCpuStats| {
        stats.cpu_usage.as_ref().and_then(|u| u.total_usage)
    };
    let (Some(now), Some(system_now)) = (total(cpu), cpu.system_cpu_usage) else {
        return None;
    };
    let (then, system_then) = (
        total(before).unwrap_or(now),
        before.system_cpu_usage.unwrap_or(system_now),
    );
    let memory = sample.memory_stats.as_ref()?;
    let inactive = memory
        .stats
        .as_ref()
        .and_then(|s| {
            s.get("inactive_file")
                .or_else(|| s.get("total_inactive_file"))
        })
        .copied()
        .unwrap_or(0);
    Some(Usage {
        cpu_nanocores: cpu_nanocores(
            now,
            then,
            system_now,
            system_then,
            u64::from(cpu.online_cpus.unwrap_or(1)),
        ),
        memory_bytes: memory.usage?.saturating_sub(inactive),
    })
}
