//! Service addresses: the runtime gives the host a ClusterIP (a /30
//! network whose gateway it is), the host listens there, a container on
//! podium's network connects, and the address goes back.

use std::net::{Ipv4Addr, SocketAddr};

use podium::kubelet::runtime::Runtime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Cluster, IMAGE, docker_cli};

#[tokio::test]
async fn the_host_owns_a_service_address_that_containers_reach() {
    let cluster = Cluster::new("svcaddr").await;
    // Third address of a /30, apart per test process.
    let pid = std::process::id();
    let ip = Ipv4Addr::new(10, 111, (pid % 250) as u8, ((pid / 250 % 60) * 4 + 2) as u8);

    assert!(
        cluster
            .runtime
            .ensure_service_address(ip)
            .await
            .expect("ensure")
    );
    assert!(
        cluster
            .runtime
            .ensure_service_address(ip)
            .await
            .expect("again"),
        "idempotent"
    );
    assert_eq!(
        cluster.runtime.service_addresses().await.expect("list"),
        vec![ip]
    );

    let listener = tokio::net::TcpListener::bind(SocketAddr::from((ip, 0)))
        .await
        .expect("the host listens on the Service address");
    let port = listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("accept");
        stream.write_all(b"from the host\n").await.expect("write");
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
    });
    let script = format!("/bin/busybox nc -w 5 {ip} {port} </dev/null");
    let said = tokio::task::spawn_blocking(move || {
        docker_cli(&[
            "run",
            "--rm",
            "--network",
            "podium-pods",
            "--entrypoint",
            "/bin/busybox",
            IMAGE,
            "sh",
            "-c",
            &script,
        ])
    })
    .await
    .expect("docker run");
    assert_eq!(said, "from the host");
    server.await.expect("server");

    // An address that cannot be a gateway is refused with the fix.
    let first = Ipv4Addr::from(u32::from(ip) & !3);
    let refused = cluster
        .runtime
        .ensure_service_address(first)
        .await
        .expect_err("the network address of a /30 cannot be a gateway");
    assert!(
        refused.to_string().contains("leave spec.clusterIP empty"),
        "{refused}"
    );

    cluster
        .runtime
        .remove_service_address(ip)
        .await
        .expect("remove");
    assert!(
        cluster
            .runtime
            .service_addresses()
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        std::net::TcpListener::bind(SocketAddr::from((ip, 0))).is_err(),
        "the host no longer owns {ip}"
    );
}
