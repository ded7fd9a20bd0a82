//! Many pods on the sim.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use podium::api::Kind;
use podium::cluster::SimOptions;
use podium::kubelet::{Kubelet, NodeConfig, SimRuntime};
use podium::store::{ListFilter, Store};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::common::*;

/// 10,000 pods over three nodes with instant latencies all become ready
/// quickly: the kubelet keeps no per-pod busy work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_pods_over_three_nodes_all_become_ready() {
    const PODS: usize = 10_000;
    let store = Store::in_memory();
    namespace(&store);
    let cancel = CancellationToken::new();
    for index in 0..3u8 {
        let runtime = Arc::new(SimRuntime::new(SimOptions {
            latency_factor: 0.0,
        }));
        let mut config = NodeConfig::new(&format!("node-{index}"), index);
        config.pods = 5000;
        config.cpu = "64".to_string();
        config.memory = "256Gi".to_string();
        Kubelet::start(store.clone(), runtime, config, cancel.clone());
    }
    podium::scheduler::start(store.clone(), cancel.clone());
    let began = std::time::Instant::now();
    for i in 0..PODS {
        store
            .create(web_pod(&format!("pod-{i}"), json!({})))
            .expect("create");
    }
    let created = began.elapsed();
    let mut ready = 0;
    for _ in 0..1200 {
        ready = store
            .list(Kind::Pod, Some("default"), &ListFilter::default())
            .items
            .iter()
            .filter_map(|o| <Pod as podium::api::KubeObject>::from_object(o))
            .filter(|p| condition(p, "Ready").is_some_and(|c| c.0 == "True"))
            .count();
        if ready == PODS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = began.elapsed();
    eprintln!("{PODS} pods: created in {created:?}, all ready after {took:?}");
    assert_eq!(ready, PODS);
    let ips: std::collections::HashSet<String> = store
        .list_as::<Pod>(Some("default"), &ListFilter::default())
        .into_iter()
        .filter_map(|p| p.status.and_then(|s| s.pod_ip))
        .collect();
    assert_eq!(ips.len(), PODS, "every pod has its own IP");
    cancel.cancel();
}
