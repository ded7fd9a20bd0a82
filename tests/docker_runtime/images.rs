//! Images: importing one, asking whether one is present, a failed pull.

use bytes::Bytes;
use podium::kubelet::docker::import_image;
use podium::kubelet::runtime::{Runtime, RuntimeError};

use crate::support::{Cluster, IMAGE, docker_cli};

#[tokio::test]
async fn import_image_applies_changes_and_returns_the_id() {
    let reference = format!("podium.test/import-{}:1", std::process::id());
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(6);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "hello.txt", &b"hello\n"[..])
        .expect("append to tar");
    let rootfs = Bytes::from(tar.into_inner().expect("finish tar"));
    let id = import_image(
        &reference,
        rootfs,
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

#[tokio::test]
async fn images_present_or_not() {
    let cluster = Cluster::new("images").await;
    let info = cluster
        .runtime
        .image_present(IMAGE)
        .await
        .expect("inspect")
        .expect("present");
    let id = docker_cli(&["image", "inspect", "--format", "{{.Id}}", IMAGE]);
    assert_eq!(info.image_id, id, "imported images have no digest: the id");
    assert!(info.size_bytes > 0);
    assert!(
        cluster
            .runtime
            .image_present("podium.test/never-imported:1")
            .await
            .expect("inspect")
            .is_none()
    );
    assert_eq!(cluster.runtime.name(), "docker");
    assert_eq!(
        cluster.runtime.version(),
        docker_cli(&["version", "--format", "{{.Server.Version}}"])
    );
    cluster.runtime.ping().await.expect("ping");
}

/// The engine's own words reach the kubelet (a registry on a closed
/// loopback port: nothing leaves the machine).
#[tokio::test]
async fn a_failed_pull_carries_the_engine_message() {
    let cluster = Cluster::new("pull").await;
    let error = cluster
        .runtime
        .pull_image("127.0.0.1:1/podium-test/nothing:1", &|_| {})
        .await
        .expect_err("nothing listens there");
    let RuntimeError::ImagePull(message) = error else {
        panic!("not an ImagePull error: {error:?}");
    };
    assert!(
        message.starts_with("Error response from daemon: Get \"http")
            && message.contains("127.0.0.1:1/v2/")
            && message.ends_with("connect: connection refused"),
        "{message}"
    );
}
