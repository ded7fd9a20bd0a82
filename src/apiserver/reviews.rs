//! Reviews and identity requests (authorization.k8s.io, authentication.k8s.io):
//! answered on create, never stored, with the same authorizer every
//! request goes through.

use http::Response;
use serde_json::{Value, json};

use super::admission;
use super::auth;
use super::crud::Call;
use super::http::Body;
use super::status::ApiError;
use crate::api::Kind;
use crate::api::rbac::{Attributes, UserInfo};

/// The administrator's name, as `kubectl auth whoami` shows it.
pub const ADMIN_USER: &str = "podium-admin";

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// The request a review's spec describes (resourceAttributes or nonResourceAttributes).
fn review_attributes(spec: &Value, namespace: Option<&str>) -> Attributes {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    if let Some(resource) = spec.get("resourceAttributes").filter(|v| v.is_object()) {
        return Attributes {
            verb: text(&resource["verb"]),
            resource_request: true,
            namespace: namespace.map_or_else(|| text(&resource["namespace"]), str::to_string),
            api_group: text(&resource["group"]),
            resource: text(&resource["resource"]),
            subresource: text(&resource["subresource"]),
            name: text(&resource["name"]),
            path: String::new(),
        };
    }
    let other = &spec["nonResourceAttributes"];
    Attributes {
        verb: text(&other["verb"]),
        path: text(&other["path"]),
        ..Default::default()
    }
}

fn access_status(call: &Call, user: &UserInfo, attributes: &Attributes) -> Value {
    if auth::authorize(&call.state.store, user, attributes) {
        let reason = if user.is_master() {
            "podium: the system:masters group may do everything".to_string()
        } else {
            "RBAC: allowed by a role binding".to_string()
        };
        json!({"allowed": true, "reason": reason})
    } else {
        json!({"allowed": false})
    }
}

/// The rules `user` has in `namespace`, as SelfSubjectRulesReview lists them.
fn rules_status(call: &Call, user: &UserInfo, namespace: &str) -> Value {
    if user.is_master() {
        return json!({
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": false,
        });
    }
    let mut resource_rules = Vec::new();
    let mut non_resource_rules = Vec::new();
    for rule in auth::rules_for(&call.state.store, user, namespace) {
        if let Some(urls) = rule.non_resource_urls.as_ref().filter(|u| !u.is_empty()) {
            non_resource_rules.push(json!({"verbs": rule.verbs, "nonResourceURLs": urls}));
        }
        if rule.resources.as_ref().is_some_and(|r| !r.is_empty()) {
            let mut entry = json!({"verbs": rule.verbs, "apiGroups": rule.api_groups.clone().unwrap_or_default(),
                "resources": rule.resources.clone().unwrap_or_default()});
            if let Some(names) = rule.resource_names.as_ref().filter(|n| !n.is_empty()) {
                entry["resourceNames"] = json!(names);
            }
            resource_rules.push(entry);
        }
    }
    json!({"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": false})
}

fn user_json(user: &UserInfo) -> Value {
    let mut info = json!({"username": user.username, "groups": user.groups});
    if !user.uid.is_empty() {
        info["uid"] = json!(user.uid);
    }
    info
}

/// Answers a create of a review kind.
pub fn create(call: &Call) -> Result<Response<Body>, ApiError> {
    let mut review = admission::decode_body(call.content_type, &call.body)?;
    let kind = call.path.kind;
    let spec = review.get("spec").cloned().unwrap_or_else(|| json!({}));
    let status = if kind == Kind::SelfSubjectAccessReview {
        access_status(call, call.user, &review_attributes(&spec, None))
    } else if kind == Kind::LocalSubjectAccessReview || kind == Kind::SubjectAccessReview {
        let subject = UserInfo {
            username: spec["user"].as_str().unwrap_or("").to_string(),
            uid: spec["uid"].as_str().unwrap_or("").to_string(),
            groups: strings(&spec["groups"]),
        };
        let namespace = (kind == Kind::LocalSubjectAccessReview)
            .then_some(call.path.namespace.as_deref().unwrap_or(""));
        access_status(call, &subject, &review_attributes(&spec, namespace))
    } else if kind == Kind::SelfSubjectRulesReview {
        rules_status(call, call.user, spec["namespace"].as_str().unwrap_or(""))
    } else if kind == Kind::SelfSubjectReview {
        json!({"userInfo": user_json(call.user)})
    } else if kind == Kind::TokenReview {
        let token = spec["token"].as_str().unwrap_or("").trim();
        match auth::user_of_token(call.state, token) {
            Some(user) => json!({"authenticated": true, "user": user_json(&user),
                "audiences": [crate::tokens::ISSUER]}),
            None => json!({"authenticated": false, "error": "invalid bearer token"}),
        }
    } else {
        return Err(ApiError::method_not_allowed("POST"));
    };
    let info = kind.info();
    review["apiVersion"] = json!(call.path.api_version());
    review["kind"] = json!(info.kind_name);
    if !review["metadata"].is_object() {
        review["metadata"] = json!({});
    }
    review["metadata"]["creationTimestamp"] = Value::Null;
    if let Some(map) = review.as_object_mut() {
        map.entry("spec").or_insert(json!({}));
    }
    review["status"] = status;
    Ok(super::http::json_response(201, &review))
}

/// Compares without stopping at the first difference, so timing does not
/// tell how much of a guessed token was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
