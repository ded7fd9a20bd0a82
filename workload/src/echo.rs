//! The answer page, in the format of `k8s.gcr.io/echoserver:1.4` so that the
//! walkthrough's curl output looks the same, plus who answered: the hostname
//! (the pod's name in a pod) and the VERSION knob (which side of a rollout).

use std::net::SocketAddr;

use crate::http::Request;

/// What the server says about itself in SERVER VALUES.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    pub hostname: String,
    pub version: String,
}

impl ServerInfo {
    /// The kernel's hostname (the container's, in a container); HOSTNAME
    /// when /proc is not there.
    pub fn detect(version: String) -> ServerInfo {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|name| name.trim().to_string())
            .ok()
            .filter(|name| !name.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown".to_string());
        ServerInfo { hostname, version }
    }
}

/// The echo of `request`, received from `client` on `local`.
pub fn echo_page(
    request: &Request,
    client: SocketAddr,
    local: SocketAddr,
    server: &ServerInfo,
) -> String {
    // As nginx's $host: the Host header without its port, else the address
    // the request came in on; the port is always the one served.
    let host = request
        .header("host")
        .map(host_without_port)
        .filter(|host| !host.is_empty())
        .map_or_else(|| url_host(local), str::to_string);
    let mut headers: Vec<_> = request.headers.iter().collect();
    headers.sort();

    let mut page = String::new();
    page.push_str("CLIENT VALUES:\n");
    page.push_str(&format!("client_address={}\n", client.ip()));
    page.push_str(&format!("command={}\n", request.method));
    page.push_str(&format!("real path={}\n", request.path()));
    page.push_str(&format!("query={}\n", request.query().unwrap_or("nil")));
    page.push_str(&format!("request_version={}\n", request.version));
    page.push_str(&format!(
        "request_uri=http://{host}:{}{}\n",
        local.port(),
        request.target
    ));
    page.push_str("\nSERVER VALUES:\n");
    page.push_str(&format!(
        "server_version=podium-echo: {}\n",
        env!("CARGO_PKG_VERSION")
    ));
    page.push_str(&format!("hostname={}\n", server.hostname));
    page.push_str(&format!("version={}\n", server.version));
    page.push_str("\nHEADERS RECEIVED:\n");
    for (name, value) in headers {
        page.push_str(&format!("{name}={value}\n"));
    }
    page.push_str("BODY:\n");
    if request.body.is_empty() {
        page.push_str("-no body in request-\n");
    } else {
        page.push_str(&String::from_utf8_lossy(&request.body));
        page.push('\n');
    }
    page
}

/// What a request gets before READY_AFTER_SECONDS have passed.
pub fn not_ready_page(server: &ServerInfo, remaining_seconds: f64) -> String {
    format!(
        "not ready: {} version {} becomes ready in {remaining_seconds:.1}s (READY_AFTER_SECONDS)\n",
        server.hostname, server.version
    )
}

fn url_host(address: SocketAddr) -> String {
    match address {
        SocketAddr::V4(v4) => v4.ip().to_string(),
        SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
    }
}

fn host_without_port(host: &str) -> &str {
    // `[::1]:8080` keeps its brackets; `example:8080` loses the port.
    if let Some(end) = host.find(']') {
        return &host[..=end];
    }
    host.split(':').next().unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> ServerInfo {
        ServerInfo {
            hostname: "hello-7d9f8-abcde".to_string(),
            version: "2.0".to_string(),
        }
    }

    fn request(target: &str, headers: &[(&str, &str)], body: &str) -> Request {
        Request {
            method: "GET".to_string(),
            target: target.to_string(),
            version: "1.1".to_string(),
            headers: headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("socket address")
    }

    #[test]
    fn page_matches_the_walkthrough_echoserver() {
        let request = request(
            "/",
            &[
                ("user-agent", "curl/7.58.0"),
                ("host", "172.17.0.3:30504"),
                ("accept", "*/*"),
            ],
            "",
        );
        let page = echo_page(
            &request,
            addr("172.18.0.1:40000"),
            addr("172.17.0.3:8080"),
            &server(),
        );
        assert_eq!(
            page,
            "CLIENT VALUES:\n\
             client_address=172.18.0.1\n\
             command=GET\n\
             real path=/\n\
             query=nil\n\
             request_version=1.1\n\
             request_uri=http://172.17.0.3:8080/\n\
             \n\
             SERVER VALUES:\n\
             server_version=podium-echo: 0.1.0\n\
             hostname=hello-7d9f8-abcde\n\
             version=2.0\n\
             \n\
             HEADERS RECEIVED:\n\
             accept=*/*\n\
             host=172.17.0.3:30504\n\
             user-agent=curl/7.58.0\n\
             BODY:\n\
             -no body in request-\n"
        );
    }

    #[test]
    fn query_and_body_are_echoed() {
        let request = request("/items?id=1&x=2", &[("host", "localhost")], "{\"a\":1}");
        let page = echo_page(
            &request,
            addr("127.0.0.1:5000"),
            addr("127.0.0.1:9000"),
            &server(),
        );
        assert!(page.contains("real path=/items\n"), "{page}");
        assert!(page.contains("query=id=1&x=2\n"), "{page}");
        assert!(
            page.contains("request_uri=http://localhost:9000/items?id=1&x=2\n"),
            "{page}"
        );
        assert!(page.ends_with("BODY:\n{\"a\":1}\n"), "{page}");
    }

    #[test]
    fn without_host_header_the_local_address_stands_in() {
        let page = echo_page(
            &request("/", &[], ""),
            addr("10.0.0.7:5000"),
            addr("10.0.0.9:8080"),
            &server(),
        );
        assert!(
            page.contains("request_uri=http://10.0.0.9:8080/\n"),
            "{page}"
        );
        let page = echo_page(
            &request("/", &[], ""),
            addr("[::1]:5000"),
            addr("[::1]:8080"),
            &server(),
        );
        assert!(page.contains("request_uri=http://[::1]:8080/\n"), "{page}");
        let bracketed = request("/", &[("host", "[::1]:8080")], "");
        let page = echo_page(
            &bracketed,
            addr("[::1]:5000"),
            addr("[::1]:8080"),
            &server(),
        );
        assert!(page.contains("request_uri=http://[::1]:8080/\n"), "{page}");
    }

    #[test]
    fn not_ready_page_says_when() {
        assert_eq!(
            not_ready_page(&server(), 2.0),
            "not ready: hello-7d9f8-abcde version 2.0 becomes ready in 2.0s (READY_AFTER_SECONDS)\n"
        );
    }
}
