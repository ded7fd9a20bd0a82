//! Just enough HTTP/1.1 for probes, curl, wget and browsers: one request at a
//! time per connection, bodies by Content-Length, keep-alive unless asked not to.

use std::fmt;
use std::io::{self, BufRead, Read, Write};

/// Request line plus headers; more is not a request anyone means to send.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The echo repeats the body, so a larger one is refused rather than held.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: String,
    /// As sent: path plus query, e.g. `/items?id=1`.
    pub target: String,
    /// `1.1` or `1.0`.
    pub version: String,
    /// Names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(path, _)| path)
    }

    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, query)| query)
    }

    /// HTTP/1.0 closes unless asked to keep alive; HTTP/1.1 keeps alive
    /// unless asked to close.
    pub fn wants_close(&self) -> bool {
        let connection = self.header("connection").map(str::to_ascii_lowercase);
        match connection.as_deref() {
            Some("close") => true,
            Some("keep-alive") => false,
            _ => self.version == "1.0",
        }
    }
}

#[derive(Debug)]
pub enum ReadError {
    /// The client closed the connection between requests.
    Closed,
    /// Not HTTP as this server speaks it; answered with this status.
    Bad {
        status: u16,
        message: String,
    },
    Io(io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Closed => write!(f, "connection closed"),
            ReadError::Bad { status, message } => write!(f, "{status}: {message}"),
            ReadError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> Self {
        ReadError::Io(error)
    }
}

fn bad(status: u16, message: impl Into<String>) -> ReadError {
    ReadError::Bad {
        status,
        message: message.into(),
    }
}

/// Reads one request; `Closed` when the connection ended cleanly before it.
pub fn read_request(reader: &mut impl BufRead) -> Result<Request, ReadError> {
    let mut head_bytes = 0;
    let request_line = loop {
        match read_line(reader, &mut head_bytes)? {
            None => return Err(ReadError::Closed),
            // RFC 9112 §2.2: ignore empty lines before the request line.
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
        }
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(protocol), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(400, format!("malformed request line {request_line:?}")));
    };
    let Some(version) = protocol.strip_prefix("HTTP/") else {
        return Err(bad(400, format!("malformed request line {request_line:?}")));
    };
    if version != "1.1" && version != "1.0" {
        return Err(bad(
            505,
            format!("HTTP/{version} is not supported; use HTTP/1.1"),
        ));
    }

    let mut headers = Vec::new();
    loop {
        let Some(line) = read_line(reader, &mut head_bytes)? else {
            return Err(bad(400, "connection closed inside the headers"));
        };
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad(400, format!("malformed header line {line:?}")));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }

    let mut request = Request {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        headers,
        body: Vec::new(),
    };
    if request.header("transfer-encoding").is_some() {
        return Err(bad(
            411,
            "chunked bodies are not supported; send Content-Length",
        ));
    }
    if let Some(length) = request.header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| bad(400, format!("Content-Length {length:?} is not a number")))?;
        if length > MAX_BODY_BYTES {
            return Err(bad(
                413,
                format!("bodies up to {MAX_BODY_BYTES} bytes are echoed"),
            ));
        }
        request.body = vec![0; length];
        reader.read_exact(&mut request.body)?;
    }
    Ok(request)
}

/// One line without its CRLF (or bare LF); `None` at end of stream.
fn read_line(
    reader: &mut impl BufRead,
    head_bytes: &mut usize,
) -> Result<Option<String>, ReadError> {
    let mut line = Vec::new();
    let limit = (MAX_HEAD_BYTES - *head_bytes) as u64 + 1;
    let read = reader.by_ref().take(limit).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    *head_bytes += read;
    if *head_bytes > MAX_HEAD_BYTES {
        return Err(bad(
            431,
            format!("request head is over {MAX_HEAD_BYTES} bytes"),
        ));
    }
    if line.last() != Some(&b'\n') {
        return Err(bad(400, "connection closed inside the request head"));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: String,
    pub close: bool,
}

impl Response {
    pub fn write_to(&self, writer: &mut impl Write, head_only: bool) -> io::Result<()> {
        let connection = if self.close { "close" } else { "keep-alive" };
        let mut bytes = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
            self.status,
            reason(self.status),
            self.body.len(),
        )
        .into_bytes();
        if !head_only {
            bytes.extend_from_slice(self.body.as_bytes());
        }
        writer.write_all(&bytes)?;
        writer.flush()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read(text: &str) -> Result<Request, ReadError> {
        read_request(&mut Cursor::new(text.as_bytes().to_vec()))
    }

    #[test]
    fn reads_request_line_headers_and_body() {
        let request = read(
            "POST /items?id=1 HTTP/1.1\r\nHost: example:8080\r\nContent-Length: 5\r\nX-Trace:  abc \r\n\r\nhello",
        )
        .expect("parses");
        assert_eq!(request.method, "POST");
        assert_eq!(request.path(), "/items");
        assert_eq!(request.query(), Some("id=1"));
        assert_eq!(request.version, "1.1");
        assert_eq!(request.header("host"), Some("example:8080"));
        assert_eq!(request.header("x-trace"), Some("abc"));
        assert_eq!(request.body, b"hello");
        assert!(!request.wants_close());
    }

    #[test]
    fn two_requests_on_one_connection_read_in_turn() {
        let mut stream = Cursor::new(
            b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.0\r\nConnection: close\r\n\r\n".to_vec(),
        );
        let first = read_request(&mut stream).expect("first");
        let second = read_request(&mut stream).expect("second");
        assert_eq!((first.path(), second.path()), ("/a", "/b"));
        assert!(second.wants_close());
        assert!(matches!(read_request(&mut stream), Err(ReadError::Closed)));
    }

    #[test]
    fn http_1_0_closes_unless_kept_alive() {
        assert!(
            read("GET / HTTP/1.0\r\n\r\n")
                .expect("parses")
                .wants_close()
        );
        let kept = read("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").expect("parses");
        assert!(!kept.wants_close());
    }

    #[test]
    fn malformed_requests_get_a_status_and_a_reason() {
        let cases = [
            ("GARBAGE\r\n\r\n", 400, "malformed request line"),
            ("GET / HTTP/2\r\n\r\n", 505, "use HTTP/1.1"),
            (
                "GET / HTTP/1.1\r\nno colon\r\n\r\n",
                400,
                "malformed header line",
            ),
            (
                "POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
                400,
                "not a number",
            ),
            (
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                411,
                "send Content-Length",
            ),
            (
                "POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
                413,
                "bytes are echoed",
            ),
            ("GET / HTTP/1.1\r\nHost: x", 400, "closed inside"),
        ];
        for (text, expected_status, expected_message) in cases {
            match read(text) {
                Err(ReadError::Bad { status, message }) => {
                    assert_eq!(status, expected_status, "{text:?}");
                    assert!(message.contains(expected_message), "{text:?}: {message}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn oversized_head_is_refused() {
        let text = format!(
            "GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        assert!(matches!(
            read(&text),
            Err(ReadError::Bad { status: 431, .. })
        ));
    }

    #[test]
    fn response_has_length_type_and_connection() {
        let response = Response {
            status: 503,
            body: "not yet\n".to_string(),
            close: true,
        };
        let mut bytes = Vec::new();
        response.write_to(&mut bytes, false).expect("writes");
        assert_eq!(
            String::from_utf8(bytes).expect("utf-8"),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 8\r\nConnection: close\r\n\r\nnot yet\n"
        );
        let mut head = Vec::new();
        response.write_to(&mut head, true).expect("writes");
        assert!(
            String::from_utf8(head)
                .expect("utf-8")
                .ends_with("\r\n\r\n")
        );
    }
}
