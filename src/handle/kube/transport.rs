//! Requests to a Kubernetes API through kube-rs's client (kubeconfig auth,
//! rustls), answered the way the embedded API server answers: a 2xx body,
//! or the server's Status as [`HandleError::Refused`].

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use http::Method;
use http::header::{ACCEPT, CONTENT_TYPE};
use http_body_util::BodyExt;
use kube::client::Body;
use serde_json::Value;

use crate::handle::HandleError;
use crate::handle::rest::{Transport, answer, failure};

#[derive(Clone)]
pub struct KubeTransport {
    pub client: kube::Client,
    /// The server's URL, for messages.
    pub server: String,
}

impl KubeTransport {
    /// The response as it comes: its status and its body as a stream.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<(u16, BoxStream<'static, Bytes>), HandleError> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(uri)
            .header(ACCEPT, "application/json");
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let request = request
            .body(Body::from(body))
            .map_err(|error| HandleError::Invalid(format!("request {uri}: {error}")))?;
        let response = self
            .client
            .send(request)
            .await
            .map_err(|error| self.unreachable(&error))?;
        let code = response.status().as_u16();
        let body = response
            .into_body()
            .into_data_stream()
            .take_while(|chunk| futures::future::ready(chunk.is_ok()))
            .filter_map(|chunk| futures::future::ready(chunk.ok()))
            .boxed();
        Ok((code, body))
    }

    /// The raw body of a 2xx answer to a GET (a list page, parsed straight
    /// into objects); otherwise the server's Status.
    pub async fn get_bytes(&self, uri: &str) -> Result<Vec<u8>, HandleError> {
        let (code, chunks) = self.send(Method::GET, uri, None, Vec::new()).await?;
        let bytes = collected(chunks).await;
        if (200..300).contains(&code) {
            Ok(bytes)
        } else {
            Err(failure(code, &bytes))
        }
    }

    /// A failure to reach the server, in plain words: the innermost cause
    /// (connection refused, certificate not trusted, …) and where.
    pub fn unreachable(&self, error: &kube::Error) -> HandleError {
        if let kube::Error::Api(status) = error {
            return HandleError::Refused {
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
                causes: Vec::new(),
            };
        }
        HandleError::Unreachable(format!(
            "cannot reach {}: {}",
            self.server,
            innermost(error)
        ))
    }
}

/// A response body, whole.
pub async fn collected(chunks: BoxStream<'static, Bytes>) -> Vec<u8> {
    chunks.map(|chunk| chunk.to_vec()).concat().await
}

/// The deepest source of an error: what actually went wrong.
pub fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest: &dyn std::error::Error = error;
    while let Some(source) = deepest.source() {
        deepest = source;
    }
    deepest.to_string()
}

#[async_trait::async_trait]
impl Transport for KubeTransport {
    async fn request(
        &self,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Value, HandleError> {
        let (code, chunks) = self.send(method, uri, content_type, body).await?;
        answer(code, &collected(chunks).await)
    }
}
