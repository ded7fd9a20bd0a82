//! Who a request is and whether it may do what it asks: the kubeconfig's
//! token and client certificates of the cluster's CA are the administrator
//! (`system:masters`); ServiceAccount tokens are their account, authorized
//! by RBAC over the roles and bindings in the store, as upstream's RBAC
//! authorizer does. `Impersonate-User`/`-Group` (`kubectl --as`) act as
//! another user when the requester may impersonate them.

use std::collections::BTreeSet;

use http::{HeaderMap, Method};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
use serde::de::DeserializeOwned;

use super::ServerState;
use super::http::Query;
use super::reviews::{ADMIN_USER, constant_time_eq};
use super::routes::Route;
use super::status::{ApiError, StatusDetails};
use crate::api::rbac::{self, AUTHENTICATED_GROUP, Attributes, MASTERS_GROUP, UserInfo};
use crate::api::selector::LabelSelector;
use crate::api::{Kind, Object};
use crate::store::{ListFilter, Store};

/// The administrator: the kubeconfig's token or a client certificate.
pub fn admin() -> UserInfo {
    UserInfo {
        username: ADMIN_USER.to_string(),
        uid: String::new(),
        groups: vec![MASTERS_GROUP.to_string(), AUTHENTICATED_GROUP.to_string()],
    }
}

/// The token of `Authorization: Bearer <token>`. The scheme is read
/// without regard to case, as upstream's bearertoken authenticator does
/// (the Python client's in-cluster configuration sends `bearer`).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

/// The user a request authenticates as; `None` means 401.
pub fn authenticate(
    state: &ServerState,
    headers: &HeaderMap,
    by_certificate: bool,
) -> Option<UserInfo> {
    if by_certificate {
        return Some(admin());
    }
    user_of_token(state, bearer(headers)?)
}

/// The user a bearer token stands for (also what TokenReview answers).
pub fn user_of_token(state: &ServerState, token: &str) -> Option<UserInfo> {
    if constant_time_eq(token.as_bytes(), state.token.as_bytes()) {
        return Some(admin());
    }
    let claims = state
        .tokens
        .verify(token, crate::clock::now().as_second())?;
    let k8s = &claims.kubernetes;
    // A token outlives nothing it is bound to (upstream's legacy checks).
    let account = state.store.get(
        Kind::ServiceAccount,
        &k8s.namespace,
        &k8s.serviceaccount.name,
    )?;
    if account.meta().uid.as_deref() != Some(k8s.serviceaccount.uid.as_str())
        || account.meta().deletion_timestamp.is_some()
    {
        return None;
    }
    if let Some(pod) = &k8s.pod {
        let found = state.store.get(Kind::Pod, &k8s.namespace, &pod.name)?;
        if found.meta().uid.as_deref() != Some(pod.uid.as_str()) {
            return None;
        }
    }
    Some(UserInfo::service_account(
        &k8s.namespace,
        &k8s.serviceaccount.name,
        &k8s.serviceaccount.uid,
    ))
}

/// The user `Impersonate-User`/`Impersonate-Group` ask for, when `user`
/// may impersonate them; `user` itself without those headers.
pub fn impersonate(
    store: &Store,
    user: UserInfo,
    headers: &HeaderMap,
) -> Result<UserInfo, ApiError> {
    let Some(name) = headers
        .get("impersonate-user")
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(user);
    };
    let groups: Vec<String> = headers
        .get_all("impersonate-group")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    let mut checks = Vec::new();
    match name
        .strip_prefix(rbac::SERVICE_ACCOUNT_PREFIX)
        .and_then(|rest| rest.split_once(':'))
    {
        Some((namespace, account)) => checks.push(Attributes {
            verb: "impersonate".into(),
            resource_request: true,
            namespace: namespace.into(),
            resource: "serviceaccounts".into(),
            name: account.into(),
            ..Default::default()
        }),
        None => checks.push(Attributes {
            verb: "impersonate".into(),
            resource_request: true,
            resource: "users".into(),
            name: name.into(),
            ..Default::default()
        }),
    }
    for group in &groups {
        checks.push(Attributes {
            verb: "impersonate".into(),
            resource_request: true,
            resource: "groups".into(),
            name: group.clone(),
            ..Default::default()
        });
    }
    for check in &checks {
        if !authorize(store, &user, check) {
            return Err(forbidden(&user, check));
        }
    }
    let mut impersonated = match name
        .strip_prefix(rbac::SERVICE_ACCOUNT_PREFIX)
        .and_then(|rest| rest.split_once(':'))
    {
        Some((namespace, account)) => UserInfo::service_account(namespace, account, ""),
        None => UserInfo {
            username: name.to_string(),
            uid: String::new(),
            groups: Vec::new(),
        },
    };
    for group in groups {
        if !impersonated.groups.contains(&group) {
            impersonated.groups.push(group);
        }
    }
    if !impersonated.groups.iter().any(|g| g == AUTHENTICATED_GROUP) {
        impersonated.groups.push(AUTHENTICATED_GROUP.to_string());
    }
    Ok(impersonated)
}

/// What a request asks to do, as the authorizer reads it.
pub fn attributes(route: &Route, method: &Method, uri_path: &str, query: &Query) -> Attributes {
    let Route::Resource(path) = route else {
        return Attributes {
            verb: method.as_str().to_lowercase(),
            path: uri_path.to_string(),
            ..Default::default()
        };
    };
    let info = path.kind.info();
    let watch = path.watch_prefix || query.flag("watch");
    let named = path.name.is_some();
    let verb = match method.as_str() {
        "GET" | "HEAD" if watch => "watch",
        "GET" | "HEAD" if named => "get",
        "GET" | "HEAD" => "list",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" if named => "delete",
        "DELETE" => "deletecollection",
        other => {
            return Attributes {
                verb: other.to_lowercase(),
                path: uri_path.to_string(),
                ..Default::default()
            };
        }
    };
    // A namespace's own requests are in that namespace, as upstream's
    // request info resolver has it.
    let namespace = match (&path.namespace, path.kind == Kind::Namespace) {
        (Some(ns), _) => ns.clone(),
        (None, true) => path.name.clone().unwrap_or_default(),
        (None, false) => String::new(),
    };
    Attributes {
        verb: verb.to_string(),
        resource_request: true,
        namespace,
        api_group: info.group.to_string(),
        resource: info.plural.to_string(),
        subresource: path.subresource.clone().unwrap_or_default(),
        name: path.name.clone().unwrap_or_default(),
        path: uri_path.to_string(),
    }
}

fn decode<T: DeserializeOwned>(object: &Object) -> Option<T> {
    serde_json::from_value(object.to_json()).ok()
}

fn list<T: DeserializeOwned>(store: &Store, kind: Kind, namespace: Option<&str>) -> Vec<T> {
    store
        .list(kind, namespace, &ListFilter::default())
        .items
        .iter()
        .filter_map(|o| decode(o))
        .collect()
}

/// A ClusterRole's rules, those its aggregation rule selects included.
fn cluster_role_rules(
    roles: &[ClusterRole],
    name: &str,
    seen: &mut BTreeSet<String>,
) -> Vec<PolicyRule> {
    if !seen.insert(name.to_string()) {
        return Vec::new();
    }
    let Some(role) = roles
        .iter()
        .find(|r| r.metadata.name.as_deref() == Some(name))
    else {
        return Vec::new();
    };
    let mut rules = role.rules.clone().unwrap_or_default();
    let selectors = role
        .aggregation_rule
        .as_ref()
        .and_then(|a| a.cluster_role_selectors.as_ref());
    for selector in selectors.into_iter().flatten() {
        let Ok(selector) = LabelSelector::from_label_selector(selector) else {
            continue;
        };
        for other in roles {
            if selector.matches(other.metadata.labels.as_ref())
                && let Some(other_name) = other.metadata.name.as_deref()
            {
                rules.extend(cluster_role_rules(roles, other_name, seen));
            }
        }
    }
    rules
}

/// Every rule granted to `user` at the cluster scope and, when given, in `namespace`.
pub fn rules_for(store: &Store, user: &UserInfo, namespace: &str) -> Vec<PolicyRule> {
    let cluster_roles: Vec<ClusterRole> = list(store, Kind::ClusterRole, None);
    let mut rules = Vec::new();
    for binding in list::<ClusterRoleBinding>(store, Kind::ClusterRoleBinding, None) {
        if binding
            .subjects
            .iter()
            .flatten()
            .any(|s| rbac::subject_matches(s, user, ""))
            && binding.role_ref.kind == "ClusterRole"
        {
            rules.extend(cluster_role_rules(
                &cluster_roles,
                &binding.role_ref.name,
                &mut BTreeSet::new(),
            ));
        }
    }
    if namespace.is_empty() {
        return rules;
    }
    let roles: Vec<Role> = list(store, Kind::Role, Some(namespace));
    for binding in list::<RoleBinding>(store, Kind::RoleBinding, Some(namespace)) {
        if !binding
            .subjects
            .iter()
            .flatten()
            .any(|s| rbac::subject_matches(s, user, namespace))
        {
            continue;
        }
        match binding.role_ref.kind.as_str() {
            "ClusterRole" => rules.extend(cluster_role_rules(
                &cluster_roles,
                &binding.role_ref.name,
                &mut BTreeSet::new(),
            )),
            "Role" => rules.extend(
                roles
                    .iter()
                    .filter(|r| r.metadata.name.as_deref() == Some(binding.role_ref.name.as_str()))
                    .flat_map(|r| r.rules.clone().unwrap_or_default()),
            ),
            _ => {}
        }
    }
    rules
}

/// Whether `user` may do what `attributes` say.
pub fn authorize(store: &Store, user: &UserInfo, attributes: &Attributes) -> bool {
    if user.is_master() {
        return true;
    }
    rules_for(store, user, &attributes.namespace)
        .iter()
        .any(|rule| rbac::rule_allows(rule, attributes))
}

/// Upstream's 403 for a refused request.
pub fn forbidden(user: &UserInfo, attributes: &Attributes) -> ApiError {
    let mut error = ApiError::new(403, "Forbidden", rbac::forbidden_message(user, attributes));
    if attributes.resource_request {
        error.details = Some(Box::new(StatusDetails::naming(
            &attributes.name,
            &attributes.api_group,
            &attributes.resource,
        )));
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn the_bearer_scheme_is_read_as_upstream_reads_it() {
        assert_eq!(bearer(&with("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&with("bearer abc")), Some("abc"));
        assert_eq!(bearer(&with("BEARER  abc ")), Some("abc"));
        assert_eq!(bearer(&with("Basic abc")), None);
        assert_eq!(bearer(&with("Bearer")), None);
        assert_eq!(bearer(&with("Bearer a b")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
