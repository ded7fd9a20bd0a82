//! The Docker runtime against the real engine on this machine, through the
//! `Runtime` trait the kubelet uses. No registry: images are imported.

use std::process::Command;

use podium::kubelet::docker::import_image;

/// A root filesystem tar holding one file.
fn tar_with(path: &str, content: &[u8]) -> bytes::Bytes {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, path, content)
        .expect("append to tar");
    bytes::Bytes::from(builder.into_inner().expect("finish tar"))
}

fn docker_cli(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[tokio::test]
async fn import_image_applies_changes_and_returns_the_id() {
    let reference = format!("podium.test/import-{}:1", std::process::id());
    let id = import_image(
        &reference,
        tar_with("hello.txt", b"hello\n"),
        &["ENV VERSION=1.0", r#"ENTRYPOINT ["/echo"]"#],
    )
    .await
    .expect("import");
    assert!(id.starts_with("sha256:"), "{id}");
    let inspected = docker_cli(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{json .Config.Env}} {{json .Config.Entrypoint}}",
        &reference,
    ]);
    assert_eq!(inspected, format!(r#"{id} ["VERSION=1.0"] ["/echo"]"#));
    docker_cli(&["image", "rm", &reference]);
}
