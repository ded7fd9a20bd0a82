//! Accepts connections on a port and answers each request, one thread per
//! connection: a test workload sees a handful of clients, not thousands.

use std::io::{self, BufReader, BufWriter};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::echo::{ServerInfo, echo_page, not_ready_page};
use crate::http::{ReadError, Request, Response, read_request};

/// An idle keep-alive connection is dropped after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct Server {
    pub info: ServerInfo,
    pub started: Instant,
    /// Requests answer 503 until this long after `started`.
    pub ready_after: Duration,
}

impl Server {
    pub fn answer(&self, request: &Request, client: SocketAddr, local: SocketAddr) -> Response {
        let close = request.wants_close();
        let elapsed = self.started.elapsed();
        if elapsed < self.ready_after {
            let remaining = (self.ready_after - elapsed).as_secs_f64();
            return Response {
                status: 503,
                body: not_ready_page(&self.info, remaining),
                close,
            };
        }
        Response {
            status: 200,
            body: echo_page(request, client, local, &self.info),
            close,
        }
    }
}

/// Accepts connections forever; each gets its own thread.
pub fn serve(listener: TcpListener, server: Arc<Server>) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let server = Arc::clone(&server);
                let spawned = thread::Builder::new()
                    .name("connection".to_string())
                    .spawn(move || handle_connection(stream, &server));
                if let Err(error) = spawned {
                    eprintln!("echo: cannot start a thread for a connection: {error}");
                }
            }
            Err(error) => {
                // Out of file descriptors and the like: say so, and do not spin.
                eprintln!("echo: accepting a connection failed: {error}");
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn handle_connection(stream: TcpStream, server: &Server) {
    let (Ok(client), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
        return;
    };
    if let Err(error) = answer_requests(&stream, client, local, server) {
        // A client that goes away mid-request is ordinary; anything else is worth a line.
        if !matches!(
            error.kind(),
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::WouldBlock
                | io::ErrorKind::TimedOut
        ) {
            eprintln!("echo: connection from {client}: {error}");
        }
    }
}

fn answer_requests(
    stream: &TcpStream,
    client: SocketAddr,
    local: SocketAddr,
    server: &Server,
) -> io::Result<()> {
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    let mut reader = BufReader::new(stream);
    let mut writer = BufWriter::new(stream);
    loop {
        let request = match read_request(&mut reader) {
            Ok(request) => request,
            Err(ReadError::Closed) => return Ok(()),
            Err(ReadError::Io(error)) => return Err(error),
            Err(ReadError::Bad { status, message }) => {
                println!("bad request from {client} -> {status}: {message}");
                let response = Response {
                    status,
                    body: format!("{message}\n"),
                    close: true,
                };
                return response.write_to(&mut writer, false);
            }
        };
        let response = server.answer(&request, client, local);
        println!(
            "{} {} from {client} -> {}",
            request.method, request.target, response.status
        );
        response.write_to(&mut writer, request.method == "HEAD")?;
        if response.close {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn start(ready_after: Duration) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        let server = Arc::new(Server {
            info: ServerInfo {
                hostname: "test-host".to_string(),
                version: "1.0".to_string(),
            },
            started: Instant::now(),
            ready_after,
        });
        thread::spawn(move || serve(listener, server));
        address
    }

    fn exchange(address: SocketAddr, request: &str) -> String {
        let mut stream = TcpStream::connect(address).expect("connect");
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("receive");
        answer
    }

    #[test]
    fn answers_with_the_echo_page_and_closes_when_asked() {
        let address = start(Duration::ZERO);
        let answer = exchange(
            address,
            "GET /hello?x=1 HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n",
        );
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.contains("Connection: close\r\n"), "{answer}");
        assert!(
            answer.contains("\r\n\r\nCLIENT VALUES:\nclient_address=127.0.0.1\n"),
            "{answer}"
        );
        assert!(
            answer.contains(&format!(
                "request_uri=http://demo:{}/hello?x=1\n",
                address.port()
            )),
            "{answer}"
        );
        assert!(
            answer.contains("hostname=test-host\nversion=1.0\n"),
            "{answer}"
        );
    }

    #[test]
    fn keeps_the_connection_for_the_next_request() {
        let address = start(Duration::ZERO);
        let answer = exchange(
            address,
            "GET /first HTTP/1.1\r\n\r\nGET /second HTTP/1.1\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 2, "{answer}");
        assert!(answer.contains("real path=/second"), "{answer}");
    }

    #[test]
    fn not_ready_until_the_delay_has_passed() {
        let address = start(Duration::from_millis(300));
        let early = exchange(address, "GET / HTTP/1.0\r\n\r\n");
        assert!(
            early.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{early}"
        );
        assert!(early.contains("becomes ready in"), "{early}");
        thread::sleep(Duration::from_millis(400));
        let later = exchange(address, "GET / HTTP/1.0\r\n\r\n");
        assert!(later.starts_with("HTTP/1.1 200 OK\r\n"), "{later}");
    }

    #[test]
    fn malformed_request_gets_status_and_reason() {
        let address = start(Duration::ZERO);
        let answer = exchange(address, "GET / HTTP/2\r\n\r\n");
        assert!(
            answer.starts_with("HTTP/1.1 505 HTTP Version Not Supported\r\n"),
            "{answer}"
        );
        assert!(answer.ends_with("use HTTP/1.1\n"), "{answer}");
    }

    #[test]
    fn head_gets_headers_only() {
        let address = start(Duration::ZERO);
        let answer = exchange(address, "HEAD / HTTP/1.0\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\n"), "{answer}");
    }
}
