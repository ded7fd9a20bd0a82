//! A WebSocket carrying a byte stream (kubectl's "SPDY/3.1 over
//! WebSocket" port-forward tunnel): each binary message is the next piece
//! of the stream, in either direction.

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_tungstenite::tungstenite::Message;

use super::upgrade::Socket;

/// Bytes buffered between the WebSocket and the protocol on top.
const TUNNEL_BUFFER: usize = 256 * 1024;
const CHUNK: usize = 64 * 1024;

/// Unwraps `socket` into a plain duplex byte stream.
pub fn bytes_over(socket: Socket) -> DuplexStream {
    let (ours, theirs) = tokio::io::duplex(TUNNEL_BUFFER);
    let (mut from_peer, mut to_peer) = tokio::io::split(ours);
    let (mut sink, mut stream) = socket.split();
    tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            match message {
                Message::Binary(bytes) if to_peer.write_all(&bytes).await.is_err() => break,
                Message::Close(_) => break,
                _ => {}
            }
        }
        let _ = to_peer.shutdown().await;
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; CHUNK];
        loop {
            match from_peer.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let message = Message::Binary(Bytes::copy_from_slice(&buf[..n]));
                    if sink.send(message).await.is_err() {
                        return;
                    }
                }
            }
        }
        let _ = sink.send(Message::Close(None)).await;
    });
    theirs
}
