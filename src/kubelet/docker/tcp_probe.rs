//! tcpSocket probes through the published loopback port.
//!
//! Docker's userland proxy accepts every connection on a published port and
//! only then dials the container; when nothing listens there it closes the
//! connection at once. A bare connect would therefore always succeed. So
//! after connecting, the probe waits a moment: an immediate end of stream
//! (or reset) is the proxy reporting a refused connection; silence or
//! data means a real listener. (A server that accepts and closes at once
//! counts as down; upstream would count it as up.)

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::DockerRuntime;
use crate::kubelet::probe::{ProbeOutcome, refused};
use crate::kubelet::runtime::Runtime;

/// How long the proxy gets to give up on a container that does not listen.
const PROXY_SETTLE: Duration = Duration::from_millis(250);

impl DockerRuntime {
    pub(super) async fn tcp_probe(
        &self,
        id: &str,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> ProbeOutcome {
        let Some(address) = self.port_address(id, port).await else {
            return refused("dial tcp", host, port);
        };
        let mut stream = match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(_)) => return refused("dial tcp", host, port),
            Err(_) => return ProbeOutcome::Failure(format!("dial tcp {host}:{port}: i/o timeout")),
        };
        let mut byte = [0u8; 1];
        match tokio::time::timeout(PROXY_SETTLE.min(timeout), stream.read(&mut byte)).await {
            // Silence: someone listens and waits for us to speak.
            Err(_) => ProbeOutcome::Success,
            Ok(Ok(read)) if read > 0 => ProbeOutcome::Success,
            Ok(_) => refused("dial tcp", host, port),
        }
    }
}
