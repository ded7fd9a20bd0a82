//! SPDY/3.1 frames on the wire: the 8-byte frame header, the control
//! frames kubectl's spdystream sends and expects, DATA frames, and the
//! zlib-compressed header blocks (one compression context per direction
//! for the whole connection, primed with the SPDY/3 dictionary).

use bytes::{Buf, BufMut, Bytes, BytesMut};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

use super::SpdyError;
use super::dictionary::HEADER_DICTIONARY;

/// The most a header block may decompress to: as much as a request head
/// may hold over HTTP (Go's 1 MiB default).
const MAX_HEADER_BLOCK: usize = 1 << 20;

pub const VERSION: u16 = 3;
const FRAME_HEADER_LEN: usize = 8;
/// The largest frame length a 24-bit field can carry.
pub const MAX_FRAME_LEN: usize = (1 << 24) - 1;

const TYPE_SYN_STREAM: u16 = 1;
const TYPE_SYN_REPLY: u16 = 2;
const TYPE_RST_STREAM: u16 = 3;
const TYPE_SETTINGS: u16 = 4;
const TYPE_PING: u16 = 6;
const TYPE_GOAWAY: u16 = 7;
const TYPE_HEADERS: u16 = 8;
const TYPE_WINDOW_UPDATE: u16 = 9;

pub const FLAG_FIN: u8 = 0x01;

/// RST_STREAM status codes used here.
pub const RST_PROTOCOL_ERROR: u32 = 1;
pub const RST_REFUSED_STREAM: u32 = 3;
pub const RST_CANCEL: u32 = 5;

/// Header name/value pairs; names are lowercase on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    /// The first value of `name` (values may be NUL-separated lists).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split('\0').next().unwrap_or(""))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    SynStream {
        stream_id: u32,
        fin: bool,
        headers: Headers,
    },
    SynReply {
        stream_id: u32,
        fin: bool,
        headers: Headers,
    },
    RstStream {
        stream_id: u32,
        status: u32,
    },
    Ping {
        id: u32,
    },
    GoAway {
        last_good_stream_id: u32,
        status: u32,
    },
    Data {
        stream_id: u32,
        fin: bool,
        data: Bytes,
    },
    /// SETTINGS, HEADERS, WINDOW_UPDATE and unknown control frames: read
    /// and skipped (spdystream does not flow-control, so neither do we).
    Ignored {
        frame_type: u16,
    },
}

/// The compression state of one connection.
pub struct Codec {
    inflate: Decompress,
    deflate: Compress,
    deflate_primed: bool,
}

impl Default for Codec {
    fn default() -> Self {
        Codec {
            inflate: Decompress::new(true),
            deflate: Compress::new(Compression::default(), true),
            deflate_primed: false,
        }
    }
}

impl Codec {
    /// Takes one whole frame off the front of `buf`, or `None` when more
    /// bytes are needed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, SpdyError> {
        if buf.len() < FRAME_HEADER_LEN {
            return Ok(None);
        }
        let length = u32::from_be_bytes([0, buf[5], buf[6], buf[7]]) as usize;
        if buf.len() < FRAME_HEADER_LEN + length {
            buf.reserve(FRAME_HEADER_LEN + length - buf.len());
            return Ok(None);
        }
        let mut frame = buf.split_to(FRAME_HEADER_LEN + length).freeze();
        let first = frame.get_u32();
        let flags = frame.get_u8();
        frame.advance(3);
        if first & 0x8000_0000 == 0 {
            return Ok(Some(Frame::Data {
                stream_id: first & 0x7fff_ffff,
                fin: flags & FLAG_FIN != 0,
                data: frame,
            }));
        }
        let version = ((first >> 16) & 0x7fff) as u16;
        if version != VERSION {
            return Err(SpdyError::Protocol(format!(
                "SPDY version {version} (only 3 is spoken)"
            )));
        }
        let frame_type = (first & 0xffff) as u16;
        let need = |n: usize, frame: &Bytes| {
            if frame.len() < n {
                Err(SpdyError::Protocol(format!(
                    "control frame {frame_type} of {} bytes is too short",
                    frame.len()
                )))
            } else {
                Ok(())
            }
        };
        let fin = flags & FLAG_FIN != 0;
        Ok(Some(match frame_type {
            TYPE_SYN_STREAM => {
                need(10, &frame)?;
                let stream_id = frame.get_u32() & 0x7fff_ffff;
                frame.advance(6); // associated stream, priority, slot
                let headers = self.inflate_headers(&frame)?;
                Frame::SynStream {
                    stream_id,
                    fin,
                    headers,
                }
            }
            TYPE_SYN_REPLY => {
                need(4, &frame)?;
                let stream_id = frame.get_u32() & 0x7fff_ffff;
                let headers = self.inflate_headers(&frame)?;
                Frame::SynReply {
                    stream_id,
                    fin,
                    headers,
                }
            }
            TYPE_RST_STREAM => {
                need(8, &frame)?;
                Frame::RstStream {
                    stream_id: frame.get_u32() & 0x7fff_ffff,
                    status: frame.get_u32(),
                }
            }
            TYPE_PING => {
                need(4, &frame)?;
                Frame::Ping {
                    id: frame.get_u32(),
                }
            }
            TYPE_GOAWAY => {
                need(8, &frame)?;
                Frame::GoAway {
                    last_good_stream_id: frame.get_u32() & 0x7fff_ffff,
                    status: frame.get_u32(),
                }
            }
            TYPE_HEADERS => {
                // Its header block still moves the shared zlib context.
                need(4, &frame)?;
                frame.advance(4);
                self.inflate_headers(&frame)?;
                Frame::Ignored { frame_type }
            }
            TYPE_SETTINGS | TYPE_WINDOW_UPDATE => Frame::Ignored { frame_type },
            other => Frame::Ignored { frame_type: other },
        }))
    }

    /// Appends `frame` in wire form to `out`.
    pub fn encode(&mut self, frame: &Frame, out: &mut BytesMut) -> Result<(), SpdyError> {
        match frame {
            Frame::SynStream {
                stream_id,
                fin,
                headers,
            } => {
                let block = self.deflate_headers(headers)?;
                control_header(out, TYPE_SYN_STREAM, flag(*fin), 10 + block.len());
                out.put_u32(*stream_id);
                out.put_u32(0);
                out.put_u16(0);
                out.put_slice(&block);
            }
            Frame::SynReply {
                stream_id,
                fin,
                headers,
            } => {
                let block = self.deflate_headers(headers)?;
                control_header(out, TYPE_SYN_REPLY, flag(*fin), 4 + block.len());
                out.put_u32(*stream_id);
                out.put_slice(&block);
            }
            Frame::RstStream { stream_id, status } => {
                control_header(out, TYPE_RST_STREAM, 0, 8);
                out.put_u32(*stream_id);
                out.put_u32(*status);
            }
            Frame::Ping { id } => {
                control_header(out, TYPE_PING, 0, 4);
                out.put_u32(*id);
            }
            Frame::GoAway {
                last_good_stream_id,
                status,
            } => {
                control_header(out, TYPE_GOAWAY, 0, 8);
                out.put_u32(*last_good_stream_id);
                out.put_u32(*status);
            }
            Frame::Data {
                stream_id,
                fin,
                data,
            } => {
                if data.len() > MAX_FRAME_LEN {
                    return Err(SpdyError::Protocol(format!(
                        "a DATA frame of {} bytes is too large",
                        data.len()
                    )));
                }
                out.put_u32(stream_id & 0x7fff_ffff);
                out.put_u32((u32::from(flag(*fin)) << 24) | data.len() as u32);
                out.put_slice(data);
            }
            Frame::Ignored { .. } => {}
        }
        Ok(())
    }

    fn inflate_headers(&mut self, compressed: &[u8]) -> Result<Headers, SpdyError> {
        let mut plain = Vec::with_capacity(compressed.len() * 4 + 64);
        let mut consumed = 0usize;
        loop {
            if plain.len() == plain.capacity() {
                // A few bytes can inflate to gigabytes: stop at the limit.
                if plain.len() >= MAX_HEADER_BLOCK {
                    return Err(SpdyError::Protocol(format!(
                        "a header block decompresses to more than {MAX_HEADER_BLOCK} bytes, the limit"
                    )));
                }
                plain.reserve(1024);
            }
            let (in_before, out_before) = (self.inflate.total_in(), plain.len());
            let mut primed_now = false;
            match self.inflate.decompress_vec(
                &compressed[consumed..],
                &mut plain,
                FlushDecompress::Sync,
            ) {
                Ok(_) => {}
                Err(error) if error.needs_dictionary().is_some() => {
                    self.inflate
                        .set_dictionary(HEADER_DICTIONARY)
                        .map_err(|e| SpdyError::Protocol(format!("header dictionary: {e}")))?;
                    primed_now = true;
                }
                Err(error) => {
                    return Err(SpdyError::Protocol(format!(
                        "cannot decompress a header block: {error}"
                    )));
                }
            }
            let used = (self.inflate.total_in() - in_before) as usize;
            consumed += used;
            if consumed >= compressed.len() && plain.len() < plain.capacity() {
                break;
            }
            if used == 0 && plain.len() == out_before && !primed_now {
                if consumed >= compressed.len() {
                    break;
                }
                return Err(SpdyError::Protocol(
                    "a header block does not decompress".to_string(),
                ));
            }
        }
        parse_header_block(&plain)
    }

    fn deflate_headers(&mut self, headers: &Headers) -> Result<Vec<u8>, SpdyError> {
        let mut plain = BytesMut::new();
        plain.put_u32(headers.0.len() as u32);
        for (name, value) in &headers.0 {
            let name = name.to_ascii_lowercase();
            plain.put_u32(name.len() as u32);
            plain.put_slice(name.as_bytes());
            plain.put_u32(value.len() as u32);
            plain.put_slice(value.as_bytes());
        }
        if !self.deflate_primed {
            self.deflate
                .set_dictionary(HEADER_DICTIONARY)
                .map_err(|e| SpdyError::Protocol(format!("header dictionary: {e}")))?;
            self.deflate_primed = true;
        }
        let mut out = Vec::with_capacity(plain.len() + 64);
        let mut consumed = 0usize;
        loop {
            if out.len() == out.capacity() {
                out.reserve(256);
            }
            let before = self.deflate.total_in();
            self.deflate
                .compress_vec(&plain[consumed..], &mut out, FlushCompress::Sync)
                .map_err(|e| SpdyError::Protocol(format!("cannot compress headers: {e}")))?;
            consumed += (self.deflate.total_in() - before) as usize;
            if consumed >= plain.len() && out.len() < out.capacity() {
                return Ok(out);
            }
        }
    }
}

fn flag(fin: bool) -> u8 {
    if fin { FLAG_FIN } else { 0 }
}

fn control_header(out: &mut BytesMut, frame_type: u16, flags: u8, length: usize) {
    out.put_u16(0x8000 | VERSION);
    out.put_u16(frame_type);
    out.put_u32((u32::from(flags) << 24) | (length as u32 & 0x00ff_ffff));
}

fn parse_header_block(mut block: &[u8]) -> Result<Headers, SpdyError> {
    let short = || SpdyError::Protocol("a header block ends early".to_string());
    let take = |block: &mut &[u8]| -> Result<String, SpdyError> {
        if block.len() < 4 {
            return Err(short());
        }
        let len = block.get_u32() as usize;
        if block.len() < len {
            return Err(short());
        }
        let text = String::from_utf8_lossy(&block[..len]).into_owned();
        block.advance(len);
        Ok(text)
    };
    if block.len() < 4 {
        return Err(short());
    }
    let count = block.get_u32();
    let mut headers = Vec::new();
    for _ in 0..count {
        let name = take(&mut block)?;
        let value = take(&mut block)?;
        headers.push((name, value));
    }
    Ok(Headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        Headers(
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// A header block that inflates past the limit (a "zlib bomb": 2 MiB
    /// of one letter compress to a few kilobytes) is refused, not inflated.
    #[test]
    fn a_header_block_that_inflates_past_the_limit_is_refused() {
        let mut writer = Codec::default();
        let mut reader = Codec::default();
        let bomb = Frame::SynStream {
            stream_id: 1,
            fin: false,
            headers: headers(&[("streamtype", &"a".repeat(2 << 20))]),
        };
        let mut wire = BytesMut::new();
        writer.encode(&bomb, &mut wire).expect("encodes");
        assert!(wire.len() < 64 * 1024, "compressed to {} bytes", wire.len());
        let error = match reader.decode(&mut wire) {
            Ok(Some(_)) => panic!("a 2 MiB header block was taken"),
            Ok(None) => panic!("the whole frame is there"),
            Err(error) => error,
        };
        assert!(
            error.to_string().contains("more than 1048576 bytes"),
            "{error}"
        );
    }

    /// Frames written by one end decode on the other, header blocks
    /// included, across several frames sharing one zlib context.
    #[test]
    fn frames_round_trip_through_shared_compression() {
        let mut writer = Codec::default();
        let mut reader = Codec::default();
        let frames = vec![
            Frame::SynStream {
                stream_id: 1,
                fin: false,
                headers: headers(&[
                    ("streamtype", "error"),
                    ("port", "8080"),
                    ("requestid", "0"),
                ]),
            },
            Frame::SynStream {
                stream_id: 3,
                fin: false,
                headers: headers(&[("streamtype", "data"), ("port", "8080"), ("requestid", "0")]),
            },
            Frame::SynReply {
                stream_id: 3,
                fin: false,
                headers: Headers::default(),
            },
            Frame::Data {
                stream_id: 3,
                fin: true,
                data: Bytes::from_static(b"GET / HTTP/1.1\r\n\r\n"),
            },
            Frame::Ping { id: 7 },
            Frame::RstStream {
                stream_id: 1,
                status: RST_CANCEL,
            },
            Frame::GoAway {
                last_good_stream_id: 3,
                status: 0,
            },
        ];
        let mut wire = BytesMut::new();
        for frame in &frames {
            writer.encode(frame, &mut wire).expect("encodes");
        }
        // Delivered a few bytes at a time, as a tunnel may split them.
        let mut buf = BytesMut::new();
        let mut decoded = Vec::new();
        for chunk in wire.chunks(5) {
            buf.extend_from_slice(chunk);
            while let Some(frame) = reader.decode(&mut buf).expect("decodes") {
                decoded.push(frame);
            }
        }
        assert_eq!(decoded, frames);
        assert_eq!(decoded[1].clone(), frames[1]);
        if let Frame::SynStream { headers, .. } = &decoded[0] {
            assert_eq!(headers.get("streamType"), Some("error"));
            assert_eq!(headers.get("port"), Some("8080"));
        }
    }

    /// A SYN_STREAM as Go's spdy framer writes it (zlib level 9 with the
    /// dictionary, sync flush): headers streamtype=error, port=80, requestid=0.
    #[test]
    fn decodes_a_header_block_compressed_with_another_zlib() {
        let mut go_like = Compress::new(Compression::best(), true);
        go_like
            .set_dictionary(HEADER_DICTIONARY)
            .expect("dictionary");
        let mut plain = BytesMut::new();
        plain.put_u32(3);
        for (n, v) in [("port", "80"), ("requestid", "0"), ("streamtype", "error")] {
            plain.put_u32(n.len() as u32);
            plain.put_slice(n.as_bytes());
            plain.put_u32(v.len() as u32);
            plain.put_slice(v.as_bytes());
        }
        let mut block = Vec::with_capacity(256);
        go_like
            .compress_vec(&plain, &mut block, FlushCompress::Sync)
            .expect("compresses");
        let mut wire = BytesMut::new();
        control_header(&mut wire, TYPE_SYN_STREAM, 0, 10 + block.len());
        wire.put_u32(1);
        wire.put_u32(0);
        wire.put_u16(0);
        wire.put_slice(&block);
        let frame = Codec::default()
            .decode(&mut wire)
            .expect("decodes")
            .expect("whole frame");
        let Frame::SynStream { headers, .. } = frame else {
            panic!("not a SYN_STREAM: {frame:?}");
        };
        assert_eq!(headers.get("streamtype"), Some("error"));
        assert_eq!(headers.get("port"), Some("80"));
        assert_eq!(headers.get("requestid"), Some("0"));
    }
}
