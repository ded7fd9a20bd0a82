//! The server end of a SPDY/3.1 connection, as kubectl's spdystream
//! client speaks it: the client opens streams (SYN_STREAM with headers),
//! the server accepts them (SYN_REPLY) and both send DATA until each side
//! half-closes (FIN). PINGs are answered. Like spdystream, no flow control
//! is done: TCP's back-pressure is the window.
//!
//! One reader task parses frames and routes DATA to the stream's channel;
//! one writer task owns the write half and serialises every frame, so the
//! shared header compression context sees frames in wire order.

mod dictionary;
pub mod frame;

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use frame::Headers;
use frame::{Codec, Frame};

#[derive(Debug, thiserror::Error)]
pub enum SpdyError {
    #[error("SPDY protocol error: {0}")]
    Protocol(String),
    #[error("the SPDY connection is closed")]
    Closed,
}

/// How many DATA chunks a stream buffers before the connection's reader
/// waits for its consumer.
const STREAM_BUFFER: usize = 16;
/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 64 * 1024;

/// A stream the client opened.
pub struct IncomingStream {
    pub id: u32,
    pub headers: Headers,
    /// DATA from the client; ends at its FIN or a reset.
    pub data: mpsc::Receiver<Bytes>,
    pub out: StreamWriter,
}

/// Sends on one stream.
#[derive(Clone)]
pub struct StreamWriter {
    id: u32,
    frames: mpsc::Sender<Frame>,
}

impl StreamWriter {
    /// Accepts the stream (SYN_REPLY); the client waits for it.
    pub async fn reply(&self) -> Result<(), SpdyError> {
        self.send_frame(Frame::SynReply {
            stream_id: self.id,
            fin: false,
            headers: Headers::default(),
        })
        .await
    }

    pub async fn send(&self, data: Bytes) -> Result<(), SpdyError> {
        self.send_frame(Frame::Data {
            stream_id: self.id,
            fin: false,
            data,
        })
        .await
    }

    /// Half-closes: nothing more will be sent on this stream.
    pub async fn finish(&self) -> Result<(), SpdyError> {
        self.send_frame(Frame::Data {
            stream_id: self.id,
            fin: true,
            data: Bytes::new(),
        })
        .await
    }

    pub async fn reset(&self, status: u32) -> Result<(), SpdyError> {
        self.send_frame(Frame::RstStream {
            stream_id: self.id,
            status,
        })
        .await
    }

    async fn send_frame(&self, frame: Frame) -> Result<(), SpdyError> {
        self.frames.send(frame).await.map_err(|_| SpdyError::Closed)
    }
}

/// Serves SPDY on `io`; the streams the client opens arrive on the
/// returned channel, which ends with the connection.
pub fn serve<IO>(io: IO, cancel: CancellationToken) -> mpsc::Receiver<IncomingStream>
where
    IO: AsyncRead + AsyncWrite + Send + 'static,
{
    let (read_half, write_half) = tokio::io::split(io);
    let (frames_tx, frames_rx) = mpsc::channel::<Frame>(64);
    let (streams_tx, streams_rx) = mpsc::channel(16);
    let writer_cancel = cancel.clone();
    tokio::spawn(async move {
        tokio::select! {
            result = write_frames(write_half, frames_rx) => {
                if let Err(error) = result {
                    tracing::debug!(%error, "SPDY writer stopped");
                }
            }
            _ = writer_cancel.cancelled() => {}
        }
    });
    tokio::spawn(async move {
        tokio::select! {
            result = read_frames(read_half, frames_tx, streams_tx) => {
                if let Err(error) = result {
                    tracing::debug!(%error, "SPDY reader stopped");
                }
            }
            _ = cancel.cancelled() => {}
        }
    });
    streams_rx
}

async fn write_frames<W: AsyncWrite>(
    write_half: W,
    mut frames: mpsc::Receiver<Frame>,
) -> Result<(), SpdyError> {
    let mut write_half = std::pin::pin!(write_half);
    let mut codec = Codec::default();
    let mut out = BytesMut::new();
    while let Some(frame) = frames.recv().await {
        codec.encode(&frame, &mut out)?;
        // Batch what is already queued into one write.
        while out.len() < READ_CHUNK {
            match frames.try_recv() {
                Ok(frame) => codec.encode(&frame, &mut out)?,
                Err(_) => break,
            }
        }
        write_half
            .write_all(&out)
            .await
            .map_err(|_| SpdyError::Closed)?;
        write_half.flush().await.map_err(|_| SpdyError::Closed)?;
        out.clear();
    }
    let _ = write_half.shutdown().await;
    Ok(())
}

async fn read_frames<R: AsyncRead>(
    read_half: R,
    frames: mpsc::Sender<Frame>,
    new_streams: mpsc::Sender<IncomingStream>,
) -> Result<(), SpdyError> {
    let mut read_half = std::pin::pin!(read_half);
    let mut codec = Codec::default();
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut streams: HashMap<u32, mpsc::Sender<Bytes>> = HashMap::new();
    loop {
        while let Some(frame) = codec.decode(&mut buf)? {
            match frame {
                Frame::SynStream {
                    stream_id,
                    fin,
                    headers,
                } => {
                    let (data_tx, data_rx) = mpsc::channel(STREAM_BUFFER);
                    if !fin {
                        streams.insert(stream_id, data_tx);
                    }
                    let stream = IncomingStream {
                        id: stream_id,
                        headers,
                        data: data_rx,
                        out: StreamWriter {
                            id: stream_id,
                            frames: frames.clone(),
                        },
                    };
                    if new_streams.send(stream).await.is_err() {
                        let refused = Frame::RstStream {
                            stream_id,
                            status: frame::RST_REFUSED_STREAM,
                        };
                        let _ = frames.send(refused).await;
                    }
                }
                Frame::Data {
                    stream_id,
                    fin,
                    data,
                } => {
                    if let Some(tx) = streams.get(&stream_id)
                        && !data.is_empty()
                        && tx.send(data).await.is_err()
                    {
                        streams.remove(&stream_id);
                    }
                    if fin {
                        streams.remove(&stream_id);
                    }
                }
                Frame::RstStream { stream_id, .. } => {
                    streams.remove(&stream_id);
                }
                // Client pings have odd ids; answer them as they are.
                Frame::Ping { id } if id % 2 == 1 => {
                    if frames.send(Frame::Ping { id }).await.is_err() {
                        return Err(SpdyError::Closed);
                    }
                }
                Frame::GoAway { .. } => return Ok(()),
                Frame::SynReply { .. } | Frame::Ping { .. } | Frame::Ignored { .. } => {}
            }
        }
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK);
        }
        let read = read_half
            .read_buf(&mut buf)
            .await
            .map_err(|_| SpdyError::Closed)?;
        if read == 0 {
            return Ok(());
        }
    }
}
