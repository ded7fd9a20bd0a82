//! RBAC as upstream evaluates it (plugin/pkg/auth/authorizer/rbac): who a
//! request is, what it asks to do, and whether a rule of a role bound to
//! that user allows it. Pure: the API server gathers the bindings and
//! roles from the store and asks here.

mod bootstrap;

use k8s_openapi::api::rbac::v1::{PolicyRule, Subject};

pub use bootstrap::{bootstrap_cluster_role_bindings, bootstrap_cluster_roles};

/// The group every client in it may do anything in (`system:masters`).
pub const MASTERS_GROUP: &str = "system:masters";
pub const AUTHENTICATED_GROUP: &str = "system:authenticated";
pub const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";

/// Who is asking, as authentication found them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    pub username: String,
    pub uid: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    /// The user of a ServiceAccount's token, with upstream's groups.
    pub fn service_account(namespace: &str, name: &str, uid: &str) -> UserInfo {
        UserInfo {
            username: format!("{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"),
            uid: uid.to_string(),
            groups: vec![
                "system:serviceaccounts".to_string(),
                format!("system:serviceaccounts:{namespace}"),
                AUTHENTICATED_GROUP.to_string(),
            ],
        }
    }

    pub fn is_master(&self) -> bool {
        self.groups.iter().any(|g| g == MASTERS_GROUP)
    }
}

/// What a request asks to do (upstream's authorizer.Attributes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attributes {
    pub verb: String,
    /// A resource request names a resource; otherwise `path` is asked for.
    pub resource_request: bool,
    pub namespace: String,
    pub api_group: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
    pub path: String,
}

fn matches(values: &[String], wanted: &str) -> bool {
    values.iter().any(|v| v == "*" || v == wanted)
}

/// Whether one rule allows the request (upstream's RuleAllows).
pub fn rule_allows(rule: &PolicyRule, attributes: &Attributes) -> bool {
    if !matches(&rule.verbs, &attributes.verb) {
        return false;
    }
    if !attributes.resource_request {
        return rule.non_resource_urls.iter().flatten().any(|url| {
            url == "*"
                || url == &attributes.path
                || url
                    .strip_suffix('*')
                    .is_some_and(|prefix| attributes.path.starts_with(prefix))
        });
    }
    let groups = rule.api_groups.as_deref().unwrap_or_default();
    if !matches(groups, &attributes.api_group) {
        return false;
    }
    let resources = rule.resources.as_deref().unwrap_or_default();
    let combined = if attributes.subresource.is_empty() {
        attributes.resource.clone()
    } else {
        format!("{}/{}", attributes.resource, attributes.subresource)
    };
    let resource_ok = resources.iter().any(|r| {
        r == "*"
            || *r == combined
            || (!attributes.subresource.is_empty() && *r == format!("*/{}", attributes.subresource))
    });
    if !resource_ok {
        return false;
    }
    match rule.resource_names.as_deref() {
        None | Some([]) => true,
        Some(names) => names.contains(&attributes.name),
    }
}

/// Whether a binding's subject is this user (upstream's appliesToUser);
/// `namespace` is the binding's, for ServiceAccount subjects without one.
pub fn subject_matches(subject: &Subject, user: &UserInfo, namespace: &str) -> bool {
    match subject.kind.as_str() {
        "User" => subject.name == user.username,
        "Group" => user.groups.contains(&subject.name),
        "ServiceAccount" => {
            let account_namespace = subject
                .namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(namespace);
            user.username
                == format!(
                    "{SERVICE_ACCOUNT_PREFIX}{account_namespace}:{}",
                    subject.name
                )
        }
        _ => false,
    }
}

/// Upstream's 403 text: `pods "x" is forbidden: User "jane" cannot get
/// resource "pods" in API group "" in the namespace "default"`.
pub fn forbidden_message(user: &UserInfo, attributes: &Attributes) -> String {
    if !attributes.resource_request {
        return format!(
            "forbidden: User \"{}\" cannot {} path \"{}\"",
            user.username, attributes.verb, attributes.path
        );
    }
    let resource = if attributes.subresource.is_empty() {
        attributes.resource.clone()
    } else {
        format!("{}/{}", attributes.resource, attributes.subresource)
    };
    let qualified = if attributes.api_group.is_empty() {
        attributes.resource.clone()
    } else {
        format!("{}.{}", attributes.resource, attributes.api_group)
    };
    let subject = if attributes.name.is_empty() {
        qualified
    } else {
        format!("{qualified} \"{}\"", attributes.name)
    };
    let scope = if attributes.namespace.is_empty() {
        "at the cluster scope".to_string()
    } else {
        format!("in the namespace \"{}\"", attributes.namespace)
    };
    format!(
        "{subject} is forbidden: User \"{}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}",
        user.username, attributes.verb, attributes.api_group
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
        let owned = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        PolicyRule {
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            api_groups: owned(groups),
            resources: owned(resources),
            resource_names: if names.is_empty() { None } else { owned(names) },
            non_resource_urls: None,
        }
    }

    fn request(verb: &str, group: &str, resource: &str, sub: &str, name: &str) -> Attributes {
        Attributes {
            verb: verb.into(),
            resource_request: true,
            namespace: "default".into(),
            api_group: group.into(),
            resource: resource.into(),
            subresource: sub.into(),
            name: name.into(),
            path: String::new(),
        }
    }

    #[test]
    fn rules_match_as_upstreams() {
        let read_pods = rule(&["get", "list"], &[""], &["pods"], &[]);
        assert!(rule_allows(
            &read_pods,
            &request("get", "", "pods", "", "x")
        ));
        assert!(!rule_allows(
            &read_pods,
            &request("delete", "", "pods", "", "x")
        ));
        assert!(!rule_allows(
            &read_pods,
            &request("get", "apps", "pods", "", "x")
        ));
        // A subresource needs its own rule.
        assert!(!rule_allows(
            &read_pods,
            &request("get", "", "pods", "log", "x")
        ));
        let logs = rule(&["get"], &[""], &["pods/log"], &[]);
        assert!(rule_allows(&logs, &request("get", "", "pods", "log", "x")));
        let any_status = rule(&["*"], &["*"], &["*/status"], &[]);
        assert!(rule_allows(
            &any_status,
            &request("update", "apps", "deployments", "status", "d")
        ));
        let named = rule(&["get"], &[""], &["configmaps"], &["settings"]);
        assert!(rule_allows(
            &named,
            &request("get", "", "configmaps", "", "settings")
        ));
        assert!(!rule_allows(
            &named,
            &request("get", "", "configmaps", "", "other")
        ));
        assert!(!rule_allows(
            &named,
            &request("list", "", "configmaps", "", "")
        ));
    }

    #[test]
    fn non_resource_urls_match_by_prefix() {
        let discovery = PolicyRule {
            verbs: vec!["get".into()],
            non_resource_urls: Some(vec!["/api".into(), "/apis/*".into()]),
            ..Default::default()
        };
        let path = |p: &str| Attributes {
            verb: "get".into(),
            path: p.into(),
            ..Default::default()
        };
        assert!(rule_allows(&discovery, &path("/api")));
        assert!(rule_allows(&discovery, &path("/apis/apps/v1")));
        assert!(!rule_allows(&discovery, &path("/api/v1")));
    }

    #[test]
    fn subjects_and_messages() {
        let user = UserInfo::service_account("default", "ci", "u1");
        let subject = Subject {
            kind: "ServiceAccount".into(),
            name: "ci".into(),
            ..Default::default()
        };
        assert!(subject_matches(&subject, &user, "default"));
        assert!(!subject_matches(&subject, &user, "other"));
        let group = Subject {
            kind: "Group".into(),
            name: "system:serviceaccounts".into(),
            ..Default::default()
        };
        assert!(subject_matches(&group, &user, ""));
        assert_eq!(
            forbidden_message(&user, &request("list", "", "pods", "", "")),
            "pods is forbidden: User \"system:serviceaccount:default:ci\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""
        );
        let mut get = request("get", "apps", "deployments", "scale", "web");
        get.namespace.clear();
        assert_eq!(
            forbidden_message(&user, &get),
            "deployments.apps \"web\" is forbidden: User \"system:serviceaccount:default:ci\" cannot get resource \"deployments/scale\" in API group \"apps\" at the cluster scope"
        );
    }
}
