//! HTTP/1.1 message framing for the Ingress fast path ([`super::forward`]):
//! how a response's body ends (RFC 9112 §6.3) and where a chunked body's
//! last chunk is, so that bodies are copied as they come, never decoded.

/// How a response's body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

/// How the body of `response` ends, and whether the pod closes the
/// connection after it.
pub(crate) fn framing_of(response: &httparse::Response<'_, '_>) -> (Framing, bool) {
    let mut framing = Framing::UntilClose;
    let mut closes = response.version == Some(0);
    for header in response.headers.iter() {
        let value = String::from_utf8_lossy(header.value);
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            if value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
            {
                framing = Framing::Chunked;
            }
        } else if header.name.eq_ignore_ascii_case("content-length") {
            if framing != Framing::Chunked
                && let Ok(length) = value.trim().parse()
            {
                framing = Framing::Length(length);
            }
        } else if header.name.eq_ignore_ascii_case("connection") {
            let tokens: Vec<String> = value
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .collect();
            if tokens.iter().any(|t| t == "close") {
                closes = true;
            } else if tokens.iter().any(|t| t == "keep-alive") {
                closes = false;
            }
        }
    }
    (framing, closes)
}

/// The response head for the client: as the pod sent it, without the
/// headers of the pod's connection; `connection: close` when the body
/// ends only with the connection.
pub(crate) fn response_head(head: &[u8], until_close: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + 20);
    let mut lines = head.split(|&b| b == b'\n');
    if let Some(status) = lines.next() {
        out.extend_from_slice(status);
        out.push(b'\n');
    }
    for line in lines {
        let name = line
            .split(|&b| b == b':')
            .next()
            .map(|n| n.trim_ascii().to_ascii_lowercase())
            .unwrap_or_default();
        if line.trim_ascii().is_empty() || name == b"connection" || name == b"keep-alive" {
            continue;
        }
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    if until_close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Where a response body ends, fed the bytes as they come.
pub(crate) struct Body {
    pub(super) framing: Framing,
    left: u64,
    chunk: Chunk,
}

impl Body {
    pub(crate) fn new(framing: Framing) -> Body {
        let left = match framing {
            Framing::Length(length) => length,
            _ => 0,
        };
        Body {
            framing,
            left,
            chunk: Chunk::Size(0),
        }
    }

    /// How many of `bytes` belong to the body, and whether it is complete.
    pub(crate) fn take(&mut self, bytes: &[u8]) -> (usize, bool) {
        match self.framing {
            Framing::Empty => (0, true),
            Framing::UntilClose => (bytes.len(), false),
            Framing::Length(_) => {
                let taken = usize::try_from(self.left).map_or(bytes.len(), |l| l.min(bytes.len()));
                self.left -= taken as u64;
                (taken, self.left == 0)
            }
            Framing::Chunked => match self.chunk.scan(bytes) {
                Some(end) => (end, true),
                None => (bytes.len(), false),
            },
        }
    }
}

/// Where the chunked encoding (RFC 9112 §7.1) of a body stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading a chunk's size (hex digits so far).
    Size(u64),
    /// Skipping a chunk extension.
    Extension(u64),
    SizeLf(u64),
    Data(u64),
    DataCr,
    DataLf,
    /// After the last chunk: trailer lines until an empty one.
    TrailerStart,
    TrailerLine,
    EndLf,
    Done,
    Invalid,
}

impl Chunk {
    /// Feeds `bytes`; the offset just past the body's end, if it is in them.
    fn scan(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut at = 0;
        while at < bytes.len() {
            let byte = bytes[at];
            *self = match *self {
                Chunk::Size(size) => match (byte as char).to_digit(16) {
                    Some(digit) => {
                        Chunk::Size(size.saturating_mul(16).saturating_add(u64::from(digit)))
                    }
                    None if byte == b';' || byte == b' ' || byte == b'\t' => Chunk::Extension(size),
                    None if byte == b'\r' => Chunk::SizeLf(size),
                    None if byte == b'\n' => after_size(size),
                    None => Chunk::Invalid,
                },
                Chunk::Extension(size) => match byte {
                    b'\r' => Chunk::SizeLf(size),
                    b'\n' => after_size(size),
                    _ => Chunk::Extension(size),
                },
                Chunk::SizeLf(size) if byte == b'\n' => after_size(size),
                Chunk::Data(left) => {
                    let available = (bytes.len() - at) as u64;
                    let skip = left.min(available);
                    at += usize::try_from(skip).unwrap_or(0);
                    *self = if skip == left {
                        Chunk::DataCr
                    } else {
                        Chunk::Data(left - skip)
                    };
                    continue;
                }
                Chunk::DataCr if byte == b'\r' => Chunk::DataLf,
                Chunk::DataCr | Chunk::DataLf if byte == b'\n' => Chunk::Size(0),
                Chunk::TrailerStart => match byte {
                    b'\r' => Chunk::EndLf,
                    b'\n' => Chunk::Done,
                    _ => Chunk::TrailerLine,
                },
                Chunk::TrailerLine if byte == b'\n' => Chunk::TrailerStart,
                Chunk::TrailerLine => Chunk::TrailerLine,
                Chunk::EndLf if byte == b'\n' => Chunk::Done,
                _ => Chunk::Invalid,
            };
            at += 1;
            if *self == Chunk::Done {
                return Some(at);
            }
            if *self == Chunk::Invalid {
                // Not chunked after all: the rest goes through until close.
                return None;
            }
        }
        None
    }
}

fn after_size(size: u64) -> Chunk {
    if size == 0 {
        Chunk::TrailerStart
    } else {
        Chunk::Data(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunked_body_ends_after_its_last_chunk_and_trailers() {
        let body = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";
        let end = body.len() - 4;
        assert_eq!(Chunk::Size(0).scan(body), Some(end));
        // Fed a byte at a time, it ends at the same place.
        let mut chunk = Chunk::Size(0);
        let ends: Vec<usize> = body
            .iter()
            .enumerate()
            .filter_map(|(i, b)| chunk.scan(std::slice::from_ref(b)).map(|_| i + 1))
            .collect();
        assert_eq!(ends, [end]);
    }

    #[test]
    fn a_length_delimited_body_takes_only_its_bytes() {
        let mut body = Body::new(Framing::Length(5));
        assert_eq!(body.take(b"hel"), (3, false));
        assert_eq!(body.take(b"loHTTP/1.1"), (2, true));
    }
}
