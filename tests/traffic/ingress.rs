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
}
