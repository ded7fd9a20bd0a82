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
