//! `/openapi/v2`: an empty Swagger 2.0 document. kubectl's client-side
//! validation falls back to it for kinds the OpenAPI v3 documents do not
//! name (a custom resource applied before its definition); a kind missing
//! from it is not validated there, so kubectl goes on to report upstream's
//! `no matches for kind`. Without the document kubectl stops at "the
//! server could not find the requested resource".

use http::Response;

use super::http::{Body, bytes_response};

/// The protobuf form kubectl asks for (gnostic's openapi_v2.Document).
const PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/// What upstream's handler (kube-openapi) labels it with: Go's media type
/// parser refuses the `@` of the requested form.
const PROTOBUF_RETURNED: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

pub fn document(accept: Option<&str>) -> Response<Body> {
    let (content_type, body): (&'static str, Vec<u8>) =
        if accept.is_some_and(|a| a.contains(PROTOBUF) || a.contains(PROTOBUF_RETURNED)) {
            (PROTOBUF_RETURNED, swagger_protobuf())
        } else {
            let json = serde_json::json!({
                "swagger": "2.0",
                "info": {"title": "Kubernetes", "version": super::discovery::GIT_VERSION},
                "paths": {},
                "definitions": {},
            });
            (
                "application/json",
                serde_json::to_vec(&json).unwrap_or_default(),
            )
        };
    bytes_response(200, content_type, body)
}

/// `Document{swagger: "2.0", info: Info{title: "Kubernetes", version}}`
/// in protobuf wire form.
fn swagger_protobuf() -> Vec<u8> {
    fn field(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
        out.push(tag << 3 | 2);
        let mut len = bytes.len();
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
        out.extend_from_slice(bytes);
    }
    let mut info = Vec::new();
    field(&mut info, 1, b"Kubernetes");
    field(&mut info, 2, super::discovery::GIT_VERSION.as_bytes());
    let mut document = Vec::new();
    field(&mut document, 1, b"2.0");
    field(&mut document, 2, &info);
    document
}
