//! The embedded handle's exec and port-forward over a real cluster on the
//! simulated runtime: what the console gets when it runs a command in a
//! pod or opens a connection to one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;

use super::{ClusterHandle, ExecOutput, ExecParams, HandleError};
use crate::api::{Kind, Object};
use crate::cluster::{Cluster, ClusterConfig};

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: podium/echo:1.0
    ports:
    - containerPort: 8080
";

async fn cluster_with_pod() -> (Cluster, Arc<dyn ClusterHandle>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = Cluster::start(ClusterConfig::sim_in_memory(dir.path()))
        .await
        .expect("cluster starts");
    let handle = cluster.handle();
    handle.apply(POD, false).await.expect("pod created");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let running =
            handle
                .get(Kind::Pod, "default", "web")
                .is_some_and(|pod| match pod.as_ref() {
                    Object::Pod(pod) => {
                        pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
                    }
                    _ => false,
                });
        if running {
            break;
        }
        assert!(Instant::now() < deadline, "pod web never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (cluster, handle, dir)
}

fn command(words: &[&str]) -> ExecParams {
    ExecParams {
        container: None,
        command: words.iter().map(|w| w.to_string()).collect(),
        stdin: false,
        tty: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_runs_a_command_and_reports_its_output_and_exit_code() {
    let (cluster, handle, _dir) = cluster_with_pod().await;

    let process = handle
        .exec("default", "web", command(&["echo", "hi", "there"]))
        .await
        .expect("exec starts");
    let output: Vec<ExecOutput> = process.output.collect().await;
    assert_eq!(
        output,
        vec![ExecOutput::Stdout(bytes::Bytes::from("hi there\n"))]
    );
    assert_eq!(process.status.await.expect("exit code"), 0);

    let failing = handle
        .exec("default", "web", command(&["sh", "-c", "exit 3"]))
        .await
        .expect("exec starts");
    assert_eq!(failing.status.await.expect("exit code"), 3);

    let missing = handle
        .exec("default", "nope", command(&["sh"]))
        .await
        .expect_err("no such pod");
    assert!(matches!(missing, HandleError::Connect(_)), "{missing:?}");
    assert!(
        missing.to_string().contains("\"nope\" not found"),
        "{missing}"
    );

    let empty = handle
        .exec("default", "web", command(&[]))
        .await
        .expect_err("no command");
    assert!(empty.to_string().contains("needs a command"), "{empty}");
    cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_connects_to_a_declared_port_and_names_what_is_wrong_otherwise() {
    let (cluster, handle, _dir) = cluster_with_pod().await;

    // The simulated container accepts connections on its declared port.
    handle
        .port_forward("default", "web", 8080)
        .await
        .expect("a connection to the pod's port");

    let missing = handle
        .port_forward("default", "nope", 8080)
        .await
        .err()
        .expect("no such pod");
    assert!(
        missing
            .to_string()
            .contains("\"nope\" not found in namespace default"),
        "{missing}"
    );
    let undeclared = handle
        .port_forward("default", "web", 9999)
        .await
        .err()
        .expect("an undeclared port");
    assert!(
        undeclared
            .to_string()
            .contains("pod default/web is not running or does not publish port 9999"),
        "{undeclared}"
    );
    cluster.shutdown();
}
