//! The official Python client's exec against a real container: stdin sent
//! as WebSocket text frames, stdout and stderr apart, the exit code.

use crate::cluster::DockerPodium;

const SLEEPER: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: py-exec}
spec:
  containers:
  - name: echo
    image: podium/echo:1.0
    command: ["/bin/sh", "-c", "sleep 3600"]
"#;

#[test]
fn the_python_clients_exec_sends_stdin_as_text_and_reads_the_exit_code() {
    let podium = DockerPodium::start();
    podium.kubectl_stdin(&["apply", "-f", "-"], SLEEPER);
    podium.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/py-exec",
        "--timeout=60s",
    ]);
    let lines = podium.python("python_exec.py", &["py-exec"]);
    assert_eq!(
        lines,
        [
            "protocol v5.channel.k8s.io",
            "echoed hello from python",
            "cat exit 0",
            "stdout out",
            "stderr err",
            "exit 3",
        ]
    );
}
