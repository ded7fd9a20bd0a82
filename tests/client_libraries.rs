//! The official Kubernetes client libraries work against podium, not only
//! kubectl. `./scripts/test` installs the Python client into
//! target/test-venv.

mod common;

use common::Podium;

#[test]
fn official_python_client_creates_watches_resumes_scales_and_deletes() {
    let podium = Podium::start();
    let lines = podium.python("python_client.py", &[]);
    assert_eq!(
        lines,
        [
            "created py-web RollingUpdate",
            "available 2",
            "pods 2 Running",
            "scaled 3",
            "duplicate 409 AlreadyExists",
            "status bytes upstream",
            "watched ADDED py-a, ADDED py-b",
            "resumed DELETED py-a, DELETED py-b",
            "missing 404 pods \"no-such-pod\" not found",
            "deleted",
        ]
    );
}
