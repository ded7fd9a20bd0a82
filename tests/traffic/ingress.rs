//! The Ingress router: two Services by path (/ and /api) and by host,
//! and a 404 that lists the rules.

use std::time::Duration;

use crate::TrafficPodium;
use crate::client::{get, wait_ok};

/// Deployments `front` (echo 1.0) and `api` (echo 2.0), each behind a
/// ClusterIP Service on port 80, and one Ingress routing to them.
const APP: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: front}
spec:
  replicas: 2
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec:
      containers:
      - {name: echo, image: "podium/echo:1.0", ports: [{name: http, containerPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: echo, image: "podium/echo:2.0", ports: [{name: http, containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: front}
spec:
  selector: {app: front}
  ports: [{name: web, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site}
spec:
  rules:
  - host: api.example.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
  - host: www.example.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: front, port: {name: web}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
      - {path: /exact, pathType: Exact, backend: {service: {name: api, port: {number: 80}}}}
"#;

#[test]
fn ingress_routes_by_path_and_host_and_lists_its_rules_on_404() {
    let podium = TrafficPodium::start();
    let out = podium.kubectl_stdin(&["apply", "-f", "-"], APP);
    assert!(out.status.success(), "{out:?}");
    podium.rollout("front");
    podium.rollout("api");
    let address = podium.ingress_address("site");
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    // kubectl shows the address too.
    let listing = podium.ok(&["get", "ingress", "site"]);
    assert!(listing.contains("127.0.0.1"), "{listing}");

    let www = Some("www.example.test");
    let version = |reply: &crate::client::Reply| {
        reply
            .body
            .lines()
            .find_map(|l| l.strip_prefix("version="))
            .unwrap_or("?")
            .to_string()
    };
    let front = wait_ok(&address, www, "/", Duration::from_secs(30));
    assert_eq!(version(&front), "1.0", "{}", front.body);
    assert!(
        front.body.contains("host=www.example.test"),
        "{}",
        front.body
    );
    let api = wait_ok(&address, www, "/api/items?id=3", Duration::from_secs(30));
    assert_eq!(version(&api), "2.0", "{}", api.body);
    assert!(api.body.contains("real path=/api/items\n"), "{}", api.body);
    assert!(api.body.contains("query=id=3\n"), "{}", api.body);
    // Element-wise: /apix is not under /api.
    let apix = get(&address, www, "/apix").expect("answer");
    assert_eq!(version(&apix), "1.0", "{}", apix.body);
    // Exact matches only itself.
    assert_eq!(
        version(&get(&address, www, "/exact").expect("answer")),
        "2.0"
    );
    assert_eq!(
        version(&get(&address, www, "/exact/x").expect("answer")),
        "1.0"
    );
    // By host.
    let by_host = get(&address, Some("api.example.test:8081"), "/anything").expect("answer");
    assert_eq!(by_host.status, 200, "{}", by_host.body);
    assert_eq!(version(&by_host), "2.0", "{}", by_host.body);

    // An unknown host: 404 naming the rules that exist.
    let missing = get(&address, Some("nobody.example.test"), "/x").expect("answer");
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert!(
        missing
            .body
            .contains("no Ingress rule matches host \"nobody.example.test\" path \"/x\""),
        "{}",
        missing.body
    );
    for rule in [
        "api.example.test/ (Prefix) -> api:80 (default/site)",
        "www.example.test/api (Prefix) -> api:80 (default/site)",
        "www.example.test/exact (Exact) -> api:80 (default/site)",
        "www.example.test/ (Prefix) -> front:web (default/site)",
    ] {
        assert!(
            missing.body.contains(rule),
            "{rule} missing in:\n{}",
            missing.body
        );
    }

    // One keep-alive connection: GETs and a HEAD go byte for byte, a POST
    // with a body hands the connection to the HTTP library; all answer.
    let answers = one_connection(
        &address,
        &[
            "GET /api/one HTTP/1.1\r\nHost: www.example.test\r\n\r\n".to_string(),
            "HEAD / HTTP/1.1\r\nHost: www.example.test\r\n\r\n".to_string(),
            "GET /two HTTP/1.1\r\nHost: www.example.test\r\n\r\n".to_string(),
            "POST /api/three HTTP/1.1\r\nHost: www.example.test\r\nContent-Length: 7\r\n\r\n{\"a\":1}".to_string(),
            "GET /four HTTP/1.1\r\nHost: www.example.test\r\nConnection: close\r\n\r\n".to_string(),
        ],
    );
    let statuses = answers.matches("HTTP/1.1 200 OK\r\n").count();
    assert_eq!(statuses, 5, "five answers on one connection:\n{answers}");
    for expected in [
        "real path=/api/one\n",
        "real path=/two\n",
        "real path=/api/three\n",
        "{\"a\":1}",
        "real path=/four\n",
    ] {
        assert!(
            answers.contains(expected),
            "{expected:?} missing in:\n{answers}"
        );
    }
    assert_eq!(
        answers.matches("CLIENT VALUES:").count(),
        4,
        "HEAD's answer has no body:\n{answers}"
    );

    // Bodies are capped (they are kept for a retry): 413 with what to do.
    let too_large = post_body(&address, "www.example.test", 17 << 20);
    assert!(
        too_large.starts_with("HTTP/1.1 413"),
        "{}",
        &too_large[..too_large.len().min(300)]
    );
    assert!(
        too_large.contains("takes request bodies up to 16 MiB"),
        "{too_large}"
    );
}

/// Sends `requests` back to back on one connection (the last closes it)
/// and returns everything that came back.
fn one_connection(address: &str, requests: &[String]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    for request in requests {
        stream.write_all(request.as_bytes()).expect("request");
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// POSTs `size` bytes to `/` and returns the raw answer; the router may
/// answer (and stop reading) before the body is all sent.
fn post_body(address: &str, host: &str, size: usize) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    )
    .expect("headers");
    let chunk = vec![b'x'; 64 << 10];
    let mut sent = 0;
    while sent < size {
        if stream.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}
