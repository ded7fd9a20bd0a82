//! A StatefulSet on Docker: its pods answer at `<pod>.<service>` from
//! other pods (the headless Service's names in each pod's hosts file),
//! and what a pod writes to its claim is there again when the pod is
//! made anew — in a directory of podium's data directory.

use std::time::Duration;

use crate::TrafficPodium;
use crate::in_cluster::{exec_ok, hostname, wget_until};

const WEB: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 8080, name: web}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: echo
        image: podium/echo:1.0
        ports: [{containerPort: 8080}]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
"#;

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn stateful_pods_answer_by_name_and_keep_their_data_when_made_anew() {
    let podium = TrafficPodium::start();
    podium.kubectl_stdin(&["apply", "-f", "-"], WEB);
    podium.ok(&["rollout", "status", "sts/web", "--timeout=120s"]);
    podium.ok(&["run", "client", "--image=podium/echo:1.0"]);
    podium.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/client",
        "--timeout=60s",
    ]);

    let reply = wget_until(&podium, "client", "http://web-0.nginx:8080/", MINUTE);
    assert_eq!(hostname(&reply), "web-0", "{reply}");
    let reply = wget_until(
        &podium,
        "client",
        "http://web-1.nginx.default.svc.cluster.local:8080/",
        MINUTE,
    );
    assert_eq!(hostname(&reply), "web-1", "{reply}");

    exec_ok(&podium, "web-0", &["sh", "-c", "echo kept > /data/note"]);
    let uid = podium.ok(&["get", "pod", "web-0", "-o", "jsonpath={.metadata.uid}"]);
    podium.ok(&["delete", "pod", "web-0"]);
    podium.wait_for(
        &[
            "get",
            "pod",
            "web-0",
            "-o",
            "jsonpath={.metadata.uid} {.status.phase}",
        ],
        MINUTE,
        |out| !out.starts_with(&uid) && out.ends_with("Running"),
    );
    assert_eq!(
        exec_ok(&podium, "web-0", &["cat", "/data/note"]).trim(),
        "kept"
    );

    let volume = podium.ok(&[
        "get",
        "pvc",
        "data-web-0",
        "-o",
        "jsonpath={.spec.volumeName}",
    ]);
    let on_host = podium.data_dir().join("volumes").join(&volume).join("note");
    assert_eq!(
        std::fs::read_to_string(&on_host)
            .expect("the volume's file on the host")
            .trim(),
        "kept"
    );
    // The claim deleted (after its set), the volume and its directory go.
    podium.ok(&["delete", "sts", "web"]);
    podium.wait_for(
        &["get", "pods", "-l", "app=web", "-o", "name"],
        MINUTE,
        str::is_empty,
    );
    podium.ok(&["delete", "pvc", "data-web-0"]);
    podium.wait_for(
        &[
            "get",
            "pv",
            volume.as_str(),
            "--ignore-not-found",
            "-o",
            "name",
        ],
        MINUTE,
        str::is_empty,
    );
    assert!(!on_host.exists(), "{} removed", on_host.display());
}
