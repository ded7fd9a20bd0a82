//! `kubectl port-forward` on a SPDY connection: for every local connection
//! kubectl opens two streams with the same `requestID` — `error` (which it
//! half-closes at once and reads to the end) and `data` — and the pair is
//! joined to the pod's port on loopback. A failure is written to the error
//! stream, which kubectl prints.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::spdy::frame::RST_PROTOCOL_ERROR;
use super::spdy::{IncomingStream, StreamWriter};
use crate::kubelet::PodLogs;

/// The subprotocol kubectl asks for (plain SPDY) and its WebSocket tunnel.
pub const PROTOCOL: &str = "portforward.k8s.io";
pub const TUNNEL_PROTOCOL: &str = "SPDY/3.1+portforward.k8s.io";

const CHUNK: usize = 32 * 1024;

/// The pod a port-forward connection is for.
#[derive(Clone)]
pub struct Target {
    pub namespace: String,
    pub pod: String,
    pub uid: String,
    pub access: Arc<dyn PodLogs>,
}

/// Pairs the streams kubectl opens and forwards each pair.
pub async fn serve(target: Target, mut streams: mpsc::Receiver<IncomingStream>) {
    let mut pending: HashMap<String, IncomingStream> = HashMap::new();
    while let Some(stream) = streams.recv().await {
        let (Some(port), Some(kind)) = (
            stream
                .headers
                .get("port")
                .and_then(|p| p.parse::<u16>().ok()),
            stream.headers.get("streamtype").map(str::to_string),
        ) else {
            let _ = stream.out.reset(RST_PROTOCOL_ERROR).await;
            continue;
        };
        if port == 0 || (kind != "error" && kind != "data") {
            let _ = stream.out.reset(RST_PROTOCOL_ERROR).await;
            continue;
        }
        if stream.out.reply().await.is_err() {
            return;
        }
        // Old clients send no requestID; their pairs are consecutive ids.
        let request = stream
            .headers
            .get("requestid")
            .map(str::to_string)
            .unwrap_or_else(|| match kind.as_str() {
                "error" => stream.id.to_string(),
                _ => stream.id.saturating_sub(2).to_string(),
            });
        let Some(other) = pending.remove(&request) else {
            pending.insert(request, stream);
            continue;
        };
        let (data, error) = if kind == "data" {
            (stream, other)
        } else {
            (other, stream)
        };
        if data.headers.get("streamtype") != Some("data")
            || error.headers.get("streamtype") != Some("error")
        {
            let message =
                format!("error processing stream for request {request}: two streams of one type");
            let _ = error.out.send(Bytes::from(message)).await;
            let _ = error.out.finish().await;
            continue;
        }
        tokio::spawn(forward(target.clone(), port, data, error.out));
    }
}

/// Why a pod's port could not be reached; said to the client as upstream says it.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("pod {pod} is not running or does not publish port {port}")]
    NoPort { pod: String, port: u16 },
    #[error("dial tcp {address}: {source}")]
    Dial {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

impl Target {
    /// A connection to the pod's `port` on loopback, wherever the runtime publishes it.
    pub async fn connect(&self, port: u16) -> Result<TcpStream, ConnectError> {
        let address = self
            .access
            .port_address(&self.namespace, &self.pod, port)
            .await
            .ok_or_else(|| ConnectError::NoPort {
                pod: self.pod.clone(),
                port,
            })?;
        let socket = TcpStream::connect(address)
            .await
            .map_err(|source| ConnectError::Dial { address, source })?;
        let _ = socket.set_nodelay(true);
        Ok(socket)
    }

    /// The line written on the error stream, worded as the kubelet words it.
    pub fn failure(&self, port: u16, error: &dyn std::fmt::Display) -> String {
        format!(
            "error forwarding port {port} to pod {}, uid {}: {error}",
            self.pod, self.uid
        )
    }
}

/// Joins one data stream to the pod's port; reports failures on `error`.
async fn forward(target: Target, port: u16, data: IncomingStream, error: StreamWriter) {
    let result = pipe(&target, port, data).await;
    if let Err(failure) = result {
        let message = target.failure(port, &failure);
        tracing::debug!(%message, "port-forward");
        let _ = error.send(Bytes::from(message)).await;
    }
    let _ = error.finish().await;
}

async fn pipe(target: &Target, port: u16, data: IncomingStream) -> Result<(), ConnectError> {
    let IncomingStream {
        data: mut from_client,
        out: to_client,
        ..
    } = data;
    let socket = match target.connect(port).await {
        Ok(socket) => socket,
        Err(error) => {
            let _ = to_client.finish().await;
            return Err(error);
        }
    };
    let (mut from_pod, mut to_pod) = socket.into_split();
    let upstream = tokio::spawn(async move {
        while let Some(bytes) = from_client.recv().await {
            if to_pod.write_all(&bytes).await.is_err() {
                return;
            }
        }
        // The client half-closed: so does the pod's side.
        let _ = to_pod.shutdown().await;
    });
    let mut buf = vec![0u8; CHUNK];
    loop {
        match from_pod.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to_client
                    .send(Bytes::copy_from_slice(&buf[..n]))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    let _ = to_client.finish().await;
    // The pod closed its side; what the client still sends has nowhere to go.
    upstream.abort();
    Ok(())
}
