//! Reading a client's request head for the Ingress fast path: how much
//! forwarding needs of it, whether it is simple enough to forward byte for
//! byte, and how it is rewritten for the pod. A client gets as long to
//! send a head, and to start the next one on a kept connection, as
//! ingress-nginx gives it.

use std::net::IpAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use super::ingress::HOP_BY_HOP;

/// The largest request or response head read.
pub(super) const MAX_HEAD: usize = 64 << 10;
pub(crate) const MAX_HEADERS: usize = 100;
pub(super) const READ_CHUNK: usize = 16 << 10;
/// How long a client may take to send a whole request head once it began
/// (nginx's `client_header_timeout`).
pub(super) const HEAD_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a kept connection may sit idle between requests (nginx's
/// `keepalive_timeout`).
pub(super) const IDLE_TIMEOUT: Duration = Duration::from_secs(75);

/// A request head, as much as forwarding needs.
pub(crate) struct Head {
    pub(super) length: usize,
    pub(super) method: String,
    /// The request target as sent (path and query).
    pub(super) target: String,
    /// Its path, which routes it.
    pub(super) path: String,
    pub(super) host: String,
    /// Name and value of each header, as received.
    pub(super) headers: Vec<(String, Vec<u8>)>,
    pub(super) close: bool,
    /// Headers the client's `Connection` names: they are for this hop
    /// only (RFC 9110 §7.6.1) and are not passed on.
    connection_named: Vec<String>,
}

pub(crate) enum HeadError {
    /// For hyper.
    NotSimple,
    Malformed,
    Closed,
    /// The connection sat idle past [`IDLE_TIMEOUT`]: it is closed.
    Idle,
    /// A head began but did not end within [`HEAD_TIMEOUT`].
    TooSlow,
}

/// Reads from `client` into `buffer` until it holds a whole request head.
/// `Ok(None)`: the client closed between requests.
pub(super) async fn read_head<S: AsyncRead + Unpin>(
    client: &mut S,
    buffer: &mut Vec<u8>,
) -> Result<Option<Head>, HeadError> {
    let mut deadline = None;
    loop {
        if !buffer.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut request = httparse::Request::new(&mut headers);
            match request.parse(buffer) {
                Ok(httparse::Status::Complete(length)) => {
                    return Head::of(&request, length).map(Some);
                }
                Ok(httparse::Status::Partial) if buffer.len() < MAX_HEAD => {}
                // Too many headers, or too long a head: hyper says so.
                Err(httparse::Error::TooManyHeaders) | Ok(httparse::Status::Partial) => {
                    return Err(HeadError::NotSimple);
                }
                Err(_) => return Err(HeadError::Malformed),
            }
        }
        let began = buffer.is_empty();
        let until = *deadline.get_or_insert_with(|| {
            let limit = if began { IDLE_TIMEOUT } else { HEAD_TIMEOUT };
            Instant::now() + limit
        });
        let read = tokio::time::timeout_at(until, read_more(client, buffer)).await;
        match read {
            Err(_) if buffer.is_empty() => return Err(HeadError::Idle),
            Err(_) => return Err(HeadError::TooSlow),
            Ok(Ok(0)) if buffer.is_empty() => return Ok(None),
            Ok(Ok(0) | Err(_)) => return Err(HeadError::Closed),
            // The first bytes of a head: from now it has HEAD_TIMEOUT.
            Ok(Ok(_)) if began => deadline = Some(Instant::now() + HEAD_TIMEOUT),
            Ok(Ok(_)) => {}
        }
    }
}

/// Reads what is there into `buffer`; 0 at the end. Cancel-safe (a
/// timeout may drop it): the bytes land in `buffer`'s spare capacity.
pub(super) async fn read_more<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
) -> std::io::Result<usize> {
    buffer.reserve(READ_CHUNK);
    stream.read_buf(buffer).await
}

impl Head {
    pub(crate) fn of(
        request: &httparse::Request<'_, '_>,
        length: usize,
    ) -> Result<Head, HeadError> {
        let method = request.method.ok_or(HeadError::Malformed)?;
        let path = request.path.ok_or(HeadError::Malformed)?;
        if request.version != Some(1) || !matches!(method, "GET" | "HEAD" | "DELETE" | "OPTIONS") {
            return Err(HeadError::NotSimple);
        }
        let mut host = String::new();
        let mut close = false;
        let mut connection_named = Vec::new();
        let mut headers = Vec::with_capacity(request.headers.len());
        for header in request.headers.iter() {
            let name = header.name.to_ascii_lowercase();
            let value = header.value;
            match name.as_str() {
                "content-length" if value.trim_ascii() == b"0" => {}
                "content-length" | "transfer-encoding" | "upgrade" | "expect" => {
                    return Err(HeadError::NotSimple);
                }
                "host" => host = String::from_utf8_lossy(value).into_owned(),
                "connection" => {
                    for token in String::from_utf8_lossy(value).split(',') {
                        let token = token.trim().to_ascii_lowercase();
                        close |= token == "close";
                        connection_named.push(token);
                    }
                }
                _ => {}
            }
            headers.push((name, value.to_vec()));
        }
        // Routing uses the path without its query, as hyper's `uri.path()`.
        let path_only = path
            .split('?')
            .next()
            .filter(|p| !p.is_empty())
            .unwrap_or("/");
        Ok(Head {
            length,
            method: method.to_string(),
            target: path.to_string(),
            path: path_only.to_string(),
            host,
            headers,
            close,
            connection_named,
        })
    }

    /// The request as the pod gets it: same method, target, headers and
    /// Host, hop-by-hop headers dropped, plus the X-Forwarded-* headers
    /// ingress-nginx adds.
    pub(crate) fn upstream(&self, client: IpAddr) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.target.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        let mut forwarded_for = None;
        for (name, value) in &self.headers {
            if HOP_BY_HOP.contains(&name.as_str())
                || self.connection_named.contains(name)
                || matches!(
                    name.as_str(),
                    "x-real-ip" | "x-forwarded-host" | "x-forwarded-proto"
                )
            {
                continue;
            }
            if name == "x-forwarded-for" {
                forwarded_for = Some(String::from_utf8_lossy(value).into_owned());
                continue;
            }
            header_line(&mut out, name, value);
        }
        let client = client.to_string();
        let forwarded_for = match forwarded_for {
            Some(earlier) => format!("{earlier}, {client}"),
            None => client.clone(),
        };
        header_line(&mut out, "x-real-ip", client.as_bytes());
        header_line(&mut out, "x-forwarded-for", forwarded_for.as_bytes());
        header_line(&mut out, "x-forwarded-host", self.host.as_bytes());
        header_line(&mut out, "x-forwarded-proto", b"http");
        out.extend_from_slice(b"\r\n");
        out
    }
}

fn header_line(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn only_simple_requests_are_forwarded_byte_for_byte() {
        let head = |text: &str| {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut request = httparse::Request::new(&mut headers);
            let length = match request.parse(text.as_bytes()) {
                Ok(httparse::Status::Complete(length)) => length,
                other => panic!("{other:?}"),
            };
            Head::of(&request, length)
        };
        let simple = head(
            "GET /api/items?id=3 HTTP/1.1\r\nHost: www.example.test\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
        );
        let Ok(simple) = simple else {
            panic!("a GET is simple")
        };
        assert_eq!(simple.host, "www.example.test");
        assert_eq!(simple.path, "/api/items");
        let sent =
            String::from_utf8(simple.upstream("127.0.0.1".parse().expect("ip"))).expect("utf-8");
        assert!(
            sent.starts_with("GET /api/items?id=3 HTTP/1.1\r\n"),
            "{sent}"
        );
        assert!(
            sent.contains("x-forwarded-for: 10.0.0.1, 127.0.0.1\r\n"),
            "{sent}"
        );
        assert!(
            sent.contains("x-forwarded-host: www.example.test\r\n"),
            "{sent}"
        );
        for not_simple in [
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
            "GET / HTTP/1.0\r\n\r\n",
        ] {
            assert!(
                matches!(head(not_simple), Err(HeadError::NotSimple)),
                "{not_simple}"
            );
        }
    }

    #[test]
    fn headers_the_connection_header_names_stay_with_the_client() {
        let text = "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\nX-Kept: 2\r\n\r\n";
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let Ok(httparse::Status::Complete(length)) = request.parse(text.as_bytes()) else {
            panic!("parses")
        };
        let Ok(head) = Head::of(&request, length) else {
            panic!("a GET is simple")
        };
        assert!(!head.close);
        let sent =
            String::from_utf8(head.upstream("127.0.0.1".parse().expect("ip"))).expect("utf-8");
        assert!(sent.contains("x-kept: 2\r\n"), "{sent}");
        for gone in ["x-secret", "keep-alive", "connection"] {
            assert!(!sent.contains(&format!("{gone}:")), "{gone} in {sent}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_kept_connection_is_let_go_after_the_idle_timeout() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        let began = Instant::now();
        let mut buffer = Vec::new();
        let read = read_head(&mut server, &mut buffer).await;
        assert!(matches!(read, Err(HeadError::Idle)));
        assert_eq!(began.elapsed(), IDLE_TIMEOUT);
        drop(client.shutdown().await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_head_times_out_and_a_slow_one_within_the_limit_is_read() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        client
            .write_all(b"GET / HTTP/1.1\r\nHo")
            .await
            .expect("write");
        let began = Instant::now();
        let mut buffer = Vec::new();
        let read = read_head(&mut server, &mut buffer).await;
        assert!(matches!(read, Err(HeadError::TooSlow)));
        assert_eq!(began.elapsed(), HEAD_TIMEOUT);

        let (mut client, mut server) = tokio::io::duplex(1024);
        let writer = tokio::spawn(async move {
            client
                .write_all(b"GET /slow HTTP/1.1\r\nHo")
                .await
                .expect("write");
            tokio::time::sleep(HEAD_TIMEOUT / 2).await;
            client.write_all(b"st: a\r\n\r\n").await.expect("write");
            client
        });
        let mut buffer = Vec::new();
        let read = read_head(&mut server, &mut buffer).await;
        let Ok(Some(head)) = read else {
            panic!("the head arrives in time")
        };
        assert_eq!((head.path.as_str(), head.host.as_str()), ("/slow", "a"));
        drop(writer.await);
    }
}
