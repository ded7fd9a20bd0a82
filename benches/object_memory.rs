//! What one object costs the console's remote cache: live heap bytes per
//! Pod and per Event as typed k8s-openapi objects, per Pod as a
//! `serde_json::Value` tree (what each list page became before it was
//! typed straight from its bytes), and per Secret of a Helm release whole
//! and as the cache keeps it (keys without values). Prints a table.
//!
//!     cargo bench --bench object_memory
//!
//! The objects are real: a simulated cluster runs 100 pods, and their JSON
//! (as the API server sends it) is parsed COPIES times under a counting
//! allocator, so the figures are heap bytes, not RSS.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use podium::api::{Kind, Object};
use podium::cluster::{Cluster, ClusterConfig};

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PODS: usize = 100;
const COPIES: usize = 10_000;
/// The size of a Helm release's data, compressed (a small chart's).
const RELEASE_BYTES: usize = 16 << 10;

/// Live heap bytes per item of what `make` builds `COPIES` times.
fn bytes_each<T>(make: impl Fn(usize) -> T) -> f64 {
    let before = LIVE.load(Ordering::Relaxed);
    let kept: Vec<T> = (0..COPIES).map(make).collect();
    let after = LIVE.load(Ordering::Relaxed);
    std::hint::black_box(&kept);
    (after - before) as f64 / COPIES as f64
}

/// The JSON of each object of `kind`, as the API server sends it.
fn wire(cluster: &Cluster, kind: Kind) -> Vec<serde_json::Value> {
    cluster
        .handle()
        .list(kind, None)
        .iter()
        .map(|object| object.to_json())
        .collect()
}

/// A Secret as Helm 3 stores a release: the gzipped, base64-encoded
/// release in one key. RELEASE_BYTES of incompressible data stand for it.
fn helm_release_secret() -> serde_json::Value {
    use base64::Engine;
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let release: Vec<u8> = (0..RELEASE_BYTES)
        .map(|_| {
            // xorshift: incompressible bytes without a dependency.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&release);
    serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": "sh.helm.release.v1.web.v1", "namespace": "default",
                     "labels": {"name": "web", "owner": "helm", "status": "deployed", "version": "1"}},
        "data": {"release": encoded},
    })
}

/// Copy `i` of `samples`, renamed so that no two copies share a name.
fn copy(samples: &[serde_json::Value], i: usize) -> serde_json::Value {
    let mut value = samples[i % samples.len()].clone();
    value["metadata"]["name"] = serde_json::Value::from(format!("copy-{i}"));
    value
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = Cluster::start(ClusterConfig::sim_in_memory(dir.path()))
        .await
        .expect("cluster");
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: default}}\n\
         spec:\n  replicas: {PODS}\n  selector: {{matchLabels: {{app: web}}}}\n  \
         template:\n    metadata: {{labels: {{app: web}}}}\n    \
         spec: {{containers: [{{name: main, image: podium/echo:1.0, ports: [{{containerPort: 8080}}]}}]}}\n"
    );
    cluster
        .handle()
        .apply(&deployment, false)
        .await
        .expect("apply");
    let deadline = Instant::now() + Duration::from_secs(60);
    while wire(&cluster, Kind::Pod)
        .iter()
        .filter(|pod| pod["status"]["phase"] == "Running")
        .count()
        < PODS
    {
        assert!(Instant::now() < deadline, "pods never ran");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let pods = wire(&cluster, Kind::Pod);
    let secrets = vec![helm_release_secret()];
    let events = wire(&cluster, Kind::Event);
    cluster.shutdown();

    let json_len = |values: &[serde_json::Value]| {
        values
            .iter()
            .map(|v| serde_json::to_vec(v).map_or(0, |b| b.len()))
            .sum::<usize>() as f64
            / values.len() as f64
    };
    let typed = |kind: Kind, samples: &[serde_json::Value]| {
        bytes_each(|i| Object::from_json(kind, copy(samples, i)).expect("parses"))
    };
    let rows = [
        (
            "Pod, typed (the cache)",
            json_len(&pods),
            typed(Kind::Pod, &pods),
        ),
        (
            "Pod, as a serde_json::Value tree",
            json_len(&pods),
            bytes_each(|i| copy(&pods, i)),
        ),
        (
            "Event, typed (the cache)",
            json_len(&events),
            typed(Kind::Event, &events),
        ),
        (
            "Secret of a Helm release, typed whole",
            json_len(&secrets),
            typed(Kind::Secret, &secrets),
        ),
        (
            "Secret of a Helm release, as the cache keeps it",
            json_len(&secrets),
            bytes_each(|i| {
                podium::handle::kube::as_cached(
                    Object::from_json(Kind::Secret, copy(&secrets, i)).expect("parses"),
                )
            }),
        ),
    ];
    println!(
        "\nlive heap per object, {COPIES} copies of {} pods' and {} events' JSON from a simulated cluster\n",
        pods.len(),
        events.len()
    );
    println!("| object | JSON bytes | heap bytes | heap × 10,000 |");
    println!("|---|---:|---:|---:|");
    for (name, json, heap) in rows {
        println!(
            "| {name} | {json:.0} | {heap:.0} | {:.1} MiB |",
            heap * 10_000.0 / 1_048_576.0
        );
    }
}
