//! The official Kubernetes client libraries work against podium, not only
//! kubectl. `./scripts/test` installs the Python client into
//! target/test-venv.

mod common;

use std::path::Path;
use std::process::Command;

use common::Podium;

#[test]
fn official_python_client_creates_watches_scales_and_deletes() {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-venv/bin/python");
    assert!(
        python.exists(),
        "the Python Kubernetes client is not installed; run ./scripts/test (it creates {})",
        python.display()
    );
    let podium = Podium::start();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/python_client.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&podium.kubeconfig)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "created py-web RollingUpdate",
            "available 2",
            "pods 2 Running",
            "scaled 3",
            "duplicate 409 AlreadyExists",
            "missing 404 pods \"no-such-pod\" not found",
            "deleted",
        ],
        "{stderr}"
    );
}
