//! What podium's store keeps on disk, seen as a user would: Secrets
//! encrypted at rest under `--encrypt-secrets`, and etcd's limit on the
//! size of one object. Real binary, real kubectl.

mod common;

use std::path::Path;
use std::time::Duration;

use common::Podium;

const PASSWORD: &str = "hunter2-unique";
/// `PASSWORD` in base64, as a Secret's data holds it.
const PASSWORD_BASE64: &str = "aHVudGVyMi11bmlxdWU";

/// Every file under the data directory's store/, as text.
fn store_files_text(data_dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(data_dir.join("store")).expect("store dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            text.push_str(&String::from_utf8_lossy(
                &std::fs::read(&path).expect("read"),
            ));
        }
    }
    text
}

fn password(podium: &Podium) -> String {
    let encoded = podium.ok(&["get", "secret", "s", "-o", "jsonpath={.data.password}"]);
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .expect("base64");
    String::from_utf8(bytes).expect("utf-8")
}

#[test]
fn secrets_are_encrypted_on_disk_and_read_back_across_a_restart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let flags = ["--sim-latency", "0", "--encrypt-secrets"];
    {
        let podium = Podium::start_in(tmp.path(), &flags);
        podium.ok(&[
            "create",
            "secret",
            "generic",
            "s",
            &format!("--from-literal=password={PASSWORD}"),
        ]);
        // Applied, its last-applied-configuration annotation holds it again.
        podium.apply(&format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: applied\nstringData:\n  token: {PASSWORD}\n"
        ));
        assert_eq!(password(&podium), PASSWORD);

        let key = tmp.path().join("encryption-key");
        let metadata = std::fs::metadata(&key).expect("the key file was made");
        assert_eq!(metadata.len(), 32);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600);

        let text = store_files_text(tmp.path());
        assert!(!text.contains(PASSWORD), "the password is in clear on disk");
        assert!(
            !text.contains(PASSWORD_BASE64),
            "the password's base64 is on disk"
        );
        assert!(text.contains("k8s:enc:secretbox:v1:"), "{text}");
    }

    let podium = Podium::start_in(tmp.path(), &flags);
    assert_eq!(password(&podium), PASSWORD);
    let applied = podium.ok(&[
        "get",
        "secret",
        "applied",
        "-o",
        "jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}",
    ]);
    assert!(applied.contains(PASSWORD), "{applied}");
}

#[test]
fn an_encrypted_store_without_the_flag_refuses_to_start_and_says_why() {
    let tmp = tempfile::tempdir().expect("tempdir");
    {
        let podium = Podium::start_in(tmp.path(), &["--sim-latency", "0", "--encrypt-secrets"]);
        podium.ok(&[
            "create",
            "secret",
            "generic",
            "s",
            &format!("--from-literal=password={PASSWORD}"),
        ]);
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["serve", "--runtime", "sim", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(tmp.path())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let key = tmp.path().join("encryption-key");
    assert!(
        stderr.contains(&key.display().to_string()) && stderr.contains("--encrypt-secrets"),
        "{stderr}"
    );
}

#[test]
fn a_clear_store_restarted_with_the_flag_keeps_its_secrets_and_encrypts_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    {
        let podium = Podium::start_in(tmp.path(), &["--sim-latency", "0"]);
        podium.ok(&[
            "create",
            "secret",
            "generic",
            "s",
            &format!("--from-literal=password={PASSWORD}"),
        ]);
        assert!(store_files_text(tmp.path()).contains(PASSWORD_BASE64));
    }
    let podium = Podium::start_in(tmp.path(), &["--sim-latency", "0", "--encrypt-secrets"]);
    assert_eq!(password(&podium), PASSWORD);
    // The Secrets found in clear are rewritten encrypted at start.
    let start = std::time::Instant::now();
    while store_files_text(tmp.path()).contains(PASSWORD_BASE64) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the clear Secret is still on disk"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

const BLOB_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: blobs.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: blobs, singular: blob, kind: Blob}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"#;

#[test]
fn an_object_over_etcds_limit_is_refused_naming_it_and_the_server_goes_on() {
    let podium = Podium::start();
    let tmp = tempfile::tempdir().expect("tempdir");

    // A ConfigMap's data is held to 1 MiB by validation before it reaches the store.
    let data = tmp.path().join("blob.txt");
    std::fs::write(&data, "x".repeat(2 * 1024 * 1024)).expect("write");
    let stderr = podium.fails(&[
        "create",
        "configmap",
        "big",
        &format!("--from-file={}", data.display()),
    ]);
    assert!(stderr.contains("1048576"), "{stderr}");

    // Any object past 1.5 MiB is refused by the store, as etcd refuses it.
    podium.apply(BLOB_CRD);
    podium.ok(&[
        "wait",
        "--for=condition=established",
        "crd/blobs.example.com",
    ]);
    let manifest = tmp.path().join("blob.yaml");
    std::fs::write(
        &manifest,
        format!(
            "apiVersion: example.com/v1\nkind: Blob\nmetadata:\n  name: big\nspec:\n  data: {}\n",
            "x".repeat(2 * 1024 * 1024)
        ),
    )
    .expect("write");
    let manifest = manifest.display().to_string();
    let stderr = podium.fails(&["create", "-f", &manifest]);
    assert!(
        stderr.contains("Error from server (RequestEntityTooLarge)")
            && stderr.contains("etcdserver: request is too large")
            && stderr.contains("the limit is 1572864"),
        "{stderr}"
    );
    // The same through apply (server-side too) and through an update of a small one.
    let stderr = podium.fails(&["apply", "--server-side", "-f", &manifest]);
    assert!(stderr.contains("the limit is 1572864"), "{stderr}");
    podium.apply(
        "apiVersion: example.com/v1\nkind: Blob\nmetadata:\n  name: big\nspec:\n  data: small\n",
    );
    let stderr = podium.fails(&["replace", "-f", &manifest]);
    assert!(stderr.contains("the limit is 1572864"), "{stderr}");
    let patch = tmp.path().join("patch.json");
    std::fs::write(
        &patch,
        format!(r#"{{"spec":{{"data":"{}"}}}}"#, "y".repeat(2 * 1024 * 1024)),
    )
    .expect("write");
    let stderr = podium.fails(&[
        "patch",
        "blob",
        "big",
        "--type=merge",
        &format!("--patch-file={}", patch.display()),
    ]);
    assert!(stderr.contains("the limit is 1572864"), "{stderr}");

    // The server still answers, and kept the small object.
    let kept = podium.ok(&["get", "blob", "big", "-o", "jsonpath={.spec.data}"]);
    assert_eq!(kept, "small");
    podium.ok(&["get", "namespaces"]);
}
