//! `a` (apply a file) is kubectl's client-side apply on both handles, and
//! kubectl and podium read the configuration each other recorded.
//!
//! Its own test binary: `tests/remote_console.rs` asserts on the server's
//! access log that its read-only console sent no write, and this test's
//! writes carry the same User-Agent.

use std::sync::Arc;

use podium::cluster::{Cluster, ClusterConfig};
use podium::handle::ClusterHandle;
use podium::handle::kube::{KubeHandle, KubeTarget};

/// A Deployment `name` whose container has the env vars `env` and whose
/// labels are `labels`, as a file would have it.
fn web_file(name: &str, labels: &str, env: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, labels: {{{labels}}}}}\n\
         spec:\n  replicas: 1\n  selector: {{matchLabels: {{app: {name}}}}}\n  \
         template:\n    metadata: {{labels: {{app: {name}}}}}\n    \
         spec: {{containers: [{{name: web, image: podium/echo:1.0, env: [{env}]}}]}}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_removes_what_the_file_no_longer_sets_as_kubectl_apply_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = Cluster::start(ClusterConfig::sim_in_memory(dir.path()))
        .await
        .expect("cluster starts");
    let kube: Arc<dyn ClusterHandle> = Arc::new(
        KubeHandle::open(KubeTarget {
            kubeconfig: Some(cluster.kubeconfig.clone()),
            context: None,
        })
        .await
        .expect("kubeconfig opens"),
    );
    let deployment = |name: &str| {
        cluster
            .store
            .get_as::<k8s_openapi::api::apps::v1::Deployment>("default", name)
            .expect("the deployment")
    };
    let env_names = |d: &k8s_openapi::api::apps::v1::Deployment| -> Vec<String> {
        d.spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .map_or(Vec::new(), |s| {
                s.containers[0]
                    .env
                    .iter()
                    .flatten()
                    .map(|e| e.name.clone())
                    .collect()
            })
    };
    for (handle, name) in [(cluster.handle(), "embedded"), (kube, "remote")] {
        let first = web_file(
            name,
            "tier: front, team: a",
            "{name: A, value: '1'}, {name: B, value: '2'}",
        );
        let answer = handle.apply(&first, false).await.expect("created");
        assert_eq!(answer, [format!("deployment.apps/{name} created")]);
        let answer = handle.apply(&first, false).await.expect("applied again");
        assert_eq!(answer, [format!("deployment.apps/{name} unchanged")]);

        // A label and an env var taken out of the file go from the cluster.
        let second = web_file(name, "team: a", "{name: A, value: '1'}");
        let answer = handle.apply(&second, false).await.expect("configured");
        assert_eq!(answer, [format!("deployment.apps/{name} configured")]);
        let applied = deployment(name);
        let labels = applied.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.keys().collect::<Vec<_>>(), ["team"], "{name}");
        assert_eq!(env_names(&applied), ["A"], "{name}");

        // The real kubectl reads the configuration podium recorded: its
        // apply of a file without A removes A.
        let path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, web_file(name, "team: a", "{name: C, value: '3'}")).expect("write");
        let out = tokio::process::Command::new("kubectl")
            .arg("apply")
            .arg("-f")
            .arg(&path)
            .env("KUBECONFIG", &cluster.kubeconfig)
            .output()
            .await
            .expect("kubectl runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(env_names(&deployment(name)), ["C"], "{name}");

        // And podium reads kubectl's: its apply of a file without C removes C.
        let fourth = web_file(name, "team: a", "{name: D, value: '4'}");
        handle.apply(&fourth, false).await.expect("configured");
        assert_eq!(env_names(&deployment(name)), ["D"], "{name}");
    }
    cluster.shutdown();
}
