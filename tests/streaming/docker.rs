//! exec and port-forward into real containers of `podium/echo:1.0`, whose
//! busybox gives `sh`, `cat`, `httpd` and `sha256sum`.

use std::process::Command;

use crate::cluster::DockerPodium;
use crate::support::{
    PortForward, kubectl, kubectl_ok, kubectl_with_input, kubectl_with_input_env, payload,
    sha256_hex,
};

const TEN_MB: usize = 10 * 1024 * 1024;

/// Pod `echo` serving the echo page on 8080, running and ready.
fn echo_pod() -> DockerPodium {
    let podium = DockerPodium::start();
    podium.ok(&["run", "echo", "--image=podium/echo:1.0", "--port=8080"]);
    podium.ok(&["wait", "--for=condition=Ready", "pod/echo", "--timeout=90s"]);
    podium
}

#[test]
fn exec_runs_commands_in_a_container_with_stdin_and_exit_codes() {
    let podium = echo_pod();

    assert_eq!(
        kubectl_ok(&podium.kubeconfig, &["exec", "echo", "--", "echo", "hi"]),
        "hi\n"
    );
    assert_eq!(
        kubectl_ok(
            &podium.kubeconfig,
            &["exec", "echo", "--", "sh", "-c", "echo out; echo err >&2"]
        ),
        "out\n"
    );

    let failed = kubectl(
        &podium.kubeconfig,
        &["exec", "echo", "--", "sh", "-c", "exit 3"],
    );
    assert_eq!(failed.status.code(), Some(3), "{failed:?}");
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("command terminated with exit code 3"),
        "{failed:?}"
    );

    let cat = kubectl_with_input(
        &podium.kubeconfig,
        &["exec", "-i", "echo", "--", "cat"],
        b"hello\nworld\n",
    );
    assert!(cat.status.success(), "{cat:?}");
    assert_eq!(cat.stdout, b"hello\nworld\n");

    // The command sees the end of stdin and ends on its own.
    let counted = kubectl_with_input(
        &podium.kubeconfig,
        &["exec", "-i", "echo", "--", "wc", "-c"],
        b"12345",
    );
    assert_eq!(String::from_utf8_lossy(&counted.stdout).trim(), "5");

    // 10 MB in through stdin and out through stdout, byte for byte.
    let blob = payload(TEN_MB);
    let upload = kubectl_with_input(
        &podium.kubeconfig,
        &["exec", "-i", "echo", "--", "sh", "-c", "cat > /tmp/blob"],
        &blob,
    );
    assert!(upload.status.success(), "{upload:?}");
    let inside = kubectl_ok(
        &podium.kubeconfig,
        &["exec", "echo", "--", "busybox", "sha256sum", "/tmp/blob"],
    );
    assert_eq!(
        inside.split_whitespace().next(),
        Some(sha256_hex(&blob).as_str())
    );
    let download = kubectl(
        &podium.kubeconfig,
        &["exec", "echo", "--", "cat", "/tmp/blob"],
    );
    assert!(download.status.success());
    assert_eq!(download.stdout.len(), TEN_MB);
    assert_eq!(sha256_hex(&download.stdout), sha256_hex(&blob));

    let stderr = podium.fails(&["exec", "echo", "-c", "sidecar", "--", "true"]);
    assert!(stderr.contains("sidecar"), "{stderr}");
}

/// `kubectl exec -it` in a real pseudo-terminal (util-linux `script`).
#[test]
fn exec_with_a_tty_runs_an_interactive_shell() {
    let podium = echo_pod();
    let kubeconfig = podium.kubeconfig.display().to_string();
    let session = format!(
        "stty cols 100 rows 30; KUBECONFIG={kubeconfig} kubectl exec -it echo -- sh -c 'read line; stty size; echo \"got $line\"; exit 5'"
    );
    let mut script = Command::new("script")
        .args(["-qec", &session, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script runs");
    {
        use std::io::Write;
        let mut stdin = script.stdin.take().expect("stdin");
        std::thread::sleep(std::time::Duration::from_secs(2));
        stdin.write_all(b"typed\n").expect("type a line");
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    let out = script.wait_with_output().expect("script output");
    let text = String::from_utf8_lossy(&out.stdout);
    // The line typed reached sh, and by then the terminal had kubectl's
    // size (engines before Docker 23 learn it just after the start).
    assert!(text.contains("30 100"), "{text}");
    assert!(text.contains("got typed"), "{text}");
    assert!(
        text.contains("command terminated with exit code 5"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(5), "{text}");
}

#[test]
fn port_forward_reaches_a_container_over_websocket_and_plain_spdy() {
    let podium = echo_pod();

    let forward = PortForward::start(&podium.kubeconfig, "pod/echo", 8080, &[]);
    let (status, body) = forward.get("/through-the-tunnel");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let page = String::from_utf8_lossy(&body);
    assert!(page.contains("real path=/through-the-tunnel"), "{page}");
    assert!(page.contains("hostname=echo"), "{page}");

    // kubectl's fallback: SPDY/3.1 straight over the HTTP upgrade.
    let spdy = PortForward::start(
        &podium.kubeconfig,
        "pod/echo",
        8080,
        &[("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false")],
    );
    for round in 0..3 {
        let (status, body) = spdy.get(&format!("/spdy/{round}"));
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(String::from_utf8_lossy(&body).contains(&format!("real path=/spdy/{round}")));
    }
}

#[test]
fn port_forward_carries_ten_megabytes_intact() {
    let podium = echo_pod();
    let blob = payload(TEN_MB);
    let upload = kubectl_with_input(
        &podium.kubeconfig,
        &[
            "exec",
            "-i",
            "echo",
            "--",
            "sh",
            "-c",
            "mkdir -p /tmp/www && cat > /tmp/www/blob",
        ],
        &blob,
    );
    assert!(upload.status.success(), "{upload:?}");
    // busybox httpd serves the file on 9000 (it backgrounds itself).
    kubectl_ok(
        &podium.kubeconfig,
        &[
            "exec", "echo", "--", "busybox", "httpd", "-p", "9000", "-h", "/tmp/www",
        ],
    );

    for env in [&[][..], &[("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false")][..]] {
        let forward = PortForward::start(&podium.kubeconfig, "pod/echo", 9000, env);
        let (status, body) = forward.get("/blob");
        assert!(status.ends_with(" 200 OK"), "{status} {env:?}");
        assert_eq!(body.len(), TEN_MB, "{env:?}");
        assert_eq!(sha256_hex(&body), sha256_hex(&blob), "{env:?}");
    }
}

#[test]
fn port_forward_to_a_service_and_a_refused_port() {
    let podium = DockerPodium::start();
    podium.ok(&[
        "create",
        "deployment",
        "hello",
        "--image=podium/echo:1.0",
        "--port=8080",
    ]);
    podium.ok(&[
        "expose",
        "deployment",
        "hello",
        "--name=hello-service",
        "--port=80",
        "--target-port=8080",
    ]);
    podium.ok(&[
        "wait",
        "--for=condition=Available",
        "deployment/hello",
        "--timeout=90s",
    ]);

    let forward = PortForward::start(&podium.kubeconfig, "svc/hello-service", 80, &[]);
    let (status, body) = forward.get("/via-service");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let page = String::from_utf8_lossy(&body);
    assert!(page.contains("real path=/via-service"), "{page}");
    assert!(page.contains("hostname=hello-"), "{page}");

    // Nothing listens on 9999: kubectl reports the pod's error and stops.
    let mut refused = PortForward::start(&podium.kubeconfig, "deployment/hello", 9999, &[]);
    let mut socket =
        std::net::TcpStream::connect(("127.0.0.1", refused.local_port)).expect("connect");
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    let mut answer = Vec::new();
    use std::io::Read;
    let _ = socket.read_to_end(&mut answer);
    assert!(answer.is_empty());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while refused.running() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        !refused.running(),
        "kubectl port-forward should stop after the error"
    );
    let stderr = refused.stderr();
    assert!(
        stderr.contains("error forwarding port 9999 to pod hello-") && stderr.contains("refused"),
        "{stderr}"
    );
}

/// kubectl's SPDY/3.1 exec (its fallback when a WebSocket is refused).
#[test]
fn exec_over_kubectls_spdy_fallback() {
    let podium = echo_pod();
    let spdy = |args: &[&str], input: &[u8]| {
        kubectl_with_input_env(
            &podium.kubeconfig,
            args,
            input,
            &[("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false")],
        )
    };
    let hi = spdy(&["exec", "echo", "--", "echo", "hi"], b"");
    assert!(hi.status.success(), "{hi:?}");
    assert_eq!(hi.stdout, b"hi\n");

    let failed = spdy(
        &["exec", "echo", "--", "sh", "-c", "echo oops >&2; exit 3"],
        b"",
    );
    assert_eq!(failed.status.code(), Some(3), "{failed:?}");
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("oops"),
        "{failed:?}"
    );

    let blob = payload(TEN_MB);
    let cat = spdy(&["exec", "-i", "echo", "--", "cat"], &blob);
    assert!(cat.status.success(), "{:?}", cat.status);
    assert_eq!(cat.stdout.len(), TEN_MB);
    assert_eq!(sha256_hex(&cat.stdout), sha256_hex(&blob));
}
