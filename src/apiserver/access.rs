//! The access log: one INFO line per API request under the target
//! `podium::access` — method, path with query, status, User-Agent — e.g.
//! `PATCH /apis/apps/v1/namespaces/default/deployments/nginx?fieldManager=kubectl 200 kubectl/v1.32.0 (linux/amd64)`.
//! It shows who changed what; a read-only console can be checked by it.
//! Streaming requests log the status they switched or started with (101, 200).

use http::{HeaderMap, Method, StatusCode, Uri, header};

/// The tracing target access lines are logged under.
pub const TARGET: &str = "podium::access";

/// The User-Agent logged for the console's requests served in-process.
const IN_PROCESS_AGENT: &str = concat!("podium/", env!("CARGO_PKG_VERSION"), " (in-process)");

/// A request noted when it arrives, logged with the status it got.
pub struct Entry {
    method: Method,
    uri: String,
    user_agent: String,
}

impl Entry {
    /// `None` when access lines are filtered out, so nothing is copied for them.
    pub fn of(method: &Method, uri: &Uri, headers: &HeaderMap) -> Option<Entry> {
        if !tracing::enabled!(target: "podium::access", tracing::Level::INFO) {
            return None;
        }
        let user_agent = headers
            .get(header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .filter(|agent| !agent.is_empty())
            .unwrap_or_else(|| "-".to_string());
        Some(Entry::new(method, uri, user_agent))
    }

    /// The console's requests served without HTTP (`serve_local`).
    pub fn in_process(method: &Method, uri: &Uri) -> Option<Entry> {
        tracing::enabled!(target: "podium::access", tracing::Level::INFO)
            .then(|| Entry::new(method, uri, IN_PROCESS_AGENT.to_string()))
    }

    fn new(method: &Method, uri: &Uri, user_agent: String) -> Entry {
        // HTTP/2 requests carry the scheme and authority; the log keeps the path.
        let uri = uri
            .path_and_query()
            .map_or_else(|| uri.path().to_string(), ToString::to_string);
        Entry {
            method: method.clone(),
            uri,
            user_agent,
        }
    }

    /// With the User-Agent last: it is the one field that holds spaces.
    fn line(&self, status: StatusCode) -> String {
        format!(
            "{} {} {} {}",
            self.method,
            self.uri,
            status.as_u16(),
            self.user_agent
        )
    }

    pub fn log(&self, status: StatusCode) {
        tracing::info!(target: "podium::access", "{}", self.line(status));
    }
}

/// Logs the request `entry` noted, if any, with `status`.
pub fn log(entry: Option<Entry>, status: StatusCode) {
    if let Some(entry) = entry {
        entry.log(status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_method_path_with_query_status_and_agent() {
        let uri: Uri =
            "/apis/apps/v1/namespaces/default/deployments/nginx?fieldManager=kubectl-patch"
                .parse()
                .expect("uri");
        let entry = Entry::new(&Method::PATCH, &uri, "kubectl/v1.32.0 (linux/amd64)".into());
        assert_eq!(
            entry.line(StatusCode::OK),
            "PATCH /apis/apps/v1/namespaces/default/deployments/nginx?fieldManager=kubectl-patch 200 kubectl/v1.32.0 (linux/amd64)"
        );
    }

    #[test]
    fn http2_uris_log_only_their_path() {
        let uri: Uri = "https://127.0.0.1:6443/api/v1/pods?watch=1"
            .parse()
            .expect("uri");
        let entry = Entry::new(&Method::GET, &uri, "-".into());
        assert_eq!(entry.line(StatusCode::OK), "GET /api/v1/pods?watch=1 200 -");
    }
}
