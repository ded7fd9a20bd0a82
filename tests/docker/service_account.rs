//! A pod's ServiceAccount credentials on a real container: the token, the
//! cluster's CA and the namespace at /var/run/secrets/kubernetes.io/serviceaccount,
//! and the token authenticates as the pod's account.

use std::time::Duration;

use crate::cluster::DockerPodium;

const SLEEPER: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: sleeper}
spec:
  containers:
  - name: echo
    image: podium/echo:1.0
    command: ["/bin/sh", "-c", "sleep 3600"]
---
apiVersion: v1
kind: Pod
metadata: {name: no-token}
spec:
  automountServiceAccountToken: false
  containers:
  - name: echo
    image: podium/echo:1.0
    command: ["/bin/sh", "-c", "sleep 3600"]
"#;

const DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

#[test]
fn a_pod_holds_its_service_accounts_token_ca_and_namespace() {
    let podium = DockerPodium::start();
    podium.kubectl_stdin(&["apply", "-f", "-"], SLEEPER);
    podium.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/sleeper",
        "pod/no-token",
        "--timeout=60s",
    ]);
    let volume = podium.ok(&[
        "get",
        "pod",
        "sleeper",
        "-o",
        "jsonpath={.spec.volumes[0].name}",
    ]);
    assert!(volume.starts_with("kube-api-access-"), "{volume}");

    let namespace = podium.ok(&["exec", "sleeper", "--", "cat", &format!("{DIR}/namespace")]);
    assert_eq!(namespace, "default");
    let ca = podium.ok(&["exec", "sleeper", "--", "cat", &format!("{DIR}/ca.crt")]);
    let published = podium.ok(&[
        "get",
        "cm",
        "kube-root-ca.crt",
        "-o",
        "jsonpath={.data.ca\\.crt}",
    ]);
    assert_eq!(ca.trim(), published.trim());
    let token = podium.ok(&["exec", "sleeper", "--", "cat", &format!("{DIR}/token")]);
    let whoami = podium.ok(&["--token", token.trim(), "auth", "whoami"]);
    assert!(
        whoami.contains("system:serviceaccount:default:default"),
        "{whoami}"
    );
    // Bound to the pod: deleting it ends the token.
    podium.ok(&["delete", "pod", "sleeper", "--grace-period=0", "--force"]);
    podium.wait_for(
        &["get", "pods", "-o", "name"],
        Duration::from_secs(30),
        |out| !out.contains("pod/sleeper"),
    );
    let refused = podium.kubectl(&["--token", token.trim(), "auth", "whoami"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Unauthorized"));

    let listing = podium.kubectl(&["exec", "no-token", "--", "ls", DIR]);
    assert!(
        !listing.status.success(),
        "automount off leaves no credentials"
    );
}

/// A pod whose ServiceAccount may read pods and nothing else, with the
/// host's kubectl (a static binary) mounted in: client-go's in-cluster
/// configuration is what it uses there.
fn in_cluster_client(kubectl: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: ServiceAccount
metadata: {{name: reader}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: pod-reader}}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: reader-reads-pods}}
subjects:
- kind: ServiceAccount
  name: reader
roleRef:
  kind: Role
  name: pod-reader
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: v1
kind: Pod
metadata: {{name: in-cluster}}
spec:
  serviceAccountName: reader
  containers:
  - name: client
    image: podium/echo:1.0
    command: ["/bin/busybox", "sleep", "3600"]
    env: [{{name: HOME, value: /tmp}}]
    volumeMounts:
    - {{name: kubectl, mountPath: /opt/kubectl, readOnly: true}}
  volumes:
  - name: kubectl
    hostPath: {{path: {kubectl}, type: File}}
"#
    )
}

#[test]
fn a_client_inside_a_pod_reaches_the_api_server_as_its_service_account() {
    let podium = DockerPodium::start();
    let kubectl = std::fs::canonicalize("/usr/bin/kubectl").expect("kubectl is installed");
    let manifest = in_cluster_client(&kubectl.to_string_lossy());
    podium.kubectl_stdin(&["apply", "-f", "-"], &manifest);
    podium.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/in-cluster",
        "--timeout=60s",
    ]);
    // The kubernetes Service, as every cluster has it.
    let service = podium.ok(&[
        "get",
        "service",
        "kubernetes",
        "-o",
        "jsonpath={.spec.clusterIP} {.spec.ports[0].port} {.metadata.labels.component}",
    ]);
    let cluster_ip = service
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(service.ends_with(" 443 apiserver"), "{service}");
    let env = podium.ok(&["exec", "in-cluster", "--", "env"]);
    assert!(
        env.contains(&format!("KUBERNETES_SERVICE_HOST={cluster_ip}"))
            && env.contains("KUBERNETES_SERVICE_PORT=443"),
        "{env}"
    );
    // No flags that change the client's configuration (not even
    // --request-timeout): with any, client-go skips the in-cluster one.
    let inside = |args: &[&str]| {
        let mut command = vec!["exec", "in-cluster", "--", "/opt/kubectl"];
        command.extend_from_slice(args);
        podium.kubectl(&command)
    };
    // Allowed by its Role: the pods, as any in-cluster client lists them.
    let pods = podium.wait_for(
        &[
            "exec",
            "in-cluster",
            "--",
            "/opt/kubectl",
            "get",
            "pods",
            "-o",
            "name",
        ],
        Duration::from_secs(30),
        |out| out.contains("pod/in-cluster"),
    );
    assert!(pods.contains("pod/in-cluster"), "{pods}");
    let whoami = inside(&[
        "auth",
        "whoami",
        "-o",
        "jsonpath={.status.userInfo.username}",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&whoami.stdout),
        "system:serviceaccount:default:reader"
    );
    // The official Python client's in-cluster configuration, with what
    // the pod holds, answers alike.
    let copy = tempfile::tempdir().expect("tempdir");
    for file in ["token", "ca.crt"] {
        let content = podium.ok(&["exec", "in-cluster", "--", "cat", &format!("{DIR}/{file}")]);
        std::fs::write(copy.path().join(file), content).expect("copied");
    }
    let said = podium.python(
        "python_incluster.py",
        &[
            &cluster_ip,
            "443",
            &copy.path().join("token").to_string_lossy(),
            &copy.path().join("ca.crt").to_string_lossy(),
        ],
    );
    assert!(said.contains(&"pod in-cluster".to_string()), "{said:?}");
    assert!(said.contains(&"secrets 403".to_string()), "{said:?}");
    // Not granted: refused with upstream's words.
    let secrets = inside(&["get", "secrets"]);
    let said = String::from_utf8_lossy(&secrets.stderr);
    assert!(!secrets.status.success(), "secrets listed: {said}");
    assert!(
        said.contains(
            r#"User "system:serviceaccount:default:reader" cannot list resource "secrets" in API group "" in the namespace "default""#
        ),
        "{said}"
    );
}
