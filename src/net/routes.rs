//! The Ingress route table and how a request finds its backend, as
//! upstream defines it: a rule for the exact host wins over a wildcard
//! (`*.example.com`, one label) which wins over rules without a host;
//! among paths the longest match wins, Exact over Prefix on a tie; Prefix
//! matches element-wise (`/api` matches `/api` and `/api/x`, not `/apix`);
//! ImplementationSpecific matches as Prefix. No match: the default backend.

use std::fmt::Write as _;

use k8s_openapi::api::networking::v1::{Ingress, IngressBackend};

/// Where matching traffic goes: a Service port in the Ingress's namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteBackend {
    pub namespace: String,
    pub service: String,
    pub port: BackendPort,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendPort {
    Number(i32),
    Name(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathType {
    Exact,
    Prefix,
    ImplementationSpecific,
}

/// One path of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `None`: any host.
    pub host: Option<String>,
    pub path: String,
    pub path_type: PathType,
    pub backend: RouteBackend,
    /// `namespace/name` of the Ingress it came from.
    pub ingress: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteTable {
    pub routes: Vec<Route>,
    /// `spec.defaultBackend`s, oldest Ingress first.
    pub defaults: Vec<(String, RouteBackend)>,
}

impl RouteTable {
    /// The routes of every Ingress (the caller passes them oldest first).
    pub fn build<'a>(ingresses: impl IntoIterator<Item = &'a Ingress>) -> RouteTable {
        let mut table = RouteTable::default();
        for ingress in ingresses {
            let namespace = ingress.metadata.namespace.clone().unwrap_or_default();
            let id = format!(
                "{namespace}/{}",
                ingress.metadata.name.as_deref().unwrap_or_default()
            );
            let Some(spec) = &ingress.spec else { continue };
            if let Some(backend) = spec
                .default_backend
                .as_ref()
                .and_then(|b| route_backend(&namespace, b))
            {
                table.defaults.push((id.clone(), backend));
            }
            for rule in spec.rules.iter().flatten() {
                let host = rule.host.clone().filter(|h| !h.is_empty());
                for path in rule.http.iter().flat_map(|h| &h.paths) {
                    let Some(backend) = route_backend(&namespace, &path.backend) else {
                        continue;
                    };
                    let path_type = match path.path_type.as_str() {
                        "Exact" => PathType::Exact,
                        "Prefix" => PathType::Prefix,
                        _ => PathType::ImplementationSpecific,
                    };
                    table.routes.push(Route {
                        host: host.clone(),
                        path: path.path.clone().unwrap_or_else(|| "/".into()),
                        path_type,
                        backend,
                        ingress: id.clone(),
                    });
                }
            }
        }
        table
    }

    /// The backend for a request to `host` (port stripped here) and `path`.
    pub fn choose(&self, host: &str, path: &str) -> Option<&RouteBackend> {
        let host = strip_port(host).to_ascii_lowercase();
        let exact: Vec<&Route> = self
            .routes
            .iter()
            .filter(|r| {
                r.host
                    .as_deref()
                    .is_some_and(|h| h.eq_ignore_ascii_case(&host))
            })
            .collect();
        let wildcard: Vec<&Route> = self
            .routes
            .iter()
            .filter(|r| {
                r.host
                    .as_deref()
                    .is_some_and(|h| wildcard_matches(h, &host))
            })
            .collect();
        let any: Vec<&Route> = self.routes.iter().filter(|r| r.host.is_none()).collect();
        let candidates = [exact, wildcard, any]
            .into_iter()
            .find(|set| !set.is_empty())
            .unwrap_or_default();
        // Reversed: on a full tie `max_by` keeps the last, i.e. the oldest.
        candidates
            .into_iter()
            .rev()
            .filter_map(|route| match_length(route, path).map(|len| (len, route)))
            // Longest first; Exact before Prefix on a tie; then oldest.
            .max_by(|(a, ra), (b, rb)| {
                a.cmp(b).then_with(|| {
                    (ra.path_type == PathType::Exact).cmp(&(rb.path_type == PathType::Exact))
                })
            })
            .map(|(_, route)| &route.backend)
            .or_else(|| self.defaults.first().map(|(_, b)| b))
    }

    /// The rules, one a line, for the 404 page.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        if self.routes.is_empty() && self.defaults.is_empty() {
            text.push_str("  (no Ingress rules)\n");
        }
        for route in &self.routes {
            let kind = match route.path_type {
                PathType::Exact => "Exact",
                PathType::Prefix => "Prefix",
                PathType::ImplementationSpecific => "ImplementationSpecific",
            };
            let _ = writeln!(
                text,
                "  {}{} ({kind}) -> {} ({})",
                route.host.as_deref().unwrap_or("*"),
                route.path,
                backend_text(&route.backend),
                route.ingress
            );
        }
        for (ingress, backend) in &self.defaults {
            let _ = writeln!(
                text,
                "  default backend -> {} ({ingress})",
                backend_text(backend)
            );
        }
        text
    }
}

fn backend_text(backend: &RouteBackend) -> String {
    match &backend.port {
        BackendPort::Number(n) => format!("{}:{n}", backend.service),
        BackendPort::Name(name) => format!("{}:{name}", backend.service),
    }
}

fn route_backend(namespace: &str, backend: &IngressBackend) -> Option<RouteBackend> {
    let service = backend.service.as_ref()?;
    let port = service.port.as_ref()?;
    let port = match (&port.name, port.number) {
        (Some(name), _) if !name.is_empty() => BackendPort::Name(name.clone()),
        (_, Some(number)) => BackendPort::Number(number),
        _ => return None,
    };
    Some(RouteBackend {
        namespace: namespace.to_string(),
        service: service.name.clone(),
        port,
    })
}

/// How much of `path` the route matches, if it matches.
fn match_length(route: &Route, path: &str) -> Option<usize> {
    match route.path_type {
        PathType::Exact => (route.path == path).then_some(route.path.len()),
        PathType::Prefix | PathType::ImplementationSpecific => {
            let prefix: Vec<&str> = elements(&route.path);
            let request: Vec<&str> = elements(path);
            (request.len() >= prefix.len() && request[..prefix.len()] == prefix[..])
                .then(|| route.path.trim_end_matches('/').len())
        }
    }
}

fn elements(path: &str) -> Vec<&str> {
    path.split('/').filter(|e| !e.is_empty()).collect()
}

/// `*.example.com` matches `a.example.com`, not `example.com` nor `a.b.example.com`.
fn wildcard_matches(pattern: &str, host: &str) -> bool {
    let Some(suffix) = pattern.strip_prefix("*.") else {
        return false;
    };
    host.split_once('.')
        .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(suffix))
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map(|(h, _)| &host[..=h.len()])
            .unwrap_or(host);
    }
    host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(yaml: &[&str]) -> RouteTable {
        let ingresses: Vec<Ingress> = yaml
            .iter()
            .map(|y| serde_yaml::from_str(y).expect("ingress yaml"))
            .collect();
        RouteTable::build(&ingresses)
    }

    fn chosen(table: &RouteTable, host: &str, path: &str) -> Option<String> {
        table.choose(host, path).map(backend_text)
    }

    const BY_PATH: &str = r#"
metadata: {name: site, namespace: default}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
      - {path: /api/exact, pathType: Exact, backend: {service: {name: exact, port: {number: 81}}}}
      - {path: /foo/, pathType: Prefix, backend: {service: {name: foo, port: {number: 82}}}}
"#;

    #[test]
    fn longest_prefix_wins_element_wise() {
        let t = table(&[BY_PATH]);
        assert_eq!(chosen(&t, "x", "/").as_deref(), Some("web:80"));
        assert_eq!(chosen(&t, "x", "/api").as_deref(), Some("api:http"));
        assert_eq!(chosen(&t, "x", "/api/").as_deref(), Some("api:http"));
        assert_eq!(chosen(&t, "x", "/api/v1").as_deref(), Some("api:http"));
        assert_eq!(chosen(&t, "x", "/apix").as_deref(), Some("web:80"));
        assert_eq!(chosen(&t, "x", "/api/exact").as_deref(), Some("exact:81"));
        assert_eq!(
            chosen(&t, "x", "/api/exact/more").as_deref(),
            Some("api:http")
        );
        // A trailing slash in the prefix is ignored: /foo/ matches /foo.
        assert_eq!(chosen(&t, "x", "/foo").as_deref(), Some("foo:82"));
    }

    const BY_HOST: &str = r#"
metadata: {name: hosts, namespace: shop}
spec:
  defaultBackend: {service: {name: fallback, port: {number: 8080}}}
  rules:
  - host: a.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 1}}}}]}
  - host: "*.example.com"
    http: {paths: [{path: /only, pathType: Exact, backend: {service: {name: star, port: {number: 2}}}}]}
"#;

    #[test]
    fn hosts_exact_then_wildcard_then_default_backend() {
        let t = table(&[BY_HOST]);
        assert_eq!(
            chosen(&t, "a.example.com:8081", "/x").as_deref(),
            Some("a:1")
        );
        assert_eq!(
            chosen(&t, "b.example.com", "/only").as_deref(),
            Some("star:2")
        );
        // The wildcard host has no rule for this path: default backend.
        assert_eq!(
            chosen(&t, "b.example.com", "/other").as_deref(),
            Some("fallback:8080")
        );
        // One label only.
        assert_eq!(
            chosen(&t, "c.b.example.com", "/only").as_deref(),
            Some("fallback:8080")
        );
        assert_eq!(
            t.choose("b.example.com", "/only")
                .map(|b| b.namespace.as_str()),
            Some("shop")
        );
    }

    #[test]
    fn unknown_host_without_default_matches_nothing_and_the_rules_are_listed() {
        let only_host = r#"
metadata: {name: h, namespace: default}
spec:
  rules:
  - host: a.example.com
    http: {paths: [{path: /app, pathType: ImplementationSpecific, backend: {service: {name: a, port: {number: 80}}}}]}
"#;
        let t = table(&[only_host]);
        assert_eq!(chosen(&t, "other", "/app"), None);
        assert_eq!(
            chosen(&t, "a.example.com", "/app/x").as_deref(),
            Some("a:80")
        );
        assert_eq!(
            t.describe(),
            "  a.example.com/app (ImplementationSpecific) -> a:80 (default/h)\n"
        );
        assert_eq!(RouteTable::default().describe(), "  (no Ingress rules)\n");
    }
}
