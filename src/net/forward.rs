//! The Ingress router's fast path: requests without a body (GET, HEAD,
//! DELETE, OPTIONS over HTTP/1.1) are forwarded byte for byte — the head
//! parsed with httparse, routed, given the X-Forwarded-* headers, written
//! to a pod; the answer's head parsed for its framing, the answer copied
//! back as it came (Content-Length, chunked, or up to the pod's close).
//!
//! Why: with hyper building request and response objects on both sides
//! the router measured 0.77× the direct path's throughput; forwarding
//! bytes measures 0.81–1.10× (`cargo bench --bench traffic`; the README's
//! traffic section has the runs). The first request of a connection that
//! is not that simple (a body, an upgrade, `Expect`, HTTP/1.0) hands the
//! connection, with what was read, to hyper ([`serve_hyper`]) for good.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::framing::{Body, Framing, framing_of, response_head};
use super::ingress::{ATTEMPTS, Refusal, Router, serve_hyper};
use super::prefixed::Prefixed;
use super::request_head::{
    HEAD_TIMEOUT, Head, HeadError, MAX_HEAD, MAX_HEADERS, READ_CHUNK, read_head, read_more,
};

/// Serves one client connection until it closes.
pub(super) async fn serve(
    router: Arc<Router>,
    stream: TcpStream,
    peer: SocketAddr,
    cancel: CancellationToken,
) {
    let mut connection = Connection {
        router,
        client: stream,
        peer,
        buffer: Vec::with_capacity(READ_CHUNK),
        pods: HashMap::new(),
        reused: false,
    };
    tokio::select! {
        _ = cancel.cancelled() => {}
        handed = connection.run() => {
            if let Some(prefix) = handed {
                let Connection { router, client, peer, .. } = connection;
                let io = Prefixed { prefix, at: 0, inner: client };
                serve_hyper(router, io, peer, cancel).await;
            }
        }
    }
}

struct Connection {
    router: Arc<Router>,
    client: TcpStream,
    peer: SocketAddr,
    /// Bytes read from the client and not yet forwarded.
    buffer: Vec<u8>,
    /// Kept connections to the pods this client's requests went to (the
    /// balancer sends consecutive requests to different pods).
    pods: HashMap<SocketAddr, TcpStream>,
    /// Whether the current exchange went over a kept connection.
    reused: bool,
}

/// Why a forward failed.
enum Failed {
    /// Nothing came back: another pod may answer.
    NoAnswer(String),
    /// The answer broke off after it began: the client connection ends.
    Broken,
}

impl Connection {
    /// Forwards requests until the client closes (`None`) or sends one for
    /// hyper (`Some`: the bytes read so far).
    async fn run(&mut self) -> Option<Vec<u8>> {
        loop {
            let head = match read_head(&mut self.client, &mut self.buffer).await {
                Ok(Some(head)) => head,
                Ok(None) => return None,
                Err(HeadError::NotSimple) => return Some(std::mem::take(&mut self.buffer)),
                Err(HeadError::Closed | HeadError::Idle) => return None,
                Err(HeadError::TooSlow) => {
                    let refusal = Refusal {
                        status: StatusCode::REQUEST_TIMEOUT,
                        body: format!(
                            "408 Request Timeout: the request head did not arrive within {}s\n",
                            HEAD_TIMEOUT.as_secs()
                        ),
                    };
                    let _ = self.refuse(&refusal, true).await;
                    return None;
                }
                Err(HeadError::Malformed) => {
                    let refusal = Refusal {
                        status: StatusCode::BAD_REQUEST,
                        body: "400 Bad Request: the request head could not be read\n".into(),
                    };
                    let _ = self.refuse(&refusal, true).await;
                    return None;
                }
            };
            self.buffer.drain(..head.length);
            let keep_open = match self.forward(&head).await {
                Ok(keep_open) => keep_open,
                Err(()) => return None,
            };
            if head.close || !keep_open {
                let _ = self.client.shutdown().await;
                return None;
            }
        }
    }

    /// Sends `head` to a ready pod of its backend and its answer back;
    /// `Ok(false)` when the client connection must close after it.
    async fn forward(&mut self, head: &Head) -> Result<bool, ()> {
        let route = match self.router.route(&head.host, &head.path, self.peer.ip()) {
            Ok(route) => route,
            Err(refusal) => return self.refuse(&refusal, false).await.map(|()| true),
        };
        let request = head.upstream(self.peer.ip());
        let mut last_error = String::new();
        for pod in route.order.iter().take(ATTEMPTS) {
            let Some(address) = self.router.context.address(pod).await else {
                continue;
            };
            match self
                .exchange(address, &request, head.method == "HEAD")
                .await
            {
                Ok(keep_open) => {
                    route.balancer.served(self.peer.ip(), pod, route.now);
                    return Ok(keep_open);
                }
                Err(Failed::NoAnswer(error)) => {
                    self.router.context.forget(pod);
                    last_error = error;
                }
                Err(Failed::Broken) => return Err(()),
            }
        }
        let refusal = Refusal {
            status: StatusCode::BAD_GATEWAY,
            body: format!(
                "502 Bad Gateway: service {}/{}: {last_error}\n",
                route.backend.namespace, route.backend.service
            ),
        };
        self.refuse(&refusal, false).await.map(|()| true)
    }

    /// One request to the pod at `address` and its answer to the client.
    async fn exchange(
        &mut self,
        address: SocketAddr,
        request: &[u8],
        head_only: bool,
    ) -> Result<bool, Failed> {
        let kept = self.pods.remove(&address);
        match self.exchange_over(kept, address, request, head_only).await {
            // A kept connection the pod closed just now: once more on a new one.
            Err(Failed::NoAnswer(_)) if self.reused => {
                self.exchange_over(None, address, request, head_only).await
            }
            other => other,
        }
    }

    async fn exchange_over(
        &mut self,
        kept: Option<TcpStream>,
        address: SocketAddr,
        request: &[u8],
        head_only: bool,
    ) -> Result<bool, Failed> {
        let mut pod = self.pod_connection(kept, address).await?;
        if let Err(error) = pod.write_all(request).await {
            return Err(Failed::NoAnswer(error.to_string()));
        }
        let mut answer = Vec::with_capacity(READ_CHUNK);
        // Interim answers (100 Continue, 103 Early Hints) go through as they are.
        let (length, framing, pod_closes) = loop {
            let (length, status, framing, pod_closes) = read_response_head(&mut pod, &mut answer)
                .await
                .map_err(|error| match error {
                    Some(error) if answer.is_empty() => Failed::NoAnswer(error),
                    None if answer.is_empty() => Failed::NoAnswer("the pod closed".into()),
                    _ => Failed::Broken,
                })?;
            if (100..200).contains(&status) {
                let interim: Vec<u8> = answer.drain(..length).collect();
                self.client
                    .write_all(&interim)
                    .await
                    .map_err(|_| Failed::Broken)?;
                continue;
            }
            let framing = if head_only || status == 204 || status == 304 {
                Framing::Empty
            } else {
                framing
            };
            break (length, framing, pod_closes);
        };
        let head = response_head(&answer[..length], framing == Framing::UntilClose);
        let mut out = head;
        answer.drain(..length);
        let mut body = Body::new(framing);
        let (taken, done) = body.take(&answer);
        out.extend_from_slice(&answer[..taken]);
        self.client
            .write_all(&out)
            .await
            .map_err(|_| Failed::Broken)?;
        if !done {
            copy_body(&mut pod, &mut self.client, &mut body).await?;
        }
        let reusable = !pod_closes && framing != Framing::UntilClose;
        if reusable {
            self.pods.insert(address, pod);
        }
        Ok(framing != Framing::UntilClose)
    }

    /// The connection to `address` this client connection already has, if
    /// it is still open, else a new one.
    async fn pod_connection(
        &mut self,
        kept: Option<TcpStream>,
        address: SocketAddr,
    ) -> Result<TcpStream, Failed> {
        self.reused = false;
        if let Some(stream) = kept
            && is_open(&stream)
        {
            self.reused = true;
            return Ok(stream);
        }
        let connect = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address));
        match connect.await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                Ok(stream)
            }
            Ok(Err(error)) => Err(Failed::NoAnswer(error.to_string())),
            Err(_) => Err(Failed::NoAnswer(format!(
                "no connection in {CONNECT_TIMEOUT:?}"
            ))),
        }
    }

    async fn refuse(&mut self, refusal: &Refusal, close: bool) -> Result<(), ()> {
        let mut out = format!(
            "HTTP/1.1 {}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n",
            refusal.status,
            refusal.body.len()
        );
        if close {
            out.push_str("connection: close\r\n");
        }
        out.push_str("\r\n");
        out.push_str(&refusal.body);
        self.client.write_all(out.as_bytes()).await.map_err(|_| ())
    }
}

const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads until `answer` holds a whole response head: its length, status,
/// framing, and whether the pod closes after it. `Err(None)`: the pod
/// closed first.
async fn read_response_head(
    pod: &mut TcpStream,
    answer: &mut Vec<u8>,
) -> Result<(usize, u16, Framing, bool), Option<String>> {
    loop {
        if !answer.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(answer) {
                Ok(httparse::Status::Complete(length)) => {
                    let status = response.code.unwrap_or(502);
                    let (framing, closes) = framing_of(&response);
                    return Ok((length, status, framing, closes));
                }
                Ok(httparse::Status::Partial) if answer.len() < MAX_HEAD => {}
                Ok(httparse::Status::Partial) => {
                    return Err(Some("the pod's answer head is too long".into()));
                }
                Err(error) => return Err(Some(format!("the pod's answer: {error}"))),
            }
        }
        match read_more(pod, answer).await {
            Ok(0) => return Err(None),
            Ok(_) => {}
            Err(error) => return Err(Some(error.to_string())),
        }
    }
}

/// Copies the rest of a body from the pod to the client.
async fn copy_body(
    pod: &mut TcpStream,
    client: &mut TcpStream,
    body: &mut Body,
) -> Result<(), Failed> {
    let mut buffer = vec![0u8; READ_CHUNK];
    loop {
        let read = pod.read(&mut buffer).await.map_err(|_| Failed::Broken)?;
        if read == 0 {
            // The end of a close-delimited body; any other is broken off.
            return if body.framing == Framing::UntilClose {
                Ok(())
            } else {
                Err(Failed::Broken)
            };
        }
        let (taken, done) = body.take(&buffer[..read]);
        client
            .write_all(&buffer[..taken])
            .await
            .map_err(|_| Failed::Broken)?;
        if done {
            return Ok(());
        }
    }
}

/// Whether a kept connection to a pod is still open: nothing to read and
/// no end seen (a pod that closed it meanwhile reads as end of stream).
fn is_open(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.try_read(&mut probe), Err(error) if error.kind() == std::io::ErrorKind::WouldBlock)
}
