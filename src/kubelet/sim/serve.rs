//! Real loopback listeners for simulated containers, opened on demand when
//! something (a Service proxy, port-forward) asks where a container port
//! is. They answer HTTP like a small web server and write an access-log
//! line to the container's log, so demos on the sim behave like nginx.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::SimRuntime;

/// Binds 127.0.0.1:0 and serves until `alive` is cancelled.
pub async fn listen(
    runtime: SimRuntime,
    id: String,
    container_port: u16,
    alive: CancellationToken,
) -> Option<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.ok()?;
    let address = listener.local_addr().ok()?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = alive.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let runtime = runtime.clone();
                        let id = id.clone();
                        tokio::spawn(async move {
                            if let Some(line) = answer(stream, peer, &id, container_port).await {
                                runtime.log_line(&id, line);
                            }
                        });
                    }
                    Err(error) => {
                        tracing::debug!(%error, "sim listener stopped");
                        return;
                    }
                },
            }
        }
    });
    Some(address)
}

/// Answers one HTTP request; returns the access-log line.
async fn answer(
    mut stream: TcpStream,
    peer: SocketAddr,
    id: &str,
    container_port: u16,
) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let user_agent = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("user-agent")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_else(|| "-".to_string());
    let body = format!(
        "<!DOCTYPE html>\n<html>\n<head><title>Welcome to podium-sim!</title></head>\n<body>\n<h1>Welcome to podium-sim!</h1>\n<p>Served by simulated container {} on port {container_port}.</p>\n</body>\n</html>\n",
        &id[..id.len().min(12)]
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\nServer: podium-sim\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await.ok()?;
    let _ = stream.shutdown().await;
    let when = crate::clock::now()
        .strftime("%d/%b/%Y:%H:%M:%S +0000")
        .to_string();
    Some(format!(
        "{} - - [{when}] \"{request_line}\" 200 {} \"-\" \"{user_agent}\" \"-\"",
        peer.ip(),
        body.len()
    ))
}
