//! `serviceaccounts/{name}/token` (TokenRequest): a token for the account,
//! as `kubectl create token` and the kubelet's projected volumes ask for.

use http::Response;
use serde_json::{Value, json};

use super::admission;
use super::crud::Call;
use super::http::Body;
use super::status::ApiError;
use crate::api::validation::FieldError;
use crate::api::{Kind, Object};
use crate::tokens::{Bound, Claims, ISSUER, Tokens};

/// Upstream's default lifetime and its shortest.
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;
const MIN_EXPIRATION_SECONDS: i64 = 600;

/// Issues a token for `account`, optionally bound to a pod.
pub fn issue(
    tokens: &Tokens,
    account: &Object,
    pod: Option<&Object>,
    audiences: Vec<String>,
    expiration_seconds: i64,
) -> (String, i64) {
    let bound = |o: &Object| Bound {
        name: o.name().to_string(),
        uid: o.meta().uid.clone().unwrap_or_default(),
    };
    let claims = Claims::service_account(
        account.namespace(),
        bound(account),
        pod.map(bound),
        audiences,
        expiration_seconds,
        crate::clock::now().as_second(),
    );
    (tokens.issue(&claims), claims.exp)
}

pub fn create(call: &Call) -> Result<Response<Body>, ApiError> {
    let account = call.existing()?;
    let mut request = admission::decode_body(call.content_type, &call.body)?;
    let spec = request.get("spec").cloned().unwrap_or_else(|| json!({}));
    let expiration = spec["expirationSeconds"]
        .as_i64()
        .unwrap_or(DEFAULT_EXPIRATION_SECONDS);
    if expiration < MIN_EXPIRATION_SECONDS {
        return Err(admission::invalid(
            Kind::ServiceAccount,
            account.name(),
            &[FieldError::invalid(
                "spec.expirationSeconds",
                expiration,
                "may not specify a duration less than 10 minutes",
            )],
        ));
    }
    let audiences: Vec<String> = spec["audiences"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let bound = &spec["boundObjectRef"];
    let pod = match bound["kind"].as_str() {
        Some("Pod") => {
            let name = bound["name"].as_str().unwrap_or("");
            let pod = call
                .state
                .store
                .get(Kind::Pod, account.namespace(), name)
                .ok_or_else(|| {
                    ApiError::new(404, "NotFound", format!("pods \"{name}\" not found"))
                })?;
            if let Some(uid) = bound["uid"].as_str().filter(|u| !u.is_empty())
                && pod.meta().uid.as_deref() != Some(uid)
            {
                return Err(ApiError::new(
                    409,
                    "Conflict",
                    format!(
                        "the UID in the bound object reference ({uid}) does not match the UID in record"
                    ),
                ));
            }
            Some(pod)
        }
        _ => None,
    };
    let (token, exp) = issue(
        &call.state.tokens,
        &account,
        pod.as_deref(),
        audiences.clone(),
        expiration,
    );
    let expires = k8s_openapi::jiff::Timestamp::from_second(exp)
        .map(|t| t.to_string())
        .unwrap_or_default();
    request["apiVersion"] = json!("authentication.k8s.io/v1");
    request["kind"] = json!("TokenRequest");
    request["metadata"] = json!({
        "name": account.name(),
        "namespace": account.namespace(),
        "creationTimestamp": crate::clock::now_time(),
    });
    request["spec"]["audiences"] = json!(if audiences.is_empty() {
        vec![ISSUER.to_string()]
    } else {
        audiences
    });
    request["spec"]["expirationSeconds"] = json!(expiration);
    request["status"] = json!({"token": token, "expirationTimestamp": expires});
    Ok(super::http::json_response(201, &request))
}
