//! Port-forward as a WebSocket of channels (`v4.channel.k8s.io`), the
//! framing the kubelet's `portforward/websocket.go` speaks and kube-rs,
//! the Python client and client-go's legacy WebSocket dialer expect.
//!
//! The ports come in the query (`?ports=80,1234`, or `port` repeated); the
//! i-th port owns channel 2i (data, both ways) and 2i+1 (errors, server to
//! client). Every binary message starts with its channel byte. The first
//! message the server writes on each channel is the port as a little-endian
//! u16, which the client checks. One WebSocket is one connection per port;
//! a failure is written as text on the port's error channel. The socket
//! closes once every port's connection has ended; when the client closes
//! it, the pod connections are dropped.

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::portforward::Target;
use super::upgrade::{ChannelMessage, Socket};

/// The subprotocol: binary channels, version 4 (what the kubelet offers).
pub const PROTOCOL_V4: &str = "v4.channel.k8s.io";

/// Two channels a port and a one-byte channel number.
const MAX_PORTS: usize = 128;
const CHUNK: usize = 32 * 1024;
/// Messages a port's connection to the pod buffers before the reader waits.
const PORT_BUFFER: usize = 16;
/// How long a client has to answer the server's Close before it is dropped.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum PortsError {
    #[error(
        "port-forward over WebSocket needs the ports in the query: add ?ports=8080 (several: ports=80,443)"
    )]
    Missing,
    #[error("unable to parse {0:?} as a port: give numbers from 1 to 65535, e.g. ports=8080")]
    Invalid(String),
    #[error("{0} ports were asked for; one WebSocket forwards at most {MAX_PORTS}")]
    TooMany(usize),
}

/// The ports to forward, in channel order, from `ports` (as kube-rs and the
/// API server's options send them) or `port` (as the kubelet reads them),
/// each comma-separated or repeated.
pub fn ports(values: &[String]) -> Result<Vec<u16>, PortsError> {
    let mut ports = Vec::new();
    // `ports=` alone counts as no ports.
    for value in values.iter().filter(|v| !v.is_empty()) {
        for word in value.split(',') {
            match word.trim().parse::<u16>() {
                Ok(port) if port > 0 => ports.push(port),
                _ => return Err(PortsError::Invalid(word.to_string())),
            }
        }
    }
    match ports.len() {
        0 => Err(PortsError::Missing),
        n if n > MAX_PORTS => Err(PortsError::TooMany(n)),
        _ => Ok(ports),
    }
}

fn frame(channel: u8, payload: &[u8]) -> Message {
    let mut bytes = Vec::with_capacity(payload.len() + 1);
    bytes.push(channel);
    bytes.extend_from_slice(payload);
    Message::Binary(Bytes::from(bytes))
}

/// Serves one port-forward WebSocket until every port's connection ended,
/// the client closed, or the server stops.
pub async fn run(socket: Socket, target: Target, ports: Vec<u16>, cancel: CancellationToken) {
    let (mut sink, mut stream) = socket.split();
    // Channels are numbered by port index; `ports` keeps it under 128.
    let channels = |index: usize| -> (u8, u8) {
        let data = u8::try_from(2 * index).unwrap_or(u8::MAX - 1);
        (data, data + 1)
    };
    for (index, port) in ports.iter().enumerate() {
        let (data, error) = channels(index);
        for channel in [data, error] {
            if sink
                .feed(frame(channel, &port.to_le_bytes()))
                .await
                .is_err()
            {
                return;
            }
        }
    }
    if sink.flush().await.is_err() {
        return;
    }

    let (out, mut outgoing) = mpsc::channel::<Message>(PORT_BUFFER);
    let mut to_ports = Vec::with_capacity(ports.len());
    // Dropping the set aborts the ports' tasks, which closes their pod connections.
    let mut tasks = JoinSet::new();
    for (index, port) in ports.iter().enumerate() {
        let (tx, rx) = mpsc::channel(PORT_BUFFER);
        to_ports.push(tx);
        tasks.spawn(forward(
            target.clone(),
            *port,
            channels(index),
            rx,
            out.clone(),
        ));
    }
    drop(out);

    let reader = async move {
        while let Some(Ok(message)) = stream.next().await {
            match ChannelMessage::from(message) {
                ChannelMessage::Data(bytes) => {
                    let Some(&channel) = bytes.first() else {
                        continue;
                    };
                    // Error channels are the server's to write; upstream ignores what comes in.
                    if channel % 2 == 1 || bytes.len() == 1 {
                        continue;
                    }
                    let Some(port) = to_ports.get(usize::from(channel / 2)) else {
                        tracing::debug!(channel, "port-forward frame for no port");
                        continue;
                    };
                    // A port whose connection ended drops what is still sent to it.
                    let _ = port.send(bytes.slice(1..)).await;
                }
                ChannelMessage::Closed => break,
                ChannelMessage::Control => {}
            }
        }
    };
    let writer = async move {
        while let Some(message) = outgoing.recv().await {
            if sink.send(message).await.is_err() {
                return;
            }
        }
        // Every port's connection has ended.
        let _ = sink.send(Message::Close(None)).await;
    };
    tokio::pin!(reader);
    tokio::select! {
        _ = cancel.cancelled() => {}
        // The client closed or went away: the pod connections go with it.
        _ = &mut reader => {}
        _ = writer => {
            // Read on so the client's Close is answered, but not forever.
            let _ = tokio::time::timeout(CLOSE_GRACE, reader).await;
        }
    }
    tasks.abort_all();
}

/// One port: connects to the pod and copies both ways until either side
/// ends; a failure goes to the port's error channel.
async fn forward(
    target: Target,
    port: u16,
    (data, error): (u8, u8),
    mut from_client: mpsc::Receiver<Bytes>,
    out: mpsc::Sender<Message>,
) {
    let socket = match target.connect(port).await {
        Ok(socket) => socket,
        Err(failure) => {
            let message = target.failure(port, &failure);
            tracing::debug!(%message, "port-forward");
            let _ = out.send(frame(error, message.as_bytes())).await;
            return;
        }
    };
    let (mut from_pod, mut to_pod) = socket.into_split();
    let upstream = async {
        while let Some(bytes) = from_client.recv().await {
            if to_pod.write_all(&bytes).await.is_err() {
                return;
            }
        }
    };
    let downstream = async {
        let mut buf = vec![0u8; CHUNK];
        loop {
            match from_pod.read(&mut buf).await {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    if out.send(frame(data, &buf[..n])).await.is_err() {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    };
    // As the kubelet does, the first side to end ends the connection:
    // v4 channels carry no half-close.
    let result = tokio::select! {
        () = upstream => Ok(()),
        result = downstream => result,
    };
    if let Err(failure) = result {
        let message = target.failure(port, &failure);
        let _ = out.send(frame(error, message.as_bytes())).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(list: &[&str]) -> Vec<String> {
        list.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn ports_come_comma_separated_or_repeated_in_order() {
        assert_eq!(ports(&values(&["80,1234"])), Ok(vec![80, 1234]));
        assert_eq!(ports(&values(&["8080", "53"])), Ok(vec![8080, 53]));
    }

    #[test]
    fn bad_ports_are_refused_before_the_upgrade() {
        assert_eq!(ports(&[]), Err(PortsError::Missing));
        assert_eq!(ports(&values(&[""])), Err(PortsError::Missing));
        assert_eq!(
            ports(&values(&["80,x"])),
            Err(PortsError::Invalid("x".into()))
        );
        assert_eq!(ports(&values(&["0"])), Err(PortsError::Invalid("0".into())));
        assert_eq!(
            ports(&values(&["70000"])),
            Err(PortsError::Invalid("70000".into()))
        );
        let many: Vec<String> = (1..=129).map(|p| p.to_string()).collect();
        assert_eq!(ports(&many), Err(PortsError::TooMany(129)));
    }

    #[test]
    fn a_frame_is_the_channel_byte_then_the_payload() {
        assert_eq!(
            frame(3, &8080u16.to_le_bytes()),
            Message::Binary(Bytes::from_static(&[3, 0x90, 0x1f]))
        );
    }
}
